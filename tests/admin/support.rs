//! The harness: `switchboard run`'s real wiring (`live::run_with`) against the fake Bot API and
//! the fake AI, loaded from a config file in a temp dir (so reloads read a real file), with the
//! admin server on a port of its own and two bots: `tg` pinned to tenant `alpha`, `tg2` to `beta`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use switchboard::config::{self, Env};
use switchboard::live::{LiveOptions, run_with};
use switchboard::reload::ReloadSource;
use switchboard::services::Services;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::sim::telegram_api::{
    FakeTelegram, FakeTelegramConfig, Incoming, Sent, TgChat, TgUser,
};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "123456:TEST-TOKEN";
pub const TOKEN2: &str = "654321:SECOND-TOKEN";
pub const ADMIN_TOKEN: &str = "admin-token-0123456789";
/// What the personality says when a user's requests keep failing.
pub const ERROR_NOTICE: &str = "ERROR-NOTICE";

/// The settings tests change; the rest of the file is fixed.
#[derive(Clone)]
pub struct Conf {
    pub alpha_weight: f64,
    pub beta_weight: f64,
    /// `users."telegram:77".quotas.requests_per_day`.
    pub u77_requests_per_day: u64,
    pub concurrency: u32,
    pub max_attempts: u32,
    /// Breaker: calls in the window before it may open.
    pub min_calls: u32,
}

impl Default for Conf {
    fn default() -> Self {
        Self {
            alpha_weight: 1.0,
            beta_weight: 1.0,
            u77_requests_per_day: 100,
            concurrency: 2,
            max_attempts: 1,
            min_calls: 50,
        }
    }
}

impl Conf {
    pub fn render(&self, ai_url: &str, tg_url: &str, data_dir: &str) -> String {
        format!(
            r#"admins = []

[storage]
mode = "embedded"
data_dir = "{data_dir}"

[queue]
max_attempts = {max_attempts}
retry_base_ms = 50
retry_max_secs = 1

[workers]
concurrency = {concurrency}
coalesce = false
shutdown_grace_secs = 1

[breaker]
window_secs = 60
min_calls = {min_calls}
failure_rate = 0.5
open_secs = 600
max_open_secs = 600

[heartbeats]
enabled = false

[quotas]
rate = "none"
requests_per_day = "none"
tokens_per_day = "none"
cost_per_month_usd = "none"
max_queued = 100

[tenant_defaults]
access = "open"

[[tenants]]
name = "alpha"
weight = {alpha:?}

[[tenants]]
name = "beta"
weight = {beta:?}

[users."telegram:77".quotas]
requests_per_day = {q77}

[providers.ai]
base_url = "{ai_url}"
timeout_secs = 5
attempts = 1
[providers.ai.models."m"]
input_per_million = 1.0
output_per_million = 2.0

[personalities]
dir = "personalities"
default = "Aria"

[[platforms.telegram]]
name = "tg"
token_env = "TG_TOKEN"
api_url = "{tg_url}"
tenant = "alpha"

[[platforms.telegram]]
name = "tg2"
token_env = "TG2_TOKEN"
api_url = "{tg_url}"
tenant = "beta"

[admin]
listen = "127.0.0.1:0"
token_env = "ADMIN_TOKEN"
"#,
            max_attempts = self.max_attempts,
            concurrency = self.concurrency,
            min_calls = self.min_calls,
            alpha = self.alpha_weight,
            beta = self.beta_weight,
            q77 = self.u77_requests_per_day,
        )
    }
}

const ARIA: &str = r#"name = "Aria"
provider = "ai"
model = "m"
error_message = "ERROR-NOTICE"
system_prompt = "You are Aria."
"#;

#[derive(Default)]
pub struct Opts {
    pub conf: Conf,
    pub ai: FakeAiConfig,
    /// Reload on SIGHUP too.
    pub sighup: bool,
}

pub struct Svc {
    pub fake: FakeTelegram,
    pub ai: FakeAi,
    pub svc: Arc<Services>,
    pub admin: SocketAddr,
    pub http: reqwest::Client,
    pub path: PathBuf,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    dir: tempfile::TempDir,
}

pub fn env() -> Env {
    Env::from_vars([
        ("TG_TOKEN", TOKEN),
        ("TG2_TOKEN", TOKEN2),
        ("ADMIN_TOKEN", ADMIN_TOKEN),
    ])
}

pub async fn start(opts: Opts) -> Svc {
    let fake = FakeTelegram::start(FakeTelegramConfig::with_tokens(&[TOKEN, TOKEN2]))
        .await
        .unwrap();
    let ai = FakeAi::start(opts.ai.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("personalities")).unwrap();
    std::fs::write(dir.path().join("personalities/aria.toml"), ARIA).unwrap();
    let path = dir.path().join("switchboard.toml");
    let text = render(&opts.conf, &ai, &fake, &dir);
    std::fs::write(&path, text).unwrap();
    let cfg = config::load_with_env(&path, &env()).unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = oneshot::channel();
    let stop = CancellationToken::new();
    let watch = ReloadSource {
        path: path.clone(),
        env: env(),
        poll: Duration::from_millis(200),
        sighup: opts.sighup,
    };
    let s = stop.clone();
    let task = tokio::spawn(async move {
        let opts = LiveOptions {
            watch: Some(watch),
            ..LiveOptions::default()
        };
        if let Err(e) = run_with(cfg, s, Some(tx), opts).await {
            panic!("switchboard run failed: {e}");
        }
    });
    let ready = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("started in time")
        .expect("started");
    let svc = ready.runtime.svc.clone();
    let admin = ready.admin.expect("the admin server listens");
    drop(ready);
    Svc {
        fake,
        ai,
        svc,
        admin,
        http: reqwest::Client::new(),
        path,
        stop,
        task,
        dir,
    }
}

fn render(conf: &Conf, ai: &FakeAi, fake: &FakeTelegram, dir: &tempfile::TempDir) -> String {
    let data = dir.path().join("data");
    conf.render(
        &ai.base_url(),
        &fake.base_url(),
        &data.display().to_string(),
    )
}

impl Svc {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin)
    }

    /// Rewrites the config file.
    pub fn write(&self, conf: &Conf) {
        let text = render(conf, &self.ai, &self.fake, &self.dir);
        std::fs::write(&self.path, text).unwrap();
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn metrics(&self) -> String {
        let r = self.get("/metrics").await;
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.unwrap()
    }

    /// A private message from user `id` to bot 1 (`tg`, tenant alpha) or 2 (`tg2`, beta).
    pub fn say(&self, bot: u8, id: i64, text: &str) {
        let user = TgUser::new(id, "User");
        let incoming = Incoming::text(&TgChat::private(&user), &user, text);
        let token = if bot == 1 { TOKEN } else { TOKEN2 };
        self.fake.push_for(token, incoming).unwrap();
    }

    /// Waits until chat `chat` has at least `n` messages from the bots.
    pub async fn sends_to(&self, chat: i64, n: usize, secs: u64) -> Vec<Sent> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let sent: Vec<Sent> = self
                .fake
                .sent()
                .into_iter()
                .filter(|s| s.chat_id == chat)
                .collect();
            if sent.len() >= n {
                return sent;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chat {chat}: {} of {n} messages after {secs} s: {:?}",
                sent.len(),
                sent.iter().map(Sent::body).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `check` holds for the JSON at `path`, returning it.
    pub async fn until(&self, path: &str, secs: u64, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.get_json(path).await;
            if check(&v) {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never matched in {secs} s; last: {v:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(self) {
        drop(self.svc);
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("stops in time")
            .unwrap();
    }
}

/// The value of the sample whose line starts with `series` (name and labels as rendered).
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(series)?;
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}
