//! What the fake Telegram remembers for tests to inspect: the sends that landed, every call with
//! its answer status, per-chat counters, the webhook and the command menus a bot set.

use bytes::Bytes;
use serde_json::Value;

/// One message the bot got into a chat (`sendMessage` or `sendDocument` that answered ok).
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// The bot that sent it (its user id).
    pub bot_id: i64,
    /// `sendMessage` or `sendDocument`, as Telegram documents the name.
    pub method: &'static str,
    pub chat_id: i64,
    /// The id the fake gave the new message (increasing per chat).
    pub message_id: i64,
    /// `text` of a `sendMessage`, exactly as sent (markup included).
    pub text: Option<String>,
    /// `caption` of a `sendDocument`, exactly as sent.
    pub caption: Option<String>,
    pub parse_mode: Option<String>,
    /// The message this one answers: `reply_parameters.message_id`, or the legacy
    /// `reply_to_message_id`.
    pub reply_to_message_id: Option<i64>,
    /// `reply_parameters` as sent.
    pub reply_parameters: Option<Value>,
    pub message_thread_id: Option<i64>,
    /// `link_preview_options` as sent.
    pub link_preview_options: Option<Value>,
    /// The uploaded (or re-sent) file of a `sendDocument`.
    pub document: Option<SentDocument>,
}

impl Sent {
    /// The text or caption, whichever the send carried.
    pub fn body(&self) -> &str {
        self.text
            .as_deref()
            .or(self.caption.as_deref())
            .unwrap_or_default()
    }
}

/// A file a `sendDocument` carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentDocument {
    pub file_name: String,
    pub mime_type: Option<String>,
    pub bytes: Bytes,
    /// The id the fake registered it under (usable with `getFile`).
    pub file_id: String,
}

/// One API call, whatever its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub bot_id: i64,
    /// The method name as it came on the wire (teloxide sends `SendMessage`).
    pub method: String,
    /// The parameters as JSON (uploaded files appear as their `attach://` or field value).
    pub params: Value,
    /// The HTTP status of the answer.
    pub status: u16,
}

/// How one chat's requests went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChatCounters {
    /// Messages that landed.
    pub delivered: u64,
    /// Sends refused with 429.
    pub throttled: u64,
    /// Sends refused otherwise (4xx, 5xx).
    pub failed: u64,
    /// Chat actions ("typing") accepted.
    pub chat_actions: u64,
}

/// The webhook a bot registered with `setWebhook`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    /// Sent back as `X-Telegram-Bot-Api-Secret-Token` on each delivery.
    pub secret_token: Option<String>,
    pub allowed_updates: Option<Vec<String>>,
    pub max_connections: Option<i64>,
    pub drop_pending_updates: bool,
}

/// One entry of a command menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotCommand {
    pub command: String,
    pub description: String,
}

/// Where an incoming message was put.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub update_id: i64,
    pub message_id: i64,
}

/// `wait_for_sent` ran out of time; carries what had been sent by then.
#[derive(Debug, thiserror::Error)]
#[error("expected {wanted} sends, saw {}", sent.len())]
pub struct WaitTimeout {
    pub wanted: usize,
    pub sent: Vec<Sent>,
}
