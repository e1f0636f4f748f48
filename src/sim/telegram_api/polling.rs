//! `getUpdates` with Telegram's semantics: an offset confirms (drops for good) every update below
//! it, a negative offset keeps only the last ones, `allowed_updates` sticks until changed, a long
//! poll waits for a pushed update (capped at `long_poll_max` so teloxide's 17 s client timeout is
//! never reached), a newer poll ends an older one with 409, and polling while a webhook is set
//! is refused with 409.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::Shared;
use super::config::FakeTelegramConfig;
use super::faults::TgError;
use super::handlers::unauthorized;
use super::params::Params;
use super::state::BotState;

/// Update kinds Telegram knows (the key next to `update_id`).
const KINDS: &[&str] = &[
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
];

/// Kinds a bot only gets when it asks for them.
const OPT_IN: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];

pub(super) async fn get_updates(
    shared: &Shared,
    cfg: &FakeTelegramConfig,
    token: &str,
    params: &Params,
) -> Result<Value, TgError> {
    let offset = params.int("offset")?;
    let limit = params.int("limit")?.unwrap_or(100).clamp(1, 100);
    let timeout = params.int("timeout")?.unwrap_or(0).max(0);
    let allowed = match params.json("allowed_updates")? {
        None => None,
        Some(Value::Array(kinds)) => Some(
            kinds
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect::<Vec<_>>(),
        ),
        Some(_) => {
            return Err(TgError::bad(
                "Bad Request: can't parse allowed_updates JSON object",
            ));
        }
    };
    let wait = Duration::from_secs(timeout.unsigned_abs()).min(cfg.long_poll_max);
    let generation = {
        let mut state = shared.state();
        let bot = state.bots.get_mut(token).ok_or_else(unauthorized)?;
        if bot.webhook.is_some() {
            return Err(TgError::new(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use \
                 deleteWebhook to delete the webhook first",
            ));
        }
        bot.poll_generation += 1;
        if let Some(offset) = offset {
            confirm(bot, offset);
        }
        if let Some(kinds) = allowed {
            bot.allowed_updates = (!kinds.is_empty()).then_some(kinds);
        }
        bot.poll_generation
    };
    // Ends a poll this one supersedes.
    shared.updates.notify_waiters();
    let deadline = Instant::now() + wait;
    loop {
        let notified = shared.updates.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut state = shared.state();
            let bot = state.bots.get_mut(token).ok_or_else(unauthorized)?;
            if bot.poll_generation != generation {
                return Err(TgError::new(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only \
                     one bot instance is running",
                ));
            }
            let ready = deliverable(bot, usize::try_from(limit).unwrap_or(100));
            if !ready.is_empty() || Instant::now() >= deadline {
                return Ok(Value::Array(ready));
            }
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
            () = shared.stop.cancelled() => return Ok(Value::Array(Vec::new())),
        }
    }
}

/// Forgets the updates an offset confirms.
fn confirm(bot: &mut BotState, offset: i64) {
    if offset > 0 {
        bot.updates.retain(|u| u.id >= offset);
    } else if offset < 0 {
        let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
        let drop = bot.updates.len().saturating_sub(keep);
        bot.updates.drain(..drop);
    }
}

/// Up to `limit` updates the bot may see; updates of kinds it did not allow are dropped, as
/// Telegram never creates them. Bodies of no known kind (malformed ones) are delivered as they
/// are.
fn deliverable(bot: &mut BotState, limit: usize) -> Vec<Value> {
    let allowed = bot.allowed_updates.clone();
    bot.updates.retain(|u| match kind_of(&u.body) {
        Some(kind) => match &allowed {
            Some(list) => list.iter().any(|k| k == kind),
            None => !OPT_IN.contains(&kind),
        },
        None => true,
    });
    bot.updates
        .iter()
        .take(limit)
        .map(|u| u.body.clone())
        .collect()
}

/// The known update kind of a body, if it has one.
fn kind_of(body: &Value) -> Option<&'static str> {
    let obj = body.as_object()?;
    KINDS.iter().copied().find(|k| obj.contains_key(*k))
}

/// Updates waiting for the bot, as `getWebhookInfo` counts them.
pub(super) fn pending(bot: &BotState) -> usize {
    bot.updates.len()
}
