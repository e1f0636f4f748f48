//! Running the real `switchboard` binary as a child process (crash and scale-out tests): a
//! config file in a temp dir with one personality on the fake AI and limits out of the way, the
//! process started with its secrets in the environment and its log appended to a file, stopped
//! with SIGTERM; and the machine's Redis, checked and cleaned after a test's namespace.
//! Shared by the test binaries (`#[path]`-included).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Writes `switchboard.toml` (and `personalities/aria.toml`) into `dir`: `storage`, `queue` and
/// `workers` are the tables' bodies, `platform` the whole platform table.
pub fn write_config(
    dir: &Path,
    ai_url: &str,
    storage: &str,
    queue: &str,
    workers: &str,
    platform: &str,
) -> PathBuf {
    std::fs::create_dir_all(dir.join("personalities")).unwrap();
    std::fs::write(
        dir.join("personalities/aria.toml"),
        "name = \"Aria\"\nprovider = \"ai\"\nmodel = \"m\"\nsystem_prompt = \"You are Aria.\"\n",
    )
    .unwrap();
    let cfg = format!(
        r#"
[storage]
{storage}

[queue]
{queue}

[workers]
{workers}

[heartbeats]
enabled = false

[quotas]
rate = "6000/min"
burst = 1000
requests_per_day = 100000
tokens_per_day = 100000000
cost_per_month_usd = 100000.0
max_queued = 1000

[tenant_defaults]
access = "open"
default_personality = "Aria"

[providers.ai]
kind = "openai"
base_url = "{ai_url}"
timeout_secs = 5
max_tokens = 256
attempts = 1

[providers.ai.models."m"]
input_per_million = 1.0
output_per_million = 1.0

[personalities]
dir = "personalities"
default = "Aria"

{platform}
"#
    );
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// Starts `switchboard run <args> --config <config>` with `env`, its log appended to `log`.
pub fn spawn(config: &Path, args: &[&str], env: &[(&str, &str)], log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("run")
        .args(args)
        .arg("--config")
        .arg(config)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Sends SIGTERM.
pub fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// The Redis at `REDIS_URL` if it answers; without one the test is skipped, except under
/// `CI=true`, where it fails.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let ok = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .is_ok();
    if !ok {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true and Redis at {url} is unreachable"
        );
        eprintln!("skipping: Redis unreachable");
        return None;
    }
    Some(url)
}

/// Deletes every key of a test's namespace.
pub fn clean_redis(url: &str, ns: &str) {
    let conn = redis::Client::open(url).unwrap();
    let mut c = conn.get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{ns}*"))
        .query(&mut c)
        .unwrap_or_default();
    for k in keys.chunks(500) {
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(k).query(&mut c);
    }
}
