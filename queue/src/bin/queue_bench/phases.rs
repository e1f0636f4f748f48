//! The two halves of a job's cost on Redis, measured apart: enqueueing a backlog (batches of the
//! size group commit makes with the load's producers), then draining it with one worker acking and
//! leasing in the load's batches. The steady-state load mixes both; this says which half to work
//! on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use switchboard_queue::Queue;
use switchboard_queue::core::{Ack, NewJob};

use crate::load::LoadSpec;
use crate::redis_info::{RedisCost, RedisInfo};

pub struct Phase {
    pub jobs: u64,
    pub jobs_per_s: f64,
    pub cost: RedisCost,
}

pub struct PhasesReport {
    pub enqueue: Phase,
    pub drain: Phase,
}

/// Enqueues `jobs` jobs `batch` per call, then drains them all.
pub async fn run(
    q: &Arc<dyn Queue>,
    info: &RedisInfo,
    spec: &LoadSpec,
    jobs: usize,
    batch: usize,
) -> anyhow::Result<PhasesReport> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let all: Vec<NewJob> = (0..jobs)
        .map(|i| {
            let t = rng.random_range(0..spec.tenants);
            let u = rng.random_range(0..spec.users);
            NewJob::new(
                format!("ph-{i}"),
                format!("tenant-{t}"),
                format!("user-{u}"),
                "no-op",
            )
        })
        .collect();

    let before = info.snapshot().await?;
    let t0 = Instant::now();
    for chunk in all.chunks(batch.max(1)) {
        q.enqueue_many(chunk.to_vec()).await?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let after = info.snapshot().await?;
    let enqueue = Phase {
        jobs: jobs as u64,
        jobs_per_s: jobs as f64 / secs,
        cost: after.cost_since(&before, jobs as u64),
    };

    let before = info.snapshot().await?;
    let t0 = Instant::now();
    let mut held: Vec<Ack> = Vec::new();
    let mut done = 0u64;
    loop {
        let (acked, leases) = q
            .ack_and_lease(&held, spec.batch, 30_000, Duration::ZERO)
            .await?;
        done += acked.iter().filter(|a| **a).count() as u64;
        if leases.is_empty() {
            break;
        }
        held = leases.iter().map(Ack::of).collect();
    }
    let secs = t0.elapsed().as_secs_f64();
    let after = info.snapshot().await?;
    let drain = Phase {
        jobs: done,
        jobs_per_s: done as f64 / secs,
        cost: after.cost_since(&before, done),
    };
    Ok(PhasesReport { enqueue, drain })
}
