//! The fake Telegram's files, webhooks and command menus over HTTP.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::tests::{TOKEN, alice, call, start};
use super::*;

/// What a webhook endpoint received: the secret header and the body.
type Deliveries = Arc<Mutex<Vec<(Option<String>, Value)>>>;

async fn download(fake: &FakeTelegram, token: &str, path: &str) -> (u16, Vec<u8>) {
    let url = format!("{}/file/bot{token}/{path}", fake.base_url());
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn documents_are_served_and_uploads_recorded() {
    let fake = start().await;
    let chat = TgChat::private(&alice());
    let pushed = fake.push_document(
        &chat,
        &alice(),
        "notes.txt",
        &b"line one\n"[..],
        Some("see @fake_bot"),
    );
    let (_, updates) = call(&fake, "getUpdates", json!({})).await;
    let message = &updates["result"][0]["message"];
    assert_eq!(message["message_id"], pushed.message_id);
    assert_eq!(message["caption"], "see @fake_bot");
    assert_eq!(message["caption_entities"][0]["type"], "mention");
    let document = &message["document"];
    assert_eq!(
        (
            document["file_name"].as_str(),
            document["file_size"].as_u64()
        ),
        (Some("notes.txt"), Some(9))
    );
    let (status, file) = call(&fake, "getFile", json!({"file_id": document["file_id"]})).await;
    assert_eq!(status, 200);
    let path = file["result"]["file_path"].as_str().unwrap().to_owned();
    assert_eq!(
        download(&fake, TOKEN, &path).await,
        (200, b"line one\n".to_vec())
    );
    assert_eq!(download(&fake, "1:WRONG", &path).await.0, 401);
    assert_eq!(download(&fake, TOKEN, "documents/missing.txt").await.0, 404);
    let (status, body) = call(&fake, "getFile", json!({"file_id": "nope"})).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: invalid file_id"))
    );

    // An upload in the `document` part, and one referenced as attach://.
    let url = format!("{}/bot{TOKEN}/sendDocument", fake.base_url());
    let part = reqwest::multipart::Part::bytes(b"%PDF".to_vec())
        .file_name("report.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("chat_id", "42")
        .text("caption", "<i>weekly</i>")
        .text("parse_mode", "HTML")
        .text(
            "reply_parameters",
            format!("{{\"message_id\":{}}}", pushed.message_id),
        )
        .part("document", part);
    let body: Value = reqwest::Client::new()
        .post(&url)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["caption"], "weekly");
    assert_eq!(body["result"]["document"]["mime_type"], "application/pdf");
    let form = reqwest::multipart::Form::new()
        .text("chat_id", "42")
        .text("document", "attach://f1")
        .part(
            "f1",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.bin"),
        );
    let status = reqwest::Client::new()
        .post(&url)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);

    let sent = fake.wait_for_sent(2, Duration::from_secs(1)).await.unwrap();
    let doc = sent[0].document.clone().unwrap();
    assert_eq!(
        (doc.file_name.as_str(), doc.bytes.as_ref()),
        ("report.pdf", &b"%PDF"[..])
    );
    assert_eq!(sent[0].caption.as_deref(), Some("<i>weekly</i>"));
    assert_eq!(sent[0].reply_to_message_id, Some(pushed.message_id));
    assert_eq!(
        sent[1].document.as_ref().map(|d| d.file_name.as_str()),
        Some("x.bin")
    );
    // A sent file can be sent again by id, and fetched.
    let (status, _) = call(
        &fake,
        "sendDocument",
        json!({"chat_id": 42, "document": doc.file_id}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, file) = call(&fake, "getFile", json!({"file_id": doc.file_id})).await;
    let path = file["result"]["file_path"].as_str().unwrap();
    assert_eq!(download(&fake, TOKEN, path).await.1, b"%PDF".to_vec());
    let (status, _) = call(
        &fake,
        "sendDocument",
        json!({"chat_id": 42, "document": "unknown"}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn webhooks_are_recorded_and_delivered_with_the_secret() {
    let fake = start().await;
    let (status, body) = call(
        &fake,
        "setWebhook",
        json!({"url": "http://bot.example/hook"}),
    )
    .await;
    assert_eq!(
        (status, body["description"].as_str()),
        (
            400,
            Some("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        )
    );
    let (status, _) = call(
        &fake,
        "setWebhook",
        json!({"url": "https://bot.example/hook", "secret_token": "bad secret!"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &fake,
        "setWebhook",
        json!({"url": "https://bot.example/hook", "secret_token": "s3cr-et_", "allowed_updates": ["message"], "max_connections": 5}),
    )
    .await;
    assert_eq!(status, 200);
    let hook = fake.webhook().unwrap();
    assert_eq!(hook.url, "https://bot.example/hook");
    assert_eq!(hook.secret_token.as_deref(), Some("s3cr-et_"));
    assert_eq!(hook.allowed_updates, Some(vec!["message".to_owned()]));
    let (_, info) = call(&fake, "getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], "https://bot.example/hook");
    assert_eq!(call(&fake, "getUpdates", json!({})).await.0, 409);
    assert_eq!(
        call(
            &fake,
            "deleteWebhook",
            json!({"drop_pending_updates": true})
        )
        .await
        .0,
        200
    );
    assert_eq!(fake.webhook(), None);
    assert_eq!(call(&fake, "getUpdates", json!({})).await.0, 200);

    // A bot's webhook endpoint receives the update and the secret header.
    let seen: Deliveries = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: HeaderMap, body: axum::Json<Value>| async move {
                let secret = headers
                    .get(SECRET_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                record.lock().unwrap().push((secret, body.0));
                "ok"
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let update = json!({"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}});
    let url = format!("http://{addr}/hook");
    assert_eq!(
        fake.post_update_to(&url, Some("s3cr-et_"), &update)
            .await
            .unwrap(),
        200
    );
    assert_eq!(
        fake.post_update_to(&format!("http://{addr}/other"), None, &update)
            .await
            .unwrap(),
        404
    );
    assert_eq!(
        seen.lock().unwrap().clone(),
        vec![(Some("s3cr-et_".to_owned()), update)]
    );
    server.abort();
}

#[tokio::test]
async fn command_menus_are_kept_per_scope_and_language() {
    let fake = start().await;
    let menu = json!([{"command": "start", "description": "Begin"}, {"command": "forget", "description": "Forget me"}]);
    assert_eq!(
        call(&fake, "setMyCommands", json!({"commands": menu}))
            .await
            .0,
        200
    );
    let scope = json!({"type": "all_private_chats"});
    let german = json!([{"command": "start", "description": "Los"}]);
    let body = json!({"commands": german, "scope": scope, "language_code": "de"});
    assert_eq!(call(&fake, "setMyCommands", body).await.0, 200);
    let names: Vec<String> = fake.commands().into_iter().map(|c| c.command).collect();
    assert_eq!(names, vec!["start", "forget"]);
    let de = fake.commands_for(TOKEN, Some(&scope), Some("de"));
    assert_eq!(
        de,
        vec![BotCommand {
            command: "start".into(),
            description: "Los".into()
        }]
    );
    assert!(fake.commands_for(TOKEN, Some(&scope), None).is_empty());
    let (_, got) = call(
        &fake,
        "getMyCommands",
        json!({"scope": {"type": "default"}}),
    )
    .await;
    assert_eq!(got["result"], menu);
    let bad = json!({"commands": [{"command": "Start!", "description": "x"}]});
    let (status, body) = call(&fake, "setMyCommands", bad).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: BOT_COMMAND_INVALID"))
    );
    assert_eq!(fake.commands().len(), 2);
}
