//! What `switchboard check-config` prints: the resolved settings an operator cares about, with
//! every secret reduced to "set" or "missing".

use std::fmt::Write as _;

use super::{Access, Config, Storage};

fn secret_state<T>(s: &Option<T>) -> &'static str {
    if s.is_some() { "set" } else { "missing" }
}

pub fn summary(cfg: &Config) -> String {
    let mut out = String::new();
    let storage = match &cfg.storage {
        Storage::Embedded { data_dir } => format!("embedded (SQLite in {})", data_dir.display()),
        Storage::Redis { namespace, .. } => {
            format!("redis (namespace {namespace}; URL from config, not shown)")
        }
    };
    let _ = writeln!(out, "storage: {storage}");
    let q = &cfg.queue;
    let _ = writeln!(
        out,
        "queue: {} partition(s), lease {:?}, {} attempts, retry {:?}..{:?}, per-user in flight {}, per-tenant {}",
        q.partitions,
        q.lease,
        q.max_attempts,
        q.retry_base,
        q.retry_max,
        q.user_in_flight,
        if q.tenant_in_flight == 0 {
            "unlimited".to_owned()
        } else {
            q.tenant_in_flight.to_string()
        }
    );
    let w = &cfg.workers;
    let _ = writeln!(
        out,
        "workers: {} (coalesce {}), {} messages of context",
        w.concurrency, w.coalesce, w.max_context_messages
    );
    let _ = writeln!(out, "tenants:");
    for t in cfg.tenants.named.values() {
        let rules: Vec<&str> = cfg
            .tenants
            .rules
            .iter()
            .filter(|r| r.tenant == t.name)
            .map(|r| r.pattern.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  {} weight {} access {} matches [{}]",
            t.name,
            t.weight,
            access(t.access),
            rules.join(", ")
        );
    }
    let d = &cfg.tenants.defaults;
    let _ = writeln!(
        out,
        "  (other scopes) weight {} access {}",
        d.weight,
        access(d.access)
    );
    let _ = writeln!(out, "providers:");
    for p in cfg.providers.values() {
        let models: Vec<&str> = p.models.keys().map(String::as_str).collect();
        let key = match &p.api_key_env {
            Some(env) => format!("key from {env}: {}", secret_state(&p.api_key)),
            None => "no key".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {} ({:?}) {} [{}]; {key}",
            p.name,
            p.kind,
            p.base_url,
            models.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "personalities (default {}):",
        cfg.personalities.default
    );
    for p in cfg.personalities.all.values() {
        let _ = writeln!(out, "  {} -> {}/{}", p.name, p.provider, p.model);
    }
    let _ = writeln!(out, "platforms:");
    for b in &cfg.platforms.telegram {
        let _ = writeln!(
            out,
            "  telegram bot {} at {}; token from {}: {}",
            b.name,
            b.api_url,
            b.token_env,
            secret_state(&b.token)
        );
    }
    if let Some(d) = &cfg.platforms.discord {
        let _ = writeln!(
            out,
            "  discord; token from {}: {}",
            d.token_env,
            secret_state(&d.token)
        );
    }
    if cfg.platforms.telegram.is_empty() && cfg.platforms.discord.is_none() {
        let _ = writeln!(out, "  none (only `switchboard simulate` can run)");
    }
    let _ = writeln!(out, "admins: {}", cfg.admins.len());
    match cfg.admin.listen {
        Some(addr) => {
            let _ = writeln!(
                out,
                "admin server: {addr}; token from {}: {}",
                cfg.admin.token_env,
                secret_state(&cfg.admin.token)
            );
        }
        None => {
            let _ = writeln!(out, "admin server: off");
        }
    }
    out
}

fn access(a: Access) -> &'static str {
    match a {
        Access::Open => "open",
        Access::Allowlist => "allowlist",
        Access::Approval => "approval",
    }
}
