//! `RedisQueue`: the same scheduler as the core, run atomically by Lua scripts on Redis so any
//! number of processes share one fair queue. One script call per enqueue, one per batch of
//! ack-and-lease; idle workers block on a wake list instead of polling.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use redis::{Cmd, Value};
use tokio::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::clock::{Clock, SystemClock};
use crate::core::{
    Ack, DeadJob, Enqueued, Lease, Millis, Nack, NackOutcome, NewJob, Position, QueueSettings,
    Stats, TenantStats, UserStats, validate_cost, validate_name, validate_weight,
};
use crate::queue::{Maintenance, Queue, QueueError, clean_error};
use crate::redis_calls::{Inner, MAX_ENQUEUE_BATCH, Pending, group_commit};
use crate::redis_conn::{Connections, RedisTarget};
use crate::redis_library::Reply;

/// Version of the key layout, in every key after the hash tag. Processes whose layouts differ do
/// not share a queue (each serves its own keys), so a deploy that changes it runs the old version
/// until its queue is empty. 2: a user's oldest ready job and ready count in its state, a tenant's
/// only eligible user in its state.
const LAYOUT: u32 = 2;

/// Where and how to reach the queue.
#[derive(Clone, Debug)]
pub struct RedisQueueConfig {
    pub target: RedisTarget,
    /// Separates queues sharing one Redis (and tests from each other). No braces.
    pub namespace: String,
    /// This queue's partition; all its keys share the hash tag `{sb:<namespace>:<partition>}`.
    pub partition: u32,
    /// Longest wait for a script's answer before the call fails as transient.
    pub response_timeout: Duration,
    /// Longest a blocked lease waits on the wake list before looking again.
    pub max_nap: Duration,
    /// Flows examined per maintenance call when forgetting idle ones.
    pub prune_chunk: usize,
}

impl RedisQueueConfig {
    pub fn new(url: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            target: RedisTarget::Single(url.into()),
            namespace: namespace.into(),
            partition: 0,
            response_timeout: Duration::from_secs(5),
            max_nap: Duration::from_secs(1),
            prune_chunk: 100,
        }
    }
}

pub struct RedisQueue {
    inner: Arc<Inner>,
    /// Hands enqueues to the group-commit task.
    enqueues: mpsc::Sender<Pending>,
    max_nap: Duration,
    prune_chunk: usize,
}

impl RedisQueue {
    /// Connects and starts the group-commit task (needs a Tokio runtime).
    pub async fn connect(
        cfg: RedisQueueConfig,
        settings: QueueSettings,
    ) -> Result<Self, QueueError> {
        Self::connect_with_clock(cfg, settings, Arc::new(SystemClock)).await
    }

    pub async fn connect_with_clock(
        cfg: RedisQueueConfig,
        settings: QueueSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, QueueError> {
        if cfg.namespace.is_empty() || cfg.namespace.contains(['{', '}']) {
            return Err(QueueError::Invalid(
                "namespace must be non-empty and without braces".into(),
            ));
        }
        let conns = Connections::open(&cfg.target, cfg.response_timeout).await?;
        let inner = Arc::new(Inner {
            conns,
            prefix: format!("{{sb:{}:{}}}:{LAYOUT}", cfg.namespace, cfg.partition),
            settings,
            clock,
            round_trips: AtomicU64::new(0),
        });
        inner.load_library().await?;
        let (tx, rx) = mpsc::channel(16 * MAX_ENQUEUE_BATCH);
        tokio::spawn(group_commit(inner.clone(), rx));
        Ok(Self {
            inner,
            enqueues: tx,
            max_nap: cfg.max_nap,
            prune_chunk: cfg.prune_chunk.max(1),
        })
    }

    /// The hash-tagged prefix of every key of this queue.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Calls to Redis so far (script calls and blocking waits).
    pub fn round_trips(&self) -> u64 {
        self.inner.round_trips.load(Ordering::Relaxed)
    }

    fn call(&self, name: &str) -> Cmd {
        self.inner.call(name)
    }

    async fn run(&self, cmd: &Cmd) -> Result<Value, QueueError> {
        self.inner.run(cmd).await
    }

    /// Blocks on the wake list for at most `nap`.
    async fn nap(&self, nap: Duration) -> Result<(), QueueError> {
        let mut guard = self.inner.conns.dedicated(nap).await?;
        let Some(conn) = guard.conn() else {
            return Ok(());
        };
        self.inner.round_trips.fetch_add(1, Ordering::Relaxed);
        let key = format!("{}:wake", self.inner.prefix);
        let res: redis::RedisResult<Value> = redis::cmd("BLPOP")
            .arg(&key)
            .arg(nap.as_secs_f64().max(0.01))
            .query_async(conn)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                guard.discard();
                Err(e.into())
            }
        }
    }

    async fn settings_call(
        &self,
        what: &str,
        tenant: &str,
        user: &str,
        value: String,
    ) -> Result<(), QueueError> {
        validate_name("tenant", tenant).map_err(QueueError::Invalid)?;
        if !user.is_empty() {
            validate_name("user", user).map_err(QueueError::Invalid)?;
        }
        let mut inv = self.call("settings");
        inv.arg(what).arg(tenant).arg(user).arg(value);
        self.run(&inv).await?;
        Ok(())
    }

    async fn dead_op(&self, op: &str, id: &str) -> Result<(), QueueError> {
        let mut inv = self.call("dead");
        inv.arg(op).arg(id);
        let v = self.run(&inv).await?;
        if (Reply { script: "dead" }).int(&v)? == 1 {
            Ok(())
        } else {
            Err(QueueError::NotFound)
        }
    }
}

#[async_trait]
impl Queue for RedisQueue {
    fn settings(&self) -> &QueueSettings {
        &self.inner.settings
    }

    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, QueueError> {
        job.validate().map_err(QueueError::Invalid)?;
        let (reply, rx) = oneshot::channel();
        let closed = || QueueError::Pool("the enqueue task has stopped".into());
        self.enqueues
            .send(Pending { job, reply })
            .await
            .map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?
    }

    async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>, QueueError> {
        for j in &jobs {
            j.validate().map_err(QueueError::Invalid)?;
        }
        let mut out = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(MAX_ENQUEUE_BATCH) {
            out.extend(self.inner.enqueue_call(chunk).await?);
        }
        Ok(out)
    }

    async fn ack_and_lease(
        &self,
        acks: &[Ack],
        max: usize,
        lease_ms: Millis,
        wait: Duration,
    ) -> Result<(Vec<bool>, Vec<Lease>), QueueError> {
        for a in acks {
            if let Some(cost) = a.cost {
                validate_cost(cost).map_err(QueueError::Invalid)?;
            }
        }
        let give_up = Instant::now() + wait;
        let (acked, mut leases, mut next) = self.inner.take(acks, max, lease_ms).await?;
        while leases.is_empty() && max > 0 {
            let now = Instant::now();
            if now >= give_up {
                break;
            }
            let mut nap = (give_up - now).min(self.max_nap);
            if let Some(at) = next {
                nap = nap.min(Duration::from_millis(
                    at.saturating_sub(self.inner.clock.now()).max(10),
                ));
            }
            self.nap(nap).await?;
            (_, leases, next) = self.inner.take(&[], max, lease_ms).await?;
        }
        Ok((acked, leases))
    }

    async fn nack(&self, lease: &Lease, nack: Nack) -> Result<NackOutcome, QueueError> {
        let mut inv = self.call("nack");
        inv.arg(&lease.id).arg(&lease.token);
        match &nack {
            Nack::Retry {
                delay_ms,
                failed,
                error,
            } => inv
                .arg("retry")
                .arg(*delay_ms)
                .arg(if *failed { "1" } else { "0" })
                .arg(clean_error(error)),
            Nack::DeadLetter { error } => inv.arg("dead").arg(0).arg("1").arg(clean_error(error)),
        };
        let v = self.run(&inv).await?;
        let r = Reply { script: "nack" };
        match r.array(&v)? {
            [code, due] => match r.int(code)? {
                0 => Err(QueueError::StaleLease),
                1 => Ok(NackOutcome::RetryAt(r.u64(due)?)),
                2 => Ok(NackOutcome::DeadLettered),
                other => Err(r.err(format!("outcome {other}"))),
            },
            _ => Err(r.err("expected 2 values")),
        }
    }

    async fn extend(&self, lease: &Lease, lease_ms: Millis) -> Result<Millis, QueueError> {
        let mut inv = self.call("extend");
        inv.arg(&lease.id).arg(&lease.token).arg(lease_ms);
        let v = self.run(&inv).await?;
        u64::try_from((Reply { script: "extend" }).int(&v)?).map_err(|_| QueueError::StaleLease)
    }

    async fn set_tenant_weight(&self, tenant: &str, weight: f64) -> Result<(), QueueError> {
        validate_weight(weight).map_err(QueueError::Invalid)?;
        self.settings_call("tenant_weight", tenant, "", weight.to_string())
            .await
    }

    async fn set_user_weight(
        &self,
        tenant: &str,
        user: &str,
        weight: f64,
    ) -> Result<(), QueueError> {
        validate_weight(weight).map_err(QueueError::Invalid)?;
        validate_name("user", user).map_err(QueueError::Invalid)?;
        self.settings_call("user_weight", tenant, user, weight.to_string())
            .await
    }

    async fn set_tenant_cap(&self, tenant: &str, cap: Option<u32>) -> Result<(), QueueError> {
        self.settings_call(
            "tenant_cap",
            tenant,
            "",
            cap.map(|c| c.to_string()).unwrap_or_default(),
        )
        .await
    }

    async fn set_user_cap(
        &self,
        tenant: &str,
        user: &str,
        cap: Option<u32>,
    ) -> Result<(), QueueError> {
        if cap == Some(0) {
            return Err(QueueError::Invalid("a user cap must be at least 1".into()));
        }
        validate_name("user", user).map_err(QueueError::Invalid)?;
        self.settings_call(
            "user_cap",
            tenant,
            user,
            cap.map(|c| c.to_string()).unwrap_or_default(),
        )
        .await
    }

    async fn stats(&self) -> Result<Stats, QueueError> {
        let v = self.run(&self.call("stats")).await?;
        let r = Reply { script: "stats" };
        let [rows, dead] = r.array(&v)? else {
            return Err(r.err("expected 2 parts"));
        };
        let mut per: BTreeMap<String, BTreeMap<String, UserStats>> = BTreeMap::new();
        for row in r.rows(rows, 5)? {
            let user = r.string(&row[1])?;
            let us = UserStats {
                user: user.clone(),
                ready: r.u64(&row[2])?,
                in_flight: r.u64(&row[3])?,
                delayed: r.u64(&row[4])?,
            };
            per.entry(r.string(&row[0])?).or_default().insert(user, us);
        }
        let mut stats = Stats {
            dead: r.u64(dead)?,
            ..Stats::default()
        };
        for (tenant, users) in per {
            let mut ts = TenantStats {
                tenant,
                ..TenantStats::default()
            };
            for (_, us) in users {
                ts.ready += us.ready;
                ts.in_flight += us.in_flight;
                ts.delayed += us.delayed;
                ts.users.push(us);
            }
            stats.ready += ts.ready;
            stats.in_flight += ts.in_flight;
            stats.delayed += ts.delayed;
            stats.tenants.push(ts);
        }
        Ok(stats)
    }

    async fn dead_letters(&self, offset: usize, limit: usize) -> Result<Vec<DeadJob>, QueueError> {
        let mut inv = self.call("dead");
        inv.arg("list").arg(offset).arg(limit);
        let v = self.run(&inv).await?;
        let r = Reply { script: "dead" };
        r.rows(&v, 7)?
            .map(|row| {
                Ok(DeadJob {
                    id: r.string(&row[0])?,
                    tenant: r.string(&row[1])?,
                    user: r.string(&row[2])?,
                    attempts: u32::try_from(r.u64(&row[3])?).map_err(|_| r.err("attempts"))?,
                    error: r.string(&row[4])?,
                    at: r.u64(&row[5])?,
                    payload: r.bytes(&row[6])?,
                })
            })
            .collect()
    }

    async fn requeue_dead(&self, id: &str) -> Result<(), QueueError> {
        self.dead_op("requeue", id).await
    }

    async fn delete_dead(&self, id: &str) -> Result<(), QueueError> {
        self.dead_op("delete", id).await
    }

    async fn cancel_user(&self, tenant: &str, user: &str) -> Result<usize, QueueError> {
        let mut inv = self.call("cancel");
        inv.arg(tenant).arg(user);
        let v = self.run(&inv).await?;
        Ok(usize::try_from((Reply { script: "cancel" }).u64(&v)?).unwrap_or(usize::MAX))
    }

    async fn user_backlog(&self, tenant: &str, user: &str) -> Result<u64, QueueError> {
        let mut inv = self.call("backlog");
        inv.arg(tenant).arg(user);
        let v = self.run(&inv).await?;
        (Reply { script: "backlog" }).u64(&v)
    }

    async fn position(&self, tenant: &str, user: &str) -> Result<Option<Position>, QueueError> {
        let mut inv = self.call("position");
        inv.arg(tenant).arg(user);
        let v = self.run(&inv).await?;
        let r = Reply { script: "position" };
        if matches!(v, Value::Nil) {
            return Ok(None);
        }
        let [users, tenants] = r.array(&v)? else {
            return Err(r.err("expected 2 values"));
        };
        Ok(Some(Position {
            users_ahead: r.u64(users)?,
            tenants_ahead: r.u64(tenants)?,
        }))
    }

    async fn maintain(&self) -> Result<Maintenance, QueueError> {
        let mut inv = self.call("maintain");
        inv.arg(self.prune_chunk);
        let v = self.run(&inv).await?;
        let r = Reply { script: "maintain" };
        let [reclaimed, released, pruned, next] = r.array(&v)? else {
            return Err(r.err("expected 4 values"));
        };
        let count = |x: &Value| r.u64(x).map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        Ok(Maintenance {
            reclaimed: count(reclaimed)?,
            released: count(released)?,
            pruned: count(pruned)?,
            next_wakeup: u64::try_from(r.int(next)?).ok(),
        })
    }
}
