//! Tests of [`super::WebhookPool`] with a fake clock: rate limits and 429s steer sends to other
//! webhooks, 10015 and 30007 are handled, creation is never doubled, and a property test that
//! random traffic never breaks the pool's promises.

use proptest::prelude::*;

use super::*;

fn hook(id: u64) -> Webhook {
    Webhook {
        id,
        token: format!("token-{id}"),
    }
}

fn pool(max: usize, ids: &[u64]) -> WebhookPool {
    let mut p = WebhookPool::new(max);
    for &id in ids {
        p.add(hook(id));
    }
    p
}

fn used(pick: &Pick) -> Option<u64> {
    match pick {
        Pick::Use { id, token } => {
            assert_eq!(*token, format!("token-{id}"));
            Some(*id)
        }
        _ => None,
    }
}

#[test]
fn a_webhook_blocked_by_a_429_for_5s_sends_everything_to_the_other() {
    let mut p = pool(2, &[1, 2]);
    p.observe(
        1,
        Headers {
            retry_after_ms: Some(5000),
            ..Headers::default()
        },
        0,
    );
    for now in [0, 1000, 2500, 4999] {
        assert_eq!(used(&p.pick(now)), Some(2), "at {now}");
    }
    // Once the block ends, webhook 1 (picked least recently) takes its turn again.
    assert_eq!(used(&p.pick(5000)), Some(1));
    assert_eq!(used(&p.pick(5000)), Some(2));
}

#[test]
fn an_exhausted_bucket_is_skipped_until_it_resets() {
    let mut p = pool(2, &[1, 2]);
    let empty = Headers {
        remaining: Some(0),
        reset_after_ms: Some(2000),
        retry_after_ms: None,
    };
    p.observe(1, empty, 100);
    assert_eq!(used(&p.pick(200)), Some(2));
    p.observe(2, empty, 300);
    // Both busy and the pool full: wait for the one free soonest.
    assert_eq!(p.pick(400), Pick::Wait { until_ms: 2100 });
    assert_eq!(used(&p.pick(2100)), Some(1));
}

#[test]
fn picks_count_against_a_known_bucket() {
    let mut p = pool(1, &[1]);
    p.observe(
        1,
        Headers {
            remaining: Some(2),
            reset_after_ms: Some(2000),
            retry_after_ms: None,
        },
        0,
    );
    assert_eq!(used(&p.pick(10)), Some(1));
    assert_eq!(used(&p.pick(10)), Some(1));
    // Two sends in flight used the two requests left.
    assert_eq!(p.pick(10), Pick::Wait { until_ms: 2000 });
    assert_eq!(used(&p.pick(2000)), Some(1));
}

#[test]
fn the_webhook_with_most_requests_left_goes_first() {
    let mut p = pool(3, &[1, 2, 3]);
    let left = |n| Headers {
        remaining: Some(n),
        reset_after_ms: Some(2000),
        retry_after_ms: None,
    };
    p.observe(1, left(1), 0);
    p.observe(2, left(4), 0);
    p.observe(3, left(3), 0);
    assert_eq!(used(&p.pick(0)), Some(2));
    // 2 now has 3 left, like 3; 3 was never picked.
    assert_eq!(used(&p.pick(0)), Some(3));
    assert_eq!(used(&p.pick(0)), Some(2));
}

#[test]
fn a_busy_pool_with_room_creates_one_at_a_time() {
    let mut p = WebhookPool::new(3);
    assert_eq!(p.pick(0), Pick::Create);
    assert!(p.creating(0));
    // A second caller waits for the creation instead of starting another.
    assert_eq!(
        p.pick(10),
        Pick::Wait {
            until_ms: 10 + CREATE_POLL_MS
        }
    );
    p.created(hook(1));
    assert!(!p.creating(20));
    assert_eq!(used(&p.pick(20)), Some(1));

    p.observe(
        1,
        Headers {
            retry_after_ms: Some(1000),
            ..Headers::default()
        },
        30,
    );
    assert_eq!(p.pick(40), Pick::Create);
    assert_eq!(
        p.pick(50),
        Pick::Wait {
            until_ms: 50 + CREATE_POLL_MS
        }
    );
    p.create_failed();
    assert_eq!(p.pick(60), Pick::Create);
}

#[test]
fn a_wait_during_creation_ends_when_a_webhook_frees_up() {
    let mut p = pool(2, &[1]);
    p.observe(
        1,
        Headers {
            retry_after_ms: Some(100),
            ..Headers::default()
        },
        0,
    );
    assert_eq!(p.pick(0), Pick::Create);
    assert_eq!(p.pick(0), Pick::Wait { until_ms: 100 });
    assert_eq!(used(&p.pick(100)), Some(1));
}

#[test]
fn an_abandoned_creation_stops_blocking() {
    let mut p = WebhookPool::new(2);
    assert_eq!(p.pick(0), Pick::Create);
    assert!(matches!(p.pick(CREATE_TIMEOUT_MS - 1), Pick::Wait { .. }));
    assert_eq!(p.pick(CREATE_TIMEOUT_MS), Pick::Create);
}

#[test]
fn max_is_respected_and_clamped() {
    let mut p = pool(2, &[1, 2]);
    for id in [1, 2] {
        p.observe(
            id,
            Headers {
                retry_after_ms: Some(500),
                ..Headers::default()
            },
            0,
        );
    }
    assert_eq!(p.pick(0), Pick::Wait { until_ms: 500 });
    assert_eq!(WebhookPool::new(0).max(), 1);
    assert_eq!(WebhookPool::new(100).max(), MAX_WEBHOOKS_PER_CHANNEL);
    // Webhooks found in the channel beyond max are still used, never created.
    let mut over = pool(1, &[1, 2, 3]);
    assert_eq!(over.len(), 3);
    for id in [1, 2, 3] {
        over.observe(
            id,
            Headers {
                retry_after_ms: Some(9),
                ..Headers::default()
            },
            0,
        );
    }
    assert_eq!(over.pick(0), Pick::Wait { until_ms: 9 });
}

#[test]
fn a_webhook_removed_after_10015_is_replaced() {
    let mut p = pool(1, &[1]);
    assert_eq!(used(&p.pick(0)), Some(1));
    assert!(p.remove(1));
    assert!(!p.remove(1));
    assert!(!p.contains(1) && p.is_empty());
    assert_eq!(p.pick(1), Pick::Create);
    p.created(hook(7));
    assert_eq!(used(&p.pick(2)), Some(7));
}

#[test]
fn after_30007_the_pool_uses_what_it_has_or_falls_back() {
    let mut p = WebhookPool::new(5);
    assert_eq!(p.pick(0), Pick::Create);
    p.mark_no_room();
    assert!(p.is_full_at_discord() && !p.creating(0));
    assert_eq!(p.pick(0), Pick::Fallback);
    assert_eq!(p.pick(60_000), Pick::Fallback);

    let mut p = pool(5, &[1]);
    p.mark_no_room();
    assert_eq!(used(&p.pick(0)), Some(1));
    p.observe(
        1,
        Headers {
            retry_after_ms: Some(300),
            ..Headers::default()
        },
        0,
    );
    // Busy, with room below max, yet no creation: the channel is full at Discord.
    assert_eq!(p.pick(0), Pick::Wait { until_ms: 300 });
    p.remove(1);
    assert_eq!(p.pick(0), Pick::Fallback);
}

#[test]
fn adding_a_known_webhook_updates_its_token_and_keeps_its_bucket() {
    let mut p = pool(2, &[1]);
    p.observe(
        1,
        Headers {
            retry_after_ms: Some(100),
            ..Headers::default()
        },
        0,
    );
    p.add(Webhook {
        id: 1,
        token: "new".into(),
    });
    assert_eq!(p.len(), 1);
    assert_eq!(p.pick(0), Pick::Create);
    assert_eq!(
        p.pick(100),
        Pick::Use {
            id: 1,
            token: "new".into()
        }
    );
    // Answers from webhooks the pool does not hold change nothing.
    p.observe(
        9,
        Headers {
            retry_after_ms: Some(100),
            ..Headers::default()
        },
        0,
    );
    assert!(!p.contains(9));
}

#[test]
fn tokens_stay_out_of_debug_output() {
    let p = pool(1, &[1]);
    let shown = format!(
        "{p:?} {:?} {:?}",
        hook(1),
        Pick::Use {
            id: 1,
            token: "token-1".into()
        }
    );
    assert!(!shown.contains("token-1"), "{shown}");
    assert!(shown.contains("Use(1)"));
}

#[test]
fn header_values_are_read_as_milliseconds() {
    assert_eq!(seconds_to_ms("1"), Some(1000));
    assert_eq!(seconds_to_ms("0.5"), Some(500));
    assert_eq!(seconds_to_ms(" 1.234 "), Some(1234));
    assert_eq!(seconds_to_ms("1.2341"), Some(1235));
    assert_eq!(seconds_to_ms("1.2340000"), Some(1234));
    assert_eq!(seconds_to_ms("0.0001"), Some(1));
    for bad in [
        "", ".5", "1.", "-1", "+1", "1e3", "NaN", "inf", "1.2.3", "x",
    ] {
        assert_eq!(seconds_to_ms(bad), None, "{bad:?}");
    }
    assert_eq!(
        Headers::from_raw(Some("4"), Some("1.5"), None),
        Headers {
            remaining: Some(4),
            reset_after_ms: Some(1500),
            retry_after_ms: None
        }
    );
    assert_eq!(
        Headers::from_raw(Some("many"), Some("soon"), Some("0.25")),
        Headers {
            remaining: None,
            reset_after_ms: None,
            retry_after_ms: Some(250)
        }
    );
}

/// One step of random traffic.
#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    Pick,
    Observe { which: usize, headers: Headers },
    Remove(usize),
    Add(u64),
    CreateDone(bool),
    NoRoom,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..3000).prop_map(Op::Advance),
        6 => Just(Op::Pick),
        3 =>         (
            0usize..20,
            prop::option::of(0u32..6),
            prop::option::of(0u64..3000),
            prop::option::of(0u64..6000),
        )
            .prop_map(
                |(which, remaining, reset_after_ms, retry_after_ms)| Op::Observe {
                    which,
                    headers: Headers {
                        remaining,
                        reset_after_ms,
                        retry_after_ms
                    },
                }
            ),
        1 => (0usize..20).prop_map(Op::Remove),
        1 => (100u64..120).prop_map(Op::Add),
        2 => any::<bool>().prop_map(Op::CreateDone),
        1 => Just(Op::NoRoom),
    ]
}

proptest! {
    #[test]
    fn random_traffic_keeps_the_promises(max in 1usize..5, ops in prop::collection::vec(op(), 0..80)) {
        let mut p = WebhookPool::new(max);
        let mut now = 0u64;
        let mut next_id = 1u64;
        // Our own record of each webhook's 429 block, to check picks against.
        let mut blocked: std::collections::HashMap<u64, u64> = Default::default();
        let mut create_open = false;
        for op in ops {
            match op {
                Op::Advance(ms) => now += ms,
                Op::Pick => match p.pick(now) {
                    Pick::Use { id, .. } => {
                        prop_assert!(p.contains(id));
                        prop_assert!(blocked.get(&id).is_none_or(|&until| until <= now));
                    }
                    Pick::Wait { until_ms } => {
                        prop_assert!(p.slots.iter().all(|s| s.free_at(now) > now));
                        prop_assert!(until_ms > now);
                        prop_assert!(until_ms <= now + 6000);
                    }
                    Pick::Create => {
                        prop_assert!(!create_open, "a second creation while one is open");
                        prop_assert!(p.slots.iter().all(|s| s.free_at(now) > now));
                        prop_assert!(p.len() < p.max() && !p.is_full_at_discord());
                        create_open = true;
                    }
                    Pick::Fallback => {
                        prop_assert!(p.is_empty() && p.is_full_at_discord());
                    }
                },
                Op::Observe { which, headers } => {
                    let ids: Vec<u64> = p.slots.iter().map(|s| s.hook.id).collect();
                    if let Some(&id) = ids.get(which % ids.len().max(1)) {
                        p.observe(id, headers, now);
                        if let Some(retry) = headers.retry_after_ms {
                            let until = blocked.entry(id).or_default();
                            *until = (*until).max(now + retry);
                        }
                    }
                }
                Op::Remove(which) => {
                    let ids: Vec<u64> = p.slots.iter().map(|s| s.hook.id).collect();
                    if let Some(&id) = ids.get(which % ids.len().max(1)) {
                        prop_assert!(p.remove(id));
                        blocked.remove(&id);
                    }
                }
                Op::Add(id) => p.add(hook(id)),
                Op::CreateDone(ok) if create_open => {
                    create_open = false;
                    if ok {
                        p.created(hook(next_id));
                        next_id += 1;
                    } else {
                        p.create_failed();
                    }
                }
                Op::CreateDone(_) => {}
                Op::NoRoom if create_open => {
                    create_open = false;
                    p.mark_no_room();
                }
                Op::NoRoom => {}
            }
            // The model's open creation times out like the pool's does.
            if create_open && !p.creating(now) {
                create_open = false;
            }
        }
    }
}
