//! Per-user circuit breakers: when one user's requests keep failing, stop calling the AI for that
//! user for a while (their jobs wait, they are told once), without touching anyone else. Pure: no
//! clock of its own, every call takes `now` in milliseconds.

use std::collections::{HashMap, VecDeque};

use crate::config::BreakerConfig;

/// What to do with a user's next job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allow {
    /// Closed: go ahead.
    Call,
    /// Half-open: this job is the one probe.
    Probe,
    /// Open (or a probe is already out): postpone the job until then.
    Wait { until: u64 },
}

/// For status reports and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { until: u64 },
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Breaker {
    state: BreakerState,
    /// Outcomes inside the window, oldest first: (time, ok).
    recent: VecDeque<(u64, bool)>,
    /// Times opened without a successful probe since: each doubles the open period.
    trips: u32,
    /// A probe is in flight while half-open.
    probing: bool,
    /// When the user was last told their requests are failing (ms; 0: never).
    told_at: u64,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            state: BreakerState::Closed,
            recent: VecDeque::new(),
            trips: 0,
            probing: false,
            told_at: 0,
        }
    }
}

impl Breaker {
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Times this breaker has opened in a row (0 when healthy).
    pub fn trips(&self) -> u32 {
        self.trips
    }

    pub fn allow(&mut self, now: u64) -> Allow {
        match self.state {
            BreakerState::Closed => Allow::Call,
            BreakerState::Open { until } if now < until => Allow::Wait { until },
            BreakerState::Open { .. } => {
                self.state = BreakerState::HalfOpen;
                self.probing = true;
                Allow::Probe
            }
            BreakerState::HalfOpen if self.probing => Allow::Wait { until: now + 1_000 },
            BreakerState::HalfOpen => {
                self.probing = true;
                Allow::Probe
            }
        }
    }

    /// Records a call's outcome. Returns true if this outcome opened the breaker.
    pub fn record(&mut self, cfg: &BreakerConfig, now: u64, ok: bool) -> bool {
        match self.state {
            BreakerState::HalfOpen => {
                self.probing = false;
                if ok {
                    *self = Breaker {
                        told_at: self.told_at,
                        ..Breaker::default()
                    };
                    false
                } else {
                    self.open(cfg, now);
                    true
                }
            }
            // A late outcome of a call made before the breaker opened changes nothing.
            BreakerState::Open { .. } => false,
            BreakerState::Closed => {
                self.recent.push_back((now, ok));
                let window = cfg.window.as_millis() as u64;
                while self
                    .recent
                    .front()
                    .is_some_and(|(at, _)| at + window <= now)
                {
                    self.recent.pop_front();
                }
                let calls = self.recent.len() as u32;
                let failures = self.recent.iter().filter(|(_, ok)| !ok).count() as f64;
                if calls >= cfg.min_calls && failures / f64::from(calls) >= cfg.failure_rate {
                    self.open(cfg, now);
                    true
                } else {
                    false
                }
            }
        }
    }

    fn open(&mut self, cfg: &BreakerConfig, now: u64) {
        let base = cfg.open_for.as_millis() as u64;
        let max = cfg.max_open.as_millis() as u64;
        let period = base
            .saturating_mul(1u64 << self.trips.min(20))
            .min(max.max(base));
        self.trips = self.trips.saturating_add(1);
        self.state = BreakerState::Open {
            until: now + period,
        };
        self.recent.clear();
    }

    /// True when the user should be told their requests are failing: at most once per
    /// `quiet_ms`, however often the breaker reopens or jobs give up meanwhile.
    pub fn take_notice(&mut self, now: u64, quiet_ms: u64) -> bool {
        let tell = self.told_at == 0 || now >= self.told_at.saturating_add(quiet_ms);
        if tell {
            self.told_at = now.max(1);
        }
        tell
    }

    /// A closed breaker with nothing recent carries no information and can be dropped.
    fn is_idle(&self, now: u64, window_ms: u64) -> bool {
        self.state == BreakerState::Closed
            && self
                .recent
                .back()
                .is_none_or(|(at, _)| at + window_ms <= now)
    }
}

/// Breakers by (tenant, user), created on first use.
#[derive(Debug, Default)]
pub struct Breakers {
    map: HashMap<(String, String), Breaker>,
}

impl Breakers {
    pub fn get(&mut self, tenant: &str, user: &str) -> &mut Breaker {
        self.map
            .entry((tenant.to_owned(), user.to_owned()))
            .or_default()
    }

    pub fn state(&self, tenant: &str, user: &str) -> BreakerState {
        self.map
            .get(&(tenant.to_owned(), user.to_owned()))
            .map_or(BreakerState::Closed, Breaker::state)
    }

    /// Closes a user's breaker (an operator's reset).
    pub fn reset(&mut self, tenant: &str, user: &str) -> bool {
        self.map
            .remove(&(tenant.to_owned(), user.to_owned()))
            .is_some()
    }

    /// Every breaker not closed: (tenant, user, state, trips).
    pub fn not_closed(&self) -> Vec<(String, String, BreakerState, u32)> {
        let mut v: Vec<_> = self
            .map
            .iter()
            .filter(|(_, b)| b.state != BreakerState::Closed)
            .map(|((t, u), b)| (t.clone(), u.clone(), b.state, b.trips))
            .collect();
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    }

    /// Forgets idle breakers so the map does not grow with every user ever seen.
    pub fn prune(&mut self, cfg: &BreakerConfig, now: u64) {
        let window = cfg.window.as_millis() as u64;
        self.map.retain(|_, b| !b.is_idle(now, window));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cfg() -> BreakerConfig {
        BreakerConfig {
            window: Duration::from_secs(60),
            min_calls: 4,
            failure_rate: 0.5,
            open_for: Duration::from_secs(30),
            max_open: Duration::from_secs(100),
        }
    }

    #[test]
    fn opens_on_failure_rate_after_min_calls() {
        let (c, mut b) = (cfg(), Breaker::default());
        assert!(!b.record(&c, 0, false));
        assert!(!b.record(&c, 1, false));
        assert!(!b.record(&c, 2, true), "3 calls < min_calls");
        assert!(b.record(&c, 3, false), "3 of 4 failed");
        assert_eq!(b.allow(10), Allow::Wait { until: 30_003 });
    }

    #[test]
    fn successes_keep_it_closed_and_old_failures_age_out() {
        let (c, mut b) = (cfg(), Breaker::default());
        for t in 0..3 {
            b.record(&c, t, false);
        }
        // Outside the 60 s window now: these three count for nothing.
        // One failure in four stays under the 50% rate.
        for t in 0..4 {
            assert!(!b.record(&c, 70_000 + t, t != 2));
        }
        assert_eq!(b.allow(70_010), Allow::Call);
    }

    #[test]
    fn half_open_sends_one_probe_and_closes_on_success() {
        let (c, mut b) = (cfg(), Breaker::default());
        for t in 0..4 {
            b.record(&c, t, false);
        }
        assert_eq!(b.allow(40_000), Allow::Probe);
        assert!(
            matches!(b.allow(40_001), Allow::Wait { .. }),
            "one probe at a time"
        );
        b.record(&c, 40_002, true);
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.allow(40_003), Allow::Call);
        assert_eq!(b.trips(), 0);
    }

    #[test]
    fn the_open_period_doubles_on_repeat_up_to_the_cap() {
        let (c, mut b) = (cfg(), Breaker::default());
        for t in 0..4 {
            b.record(&c, t, false);
        }
        assert_eq!(b.state(), BreakerState::Open { until: 30_003 });
        assert_eq!(b.allow(30_003), Allow::Probe);
        assert!(b.record(&c, 30_004, false));
        assert_eq!(
            b.state(),
            BreakerState::Open {
                until: 30_004 + 60_000
            }
        );
        assert_eq!(b.allow(90_004), Allow::Probe);
        b.record(&c, 90_004, false);
        assert_eq!(
            b.state(),
            BreakerState::Open {
                until: 90_004 + 100_000
            },
            "capped at max_open"
        );
    }

    #[test]
    fn the_user_is_told_once_per_quiet_period_however_often_it_reopens() {
        let (c, mut b) = (cfg(), Breaker::default());
        for t in 0..4 {
            b.record(&c, t, false);
        }
        assert!(b.take_notice(10, 600_000));
        assert!(!b.take_notice(11, 600_000));
        b.allow(40_000);
        b.record(&c, 40_001, false);
        assert!(
            !b.take_notice(40_002, 600_000),
            "reopened, but told already"
        );
        assert!(
            b.take_notice(600_010, 600_000),
            "a quiet period later, again"
        );
    }

    #[test]
    fn users_are_independent_and_idle_breakers_are_pruned() {
        let c = cfg();
        let mut all = Breakers::default();
        for t in 0..4 {
            all.get("t", "bad").record(&c, t, false);
            all.get("t", "good").record(&c, t, true);
        }
        assert!(matches!(all.state("t", "bad"), BreakerState::Open { .. }));
        assert_eq!(all.state("t", "good"), BreakerState::Closed);
        assert_eq!(all.not_closed().len(), 1);
        all.prune(&c, 120_000);
        assert_eq!(all.len(), 1, "the open one stays, the idle closed one goes");
        assert!(all.reset("t", "bad"));
        assert!(all.is_empty());
    }
}
