//! Job outcomes in Redis: a hash per job (`reply`, `sent`, `at`) that expires after
//! [`OUTCOME_TTL_S`], and a sorted set of jobs by save time so `prune_outcomes` can delete older
//! ones on request (and drop index entries whose hash already expired).

use std::collections::HashMap;

use super::RedisStore;
use super::errors::corrupt;
use crate::store::{JobOutcome, StoreResult};

/// Outcomes expire this long after their reply was saved.
pub const OUTCOME_TTL_S: u64 = 7 * 86_400;
/// Jobs pruned per round trip.
const PRUNE_BATCH: usize = 500;

pub async fn outcome(s: &RedisStore, job_id: &str) -> StoreResult<Option<JobOutcome>> {
    let key = s.keys.outcome(job_id);
    let mut map: HashMap<String, String> = redis::cmd("HGETALL")
        .arg(&key)
        .query_async(&mut s.conn())
        .await?;
    if map.is_empty() {
        return Ok(None);
    }
    let reply = map
        .remove("reply")
        .ok_or_else(|| corrupt("outcome without reply", &key))?;
    let sent = map.get("sent").is_some_and(|v| v == "1");
    Ok(Some(JobOutcome { reply, sent }))
}

pub async fn save_reply(s: &RedisStore, job_id: &str, reply: &str, at_ms: u64) -> StoreResult<()> {
    let _: i64 = s
        .scripts
        .save_reply
        .key(s.keys.outcome(job_id))
        .arg(reply)
        .arg(at_ms)
        .arg(OUTCOME_TTL_S)
        .invoke_async(&mut s.conn())
        .await?;
    let _: i64 = redis::cmd("ZADD")
        .arg(s.keys.outcomes())
        .arg("NX")
        .arg(at_ms)
        .arg(job_id)
        .query_async(&mut s.conn())
        .await?;
    Ok(())
}

pub async fn mark_sent(s: &RedisStore, job_id: &str) -> StoreResult<()> {
    let _: i64 = s
        .scripts
        .hset_if_exists
        .key(s.keys.outcome(job_id))
        .arg("sent")
        .arg("1")
        .invoke_async(&mut s.conn())
        .await?;
    Ok(())
}

/// Deletes outcomes saved before `before_ms`; returns how many existed (ones that already
/// expired only lose their index entry).
pub async fn prune(s: &RedisStore, before_ms: u64) -> StoreResult<u64> {
    let index = s.keys.outcomes();
    let mut conn = s.conn();
    let mut deleted = 0;
    loop {
        let jobs: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(&index)
            .arg("-inf")
            .arg(format!("({before_ms}"))
            .arg("LIMIT")
            .arg(0)
            .arg(PRUNE_BATCH)
            .query_async(&mut conn)
            .await?;
        if jobs.is_empty() {
            break;
        }
        let mut pipe = redis::pipe();
        for job in &jobs {
            pipe.cmd("DEL").arg(s.keys.outcome(job));
        }
        let gone: Vec<u64> = pipe.query_async(&mut conn).await?;
        deleted += gone.iter().sum::<u64>();
        let _: i64 = redis::cmd("ZREM")
            .arg(&index)
            .arg(&jobs)
            .query_async(&mut conn)
            .await?;
        if jobs.len() < PRUNE_BATCH {
            break;
        }
    }
    Ok(deleted)
}
