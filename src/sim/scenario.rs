//! Scenarios for `switchboard simulate`: tenants with weights, groups of simulated users that send
//! messages on a schedule, the simulated AI's latency and faults (per group), and overrides of the
//! config for the run. The built-in ones ship in `config/scenarios/` and are compiled in, so the
//! binary can simulate from any directory.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Scenarios built into the binary: (name, TOML).
pub const BUILT_IN: &[(&str, &str)] = &[
    ("flood", include_str!("../../config/scenarios/flood.toml")),
    (
        "weights",
        include_str!("../../config/scenarios/weights.toml"),
    ),
    ("outage", include_str!("../../config/scenarios/outage.toml")),
    ("load", include_str!("../../config/scenarios/load.toml")),
];

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seeds the simulated AI's fault dice.
    #[serde(default = "seed")]
    pub seed: u64,
    /// Gives up (and reports what finished) after this long.
    #[serde(default = "max_secs")]
    pub max_secs: u64,
    #[serde(default)]
    pub ai: SimAi,
    #[serde(default)]
    pub overrides: Overrides,
    /// Limits for every simulated user; unlimited unless set.
    #[serde(default)]
    pub quotas: SimQuotas,
    pub tenants: Vec<SimTenant>,
    pub groups: Vec<SimGroup>,
}

fn seed() -> u64 {
    7
}

fn max_secs() -> u64 {
    600
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimAi {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    /// Probability of a 500 for anyone.
    pub error_rate: f64,
    pub reply_words: usize,
}

impl Default for SimAi {
    fn default() -> Self {
        Self {
            latency_ms: 30,
            jitter_ms: 10,
            error_rate: 0.0,
            reply_words: 40,
        }
    }
}

/// Config settings a scenario may change for its run.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub workers: Option<usize>,
    pub coalesce: Option<bool>,
    pub max_attempts: Option<u32>,
    pub retry_base_ms: Option<u64>,
    pub retry_max_ms: Option<u64>,
    pub breaker_min_calls: Option<u32>,
    pub breaker_open_ms: Option<u64>,
    pub breaker_max_open_ms: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimQuotas {
    pub rate_per_min: Option<u32>,
    pub burst: Option<u32>,
    pub requests_per_day: Option<u64>,
    pub max_queued: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimTenant {
    pub name: String,
    #[serde(default = "one")]
    pub weight: f64,
    /// A family of this many tenants named `<name>-<n>` (groups naming it spread their users over
    /// all of them).
    #[serde(default = "one_usize")]
    pub count: usize,
}

fn one_usize() -> usize {
    1
}

impl SimTenant {
    /// The tenant names this entry stands for.
    pub fn names(&self) -> Vec<String> {
        if self.count <= 1 {
            vec![self.name.clone()]
        } else {
            (0..self.count)
                .map(|i| format!("{}-{i}", self.name))
                .collect()
        }
    }
}

fn one() -> f64 {
    1.0
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimGroup {
    /// Label; users are named `<name>-<n>`.
    pub name: String,
    pub tenant: String,
    pub users: usize,
    /// Messages per user.
    pub messages: usize,
    /// Pause between one user's messages (0: as fast as ingress takes them).
    #[serde(default)]
    pub interval_ms: u64,
    /// When the group starts sending.
    #[serde(default)]
    pub start_ms: u64,
    /// Each user starts at a random moment within this long after `start_ms`.
    #[serde(default)]
    pub spread_ms: u64,
    /// Heavy users are the flood; everyone else is light (reports single out light-user waits).
    #[serde(default)]
    pub heavy: bool,
    /// Probability that the AI fails this group's requests.
    #[serde(default)]
    pub error_rate: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(
        "no scenario named {0:?} (built in: flood, weights, outage, load; or give a path to a .toml file)"
    )]
    Unknown(String),
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("scenario {name}: {message}")]
    Invalid { name: String, message: String },
}

impl Scenario {
    /// A built-in scenario by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((_, toml)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(name_or_path, toml);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(ScenarioError::Unknown(name_or_path.to_owned()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: name_or_path.to_owned(),
            source,
        })?;
        Self::parse(name_or_path, &text)
    }

    pub fn parse(name: &str, toml_text: &str) -> Result<Scenario, ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid {
            name: name.to_owned(),
            message,
        };
        let s: Scenario = toml::from_str(toml_text).map_err(|e| invalid(e.to_string()))?;
        if s.tenants.is_empty() || s.groups.is_empty() {
            return Err(invalid(
                "needs at least one [[tenants]] and one [[groups]]".into(),
            ));
        }
        for t in &s.tenants {
            if t.count == 0 || t.count > 100_000 {
                return Err(invalid(format!(
                    "tenant {}: count must be 1..=100000",
                    t.name
                )));
            }
            if !(t.weight > 0.0 && t.weight <= 1e6) {
                return Err(invalid(format!(
                    "tenant {}: weight must be in (0, 1000000]",
                    t.name
                )));
            }
            if t.name.is_empty()
                || !t
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(format!(
                    "tenant {:?}: use letters, digits, '-' and '_'",
                    t.name
                )));
            }
        }
        for g in &s.groups {
            if !s.tenants.iter().any(|t| t.name == g.tenant) {
                return Err(invalid(format!(
                    "group {}: no tenant named {:?}",
                    g.name, g.tenant
                )));
            }
            if g.name.is_empty()
                || !g
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(format!(
                    "group {:?}: use letters, digits, '-' and '_'",
                    g.name
                )));
            }
            if g.users == 0 || g.messages == 0 {
                return Err(invalid(format!(
                    "group {}: users and messages must be at least 1",
                    g.name
                )));
            }
            if g.error_rate.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
                return Err(invalid(format!(
                    "group {}: error_rate must be between 0 and 1",
                    g.name
                )));
            }
        }
        if !(0.0..=1.0).contains(&s.ai.error_rate) {
            return Err(invalid("ai.error_rate must be between 0 and 1".into()));
        }
        Ok(s)
    }

    /// Messages the scenario sends.
    pub fn total_messages(&self) -> usize {
        self.groups.iter().map(|g| g.users * g.messages).sum()
    }

    /// Scales user counts and messages to the given totals (`--users`, `--messages`).
    pub fn scale(&mut self, users: Option<usize>, messages: Option<usize>) {
        if let Some(u) = users {
            let now: usize = self.groups.iter().map(|g| g.users).sum();
            for g in &mut self.groups {
                g.users = ((g.users as f64 * u as f64 / now.max(1) as f64).round() as usize).max(1);
            }
        }
        if let Some(m) = messages {
            let now = self.total_messages();
            for g in &mut self.groups {
                g.messages =
                    ((g.messages as f64 * m as f64 / now.max(1) as f64).round() as usize).max(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_scenarios_parse() {
        for (name, _) in BUILT_IN {
            let s = Scenario::load(name).unwrap();
            assert_eq!(&s.name, name);
            assert!(s.total_messages() > 0);
        }
    }

    #[test]
    fn bad_scenarios_are_refused_with_reasons() {
        let bad = "name = 'x'\n[[tenants]]\nname = 'a'\n[[groups]]\nname = 'g'\ntenant = 'b'\nusers = 1\nmessages = 1\n";
        let e = Scenario::parse("x", bad).unwrap_err().to_string();
        assert!(e.contains("no tenant named"), "{e}");
        assert!(
            Scenario::parse("x", "name = 'x'\ntypo = 1")
                .unwrap_err()
                .to_string()
                .contains("typo")
        );
        assert!(matches!(
            Scenario::load("no-such-scenario"),
            Err(ScenarioError::Unknown(_))
        ));
    }

    #[test]
    fn scaling_hits_the_asked_totals_roughly() {
        let mut s = Scenario::load("load").unwrap();
        s.scale(Some(1_000), Some(10_000));
        let users: usize = s.groups.iter().map(|g| g.users).sum();
        assert!((990..=1_010).contains(&users), "{users}");
        let total = s.total_messages();
        assert!((9_000..=11_000).contains(&total), "{total}");
    }
}
