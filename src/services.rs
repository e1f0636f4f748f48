//! The services ingress and workers share: configuration (swappable at runtime), storage, the
//! queue, the AI client, admission, the platforms' delivery, and the worker-side state (breakers,
//! provider cooldowns, typing indicators). Built once by `app`, passed down; no globals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use switchboard_platforms::{Deliver, Platform, Target};
use switchboard_queue::{Clock, Queue};

use crate::admission::Admission;
use crate::ai::AiClient;
use crate::config::Config;
use crate::observe::Observer;
use crate::store::Store;
use crate::tuning::Tuning;
use crate::worker::{Breakers, Cooldowns, ResponseCache, Typing};

/// The current configuration; replaced whole on reload, read by every job.
pub type LiveConfig = Arc<ArcSwap<Config>>;

pub struct Services {
    pub config: LiveConfig,
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub ai: Arc<AiClient>,
    pub admission: Admission,
    /// Delivery per (platform, bot name).
    pub delivers: HashMap<(Platform, String), Arc<dyn Deliver>>,
    /// Per-user circuit breakers (this process's view).
    pub breakers: Mutex<Breakers>,
    pub cooldowns: Cooldowns,
    /// Records and enqueues each user's messages in one order (see `ingress_order`).
    pub ingress_order: crate::ingress_order::IngressOrder,
    pub typing: Typing,
    /// The in-process front of the response cache (personalities with `cache_ttl`).
    pub cache: ResponseCache,
    /// Which tenants and users already carry their configured weights and caps in the queue.
    pub tuning: Tuning,
    pub observer: Arc<dyn Observer>,
    /// Milliseconds since the epoch (a manual clock in tests).
    pub clock: Arc<dyn Clock>,
}

impl Services {
    pub fn config(&self) -> Arc<Config> {
        self.config.load_full()
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now()
    }

    pub fn deliver_for(&self, target: &Target) -> Option<Arc<dyn Deliver>> {
        self.delivers
            .get(&(target.platform, target.bot.clone()))
            .cloned()
    }

    pub fn breakers(&self) -> std::sync::MutexGuard<'_, Breakers> {
        self.breakers.lock().unwrap_or_else(|p| p.into_inner())
    }
}
