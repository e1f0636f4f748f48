//! A restart loses no accepted job and keeps history and usage.

use std::time::Duration;

use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::store::{ConversationKey, UsageScope, UserKey, day_of};

use crate::support::{Mode, Place, config, start};

pub async fn a_restart_loses_no_accepted_job(mode: Mode) {
    let slow = FakeAi::start(FakeAiConfig {
        latency: Duration::from_secs(30),
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&slow, &place);
    cfg.workers.concurrency = 1;
    cfg.workers.shutdown_grace = Duration::from_millis(100);
    let h = start(cfg.clone()).await;
    for u in ["p", "q", "r", "s"] {
        h.say("acme", u, 0, "are you there?").await;
    }
    h.until(5, "one job in flight", |h| {
        h.events
            .count(|e| matches!(e, crate::support::Event::Leased { .. }))
            == 1
    })
    .await;
    // Stop with one job mid-generation and three still queued.
    let released = h.rt.shutdown().await;
    assert_eq!(released, 1);

    let fast = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let mut cfg = config(&fast, &place);
    cfg.workers.concurrency = 1;
    let h = start(cfg).await;
    h.until(10, "every accepted message answered", |h| {
        ["p", "q", "r", "s"].iter().all(|u| h.answered(u) == 1)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fast.request_count(), 4, "each answered once");
    let svc = &h.rt.svc;
    for u in ["p", "q", "r", "s"] {
        let conv = ConversationKey {
            tenant: "acme".into(),
            place: u.into(),
            user: format!("sim:{u}"),
            personality: "Aria".into(),
        };
        let hist = svc.store.history(&conv, 10).await.unwrap();
        assert_eq!(
            hist.len(),
            2,
            "the question from before the restart and its answer"
        );
        let key = UserKey::new("acme", format!("sim:{u}"));
        let today = day_of(svc.now_ms());
        assert_eq!(
            svc.store
                .usage(UsageScope::User(&key), today, today)
                .await
                .unwrap()
                .requests,
            1
        );
    }
    h.rt.shutdown().await;

    // And a third start finds nothing left to do.
    let h = start(config(&fast, &place)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fast.request_count(), 4);
    h.rt.shutdown().await;
}
