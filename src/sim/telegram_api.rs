//! A fake Telegram Bot API for tests and `switchboard simulate`: a real HTTP server on
//! 127.0.0.1 that teloxide (or any client) talks to through its API URL setting. It keeps
//! Telegram's wire shapes and rules (token check, update offsets and long polling, message ids
//! per chat, HTML checks, length limits, webhooks, files) and injects faults per chat (flood
//! control with `retry_after`, blocked users, missing chats, entity errors, server errors,
//! latency) that can be changed while it runs. Tests push incoming messages and read back what
//! the bot sent.

mod config;
mod faults;
mod handlers;
mod html;
mod params;
mod polling;
mod records;
mod sends;
mod state;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_client;
#[cfg(test)]
mod tests_refusals;
#[cfg(test)]
mod tests_teloxide;
mod updates;
mod webhook;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use axum::serve::ListenerExt;
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use config::{ChatFaults, FakeBot, FakeTelegramConfig, PermanentError, Throttle};
pub use records::{
    BotCommand, Call, ChatCounters, Pushed, Sent, SentDocument, WaitTimeout, Webhook,
};
pub use updates::{Incoming, TgChat, TgChatKind, TgUser};
pub use webhook::SECRET_HEADER;

use self::state::State;

/// State shared by the handlers and the handle.
struct Shared {
    /// The current configuration (swapped whole).
    config: RwLock<Arc<FakeTelegramConfig>>,
    /// Everything the fake remembers.
    state: Mutex<State>,
    /// Woken when an update is queued, a webhook set or a poll starts: waiting polls look
    /// again.
    updates: Notify,
    /// Woken when a send lands (`wait_for_sent`).
    sends: Notify,
    /// Cancelled when the handle is dropped: stops the server and ends waiting polls.
    stop: CancellationToken,
}

impl Shared {
    fn config(&self) -> Arc<FakeTelegramConfig> {
        self.config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Seconds since the Unix epoch (message dates).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A running fake Telegram; it stops when this handle is dropped.
pub struct FakeTelegram {
    /// Where it listens.
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeTelegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTelegram")
            .field("addr", &self.addr)
            .finish()
    }
}

impl FakeTelegram {
    /// Binds 127.0.0.1 on a free port and serves on a tokio task.
    pub async fn start(cfg: FakeTelegramConfig) -> std::io::Result<FakeTelegram> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(&cfg)),
            config: RwLock::new(Arc::new(cfg)),
            updates: Notify::new(),
            sends: Notify::new(),
            stop: CancellationToken::new(),
        });
        let app = handlers::router(Arc::clone(&shared));
        let stop = shared.stop.clone();
        let listener = listener.tap_io(|tcp| {
            // Small answers should not wait for Nagle's algorithm.
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "fake Telegram server stopped with an error");
            }
        });
        tracing::debug!(%addr, "fake Telegram server listening");
        Ok(FakeTelegram { addr, shared })
    }

    /// `http://127.0.0.1:<port>`: the API URL to give the bot (requests go to
    /// `<base>/bot<token>/<method>`, files to `<base>/file/bot<token>/<path>`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The first configured bot's token (empty when none is configured).
    pub fn token(&self) -> String {
        let cfg = self.shared.config();
        cfg.bots
            .first()
            .map(|b| b.token.clone())
            .unwrap_or_default()
    }

    pub fn config(&self) -> FakeTelegramConfig {
        self.shared.config().as_ref().clone()
    }

    /// Changes behaviour for requests that arrive from now on; re-arms every chat's throttle.
    pub fn set_config(&self, cfg: FakeTelegramConfig) {
        self.shared.state().configure(&cfg);
        *self
            .shared
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(cfg);
    }

    /// Replaces one chat's faults (re-arming its throttle only).
    pub fn set_chat_faults(&self, chat: i64, faults: ChatFaults) {
        let mut cfg = self.config();
        let count = faults.throttle.map_or(0, |t| t.count);
        cfg.chats.insert(chat, faults);
        *self
            .shared
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(cfg);
        self.shared.state().arm(chat, count);
    }

    /// The next `count` message sends to `chat` answer 429 with `retry_after_secs`.
    pub fn throttle_chat(&self, chat: i64, count: u32, retry_after_secs: u64) {
        let mut faults = self.config().chat(chat);
        faults.throttle = Some(Throttle {
            count,
            retry_after_secs,
        });
        self.set_chat_faults(chat, faults);
    }

    /// Every request naming `chat` fails with `error` (None: the chat works again).
    pub fn set_permanent_error(&self, chat: i64, error: Option<PermanentError>) {
        let mut faults = self.config().chat(chat);
        faults.permanent = error;
        self.set_chat_faults(chat, faults);
    }

    /// Sends with a `parse_mode` answer "can't parse entities" (all chats) while `on`.
    pub fn set_reject_parse_mode(&self, on: bool) {
        let mut cfg = self.config();
        cfg.reject_parse_mode = on;
        *self
            .shared
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(cfg);
    }

    /// Queues an incoming message (or edit) for the first bot (zero ids when the fake has no
    /// bot).
    pub fn push(&self, incoming: Incoming) -> Pushed {
        let token = self.token();
        self.push_for(&token, incoming).unwrap_or(Pushed {
            update_id: 0,
            message_id: 0,
        })
    }

    /// Queues an incoming message for the bot with `token` (None: the fake has no such bot).
    pub fn push_for(&self, token: &str, incoming: Incoming) -> Option<Pushed> {
        let mut state = self.shared.state();
        if !state.bots.contains_key(token) {
            return None;
        }
        let (body, message_id) = incoming.into_update(&mut state, unix_now());
        let update_id = state.enqueue(token, body)?;
        drop(state);
        self.shared.updates.notify_waiters();
        Some(Pushed {
            update_id,
            message_id,
        })
    }

    /// A text message from `from` in `chat`.
    pub fn push_message(&self, chat: &TgChat, from: &TgUser, text: &str) -> Pushed {
        self.push(Incoming::text(chat, from, text))
    }

    /// A text message answering message `reply_to` of the same chat.
    pub fn push_reply(&self, chat: &TgChat, from: &TgUser, text: &str, reply_to: i64) -> Pushed {
        self.push(Incoming::text(chat, from, text).reply_to(reply_to))
    }

    /// A document (served afterwards through `getFile` and the file route), with a caption.
    pub fn push_document(
        &self,
        chat: &TgChat,
        from: &TgUser,
        file_name: &str,
        bytes: impl Into<Bytes>,
        caption: Option<&str>,
    ) -> Pushed {
        let mut incoming = Incoming::document(chat, from, file_name, bytes);
        if let Some(caption) = caption {
            incoming = incoming.caption(caption);
        }
        self.push(incoming)
    }

    /// An edit of message `message_id` to `text`.
    pub fn push_edit(&self, chat: &TgChat, from: &TgUser, message_id: i64, text: &str) -> Pushed {
        self.push(Incoming::text(chat, from, text).edit_of(message_id))
    }

    /// Queues a raw update body for the first bot, malformed ones included. An object without
    /// `update_id` gets the next one; returns the id offsets compare against.
    pub fn push_update(&self, update: Value) -> i64 {
        let token = self.token();
        self.push_update_for(&token, update).unwrap_or_default()
    }

    /// Like `push_update`, for the bot with `token` (None: the fake has no such bot).
    pub fn push_update_for(&self, token: &str, update: Value) -> Option<i64> {
        let id = self.shared.state().enqueue(token, update)?;
        self.shared.updates.notify_waiters();
        Some(id)
    }

    /// Updates the first bot has not confirmed yet.
    pub fn pending_updates(&self) -> usize {
        let token = self.token();
        let state = self.shared.state();
        state.bots.get(&token).map_or(0, polling::pending)
    }

    /// The sends that landed, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.state().sent.clone()
    }

    /// Calls of `method` (any case), in order, whatever they were answered.
    pub fn calls(&self, method: &str) -> Vec<Call> {
        let state = self.shared.state();
        state
            .calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// How requests naming `chat` went.
    pub fn chat_counters(&self, chat: i64) -> ChatCounters {
        let state = self.shared.state();
        state
            .chats
            .get(&chat)
            .map(|c| c.counters)
            .unwrap_or_default()
    }

    /// The first bot's command menu for the default scope and all languages.
    pub fn commands(&self) -> Vec<BotCommand> {
        self.commands_for(&self.token(), None, None)
    }

    /// A bot's command menu for a scope (`{"type":"all_private_chats"}`...) and language.
    pub fn commands_for(
        &self,
        token: &str,
        scope: Option<&Value>,
        language: Option<&str>,
    ) -> Vec<BotCommand> {
        let key = handlers::menu_key(scope, language);
        let state = self.shared.state();
        state
            .bots
            .get(token)
            .and_then(|b| b.commands.get(&key).cloned())
            .unwrap_or_default()
    }

    /// The first bot's webhook, if one is set.
    pub fn webhook(&self) -> Option<Webhook> {
        self.webhook_for(&self.token())
    }

    pub fn webhook_for(&self, token: &str) -> Option<Webhook> {
        let state = self.shared.state();
        state.bots.get(token).and_then(|b| b.webhook.clone())
    }

    /// Waits until at least `n` sends landed; the error carries what had landed by `timeout`.
    pub async fn wait_for_sent(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Sent>, WaitTimeout> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.sends.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let sent = self.sent();
            if sent.len() >= n {
                return Ok(sent);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(WaitTimeout {
                    wanted: n,
                    sent: self.sent(),
                });
            }
        }
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.shared.stop.cancel();
    }
}
