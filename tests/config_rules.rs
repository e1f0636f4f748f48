//! Every validation rule of the main file: a bad value gives an error naming the file, the line
//! the value is on (or the table it belongs in) and its dotted key, saying what is allowed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config_fixture;

use config_fixture::*;

#[test]
fn every_validation_rule_names_file_line_and_key() {
    // (main file text before the providers, key, text on the reported line, message fragment)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "[queue]\nlease_secs = 0\n",
            "queue.lease_secs",
            "lease_secs",
            "must be at least 1 second (got 0)",
        ),
        (
            "[queue]\npartitions = 0\n",
            "queue.partitions",
            "partitions",
            "at least 1",
        ),
        (
            "[queue]\nretry_base_ms = 9000\nretry_max_secs = 2\n",
            "queue.retry_max_secs",
            "retry_max_secs",
            "retry_base_ms",
        ),
        (
            "[queue]\ntombstone_hours = 100000\n",
            "queue.tombstone_hours",
            "tombstone",
            "at most",
        ),
        (
            "[workers]\nconcurrency = 0\n",
            "workers.concurrency",
            "concurrency",
            "at least 1",
        ),
        (
            "[workers]\ntyping_max_secs = 0\n",
            "workers.typing_max_secs",
            "typing",
            "at least 1 second",
        ),
        (
            "[breaker]\nfailure_rate = 0.0\n",
            "breaker.failure_rate",
            "failure_rate",
            "more than 0 and at most 1",
        ),
        (
            "[breaker]\nfailure_rate = 1.5\n",
            "breaker.failure_rate",
            "failure_rate",
            "more than 0 and at most 1",
        ),
        (
            "[tenant_defaults]\nweight = 0.0\n",
            "tenant_defaults.weight",
            "weight",
            "more than 0",
        ),
        (
            "[users.\"telegram:1\"]\nweight = 2000000.0\n",
            "users.\"telegram:1\".weight",
            "weight",
            "at most 1000000",
        ),
        (
            "[quotas]\nrate = \"20/week\"\n",
            "quotas.rate",
            "rate",
            "sec|min|hour|day",
        ),
        (
            "[quotas]\nrate = \"0/min\"\n",
            "quotas.rate",
            "rate",
            "at least 1",
        ),
        (
            "[quotas]\nburst = 0\n",
            "quotas.burst",
            "burst",
            "at least 1",
        ),
        (
            "[quotas.guest]\nburst = 0\n",
            "quotas.guest.burst",
            "burst",
            "at least 1",
        ),
        (
            "[users.\"telegram:1\".quotas]\nburst = 3\n",
            "users.\"telegram:1\".quotas.burst",
            "burst",
            "set rate beside burst",
        ),
        (
            "[platforms.discord]\nwebhooks_per_channel = 16\n",
            "platforms.discord.webhooks_per_channel",
            "webhooks",
            "at most 15",
        ),
        (
            "[platforms.discord]\nwebhooks_per_channel = 0\n",
            "platforms.discord.webhooks_per_channel",
            "webhooks",
            "at least 1",
        ),
        (
            "[platforms.discord]\nshard_count = 2\nshard_ids = [1, 2]\n",
            "platforms.discord.shard_ids",
            "shard_ids",
            "not below shard_count (2)",
        ),
        (
            "[platforms.discord]\nshard_count = 4\nshard_ids = [0, 2]\n",
            "platforms.discord.shard_ids",
            "shard_ids",
            "consecutive",
        ),
        (
            "[platforms.discord]\nshard_ids = []\n",
            "platforms.discord.shard_ids",
            "shard_ids",
            "at least one shard",
        ),
        (
            "[[tenants]]\nname = \"\"\n",
            "tenants[0].name",
            "name",
            "must not be empty",
        ),
        (
            "[[tenants]]\nname = \"a\\u0007b\"\n",
            "tenants[0].name",
            "name",
            "control characters",
        ),
        (
            "[[tenants]]\nname = \"discord:dm\"\n",
            "tenants[0].name",
            "name",
            "scope key",
        ),
        (
            "[[tenants]]\nmatch = [\"discord:guild:abc\"]\nname = \"t\"\n",
            "tenants[0].match[0]",
            "match",
            "not a scope pattern",
        ),
        (
            "[[tenants]]\nname = \"t\"\nmatch = [\"telegram:*:x\"]\n",
            "tenants[0].match[0]",
            "match",
            "not a scope pattern",
        ),
        (
            "[[tenants]]\nname = \"t\"\ndefault_personality = \"Nobody\"\n",
            "tenants[0].default_personality",
            "default_personality",
            "no personality named \"Nobody\"",
        ),
        (
            "[tenant_defaults]\nallowed_models = [\"gpt-5\"]\n",
            "tenant_defaults.allowed_models[0]",
            "allowed_models",
            "no provider lists model \"gpt-5\"",
        ),
        (
            "[tenant_defaults]\ncost_alert_usd = -1.0\n",
            "tenant_defaults.cost_alert_usd",
            "cost_alert",
            "more than 0",
        ),
        (
            "[users.\"slack:1\"]\nbanned = true\n",
            "users.\"slack:1\"",
            "slack",
            "not a user key",
        ),
        (
            "[users.\"telegram:abc\"]\nbanned = true\n",
            "users.\"telegram:abc\"",
            "telegram:abc",
            "not a user key",
        ),
        (
            "command_prefixes = [\"!\", \"go\"]\n",
            "command_prefixes[1]",
            "command_prefixes",
            "punctuation",
        ),
        (
            "[heartbeats]\nmin_every_minutes = 60\ndefault_every_minutes = 30\n",
            "heartbeats.default_every_minutes",
            "default_every_minutes",
            "min_every_minutes (60)",
        ),
        (
            "[heartbeats]\npoll_secs = 0\n",
            "heartbeats.poll_secs",
            "poll_secs",
            "at least 1 second",
        ),
        (
            "[heartbeats]\nprompt = \"  \"\n",
            "heartbeats.prompt",
            "prompt",
            "1 to 4000",
        ),
        (
            "admins = [\"telegram:1\", \"bob\"]\n",
            "admins[1]",
            "admins",
            "not a user key",
        ),
        (
            "[users.\"telegram:1\"]\nin_flight = 0\n",
            "users.\"telegram:1\".in_flight",
            "in_flight",
            "at least 1",
        ),
        (
            "[personalities]\ndefault = \"Nobody\"\n",
            "personalities.default",
            "default",
            "no personality named",
        ),
        (
            "[personalities]\ndir = \"nowhere\"\n",
            "personalities.dir",
            "dir",
            "cannot read",
        ),
        (
            "[storage]\nmode = \"redis\"\n",
            "storage.redis_url",
            "[storage]",
            "required when storage.mode = \"redis\"",
        ),
        (
            "[storage]\nmode = \"redis\"\nredis_url = \"http://u:hunter2@h\"\n",
            "storage.redis_url",
            "redis_url",
            "redis://",
        ),
        (
            "[storage]\nnamespace = \"a{b}\"\n",
            "storage.namespace",
            "namespace",
            "without {",
        ),
        (
            "[providers.local]\nbase_url = \"ftp://x\"\n",
            "providers.local.base_url",
            "base_url",
            "http:// or https://",
        ),
        (
            "[providers.local]\nbase_url = \"not a url\"\n",
            "providers.local.base_url",
            "base_url",
            "http:// or https://",
        ),
        (
            "[providers.Local]\nkind = \"openai\"\n",
            "providers.Local",
            "Local",
            "a-z, 0-9",
        ),
        (
            "[providers.local]\napi_key_env = \"MY KEY\"\n",
            "providers.local.api_key_env",
            "MY KEY",
            "environment variable",
        ),
        (
            "[providers.local]\nattempts = 0\n",
            "providers.local.attempts",
            "attempts",
            "at least 1",
        ),
        (
            "[providers.local.models.m]\ninput_per_million = -1.0\n",
            "providers.local.models.m.input_per_million",
            "-1.0",
            "0 or more",
        ),
        (
            "[[platforms.telegram]]\nname = \"Bad Name\"\n",
            "platforms.telegram[0].name",
            "name",
            "a-z, 0-9",
        ),
        (
            "[[platforms.telegram]]\nname = \"a\"\ntoken_env = \"A\"\n[[platforms.telegram]]\nname = \"a\"\ntoken_env = \"B\"\n",
            "platforms.telegram[1].name",
            "name = \"a\"\ntoken_env = \"B\"",
            "already defined",
        ),
        (
            "[[platforms.telegram]]\nname = \"a\"\n[[platforms.telegram]] # second\nname = \"b\"\n",
            "platforms.telegram[1].token_env",
            "# second",
            "each bot needs its own token",
        ),
        (
            "[[platforms.telegram]]\nname = \"a\"\napi_url = \"telegram\"\n",
            "platforms.telegram[0].api_url",
            "api_url",
            "http:// or https://",
        ),
        (
            "[[platforms.telegram]]\nname = \"a\"\ntenant = \"ghost\"\n",
            "platforms.telegram[0].tenant",
            "tenant",
            "no tenant named \"ghost\"",
        ),
        (
            "[[platforms.telegram]]\nname = \"a\"\nmax_document_kb = 0\n",
            "platforms.telegram[0].max_document_kb",
            "max_document_kb",
            "at least 1",
        ),
        (
            "[[platforms.telegram]]\nname = \"a\"\n[platforms.telegram.webhook]\nurl = \"http://bot.example.com/hook\"\nlisten = \"127.0.0.1:8443\"\n",
            "platforms.telegram[0].webhook.url",
            "url = ",
            "public https:// URL",
        ),
        (
            "[[platforms.telegram]]\nname = \"a\"\n[platforms.telegram.webhook]\nurl = \"https://bot.example.com/hook\"\nlisten = \"localhost\"\n",
            "platforms.telegram[0].webhook.listen",
            "listen",
            "address and port",
        ),
        (
            "[platforms.discord]\napi_base = \"localhost:9000\"\n",
            "platforms.discord.api_base",
            "api_base",
            "http:// or https://",
        ),
        (
            "[admin]\nlisten = \"localhost\"\n",
            "admin.listen",
            "listen",
            "address and port",
        ),
        (
            "[admin]\ntoken_env = \"ADMIN-TOKEN\"\n",
            "admin.token_env",
            "token_env",
            "environment variable",
        ),
    ];
    for (main, key, on_line, fragment) in cases {
        let f = Fixture::with(main);
        let errors = f.errors(&[]);
        let line = f.line(on_line, 0);
        has(&errors, &f.path(), Some(line), key, fragment);
    }
}

#[test]
fn duplicate_tenant_names_and_patterns() {
    let f = Fixture::with(
        "[[tenants]]\nname = \"t\"\nmatch = [\"discord:dm\"]\n[[tenants]]\nname = \"t\"\nmatch = [\"discord:dm\"]\n",
    );
    let errors = f.errors(&[]);
    has(
        &errors,
        &f.path(),
        Some(f.line("name = \"t\"", 1)),
        "tenants[1].name",
        "already defined by tenants[0]",
    );
    has(
        &errors,
        &f.path(),
        Some(f.line("match", 1)),
        "tenants[1].match[0]",
        "already matched by tenant \"t\"",
    );
    let long = format!("[[tenants]]\nname = \"{}\"\n", "x".repeat(101));
    let f = Fixture::with(&long);
    has(
        &f.errors(&[]),
        &f.path(),
        Some(f.line("name", 0)),
        "tenants[0].name",
        "at most 100 characters",
    );
}
