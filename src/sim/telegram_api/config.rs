//! How the fake Telegram Bot API behaves: which bots it knows and which faults it injects.
//! Kept apart from the server so tests can build and change a configuration while it runs.

use std::collections::HashMap;
use std::time::Duration;

/// How the fake behaves. Changeable while running with `FakeTelegram::set_config`, which also
/// re-arms every chat's throttle counter from `chats`.
#[derive(Clone, Debug)]
pub struct FakeTelegramConfig {
    /// The bots whose tokens are accepted; any other token answers 401. The first one is the
    /// bot the test helpers (`push_message`, `commands`, `webhook`) act for.
    pub bots: Vec<FakeBot>,
    /// The longest a `getUpdates` waits when nothing is pending (also capped by the request's
    /// own `timeout`). Teloxide gives up on a poll after 17 s, so this stays short.
    pub long_poll_max: Duration,
    /// Added before every answer, to see what slow Telegram does to the pipeline.
    pub latency: Duration,
    /// Probability (0..1) that a message send answers 500, like Telegram's rare internal errors.
    pub server_error_rate: f64,
    /// Seed of the dice behind `server_error_rate` (reproducible runs).
    pub seed: u64,
    /// Answer "can't parse entities" to every send that carries a `parse_mode`.
    pub reject_parse_mode: bool,
    /// Faults for single chats, by chat id.
    pub chats: HashMap<i64, ChatFaults>,
}

impl Default for FakeTelegramConfig {
    /// One bot (`123456:TEST-TOKEN`, `@fake_bot`), no latency, no faults.
    fn default() -> Self {
        Self {
            bots: vec![FakeBot::new("123456:TEST-TOKEN", "fake_bot")],
            long_poll_max: Duration::from_secs(1),
            latency: Duration::ZERO,
            server_error_rate: 0.0,
            seed: 0,
            reject_parse_mode: false,
            chats: HashMap::new(),
        }
    }
}

impl FakeTelegramConfig {
    /// The default configuration with these bot tokens (usernames `fake_bot`, `fake_bot2`...).
    pub fn with_tokens(tokens: &[&str]) -> Self {
        let bots = tokens
            .iter()
            .enumerate()
            .map(|(i, token)| {
                let username = if i == 0 {
                    "fake_bot".to_owned()
                } else {
                    format!("fake_bot{}", i + 1)
                };
                FakeBot::new(token, &username)
            })
            .collect();
        Self {
            bots,
            ..Self::default()
        }
    }

    /// The faults for `chat` (none when not configured).
    pub(super) fn chat(&self, chat: i64) -> ChatFaults {
        self.chats.get(&chat).cloned().unwrap_or_default()
    }
}

/// A bot the fake answers for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeBot {
    /// The whole token as it appears in URLs (`<id>:<secret>`).
    pub token: String,
    /// `getMe`'s `username` (without `@`); mentions of it address the bot in groups.
    pub username: String,
    /// `getMe`'s `first_name`.
    pub first_name: String,
}

impl FakeBot {
    pub fn new(token: &str, username: &str) -> Self {
        Self {
            token: token.to_owned(),
            username: username.to_owned(),
            first_name: "Fake Bot".to_owned(),
        }
    }

    /// The bot's user id: the token's part before `:` like real tokens, or a stable hash of the
    /// token when that part is not a number.
    pub fn id(&self) -> i64 {
        let prefix = self.token.split(':').next().unwrap_or_default();
        prefix.parse().unwrap_or_else(|_| {
            let hash = self.token.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            i64::try_from(hash >> 24).unwrap_or(1)
        })
    }
}

/// Faults for one chat (sends to it, and chat actions for the permanent errors).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatFaults {
    /// The next `count` message sends answer 429 with `retry_after`.
    pub throttle: Option<Throttle>,
    /// Every request naming this chat fails with this error.
    pub permanent: Option<PermanentError>,
    /// Answer "can't parse entities" to sends with a `parse_mode` to this chat.
    pub reject_parse_mode: bool,
}

/// A burst of flood-control answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    /// How many sends are refused before the chat accepts again.
    pub count: u32,
    /// `parameters.retry_after` of each refusal, in seconds.
    pub retry_after_secs: u64,
}

/// A chat that can never be written to, as real Telegram reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermanentError {
    /// 403 "Forbidden: bot was blocked by the user".
    Blocked,
    /// 403 "Forbidden: bot was kicked from the group chat".
    Kicked,
    /// 400 "Bad Request: chat not found".
    ChatNotFound,
}

impl PermanentError {
    /// The status and description Telegram answers with.
    pub(super) fn answer(self) -> (u16, &'static str) {
        match self {
            Self::Blocked => (403, "Forbidden: bot was blocked by the user"),
            Self::Kicked => (403, "Forbidden: bot was kicked from the group chat"),
            Self::ChatNotFound => (400, "Bad Request: chat not found"),
        }
    }
}
