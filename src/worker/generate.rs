//! One generation: build the request (the personality's system prompt with the user's notes, the
//! bounded history, the user's chosen model), answer from the response cache or the AI, save what
//! came of it (reply, history, usage, notes the AI saved), then deliver. Heartbeat jobs ask the
//! personality to check in, and send nothing when it chooses silence.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use switchboard_platforms::Deliver;
use switchboard_queue::core::Lease;

use super::job::{ChatJob, JobKind};
use super::process::Finish;
use super::settle::{deliver_reply, done, failed, postpone, record_breaker};
use super::{cost_alert, prompt, response_cache};
use crate::ai::{AiError, ChatRequest, ChatResponse, Role, Usage};
use crate::choice::{MODEL_SETTING, model_for};
use crate::config::{Config, Personality};
use crate::heartbeat::is_silent;
use crate::services::Services;
use crate::store::{StoreError, UsageKind, UsageRecord};

/// Queue cost of an answered job: thousands of tokens (the 1 charged at dispatch is corrected),
/// so users with long generations get proportionally fewer turns, deficit-round-robin style.
fn token_cost(tokens: u64) -> f64 {
    (tokens as f64 / 1000.0).max(0.1)
}

/// What a job is answered with, and whether the AI produced it just now.
struct Answer {
    resp: ChatResponse,
    /// From the response cache: no AI call, no usage.
    cached: bool,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn generate(
    svc: &Arc<Services>,
    lease: &Lease,
    job: &ChatJob,
    deliver: Arc<dyn Deliver>,
    persona: &Personality,
    cfg: &Config,
    answered: u64,
    lost: &AtomicBool,
) -> Finish {
    let user = job.conversation.user_key();
    let tenant = cfg.tenants.by_name(&lease.tenant);
    let read = async {
        let history = svc
            .store
            .history(&job.conversation, cfg.workers.max_context_messages)
            .await?;
        let notes = svc.store.notes(&user).await?;
        let model = svc.store.setting(&user, MODEL_SETTING).await?;
        Ok::<_, StoreError>((history, notes, model))
    };
    let (history, notes, user_model) = match read.await {
        Ok(r) => r,
        Err(e) => {
            return postpone(svc, lease, Duration::from_secs(2), &format!("storage: {e}")).await;
        }
    };
    let heartbeat = job.kind == JobKind::Heartbeat;
    let p = if heartbeat {
        // Everything so far is context; the check-in instruction comes last.
        prompt::build(&history, u64::MAX, 0, &cfg.heartbeats.prompt, false)
    } else {
        prompt::build(&history, answered, job.seq, &job.text, cfg.workers.coalesce)
    };
    let (provider, model) = model_for(cfg, &tenant, persona, user_model.as_deref());
    let now = svc.now_ms();
    if let Some(until) = svc.cooldowns.active(&provider, &model, now) {
        return postpone(
            svc,
            lease,
            Duration::from_millis(until - now),
            "provider rate limited",
        )
        .await;
    }
    let req = ChatRequest {
        provider,
        model,
        system: prompt::system_with_notes(&persona.system_prompt, &notes),
        messages: p.messages,
        max_tokens: None,
        user: lease.user.clone(),
        offer_notes: !heartbeat,
    };
    let cache = persona
        .cache_ttl
        .filter(|_| !heartbeat)
        .map(|ttl| (response_cache::key(&tenant.name, &persona.name, &req), ttl));
    let answer = match ask(
        svc,
        lease,
        &req,
        cache.as_ref().map(|(k, _)| k.as_str()),
        persona,
    )
    .await
    {
        Ok(a) => a,
        Err(AiError::RateLimited { retry_after }) => {
            let wait = retry_after.unwrap_or(Duration::from_secs(5));
            let now = svc.now_ms();
            svc.cooldowns
                .set(&req.provider, &req.model, now + wait.as_millis() as u64);
            return postpone(svc, lease, wait, "provider rate limited").await;
        }
        Err(e) => return failed(svc, lease, job, deliver.as_ref(), persona, &e).await,
    };
    let now = svc.now_ms();
    if !answer.cached {
        record_breaker(svc, lease, now, true);
    }
    if lost.load(Ordering::Relaxed) {
        // The lease expired and someone else owns the job now; they will answer.
        return Finish::Settled;
    }
    let resp = &answer.resp;
    let silent = heartbeat && is_silent(&resp.text);
    let keep = cfg.workers.max_context_messages.max(2);
    let saved = async {
        if silent {
            // Nothing to send: remembered as sent, so a re-lease does not ask again.
            svc.store.save_reply(&lease.id, "", now).await?;
            svc.store.mark_sent(&lease.id).await?;
        } else {
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
        }
        if !heartbeat {
            svc.store
                .set_answered_through(&job.conversation, p.answers_through)
                .await?;
        }
        for note in &resp.notes {
            svc.store.add_note(&user, note, now).await?;
        }
        if answer.cached {
            return Ok(());
        }
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
                kind: if heartbeat {
                    UsageKind::Heartbeat
                } else {
                    UsageKind::Reply
                },
                estimated: resp.usage.estimated,
            })
            .await
    };
    if let Err(e) = saved.await {
        return postpone(svc, lease, Duration::from_secs(2), &format!("storage: {e}")).await;
    }
    if !answer.cached {
        svc.observer.usage(
            &lease.tenant,
            &req.provider,
            &req.model,
            resp.usage.input_tokens,
            resp.usage.output_tokens,
            resp.cost_usd,
        );
    }
    if let Some((key, ttl)) = &cache
        && !answer.cached
        && resp.notes.is_empty()
    {
        put_cached(svc, key, &resp.text, now + ttl.as_millis() as u64).await;
    }
    if !answer.cached {
        cost_alert::check(svc, cfg, &tenant, &job.target.bot, now).await;
    }
    let cost = Some(token_cost(resp.usage.total()));
    if heartbeat {
        svc.observer.heartbeat(&lease.tenant, !silent);
    }
    if silent {
        return done(svc, lease, job, cost);
    }
    deliver_reply(svc, lease, job, deliver, persona, &resp.text, cost).await
}

/// The answer: from the cache when `cache_key` is given and holds one, else from the AI.
async fn ask(
    svc: &Arc<Services>,
    lease: &Lease,
    req: &ChatRequest,
    cache_key: Option<&str>,
    persona: &Personality,
) -> Result<Answer, AiError> {
    if let Some(key) = cache_key {
        let now = svc.now_ms();
        let hit = match svc.cache.get(key, now) {
            Some(v) => Some(v),
            None => svc.store.cache_get(key, now).await.unwrap_or_else(|e| {
                tracing::info!(error = %e, "response cache unavailable; asking the AI");
                None
            }),
        };
        svc.observer.cache(&persona.name, hit.is_some());
        if let Some(text) = hit {
            return Ok(Answer {
                resp: ChatResponse {
                    text,
                    usage: Usage::default(),
                    cost_usd: 0.0,
                    model: req.model.clone(),
                    notes: Vec::new(),
                },
                cached: true,
            });
        }
    }
    let started = Instant::now();
    let res = svc.ai.complete(req).await;
    svc.observer
        .ai_called(&req.provider, &req.model, res.is_ok(), started.elapsed());
    if let Err(e) = &res {
        tracing::debug!(job = %lease.id, error = %e, "AI call failed");
    }
    res.map(|resp| Answer {
        resp,
        cached: false,
    })
}

async fn put_cached(svc: &Arc<Services>, key: &str, text: &str, expires_at_ms: u64) {
    svc.cache.put(key, text, expires_at_ms);
    if let Err(e) = svc.store.cache_put(key, text, expires_at_ms).await {
        tracing::info!(error = %e, "could not store a cached answer");
    }
}
