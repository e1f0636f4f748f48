//! A user's data as one document (export) and its deletion (forget) in Redis. The user's own keys
//! are found through their indexes (`convs`, `udays`, `umonths`, `urec`), never by SCAN.

use std::collections::HashMap;

use super::RedisStore;
use super::batch;
use super::errors::corrupt;
use super::keys::{parse_conv_field, user_member};
use super::{heartbeats, messages, notes, records, usage, users};
use crate::store::calendar::Month;
use crate::store::export::{ConversationExport, UserExport};
use crate::store::{Day, StoreResult, UserKey};

/// What a user's indexes list.
struct Owned {
    /// `convs` fields: one per conversation.
    convs: Vec<String>,
    /// Days with a `ud:<day>` aggregate (and an entry in the tenant's `du:<day>` set).
    days: Vec<Day>,
    /// Months with a `um:<month>` aggregate.
    months: Vec<Month>,
}

async fn owned(s: &RedisStore, key: &UserKey) -> StoreResult<Owned> {
    let (convs, days, months): (Vec<String>, Vec<String>, Vec<String>) = redis::pipe()
        .cmd("HKEYS")
        .arg(s.keys.convs(key))
        .cmd("ZRANGE")
        .arg(s.keys.user_days(key))
        .arg(0)
        .arg(-1)
        .cmd("ZRANGE")
        .arg(s.keys.user_months(key))
        .arg(0)
        .arg(-1)
        .query_async(&mut s.conn())
        .await?;
    let numbers = |list: Vec<String>, index: String| {
        list.iter()
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| corrupt("a non-numeric member", &index))
            })
            .collect::<StoreResult<Vec<i64>>>()
    };
    Ok(Owned {
        convs,
        days: numbers(days, s.keys.user_days(key))?,
        months: numbers(months, s.keys.user_months(key))?,
    })
}

pub async fn export(s: &RedisStore, key: &UserKey) -> StoreResult<UserExport> {
    let mut out = UserExport {
        user: users::user(s, key).await?,
        settings: users::settings(s, key).await?,
        ..UserExport::default()
    };
    let owned = owned(s, key).await?;
    let metas: Vec<String> = owned
        .convs
        .iter()
        .map(|f| s.keys.conv_meta(key, f))
        .collect();
    let metas = batch::hashes(&mut s.conn(), &metas).await?;
    for (field, meta) in owned.convs.iter().zip(metas) {
        let (place, personality) = parse_conv_field(field)
            .ok_or_else(|| corrupt("bad conversation", &s.keys.convs(key)))?;
        let msgs_key = s.keys.conv_msgs(key, field);
        out.conversations.push(ConversationExport {
            place,
            personality,
            answered_through: answered(&meta),
            messages: messages::read_list(s, &msgs_key, usize::MAX).await?,
        });
    }
    out.usage = usage::user_rows(s, key, &owned.days, &owned.months).await?;
    out.usage.records = records::of_user(s, key).await?;
    out.notes = notes::notes(s, key).await?;
    out.heartbeat = heartbeats::get(s, key).await?;
    Ok(out)
}

fn answered(meta: &HashMap<String, String>) -> u64 {
    meta.get("answered")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Deletes the user's keys, their entries in the shared indexes (user listings, per-day user
/// sets, the tenant's usage records, the check-in schedules and due index) and the saved replies
/// of the jobs in their conversations. Tenant aggregates keep their totals (they name no user). Shared entries go first, so a forget that fails half way can be
/// repeated: the user's own indexes still lead to them.
pub async fn forget(s: &RedisStore, key: &UserKey) -> StoreResult<()> {
    let owned = owned(s, key).await?;
    let msg_keys: Vec<String> = owned
        .convs
        .iter()
        .map(|f| s.keys.conv_msgs(key, f))
        .collect();
    let mut job_ids = Vec::new();
    for k in &msg_keys {
        for m in messages::read_list(s, k, usize::MAX).await? {
            job_ids.extend(m.job_id);
        }
    }

    let record_members = records::user_members(s, key).await?;

    let mut shared = redis::pipe();
    heartbeats::forget(s, key, &mut shared);
    if !record_members.is_empty() {
        shared
            .cmd("ZREM")
            .arg(s.keys.tenant_records(&key.tenant))
            .arg(&record_members)
            .ignore();
    }
    shared
        .cmd("ZREM")
        .arg(s.keys.all_users())
        .arg(user_member(key))
        .ignore()
        .cmd("ZREM")
        .arg(s.keys.tenant_users(&key.tenant))
        .arg(&key.user)
        .ignore();
    for day in &owned.days {
        shared
            .cmd("SREM")
            .arg(s.keys.tenant_day_users(&key.tenant, *day))
            .arg(&key.user)
            .ignore();
    }
    for job in &job_ids {
        shared.cmd("DEL").arg(s.keys.outcome(job)).ignore();
    }
    if !job_ids.is_empty() {
        shared
            .cmd("ZREM")
            .arg(s.keys.outcomes())
            .arg(&job_ids)
            .ignore();
    }
    let _: () = shared.query_async(&mut s.conn()).await?;

    // The user's own keys share one hash tag: one DEL takes them all.
    let mut own = vec![
        s.keys.record(key),
        s.keys.settings(key),
        s.keys.convs(key),
        s.keys.user_days(key),
        s.keys.user_months(key),
        s.keys.notes(key),
        s.keys.user_records(key),
    ];
    for f in &owned.convs {
        own.push(s.keys.conv_meta(key, f));
    }
    own.extend(msg_keys);
    own.extend(owned.days.iter().map(|d| s.keys.user_day(key, *d)));
    own.extend(owned.months.iter().map(|m| s.keys.user_month(key, *m)));
    let _: i64 = redis::cmd("DEL")
        .arg(&own)
        .query_async(&mut s.conn())
        .await?;
    tracing::info!(
        keys = own.len(),
        jobs = job_ids.len(),
        "forgot a redis user"
    );
    Ok(())
}
