//! The validation vocabulary shared by the resolvers: ranges, durations, weights, URLs, names,
//! scope patterns and user keys. Each check records an error at a key path and carries on, so one
//! load reports every mistake.

use std::time::Duration;

use super::error::ConfigError;
use super::path::KeyPath;
use super::tree::Doc;

/// Longest duration accepted anywhere (larger values overflow clocks downstream).
pub(crate) const MAX_SECS: u64 = 366 * 86_400;
/// Largest weight (tenant or user).
pub(crate) const MAX_WEIGHT: f64 = 1_000_000.0;
/// Longest tenant name.
const MAX_TENANT_NAME: usize = 100;

/// Where checks report to.
pub(crate) struct Cx<'d> {
    /// The file being checked: turns key paths into lines (or variables).
    pub doc: &'d Doc<'d>,
    /// Every problem of the load so far.
    pub errors: &'d mut Vec<ConfigError>,
}

impl Cx<'_> {
    pub(crate) fn err(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.errors.push(self.doc.error(path, message));
    }

    /// `value` if it is within `min..=max`.
    pub(crate) fn range<T: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        path: &KeyPath,
        value: T,
        min: T,
        max: T,
    ) -> T {
        if value < min {
            self.err(path, format!("must be at least {min} (got {value})"));
        } else if value > max {
            self.err(path, format!("must be at most {max} (got {value})"));
        }
        value
    }

    /// A duration given in `unit_secs`-second units (`1` for seconds, `3600` for hours).
    pub(crate) fn duration(&mut self, path: &KeyPath, value: u64, unit: TimeUnit) -> Duration {
        let (name, max) = match unit {
            TimeUnit::Millis => ("millisecond", MAX_SECS * 1000),
            TimeUnit::Secs => ("second", MAX_SECS),
            TimeUnit::Hours => ("hour", MAX_SECS / 3600),
        };
        if value == 0 {
            self.err(path, format!("must be at least 1 {name} (got 0)"));
        } else if value > max {
            self.err(
                path,
                format!("must be at most {max} {name}s (366 days) (got {value})"),
            );
        }
        let value = value.min(max);
        match unit {
            TimeUnit::Millis => Duration::from_millis(value),
            TimeUnit::Secs => Duration::from_secs(value),
            TimeUnit::Hours => Duration::from_secs(value * 3600),
        }
    }

    /// A scheduling weight in (0, 1_000_000].
    pub(crate) fn weight(&mut self, path: &KeyPath, w: f64) -> f64 {
        if !(w > 0.0 && w <= MAX_WEIGHT) {
            self.err(
                path,
                format!("must be more than 0 and at most 1000000 (got {w})"),
            );
        }
        w
    }

    /// A non-negative, finite amount of USD.
    pub(crate) fn usd(&mut self, path: &KeyPath, x: f64) -> f64 {
        if !(x.is_finite() && x >= 0.0) {
            self.err(
                path,
                format!("must be an amount in USD, 0 or more (got {x})"),
            );
        }
        x
    }

    /// An `http://` or `https://` URL with a host.
    pub(crate) fn http_url(&mut self, path: &KeyPath, s: &str) {
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            Ok(u) => self.err(
                path,
                format!(
                    "must be an http:// or https:// URL (got scheme {:?})",
                    u.scheme()
                ),
            ),
            Err(e) => self.err(
                path,
                format!("must be an http:// or https:// URL ({e}: {s:?})"),
            ),
        }
    }

    /// A `[a-z0-9_-]` name of at most `max` characters.
    pub(crate) fn slug(&mut self, path: &KeyPath, s: &str, max: usize) {
        let ok = !s.is_empty()
            && s.len() <= max
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            self.err(
                path,
                format!("must be 1 to {max} characters of a-z, 0-9, _ and - (got {s:?})"),
            );
        }
    }

    /// The name of an environment variable.
    pub(crate) fn env_name(&mut self, path: &KeyPath, s: &str) {
        let mut chars = s.chars();
        let ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            self.err(path, format!("must name an environment variable: A-Z, a-z, 0-9 and _, not starting with a digit (got {s:?})"));
        }
    }

    pub(crate) fn tenant_name(&mut self, path: &KeyPath, s: &str) {
        if s.trim().is_empty() {
            self.err(path, "must not be empty");
        } else if s.chars().count() > MAX_TENANT_NAME {
            self.err(
                path,
                format!("must be at most {MAX_TENANT_NAME} characters"),
            );
        } else if s.chars().any(char::is_control) {
            self.err(path, "must not contain control characters");
        } else if scope_key_error(s, false).is_none() {
            self.err(
                path,
                format!("{s:?} is a scope key, which names automatic tenants; pick another name"),
            );
        }
    }

    /// A personality name or alias: one word (it is how users call it: `@aria ...`).
    pub(crate) fn word(&mut self, path: &KeyPath, s: &str) {
        let ok = !s.is_empty()
            && s.chars().count() <= 64
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@');
        if !ok {
            self.err(
                path,
                format!(
                    "must be 1 to 64 characters without spaces, control characters or @ (got {s:?})"
                ),
            );
        }
    }
}

/// Units of duration keys (`_ms`, `_secs`, `_hours`).
#[derive(Clone, Copy)]
pub(crate) enum TimeUnit {
    Millis,
    Secs,
    Hours,
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A simulated tenant or user name.
fn sim_name(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '*')
}

/// Why `s` is not a scope key (or, with `prefix`, not the start of one); `None` if it is.
pub(crate) fn scope_key_error(s: &str, prefix: bool) -> Option<&'static str> {
    const FORMS: &str = "expected discord:guild:<id>, discord:dm, telegram:chat:<id>, \
                         telegram:private or sim:<name>, or a prefix of one ending in *";
    let fixed = ["discord:dm", "telegram:private"];
    let ok = if let Some(id) = s.strip_prefix("discord:guild:") {
        digits(id) || (prefix && id.is_empty())
    } else if let Some(id) = s.strip_prefix("telegram:chat:") {
        let n = id.strip_prefix('-').unwrap_or(id);
        digits(n) || (prefix && n.is_empty())
    } else if let Some(name) = s.strip_prefix("sim:") {
        sim_name(name) || (prefix && name.is_empty())
    } else if prefix {
        fixed
            .iter()
            .chain(&["discord:guild:", "telegram:chat:", "sim:"])
            .any(|k| k.starts_with(s))
    } else {
        fixed.contains(&s)
    };
    (!ok).then_some(FORMS)
}

/// Why `pattern` is not a tenant match pattern; `None` if it is.
pub(crate) fn pattern_error(pattern: &str) -> Option<&'static str> {
    match pattern.strip_suffix('*') {
        Some(prefix) if !prefix.contains('*') => scope_key_error(prefix, true),
        Some(_) => Some("only one *, at the end"),
        None if pattern.contains('*') => Some("only one *, at the end"),
        None => scope_key_error(pattern, false),
    }
}

/// Why `key` is not a user key; `None` if it is.
pub(crate) fn user_key_error(key: &str) -> Option<&'static str> {
    let ok = match key.split_once(':') {
        Some(("discord" | "telegram", id)) => digits(id),
        Some(("sim", name)) => sim_name(name),
        _ => false,
    };
    (!ok).then_some(
        "expected <platform>:<id> with platform discord, telegram or sim, like telegram:42",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_patterns() {
        for ok in [
            "discord:guild:1234",
            "discord:dm",
            "telegram:chat:-100123",
            "telegram:chat:5",
            "telegram:private",
            "sim:acme",
            "discord:guild:*",
            "telegram:chat:*",
            "telegram:chat:-100*",
            "sim:*",
            "*",
            "discord:*",
            "telegram:*",
            "discord:guild:12*",
        ] {
            assert_eq!(pattern_error(ok), None, "{ok}");
        }
        for bad in [
            "",
            "discord:guild:",
            "discord:guild:abc",
            "discord",
            "telegram:chat:",
            "telegram:group:1",
            "slack:*",
            "discord:guild:*:x",
            "*discord",
            "sim:",
            "sim:a b",
            "discord:guild:1**",
            "x*",
        ] {
            assert!(pattern_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn user_keys() {
        for ok in ["telegram:42", "discord:80351110224678912", "sim:alice"] {
            assert_eq!(user_key_error(ok), None, "{ok}");
        }
        for bad in [
            "telegram:",
            "telegram:abc",
            "slack:1",
            "42",
            "discord:-1",
            "sim:",
            "sim:a b",
        ] {
            assert!(user_key_error(bad).is_some(), "{bad}");
        }
    }
}
