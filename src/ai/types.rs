//! What the pipeline asks of an AI provider and what comes back, independent of the wire format
//! (OpenAI-compatible chat completions or Anthropic messages).

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    /// A provider name from config.
    pub provider: String,
    pub model: String,
    pub system: String,
    /// Oldest first; ends with the user's message(s).
    pub messages: Vec<ChatMessage>,
    /// At most this many output tokens (the provider's `max_tokens` if `None`).
    pub max_tokens: Option<u32>,
    /// The end user (OpenAI `user`, Anthropic `metadata.user_id`): lets providers attribute abuse,
    /// and lets the simulator's AI server inject faults per user.
    pub user: String,
    /// Offer the `save_note` tool so the model can remember something about the user; what it
    /// saves comes back in [`ChatResponse::notes`].
    pub offer_notes: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The provider reported no usage; these are estimates (about 4 characters per token).
    pub estimated: bool,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// Usage of several round trips of one completion: tokens add up, and the sum is an estimate
/// if any part was.
impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.estimated |= other.estimated;
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChatResponse {
    pub text: String,
    pub usage: Usage,
    /// USD, from the model's price table (0 for unpriced models).
    pub cost_usd: f64,
    /// The model that answered (as the provider reports it).
    pub model: String,
    /// Notes the model saved in this call with `save_note`, in order (always empty unless the
    /// request offered notes).
    pub notes: Vec<String>,
}

/// Why a completion failed, in terms a caller can act on.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AiError {
    /// 429 after the configured attempts: wait this long before asking this provider and model
    /// again (`None`: the provider did not say).
    #[error("rate limited by the provider (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// No answer in the configured time, after the configured attempts.
    #[error("the provider did not answer in time")]
    Timeout,
    /// 5xx after the configured attempts.
    #[error("the provider failed with status {status}")]
    Server { status: u16 },
    /// 4xx other than 429: retrying the same request will not help (bad key, unknown model...).
    #[error("the provider refused the request with status {status}: {message}")]
    Refused { status: u16, message: String },
    /// Connection trouble after the configured attempts.
    #[error("could not reach the provider: {0}")]
    Transport(String),
    /// The answer was not the expected JSON.
    #[error("unexpected answer from the provider: {0}")]
    Decode(String),
    /// No provider of that name in config.
    #[error("no provider named {0:?} in config")]
    UnknownProvider(String),
}

impl AiError {
    /// Worth trying the same job again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AiError::RateLimited { .. }
                | AiError::Timeout
                | AiError::Server { .. }
                | AiError::Transport(_)
        )
    }
}
