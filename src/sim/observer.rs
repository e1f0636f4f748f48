//! What the simulator measures: for every message, whether it was refused (and by which limit),
//! how long its job waited for a worker, whether it was answered or dead-lettered; per tenant, the
//! order of dispatches (for shares); per user, breaker trips.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::observe::Observer;

#[derive(Clone, Debug, Default)]
pub struct UserFigures {
    pub sent: u64,
    pub answered: u64,
    pub dead: u64,
    pub refused: HashMap<&'static str, u64>,
    pub breaker_trips: u64,
    /// Queue waits of first leases, in milliseconds.
    pub waits_ms: Vec<u32>,
}

#[derive(Default)]
struct Inner {
    users: HashMap<String, UserFigures>,
    /// Job ids whose first lease was recorded.
    leased: HashMap<String, ()>,
    /// (time since start, tenant) of every first lease, in order.
    dispatches: Vec<(Duration, String)>,
}

pub struct SimObserver {
    started: Instant,
    inner: Mutex<Inner>,
    /// Messages settled (answered, dead, refused, or dropped as duplicates/ignored).
    pub settled: AtomicU64,
    pub answered: AtomicU64,
}

impl SimObserver {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            inner: Mutex::default(),
            settled: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A message was handed to ingress.
    pub fn sent(&self, user: &str) {
        self.inner().users.entry(user.to_owned()).or_default().sent += 1;
    }

    /// A message was settled without the queue (ignored, duplicate, ingress error).
    pub fn dropped(&self) {
        self.settled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn users(&self) -> HashMap<String, UserFigures> {
        self.inner().users.clone()
    }

    pub fn dispatches(&self) -> Vec<(Duration, String)> {
        self.inner().dispatches.clone()
    }
}

impl Default for SimObserver {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for SimObserver {
    fn refused(&self, _tenant: &str, user: &str, limit: &str) {
        let label: &'static str = match limit {
            "banned" => "banned",
            "not_allowed" => "not_allowed",
            "user_rate" => "user_rate",
            "tenant_rate" => "tenant_rate",
            "backlog" => "backlog",
            l if l.starts_with("user_") => "user_budget",
            _ => "tenant_budget",
        };
        *self
            .inner()
            .users
            .entry(user.to_owned())
            .or_default()
            .refused
            .entry(label)
            .or_default() += 1;
        self.settled.fetch_add(1, Ordering::Relaxed);
    }

    fn leased(&self, job_id: &str, tenant: &str, user: &str, wait: Duration) {
        let at = self.started.elapsed();
        let mut inner = self.inner();
        if inner.leased.insert(job_id.to_owned(), ()).is_none() {
            inner
                .users
                .entry(user.to_owned())
                .or_default()
                .waits_ms
                .push(u32::try_from(wait.as_millis()).unwrap_or(u32::MAX));
            inner.dispatches.push((at, tenant.to_owned()));
        }
    }

    fn answered(&self, _job_id: &str, _tenant: &str, user: &str) {
        self.inner()
            .users
            .entry(user.to_owned())
            .or_default()
            .answered += 1;
        self.settled.fetch_add(1, Ordering::Relaxed);
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    fn failed(&self, _job_id: &str, _tenant: &str, user: &str, dead: bool) {
        if dead {
            self.inner().users.entry(user.to_owned()).or_default().dead += 1;
            self.settled.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn breaker_opened(&self, _tenant: &str, user: &str) {
        self.inner()
            .users
            .entry(user.to_owned())
            .or_default()
            .breaker_trips += 1;
    }
}
