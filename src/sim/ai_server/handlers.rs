//! The fake AI server's HTTP side: both APIs' routes, request parsing (400 with a JSON error for
//! malformed bodies), the configured faults, and the answers (text, or a `save_note` call).

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
use super::tools::{self, SAVE_NOTE};
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

/// A message in either API: `content` is a string or an array of parts with `text` (or
/// `null` on a chat completions assistant message that carries `tool_calls`).
#[derive(Deserialize)]
struct WireMessage {
    role: String,
    #[serde(default)]
    content: Value,
    tool_calls: Option<Value>,
}

#[derive(Deserialize)]
struct OpenAiRequest {
    model: String,
    messages: Vec<WireMessage>,
    max_tokens: Option<u32>,
    max_completion_tokens: Option<u32>,
    user: Option<String>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
}

#[derive(Deserialize)]
struct AnthropicRequest {
    model: String,
    /// Required by the real API, so required here.
    max_tokens: u32,
    system: Option<Value>,
    messages: Vec<WireMessage>,
    metadata: Option<AnthropicMetadata>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
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
    /// The system prompt's text (tests check what reached the model).
    system_prompt: String,
    max_tokens: Option<u32>,
    /// Characters of system prompt and messages (for usage).
    input_chars: u64,
    /// The text of the last user message (the answer is derived from it); tool results are
    /// not user text.
    last_user: String,
    /// Names of the offered tools; `None` when the request had no `tools` field.
    tools: Option<Vec<String>>,
    /// `tool_choice` says not to use tools.
    tools_forbidden: bool,
    /// Contents of the tool results, in order.
    tool_results: Vec<String>,
    /// The request ends with tool results: the follow-up after a tool call.
    after_tool_results: bool,
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
        system_prompt: parsed.system_prompt.clone(),
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
        tools: parsed.tools.clone(),
        tool_results: parsed.tool_results.clone(),
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

    let input_tokens = parsed.input_chars.div_ceil(4);
    let id = shared.answered.fetch_add(1, Ordering::Relaxed);
    if let Some(note) = parsed.note_to_save() {
        let arguments = tools::arguments(&note);
        let usage = config
            .report_usage
            .then(|| (input_tokens, tokens_for(&arguments)));
        let body = match api {
            Api::OpenAi => tools::openai_call(id, &parsed.model, &arguments, usage),
            Api::Anthropic => tools::anthropic_call(id, &parsed.model, &note, usage),
        };
        return (StatusCode::OK, axum::Json(body)).into_response();
    }
    let mut text = reply_text(&parsed.last_user, n, config.reply_words);
    if let Some(marker) = &config.silent_when
        && parsed.last_user.contains(marker.as_str())
    {
        text = "[silent]".into();
    } else if parsed.after_tool_results {
        text = tools::acknowledgement(&parsed.last_user, &text);
    }
    if let Some(prefix) = &config.reply_prefix {
        text = format!("{prefix}{text}");
    }
    let usage = config
        .report_usage
        .then(|| (input_tokens, tokens_for(&text)));
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
            parsed.set_tools(req.tools.as_deref(), req.tool_choice.as_ref());
            for m in &req.messages {
                let text = if m.content.is_null() && m.tool_calls.is_some() {
                    String::new()
                } else {
                    text_of(&m.content)?
                };
                if m.role == "system" || m.role == "developer" {
                    parsed.system = true;
                    parsed.input_chars += chars(&text);
                    parsed.system_prompt.push_str(&text);
                } else if m.role == "tool" {
                    parsed.add_tool_results(vec![text]);
                } else {
                    parsed.input_chars += tools::openai_argument_chars(m.tool_calls.as_ref());
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
            parsed.set_tools(req.tools.as_deref(), req.tool_choice.as_ref());
            if let Some(system) = &req.system {
                let text = text_of(system)?;
                parsed.system = !text.is_empty();
                parsed.input_chars += chars(&text);
                parsed.system_prompt = text;
            }
            for m in &req.messages {
                let text = text_of(&m.content)?;
                let blocks = tools::anthropic_blocks(&m.content);
                parsed.input_chars += blocks.tool_use_chars;
                if blocks.results.is_empty() {
                    parsed.add(&m.role, text);
                } else {
                    parsed.input_chars += chars(&text);
                    parsed.add_tool_results(blocks.results);
                }
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
            system_prompt: String::new(),
            max_tokens: None,
            input_chars: 0,
            last_user: String::new(),
            tools: None,
            tools_forbidden: false,
            tool_results: Vec::new(),
            after_tool_results: false,
        }
    }

    fn add(&mut self, role: &str, text: String) {
        self.messages += 1;
        self.input_chars += chars(&text);
        self.after_tool_results = false;
        if role == "user" {
            self.last_user = text;
        }
    }

    /// A message carrying tool results (a `tool` message, or a user turn of `tool_result`
    /// blocks).
    fn add_tool_results(&mut self, results: Vec<String>) {
        self.messages += 1;
        self.input_chars += results.iter().map(|r| chars(r)).sum::<u64>();
        self.tool_results.extend(results);
        self.after_tool_results = true;
    }

    fn set_tools(&mut self, tools: Option<&[Value]>, tool_choice: Option<&Value>) {
        self.tools = tools.map(tools::tool_names);
        self.tools_forbidden = tools::forbids_tools(tool_choice);
    }

    /// The note to save with a tool call instead of answering: `save_note` is offered and
    /// allowed, this is not already the follow-up, and the user asked to remember something.
    fn note_to_save(&self) -> Option<String> {
        let offered = self
            .tools
            .as_ref()
            .is_some_and(|names| names.iter().any(|n| n == SAVE_NOTE));
        if !offered || self.tools_forbidden || self.after_tool_results {
            return None;
        }
        tools::remembered(&self.last_user)
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
