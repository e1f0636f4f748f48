//! Telegram's HTML parse mode, checked the way the real server does it: only its small tag set
//! (b, strong, i, em, u, ins, s, strike, del, span class="tg-spoiler", tg-spoiler, a href, code,
//! pre, blockquote, tg-emoji), properly nested, and only the entities `&lt; &gt; &amp; &quot;`
//! plus numeric ones. Anything else is a "can't parse entities" error, so tests catch markup
//! the real Telegram would refuse. A valid text yields the visible text and its entities with
//! UTF-16 offsets, as Telegram returns them in the sent message.

use serde_json::{Value, json};

/// The outcome of parsing a text with markup.
#[derive(Debug, PartialEq)]
pub(super) struct Parsed {
    /// The visible text (tags removed, entities decoded).
    pub text: String,
    /// Message entities, sorted by offset (longer first at the same offset).
    pub entities: Vec<Value>,
}

/// A tag waiting for its end tag.
struct Open {
    name: String,
    /// UTF-16 offset in the visible text where it started.
    start: usize,
    /// The entity it becomes, if any (`a` without `href` becomes none).
    entity: Option<Value>,
}

/// Parses `html`; the error is the part of Telegram's description after
/// "Bad Request: can't parse entities: ".
pub(super) fn parse(html: &str) -> Result<Parsed, String> {
    let mut text = String::with_capacity(html.len());
    let mut at = 0_usize; // visible text length in UTF-16 units
    let mut open: Vec<Open> = Vec::new();
    let mut entities: Vec<(usize, usize, Value)> = Vec::new();
    let mut i = 0;
    while let Some(c) = html[i..].chars().next() {
        match c {
            '<' => {
                let end = tag_end(html, i)?;
                let inner = &html[i + 1..end];
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    let Some(top) = open.pop() else {
                        return Err(format!("Unexpected end tag at byte offset {i}"));
                    };
                    if top.name != name {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{}>\", found \
                             \"</{name}>\"",
                            top.name
                        ));
                    }
                    close(top, at, &mut open, &mut entities);
                } else {
                    let (name, attrs) = split_tag(inner);
                    let entity = entity_for(&name, &attrs, i)?;
                    open.push(Open {
                        name,
                        start: at,
                        entity,
                    });
                }
                i = end + 1;
            }
            '&' => match decode_entity(&html[i..]) {
                Some((decoded, used)) => {
                    text.push(decoded);
                    at += decoded.len_utf16();
                    i += used;
                }
                None => {
                    text.push('&');
                    at += 1;
                    i += 1;
                }
            },
            other => {
                text.push(other);
                at += other.len_utf16();
                i += other.len_utf8();
            }
        }
    }
    if let Some(top) = open.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            top.name
        ));
    }
    entities.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    Ok(Parsed {
        text,
        entities: entities.into_iter().map(|(_, _, e)| e).collect(),
    })
}

/// The byte index of the `>` ending the tag that starts at `start` (quotes respected).
fn tag_end(html: &str, start: usize) -> Result<usize, String> {
    let rest = &html[start + 1..];
    let name_ok = rest
        .trim_start_matches('/')
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !name_ok {
        let name: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        let name = name.trim_end_matches('>');
        return Err(format!(
            "Unsupported start tag \"{name}\" at byte offset {start}"
        ));
    }
    let mut quote = None;
    for (k, c) in rest.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Ok(start + 1 + k),
            _ => {}
        }
    }
    Err(format!("Unclosed start tag at byte offset {start}"))
}

/// A start tag's lowercase name and its attributes (values with entities decoded).
fn split_tag(inner: &str) -> (String, Vec<(String, String)>) {
    let inner = inner.trim_end_matches('/');
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(inner.len());
    let name = inner[..name_len].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut rest = inner[name_len..].trim_start();
    while !rest.is_empty() {
        let key_len = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let key = rest[..key_len].to_ascii_lowercase();
        rest = rest[key_len..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, left) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let close = body.find(q).unwrap_or(body.len());
                    (&body[..close], body.get(close + 1..).unwrap_or_default())
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = decode_all(raw);
            rest = left.trim_start();
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
    }
    (name, attrs)
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The entity a start tag opens, or the error Telegram gives for it.
fn entity_for(name: &str, attrs: &[(String, String)], at: usize) -> Result<Option<Value>, String> {
    let simple = |kind: &str| Ok(Some(json!({ "type": kind })));
    match name {
        "b" | "strong" => simple("bold"),
        "i" | "em" => simple("italic"),
        "u" | "ins" => simple("underline"),
        "s" | "strike" | "del" => simple("strikethrough"),
        "tg-spoiler" => simple("spoiler"),
        "span" if attr(attrs, "class") == Some("tg-spoiler") => simple("spoiler"),
        "span" => Err(format!(
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset {at}"
        )),
        "a" => Ok(attr(attrs, "href")
            .filter(|href| !href.is_empty())
            .map(|href| json!({"type": "text_link", "url": href}))),
        "code" => {
            let language = attr(attrs, "class").and_then(|c| c.strip_prefix("language-"));
            Ok(Some(match language {
                Some(lang) => json!({"type": "code", "language": lang}),
                None => json!({"type": "code"}),
            }))
        }
        "pre" => simple("pre"),
        "blockquote" if attr(attrs, "expandable").is_some() => simple("expandable_blockquote"),
        "blockquote" => simple("blockquote"),
        "tg-emoji" => Ok(attr(attrs, "emoji-id")
            .map(|id| json!({"type": "custom_emoji", "custom_emoji_id": id}))),
        other => Err(format!(
            "Unsupported start tag \"{other}\" at byte offset {at}"
        )),
    }
}

/// Ends a tag: its entity covers what was written since it opened (empty ones are dropped, and
/// a `<code class="language-x">` opening a `<pre>` gives the pre its language instead).
fn close(top: Open, at: usize, open: &mut [Open], entities: &mut Vec<(usize, usize, Value)>) {
    let Some(mut entity) = top.entity else {
        return;
    };
    if top.name == "code"
        && let Some(parent) = open.last_mut()
        && parent.name == "pre"
        && parent.start == top.start
    {
        if let (Some(lang), Some(pre)) = (entity.get("language").cloned(), &mut parent.entity) {
            pre["language"] = lang;
        }
        return;
    }
    if let Some(obj) = entity.as_object_mut()
        && obj.get("type").and_then(Value::as_str) == Some("code")
    {
        obj.remove("language");
    }
    let length = at - top.start;
    if length == 0 {
        return;
    }
    entity["offset"] = json!(top.start);
    entity["length"] = json!(length);
    entities.push((top.start, length, entity));
}

/// Decodes the entity at the start of `s` (`&lt;`, `&#123;`, `&#x1F600;` ...): the character
/// and the bytes it used, or None when `&` starts no supported entity (it is then literal).
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.find(';')?;
    let name = &s[1..end];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let digits = name.strip_prefix('#')?;
            let code = match digits.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => digits.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

/// `s` with every supported entity decoded.
fn decode_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        match (c, decode_entity(&s[i..])) {
            ('&', Some((decoded, used))) => {
                out.push(decoded);
                i += used;
            }
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_tags_give_utf16_entities() {
        let parsed = parse("😀 <b>bold <i>both</i></b> &lt;x&gt; &amp; &#65;&#x42;").unwrap();
        assert_eq!(parsed.text, "😀 bold both <x> & AB");
        assert_eq!(
            parsed.entities,
            vec![
                json!({"type": "bold", "offset": 3, "length": 9}),
                json!({"type": "italic", "offset": 8, "length": 4}),
            ]
        );
    }

    #[test]
    fn links_spoilers_quotes_and_pre_languages() {
        let html = "<a href=\"https://e.com/?a=1&amp;b=2\">l</a><span class=\"tg-spoiler\">s</span>\
                    <blockquote expandable>q</blockquote><pre><code class=\"language-rust\">f\
                    </code></pre><code>c</code><a>plain</a>";
        let parsed = parse(html).unwrap();
        assert_eq!(parsed.text, "lsqfcplain");
        let kinds: Vec<_> = parsed.entities.iter().map(|e| e["type"].clone()).collect();
        assert_eq!(
            kinds,
            vec![
                "text_link",
                "spoiler",
                "expandable_blockquote",
                "pre",
                "code"
            ]
        );
        assert_eq!(parsed.entities[0]["url"], "https://e.com/?a=1&b=2");
        assert_eq!(parsed.entities[3]["language"], "rust");
        assert!(parsed.entities[4].get("language").is_none());
    }

    #[test]
    fn bad_markup_is_refused_like_telegram() {
        let err = |html: &str| parse(html).unwrap_err();
        assert_eq!(
            err("<b>x"),
            "Can't find end tag corresponding to start tag \"b\""
        );
        assert_eq!(
            err("<b><i>x</b></i>"),
            "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""
        );
        assert_eq!(err("x</b>"), "Unexpected end tag at byte offset 1");
        assert_eq!(
            err("a<br/>b"),
            "Unsupported start tag \"br\" at byte offset 1"
        );
        assert_eq!(err("1 < 2"), "Unsupported start tag \"\" at byte offset 2");
        assert_eq!(err("<b x=\"1>"), "Unclosed start tag at byte offset 0");
        assert!(err("<span>x</span>").contains("tg-spoiler"));
        // A lone `&` and unknown named entities stay literal, as on Telegram.
        assert_eq!(parse("a & b &nbsp;").unwrap().text, "a & b &nbsp;");
        assert!(parse("<b></b>").unwrap().entities.is_empty());
    }
}
