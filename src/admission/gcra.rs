//! GCRA (the generic cell rate algorithm), pure: a rate of `count` per `per` with bursts of up to
//! `burst`, kept as one number per key (the theoretical arrival time). The Redis limiter
//! (`gcra.lua`) implements exactly this on Redis `TIME`, so every process shares one limit; this
//! module is its reference and is tested against it.

use crate::config::Rate;

/// The parameters of one rate, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gcra {
    /// Time one request "costs": per / count.
    pub emission_ms: f64,
    /// How far ahead of now the arrival time may run: emission * (burst - 1).
    pub tolerance_ms: f64,
}

/// A refused request: when it would be allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limited {
    pub retry_in_ms: u64,
}

impl Gcra {
    pub fn new(rate: &Rate) -> Self {
        let emission_ms = rate.per.as_millis() as f64 / f64::from(rate.count.max(1));
        Self {
            emission_ms,
            tolerance_ms: emission_ms * f64::from(rate.burst.max(1) - 1),
        }
    }

    /// Checks one request at `now` given the stored arrival time (`None`: never seen); returns the
    /// arrival time to store if allowed.
    pub fn check(&self, now: f64, tat: Option<f64>) -> Result<f64, Limited> {
        let tat = tat.map_or(now, |t| t.max(now));
        let allow_at = tat - self.tolerance_ms;
        if now < allow_at {
            return Err(Limited {
                retry_in_ms: (allow_at - now).ceil() as u64,
            });
        }
        Ok(tat + self.emission_ms)
    }

    /// How long the stored arrival time stays meaningful (after that it may be forgotten).
    pub fn ttl_ms(&self, tat: f64, now: f64) -> u64 {
        (tat - now).max(0.0).ceil() as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rate(count: u32, per_s: u64, burst: u32) -> Gcra {
        Gcra::new(&Rate {
            count,
            per: Duration::from_secs(per_s),
            burst,
        })
    }

    /// Runs requests at the given times; returns which were allowed.
    fn run(g: &Gcra, times: &[f64]) -> Vec<bool> {
        let mut tat = None;
        times
            .iter()
            .map(|&t| match g.check(t, tat) {
                Ok(n) => {
                    tat = Some(n);
                    true
                }
                Err(_) => false,
            })
            .collect()
    }

    #[test]
    fn a_burst_is_allowed_then_the_rate() {
        let g = rate(10, 60, 3); // one per 6 s, bursts of 3
        assert_eq!(run(&g, &[0.0, 0.0, 0.0, 0.0]), [true, true, true, false]);
        // After 6 s exactly one more.
        assert_eq!(
            run(&g, &[0.0, 0.0, 0.0, 6_000.0, 6_000.0]),
            [true, true, true, true, false]
        );
    }

    #[test]
    fn refusals_say_when_to_come_back() {
        let g = rate(1, 10, 1);
        let tat = g.check(0.0, None).unwrap();
        let err = g.check(2_000.0, Some(tat)).unwrap_err();
        assert_eq!(err.retry_in_ms, 8_000);
        assert!(g.check(10_000.0, Some(tat)).is_ok());
    }

    #[test]
    fn long_quiet_periods_do_not_bank_more_than_the_burst() {
        let g = rate(60, 60, 2);
        let times = [0.0, 1_000_000.0, 1_000_000.0, 1_000_000.0];
        assert_eq!(run(&g, &times), [true, true, true, false]);
    }

    #[test]
    fn sustained_rate_over_a_minute() {
        let g = rate(20, 60, 5);
        let times: Vec<f64> = (0..600).map(|i| f64::from(i) * 100.0).collect(); // 10/s for 60 s
        let allowed = run(&g, &times).into_iter().filter(|a| *a).count();
        assert!((24..=25).contains(&allowed), "{allowed}"); // 20 per minute + burst of 5
    }
}
