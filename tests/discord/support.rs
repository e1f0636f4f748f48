//! The harness: `switchboard run`'s real wiring (`live::run`: serenity's gateway client, slash
//! command registration, webhook pools, delivery) in-process against the fake Discord (REST and
//! gateway speaking the real JSON) and the fake AI, on the embedded store in a temp dir.

#[path = "../common/shipped_config.rs"]
mod shipped_config;

use std::sync::Arc;
use std::time::Duration;

use switchboard::config::{Config, DiscordConfig, Secret, Storage};
pub use switchboard::live::Role;
use switchboard::services::Services;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::sim::discord_api::{
    FakeDiscord, FakeDiscordConfig, FakeGuild, FakeRole, FakeUser, Posted, UserMessage,
};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "discord-test-token";
/// The admin server's bearer token.
pub const ADMIN_TOKEN: &str = "admin-token-for-discord-tests";
/// The AI provider's key (it must never reach a log).
pub const API_KEY: &str = "sk-test-9f8e7d6c5b4a";
/// A server (snowflake-sized, as real ones are).
pub const GUILD: u64 = 81_384_788_765_712_384;
pub const OWNER: u64 = 4999;
/// Text channels of [`GUILD`].
pub const CH: u64 = 2001;
pub const CH2: u64 = 2002;
pub const CH3: u64 = 2003;
pub const THREAD: u64 = 2100;
/// A role with Manage Channels.
pub const MOD_ROLE: u64 = 3001;
pub const ALICE: u64 = 4001;
pub const BOB: u64 = 4002;
pub const MODERATOR: u64 = 4003;
pub const OTHER_BOT: u64 = 4100;

pub struct Opts {
    pub ai: FakeAiConfig,
    pub discord: FakeDiscordConfig,
    /// Store on Redis in this namespace instead of SQLite in a temp dir.
    pub redis: Option<String>,
    /// The shards this service runs, of how many.
    pub shards: (Vec<u32>, u32),
    pub role: Role,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            ai: FakeAiConfig::default(),
            discord: FakeDiscordConfig {
                // Generous buckets unless a test is about rate limits.
                webhook_bucket: (50, Duration::from_secs(1)),
                channel_bucket: (50, Duration::from_secs(1)),
                ..FakeDiscordConfig::default()
            },
            redis: None,
            shards: (vec![0], 1),
            role: Role::All,
        }
    }
}

/// One more running service (scale-out tests).
pub struct Instance {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

pub struct Dc {
    pub fake: FakeDiscord,
    pub ai: FakeAi,
    pub svc: Arc<Services>,
    /// Where the admin server listens.
    pub admin: std::net::SocketAddr,
    pub more: Vec<Instance>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn config(ai: &FakeAi, fake: &FakeDiscord, dir: &std::path::Path, opts: &Opts) -> Config {
    let mut cfg = shipped_config::for_tests(ai.base_url());
    cfg.storage = match &opts.redis {
        None => Storage::Embedded {
            data_dir: dir.to_path_buf(),
        },
        Some(ns) => Storage::Redis {
            url: Secret::new(redis_url()),
            namespace: ns.clone(),
        },
    };
    if let Some(p) = cfg.providers.get_mut("ai") {
        p.api_key = Some(Secret::new(API_KEY));
    }
    cfg.admin = switchboard::config::AdminConfig {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        token: Some(Secret::new(ADMIN_TOKEN)),
        token_env: "SWITCHBOARD_ADMIN_TOKEN".into(),
    };
    cfg.platforms.discord = Some(DiscordConfig {
        token: Some(Secret::new(TOKEN)),
        token_env: "DISCORD_TOKEN".into(),
        api_base: Some(fake.base_url()),
        webhooks_per_channel: 2,
        shard_count: opts.shards.1,
        shard_ids: opts.shards.0.clone(),
    });
    cfg
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The server every test uses: a moderator role, three channels and a thread.
fn world(fake: &FakeDiscord) {
    fake.add_guild(FakeGuild {
        id: GUILD,
        name: "Book club".into(),
        owner_id: OWNER,
        roles: vec![FakeRole {
            id: MOD_ROLE,
            name: "Mods".into(),
            permissions: 1 << 4,
        }],
        channels: vec![CH, CH2, CH3],
    });
    fake.add_thread(GUILD, CH, THREAD);
    for (id, name, bot) in [
        (ALICE, "alice", false),
        (BOB, "bob", false),
        (MODERATOR, "mod", false),
        (OWNER, "owner", false),
        (OTHER_BOT, "otherbot", true),
    ] {
        fake.add_user(FakeUser {
            id,
            username: name.into(),
            global_name: None,
            bot,
        });
    }
}

pub async fn start(opts: Opts) -> Dc {
    let fake = FakeDiscord::start(opts.discord.clone()).await.unwrap();
    world(&fake);
    let ai = FakeAi::start(opts.ai.clone()).await.unwrap();
    let (svc, admin, i) = launch(&fake, &ai, &opts).await;
    let dc = Dc {
        fake,
        ai,
        svc,
        admin,
        more: Vec::new(),
        stop: i.stop,
        task: i.task,
        _dir: i._dir,
    };
    dc.wait_ready(1).await;
    dc
}

/// Starts one more service on the same fakes; it is ready when `connections` gateway sessions
/// are up in total.
pub async fn instance(dc: &Dc, opts: &Opts, connections: usize) -> Instance {
    let (_svc, _admin, i) = launch(&dc.fake, &dc.ai, opts).await;
    dc.wait_ready(connections).await;
    i
}

async fn launch(
    fake: &FakeDiscord,
    ai: &FakeAi,
    opts: &Opts,
) -> (Arc<Services>, std::net::SocketAddr, Instance) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(ai, fake, dir.path(), opts);
    let stop = CancellationToken::new();
    let (tx, rx) = oneshot::channel();
    let s = stop.clone();
    let role = opts.role;
    let task = tokio::spawn(async move {
        if let Err(e) = switchboard::live::run_with(
            cfg,
            s,
            Some(tx),
            switchboard::live::LiveOptions { watch: None, role },
        )
        .await
        {
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
    (
        svc,
        admin,
        Instance {
            stop,
            task,
            _dir: dir,
        },
    )
}

impl Dc {
    /// Waits until the bot handled READY (it registers its slash commands then) and the fake
    /// gateway really was the one connected (serenity would fall back to the real one).
    async fn wait_ready(&self, connections: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let registered = self
                .fake
                .requests()
                .iter()
                .any(|c| c.method == "PUT" && c.path.ends_with("/commands"));
            if registered && self.fake.gateway_connections() >= connections {
                // GUILD_CREATE follows READY on the same connection.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot never became ready: {:?}",
                self.fake.requests()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A member writes in a server channel.
    pub fn say(&self, channel: u64, author: u64, text: &str) -> u64 {
        self.fake.user_message(UserMessage {
            guild: Some(GUILD),
            channel,
            author,
            content: text.into(),
            reply_to: None,
            roles: if author == MODERATOR {
                vec![MOD_ROLE]
            } else {
                vec![]
            },
            attachments: vec![],
        })
    }

    /// A member replies to a message.
    pub fn reply(&self, channel: u64, author: u64, to: u64, text: &str) -> u64 {
        self.fake.user_message(UserMessage {
            guild: Some(GUILD),
            channel,
            author,
            content: text.into(),
            reply_to: Some(to),
            roles: vec![],
            attachments: vec![],
        })
    }

    /// A direct message to the bot.
    pub fn dm(&self, author: u64, text: &str) -> u64 {
        let channel = self.fake.dm_channel(author);
        self.fake.user_message(UserMessage {
            guild: None,
            channel,
            author,
            content: text.into(),
            reply_to: None,
            roles: vec![],
            attachments: vec![],
        })
    }

    /// Waits for at least `n` messages from the bot or its webhooks in total.
    pub async fn posted(&self, n: usize, secs: u64) -> Vec<Posted> {
        match self
            .fake
            .wait_for_messages(n, Duration::from_secs(secs))
            .await
        {
            Ok(p) => p,
            Err(_) => panic!(
                "expected {n} messages, got: {:?}",
                self.fake
                    .messages()
                    .iter()
                    .map(|p| (
                        p.channel_id,
                        p.username.clone(),
                        p.content.chars().take(60).collect::<String>()
                    ))
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// Messages in one channel so far.
    pub fn in_channel(&self, channel: u64) -> Vec<Posted> {
        self.fake
            .messages()
            .into_iter()
            .filter(|p| p.channel_id == channel)
            .collect()
    }

    /// The Prometheus text of the admin server.
    pub async fn metrics(&self) -> String {
        reqwest::Client::new()
            .get(format!("http://{}/metrics", self.admin))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        drop(self.svc);
        for i in self.more {
            i.stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(10), i.task).await;
        }
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops in time")
            .unwrap();
    }
}

/// The user a reply was addressed to: the only user its `allowed_mentions` may ping.
pub fn addressed_to(p: &Posted) -> Option<u64> {
    p.allowed_mentions.as_ref()?["users"]
        .as_array()?
        .first()?
        .as_str()?
        .parse()
        .ok()
}
