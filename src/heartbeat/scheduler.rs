//! The heartbeat scheduler: every poll it claims the check-ins that are due (a claim is atomic in
//! the store, so any number of processes may run it and none doubles a check-in), puts one
//! heartbeat job per user into the fair queue, after the same admission checks as a message, and
//! moves each schedule to its next run. The job id derives from the due time, so a claim repeated
//! after a crash finds the job already queued.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use switchboard_platforms::Target;
use switchboard_queue::QueueError;
use switchboard_queue::core::{Enqueued, NewJob};
use tokio_util::sync::CancellationToken;

use super::rules_of;
use crate::admission::{AdmissionError, Candidate};
use crate::config::Config;
use crate::services::Services;
use crate::store::{ConversationKey, DueHeartbeat, StoreError, UserStatus};
use crate::worker::{ChatJob, JOB_VERSION, JobKind};

/// How long a claimed schedule is held from other schedulers: long enough to enqueue it, short
/// enough that a crash between claim and reschedule delays the check-in only a little.
const HOLD_MS: u64 = 5 * 60 * 1000;
/// Schedules claimed per store round trip.
const BATCH: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum TickError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Admission(#[from] AdmissionError),
}

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// Heartbeat jobs put in the queue.
    pub queued: usize,
    /// Due check-ins not queued (user banned or inactive, a limit reached, a broken target); each
    /// is rescheduled to its next run.
    pub skipped: usize,
}

/// Runs ticks every `heartbeats.poll` until `stop`.
pub async fn run(svc: Arc<Services>, stop: CancellationToken) {
    loop {
        match tick(&svc).await {
            Ok(t) if t.queued + t.skipped > 0 => {
                tracing::debug!(
                    queued = t.queued,
                    skipped = t.skipped,
                    "heartbeats scheduled"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "heartbeat scheduling failed; retrying next poll"),
        }
        let poll = svc.config().heartbeats.poll;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(poll.max(Duration::from_millis(10))) => {}
        }
    }
}

/// Claims everything due now (in batches) and queues it.
pub async fn tick(svc: &Arc<Services>) -> Result<Tick, TickError> {
    let mut total = Tick::default();
    loop {
        let now = svc.now_ms();
        let due = svc.store.claim_due_heartbeats(now, HOLD_MS, BATCH).await?;
        let n = due.len();
        let cfg = svc.config();
        for d in due {
            let rules = rules_of(&d.schedule);
            if rules.active_at(now) && schedule_one(svc, &cfg, &d, now).await? {
                total.queued += 1;
            } else {
                total.skipped += 1;
            }
            let next = rules.next_run(now);
            svc.store.reschedule_heartbeat(&d.user, next).await?;
        }
        if n < BATCH {
            return Ok(total);
        }
    }
}

/// The job id of a check-in: unique per user and due time, and naming no one (a silent check-in's
/// outcome is kept a while under it, and must not identify a user who later asks to be forgotten).
pub fn job_id(d: &DueHeartbeat) -> String {
    let mut h = Sha256::new();
    for part in [d.user.tenant.as_bytes(), d.user.user.as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(d.due_ms.to_le_bytes());
    let digest = h.finalize();
    let mut id = String::from("hb:");
    for b in &digest[..16] {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// Queues one check-in; false if it is skipped.
async fn schedule_one(
    svc: &Arc<Services>,
    cfg: &Config,
    d: &DueHeartbeat,
    now: u64,
) -> Result<bool, TickError> {
    let Ok(target) = serde_json::from_str::<Target>(&d.schedule.target) else {
        tracing::warn!(tenant = %d.user.tenant, "a heartbeat schedule has no usable target; skipping it");
        return Ok(false);
    };
    let Some(record) = svc.store.user(&d.user).await? else {
        return Ok(false);
    };
    if matches!(record.status, UserStatus::Banned | UserStatus::Inactive) {
        return Ok(false);
    }
    let tenant = cfg.tenants.by_name(&d.user.tenant);
    let candidate = Candidate {
        tenant: &tenant,
        user: &d.user,
        status: record.status,
        now_ms: now,
    };
    if let Err(refusal) = svc.admission.admit(cfg, &candidate).await? {
        svc.observer
            .refused(&tenant.name, &d.user.user, refusal.limit());
        return Ok(false);
    }
    let persona = cfg
        .personalities
        .find(&d.schedule.personality)
        .or_else(|| cfg.personalities.find(&cfg.personalities.default));
    let Some(persona) = persona else {
        return Ok(false);
    };
    let author_id = d
        .user
        .user
        .split_once(':')
        .map_or(d.user.user.as_str(), |(_, id)| id)
        .to_owned();
    let job = ChatJob {
        v: JOB_VERSION,
        kind: JobKind::Heartbeat,
        target,
        reply_to: None,
        conversation: ConversationKey {
            tenant: tenant.name.clone(),
            place: d.schedule.place.clone(),
            user: d.user.user.clone(),
            personality: persona.name.clone(),
        },
        seq: 0,
        text: String::new(),
        author_id,
        enqueued_at_ms: now,
    };
    let id = job_id(d);
    svc.tuning
        .ensure(svc.queue.as_ref(), cfg, &tenant, &d.user.user)
        .await?;
    let queued = svc
        .queue
        .enqueue(NewJob::new(&id, &tenant.name, &d.user.user, job.encode()))
        .await?;
    if queued != Enqueued::Duplicate {
        svc.observer.queued(&id, &tenant.name, &d.user.user);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Heartbeat, UserKey};

    fn due(tenant: &str, user: &str, due_ms: u64) -> DueHeartbeat {
        DueHeartbeat {
            user: UserKey::new(tenant, user),
            due_ms,
            schedule: Heartbeat {
                enabled: true,
                every_minutes: 60,
                active: None,
                tz: "UTC".into(),
                target: String::new(),
                personality: "Aria".into(),
                place: "42".into(),
                next_run_ms: due_ms,
            },
        }
    }

    #[test]
    fn job_ids_are_stable_distinct_and_name_no_one() {
        let a = job_id(&due("acme", "telegram:42", 1_000));
        assert_eq!(a, job_id(&due("acme", "telegram:42", 1_000)));
        assert!(a.starts_with("hb:") && a.len() == 35);
        for other in [
            due("acme", "telegram:42", 1_001),
            due("acme", "telegram:43", 1_000),
            due("acme:", "telegram:42", 1_000),
            due("acm", "etelegram:42", 1_000),
        ] {
            assert_ne!(a, job_id(&other));
        }
    }
}
