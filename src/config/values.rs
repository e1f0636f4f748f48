//! Value syntaxes richer than plain TOML types: rates like `"20/min"` and limits that may be
//! `0` or `"none"` (unlimited). Checked while deserializing, so their errors carry the line.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// Words that mean "no limit".
const UNLIMITED_WORDS: &[&str] = &["none", "unlimited"];

/// `rate = "20/min"`, or `"none"` / `0` for no rate limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RateSpec {
    Unlimited,
    Per { count: u32, per: Duration },
}

impl RateSpec {
    fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if UNLIMITED_WORDS.contains(&s) {
            return Ok(RateSpec::Unlimited);
        }
        let bad = || {
            format!(
                "rate {s:?}: expected \"<count>/<sec|min|hour|day>\" like \"20/min\", or \"none\""
            )
        };
        let (count, unit) = s.split_once('/').ok_or_else(bad)?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "sec" => Duration::from_secs(1),
            "min" => Duration::from_secs(60),
            "hour" => Duration::from_secs(3600),
            "day" => Duration::from_secs(86_400),
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(format!(
                "rate {s:?}: the count must be at least 1 (\"none\" means no limit)"
            ));
        }
        let count = u32::try_from(count).map_err(|_| format!("rate {s:?}: count is too large"))?;
        Ok(RateSpec::Per { count, per })
    }
}

impl<'de> Deserialize<'de> for RateSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RateSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rate like \"20/min\" (per sec, min, hour or day), or \"none\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RateSpec, E> {
                RateSpec::parse(s).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<RateSpec, E> {
                if n == 0 {
                    Ok(RateSpec::Unlimited)
                } else {
                    Err(E::custom(format!(
                        "a rate is written \"<count>/<unit>\", like \"{n}/min\" (got the number {n})"
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A limit: a number, or `0` / `"none"` for unlimited.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Limit<T> {
    Unlimited,
    Max(T),
}

/// Numbers a [`Limit`] can hold.
pub(crate) trait LimitValue: Sized + Copy {
    const WHAT: &'static str;
    fn from_i64(n: i64) -> Option<Self>;
    fn from_f64(x: f64) -> Option<Self>;
}

impl LimitValue for u64 {
    const WHAT: &'static str = "a whole number (0 or \"none\" for no limit)";
    fn from_i64(n: i64) -> Option<Self> {
        u64::try_from(n).ok()
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
}

impl LimitValue for u32 {
    const WHAT: &'static str = "a whole number up to 4294967295 (0 or \"none\" for no limit)";
    fn from_i64(n: i64) -> Option<Self> {
        u32::try_from(n).ok()
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
}

impl LimitValue for f64 {
    const WHAT: &'static str = "an amount in USD (0 or \"none\" for no limit)";
    fn from_i64(n: i64) -> Option<Self> {
        // Exact for any amount of dollars anyone will configure.
        (0..=1 << 53).contains(&n).then_some(n as f64)
    }
    fn from_f64(x: f64) -> Option<Self> {
        (x.is_finite() && x >= 0.0).then_some(x)
    }
}

impl<'de, T: LimitValue> Deserialize<'de> for Limit<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: LimitValue> Visitor<'_> for V<T> {
            type Value = Limit<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::WHAT)
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Limit<T>, E> {
                if n == 0 {
                    return Ok(Limit::Unlimited);
                }
                T::from_i64(n)
                    .map(Limit::Max)
                    .ok_or_else(|| E::custom(format!("expected {} (got {n})", T::WHAT)))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Limit<T>, E> {
                match i64::try_from(n) {
                    Ok(n) => self.visit_i64(n),
                    Err(_) => Err(E::custom(format!("expected {} (got {n})", T::WHAT))),
                }
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Limit<T>, E> {
                if x == 0.0 {
                    return Ok(Limit::Unlimited);
                }
                T::from_f64(x)
                    .map(Limit::Max)
                    .ok_or_else(|| E::custom(format!("expected {} (got {x})", T::WHAT)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Limit<T>, E> {
                if UNLIMITED_WORDS.contains(&s.trim()) {
                    Ok(Limit::Unlimited)
                } else {
                    Err(E::custom(format!("expected {} (got {s:?})", T::WHAT)))
                }
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct T {
        rate: Option<RateSpec>,
        n: Option<Limit<u64>>,
        q: Option<Limit<u32>>,
        usd: Option<Limit<f64>>,
    }

    fn parse(s: &str) -> Result<T, String> {
        toml::from_str(s).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn rates() {
        let per = |count, secs| RateSpec::Per {
            count,
            per: Duration::from_secs(secs),
        };
        assert_eq!(parse("rate = \"20/min\"").unwrap().rate, Some(per(20, 60)));
        assert_eq!(parse("rate = \"1/sec\"").unwrap().rate, Some(per(1, 1)));
        assert_eq!(
            parse("rate = \"100 / hour\"").unwrap().rate,
            Some(per(100, 3600))
        );
        assert_eq!(
            parse("rate = \"5/day\"").unwrap().rate,
            Some(per(5, 86_400))
        );
        assert_eq!(
            parse("rate = \"none\"").unwrap().rate,
            Some(RateSpec::Unlimited)
        );
        assert_eq!(parse("rate = 0").unwrap().rate, Some(RateSpec::Unlimited));
        for bad in [
            "\"20/week\"",
            "\"0/min\"",
            "\"x/min\"",
            "\"20\"",
            "\"-1/min\"",
            "5",
            "true",
        ] {
            let e = parse(&format!("rate = {bad}")).unwrap_err();
            assert!(e.contains("rate") || e.contains("count"), "{bad}: {e}");
        }
        assert!(
            parse("rate = \"0/min\"")
                .unwrap_err()
                .contains("at least 1")
        );
    }

    #[test]
    fn limits() {
        let t = parse("n = 500\nq = 0\nusd = 10.5").unwrap();
        assert_eq!(t.n, Some(Limit::Max(500)));
        assert_eq!(t.q, Some(Limit::Unlimited));
        assert_eq!(t.usd, Some(Limit::Max(10.5)));
        assert_eq!(parse("usd = 3").unwrap().usd, Some(Limit::Max(3.0)));
        assert_eq!(parse("n = \"none\"").unwrap().n, Some(Limit::Unlimited));
        assert!(parse("n = -1").unwrap_err().contains("got -1"));
        assert!(parse("q = 5000000000").unwrap_err().contains("4294967295"));
        assert!(parse("usd = -0.5").is_err());
        assert!(parse("usd = nan").is_err());
        assert!(parse("n = 1.5").is_err());
        assert!(parse("n = \"lots\"").unwrap_err().contains("\"lots\""));
    }
}
