//! Unit tests of [`super::normalize`] on messages written as the gateway sends them (JSON).

use serde_json::{Value, json};

use super::*;

const BOT_ID: u64 = 800_000_000_000_000_008;
const APP_ID: u64 = 810_000_000_000_000_001;
/// A webhook of the bot's pool.
const OUR_HOOK: u64 = 900_000_000_000_000_009;
/// Another application's webhook.
const OTHER_HOOK: u64 = 910_000_000_000_000_001;
const GUILD: u64 = 1_000_000_000_000_000_001;
const CHANNEL: u64 = 1_100_000_000_000_000_002;
/// 2024-05-01 12:34:56.789 UTC as a snowflake.
const MSG_ID: u64 = ((1_714_566_896_789 - DISCORD_EPOCH_MS) << 22) | 12345;

use crate::discord::time::DISCORD_EPOCH_MS;

fn bot() -> DiscordBot {
    DiscordBot {
        name: "personas".into(),
        user_id: BOT_ID,
        application_id: Some(APP_ID),
    }
}

fn ours(id: u64) -> bool {
    id == OUR_HOOK
}

fn ada() -> Value {
    json!({"id": "42", "username": "ada", "global_name": "Ada", "discriminator": "0"})
}

/// A guild message from Ada with `fields` merged in.
fn message(fields: Value) -> Message {
    let mut m = json!({
        "id": MSG_ID.to_string(), "channel_id": CHANNEL.to_string(), "guild_id": GUILD.to_string(),
        "type": 0, "author": ada(), "content": "hello", "timestamp": "2024-05-01T12:34:56.789000+00:00",
        "edited_timestamp": null, "mentions": [], "mention_roles": [], "attachments": []
    });
    if let (Some(m), Some(extra)) = (m.as_object_mut(), fields.as_object()) {
        for (k, v) in extra {
            m.insert(k.clone(), v.clone());
        }
    }
    Message::from_json(&m.to_string()).unwrap()
}

fn dm(fields: Value) -> Message {
    let mut m = message(fields);
    m.guild_id = None;
    m.member = None;
    m
}

fn inbound(m: &Message) -> Inbound {
    match normalize(m, &bot(), &ours, None) {
        Normalized::Message(m) => m,
        Normalized::Ignored(r) => panic!("ignored: {r:?}"),
    }
}

fn ignored(m: &Message) -> IgnoreReason {
    match normalize(m, &bot(), &ours, None) {
        Normalized::Message(m) => panic!("not ignored: {m:?}"),
        Normalized::Ignored(r) => r,
    }
}

#[test]
fn a_guild_message() {
    let m = inbound(&message(json!({})));
    assert_eq!(
        m,
        Inbound {
            platform: Platform::Discord,
            bot: "personas".into(),
            scope: Scope::DiscordGuild { guild_id: GUILD },
            author: Author {
                id: "42".into(),
                display_name: "Ada".into(),
                username: Some("ada".into()),
                is_bot: false,
                moderator: false,
            },
            place: Place {
                channel_id: CHANNEL.to_string(),
                thread_id: None,
                is_dm: false,
            },
            message_id: MSG_ID.to_string(),
            text: "hello".into(),
            attachments: vec![],
            reply_to: None,
            mentions_bot: false,
            from_self: false,
            edited: false,
            sent_at_ms: 1_714_566_896_789,
        }
    );
    assert_eq!(m.job_id(), format!("discord:personas:{MSG_ID}"));
    assert_eq!(m.user_key(), "discord:42");
    assert_eq!(m.scope.key(), format!("discord:guild:{GUILD}"));
}

#[test]
fn a_direct_message() {
    let m = inbound(&dm(json!({})));
    assert_eq!(m.scope, Scope::DiscordDm);
    assert_eq!(
        m.place,
        Place {
            channel_id: CHANNEL.to_string(),
            thread_id: None,
            is_dm: true
        }
    );
    // DMs have no threads, whatever the caller says.
    let Normalized::Message(m) = normalize(&dm(json!({})), &bot(), &ours, Some(7)) else {
        panic!("ignored")
    };
    assert_eq!(
        (m.place.channel_id, m.place.thread_id),
        (CHANNEL.to_string(), None)
    );
}

#[test]
fn a_thread_message_names_the_parent_and_the_thread() {
    let thread = 1_200_000_000_000_000_003u64;
    let msg = message(json!({"channel_id": thread.to_string(), "position": 4}));
    let Normalized::Message(m) = normalize(&msg, &bot(), &ours, Some(CHANNEL)) else {
        panic!("ignored")
    };
    assert_eq!(
        m.place,
        Place {
            channel_id: CHANNEL.to_string(),
            thread_id: Some(thread.to_string()),
            is_dm: false
        }
    );
    // Without the parent the thread reads as a channel of its own.
    assert_eq!(inbound(&msg).place.channel_id, thread.to_string());
}

#[test]
fn the_display_name_is_nick_then_global_name_then_username() {
    let nick = json!({"member": {"nick": "Countess", "roles": []}});
    assert_eq!(inbound(&message(nick)).author.display_name, "Countess");
    let blank_nick = json!({"member": {"nick": "  "}});
    assert_eq!(inbound(&message(blank_nick)).author.display_name, "Ada");
    let no_global = json!({"author": {"id": "42", "username": "ada", "global_name": null}});
    assert_eq!(inbound(&message(no_global)).author.display_name, "ada");
    let nothing = json!({"author": {"id": "42", "username": ""}});
    let a = inbound(&message(nothing)).author;
    assert_eq!((a.display_name.as_str(), a.username), ("42", None));
}

#[test]
fn mentions_of_the_bot_are_found_and_removed() {
    let cases = [
        (format!("<@{BOT_ID}> what is 2+2?"), "what is 2+2?"),
        (format!("<@!{BOT_ID}>, what is 2+2?"), "what is 2+2?"),
        (format!("hey <@{BOT_ID}>, how are you"), "hey, how are you"),
        (format!("so <@{BOT_ID}> <@{BOT_ID}> again"), "so again"),
        (
            format!("line one\n<@{BOT_ID}> line two"),
            "line one\nline two",
        ),
        (format!("thanks <@{BOT_ID}>!"), "thanks!"),
        (format!("<@<@{BOT_ID}>{BOT_ID}> nested"), "nested"),
    ];
    for (content, want) in cases {
        let m = inbound(&message(json!({ "content": content })));
        assert!(m.mentions_bot, "{content}");
        assert_eq!(m.text, want, "{content}");
    }
}

#[test]
fn other_mentions_change_nothing() {
    for content in [
        "<@42> hi".to_owned(),
        format!("<@{BOT_ID}1> hi"),
        format!("<@{}> hi", BOT_ID / 10),
        format!("<@&{BOT_ID}> the role"),
        format!("<#{BOT_ID}> the channel"),
        format!("<@{BOT_ID} unclosed"),
        format!("<@!!{BOT_ID}>"),
        "@everyone <@".to_owned(),
    ] {
        let m = inbound(&message(json!({ "content": content })));
        assert!(!m.mentions_bot, "{content}");
        assert_eq!(m.text, content.trim());
    }
}

#[test]
fn only_the_mention_is_empty() {
    let msg = message(json!({ "content": format!("  <@{BOT_ID}>  ") }));
    assert_eq!(ignored(&msg), IgnoreReason::Empty);
    assert_eq!(
        ignored(&message(json!({"content": ""}))),
        IgnoreReason::Empty
    );
}

#[test]
fn attachments_make_a_message() {
    let msg = message(json!({"content": format!("<@{BOT_ID}>"), "attachments": [
        {"id": "5", "filename": "notes.md", "size": 2048, "content_type": "text/markdown",
         "url": "https://cdn.discordapp.com/attachments/1/5/notes.md"},
        {"id": "6", "filename": "", "size": 1, "url": ""}
    ]}));
    let m = inbound(&msg);
    assert!(m.mentions_bot && m.text.is_empty());
    assert_eq!(
        m.attachments,
        [
            Attachment {
                name: "notes.md".into(),
                mime: Some("text/markdown".into()),
                size: 2048,
                text: None,
                source: Some("https://cdn.discordapp.com/attachments/1/5/notes.md".into()),
            },
            Attachment {
                name: "attachment".into(),
                mime: None,
                size: 1,
                text: None,
                source: None,
            },
        ]
    );
}

#[test]
fn stickers_alone_are_unsupported() {
    let msg = message(json!({"content": "", "sticker_items": [{"id": "1", "name": "hi"}]}));
    assert_eq!(ignored(&msg), IgnoreReason::Unsupported);
    let forward = message(
        json!({"content": "", "message_reference": {"type": 1, "message_id": "5"},
                                  "message_snapshots": [{"message": {"content": "x"}}]}),
    );
    assert_eq!(ignored(&forward), IgnoreReason::Unsupported);
}

#[test]
fn system_messages_and_other_types_are_ignored() {
    // 7: a member joined; 6: a pin notice; 20: a slash-command response.
    for kind in [7, 6, 20, 1, 46] {
        assert_eq!(
            ignored(&message(json!({ "type": kind }))),
            IgnoreReason::MessageType,
            "{kind}"
        );
    }
    let system =
        json!({"author": {"id": "643945264868098049", "username": "Discord", "system": true}});
    assert_eq!(ignored(&message(system)), IgnoreReason::System);
    assert_eq!(
        ignored(&message(json!({"author": null}))),
        IgnoreReason::NoAuthor
    );
}

#[test]
fn other_bots_and_every_foreign_webhook_are_ignored() {
    let other_bot = json!({"author": {"id": "77", "username": "otherbot", "bot": true}});
    assert_eq!(ignored(&message(other_bot)), IgnoreReason::FromBot);
    let other_hook = json!({"webhook_id": OTHER_HOOK.to_string(),
                            "author": {"id": OTHER_HOOK.to_string(), "username": "News", "bot": true}});
    assert_eq!(ignored(&message(other_hook)), IgnoreReason::FromBot);
    // A webhook whose placeholder user does not say it is a bot is still a webhook.
    let unflagged = json!({"webhook_id": OTHER_HOOK.to_string(),
                           "author": {"id": OTHER_HOOK.to_string(), "username": "News"}});
    assert_eq!(ignored(&message(unflagged)), IgnoreReason::FromBot);
}

#[test]
fn the_bots_own_messages_are_from_self() {
    let own_hook = json!({"webhook_id": OUR_HOOK.to_string(), "content": "I am the Oracle.",
                          "author": {"id": OUR_HOOK.to_string(), "username": "Oracle", "bot": true}});
    let m = inbound(&message(own_hook));
    assert!(m.from_self && m.author.is_bot);
    assert_eq!(m.author.display_name, "Oracle");
    let own_user =
        json!({"author": {"id": BOT_ID.to_string(), "username": "personas", "bot": true}});
    assert!(inbound(&message(own_user)).from_self);
    let own_app = json!({"webhook_id": APP_ID.to_string(), "application_id": APP_ID.to_string(),
                         "author": {"id": "5", "username": "x", "bot": true}});
    assert!(inbound(&message(own_app)).from_self);
    // Without a known application id, nothing is ours by application.
    let anon = DiscordBot {
        application_id: None,
        ..bot()
    };
    let app_less = message(json!({"application_id": APP_ID.to_string(),
                                  "author": {"id": "5", "username": "x", "bot": true}}));
    assert_eq!(
        normalize(&app_less, &anon, &ours, None),
        Normalized::Ignored(IgnoreReason::FromBot)
    );
}

#[test]
fn replies_say_whether_they_answer_the_bot() {
    let reply = |replied_author: Value, webhook: Option<u64>| {
        message(json!({
            "type": 19,
            "message_reference": {"type": 0, "message_id": "555", "channel_id": CHANNEL.to_string()},
            "referenced_message": {"id": "555", "author": replied_author,
                                   "webhook_id": webhook.map(|w| w.to_string())}
        }))
    };
    let to_hook = reply(
        json!({"id": OUR_HOOK.to_string(), "username": "Oracle", "bot": true}),
        Some(OUR_HOOK),
    );
    assert_eq!(
        inbound(&to_hook).reply_to,
        Some(ReplyRef {
            message_id: "555".into(),
            to_self: true,
            personality: None
        })
    );
    let to_bot = reply(
        json!({"id": BOT_ID.to_string(), "username": "personas"}),
        None,
    );
    assert!(inbound(&to_bot).reply_to.unwrap().to_self);
    let to_person = reply(json!({"id": "43", "username": "bob"}), None);
    assert!(!inbound(&to_person).reply_to.unwrap().to_self);
    let to_other_hook = reply(
        json!({"id": OTHER_HOOK.to_string(), "username": "News", "bot": true}),
        Some(OTHER_HOOK),
    );
    assert!(!inbound(&to_other_hook).reply_to.unwrap().to_self);
}

#[test]
fn a_reply_to_a_deleted_message_still_names_it() {
    let msg = message(json!({"type": 19, "referenced_message": null,
                             "message_reference": {"message_id": "555"}}));
    assert_eq!(
        inbound(&msg).reply_to,
        Some(ReplyRef {
            message_id: "555".into(),
            to_self: false,
            personality: None
        })
    );
}

#[test]
fn references_that_are_no_replies_are_not_replies() {
    // A forward with a comment, and a plain message carrying a stray reference.
    let forward = message(json!({"type": 0, "content": "look",
                                 "message_reference": {"type": 1, "message_id": "555"}}));
    assert_eq!(inbound(&forward).reply_to, None);
    let reply_typed_forward = message(json!({"type": 19, "content": "look",
                                             "message_reference": {"type": 1, "message_id": "555"}}));
    assert_eq!(inbound(&reply_typed_forward).reply_to, None);
}

#[test]
fn edits_carry_their_edit_time() {
    let edit = message(json!({"edited_timestamp": "2024-05-01T12:40:00.250000+00:00"}));
    let m = inbound(&edit);
    assert!(m.edited);
    assert_eq!(m.sent_at_ms, 1_714_567_200_250);
    assert_eq!(
        m.job_id(),
        format!("discord:personas:{MSG_ID}:e1714567200250")
    );
    assert_ne!(m.job_id(), inbound(&message(json!({}))).job_id());
    let garbled = message(json!({"edited_timestamp": "yesterday"}));
    let m = inbound(&garbled);
    assert!(m.edited);
    assert_eq!(m.sent_at_ms, 1_714_566_896_790);
}

#[test]
fn reasons_have_stable_names() {
    assert_eq!(IgnoreReason::FromBot.as_str(), "from_bot");
    assert_eq!(IgnoreReason::MessageType.as_str(), "message_type");
}
