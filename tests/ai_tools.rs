//! The `save_note` tool over real HTTP: against the fake AI server for both APIs (a note saved,
//! usage of both round trips, no tools unless offered), and against tiny scripted servers for
//! answers the fake never gives (malformed calls, a follow-up that calls tools again or fails).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use switchboard::ai::{AiClient, AiError, ChatMessage, ChatRequest, Role, Usage};
use switchboard::config::{ModelPrice, Provider, ProviderKind};
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig, reply_text};

const MODEL: &str = "test-model";
const SYSTEM: &str = "You are a friendly cook.";
const ASK: &str = "Please remember that I am vegetarian.";
/// What the fake takes from `ASK`.
const NOTE: &str = "I am vegetarian";

const KINDS: [ProviderKind; 2] = [ProviderKind::OpenAi, ProviderKind::Anthropic];

fn provider(kind: ProviderKind, base_url: &str) -> Provider {
    let mut models = BTreeMap::new();
    models.insert(
        MODEL.to_owned(),
        ModelPrice {
            input_per_million: 1_000.0,
            output_per_million: 2_000.0,
        },
    );
    Provider {
        name: "p".into(),
        kind,
        base_url: base_url.into(),
        api_key: None,
        api_key_env: None,
        timeout: Duration::from_secs(2),
        max_tokens: 100,
        attempts: 3,
        models,
    }
}

fn client_for(provider: Provider) -> AiClient {
    let mut providers = BTreeMap::new();
    providers.insert(provider.name.clone(), provider);
    AiClient::new(reqwest::Client::new(), &providers)
}

fn request(user: &str, offer_notes: bool) -> ChatRequest {
    ChatRequest {
        provider: "p".into(),
        model: MODEL.into(),
        system: SYSTEM.into(),
        messages: vec![ChatMessage {
            role: Role::User,
            content: ASK.into(),
        }],
        max_tokens: None,
        user: user.into(),
        offer_notes,
    }
}

/// The fake's token count for `chars` characters.
fn tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

fn len(s: &str) -> usize {
    s.chars().count()
}

#[tokio::test]
async fn both_kinds_save_the_note_and_answer_in_two_round_trips() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    for kind in KINDS {
        let user = format!("{kind:?}-user");
        let client = client_for(provider(kind, &fake.base_url()));
        let before = fake.requests().len();
        let response = client.complete(&request(&user, true)).await.unwrap();

        assert_eq!(response.notes, [NOTE], "{kind:?}");
        // The follow-up is the user's second request (number 1) to the fake.
        let text = format!("Noted: {NOTE}. {}", reply_text(ASK, 1, 12));
        assert_eq!(response.text, text, "{kind:?}");
        assert_eq!(response.model, MODEL);

        // First call: the prompt in, the call's arguments out. Follow-up: the prompt plus the
        // repeated arguments and the "saved" result in, the answer out.
        let arguments = json!({ "note": NOTE }).to_string();
        assert_eq!(arguments, r#"{"note":"I am vegetarian"}"#);
        let first = (tokens(len(SYSTEM) + len(ASK)), tokens(len(&arguments)));
        let second = (
            tokens(len(SYSTEM) + len(ASK) + len(&arguments) + len("saved")),
            tokens(len(&text)),
        );
        let expected = Usage {
            input_tokens: first.0 + second.0,
            output_tokens: first.1 + second.1,
            estimated: false,
        };
        assert_eq!(response.usage, expected, "{kind:?}");
        let single_call = tokens(len(SYSTEM) + len(ASK)) + tokens(len(&reply_text(ASK, 0, 12)));
        assert!(response.usage.total() > single_call);
        let cost = (expected.input_tokens as f64 * 1_000.0
            + expected.output_tokens as f64 * 2_000.0)
            / 1e6;
        assert!((response.cost_usd - cost).abs() < 1e-12);

        let seen = &fake.requests()[before..];
        assert_eq!(seen.len(), 2, "{kind:?}");
        assert_eq!(
            seen[0].tools.as_deref(),
            Some(&["save_note".to_owned()][..])
        );
        assert!(seen[0].tool_results.is_empty());
        assert_eq!(seen[0].messages, 1);
        // User, assistant with the call, the result.
        assert_eq!(seen[1].messages, 3);
        assert_eq!(seen[1].tool_results, ["saved"]);
        match kind {
            // Chat completions: the follow-up offers nothing.
            ProviderKind::OpenAi => assert_eq!(seen[1].tools, None),
            // Messages: the tool stays defined (the API wants it beside tool_use blocks), with
            // tool_choice "none".
            ProviderKind::Anthropic => assert!(seen[1].tools.is_some()),
        }
    }
}

#[tokio::test]
async fn without_offer_notes_no_tools_are_sent_and_the_answer_is_plain() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    for kind in KINDS {
        let client = client_for(provider(kind, &fake.base_url()));
        let before = fake.requests().len();
        let response = client
            .complete(&request(&format!("{kind:?}"), false))
            .await
            .unwrap();
        assert!(response.notes.is_empty());
        assert_eq!(response.text, reply_text(ASK, 0, 12));
        assert_eq!(response.usage.input_tokens, tokens(len(SYSTEM) + len(ASK)));
        let seen = &fake.requests()[before..];
        assert_eq!(seen.len(), 1, "{kind:?}: one round trip");
        assert_eq!(seen[0].tools, None, "{kind:?}: no tools field");
        assert!(seen[0].tool_results.is_empty());
    }
}

#[tokio::test]
async fn estimates_cover_both_round_trips_without_reported_usage() {
    let fake = FakeAi::start(FakeAiConfig {
        report_usage: false,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(provider(ProviderKind::OpenAi, &fake.base_url()));
    let response = client.complete(&request("u", true)).await.unwrap();
    assert_eq!(response.notes, [NOTE]);
    let arguments = json!({ "note": NOTE }).to_string();
    let prompt = len(SYSTEM) + len(ASK);
    // The first answer said nothing; the follow-up carried the arguments and "saved".
    let expected = Usage {
        input_tokens: tokens(prompt) + tokens(prompt + len(&arguments) + len("saved")),
        output_tokens: tokens(len(&arguments)) + tokens(len(&response.text)),
        estimated: true,
    };
    assert_eq!(response.usage, expected);
}

/// A server answering every POST with the next canned answer (the last one repeats), keeping
/// the request bodies.
struct Scripted {
    base_url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Scripted {
    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

async fn scripted(answers: Vec<(u16, Value)>) -> Scripted {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let app = axum::Router::new().fallback(move |body: Bytes| {
        let mut seen = seen.lock().unwrap();
        seen.push(serde_json::from_slice(&body).unwrap());
        let (status, answer) = answers[(seen.len() - 1).min(answers.len() - 1)].clone();
        async move { (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response() }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Scripted { base_url, bodies }
}

fn openai_calls(content: Option<&str>, calls: &[(&str, &str, &str)], usage: (u64, u64)) -> Value {
    let calls: Vec<_> = calls
        .iter()
        .map(|(id, name, arguments)| {
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    json!({
        "model": MODEL,
        "choices": [{"message": {"role": "assistant", "content": content, "tool_calls": calls}}],
        "usage": {"prompt_tokens": usage.0, "completion_tokens": usage.1},
    })
}

fn openai_text(text: &str, usage: (u64, u64)) -> Value {
    json!({
        "model": MODEL,
        "choices": [{"message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": usage.0, "completion_tokens": usage.1},
    })
}

/// The `content` of the `tool` messages of a chat completions request, in order.
fn tool_contents(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn malformed_openai_calls_are_skipped_and_the_text_returned() {
    let too_long = json!({ "note": "a".repeat(4001) }).to_string();
    let first = openai_calls(
        Some("One moment."),
        &[
            ("a", "save_note", "not json"),
            ("b", "save_note", r#"{"note":""}"#),
            ("c", "forget_everything", r#"{"note":"x"}"#),
            ("d", "save_note", r#"{"note":5}"#),
            ("e", "save_note", &too_long),
            ("f", "save_note", r#"{"note":"likes tea"}"#),
        ],
        (10, 7),
    );
    let server = scripted(vec![(200, first), (200, openai_text("All set.", (30, 3)))]).await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let response = client.complete(&request("u", true)).await.unwrap();

    assert_eq!(response.notes, ["likes tea"]);
    assert_eq!(response.text, "All set.");
    assert_eq!(
        (response.usage.input_tokens, response.usage.output_tokens),
        (40, 10)
    );
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["tools"][0]["function"]["name"], "save_note");
    assert!(bodies[1].get("tools").is_none());
    assert_eq!(
        tool_contents(&bodies[1]),
        [
            "ignored: arguments are not a JSON object",
            "ignored: the note is empty",
            "ignored: unknown tool",
            "ignored: the note is not a string",
            "ignored: the note is longer than 4000 characters",
            "saved",
        ]
    );
    let ids: Vec<_> = bodies[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["tool_call_id"].as_str())
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e", "f"]);
    let assistant = &bodies[1]["messages"][2];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["content"], "One moment.");
    assert_eq!(assistant["tool_calls"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn malformed_anthropic_calls_are_skipped_and_the_text_returned() {
    let first = json!({
        "model": MODEL,
        "content": [
            {"type": "tool_use", "id": "t1", "name": "save_note", "input": "a string"},
            {"type": "tool_use", "id": "t2", "name": "save_note", "input": {"text": "wrong field"}},
        ],
        "usage": {"input_tokens": 5, "output_tokens": 6},
    });
    let second = json!({
        "model": MODEL,
        "content": [{"type": "text", "text": "Okay."}],
        "usage": {"input_tokens": 20, "output_tokens": 2},
    });
    let server = scripted(vec![(200, first), (200, second)]).await;
    let client = client_for(provider(ProviderKind::Anthropic, &server.base_url));
    let response = client.complete(&request("u", true)).await.unwrap();

    assert!(response.notes.is_empty());
    assert_eq!(response.text, "Okay.");
    assert_eq!(
        (response.usage.input_tokens, response.usage.output_tokens),
        (25, 8)
    );
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1]["tool_choice"], json!({"type": "none"}));
    let messages = bodies[1]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"][0]["input"], "a string");
    assert_eq!(
        messages[2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1",
             "content": "ignored: arguments are not a JSON object"},
            {"type": "tool_result", "tool_use_id": "t2", "content": "ignored: no note given"},
        ]})
    );
}

#[tokio::test]
async fn at_most_one_follow_up_and_its_calls_are_ignored() {
    let note = r#"{"note":"first"}"#;
    let again = r#"{"note":"second"}"#;
    let server = scripted(vec![
        (200, openai_calls(None, &[("a", "save_note", note)], (1, 1))),
        (
            200,
            openai_calls(Some("Done."), &[("b", "save_note", again)], (1, 1)),
        ),
        (200, openai_text("never asked for", (1, 1))),
    ])
    .await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let response = client.complete(&request("u", true)).await.unwrap();
    assert_eq!(response.notes, ["first"]);
    assert_eq!(response.text, "Done.");
    assert_eq!(server.bodies().len(), 2);
}

#[tokio::test]
async fn a_wordless_follow_up_falls_back_to_the_first_text_or_fails() {
    let note = r#"{"note":"x"}"#;
    let silent = openai_calls(None, &[("b", "save_note", note)], (1, 1));
    let server = scripted(vec![
        (
            200,
            openai_calls(Some("Got it."), &[("a", "save_note", note)], (1, 1)),
        ),
        (200, silent.clone()),
    ])
    .await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let response = client.complete(&request("u", true)).await.unwrap();
    assert_eq!(response.text, "Got it.");

    let server = scripted(vec![
        (200, openai_calls(None, &[("a", "save_note", note)], (1, 1))),
        (200, silent),
    ])
    .await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let err = client.complete(&request("u", true)).await.unwrap_err();
    assert!(matches!(err, AiError::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn the_follow_up_is_retried_and_fails_like_any_call() {
    let calls = openai_calls(None, &[("a", "save_note", r#"{"note":"x"}"#)], (2, 2));
    let server = scripted(vec![
        (200, calls.clone()),
        (503, json!({"error": {"message": "busy"}})),
        (200, openai_text("Saved.", (3, 3))),
    ])
    .await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let response = client.complete(&request("u", true)).await.unwrap();
    assert_eq!(response.text, "Saved.");
    assert_eq!(response.usage.total(), 10);
    assert_eq!(server.bodies().len(), 3);

    let server = scripted(vec![
        (200, calls),
        (400, json!({"error": {"message": "bad tool message"}})),
    ])
    .await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let err = client.complete(&request("u", true)).await.unwrap_err();
    assert_eq!(
        err,
        AiError::Refused {
            status: 400,
            message: "bad tool message".into()
        }
    );
}

#[tokio::test]
async fn calls_to_tools_nobody_offered_are_not_answered() {
    let calls = |content| openai_calls(content, &[("a", "save_note", r#"{"note":"x"}"#)], (1, 1));
    let server = scripted(vec![(200, calls(Some("Hello.")))]).await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let response = client.complete(&request("u", false)).await.unwrap();
    assert_eq!(response.text, "Hello.");
    assert!(response.notes.is_empty());
    assert_eq!(server.bodies().len(), 1);

    let server = scripted(vec![(200, calls(None))]).await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url));
    let err = client.complete(&request("u", false)).await.unwrap_err();
    assert!(matches!(err, AiError::Decode(_)), "{err:?}");
}
