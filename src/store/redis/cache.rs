//! The cache and once-marks in Redis. A cache entry is a string `<expires_at_ms>|<value>`: expiry
//! is judged against the caller's clock, and a real TTL (on Redis's clock) drops the entry a while
//! after, so entries never pile up. A once-mark is `SET NX` with its end as the TTL.

use std::time::{SystemTime, UNIX_EPOCH};

use super::RedisStore;
use super::errors::corrupt;
use crate::store::StoreResult;

/// How long an entry outlives its expiry on Redis's clock (callers' clocks may lag).
const CACHE_GRACE_MS: u64 = 3_600_000;
/// Longest an entry is kept, whatever its expiry: it is a cache.
const CACHE_MAX_TTL_MS: u64 = 30 * 86_400_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The real TTL of an entry expiring at `expires_at_ms` when it is written at `now_ms`.
fn safety_ttl_ms(expires_at_ms: u64, now_ms: u64) -> u64 {
    expires_at_ms
        .saturating_sub(now_ms)
        .saturating_add(CACHE_GRACE_MS)
        .min(CACHE_MAX_TTL_MS)
}

pub async fn get(s: &RedisStore, key: &str, now_ms: u64) -> StoreResult<Option<String>> {
    let k = s.keys.cache(key);
    let stored: Option<String> = redis::cmd("GET").arg(&k).query_async(&mut s.conn()).await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let (expires, value) = stored
        .split_once('|')
        .ok_or_else(|| corrupt("a cache entry without expiry", &k))?;
    let expires: u64 = expires
        .parse()
        .map_err(|_| corrupt("a cache entry with a bad expiry", &k))?;
    Ok((now_ms < expires).then(|| value.to_owned()))
}

pub async fn put(s: &RedisStore, key: &str, value: &str, expires_at_ms: u64) -> StoreResult<()> {
    let _: () = redis::cmd("SET")
        .arg(s.keys.cache(key))
        .arg(format!("{expires_at_ms}|{value}"))
        .arg("PX")
        .arg(safety_ttl_ms(expires_at_ms, now_ms()))
        .query_async(&mut s.conn())
        .await?;
    Ok(())
}

pub async fn mark_once(s: &RedisStore, name: &str, expires_at_ms: u64) -> StoreResult<bool> {
    if expires_at_ms <= now_ms() {
        // A mark that has already ended cannot be held by anyone: the caller wins, nothing to keep.
        return Ok(true);
    }
    let won: Option<String> = redis::cmd("SET")
        .arg(s.keys.once(name))
        .arg("1")
        .arg("NX")
        .arg("PXAT")
        .arg(expires_at_ms)
        .query_async(&mut s.conn())
        .await?;
    Ok(won.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_outlive_their_expiry_a_while_but_not_forever() {
        let now = 1_000_000;
        assert_eq!(safety_ttl_ms(now + 5_000, now), 5_000 + CACHE_GRACE_MS);
        assert_eq!(safety_ttl_ms(now - 5_000, now), CACHE_GRACE_MS);
        assert_eq!(safety_ttl_ms(u64::MAX, now), CACHE_MAX_TTL_MS);
    }
}
