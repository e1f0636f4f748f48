//! What the import tests share: a switchboard config with embedded storage, DaemonVigil
//! directories ([`data`]), ways to look at the result, and the binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use switchboard::config::{self, Config, Env};
use switchboard::import::{ImportOptions, Summary, Tally};
use switchboard::store::{ConversationKey, SqliteStore};
use tempfile::TempDir;

mod data;
pub use data::*;

pub const ARIA: &str = r#"name = "Aria"
provider = "anthropic"
model = "claude-3-5-haiku-20241022"
system_prompt = "You are Aria."
"#;

pub const SAGE: &str = r#"name = "Sage"
provider = "anthropic"
model = "claude-3-5-haiku-20241022"
system_prompt = "You are Sage."
"#;

/// A config directory and the data directory its `[storage]` names.
pub struct Setup {
    pub dir: TempDir,
    pub config: PathBuf,
    pub data: PathBuf,
}

/// `switchboard.toml` with embedded storage, history kept to 6 messages, one priced model,
/// private Telegram chats in tenant `companions` (answered by Sage), and a Telegram bot.
pub fn setup() -> Setup {
    setup_with_data(None)
}

/// [`setup`] with the data directory elsewhere.
pub fn setup_with_data(data: Option<&Path>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = data.map_or_else(|| dir.path().join("data"), Path::to_path_buf);
    let toml = format!(
        r#"[storage]
mode = "embedded"
data_dir = "{}"

[workers]
max_context_messages = 6

[heartbeats]
min_every_minutes = 30

[providers.anthropic]
kind = "anthropic"
[providers.anthropic.models."claude-3-5-haiku-20241022"]
input_per_million = 0.8
output_per_million = 4.0

[personalities]
default = "Aria"

[[tenants]]
name = "companions"
match = ["telegram:private"]
access = "approval"
default_personality = "Sage"

[[platforms.telegram]]
name = "companion"
"#,
        data.display()
    );
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, toml).unwrap();
    let personalities = dir.path().join("personalities");
    std::fs::create_dir(&personalities).unwrap();
    std::fs::write(personalities.join("aria.toml"), ARIA).unwrap();
    std::fs::write(personalities.join("sage.toml"), SAGE).unwrap();
    Setup { dir, config, data }
}

pub fn load(path: &Path) -> Config {
    config::load_with_env(path, &Env::empty()).unwrap()
}

/// Every file under `dir` with its bytes (to prove the import never writes there).
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), Vec::new());
                todo.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

pub const TENANT: &str = "companions";
/// Any day the fixtures use.
pub const DAYS: (i64, i64) = (20_000, 20_500);

pub fn opts(dir: &Path, user: Option<&str>, tenant: Option<&str>) -> ImportOptions {
    ImportOptions {
        dir: dir.to_path_buf(),
        user: user.map(str::to_owned),
        tenant: tenant.map(str::to_owned),
    }
}

pub async fn store(s: &Setup) -> SqliteStore {
    SqliteStore::open(&s.data.join("switchboard.sqlite"))
        .await
        .unwrap()
}

pub fn conv(tenant: &str, id: &str, personality: &str) -> ConversationKey {
    ConversationKey {
        tenant: tenant.into(),
        place: id.into(),
        user: format!("telegram:{id}"),
        personality: personality.into(),
    }
}

pub fn tally(imported: u64, already: u64) -> Tally {
    Tally { imported, already }
}

pub fn has_problem(s: &Summary, file: &str, line: Option<usize>, needle: &str) -> bool {
    s.problems
        .iter()
        .any(|p| p.file == file && p.line == line && p.reason.contains(needle))
}

pub fn binary(setup: &Setup, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--config")
        .arg(&setup.config)
        .args(args)
        .env_remove("SWITCHBOARD_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}
