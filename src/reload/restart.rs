//! Which settings of a reloaded config a running service takes, and which only apply at the next
//! start: storage, the queue's shared settings (fixed when the queue was built), the number of
//! workers, whether this process schedules check-ins, the platforms (tokens, webhooks, shards)
//! and the admin server. Those keep their running values, and the reload names them as "needs
//! restart" instead of ignoring them silently. Everything else (tenants and their weights,
//! quotas, users, admins, personalities, providers and models, breaker, lease time...) applies to
//! the next job.

use crate::config::Config;

/// `new` as the running service can apply it, and the settings the file changed that need a
/// restart (dotted keys, in file order).
pub fn live_part(running: &Config, mut new: Config) -> (Config, Vec<&'static str>) {
    let mut restart = Vec::new();
    let mut note = |changed: bool, key: &'static str| {
        if changed {
            restart.push(key);
        }
    };
    note(new.storage != running.storage, "storage");
    let (n, r) = (&new.queue, &running.queue);
    note(n.partitions != r.partitions, "queue.partitions");
    note(n.max_attempts != r.max_attempts, "queue.max_attempts");
    note(n.retry_base != r.retry_base, "queue.retry_base_ms");
    note(n.retry_max != r.retry_max, "queue.retry_max_secs");
    note(n.tombstone != r.tombstone, "queue.tombstone_hours");
    note(n.user_in_flight != r.user_in_flight, "queue.user_in_flight");
    note(
        n.tenant_in_flight != r.tenant_in_flight,
        "queue.tenant_in_flight",
    );
    note(
        new.workers.concurrency != running.workers.concurrency,
        "workers.concurrency",
    );
    note(
        new.heartbeats.enabled != running.heartbeats.enabled,
        "heartbeats.enabled",
    );
    note(
        new.platforms.telegram != running.platforms.telegram,
        "platforms.telegram",
    );
    note(
        new.platforms.discord != running.platforms.discord,
        "platforms.discord",
    );
    note(new.admin != running.admin, "admin");

    new.storage = running.storage.clone();
    new.queue = crate::config::QueueConfig {
        lease: new.queue.lease,
        ..running.queue.clone()
    };
    new.workers.concurrency = running.workers.concurrency;
    new.heartbeats.enabled = running.heartbeats.enabled;
    new.platforms = running.platforms.clone();
    new.admin = running.admin.clone();
    (new, restart)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::config::{Env, Storage};

    fn base() -> Config {
        crate::config::load_embedded(
            include_str!("../../config/switchboard.toml"),
            Path::new("switchboard.toml"),
            &[
                (
                    "aria.toml",
                    include_str!("../../config/personalities/aria.toml"),
                ),
                (
                    "sage.toml",
                    include_str!("../../config/personalities/sage.toml"),
                ),
                (
                    "nova.toml",
                    include_str!("../../config/personalities/nova.toml"),
                ),
            ],
            &Env::empty(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn live_settings_apply_and_restart_ones_are_named_and_kept() {
        let running = base();
        let mut new = running.clone();
        new.tenants.named.get_mut("acme").unwrap().weight = 7.0;
        new.queue.lease = Duration::from_secs(30);
        new.queue.max_attempts = 9;
        new.workers.concurrency = 99;
        new.storage = Storage::Embedded {
            data_dir: "elsewhere".into(),
        };
        new.admin.listen = Some("127.0.0.1:1".parse().unwrap());
        let (applied, restart) = live_part(&running, new);
        assert_eq!(
            restart,
            vec![
                "storage",
                "queue.max_attempts",
                "workers.concurrency",
                "admin"
            ]
        );
        assert_eq!(applied.tenants.named["acme"].weight, 7.0, "live");
        assert_eq!(applied.queue.lease, Duration::from_secs(30), "live");
        assert_eq!(applied.queue.max_attempts, running.queue.max_attempts);
        assert_eq!(applied.workers.concurrency, running.workers.concurrency);
        assert_eq!(applied.storage, running.storage);
        assert_eq!(applied.admin, running.admin);
    }

    #[test]
    fn an_unchanged_file_needs_nothing() {
        let running = base();
        let (applied, restart) = live_part(&running, running.clone());
        assert!(restart.is_empty());
        assert_eq!(applied, running);
    }
}
