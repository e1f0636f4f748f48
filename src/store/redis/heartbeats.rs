//! Check-in schedules in Redis: one hash of every schedule and one sorted set of the enabled ones
//! by due time, both under the `{hb}` hash tag so a single script claims due schedules for exactly
//! one scheduler, however many processes poll.
//!
//! A claim's hold lives in the due index only: the claimed schedule's score moves to the end of
//! the hold (a crashed claimer's schedule comes back then, due at that time), while the stored
//! schedule keeps the next run the user or the last reschedule set, so reading it (`/heartbeat`,
//! exports) never shows a scheduler's lease.
//!
//! A schedule is stored as `<next_run_ms>|<json of the other fields>`: reschedules rewrite the
//! prefix in Lua without decoding JSON (Lua numbers would print large times in exponent form),
//! and the other fields stay exactly as the user last set them.

use redis::Pipeline;
use serde_json::Value;

use super::RedisStore;
use super::errors::corrupt;
use super::keys::{parse_user_member, user_member};
use crate::store::checks::MAX_EXACT;
use crate::store::{DueHeartbeat, Heartbeat, StoreError, StoreResult, UserKey};

/// The field of the JSON that lives in the prefix instead.
const NEXT_RUN: &str = "next_run_ms";

fn encode(h: &Heartbeat) -> StoreResult<String> {
    let mut v =
        serde_json::to_value(h).map_err(|e| StoreError::Invalid(format!("schedule: {e}")))?;
    if let Value::Object(map) = &mut v {
        map.remove(NEXT_RUN);
    }
    Ok(format!("{}|{v}", h.next_run_ms))
}

fn decode(key: &str, stored: &str) -> StoreResult<Heartbeat> {
    let bad = || corrupt("an unreadable check-in schedule", key);
    let (next, json) = stored.split_once('|').ok_or_else(bad)?;
    let next: u64 = next.parse().map_err(|_| bad())?;
    let mut v: Value = serde_json::from_str(json).map_err(|_| bad())?;
    let Value::Object(map) = &mut v else {
        return Err(bad());
    };
    map.insert(NEXT_RUN.into(), next.into());
    serde_json::from_value(v).map_err(|_| bad())
}

pub async fn set(s: &RedisStore, key: &UserKey, schedule: Option<&Heartbeat>) -> StoreResult<()> {
    let member = user_member(key);
    let mut pipe = redis::pipe();
    pipe.atomic();
    match schedule {
        Some(h) => {
            pipe.cmd("HSET")
                .arg(s.keys.schedules())
                .arg(&member)
                .arg(encode(h)?)
                .ignore();
            if h.enabled {
                pipe.cmd("ZADD")
                    .arg(s.keys.due())
                    .arg(h.next_run_ms)
                    .arg(&member)
                    .ignore();
            } else {
                pipe.cmd("ZREM").arg(s.keys.due()).arg(&member).ignore();
            }
        }
        None => forget(s, key, &mut pipe),
    }
    let _: () = pipe.query_async(&mut s.conn()).await?;
    Ok(())
}

/// Adds the removal of the user's schedule (and its due entry) to `pipe`.
pub fn forget(s: &RedisStore, key: &UserKey, pipe: &mut Pipeline) {
    let member = user_member(key);
    pipe.cmd("HDEL")
        .arg(s.keys.schedules())
        .arg(&member)
        .ignore()
        .cmd("ZREM")
        .arg(s.keys.due())
        .arg(&member)
        .ignore();
}

pub async fn get(s: &RedisStore, key: &UserKey) -> StoreResult<Option<Heartbeat>> {
    let hash = s.keys.schedules();
    let stored: Option<String> = redis::cmd("HGET")
        .arg(&hash)
        .arg(user_member(key))
        .query_async(&mut s.conn())
        .await?;
    stored.map(|v| decode(&hash, &v)).transpose()
}

pub async fn claim(
    s: &RedisStore,
    now_ms: u64,
    hold_ms: u64,
    limit: usize,
) -> StoreResult<Vec<DueHeartbeat>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let hash = s.keys.schedules();
    let hold_until = now_ms.saturating_add(hold_ms).min(MAX_EXACT - 1);
    let flat: Vec<String> = s
        .scripts
        .claim_heartbeats
        .key(&hash)
        .key(s.keys.due())
        .arg(now_ms)
        .arg(hold_until)
        .arg(i64::try_from(limit).unwrap_or(i64::MAX))
        .invoke_async(&mut s.conn())
        .await?;
    let mut out = Vec::with_capacity(flat.len() / 3);
    for triple in flat.chunks_exact(3) {
        let claimed = parse_user_member(&triple[0])
            .ok_or_else(|| corrupt("a bad user member", &hash))
            .and_then(|user| {
                let due_ms = score(&triple[1]).ok_or_else(|| corrupt("a bad due time", &hash))?;
                Ok(DueHeartbeat {
                    user,
                    due_ms,
                    schedule: decode(&hash, &triple[2])?,
                })
            });
        match claimed {
            Ok(due) => out.push(due),
            // The others are claimed already: hand them out; this one comes back after its hold.
            Err(e) => tracing::warn!(error = %e, "skipped an unreadable check-in schedule"),
        }
    }
    Ok(out)
}

/// A sorted-set score holding a time: Redis may render it in exponent form.
fn score(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().or_else(|| {
        let f = s.parse::<f64>().ok()?;
        (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < MAX_EXACT as f64).then_some(f as u64)
    })
}

pub async fn reschedule(s: &RedisStore, key: &UserKey, next_run_ms: u64) -> StoreResult<bool> {
    let hash = s.keys.schedules();
    let done: i64 = s
        .scripts
        .reschedule_heartbeat
        .key(&hash)
        .key(s.keys.due())
        .arg(user_member(key))
        .arg(next_run_ms)
        .invoke_async(&mut s.conn())
        .await?;
    match done {
        1 => Ok(true),
        0 => Ok(false),
        _ => Err(corrupt("a check-in schedule without next run", &hash)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_round_trip_with_the_next_run_in_the_prefix() {
        let h = Heartbeat {
            enabled: true,
            every_minutes: 90,
            active: Some((1380, 360)),
            tz: "Asia/Tokyo".into(),
            target: r#"{"chat":"|x|"}"#.into(),
            personality: "poet".into(),
            place: "dm:9".into(),
            next_run_ms: MAX_EXACT - 1,
        };
        let stored = encode(&h).expect("encodes");
        assert!(stored.starts_with(&format!("{}|{{", MAX_EXACT - 1)));
        assert!(!stored.contains(NEXT_RUN));
        assert_eq!(decode("k", &stored).expect("decodes"), h);
        assert!(matches!(decode("k", "12{}"), Err(StoreError::Corrupt(_))));
        assert!(matches!(decode("k", "x|{}"), Err(StoreError::Corrupt(_))));
        assert_eq!(score("1735689600000"), Some(1_735_689_600_000));
        assert_eq!(score("1.7356896e+12"), Some(1_735_689_600_000));
        assert_eq!(score("1.5"), None);
        assert_eq!(score("-3"), None);
    }
}
