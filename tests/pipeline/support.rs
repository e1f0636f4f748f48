//! The harness: the real pipeline (`app::start`) on either storage mode, against the in-process AI
//! server, with a platform that records every reply and an observer that records every event in
//! order.

// The pipeline tests build their own platforms and limits.
#[allow(dead_code)]
#[path = "../common/shipped_config.rs"]
mod shipped_config;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use switchboard::app::{self, Runtime, StartOptions};
use switchboard::config::{Config, Quotas, Secret, Storage, Tenant, TenantRule};
use switchboard::ingress::Handled;
use switchboard::observe::Observer;
use switchboard::platforms::{
    Author, Deliver, Delivered, DeliveryError, Inbound, Outbound, Platform, Scope, Target,
};
use switchboard::queue::{Clock, SystemClock};
use switchboard::sim::ai_server::FakeAi;

#[path = "../common/remnants.rs"]
mod remnants;

pub const BOT: &str = "test";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Embedded,
    Redis,
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Redis reachable? Skips (outside CI) or fails (under CI=true) when not.
pub fn redis_or_skip(case: &str) -> bool {
    let ok = redis::Client::open(redis_url().as_str())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .is_ok();
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI=true and Redis at {} is unreachable; Redis-backed tests must run",
                redis_url()
            );
        }
        eprintln!("skipping {case}: Redis at {} unreachable", redis_url());
    }
    ok
}

/// Every reply the platform was asked to deliver.
#[derive(Default)]
pub struct Recorder {
    pub sent: Mutex<Vec<Outbound>>,
    pub typing: AtomicU64,
}

impl Recorder {
    pub fn to_user(&self, user: &str) -> Vec<Outbound> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|o| o.target.place.channel_id == user)
            .cloned()
            .collect()
    }
}

#[async_trait]
impl Deliver for Recorder {
    async fn deliver(&self, out: &Outbound) -> Result<Delivered, DeliveryError> {
        self.sent.lock().unwrap().push(out.clone());
        Ok(Delivered {
            message_ids: vec![format!("m{}", self.sent.lock().unwrap().len())],
        })
    }

    async fn typing(&self, _t: &Target) -> Result<(), DeliveryError> {
        self.typing.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn typing_every(&self) -> Duration {
        Duration::from_millis(200)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Queued { job: String, user: String },
    Leased { job: String, user: String },
    Answered { job: String, user: String },
    Failed { job: String, dead: bool },
    Refused { user: String, limit: String },
    BreakerOpened { user: String },
    AiCalled { provider: String, ok: bool },
}

#[derive(Default)]
pub struct Events(pub Mutex<Vec<Event>>);

impl Events {
    pub fn all(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.0.lock().unwrap().iter().filter(|e| f(e)).count()
    }

    fn push(&self, e: Event) {
        self.0.lock().unwrap().push(e);
    }
}

impl Observer for Events {
    fn refused(&self, _t: &str, user: &str, limit: &str) {
        self.push(Event::Refused {
            user: user.into(),
            limit: limit.into(),
        });
    }
    fn queued(&self, job: &str, _t: &str, user: &str) {
        self.push(Event::Queued {
            job: job.into(),
            user: user.into(),
        });
    }
    fn leased(&self, job: &str, _t: &str, user: &str, _w: Duration) {
        self.push(Event::Leased {
            job: job.into(),
            user: user.into(),
        });
    }
    fn answered(&self, job: &str, _t: &str, user: &str) {
        self.push(Event::Answered {
            job: job.into(),
            user: user.into(),
        });
    }
    fn failed(&self, job: &str, _t: &str, _u: &str, dead: bool) {
        self.push(Event::Failed {
            job: job.into(),
            dead,
        });
    }
    fn breaker_opened(&self, _t: &str, user: &str) {
        self.push(Event::BreakerOpened { user: user.into() });
    }
    fn ai_called(&self, provider: &str, _m: &str, ok: bool, _l: Duration) {
        self.push(Event::AiCalled {
            provider: provider.into(),
            ok,
        });
    }
}

/// Where a test's data lives; removed on drop.
pub enum Place {
    Dir(tempfile::TempDir),
    Redis(String),
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Place::Redis(ns) = self {
            let Ok(client) = redis::Client::open(redis_url().as_str()) else {
                return;
            };
            let Ok(mut c) = client.get_connection() else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("*sb:{ns}:*"))
                .query(&mut c)
                .unwrap_or_default();
            for k in keys.chunks(500) {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(k).query(&mut c);
            }
        }
    }
}

impl Place {
    /// Every stored cell, key or value of the store that contains `needle`.
    pub async fn remnants(&self, needle: &str) -> Vec<String> {
        match self {
            Place::Dir(d) => {
                remnants::sqlite_remnants(&d.path().join("switchboard.sqlite"), needle)
            }
            Place::Redis(ns) => {
                let client = redis::Client::open(redis_url().as_str()).unwrap();
                remnants::redis_remnants(&client, &format!("sb:{ns}:"), needle).await
            }
        }
    }

    pub fn new(mode: Mode) -> Place {
        match mode {
            Mode::Embedded => Place::Dir(tempfile::tempdir().unwrap()),
            Mode::Redis => Place::Redis(format!("pipe-{:08x}", rand::random::<u32>())),
        }
    }

    pub fn storage(&self) -> Storage {
        match self {
            Place::Dir(d) => Storage::Embedded {
                data_dir: d.path().to_path_buf(),
            },
            Place::Redis(ns) => Storage::Redis {
                url: Secret::new(redis_url()),
                namespace: ns.clone(),
            },
        }
    }
}

/// The built-in config pointed at `ai` (providers `ai` and `ai2`, both priced), storage at
/// `place`, tenants `acme` and `other` (scopes `sim:acme`, `sim:other`), no limits, quick retries.
pub fn config(ai: &FakeAi, place: &Place) -> Config {
    let mut cfg = shipped_config::shipped();
    cfg.storage = place.storage();
    let provider = |name: &str| shipped_config::fake_provider(name, ai.base_url(), 64);
    cfg.providers = [
        ("ai".to_owned(), provider("ai")),
        ("ai2".to_owned(), provider("ai2")),
    ]
    .into();
    for p in cfg.personalities.all.values_mut() {
        p.provider = "ai".into();
        p.model = "m".into();
    }
    cfg.tenants.named.clear();
    cfg.tenants.rules.clear();
    for name in ["acme", "other"] {
        let t = Tenant {
            name: name.into(),
            ..cfg.tenants.defaults.clone()
        };
        cfg.tenants.rules.push(TenantRule {
            pattern: format!("sim:{name}"),
            tenant: name.into(),
        });
        cfg.tenants.named.insert(name.into(), t);
    }
    cfg.quotas = Quotas::default();
    cfg.guest_quotas = Quotas::default();
    cfg.users.clear();
    cfg.admins.clear();
    cfg.workers.concurrency = 4;
    cfg.workers.coalesce = false;
    cfg.workers.shutdown_grace = Duration::from_secs(2);
    cfg.queue.retry_base = Duration::from_millis(100);
    cfg.queue.retry_max = Duration::from_millis(400);
    cfg.breaker.open_for = Duration::from_millis(300);
    cfg.breaker.max_open = Duration::from_millis(600);
    cfg.breaker.min_calls = 2;
    cfg
}

pub struct Harness {
    pub rt: Runtime,
    pub platform: Arc<Recorder>,
    pub events: Arc<Events>,
}

pub async fn start(cfg: Config) -> Harness {
    start_with(cfg, Arc::new(SystemClock)).await
}

/// Starts with the given clock (a `ManualClock` moves time for schedules).
pub async fn start_with(cfg: Config, clock: Arc<dyn Clock>) -> Harness {
    let platform = Arc::new(Recorder::default());
    let events = Arc::new(Events::default());
    let delivers: HashMap<(Platform, String), Arc<dyn Deliver>> = HashMap::from([(
        (Platform::Sim, BOT.to_owned()),
        platform.clone() as Arc<dyn Deliver>,
    )]);
    let rt = app::start(
        cfg,
        StartOptions {
            delivers,
            observer: events.clone(),
            queue: None,
            clock,
            workers: true,
        },
    )
    .await
    .expect("pipeline starts");
    Harness {
        rt,
        platform,
        events,
    }
}

/// A private message from `user` in tenant `tenant`, message number `n`.
pub fn msg(tenant: &str, user: &str, n: usize, text: &str) -> Inbound {
    Inbound {
        platform: Platform::Sim,
        bot: BOT.into(),
        scope: Scope::Sim {
            tenant: tenant.into(),
        },
        author: Author {
            id: user.into(),
            display_name: user.into(),
            username: None,
            is_bot: false,
            moderator: false,
        },
        place: switchboard::platforms::Place {
            channel_id: user.into(),
            thread_id: None,
            is_dm: true,
        },
        message_id: format!("{user}-{n}"),
        text: text.into(),
        attachments: vec![],
        reply_to: None,
        mentions_bot: false,
        from_self: false,
        edited: false,
        sent_at_ms: 0,
    }
}

impl Harness {
    pub async fn say(&self, tenant: &str, user: &str, n: usize, text: &str) -> Handled {
        self.rt
            .ingest(msg(tenant, user, n, text))
            .await
            .expect("ingress works")
    }

    /// Waits until `f` holds (checked every 20 ms), failing after `secs`.
    pub async fn until(&self, secs: u64, what: &str, f: impl Fn(&Harness) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !f(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn answered(&self, user: &str) -> usize {
        let key = format!("sim:{user}");
        self.events
            .count(|e| matches!(e, Event::Answered { user: u, .. } if *u == key))
    }
}
