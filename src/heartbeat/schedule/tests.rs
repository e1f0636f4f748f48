use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use super::*;

/// Unix ms of a UTC time.
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> u64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp_millis() as u64
}

/// Unix ms of a local time in `tz`.
fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> u64 {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .timestamp_millis() as u64
}

fn rules(every: u32, window: Option<&str>, tz: Tz) -> Rules {
    Rules {
        every_minutes: every,
        window: window.map(|w| parse_window(w).unwrap()),
        tz,
    }
}

#[test]
fn without_hours_it_is_one_interval_later() {
    let r = rules(90, None, Tz::UTC);
    assert_eq!(r.next_run(utc(2026, 3, 1, 23, 0)), utc(2026, 3, 2, 0, 30));
}

#[test]
fn inside_the_window_it_is_one_interval_later() {
    let r = rules(60, Some("9-21"), Tz::Europe__Berlin);
    let at = local(Tz::Europe__Berlin, 2026, 6, 10, 12, 0);
    assert_eq!(
        r.next_run(at),
        local(Tz::Europe__Berlin, 2026, 6, 10, 13, 0)
    );
}

#[test]
fn past_the_window_it_waits_for_the_next_local_morning() {
    let berlin = Tz::Europe__Berlin;
    let r = rules(60, Some("9-21"), berlin);
    // 20:30 + 1 h = 21:30, outside: next day 09:00 Berlin time (07:00 UTC in summer).
    let at = local(berlin, 2026, 6, 10, 20, 30);
    assert_eq!(r.next_run(at), utc(2026, 6, 11, 7, 0));
    // Before the window opens: the same day's start.
    let early = local(berlin, 2026, 6, 10, 5, 0);
    assert_eq!(r.next_run(early), local(berlin, 2026, 6, 10, 9, 0));
}

#[test]
fn windows_across_midnight() {
    let r = rules(30, Some("22-2"), Tz::UTC);
    assert_eq!(r.next_run(utc(2026, 1, 1, 23, 50)), utc(2026, 1, 2, 0, 20));
    assert_eq!(r.next_run(utc(2026, 1, 2, 1, 45)), utc(2026, 1, 2, 22, 0));
    assert_eq!(r.next_run(utc(2026, 1, 2, 12, 0)), utc(2026, 1, 2, 22, 0));
}

#[test]
fn a_window_start_skipped_by_daylight_saving_moves_to_the_first_real_minute() {
    let berlin = Tz::Europe__Berlin;
    // 2026-03-29 02:00 -> 03:00 in Berlin: a window starting 02:30 opens at 03:00 that day.
    let r = rules(60, Some("02:30-05:00"), berlin);
    let at = local(berlin, 2026, 3, 28, 22, 0);
    assert_eq!(r.next_run(at), local(berlin, 2026, 3, 29, 3, 0));
}

#[test]
fn long_intervals_land_inside_the_window() {
    let tokyo = Tz::Asia__Tokyo;
    let r = rules(24 * 60 + 30, Some("8-9"), tokyo);
    let at = local(tokyo, 2026, 5, 1, 8, 40);
    // A day and 30 minutes later is 09:10: past the window, so the morning after.
    assert_eq!(r.next_run(at), local(tokyo, 2026, 5, 3, 8, 0));
}

#[test]
fn every_run_is_strictly_later_and_inside_the_window() {
    let ny = Tz::America__New_York;
    let r = rules(45, Some("07:15-23:40"), ny);
    let mut t = utc(2026, 3, 1, 0, 0);
    for _ in 0..2000 {
        let next = r.next_run(t);
        assert!(next > t);
        let l = chrono::DateTime::from_timestamp_millis(next as i64)
            .unwrap()
            .with_timezone(&ny);
        let minute = (l.hour() * 60 + l.minute()) as u16;
        assert!(r.window.unwrap().contains(minute), "{l} outside");
        t = next;
    }
}

#[test]
fn hours_parse_and_reject_clearly() {
    assert_eq!(
        parse_window("9-21"),
        Ok(Window {
            from: 540,
            to: 1260
        })
    );
    assert_eq!(
        parse_window(" 08:30 - 22:05 "),
        Ok(Window {
            from: 510,
            to: 1325
        })
    );
    assert_eq!(parse_window("22-24").unwrap().to_string(), "22:00-24:00");
    assert_eq!(parse_window("23-2").unwrap().to_string(), "23:00-02:00");
    for bad in [
        "",
        "9",
        "9-",
        "25-3",
        "9:60-10",
        "nine-ten",
        "9-21-3",
        "-1-4",
        "0900-1000",
    ] {
        let e = parse_window(bad).unwrap_err();
        assert!(e.contains("9-21"), "{bad}: {e}");
    }
    assert!(parse_window("9-9").unwrap_err().contains("same time"));
    assert!(parse_window("0-24").is_ok(), "all day");
}

#[test]
fn time_zones_by_name_in_any_case() {
    assert_eq!(parse_tz("europe/berlin"), Some(Tz::Europe__Berlin));
    assert_eq!(parse_tz("UTC"), Some(Tz::UTC));
    assert_eq!(parse_tz("Mars/Olympus"), None);
    assert_eq!(parse_tz(""), None);
}

#[test]
fn active_hours_are_checked_in_the_users_zone() {
    let paris = parse_tz("Europe/Paris").unwrap();
    let r = rules(60, Some("09:00-21:00"), paris);
    assert!(r.active_at(local(paris, 2025, 1, 6, 9, 0)));
    assert!(r.active_at(local(paris, 2025, 1, 6, 20, 59)));
    assert!(!r.active_at(local(paris, 2025, 1, 6, 21, 30)));
    // 08:30 UTC is 09:30 in Paris in winter.
    assert!(r.active_at(utc(2025, 1, 6, 8, 30)));
    assert!(!r.active_at(utc(2025, 1, 6, 7, 30)));
    let night = rules(60, Some("22:00-06:00"), Tz::UTC);
    assert!(night.active_at(utc(2025, 1, 6, 23, 0)) && night.active_at(utc(2025, 1, 6, 5, 0)));
    assert!(!night.active_at(utc(2025, 1, 6, 12, 0)));
    assert!(rules(60, None, Tz::UTC).active_at(utc(2025, 1, 6, 3, 0)));
}
