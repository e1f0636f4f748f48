//! The normalized events every platform adapter produces and consumes: an [`Inbound`] message from
//! Discord, Telegram or the simulator, and an [`Outbound`] reply. Pure data; no I/O.

use serde::{Deserialize, Serialize};

/// Where a message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Discord,
    Telegram,
    /// The simulated platform of `switchboard simulate`.
    Sim,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Discord => "discord",
            Platform::Telegram => "telegram",
            Platform::Sim => "sim",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The platform scope a tenant is resolved from (config rules match [`Scope::key`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// A Discord server.
    DiscordGuild { guild_id: u64 },
    /// A Discord direct message.
    DiscordDm,
    /// A Telegram group, supergroup or channel.
    TelegramChat { chat_id: i64 },
    /// A Telegram private chat.
    TelegramPrivate,
    /// A simulated tenant.
    Sim { tenant: String },
}

impl Scope {
    /// The key config rules match: `discord:guild:<id>`, `discord:dm`, `telegram:chat:<id>`,
    /// `telegram:private`, `sim:<tenant>`.
    pub fn key(&self) -> String {
        match self {
            Scope::DiscordGuild { guild_id } => format!("discord:guild:{guild_id}"),
            Scope::DiscordDm => "discord:dm".into(),
            Scope::TelegramChat { chat_id } => format!("telegram:chat:{chat_id}"),
            Scope::TelegramPrivate => "telegram:private".into(),
            Scope::Sim { tenant } => format!("sim:{tenant}"),
        }
    }
}

/// The author of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The platform's user id (a Discord snowflake, a Telegram user id, a simulated name).
    pub id: String,
    /// Name to show (display name, or first + last name).
    pub display_name: String,
    /// `@username`, where the platform has one.
    pub username: Option<String>,
    /// A bot account (never answered).
    pub is_bot: bool,
    /// May manage the channel (Discord's Manage Channels permission): may `/activate`
    /// personalities there.
    #[serde(default)]
    pub moderator: bool,
}

/// Where in the platform a message lives, and where a reply goes.
///
/// A direct-message place whose `channel_id` starts with `@` names a *user* rather than a
/// channel ([`Place::direct`]): the adapter delivers to that user's private conversation, opening
/// it if needed (Telegram: the private chat id is the user id; Discord: a DM channel is created).
/// Notices to admins use it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    /// Discord channel id, Telegram chat id, simulated channel.
    pub channel_id: String,
    /// Discord thread id, Telegram forum topic (`message_thread_id`).
    pub thread_id: Option<String>,
    /// A direct / private conversation with the bot.
    pub is_dm: bool,
}

impl Place {
    /// The private conversation with a user, by their platform id.
    pub fn direct(user_id: &str) -> Place {
        Place {
            channel_id: format!("@{user_id}"),
            thread_id: None,
            is_dm: true,
        }
    }

    /// The user a [`Place::direct`] place names.
    pub fn direct_user(&self) -> Option<&str> {
        self.channel_id.strip_prefix('@').filter(|_| self.is_dm)
    }
}

/// A file sent with a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub mime: Option<String>,
    pub size: u64,
    /// The text content, when the adapter downloaded a supported text document.
    pub text: Option<String>,
    /// The platform's reference to fetch the file later (a Telegram `file_id`), so the adapter
    /// can download it once it decides the file is worth reading.
    #[serde(default)]
    pub source: Option<String>,
}

/// The message a message replies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyRef {
    pub message_id: String,
    /// The replied-to message was sent by this bot (or one of its webhooks).
    pub to_self: bool,
    /// The personality that sent it, when known.
    pub personality: Option<String>,
}

/// A normalized inbound message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    pub platform: Platform,
    /// Which configured bot received it (several Telegram bots may run at once).
    pub bot: String,
    pub scope: Scope,
    pub author: Author,
    pub place: Place,
    /// The platform's message id (unique within `bot`).
    pub message_id: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub reply_to: Option<ReplyRef>,
    /// The bot itself was mentioned (`@bot`, or a Discord mention of the bot user).
    pub mentions_bot: bool,
    /// Sent by this bot or one of its webhooks: never answered (no loops).
    pub from_self: bool,
    /// An edit of an earlier message.
    pub edited: bool,
    /// Unix milliseconds when the platform says it was sent.
    pub sent_at_ms: u64,
}

impl Inbound {
    /// The user key: `<platform>:<author id>`.
    pub fn user_key(&self) -> String {
        format!("{}:{}", self.platform, self.author.id)
    }

    /// The job id: `<platform>:<bot>:<message id>`, with `:e<sent_at_ms>` for edits. The same
    /// delivery of the same message always gives the same id, so a redelivered update makes no
    /// second job. Printable ASCII without spaces (what the queue accepts): other bytes are
    /// percent-escaped.
    pub fn job_id(&self) -> String {
        let mut id = format!("{}:{}:{}", self.platform, self.bot, self.message_id);
        if self.edited {
            id.push_str(&format!(":e{}", self.sent_at_ms));
        }
        escape_id(&id)
    }
}

/// Keeps printable ASCII except '%' and space; escapes everything else as %XX.
pub fn escape_id(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x21..=0x7e).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a reply goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    pub platform: Platform,
    pub bot: String,
    pub place: Place,
}

/// The personality speaking a reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    pub name: String,
    pub avatar_url: Option<String>,
}

/// A reply to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    pub target: Target,
    /// Who speaks; `None` for the bot itself (command answers, notices).
    pub persona: Option<Persona>,
    pub text: String,
    /// Thread the reply to this message.
    pub reply_to: Option<String>,
    /// The job this reply answers (for idempotent delivery and logs).
    pub job_id: String,
    /// The one user this reply may ping (the user being answered); nobody else ever is.
    pub mention_user: Option<String>,
    /// Only the addressee may see it (Discord ephemeral slash-command answers).
    pub private: bool,
    /// A file sent with the text (`/export`), as a document / attachment.
    #[serde(default)]
    pub file: Option<OutFile>,
}

/// A file to send.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutFile {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Sizes only: file contents are user data and stay out of logs.
impl std::fmt::Debug for OutFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OutFile({}, {}, {} bytes)",
            self.name,
            self.mime,
            self.bytes.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(edited: bool) -> Inbound {
        Inbound {
            platform: Platform::Telegram,
            bot: "companion".into(),
            scope: Scope::TelegramPrivate,
            author: Author {
                id: "42".into(),
                display_name: "Ada".into(),
                username: None,
                is_bot: false,
                moderator: false,
            },
            place: Place {
                channel_id: "42".into(),
                thread_id: None,
                is_dm: true,
            },
            message_id: "1000".into(),
            text: "hi".into(),
            attachments: vec![],
            reply_to: None,
            mentions_bot: false,
            from_self: false,
            edited,
            sent_at_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn keys_and_ids() {
        let m = msg(false);
        assert_eq!(m.user_key(), "telegram:42");
        assert_eq!(m.job_id(), "telegram:companion:1000");
        assert_eq!(msg(true).job_id(), "telegram:companion:1000:e1700000000000");
        assert_eq!(Scope::DiscordGuild { guild_id: 7 }.key(), "discord:guild:7");
        assert_eq!(
            Scope::TelegramChat { chat_id: -100 }.key(),
            "telegram:chat:-100"
        );
    }

    #[test]
    fn ids_escape_what_the_queue_refuses() {
        assert_eq!(escape_id("a b%c\u{e9}"), "a%20b%25c%C3%A9");
        assert_eq!(escape_id("plain:1"), "plain:1");
    }

    #[test]
    fn events_round_trip_as_json() {
        let m = msg(false);
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Inbound>(&s).unwrap(), m);
    }
}
