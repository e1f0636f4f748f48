//! The AI client over real HTTP: against the fake AI server for both APIs and its faults, and
//! against tiny scripted servers for answers the fake cannot give (a failure then a success,
//! broken JSON, exact header values).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use switchboard::ai::{AiClient, AiError, ChatMessage, ChatRequest, Role, Usage};
use switchboard::config::{ModelPrice, Provider, ProviderKind, Secret};
use switchboard::sim::ai_server::{Api, FakeAi, FakeAiConfig, UserFaults, reply_text};

const MODEL: &str = "test-model";
const SYSTEM: &str = "You are terse.";
const QUESTION: &str = "What is the capital of France?";

fn provider(kind: ProviderKind, base_url: &str, key: Option<&str>) -> Provider {
    let mut models = BTreeMap::new();
    models.insert(
        MODEL.to_owned(),
        ModelPrice {
            input_per_million: 3_000.0,
            output_per_million: 15_000.0,
        },
    );
    Provider {
        name: "p".into(),
        kind,
        base_url: base_url.into(),
        api_key: key.map(Secret::new),
        api_key_env: Some("TEST_AI_KEY".into()),
        timeout: Duration::from_secs(2),
        max_tokens: 321,
        attempts: 3,
        models,
    }
}

fn client_for(provider: Provider) -> AiClient {
    let mut providers = BTreeMap::new();
    providers.insert(provider.name.clone(), provider);
    AiClient::new(reqwest::Client::new(), &providers)
}

fn request(user: &str) -> ChatRequest {
    ChatRequest {
        provider: "p".into(),
        model: MODEL.into(),
        system: SYSTEM.into(),
        messages: vec![
            ChatMessage {
                role: Role::User,
                content: "Hello".into(),
            },
            ChatMessage {
                role: Role::Assistant,
                content: "Hi.".into(),
            },
            ChatMessage {
                role: Role::User,
                content: QUESTION.into(),
            },
        ],
        max_tokens: None,
        user: user.into(),
        offer_notes: false,
    }
}

/// Tokens the fake reports (and the client estimates) for `request(..)`.
fn expected_input_tokens() -> u64 {
    let chars = SYSTEM.len() + "Hello".len() + "Hi.".len() + QUESTION.len();
    (chars as u64).div_ceil(4)
}

fn expected_cost(usage: &Usage) -> f64 {
    (usage.input_tokens as f64 * 3_000.0 + usage.output_tokens as f64 * 15_000.0) / 1e6
}

fn faults_for(user: &str, faults: UserFaults) -> FakeAiConfig {
    let mut users = HashMap::new();
    users.insert(user.to_owned(), faults);
    FakeAiConfig {
        users,
        ..FakeAiConfig::default()
    }
}

/// A server answering every POST with the next canned answer (the last one repeats), keeping
/// the request headers.
struct Scripted {
    base_url: String,
    hits: Arc<AtomicUsize>,
    headers: Arc<Mutex<Vec<HeaderMap>>>,
}

async fn scripted(answers: Vec<(u16, &'static str)>) -> Scripted {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v1/", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let headers = Arc::new(Mutex::new(Vec::new()));
    let (h, seen) = (hits.clone(), headers.clone());
    let app = axum::Router::new().fallback(move |request_headers: HeaderMap| {
        let n = h.fetch_add(1, Ordering::SeqCst);
        seen.lock().unwrap().push(request_headers);
        let (status, body) = answers[n.min(answers.len() - 1)];
        async move {
            (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json")],
                body,
            )
                .into_response()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Scripted {
        base_url,
        hits,
        headers,
    }
}

const OPENAI_OK: &str = r#"{"model":"test-model","choices":[{"message":{"role":"assistant","content":"Paris."}}],"usage":{"prompt_tokens":30,"completion_tokens":2}}"#;

#[tokio::test]
async fn openai_end_to_end() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let client = client_for(provider(
        ProviderKind::OpenAi,
        &fake.base_url(),
        Some("sk-openai-secret"),
    ));
    let response = client.complete(&request("telegram:42")).await.unwrap();

    assert_eq!(response.text, reply_text(QUESTION, 0, 12));
    assert_eq!(response.model, MODEL);
    let expected_usage = Usage {
        input_tokens: expected_input_tokens(),
        output_tokens: (response.text.chars().count() as u64).div_ceil(4),
        estimated: false,
    };
    assert_eq!(response.usage, expected_usage);
    assert!(response.cost_usd > 0.0);
    assert!((response.cost_usd - expected_cost(&expected_usage)).abs() < 1e-12);

    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].api, Api::OpenAi);
    assert_eq!(seen[0].user, "telegram:42");
    assert_eq!(seen[0].model, MODEL);
    assert_eq!(seen[0].messages, 3);
    assert!(seen[0].system);
    assert_eq!(seen[0].max_tokens, Some(321), "the provider's max_tokens");
    assert!(seen[0].authorization);
    assert!(!seen[0].api_key);
}

#[tokio::test]
async fn anthropic_end_to_end() {
    let fake = FakeAi::start(FakeAiConfig {
        reply_words: 5,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(provider(
        ProviderKind::Anthropic,
        &fake.base_url(),
        Some("sk-ant-secret"),
    ));
    let mut req = request("discord:7");
    req.max_tokens = Some(77);
    let response = client.complete(&req).await.unwrap();

    assert_eq!(response.text, reply_text(QUESTION, 0, 5));
    assert_eq!(response.usage.input_tokens, expected_input_tokens());
    assert!(!response.usage.estimated);
    assert!((response.cost_usd - expected_cost(&response.usage)).abs() < 1e-12);

    let seen = &fake.requests()[0];
    assert_eq!(seen.api, Api::Anthropic);
    assert_eq!(seen.user, "discord:7");
    assert_eq!(seen.messages, 3);
    assert!(seen.system);
    assert_eq!(seen.max_tokens, Some(77), "the request's max_tokens");
    assert!(seen.api_key);
    assert!(!seen.authorization);
    assert_eq!(seen.anthropic_version.as_deref(), Some("2023-06-01"));
}

#[tokio::test]
async fn no_key_header_without_a_key() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    // A trailing slash on the base URL must not matter.
    let base = format!("{}/", fake.base_url());
    for kind in [ProviderKind::OpenAi, ProviderKind::Anthropic] {
        let client = client_for(provider(kind, &base, None));
        client.complete(&request("u")).await.unwrap();
    }
    let seen = fake.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| !s.authorization && !s.api_key));
}

#[tokio::test]
async fn exact_key_headers_are_sent() {
    let server = scripted(vec![(200, OPENAI_OK)]).await;
    let client = client_for(provider(
        ProviderKind::OpenAi,
        &server.base_url,
        Some("sk-exact"),
    ));
    assert_eq!(client.complete(&request("u")).await.unwrap().text, "Paris.");
    let headers = server.headers.lock().unwrap()[0].clone();
    assert_eq!(headers["authorization"], "Bearer sk-exact");
    assert_eq!(headers["content-type"], "application/json");
}

#[tokio::test]
async fn estimates_usage_when_the_provider_reports_none() {
    let fake = FakeAi::start(FakeAiConfig {
        report_usage: false,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    for kind in [ProviderKind::OpenAi, ProviderKind::Anthropic] {
        let client = client_for(provider(kind, &fake.base_url(), None));
        let response = client.complete(&request("u")).await.unwrap();
        assert_eq!(
            response.usage,
            Usage {
                input_tokens: expected_input_tokens(),
                output_tokens: (response.text.chars().count() as u64).div_ceil(4),
                estimated: true,
            }
        );
        assert!(response.usage.output_tokens > 0);
        assert!((response.cost_usd - expected_cost(&response.usage)).abs() < 1e-12);
    }
}

#[tokio::test]
async fn server_errors_then_success_within_attempts() {
    let server = scripted(vec![(500, "{}"), (503, "oops"), (200, OPENAI_OK)]).await;
    let client = client_for(provider(ProviderKind::OpenAi, &server.base_url, None));
    let response = client.complete(&request("u")).await.unwrap();
    assert_eq!(response.text, "Paris.");
    assert_eq!(response.usage.input_tokens, 30);
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn persistent_server_errors_give_server_after_all_attempts() {
    let fake = FakeAi::start(faults_for(
        "u",
        UserFaults {
            status: Some(503),
            ..UserFaults::default()
        },
    ))
    .await
    .unwrap();
    let client = client_for(provider(ProviderKind::Anthropic, &fake.base_url(), None));
    let err = client.complete(&request("u")).await.unwrap_err();
    assert_eq!(err, AiError::Server { status: 503 });
    assert!(err.is_transient());
    assert_eq!(fake.request_count(), 3);
}

#[tokio::test]
async fn short_retry_after_is_waited_out_and_retried() {
    let fake = FakeAi::start(faults_for(
        "u",
        UserFaults {
            status: Some(429),
            retry_after_secs: Some(1),
            ..UserFaults::default()
        },
    ))
    .await
    .unwrap();
    let client = client_for(provider(ProviderKind::OpenAi, &fake.base_url(), None));
    let started = Instant::now();
    let call = async { client.complete(&request("u")).await };
    let lift = async {
        // Once the first 429 is out, the rate limit ends.
        while fake.request_count() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        fake.set_config(FakeAiConfig::default());
    };
    let (response, ()) = tokio::join!(call, lift);
    let elapsed = started.elapsed();
    assert!(response.is_ok(), "{response:?}");
    assert!(
        elapsed >= Duration::from_secs(1),
        "did not wait: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn long_retry_after_returns_rate_limited_at_once() {
    let fake = FakeAi::start(faults_for(
        "u",
        UserFaults {
            status: Some(429),
            retry_after_secs: Some(30),
            ..UserFaults::default()
        },
    ))
    .await
    .unwrap();
    let client = client_for(provider(ProviderKind::Anthropic, &fake.base_url(), None));
    let started = Instant::now();
    let err = client.complete(&request("u")).await.unwrap_err();
    assert_eq!(
        err,
        AiError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(fake.request_count(), 1, "no retry for a long wait");
}

#[tokio::test]
async fn rate_limited_on_the_last_attempt_is_returned_with_the_wait() {
    let fake = FakeAi::start(faults_for(
        "u",
        UserFaults {
            status: Some(429),
            retry_after_secs: Some(1),
            ..UserFaults::default()
        },
    ))
    .await
    .unwrap();
    let mut p = provider(ProviderKind::OpenAi, &fake.base_url(), None);
    p.attempts = 1;
    let started = Instant::now();
    let err = client_for(p).complete(&request("u")).await.unwrap_err();
    assert_eq!(
        err,
        AiError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn silence_gives_timeout_after_every_attempt() {
    let fake = FakeAi::start(faults_for(
        "u",
        UserFaults {
            timeout: true,
            ..UserFaults::default()
        },
    ))
    .await
    .unwrap();
    let mut p = provider(ProviderKind::OpenAi, &fake.base_url(), None);
    p.timeout = Duration::from_millis(200);
    p.attempts = 2;
    let started = Instant::now();
    let err = client_for(p).complete(&request("u")).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err, AiError::Timeout);
    // Two 200 ms attempts and one backoff of at most 250 ms.
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn client_errors_are_refused_with_the_message_and_not_retried() {
    let fake = FakeAi::start(faults_for(
        "u",
        UserFaults {
            status: Some(401),
            ..UserFaults::default()
        },
    ))
    .await
    .unwrap();
    let client = client_for(provider(ProviderKind::OpenAi, &fake.base_url(), Some("k")));
    match client.complete(&request("u")).await.unwrap_err() {
        AiError::Refused { status, message } => {
            assert_eq!(status, 401);
            assert!(message.contains("injected status 401"), "{message}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn an_echoed_key_is_blanked_from_refusals() {
    let server = scripted(vec![(
        401,
        r#"{"error":{"message":"Incorrect API key provided: sk-leak-me","type":"invalid_request_error"}}"#,
    )])
    .await;
    let client = client_for(provider(
        ProviderKind::OpenAi,
        &server.base_url,
        Some("sk-leak-me"),
    ));
    let err = client.complete(&request("u")).await.unwrap_err();
    let AiError::Refused {
        status: 401,
        message,
    } = &err
    else {
        panic!("expected Refused 401, got {err:?}");
    };
    assert!(
        message.starts_with("Incorrect API key provided"),
        "{message}"
    );
    assert!(!format!("{err} {err:?}").contains("sk-leak-me"));
}

#[tokio::test]
async fn malformed_answers_are_decode_errors() {
    for (kind, body) in [
        (ProviderKind::OpenAi, r#"{"choices": oops"#),
        (ProviderKind::OpenAi, r#"{"choices": []}"#),
        (ProviderKind::Anthropic, r#"{"content": "not blocks"}"#),
        (ProviderKind::Anthropic, "<html>502</html>"),
    ] {
        let server = scripted(vec![(200, body)]).await;
        let client = client_for(provider(kind, &server.base_url, None));
        let err = client.complete(&request("u")).await.unwrap_err();
        assert!(matches!(err, AiError::Decode(_)), "{body}: {err:?}");
        assert_eq!(server.hits.load(Ordering::SeqCst), 1, "not retried");
    }
}

#[tokio::test]
async fn unreachable_provider_is_a_transport_error() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let mut p = provider(ProviderKind::OpenAi, &base, None);
    p.attempts = 2;
    let err = client_for(p).complete(&request("u")).await.unwrap_err();
    assert!(matches!(err, AiError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn unknown_provider_and_unpriced_models() {
    let client = client_for(provider(
        ProviderKind::OpenAi,
        "http://127.0.0.1:9/v1",
        None,
    ));
    let mut req = request("u");
    req.provider = "nope".into();
    assert_eq!(
        client.complete(&req).await.unwrap_err(),
        AiError::UnknownProvider("nope".into())
    );
    let usage = Usage {
        input_tokens: 1_000,
        output_tokens: 1_000,
        estimated: false,
    };
    assert_eq!(client.cost("nope", MODEL, &usage), 0.0);
    assert_eq!(client.cost("p", "unpriced", &usage), 0.0);
    assert!((client.cost("p", MODEL, &usage) - 18.0).abs() < 1e-9);
}

#[test]
fn the_key_never_shows_in_debug_output() {
    let p = provider(
        ProviderKind::Anthropic,
        "http://127.0.0.1:9/v1",
        Some("sk-very-secret"),
    );
    let client = client_for(p.clone());
    let shown = format!("{client:?} {p:?}");
    assert!(!shown.contains("sk-very-secret"), "{shown}");
    assert!(shown.contains("http://127.0.0.1:9/v1/messages"), "{shown}");
}
