//! The caller's own account: `/status`, `/model`, `/personality`, `/reset`, `/cancel`. Every
//! read and write here is keyed by the caller; nothing takes another user's id.

use super::format::{count, local_time, money, totals, utc_time};
use super::{CommandError, Cx, Reply};
use crate::admission::{effective_quotas, month_start, next_midnight_ms, next_month_ms};
use crate::choice::{self, MODEL_SETTING, PERSONALITY_SETTING};
use crate::config::Personality;
use crate::heartbeat::{Window, parse_tz};
use crate::store::{ConversationKey, UsageScope, UsageTotals, day_of};
use crate::worker::BreakerState;

/// The personality answering the caller here, and the model it would use for them.
async fn current(cx: &Cx<'_>) -> Result<(Personality, String, String), CommandError> {
    let c = cx.caller;
    let settings = cx.svc.store.settings(&c.user).await?;
    let chosen = settings.get(PERSONALITY_SETTING).map(String::as_str);
    let persona = choice::personality(cx.cfg, &c.tenant, chosen, c.dm())
        .cloned()
        .ok_or_else(|| {
            CommandError::Store(crate::store::StoreError::Invalid(
                "no personality is configured".into(),
            ))
        })?;
    let (provider, model) = choice::model_for(
        cx.cfg,
        &c.tenant,
        &persona,
        settings.get(MODEL_SETTING).map(String::as_str),
    );
    Ok((persona, provider, model))
}

pub(super) async fn status(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let store = &cx.svc.store;
    let (persona, _, model) = current(cx).await?;
    let today = day_of(c.now_ms);
    let scope = UsageScope::User(&c.user);
    let day = store.usage(scope, today, today).await?;
    let week = store.usage(scope, today - 6, today).await?;
    let month30 = store.usage(scope, today - 29, today).await?;
    let this_month = store.usage(scope, month_start(today), today).await?;
    let settings = store.settings(&c.user).await?;
    let quotas = effective_quotas(cx.cfg, &c.tenant, &c.user.user, c.record.status, &settings);
    let mut out = format!("You're talking to {} on {model}.\n\nUsage:\n", persona.name);
    out.push_str(&format!("- today: {}\n", totals(&day)));
    out.push_str(&format!("- last 7 days: {}\n", totals(&week)));
    out.push_str(&format!("- last 30 days: {}\n", totals(&month30)));
    out.push_str(&budget_lines(&quotas, &day, &this_month, c.now_ms));

    let backlog = cx
        .svc
        .queue
        .user_backlog(&c.user.tenant, &c.user.user)
        .await?;
    if backlog == 0 {
        out.push_str("\nNo messages waiting for an answer.\n");
    } else {
        let pos = cx.svc.queue.position(&c.user.tenant, &c.user.user).await?;
        let place = match pos {
            Some(p) if p.users_ahead == 0 && p.tenants_ahead == 0 => "; yours is next".to_owned(),
            Some(p) => format!(
                "; {} other {} ahead of you",
                p.users_ahead + p.tenants_ahead,
                if p.users_ahead + p.tenants_ahead == 1 {
                    "conversation"
                } else {
                    "conversations"
                }
            ),
            None => "; one is being answered now".to_owned(),
        };
        out.push_str(&format!(
            "\n{backlog} message{} waiting for an answer{place}.\n",
            if backlog == 1 { "" } else { "s" }
        ));
    }
    let breaker = cx.svc.breakers().state(&c.user.tenant, &c.user.user);
    match breaker {
        BreakerState::Closed => {}
        BreakerState::Open { until } => out.push_str(&format!(
            "Your recent requests failed, so I'm pausing them until {}.\n",
            utc_time(until)
        )),
        BreakerState::HalfOpen => {
            out.push_str("Your recent requests failed; I'm trying again carefully.\n")
        }
    }
    out.push_str(&heartbeat_line(cx).await?);
    Ok(Reply::text(out.trim_end()))
}

/// Remaining budgets and when they reset.
fn budget_lines(
    q: &crate::config::Quotas,
    day: &UsageTotals,
    month: &UsageTotals,
    now_ms: u64,
) -> String {
    let mut lines = Vec::new();
    if let Some(max) = q.requests_per_day.filter(|m| *m != u64::MAX) {
        lines.push(format!(
            "- {} of {} requests today",
            count(max.saturating_sub(day.requests)),
            count(max)
        ));
    }
    if let Some(max) = q.tokens_per_day.filter(|m| *m != u64::MAX) {
        lines.push(format!(
            "- {} of {} tokens today",
            count(max.saturating_sub(day.tokens())),
            count(max)
        ));
    }
    let mut out = String::new();
    if !lines.is_empty() {
        out.push_str(&format!(
            "\nLeft today (resets {}):\n{}\n",
            utc_time(next_midnight_ms(now_ms)),
            lines.join("\n")
        ));
    }
    if let Some(max) = q.cost_per_month_usd.filter(|m| m.is_finite()) {
        out.push_str(&format!(
            "Spending left this month: {} of {} (resets {}).\n",
            money((max - month.cost_usd).max(0.0)),
            money(max),
            utc_time(next_month_ms(now_ms))
        ));
    }
    out
}

async fn heartbeat_line(cx: &Cx<'_>) -> Result<String, CommandError> {
    let hb = cx.svc.store.heartbeat(&cx.caller.user).await?;
    Ok(match hb.filter(|h| h.enabled) {
        None => "Check-ins: off (/heartbeat on to start).".into(),
        Some(h) => {
            let tz = parse_tz(&h.tz).unwrap_or(chrono_tz::Tz::UTC);
            let hours = h
                .active
                .and_then(|(f, t)| Window::new(f, t))
                .map_or_else(|| "any time".to_owned(), |w| format!("{w} {}", tz.name()));
            format!(
                "Check-ins: every {} min, {hours}; next at {}.",
                h.every_minutes,
                local_time(h.next_run_ms, tz)
            )
        }
    })
}

pub(super) async fn model(cx: &Cx<'_>, wanted: Option<&str>) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let allowed = choice::allowed_models(cx.cfg, &c.tenant);
    let Some(wanted) = wanted else {
        let (persona, _, model) = current(cx).await?;
        return Ok(Reply::text(format!(
            "You're on {model} (with {}). Models you can choose: {}.\nChoose one with /model <name>; /model default goes back to the personality's own.",
            persona.name,
            allowed.join(", ")
        )));
    };
    if wanted.eq_ignore_ascii_case("default") {
        cx.svc
            .store
            .set_setting(&c.user, MODEL_SETTING, None)
            .await?;
        return Ok(Reply::text(
            "Done: each personality answers on its own model again.",
        ));
    }
    match choice::find_model(cx.cfg, &c.tenant, wanted) {
        Some(m) => {
            cx.svc
                .store
                .set_setting(&c.user, MODEL_SETTING, Some(&m))
                .await?;
            Ok(Reply::text(format!(
                "Done: your answers now come from {m}."
            )))
        }
        None => Ok(Reply::text(format!(
            "{:?} isn't a model you can choose. Choose one of: {}.",
            super::parse::clip(wanted, 60),
            allowed.join(", ")
        ))),
    }
}

pub(super) async fn personality(cx: &Cx<'_>, wanted: Option<&str>) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let Some(wanted) = wanted else {
        let (current, _, _) = current(cx).await?;
        let list: Vec<String> = cx
            .cfg
            .personalities
            .all
            .values()
            .map(|p| {
                let mark = if p.name == current.name {
                    " (current)"
                } else {
                    ""
                };
                format!("- {}{mark}", p.name)
            })
            .collect();
        let how = if c.dm() {
            "Choose with /personality <name>."
        } else {
            "Here, address one by name, for example \"@Sage hello\"."
        };
        return Ok(Reply::text(format!(
            "Personalities:\n{}\n{how}",
            list.join("\n")
        )));
    };
    match cx.cfg.personalities.find(wanted) {
        Some(p) => {
            cx.svc
                .store
                .set_setting(&c.user, PERSONALITY_SETTING, Some(&p.name))
                .await?;
            Ok(Reply::text(format!(
                "Done: {} answers you from now on.",
                p.name
            )))
        }
        None => Ok(no_such_personality(cx, wanted)),
    }
}

/// The caller's conversations in this place, one per personality.
fn conversations_here(cx: &Cx<'_>) -> Vec<ConversationKey> {
    let c = cx.caller;
    cx.cfg
        .personalities
        .all
        .values()
        .map(|p| ConversationKey {
            tenant: c.user.tenant.clone(),
            place: c.place.clone(),
            user: c.user.user.clone(),
            personality: p.name.clone(),
        })
        .collect()
}

pub(super) async fn reset(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    for conv in conversations_here(cx) {
        cx.svc.store.clear_conversation(&conv).await?;
    }
    Ok(Reply::text(
        "Done: we're starting afresh here. Your notes are kept (/notes).",
    ))
}

pub(super) async fn cancel(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let n = cx
        .svc
        .queue
        .cancel_user(&c.user.tenant, &c.user.user)
        .await?;
    // The cancelled messages stay in the history, but count as answered: the next answer does
    // not pick them up again.
    for conv in conversations_here(cx) {
        if let Some(last) = cx.svc.store.history(&conv, 1).await?.last() {
            cx.svc.store.set_answered_through(&conv, last.seq).await?;
        }
    }
    Ok(Reply::text(match n {
        0 => "You have no messages waiting for an answer.".to_owned(),
        1 => "Done: dropped 1 message that was waiting for an answer.".to_owned(),
        n => format!("Done: dropped {n} messages that were waiting for an answer."),
    }))
}

/// The answer to a personality name that matches none.
pub(super) fn no_such_personality(cx: &Cx<'_>, wanted: &str) -> Reply {
    let names: Vec<&str> = cx
        .cfg
        .personalities
        .all
        .values()
        .map(|p| p.name.as_str())
        .collect();
    Reply::text(format!(
        "There's no personality called {:?}. Choose one of: {}.",
        super::parse::clip(wanted, 60),
        names.join(", ")
    ))
}
