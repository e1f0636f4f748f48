//! Ingress: what happens to an inbound message before any worker sees it. Route it; register the
//! user; answer commands inline; admit chat messages (access, rates, budgets, backlog) and either
//! refuse them with a clear reply or record them in the conversation and enqueue one job, keyed by
//! the platform's message id so a redelivered message makes no second job.

use std::sync::Arc;

use switchboard_platforms::{Deliver, Inbound, Outbound, Place, Platform, Target};
use switchboard_queue::QueueError;
use switchboard_queue::core::{Enqueued, NewJob};

use crate::admission::{AdmissionError, Candidate};
use crate::commands::{self, Caller, Reply, parse::clip};
use crate::config::{Access, Config, EditedMessages, Tenant};
use crate::router::{Ignore, Route, RouteContext, route};
use crate::services::Services;
use crate::store::{ConversationKey, Role, Seen, StoreError, UserKey, UserStatus};
use crate::worker::{ChatJob, JOB_VERSION, JobKind, with_attachments};

/// What ingress did with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handled {
    Ignored(Ignore),
    /// A command, answered inline.
    Command(String),
    /// Refused by admission; `limit` says which (the user was told).
    Refused {
        limit: &'static str,
    },
    /// Queued as this job.
    Queued(String),
    /// Already queued or answered (a redelivery).
    Duplicate(String),
}

#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Admission(#[from] AdmissionError),
    #[error("the personality {0:?} routed to is not configured")]
    UnknownPersonality(String),
}

/// The tenant a message belongs to: a bot pinned to a tenant, else the scope rules.
pub fn tenant_for(cfg: &Config, m: &Inbound) -> Tenant {
    if m.platform == Platform::Telegram {
        let pinned = cfg
            .platforms
            .telegram
            .iter()
            .find(|b| b.name == m.bot)
            .and_then(|b| b.tenant.as_ref());
        if let Some(t) = pinned.and_then(|name| cfg.tenants.named.get(name)) {
            return t.clone();
        }
    }
    cfg.tenants.resolve(&m.scope.key())
}

/// Status a user seen for the first time gets in a tenant.
fn first_status(t: &Tenant) -> UserStatus {
    match t.access {
        Access::Open => UserStatus::Active,
        Access::Allowlist | Access::Approval => UserStatus::Guest,
    }
}

/// Where a message goes (a command, a chat with a personality, or nowhere), as [`handle`] will
/// route it. Adapters ask first when taking a message in costs something (downloading its files).
pub async fn route_of(svc: &Arc<Services>, m: &mut Inbound) -> Result<Route, IngressError> {
    crate::spoken::recall(svc, m).await;
    let cfg = svc.config();
    let tenant = tenant_for(&cfg, m);
    let user = UserKey::new(&tenant.name, m.user_key());
    let (user_choice, activated) = if m.place.is_dm {
        (svc.store.setting(&user, "personality").await?, None)
    } else {
        let place = place_key(m);
        (
            None,
            svc.store.channel_personality(&tenant.name, &place).await?,
        )
    };
    let ctx = RouteContext {
        personalities: &cfg.personalities,
        prefixes: &cfg.command_prefixes,
        user_choice: user_choice.as_deref(),
        tenant_default: tenant.default_personality.as_deref(),
        channel_personality: activated.as_deref(),
        answer_edits: answers_edits(&cfg, m),
    };
    Ok(route(m, &ctx))
}

pub async fn handle(svc: &Arc<Services>, mut m: Inbound) -> Result<Handled, IngressError> {
    let route = route_of(svc, &mut m).await?;
    let cfg = svc.config();
    let tenant = tenant_for(&cfg, &m);
    let user = UserKey::new(&tenant.name, m.user_key());
    if let Route::Ignore(why) = &route {
        return Ok(Handled::Ignored(why.clone()));
    }
    let now = svc.now_ms();
    let record = svc
        .store
        .seen(&Seen {
            key: user.clone(),
            display_name: m.author.display_name.clone(),
            username: m.author.username.clone(),
            at_ms: now,
            new_status: first_status(&tenant),
        })
        .await?;
    let target = Target {
        platform: m.platform,
        bot: m.bot.clone(),
        place: m.place.clone(),
    };
    let (personality, text) = match route {
        Route::Ignore(why) => return Ok(Handled::Ignored(why)),
        Route::Command { name, args } => {
            let caller = Caller {
                tenant: tenant.clone(),
                user: user.clone(),
                record,
                target: target.clone(),
                place: place_key(&m),
                moderator: m.author.moderator,
                now_ms: now,
            };
            let reply = match commands::run(svc, &cfg, &caller, &name, &args).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(command = %clip(&name, 32), error = %e, "a command failed");
                    Reply::text(commands::TRY_AGAIN)
                }
            };
            send_reply(svc, &m, &target, reply).await;
            return Ok(Handled::Command(name));
        }
        Route::Chat { personality, text } => (personality, text),
    };
    let cand = Candidate {
        tenant: &tenant,
        user: &user,
        status: record.status,
        now_ms: now,
    };
    if let Err(refusal) = svc.admission.admit(&cfg, &cand).await? {
        svc.observer
            .refused(&tenant.name, &user.user, refusal.limit());
        notify(svc, &m, &target, &refusal.message(now)).await;
        return Ok(Handled::Refused {
            limit: refusal.limit(),
        });
    }
    let persona = cfg
        .personalities
        .find(&personality)
        .ok_or_else(|| IngressError::UnknownPersonality(personality.clone()))?;
    let files: Vec<(String, String)> = m
        .attachments
        .iter()
        .filter_map(|a| a.text.as_ref().map(|t| (a.name.clone(), t.clone())))
        .collect();
    let text = with_attachments(&text, &files);
    let conversation = ConversationKey {
        tenant: tenant.name.clone(),
        place: place_key(&m),
        user: user.user.clone(),
        personality: persona.name.clone(),
    };
    let job_id = m.job_id();
    let keep = cfg.workers.max_context_messages.max(2);
    // From recording to enqueueing, this user's other messages wait: the conversation order
    // and the queue order must agree.
    let _in_order = svc.ingress_order.lock(&user.user).await;
    let seq = svc
        .store
        .append(&conversation, Role::User, &text, now, Some(&job_id), keep)
        .await?;
    let job = ChatJob {
        v: JOB_VERSION,
        kind: JobKind::Reply,
        target: target.clone(),
        reply_to: (!m.place.is_dm).then(|| m.message_id.clone()),
        conversation,
        seq,
        text,
        author_id: m.author.id.clone(),
        enqueued_at_ms: now,
    };
    svc.tuning
        .ensure(svc.queue.as_ref(), &cfg, &tenant, &user.user)
        .await?;
    let queued = svc
        .queue
        .enqueue(NewJob::new(&job_id, &tenant.name, &user.user, job.encode()))
        .await?;
    if queued == Enqueued::Duplicate {
        return Ok(Handled::Duplicate(job_id));
    }
    svc.observer.queued(&job_id, &tenant.name, &user.user);
    if let Some(d) = svc.deliver_for(&target) {
        svc.typing
            .start(&job_id, &target, d, cfg.workers.typing_max);
    }
    Ok(Handled::Queued(job_id))
}

/// Whether the bot that received `m` answers edited messages (a Telegram bot's `edited`).
fn answers_edits(cfg: &Config, m: &Inbound) -> bool {
    m.platform == Platform::Telegram
        && cfg
            .platforms
            .telegram
            .iter()
            .any(|b| b.name == m.bot && b.edited == EditedMessages::Answer)
}

/// The conversation place of a message: its channel, or channel/thread.
fn place_key(m: &Inbound) -> String {
    match &m.place.thread_id {
        Some(th) => format!("{}/{th}", m.place.channel_id),
        None => m.place.channel_id.clone(),
    }
}

/// Sends a command's answer (with its file), then its notices to other people's private chats.
async fn send_reply(svc: &Arc<Services>, m: &Inbound, target: &Target, reply: Reply) {
    let Some(d) = svc.deliver_for(target) else {
        return;
    };
    let out = Outbound {
        target: target.clone(),
        persona: None,
        text: reply.text,
        reply_to: (!m.place.is_dm).then(|| m.message_id.clone()),
        job_id: format!("{}:reply", m.job_id()),
        mention_user: Some(m.author.id.clone()),
        private: reply.private,
        file: reply.file,
    };
    if let Err(e) = d.deliver(&out).await {
        tracing::info!(error = %e, "could not send a command's answer");
    }
    for (i, n) in reply.notices.into_iter().enumerate() {
        let Some((to, d)) = direct_target(svc, &n.to, &m.bot) else {
            tracing::info!(platform = %n.to.split(':').next().unwrap_or(""), "no platform to send a notice to");
            continue;
        };
        let out = Outbound {
            target: to,
            persona: None,
            text: n.text,
            reply_to: None,
            job_id: format!("{}:notice{i}", m.job_id()),
            mention_user: None,
            private: true,
            file: None,
        };
        if let Err(e) = d.deliver(&out).await {
            tracing::info!(error = %e, "could not send a notice");
        }
    }
}

/// The private chat of a user key (`telegram:42`), through the bot named `prefer` if it serves
/// that platform, else any bot that does.
pub fn direct_target(
    svc: &Services,
    user_key: &str,
    prefer: &str,
) -> Option<(Target, Arc<dyn Deliver>)> {
    let (platform, id) = user_key.split_once(':')?;
    let platform = [Platform::Telegram, Platform::Discord, Platform::Sim]
        .into_iter()
        .find(|p| p.as_str() == platform)?;
    let mut bots: Vec<&String> = svc
        .delivers
        .keys()
        .filter(|(p, _)| *p == platform)
        .map(|(_, b)| b)
        .collect();
    bots.sort();
    let bot = bots
        .iter()
        .find(|b| b.as_str() == prefer)
        .or_else(|| bots.first())?;
    let target = Target {
        platform,
        bot: (*bot).clone(),
        place: Place::direct(id),
    };
    let d = svc.deliver_for(&target)?;
    Some((target, d))
}

/// Replies as the bot itself (refusals): private where the platform can.
async fn notify(svc: &Arc<Services>, m: &Inbound, target: &Target, text: &str) {
    let Some(d) = svc.deliver_for(target) else {
        return;
    };
    let out = Outbound {
        target: target.clone(),
        persona: None,
        text: text.to_owned(),
        reply_to: (!m.place.is_dm).then(|| m.message_id.clone()),
        job_id: format!("{}:reply", m.job_id()),
        mention_user: Some(m.author.id.clone()),
        private: true,
        file: None,
    };
    if let Err(e) = d.deliver(&out).await {
        tracing::info!(error = %e, "could not send an inline reply");
    }
}
