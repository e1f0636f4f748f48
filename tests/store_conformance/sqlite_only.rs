//! What only the embedded backend has: the queue journal, and a file that can be closed and
//! reopened.

use switchboard::store::{Journal, JournalEntry, Role, SqliteStore, Store, UsageScope, day_of};

use crate::support::{JAN_1_2025_MS as T0, conv, seen, usage, user};

fn entry(id: &str, payload: &[u8], not_before: Option<u64>) -> JournalEntry {
    JournalEntry {
        id: id.into(),
        tenant: "acme".into(),
        user: "telegram:1".into(),
        payload: payload.to_vec(),
        not_before,
        enqueued_at_ms: T0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_keeps_put_order_until_done_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let s = SqliteStore::open(&path).await.unwrap();
    assert!(s.journal_load().await.unwrap().is_empty());

    let binary = [0u8, 0xff, 0xfe, b'{', 0];
    s.journal_put(&[
        entry("j2", b"second", None),
        entry("j1", &binary, Some(T0 + 5)),
    ])
    .await
    .unwrap();
    // A job journaled twice keeps its first entry and place.
    s.journal_put(&[entry("j3", b"third", None), entry("j2", b"changed", None)])
        .await
        .unwrap();
    s.journal_put(&[]).await.unwrap();
    let want = vec![
        entry("j2", b"second", None),
        entry("j1", &binary, Some(T0 + 5)),
        entry("j3", b"third", None),
    ];
    assert_eq!(s.journal_load().await.unwrap(), want);

    s.journal_done(&["j1".into(), "unknown".into()])
        .await
        .unwrap();
    s.close().await.unwrap();

    // Everything acknowledged before close is there after reopening.
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        s.journal_load().await.unwrap(),
        vec![entry("j2", b"second", None), entry("j3", b"third", None)]
    );
    s.journal_put(&[entry("j4", b"fourth", None)])
        .await
        .unwrap();
    s.journal_done(&["j2".into(), "j3".into()]).await.unwrap();
    // Dropped without close: the writer still commits and stops on its own.
    drop(s);
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        s.journal_load().await.unwrap(),
        vec![entry("j4", b"fourth", None)]
    );
    s.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-ok.db");
    let alice = user("acme", "telegram:1");
    let c = conv(&alice, "dm:1", "pirate");
    {
        let s = SqliteStore::open(&path).await.unwrap();
        s.seen(&seen(&alice, "Alice", Some("al"), T0))
            .await
            .unwrap();
        s.set_setting(&alice, "persona", Some("pirate"))
            .await
            .unwrap();
        for i in 0..3 {
            s.append(&c, Role::User, &format!("m{i}"), T0 + i, None, 2)
                .await
                .unwrap();
        }
        s.set_answered_through(&c, 2).await.unwrap();
        s.record_usage(&usage(&alice, T0, 10, 20, 0.5))
            .await
            .unwrap();
        s.save_reply("job-1", "Ahoy", T0).await.unwrap();
        s.close().await.unwrap();
    }
    let s = SqliteStore::open(&path).await.unwrap();
    s.ping().await.unwrap();
    let rec = s.user(&alice).await.unwrap().unwrap();
    assert_eq!(
        (rec.display_name.as_str(), rec.first_seen_ms),
        ("Alice", T0)
    );
    assert_eq!(
        s.setting(&alice, "persona").await.unwrap().as_deref(),
        Some("pirate")
    );
    let h = s.history(&c, 10).await.unwrap();
    assert_eq!(h.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(s.answered_through(&c).await.unwrap(), 2);
    // The seq counter survives too.
    assert_eq!(
        s.append(&c, Role::User, "again", T0 + 9, None, 2)
            .await
            .unwrap(),
        4
    );
    let d = day_of(T0);
    let t = s.usage(UsageScope::User(&alice), d, d).await.unwrap();
    assert_eq!((t.requests, t.input_tokens, t.output_tokens), (1, 10, 20));
    assert_eq!(s.outcome("job-1").await.unwrap().unwrap().reply, "Ahoy");
    s.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_path_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("store.db");
    assert!(SqliteStore::open(&path).await.is_err());
}
