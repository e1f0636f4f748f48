//! Backends for the suite: a memory queue or a Redis queue in a fresh namespace, both on a manual
//! clock so leases and delays are driven by hand.

use std::sync::Arc;
use std::time::Duration;

use switchboard_queue::core::{Ack, Lease, Millis, NewJob, QueueSettings};
use switchboard_queue::{ManualClock, MemoryQueue, Queue, RedisQueue, RedisQueueConfig};

pub const LEASE_MS: Millis = 30_000;

pub struct Backend {
    pub q: Arc<dyn Queue>,
    pub clock: ManualClock,
    /// Deletes the Redis namespace's keys when the case ends.
    _cleanup: Option<Cleanup>,
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Connects, or decides to skip (outside CI) or fail (in CI) when Redis is unreachable.
pub fn redis_or_skip(what: &str) -> Option<redis::Client> {
    let url = redis_url();
    let reachable = redis::Client::open(url.as_str()).and_then(|c| {
        c.get_connection_with_timeout(Duration::from_secs(2))
            .map(|_| c)
    });
    match reachable {
        Ok(c) => Some(c),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and Redis at {url} is unreachable ({e}); Redis-backed tests must run")
        }
        Err(e) => {
            eprintln!(
                "skipping {what}: Redis at {url} unreachable ({e}); set REDIS_URL or start redis-server"
            );
            None
        }
    }
}

impl Backend {
    pub fn memory() -> Self {
        Self::memory_with(QueueSettings::default())
    }

    pub fn memory_with(settings: QueueSettings) -> Self {
        let clock = ManualClock::new(1_000_000);
        let q = Arc::new(MemoryQueue::with_clock(settings, Arc::new(clock.clone())));
        Self {
            q,
            clock,
            _cleanup: None,
        }
    }

    pub async fn redis(case: &str) -> Option<Self> {
        Self::redis_with(case, QueueSettings::default()).await
    }

    pub async fn redis_with(case: &str, settings: QueueSettings) -> Option<Self> {
        let client = redis_or_skip(case)?;
        let ns = format!("test-{case}-{:08x}", rand::random::<u32>());
        let clock = ManualClock::new(1_000_000);
        let cfg = RedisQueueConfig {
            max_nap: Duration::from_millis(200),
            ..RedisQueueConfig::new(redis_url(), ns.clone())
        };
        let q = RedisQueue::connect_with_clock(cfg, settings, Arc::new(clock.clone()))
            .await
            .expect("connect");
        Some(Self {
            q: Arc::new(q),
            clock,
            _cleanup: Some(Cleanup {
                client,
                pattern: format!("{{sb:{ns}:*"),
            }),
        })
    }

    /// The same kind of backend with other settings (memory stays memory, Redis gets a new namespace).
    pub async fn with(&self, case: &str, settings: QueueSettings) -> Self {
        if self._cleanup.is_some() {
            Self::redis_with(case, settings)
                .await
                .expect("redis was reachable a moment ago")
        } else {
            Self::memory_with(settings)
        }
    }

    pub async fn add(&self, id: &str, tenant: &str, user: &str) {
        self.q
            .enqueue(NewJob::new(id, tenant, user, id.to_owned()))
            .await
            .unwrap();
    }

    pub async fn flood(&self, prefix: &str, tenant: &str, user: &str, n: usize) {
        let jobs: Vec<NewJob> = (0..n)
            .map(|i| NewJob::new(format!("{prefix}{i}"), tenant, user, "x"))
            .collect();
        for chunk in jobs.chunks(500) {
            self.q.enqueue_many(chunk.to_vec()).await.unwrap();
        }
    }

    pub async fn lease(&self, n: usize) -> Vec<Lease> {
        self.q.lease(n, LEASE_MS, Duration::ZERO).await.unwrap()
    }

    pub async fn lease1(&self) -> Option<Lease> {
        self.lease(1).await.pop()
    }

    pub async fn ack(&self, l: &Lease) {
        self.q.ack(&Ack::of(l)).await.unwrap();
    }

    /// Dispatches one job at a time, acking each before the next (one call per dispatch), and
    /// returns the leases in order. Stops early when nothing is ready.
    pub async fn drain_steps(&self, n: usize) -> Vec<Lease> {
        let mut out: Vec<Lease> = Vec::new();
        while out.len() < n {
            let acks: Vec<Ack> = out.last().map(Ack::of).into_iter().collect();
            let (_, mut got) = self
                .q
                .ack_and_lease(&acks, 1, LEASE_MS, Duration::ZERO)
                .await
                .unwrap();
            match got.pop() {
                Some(l) => out.push(l),
                None => return out,
            }
        }
        if let Some(l) = out.last() {
            self.ack(l).await;
        }
        out
    }
}

struct Cleanup {
    client: redis::Client,
    pattern: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok(mut c) = self.client.get_connection() else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(&self.pattern)
            .query(&mut c)
            .unwrap_or_default();
        for chunk in keys.chunks(500) {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(chunk).query(&mut c);
        }
    }
}
