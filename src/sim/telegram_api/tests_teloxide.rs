//! A real teloxide `Bot` (the client the Telegram adapter uses) against the fake Telegram:
//! single requests, and a long-polling dispatcher with its startup sequence.

use std::time::Duration;

use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageId, ParseMode, ReplyParameters, UpdateKind};

use super::tests::{TOKEN, alice, start};
use super::*;

fn bot(fake: &FakeTelegram) -> Bot {
    let client = teloxide::net::default_reqwest_settings()
        .no_proxy()
        .build()
        .unwrap();
    Bot::with_client(TOKEN, client).set_api_url(fake.base_url().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teloxide_bot_works_against_the_fake() {
    let fake = start().await;
    let bot = bot(&fake);
    let me = bot.get_me().await.unwrap();
    assert_eq!((me.id.0, me.username()), (123_456, "fake_bot"));

    let pushed = fake.push_message(&TgChat::private(&alice()), &alice(), "hello bot");
    let updates = bot.get_updates().timeout(5).await.unwrap();
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(incoming) = &updates[0].kind else {
        panic!("not a message: {:?}", updates[0].kind);
    };
    assert_eq!(
        (incoming.chat.id, incoming.text()),
        (ChatId(42), Some("hello bot"))
    );

    let reply_to = MessageId(i32::try_from(pushed.message_id).unwrap());
    let message = bot
        .send_message(ChatId(42), "<b>hi</b> &amp; bye")
        .parse_mode(ParseMode::Html)
        .reply_parameters(ReplyParameters::new(reply_to))
        .await
        .unwrap();
    assert_eq!(message.text(), Some("hi & bye"));
    assert_eq!(message.entities().map(<[_]>::len), Some(1));
    let sent = fake.sent();
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(sent[0].reply_to_message_id, Some(pushed.message_id));

    let error = bot
        .send_message(ChatId(42), "<b>x")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("can't parse entities"),
        "{error}"
    );

    let file = InputFile::memory(b"abc".to_vec()).file_name("a.txt");
    let message = bot
        .send_document(ChatId(42), file)
        .caption("doc")
        .await
        .unwrap();
    let document = message.document().unwrap();
    assert_eq!(document.file_name.as_deref(), Some("a.txt"));
    let file = bot.get_file(document.file.id.clone()).await.unwrap();
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await.unwrap();
    assert_eq!(bytes, b"abc");
    // The next poll confirms the first update.
    let updates = bot
        .get_updates()
        .offset(updates[0].id.as_offset())
        .await
        .unwrap();
    assert!(updates.is_empty());
    assert_eq!(fake.pending_updates(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_polling_dispatcher_answers_through_the_fake() {
    let fake = start().await;
    let group = TgChat::group(-77, "Crew");
    fake.push_message(&group, &alice(), "/start@fake_bot");
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        let text = msg.text().unwrap_or_default().to_owned();
        bot.send_message(msg.chat.id, format!("echo: {text}"))
            .await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot(&fake), handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let sent = fake
        .wait_for_sent(1, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        (sent[0].chat_id, sent[0].body()),
        (-77, "echo: /start@fake_bot")
    );
    // Pushed while the dispatcher is polling.
    fake.push_message(&group, &alice(), "second");
    let sent = fake.wait_for_sent(2, Duration::from_secs(5)).await.unwrap();
    assert_eq!(sent[1].body(), "echo: second");
    shutdown.shutdown().unwrap().await;
    running.await.unwrap();

    // Teloxide's startup: getWebhookInfo (no deleteWebhook without a URL), getMe, then polls
    // with a timeout and the update kinds it handles; later polls confirm what it processed.
    assert_eq!(fake.calls("getWebhookInfo").len(), 1);
    assert!(fake.calls("deleteWebhook").is_empty());
    assert!(!fake.calls("getMe").is_empty());
    let polls = fake.calls("getUpdates");
    assert!(polls[0].params["timeout"].as_i64().unwrap() > 0);
    assert!(polls[0].params["allowed_updates"].is_array());
    assert!(polls.iter().all(|p| p.status == 200), "{polls:?}");
    assert!(polls.iter().any(|p| p.params["offset"].as_i64() > Some(0)));
}
