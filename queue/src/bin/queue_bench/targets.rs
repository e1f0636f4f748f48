//! What the load runs through: the fair queue (any backend), or a plain Redis list (LPUSH per
//! producer call, RPOP per job, BRPOP when empty, no leases, no acks, no payload) as the floor of
//! what Redis can move. The fair comparison is `reliable_fifo`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use switchboard_queue::Queue;
use switchboard_queue::core::{Ack, Lease, NewJob};

use crate::IDLE_WAIT;
use crate::load::Target;

const LEASE_MS: u64 = 30_000;

#[derive(Clone)]
pub struct QueueTarget {
    q: Arc<dyn Queue>,
    batch: usize,
}

impl QueueTarget {
    pub fn new(q: Arc<dyn Queue>, batch: usize) -> Self {
        Self { q, batch }
    }
}

#[async_trait]
impl Target for QueueTarget {
    type Held = Lease;

    async fn produce(&self, jobs: Vec<(String, String, String)>) -> anyhow::Result<()> {
        let mut jobs: Vec<NewJob> = jobs
            .into_iter()
            .map(|(id, tenant, user)| NewJob::new(id, tenant, user, "no-op"))
            .collect();
        if jobs.len() == 1 {
            if let Some(job) = jobs.pop() {
                self.q.enqueue(job).await?;
            }
        } else {
            self.q.enqueue_many(jobs).await?;
        }
        Ok(())
    }

    async fn work(&self, held: &mut Vec<Lease>) -> anyhow::Result<usize> {
        let acks: Vec<Ack> = held.iter().map(Ack::of).collect();
        let (acked, leases) = self
            .q
            .ack_and_lease(&acks, self.batch, LEASE_MS, IDLE_WAIT)
            .await?;
        *held = leases;
        Ok(acked.iter().filter(|a| **a).count())
    }
}

#[derive(Clone)]
pub struct FifoTarget {
    shared: ConnectionManager,
    client: redis::Client,
    key: String,
    /// Dedicated connections for BRPOP, reused.
    idle: Arc<Mutex<Vec<MultiplexedConnection>>>,
}

impl FifoTarget {
    pub async fn connect(url: &str, name: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let shared = ConnectionManager::new(client.clone()).await?;
        Ok(Self {
            shared,
            client,
            key: format!("{{sb:{name}}}:list"),
            idle: Arc::default(),
        })
    }

    pub async fn cleanup(&self) {
        let mut c = self.shared.clone();
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(&self.key).query_async(&mut c).await;
    }
}

#[async_trait]
impl Target for FifoTarget {
    type Held = ();

    async fn produce(&self, jobs: Vec<(String, String, String)>) -> anyhow::Result<()> {
        let mut c = self.shared.clone();
        let mut cmd = redis::cmd("LPUSH");
        cmd.arg(&self.key);
        for (id, _, _) in jobs {
            cmd.arg(id);
        }
        let _: i64 = cmd.query_async(&mut c).await?;
        Ok(())
    }

    async fn work(&self, _held: &mut Vec<()>) -> anyhow::Result<usize> {
        let mut c = self.shared.clone();
        let got: Option<String> = redis::cmd("RPOP")
            .arg(&self.key)
            .query_async(&mut c)
            .await?;
        if got.is_some() {
            return Ok(1);
        }
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match reused {
            Some(c) => c,
            None => {
                let cfg = redis::AsyncConnectionConfig::new().set_response_timeout(None);
                self.client
                    .get_multiplexed_async_connection_with_config(&cfg)
                    .await?
            }
        };
        let got: Option<(String, String)> = redis::cmd("BRPOP")
            .arg(&self.key)
            .arg(IDLE_WAIT.as_secs_f64())
            .query_async(&mut conn)
            .await?;
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
        Ok(usize::from(got.is_some()))
    }
}
