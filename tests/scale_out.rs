//! Scale-out with the real binary: one `--role ingress` process (the Discord gateway) and two
//! `--role worker` processes on one Redis, against the fake Discord and the fake AI in this
//! process. One member floods (200 messages), 20 others write once: fairness holds over the
//! union of the workers (every other member is answered before the flooder's 30th reply), no job
//! is processed twice, and when one worker is killed (SIGKILL) its jobs move to the other after
//! their lease expires, so every message is still answered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/child.rs"]
mod child;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::sim::discord_api::{
    FakeDiscord, FakeDiscordConfig, FakeGuild, Posted, UserMessage,
};

const TOKEN: &str = "discord-test-token";
const GUILD: u64 = 81_384_788_765_712_384;
const CH: u64 = 2001;
const FLOODER: u64 = 7000;

fn write_config(dir: &Path, discord: &FakeDiscord, ai: &FakeAi, redis: &str, ns: &str) -> PathBuf {
    child::write_config(
        dir,
        &ai.base_url(),
        &format!("mode = \"redis\"\nredis_url = \"{redis}\"\nnamespace = \"{ns}\""),
        "lease_secs = 3",
        "concurrency = 4\ncoalesce = false\nshutdown_grace_secs = 2",
        &format!(
            "[platforms.discord]\ntoken_env = \"SCALE_TEST_DISCORD_TOKEN\"\napi_base = \"{}\"\nwebhooks_per_channel = 2",
            discord.base_url()
        ),
    )
}

fn spawn(config: &Path, role: &str, log: &Path) -> Child {
    child::spawn(
        config,
        &["--role", role],
        &[("SCALE_TEST_DISCORD_TOKEN", TOKEN)],
        log,
    )
}

fn to(p: &Posted) -> Option<u64> {
    p.allowed_mentions.as_ref()?["users"][0]
        .as_str()?
        .parse()
        .ok()
}

fn say(d: &FakeDiscord, author: u64, text: &str) {
    d.user_message(UserMessage {
        guild: Some(GUILD),
        channel: CH,
        author,
        content: text.into(),
        reply_to: None,
        roles: vec![],
        attachments: vec![],
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ingress_and_two_workers_stay_fair_and_survive_a_killed_worker() {
    let Some(redis) = child::redis_url() else {
        return;
    };
    let discord = FakeDiscord::start(FakeDiscordConfig {
        webhook_bucket: (1000, Duration::from_secs(1)),
        channel_bucket: (1000, Duration::from_secs(1)),
        ..FakeDiscordConfig::default()
    })
    .await
    .unwrap();
    discord.add_guild(FakeGuild {
        id: GUILD,
        name: "g".into(),
        owner_id: 1,
        roles: vec![],
        channels: vec![CH],
    });
    let ai = FakeAi::start(FakeAiConfig {
        latency: Duration::from_millis(20),
        reply_words: 5,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ns = format!("scale-{:08x}", rand::random::<u32>());
    let config = write_config(dir.path(), &discord, &ai, &redis, &ns);
    let log = dir.path().join("switchboard.log");
    let mut ingress = spawn(&config, "ingress", &log);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while discord.gateway_connections() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ingress never connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut w1 = spawn(&config, "worker", &log);
    let mut w2 = spawn(&config, "worker", &log);

    for i in 0..200 {
        say(&discord, FLOODER, &format!("@Aria flood {i}"));
    }
    discord
        .wait_for_messages(2, Duration::from_secs(20))
        .await
        .unwrap();
    let others: Vec<u64> = (0..20).map(|i| 8000 + i).collect();
    for u in &others {
        say(&discord, *u, "@Aria hello");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let posted = discord.messages();
        let answered: HashSet<u64> = posted
            .iter()
            .filter_map(to)
            .filter(|u| *u != FLOODER)
            .collect();
        let flood = posted.iter().filter(|p| to(p) == Some(FLOODER)).count();
        assert!(
            flood < 30,
            "the flooder had 30 replies while {} of 20 others were answered",
            answered.len()
        );
        if answered.len() == others.len() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // One worker dies mid-flood; the other takes over its leases when they expire.
    w1.kill().unwrap();
    w1.wait().unwrap();
    let total = 200 + others.len();
    let posted = discord
        .wait_for_messages(total, Duration::from_secs(90))
        .await;
    let ai_calls = ai.requests().len();
    for c in [&mut ingress, &mut w2] {
        child::terminate(c);
        let _ = c.wait();
    }
    let posted = posted.unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let replies = discord.messages().len();
    eprintln!(
        "scale-out: {total} messages, {replies} replies, {ai_calls} AI calls after killing one worker"
    );
    // The killed worker's jobs in flight may have been answered by the AI (or even delivered)
    // before it died; nothing else may be repeated.
    assert!(posted.len() >= total);
    assert!(
        replies <= total + 4,
        "{replies} replies for {total} messages"
    );
    assert!(
        ai_calls <= total + 4,
        "{ai_calls} AI calls for {total} jobs"
    );
    child::clean_redis(&redis, &ns);
}
