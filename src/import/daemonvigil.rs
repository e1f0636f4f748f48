//! DaemonVigil's files read into plain structs, so the import can be tested without a store and the
//! store side never sees a JSON value. Pure: text in, items and issues out.
//!
//! The formats (DaemonVigil's `src/storage.py` and `src/usage_tracker.py`):
//! - `messages.json`: `{"messages": [{"timestamp", "role": "user"|"assistant", "content"}]}`,
//!   oldest first, only ever appended to;
//! - `scratchpad.json`: `{"notes": [{"timestamp", "note"}]}`;
//! - `api_usage.jsonl`: one object per line with `input_tokens`, `output_tokens`, `total_cost`,
//!   `model`, `timestamp`, `request_type` (`heartbeat` or `user_response`) and, in the multi-user
//!   layout, `user_id` (`"unknown"` when the bot did not know);
//! - `users.json`: `{"users": [{"user_id", "telegram_username", "telegram_first_name",
//!   "registered_at", "last_seen", "status"}]}`;
//! - `users/<id>/user_config.json`: `model`, `heartbeat_enabled`, `heartbeat_interval_minutes`,
//!   `max_context_messages`, and in later versions `timezone` and `quiet_hours_*`.
//!
//! Timestamps are Python's `utcnow().isoformat() + "Z"`. An issue never quotes message content:
//! it says where (the 1-based line) and what was wrong.

mod fields;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

pub use self::fields::{fingerprint, telegram_id, timestamp};
use self::fields::{hh_mm, id_field, json_error, list, non_empty, text_field, time_field};
use crate::store::Role;

/// Something wrong in a source file; the item it concerns is skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// What was wrong, without quoting the content.
    pub reason: String,
}

impl Issue {
    fn at(line: Option<usize>, reason: impl Into<String>) -> Issue {
        Issue {
            line,
            reason: reason.into(),
        }
    }
}

/// A file's usable items, and the issues of the ones that were not.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed<T> {
    pub items: Vec<T>,
    pub issues: Vec<Issue>,
}

/// One message of `messages.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Position in the file's list (malformed entries count): stable, since the list only grows.
    pub index: usize,
    /// Where it starts, for problems found later (the store refusing it).
    pub line: usize,
    pub role: Role,
    pub text: String,
    pub at_ms: u64,
}

/// One note of `scratchpad.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// Position in the file's list, as for messages.
    pub index: usize,
    pub line: usize,
    pub text: String,
    pub at_ms: u64,
}

/// One line of `api_usage.jsonl`.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub line: usize,
    /// Whose request (multi-user layout); `None` when absent or `"unknown"`.
    pub user_id: Option<String>,
    pub at_ms: u64,
    pub model: String,
    /// Set when the record names one (DaemonVigil only ever called Anthropic).
    pub provider: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// `total_cost`, when recorded.
    pub cost_usd: Option<f64>,
    /// A scheduled check-in rather than an answer.
    pub heartbeat: bool,
}

impl Usage {
    /// What identifies this request whatever the line looks like (the multi-user migration
    /// rewrites every line to add `user_id`, and identical requests are told apart by the caller).
    pub fn fingerprint(&self) -> String {
        fingerprint(&format!(
            "{}|{}|{}|{}|{:?}",
            self.at_ms, self.model, self.input_tokens, self.output_tokens, self.cost_usd
        ))
    }
}

/// A user's status in DaemonVigil's registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    Inactive,
    Banned,
}

/// One user of `users.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub line: usize,
    /// The Telegram chat id (= user id for private chats), digits.
    pub id: String,
    pub first_name: Option<String>,
    pub username: Option<String>,
    pub registered_ms: Option<u64>,
    pub last_seen_ms: Option<u64>,
    pub status: Status,
}

/// A user's `user_config.json`, with what switchboard can map typed and the rest kept as text.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct UserConfig {
    pub model: Option<String>,
    pub heartbeat_enabled: Option<bool>,
    pub heartbeat_every_minutes: Option<u32>,
    /// IANA name, as DaemonVigil stored it (not checked here).
    pub timezone: Option<String>,
    /// Quiet hours `(start, end)` in minutes of the day, when enabled.
    pub quiet_hours: Option<(u16, u16)>,
    /// Every other key (bookkeeping keys aside), its value as text.
    pub extra: BTreeMap<String, String>,
}

impl UserConfig {
    /// Whether it says anything about check-ins.
    pub fn has_heartbeat(&self) -> bool {
        self.heartbeat_enabled.is_some()
            || self.heartbeat_every_minutes.is_some()
            || self.timezone.is_some()
            || self.quiet_hours.is_some()
    }
}

/// Keys of `user_config.json` that are bookkeeping, not preferences.
const CONFIG_BOOKKEEPING: [&str; 3] = ["user_id", "created_at", "updated_at"];

/// `messages.json`.
pub fn messages(text: &str) -> Result<Parsed<Message>, Issue> {
    let mut out = Parsed::empty();
    for (index, line, entry) in list(text, "messages")? {
        match entry.and_then(message) {
            Ok((role, text, at_ms)) => out.items.push(Message {
                index,
                line,
                role,
                text,
                at_ms,
            }),
            Err(reason) => out.issue(line, index, "message", reason),
        }
    }
    Ok(out)
}

fn message(entry: Map<String, Value>) -> Result<(Role, String, u64), String> {
    let role = match text_field(&entry, "role")? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        _ => return Err("has a \"role\" that is neither \"user\" nor \"assistant\"".into()),
    };
    let content = non_empty(&entry, "content")?;
    Ok((role, content.to_owned(), time_field(&entry, "timestamp")?))
}

/// `scratchpad.json`.
pub fn notes(text: &str) -> Result<Parsed<Note>, Issue> {
    let mut out = Parsed::empty();
    for (index, line, entry) in list(text, "notes")? {
        let note = entry.and_then(|e| {
            Ok((
                non_empty(&e, "note")?.to_owned(),
                time_field(&e, "timestamp")?,
            ))
        });
        match note {
            Ok((text, at_ms)) => out.items.push(Note {
                index,
                line,
                text,
                at_ms,
            }),
            Err(reason) => out.issue(line, index, "note", reason),
        }
    }
    Ok(out)
}

/// `users.json`. A user listed twice keeps its first entry.
pub fn users(text: &str) -> Result<Parsed<User>, Issue> {
    let mut out = Parsed::empty();
    let mut seen = BTreeSet::new();
    for (index, line, entry) in list(text, "users")? {
        let found = entry.and_then(|e| Ok((id_field(&e, "user_id")?, e)));
        let (id, entry) = match found {
            Ok(found) => found,
            Err(reason) => {
                out.issue(line, index, "user", reason);
                continue;
            }
        };
        if !seen.insert(id.clone()) {
            out.issue(line, index, "user", "has a \"user_id\" listed before");
            continue;
        }
        let optional = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
        let status = match entry.get("status").and_then(Value::as_str) {
            Some("banned") => Status::Banned,
            Some("inactive") => Status::Inactive,
            _ => Status::Active,
        };
        out.items.push(User {
            line,
            id,
            first_name: optional("telegram_first_name").filter(|n| !n.trim().is_empty()),
            username: optional("telegram_username").filter(|n| !n.trim().is_empty()),
            registered_ms: optional("registered_at").and_then(|t| timestamp(&t)),
            last_seen_ms: optional("last_seen").and_then(|t| timestamp(&t)),
            status,
        });
    }
    Ok(out)
}

/// `user_config.json`: one object; a field of the wrong type is an issue and left out.
pub fn user_config(text: &str) -> Result<(UserConfig, Vec<Issue>), Issue> {
    let map: Map<String, Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(Issue::at(Some(1), "expected a JSON object")),
        Err(e) => return Err(json_error(&e)),
    };
    let mut cfg = UserConfig::default();
    let mut issues = Vec::new();
    let mut bad = |key: &str, what: &str| {
        issues.push(Issue::at(None, format!("\"{key}\" is not {what}; ignored")));
    };
    for (key, value) in &map {
        match key.as_str() {
            "model" => match value.as_str() {
                Some(m) if !m.trim().is_empty() => cfg.model = Some(m.trim().to_owned()),
                _ => bad(key, "a model name"),
            },
            "heartbeat_enabled" => match value.as_bool() {
                Some(b) => cfg.heartbeat_enabled = Some(b),
                None => bad(key, "true or false"),
            },
            "heartbeat_interval_minutes" => {
                match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) if n > 0 => cfg.heartbeat_every_minutes = Some(n),
                    _ => bad(key, "a whole number of minutes"),
                }
            }
            "timezone" => match value.as_str() {
                Some(tz) if !tz.trim().is_empty() => cfg.timezone = Some(tz.trim().to_owned()),
                _ => bad(key, "a time zone name"),
            },
            // Read together below.
            "quiet_hours_enabled" | "quiet_hours_start" | "quiet_hours_end" => {}
            k if CONFIG_BOOKKEEPING.contains(&k) => {}
            _ => {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                cfg.extra.insert(key.clone(), text);
            }
        }
    }
    if map.get("quiet_hours_enabled").and_then(Value::as_bool) == Some(true) {
        let at = |key: &str| map.get(key).and_then(Value::as_str).and_then(hh_mm);
        match (at("quiet_hours_start"), at("quiet_hours_end")) {
            (Some(s), Some(e)) if s != e => cfg.quiet_hours = Some((s, e)),
            (Some(_), Some(_)) => {}
            _ => issues.push(Issue::at(None, "quiet hours are not HH:MM times; ignored")),
        }
    }
    Ok((cfg, issues))
}

/// `api_usage.jsonl`: every line stands alone, so there is no whole-file failure.
pub fn usage(bytes: &[u8]) -> Parsed<Usage> {
    let mut out = Parsed::empty();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            out.issues.push(Issue::at(Some(line), "not UTF-8 text"));
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let entry = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                out.issues
                    .push(Issue::at(Some(line), "not a JSON object; skipped"));
                continue;
            }
            Err(e) => {
                let mut issue = json_error(&e);
                issue.line = Some(line);
                issue.reason.push_str("; skipped");
                out.issues.push(issue);
                continue;
            }
        };
        match usage_line(&entry, line) {
            Ok(u) => out.items.push(u),
            Err(reason) => out
                .issues
                .push(Issue::at(Some(line), format!("record {reason}; skipped"))),
        }
    }
    out
}

fn usage_line(entry: &Map<String, Value>, line: usize) -> Result<Usage, String> {
    let count = |key: &str| match entry.get(key) {
        None => Err(format!("has no \"{key}\"")),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| format!("has an \"{key}\" that is not a whole number")),
    };
    let cost_usd = match entry.get("total_cost") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|c| c.is_finite() && *c >= 0.0)
                .ok_or("has a \"total_cost\" that is not an amount")?,
        ),
    };
    let user_id = match entry.get("user_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() || s.trim() == "unknown" => None,
        Some(_) => Some(id_field(entry, "user_id")?),
    };
    Ok(Usage {
        line,
        user_id,
        at_ms: time_field(entry, "timestamp")?,
        model: non_empty(entry, "model")?.trim().to_owned(),
        provider: entry
            .get("provider")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        input_tokens: count("input_tokens")?,
        output_tokens: count("output_tokens")?,
        cost_usd,
        heartbeat: entry.get("request_type").and_then(Value::as_str) == Some("heartbeat"),
    })
}

impl<T> Parsed<T> {
    fn empty() -> Self {
        Parsed {
            items: Vec::new(),
            issues: Vec::new(),
        }
    }

    fn issue(&mut self, line: usize, index: usize, what: &str, reason: impl Into<String>) {
        self.issues.push(Issue::at(
            Some(line),
            format!("{what} #{} {}; skipped", index + 1, reason.into()),
        ));
    }
}

#[cfg(test)]
mod tests;
