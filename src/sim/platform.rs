//! The simulated platform: a [`Deliver`] that accepts every reply and notes when it arrived, and
//! the messages the scenario's users send, built as the platform adapters would build them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use switchboard_platforms::{
    Author, Deliver, Delivered, DeliveryError, Inbound, Outbound, Place, Platform, Scope, Target,
};

/// The bot name the simulator uses in job ids.
pub const BOT: &str = "sim";

#[derive(Default)]
pub struct SimPlatform {
    /// Replies delivered (answers and notices).
    pub delivered: AtomicU64,
    /// Typing indicators shown.
    pub typing: AtomicU64,
}

#[async_trait]
impl Deliver for SimPlatform {
    async fn deliver(&self, out: &Outbound) -> Result<Delivered, DeliveryError> {
        let n = self.delivered.fetch_add(1, Ordering::Relaxed);
        Ok(Delivered {
            message_ids: vec![format!("{}-{n}", out.job_id)],
        })
    }

    async fn typing(&self, _target: &Target) -> Result<(), DeliveryError> {
        self.typing.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn typing_every(&self) -> Duration {
        Duration::from_secs(5)
    }
}

/// Message `n` of simulated user `user` in `tenant`, as a private chat with the bot.
pub fn message(tenant: &str, user: &str, n: usize, now_ms: u64) -> Inbound {
    Inbound {
        platform: Platform::Sim,
        bot: BOT.into(),
        scope: Scope::Sim {
            tenant: tenant.to_owned(),
        },
        author: Author {
            id: user.to_owned(),
            display_name: user.to_owned(),
            username: None,
            is_bot: false,
            moderator: false,
        },
        place: Place {
            channel_id: format!("{tenant}/{user}"),
            thread_id: None,
            is_dm: true,
        },
        message_id: format!("{user}-{n}"),
        text: format!("Message {n} from {user}: how are you today?"),
        attachments: vec![],
        reply_to: None,
        mentions_bot: false,
        from_self: false,
        edited: false,
        sent_at_ms: now_ms,
    }
}

/// The deliver map entry for the simulator.
pub fn deliver_entry(p: Arc<SimPlatform>) -> ((Platform, String), Arc<dyn Deliver>) {
    ((Platform::Sim, BOT.to_owned()), p)
}
