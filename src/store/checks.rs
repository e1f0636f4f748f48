//! Input checks shared by both backends, so bad input gets the same clear [`StoreError::Invalid`]
//! whichever backend runs, plus the few conversions both need (roles, user search).

use super::{
    ConversationKey, Day, Heartbeat, NOTE_MAX_CHARS, Role, StoreError, StoreResult, UsageKind,
    UsageRecord, UserKey, UserRecord,
};

/// Longest id (tenant, user, place, personality, job id), in bytes.
pub const MAX_ID_BYTES: usize = 512;
/// Longest display name or username, in bytes.
pub const MAX_NAME_BYTES: usize = 4 * 1024;
/// Longest message text, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// Longest setting value, in bytes.
pub const MAX_SETTING_BYTES: usize = 64 * 1024;
/// Times and sequence numbers stay below 2^53 so every backend (Lua numbers included) keeps
/// them exact.
pub const MAX_EXACT: u64 = 1 << 53;
/// Longest usage range, in days (a century).
pub const MAX_RANGE_DAYS: i64 = 36_600;

pub fn id(field: &str, value: &str) -> StoreResult<()> {
    if value.is_empty() {
        return Err(StoreError::Invalid(format!("{field} is empty")));
    }
    if value.len() > MAX_ID_BYTES {
        return Err(StoreError::Invalid(format!(
            "{field} is {} bytes, more than {MAX_ID_BYTES}",
            value.len()
        )));
    }
    Ok(())
}

pub fn user(key: &UserKey) -> StoreResult<()> {
    id("tenant", &key.tenant)?;
    id("user", &key.user)
}

/// A channel activation: its tenant, place and (when setting) personality.
pub fn channel(tenant: &str, place: &str, personality: Option<&str>) -> StoreResult<()> {
    id("tenant", tenant)?;
    id("place", place)?;
    personality.map_or(Ok(()), |p| id("personality", p))
}

pub fn conversation(conv: &ConversationKey) -> StoreResult<()> {
    id("tenant", &conv.tenant)?;
    id("user", &conv.user)?;
    id("place", &conv.place)?;
    id("personality", &conv.personality)
}

pub fn bounded(field: &str, value: &str, max: usize) -> StoreResult<()> {
    if value.len() > max {
        return Err(StoreError::Invalid(format!(
            "{field} is {} bytes, more than {max}",
            value.len()
        )));
    }
    Ok(())
}

pub fn exact(field: &str, value: u64) -> StoreResult<()> {
    if value >= MAX_EXACT {
        return Err(StoreError::Invalid(format!("{field} {value} is too large")));
    }
    Ok(())
}

pub fn keep(keep: usize) -> StoreResult<()> {
    if keep == 0 {
        return Err(StoreError::Invalid("keep must be at least 1".into()));
    }
    Ok(())
}

pub fn usage(rec: &UsageRecord) -> StoreResult<()> {
    user(&UserKey::new(&rec.tenant, &rec.user))?;
    exact("at_ms", rec.at_ms)?;
    exact("input_tokens", rec.input_tokens)?;
    exact("output_tokens", rec.output_tokens)?;
    bounded("provider", &rec.provider, MAX_ID_BYTES)?;
    bounded("model", &rec.model, MAX_ID_BYTES)?;
    if !rec.cost_usd.is_finite() || rec.cost_usd < 0.0 {
        return Err(StoreError::Invalid(format!(
            "cost_usd {} is not a finite amount >= 0",
            rec.cost_usd
        )));
    }
    Ok(())
}

/// A note: not blank, at most [`NOTE_MAX_CHARS`] characters (it is stored as given).
pub fn note(text: &str) -> StoreResult<()> {
    if text.trim().is_empty() {
        return Err(StoreError::Invalid("note is empty".into()));
    }
    let chars = text.chars().count();
    if chars > NOTE_MAX_CHARS {
        return Err(StoreError::Invalid(format!(
            "note is {chars} characters, more than {NOTE_MAX_CHARS}"
        )));
    }
    Ok(())
}

/// A check-in schedule's stored fields. Its rules (interval, active hours, time zone) are the
/// scheduler's to interpret; a nonsensical one never fires rather than being refused here.
pub fn heartbeat(h: &Heartbeat) -> StoreResult<()> {
    if h.every_minutes == 0 {
        return Err(StoreError::Invalid(
            "every_minutes must be at least 1".into(),
        ));
    }
    // Minutes of the day; the end may be 24:00 (as `/heartbeat hours 18-24` sets).
    if let Some((from, to)) = h.active
        && (from >= 24 * 60 || to > 24 * 60)
    {
        return Err(StoreError::Invalid(format!(
            "active hours {from}..{to} are not minutes of a day"
        )));
    }
    bounded("tz", &h.tz, MAX_ID_BYTES)?;
    bounded("personality", &h.personality, MAX_ID_BYTES)?;
    bounded("place", &h.place, MAX_ID_BYTES)?;
    bounded("target", &h.target, MAX_SETTING_BYTES)?;
    exact("next_run_ms", h.next_run_ms)
}

/// `Ok(false)`: the range is empty (`from > to`), nothing to read.
pub fn range(from: Day, to: Day) -> StoreResult<bool> {
    if from > to {
        return Ok(false);
    }
    if to.saturating_sub(from) > MAX_RANGE_DAYS {
        return Err(StoreError::Invalid(format!(
            "day range {from}..={to} is longer than {MAX_RANGE_DAYS} days"
        )));
    }
    Ok(true)
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

pub fn parse_role(s: &str) -> StoreResult<Role> {
    match s {
        "user" => Ok(Role::User),
        "assistant" => Ok(Role::Assistant),
        other => Err(StoreError::Corrupt(format!("unknown role {other:?}"))),
    }
}

pub fn kind_str(kind: UsageKind) -> &'static str {
    match kind {
        UsageKind::Reply => "reply",
        UsageKind::Heartbeat => "heartbeat",
        UsageKind::Command => "command",
    }
}

pub fn parse_kind(s: &str) -> StoreResult<UsageKind> {
    [UsageKind::Reply, UsageKind::Heartbeat, UsageKind::Command]
        .into_iter()
        .find(|k| kind_str(*k) == s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown usage kind {s:?}")))
}

pub fn parse_status(s: &str) -> StoreResult<super::UserStatus> {
    use super::UserStatus::*;
    [Active, Guest, Banned, Inactive]
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown user status {s:?}")))
}

/// A user search: case-insensitive substring of the tenant, user id, display name or username.
pub struct Search(Option<String>);

impl Search {
    pub fn new(search: Option<&str>) -> Self {
        Self(search.filter(|s| !s.is_empty()).map(str::to_lowercase))
    }

    pub fn matches(&self, rec: &UserRecord) -> bool {
        let Some(needle) = &self.0 else {
            return true;
        };
        [
            Some(rec.key.tenant.as_str()),
            Some(rec.key.user.as_str()),
            Some(rec.display_name.as_str()),
            rec.username.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|hay| hay.to_lowercase().contains(needle.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserStatus;

    #[test]
    fn search_folds_case_beyond_ascii() {
        let rec = UserRecord {
            key: UserKey::new("acme", "telegram:42"),
            display_name: "Jürgen ÖSTERLE".into(),
            username: Some("JuergenO".into()),
            first_seen_ms: 1,
            last_seen_ms: 1,
            status: UserStatus::Active,
        };
        assert!(Search::new(Some("österle")).matches(&rec));
        assert!(Search::new(Some("JÜRGEN")).matches(&rec));
        assert!(Search::new(Some("juergeno")).matches(&rec));
        assert!(Search::new(Some("TELEGRAM:4")).matches(&rec));
        assert!(Search::new(None).matches(&rec));
        assert!(!Search::new(Some("bob")).matches(&rec));
    }

    #[test]
    fn bad_input_is_refused_with_the_field_named() {
        let err = id("place", "").unwrap_err().to_string();
        assert!(err.contains("place"), "{err}");
        let long = "x".repeat(MAX_ID_BYTES + 1);
        assert!(matches!(id("user", &long), Err(StoreError::Invalid(_))));
        assert!(matches!(keep(0), Err(StoreError::Invalid(_))));
        assert!(matches!(
            exact("at_ms", u64::MAX),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            range(0, MAX_RANGE_DAYS + 1),
            Err(StoreError::Invalid(_))
        ));
        assert!(!range(5, 4).unwrap());
        assert!(matches!(note(" \t\n"), Err(StoreError::Invalid(_))));
        assert!(note(&"é".repeat(NOTE_MAX_CHARS)).is_ok());
        assert!(matches!(
            note(&"x".repeat(NOTE_MAX_CHARS + 1)),
            Err(StoreError::Invalid(_))
        ));
        let h = Heartbeat {
            enabled: true,
            every_minutes: 60,
            active: Some((22 * 60, 6 * 60)),
            tz: "UTC".into(),
            target: "{}".into(),
            personality: "pirate".into(),
            place: "dm:1".into(),
            next_run_ms: 1,
        };
        assert!(heartbeat(&h).is_ok(), "a window past midnight is fine");
        let to_midnight = Heartbeat {
            active: Some((18 * 60, 24 * 60)),
            ..h.clone()
        };
        assert!(heartbeat(&to_midnight).is_ok(), "a window may end at 24:00");
        for bad in [
            Heartbeat {
                every_minutes: 0,
                ..h.clone()
            },
            Heartbeat {
                active: Some((0, 24 * 60 + 1)),
                ..h.clone()
            },
            Heartbeat {
                active: Some((24 * 60, 60)),
                ..h.clone()
            },
            Heartbeat {
                next_run_ms: MAX_EXACT,
                ..h.clone()
            },
        ] {
            assert!(matches!(heartbeat(&bad), Err(StoreError::Invalid(_))));
        }
    }

    #[test]
    fn notes_are_counted_in_characters_and_must_not_be_blank() {
        for blank in ["", " ", "\n\t "] {
            let err = note(blank).unwrap_err();
            assert!(err.to_string().contains("note"), "{err}");
        }
        assert!(note(&"é".repeat(NOTE_MAX_CHARS)).is_ok());
        assert!(matches!(
            note(&"é".repeat(NOTE_MAX_CHARS + 1)),
            Err(StoreError::Invalid(_))
        ));
        assert!(note("  keep my spaces  ").is_ok());
    }

    #[test]
    fn usage_kinds_round_trip_and_unknown_ones_are_corrupt() {
        for k in [UsageKind::Reply, UsageKind::Heartbeat, UsageKind::Command] {
            assert_eq!(parse_kind(kind_str(k)).unwrap(), k);
            // The stored name is the one exports show.
            assert_eq!(serde_json::to_value(k).unwrap(), kind_str(k));
        }
        assert!(matches!(parse_kind("bulk"), Err(StoreError::Corrupt(_))));
    }
}
