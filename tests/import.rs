//! `switchboard import daemonvigil` end to end: DaemonVigil directories of both layouts imported
//! into embedded (SQLite) storage, checked through the `Store` API; a second run imports nothing
//! twice; the source stays byte-identical; the binary prints the summary and refuses a
//! single-user directory without `--user`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod import_cli;
mod import_fixtures;

use import_fixtures::{self as fx, DAYS, TENANT, conv, has_problem, opts, store, tally};
use switchboard::import::{ImportError, run_daemonvigil};
use switchboard::store::{Role, Store, UsageScope, UserKey, UserStatus, day_of};

#[tokio::test]
async fn multi_user_layout_lands_in_the_store_once() {
    let setup = fx::setup();
    let cfg = fx::load(&setup.config);
    let src = tempfile::tempdir().unwrap();
    fx::multi_user(src.path());
    let before = fx::snapshot(src.path());

    let first = run_daemonvigil(&cfg, &opts(src.path(), None, None))
        .await
        .unwrap();
    assert_eq!(first.tenant, TENANT);
    assert_eq!(
        first.personality, "Sage",
        "the tenant's default personality"
    );
    assert_eq!(first.users, tally(4, 0));
    assert_eq!(first.messages, tally(4 + 6 + 2, 0));
    assert_eq!(first.messages_not_kept, 2);
    assert_eq!(first.notes, tally(2, 0));
    assert_eq!(first.usage, tally(4, 0));
    assert_eq!(first.settings, tally(4, 0));
    assert_eq!(first.heartbeats, tally(2, 0));
    assert!(!first.nothing_read());
    assert!(has_problem(
        &first,
        "users/111/messages.json",
        Some(13),
        "message #3 has no \"content\"; skipped"
    ));
    assert!(has_problem(
        &first,
        "api_usage.jsonl",
        Some(3),
        "not valid JSON"
    ));
    assert!(has_problem(
        &first,
        "api_usage.jsonl",
        Some(5),
        "does not say whose"
    ));
    assert!(has_problem(
        &first,
        "users/222/user_config.json",
        None,
        "set to every 30"
    ));
    assert_eq!(first.problems.len(), 4, "{:#?}", first.problems);

    let st = store(&setup).await;
    // Users: registered active (though the tenant wants approval), named from users.json.
    let vals = st
        .user(&UserKey::new(TENANT, "telegram:111"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(vals.display_name, "Vals");
    assert_eq!(vals.username.as_deref(), Some("vals"));
    assert_eq!(vals.status, UserStatus::Active);
    assert!(vals.first_seen_ms < vals.last_seen_ms);
    let zoe = st
        .user(&UserKey::new(TENANT, "telegram:222"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((zoe.display_name.as_str(), zoe.username), ("Zoë 🦊", None));
    let gone = st
        .user(&UserKey::new(TENANT, "telegram:444"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.status, UserStatus::Banned);
    let unlisted = st
        .user(&UserKey::new(TENANT, "telegram:333"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unlisted.display_name, "333");
    assert_eq!(st.users(Some(TENANT), None, 10).await.unwrap().len(), 4);

    // History: in order, with roles, text and original times.
    let h = st.history(&conv(TENANT, "111", "Sage"), 100).await.unwrap();
    let got: Vec<_> = h.iter().map(|m| (m.role, m.text.as_str())).collect();
    assert_eq!(
        got,
        [
            (Role::User, fx::VALS_1),
            (Role::Assistant, fx::VALS_2),
            (Role::User, fx::VALS_3),
            (Role::Assistant, fx::VALS_4),
        ]
    );
    assert_eq!(h[0].at_ms, 1_765_177_201_250);
    assert!(
        h.windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].at_ms < w[1].at_ms)
    );
    assert!(
        h.iter()
            .all(|m| m.job_id.as_deref().unwrap().starts_with("dv:111:"))
    );
    let z = st.history(&conv(TENANT, "222", "Sage"), 100).await.unwrap();
    let texts: Vec<_> = z.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        (2..8).map(|i| format!("Zoë #{i} 🦊")).collect::<Vec<_>>()
    );

    // Notes, settings, check-ins.
    let vkey = UserKey::new(TENANT, "telegram:111");
    let notes = st.notes(&vkey).await.unwrap();
    let texts: Vec<_> = notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, [fx::VALS_NOTE_1, fx::VALS_NOTE_2]);
    let settings = st.settings(&vkey).await.unwrap();
    assert_eq!(settings["model"], "claude-3-5-haiku-20241022");
    assert_eq!(settings["daemonvigil.max_context_messages"], "50");
    assert_eq!(settings.len(), 2, "{settings:?}");
    let zkey = UserKey::new(TENANT, "telegram:222");
    let zs = st.settings(&zkey).await.unwrap();
    assert_eq!(zs["daemonvigil.model"], "claude-opus-4-5-20251101");
    let hb = st.heartbeat(&vkey).await.unwrap().unwrap();
    assert!(hb.enabled);
    assert_eq!(hb.every_minutes, 45);
    assert_eq!(hb.tz, "Europe/Paris");
    assert_eq!(
        hb.active,
        Some((8 * 60, 22 * 60)),
        "awake outside quiet hours"
    );
    assert_eq!(
        (hb.personality.as_str(), hb.place.as_str()),
        ("Sage", "111")
    );
    assert!(hb.target.contains("\"companion\"") && hb.target.contains("\"111\""));
    let zhb = st.heartbeat(&zkey).await.unwrap().unwrap();
    assert_eq!((zhb.enabled, zhb.every_minutes), (false, 30));

    // Usage: the cut-off line and the record of nobody are left out; a missing cost is priced.
    let u = st
        .usage(UsageScope::User(&vkey), DAYS.0, DAYS.1)
        .await
        .unwrap();
    assert_eq!(
        (u.requests, u.input_tokens, u.output_tokens),
        (2, 1500, 200)
    );
    assert!(
        (u.cost_usd - (0.0016 + 0.0004)).abs() < 1e-9,
        "{}",
        u.cost_usd
    );
    let z = st
        .usage(UsageScope::User(&zkey), DAYS.0, DAYS.1)
        .await
        .unwrap();
    assert_eq!(
        (z.requests, z.input_tokens),
        (2, 4000),
        "identical records both count"
    );
    let t = st
        .usage(UsageScope::Tenant(TENANT), DAYS.0, DAYS.1)
        .await
        .unwrap();
    assert_eq!(t.requests, 4);
    assert_eq!(day_of(h[0].at_ms), 20_430);

    // Again: nothing new.
    let second = run_daemonvigil(&cfg, &opts(src.path(), None, None))
        .await
        .unwrap();
    assert_eq!(second.users, tally(0, 4));
    assert_eq!(second.messages, tally(0, 12));
    assert_eq!(second.notes, tally(0, 2));
    assert_eq!(second.usage, tally(0, 4));
    assert_eq!(second.settings, tally(0, 4));
    assert_eq!(second.heartbeats, tally(0, 2));
    assert_eq!(
        st.history(&conv(TENANT, "111", "Sage"), 100).await.unwrap(),
        h
    );
    assert_eq!(st.notes(&vkey).await.unwrap(), notes);
    let t2 = st
        .usage(UsageScope::Tenant(TENANT), DAYS.0, DAYS.1)
        .await
        .unwrap();
    assert_eq!(t2, t);

    assert_eq!(fx::snapshot(src.path()), before, "the source was modified");
}

#[tokio::test]
async fn a_rerun_brings_back_nothing_the_user_has_since_replaced_deleted_or_forgotten() {
    let setup = fx::setup();
    let cfg = fx::load(&setup.config);
    let src = tempfile::tempdir().unwrap();
    fx::multi_user(src.path());
    run_daemonvigil(&cfg, &opts(src.path(), Some("111"), None))
        .await
        .unwrap();
    let st = store(&setup).await;
    let c = conv(TENANT, "111", "Sage");
    // The user talks on in switchboard: the imported messages leave the kept history.
    for i in 0..6u64 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        let job = format!("telegram:companion:{i}");
        st.append(
            &c,
            role,
            &format!("new {i}"),
            1_800_000_000_000 + i,
            Some(&job),
            6,
        )
        .await
        .unwrap();
    }
    let key = UserKey::new(TENANT, "telegram:111");
    st.clear_notes(&key).await.unwrap();
    let again = run_daemonvigil(&cfg, &opts(src.path(), Some("111"), None))
        .await
        .unwrap();
    assert_eq!(again.messages, tally(0, 4));
    assert_eq!(again.notes, tally(0, 2));
    let texts: Vec<_> = st
        .history(&c, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(
        texts,
        (0..6).map(|i| format!("new {i}")).collect::<Vec<_>>()
    );
    assert!(st.notes(&key).await.unwrap().is_empty());
    // `--user` imported that user only.
    assert_eq!(st.users(Some(TENANT), None, 10).await.unwrap().len(), 1);

    // The user asks to be forgotten: another run does not bring them back.
    st.forget_user(&key).await.unwrap();
    let after = run_daemonvigil(&cfg, &opts(src.path(), Some("111"), None))
        .await
        .unwrap();
    assert_eq!(after.users, tally(0, 0));
    assert_eq!(after.messages, tally(0, 0));
    assert!(has_problem(
        &after,
        "users.json",
        None,
        "has been forgotten since"
    ));
    assert!(st.user(&key).await.unwrap().is_none());
    assert!(st.history(&c, 100).await.unwrap().is_empty());
    assert!(st.settings(&key).await.unwrap().is_empty());
    assert!(st.heartbeat(&key).await.unwrap().is_none());
    assert!(st.notes(&key).await.unwrap().is_empty());
}

#[tokio::test]
async fn single_user_layout_with_user_and_tenant() {
    let setup = fx::setup();
    let cfg = fx::load(&setup.config);
    let src = tempfile::tempdir().unwrap();
    fx::single_user(src.path());
    let before = fx::snapshot(src.path());
    let o = opts(src.path(), Some("4242"), Some("imported"));
    let s = run_daemonvigil(&cfg, &o).await.unwrap();
    assert_eq!(s.tenant, "imported");
    assert_eq!(
        s.personality, "Aria",
        "an unnamed tenant: the config's default"
    );
    assert_eq!(
        (s.users, s.messages, s.notes, s.usage),
        (tally(1, 0), tally(3, 0), tally(1, 0), tally(2, 0))
    );
    assert!(has_problem(
        &s,
        "messages.json",
        Some(4),
        "message #3 has a \"role\""
    ));
    assert_eq!(s.problems.len(), 1, "{:#?}", s.problems);

    let st = store(&setup).await;
    let key = UserKey::new("imported", "telegram:4242");
    let rec = st.user(&key).await.unwrap().unwrap();
    assert_eq!(
        (rec.display_name.as_str(), rec.status),
        ("4242", UserStatus::Active)
    );
    let h = st
        .history(&conv("imported", "4242", "Aria"), 10)
        .await
        .unwrap();
    let got: Vec<_> = h.iter().map(|m| (m.role, m.text.as_str())).collect();
    assert_eq!(
        got,
        [
            (Role::User, "Ça va? Привет! 🌙"),
            (Role::Assistant, "Très bien — и тебе привет 🌙"),
            (Role::User, "Bonne nuit 😴"),
        ]
    );
    let u = st
        .usage(UsageScope::User(&key), DAYS.0, DAYS.1)
        .await
        .unwrap();
    assert_eq!((u.requests, u.input_tokens, u.output_tokens), (2, 400, 50));
    assert!((u.cost_usd - 0.0006).abs() < 1e-9);

    let again = run_daemonvigil(&cfg, &o).await.unwrap();
    assert_eq!(
        (again.users, again.messages, again.notes, again.usage),
        (tally(0, 1), tally(0, 3), tally(0, 1), tally(0, 2))
    );
    assert_eq!(
        st.history(&conv("imported", "4242", "Aria"), 10)
            .await
            .unwrap(),
        h
    );
    assert_eq!(fx::snapshot(src.path()), before);
}

#[tokio::test]
async fn refusals_leave_no_trace() {
    let setup = fx::setup();
    let cfg = fx::load(&setup.config);
    let src = tempfile::tempdir().unwrap();
    fx::single_user(src.path());
    let e = run_daemonvigil(&cfg, &opts(src.path(), None, None))
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::NeedUser(_)), "{e}");
    assert!(e.to_string().contains("--user <id>"), "{e}");
    let e = run_daemonvigil(&cfg, &opts(src.path(), Some("../x"), None))
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::BadUser(_)), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let e = run_daemonvigil(&cfg, &opts(empty.path(), Some("1"), None))
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::NoSource(_)), "{e}");
    let multi = tempfile::tempdir().unwrap();
    fx::multi_user(multi.path());
    let e = run_daemonvigil(&cfg, &opts(multi.path(), Some("999"), None))
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::UnknownUser(_)), "{e}");
    assert!(!setup.data.exists(), "a refused import opened the store");

    // A data directory inside the source would write there.
    let inside = fx::setup_with_data(Some(&multi.path().join("switchboard-data")));
    let before = fx::snapshot(multi.path());
    let e = run_daemonvigil(&fx::load(&inside.config), &opts(multi.path(), None, None))
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::DataDirInSource(_)), "{e}");
    assert_eq!(fx::snapshot(multi.path()), before);
}

#[tokio::test]
async fn nothing_readable_is_said() {
    let setup = fx::setup();
    let cfg = fx::load(&setup.config);
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("messages.json"), "{\"messages\": [").unwrap();
    let s = run_daemonvigil(&cfg, &opts(src.path(), Some("5"), None))
        .await
        .unwrap();
    assert!(s.nothing_read());
    assert!(has_problem(&s, "messages.json", Some(1), "not valid JSON"));
    assert!(
        !setup.data.exists(),
        "nothing read, yet the store was opened"
    );
}
