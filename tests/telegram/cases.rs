//! One behaviour per test, each on its own fake Telegram, fake AI and store.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard::sim::ai_server::FakeAiConfig;
use switchboard::sim::telegram_api::{Incoming, PermanentError, TgChat, TgUser};
use switchboard::store::{ConversationKey, UserKey, UserStatus};
use switchboard_platforms::utf16_len;

use crate::support::{BOT_ID, Opts, SECRET, start};

fn alice() -> TgUser {
    TgUser::new(42, "Alice").username("alice")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_chat_keeps_history_and_takes_commands() {
    let tg = start(Opts::default()).await;
    let a = alice();
    let chat = TgChat::private(&a);
    let menu: Vec<String> = tg.fake.commands().into_iter().map(|c| c.command).collect();
    for c in ["help", "status", "note", "heartbeat", "forget"] {
        assert!(menu.contains(&c.to_owned()), "{c} missing from {menu:?}");
    }

    tg.fake.push_message(&chat, &a, "hello there");
    let sent = tg.sends(1, 10).await;
    assert_eq!(sent[0].chat_id, 42);
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        sent[0].reply_to_message_id, None,
        "private answers are not threaded"
    );
    tg.fake.push_message(&chat, &a, "and a second thing");
    tg.sends(2, 10).await;
    let seen = tg.ai.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].messages, 3,
        "the second request carries the first exchange"
    );
    assert_eq!(seen[1].user, "telegram:42");

    tg.fake.push_message(&chat, &a, "/note I like jasmine tea");
    tg.sends(3, 10).await;
    tg.fake.push_message(&chat, &a, "/notes");
    let sent = tg.sends(4, 10).await;
    assert!(
        sent[3].body().contains("I like jasmine tea"),
        "{}",
        sent[3].body()
    );
    tg.fake.push_message(&chat, &a, "/frobnicate");
    let sent = tg.sends(5, 10).await;
    assert!(sent[4].body().contains("/help"));
    let user = tg
        .svc
        .store
        .user(&UserKey::new("telegram:private", "telegram:42"))
        .await
        .unwrap()
        .expect("registered under the private-chat tenant");
    assert_eq!(user.display_name, "Alice");
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_answer_only_mentions_replies_and_commands() {
    let tg = start(Opts::default()).await;
    let a = alice();
    let group = TgChat::supergroup(-100_777, "Book club");
    tg.fake
        .push_message(&group, &a, "just chatting with friends");
    tg.fake.push_message(&group, &a, "/status@some_other_bot");
    let asked = tg
        .fake
        .push_message(&group, &a, "@fake_bot what is a sonnet?");
    let first = tg.sends(1, 10).await;
    assert_eq!(first[0].reply_to_message_id, Some(asked.message_id));
    tg.fake
        .push_reply(&group, &a, "tell me more", first[0].message_id);
    tg.sends(2, 10).await;
    tg.fake.push_message(&group, &a, "/help");
    tg.sends(3, 10).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        tg.fake.sent().len(),
        3,
        "the plain message and the other bot's command are ignored"
    );
    assert_eq!(tg.ai.request_count(), 2);
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reply_arrives_in_parts_within_the_limit() {
    let tg = start(Opts {
        ai: FakeAiConfig {
            reply_words: 1_400,
            ..FakeAiConfig::default()
        },
        ..Opts::default()
    })
    .await;
    let a = alice();
    tg.fake
        .push_message(&TgChat::private(&a), &a, "tell me a long story");
    let sent = tg.sends(3, 20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent_now = tg.fake.sent();
    assert_eq!(sent_now.len(), sent.len().max(3));
    let total: usize = sent_now.iter().map(|s| s.body().len()).sum();
    assert!(total > 8_000, "the reply is long ({total} bytes)");
    assert!(
        (3..=4).contains(&sent_now.len()),
        "{} parts",
        sent_now.len()
    );
    for s in &sent_now {
        assert!(utf16_len(s.body()) <= 4096);
    }
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_formatting_falls_back_to_plain_text() {
    let tg = start(Opts::default()).await;
    tg.fake.set_reject_parse_mode(true);
    let a = alice();
    tg.fake.push_message(&TgChat::private(&a), &a, "hi");
    let sent = tg.sends(1, 10).await;
    assert_eq!(sent[0].parse_mode, None);
    assert!(!sent[0].body().is_empty());
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_control_on_one_chat_does_not_hold_back_another() {
    let tg = start(Opts::default()).await;
    let (a, b) = (alice(), TgUser::new(43, "Bob"));
    tg.fake.throttle_chat(42, 1, 3);
    let t0 = Instant::now();
    tg.fake.push_message(&TgChat::private(&a), &a, "hi from a");
    tg.fake.push_message(&TgChat::private(&b), &b, "hi from b");
    let sent = tg.sends(2, 15).await;
    assert_eq!(sent[0].chat_id, 43, "b first: a waits out its retry_after");
    assert_eq!(sent[1].chat_id, 42);
    assert!(
        t0.elapsed() >= Duration::from_secs(3),
        "retry_after honoured"
    );
    assert_eq!(tg.fake.chat_counters(42).throttled, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(tg.to_chat(42).len(), 1, "answered once");
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_update_makes_no_second_reply_and_garbage_is_skipped() {
    let tg = start(Opts::default()).await;
    let message = json!({
        "message_id": 77, "date": 1_700_000_000,
        "chat": {"id": 42, "type": "private", "first_name": "Alice"},
        "from": {"id": 42, "is_bot": false, "first_name": "Alice"},
        "text": "are you there?"
    });
    tg.fake
        .push_update(json!({"update_id": 9001, "message": "not a message"}));
    tg.fake.push_update(json!({"no": "update id"}));
    tg.fake
        .push_update(json!({"update_id": 9002, "message": message}));
    tg.fake
        .push_update(json!({"update_id": 9003, "message": message}));
    tg.sends(1, 10).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(tg.fake.sent().len(), 1);
    assert_eq!(tg.ai.request_count(), 1);
    let a = alice();
    tg.fake
        .push_message(&TgChat::private(&a), &a, "still working?");
    tg.sends(2, 10).await;
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_documents_are_read_and_others_get_a_clear_reply() {
    let tg = start(Opts::default()).await;
    let a = alice();
    let chat = TgChat::private(&a);
    tg.fake.push_document(
        &chat,
        &a,
        "plan.md",
        "# Plan\n- water the ferns 🌿".as_bytes().to_vec(),
        Some("what do you think of my plan?"),
    );
    tg.sends(1, 10).await;
    let conv = ConversationKey {
        tenant: "telegram:private".into(),
        place: "42".into(),
        user: "telegram:42".into(),
        personality: tg.svc.config().personalities.default.clone(),
    };
    let history = tg.svc.store.history(&conv, 10).await.unwrap();
    assert!(history[0].text.contains("what do you think of my plan?"));
    assert!(
        history[0].text.contains("water the ferns 🌿"),
        "{}",
        history[0].text
    );

    // A file shared in a group without addressing the bot is none of its business.
    let group = TgChat::supergroup(-100_777, "Book club");
    tg.fake.push(Incoming::document(
        &group,
        &a,
        "minutes.pdf",
        b"%PDF-1.4".to_vec(),
    ));
    tg.fake.push(Incoming::document(
        &chat,
        &a,
        "photo.png",
        vec![0x89, b'P', b'N', b'G'],
    ));
    let sent = tg.sends(2, 10).await;
    assert_eq!(sent[1].chat_id, 42, "only the private chat is answered");
    assert!(sent[1].body().contains(".txt"), "{}", sent[1].body());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        tg.ai.request_count(),
        1,
        "nothing to answer in a bare image file"
    );
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_blocked_the_bot_is_marked_inactive_and_others_carry_on() {
    let tg = start(Opts::default()).await;
    let (a, b) = (alice(), TgUser::new(43, "Bob"));
    tg.fake
        .set_permanent_error(42, Some(PermanentError::Blocked));
    tg.fake.push_message(&TgChat::private(&a), &a, "hi");
    tg.fake.push_message(&TgChat::private(&b), &b, "hi");
    let sent = tg.sends(1, 10).await;
    assert_eq!(sent[0].chat_id, 43);
    let key = UserKey::new("telegram:private", "telegram:42");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = tg.svc.store.user(&key).await.unwrap().map(|u| u.status);
        if status == Some(UserStatus::Inactive) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "alice not marked inactive: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_refuses_requests_without_the_secret() {
    let tg = start(Opts {
        webhook: true,
        ..Opts::default()
    })
    .await;
    let hook = tg.fake.webhook().expect("setWebhook was called");
    assert_eq!(hook.url, "https://bot.example.test/telegram/tg");
    assert_eq!(hook.secret_token.as_deref(), Some(SECRET));
    let url = format!("http://{}/telegram/tg", tg.webhook.unwrap());
    let update = |id: i64, text: &str| {
        json!({"update_id": id, "message": {
            "message_id": id, "date": 1_700_000_000,
            "chat": {"id": 42, "type": "private", "first_name": "Alice"},
            "from": {"id": 42, "is_bot": false, "first_name": "Alice"},
            "text": text
        }})
    };
    assert_eq!(
        tg.fake
            .post_update_to(&url, None, &update(1, "no secret"))
            .await
            .unwrap(),
        401
    );
    assert_eq!(
        tg.fake
            .post_update_to(&url, Some("wrong"), &update(2, "wrong secret"))
            .await
            .unwrap(),
        401
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(tg.fake.sent().is_empty(), "nothing was taken in");
    assert_eq!(tg.ai.request_count(), 0);
    assert_eq!(
        tg.fake
            .post_update_to(&url, Some(SECRET), &update(3, "with the secret"))
            .await
            .unwrap(),
        200
    );
    let sent = tg.sends(1, 10).await;
    assert_eq!(sent[0].chat_id, 42);
    assert!(
        tg.fake.calls("getUpdates").is_empty(),
        "webhook mode does not poll"
    );
    let _ = BOT_ID;
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_ignored_or_answered_as_configured() {
    for answer in [false, true] {
        let tg = start(Opts {
            answer_edits: answer,
            ..Opts::default()
        })
        .await;
        let a = alice();
        let chat = TgChat::private(&a);
        let first = tg.fake.push_message(&chat, &a, "what is 2+2?");
        tg.sends(1, 10).await;
        tg.fake
            .push_edit(&chat, &a, first.message_id, "what is 3+3?");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let want = if answer { 2 } else { 1 };
        assert_eq!(tg.fake.sent().len(), want, "answer_edits = {answer}");
        assert_eq!(tg.ai.request_count(), want as u64);
        tg.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_goes_back_to_the_personality_that_spoke() {
    let tg = start(Opts::default()).await;
    let a = alice();
    let group = TgChat::supergroup(-100_888, "Study group");
    tg.fake.push_message(&group, &a, "@fake_bot hello everyone");
    let sent = tg.sends(1, 10).await;
    assert!(
        !sent[0].body().starts_with("<b>"),
        "one voice so far: no name"
    );
    tg.fake
        .push_message(&group, &a, "Sage: how do I reverse a list?");
    let sent = tg.sends(2, 10).await;
    assert!(
        sent[1].body().starts_with("<b>Sage:</b>"),
        "{}",
        sent[1].body()
    );
    assert!(tg.ai.requests()[1].system_prompt.contains("You are Sage"));

    // Replying to Sage's message asks Sage, not the default personality. (Who sent a message is
    // recorded right after Telegram accepts it; a person replies later than that.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    tg.fake
        .push_reply(&group, &a, "and a set?", sent[1].message_id);
    let sent = tg.sends(3, 10).await;
    assert!(
        sent[2].body().starts_with("<b>Sage:</b>"),
        "{}",
        sent[2].body()
    );
    assert!(tg.ai.requests()[2].system_prompt.contains("You are Sage"));
    // Replying to the default personality's message goes to it.
    tg.fake
        .push_reply(&group, &a, "thanks!", sent[0].message_id);
    tg.sends(4, 10).await;
    assert!(!tg.ai.requests()[3].system_prompt.contains("You are Sage"));
    tg.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_bots_each_with_its_own_tenant() {
    let tg = start(Opts {
        two_bots: true,
        ..Opts::default()
    })
    .await;
    let a = alice();
    let chat = TgChat::private(&a);
    tg.fake.push_message(&chat, &a, "hello first bot");
    tg.fake
        .push_for(
            crate::support::TOKEN2,
            Incoming::text(&chat, &a, "hello second bot"),
        )
        .unwrap();
    let sent = tg.sends(2, 10).await;
    let mut bots: Vec<i64> = sent.iter().map(|s| s.bot_id).collect();
    bots.sort_unstable();
    assert_eq!(bots, [123_456, 654_321], "each bot answers its own chat");
    for tenant in ["one", "two"] {
        assert!(
            tg.svc
                .store
                .user(&UserKey::new(tenant, "telegram:42"))
                .await
                .unwrap()
                .is_some(),
            "alice is a user of tenant {tenant}"
        );
    }
    tg.stop().await;
}
