//! The pure state of one channel's webhook pool. Personalities speak through webhooks, and each
//! webhook has its own rate-limit bucket (about five sends per two seconds), so a busy channel
//! sends through several. [`WebhookPool::pick`] says which webhook to send through now, how long
//! to wait, whether to create one more, or to fall back to sending as the bot; the adapter feeds
//! back every answer's rate-limit headers ([`WebhookPool::observe`]) and Discord's errors:
//! 10015 Unknown Webhook ([`WebhookPool::remove`]) and 30007 Maximum number of webhooks reached
//! ([`WebhookPool::mark_no_room`]). Time is passed in (milliseconds), so tests use a fake clock.
//!
//! A webhook is free when its bucket has requests left (or has reset since Discord said it had
//! none) and no 429 blocks it. Among free webhooks the one with the most requests left is used,
//! the least recently picked among equals; picking one counts a request against its known
//! bucket, so concurrent callers spread out before the answers come back. When none is free a
//! new one is created if there is room below `max` and Discord has not said the channel is full;
//! otherwise the caller waits for the one free soonest.
//!
//! Creating takes a request and some time; [`WebhookPool::pick`] returns [`Pick::Create`] to one
//! caller at a time (it marks the creation started itself), and others wait until
//! [`WebhookPool::created`] or [`WebhookPool::create_failed`] ends it. A creation never ended
//! (the caller died) stops counting after [`CREATE_TIMEOUT_MS`].

use std::cmp::Reverse;
use std::fmt;

/// Discord's limit of webhooks in one channel.
pub const MAX_WEBHOOKS_PER_CHANNEL: usize = 15;
/// How long a caller waits for a creation in progress before picking again.
pub const CREATE_POLL_MS: u64 = 250;
/// A creation not ended after this long is taken as abandoned.
pub const CREATE_TIMEOUT_MS: u64 = 30_000;

/// A webhook the pool may send through.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: u64,
    /// The secret half of the webhook's URL.
    pub token: String,
}

/// The id only: the token is a secret and stays out of logs.
impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Webhook({})", self.id)
    }
}

/// What to do for the next send.
#[derive(Clone, PartialEq, Eq)]
pub enum Pick {
    /// Send through this webhook now.
    Use { id: u64, token: String },
    /// Nothing is free: pick again at this time.
    Wait { until_ms: u64 },
    /// Create a webhook in the channel, then report it with [`WebhookPool::created`] (or
    /// [`WebhookPool::create_failed`] / [`WebhookPool::mark_no_room`]).
    Create,
    /// No webhook exists and none can be created: send as the bot itself.
    Fallback,
}

/// The id only, as for [`Webhook`].
impl fmt::Debug for Pick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pick::Use { id, .. } => write!(f, "Use({id})"),
            Pick::Wait { until_ms } => write!(f, "Wait({until_ms})"),
            Pick::Create => f.write_str("Create"),
            Pick::Fallback => f.write_str("Fallback"),
        }
    }
}

/// The rate-limit facts of one answer from a webhook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    /// `X-RateLimit-Remaining`: requests left in the bucket.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Reset-After`, in milliseconds: when the bucket refills.
    pub reset_after_ms: Option<u64>,
    /// A 429's `retry_after`, in milliseconds: nothing goes through this webhook until then.
    pub retry_after_ms: Option<u64>,
}

impl Headers {
    /// Reads the raw values: `X-RateLimit-Remaining` (an integer), `X-RateLimit-Reset-After`
    /// and a 429's `retry_after` (seconds with an optional fraction). Unreadable values are
    /// absent.
    pub fn from_raw(
        remaining: Option<&str>,
        reset_after: Option<&str>,
        retry_after: Option<&str>,
    ) -> Headers {
        Headers {
            remaining: remaining.and_then(|r| r.trim().parse().ok()),
            reset_after_ms: reset_after.and_then(seconds_to_ms),
            retry_after_ms: retry_after.and_then(seconds_to_ms),
        }
    }
}

/// Reads non-negative decimal seconds (`"1"`, `"0.5"`, `"1.2345"`) as milliseconds, rounding a
/// finer fraction up so a wait is never cut short. No floats, so no NaN or rounding surprises.
pub fn seconds_to_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let secs: u64 = whole.parse().ok()?;
    let mut ms = 0;
    for k in 0..3 {
        ms = ms * 10 + frac.as_bytes().get(k).map_or(0, |b| u64::from(b - b'0'));
    }
    let round_up = u64::from(frac.bytes().skip(3).any(|b| b != b'0'));
    Some(secs.saturating_mul(1000).saturating_add(ms + round_up))
}

/// One webhook and what is known of its bucket.
#[derive(Clone, Debug)]
struct Slot {
    hook: Webhook,
    /// Requests left in the bucket, when known; unknown counts as fresh.
    remaining: Option<u32>,
    /// When the bucket refills (`remaining` is stale from then on).
    reset_at_ms: u64,
    /// A 429 blocks the webhook until then.
    blocked_until_ms: u64,
    /// Sequence number of the latest pick (least recently picked first among equals).
    last_pick: Option<u64>,
}

impl Slot {
    /// Requests left at `now_ms`: unknown once the bucket has reset.
    fn left(&self, now_ms: u64) -> Option<u32> {
        self.remaining.filter(|_| self.reset_at_ms > now_ms)
    }

    /// The earliest time, at or after `now_ms`, the webhook may be used.
    fn free_at(&self, now_ms: u64) -> u64 {
        let bucket = match self.left(now_ms) {
            Some(0) => self.reset_at_ms,
            _ => now_ms,
        };
        bucket.max(self.blocked_until_ms).max(now_ms)
    }
}

/// The webhooks of one channel (see the module documentation).
#[derive(Debug)]
pub struct WebhookPool {
    /// The most webhooks the pool creates (1..=15).
    max: usize,
    /// In the order they were added.
    slots: Vec<Slot>,
    /// When the creation in progress started.
    creating_since_ms: Option<u64>,
    /// Discord said the channel holds as many webhooks as it may (30007): never create again.
    no_room: bool,
    /// Counts picks, to order them.
    picks: u64,
}

impl WebhookPool {
    /// A pool that creates up to `max` webhooks, clamped to 1..=[`MAX_WEBHOOKS_PER_CHANNEL`].
    pub fn new(max: usize) -> WebhookPool {
        WebhookPool {
            max: max.clamp(1, MAX_WEBHOOKS_PER_CHANNEL),
            slots: Vec::new(),
            creating_since_ms: None,
            no_room: false,
            picks: 0,
        }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether the webhook is in the pool (for recognizing the bot's own messages).
    pub fn contains(&self, id: u64) -> bool {
        self.slots.iter().any(|s| s.hook.id == id)
    }

    /// Adds a webhook (one found in the channel, or just created). A known id gets the new
    /// token and keeps its bucket. Webhooks found in the channel are added even beyond `max`.
    pub fn add(&mut self, hook: Webhook) {
        match self.slots.iter_mut().find(|s| s.hook.id == hook.id) {
            Some(slot) => slot.hook.token = hook.token,
            None => self.slots.push(Slot {
                hook,
                remaining: None,
                reset_at_ms: 0,
                blocked_until_ms: 0,
                last_pick: None,
            }),
        }
    }

    /// Forgets a webhook Discord no longer knows (10015 Unknown Webhook). Returns whether it was
    /// in the pool.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.slots.len();
        self.slots.retain(|s| s.hook.id != id);
        self.slots.len() != before
    }

    /// What the next send should do at `now_ms`.
    pub fn pick(&mut self, now_ms: u64) -> Pick {
        let best = self
            .slots
            .iter_mut()
            .filter(|s| s.free_at(now_ms) <= now_ms)
            .min_by_key(|s| (Reverse(s.left(now_ms).unwrap_or(u32::MAX)), s.last_pick));
        if let Some(slot) = best {
            slot.remaining = slot.left(now_ms).map(|n| n.saturating_sub(1));
            slot.last_pick = Some(self.picks);
            self.picks += 1;
            return Pick::Use {
                id: slot.hook.id,
                token: slot.hook.token.clone(),
            };
        }
        let soonest = self.slots.iter().map(|s| s.free_at(now_ms)).min();
        if self.creating(now_ms) {
            let poll = now_ms.saturating_add(CREATE_POLL_MS);
            return Pick::Wait {
                until_ms: soonest.map_or(poll, |t| t.min(poll)),
            };
        }
        if !self.no_room && self.slots.len() < self.max {
            self.creating_since_ms = Some(now_ms);
            return Pick::Create;
        }
        match soonest {
            Some(until_ms) => Pick::Wait { until_ms },
            None => Pick::Fallback,
        }
    }

    /// Records the rate-limit headers of an answer from webhook `id` received at `now_ms`.
    /// Unknown webhooks are ignored.
    pub fn observe(&mut self, id: u64, headers: Headers, now_ms: u64) {
        let Some(slot) = self.slots.iter_mut().find(|s| s.hook.id == id) else {
            return;
        };
        if let Some(remaining) = headers.remaining {
            slot.remaining = Some(remaining);
        }
        if let Some(after) = headers.reset_after_ms {
            slot.reset_at_ms = now_ms.saturating_add(after);
        }
        if let Some(retry) = headers.retry_after_ms {
            slot.blocked_until_ms = slot.blocked_until_ms.max(now_ms.saturating_add(retry));
        }
    }

    /// Whether a creation started by [`Pick::Create`] is still under way at `now_ms`.
    pub fn creating(&self, now_ms: u64) -> bool {
        self.creating_since_ms
            .is_some_and(|since| now_ms < since.saturating_add(CREATE_TIMEOUT_MS))
    }

    /// The creation succeeded: the new webhook joins the pool.
    pub fn created(&mut self, hook: Webhook) {
        self.creating_since_ms = None;
        self.add(hook);
    }

    /// The creation failed for a passing reason; a later pick may create again.
    pub fn create_failed(&mut self) {
        self.creating_since_ms = None;
    }

    /// Discord answered a creation with 30007 (the channel has as many webhooks as it may):
    /// the pool never creates again, uses the webhooks it has, and falls back to sending as the
    /// bot when it has none.
    pub fn mark_no_room(&mut self) {
        self.no_room = true;
        self.creating_since_ms = None;
    }

    /// Whether Discord said the channel has no room for another webhook.
    pub fn is_full_at_discord(&self) -> bool {
        self.no_room
    }
}

#[cfg(test)]
mod tests;
