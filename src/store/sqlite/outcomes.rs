//! Job outcomes in SQLite: the saved reply of each job and whether it was delivered.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::{JobOutcome, StoreResult};

pub fn outcome(conn: &Connection, job_id: &str) -> StoreResult<Option<JobOutcome>> {
    Ok(conn
        .prepare_cached("SELECT reply, sent FROM outcomes WHERE job_id = ?1")?
        .query_row(params![job_id], |r| {
            Ok(JobOutcome {
                reply: r.get(0)?,
                sent: r.get(1)?,
            })
        })
        .optional()?)
}

/// The first reply saved for a job wins, so every re-lease delivers the same text.
pub fn save_reply(conn: &Connection, job_id: &str, reply: &str, at_ms: u64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO outcomes (job_id, reply, sent, at_ms) VALUES (?1, ?2, 0, ?3)
         ON CONFLICT (job_id) DO NOTHING",
    )?
    .execute(params![job_id, reply, at_ms])?;
    Ok(())
}

/// Marks a saved reply delivered; a job without a saved reply is left alone.
pub fn mark_sent(conn: &Connection, job_id: &str) -> StoreResult<()> {
    conn.prepare_cached("UPDATE outcomes SET sent = 1 WHERE job_id = ?1")?
        .execute(params![job_id])?;
    Ok(())
}

pub fn prune(conn: &Connection, before_ms: u64) -> StoreResult<u64> {
    let n = conn
        .prepare_cached("DELETE FROM outcomes WHERE at_ms < ?1")?
        .execute(params![before_ms])?;
    Ok(n as u64)
}
