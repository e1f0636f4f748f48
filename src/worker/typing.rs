//! Typing indicators: shown in a place while any job for it is queued or running, refreshed at the
//! platform's pace (Discord ~8 s, Telegram ~4.5 s), and capped in time so a stuck job never types
//! forever. One loop per place, however many jobs are pending there.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_platforms::{Deliver, Target};
use tokio::task::JoinHandle;

#[derive(Default)]
struct Place {
    jobs: HashSet<String>,
    task: Option<JoinHandle<()>>,
}

/// Typing loops by place.
#[derive(Clone, Default)]
pub struct Typing {
    places: Arc<Mutex<HashMap<Target, Place>>>,
}

impl Typing {
    /// Job `job_id` is pending in `target`: type there (for at most `max`) until it is done.
    pub fn start(&self, job_id: &str, target: &Target, deliver: Arc<dyn Deliver>, max: Duration) {
        let mut places = self.places.lock().unwrap_or_else(|p| p.into_inner());
        let place = places.entry(target.clone()).or_default();
        place.jobs.insert(job_id.to_owned());
        if place.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let target = target.clone();
        place.task = Some(tokio::spawn(async move {
            let every = deliver.typing_every().max(Duration::from_millis(100));
            let give_up = tokio::time::Instant::now() + max;
            while tokio::time::Instant::now() < give_up {
                if let Err(e) = deliver.typing(&target).await {
                    tracing::debug!(error = %e, "typing indicator failed");
                }
                tokio::time::sleep(every).await;
            }
        }));
    }

    /// Job `job_id` is finished (answered, failed or dropped).
    pub fn stop(&self, job_id: &str, target: &Target) {
        let mut places = self.places.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(place) = places.get_mut(target) {
            place.jobs.remove(job_id);
            if place.jobs.is_empty() {
                if let Some(t) = place.task.take() {
                    t.abort();
                }
                places.remove(target);
            }
        }
    }

    /// Places currently typing.
    pub fn active(&self) -> usize {
        self.places.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}
