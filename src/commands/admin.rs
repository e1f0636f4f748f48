//! Admin commands (`/admin ...`), reached only by user keys listed in `admins`: list and inspect
//! users, usage and cost reports, ban / unban / approve, and runtime quota overrides (kept in the
//! user's settings, so they persist and apply in every process).
//!
//! A user is named by their user key (`telegram:42`), which acts on them in every tenant they
//! are known in, or by `<tenant>/<user key>` for one tenant only.

use std::collections::BTreeMap;

use super::format::{money, name, totals, utc_time};
use super::parse::{AdminCommand, QuotaLimit, QuotaValue};
use super::{CommandError, Cx, Notice, Reply};
use crate::store::{UsageScope, UsageTotals, UserKey, UserStatus, day_of};

/// Users listed by `/admin users`.
const USERS_SHOWN: usize = 50;
/// Users listed by `/admin stats`.
const TOP_USERS: usize = 20;

pub(super) async fn run(cx: &Cx<'_>, cmd: AdminCommand) -> Result<Reply, CommandError> {
    match cmd {
        AdminCommand::Users(search) => users(cx, search.as_deref()).await,
        AdminCommand::Stats(days) => stats(cx, days).await,
        AdminCommand::User(id) => user(cx, &id).await,
        AdminCommand::Ban(id) => set_status(cx, &id, UserStatus::Banned).await,
        AdminCommand::Unban(id) | AdminCommand::Approve(id) => {
            set_status(cx, &id, UserStatus::Active).await
        }
        AdminCommand::Quota { user, limit, value } => quota(cx, &user, limit, value).await,
    }
}

/// The records an id names: `<tenant>/<user key>`, or a user key in every tenant.
async fn resolve(cx: &Cx<'_>, id: &str) -> Result<Vec<UserKey>, CommandError> {
    let (tenant, user) = match id.rsplit_once('/') {
        Some((t, u)) => (Some(t), u),
        None => (None, id),
    };
    Ok(cx
        .svc
        .store
        .users(tenant, Some(user), 1000)
        .await?
        .into_iter()
        .filter(|r| r.key.user == user && tenant.is_none_or(|t| r.key.tenant == t))
        .map(|r| r.key)
        .collect())
}

fn unknown(id: &str) -> Reply {
    Reply::text(format!(
        "No user {id} is known. /admin users <search> finds users by id or name."
    ))
}

async fn users(cx: &Cx<'_>, search: Option<&str>) -> Result<Reply, CommandError> {
    let list = cx.svc.store.users(None, search, USERS_SHOWN).await?;
    if list.is_empty() {
        return Ok(Reply::text("No users found."));
    }
    let mut out = format!("Users, most recently seen first ({}):\n", list.len());
    for r in &list {
        let handle = r
            .username
            .as_deref()
            .map_or_else(String::new, |u| format!(" @{}", name(u)));
        out.push_str(&format!(
            "- {}/{} {}{handle}: {}, last seen {}\n",
            r.key.tenant,
            r.key.user,
            name(&r.display_name),
            r.status.as_str(),
            utc_time(r.last_seen_ms)
        ));
    }
    Ok(Reply::text(out.trim_end()))
}

async fn stats(cx: &Cx<'_>, days: u32) -> Result<Reply, CommandError> {
    let now = cx.caller.now_ms;
    let to = day_of(now);
    let from = to - i64::from(days) + 1;
    let per_user = cx.svc.store.usage_by_user(None, from, to).await?;
    let mut tenants: BTreeMap<String, UsageTotals> = cx
        .cfg
        .tenants
        .named
        .keys()
        .map(|t| (t.clone(), UsageTotals::default()))
        .collect();
    for (k, _) in &per_user {
        tenants.entry(k.tenant.clone()).or_default();
    }
    for (t, totals) in tenants.iter_mut() {
        *totals = cx.svc.store.usage(UsageScope::Tenant(t), from, to).await?;
    }
    let mut by_cost: Vec<(String, UsageTotals)> = tenants
        .into_iter()
        .filter(|(_, t)| t.requests > 0)
        .collect();
    by_cost.sort_by(|a, b| b.1.cost_usd.total_cmp(&a.1.cost_usd));
    let mut all = UsageTotals::default();
    for (_, t) in &by_cost {
        all.add(t);
    }
    let mut out = format!(
        "Usage over the last {days} day{} (UTC days, to {}):\nAll: {}\n",
        if days == 1 { "" } else { "s" },
        utc_time(now).chars().take(10).collect::<String>(),
        totals(&all)
    );
    out.push_str("\nTenants by cost:\n");
    if by_cost.is_empty() {
        out.push_str("- none yet\n");
    }
    for (t, u) in &by_cost {
        out.push_str(&format!("- {t}: {}\n", totals(u)));
    }
    out.push_str(&format!(
        "\nUsers by cost (top {}):\n",
        TOP_USERS.min(per_user.len())
    ));
    for (k, u) in per_user.iter().take(TOP_USERS) {
        out.push_str(&format!("- {}/{}: {}\n", k.tenant, k.user, totals(u)));
    }
    Ok(Reply::text(out.trim_end()))
}

async fn user(cx: &Cx<'_>, id: &str) -> Result<Reply, CommandError> {
    let keys = resolve(cx, id).await?;
    if keys.is_empty() {
        return Ok(unknown(id));
    }
    let store = &cx.svc.store;
    let today = day_of(cx.caller.now_ms);
    let mut out = String::new();
    for key in &keys {
        let Some(r) = store.user(key).await? else {
            continue;
        };
        let day = store.usage(UsageScope::User(key), today, today).await?;
        let month = store
            .usage(UsageScope::User(key), today - 29, today)
            .await?;
        let overrides: Vec<String> = store
            .settings(key)
            .await?
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix("quota.").map(|l| format!("{l} = {v}")))
            .collect();
        let queued = cx.svc.queue.user_backlog(&key.tenant, &key.user).await?;
        let notes = store.notes(key).await?.len();
        let checkins = store
            .heartbeat(key)
            .await?
            .filter(|h| h.enabled)
            .map_or_else(
                || "off".to_owned(),
                |h| format!("every {} min", h.every_minutes),
            );
        out.push_str(&format!(
            "{}/{}: {}{}\n- status {}, first seen {}, last seen {}\n- today: {}\n- last 30 days: {}\n- quota overrides: {}\n- queued: {queued}, notes: {notes}, check-ins: {checkins}, breaker: {}\n\n",
            key.tenant,
            key.user,
            name(&r.display_name),
            r.username.as_deref().map_or_else(String::new, |u| format!(" @{}", name(u))),
            r.status.as_str(),
            utc_time(r.first_seen_ms),
            utc_time(r.last_seen_ms),
            totals(&day),
            totals(&month),
            if overrides.is_empty() { "none".to_owned() } else { overrides.join(", ") },
            cx.svc.breakers().state(&key.tenant, &key.user).as_str(),
        ));
    }
    Ok(Reply::text(out.trim_end()))
}

async fn set_status(cx: &Cx<'_>, id: &str, status: UserStatus) -> Result<Reply, CommandError> {
    let keys = resolve(cx, id).await?;
    if keys.is_empty() {
        return Ok(unknown(id));
    }
    let mut dropped = 0;
    for key in &keys {
        cx.svc.store.set_status(key, status).await?;
        if status == UserStatus::Banned {
            dropped += cx.svc.queue.cancel_user(&key.tenant, &key.user).await?;
        }
    }
    let where_ = keys
        .iter()
        .map(|k| k.tenant.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let user = &keys[0].user;
    Ok(match status {
        UserStatus::Banned => Reply::text(format!(
            "Banned {user} in {where_}; dropped {dropped} waiting message(s)."
        )),
        _ => Reply {
            notices: vec![Notice {
                to: user.clone(),
                text: "Good news: you have full access now. Just write to me.".into(),
            }],
            ..Reply::text(format!("{user} now has full access in {where_}."))
        },
    })
}

async fn quota(
    cx: &Cx<'_>,
    id: &str,
    limit: QuotaLimit,
    value: QuotaValue,
) -> Result<Reply, CommandError> {
    let keys = resolve(cx, id).await?;
    if keys.is_empty() {
        return Ok(unknown(id));
    }
    let setting = format!("quota.{}", limit.name());
    let stored = match value {
        QuotaValue::Max(v) => Some(v.to_string()),
        QuotaValue::Unlimited => Some("none".to_owned()),
        QuotaValue::Default => None,
    };
    for key in &keys {
        cx.svc
            .store
            .set_setting(key, &setting, stored.as_deref())
            .await?;
    }
    let what = match value {
        QuotaValue::Max(v) if limit == QuotaLimit::CostPerMonthUsd => money(v),
        QuotaValue::Max(v) => v.to_string(),
        QuotaValue::Unlimited => "unlimited".into(),
        QuotaValue::Default => "the configured default".into(),
    };
    Ok(Reply::text(format!(
        "{} for {}: {what} (in {} tenant{}).",
        limit.name(),
        keys[0].user,
        keys.len(),
        if keys.len() == 1 { "" } else { "s" }
    )))
}
