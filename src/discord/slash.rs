//! Slash commands: the definitions registered with Discord (every command of the commands
//! module, each with one optional free-text option for its arguments, moderator and admin
//! commands hidden from members who lack the permission), and the reading of an invoked command
//! back into the same `/name args` text a typed command is, so one command implementation serves
//! both. Answers go back through the interaction, ephemeral when private.

use serde_json::{Value, json};
use serenity::all::{CommandDataOptionValue, CommandInteraction};
use switchboard_platforms::discord::{DiscordBot, is_moderator, permissions, placement};
use switchboard_platforms::{Author, Inbound, Platform};

use crate::commands::access::command_forms;

/// The option carrying a command's arguments.
pub const ARGS: &str = "text";

/// Discord's limit on a description.
const MAX_DESCRIPTION: usize = 100;

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The global application commands (`PUT /applications/{id}/commands`).
pub fn definitions() -> Value {
    let commands: Vec<Value> = command_forms()
        .into_iter()
        .map(|(name, what, args)| {
            let mut c = json!({
                "name": name,
                "type": 1,
                "description": clip(&what, MAX_DESCRIPTION),
            });
            if !args.is_empty() {
                c["options"] = json!([{
                    "type": 3,
                    "name": ARGS,
                    "description": clip(&args, MAX_DESCRIPTION),
                    "required": false,
                }]);
            }
            // Shown only to those who may use them; the command checks again either way.
            match name.as_str() {
                "activate" | "deactivate" => {
                    c["default_member_permissions"] =
                        json!(permissions::MANAGE_CHANNELS.to_string());
                    c["contexts"] = json!([0]);
                }
                "admin" => {
                    c["default_member_permissions"] = json!(permissions::ADMINISTRATOR.to_string());
                }
                _ => {}
            }
            c
        })
        .collect();
    Value::Array(commands)
}

/// The text a typed command would have been: `/name args`.
pub fn text(cmd: &CommandInteraction) -> String {
    let mut args: Vec<String> = Vec::new();
    for o in &cmd.data.options {
        match &o.value {
            CommandDataOptionValue::String(s) => args.push(s.clone()),
            CommandDataOptionValue::Integer(i) => args.push(i.to_string()),
            CommandDataOptionValue::Number(n) => args.push(n.to_string()),
            CommandDataOptionValue::Boolean(b) => args.push(b.to_string()),
            CommandDataOptionValue::User(u) => args.push(u.to_string()),
            _ => {}
        }
    }
    let args = args.join(" ");
    let args = args.trim();
    if args.is_empty() {
        format!("/{}", cmd.data.name)
    } else {
        format!("/{} {args}", cmd.data.name)
    }
}

/// An invoked slash command as an inbound message. Its id is the interaction's (a snowflake,
/// unique like a message id), and the answer finds the interaction through it.
pub fn inbound(cmd: &CommandInteraction, bot: &DiscordBot, thread_parent: Option<u64>) -> Inbound {
    let user = cmd.member.as_ref().map_or(&cmd.user, |m| &m.user);
    let nick = cmd.member.as_ref().and_then(|m| m.nick.clone());
    let display_name = [nick, user.global_name.clone(), Some(user.name.clone())]
        .into_iter()
        .flatten()
        .map(|n| n.trim().to_owned())
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| user.id.to_string());
    let moderator = cmd
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(|p| is_moderator(p.bits()));
    let (scope, place) = placement(
        cmd.guild_id.map(|g| g.get()),
        cmd.channel_id.get(),
        thread_parent,
    );
    Inbound {
        platform: Platform::Discord,
        bot: bot.name.clone(),
        scope,
        author: Author {
            id: user.id.get().to_string(),
            display_name,
            username: Some(user.name.clone()),
            is_bot: user.bot,
            moderator,
        },
        place,
        message_id: cmd.id.get().to_string(),
        text: text(cmd),
        attachments: vec![],
        reply_to: None,
        mentions_bot: true,
        from_self: false,
        edited: false,
        sent_at_ms: switchboard_platforms::discord::snowflake_ms(cmd.id.get()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_defined_once_with_valid_names_and_descriptions() {
        let defs = definitions();
        let list = defs.as_array().cloned().unwrap_or_default();
        assert!(list.len() >= 15, "{list:?}");
        let mut names: Vec<&str> = list.iter().filter_map(|c| c["name"].as_str()).collect();
        for n in &names {
            assert!(
                (1..=32).contains(&n.len())
                    && n.chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_'),
                "{n}"
            );
        }
        for c in &list {
            let d = c["description"].as_str().unwrap_or("");
            assert!((1..=100).contains(&d.chars().count()), "{c}");
            for o in c["options"].as_array().into_iter().flatten() {
                let d = o["description"].as_str().unwrap_or("");
                assert!((1..=100).contains(&d.chars().count()), "{o}");
            }
        }
        for must in [
            "help", "note", "notes", "forget", "export", "activate", "admin",
        ] {
            assert!(names.contains(&must), "{must} missing");
        }
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate command names");
        let note = list
            .iter()
            .find(|c| c["name"] == "note")
            .cloned()
            .unwrap_or_default();
        assert_eq!(note["options"][0]["name"], ARGS);
        let help = list
            .iter()
            .find(|c| c["name"] == "help")
            .cloned()
            .unwrap_or_default();
        assert!(help.get("options").is_none());
        let activate = list
            .iter()
            .find(|c| c["name"] == "activate")
            .cloned()
            .unwrap_or_default();
        assert_eq!(activate["default_member_permissions"], "16");
    }
}
