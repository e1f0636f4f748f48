//! The response cache of personalities with `cache_ttl`: identical requests (same tenant,
//! personality, model, system prompt and messages, whitespace-normalized) get the answer given
//! before, without calling the AI. Content-addressed (SHA-256 of the normalized request), so every
//! process computes the same key; looked up in a small in-process LRU first, then in the store,
//! which all processes share.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::ai::{ChatRequest, Role};

/// Entries the in-process LRU keeps.
pub const LRU_CAPACITY: usize = 1024;

/// The cache key of a request to `personality` in `tenant`.
pub fn key(tenant: &str, personality: &str, req: &ChatRequest) -> String {
    let mut h = Sha256::new();
    for part in [tenant, personality, &req.provider, &req.model] {
        field(&mut h, part);
    }
    field(&mut h, &normalize(&req.system));
    for m in &req.messages {
        field(
            &mut h,
            match m.role {
                Role::User => "u",
                Role::Assistant => "a",
            },
        );
        field(&mut h, &normalize(&m.content));
    }
    let digest = h.finalize();
    let mut out = String::with_capacity(2 + digest.len() * 2);
    out.push_str("r:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Length-prefixed, so `("ab", "c")` and `("a", "bc")` differ.
fn field(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

/// Trimmed, with every run of whitespace as one space: "Hi  there\n" asks what "Hi there" asks.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The in-process LRU in front of the store.
#[derive(Default)]
pub struct ResponseCache {
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    /// key -> (answer, expires at ms, last use tick).
    entries: HashMap<String, (String, u64, u64)>,
    /// last use tick -> key, oldest first.
    by_use: BTreeMap<u64, String>,
    /// Increases on every use.
    tick: u64,
}

impl ResponseCache {
    pub fn get(&self, key: &str, now_ms: u64) -> Option<String> {
        let mut lru = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (value, expires, used) = lru.entries.get(key).cloned()?;
        lru.by_use.remove(&used);
        if expires <= now_ms {
            lru.entries.remove(key);
            return None;
        }
        lru.tick += 1;
        let tick = lru.tick;
        lru.by_use.insert(tick, key.to_owned());
        if let Some(e) = lru.entries.get_mut(key) {
            e.2 = tick;
        }
        Some(value)
    }

    pub fn put(&self, key: &str, value: &str, expires_at_ms: u64) {
        let mut lru = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        lru.tick += 1;
        let tick = lru.tick;
        if let Some((_, _, used)) = lru.entries.remove(key) {
            lru.by_use.remove(&used);
        }
        lru.entries
            .insert(key.to_owned(), (value.to_owned(), expires_at_ms, tick));
        lru.by_use.insert(tick, key.to_owned());
        while lru.entries.len() > LRU_CAPACITY {
            let Some((_, oldest)) = lru.by_use.pop_first() else {
                break;
            };
            lru.entries.remove(&oldest);
        }
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ai::ChatMessage;

    fn req(system: &str, texts: &[(Role, &str)]) -> ChatRequest {
        ChatRequest {
            provider: "ai".into(),
            model: "m".into(),
            system: system.into(),
            messages: texts
                .iter()
                .map(|(role, t)| ChatMessage {
                    role: *role,
                    content: (*t).into(),
                })
                .collect(),
            max_tokens: None,
            user: "sim:ann".into(),
            offer_notes: true,
        }
    }

    #[test]
    fn identical_requests_share_a_key_and_anything_else_splits_them() {
        let base = key(
            "acme",
            "Sage",
            &req("Be wise.", &[(Role::User, "Hi  there\n")]),
        );
        assert_eq!(
            base,
            key(
                "acme",
                "Sage",
                &req(" Be wise. ", &[(Role::User, "Hi there")])
            )
        );
        // The asking user is not part of it: the same question gets the same answer.
        let mut other_user = req("Be wise.", &[(Role::User, "Hi there")]);
        other_user.user = "sim:bob".into();
        assert_eq!(base, key("acme", "Sage", &other_user));
        for different in [
            key(
                "zeta",
                "Sage",
                &req("Be wise.", &[(Role::User, "Hi there")]),
            ),
            key(
                "acme",
                "Aria",
                &req("Be wise.", &[(Role::User, "Hi there")]),
            ),
            key(
                "acme",
                "Sage",
                &req("Be kind.", &[(Role::User, "Hi there")]),
            ),
            key(
                "acme",
                "Sage",
                &req("Be wise.", &[(Role::User, "hi there")]),
            ),
            key(
                "acme",
                "Sage",
                &req("Be wise.", &[(Role::Assistant, "Hi there")]),
            ),
            key(
                "acme",
                "Sage",
                &req("Be wise.", &[(Role::User, "Hi"), (Role::User, "there")]),
            ),
        ] {
            assert_ne!(base, different);
        }
        let mut model = req("Be wise.", &[(Role::User, "Hi there")]);
        model.model = "m2".into();
        assert_ne!(base, key("acme", "Sage", &model));
        assert!(base.starts_with("r:") && base.len() == 66);
    }

    #[test]
    fn entries_expire_and_the_least_recently_used_go_first() {
        let c = ResponseCache::default();
        c.put("a", "A", 1_000);
        assert_eq!(c.get("a", 999).as_deref(), Some("A"));
        assert_eq!(c.get("a", 1_000), None);
        assert!(c.is_empty());

        for i in 0..LRU_CAPACITY {
            c.put(&format!("k{i}"), "v", u64::MAX);
        }
        // Touch the oldest so it survives; the next oldest is evicted instead.
        assert!(c.get("k0", 0).is_some());
        c.put("new", "v", u64::MAX);
        assert_eq!(c.len(), LRU_CAPACITY);
        assert!(c.get("k0", 0).is_some());
        assert!(c.get("k1", 0).is_none());
        assert!(c.get("new", 0).is_some());
    }
}
