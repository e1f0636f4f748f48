//! Telling a server's admins, once, that a missing permission changes how the bot works there:
//! without Manage Webhooks personalities speak as the bot (name in bold), without Send Messages
//! the bot cannot answer in a channel at all. The owner of the server gets a direct message; the
//! "once" is kept in the store (so several processes agree), or in memory before the store is
//! attached.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::json;
use switchboard_platforms::discord::allowed_mentions;

use super::channels::Channels;
use super::rest::Rest;
use crate::store::Store;

/// How long one notice holds before the same problem is told again.
const REMIND_AFTER_MS: u64 = 30 * 24 * 3600 * 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// No Manage Webhooks: personalities speak as the bot.
    NoWebhooks,
    /// No permission to post at all.
    CannotSend,
}

impl Problem {
    fn key(self) -> &'static str {
        match self {
            Problem::NoWebhooks => "webhooks",
            Problem::CannotSend => "send",
        }
    }

    fn text(self, channel: u64) -> String {
        match self {
            Problem::NoWebhooks => format!(
                "I don't have the Manage Webhooks permission in <#{channel}>, so personalities \
                 there speak as me instead of with their own names and avatars. Grant it to let \
                 them speak for themselves."
            ),
            Problem::CannotSend => format!(
                "I don't have permission to post in <#{channel}>, so I can't answer anyone there. \
                 Grant me Send Messages (and Manage Webhooks) in that channel to fix it."
            ),
        }
    }
}

pub struct AdminNotices {
    rest: Rest,
    channels: Arc<Channels>,
    /// Attached once the pipeline is started (the store is made there).
    store: OnceLock<Arc<dyn Store>>,
    /// Problems already told by this process.
    told: Mutex<HashSet<String>>,
}

impl AdminNotices {
    pub fn new(rest: Rest, channels: Arc<Channels>) -> AdminNotices {
        AdminNotices {
            rest,
            channels,
            store: OnceLock::new(),
            told: Mutex::new(HashSet::new()),
        }
    }

    pub fn attach(&self, store: Arc<dyn Store>) {
        let _ = self.store.set(store);
    }

    /// Tells the owner of `channel`'s server about `problem`, unless already told.
    pub async fn tell(&self, channel: u64, problem: Problem, now_ms: u64) {
        let key = format!("discord:notice:{}:{channel}", problem.key());
        if !self
            .told
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone())
        {
            return;
        }
        if let Some(store) = self.store.get() {
            match store.mark_once(&key, now_ms + REMIND_AFTER_MS).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "could not record an admin notice");
                    return;
                }
            }
        }
        if let Err(e) = self.send(channel, problem).await {
            tracing::info!(channel, error = %e, "could not tell a server's owner about a permission");
        }
    }

    async fn send(&self, channel: u64, problem: Problem) -> Result<(), String> {
        let guild = self
            .channels
            .info(channel)
            .await
            .map_err(|e| e.to_string())?
            .guild_id
            .ok_or("not a server channel")?;
        let g = self.rest.guild(guild).await.map_err(|e| e.to_string())?;
        let owner = match g.get("owner_id") {
            Some(serde_json::Value::String(s)) => s.parse::<u64>().ok(),
            Some(v) => v.as_u64(),
            None => None,
        }
        .ok_or("the server has no owner id")?;
        let dm = self.channels.dm(owner).await.map_err(|e| e.to_string())?;
        let body = json!({
            "content": problem.text(channel),
            "allowed_mentions": allowed_mentions(None),
        });
        self.rest
            .create_message(dm, &body, None)
            .await
            .result
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
