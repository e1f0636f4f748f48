//! Rate limiters behind one trait: `governor` in the embedded mode (one process), and a Lua GCRA
//! on Redis `TIME` in the Redis mode, so all processes share one limit per user and tenant.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use redis::aio::ConnectionManager;

use super::gcra::Gcra;
use crate::config::Rate;

#[derive(Debug, thiserror::Error)]
pub enum LimiterError {
    #[error("rate limiter unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Takes one request from `key`'s allowance: `Ok(None)` if allowed, `Ok(Some(wait))` if the
    /// request must wait that long.
    async fn check(&self, key: &str, rate: &Rate) -> Result<Option<Duration>, LimiterError>;

    /// Forgets keys that are back to a full allowance (bounded memory).
    fn prune(&self) {}
}

/// A rate as a map key: (period in ms, count, burst).
type RateKey = (u128, u32, u32);

/// The embedded limiter: one `governor` keyed limiter per distinct rate.
#[derive(Default)]
pub struct LocalLimiter {
    /// Users with different quotas need different limiters; keys inside are user or tenant ids.
    by_rate: Mutex<HashMap<RateKey, Arc<DefaultKeyedRateLimiter<String>>>>,
}

impl LocalLimiter {
    fn limiter(&self, rate: &Rate) -> Arc<DefaultKeyedRateLimiter<String>> {
        let key = (rate.per.as_millis(), rate.count, rate.burst);
        let mut map = self.by_rate.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key)
            .or_insert_with(|| {
                let period = (rate.per / rate.count.max(1)).max(Duration::from_nanos(1));
                let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::with_period(period)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
                Arc::new(DefaultKeyedRateLimiter::keyed(quota.allow_burst(burst)))
            })
            .clone()
    }
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn check(&self, key: &str, rate: &Rate) -> Result<Option<Duration>, LimiterError> {
        let limiter = self.limiter(rate);
        match limiter.check_key(&key.to_owned()) {
            Ok(()) => Ok(None),
            Err(not_until) => Ok(Some(
                not_until.wait_time_from(DefaultClock::default().now()),
            )),
        }
    }

    fn prune(&self) {
        let map = self.by_rate.lock().unwrap_or_else(|p| p.into_inner());
        for l in map.values() {
            l.retain_recent();
        }
    }
}

static GCRA_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("gcra.lua")));

/// The Redis limiter: GCRA state in `sb:<namespace>:rl:<key>`, computed on Redis's clock.
pub struct RedisLimiter {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisLimiter {
    pub fn new(conn: ConnectionManager, namespace: &str) -> Self {
        Self {
            conn,
            prefix: format!("sb:{namespace}:rl:"),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key: &str, rate: &Rate) -> Result<Option<Duration>, LimiterError> {
        let g = Gcra::new(rate);
        let mut conn = self.conn.clone();
        let (ok, wait): (i64, i64) = GCRA_SCRIPT
            .key(format!("{}{key}", self.prefix))
            .arg(g.emission_ms)
            .arg(g.tolerance_ms)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| LimiterError::Unavailable(e.to_string()))?;
        Ok(if ok == 1 {
            None
        } else {
            Some(Duration::from_millis(wait.max(1) as u64))
        })
    }
}
