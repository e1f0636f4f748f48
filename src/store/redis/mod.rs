//! The Redis backend, for many processes sharing one store. Key layout in `keys.rs`; updates that
//! touch several keys of one user (or one tenant) run as Lua scripts in `lua/`, so each is atomic
//! and Redis Cluster can serve them (the keys share a hash tag). Updates that span a user and
//! shared indexes (the user listing, usage-by-user, outcomes) are separate commands: a crash
//! between them can leave an index entry pointing at nothing, which readers skip.
//!
//! Retention: per-day usage keys live 400 days after their last update, per-month ones 800 days;
//! job outcomes 7 days (and `prune_outcomes` deletes older ones on request); per-request usage
//! records until `prune_usage_records`; cache entries an hour past their expiry (30 days at
//! most); once-marks until they end. Users, settings, conversations, notes and check-in schedules
//! stay until `forget_user`.

mod batch;
mod cache;
mod channels;
mod errors;
mod heartbeats;
mod keys;
mod messages;
mod notes;
mod outcomes;
mod privacy;
mod records;
mod scripts;
mod usage;
mod users;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::checks;
use super::{
    ConversationKey, Day, DueHeartbeat, Heartbeat, JobOutcome, Note, Role, Seen, Store, StoreError,
    StoreResult, StoredMessage, UsageRecord, UsageScope, UsageTotals, UserKey, UserRecord,
    UserStatus,
};
use keys::Keys;
use scripts::Scripts;

/// How long one command may take before it fails as unavailable.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest namespace, in bytes.
const MAX_NAMESPACE_BYTES: usize = 64;

pub struct RedisStore {
    /// Auto-reconnecting multiplexed connection; cloned per call.
    conn: ConnectionManager,
    /// Key names under `sb:<namespace>:`.
    keys: Keys,
    /// The Lua scripts.
    scripts: Scripts,
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`); keys live under `sb:<namespace>:`.
    pub async fn connect(url: &str, namespace: &str) -> Result<RedisStore, StoreError> {
        check_namespace(namespace)?;
        // The URL may hold a password: redis errors name the problem, not the URL.
        let client =
            redis::Client::open(url).map_err(|e| StoreError::Invalid(format!("redis url: {e}")))?;
        let cfg = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_number_of_retries(3);
        let conn = ConnectionManager::new_with_config(client, cfg).await?;
        Ok(RedisStore {
            conn,
            keys: Keys::new(namespace),
            scripts: Scripts::new(),
        })
    }

    /// A connection handle for one call (clones share the socket).
    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

fn check_namespace(ns: &str) -> StoreResult<()> {
    let bad = ns.is_empty()
        || ns.len() > MAX_NAMESPACE_BYTES
        || ns
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "{}*?[]\\".contains(c));
    if bad {
        return Err(StoreError::Invalid(format!(
            "redis namespace must be 1..={MAX_NAMESPACE_BYTES} bytes without spaces, braces or \
             glob characters (got {ns:?})"
        )));
    }
    Ok(())
}

#[async_trait]
impl Store for RedisStore {
    async fn seen(&self, seen: &Seen) -> StoreResult<UserRecord> {
        checks::user(&seen.key)?;
        checks::bounded("display_name", &seen.display_name, checks::MAX_NAME_BYTES)?;
        checks::bounded(
            "username",
            seen.username.as_deref().unwrap_or(""),
            checks::MAX_NAME_BYTES,
        )?;
        checks::exact("at_ms", seen.at_ms)?;
        users::seen(self, seen).await
    }

    async fn user(&self, key: &UserKey) -> StoreResult<Option<UserRecord>> {
        users::user(self, key).await
    }

    async fn users(
        &self,
        tenant: Option<&str>,
        search: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<UserRecord>> {
        users::users(self, tenant, &checks::Search::new(search), limit).await
    }

    async fn set_status(&self, key: &UserKey, status: UserStatus) -> StoreResult<bool> {
        users::set_status(self, key, status).await
    }

    async fn setting(&self, key: &UserKey, name: &str) -> StoreResult<Option<String>> {
        users::setting(self, key, name).await
    }

    async fn set_setting(&self, key: &UserKey, name: &str, value: Option<&str>) -> StoreResult<()> {
        checks::user(key)?;
        checks::id("setting name", name)?;
        checks::bounded(
            "setting value",
            value.unwrap_or(""),
            checks::MAX_SETTING_BYTES,
        )?;
        users::set_setting(self, key, name, value).await
    }

    async fn settings(&self, key: &UserKey) -> StoreResult<BTreeMap<String, String>> {
        users::settings(self, key).await
    }

    async fn append(
        &self,
        conv: &ConversationKey,
        role: Role,
        text: &str,
        at_ms: u64,
        job_id: Option<&str>,
        keep: usize,
    ) -> StoreResult<u64> {
        checks::conversation(conv)?;
        checks::bounded("text", text, checks::MAX_TEXT_BYTES)?;
        checks::exact("at_ms", at_ms)?;
        checks::keep(keep)?;
        if let Some(j) = job_id {
            checks::id("job_id", j)?;
        }
        let msg = messages::Payload {
            role,
            text: text.to_owned(),
            at_ms,
            job_id: job_id.map(str::to_owned),
        };
        messages::append(self, conv, &msg, keep).await
    }

    async fn history(
        &self,
        conv: &ConversationKey,
        limit: usize,
    ) -> StoreResult<Vec<StoredMessage>> {
        messages::history(self, conv, limit).await
    }

    async fn answered_through(&self, conv: &ConversationKey) -> StoreResult<u64> {
        messages::answered_through(self, conv).await
    }

    async fn set_answered_through(&self, conv: &ConversationKey, seq: u64) -> StoreResult<()> {
        checks::conversation(conv)?;
        checks::exact("seq", seq)?;
        messages::set_answered_through(self, conv, seq).await
    }

    async fn clear_conversation(&self, conv: &ConversationKey) -> StoreResult<()> {
        messages::clear(self, conv).await
    }

    async fn record_usage(&self, rec: &UsageRecord) -> StoreResult<()> {
        checks::usage(rec)?;
        usage::record(self, rec).await
    }

    async fn usage(&self, scope: UsageScope<'_>, from: Day, to: Day) -> StoreResult<UsageTotals> {
        if !checks::range(from, to)? {
            return Ok(UsageTotals::default());
        }
        usage::usage(self, scope, from, to).await
    }

    async fn usage_by_user(
        &self,
        tenant: Option<&str>,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<(UserKey, UsageTotals)>> {
        if !checks::range(from, to)? {
            return Ok(Vec::new());
        }
        usage::by_user(self, tenant, from, to).await
    }

    async fn outcome(&self, job_id: &str) -> StoreResult<Option<JobOutcome>> {
        outcomes::outcome(self, job_id).await
    }

    async fn save_reply(&self, job_id: &str, reply: &str, at_ms: u64) -> StoreResult<()> {
        checks::id("job_id", job_id)?;
        checks::bounded("reply", reply, checks::MAX_TEXT_BYTES)?;
        checks::exact("at_ms", at_ms)?;
        outcomes::save_reply(self, job_id, reply, at_ms).await
    }

    async fn mark_sent(&self, job_id: &str) -> StoreResult<()> {
        outcomes::mark_sent(self, job_id).await
    }

    async fn prune_outcomes(&self, before_ms: u64) -> StoreResult<u64> {
        outcomes::prune(self, before_ms.min(checks::MAX_EXACT)).await
    }

    async fn add_note(&self, key: &UserKey, text: &str, at_ms: u64) -> StoreResult<usize> {
        checks::user(key)?;
        checks::note(text)?;
        checks::exact("at_ms", at_ms)?;
        notes::add(self, key, text, at_ms).await
    }

    async fn notes(&self, key: &UserKey) -> StoreResult<Vec<Note>> {
        notes::notes(self, key).await
    }

    async fn clear_notes(&self, key: &UserKey) -> StoreResult<usize> {
        notes::clear(self, key).await
    }

    async fn set_heartbeat(&self, key: &UserKey, schedule: Option<&Heartbeat>) -> StoreResult<()> {
        checks::user(key)?;
        if let Some(h) = schedule {
            checks::heartbeat(h)?;
        }
        heartbeats::set(self, key, schedule).await
    }

    async fn heartbeat(&self, key: &UserKey) -> StoreResult<Option<Heartbeat>> {
        heartbeats::get(self, key).await
    }

    async fn claim_due_heartbeats(
        &self,
        now_ms: u64,
        hold_ms: u64,
        limit: usize,
    ) -> StoreResult<Vec<DueHeartbeat>> {
        checks::exact("now_ms", now_ms)?;
        heartbeats::claim(self, now_ms, hold_ms, limit).await
    }

    async fn reschedule_heartbeat(&self, key: &UserKey, next_run_ms: u64) -> StoreResult<bool> {
        checks::exact("next_run_ms", next_run_ms)?;
        heartbeats::reschedule(self, key, next_run_ms).await
    }

    async fn channel_personality(&self, tenant: &str, place: &str) -> StoreResult<Option<String>> {
        channels::get(self, tenant, place).await
    }

    async fn set_channel_personality(
        &self,
        tenant: &str,
        place: &str,
        personality: Option<&str>,
    ) -> StoreResult<()> {
        checks::channel(tenant, place, personality)?;
        channels::set(self, tenant, place, personality).await
    }

    async fn cache_get(&self, key: &str, now_ms: u64) -> StoreResult<Option<String>> {
        cache::get(self, key, now_ms).await
    }

    async fn cache_put(&self, key: &str, value: &str, expires_at_ms: u64) -> StoreResult<()> {
        checks::id("cache key", key)?;
        checks::bounded("cache value", value, checks::MAX_TEXT_BYTES)?;
        checks::exact("expires_at_ms", expires_at_ms)?;
        cache::put(self, key, value, expires_at_ms).await
    }

    async fn mark_once(&self, name: &str, expires_at_ms: u64) -> StoreResult<bool> {
        checks::id("once-mark name", name)?;
        checks::exact("expires_at_ms", expires_at_ms)?;
        cache::mark_once(self, name, expires_at_ms).await
    }

    async fn usage_records(
        &self,
        scope: UsageScope<'_>,
        from_ms: u64,
        to_ms: u64,
        limit: usize,
    ) -> StoreResult<Vec<UsageRecord>> {
        records::list(self, scope, from_ms, to_ms, limit).await
    }

    async fn prune_usage_records(&self, before_ms: u64) -> StoreResult<u64> {
        records::prune(self, before_ms.min(checks::MAX_EXACT)).await
    }

    async fn export_user(&self, key: &UserKey) -> StoreResult<serde_json::Value> {
        privacy::export(self, key).await?.into_json()
    }

    async fn forget_user(&self, key: &UserKey) -> StoreResult<()> {
        privacy::forget(self, key).await
    }

    async fn ping(&self) -> StoreResult<()> {
        let pong: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        if pong != "PONG" {
            return Err(StoreError::Unavailable(format!(
                "redis answered PING with {pong:?}"
            )));
        }
        Ok(())
    }
}
