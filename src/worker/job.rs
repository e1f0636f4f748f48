//! The payload of a chat job on the queue: everything a worker needs to answer, serialized as
//! JSON. Versioned so a rolling deploy can tell old payloads from new ones.

use serde::{Deserialize, Serialize};
use switchboard_platforms::Target;

use crate::store::ConversationKey;

/// Payload format version written by this build.
pub const JOB_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Answer a user's message.
    Reply,
    /// A scheduled check-in: the personality writes first (or, choosing silence, not at all).
    Heartbeat,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatJob {
    pub v: u32,
    pub kind: JobKind,
    /// Where the answer goes.
    pub target: Target,
    /// The message to thread the answer to (groups).
    pub reply_to: Option<String>,
    pub conversation: ConversationKey,
    /// The user message's seq in the conversation (coalesced answers cover it).
    pub seq: u64,
    /// The user's message, also in history (used if history lost it).
    pub text: String,
    /// The author's platform id: the one user the answer may mention.
    pub author_id: String,
    /// When ingress accepted it (queue-wait figures).
    pub enqueued_at_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("job payload is not valid JSON for this version: {0}")]
    Malformed(String),
    #[error("job payload version {0} is newer than this build understands")]
    TooNew(u32),
}

impl ChatJob {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<ChatJob, PayloadError> {
        let job: ChatJob =
            serde_json::from_slice(bytes).map_err(|e| PayloadError::Malformed(e.to_string()))?;
        if job.v > JOB_VERSION {
            return Err(PayloadError::TooNew(job.v));
        }
        Ok(job)
    }
}
