//! `SWITCHBOARD_*` environment overrides: applied to scalars and nested map keys, and every mistake
//! reported against the variable that made it. The process environment is never touched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config_fixture;

use std::path::Path;
use std::time::Duration;

use switchboard::config::{self, Storage};

use config_fixture::*;

#[test]
fn environment_overrides_scalars_and_nested_map_keys() {
    let f = Fixture::with("[queue]\nlease_secs = 30\n[[tenants]]\nname = \"t\"\n");
    let c = f
        .load(&[
            ("SWITCHBOARD_QUEUE__LEASE_SECS", "60"),
            ("SWITCHBOARD_PROVIDERS__OPENAI__TIMEOUT_SECS", "5"),
            ("SWITCHBOARD_STORAGE__MODE", "redis"),
            (
                "SWITCHBOARD_STORAGE__REDIS_URL",
                "redis://:hunter2@10.0.0.1:6379",
            ),
            ("SWITCHBOARD_TENANTS__0__WEIGHT", "2.5"),
            ("SWITCHBOARD_ADMINS", "[\"telegram:7\"]"),
            ("SWITCHBOARD_WORKERS__COALESCE", "false"),
            ("SWITCHBOARD_CONFIG", "not an override"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.queue.lease, Duration::from_secs(60));
    assert_eq!(c.providers["openai"].timeout, Duration::from_secs(5));
    assert_eq!(c.tenants.named["t"].weight, 2.5);
    assert!(c.admins.contains("telegram:7"));
    assert!(!c.workers.coalesce);
    match &c.storage {
        Storage::Redis { url, namespace } => {
            assert_eq!(url.expose(), "redis://:hunter2@10.0.0.1:6379");
            assert_eq!(namespace, "switchboard");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !format!("{c:?}").contains("hunter2"),
        "Debug shows the redis password"
    );
}

#[test]
fn environment_mistakes_name_the_variable() {
    let f = Fixture::with("");
    let errors = f.errors(&[
        ("SWITCHBOARD_QUEUE__LEASE_SECS", "0"),
        ("SWITCHBOARD_QUEUE__LEASE_SEC", "60"),
        ("SWITCHBOARD_WORKERS__CONCURRENCY", "lots"),
        ("SWITCHBOARD_PROVIDERS__OPENIA__TIMEOUT_SECS", "5"),
        ("SWITCHBOARD_NOPE__X", "1"),
    ]);
    let env = |var: &str, fragment: &str| {
        let found = errors.iter().any(|e| {
            e.file == Path::new(config::ENVIRONMENT)
                && e.line.is_none()
                && e.key == var
                && e.message.contains(fragment)
        });
        assert!(
            found,
            "no environment error {var}: ...{fragment}... in:\n{errors}"
        );
    };
    env(
        "SWITCHBOARD_QUEUE__LEASE_SECS",
        "queue.lease_secs: must be at least 1 second (got 0)",
    );
    env(
        "SWITCHBOARD_QUEUE__LEASE_SEC",
        "queue.lease_sec: unknown key; expected one of partitions, lease_secs",
    );
    env(
        "SWITCHBOARD_WORKERS__CONCURRENCY",
        "wrong type: got string \"lots\"",
    );
    env(
        "SWITCHBOARD_PROVIDERS__OPENIA__TIMEOUT_SECS",
        "no entry `openia`",
    );
    env("SWITCHBOARD_NOPE__X", "nope: unknown key");
    assert!(
        errors.to_string().starts_with("environment: SWITCHBOARD_"),
        "{errors}"
    );
}
