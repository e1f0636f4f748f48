//! Resolving the runtime sections: `[storage]`, `[queue]`, `[workers]`, `[breaker]`,
//! `[heartbeats]` and `command_prefixes`, with their ranges checked and durations made
//! `Duration`s.

use super::checks::{Cx, TimeUnit};
use super::path::KeyPath;
use super::raw::{RawBreaker, RawHeartbeats, RawQueue, RawStorage, RawWorkers, StorageMode};
use super::types::{BreakerConfig, HeartbeatsConfig, QueueConfig, Secret, Storage, WorkersConfig};

/// Queue partitions allowed (each is a set of keys in Redis).
const MAX_PARTITIONS: u32 = 1024;
/// Most worker tasks.
const MAX_CONCURRENCY: u32 = 100_000;
/// Longest check-in interval: 30 days.
const MAX_EVERY_MINUTES: u32 = 30 * 24 * 60;

pub(crate) fn storage(cx: &mut Cx<'_>, raw: RawStorage) -> Storage {
    let p = |k: &str| KeyPath::of(&["storage", k]);
    let ns = &raw.namespace;
    if ns.is_empty()
        || ns.len() > 64
        || ns
            .chars()
            .any(|c| c == '{' || c == '}' || c.is_whitespace() || c.is_control())
    {
        cx.err(
            &p("namespace"),
            format!("must be 1 to 64 characters without {{ }}, spaces or control characters (got {ns:?})"),
        );
    }
    match raw.mode {
        StorageMode::Embedded => {
            if raw.data_dir.as_os_str().is_empty() {
                cx.err(
                    &p("data_dir"),
                    "must not be empty (the default is \"data\")",
                );
            }
            Storage::Embedded {
                data_dir: raw.data_dir,
            }
        }
        StorageMode::Redis => {
            let url = match raw.redis_url {
                Some(url) => url,
                None => {
                    cx.err(&p("redis_url"), "required when storage.mode = \"redis\"");
                    String::new()
                }
            };
            if !url.is_empty() {
                check_redis_url(cx, &p("redis_url"), &url);
            }
            Storage::Redis {
                url: Secret::new(url),
                namespace: raw.namespace,
            }
        }
    }
}

/// Checks a Redis URL without ever echoing it (it may hold a password).
fn check_redis_url(cx: &mut Cx<'_>, path: &KeyPath, url: &str) {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "redis" | "rediss" | "unix" | "redis+unix") => {}
        Ok(u) => cx.err(
            path,
            format!(
                "must be a redis://, rediss:// or unix:// URL (got scheme {:?})",
                u.scheme()
            ),
        ),
        Err(e) => cx.err(
            path,
            format!("must be a redis:// URL like redis://127.0.0.1:6379 ({e})"),
        ),
    }
}

pub(crate) fn queue(cx: &mut Cx<'_>, raw: RawQueue) -> QueueConfig {
    let p = |k: &str| KeyPath::of(&["queue", k]);
    let retry_base = cx.duration(&p("retry_base_ms"), raw.retry_base_ms, TimeUnit::Millis);
    let retry_max = cx.duration(&p("retry_max_secs"), raw.retry_max_secs, TimeUnit::Secs);
    if raw.retry_base_ms > 0 && raw.retry_max_secs > 0 && retry_max < retry_base {
        cx.err(
            &p("retry_max_secs"),
            format!(
                "must not be less than queue.retry_base_ms ({} ms) (got {} s)",
                raw.retry_base_ms, raw.retry_max_secs
            ),
        );
    }
    QueueConfig {
        partitions: cx.range(&p("partitions"), raw.partitions, 1, MAX_PARTITIONS),
        lease: cx.duration(&p("lease_secs"), raw.lease_secs, TimeUnit::Secs),
        max_attempts: cx.range(&p("max_attempts"), raw.max_attempts, 1, 1000),
        retry_base,
        retry_max,
        tombstone: cx.duration(&p("tombstone_hours"), raw.tombstone_hours, TimeUnit::Hours),
        user_in_flight: cx.range(&p("user_in_flight"), raw.user_in_flight, 1, 1000),
        tenant_in_flight: raw.tenant_in_flight,
    }
}

pub(crate) fn workers(cx: &mut Cx<'_>, raw: RawWorkers) -> WorkersConfig {
    let p = |k: &str| KeyPath::of(&["workers", k]);
    WorkersConfig {
        concurrency: cx.range(&p("concurrency"), raw.concurrency, 1, MAX_CONCURRENCY) as usize,
        coalesce: raw.coalesce,
        shutdown_grace: cx.duration(
            &p("shutdown_grace_secs"),
            raw.shutdown_grace_secs,
            TimeUnit::Secs,
        ),
        max_context_messages: cx.range(
            &p("max_context_messages"),
            raw.max_context_messages,
            1,
            10_000,
        ) as usize,
        typing_max: cx.duration(&p("typing_max_secs"), raw.typing_max_secs, TimeUnit::Secs),
    }
}

pub(crate) fn breaker(cx: &mut Cx<'_>, raw: RawBreaker) -> BreakerConfig {
    let p = |k: &str| KeyPath::of(&["breaker", k]);
    let rate = raw.failure_rate;
    if !(rate > 0.0 && rate <= 1.0) {
        cx.err(
            &p("failure_rate"),
            format!("must be more than 0 and at most 1 (got {rate})"),
        );
    }
    let open_for = cx.duration(&p("open_secs"), raw.open_secs, TimeUnit::Secs);
    let max_open = cx.duration(&p("max_open_secs"), raw.max_open_secs, TimeUnit::Secs);
    if raw.open_secs > 0 && raw.max_open_secs > 0 && max_open < open_for {
        cx.err(
            &p("max_open_secs"),
            format!(
                "must not be less than breaker.open_secs ({}) (got {})",
                raw.open_secs, raw.max_open_secs
            ),
        );
    }
    BreakerConfig {
        window: cx.duration(&p("window_secs"), raw.window_secs, TimeUnit::Secs),
        min_calls: cx.range(&p("min_calls"), raw.min_calls, 1, 1_000_000),
        failure_rate: rate,
        open_for,
        max_open,
    }
}

pub(crate) fn heartbeats(cx: &mut Cx<'_>, raw: RawHeartbeats) -> HeartbeatsConfig {
    let p = |k: &str| KeyPath::of(&["heartbeats", k]);
    let poll = cx.duration(&p("poll_secs"), raw.poll_secs, TimeUnit::Secs);
    let min = cx.range(
        &p("min_every_minutes"),
        raw.min_every_minutes,
        1,
        MAX_EVERY_MINUTES,
    );
    let default = cx.range(
        &p("default_every_minutes"),
        raw.default_every_minutes,
        1,
        MAX_EVERY_MINUTES,
    );
    if default < min {
        cx.err(
            &p("default_every_minutes"),
            format!("must not be less than heartbeats.min_every_minutes ({min}) (got {default})"),
        );
    }
    if raw.prompt.trim().is_empty() || raw.prompt.chars().count() > 4000 {
        cx.err(&p("prompt"), "must be 1 to 4000 characters");
    }
    HeartbeatsConfig {
        enabled: raw.enabled,
        poll,
        min_every_minutes: min,
        default_every_minutes: default,
        prompt: raw.prompt,
    }
}

/// `command_prefixes`: `/` always works; each extra prefix is 1 to 3 punctuation characters.
pub(crate) fn command_prefixes(cx: &mut Cx<'_>, raw: &[String]) -> Vec<String> {
    let path = KeyPath::of(&["command_prefixes"]);
    let mut out = vec!["/".to_owned()];
    for (i, prefix) in raw.iter().enumerate() {
        let n = prefix.chars().count();
        if !(1..=3).contains(&n) || !prefix.chars().all(|c| c.is_ascii_punctuation()) {
            cx.err(
                &path.index(i),
                format!(
                    "must be 1 to 3 punctuation characters such as \"!\" or \".\" (got {prefix:?})"
                ),
            );
        } else if !out.contains(prefix) {
            out.push(prefix.clone());
        }
    }
    out
}
