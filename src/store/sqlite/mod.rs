//! The embedded backend: one SQLite file in WAL mode. Writes go to a dedicated writer thread that
//! commits them in batches (see `writer.rs`); reads run on a pool of read-only connections (see
//! `readers.rs`), so the async runtime never blocks on SQLite.
//!
//! Durability: `synchronous = NORMAL` in WAL mode, so a committed write survives a crash of the
//! process; an OS crash or power loss may lose the last commits (not corrupt the file).

mod cache;
mod channels;
mod errors;
mod heartbeats;
mod journal;
mod messages;
mod notes;
mod outcomes;
mod privacy;
mod readers;
mod records;
mod schema;
mod usage;
mod users;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;

use super::checks::{self, Search};
use super::{
    ConversationKey, Day, DueHeartbeat, Heartbeat, JobOutcome, Note, Role, Seen, Store, StoreError,
    StoreResult, StoredMessage, UsageRecord, UsageScope, UsageTotals, UserKey, UserRecord,
    UserStatus,
};
use readers::Readers;
use writer::Writer;

pub struct SqliteStore {
    /// Where every write goes.
    writer: Writer,
    /// Where every read goes.
    readers: Readers,
}

impl SqliteStore {
    /// Opens (creating) `path`; WAL journal mode; migrations by `PRAGMA user_version`.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let owned = path.to_path_buf();
        let conn = tokio::task::spawn_blocking(move || schema::open_writer(&owned))
            .await
            .map_err(|e| StoreError::Unavailable(format!("opening sqlite: {e}")))??;
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: Readers::new(path.to_path_buf()),
        })
    }

    /// Commits every accepted write, checkpoints the WAL and stops the writer. Dropping the store
    /// does the same in the background.
    pub async fn close(mut self) -> Result<(), StoreError> {
        self.writer.close().await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn seen(&self, seen: &Seen) -> StoreResult<UserRecord> {
        checks::user(&seen.key)?;
        checks::bounded("display_name", &seen.display_name, checks::MAX_NAME_BYTES)?;
        checks::bounded(
            "username",
            seen.username.as_deref().unwrap_or(""),
            checks::MAX_NAME_BYTES,
        )?;
        checks::exact("at_ms", seen.at_ms)?;
        let seen = seen.clone();
        self.writer.write(move |c| users::seen(c, &seen)).await
    }

    async fn user(&self, key: &UserKey) -> StoreResult<Option<UserRecord>> {
        let key = key.clone();
        self.readers.read(move |c| users::user(c, &key)).await
    }

    async fn users(
        &self,
        tenant: Option<&str>,
        search: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<UserRecord>> {
        let tenant = tenant.map(str::to_owned);
        let search = Search::new(search);
        self.readers
            .read(move |c| users::users(c, tenant.as_deref(), &search, limit))
            .await
    }

    async fn set_status(&self, key: &UserKey, status: UserStatus) -> StoreResult<bool> {
        let key = key.clone();
        self.writer
            .write(move |c| users::set_status(c, &key, status))
            .await
    }

    async fn setting(&self, key: &UserKey, name: &str) -> StoreResult<Option<String>> {
        let (key, name) = (key.clone(), name.to_owned());
        self.readers
            .read(move |c| users::setting(c, &key, &name))
            .await
    }

    async fn set_setting(&self, key: &UserKey, name: &str, value: Option<&str>) -> StoreResult<()> {
        checks::user(key)?;
        checks::id("setting name", name)?;
        checks::bounded(
            "setting value",
            value.unwrap_or(""),
            checks::MAX_SETTING_BYTES,
        )?;
        let (key, name, value) = (key.clone(), name.to_owned(), value.map(str::to_owned));
        self.writer
            .write(move |c| users::set_setting(c, &key, &name, value.as_deref()))
            .await
    }

    async fn settings(&self, key: &UserKey) -> StoreResult<BTreeMap<String, String>> {
        let key = key.clone();
        self.readers.read(move |c| users::settings(c, &key)).await
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
        let conv = conv.clone();
        let msg = messages::NewMessage {
            role,
            text: text.to_owned(),
            at_ms,
            job_id: job_id.map(str::to_owned),
            keep,
        };
        self.writer
            .write(move |c| messages::append(c, &conv, &msg))
            .await
    }

    async fn history(
        &self,
        conv: &ConversationKey,
        limit: usize,
    ) -> StoreResult<Vec<StoredMessage>> {
        let conv = conv.clone();
        self.readers
            .read(move |c| messages::history(c, &conv, limit))
            .await
    }

    async fn answered_through(&self, conv: &ConversationKey) -> StoreResult<u64> {
        let conv = conv.clone();
        self.readers
            .read(move |c| messages::answered_through(c, &conv))
            .await
    }

    async fn set_answered_through(&self, conv: &ConversationKey, seq: u64) -> StoreResult<()> {
        checks::conversation(conv)?;
        checks::exact("seq", seq)?;
        let conv = conv.clone();
        self.writer
            .write(move |c| messages::set_answered_through(c, &conv, seq))
            .await
    }

    async fn clear_conversation(&self, conv: &ConversationKey) -> StoreResult<()> {
        let conv = conv.clone();
        self.writer.write(move |c| messages::clear(c, &conv)).await
    }

    async fn record_usage(&self, rec: &UsageRecord) -> StoreResult<()> {
        checks::usage(rec)?;
        let rec = rec.clone();
        self.writer.write(move |c| usage::record(c, &rec)).await
    }

    async fn usage(&self, scope: UsageScope<'_>, from: Day, to: Day) -> StoreResult<UsageTotals> {
        if !checks::range(from, to)? {
            return Ok(UsageTotals::default());
        }
        match scope {
            UsageScope::User(k) => {
                let k = k.clone();
                self.readers
                    .read(move |c| usage::usage(c, UsageScope::User(&k), from, to))
                    .await
            }
            UsageScope::Tenant(t) => {
                let t = t.to_owned();
                self.readers
                    .read(move |c| usage::usage(c, UsageScope::Tenant(&t), from, to))
                    .await
            }
        }
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
        let tenant = tenant.map(str::to_owned);
        self.readers
            .read(move |c| usage::by_user(c, tenant.as_deref(), from, to))
            .await
    }

    async fn outcome(&self, job_id: &str) -> StoreResult<Option<JobOutcome>> {
        let job_id = job_id.to_owned();
        self.readers
            .read(move |c| outcomes::outcome(c, &job_id))
            .await
    }

    async fn save_reply(&self, job_id: &str, reply: &str, at_ms: u64) -> StoreResult<()> {
        checks::id("job_id", job_id)?;
        checks::bounded("reply", reply, checks::MAX_TEXT_BYTES)?;
        checks::exact("at_ms", at_ms)?;
        let (job_id, reply) = (job_id.to_owned(), reply.to_owned());
        self.writer
            .write(move |c| outcomes::save_reply(c, &job_id, &reply, at_ms))
            .await
    }

    async fn mark_sent(&self, job_id: &str) -> StoreResult<()> {
        let job_id = job_id.to_owned();
        self.writer
            .write(move |c| outcomes::mark_sent(c, &job_id))
            .await
    }

    async fn prune_outcomes(&self, before_ms: u64) -> StoreResult<u64> {
        let before_ms = before_ms.min(checks::MAX_EXACT);
        self.writer
            .write(move |c| outcomes::prune(c, before_ms))
            .await
    }

    async fn add_note(&self, key: &UserKey, text: &str, at_ms: u64) -> StoreResult<usize> {
        checks::user(key)?;
        checks::note(text)?;
        checks::exact("at_ms", at_ms)?;
        let (key, text) = (key.clone(), text.to_owned());
        self.writer
            .write(move |c| notes::add(c, &key, &text, at_ms))
            .await
    }

    async fn notes(&self, key: &UserKey) -> StoreResult<Vec<Note>> {
        let key = key.clone();
        self.readers.read(move |c| notes::notes(c, &key)).await
    }

    async fn clear_notes(&self, key: &UserKey) -> StoreResult<usize> {
        let key = key.clone();
        self.writer.write(move |c| notes::clear(c, &key)).await
    }

    async fn set_heartbeat(&self, key: &UserKey, schedule: Option<&Heartbeat>) -> StoreResult<()> {
        checks::user(key)?;
        if let Some(h) = schedule {
            checks::heartbeat(h)?;
        }
        let (key, schedule) = (key.clone(), schedule.cloned());
        self.writer
            .write(move |c| heartbeats::set(c, &key, schedule.as_ref()))
            .await
    }

    async fn heartbeat(&self, key: &UserKey) -> StoreResult<Option<Heartbeat>> {
        let key = key.clone();
        self.readers.read(move |c| heartbeats::get(c, &key)).await
    }

    async fn claim_due_heartbeats(
        &self,
        now_ms: u64,
        hold_ms: u64,
        limit: usize,
    ) -> StoreResult<Vec<DueHeartbeat>> {
        let hold_until = now_ms.saturating_add(hold_ms);
        checks::exact("now_ms + hold_ms", hold_until)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.writer
            .write(move |c| heartbeats::claim_due(c, now_ms, hold_until, limit))
            .await
    }

    async fn reschedule_heartbeat(&self, key: &UserKey, next_run_ms: u64) -> StoreResult<bool> {
        checks::user(key)?;
        checks::exact("next_run_ms", next_run_ms)?;
        let key = key.clone();
        self.writer
            .write(move |c| heartbeats::reschedule(c, &key, next_run_ms))
            .await
    }

    async fn channel_personality(&self, tenant: &str, place: &str) -> StoreResult<Option<String>> {
        let (tenant, place) = (tenant.to_owned(), place.to_owned());
        self.readers
            .read(move |c| channels::get(c, &tenant, &place))
            .await
    }

    async fn set_channel_personality(
        &self,
        tenant: &str,
        place: &str,
        personality: Option<&str>,
    ) -> StoreResult<()> {
        checks::channel(tenant, place, personality)?;
        let (tenant, place, p) = (
            tenant.to_owned(),
            place.to_owned(),
            personality.map(str::to_owned),
        );
        self.writer
            .write(move |c| channels::set(c, &tenant, &place, p.as_deref()))
            .await
    }

    async fn cache_get(&self, key: &str, now_ms: u64) -> StoreResult<Option<String>> {
        let (key, now_ms) = (key.to_owned(), now_ms.min(checks::MAX_EXACT));
        self.readers
            .read(move |c| cache::get(c, &key, now_ms))
            .await
    }

    async fn cache_put(&self, key: &str, value: &str, expires_at_ms: u64) -> StoreResult<()> {
        checks::id("cache key", key)?;
        checks::bounded("cache value", value, checks::MAX_TEXT_BYTES)?;
        checks::exact("expires_at_ms", expires_at_ms)?;
        let (key, value) = (key.to_owned(), value.to_owned());
        self.writer
            .write(move |c| cache::put(c, &key, &value, expires_at_ms))
            .await
    }

    async fn mark_once(&self, name: &str, expires_at_ms: u64) -> StoreResult<bool> {
        checks::id("once-mark name", name)?;
        checks::exact("expires_at_ms", expires_at_ms)?;
        let name = name.to_owned();
        self.writer
            .write(move |c| cache::mark_once(c, &name, expires_at_ms))
            .await
    }

    async fn usage_records(
        &self,
        scope: UsageScope<'_>,
        from_ms: u64,
        to_ms: u64,
        limit: usize,
    ) -> StoreResult<Vec<UsageRecord>> {
        // Every stored time is below MAX_EXACT, so clamping changes no answer.
        let (from_ms, to_ms) = (from_ms.min(checks::MAX_EXACT), to_ms.min(checks::MAX_EXACT));
        if from_ms >= to_ms || limit == 0 {
            return Ok(Vec::new());
        }
        let owner = records::Owner::of(scope);
        self.readers
            .read(move |c| records::list(c, &owner, from_ms, to_ms, limit))
            .await
    }

    async fn prune_usage_records(&self, before_ms: u64) -> StoreResult<u64> {
        let before_ms = before_ms.min(checks::MAX_EXACT);
        self.writer
            .write(move |c| records::prune(c, before_ms))
            .await
    }

    async fn export_user(&self, key: &UserKey) -> StoreResult<serde_json::Value> {
        let key = key.clone();
        self.readers
            .read(move |c| privacy::export(c, &key))
            .await?
            .into_json()
    }

    async fn forget_user(&self, key: &UserKey) -> StoreResult<()> {
        let key = key.clone();
        self.writer.write(move |c| privacy::forget(c, &key)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        if !self.writer.is_running() {
            return Err(StoreError::Unavailable(
                "the sqlite writer has stopped".into(),
            ));
        }
        self.readers
            .read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }
}
