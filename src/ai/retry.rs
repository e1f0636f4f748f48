//! When to try a provider again: which statuses are worth another attempt, exponential backoff
//! with jitter, and the wait a provider asks for on 429 (`Retry-After` in seconds or as an HTTP
//! date, `retry-after-ms`, or a `retry_after` field in the JSON body).

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::wire::error_message;
use crate::ai::AiError;

/// The longest wait a worker sleeps through; longer ones go back to the caller as
/// `RateLimited` so a job is postponed instead of blocking a worker.
pub(super) const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);

/// The first backoff; it doubles per failed attempt.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// The longest backoff.
const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// The wait before attempt `failed + 1` after `failed` failed attempts (1-based): 250 ms,
/// 500 ms, 1 s... capped at 8 s, with "equal jitter" (between half and all of it) so many
/// workers failing together do not retry together.
pub(super) fn backoff(failed: u32) -> Duration {
    let doublings = failed.saturating_sub(1).min(16);
    let full = BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_MAX);
    let half = full / 2;
    let jitter_ms = rand::rng().random_range(0..=half.as_millis() as u64);
    half + Duration::from_millis(jitter_ms)
}

/// What to do after attempt number `attempt` (1-based; `last` when none remain) got a non-success
/// `status`: the wait before trying again, or the error to return. `secret` is blanked from
/// provider messages.
pub(super) fn after_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    attempt: u32,
    last: bool,
    secret: Option<&str>,
) -> Result<Duration, AiError> {
    let asked = retry_after(headers, body, SystemTime::now());
    let short = asked.filter(|w| *w <= MAX_INLINE_WAIT);
    if status == StatusCode::TOO_MANY_REQUESTS {
        return match (asked, short) {
            (_, Some(wait)) if !last => Ok(wait),
            // The provider did not say how long: back off as for any transient failure.
            (None, _) if !last => Ok(backoff(attempt)),
            _ => Err(AiError::RateLimited { retry_after: asked }),
        };
    }
    if status.is_server_error() {
        if last {
            return Err(AiError::Server {
                status: status.as_u16(),
            });
        }
        // A short Retry-After on 503 is honoured, never shortening the backoff.
        return Ok(short.map_or_else(|| backoff(attempt), |w| w.max(backoff(attempt))));
    }
    Err(AiError::Refused {
        status: status.as_u16(),
        message: error_message(body, secret),
    })
}

/// How long the provider asked us to wait, if it said: headers first, then the body.
pub(super) fn retry_after(headers: &HeaderMap, body: &[u8], now: SystemTime) -> Option<Duration> {
    header_millis(headers)
        .or_else(|| header_retry_after(headers, now))
        .or_else(|| body_retry_after(body))
}

/// `retry-after-ms` (OpenAI, Azure): milliseconds.
fn header_millis(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after-ms")?.to_str().ok()?;
    let ms: f64 = value.trim().parse().ok()?;
    Duration::try_from_secs_f64(ms / 1000.0).ok()
}

/// `Retry-After`: delay-seconds or an HTTP date (a date in the past means "now").
fn header_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Some(d) = seconds(value) {
        return Some(d);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(at.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `retry_after` (seconds) at the top level or inside `error`, as a number or a numeric string.
fn body_retry_after(body: &[u8]) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = v
        .get("error")
        .and_then(|e| e.get("retry_after"))
        .or_else(|| v.get("retry_after"))?;
    match field {
        serde_json::Value::Number(n) => Duration::try_from_secs_f64(n.as_f64()?).ok(),
        serde_json::Value::String(s) => seconds(s.trim()),
        _ => None,
    }
}

/// A non-negative number of seconds (fractions allowed, as some providers send them).
fn seconds(s: &str) -> Option<Duration> {
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Duration::try_from_secs_f64(s.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for _ in 0..50 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(125) && first <= Duration::from_millis(250));
            let third = backoff(3);
            assert!(third >= Duration::from_millis(500) && third <= Duration::from_secs(1));
            let huge = backoff(u32::MAX);
            assert!(huge >= BACKOFF_MAX / 2 && huge <= BACKOFF_MAX);
        }
    }

    #[test]
    fn reads_retry_after_seconds() {
        let now = SystemTime::now();
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(retry_after(&h, b"", now), Some(Duration::from_secs(7)));
        let h = headers(&[("retry-after", "0.5")]);
        assert_eq!(retry_after(&h, b"", now), Some(Duration::from_millis(500)));
    }

    #[test]
    fn reads_retry_after_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        // 07:28:00 GMT on that day is 10 s after `now`.
        let h = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&h, b"", now), Some(Duration::from_secs(10)));
        let later = now + Duration::from_secs(60);
        assert_eq!(retry_after(&h, b"", later), Some(Duration::ZERO));
    }

    #[test]
    fn prefers_milliseconds_header_then_body_fields() {
        let now = SystemTime::now();
        let h = headers(&[("retry-after-ms", "1500"), ("retry-after", "9")]);
        assert_eq!(retry_after(&h, b"", now), Some(Duration::from_millis(1500)));
        let empty = HeaderMap::new();
        let body = br#"{"error":{"message":"slow down","retry_after":3}}"#;
        assert_eq!(retry_after(&empty, body, now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after(&empty, br#"{"retry_after":"2.5"}"#, now),
            Some(Duration::from_millis(2500))
        );
    }

    fn after(
        status: u16,
        pairs: &[(&'static str, &'static str)],
        last: bool,
    ) -> Result<Duration, AiError> {
        let status = StatusCode::from_u16(status).unwrap();
        after_status(
            status,
            &headers(pairs),
            br#"{"error":{"message":"no"}}"#,
            1,
            last,
            None,
        )
    }

    #[test]
    fn rate_limits_wait_inline_only_when_short_and_attempts_remain() {
        assert_eq!(
            after(429, &[("retry-after", "2")], false),
            Ok(Duration::from_secs(2))
        );
        let limited = |secs| AiError::RateLimited {
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(after(429, &[("retry-after", "6")], false), Err(limited(6)));
        assert_eq!(after(429, &[("retry-after", "2")], true), Err(limited(2)));
        assert!(after(429, &[], false).unwrap() <= Duration::from_millis(250));
        assert_eq!(
            after(429, &[], true),
            Err(AiError::RateLimited { retry_after: None })
        );
    }

    #[test]
    fn server_errors_back_off_and_other_statuses_are_refused() {
        assert!(after(500, &[], false).unwrap() <= Duration::from_millis(250));
        assert_eq!(
            after(503, &[("retry-after", "3")], false),
            Ok(Duration::from_secs(3))
        );
        assert_eq!(after(502, &[], true), Err(AiError::Server { status: 502 }));
        assert_eq!(
            after(404, &[], false),
            Err(AiError::Refused {
                status: 404,
                message: "no".into()
            })
        );
    }

    #[test]
    fn ignores_garbage() {
        let now = SystemTime::now();
        for value in ["soon", "-3", "NaN", "inf", "1e400", ""] {
            let mut h = HeaderMap::new();
            h.insert("retry-after", HeaderValue::from_str(value).unwrap());
            assert_eq!(retry_after(&h, b"not json", now), None, "{value:?}");
        }
        let empty = HeaderMap::new();
        assert_eq!(retry_after(&empty, br#"{"retry_after":-1}"#, now), None);
        assert_eq!(retry_after(&empty, br#"{"retry_after":[1]}"#, now), None);
    }
}
