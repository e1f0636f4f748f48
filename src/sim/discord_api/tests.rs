//! The fake Discord's own checks: its REST answers and faults over real HTTP, and a real
//! serenity client connecting to its gateway.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::{Value, json};

use super::*;

const TOKEN: &str = "discord-test-token";

async fn fake() -> FakeDiscord {
    let f = FakeDiscord::start(FakeDiscordConfig {
        webhook_bucket: (2, Duration::from_millis(400)),
        ..FakeDiscordConfig::default()
    })
    .await
    .unwrap();
    f.add_guild(FakeGuild {
        id: 1 << 22,
        name: "g".into(),
        owner_id: 7,
        roles: vec![FakeRole {
            id: 50,
            name: "mods".into(),
            permissions: 16,
        }],
        channels: vec![10, 11],
    });
    f
}

async fn call(
    f: &FakeDiscord,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let c = reqwest::Client::new();
    let url = format!("{}/api/v10{path}", f.base_url());
    let mut req = c
        .request(method.parse().unwrap(), url)
        .header("Authorization", format!("Bot {TOKEN}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

#[tokio::test]
async fn webhooks_are_created_executed_limited_and_forgotten_like_discord() {
    let f = fake().await;
    let (s, hook, _) = call(
        &f,
        "POST",
        "/channels/10/webhooks",
        Some(json!({"name": "switchboard"})),
    )
    .await;
    assert_eq!(s, 200);
    let (id, token) = (
        hook["id"].as_str().unwrap().to_owned(),
        hook["token"].as_str().unwrap().to_owned(),
    );
    let (s, bad, _) = call(
        &f,
        "POST",
        "/channels/10/webhooks",
        Some(json!({"name": "my Discord hook"})),
    )
    .await;
    assert_eq!((s, bad["code"].as_u64()), (400, Some(50035)));
    let path = format!("/webhooks/{id}/{token}?wait=true");
    let body = json!({"content": "hi", "username": "Aria", "avatar_url": "https://a/x.png", "allowed_mentions": {"parse": []}});
    let (s, msg, h) = call(&f, "POST", &path, Some(body.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(msg["webhook_id"], json!(id));
    assert_eq!(h["x-ratelimit-remaining"], "1");
    call(&f, "POST", &path, Some(body.clone())).await;
    let (s, limited, h) = call(&f, "POST", &path, Some(body.clone())).await;
    assert_eq!(s, 429);
    assert!(limited["retry_after"].as_f64().unwrap() > 0.0);
    assert!(h.contains_key("x-ratelimit-reset-after"));
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        call(&f, "POST", &path, Some(body.clone())).await.0,
        200,
        "the bucket refills"
    );
    let posted = f.messages();
    assert_eq!(posted.len(), 3);
    assert_eq!(
        (posted[0].username.as_str(), posted[0].avatar_url.as_deref()),
        ("Aria", Some("https://a/x.png"))
    );
    let (s, long, _) = call(
        &f,
        "POST",
        &path,
        Some(json!({"content": "x".repeat(2001)})),
    )
    .await;
    assert_eq!((s, long["code"].as_u64()), (400, Some(50035)));
    f.delete_webhook(id.parse().unwrap());
    let (s, gone, _) = call(&f, "POST", &path, Some(body)).await;
    assert_eq!((s, gone["code"].as_u64()), (404, Some(10015)));
    assert!(
        f.requests().iter().all(|c| !c.path.contains(&token)),
        "tokens are not recorded"
    );
}

#[tokio::test]
async fn permissions_limits_auth_and_injected_failures() {
    let f = fake().await;
    f.max_webhooks(11, 1);
    assert_eq!(
        call(
            &f,
            "POST",
            "/channels/11/webhooks",
            Some(json!({"name": "a"}))
        )
        .await
        .0,
        200
    );
    let (s, full, _) = call(
        &f,
        "POST",
        "/channels/11/webhooks",
        Some(json!({"name": "b"})),
    )
    .await;
    assert_eq!((s, full["code"].as_u64()), (400, Some(30007)));
    f.forbid(10, Forbid::ManageWebhooks);
    let (s, no, _) = call(&f, "GET", "/channels/10/webhooks", None).await;
    assert_eq!((s, no["code"].as_u64()), (403, Some(50013)));
    assert_eq!(
        call(
            &f,
            "POST",
            "/channels/10/messages",
            Some(json!({"content": "x"}))
        )
        .await
        .0,
        200
    );
    f.forbid(10, Forbid::Send);
    assert_eq!(
        call(
            &f,
            "POST",
            "/channels/10/messages",
            Some(json!({"content": "x"}))
        )
        .await
        .0,
        403
    );
    let r = reqwest::Client::new()
        .get(format!("{}/api/v10/channels/10", f.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    f.fail_next("/channels/11", 503, 1);
    assert_eq!(call(&f, "GET", "/channels/11", None).await.0, 503);
    assert_eq!(call(&f, "GET", "/channels/11", None).await.0, 200);
    f.delete_channel(11);
    let (s, gone, _) = call(
        &f,
        "POST",
        "/channels/11/messages",
        Some(json!({"content": "x"})),
    )
    .await;
    assert_eq!((s, gone["code"].as_u64()), (404, Some(10003)));
    assert_eq!(call(&f, "GET", "/nothing/here", None).await.0, 404);
}

struct Seen(tokio::sync::mpsc::UnboundedSender<String>);

#[serenity::async_trait]
impl serenity::all::EventHandler for Seen {
    async fn message(&self, ctx: serenity::all::Context, msg: serenity::all::Message) {
        let cached = msg
            .guild_id
            .and_then(|g| ctx.cache.guild(g).map(|g| g.roles.len()))
            .unwrap_or(0);
        let _ = self.0.send(format!(
            "{}|{}|{}|{cached}",
            msg.content,
            msg.webhook_id.is_some(),
            msg.member.map_or(0, |m| m.roles.len())
        ));
    }
    async fn interaction_create(&self, ctx: serenity::all::Context, i: serenity::all::Interaction) {
        if let serenity::all::Interaction::Command(c) = i {
            let moderator = c
                .member
                .as_ref()
                .and_then(|m| m.permissions)
                .is_some_and(|p| p.manage_channels());
            let r = serenity::all::CreateInteractionResponse::Message(
                serenity::all::CreateInteractionResponseMessage::new()
                    .content("ok")
                    .ephemeral(true),
            );
            c.create_response(&ctx.http, r).await.unwrap();
            let _ = self.0.send(format!("/{}|{moderator}", c.data.name));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_connects_caches_the_server_and_receives_messages_and_commands() {
    let f = fake().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let http = serenity::all::HttpBuilder::new(TOKEN)
        .proxy(f.base_url())
        .ratelimiter_disabled(true)
        .build();
    let intents = serenity::all::GatewayIntents::GUILDS
        | serenity::all::GatewayIntents::GUILD_MESSAGES
        | serenity::all::GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::all::ClientBuilder::new_with_http(http, intents)
        .event_handler(Seen(tx))
        .await
        .unwrap();
    let shards = client.shard_manager.clone();
    tokio::spawn(async move { client.start().await });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while f.gateway_connections() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no connection: {:?}",
            f.requests()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        f.requests()
            .iter()
            .any(|c| c.path.starts_with("/api/v10/gateway")),
        "the fake gateway, not Discord's"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = f.user_message(UserMessage {
        guild: Some(1 << 22),
        channel: 10,
        author: 5,
        content: "hello".into(),
        reply_to: None,
        roles: vec![50],
        attachments: vec![],
    });
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got, "hello|false|1|2",
        "content, not a webhook, one member role, two roles cached"
    );
    f.user_message(UserMessage {
        guild: Some(1 << 22),
        channel: 10,
        author: 5,
        content: "again".into(),
        reply_to: Some(first),
        roles: vec![],
        attachments: vec![],
    });
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(got.starts_with("again|false"));
    f.slash_command(SlashCommand {
        guild: Some(1 << 22),
        channel: 10,
        user: 5,
        roles: vec![50],
        name: "status".into(),
        options: vec![],
    });
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, "/status|true");
    let r = f
        .wait_for_interaction_responses(1, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        (r[0].kind, r[0].content.as_str(), r[0].flags),
        (4, "ok", 64)
    );
    shards.shutdown_all().await;
}
