//! Conversations in Redis: per conversation a meta hash (`seq`, `answered`) and a list of its last
//! `keep` messages, each stored as `<seq>|<json>`.

use serde::{Deserialize, Serialize};

use super::RedisStore;
use super::errors::corrupt;
use super::keys::conv_field;
use crate::store::{ConversationKey, Role, StoreResult, StoredMessage};

/// A message as stored (its seq is the prefix of the list entry).
#[derive(Debug, Serialize, Deserialize)]
pub struct Payload {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub text: String,
    /// When, in Unix ms.
    pub at_ms: u64,
    /// The job that carried or produced it.
    pub job_id: Option<String>,
}

pub async fn append(
    s: &RedisStore,
    conv: &ConversationKey,
    msg: &Payload,
    keep: usize,
) -> StoreResult<u64> {
    let user = conv.user_key();
    let field = conv_field(conv);
    let json = serde_json::to_string(msg)
        .map_err(|e| crate::store::StoreError::Invalid(format!("message: {e}")))?;
    let seq: u64 = s
        .scripts
        .append
        .key(s.keys.conv_meta(&user, &field))
        .key(s.keys.conv_msgs(&user, &field))
        .key(s.keys.convs(&user))
        .arg(json)
        .arg(keep)
        .arg(&field)
        .arg(if msg.role == Role::User {
            msg.job_id.as_deref().unwrap_or("")
        } else {
            ""
        })
        .invoke_async(&mut s.conn())
        .await?;
    Ok(seq)
}

/// Parses one list entry.
pub fn parse(key: &str, entry: &str) -> StoreResult<StoredMessage> {
    let (seq, json) = entry
        .split_once('|')
        .ok_or_else(|| corrupt("message without seq", key))?;
    let seq = seq
        .parse::<u64>()
        .map_err(|_| corrupt("message with a bad seq", key))?;
    let p: Payload =
        serde_json::from_str(json).map_err(|_| corrupt("message that is not valid json", key))?;
    Ok(StoredMessage {
        seq,
        role: p.role,
        text: p.text,
        at_ms: p.at_ms,
        job_id: p.job_id,
    })
}

/// The last `limit` messages of the list at `key`, oldest first.
pub async fn read_list(s: &RedisStore, key: &str, limit: usize) -> StoreResult<Vec<StoredMessage>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let start = -(isize::try_from(limit).unwrap_or(isize::MAX));
    let entries: Vec<String> = redis::cmd("LRANGE")
        .arg(key)
        .arg(start)
        .arg(-1)
        .query_async(&mut s.conn())
        .await?;
    entries.iter().map(|e| parse(key, e)).collect()
}

pub async fn history(
    s: &RedisStore,
    conv: &ConversationKey,
    limit: usize,
) -> StoreResult<Vec<StoredMessage>> {
    let key = s.keys.conv_msgs(&conv.user_key(), &conv_field(conv));
    read_list(s, &key, limit).await
}

pub async fn answered_through(s: &RedisStore, conv: &ConversationKey) -> StoreResult<u64> {
    let seq: Option<u64> = redis::cmd("HGET")
        .arg(s.keys.conv_meta(&conv.user_key(), &conv_field(conv)))
        .arg("answered")
        .query_async(&mut s.conn())
        .await?;
    Ok(seq.unwrap_or(0))
}

pub async fn set_answered_through(
    s: &RedisStore,
    conv: &ConversationKey,
    seq: u64,
) -> StoreResult<()> {
    let user = conv.user_key();
    let field = conv_field(conv);
    let _: i64 = s
        .scripts
        .answered
        .key(s.keys.conv_meta(&user, &field))
        .key(s.keys.convs(&user))
        .arg(seq)
        .arg(&field)
        .invoke_async(&mut s.conn())
        .await?;
    Ok(())
}

/// Drops the messages; the seq counter and answered_through stay, so seqs never repeat and a
/// job still in flight cannot be answered twice.
pub async fn clear(s: &RedisStore, conv: &ConversationKey) -> StoreResult<()> {
    let user = conv.user_key();
    let field = conv_field(conv);
    let _: i64 = redis::cmd("DEL")
        .arg(s.keys.conv_msgs(&user, &field))
        .query_async(&mut s.conn())
        .await?;
    // The job ids of the cleared messages go too (the seq counter and `answered` stay).
    let meta = s.keys.conv_meta(&user, &field);
    let fields: Vec<String> = redis::cmd("HKEYS")
        .arg(&meta)
        .query_async(&mut s.conn())
        .await?;
    let jobs: Vec<&String> = fields.iter().filter(|f| f.starts_with("j:")).collect();
    if !jobs.is_empty() {
        let _: i64 = redis::cmd("HDEL")
            .arg(&meta)
            .arg(jobs)
            .query_async(&mut s.conn())
            .await?;
    }
    Ok(())
}
