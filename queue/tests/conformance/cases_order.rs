//! Dispatch order: FIFO per user, alternation, weights, the light-job bound, caps, cost.

use std::time::Duration;

use switchboard_queue::core::{Ack, QueueSettings};
use switchboard_queue::scenario::{
    FloodPlan, burst_positions, check_burst, light_bound, weighted_fairness,
};

use crate::support::{Backend, LEASE_MS};

pub async fn one_user_is_fifo_and_flows_alternate(b: Backend) {
    b.flood("a", "t1", "alice", 3).await;
    b.flood("b", "t1", "bob", 3).await;
    b.flood("c", "t2", "carol", 3).await;
    let order: Vec<String> = b.drain_steps(100).await.into_iter().map(|l| l.id).collect();
    assert_eq!(
        order,
        ["a0", "c0", "b0", "c1", "a1", "c2", "b1", "a2", "b2"]
    );
}

pub async fn weights_3_2_1_share_within_2_percent(b: Backend) {
    for (t, w) in [("a", 3.0), ("b", 2.0), ("c", 1.0)] {
        b.q.set_tenant_weight(t, w).await.unwrap();
        b.flood(t, t, "u", 6_000).await;
    }
    let mut counts = [0u64; 3];
    for l in b.drain_steps(6_000).await {
        counts[(l.tenant.as_bytes()[0] - b'a') as usize] += 1;
    }
    let (dev, jain) = weighted_fairness(&counts, &[3.0, 2.0, 1.0]);
    assert!(dev <= 0.02, "{counts:?} deviates {dev}");
    assert!(jain >= 0.99, "Jain {jain}");
}

pub async fn user_weights_and_weight_changes_apply_at_next_dispatch(b: Backend) {
    b.q.set_user_weight("t", "heavy", 4.0).await.unwrap();
    b.flood("h", "t", "heavy", 600).await;
    b.flood("l", "t", "light", 600).await;
    let heavy = b
        .drain_steps(500)
        .await
        .iter()
        .filter(|l| l.user == "heavy")
        .count();
    assert_eq!(heavy, 400);
    b.q.set_user_weight("t", "heavy", 1.0).await.unwrap();
    let heavy = b
        .drain_steps(200)
        .await
        .iter()
        .filter(|l| l.user == "heavy")
        .count();
    assert!((99..=101).contains(&heavy), "{heavy}");
}

pub async fn flood_then_burst_of_light_users_meets_the_bound(b: Backend) {
    let plan = FloodPlan::standard(10_000);
    let flood: Vec<_> = (0..plan.flood_jobs).map(|i| plan.flood_job(i)).collect();
    for chunk in flood.chunks(1_000) {
        b.q.enqueue_many(chunk.to_vec()).await.unwrap();
    }
    b.drain_steps(25).await;
    let light: Vec<_> = (0..plan.light.len()).map(|i| plan.light_job(i)).collect();
    b.q.enqueue_many(light).await.unwrap();
    let ids: Vec<String> = b.drain_steps(300).await.into_iter().map(|l| l.id).collect();
    let pos = burst_positions(&plan, &ids).expect("every light job dispatched");
    let (worst_pos, worst_flood) = check_burst(&plan, &pos).unwrap();
    // FIFO would put them at 9,976..10,075; here they are the next 100 (plus the flood's turn).
    assert!(
        worst_pos <= 101 && worst_flood <= 1,
        "worst position {worst_pos}, flood ahead {worst_flood}"
    );
}

pub async fn light_users_trickling_in_behind_a_flood_meet_the_bound(b: Backend) {
    let plan = FloodPlan::standard(10_000);
    let flood: Vec<_> = (0..plan.flood_jobs).map(|i| plan.flood_job(i)).collect();
    for chunk in flood.chunks(1_000) {
        b.q.enqueue_many(chunk.to_vec()).await.unwrap();
    }
    b.drain_steps(10).await;
    for i in 0..plan.light.len() {
        let job = plan.light_job(i);
        b.q.enqueue(job.clone()).await.unwrap();
        let st = b.q.stats().await.unwrap();
        let active_t = st.tenants.iter().filter(|t| t.ready > 0).count();
        let active_u = st
            .tenants
            .iter()
            .find(|t| t.tenant == job.tenant)
            .map_or(0, |t| t.users.iter().filter(|u| u.ready > 0).count());
        let bound = light_bound(active_t, active_u);
        let waited = b
            .drain_steps(bound)
            .await
            .iter()
            .position(|l| l.id == job.id);
        assert!(
            waited.is_some(),
            "light job {i} not within {bound} dispatches"
        );
    }
}

pub async fn user_and_tenant_caps_park_flows_until_ack(b: Backend) {
    b.flood("a", "t", "alice", 3).await;
    b.flood("b", "t", "bob", 1).await;
    let a0 = b.lease1().await.unwrap();
    let b0 = b.lease1().await.unwrap();
    assert_eq!((a0.id.as_str(), b0.id.as_str()), ("a0", "b0"));
    assert!(b.lease1().await.is_none(), "alice holds her one slot");
    b.ack(&a0).await;
    assert_eq!(b.lease1().await.unwrap().id, "a1");

    let b = b
        .with(
            "caps_tenant",
            QueueSettings {
                default_tenant_cap: 2,
                ..QueueSettings::default()
            },
        )
        .await;
    for u in ["u1", "u2", "u3"] {
        b.flood(u, "t", u, 2).await;
    }
    b.flood("x", "other", "x", 5).await;
    let leased = b.lease(10).await;
    assert_eq!(
        leased.iter().filter(|l| l.tenant == "t").count(),
        2,
        "tenant cap 2"
    );
    assert_eq!(leased.len(), 3);
    b.ack(leased.iter().find(|l| l.tenant == "t").unwrap())
        .await;
    let more = b.lease(10).await;
    assert_eq!((more.len(), more[0].tenant.as_str()), (1, "t"));
    b.q.set_tenant_cap("t", Some(0)).await.unwrap();
    b.q.set_user_cap("t", "u1", Some(5)).await.unwrap();
    assert!(!b.lease(10).await.is_empty(), "caps lifted");
}

pub async fn cost_correction_charges_heavy_jobs(b: Backend) {
    b.flood("a", "t", "big", 500).await;
    b.flood("b", "t", "small", 500).await;
    let mut big = 0;
    for _ in 0..400 {
        let l =
            b.q.lease(1, LEASE_MS, Duration::ZERO)
                .await
                .unwrap()
                .pop()
                .unwrap();
        let cost = if l.user == "big" { 3.0 } else { 1.0 };
        big += usize::from(l.user == "big");
        b.q.ack(&Ack::of(&l).with_cost(cost)).await.unwrap();
    }
    assert!((99..=101).contains(&big), "big got {big} of 400");
}
