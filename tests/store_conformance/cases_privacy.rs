//! Privacy: a user's export holds all their data and none of anyone else's; forgetting a user
//! leaves nothing of theirs in the backend and nothing of anyone else's is lost.

use switchboard::store::{Heartbeat, Role, Store, UsageScope, UserKey, day_of};

use crate::support::{Backend, DAY_MS, JAN_1_2025_MS as T0, conv, seen, usage, user};

/// Ids distinct enough that a substring scan finds only their owner's data.
const ALICE: &str = "telegram:alice-7f3e";
const BOB: &str = "telegram:bob-91c2";

/// Gives `who` a record, settings, two conversations, usage over two months and a saved reply.
async fn populate(s: &dyn Store, who: &UserKey, tag: &str) {
    s.seen(&seen(who, &format!("{tag} Name"), Some(tag), T0))
        .await
        .unwrap();
    s.set_setting(who, "persona", Some(&format!("{tag}-persona")))
        .await
        .unwrap();
    for (place, personality) in [("dm:1", "pirate"), ("group:5", "poet")] {
        let c = conv(who, place, personality);
        let job = format!("job-{tag}-{place}");
        s.append(
            &c,
            Role::User,
            &format!("{tag} asks in {place}"),
            T0,
            Some(&job),
            10,
        )
        .await
        .unwrap();
        s.append(
            &c,
            Role::Assistant,
            &format!("{tag} is answered"),
            T0 + 1,
            Some(&job),
            10,
        )
        .await
        .unwrap();
        s.set_answered_through(&c, 1).await.unwrap();
        s.save_reply(&job, &format!("{tag} is answered"), T0 + 1)
            .await
            .unwrap();
    }
    s.add_note(who, &format!("{tag} likes tea"), T0)
        .await
        .unwrap();
    s.set_heartbeat(
        who,
        Some(&Heartbeat {
            enabled: true,
            every_minutes: 120,
            active: None,
            tz: "UTC".into(),
            target: format!("{{\"chat\":\"{tag}\"}}"),
            personality: "pirate".into(),
            place: "dm:1".into(),
            next_run_ms: T0 + 7,
        }),
    )
    .await
    .unwrap();
    s.record_usage(&usage(who, T0, 10, 5, 0.5)).await.unwrap();
    s.record_usage(&usage(who, T0 + 40 * DAY_MS, 20, 5, 0.25))
        .await
        .unwrap();
}

pub async fn export_holds_record_settings_conversations_and_usage(b: Backend) {
    let s = b.store.as_ref();
    let alice = user("acme", ALICE);
    let bob = user("acme", BOB);
    populate(s, &alice, "alice").await;
    populate(s, &bob, "bob").await;

    let e = s.export_user(&alice).await.unwrap();
    assert_eq!(e["user"]["key"]["user"], ALICE);
    assert_eq!(e["user"]["display_name"], "alice Name");
    assert_eq!(e["user"]["status"], "active");
    assert_eq!(e["settings"]["persona"], "alice-persona");

    let convs = e["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2);
    assert_eq!(convs[0]["place"], "dm:1");
    assert_eq!(convs[0]["personality"], "pirate");
    assert_eq!(convs[0]["answered_through"], 1);
    let msgs = convs[0]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["text"], "alice asks in dm:1");
    assert_eq!(msgs[0]["role"], "user");
    assert_eq!(msgs[1]["seq"], 2);
    assert_eq!(convs[1]["place"], "group:5");

    let days = e["usage"]["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["day"], day_of(T0));
    assert_eq!(days[0]["requests"], 1);
    assert_eq!(days[0]["input_tokens"], 10);
    let months = e["usage"]["months"].as_array().unwrap();
    assert_eq!(
        months
            .iter()
            .map(|m| m["month"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2025-01", "2025-02"]
    );
    assert_eq!(months[1]["output_tokens"], 5);

    assert_eq!(e["notes"][0]["text"], "alice likes tea");
    assert_eq!(e["heartbeat"]["every_minutes"], 120);
    let records = e["usage"]["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["at_ms"], T0);
    assert_eq!(records[0]["kind"], "reply");

    let text = e.to_string();
    assert!(
        !text.contains(BOB) && !text.contains("bob"),
        "bob leaked into alice's export"
    );

    // A user never seen exports as empty, not as an error.
    let nobody = s
        .export_user(&user("acme", "telegram:nobody"))
        .await
        .unwrap();
    assert!(nobody["user"].is_null());
    assert!(nobody["conversations"].as_array().unwrap().is_empty());
}

pub async fn forget_user_leaves_nothing_and_spares_others(b: Backend) {
    let s = b.store.as_ref();
    let alice = user("acme", ALICE);
    let bob = user("acme", BOB);
    populate(s, &alice, "alice").await;
    populate(s, &bob, "bob").await;
    let (from, to) = (day_of(T0), day_of(T0 + 40 * DAY_MS));
    let tenant_before = s.usage(UsageScope::Tenant("acme"), from, to).await.unwrap();
    let bob_before = s.export_user(&bob).await.unwrap();
    assert!(
        !b.remnants(ALICE).await.is_empty(),
        "the scan must see alice before"
    );

    s.forget_user(&alice).await.unwrap();

    let left = b.remnants(ALICE).await;
    assert!(left.is_empty(), "alice's data is still stored: {left:?}");
    let left = b.remnants("alice Name").await;
    assert!(left.is_empty(), "alice's name is still stored: {left:?}");
    assert_eq!(s.user(&alice).await.unwrap(), None);
    assert!(s.settings(&alice).await.unwrap().is_empty());
    assert!(
        s.history(&conv(&alice, "dm:1", "pirate"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.answered_through(&conv(&alice, "dm:1", "pirate"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.usage(UsageScope::User(&alice), from, to)
            .await
            .unwrap()
            .requests,
        0
    );
    assert_eq!(s.outcome("job-alice-dm:1").await.unwrap(), None);
    assert!(s.notes(&alice).await.unwrap().is_empty());
    assert_eq!(s.heartbeat(&alice).await.unwrap(), None);
    assert!(
        s.claim_due_heartbeats(T0 + 10, 1, 10)
            .await
            .unwrap()
            .iter()
            .all(|d| d.user != alice)
    );
    assert!(
        s.usage_records(UsageScope::User(&alice), 0, u64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let listed = s.users(None, None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|r| &r.key).collect::<Vec<_>>(), [&bob]);
    let report = s.usage_by_user(None, from, to).await.unwrap();
    assert_eq!(report.iter().map(|(k, _)| k).collect::<Vec<_>>(), [&bob]);

    // Bob keeps everything; the tenant's totals (which name no one) keep alice's share.
    assert_eq!(s.export_user(&bob).await.unwrap(), bob_before);
    assert!(s.outcome("job-bob-dm:1").await.unwrap().is_some());
    assert!(!b.remnants(BOB).await.is_empty());
    assert_eq!(
        s.usage(UsageScope::Tenant("acme"), from, to).await.unwrap(),
        tenant_before
    );

    // Forgetting again, or someone unknown, is fine; alice can come back as a new user.
    s.forget_user(&alice).await.unwrap();
    s.forget_user(&user("acme", "telegram:nobody"))
        .await
        .unwrap();
    let back = s.seen(&seen(&alice, "Alice", None, T0 + 99)).await.unwrap();
    assert_eq!(back.first_seen_ms, T0 + 99);
    assert_eq!(
        s.append(
            &conv(&alice, "dm:1", "pirate"),
            Role::User,
            "hi",
            T0,
            None,
            5
        )
        .await
        .unwrap(),
        1
    );
}
