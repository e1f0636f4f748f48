//! Users: registration on first sight, status, listings, settings.

use std::collections::BTreeMap;

use switchboard::store::{Seen, StoreError, UserStatus};

use crate::support::{Backend, JAN_1_2025_MS as T0, seen, user};

pub async fn first_sight_registers_and_later_sightings_keep_status_and_first_seen(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1001");
    assert_eq!(s.user(&alice).await.unwrap(), None);

    let first = Seen {
        new_status: UserStatus::Guest,
        ..seen(&alice, "Alice", Some("alice_w"), T0)
    };
    let rec = s.seen(&first).await.unwrap();
    assert_eq!(rec.key, alice);
    assert_eq!(rec.status, UserStatus::Guest);
    assert_eq!((rec.first_seen_ms, rec.last_seen_ms), (T0, T0));
    assert_eq!(rec.display_name, "Alice");
    assert_eq!(rec.username.as_deref(), Some("alice_w"));
    assert_eq!(s.user(&alice).await.unwrap(), Some(rec));

    // A later sighting, asking for another status: names and last_seen change, status stays.
    let later = Seen {
        new_status: UserStatus::Active,
        ..seen(&alice, "Alice W.", None, T0 + 5_000)
    };
    let rec = s.seen(&later).await.unwrap();
    assert_eq!(rec.status, UserStatus::Guest);
    assert_eq!((rec.first_seen_ms, rec.last_seen_ms), (T0, T0 + 5_000));
    assert_eq!(rec.display_name, "Alice W.");
    assert_eq!(rec.username, None);

    // A late, older sighting changes nothing.
    let stale = s
        .seen(&seen(&alice, "Old Name", Some("old"), T0 + 1_000))
        .await
        .unwrap();
    assert_eq!(stale.display_name, "Alice W.");
    assert_eq!(stale.last_seen_ms, T0 + 5_000);
    assert_eq!(s.user(&alice).await.unwrap(), Some(stale));
}

pub async fn set_status_changes_known_users_only(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1001");
    s.seen(&seen(&alice, "Alice", None, T0)).await.unwrap();
    assert!(s.set_status(&alice, UserStatus::Banned).await.unwrap());
    assert_eq!(
        s.user(&alice).await.unwrap().unwrap().status,
        UserStatus::Banned
    );
    // Writing again does not lift the ban.
    let rec = s.seen(&seen(&alice, "Alice", None, T0 + 1)).await.unwrap();
    assert_eq!(rec.status, UserStatus::Banned);

    let ghost = user("acme", "telegram:404");
    assert!(!s.set_status(&ghost, UserStatus::Active).await.unwrap());
    assert_eq!(
        s.user(&ghost).await.unwrap(),
        None,
        "set_status must not create users"
    );
    // Same user id in another tenant is another user.
    assert!(
        !s.set_status(&user("other", "telegram:1001"), UserStatus::Inactive)
            .await
            .unwrap()
    );
    assert_eq!(
        s.user(&alice).await.unwrap().unwrap().status,
        UserStatus::Banned
    );
}

pub async fn users_filter_by_tenant_and_search_most_recent_first(b: Backend) {
    let s = &b.store;
    let people = [
        (user("acme", "telegram:1"), "Alice", Some("ally"), 10),
        (user("acme", "discord:2"), "Bob", None, 40),
        (user("beta", "telegram:3"), "Über Chris", Some("chris"), 30),
        (user("acme", "telegram:4"), "Dora", Some("ALICE_fan"), 20),
        (user("beta", "discord:5"), "Eve", None, 50),
    ];
    for (k, name, username, t) in &people {
        s.seen(&seen(k, name, *username, T0 + t)).await.unwrap();
    }
    let ids = |v: Vec<switchboard::store::UserRecord>| -> Vec<String> {
        v.into_iter()
            .map(|r| format!("{}/{}", r.key.tenant, r.key.user))
            .collect()
    };

    let all = ids(s.users(None, None, 100).await.unwrap());
    assert_eq!(
        all,
        [
            "beta/discord:5",
            "acme/discord:2",
            "beta/telegram:3",
            "acme/telegram:4",
            "acme/telegram:1"
        ]
    );
    assert_eq!(
        ids(s.users(Some("acme"), None, 100).await.unwrap()),
        ["acme/discord:2", "acme/telegram:4", "acme/telegram:1"]
    );
    assert_eq!(
        ids(s.users(None, None, 2).await.unwrap()),
        ["beta/discord:5", "acme/discord:2"]
    );
    assert!(s.users(None, None, 0).await.unwrap().is_empty());
    assert!(s.users(Some("nobody"), None, 10).await.unwrap().is_empty());

    // Case-insensitive, in display name or username, beyond ASCII.
    assert_eq!(
        ids(s.users(None, Some("aLiCe"), 100).await.unwrap()),
        ["acme/telegram:4", "acme/telegram:1"]
    );
    assert_eq!(
        ids(s.users(None, Some("über"), 100).await.unwrap()),
        ["beta/telegram:3"]
    );
    // In the user id, combined with a tenant filter and a limit.
    assert_eq!(
        ids(s.users(Some("beta"), Some("DISCORD"), 100).await.unwrap()),
        ["beta/discord:5"]
    );
    assert_eq!(
        ids(s.users(Some("acme"), Some("telegram"), 1).await.unwrap()),
        ["acme/telegram:4"]
    );

    // A new sighting moves a user to the front.
    s.seen(&seen(&people[0].0, "Alice", None, T0 + 60))
        .await
        .unwrap();
    assert_eq!(
        ids(s.users(None, None, 1).await.unwrap()),
        ["acme/telegram:1"]
    );
}

pub async fn settings_set_get_remove_and_list(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let bob = user("acme", "telegram:2");
    assert_eq!(s.setting(&alice, "persona").await.unwrap(), None);
    assert!(s.settings(&alice).await.unwrap().is_empty());

    s.set_setting(&alice, "persona", Some("pirate"))
        .await
        .unwrap();
    s.set_setting(&alice, "lang", Some("日本語 🏴‍☠️"))
        .await
        .unwrap();
    s.set_setting(&bob, "persona", Some("butler"))
        .await
        .unwrap();
    assert_eq!(
        s.setting(&alice, "persona").await.unwrap().as_deref(),
        Some("pirate")
    );

    s.set_setting(&alice, "persona", Some("poet"))
        .await
        .unwrap();
    let want: BTreeMap<String, String> = [("lang", "日本語 🏴‍☠️"), ("persona", "poet")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(s.settings(&alice).await.unwrap(), want);

    s.set_setting(&alice, "persona", None).await.unwrap();
    assert_eq!(s.setting(&alice, "persona").await.unwrap(), None);
    // Removing what is not there is fine.
    s.set_setting(&alice, "persona", None).await.unwrap();
    assert_eq!(s.settings(&alice).await.unwrap().len(), 1);
    assert_eq!(
        s.setting(&bob, "persona").await.unwrap().as_deref(),
        Some("butler")
    );

    let err = s.set_setting(&alice, "", Some("x")).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}
