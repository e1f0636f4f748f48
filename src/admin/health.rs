//! Health checks, the two routes that need no token: `/healthz` answers while the process serves
//! HTTP at all; `/readyz` answers 200 only when storage answers a ping, every platform receiver
//! (Telegram poller or webhook, Discord gateway) is still running, and the workers are all up,
//! and 503 otherwise, with each check in the JSON body either way.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use tokio::task::AbortHandle;

use super::Admin;

/// Longest a readiness check waits for storage.
const STORAGE_TIMEOUT: Duration = Duration::from_secs(2);

/// What readiness looks at besides storage.
pub struct Health {
    /// The platform receivers by name (`telegram:<bot>`, `discord`): running while not finished.
    pub receivers: Vec<(String, AbortHandle)>,
    /// Worker tasks alive now.
    pub workers_alive: Arc<AtomicUsize>,
    /// Worker tasks started.
    pub workers_started: usize,
}

#[derive(Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub storage: Check,
    pub platforms: Vec<Platform>,
    pub workers: Workers,
}

#[derive(Serialize)]
pub struct Check {
    pub ok: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize)]
pub struct Platform {
    pub name: String,
    pub running: bool,
}

#[derive(Serialize)]
pub struct Workers {
    pub ok: bool,
    pub running: usize,
    pub started: usize,
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(a): State<Arc<Admin>>) -> (StatusCode, Json<Readiness>) {
    let storage = match tokio::time::timeout(STORAGE_TIMEOUT, a.svc.store.ping()).await {
        Ok(Ok(())) => Check {
            ok: true,
            error: None,
        },
        Ok(Err(e)) => Check {
            ok: false,
            error: Some(e.to_string()),
        },
        Err(_) => Check {
            ok: false,
            error: Some(format!("no answer within {} s", STORAGE_TIMEOUT.as_secs())),
        },
    };
    let platforms: Vec<Platform> = a
        .health
        .receivers
        .iter()
        .map(|(name, task)| Platform {
            name: name.clone(),
            running: !task.is_finished(),
        })
        .collect();
    let running = a.health.workers_alive.load(Ordering::Relaxed);
    let workers = Workers {
        ok: running == a.health.workers_started && running > 0,
        running,
        started: a.health.workers_started,
    };
    let ready = storage.ok && workers.ok && platforms.iter().all(|p| p.running);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            ready,
            storage,
            platforms,
            workers,
        }),
    )
}
