//! Heartbeats: scheduled check-ins a user turns on with `/heartbeat`. [`schedule`] computes due
//! times (pure); the scheduler claims due schedules from the store and enqueues one job each into
//! the same fair queue as messages, so check-ins obey fairness, quotas and breakers.

pub mod schedule;
pub mod scheduler;

pub use schedule::{Rules, Window, parse_tz, parse_window};

/// A stored schedule's rules (an unknown zone reads as UTC, a broken window as any time).
pub fn rules_of(h: &crate::store::Heartbeat) -> Rules {
    Rules {
        every_minutes: h.every_minutes,
        window: h.active.and_then(|(f, t)| Window::new(f, t)),
        tz: parse_tz(&h.tz).unwrap_or(chrono_tz::Tz::UTC),
    }
}

/// The marker a personality answers with to say nothing at a check-in.
pub const SILENT: &str = "[silent]";

/// True if a check-in answer means "send nothing": empty, or the silent marker (any case, alone or
/// with a few words around it, as models tend to add).
pub fn is_silent(answer: &str) -> bool {
    let a = answer.trim();
    a.is_empty() || (a.to_lowercase().contains(SILENT) && a.chars().count() <= 80)
}

#[cfg(test)]
mod tests {
    #[test]
    fn silence_is_empty_or_the_marker() {
        for quiet in [
            "",
            "  \n",
            "[silent]",
            "[SILENT]",
            " [silent] (nothing new today)",
        ] {
            assert!(super::is_silent(quiet), "{quiet:?}");
        }
        for spoken in [
            "Good morning! How did the interview go?",
            "silent night, holy night",
            &format!("{} [silent]", "a long message ".repeat(10)),
        ] {
            assert!(!super::is_silent(spoken), "{spoken:?}");
        }
    }
}
