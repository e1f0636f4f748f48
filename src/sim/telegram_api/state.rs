//! The fake Telegram's memory behind one lock: per-bot update queues and settings, the chats it
//! has seen (message id sequences, counters, throttles), the messages replies can point at, the
//! files it can serve, and the records tests read.

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::config::FakeTelegramConfig;
use super::records::{BotCommand, Call, ChatCounters, Sent, Webhook};

/// Supergroup and channel ids start below this (`-100` followed by 10 digits).
const SUPERGROUP_IDS: i64 = -1_000_000_000_000;

pub(super) struct State {
    /// Per bot, by token.
    pub bots: HashMap<String, BotState>,
    /// Chats by id, learnt from pushed messages or made up on first send.
    pub chats: HashMap<i64, ChatState>,
    /// Every message pushed or sent, by (chat, message id): what `reply_to_message` shows.
    pub messages: HashMap<(i64, i64), Value>,
    /// Files by `file_id`.
    pub files: HashMap<String, StoredFile>,
    /// The next `update_id` handed out (raw updates with a higher id push it up).
    pub next_update_id: i64,
    /// Numbers file ids and paths.
    pub next_file: u64,
    /// Sends that landed, in order.
    pub sent: Vec<Sent>,
    /// Every call, in order.
    pub calls: Vec<Call>,
    /// The dice for injected server errors.
    pub rng: StdRng,
}

pub(super) struct BotState {
    /// Updates not yet confirmed by an offset past them.
    pub updates: VecDeque<QueuedUpdate>,
    /// The last `allowed_updates` a `getUpdates` or `setWebhook` gave (None: the default).
    pub allowed_updates: Option<Vec<String>>,
    pub webhook: Option<Webhook>,
    /// Command menus by (scope as JSON, or "" for the default scope; language or "").
    pub commands: BTreeMap<(String, String), Vec<BotCommand>>,
    /// Bumped by each `getUpdates`: a poll still waiting when it changes was superseded.
    pub poll_generation: u64,
}

/// An update waiting in a bot's queue.
pub(super) struct QueuedUpdate {
    /// What offsets compare against (the body's `update_id`, or one assigned for raw bodies
    /// that lack it).
    pub id: i64,
    pub body: Value,
}

pub(super) struct ChatState {
    /// The chat object messages in it carry.
    pub chat: Value,
    /// The highest message id used in the chat (incoming and sent share the sequence).
    pub last_message_id: i64,
    pub counters: ChatCounters,
    /// Sends still to be refused with 429.
    pub throttle_left: u32,
}

#[derive(Clone)]
pub(super) struct StoredFile {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_path: String,
    pub file_name: String,
    pub mime_type: Option<String>,
    pub bytes: Bytes,
}

impl StoredFile {
    /// The `Document` object of a message carrying this file.
    pub fn document_json(&self) -> Value {
        let mut doc = json!({
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "file_size": self.bytes.len(),
        });
        if let Some(mime) = &self.mime_type {
            doc["mime_type"] = json!(mime);
        }
        doc
    }
}

impl State {
    pub fn new(cfg: &FakeTelegramConfig) -> Self {
        let mut state = Self {
            bots: HashMap::new(),
            chats: HashMap::new(),
            messages: HashMap::new(),
            files: HashMap::new(),
            next_update_id: 10_000,
            next_file: 1,
            sent: Vec::new(),
            calls: Vec::new(),
            rng: StdRng::seed_from_u64(cfg.seed),
        };
        state.configure(cfg);
        state
    }

    /// Applies a (new) configuration: adds bots it names, re-arms every chat's throttle and
    /// reseeds the dice. Bots it no longer names keep their state but their tokens answer 401.
    pub fn configure(&mut self, cfg: &FakeTelegramConfig) {
        for bot in &cfg.bots {
            self.bots
                .entry(bot.token.clone())
                .or_insert_with(|| BotState {
                    updates: VecDeque::new(),
                    allowed_updates: None,
                    webhook: None,
                    commands: BTreeMap::new(),
                    poll_generation: 0,
                });
        }
        for chat in self.chats.values_mut() {
            chat.throttle_left = 0;
        }
        for (&id, faults) in &cfg.chats {
            self.arm(id, faults.throttle.map_or(0, |t| t.count));
        }
        self.rng = StdRng::seed_from_u64(cfg.seed);
    }

    /// Sets how many sends to `chat` are refused with 429 from now on.
    pub fn arm(&mut self, chat: i64, count: u32) {
        self.chat_mut(chat).throttle_left = count;
    }

    /// The chat's state, made up from its id when the fake has not seen it.
    pub fn chat_mut(&mut self, id: i64) -> &mut ChatState {
        self.chats.entry(id).or_insert_with(|| ChatState {
            chat: made_up_chat(id),
            last_message_id: 0,
            counters: ChatCounters::default(),
            throttle_left: 0,
        })
    }

    /// Learns a chat's object (title, type, names) from a message in it.
    pub fn remember_chat(&mut self, chat: &Value) {
        if let Some(id) = chat.get("id").and_then(Value::as_i64) {
            self.chat_mut(id).chat = chat.clone();
        }
    }

    /// The next message id in `chat`.
    pub fn next_message_id(&mut self, chat: i64) -> i64 {
        let state = self.chat_mut(chat);
        state.last_message_id += 1;
        state.last_message_id
    }

    /// Remembers a message so replies can show it; learns its chat and keeps the chat's id
    /// sequence ahead of it.
    pub fn store_message(&mut self, message: &Value) {
        let (Some(chat), Some(id)) = (
            message.pointer("/chat/id").and_then(Value::as_i64),
            message.get("message_id").and_then(Value::as_i64),
        ) else {
            return;
        };
        if let Some(obj) = message.get("chat") {
            self.remember_chat(obj);
        }
        let state = self.chat_mut(chat);
        state.last_message_id = state.last_message_id.max(id);
        let mut stored = message.clone();
        if let Some(obj) = stored.as_object_mut() {
            // Telegram shows one level of replies only.
            obj.remove("reply_to_message");
        }
        self.messages.insert((chat, id), stored);
    }

    /// Registers bytes as a file with a fresh id and path.
    pub fn register_file(
        &mut self,
        file_name: &str,
        mime_type: Option<&str>,
        bytes: Bytes,
    ) -> StoredFile {
        let n = self.next_file;
        self.next_file += 1;
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, ext)| format!(".{ext}"))
            .unwrap_or_default();
        let file = StoredFile {
            file_id: format!("BQACAgIAAxkBAAI{n:06}"),
            file_unique_id: format!("AgAD{n:04}"),
            file_path: format!("documents/file_{n}{ext}"),
            file_name: file_name.to_owned(),
            mime_type: mime_type.map(str::to_owned),
            bytes,
        };
        self.files.insert(file.file_id.clone(), file.clone());
        file
    }

    /// Queues an update for the bot with `token`; returns its id, or None for an unknown token.
    /// An object without `update_id` gets the next one; messages in it become reply targets.
    pub fn enqueue(&mut self, token: &str, mut body: Value) -> Option<i64> {
        if !self.bots.contains_key(token) {
            return None;
        }
        let given = body.get("update_id").and_then(Value::as_i64);
        let id = match given {
            Some(id) => id,
            None => {
                let id = self.next_update_id;
                if let Some(obj) = body.as_object_mut() {
                    obj.insert("update_id".into(), json!(id));
                }
                id
            }
        };
        self.next_update_id = self.next_update_id.max(id + 1);
        if let Some(obj) = body.as_object() {
            for key in [
                "message",
                "edited_message",
                "channel_post",
                "edited_channel_post",
            ] {
                if let Some(message) = obj.get(key) {
                    self.store_message(message);
                }
            }
        }
        let bot = self.bots.get_mut(token)?;
        bot.updates.push_back(QueuedUpdate { id, body });
        Some(id)
    }
}

/// A plausible chat object for an id the fake never saw a message from.
fn made_up_chat(id: i64) -> Value {
    if id > 0 {
        json!({"id": id, "type": "private", "first_name": format!("User {id}")})
    } else if id <= SUPERGROUP_IDS {
        json!({"id": id, "type": "supergroup", "title": format!("Chat {id}")})
    } else {
        json!({"id": id, "type": "group", "title": format!("Chat {id}")})
    }
}
