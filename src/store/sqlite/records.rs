//! Per-request usage records in SQLite: a row per AI request, written in the same transaction as
//! the aggregates (see `usage.rs`), listed per user or tenant by time, pruned on age.

use rusqlite::{Connection, Row, Rows, params};

use crate::store::checks::{kind_str, parse_kind};
use crate::store::{StoreResult, UsageRecord, UsageScope, UserKey};

const COLUMNS: &str = "at_ms, tenant, user_id, provider, model, input_tokens, output_tokens,
    cost_usd, kind, estimated";

/// Whose records, owned so a read can move it to its thread.
pub enum Owner {
    User(UserKey),
    Tenant(String),
}

impl Owner {
    pub fn of(scope: UsageScope<'_>) -> Self {
        match scope {
            UsageScope::User(k) => Owner::User(k.clone()),
            UsageScope::Tenant(t) => Owner::Tenant(t.to_owned()),
        }
    }
}

fn record(row: &Row<'_>) -> StoreResult<UsageRecord> {
    let kind: String = row.get(8)?;
    Ok(UsageRecord {
        at_ms: row.get(0)?,
        tenant: row.get(1)?,
        user: row.get(2)?,
        provider: row.get(3)?,
        model: row.get(4)?,
        input_tokens: row.get(5)?,
        output_tokens: row.get(6)?,
        cost_usd: row.get(7)?,
        kind: parse_kind(&kind)?,
        estimated: row.get(9)?,
    })
}

pub fn insert(conn: &Connection, rec: &UsageRecord) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO usage_records ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    );
    conn.prepare_cached(&sql)?.execute(params![
        rec.at_ms,
        rec.tenant,
        rec.user,
        rec.provider,
        rec.model,
        rec.input_tokens,
        rec.output_tokens,
        rec.cost_usd,
        kind_str(rec.kind),
        rec.estimated
    ])?;
    Ok(())
}

/// Records with `from_ms <= at_ms < to_ms`, newest first (ties: the later written first).
pub fn list(
    conn: &Connection,
    owner: &Owner,
    from_ms: u64,
    to_ms: u64,
    limit: usize,
) -> StoreResult<Vec<UsageRecord>> {
    const RANGE: &str = "at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms DESC, id DESC LIMIT ?3";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    match owner {
        Owner::User(k) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM usage_records WHERE tenant = ?4 AND user_id = ?5 AND {RANGE}"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            collect(stmt.query(params![from_ms, to_ms, limit, k.tenant, k.user])?)
        }
        Owner::Tenant(t) => {
            let sql = format!("SELECT {COLUMNS} FROM usage_records WHERE tenant = ?4 AND {RANGE}");
            let mut stmt = conn.prepare_cached(&sql)?;
            collect(stmt.query(params![from_ms, to_ms, limit, t])?)
        }
    }
}

/// All of a user's records, oldest first, for exports.
pub fn of_user(conn: &Connection, key: &UserKey) -> StoreResult<Vec<UsageRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM usage_records WHERE tenant = ?1 AND user_id = ?2
         ORDER BY at_ms, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    collect(stmt.query(params![key.tenant, key.user])?)
}

fn collect(mut rows: Rows<'_>) -> StoreResult<Vec<UsageRecord>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(record(r)?);
    }
    Ok(out)
}

/// Deletes records older than `before_ms`; the aggregates stay.
pub fn prune(conn: &Connection, before_ms: u64) -> StoreResult<u64> {
    let n = conn
        .prepare_cached("DELETE FROM usage_records WHERE at_ms < ?1")?
        .execute(params![before_ms])?;
    Ok(n as u64)
}
