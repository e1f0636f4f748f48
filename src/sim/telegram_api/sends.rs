//! The sends: `sendMessage` and `sendDocument` pass the chat's faults and Telegram's text checks,
//! then get a message id (increasing per chat), are answered with a realistic `Message`, stored
//! as reply targets and recorded for tests; `sendChatAction` is checked and counted.

use serde_json::{Value, json};

use super::config::FakeTelegramConfig;
use super::faults::{self, Body, TgError};
use super::params::Params;
use super::records::{Sent, SentDocument};
use super::state::State;
use super::{Shared, unix_now};

/// Actions `sendChatAction` accepts.
const ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

/// The parts of a send that do not depend on its kind.
struct Common {
    chat: i64,
    parse_mode: Option<String>,
    /// The message it answers, and whether sending goes ahead when that message is gone.
    reply_to: Option<i64>,
    allow_without_reply: bool,
    reply_parameters: Option<Value>,
    thread: Option<i64>,
}

impl Common {
    fn read(params: &Params) -> Result<Self, TgError> {
        let chat = params.chat_id()?;
        let reply_parameters = params.json("reply_parameters")?;
        let (reply_to, allow_without_reply) = match &reply_parameters {
            Some(rp) => (
                rp.get("message_id").and_then(Value::as_i64),
                rp.get("allow_sending_without_reply")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ),
            None => (
                params.int("reply_to_message_id")?,
                params.flag("allow_sending_without_reply"),
            ),
        };
        Ok(Self {
            chat,
            parse_mode: params.str("parse_mode").filter(|m| !m.is_empty()),
            reply_to,
            allow_without_reply,
            reply_parameters,
            thread: params.int("message_thread_id")?,
        })
    }

    /// The new message's skeleton: fresh id, the bot as sender, the chat, thread and reply.
    fn message(
        &self,
        state: &mut State,
        cfg: &FakeTelegramConfig,
        token: &str,
    ) -> Result<Value, TgError> {
        let replied = match self.reply_to {
            Some(id) => match state.messages.get(&(self.chat, id)) {
                Some(m) => Some(m.clone()),
                None if self.allow_without_reply => None,
                None => {
                    return Err(TgError::bad("Bad Request: message to be replied not found"));
                }
            },
            None => None,
        };
        let bot = cfg.bots.iter().find(|b| b.token == token);
        let from = json!({
            "id": bot.map_or(0, |b| b.id()),
            "is_bot": true,
            "first_name": bot.map_or("", |b| b.first_name.as_str()),
            "username": bot.map_or("", |b| b.username.as_str()),
        });
        let id = state.next_message_id(self.chat);
        let chat = state.chat_mut(self.chat).chat.clone();
        let mut message = json!({
            "message_id": id,
            "from": from,
            "chat": chat,
            "date": unix_now(),
        });
        if let Some(thread) = self.thread {
            message["message_thread_id"] = json!(thread);
            message["is_topic_message"] = json!(true);
        }
        if let Some(replied) = replied {
            message["reply_to_message"] = replied;
        }
        Ok(message)
    }

    fn record(&self, bot_id: i64, method: &'static str, message_id: i64) -> Sent {
        Sent {
            bot_id,
            method,
            chat_id: self.chat,
            message_id,
            text: None,
            caption: None,
            parse_mode: self.parse_mode.clone(),
            reply_to_message_id: self.reply_to,
            reply_parameters: self.reply_parameters.clone(),
            message_thread_id: self.thread,
            link_preview_options: None,
            document: None,
        }
    }
}

/// Counts the outcome of a send to `chat`.
fn count(state: &mut State, chat: i64, result: &Result<Value, TgError>) {
    let counters = &mut state.chat_mut(chat).counters;
    match result {
        Ok(_) => counters.delivered += 1,
        Err(e) if e.code == 429 => counters.throttled += 1,
        Err(_) => counters.failed += 1,
    }
}

fn bot_id(cfg: &FakeTelegramConfig, token: &str) -> i64 {
    cfg.bots
        .iter()
        .find(|b| b.token == token)
        .map_or(0, |b| b.id())
}

pub(super) fn send_message(
    shared: &Shared,
    cfg: &FakeTelegramConfig,
    token: &str,
    params: &Params,
) -> Result<Value, TgError> {
    let common = Common::read(params)?;
    let text = params.str("text").unwrap_or_default();
    let link_preview_options = params.json("link_preview_options")?;
    let mut state = shared.state();
    let result = (|| {
        faults::send_gate(&mut state, cfg, common.chat)?;
        let parsed = faults::check_text(
            cfg,
            common.chat,
            &text,
            common.parse_mode.as_deref(),
            Body::Text,
        )?;
        let mut message = common.message(&mut state, cfg, token)?;
        message["text"] = json!(parsed.text);
        if !parsed.entities.is_empty() {
            message["entities"] = json!(parsed.entities);
        }
        if let Some(options) = &link_preview_options {
            message["link_preview_options"] = options.clone();
        }
        state.store_message(&message);
        let message_id = message["message_id"].as_i64().unwrap_or_default();
        let mut sent = common.record(bot_id(cfg, token), "sendMessage", message_id);
        sent.text = Some(text.clone());
        sent.link_preview_options = link_preview_options.clone();
        state.sent.push(sent);
        Ok(message)
    })();
    count(&mut state, common.chat, &result);
    drop(state);
    if result.is_ok() {
        shared.sends.notify_waiters();
    }
    result
}

pub(super) fn send_document(
    shared: &Shared,
    cfg: &FakeTelegramConfig,
    token: &str,
    params: &Params,
) -> Result<Value, TgError> {
    let common = Common::read(params)?;
    let upload = params.upload("document")?;
    let reused = params.str("document").unwrap_or_default();
    let caption = params.str("caption");
    let mut state = shared.state();
    let result = (|| {
        faults::send_gate(&mut state, cfg, common.chat)?;
        let parsed = match &caption {
            Some(c) => Some(faults::check_text(
                cfg,
                common.chat,
                c,
                common.parse_mode.as_deref(),
                Body::Caption,
            )?),
            None => None,
        };
        let file = match &upload {
            Some(up) if up.bytes.is_empty() => {
                return Err(TgError::bad("Bad Request: file must be non-empty"));
            }
            Some(_) => None,
            None => Some(state.files.get(&reused).cloned().ok_or_else(|| {
                TgError::bad("Bad Request: wrong file identifier/HTTP URL specified")
            })?),
        };
        let mut message = common.message(&mut state, cfg, token)?;
        let file = match (file, &upload) {
            (Some(file), _) => file,
            (None, Some(up)) => {
                let name = if up.file_name.is_empty() {
                    "document"
                } else {
                    up.file_name.as_str()
                };
                state.register_file(name, up.mime_type.as_deref(), up.bytes.clone())
            }
            (None, None) => {
                return Err(TgError::bad(
                    "Bad Request: there is no document in the request",
                ));
            }
        };
        message["document"] = file.document_json();
        if let Some(parsed) = parsed {
            message["caption"] = json!(parsed.text);
            if !parsed.entities.is_empty() {
                message["caption_entities"] = json!(parsed.entities);
            }
        }
        state.store_message(&message);
        let message_id = message["message_id"].as_i64().unwrap_or_default();
        let mut sent = common.record(bot_id(cfg, token), "sendDocument", message_id);
        sent.caption = caption.clone();
        sent.document = Some(SentDocument {
            file_name: file.file_name.clone(),
            mime_type: file.mime_type.clone(),
            bytes: file.bytes.clone(),
            file_id: file.file_id.clone(),
        });
        state.sent.push(sent);
        Ok(message)
    })();
    count(&mut state, common.chat, &result);
    drop(state);
    if result.is_ok() {
        shared.sends.notify_waiters();
    }
    result
}

pub(super) fn send_chat_action(
    shared: &Shared,
    cfg: &FakeTelegramConfig,
    params: &Params,
) -> Result<Value, TgError> {
    let chat = params.chat_id()?;
    let action = params.str("action").unwrap_or_default();
    if !ACTIONS.contains(&action.as_str()) {
        return Err(TgError::bad(
            "Bad Request: wrong parameter action in request",
        ));
    }
    faults::permanent(cfg, chat)?;
    shared.state().chat_mut(chat).counters.chat_actions += 1;
    Ok(json!(true))
}
