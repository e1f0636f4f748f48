//! The webhook pools of every channel the bot speaks in, around the pure
//! [`WebhookPool`]: the bot's existing webhooks are listed once per channel, new ones created on
//! demand (one creation at a time per channel, the pure pool hands `Create` to one caller), and
//! Discord's answers fed back. [`Pools::route`] says how the next part goes out: through a
//! webhook, or as the bot when the channel has no webhook to offer (30007 with none of ours, or
//! no Manage Webhooks permission). It never waits long: a channel whose webhooks are all blocked
//! for more than a few seconds ends the delivery with `RetryAfter`, so the job is postponed and
//! the worker moves on to other channels.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use switchboard_platforms::discord::{Headers, Pick, Webhook, WebhookPool};
use switchboard_platforms::{DeliveryError, PermanentKind};

use super::rest::{
    MAX_WEBHOOKS, MISSING_ACCESS, MISSING_PERMISSIONS, Rest, RestError, UNKNOWN_CHANNEL,
    WebhookInfo,
};

/// Waits for a free webhook up to this long inside one delivery; longer ones postpone the job.
pub const MAX_INLINE_WAIT: Duration = Duration::from_secs(3);
/// After a permission refusal, webhooks are tried again only after this long (an admin may fix
/// the permission meanwhile).
const FORBIDDEN_RETRY_MS: u64 = 10 * 60 * 1000;
/// The name webhooks are created with (each send overrides it with the personality's).
pub const WEBHOOK_NAME: &str = "switchboard";

/// How the next part goes out.
pub enum Route {
    Hook {
        id: u64,
        token: String,
    },
    /// As the bot itself; `forbidden` when webhooks are refused for lack of permission (the
    /// server's admins should hear of it).
    Bot {
        forbidden: bool,
    },
}

/// One channel's pool and what else is known of it.
struct Channel {
    pool: WebhookPool,
    /// The bot's existing webhooks were listed.
    loaded: bool,
    /// No Manage Webhooks permission: send as the bot until then.
    forbidden_until_ms: u64,
}

pub struct Pools {
    rest: Rest,
    /// Pool size from config (`webhooks_per_channel`).
    max: usize,
    /// The bot's user id, once READY said it (webhooks it created carry it).
    bot_user: AtomicU64,
    /// The bot's application id (application-owned webhooks carry it).
    application: AtomicU64,
    channels: Mutex<HashMap<u64, Channel>>,
    /// Every webhook of ours ever seen, so their echoes are recognized as our own messages.
    own: Mutex<HashSet<u64>>,
    /// Webhooks already counted in the pool-size metric.
    reported: Mutex<HashSet<u64>>,
}

impl Pools {
    pub fn new(rest: Rest, max: usize) -> Pools {
        Pools {
            rest,
            max,
            bot_user: AtomicU64::new(0),
            application: AtomicU64::new(0),
            channels: Mutex::new(HashMap::new()),
            own: Mutex::new(HashSet::new()),
            reported: Mutex::new(HashSet::new()),
        }
    }

    /// Who the bot is (from READY).
    pub fn identify(&self, user: u64, application: u64) {
        self.bot_user.store(user, Ordering::Relaxed);
        self.application.store(application, Ordering::Relaxed);
    }

    /// Whether `webhook` was already counted in the pool-size metric (marks it counted).
    pub fn is_reported(&self, webhook: u64) -> bool {
        !self
            .reported
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(webhook)
    }

    pub fn is_own(&self, webhook: u64) -> bool {
        self.own
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&webhook)
    }

    /// Webhooks in the pool of `channel` (metrics, tests).
    pub fn size(&self, channel: u64) -> usize {
        self.with(channel, |c| c.pool.len())
    }

    /// Channels with a pool, and webhooks over all of them (metrics; walks every channel, so
    /// it is asked only when a pool changed).
    pub fn totals(&self) -> (usize, usize) {
        let map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        (map.len(), map.values().map(|c| c.pool.len()).sum())
    }

    fn with<R>(&self, channel: u64, f: impl FnOnce(&mut Channel) -> R) -> R {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let c = map.entry(channel).or_insert_with(|| Channel {
            pool: WebhookPool::new(self.max),
            loaded: false,
            forbidden_until_ms: 0,
        });
        f(c)
    }

    fn ours(&self, w: &WebhookInfo) -> bool {
        let user = self.bot_user.load(Ordering::Relaxed);
        let app = self.application.load(Ordering::Relaxed);
        w.token.is_some()
            && (w.user.as_ref().is_some_and(|u| u.id != 0 && u.id == user)
                || (app != 0 && w.application_id == Some(app)))
    }

    fn adopt(&self, channel: u64, w: WebhookInfo, created: bool) {
        let Some(token) = w.token else { return };
        self.own
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(w.id);
        let hook = Webhook { id: w.id, token };
        self.with(channel, |c| {
            if created {
                c.pool.created(hook)
            } else {
                c.pool.add(hook)
            }
        });
    }

    /// Lists the bot's webhooks in `channel` into its pool. The error says why not.
    async fn load(&self, channel: u64) -> Result<(), RestError> {
        match self.rest.channel_webhooks(channel).await {
            Ok(list) => {
                for w in list.into_iter().filter(|w| self.ours(w)) {
                    self.adopt(channel, w, false);
                }
                self.with(channel, |c| c.loaded = true);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// How to send the next part in `channel` at `now()` (milliseconds).
    pub async fn route(
        &self,
        channel: u64,
        now: &(dyn Fn() -> u64 + Sync),
    ) -> Result<Route, DeliveryError> {
        let (loaded, forbidden) = self.with(channel, |c| (c.loaded, c.forbidden_until_ms > now()));
        if forbidden {
            return Ok(Route::Bot { forbidden: true });
        }
        if !loaded {
            match self.load(channel).await {
                Err(e) if is_permission(&e) => {
                    self.forbid(channel, now());
                    return Ok(Route::Bot { forbidden: true });
                }
                Err(e) if e.code() == Some(UNKNOWN_CHANNEL) => {
                    return Err(DeliveryError::Permanent(PermanentKind::ChannelGone));
                }
                // Listing is an optimisation: creating still works.
                _ => {}
            }
        }
        loop {
            let at = now();
            let pick = self.with(channel, |c| c.pool.pick(at));
            match pick {
                Pick::Use { id, token } => return Ok(Route::Hook { id, token }),
                Pick::Fallback => return Ok(Route::Bot { forbidden: false }),
                Pick::Wait { until_ms } => {
                    let wait = Duration::from_millis(until_ms.saturating_sub(at));
                    if wait > MAX_INLINE_WAIT {
                        return Err(DeliveryError::RetryAfter(wait));
                    }
                    tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                }
                Pick::Create => match self.rest.create_webhook(channel, WEBHOOK_NAME).await {
                    Ok(w) if w.token.is_some() => self.adopt(channel, w, true),
                    Ok(_) => {
                        self.with(channel, |c| c.pool.create_failed());
                        return Err(DeliveryError::Transient(
                            "a webhook came without a token".into(),
                        ));
                    }
                    Err(e) if e.code() == Some(MAX_WEBHOOKS) => {
                        self.with(channel, |c| c.pool.mark_no_room());
                        // Another process of ours may have made some meanwhile.
                        let _ = self.load(channel).await;
                    }
                    Err(e) if e.code() == Some(UNKNOWN_CHANNEL) => {
                        self.with(channel, |c| c.pool.create_failed());
                        return Err(DeliveryError::Permanent(PermanentKind::ChannelGone));
                    }
                    Err(e) if is_permission(&e) => {
                        self.with(channel, |c| c.pool.create_failed());
                        self.forbid(channel, at);
                        return Ok(Route::Bot { forbidden: true });
                    }
                    Err(e) => {
                        self.with(channel, |c| c.pool.create_failed());
                        return Err(super::deliver::transient(&e));
                    }
                },
            }
        }
    }

    fn forbid(&self, channel: u64, now_ms: u64) {
        self.with(channel, |c| {
            c.forbidden_until_ms = now_ms + FORBIDDEN_RETRY_MS
        });
    }

    /// Feeds back an answer's rate-limit facts.
    pub fn observe(&self, channel: u64, id: u64, headers: Headers, now_ms: u64) {
        self.with(channel, |c| c.pool.observe(id, headers, now_ms));
    }

    /// 10015: Discord no longer knows the webhook.
    pub fn forget(&self, channel: u64, id: u64) {
        self.with(channel, |c| c.pool.remove(id));
    }

    /// The webhook answered 403 at execute time: permissions changed.
    pub fn forbidden(&self, channel: u64, now_ms: u64) {
        self.forbid(channel, now_ms);
    }
}

/// Missing Permissions or Missing Access.
pub fn is_permission(e: &RestError) -> bool {
    matches!(e, RestError::Refused { status: 403, .. })
        || matches!(e.code(), Some(MISSING_PERMISSIONS | MISSING_ACCESS))
}
