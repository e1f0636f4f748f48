//! The reaper: calls [`Queue::maintain`] on a timer so expired leases come back, due delayed jobs
//! are released and idle flows are forgotten even when no worker is leasing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::queue::Queue;

/// Runs until `stop` completes. Errors are logged and retried on the next tick: a Redis outage
/// must not end the reaper.
pub async fn run_reaper(queue: Arc<dyn Queue>, every: Duration, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {}
        }
        match queue.maintain().await {
            Ok(m) if m.reclaimed > 0 => {
                tracing::info!(reclaimed = m.reclaimed, "reclaimed expired leases")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "queue maintenance failed; retrying"),
        }
    }
}
