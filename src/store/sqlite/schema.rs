//! The SQLite schema and its migrations, versioned by `PRAGMA user_version`, and the connection
//! settings both the writer and the readers use.

use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::store::{StoreError, StoreResult};

/// How long a connection waits for a lock held by another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Migration `i` takes the database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    username      TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    status        TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id)
);
CREATE INDEX users_by_last_seen ON users (last_seen_ms DESC);
CREATE INDEX users_by_tenant_last_seen ON users (tenant, last_seen_ms DESC);

CREATE TABLE settings (
    tenant  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id, name)
) WITHOUT ROWID;

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    tenant           TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    place            TEXT NOT NULL,
    personality      TEXT NOT NULL,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    answered_through INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant, user_id, place, personality)
);

CREATE TABLE messages (
    conversation INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    role         TEXT NOT NULL,
    text         TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    job_id       TEXT,
    PRIMARY KEY (conversation, seq)
);

CREATE TABLE usage_user_day (
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    day           INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    PRIMARY KEY (tenant, user_id, day)
) WITHOUT ROWID;
CREATE INDEX usage_user_day_by_day ON usage_user_day (day);

CREATE TABLE usage_user_month (
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    month         INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    PRIMARY KEY (tenant, user_id, month)
) WITHOUT ROWID;

CREATE TABLE usage_tenant_day (
    tenant        TEXT NOT NULL,
    day           INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    PRIMARY KEY (tenant, day)
) WITHOUT ROWID;

CREATE TABLE usage_tenant_month (
    tenant        TEXT NOT NULL,
    month         INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    PRIMARY KEY (tenant, month)
) WITHOUT ROWID;

CREATE TABLE outcomes (
    job_id TEXT PRIMARY KEY,
    reply  TEXT NOT NULL,
    sent   INTEGER NOT NULL,
    at_ms  INTEGER NOT NULL
);
CREATE INDEX outcomes_by_at ON outcomes (at_ms);

CREATE TABLE journal (
    pos            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    tenant         TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    payload        BLOB NOT NULL,
    not_before     INTEGER,
    enqueued_at_ms INTEGER NOT NULL
);
"#,
    r#"
CREATE TABLE notes (
    id      INTEGER PRIMARY KEY,
    tenant  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at_ms   INTEGER NOT NULL,
    text    TEXT NOT NULL
);
CREATE INDEX notes_by_user ON notes (tenant, user_id, at_ms);

CREATE TABLE heartbeats (
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    enabled       INTEGER NOT NULL,
    every_minutes INTEGER NOT NULL,
    active_from   INTEGER,
    active_to     INTEGER,
    tz            TEXT NOT NULL,
    target        TEXT NOT NULL,
    personality   TEXT NOT NULL,
    place         TEXT NOT NULL,
    next_run_ms   INTEGER NOT NULL,
    -- A claim's hold: not claimed again before this (0: not held). Kept apart from next_run_ms,
    -- which stays the schedule's own (what the user and their export see).
    held_until_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, user_id)
) WITHOUT ROWID;
CREATE INDEX heartbeats_due ON heartbeats (enabled, next_run_ms);

CREATE TABLE cache (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX cache_by_expiry ON cache (expires_at_ms);

CREATE TABLE once_marks (
    name          TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX once_marks_by_expiry ON once_marks (expires_at_ms);

CREATE TABLE usage_records (
    id            INTEGER PRIMARY KEY,
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    at_ms         INTEGER NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    kind          TEXT NOT NULL,
    estimated     INTEGER NOT NULL
);
CREATE INDEX usage_records_by_user ON usage_records (tenant, user_id, at_ms);
CREATE INDEX usage_records_by_tenant ON usage_records (tenant, at_ms);
CREATE INDEX usage_records_by_at ON usage_records (at_ms);
"#,
    // 3: personalities activated in channels.
    r#"
CREATE TABLE channel_personas (
    tenant      TEXT NOT NULL,
    place       TEXT NOT NULL,
    personality TEXT NOT NULL,
    PRIMARY KEY (tenant, place)
) WITHOUT ROWID;
"#,
];

/// Opens the writer connection: creates the file, turns on WAL, migrates.
pub fn open_writer(path: &std::path::Path) -> StoreResult<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "sqlite refused WAL journal mode (got {mode})"
        )));
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;")?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a read-only connection (WAL lets it read while the writer writes).
pub fn open_reader(path: &std::path::Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::Corrupt(format!(
            "database schema version {version} is newer than this build knows ({known})"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "sqlite store migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(open_writer(&path).unwrap());
        // Reopening does not re-run migration 1 (which would fail on existing tables).
        let conn = open_writer(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(open_writer(&path), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_version_1_database_gains_the_new_tables_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO settings (tenant, user_id, name, value) VALUES ('t', 'u', 'n', 'v')",
            [],
        )
        .unwrap();
        drop(conn);

        let conn = open_writer(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let kept: String = conn
            .query_row("SELECT value FROM settings WHERE name = 'n'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(kept, "v");
        for table in [
            "notes",
            "heartbeats",
            "cache",
            "once_marks",
            "usage_records",
        ] {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{table}");
        }
    }
}
