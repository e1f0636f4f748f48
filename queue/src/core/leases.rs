//! What happens to a job after dispatch: ack (with cost correction), nack (retry or dead-letter),
//! extend, and reclaiming leases whose worker went away.

use super::scheduler::{Core, DISPATCH_COST, JobState};
use super::tag::tag_increment;
use super::types::{Ack, CoreError, MAINTENANCE_BATCH, Millis, Nack, NackOutcome, validate_cost};

impl Core {
    /// Finishes a lease. With a cost, the flows are charged `cost` instead of the 1 charged at
    /// dispatch (deficit-round-robin style): their finish tags (and start tags, if backlogged) move
    /// by the difference, never below their level's virtual time.
    pub fn ack(&mut self, _now: Millis, ack: &Ack) -> Result<(), CoreError> {
        if let Some(cost) = ack.cost {
            validate_cost(cost).map_err(CoreError::Invalid)?;
        }
        let (tenant, user) = self.take_lease(&ack.id, &ack.token)?;
        self.jobs.remove(&ack.id);
        self.release_inflight(&tenant);
        let flow = self.flow_mut(&tenant, &user);
        flow.held = flow.held.saturating_sub(1);
        if let Some(cost) = ack.cost {
            self.correct_cost(&tenant, &user, cost);
        }
        self.refresh_user(&tenant, &user);
        Ok(())
    }

    fn correct_cost(&mut self, tenant: &str, user: &str, cost: f64) {
        let uw = self.user_weight(tenant, user);
        let tw = self.tenant_weight(tenant);
        let du = tag_increment(cost, uw) - tag_increment(DISPATCH_COST, uw);
        let dt = tag_increment(cost, tw) - tag_increment(DISPATCH_COST, tw);
        if let Some(t) = self.tenants.get_mut(tenant) {
            let v = t.vtime;
            if let Some(f) = t.flows.get_mut(user) {
                f.finish = (f.finish + du).max(v);
                t.fmax = t.fmax.max(f.finish);
            }
            if let Some(s) = t.users.get(user) {
                t.users.insert(user, (s + du).max(v));
            }
            t.finish = (t.finish + dt).max(self.vroot);
            self.fmax_root = self.fmax_root.max(t.finish);
        }
        if let Some(s) = self.root.get(tenant) {
            self.root.insert(tenant, (s + dt).max(self.vroot));
        }
    }

    /// Gives a lease back: to retry later (keeping the user's slot) or to the dead letters.
    pub fn nack(
        &mut self,
        now: Millis,
        id: &str,
        token: &str,
        nack: Nack,
    ) -> Result<NackOutcome, CoreError> {
        let (tenant, user) = self.take_lease(id, token)?;
        self.release_inflight(&tenant);
        let max_attempts = self.settings.max_attempts;
        let Some(job) = self.jobs.get_mut(id) else {
            return Err(CoreError::NotFound);
        };
        let outcome = match nack {
            Nack::Retry {
                delay_ms,
                failed,
                error,
            } => {
                job.error = error;
                if failed {
                    job.attempts += 1;
                }
                if failed && job.attempts >= max_attempts {
                    NackOutcome::DeadLettered
                } else {
                    NackOutcome::RetryAt(now.saturating_add(delay_ms))
                }
            }
            Nack::DeadLetter { error } => {
                job.error = error;
                NackOutcome::DeadLettered
            }
        };
        match outcome {
            NackOutcome::RetryAt(due) => {
                job.state = JobState::Delayed { due, retry: true };
                self.delayed.insert((due, id.to_owned()));
            }
            NackOutcome::DeadLettered => self.bury(now, id, &tenant, &user),
        }
        self.refresh_user(&tenant, &user);
        Ok(outcome)
    }

    /// Moves a lease's deadline to `now + lease_ms`; returns the new deadline. Jobs leased together
    /// share their deadline, so this extends the whole batch the job came in.
    pub fn extend(
        &mut self,
        now: Millis,
        id: &str,
        token: &str,
        lease_ms: Millis,
    ) -> Result<Millis, CoreError> {
        let seq = self.held_batch(id, token)?;
        let deadline = now.saturating_add(lease_ms);
        let batch = self.batches.get_mut(&seq).ok_or(CoreError::StaleLease)?;
        self.inflight.remove(&(batch.deadline, seq));
        batch.deadline = deadline;
        self.inflight.insert((deadline, seq));
        Ok(deadline)
    }

    /// Takes back lease batches whose deadline passed (at most [`MAINTENANCE_BATCH`] batches, in
    /// order of deadline then sequence; inside a batch by job id): each job counts a failed
    /// attempt and goes to the front of its user's queue, or to the dead letters when its attempts
    /// are used up. Returns the number of jobs.
    pub fn reclaim_expired(&mut self, now: Millis) -> usize {
        let expired: Vec<(Millis, u64)> = self
            .inflight
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(MAINTENANCE_BATCH)
            .copied()
            .collect();
        let max_attempts = self.settings.max_attempts;
        let mut n = 0;
        for entry in &expired {
            self.inflight.remove(entry);
            let Some(batch) = self.batches.remove(&entry.1) else {
                continue;
            };
            for id in batch.ids {
                let Some(job) = self.jobs.get_mut(&id) else {
                    continue;
                };
                n += 1;
                job.attempts += 1;
                job.error = "lease expired".into();
                job.state = JobState::Ready;
                let dead = job.attempts >= max_attempts;
                let (tenant, user) = (job.tenant.clone(), job.user.clone());
                self.release_inflight(&tenant);
                if dead {
                    self.bury(now, &id, &tenant, &user);
                } else {
                    let flow = self.flow_mut(&tenant, &user);
                    flow.held = flow.held.saturating_sub(1);
                    flow.ready.push_front(id);
                }
                self.refresh_user(&tenant, &user);
            }
        }
        n
    }

    /// The batch whose lease `token` holds `id`.
    fn held_batch(&self, id: &str, token: &str) -> Result<u64, CoreError> {
        match self.jobs.get(id).map(|j| &j.state) {
            Some(JobState::Leased { token: held, seq }) if held == token => Ok(*seq),
            _ => Err(CoreError::StaleLease),
        }
    }

    /// Checks that `token` holds `id`'s lease and ends the lease; returns (tenant, user).
    fn take_lease(&mut self, id: &str, token: &str) -> Result<(String, String), CoreError> {
        let seq = self.held_batch(id, token)?;
        if let Some(batch) = self.batches.get_mut(&seq) {
            batch.ids.remove(id);
            if batch.ids.is_empty() {
                let deadline = batch.deadline;
                self.batches.remove(&seq);
                self.inflight.remove(&(deadline, seq));
            }
        }
        let job = self.jobs.get(id).ok_or(CoreError::StaleLease)?;
        Ok((job.tenant.clone(), job.user.clone()))
    }

    /// Dead-letters a job that held a user slot (leased or reclaimed), releasing the slot.
    fn bury(&mut self, now: Millis, id: &str, tenant: &str, user: &str) {
        if let Some(job) = self.jobs.get_mut(id) {
            job.state = JobState::Dead { at: now };
        }
        self.dead.insert((now, id.to_owned()));
        let flow = self.flow_mut(tenant, user);
        flow.held = flow.held.saturating_sub(1);
    }
}
