//! Commands: what people type besides chat (`/status`, `/note`, `/admin ban ...`). Parsing and
//! access rules are pure ([`parse`], [`access`]); the effects live in one module per group and
//! only ever touch the caller's own data, except admin commands, which only admins reach.
//! Platform-independent: the platforms map their bot commands / slash commands onto [`run`].

pub mod access;
mod account;
mod admin;
mod channels;
pub mod format;
mod notes;
pub mod parse;
mod privacy;

use std::sync::Arc;

use switchboard_platforms::{OutFile, Target};
use switchboard_queue::QueueError;

use self::access::Who;
use self::parse::{Command, ParseError};
use crate::config::{Config, Tenant};
use crate::services::Services;
use crate::store::{StoreError, UserKey, UserRecord};

/// Who typed the command, and where.
#[derive(Clone, Debug)]
pub struct Caller {
    pub tenant: Tenant,
    pub user: UserKey,
    /// The caller's stored record (registered before any command runs).
    pub record: UserRecord,
    /// Where the command came from (answers and check-ins go there).
    pub target: Target,
    /// The conversation place key (channel, or channel/thread).
    pub place: String,
    /// May manage this channel, as the platform says (may `/activate`).
    pub moderator: bool,
    pub now_ms: u64,
}

impl Caller {
    pub fn dm(&self) -> bool {
        self.target.place.is_dm
    }
}

/// The answer to a command.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reply {
    pub text: String,
    /// A file sent with it (`/export`).
    pub file: Option<OutFile>,
    /// Messages for other people (admins told of an access request, a user told of their
    /// approval), each to that person's private chat.
    pub notices: Vec<Notice>,
    /// Tell the user this privately where the platform can (all command answers are).
    pub private: bool,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            private: true,
            ..Reply::default()
        }
    }
}

/// A message for one person, in their private chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Their user key (`telegram:42`).
    pub to: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// What the user is told when a backend failed mid-command.
pub const TRY_AGAIN: &str = "Something went wrong on my side; please try again in a moment.";

/// Runs `/name args` for `caller`: parse, check access, act, answer. A backend failure is an
/// `Err` (the caller should answer [`TRY_AGAIN`]); everything else, including bad arguments and
/// refusals, is a reply.
pub async fn run(
    svc: &Arc<Services>,
    cfg: &Config,
    caller: &Caller,
    name: &str,
    args: &str,
) -> Result<Reply, CommandError> {
    let cmd = match parse::parse(name, args) {
        Ok(cmd) => cmd,
        Err(ParseError::Unknown(name)) => {
            return Ok(Reply::text(format!(
                "I don't know the command /{name}. Send /help for the list."
            )));
        }
        Err(ParseError::Usage(u)) => return Ok(Reply::text(u)),
    };
    let mut who = Who::of(
        cfg,
        &caller.tenant,
        &caller.user.user,
        caller.record.status,
        caller.dm(),
    );
    who.moderator = caller.moderator;
    if let Err(refusal) = access::check(&cmd, who) {
        return Ok(Reply::text(refusal));
    }
    let cx = Cx { svc, cfg, caller };
    match cmd {
        Command::Help => {
            let default = crate::choice::personality(cfg, &caller.tenant, None, false)
                .map_or_else(|| cfg.personalities.default.clone(), |p| p.name.clone());
            Ok(Reply::text(access::help(who, &caller.tenant, &default)))
        }
        Command::Status => account::status(&cx).await,
        Command::Model(m) => account::model(&cx, m.as_deref()).await,
        Command::Personality(p) => account::personality(&cx, p.as_deref()).await,
        Command::Reset => account::reset(&cx).await,
        Command::Cancel => account::cancel(&cx).await,
        Command::Note(text) => notes::add(&cx, &text).await,
        Command::Notes => notes::list(&cx).await,
        Command::NotesClear => notes::clear(&cx).await,
        Command::Heartbeat(arg) => notes::heartbeat(&cx, arg).await,
        Command::Forget { confirm } => privacy::forget(&cx, confirm).await,
        Command::Export => privacy::export(&cx).await,
        Command::Register => privacy::register(&cx).await,
        Command::Activate(name) => channels::activate(&cx, &name).await,
        Command::Deactivate => channels::deactivate(&cx).await,
        Command::Admin(a) => admin::run(&cx, a).await,
    }
}

/// What every command effect needs.
struct Cx<'a> {
    svc: &'a Arc<Services>,
    cfg: &'a Config,
    caller: &'a Caller,
}
