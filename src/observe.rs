//! Observation hooks: the pipeline reports what happens to each message (refused, queued, leased,
//! answered, failed) so `switchboard simulate` can measure waits and shares, and metrics can count.
//! Every method has an empty default: an observer implements what it needs. [`Fanout`] hands each
//! event to several observers.

use std::sync::Arc;
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
    /// A job ended answered, `since_queued` after its message was queued (end-to-end latency).
    fn finished(&self, _tenant: &str, _since_queued: Duration) {}
    /// The job failed; `dead` if it was dead-lettered (else it will retry).
    fn failed(&self, _job_id: &str, _tenant: &str, _user: &str, _dead: bool) {}
    /// A user's breaker opened.
    fn breaker_opened(&self, _tenant: &str, _user: &str) {}
    /// The AI was called (whatever the outcome).
    fn ai_called(&self, _provider: &str, _model: &str, _ok: bool, _latency: Duration) {}
    /// An AI answer was paid for: its tokens and cost, charged to `tenant`.
    fn usage(
        &self,
        _tenant: &str,
        _provider: &str,
        _model: &str,
        _input_tokens: u64,
        _output_tokens: u64,
        _cost_usd: f64,
    ) {
    }
    /// A personality with a response cache was asked something: answered from the cache (`hit`)
    /// or by the AI.
    fn cache(&self, _personality: &str, _hit: bool) {}
    /// A heartbeat check-in ran: `sent` false when the personality chose to say nothing.
    fn heartbeat(&self, _tenant: &str, _sent: bool) {}
    /// A delivery failed (`kind`: rate_limited, blocked, channel_gone, forbidden, rejected, transient).
    fn delivery_failed(&self, _kind: &str) {}
    /// The Discord webhook pools now hold `webhooks` webhooks over `channels` channels.
    fn webhook_pools(&self, _channels: usize, _webhooks: usize) {}
    /// Discord answered a webhook execution with 429.
    fn webhook_rate_limited(&self) {}
    /// The config file was read again: applied (`ok`) or refused (the old config stays).
    fn config_reloaded(&self, _ok: bool) {}
}

/// Observes nothing.
pub struct NoObserver;

impl Observer for NoObserver {}

/// Hands every event to each of its observers, in order.
pub struct Fanout(pub Vec<Arc<dyn Observer>>);

impl Observer for Fanout {
    fn refused(&self, tenant: &str, user: &str, limit: &str) {
        self.0.iter().for_each(|o| o.refused(tenant, user, limit));
    }
    fn queued(&self, job_id: &str, tenant: &str, user: &str) {
        self.0.iter().for_each(|o| o.queued(job_id, tenant, user));
    }
    fn leased(&self, job_id: &str, tenant: &str, user: &str, wait: Duration) {
        self.0
            .iter()
            .for_each(|o| o.leased(job_id, tenant, user, wait));
    }
    fn answered(&self, job_id: &str, tenant: &str, user: &str) {
        self.0.iter().for_each(|o| o.answered(job_id, tenant, user));
    }
    fn finished(&self, tenant: &str, since_queued: Duration) {
        self.0.iter().for_each(|o| o.finished(tenant, since_queued));
    }
    fn failed(&self, job_id: &str, tenant: &str, user: &str, dead: bool) {
        self.0
            .iter()
            .for_each(|o| o.failed(job_id, tenant, user, dead));
    }
    fn breaker_opened(&self, tenant: &str, user: &str) {
        self.0.iter().for_each(|o| o.breaker_opened(tenant, user));
    }
    fn ai_called(&self, provider: &str, model: &str, ok: bool, latency: Duration) {
        self.0
            .iter()
            .for_each(|o| o.ai_called(provider, model, ok, latency));
    }
    fn usage(
        &self,
        tenant: &str,
        provider: &str,
        model: &str,
        input_tokens: u64,
        output_tokens: u64,
        cost_usd: f64,
    ) {
        self.0.iter().for_each(|o| {
            o.usage(
                tenant,
                provider,
                model,
                input_tokens,
                output_tokens,
                cost_usd,
            )
        });
    }
    fn cache(&self, personality: &str, hit: bool) {
        self.0.iter().for_each(|o| o.cache(personality, hit));
    }
    fn heartbeat(&self, tenant: &str, sent: bool) {
        self.0.iter().for_each(|o| o.heartbeat(tenant, sent));
    }
    fn delivery_failed(&self, kind: &str) {
        self.0.iter().for_each(|o| o.delivery_failed(kind));
    }
    fn webhook_pools(&self, channels: usize, webhooks: usize) {
        self.0
            .iter()
            .for_each(|o| o.webhook_pools(channels, webhooks));
    }
    fn webhook_rate_limited(&self) {
        self.0.iter().for_each(|o| o.webhook_rate_limited());
    }
    fn config_reloaded(&self, ok: bool) {
        self.0.iter().for_each(|o| o.config_reloaded(ok));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl Observer for Log {
        fn refused(&self, tenant: &str, _user: &str, limit: &str) {
            self.0
                .lock()
                .unwrap()
                .push(format!("refused {tenant} {limit}"));
        }
        fn config_reloaded(&self, ok: bool) {
            self.0.lock().unwrap().push(format!("reloaded {ok}"));
        }
    }

    #[test]
    fn fanout_tells_every_observer_in_order() {
        let (a, b) = (Arc::new(Log::default()), Arc::new(Log::default()));
        let fan = Fanout(vec![a.clone(), Arc::new(NoObserver), b.clone()]);
        fan.refused("t", "u", "backlog");
        fan.config_reloaded(false);
        fan.answered("j", "t", "u");
        for log in [a, b] {
            assert_eq!(
                *log.0.lock().unwrap(),
                vec!["refused t backlog".to_owned(), "reloaded false".to_owned()]
            );
        }
    }
}
