//! The JSON API about the queue and the breakers: depths and in-flight jobs overall, per tenant
//! and per user of one tenant; dead letters (never their content: messages stay private), with
//! requeue and delete; the per-user breakers that are not closed, with a reset.
//!
//! Breakers are each process's own view: in Redis mode a reset applies to the process asked.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use super::{Admin, ApiError, page};
use crate::worker::BreakerState;

#[derive(Serialize)]
pub struct QueueView {
    pub ready: u64,
    pub in_flight: u64,
    pub delayed: u64,
    pub dead: u64,
    pub tenants: Vec<TenantDepth>,
}

#[derive(Serialize)]
pub struct TenantDepth {
    pub tenant: String,
    pub ready: u64,
    pub in_flight: u64,
    pub delayed: u64,
    /// Users with a job queued, in flight or delayed.
    pub users: usize,
}

pub async fn queue(State(a): State<Arc<Admin>>) -> Result<Json<QueueView>, ApiError> {
    let s = a.svc.queue.stats().await?;
    Ok(Json(QueueView {
        ready: s.ready,
        in_flight: s.in_flight,
        delayed: s.delayed,
        dead: s.dead,
        tenants: s
            .tenants
            .into_iter()
            .map(|t| TenantDepth {
                users: t.users.len(),
                tenant: t.tenant,
                ready: t.ready,
                in_flight: t.in_flight,
                delayed: t.delayed,
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
pub struct TenantQuery {
    pub tenant: String,
}

#[derive(Serialize)]
pub struct UserDepth {
    pub user: String,
    pub ready: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

/// One tenant's users with jobs.
pub async fn users(
    State(a): State<Arc<Admin>>,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Vec<UserDepth>>, ApiError> {
    let s = a.svc.queue.stats().await?;
    let users = s
        .tenants
        .into_iter()
        .find(|t| t.tenant == q.tenant)
        .map(|t| t.users)
        .unwrap_or_default();
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserDepth {
                user: u.user,
                ready: u.ready,
                in_flight: u.in_flight,
                delayed: u.delayed,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub offset: Option<usize>,
    /// Default 50, at most 500.
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct DeadView {
    pub id: String,
    pub tenant: String,
    pub user: String,
    pub attempts: u32,
    /// The last error (one line, bounded).
    pub error: String,
    /// When it was dead-lettered (Unix ms).
    pub at_ms: u64,
}

pub async fn dead(
    State(a): State<Arc<Admin>>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<DeadView>>, ApiError> {
    let list = a
        .svc
        .queue
        .dead_letters(q.offset.unwrap_or(0), page(q.limit, 50, 500))
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DeadView {
                id: d.id,
                tenant: d.tenant,
                user: d.user,
                attempts: d.attempts,
                error: d.error,
                at_ms: d.at,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct JobId {
    pub id: String,
}

/// Puts a dead letter back in its user's queue, with fresh attempts.
pub async fn requeue(
    State(a): State<Arc<Admin>>,
    Json(j): Json<JobId>,
) -> Result<Json<serde_json::Value>, ApiError> {
    a.svc.queue.requeue_dead(&j.id).await?;
    tracing::info!(job = %j.id, "an operator requeued a dead letter");
    Ok(Json(serde_json::json!({ "requeued": j.id })))
}

pub async fn delete(
    State(a): State<Arc<Admin>>,
    Json(j): Json<JobId>,
) -> Result<Json<serde_json::Value>, ApiError> {
    a.svc.queue.delete_dead(&j.id).await?;
    tracing::info!(job = %j.id, "an operator deleted a dead letter");
    Ok(Json(serde_json::json!({ "deleted": j.id })))
}

#[derive(Serialize)]
pub struct BreakerView {
    pub tenant: String,
    pub user: String,
    /// `open` or `half_open`.
    pub state: &'static str,
    /// Until when it stays open (Unix ms; half-open: null).
    pub open_until_ms: Option<u64>,
    /// Times it opened in a row (each doubles the open period).
    pub trips: u32,
}

pub async fn breakers(State(a): State<Arc<Admin>>) -> Json<Vec<BreakerView>> {
    let list = a.svc.breakers().not_closed();
    Json(
        list.into_iter()
            .map(|(tenant, user, state, trips)| BreakerView {
                tenant,
                user,
                state: state.as_str(),
                open_until_ms: match state {
                    BreakerState::Open { until } => Some(until),
                    _ => None,
                },
                trips,
            })
            .collect(),
    )
}

#[derive(Deserialize)]
pub struct BreakerKey {
    pub tenant: String,
    pub user: String,
}

/// Closes a user's breaker: new jobs go ahead at once, jobs it postponed when their
/// postponement ends (at most the open period).
pub async fn reset_breaker(
    State(a): State<Arc<Admin>>,
    Json(k): Json<BreakerKey>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !a.svc.breakers().reset(&k.tenant, &k.user) {
        return Err(ApiError::NotFound(format!(
            "no breaker for {} in tenant {}",
            k.user, k.tenant
        )));
    }
    tracing::info!(tenant = %k.tenant, "an operator reset a user's breaker");
    Ok(Json(
        serde_json::json!({ "reset": true, "tenant": k.tenant, "user": k.user }),
    ))
}
