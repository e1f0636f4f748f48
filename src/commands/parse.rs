//! Command parsing: `/name args` into a [`Command`] with validated arguments, or a message saying
//! exactly what was wrong and how to write it. Pure; the effects live in the sibling modules.

use chrono_tz::Tz;

use crate::heartbeat::{Window, parse_tz, parse_window};

/// Longest note, in characters (the store refuses more).
pub const MAX_NOTE_CHARS: usize = 1000;
/// Longest day range of `/admin stats`.
pub const MAX_STATS_DAYS: u32 = 366;

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Help,
    Status,
    /// Show (`None`) or choose a model.
    Model(Option<String>),
    /// List (`None`) or choose the active personality.
    Personality(Option<String>),
    Reset,
    Cancel,
    Note(String),
    Notes,
    NotesClear,
    /// `/forget` asks; `/forget confirm` does it.
    Forget {
        confirm: bool,
    },
    Export,
    Heartbeat(HeartbeatArg),
    Register,
    /// A moderator makes a personality answer every message in this channel.
    Activate(String),
    /// Ends that.
    Deactivate,
    Admin(AdminCommand),
}

#[derive(Clone, Debug, PartialEq)]
pub enum HeartbeatArg {
    Show,
    On,
    Off,
    Every(u32),
    Hours(Window, Option<Tz>),
    /// Active all day again.
    AnyTime,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AdminCommand {
    /// Users, most recently seen first; optionally only those matching a search.
    Users(Option<String>),
    /// Usage and cost over the last `days` days.
    Stats(u32),
    User(String),
    Ban(String),
    Unban(String),
    Approve(String),
    Quota {
        user: String,
        limit: QuotaLimit,
        value: QuotaValue,
    },
}

/// The limits `/admin quota` can override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaLimit {
    RatePerMin,
    RequestsPerDay,
    TokensPerDay,
    CostPerMonthUsd,
    MaxQueued,
}

impl QuotaLimit {
    pub const ALL: [QuotaLimit; 5] = [
        QuotaLimit::RatePerMin,
        QuotaLimit::RequestsPerDay,
        QuotaLimit::TokensPerDay,
        QuotaLimit::CostPerMonthUsd,
        QuotaLimit::MaxQueued,
    ];

    /// The name users type, which is also the setting's suffix (`quota.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            QuotaLimit::RatePerMin => "rate_per_min",
            QuotaLimit::RequestsPerDay => "requests_per_day",
            QuotaLimit::TokensPerDay => "tokens_per_day",
            QuotaLimit::CostPerMonthUsd => "cost_per_month_usd",
            QuotaLimit::MaxQueued => "max_queued",
        }
    }

    fn parse(s: &str) -> Option<QuotaLimit> {
        Self::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum QuotaValue {
    /// A limit (a count, or USD for the cost).
    Max(f64),
    /// No limit at all.
    Unlimited,
    /// Back to what the configuration says.
    Default,
}

/// Why a command could not be parsed: the text to send back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// No such command.
    Unknown(String),
    /// Known command, bad arguments: how to write it.
    Usage(String),
}

/// Parses a routed command (`name` lowercased, without prefix or `@bot`).
pub fn parse(name: &str, args: &str) -> Result<Command, ParseError> {
    let args = args.trim();
    let words: Vec<&str> = args.split_whitespace().collect();
    let usage = |u: &str| ParseError::Usage(u.to_owned());
    let none = |c: Command, u: &str| {
        if words.is_empty() {
            Ok(c)
        } else {
            Err(usage(u))
        }
    };
    match name {
        "help" | "start" => Ok(Command::Help),
        "status" => none(Command::Status, "/status takes no arguments."),
        "model" => one_word(&words, "Usage: /model, or /model <name>.").map(Command::Model),
        "personality" | "persona" => {
            one_word(&words, "Usage: /personality, or /personality <name>.")
                .map(Command::Personality)
        }
        "reset" | "new" => none(Command::Reset, "/reset takes no arguments."),
        "cancel" => none(Command::Cancel, "/cancel takes no arguments."),
        "note" => note(args),
        "notes" => match words.as_slice() {
            [] => Ok(Command::Notes),
            [w] if w.eq_ignore_ascii_case("clear") => Ok(Command::NotesClear),
            _ => Err(usage("Usage: /notes, or /notes clear.")),
        },
        "forget" => match words.as_slice() {
            [] => Ok(Command::Forget { confirm: false }),
            [w] if w.eq_ignore_ascii_case("confirm") => Ok(Command::Forget { confirm: true }),
            _ => Err(usage("Usage: /forget, then /forget confirm.")),
        },
        "export" => none(Command::Export, "/export takes no arguments."),
        "heartbeat" | "checkin" => heartbeat(&words).map(Command::Heartbeat),
        "register" => none(Command::Register, "/register takes no arguments."),
        "activate" => match words.as_slice() {
            [name] => Ok(Command::Activate(clip(name, 100))),
            _ => Err(usage(
                "Usage: /activate <personality>, for example /activate Sage.",
            )),
        },
        "deactivate" => none(Command::Deactivate, "/deactivate takes no arguments."),
        "admin" => admin(&words).map(Command::Admin),
        other => Err(ParseError::Unknown(clip(other, 32))),
    }
}

/// No argument, or exactly one word.
fn one_word(words: &[&str], usage: &str) -> Result<Option<String>, ParseError> {
    match words {
        [] => Ok(None),
        [w] => Ok(Some(clip(w, 100))),
        _ => Err(ParseError::Usage(usage.to_owned())),
    }
}

fn note(text: &str) -> Result<Command, ParseError> {
    if text.is_empty() {
        return Err(ParseError::Usage(
            "Usage: /note <text>, for example /note I'm vegetarian.".into(),
        ));
    }
    let n = text.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(ParseError::Usage(format!(
            "That note is {n} characters long; notes can be at most {MAX_NOTE_CHARS}."
        )));
    }
    Ok(Command::Note(text.to_owned()))
}

const HEARTBEAT_USAGE: &str = "Usage: /heartbeat on | off | every <minutes> | hours <from>-<to> [time zone] | hours any. For example: /heartbeat hours 9-21 Europe/Berlin";

fn heartbeat(words: &[&str]) -> Result<HeartbeatArg, ParseError> {
    let usage = || ParseError::Usage(HEARTBEAT_USAGE.to_owned());
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        [] => Ok(HeartbeatArg::Show),
        ["on"] => Ok(HeartbeatArg::On),
        ["off"] => Ok(HeartbeatArg::Off),
        ["every", n] => n
            .trim_end_matches(['m', 'i', 'n', 's'])
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(HeartbeatArg::Every)
            .ok_or_else(|| {
                ParseError::Usage(format!(
                    "{:?} is not a number of minutes; for example /heartbeat every 120.",
                    clip(words[1], 20)
                ))
            }),
        ["hours", "any"] | ["hours", "all"] => Ok(HeartbeatArg::AnyTime),
        ["hours", range] | ["hours", range, _] => {
            let window = parse_window(range).map_err(ParseError::Usage)?;
            let tz = match words.get(2) {
                None => None,
                Some(name) => Some(parse_tz(name).ok_or_else(|| {
                    ParseError::Usage(format!(
                        "I don't know the time zone {:?}; use a name like Europe/Berlin, America/New_York or UTC.",
                        clip(name, 40)
                    ))
                })?),
            };
            Ok(HeartbeatArg::Hours(window, tz))
        }
        _ => Err(usage()),
    }
}

const ADMIN_USAGE: &str = "Admin commands: /admin users [search], /admin stats [days], /admin user <id>, /admin ban <id>, /admin unban <id>, /admin approve <id>, /admin quota <id> <limit> <value|none|default>.";

fn admin(words: &[&str]) -> Result<AdminCommand, ParseError> {
    let usage = |u: &str| ParseError::Usage(u.to_owned());
    let Some((sub, rest)) = words.split_first() else {
        return Err(usage(ADMIN_USAGE));
    };
    let id = |u: &str| match rest {
        [id] => Ok(clip(id, 200)),
        _ => Err(usage(u)),
    };
    match sub.to_ascii_lowercase().as_str() {
        "users" => match rest {
            [] => Ok(AdminCommand::Users(None)),
            [s] => Ok(AdminCommand::Users(Some(clip(s, 100)))),
            _ => Err(usage("Usage: /admin users [search].")),
        },
        "stats" => match rest {
            [] => Ok(AdminCommand::Stats(7)),
            [d] => d
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=MAX_STATS_DAYS).contains(d))
                .map(AdminCommand::Stats)
                .ok_or_else(|| {
                    ParseError::Usage(format!(
                        "Usage: /admin stats [days], with days from 1 to {MAX_STATS_DAYS}."
                    ))
                }),
            _ => Err(usage("Usage: /admin stats [days].")),
        },
        "user" => id("Usage: /admin user <id>.").map(AdminCommand::User),
        "ban" => id("Usage: /admin ban <id>.").map(AdminCommand::Ban),
        "unban" => id("Usage: /admin unban <id>.").map(AdminCommand::Unban),
        "approve" => id("Usage: /admin approve <id>.").map(AdminCommand::Approve),
        "quota" => quota(rest),
        _ => Err(usage(ADMIN_USAGE)),
    }
}

fn quota(rest: &[&str]) -> Result<AdminCommand, ParseError> {
    let limits: Vec<&str> = QuotaLimit::ALL.iter().map(|l| l.name()).collect();
    let usage = format!(
        "Usage: /admin quota <id> <limit> <value|none|default>; limits: {}.",
        limits.join(", ")
    );
    let [user, limit, value] = rest else {
        return Err(ParseError::Usage(usage));
    };
    let limit = QuotaLimit::parse(limit).ok_or_else(|| {
        ParseError::Usage(format!(
            "{:?} is not a limit; limits: {}.",
            clip(limit, 40),
            limits.join(", ")
        ))
    })?;
    let value = match value.to_ascii_lowercase().as_str() {
        "none" | "unlimited" => QuotaValue::Unlimited,
        "default" | "reset" => QuotaValue::Default,
        v => v
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 1e12)
            .map(QuotaValue::Max)
            .ok_or_else(|| {
                ParseError::Usage(format!(
                    "{:?} is not a limit value; use a number, none or default.",
                    clip(value, 40)
                ))
            })?,
    };
    Ok(AdminCommand::Quota {
        user: clip(user, 200),
        limit,
        value,
    })
}

/// At most `n` characters of untrusted text.
pub fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests;
