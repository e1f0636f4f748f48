//! Unit tests of [`super::normalize`] on updates written as Telegram sends them (JSON).

use serde_json::{Value, json};

use super::*;

const BOT_ID: i64 = 5000;

fn bot() -> BotIdentity {
    BotIdentity {
        name: "companion".into(),
        user_id: BOT_ID,
        username: "Companion_Bot".into(),
    }
}

fn ada() -> Value {
    json!({"id": 42, "is_bot": false, "first_name": "Ada", "last_name": "Lovelace", "username": "ada"})
}

fn private_chat() -> Value {
    json!({"id": 42, "type": "private", "first_name": "Ada"})
}

fn group_chat() -> Value {
    json!({"id": -1001234, "type": "supergroup", "title": "Club"})
}

/// A message update with `fields` merged into a text message from Ada.
fn update(chat: Value, fields: Value) -> Update {
    let mut message = json!({
        "message_id": 10, "date": 1_700_000_000, "chat": chat, "from": ada(), "text": "hello"
    });
    if let (Some(m), Some(extra)) = (message.as_object_mut(), fields.as_object()) {
        for (k, v) in extra {
            m.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({"update_id": 1, "message": message})).unwrap()
}

fn inbound(u: &Update) -> Inbound {
    match normalize(u, &bot()) {
        Normalized::Message(m) => m,
        Normalized::Ignored(r) => panic!("ignored: {r:?}"),
    }
}

fn ignored(u: &Update) -> IgnoreReason {
    match normalize(u, &bot()) {
        Normalized::Message(m) => panic!("not ignored: {m:?}"),
        Normalized::Ignored(r) => r,
    }
}

fn mention(offset: usize, length: usize) -> Value {
    json!({"type": "mention", "offset": offset, "length": length})
}

#[test]
fn a_private_message() {
    let m = inbound(&update(private_chat(), json!({})));
    assert_eq!(
        m,
        Inbound {
            platform: Platform::Telegram,
            bot: "companion".into(),
            scope: Scope::TelegramPrivate,
            author: Author {
                id: "42".into(),
                display_name: "Ada Lovelace".into(),
                username: Some("ada".into()),
                is_bot: false,
                moderator: false,
            },
            place: Place {
                channel_id: "42".into(),
                thread_id: None,
                is_dm: true,
            },
            message_id: "42:10".into(),
            text: "hello".into(),
            attachments: vec![],
            reply_to: None,
            mentions_bot: false,
            from_self: false,
            edited: false,
            sent_at_ms: 1_700_000_000_000,
        }
    );
    assert_eq!(m.job_id(), "telegram:companion:42:10");
    assert_eq!(m.user_key(), "telegram:42");
}

#[test]
fn a_group_message_mentioning_the_bot() {
    let text = "hey @companion_bot, what is 2+2?";
    let m = inbound(&update(
        group_chat(),
        json!({"text": text, "entities": [mention(4, 14)], "message_thread_id": 7}),
    ));
    assert_eq!(m.scope, Scope::TelegramChat { chat_id: -1001234 });
    assert_eq!(m.scope.key(), "telegram:chat:-1001234");
    // A thread id outside a forum (a reply thread) is not a topic.
    assert_eq!(
        m.place,
        Place {
            channel_id: "-1001234".into(),
            thread_id: None,
            is_dm: false
        }
    );
    assert!(m.mentions_bot);
    assert_eq!(m.text, "hey, what is 2+2?");
    assert_eq!(m.message_id, "-1001234:10");
}

#[test]
fn mentions_are_found_by_utf16_offsets() {
    // The emoji is two UTF-16 units, so the mention starts at unit 3.
    let m = inbound(&update(
        group_chat(),
        json!({"text": "😀 @Companion_Bot tell me", "entities": [mention(3, 14)]}),
    ));
    assert!(m.mentions_bot);
    assert_eq!(m.text, "😀 tell me");
}

#[test]
fn other_mentions_and_bad_entities_change_nothing() {
    let text = "ask @someone_else or @companion_bot";
    for entities in [
        json!([mention(4, 13)]),
        json!([mention(21, 99)]),
        json!([{"type": "mention", "offset": -3, "length": 4}]),
        json!([mention(22, 14)]),
        json!([{"type": "bold", "offset": 21, "length": 14}]),
    ] {
        let m = inbound(&update(
            group_chat(),
            json!({"text": text, "entities": entities}),
        ));
        assert!(!m.mentions_bot, "{entities}");
        assert_eq!(m.text, text);
    }
}

#[test]
fn a_text_mention_of_the_bot_counts() {
    let entity = json!({"type": "text_mention", "offset": 0, "length": 9,
                        "user": {"id": BOT_ID, "is_bot": true, "first_name": "Companion"}});
    let m = inbound(&update(
        group_chat(),
        json!({"text": "Companion are you there", "entities": [entity]}),
    ));
    assert!(m.mentions_bot);
    assert_eq!(m.text, "are you there");
}

#[test]
fn a_message_that_is_only_a_mention_is_empty() {
    let u = update(
        group_chat(),
        json!({"text": " @companion_bot ", "entities": [mention(1, 14)]}),
    );
    assert_eq!(ignored(&u), IgnoreReason::Empty);
}

#[test]
fn commands_for_this_bot_lose_the_suffix() {
    let m = inbound(&update(
        group_chat(),
        json!({"text": "/persona@companion_BOT Nova"}),
    ));
    assert_eq!(m.text, "/persona Nova");
    assert!(m.mentions_bot);
    // A mention before a command leaves the command.
    let m = inbound(&update(
        group_chat(),
        json!({"text": "@companion_bot /help", "entities": [mention(0, 14)]}),
    ));
    assert_eq!(m.text, "/help");
    let m = inbound(&update(group_chat(), json!({"text": "/help me"})));
    assert_eq!((m.text.as_str(), m.mentions_bot), ("/help me", false));
}

#[test]
fn commands_for_other_bots_are_ignored() {
    let u = update(group_chat(), json!({"text": "/start@other_bot"}));
    assert_eq!(ignored(&u), IgnoreReason::CommandForOtherBot);
    assert_eq!(
        IgnoreReason::CommandForOtherBot.as_str(),
        "command_for_other_bot"
    );
}

#[test]
fn forum_topics_set_the_thread() {
    let topic = json!({"text": "hi", "message_thread_id": 77, "is_topic_message": true,
                       "reply_to_message": {"message_id": 77, "from": ada()}});
    let m = inbound(&update(group_chat(), topic));
    assert_eq!(m.place.thread_id.as_deref(), Some("77"));
    // Telegram marks every topic message as a reply to the topic's first message: not a reply.
    assert_eq!(m.reply_to, None);
}

#[test]
fn replies_name_the_replied_message_and_whether_it_was_ours() {
    let ours = json!({"message_id": 9, "from": {"id": BOT_ID, "is_bot": true, "first_name": "C"}});
    let m = inbound(&update(
        group_chat(),
        json!({"reply_to_message": ours, "message_thread_id": 77, "is_topic_message": true}),
    ));
    assert_eq!(
        m.reply_to,
        Some(ReplyRef {
            message_id: "-1001234:9".into(),
            to_self: true,
            personality: None
        })
    );
    let m = inbound(&update(
        private_chat(),
        json!({"reply_to_message": {"message_id": 3, "from": ada()}}),
    ));
    let reply = m.reply_to.unwrap();
    assert_eq!((reply.message_id.as_str(), reply.to_self), ("42:3", false));
}

#[test]
fn edits_get_their_own_time_and_job_id() {
    let chat = private_chat();
    let message = json!({"message_id": 10, "date": 100, "edit_date": 160, "chat": chat,
                         "from": ada(), "text": "hello again"});
    let edit: Update =
        serde_json::from_value(json!({"update_id": 2, "edited_message": message})).unwrap();
    let m = inbound(&edit);
    assert!(m.edited);
    assert_eq!(m.sent_at_ms, 160_000);
    assert_eq!(m.job_id(), "telegram:companion:42:10:e160000");
    let original = inbound(&update(private_chat(), json!({"date": 100})));
    assert_ne!(original.job_id(), m.job_id());
    // An edit without an edit date falls back to the send date.
    let mut no_date = edit.clone();
    if let Some(e) = no_date.edited_message.as_mut() {
        e.edit_date = None;
    }
    assert_eq!(inbound(&no_date).sent_at_ms, 100_000);
}

#[test]
fn channel_posts_are_ignored() {
    let post: Update =
        serde_json::from_value(json!({"update_id": 3, "channel_post": {"text": "news"}})).unwrap();
    assert_eq!(ignored(&post), IgnoreReason::ChannelPost);
    let channel = json!({"id": -100999, "type": "channel", "title": "News"});
    assert_eq!(
        ignored(&update(channel.clone(), json!({}))),
        IgnoreReason::ChannelPost
    );
    let forwarded = json!({"sender_chat": channel, "is_automatic_forward": true});
    assert_eq!(
        ignored(&update(group_chat(), forwarded)),
        IgnoreReason::ChannelPost
    );
}

#[test]
fn bots_and_the_bot_itself_are_ignored() {
    let other = json!({"id": 77, "is_bot": true, "first_name": "Other"});
    assert_eq!(
        ignored(&update(group_chat(), json!({"from": other}))),
        IgnoreReason::FromBot
    );
    let me = json!({"id": BOT_ID, "is_bot": true, "first_name": "Companion"});
    assert_eq!(
        ignored(&update(group_chat(), json!({"from": me}))),
        IgnoreReason::FromSelf
    );
    let via_me = json!({"via_bot": {"id": BOT_ID, "is_bot": true, "first_name": "Companion"}});
    assert_eq!(
        ignored(&update(group_chat(), via_me)),
        IgnoreReason::FromSelf
    );
    let via_other = json!({"via_bot": {"id": 1, "is_bot": true, "first_name": "Gif"}});
    assert_eq!(inbound(&update(group_chat(), via_other)).author.id, "42");
}

#[test]
fn anonymous_admins_speak_as_the_group() {
    let anon = json!({"id": 1_087_968_824_i64, "is_bot": true, "first_name": "Group",
                      "username": "GroupAnonymousBot"});
    let m = inbound(&update(
        group_chat(),
        json!({"from": anon, "sender_chat": group_chat()}),
    ));
    assert_eq!(
        m.author,
        Author {
            id: "-1001234".into(),
            display_name: "Club".into(),
            username: None,
            is_bot: false,
            moderator: false,
        }
    );
}

#[test]
fn a_message_without_sender_is_ignored() {
    let u = update(group_chat(), json!({"from": null}));
    assert_eq!(ignored(&u), IgnoreReason::NoAuthor);
}

#[test]
fn non_messages_and_unknown_chats_are_ignored() {
    assert_eq!(ignored(&Update::default()), IgnoreReason::NoMessage);
    let odd = json!({"id": 5, "type": "hologram"});
    assert_eq!(ignored(&update(odd, json!({}))), IgnoreReason::Unsupported);
}

#[test]
fn empty_and_unsupported_media() {
    assert_eq!(
        ignored(&update(private_chat(), json!({"text": "  "}))),
        IgnoreReason::Empty
    );
    let service = json!({"text": null, "new_chat_members": [ada()]});
    assert_eq!(ignored(&update(group_chat(), service)), IgnoreReason::Empty);
    let photo = json!([{"file_id": "p", "width": 90, "height": 90}]);
    assert_eq!(
        ignored(&update(
            private_chat(),
            json!({"text": null, "photo": photo})
        )),
        IgnoreReason::Unsupported
    );
    let sticker = json!({"text": null, "sticker": {"file_id": "s"}});
    assert_eq!(
        ignored(&update(private_chat(), sticker)),
        IgnoreReason::Unsupported
    );
}

#[test]
fn a_photo_with_a_caption_keeps_the_caption() {
    let photo = json!([{"file_id": "p", "width": 90, "height": 90}]);
    let m = inbound(&update(
        group_chat(),
        json!({"text": null, "photo": photo, "caption": "look @companion_bot",
               "caption_entities": [mention(5, 14)],
               "entities": [mention(0, 4)]}),
    ));
    assert_eq!(m.text, "look");
    assert!(m.mentions_bot);
    assert!(m.attachments.is_empty());
}

#[test]
fn documents_become_attachments_to_fetch() {
    let doc = json!({"file_id": "BQACAgI", "file_unique_id": "u", "file_name": "notes.md",
                     "mime_type": "text/markdown", "file_size": 1234});
    let m = inbound(&update(
        private_chat(),
        json!({"text": null, "document": doc, "caption": "summarize"}),
    ));
    assert_eq!(m.text, "summarize");
    assert_eq!(
        m.attachments,
        vec![Attachment {
            name: "notes.md".into(),
            mime: Some("text/markdown".into()),
            size: 1234,
            text: None,
            source: Some("BQACAgI".into()),
        }]
    );
    let bare = json!({"text": null, "document": {"file_id": "X"}});
    let m = inbound(&update(private_chat(), bare));
    assert_eq!(m.text, "");
    assert_eq!(
        m.attachments,
        vec![Attachment {
            name: "document".into(),
            mime: None,
            size: 0,
            text: None,
            source: Some("X".into()),
        }]
    );
}

#[test]
fn display_names_fall_back() {
    let cases = [
        (json!({"id": 1, "first_name": "Solo"}), "Solo"),
        (
            json!({"id": 1, "first_name": "", "username": "handle"}),
            "handle",
        ),
        (json!({"id": 1}), "1"),
    ];
    for (from, want) in cases {
        let m = inbound(&update(private_chat(), json!({"from": from})));
        assert_eq!(m.author.display_name, want);
    }
}

#[test]
fn odd_dates_do_not_overflow() {
    let m = inbound(&update(private_chat(), json!({"date": -5})));
    assert_eq!(m.sent_at_ms, 0);
    let m = inbound(&update(private_chat(), json!({"date": i64::MAX})));
    assert_eq!(m.sent_at_ms, u64::MAX);
}

#[test]
fn message_refs_round_trip() {
    let r = MessageRef {
        chat_id: -1001234,
        message_id: 56,
    };
    assert_eq!(r.to_string(), "-1001234:56");
    assert_eq!("-1001234:56".parse::<MessageRef>(), Ok(r));
    for bad in ["", "12", ":5", "a:5", "5:b", "1:2:3", "1: 2"] {
        assert_eq!(bad.parse::<MessageRef>(), Err(BadMessageRef), "{bad:?}");
    }
}
