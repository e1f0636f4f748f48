//! Exponential backoff with jitter for retries after failures. Pure: the caller supplies the random
//! number, so tests can pin it and both backends compute delays with the same code.

use super::Millis;

/// Retry delays: `base * factor^(failures - 1)`, capped at `max`, with "equal jitter" (half the
/// delay fixed, half random) so a burst of failures does not retry in lockstep yet never retries
/// sooner than half the nominal delay.
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    pub base_ms: Millis,
    pub max_ms: Millis,
    pub factor: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_ms: 1_000,
            max_ms: 5 * 60 * 1000,
            factor: 2.0,
        }
    }
}

impl Backoff {
    /// The nominal (un-jittered) delay after `failures` failures (1 for the first).
    pub fn nominal_ms(&self, failures: u32) -> Millis {
        let exp = failures.saturating_sub(1).min(63);
        let raw = self.base_ms as f64 * self.factor.max(1.0).powi(exp as i32);
        if raw.is_finite() && raw < self.max_ms as f64 {
            raw as Millis
        } else {
            self.max_ms
        }
    }

    /// The delay to use, given `unit` drawn uniformly from [0, 1).
    pub fn delay_ms(&self, failures: u32, unit: f64) -> Millis {
        let nominal = self.nominal_ms(failures);
        let half = nominal / 2;
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        half + ((nominal - half) as f64 * unit) as Millis
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_and_caps() {
        let b = Backoff {
            base_ms: 100,
            max_ms: 1_000,
            factor: 2.0,
        };
        assert_eq!(b.nominal_ms(1), 100);
        assert_eq!(b.nominal_ms(2), 200);
        assert_eq!(b.nominal_ms(4), 800);
        assert_eq!(b.nominal_ms(5), 1_000);
        assert_eq!(b.nominal_ms(u32::MAX), 1_000);
    }

    #[test]
    fn jitter_stays_between_half_and_full() {
        let b = Backoff {
            base_ms: 1_000,
            max_ms: 60_000,
            factor: 2.0,
        };
        assert_eq!(b.delay_ms(2, 0.0), 1_000);
        assert_eq!(b.delay_ms(2, 0.999_999), 1_999);
        assert_eq!(b.delay_ms(2, f64::NAN), 1_000);
        for i in 0..100 {
            let d = b.delay_ms(3, f64::from(i) / 100.0);
            assert!((2_000..=4_000).contains(&d), "{d}");
        }
    }
}
