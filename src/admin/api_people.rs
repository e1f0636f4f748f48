//! The JSON API about tenants and users: each tenant's settings (weight, access, quotas, models),
//! usage today and this month and queue depth; users by search with their status, usage, backlog,
//! breaker and effective quotas; setting a user's status; the most expensive users.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use super::{Admin, ApiError, page};
use crate::admission::{effective_quotas, month_start};
use crate::config::{Quotas, Tenant, UserOverride};
use crate::store::{UsageScope, UsageTotals, UserKey, UserRecord, UserStatus, day_of};

#[derive(Serialize)]
pub struct Usage {
    pub today: UsageTotals,
    pub month: UsageTotals,
}

#[derive(Serialize, Default)]
pub struct Depth {
    pub ready: u64,
    pub in_flight: u64,
    pub delayed: u64,
    /// Users with a job queued, in flight or delayed.
    pub users: usize,
}

#[derive(Serialize)]
pub struct TenantView {
    /// Configured in `[[tenants]]` (else automatic, with `[tenant_defaults]`).
    pub named: bool,
    /// Scope patterns that lead to it.
    pub matches: Vec<String>,
    #[serde(flatten)]
    pub settings: Tenant,
    pub usage: Usage,
    pub queue: Depth,
}

pub async fn tenants(State(a): State<Arc<Admin>>) -> Result<Json<Vec<TenantView>>, ApiError> {
    let cfg = a.svc.config();
    let stats = a.svc.queue.stats().await?;
    let today = day_of(a.svc.now_ms());
    let mut names: BTreeSet<String> = cfg.tenants.named.keys().cloned().collect();
    let mut depths: BTreeMap<String, Depth> = BTreeMap::new();
    for t in stats.tenants {
        names.insert(t.tenant.clone());
        depths.insert(
            t.tenant,
            Depth {
                ready: t.ready,
                in_flight: t.in_flight,
                delayed: t.delayed,
                users: t.users.len(),
            },
        );
    }
    for (key, _) in a.svc.store.usage_by_user(None, today, today).await? {
        names.insert(key.tenant);
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let scope = UsageScope::Tenant(&name);
        let usage = Usage {
            today: a.svc.store.usage(scope, today, today).await?,
            month: a.svc.store.usage(scope, month_start(today), today).await?,
        };
        out.push(TenantView {
            named: cfg.tenants.named.contains_key(&name),
            matches: cfg
                .tenants
                .rules
                .iter()
                .filter(|r| r.tenant == name)
                .map(|r| r.pattern.clone())
                .collect(),
            queue: depths.remove(&name).unwrap_or_default(),
            settings: cfg.tenants.by_name(&name),
            usage,
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct UsersQuery {
    /// In the user key, name or username (case-insensitive).
    pub search: Option<String>,
    pub tenant: Option<String>,
    /// Default 50, at most 500.
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct UserView {
    #[serde(flatten)]
    pub record: UserRecord,
    pub usage: Usage,
    /// Jobs queued, in flight or waiting to retry.
    pub backlog: u64,
    /// `closed`, `open` or `half_open`.
    pub breaker: &'static str,
    /// The limits that apply to them now (defaults, tenant, config and admin overrides).
    pub quotas: Quotas,
    /// Their `[users."<key>"]` entry, if any.
    #[serde(rename = "override")]
    pub config_override: Option<UserOverride>,
}

pub async fn users(
    State(a): State<Arc<Admin>>,
    Query(q): Query<UsersQuery>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let cfg = a.svc.config();
    let today = day_of(a.svc.now_ms());
    let records = a
        .svc
        .store
        .users(
            q.tenant.as_deref().filter(|t| !t.is_empty()),
            q.search.as_deref().filter(|s| !s.is_empty()),
            page(q.limit, 50, 500),
        )
        .await?;
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let key = &record.key;
        let scope = UsageScope::User(key);
        let usage = Usage {
            today: a.svc.store.usage(scope, today, today).await?,
            month: a.svc.store.usage(scope, month_start(today), today).await?,
        };
        let settings = a.svc.store.settings(key).await?;
        let tenant = cfg.tenants.by_name(&key.tenant);
        let quotas = effective_quotas(&cfg, &tenant, &key.user, record.status, &settings);
        let backlog = a.svc.queue.user_backlog(&key.tenant, &key.user).await?;
        let breaker = a.svc.breakers().state(&key.tenant, &key.user).as_str();
        out.push(UserView {
            usage,
            backlog,
            breaker,
            quotas,
            config_override: cfg.users.get(&key.user).cloned(),
            record,
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct StatusChange {
    pub tenant: String,
    pub user: String,
    pub status: UserStatus,
}

/// Sets a user's status (`active` approves or unbans, `banned` bans).
pub async fn set_status(
    State(a): State<Arc<Admin>>,
    Json(c): Json<StatusChange>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let key = UserKey::new(&c.tenant, &c.user);
    if !a.svc.store.set_status(&key, c.status).await? {
        return Err(ApiError::NotFound(format!(
            "no user {} in tenant {}",
            c.user, c.tenant
        )));
    }
    tracing::info!(tenant = %c.tenant, status = c.status.as_str(), "an operator set a user's status");
    Ok(Json(
        serde_json::json!({ "tenant": c.tenant, "user": c.user, "status": c.status }),
    ))
}

#[derive(Deserialize)]
pub struct TopQuery {
    /// Days back from today, today included (default 1, at most 400).
    pub days: Option<i64>,
    /// Default 10, at most 100.
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct TopUser {
    pub tenant: String,
    pub user: String,
    #[serde(flatten)]
    pub usage: UsageTotals,
}

/// The users who cost most over the last days, most expensive first.
pub async fn top(
    State(a): State<Arc<Admin>>,
    Query(q): Query<TopQuery>,
) -> Result<Json<Vec<TopUser>>, ApiError> {
    let today = day_of(a.svc.now_ms());
    let days = q.days.unwrap_or(1).clamp(1, 400);
    let mut all = a
        .svc
        .store
        .usage_by_user(None, today - (days - 1), today)
        .await?;
    all.sort_by(|x, y| y.1.cost_usd.total_cmp(&x.1.cost_usd));
    all.truncate(page(q.limit, 10, 100));
    Ok(Json(
        all.into_iter()
            .map(|(key, usage)| TopUser {
                tenant: key.tenant,
                user: key.user,
                usage,
            })
            .collect(),
    ))
}
