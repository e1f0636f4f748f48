//! Notes in Redis: one list per user (`{u}:notes`) of note JSON, oldest first, trimmed to the
//! last [`NOTES_KEPT`] in the same transaction that appends.

use super::RedisStore;
use super::errors::corrupt;
use crate::store::{NOTES_KEPT, Note, StoreError, StoreResult, UserKey};

pub async fn add(s: &RedisStore, key: &UserKey, text: &str, at_ms: u64) -> StoreResult<usize> {
    let json = serde_json::to_string(&Note {
        at_ms,
        text: text.to_owned(),
    })
    .map_err(|e| StoreError::Invalid(format!("note: {e}")))?;
    let list = s.keys.notes(key);
    let kept = isize::try_from(NOTES_KEPT).unwrap_or(isize::MAX);
    // One list key: MULTI makes push, trim and count one step.
    let (len,): (usize,) = redis::pipe()
        .atomic()
        .cmd("RPUSH")
        .arg(&list)
        .arg(json)
        .ignore()
        .cmd("LTRIM")
        .arg(&list)
        .arg(-kept)
        .arg(-1)
        .ignore()
        .cmd("LLEN")
        .arg(&list)
        .query_async(&mut s.conn())
        .await?;
    Ok(len)
}

pub async fn notes(s: &RedisStore, key: &UserKey) -> StoreResult<Vec<Note>> {
    let list = s.keys.notes(key);
    let entries: Vec<String> = redis::cmd("LRANGE")
        .arg(&list)
        .arg(0)
        .arg(-1)
        .query_async(&mut s.conn())
        .await?;
    entries
        .iter()
        .map(|e| {
            serde_json::from_str(e).map_err(|_| corrupt("a note that is not valid json", &list))
        })
        .collect()
}

pub async fn clear(s: &RedisStore, key: &UserKey) -> StoreResult<usize> {
    let list = s.keys.notes(key);
    let (len,): (usize,) = redis::pipe()
        .atomic()
        .cmd("LLEN")
        .arg(&list)
        .cmd("DEL")
        .arg(&list)
        .ignore()
        .query_async(&mut s.conn())
        .await?;
    Ok(len)
}
