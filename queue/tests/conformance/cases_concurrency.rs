//! Many workers at once, and blocking leases.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchboard_queue::core::{Ack, Lease, NewJob};

use crate::support::{Backend, LEASE_MS};

pub async fn many_workers_lose_and_double_nothing(b: Backend) {
    const JOBS: usize = 4_000;
    let jobs: Vec<NewJob> = (0..JOBS)
        .map(|i| {
            NewJob::new(
                format!("j{i}"),
                format!("t{}", i % 7),
                format!("u{}", i % 97),
                "",
            )
        })
        .collect();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let producer = {
        let q = b.q.clone();
        tokio::spawn(async move {
            for chunk in jobs.chunks(37) {
                for j in chunk {
                    q.enqueue(j.clone()).await.unwrap();
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut workers = Vec::new();
    for _ in 0..8 {
        let q = b.q.clone();
        let seen = seen.clone();
        workers.push(tokio::spawn(async move {
            let mut held: Vec<Lease> = Vec::new();
            loop {
                let acks: Vec<Ack> = held.iter().map(Ack::of).collect();
                let (acked, leases) = q
                    .ack_and_lease(&acks, 8, LEASE_MS, Duration::from_millis(300))
                    .await
                    .unwrap();
                assert!(
                    acked.iter().all(|a| *a),
                    "every ack of a live lease succeeds"
                );
                if leases.is_empty() {
                    return;
                }
                seen.lock()
                    .unwrap()
                    .extend(leases.iter().map(|l| l.id.clone()));
                held = leases;
            }
        }));
    }
    producer.await.unwrap();
    for w in workers {
        w.await.unwrap();
    }
    // Whatever a worker leased after the others gave up is still ready: drain it.
    let rest = b.drain_steps(JOBS).await;
    let mut seen = seen.lock().unwrap().clone();
    seen.extend(rest.into_iter().map(|l| l.id));
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no job leased twice");
    assert_eq!(seen.len(), JOBS, "no job lost");
    let st = b.q.stats().await.unwrap();
    assert_eq!((st.ready, st.in_flight), (0, 0));
}

pub async fn a_blocked_lease_wakes_on_enqueue(b: Backend) {
    let q = b.q.clone();
    let started = Instant::now();
    let waiter =
        tokio::spawn(async move { q.lease(1, LEASE_MS, Duration::from_secs(10)).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(150)).await;
    b.add("wake", "t", "u").await;
    let got = waiter.await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "woken, not timed out: {:?}",
        started.elapsed()
    );
    // An empty wait returns empty when its time is up.
    let t0 = Instant::now();
    assert!(
        b.q.lease(1, LEASE_MS, Duration::from_millis(250))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(t0.elapsed() >= Duration::from_millis(250));
}

pub async fn a_blocked_lease_wakes_when_a_parked_user_is_acked(b: Backend) {
    b.flood("j", "t", "u", 2).await;
    let first = b.lease1().await.unwrap();
    let q = b.q.clone();
    let started = Instant::now();
    let waiter =
        tokio::spawn(async move { q.lease(1, LEASE_MS, Duration::from_secs(10)).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(150)).await;
    b.ack(&first).await;
    let got = waiter.await.unwrap();
    assert_eq!(got[0].id, "j1");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
