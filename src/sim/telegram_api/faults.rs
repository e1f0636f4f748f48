//! The fake Telegram's refusals: configured faults for a chat (permanent errors, flood control,
//! server errors, entity errors) and the checks the real server applies to every text (empty,
//! too long, bad markup), with Telegram's own status codes and descriptions.

use rand::Rng;
use serde_json::{Value, json};

use super::config::FakeTelegramConfig;
use super::html;
use super::state::State;
use super::updates::detect_entities;

/// Longest message text, in UTF-16 code units.
pub(super) const MAX_TEXT: usize = 4096;
/// Longest caption, in UTF-16 code units.
pub(super) const MAX_CAPTION: usize = 1024;

/// An error answer: `{"ok":false,"error_code":..,"description":..,"parameters":..}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TgError {
    pub code: u16,
    pub description: String,
    /// `parameters.retry_after` (flood control only).
    pub retry_after: Option<u64>,
}

impl TgError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    /// A 400 "Bad Request: ..." (the description passed in already says so).
    pub fn bad(description: impl Into<String>) -> Self {
        Self::new(400, description)
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(secs) = self.retry_after {
            body["parameters"] = json!({ "retry_after": secs });
        }
        body
    }
}

impl From<String> for TgError {
    /// Parameter errors are all "Bad Request".
    fn from(description: String) -> Self {
        Self::bad(description)
    }
}

/// A request naming `chat` meets the chat's permanent error, if it has one.
pub(super) fn permanent(cfg: &FakeTelegramConfig, chat: i64) -> Result<(), TgError> {
    match cfg.chat(chat).permanent {
        Some(error) => {
            let (code, description) = error.answer();
            Err(TgError::new(code, description))
        }
        None => Ok(()),
    }
}

/// A message send to `chat` meets the injected server errors and flood control, in that order.
/// A 429 uses up one of the chat's armed refusals.
pub(super) fn send_gate(
    state: &mut State,
    cfg: &FakeTelegramConfig,
    chat: i64,
) -> Result<(), TgError> {
    permanent(cfg, chat)?;
    if cfg.server_error_rate > 0.0 && state.rng.random::<f64>() < cfg.server_error_rate {
        return Err(TgError::new(500, "Internal Server Error"));
    }
    let chat_state = state.chat_mut(chat);
    if chat_state.throttle_left > 0 {
        chat_state.throttle_left -= 1;
        let secs = cfg
            .chat(chat)
            .throttle
            .map_or(1, |t| t.retry_after_secs.max(1));
        return Err(TgError {
            code: 429,
            description: format!("Too Many Requests: retry after {secs}"),
            retry_after: Some(secs),
        });
    }
    Ok(())
}

/// Whether a text is a message's text or a caption (they have different limits and errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Body {
    Text,
    Caption,
}

/// Checks a text or caption as Telegram does and returns the visible text and its entities.
/// HTML is parsed for real; Markdown modes are accepted as they are (counted raw, no
/// entities); plain texts get the mentions and commands Telegram finds by itself.
pub(super) fn check_text(
    cfg: &FakeTelegramConfig,
    chat: i64,
    text: &str,
    parse_mode: Option<&str>,
    body: Body,
) -> Result<html::Parsed, TgError> {
    let mode = parse_mode.filter(|m| !m.is_empty());
    if mode.is_some() && (cfg.reject_parse_mode || cfg.chat(chat).reject_parse_mode) {
        return Err(TgError::bad(
            "Bad Request: can't parse entities: Can't find end of the entity starting at byte \
             offset 0",
        ));
    }
    let parsed = match mode.map(str::to_ascii_lowercase).as_deref() {
        None => html::Parsed {
            text: text.to_owned(),
            entities: detect_entities(text),
        },
        Some("html") => html::parse(text)
            .map_err(|e| TgError::bad(format!("Bad Request: can't parse entities: {e}")))?,
        Some("markdown" | "markdownv2") => html::Parsed {
            text: text.to_owned(),
            entities: Vec::new(),
        },
        Some(_) => return Err(TgError::bad("Bad Request: unsupported parse_mode")),
    };
    let len = parsed.text.encode_utf16().count();
    match body {
        Body::Text if parsed.text.trim().is_empty() => {
            Err(TgError::bad("Bad Request: message text is empty"))
        }
        Body::Text if len > MAX_TEXT => Err(TgError::bad("Bad Request: message is too long")),
        Body::Caption if len > MAX_CAPTION => {
            Err(TgError::bad("Bad Request: message caption is too long"))
        }
        _ => Ok(parsed),
    }
}
