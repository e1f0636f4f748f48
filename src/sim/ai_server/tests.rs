//! The fake AI server over real HTTP: answer shapes, malformed requests, faults, seeding,
//! concurrency and shutdown.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut request = client.post(url).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap();
    (status, headers, body)
}

fn openai_body(user: &str, text: &str) -> String {
    json!({
        "model": "gpt-fake",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": text},
        ],
        "max_tokens": 50,
        "user": user,
    })
    .to_string()
}

async fn openai_status(fake: &FakeAi, user: &str) -> u16 {
    let url = format!("{}/chat/completions", fake.base_url());
    post(&url, &[], &openai_body(user, "hi")).await.0
}

#[tokio::test]
async fn openai_answers_are_deterministic_with_usage() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let url = format!("{}/chat/completions", fake.base_url());
    let (status, _, body) = post(
        &url,
        &[("authorization", "Bearer k")],
        &openai_body("u1", "hello"),
    )
    .await;
    assert_eq!(status, 200);
    let text = reply_text("hello", 0, 12);
    assert_eq!(body["choices"][0]["message"]["content"], text.as_str());
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["model"], "gpt-fake");
    // "sys" + "hello" = 8 characters: 2 tokens.
    assert_eq!(body["usage"]["prompt_tokens"], 2);
    assert_eq!(
        body["usage"]["completion_tokens"],
        text.chars().count().div_ceil(4) as u64
    );
    // The user's second request gets a different answer.
    let (_, _, again) = post(&url, &[], &openai_body("u1", "hello")).await;
    assert_eq!(
        again["choices"][0]["message"]["content"],
        reply_text("hello", 1, 12).as_str()
    );

    let seen = fake.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0],
        SeenRequest {
            api: Api::OpenAi,
            model: "gpt-fake".into(),
            user: "u1".into(),
            messages: 1,
            system: true,
            system_prompt: "sys".into(),
            max_tokens: Some(50),
            authorization: true,
            api_key: false,
            anthropic_version: None,
            tools: None,
            tool_results: Vec::new(),
        }
    );
    assert!(!seen[1].authorization);
}

#[tokio::test]
async fn anthropic_answers_with_text_blocks_and_sees_headers() {
    let fake = FakeAi::start(FakeAiConfig {
        reply_words: 3,
        report_usage: false,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let url = format!("{}/messages", fake.base_url());
    let body = json!({
        "model": "claude-fake",
        "max_tokens": 20,
        "system": "be kind",
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "reply"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ],
        "metadata": {"user_id": "discord:9"},
    });
    let headers = [("x-api-key", "k"), ("anthropic-version", "2023-06-01")];
    let (status, _, answer) = post(&url, &headers, &body.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["content"][0]["type"], "text");
    assert_eq!(
        answer["content"][0]["text"],
        reply_text("second", 0, 3).as_str()
    );
    assert!(answer.get("usage").is_none(), "usage reporting is off");
    let seen = &fake.requests()[0];
    assert_eq!(seen.api, Api::Anthropic);
    assert_eq!(seen.user, "discord:9");
    assert_eq!(seen.messages, 3);
    assert!(seen.system && seen.api_key && !seen.authorization);
    assert_eq!(seen.anthropic_version.as_deref(), Some("2023-06-01"));
}

#[tokio::test]
async fn malformed_requests_get_400_with_a_json_error() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let openai = format!("{}/chat/completions", fake.base_url());
    let anthropic = format!("{}/messages", fake.base_url());
    let cases = [
        (&openai, "{not json"),
        (&openai, r#"{"model":"m","messages":[]}"#),
        (
            &openai,
            r#"{"model":"m","messages":[{"role":"user","content":5}]}"#,
        ),
        (
            &anthropic,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
        ),
        (&anthropic, "\u{1F980}\u{0}"),
    ];
    for (url, body) in cases {
        let (status, _, answer) = post(url, &[], body).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
    }
    assert_eq!(fake.request_count(), 5);
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn per_user_status_with_retry_after_leaves_others_alone() {
    let mut users = HashMap::new();
    users.insert(
        "slow-down".to_owned(),
        UserFaults {
            status: Some(429),
            retry_after_secs: Some(7),
            ..UserFaults::default()
        },
    );
    let fake = FakeAi::start(FakeAiConfig {
        users,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let url = format!("{}/messages", fake.base_url());
    let body = json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
        "metadata": {"user_id": "slow-down"}});
    let (status, headers, answer) = post(&url, &[], &body.to_string()).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(answer["error"]["type"], "rate_limit_error");
    assert_eq!(openai_status(&fake, "someone-else").await, 200);
}

#[tokio::test]
async fn seeded_error_rates_repeat_exactly() {
    let config = FakeAiConfig {
        error_rate: 0.5,
        seed: 42,
        ..FakeAiConfig::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let fake = FakeAi::start(config.clone()).await.unwrap();
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(openai_status(&fake, "u").await);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    let failures = runs[0].iter().filter(|s| **s == 500).count();
    assert!(
        (8..=32).contains(&failures),
        "{failures} of 40 failed at rate 0.5"
    );
    assert!(runs[0].iter().all(|s| *s == 200 || *s == 500));
}

#[tokio::test]
async fn latency_and_set_config_apply_to_new_requests() {
    let fake = FakeAi::start(FakeAiConfig {
        latency: Duration::from_millis(150),
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let started = Instant::now();
    assert_eq!(openai_status(&fake, "u").await, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    fake.set_config(FakeAiConfig {
        error_rate: 1.0,
        ..FakeAiConfig::default()
    });
    let started = Instant::now();
    assert_eq!(openai_status(&fake, "u").await, 500);
    assert!(started.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn silent_users_hang_until_the_server_is_dropped() {
    let mut users = HashMap::new();
    users.insert(
        "silent".to_owned(),
        UserFaults {
            timeout: true,
            ..UserFaults::default()
        },
    );
    let fake = FakeAi::start(FakeAiConfig {
        users,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let url = format!("{}/chat/completions", fake.base_url());
    let held = tokio::spawn(async move { post(&url, &[], &openai_body("silent", "hi")).await.0 });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!held.is_finished(), "a silent user got an answer");
    assert_eq!(fake.request_count(), 1);
    drop(fake);
    let status = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 503);
}

#[tokio::test]
async fn dropping_the_handle_stops_listening() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let addr = fake.addr;
    assert_eq!(openai_status(&fake, "u").await, 200);
    drop(fake);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still accepting connections after drop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_hundreds_of_concurrent_requests() {
    let fake = FakeAi::start(FakeAiConfig {
        latency: Duration::from_millis(50),
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/chat/completions", fake.base_url());
    let started = Instant::now();
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let response = client
                    .post(&url)
                    .body(openai_body(&format!("user-{i}"), "hi"))
                    .send()
                    .await
                    .unwrap();
                response.status().as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    // Served one at a time this would take 15 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.request_count(), 300);
    assert_eq!(fake.requests().len(), 300);
}

#[tokio::test]
async fn calls_save_note_only_when_offered_and_allowed() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let url = format!("{}/chat/completions", fake.base_url());
    let tools = json!([{"type": "function", "function": {"name": "save_note", "parameters": {}}}]);
    let ask = "Remember that I wake at six. Thanks";
    let mut body: Value = serde_json::from_str(&openai_body("u", ask)).unwrap();
    body["tools"] = tools;
    let (status, _, answer) = post(&url, &[], &body.to_string()).await;
    assert_eq!(status, 200);
    let message = &answer["choices"][0]["message"];
    assert!(message["content"].is_null());
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(message["tool_calls"][0]["function"]["name"], "save_note");
    assert_eq!(
        message["tool_calls"][0]["function"]["arguments"],
        r#"{"note":"I wake at six"}"#
    );

    body["tool_choice"] = json!("none");
    let (_, _, answer) = post(&url, &[], &body.to_string()).await;
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        reply_text(ask, 1, 12).as_str()
    );
    let (_, _, answer) = post(&url, &[], &openai_body("u", ask)).await;
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        reply_text(ask, 2, 12).as_str()
    );
    let seen = fake.requests();
    assert_eq!(
        seen[0].tools.as_deref(),
        Some(&["save_note".to_owned()][..])
    );
    assert_eq!(seen[2].tools, None);
}

#[tokio::test]
async fn acknowledges_anthropic_tool_results() {
    let fake = FakeAi::start(FakeAiConfig {
        reply_words: 2,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let url = format!("{}/messages", fake.base_url());
    let ask = "please remember that tea beats coffee!";
    let body = json!({
        "model": "m",
        "max_tokens": 9,
        "tools": [{"name": "save_note", "input_schema": {}}],
        "messages": [{"role": "user", "content": ask}],
    });
    let (_, _, answer) = post(&url, &[], &body.to_string()).await;
    assert_eq!(answer["stop_reason"], "tool_use");
    let tool_use = answer["content"][0].clone();
    assert_eq!(tool_use["input"], json!({"note": "tea beats coffee"}));
    let follow_up = json!({
        "model": "m",
        "max_tokens": 9,
        "tools": body["tools"],
        "tool_choice": {"type": "none"},
        "messages": [
            {"role": "user", "content": ask},
            {"role": "assistant", "content": [tool_use]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": tool_use["id"], "content": "saved"}]},
        ],
    });
    let (status, _, answer) = post(&url, &[], &follow_up.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["content"][0]["text"],
        format!("Noted: tea beats coffee. {}", reply_text(ask, 1, 2)).as_str()
    );
    let seen = &fake.requests()[1];
    assert_eq!(seen.tool_results, ["saved"]);
    assert_eq!(seen.messages, 3);
}
