//! `switchboard simulate`: the real pipeline (admission, queue, workers, breakers, the real AI
//! client over HTTP) on a simulated platform, against an OpenAI-compatible AI server started in
//! process on loopback with per-user latency and faults. Each scenario runs on the fair queue and
//! again on a FIFO queue, so an operator sees what their weights and quotas buy before going live.

pub mod ai_server;
pub mod discord_api;
mod observer;
mod platform;
mod report;
pub mod scenario;
mod sim_config;
pub mod telegram_api;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde::Serialize;
use switchboard_queue::{FifoQueue, Queue, SystemClock};
use tokio::task::JoinSet;

pub use report::{Row, RunReport, render};
pub use scenario::{Scenario, ScenarioError};

use self::ai_server::{FakeAi, FakeAiConfig, UserFaults};
use self::observer::SimObserver;
use self::platform::{SimPlatform, deliver_entry, message};
use self::report::{tenant_of, user_name};
use crate::app::{self, AppError, StartOptions, queue_settings};
use crate::config::Config;
use crate::ingress::Handled;

/// Where the simulated run keeps its data.
#[derive(Clone, Debug)]
pub enum SimStorage {
    /// SQLite in a temporary directory (removed afterwards).
    Embedded,
    /// A Redis server; a fresh namespace is used and removed afterwards.
    Redis { url: String },
}

pub struct SimOptions {
    /// The config whose personalities, queue, worker and breaker settings the run uses.
    pub config: Config,
    pub scenario: Scenario,
    pub storage: SimStorage,
    /// Also run on a FIFO queue for comparison.
    pub fifo: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    pub scenario: String,
    pub description: String,
    pub users: usize,
    pub messages: usize,
    pub fair: RunReport,
    pub fifo: Option<RunReport>,
}

impl SimReport {
    /// The human-readable report.
    pub fn render(&self) -> String {
        let mut out = format!(
            "scenario {}: {}\n{} users, {} messages\n\n",
            self.scenario, self.description, self.users, self.messages
        );
        out.push_str(&render(&self.fair));
        if let Some(f) = &self.fifo {
            out.push('\n');
            out.push_str(&render(f));
            out.push_str(&format!(
                "\nlight-user wait p99: fair {} ms, FIFO {} ms\n",
                self.fair.light_wait_p99_ms, f.light_wait_p99_ms
            ));
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("could not start the simulated AI server: {0}")]
    AiServer(std::io::Error),
    #[error("could not prepare the run: {0}")]
    Setup(String),
    #[error(transparent)]
    App(#[from] AppError),
}

pub async fn simulate(opts: SimOptions) -> Result<SimReport, SimError> {
    let fake = FakeAi::start(fake_config(&opts.scenario))
        .await
        .map_err(SimError::AiServer)?;
    let fair = run_once(&opts, &fake, false).await?;
    let fifo = if opts.fifo {
        Some(run_once(&opts, &fake, true).await?)
    } else {
        None
    };
    let s = &opts.scenario;
    Ok(SimReport {
        scenario: s.name.clone(),
        description: s.description.clone(),
        users: s.groups.iter().map(|g| g.users).sum(),
        messages: s.total_messages(),
        fair,
        fifo,
    })
}

fn fake_config(s: &Scenario) -> FakeAiConfig {
    let mut users = HashMap::new();
    for g in s.groups.iter().filter(|g| g.error_rate.is_some()) {
        for i in 0..g.users {
            let faults = UserFaults {
                error_rate: g.error_rate,
                ..UserFaults::default()
            };
            users.insert(format!("sim:{}", user_name(&g.name, i)), faults);
        }
    }
    FakeAiConfig {
        latency: Duration::from_millis(s.ai.latency_ms),
        jitter: Duration::from_millis(s.ai.jitter_ms),
        error_rate: s.ai.error_rate,
        users,
        reply_words: s.ai.reply_words.max(1),
        report_usage: true,
        seed: s.seed,
        silent_when: None,
        reply_prefix: None,
    }
}

async fn run_once(opts: &SimOptions, fake: &FakeAi, fifo: bool) -> Result<RunReport, SimError> {
    let s = &opts.scenario;
    let place =
        sim_config::Place::new(&opts.storage).map_err(|e| SimError::Setup(e.to_string()))?;
    let cfg = sim_config::build(&opts.config, s, &fake.base_url(), &place);
    let observer = Arc::new(SimObserver::new());
    let platform = Arc::new(SimPlatform::default());
    let queue: Option<Arc<dyn Queue>> =
        fifo.then(|| Arc::new(FifoQueue::new(queue_settings(&cfg))) as Arc<dyn Queue>);
    let (k, d) = deliver_entry(platform);
    let start = StartOptions {
        delivers: HashMap::from([(k, d)]),
        observer: observer.clone(),
        queue,
        clock: Arc::new(SystemClock),
        workers: true,
    };
    let rt = Arc::new(app::start(cfg, start).await?);
    let total = s.total_messages() as u64;
    let bar = progress(
        opts.progress,
        total,
        if fifo { "FIFO queue" } else { "fair queue" },
    );
    let started = Instant::now();
    let mut senders = JoinSet::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(s.seed);
    for (gi, g) in s.groups.iter().enumerate() {
        for i in 0..g.users {
            let user = user_name(&g.name, i);
            let tenant = tenant_of(s, gi, i);
            let delay = g.start_ms
                + if g.spread_ms > 0 {
                    rng.random_range(0..g.spread_ms)
                } else {
                    0
                };
            let (rt, observer, n, every) =
                (rt.clone(), observer.clone(), g.messages, g.interval_ms);
            senders.spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                for k in 0..n {
                    observer.sent(&format!("sim:{user}"));
                    let now = rt.svc.now_ms();
                    match rt.ingest(message(&tenant, &user, k, now)).await {
                        Ok(Handled::Queued(_) | Handled::Refused { .. }) => {}
                        Ok(_) => observer.dropped(),
                        Err(e) => {
                            tracing::warn!(error = %e, "ingress failed in the simulation");
                            observer.dropped();
                        }
                    }
                    if every > 0 {
                        tokio::time::sleep(Duration::from_millis(every)).await;
                    }
                }
            });
        }
    }
    let deadline = started + Duration::from_secs(s.max_secs);
    let mut complete = false;
    while Instant::now() < deadline {
        let settled = observer.settled.load(Ordering::Relaxed);
        if let Some(b) = &bar {
            b.set_position(settled.min(total));
        }
        if settled >= total {
            complete = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    senders.abort_all();
    while senders.join_next().await.is_some() {}
    if let Ok(rt) = Arc::try_unwrap(rt) {
        rt.shutdown().await;
    }
    place.cleanup().await;
    Ok(report::build(
        s,
        if fifo { "FIFO" } else { "fair" },
        complete,
        elapsed,
        &observer.users(),
        &observer.dispatches(),
    ))
}

fn progress(show: bool, total: u64, label: &str) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{msg:>12} [{bar:40}] {pos}/{len} messages settled ({per_sec}, {eta})",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label.to_owned());
    Some(bar)
}
