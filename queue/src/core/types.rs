//! The values that go in and out of the queue: jobs, leases, nack decisions, statistics, settings.
//! Shared by the pure core and both backends so they speak one vocabulary.

use bytes::Bytes;

/// Milliseconds since the Unix epoch (or since any fixed origin, for a manual test clock).
pub type Millis = u64;

/// Longest job id, tenant or user name, in bytes.
pub const MAX_NAME_LEN: usize = 200;

/// How many due delayed jobs or expired leases one lease call moves at most. Both backends use the
/// same bound so they stay step-for-step identical and no single Redis script runs long.
pub const MAINTENANCE_BATCH: usize = 100;

/// A job to enqueue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob {
    /// Unique id; enqueueing an id the queue already knows (queued, in flight, dead, or finished
    /// within the tombstone time) is a no-op. Printable ASCII without spaces.
    pub id: String,
    /// The tenant: the top level of fairness.
    pub tenant: String,
    /// The user inside the tenant: the second level of fairness.
    pub user: String,
    /// Opaque bytes for the worker.
    pub payload: Bytes,
    /// Not to be dispatched before this time.
    pub not_before: Option<Millis>,
}

impl NewJob {
    pub fn new(
        id: impl Into<String>,
        tenant: impl Into<String>,
        user: impl Into<String>,
        payload: impl Into<Bytes>,
    ) -> Self {
        Self {
            id: id.into(),
            tenant: tenant.into(),
            user: user.into(),
            payload: payload.into(),
            not_before: None,
        }
    }

    /// Delays the job until `at`.
    pub fn not_before(mut self, at: Millis) -> Self {
        self.not_before = Some(at);
        self
    }

    /// Checks the names: what the Redis backend packs with newlines and orders by bytes must not
    /// contain them. Returns a message naming the field.
    pub fn validate(&self) -> Result<(), String> {
        validate_job_id(&self.id)?;
        validate_name("tenant", &self.tenant)?;
        validate_name("user", &self.user)
    }
}

/// Job ids are printable ASCII without spaces (0x21..=0x7e), 1..=MAX_NAME_LEN bytes.
pub fn validate_job_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_NAME_LEN {
        return Err(format!("job id must be 1..={MAX_NAME_LEN} bytes"));
    }
    if !id.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("job id must be printable ASCII without spaces".into());
    }
    Ok(())
}

/// Tenant and user names: 1..=MAX_NAME_LEN bytes of UTF-8 without control characters.
pub fn validate_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("{what} must be 1..={MAX_NAME_LEN} bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(())
}

/// Weights are positive, finite and within a range where tag arithmetic stays meaningful.
pub fn validate_weight(weight: f64) -> Result<(), String> {
    if weight.is_finite() && (1e-6..=1e6).contains(&weight) {
        Ok(())
    } else {
        Err(format!(
            "weight must be between 0.000001 and 1000000, got {weight}"
        ))
    }
}

/// Costs reported at ack: finite and not negative.
pub fn validate_cost(cost: f64) -> Result<(), String> {
    if cost.is_finite() && (0.0..=1e9).contains(&cost) {
        Ok(())
    } else {
        Err(format!("cost must be between 0 and 1e9, got {cost}"))
    }
}

/// What enqueue did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// The job is new and now queued (or delayed).
    New,
    /// The id was already known; nothing changed.
    Duplicate,
}

/// A job handed to a worker. Holding it means owning the job until `deadline`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub id: String,
    pub tenant: String,
    pub user: String,
    pub payload: Bytes,
    /// 1 on the first try; failures and expired leases add one.
    pub attempt: u32,
    /// Proves ownership on ack, nack and extend; a reclaimed job gets a new token.
    pub token: String,
    /// When the lease expires unless extended.
    pub deadline: Millis,
}

/// Finishing a lease successfully.
#[derive(Clone, Debug, PartialEq)]
pub struct Ack {
    pub id: String,
    pub token: String,
    pub tenant: String,
    pub user: String,
    /// The job's actual cost, correcting the 1 charged at dispatch (tokens, runtime quanta...).
    pub cost: Option<f64>,
}

impl Ack {
    pub fn of(lease: &Lease) -> Self {
        Self {
            id: lease.id.clone(),
            token: lease.token.clone(),
            tenant: lease.tenant.clone(),
            user: lease.user.clone(),
            cost: None,
        }
    }

    pub fn with_cost(mut self, cost: f64) -> Self {
        self.cost = Some(cost);
        self
    }
}

/// What to do with a lease that did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nack {
    /// Try again after `delay_ms`. The job keeps its user's slot while it waits, so that user's
    /// later jobs do not overtake it. `failed` counts an attempt (an error); a postponement (breaker
    /// open, provider rate limit) does not. A failure that uses up the attempts dead-letters.
    Retry {
        delay_ms: Millis,
        failed: bool,
        error: String,
    },
    /// Give up now.
    DeadLetter { error: String },
}

/// Where a nacked job went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NackOutcome {
    RetryAt(Millis),
    DeadLettered,
}

/// A dead-lettered job, for listing and requeueing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadJob {
    pub id: String,
    pub tenant: String,
    pub user: String,
    pub payload: Bytes,
    pub attempts: u32,
    pub error: String,
    pub at: Millis,
}

/// Where a user's next job stands, as the scheduler sees it now (arrivals may still overtake it:
/// a new user's job is scheduled at the current virtual time, fairly, not behind the queue).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Users of the same tenant served before this user's next job.
    pub users_ahead: u64,
    /// Tenants served before this user's tenant; when the tenant is at its cap (waiting for one
    /// of its jobs to finish), every tenant with work.
    pub tenants_ahead: u64,
}

/// Queue depth, overall and per tenant and user (users with any job only).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub ready: u64,
    pub in_flight: u64,
    pub delayed: u64,
    pub dead: u64,
    /// Sorted by tenant name.
    pub tenants: Vec<TenantStats>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenantStats {
    pub tenant: String,
    pub ready: u64,
    pub in_flight: u64,
    pub delayed: u64,
    /// Sorted by user name.
    pub users: Vec<UserStats>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserStats {
    pub user: String,
    pub ready: u64,
    pub in_flight: u64,
    /// Jobs waiting for a retry or a `not_before` time.
    pub delayed: u64,
}

/// Settings both backends share. Every process on one Redis must use the same values.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSettings {
    /// Jobs a user may have leased (or waiting for a retry) at once. 1 keeps replies in order.
    pub default_user_cap: u32,
    /// Jobs a tenant may have leased at once; 0 means unlimited.
    pub default_tenant_cap: u32,
    /// Tries before a failing job is dead-lettered.
    pub max_attempts: u32,
    /// How long a finished job's id is remembered, so a redelivered message makes no second job.
    pub tombstone_ttl_ms: Millis,
    /// Retry delays after failures.
    pub backoff: super::Backoff,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            default_user_cap: 1,
            default_tenant_cap: 0,
            max_attempts: 5,
            tombstone_ttl_ms: 24 * 3600 * 1000,
            backoff: super::Backoff::default(),
        }
    }
}

/// Why the core refused an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// The lease expired and was reclaimed, was finished already, or the token is wrong.
    #[error("the lease is no longer held (expired, reclaimed, or already finished)")]
    StaleLease,
    /// No job (or dead letter) with that id.
    #[error("no such job")]
    NotFound,
    /// Bad input; the message names the field.
    #[error("invalid: {0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(
            NewJob::new("tg:1:42", "acme", "telegram:42", "x")
                .validate()
                .is_ok()
        );
        assert!(NewJob::new("a b", "t", "u", "").validate().is_err());
        assert!(NewJob::new("", "t", "u", "").validate().is_err());
        assert!(NewJob::new("id", "", "u", "").validate().is_err());
        assert!(NewJob::new("id", "t", "u\nv", "").validate().is_err());
        assert!(NewJob::new("id", "t", "ü🦀 名前", "").validate().is_ok());
        assert!(
            NewJob::new("x".repeat(201), "t", "u", "")
                .validate()
                .is_err()
        );
        assert!(validate_weight(0.0).is_err());
        assert!(validate_weight(f64::NAN).is_err());
        assert!(validate_weight(2.5).is_ok());
        assert!(validate_cost(-1.0).is_err());
        assert!(validate_cost(0.0).is_ok());
    }
}
