//! Backends for the suite: a SQLite store in a temp dir, or a Redis store in a fresh random
//! namespace that is deleted when the case ends; plus a scan of everything a backend holds, for
//! checking that a forgotten user left nothing behind.

use std::path::PathBuf;

#[path = "../common/remnants.rs"]
mod remnants;
use std::sync::Arc;
use std::time::Duration;

use switchboard::store::{
    ConversationKey, RedisStore, Seen, SqliteStore, Store, UsageKind, UsageRecord, UserKey,
    UserStatus,
};

/// 2025-01-01T00:00:00Z in Unix milliseconds.
pub const JAN_1_2025_MS: u64 = 1_735_689_600_000;
pub const DAY_MS: u64 = 86_400_000;

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Connects, or decides to skip (outside CI) or fail (in CI) when Redis is unreachable.
pub fn redis_or_skip(what: &str) -> Option<redis::Client> {
    let url = redis_url();
    let reachable = redis::Client::open(url.as_str()).and_then(|c| {
        c.get_connection_with_timeout(Duration::from_secs(2))
            .map(|_| c)
    });
    match reachable {
        Ok(c) => Some(c),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and Redis at {url} is unreachable ({e}); Redis-backed tests must run")
        }
        Err(e) => {
            eprintln!(
                "skipping {what}: Redis at {url} unreachable ({e}); set REDIS_URL or start redis-server"
            );
            None
        }
    }
}

/// Which backend, and what the suite needs to inspect and clean it.
enum Kind {
    Sqlite {
        /// The database file, for scans.
        path: PathBuf,
        /// Deleted when the case ends.
        _dir: tempfile::TempDir,
    },
    Redis {
        /// A separate connection for scans and cleanup.
        client: redis::Client,
        /// `sb:<namespace>:`.
        prefix: String,
    },
}

pub struct Backend {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// Its backend; Redis namespaces are deleted on drop.
    kind: Kind,
}

impl Backend {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = SqliteStore::open(&path).await.unwrap();
        Self {
            store: Arc::new(store),
            kind: Kind::Sqlite { path, _dir: dir },
        }
    }

    pub async fn redis(case: &str) -> Option<Self> {
        let client = redis_or_skip(case)?;
        let ns = format!("test-{:016x}", rand::random::<u64>());
        let store = RedisStore::connect(&redis_url(), &ns).await.unwrap();
        Some(Self {
            store: Arc::new(store),
            kind: Kind::Redis {
                client,
                prefix: format!("sb:{ns}:"),
            },
        })
    }

    /// Every stored key, row or value that contains `needle` (as `where: what`).
    pub async fn remnants(&self, needle: &str) -> Vec<String> {
        match &self.kind {
            Kind::Sqlite { path, .. } => remnants::sqlite_remnants(path, needle),
            Kind::Redis { client, prefix } => {
                remnants::redis_remnants(client, prefix, needle).await
            }
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let Kind::Redis { client, prefix } = &self.kind else {
            return;
        };
        let Ok(mut c) = client.get_connection() else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query(&mut c)
            .unwrap_or_default();
        for chunk in keys.chunks(500) {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(chunk).query(&mut c);
        }
    }
}

pub fn user(tenant: &str, user: &str) -> UserKey {
    UserKey::new(tenant, user)
}

pub fn seen(key: &UserKey, name: &str, username: Option<&str>, at_ms: u64) -> Seen {
    Seen {
        key: key.clone(),
        display_name: name.into(),
        username: username.map(Into::into),
        at_ms,
        new_status: UserStatus::Active,
    }
}

pub fn conv(key: &UserKey, place: &str, personality: &str) -> ConversationKey {
    ConversationKey {
        tenant: key.tenant.clone(),
        place: place.into(),
        user: key.user.clone(),
        personality: personality.into(),
    }
}

pub fn usage(key: &UserKey, at_ms: u64, input: u64, output: u64, cost: f64) -> UsageRecord {
    UsageRecord {
        at_ms,
        tenant: key.tenant.clone(),
        user: key.user.clone(),
        provider: "openai".into(),
        model: "gpt-test".into(),
        input_tokens: input,
        output_tokens: output,
        cost_usd: cost,
        kind: UsageKind::Reply,
        estimated: false,
    }
}

/// Costs go through floating point (and Redis's HINCRBYFLOAT): equal to a billionth.
pub fn assert_cost(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "cost {got} != {want}");
}
