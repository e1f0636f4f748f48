//! The response cache and once-marks: values expire on time, and a once-mark is won by exactly one
//! caller however many race for it.

use std::sync::Arc;

use crate::support::{Backend, JAN_1_2025_MS as T0};

pub async fn cache_values_expire_and_overwrite(b: Backend) {
    let s = b.store.as_ref();
    assert_eq!(s.cache_get("k1", T0).await.unwrap(), None);
    s.cache_put("k1", "answer ✨ one", T0 + 1000).await.unwrap();
    assert_eq!(
        s.cache_get("k1", T0 + 999).await.unwrap().as_deref(),
        Some("answer ✨ one")
    );
    assert_eq!(s.cache_get("k1", T0 + 1000).await.unwrap(), None, "expired");
    s.cache_put("k1", "answer two", T0 + 5000).await.unwrap();
    assert_eq!(
        s.cache_get("k1", T0 + 2000).await.unwrap().as_deref(),
        Some("answer two")
    );
    assert_eq!(s.cache_get("k2", T0).await.unwrap(), None);
}

pub async fn once_marks_are_won_exactly_once(b: Backend) {
    let s = b.store.clone();
    // Expiry is real time for Redis (a TTL), so give marks a future far enough to outlive the test.
    let far = now_ms() + 3_600_000;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                s.mark_once("cost-alert:acme:2025-01-01", far)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert!(
        !s.mark_once("cost-alert:acme:2025-01-01", far)
            .await
            .unwrap()
    );
    assert!(
        s.mark_once("cost-alert:acme:2025-01-02", far)
            .await
            .unwrap()
    );
    // An expired mark can be won again.
    assert!(s.mark_once("short", now_ms() + 50).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    assert!(s.mark_once("short", now_ms() + 50).await.unwrap());
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
