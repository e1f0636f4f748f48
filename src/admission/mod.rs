//! Admission: before a message becomes a job, check access, rate limits, budgets and the user's
//! backlog. Nothing is enqueued when refused, and the refusal says which limit and when it resets.

mod budget;
mod gcra;
mod limiter;

use std::sync::Arc;
use std::time::Duration;

pub use budget::{
    BudgetKind, Usage, effective_quotas, month_start, next_midnight_ms, next_month_ms,
};
pub use gcra::{Gcra, Limited};
pub use limiter::{LimiterError, LocalLimiter, RateLimiter, RedisLimiter};

use crate::config::{Access, Config, Tenant};
use crate::store::{Store, StoreError, UsageScope, UserKey, UserStatus, day_of};
use switchboard_queue::{Queue, QueueError};

/// Whose limit refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    User,
    Tenant,
}

impl Who {
    fn phrase(self) -> &'static str {
        match self {
            Who::User => "your",
            Who::Tenant => "this community's",
        }
    }
}

/// Why a message was not accepted. `message()` is what the user is told.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    Banned,
    /// An allowlist tenant and the user is not on it.
    NotAllowed,
    RateLimited {
        who: Who,
        retry_in: Duration,
    },
    Budget {
        who: Who,
        kind: BudgetKind,
        limit: f64,
        resets_at_ms: u64,
    },
    Backlog {
        max: u32,
    },
}

impl Refusal {
    /// A short label for metrics and reports.
    pub fn limit(&self) -> &'static str {
        match self {
            Refusal::Banned => "banned",
            Refusal::NotAllowed => "not_allowed",
            Refusal::RateLimited { who: Who::User, .. } => "user_rate",
            Refusal::RateLimited {
                who: Who::Tenant, ..
            } => "tenant_rate",
            Refusal::Budget {
                who: Who::User,
                kind,
                ..
            } => kind.user_label(),
            Refusal::Budget {
                who: Who::Tenant,
                kind,
                ..
            } => kind.tenant_label(),
            Refusal::Backlog { .. } => "backlog",
        }
    }

    /// The reply: which limit, and when it resets.
    pub fn message(&self, now_ms: u64) -> String {
        match self {
            Refusal::Banned => "You can't use this bot.".into(),
            Refusal::NotAllowed => {
                "This bot is invite-only here and you're not on the list yet. Ask an admin to add you.".into()
            }
            Refusal::RateLimited { who, retry_in } => format!(
                "You're sending messages faster than {} limit allows. Try again in {}.",
                who.phrase(),
                human(*retry_in)
            ),
            Refusal::Budget { who, kind, limit, resets_at_ms } => format!(
                "You've reached {} {} ({}). It resets in {} (at {}).",
                who.phrase(),
                kind.describe(),
                kind.amount(*limit),
                human(Duration::from_millis(resets_at_ms.saturating_sub(now_ms))),
                budget::utc_label(*resets_at_ms)
            ),
            Refusal::Backlog { max } => format!(
                "You already have {max} messages waiting for an answer. I'll get to them; send more once they're answered."
            ),
        }
    }
}

/// "3 h 12 min", "45 s".
pub fn human(d: Duration) -> String {
    let s = d.as_secs().max(1);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Limiter(#[from] LimiterError),
}

/// A message to admit.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    pub tenant: &'a Tenant,
    pub user: &'a UserKey,
    pub status: UserStatus,
    pub now_ms: u64,
}

pub struct Admission {
    limiter: Arc<dyn RateLimiter>,
    store: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
}

impl Admission {
    pub fn new(
        limiter: Arc<dyn RateLimiter>,
        store: Arc<dyn Store>,
        queue: Arc<dyn Queue>,
    ) -> Self {
        Self {
            limiter,
            store,
            queue,
        }
    }

    pub fn limiter(&self) -> &Arc<dyn RateLimiter> {
        &self.limiter
    }

    /// Checks access, rates, budgets and backlog, in that order. `Ok(Err(refusal))` is a refusal;
    /// `Err` means a backend failed (the caller should not enqueue, and may ask the user to retry).
    pub async fn admit(
        &self,
        cfg: &Config,
        c: &Candidate<'_>,
    ) -> Result<Result<(), Refusal>, AdmissionError> {
        let over = cfg.users.get(&c.user.user);
        if c.status == UserStatus::Banned || over.is_some_and(|o| o.banned) {
            return Ok(Err(Refusal::Banned));
        }
        if c.tenant.access == Access::Allowlist
            && c.status != UserStatus::Active
            && !over.is_some_and(|o| o.allowed)
        {
            return Ok(Err(Refusal::NotAllowed));
        }
        let settings = self.store.settings(c.user).await?;
        let quotas = effective_quotas(cfg, c.tenant, &c.user.user, c.status, &settings);

        if let Some(rate) = &quotas.rate {
            let key = format!("u:{}:{}", c.user.tenant, c.user.user);
            if let Some(retry_in) = self.limiter.check(&key, rate).await? {
                return Ok(Err(Refusal::RateLimited {
                    who: Who::User,
                    retry_in,
                }));
            }
        }
        if let Some(rate) = &c.tenant.tenant_quotas.rate {
            if let Some(retry_in) = self
                .limiter
                .check(&format!("t:{}", c.tenant.name), rate)
                .await?
            {
                return Ok(Err(Refusal::RateLimited {
                    who: Who::Tenant,
                    retry_in,
                }));
            }
        }

        let backlog = self
            .queue
            .user_backlog(&c.user.tenant, &c.user.user)
            .await?;
        let today = day_of(c.now_ms);
        let month = month_start(today);
        let user_day = self
            .store
            .usage(UsageScope::User(c.user), today, today)
            .await?;
        let user_month = self
            .store
            .usage(UsageScope::User(c.user), month, today)
            .await?;
        let usage = Usage {
            day: &user_day,
            month: &user_month,
            pending: backlog,
        };
        if let Some(r) = budget::check(&quotas, &usage, Who::User, c.now_ms) {
            return Ok(Err(r));
        }
        let tq = &c.tenant.tenant_quotas;
        if tq.requests_per_day.is_some()
            || tq.tokens_per_day.is_some()
            || tq.cost_per_month_usd.is_some()
        {
            let t_day = self
                .store
                .usage(UsageScope::Tenant(&c.tenant.name), today, today)
                .await?;
            let t_month = self
                .store
                .usage(UsageScope::Tenant(&c.tenant.name), month, today)
                .await?;
            let usage = Usage {
                day: &t_day,
                month: &t_month,
                pending: 0,
            };
            if let Some(r) = budget::check(tq, &usage, Who::Tenant, c.now_ms) {
                return Ok(Err(r));
            }
        }
        if let Some(max) = quotas.max_queued {
            if backlog >= u64::from(max) {
                return Ok(Err(Refusal::Backlog { max }));
            }
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_talk() {
        assert_eq!(human(Duration::from_millis(300)), "1 s");
        assert_eq!(human(Duration::from_secs(45)), "45 s");
        assert_eq!(human(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(human(Duration::from_secs(3 * 3600 + 12 * 60)), "3 h 12 min");
        assert_eq!(human(Duration::from_secs(2 * 86_400 + 3600)), "2 d 1 h");
    }

    #[test]
    fn refusals_name_the_limit_and_the_reset() {
        let now = 1_700_000_000_000;
        let r = Refusal::Budget {
            who: Who::User,
            kind: BudgetKind::RequestsPerDay,
            limit: 200.0,
            resets_at_ms: now + 3_600_000,
        };
        let m = r.message(now);
        assert!(
            m.contains("daily requests") && m.contains("200") && m.contains("1 h 0 min"),
            "{m}"
        );
        assert_eq!(r.limit(), "user_requests_per_day");
        let r = Refusal::RateLimited {
            who: Who::Tenant,
            retry_in: Duration::from_secs(12),
        };
        assert!(r.message(now).contains("12 s") && r.message(now).contains("community"));
        assert!(Refusal::Backlog { max: 5 }.message(now).contains('5'));
    }
}
