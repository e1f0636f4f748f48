//! `[[platforms.telegram]]`: one entry per bot, raw (as written) and resolved (checked, secrets
//! from the environment): token, Bot API server, tenant, long polling or webhook mode, what to do
//! with edited messages, and how large a text document may be.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::checks::Cx;
use super::env::Env;
use super::parse::Entries;
use super::path::KeyPath;
use super::types::{Secret, Tenant};

/// Largest text document accepted, in KiB (Telegram bots may download up to 20 MB).
const MAX_DOCUMENT_KB: u32 = 20 * 1024;

/// One `[[platforms.telegram]]` bot.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTelegramBot {
    pub name: String,
    #[serde(default = "default_token_env")]
    pub token_env: String,
    #[serde(default = "default_api_url")]
    pub api_url: String,
    pub tenant: Option<String>,
    pub webhook: Option<RawTelegramWebhook>,
    #[serde(default)]
    pub edited: EditedMessages,
    #[serde(default = "default_max_document_kb")]
    pub max_document_kb: u32,
}

/// `[platforms.telegram.webhook]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTelegramWebhook {
    pub url: String,
    pub listen: String,
    #[serde(default = "default_secret_env")]
    pub secret_token_env: String,
}

fn default_token_env() -> String {
    "TELEGRAM_BOT_TOKEN".into()
}

fn default_api_url() -> String {
    "https://api.telegram.org".into()
}

fn default_secret_env() -> String {
    "TELEGRAM_WEBHOOK_SECRET".into()
}

fn default_max_document_kb() -> u32 {
    256
}

/// What happens when a user edits a message the bot has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditedMessages {
    /// Edits are ignored (the default).
    #[default]
    Ignore,
    /// An edit is answered like a new message.
    Answer,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TelegramBot {
    /// Name used in job ids and logs.
    pub name: String,
    pub token: Option<Secret>,
    pub token_env: String,
    /// Bot API server (`https://api.telegram.org`, or a self-hosted one).
    pub api_url: String,
    /// Tenant for all of this bot's chats (None: resolve by scope rules).
    pub tenant: Option<String>,
    /// Webhook mode; `None`: long polling.
    pub webhook: Option<TelegramWebhook>,
    pub edited: EditedMessages,
    /// Text documents up to this size are read and given to the AI with the message.
    pub max_document_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TelegramWebhook {
    /// The public HTTPS URL Telegram posts updates to (registered with `setWebhook` on start).
    pub url: String,
    /// Where switchboard listens for them (behind the TLS-terminating proxy).
    pub listen: SocketAddr,
    /// The `X-Telegram-Bot-Api-Secret-Token` every request must carry.
    pub secret: Option<Secret>,
    pub secret_env: String,
}

pub(crate) fn resolve(
    cx: &mut Cx<'_>,
    telegram: &Entries<RawTelegramBot>,
    env: &Env,
    tenants: Option<&BTreeMap<String, Tenant>>,
) -> Vec<TelegramBot> {
    let mut bots = Vec::new();
    let mut names = BTreeMap::new();
    let mut token_vars = BTreeMap::new();
    for e in &telegram.items {
        let raw = &e.raw;
        let p = |k: &str| e.path.key(k);
        cx.slug(&p("name"), &raw.name, 32);
        if let Some(prev) = names.insert(raw.name.as_str(), e.path.to_string()) {
            cx.err(
                &p("name"),
                format!(
                    "bot {:?} is already defined by {prev}; names must be unique",
                    raw.name
                ),
            );
        }
        cx.env_name(&p("token_env"), &raw.token_env);
        if let Some(prev) = token_vars.insert(raw.token_env.as_str(), raw.name.as_str()) {
            cx.err(
                &p("token_env"),
                format!(
                    "{:?} is already the token of bot {prev:?}; each bot needs its own token",
                    raw.token_env
                ),
            );
        }
        cx.http_url(&p("api_url"), &raw.api_url);
        if let (Some(tenant), Some(known)) = (&raw.tenant, tenants)
            && !known.contains_key(tenant)
        {
            let list: BTreeSet<_> = known.keys().map(String::as_str).collect();
            let list: Vec<_> = list.into_iter().collect();
            cx.err(
                &p("tenant"),
                format!(
                    "no tenant named {tenant:?}; [[tenants]] defines: {}",
                    list.join(", ")
                ),
            );
        }
        let kb = cx.range(
            &p("max_document_kb"),
            raw.max_document_kb,
            1,
            MAX_DOCUMENT_KB,
        );
        let webhook = raw
            .webhook
            .as_ref()
            .and_then(|w| webhook(cx, &e.path.key("webhook"), w, env));
        bots.push(TelegramBot {
            name: raw.name.clone(),
            token: env.secret(&raw.token_env),
            token_env: raw.token_env.clone(),
            api_url: raw.api_url.trim_end_matches('/').to_owned(),
            tenant: raw.tenant.clone(),
            webhook,
            edited: raw.edited,
            max_document_bytes: u64::from(kb) * 1024,
        });
    }
    bots
}

fn webhook(
    cx: &mut Cx<'_>,
    path: &KeyPath,
    raw: &RawTelegramWebhook,
    env: &Env,
) -> Option<TelegramWebhook> {
    let p = |k: &str| path.key(k);
    match url::Url::parse(&raw.url) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() => {}
        _ => cx.err(
            &p("url"),
            format!(
                "must be the public https:// URL Telegram posts to (got {:?})",
                raw.url
            ),
        ),
    }
    cx.env_name(&p("secret_token_env"), &raw.secret_token_env);
    let listen = match raw.listen.parse::<SocketAddr>() {
        Ok(a) => a,
        Err(_) => {
            cx.err(
                &p("listen"),
                format!(
                    "must be an address and port like 127.0.0.1:8443 or [::]:8443 (got {:?})",
                    raw.listen
                ),
            );
            return None;
        }
    };
    Some(TelegramWebhook {
        url: raw.url.clone(),
        listen,
        secret: env.secret(&raw.secret_token_env),
        secret_env: raw.secret_token_env.clone(),
    })
}
