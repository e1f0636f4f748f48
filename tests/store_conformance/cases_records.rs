//! Per-request usage records: every AI request kept with its kind, listed per user or tenant over
//! any time range, newest first, and pruned on age while the aggregates stay.

use switchboard::store::{UsageKind, UsageScope, day_of};

use crate::support::{Backend, DAY_MS, JAN_1_2025_MS as T0, usage, user};

pub async fn records_list_by_scope_and_range_newest_first(b: Backend) {
    let s = b.store.as_ref();
    let ann = user("acme", "telegram:ann");
    let bob = user("acme", "telegram:bob");
    let zed = user("zeta", "telegram:ann");
    let mut beat = usage(&ann, T0 + 10, 7, 3, 0.01);
    beat.kind = UsageKind::Heartbeat;
    beat.model = "gpt-small".into();
    for r in [
        usage(&ann, T0, 1, 1, 0.5),
        beat.clone(),
        usage(&bob, T0 + 5, 2, 2, 0.25),
        usage(&zed, T0 + 6, 3, 3, 0.125),
        usage(&ann, T0 + 2 * DAY_MS, 4, 4, 1.0),
    ] {
        s.record_usage(&r).await.unwrap();
    }

    let all = s
        .usage_records(UsageScope::User(&ann), 0, u64::MAX, 100)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.at_ms).collect::<Vec<_>>(),
        [T0 + 2 * DAY_MS, T0 + 10, T0]
    );
    assert_eq!(all[1], beat, "a record reads back exactly");

    let day_one = s
        .usage_records(UsageScope::User(&ann), T0, T0 + DAY_MS, 100)
        .await
        .unwrap();
    assert_eq!(day_one.len(), 2);
    let bounded = s
        .usage_records(UsageScope::User(&ann), T0, T0 + 10, 100)
        .await
        .unwrap();
    assert_eq!(bounded.len(), 1, "the end of the range is exclusive");

    let tenant = s
        .usage_records(UsageScope::Tenant("acme"), 0, u64::MAX, 3)
        .await
        .unwrap();
    assert_eq!(
        tenant
            .iter()
            .map(|r| (r.user.as_str(), r.at_ms))
            .collect::<Vec<_>>(),
        [
            ("telegram:ann", T0 + 2 * DAY_MS),
            ("telegram:ann", T0 + 10),
            ("telegram:bob", T0 + 5)
        ],
        "newest first, limited"
    );
    let zeta = s
        .usage_records(UsageScope::Tenant("zeta"), 0, u64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(zeta.len(), 1);
    assert_eq!(zeta[0].tenant, "zeta");
}

pub async fn pruning_records_keeps_the_aggregates(b: Backend) {
    let s = b.store.as_ref();
    let ann = user("acme", "telegram:ann");
    for i in 0..5 {
        s.record_usage(&usage(&ann, T0 + i * DAY_MS, 10, 1, 0.5))
            .await
            .unwrap();
    }
    assert_eq!(s.prune_usage_records(T0 + 3 * DAY_MS).await.unwrap(), 3);
    let left = s
        .usage_records(UsageScope::User(&ann), 0, u64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|r| r.at_ms >= T0 + 3 * DAY_MS));
    let totals = s
        .usage(UsageScope::User(&ann), day_of(T0), day_of(T0 + 4 * DAY_MS))
        .await
        .unwrap();
    assert_eq!(totals.requests, 5, "aggregates are not pruned");
    assert_eq!(s.prune_usage_records(T0 + 3 * DAY_MS).await.unwrap(), 0);
}
