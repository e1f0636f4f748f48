//! Unit tests of the pure core, driven by a hand-moved clock.

mod fairness;
mod leases;
mod model;

use super::*;

/// A core with a clock and short helpers, so tests read as scenarios.
pub(super) struct Sim {
    pub core: Core,
    pub now: Millis,
}

pub(super) const LEASE_MS: Millis = 30_000;

impl Sim {
    pub fn new() -> Self {
        Self::with(QueueSettings::default())
    }

    pub fn with(settings: QueueSettings) -> Self {
        Self {
            core: Core::new(settings),
            now: 1_000_000,
        }
    }

    pub fn add(&mut self, id: &str, tenant: &str, user: &str) -> Enqueued {
        self.core
            .enqueue(self.now, NewJob::new(id, tenant, user, id.to_owned()))
            .unwrap()
    }

    /// Adds `n` jobs for one user with ids `{prefix}{i}`.
    pub fn flood(&mut self, prefix: &str, tenant: &str, user: &str, n: usize) {
        for i in 0..n {
            self.add(&format!("{prefix}{i}"), tenant, user);
        }
    }

    pub fn lease(&mut self, n: usize) -> Vec<Lease> {
        self.core.lease(self.now, n, LEASE_MS)
    }

    pub fn lease1(&mut self) -> Option<Lease> {
        self.lease(1).pop()
    }

    pub fn ack(&mut self, l: &Lease) {
        self.core.ack(self.now, &Ack::of(l)).unwrap();
    }

    /// Leases and acks one job, returning (tenant, user, id).
    pub fn step(&mut self) -> Option<(String, String, String)> {
        let l = self.lease1()?;
        self.ack(&l);
        Some((l.tenant, l.user, l.id))
    }

    pub fn tick(&mut self, ms: Millis) {
        self.now += ms;
    }
}
