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

/// Two processes on one Redis serving one bot: only the elected one polls (Telegram would answer
/// a second poller 409) and every message is answered once. (Takeover when the leader stops is
/// tested in `tests/leader.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_poller_per_bot_across_processes() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let reachable = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .is_ok();
    if !reachable {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true and Redis at {url} is unreachable"
        );
        eprintln!("skipping: Redis unreachable");
        return;
    }
    let ns = format!("tg-{:08x}", rand::random::<u32>());
    let opts = crate::support::Opts {
        redis: Some(ns.clone()),
        ..crate::support::Opts::default()
    };
    let mut tg = start(opts).await;
    let second = crate::support::instance(
        &tg.fake,
        &tg.ai,
        &crate::support::Opts {
            redis: Some(ns.clone()),
            ..crate::support::Opts::default()
        },
    )
    .await;
    tg.more.push(second);
    let users: Vec<TgUser> = (0..10).map(|i| TgUser::new(500 + i, "U")).collect();
    for u in &users {
        tg.fake.push_message(&TgChat::private(u), u, "hello");
    }
    tg.sends(users.len(), 20).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(tg.fake.sent().len(), users.len(), "each answered once");
    let polls = tg.fake.calls("getUpdates");
    assert!(!polls.is_empty());
    assert!(
        polls.iter().all(|c| c.status == 200),
        "a second poller ran: {:?}",
        polls.iter().map(|c| c.status).collect::<Vec<_>>()
    );
    let conn = redis::Client::open(url.as_str()).unwrap();
    let mut c = conn.get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{ns}*"))
        .query(&mut c)
        .unwrap_or_default();
    tg.stop().await;
    for k in keys.chunks(500) {
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(k).query(&mut c);
    }
}
