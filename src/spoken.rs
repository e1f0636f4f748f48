//! Which personality sent which platform message, so that a reply to it goes back to that
//! personality (Telegram groups and Discord channels where several speak). Kept in the store's
//! expiring cache, shared by every process: losing an entry only means the reply goes to the
//! default personality.

use std::sync::Arc;

use switchboard_platforms::{Inbound, Target};

use crate::services::Services;

/// How long a sent message is remembered.
const REMEMBER_MS: u64 = 30 * 86_400_000;

fn key(platform: &str, bot: &str, message_id: &str) -> String {
    format!("said:{platform}:{}:{bot}:{message_id}", bot.len())
}

/// Records that `personality` sent these messages (best effort).
pub async fn remember(
    svc: &Arc<Services>,
    target: &Target,
    message_ids: &[String],
    personality: &str,
) {
    let expires = svc.now_ms() + REMEMBER_MS;
    for id in message_ids {
        let k = key(target.platform.as_str(), &target.bot, id);
        if let Err(e) = svc.store.cache_put(&k, personality, expires).await {
            tracing::info!(error = %e, "could not remember who sent a message");
            return;
        }
    }
}

/// Fills in the personality of the bot message `m` replies to, when it is known.
pub async fn recall(svc: &Arc<Services>, m: &mut Inbound) {
    let Some(r) = m
        .reply_to
        .as_mut()
        .filter(|r| r.to_self && r.personality.is_none())
    else {
        return;
    };
    let k = key(m.platform.as_str(), &m.bot, &r.message_id);
    match svc.store.cache_get(&k, svc.now_ms()).await {
        Ok(found) => r.personality = found,
        Err(e) => tracing::info!(error = %e, "could not look up who sent a replied-to message"),
    }
}
