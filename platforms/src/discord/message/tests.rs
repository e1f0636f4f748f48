//! Parsing tests of [`super::Message`] on payloads written as the gateway sends them.

use proptest::prelude::*;

use super::*;

/// A guild reply with a mention, an attachment and fields this code does not know.
const FULL: &str = r#"{
    "type": 19, "tts": false, "timestamp": "2024-05-01T12:34:56.789000+00:00",
    "referenced_message": {
        "type": 0, "id": "1235000000000000001", "channel_id": "1100000000000000002",
        "content": "earlier words", "author": {"id": "900000000000000009", "username": "Oracle",
        "bot": true, "discriminator": "0000"}, "webhook_id": "900000000000000009"
    },
    "position": 12, "pinned": false, "nonce": "123",
    "mentions": [{"id": "800000000000000008", "username": "helper", "bot": true,
                  "member": {"roles": []}}],
    "mention_roles": ["700000000000000007"], "mention_everyone": false,
    "member": {"roles": [], "nick": "Ada L.", "joined_at": "2020-01-01T00:00:00+00:00"},
    "id": "1235000000000000099", "flags": 0, "embeds": [], "edited_timestamp": null,
    "content": "<@800000000000000008> what next?", "components": [],
    "channel_id": "1100000000000000002",
    "author": {"username": "ada", "public_flags": 0, "id": "42000000000000000",
               "global_name": "Ada", "discriminator": "0", "avatar": null},
    "attachments": [{"id": "1235000000000000050", "filename": "notes.txt", "size": 120,
                     "url": "https://cdn.discordapp.com/attachments/1/2/notes.txt",
                     "proxy_url": "https://media.discordapp.net/x", "content_type": "text/plain; charset=utf-8"}],
    "guild_id": "1000000000000000001",
    "message_reference": {"type": 0, "message_id": "1235000000000000001",
                          "channel_id": "1100000000000000002", "guild_id": "1000000000000000001"},
    "thread": {"id": "1235000000000000099", "parent_id": "1100000000000000002", "type": 11},
    "some_future_field": {"nested": [1, 2, 3]}
}"#;

#[test]
fn reads_the_fields_it_needs_and_ignores_the_rest() {
    let m = Message::from_json(FULL).unwrap();
    assert_eq!(m.id, 1_235_000_000_000_000_099);
    assert_eq!(m.channel_id, 1_100_000_000_000_000_002);
    assert_eq!(m.guild_id, Some(1_000_000_000_000_000_001));
    assert_eq!(m.kind, TYPE_REPLY);
    let author = m.author.as_ref().unwrap();
    assert_eq!(author.id, 42_000_000_000_000_000);
    assert_eq!(
        (author.username.as_str(), author.global_name.as_deref()),
        ("ada", Some("Ada"))
    );
    assert!(!author.bot && !author.system);
    assert_eq!(m.member.as_ref().unwrap().nick.as_deref(), Some("Ada L."));
    assert_eq!(m.content, "<@800000000000000008> what next?");
    assert_eq!(
        m.timestamp.as_deref(),
        Some("2024-05-01T12:34:56.789000+00:00")
    );
    assert_eq!(m.edited_timestamp, None);
    assert_eq!((m.webhook_id, m.application_id), (None, None));
    assert_eq!(
        m.mentions,
        [Mention {
            id: 800_000_000_000_000_008
        }]
    );
    assert_eq!(m.mention_roles, [700_000_000_000_000_007]);
    assert!(!m.mention_everyone);
    let a = &m.attachments[0];
    assert_eq!(
        (a.id, a.filename.as_str(), a.size),
        (1_235_000_000_000_000_050, "notes.txt", 120)
    );
    assert_eq!(a.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    assert!(a.url.ends_with("/notes.txt"));
    let r = m.message_reference.as_ref().unwrap();
    assert_eq!(r.message_id, Some(1_235_000_000_000_000_001));
    assert_eq!(r.guild_id, Some(1_000_000_000_000_000_001));
    assert_eq!(r.kind, REFERENCE_REPLY);
    let replied = m.referenced_message.as_deref().unwrap();
    assert_eq!(replied.id, 1_235_000_000_000_000_001);
    assert_eq!(replied.webhook_id, Some(900_000_000_000_000_009));
    assert!(replied.author.as_ref().unwrap().bot);
    assert_eq!(m.position, Some(12));
    assert_eq!(
        m.thread,
        Some(Thread {
            id: 1_235_000_000_000_000_099,
            parent_id: Some(1_100_000_000_000_000_002)
        })
    );
    assert!(!m.has_unsupported_content());
}

#[test]
fn missing_and_null_fields_default() {
    let m = Message::from_json(r#"{"id": "1", "channel_id": "2"}"#).unwrap();
    assert_eq!(
        m,
        Message {
            id: 1,
            channel_id: 2,
            ..Message::default()
        }
    );
    let m = Message::from_json(
        r#"{"id": "1", "channel_id": "2", "guild_id": null, "author": null, "member": null,
            "content": null, "mentions": null, "mention_roles": null, "attachments": null,
            "message_reference": null, "referenced_message": null, "type": null,
            "sticker_items": null, "poll": null, "webhook_id": null}"#,
    )
    .unwrap();
    assert_eq!(m.content, "");
    assert!(m.author.is_none() && m.referenced_message.is_none() && m.mention_roles.is_empty());
}

#[test]
fn integer_ids_are_read_too() {
    let m = Message::from_json(r#"{"id": 10, "channel_id": 20, "guild_id": 30}"#).unwrap();
    assert_eq!((m.id, m.channel_id, m.guild_id), (10, 20, Some(30)));
}

#[test]
fn stickers_forwards_and_polls_are_unsupported() {
    for extra in [
        r#""sticker_items": [{"id": "1", "name": "wave", "format_type": 1}]"#,
        r#""message_snapshots": [{"message": {"content": "fwd"}}]"#,
        r#""poll": {"question": {"text": "?"}}"#,
    ] {
        let json = format!(r#"{{"id": "1", "channel_id": "2", {extra}}}"#);
        assert!(
            Message::from_json(&json).unwrap().has_unsupported_content(),
            "{extra}"
        );
    }
    let empty = r#"{"id": "1", "channel_id": "2", "sticker_items": [], "message_snapshots": []}"#;
    assert!(!Message::from_json(empty).unwrap().has_unsupported_content());
}

#[test]
fn malformed_payloads_are_errors_without_content() {
    for bad in [
        "",
        "null",
        "[]",
        "42",
        "{",
        "{}",
        r#"{"id": "1"}"#,
        r#"{"channel_id": "1", "content": "no id"}"#,
        r#"{"id": "x1", "channel_id": "2"}"#,
        r#"{"id": "", "channel_id": "2"}"#,
        r#"{"id": "+1", "channel_id": "2"}"#,
        r#"{"id": "-1", "channel_id": "2"}"#,
        r#"{"id": -1, "channel_id": "2"}"#,
        r#"{"id": 1.5, "channel_id": "2"}"#,
        r#"{"id": "18446744073709551616", "channel_id": "2"}"#,
        r#"{"id": "1", "channel_id": "2", "content": 5}"#,
        r#"{"id": "1", "channel_id": "2", "mention_roles": ["r"]}"#,
        r#"{"id": "1", "channel_id": "2", "attachments": [{"size": -1}]}"#,
        r#"{"id": "1", "channel_id": "2", "type": "reply"}"#,
        "[\"1\", \"2\"]",
        "\u{0}\u{ffff}",
    ] {
        assert!(Message::from_json(bad).is_err(), "{bad:?} parsed");
    }
    let e = Message::from_json(r#"{"id": "9", "channel_id": "2", "content": ["secret words"]}"#)
        .unwrap_err();
    assert_eq!((e.message_id, e.category), (Some(9), "data"));
    let shown = e.to_string();
    assert!(
        shown.starts_with("unreadable Discord message 9: data error"),
        "{shown}"
    );
    assert!(!shown.contains("secret"), "{shown}");
    let e = Message::from_json(r#"{"id": "secret7", "channel_id": "2"}"#).unwrap_err();
    assert!(!e.to_string().contains("secret"));
    assert_eq!(
        Message::from_json("[]").unwrap_err().category,
        "not_an_object"
    );
    assert_eq!(Message::from_json("{").unwrap_err().category, "eof");
}

proptest! {
    #[test]
    fn parsing_any_text_never_panics(s in "\\PC{0,64}") {
        let _ = Message::from_json(&s);
    }

    #[test]
    fn any_digit_string_that_fits_is_an_id(id: u64) {
        let json = format!(r#"{{"id": "{id}", "channel_id": {id}}}"#);
        let m = Message::from_json(&json).unwrap();
        prop_assert_eq!((m.id, m.channel_id), (id, id));
    }
}
