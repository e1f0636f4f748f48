//! Personalities activated in channels (`/activate`), in Redis: one hash per tenant, place ->
//! personality.

use super::RedisStore;
use crate::store::StoreResult;

pub async fn get(s: &RedisStore, tenant: &str, place: &str) -> StoreResult<Option<String>> {
    Ok(redis::cmd("HGET")
        .arg(s.keys.channels(tenant))
        .arg(place)
        .query_async(&mut s.conn())
        .await?)
}

pub async fn set(
    s: &RedisStore,
    tenant: &str,
    place: &str,
    personality: Option<&str>,
) -> StoreResult<()> {
    let key = s.keys.channels(tenant);
    let _: i64 = match personality {
        Some(p) => {
            redis::cmd("HSET")
                .arg(&key)
                .arg(place)
                .arg(p)
                .query_async(&mut s.conn())
                .await?
        }
        None => {
            redis::cmd("HDEL")
                .arg(&key)
                .arg(place)
                .query_async(&mut s.conn())
                .await?
        }
    };
    Ok(())
}
