//! The async `Queue` trait both backends implement, and its error type.

use std::time::Duration;

use async_trait::async_trait;

use crate::core::{
    Ack, CoreError, DeadJob, Enqueued, Lease, Millis, Nack, NackOutcome, NewJob, Position,
    QueueSettings, Stats,
};

/// Why a queue operation failed. `StaleLease` and `NotFound` are answers about the job; the
/// others are about the backend, and [`QueueError::is_transient`] says whether to try again.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The lease expired and was reclaimed, was finished already, or the token is wrong. The
    /// worker must drop the job without side effects it cannot undo.
    #[error("the lease is no longer held (expired, reclaimed, or already finished)")]
    StaleLease,
    /// No such job or dead letter.
    #[error("no such job")]
    NotFound,
    /// Bad input (the message names the field).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// No pooled connection for a blocking wait.
    #[error("redis connection pool: {0}")]
    Pool(String),
    /// A script answered in a shape this version does not understand.
    #[error("unexpected answer from the queue's {script} script: {detail}")]
    Protocol {
        script: &'static str,
        detail: String,
    },
}

impl QueueError {
    /// True for failures worth retrying after a pause (connection loss, timeouts, failover).
    pub fn is_transient(&self) -> bool {
        match self {
            QueueError::Redis(e) => {
                e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || e.is_cluster_error()
                    || matches!(
                        e.kind(),
                        redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
                    )
            }
            QueueError::Pool(_) => true,
            _ => false,
        }
    }
}

impl From<CoreError> for QueueError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::StaleLease => QueueError::StaleLease,
            CoreError::NotFound => QueueError::NotFound,
            CoreError::Invalid(m) => QueueError::Invalid(m),
        }
    }
}

/// What a maintenance pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Maintenance {
    pub reclaimed: usize,
    pub released: usize,
    pub pruned: usize,
    /// The earliest delayed job or lease deadline still pending.
    pub next_wakeup: Option<Millis>,
}

/// A weighted fair job queue. Both backends give the same dispatch order for the same calls.
#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// The settings every process on this queue shares.
    fn settings(&self) -> &QueueSettings;

    /// Adds a job; a known id is a no-op ([`Enqueued::Duplicate`]).
    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, QueueError>;

    /// Adds several jobs in one call; one result per job, in order.
    async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>, QueueError>;

    /// Acks `acks` (one bool each: false if the lease was stale), then leases up to `max` jobs,
    /// waiting up to `wait` for one if none is ready. A busy worker does everything in one round
    /// trip. `max = 0` only acks.
    async fn ack_and_lease(
        &self,
        acks: &[Ack],
        max: usize,
        lease_ms: Millis,
        wait: Duration,
    ) -> Result<(Vec<bool>, Vec<Lease>), QueueError>;

    /// Leases up to `max` jobs, waiting up to `wait` for one.
    async fn lease(
        &self,
        max: usize,
        lease_ms: Millis,
        wait: Duration,
    ) -> Result<Vec<Lease>, QueueError> {
        Ok(self.ack_and_lease(&[], max, lease_ms, wait).await?.1)
    }

    /// Finishes one lease; [`QueueError::StaleLease`] if it is no longer held.
    async fn ack(&self, ack: &Ack) -> Result<(), QueueError> {
        let (acked, _) = self
            .ack_and_lease(std::slice::from_ref(ack), 0, 0, Duration::ZERO)
            .await?;
        if acked.first().copied().unwrap_or(false) {
            Ok(())
        } else {
            Err(QueueError::StaleLease)
        }
    }

    /// Gives a lease back to retry later or to dead-letter.
    async fn nack(&self, lease: &Lease, nack: Nack) -> Result<NackOutcome, QueueError>;

    /// Records a failure: retried after exponential backoff with jitter, or dead-lettered once
    /// the attempts are used up.
    async fn fail(&self, lease: &Lease, error: &str) -> Result<NackOutcome, QueueError> {
        let unit: f64 = rand::random();
        let delay_ms = self.settings().backoff.delay_ms(lease.attempt, unit);
        let nack = Nack::Retry {
            delay_ms,
            failed: true,
            error: error.to_owned(),
        };
        self.nack(lease, nack).await
    }

    /// Moves the lease deadline to now + `lease_ms`; returns the new deadline.
    async fn extend(&self, lease: &Lease, lease_ms: Millis) -> Result<Millis, QueueError>;

    async fn set_tenant_weight(&self, tenant: &str, weight: f64) -> Result<(), QueueError>;
    async fn set_user_weight(
        &self,
        tenant: &str,
        user: &str,
        weight: f64,
    ) -> Result<(), QueueError>;
    /// `None` restores the default; 0 means unlimited.
    async fn set_tenant_cap(&self, tenant: &str, cap: Option<u32>) -> Result<(), QueueError>;
    /// `None` restores the default; at least 1.
    async fn set_user_cap(
        &self,
        tenant: &str,
        user: &str,
        cap: Option<u32>,
    ) -> Result<(), QueueError>;

    async fn stats(&self) -> Result<Stats, QueueError>;
    async fn dead_letters(&self, offset: usize, limit: usize) -> Result<Vec<DeadJob>, QueueError>;
    async fn requeue_dead(&self, id: &str) -> Result<(), QueueError>;
    async fn delete_dead(&self, id: &str) -> Result<(), QueueError>;

    /// Drops a user's queued (not leased) jobs; returns how many.
    async fn cancel_user(&self, tenant: &str, user: &str) -> Result<usize, QueueError>;

    /// A user's backlog: ready jobs plus jobs leased or waiting to retry (not `not_before` jobs).
    /// Cheap on both backends: admission asks it for every message.
    async fn user_backlog(&self, tenant: &str, user: &str) -> Result<u64, QueueError>;
    /// Where the user's next job stands (`None`: nothing of theirs can be dispatched now).
    async fn position(&self, tenant: &str, user: &str) -> Result<Option<Position>, QueueError>;

    /// Reclaims expired leases, releases due delayed jobs and forgets idle flows. Workers that
    /// lease do the first two as they go; a reaper calls this so nothing waits on an idle queue.
    async fn maintain(&self) -> Result<Maintenance, QueueError>;
}

/// Error text stored with a job: one line, bounded, so it packs safely and never floods a listing.
pub(crate) fn clean_error(error: &str) -> String {
    let mut s: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.len() > 500 {
        let mut cut = 500;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}
