//! Notes in SQLite: a row per note, read oldest first, the oldest dropped once a user has more
//! than [`NOTES_KEPT`].

use rusqlite::{Connection, params};

use crate::store::{NOTES_KEPT, Note, StoreResult, UserKey};

/// Adds a note and drops the oldest past the bound; returns how many the user has.
pub fn add(conn: &Connection, key: &UserKey, text: &str, at_ms: u64) -> StoreResult<usize> {
    conn.prepare_cached(
        "INSERT INTO notes (tenant, user_id, at_ms, text) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key.tenant, key.user, at_ms, text])?;
    let count: usize = conn
        .prepare_cached("SELECT count(*) FROM notes WHERE tenant = ?1 AND user_id = ?2")?
        .query_row(params![key.tenant, key.user], |r| r.get(0))?;
    if count > NOTES_KEPT {
        // "Oldest" is the order `notes` lists them in: by time, then by insertion.
        conn.prepare_cached(
            "DELETE FROM notes WHERE id IN (
               SELECT id FROM notes WHERE tenant = ?1 AND user_id = ?2
               ORDER BY at_ms, id LIMIT ?3)",
        )?
        .execute(params![key.tenant, key.user, count - NOTES_KEPT])?;
    }
    Ok(count.min(NOTES_KEPT))
}

/// The user's notes, oldest first.
pub fn notes(conn: &Connection, key: &UserKey) -> StoreResult<Vec<Note>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms, text FROM notes WHERE tenant = ?1 AND user_id = ?2 ORDER BY at_ms, id",
    )?;
    let rows = stmt.query_map(params![key.tenant, key.user], |r| {
        Ok(Note {
            at_ms: r.get(0)?,
            text: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes the user's notes; returns how many there were.
pub fn clear(conn: &Connection, key: &UserKey) -> StoreResult<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM notes WHERE tenant = ?1 AND user_id = ?2")?
        .execute(params![key.tenant, key.user])?)
}
