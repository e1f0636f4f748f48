//! What a worker needs from a platform to answer: send a reply, show that it is typing. Each
//! adapter (Discord, Telegram, the simulator) implements [`Deliver`]; the pipeline depends only on
//! this trait.

use std::time::Duration;

use async_trait::async_trait;

use crate::event::{Outbound, Target};

/// What the platform did with a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// Platform message ids of the parts sent, in order.
    pub message_ids: Vec<String>,
}

/// Why a permanent failure is permanent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PermanentKind {
    /// The user blocked the bot (Telegram 403).
    Blocked,
    /// The chat or channel is gone (Telegram "chat not found", Discord 10003).
    ChannelGone,
    /// The bot may not post there (Discord 50013, Telegram "not enough rights").
    Forbidden,
    /// The platform refused the content itself, even as plain text.
    Rejected,
}

impl PermanentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PermanentKind::Blocked => "blocked",
            PermanentKind::ChannelGone => "channel_gone",
            PermanentKind::Forbidden => "forbidden",
            PermanentKind::Rejected => "rejected",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Rate limited: try again after this long (this target only).
    #[error("rate limited; retry after {0:?}")]
    RetryAfter(Duration),
    /// Will never succeed: end the job, count it, do not stall anyone else.
    #[error("permanent delivery failure: {}", .0.as_str())]
    Permanent(PermanentKind),
    /// Network or server trouble: retry later.
    #[error("transient delivery failure: {0}")]
    Transient(String),
}

#[async_trait]
pub trait Deliver: Send + Sync + 'static {
    /// Sends a reply (split by the adapter to the platform's limit), all parts in order.
    async fn deliver(&self, out: &Outbound) -> Result<Delivered, DeliveryError>;

    /// Shows a typing indicator in `target` for a few seconds (best effort).
    async fn typing(&self, target: &Target) -> Result<(), DeliveryError>;

    /// How often to repeat [`Deliver::typing`] while a job runs (Discord ~8 s, Telegram ~4.5 s).
    fn typing_every(&self) -> Duration;
}
