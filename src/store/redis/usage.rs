//! Usage in Redis: per-day and per-month aggregate hashes for each user (`{u}` tag) and each
//! tenant (`{t}` tag), a set per tenant and day of the users with usage, and a set per day of the
//! tenants with usage, which `usage_by_user` walks. Each request's record (`records.rs`) is added
//! by the same scripts, so a record and its share of the aggregates land together.

use std::collections::{BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use super::RedisStore;
use super::batch;
use super::errors::corrupt;
use super::records;
use crate::store::calendar::{self, Span};
use crate::store::export::{DayUsage, MonthUsage, UsageExport};
use crate::store::{Day, StoreResult, UsageRecord, UsageScope, UsageTotals, UserKey, day_of};

/// Per-day keys live this long after their last update (month reports a year back work).
pub const DAY_TTL_S: u64 = 400 * 86_400;
/// Per-month keys live this long after their last update.
pub const MONTH_TTL_S: u64 = 800 * 86_400;

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub async fn record(s: &RedisStore, rec: &UsageRecord) -> StoreResult<()> {
    let user = UserKey::new(&rec.tenant, &rec.user);
    let day = day_of(rec.at_ms);
    let month = calendar::month_of(day);
    // Rust prints f64 without exponents, which HINCRBYFLOAT accepts.
    let cost = rec.cost_usd.to_string();
    let member = records::member(rec)?;
    let mut user_script = s.scripts.usage_user.prepare_invoke();
    user_script
        .key(s.keys.user_day(&user, day))
        .key(s.keys.user_month(&user, month))
        .key(s.keys.user_days(&user))
        .key(s.keys.user_months(&user))
        .key(s.keys.user_records(&user))
        .arg(rec.input_tokens)
        .arg(rec.output_tokens)
        .arg(&cost)
        .arg(day)
        .arg(month)
        .arg(now_s())
        .arg(DAY_TTL_S)
        .arg(MONTH_TTL_S)
        .arg(rec.at_ms)
        .arg(&member);
    let mut tenant_script = s.scripts.usage_tenant.prepare_invoke();
    tenant_script
        .key(s.keys.tenant_day(&rec.tenant, day))
        .key(s.keys.tenant_month(&rec.tenant, month))
        .key(s.keys.tenant_day_users(&rec.tenant, day))
        .key(s.keys.tenant_records(&rec.tenant))
        .arg(rec.input_tokens)
        .arg(rec.output_tokens)
        .arg(&cost)
        .arg(&rec.user)
        .arg(DAY_TTL_S)
        .arg(MONTH_TTL_S)
        .arg(rec.at_ms)
        .arg(&member);
    let day_tenants = s.keys.day_tenants(day);
    let mut tenants = redis::pipe();
    tenants
        .cmd("SADD")
        .arg(&day_tenants)
        .arg(&rec.tenant)
        .ignore()
        .cmd("EXPIRE")
        .arg(&day_tenants)
        .arg(DAY_TTL_S)
        .ignore()
        .cmd("SADD")
        .arg(s.keys.record_tenants())
        .arg(&rec.tenant)
        .ignore();
    let (mut c1, mut c2, mut c3) = (s.conn(), s.conn(), s.conn());
    let (a, b, c) = tokio::join!(
        user_script.invoke_async::<i64>(&mut c1),
        tenant_script.invoke_async::<i64>(&mut c2),
        tenants.query_async::<()>(&mut c3),
    );
    a?;
    b?;
    c?;
    Ok(())
}

/// Totals from an aggregate hash (zero for a missing key).
pub fn totals(key: &str, map: &HashMap<String, String>) -> StoreResult<UsageTotals> {
    let int = |field: &str| -> StoreResult<u64> {
        map.get(field).map_or(Ok(0), |v| {
            v.parse()
                .map_err(|_| corrupt(&format!("usage field {field}"), key))
        })
    };
    let cost = map.get("cost_usd").map_or(Ok(0.0), |v| {
        v.parse::<f64>()
            .map_err(|_| corrupt("usage field cost_usd", key))
    })?;
    Ok(UsageTotals {
        requests: int("requests")?,
        input_tokens: int("input_tokens")?,
        output_tokens: int("output_tokens")?,
        cost_usd: cost,
    })
}

/// The aggregate keys covering `from..=to` for a scope: month keys for whole months, day keys
/// for the rest.
fn span_keys(s: &RedisStore, scope: UsageScope<'_>, from: Day, to: Day) -> Vec<String> {
    let mut keys = Vec::new();
    for span in calendar::split(from, to) {
        match (scope, span) {
            (UsageScope::User(u), Span::Days(a, b)) => {
                keys.extend((a..=b).map(|d| s.keys.user_day(u, d)));
            }
            (UsageScope::User(u), Span::Month(m)) => keys.push(s.keys.user_month(u, m)),
            (UsageScope::Tenant(t), Span::Days(a, b)) => {
                keys.extend((a..=b).map(|d| s.keys.tenant_day(t, d)));
            }
            (UsageScope::Tenant(t), Span::Month(m)) => keys.push(s.keys.tenant_month(t, m)),
        }
    }
    keys
}

/// Sums the hashes at `keys`.
async fn sum(s: &RedisStore, keys: &[String]) -> StoreResult<UsageTotals> {
    let mut out = UsageTotals::default();
    for (k, map) in keys.iter().zip(batch::hashes(&mut s.conn(), keys).await?) {
        out.add(&totals(k, &map)?);
    }
    Ok(out)
}

pub async fn usage(
    s: &RedisStore,
    scope: UsageScope<'_>,
    from: Day,
    to: Day,
) -> StoreResult<UsageTotals> {
    sum(s, &span_keys(s, scope, from, to)).await
}

pub async fn by_user(
    s: &RedisStore,
    tenant: Option<&str>,
    from: Day,
    to: Day,
) -> StoreResult<Vec<(UserKey, UsageTotals)>> {
    let mut conn = s.conn();
    let days: Vec<Day> = (from..=to).collect();
    // (tenant, day) pairs that may have usage.
    let pairs: Vec<(String, Day)> = match tenant {
        Some(t) => days.iter().map(|d| (t.to_owned(), *d)).collect(),
        None => {
            let keys: Vec<String> = days.iter().map(|d| s.keys.day_tenants(*d)).collect();
            let tenants: Vec<Vec<String>> = batch::each(&mut conn, "SMEMBERS", &keys).await?;
            days.iter()
                .zip(tenants)
                .flat_map(|(d, ts)| ts.into_iter().map(move |t| (t, *d)))
                .collect()
        }
    };
    let keys: Vec<String> = pairs
        .iter()
        .map(|(t, d)| s.keys.tenant_day_users(t, *d))
        .collect();
    let members: Vec<Vec<String>> = batch::each(&mut conn, "SMEMBERS", &keys).await?;
    let who: BTreeSet<UserKey> = pairs
        .iter()
        .zip(members)
        .flat_map(|((t, _), us)| us.into_iter().map(move |u| UserKey::new(t.as_str(), u)))
        .collect();
    // Every user's aggregate keys, read in one chunked pipeline.
    let mut owner = Vec::new();
    let mut agg_keys = Vec::new();
    for (i, user) in who.iter().enumerate() {
        let ks = span_keys(s, UsageScope::User(user), from, to);
        owner.extend(std::iter::repeat_n(i, ks.len()));
        agg_keys.extend(ks);
    }
    let mut sums = vec![UsageTotals::default(); who.len()];
    let maps = batch::hashes(&mut conn, &agg_keys).await?;
    for ((i, k), map) in owner.into_iter().zip(&agg_keys).zip(maps) {
        sums[i].add(&totals(k, &map)?);
    }
    // A user forgotten in the meantime has no aggregates left.
    let mut out: Vec<(UserKey, UsageTotals)> = who
        .into_iter()
        .zip(sums)
        .filter(|(_, t)| t.requests > 0)
        .collect();
    out.sort_by(|a, b| {
        b.1.cost_usd
            .total_cmp(&a.1.cost_usd)
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(out)
}

/// A user's per-day and per-month aggregates that still exist, for exports.
pub async fn user_rows(
    s: &RedisStore,
    key: &UserKey,
    days: &[Day],
    months: &[calendar::Month],
) -> StoreResult<UsageExport> {
    let mut conn = s.conn();
    let day_keys: Vec<String> = days.iter().map(|d| s.keys.user_day(key, *d)).collect();
    let month_keys: Vec<String> = months.iter().map(|m| s.keys.user_month(key, *m)).collect();
    let day_maps = batch::hashes(&mut conn, &day_keys).await?;
    let month_maps = batch::hashes(&mut conn, &month_keys).await?;
    let mut out = UsageExport::default();
    // Empty maps: expired since they were indexed.
    for ((k, day), map) in day_keys.iter().zip(days).zip(day_maps) {
        if !map.is_empty() {
            out.days.push(DayUsage {
                day: *day,
                totals: totals(k, &map)?,
            });
        }
    }
    for ((k, month), map) in month_keys.iter().zip(months).zip(month_maps) {
        if !map.is_empty() {
            out.months.push(MonthUsage::new(*month, totals(k, &map)?));
        }
    }
    Ok(out)
}
