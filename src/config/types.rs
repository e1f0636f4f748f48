//! The resolved configuration: what the rest of switchboard reads. Produced once by
//! `config::load` from `switchboard.toml`, `personalities/*.toml` and `SWITCHBOARD_*` environment
//! overrides, already validated: every value here is usable as is. It serializes (for the admin
//! API) with every secret shown as `***` and durations in seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Serialize, Serializer};

/// A secret read from the environment. Never printed: `Debug` shows `Secret(***)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Serialized redacted, like `Debug`: the admin API shows that a secret is set, never what it is.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// Durations serialize as seconds (`{"secs":..,"nanos":..}` is noise for an operator).
mod secs {
    use std::time::Duration;

    use serde::Serializer;

    pub(super) fn one<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(super) fn opt<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// The file this came from (errors and reload name it).
    pub source: PathBuf,
    pub storage: Storage,
    pub queue: QueueConfig,
    pub workers: WorkersConfig,
    pub breaker: BreakerConfig,
    pub tenants: Tenants,
    /// Per-user overrides, by user key (`telegram:42`).
    pub users: BTreeMap<String, UserOverride>,
    /// User keys allowed the admin commands.
    pub admins: BTreeSet<String>,
    /// What starts a command (`/` always; bots this replaces may have used `!` or `.`).
    pub command_prefixes: Vec<String>,
    pub heartbeats: HeartbeatsConfig,
    /// Default per-user limits (tenants and users may override).
    pub quotas: Quotas,
    /// Limits for guests (unregistered users in approval mode, see `Access`).
    pub guest_quotas: Quotas,
    pub providers: BTreeMap<String, Provider>,
    pub personalities: Personalities,
    pub platforms: Platforms,
    pub admin: AdminConfig,
}

/// `[admin]`: the operators' HTTP server (health, metrics, JSON API, dashboard).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdminConfig {
    /// Where it listens; `None`: no admin server.
    pub listen: Option<SocketAddr>,
    /// The bearer token every route but the health checks requires.
    pub token: Option<Secret>,
    /// The variable the token is read from (for error messages).
    pub token_env: String,
}

/// Scheduled check-ins (`/heartbeat`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeartbeatsConfig {
    /// Run the scheduler in this process (any number of processes may; none double a check-in).
    pub enabled: bool,
    /// How often the scheduler looks for due check-ins.
    #[serde(serialize_with = "secs::one")]
    pub poll: Duration,
    /// The shortest interval a user may choose.
    pub min_every_minutes: u32,
    /// The interval of `/heartbeat on` when the user names none.
    pub default_every_minutes: u32,
    /// The instruction the personality gets at a check-in (it may answer `[silent]`).
    pub prompt: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Storage {
    /// One process; SQLite file `<data_dir>/switchboard.sqlite` for users, history, usage and the
    /// queue journal; scheduling in memory.
    Embedded { data_dir: PathBuf },
    /// Everything in Redis; any number of processes.
    Redis { url: Secret, namespace: String },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueConfig {
    /// Queue partitions (Redis mode; tenants are hashed to partitions).
    pub partitions: u32,
    /// How long a worker owns a job before it is reclaimed.
    #[serde(serialize_with = "secs::one")]
    pub lease: Duration,
    /// Tries before a failing job is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay after a failure; doubles per failure up to `retry_max`.
    #[serde(serialize_with = "secs::one")]
    pub retry_base: Duration,
    #[serde(serialize_with = "secs::one")]
    pub retry_max: Duration,
    /// How long a message id is remembered (redelivered messages make no second job).
    #[serde(serialize_with = "secs::one")]
    pub tombstone: Duration,
    /// Jobs one user may have in flight (1 keeps replies in order).
    pub user_in_flight: u32,
    /// Jobs one tenant may have in flight; 0 = unlimited.
    pub tenant_in_flight: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkersConfig {
    pub concurrency: usize,
    /// Messages a user sends while an earlier one waits are answered in one generation.
    pub coalesce: bool,
    /// How long shutdown waits for in-flight jobs before releasing them.
    #[serde(serialize_with = "secs::one")]
    pub shutdown_grace: Duration,
    /// Messages of history sent to the AI (and kept per conversation).
    pub max_context_messages: usize,
    /// Longest a typing indicator runs for one job.
    #[serde(serialize_with = "secs::one")]
    pub typing_max: Duration,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerConfig {
    /// Sliding window over which failures are counted.
    #[serde(serialize_with = "secs::one")]
    pub window: Duration,
    /// Calls in the window before the failure rate counts.
    pub min_calls: u32,
    /// Failure rate (0..1] that opens the breaker.
    pub failure_rate: f64,
    /// First open period; doubles each time it reopens, up to `max_open`.
    #[serde(serialize_with = "secs::one")]
    pub open_for: Duration,
    #[serde(serialize_with = "secs::one")]
    pub max_open: Duration,
}

/// Who may use a tenant's bots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Open,
    /// Only users listed as allowed (`users.<key>.allowed = true`) or approved by an admin.
    Allowlist,
    /// Anyone may ask (`/register`); guests get the guest quotas until an admin approves.
    Approval,
}

/// Limits. `None` is unlimited.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct Quotas {
    /// GCRA: sustained rate and burst.
    pub rate: Option<Rate>,
    pub requests_per_day: Option<u64>,
    pub tokens_per_day: Option<u64>,
    pub cost_per_month_usd: Option<f64>,
    /// Jobs waiting in the queue per user.
    pub max_queued: Option<u32>,
}

impl Quotas {
    /// `self` with every limit `other` sets replacing it.
    pub fn overlaid(&self, other: &QuotaOverride) -> Quotas {
        Quotas {
            rate: other.rate.clone().or_else(|| self.rate.clone()),
            requests_per_day: other.requests_per_day.or(self.requests_per_day),
            tokens_per_day: other.tokens_per_day.or(self.tokens_per_day),
            cost_per_month_usd: other.cost_per_month_usd.or(self.cost_per_month_usd),
            max_queued: other.max_queued.or(self.max_queued),
        }
    }
}

/// Limits a tenant or user sets on top of the defaults (absent = inherit).
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct QuotaOverride {
    pub rate: Option<Rate>,
    pub requests_per_day: Option<u64>,
    pub tokens_per_day: Option<u64>,
    pub cost_per_month_usd: Option<f64>,
    pub max_queued: Option<u32>,
}

/// `count` per `per`, with up to `burst` at once.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rate {
    pub count: u32,
    #[serde(serialize_with = "secs::one")]
    pub per: Duration,
    pub burst: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tenants {
    /// Explicit tenants, by name.
    pub named: BTreeMap<String, Tenant>,
    /// Scope rules in file order: the first whose pattern matches a scope key wins.
    pub rules: Vec<TenantRule>,
    /// Settings of tenants made on the fly for unmatched scopes (named by the scope key).
    pub defaults: Tenant,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenantRule {
    /// A scope key (`discord:guild:123`), or a prefix ending in `*` (`telegram:chat:*`).
    pub pattern: String,
    pub tenant: String,
}

impl TenantRule {
    pub fn matches(&self, scope_key: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => scope_key.starts_with(prefix),
            None => self.pattern == scope_key,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tenant {
    pub name: String,
    pub weight: f64,
    pub access: Access,
    /// Per-user defaults inside this tenant (over the global ones).
    pub user_quotas: QuotaOverride,
    /// Limits for the tenant as a whole.
    pub tenant_quotas: Quotas,
    /// Models this tenant's users may pick with `/model` (empty: any configured model).
    pub allowed_models: BTreeSet<String>,
    /// The personality answering DMs and chats that name none.
    pub default_personality: Option<String>,
    /// Jobs this tenant may have in flight; `None` = the queue default.
    pub in_flight: Option<u32>,
    /// Daily cost (USD) past which admins are told.
    pub cost_alert_usd: Option<f64>,
}

impl Tenants {
    /// A tenant by name (a job carries only the name): the configured one, or an automatic one
    /// with the defaults, as [`Tenants::resolve`] would have made it.
    pub fn by_name(&self, name: &str) -> Tenant {
        self.named.get(name).cloned().unwrap_or_else(|| Tenant {
            name: name.to_owned(),
            ..self.defaults.clone()
        })
    }

    /// The tenant for a scope key: the first matching rule's, or an automatic one named by the key.
    pub fn resolve(&self, scope_key: &str) -> Tenant {
        self.rules
            .iter()
            .find(|r| r.matches(scope_key))
            .and_then(|r| self.named.get(&r.tenant))
            .cloned()
            .unwrap_or_else(|| Tenant {
                name: scope_key.to_owned(),
                ..self.defaults.clone()
            })
    }
}

#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct UserOverride {
    pub weight: Option<f64>,
    pub banned: bool,
    /// Allowed in `Access::Allowlist` tenants.
    pub allowed: bool,
    pub quotas: QuotaOverride,
    pub in_flight: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// `/v1/chat/completions`: OpenAI, OpenRouter, Ollama, vLLM, llama.cpp server...
    OpenAi,
    /// `/v1/messages`.
    Anthropic,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    /// Up to the API version, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// From `api_key_env`; `None` when the variable is unset (a local server may need none).
    pub api_key: Option<Secret>,
    /// The variable named in config (for error messages).
    pub api_key_env: Option<String>,
    #[serde(serialize_with = "secs::one")]
    pub timeout: Duration,
    pub max_tokens: u32,
    /// Attempts per request for 429, 5xx and timeouts (1 = no retry).
    pub attempts: u32,
    pub models: BTreeMap<String, ModelPrice>,
}

/// USD per million tokens.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct ModelPrice {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Personalities {
    /// By name.
    pub all: BTreeMap<String, Personality>,
    /// Answers when nothing names a personality and the tenant has no default.
    pub default: String,
    /// The directory the files were read from (a reload watches it); `None` when given inline.
    pub dir: Option<PathBuf>,
}

impl Personalities {
    /// A personality by name or alias, case-insensitively.
    pub fn find(&self, name_or_alias: &str) -> Option<&Personality> {
        let want = name_or_alias.to_lowercase();
        self.all.values().find(|p| {
            p.name.to_lowercase() == want || p.aliases.iter().any(|a| a.to_lowercase() == want)
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Personality {
    pub name: String,
    pub avatar_url: Option<String>,
    pub system_prompt: String,
    pub provider: String,
    pub model: String,
    /// Other names that trigger it (`@alias ...`).
    pub aliases: Vec<String>,
    /// Identical requests are answered from cache for this long (None: no cache).
    #[serde(serialize_with = "secs::opt")]
    pub cache_ttl: Option<Duration>,
    /// Said, in character, when a user's requests keep failing.
    pub error_message: String,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct Platforms {
    pub telegram: Vec<TelegramBot>,
    pub discord: Option<DiscordConfig>,
}

pub use super::telegram::{EditedMessages, TelegramBot, TelegramWebhook};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiscordConfig {
    pub token: Option<Secret>,
    pub token_env: String,
    /// Replacement for `https://discord.com` (an HTTP proxy, or a test fake).
    pub api_base: Option<String>,
    pub webhooks_per_channel: u32,
    /// Shards the bot runs as in total (Discord's `shard[1]`).
    pub shard_count: u32,
    /// The shards this process connects (sorted, each below `shard_count`); several ingress
    /// processes split them.
    pub shard_ids: Vec<u32>,
}
