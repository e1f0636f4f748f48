//! Builders for the updates a test pushes into the fake Telegram: users and chats (private,
//! group, supergroup, forum), text messages, replies, documents with their bytes, captions and
//! edits, shaped like real Bot API updates, with the entities Telegram would attach (mentions
//! and commands found in the text, text mentions on request), offsets counted in UTF-16.

use bytes::Bytes;
use serde_json::{Value, json};

use super::state::State;

/// A Telegram user as updates show them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TgUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    /// Without `@`.
    pub username: Option<String>,
    /// The client's language (`en`, `de`...).
    pub language_code: Option<String>,
    pub is_bot: bool,
}

impl TgUser {
    pub fn new(id: i64, first_name: &str) -> Self {
        Self {
            id,
            first_name: first_name.to_owned(),
            last_name: None,
            username: None,
            language_code: None,
            is_bot: false,
        }
    }

    pub fn username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }

    pub fn language(mut self, code: &str) -> Self {
        self.language_code = Some(code.to_owned());
        self
    }

    pub fn to_json(&self) -> Value {
        let mut user = json!({"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name});
        for (key, value) in [
            ("last_name", &self.last_name),
            ("username", &self.username),
            ("language_code", &self.language_code),
        ] {
            if let Some(v) = value {
                user[key] = json!(v);
            }
        }
        user
    }
}

/// A chat as updates show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TgChat {
    pub id: i64,
    pub kind: TgChatKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TgChatKind {
    Private {
        first_name: String,
        username: Option<String>,
    },
    Group {
        title: String,
    },
    Supergroup {
        title: String,
        /// Topics on: messages carry `message_thread_id`.
        is_forum: bool,
    },
}

impl TgChat {
    /// The private chat with `user` (same id, as on Telegram).
    pub fn private(user: &TgUser) -> Self {
        let kind = TgChatKind::Private {
            first_name: user.first_name.clone(),
            username: user.username.clone(),
        };
        Self { id: user.id, kind }
    }

    /// A basic group (`id` should be negative, like Telegram's).
    pub fn group(id: i64, title: &str) -> Self {
        let title = title.to_owned();
        Self {
            id,
            kind: TgChatKind::Group { title },
        }
    }

    /// A supergroup (ids like `-100...`).
    pub fn supergroup(id: i64, title: &str) -> Self {
        let (title, is_forum) = (title.to_owned(), false);
        Self {
            id,
            kind: TgChatKind::Supergroup { title, is_forum },
        }
    }

    /// A supergroup with topics.
    pub fn forum(id: i64, title: &str) -> Self {
        let (title, is_forum) = (title.to_owned(), true);
        Self {
            id,
            kind: TgChatKind::Supergroup { title, is_forum },
        }
    }

    pub fn to_json(&self) -> Value {
        match &self.kind {
            TgChatKind::Private {
                first_name,
                username,
            } => {
                let mut chat = json!({"id": self.id, "type": "private", "first_name": first_name});
                if let Some(u) = username {
                    chat["username"] = json!(u);
                }
                chat
            }
            TgChatKind::Group { title } => json!({"id": self.id, "type": "group", "title": title}),
            TgChatKind::Supergroup { title, is_forum } => {
                let mut chat = json!({"id": self.id, "type": "supergroup", "title": title});
                if *is_forum {
                    chat["is_forum"] = json!(true);
                }
                chat
            }
        }
    }
}

/// An incoming message to push (see `FakeTelegram::push`).
#[derive(Clone, Debug)]
pub struct Incoming {
    chat: TgChat,
    from: TgUser,
    text: Option<String>,
    caption: Option<String>,
    /// File name, MIME type, bytes.
    document: Option<(String, Option<String>, Bytes)>,
    reply_to: Option<i64>,
    thread_id: Option<i64>,
    /// Marked substrings and the users they mention.
    text_mentions: Vec<(String, TgUser)>,
    /// Push an edit of this message instead of a new one.
    edit_of: Option<i64>,
}

impl Incoming {
    pub fn text(chat: &TgChat, from: &TgUser, text: &str) -> Self {
        Self {
            chat: chat.clone(),
            from: from.clone(),
            text: Some(text.to_owned()),
            caption: None,
            document: None,
            reply_to: None,
            thread_id: None,
            text_mentions: Vec::new(),
            edit_of: None,
        }
    }

    /// A document whose bytes the fake then serves through `getFile` and the file route.
    pub fn document(
        chat: &TgChat,
        from: &TgUser,
        file_name: &str,
        bytes: impl Into<Bytes>,
    ) -> Self {
        let mut incoming = Self::text(chat, from, "");
        incoming.text = None;
        incoming.document = Some((file_name.to_owned(), None, bytes.into()));
        incoming
    }

    pub fn caption(mut self, caption: &str) -> Self {
        self.caption = Some(caption.to_owned());
        self
    }

    pub fn mime_type(mut self, mime: &str) -> Self {
        if let Some(doc) = &mut self.document {
            doc.1 = Some(mime.to_owned());
        }
        self
    }

    pub fn reply_to(mut self, message_id: i64) -> Self {
        self.reply_to = Some(message_id);
        self
    }

    /// In a forum topic.
    pub fn in_thread(mut self, thread_id: i64) -> Self {
        self.thread_id = Some(thread_id);
        self
    }

    /// Marks the first occurrence of `needle` in the text as a mention of `user` (how Telegram
    /// shows mentions of users without a username).
    pub fn text_mention(mut self, needle: &str, user: &TgUser) -> Self {
        self.text_mentions.push((needle.to_owned(), user.clone()));
        self
    }

    /// An edit of message `message_id` (pushed as `edited_message`).
    pub fn edit_of(mut self, message_id: i64) -> Self {
        self.edit_of = Some(message_id);
        self
    }

    /// The update body (without `update_id`) and the message id it carries.
    pub(super) fn into_update(self, state: &mut State, date: i64) -> (Value, i64) {
        let chat = self.chat.to_json();
        state.remember_chat(&chat);
        let message_id = match self.edit_of {
            Some(id) => id,
            None => state.next_message_id(self.chat.id),
        };
        let mut message = json!({
            "message_id": message_id,
            "from": self.from.to_json(),
            "chat": chat,
            "date": date,
        });
        if let Some(text) = &self.text {
            message["text"] = json!(text);
            let entities = self.entities(text);
            if !entities.is_empty() {
                message["entities"] = json!(entities);
            }
        }
        if let Some((name, mime, bytes)) = self.document.clone() {
            let file = state.register_file(&name, mime.as_deref(), bytes);
            message["document"] = file.document_json();
        }
        if let Some(caption) = &self.caption {
            message["caption"] = json!(caption);
            let entities = self.entities(caption);
            if !entities.is_empty() {
                message["caption_entities"] = json!(entities);
            }
        }
        if let Some(thread) = self.thread_id {
            message["message_thread_id"] = json!(thread);
            message["is_topic_message"] = json!(true);
        }
        if let Some(target) = self.reply_to {
            message["reply_to_message"] = state
                .messages
                .get(&(self.chat.id, target))
                .cloned()
                .unwrap_or_else(
                    || json!({"message_id": target, "chat": chat_of(&message), "date": date}),
                );
        }
        let key = if self.edit_of.is_some() {
            message["edit_date"] = json!(date);
            "edited_message"
        } else {
            "message"
        };
        (json!({ key: message }), message_id)
    }

    fn entities(&self, text: &str) -> Vec<Value> {
        let mut entities = detect_entities(text);
        for (needle, user) in &self.text_mentions {
            if let Some(at) = text.find(needle.as_str()) {
                entities.push(json!({
                    "type": "text_mention",
                    "offset": utf16_len(&text[..at]),
                    "length": utf16_len(needle),
                    "user": user.to_json(),
                }));
            }
        }
        entities.sort_by_key(|e| e["offset"].as_u64());
        entities
    }
}

fn chat_of(message: &Value) -> Value {
    message.get("chat").cloned().unwrap_or(Value::Null)
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The entities Telegram finds in a plain text by itself: `@username` mentions and
/// `/command` or `/command@bot` bot commands, at word starts.
pub(super) fn detect_entities(text: &str) -> Vec<Value> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut entities = Vec::new();
    let mut offset = 0; // UTF-16 offset of the current char
    let mut prev: Option<char> = None;
    let mut skip_to = 0; // byte index before which chars belong to an entity already found
    for (i, c) in text.char_indices() {
        let starts_word = prev.is_none_or(|p| !(word(p) || matches!(p, '/' | '@' | '<' | '>')));
        if i >= skip_to && starts_word && (c == '@' || c == '/') {
            let rest = &text[i + 1..];
            let mut len = rest.find(|ch: char| !word(ch)).unwrap_or(rest.len());
            if c == '/' && rest[len..].starts_with('@') {
                let bot = &rest[len + 1..];
                let bot_len = bot.find(|ch: char| !word(ch)).unwrap_or(bot.len());
                if bot_len >= 3 {
                    len += 1 + bot_len;
                }
            }
            let enough = if c == '@' { len >= 3 } else { len >= 1 };
            if enough {
                let kind = if c == '@' { "mention" } else { "bot_command" };
                entities.push(json!({"type": kind, "offset": offset, "length": 1 + len}));
                skip_to = i + 1 + len;
            }
        }
        offset += c.len_utf16();
        prev = Some(c);
    }
    entities
}
