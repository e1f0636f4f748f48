//! Days and months for the usage aggregates: which month a day belongs to, and how a day range
//! splits into whole months (read from the per-month aggregates) and loose days (read from the
//! per-day ones), so a year-long report reads about a dozen rows instead of 365.

use super::Day;

/// Months since the epoch's year 0 (`year * 12 + month0`), a dense index that sorts by time.
pub type Month = i64;

/// The (proleptic Gregorian, UTC) month holding `day`.
pub fn month_of(day: Day) -> Month {
    let (year, month, _) = civil_from_days(day);
    year * 12 + (month - 1)
}

/// The first day of `month`.
pub fn first_day(month: Month) -> Day {
    let year = month.div_euclid(12);
    let month0 = month.rem_euclid(12);
    days_from_civil(year, month0 + 1, 1)
}

/// `YYYY-MM`, for exports.
pub fn month_label(month: Month) -> String {
    format!(
        "{:04}-{:02}",
        month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

/// A piece of a day range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// The days `from..=to`, all inside one month.
    Days(Day, Day),
    /// A whole month.
    Month(Month),
}

/// Splits `from..=to` into whole months and the loose days at either end (empty if `from > to`).
pub fn split(from: Day, to: Day) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut day = from;
    while day <= to {
        let month = month_of(day);
        let first = first_day(month);
        let last = first_day(month + 1) - 1;
        if day == first && last <= to {
            spans.push(Span::Month(month));
            day = last + 1;
        } else {
            let end = last.min(to);
            spans.push(Span::Days(day, end));
            day = end + 1;
        }
    }
    spans
}

/// (year, month 1..=12, day 1..=31) of a day number (Howard Hinnant's algorithm).
fn civil_from_days(z: Day) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The day number of a civil date (inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: i64, d: i64) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-01-01 as days since the epoch.
    const JAN_1_2025: Day = 20_089;

    #[test]
    fn months_and_labels_match_the_calendar() {
        assert_eq!(month_label(month_of(0)), "1970-01");
        assert_eq!(month_label(month_of(JAN_1_2025)), "2025-01");
        assert_eq!(month_label(month_of(JAN_1_2025 + 31)), "2025-02");
        assert_eq!(month_label(month_of(JAN_1_2025 - 1)), "2024-12");
        // 2024 is a leap year: Feb 29 exists, Mar 1 is day 60 of the year.
        assert_eq!(month_label(month_of(JAN_1_2025 - 366 + 59)), "2024-02");
        assert_eq!(month_label(month_of(JAN_1_2025 - 366 + 60)), "2024-03");
        assert_eq!(first_day(month_of(JAN_1_2025 + 40)), JAN_1_2025 + 31);
        assert_eq!(month_label(month_of(-1)), "1969-12");
    }

    #[test]
    fn ranges_split_into_whole_months_and_loose_days() {
        let feb = month_of(JAN_1_2025 + 31);
        let jan = month_of(JAN_1_2025);
        // Jan 30 ..= Mar 2: two loose days, all of February, two loose days.
        assert_eq!(
            split(JAN_1_2025 + 29, JAN_1_2025 + 31 + 28 + 1),
            vec![
                Span::Days(JAN_1_2025 + 29, JAN_1_2025 + 30),
                Span::Month(feb),
                Span::Days(JAN_1_2025 + 59, JAN_1_2025 + 60),
            ]
        );
        assert_eq!(split(JAN_1_2025, JAN_1_2025 + 30), vec![Span::Month(jan)]);
        assert_eq!(
            split(JAN_1_2025 + 3, JAN_1_2025 + 3),
            vec![Span::Days(JAN_1_2025 + 3, JAN_1_2025 + 3)]
        );
        assert!(split(5, 4).is_empty());
    }
}
