//! The Telegram adapter: one teloxide `Bot` per configured bot (any Bot API server), receiving by
//! long polling (one elected poller per bot in Redis mode) or by webhook, and delivering through
//! [`TelegramDeliver`]. Normalization, HTML rendering and pacing are pure and live in the
//! platforms crate (`switchboard_platforms::telegram`).

pub mod deliver;
pub mod poll;
pub mod receive;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

use switchboard_platforms::Deliver;
use switchboard_platforms::telegram::BotIdentity;
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, BotCommand};
use teloxide::{Bot, RequestError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use deliver::TelegramDeliver;
pub use receive::{Received, Receiver};

use crate::commands::access::menu;
use crate::config::TelegramBot;
use crate::leader::{Leadership, lead};
use crate::services::Services;

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("telegram bot {bot}: no token; set the environment variable {env}")]
    MissingToken { bot: String, env: String },
    #[error(
        "telegram bot {bot}: webhook mode needs a secret token; set the environment variable {env}"
    )]
    MissingSecret { bot: String, env: String },
    #[error("telegram bot {bot}: {what} failed: {error}")]
    Api {
        bot: String,
        what: &'static str,
        error: String,
    },
    #[error("telegram bot {bot}: cannot listen on {addr}: {source}")]
    Listen {
        bot: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A Bot API error without anything that could hold the token (URLs) or user data.
pub fn quiet(e: &RequestError) -> String {
    match e {
        RequestError::Network(n) if n.is_timeout() => "network error: timed out".into(),
        RequestError::Network(n) if n.is_connect() => "network error: could not connect".into(),
        RequestError::Network(n) => match n.status() {
            Some(s) => format!("network error: HTTP {s}"),
            None => "network error".into(),
        },
        RequestError::InvalidJson { .. } => "the Bot API answered invalid JSON".into(),
        other => other.to_string(),
    }
}

/// The teloxide client of a configured bot.
pub fn client(cfg: &TelegramBot, http: reqwest::Client) -> Result<Bot, TelegramError> {
    let token = cfg
        .token
        .as_ref()
        .ok_or_else(|| TelegramError::MissingToken {
            bot: cfg.name.clone(),
            env: cfg.token_env.clone(),
        })?;
    let api = url::Url::parse(&cfg.api_url).map_err(|e| TelegramError::Api {
        bot: cfg.name.clone(),
        what: "the api_url",
        error: e.to_string(),
    })?;
    Ok(Bot::with_client(token.expose(), http).set_api_url(api))
}

/// Asks Telegram who the bot is (`getMe`).
pub async fn identify(cfg: &TelegramBot, bot: &Bot) -> Result<BotIdentity, TelegramError> {
    let me = bot.get_me().await.map_err(|e| TelegramError::Api {
        bot: cfg.name.clone(),
        what: "getMe",
        error: quiet(&e),
    })?;
    Ok(BotIdentity {
        name: cfg.name.clone(),
        user_id: i64::try_from(me.id.0).unwrap_or(i64::MAX),
        username: me.username.clone().unwrap_or_default(),
    })
}

/// A running bot.
pub struct Started {
    /// Where the webhook listens (webhook mode).
    pub webhook: Option<SocketAddr>,
    pub task: JoinHandle<()>,
}

/// Starts receiving for one bot: registers the command menu, then the webhook (binding
/// `listener`, or the configured address) or the long-poller (under `leadership`).
#[allow(clippy::too_many_arguments)]
pub async fn start(
    svc: Arc<Services>,
    cfg: TelegramBot,
    bot: Bot,
    identity: BotIdentity,
    deliver: Arc<dyn Deliver>,
    http: reqwest::Client,
    leadership: Leadership,
    listener: Option<tokio::net::TcpListener>,
    stop: CancellationToken,
) -> Result<Started, TelegramError> {
    let api = |what: &'static str| {
        let bot = cfg.name.clone();
        move |e: RequestError| TelegramError::Api {
            bot,
            what,
            error: quiet(&e),
        }
    };
    let commands: Vec<BotCommand> = menu()
        .into_iter()
        .map(|(c, d)| BotCommand::new(c, d))
        .collect();
    bot.set_my_commands(commands)
        .await
        .map_err(api("setMyCommands"))?;
    let token = bot.token().to_owned();
    let receiver = Arc::new(Receiver {
        svc,
        bot: bot.clone(),
        identity,
        config: cfg.clone(),
        deliver,
    });
    let Some(hook) = &cfg.webhook else {
        bot.delete_webhook().await.map_err(api("deleteWebhook"))?;
        let task = tokio::spawn(lead(leadership, stop, move |term| {
            poll::poll(receiver.clone(), http.clone(), token.clone(), term)
        }));
        return Ok(Started {
            webhook: None,
            task,
        });
    };
    let secret = hook
        .secret
        .as_ref()
        .map(|s| s.expose().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| TelegramError::MissingSecret {
            bot: cfg.name.clone(),
            env: hook.secret_env.clone(),
        })?;
    let listener = match listener {
        Some(l) => l,
        None => tokio::net::TcpListener::bind(hook.listen)
            .await
            .map_err(|source| TelegramError::Listen {
                bot: cfg.name.clone(),
                addr: hook.listen,
                source,
            })?,
    };
    let addr = listener.local_addr().ok();
    let url = url::Url::parse(&hook.url).map_err(|e| TelegramError::Api {
        bot: cfg.name.clone(),
        what: "the webhook url",
        error: e.to_string(),
    })?;
    bot.set_webhook(url)
        .secret_token(secret.clone())
        .allowed_updates([AllowedUpdate::Message, AllowedUpdate::EditedMessage])
        .await
        .map_err(api("setWebhook"))?;
    let name = cfg.name.clone();
    let task = tokio::spawn(async move {
        if let Err(e) = webhook::serve(listener, receiver, secret, stop).await {
            tracing::error!(bot = %name, error = %e, "the webhook server stopped");
        }
    });
    Ok(Started {
        webhook: addr,
        task,
    })
}
