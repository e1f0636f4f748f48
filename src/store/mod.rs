//! Storage: one [`Store`] trait, two backends (SQLite for the embedded mode, Redis for many
//! processes), one conformance suite (`tests/store_conformance/`) that both pass.
//!
//! What is kept: users (registered on first message), per-user settings, conversations bounded to
//! the last N messages, usage records as per-day (and per-month) aggregates per user and tenant,
//! and the outcome of each job (its reply, and whether the platform accepted it) so a re-leased
//! job never calls the AI twice. The embedded backend also journals the queue ([`Journal`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use crate::ai::Role;

/// Days since the Unix epoch (UTC).
pub type Day = i64;

/// The day of a Unix-millisecond time.
pub fn day_of(ms: u64) -> Day {
    (ms / 86_400_000) as Day
}

/// A user inside a tenant: the unit of quotas, settings and history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserKey {
    pub tenant: String,
    /// `<platform>:<platform user id>`, e.g. `telegram:42`.
    pub user: String,
}

impl UserKey {
    pub fn new(tenant: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            user: user.into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Asked for access in an approval-mode tenant; served with the guest quotas.
    Guest,
    Banned,
    /// Blocked the bot (or left): not messaged until they write again.
    Inactive,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Guest => "guest",
            UserStatus::Banned => "banned",
            UserStatus::Inactive => "inactive",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub key: UserKey,
    pub display_name: String,
    pub username: Option<String>,
    pub first_seen_ms: u64,
    pub last_seen_ms: u64,
    pub status: UserStatus,
}

/// A user was seen (sent a message).
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub key: UserKey,
    pub display_name: String,
    pub username: Option<String>,
    pub at_ms: u64,
    /// Status given to a user seen for the first time.
    pub new_status: UserStatus,
}

/// One conversation: a user talking with one personality in one place.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConversationKey {
    pub tenant: String,
    /// Channel (and thread) id, or the DM's chat id.
    pub place: String,
    pub user: String,
    pub personality: String,
}

impl ConversationKey {
    /// The user this conversation belongs to.
    pub fn user_key(&self) -> UserKey {
        UserKey::new(&self.tenant, &self.user)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// Increases within a conversation.
    pub seq: u64,
    pub role: Role,
    pub text: String,
    pub at_ms: u64,
    /// The job that carried this user message, or produced this reply.
    pub job_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    Reply,
    Heartbeat,
    Command,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub at_ms: u64,
    pub tenant: String,
    pub user: String,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub kind: UsageKind,
    /// Token counts are estimates (the provider reported none).
    pub estimated: bool,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct UsageTotals {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

impl UsageTotals {
    pub fn tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    pub fn add(&mut self, other: &UsageTotals) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_usd += other.cost_usd;
    }
}

/// Whose usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageScope<'a> {
    User(&'a UserKey),
    Tenant(&'a str),
}

/// What became of a job, for exactly-once answers across re-leases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOutcome {
    pub reply: String,
    /// The platform accepted the reply.
    pub sent: bool,
}

/// A note about the user, kept in their prompts (`/note`, or saved by a personality's tool call).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub at_ms: u64,
    pub text: String,
}

/// Longest note, in characters.
pub const NOTE_MAX_CHARS: usize = 4000;
/// Notes kept per user; adding one more drops the oldest.
pub const NOTES_KEPT: usize = 200;

/// A user's check-in schedule (`/heartbeat`), with its next due time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub enabled: bool,
    pub every_minutes: u32,
    /// Active hours as minutes of the day in `tz` (`from`, `to`; `to < from` wraps past midnight);
    /// `None`: any time.
    pub active: Option<(u16, u16)>,
    /// IANA time zone name.
    pub tz: String,
    /// Where check-ins go: the platform `Target`, as JSON.
    pub target: String,
    /// Which personality checks in.
    pub personality: String,
    /// The conversation place key the check-ins belong to.
    pub place: String,
    /// When the next check-in is due (Unix ms).
    pub next_run_ms: u64,
}

/// A schedule handed to one scheduler: `due_ms` is the due time it was claimed at (the job id
/// derives from it, so a re-claim after a crash never makes a second job).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueHeartbeat {
    pub user: UserKey,
    pub due_ms: u64,
    pub schedule: Heartbeat,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached or answered an error; worth retrying.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back (a bug or manual tampering).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Bad input (the message names the field).
    #[error("invalid: {0}")]
    Invalid(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Registers a user on first sight (with `seen.new_status`) or updates their names and last
    /// seen time; returns the record.
    async fn seen(&self, seen: &Seen) -> StoreResult<UserRecord>;
    async fn user(&self, key: &UserKey) -> StoreResult<Option<UserRecord>>;
    /// Users, most recently seen first; `tenant` and `search` (in key, name or username,
    /// case-insensitive) narrow it.
    async fn users(
        &self,
        tenant: Option<&str>,
        search: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<UserRecord>>;
    /// Returns false if the user is unknown.
    async fn set_status(&self, key: &UserKey, status: UserStatus) -> StoreResult<bool>;

    async fn setting(&self, key: &UserKey, name: &str) -> StoreResult<Option<String>>;
    /// `None` removes the setting.
    async fn set_setting(&self, key: &UserKey, name: &str, value: Option<&str>) -> StoreResult<()>;
    async fn settings(&self, key: &UserKey) -> StoreResult<BTreeMap<String, String>>;

    /// Appends a message and keeps only the last `keep` of the conversation; returns its seq. A
    /// user message whose `job_id` is already among the kept messages is not added again: its seq
    /// is returned (a redelivered message is recorded once). Answers, which carry their question's
    /// job id, are never deduplicated.
    async fn append(
        &self,
        conv: &ConversationKey,
        role: Role,
        text: &str,
        at_ms: u64,
        job_id: Option<&str>,
        keep: usize,
    ) -> StoreResult<u64>;
    /// The last `limit` messages, oldest first.
    async fn history(
        &self,
        conv: &ConversationKey,
        limit: usize,
    ) -> StoreResult<Vec<StoredMessage>>;
    /// The seq of the last user message answered in this conversation (0: none).
    async fn answered_through(&self, conv: &ConversationKey) -> StoreResult<u64>;
    /// Only ever moves forward.
    async fn set_answered_through(&self, conv: &ConversationKey, seq: u64) -> StoreResult<()>;
    async fn clear_conversation(&self, conv: &ConversationKey) -> StoreResult<()>;

    /// Records one AI request: a per-request record, and into the per-day and per-month
    /// aggregates of the user and of the tenant.
    async fn record_usage(&self, rec: &UsageRecord) -> StoreResult<()>;
    /// Totals over the days `from..=to`.
    async fn usage(&self, scope: UsageScope<'_>, from: Day, to: Day) -> StoreResult<UsageTotals>;
    /// Per-user totals over `from..=to` (all tenants if `None`), most expensive first.
    async fn usage_by_user(
        &self,
        tenant: Option<&str>,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<(UserKey, UsageTotals)>>;

    async fn outcome(&self, job_id: &str) -> StoreResult<Option<JobOutcome>>;
    /// Stores the AI's reply before delivery (a re-leased job delivers this, without the AI).
    async fn save_reply(&self, job_id: &str, reply: &str, at_ms: u64) -> StoreResult<()>;
    /// Marks the reply delivered, right after the platform accepted it.
    async fn mark_sent(&self, job_id: &str) -> StoreResult<()>;
    /// Forgets outcomes older than `before_ms`.
    async fn prune_outcomes(&self, before_ms: u64) -> StoreResult<u64>;

    /// Adds a note (1..=[`NOTE_MAX_CHARS`] characters, else `Invalid`), dropping the oldest past
    /// [`NOTES_KEPT`]; returns how many notes the user has.
    async fn add_note(&self, key: &UserKey, text: &str, at_ms: u64) -> StoreResult<usize>;
    /// The user's notes, oldest first.
    async fn notes(&self, key: &UserKey) -> StoreResult<Vec<Note>>;
    /// Deletes the user's notes; returns how many there were.
    async fn clear_notes(&self, key: &UserKey) -> StoreResult<usize>;

    /// Stores (or with `None` deletes) the user's check-in schedule.
    async fn set_heartbeat(&self, key: &UserKey, schedule: Option<&Heartbeat>) -> StoreResult<()>;
    async fn heartbeat(&self, key: &UserKey) -> StoreResult<Option<Heartbeat>>;
    /// Atomically claims up to `limit` enabled schedules due at `now_ms` (earliest first): each
    /// one is held until `now_ms + hold_ms`, so no other scheduler (in any process) claims it
    /// again before the claimer reschedules it; after a crash it comes back when the hold ends,
    /// with that as its due time. The hold is kept apart from `next_run_ms`, which reads back as
    /// the user's real next run.
    async fn claim_due_heartbeats(
        &self,
        now_ms: u64,
        hold_ms: u64,
        limit: usize,
    ) -> StoreResult<Vec<DueHeartbeat>>;
    /// Moves an existing schedule's next run (its other fields, which the user may have just
    /// changed, are left alone); false if the user has no schedule.
    async fn reschedule_heartbeat(&self, key: &UserKey, next_run_ms: u64) -> StoreResult<bool>;

    /// A cached value, if present and not expired at `now_ms` (expiry is compared with the given
    /// time; backends may also drop entries on their own clock a while after it).
    async fn cache_get(&self, key: &str, now_ms: u64) -> StoreResult<Option<String>>;
    async fn cache_put(&self, key: &str, value: &str, expires_at_ms: u64) -> StoreResult<()>;
    /// True for exactly one caller per `name` (across processes) until `expires_at_ms`, a
    /// wall-clock time; used for "once per day" notices.
    async fn mark_once(&self, name: &str, expires_at_ms: u64) -> StoreResult<bool>;

    /// Per-request usage records with `from_ms <= at_ms < to_ms`, newest first, at most `limit`.
    async fn usage_records(
        &self,
        scope: UsageScope<'_>,
        from_ms: u64,
        to_ms: u64,
        limit: usize,
    ) -> StoreResult<Vec<UsageRecord>>;
    /// Deletes per-request records older than `before_ms` (the aggregates stay); returns how many.
    async fn prune_usage_records(&self, before_ms: u64) -> StoreResult<u64>;

    /// The personality a moderator activated in a channel (`/activate`): it answers every
    /// message there. `place` is the conversation place key (channel, or channel/thread).
    async fn channel_personality(&self, tenant: &str, place: &str) -> StoreResult<Option<String>>;
    /// Activates a personality in a channel, or with `None` deactivates it.
    async fn set_channel_personality(
        &self,
        tenant: &str,
        place: &str,
        personality: Option<&str>,
    ) -> StoreResult<()>;

    /// Everything stored about a user, as one JSON document.
    async fn export_user(&self, key: &UserKey) -> StoreResult<serde_json::Value>;
    /// Deletes everything stored about a user (record, settings, conversations, notes, schedule,
    /// usage aggregates and records).
    async fn forget_user(&self, key: &UserKey) -> StoreResult<()>;

    /// Cheap health check.
    async fn ping(&self) -> StoreResult<()>;
}

/// A queued job as the embedded mode journals it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub id: String,
    pub tenant: String,
    pub user: String,
    pub payload: Vec<u8>,
    pub not_before: Option<u64>,
    pub enqueued_at_ms: u64,
}

/// The queue journal of the embedded mode: every accepted job is durable before enqueue returns,
/// and forgotten when it is finished, so a restart loses no accepted job.
#[async_trait]
pub trait Journal: Send + Sync + 'static {
    async fn journal_put(&self, jobs: &[JournalEntry]) -> StoreResult<()>;
    async fn journal_done(&self, ids: &[String]) -> StoreResult<()>;
    /// Every job journaled and not done, in the order they were put.
    async fn journal_load(&self) -> StoreResult<Vec<JournalEntry>>;
}

pub mod calendar;
mod checks;
mod export;
pub mod redis;
pub mod sqlite;

pub use self::redis::RedisStore;
pub use self::sqlite::SqliteStore;
