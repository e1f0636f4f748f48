//! Crash safety with the real binary: `switchboard run` as a child process (embedded storage in a
//! temp dir) against the fake Telegram Bot API and the fake AI in this process. 1,000 messages
//! from 100 users; the child is killed with SIGKILL at random points three times and restarted;
//! then it gets SIGTERM with work in flight and must stop within its grace period and lose
//! nothing. Afterwards every message has its answer. Repeated AI calls and duplicate replies can
//! only come from the windows a crash may hit (after the AI answered but before the answer was
//! stored; after Telegram accepted a reply but before it was marked sent), so each is bounded by
//! the jobs in flight at the kills, and the figures are printed (the target for duplicates is 0).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Redis helpers unused here: this test runs its own Redis.
#[allow(dead_code)]
#[path = "common/child.rs"]
mod child;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rand::Rng;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::sim::telegram_api::{FakeTelegram, FakeTelegramConfig, TgChat, TgUser};

const TOKEN: &str = "123456:TEST-TOKEN";
const USERS: i64 = 100;
const PER_USER: usize = 10;
const CONCURRENCY: usize = 8;

fn write_config(dir: &Path, tg: &FakeTelegram, ai: &FakeAi, redis: Option<&str>) -> PathBuf {
    let storage = match redis {
        Some(url) => format!("mode = \"redis\"\nredis_url = \"{url}\"\nnamespace = \"crash\""),
        None => format!(
            "mode = \"embedded\"\ndata_dir = \"{}\"",
            dir.join("data").display()
        ),
    };
    let platform = format!(
        "[[platforms.telegram]]\nname = \"tg\"\ntoken_env = \"CRASH_TEST_TELEGRAM_TOKEN\"\napi_url = \"{}\"",
        tg.base_url()
    );
    child::write_config(
        dir,
        &ai.base_url(),
        &storage,
        "lease_secs = 3\nretry_base_ms = 200\nretry_max_secs = 2",
        &format!("concurrency = {CONCURRENCY}\ncoalesce = false\nshutdown_grace_secs = 5"),
        &platform,
    )
}

fn spawn(config: &Path, log: &Path) -> Child {
    child::spawn(config, &[], &[("CRASH_TEST_TELEGRAM_TOKEN", TOKEN)], log)
}

/// Replies so far, per chat.
fn replies(tg: &FakeTelegram) -> HashMap<i64, usize> {
    let mut per = HashMap::new();
    for s in tg.sent() {
        *per.entry(s.chat_id).or_insert(0) += 1;
    }
    per
}

fn answered(tg: &FakeTelegram, users: &[TgUser], per_user: usize) -> usize {
    let per = replies(tg);
    users
        .iter()
        .map(|u| per.get(&u.id).copied().unwrap_or(0).min(per_user))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_three_times_and_stopped_then_every_message_is_answered() {
    let tg = FakeTelegram::start(FakeTelegramConfig::default())
        .await
        .unwrap();
    let ai = FakeAi::start(FakeAiConfig {
        latency: Duration::from_millis(15),
        jitter: Duration::from_millis(10),
        reply_words: 6,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &tg, &ai, None);
    let log = dir.path().join("switchboard.log");
    let users: Vec<TgUser> = (0..USERS).map(|i| TgUser::new(10_000 + i, "U")).collect();
    for k in 0..PER_USER {
        for u in &users {
            tg.push_message(
                &TgChat::private(u),
                u,
                &format!("message {k} from {}", u.id),
            );
        }
    }
    let total = users.len() * PER_USER;
    let mut child = spawn(&config, &log);
    let mut rng = rand::rng();
    for kill in 0..3 {
        // Somewhere in the run: during the first answers, in the middle, later on.
        let wait = rng.random_range(800..2500);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        eprintln!(
            "kill {}: {} of {total} answered",
            kill + 1,
            answered(&tg, &users, PER_USER)
        );
        child = spawn(&config, &log);
    }

    // SIGTERM with work in flight: the process stops within its grace period.
    tokio::time::sleep(Duration::from_millis(rng.random_range(300..1200))).await;
    let pid = child.id().to_string();
    let term = tokio::time::Instant::now();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            term.elapsed() < Duration::from_secs(15),
            "SIGTERM: still running after the 5 s grace period and 10 s more"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "a clean exit on SIGTERM: {status}");
    eprintln!(
        "SIGTERM: stopped in {:?}; {} of {total} answered",
        term.elapsed(),
        answered(&tg, &users, PER_USER)
    );
    let mut child = spawn(&config, &log);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
    while answered(&tg, &users, PER_USER) < total {
        if tokio::time::Instant::now() > deadline {
            let logs = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = logs.lines().rev().take(30).collect();
            panic!(
                "{} of {total} answered; log tail: {tail:#?}",
                answered(&tg, &users, PER_USER)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let anything still in flight land before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    let per = replies(&tg);
    let duplicates: usize = users
        .iter()
        .map(|u| {
            per.get(&u.id)
                .copied()
                .unwrap_or(0)
                .saturating_sub(PER_USER)
        })
        .sum();
    let ai_calls = ai.requests().len();
    let repeated_ai = ai_calls.saturating_sub(total);
    eprintln!(
        "crash test: {total} messages, all answered; duplicate replies: {duplicates}; repeated AI calls: {repeated_ai}"
    );
    // Each kill can catch at most the jobs in flight in a window.
    let bound = 4 * CONCURRENCY;
    assert!(duplicates <= bound, "{duplicates} duplicate replies");
    assert!(repeated_ai <= bound, "{repeated_ai} repeated AI calls");
}

/// A Redis of this test's own, persisting with the append-only file.
struct OwnRedis {
    port: u16,
    dir: std::path::PathBuf,
    fsync: &'static str,
    child: Child,
}

impl OwnRedis {
    fn start(dir: &Path, fsync: &'static str) -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = dir.join("redis");
        std::fs::create_dir_all(&dir).unwrap();
        let child = Self::spawn(port, &dir, fsync);
        OwnRedis {
            port,
            dir,
            fsync,
            child,
        }
    }

    fn spawn(port: u16, dir: &Path, fsync: &str) -> Child {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", fsync])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server) runs");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills Redis (no chance to flush) and starts it again on the same files.
    fn crash_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.child = Self::spawn(self.port, &self.dir, self.fsync);
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Redis is killed mid-run and restarted from its append-only file; returns the messages never
/// answered.
async fn redis_restart_run(fsync: &'static str) -> usize {
    let tg = FakeTelegram::start(FakeTelegramConfig::default())
        .await
        .unwrap();
    let ai = FakeAi::start(FakeAiConfig {
        latency: Duration::from_millis(15),
        reply_words: 6,
        ..FakeAiConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut redis = OwnRedis::start(dir.path(), fsync);
    let config = write_config(dir.path(), &tg, &ai, Some(&redis.url()));
    let log = dir.path().join("switchboard.log");
    let users: Vec<TgUser> = (0..40).map(|i| TgUser::new(20_000 + i, "R")).collect();
    let per_user = 5;
    for k in 0..per_user {
        for u in &users {
            tg.push_message(
                &TgChat::private(u),
                u,
                &format!("message {k} from {}", u.id),
            );
        }
    }
    let total = users.len() * per_user;
    let mut child = spawn(&config, &log);
    let mut rng = rand::rng();
    tokio::time::sleep(Duration::from_millis(rng.random_range(1000..2500))).await;
    let before = answered(&tg, &users, per_user);
    redis.crash_and_restart();
    eprintln!("appendfsync {fsync}: Redis restarted with {before} of {total} answered");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut last = 0;
    let mut still = tokio::time::Instant::now();
    while answered(&tg, &users, per_user) < total && tokio::time::Instant::now() < deadline {
        let now = answered(&tg, &users, per_user);
        if now != last {
            last = now;
            still = tokio::time::Instant::now();
        }
        // Nothing new for a while: whatever is missing is lost.
        if still.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lost = total - answered(&tg, &users, per_user);
    child::terminate(&child);
    let _ = child.wait();
    eprintln!("appendfsync {fsync}: {lost} of {total} messages lost");
    lost
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_run_loses_nothing_with_appendfsync_always() {
    let everysec = redis_restart_run("everysec").await;
    let always = redis_restart_run("always").await;
    eprintln!("jobs lost to a Redis crash: appendfsync everysec {everysec}, always {always}");
    assert_eq!(always, 0, "appendfsync always loses nothing");
}
