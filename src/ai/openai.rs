//! The OpenAI-compatible chat completions format (`POST {base}/chat/completions`), spoken by
//! OpenAI, OpenRouter, Ollama, vLLM and the llama.cpp server.

use serde::{Deserialize, Serialize};

use super::wire::{Answer, decode_error};
use crate::ai::{AiError, ChatRequest, Role};

/// The path under the provider's base URL.
pub(super) const PATH: &str = "chat/completions";

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    /// The system prompt first, then the conversation.
    messages: Vec<Message<'a>>,
    max_tokens: u32,
    /// The end user, for the provider's abuse attribution.
    #[serde(skip_serializing_if = "str::is_empty")]
    user: &'a str,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
}

/// The JSON body for `req`.
pub(super) fn encode(req: &ChatRequest, max_tokens: u32) -> Result<Vec<u8>, AiError> {
    let system = (!req.system.is_empty()).then(|| Message {
        role: "system",
        content: &req.system,
    });
    let messages = system
        .into_iter()
        .chain(req.messages.iter().map(|m| Message {
            role: match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: &m.content,
        }))
        .collect();
    let body = Body {
        model: &req.model,
        messages,
        max_tokens,
        user: &req.user,
    };
    serde_json::to_vec(&body).map_err(|e| AiError::Decode(format!("encoding the request: {e}")))
}

#[derive(Deserialize)]
struct Response {
    model: Option<String>,
    choices: Vec<Choice>,
    usage: Option<ResponseUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ResponseMessage,
}

#[derive(Deserialize)]
struct ResponseMessage {
    /// `null` when the model answered with tool calls or a refusal only.
    content: Option<String>,
}

#[derive(Deserialize)]
struct ResponseUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

/// The answer in a successful response body.
pub(super) fn decode(body: &[u8]) -> Result<Answer, AiError> {
    let response: Response =
        serde_json::from_slice(body).map_err(|e| decode_error("chat completion", &e))?;
    let choice = response
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| AiError::Decode("chat completion has no choices".into()))?;
    let text = choice
        .message
        .content
        .ok_or_else(|| AiError::Decode("chat completion has no message content".into()))?;
    let usage = response
        .usage
        .and_then(|u| Some((u.prompt_tokens?, u.completion_tokens?)));
    Ok(Answer {
        text,
        model: response.model,
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::ChatMessage;

    fn request(system: &str, user: &str) -> ChatRequest {
        ChatRequest {
            provider: "p".into(),
            model: "gpt-test".into(),
            system: system.into(),
            messages: vec![
                ChatMessage {
                    role: Role::User,
                    content: "hi".into(),
                },
                ChatMessage {
                    role: Role::Assistant,
                    content: "hello".into(),
                },
            ],
            max_tokens: None,
            user: user.into(),
        }
    }

    #[test]
    fn encodes_system_first_then_conversation() {
        let body: serde_json::Value =
            serde_json::from_slice(&encode(&request("be brief", "telegram:1"), 64).unwrap())
                .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "model": "gpt-test",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello"},
                ],
                "max_tokens": 64,
                "user": "telegram:1",
            })
        );
    }

    #[test]
    fn leaves_out_empty_system_and_user() {
        let body: serde_json::Value =
            serde_json::from_slice(&encode(&request("", ""), 8).unwrap()).unwrap();
        assert_eq!(body["messages"].as_array().unwrap().len(), 2);
        assert!(body.get("user").is_none());
    }

    #[test]
    fn decodes_text_model_and_usage() {
        let body = br#"{"id":"x","model":"gpt-test-2024","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#;
        let answer = decode(body).unwrap();
        assert_eq!(answer.text, "Hi!");
        assert_eq!(answer.model.as_deref(), Some("gpt-test-2024"));
        assert_eq!(answer.usage, Some((12, 3)));
    }

    #[test]
    fn missing_usage_is_none_and_bad_shapes_are_decode_errors() {
        let answer = decode(br#"{"choices":[{"message":{"content":"ok"}}]}"#).unwrap();
        assert_eq!(answer.usage, None);
        assert_eq!(answer.model, None);
        for bad in [
            &br#"{"choices":[]}"#[..],
            br#"{"choices":[{"message":{"content":null}}]}"#,
            br#"{"error":"nope"}"#,
            b"<html>",
        ] {
            assert!(matches!(decode(bad), Err(AiError::Decode(_))), "{bad:?}");
        }
    }
}
