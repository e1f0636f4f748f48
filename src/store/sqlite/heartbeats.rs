//! Check-in schedules in SQLite: a row per user. Claims run in the single writer, so selecting
//! the due rows and holding them is one transaction no other claimer can interleave with.
//!
//! A claim's hold is its own column (`held_until_ms`), not a change of `next_run_ms`: the
//! schedule reads back as the user set it while a scheduler works on it, and a schedule is due
//! at the later of the two (the hold's end, for a claim that was never rescheduled).

use rusqlite::{Connection, Row, params};

use crate::store::{DueHeartbeat, Heartbeat, StoreError, StoreResult, UserKey};

const COLUMNS: &str = "enabled, every_minutes, active_from, active_to, tz, target, personality,
    place, next_run_ms";

/// A schedule from `COLUMNS`, starting at column `first`.
fn schedule(row: &Row<'_>, first: usize) -> StoreResult<Heartbeat> {
    let from: Option<u16> = row.get(first + 2)?;
    let to: Option<u16> = row.get(first + 3)?;
    let active = match (from, to) {
        (Some(f), Some(t)) => Some((f, t)),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "heartbeat has only one end of its active hours".into(),
            ));
        }
    };
    Ok(Heartbeat {
        enabled: row.get(first)?,
        every_minutes: row.get(first + 1)?,
        active,
        tz: row.get(first + 4)?,
        target: row.get(first + 5)?,
        personality: row.get(first + 6)?,
        place: row.get(first + 7)?,
        next_run_ms: row.get(first + 8)?,
    })
}

pub fn set(conn: &Connection, key: &UserKey, h: Option<&Heartbeat>) -> StoreResult<()> {
    let Some(h) = h else {
        conn.prepare_cached("DELETE FROM heartbeats WHERE tenant = ?1 AND user_id = ?2")?
            .execute(params![key.tenant, key.user])?;
        return Ok(());
    };
    // An update keeps a running claim's hold, so a user changing their schedule never lets a
    // second scheduler take it meanwhile.
    let sql = format!(
        "INSERT INTO heartbeats (tenant, user_id, {COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (tenant, user_id) DO UPDATE SET
           enabled = excluded.enabled, every_minutes = excluded.every_minutes,
           active_from = excluded.active_from, active_to = excluded.active_to,
           tz = excluded.tz, target = excluded.target, personality = excluded.personality,
           place = excluded.place, next_run_ms = excluded.next_run_ms"
    );
    conn.prepare_cached(&sql)?.execute(params![
        key.tenant,
        key.user,
        h.enabled,
        h.every_minutes,
        h.active.map(|a| a.0),
        h.active.map(|a| a.1),
        h.tz,
        h.target,
        h.personality,
        h.place,
        h.next_run_ms
    ])?;
    Ok(())
}

pub fn get(conn: &Connection, key: &UserKey) -> StoreResult<Option<Heartbeat>> {
    let sql = format!("SELECT {COLUMNS} FROM heartbeats WHERE tenant = ?1 AND user_id = ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![key.tenant, key.user])?;
    rows.next()?.map(|r| schedule(r, 0)).transpose()
}

/// Claims up to `limit` enabled schedules due at `now_ms`, earliest due first (ties by user),
/// holding each until `hold_until`; `due_ms` is the time each was due at (its next run, or the
/// end of an earlier claim's hold).
pub fn claim_due(
    conn: &Connection,
    now_ms: u64,
    hold_until: u64,
    limit: usize,
) -> StoreResult<Vec<DueHeartbeat>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT tenant, user_id, max(next_run_ms, held_until_ms) AS due, {COLUMNS}
         FROM heartbeats
         WHERE enabled = 1 AND next_run_ms <= ?1 AND held_until_ms <= ?1
         ORDER BY due, tenant, user_id LIMIT ?2"
    );
    let mut due = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![now_ms, limit])?;
        while let Some(r) = rows.next()? {
            due.push(DueHeartbeat {
                user: UserKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                due_ms: r.get(2)?,
                schedule: schedule(r, 3)?,
            });
        }
    }
    let mut hold = conn.prepare_cached(
        "UPDATE heartbeats SET held_until_ms = ?3 WHERE tenant = ?1 AND user_id = ?2",
    )?;
    for d in &due {
        hold.execute(params![d.user.tenant, d.user.user, hold_until])?;
    }
    Ok(due)
}

/// Moves an existing schedule's next run (its other fields stay) and ends a claim's hold: the
/// claimer is done with it. False if the user has no schedule.
pub fn reschedule(conn: &Connection, key: &UserKey, next_run_ms: u64) -> StoreResult<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE heartbeats SET next_run_ms = ?3, held_until_ms = 0
             WHERE tenant = ?1 AND user_id = ?2",
        )?
        .execute(params![key.tenant, key.user, next_run_ms])?;
    Ok(changed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::schema::open_writer;

    fn schedule(next_run_ms: u64) -> Heartbeat {
        Heartbeat {
            enabled: true,
            every_minutes: 60,
            active: None,
            tz: "UTC".into(),
            target: "{}".into(),
            personality: "pirate".into(),
            place: "dm:1".into(),
            next_run_ms,
        }
    }

    #[test]
    fn a_users_change_keeps_a_running_claims_hold_and_rescheduling_ends_it() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_writer(&dir.path().join("h.db")).unwrap();
        let ann = UserKey::new("acme", "telegram:ann");
        set(&conn, &ann, Some(&schedule(100))).unwrap();
        // Held until 1100.
        assert_eq!(claim_due(&conn, 100, 1100, 10).unwrap().len(), 1);

        // The user moves their schedule while a scheduler works on it: it reads back as set,
        // and stays held.
        set(&conn, &ann, Some(&schedule(50))).unwrap();
        assert_eq!(get(&conn, &ann).unwrap(), Some(schedule(50)));
        assert!(claim_due(&conn, 1099, 2099, 10).unwrap().is_empty());
        let late = claim_due(&conn, 1100, 2100, 10).unwrap();
        assert_eq!(late[0].due_ms, 1100, "due at the end of the hold");

        // The claimer reschedules: the hold ends, the new next run is what counts.
        assert!(reschedule(&conn, &ann, 1200).unwrap());
        assert!(claim_due(&conn, 1199, 2199, 10).unwrap().is_empty());
        let next = claim_due(&conn, 1200, 2200, 10).unwrap();
        assert_eq!(next[0].due_ms, 1200);
        assert_eq!(next[0].schedule, schedule(1200));
    }
}
