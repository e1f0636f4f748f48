//! Property tests: any message normalizes without panicking, and the bot's mentions vanish from
//! the text while every other word stays, in order.

use proptest::prelude::*;

use super::*;

const BOT_ID: u64 = 4242;

fn bot() -> DiscordBot {
    DiscordBot {
        name: "b".into(),
        user_id: BOT_ID,
        application_id: Some(7),
    }
}

fn no_hooks(_: u64) -> bool {
    false
}

fn person() -> User {
    User {
        id: 5,
        username: "u".into(),
        ..User::default()
    }
}

/// Text mixing words, whitespace, punctuation, emoji and mention-like pieces.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("word".to_owned()),
        Just(" ".to_owned()),
        Just("\n".to_owned()),
        Just(",".to_owned()),
        Just("😀".to_owned()),
        Just(format!("<@{BOT_ID}>")),
        Just(format!("<@!{BOT_ID}>")),
        Just("<@".to_owned()),
        Just(">".to_owned()),
        Just("<@&1>".to_owned()),
        "\\PC{0,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn json_like_text_never_panics(s in r#"[{}\[\]":,0-9a-z_ -]{0,80}"#) {
        let _ = Message::from_json(&s);
        let _ = Message::from_json(&format!(r#"{{"id":"1","channel_id":"2",{s}}}"#));
    }

    #[test]
    fn any_message_normalizes(
        content in text(),
        kind in prop_oneof![Just(0u32), Just(19), 0u32..50],
        guild in any::<Option<u64>>(),
        webhook in prop::option::of(0u64..3),
        bot_author in any::<bool>(),
        edited in prop::option::of("\\PC{0,30}"),
        id: u64,
    ) {
        let m = Message {
            id,
            channel_id: 2,
            guild_id: guild,
            author: Some(User { bot: bot_author, ..person() }),
            content,
            webhook_id: webhook,
            kind,
            edited_timestamp: edited,
            ..Message::default()
        };
        if let Normalized::Message(m) = normalize(&m, &bot(), &|w| w == 1, None) {
            prop_assert_eq!(m.text.trim(), m.text.as_str());
            prop_assert!(!m.text.is_empty());
            let (plain, nick) = (format!("<@{BOT_ID}>"), format!("<@!{BOT_ID}>"));
            prop_assert!(!m.text.contains(&plain) && !m.text.contains(&nick));
            prop_assert_eq!(m.from_self, webhook == Some(1));
            prop_assert!(m.sent_at_ms >= crate::discord::time::DISCORD_EPOCH_MS);
        }
    }

    #[test]
    fn the_bots_mentions_vanish_and_the_rest_stays(
        words in prop::collection::vec(
            prop_oneof![
                Just(format!("<@{BOT_ID}>")),
                Just(format!("<@!{BOT_ID}>")),
                Just("hi".to_owned()),
                Just("😀".to_owned()),
                Just("<@1>".to_owned()),
                Just("é,".to_owned()),
            ],
            1..10,
        ),
    ) {
        let m = Message {
            id: 1,
            channel_id: 2,
            author: Some(person()),
            content: words.join(" "),
            ..Message::default()
        };
        let rest: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| !w.contains(&BOT_ID.to_string()))
            .collect();
        match normalize(&m, &bot(), &no_hooks, None) {
            Normalized::Message(m) => {
                prop_assert_eq!(m.mentions_bot, rest.len() < words.len());
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
