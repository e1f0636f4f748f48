//! What the adapter remembers about Discord channels: a thread's parent (webhooks belong to the
//! parent, and a message in a thread is placed as parent + thread), a channel's server (for
//! telling that server's admins about a missing permission), and the direct-message channel of
//! each user it writes to privately. Each is asked of Discord once and kept.

use std::collections::HashMap;
use std::sync::Mutex;

use super::rest::{ChannelInfo, Rest, RestError};

pub struct Channels {
    rest: Rest,
    /// Channel id to what Discord said of it.
    info: Mutex<HashMap<u64, ChannelInfo>>,
    /// User id to the DM channel with them.
    dms: Mutex<HashMap<u64, u64>>,
}

impl Channels {
    pub fn new(rest: Rest) -> Channels {
        Channels {
            rest,
            info: Mutex::new(HashMap::new()),
            dms: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers a channel seen in an event (a thread created, a guild's channel list).
    pub fn learn(&self, c: ChannelInfo) {
        self.info
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(c.id, c);
    }

    pub async fn info(&self, id: u64) -> Result<ChannelInfo, RestError> {
        let known = self
            .info
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned();
        if let Some(c) = known {
            return Ok(c);
        }
        let c = self.rest.channel(id).await?;
        self.learn(c.clone());
        Ok(c)
    }

    /// The parent of a thread; `None` for a channel that is no thread (or cannot be looked up:
    /// the message is then placed in the channel it came from, which still answers there).
    pub async fn thread_parent(&self, id: u64) -> Option<u64> {
        match self.info(id).await {
            Ok(c) if c.is_thread() => c.parent_id,
            Ok(_) => None,
            Err(e) => {
                tracing::info!(channel = id, error = %e, "could not look up a channel");
                None
            }
        }
    }

    /// The DM channel with `user`, opened if needed.
    pub async fn dm(&self, user: u64) -> Result<u64, RestError> {
        let known = self
            .dms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&user)
            .copied();
        if let Some(c) = known {
            return Ok(c);
        }
        let c = self.rest.dm_channel(user).await?;
        self.dms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user, c);
        Ok(c)
    }
}
