//! The scheduler: hierarchical start-time fair queueing over tenants, then users, then each user's
//! jobs in FIFO order.
//!
//! Every backlogged tenant carries a start tag in the root set; inside a tenant every backlogged
//! user carries one in the tenant's set. A dispatch takes the tenant with the smallest (tag, name),
//! then its user with the smallest (tag, name), then that user's oldest job; the level's virtual
//! time becomes the start tag served and the flow's finish tag becomes start + cost/weight. A flow
//! that becomes backlogged starts at max(virtual time, its last finish). Tags live on flows, not on
//! jobs, so a weight change applies at the next dispatch.
//!
//! The Redis backend (`lua/*.lua`) implements these same steps; the model-based test holds them to
//! the same dispatch order. Change both or neither.

use std::collections::{BTreeSet, HashMap, VecDeque};

use bytes::Bytes;

use super::tag::{TagSet, tag_increment};
use super::types::{
    CoreError, Enqueued, Lease, MAINTENANCE_BATCH, Millis, NewJob, Position, QueueSettings,
};

/// Cost charged to a flow when one of its jobs is dispatched; ack may correct it.
pub const DISPATCH_COST: f64 = 1.0;

/// The whole queue state, with no I/O and no clock of its own: every call takes `now`.
#[derive(Debug)]
pub struct Core {
    pub(super) settings: QueueSettings,
    /// Root virtual time: the start tag of the tenant served last, or the largest finish tag
    /// once everything went idle.
    pub(super) vroot: f64,
    /// The largest tenant finish tag so far: where root virtual time jumps when all goes idle.
    pub(super) fmax_root: f64,
    /// Leased jobs over all tenants; root virtual time only jumps when this is 0.
    pub(super) inflight_total: u32,
    /// Eligible tenants (backlogged with an eligible user, under their cap) by start tag.
    pub(super) root: TagSet,
    /// Every tenant with any state; pruned when idle and behind virtual time.
    pub(super) tenants: HashMap<String, TenantFlow>,
    /// Every job the queue holds, in any state.
    pub(super) jobs: HashMap<String, Job>,
    /// Lease batches by (deadline, batch sequence number): one entry per lease call, as in Redis.
    pub(super) inflight: BTreeSet<(Millis, u64)>,
    /// The jobs of each lease batch still held. Jobs leased together share a deadline.
    pub(super) batches: HashMap<u64, LeaseBatch>,
    /// Sequence number of the last lease batch; tokens are `"{seq}.{i}"`.
    pub(super) lease_seq: u64,
    /// Delayed jobs (retries and `not_before`) by (due, id).
    pub(super) delayed: BTreeSet<(Millis, String)>,
    /// Dead-lettered jobs by (time, id).
    pub(super) dead: BTreeSet<(Millis, String)>,
    /// Ids remembered until their expiry (the tombstone time after enqueue), so a redelivered
    /// message is a no-op. Ids of jobs still held are known through `jobs` as well.
    pub(super) tombstones: HashMap<String, Millis>,
    /// The same tombstones by (expiry, id), to forget them in order.
    pub(super) tombstone_order: BTreeSet<(Millis, String)>,
    /// Operator-set tenant weights (default 1).
    pub(super) tenant_weights: HashMap<String, f64>,
    /// Operator-set user weights per tenant (default 1).
    pub(super) user_weights: HashMap<String, HashMap<String, f64>>,
    /// Operator-set tenant caps (0 = unlimited); default from settings.
    pub(super) tenant_caps: HashMap<String, u32>,
    /// Operator-set user caps per tenant; default from settings.
    pub(super) user_caps: HashMap<String, HashMap<String, u32>>,
}

/// One tenant's level of the hierarchy.
#[derive(Debug, Default)]
pub(super) struct TenantFlow {
    /// Tenant virtual time: the start tag of the user served last, or the largest user finish tag
    /// once the tenant went idle.
    pub vtime: f64,
    /// The largest user finish tag so far: where `vtime` jumps when the tenant goes idle.
    pub fmax: f64,
    /// The tenant's finish tag at the root level.
    pub finish: f64,
    /// Leased jobs of this tenant (the tenant cap counts these).
    pub inflight: u32,
    /// Eligible users (backlogged, under their cap) by start tag.
    pub users: TagSet,
    /// Every user with any state.
    pub flows: HashMap<String, UserFlow>,
}

/// One user's flow inside a tenant.
#[derive(Debug, Default)]
pub(super) struct UserFlow {
    /// Ready job ids, oldest first.
    pub ready: VecDeque<String>,
    /// The user's finish tag inside the tenant.
    pub finish: f64,
    /// Slots held: leased jobs plus jobs waiting to retry (the user cap counts these).
    pub held: u32,
}

#[derive(Debug, Clone)]
pub(super) struct Job {
    pub tenant: String,
    pub user: String,
    pub payload: Bytes,
    /// Failures so far (errors and expired leases).
    pub attempts: u32,
    /// The last error, for the dead-letter listing.
    pub error: String,
    pub state: JobState,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum JobState {
    Ready,
    /// Waiting until `due`; a retry holds its user's slot, a `not_before` job does not.
    Delayed {
        due: Millis,
        retry: bool,
    },
    /// Leased in batch `seq` with `token`.
    Leased {
        token: String,
        seq: u64,
    },
    Dead {
        at: Millis,
    },
}

/// The jobs of one lease call that are still held, and their shared deadline.
#[derive(Debug, Clone, Default)]
pub(super) struct LeaseBatch {
    pub deadline: Millis,
    pub ids: BTreeSet<String>,
}

impl Core {
    pub fn new(settings: QueueSettings) -> Self {
        Self {
            settings,
            vroot: 0.0,
            fmax_root: 0.0,
            inflight_total: 0,
            root: TagSet::default(),
            tenants: HashMap::new(),
            jobs: HashMap::new(),
            inflight: BTreeSet::new(),
            batches: HashMap::new(),
            lease_seq: 0,
            delayed: BTreeSet::new(),
            dead: BTreeSet::new(),
            tombstones: HashMap::new(),
            tombstone_order: BTreeSet::new(),
            tenant_weights: HashMap::new(),
            user_weights: HashMap::new(),
            tenant_caps: HashMap::new(),
            user_caps: HashMap::new(),
        }
    }

    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// Adds a job unless its id is already known.
    pub fn enqueue(&mut self, now: Millis, job: NewJob) -> Result<Enqueued, CoreError> {
        job.validate().map_err(CoreError::Invalid)?;
        self.forget_tombstones(now);
        if self.jobs.contains_key(&job.id) || self.tombstones.contains_key(&job.id) {
            return Ok(Enqueued::Duplicate);
        }
        let NewJob {
            id,
            tenant,
            user,
            payload,
            not_before,
        } = job;
        let delayed_until = not_before.filter(|&at| at > now);
        // The id stays known for the tombstone time after the job is due (as Redis's key TTL).
        self.tombstone(delayed_until.unwrap_or(now), id.clone());
        let state = match delayed_until {
            Some(due) => JobState::Delayed { due, retry: false },
            None => JobState::Ready,
        };
        self.jobs.insert(
            id.clone(),
            Job {
                tenant: tenant.clone(),
                user: user.clone(),
                payload,
                attempts: 0,
                error: String::new(),
                state,
            },
        );
        match delayed_until {
            Some(due) => {
                self.delayed.insert((due, id));
            }
            None => {
                self.flow_mut(&tenant, &user).ready.push_back(id);
                self.refresh_user(&tenant, &user);
            }
        }
        Ok(Enqueued::New)
    }

    /// Leases up to `max` jobs: first reclaims expired leases and releases due delayed jobs, then
    /// dispatches in fair order. The jobs form one batch with one deadline; job `i` of batch `seq`
    /// has token `"{seq}.{i}"`.
    pub fn lease(&mut self, now: Millis, max: usize, lease_ms: Millis) -> Vec<Lease> {
        self.reclaim_expired(now);
        self.release_due(now);
        let mut out = Vec::new();
        let deadline = now.saturating_add(lease_ms);
        while out.len() < max {
            let Some((id, tenant, user)) = self.dispatch() else {
                break;
            };
            if out.is_empty() {
                self.lease_seq += 1;
                self.inflight.insert((deadline, self.lease_seq));
                self.batches.insert(
                    self.lease_seq,
                    LeaseBatch {
                        deadline,
                        ids: BTreeSet::new(),
                    },
                );
            }
            let seq = self.lease_seq;
            let token = format!("{seq}.{}", out.len());
            let Some(job) = self.jobs.get_mut(&id) else {
                break;
            };
            job.state = JobState::Leased {
                token: token.clone(),
                seq,
            };
            if let Some(b) = self.batches.get_mut(&seq) {
                b.ids.insert(id.clone());
            }
            out.push(Lease {
                id,
                tenant,
                user,
                payload: job.payload.clone(),
                attempt: job.attempts + 1,
                token,
                deadline,
            });
        }
        out
    }

    /// One fair pick: the job's id, tenant and user, with all tags and slots updated.
    fn dispatch(&mut self) -> Option<(String, String, String)> {
        let (tenant, t_start) = self.root.first().map(|(n, s)| (n.to_owned(), s))?;
        self.vroot = t_start;
        self.root.remove(&tenant);
        let t_weight = self.tenant_weight(&tenant);
        let t = self.tenants.get_mut(&tenant)?;
        let (user, u_start) = t.users.first().map(|(n, s)| (n.to_owned(), s))?;
        t.vtime = u_start;
        t.users.remove(&user);
        t.inflight += 1;
        t.finish = t_start + tag_increment(DISPATCH_COST, t_weight);
        self.fmax_root = self.fmax_root.max(t.finish);
        self.inflight_total += 1;
        let u_weight = self.user_weight(&tenant, &user);
        let t = self.tenants.get_mut(&tenant)?;
        let flow = t.flows.get_mut(&user)?;
        let id = flow.ready.pop_front()?;
        flow.held += 1;
        flow.finish = u_start + tag_increment(DISPATCH_COST, u_weight);
        t.fmax = t.fmax.max(flow.finish);
        self.refresh_user(&tenant, &user);
        Some((id, tenant, user))
    }

    /// The user's flow, created if new (and its tenant with it).
    pub(super) fn flow_mut(&mut self, tenant: &str, user: &str) -> &mut UserFlow {
        self.tenants
            .entry(tenant.to_owned())
            .or_default()
            .flows
            .entry(user.to_owned())
            .or_default()
    }

    /// Puts the user in (or takes it out of) its tenant's set to match its eligibility, then does
    /// the same for the tenant at the root. A flow entering a set starts at
    /// max(virtual time, its finish tag).
    pub(super) fn refresh_user(&mut self, tenant: &str, user: &str) {
        let cap = self.user_cap(tenant, user);
        if let Some(t) = self.tenants.get_mut(tenant) {
            let eligible = t
                .flows
                .get(user)
                .is_some_and(|f| !f.ready.is_empty() && f.held < cap);
            match (eligible, t.users.contains(user)) {
                (true, false) => {
                    let finish = t.flows.get(user).map_or(0.0, |f| f.finish);
                    t.users.insert(user, t.vtime.max(finish));
                }
                (false, true) => {
                    t.users.remove(user);
                }
                _ => {}
            }
        }
        self.refresh_tenant(tenant);
    }

    /// Puts the tenant in (or takes it out of) the root set to match its eligibility. Then, as
    /// in SFQ when a server goes idle, a level with nothing eligible and nothing in flight moves its
    /// virtual time up to the largest finish tag, so every idle flow falls behind it and can be
    /// forgotten.
    pub(super) fn refresh_tenant(&mut self, tenant: &str) {
        let cap = self.tenant_cap(tenant);
        let Some(t) = self.tenants.get_mut(tenant) else {
            return;
        };
        if t.users.is_empty() && t.inflight == 0 {
            t.vtime = t.vtime.max(t.fmax);
        }
        let eligible = !t.users.is_empty() && (cap == 0 || t.inflight < cap);
        match (eligible, self.root.contains(tenant)) {
            (true, false) => {
                let start = self.vroot.max(t.finish);
                self.root.insert(tenant, start);
            }
            (false, true) => {
                self.root.remove(tenant);
            }
            _ => {}
        }
        if self.root.is_empty() && self.inflight_total == 0 {
            self.vroot = self.vroot.max(self.fmax_root);
        }
    }

    /// A lease ended (ack, nack or reclaim): the tenant and the whole queue have one less in flight.
    pub(super) fn release_inflight(&mut self, tenant: &str) {
        if let Some(t) = self.tenants.get_mut(tenant) {
            t.inflight = t.inflight.saturating_sub(1);
        }
        self.inflight_total = self.inflight_total.saturating_sub(1);
    }

    pub(super) fn tenant_weight(&self, tenant: &str) -> f64 {
        self.tenant_weights.get(tenant).copied().unwrap_or(1.0)
    }

    pub(super) fn user_weight(&self, tenant: &str, user: &str) -> f64 {
        self.user_weights
            .get(tenant)
            .and_then(|m| m.get(user))
            .copied()
            .unwrap_or(1.0)
    }

    pub(super) fn tenant_cap(&self, tenant: &str) -> u32 {
        self.tenant_caps
            .get(tenant)
            .copied()
            .unwrap_or(self.settings.default_tenant_cap)
    }

    pub(super) fn user_cap(&self, tenant: &str, user: &str) -> u32 {
        self.user_caps
            .get(tenant)
            .and_then(|m| m.get(user))
            .copied()
            .unwrap_or(self.settings.default_user_cap)
    }

    /// Remembers an id until `from + tombstone_ttl`.
    pub(super) fn tombstone(&mut self, now: Millis, id: String) {
        let until = now.saturating_add(self.settings.tombstone_ttl_ms);
        if let Some(old) = self.tombstones.insert(id.clone(), until) {
            self.tombstone_order.remove(&(old, id.clone()));
        }
        self.tombstone_order.insert((until, id));
    }

    fn forget_tombstones(&mut self, now: Millis) {
        while let Some((until, _)) = self.tombstone_order.first() {
            if *until > now {
                break;
            }
            if let Some((_, id)) = self.tombstone_order.pop_first() {
                self.tombstones.remove(&id);
            }
        }
    }

    /// Moves due delayed jobs (at most [`MAINTENANCE_BATCH`]) back to their users: a retry to the
    /// front of the user's queue (it was first), a `not_before` job to the back.
    pub fn release_due(&mut self, now: Millis) -> usize {
        let due: Vec<(Millis, String)> = self
            .delayed
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(MAINTENANCE_BATCH)
            .cloned()
            .collect();
        for entry in &due {
            self.delayed.remove(entry);
            let id = &entry.1;
            let Some(job) = self.jobs.get_mut(id) else {
                continue;
            };
            let retry = matches!(job.state, JobState::Delayed { retry: true, .. });
            job.state = JobState::Ready;
            let (tenant, user) = (job.tenant.clone(), job.user.clone());
            let flow = self.flow_mut(&tenant, &user);
            if retry {
                flow.held = flow.held.saturating_sub(1);
                flow.ready.push_front(id.clone());
            } else {
                flow.ready.push_back(id.clone());
            }
            self.refresh_user(&tenant, &user);
        }
        due.len()
    }

    /// The earliest time something delayed or leased needs attention, if anything is waiting.
    pub fn next_wakeup(&self) -> Option<Millis> {
        let d = self.delayed.first().map(|(at, _)| *at);
        let l = self.inflight.first().map(|(at, _)| *at);
        match (d, l) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True if a lease call now would dispatch something.
    pub fn has_ready(&self) -> bool {
        !self.root.is_empty()
    }

    /// A user's backlog: ready jobs plus slots held (leased, or waiting to retry).
    /// Where the user's next job stands: `None` if the user has no job that could be dispatched
    /// now (none ready, or all its slots held).
    pub fn position(&self, tenant: &str, user: &str) -> Option<Position> {
        let t = self.tenants.get(tenant)?;
        let users_ahead = t.users.rank(user)? as u64;
        let tenants_ahead = self.root.rank(tenant).unwrap_or(self.root.len()) as u64;
        Some(Position {
            users_ahead,
            tenants_ahead,
        })
    }

    pub fn user_backlog(&self, tenant: &str, user: &str) -> u64 {
        self.tenants
            .get(tenant)
            .and_then(|t| t.flows.get(user))
            .map_or(0, |f| f.ready.len() as u64 + u64::from(f.held))
    }
}
