//! The subset of a Discord gateway `MESSAGE_CREATE` / `MESSAGE_UPDATE` payload (the event's `d`
//! object) the adapter reads, as plain serde structs, so normalization is tested on JSON exactly
//! as Discord sends it. Ids are snowflakes written as strings of digits (a bare integer is read
//! too). Only `id` and `channel_id` are required; every other field defaults when absent or
//! `null`, and unknown fields are ignored, so a newer API does not break parsing. A value of the
//! wrong type, or anything but an object, is a [`MessageError`] that never quotes the content.

use std::fmt;

use serde::de::{self, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer};

/// Message type `DEFAULT`: an ordinary message.
pub const TYPE_DEFAULT: u32 = 0;
/// Message type `REPLY`: an ordinary message replying to another.
pub const TYPE_REPLY: u32 = 19;
/// `message_reference.type` `DEFAULT`: a reply (the other kind, 1, is a forward).
pub const REFERENCE_REPLY: u32 = 0;

/// A message, new or edited.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Message {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    /// The channel, or the thread when the message is in a thread.
    #[serde(deserialize_with = "snowflake")]
    pub channel_id: u64,
    /// The server; absent in direct messages.
    #[serde(default, deserialize_with = "opt_snowflake")]
    pub guild_id: Option<u64>,
    /// The sender; for a webhook message a placeholder user named after the webhook. Absent only
    /// in partial updates.
    #[serde(default)]
    pub author: Option<User>,
    /// The sender's server profile (guild messages from members only).
    #[serde(default)]
    pub member: Option<Member>,
    #[serde(default, deserialize_with = "nullable")]
    pub content: String,
    /// When it was sent (RFC 3339).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// When it was last edited (RFC 3339); set on edits.
    #[serde(default)]
    pub edited_timestamp: Option<String>,
    /// Set when a webhook sent it (ours, another app's, or a followed channel's crosspost).
    #[serde(default, deserialize_with = "opt_snowflake")]
    pub webhook_id: Option<u64>,
    /// The application of an interaction response or an application-owned webhook.
    #[serde(default, deserialize_with = "opt_snowflake")]
    pub application_id: Option<u64>,
    /// Users mentioned (resolved by Discord).
    #[serde(default, deserialize_with = "nullable")]
    pub mentions: Vec<Mention>,
    /// Roles mentioned.
    #[serde(default, deserialize_with = "snowflakes")]
    pub mention_roles: Vec<u64>,
    /// `@everyone` or `@here` was used with permission to ping.
    #[serde(default, deserialize_with = "nullable")]
    pub mention_everyone: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub attachments: Vec<MessageAttachment>,
    /// What the message replies to (or forwards, or crossposts).
    #[serde(default)]
    pub message_reference: Option<MessageReference>,
    /// The replied-to message; `null` when it was deleted, absent when Discord did not resolve
    /// it.
    #[serde(default)]
    pub referenced_message: Option<Box<RepliedMessage>>,
    /// `type`: [`TYPE_DEFAULT`], [`TYPE_REPLY`], or a system message kind.
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: u32,
    /// The approximate position of a message in a thread; present only on messages in threads
    /// (the adapter still asks its channel cache for the thread's parent).
    #[serde(default)]
    pub position: Option<u64>,
    /// The thread this message started, if any.
    #[serde(default)]
    pub thread: Option<Thread>,
    /// Stickers; the bot does not read them, a sticker-only message is unsupported.
    #[serde(default, deserialize_with = "nullable")]
    pub sticker_items: Vec<IgnoredAny>,
    /// Forwarded messages (a forward carries its content here, not in `content`).
    #[serde(default, deserialize_with = "nullable")]
    pub message_snapshots: Vec<IgnoredAny>,
    /// A poll; not read.
    #[serde(default)]
    pub poll: Option<IgnoredAny>,
}

impl Message {
    /// Parses a message payload from its JSON text (an object). The error never quotes the
    /// content.
    pub fn from_json(json: &str) -> Result<Message, MessageError> {
        if !json.trim_start().starts_with('{') {
            return Err(MessageError {
                message_id: None,
                category: "not_an_object",
                line: 1,
                column: 1,
            });
        }
        serde_json::from_str(json).map_err(|e| MessageError::new(json, &e))
    }

    /// Whether it carries something the bot does not read (stickers, a forward, a poll).
    pub fn has_unsupported_content(&self) -> bool {
        !self.sticker_items.is_empty() || !self.message_snapshots.is_empty() || self.poll.is_some()
    }
}

/// A Discord user (or a webhook's placeholder user).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct User {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    #[serde(deserialize_with = "nullable")]
    pub username: String,
    /// The display name the user chose, if any.
    pub global_name: Option<String>,
    /// A bot account, or a webhook's placeholder user.
    #[serde(deserialize_with = "nullable")]
    pub bot: bool,
    /// Discord's own system user (official notices).
    #[serde(deserialize_with = "nullable")]
    pub system: bool,
}

/// The sender's server profile: the nickname, and the roles (which decide who moderates).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Member {
    pub nick: Option<String>,
    #[serde(deserialize_with = "snowflakes")]
    pub roles: Vec<u64>,
}

/// A mentioned user: only the id is read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Mention {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
}

/// A file attached to a message.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MessageAttachment {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    #[serde(deserialize_with = "nullable")]
    pub filename: String,
    /// Bytes.
    #[serde(deserialize_with = "nullable")]
    pub size: u64,
    pub content_type: Option<String>,
    /// Where the adapter downloads it from.
    #[serde(deserialize_with = "nullable")]
    pub url: String,
}

/// What a message refers to.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MessageReference {
    #[serde(deserialize_with = "opt_snowflake")]
    pub message_id: Option<u64>,
    #[serde(deserialize_with = "opt_snowflake")]
    pub channel_id: Option<u64>,
    #[serde(deserialize_with = "opt_snowflake")]
    pub guild_id: Option<u64>,
    /// `type`: [`REFERENCE_REPLY`] (also when absent), or 1 for a forward.
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: u32,
}

/// The message replied to: only who sent it and its id are read.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RepliedMessage {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    pub author: Option<User>,
    #[serde(deserialize_with = "opt_snowflake")]
    pub webhook_id: Option<u64>,
    #[serde(deserialize_with = "opt_snowflake")]
    pub application_id: Option<u64>,
}

/// A thread (a channel of its own, under a parent channel).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Thread {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    #[serde(deserialize_with = "opt_snowflake")]
    pub parent_id: Option<u64>,
}

/// A message payload that could not be read. Carries where parsing failed and the message's id
/// when it could still be found, never the content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unreadable Discord message{}: {category} error at line {line} column {column}",
    .message_id.map(|id| format!(" {id}")).unwrap_or_default())]
pub struct MessageError {
    pub message_id: Option<u64>,
    /// `syntax`, `data` (a wrong type or value, or no `id` / `channel_id`), `eof`, `io`, or
    /// `not_an_object`.
    pub category: &'static str,
    pub line: usize,
    pub column: usize,
}

impl MessageError {
    fn new(json: &str, e: &serde_json::Error) -> MessageError {
        /// Only the id, to name a message whose other fields are unreadable.
        #[derive(Deserialize)]
        struct IdOnly {
            #[serde(deserialize_with = "snowflake")]
            id: u64,
        }
        let category = match e.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        };
        MessageError {
            message_id: serde_json::from_str::<IdOnly>(json).ok().map(|i| i.id),
            category,
            line: e.line(),
            column: e.column(),
        }
    }
}

/// A snowflake: a string of ASCII digits that fits a `u64`, or a non-negative integer.
struct Snowflake(u64);

impl<'de> Deserialize<'de> for Snowflake {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SnowflakeVisitor;

        impl Visitor<'_> for SnowflakeVisitor {
            type Value = Snowflake;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a snowflake id (a string of digits)")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Snowflake, E> {
                Ok(Snowflake(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Snowflake, E> {
                u64::try_from(v)
                    .map(Snowflake)
                    .map_err(|_| E::custom("negative snowflake"))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Snowflake, E> {
                // Not `str::parse`, which would also take a leading '+'. The value itself is
                // never echoed into the error.
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom("not a snowflake"));
                }
                v.parse()
                    .map(Snowflake)
                    .map_err(|_| E::custom("snowflake out of range"))
            }
        }

        d.deserialize_any(SnowflakeVisitor)
    }
}

fn snowflake<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Snowflake::deserialize(d).map(|s| s.0)
}

fn opt_snowflake<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Option::<Snowflake>::deserialize(d)?.map(|s| s.0))
}

fn snowflakes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    let ids = Option::<Vec<Snowflake>>::deserialize(d)?.unwrap_or_default();
    Ok(ids.into_iter().map(|s| s.0).collect())
}

/// A field whose `null` means the same as its absence.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests;
