//! The AI client: OpenAI-compatible chat completions and Anthropic messages over one shared
//! reqwest client, with timeouts, retries and usage and cost accounting.

mod anthropic;
mod client;
mod estimate;
mod openai;
mod retry;
mod types;
mod wire;

pub use client::AiClient;
pub use estimate::tokens_for;
pub use types::*;
