//! Wiring: builds the services from a resolved [`Config`] (storage, queue, limiter, AI client,
//! platforms' delivery), starts the workers and the background maintenance, and stops it all
//! gracefully. `run` is the service; `start` is what `run`, `simulate` and the tests share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use switchboard_platforms::{Deliver, Inbound, Platform};
use switchboard_queue::core::{Backoff, QueueSettings};
use switchboard_queue::{
    Clock, Queue, QueueError, RedisQueue, RedisQueueConfig, SystemClock, run_reaper,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::admission::{Admission, LocalLimiter, RateLimiter, RedisLimiter};
use crate::ai::AiClient;
use crate::config::{Config, Storage};
use crate::heartbeat;
use crate::ingress::{self, Handled, IngressError};
use crate::journal_queue::JournaledQueue;
use crate::observe::{NoObserver, Observer};
use crate::services::Services;
use crate::store::{RedisStore, SqliteStore, Store, StoreError};
use crate::tuning::Tuning;
use crate::worker::{Breakers, Cooldowns, ResponseCache, Typing, WorkerPool};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("could not build the HTTP client: {0}")]
    Http(String),
    #[error(
        "no platform is configured: add [[platforms.telegram]] or [platforms.discord] to the config, or try `switchboard simulate`"
    )]
    NoPlatform,
    #[error(
        "--role {0} splits the service over several processes, which share work only through Redis; set storage.mode = \"redis\" or run with --role all"
    )]
    RoleNeedsRedis(&'static str),
    #[error(transparent)]
    Telegram(#[from] crate::telegram::TelegramError),
    #[error(transparent)]
    Discord(#[from] crate::discord::DiscordError),
    #[error(transparent)]
    Admin(#[from] crate::admin::AdminError),
}

/// What the caller supplies besides the config.
pub struct StartOptions {
    /// Delivery per (platform, bot).
    pub delivers: HashMap<(Platform, String), Arc<dyn Deliver>>,
    pub observer: Arc<dyn Observer>,
    /// A queue to use instead of the configured one (simulate's FIFO comparison).
    pub queue: Option<Arc<dyn Queue>>,
    pub clock: Arc<dyn Clock>,
    /// Run workers in this process (an ingress-only process does not).
    pub workers: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            delivers: HashMap::new(),
            observer: Arc::new(NoObserver),
            queue: None,
            clock: Arc::new(SystemClock),
            workers: true,
        }
    }
}

/// Queue settings from config.
pub fn queue_settings(cfg: &Config) -> QueueSettings {
    let q = &cfg.queue;
    QueueSettings {
        default_user_cap: q.user_in_flight.max(1),
        default_tenant_cap: q.tenant_in_flight,
        max_attempts: q.max_attempts.max(1),
        tombstone_ttl_ms: q.tombstone.as_millis() as u64,
        backoff: Backoff {
            base_ms: q.retry_base.as_millis() as u64,
            max_ms: q.retry_max.as_millis() as u64,
            factor: 2.0,
        },
    }
}

/// A running pipeline.
pub struct Runtime {
    pub svc: Arc<Services>,
    workers: WorkerPool,
    stop: CancellationToken,
    background: JoinSet<()>,
}

pub async fn start(cfg: Config, opts: StartOptions) -> Result<Runtime, AppError> {
    let settings = queue_settings(&cfg);
    let (store, queue, limiter): (Arc<dyn Store>, Arc<dyn Queue>, Arc<dyn RateLimiter>) = match &cfg
        .storage
    {
        Storage::Embedded { data_dir } => {
            std::fs::create_dir_all(data_dir).map_err(|source| AppError::DataDir {
                path: data_dir.display().to_string(),
                source,
            })?;
            let sqlite = Arc::new(SqliteStore::open(&data_dir.join("switchboard.sqlite")).await?);
            let queue: Arc<dyn Queue> = match opts.queue {
                Some(q) => q,
                None => {
                    let (q, replayed) =
                        JournaledQueue::open(settings, sqlite.clone(), opts.clock.clone()).await?;
                    if replayed > 0 {
                        tracing::info!(jobs = replayed, "replayed queued jobs from the journal");
                    }
                    Arc::new(q)
                }
            };
            (sqlite, queue, Arc::new(LocalLimiter::default()))
        }
        Storage::Redis { url, namespace } => {
            let store = Arc::new(RedisStore::connect(url.expose(), namespace).await?);
            let queue: Arc<dyn Queue> = match opts.queue {
                Some(q) => q,
                None => {
                    let qc = RedisQueueConfig::new(url.expose(), namespace.clone());
                    Arc::new(
                        RedisQueue::connect_with_clock(qc, settings, opts.clock.clone()).await?,
                    )
                }
            };
            let conn =
                redis::aio::ConnectionManager::new(redis::Client::open(url.expose())?).await?;
            (store, queue, Arc::new(RedisLimiter::new(conn, namespace)))
        }
    };
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| AppError::Http(e.to_string()))?;
    let ai = Arc::new(AiClient::new(http, &cfg.providers));
    let tuning = Tuning::default();
    tuning.apply_named(queue.as_ref(), &cfg).await?;
    let concurrency = if opts.workers {
        cfg.workers.concurrency
    } else {
        0
    };
    let svc = Arc::new(Services {
        config: Arc::new(ArcSwap::from_pointee(cfg)),
        admission: Admission::new(limiter.clone(), store.clone(), queue.clone()),
        store: store.clone(),
        queue: queue.clone(),
        ai,
        delivers: opts.delivers,
        breakers: Mutex::new(Breakers::default()),
        cooldowns: Cooldowns::default(),
        ingress_order: crate::ingress_order::IngressOrder::default(),
        typing: Typing::default(),
        cache: ResponseCache::default(),
        tuning,
        observer: opts.observer,
        clock: opts.clock,
    });
    let stop = CancellationToken::new();
    let workers = WorkerPool::spawn(svc.clone(), concurrency, stop.clone());
    let mut background = JoinSet::new();
    background.spawn(run_reaper(
        queue,
        Duration::from_secs(1),
        stop.clone().cancelled_owned(),
    ));
    background.spawn(housekeeping(svc.clone(), stop.clone()));
    if svc.config().heartbeats.enabled {
        background.spawn(heartbeat::scheduler::run(svc.clone(), stop.clone()));
    }
    Ok(Runtime {
        svc,
        workers,
        stop,
        background,
    })
}

/// Per-request usage records are kept this long (the daily and monthly aggregates forever).
const USAGE_RECORDS_KEPT_MS: u64 = 400 * 86_400_000;

/// Periodic pruning of in-memory state, old job outcomes and old usage records.
async fn housekeeping(svc: Arc<Services>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = svc.now_ms();
        let cfg = svc.config();
        svc.breakers().prune(&cfg.breaker, now);
        svc.cooldowns.prune(now);
        svc.admission.limiter().prune();
        let keep = cfg.queue.tombstone.as_millis() as u64;
        if let Err(e) = svc.store.prune_outcomes(now.saturating_sub(keep)).await {
            tracing::warn!(error = %e, "could not prune old job outcomes");
        }
        if let Err(e) = svc
            .store
            .prune_usage_records(now.saturating_sub(USAGE_RECORDS_KEPT_MS))
            .await
        {
            tracing::warn!(error = %e, "could not prune old usage records");
        }
    }
}

impl Runtime {
    /// Hands an inbound message to ingress.
    pub async fn ingest(&self, m: Inbound) -> Result<Handled, IngressError> {
        ingress::handle(&self.svc, m).await
    }

    /// Jobs being processed right now.
    pub fn busy(&self) -> usize {
        self.workers.busy()
    }

    /// Worker tasks running, as they start and end (for readiness checks).
    pub fn workers_alive(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        self.workers.alive()
    }

    /// Stops leasing, lets jobs in flight finish within the configured grace period, releases
    /// the rest to the queue. Returns how many were released.
    pub async fn shutdown(mut self) -> usize {
        let grace = self.svc.config().workers.shutdown_grace;
        self.stop.cancel();
        let released = self.workers.shutdown(grace).await;
        self.background.abort_all();
        while self.background.join_next().await.is_some() {}
        if released > 0 {
            tracing::info!(jobs = released, "released unfinished jobs to the queue");
        }
        released
    }
}

/// The service: runs the configured platforms until `shutdown` is cancelled, applying changes
/// of the config file `watch` names as they are saved (and on SIGHUP).
pub async fn run(
    cfg: Config,
    opts: crate::live::LiveOptions,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    crate::live::run_with(cfg, shutdown, None, opts).await
}
