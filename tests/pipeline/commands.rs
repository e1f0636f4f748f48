//! Commands through the whole ingress (router, access, effects, delivery) on both stores: what
//! each one answers, what it refuses, that nobody reaches anyone else's data, that `/forget`
//! leaves nothing behind, and the admin and registration flows.

use std::sync::atomic::{AtomicUsize, Ordering};

use switchboard::config::Access;
use switchboard::ingress::Handled;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::store::{UserKey, UserStatus};

use crate::support::{Harness, Mode, Place, config, start};

/// Message numbers, unique per test (message ids must not repeat, or they are redeliveries).
pub static N: AtomicUsize = AtomicUsize::new(10_000);

/// Sends `text` as `user` of `tenant` in their private chat and returns what they were answered.
pub async fn ask(h: &Harness, tenant: &str, user: &str, text: &str) -> String {
    let before = h.platform.to_user(user).len();
    let handled = h
        .say(tenant, user, N.fetch_add(1, Ordering::Relaxed), text)
        .await;
    assert!(
        matches!(handled, Handled::Command(_)),
        "{text:?} was not taken as a command: {handled:?}"
    );
    let sent = h.platform.to_user(user);
    assert_eq!(sent.len(), before + 1, "one answer to {text:?}");
    let last = sent.last().unwrap();
    assert!(last.private, "command answers are private");
    last.text.clone()
}

/// Chats and waits for the answer.
pub async fn chat(h: &Harness, tenant: &str, user: &str, text: &str) {
    let done = h.answered(user);
    let handled = h
        .say(tenant, user, N.fetch_add(1, Ordering::Relaxed), text)
        .await;
    assert!(matches!(handled, Handled::Queued(_)), "{handled:?}");
    h.until(10, "an answer", |h| h.answered(user) > done).await;
}

pub fn has(answer: &str, needle: &str) {
    assert!(
        answer.contains(needle),
        "expected {needle:?} in the answer:\n{answer}"
    );
}

pub async fn every_command_answers_and_bad_arguments_are_explained(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let h = start(config(&fake, &place)).await;
    let (t, u) = ("acme", "ann");

    let help = ask(&h, t, u, "/help").await;
    for c in ["/status", "/model", "/note", "/forget", "/heartbeat"] {
        has(&help, c);
    }
    assert!(!help.contains("/admin"), "non-admins are not shown /admin");
    has(&ask(&h, t, u, "/frobnicate").await, "/help");
    has(&ask(&h, t, u, "/admin users").await, "for admins");

    chat(&h, t, u, "hello there").await;
    let status = ask(&h, t, u, "/status").await;
    has(&status, "You're talking to");
    has(&status, "today: 1 request");
    has(&status, "No messages waiting");
    has(&status, "Check-ins: off");

    has(&ask(&h, t, u, "/model").await, "Models you can choose: m");
    has(
        &ask(&h, t, u, "/model nonsense").await,
        "isn't a model you can choose",
    );
    has(&ask(&h, t, u, "/model M").await, "now come from m");
    has(&ask(&h, t, u, "/personality").await, "(current)");
    has(
        &ask(&h, t, u, "/personality nobody").await,
        "no personality called",
    );
    has(
        &ask(&h, t, u, "/personality sage").await,
        "Sage answers you",
    );
    has(&ask(&h, t, u, "/status").await, "You're talking to Sage");

    has(&ask(&h, t, u, "/note").await, "/note");
    has(&ask(&h, t, u, "/note I'm vegetarian 🥕").await, "Noted");
    has(&ask(&h, t, u, "/notes").await, "1. I'm vegetarian 🥕");
    has(&ask(&h, t, u, "/notes clear").await, "deleted your note");
    has(&ask(&h, t, u, "/notes").await, "no notes");

    has(&ask(&h, t, u, "/heartbeat every 5").await, "Choose between");
    has(
        &ask(&h, t, u, "/heartbeat hours 25:00-3").await,
        "not a range of hours",
    );
    has(&ask(&h, t, u, "/heartbeat sometimes").await, "/heartbeat");
    has(
        &ask(&h, t, u, "/heartbeat every 90").await,
        "every 90 minutes",
    );
    let hours = ask(&h, t, u, "/heartbeat hours 9-21 europe/paris").await;
    has(&hours, "between 09:00-21:00 Europe/Paris");
    has(&ask(&h, t, u, "/status").await, "Check-ins: every 90 min");
    has(&ask(&h, t, u, "/heartbeat off").await, "no more check-ins");

    has(&ask(&h, t, u, "/reset").await, "starting afresh");
    has(&ask(&h, t, u, "/cancel").await, "no messages waiting");
    has(&ask(&h, t, u, "/forget").await, "/forget confirm");
    has(&ask(&h, t, u, "/register").await, "nothing to register");
}

pub async fn nobody_reaches_anyone_elses_data(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let h = start(config(&fake, &place)).await;
    ask(&h, "acme", "ann", "/note ann's secret plan").await;
    ask(&h, "acme", "ann", "/model m").await;
    chat(&h, "acme", "ann", "ann talks about her secret plan").await;

    // Bob in the same tenant, and carol in another tenant, are other people. (The same platform
    // account in two tenants is one person: /export and /forget cover all of their tenants.)
    for (t, u) in [("acme", "bob"), ("other", "carol")] {
        has(&ask(&h, t, u, "/notes").await, "no notes");
        let status = ask(&h, t, u, "/status").await;
        has(&status, "today: 0 requests");
        let export = export(&h, t, u).await;
        assert!(!export.contains("secret"), "{u} of {t} sees ann's data");
        ask(&h, t, u, "/notes clear").await;
        ask(&h, t, u, "/reset").await;
        ask(&h, t, u, "/forget").await;
        ask(&h, t, u, "/forget confirm").await;
    }
    // None of that touched ann.
    has(&ask(&h, "acme", "ann", "/notes").await, "ann's secret plan");
    let status = ask(&h, "acme", "ann", "/status").await;
    has(&status, "today: 1 request");
    has(
        &export(&h, "acme", "ann").await,
        "ann talks about her secret plan",
    );
    // Admin commands name other users, so only admins reach them.
    has(
        &ask(&h, "acme", "bob", "/admin user sim:ann").await,
        "for admins",
    );
    has(
        &ask(&h, "acme", "bob", "/admin quota sim:ann requests_per_day 0").await,
        "for admins",
    );
}

/// `/export`'s file, as text; checks it is a JSON document about the caller.
async fn export(h: &Harness, tenant: &str, user: &str) -> String {
    has(&ask(h, tenant, user, "/export").await, "everything I keep");
    let sent = h.platform.to_user(user);
    let file = sent.last().unwrap().file.clone().expect("a file");
    assert!(file.name.ends_with(".json") && file.mime == "application/json");
    let doc: serde_json::Value = serde_json::from_slice(&file.bytes).expect("valid JSON");
    let text = doc.to_string();
    assert!(
        text.contains(&format!("sim:{user}")),
        "the export is about the caller"
    );
    text
}

pub async fn forget_leaves_nothing_of_the_user_in_the_store(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let h = start(config(&fake, &place)).await;
    let ann = "ann-5e1d";
    chat(&h, "acme", ann, "remember my birthday").await;
    chat(&h, "other", ann, "hello from the other tenant").await;
    ask(&h, "acme", ann, "/note likes jasmine tea").await;
    ask(&h, "acme", ann, "/heartbeat on").await;
    ask(&h, "acme", ann, "/model m").await;
    chat(&h, "acme", "bob-77aa", "bob stays").await;
    assert!(
        !place.remnants(ann).await.is_empty(),
        "the scan sees ann before"
    );

    // Confirmation is needed, and only within its window.
    has(
        &ask(&h, "acme", ann, "/forget confirm").await,
        "Send /forget first",
    );
    assert!(!place.remnants(ann).await.is_empty());
    ask(&h, "acme", ann, "/forget").await;
    has(
        &ask(&h, "acme", ann, "/forget confirm").await,
        "forgotten everything",
    );

    let left = place.remnants(ann).await;
    assert!(left.is_empty(), "ann is still in the store: {left:?}");
    let left = place.remnants("jasmine").await;
    assert!(
        left.is_empty(),
        "ann's note is still in the store: {left:?}"
    );
    assert!(!place.remnants("bob-77aa").await.is_empty(), "bob is kept");
    let bob =
        h.rt.svc
            .store
            .user(&UserKey::new("acme", "sim:bob-77aa"))
            .await
            .unwrap();
    assert!(bob.is_some());
}

pub async fn registration_and_admin_commands(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.tenants.named.get_mut("acme").unwrap().access = Access::Approval;
    cfg.admins.insert("sim:boss".into());
    let h = start(cfg).await;
    let store = h.rt.svc.store.clone();
    let gus = UserKey::new("acme", "sim:gus");

    // A guest asks for access: every admin hears of it once, in their private chat.
    has(
        &ask(&h, "acme", "gus", "/register").await,
        "I've asked the admins",
    );
    let notices = h.platform.to_user("@boss");
    assert_eq!(notices.len(), 1);
    has(&notices[0].text, "/admin approve sim:gus");
    has(&ask(&h, "acme", "gus", "/register").await, "asked already");
    assert_eq!(h.platform.to_user("@boss").len(), 1);

    // Admin commands: refused to others, arguments checked, the user found and changed.
    has(
        &ask(&h, "acme", "gus", "/admin approve sim:gus").await,
        "for admins",
    );
    has(&ask(&h, "acme", "boss", "/admin").await, "/admin");
    has(&ask(&h, "acme", "boss", "/admin ban").await, "/admin ban");
    has(
        &ask(&h, "acme", "boss", "/admin quota sim:gus speed 3").await,
        "requests_per_day",
    );
    has(
        &ask(&h, "acme", "boss", "/admin approve sim:nobody").await,
        "No user sim:nobody",
    );
    has(&ask(&h, "acme", "boss", "/admin users gu").await, "sim:gus");
    has(
        &ask(&h, "acme", "boss", "/admin user sim:gus").await,
        "guest",
    );
    has(
        &ask(&h, "acme", "boss", "/admin approve sim:gus").await,
        "full access",
    );
    has(
        &h.platform.to_user("@gus").last().unwrap().text,
        "full access now",
    );
    assert_eq!(
        store.user(&gus).await.unwrap().unwrap().status,
        UserStatus::Active
    );

    // A quota override applies to the next message, and persists in the store.
    has(
        &ask(
            &h,
            "acme",
            "boss",
            "/admin quota sim:gus requests_per_day 1",
        )
        .await,
        "requests_per_day for sim:gus: 1",
    );
    chat(&h, "acme", "gus", "first").await;
    let refused = h
        .say("acme", "gus", N.fetch_add(1, Ordering::Relaxed), "second")
        .await;
    assert!(matches!(refused, Handled::Refused { .. }), "{refused:?}");
    has(
        &ask(
            &h,
            "acme",
            "boss",
            "/admin quota sim:gus requests_per_day unlimited",
        )
        .await,
        "unlimited",
    );
    chat(&h, "acme", "gus", "third").await;

    let stats = ask(&h, "acme", "boss", "/admin stats 7").await;
    has(&stats, "acme");
    has(&stats, "sim:gus");
    has(
        &ask(&h, "acme", "boss", "/admin stats lots").await,
        "/admin stats",
    );

    has(
        &ask(&h, "acme", "boss", "/admin ban sim:gus").await,
        "Banned sim:gus",
    );
    let refused = h
        .say("acme", "gus", N.fetch_add(1, Ordering::Relaxed), "hi")
        .await;
    assert_eq!(refused, Handled::Refused { limit: "banned" });
    has(
        &ask(&h, "acme", "gus", "/status").await,
        "can't use this bot",
    );
    has(
        &ask(&h, "acme", "boss", "/admin unban sim:gus").await,
        "full access",
    );
    chat(&h, "acme", "gus", "back again").await;
}

/// A message in the group channel `room` (not a DM, not addressed to anyone).
fn in_room(user: &str, room: &str, text: &str, moderator: bool) -> switchboard::platforms::Inbound {
    let mut m = crate::support::msg("acme", user, N.fetch_add(1, Ordering::Relaxed), text);
    m.place = switchboard::platforms::Place {
        channel_id: room.into(),
        thread_id: None,
        is_dm: false,
    };
    m.author.moderator = moderator;
    m
}

pub async fn moderators_activate_a_personality_for_a_channel(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let h = start(config(&fake, &place)).await;
    let last = |h: &Harness| h.platform.sent.lock().unwrap().last().cloned().unwrap();

    // Unaddressed chatter in a channel is not answered.
    let r =
        h.rt.ingest(in_room("ann", "room-1", "nice weather", false))
            .await
            .unwrap();
    assert!(matches!(r, Handled::Ignored(_)), "{r:?}");

    h.rt.ingest(in_room("ann", "room-1", "/activate Sage", false))
        .await
        .unwrap();
    has(&last(&h).text, "Only moderators");
    h.rt.ingest(in_room("mod", "room-1", "/activate Nobody", true))
        .await
        .unwrap();
    has(&last(&h).text, "no personality called");
    h.rt.ingest(in_room("mod", "room-1", "/activate sage", true))
        .await
        .unwrap();
    has(&last(&h).text, "Sage now answers every message here");
    has(&ask(&h, "acme", "mod", "/activate Sage").await, "not here");

    // Now every message there goes to Sage, from anyone; other channels are unaffected.
    let r =
        h.rt.ingest(in_room("ann", "room-1", "nice weather", false))
            .await
            .unwrap();
    assert!(matches!(r, Handled::Queued(_)), "{r:?}");
    h.until(10, "Sage's answer", |h| h.answered("ann") == 1)
        .await;
    assert_eq!(last(&h).persona.unwrap().name, "Sage");
    let r =
        h.rt.ingest(in_room("ann", "room-2", "hello?", false))
            .await
            .unwrap();
    assert!(matches!(r, Handled::Ignored(_)), "{r:?}");

    h.rt.ingest(in_room("mod", "room-1", "/deactivate", true))
        .await
        .unwrap();
    has(&last(&h).text, "no longer answers");
    let r =
        h.rt.ingest(in_room("ann", "room-1", "still there?", false))
            .await
            .unwrap();
    assert!(matches!(r, Handled::Ignored(_)), "{r:?}");
    h.rt.ingest(in_room("mod", "room-1", "/deactivate", true))
        .await
        .unwrap();
    has(&last(&h).text, "No personality is active here");
}
