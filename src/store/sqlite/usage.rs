//! Usage in SQLite: four aggregate tables (user and tenant, per day and per month) and the
//! per-request record (`records.rs`), all written together in one transaction; reports read whole months from the month tables and
//! the loose days at either end from the day tables.

use rusqlite::{Connection, Row, params};

use super::records;
use crate::store::calendar::{self, Span};
use crate::store::export::{DayUsage, MonthUsage, UsageExport};
use crate::store::{Day, StoreResult, UsageRecord, UsageScope, UsageTotals, UserKey, day_of};

const ADD: &str = "ON CONFLICT DO UPDATE SET
    requests = requests + 1,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cost_usd = cost_usd + excluded.cost_usd";

pub fn record(conn: &Connection, rec: &UsageRecord) -> StoreResult<()> {
    records::insert(conn, rec)?;
    let day = day_of(rec.at_ms);
    let month = calendar::month_of(day);
    let (i, o, c) = (rec.input_tokens, rec.output_tokens, rec.cost_usd);
    for (table, period) in [("usage_user_day", day), ("usage_user_month", month)] {
        let column = if table.ends_with("day") {
            "day"
        } else {
            "month"
        };
        let sql = format!(
            "INSERT INTO {table} (tenant, user_id, {column}, requests, input_tokens,
             output_tokens, cost_usd) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6) {ADD}"
        );
        conn.prepare_cached(&sql)?
            .execute(params![rec.tenant, rec.user, period, i, o, c])?;
    }
    for (table, period) in [("usage_tenant_day", day), ("usage_tenant_month", month)] {
        let column = if table.ends_with("day") {
            "day"
        } else {
            "month"
        };
        let sql = format!(
            "INSERT INTO {table} (tenant, {column}, requests, input_tokens, output_tokens,
             cost_usd) VALUES (?1, ?2, 1, ?3, ?4, ?5) {ADD}"
        );
        conn.prepare_cached(&sql)?
            .execute(params![rec.tenant, period, i, o, c])?;
    }
    Ok(())
}

const SUMS: &str = "count(*), coalesce(sum(requests), 0), coalesce(sum(input_tokens), 0),
    coalesce(sum(output_tokens), 0), coalesce(sum(cost_usd), 0.0)";

fn totals(row: &Row<'_>, first: usize) -> rusqlite::Result<UsageTotals> {
    Ok(UsageTotals {
        requests: row.get(first)?,
        input_tokens: row.get(first + 1)?,
        output_tokens: row.get(first + 2)?,
        cost_usd: row.get(first + 3)?,
    })
}

pub fn usage(
    conn: &Connection,
    scope: UsageScope<'_>,
    from: Day,
    to: Day,
) -> StoreResult<UsageTotals> {
    let mut sum = UsageTotals::default();
    for span in calendar::split(from, to) {
        let (table, filter, lo, hi) = match (scope, span) {
            (UsageScope::User(_), Span::Days(a, b)) => ("usage_user_day", "day", a, b),
            (UsageScope::User(_), Span::Month(m)) => ("usage_user_month", "month", m, m),
            (UsageScope::Tenant(_), Span::Days(a, b)) => ("usage_tenant_day", "day", a, b),
            (UsageScope::Tenant(_), Span::Month(m)) => ("usage_tenant_month", "month", m, m),
        };
        let part = match scope {
            UsageScope::User(k) => {
                let sql = format!(
                    "SELECT {SUMS} FROM {table}
                     WHERE tenant = ?1 AND user_id = ?2 AND {filter} BETWEEN ?3 AND ?4"
                );
                conn.prepare_cached(&sql)?
                    .query_row(params![k.tenant, k.user, lo, hi], |r| totals(r, 1))?
            }
            UsageScope::Tenant(t) => {
                let sql = format!(
                    "SELECT {SUMS} FROM {table} WHERE tenant = ?1 AND {filter} BETWEEN ?2 AND ?3"
                );
                conn.prepare_cached(&sql)?
                    .query_row(params![t, lo, hi], |r| totals(r, 1))?
            }
        };
        sum.add(&part);
    }
    Ok(sum)
}

pub fn by_user(
    conn: &Connection,
    tenant: Option<&str>,
    from: Day,
    to: Day,
) -> StoreResult<Vec<(UserKey, UsageTotals)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT tenant, user_id, sum(requests), sum(input_tokens), sum(output_tokens),
                sum(cost_usd) AS cost
         FROM usage_user_day
         WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR tenant = ?3)
         GROUP BY tenant, user_id
         ORDER BY cost DESC, tenant, user_id",
    )?;
    let rows = stmt.query_map(params![from, to, tenant], |r| {
        Ok((
            UserKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            totals(r, 2)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A user's per-day and per-month rows and per-request records, for exports.
pub fn user_rows(conn: &Connection, key: &UserKey) -> StoreResult<UsageExport> {
    let mut out = UsageExport::default();
    let mut stmt = conn.prepare_cached(
        "SELECT day, requests, input_tokens, output_tokens, cost_usd FROM usage_user_day
         WHERE tenant = ?1 AND user_id = ?2 ORDER BY day",
    )?;
    let rows = stmt.query_map(params![key.tenant, key.user], |r| {
        Ok(DayUsage {
            day: r.get(0)?,
            totals: totals(r, 1)?,
        })
    })?;
    out.days = rows.collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT month, requests, input_tokens, output_tokens, cost_usd FROM usage_user_month
         WHERE tenant = ?1 AND user_id = ?2 ORDER BY month",
    )?;
    let rows = stmt.query_map(params![key.tenant, key.user], |r| {
        Ok(MonthUsage::new(r.get(0)?, totals(r, 1)?))
    })?;
    out.months = rows.collect::<rusqlite::Result<_>>()?;
    out.records = records::of_user(conn, key)?;
    Ok(out)
}
