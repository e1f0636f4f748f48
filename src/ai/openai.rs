//! The OpenAI-compatible chat completions format (`POST {base}/chat/completions`), spoken by
//! OpenAI, OpenRouter, Ollama, vLLM and the llama.cpp server.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::note_tool::{self, Arguments, ToolCall, ToolTurn};
use super::wire::{Answer, Stage, decode_error};
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
    /// `save_note`, on a first request that offers notes; the follow-up offers nothing, so the
    /// model answers in text.
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Value>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Message<'a> {
    Text {
        role: &'static str,
        content: &'a str,
    },
    /// A message of a tool round, already in wire shape.
    Raw(Value),
}

/// The JSON body for `req` at `stage`.
pub(super) fn encode(
    req: &ChatRequest,
    max_tokens: u32,
    stage: Stage<'_>,
) -> Result<Vec<u8>, AiError> {
    let system = (!req.system.is_empty()).then(|| Message::Text {
        role: "system",
        content: &req.system,
    });
    let mut messages: Vec<_> = system
        .into_iter()
        .chain(req.messages.iter().map(|m| Message::Text {
            role: match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: &m.content,
        }))
        .collect();
    let tools = match stage {
        Stage::First => req.offer_notes.then(note_tool::openai_tools),
        Stage::FollowUp(round) => {
            messages.push(Message::Raw(round.echo.clone()));
            messages.extend(round.results.iter().map(|r| {
                Message::Raw(json!({"role": "tool", "tool_call_id": r.id, "content": r.content}))
            }));
            None
        }
    };
    let body = Body {
        model: &req.model,
        messages,
        max_tokens,
        user: &req.user,
        tools,
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
    /// Read leniently (see [`read_calls`]): a malformed call must not lose the answer.
    tool_calls: Option<Value>,
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
    let calls = read_calls(choice.message.tool_calls);
    let content = choice.message.content;
    if content.is_none() && calls.is_empty() {
        return Err(AiError::Decode(
            "chat completion has no message content".into(),
        ));
    }
    let tool_turn = (!calls.is_empty()).then(|| ToolTurn {
        echo: echo(content.as_deref(), &calls),
        calls,
    });
    let usage = response
        .usage
        .and_then(|u| Some((u.prompt_tokens?, u.completion_tokens?)));
    Ok(Answer {
        text: content.unwrap_or_default(),
        tool_turn,
        model: response.model,
        usage,
    })
}

/// The calls in `tool_calls`; entries without an id cannot be answered and are dropped.
fn read_calls(tool_calls: Option<Value>) -> Vec<ToolCall> {
    let Some(Value::Array(entries)) = tool_calls else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter_map(|mut entry| {
            let id = entry.get("id")?.as_str()?.to_owned();
            let function = entry.get_mut("function").map(Value::take);
            let mut function = function.unwrap_or(Value::Null);
            let name = function.get("name").and_then(Value::as_str);
            let name = name.unwrap_or_default().to_owned();
            let arguments = match function.get_mut("arguments").map(Value::take) {
                Some(Value::String(text)) => Arguments::Text(text),
                other => Arguments::Json(other.unwrap_or(Value::Null)),
            };
            Some(ToolCall {
                id,
                name,
                arguments,
            })
        })
        .collect()
}

/// The assistant message that asked for `calls`, to repeat before their results.
fn echo(content: Option<&str>, calls: &[ToolCall]) -> Value {
    let calls: Vec<_> = calls
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments.to_text()},
            })
        })
        .collect();
    json!({"role": "assistant", "content": content, "tool_calls": calls})
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
            offer_notes: false,
        }
    }

    #[test]
    fn encodes_system_first_then_conversation() {
        let body: serde_json::Value = serde_json::from_slice(
            &encode(&request("be brief", "telegram:1"), 64, Stage::First).unwrap(),
        )
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
            serde_json::from_slice(&encode(&request("", ""), 8, Stage::First).unwrap()).unwrap();
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

    #[test]
    fn offers_the_note_tool_only_on_a_first_request_that_asks() {
        let mut req = request("", "");
        let body = |req: &ChatRequest| -> Value {
            serde_json::from_slice(&encode(req, 8, Stage::First).unwrap()).unwrap()
        };
        assert!(body(&req).get("tools").is_none());
        req.offer_notes = true;
        assert_eq!(body(&req)["tools"], note_tool::openai_tools());
    }

    #[test]
    fn the_follow_up_repeats_the_calls_then_answers_each_without_tools() {
        let mut req = request("", "");
        req.offer_notes = true;
        let answer = decode(br#"{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"save_note","arguments":"{\"note\":\"likes tea\"}"}},{"id":"call_2","type":"function","function":{"name":"nope","arguments":"{}"}}]}}]}"#).unwrap();
        let round = note_tool::carry_out(answer.tool_turn.unwrap());
        let body: Value =
            serde_json::from_slice(&encode(&req, 8, Stage::FollowUp(&round)).unwrap()).unwrap();
        assert!(body.get("tools").is_none());
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 5);
        assert_eq!(
            messages[2],
            json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "save_note", "arguments": "{\"note\":\"likes tea\"}"}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "nope", "arguments": "{}"}},
            ]})
        );
        assert_eq!(
            messages[3],
            json!({"role": "tool", "tool_call_id": "call_1", "content": "saved"})
        );
        assert_eq!(
            messages[4],
            json!({"role": "tool", "tool_call_id": "call_2", "content": "ignored: unknown tool"})
        );
    }

    #[test]
    fn decodes_tool_calls_leniently() {
        let body = br#"{"choices":[{"message":{"content":"Sure.","tool_calls":[
            {"type":"function","function":{"name":"save_note","arguments":"{}"}},
            {"id":"b","function":{"name":"save_note","arguments":{"note":"as object"}}},
            {"id":"c"},
            "junk"
        ]}}]}"#;
        let answer = decode(body).unwrap();
        assert_eq!(answer.text, "Sure.");
        let turn = answer.tool_turn.unwrap();
        assert_eq!(
            turn.calls,
            [
                ToolCall {
                    id: "b".into(),
                    name: "save_note".into(),
                    arguments: Arguments::Json(json!({"note": "as object"})),
                },
                ToolCall {
                    id: "c".into(),
                    name: String::new(),
                    arguments: Arguments::Json(Value::Null),
                },
            ]
        );
        assert_eq!(turn.echo["content"], "Sure.");
        assert_eq!(
            turn.echo["tool_calls"][0]["function"]["arguments"],
            r#"{"note":"as object"}"#
        );
        let not_a_list = decode(br#"{"choices":[{"message":{"content":"ok","tool_calls":7}}]}"#);
        assert!(not_a_list.unwrap().tool_turn.is_none());
        let only_junk = br#"{"choices":[{"message":{"content":null,"tool_calls":[{"x":1}]}}]}"#;
        assert!(matches!(decode(only_junk), Err(AiError::Decode(_))));
    }
}
