//! Usage: per-day and per-month aggregates for users and tenants, ranges across month
//! boundaries, and the per-user report.

use switchboard::store::{StoreError, UsageScope, UsageTotals, day_of};

use crate::support::{Backend, DAY_MS, JAN_1_2025_MS as JAN_1, assert_cost, usage, user};

fn check(got: &UsageTotals, requests: u64, input: u64, output: u64, cost: f64) {
    assert_eq!(
        (got.requests, got.input_tokens, got.output_tokens),
        (requests, input, output),
        "{got:?}"
    );
    assert_cost(got.cost_usd, cost);
}

pub async fn aggregates_per_day_and_month_for_user_and_tenant(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let bob = user("acme", "telegram:2");
    let carol = user("beta", "telegram:3");
    let jan_30 = JAN_1 + 29 * DAY_MS;
    let feb_1 = JAN_1 + 31 * DAY_MS;
    let dec_20 = JAN_1 - 12 * DAY_MS;
    let mar_3 = JAN_1 + (31 + 28 + 2) * DAY_MS;
    for rec in [
        usage(&alice, jan_30 + 1_000, 100, 10, 0.01),
        usage(&alice, jan_30 + 86_399_999, 200, 20, 0.02), // last ms of Jan 30
        usage(&alice, jan_30 + DAY_MS, 300, 30, 0.03),     // Jan 31
        usage(&alice, feb_1, 400, 40, 0.04),               // first ms of Feb 1
        usage(&alice, dec_20, 1, 1, 0.5),
        usage(&alice, mar_3, 2, 2, 0.25),
        usage(&bob, feb_1 + 5_000, 1_000, 100, 1.0),
        usage(&carol, feb_1, 7, 7, 7.0),
    ] {
        s.record_usage(&rec).await.unwrap();
    }
    let (d_jan_1, d_jan_30, d_feb_1) = (day_of(JAN_1), day_of(jan_30), day_of(feb_1));
    let d_jan_31 = d_jan_30 + 1;
    let d_feb_28 = d_feb_1 + 27;
    let a = UsageScope::User(&alice);

    check(
        &s.usage(a, d_jan_30, d_jan_30).await.unwrap(),
        2,
        300,
        30,
        0.03,
    );
    // Across the month boundary (loose days on both sides).
    check(
        &s.usage(a, d_jan_31, d_feb_1).await.unwrap(),
        2,
        700,
        70,
        0.07,
    );
    // Whole January (read from the month aggregate).
    check(
        &s.usage(a, d_jan_1, d_jan_31).await.unwrap(),
        3,
        600,
        60,
        0.06,
    );
    // Whole January and February.
    check(
        &s.usage(a, d_jan_1, d_feb_28).await.unwrap(),
        4,
        1_000,
        100,
        0.10,
    );
    // Mid-December to mid-March: loose days, two whole months, loose days.
    let all = s
        .usage(a, day_of(dec_20) - 5, day_of(mar_3) + 10)
        .await
        .unwrap();
    check(&all, 6, 1_003, 103, 0.85);
    // Outside every record, and an empty range.
    check(
        &s.usage(a, d_feb_1 + 1, d_feb_28).await.unwrap(),
        0,
        0,
        0,
        0.0,
    );
    check(&s.usage(a, d_feb_1, d_jan_1).await.unwrap(), 0, 0, 0, 0.0);

    let acme = UsageScope::Tenant("acme");
    check(
        &s.usage(acme, d_feb_1, d_feb_1).await.unwrap(),
        2,
        1_400,
        140,
        1.04,
    );
    check(
        &s.usage(acme, d_jan_1, d_feb_28).await.unwrap(),
        5,
        2_000,
        200,
        1.10,
    );
    check(
        &s.usage(acme, d_jan_31, d_feb_1).await.unwrap(),
        3,
        1_700,
        170,
        1.07,
    );
    check(
        &s.usage(UsageScope::Tenant("beta"), d_jan_1, d_feb_28)
            .await
            .unwrap(),
        1,
        7,
        7,
        7.0,
    );
    check(
        &s.usage(UsageScope::Tenant("nobody"), d_jan_1, d_feb_28)
            .await
            .unwrap(),
        0,
        0,
        0,
        0.0,
    );
    check(
        &s.usage(UsageScope::User(&bob), d_jan_1, d_jan_31)
            .await
            .unwrap(),
        0,
        0,
        0,
        0.0,
    );
}

pub async fn usage_by_user_orders_by_cost_and_filters_by_tenant(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    let bob = user("acme", "telegram:2");
    let carol = user("beta", "telegram:3");
    let dave = user("acme", "telegram:4");
    let jan_31 = JAN_1 + 30 * DAY_MS;
    let feb_1 = jan_31 + DAY_MS;
    for rec in [
        usage(&alice, jan_31, 10, 1, 0.25),
        usage(&alice, feb_1, 10, 1, 0.25),
        usage(&bob, feb_1, 50, 5, 1.25),
        usage(&carol, jan_31, 30, 3, 0.75),
        // Outside the range asked for below.
        usage(&dave, feb_1 + 2 * DAY_MS, 99, 9, 9.0),
    ] {
        s.record_usage(&rec).await.unwrap();
    }
    let (from, to) = (day_of(jan_31), day_of(feb_1));

    let all = s.usage_by_user(None, from, to).await.unwrap();
    let order: Vec<&str> = all.iter().map(|(k, _)| k.user.as_str()).collect();
    assert_eq!(order, ["telegram:2", "telegram:3", "telegram:1"]);
    assert_eq!(all[0].0, bob);
    check(&all[2].1, 2, 20, 2, 0.5);
    check(&all[1].1, 1, 30, 3, 0.75);

    let acme = s.usage_by_user(Some("acme"), from, to).await.unwrap();
    assert_eq!(
        acme.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        [bob.clone(), alice.clone()]
    );
    // A wider range brings dave in, at the top.
    let wide = s.usage_by_user(Some("acme"), from, to + 5).await.unwrap();
    assert_eq!(wide[0].0, dave);
    assert_eq!(wide.len(), 3);
    assert!(
        s.usage_by_user(Some("nobody"), from, to)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.usage_by_user(None, to, from).await.unwrap().is_empty());
}

pub async fn concurrent_records_all_count(b: Backend) {
    let s = b.store.clone();
    let users: Vec<_> = (0..10)
        .map(|i| user("acme", &format!("telegram:{i}")))
        .collect();
    // 1,000 records from 50 tasks at once: none lost, none counted twice.
    let tasks: Vec<_> = (0..50u64)
        .map(|t| {
            let (s, users) = (s.clone(), users.clone());
            tokio::spawn(async move {
                for i in 0..20u64 {
                    let who = &users[((t + i) % 10) as usize];
                    s.record_usage(&usage(who, JAN_1 + t * 1_000 + i, 3, 1, 0.125))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let d = day_of(JAN_1);
    check(
        &s.usage(UsageScope::Tenant("acme"), d, d).await.unwrap(),
        1_000,
        3_000,
        1_000,
        125.0,
    );
    let per_user = s.usage_by_user(Some("acme"), d, d).await.unwrap();
    assert_eq!(per_user.len(), 10);
    for (k, t) in per_user {
        check(&t, 100, 300, 100, 12.5);
        check(
            &s.usage(UsageScope::User(&k), d, d).await.unwrap(),
            100,
            300,
            100,
            12.5,
        );
    }
}

pub async fn bad_usage_is_refused(b: Backend) {
    let s = &b.store;
    let alice = user("acme", "telegram:1");
    for cost in [f64::NAN, f64::INFINITY, -0.5] {
        let err = s
            .record_usage(&usage(&alice, JAN_1, 1, 1, cost))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
    let err = s
        .record_usage(&usage(&user("", "x"), JAN_1, 1, 1, 0.1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let err = s
        .usage(UsageScope::User(&alice), 0, 1_000_000)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let d = day_of(JAN_1);
    check(
        &s.usage(UsageScope::User(&alice), d, d).await.unwrap(),
        0,
        0,
        0,
        0.0,
    );
}
