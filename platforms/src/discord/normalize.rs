//! Turns a Discord gateway [`Message`] into the platform-independent [`Inbound`] the router reads,
//! or says why there is nothing to answer. Pure: the adapter passes in who the bot is, which
//! webhooks are its own, and a thread's parent channel from its channel cache.
//!
//! Snowflake ids are globally unique, so a message's id is its plain id. An edit carries its edit
//! time, so each edit gets its own job id. A `MESSAGE_UPDATE` that is no edit (Discord adding a
//! link preview) normalizes to the same job id as the original and is deduplicated by the queue.
//!
//! Messages the bot's own user or webhooks sent come back as [`Inbound`]s with `from_self` set
//! (the router never answers them, the adapter may record them); other bots' and every other
//! webhook's messages are ignored, so personalities never talk to each other in a loop.

use std::ops::Range;

use super::message::{Message, MessageAttachment, REFERENCE_REPLY, TYPE_DEFAULT, TYPE_REPLY, User};
use super::time::{parse_rfc3339_ms, snowflake_ms};
use crate::event::{Attachment, Author, Inbound, Place, Platform, ReplyRef, Scope};
use crate::telegram::remove_spans;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

/// Who the bot receiving the message is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscordBot {
    /// The configured bot name ([`Inbound::bot`]).
    pub name: String,
    /// The bot user's id: its mentions (`<@id>`), its own messages, replies to them.
    pub user_id: u64,
    /// The bot's application id, when known: interaction responses and application-owned
    /// webhooks carry it.
    pub application_id: Option<u64>,
}

/// What a message amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per message and consumed at once; a box would only add an allocation"
)]
pub enum Normalized {
    Message(Inbound),
    Ignored(IgnoreReason),
}

/// Why a message gives nothing to route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// A message type other than an ordinary message or reply (a join, a pin, a boost, a
    /// slash-command response, ...).
    MessageType,
    /// Sent by Discord's own system user.
    System,
    /// Written by another bot or sent through a webhook that is not ours.
    FromBot,
    /// No author (a partial update).
    NoAuthor,
    /// No text and no attachment (or only the bot's mention).
    Empty,
    /// Only content the bot does not read: stickers, a forward, a poll.
    Unsupported,
}

impl IgnoreReason {
    /// A stable name for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::MessageType => "message_type",
            IgnoreReason::System => "system",
            IgnoreReason::FromBot => "from_bot",
            IgnoreReason::NoAuthor => "no_author",
            IgnoreReason::Empty => "empty",
            IgnoreReason::Unsupported => "unsupported",
        }
    }
}

/// Normalizes one message received by `bot`. `is_own_webhook` says whether a webhook id belongs
/// to the bot's webhook pools; `thread_parent` is the parent channel when `msg.channel_id` is a
/// thread (the [`Place`] then names the parent, which owns the webhooks, and the thread).
pub fn normalize(
    msg: &Message,
    bot: &DiscordBot,
    is_own_webhook: &dyn Fn(u64) -> bool,
    thread_parent: Option<u64>,
) -> Normalized {
    match inbound(msg, bot, is_own_webhook, thread_parent) {
        Ok(m) => Normalized::Message(m),
        Err(reason) => Normalized::Ignored(reason),
    }
}

fn inbound(
    msg: &Message,
    bot: &DiscordBot,
    is_own_webhook: &dyn Fn(u64) -> bool,
    thread_parent: Option<u64>,
) -> Result<Inbound, IgnoreReason> {
    if msg.kind != TYPE_DEFAULT && msg.kind != TYPE_REPLY {
        return Err(IgnoreReason::MessageType);
    }
    let user = msg
        .author
        .as_ref()
        .filter(|a| a.id != 0)
        .ok_or(IgnoreReason::NoAuthor)?;
    if user.system {
        return Err(IgnoreReason::System);
    }
    let from_self = is_own(
        user.id,
        msg.webhook_id,
        msg.application_id,
        bot,
        is_own_webhook,
    );
    if !from_self && (user.bot || msg.webhook_id.is_some()) {
        return Err(IgnoreReason::FromBot);
    }

    let (text, mentions_bot) = without_bot_mentions(&msg.content, bot.user_id);
    let attachments: Vec<Attachment> = msg.attachments.iter().map(attachment).collect();
    if text.is_empty() && attachments.is_empty() {
        return Err(if msg.has_unsupported_content() {
            IgnoreReason::Unsupported
        } else {
            IgnoreReason::Empty
        });
    }

    let (scope, place) = placement(msg.guild_id, msg.channel_id, thread_parent);

    let edited = msg.edited_timestamp.is_some();
    let sent_at_ms = match &msg.edited_timestamp {
        // An unreadable edit time still has to differ from the original's.
        Some(at) => parse_rfc3339_ms(at).unwrap_or_else(|| snowflake_ms(msg.id) + 1),
        None => snowflake_ms(msg.id),
    };

    Ok(Inbound {
        platform: Platform::Discord,
        bot: bot.name.clone(),
        scope,
        author: author(user, msg),
        place,
        message_id: msg.id.to_string(),
        text,
        attachments,
        reply_to: reply_to(msg, bot, is_own_webhook),
        mentions_bot,
        from_self,
        edited,
        sent_at_ms,
    })
}

/// Where a message (or a slash command) in `channel` of `guild` belongs: the server's scope
/// (or DMs'), and the channel, or for a thread (`thread_parent` known) the parent channel,
/// which owns the webhooks, with the thread.
pub fn placement(guild: Option<u64>, channel: u64, thread_parent: Option<u64>) -> (Scope, Place) {
    let channel = channel.to_string();
    match guild {
        Some(guild_id) => (
            Scope::DiscordGuild { guild_id },
            match thread_parent {
                Some(parent) => Place {
                    channel_id: parent.to_string(),
                    thread_id: Some(channel),
                    is_dm: false,
                },
                None => Place {
                    channel_id: channel,
                    thread_id: None,
                    is_dm: false,
                },
            },
        ),
        None => (
            Scope::DiscordDm,
            Place {
                channel_id: channel,
                thread_id: None,
                is_dm: true,
            },
        ),
    }
}

/// Sent by the bot: its user, one of its webhooks, or its application (an interaction
/// response, whose webhook id is the application id).
fn is_own(
    author_id: u64,
    webhook_id: Option<u64>,
    application_id: Option<u64>,
    bot: &DiscordBot,
    is_own_webhook: &dyn Fn(u64) -> bool,
) -> bool {
    let ours_app = |id: Option<u64>| bot.application_id.is_some() && id == bot.application_id;
    (author_id != 0 && author_id == bot.user_id)
        || webhook_id.is_some_and(|w| is_own_webhook(w) || ours_app(Some(w)))
        || ours_app(application_id)
}

/// The text without the bot's mentions, trimmed, and whether there were any. Removal repeats
/// until none is left, so `<@<@id>id>` cannot leave a mention behind.
fn without_bot_mentions(content: &str, user_id: u64) -> (String, bool) {
    let mut text = content.to_owned();
    let mut found = false;
    loop {
        let spans = bot_mentions(&text, user_id);
        if spans.is_empty() {
            return (text.trim().to_owned(), found);
        }
        found = true;
        text = remove_spans(&text, &spans);
    }
}

/// Byte ranges of `<@id>` and `<@!id>` (the legacy nickname form) mentioning `user_id`, in
/// order, never overlapping.
fn bot_mentions(text: &str, user_id: u64) -> Vec<Range<usize>> {
    let id = user_id.to_string();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("<@")) {
        let start = from + found;
        let after = &text[start + 2..];
        let bang = usize::from(after.starts_with('!'));
        let is_ours = after[bang..]
            .strip_prefix(id.as_str())
            .is_some_and(|tail| tail.starts_with('>'));
        if is_ours {
            let end = start + 2 + bang + id.len() + 1;
            spans.push(start..end);
            from = end;
        } else {
            from = start + 2;
        }
    }
    spans
}

/// The author: server nickname, else global display name, else username.
fn author(user: &User, msg: &Message) -> Author {
    let username = Some(user.username.trim().to_owned()).filter(|n| !n.is_empty());
    let display_name = [
        msg.member.as_ref().and_then(|m| m.nick.as_deref()),
        user.global_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|n| !n.is_empty())
    .map(str::to_owned)
    .or_else(|| username.clone())
    .unwrap_or_else(|| user.id.to_string());
    Author {
        id: user.id.to_string(),
        display_name,
        username,
        is_bot: user.bot,
        // Message payloads carry no permissions; the adapter sets this from its guild cache.
        moderator: false,
    }
}

/// The message replied to, for a reply (not a forward or a crosspost). `personality` is left
/// for the adapter, which knows which personality sent its webhook messages.
fn reply_to(
    msg: &Message,
    bot: &DiscordBot,
    is_own_webhook: &dyn Fn(u64) -> bool,
) -> Option<ReplyRef> {
    if msg.kind != TYPE_REPLY {
        return None;
    }
    let reference = msg
        .message_reference
        .as_ref()
        .filter(|r| r.kind == REFERENCE_REPLY);
    let replied = msg.referenced_message.as_deref();
    let message_id = reference
        .and_then(|r| r.message_id)
        .or(replied.map(|r| r.id))
        .filter(|&id| id != 0)?;
    let to_self = replied.is_some_and(|r| {
        r.id == message_id
            && is_own(
                r.author.as_ref().map_or(0, |a| a.id),
                r.webhook_id,
                r.application_id,
                bot,
                is_own_webhook,
            )
    });
    Some(ReplyRef {
        message_id: message_id.to_string(),
        to_self,
        personality: None,
    })
}

fn attachment(a: &MessageAttachment) -> Attachment {
    Attachment {
        name: Some(a.filename.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or("attachment")
            .to_owned(),
        mime: a.content_type.clone().filter(|m| !m.trim().is_empty()),
        size: a.size,
        text: None,
        source: Some(a.url.clone()).filter(|u| !u.is_empty()),
    }
}
