//! Property tests: untrusted updates never panic the parser or the normalizer, and the bot's
//! mentions vanish from the text while everything else stays in order.

use proptest::prelude::*;

use super::*;
use crate::telegram::update::{Entity, Message};

fn bot() -> BotIdentity {
    BotIdentity {
        name: "b".into(),
        user_id: 9,
        username: "helper_bot".into(),
    }
}

/// Text mixing words, whitespace, punctuation, emoji and the bot's mention.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("word".to_owned()),
        Just(" ".to_owned()),
        Just("\n".to_owned()),
        Just(",".to_owned()),
        Just("😀".to_owned()),
        Just("é".to_owned()),
        Just("@helper_bot".to_owned()),
        Just("/cmd@helper_bot".to_owned()),
        Just("/cmd@other".to_owned()),
        "\\PC{0,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

fn entity() -> impl Strategy<Value = Entity> {
    (
        prop_oneof![
            Just("mention"),
            Just("text_mention"),
            Just("bot_command"),
            Just("bold")
        ],
        -2..40i64,
        -2..40i64,
        prop_oneof![Just(9i64), Just(1i64)],
    )
        .prop_map(|(kind, offset, length, user)| Entity {
            kind: kind.into(),
            offset,
            length,
            user: Some(User {
                id: user,
                ..User::default()
            }),
        })
}

proptest! {
    #[test]
    fn parsing_any_text_never_panics(s in "\\PC{0,64}") {
        let _ = Update::from_json(&s);
    }

    #[test]
    fn parsing_json_like_text_never_panics(
        s in r#"[{}\[\]":,0-9a-z_ -]{0,80}"#,
    ) {
        let _ = Update::from_json(&s);
        let _ = Update::from_json(&format!(r#"{{"update_id":1,"message":{s}}}"#));
    }

    #[test]
    fn any_entities_never_panic(
        text in text(),
        entities in prop::collection::vec(entity(), 0..6),
        caption in any::<bool>(),
        group in any::<bool>(),
    ) {
        let mut m = Message {
            message_id: 1,
            chat: Chat {
                id: if group { -5 } else { 5 },
                kind: if group { ChatKind::Group } else { ChatKind::Private },
                title: None,
            },
            from: Some(User { id: 5, first_name: "U".into(), ..User::default() }),
            ..Message::default()
        };
        if caption {
            m.caption = Some(text);
            m.caption_entities = entities;
        } else {
            m.text = Some(text);
            m.entities = entities;
        }
        let update = Update { message: Some(m), ..Update::default() };
        if let Normalized::Message(m) = normalize(&update, &bot()) {
            prop_assert_eq!(m.text.trim(), m.text.as_str());
            prop_assert!(!m.text.is_empty());
        }
    }

    #[test]
    fn the_bots_mentions_vanish_and_the_rest_stays(
        words in prop::collection::vec(
            prop_oneof![Just("@helper_bot"), Just("hi"), Just("😀"), Just("@x"), Just("é,")],
            1..10,
        ),
    ) {
        let text = words.join(" ");
        let mut entities = Vec::new();
        let mut at = 0i64;
        for w in &words {
            let len = w.encode_utf16().count() as i64;
            if w.starts_with('@') {
                entities.push(Entity { kind: "mention".into(), offset: at, length: len, user: None });
            }
            at += len + 1;
        }
        let m = Message {
            chat: Chat { id: 5, kind: ChatKind::Private, title: None },
            from: Some(User { id: 5, first_name: "U".into(), ..User::default() }),
            text: Some(text),
            entities,
            ..Message::default()
        };
        let update = Update { message: Some(m), ..Update::default() };
        let rest: Vec<&str> = words.iter().copied().filter(|w| *w != "@helper_bot").collect();
        match normalize(&update, &bot()) {
            Normalized::Message(m) => {
                prop_assert_eq!(m.mentions_bot, rest.len() < words.len());
                prop_assert!(!m.text.contains("helper_bot"));
                let kept: Vec<&str> = m.text.split_whitespace().collect();
                prop_assert_eq!(kept, rest);
            }
            Normalized::Ignored(reason) => {
                prop_assert_eq!(reason, IgnoreReason::Empty);
                prop_assert!(rest.is_empty());
            }
        }
    }
}
