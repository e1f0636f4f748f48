//! The subset of the Telegram Bot API `Update` the adapter reads, as plain serde structs, so the
//! normalization can be tested on JSON exactly as Telegram sends it (from `getUpdates`, a webhook
//! body, or a library's serialized update). Every field but `update_id` defaults when absent and
//! unknown fields are ignored, so a newer Bot API does not break parsing; a value of the wrong
//! type, or anything but an object with an `update_id`, is an [`UpdateError`], never a panic.
//! (Inside an update serde also reads an array as a struct's fields in order; Telegram never
//! sends that, and it is harmless.)

use serde::Deserialize;
use serde::de::IgnoredAny;

/// One update from Telegram.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Update {
    /// Telegram's sequence number; the poller acknowledges by asking for `update_id + 1`.
    /// Required: an update without one cannot be acknowledged.
    pub update_id: i64,
    /// A new message in a private chat or group.
    #[serde(default)]
    pub message: Option<Message>,
    /// A new version of an earlier message.
    #[serde(default)]
    pub edited_message: Option<Message>,
    /// A post in a channel (never answered; only its presence matters).
    #[serde(default)]
    pub channel_post: Option<IgnoredAny>,
    /// An edited channel post (never answered).
    #[serde(default)]
    pub edited_channel_post: Option<IgnoredAny>,
}

impl Update {
    /// Parses one update from its JSON text (an object). The error never quotes the content.
    pub fn from_json(json: &str) -> Result<Update, UpdateError> {
        if !json.trim_start().starts_with('{') {
            return Err(UpdateError {
                update_id: None,
                category: "not_an_object",
                line: 1,
                column: 1,
            });
        }
        serde_json::from_str(json).map_err(|e| UpdateError::new(json, &e))
    }
}

/// A message (new or edited).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Message {
    /// Unique only within its chat.
    pub message_id: i64,
    /// Unix seconds when it was sent.
    pub date: i64,
    /// Unix seconds of the last edit (edited messages only).
    pub edit_date: Option<i64>,
    pub chat: Chat,
    /// The sender; absent in channels, and a placeholder bot when `sender_chat` is set.
    pub from: Option<User>,
    /// The chat the message was sent on behalf of (an anonymous group admin, or a user posting
    /// as their channel).
    pub sender_chat: Option<Chat>,
    pub text: Option<String>,
    /// The text of a photo, document or other media message.
    pub caption: Option<String>,
    /// Formatting, mentions and commands in `text`.
    pub entities: Vec<Entity>,
    /// Formatting, mentions and commands in `caption`.
    pub caption_entities: Vec<Entity>,
    pub document: Option<Document>,
    /// Photo sizes; only whether there is a photo matters.
    pub photo: Option<IgnoredAny>,
    /// Other media kinds the bot does not read; their presence makes a text-less message
    /// "unsupported" rather than "empty".
    pub sticker: Option<IgnoredAny>,
    pub voice: Option<IgnoredAny>,
    pub audio: Option<IgnoredAny>,
    pub video: Option<IgnoredAny>,
    pub video_note: Option<IgnoredAny>,
    pub animation: Option<IgnoredAny>,
    pub reply_to_message: Option<Box<RepliedMessage>>,
    /// The forum topic of a supergroup message.
    pub message_thread_id: Option<i64>,
    /// The message was sent in a forum topic (`message_thread_id` names it).
    pub is_topic_message: bool,
    /// A channel post Telegram forwarded into the channel's linked discussion group.
    pub is_automatic_forward: bool,
    /// The inline bot the message was sent through.
    pub via_bot: Option<User>,
}

impl Message {
    /// Whether the message carries media the bot does not read (anything but text and
    /// documents).
    pub fn has_unsupported_media(&self) -> bool {
        [
            &self.photo,
            &self.sticker,
            &self.voice,
            &self.audio,
            &self.video,
            &self.video_note,
            &self.animation,
        ]
        .iter()
        .any(|m| m.is_some())
    }
}

/// The message a message replies to: only who sent it and its id are read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RepliedMessage {
    pub message_id: i64,
    pub from: Option<User>,
}

/// A chat: private, group, supergroup or channel.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Chat {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: ChatKind,
    /// Group and channel name (private chats have none).
    pub title: Option<String>,
}

/// The `type` of a chat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Private,
    Group,
    Supergroup,
    Channel,
    /// Missing, or a kind newer than this code.
    #[default]
    #[serde(other)]
    Unknown,
}

/// A Telegram user or bot.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
}

/// A formatted span of a text or caption, located in UTF-16 code units.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Entity {
    /// `mention`, `text_mention`, `bot_command`, `bold`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Start in UTF-16 code units (signed so a bad value is ignored rather than refused).
    pub offset: i64,
    /// Length in UTF-16 code units.
    pub length: i64,
    /// The user of a `text_mention`.
    pub user: Option<User>,
}

/// A file sent as a document.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Document {
    /// What `getFile` needs to download it.
    pub file_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub file_size: Option<u64>,
}

/// An update Telegram sent that could not be read. Carries where parsing failed and the
/// update's id when it could still be found, never the content (it may be a user's message).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unreadable Telegram update{}: {category} error at line {line} column {column}",
    .update_id.map(|id| format!(" {id}")).unwrap_or_default())]
pub struct UpdateError {
    /// The update's id, so a poller can still skip past it.
    pub update_id: Option<i64>,
    /// `syntax`, `data` (a wrong type or value, or no `update_id`), `eof`, `io`, or
    /// `not_an_object`.
    pub category: &'static str,
    pub line: usize,
    pub column: usize,
}

impl UpdateError {
    fn new(json: &str, e: &serde_json::Error) -> UpdateError {
        /// Only the id, to recover it from an update whose other fields are unreadable.
        #[derive(Deserialize)]
        struct IdOnly {
            update_id: i64,
        }
        let category = match e.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        };
        UpdateError {
            update_id: serde_json::from_str::<IdOnly>(json)
                .ok()
                .map(|i| i.update_id),
            category,
            line: e.line(),
            column: e.column(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{
        "update_id": 77,
        "message": {
            "message_id": 12, "date": 1700000000,
            "chat": {"id": -1001, "type": "supergroup", "title": "Club", "is_forum": true},
            "from": {"id": 42, "is_bot": false, "first_name": "Ada", "last_name": "L",
                     "username": "ada", "language_code": "en"},
            "text": "hi @bot", "entities": [{"type": "mention", "offset": 3, "length": 4}],
            "reply_to_message": {"message_id": 5, "date": 1, "chat": {"id": -1001, "type": "supergroup"},
                                 "from": {"id": 9, "is_bot": true, "first_name": "B"}},
            "message_thread_id": 3, "is_topic_message": true,
            "via_bot": {"id": 8, "is_bot": true, "first_name": "Inline"},
            "photo": [{"file_id": "p", "width": 1, "height": 1}],
            "document": {"file_id": "F1", "file_unique_id": "u", "file_name": "a.txt",
                         "mime_type": "text/plain", "file_size": 10},
            "some_future_field": {"nested": [1, 2, 3]}
        }
    }"#;

    #[test]
    fn reads_the_fields_it_needs_and_ignores_the_rest() {
        let u = Update::from_json(FULL).unwrap();
        assert_eq!(u.update_id, 77);
        let m = u.message.unwrap();
        assert_eq!(
            (m.message_id, m.date, m.edit_date),
            (12, 1_700_000_000, None)
        );
        assert_eq!(m.chat.kind, ChatKind::Supergroup);
        assert_eq!(m.chat.title.as_deref(), Some("Club"));
        let from = m.from.as_ref().unwrap();
        assert_eq!(
            (from.id, from.is_bot, from.username.as_deref()),
            (42, false, Some("ada"))
        );
        assert_eq!(m.entities[0].kind, "mention");
        assert_eq!((m.entities[0].offset, m.entities[0].length), (3, 4));
        assert_eq!(m.reply_to_message.as_ref().unwrap().message_id, 5);
        assert_eq!((m.message_thread_id, m.is_topic_message), (Some(3), true));
        assert_eq!(m.via_bot.as_ref().unwrap().id, 8);
        assert!(m.photo.is_some() && m.has_unsupported_media());
        let d = m.document.unwrap();
        assert_eq!(d.file_id, "F1");
        assert_eq!(d.file_size, Some(10));
        assert!(u.edited_message.is_none() && u.channel_post.is_none());
    }

    #[test]
    fn missing_fields_default() {
        let u = Update::from_json(r#"{"update_id": 1, "message": {}}"#).unwrap();
        let m = u.message.unwrap();
        assert_eq!(m.chat.kind, ChatKind::Unknown);
        assert!(m.text.is_none() && m.entities.is_empty() && !m.has_unsupported_media());
        assert_eq!(
            Update::from_json(r#"{"update_id": 0}"#).unwrap(),
            Update::default()
        );
    }

    #[test]
    fn new_chat_kinds_are_unknown() {
        let u = Update::from_json(
            r#"{"update_id": 1, "message": {"chat": {"id": 1, "type": "hologram"}}}"#,
        );
        assert_eq!(u.unwrap().message.unwrap().chat.kind, ChatKind::Unknown);
    }

    #[test]
    fn channel_posts_are_seen() {
        let u = Update::from_json(r#"{"update_id": 2, "channel_post": {"text": "news"}}"#);
        assert!(u.unwrap().channel_post.is_some());
    }

    #[test]
    fn malformed_json_is_an_error_without_content() {
        for bad in [
            "",
            "null",
            "[]",
            "42",
            "{",
            r#"{"update_id": "x"}"#,
            r#"{"update_id": 1, "message": {"text": 5}}"#,
            r#"{"update_id": 1, "message": {"entities": null}}"#,
            r#"{"update_id": 1, "message": {"document": {"file_size": -1}}}"#,
            "\u{0}\u{ffff}",
            "{}",
            r#"{"message": {"text": "no id"}}"#,
            "[1]",
            r#"  [{"update_id": 1}]"#,
        ] {
            assert!(Update::from_json(bad).is_err(), "{bad:?} parsed");
        }
        let e = Update::from_json(r#"{"update_id": 9, "message": {"message_id": "secret words"}}"#)
            .unwrap_err();
        assert_eq!(e.update_id, Some(9));
        assert_eq!(e.category, "data");
        let shown = e.to_string();
        assert!(shown.starts_with("unreadable Telegram update 9: data error"));
        assert!(!shown.contains("secret"), "{shown}");
        let e = Update::from_json("{").unwrap_err();
        assert_eq!((e.update_id, e.category), (None, "eof"));
        let e = Update::from_json("[]").unwrap_err();
        assert_eq!(e.category, "not_an_object");
    }
}
