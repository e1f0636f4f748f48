//! Reading a DaemonVigil data directory: which layout it is, and each user's files parsed (see
//! [`super::daemonvigil`]). Only reads: files are opened read-only and nothing is created, so the
//! source is byte-identical afterwards. A file that cannot be read or parsed is a problem, not an
//! error; only a directory with none of DaemonVigil's files (or a single-user one without
//! `--user`) stops the import.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use super::ImportError;
use super::daemonvigil::{self as dv, Issue, Message, Note, Status, Usage, UserConfig};
use super::summary::{Layout, Summary};

pub const MESSAGES: &str = "messages.json";
pub const SCRATCHPAD: &str = "scratchpad.json";
pub const USAGE: &str = "api_usage.jsonl";
pub const USERS: &str = "users.json";
pub const USERS_DIR: &str = "users";
pub const USER_CONFIG: &str = "user_config.json";

/// Items parsed from one file, with the file they came from (for problems found when writing).
#[derive(Clone, Debug)]
pub struct FromFile<T> {
    /// Relative to the imported directory.
    pub file: String,
    pub items: T,
}

/// Everything read about one user.
#[derive(Clone, Debug)]
pub struct UserData {
    /// The Telegram id (digits).
    pub id: String,
    /// Where the user was found (`users.json`, `users/<id>`, `.`), for problems about the user.
    pub origin: String,
    pub first_name: Option<String>,
    pub username: Option<String>,
    pub status: Status,
    /// First and last sighting, from the registry or else the messages.
    pub first_ms: Option<u64>,
    pub last_ms: Option<u64>,
    pub messages: Option<FromFile<Vec<Message>>>,
    pub notes: Option<FromFile<Vec<Note>>>,
    pub config: Option<FromFile<UserConfig>>,
    pub usage: Option<FromFile<Vec<Usage>>>,
}

impl UserData {
    fn new(id: String, origin: String) -> UserData {
        UserData {
            id,
            origin,
            first_name: None,
            username: None,
            status: Status::Active,
            first_ms: None,
            last_ms: None,
            messages: None,
            notes: None,
            config: None,
            usage: None,
        }
    }
}

/// A whole directory, read.
pub struct Source {
    pub users: Vec<UserData>,
    /// The layout, files read and problems so far.
    pub summary: Summary,
}

/// Reads `dir`; `user` is the `--user` id (required for the single-user layout, a filter for
/// the multi-user one).
pub fn read(dir: &Path, user: Option<&str>) -> Result<Source, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::NoSource(dir.to_path_buf()));
    }
    if let Some(u) = user.filter(|u| !dv::telegram_id(u)) {
        return Err(ImportError::BadUser(u.to_owned()));
    }
    let multi = dir.join(USERS).is_file() || dir.join(USERS_DIR).is_dir();
    let single = [MESSAGES, SCRATCHPAD, USAGE]
        .iter()
        .any(|f| dir.join(f).is_file());
    if multi {
        let source = read_multi(dir, user);
        match user {
            Some(u) if source.users.is_empty() => Err(ImportError::UnknownUser(u.to_owned())),
            _ => Ok(source),
        }
    } else if single {
        let user = user.ok_or_else(|| ImportError::NeedUser(dir.to_path_buf()))?;
        Ok(read_single(dir, user))
    } else {
        Err(ImportError::NoSource(dir.to_path_buf()))
    }
}

fn read_single(dir: &Path, id: &str) -> Source {
    let mut summary = Summary::new(dir.to_path_buf(), Layout::SingleUser);
    let mut data = UserData::new(id.to_owned(), ".".into());
    read_history(dir, "", &mut data, &mut summary);
    if let Some(usage) = read_usage(dir, &mut summary) {
        let mut mine = Vec::new();
        for u in usage {
            match &u.user_id {
                Some(other) if other != id => summary.problem(
                    USAGE,
                    Some(u.line),
                    "record belongs to another user than --user; skipped",
                ),
                _ => mine.push(u),
            }
        }
        data.usage = Some(FromFile {
            file: USAGE.into(),
            items: mine,
        });
    }
    times_from_messages(&mut data);
    Source {
        users: vec![data],
        summary,
    }
}

fn read_multi(dir: &Path, only: Option<&str>) -> Source {
    let mut summary = Summary::new(dir.to_path_buf(), Layout::MultiUser);
    let mut users: BTreeMap<String, UserData> = BTreeMap::new();
    // The registry first (names, statuses), in its order; then directories it does not list.
    let mut order: Vec<String> = Vec::new();
    if let Some(text) = read_text(dir, USERS, &mut summary) {
        match dv::users(&text) {
            Ok(parsed) => {
                summary.files_read += 1;
                issues(&mut summary, USERS, parsed.issues);
                for u in parsed.items {
                    let mut d = UserData::new(u.id.clone(), USERS.into());
                    d.first_name = u.first_name;
                    d.username = u.username;
                    d.status = u.status;
                    d.first_ms = u.registered_ms;
                    d.last_ms = u.last_seen_ms;
                    order.push(u.id.clone());
                    users.insert(u.id, d);
                }
            }
            Err(issue) => issues(&mut summary, USERS, [issue]),
        }
    }
    for id in user_dirs(dir, &mut summary) {
        if !users.contains_key(&id) {
            order.push(id.clone());
            let origin = format!("{USERS_DIR}/{id}");
            users.insert(id.clone(), UserData::new(id, origin));
        }
    }
    if dir.join(MESSAGES).is_file() {
        summary.problem(
            MESSAGES,
            None,
            "left out: the multi-user layout keeps each user's messages in users/<id>/",
        );
    }
    let usage = read_usage(dir, &mut summary);
    if let Some(only) = only {
        order.retain(|id| id == only);
    }
    let mut out = Vec::with_capacity(order.len());
    let mut by_user: BTreeMap<String, Vec<Usage>> = BTreeMap::new();
    for u in usage.into_iter().flatten() {
        match u.user_id.clone() {
            None => summary.problem(
                USAGE,
                Some(u.line),
                "record does not say whose it is; skipped",
            ),
            Some(id) if users.contains_key(&id) => by_user.entry(id).or_default().push(u),
            Some(id) if only.is_some_and(|o| o != id) => {}
            Some(_) => summary.problem(
                USAGE,
                Some(u.line),
                "record is for a user neither users.json nor users/ has; skipped",
            ),
        }
    }
    for id in order {
        let Some(mut data) = users.remove(&id) else {
            continue;
        };
        let sub = format!("{USERS_DIR}/{id}/");
        let user_dir = dir.join(USERS_DIR).join(&id);
        if user_dir.is_dir() {
            read_history(&user_dir, &sub, &mut data, &mut summary);
            read_config(&user_dir, &sub, &mut data, &mut summary);
        }
        if let Some(items) = by_user.remove(&id) {
            data.usage = Some(FromFile {
                file: USAGE.into(),
                items,
            });
        }
        times_from_messages(&mut data);
        out.push(data);
    }
    Source {
        users: out,
        summary,
    }
}

/// `users/<id>` directories; other entries are problems.
fn user_dirs(dir: &Path, summary: &mut Summary) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join(USERS_DIR)) else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_dir() {
            continue;
        }
        if dv::telegram_id(&name) {
            ids.push(name);
        } else {
            summary.problem(
                &format!("{USERS_DIR}/{name}"),
                None,
                "not named by a Telegram id; skipped",
            );
        }
    }
    ids.sort();
    ids
}

/// `messages.json` and `scratchpad.json` of one user (`sub` prefixes names in problems).
fn read_history(dir: &Path, sub: &str, data: &mut UserData, summary: &mut Summary) {
    let name = format!("{sub}{MESSAGES}");
    if let Some(text) = read_text(dir, MESSAGES, summary) {
        match dv::messages(&text) {
            Ok(p) => {
                summary.files_read += 1;
                issues(summary, &name, p.issues);
                data.messages = Some(FromFile {
                    file: name,
                    items: p.items,
                });
            }
            Err(issue) => issues(summary, &name, [issue]),
        }
    }
    let name = format!("{sub}{SCRATCHPAD}");
    if let Some(text) = read_text(dir, SCRATCHPAD, summary) {
        match dv::notes(&text) {
            Ok(p) => {
                summary.files_read += 1;
                issues(summary, &name, p.issues);
                data.notes = Some(FromFile {
                    file: name,
                    items: p.items,
                });
            }
            Err(issue) => issues(summary, &name, [issue]),
        }
    }
}

fn read_config(dir: &Path, sub: &str, data: &mut UserData, summary: &mut Summary) {
    let name = format!("{sub}{USER_CONFIG}");
    if let Some(text) = read_text(dir, USER_CONFIG, summary) {
        match dv::user_config(&text) {
            Ok((cfg, found)) => {
                summary.files_read += 1;
                issues(summary, &name, found);
                data.config = Some(FromFile {
                    file: name,
                    items: cfg,
                });
            }
            Err(issue) => issues(summary, &name, [issue]),
        }
    }
}

fn read_usage(dir: &Path, summary: &mut Summary) -> Option<Vec<Usage>> {
    let bytes = read_bytes(dir, USAGE, summary)?;
    let parsed = dv::usage(&bytes);
    summary.files_read += 1;
    issues(summary, USAGE, parsed.issues);
    Some(parsed.items)
}

/// Without a registry entry, a user was first and last seen at their first and last message.
fn times_from_messages(data: &mut UserData) {
    let times = || {
        data.messages
            .iter()
            .flat_map(|m| m.items.iter().map(|m| m.at_ms))
    };
    let (first, last) = (times().min(), times().max());
    data.first_ms = data.first_ms.or(first);
    data.last_ms = data.last_ms.or(last);
}

fn issues(summary: &mut Summary, file: &str, found: impl IntoIterator<Item = Issue>) {
    for i in found {
        summary.problem(file, i.line, i.reason);
    }
}

/// A file's bytes; `None` when it is absent (fine) or unreadable (a problem).
fn read_bytes(dir: &Path, name: &str, summary: &mut Summary) -> Option<Vec<u8>> {
    match std::fs::read(dir.join(name)) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => {
            summary.problem(
                &display(dir, name, summary),
                None,
                format!("unreadable: {e}"),
            );
            None
        }
    }
}

fn read_text(dir: &Path, name: &str, summary: &mut Summary) -> Option<String> {
    let bytes = read_bytes(dir, name, summary)?;
    match String::from_utf8(bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            summary.problem(
                &display(dir, name, summary),
                None,
                format!("not UTF-8 text (byte {at}); skipped"),
            );
            None
        }
    }
}

/// `name` in `dir` relative to the imported directory.
fn display(dir: &Path, name: &str, summary: &Summary) -> String {
    dir.join(name)
        .strip_prefix(&summary.source)
        .map_or_else(|_| name.to_owned(), |p| p.display().to_string())
}
