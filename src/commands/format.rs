//! How command answers show numbers, money, dates and usage: one place, so `/status`,
//! `/admin stats` and `/admin user` read alike. Pure.

use chrono::DateTime;

use crate::store::UsageTotals;

/// `$0.0042`, `$1.23`, `$1,234.50`.
pub fn money(usd: f64) -> String {
    if !usd.is_finite() {
        return "unlimited".into();
    }
    if usd != 0.0 && usd.abs() < 0.01 {
        return format!("${usd:.4}");
    }
    let cents = (usd * 100.0).round() as i64;
    format!("${}.{:02}", thousands(cents / 100), (cents % 100).abs())
}

/// `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A count that may be unlimited (`u64::MAX`).
pub fn count(n: u64) -> String {
    if n == u64::MAX {
        "unlimited".into()
    } else {
        thousands(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// `12 requests, 3,456 tokens, $0.01`.
pub fn totals(t: &UsageTotals) -> String {
    format!(
        "{} request{}, {} tokens, {}",
        count(t.requests),
        if t.requests == 1 { "" } else { "s" },
        count(t.tokens()),
        money(t.cost_usd)
    )
}

/// `2026-11-22 14:05 UTC`.
pub fn utc_time(ms: u64) -> String {
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)).map_or_else(
        || "?".into(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// `2026-11-22 15:05 CET`, in a named zone.
pub fn local_time(ms: u64, tz: chrono_tz::Tz) -> String {
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)).map_or_else(
        || "?".into(),
        |t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
    )
}

/// A name for display: control characters removed and length bounded, so a hostile display
/// name cannot garble an admin's listing.
pub fn name(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
    if clean.trim().is_empty() {
        "(no name)".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_naturally() {
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(0.0042), "$0.0042");
        assert_eq!(money(1.234), "$1.23");
        assert_eq!(money(1234.5), "$1,234.50");
        assert_eq!(money(f64::INFINITY), "unlimited");
    }

    #[test]
    fn counts_and_totals() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(count(u64::MAX), "unlimited");
        let t = UsageTotals {
            requests: 1,
            input_tokens: 1000,
            output_tokens: 234,
            cost_usd: 0.5,
        };
        assert_eq!(totals(&t), "1 request, 1,234 tokens, $0.50");
    }

    #[test]
    fn times_and_names() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            local_time(0, chrono_tz::Tz::Asia__Tokyo),
            "1970-01-01 09:00 JST"
        );
        assert_eq!(name("Ada\u{0007}\n Lovelace"), "Ada Lovelace");
        assert_eq!(name("\u{0000}"), "(no name)");
        assert_eq!(name(&"é".repeat(100)).chars().count(), 64);
    }
}
