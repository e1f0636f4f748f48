//! [`AiClient`]: one completion call against a configured provider, in either wire format, with a
//! timeout per attempt, retries for transient failures, and usage and cost on every answer. A
//! completion that offers notes may take two round trips: the model's `save_note` calls, then
//! its answer once it has their results.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::endpoint::Endpoint;
use super::estimate::{cost_of, estimate_usage};
use super::note_tool;
use super::wire::{Answer, Stage};
use super::{anthropic, openai, retry};
use crate::ai::{AiError, ChatRequest, ChatResponse, Usage};
use crate::config::{Provider, ProviderKind};

/// Largest answer body read; a provider sending more is broken, not chatty.
const MAX_BODY_BYTES: usize = 8 << 20;

/// Calls AI providers. Cheap to share (`Arc`) between workers; it holds no per-call state.
pub struct AiClient {
    /// The process's one HTTP client: one connection pool for every provider.
    http: reqwest::Client,
    /// Configured providers by name, with their endpoint and headers prepared once per config
    /// (replaced whole by a config reload; calls under way keep the set they started with).
    endpoints: ArcSwap<BTreeMap<String, Endpoint>>,
}

impl fmt::Debug for AiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for e in self.endpoints.load().values() {
            list.entry(&format_args!(
                "{} ({:?} {}, key {}, {} models)",
                e.provider.name,
                e.provider.kind,
                e.url,
                if e.provider.api_key.is_some() {
                    "set"
                } else {
                    "unset"
                },
                e.provider.models.len()
            ));
        }
        list.finish()
    }
}

fn endpoints(providers: &BTreeMap<String, Provider>) -> BTreeMap<String, Endpoint> {
    providers
        .iter()
        .map(|(name, p)| (name.clone(), Endpoint::new(p)))
        .collect()
}

/// Encodes a request in one wire format.
type Encoder = fn(&ChatRequest, u32, Stage<'_>) -> Result<Vec<u8>, AiError>;
/// Reads a successful answer body in one wire format.
type Decoder = fn(&[u8]) -> Result<Answer, AiError>;

/// How one attempt ended.
enum Attempt {
    /// Any HTTP status, with its headers (kept for non-success only) and body.
    Answered {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    TimedOut,
    /// Connection or protocol trouble; `retryable` is false for requests that cannot be built.
    Transport {
        message: String,
        retryable: bool,
    },
    TooLarge,
}

impl AiClient {
    /// `http` is the process's one shared reqwest client (rustls).
    pub fn new(http: reqwest::Client, providers: &BTreeMap<String, Provider>) -> Self {
        Self {
            http,
            endpoints: ArcSwap::from_pointee(endpoints(providers)),
        }
    }

    /// Takes the providers of a reloaded config: the next calls use them.
    pub fn reconfigure(&self, providers: &BTreeMap<String, Provider>) {
        self.endpoints.store(Arc::new(endpoints(providers)));
    }

    /// Asks `req.provider` for a completion. When the request offers notes and the model calls
    /// `save_note`, one follow-up request carries the results and its answer is the text; calls
    /// in that follow-up are not carried out.
    pub async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, AiError> {
        let endpoints = self.endpoints.load_full();
        let endpoint = endpoints
            .get(&req.provider)
            .ok_or_else(|| AiError::UnknownProvider(req.provider.clone()))?;
        let mut first = self.exchange(endpoint, req, Stage::First).await?;
        let turn = first.tool_turn.take();
        let argument_chars = turn.as_ref().map_or(0, |t| {
            t.calls.iter().map(|c| chars(&c.arguments.to_text())).sum()
        });
        let mut usage = usage_of(req, &first, 0, chars(&first.text) + argument_chars);
        let turn = match turn {
            None => return Ok(self.response(req, first.text, first.model, usage, Vec::new())),
            Some(turn) if req.offer_notes => turn,
            // Calls to tools that were not offered are not answered; the text must stand alone.
            Some(_) => {
                let text = spoken(first.text, String::new())
                    .inspect_err(|e| log_failure(&req.provider, &req.model, e))?;
                return Ok(self.response(req, text, first.model, usage, Vec::new()));
            }
        };
        let round = note_tool::carry_out(turn);
        tracing::debug!(
            provider = %req.provider,
            model = %req.model,
            calls = round.results.len(),
            notes = round.notes.len(),
            "ai tool round"
        );
        let second = self
            .exchange(endpoint, req, Stage::FollowUp(&round))
            .await?;
        let extra_input = chars(&first.text) + round.chars();
        usage += usage_of(req, &second, extra_input, chars(&second.text));
        let text = spoken(second.text, first.text)
            .inspect_err(|e| log_failure(&req.provider, &req.model, e))?;
        let model = second.model.or(first.model);
        Ok(self.response(req, text, model, usage, round.notes))
    }

    /// One request of a completion at `stage`, with retries, decoded.
    async fn exchange(
        &self,
        endpoint: &Endpoint,
        req: &ChatRequest,
        stage: Stage<'_>,
    ) -> Result<Answer, AiError> {
        let max_tokens = req.max_tokens.unwrap_or(endpoint.provider.max_tokens);
        let (encode, decode): (Encoder, Decoder) = match endpoint.provider.kind {
            ProviderKind::OpenAi => (openai::encode, openai::decode),
            ProviderKind::Anthropic => (anthropic::encode, anthropic::decode),
        };
        let body = encode(req, max_tokens, stage)?;
        self.send(endpoint, &req.model, body.into())
            .await
            .and_then(|body| decode(&body))
            .inspect_err(|e| log_failure(&req.provider, &req.model, e))
    }

    /// The completion's response, priced.
    fn response(
        &self,
        req: &ChatRequest,
        text: String,
        model: Option<String>,
        usage: Usage,
        notes: Vec<String>,
    ) -> ChatResponse {
        ChatResponse {
            cost_usd: self.cost(&req.provider, &req.model, &usage),
            model: model.unwrap_or_else(|| req.model.clone()),
            text,
            usage,
            notes,
        }
    }

    /// USD for `usage` on provider/model from the price table (0.0 if unpriced or unknown).
    pub fn cost(&self, provider: &str, model: &str, usage: &Usage) -> f64 {
        self.endpoints
            .load()
            .get(provider)
            .and_then(|e| e.provider.models.get(model))
            .map_or(0.0, |price| cost_of(price, usage))
    }

    /// Posts `body` until it succeeds, fails for good, or the attempts run out; the body of a
    /// successful answer.
    async fn send(&self, endpoint: &Endpoint, model: &str, body: Bytes) -> Result<Bytes, AiError> {
        let headers = endpoint.headers.as_ref().map_err(|why| AiError::Refused {
            status: 0,
            message: why.clone(),
        })?;
        let provider = endpoint.provider.name.as_str();
        let attempts = endpoint.provider.attempts.max(1);
        let mut attempt = 1;
        loop {
            let started = Instant::now();
            let outcome = self.attempt(endpoint, headers, body.clone()).await;
            let latency_ms = started.elapsed().as_millis() as u64;
            let last = attempt >= attempts;
            let wait = match outcome {
                Attempt::Answered { status, body, .. } if status.is_success() => {
                    tracing::debug!(
                        provider,
                        model,
                        status = status.as_u16(),
                        attempt,
                        latency_ms,
                        bytes = body.len(),
                        "ai answer"
                    );
                    return Ok(body);
                }
                Attempt::Answered {
                    status,
                    headers,
                    body,
                } => {
                    let code = status.as_u16();
                    tracing::debug!(
                        provider,
                        model,
                        status = code,
                        attempt,
                        latency_ms,
                        "ai error status"
                    );
                    let secret = endpoint.provider.api_key.as_ref().map(|k| k.expose());
                    retry::after_status(status, &headers, &body, attempt, last, secret)?
                }
                Attempt::TimedOut => {
                    tracing::debug!(provider, model, attempt, latency_ms, "ai attempt timed out");
                    if last {
                        return Err(AiError::Timeout);
                    }
                    retry::backoff(attempt)
                }
                Attempt::Transport { message, retryable } => {
                    tracing::debug!(provider, model, attempt, latency_ms, error = %message, "ai transport error");
                    if last || !retryable {
                        return Err(AiError::Transport(message));
                    }
                    retry::backoff(attempt)
                }
                Attempt::TooLarge => {
                    tracing::debug!(provider, model, attempt, latency_ms, "ai answer too large");
                    return Err(AiError::Decode(format!(
                        "answer larger than {} MiB",
                        MAX_BODY_BYTES >> 20
                    )));
                }
            };
            tracing::debug!(
                provider,
                model,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "ai retry"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One POST, bounded by the provider's timeout from connecting to the last body byte.
    async fn attempt(&self, endpoint: &Endpoint, headers: &HeaderMap, body: Bytes) -> Attempt {
        let exchange = async {
            let mut response = self
                .http
                .post(&endpoint.url)
                .headers(headers.clone())
                .body(body)
                .send()
                .await?;
            let status = response.status();
            let headers = if status.is_success() {
                HeaderMap::new()
            } else {
                response.headers().clone()
            };
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Ok(Attempt::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>(Attempt::Answered {
                status,
                headers,
                body: body.into(),
            })
        };
        match tokio::time::timeout(endpoint.provider.timeout, exchange).await {
            Err(_) => Attempt::TimedOut,
            Ok(Ok(attempt)) => attempt,
            Ok(Err(e)) if e.is_timeout() => Attempt::TimedOut,
            Ok(Err(e)) => Attempt::Transport {
                retryable: !e.is_builder(),
                message: describe(e),
            },
        }
    }
}

/// The usage `answer` reports, or an estimate: the request plus `extra_input_chars` in,
/// `output_chars` out.
fn usage_of(
    req: &ChatRequest,
    answer: &Answer,
    extra_input_chars: u64,
    output_chars: u64,
) -> Usage {
    match answer.usage {
        Some((input_tokens, output_tokens)) => Usage {
            input_tokens,
            output_tokens,
            estimated: false,
        },
        None => estimate_usage(req, extra_input_chars, output_chars),
    }
}

/// The text to answer with after a tool turn: `text`, else `earlier` (what the model said
/// along with its calls); a tool turn with no words at all is not an answer.
fn spoken(text: String, earlier: String) -> Result<String, AiError> {
    if !text.trim().is_empty() {
        Ok(text)
    } else if !earlier.trim().is_empty() {
        Ok(earlier)
    } else {
        Err(AiError::Decode(
            "the model called tools but gave no answer text".into(),
        ))
    }
}

fn chars(s: &str) -> u64 {
    s.chars().count() as u64
}

/// One line per failed completion: routine rate limiting at info, the rest at warn.
fn log_failure(provider: &str, model: &str, error: &AiError) {
    match error {
        AiError::RateLimited { retry_after } => {
            let retry_after_ms = retry_after.map(|d| d.as_millis() as u64);
            tracing::info!(provider, model, ?retry_after_ms, "ai rate limited");
        }
        _ => tracing::warn!(provider, model, error = %error, "ai completion failed"),
    }
}

/// A transport error with its causes (reqwest's own message alone is often just "error sending
/// request"), without the URL.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
