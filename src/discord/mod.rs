//! The Discord adapter: serenity's gateway for events (messages, slash commands; the shard range
//! this process runs comes from config), the adapter's own REST client for everything it sends
//! (webhook pools need rate-limit headers serenity drops), and [`DiscordDeliver`] for replies.
//! With `api_base` set (an HTTP proxy, or a test fake) serenity's limiter is off and switchboard's
//! delivery does all rate-limit handling itself. The pure parts (normalization, webhook
//! usernames, mentions, pool state, permissions) live in `switchboard_platforms::discord`.

pub mod channels;
pub mod deliver;
pub mod documents;
pub mod notice;
pub mod pools;
pub mod receive;
pub mod rest;
pub mod slash;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serenity::all::{ClientBuilder, GatewayIntents, HttpBuilder};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use deliver::DiscordDeliver;
pub use receive::{Handler, Received};

use self::channels::Channels;
use self::pools::Pools;
use self::rest::Rest;
use crate::config::DiscordConfig;
use crate::services::Services;

/// The name Discord messages carry as their bot ([`switchboard_platforms::Inbound::bot`]).
pub const BOT_NAME: &str = "discord";

#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    #[error("discord: no token; set the environment variable {env}")]
    MissingToken { env: String },
    #[error("discord: could not start the gateway client: {0}")]
    Client(String),
}

/// The gateway intents: server messages, their content, and direct messages; `GUILDS` fills the
/// cache with roles (moderators) and channels (threads).
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
        | GatewayIntents::DIRECT_MESSAGES
}

/// The adapter before the pipeline runs: its delivery goes into the pipeline's start options.
pub struct Prepared {
    pub cfg: DiscordConfig,
    pub token: String,
    pub rest: Rest,
    pub deliver: Arc<DiscordDeliver>,
}

pub fn prepare(cfg: &DiscordConfig, http: reqwest::Client) -> Result<Prepared, DiscordError> {
    let token = cfg
        .token
        .as_ref()
        .map(|t| t.expose().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| DiscordError::MissingToken {
            env: cfg.token_env.clone(),
        })?;
    let rest = Rest::new(http, cfg.api_base.as_deref(), &token);
    let pools = Arc::new(Pools::new(rest.clone(), cfg.webhooks_per_channel as usize));
    let channels = Arc::new(Channels::new(rest.clone()));
    let deliver = Arc::new(DiscordDeliver::new(rest.clone(), pools, channels));
    Ok(Prepared {
        cfg: cfg.clone(),
        token,
        rest,
        deliver,
    })
}

/// Learns who the bot is over REST (`GET /users/@me`), for a process that delivers without
/// running the gateway (`--role worker`): its pools must recognize the bot's webhooks.
pub async fn identify(svc: &Services, p: &Prepared) -> Result<(), DiscordError> {
    p.deliver.attach(svc);
    let me = p
        .rest
        .current_user()
        .await
        .map_err(|e| DiscordError::Client(format!("GET /users/@me: {e}")))?;
    // A bot's application id is its user id.
    p.deliver.pools.identify(me, me);
    p.deliver.set_application(me);
    Ok(())
}

/// Connects the configured shards and serves until `stop`.
pub async fn start(
    svc: Arc<Services>,
    p: Prepared,
    stop: CancellationToken,
) -> Result<JoinHandle<()>, DiscordError> {
    p.deliver.attach(&svc);
    let mut http = HttpBuilder::new(&p.token);
    if let Some(base) = &p.cfg.api_base {
        // serenity applies the proxy only with its own limiter off; ours handles 429s.
        http = http.proxy(base.clone()).ratelimiter_disabled(true);
    }
    let handler = Arc::new(Handler {
        svc,
        deliver: p.deliver.clone(),
        rest: p.rest.clone(),
        name: BOT_NAME.to_owned(),
        bot: std::sync::Mutex::new(None),
        registered: AtomicBool::new(false),
    });
    let mut client = ClientBuilder::new_with_http(http.build(), intents())
        .event_handler_arc(handler)
        .await
        .map_err(|e| DiscordError::Client(e.to_string()))?;
    let first = p.cfg.shard_ids.first().copied().unwrap_or(0);
    let last = p.cfg.shard_ids.last().copied().unwrap_or(0);
    let total = p.cfg.shard_count;
    let shards = client.shard_manager.clone();
    Ok(tokio::spawn(async move {
        tokio::select! {
            r = client.start_shard_range(first..last, total) => {
                if let Err(e) = r {
                    tracing::error!(error = %e, "the Discord gateway client stopped");
                }
            }
            () = stop.cancelled() => shards.shutdown_all().await,
        }
    }))
}
