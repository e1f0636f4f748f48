//! Personalities activated in channels: set, replaced, cleared, and kept apart per tenant and
//! per thread.

use switchboard::store::StoreError;

use crate::support::Backend;

pub async fn channel_personalities_set_replace_and_clear(b: Backend) {
    let s = b.store.as_ref();
    assert_eq!(s.channel_personality("acme", "200").await.unwrap(), None);
    s.set_channel_personality("acme", "200", Some("Sage"))
        .await
        .unwrap();
    s.set_channel_personality("acme", "200/300", Some("Nova"))
        .await
        .unwrap();
    assert_eq!(
        s.channel_personality("acme", "200")
            .await
            .unwrap()
            .as_deref(),
        Some("Sage")
    );
    assert_eq!(
        s.channel_personality("acme", "200/300")
            .await
            .unwrap()
            .as_deref(),
        Some("Nova"),
        "a thread is its own place"
    );
    assert_eq!(
        s.channel_personality("zeta", "200").await.unwrap(),
        None,
        "another tenant's channel"
    );
    s.set_channel_personality("acme", "200", Some("Aria"))
        .await
        .unwrap();
    assert_eq!(
        s.channel_personality("acme", "200")
            .await
            .unwrap()
            .as_deref(),
        Some("Aria")
    );
    s.set_channel_personality("acme", "200", None)
        .await
        .unwrap();
    assert_eq!(s.channel_personality("acme", "200").await.unwrap(), None);
    s.set_channel_personality("acme", "200", None)
        .await
        .unwrap();
    assert!(
        s.channel_personality("acme", "200/300")
            .await
            .unwrap()
            .is_some()
    );
    for (t, p) in [("", "1"), ("acme", "")] {
        let err = s
            .set_channel_personality(t, p, Some("Sage"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
}
