//! [`AiClient`]: one completion call against a configured provider, in either wire format, with a
//! timeout per attempt, retries for transient failures, and usage and cost on every answer.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::estimate::{cost_of, estimate_usage};
use super::wire::Answer;
use super::{anthropic, openai, retry};
use crate::ai::{AiError, ChatRequest, ChatResponse, Usage};
use crate::config::{Provider, ProviderKind};

/// Largest answer body read; a provider sending more is broken, not chatty.
const MAX_BODY_BYTES: usize = 8 << 20;

/// Calls AI providers. Cheap to share (`Arc`) between workers; it holds no per-call state.
pub struct AiClient {
    /// The process's one HTTP client: one connection pool for every provider.
    http: reqwest::Client,
    /// Configured providers by name, with their endpoint and headers prepared once.
    endpoints: BTreeMap<String, Endpoint>,
}

/// A provider ready to call.
struct Endpoint {
    provider: Provider,
    /// `{base_url}/chat/completions` or `{base_url}/messages`.
    url: String,
    /// Authentication and version headers, or why the key cannot be sent.
    headers: Result<HeaderMap, String>,
}

impl fmt::Debug for AiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for e in self.endpoints.values() {
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
        let endpoints = providers
            .iter()
            .map(|(name, p)| (name.clone(), Endpoint::new(p)))
            .collect();
        Self { http, endpoints }
    }

    /// Asks `req.provider` for a completion.
    pub async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, AiError> {
        let endpoint = self
            .endpoints
            .get(&req.provider)
            .ok_or_else(|| AiError::UnknownProvider(req.provider.clone()))?;
        let max_tokens = req.max_tokens.unwrap_or(endpoint.provider.max_tokens);
        let (body, decode): (_, Decoder) = match endpoint.provider.kind {
            ProviderKind::OpenAi => (openai::encode(req, max_tokens)?, openai::decode),
            ProviderKind::Anthropic => (anthropic::encode(req, max_tokens)?, anthropic::decode),
        };
        let answer = self
            .send(endpoint, &req.model, body.into())
            .await
            .and_then(|body| decode(&body))
            .inspect_err(|e| log_failure(&req.provider, &req.model, e))?;
        let usage = match answer.usage {
            Some((input_tokens, output_tokens)) => Usage {
                input_tokens,
                output_tokens,
                estimated: false,
            },
            None => estimate_usage(req, &answer.text),
        };
        Ok(ChatResponse {
            cost_usd: self.cost(&req.provider, &req.model, &usage),
            model: answer.model.unwrap_or_else(|| req.model.clone()),
            text: answer.text,
            usage,
        })
    }

    /// USD for `usage` on provider/model from the price table (0.0 if unpriced or unknown).
    pub fn cost(&self, provider: &str, model: &str, usage: &Usage) -> f64 {
        self.endpoints
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

impl Endpoint {
    fn new(provider: &Provider) -> Self {
        let base = provider.base_url.trim_end_matches('/');
        let path = match provider.kind {
            ProviderKind::OpenAi => openai::PATH,
            ProviderKind::Anthropic => anthropic::PATH,
        };
        Self {
            url: format!("{base}/{path}"),
            headers: auth_headers(provider),
            provider: provider.clone(),
        }
    }
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

/// The headers every request to `provider` carries; the key is marked sensitive so no `Debug`
/// of a request or header map shows it.
fn auth_headers(provider: &Provider) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let bad_key = || {
        format!(
            "the API key of provider {} (from {}) is not a valid HTTP header value",
            provider.name,
            provider.api_key_env.as_deref().unwrap_or("config")
        )
    };
    let key = provider.api_key.as_ref().map(|k| k.expose());
    match provider.kind {
        ProviderKind::OpenAi => {
            if let Some(key) = key {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| bad_key())?;
                value.set_sensitive(true);
                headers.insert(reqwest::header::AUTHORIZATION, value);
            }
        }
        ProviderKind::Anthropic => {
            if let Some(key) = key {
                let mut value = HeaderValue::from_str(key).map_err(|_| bad_key())?;
                value.set_sensitive(true);
                headers.insert("x-api-key", value);
            }
            headers.insert(
                "anthropic-version",
                HeaderValue::from_static(anthropic::VERSION),
            );
        }
    }
    Ok(headers)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use std::time::Duration;

    fn provider(kind: ProviderKind, base_url: &str, key: Option<&str>) -> Provider {
        Provider {
            name: "p".into(),
            kind,
            base_url: base_url.into(),
            api_key: key.map(Secret::new),
            api_key_env: Some("P_KEY".into()),
            timeout: Duration::from_secs(1),
            max_tokens: 10,
            attempts: 1,
            models: BTreeMap::new(),
        }
    }

    #[test]
    fn endpoint_urls_ignore_trailing_slashes() {
        let e = Endpoint::new(&provider(ProviderKind::OpenAi, "http://h/v1//", None));
        assert_eq!(e.url, "http://h/v1/chat/completions");
        let e = Endpoint::new(&provider(ProviderKind::Anthropic, "http://h/v1", None));
        assert_eq!(e.url, "http://h/v1/messages");
    }

    #[test]
    fn headers_per_kind() {
        let h = auth_headers(&provider(ProviderKind::OpenAi, "x", Some("k1"))).unwrap();
        assert_eq!(h["authorization"], "Bearer k1");
        assert!(h["authorization"].is_sensitive());
        let h = auth_headers(&provider(ProviderKind::Anthropic, "x", Some("k2"))).unwrap();
        assert_eq!(h["x-api-key"], "k2");
        assert_eq!(h["anthropic-version"], "2023-06-01");
        assert!(!h.contains_key("authorization"));
        let h = auth_headers(&provider(ProviderKind::Anthropic, "x", None)).unwrap();
        assert!(!h.contains_key("x-api-key"));
    }

    #[test]
    fn a_key_that_cannot_be_a_header_is_reported_without_the_key() {
        let err = auth_headers(&provider(ProviderKind::OpenAi, "x", Some("bad\nkey"))).unwrap_err();
        assert!(err.contains("P_KEY"), "{err}");
        assert!(!err.contains("bad"), "{err}");
    }
}
