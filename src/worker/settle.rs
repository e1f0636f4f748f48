//! How a job leaves the worker: delivered and acked, retried with backoff, dead-lettered, or
//! postponed without costing an attempt; the user told once, in character, when their requests
//! keep failing; and the lease kept alive while a generation runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use switchboard_platforms::{Deliver, DeliveryError, Outbound, PermanentKind, Persona};
use switchboard_queue::QueueError;
use switchboard_queue::core::{Ack, Lease, Nack, NackOutcome};

use super::job::ChatJob;
use super::process::{Finish, NOTICE_QUIET_MS};
use crate::ai::AiError;
use crate::config::{Config, Personality};
use crate::services::Services;
use crate::store::UserStatus;

/// Delivers an answer and settles the job by what the platform said.
pub(super) async fn deliver_reply(
    svc: &Arc<Services>,
    lease: &Lease,
    job: &ChatJob,
    deliver: Arc<dyn Deliver>,
    persona: &Personality,
    text: &str,
    cost: Option<f64>,
) -> Finish {
    let out = Outbound {
        target: job.target.clone(),
        persona: Some(Persona {
            name: persona.name.clone(),
            avatar_url: persona.avatar_url.clone(),
        }),
        text: text.to_owned(),
        reply_to: job.reply_to.clone(),
        job_id: lease.id.clone(),
        mention_user: Some(job.author_id.clone()),
        private: false,
        file: None,
    };
    match deliver.deliver(&out).await {
        Ok(sent) => {
            crate::spoken::remember(svc, &job.target, &sent.message_ids, &persona.name).await;
            if let Err(e) = svc.store.mark_sent(&lease.id).await {
                // The platform has it; a re-lease would send it again. Say so, loudly.
                tracing::error!(job = %lease.id, error = %e, "answer delivered but not marked sent");
            }
            done(svc, lease, job, cost)
        }
        Err(DeliveryError::RetryAfter(d)) => {
            svc.observer.delivery_failed("rate_limited");
            postpone(svc, lease, d, "platform rate limited").await
        }
        Err(DeliveryError::Permanent(kind)) => {
            svc.observer.delivery_failed(kind.as_str());
            tracing::warn!(job = %lease.id, kind = kind.as_str(), "answer cannot be delivered; ending the job");
            if kind == PermanentKind::Blocked {
                let key = job.conversation.user_key();
                if let Err(e) = svc.store.set_status(&key, UserStatus::Inactive).await {
                    tracing::warn!(error = %e, "could not mark the user inactive");
                }
            }
            svc.typing.stop(&lease.id, &job.target);
            Finish::Ack(Ack::of(lease))
        }
        Err(DeliveryError::Transient(e)) => {
            svc.observer.delivery_failed("transient");
            retry(svc, lease, &format!("delivery: {e}")).await;
            Finish::Settled
        }
    }
}

pub(super) fn done(svc: &Arc<Services>, lease: &Lease, job: &ChatJob, cost: Option<f64>) -> Finish {
    svc.typing.stop(&lease.id, &job.target);
    svc.observer.answered(&lease.id, &lease.tenant, &lease.user);
    let since = svc.now_ms().saturating_sub(job.enqueued_at_ms);
    svc.observer
        .finished(&lease.tenant, Duration::from_millis(since));
    let ack = Ack::of(lease);
    Finish::Ack(match cost {
        Some(c) => ack.with_cost(c),
        None => ack,
    })
}

pub(super) fn record_breaker(svc: &Arc<Services>, lease: &Lease, now: u64, ok: bool) {
    let cfg = svc.config();
    let opened = svc
        .breakers()
        .get(&lease.tenant, &lease.user)
        .record(&cfg.breaker, now, ok);
    if opened {
        tracing::info!(tenant = %lease.tenant, "a user's breaker opened");
        svc.observer.breaker_opened(&lease.tenant, &lease.user);
    }
}

/// The AI failed for this job: count it against the user's breaker, then retry later or give up
/// (and tell the user, in character).
pub(super) async fn failed(
    svc: &Arc<Services>,
    lease: &Lease,
    job: &ChatJob,
    deliver: &dyn Deliver,
    persona: &Personality,
    e: &AiError,
) -> Finish {
    record_breaker(svc, lease, svc.now_ms(), false);
    tracing::warn!(job = %lease.id, error = %e, attempt = lease.attempt, "AI request failed");
    let gave_up = if e.is_transient() {
        retry(svc, lease, &e.to_string()).await
    } else {
        dead(svc, lease, &e.to_string()).await
    };
    let tell = gave_up
        && svc
            .breakers()
            .get(&lease.tenant, &lease.user)
            .take_notice(svc.now_ms(), NOTICE_QUIET_MS);
    if tell {
        tell_user(job, deliver, persona, &lease.id).await;
    }
    svc.typing.stop(&lease.id, &job.target);
    Finish::Settled
}

/// Nacks a failure (backoff, or dead letter once attempts run out); true if dead-lettered.
pub(super) async fn retry(svc: &Arc<Services>, lease: &Lease, error: &str) -> bool {
    match svc.queue.fail(lease, error).await {
        Ok(NackOutcome::DeadLettered) => {
            svc.observer
                .failed(&lease.id, &lease.tenant, &lease.user, true);
            true
        }
        Ok(NackOutcome::RetryAt(_)) => {
            svc.observer
                .failed(&lease.id, &lease.tenant, &lease.user, false);
            false
        }
        Err(e) => {
            log_queue_error(lease, &e);
            false
        }
    }
}

/// Dead-letters at once; true if the queue took it.
pub(super) async fn dead(svc: &Arc<Services>, lease: &Lease, error: &str) -> bool {
    match svc
        .queue
        .nack(
            lease,
            Nack::DeadLetter {
                error: error.to_owned(),
            },
        )
        .await
    {
        Ok(_) => {
            svc.observer
                .failed(&lease.id, &lease.tenant, &lease.user, true);
            true
        }
        Err(e) => {
            log_queue_error(lease, &e);
            false
        }
    }
}

pub(super) async fn postpone(
    svc: &Arc<Services>,
    lease: &Lease,
    wait: Duration,
    why: &str,
) -> Finish {
    let nack = Nack::Retry {
        delay_ms: wait.as_millis() as u64,
        failed: false,
        error: why.to_owned(),
    };
    if let Err(e) = svc.queue.nack(lease, nack).await {
        log_queue_error(lease, &e);
    }
    Finish::Settled
}

fn log_queue_error(lease: &Lease, e: &QueueError) {
    match e {
        QueueError::StaleLease => {
            tracing::info!(job = %lease.id, "lease lost before the job finished; another worker has it")
        }
        other => tracing::warn!(job = %lease.id, error = %other, "queue refused a job update"),
    }
}

/// Tells the user (once) that their requests are failing, in the personality's voice.
pub(super) async fn tell_user(
    job: &ChatJob,
    deliver: &dyn Deliver,
    persona: &Personality,
    job_id: &str,
) {
    let out = Outbound {
        target: job.target.clone(),
        persona: Some(Persona {
            name: persona.name.clone(),
            avatar_url: persona.avatar_url.clone(),
        }),
        text: persona.error_message.clone(),
        reply_to: job.reply_to.clone(),
        job_id: format!("{job_id}:notice"),
        mention_user: Some(job.author_id.clone()),
        private: false,
        file: None,
    };
    if let Err(e) = deliver.deliver(&out).await {
        tracing::info!(error = %e, "could not tell a user about failing requests");
    }
}

/// Extends the lease every third of its length while the job runs; flags `lost` if the queue says
/// the lease is gone (expired and taken by another worker).
pub(super) fn extend_while_running(
    svc: &Arc<Services>,
    lease: &Lease,
    cfg: &Config,
    lost: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let (svc, lease) = (svc.clone(), lease.clone());
    let lease_ms = cfg.queue.lease.as_millis() as u64;
    tokio::spawn(async move {
        let every = Duration::from_millis((lease_ms / 3).max(100));
        loop {
            tokio::time::sleep(every).await;
            match svc.queue.extend(&lease, lease_ms).await {
                Ok(_) => {}
                Err(QueueError::StaleLease) => {
                    lost.store(true, Ordering::Relaxed);
                    return;
                }
                Err(e) => tracing::warn!(job = %lease.id, error = %e, "could not extend a lease"),
            }
        }
    })
}
