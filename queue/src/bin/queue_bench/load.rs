//! The steady-state load: producers enqueue jobs for random users of random tenants (one per call
//! by default, or `--produce-batch` per call) while workers ack and lease; a bounded backlog keeps
//! it a closed loop rather than a growing queue. Only the window after the warm-up is measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;

use crate::Args;
use crate::redis_info::{RedisCost, RedisInfo};

#[derive(Clone, Debug)]
pub struct LoadSpec {
    pub producers: usize,
    /// Jobs a producer enqueues per call.
    pub produce_batch: usize,
    pub workers: usize,
    pub batch: usize,
    pub tenants: usize,
    pub users: usize,
    pub seconds: f64,
    pub warmup: f64,
    pub backlog: usize,
}

impl From<&Args> for LoadSpec {
    fn from(a: &Args) -> Self {
        Self {
            producers: a.producers.max(1),
            produce_batch: a.produce_batch.clamp(1, a.backlog.max(1)),
            workers: a.workers.max(1),
            batch: a.batch.max(1),
            tenants: a.tenants.max(1),
            users: a.users.max(1),
            seconds: a.seconds.max(0.1),
            warmup: a.warmup.max(0.0),
            backlog: a.backlog.max(1),
        }
    }
}

/// Something jobs go through: the fair queue or the FIFO baseline.
#[async_trait]
pub trait Target: Clone + Send + Sync + 'static {
    type Held: Send;
    /// Enqueues (id, tenant, user) jobs: one job goes the way a lone message would (the queue's
    /// own batching, if any), several go in one call.
    async fn produce(&self, jobs: Vec<(String, String, String)>) -> anyhow::Result<()>;
    /// Finishes everything in `held`, takes the next jobs into it; returns how many finished.
    async fn work(&self, held: &mut Vec<Self::Held>) -> anyhow::Result<usize>;
}

#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    pub jobs_per_s: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub redis: Option<RedisCost>,
    /// This process's CPU (all threads, user + system) per job over the window; None off Linux.
    pub bench_cpu_us_per_job: Option<f64>,
}

/// This process's CPU time so far in seconds (utime + stime of /proc/self/stat, at the usual
/// 100 ticks per second), or None where that file does not exist.
fn own_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

pub async fn run<T: Target>(
    target: T,
    spec: &LoadSpec,
    info: Option<&RedisInfo>,
) -> anyhow::Result<LoadReport> {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let room = Arc::new(Semaphore::new(spec.backlog));
    let mut tasks = Vec::new();
    for p in 0..spec.producers {
        let (target, stop, room, spec) = (target.clone(), stop.clone(), room.clone(), spec.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::SmallRng::seed_from_u64(p as u64);
            let mut seq = 0u64;
            let n = spec.produce_batch;
            while !stop.load(Ordering::Relaxed) {
                let Ok(permit) = room.acquire_many(n as u32).await else {
                    break;
                };
                permit.forget();
                let jobs = (0..n)
                    .map(|_| {
                        seq += 1;
                        let t = rng.random_range(0..spec.tenants);
                        let u = rng.random_range(0..spec.users);
                        (
                            format!("p{p}-{seq}"),
                            format!("tenant-{t}"),
                            format!("user-{u}"),
                        )
                    })
                    .collect();
                target.produce(jobs).await?;
            }
            anyhow::Ok(Vec::new())
        }));
    }
    for _ in 0..spec.workers {
        let (target, stop, room, done, measuring) = (
            target.clone(),
            stop.clone(),
            room.clone(),
            done.clone(),
            measuring.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut held = Vec::new();
            let mut samples: Vec<u32> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let n = target.work(&mut held).await?;
                if measuring.load(Ordering::Relaxed) {
                    samples.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
                done.fetch_add(n as u64, Ordering::Relaxed);
                room.add_permits(n);
            }
            anyhow::Ok(samples)
        }));
    }

    tokio::time::sleep(Duration::from_secs_f64(spec.warmup)).await;
    let before = match info {
        Some(i) => Some(i.snapshot().await?),
        None => None,
    };
    let done0 = done.load(Ordering::Relaxed);
    let cpu0 = own_cpu_s();
    let t0 = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(spec.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let jobs = done.load(Ordering::Relaxed) - done0;
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu1 = own_cpu_s();
    let after = match info {
        Some(i) => Some(i.snapshot().await?),
        None => None,
    };
    stop.store(true, Ordering::Relaxed);
    room.close();

    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await??);
    }
    samples.sort_unstable();
    let pct = |p: f64| {
        samples
            .get(((samples.len() as f64 * p) as usize).min(samples.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Ok(LoadReport {
        jobs_per_s: jobs as f64 / elapsed,
        p50_us: u64::from(pct(0.50)),
        p99_us: u64::from(pct(0.99)),
        redis: before.zip(after).map(|(b, a)| a.cost_since(&b, jobs)),
        bench_cpu_us_per_job: cpu0
            .zip(cpu1)
            .map(|(a, b)| (b - a) * 1e6 / jobs.max(1) as f64),
    })
}
