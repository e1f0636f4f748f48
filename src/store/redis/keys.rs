//! Key names of the Redis backend, all under `sb:<namespace>:`.
//!
//! Everything of one user shares the hash tag `{u:<tenant>:<user>}` (Redis Cluster puts it in
//! one slot, so one script can update it all); each tenant's aggregates share `{t:<tenant>}`.
//! Variable parts are length-prefixed (`5:acme`) so no two (tenant, user, place, personality)
//! combinations map to the same key, whatever characters the ids hold.
//!
//! Per user (`{u}`): `rec` (hash: the record), `set` (hash: settings), `convs` (hash: field per
//! conversation, the index of `c:<conv>:meta` and `c:<conv>:msgs`), `udays` / `umonths` (sorted
//! sets: the days and months with usage, the index of `ud:<day>` / `um:<month>`), `notes` (list
//! of note JSON, oldest first), `urec` (sorted set: the user's usage records by time), so
//! `forget_user` finds every key of a user without SCAN.
//!
//! Per tenant (`{t}`): `users` (sorted set: user -> last seen), `d:<day>` / `m:<month>` (usage
//! hashes), `du:<day>` (set: users with usage that day), `rec` (sorted set: the tenant's usage
//! records by time, the same members as the users' `urec`).
//!
//! Check-ins (`{hb}`, one slot so one script claims atomically): `sched` (hash: user member ->
//! `<next_run_ms>|<json>`) and `due` (sorted set: user member -> next run, enabled schedules
//! only).
//!
//! Shared: `users` (sorted set: `<tenant len>:<tenant><user>` -> last seen), `dt:<day>` (set:
//! tenants with usage that day), `rtenants` (set: tenants with usage records, walked by pruning),
//! `o:<job>` (hash: outcome) and `outcomes` (sorted set: job -> saved at), `cache:<key>` (string:
//! `<expires_at_ms>|<value>`), `once:<name>` (string, expiring at the mark's end).

use crate::store::calendar::Month;
use crate::store::{ConversationKey, Day, UserKey};

/// `5:acme`: a length-prefixed part.
fn lp(s: &str) -> String {
    format!("{}:{s}", s.len())
}

/// Splits a length-prefixed part off the front of `s`.
pub fn split_lp(s: &str) -> Option<(&str, &str)> {
    let (len, rest) = s.split_once(':')?;
    let len: usize = len.parse().ok()?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

/// The member naming a user in the shared `users` index.
pub fn user_member(key: &UserKey) -> String {
    format!("{}{}", lp(&key.tenant), key.user)
}

pub fn parse_user_member(member: &str) -> Option<UserKey> {
    let (tenant, user) = split_lp(member)?;
    Some(UserKey::new(tenant, user))
}

/// The field naming a conversation in a user's `convs` hash.
pub fn conv_field(conv: &ConversationKey) -> String {
    format!("{}{}", lp(&conv.place), lp(&conv.personality))
}

/// (place, personality) from a `convs` field.
pub fn parse_conv_field(field: &str) -> Option<(String, String)> {
    let (place, rest) = split_lp(field)?;
    let (personality, tail) = split_lp(rest)?;
    tail.is_empty()
        .then(|| (place.to_owned(), personality.to_owned()))
}

#[derive(Clone, Debug)]
pub struct Keys {
    /// `sb:<namespace>:`.
    base: String,
}

impl Keys {
    pub fn new(namespace: &str) -> Self {
        Self {
            base: format!("sb:{namespace}:"),
        }
    }

    fn user(&self, key: &UserKey, suffix: &str) -> String {
        format!(
            "{}{{u:{}{}}}:{suffix}",
            self.base,
            lp(&key.tenant),
            lp(&key.user)
        )
    }

    pub fn record(&self, key: &UserKey) -> String {
        self.user(key, "rec")
    }

    pub fn settings(&self, key: &UserKey) -> String {
        self.user(key, "set")
    }

    pub fn convs(&self, key: &UserKey) -> String {
        self.user(key, "convs")
    }

    pub fn user_days(&self, key: &UserKey) -> String {
        self.user(key, "udays")
    }

    pub fn user_months(&self, key: &UserKey) -> String {
        self.user(key, "umonths")
    }

    pub fn notes(&self, key: &UserKey) -> String {
        self.user(key, "notes")
    }

    pub fn user_records(&self, key: &UserKey) -> String {
        self.user(key, "urec")
    }

    pub fn user_day(&self, key: &UserKey, day: Day) -> String {
        self.user(key, &format!("ud:{day}"))
    }

    pub fn user_month(&self, key: &UserKey, month: Month) -> String {
        self.user(key, &format!("um:{month}"))
    }

    /// A conversation's hash (`seq`: last seq given, `answered`: answered_through).
    pub fn conv_meta(&self, user: &UserKey, field: &str) -> String {
        self.user(user, &format!("c:{field}:meta"))
    }

    /// A conversation's messages (list of `<seq>|<json>`), oldest first.
    pub fn conv_msgs(&self, user: &UserKey, field: &str) -> String {
        self.user(user, &format!("c:{field}:msgs"))
    }

    fn tenant(&self, tenant: &str, suffix: &str) -> String {
        format!("{}{{t:{}}}:{suffix}", self.base, lp(tenant))
    }

    pub fn tenant_users(&self, tenant: &str) -> String {
        self.tenant(tenant, "users")
    }

    pub fn tenant_day(&self, tenant: &str, day: Day) -> String {
        self.tenant(tenant, &format!("d:{day}"))
    }

    pub fn tenant_month(&self, tenant: &str, month: Month) -> String {
        self.tenant(tenant, &format!("m:{month}"))
    }

    pub fn tenant_day_users(&self, tenant: &str, day: Day) -> String {
        self.tenant(tenant, &format!("du:{day}"))
    }

    /// Personalities activated in the tenant's channels (hash: place -> personality).
    pub fn channels(&self, tenant: &str) -> String {
        self.tenant(tenant, "chan")
    }

    pub fn tenant_records(&self, tenant: &str) -> String {
        self.tenant(tenant, "rec")
    }

    /// Every check-in schedule (hash: user member -> `<next_run_ms>|<json>`).
    pub fn schedules(&self) -> String {
        format!("{}{{hb}}:sched", self.base)
    }

    /// The enabled schedules by next run (same hash tag as [`Keys::schedules`]).
    pub fn due(&self) -> String {
        format!("{}{{hb}}:due", self.base)
    }

    pub fn record_tenants(&self) -> String {
        format!("{}rtenants", self.base)
    }

    pub fn cache(&self, key: &str) -> String {
        format!("{}cache:{key}", self.base)
    }

    pub fn once(&self, name: &str) -> String {
        format!("{}once:{name}", self.base)
    }

    pub fn all_users(&self) -> String {
        format!("{}users", self.base)
    }

    pub fn day_tenants(&self, day: Day) -> String {
        format!("{}dt:{day}", self.base)
    }

    pub fn outcome(&self, job_id: &str) -> String {
        format!("{}o:{job_id}", self.base)
    }

    pub fn outcomes(&self) -> String {
        format!("{}outcomes", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_separators_do_not_collide() {
        let k = Keys::new("ns");
        let a = UserKey::new("a:b", "c");
        let b = UserKey::new("a", "b:c");
        assert_ne!(k.record(&a), k.record(&b));
        let conv = |place: &str, personality: &str| ConversationKey {
            tenant: "t".into(),
            place: place.into(),
            user: "u".into(),
            personality: personality.into(),
        };
        assert_ne!(conv_field(&conv("p:1", "x")), conv_field(&conv("p", "1:x")));
        let f = conv_field(&conv("chan:7/thread}", "émile{"));
        assert_eq!(
            parse_conv_field(&f),
            Some(("chan:7/thread}".into(), "émile{".into()))
        );
        let member = user_member(&a);
        assert_eq!(parse_user_member(&member), Some(a.clone()));
        // Every key of a user shares the user's hash tag.
        let tag = "{u:3:a:b1:c}";
        assert!(k.record(&a).contains(tag) && k.conv_msgs(&a, &f).contains(tag));
        assert!(k.user_day(&a, 20_000).contains(tag));
        assert!(k.notes(&a).contains(tag) && k.user_records(&a).contains(tag));
        // A claim touches both check-in keys in one script: they share a slot.
        assert!(k.schedules().contains("{hb}") && k.due().contains("{hb}"));
    }

    #[test]
    fn malformed_members_are_rejected_not_panicked_on() {
        assert_eq!(split_lp("9:abc"), None);
        assert_eq!(split_lp("x:abc"), None);
        assert_eq!(split_lp("1:é"), None);
        assert_eq!(parse_conv_field("1:a1:bjunk"), None);
    }
}
