//! Fairness through Telegram (coalescing off): one chat sends 200 messages, 20 other chats send one
//! each after it; every other chat's reply arrives before the flooder's 30th.

use std::time::Duration;

use switchboard::sim::ai_server::FakeAiConfig;
use switchboard::sim::telegram_api::{TgChat, TgUser};

use crate::support::{Opts, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_chat_never_delays_the_others() {
    let tg = start(Opts {
        ai: FakeAiConfig {
            latency: Duration::from_millis(20),
            reply_words: 5,
            ..FakeAiConfig::default()
        },
        ..Opts::default()
    })
    .await;
    let flooder = TgUser::new(1000, "Flo");
    let fchat = TgChat::private(&flooder);
    for i in 0..200 {
        tg.fake
            .push_message(&fchat, &flooder, &format!("message {i}"));
    }
    // The flood is under way before anyone else writes.
    tg.sends(2, 20).await;
    let others: Vec<TgUser> = (0..20).map(|i| TgUser::new(2000 + i, "Light")).collect();
    for u in &others {
        tg.fake.push_message(&TgChat::private(u), u, "hello");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let sent = tg.fake.sent();
        let answered: std::collections::HashSet<i64> = sent
            .iter()
            .filter(|s| s.chat_id != 1000)
            .map(|s| s.chat_id)
            .collect();
        let flood_replies = sent.iter().filter(|s| s.chat_id == 1000).count();
        if answered.len() == others.len() {
            assert!(
                flood_replies < 30,
                "the flooder had {flood_replies} replies before the last light user's"
            );
            break;
        }
        assert!(
            flood_replies < 30,
            "the flooder reached 30 replies while {} of 20 others were answered",
            answered.len()
        );
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tg.stop().await;
}
