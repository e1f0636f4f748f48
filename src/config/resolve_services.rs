//! Resolving the outside services: `[providers.*]` (AI APIs and their priced models),
//! `[platforms]` (Telegram bots, Discord) and `[admin]` (the operators' HTTP server), with secrets
//! read from the variables they name.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::checks::{Cx, TimeUnit};
use super::env::Env;
use super::parse::Entries;
use super::path::KeyPath;
use super::raw::{RawAdmin, RawDiscord, RawProvider, RawProviderKind, RawTelegramBot};
use super::types::{
    AdminConfig, DiscordConfig, ModelPrice, Platforms, Provider, ProviderKind, Tenant,
};

pub(crate) fn providers(
    cx: &mut Cx<'_>,
    entries: &Entries<RawProvider>,
    env: &Env,
) -> BTreeMap<String, Provider> {
    let mut out = BTreeMap::new();
    for e in &entries.items {
        let raw = &e.raw;
        let p = |k: &str| e.path.key(k);
        cx.slug(&e.path, &e.name, 64);
        let (kind, default_url) = match raw.kind {
            RawProviderKind::OpenAi => (ProviderKind::OpenAi, "https://api.openai.com/v1"),
            RawProviderKind::Anthropic => (ProviderKind::Anthropic, "https://api.anthropic.com/v1"),
        };
        let base_url = match &raw.base_url {
            Some(url) => {
                cx.http_url(&p("base_url"), url);
                url.trim_end_matches('/').to_owned()
            }
            None => default_url.to_owned(),
        };
        if let Some(var) = &raw.api_key_env {
            cx.env_name(&p("api_key_env"), var);
        }
        let mut models = BTreeMap::new();
        for (model, price) in &raw.models {
            let at = p("models").key(model);
            if model.trim().is_empty() || model.chars().any(char::is_control) || model.len() > 200 {
                cx.err(
                    &at,
                    "a model name must be 1 to 200 characters without control characters",
                );
            }
            let price = ModelPrice {
                input_per_million: cx.usd(&at.key("input_per_million"), price.input_per_million),
                output_per_million: cx.usd(&at.key("output_per_million"), price.output_per_million),
            };
            models.insert(model.clone(), price);
        }
        let provider = Provider {
            name: e.name.clone(),
            kind,
            base_url,
            api_key: raw.api_key_env.as_deref().and_then(|v| env.secret(v)),
            api_key_env: raw.api_key_env.clone(),
            timeout: cx.duration(&p("timeout_secs"), raw.timeout_secs, TimeUnit::Secs),
            max_tokens: cx.range(&p("max_tokens"), raw.max_tokens, 1, 1_000_000),
            attempts: cx.range(&p("attempts"), raw.attempts, 1, 10),
            models,
        };
        out.insert(e.name.clone(), provider);
    }
    out
}

/// `tenants`: the named tenants, when all loaded (else bot tenants are not checked).
pub(crate) fn platforms(
    cx: &mut Cx<'_>,
    telegram: &Entries<RawTelegramBot>,
    discord: Option<&RawDiscord>,
    env: &Env,
    tenants: Option<&BTreeMap<String, Tenant>>,
) -> Platforms {
    let bots = super::telegram::resolve(cx, telegram, env, tenants);
    let discord = discord.map(|raw| {
        let p = |k: &str| KeyPath::of(&["platforms", "discord", k]);
        cx.env_name(&p("token_env"), &raw.token_env);
        if let Some(base) = &raw.api_base {
            cx.http_url(&p("api_base"), base);
        }
        let shard_count = cx.range(&p("shard_count"), raw.shard_count, 1, 4096);
        let shard_ids = match &raw.shard_ids {
            None => (0..shard_count).collect(),
            Some(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() {
                    cx.err(&p("shard_ids"), "needs at least one shard id");
                }
                if ids.windows(2).any(|w| w[1] != w[0] + 1) {
                    cx.err(
                        &p("shard_ids"),
                        "must be consecutive (one process runs one range of shards)",
                    );
                }
                if let Some(bad) = ids.iter().find(|&&id| id >= shard_count) {
                    cx.err(
                        &p("shard_ids"),
                        format!("shard id {bad} is not below shard_count ({shard_count})"),
                    );
                }
                ids
            }
        };
        DiscordConfig {
            token: env.secret(&raw.token_env),
            token_env: raw.token_env.clone(),
            api_base: raw
                .api_base
                .as_ref()
                .map(|b| b.trim_end_matches('/').to_owned()),
            webhooks_per_channel: cx.range(
                &p("webhooks_per_channel"),
                raw.webhooks_per_channel,
                1,
                15,
            ),
            shard_count,
            shard_ids,
        }
    });
    Platforms {
        telegram: bots,
        discord,
    }
}

/// `[admin]`: where the admin server listens (none: no server) and its bearer token's variable.
pub(crate) fn admin(cx: &mut Cx<'_>, raw: RawAdmin, env: &Env) -> AdminConfig {
    let p = |k: &str| KeyPath::of(&["admin", k]);
    cx.env_name(&p("token_env"), &raw.token_env);
    let listen = raw
        .listen
        .as_deref()
        .and_then(|l| match l.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                cx.err(
                    &p("listen"),
                    format!(
                        "must be an address and port like 127.0.0.1:9100 or [::1]:9100 (got {l:?})"
                    ),
                );
                None
            }
        });
    AdminConfig {
        listen,
        token: env.secret(&raw.token_env),
        token_env: raw.token_env,
    }
}
