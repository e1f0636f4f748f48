//! Budgets: requests and tokens per day, cost per month, for a user or a tenant; which quotas
//! apply to whom; and when each budget resets (UTC midnight, the first of the month).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{Refusal, Who};
use crate::config::{Access, Config, QuotaOverride, Quotas, Rate, Tenant};
use crate::store::{Day, UsageTotals, UserStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetKind {
    RequestsPerDay,
    TokensPerDay,
    CostPerMonth,
}

impl BudgetKind {
    pub fn describe(self) -> &'static str {
        match self {
            BudgetKind::RequestsPerDay => "limit of daily requests",
            BudgetKind::TokensPerDay => "limit of daily tokens",
            BudgetKind::CostPerMonth => "monthly spending limit",
        }
    }

    pub fn amount(self, limit: f64) -> String {
        match self {
            BudgetKind::RequestsPerDay => format!("{limit:.0} requests"),
            BudgetKind::TokensPerDay => format!("{limit:.0} tokens"),
            BudgetKind::CostPerMonth => format!("${limit:.2}"),
        }
    }

    pub fn user_label(self) -> &'static str {
        match self {
            BudgetKind::RequestsPerDay => "user_requests_per_day",
            BudgetKind::TokensPerDay => "user_tokens_per_day",
            BudgetKind::CostPerMonth => "user_cost_per_month",
        }
    }

    pub fn tenant_label(self) -> &'static str {
        match self {
            BudgetKind::RequestsPerDay => "tenant_requests_per_day",
            BudgetKind::TokensPerDay => "tenant_tokens_per_day",
            BudgetKind::CostPerMonth => "tenant_cost_per_month",
        }
    }
}

/// What has been used, and what is still queued (counted against request budgets so a burst of
/// queued messages cannot overshoot them).
pub struct Usage<'a> {
    pub day: &'a UsageTotals,
    pub month: &'a UsageTotals,
    pub pending: u64,
}

/// The first refusal among the budgets, if any.
pub fn check(q: &Quotas, u: &Usage<'_>, who: Who, now_ms: u64) -> Option<Refusal> {
    if let Some(limit) = q.requests_per_day {
        if u.day.requests + u.pending >= limit {
            return Some(Refusal::Budget {
                who,
                kind: BudgetKind::RequestsPerDay,
                limit: limit as f64,
                resets_at_ms: next_midnight_ms(now_ms),
            });
        }
    }
    if let Some(limit) = q.tokens_per_day {
        if u.day.tokens() >= limit {
            return Some(Refusal::Budget {
                who,
                kind: BudgetKind::TokensPerDay,
                limit: limit as f64,
                resets_at_ms: next_midnight_ms(now_ms),
            });
        }
    }
    if let Some(limit) = q.cost_per_month_usd {
        if u.month.cost_usd >= limit {
            return Some(Refusal::Budget {
                who,
                kind: BudgetKind::CostPerMonth,
                limit,
                resets_at_ms: next_month_ms(now_ms),
            });
        }
    }
    None
}

/// The quotas for a user: guests in approval tenants get the guest quotas; everyone else the
/// defaults, overlaid by the tenant's user quotas, the user's config override, and finally runtime
/// overrides an admin stored in the user's settings (`quota.<limit>`, e.g. `quota.requests_per_day`).
pub fn effective_quotas(
    cfg: &Config,
    tenant: &Tenant,
    user: &str,
    status: UserStatus,
    settings: &BTreeMap<String, String>,
) -> Quotas {
    let base = if status == UserStatus::Guest && tenant.access == Access::Approval {
        cfg.guest_quotas.clone()
    } else {
        let mut q = cfg.quotas.overlaid(&tenant.user_quotas);
        if let Some(o) = cfg.users.get(user) {
            q = q.overlaid(&o.quotas);
        }
        q
    };
    base.overlaid(&runtime_overrides(settings, base.rate.as_ref()))
}

/// Limits set at runtime (`/admin quota <id> <limit> <value>`), read from a user's settings: a
/// non-negative number, or `none` for no limit. Other values are ignored.
fn runtime_overrides(settings: &BTreeMap<String, String>, rate: Option<&Rate>) -> QuotaOverride {
    let num = |k: &str| {
        settings
            .get(&format!("quota.{k}"))
            .and_then(|v| match v.trim() {
                "none" => Some(f64::INFINITY),
                v => v.parse::<f64>().ok().filter(|v| *v >= 0.0),
            })
    };
    let whole = |v: f64| if v.is_finite() { v as u64 } else { u64::MAX };
    QuotaOverride {
        rate: num("rate_per_min").map(|per_min| {
            if per_min.is_finite() {
                Rate {
                    count: per_min.round().clamp(1.0, f64::from(u32::MAX)) as u32,
                    per: std::time::Duration::from_secs(60),
                    burst: rate.map_or(1, |r| r.burst),
                }
            } else {
                Rate {
                    count: u32::MAX,
                    per: std::time::Duration::from_secs(1),
                    burst: u32::MAX,
                }
            }
        }),
        requests_per_day: num("requests_per_day").map(whole),
        tokens_per_day: num("tokens_per_day").map(whole),
        cost_per_month_usd: num("cost_per_month_usd"),
        max_queued: num("max_queued").map(|v| whole(v).min(u64::from(u32::MAX)) as u32),
    }
}

fn date_of(day: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt((day + 719_163) as i32).unwrap_or(NaiveDate::MIN)
}

fn day_from(date: NaiveDate) -> Day {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// The first day of `day`'s month.
pub fn month_start(day: Day) -> Day {
    let d = date_of(day);
    day_from(d.with_day(1).unwrap_or(d))
}

/// The next UTC midnight after `now_ms`.
pub fn next_midnight_ms(now_ms: u64) -> u64 {
    (now_ms / 86_400_000 + 1) * 86_400_000
}

/// 00:00 UTC on the first of the next month.
pub fn next_month_ms(now_ms: u64) -> u64 {
    let d = date_of((now_ms / 86_400_000) as Day);
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d);
    day_from(first) as u64 * 86_400_000
}

/// "2026-12-01 00:00 UTC".
pub fn utc_label(ms: u64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms as i64)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_22_2026_10H: u64 = 1_795_341_600_000; // 2026-11-22 10:00 UTC

    #[test]
    fn resets_fall_on_utc_boundaries() {
        assert_eq!(utc_label(NOV_22_2026_10H), "2026-11-22 10:00 UTC");
        assert_eq!(
            utc_label(next_midnight_ms(NOV_22_2026_10H)),
            "2026-11-23 00:00 UTC"
        );
        assert_eq!(
            utc_label(next_month_ms(NOV_22_2026_10H)),
            "2026-12-01 00:00 UTC"
        );
        let dec_31 = 1_798_682_400_000; // 2026-12-31 02:00 UTC
        assert_eq!(utc_label(next_month_ms(dec_31)), "2027-01-01 00:00 UTC");
        let day = (NOV_22_2026_10H / 86_400_000) as Day;
        assert_eq!(
            utc_label(month_start(day) as u64 * 86_400_000),
            "2026-11-01 00:00 UTC"
        );
    }

    fn totals(requests: u64, tokens: u64, cost: f64) -> UsageTotals {
        UsageTotals {
            requests,
            input_tokens: tokens,
            output_tokens: 0,
            cost_usd: cost,
        }
    }

    #[test]
    fn each_budget_refuses_at_its_limit() {
        let q = Quotas {
            requests_per_day: Some(10),
            tokens_per_day: Some(1_000),
            cost_per_month_usd: Some(2.0),
            ..Quotas::default()
        };
        let ok = totals(5, 500, 1.0);
        assert!(
            check(
                &q,
                &Usage {
                    day: &ok,
                    month: &ok,
                    pending: 4
                },
                Who::User,
                NOV_22_2026_10H
            )
            .is_none()
        );
        let r = check(
            &q,
            &Usage {
                day: &ok,
                month: &ok,
                pending: 5,
            },
            Who::User,
            NOV_22_2026_10H,
        )
        .unwrap();
        assert_eq!(r.limit(), "user_requests_per_day", "queued messages count");
        let tok = totals(1, 1_000, 0.0);
        assert_eq!(
            check(
                &q,
                &Usage {
                    day: &tok,
                    month: &tok,
                    pending: 0
                },
                Who::User,
                0
            )
            .unwrap()
            .limit(),
            "user_tokens_per_day"
        );
        let cost = totals(1, 1, 2.5);
        let r = check(
            &q,
            &Usage {
                day: &ok,
                month: &cost,
                pending: 0,
            },
            Who::Tenant,
            NOV_22_2026_10H,
        )
        .unwrap();
        assert_eq!(r.limit(), "tenant_cost_per_month");
        assert!(
            matches!(r, Refusal::Budget { resets_at_ms, .. } if utc_label(resets_at_ms) == "2026-12-01 00:00 UTC")
        );
    }

    #[test]
    fn runtime_overrides_read_from_settings() {
        let mut s = BTreeMap::new();
        s.insert("quota.requests_per_day".to_owned(), "50".to_owned());
        s.insert("quota.max_queued".to_owned(), "nonsense".to_owned());
        let o = runtime_overrides(&s, None);
        assert_eq!(o.requests_per_day, Some(50));
        assert_eq!(o.max_queued, None);
        s.insert("quota.cost_per_month_usd".to_owned(), "none".to_owned());
        s.insert("quota.rate_per_min".to_owned(), "none".to_owned());
        s.insert("quota.tokens_per_day".to_owned(), "0".to_owned());
        let o = runtime_overrides(&s, None);
        assert_eq!(o.cost_per_month_usd, Some(f64::INFINITY));
        assert_eq!(o.rate.map(|r| r.count), Some(u32::MAX));
        assert_eq!(o.tokens_per_day, Some(0), "0 is a limit of zero");
    }
}
