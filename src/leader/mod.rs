//! Leadership for work exactly one process may do at a time, such as a Telegram bot's long-poller
//! (Telegram answers two pollers of one bot with 409 Conflict). In Redis mode a lease key elects
//! the leader: taken with `SET NX PX`, renewed every third of its length by its holder only, and
//! released on a clean stop; a crashed leader's lease runs out and another process takes over. In
//! embedded mode there is one process, which always leads.

use std::future::Future;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use tokio_util::sync::CancellationToken;

/// A lease in Redis for one piece of work.
pub struct RedisLease {
    conn: ConnectionManager,
    /// `sb:<namespace>:leader:<name>`.
    key: String,
    /// This process's id (random per lease), the value of the key while it leads.
    holder: String,
    /// How long the lease lasts without renewal: how long a crashed leader blocks the others.
    lease: Duration,
    renew: Script,
    release: Script,
}

impl RedisLease {
    pub async fn connect(
        url: &str,
        namespace: &str,
        name: &str,
        lease: Duration,
    ) -> Result<Self, redis::RedisError> {
        let conn = ConnectionManager::new(redis::Client::open(url)?).await?;
        Ok(Self {
            conn,
            key: format!("sb:{namespace}:leader:{name}"),
            holder: format!("{:016x}", rand::random::<u64>()),
            lease,
            renew: Script::new(include_str!("renew.lua")),
            release: Script::new(include_str!("release.lua")),
        })
    }

    fn lease_ms(&self) -> u64 {
        self.lease.as_millis().max(1) as u64
    }

    /// Takes the lease if nobody holds it.
    pub async fn try_acquire(&mut self) -> Result<bool, redis::RedisError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(&self.key)
            .arg(&self.holder)
            .arg("NX")
            .arg("PX")
            .arg(self.lease_ms())
            .query_async(&mut self.conn)
            .await?;
        Ok(set.is_some())
    }

    /// Extends the lease; false if it was lost (expired, and perhaps taken by another).
    pub async fn renew(&mut self) -> Result<bool, redis::RedisError> {
        let n: i64 = self
            .renew
            .key(&self.key)
            .arg(&self.holder)
            .arg(self.lease_ms())
            .invoke_async(&mut self.conn)
            .await?;
        Ok(n == 1)
    }

    /// Gives the lease up if this process holds it.
    pub async fn release(&mut self) -> Result<bool, redis::RedisError> {
        let n: i64 = self
            .release
            .key(&self.key)
            .arg(&self.holder)
            .invoke_async(&mut self.conn)
            .await?;
        Ok(n == 1)
    }
}

/// Who may lead.
pub enum Leadership {
    /// The only process (embedded mode).
    Alone,
    /// Processes sharing a Redis elect one.
    Redis(RedisLease),
}

/// Runs `work` while this process leads, until `stop`: waits for the lease, runs `work` with a
/// token that is cancelled when the lease is lost or on `stop`, then (unless stopping) waits to
/// lead again. Redis errors count as not leading (work never runs unsure of its lease).
pub async fn lead<F, Fut>(leadership: Leadership, stop: CancellationToken, mut work: F)
where
    F: FnMut(CancellationToken) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut lease = match leadership {
        Leadership::Alone => {
            work(stop).await;
            return;
        }
        Leadership::Redis(lease) => lease,
    };
    let every = (lease.lease / 3).max(Duration::from_millis(10));
    while !stop.is_cancelled() {
        match lease.try_acquire().await {
            Ok(true) => {}
            Ok(false) => {
                sleep_or_stop(every, &stop).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "leader election unavailable; retrying");
                sleep_or_stop(every, &stop).await;
                continue;
            }
        }
        tracing::info!(key = %lease.key, "leading");
        let term = stop.child_token();
        let job = work(term.clone());
        tokio::pin!(job);
        loop {
            tokio::select! {
                () = &mut job => break,
                () = tokio::time::sleep(every) => {
                    if !matches!(lease.renew().await, Ok(true)) {
                        tracing::warn!(key = %lease.key, "lost the lead");
                        term.cancel();
                    }
                }
            }
        }
        if let Err(e) = lease.release().await {
            tracing::info!(error = %e, "could not release the lead; it expires on its own");
        }
        // Work that ended on its own (an error) is retried, not spun.
        sleep_or_stop(every, &stop).await;
    }
}

async fn sleep_or_stop(d: Duration, stop: &CancellationToken) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(d) => {}
    }
}
