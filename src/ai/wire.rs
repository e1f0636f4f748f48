//! What the two wire formats have in common: the decoded answer, and reading a provider's error
//! message out of an error body (both APIs, and most compatible servers, put it in
//! `error.message`; Ollama and some proxies use a plain `error` string).

use super::note_tool::{ToolRound, ToolTurn};
use crate::ai::AiError;

/// Which request of a completion is being encoded.
#[derive(Clone, Copy, Debug)]
pub(super) enum Stage<'a> {
    /// The first request: offers `save_note` when the caller asked for notes.
    First,
    /// The one follow-up after a tool turn, carrying the turn and its results.
    FollowUp(&'a ToolRound),
}

/// A decoded successful answer, before usage estimation and pricing.
#[derive(Debug)]
pub(super) struct Answer {
    /// The assistant's text (empty when it only called tools).
    pub text: String,
    /// The tools the model asked for, if any.
    pub tool_turn: Option<ToolTurn>,
    /// The model the provider says answered (absent in some compatible servers).
    pub model: Option<String>,
    /// `(input, output)` tokens when the provider reported them.
    pub usage: Option<(u64, u64)>,
}

/// Longest provider error message kept in `AiError::Refused`, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// The provider's error message in an error `body`, cut to a loggable length, with `secret`
/// (the API key, which some providers echo partly or wholly) blanked out.
pub(super) fn error_message(body: &[u8], secret: Option<&str>) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| message_in(&v))
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    let message = match secret {
        Some(s) if !s.is_empty() => message.replace(s, "***"),
        _ => message,
    };
    let message = if message.is_empty() {
        "(no message)".to_owned()
    } else {
        message
    };
    cut(&message, MAX_MESSAGE_CHARS)
}

fn message_in(v: &serde_json::Value) -> Option<String> {
    let error = v.get("error");
    error
        .and_then(|e| e.get("message"))
        .or_else(|| error.filter(|e| e.is_string()))
        .or_else(|| v.get("message"))
        .or_else(|| v.get("detail"))
        .and_then(|m| m.as_str())
        .map(|m| m.trim().to_owned())
}

/// `s` cut to at most `max` characters (on a character boundary), marked with `…` when cut.
pub(super) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// A `Decode` error for a body that did not parse as `what`. serde quotes the offending value
/// (`invalid type: string "..."`), which may be answer text; quoted parts are blanked so the
/// error can be logged.
pub(super) fn decode_error(what: &str, err: &serde_json::Error) -> AiError {
    AiError::Decode(format!("{what}: {}", blank_quoted(&err.to_string())))
}

/// `s` with the contents of every double-quoted part (Rust-escaped) replaced by `…`.
fn blank_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            out.push('…');
            while let Some(q) = chars.next() {
                match q {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    _ => {}
                }
            }
            out.push('"');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openai_and_anthropic_error_messages() {
        let openai =
            br#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
        assert_eq!(error_message(openai, None), "Incorrect API key provided");
        let anthropic =
            br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;
        assert_eq!(error_message(anthropic, None), "invalid x-api-key");
    }

    #[test]
    fn reads_plain_error_strings_and_raw_text() {
        assert_eq!(
            error_message(br#"{"error":"model 'x' not found"}"#, None),
            "model 'x' not found"
        );
        assert_eq!(error_message(b"  Bad Gateway \n", None), "Bad Gateway");
        assert_eq!(error_message(b"", None), "(no message)");
    }

    #[test]
    fn blanks_the_key_and_cuts_long_messages() {
        let body = br#"{"error":{"message":"key sk-secret-123 is revoked"}}"#;
        assert_eq!(
            error_message(body, Some("sk-secret-123")),
            "key *** is revoked"
        );
        let long = "é".repeat(1000);
        let cut_message = error_message(long.as_bytes(), None);
        assert_eq!(cut_message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut_message.ends_with('…'));
    }

    #[test]
    fn decode_errors_do_not_quote_the_answer() {
        let err = serde_json::from_str::<Vec<u8>>(r#""secret \"answer\" text""#).unwrap_err();
        let AiError::Decode(message) = decode_error("message", &err) else {
            panic!("not a decode error");
        };
        assert!(
            !message.contains("secret") && !message.contains("answer"),
            "{message}"
        );
        assert!(
            message.starts_with("message: invalid type: string \"…\""),
            "{message}"
        );
        let err = serde_json::from_str::<Vec<u8>>("{").unwrap_err();
        assert!(matches!(decode_error("m", &err), AiError::Decode(m) if m.contains("line 1")));
    }

    #[test]
    fn cut_keeps_short_strings() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc…");
        assert_eq!(cut("🦀🦀🦀🦀", 2), "🦀🦀…");
    }
}
