//! Prometheus metrics. [`Metrics`] is the pipeline's observer: it counts events into a recorder of
//! its own (never the process-global one, so several services in one process, as in the tests,
//! keep their own figures) and renders them with the figures only a scrape can read: queue depths
//! and in-flight jobs per tenant, dead letters, breakers, cost per tenant, the last reload.
//! Labels are tenants, providers, models, personalities and fixed words; never users (unbounded
//! cardinality: per-user figures are in the JSON API).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, SharedString,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use switchboard_queue::core::Stats;

use super::expo::Expo;
use crate::observe::Observer;
use crate::reload::ReloadStatus;

const QUEUED: &str = "switchboard_messages_queued_total";
const REFUSED: &str = "switchboard_admission_refused_total";
const ANSWERED: &str = "switchboard_jobs_answered_total";
const FAILED: &str = "switchboard_job_failures_total";
const BREAKER_OPENED: &str = "switchboard_breaker_opened_total";
const AI_REQUESTS: &str = "switchboard_ai_requests_total";
const AI_TOKENS: &str = "switchboard_ai_tokens_total";
const CACHE: &str = "switchboard_response_cache_lookups_total";
const HEARTBEATS: &str = "switchboard_heartbeats_total";
const DELIVERY_ERRORS: &str = "switchboard_delivery_errors_total";
const WEBHOOK_429: &str = "switchboard_webhook_rate_limited_total";
const RELOADS: &str = "switchboard_config_reloads_total";
const QUEUE_WAIT: &str = "switchboard_queue_wait_seconds";
const ANSWER_LATENCY: &str = "switchboard_answer_latency_seconds";
const AI_LATENCY: &str = "switchboard_ai_latency_seconds";
const POOL_CHANNELS: &str = "switchboard_webhook_pool_channels";
const POOL_WEBHOOKS: &str = "switchboard_webhook_pool_webhooks";

/// What the recorder holds, with its help text.
const COUNTERS: &[(&str, &str)] = &[
    (QUEUED, "Messages that became jobs, by tenant."),
    (
        REFUSED,
        "Messages refused by admission, by tenant and limit.",
    ),
    (ANSWERED, "Jobs answered, by tenant."),
    (
        FAILED,
        "Failed job attempts, by tenant and outcome (retry or dead_letter).",
    ),
    (
        BREAKER_OPENED,
        "Per-user circuit breakers opened, by tenant.",
    ),
    (
        AI_REQUESTS,
        "AI calls by provider, model and result (ok or error).",
    ),
    (
        AI_TOKENS,
        "AI tokens paid for, by tenant and direction (input or output).",
    ),
    (
        CACHE,
        "Response cache lookups by personality and result (hit or miss).",
    ),
    (
        HEARTBEATS,
        "Check-ins run, by tenant and result (sent or silent).",
    ),
    (DELIVERY_ERRORS, "Failed deliveries to a platform, by kind."),
    (WEBHOOK_429, "Discord webhook executions answered with 429."),
    (RELOADS, "Config reloads by result (applied or refused)."),
];
const HISTOGRAMS: &[(&str, &str)] = &[
    (
        QUEUE_WAIT,
        "Time from a message being queued to a worker taking its job, by tenant.",
    ),
    (
        ANSWER_LATENCY,
        "Time from a message being queued to its job ending answered, by tenant.",
    ),
    (AI_LATENCY, "AI call duration by provider and model."),
];
const GAUGES: &[(&str, &str)] = &[
    (POOL_CHANNELS, "Discord channels with a webhook pool."),
    (POOL_WEBHOOKS, "Webhooks in the Discord webhook pools."),
];

/// Histogram buckets, in seconds: from a fast AI answer to a long queue wait.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0,
];

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// What a scrape reads from the running service besides the recorder.
#[derive(Default)]
pub struct Scrape {
    /// The queue's figures; `None` when the queue did not answer.
    pub queue: Option<Stats>,
    /// Breakers not closed, by state (`open`, `half_open`).
    pub breakers: BTreeMap<&'static str, u64>,
    /// The last config reload, if any.
    pub reload: Option<ReloadStatus>,
}

pub struct Metrics {
    /// Counters, gauges and histograms of this service.
    recorder: PrometheusRecorder,
    /// Renders what the recorder holds.
    handle: PrometheusHandle,
    /// USD spent per tenant since start (`metrics` counters count integers).
    cost: Mutex<BTreeMap<String, f64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets(BUCKETS) {
            Ok(b) => b,
            Err(_) => PrometheusBuilder::new(),
        };
        let recorder = builder.build_recorder();
        for (name, help) in COUNTERS {
            recorder.describe_counter(KeyName::from_const_str(name), None, shared(help));
        }
        for (name, help) in HISTOGRAMS {
            recorder.describe_histogram(KeyName::from_const_str(name), None, shared(help));
        }
        for (name, help) in GAUGES {
            recorder.describe_gauge(KeyName::from_const_str(name), None, shared(help));
        }
        let handle = recorder.handle();
        Self {
            recorder,
            handle,
            cost: Mutex::default(),
        }
    }

    fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Counter {
        self.recorder
            .register_counter(&key(name, labels), &METADATA)
    }

    fn histogram(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Histogram {
        self.recorder
            .register_histogram(&key(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str) -> Gauge {
        self.recorder.register_gauge(&key(name, &[]), &METADATA)
    }

    /// Drains histogram samples into their buckets (bounded memory between scrapes).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self, scrape: &Scrape) -> String {
        let mut out = self.handle.render();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&self.render_scrape(scrape));
        out
    }

    fn render_scrape(&self, scrape: &Scrape) -> String {
        let mut e = Expo::default();
        let name = "switchboard_ai_cost_usd_total";
        e.family(name, "counter", "USD spent on AI answers, by tenant.");
        for (tenant, usd) in self.cost.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            e.sample(name, &[("tenant", tenant)], *usd);
        }

        let name = "switchboard_queue_up";
        e.family(name, "gauge", "1 if the queue answered this scrape.");
        e.sample(name, &[], f64::from(u8::from(scrape.queue.is_some())));
        if let Some(stats) = &scrape.queue {
            let name = "switchboard_queue_jobs";
            e.family(
                name,
                "gauge",
                "Jobs in the queue by tenant and state (ready, in_flight, delayed).",
            );
            for t in &stats.tenants {
                for (state, n) in [
                    ("ready", t.ready),
                    ("in_flight", t.in_flight),
                    ("delayed", t.delayed),
                ] {
                    e.sample(name, &[("tenant", &t.tenant), ("state", state)], n as f64);
                }
            }
            let name = "switchboard_queue_dead_letters";
            e.family(name, "gauge", "Jobs in the dead-letter set.");
            e.sample(name, &[], stats.dead as f64);
        }

        let name = "switchboard_breakers";
        e.family(
            name,
            "gauge",
            "Per-user circuit breakers not closed, by state (open or half_open).",
        );
        for state in ["open", "half_open"] {
            let n = scrape.breakers.get(state).copied().unwrap_or(0);
            e.sample(name, &[("state", state)], n as f64);
        }

        let name = "switchboard_config_reload_ok";
        e.family(
            name,
            "gauge",
            "0 if the last config reload was refused (the previous config is running), else 1.",
        );
        let ok = scrape.reload.as_ref().is_none_or(|r| r.ok);
        e.sample(name, &[], f64::from(u8::from(ok)));
        let name = "switchboard_config_restart_needed";
        e.family(
            name,
            "gauge",
            "1 if the applied config changed settings that only take effect after a restart.",
        );
        let restart = scrape
            .reload
            .as_ref()
            .is_some_and(|r| !r.needs_restart.is_empty());
        e.sample(name, &[], f64::from(u8::from(restart)));
        if let Some(r) = &scrape.reload {
            let name = "switchboard_config_last_reload_timestamp_seconds";
            e.family(
                name,
                "gauge",
                "When the config was last reloaded (Unix time).",
            );
            e.sample(name, &[], r.at_ms as f64 / 1000.0);
        }
        e.into_string()
    }
}

fn shared(s: &'static str) -> SharedString {
    SharedString::const_str(s)
}

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::new(*k, (*v).to_owned()))
        .collect();
    Key::from_parts(name, labels)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Observer for Metrics {
    fn refused(&self, tenant: &str, _user: &str, limit: &str) {
        self.counter(REFUSED, &[("tenant", tenant), ("limit", limit)])
            .increment(1);
    }

    fn queued(&self, _job_id: &str, tenant: &str, _user: &str) {
        self.counter(QUEUED, &[("tenant", tenant)]).increment(1);
    }

    fn leased(&self, _job_id: &str, tenant: &str, _user: &str, wait: Duration) {
        self.histogram(QUEUE_WAIT, &[("tenant", tenant)])
            .record(secs(wait));
    }

    fn answered(&self, _job_id: &str, tenant: &str, _user: &str) {
        self.counter(ANSWERED, &[("tenant", tenant)]).increment(1);
    }

    fn finished(&self, tenant: &str, since_queued: Duration) {
        self.histogram(ANSWER_LATENCY, &[("tenant", tenant)])
            .record(secs(since_queued));
    }

    fn failed(&self, _job_id: &str, tenant: &str, _user: &str, dead: bool) {
        let outcome = if dead { "dead_letter" } else { "retry" };
        self.counter(FAILED, &[("tenant", tenant), ("outcome", outcome)])
            .increment(1);
    }

    fn breaker_opened(&self, tenant: &str, _user: &str) {
        self.counter(BREAKER_OPENED, &[("tenant", tenant)])
            .increment(1);
    }

    fn ai_called(&self, provider: &str, model: &str, ok: bool, latency: Duration) {
        let result = if ok { "ok" } else { "error" };
        self.counter(
            AI_REQUESTS,
            &[("provider", provider), ("model", model), ("result", result)],
        )
        .increment(1);
        self.histogram(AI_LATENCY, &[("provider", provider), ("model", model)])
            .record(secs(latency));
    }

    fn usage(
        &self,
        tenant: &str,
        _provider: &str,
        _model: &str,
        input_tokens: u64,
        output_tokens: u64,
        cost_usd: f64,
    ) {
        self.counter(AI_TOKENS, &[("tenant", tenant), ("direction", "input")])
            .increment(input_tokens);
        self.counter(AI_TOKENS, &[("tenant", tenant), ("direction", "output")])
            .increment(output_tokens);
        if cost_usd.is_finite() && cost_usd > 0.0 {
            *self
                .cost
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(tenant.to_owned())
                .or_default() += cost_usd;
        }
    }

    fn cache(&self, personality: &str, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.counter(CACHE, &[("personality", personality), ("result", result)])
            .increment(1);
    }

    fn heartbeat(&self, tenant: &str, sent: bool) {
        let result = if sent { "sent" } else { "silent" };
        self.counter(HEARTBEATS, &[("tenant", tenant), ("result", result)])
            .increment(1);
    }

    fn delivery_failed(&self, kind: &str) {
        self.counter(DELIVERY_ERRORS, &[("kind", kind)])
            .increment(1);
    }

    fn webhook_pools(&self, channels: usize, webhooks: usize) {
        self.gauge(POOL_CHANNELS).set(channels as f64);
        self.gauge(POOL_WEBHOOKS).set(webhooks as f64);
    }

    fn webhook_rate_limited(&self) {
        self.counter(WEBHOOK_429, &[]).increment(1);
    }

    fn config_reloaded(&self, ok: bool) {
        let result = if ok { "applied" } else { "refused" };
        self.counter(RELOADS, &[("result", result)]).increment(1);
    }
}

#[cfg(test)]
mod tests;
