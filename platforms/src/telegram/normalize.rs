//! Turns a Telegram [`Update`] into the platform-independent [`Inbound`] the router reads, or
//! says why there is nothing to answer. Pure: the adapter passes in who the bot is.
//!
//! Telegram message ids are only unique per chat, so ids are written `<chat_id>:<message_id>`
//! ([`MessageRef`]). Edits carry their edit time, so an edit gets its own job id.

use std::fmt;
use std::str::FromStr;

use super::entities::{OtherBot, address_command, bot_mentions, remove_spans};
use super::update::{Chat, ChatKind, Message, Update, User};
use crate::event::{Attachment, Author, Inbound, Place, Platform, ReplyRef, Scope};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// Who the bot receiving the update is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotIdentity {
    /// The configured bot name ([`Inbound::bot`]); several Telegram bots may run at once.
    pub name: String,
    /// The bot's own Telegram user id (from `getMe`): its messages and replies to them.
    pub user_id: i64,
    /// The bot's `@username` (with or without the `@`): mentions and `/cmd@username`.
    pub username: String,
}

/// What an update amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per update and consumed at once; a box would only add an allocation"
)]
pub enum Normalized {
    Message(Inbound),
    Ignored(IgnoreReason),
}

/// Why an update gives no message to route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// An update kind other than a message (a callback, a member change, ...).
    NoMessage,
    /// A channel post, or one Telegram forwarded into the channel's discussion group.
    ChannelPost,
    /// Written by a bot (no loops between bots).
    FromBot,
    /// Written by this bot, or sent through it in inline mode.
    FromSelf,
    /// A message without a sender.
    NoAuthor,
    /// No text and no document (a service message, or only the bot's mention).
    Empty,
    /// A `/command@otherbot`: addressed to another bot in the group.
    CommandForOtherBot,
    /// Media the bot does not read (a photo, sticker or voice note without a caption), or a chat
    /// of an unknown kind.
    Unsupported,
}

impl IgnoreReason {
    /// A stable name for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::NoMessage => "no_message",
            IgnoreReason::ChannelPost => "channel_post",
            IgnoreReason::FromBot => "from_bot",
            IgnoreReason::FromSelf => "from_self",
            IgnoreReason::NoAuthor => "no_author",
            IgnoreReason::Empty => "empty",
            IgnoreReason::CommandForOtherBot => "command_for_other_bot",
            IgnoreReason::Unsupported => "unsupported",
        }
    }
}

/// A message's id as switchboard writes it: `<chat_id>:<message_id>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageRef {
    pub chat_id: i64,
    /// Unique within the chat only.
    pub message_id: i64,
}

impl fmt::Display for MessageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.chat_id, self.message_id)
    }
}

/// A string that is not `<chat_id>:<message_id>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a Telegram message reference (<chat_id>:<message_id>)")]
pub struct BadMessageRef;

impl FromStr for MessageRef {
    type Err = BadMessageRef;

    /// Reads back [`MessageRef`]'s `Display` form (for threading a reply to
    /// [`crate::Outbound::reply_to`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (chat, message) = s.rsplit_once(':').ok_or(BadMessageRef)?;
        Ok(MessageRef {
            chat_id: chat.parse().map_err(|_| BadMessageRef)?,
            message_id: message.parse().map_err(|_| BadMessageRef)?,
        })
    }
}

/// Normalizes one update received by `bot`.
pub fn normalize(update: &Update, bot: &BotIdentity) -> Normalized {
    let (message, edited) = match (&update.message, &update.edited_message) {
        (Some(m), _) => (m, false),
        (None, Some(m)) => (m, true),
        (None, None) if update.channel_post.is_some() || update.edited_channel_post.is_some() => {
            return Normalized::Ignored(IgnoreReason::ChannelPost);
        }
        (None, None) => return Normalized::Ignored(IgnoreReason::NoMessage),
    };
    match inbound(message, edited, bot) {
        Ok(m) => Normalized::Message(m),
        Err(reason) => Normalized::Ignored(reason),
    }
}

fn inbound(m: &Message, edited: bool, bot: &BotIdentity) -> Result<Inbound, IgnoreReason> {
    let chat_id = m.chat.id;
    let (scope, place) = match m.chat.kind {
        ChatKind::Private => (
            Scope::TelegramPrivate,
            Place {
                channel_id: chat_id.to_string(),
                thread_id: None,
                is_dm: true,
            },
        ),
        ChatKind::Group | ChatKind::Supergroup => (
            Scope::TelegramChat { chat_id },
            Place {
                channel_id: chat_id.to_string(),
                thread_id: m
                    .message_thread_id
                    .filter(|_| m.is_topic_message)
                    .map(|t| t.to_string()),
                is_dm: false,
            },
        ),
        ChatKind::Channel => return Err(IgnoreReason::ChannelPost),
        ChatKind::Unknown => return Err(IgnoreReason::Unsupported),
    };
    let author = author(m, bot)?;

    let (raw, entities) = match (&m.text, &m.caption) {
        (Some(text), _) => (text.as_str(), m.entities.as_slice()),
        (None, Some(caption)) => (caption.as_str(), m.caption_entities.as_slice()),
        (None, None) => ("", &[][..]),
    };
    let mentions = bot_mentions(raw, entities, bot.user_id, &bot.username);
    let stripped = remove_spans(raw, &mentions);
    let command = address_command(stripped.trim(), &bot.username)
        .map_err(|OtherBot| IgnoreReason::CommandForOtherBot)?;
    // `/cmd@thisbot` addresses the bot as surely as a mention does.
    let mentions_bot = !mentions.is_empty() || command.is_some();
    let text = command.unwrap_or_else(|| stripped.trim().to_owned());

    let attachments: Vec<Attachment> = m.document.iter().map(attachment).collect();
    if text.is_empty() && attachments.is_empty() {
        return Err(if m.has_unsupported_media() {
            IgnoreReason::Unsupported
        } else {
            IgnoreReason::Empty
        });
    }

    let reply_to = m
        .reply_to_message
        .as_deref()
        // In a forum topic Telegram makes every message a reply to the topic's first message.
        .filter(|r| !(m.is_topic_message && m.message_thread_id == Some(r.message_id)))
        .map(|r| ReplyRef {
            message_id: MessageRef {
                chat_id,
                message_id: r.message_id,
            }
            .to_string(),
            to_self: r.from.as_ref().is_some_and(|f| f.id == bot.user_id),
            personality: None,
        });
    let sent_at = if edited {
        m.edit_date.unwrap_or(m.date)
    } else {
        m.date
    };
    Ok(Inbound {
        platform: Platform::Telegram,
        bot: bot.name.clone(),
        scope,
        author,
        place,
        message_id: MessageRef {
            chat_id,
            message_id: m.message_id,
        }
        .to_string(),
        text,
        attachments,
        reply_to,
        mentions_bot,
        // The bot's own messages were ignored in `author`.
        from_self: false,
        edited,
        sent_at_ms: u64::try_from(sent_at).unwrap_or(0).saturating_mul(1000),
    })
}

/// The author; ignores this bot, other bots, and messages without a sender.
fn author(m: &Message, bot: &BotIdentity) -> Result<Author, IgnoreReason> {
    if let Some(chat) = &m.sender_chat {
        // `from` is then a placeholder bot; the person speaks as the chat (an anonymous admin,
        // or a user posting as their channel) unless Telegram itself forwarded a channel post.
        if m.is_automatic_forward {
            return Err(IgnoreReason::ChannelPost);
        }
        return Ok(chat_author(chat));
    }
    let from = m.from.as_ref().ok_or(IgnoreReason::NoAuthor)?;
    if from.id == bot.user_id || m.via_bot.as_ref().is_some_and(|v| v.id == bot.user_id) {
        return Err(IgnoreReason::FromSelf);
    }
    if from.is_bot {
        return Err(IgnoreReason::FromBot);
    }
    Ok(user_author(from))
}

fn user_author(u: &User) -> Author {
    let name = match &u.last_name {
        Some(last) => format!("{} {last}", u.first_name),
        None => u.first_name.clone(),
    };
    let name = name.trim();
    let username = u.username.clone().filter(|n| !n.is_empty());
    Author {
        id: u.id.to_string(),
        display_name: if name.is_empty() {
            username.clone().unwrap_or_else(|| u.id.to_string())
        } else {
            name.to_owned()
        },
        username,
        is_bot: u.is_bot,
        moderator: false,
    }
}

fn chat_author(c: &Chat) -> Author {
    Author {
        id: c.id.to_string(),
        display_name: c
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| c.id.to_string()),
        username: None,
        is_bot: false,
        moderator: false,
    }
}

fn attachment(d: &super::update::Document) -> Attachment {
    Attachment {
        name: d
            .file_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "document".to_owned()),
        mime: d.mime_type.clone().filter(|m| !m.is_empty()),
        size: d.file_size.unwrap_or(0),
        text: None,
        source: Some(d.file_id.clone()).filter(|id| !id.is_empty()),
    }
}
