//! Reading Telegram message entities: spans located in UTF-16 code units, which must be mapped to
//! byte ranges of a Rust `&str` without ever panicking on a bad offset (an entity that does not
//! fit the text is treated as absent). Also finds and removes the bot's own mentions, and
//! resolves `/cmd@bot` commands, so the AI sees the message as the user meant it.

use std::ops::Range;

use super::update::Entity;

/// The byte range of the UTF-16 span `offset..offset + length` of `s`, or `None` when the span
/// is negative, runs past the end, or starts or ends inside a surrogate pair.
pub fn utf16_range(s: &str, offset: i64, length: i64) -> Option<Range<usize>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(length).ok()?)?;
    let start_byte = byte_at_unit(s, start)?;
    let end_byte = start_byte + byte_at_unit(&s[start_byte..], end - start)?;
    Some(start_byte..end_byte)
}

/// The UTF-16 span `offset..offset + length` of `s`, when it fits (see [`utf16_range`]).
pub fn utf16_slice(s: &str, offset: i64, length: i64) -> Option<&str> {
    utf16_range(s, offset, length).and_then(|r| s.get(r))
}

/// The byte offset of the char boundary `units` UTF-16 code units into `s`.
fn byte_at_unit(s: &str, units: usize) -> Option<usize> {
    let mut seen = 0;
    for (i, c) in s.char_indices() {
        if seen == units {
            return Some(i);
        }
        if seen > units {
            return None;
        }
        seen += c.len_utf16();
    }
    (seen == units).then_some(s.len())
}

/// Byte ranges of `text` that mention the bot: a `mention` entity reading `@<username>` (any
/// case), or a `text_mention` of the bot's user id. Sorted, never overlapping.
pub(super) fn bot_mentions(
    text: &str,
    entities: &[Entity],
    user_id: i64,
    username: &str,
) -> Vec<Range<usize>> {
    let username = username.trim_start_matches('@');
    let mut spans: Vec<Range<usize>> = entities
        .iter()
        .filter_map(|e| {
            let range = utf16_range(text, e.offset, e.length)?;
            let ours = match e.kind.as_str() {
                "mention" => text.get(range.clone()).is_some_and(|m| {
                    !username.is_empty()
                        && m.strip_prefix('@')
                            .is_some_and(|m| m.eq_ignore_ascii_case(username))
                }),
                "text_mention" => e.user.as_ref().is_some_and(|u| u.id == user_id),
                _ => false,
            };
            (ours && !range.is_empty()).then_some(range)
        })
        .collect();
    spans.sort_by_key(|r| (r.start, r.end));
    let mut kept: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for span in spans {
        if kept.last().is_none_or(|last| span.start >= last.end) {
            kept.push(span);
        }
    }
    kept
}

/// Removes `spans` (sorted, non-overlapping byte ranges on char boundaries) from `text` and tidies
/// the whitespace each leaves: at the start of the text the span goes with the whitespace and a
/// `,` `:` or `;` after it ("@bot, hi" → "hi"); before punctuation or at the end it goes with the
/// whitespace before it ("hi @bot!" → "hi!"); between words the two whitespace runs become one,
/// a line break if either held one.
pub(crate) fn remove_spans(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for (i, span) in spans.iter().enumerate() {
        let (Some(before), Some(_)) = (text.get(cursor..span.start), text.get(span.clone())) else {
            continue;
        };
        out.push_str(before);
        let kept = out.trim_end().len();
        let left_ws = out.split_off(kept);
        let limit = spans.get(i + 1).map_or(text.len(), |next| next.start);
        let after = text.get(span.end..limit).unwrap_or_default();
        let right_ws = &after[..after.len() - after.trim_start().len()];
        cursor = span.end + right_ws.len();
        let rest = &text[cursor..];
        if out.is_empty() {
            // Leading: "@bot, do this" reads "do this".
            if let Some(r) = rest.strip_prefix([',', ':', ';']) {
                cursor += rest.len() - r.trim_start().len();
            }
        } else if !rest.is_empty() && !rest.starts_with(is_closing_punctuation) {
            out.push_str(joiner(&left_ws, right_ws));
        }
    }
    out.push_str(text.get(cursor..).unwrap_or_default());
    out
}

/// Punctuation that attaches to the word before it.
fn is_closing_punctuation(c: char) -> bool {
    matches!(c, ',' | '.' | '!' | '?' | ':' | ';' | ')' | ']' | '}' | '…')
}

/// The whitespace left between two words once a mention between them is gone.
fn joiner<'a>(left: &'a str, right: &'a str) -> &'a str {
    let lines = |s: &str| s.matches('\n').count();
    match (lines(left), lines(right)) {
        (0, 0) if left.is_empty() && right.is_empty() => "",
        (0, 0) => " ",
        (l, r) if l >= r => left,
        _ => right,
    }
}

/// A command addressed to another bot (`/start@otherbot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OtherBot;

/// Resolves a leading `/cmd@username`: `Some("/cmd ...")` when `username` is this bot's,
/// [`OtherBot`] when it is not, `None` when the text does not start with an addressed command (or
/// this bot's username is unknown) and stays as it is.
pub(super) fn address_command(text: &str, username: &str) -> Result<Option<String>, OtherBot> {
    let username = username.trim_start_matches('@');
    if username.is_empty() {
        return Ok(None);
    }
    match split_command(text) {
        None => Ok(None),
        Some((name, addressee, rest)) if addressee.eq_ignore_ascii_case(username) => {
            Ok(Some(format!("/{name}{rest}")))
        }
        Some(_) => Err(OtherBot),
    }
}

/// `("cmd", "bot", rest)` for text starting `/cmd@bot` followed by whitespace or the end, where
/// both names are Telegram command and username characters (the command at most 32 long).
fn split_command(text: &str) -> Option<(&str, &str, &str)> {
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let body = text.strip_prefix('/')?;
    let word_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let (word, rest) = body.split_at(word_end);
    let (name, addressee) = word.split_once('@')?;
    let valid = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.chars().all(word_char);
    (valid(name, 32) && valid(addressee, 64)).then_some((name, addressee, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::update::User;

    fn mention(offset: i64, length: i64) -> Entity {
        Entity {
            kind: "mention".into(),
            offset,
            length,
            user: None,
        }
    }

    #[test]
    fn slices_by_utf16_units() {
        let s = "a😀b é";
        assert_eq!(utf16_slice(s, 0, 1), Some("a"));
        assert_eq!(utf16_slice(s, 1, 2), Some("😀"));
        assert_eq!(utf16_slice(s, 3, 1), Some("b"));
        assert_eq!(utf16_slice(s, 5, 1), Some("é"));
        assert_eq!(utf16_slice(s, 6, 0), Some(""));
        assert_eq!(utf16_range(s, 1, 2), Some(1..5));
    }

    #[test]
    fn bad_spans_are_absent() {
        let s = "a😀b";
        assert_eq!(
            utf16_slice(s, 2, 1),
            None,
            "starts inside the surrogate pair"
        );
        assert_eq!(utf16_slice(s, 0, 2), None, "ends inside the surrogate pair");
        assert_eq!(utf16_slice(s, 4, 1), None, "past the end");
        assert_eq!(utf16_slice(s, -1, 1), None);
        assert_eq!(utf16_slice(s, 0, -1), None);
        assert_eq!(utf16_slice(s, i64::MAX, i64::MAX), None);
        assert_eq!(utf16_slice("", 0, 0), Some(""));
    }

    #[test]
    fn finds_mentions_of_this_bot_only() {
        let text = "@Helper_Bot hi @other and @helper_bot";
        let entities = [
            mention(0, 11),
            mention(15, 6),
            mention(26, 11),
            mention(50, 3),
        ];
        assert_eq!(
            bot_mentions(text, &entities, 7, "helper_bot"),
            vec![0..11, 26..37]
        );
        assert_eq!(bot_mentions(text, &entities, 7, "@helper_bot").len(), 2);
        assert!(bot_mentions(text, &entities, 7, "").is_empty());
        let by_id = Entity {
            kind: "text_mention".into(),
            offset: 3,
            length: 6,
            user: Some(User {
                id: 7,
                ..User::default()
            }),
        };
        assert_eq!(
            bot_mentions("hi Helper", std::slice::from_ref(&by_id), 7, "x"),
            vec![3..9]
        );
        assert!(bot_mentions("hi Helper", &[by_id], 8, "x").is_empty());
        // Duplicate or overlapping entities count once.
        let twice = [mention(0, 4), mention(0, 4), mention(1, 3)];
        assert_eq!(bot_mentions("@bot x", &twice, 1, "bot"), vec![0..4]);
    }

    #[test]
    #[allow(
        clippy::single_range_in_vec_init,
        reason = "each case lists the spans to remove; one span is the common case"
    )]
    fn removing_mentions_tidies_whitespace() {
        let cases: &[(&str, &[Range<usize>], &str)] = &[
            ("@bot hello", &[0..4], "hello"),
            ("@bot, hello", &[0..4], "hello"),
            ("@bot: hello", &[0..4], "hello"),
            ("  @bot   hello", &[2..6], "hello"),
            ("hello @bot", &[6..10], "hello"),
            ("hello @bot!", &[6..10], "hello!"),
            ("hey @bot, how are you", &[4..8], "hey, how are you"),
            (
                "what do you think @bot about this",
                &[18..22],
                "what do you think about this",
            ),
            ("line one\n@bot line two", &[9..13], "line one\nline two"),
            ("para\n\n@bot\n\nnext", &[6..10], "para\n\nnext"),
            ("@bot @bot hi", &[0..4, 5..9], "hi"),
            ("a @bot @bot b", &[2..6, 7..11], "a b"),
            ("x@bot y", &[1..5], "x y"),
            ("@bot", &[0..4], ""),
            ("plain", &[], "plain"),
        ];
        for (text, spans, want) in cases {
            assert_eq!(remove_spans(text, spans), *want, "{text:?}");
        }
    }

    #[test]
    fn commands_for_this_bot_lose_the_suffix() {
        assert_eq!(
            address_command("/help@MyBot", "mybot"),
            Ok(Some("/help".into()))
        );
        assert_eq!(
            address_command("/ask@mybot what now", "@mybot"),
            Ok(Some("/ask what now".into()))
        );
        assert_eq!(address_command("/help@other", "mybot"), Err(OtherBot));
        assert_eq!(address_command("/help@other args", "mybot"), Err(OtherBot));
        for unchanged in [
            "/help",
            "/help args",
            "hi /x@other",
            "/a/b@c.d",
            "/@x",
            "/x@",
            "/é@b",
        ] {
            assert_eq!(address_command(unchanged, "mybot"), Ok(None), "{unchanged}");
        }
        assert_eq!(address_command("/help@other", ""), Ok(None));
    }
}
