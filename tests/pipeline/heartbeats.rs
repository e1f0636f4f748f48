//! Heartbeats end to end on a manual clock: a check-in goes out when it is due and inside the
//! user's active hours, through the fair queue and the personality; a silent answer sends
//! nothing; schedules survive a restart; two schedulers on one Redis never double one.

use std::collections::HashMap;
use std::sync::Arc;

use switchboard::heartbeat::scheduler::{Tick, tick};
use switchboard::queue::ManualClock;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::store::{UsageKind, UsageScope, UserKey};

use crate::commands::{ask, has};
use crate::support::{Mode, Place, config, start_with};

/// Monday 2025-01-06, 08:00 UTC.
const MON_0800: u64 = 1_736_150_400_000;
const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;

pub async fn heartbeats_fire_on_schedule_in_active_hours_through_the_queue(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    // The test ticks the scheduler itself, on the manual clock.
    cfg.heartbeats.enabled = false;
    let clock = ManualClock::new(MON_0800);
    let h = start_with(cfg, Arc::new(clock.clone())).await;
    let svc = h.rt.svc.clone();
    let ann = UserKey::new("acme", "sim:ann");

    has(
        &ask(&h, "acme", "ann", "/heartbeat every 60").await,
        "every 60 minutes",
    );
    has(
        &ask(&h, "acme", "ann", "/heartbeat hours 9-12 utc").await,
        "09:00-12:00 UTC",
    );
    let next = |svc: Arc<switchboard::services::Services>, ann: UserKey| async move {
        svc.store
            .heartbeat(&ann)
            .await
            .unwrap()
            .unwrap()
            .next_run_ms
    };
    assert_eq!(next(svc.clone(), ann.clone()).await, MON_0800 + HOUR);
    assert_eq!(
        tick(&svc).await.unwrap(),
        Tick::default(),
        "nothing due yet"
    );

    clock.set(MON_0800 + HOUR);
    assert_eq!(tick(&svc).await.unwrap().queued, 1);
    assert_eq!(tick(&svc).await.unwrap(), Tick::default(), "claimed once");
    h.until(10, "the check-in", |h| h.answered("ann") == 1)
        .await;
    let sent = h.platform.to_user("ann");
    let checkin = sent.last().unwrap();
    assert!(checkin.persona.is_some(), "the personality writes first");
    assert!(!checkin.text.is_empty() && checkin.file.is_none());
    assert_eq!(fake.request_count(), 1);
    let records = svc
        .store
        .usage_records(UsageScope::User(&ann), 0, u64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, UsageKind::Heartbeat);
    assert_eq!(next(svc.clone(), ann.clone()).await, MON_0800 + 2 * HOUR);

    // Found due late, after the active hours: skipped, and moved to tomorrow morning.
    clock.set(MON_0800 + 4 * HOUR + 30 * MIN);
    assert_eq!(
        tick(&svc).await.unwrap(),
        Tick {
            queued: 0,
            skipped: 1
        }
    );
    assert_eq!(next(svc.clone(), ann.clone()).await, MON_0800 + DAY + HOUR);

    // Turned off: nothing more, even when due.
    has(
        &ask(&h, "acme", "ann", "/heartbeat off").await,
        "no more check-ins",
    );
    clock.set(MON_0800 + DAY + HOUR);
    assert_eq!(tick(&svc).await.unwrap(), Tick::default());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(h.answered("ann"), 1);
    assert_eq!(fake.request_count(), 1);
    h.rt.shutdown().await;
}

pub async fn a_silent_check_in_sends_nothing(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig {
        silent_when: Some("CHECK-IN".into()),
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.heartbeats.enabled = false;
    cfg.heartbeats.prompt = "CHECK-IN: say something only if it matters, else [silent].".into();
    let clock = ManualClock::new(MON_0800);
    let h = start_with(cfg, Arc::new(clock.clone())).await;
    let svc = h.rt.svc.clone();
    ask(&h, "acme", "ann", "/heartbeat every 30").await;
    let before = h.platform.to_user("ann").len();
    clock.set(MON_0800 + 30 * MIN);
    assert_eq!(tick(&svc).await.unwrap().queued, 1);
    h.until(10, "the check-in job to finish", |h| h.answered("ann") == 1)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(fake.request_count(), 1, "the personality was asked");
    assert_eq!(
        h.platform.to_user("ann").len(),
        before,
        "and nothing was sent"
    );
    let ann = UserKey::new("acme", "sim:ann");
    let conv = switchboard::store::ConversationKey {
        tenant: "acme".into(),
        place: "ann".into(),
        user: "sim:ann".into(),
        personality: "Aria".into(),
    };
    assert!(
        svc.store.history(&conv, 10).await.unwrap().is_empty(),
        "silence is not kept in the conversation"
    );
    let records = svc
        .store
        .usage_records(UsageScope::User(&ann), 0, u64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "the call still counts");
    h.rt.shutdown().await;
}

pub async fn heartbeats_survive_a_restart(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.heartbeats.enabled = false;
    let clock = ManualClock::new(MON_0800);
    let h = start_with(cfg.clone(), Arc::new(clock.clone())).await;
    ask(&h, "acme", "ann", "/heartbeat every 30").await;
    h.rt.shutdown().await;

    // A new process, with its scheduler running on its own.
    cfg.heartbeats.enabled = true;
    cfg.heartbeats.poll = std::time::Duration::from_millis(50);
    clock.set(MON_0800 + 30 * MIN);
    let h = start_with(cfg, Arc::new(clock.clone())).await;
    h.until(10, "the check-in after the restart", |h| {
        h.answered("ann") == 1
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(h.answered("ann"), 1, "once");
    assert_eq!(fake.request_count(), 1);
    h.rt.shutdown().await;
}

/// Two processes on one Redis, both scheduling: every due check-in is queued by exactly one of
/// them and answered exactly once.
pub async fn two_schedulers_on_one_redis_never_double() {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(Mode::Redis);
    let mut cfg = config(&fake, &place);
    cfg.heartbeats.enabled = false;
    let clock = ManualClock::new(MON_0800);
    let a = start_with(cfg.clone(), Arc::new(clock.clone())).await;
    let b = start_with(cfg, Arc::new(clock.clone())).await;
    let users: Vec<String> = (0..20).map(|i| format!("u{i}")).collect();
    for u in &users {
        ask(&a, "acme", u, "/heartbeat every 60").await;
    }
    clock.set(MON_0800 + HOUR);
    let (ta, tb) = tokio::join!(tick(&a.rt.svc), tick(&b.rt.svc));
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    assert_eq!(ta.queued + tb.queued, users.len(), "{ta:?} {tb:?}");
    let checkins = |a: &crate::support::Harness, b: &crate::support::Harness| {
        let mut per_user: HashMap<String, usize> = HashMap::new();
        for h in [a, b] {
            for o in h.platform.sent.lock().unwrap().iter() {
                if o.persona.is_some() {
                    *per_user
                        .entry(o.target.place.channel_id.clone())
                        .or_default() += 1;
                }
            }
        }
        per_user
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while checkins(&a, &b).values().sum::<usize>() < users.len() {
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let per_user = checkins(&a, &b);
    assert_eq!(per_user.len(), users.len());
    assert!(per_user.values().all(|&n| n == 1), "{per_user:?}");
    assert_eq!(fake.request_count(), users.len() as u64);
    a.rt.shutdown().await;
    b.rt.shutdown().await;
}
