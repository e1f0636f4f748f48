//! Per-request usage records in Redis: each record is one JSON member, scored by its time, in two
//! sorted sets, the user's (`{u}:urec`) and the tenant's (`{t}:rec`). The member is the same in
//! both, so `forget_user` removes a user's records from the tenant's set without reading it, and
//! pruning walks the tenants (`rtenants`) and trims each one's users as it goes. The usage
//! scripts add the records together with the aggregates.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::RedisStore;
use super::errors::corrupt;
use crate::store::{StoreError, StoreResult, UsageKind, UsageRecord, UsageScope, UserKey};

/// Records pruned per round trip.
const PRUNE_BATCH: usize = 500;

/// A record as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Row {
    /// Random: two requests alike in every field are still two members.
    id: String,
    /// When the request was made (also the score).
    at_ms: u64,
    /// Whose request.
    tenant: String,
    user: String,
    /// Which AI served it.
    provider: String,
    model: String,
    /// Tokens it took.
    input_tokens: u64,
    output_tokens: u64,
    /// Rust's shortest round-trip rendering of the `f64`, so the cost reads back exactly.
    cost_usd: String,
    /// Reply, heartbeat or command.
    kind: UsageKind,
    /// The tokens are estimates.
    estimated: bool,
}

/// The sorted-set member for a new record.
pub fn member(rec: &UsageRecord) -> StoreResult<String> {
    let row = Row {
        id: format!("{:016x}", rand::random::<u64>()),
        at_ms: rec.at_ms,
        tenant: rec.tenant.clone(),
        user: rec.user.clone(),
        provider: rec.provider.clone(),
        model: rec.model.clone(),
        input_tokens: rec.input_tokens,
        output_tokens: rec.output_tokens,
        cost_usd: rec.cost_usd.to_string(),
        kind: rec.kind,
        estimated: rec.estimated,
    };
    serde_json::to_string(&row).map_err(|e| StoreError::Invalid(format!("usage record: {e}")))
}

fn parse(key: &str, member: &str) -> StoreResult<UsageRecord> {
    let bad = || corrupt("an unreadable usage record", key);
    let row: Row = serde_json::from_str(member).map_err(|_| bad())?;
    Ok(UsageRecord {
        at_ms: row.at_ms,
        tenant: row.tenant,
        user: row.user,
        provider: row.provider,
        model: row.model,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        cost_usd: row.cost_usd.parse().map_err(|_| bad())?,
        kind: row.kind,
        estimated: row.estimated,
    })
}

pub async fn list(
    s: &RedisStore,
    scope: UsageScope<'_>,
    from_ms: u64,
    to_ms: u64,
    limit: usize,
) -> StoreResult<Vec<UsageRecord>> {
    if limit == 0 || from_ms >= to_ms {
        return Ok(Vec::new());
    }
    let key = match scope {
        UsageScope::User(u) => s.keys.user_records(u),
        UsageScope::Tenant(t) => s.keys.tenant_records(t),
    };
    let members: Vec<String> = redis::cmd("ZREVRANGEBYSCORE")
        .arg(&key)
        .arg(format!("({to_ms}"))
        .arg(from_ms)
        .arg("LIMIT")
        .arg(0)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX))
        .query_async(&mut s.conn())
        .await?;
    members.iter().map(|m| parse(&key, m)).collect()
}

/// The members of a user's records, oldest first.
pub async fn user_members(s: &RedisStore, key: &UserKey) -> StoreResult<Vec<String>> {
    Ok(redis::cmd("ZRANGE")
        .arg(s.keys.user_records(key))
        .arg(0)
        .arg(-1)
        .query_async(&mut s.conn())
        .await?)
}

/// A user's records, for exports.
pub async fn of_user(s: &RedisStore, key: &UserKey) -> StoreResult<Vec<UsageRecord>> {
    let k = s.keys.user_records(key);
    user_members(s, key)
        .await?
        .iter()
        .map(|m| parse(&k, m))
        .collect()
}

/// Deletes records older than `before_ms` from every tenant's set and from the sets of the users
/// they name; returns how many records went.
pub async fn prune(s: &RedisStore, before_ms: u64) -> StoreResult<u64> {
    let mut conn = s.conn();
    let tenants: Vec<String> = redis::cmd("SMEMBERS")
        .arg(s.keys.record_tenants())
        .query_async(&mut conn)
        .await?;
    let below = format!("({before_ms}");
    let mut total = 0;
    for tenant in tenants {
        let key = s.keys.tenant_records(&tenant);
        loop {
            let batch: Vec<String> = redis::cmd("ZRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(&below)
                .arg("LIMIT")
                .arg(0)
                .arg(PRUNE_BATCH)
                .query_async(&mut conn)
                .await?;
            if batch.is_empty() {
                break;
            }
            // Users first: a prune that fails half way leaves the tenant's members to find them
            // again. An unreadable member names no user; it still goes from the tenant.
            let users: BTreeSet<String> = batch
                .iter()
                .filter_map(|m| parse(&key, m).ok().map(|r| r.user))
                .collect();
            let mut pipe = redis::pipe();
            for user in &users {
                pipe.cmd("ZREMRANGEBYSCORE")
                    .arg(s.keys.user_records(&UserKey::new(&tenant, user)))
                    .arg("-inf")
                    .arg(&below)
                    .ignore();
            }
            pipe.cmd("ZREM").arg(&key).arg(&batch);
            let (removed,): (u64,) = pipe.query_async(&mut conn).await?;
            total += removed;
            if batch.len() < PRUNE_BATCH {
                break;
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_exactly_and_equal_records_stay_distinct() {
        let rec = UsageRecord {
            at_ms: 1_735_689_600_123,
            tenant: "acme".into(),
            user: "telegram:\"ann\"|1".into(),
            provider: "openai".into(),
            model: "gpt-test".into(),
            input_tokens: 12,
            output_tokens: 34,
            cost_usd: 0.1 + 0.2,
            kind: UsageKind::Command,
            estimated: true,
        };
        let a = member(&rec).expect("renders");
        let b = member(&rec).expect("renders");
        assert_ne!(a, b);
        assert_eq!(parse("k", &a).expect("parses"), rec);
        assert!(matches!(parse("k", "{}"), Err(StoreError::Corrupt(_))));
    }
}
