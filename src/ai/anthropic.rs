//! The Anthropic messages format (`POST {base}/messages`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::note_tool::{self, Arguments, ToolCall, ToolTurn};
use super::wire::{Answer, Stage, decode_error};
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
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata<'a>>,
    /// `save_note` when notes are offered. The follow-up offers it too, because this API
    /// refuses `tool_use` blocks in a request that defines no tools...
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Value>,
    /// ...but forbids using it there, so the model answers in text.
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Message<'a> {
    Chat(&'a ChatMessage),
    /// A turn of a tool round, already in wire shape.
    Raw(Value),
}

#[derive(Serialize)]
struct Metadata<'a> {
    /// The end user, for the provider's abuse attribution.
    user_id: &'a str,
}

/// The JSON body for `req` at `stage`.
pub(super) fn encode(
    req: &ChatRequest,
    max_tokens: u32,
    stage: Stage<'_>,
) -> Result<Vec<u8>, AiError> {
    let mut messages: Vec<_> = req.messages.iter().map(Message::Chat).collect();
    let (tools, tool_choice) = match stage {
        Stage::First => (req.offer_notes.then(note_tool::anthropic_tools), None),
        Stage::FollowUp(round) => {
            messages.push(Message::Raw(round.echo.clone()));
            let results: Vec<_> = round
                .results
                .iter()
                .map(|r| json!({"type": "tool_result", "tool_use_id": r.id, "content": r.content}))
                .collect();
            messages.push(Message::Raw(json!({"role": "user", "content": results})));
            (
                Some(note_tool::anthropic_tools()),
                Some(json!({"type": "none"})),
            )
        }
    };
    let body = Body {
        model: &req.model,
        max_tokens,
        system: &req.system,
        messages,
        metadata: (!req.user.is_empty()).then_some(Metadata { user_id: &req.user }),
        tools,
        tool_choice,
    };
    serde_json::to_vec(&body).map_err(|e| AiError::Decode(format!("encoding the request: {e}")))
}

#[derive(Deserialize)]
struct Response {
    model: Option<String>,
    /// Kept as values: a tool turn sends them back as received (thinking blocks included).
    content: Vec<Value>,
    usage: Option<ResponseUsage>,
}

#[derive(Deserialize)]
struct ResponseUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

/// The answer in a successful response body: the text blocks concatenated, and the
/// `tool_use` blocks as calls.
pub(super) fn decode(body: &[u8]) -> Result<Answer, AiError> {
    let response: Response =
        serde_json::from_slice(body).map_err(|e| decode_error("message", &e))?;
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut blocks = Vec::with_capacity(response.content.len());
    for block in response.content {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                let part = block
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or_else(|| AiError::Decode("text block without text".into()))?;
                text.push_str(part);
            }
            Some("tool_use") => match tool_use(&block) {
                Some(call) => calls.push(call),
                // Without an id it cannot be answered, so it is not sent back either.
                None => continue,
            },
            _ => {}
        }
        blocks.push(block);
    }
    let tool_turn = (!calls.is_empty()).then(|| ToolTurn {
        calls,
        echo: json!({"role": "assistant", "content": blocks}),
    });
    let usage = response
        .usage
        .and_then(|u| Some((u.input_tokens?, u.output_tokens?)));
    Ok(Answer {
        text,
        tool_turn,
        model: response.model,
        usage,
    })
}

/// The call in a `tool_use` block, if it has an id.
fn tool_use(block: &Value) -> Option<ToolCall> {
    Some(ToolCall {
        id: block.get("id")?.as_str()?.to_owned(),
        name: block
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        arguments: Arguments::Json(block.get("input").cloned().unwrap_or(Value::Null)),
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
            offer_notes: false,
        };
        let body: serde_json::Value =
            serde_json::from_slice(&encode(&req, 100, Stage::First).unwrap()).unwrap();
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

    fn notes_request() -> ChatRequest {
        ChatRequest {
            provider: "p".into(),
            model: "claude-test".into(),
            system: String::new(),
            messages: vec![ChatMessage {
                role: Role::User,
                content: "remember that I like tea".into(),
            }],
            max_tokens: None,
            user: String::new(),
            offer_notes: true,
        }
    }

    #[test]
    fn offers_the_note_tool_when_asked() {
        let mut req = notes_request();
        let body: Value = serde_json::from_slice(&encode(&req, 9, Stage::First).unwrap()).unwrap();
        assert_eq!(body["tools"], note_tool::anthropic_tools());
        assert!(body.get("tool_choice").is_none());
        req.offer_notes = false;
        let body: Value = serde_json::from_slice(&encode(&req, 9, Stage::First).unwrap()).unwrap();
        assert!(body.get("tools").is_none());
    }

    #[test]
    fn the_follow_up_repeats_the_blocks_as_received_and_answers_each_call() {
        let answer = decode(
            br#"{"content":[
            {"type":"thinking","thinking":"hm","signature":"sig"},
            {"type":"text","text":"Noting."},
            {"type":"tool_use","id":"tu_1","name":"save_note","input":{"note":"likes tea"}},
            {"type":"tool_use","name":"save_note","input":{"note":"no id"}},
            {"type":"tool_use","id":"tu_2","name":"save_note","input":"oops"}
        ]}"#,
        )
        .unwrap();
        assert_eq!(answer.text, "Noting.");
        let round = note_tool::carry_out(answer.tool_turn.unwrap());
        assert_eq!(round.notes, ["likes tea"]);
        let body: Value =
            serde_json::from_slice(&encode(&notes_request(), 9, Stage::FollowUp(&round)).unwrap())
                .unwrap();
        assert_eq!(body["tool_choice"], json!({"type": "none"}));
        assert_eq!(body["tools"], note_tool::anthropic_tools());
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(
            messages[1],
            json!({"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hm", "signature": "sig"},
                {"type": "text", "text": "Noting."},
                {"type": "tool_use", "id": "tu_1", "name": "save_note", "input": {"note": "likes tea"}},
                {"type": "tool_use", "id": "tu_2", "name": "save_note", "input": "oops"},
            ]})
        );
        assert_eq!(
            messages[2],
            json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "tu_1", "content": "saved"},
                {"type": "tool_result", "tool_use_id": "tu_2",
                 "content": "ignored: arguments are not a JSON object"},
            ]})
        );
    }

    #[test]
    fn answers_without_tool_use_have_no_tool_turn() {
        let answer = decode(br#"{"content":[{"type":"text","text":"hi"}]}"#).unwrap();
        assert!(answer.tool_turn.is_none());
    }
}
