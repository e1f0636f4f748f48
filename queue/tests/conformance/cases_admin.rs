//! Operator views and actions: stats, cancel, maintenance, dead letters.

use switchboard_queue::QueueError;
use switchboard_queue::core::{Nack, NewJob, Position, UserStats};

use crate::support::{Backend, LEASE_MS};

pub async fn stats_count_per_tenant_and_user(b: Backend) {
    b.flood("a", "t1", "alice", 3).await;
    b.flood("b", "t1", "bob", 1).await;
    b.flood("c", "t2", "carol", 2).await;
    b.q.enqueue(NewJob::new("d", "t2", "dave", "").not_before(1_000_010))
        .await
        .unwrap();
    let _leased = b.lease(2).await;
    let st = b.q.stats().await.unwrap();
    assert_eq!((st.ready, st.in_flight, st.delayed, st.dead), (4, 2, 1, 0));
    assert_eq!(
        st.tenants
            .iter()
            .map(|t| t.tenant.as_str())
            .collect::<Vec<_>>(),
        ["t1", "t2"]
    );
    let t1 = &st.tenants[0];
    assert_eq!((t1.ready, t1.in_flight, t1.delayed), (3, 1, 0));
    assert_eq!(
        t1.users[0],
        UserStats {
            user: "alice".into(),
            ready: 2,
            in_flight: 1,
            delayed: 0
        }
    );
    assert_eq!(
        t1.users[1],
        UserStats {
            user: "bob".into(),
            ready: 1,
            in_flight: 0,
            delayed: 0
        }
    );
    let t2 = &st.tenants[1];
    assert_eq!((t2.ready, t2.in_flight, t2.delayed), (1, 1, 1));
    assert_eq!(
        t2.users.iter().map(|u| u.user.as_str()).collect::<Vec<_>>(),
        ["carol", "dave"]
    );
}

pub async fn cancel_drops_queued_jobs_only(b: Backend) {
    b.flood("a", "t", "u", 4).await;
    b.add("other", "t", "v").await;
    b.q.enqueue(NewJob::new("d", "t", "u", "").not_before(1_000_010))
        .await
        .unwrap();
    let l = b.lease1().await.unwrap();
    assert_eq!(l.id, "a0");
    assert_eq!(b.q.cancel_user("t", "u").await.unwrap(), 4);
    assert_eq!(b.q.cancel_user("t", "nobody").await.unwrap(), 0);
    b.ack(&l).await;
    b.clock.advance(10);
    let rest: Vec<String> = b.drain_steps(10).await.into_iter().map(|l| l.id).collect();
    assert_eq!(rest, ["other"]);
    assert_eq!(
        b.q.enqueue(NewJob::new("a2", "t", "u", "")).await.unwrap(),
        switchboard_queue::core::Enqueued::Duplicate
    );
}

pub async fn maintenance_reclaims_releases_and_prunes(b: Backend) {
    for u in 0..40 {
        b.add(&format!("j{u}"), &format!("t{}", u % 4), &format!("u{u}"))
            .await;
    }
    b.q.enqueue(NewJob::new("later", "t0", "late", "").not_before(1_000_500))
        .await
        .unwrap();
    let held = b.lease1().await.unwrap();
    assert_eq!(b.drain_steps(100).await.len(), 39);
    b.clock.advance(LEASE_MS);
    let m = b.q.maintain().await.unwrap();
    assert_eq!((m.reclaimed, m.released), (1, 1));
    assert_eq!(b.q.stats().await.unwrap().ready, 2);
    let leased = b.drain_steps(10).await;
    assert_eq!(leased.len(), 2);
    assert!(leased.iter().any(|l| l.id == held.id && l.attempt == 2));
    // Everything is idle now: every flow can be forgotten.
    let mut pruned = m.pruned;
    for _ in 0..3 {
        pruned += b.q.maintain().await.unwrap().pruned;
    }
    assert!(pruned >= 40, "pruned {pruned}");
    // And forgetting changed nothing a user would see: order continues fairly.
    b.flood("x", "t0", "u0", 2).await;
    b.flood("y", "t1", "u1", 2).await;
    let ids: Vec<String> = b.drain_steps(10).await.into_iter().map(|l| l.id).collect();
    assert_eq!(ids, ["x0", "y0", "x1", "y1"]);
}

pub async fn dead_letters_list_and_delete(b: Backend) {
    for i in 0..3 {
        b.add(&format!("d{i}"), "t", &format!("u{i}")).await;
    }
    for l in b.lease(3).await {
        let out =
            b.q.nack(
                &l,
                Nack::DeadLetter {
                    error: format!("bad {}\nline", l.id),
                },
            )
            .await
            .unwrap();
        assert_eq!(out, switchboard_queue::core::NackOutcome::DeadLettered);
    }
    let all = b.q.dead_letters(0, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(
        all.iter().all(|d| !d.error.contains('\n')),
        "errors are one line"
    );
    assert_eq!(b.q.dead_letters(1, 1).await.unwrap().len(), 1);
    assert!(b.q.dead_letters(5, 10).await.unwrap().is_empty());
    b.q.delete_dead(&all[0].id).await.unwrap();
    assert!(matches!(
        b.q.delete_dead(&all[0].id).await,
        Err(QueueError::NotFound)
    ));
    assert_eq!(b.q.stats().await.unwrap().dead, 2);
}

pub async fn user_backlog_counts_ready_and_held(b: Backend) {
    assert_eq!(b.q.user_backlog("t", "u").await.unwrap(), 0);
    b.flood("a", "t", "u", 3).await;
    assert_eq!(b.q.user_backlog("t", "u").await.unwrap(), 3);
    let l = b.lease1().await.unwrap();
    assert_eq!(
        b.q.user_backlog("t", "u").await.unwrap(),
        3,
        "leased still counts"
    );
    b.q.nack(
        &l,
        Nack::Retry {
            delay_ms: 1_000,
            failed: true,
            error: "x".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        b.q.user_backlog("t", "u").await.unwrap(),
        3,
        "waiting to retry still counts"
    );
    b.clock.advance(1_000);
    let l = b.lease1().await.unwrap();
    b.ack(&l).await;
    assert_eq!(b.q.user_backlog("t", "u").await.unwrap(), 2);
    b.add("o", "t2", "other").await;
    assert_eq!(b.q.user_backlog("t2", "other").await.unwrap(), 1);
    assert_eq!(b.q.user_backlog("t", "nobody").await.unwrap(), 0);
}

pub async fn position_counts_users_and_tenants_ahead(b: Backend) {
    let pos = |users_ahead, tenants_ahead| {
        Some(Position {
            users_ahead,
            tenants_ahead,
        })
    };
    assert_eq!(
        b.q.position("ta", "a").await.unwrap(),
        None,
        "nothing queued"
    );
    for (id, t, u) in [
        ("1", "ta", "a"),
        ("2", "ta", "b"),
        ("3", "ta", "c"),
        ("4", "tb", "x"),
    ] {
        b.add(id, t, u).await;
    }
    b.add("5", "ta", "a").await;
    assert_eq!(b.q.position("ta", "a").await.unwrap(), pos(0, 0));
    assert_eq!(b.q.position("ta", "c").await.unwrap(), pos(2, 0));
    assert_eq!(b.q.position("tb", "x").await.unwrap(), pos(0, 1));
    assert_eq!(b.q.position("ta", "nobody").await.unwrap(), None);

    // Serving ta's first user moves that user behind the others, and ta behind tb.
    let l = b.lease1().await.unwrap();
    assert_eq!((l.tenant.as_str(), l.user.as_str()), ("ta", "a"));
    assert_eq!(b.q.position("ta", "c").await.unwrap(), pos(1, 1));
    assert_eq!(b.q.position("tb", "x").await.unwrap(), pos(0, 0));
    // A user whose slots are all held (one by default) cannot be dispatched: no position.
    assert_eq!(b.q.position("ta", "a").await.unwrap(), None);
    // A tenant at its cap waits behind every tenant with work.
    b.add("6", "tc", "y").await;
    b.q.set_tenant_cap("ta", Some(1)).await.unwrap();
    assert_eq!(b.q.position("ta", "c").await.unwrap(), pos(1, 2));
    b.ack(&l).await;
    assert_eq!(b.q.position("ta", "a").await.unwrap(), pos(2, 2));
}
