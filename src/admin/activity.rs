//! Recent activity for the dashboard's charts: per second over the last ten minutes, messages
//! queued, answered, refused and dead-lettered, and the queue waits of the jobs leased (a bounded
//! sample per second), served by `/api/activity` in buckets with wait percentiles. An observer,
//! like [`super::metrics::Metrics`]; Prometheus has the long-term view.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use super::Admin;
use crate::observe::Observer;

/// Seconds of history kept.
const KEPT_SECS: u64 = 600;
/// Waits sampled per second (enough for percentiles; bounded memory under a flood).
const WAITS_PER_SEC: usize = 256;

#[derive(Clone, Default)]
struct Slot {
    /// The Unix second this slot holds (slots are reused every `KEPT_SECS`).
    sec: u64,
    queued: u64,
    answered: u64,
    refused: u64,
    dead: u64,
    leased: u64,
    /// Queue waits of leased jobs, in ms (at most `WAITS_PER_SEC`).
    waits_ms: Vec<u64>,
}

/// Counts since start, and a ring of per-second slots.
pub struct Activity {
    inner: Mutex<Inner>,
}

struct Inner {
    slots: Vec<Slot>,
    totals: Totals,
}

#[derive(Clone, Copy, Default, Serialize)]
pub struct Totals {
    pub queued: u64,
    pub answered: u64,
    pub refused: u64,
    pub dead: u64,
}

/// One bucket of the activity answer.
#[derive(Debug, Serialize, PartialEq)]
pub struct Bucket {
    /// Start of the bucket (Unix seconds).
    pub at: u64,
    pub queued: u64,
    pub answered: u64,
    pub refused: u64,
    pub dead: u64,
    pub leased: u64,
    /// Queue wait percentiles of the jobs leased in the bucket (ms; none leased: null).
    pub wait_p50_ms: Option<u64>,
    pub wait_p95_ms: Option<u64>,
    pub wait_max_ms: Option<u64>,
}

#[derive(Serialize)]
pub struct ActivityView {
    pub bucket_secs: u64,
    pub buckets: Vec<Bucket>,
    pub totals: Totals,
}

#[derive(Deserialize)]
pub struct ActivityQuery {
    /// Seconds to cover (default 300, at most 600).
    pub secs: Option<u64>,
    /// Bucket width in seconds (default 10).
    pub bucket: Option<u64>,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                slots: vec![Slot::default(); KEPT_SECS as usize],
                totals: Totals::default(),
            }),
        }
    }
}

fn now_sec() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Activity {
    fn with_slot(&self, sec: u64, f: impl FnOnce(&mut Slot, &mut Totals)) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Inner { slots, totals } = &mut *inner;
        let slot = &mut slots[(sec % KEPT_SECS) as usize];
        if slot.sec != sec {
            *slot = Slot {
                sec,
                ..Slot::default()
            };
        }
        f(slot, totals);
    }

    /// `secs` seconds up to `now` (inclusive) in buckets of `width` seconds, oldest first.
    pub fn buckets(&self, now: u64, secs: u64, width: u64) -> Vec<Bucket> {
        let secs = secs.clamp(1, KEPT_SECS);
        let width = width.clamp(1, secs);
        let first = now.saturating_sub(secs - 1);
        let first = first - first % width;
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: BTreeMap<u64, (Bucket, Vec<u64>)> = BTreeMap::new();
        let mut at = first;
        while at <= now {
            out.insert(at, (empty(at), Vec::new()));
            at += width;
        }
        for s in &inner.slots {
            if s.sec < first || s.sec > now || s.sec == 0 {
                continue;
            }
            let start = s.sec - (s.sec - first) % width;
            if let Some((b, waits)) = out.get_mut(&start) {
                b.queued += s.queued;
                b.answered += s.answered;
                b.refused += s.refused;
                b.dead += s.dead;
                b.leased += s.leased;
                waits.extend(&s.waits_ms);
            }
        }
        out.into_values()
            .map(|(mut b, mut waits)| {
                waits.sort_unstable();
                b.wait_p50_ms = percentile(&waits, 0.50);
                b.wait_p95_ms = percentile(&waits, 0.95);
                b.wait_max_ms = waits.last().copied();
                b
            })
            .collect()
    }

    pub fn totals(&self) -> Totals {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).totals
    }

    fn leased_at(&self, sec: u64, wait: Duration) {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.with_slot(sec, |s, _| {
            s.leased += 1;
            if s.waits_ms.len() < WAITS_PER_SEC {
                s.waits_ms.push(ms);
            }
        });
    }
}

fn empty(at: u64) -> Bucket {
    Bucket {
        at,
        queued: 0,
        answered: 0,
        refused: 0,
        dead: 0,
        leased: 0,
        wait_p50_ms: None,
        wait_p95_ms: None,
        wait_max_ms: None,
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

impl Observer for Activity {
    fn refused(&self, _tenant: &str, _user: &str, _limit: &str) {
        self.with_slot(now_sec(), |s, t| {
            s.refused += 1;
            t.refused += 1;
        });
    }

    fn queued(&self, _job_id: &str, _tenant: &str, _user: &str) {
        self.with_slot(now_sec(), |s, t| {
            s.queued += 1;
            t.queued += 1;
        });
    }

    fn leased(&self, _job_id: &str, _tenant: &str, _user: &str, wait: Duration) {
        self.leased_at(now_sec(), wait);
    }

    fn answered(&self, _job_id: &str, _tenant: &str, _user: &str) {
        self.with_slot(now_sec(), |s, t| {
            s.answered += 1;
            t.answered += 1;
        });
    }

    fn failed(&self, _job_id: &str, _tenant: &str, _user: &str, dead: bool) {
        if dead {
            self.with_slot(now_sec(), |s, t| {
                s.dead += 1;
                t.dead += 1;
            });
        }
    }
}

pub async fn route(
    State(a): State<Arc<Admin>>,
    Query(q): Query<ActivityQuery>,
) -> Json<ActivityView> {
    let width = q.bucket.unwrap_or(10).clamp(1, KEPT_SECS);
    Json(ActivityView {
        bucket_secs: width,
        buckets: a.activity.buckets(now_sec(), q.secs.unwrap_or(300), width),
        totals: a.activity.totals(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_fold_into_buckets_with_wait_percentiles() {
        let a = Activity::default();
        let t0 = 1_000_000;
        for ms in 1..=100 {
            a.leased_at(t0 + 1, Duration::from_millis(ms));
        }
        a.leased_at(t0 + 12, Duration::from_millis(7));
        a.with_slot(t0 + 3, |s, t| {
            s.answered += 2;
            t.answered += 2;
        });
        // A slot from an earlier lap of the ring is not counted.
        a.with_slot(t0 + 25 - KEPT_SECS, |s, _| s.answered += 50);
        let b = a.buckets(t0 + 25, 30, 10);
        assert_eq!(
            b.iter().map(|b| b.at).collect::<Vec<_>>(),
            vec![t0 - 10, t0, t0 + 10, t0 + 20]
        );
        assert_eq!(b[1].leased, 100);
        assert_eq!(b[1].answered, 2);
        assert_eq!(
            (b[1].wait_p50_ms, b[1].wait_p95_ms, b[1].wait_max_ms),
            (Some(50), Some(95), Some(100))
        );
        assert_eq!(b[2].wait_p50_ms, Some(7));
        assert_eq!(
            b[3].answered, 0,
            "the old lap's slot was replaced or ignored"
        );
        assert_eq!(b[0].wait_p50_ms, None);
        assert_eq!(a.totals().answered, 2);
    }

    #[test]
    fn a_flood_keeps_a_bounded_sample() {
        let a = Activity::default();
        for _ in 0..10_000 {
            a.leased_at(5_000, Duration::from_millis(1));
        }
        let b = a.buckets(5_000, 1, 1);
        assert_eq!(b[0].leased, 10_000);
        let inner = a.inner.lock().unwrap();
        assert_eq!(
            inner.slots[(5_000 % KEPT_SECS) as usize].waits_ms.len(),
            WAITS_PER_SEC
        );
    }
}
