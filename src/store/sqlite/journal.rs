//! The queue journal of the embedded mode in SQLite: accepted jobs in the order they were put,
//! until they are done.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::SqliteStore;
use crate::store::checks;
use crate::store::{Journal, JournalEntry, StoreResult};

#[async_trait]
impl Journal for SqliteStore {
    async fn journal_put(&self, jobs: &[JournalEntry]) -> StoreResult<()> {
        for j in jobs {
            checks::id("job id", &j.id)?;
            checks::exact("enqueued_at_ms", j.enqueued_at_ms)?;
            if let Some(nb) = j.not_before {
                checks::exact("not_before", nb)?;
            }
        }
        let jobs = jobs.to_vec();
        self.writer.write(move |c| put(c, &jobs)).await
    }

    async fn journal_done(&self, ids: &[String]) -> StoreResult<()> {
        let ids = ids.to_vec();
        self.writer.write(move |c| done(c, &ids)).await
    }

    async fn journal_load(&self) -> StoreResult<Vec<JournalEntry>> {
        self.readers.read(load).await
    }
}

/// Journals jobs; a job already journaled (same id) keeps its first entry and place.
fn put(conn: &Connection, jobs: &[JournalEntry]) -> StoreResult<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO journal (id, tenant, user_id, payload, not_before, enqueued_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
    )?;
    for j in jobs {
        stmt.execute(params![
            j.id,
            j.tenant,
            j.user,
            j.payload,
            j.not_before,
            j.enqueued_at_ms
        ])?;
    }
    Ok(())
}

fn done(conn: &Connection, ids: &[String]) -> StoreResult<()> {
    let mut stmt = conn.prepare_cached("DELETE FROM journal WHERE id = ?1")?;
    for id in ids {
        stmt.execute(params![id])?;
    }
    Ok(())
}

fn load(conn: &Connection) -> StoreResult<Vec<JournalEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, tenant, user_id, payload, not_before, enqueued_at_ms FROM journal ORDER BY pos",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(JournalEntry {
            id: r.get(0)?,
            tenant: r.get(1)?,
            user: r.get(2)?,
            payload: r.get(3)?,
            not_before: r.get(4)?,
            enqueued_at_ms: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
