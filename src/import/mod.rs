//! `switchboard import daemonvigil`: moving users of DaemonVigil (a single-personality Telegram
//! companion bot keeping JSON files) into switchboard's store, so they keep their history, notes,
//! preferences and spending record when the bot is replaced.
//!
//! [`daemonvigil`] parses the files (pure), `source` reads a directory in either layout without
//! touching it, `write` puts each user into the store so that a second run writes nothing twice,
//! and [`Summary`] reports what happened. Users become `telegram:<id>` in one tenant; their
//! messages go to the private-chat conversation (place = their Telegram id) with the personality
//! that tenant's private chats are answered by.

pub mod daemonvigil;
mod source;
mod summary;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use switchboard_platforms::Scope;

pub use self::summary::{Layout, Problem, Summary, Tally, TenantFrom};
pub use self::write::SETTING_PREFIX;
use crate::choice;
use crate::config::{Config, Storage, Tenant};
use crate::store::{RedisStore, SqliteStore, Store, StoreError};

/// What to import, and where to.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The DaemonVigil data directory (its `data/`).
    pub dir: PathBuf,
    /// `--user`: whose data a single-user directory is; in a multi-user one, the only user
    /// imported.
    pub user: Option<String>,
    /// `--tenant`: the tenant users go to, instead of the one Telegram private chats map to.
    pub tenant: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{} holds no DaemonVigil data: expected users.json and users/<id>/ (multi-user layout) or messages.json, scratchpad.json, api_usage.jsonl (single-user layout)",
        .0.display()
    )]
    NoSource(PathBuf),
    #[error(
        "{} is a single-user DaemonVigil directory, which does not say whose data it is: give the owner's Telegram user id with --user <id>",
        .0.display()
    )]
    NeedUser(PathBuf),
    #[error("--user must be a Telegram user id (digits), not {0:?}")]
    BadUser(String),
    #[error("user {0} is neither in users.json nor in users/")]
    UnknownUser(String),
    #[error("--tenant must not be empty")]
    EmptyTenant,
    #[error(
        "the data directory {} is inside the imported directory, which the import never writes to",
        .0.display()
    )]
    DataDirInSource(PathBuf),
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `opts.dir` into the store the config names (SQLite under the data directory, or
/// Redis). Problems in the files are in the summary; when not one file could be read
/// ([`Summary::nothing_read`]) nothing is written.
pub async fn run_daemonvigil(cfg: &Config, opts: &ImportOptions) -> Result<Summary, ImportError> {
    // Read (and refuse) before the store is opened: a mistake leaves nothing behind.
    let mut source = source::read(&opts.dir, opts.user.as_deref())?;
    let plan = plan(cfg, opts, &mut source.summary)?;
    if source.summary.nothing_read() {
        return Ok(source.summary);
    }
    let store = open_store(&cfg.storage, &opts.dir).await?;
    write_all(cfg, store.as_ref(), &plan, source, now_ms()).await
}

/// [`run_daemonvigil`] into a store the caller opened, at a given time.
pub async fn import_daemonvigil(
    cfg: &Config,
    store: &dyn Store,
    opts: &ImportOptions,
    now_ms: u64,
) -> Result<Summary, ImportError> {
    let mut source = source::read(&opts.dir, opts.user.as_deref())?;
    let plan = plan(cfg, opts, &mut source.summary)?;
    if source.summary.nothing_read() {
        return Ok(source.summary);
    }
    write_all(cfg, store, &plan, source, now_ms).await
}

/// Where the users go.
struct Plan {
    tenant: Tenant,
    /// Answers the tenant's private chats, so it continues the imported conversations.
    personality: String,
    /// Messages kept per conversation, as ingress keeps them.
    keep: usize,
}

fn plan(cfg: &Config, opts: &ImportOptions, summary: &mut Summary) -> Result<Plan, ImportError> {
    let (tenant, from) = tenant(cfg, opts.tenant.as_deref())?;
    let personality = choice::personality(cfg, &tenant, None, true)
        .map_or_else(|| cfg.personalities.default.clone(), |p| p.name.clone());
    let keep = cfg.workers.max_context_messages.max(2);
    summary.tenant = tenant.name.clone();
    summary.tenant_from = from;
    summary.personality = personality.clone();
    summary.messages_kept = keep;
    Ok(Plan {
        tenant,
        personality,
        keep,
    })
}

async fn write_all(
    cfg: &Config,
    store: &dyn Store,
    plan: &Plan,
    source: source::Source,
    now_ms: u64,
) -> Result<Summary, ImportError> {
    let mut summary = source.summary;
    let dest = write::Destination {
        cfg,
        store,
        tenant: &plan.tenant,
        personality: &plan.personality,
        keep: plan.keep,
        bot: cfg.platforms.telegram.first().map(|b| b.name.as_str()),
        now_ms,
    };
    for user in &source.users {
        write::user(&dest, user, &mut summary).await?;
    }
    tracing::info!(
        users = summary.users.imported,
        messages = summary.messages.imported,
        notes = summary.notes.imported,
        usage = summary.usage.imported,
        problems = summary.problems.len(),
        "DaemonVigil import finished"
    );
    Ok(summary)
}

/// `--tenant`, else the tenant the first Telegram bot's private chats go to (its pinned tenant,
/// else the scope rules for `telegram:private`), else `default`.
fn tenant(cfg: &Config, flag: Option<&str>) -> Result<(Tenant, TenantFrom), ImportError> {
    let by_name = |name: &str| {
        cfg.tenants
            .named
            .get(name)
            .cloned()
            .unwrap_or_else(|| Tenant {
                name: name.to_owned(),
                ..cfg.tenants.defaults.clone()
            })
    };
    if let Some(name) = flag {
        let name = name.trim();
        if name.is_empty() {
            return Err(ImportError::EmptyTenant);
        }
        return Ok((by_name(name), TenantFrom::Flag));
    }
    let Some(bot) = cfg.platforms.telegram.first() else {
        return Ok((by_name("default"), TenantFrom::Fallback));
    };
    let pinned = bot.tenant.as_ref().and_then(|t| cfg.tenants.named.get(t));
    let t = match pinned {
        Some(t) => t.clone(),
        None => cfg.tenants.resolve(&Scope::TelegramPrivate.key()),
    };
    Ok((t, TenantFrom::TelegramBot(bot.name.clone())))
}

/// The configured store, opened as `app::start` opens it.
async fn open_store(storage: &Storage, source: &Path) -> Result<Arc<dyn Store>, ImportError> {
    match storage {
        Storage::Embedded { data_dir } => {
            if let (Ok(src), Ok(data)) = (source.canonicalize(), absolute(data_dir)) {
                if data.starts_with(&src) {
                    return Err(ImportError::DataDirInSource(data_dir.clone()));
                }
            }
            std::fs::create_dir_all(data_dir).map_err(|source| ImportError::DataDir {
                path: data_dir.display().to_string(),
                source,
            })?;
            let store = SqliteStore::open(&data_dir.join("switchboard.sqlite")).await?;
            Ok(Arc::new(store))
        }
        Storage::Redis { url, namespace } => Ok(Arc::new(
            RedisStore::connect(url.expose(), namespace).await?,
        )),
    }
}

/// `path` made absolute through its nearest existing ancestor (it may not exist yet).
fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let mut rest = Vec::new();
    let mut at = path;
    loop {
        if let Ok(real) = at.canonicalize() {
            return Ok(rest.iter().rev().fold(real, |p, c| p.join(c)));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                at = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
            }
            _ => return std::path::absolute(path),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests;
