//! The response cache and once-marks in SQLite. Expired rows are swept a few at a time by later
//! writes (a read-only reader cannot delete), so neither table grows without bound.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::StoreResult;

/// Most expired rows one write sweeps, so a sweep never makes a write slow.
const SWEEP: i64 = 100;
/// How long after its expiry (on the wall clock) a cache entry may still be swept away: callers
/// compare expiry with a time they pass in, which may lag the wall clock a little.
const CACHE_GRACE_MS: u64 = 3_600_000;

/// Unix milliseconds now, on this machine's clock.
fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .min(crate::store::checks::MAX_EXACT)
}

pub fn get(conn: &Connection, key: &str, now_ms: u64) -> StoreResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM cache WHERE key = ?1 AND expires_at_ms > ?2")?
        .query_row(params![key, now_ms], |r| r.get(0))
        .optional()?)
}

pub fn put(conn: &Connection, key: &str, value: &str, expires_at_ms: u64) -> StoreResult<()> {
    let stale_before = wall_ms().saturating_sub(CACHE_GRACE_MS);
    conn.prepare_cached(
        "DELETE FROM cache WHERE key IN (
           SELECT key FROM cache WHERE expires_at_ms < ?1 LIMIT ?2)",
    )?
    .execute(params![stale_before, SWEEP])?;
    conn.prepare_cached(
        "INSERT INTO cache (key, value, expires_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET
           value = excluded.value, expires_at_ms = excluded.expires_at_ms",
    )?
    .execute(params![key, value, expires_at_ms])?;
    Ok(())
}

/// True if `name` was not marked, or its mark had expired by the wall clock: the mark is then
/// taken until `expires_at_ms`. Runs in the single writer, so racing callers are serialized.
pub fn mark_once(conn: &Connection, name: &str, expires_at_ms: u64) -> StoreResult<bool> {
    let now = wall_ms();
    conn.prepare_cached(
        "DELETE FROM once_marks WHERE name IN (
           SELECT name FROM once_marks WHERE expires_at_ms <= ?1 LIMIT ?2)",
    )?
    .execute(params![now, SWEEP])?;
    let taken = conn
        .prepare_cached(
            "INSERT INTO once_marks (name, expires_at_ms) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
             WHERE once_marks.expires_at_ms <= ?3",
        )?
        .execute(params![name, expires_at_ms, now])?;
    Ok(taken > 0)
}
