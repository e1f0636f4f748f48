//! `FifoQueue`: arrival order with the same leases, retries and dead letters as the fair queue, for
//! comparisons (`switchboard simulate` reports every scenario on both). Every job joins one flow of
//! a [`MemoryQueue`] with no in-flight cap, so dispatch order is exactly enqueue order; the owner of
//! each job is remembered so leases still name their real tenant and user.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use crate::core::{
    Ack, DeadJob, Enqueued, Lease, Millis, Nack, NackOutcome, NewJob, Position, QueueSettings,
    Stats,
};
use crate::memory::MemoryQueue;
use crate::queue::{Maintenance, Queue, QueueError};

const TENANT: &str = "fifo";
const USER: &str = "all";

pub struct FifoQueue {
    /// Holds every job in one flow.
    inner: MemoryQueue,
    /// Job id -> (tenant, user), while the job is in the queue.
    owners: Mutex<HashMap<String, (String, String)>>,
    /// (tenant, user) -> jobs in the queue (for `user_backlog`).
    backlog: Mutex<HashMap<(String, String), u64>>,
    settings: QueueSettings,
}

impl FifoQueue {
    pub fn new(settings: QueueSettings) -> Self {
        let inner = QueueSettings {
            default_user_cap: u32::MAX,
            default_tenant_cap: 0,
            ..settings.clone()
        };
        Self {
            inner: MemoryQueue::new(inner),
            owners: Mutex::default(),
            backlog: Mutex::default(),
            settings,
        }
    }

    fn owners(&self) -> MutexGuard<'_, HashMap<String, (String, String)>> {
        self.owners.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn backlog(&self) -> MutexGuard<'_, HashMap<(String, String), u64>> {
        self.backlog.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The job left the queue (finished or dead-lettered).
    fn finished(&self, id: &str) {
        if let Some(owner) = self.owners().remove(id) {
            let mut b = self.backlog();
            if let Some(n) = b.get_mut(&owner) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    b.remove(&owner);
                }
            }
        }
    }

    fn restore_owner(&self, mut l: Lease) -> Lease {
        if let Some((t, u)) = self.owners().get(&l.id) {
            l.tenant = t.clone();
            l.user = u.clone();
        }
        l
    }
}

#[async_trait]
impl Queue for FifoQueue {
    fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, QueueError> {
        Ok(self
            .enqueue_many(vec![job])
            .await?
            .pop()
            .unwrap_or(Enqueued::Duplicate))
    }

    async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>, QueueError> {
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            job.validate().map_err(QueueError::Invalid)?;
            let owner = (job.tenant.clone(), job.user.clone());
            let id = job.id.clone();
            let folded = NewJob {
                tenant: TENANT.into(),
                user: USER.into(),
                ..job
            };
            let res = self.inner.enqueue(folded).await?;
            if res == Enqueued::New {
                self.owners().insert(id, owner.clone());
                *self.backlog().entry(owner).or_default() += 1;
            }
            out.push(res);
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
        let (acked, leases) = self.inner.ack_and_lease(acks, max, lease_ms, wait).await?;
        for (a, ok) in acks.iter().zip(&acked) {
            if *ok {
                self.finished(&a.id);
            }
        }
        Ok((
            acked,
            leases.into_iter().map(|l| self.restore_owner(l)).collect(),
        ))
    }

    async fn nack(&self, lease: &Lease, nack: Nack) -> Result<NackOutcome, QueueError> {
        let out = self.inner.nack(lease, nack).await?;
        if out == NackOutcome::DeadLettered {
            self.finished(&lease.id);
        }
        Ok(out)
    }

    async fn extend(&self, lease: &Lease, lease_ms: Millis) -> Result<Millis, QueueError> {
        self.inner.extend(lease, lease_ms).await
    }

    /// Arrival order has no weights: accepted and ignored, so callers need not know the baseline.
    async fn set_tenant_weight(&self, _tenant: &str, _weight: f64) -> Result<(), QueueError> {
        Ok(())
    }

    /// Ignored, as weights are.
    async fn set_user_weight(
        &self,
        _tenant: &str,
        _user: &str,
        _weight: f64,
    ) -> Result<(), QueueError> {
        Ok(())
    }

    /// Ignored: the baseline has no caps.
    async fn set_tenant_cap(&self, _tenant: &str, _cap: Option<u32>) -> Result<(), QueueError> {
        Ok(())
    }

    /// Ignored: the baseline has no caps.
    async fn set_user_cap(
        &self,
        _tenant: &str,
        _user: &str,
        _cap: Option<u32>,
    ) -> Result<(), QueueError> {
        Ok(())
    }

    /// The one flow's figures (the baseline keeps no per-tenant structure).
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
        self.inner.delete_dead(id).await
    }

    /// Per-user cancellation needs per-user flows, which arrival order does not have.
    async fn cancel_user(&self, _tenant: &str, _user: &str) -> Result<usize, QueueError> {
        Err(QueueError::Invalid(
            "the FIFO baseline cannot cancel one user's jobs".into(),
        ))
    }

    async fn user_backlog(&self, tenant: &str, user: &str) -> Result<u64, QueueError> {
        Ok(self
            .backlog()
            .get(&(tenant.to_owned(), user.to_owned()))
            .copied()
            .unwrap_or(0))
    }

    /// Arrival order has no per-user schedule to stand in.
    async fn position(&self, _tenant: &str, _user: &str) -> Result<Option<Position>, QueueError> {
        Err(QueueError::Invalid(
            "the FIFO baseline has no per-user schedule".into(),
        ))
    }

    async fn maintain(&self) -> Result<Maintenance, QueueError> {
        self.inner.maintain().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dispatches_in_arrival_order_and_keeps_owners() {
        let q = FifoQueue::new(QueueSettings::default());
        for (i, (t, u)) in [("a", "x"), ("a", "x"), ("b", "y"), ("a", "x")]
            .iter()
            .enumerate()
        {
            q.enqueue(NewJob::new(format!("j{i}"), *t, *u, ""))
                .await
                .unwrap();
        }
        assert_eq!(q.user_backlog("a", "x").await.unwrap(), 3);
        let leases = q.lease(10, 30_000, Duration::ZERO).await.unwrap();
        let got: Vec<_> = leases
            .iter()
            .map(|l| (l.id.as_str(), l.tenant.as_str(), l.user.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("j0", "a", "x"),
                ("j1", "a", "x"),
                ("j2", "b", "y"),
                ("j3", "a", "x")
            ]
        );
        let acks: Vec<Ack> = leases.iter().map(Ack::of).collect();
        q.ack_and_lease(&acks, 0, 0, Duration::ZERO).await.unwrap();
        assert_eq!(q.user_backlog("a", "x").await.unwrap(), 0);
        assert_eq!(
            q.enqueue(NewJob::new("j0", "a", "x", "")).await.unwrap(),
            Enqueued::Duplicate
        );
    }
}
