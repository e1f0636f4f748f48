//! The fake AI server's side of the `save_note` tool: it calls the tool when one is offered and
//! the user says "remember that ...", acknowledges once the result comes back, and reads the
//! tool parts of requests (offered tools, calls being repeated, results) in both APIs.

use serde_json::{Value, json};

use super::replies::ReportedUsage;

/// The only tool the fake knows how to use.
pub(super) const SAVE_NOTE: &str = "save_note";

/// What makes the fake save a note (matched ignoring ASCII case).
const CUE: &str = "remember that ";

/// The note in `text`: what follows "remember that " up to the end of that sentence or line,
/// trimmed (`None` without the cue or with nothing after it).
pub(super) fn remembered(text: &str) -> Option<String> {
    // ASCII lowercasing keeps byte offsets, so `at` indexes `text` too.
    let at = text.to_ascii_lowercase().find(CUE)? + CUE.len();
    let rest = &text[at..];
    let end = rest.find(['.', '!', '?', '\n']).unwrap_or(rest.len());
    let note = rest[..end].trim();
    (!note.is_empty()).then(|| note.to_owned())
}

/// The answer after the tool results came back: an acknowledgement of what the user asked to
/// remember, then the usual words.
pub(super) fn acknowledgement(last_user: &str, reply: &str) -> String {
    let ack = match remembered(last_user) {
        Some(note) => format!("Noted: {note}. {reply}"),
        None => format!("Noted. {reply}"),
    };
    ack.trim_end().to_owned()
}

/// The arguments of a `save_note` call, as JSON text.
pub(super) fn arguments(note: &str) -> String {
    json!({ "note": note }).to_string()
}

/// The names of the tools in a `tools` array (chat completions nest them under `function`).
pub(super) fn tool_names(tools: &[Value]) -> Vec<String> {
    tools
        .iter()
        .filter_map(|t| {
            t.get("function")
                .and_then(|f| f.get("name"))
                .or_else(|| t.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// `tool_choice` forbids tools: `"none"` (chat completions) or `{"type": "none"}` (messages).
pub(super) fn forbids_tools(tool_choice: Option<&Value>) -> bool {
    tool_choice.is_some_and(|c| c == "none" || c.get("type").is_some_and(|t| t == "none"))
}

/// Characters of the arguments in a chat completions `tool_calls` array.
pub(super) fn openai_argument_chars(tool_calls: Option<&Value>) -> u64 {
    let Some(Value::Array(calls)) = tool_calls else {
        return 0;
    };
    calls
        .iter()
        .filter_map(|c| c.get("function")?.get("arguments")?.as_str())
        .map(chars)
        .sum()
}

/// The tool parts of a messages `content` array.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Blocks {
    /// Characters of the `tool_use` inputs, as compact JSON.
    pub tool_use_chars: u64,
    /// The contents of the `tool_result` blocks, in order.
    pub results: Vec<String>,
}

pub(super) fn anthropic_blocks(content: &Value) -> Blocks {
    let mut blocks = Blocks::default();
    let Value::Array(parts) = content else {
        return blocks;
    };
    for part in parts {
        match part.get("type").and_then(Value::as_str) {
            Some("tool_use") => {
                let input = part.get("input").unwrap_or(&Value::Null);
                blocks.tool_use_chars += chars(&input.to_string());
            }
            Some("tool_result") => blocks.results.push(match part.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(inner)) => inner
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect(),
                _ => String::new(),
            }),
            _ => {}
        }
    }
    blocks
}

/// A chat completion that calls `save_note` with `arguments`.
pub(super) fn openai_call(id: u64, model: &str, arguments: &str, usage: ReportedUsage) -> Value {
    let mut body = super::replies::openai_answer(id, model, "", usage);
    body["choices"][0]["message"] = json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{
            "id": format!("call_fake_{id}"),
            "type": "function",
            "function": {"name": SAVE_NOTE, "arguments": arguments},
        }],
    });
    body["choices"][0]["finish_reason"] = json!("tool_calls");
    body
}

/// A messages answer that uses `save_note` for `note`.
pub(super) fn anthropic_call(id: u64, model: &str, note: &str, usage: ReportedUsage) -> Value {
    let mut body = super::replies::anthropic_answer(id, model, "", usage);
    body["content"] = json!([{
        "type": "tool_use",
        "id": format!("toolu_fake_{id}"),
        "name": SAVE_NOTE,
        "input": {"note": note},
    }]);
    body["stop_reason"] = json!("tool_use");
    body
}

fn chars(s: &str) -> u64 {
    s.chars().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_run_from_the_cue_to_the_end_of_the_sentence() {
        let note = |t: &str| remembered(t);
        assert_eq!(
            note("Please remember that I am vegetarian."),
            Some("I am vegetarian".into())
        );
        assert_eq!(
            note("REMEMBER THAT  tea > coffee! Also hi"),
            Some("tea > coffee".into())
        );
        assert_eq!(
            note("ok\nremember that Zoë likes jazz\nthanks"),
            Some("Zoë likes jazz".into())
        );
        assert_eq!(note("Ünïcode first, remember that x"), Some("x".into()));
        assert_eq!(note("remember that ."), None);
        assert_eq!(note("I remember the war"), None);
    }

    #[test]
    fn acknowledges_the_note_or_plainly() {
        assert_eq!(
            acknowledgement("remember that I like tea", "amber"),
            "Noted: I like tea. amber"
        );
        assert_eq!(acknowledgement("hello", ""), "Noted.");
    }

    #[test]
    fn reads_tool_names_choices_and_blocks() {
        let tools = [
            json!({"type": "function", "function": {"name": "save_note"}}),
            json!({"name": "other"}),
            json!({"type": "web_search"}),
        ];
        assert_eq!(tool_names(&tools), ["save_note", "other"]);
        assert!(forbids_tools(Some(&json!("none"))));
        assert!(forbids_tools(Some(&json!({"type": "none"}))));
        assert!(!forbids_tools(Some(&json!("auto"))));
        assert!(!forbids_tools(None));
        let calls = json!([{"function": {"arguments": "{\"a\":1}"}}, {"function": {}}]);
        assert_eq!(openai_argument_chars(Some(&calls)), 7);
        let content = json!([
            {"type": "text", "text": "hi"},
            {"type": "tool_use", "input": {"note": "x"}},
            {"type": "tool_result", "content": "saved"},
            {"type": "tool_result", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        ]);
        assert_eq!(
            anthropic_blocks(&content),
            Blocks {
                tool_use_chars: 12,
                results: vec!["saved".into(), "ab".into()],
            }
        );
        assert_eq!(anthropic_blocks(&json!("text")), Blocks::default());
    }
}
