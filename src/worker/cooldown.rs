//! Provider cooldowns: after a provider answers 429 with a retry-after, jobs for that provider and
//! model wait until then instead of calling it again. Other providers, and other models of the same
//! provider, keep flowing: nothing is a global blackout.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Cooldowns {
    /// (provider, model) -> time (ms) before which nobody calls it.
    until: Mutex<HashMap<(String, String), u64>>,
}

impl Cooldowns {
    /// Until when `provider`/`model` is cooling down, if it is at `now`.
    pub fn active(&self, provider: &str, model: &str, now: u64) -> Option<u64> {
        let map = self.until.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(provider.to_owned(), model.to_owned()))
            .copied()
            .filter(|&u| u > now)
    }

    pub fn set(&self, provider: &str, model: &str, until: u64) {
        let mut map = self.until.lock().unwrap_or_else(|p| p.into_inner());
        let e = map
            .entry((provider.to_owned(), model.to_owned()))
            .or_insert(0);
        *e = (*e).max(until);
    }

    /// Forgets cooldowns that have passed.
    pub fn prune(&self, now: u64) {
        self.until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, u| *u > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_limited_provider_and_model_wait() {
        let c = Cooldowns::default();
        c.set("openai", "gpt-4o", 5_000);
        assert_eq!(c.active("openai", "gpt-4o", 1_000), Some(5_000));
        assert_eq!(c.active("openai", "gpt-4o-mini", 1_000), None);
        assert_eq!(c.active("anthropic", "gpt-4o", 1_000), None);
        assert_eq!(c.active("openai", "gpt-4o", 5_000), None);
        c.set("openai", "gpt-4o", 3_000);
        assert_eq!(
            c.active("openai", "gpt-4o", 1_000),
            Some(5_000),
            "never shortened"
        );
        c.prune(6_000);
        assert!(c.until.lock().unwrap().is_empty());
    }
}
