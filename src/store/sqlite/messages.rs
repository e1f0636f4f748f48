//! Conversations in SQLite: a row per conversation (its seq counter and answered_through) and
//! its last `keep` messages.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::checks::{parse_role, role_str};
use crate::store::{ConversationKey, Role, StoreResult, StoredMessage};

/// One new message.
pub struct NewMessage {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub text: String,
    /// When, in Unix ms.
    pub at_ms: u64,
    /// The job that carried or produced it.
    pub job_id: Option<String>,
    /// How many of the conversation's messages to keep, this one included.
    pub keep: usize,
}

pub fn append(conn: &Connection, conv: &ConversationKey, m: &NewMessage) -> StoreResult<u64> {
    if let (Some(job), Role::User) = (&m.job_id, m.role) {
        // A redelivered user message: it is recorded once. (The answer carries the same job id.)
        let existing: Option<u64> = conn
            .prepare_cached(
                "SELECT m.seq FROM messages m JOIN conversations c ON c.id = m.conversation
                 WHERE c.tenant = ?1 AND c.user_id = ?2 AND c.place = ?3 AND c.personality = ?4
                   AND m.job_id = ?5 AND m.role = 'user'",
            )?
            .query_row(
                params![conv.tenant, conv.user, conv.place, conv.personality, job],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(seq) = existing {
            return Ok(seq);
        }
    }
    let (id, seq): (i64, u64) = conn
        .prepare_cached(
            "INSERT INTO conversations (tenant, user_id, place, personality, last_seq)
             VALUES (?1, ?2, ?3, ?4, 1)
             ON CONFLICT (tenant, user_id, place, personality)
             DO UPDATE SET last_seq = last_seq + 1
             RETURNING id, last_seq",
        )?
        .query_row(
            params![conv.tenant, conv.user, conv.place, conv.personality],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    conn.prepare_cached(
        "INSERT INTO messages (conversation, seq, role, text, at_ms, job_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id,
        seq,
        role_str(m.role),
        m.text,
        m.at_ms,
        m.job_id
    ])?;
    // Seqs only grow, so everything at or below `seq - keep` is older than the last `keep`.
    let oldest_kept = seq.saturating_sub(m.keep as u64);
    conn.prepare_cached("DELETE FROM messages WHERE conversation = ?1 AND seq <= ?2")?
        .execute(params![id, oldest_kept])?;
    Ok(seq)
}

pub fn history(
    conn: &Connection,
    conv: &ConversationKey,
    limit: usize,
) -> StoreResult<Vec<StoredMessage>> {
    let Some(id) = conversation_id(conn, conv)? else {
        return Ok(Vec::new());
    };
    let mut out = messages(conn, id, limit)?;
    out.reverse();
    Ok(out)
}

/// The last `limit` messages of conversation `id`, newest first.
pub fn messages(conn: &Connection, id: i64, limit: usize) -> StoreResult<Vec<StoredMessage>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, role, text, at_ms, job_id FROM messages
         WHERE conversation = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt.query(params![id, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let role: String = r.get(1)?;
        out.push(StoredMessage {
            seq: r.get(0)?,
            role: parse_role(&role)?,
            text: r.get(2)?,
            at_ms: r.get(3)?,
            job_id: r.get(4)?,
        });
    }
    Ok(out)
}

fn conversation_id(conn: &Connection, conv: &ConversationKey) -> StoreResult<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM conversations
             WHERE tenant = ?1 AND user_id = ?2 AND place = ?3 AND personality = ?4",
        )?
        .query_row(
            params![conv.tenant, conv.user, conv.place, conv.personality],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn answered_through(conn: &Connection, conv: &ConversationKey) -> StoreResult<u64> {
    Ok(conn
        .prepare_cached(
            "SELECT answered_through FROM conversations
             WHERE tenant = ?1 AND user_id = ?2 AND place = ?3 AND personality = ?4",
        )?
        .query_row(
            params![conv.tenant, conv.user, conv.place, conv.personality],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

pub fn set_answered_through(
    conn: &Connection,
    conv: &ConversationKey,
    seq: u64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO conversations (tenant, user_id, place, personality, answered_through)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant, user_id, place, personality)
         DO UPDATE SET answered_through = max(answered_through, excluded.answered_through)",
    )?
    .execute(params![
        conv.tenant,
        conv.user,
        conv.place,
        conv.personality,
        seq
    ])?;
    Ok(())
}

/// Drops the messages; the seq counter and answered_through stay, so seqs never repeat and a
/// job still in flight cannot be answered twice.
pub fn clear(conn: &Connection, conv: &ConversationKey) -> StoreResult<()> {
    if let Some(id) = conversation_id(conn, conv)? {
        conn.prepare_cached("DELETE FROM messages WHERE conversation = ?1")?
            .execute(params![id])?;
    }
    Ok(())
}
