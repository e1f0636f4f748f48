//! The file as written: serde structs mirroring `switchboard.toml` and personality files, every
//! table `deny_unknown_fields`. Defaults that never depend on other settings live here; the rest
//! (inheritance, cross references, ranges) is `resolve*`'s job. Every key is documented, with
//! its default, where operators read about it: `config/switchboard.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::values::{Limit, RateSpec};

/// `storage.mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StorageMode {
    #[default]
    Embedded,
    Redis,
}

/// `[storage]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawStorage {
    pub mode: StorageMode,
    pub data_dir: PathBuf,
    pub redis_url: Option<String>,
    pub namespace: String,
}

impl Default for RawStorage {
    fn default() -> Self {
        Self {
            mode: StorageMode::Embedded,
            data_dir: PathBuf::from("data"),
            redis_url: None,
            namespace: "switchboard".into(),
        }
    }
}

/// `[queue]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawQueue {
    pub partitions: u32,
    pub lease_secs: u64,
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_max_secs: u64,
    pub tombstone_hours: u64,
    pub user_in_flight: u32,
    pub tenant_in_flight: u32,
}

impl Default for RawQueue {
    fn default() -> Self {
        Self {
            partitions: 1,
            lease_secs: 120,
            max_attempts: 5,
            retry_base_ms: 2000,
            retry_max_secs: 300,
            tombstone_hours: 24,
            user_in_flight: 1,
            tenant_in_flight: 0,
        }
    }
}

/// `[workers]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawWorkers {
    pub concurrency: u32,
    pub coalesce: bool,
    pub shutdown_grace_secs: u64,
    pub max_context_messages: u32,
    pub typing_max_secs: u64,
}

impl Default for RawWorkers {
    fn default() -> Self {
        Self {
            concurrency: 16,
            coalesce: true,
            shutdown_grace_secs: 20,
            max_context_messages: 30,
            typing_max_secs: 120,
        }
    }
}

/// `[heartbeats]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawHeartbeats {
    pub enabled: bool,
    pub poll_secs: u64,
    pub min_every_minutes: u32,
    pub default_every_minutes: u32,
    pub prompt: String,
}

impl Default for RawHeartbeats {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_secs: 15,
            min_every_minutes: 30,
            default_every_minutes: 240,
            prompt: DEFAULT_HEARTBEAT_PROMPT.to_owned(),
        }
    }
}

/// What a personality is told when a check-in is due.
pub(crate) const DEFAULT_HEARTBEAT_PROMPT: &str = "(Scheduled check-in: nobody wrote just now. \
If there is something worth saying to the user, such as a follow-up on what they told you or a \
friendly word, say it briefly. If not, answer exactly [silent] and nothing is sent.)";

/// `[breaker]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawBreaker {
    pub window_secs: u64,
    pub min_calls: u32,
    pub failure_rate: f64,
    pub open_secs: u64,
    pub max_open_secs: u64,
}

impl Default for RawBreaker {
    fn default() -> Self {
        Self {
            window_secs: 60,
            min_calls: 4,
            failure_rate: 0.5,
            open_secs: 30,
            max_open_secs: 600,
        }
    }
}

/// Per-user limits; in `[quotas]` absent keys take the documented defaults, in overrides absent
/// keys inherit.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawQuotaFields {
    pub rate: Option<RateSpec>,
    pub burst: Option<u32>,
    pub requests_per_day: Option<Limit<u64>>,
    pub tokens_per_day: Option<Limit<u64>>,
    pub cost_per_month_usd: Option<Limit<f64>>,
    pub max_queued: Option<Limit<u32>>,
}

/// `[quotas]`: the per-user defaults, with the guest limits nested.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawQuotas {
    pub rate: Option<RateSpec>,
    pub burst: Option<u32>,
    pub requests_per_day: Option<Limit<u64>>,
    pub tokens_per_day: Option<Limit<u64>>,
    pub cost_per_month_usd: Option<Limit<f64>>,
    pub max_queued: Option<Limit<u32>>,
    pub guest: Option<RawQuotaFields>,
}

impl RawQuotas {
    /// The user defaults without the guest table.
    pub fn user_fields(&self) -> RawQuotaFields {
        RawQuotaFields {
            rate: self.rate,
            burst: self.burst,
            requests_per_day: self.requests_per_day,
            tokens_per_day: self.tokens_per_day,
            cost_per_month_usd: self.cost_per_month_usd,
            max_queued: self.max_queued,
        }
    }
}

/// Limits on a tenant as a whole (absent = unlimited).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawTenantQuotas {
    pub rate: Option<RateSpec>,
    pub burst: Option<u32>,
    pub requests_per_day: Option<Limit<u64>>,
    pub tokens_per_day: Option<Limit<u64>>,
    pub cost_per_month_usd: Option<Limit<f64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccessMode {
    Open,
    Allowlist,
    Approval,
}

/// `[tenant_defaults]`, and the same keys in `[[tenants]]` (absent: inherited).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawTenantSettings {
    pub weight: Option<f64>,
    pub access: Option<AccessMode>,
    pub default_personality: Option<String>,
    pub allowed_models: Option<Vec<String>>,
    pub in_flight: Option<u32>,
    pub cost_alert_usd: Option<f64>,
    pub user_quotas: Option<RawQuotaFields>,
    pub quotas: Option<RawTenantQuotas>,
}

/// One `[[tenants]]` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenant {
    pub name: String,
    #[serde(rename = "match", default)]
    pub matches: Vec<String>,
    pub weight: Option<f64>,
    pub access: Option<AccessMode>,
    pub default_personality: Option<String>,
    pub allowed_models: Option<Vec<String>>,
    pub in_flight: Option<u32>,
    pub cost_alert_usd: Option<f64>,
    pub user_quotas: Option<RawQuotaFields>,
    pub quotas: Option<RawTenantQuotas>,
}

impl RawTenant {
    /// The settings this entry sets.
    pub fn settings(&self) -> RawTenantSettings {
        RawTenantSettings {
            weight: self.weight,
            access: self.access,
            default_personality: self.default_personality.clone(),
            allowed_models: self.allowed_models.clone(),
            in_flight: self.in_flight,
            cost_alert_usd: self.cost_alert_usd,
            user_quotas: self.user_quotas.clone(),
            quotas: self.quotas.clone(),
        }
    }
}

/// `[users."<key>"]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawUser {
    pub weight: Option<f64>,
    pub banned: bool,
    pub allowed: bool,
    pub in_flight: Option<u32>,
    pub quotas: Option<RawQuotaFields>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawProviderKind {
    #[default]
    OpenAi,
    Anthropic,
}

/// `[providers.<name>]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawProvider {
    pub kind: RawProviderKind,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub timeout_secs: u64,
    pub max_tokens: u32,
    pub attempts: u32,
    pub models: BTreeMap<String, RawPrice>,
}

impl Default for RawProvider {
    fn default() -> Self {
        Self {
            kind: RawProviderKind::OpenAi,
            base_url: None,
            api_key_env: None,
            timeout_secs: 60,
            max_tokens: 1024,
            attempts: 3,
            models: BTreeMap::new(),
        }
    }
}

/// `[providers.<name>.models."<model>"]`: USD per million tokens (absent: free, e.g. local).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawPrice {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

/// `[personalities]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawPersonalities {
    pub dir: PathBuf,
    pub default: Option<String>,
}

impl Default for RawPersonalities {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("personalities"),
            default: None,
        }
    }
}

pub(crate) use super::telegram::RawTelegramBot;

/// `[platforms.discord]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawDiscord {
    pub token_env: String,
    pub api_base: Option<String>,
    pub webhooks_per_channel: u32,
    pub shard_count: u32,
    pub shard_ids: Option<Vec<u32>>,
}

impl Default for RawDiscord {
    fn default() -> Self {
        Self {
            token_env: "DISCORD_TOKEN".into(),
            api_base: None,
            webhooks_per_channel: 2,
            shard_count: 1,
            shard_ids: None,
        }
    }
}

/// `[admin]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawAdmin {
    pub listen: Option<String>,
    pub token_env: String,
}

impl Default for RawAdmin {
    fn default() -> Self {
        Self {
            listen: None,
            token_env: "SWITCHBOARD_ADMIN_TOKEN".into(),
        }
    }
}

/// A personality file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPersonality {
    pub name: String,
    pub avatar_url: Option<String>,
    pub provider: String,
    pub model: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub cache_ttl_secs: u64,
    pub error_message: Option<String>,
    pub system_prompt: String,
}
