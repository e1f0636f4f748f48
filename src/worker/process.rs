//! One job, from lease to ack: decode, exactly-once checks, breaker, provider cooldown, prompt, AI
//! call, save (reply, history, usage), deliver, finish. Failures end in a nack that retries with
//! backoff or dead-letters, or a postponement that costs no attempt; the user is told once, in
//! character, when their requests keep failing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use switchboard_platforms::{Deliver, DeliveryError, Outbound, PermanentKind, Persona};
use switchboard_queue::QueueError;
use switchboard_queue::core::{Ack, Lease, Nack, NackOutcome};

use super::breaker::Allow;
use super::job::ChatJob;
use super::prompt;
use crate::ai::{AiError, ChatRequest, Role};
use crate::config::{Config, Personality};
use crate::services::Services;
use crate::store::{UsageKind, UsageRecord, UserStatus};

/// How a job left the worker.
#[derive(Debug)]
pub enum Finish {
    /// Done: ack it (the worker sends this with its next lease call).
    Ack(Ack),
    /// Already nacked, postponed or lost; nothing more to send.
    Settled,
}

/// A user whose requests keep failing is told at most once per this long (and once per breaker
/// open period).
const NOTICE_QUIET_MS: u64 = 10 * 60 * 1000;

/// Queue cost of an answered job: thousands of tokens (the 1 charged at dispatch is corrected),
/// so users with long generations get proportionally fewer turns, deficit-round-robin style.
fn token_cost(tokens: u64) -> f64 {
    (tokens as f64 / 1000.0).max(0.1)
}

pub async fn process(svc: &Arc<Services>, lease: Lease) -> Finish {
    let job = match ChatJob::decode(&lease.payload) {
        Ok(j) => j,
        Err(e) => {
            tracing::warn!(job = %lease.id, error = %e, "dead-lettering a job whose payload cannot be read");
            dead(svc, &lease, &e.to_string()).await;
            return Finish::Settled;
        }
    };
    let now = svc.now_ms();
    svc.observer.leased(
        &lease.id,
        &lease.tenant,
        &lease.user,
        Duration::from_millis(now.saturating_sub(job.enqueued_at_ms)),
    );
    let Some(deliver) = svc.deliver_for(&job.target) else {
        tracing::warn!(job = %lease.id, platform = %job.target.platform, bot = %job.target.bot, "no platform adapter for this job's target");
        dead(
            svc,
            &lease,
            "no platform adapter configured for the job's target",
        )
        .await;
        return Finish::Settled;
    };
    let cfg = svc.config();
    let persona = cfg
        .personalities
        .all
        .get(&job.conversation.personality)
        .or_else(|| cfg.personalities.find(&job.conversation.personality));
    let Some(persona) = persona.cloned() else {
        dead(svc, &lease, "the personality is no longer configured").await;
        return Finish::Settled;
    };
    // The answer may already exist: this is a re-lease after a crash or a lost lease.
    match svc.store.outcome(&lease.id).await {
        Ok(Some(o)) if o.sent => return done(svc, &lease, &job, None),
        Ok(Some(o)) => {
            return deliver_reply(svc, &lease, &job, deliver, &persona, &o.reply, None).await;
        }
        Ok(None) => {}
        Err(e) => {
            return postpone(
                svc,
                &lease,
                Duration::from_secs(2),
                &format!("storage: {e}"),
            )
            .await;
        }
    }
    let answered = match svc.store.answered_through(&job.conversation).await {
        Ok(a) => a,
        Err(e) => {
            return postpone(
                svc,
                &lease,
                Duration::from_secs(2),
                &format!("storage: {e}"),
            )
            .await;
        }
    };
    if answered >= job.seq {
        // An earlier job's generation covered this message (coalesced).
        return done(svc, &lease, &job, None);
    }
    let allow = svc.breakers().get(&lease.tenant, &lease.user).allow(now);
    if let Allow::Wait { until } = allow {
        let notify = svc
            .breakers()
            .get(&lease.tenant, &lease.user)
            .take_notice(now, NOTICE_QUIET_MS);
        if notify {
            tell_user(&job, deliver.as_ref(), &persona, &lease.id).await;
        }
        return postpone(
            svc,
            &lease,
            Duration::from_millis(until.saturating_sub(now).max(100)),
            "breaker open",
        )
        .await;
    }
    if let Some(until) = svc.cooldowns.active(&persona.provider, &persona.model, now) {
        return postpone(
            svc,
            &lease,
            Duration::from_millis(until - now),
            "provider rate limited",
        )
        .await;
    }
    svc.typing.start(
        &lease.id,
        &job.target,
        deliver.clone(),
        cfg.workers.typing_max,
    );
    let lost = Arc::new(AtomicBool::new(false));
    let extender = extend_while_running(svc, &lease, &cfg, lost.clone());
    let finish = generate(svc, &lease, &job, deliver, &persona, &cfg, answered, &lost).await;
    extender.abort();
    finish
}

#[allow(clippy::too_many_arguments)]
async fn generate(
    svc: &Arc<Services>,
    lease: &Lease,
    job: &ChatJob,
    deliver: Arc<dyn Deliver>,
    persona: &Personality,
    cfg: &Config,
    answered: u64,
    lost: &AtomicBool,
) -> Finish {
    let history = match svc
        .store
        .history(&job.conversation, cfg.workers.max_context_messages)
        .await
    {
        Ok(h) => h,
        Err(e) => {
            return postpone(svc, lease, Duration::from_secs(2), &format!("storage: {e}")).await;
        }
    };
    let p = prompt::build(&history, answered, job.seq, &job.text, cfg.workers.coalesce);
    let req = ChatRequest {
        provider: persona.provider.clone(),
        model: persona.model.clone(),
        system: persona.system_prompt.clone(),
        messages: p.messages,
        max_tokens: None,
        user: lease.user.clone(),
        // The worker does not keep what a model saves yet, so it offers no notes tool.
        offer_notes: false,
    };
    let started = Instant::now();
    let res = svc.ai.complete(&req).await;
    svc.observer
        .ai_called(&req.provider, &req.model, res.is_ok(), started.elapsed());
    let now = svc.now_ms();
    let resp = match res {
        Ok(r) => r,
        Err(AiError::RateLimited { retry_after }) => {
            let wait = retry_after.unwrap_or(Duration::from_secs(5));
            svc.cooldowns
                .set(&req.provider, &req.model, now + wait.as_millis() as u64);
            return postpone(svc, lease, wait, "provider rate limited").await;
        }
        Err(e) => return failed(svc, lease, job, deliver.as_ref(), persona, &e).await,
    };
    record_breaker(svc, lease, now, true);
    if lost.load(Ordering::Relaxed) {
        // The lease expired and someone else owns the job now; they will answer.
        return Finish::Settled;
    }
    let keep = cfg.workers.max_context_messages.max(2);
    let saved = async {
        svc.store.save_reply(&lease.id, &resp.text, now).await?;
        svc.store
            .append(
                &job.conversation,
                Role::Assistant,
                &resp.text,
                now,
                Some(&lease.id),
                keep,
            )
            .await?;
        svc.store
            .set_answered_through(&job.conversation, p.answers_through)
            .await?;
        svc.store
            .record_usage(&UsageRecord {
                at_ms: now,
                tenant: lease.tenant.clone(),
                user: lease.user.clone(),
                provider: req.provider.clone(),
                model: req.model.clone(),
                input_tokens: resp.usage.input_tokens,
                output_tokens: resp.usage.output_tokens,
                cost_usd: resp.cost_usd,
                kind: UsageKind::Reply,
                estimated: resp.usage.estimated,
            })
            .await
    };
    if let Err(e) = saved.await {
        return postpone(svc, lease, Duration::from_secs(2), &format!("storage: {e}")).await;
    }
    deliver_reply(
        svc,
        lease,
        job,
        deliver,
        persona,
        &resp.text,
        Some(token_cost(resp.usage.total())),
    )
    .await
}

/// Delivers an answer and settles the job by what the platform said.
async fn deliver_reply(
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
        Ok(_) => {
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

fn done(svc: &Arc<Services>, lease: &Lease, job: &ChatJob, cost: Option<f64>) -> Finish {
    svc.typing.stop(&lease.id, &job.target);
    svc.observer.answered(&lease.id, &lease.tenant, &lease.user);
    let ack = Ack::of(lease);
    Finish::Ack(match cost {
        Some(c) => ack.with_cost(c),
        None => ack,
    })
}

fn record_breaker(svc: &Arc<Services>, lease: &Lease, now: u64, ok: bool) {
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
async fn failed(
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
async fn retry(svc: &Arc<Services>, lease: &Lease, error: &str) -> bool {
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
async fn dead(svc: &Arc<Services>, lease: &Lease, error: &str) -> bool {
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

async fn postpone(svc: &Arc<Services>, lease: &Lease, wait: Duration, why: &str) -> Finish {
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
async fn tell_user(job: &ChatJob, deliver: &dyn Deliver, persona: &Personality, job_id: &str) {
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
fn extend_while_running(
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
