//! `MemoryQueue`: the pure core behind a mutex, for one process. Blocking leases wait on a
//! `Notify` (and a timer for the next delayed job or lease deadline), never by polling.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::clock::{Clock, SystemClock};
use crate::core::{
    Ack, Core, DeadJob, Enqueued, Lease, Millis, Nack, NackOutcome, NewJob, Position,
    QueueSettings, Stats,
};
use crate::queue::{Maintenance, Queue, QueueError, clean_error};

/// Longest a blocked lease sleeps before looking again, in case a clock was moved by hand.
const MAX_NAP: Duration = Duration::from_secs(1);

pub struct MemoryQueue {
    /// The scheduler; every call holds the lock briefly and never across an await.
    core: Mutex<Core>,
    /// Wakes blocked leases when something may have become ready.
    ready: Notify,
    clock: Arc<dyn Clock>,
    settings: QueueSettings,
}

impl MemoryQueue {
    pub fn new(settings: QueueSettings) -> Self {
        Self::with_clock(settings, Arc::new(SystemClock))
    }

    pub fn with_clock(settings: QueueSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            core: Mutex::new(Core::new(settings.clone())),
            ready: Notify::new(),
            clock,
            settings,
        }
    }

    /// Drops a user's queued jobs like [`Queue::cancel_user`], returning their ids (a journal
    /// around this queue must forget them too).
    pub fn cancel_user_ids(&self, tenant: &str, user: &str) -> Vec<String> {
        self.with_core(|c, now| c.cancel_user_ids(now, tenant, user))
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock cannot leave the core half-updated in a way later calls
        // trip over more than the panic itself did; keep serving.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the core and wakes a blocked lease if anything is ready afterwards.
    fn with_core<T>(&self, f: impl FnOnce(&mut Core, Millis) -> T) -> T {
        let now = self.clock.now();
        let mut core = self.core();
        let out = f(&mut core, now);
        let ready = core.has_ready();
        drop(core);
        if ready {
            self.ready.notify_one();
        }
        out
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, QueueError> {
        Ok(self.with_core(|c, now| c.enqueue(now, job))?)
    }

    async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>, QueueError> {
        for j in &jobs {
            j.validate().map_err(QueueError::Invalid)?;
        }
        self.with_core(|c, now| {
            jobs.into_iter()
                .map(|j| c.enqueue(now, j).map_err(Into::into))
                .collect()
        })
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
                crate::core::validate_cost(cost).map_err(QueueError::Invalid)?;
            }
        }
        let give_up = Instant::now() + wait;
        let mut acked = Vec::new();
        let mut first = true;
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (leases, next) = self.with_core(|c, now| {
                if first {
                    acked = acks.iter().map(|a| c.ack(now, a).is_ok()).collect();
                }
                let leases = if max > 0 {
                    c.lease(now, max, lease_ms)
                } else {
                    Vec::new()
                };
                (leases, c.next_wakeup().map(|at| at.saturating_sub(now)))
            });
            first = false;
            let now = Instant::now();
            if !leases.is_empty() || max == 0 || now >= give_up {
                return Ok((acked, leases));
            }
            let mut nap = (give_up - now).min(MAX_NAP);
            if let Some(ms) = next {
                nap = nap.min(Duration::from_millis(ms.max(1)));
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    async fn nack(&self, lease: &Lease, nack: Nack) -> Result<NackOutcome, QueueError> {
        let nack = match nack {
            Nack::Retry {
                delay_ms,
                failed,
                error,
            } => Nack::Retry {
                delay_ms,
                failed,
                error: clean_error(&error),
            },
            Nack::DeadLetter { error } => Nack::DeadLetter {
                error: clean_error(&error),
            },
        };
        Ok(self.with_core(|c, now| c.nack(now, &lease.id, &lease.token, nack))?)
    }

    async fn extend(&self, lease: &Lease, lease_ms: Millis) -> Result<Millis, QueueError> {
        Ok(self.with_core(|c, now| c.extend(now, &lease.id, &lease.token, lease_ms))?)
    }

    async fn set_tenant_weight(&self, tenant: &str, weight: f64) -> Result<(), QueueError> {
        Ok(self.with_core(|c, _| c.set_tenant_weight(tenant, weight))?)
    }

    async fn set_user_weight(
        &self,
        tenant: &str,
        user: &str,
        weight: f64,
    ) -> Result<(), QueueError> {
        Ok(self.with_core(|c, _| c.set_user_weight(tenant, user, weight))?)
    }

    async fn set_tenant_cap(&self, tenant: &str, cap: Option<u32>) -> Result<(), QueueError> {
        Ok(self.with_core(|c, _| c.set_tenant_cap(tenant, cap))?)
    }

    async fn set_user_cap(
        &self,
        tenant: &str,
        user: &str,
        cap: Option<u32>,
    ) -> Result<(), QueueError> {
        Ok(self.with_core(|c, _| c.set_user_cap(tenant, user, cap))?)
    }

    async fn stats(&self) -> Result<Stats, QueueError> {
        Ok(self.core().stats())
    }

    async fn dead_letters(&self, offset: usize, limit: usize) -> Result<Vec<DeadJob>, QueueError> {
        Ok(self.core().dead_letters(offset, limit))
    }

    async fn requeue_dead(&self, id: &str) -> Result<(), QueueError> {
        Ok(self.with_core(|c, now| c.requeue_dead(now, id))?)
    }

    async fn delete_dead(&self, id: &str) -> Result<(), QueueError> {
        Ok(self.with_core(|c, now| c.delete_dead(now, id))?)
    }

    async fn cancel_user(&self, tenant: &str, user: &str) -> Result<usize, QueueError> {
        Ok(self.with_core(|c, now| c.cancel_user(now, tenant, user)))
    }

    async fn user_backlog(&self, tenant: &str, user: &str) -> Result<u64, QueueError> {
        Ok(self.core().user_backlog(tenant, user))
    }

    async fn position(&self, tenant: &str, user: &str) -> Result<Option<Position>, QueueError> {
        Ok(self.core().position(tenant, user))
    }

    async fn maintain(&self) -> Result<Maintenance, QueueError> {
        Ok(self.with_core(|c, now| Maintenance {
            reclaimed: c.reclaim_expired(now),
            released: c.release_due(now),
            pruned: c.prune(),
            next_wakeup: c.next_wakeup(),
        }))
    }
}
