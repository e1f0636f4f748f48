//! The fake Telegram's HTTP side: `/{bot<token>}/{method}` for the Bot API (method names
//! compared case-insensitively, since teloxide sends `GetMe`), `/file/{bot<token>}/{path}` for
//! downloads, token checks, latency, call records, and the small methods (getMe, command menus,
//! getFile). Updates, webhooks and sends live in their own modules.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};

use super::config::FakeTelegramConfig;
use super::faults::TgError;
use super::params::Params;
use super::records::{BotCommand, Call};
use super::{Shared, polling, sends, webhook};

/// Telegram's limit for files a bot may download.
const MAX_DOWNLOAD: usize = 20 << 20;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{bot}/{method}", any(api))
        .route("/file/{bot}/{*path}", get(download))
        // Uploads up to Telegram's 50 MB.
        .layer(DefaultBodyLimit::max(64 << 20))
        .with_state(shared)
}

/// The answer in Telegram's shape; flood control also sets `Retry-After`.
fn answer(result: &Result<Value, TgError>) -> Response {
    match result {
        Ok(value) => (
            StatusCode::OK,
            axum::Json(json!({"ok": true, "result": value})),
        )
            .into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = (status, axum::Json(e.body())).into_response();
            if let Some(secs) = e.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }
}

/// The token in a `bot<token>` path segment, if the fake knows it.
fn known_token<'a>(cfg: &FakeTelegramConfig, segment: &'a str) -> Option<&'a str> {
    let token = segment.strip_prefix("bot")?;
    cfg.bots.iter().any(|b| b.token == token).then_some(token)
}

async fn api(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    let cfg = shared.config();
    if !cfg.latency.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(cfg.latency) => {}
            () = shared.stop.cancelled() => {}
        }
    }
    let Some(token) = known_token(&cfg, &bot) else {
        return answer(&Err(TgError::new(401, "Unauthorized")));
    };
    let bot_id = cfg
        .bots
        .iter()
        .find(|b| b.token == token)
        .map_or(0, |b| b.id());
    let params = Params::from_request(req).await;
    let (result, recorded) = match &params {
        Ok(params) => (
            route(&shared, &cfg, token, &method, params).await,
            params.to_json(),
        ),
        Err(description) => (Err(TgError::bad(description.clone())), Value::Null),
    };
    let response = answer(&result);
    shared.state().calls.push(Call {
        bot_id,
        method,
        params: recorded,
        status: response.status().as_u16(),
    });
    response
}

async fn route(
    shared: &Shared,
    cfg: &FakeTelegramConfig,
    token: &str,
    method: &str,
    params: &Params,
) -> Result<Value, TgError> {
    match method.to_ascii_lowercase().as_str() {
        "getme" => Ok(get_me(cfg, token)),
        "getupdates" => polling::get_updates(shared, cfg, token, params).await,
        "getwebhookinfo" => webhook::info(shared, token),
        "setwebhook" => webhook::set(shared, token, params),
        "deletewebhook" => webhook::delete(shared, token, params),
        "sendmessage" => sends::send_message(shared, cfg, token, params),
        "senddocument" => sends::send_document(shared, cfg, token, params),
        "sendchataction" => sends::send_chat_action(shared, cfg, params),
        "setmycommands" => set_my_commands(shared, token, params),
        "getmycommands" => get_my_commands(shared, token, params),
        "deletemycommands" => delete_my_commands(shared, token, params),
        "getfile" => get_file(shared, params),
        _ => Err(TgError::new(404, "Not Found")),
    }
}

/// `getMe` with every field teloxide requires (`has_main_web_app` included).
fn get_me(cfg: &FakeTelegramConfig, token: &str) -> Value {
    let Some(bot) = cfg.bots.iter().find(|b| b.token == token) else {
        return Value::Null;
    };
    json!({
        "id": bot.id(),
        "is_bot": true,
        "first_name": bot.first_name,
        "username": bot.username,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false,
    })
}

/// The key a command menu is stored under: the scope (empty for the default scope) and the
/// language (empty for all).
pub(super) fn menu_key(scope: Option<&Value>, language: Option<&str>) -> (String, String) {
    let scope = match scope {
        Some(s) if s.get("type").and_then(Value::as_str) != Some("default") => {
            let field = |k: &str| s.get(k).map(Value::to_string).unwrap_or_default();
            format!(
                "{}:{}:{}",
                field("type"),
                field("chat_id"),
                field("user_id")
            )
        }
        _ => String::new(),
    };
    (scope, language.unwrap_or_default().to_owned())
}

fn params_key(params: &Params) -> Result<(String, String), TgError> {
    let scope = params.json("scope")?;
    Ok(menu_key(
        scope.as_ref(),
        params.str("language_code").as_deref(),
    ))
}

fn set_my_commands(shared: &Shared, token: &str, params: &Params) -> Result<Value, TgError> {
    let list = params
        .json("commands")?
        .ok_or_else(|| TgError::bad("Bad Request: parameter \"commands\" is required"))?;
    let Value::Array(items) = list else {
        return Err(TgError::bad(
            "Bad Request: can't parse commands JSON object",
        ));
    };
    if items.len() > 100 {
        return Err(TgError::bad("Bad Request: BOT_COMMANDS_TOO_MUCH"));
    }
    let mut commands = Vec::with_capacity(items.len());
    for item in &items {
        let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default();
        let (command, description) = (text("command"), text("description"));
        let command_ok = (1..=32).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !command_ok {
            return Err(TgError::bad("Bad Request: BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(TgError::bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        commands.push(BotCommand {
            command: command.to_owned(),
            description: description.to_owned(),
        });
    }
    let key = params_key(params)?;
    let mut state = shared.state();
    let bot = state.bots.get_mut(token).ok_or_else(unauthorized)?;
    if commands.is_empty() {
        bot.commands.remove(&key);
    } else {
        bot.commands.insert(key, commands);
    }
    Ok(json!(true))
}

fn get_my_commands(shared: &Shared, token: &str, params: &Params) -> Result<Value, TgError> {
    let key = params_key(params)?;
    let state = shared.state();
    let bot = state.bots.get(token).ok_or_else(unauthorized)?;
    let list: Vec<Value> = bot
        .commands
        .get(&key)
        .into_iter()
        .flatten()
        .map(|c| json!({"command": c.command, "description": c.description}))
        .collect();
    Ok(Value::Array(list))
}

fn delete_my_commands(shared: &Shared, token: &str, params: &Params) -> Result<Value, TgError> {
    let key = params_key(params)?;
    let mut state = shared.state();
    let bot = state.bots.get_mut(token).ok_or_else(unauthorized)?;
    bot.commands.remove(&key);
    Ok(json!(true))
}

fn get_file(shared: &Shared, params: &Params) -> Result<Value, TgError> {
    let file_id = params.str("file_id").unwrap_or_default();
    let state = shared.state();
    let file = state
        .files
        .get(&file_id)
        .ok_or_else(|| TgError::bad("Bad Request: invalid file_id"))?;
    if file.bytes.len() > MAX_DOWNLOAD {
        return Err(TgError::bad("Bad Request: file is too big"));
    }
    Ok(json!({
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": file.bytes.len(),
        "file_path": file.file_path,
    }))
}

pub(super) fn unauthorized() -> TgError {
    TgError::new(401, "Unauthorized")
}

/// `GET /file/bot<token>/<file_path>`: the bytes of a registered file.
async fn download(
    State(shared): State<Arc<Shared>>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    let cfg = shared.config();
    if known_token(&cfg, &bot).is_none() {
        return answer(&Err(unauthorized()));
    }
    let bytes = shared
        .state()
        .files
        .values()
        .find(|f| f.file_path == path)
        .map(|f| f.bytes.clone());
    match bytes {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => answer(&Err(TgError::new(404, "Not Found"))),
    }
}
