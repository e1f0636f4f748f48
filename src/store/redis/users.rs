//! Users and their settings in Redis: a record hash and a settings hash per user, and two sorted
//! sets (all users, users of a tenant) ordered by last seen for listings.

use std::collections::{BTreeMap, HashMap};

use super::RedisStore;
use super::batch;
use super::errors::corrupt;
use super::keys::{parse_user_member, user_member};
use crate::store::checks::{Search, parse_status};
use crate::store::{Seen, StoreResult, UserKey, UserRecord, UserStatus};

/// Users read per round trip while listing.
const PAGE: isize = 200;

pub async fn seen(s: &RedisStore, seen: &Seen) -> StoreResult<UserRecord> {
    let key = s.keys.record(&seen.key);
    let flat: Vec<String> = s
        .scripts
        .seen
        .key(&key)
        .arg(&seen.key.tenant)
        .arg(&seen.key.user)
        .arg(&seen.display_name)
        .arg(if seen.username.is_some() { "1" } else { "0" })
        .arg(seen.username.as_deref().unwrap_or(""))
        .arg(seen.at_ms)
        .arg(seen.new_status.as_str())
        .invoke_async(&mut s.conn())
        .await?;
    let mut map = HashMap::new();
    let mut it = flat.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        map.insert(k, v);
    }
    let rec = record(&key, map)?;
    // GT: a late, older sighting does not move a user down the listing.
    let _: () = redis::pipe()
        .cmd("ZADD")
        .arg(s.keys.all_users())
        .arg("GT")
        .arg(rec.last_seen_ms)
        .arg(user_member(&rec.key))
        .ignore()
        .cmd("ZADD")
        .arg(s.keys.tenant_users(&rec.key.tenant))
        .arg("GT")
        .arg(rec.last_seen_ms)
        .arg(&rec.key.user)
        .ignore()
        .query_async(&mut s.conn())
        .await?;
    Ok(rec)
}

/// A user record from its hash.
pub fn record(key: &str, mut map: HashMap<String, String>) -> StoreResult<UserRecord> {
    let mut take = |field: &str| {
        map.remove(field)
            .ok_or_else(|| corrupt(&format!("missing field {field}"), key))
    };
    let number = |v: String, field: &str| {
        v.parse::<u64>()
            .map_err(|_| corrupt(&format!("field {field} is not a number"), key))
    };
    let tenant = take("tenant")?;
    let user = take("user")?;
    let display_name = take("name")?;
    let first_seen_ms = number(take("first")?, "first")?;
    let last_seen_ms = number(take("last")?, "last")?;
    let status = parse_status(&take("status")?)?;
    Ok(UserRecord {
        key: UserKey::new(tenant, user),
        display_name,
        username: map.remove("username"),
        first_seen_ms,
        last_seen_ms,
        status,
    })
}

pub async fn user(s: &RedisStore, key: &UserKey) -> StoreResult<Option<UserRecord>> {
    let k = s.keys.record(key);
    let map: HashMap<String, String> = redis::cmd("HGETALL")
        .arg(&k)
        .query_async(&mut s.conn())
        .await?;
    if map.is_empty() {
        return Ok(None);
    }
    record(&k, map).map(Some)
}

pub async fn users(
    s: &RedisStore,
    tenant: Option<&str>,
    search: &Search,
    limit: usize,
) -> StoreResult<Vec<UserRecord>> {
    let mut out = Vec::new();
    let index = match tenant {
        Some(t) => s.keys.tenant_users(t),
        None => s.keys.all_users(),
    };
    let mut conn = s.conn();
    let mut start: isize = 0;
    while out.len() < limit {
        let members: Vec<String> = redis::cmd("ZREVRANGE")
            .arg(&index)
            .arg(start)
            .arg(start + PAGE - 1)
            .query_async(&mut conn)
            .await?;
        let who = members
            .iter()
            .map(|m| match tenant {
                Some(t) => Ok(UserKey::new(t, m.as_str())),
                None => parse_user_member(m).ok_or_else(|| corrupt("bad member", &index)),
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let rec_keys: Vec<String> = who.iter().map(|k| s.keys.record(k)).collect();
        for (k, map) in rec_keys
            .iter()
            .zip(batch::hashes(&mut conn, &rec_keys).await?)
        {
            // Empty: forgotten while listed; the index entry is on its way out.
            if map.is_empty() {
                continue;
            }
            let rec = record(k, map)?;
            if search.matches(&rec) {
                out.push(rec);
                if out.len() >= limit {
                    break;
                }
            }
        }
        if (members.len() as isize) < PAGE {
            break;
        }
        start += PAGE;
    }
    Ok(out)
}

pub async fn set_status(s: &RedisStore, key: &UserKey, status: UserStatus) -> StoreResult<bool> {
    let set: i64 = s
        .scripts
        .hset_if_exists
        .key(s.keys.record(key))
        .arg("status")
        .arg(status.as_str())
        .invoke_async(&mut s.conn())
        .await?;
    Ok(set == 1)
}

pub async fn setting(s: &RedisStore, key: &UserKey, name: &str) -> StoreResult<Option<String>> {
    Ok(redis::cmd("HGET")
        .arg(s.keys.settings(key))
        .arg(name)
        .query_async(&mut s.conn())
        .await?)
}

pub async fn set_setting(
    s: &RedisStore,
    key: &UserKey,
    name: &str,
    value: Option<&str>,
) -> StoreResult<()> {
    let k = s.keys.settings(key);
    let cmd = match value {
        Some(v) => {
            let mut c = redis::cmd("HSET");
            c.arg(&k).arg(name).arg(v);
            c
        }
        None => {
            let mut c = redis::cmd("HDEL");
            c.arg(&k).arg(name);
            c
        }
    };
    let _: i64 = cmd.query_async(&mut s.conn()).await?;
    Ok(())
}

pub async fn settings(s: &RedisStore, key: &UserKey) -> StoreResult<BTreeMap<String, String>> {
    Ok(redis::cmd("HGETALL")
        .arg(s.keys.settings(key))
        .query_async(&mut s.conn())
        .await?)
}
