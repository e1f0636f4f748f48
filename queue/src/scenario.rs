//! Fairness scenarios and measures shared by the unit tests, the conformance suite (both
//! backends) and `queue-bench`, so all three check the same thing the same way.
//!
//! The bound: a light job that arrives behind a flood is dispatched within
//! `active tenants + active users of its tenant + 1` dispatches, where "active" means backlogged
//! when it arrives (its own tenant and itself included). When many light jobs arrive at once they
//! must also be served one after another, so for a burst the bound applies to the flood's
//! dispatches ahead of each light job, and the light jobs' own positions stay within
//! `burst size + bound`.

use crate::core::NewJob;

/// The bound on dispatches ahead of a light job.
pub fn light_bound(active_tenants: usize, active_users_of_tenant: usize) -> usize {
    active_tenants + active_users_of_tenant + 1
}

/// One flooding user, then light users in other tenants and in the flooder's own tenant.
#[derive(Clone, Debug)]
pub struct FloodPlan {
    pub flood_tenant: String,
    pub flooder: String,
    pub flood_jobs: usize,
    /// (tenant, user) of each light job, one job each.
    pub light: Vec<(String, String)>,
}

impl FloodPlan {
    /// The scenario of the acceptance test: `flood_jobs` from one user, then 50 light users spread
    /// over 10 other tenants and 50 light users of the flooder's tenant.
    pub fn standard(flood_jobs: usize) -> Self {
        let mut light = Vec::new();
        for i in 0..50 {
            light.push((format!("light-{:02}", i % 10), format!("u{i:02}")));
            light.push(("flood-tenant".to_owned(), format!("light-u{i:02}")));
        }
        Self {
            flood_tenant: "flood-tenant".into(),
            flooder: "flooder".into(),
            flood_jobs,
            light,
        }
    }

    pub fn flood_job(&self, i: usize) -> NewJob {
        NewJob::new(format!("flood-{i}"), &self.flood_tenant, &self.flooder, "f")
    }

    pub fn light_job(&self, i: usize) -> NewJob {
        let (t, u) = &self.light[i];
        NewJob::new(format!("light-{i}"), t, u, "l")
    }

    pub fn is_flood(id: &str) -> bool {
        id.starts_with("flood-")
    }

    /// Active tenants and active users of each light job's tenant if all light jobs arrive at
    /// once while the flood is backlogged.
    pub fn burst_activity(&self, i: usize) -> (usize, usize) {
        let tenant = &self.light[i].0;
        let mut tenants: Vec<&str> = self.light.iter().map(|(t, _)| t.as_str()).collect();
        tenants.push(&self.flood_tenant);
        tenants.sort_unstable();
        tenants.dedup();
        let mut users = self.light.iter().filter(|(t, _)| t == tenant).count();
        if *tenant == self.flood_tenant {
            users += 1;
        }
        (tenants.len(), users)
    }
}

/// For a burst: given the ids dispatched after the light jobs arrived (in order), each light job's
/// (position from 1, flood dispatches ahead of it). `None` if a light job is missing.
pub fn burst_positions(plan: &FloodPlan, dispatched: &[String]) -> Option<Vec<(usize, usize)>> {
    let mut out = vec![None; plan.light.len()];
    let mut flood_ahead = 0;
    for (pos, id) in dispatched.iter().enumerate() {
        if FloodPlan::is_flood(id) {
            flood_ahead += 1;
        } else if let Some(i) = id
            .strip_prefix("light-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some((pos + 1, flood_ahead));
            }
        }
    }
    out.into_iter().collect()
}

/// Checks a burst result against the bound; returns the worst (position, flood ahead, bound)
/// or a message naming the first light job over its bound.
pub fn check_burst(
    plan: &FloodPlan,
    positions: &[(usize, usize)],
) -> Result<(usize, usize), String> {
    let burst = plan.light.len();
    let mut worst = (0, 0);
    for (i, &(pos, flood_ahead)) in positions.iter().enumerate() {
        let (at, au) = plan.burst_activity(i);
        let bound = light_bound(at, au);
        if flood_ahead > bound || pos > burst + bound {
            return Err(format!(
                "light job {i} ({:?}) at position {pos} with {flood_ahead} flood jobs ahead; \
                 bound {bound} (active tenants {at}, users {au})",
                plan.light[i]
            ));
        }
        worst = (worst.0.max(pos), worst.1.max(flood_ahead));
    }
    Ok(worst)
}

/// Share of each flow's dispatches against its weight's share: the largest relative deviation
/// and Jain's fairness index over throughput / weight.
pub fn weighted_fairness(counts: &[u64], weights: &[f64]) -> (f64, f64) {
    let total: f64 = counts.iter().map(|&c| c as f64).sum();
    let wsum: f64 = weights.iter().sum();
    let mut worst: f64 = 0.0;
    for (c, w) in counts.iter().zip(weights) {
        let share = *c as f64 / total;
        let want = w / wsum;
        worst = worst.max(((share - want) / want).abs());
    }
    let x: Vec<f64> = counts
        .iter()
        .zip(weights)
        .map(|(&c, w)| c as f64 / w)
        .collect();
    let sum: f64 = x.iter().sum();
    let sq: f64 = x.iter().map(|v| v * v).sum();
    (worst, sum * sum / (x.len() as f64 * sq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_plan_counts_activity() {
        let p = FloodPlan::standard(10);
        assert_eq!(p.light.len(), 100);
        // Light user of another tenant: 11 tenants, 5 users in its tenant.
        assert_eq!(p.burst_activity(0), (11, 5));
        // Light user of the flood tenant: 50 light users + the flooder.
        assert_eq!(p.burst_activity(1), (11, 51));
    }

    #[test]
    fn fifo_order_fails_the_burst_check() {
        let p = FloodPlan::standard(200);
        let mut ids: Vec<String> = (0..200).map(|i| format!("flood-{i}")).collect();
        ids.extend((0..100).map(|i| format!("light-{i}")));
        let pos = burst_positions(&p, &ids).unwrap();
        assert!(check_burst(&p, &pos).is_err());
    }

    #[test]
    fn jain_is_one_when_shares_match_weights() {
        let (dev, jain) = weighted_fairness(&[300, 200, 100], &[3.0, 2.0, 1.0]);
        assert!(dev < 1e-12 && (jain - 1.0).abs() < 1e-12);
        let (dev, jain) = weighted_fairness(&[200, 200, 200], &[3.0, 2.0, 1.0]);
        assert!(dev > 0.3 && jain < 0.9);
    }
}
