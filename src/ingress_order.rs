//! Keeps one user's messages in order through ingress. A message gets its place in the
//! conversation (`seq`) when it is recorded and its place in the queue when it is enqueued; the
//! worker relies on the two orders agreeing (a job whose message an earlier answer already
//! covered is skipped). Platforms deliver events concurrently (serenity runs each gateway event
//! on its own task), so two messages of one user could be recorded in one order and enqueued in
//! the other, and the later one would be skipped unanswered. Ingress therefore records and
//! enqueues a user's messages under that user's lock. The locks are striped (a fixed set chosen
//! by a hash of the user key), so memory stays bounded however many users there are; unrelated
//! users rarely share a stripe, and then only wait for one short store write and enqueue.

use std::hash::{Hash, Hasher};

use tokio::sync::{Mutex, MutexGuard};

/// Stripes: enough that 64 workers and a few ingress tasks seldom collide.
const STRIPES: usize = 256;

pub struct IngressOrder {
    stripes: Vec<Mutex<()>>,
}

impl Default for IngressOrder {
    fn default() -> Self {
        IngressOrder {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl IngressOrder {
    /// Waits for the user's stripe; hold the guard from recording to enqueueing.
    pub async fn lock(&self, user_key: &str) -> MutexGuard<'_, ()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        user_key.hash(&mut h);
        let i = usize::try_from(h.finish() % STRIPES as u64).unwrap_or(0);
        self.stripes[i].lock().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_user_waits_for_the_lock_and_another_user_mostly_does_not() {
        let o = IngressOrder::default();
        let held = o.lock("telegram:1").await;
        let same = tokio::time::timeout(std::time::Duration::from_millis(50), o.lock("telegram:1"));
        assert!(same.await.is_err(), "the same user waits");
        // Of 20 other users, most land on other stripes and go straight through.
        let mut free = 0;
        for i in 2..22 {
            let key = format!("telegram:{i}");
            let t = tokio::time::timeout(std::time::Duration::from_millis(5), o.lock(&key));
            if t.await.is_ok() {
                free += 1;
            }
        }
        assert!(free >= 18, "{free}");
        drop(held);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), o.lock("telegram:1"))
                .await
                .is_ok()
        );
    }
}
