//! One job, from lease to ack: decode, exactly-once checks, breaker, provider cooldown, prompt, AI
//! call, save (reply, history, usage), deliver, finish. Failures end in a nack that retries with
//! backoff or dead-letters, or a postponement that costs no attempt; the user is told once, in
//! character, when their requests keep failing.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use switchboard_queue::core::{Ack, Lease};

use super::breaker::Allow;
use super::generate::generate;
use super::job::{ChatJob, JobKind};
use super::settle::{dead, deliver_reply, done, extend_while_running, postpone, tell_user};
use crate::services::Services;

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
pub(super) const NOTICE_QUIET_MS: u64 = 10 * 60 * 1000;

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
    if job.kind == JobKind::Reply && answered >= job.seq {
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
    if job.kind == JobKind::Reply {
        svc.typing.start(
            &lease.id,
            &job.target,
            deliver.clone(),
            cfg.workers.typing_max,
        );
    }
    let lost = Arc::new(AtomicBool::new(false));
    let extender = extend_while_running(svc, &lease, &cfg, lost.clone());
    let finish = generate(svc, &lease, &job, deliver, &persona, &cfg, answered, &lost).await;
    extender.abort();
    finish
}
