//! queue-bench: throughput, lease latency, Redis cost per job and fairness of the fair queue,
//! against memory and Redis. With `--fifo`, the baseline is a reliable Redis FIFO doing the same
//! per-job work minus fairness (job record, idempotent id, lease with token and deadline, ack),
//! built and batched like the fair queue; a plain LPUSH / RPOP list is printed as the floor.
//!
//! `cargo run --release -p switchboard-queue --bin queue-bench -- --fifo`
//! The last line is machine-readable: `key=value ...`.

mod flood;
mod load;
mod phases;
mod redis_info;
mod reliable_fifo;
mod targets;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use switchboard_queue::core::QueueSettings;
use switchboard_queue::{MemoryQueue, Queue, RedisQueue, RedisQueueConfig};

use crate::load::{LoadReport, LoadSpec};
use crate::redis_info::RedisInfo;
use crate::reliable_fifo::ReliableFifoTarget;
use crate::targets::{FifoTarget, QueueTarget};

#[derive(Parser, Debug, Clone)]
#[command(about = "Measure switchboard's fair queue against memory, Redis and a FIFO baseline")]
pub struct Args {
    /// Which backends to measure.
    #[arg(long, value_enum, default_value_t = Backends::Both)]
    backend: Backends,
    /// Redis to measure against (should be otherwise idle: stats are server-wide deltas).
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Tasks enqueueing jobs.
    #[arg(long, default_value_t = 8)]
    producers: usize,
    /// Jobs a producer enqueues per call. 1 (the default) is a lone message per call, as from a
    /// chat gateway: the queue's group commit batches concurrent ones. More is an ingress that
    /// receives batches (Telegram's getUpdates returns up to 100) and calls enqueue_many.
    #[arg(long, default_value_t = 1)]
    produce_batch: usize,
    /// Tasks leasing and acking jobs.
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Jobs a worker acks and leases per call.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    #[arg(long, default_value_t = 1000)]
    tenants: usize,
    #[arg(long, default_value_t = 20)]
    users: usize,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Jobs in the system at most (producers wait for acks beyond this): a steady state, not a
    /// growing backlog.
    #[arg(long, default_value_t = 20_000)]
    backlog: usize,
    /// Also run the FIFO baselines with the same producers and workers: a reliable FIFO (job record
    /// with payload, idempotent id, lease with token and visibility deadline, ack deleting it: the
    /// per-job work of any real Redis job queue, in Lua functions batched like ours; the ratio is
    /// against this one), and a plain LPUSH / RPOP list (no record, no lease, no ack: a job is lost
    /// if its worker dies), printed as the floor of what Redis can move.
    #[arg(long)]
    fifo: bool,
    /// Also measure enqueue and ack+lease apart on Redis: enqueue this many jobs (batches of
    /// `--producers`, the size group commit reaches), then drain them (0 skips it).
    #[arg(long, default_value_t = 0)]
    phases: usize,
    /// Flood jobs in the fairness scenario (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    flood: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Backends {
    Memory,
    Redis,
    Both,
}

fn settings() -> QueueSettings {
    // Short tombstones: a long benchmark must not fill Redis with finished ids.
    QueueSettings {
        tombstone_ttl_ms: 30_000,
        ..QueueSettings::default()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let spec = LoadSpec::from(&args);
    let mut kv: Vec<(String, String)> = Vec::new();
    println!(
        "queue-bench: {} producers ({} jobs per call), {} workers (batch {}), {} tenants x {} users, {}s after {}s warm-up, backlog {}",
        args.producers,
        spec.produce_batch,
        args.workers,
        args.batch,
        args.tenants,
        args.users,
        args.seconds,
        args.warmup,
        args.backlog
    );

    if args.backend != Backends::Redis {
        let q: Arc<dyn Queue> = Arc::new(MemoryQueue::new(settings()));
        let r = load::run(QueueTarget::new(q.clone(), spec.batch), &spec, None).await?;
        print_report("memory", &r);
        kv.push(("memory_jobs_per_s".into(), format!("{:.0}", r.jobs_per_s)));
        kv.push(("memory_lease_p99_us".into(), r.p99_us.to_string()));
        if args.flood > 0 {
            let f = flood::run(
                &(Arc::new(MemoryQueue::new(settings())) as Arc<dyn Queue>),
                args.flood,
            )
            .await?;
            println!(
                "memory flood: worst light position {} (bound {}), flood jobs ahead at most {}",
                f.worst_position, f.bound, f.worst_flood_ahead
            );
            kv.push((
                "memory_flood_worst_position".into(),
                f.worst_position.to_string(),
            ));
        }
    }

    if args.backend != Backends::Memory {
        let info = RedisInfo::connect(&args.redis_url)
            .await
            .context("connecting to Redis for INFO")?;
        let ns = format!("bench-{:08x}", rand::random::<u32>());
        let q = Arc::new(
            RedisQueue::connect(RedisQueueConfig::new(&args.redis_url, &ns), settings()).await?,
        );
        let r = load::run(QueueTarget::new(q.clone(), spec.batch), &spec, Some(&info)).await?;
        print_report("redis", &r);
        let rs = r.redis.clone().unwrap_or_default();
        kv.push(("redis_jobs_per_s".into(), format!("{:.0}", r.jobs_per_s)));
        kv.push(("redis_lease_p50_us".into(), r.p50_us.to_string()));
        kv.push(("redis_lease_p99_us".into(), r.p99_us.to_string()));
        kv.push((
            "redis_calls_per_job".into(),
            format!("{:.3}", rs.calls_per_job),
        ));
        kv.push((
            "redis_cmds_per_job".into(),
            format!("{:.1}", rs.cmds_per_job),
        ));
        kv.push((
            "redis_cpu_us_per_job".into(),
            format!("{:.1}", rs.cpu_us_per_job),
        ));
        if args.fifo {
            let rf =
                ReliableFifoTarget::connect(&args.redis_url, &format!("{ns}:rfifo"), spec.batch)
                    .await?;
            let f = load::run(rf.clone(), &spec, Some(&info)).await?;
            print_report("rfifo", &f);
            let fs = f.redis.clone().unwrap_or_default();
            kv.push(("fifo_jobs_per_s".into(), format!("{:.0}", f.jobs_per_s)));
            kv.push((
                "fifo_calls_per_job".into(),
                format!("{:.3}", fs.calls_per_job),
            ));
            kv.push((
                "fifo_cpu_us_per_job".into(),
                format!("{:.1}", fs.cpu_us_per_job),
            ));
            rf.cleanup().await;
            let bare = FifoTarget::connect(&args.redis_url, &format!("{ns}:fifo")).await?;
            let b = load::run(bare.clone(), &spec, Some(&info)).await?;
            print_report("list", &b);
            let bs = b.redis.clone().unwrap_or_default();
            kv.push(("list_jobs_per_s".into(), format!("{:.0}", b.jobs_per_s)));
            kv.push((
                "list_cpu_us_per_job".into(),
                format!("{:.1}", bs.cpu_us_per_job),
            ));
            bare.cleanup().await;
            let ratio = r.jobs_per_s / f.jobs_per_s.max(1.0);
            let ratio_list = r.jobs_per_s / b.jobs_per_s.max(1.0);
            println!(
                "fair queue vs reliable FIFO: {ratio:.2}x the jobs/s (vs the plain list: {ratio_list:.2}x)"
            );
            kv.push(("ratio_vs_fifo".into(), format!("{ratio:.2}")));
            kv.push(("ratio_vs_list".into(), format!("{ratio_list:.2}")));
        }
        if args.phases > 0 {
            let pq: Arc<dyn Queue> = Arc::new(
                RedisQueue::connect(
                    RedisQueueConfig::new(&args.redis_url, format!("{ns}-phases")),
                    settings(),
                )
                .await?,
            );
            let p = phases::run(&pq, &info, &spec, args.phases, args.producers).await?;
            for (name, ph) in [("enqueue", &p.enqueue), ("drain", &p.drain)] {
                println!(
                    "{name:>8}: {} jobs, {:.0} jobs/s on one task, {:.3} Redis calls/job ({:.1} commands), {:.1} us Redis CPU/job",
                    ph.jobs,
                    ph.jobs_per_s,
                    ph.cost.calls_per_job,
                    ph.cost.cmds_per_job,
                    ph.cost.cpu_us_per_job
                );
                kv.push((
                    format!("{name}_cpu_us_per_job"),
                    format!("{:.1}", ph.cost.cpu_us_per_job),
                ));
            }
        }
        if args.flood > 0 {
            let fq: Arc<dyn Queue> = Arc::new(
                RedisQueue::connect(
                    RedisQueueConfig::new(&args.redis_url, format!("{ns}-flood")),
                    settings(),
                )
                .await?,
            );
            let f = flood::run(&fq, args.flood).await?;
            println!(
                "redis flood: worst light position {} (bound {}), flood jobs ahead at most {}",
                f.worst_position, f.bound, f.worst_flood_ahead
            );
            kv.push(("flood_worst_position".into(), f.worst_position.to_string()));
            kv.push(("flood_bound".into(), f.bound.to_string()));
            kv.push(("flood_fifo_position".into(), f.fifo_position.to_string()));
        }
        info.delete_namespace(&ns).await;
    }

    let line: Vec<String> = kv.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("{}", line.join(" "));
    Ok(())
}

fn print_report(name: &str, r: &LoadReport) {
    print!(
        "{name:>6}: {:>8.0} jobs/s end to end, lease p50 {} us, p99 {} us",
        r.jobs_per_s, r.p50_us, r.p99_us
    );
    if let Some(s) = &r.redis {
        print!(
            ", {:.3} Redis calls/job ({:.1} commands incl. inside scripts), {:.1} us Redis CPU/job",
            s.calls_per_job, s.cmds_per_job, s.cpu_us_per_job
        );
    }
    match r.bench_cpu_us_per_job {
        Some(c) => println!(", bench CPU {c:.1} us/job"),
        None => println!(),
    }
}

/// How long to wait for a lease when the queue looks empty.
pub const IDLE_WAIT: Duration = Duration::from_millis(50);
