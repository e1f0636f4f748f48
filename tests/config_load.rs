//! Loading good configuration: the shipped example, defaults for absent sections, tenant
//! inheritance and rule resolution, secrets from the environment, and the string entry points.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config_fixture;

use std::path::{Path, PathBuf};
use std::time::Duration;

use switchboard::config::{self, Access, ConfigError, Env, ProviderKind, Rate, Storage};

use config_fixture::*;

#[test]
fn shipped_example_loads_with_no_environment() {
    let c = config::load_with_env(&shipped(), &Env::empty()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.source, shipped());
    assert!(matches!(c.storage, Storage::Embedded { .. }));
    for name in ["Aria", "Sage", "Nova"] {
        let p = &c.personalities.all[name];
        assert_eq!(
            (p.provider.as_str(), p.model.as_str()),
            ("openai", "gpt-4o-mini")
        );
        assert!(!p.system_prompt.trim().is_empty());
    }
    assert_eq!(c.personalities.default, "Aria");
    assert_eq!(c.command_prefixes, vec!["/".to_owned(), "!".to_owned()]);
    let openai = &c.providers["openai"];
    assert_eq!(openai.kind, ProviderKind::OpenAi);
    assert!(openai.api_key.is_none(), "no environment: no key");
    assert!(openai.models["gpt-4o-mini"].input_per_million > 0.0);
    let anthropic = &c.providers["anthropic"];
    assert_eq!(anthropic.kind, ProviderKind::Anthropic);
    assert!(
        anthropic
            .models
            .values()
            .all(|p| p.output_per_million > 0.0)
    );
    assert_eq!(
        c.tenants.resolve("discord:guild:123456789012345678").name,
        "acme"
    );
    assert_eq!(c.tenants.resolve("telegram:private").name, "telegram-dms");
    assert_eq!(c.tenants.resolve("sim:t1").name, "simulation");
    assert_eq!(c.platforms.telegram[0].token, None);
    assert!(c.platforms.discord.is_some());
    assert_eq!(c.admin.listen, None, "no admin server unless asked for");
    assert_eq!(c.admin.token_env, "SWITCHBOARD_ADMIN_TOKEN");
}

#[test]
fn shipped_example_documents_every_key_of_the_main_sections() {
    // Sections whose every key must have its own comment right above it.
    let documented = [
        "",
        "[storage]",
        "[queue]",
        "[workers]",
        "[breaker]",
        "[heartbeats]",
        "[quotas]",
        "[tenant_defaults]",
        "[users.\"telegram:42\"]",
        "[providers.openai]",
        "[personalities]",
        "[[platforms.telegram]]",
        "[platforms.discord]",
        "[admin]",
    ];
    let text = std::fs::read_to_string(shipped()).unwrap();
    let mut section = "";
    let mut previous = "";
    let mut seen = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('[') {
            section = line;
            seen.push(line);
        } else if line.contains(" = ") && !line.starts_with('#') && documented.contains(&section) {
            assert!(
                previous.starts_with('#'),
                "line {}: {line:?} in {section} has no comment above",
                i + 1
            );
        }
        previous = line;
    }
    for header in &documented[1..] {
        assert!(seen.contains(header), "{header} is not in the example");
    }
}

#[test]
fn defaults_when_sections_are_absent() {
    let f = Fixture::new(PROVIDERS, &[("aria.toml", ARIA)]);
    let c = f.load(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.storage,
        Storage::Embedded {
            data_dir: PathBuf::from("data")
        }
    );
    assert_eq!(c.queue.partitions, 1);
    assert_eq!(c.queue.lease, Duration::from_secs(120));
    assert_eq!(c.queue.retry_base, Duration::from_millis(2000));
    assert_eq!(c.queue.tombstone, Duration::from_secs(24 * 3600));
    assert_eq!((c.queue.user_in_flight, c.queue.tenant_in_flight), (1, 0));
    assert_eq!(
        (
            c.workers.concurrency,
            c.workers.coalesce,
            c.workers.max_context_messages
        ),
        (16, true, 30)
    );
    assert_eq!((c.breaker.min_calls, c.breaker.failure_rate), (4, 0.5));
    assert_eq!(c.breaker.max_open, Duration::from_secs(600));
    let minute = Duration::from_secs(60);
    assert_eq!(
        c.quotas.rate,
        Some(Rate {
            count: 20,
            per: minute,
            burst: 5
        })
    );
    assert_eq!(c.quotas.requests_per_day, Some(500));
    assert_eq!(c.quotas.cost_per_month_usd, Some(10.0));
    assert_eq!(
        c.guest_quotas.rate,
        Some(Rate {
            count: 5,
            per: minute,
            burst: 2
        })
    );
    assert_eq!(c.guest_quotas.max_queued, Some(2));
    assert_eq!(c.tenants.defaults.weight, 1.0);
    assert_eq!(c.tenants.defaults.access, Access::Open);
    assert!(c.tenants.rules.is_empty() && c.users.is_empty() && c.admins.is_empty());
    assert_eq!(c.command_prefixes, vec!["/".to_owned()]);
    assert!(c.heartbeats.enabled);
    assert_eq!(c.heartbeats.poll, Duration::from_secs(15));
    assert_eq!(
        (
            c.heartbeats.min_every_minutes,
            c.heartbeats.default_every_minutes
        ),
        (30, 240)
    );
    assert!(c.heartbeats.prompt.contains("[silent]"));
    assert_eq!(
        c.personalities.default, "Aria",
        "the only personality is the default"
    );
    let p = &c.personalities.all["Aria"];
    assert!(
        p.error_message.contains("Aria"),
        "default error message is in character"
    );
    assert_eq!(p.cache_ttl, None);
    assert!(c.platforms.telegram.is_empty() && c.platforms.discord.is_none());
    let openai = &c.providers["openai"];
    assert_eq!(
        (openai.base_url.as_str(), openai.timeout, openai.attempts),
        ("https://api.openai.com/v1", Duration::from_secs(60), 3)
    );
}

#[test]
fn tenants_inherit_defaults_and_resolve_by_first_matching_rule() {
    let f = Fixture::with(
        r#"
[tenant_defaults]
access = "approval"
weight = 0.5
default_personality = "ari"
[tenant_defaults.user_quotas]
rate = "3/min"

[[tenants]]
name = "guild"
match = ["discord:guild:1"]
weight = 4.0

[[tenants]]
name = "groups"
match = ["telegram:chat:*", "discord:guild:1*"]
access = "open"

[[tenants]]
name = "shadowed"
match = ["telegram:chat:5"]
"#,
    );
    let c = f.load(&[]).unwrap_or_else(|e| panic!("{e}"));
    let t = &c.tenants;
    let guild = t.resolve("discord:guild:1");
    assert_eq!(
        (guild.name.as_str(), guild.weight, guild.access),
        ("guild", 4.0, Access::Approval)
    );
    assert_eq!(
        guild.default_personality.as_deref(),
        Some("Aria"),
        "alias resolved to the name"
    );
    assert_eq!(guild.user_quotas.rate.as_ref().map(|r| r.count), Some(3));
    assert_eq!(t.resolve("discord:guild:12").name, "groups", "prefix rule");
    assert_eq!(
        t.resolve("telegram:chat:5").name,
        "groups",
        "first rule wins"
    );
    let auto = t.resolve("discord:guild:999");
    assert_eq!(
        (auto.name.as_str(), auto.weight, auto.access),
        ("discord:guild:999", 0.5, Access::Approval)
    );
    assert_eq!(t.resolve("telegram:private").name, "telegram:private");
}

#[test]
fn secrets_come_from_the_environment_and_never_show_in_debug() {
    let f = Fixture::with(
        "[[platforms.telegram]]\nname = \"bot\"\ntoken_env = \"TG_TOKEN\"\nedited = \"answer\"\n[platforms.telegram.webhook]\nurl = \"https://bot.example.com/tg\"\nlisten = \"127.0.0.1:8443\"\nsecret_token_env = \"TG_HOOK\"\n[platforms.discord]\ntoken_env = \"DC_TOKEN\"\n[admin]\nlisten = \"127.0.0.1:9100\"\ntoken_env = \"ADM\"\n",
    );
    let c = f
        .load(&[
            ("OPENAI_API_KEY", "sk-secret-1"),
            ("TG_TOKEN", "123:secret-2"),
            ("DC_TOKEN", "secret-3"),
            ("TG_HOOK", "hook-secret-4"),
            ("ADM", "admin-secret-5"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.providers["openai"].api_key.as_ref().map(|s| s.expose()),
        Some("sk-secret-1")
    );
    assert_eq!(
        c.platforms.telegram[0].token.as_ref().map(|s| s.expose()),
        Some("123:secret-2")
    );
    let discord = c.platforms.discord.as_ref().unwrap();
    assert_eq!(discord.token.as_ref().map(|s| s.expose()), Some("secret-3"));
    let tg = &c.platforms.telegram[0];
    assert_eq!(tg.edited, switchboard::config::EditedMessages::Answer);
    assert_eq!(tg.max_document_bytes, 256 * 1024);
    let hook = tg.webhook.as_ref().unwrap();
    assert_eq!(hook.listen.port(), 8443);
    assert_eq!(
        hook.secret.as_ref().map(|s| s.expose()),
        Some("hook-secret-4")
    );
    assert_eq!(c.admin.listen, Some("127.0.0.1:9100".parse().unwrap()));
    assert_eq!(
        c.admin.token.as_ref().map(|s| s.expose()),
        Some("admin-secret-5")
    );
    // Debug (logs) and the serialized form (the admin API's /api/config) both redact.
    let shown = format!("{c:?}");
    let json = serde_json::to_string(&c).unwrap();
    for secret in [
        "sk-secret-1",
        "secret-2",
        "secret-3",
        "hook-secret-4",
        "admin-secret-5",
    ] {
        assert!(!shown.contains(secret), "Debug shows {secret}");
        assert!(!json.contains(secret), "JSON shows {secret}");
    }
    assert!(json.contains(r#""token":"***""#), "{json}");
    assert!(
        json.contains(r#""lease":120.0"#),
        "durations in seconds: {json}"
    );
    assert!(
        shown.contains("OPENAI_API_KEY"),
        "the variable name may show"
    );

    let c = f.load(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.providers["openai"].api_key.is_none());
    assert!(c.platforms.telegram[0].token.is_none());
    assert_eq!(c.platforms.telegram[0].token_env, "TG_TOKEN");
    assert!(c.admin.token.is_none());
}

#[test]
fn load_str_and_embedded_personalities() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("personalities")).unwrap();
    std::fs::write(dir.path().join("personalities/aria.toml"), ARIA).unwrap();
    let source = Path::new("embedded.toml");
    let c = config::load_str(PROVIDERS, source, dir.path(), &Env::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.source, source);
    assert_eq!(c.personalities.default, "Aria");

    let main = format!("{PROVIDERS}[personalities]\ndefault = \"Sage\"\n");
    let given = [("aria.toml", ARIA), ("sage.toml", SAGE)];
    let c = config::load_embedded(&main, source, &given, &Env::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.personalities.all.len(), 2);
    assert_eq!(c.personalities.default, "Sage");
    let errors = config::load_embedded(&main, source, &[("aria.toml", "name = 1")], &Env::empty())
        .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e: &ConfigError| e.file == Path::new("aria.toml") && e.line == Some(1)),
        "{errors}"
    );
}
