//! Leases, acks, retries, dead letters, delayed jobs, idempotency, stats and pruning.

use super::{LEASE_MS, Sim};
use crate::core::*;

fn retry(delay_ms: Millis) -> Nack {
    Nack::Retry {
        delay_ms,
        failed: true,
        error: "boom".into(),
    }
}

#[test]
fn lease_carries_token_deadline_and_attempt() {
    let mut s = Sim::new();
    s.add("j", "t", "u");
    let l = s.lease1().unwrap();
    assert_eq!(l.attempt, 1);
    assert_eq!(l.deadline, s.now + LEASE_MS);
    assert_eq!(l.payload.as_ref(), b"j");
    assert!(!l.token.is_empty());
}

#[test]
fn stale_and_double_acks_are_refused() {
    let mut s = Sim::new();
    s.add("j", "t", "u");
    let l = s.lease1().unwrap();
    let mut forged = Ack::of(&l);
    forged.token.push('x');
    assert_eq!(s.core.ack(s.now, &forged), Err(CoreError::StaleLease));
    s.ack(&l);
    assert_eq!(s.core.ack(s.now, &Ack::of(&l)), Err(CoreError::StaleLease));
    assert_eq!(
        s.core.nack(s.now, &l.id, &l.token, retry(0)),
        Err(CoreError::StaleLease)
    );
}

#[test]
fn expired_lease_is_reclaimed_with_a_new_token_and_the_old_one_refused() {
    let mut s = Sim::new();
    s.add("j", "t", "u");
    let first = s.lease1().unwrap();
    s.tick(LEASE_MS - 1);
    assert!(s.lease1().is_none(), "still leased");
    s.tick(1);
    let second = s.lease1().unwrap();
    assert_eq!(second.id, "j");
    assert_eq!(second.attempt, 2);
    assert_ne!(second.token, first.token);
    assert_eq!(
        s.core.ack(s.now, &Ack::of(&first)),
        Err(CoreError::StaleLease)
    );
    s.ack(&second);
}

#[test]
fn extend_moves_the_deadline() {
    let mut s = Sim::new();
    s.add("j", "t", "u");
    let l = s.lease1().unwrap();
    s.tick(LEASE_MS - 10);
    let d = s.core.extend(s.now, &l.id, &l.token, LEASE_MS).unwrap();
    assert_eq!(d, s.now + LEASE_MS);
    s.tick(20);
    assert!(s.lease1().is_none(), "extended lease not reclaimed");
    assert_eq!(
        s.core.extend(s.now, &l.id, "wrong", LEASE_MS),
        Err(CoreError::StaleLease)
    );
    s.ack(&l);
}

#[test]
fn a_retry_keeps_its_place_ahead_of_the_users_later_jobs() {
    let mut s = Sim::new();
    s.add("first", "t", "u");
    s.add("second", "t", "u");
    let l = s.lease1().unwrap();
    let out = s.core.nack(s.now, &l.id, &l.token, retry(5_000)).unwrap();
    assert_eq!(out, NackOutcome::RetryAt(s.now + 5_000));
    assert!(s.lease1().is_none(), "second must not overtake first");
    s.tick(5_000);
    let again = s.lease1().unwrap();
    assert_eq!((again.id.as_str(), again.attempt), ("first", 2));
    s.ack(&again);
    assert_eq!(s.lease1().unwrap().id, "second");
}

#[test]
fn a_postponement_does_not_count_as_an_attempt() {
    let mut s = Sim::with(QueueSettings {
        max_attempts: 1,
        ..QueueSettings::default()
    });
    s.add("j", "t", "u");
    let l = s.lease1().unwrap();
    let postpone = Nack::Retry {
        delay_ms: 100,
        failed: false,
        error: "breaker open".into(),
    };
    assert_eq!(
        s.core.nack(s.now, &l.id, &l.token, postpone).unwrap(),
        NackOutcome::RetryAt(s.now + 100)
    );
    s.tick(100);
    assert_eq!(s.lease1().unwrap().attempt, 1);
}

#[test]
fn failures_dead_letter_after_max_attempts_and_can_be_requeued() {
    let mut s = Sim::with(QueueSettings {
        max_attempts: 3,
        ..QueueSettings::default()
    });
    s.add("j", "t", "u");
    s.add("k", "t", "u");
    for attempt in 1..=3 {
        let l = s.lease1().unwrap();
        assert_eq!((l.id.as_str(), l.attempt), ("j", attempt));
        let out = s.core.nack(s.now, &l.id, &l.token, retry(10)).unwrap();
        if attempt < 3 {
            assert_eq!(out, NackOutcome::RetryAt(s.now + 10));
        } else {
            assert_eq!(out, NackOutcome::DeadLettered);
        }
        s.tick(10);
    }
    let dead = s.core.dead_letters(0, 10);
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (
            dead[0].id.as_str(),
            dead[0].attempts,
            dead[0].error.as_str()
        ),
        ("j", 3, "boom")
    );
    assert_eq!(s.core.stats().dead, 1);
    // The user's slot came back: k flows.
    let k = s.lease1().unwrap();
    assert_eq!(k.id, "k");
    s.ack(&k);
    s.core.requeue_dead(s.now, "j").unwrap();
    let j = s.lease1().unwrap();
    assert_eq!((j.id.as_str(), j.attempt), ("j", 1));
    assert_eq!(s.core.requeue_dead(s.now, "j"), Err(CoreError::NotFound));
}

#[test]
fn explicit_dead_letter_and_delete() {
    let mut s = Sim::new();
    s.add("j", "t", "u");
    let l = s.lease1().unwrap();
    let out = s.core.nack(
        s.now,
        &l.id,
        &l.token,
        Nack::DeadLetter {
            error: "bad".into(),
        },
    );
    assert_eq!(out, Ok(NackOutcome::DeadLettered));
    s.core.delete_dead(s.now, "j").unwrap();
    assert!(s.core.dead_letters(0, 10).is_empty());
    assert_eq!(
        s.add("j", "t", "u"),
        Enqueued::Duplicate,
        "deleted id stays known"
    );
}

#[test]
fn expired_leases_dead_letter_after_max_attempts() {
    let mut s = Sim::with(QueueSettings {
        max_attempts: 2,
        ..QueueSettings::default()
    });
    s.add("j", "t", "u");
    s.lease1().unwrap();
    s.tick(LEASE_MS);
    s.lease1().unwrap();
    s.tick(LEASE_MS);
    assert!(s.lease1().is_none());
    let dead = s.core.dead_letters(0, 10);
    assert_eq!(dead[0].error, "lease expired");
}

#[test]
fn delayed_jobs_wait_for_their_time() {
    let mut s = Sim::new();
    let at = s.now + 1_000;
    s.core
        .enqueue(s.now, NewJob::new("later", "t", "u", "x").not_before(at))
        .unwrap();
    s.add("now", "t", "v");
    assert_eq!(s.core.stats().delayed, 1);
    assert_eq!(s.core.next_wakeup(), Some(at));
    assert_eq!(s.step().unwrap().2, "now");
    assert!(s.lease1().is_none());
    s.tick(1_000);
    assert_eq!(s.step().unwrap().2, "later");
}

#[test]
fn enqueue_is_idempotent_while_known_and_after_finishing() {
    let mut s = Sim::with(QueueSettings {
        tombstone_ttl_ms: 60_000,
        ..QueueSettings::default()
    });
    assert_eq!(s.add("j", "t", "u"), Enqueued::New);
    assert_eq!(s.add("j", "t", "u"), Enqueued::Duplicate);
    let l = s.lease1().unwrap();
    assert_eq!(s.add("j", "t", "u"), Enqueued::Duplicate);
    s.ack(&l);
    assert_eq!(s.add("j", "t", "u"), Enqueued::Duplicate);
    s.tick(60_000);
    assert_eq!(
        s.add("j", "t", "u"),
        Enqueued::New,
        "forgotten after the tombstone time"
    );
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let mut s = Sim::new();
    let err = s
        .core
        .enqueue(s.now, NewJob::new("has space", "t", "u", ""))
        .unwrap_err();
    assert!(matches!(err, CoreError::Invalid(m) if m.contains("job id")));
    assert!(s.core.set_tenant_weight("t", -1.0).is_err());
    s.add("j", "t", "u");
    let l = s.lease1().unwrap();
    assert!(
        s.core
            .ack(s.now, &Ack::of(&l).with_cost(f64::INFINITY))
            .is_err()
    );
    s.ack(&l);
}

#[test]
fn stats_count_per_tenant_and_user() {
    let mut s = Sim::new();
    s.flood("a", "t1", "alice", 3);
    s.flood("b", "t1", "bob", 1);
    s.flood("c", "t2", "carol", 2);
    let at = s.now + 10;
    s.core
        .enqueue(s.now, NewJob::new("d", "t2", "dave", "").not_before(at))
        .unwrap();
    let _leased = s.lease(2);
    let st = s.core.stats();
    assert_eq!((st.ready, st.in_flight, st.delayed, st.dead), (4, 2, 1, 0));
    assert_eq!(st.tenants.len(), 2);
    let t1 = &st.tenants[0];
    assert_eq!((t1.tenant.as_str(), t1.ready, t1.in_flight), ("t1", 3, 1));
    let alice = &t1.users[0];
    assert_eq!(
        (alice.user.as_str(), alice.ready, alice.in_flight),
        ("alice", 2, 1)
    );
    let t2 = &st.tenants[1];
    assert_eq!((t2.ready, t2.in_flight, t2.delayed), (1, 1, 1));
}

#[test]
fn cancel_drops_queued_jobs_but_not_leased_ones() {
    let mut s = Sim::new();
    s.flood("a", "t", "u", 4);
    let at = s.now + 10;
    s.core
        .enqueue(s.now, NewJob::new("d", "t", "u", "").not_before(at))
        .unwrap();
    let l = s.lease1().unwrap();
    assert_eq!(s.core.cancel_user(s.now, "t", "u"), 4);
    s.ack(&l);
    s.tick(10);
    assert!(s.lease1().is_none());
    assert_eq!(s.add("a2", "t", "u"), Enqueued::Duplicate);
}

#[test]
fn idle_flows_are_pruned() {
    let mut s = Sim::new();
    for u in 0..50 {
        s.add(&format!("j{u}"), &format!("t{}", u % 5), &format!("u{u}"));
    }
    let l = s.lease1().unwrap();
    while s.step().is_some() {}
    s.core.prune();
    assert!(s.core.flow_count() > 0, "a job in flight keeps its flows");
    s.ack(&l);
    s.core.prune();
    assert_eq!(s.core.flow_count(), 0);
}
