//! A user's data as one document (export) and its deletion (forget) in SQLite.

use rusqlite::{Connection, params};

use super::{heartbeats, messages, notes, usage, users};
use crate::store::export::{ConversationExport, UserExport};
use crate::store::{StoreResult, UserKey};

pub fn export(conn: &Connection, key: &UserKey) -> StoreResult<UserExport> {
    let mut out = UserExport {
        user: users::user(conn, key)?,
        settings: users::settings(conn, key)?,
        ..UserExport::default()
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, place, personality, answered_through FROM conversations
         WHERE tenant = ?1 AND user_id = ?2",
    )?;
    let convs = stmt
        .query_map(params![key.tenant, key.user], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, place, personality, answered_through) in convs {
        let mut messages = messages::messages(conn, id, usize::MAX)?;
        messages.reverse();
        out.conversations.push(ConversationExport {
            place,
            personality,
            answered_through,
            messages,
        });
    }
    out.usage = usage::user_rows(conn, key)?;
    out.notes = notes::notes(conn, key)?;
    out.heartbeat = heartbeats::get(conn, key)?;
    Ok(out)
}

/// Deletes the user's record, settings, conversations, notes, check-in schedule, usage rows and
/// per-request records, and the saved replies of the jobs in their conversations. Tenant aggregates keep their totals (they name no user); the
/// queue journal is left alone (its jobs finish or fail on their own).
pub fn forget(conn: &Connection, key: &UserKey) -> StoreResult<()> {
    let who = params![key.tenant, key.user];
    conn.prepare_cached(
        "DELETE FROM outcomes WHERE job_id IN (
           SELECT m.job_id FROM messages m JOIN conversations c ON m.conversation = c.id
           WHERE c.tenant = ?1 AND c.user_id = ?2 AND m.job_id IS NOT NULL)",
    )?
    .execute(who)?;
    conn.prepare_cached(
        "DELETE FROM messages WHERE conversation IN (
           SELECT id FROM conversations WHERE tenant = ?1 AND user_id = ?2)",
    )?
    .execute(who)?;
    for table in [
        "conversations",
        "settings",
        "usage_user_day",
        "usage_user_month",
        "usage_records",
        "notes",
        "heartbeats",
        "users",
    ] {
        let sql = format!("DELETE FROM {table} WHERE tenant = ?1 AND user_id = ?2");
        conn.prepare_cached(&sql)?.execute(who)?;
    }
    Ok(())
}
