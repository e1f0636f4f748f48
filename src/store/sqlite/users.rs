//! Users and their settings in SQLite.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::checks::{Search, parse_status};
use crate::store::{Seen, StoreResult, UserKey, UserRecord, UserStatus};

const COLUMNS: &str =
    "tenant, user_id, display_name, username, first_seen_ms, last_seen_ms, status";

fn record(row: &Row<'_>) -> rusqlite::Result<(UserRecord, String)> {
    let status: String = row.get(6)?;
    Ok((
        UserRecord {
            key: UserKey::new(row.get::<_, String>(0)?, row.get::<_, String>(1)?),
            display_name: row.get(2)?,
            username: row.get(3)?,
            first_seen_ms: row.get(4)?,
            last_seen_ms: row.get(5)?,
            // Parsed below, where a bad value can become `StoreError::Corrupt`.
            status: UserStatus::Inactive,
        },
        status,
    ))
}

fn finish((mut rec, status): (UserRecord, String)) -> StoreResult<UserRecord> {
    rec.status = parse_status(&status)?;
    Ok(rec)
}

pub fn seen(conn: &Connection, s: &Seen) -> StoreResult<UserRecord> {
    // Names and last_seen follow the newest sighting; a late, older one changes nothing.
    let sql = format!(
        "INSERT INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
         ON CONFLICT (tenant, user_id) DO UPDATE SET
           display_name = CASE WHEN excluded.last_seen_ms >= users.last_seen_ms
                               THEN excluded.display_name ELSE users.display_name END,
           username = CASE WHEN excluded.last_seen_ms >= users.last_seen_ms
                           THEN excluded.username ELSE users.username END,
           last_seen_ms = max(users.last_seen_ms, excluded.last_seen_ms)
         RETURNING {COLUMNS}"
    );
    let row = conn.prepare_cached(&sql)?.query_row(
        params![
            s.key.tenant,
            s.key.user,
            s.display_name,
            s.username,
            s.at_ms,
            s.new_status.as_str()
        ],
        record,
    )?;
    finish(row)
}

pub fn user(conn: &Connection, key: &UserKey) -> StoreResult<Option<UserRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE tenant = ?1 AND user_id = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![key.tenant, key.user], record)
        .optional()?
        .map(finish)
        .transpose()
}

pub fn users(
    conn: &Connection,
    tenant: Option<&str>,
    search: &Search,
    limit: usize,
) -> StoreResult<Vec<UserRecord>> {
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE ?1 IS NULL OR tenant = ?1
         ORDER BY last_seen_ms DESC, tenant, user_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![tenant])?;
    while let Some(row) = rows.next()? {
        let rec = finish(record(row)?)?;
        if search.matches(&rec) {
            out.push(rec);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

pub fn set_status(conn: &Connection, key: &UserKey, status: UserStatus) -> StoreResult<bool> {
    let changed = conn
        .prepare_cached("UPDATE users SET status = ?3 WHERE tenant = ?1 AND user_id = ?2")?
        .execute(params![key.tenant, key.user, status.as_str()])?;
    Ok(changed > 0)
}

pub fn setting(conn: &Connection, key: &UserKey, name: &str) -> StoreResult<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT value FROM settings WHERE tenant = ?1 AND user_id = ?2 AND name = ?3",
        )?
        .query_row(params![key.tenant, key.user, name], |r| r.get(0))
        .optional()?)
}

pub fn set_setting(
    conn: &Connection,
    key: &UserKey,
    name: &str,
    value: Option<&str>,
) -> StoreResult<()> {
    match value {
        Some(v) => conn
            .prepare_cached(
                "INSERT INTO settings (tenant, user_id, name, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant, user_id, name) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key.tenant, key.user, name, v])?,
        None => conn
            .prepare_cached(
                "DELETE FROM settings WHERE tenant = ?1 AND user_id = ?2 AND name = ?3",
            )?
            .execute(params![key.tenant, key.user, name])?,
    };
    Ok(())
}

pub fn settings(conn: &Connection, key: &UserKey) -> StoreResult<BTreeMap<String, String>> {
    let mut stmt =
        conn.prepare_cached("SELECT name, value FROM settings WHERE tenant = ?1 AND user_id = ?2")?;
    let rows = stmt.query_map(params![key.tenant, key.user], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
