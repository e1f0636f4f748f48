//! The AI client: OpenAI-compatible chat completions and Anthropic messages over one shared
//! reqwest client, with timeouts, retries and usage and cost accounting, and the `save_note`
//! tool through which a model can remember something about the user.

mod anthropic;
mod client;
mod endpoint;
mod estimate;
mod note_tool;
mod openai;
mod retry;
mod types;
mod wire;

pub use client::AiClient;
pub use estimate::tokens_for;
pub use types::*;
