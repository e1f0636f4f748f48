//! The embedded mode's queue: the fair queue in memory, with every accepted job journaled in the
//! SQLite store before `enqueue` returns and forgotten when acked, so a restart loses no accepted
//! job. On start the journal is replayed into the queue (attempts start again; the job outcome
//! store keeps a replayed job from being answered twice).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use switchboard_queue::core::{
    Ack, DeadJob, Enqueued, Lease, Millis, Nack, NackOutcome, NewJob, Position, QueueSettings,
    Stats,
};
use switchboard_queue::{Clock, Maintenance, MemoryQueue, Queue, QueueError};

use crate::store::{Journal, JournalEntry, StoreError};

pub struct JournaledQueue {
    inner: MemoryQueue,
    journal: Arc<dyn Journal>,
    clock: Arc<dyn Clock>,
}

fn journal_err(e: StoreError) -> QueueError {
    QueueError::Pool(format!("queue journal: {e}"))
}

impl JournaledQueue {
    /// A queue holding every job the journal still has. Returns it and how many were replayed.
    pub async fn open(
        settings: QueueSettings,
        journal: Arc<dyn Journal>,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, usize), QueueError> {
        let inner = MemoryQueue::with_clock(settings, clock.clone());
        let entries = journal.journal_load().await.map_err(journal_err)?;
        let jobs: Vec<NewJob> = entries
            .into_iter()
            .map(|e| NewJob {
                id: e.id,
                tenant: e.tenant,
                user: e.user,
                payload: e.payload.into(),
                not_before: e.not_before,
            })
            .collect();
        let n = jobs.len();
        inner.enqueue_many(jobs).await?;
        Ok((
            Self {
                inner,
                journal,
                clock,
            },
            n,
        ))
    }

    fn entry(&self, j: &NewJob) -> JournalEntry {
        JournalEntry {
            id: j.id.clone(),
            tenant: j.tenant.clone(),
            user: j.user.clone(),
            payload: j.payload.to_vec(),
            not_before: j.not_before,
            enqueued_at_ms: self.clock.now(),
        }
    }

    async fn forget(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        if let Err(e) = self.journal.journal_done(&ids).await {
            // They stay journaled: after a restart they are replayed and acked without a second
            // answer (their outcomes are stored).
            tracing::warn!(error = %e, jobs = ids.len(), "could not remove finished jobs from the journal");
        }
    }
}

#[async_trait]
impl Queue for JournaledQueue {
    fn settings(&self) -> &QueueSettings {
        self.inner.settings()
    }

    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, QueueError> {
        let mut out = self.enqueue_many(vec![job]).await?;
        Ok(out.pop().unwrap_or(Enqueued::Duplicate))
    }

    async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>, QueueError> {
        let entries: Vec<JournalEntry> = jobs.iter().map(|j| self.entry(j)).collect();
        let res = self.inner.enqueue_many(jobs).await?;
        let fresh: Vec<JournalEntry> = entries
            .into_iter()
            .zip(&res)
            .filter(|(_, r)| **r == Enqueued::New)
            .map(|(e, _)| e)
            .collect();
        if !fresh.is_empty() {
            // Accepted means durable: the caller hears of the job only after this commits.
            self.journal
                .journal_put(&fresh)
                .await
                .map_err(journal_err)?;
        }
        Ok(res)
    }

    async fn ack_and_lease(
        &self,
        acks: &[Ack],
        max: usize,
        lease_ms: Millis,
        wait: Duration,
    ) -> Result<(Vec<bool>, Vec<Lease>), QueueError> {
        // Acks are settled (and their jobs leave the journal) before any blocking wait, so an
        // idle worker does not keep finished jobs journaled; the in-memory core makes the second
        // call free.
        let (acked, leases) = self
            .inner
            .ack_and_lease(acks, max, lease_ms, Duration::ZERO)
            .await?;
        let done: Vec<String> = acks
            .iter()
            .zip(&acked)
            .filter(|(_, ok)| **ok)
            .map(|(a, _)| a.id.clone())
            .collect();
        self.forget(done).await;
        if !leases.is_empty() || wait.is_zero() || max == 0 {
            return Ok((acked, leases));
        }
        let (_, leases) = self.inner.ack_and_lease(&[], max, lease_ms, wait).await?;
        Ok((acked, leases))
    }

    /// A dead-lettered job stays journaled: after a restart it is tried again.
    async fn nack(&self, lease: &Lease, nack: Nack) -> Result<NackOutcome, QueueError> {
        self.inner.nack(lease, nack).await
    }

    async fn extend(&self, lease: &Lease, lease_ms: Millis) -> Result<Millis, QueueError> {
        self.inner.extend(lease, lease_ms).await
    }

    async fn set_tenant_weight(&self, tenant: &str, weight: f64) -> Result<(), QueueError> {
        self.inner.set_tenant_weight(tenant, weight).await
    }

    async fn set_user_weight(
        &self,
        tenant: &str,
        user: &str,
        weight: f64,
    ) -> Result<(), QueueError> {
        self.inner.set_user_weight(tenant, user, weight).await
    }

    async fn set_tenant_cap(&self, tenant: &str, cap: Option<u32>) -> Result<(), QueueError> {
        self.inner.set_tenant_cap(tenant, cap).await
    }

    async fn set_user_cap(
        &self,
        tenant: &str,
        user: &str,
        cap: Option<u32>,
    ) -> Result<(), QueueError> {
        self.inner.set_user_cap(tenant, user, cap).await
    }

    async fn stats(&self) -> Result<Stats, QueueError> {
        self.inner.stats().await
    }

    async fn dead_letters(&self, offset: usize, limit: usize) -> Result<Vec<DeadJob>, QueueError> {
        self.inner.dead_letters(offset, limit).await
    }

    async fn requeue_dead(&self, id: &str) -> Result<(), QueueError> {
        self.inner.requeue_dead(id).await
    }

    async fn delete_dead(&self, id: &str) -> Result<(), QueueError> {
        self.inner.delete_dead(id).await?;
        self.forget(vec![id.to_owned()]).await;
        Ok(())
    }

    async fn cancel_user(&self, tenant: &str, user: &str) -> Result<usize, QueueError> {
        let ids = self.inner.cancel_user_ids(tenant, user);
        let n = ids.len();
        self.forget(ids).await;
        Ok(n)
    }

    async fn user_backlog(&self, tenant: &str, user: &str) -> Result<u64, QueueError> {
        self.inner.user_backlog(tenant, user).await
    }

    async fn position(&self, tenant: &str, user: &str) -> Result<Option<Position>, QueueError> {
        self.inner.position(tenant, user).await
    }

    async fn maintain(&self) -> Result<Maintenance, QueueError> {
        self.inner.maintain().await
    }
}
