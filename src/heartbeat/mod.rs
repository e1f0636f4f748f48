//! Heartbeats: scheduled check-ins a user turns on with `/heartbeat`. [`schedule`] computes due
//! times (pure); the scheduler claims due schedules from the store and enqueues one job each into
//! the same fair queue as messages, so check-ins obey fairness, quotas and breakers.

pub mod schedule;

pub use schedule::{Rules, Window, parse_tz, parse_window};

/// A stored schedule's rules (an unknown zone reads as UTC, a broken window as any time).
pub fn rules_of(h: &crate::store::Heartbeat) -> Rules {
    Rules {
        every_minutes: h.every_minutes,
        window: h.active.and_then(|(f, t)| Window::new(f, t)),
        tz: parse_tz(&h.tz).unwrap_or(chrono_tz::Tz::UTC),
    }
}
