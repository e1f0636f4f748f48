//! Workers: a pool of tasks, each leasing one job at a time and carrying its ack into the next
//! lease call (one queue round trip per job in steady state). Shutdown stops leasing, lets jobs in
//! flight finish within a grace period, then releases the rest to the queue so another process
//! (or the next start) takes them at once.

mod breaker;
mod cooldown;
mod cost_alert;
mod generate;
mod job;
mod process;
mod prompt;
pub mod response_cache;
mod settle;
mod typing;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use breaker::{Allow, Breaker, BreakerState, Breakers};
pub use cooldown::Cooldowns;
pub use job::{ChatJob, JOB_VERSION, JobKind, PayloadError};
pub use process::Finish;
pub use prompt::{Prompt, build as build_prompt, system_with_notes, with_attachments};
pub use response_cache::ResponseCache;
use switchboard_queue::core::{Ack, Lease, Nack};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
pub use typing::Typing;

use crate::services::Services;

/// Leases held by workers right now, so shutdown can release what did not finish.
type InFlight = Arc<Mutex<HashMap<String, Lease>>>;

pub struct WorkerPool {
    tasks: JoinSet<()>,
    in_flight: InFlight,
    svc: Arc<Services>,
    /// Worker tasks running now (readiness checks read it).
    alive: Arc<AtomicUsize>,
}

/// Counts a worker task as alive until it ends, however it ends.
struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl WorkerPool {
    /// Starts `n` workers (none for `n = 0`: an ingress-only process); they stop leasing when
    /// `stop` is cancelled.
    pub fn spawn(svc: Arc<Services>, n: usize, stop: CancellationToken) -> WorkerPool {
        let in_flight: InFlight = Arc::default();
        let alive = Arc::new(AtomicUsize::new(0));
        let mut tasks = JoinSet::new();
        for i in 0..n {
            alive.fetch_add(1, Ordering::Relaxed);
            let guard = Alive(alive.clone());
            let job = work(svc.clone(), stop.clone(), in_flight.clone(), i);
            tasks.spawn(async move {
                let _alive = guard;
                job.await;
            });
        }
        WorkerPool {
            tasks,
            in_flight,
            svc,
            alive,
        }
    }

    /// How many worker tasks are running, updated as they end.
    pub fn alive(&self) -> Arc<AtomicUsize> {
        self.alive.clone()
    }

    /// Jobs being processed now.
    pub fn busy(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Waits up to `grace` for the workers (already told to stop) to finish their jobs, then
    /// aborts the rest and gives their jobs back to the queue. Returns how many were given back.
    pub async fn shutdown(mut self, grace: Duration) -> usize {
        let finished = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_ok() {
            return 0;
        }
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        let leftovers: Vec<Lease> = self
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, l)| l)
            .collect();
        let mut released = 0;
        for lease in leftovers {
            let nack = Nack::Retry {
                delay_ms: 0,
                failed: false,
                error: "released at shutdown".into(),
            };
            match self.svc.queue.nack(&lease, nack).await {
                Ok(_) => released += 1,
                Err(e) => {
                    tracing::warn!(job = %lease.id, error = %e, "could not release a job at shutdown; it returns when its lease expires")
                }
            }
        }
        released
    }
}

async fn work(svc: Arc<Services>, stop: CancellationToken, in_flight: InFlight, index: usize) {
    let mut pending: Vec<Ack> = Vec::new();
    let mut backoff = Duration::from_millis(100);
    loop {
        if stop.is_cancelled() {
            break;
        }
        let lease_ms = svc.config().queue.lease.as_millis() as u64;
        let call = svc
            .queue
            .ack_and_lease(&pending, 1, lease_ms, Duration::from_secs(1));
        let res = tokio::select! {
            _ = stop.cancelled() => break,
            r = call => r,
        };
        let leases = match res {
            Ok((_, leases)) => {
                pending.clear();
                backoff = Duration::from_millis(100);
                leases
            }
            Err(e) => {
                tracing::warn!(worker = index, error = %e, "queue unavailable; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        for lease in leases {
            in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(lease.id.clone(), lease.clone());
            let id = lease.id.clone();
            let finish = process::process(&svc, lease).await;
            in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            if let Finish::Ack(ack) = finish {
                pending.push(ack);
            }
        }
    }
    if !pending.is_empty() {
        if let Err(e) = svc
            .queue
            .ack_and_lease(&pending, 0, 0, Duration::ZERO)
            .await
        {
            tracing::warn!(worker = index, error = %e, "could not ack finished jobs at shutdown; they may be answered again");
        }
    }
}
