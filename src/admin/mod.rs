//! The operators' HTTP server (`[admin] listen`): health checks for orchestrators, Prometheus
//! metrics, a JSON API over tenants, users, the queue and its dead letters, breakers and the
//! config (with reloads), and a dashboard page over that API. Everything but `/healthz` and
//! `/readyz` needs the bearer token named by `admin.token_env`.
//!
//! | route | what |
//! |---|---|
//! | `GET /healthz`, `GET /readyz` | process up; storage, platforms and workers ready (503 if not) |
//! | `GET /metrics` | Prometheus text |
//! | `GET /api/tenants` | weights, quotas, usage today and this month, queue depth |
//! | `GET /api/users?search=&tenant=&limit=` | users with status, usage, backlog, breaker, quotas |
//! | `POST /api/users/status` | `{tenant, user, status}`: ban, unban, approve |
//! | `GET /api/usage/top?days=&limit=` | users by cost |
//! | `GET /api/queue`, `GET /api/queue/users?tenant=` | depths and in-flight jobs |
//! | `GET /api/queue/dead?offset=&limit=` | dead letters (without their content) |
//! | `POST /api/queue/dead/requeue`, `POST /api/queue/dead/delete` | `{id}` |
//! | `GET /api/breakers`, `POST /api/breakers/reset` | breakers not closed; `{tenant, user}` |
//! | `GET /api/config`, `POST /api/config/reload` | resolved config (secrets `***`), last reload |
//! | `GET /api/activity` | recent throughput and waits (the dashboard's charts) |
//! | `GET /` | the dashboard |

mod activity;
mod api_config;
mod api_people;
mod api_queue;
mod auth;
mod dashboard;
mod expo;
mod health;
pub mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use self::activity::Activity;
pub use self::auth::MIN_TOKEN_CHARS;
pub use self::health::Health;
use self::metrics::{Metrics, Scrape};
use crate::config::AdminConfig;
use crate::reload::Reloader;
use crate::services::Services;

/// Longest `/metrics` waits for the queue's figures (it answers without them after that).
const QUEUE_STATS_TIMEOUT: Duration = Duration::from_secs(2);

/// What the handlers share.
pub struct Admin {
    pub svc: Arc<Services>,
    /// This service's metrics (also its observer).
    pub metrics: Arc<Metrics>,
    /// Recent throughput and waits (also an observer), for the dashboard.
    pub activity: Arc<Activity>,
    /// Reloads the config on request, and knows the last outcome.
    pub reloader: Arc<Reloader>,
    pub health: Health,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "admin.listen is set but {env} is not: the admin server needs a token of at least {MIN_TOKEN_CHARS} characters in that variable"
    )]
    MissingToken { env: String },
    #[error(
        "the admin token in {env} is too short: it needs at least {MIN_TOKEN_CHARS} characters"
    )]
    WeakToken { env: String },
    #[error("the admin server cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running admin server.
pub struct Serving {
    /// Where it listens (the configured port, or the one picked for port 0).
    pub addr: SocketAddr,
    pub task: JoinHandle<()>,
}

/// Listens on `cfg.listen` and serves until `stop`.
pub async fn serve(
    cfg: &AdminConfig,
    listen: SocketAddr,
    admin: Admin,
    stop: CancellationToken,
) -> Result<Serving, AdminError> {
    let env = cfg.token_env.clone();
    let token = match &cfg.token {
        None => return Err(AdminError::MissingToken { env }),
        Some(t) if t.expose().chars().count() < MIN_TOKEN_CHARS => {
            return Err(AdminError::WeakToken { env });
        }
        Some(t) => Arc::new(auth::Token::new(t.expose())),
    };
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| AdminError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| AdminError::Bind {
        addr: listen,
        source,
    })?;
    let admin = Arc::new(admin);
    let app = router(admin.clone(), token);
    let task = tokio::spawn(async move {
        let upkeep = tokio::spawn(upkeep(admin.metrics.clone()));
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        upkeep.abort();
        if let Err(e) = served {
            tracing::error!(error = %e, "the admin server stopped");
        }
    });
    Ok(Serving { addr, task })
}

fn router(admin: Arc<Admin>, token: Arc<auth::Token>) -> Router {
    let protected = Router::new()
        .route("/metrics", get(metrics_text))
        .route("/api/tenants", get(api_people::tenants))
        .route("/api/users", get(api_people::users))
        .route("/api/users/status", post(api_people::set_status))
        .route("/api/usage/top", get(api_people::top))
        .route("/api/queue", get(api_queue::queue))
        .route("/api/queue/users", get(api_queue::users))
        .route("/api/queue/dead", get(api_queue::dead))
        .route("/api/queue/dead/requeue", post(api_queue::requeue))
        .route("/api/queue/dead/delete", post(api_queue::delete))
        .route("/api/breakers", get(api_queue::breakers))
        .route("/api/breakers/reset", post(api_queue::reset_breaker))
        .route("/api/config", get(api_config::config))
        .route("/api/config/reload", post(api_config::reload))
        .route("/api/activity", get(activity::route))
        .route("/", get(dashboard::page))
        .route("/dashboard.js", get(dashboard::script))
        .route("/dashboard.css", get(dashboard::style))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(token, auth::require));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(protected)
        .with_state(admin)
}

/// Histogram samples are drained into buckets now and then, scraped or not.
async fn upkeep(metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        metrics.upkeep();
    }
}

async fn metrics_text(State(a): State<Arc<Admin>>) -> Response {
    let queue = match tokio::time::timeout(QUEUE_STATS_TIMEOUT, a.svc.queue.stats()).await {
        Ok(Ok(stats)) => Some(stats),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: the queue's figures are unavailable");
            None
        }
        Err(_) => {
            tracing::warn!("metrics: the queue's figures did not come in time");
            None
        }
    };
    let mut scrape = Scrape {
        queue,
        reload: a.reloader.last(),
        ..Scrape::default()
    };
    for (_, _, state, _) in a.svc.breakers().not_closed() {
        *scrape.breakers.entry(state.as_str()).or_default() += 1;
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        a.metrics.render(&scrape),
    )
        .into_response()
}

/// A failed API call: its status and a JSON `{"error": ...}`.
#[derive(Debug)]
pub(crate) enum ApiError {
    NotFound(String),
    BadRequest(String),
    Conflict(String),
    /// Storage or the queue failed; worth trying again.
    Unavailable(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
        };
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Invalid(m) => ApiError::BadRequest(m),
            other => ApiError::Unavailable(other.to_string()),
        }
    }
}

impl From<switchboard_queue::QueueError> for ApiError {
    fn from(e: switchboard_queue::QueueError) -> Self {
        match e {
            switchboard_queue::QueueError::NotFound => ApiError::NotFound("no such job".into()),
            switchboard_queue::QueueError::Invalid(m) => ApiError::BadRequest(m),
            other => ApiError::Unavailable(other.to_string()),
        }
    }
}

/// A page size from a query: `default` when absent, at most `max`.
pub(crate) fn page(limit: Option<usize>, default: usize, max: usize) -> usize {
    limit.unwrap_or(default).clamp(1, max)
}
