//! A fake AI service for `switchboard simulate` and for tests: a real HTTP server on 127.0.0.1
//! speaking both the OpenAI chat completions and the Anthropic messages APIs, with deterministic
//! answers and seeded, per-user faults (error rates, statuses, latency, silence) that can be
//! changed while it runs. Offered the `save_note` tool, it calls it when the user says
//! "remember that ...".

mod handlers;
mod replies;
#[cfg(test)]
mod tests;
mod tools;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio_util::sync::CancellationToken;

pub use replies::reply_text;

/// How the fake behaves. Changeable while running with [`FakeAi::set_config`].
#[derive(Clone, Debug)]
pub struct FakeAiConfig {
    /// Latency of every answer, plus uniform jitter up to `jitter`.
    pub latency: Duration,
    pub jitter: Duration,
    /// Probability (0..1) of a 500 answer for any request.
    pub error_rate: f64,
    /// Overrides per end user (the request's `user` / `metadata.user_id`).
    pub users: HashMap<String, UserFaults>,
    /// Words in each answer.
    pub reply_words: usize,
    /// Report usage in answers (false exercises the client's estimates).
    pub report_usage: bool,
    /// Seed for the fault dice (reproducible runs).
    pub seed: u64,
    /// Answer `[silent]` when the last user message contains this (a check-in the personality
    /// lets pass).
    pub silent_when: Option<String>,
    /// Put before every answer's text (tests of what AI output can do on a platform, such as
    /// mentions).
    pub reply_prefix: Option<String>,
}

impl Default for FakeAiConfig {
    /// Instant, faultless answers of 12 words with usage.
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            error_rate: 0.0,
            users: HashMap::new(),
            reply_words: 12,
            report_usage: true,
            seed: 0,
            silent_when: None,
            reply_prefix: None,
        }
    }
}

/// Faults for one end user, replacing the global settings for that user.
#[derive(Clone, Debug, Default)]
pub struct UserFaults {
    /// Probability (0..1) of an error answer (default: the global rate, or 1 when `status` is
    /// set).
    pub error_rate: Option<f64>,
    /// Latency instead of the global one (jitter still applies).
    pub latency: Option<Duration>,
    /// The error status (e.g. 429 or 503; default 500).
    pub status: Option<u16>,
    /// Sent as `Retry-After` (seconds) on error answers.
    pub retry_after_secs: Option<u64>,
    /// Never answer (until the server stops).
    pub timeout: bool,
}

/// Which API a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
}

/// What arrived in one well-formed request (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    pub api: Api,
    pub model: String,
    /// `user` (OpenAI) or `metadata.user_id` (Anthropic); empty when absent.
    pub user: String,
    /// Conversation messages, not counting the system prompt.
    pub messages: usize,
    /// A system prompt was sent.
    pub system: bool,
    /// The system prompt's text.
    pub system_prompt: String,
    pub max_tokens: Option<u32>,
    /// `Authorization: Bearer <something>` was sent.
    pub authorization: bool,
    /// A non-empty `x-api-key` was sent.
    pub api_key: bool,
    /// The `anthropic-version` header.
    pub anthropic_version: Option<String>,
    /// Names of the offered tools; `None` when the request had no `tools` field.
    pub tools: Option<Vec<String>>,
    /// Contents of the tool results the request carried, in order.
    pub tool_results: Vec<String>,
}

/// State shared by the handlers and the handle.
struct Shared {
    /// The current configuration (swapped whole by `set_config`).
    config: RwLock<Arc<FakeAiConfig>>,
    /// Well-formed requests, in arrival order.
    seen: Mutex<Vec<SeenRequest>>,
    /// Requests per user so far: numbers each user's requests for dice and answers.
    per_user: Mutex<HashMap<String, u64>>,
    /// Requests received on the API routes, malformed ones included.
    received: AtomicU64,
    /// Successful answers (numbers answer ids).
    answered: AtomicU64,
    /// Cancelled when the handle is dropped: stops the server and releases held requests.
    stop: CancellationToken,
}

impl Shared {
    fn config(&self) -> Arc<FakeAiConfig> {
        self.config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The number (0-based) of this request among `user`'s.
    fn next_for_user(&self, user: &str) -> u64 {
        let mut counts = self
            .per_user
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match counts.get_mut(user) {
            Some(n) => {
                *n += 1;
                *n - 1
            }
            None => {
                counts.insert(user.to_owned(), 1);
                0
            }
        }
    }

    fn record(&self, request: SeenRequest) {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(request);
    }
}

/// A running fake AI server; it stops when this handle is dropped.
pub struct FakeAi {
    /// Where it listens.
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeAi").field("addr", &self.addr).finish()
    }
}

impl FakeAi {
    /// Binds 127.0.0.1 on a free port and serves on a tokio task.
    pub async fn start(cfg: FakeAiConfig) -> std::io::Result<FakeAi> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: RwLock::new(Arc::new(cfg)),
            seen: Mutex::new(Vec::new()),
            per_user: Mutex::new(HashMap::new()),
            received: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            stop: CancellationToken::new(),
        });
        let app = handlers::router(Arc::clone(&shared));
        let stop = shared.stop.clone();
        let listener = listener.tap_io(|tcp| {
            // Small answers should not wait for Nagle's algorithm.
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "fake AI server stopped with an error");
            }
        });
        tracing::debug!(%addr, "fake AI server listening");
        Ok(FakeAi { addr, shared })
    }

    /// `http://127.0.0.1:<port>/v1`: the base URL for either provider kind.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Changes behaviour for requests that arrive from now on.
    pub fn set_config(&self, cfg: FakeAiConfig) {
        *self
            .shared
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(cfg);
    }

    /// The well-formed requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Requests received on the API routes so far, malformed ones included.
    pub fn request_count(&self) -> u64 {
        self.shared.received.load(Ordering::Relaxed)
    }
}

impl Drop for FakeAi {
    fn drop(&mut self) {
        self.shared.stop.cancel();
    }
}
