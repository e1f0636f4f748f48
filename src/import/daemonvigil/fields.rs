//! The JSON plumbing under the DaemonVigil parsers: lists with the line each entry starts on,
//! typed fields with reasons that never quote content, DaemonVigil's times, Telegram ids, and the
//! stable digest import ids are made of.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime};
use serde_json::value::RawValue;
use serde_json::{Map, Value, error::Category};

use super::Issue;

/// One entry of a list: its object, or why it is not one.
pub(super) type Entry = Result<Map<String, Value>, String>;

/// The entries of `{"<key>": [ ... ]}` as (index, line, entry); the whole file fails only when it
/// is not JSON or not of that shape.
pub(super) fn list(text: &str, key: &str) -> Result<Vec<(usize, usize, Entry)>, Issue> {
    let shape = || Issue::at(Some(1), format!("expected an object with a \"{key}\" list"));
    let top: BTreeMap<String, &RawValue> = match serde_json::from_str(text) {
        Ok(t) => t,
        Err(e) if e.classify() == Category::Data => return Err(shape()),
        Err(e) => return Err(json_error(&e)),
    };
    let Some(raw) = top.get(key) else {
        return Err(shape());
    };
    let entries: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| shape())?;
    let mut lines = LineCounter::new(text);
    let mut out = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let line = lines.line_of(entry.get());
        let map = match serde_json::from_str::<Value>(entry.get()) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err("is not a JSON object".to_owned()),
        };
        out.push((index, line, map));
    }
    Ok(out)
}

/// 1-based line numbers of slices of one text, asked in increasing order.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line `part` (a slice of the text) starts on.
    fn line_of(&mut self, part: &str) -> usize {
        let at = (part.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        if at <= self.text.len() && at >= self.offset {
            self.line += self.text.as_bytes()[self.offset..at]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.offset = at;
        }
        self.line
    }
}

pub(super) fn json_error(e: &serde_json::Error) -> Issue {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let what = full.strip_suffix(&suffix).unwrap_or(&full);
    let what = match e.classify() {
        Category::Syntax | Category::Eof => what.to_owned(),
        Category::Data | Category::Io => "unexpected structure".to_owned(),
    };
    Issue::at(
        Some(e.line().max(1)),
        format!("not valid JSON ({what}, column {})", e.column()),
    )
}

pub(super) fn text_field<'m>(m: &'m Map<String, Value>, key: &str) -> Result<&'m str, String> {
    match m.get(key) {
        None | Some(Value::Null) => Err(format!("has no \"{key}\"")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("has a \"{key}\" that is not text")),
    }
}

pub(super) fn non_empty<'m>(m: &'m Map<String, Value>, key: &str) -> Result<&'m str, String> {
    text_field(m, key).and_then(|s| {
        if s.trim().is_empty() {
            Err(format!("has an empty \"{key}\""))
        } else {
            Ok(s)
        }
    })
}

pub(super) fn time_field(m: &Map<String, Value>, key: &str) -> Result<u64, String> {
    timestamp(text_field(m, key)?).ok_or_else(|| format!("has a \"{key}\" that is not a date"))
}

/// A Telegram id (string or number in the file) as digits, an optional leading `-` for groups.
pub(super) fn id_field(m: &Map<String, Value>, key: &str) -> Result<String, String> {
    let id = match m.get(key) {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        None | Some(Value::Null) => return Err(format!("has no \"{key}\"")),
        Some(_) => return Err(format!("has a \"{key}\" that is not an id")),
    };
    if telegram_id(&id) {
        Ok(id)
    } else {
        Err(format!("has a \"{key}\" that is not a Telegram id"))
    }
}

/// Whether `s` is a Telegram user or chat id: digits, with a `-` for groups.
pub fn telegram_id(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A DaemonVigil time (ISO 8601; no offset means UTC) in Unix ms.
pub fn timestamp(s: &str) -> Option<u64> {
    let s = s.trim();
    let ms = DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp_millis())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
                .map(|n| n.and_utc().timestamp_millis())
        })
        .ok()?;
    u64::try_from(ms).ok().filter(|ms| *ms < 1 << 53)
}

/// `HH:MM` (24-hour) as minutes of the day.
pub(super) fn hh_mm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.trim().len() == 5).then_some(h * 60 + m)
}

/// A short stable digest (64-bit FNV-1a, hex) of a text: part of import ids, so it must never
/// change between versions (std's hasher may).
pub fn fingerprint(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
