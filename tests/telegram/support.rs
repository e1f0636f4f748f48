//! The harness: `switchboard run`'s real wiring (`live::run`: getMe, setMyCommands, the poller or
//! the webhook, teloxide delivery) in-process against the fake Bot API and the fake AI, on the
//! embedded store in a temp dir.

#[path = "../common/shipped_config.rs"]
mod shipped_config;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use switchboard::config::{Config, EditedMessages, Secret, Storage, TelegramBot, TelegramWebhook};
use switchboard::services::Services;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::sim::telegram_api::{FakeTelegram, FakeTelegramConfig, Sent};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "123456:TEST-TOKEN";
pub const BOT_ID: i64 = 123_456;
pub const SECRET: &str = "hook-s3cret";
pub const TOKEN2: &str = "654321:SECOND-TOKEN";

#[derive(Default)]
pub struct Opts {
    pub ai: FakeAiConfig,
    pub webhook: bool,
    /// Store on Redis in this namespace instead of SQLite in a temp dir.
    pub redis: Option<String>,
    /// `edited = "answer"` instead of the default "ignore".
    pub answer_edits: bool,
    /// A second bot, `tg2` (token [`TOKEN2`]), and both pinned to tenants `one` and `two`.
    pub two_bots: bool,
}

pub struct Tg {
    pub fake: FakeTelegram,
    pub ai: FakeAi,
    pub svc: Arc<Services>,
    /// More instances of the service (scale-out tests).
    pub more: Vec<Instance>,
    /// Where the webhook listens (webhook mode).
    pub webhook: Option<SocketAddr>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// One running service.
pub struct Instance {
    pub svc: Arc<Services>,
    webhook: Option<SocketAddr>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    dir: tempfile::TempDir,
}

fn config(ai: &FakeAi, fake: &FakeTelegram, dir: &std::path::Path, opts: &Opts) -> Config {
    let webhook = opts.webhook;
    let mut cfg = shipped_config::for_tests(ai.base_url());
    cfg.storage = match &opts.redis {
        None => Storage::Embedded {
            data_dir: dir.to_path_buf(),
        },
        Some(ns) => Storage::Redis {
            url: Secret::new(
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
            ),
            namespace: ns.clone(),
        },
    };
    cfg.platforms.telegram = vec![TelegramBot {
        name: "tg".into(),
        token: Some(Secret::new(TOKEN)),
        token_env: "TELEGRAM_BOT_TOKEN".into(),
        api_url: fake.base_url(),
        tenant: None,
        webhook: webhook.then(|| TelegramWebhook {
            url: "https://bot.example.test/telegram/tg".into(),
            listen: "127.0.0.1:0".parse().unwrap(),
            secret: Some(Secret::new(SECRET)),
            secret_env: "TELEGRAM_WEBHOOK_SECRET".into(),
        }),
        edited: if opts.answer_edits {
            EditedMessages::Answer
        } else {
            EditedMessages::Ignore
        },
        max_document_bytes: 64 * 1024,
    }];
    if opts.two_bots {
        let mut second = cfg.platforms.telegram[0].clone();
        second.name = "tg2".into();
        second.token = Some(Secret::new(TOKEN2));
        second.token_env = "TELEGRAM_BOT_TOKEN_2".into();
        for (bot, tenant) in cfg
            .platforms
            .telegram
            .iter_mut()
            .chain([&mut second])
            .zip(["one", "two"])
        {
            bot.tenant = Some(tenant.into());
        }
        cfg.platforms.telegram.push(second);
        for t in ["one", "two"] {
            let tenant = switchboard::config::Tenant {
                name: t.into(),
                ..cfg.tenants.defaults.clone()
            };
            cfg.tenants.named.insert(t.into(), tenant);
        }
    }
    cfg
}

pub async fn start(opts: Opts) -> Tg {
    let fake = FakeTelegram::start(if opts.two_bots {
        FakeTelegramConfig::with_tokens(&[TOKEN, TOKEN2])
    } else {
        FakeTelegramConfig::default()
    })
    .await
    .unwrap();
    let ai = FakeAi::start(opts.ai.clone()).await.unwrap();
    let i = instance(&fake, &ai, &opts).await;
    Tg {
        fake,
        ai,
        svc: i.svc,
        more: Vec::new(),
        webhook: i.webhook,
        stop: i.stop,
        task: i.task,
        _dir: i.dir,
    }
}

/// Starts one more service on `fake` and `ai`.
pub async fn instance(fake: &FakeTelegram, ai: &FakeAi, opts: &Opts) -> Instance {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(ai, fake, dir.path(), opts);
    let stop = CancellationToken::new();
    let (tx, rx) = oneshot::channel();
    let s = stop.clone();
    let task = tokio::spawn(async move {
        if let Err(e) = switchboard::live::run(cfg, s, Some(tx)).await {
            panic!("switchboard run failed: {e}");
        }
    });
    let ready = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("started in time")
        .expect("started");
    let svc = ready.runtime.svc.clone();
    let webhook = ready.webhooks.get("tg").copied();
    drop(ready);
    Instance {
        svc,
        webhook,
        stop,
        task,
        dir,
    }
}

impl Tg {
    /// Waits for at least `n` sends in total, failing after `secs`.
    pub async fn sends(&self, n: usize, secs: u64) -> Vec<Sent> {
        match self.fake.wait_for_sent(n, Duration::from_secs(secs)).await {
            Ok(s) => s,
            Err(e) => panic!(
                "{e}: {:?}",
                e.sent
                    .iter()
                    .map(|s| (s.chat_id, s.body().chars().take(60).collect::<String>()))
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// Sends to one chat so far.
    pub fn to_chat(&self, chat: i64) -> Vec<Sent> {
        self.fake
            .sent()
            .into_iter()
            .filter(|s| s.chat_id == chat)
            .collect()
    }

    pub async fn stop(self) {
        let svc = self.svc;
        drop(svc);
        for i in self.more {
            drop(i.svc);
            i.stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(10), i.task).await;
            drop(i.dir);
        }
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops in time")
            .unwrap();
    }
}
