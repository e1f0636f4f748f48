//! The fake Telegram's refusals over HTTP: permanent chat errors, injected server errors and
//! latency, and the text checks (markup, length, emptiness, the entity-error knob).

use std::time::{Duration, Instant};

use serde_json::json;

use super::tests::{call, start};
use super::*;

#[tokio::test]
async fn permanent_errors_server_errors_and_latency() {
    let fake = start().await;
    fake.set_permanent_error(5, Some(PermanentError::Blocked));
    fake.set_permanent_error(6, Some(PermanentError::ChatNotFound));
    let (status, body) = call(&fake, "sendMessage", json!({"chat_id": 5, "text": "hi"})).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (403, Some("Forbidden: bot was blocked by the user"))
    );
    let (status, _) = call(
        &fake,
        "sendChatAction",
        json!({"chat_id": 5, "action": "typing"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = call(&fake, "sendMessage", json!({"chat_id": 6, "text": "hi"})).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: chat not found"))
    );
    fake.set_permanent_error(5, None);
    let (status, _) = call(
        &fake,
        "sendChatAction",
        json!({"chat_id": 5, "action": "typing"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &fake,
        "sendChatAction",
        json!({"chat_id": 5, "action": "dancing"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(fake.chat_counters(5).chat_actions, 1);

    fake.set_config(FakeTelegramConfig {
        server_error_rate: 1.0,
        latency: Duration::from_millis(200),
        ..FakeTelegramConfig::default()
    });
    let started = Instant::now();
    let (status, body) = call(&fake, "sendMessage", json!({"chat_id": 5, "text": "hi"})).await;
    assert_eq!((status, body["error_code"].as_i64()), (500, Some(500)));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(fake.chat_counters(5).failed, 2);
}

#[tokio::test]
async fn texts_are_checked_like_telegram() {
    let fake = start().await;
    let send = |text: String, mode: Option<&str>| {
        let mut body = json!({"chat_id": 9, "text": text});
        if let Some(mode) = mode {
            body["parse_mode"] = json!(mode);
        }
        call(&fake, "sendMessage", body)
    };
    let (status, body) = send("<b>unclosed".into(), Some("HTML")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    );
    let (_, body) = send("a<br>b".into(), Some("HTML")).await;
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("Unsupported start tag \"br\"")
    );
    // 2048 emoji are 4096 UTF-16 units: the limit exactly.
    assert_eq!(send("😀".repeat(2048), None).await.0, 200);
    let (status, body) = send(format!("{}a", "😀".repeat(2048)), None).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: message is too long"))
    );
    // Markup does not count towards the limit.
    assert_eq!(
        send(format!("<b>{}</b>", "a".repeat(4096)), Some("HTML"))
            .await
            .0,
        200
    );
    for empty in ["", "  \n", "<b></b>"] {
        let (status, body) = send(empty.into(), Some("HTML")).await;
        assert_eq!(
            (status, body["description"].as_str()),
            (400, Some("Bad Request: message text is empty"))
        );
    }
    let (status, _) = send("x".into(), Some("Shouting")).await;
    assert_eq!(status, 400);

    // The entity-error knob refuses sends with a parse mode only, per chat or everywhere.
    fake.set_chat_faults(
        9,
        ChatFaults {
            reject_parse_mode: true,
            ..ChatFaults::default()
        },
    );
    let (status, body) = send("<b>fine</b>".into(), Some("HTML")).await;
    assert_eq!(status, 400);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with("Bad Request: can't parse entities: ")
    );
    assert_eq!(send("<b>fine</b>".into(), None).await.0, 200);
    let (status, _) = call(
        &fake,
        "sendMessage",
        json!({"chat_id": 10, "text": "ok", "parse_mode": "MarkdownV2"}),
    )
    .await;
    assert_eq!(status, 200);
    fake.set_reject_parse_mode(true);
    let (status, _) = call(
        &fake,
        "sendMessage",
        json!({"chat_id": 10, "text": "ok", "parse_mode": "MarkdownV2"}),
    )
    .await;
    assert_eq!(status, 400);
}
