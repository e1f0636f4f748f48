//! Who may use which command, and the `/help` each caller sees. Pure: the caller's standing is
//! computed from the configuration and their stored status, then every command is checked
//! against it before it touches anything.

use super::parse::Command;
use crate::config::{Access, Config, Tenant};
use crate::store::UserStatus;

/// A caller's standing in their tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Banned (by an admin or in the configuration): nothing but `/help`.
    Banned,
    /// In an allowlist tenant without being allowed: may ask for access, see and delete their
    /// own data, nothing else.
    Outsider,
    /// May talk to the bots (guests of approval tenants included, with the guest quotas).
    Member,
}

/// The caller as access rules see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Who {
    pub standing: Standing,
    pub admin: bool,
    /// In a private conversation with the bot.
    pub dm: bool,
    /// May manage the channel, as the platform says (Discord's Manage Channels); moderators may
    /// `/activate` personalities there.
    pub moderator: bool,
}

impl Who {
    pub fn of(cfg: &Config, tenant: &Tenant, user: &str, status: UserStatus, dm: bool) -> Who {
        let over = cfg.users.get(user);
        let standing = if status == UserStatus::Banned || over.is_some_and(|o| o.banned) {
            Standing::Banned
        } else if tenant.access == Access::Allowlist
            && status != UserStatus::Active
            && !over.is_some_and(|o| o.allowed)
        {
            Standing::Outsider
        } else {
            Standing::Member
        };
        Who {
            standing,
            admin: cfg.admins.contains(user),
            dm,
            moderator: false,
        }
    }
}

/// Commands anyone not banned may use, with or without access.
fn open_to_outsiders(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Help
            | Command::Status
            | Command::Register
            | Command::Export
            | Command::Forget { .. }
    )
}

/// `Err(text)`: the caller may not use `cmd`, and why.
pub fn check(cmd: &Command, who: Who) -> Result<(), String> {
    if matches!(cmd, Command::Admin(_)) && !who.admin {
        return Err("That command is for admins.".into());
    }
    if matches!(cmd, Command::Activate(_) | Command::Deactivate) {
        if who.dm {
            return Err(
                "/activate and /deactivate work in group chats and channels, not here.".into(),
            );
        }
        if !(who.admin || (who.moderator && who.standing != Standing::Banned)) {
            return Err("Only moderators can activate a personality in this channel.".into());
        }
    }
    if who.admin {
        return Ok(());
    }
    match who.standing {
        Standing::Banned if !matches!(cmd, Command::Help) => {
            Err("You can't use this bot.".into())
        }
        Standing::Outsider if !open_to_outsiders(cmd) => Err(
            "You don't have access here yet. Ask for it with /register and an admin will decide."
                .into(),
        ),
        _ if matches!(cmd, Command::Heartbeat(_)) && !who.dm => Err(
            "Check-ins are for private chats: message me directly and send /heartbeat on there."
                .into(),
        ),
        _ if matches!(cmd, Command::Personality(Some(_))) && !who.dm => Err(
            "Choose your personality in a private chat with me. Here, address one by name, for example \"@Sage hello\"."
                .into(),
        ),
        _ => Ok(()),
    }
}

/// One line of `/help`.
struct Entry {
    usage: &'static str,
    what: &'static str,
    /// Shown to outsiders too.
    outsiders: bool,
    /// Shown only in private chats.
    dm_only: bool,
}

const ENTRIES: &[Entry] = &[
    Entry {
        usage: "/help",
        what: "this list",
        outsiders: true,
        dm_only: false,
    },
    Entry {
        usage: "/status",
        what: "your model, personality, usage, limits, queue and check-ins",
        outsiders: true,
        dm_only: false,
    },
    Entry {
        usage: "/model [name]",
        what: "show or choose your AI model",
        outsiders: false,
        dm_only: false,
    },
    Entry {
        usage: "/personality [name]",
        what: "list or choose who answers you here",
        outsiders: false,
        dm_only: true,
    },
    Entry {
        usage: "/reset",
        what: "start the conversation afresh",
        outsiders: false,
        dm_only: false,
    },
    Entry {
        usage: "/cancel",
        what: "drop your messages still waiting for an answer",
        outsiders: false,
        dm_only: false,
    },
    Entry {
        usage: "/note <text>",
        what: "keep a note the personalities will remember",
        outsiders: false,
        dm_only: false,
    },
    Entry {
        usage: "/notes [clear]",
        what: "list (or delete) your notes",
        outsiders: false,
        dm_only: false,
    },
    Entry {
        usage: "/heartbeat on|off|every <minutes>|hours <from>-<to> [time zone]",
        what: "scheduled check-ins from your personality",
        outsiders: false,
        dm_only: true,
    },
    Entry {
        usage: "/export",
        what: "everything I keep about you, as a JSON file",
        outsiders: true,
        dm_only: false,
    },
    Entry {
        usage: "/forget",
        what: "delete everything I keep about you",
        outsiders: true,
        dm_only: false,
    },
];

/// The `/help` text for this caller: only what they may use.
pub fn help(who: Who, tenant: &Tenant, default_personality: &str) -> String {
    if who.standing == Standing::Banned && !who.admin {
        return "You can't use this bot.".into();
    }
    let mut out = format!(
        "Talk to me and {default_personality} answers. In groups, mention me or start a message with a personality's name (\"@Sage hello\").\n\nCommands:\n"
    );
    let member = who.standing == Standing::Member || who.admin;
    for e in ENTRIES {
        if (member || e.outsiders) && (who.dm || !e.dm_only) {
            out.push_str(&format!("{} - {}\n", e.usage, e.what));
        }
    }
    let asks = matches!(tenant.access, Access::Approval | Access::Allowlist);
    if asks && !member {
        out.push_str("/register - ask an admin for access\n");
    } else if tenant.access == Access::Approval {
        out.push_str("/register - ask an admin for full access (guests have lower limits)\n");
    }
    if (who.admin || who.moderator) && !who.dm {
        out.push_str("/activate <personality> - make one personality answer every message here; /deactivate stops it\n");
    }
    if who.admin {
        out.push_str("/admin users [search] | stats [days] | user <id> | ban <id> | unban <id> | approve <id> | quota <id> <limit> <value|none|default> - admin tools\n");
    }
    out.trim_end().to_owned()
}

/// The command menu platforms show (Telegram `setMyCommands`, Discord slash commands): every
/// command anyone may use, by name (lowercase, no slash) with its one-line description.
pub fn menu() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = ENTRIES
        .iter()
        .filter_map(|e| {
            let name = e.usage.split_whitespace().next()?.trim_start_matches('/');
            Some((name.to_owned(), e.what.to_owned()))
        })
        .collect();
    out.push(("register".into(), "ask an admin for access".into()));
    out
}

/// Every command with what its arguments look like (`""` for none), for menus that take
/// arguments apart from the name (Discord slash commands): the [`menu`] plus the moderator and
/// admin commands, which a platform shows only to those allowed (the commands check anyway).
pub fn command_forms() -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = ENTRIES
        .iter()
        .map(|e| {
            let (head, args) = e.usage.split_once(' ').unwrap_or((e.usage, ""));
            let name = head.trim_start_matches('/');
            (name.to_owned(), e.what.to_owned(), args.to_owned())
        })
        .collect();
    for (name, what, args) in [
        ("register", "ask an admin for access", ""),
        (
            "activate",
            "make one personality answer every message here",
            "<personality>",
        ),
        ("deactivate", "stop the personality activated here", ""),
        (
            "admin",
            "admin tools",
            "users [search] | stats [days] | user <id> | ban <id> | unban <id> | approve <id> | quota <id> <limit> <value>",
        ),
    ] {
        out.push((name.into(), what.into(), args.into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::parse::{AdminCommand, parse};

    #[test]
    fn only_moderators_and_admins_activate_and_never_in_private() {
        let act = Command::Activate("Sage".into());
        let member = who(Standing::Member, false, false);
        assert!(check(&act, member).unwrap_err().contains("moderators"));
        let moderator = Who {
            moderator: true,
            ..member
        };
        assert!(check(&act, moderator).is_ok());
        assert!(check(&Command::Deactivate, moderator).is_ok());
        assert!(check(&act, who(Standing::Member, true, false)).is_ok());
        assert!(check(&act, who(Standing::Member, true, true)).is_err());
        let banned_mod = Who {
            moderator: true,
            ..who(Standing::Banned, false, false)
        };
        assert!(check(&act, banned_mod).is_err());
    }

    #[test]
    fn the_menu_has_valid_names_each_parsing_as_a_command() {
        let menu = menu();
        assert!(menu.len() >= 10);
        for (name, what) in &menu {
            assert!(
                !name.is_empty()
                    && name.len() <= 32
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name:?} is not a valid Telegram command name"
            );
            assert!(!what.is_empty() && what.len() <= 256);
            assert!(
                !matches!(
                    parse(name, ""),
                    Err(crate::commands::parse::ParseError::Unknown(_))
                ),
                "{name} does not parse"
            );
        }
    }

    fn who(standing: Standing, admin: bool, dm: bool) -> Who {
        Who {
            standing,
            admin,
            dm,
            moderator: false,
        }
    }

    #[test]
    fn admin_commands_need_an_admin() {
        let cmd = Command::Admin(AdminCommand::Users(None));
        assert!(
            check(&cmd, who(Standing::Member, false, true))
                .unwrap_err()
                .contains("admins")
        );
        assert!(check(&cmd, who(Standing::Member, true, false)).is_ok());
    }

    #[test]
    fn banned_users_get_only_help() {
        let w = who(Standing::Banned, false, true);
        assert!(check(&Command::Help, w).is_ok());
        for (n, a) in [
            ("status", ""),
            ("export", ""),
            ("note", "x"),
            ("register", ""),
        ] {
            let cmd = parse(n, a).unwrap();
            assert_eq!(
                check(&cmd, w),
                Err("You can't use this bot.".into()),
                "/{n}"
            );
        }
    }

    #[test]
    fn outsiders_may_ask_and_manage_their_data_only() {
        let w = who(Standing::Outsider, false, true);
        for n in ["help", "status", "register", "export", "forget"] {
            assert!(check(&parse(n, "").unwrap(), w).is_ok(), "/{n}");
        }
        for (n, a) in [
            ("model", "x"),
            ("note", "x"),
            ("reset", ""),
            ("heartbeat", "on"),
        ] {
            let e = check(&parse(n, a).unwrap(), w).unwrap_err();
            assert!(e.contains("/register"), "/{n}: {e}");
        }
    }

    #[test]
    fn choosing_a_personality_is_for_private_chats() {
        let cmd = Command::Personality(Some("Sage".into()));
        assert!(
            check(&cmd, who(Standing::Member, false, false))
                .unwrap_err()
                .contains("private chat")
        );
        assert!(check(&cmd, who(Standing::Member, false, true)).is_ok());
        assert!(
            check(
                &Command::Personality(None),
                who(Standing::Member, false, false)
            )
            .is_ok()
        );
    }

    #[test]
    fn help_lists_what_the_caller_may_use() {
        let mut tenant = Tenant {
            name: "t".into(),
            weight: 1.0,
            access: Access::Open,
            user_quotas: Default::default(),
            tenant_quotas: Default::default(),
            allowed_models: Default::default(),
            default_personality: None,
            in_flight: None,
            cost_alert_usd: None,
        };
        let member = help(who(Standing::Member, false, true), &tenant, "Aria");
        assert!(member.contains("/note <text>") && member.contains("/heartbeat"));
        assert!(!member.contains("/admin") && !member.contains("/register"));
        let group = help(who(Standing::Member, false, false), &tenant, "Aria");
        assert!(!group.contains("/heartbeat") && !group.contains("/personality"));
        tenant.access = Access::Allowlist;
        let outsider = help(who(Standing::Outsider, false, true), &tenant, "Aria");
        assert!(outsider.contains("/register") && outsider.contains("/forget"));
        assert!(!outsider.contains("/note"));
        let admin = help(who(Standing::Member, true, true), &tenant, "Aria");
        assert!(admin.contains("/admin users"));
        assert_eq!(
            help(who(Standing::Banned, false, true), &tenant, "Aria"),
            "You can't use this bot."
        );
    }
}
