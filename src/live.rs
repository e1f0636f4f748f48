//! Running for real: connect every configured Telegram bot (identity, delivery) and prepare the
//! Discord adapter, start the pipeline with their delivery, start receiving (Telegram webhook or
//! elected long-poller, Discord's gateway shards), the admin server when `[admin] listen` is set
//! and the config file watcher when there is a file, and on shutdown stop receiving first, then
//! let the workers finish or release their jobs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use switchboard_platforms::{Deliver, Platform};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::admin::{self, Activity, Admin, Health, metrics::Metrics};
use crate::app::{self, AppError, Runtime, StartOptions};
use crate::config::{Config, Storage};
use crate::discord;
use crate::leader::{Leadership, RedisLease};
use crate::observe::{Fanout, NoObserver, Observer};
use crate::reload::{ReloadSource, Reloader};
use crate::telegram::{self, TelegramDeliver};

/// How long an elected Telegram poller's lease lasts without renewal.
const POLLER_LEASE: std::time::Duration = std::time::Duration::from_secs(15);

/// What a started service tells an in-process caller (tests): its runtime and where each
/// webhook listens.
pub struct Ready {
    pub runtime: Arc<Runtime>,
    pub webhooks: HashMap<String, SocketAddr>,
    /// Where the admin server listens (`[admin] listen` set).
    pub admin: Option<SocketAddr>,
}

/// What [`run_with`] takes besides the config.
#[derive(Default)]
pub struct LiveOptions {
    /// The config file to watch (and reload on SIGHUP); `None`: the config stays as started.
    pub watch: Option<ReloadSource>,
    /// What this process does.
    pub role: Role,
}

/// What this process does (`--role`): several processes on one Redis may split the work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    /// Receive, answer commands inline, and run workers.
    #[default]
    All,
    /// Receive and enqueue (commands are still answered inline); no workers.
    Ingress,
    /// Run workers (and deliver); receive nothing.
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Ingress => "ingress",
            Role::Worker => "worker",
        }
    }
}

/// Runs until `shutdown`; `ready` hears once everything is started.
pub async fn run(
    cfg: Config,
    shutdown: CancellationToken,
    ready: Option<oneshot::Sender<Ready>>,
) -> Result<(), AppError> {
    run_with(cfg, shutdown, ready, LiveOptions::default()).await
}

/// [`run`], in a role and with a config file to watch.
pub async fn run_with(
    cfg: Config,
    shutdown: CancellationToken,
    ready: Option<oneshot::Sender<Ready>>,
    opts: LiveOptions,
) -> Result<(), AppError> {
    let role = opts.role;
    if role != Role::All && matches!(cfg.storage, Storage::Embedded { .. }) {
        return Err(AppError::RoleNeedsRedis(role.as_str()));
    }
    let receive = role != Role::Worker;
    if cfg.platforms.telegram.is_empty() && cfg.platforms.discord.is_none() {
        return Err(AppError::NoPlatform);
    }
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| AppError::Http(e.to_string()))?;
    let mut bots = Vec::new();
    let mut delivers: HashMap<(Platform, String), Arc<dyn Deliver>> = HashMap::new();
    for b in &cfg.platforms.telegram {
        let bot = telegram::client(b, http.clone())?;
        let identity = telegram::identify(b, &bot).await?;
        tracing::info!(bot = %b.name, username = %identity.username, "Telegram bot connected");
        let deliver: Arc<dyn Deliver> = Arc::new(TelegramDeliver::new(bot.clone()));
        delivers.insert((Platform::Telegram, b.name.clone()), deliver.clone());
        bots.push((b.clone(), bot, identity, deliver));
    }
    let discord = match &cfg.platforms.discord {
        Some(d) => {
            let p = discord::prepare(d, http.clone())?;
            let deliver: Arc<dyn Deliver> = p.deliver.clone();
            delivers.insert((Platform::Discord, discord::BOT_NAME.to_owned()), deliver);
            Some(p)
        }
        None => None,
    };
    let storage = cfg.storage.clone();
    let admin_cfg = cfg.admin.clone();
    let observers = admin_cfg
        .listen
        .map(|_| (Arc::new(Metrics::new()), Arc::new(Activity::default())));
    let observer: Arc<dyn Observer> = match &observers {
        Some((m, a)) => Arc::new(Fanout(vec![m.clone(), a.clone()])),
        None => Arc::new(NoObserver),
    };
    let workers_started = cfg.workers.concurrency.max(1);
    let rt = Arc::new(
        app::start(
            cfg,
            StartOptions {
                delivers,
                workers: role != Role::Ingress,
                observer,
                ..StartOptions::default()
            },
        )
        .await?,
    );
    let receiving = CancellationToken::new();
    let mut tasks = Vec::new();
    let mut receivers = Vec::new();
    let mut webhooks = HashMap::new();
    for (b, bot, identity, deliver) in bots.into_iter().filter(|_| receive) {
        let leadership = match &storage {
            Storage::Embedded { .. } => Leadership::Alone,
            Storage::Redis { url, namespace } => Leadership::Redis(
                RedisLease::connect(
                    url.expose(),
                    namespace,
                    &format!("telegram-poller:{}", b.name),
                    POLLER_LEASE,
                )
                .await?,
            ),
        };
        let name = b.name.clone();
        let started = telegram::start(
            rt.svc.clone(),
            b,
            bot,
            identity,
            deliver,
            http.clone(),
            leadership,
            None,
            receiving.clone(),
        )
        .await?;
        receivers.push((format!("telegram:{name}"), started.task.abort_handle()));
        if let Some(addr) = started.webhook {
            tracing::info!(bot = %name, %addr, "Telegram webhook listening");
            webhooks.insert(name, addr);
        }
        tasks.push(started.task);
    }
    match discord {
        Some(p) if receive => {
            let shards = p.cfg.shard_ids.clone();
            let gateway = discord::start(rt.svc.clone(), p, receiving.clone()).await?;
            receivers.push(("discord".to_owned(), gateway.abort_handle()));
            tasks.push(gateway);
            tracing::info!(?shards, "Discord gateway starting");
        }
        // A worker delivers without the gateway: it asks who the bot is over REST.
        Some(p) => discord::identify(&rt.svc, &p).await?,
        None => {}
    }
    tracing::info!(role = role.as_str(), "switchboard running");
    let reloader = Arc::new(Reloader::new(rt.svc.clone(), opts.watch));
    if let Some(path) = reloader.path() {
        tracing::info!(file = %path.display(), "watching the config file for changes (and SIGHUP)");
        tasks.push(tokio::spawn(reloader.clone().watch(receiving.clone())));
    }
    let mut admin_addr = None;
    if let (Some(listen), Some((metrics, activity))) = (admin_cfg.listen, observers) {
        let state = Admin {
            svc: rt.svc.clone(),
            metrics,
            activity,
            reloader,
            health: Health {
                receivers,
                workers_alive: rt.workers_alive(),
                workers_started,
            },
        };
        let serving = admin::serve(&admin_cfg, listen, state, receiving.clone()).await?;
        tracing::info!(addr = %serving.addr, "admin server listening");
        admin_addr = Some(serving.addr);
        tasks.push(serving.task);
    }
    if let Some(tx) = ready {
        let _ = tx.send(Ready {
            runtime: rt.clone(),
            webhooks,
            admin: admin_addr,
        });
    }
    shutdown.cancelled().await;
    tracing::info!("shutting down: no more updates taken in");
    receiving.cancel();
    for t in tasks {
        let _ = t.await;
    }
    match Arc::try_unwrap(rt) {
        Ok(rt) => {
            let released = rt.shutdown().await;
            tracing::info!(released, "workers stopped");
        }
        Err(_) => {
            tracing::warn!("the runtime is still shared at shutdown; workers stop with the process")
        }
    }
    Ok(())
}
