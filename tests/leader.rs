//! Leader election on a real Redis: one holder at a time, renewal by the holder only, takeover
//! after a crash (the lease runs out) and after a clean stop (the lease is released), and `lead`
//! running the work in exactly one of several processes. Reads `REDIS_URL`; fails under
//! `CI=true` when Redis is unreachable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use switchboard::leader::{Leadership, RedisLease, lead};
use tokio_util::sync::CancellationToken;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn redis_or_skip(case: &str) -> bool {
    let ok = redis::Client::open(redis_url().as_str())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .is_ok();
    if !ok {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true and Redis at {} is unreachable",
            redis_url()
        );
        eprintln!("skipping {case}: Redis unreachable");
    }
    ok
}

async fn lease(ns: &str, ms: u64) -> RedisLease {
    RedisLease::connect(&redis_url(), ns, "poller:bot", Duration::from_millis(ms))
        .await
        .unwrap()
}

fn namespace() -> String {
    format!("leader-{:08x}", rand::random::<u32>())
}

#[tokio::test]
async fn one_holder_at_a_time_and_takeover_after_expiry_or_release() {
    if !redis_or_skip("one_holder_at_a_time") {
        return;
    }
    let ns = namespace();
    let mut a = lease(&ns, 300).await;
    let mut b = lease(&ns, 300).await;
    assert!(a.try_acquire().await.unwrap());
    assert!(!b.try_acquire().await.unwrap());
    assert!(!b.renew().await.unwrap(), "only the holder renews");
    assert!(!b.release().await.unwrap(), "nor releases");
    assert!(a.renew().await.unwrap());

    // A crashed holder stops renewing: the lease runs out and b takes over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(b.try_acquire().await.unwrap());
    assert!(!a.renew().await.unwrap(), "a knows it lost");
    // A clean stop hands over at once.
    assert!(b.release().await.unwrap());
    assert!(a.try_acquire().await.unwrap());
    a.release().await.unwrap();
}

#[tokio::test]
async fn lead_runs_the_work_in_exactly_one_process_and_fails_over() {
    if !redis_or_skip("lead_runs_the_work_in_exactly_one_process") {
        return;
    }
    let ns = namespace();
    let running = Arc::new(AtomicUsize::new(0));
    let max_running = Arc::new(AtomicUsize::new(0));
    let starts = Arc::new(AtomicUsize::new(0));
    let mut stops = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let stop = CancellationToken::new();
        let l = Leadership::Redis(lease(&ns, 300).await);
        let (running, max_running, starts) = (running.clone(), max_running.clone(), starts.clone());
        tasks.push(tokio::spawn(lead(l, stop.clone(), move |term| {
            let (running, max_running, starts) =
                (running.clone(), max_running.clone(), starts.clone());
            async move {
                starts.fetch_add(1, Ordering::SeqCst);
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                max_running.fetch_max(now, Ordering::SeqCst);
                term.cancelled().await;
                running.fetch_sub(1, Ordering::SeqCst);
            }
        })));
        stops.push(stop);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(running.load(Ordering::SeqCst), 1, "one leader");
    assert_eq!(starts.load(Ordering::SeqCst), 1);

    // The leader stops; another process takes over promptly (the lease was released).
    for s in &stops {
        s.cancel();
        tokio::time::sleep(Duration::from_millis(400)).await;
        if starts.load(Ordering::SeqCst) > 1 {
            break;
        }
    }
    assert!(starts.load(Ordering::SeqCst) >= 2, "someone took over");
    for s in &stops {
        s.cancel();
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(2), t)
            .await
            .expect("lead returns on stop")
            .unwrap();
    }
    assert_eq!(max_running.load(Ordering::SeqCst), 1, "never two at once");
    assert_eq!(running.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn alone_the_work_just_runs() {
    let stop = CancellationToken::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    stop.cancel();
    lead(Leadership::Alone, stop, move |_| {
        let r = r.clone();
        async move {
            r.fetch_add(1, Ordering::SeqCst);
        }
    })
    .await;
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}
