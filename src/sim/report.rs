//! Turning what the simulator observed into figures: per tenant (family) and per group, and per
//! user when there are few: sent, answered, refused by which limit, dead, breaker trips, p50/p99
//! queue wait, and each tenant's share of dispatches against its weight while all were busy.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::observer::UserFigures;
use super::scenario::Scenario;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Row {
    pub name: String,
    pub users: usize,
    pub sent: u64,
    pub answered: u64,
    pub dead: u64,
    pub refused: BTreeMap<String, u64>,
    pub breaker_trips: u64,
    pub wait_p50_ms: u32,
    pub wait_p99_ms: u32,
    /// Share of dispatches while every heavy tenant had work (tenants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Share the weights call for (tenants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_share: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// "fair" or "fifo".
    pub queue: String,
    pub complete: bool,
    pub elapsed_s: f64,
    pub answered_per_s: f64,
    pub light_wait_p50_ms: u32,
    pub light_wait_p99_ms: u32,
    pub heavy_wait_p99_ms: u32,
    /// Jain's fairness index over share / weight (1 is perfect).
    pub jain: Option<f64>,
    pub tenants: Vec<Row>,
    pub groups: Vec<Row>,
    /// Per user, when the scenario has at most 40 users.
    pub users: Vec<Row>,
}

fn pct(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn row(name: &str, users: usize, figs: &[&UserFigures]) -> Row {
    let mut waits: Vec<u32> = figs
        .iter()
        .flat_map(|f| f.waits_ms.iter().copied())
        .collect();
    waits.sort_unstable();
    let mut refused = BTreeMap::new();
    for f in figs {
        for (k, v) in &f.refused {
            *refused.entry((*k).to_owned()).or_default() += v;
        }
    }
    Row {
        name: name.to_owned(),
        users,
        sent: figs.iter().map(|f| f.sent).sum(),
        answered: figs.iter().map(|f| f.answered).sum(),
        dead: figs.iter().map(|f| f.dead).sum(),
        refused,
        breaker_trips: figs.iter().map(|f| f.breaker_trips).sum(),
        wait_p50_ms: pct(&waits, 0.50),
        wait_p99_ms: pct(&waits, 0.99),
        share: None,
        weight_share: None,
    }
}

/// The user key of user `i` of a group (as the simulator names them).
pub fn user_name(group: &str, i: usize) -> String {
    format!("{group}-{i:05}")
}

/// The tenant user `i` of a group belongs to.
pub fn tenant_of(s: &Scenario, group: usize, i: usize) -> String {
    let g = &s.groups[group];
    let names = s
        .tenants
        .iter()
        .find(|t| t.name == g.tenant)
        .map(|t| t.names())
        .unwrap_or_default();
    names
        .get(i % names.len().max(1))
        .cloned()
        .unwrap_or_else(|| g.tenant.clone())
}

pub fn build(
    s: &Scenario,
    queue: &str,
    complete: bool,
    elapsed: Duration,
    users: &HashMap<String, UserFigures>,
    dispatches: &[(Duration, String)],
) -> RunReport {
    let empty = UserFigures::default();
    let fig = |key: &str| users.get(&format!("sim:{key}")).unwrap_or(&empty);
    // Which family each tenant name belongs to.
    let family: HashMap<String, &str> = s
        .tenants
        .iter()
        .flat_map(|t| t.names().into_iter().map(move |n| (n, t.name.as_str())))
        .collect();

    let mut groups = Vec::new();
    let mut by_family: BTreeMap<&str, (usize, Vec<&UserFigures>)> = BTreeMap::new();
    let (mut light, mut heavy): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut per_user = Vec::new();
    let total_users: usize = s.groups.iter().map(|g| g.users).sum();
    for (gi, g) in s.groups.iter().enumerate() {
        let names: Vec<String> = (0..g.users).map(|i| user_name(&g.name, i)).collect();
        let figs: Vec<&UserFigures> = names.iter().map(|n| fig(n)).collect();
        for f in &figs {
            if g.heavy {
                heavy.extend(&f.waits_ms)
            } else {
                light.extend(&f.waits_ms)
            }
        }
        groups.push(row(&g.name, g.users, &figs));
        let e = by_family.entry(g.tenant.as_str()).or_default();
        e.0 += g.users;
        e.1.extend(figs.iter().copied());
        if total_users <= 40 {
            for (i, n) in names.iter().enumerate() {
                per_user.push(row(&format!("{n} ({})", tenant_of(s, gi, i)), 1, &[fig(n)]));
            }
        }
    }
    light.sort_unstable();
    heavy.sort_unstable();

    // Shares while every family with heavy users still had work.
    let heavy_families: Vec<&str> = s
        .groups
        .iter()
        .filter(|g| g.heavy)
        .map(|g| g.tenant.as_str())
        .collect();
    let mut last: HashMap<&str, Duration> = HashMap::new();
    for (at, t) in dispatches {
        if let Some(f) = family.get(t) {
            last.insert(f, *at);
        }
    }
    let window_end = heavy_families
        .iter()
        .filter_map(|f| last.get(f))
        .min()
        .copied()
        .unwrap_or(Duration::MAX);
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for (at, t) in dispatches.iter().filter(|(at, _)| *at <= window_end) {
        let _ = at;
        if let Some(f) = family.get(t) {
            *counts.entry(f).or_default() += 1;
        }
    }
    let in_window: u64 = counts.values().sum();
    let weight_of = |f: &str| {
        s.tenants
            .iter()
            .find(|t| t.name == f)
            .map_or(1.0, |t| t.weight * t.count as f64)
    };
    let wsum: f64 = s.tenants.iter().map(|t| t.weight * t.count as f64).sum();
    let mut tenants = Vec::new();
    let mut ratios = Vec::new();
    for t in &s.tenants {
        let (n, figs) = by_family.get(t.name.as_str()).cloned().unwrap_or_default();
        let mut r = row(&t.name, n, &figs);
        if in_window > 0 {
            let share = *counts.get(t.name.as_str()).unwrap_or(&0) as f64 / in_window as f64;
            let want = weight_of(&t.name) / wsum;
            r.share = Some(share);
            r.weight_share = Some(want);
            if heavy_families.contains(&t.name.as_str()) {
                ratios.push(share / want);
            }
        }
        tenants.push(r);
    }
    let jain = (ratios.len() > 1).then(|| {
        let sum: f64 = ratios.iter().sum();
        let sq: f64 = ratios.iter().map(|x| x * x).sum();
        sum * sum / (ratios.len() as f64 * sq)
    });
    let answered: u64 = groups.iter().map(|g| g.answered).sum();
    RunReport {
        queue: queue.to_owned(),
        complete,
        elapsed_s: elapsed.as_secs_f64(),
        answered_per_s: answered as f64 / elapsed.as_secs_f64().max(1e-9),
        light_wait_p50_ms: pct(&light, 0.50),
        light_wait_p99_ms: pct(&light, 0.99),
        heavy_wait_p99_ms: pct(&heavy, 0.99),
        jain,
        tenants,
        groups,
        users: per_user,
    }
}

fn table(out: &mut String, title: &str, rows: &[Row]) {
    let _ = writeln!(out, "  {title}");
    let _ = writeln!(
        out,
        "    {:<28} {:>6} {:>7} {:>8} {:>6} {:>7} {:>6} {:>9} {:>9} {:>13}",
        "",
        "users",
        "sent",
        "answered",
        "dead",
        "refused",
        "trips",
        "wait p50",
        "wait p99",
        "share/weight"
    );
    for r in rows {
        let refused: u64 = r.refused.values().sum();
        let share = match (r.share, r.weight_share) {
            (Some(s), Some(w)) => format!("{:.1}%/{:.1}%", s * 100.0, w * 100.0),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "    {:<28} {:>6} {:>7} {:>8} {:>6} {:>7} {:>6} {:>7}ms {:>7}ms {:>13}",
            r.name,
            r.users,
            r.sent,
            r.answered,
            r.dead,
            refused,
            r.breaker_trips,
            r.wait_p50_ms,
            r.wait_p99_ms,
            share
        );
        if !r.refused.is_empty() {
            let why: Vec<String> = r.refused.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = writeln!(out, "      refused by {}", why.join(", "));
        }
    }
}

/// The human-readable report of one run.
pub fn render(r: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} queue: {} in {:.1} s, {:.0} answers/s; light-user wait p50 {} ms, p99 {} ms; heavy-user wait p99 {} ms{}",
        r.queue,
        if r.complete {
            "finished"
        } else {
            "INCOMPLETE (time limit)"
        },
        r.elapsed_s,
        r.answered_per_s,
        r.light_wait_p50_ms,
        r.light_wait_p99_ms,
        r.heavy_wait_p99_ms,
        r.jain
            .map(|j| format!("; Jain's index {j:.3}"))
            .unwrap_or_default()
    );
    table(&mut out, "per tenant", &r.tenants);
    table(&mut out, "per group", &r.groups);
    if !r.users.is_empty() {
        table(&mut out, "per user", &r.users);
    }
    out
}
