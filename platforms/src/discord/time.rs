//! Discord's clocks: the creation time inside every snowflake id, and the RFC 3339 timestamps of
//! message payloads (`2024-05-01T12:34:56.789000+00:00`). Read here by hand so the crate needs no
//! date library; a timestamp that does not parse is `None`, never a panic.

use std::ops::Range;

/// Discord's epoch (the first millisecond of 2015) in Unix milliseconds.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// When the object with this snowflake id was created, in Unix milliseconds.
pub fn snowflake_ms(id: u64) -> u64 {
    (id >> 22) + DISCORD_EPOCH_MS
}

/// Reads an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T` or a space between
/// date and time) as Unix milliseconds. Fractions finer than a millisecond are dropped; a time
/// before 1970, an impossible date, or any other shape is `None`.
pub fn parse_rfc3339_ms(s: &str) -> Option<u64> {
    let b = s.trim().as_bytes();
    let num = |r: Range<usize>| -> Option<i64> {
        let digits = b.get(r)?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, &c| n * 10 + i64::from(c - b'0')))
    };
    let separators_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !separators_ok {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        // 60 is a leap second; it reads as the first second of the next minute.
        || second > 60
    {
        return None;
    }

    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        for k in start..start + 3 {
            millis = millis * 10
                + b.get(k)
                    .filter(|_| k < i)
                    .map_or(0, |c| i64::from(c - b'0'));
        }
    }
    let offset_secs = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' {
                h * 3600 + m * 60
            } else {
                -(h * 3600 + m * 60)
            }
        }
        _ => return None,
    };

    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    u64::try_from(secs.checked_mul(1000)?.checked_add(millis)?).ok()
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The inverse of [`days_from_civil`], to write timestamps in the round-trip test.
    fn civil_from_days(days: i64) -> (i64, i64, i64) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(month <= 2), month, day)
    }

    #[test]
    fn snowflakes_carry_their_creation_time() {
        assert_eq!(snowflake_ms(0), DISCORD_EPOCH_MS);
        // The example snowflake of Discord's documentation: 2016-04-30 11:18:25.796 UTC.
        assert_eq!(snowflake_ms(175_928_847_299_117_063), 1_462_015_105_796);
        assert!(snowflake_ms(u64::MAX) > DISCORD_EPOCH_MS);
    }

    #[test]
    fn reads_discord_timestamps() {
        assert_eq!(
            parse_rfc3339_ms("2015-01-01T00:00:00+00:00"),
            Some(DISCORD_EPOCH_MS)
        );
        assert_eq!(
            parse_rfc3339_ms("2016-04-30T11:18:25.796000+00:00"),
            Some(1_462_015_105_796)
        );
        assert_eq!(
            parse_rfc3339_ms("2016-04-30T11:18:25.796Z"),
            Some(1_462_015_105_796)
        );
        assert_eq!(
            parse_rfc3339_ms("2016-04-30 13:18:25.7+02:00"),
            Some(1_462_015_105_700)
        );
        assert_eq!(
            parse_rfc3339_ms("2016-04-30T06:48:25.79612345-04:30"),
            Some(1_462_015_105_796)
        );
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T23:59:60Z"),
            parse_rfc3339_ms("2024-03-01T00:00:00Z")
        );
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "2016-04-30",
            "2016-04-30T11:18:25",
            "2016-04-30T11:18:25+0000",
            "2016-04-30T11:18:25.Z",
            "2016-04-30T11:18:25.5",
            "2016-04-30T11:18:25ZZ",
            "2016-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2016-04-31T00:00:00Z",
            "2016-04-30T24:00:00Z",
            "2016-04-30T11:60:00Z",
            "2016-04-30T11:00:61Z",
            "2016-04-30T11:00:00+24:00",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+00:01",
            "+016-04-30T11:18:25Z",
            "2016-04-30T11:18:25\u{e9}",
            "２０16-04-30T11:18:25Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panicking(s in "\\PC{0,40}") {
            let _ = parse_rfc3339_ms(&s);
        }

        #[test]
        fn written_times_read_back(ms in 0u64..253_402_300_800_000, micros in 0u32..1000, offset in -1439i64..1440) {
            let local = i64::try_from(ms).unwrap() / 1000 + offset * 60;
            prop_assume!((0..253_402_300_800).contains(&local));
            let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
            let s = local.rem_euclid(86_400);
            let sign = if offset < 0 { '-' } else { '+' };
            let text = format!(
                "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{micros:03}{sign}{:02}:{:02}",
                s / 3600, s / 60 % 60, s % 60, ms % 1000, offset.abs() / 60, offset.abs() % 60
            );
            prop_assert_eq!(parse_rfc3339_ms(&text), Some(ms), "{}", text);
        }
    }
}
