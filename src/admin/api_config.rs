//! The JSON API about the config: the resolved config as it runs (every secret `***`), the file a
//! reload reads, and the last reload's outcome; and a reload on request, answered with that
//! outcome (422 when the new file is refused and the old config stays).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::{Admin, ApiError};
use crate::config::Config;
use crate::reload::{ReloadStatus, Trigger};

#[derive(Serialize)]
pub struct ConfigView {
    /// The running config.
    pub config: Config,
    /// The file reloads read (null: started from a config built in memory; no reloads).
    pub watching: Option<String>,
    /// The last reload (null: none since start).
    pub last_reload: Option<ReloadStatus>,
}

pub async fn config(State(a): State<Arc<Admin>>) -> Json<ConfigView> {
    Json(ConfigView {
        config: Config::clone(&a.svc.config()),
        watching: a.reloader.path().map(|p| p.display().to_string()),
        last_reload: a.reloader.last(),
    })
}

pub async fn reload(
    State(a): State<Arc<Admin>>,
) -> Result<(StatusCode, Json<ReloadStatus>), ApiError> {
    let Some(status) = a.reloader.reload(Trigger::Api).await else {
        return Err(ApiError::Conflict(
            "this service was not started from a config file; there is nothing to reload".into(),
        ));
    };
    let code = if status.ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((code, Json(status)))
}
