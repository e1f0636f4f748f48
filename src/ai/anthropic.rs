//! The Anthropic messages format (`POST {base}/messages`).

use serde::{Deserialize, Serialize};

use super::wire::{Answer, decode_error};
use crate::ai::{AiError, ChatMessage, ChatRequest};

/// The path under the provider's base URL.
pub(super) const PATH: &str = "messages";
/// The API version this client speaks (sent as `anthropic-version`).
pub(super) const VERSION: &str = "2023-06-01";

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    max_tokens: u32,
    /// The system prompt travels outside the messages in this API.
    #[serde(skip_serializing_if = "str::is_empty")]
    system: &'a str,
    messages: &'a [ChatMessage],
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    /// The end user, for the provider's abuse attribution.
    user_id: &'a str,
}

/// The JSON body for `req`.
pub(super) fn encode(req: &ChatRequest, max_tokens: u32) -> Result<Vec<u8>, AiError> {
    let body = Body {
        model: &req.model,
        max_tokens,
        system: &req.system,
        messages: &req.messages,
        metadata: (!req.user.is_empty()).then_some(Metadata { user_id: &req.user }),
    };
    serde_json::to_vec(&body).map_err(|e| AiError::Decode(format!("encoding the request: {e}")))
}

#[derive(Deserialize)]
struct Response {
    model: Option<String>,
    content: Vec<Block>,
    usage: Option<ResponseUsage>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    /// Present on `text` blocks.
    text: Option<String>,
}

#[derive(Deserialize)]
struct ResponseUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

/// The answer in a successful response body: the text blocks, concatenated.
pub(super) fn decode(body: &[u8]) -> Result<Answer, AiError> {
    let response: Response =
        serde_json::from_slice(body).map_err(|e| decode_error("message", &e))?;
    let mut text = String::new();
    for block in response.content.iter().filter(|b| b.kind == "text") {
        let part = block
            .text
            .as_deref()
            .ok_or_else(|| AiError::Decode("text block without text".into()))?;
        text.push_str(part);
    }
    let usage = response
        .usage
        .and_then(|u| Some((u.input_tokens?, u.output_tokens?)));
    Ok(Answer {
        text,
        model: response.model,
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::Role;

    #[test]
    fn encodes_system_apart_and_user_as_metadata() {
        let req = ChatRequest {
            provider: "p".into(),
            model: "claude-test".into(),
            system: "be brief".into(),
            messages: vec![ChatMessage {
                role: Role::User,
                content: "hi".into(),
            }],
            max_tokens: None,
            user: "discord:7".into(),
        };
        let body: serde_json::Value = serde_json::from_slice(&encode(&req, 100).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "model": "claude-test",
                "max_tokens": 100,
                "system": "be brief",
                "messages": [{"role": "user", "content": "hi"}],
                "metadata": {"user_id": "discord:7"},
            })
        );
    }

    #[test]
    fn decodes_concatenated_text_blocks_and_usage() {
        let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-test-1","content":[{"type":"text","text":"Hello, "},{"type":"tool_use","id":"t","name":"x","input":{}},{"type":"text","text":"world"}],"stop_reason":"end_turn","usage":{"input_tokens":20,"output_tokens":4}}"#;
        let answer = decode(body).unwrap();
        assert_eq!(answer.text, "Hello, world");
        assert_eq!(answer.model.as_deref(), Some("claude-test-1"));
        assert_eq!(answer.usage, Some((20, 4)));
    }

    #[test]
    fn bad_shapes_are_decode_errors() {
        for bad in [
            &br#"{"content":"text"}"#[..],
            br#"{"content":[{"type":"text"}]}"#,
            br#"{"type":"error"}"#,
            b"",
        ] {
            assert!(matches!(decode(bad), Err(AiError::Decode(_))), "{bad:?}");
        }
    }
}
