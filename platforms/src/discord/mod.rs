//! The pure parts of the Discord adapter: reading gateway message payloads into
//! [`crate::Inbound`], the names and mention rules of webhook sends, and the state of a channel's
//! webhook pool under Discord's rate limits. No I/O and no Discord library here; the adapter in
//! the main crate does the talking.

pub mod mentions;
pub mod message;
pub mod normalize;
pub mod permissions;
pub mod pool;
pub mod time;
pub mod username;

pub use mentions::{allowed_mentions, neutralize};
pub use message::{
    Member, Mention, Message, MessageAttachment, MessageError, MessageReference, RepliedMessage,
    Thread, User,
};
pub use normalize::{DiscordBot, IgnoreReason, Normalized, normalize, placement};
pub use permissions::{GuildRoles, is_moderator};
pub use pool::{
    CREATE_POLL_MS, CREATE_TIMEOUT_MS, Headers, MAX_WEBHOOKS_PER_CHANNEL, Pick, Webhook,
    WebhookPool, seconds_to_ms,
};
pub use time::{DISCORD_EPOCH_MS, parse_rfc3339_ms, snowflake_ms};
pub use username::{FALLBACK_USERNAME, MAX_USERNAME_CHARS, webhook_username};
