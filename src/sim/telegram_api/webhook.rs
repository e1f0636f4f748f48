//! The webhook side of the fake Telegram: `setWebhook` / `deleteWebhook` / `getWebhookInfo` as
//! the real server answers them (HTTPS only, secret token characters checked), and delivery of
//! an update to a bot's webhook endpoint the way Telegram posts it, for tests of webhook mode.

use serde_json::{Value, json};

use super::faults::TgError;
use super::handlers::unauthorized;
use super::params::Params;
use super::records::Webhook;
use super::{FakeTelegram, Shared, polling};

/// The header Telegram puts the webhook's secret token in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

pub(super) fn info(shared: &Shared, token: &str) -> Result<Value, TgError> {
    let state = shared.state();
    let bot = state.bots.get(token).ok_or_else(unauthorized)?;
    let mut info = json!({
        "url": bot.webhook.as_ref().map(|w| w.url.as_str()).unwrap_or_default(),
        "has_custom_certificate": false,
        "pending_update_count": polling::pending(bot),
    });
    if let Some(hook) = &bot.webhook {
        if let Some(max) = hook.max_connections {
            info["max_connections"] = json!(max);
        }
        if let Some(kinds) = &hook.allowed_updates {
            info["allowed_updates"] = json!(kinds);
        }
    }
    Ok(info)
}

pub(super) fn set(shared: &Shared, token: &str, params: &Params) -> Result<Value, TgError> {
    let url = params.str("url").unwrap_or_default();
    if url.is_empty() {
        return delete(shared, token, params);
    }
    if !url.starts_with("https://") {
        return Err(TgError::bad(
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        ));
    }
    let secret_token = params.str("secret_token").filter(|s| !s.is_empty());
    if let Some(secret) = &secret_token {
        let allowed = secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !allowed || secret.len() > 256 {
            return Err(TgError::bad(
                "Bad Request: secret token contains unallowed characters",
            ));
        }
    }
    let allowed_updates = match params.json("allowed_updates")? {
        Some(Value::Array(kinds)) => Some(
            kinds
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    let hook = Webhook {
        url,
        secret_token,
        allowed_updates: allowed_updates.clone(),
        max_connections: params.int("max_connections")?,
        drop_pending_updates: params.flag("drop_pending_updates"),
    };
    let mut state = shared.state();
    let bot = state.bots.get_mut(token).ok_or_else(unauthorized)?;
    if hook.drop_pending_updates {
        bot.updates.clear();
    }
    if let Some(kinds) = allowed_updates {
        bot.allowed_updates = (!kinds.is_empty()).then_some(kinds);
    }
    bot.webhook = Some(hook);
    drop(state);
    // A poll still waiting sees the webhook on its next look.
    shared.updates.notify_waiters();
    Ok(json!(true))
}

pub(super) fn delete(shared: &Shared, token: &str, params: &Params) -> Result<Value, TgError> {
    let mut state = shared.state();
    let bot = state.bots.get_mut(token).ok_or_else(unauthorized)?;
    if params.flag("drop_pending_updates") {
        bot.updates.clear();
    }
    bot.webhook = None;
    Ok(json!(true))
}

impl FakeTelegram {
    /// Posts `update` to a bot's webhook endpoint like Telegram does (JSON body, the secret in
    /// `X-Telegram-Bot-Api-Secret-Token` when given) and returns the HTTP status it answered.
    pub async fn post_update_to(
        &self,
        url: &str,
        secret: Option<&str>,
        update: &Value,
    ) -> Result<u16, reqwest::Error> {
        let mut request = reqwest::Client::new()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(update.to_string());
        if let Some(secret) = secret {
            request = request.header(SECRET_HEADER, secret);
        }
        Ok(request.send().await?.status().as_u16())
    }
}
