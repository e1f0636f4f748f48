//! Check-in schedules: stored per user, claimed by exactly one scheduler when due (however many
//! processes poll), and rescheduled without undoing what the user changed meanwhile.

use std::collections::HashMap;
use std::sync::Arc;

use switchboard::store::{Heartbeat, UserKey};

use crate::support::{Backend, JAN_1_2025_MS as T0, user};

fn schedule(next_run_ms: u64) -> Heartbeat {
    Heartbeat {
        enabled: true,
        every_minutes: 60,
        active: Some((9 * 60, 21 * 60)),
        tz: "Europe/Paris".into(),
        target: r#"{"platform":"telegram","place":"42"}"#.into(),
        personality: "pirate".into(),
        place: "42".into(),
        next_run_ms,
    }
}

pub async fn schedules_set_read_and_delete(b: Backend) {
    let s = b.store.as_ref();
    let ann = user("acme", "telegram:ann");
    assert_eq!(s.heartbeat(&ann).await.unwrap(), None);
    let h = schedule(T0);
    s.set_heartbeat(&ann, Some(&h)).await.unwrap();
    assert_eq!(s.heartbeat(&ann).await.unwrap(), Some(h.clone()));
    assert_eq!(
        s.heartbeat(&user("other", "telegram:ann")).await.unwrap(),
        None
    );

    let mut off = h.clone();
    off.enabled = false;
    off.active = None;
    s.set_heartbeat(&ann, Some(&off)).await.unwrap();
    assert_eq!(s.heartbeat(&ann).await.unwrap(), Some(off));
    s.set_heartbeat(&ann, None).await.unwrap();
    assert_eq!(s.heartbeat(&ann).await.unwrap(), None);
    assert!(!s.reschedule_heartbeat(&ann, T0 + 1).await.unwrap());
}

pub async fn only_enabled_due_schedules_are_claimed_earliest_first(b: Backend) {
    let s = b.store.as_ref();
    let early = user("acme", "telegram:early");
    let late = user("acme", "telegram:late");
    let future = user("acme", "telegram:future");
    let off = user("acme", "telegram:off");
    s.set_heartbeat(&late, Some(&schedule(T0 - 10)))
        .await
        .unwrap();
    s.set_heartbeat(&early, Some(&schedule(T0 - 500)))
        .await
        .unwrap();
    s.set_heartbeat(&future, Some(&schedule(T0 + 1)))
        .await
        .unwrap();
    let mut disabled = schedule(T0 - 1000);
    disabled.enabled = false;
    s.set_heartbeat(&off, Some(&disabled)).await.unwrap();

    let got = s.claim_due_heartbeats(T0, 60_000, 1).await.unwrap();
    assert_eq!(got.len(), 1, "the limit holds");
    assert_eq!(got[0].user, early);
    assert_eq!(got[0].due_ms, T0 - 500);
    assert_eq!(got[0].schedule.personality, "pirate");
    let got = s.claim_due_heartbeats(T0, 60_000, 10).await.unwrap();
    assert_eq!(
        got.iter().map(|d| (&d.user, d.due_ms)).collect::<Vec<_>>(),
        [(&late, T0 - 10)]
    );
    // Held: nothing more until the hold ends, then the same due schedule comes back (a crashed
    // scheduler's claim is not lost) with its new due time.
    assert!(
        s.claim_due_heartbeats(T0 + 59_999, 60_000, 10)
            .await
            .unwrap()
            .len()
            == 1
    );
    let again = s
        .claim_due_heartbeats(T0 + 60_000, 60_000, 10)
        .await
        .unwrap();
    let mut users: Vec<_> = again.iter().map(|d| d.user.clone()).collect();
    users.sort();
    assert_eq!(users, [early.clone(), late.clone()]);
    assert!(again.iter().all(|d| d.due_ms == T0 + 60_000));

    // Rescheduling moves the next run only; a change the user made meanwhile stays.
    let mut changed = schedule(T0 + 120_000);
    changed.every_minutes = 240;
    s.set_heartbeat(&early, Some(&changed)).await.unwrap();
    assert!(
        s.reschedule_heartbeat(&early, T0 + 3_600_000)
            .await
            .unwrap()
    );
    let now = s.heartbeat(&early).await.unwrap().unwrap();
    assert_eq!(now.every_minutes, 240);
    assert_eq!(now.next_run_ms, T0 + 3_600_000);
    let claimed = s.claim_due_heartbeats(T0 + 3_599_999, 1, 10).await.unwrap();
    assert!(claimed.iter().all(|d| d.user != early && d.user != off));
}

pub async fn concurrent_claimers_never_share_a_schedule(b: Backend) {
    let s = b.store.clone();
    let users: Vec<UserKey> = (0..60)
        .map(|i| {
            user(
                if i % 2 == 0 { "acme" } else { "zeta" },
                &format!("telegram:{i}"),
            )
        })
        .collect();
    for (i, u) in users.iter().enumerate() {
        s.set_heartbeat(u, Some(&schedule(T0 - i as u64)))
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for _ in 0..10 {
                    mine.extend(s.claim_due_heartbeats(T0, 3_600_000, 4).await.unwrap());
                }
                mine
            })
        })
        .collect();
    let mut seen: HashMap<UserKey, usize> = HashMap::new();
    for t in tasks {
        for d in t.await.unwrap() {
            *seen.entry(d.user).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), users.len(), "every due schedule was claimed");
    assert!(
        seen.values().all(|&n| n == 1),
        "a schedule was claimed twice"
    );
}
