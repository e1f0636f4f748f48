//! The configuration of a simulated run: the operator's config with the AI providers pointed at
//! the simulated AI server, the scenario's tenants and limits, the scenario's overrides, and
//! storage in a throwaway place (a temporary directory, or a fresh Redis namespace).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{
    Access, Config, ModelPrice, Provider, ProviderKind, Quotas, Rate, Secret, Storage, Tenant,
    TenantRule,
};

use super::scenario::Scenario;

pub const PROVIDER: &str = "sim";
pub const MODEL: &str = "sim-model";

/// Where one run keeps its data; removed by `cleanup`.
pub enum Place {
    Dir(tempfile::TempDir),
    Redis { url: String, namespace: String },
}

impl Place {
    pub fn new(storage: &super::SimStorage) -> std::io::Result<Place> {
        Ok(match storage {
            super::SimStorage::Embedded => Place::Dir(
                tempfile::Builder::new()
                    .prefix("switchboard-sim-")
                    .tempdir()?,
            ),
            super::SimStorage::Redis { url } => Place::Redis {
                url: url.clone(),
                namespace: format!("sim-{:08x}", rand::random::<u32>()),
            },
        })
    }

    fn storage(&self) -> Storage {
        match self {
            Place::Dir(d) => Storage::Embedded {
                data_dir: d.path().to_path_buf(),
            },
            Place::Redis { url, namespace } => Storage::Redis {
                url: Secret::new(url.clone()),
                namespace: namespace.clone(),
            },
        }
    }

    /// Removes the run's data.
    pub async fn cleanup(self) {
        if let Place::Redis { url, namespace } = self {
            let Ok(client) = redis::Client::open(url.as_str()) else {
                return;
            };
            let Ok(mut c) = client.get_multiplexed_async_connection().await else {
                return;
            };
            let mut cursor: u64 = 0;
            loop {
                let res: redis::RedisResult<(u64, Vec<String>)> = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(format!("*sb:{namespace}:*"))
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut c)
                    .await;
                let Ok((next, keys)) = res else { return };
                if !keys.is_empty() {
                    let _: redis::RedisResult<()> =
                        redis::cmd("UNLINK").arg(keys).query_async(&mut c).await;
                }
                if next == 0 {
                    return;
                }
                cursor = next;
            }
        }
    }
}

fn quotas(s: &Scenario) -> Quotas {
    let q = &s.quotas;
    Quotas {
        rate: q.rate_per_min.map(|n| Rate {
            count: n.max(1),
            per: Duration::from_secs(60),
            burst: q.burst.unwrap_or(1).max(1),
        }),
        requests_per_day: q.requests_per_day,
        tokens_per_day: None,
        cost_per_month_usd: None,
        max_queued: q.max_queued,
    }
}

pub fn build(base: &Config, s: &Scenario, ai_url: &str, place: &Place) -> Config {
    let mut cfg = base.clone();
    cfg.storage = place.storage();
    let provider = Provider {
        name: PROVIDER.into(),
        kind: ProviderKind::OpenAi,
        base_url: ai_url.to_owned(),
        api_key: None,
        api_key_env: None,
        timeout: Duration::from_secs(10),
        max_tokens: 256,
        attempts: 1,
        models: BTreeMap::from([(
            MODEL.to_owned(),
            ModelPrice {
                input_per_million: 0.5,
                output_per_million: 1.5,
            },
        )]),
    };
    cfg.providers = BTreeMap::from([(PROVIDER.to_owned(), provider)]);
    for p in cfg.personalities.all.values_mut() {
        p.provider = PROVIDER.into();
        p.model = MODEL.into();
    }
    cfg.tenants.named.clear();
    cfg.tenants.rules.clear();
    for t in &s.tenants {
        for name in t.names() {
            let tenant = Tenant {
                name: name.clone(),
                weight: t.weight,
                access: Access::Open,
                allowed_models: Default::default(),
                default_personality: None,
                in_flight: None,
                cost_alert_usd: None,
                user_quotas: Default::default(),
                tenant_quotas: Quotas::default(),
            };
            cfg.tenants.rules.push(TenantRule {
                pattern: format!("sim:{name}"),
                tenant: name.clone(),
            });
            cfg.tenants.named.insert(name, tenant);
        }
    }
    cfg.quotas = quotas(s);
    cfg.guest_quotas = quotas(s);
    cfg.users.clear();
    cfg.admins.clear();
    cfg.platforms = Default::default();
    let o = &s.overrides;
    if let Some(w) = o.workers {
        cfg.workers.concurrency = w.max(1);
    }
    if let Some(c) = o.coalesce {
        cfg.workers.coalesce = c;
    }
    if let Some(a) = o.max_attempts {
        cfg.queue.max_attempts = a.max(1);
    }
    if let Some(ms) = o.retry_base_ms {
        cfg.queue.retry_base = Duration::from_millis(ms);
    }
    if let Some(ms) = o.retry_max_ms {
        cfg.queue.retry_max = Duration::from_millis(ms);
    }
    if let Some(n) = o.breaker_min_calls {
        cfg.breaker.min_calls = n.max(1);
    }
    if let Some(ms) = o.breaker_open_ms {
        cfg.breaker.open_for = Duration::from_millis(ms);
    }
    if let Some(ms) = o.breaker_max_open_ms {
        cfg.breaker.max_open = Duration::from_millis(ms);
    }
    cfg
}
