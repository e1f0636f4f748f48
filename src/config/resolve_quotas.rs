//! Resolving quota tables: `[quotas]` (with documented defaults), `[quotas.guest]`, overrides for
//! tenants' users and for single users, and a tenant's own limits.
//!
//! Checking (which reports at the table where a value is written) is kept apart from converting
//! (which may see values inherited from `[tenant_defaults]`), so an inherited mistake is reported
//! once, where it is.
//!
//! An override can only replace a limit (`QuotaOverride` has no "unlimited" state), so `0` or
//! `"none"` in an override is stored as the largest value of its type: never reached.

use std::time::Duration;

use super::checks::Cx;
use super::path::KeyPath;
use super::raw::{RawQuotaFields, RawTenantQuotas};
use super::types::{QuotaOverride, Quotas, Rate};
use super::values::{Limit, RateSpec};

/// Limits a table falls back to for keys it does not set.
pub(crate) struct QuotaDefaults {
    pub rate: RateSpec,
    /// Used with `rate` when the table sets no burst.
    pub burst: u32,
    pub requests_per_day: u64,
    pub tokens_per_day: u64,
    pub cost_per_month_usd: f64,
    pub max_queued: u32,
}

/// `[quotas]` defaults for every user.
pub(crate) const USER_DEFAULTS: QuotaDefaults = QuotaDefaults {
    rate: RateSpec::Per {
        count: 20,
        per: Duration::from_secs(60),
    },
    burst: 5,
    requests_per_day: 500,
    tokens_per_day: 500_000,
    cost_per_month_usd: 10.0,
    max_queued: 5,
};

/// `[quotas.guest]` defaults.
pub(crate) const GUEST_DEFAULTS: QuotaDefaults = QuotaDefaults {
    rate: RateSpec::Per {
        count: 5,
        per: Duration::from_secs(60),
    },
    burst: 2,
    requests_per_day: 20,
    tokens_per_day: 20_000,
    cost_per_month_usd: 0.5,
    max_queued: 2,
};

/// Reports a zero burst, and (in overrides) a burst without a rate beside it.
pub(crate) fn check_fields(
    cx: &mut Cx<'_>,
    path: &KeyPath,
    raw: &RawQuotaFields,
    is_override: bool,
) {
    check_burst(cx, path, raw.burst);
    if is_override && raw.burst.is_some() && raw.rate.is_none() {
        cx.err(
            &path.key("burst"),
            "set rate beside burst: an override's burst applies to the rate it sets",
        );
    }
}

pub(crate) fn check_tenant_fields(cx: &mut Cx<'_>, path: &KeyPath, raw: &RawTenantQuotas) {
    check_burst(cx, path, raw.burst);
}

fn check_burst(cx: &mut Cx<'_>, path: &KeyPath, burst: Option<u32>) {
    if burst == Some(0) {
        cx.err(&path.key("burst"), "must be at least 1 (got 0)");
    }
}

fn rate(spec: RateSpec, burst: u32) -> Option<Rate> {
    match spec {
        RateSpec::Unlimited => None,
        RateSpec::Per { count, per } => Some(Rate {
            count,
            per,
            burst: burst.max(1),
        }),
    }
}

fn limit<T>(value: Option<Limit<T>>, default: T) -> Option<T> {
    match value {
        None => Some(default),
        Some(Limit::Unlimited) => None,
        Some(Limit::Max(v)) => Some(v),
    }
}

/// Full limits: every key absent from `raw` takes `d`'s value.
pub(crate) fn to_quotas(raw: &RawQuotaFields, d: &QuotaDefaults) -> Quotas {
    Quotas {
        rate: rate(raw.rate.unwrap_or(d.rate), raw.burst.unwrap_or(d.burst)),
        requests_per_day: limit(raw.requests_per_day, d.requests_per_day),
        tokens_per_day: limit(raw.tokens_per_day, d.tokens_per_day),
        cost_per_month_usd: limit(raw.cost_per_month_usd, d.cost_per_month_usd),
        max_queued: limit(raw.max_queued, d.max_queued),
    }
}

/// An override value: `Unlimited` becomes the largest value.
fn replace<T>(value: Option<Limit<T>>, max: T) -> Option<T> {
    value.map(|l| match l {
        Limit::Unlimited => max,
        Limit::Max(v) => v,
    })
}

/// An override; a rate without a burst takes `default_burst` (the `[quotas]` burst).
pub(crate) fn to_override(raw: &RawQuotaFields, default_burst: u32) -> QuotaOverride {
    let rate = raw.rate.map(|spec| match spec {
        RateSpec::Unlimited => Rate {
            count: u32::MAX,
            per: Duration::from_secs(1),
            burst: u32::MAX,
        },
        RateSpec::Per { count, per } => Rate {
            count,
            per,
            burst: raw.burst.unwrap_or(default_burst).max(1),
        },
    });
    QuotaOverride {
        rate,
        requests_per_day: replace(raw.requests_per_day, u64::MAX),
        tokens_per_day: replace(raw.tokens_per_day, u64::MAX),
        cost_per_month_usd: replace(raw.cost_per_month_usd, f64::INFINITY),
        max_queued: replace(raw.max_queued, u32::MAX),
    }
}

/// A tenant's own limits: absent = unlimited; a rate without a burst allows a whole period's
/// count at once.
pub(crate) fn to_tenant_quotas(raw: &RawTenantQuotas) -> Quotas {
    let lim = |v: Option<Limit<u64>>| match v {
        Some(Limit::Max(n)) => Some(n),
        _ => None,
    };
    Quotas {
        rate: raw.rate.and_then(|spec| match spec {
            RateSpec::Unlimited => None,
            RateSpec::Per { count, .. } => rate(spec, raw.burst.unwrap_or(count)),
        }),
        requests_per_day: lim(raw.requests_per_day),
        tokens_per_day: lim(raw.tokens_per_day),
        cost_per_month_usd: match raw.cost_per_month_usd {
            Some(Limit::Max(x)) => Some(x),
            _ => None,
        },
        max_queued: None,
    }
}

/// `own`'s keys, with `base`'s where `own` has none.
pub(crate) fn merge_fields(own: &RawQuotaFields, base: &RawQuotaFields) -> RawQuotaFields {
    RawQuotaFields {
        rate: own.rate.or(base.rate),
        burst: if own.rate.is_some() {
            own.burst
        } else {
            own.burst.or(base.burst)
        },
        requests_per_day: own.requests_per_day.or(base.requests_per_day),
        tokens_per_day: own.tokens_per_day.or(base.tokens_per_day),
        cost_per_month_usd: own.cost_per_month_usd.or(base.cost_per_month_usd),
        max_queued: own.max_queued.or(base.max_queued),
    }
}

pub(crate) fn merge_tenant_fields(
    own: &RawTenantQuotas,
    base: &RawTenantQuotas,
) -> RawTenantQuotas {
    RawTenantQuotas {
        rate: own.rate.or(base.rate),
        burst: if own.rate.is_some() {
            own.burst
        } else {
            own.burst.or(base.burst)
        },
        requests_per_day: own.requests_per_day.or(base.requests_per_day),
        tokens_per_day: own.tokens_per_day.or(base.tokens_per_day),
        cost_per_month_usd: own.cost_per_month_usd.or(base.cost_per_month_usd),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> RawQuotaFields {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn absent_keys_take_defaults_and_none_lifts_a_limit() {
        let q = to_quotas(
            &fields("requests_per_day = \"none\"\nburst = 9"),
            &USER_DEFAULTS,
        );
        assert_eq!(
            q.rate,
            Some(Rate {
                count: 20,
                per: Duration::from_secs(60),
                burst: 9
            })
        );
        assert_eq!(q.requests_per_day, None);
        assert_eq!(q.tokens_per_day, Some(500_000));
        assert_eq!(q.cost_per_month_usd, Some(10.0));
        assert_eq!(to_quotas(&fields("rate = 0"), &GUEST_DEFAULTS).rate, None);
        assert_eq!(to_quotas(&fields(""), &GUEST_DEFAULTS).max_queued, Some(2));
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let o = to_override(&fields("rate = \"2/sec\"\ntokens_per_day = 0"), 5);
        assert_eq!(
            o.rate,
            Some(Rate {
                count: 2,
                per: Duration::from_secs(1),
                burst: 5
            })
        );
        assert_eq!(o.tokens_per_day, Some(u64::MAX));
        assert_eq!(o.requests_per_day, None);
        let base = to_quotas(&fields(""), &USER_DEFAULTS);
        let q = base.overlaid(&o);
        assert_eq!(q.tokens_per_day, Some(u64::MAX));
        assert_eq!(q.requests_per_day, Some(500));
    }

    #[test]
    fn tenant_limits_default_to_unlimited() {
        let raw: RawTenantQuotas =
            toml::from_str("rate = \"100/min\"\ntokens_per_day = 9").unwrap();
        let q = to_tenant_quotas(&raw);
        assert_eq!(
            q.rate,
            Some(Rate {
                count: 100,
                per: Duration::from_secs(60),
                burst: 100
            })
        );
        assert_eq!(
            (q.tokens_per_day, q.requests_per_day, q.max_queued),
            (Some(9), None, None)
        );
    }

    #[test]
    fn merge_keeps_own_rate_with_own_burst() {
        let m = merge_fields(
            &fields("rate = \"1/min\""),
            &fields("rate = \"9/min\"\nburst = 7"),
        );
        assert_eq!(m.burst, None);
        let m = merge_fields(
            &fields("max_queued = 1"),
            &fields("rate = \"9/min\"\nburst = 7"),
        );
        assert_eq!((m.burst, m.max_queued), (Some(7), Some(Limit::Max(1))));
    }
}
