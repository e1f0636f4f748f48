//! The fairness scenario of the acceptance tests, measured: one user floods, then 100 light users
//! (50 in 10 other tenants, 50 in the flooder's own) arrive at once.

use std::sync::Arc;
use std::time::Duration;

use switchboard_queue::Queue;
use switchboard_queue::core::Ack;
use switchboard_queue::scenario::{FloodPlan, burst_positions, check_burst, light_bound};

pub struct FloodReport {
    /// Worst dispatch position of a light job, counted from the burst.
    pub worst_position: usize,
    /// Most flood jobs dispatched ahead of any light job.
    pub worst_flood_ahead: usize,
    /// The bound on positions: burst size + the largest per-job bound.
    pub bound: usize,
    /// Where FIFO order puts the last light job (behind the whole remaining flood).
    pub fifo_position: usize,
}

pub async fn run(q: &Arc<dyn Queue>, flood: usize) -> anyhow::Result<FloodReport> {
    let plan = FloodPlan::standard(flood);
    let jobs: Vec<_> = (0..flood).map(|i| plan.flood_job(i)).collect();
    for chunk in jobs.chunks(1_000) {
        q.enqueue_many(chunk.to_vec()).await?;
    }
    let served_before = 25.min(flood);
    let mut last: Option<Ack> = None;
    for _ in 0..served_before {
        last = step(q, last).await?.map(|(a, _)| a);
    }
    q.enqueue_many((0..plan.light.len()).map(|i| plan.light_job(i)).collect())
        .await?;
    let mut ids = Vec::new();
    while ids
        .iter()
        .filter(|id: &&String| id.starts_with("light-"))
        .count()
        < plan.light.len()
    {
        match step(q, last.take()).await? {
            Some((ack, id)) => {
                last = Some(ack);
                ids.push(id);
            }
            None => anyhow::bail!("queue ran dry before every light job was dispatched"),
        }
    }
    if let Some(a) = last {
        q.ack(&a).await?;
    }
    let positions =
        burst_positions(&plan, &ids).ok_or_else(|| anyhow::anyhow!("a light job is missing"))?;
    let (worst_position, worst_flood_ahead) =
        check_burst(&plan, &positions).map_err(anyhow::Error::msg)?;
    let bound = plan.light.len()
        + (0..plan.light.len())
            .map(|i| plan.burst_activity(i))
            .map(|(t, u)| light_bound(t, u))
            .max()
            .unwrap_or(0);
    Ok(FloodReport {
        worst_position,
        worst_flood_ahead,
        bound,
        fifo_position: flood - served_before + plan.light.len(),
    })
}

/// Acks the previous job and leases the next: one call per dispatch.
async fn step(q: &Arc<dyn Queue>, prev: Option<Ack>) -> anyhow::Result<Option<(Ack, String)>> {
    let acks: Vec<Ack> = prev.into_iter().collect();
    let (_, mut leases) = q.ack_and_lease(&acks, 1, 30_000, Duration::ZERO).await?;
    Ok(leases.pop().map(|l| (Ack::of(&l), l.id)))
}
