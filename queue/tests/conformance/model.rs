//! Model-based test: random sequences of enqueue / lease / ack / nack / weight and cap changes /
//! cancel / maintenance / time run on `RedisQueue` and on the pure core, which must agree on every
//! dispatch, every ack and nack outcome, and the final statistics.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use switchboard_queue::core::{Ack, Core, Lease, Millis, Nack, NewJob, QueueSettings};
use switchboard_queue::{ManualClock, Queue, QueueError, RedisQueue, RedisQueueConfig};

use crate::support::{LEASE_MS, redis_or_skip, redis_url};

#[derive(Clone, Debug)]
enum Op {
    Enqueue {
        tenant: u8,
        user: u8,
        delay: Option<u16>,
    },
    Lease(u8),
    Ack {
        pick: u8,
        cost: Option<u8>,
    },
    Nack {
        pick: u8,
        failed: bool,
        dead: bool,
        delay: u16,
    },
    TenantWeight {
        tenant: u8,
        w: u8,
    },
    UserWeight {
        tenant: u8,
        user: u8,
        w: u8,
    },
    TenantCap {
        tenant: u8,
        cap: Option<u8>,
    },
    UserCap {
        tenant: u8,
        user: u8,
        cap: Option<u8>,
    },
    Cancel {
        tenant: u8,
        user: u8,
    },
    Position {
        tenant: u8,
        user: u8,
    },
    Maintain,
    Tick(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, 0u8..5, prop::option::weighted(0.1, 1u16..5_000))
            .prop_map(|(tenant, user, delay)| Op::Enqueue { tenant, user, delay }),
        4 => (1u8..5).prop_map(Op::Lease),
        4 => (any::<u8>(), prop::option::of(0u8..5)).prop_map(|(pick, cost)| Op::Ack { pick, cost }),
        1 => (any::<u8>(), any::<bool>(), prop::bool::weighted(0.2), 0u16..3_000)
            .prop_map(|(pick, failed, dead, delay)| Op::Nack { pick, failed, dead, delay }),
        1 => (0u8..4, 1u8..6).prop_map(|(tenant, w)| Op::TenantWeight { tenant, w }),
        1 => (0u8..4, 0u8..5, 1u8..6).prop_map(|(tenant, user, w)| Op::UserWeight { tenant, user, w }),
        1 => (0u8..4, prop::option::of(0u8..3)).prop_map(|(tenant, cap)| Op::TenantCap { tenant, cap }),
        1 => (0u8..4, 0u8..5, prop::option::of(1u8..3)).prop_map(|(tenant, user, cap)| Op::UserCap { tenant, user, cap }),
        1 => (0u8..4, 0u8..5).prop_map(|(tenant, user)| Op::Cancel { tenant, user }),
        1 => (0u8..4, 0u8..5).prop_map(|(tenant, user)| Op::Position { tenant, user }),
        1 => Just(Op::Maintain),
        2 => (0u16..40_000).prop_map(Op::Tick),
    ]
}

fn settings() -> QueueSettings {
    QueueSettings {
        max_attempts: 3,
        ..QueueSettings::default()
    }
}

async fn check(ops: Vec<Op>, url: String) -> Result<(), TestCaseError> {
    let clock = ManualClock::new(1_000_000);
    let ns = format!("model-{:08x}", rand::random::<u32>());
    let cfg = RedisQueueConfig::new(url, ns.clone());
    let q = RedisQueue::connect_with_clock(cfg, settings(), Arc::new(clock.clone()))
        .await
        .unwrap();
    let mut core = Core::new(settings());
    let mut held: Vec<(Lease, Lease)> = Vec::new();
    let t = |i: &u8| format!("t{i}");
    let u = |i: &u8| format!("u{i}");
    for (i, op) in ops.iter().enumerate() {
        let now = clock.now_ms();
        match op {
            Op::Enqueue {
                tenant,
                user,
                delay,
            } => {
                let mut job = NewJob::new(format!("j{i}"), t(tenant), u(user), format!("p{i}"));
                if let Some(d) = delay {
                    job = job.not_before(now + Millis::from(*d));
                }
                let a = core.enqueue(now, job.clone()).unwrap();
                let b = q.enqueue(job).await.unwrap();
                prop_assert_eq!(a, b, "enqueue {}", i);
            }
            Op::Lease(n) => {
                let a = core.lease(now, usize::from(*n), LEASE_MS);
                let b = q
                    .lease(usize::from(*n), LEASE_MS, Duration::ZERO)
                    .await
                    .unwrap();
                let ids = |v: &[Lease]| {
                    v.iter()
                        .map(|l| (l.id.clone(), l.attempt, l.deadline))
                        .collect::<Vec<_>>()
                };
                prop_assert_eq!(ids(&a), ids(&b), "lease at op {}", i);
                held.extend(a.into_iter().zip(b));
            }
            Op::Ack { pick, cost } if !held.is_empty() => {
                let (a, b) = held.remove(usize::from(*pick) % held.len());
                let with = |l: &Lease| Ack {
                    cost: cost.map(f64::from),
                    ..Ack::of(l)
                };
                let ra = core.ack(now, &with(&a)).is_ok();
                let rb = q.ack(&with(&b)).await;
                prop_assert_eq!(ra, rb.is_ok(), "ack at op {}: {:?}", i, rb);
            }
            Op::Nack {
                pick,
                failed,
                dead,
                delay,
            } if !held.is_empty() => {
                let (a, b) = held.remove(usize::from(*pick) % held.len());
                let nack = if *dead {
                    Nack::DeadLetter {
                        error: "dead".into(),
                    }
                } else {
                    Nack::Retry {
                        delay_ms: Millis::from(*delay),
                        failed: *failed,
                        error: "e".into(),
                    }
                };
                let ra = core
                    .nack(now, &a.id, &a.token, nack.clone())
                    .map_err(|e| e.to_string());
                let rb = q.nack(&b, nack).await.map_err(|e| match e {
                    QueueError::StaleLease => {
                        "the lease is no longer held (expired, reclaimed, or already finished)"
                            .to_string()
                    }
                    other => other.to_string(),
                });
                prop_assert_eq!(ra, rb, "nack at op {}", i);
            }
            Op::TenantWeight { tenant, w } => {
                core.set_tenant_weight(&t(tenant), f64::from(*w)).unwrap();
                q.set_tenant_weight(&t(tenant), f64::from(*w))
                    .await
                    .unwrap();
            }
            Op::UserWeight { tenant, user, w } => {
                core.set_user_weight(&t(tenant), &u(user), f64::from(*w))
                    .unwrap();
                q.set_user_weight(&t(tenant), &u(user), f64::from(*w))
                    .await
                    .unwrap();
            }
            Op::TenantCap { tenant, cap } => {
                let cap = cap.map(u32::from);
                core.set_tenant_cap(&t(tenant), cap).unwrap();
                q.set_tenant_cap(&t(tenant), cap).await.unwrap();
            }
            Op::UserCap { tenant, user, cap } => {
                let cap = cap.map(u32::from);
                core.set_user_cap(&t(tenant), &u(user), cap).unwrap();
                q.set_user_cap(&t(tenant), &u(user), cap).await.unwrap();
            }
            Op::Cancel { tenant, user } => {
                let a = core.cancel_user(now, &t(tenant), &u(user));
                let b = q.cancel_user(&t(tenant), &u(user)).await.unwrap();
                prop_assert_eq!(a, b, "cancel at op {}", i);
            }
            Op::Position { tenant, user } => {
                let a = core.position(&t(tenant), &u(user));
                let b = q.position(&t(tenant), &u(user)).await.unwrap();
                prop_assert_eq!(a, b, "position at op {}", i);
            }
            Op::Maintain => {
                let reclaimed = core.reclaim_expired(now);
                let released = core.release_due(now);
                core.prune();
                let m = q.maintain().await.unwrap();
                prop_assert_eq!(
                    (reclaimed, released),
                    (m.reclaimed, m.released),
                    "maintain at op {}",
                    i
                );
            }
            Op::Tick(ms) => clock.advance(Millis::from(*ms)),
            Op::Ack { .. } | Op::Nack { .. } => {}
        }
    }
    prop_assert_eq!(core.stats(), q.stats().await.unwrap(), "final stats");
    prop_assert_eq!(
        core.dead_letters(0, 1_000),
        q.dead_letters(0, 1_000).await.unwrap(),
        "dead letters"
    );
    // Everything left drains in the same order.
    let now = clock.now_ms() + 10 * LEASE_MS;
    clock.set(now);
    loop {
        let a = core.lease(now, 3, LEASE_MS);
        let b = q.lease(3, LEASE_MS, Duration::ZERO).await.unwrap();
        let ids = |v: &[Lease]| v.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&a), ids(&b), "drain");
        if a.is_empty() {
            break;
        }
        for (x, y) in a.iter().zip(&b) {
            core.ack(now, &Ack::of(x)).unwrap();
            q.ack(&Ack::of(y)).await.unwrap();
        }
    }
    let mut c = redis::Client::open(redis_url().as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{sb:{ns}:*"))
        .query_async(&mut c)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut c)
            .await
            .unwrap();
    }
    Ok(())
}

trait NowMs {
    fn now_ms(&self) -> Millis;
}

impl NowMs for ManualClock {
    fn now_ms(&self) -> Millis {
        switchboard_queue::Clock::now(self)
    }
}

#[test]
fn redis_dispatches_exactly_like_the_core() {
    if redis_or_skip("redis_dispatches_exactly_like_the_core").is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cases = std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
    let result = runner.run(&prop::collection::vec(op(), 1..160), |ops| {
        rt.block_on(check(ops, redis_url()))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
