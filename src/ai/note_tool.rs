//! The `save_note` tool: how it is offered in each wire format, the calls a model makes to it,
//! and what each call comes to (a note, or why it was ignored). Models produce malformed
//! arguments now and then; those are answered "ignored" and skipped, never trusted.

use serde_json::{Value, json};

/// The tool's name in both APIs.
pub(super) const NAME: &str = "save_note";

/// What the model reads to decide when to call the tool.
const DESCRIPTION: &str = "Save a short note about the user to remember in later conversations. \
     Use it only for lasting facts or preferences the user wants remembered (for example \
     \"is vegetarian\" or \"prefers short answers\"), not for the current request. One fact per \
     call, written so it makes sense on its own.";

/// What the `note` property asks for.
const NOTE_DESCRIPTION: &str =
    "The fact or preference to remember, in one short sentence about the user.";

/// Longest note kept, in characters; longer ones are ignored rather than cut, so a note is never
/// stored half-said.
pub(super) const MAX_NOTE_CHARS: usize = 4000;

/// The tool result for a call whose note was kept.
const SAVED: &str = "saved";

/// The JSON schema of the tool's arguments.
fn parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "note": {"type": "string", "description": NOTE_DESCRIPTION},
        },
        "required": ["note"],
    })
}

/// The `tools` array of a chat completions request.
pub(super) fn openai_tools() -> Value {
    json!([{
        "type": "function",
        "function": {"name": NAME, "description": DESCRIPTION, "parameters": parameters()},
    }])
}

/// The `tools` array of a messages request.
pub(super) fn anthropic_tools() -> Value {
    json!([{"name": NAME, "description": DESCRIPTION, "input_schema": parameters()}])
}

/// One tool call in an answer.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ToolCall {
    /// The provider's id for the call; its result must carry it.
    pub id: String,
    /// The tool the model asked for (not necessarily one we offered).
    pub name: String,
    pub arguments: Arguments,
}

/// A call's arguments as they came.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Arguments {
    /// JSON text (chat completions' `function.arguments`).
    Text(String),
    /// A JSON value (messages' `input`, and compatible servers that send objects).
    Json(Value),
}

impl Arguments {
    /// The arguments as JSON text, as they are sent back with the assistant turn.
    pub(super) fn to_text(&self) -> String {
        match self {
            Arguments::Text(text) => text.clone(),
            Arguments::Json(value) => value.to_string(),
        }
    }
}

/// An answer that asked for tools: the calls, and the assistant turn to send back before their
/// results (in the wire format of the API that answered).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ToolTurn {
    pub calls: Vec<ToolCall>,
    pub echo: Value,
}

/// The result of one call, for the follow-up request.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ToolResult {
    /// The id of the call it answers.
    pub id: String,
    /// `saved`, or `ignored: <reason>`.
    pub content: String,
}

/// A tool turn carried out: what the follow-up request sends, and the notes kept.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ToolRound {
    /// The assistant turn to repeat before the results.
    pub echo: Value,
    /// One per call, in the calls' order.
    pub results: Vec<ToolResult>,
    /// Notes from valid `save_note` calls, in order.
    pub notes: Vec<String>,
    /// Characters of the calls' arguments, for usage estimates when the provider reports none.
    pub argument_chars: u64,
}

/// Why a call was not saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum Ignored {
    #[error("unknown tool")]
    UnknownTool,
    #[error("arguments are not a JSON object")]
    NotAnObject,
    #[error("no note given")]
    NoNote,
    #[error("the note is not a string")]
    NotAString,
    #[error("the note is empty")]
    Empty,
    #[error("the note is longer than {MAX_NOTE_CHARS} characters")]
    TooLong,
}

/// The note in `call`, trimmed, or why there is none to keep.
pub(super) fn read_note(call: &ToolCall) -> Result<String, Ignored> {
    if call.name != NAME {
        return Err(Ignored::UnknownTool);
    }
    let parsed;
    let arguments = match &call.arguments {
        Arguments::Json(value) => value,
        Arguments::Text(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|_| Ignored::NotAnObject)?;
            &parsed
        }
    };
    let object = arguments.as_object().ok_or(Ignored::NotAnObject)?;
    let note = object.get("note").ok_or(Ignored::NoNote)?;
    let note = note.as_str().ok_or(Ignored::NotAString)?.trim();
    if note.is_empty() {
        return Err(Ignored::Empty);
    }
    if note.chars().nth(MAX_NOTE_CHARS).is_some() {
        return Err(Ignored::TooLong);
    }
    Ok(note.to_owned())
}

/// Carries out `turn`: keeps the valid notes and answers every call.
pub(super) fn carry_out(turn: ToolTurn) -> ToolRound {
    let mut results = Vec::with_capacity(turn.calls.len());
    let mut notes = Vec::new();
    let mut argument_chars = 0;
    for call in turn.calls {
        let content = match read_note(&call) {
            Ok(note) => {
                notes.push(note);
                SAVED.to_owned()
            }
            Err(why) => format!("ignored: {why}"),
        };
        argument_chars += count(&call.arguments.to_text());
        results.push(ToolResult {
            id: call.id,
            content,
        });
    }
    ToolRound {
        echo: turn.echo,
        results,
        notes,
        argument_chars,
    }
}

impl ToolRound {
    /// Characters the round adds to the follow-up request (arguments and results), for usage
    /// estimates.
    pub(super) fn chars(&self) -> u64 {
        self.argument_chars + self.results.iter().map(|r| count(&r.content)).sum::<u64>()
    }
}

fn count(s: &str) -> u64 {
    s.chars().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, arguments: Arguments) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: name.into(),
            arguments,
        }
    }

    fn text(name: &str, arguments: &str) -> Result<String, Ignored> {
        read_note(&call(name, Arguments::Text(arguments.into())))
    }

    #[test]
    fn reads_notes_from_text_and_values() {
        assert_eq!(
            text(NAME, r#"{"note":"  is vegetarian "}"#),
            Ok("is vegetarian".into())
        );
        let value = Arguments::Json(json!({"note": "likes tea", "extra": 1}));
        assert_eq!(read_note(&call(NAME, value)), Ok("likes tea".into()));
    }

    #[test]
    fn malformed_arguments_are_ignored_with_a_reason() {
        assert_eq!(text(NAME, "not json"), Err(Ignored::NotAnObject));
        assert_eq!(text(NAME, r#"{"note":"cut"#), Err(Ignored::NotAnObject));
        assert_eq!(text(NAME, r#""a string""#), Err(Ignored::NotAnObject));
        assert_eq!(text(NAME, "{}"), Err(Ignored::NoNote));
        assert_eq!(text(NAME, r#"{"text":"x"}"#), Err(Ignored::NoNote));
        assert_eq!(text(NAME, r#"{"note":5}"#), Err(Ignored::NotAString));
        assert_eq!(text(NAME, r#"{"note":null}"#), Err(Ignored::NotAString));
        assert_eq!(text(NAME, r#"{"note":" \n "}"#), Err(Ignored::Empty));
        let null = call(NAME, Arguments::Json(Value::Null));
        assert_eq!(read_note(&null), Err(Ignored::NotAnObject));
    }

    #[test]
    fn notes_may_be_up_to_the_limit_in_characters() {
        let at_limit = "é".repeat(MAX_NOTE_CHARS);
        let args = json!({ "note": at_limit }).to_string();
        assert_eq!(text(NAME, &args), Ok(at_limit));
        let over = json!({ "note": "a".repeat(MAX_NOTE_CHARS + 1) }).to_string();
        assert_eq!(text(NAME, &over), Err(Ignored::TooLong));
    }

    #[test]
    fn other_tools_are_unknown_whatever_their_arguments() {
        assert_eq!(
            text("delete_everything", r#"{"note":"x"}"#),
            Err(Ignored::UnknownTool)
        );
        assert_eq!(
            text("Save_Note", r#"{"note":"x"}"#),
            Err(Ignored::UnknownTool)
        );
    }

    #[test]
    fn carrying_out_answers_every_call_in_order() {
        let calls = vec![
            ToolCall {
                id: "a".into(),
                name: NAME.into(),
                arguments: Arguments::Text(r#"{"note":"one"}"#.into()),
            },
            ToolCall {
                id: "b".into(),
                name: "other".into(),
                arguments: Arguments::Json(json!({})),
            },
            ToolCall {
                id: "c".into(),
                name: NAME.into(),
                arguments: Arguments::Text("{".into()),
            },
            ToolCall {
                id: "d".into(),
                name: NAME.into(),
                arguments: Arguments::Json(json!({"note": "two"})),
            },
        ];
        let round = carry_out(ToolTurn {
            calls,
            echo: json!({"role": "assistant"}),
        });
        assert_eq!(round.notes, ["one", "two"]);
        let results: Vec<_> = round
            .results
            .iter()
            .map(|r| (r.id.as_str(), r.content.as_str()))
            .collect();
        assert_eq!(
            results,
            [
                ("a", "saved"),
                ("b", "ignored: unknown tool"),
                ("c", "ignored: arguments are not a JSON object"),
                ("d", "saved"),
            ]
        );
        assert_eq!(round.echo, json!({"role": "assistant"}));
        // Arguments: 14 + 2 + 1 + 14; results: 5 + 21 + 40 + 5.
        assert_eq!(round.argument_chars, 31);
        assert_eq!(round.chars(), 31 + 71);
    }

    #[test]
    fn both_tool_shapes_carry_the_same_schema() {
        let openai = openai_tools();
        let anthropic = anthropic_tools();
        assert_eq!(openai[0]["type"], "function");
        assert_eq!(openai[0]["function"]["name"], NAME);
        assert_eq!(anthropic[0]["name"], NAME);
        assert_eq!(
            openai[0]["function"]["parameters"],
            anthropic[0]["input_schema"]
        );
        assert_eq!(anthropic[0]["input_schema"]["required"], json!(["note"]));
        assert_eq!(
            anthropic[0]["input_schema"]["properties"]["note"]["type"],
            "string"
        );
        assert!(
            anthropic[0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("remember"))
        );
    }
}
