//! The fake Discord's public vocabulary: how it is configured, the world a test sets up (servers,
//! roles, channels, users), what a test makes happen (messages, slash commands), and the records
//! of what the bot did (messages, interaction answers, every REST call).

use std::time::{Duration, Instant};

use serde_json::Value;

/// How the fake behaves.
#[derive(Clone, Debug)]
pub struct FakeDiscordConfig {
    /// The bot's user id, also its application id.
    pub bot_user_id: u64,
    pub bot_name: String,
    /// Requests per window each webhook takes before 429 (Discord: about 5 per 2 s).
    pub webhook_bucket: (u32, Duration),
    /// Bot messages per window per channel before 429.
    pub channel_bucket: (u32, Duration),
    /// Added to every REST answer.
    pub latency: Duration,
}

impl Default for FakeDiscordConfig {
    fn default() -> Self {
        FakeDiscordConfig {
            bot_user_id: 900,
            bot_name: "switchboard".into(),
            webhook_bucket: (5, Duration::from_secs(2)),
            channel_bucket: (5, Duration::from_secs(5)),
            latency: Duration::ZERO,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FakeRole {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
}

/// A server. Its `@everyone` role (id = the guild's) is added when absent, with View Channel
/// and Send Messages.
#[derive(Clone, Debug)]
pub struct FakeGuild {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    pub roles: Vec<FakeRole>,
    /// Text channels.
    pub channels: Vec<u64>,
}

#[derive(Clone, Debug)]
pub struct FakeUser {
    pub id: u64,
    pub username: String,
    pub global_name: Option<String>,
    pub bot: bool,
}

/// A message a member (or another bot) writes.
#[derive(Clone, Debug)]
pub struct UserMessage {
    /// `None`: a direct message (then `channel` is [`super::FakeDiscord::dm_channel`]).
    pub guild: Option<u64>,
    pub channel: u64,
    pub author: u64,
    pub content: String,
    pub reply_to: Option<u64>,
    /// The author's roles in the server.
    pub roles: Vec<u64>,
    /// (filename, bytes, content type).
    pub attachments: Vec<(String, Vec<u8>, String)>,
}

/// A slash command invoked by a member.
#[derive(Clone, Debug)]
pub struct SlashCommand {
    pub guild: Option<u64>,
    pub channel: u64,
    pub user: u64,
    pub roles: Vec<u64>,
    pub name: String,
    /// String options (type 3), by name.
    pub options: Vec<(String, Value)>,
}

/// A message the bot or one of its webhooks created.
#[derive(Clone, Debug)]
pub struct Posted {
    pub id: u64,
    /// The channel (a thread's parent for webhook sends into a thread).
    pub channel_id: u64,
    pub thread_id: Option<u64>,
    pub webhook_id: Option<u64>,
    /// The bot's user id, or the webhook's id for webhook messages.
    pub author_id: u64,
    /// The webhook's username override, or the bot's name.
    pub username: String,
    pub avatar_url: Option<String>,
    pub content: String,
    pub allowed_mentions: Option<Value>,
    pub reply_to: Option<u64>,
    pub flags: u64,
    pub files: Vec<(String, Vec<u8>)>,
    pub at: Instant,
}

/// An answer to an interaction (its callback).
#[derive(Clone, Debug)]
pub struct InteractionReply {
    pub interaction_id: u64,
    /// The callback type (4: a message).
    pub kind: u64,
    pub content: String,
    pub flags: u64,
    pub files: Vec<(String, Vec<u8>)>,
    pub allowed_mentions: Option<Value>,
    pub at: Instant,
}

/// One REST request and how it was answered.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    /// Without the query; a webhook's token is replaced by `***`.
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    /// Discord's JSON error code, for errors that carry one.
    pub code: Option<u64>,
    pub at: Instant,
}

#[derive(Clone, Debug)]
pub struct FakeWebhook {
    pub id: u64,
    pub token: String,
    pub channel_id: u64,
    pub name: String,
    /// Created by the bot (others belong to other apps).
    pub owner_bot: bool,
}

/// Permissions the bot lacks in a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forbid {
    /// Listing and creating webhooks: 403 50013.
    ManageWebhooks,
    /// Posting (bot messages and webhook executes): 403 50013.
    Send,
    All,
}

/// A wait ran out; what was there is attached.
#[derive(Debug)]
pub struct WaitTimeout {
    pub wanted: usize,
    pub got: usize,
}

impl std::fmt::Display for WaitTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "waited for {} but got {}", self.wanted, self.got)
    }
}

impl std::error::Error for WaitTimeout {}
