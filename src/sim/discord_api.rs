//! A fake Discord for tests: a real HTTP server for the REST API (`/api/v10`, pointed at by
//! `platforms.discord.api_base`) and a real websocket gateway on 127.0.0.1, speaking Discord's
//! JSON. Tests set up servers, roles, channels, threads and users; make members write, reply and
//! invoke slash commands; read back what the bot posted (with webhook names, avatars and
//! `allowed_mentions` as sent) and every REST call; and inject Discord's faults: 10015 Unknown
//! Webhook, 429s with `retry_after` and rate-limit headers, 30007 Maximum webhooks, 50013 Missing
//! Permissions, 10003 Unknown Channel and server errors. Like Discord, every message the bot or
//! its webhooks create comes back through the gateway.

mod gateway;
mod model;
mod payloads;
mod rest;
mod sends;
mod state;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use model::{
    Call, FakeDiscordConfig, FakeGuild, FakeRole, FakeUser, FakeWebhook, Forbid, InteractionReply,
    Posted, SlashCommand, UserMessage, WaitTimeout,
};

use self::payloads::MessageParts;
use self::state::State;

/// State shared by the REST handler, the gateway and the handle.
struct Shared {
    config: FakeDiscordConfig,
    /// The bot token the REST API accepts.
    token: String,
    /// `ws://127.0.0.1:P`.
    gateway_url: String,
    state: Mutex<State>,
    /// Woken whenever a request was answered (waiters look again).
    changed: Notify,
    /// Cancelled when the handle is dropped.
    stop: CancellationToken,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running fake Discord; it stops when dropped.
pub struct FakeDiscord {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.shared.stop.cancel();
    }
}

impl FakeDiscord {
    /// Starts the REST server and the gateway on free ports. The bot token it accepts is any
    /// token given by [`FakeDiscord::start_with_token`]; this one accepts `discord-test-token`.
    pub async fn start(cfg: FakeDiscordConfig) -> std::io::Result<FakeDiscord> {
        Self::start_with_token(cfg, "discord-test-token").await
    }

    pub async fn start_with_token(
        cfg: FakeDiscordConfig,
        token: &str,
    ) -> std::io::Result<FakeDiscord> {
        let rest = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let gw = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = rest.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(&cfg)),
            config: cfg,
            token: token.to_owned(),
            gateway_url: format!("ws://{}", gw.local_addr()?),
            changed: Notify::new(),
            stop: CancellationToken::new(),
        });
        tokio::spawn(gateway::serve(gw, shared.clone()));
        let app = axum::Router::new()
            .fallback(rest::handle)
            .with_state(shared.clone());
        let stop = shared.stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(rest, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
        });
        Ok(FakeDiscord { addr, shared })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn bot_user_id(&self) -> u64 {
        self.shared.config.bot_user_id
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    /// Adds a server; a connected shard that owns it gets its GUILD_CREATE at once.
    pub fn add_guild(&self, g: FakeGuild) {
        let mut st = self.state();
        let g = st.add_guild(g);
        let d = payloads::guild(&g, &[]);
        st.dispatch(Some(g.id), "GUILD_CREATE", d);
    }

    pub fn add_thread(&self, guild: u64, parent: u64, thread: u64) {
        self.state().threads.insert(thread, (guild, parent));
    }

    pub fn add_user(&self, u: FakeUser) {
        self.state().users.insert(u.id, u);
    }

    pub fn dm_channel(&self, user: u64) -> u64 {
        self.state().dm_channel(user)
    }

    /// A member writes; returns the message id.
    pub fn user_message(&self, m: UserMessage) -> u64 {
        let mut st = self.state();
        let id = st.next_id();
        let author = st.user(m.author);
        let reply = m.reply_to.and_then(|r| st.messages.get(&r).cloned());
        let base = format!("http://{}", self.addr);
        let mut attachments = Vec::new();
        for (i, (name, bytes, ctype)) in m.attachments.iter().enumerate() {
            let aid = id + i as u64 + 1;
            st.files.insert(aid, bytes.clone());
            attachments.push(json!({
                "id": aid.to_string(), "filename": name, "size": bytes.len(),
                "content_type": ctype, "url": format!("{base}/attachments/{aid}/{name}"),
                "proxy_url": "",
            }));
        }
        let msg = payloads::message(MessageParts {
            id,
            channel: m.channel,
            guild: m.guild,
            author: payloads::user(&author),
            member: m.guild.map(|_| payloads::member(&author, &m.roles, None)),
            content: &m.content,
            webhook_id: None,
            application_id: None,
            reply_to: reply,
            attachments,
            flags: 0,
        });
        st.messages.insert(id, msg.clone());
        st.dispatch(m.guild, "MESSAGE_CREATE", msg);
        id
    }

    /// Discord delivers the same MESSAGE_CREATE again.
    pub fn replay(&self, id: u64) {
        let mut st = self.state();
        if let Some(msg) = st.messages.get(&id).cloned() {
            let guild = msg["guild_id"].as_str().and_then(|g| g.parse().ok());
            st.dispatch(guild, "MESSAGE_CREATE", msg);
        }
    }

    /// A member edits a message (MESSAGE_UPDATE with an edit time).
    pub fn edit_message(&self, id: u64, content: &str) {
        let mut st = self.state();
        if let Some(mut msg) = st.messages.get(&id).cloned() {
            msg["content"] = json!(content);
            msg["edited_timestamp"] = json!(payloads::timestamp(st.next_id()));
            let guild = msg["guild_id"].as_str().and_then(|g| g.parse().ok());
            st.messages.insert(id, msg.clone());
            st.dispatch(guild, "MESSAGE_UPDATE", msg);
        }
    }

    /// A member invokes a slash command; returns the interaction id.
    pub fn slash_command(&self, s: SlashCommand) -> u64 {
        let mut st = self.state();
        let id = st.next_id();
        let token = format!("itoken-{id}");
        st.interactions.insert(id, (token.clone(), false));
        let user = st.user(s.user);
        let options: Vec<Value> = s
            .options
            .iter()
            .map(|(name, value)| json!({"name": name, "type": 3, "value": value}))
            .collect();
        let mut d = json!({
            "id": id.to_string(),
            "application_id": st.bot.id.to_string(),
            "type": 2,
            "data": {"id": "1", "name": s.name, "type": 1, "options": options},
            "channel_id": s.channel.to_string(),
            "channel": payloads::channel(s.channel, if s.guild.is_some() { 0 } else { 1 }, s.guild, None),
            "token": token,
            "version": 1,
            "app_permissions": "2248473465835073",
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": if s.guild.is_some() { 0 } else { 1 },
            "attachment_size_limit": 10_485_760,
        });
        match s.guild {
            Some(g) => {
                let perms = st.permissions(g, s.user, &s.roles);
                d["guild_id"] = json!(g.to_string());
                d["guild_locale"] = json!("en-US");
                d["member"] = payloads::member(&user, &s.roles, Some(perms));
            }
            None => d["user"] = payloads::user(&user),
        }
        st.dispatch(s.guild, "INTERACTION_CREATE", d);
        id
    }

    pub fn messages(&self) -> Vec<Posted> {
        self.state().posted.clone()
    }

    pub fn interaction_responses(&self) -> Vec<InteractionReply> {
        self.state().replies.clone()
    }

    pub fn requests(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    pub fn webhooks(&self, channel: u64) -> Vec<FakeWebhook> {
        let mut v: Vec<FakeWebhook> = self
            .state()
            .webhooks
            .values()
            .filter(|w| w.channel_id == channel)
            .cloned()
            .collect();
        v.sort_by_key(|w| w.id);
        v
    }

    pub fn typing(&self) -> Vec<(u64, Instant)> {
        self.state().typing.clone()
    }

    pub fn identifies(&self) -> Vec<Value> {
        self.state().identifies.clone()
    }

    pub fn gateway_connections(&self) -> usize {
        self.state().conns.len()
    }

    /// Waits until `n` messages were posted in total.
    pub async fn wait_for_messages(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Posted>, WaitTimeout> {
        self.wait(timeout, n, |st| st.posted.clone()).await
    }

    pub async fn wait_for_interaction_responses(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<InteractionReply>, WaitTimeout> {
        self.wait(timeout, n, |st| st.replies.clone()).await
    }

    async fn wait<T>(
        &self,
        timeout: Duration,
        n: usize,
        read: impl Fn(&State) -> Vec<T>,
    ) -> Result<Vec<T>, WaitTimeout> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared.changed.notified();
            let got = read(&self.state());
            if got.len() >= n {
                return Ok(got);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let got = read(&self.state()).len();
                return Err(WaitTimeout { wanted: n, got });
            }
        }
    }

    // Faults.

    pub fn delete_webhook(&self, id: u64) {
        self.state().webhooks.remove(&id);
    }

    pub fn rate_limit_webhook(&self, id: u64, for_: Duration) {
        self.state().blocked.insert(id, Instant::now() + for_);
    }

    pub fn max_webhooks(&self, channel: u64, n: usize) {
        self.state().webhook_limit.insert(channel, n);
    }

    pub fn forbid(&self, channel: u64, what: Forbid) {
        self.state().forbidden.insert(channel, what);
    }

    pub fn fail_next(&self, route_prefix: &str, status: u16, n: usize) {
        self.state()
            .fail_next
            .push((route_prefix.to_owned(), status, n));
    }

    pub fn delete_channel(&self, channel: u64) {
        self.state().deleted_channels.insert(channel);
    }
}
