//! The fake AI server's HTTP side: both APIs' routes, request parsing (400 with a JSON error for
//! malformed bodies), the configured faults, and the answers.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::Value;

use super::replies::{self, Dice, reply_text};
use super::{Api, SeenRequest, Shared};
use crate::ai::tokens_for;

/// The routes: `/v1/chat/completions` and `/v1/messages`.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/messages", post(messages))
        .with_state(shared)
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&shared, Api::OpenAi, &headers, &body).await
}

async fn messages(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    serve(&shared, Api::Anthropic, &headers, &body).await
}

/// A message in either API: `content` is a string or an array of parts with `text`.
#[derive(Deserialize)]
struct WireMessage {
    role: String,
    content: Value,
}

#[derive(Deserialize)]
struct OpenAiRequest {
    model: String,
    messages: Vec<WireMessage>,
    max_tokens: Option<u32>,
    max_completion_tokens: Option<u32>,
    user: Option<String>,
}

#[derive(Deserialize)]
struct AnthropicRequest {
    model: String,
    /// Required by the real API, so required here.
    max_tokens: u32,
    system: Option<Value>,
    messages: Vec<WireMessage>,
    metadata: Option<AnthropicMetadata>,
}

#[derive(Deserialize)]
struct AnthropicMetadata {
    user_id: Option<String>,
}

/// A request reduced to what the fake needs.
struct Parsed {
    model: String,
    user: String,
    /// Conversation messages (system prompts not counted).
    messages: usize,
    system: bool,
    max_tokens: Option<u32>,
    /// Characters of system prompt and messages (for usage).
    input_chars: u64,
    /// The text of the last user message (the answer is derived from it).
    last_user: String,
}

async fn serve(shared: &Shared, api: Api, headers: &HeaderMap, body: &[u8]) -> Response {
    shared.received.fetch_add(1, Ordering::Relaxed);
    let parsed = match parse(api, body) {
        Ok(p) => p,
        Err(why) => return error(api, 400, &why, None),
    };
    let n = shared.next_for_user(&parsed.user);
    shared.record(SeenRequest {
        api,
        model: parsed.model.clone(),
        user: parsed.user.clone(),
        messages: parsed.messages,
        system: parsed.system,
        max_tokens: parsed.max_tokens,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer ") && v.len() > "Bearer ".len()),
        api_key: headers.get("x-api-key").is_some_and(|v| !v.is_empty()),
        anthropic_version: headers
            .get("anthropic-version")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let config = shared.config();
    let faults = config.users.get(&parsed.user);
    let mut dice = Dice::new(config.seed, &parsed.user, n);

    if faults.is_some_and(|f| f.timeout) {
        shared.stop.cancelled().await;
        return error(api, 503, "fake AI server shutting down", None);
    }
    let latency = faults
        .and_then(|f| f.latency)
        .unwrap_or(config.latency)
        .saturating_add(config.jitter.mul_f64(dice.roll()));
    if !latency.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(latency) => {}
            () = shared.stop.cancelled() => {
                return error(api, 503, "fake AI server shutting down", None);
            }
        }
    }
    let fail_rate = faults
        .and_then(|f| f.error_rate.or(f.status.map(|_| 1.0)))
        .unwrap_or(config.error_rate);
    if dice.roll() < fail_rate {
        let status = faults.and_then(|f| f.status).unwrap_or(500);
        let message = format!("fake AI: injected status {status}");
        let retry_after = faults.and_then(|f| f.retry_after_secs);
        return error(api, status, &message, retry_after);
    }

    let text = reply_text(&parsed.last_user, n, config.reply_words);
    let usage = config
        .report_usage
        .then(|| (parsed.input_chars.div_ceil(4), tokens_for(&text)));
    let id = shared.answered.fetch_add(1, Ordering::Relaxed);
    let body = match api {
        Api::OpenAi => replies::openai_answer(id, &parsed.model, &text, usage),
        Api::Anthropic => replies::anthropic_answer(id, &parsed.model, &text, usage),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// An error answer in `api`'s shape, with `Retry-After` when given.
fn error(api: Api, status: u16, message: &str, retry_after_secs: Option<u64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match api {
        Api::OpenAi => replies::openai_error(code.as_u16(), message),
        Api::Anthropic => replies::anthropic_error(code.as_u16(), message),
    };
    let mut response = (code, axum::Json(body)).into_response();
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn parse(api: Api, body: &[u8]) -> Result<Parsed, String> {
    let invalid = |e: serde_json::Error| format!("invalid request body: {e}");
    let parsed = match api {
        Api::OpenAi => {
            let req: OpenAiRequest = serde_json::from_slice(body).map_err(invalid)?;
            let mut parsed = Parsed::new(req.model, req.user.unwrap_or_default());
            parsed.max_tokens = req.max_tokens.or(req.max_completion_tokens);
            for m in &req.messages {
                let text = text_of(&m.content)?;
                if m.role == "system" || m.role == "developer" {
                    parsed.system = true;
                    parsed.input_chars += chars(&text);
                } else {
                    parsed.add(&m.role, text);
                }
            }
            parsed
        }
        Api::Anthropic => {
            let req: AnthropicRequest = serde_json::from_slice(body).map_err(invalid)?;
            let user = req.metadata.and_then(|m| m.user_id).unwrap_or_default();
            let mut parsed = Parsed::new(req.model, user);
            parsed.max_tokens = Some(req.max_tokens);
            if let Some(system) = &req.system {
                let text = text_of(system)?;
                parsed.system = !text.is_empty();
                parsed.input_chars += chars(&text);
            }
            for m in &req.messages {
                parsed.add(&m.role, text_of(&m.content)?);
            }
            parsed
        }
    };
    if parsed.model.is_empty() {
        return Err("model must not be empty".into());
    }
    if parsed.messages == 0 {
        return Err("messages must not be empty".into());
    }
    Ok(parsed)
}

impl Parsed {
    fn new(model: String, user: String) -> Self {
        Self {
            model,
            user,
            messages: 0,
            system: false,
            max_tokens: None,
            input_chars: 0,
            last_user: String::new(),
        }
    }

    fn add(&mut self, role: &str, text: String) {
        self.messages += 1;
        self.input_chars += chars(&text);
        if role == "user" {
            self.last_user = text;
        }
    }
}

/// The text of a `content` value: a string, or the `text` of an array of parts.
fn text_of(content: &Value) -> Result<String, String> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => Ok(parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect()),
        _ => Err("message content must be a string or an array of parts".into()),
    }
}

fn chars(s: &str) -> u64 {
    s.chars().count() as u64
}
