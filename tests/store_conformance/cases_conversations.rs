//! Conversations: bounded history, answered_through, clearing, isolation, concurrency, odd text.

use std::collections::BTreeSet;
use std::sync::Arc;

use switchboard::store::{Role, StoreError};

use crate::support::{Backend, JAN_1_2025_MS as T0, conv, user};

pub async fn history_is_bounded_oldest_first_with_increasing_seq(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let c = conv(&alice, "dm:1", "pirate");
    for i in 1..=7u64 {
        let role = if i % 2 == 1 {
            Role::User
        } else {
            Role::Assistant
        };
        let job = format!("job-{i}");
        let seq = s
            .append(&c, role, &format!("message {i}"), T0 + i, Some(&job), 5)
            .await
            .unwrap();
        assert_eq!(seq, i);
    }
    let h = s.history(&c, 100).await.unwrap();
    assert_eq!(h.iter().map(|m| m.seq).collect::<Vec<_>>(), [3, 4, 5, 6, 7]);
    assert_eq!(h[0].text, "message 3");
    assert_eq!(h[0].role, Role::User);
    assert_eq!(h[1].role, Role::Assistant);
    assert_eq!(h[4].at_ms, T0 + 7);
    assert_eq!(h[4].job_id.as_deref(), Some("job-7"));

    let last2 = s.history(&c, 2).await.unwrap();
    assert_eq!(last2.iter().map(|m| m.seq).collect::<Vec<_>>(), [6, 7]);
    assert!(s.history(&c, 0).await.unwrap().is_empty());

    // A message without a job; then a smaller bound trims harder.
    let seq = s
        .append(&c, Role::User, "no job", T0 + 8, None, 3)
        .await
        .unwrap();
    assert_eq!(seq, 8);
    let h = s.history(&c, 100).await.unwrap();
    assert_eq!(h.iter().map(|m| m.seq).collect::<Vec<_>>(), [6, 7, 8]);
    assert_eq!(h[2].job_id, None);

    // Another personality in the same place is another conversation.
    let other = conv(&alice, "dm:1", "poet");
    assert!(s.history(&other, 10).await.unwrap().is_empty());
    assert_eq!(
        s.append(&other, Role::User, "hi", T0, None, 5)
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.history(&c, 100).await.unwrap().len(), 3);
}

pub async fn answered_through_only_moves_forward(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let c = conv(&alice, "dm:1", "pirate");
    let other = conv(&alice, "group:9", "pirate");
    assert_eq!(s.answered_through(&c).await.unwrap(), 0);
    s.set_answered_through(&c, 5).await.unwrap();
    assert_eq!(s.answered_through(&c).await.unwrap(), 5);
    s.set_answered_through(&c, 3).await.unwrap();
    assert_eq!(s.answered_through(&c).await.unwrap(), 5);
    s.set_answered_through(&c, 9).await.unwrap();
    assert_eq!(s.answered_through(&c).await.unwrap(), 9);
    assert_eq!(s.answered_through(&other).await.unwrap(), 0);
    // Appending does not move it.
    s.append(&c, Role::User, "hello", T0, None, 10)
        .await
        .unwrap();
    assert_eq!(s.answered_through(&c).await.unwrap(), 9);
}

pub async fn clearing_empties_history_but_seq_keeps_growing(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let c = conv(&alice, "dm:1", "pirate");
    let kept = conv(&alice, "dm:1", "poet");
    for i in 0..3 {
        s.append(&c, Role::User, "x", T0 + i, None, 10)
            .await
            .unwrap();
    }
    s.append(&kept, Role::User, "stays", T0, None, 10)
        .await
        .unwrap();
    s.set_answered_through(&c, 3).await.unwrap();

    s.clear_conversation(&c).await.unwrap();
    assert!(s.history(&c, 10).await.unwrap().is_empty());
    // Seqs never repeat, so an old job cannot be mistaken for a new message.
    assert_eq!(
        s.append(&c, Role::User, "fresh", T0 + 9, None, 10)
            .await
            .unwrap(),
        4
    );
    assert_eq!(s.answered_through(&c).await.unwrap(), 3);
    let h = s.history(&c, 10).await.unwrap();
    assert_eq!((h.len(), h[0].text.as_str()), (1, "fresh"));
    assert_eq!(s.history(&kept, 10).await.unwrap()[0].text, "stays");
    // Clearing what does not exist is fine.
    s.clear_conversation(&conv(&alice, "nowhere", "pirate"))
        .await
        .unwrap();
}

pub async fn one_users_data_never_shows_in_anothers(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let bob = user("acme", "telegram:2");
    // The same user id in another tenant is someone else.
    let alice_elsewhere = user("beta", "telegram:1");
    for (who, secret) in [
        (&alice, "alice's secret"),
        (&bob, "bob's secret"),
        (&alice_elsewhere, "beta's secret"),
    ] {
        let c = conv(who, "group:7", "pirate");
        s.append(&c, Role::User, secret, T0, None, 10)
            .await
            .unwrap();
        s.set_answered_through(&c, 1).await.unwrap();
        s.set_setting(who, "note", Some(secret)).await.unwrap();
    }
    for (who, secret) in [
        (&alice, "alice's secret"),
        (&bob, "bob's secret"),
        (&alice_elsewhere, "beta's secret"),
    ] {
        let h = s
            .history(&conv(who, "group:7", "pirate"), 10)
            .await
            .unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].text, secret);
        assert_eq!(
            s.setting(who, "note").await.unwrap().as_deref(),
            Some(secret)
        );
        let export = s.export_user(who).await.unwrap().to_string();
        assert!(export.contains(secret));
        for other in ["alice's secret", "bob's secret", "beta's secret"] {
            if other != secret {
                assert!(
                    !export.contains(other),
                    "{other} leaked into {}'s export",
                    who.user
                );
            }
        }
    }
}

pub async fn concurrent_appends_keep_seq_unique_and_the_bound(b: Backend) {
    let s = b.store.clone();
    let alice = user("acme", "telegram:1");
    let c = Arc::new(conv(&alice, "dm:1", "pirate"));
    let tasks: Vec<_> = (0..200u64)
        .map(|i| {
            let (s, c) = (s.clone(), c.clone());
            tokio::spawn(async move {
                s.append(&c, Role::User, &format!("m{i}"), T0 + i, None, 50)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seqs = BTreeSet::new();
    for t in tasks {
        assert!(seqs.insert(t.await.unwrap()), "a seq was given twice");
    }
    assert_eq!(seqs, (1..=200).collect::<BTreeSet<u64>>());
    let h = s.history(&c, 1000).await.unwrap();
    assert_eq!(h.len(), 50);
    assert_eq!(
        h.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (151..=200).collect::<Vec<_>>()
    );
}

pub async fn odd_unicode_and_large_messages_round_trip(b: Backend) {
    let s = &b.store;
    // Ids with separators, braces and non-ASCII.
    let odd = user("ténant:{x}", "telegram:1|2}");
    let c = conv(&odd, "chan:7/thread}{", "émile|\"quoted\"");
    let texts = [
        "👩‍👩‍👧‍👦 family, 🏴‍☠️ flag, é (e + combining acute)".to_owned(),
        "مرحبا بالعالم — RTL with \u{202e}override\u{202c}".to_owned(),
        "line one\nline two\ttab | pipe \\ backslash \" quote \u{0} nul \u{7f}".to_owned(),
        "\u{feff}BOM, zero\u{200b}width, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, \u{10ffff}".to_owned(),
        "x😀".repeat(100 * 1024 / 5),
    ];
    for (i, t) in texts.iter().enumerate() {
        s.append(&c, Role::Assistant, t, T0 + i as u64, Some("jöb/1"), 10)
            .await
            .unwrap();
    }
    let h = s.history(&c, 10).await.unwrap();
    assert_eq!(
        h.iter().map(|m| &m.text).collect::<Vec<_>>(),
        texts.iter().collect::<Vec<_>>()
    );
    assert!(h[4].text.len() >= 100 * 1024);
    assert_eq!(h[0].job_id.as_deref(), Some("jöb/1"));

    s.set_setting(&odd, "名前", Some(&texts[0])).await.unwrap();
    assert_eq!(
        s.setting(&odd, "名前").await.unwrap().as_deref(),
        Some(texts[0].as_str())
    );
    let export = s.export_user(&odd).await.unwrap();
    assert_eq!(export["conversations"][0]["place"], "chan:7/thread}{");
    assert_eq!(
        export["conversations"][0]["personality"],
        "émile|\"quoted\""
    );
}

pub async fn bad_input_is_refused(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let c = conv(&alice, "dm:1", "pirate");
    let invalid = |r: Result<u64, StoreError>| matches!(r, Err(StoreError::Invalid(_)));
    assert!(invalid(s.append(&c, Role::User, "hi", T0, None, 0).await));
    let huge = "a".repeat(1024 * 1024 + 1);
    assert!(invalid(s.append(&c, Role::User, &huge, T0, None, 10).await));
    assert!(invalid(
        s.append(&conv(&alice, "", "pirate"), Role::User, "hi", T0, None, 10)
            .await
    ));
    assert!(invalid(
        s.append(&c, Role::User, "hi", u64::MAX, None, 10).await
    ));
    let long_id = "u".repeat(10_000);
    assert!(invalid(
        s.append(
            &conv(&user("acme", &long_id), "dm", "p"),
            Role::User,
            "hi",
            T0,
            None,
            10
        )
        .await
    ));
    // Nothing was stored by the refused calls.
    assert!(s.history(&c, 10).await.unwrap().is_empty());
    assert_eq!(
        s.append(&c, Role::User, "ok", T0, None, 10).await.unwrap(),
        1
    );
}

pub async fn a_redelivered_message_is_recorded_once(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let c = conv(&alice, "dm:1", "pirate");
    let first = s
        .append(&c, Role::User, "hello", T0, Some("telegram:bot:100"), 3)
        .await
        .unwrap();
    let again = s
        .append(&c, Role::User, "hello", T0 + 5, Some("telegram:bot:100"), 3)
        .await
        .unwrap();
    assert_eq!(first, again, "same job id, same seq");
    assert_eq!(s.history(&c, 10).await.unwrap().len(), 1);
    // Answers carry their question's job id and are always recorded.
    s.append(
        &c,
        Role::Assistant,
        "hi",
        T0 + 6,
        Some("telegram:bot:100"),
        3,
    )
    .await
    .unwrap();
    s.append(
        &c,
        Role::Assistant,
        "hi again",
        T0 + 7,
        Some("telegram:bot:100"),
        3,
    )
    .await
    .unwrap();
    assert_eq!(s.history(&c, 10).await.unwrap().len(), 3);
    // Once trimmed out of the kept messages, the id may be recorded again (the queue's own
    // idempotency keeps such a message from becoming a second job).
    s.append(&c, Role::User, "next", T0 + 8, Some("telegram:bot:101"), 3)
        .await
        .unwrap();
    let later = s
        .append(&c, Role::User, "hello", T0 + 9, Some("telegram:bot:100"), 3)
        .await
        .unwrap();
    assert!(later > first);
    // The same job id in another conversation is another message.
    let other = conv(&alice, "dm:1", "sage");
    assert_eq!(
        s.append(&other, Role::User, "x", T0, Some("telegram:bot:100"), 3)
            .await
            .unwrap(),
        1
    );
}
