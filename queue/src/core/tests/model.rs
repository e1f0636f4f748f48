//! Pruning is invisible: a core that prunes after every step dispatches exactly like one that
//! never prunes, under random operations. This is what lets the Redis backend prune lazily.

use super::LEASE_MS;
use crate::core::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Enqueue { tenant: u8, user: u8 },
    Lease(u8),
    Ack { pick: u8, cost: Option<u8> },
    Nack { pick: u8, failed: bool, delay: u16 },
    TenantWeight { tenant: u8, w: u8 },
    UserWeight { tenant: u8, user: u8, w: u8 },
    Tick(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..4, 0u8..5).prop_map(|(tenant, user)| Op::Enqueue { tenant, user }),
        3 => (1u8..4).prop_map(Op::Lease),
        3 => (any::<u8>(), prop::option::of(0u8..5)).prop_map(|(pick, cost)| Op::Ack { pick, cost }),
        1 => (any::<u8>(), any::<bool>(), 0u16..3_000).prop_map(|(pick, failed, delay)| Op::Nack { pick, failed, delay }),
        1 => (0u8..4, 1u8..6).prop_map(|(tenant, w)| Op::TenantWeight { tenant, w }),
        1 => (0u8..4, 0u8..5, 1u8..6).prop_map(|(tenant, user, w)| Op::UserWeight { tenant, user, w }),
        1 => (0u16..40_000).prop_map(Op::Tick),
    ]
}

/// Runs ops on a core; returns the ids in dispatch order.
fn run(ops: &[Op], prune_always: bool) -> Vec<String> {
    let settings = QueueSettings {
        max_attempts: 3,
        ..QueueSettings::default()
    };
    let mut core = Core::new(settings);
    let mut now: Millis = 1_000;
    let mut held: Vec<Lease> = Vec::new();
    let mut order = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Enqueue { tenant, user } => {
                let job = NewJob::new(
                    format!("j{i}"),
                    format!("t{tenant}"),
                    format!("u{user}"),
                    "",
                );
                core.enqueue(now, job).unwrap();
            }
            Op::Lease(n) => {
                for l in core.lease(now, *n as usize, LEASE_MS) {
                    order.push(l.id.clone());
                    held.push(l);
                }
            }
            Op::Ack { pick, cost } if !held.is_empty() => {
                let l = held.remove(*pick as usize % held.len());
                let mut ack = Ack::of(&l);
                ack.cost = cost.map(f64::from);
                let _ = core.ack(now, &ack);
            }
            Op::Nack {
                pick,
                failed,
                delay,
            } if !held.is_empty() => {
                let l = held.remove(*pick as usize % held.len());
                let nack = Nack::Retry {
                    delay_ms: Millis::from(*delay),
                    failed: *failed,
                    error: "e".into(),
                };
                let _ = core.nack(now, &l.id, &l.token, nack);
            }
            Op::TenantWeight { tenant, w } => core
                .set_tenant_weight(&format!("t{tenant}"), f64::from(*w))
                .unwrap(),
            Op::UserWeight { tenant, user, w } => {
                core.set_user_weight(&format!("t{tenant}"), &format!("u{user}"), f64::from(*w))
                    .unwrap();
            }
            Op::Tick(ms) => now += Millis::from(*ms),
            Op::Ack { .. } | Op::Nack { .. } => {}
        }
        if prune_always {
            core.prune();
        }
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pruning_changes_no_dispatch(ops in prop::collection::vec(op(), 1..200)) {
        prop_assert_eq!(run(&ops, false), run(&ops, true));
    }
}
