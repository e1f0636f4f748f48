//! When a user's next check-in is due: every N minutes, but only inside their active hours in
//! their own time zone (a window such as 09:00-21:00, or 22:00-02:00 across midnight). Pure: the
//! scheduler and `/heartbeat` both call it with the time; daylight-saving changes are handled by
//! the time zone database (a window start that does not exist that day moves to the first minute
//! that does).

use std::fmt;

use chrono::{DateTime, Duration as Span, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;

/// Minutes in a day.
const DAY_MINUTES: u16 = 24 * 60;

/// Active hours: minutes after local midnight, `from..to`; `from > to` wraps past midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: u16,
    pub to: u16,
}

impl Window {
    /// A window from stored minutes; `None` if either end is not a time of day or they are equal
    /// (an empty window would never fire).
    pub fn new(from: u16, to: u16) -> Option<Window> {
        (from < DAY_MINUTES && to <= DAY_MINUTES && from != to).then_some(Window { from, to })
    }

    /// Whether a local minute of the day is inside.
    pub fn contains(self, minute: u16) -> bool {
        if self.from < self.to {
            (self.from..self.to).contains(&minute)
        } else {
            minute >= self.from || minute < self.to
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.from), hm(self.to))
    }
}

/// The rules of one user's schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    pub every_minutes: u32,
    pub window: Option<Window>,
    pub tz: Tz,
}

impl Rules {
    /// The first due time strictly after `after_ms`: one interval later, moved to the start of
    /// the next active window if it falls outside one.
    pub fn next_run(&self, after_ms: u64) -> u64 {
        let candidate = after_ms.saturating_add(u64::from(self.every_minutes.max(1)) * 60_000);
        match self.window {
            None => candidate,
            Some(w) => next_inside(w, self.tz, candidate),
        }
    }

    /// True if check-ins may go out at `at_ms` (inside the active hours, or no hours are set): a
    /// check-in found due late, outside them, waits for the next run instead.
    pub fn active_at(&self, at_ms: u64) -> bool {
        self.window
            .is_none_or(|w| next_inside(w, self.tz, at_ms) == at_ms)
    }
}

/// `at_ms` if it is inside the window in `tz`, else the next window start after it.
fn next_inside(w: Window, tz: Tz, at_ms: u64) -> u64 {
    let Some(at) = DateTime::from_timestamp_millis(i64::try_from(at_ms).unwrap_or(i64::MAX)) else {
        return at_ms;
    };
    let local = at.with_timezone(&tz);
    let minute = (local.hour() * 60 + local.minute()) as u16;
    if w.contains(minute) {
        return at_ms;
    }
    let start = NaiveTime::from_hms_opt(u32::from(w.from / 60), u32::from(w.from % 60), 0)
        .unwrap_or(NaiveTime::MIN);
    let day = local.date_naive();
    // The window starts today or tomorrow (a day later still when a DST change skips it).
    (0..3)
        .filter_map(|d| day.checked_add_signed(Span::days(d)))
        .filter_map(|d| local_instant(tz, d, start))
        .map(|t| u64::try_from(t.timestamp_millis()).unwrap_or(0))
        .find(|&t| t >= at_ms)
        .unwrap_or(at_ms)
}

/// The instant of a local date and time; a time skipped by a DST change moves to the first
/// minute after the gap, an ambiguous one takes the earlier instant.
fn local_instant(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Tz>> {
    let mut naive = day.and_time(time);
    for _ in 0..=180 {
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => return Some(t),
            LocalResult::Ambiguous(a, _) => return Some(a),
            LocalResult::None => naive += Span::minutes(1),
        }
    }
    None
}

/// A time zone by IANA name, case-insensitively (`europe/berlin` works); `UTC` too.
pub fn parse_tz(name: &str) -> Option<Tz> {
    let name = name.trim();
    chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
}

/// Active hours as `9-21`, `09:00-21:30` or `22-2` (across midnight); `24` ends a window at
/// midnight. The error says what was expected.
pub fn parse_window(text: &str) -> Result<Window, String> {
    let bad = || format!("{text:?} is not a range of hours; write it like 9-21 or 08:30-22:00");
    let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
    let from = parse_time(a).ok_or_else(bad)?;
    let to = parse_time(b).ok_or_else(bad)?;
    if from >= DAY_MINUTES {
        return Err(bad());
    }
    Window::new(from, to).ok_or_else(|| "the hours must not start and end at the same time".into())
}

/// `9`, `09`, `9:30`, `24` → minutes after midnight.
fn parse_time(s: &str) -> Option<u16> {
    let s = s.trim();
    let (h, m) = s.split_once(':').unwrap_or((s, "0"));
    if h.is_empty() || h.len() > 2 || m.len() > 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests;
