//! A pure send scheduler for Telegram's rate limits, so the adapter sends at a pace Telegram
//! accepts instead of collecting 429s: about one message per second to a chat, twenty per minute
//! to a group, thirty per second overall. [`Pacer::reserve`] books the earliest moment the next
//! message to a chat may go; the caller sleeps until then. A 429 blocks only its chat
//! ([`Pacer::retry_after`]); every other chat keeps its pace. Time is passed in (milliseconds),
//! so tests use a fake clock.
//!
//! The global limit is kept with send slots: slot `k` starts at `ceil(k * 1000 / n)` ms for `n`
//! messages per second, a booking takes the first free slot starting at or after the time its
//! chat allows, and the message goes at the slot's start. Slot `k + n` starts exactly one second
//! after slot `k`, so no rolling second ever holds more than `n` messages, and a chat blocked far
//! ahead leaves the slots before it free for the others.

use std::collections::{BTreeSet, HashMap, VecDeque};

/// The length of the group window.
const MINUTE_MS: u64 = 60_000;

/// Telegram's limits; a zero disables that limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacingLimits {
    /// Least time between two messages to one chat.
    pub per_chat_interval_ms: u64,
    /// Most messages to one group per rolling minute.
    pub group_per_minute: u32,
    /// Most messages per rolling second over all chats.
    pub global_per_second: u32,
}

impl Default for PacingLimits {
    /// The limits Telegram documents for bots.
    fn default() -> Self {
        PacingLimits {
            per_chat_interval_ms: 1000,
            group_per_minute: 20,
            global_per_second: 30,
        }
    }
}

/// What is booked for one chat.
#[derive(Debug, Default)]
struct ChatPace {
    /// When the latest booked message to the chat goes out.
    last: Option<u64>,
    /// Send times of the latest bookings to a group, oldest first, at most `group_per_minute`.
    recent: VecDeque<u64>,
    /// Nothing goes to the chat before this (a 429's retry-after).
    blocked_until: u64,
}

/// Books send times under [`PacingLimits`].
#[derive(Debug)]
pub struct Pacer {
    limits: PacingLimits,
    chats: HashMap<i64, ChatPace>,
    /// Booked global send slots (see the module documentation).
    slots: BTreeSet<u64>,
}

impl Pacer {
    pub fn new(limits: PacingLimits) -> Self {
        Pacer {
            limits,
            chats: HashMap::new(),
            slots: BTreeSet::new(),
        }
    }

    pub fn limits(&self) -> PacingLimits {
        self.limits
    }

    /// Books the next message to `chat_id` (a group or supergroup when `is_group`) and returns
    /// the earliest time, at or after `now_ms`, it may be sent under every limit.
    pub fn reserve(&mut self, chat_id: i64, is_group: bool, now_ms: u64) -> u64 {
        let limits = self.limits;
        let chat = self.chats.entry(chat_id).or_default();
        let mut at = now_ms.max(chat.blocked_until);
        if let Some(last) = chat.last {
            at = at.max(last.saturating_add(limits.per_chat_interval_ms));
        }
        let per_minute = usize::try_from(limits.group_per_minute).unwrap_or(usize::MAX);
        if is_group && per_minute > 0 && chat.recent.len() >= per_minute {
            if let Some(&oldest) = chat.recent.front() {
                at = at.max(oldest.saturating_add(MINUTE_MS));
            }
        }
        let at = book_slot(&mut self.slots, limits.global_per_second, at);
        chat.last = Some(at);
        if is_group && per_minute > 0 {
            chat.recent.push_back(at);
            while chat.recent.len() > per_minute {
                chat.recent.pop_front();
            }
        }
        at
    }

    /// Telegram answered a send to `chat_id` with 429 and `retry_after` = `secs`: nothing more
    /// goes to that chat until then. Other chats are unaffected.
    pub fn retry_after(&mut self, chat_id: i64, now_ms: u64, secs: u64) {
        let until = now_ms.saturating_add(secs.saturating_mul(1000));
        let chat = self.chats.entry(chat_id).or_default();
        chat.blocked_until = chat.blocked_until.max(until);
    }

    /// Forgets chats whose bookings no longer constrain anything at `now_ms`, and past slots.
    /// Reservations made at `now_ms` or later get the same answers as without pruning.
    pub fn prune(&mut self, now_ms: u64) {
        let interval = self.limits.per_chat_interval_ms;
        self.chats.retain(|_, chat| {
            let free = chat.blocked_until <= now_ms
                && chat
                    .last
                    .is_none_or(|l| l.saturating_add(interval) <= now_ms)
                && chat
                    .recent
                    .back()
                    .is_none_or(|&r| r.saturating_add(MINUTE_MS) <= now_ms);
            !free
        });
        let first = first_slot_from(self.limits.global_per_second, now_ms);
        self.slots = self.slots.split_off(&first);
    }

    /// How many chats have state (for a gauge).
    pub fn tracked_chats(&self) -> usize {
        self.chats.len()
    }
}

/// Books the first free global slot starting at or after `at` and returns its start; `at`
/// itself when there is no global limit.
fn book_slot(slots: &mut BTreeSet<u64>, per_second: u32, at: u64) -> u64 {
    if per_second == 0 {
        return at;
    }
    let mut slot = first_slot_from(per_second, at);
    for &taken in slots.range(slot..) {
        if taken != slot {
            break;
        }
        slot = slot.saturating_add(1);
    }
    slots.insert(slot);
    slot_start(per_second, slot)
}

/// The first slot whose start is at or after `t`: the smallest `k` with
/// `ceil(k * 1000 / n) >= t`, i.e. `floor((t - 1) * n / 1000) + 1` (0 for `t` = 0).
fn first_slot_from(per_second: u32, t: u64) -> u64 {
    match t.checked_sub(1) {
        None => 0,
        Some(before) => {
            let k = u128::from(before) * u128::from(per_second) / 1000 + 1;
            u64::try_from(k).unwrap_or(u64::MAX)
        }
    }
}

/// When slot `k` starts: `ceil(k * 1000 / n)` ms.
fn slot_start(per_second: u32, k: u64) -> u64 {
    let n = u128::from(per_second.max(1));
    let start = (u128::from(k) * 1000).div_ceil(n);
    u64::try_from(start).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
