//! Operator-facing parts of the core: weights and caps, dead letters, cancelling a user's jobs,
//! statistics, and forgetting idle flows.

use std::collections::BTreeMap;

use super::scheduler::{Core, JobState};
use super::types::{
    CoreError, DeadJob, Millis, Stats, TenantStats, UserStats, validate_name, validate_weight,
};

impl Core {
    /// Sets a tenant's weight; it applies from the next dispatch.
    pub fn set_tenant_weight(&mut self, tenant: &str, weight: f64) -> Result<(), CoreError> {
        validate_name("tenant", tenant).map_err(CoreError::Invalid)?;
        validate_weight(weight).map_err(CoreError::Invalid)?;
        self.tenant_weights.insert(tenant.to_owned(), weight);
        Ok(())
    }

    /// Sets a user's weight inside its tenant; it applies from the next dispatch.
    pub fn set_user_weight(
        &mut self,
        tenant: &str,
        user: &str,
        weight: f64,
    ) -> Result<(), CoreError> {
        validate_name("tenant", tenant).map_err(CoreError::Invalid)?;
        validate_name("user", user).map_err(CoreError::Invalid)?;
        validate_weight(weight).map_err(CoreError::Invalid)?;
        self.user_weights
            .entry(tenant.to_owned())
            .or_default()
            .insert(user.to_owned(), weight);
        Ok(())
    }

    /// Sets a tenant's in-flight cap (`None`: back to the default; 0: unlimited).
    pub fn set_tenant_cap(&mut self, tenant: &str, cap: Option<u32>) -> Result<(), CoreError> {
        validate_name("tenant", tenant).map_err(CoreError::Invalid)?;
        match cap {
            Some(c) => self.tenant_caps.insert(tenant.to_owned(), c),
            None => self.tenant_caps.remove(tenant),
        };
        self.refresh_tenant(tenant);
        Ok(())
    }

    /// Sets a user's in-flight cap (`None`: back to the default). At least 1.
    pub fn set_user_cap(
        &mut self,
        tenant: &str,
        user: &str,
        cap: Option<u32>,
    ) -> Result<(), CoreError> {
        validate_name("tenant", tenant).map_err(CoreError::Invalid)?;
        validate_name("user", user).map_err(CoreError::Invalid)?;
        match cap {
            Some(0) => return Err(CoreError::Invalid("a user cap must be at least 1".into())),
            Some(c) => {
                self.user_caps
                    .entry(tenant.to_owned())
                    .or_default()
                    .insert(user.to_owned(), c);
            }
            None => {
                if let Some(m) = self.user_caps.get_mut(tenant) {
                    m.remove(user);
                }
            }
        }
        if self
            .tenants
            .get(tenant)
            .is_some_and(|t| t.flows.contains_key(user))
        {
            self.refresh_user(tenant, user);
        }
        Ok(())
    }

    /// Dead letters, oldest first.
    pub fn dead_letters(&self, offset: usize, limit: usize) -> Vec<DeadJob> {
        self.dead
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|(at, id)| {
                let job = self.jobs.get(id)?;
                Some(DeadJob {
                    id: id.clone(),
                    tenant: job.tenant.clone(),
                    user: job.user.clone(),
                    payload: job.payload.clone(),
                    attempts: job.attempts,
                    error: job.error.clone(),
                    at: *at,
                })
            })
            .collect()
    }

    /// Puts a dead job back at the end of its user's queue with its attempts reset.
    pub fn requeue_dead(&mut self, now: Millis, id: &str) -> Result<(), CoreError> {
        let at = self.dead_at(id)?;
        self.dead.remove(&(at, id.to_owned()));
        let Some(job) = self.jobs.get_mut(id) else {
            return Err(CoreError::NotFound);
        };
        job.attempts = 0;
        job.error.clear();
        job.state = JobState::Ready;
        let (tenant, user) = (job.tenant.clone(), job.user.clone());
        self.flow_mut(&tenant, &user).ready.push_back(id.to_owned());
        self.refresh_user(&tenant, &user);
        self.tombstone(now, id.to_owned());
        Ok(())
    }

    /// Deletes a dead job for good (its id stays known until the tombstone expires).
    pub fn delete_dead(&mut self, now: Millis, id: &str) -> Result<(), CoreError> {
        let at = self.dead_at(id)?;
        self.dead.remove(&(at, id.to_owned()));
        self.jobs.remove(id);
        self.tombstone(now, id.to_owned());
        Ok(())
    }

    fn dead_at(&self, id: &str) -> Result<Millis, CoreError> {
        match self.jobs.get(id).map(|j| &j.state) {
            Some(JobState::Dead { at }) => Ok(*at),
            _ => Err(CoreError::NotFound),
        }
    }

    /// Drops a user's queued jobs (ready and delayed `not_before` jobs; not leased jobs or jobs
    /// waiting to retry). Returns how many. Their ids stay known, so redelivery adds nothing.
    pub fn cancel_user(&mut self, now: Millis, tenant: &str, user: &str) -> usize {
        self.cancel_user_ids(now, tenant, user).len()
    }

    /// [`Core::cancel_user`], returning the ids dropped.
    pub fn cancel_user_ids(&mut self, now: Millis, tenant: &str, user: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .tenants
            .get_mut(tenant)
            .and_then(|t| t.flows.get_mut(user))
            .map(|f| f.ready.drain(..).collect())
            .unwrap_or_default();
        if !ids.is_empty() {
            self.refresh_user(tenant, user);
        }
        let waiting: Vec<(Millis, String)> = self
            .delayed
            .iter()
            .filter(|(_, id)| {
                self.jobs.get(id).is_some_and(|j| {
                    j.tenant == tenant
                        && j.user == user
                        && matches!(j.state, JobState::Delayed { retry: false, .. })
                })
            })
            .cloned()
            .collect();
        for entry in waiting {
            self.delayed.remove(&entry);
            ids.push(entry.1);
        }
        for id in &ids {
            self.jobs.remove(id);
            self.tombstone(now, id.clone());
        }
        ids
    }

    /// Depth per tenant and user.
    pub fn stats(&self) -> Stats {
        let mut per: BTreeMap<&str, BTreeMap<&str, UserStats>> = BTreeMap::new();
        for (tname, t) in &self.tenants {
            for (uname, f) in &t.flows {
                if !f.ready.is_empty() {
                    per.entry(tname)
                        .or_default()
                        .entry(uname)
                        .or_default()
                        .ready = f.ready.len() as u64;
                }
            }
        }
        for job in self.jobs.values() {
            let slot = || UserStats::default();
            match job.state {
                JobState::Leased { .. } => {
                    per.entry(&job.tenant)
                        .or_default()
                        .entry(&job.user)
                        .or_insert_with(slot)
                        .in_flight += 1;
                }
                JobState::Delayed { .. } => {
                    per.entry(&job.tenant)
                        .or_default()
                        .entry(&job.user)
                        .or_insert_with(slot)
                        .delayed += 1;
                }
                JobState::Ready | JobState::Dead { .. } => {}
            }
        }
        let mut stats = Stats {
            dead: self.dead.len() as u64,
            ..Stats::default()
        };
        for (tenant, users) in per {
            let mut ts = TenantStats {
                tenant: tenant.to_owned(),
                ..TenantStats::default()
            };
            for (user, mut us) in users {
                us.user = user.to_owned();
                ts.ready += us.ready;
                ts.in_flight += us.in_flight;
                ts.delayed += us.delayed;
                ts.users.push(us);
            }
            stats.ready += ts.ready;
            stats.in_flight += ts.in_flight;
            stats.delayed += ts.delayed;
            stats.tenants.push(ts);
        }
        stats
    }

    /// Forgets flows that are idle and whose finish tag is behind their level's virtual time. Such
    /// a flow would start at the virtual time anyway, so forgetting it changes no later order;
    /// tags being whole numbers, neither does restarting an emptied tenant's virtual time at 0
    /// (once its largest finish tag is behind it too).
    pub fn prune(&mut self) -> usize {
        let mut pruned = 0;
        for t in self.tenants.values_mut() {
            let vtime = t.vtime;
            let before = t.flows.len();
            t.flows
                .retain(|_, f| !(f.ready.is_empty() && f.held == 0 && f.finish <= vtime));
            pruned += before - t.flows.len();
        }
        let vroot = self.vroot;
        let before = self.tenants.len();
        self.tenants.retain(|_, t| {
            !(t.flows.is_empty() && t.inflight == 0 && t.finish <= vroot && t.fmax <= t.vtime)
        });
        pruned + before - self.tenants.len()
    }

    /// Number of tenant and user flows held in memory (for tests of pruning).
    pub fn flow_count(&self) -> usize {
        self.tenants.values().map(|t| 1 + t.flows.len()).sum()
    }
}
