//! Observation hooks: the pipeline reports what happens to each message (refused, queued, leased,
//! answered, failed) so `switchboard simulate` can measure waits and shares, and metrics can count.
//! Every method has an empty default: an observer implements what it needs.

use std::time::Duration;

pub trait Observer: Send + Sync + 'static {
    /// A message was refused by admission (`limit` names which).
    fn refused(&self, _tenant: &str, _user: &str, _limit: &str) {}
    /// A message became a job.
    fn queued(&self, _job_id: &str, _tenant: &str, _user: &str) {}
    /// A worker took the job after it waited `wait` since it was queued.
    fn leased(&self, _job_id: &str, _tenant: &str, _user: &str, _wait: Duration) {}
    /// The platform accepted the answer (or the job was answered by a coalesced generation).
    fn answered(&self, _job_id: &str, _tenant: &str, _user: &str) {}
    /// The job failed; `dead` if it was dead-lettered (else it will retry).
    fn failed(&self, _job_id: &str, _tenant: &str, _user: &str, _dead: bool) {}
    /// A user's breaker opened.
    fn breaker_opened(&self, _tenant: &str, _user: &str) {}
    /// The AI was called (whatever the outcome).
    fn ai_called(&self, _provider: &str, _model: &str, _ok: bool, _latency: Duration) {}
    /// A personality with a response cache was asked something: answered from the cache (`hit`)
    /// or by the AI.
    fn cache(&self, _personality: &str, _hit: bool) {}
    /// A heartbeat check-in ran: `sent` false when the personality chose to say nothing.
    fn heartbeat(&self, _tenant: &str, _sent: bool) {}
    /// A delivery failed (`kind`: rate_limited, blocked, channel_gone, forbidden, rejected, transient).
    fn delivery_failed(&self, _kind: &str) {}
}

/// Observes nothing.
pub struct NoObserver;

impl Observer for NoObserver {}
