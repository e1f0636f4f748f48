//! End-to-end behaviour of the pipeline, each run on both storage modes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use switchboard::config::{QuotaOverride, Rate, UserOverride};
use switchboard::ingress::Handled;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig, UserFaults};
use switchboard::store::{ConversationKey, Role, UsageScope, UserKey, day_of};

use crate::support::{Event, Mode, Place, config, start};

fn ai(latency_ms: u64) -> FakeAiConfig {
    FakeAiConfig {
        latency: Duration::from_millis(latency_ms),
        ..FakeAiConfig::default()
    }
}

/// A flood by one user does not delay light users: each light message is dispatched within the
/// queue's bound after it arrives, however many flood jobs are waiting.
pub async fn a_flood_does_not_delay_light_users(mode: Mode) {
    let fake = FakeAi::start(ai(15)).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.workers.concurrency = 2;
    let h = start(cfg).await;
    for i in 0..150 {
        assert!(matches!(
            h.say("acme", "flooder", i, "flood").await,
            Handled::Queued(_)
        ));
    }
    h.until(10, "the flood to start", |h| h.answered("flooder") >= 3)
        .await;
    for (i, (tenant, user)) in [
        ("acme", "ann"),
        ("other", "bob"),
        ("acme", "cy"),
        ("other", "di"),
    ]
    .iter()
    .enumerate()
    {
        tokio::time::sleep(Duration::from_millis(60)).await;
        h.say(tenant, user, i, "hello").await;
    }
    h.until(20, "light users answered", |h| {
        ["ann", "bob", "cy", "di"]
            .iter()
            .all(|u| h.answered(u) == 1)
    })
    .await;
    // Dispatches between each light message's arrival and its own dispatch: at most active
    // tenants (2) + active users of its tenant (flooder + itself) + 1, plus one per worker
    // already holding a lease when it arrived.
    let events = h.events.all();
    for user in ["sim:ann", "sim:bob", "sim:cy", "sim:di"] {
        let queued = events
            .iter()
            .position(|e| matches!(e, Event::Queued { user: u, .. } if u == user))
            .unwrap();
        let leased = events
            .iter()
            .position(|e| matches!(e, Event::Leased { user: u, .. } if u == user))
            .unwrap();
        // (A worker may take the job before ingress reports it queued.)
        let ahead = events[queued.min(leased)..leased]
            .iter()
            .filter(|e| matches!(e, Event::Leased { .. }))
            .count();
        assert!(
            ahead <= 2 + 2 + 1 + 2,
            "{user} waited behind {ahead} dispatches"
        );
    }
    assert!(
        h.answered("flooder") < 150,
        "light users were served while the flood was still queued"
    );
    h.rt.shutdown().await;
}

/// One user's AI failures open only their breaker; every other user's replies all succeed, and the
/// failing user is told once, in character.
pub async fn failures_open_only_that_users_breaker(mode: Mode) {
    let mut faults = ai(5);
    faults.users.insert(
        "sim:broken".into(),
        UserFaults {
            error_rate: Some(1.0),
            ..UserFaults::default()
        },
    );
    let fake = FakeAi::start(faults).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.queue.max_attempts = 3;
    let error_message = cfg
        .personalities
        .all
        .values()
        .next()
        .unwrap()
        .error_message
        .clone();
    let h = start(cfg).await;
    for n in 0..4 {
        h.say("acme", "broken", n, "hi").await;
        for u in ["u1", "u2", "u3"] {
            h.say("acme", u, n, "hi").await;
        }
    }
    h.until(20, "healthy users answered", |h| {
        ["u1", "u2", "u3"].iter().all(|u| h.answered(u) == 4)
    })
    .await;
    h.until(20, "the broken user's jobs given up", |h| {
        h.events
            .count(|e| matches!(e, Event::Failed { dead: true, .. }))
            == 4
    })
    .await;
    let opened: Vec<Event> = h
        .events
        .all()
        .into_iter()
        .filter(|e| matches!(e, Event::BreakerOpened { .. }))
        .collect();
    assert!(!opened.is_empty());
    assert!(
        opened.iter().all(|e| *e
            == Event::BreakerOpened {
                user: "sim:broken".into()
            }),
        "{opened:?}"
    );
    for u in ["u1", "u2", "u3"] {
        let replies = h.platform.to_user(u);
        assert_eq!(replies.len(), 4, "{u}");
        assert!(replies.iter().all(|o| o.text != error_message));
    }
    let told = h
        .platform
        .to_user("broken")
        .iter()
        .filter(|o| o.text == error_message)
        .count();
    assert_eq!(told, 1, "told once, in character");
    assert_eq!(h.answered("broken"), 0);
    h.rt.shutdown().await;
}

/// Quotas refuse with a reply that names the limit and its reset, and nothing is enqueued.
pub async fn quotas_refuse_clearly_and_enqueue_nothing(mode: Mode) {
    let fake = FakeAi::start(ai(0)).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.quotas.requests_per_day = Some(2);
    cfg.users.insert(
        "sim:speedy".into(),
        UserOverride {
            quotas: QuotaOverride {
                rate: Some(Rate {
                    count: 1,
                    per: Duration::from_secs(60),
                    burst: 1,
                }),
                ..QuotaOverride::default()
            },
            ..UserOverride::default()
        },
    );
    let h = start(cfg).await;
    h.say("acme", "thrifty", 0, "one").await;
    h.until(10, "first answer", |h| h.answered("thrifty") == 1)
        .await;
    h.say("acme", "thrifty", 1, "two").await;
    h.until(10, "second answer", |h| h.answered("thrifty") == 2)
        .await;
    let third = h.say("acme", "thrifty", 2, "three").await;
    assert_eq!(
        third,
        Handled::Refused {
            limit: "user_requests_per_day"
        }
    );
    let notice = h.platform.to_user("thrifty").last().unwrap().text.clone();
    assert!(
        notice.contains("daily requests")
            && notice.contains("2 requests")
            && notice.contains("UTC"),
        "{notice}"
    );

    assert!(matches!(
        h.say("acme", "speedy", 0, "a").await,
        Handled::Queued(_)
    ));
    assert_eq!(
        h.say("acme", "speedy", 1, "b").await,
        Handled::Refused { limit: "user_rate" }
    );
    let notice = h
        .platform
        .to_user("speedy")
        .iter()
        .find(|o| o.persona.is_none())
        .unwrap()
        .text
        .clone();
    assert!(notice.contains("Try again in"), "{notice}");
    h.until(10, "speedy's one answer", |h| h.answered("speedy") == 1)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        h.events.count(|e| matches!(e, Event::Queued { .. })),
        3,
        "refused messages were never queued"
    );
    assert_eq!(fake.request_count(), 3, "and never reached the AI");
    let svc = &h.rt.svc;
    assert_eq!(
        svc.queue.user_backlog("acme", "sim:thrifty").await.unwrap(),
        0
    );
    h.rt.shutdown().await;
}

/// A user with too many messages waiting is told so; the waiting ones are still answered.
pub async fn a_full_backlog_refuses_more(mode: Mode) {
    let fake = FakeAi::start(ai(200)).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.quotas.max_queued = Some(3);
    let h = start(cfg).await;
    let results: Vec<Handled> = {
        let mut v = Vec::new();
        for n in 0..5 {
            v.push(h.say("acme", "chatty", n, "hey").await);
        }
        v
    };
    let refused = results
        .iter()
        .filter(|r| **r == Handled::Refused { limit: "backlog" })
        .count();
    assert_eq!(refused, 2, "{results:?}");
    h.until(10, "the three queued answered", |h| {
        h.answered("chatty") == 3
    })
    .await;
    h.rt.shutdown().await;
}

/// A provider's 429 with retry-after is honoured: that provider and model wait, others do not.
pub async fn provider_rate_limits_delay_only_that_provider(mode: Mode) {
    let mut faults = ai(5);
    faults.users.insert(
        "sim:tripper".into(),
        UserFaults {
            status: Some(429),
            retry_after_secs: Some(6),
            ..UserFaults::default()
        },
    );
    let fake = FakeAi::start(faults).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    // Nova talks through the second provider.
    cfg.personalities.all.get_mut("Nova").unwrap().provider = "ai2".into();
    let h = start(cfg).await;
    let t0 = Instant::now();
    h.say("acme", "tripper", 0, "hi").await;
    h.until(5, "the 429", |h| {
        h.events
            .count(|e| matches!(e, Event::AiCalled { ok: false, .. }))
            == 1
    })
    .await;
    // The tripper's faults are lifted: only the cooldown remains.
    fake.set_config(ai(5));
    h.say("acme", "other-provider", 0, "@Nova hi").await;
    h.say("acme", "same-provider", 0, "hi").await;
    h.until(5, "the other provider's answer", |h| {
        h.answered("other-provider") == 1
    })
    .await;
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "the other provider was not held back"
    );
    assert_eq!(
        h.answered("same-provider"),
        0,
        "the same provider waits out the retry-after"
    );
    h.until(15, "everyone answered after the cooldown", |h| {
        h.answered("same-provider") == 1 && h.answered("tripper") == 1
    })
    .await;
    assert!(
        t0.elapsed() >= Duration::from_secs(6),
        "retry-after honoured: {:?}",
        t0.elapsed()
    );
    h.rt.shutdown().await;
}

/// With coalescing, messages a user sends while an earlier one waits get one generation, answered
/// once, in order; history and usage are kept.
pub async fn coalescing_answers_waiting_messages_once(mode: Mode) {
    let fake = FakeAi::start(ai(300)).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.workers.coalesce = true;
    let h = start(cfg).await;
    h.say("acme", "quick", 0, "first").await;
    // The first is with the AI (300 ms) before the others arrive, however busy the machine.
    h.until(10, "the first at the AI", |_| fake.request_count() == 1)
        .await;
    for (n, t) in ["second", "third"].iter().enumerate() {
        h.say("acme", "quick", n + 1, t).await;
    }
    h.until(10, "all three settled", |h| h.answered("quick") == 3)
        .await;
    assert_eq!(
        fake.request_count(),
        2,
        "the first alone, then the second and third together"
    );
    assert_eq!(h.platform.to_user("quick").len(), 2);
    let svc = &h.rt.svc;
    let conv = ConversationKey {
        tenant: "acme".into(),
        place: "quick".into(),
        user: "sim:quick".into(),
        personality: "Aria".into(),
    };
    let hist = svc.store.history(&conv, 10).await.unwrap();
    assert_eq!(hist.iter().filter(|m| m.role == Role::User).count(), 3);
    assert_eq!(hist.iter().filter(|m| m.role == Role::Assistant).count(), 2);
    // The second generation saw the first exchange, then both waiting messages as one turn.
    let second = &fake.requests()[1];
    assert_eq!(second.messages, 3, "user, assistant, user");
    let user = UserKey::new("acme", "sim:quick");
    let today = day_of(svc.now_ms());
    let usage = svc
        .store
        .usage(UsageScope::User(&user), today, today)
        .await
        .unwrap();
    assert_eq!(usage.requests, 2);
    assert!(usage.cost_usd > 0.0);
    h.rt.shutdown().await;
}

/// A redelivered platform message makes no second job and no second reply.
pub async fn redelivered_messages_are_answered_once(mode: Mode) {
    let fake = FakeAi::start(ai(0)).await.unwrap();
    let place = Place::new(mode);
    let h = start(config(&fake, &place)).await;
    assert!(matches!(
        h.say("acme", "echo", 7, "hi").await,
        Handled::Queued(_)
    ));
    h.until(5, "the answer", |h| h.answered("echo") == 1).await;
    assert!(matches!(
        h.say("acme", "echo", 7, "hi").await,
        Handled::Duplicate(_)
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.platform.to_user("echo").len(), 1);
    assert_eq!(fake.request_count(), 1);
    let svc = &h.rt.svc;
    let conv = ConversationKey {
        tenant: "acme".into(),
        place: "echo".into(),
        user: "sim:echo".into(),
        personality: "Aria".into(),
    };
    assert_eq!(
        svc.store.history(&conv, 10).await.unwrap().len(),
        2,
        "one question, one answer"
    );
    h.rt.shutdown().await;
}

/// Every reply goes out with the personality's name, and users are registered on first sight.
pub async fn replies_carry_the_personality_and_users_are_registered(mode: Mode) {
    let fake = FakeAi::start(ai(0)).await.unwrap();
    let place = Place::new(mode);
    let h = start(config(&fake, &place)).await;
    h.say("acme", "ada", 0, "@Sage what is 2+2?").await;
    h.until(5, "the answer", |h| h.answered("ada") == 1).await;
    let reply = h.platform.to_user("ada").pop().unwrap();
    assert_eq!(reply.persona.unwrap().name, "Sage");
    assert_eq!(reply.mention_user.as_deref(), Some("ada"));
    let seen = fake.requests();
    assert_eq!(seen[0].user, "sim:ada");
    let rec =
        h.rt.svc
            .store
            .user(&UserKey::new("acme", "sim:ada"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(rec.display_name, "ada");
    let counts: HashMap<&str, usize> = HashMap::from([("ada", h.platform.to_user("ada").len())]);
    assert_eq!(counts["ada"], 1);
    h.rt.shutdown().await;
}
