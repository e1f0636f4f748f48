//! Reading many keys at once: one pipelined command per key, sent in chunks so a long report
//! neither blocks Redis with one giant reply nor pays a round trip per key.

use std::collections::HashMap;

use redis::FromRedisValue;
use redis::aio::ConnectionManager;

use crate::store::StoreResult;

/// Commands per pipeline.
const CHUNK: usize = 500;

/// Runs `command key` for each key and returns the answers in key order.
pub async fn each<T: FromRedisValue>(
    conn: &mut ConnectionManager,
    command: &str,
    keys: &[String],
) -> StoreResult<Vec<T>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        let mut pipe = redis::pipe();
        for key in chunk {
            pipe.cmd(command).arg(key);
        }
        let answers: Vec<T> = pipe.query_async(conn).await?;
        out.extend(answers);
    }
    Ok(out)
}

/// `HGETALL` of each key (an empty map for a missing key).
pub async fn hashes(
    conn: &mut ConnectionManager,
    keys: &[String],
) -> StoreResult<Vec<HashMap<String, String>>> {
    each(conn, "HGETALL", keys).await
}
