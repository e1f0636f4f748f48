//! Leases, retries, dead letters, idempotency, delays, input checks.

use switchboard_queue::QueueError;
use switchboard_queue::core::{Ack, Enqueued, Nack, NackOutcome, NewJob, QueueSettings};

use crate::support::{Backend, LEASE_MS};

pub async fn lease_token_deadline_and_stale_acks(b: Backend) {
    b.add("j", "t", "u").await;
    let l = b.lease1().await.unwrap();
    assert_eq!(
        (l.attempt, l.deadline, l.payload.as_ref()),
        (1, 1_000_000 + LEASE_MS, b"j".as_ref())
    );
    let mut forged = Ack::of(&l);
    forged.token.push('x');
    assert!(matches!(
        b.q.ack(&forged).await,
        Err(QueueError::StaleLease)
    ));
    b.ack(&l).await;
    assert!(matches!(
        b.q.ack(&Ack::of(&l)).await,
        Err(QueueError::StaleLease)
    ));
    assert!(matches!(
        b.q.fail(&l, "x").await,
        Err(QueueError::StaleLease)
    ));
    assert!(matches!(
        b.q.extend(&l, LEASE_MS).await,
        Err(QueueError::StaleLease)
    ));
}

pub async fn expired_leases_are_redelivered_with_a_new_token(b: Backend) {
    b.add("j", "t", "u").await;
    let first = b.lease1().await.unwrap();
    b.clock.advance(LEASE_MS - 1);
    assert!(b.lease1().await.is_none());
    b.clock.advance(1);
    let second = b.lease1().await.unwrap();
    assert_eq!((second.id.as_str(), second.attempt), ("j", 2));
    assert_ne!(second.token, first.token);
    assert!(matches!(
        b.q.ack(&Ack::of(&first)).await,
        Err(QueueError::StaleLease)
    ));
    b.ack(&second).await;
}

pub async fn extend_keeps_a_lease_alive(b: Backend) {
    b.add("j", "t", "u").await;
    let l = b.lease1().await.unwrap();
    b.clock.advance(LEASE_MS - 10);
    let d = b.q.extend(&l, LEASE_MS).await.unwrap();
    assert_eq!(d, 1_000_000 + 2 * LEASE_MS - 10);
    b.clock.advance(20);
    assert!(b.lease1().await.is_none());
    b.ack(&l).await;
}

pub async fn failures_back_off_then_dead_letter_and_requeue(b: Backend) {
    let b = b
        .with(
            "backoff",
            QueueSettings {
                max_attempts: 3,
                ..QueueSettings::default()
            },
        )
        .await;
    b.add("j", "t", "u").await;
    b.add("k", "t", "u").await;
    let backoff = b.q.settings().backoff.clone();
    for attempt in 1..=3u32 {
        let l = b.lease1().await.unwrap();
        assert_eq!((l.id.as_str(), l.attempt), ("j", attempt));
        match b.q.fail(&l, "provider said no").await.unwrap() {
            NackOutcome::RetryAt(at) => {
                let delay = at - (1_000_000 + u64::from(attempt - 1) * 1_000_000);
                let nominal = backoff.nominal_ms(attempt);
                assert!(
                    attempt < 3 && (nominal / 2..=nominal).contains(&delay),
                    "attempt {attempt}: {delay}"
                );
            }
            NackOutcome::DeadLettered => assert_eq!(attempt, 3),
        }
        b.clock.advance(1_000_000);
    }
    let dead = b.q.dead_letters(0, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (
            dead[0].id.as_str(),
            dead[0].attempts,
            dead[0].error.as_str()
        ),
        ("j", 3, "provider said no")
    );
    assert_eq!(dead[0].payload.as_ref(), b"j");
    let k = b.lease1().await.unwrap();
    assert_eq!(k.id, "k", "the dead job released its user's slot");
    b.ack(&k).await;
    b.q.requeue_dead("j").await.unwrap();
    let j = b.lease1().await.unwrap();
    assert_eq!((j.id.as_str(), j.attempt), ("j", 1));
    assert!(matches!(
        b.q.requeue_dead("j").await,
        Err(QueueError::NotFound)
    ));
}

pub async fn a_retry_keeps_its_place_and_a_postponement_costs_no_attempt(b: Backend) {
    b.add("first", "t", "u").await;
    b.add("second", "t", "u").await;
    let l = b.lease1().await.unwrap();
    let postpone = Nack::Retry {
        delay_ms: 5_000,
        failed: false,
        error: "breaker open".into(),
    };
    assert_eq!(
        b.q.nack(&l, postpone).await.unwrap(),
        NackOutcome::RetryAt(1_005_000)
    );
    assert!(b.lease1().await.is_none(), "second must not overtake first");
    b.clock.advance(5_000);
    let again = b.lease1().await.unwrap();
    assert_eq!((again.id.as_str(), again.attempt), ("first", 1));
    b.ack(&again).await;
    assert_eq!(b.lease1().await.unwrap().id, "second");
}

pub async fn enqueue_is_idempotent(b: Backend) {
    let job = NewJob::new("tg:1:1000", "t", "u", "hello");
    assert_eq!(b.q.enqueue(job.clone()).await.unwrap(), Enqueued::New);
    assert_eq!(b.q.enqueue(job.clone()).await.unwrap(), Enqueued::Duplicate);
    let l = b.lease1().await.unwrap();
    assert_eq!(b.q.enqueue(job.clone()).await.unwrap(), Enqueued::Duplicate);
    b.ack(&l).await;
    assert_eq!(
        b.q.enqueue(job.clone()).await.unwrap(),
        Enqueued::Duplicate,
        "redelivery after the reply"
    );
    let many =
        b.q.enqueue_many(vec![job, NewJob::new("tg:1:1001", "t", "u", "")])
            .await
            .unwrap();
    assert_eq!(many, [Enqueued::Duplicate, Enqueued::New]);
    assert_eq!(b.q.stats().await.unwrap().ready, 1);
}

pub async fn delayed_jobs_wait_for_their_time(b: Backend) {
    b.q.enqueue(NewJob::new("later", "t", "u", "x").not_before(1_001_000))
        .await
        .unwrap();
    b.add("now", "t", "v").await;
    assert_eq!(b.q.stats().await.unwrap().delayed, 1);
    assert_eq!(b.drain_steps(5).await.len(), 1);
    b.clock.advance(1_000);
    let l = b.lease1().await.unwrap();
    assert_eq!(l.id, "later");
}

pub async fn bad_input_is_refused(b: Backend) {
    let err =
        b.q.enqueue(NewJob::new("has space", "t", "u", ""))
            .await
            .unwrap_err();
    assert!(matches!(err, QueueError::Invalid(m) if m.contains("job id")));
    assert!(matches!(
        b.q.enqueue(NewJob::new("id", "t\n", "u", "")).await,
        Err(QueueError::Invalid(_))
    ));
    assert!(matches!(
        b.q.set_tenant_weight("t", 0.0).await,
        Err(QueueError::Invalid(_))
    ));
    assert!(matches!(
        b.q.set_user_cap("t", "u", Some(0)).await,
        Err(QueueError::Invalid(_))
    ));
    b.add("j", "t", "u").await;
    let l = b.lease1().await.unwrap();
    assert!(matches!(
        b.q.ack(&Ack::of(&l).with_cost(f64::NAN)).await,
        Err(QueueError::Invalid(_))
    ));
    b.ack(&l).await;
    // Odd but valid Unicode names and binary payloads go through untouched.
    let job = NewJob::new("u1", "名前 🦀", "ü\u{200d}", vec![0u8, 10, 255, 13]);
    b.q.enqueue(job).await.unwrap();
    let l = b.lease1().await.unwrap();
    assert_eq!(
        (l.tenant.as_str(), l.user.as_str(), l.payload.as_ref()),
        ("名前 🦀", "ü\u{200d}", &[0u8, 10, 255, 13][..])
    );
}
