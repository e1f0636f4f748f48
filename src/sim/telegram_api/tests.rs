//! The fake Telegram over real HTTP: tokens, update offsets and long polling, update filters,
//! sends and their records, flood control per chat.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

pub(super) const TOKEN: &str = "123456:TEST-TOKEN";

pub(super) async fn call(fake: &FakeTelegram, method: &str, body: Value) -> (u16, Value) {
    let url = format!("{}/bot{TOKEN}/{method}", fake.base_url());
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub(super) fn alice() -> TgUser {
    TgUser::new(42, "Alice").username("alice")
}

pub(super) async fn start() -> FakeTelegram {
    FakeTelegram::start(FakeTelegramConfig::default())
        .await
        .unwrap()
}

fn ids(updates: &Value) -> Vec<i64> {
    updates["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn tokens_are_checked_and_method_names_ignore_case() {
    let fake = start().await;
    let url = format!("{}/botWRONG:1/getMe", fake.base_url());
    let response = reqwest::Client::new().post(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    for method in ["getMe", "GetMe", "getme"] {
        let (status, body) = call(&fake, method, json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(body["ok"], true);
        assert_eq!(body["result"]["id"], 123_456);
        assert_eq!(body["result"]["username"], "fake_bot");
        assert_eq!(body["result"]["has_main_web_app"], false);
    }
    let (status, body) = call(&fake, "sendSticker", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body["description"], "Not Found");
    assert_eq!(fake.calls("GETME").len(), 3);
}

#[tokio::test]
async fn offsets_confirm_updates_for_good() {
    let fake = start().await;
    let chat = TgChat::private(&alice());
    let pushed: Vec<Pushed> = (0..4)
        .map(|i| fake.push_message(&chat, &alice(), &format!("m{i}")))
        .collect();
    let all: Vec<i64> = pushed.iter().map(|p| p.update_id).collect();
    let (_, body) = call(&fake, "getUpdates", json!({})).await;
    assert_eq!(ids(&body), all);
    assert_eq!(body["result"][0]["message"]["text"], "m0");
    assert_eq!(body["result"][0]["message"]["message_id"], 1);
    // Unconfirmed updates come again; an offset drops everything below it.
    let (_, body) = call(&fake, "getUpdates", json!({"offset": all[2], "limit": 1})).await;
    assert_eq!(ids(&body), vec![all[2]]);
    let (_, body) = call(&fake, "getUpdates", json!({"offset": 0})).await;
    assert_eq!(ids(&body), all[2..].to_vec());
    // A negative offset keeps only the last ones.
    let (_, body) = call(&fake, "getUpdates", json!({"offset": -1})).await;
    assert_eq!(ids(&body), vec![all[3]]);
    let (_, body) = call(&fake, "getUpdates", json!({"offset": all[3] + 1})).await;
    assert_eq!(ids(&body), Vec::<i64>::new());
    assert_eq!(fake.pending_updates(), 0);
}

#[tokio::test]
async fn long_polls_wake_on_push_and_end_empty_within_the_cap() {
    let cfg = FakeTelegramConfig {
        long_poll_max: Duration::from_millis(300),
        ..FakeTelegramConfig::default()
    };
    let fake = FakeTelegram::start(cfg).await.unwrap();
    let started = Instant::now();
    let (_, body) = call(&fake, "getUpdates", json!({"timeout": 30})).await;
    assert_eq!(body["result"], json!([]));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");

    fake.set_config(FakeTelegramConfig {
        long_poll_max: Duration::from_secs(5),
        ..FakeTelegramConfig::default()
    });
    let pusher = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        fake.push_message(&TgChat::private(&alice()), &alice(), "wake up")
    };
    let started = Instant::now();
    let ((_, body), pushed) =
        tokio::join!(call(&fake, "getUpdates", json!({"timeout": 10})), pusher);
    assert_eq!(ids(&body), vec![pushed.update_id]);
    assert!(started.elapsed() < Duration::from_secs(2));

    // A second poller ends the first with 409.
    let first = call(
        &fake,
        "getUpdates",
        json!({"offset": pushed.update_id + 1, "timeout": 10}),
    );
    let second = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        call(&fake, "getUpdates", json!({"timeout": 0})).await
    };
    let ((status, body), (second_status, _)) = tokio::join!(first, second);
    assert_eq!((status, second_status), (409, 200));
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("terminated by other getUpdates")
    );
}

#[tokio::test]
async fn allowed_updates_filter_and_raw_updates() {
    let fake = start().await;
    let chat = TgChat::private(&alice());
    let first = fake.push_message(&chat, &alice(), "original");
    let edit = fake.push_edit(
        &chat,
        &alice(),
        first.message_id,
        "edited 😀 @fake_bot /start@fake_bot",
    );
    fake.push_update(json!({"message_reaction": {"chat": {"id": 42}}}));
    let raw = fake.push_update(json!({"update_id": 99_999, "no_such_kind": true}));
    let (_, body) = call(
        &fake,
        "getUpdates",
        json!({"allowed_updates": "[\"edited_message\"]"}),
    )
    .await;
    assert_eq!(ids(&body), vec![edit.update_id, raw]);
    let edited = &body["result"][0]["edited_message"];
    assert_eq!(edited["message_id"], first.message_id);
    assert!(edited["edit_date"].is_i64());
    // Offsets are UTF-16: the emoji counts twice.
    assert_eq!(
        edited["entities"],
        json!([
            {"type": "mention", "offset": 10, "length": 9},
            {"type": "bot_command", "offset": 20, "length": 15},
        ])
    );
    // Kinds that were not allowed are gone, even after the filter is lifted.
    let (_, body) = call(&fake, "getUpdates", json!({"allowed_updates": []})).await;
    assert_eq!(ids(&body), vec![edit.update_id, raw]);
}

#[tokio::test]
async fn sends_are_recorded_with_ids_increasing_per_chat() {
    let fake = start().await;
    let group = TgChat::forum(-1_001_234_567_890, "Crew");
    let asked = fake.push_message(&group, &alice(), "hi @fake_bot");
    let (status, body) = call(
        &fake,
        "sendMessage",
        json!({
            "chat_id": group.id,
            "text": "<b>Hello</b> there",
            "parse_mode": "HTML",
            "reply_parameters": {"message_id": asked.message_id},
            "message_thread_id": 7,
            "link_preview_options": {"is_disabled": true},
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let message = &body["result"];
    assert_eq!(message["message_id"], asked.message_id + 1);
    assert_eq!(message["text"], "Hello there");
    assert_eq!(
        message["entities"],
        json!([{"type": "bold", "offset": 0, "length": 5}])
    );
    assert_eq!(message["chat"]["title"], "Crew");
    assert_eq!(message["from"]["is_bot"], true);
    assert_eq!(message["reply_to_message"]["text"], "hi @fake_bot");
    assert_eq!(message["message_thread_id"], 7);

    // Form-encoded, the way some clients send, into a chat the fake never saw.
    let url = format!("{}/bot{TOKEN}/sendMessage", fake.base_url());
    let form = [
        ("chat_id", "77"),
        ("text", "plain"),
        ("reply_to_message_id", "1"),
        ("allow_sending_without_reply", "true"),
    ];
    let response = reqwest::Client::new()
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["message_id"], 1);
    assert_eq!(body["result"]["chat"]["type"], "private");

    let sent = fake.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method, "sendMessage");
    assert_eq!(sent[0].chat_id, group.id);
    assert_eq!(sent[0].text.as_deref(), Some("<b>Hello</b> there"));
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(sent[0].reply_to_message_id, Some(asked.message_id));
    assert_eq!(sent[0].message_thread_id, Some(7));
    assert_eq!(
        sent[0].link_preview_options,
        Some(json!({"is_disabled": true}))
    );
    assert_eq!((sent[1].chat_id, sent[1].body()), (77, "plain"));
    assert_eq!(sent[1].reply_to_message_id, Some(1));
    assert_eq!(fake.chat_counters(group.id).delivered, 1);

    // A reply to a message that does not exist is refused unless allowed.
    let (status, body) = call(
        &fake,
        "sendMessage",
        json!({"chat_id": 77, "text": "x", "reply_parameters": {"message_id": 500}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: message to be replied not found"
    );
    assert!(
        fake.wait_for_sent(3, Duration::from_millis(50))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn flood_control_is_per_chat_with_retry_after() {
    let fake = start().await;
    fake.throttle_chat(1, 2, 3);
    for _ in 0..2 {
        let url = format!("{}/bot{TOKEN}/sendMessage", fake.base_url());
        let response = reqwest::Client::new()
            .post(url)
            .json(&json!({"chat_id": 1, "text": "hi"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"ok": false, "error_code": 429,
                   "description": "Too Many Requests: retry after 3",
                   "parameters": {"retry_after": 3}})
        );
        let (status, _) = call(&fake, "sendMessage", json!({"chat_id": 2, "text": "hi"})).await;
        assert_eq!(status, 200);
    }
    let (status, _) = call(&fake, "sendMessage", json!({"chat_id": 1, "text": "hi"})).await;
    assert_eq!(status, 200);
    let counters = fake.chat_counters(1);
    assert_eq!((counters.throttled, counters.delivered), (2, 1));
    assert_eq!(fake.chat_counters(2).delivered, 2);
    assert_eq!(
        fake.calls("sendMessage")
            .iter()
            .filter(|c| c.status == 429)
            .count(),
        2
    );
}
