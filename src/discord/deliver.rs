//! Sending replies to Discord. A personality in a server channel speaks through the channel's
//! webhook pool ([`super::pools`]) with its own name and avatar; everything else (commands,
//! refusals, direct messages, channels without webhooks) is a message from the bot, with the
//! personality's name in bold when one is speaking. Text is split at 2000 UTF-16 units with code
//! fences intact; every send carries an explicit `allowed_mentions` that pings nobody but the
//! user answered. Slash commands are answered through their interaction (ephemeral when private).
//!
//! Errors stay with their channel: a 429 blocks one webhook (the pool sends through another) or
//! postpones this job only; 10015 drops the webhook, recreates it and retries once; a missing
//! permission falls back to bot messages and tells the server's admins once; a channel that is
//! gone ends the job. Parts already accepted are remembered per job, so a retried delivery
//! resumes after them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use switchboard_platforms::discord::{allowed_mentions, neutralize, webhook_username};
use switchboard_platforms::{
    DISCORD_LIMIT, Deliver, Delivered, DeliveryError, Outbound, PermanentKind, Target, split,
    utf16_len,
};

use super::channels::Channels;
use super::notice::{AdminNotices, Problem};
use super::pools::{MAX_INLINE_WAIT, Pools, Route};
use super::rest::{CANNOT_DM, Rest, RestError, UNKNOWN_CHANNEL, UNKNOWN_WEBHOOK, message_id};

/// Attempts per part against server errors and network trouble.
const PART_ATTEMPTS: u32 = 3;
/// Discord's ephemeral message flag.
const EPHEMERAL: u64 = 1 << 6;

pub struct DiscordDeliver {
    rest: Rest,
    pub pools: Arc<Pools>,
    pub channels: Arc<Channels>,
    pub notices: Arc<AdminNotices>,
    /// Slash-command interactions not answered yet: interaction id to its token. Ingress gives a
    /// command's answer `reply_to` = the interaction id.
    interactions: Mutex<HashMap<String, String>>,
    /// The application id (followups of an interaction are sent as its webhook).
    application: std::sync::atomic::AtomicU64,
    /// The pipeline's observer (metrics), attached once the pipeline runs.
    observer: std::sync::OnceLock<Arc<dyn crate::observe::Observer>>,
    /// Per job: how many parts were accepted and their message ids, so a retried delivery
    /// resumes after them.
    progress: Mutex<HashMap<String, (usize, Vec<String>)>>,
}

/// Where a reply lands.
struct Dest {
    /// The channel (a thread's parent for webhooks).
    channel: u64,
    thread: Option<u64>,
    /// A server channel (webhooks possible), not a DM.
    guild: bool,
}

impl Dest {
    /// The channel a bot message is posted to: the thread itself when in a thread.
    fn post_channel(&self) -> u64 {
        self.thread.unwrap_or(self.channel)
    }
}

pub fn transient(e: &RestError) -> DeliveryError {
    match e {
        RestError::RateLimited { retry_after_ms } => {
            DeliveryError::RetryAfter(Duration::from_millis(*retry_after_ms))
        }
        other => DeliveryError::Transient(other.to_string()),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn id(s: &str) -> Result<u64, DeliveryError> {
    s.parse()
        .map_err(|_| DeliveryError::Permanent(PermanentKind::ChannelGone))
}

impl DiscordDeliver {
    pub fn new(rest: Rest, pools: Arc<Pools>, channels: Arc<Channels>) -> DiscordDeliver {
        let notices = Arc::new(AdminNotices::new(rest.clone(), channels.clone()));
        DiscordDeliver {
            rest,
            pools,
            channels,
            notices,
            interactions: Mutex::new(HashMap::new()),
            application: std::sync::atomic::AtomicU64::new(0),
            observer: std::sync::OnceLock::new(),
            progress: Mutex::new(HashMap::new()),
        }
    }

    /// Attaches what needs the running pipeline: the store (admin notices) and the observer.
    pub fn attach(&self, svc: &crate::services::Services) {
        self.notices.attach(svc.store.clone());
        let _ = self.observer.set(svc.observer.clone());
    }

    /// Reports the pools' sizes after one changed.
    fn pools_changed(&self) {
        if let Some(o) = self.observer.get() {
            let (channels, webhooks) = self.pools.totals();
            o.webhook_pools(channels, webhooks);
        }
    }

    pub fn set_application(&self, id: u64) {
        self.application
            .store(id, std::sync::atomic::Ordering::Relaxed);
    }

    /// A slash command arrived: its answer goes back through the interaction.
    pub fn expect_interaction(&self, id: &str, token: &str) {
        self.interactions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned(), token.to_owned());
    }

    /// Takes the interaction a reply answers, if it answers one.
    pub fn take_interaction(&self, id: &str) -> Option<String> {
        self.interactions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
    }

    async fn dest(&self, out: &Outbound) -> Result<Dest, DeliveryError> {
        let place = &out.target.place;
        let private_in_public = out.private && !place.is_dm;
        let user = match (place.direct_user(), private_in_public) {
            (Some(u), _) => Some(u),
            (None, true) => out.mention_user.as_deref(),
            (None, false) => None,
        };
        if let Some(u) = user {
            let channel = self.channels.dm(id(u)?).await.map_err(|e| dm_error(&e))?;
            return Ok(Dest {
                channel,
                thread: None,
                guild: false,
            });
        }
        Ok(Dest {
            channel: id(&place.channel_id)?,
            thread: place.thread_id.as_deref().map(id).transpose()?,
            guild: !place.is_dm,
        })
    }

    /// Answers a slash command: the first part as the interaction's response, the rest as
    /// followups, ephemeral when private.
    async fn answer_interaction(
        &self,
        interaction: &str,
        token: &str,
        out: &Outbound,
    ) -> Result<Delivered, DeliveryError> {
        let flags = if out.private { EPHEMERAL } else { 0 };
        let parts = split(&out.text, DISCORD_LIMIT);
        let first = parts.first().cloned().unwrap_or_default();
        let body = json!({
            "type": 4,
            "data": {"content": neutralize(&first), "flags": flags, "allowed_mentions": allowed_mentions(None)},
        });
        self.rest
            .interaction_callback(interaction, token, &body, out.file.as_ref())
            .await
            .map_err(|e| transient(&e))?;
        let app = self.application.load(std::sync::atomic::Ordering::Relaxed);
        for part in parts.iter().skip(1) {
            let body = json!({"content": neutralize(part), "flags": flags, "allowed_mentions": allowed_mentions(None)});
            let a = self.rest.execute_webhook(app, token, None, &body).await;
            a.result.map_err(|e| transient(&e))?;
        }
        Ok(Delivered {
            message_ids: vec![format!("interaction:{interaction}")],
        })
    }

    /// Sends one part as the bot, waiting through short 429s.
    async fn bot_message(
        &self,
        d: &Dest,
        body: &Value,
        out: &Outbound,
        file: bool,
    ) -> Result<String, DeliveryError> {
        let channel = d.post_channel();
        let mut failures = 0;
        loop {
            let a = self
                .rest
                .create_message(channel, body, if file { out.file.as_ref() } else { None })
                .await;
            match a.result {
                Ok(v) => return Ok(message_id(&v).unwrap_or_default()),
                Err(RestError::RateLimited { retry_after_ms }) => {
                    let wait = Duration::from_millis(retry_after_ms);
                    if wait > MAX_INLINE_WAIT {
                        return Err(DeliveryError::RetryAfter(wait));
                    }
                    tokio::time::sleep(wait).await;
                }
                Err(e) if super::pools::is_permission(&e) => {
                    if d.guild {
                        self.notices
                            .tell(d.channel, Problem::CannotSend, now_ms())
                            .await;
                        return Err(DeliveryError::Permanent(PermanentKind::Forbidden));
                    }
                    return Err(DeliveryError::Permanent(PermanentKind::Blocked));
                }
                Err(e)
                    if e.code() == Some(UNKNOWN_CHANNEL)
                        || matches!(e, RestError::Refused { status: 404, .. }) =>
                {
                    return Err(DeliveryError::Permanent(PermanentKind::ChannelGone));
                }
                Err(e) if e.code() == Some(CANNOT_DM) => {
                    return Err(DeliveryError::Permanent(PermanentKind::Blocked));
                }
                Err(RestError::Refused { .. }) => {
                    return Err(DeliveryError::Permanent(PermanentKind::Rejected));
                }
                Err(e) => back_off(&mut failures, &e).await?,
            }
        }
    }

    /// Sends one part of a personality's reply in a server channel: through the pool, or as the
    /// bot with the name in bold.
    async fn persona_part(
        &self,
        d: &Dest,
        out: &Outbound,
        part: &str,
    ) -> Result<Vec<String>, DeliveryError> {
        let Some(persona) = &out.persona else {
            return Ok(vec![]);
        };
        let mention = out.mention_user.as_deref().and_then(|u| u.parse().ok());
        let mut unknown_webhook = false;
        let mut failures = 0;
        loop {
            match self.pools.route(d.channel, &now_ms).await? {
                Route::Bot { forbidden } => {
                    if forbidden {
                        self.notices
                            .tell(d.channel, Problem::NoWebhooks, now_ms())
                            .await;
                    }
                    let prefix = format!("**{}**\n", persona.name.replace('*', ""));
                    let mut ids = Vec::new();
                    let room = DISCORD_LIMIT.saturating_sub(utf16_len(&prefix)).max(64);
                    for piece in split(part, room) {
                        let body = self.bot_body(&format!("{prefix}{piece}"), out, mention);
                        ids.push(self.bot_message(d, &body, out, false).await?);
                    }
                    return Ok(ids);
                }
                Route::Hook { id, token } => {
                    if !self.pools.is_reported(id) {
                        self.pools_changed();
                    }
                    let body = json!({
                        "content": neutralize(part),
                        "username": webhook_username(&persona.name),
                        "avatar_url": persona.avatar_url,
                        "allowed_mentions": allowed_mentions(mention),
                    });
                    let a = self.rest.execute_webhook(id, &token, d.thread, &body).await;
                    self.pools.observe(d.channel, id, a.headers, now_ms());
                    match a.result {
                        Ok(v) => return Ok(vec![message_id(&v).unwrap_or_default()]),
                        // The pool now knows the webhook is blocked; the next pick avoids it.
                        Err(RestError::RateLimited { .. }) => {
                            if let Some(o) = self.observer.get() {
                                o.webhook_rate_limited();
                            }
                        }
                        Err(e) if e.code() == Some(UNKNOWN_WEBHOOK) => {
                            self.pools.forget(d.channel, id);
                            self.pools_changed();
                            if unknown_webhook {
                                return Err(DeliveryError::Transient(
                                    "webhooks keep disappearing".into(),
                                ));
                            }
                            unknown_webhook = true;
                        }
                        Err(e) if super::pools::is_permission(&e) => {
                            self.pools.forbidden(d.channel, now_ms());
                        }
                        Err(e) if e.code() == Some(UNKNOWN_CHANNEL) => {
                            return Err(DeliveryError::Permanent(PermanentKind::ChannelGone));
                        }
                        Err(RestError::Refused { .. }) => {
                            return Err(DeliveryError::Permanent(PermanentKind::Rejected));
                        }
                        Err(e) => back_off(&mut failures, &e).await?,
                    }
                }
            }
        }
    }

    /// A private answer could not go to the user's DMs (closed to the bot): say so in the
    /// channel, without the private content.
    async fn dms_closed(&self, out: &Outbound) -> Result<Delivered, DeliveryError> {
        let place = &out.target.place;
        let d = Dest {
            channel: id(&place.channel_id)?,
            thread: place.thread_id.as_deref().map(id).transpose()?,
            guild: true,
        };
        let user = out.mention_user.as_deref().and_then(|u| u.parse().ok());
        let text = match user {
            Some(u) => format!(
                "<@{u}> I couldn't send you that privately: your direct messages are closed to me. Use the slash command instead; its answer is visible only to you."
            ),
            None => "I couldn't send that privately. Use the slash command instead; its answer is visible only to you.".to_owned(),
        };
        let body = self.bot_body(&text, out, user);
        let id = self.bot_message(&d, &body, out, false).await?;
        Ok(Delivered {
            message_ids: vec![id],
        })
    }

    fn bot_body(&self, text: &str, out: &Outbound, mention: Option<u64>) -> Value {
        let mut body = json!({
            "content": neutralize(text),
            "allowed_mentions": allowed_mentions(mention),
        });
        if let Some(r) = out.reply_to.as_deref().filter(|_| !out.target.place.is_dm) {
            body["message_reference"] = json!({"message_id": r, "fail_if_not_exists": false});
        }
        body
    }

    fn resume(&self, job: &str) -> (usize, Vec<String>) {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(job)
            .cloned()
            .unwrap_or_default()
    }

    fn record(&self, job: &str, done: usize, sent: &[String]) {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job.to_owned(), (done, sent.to_vec()));
    }
}

/// Server trouble or no answer: waits a little longer each time, and gives up as transient after
/// [`PART_ATTEMPTS`] failures of one part.
async fn back_off(failures: &mut u32, e: &RestError) -> Result<(), DeliveryError> {
    *failures += 1;
    if *failures >= PART_ATTEMPTS {
        return Err(transient(e));
    }
    tokio::time::sleep(Duration::from_millis(200 * u64::from(*failures))).await;
    Ok(())
}

fn dm_error(e: &RestError) -> DeliveryError {
    match e.code() {
        Some(CANNOT_DM) => DeliveryError::Permanent(PermanentKind::Blocked),
        Some(_) => DeliveryError::Permanent(PermanentKind::Rejected),
        None => transient(e),
    }
}

#[async_trait]
impl Deliver for DiscordDeliver {
    async fn deliver(&self, out: &Outbound) -> Result<Delivered, DeliveryError> {
        if let Some(r) = &out.reply_to {
            if let Some(token) = self.take_interaction(r) {
                return self.answer_interaction(r, &token, out).await;
            }
        }
        let d = match self.dest(out).await {
            Ok(d) => d,
            Err(DeliveryError::Permanent(PermanentKind::Blocked))
                if out.private && !out.target.place.is_dm =>
            {
                return self.dms_closed(out).await;
            }
            Err(e) => return Err(e),
        };
        let parts = split(&out.text, DISCORD_LIMIT);
        let (done, mut sent) = self.resume(&out.job_id);
        let mention = out.mention_user.as_deref().and_then(|u| u.parse().ok());
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.iter().enumerate().skip(done) {
            let result = if out.persona.is_some() && d.guild && out.file.is_none() {
                self.persona_part(&d, out, part).await
            } else {
                let text = match (&out.persona, d.guild) {
                    (Some(p), true) => format!("**{}**\n{part}", p.name.replace('*', "")),
                    _ => part.clone(),
                };
                let body = self.bot_body(&text, out, mention);
                self.bot_message(&d, &body, out, i == last)
                    .await
                    .map(|m| vec![m])
            };
            match result {
                Ok(ids) => {
                    sent.extend(ids);
                    self.record(&out.job_id, i + 1, &sent);
                }
                Err(e) => return Err(e),
            }
        }
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&out.job_id);
        Ok(Delivered { message_ids: sent })
    }

    async fn typing(&self, target: &Target) -> Result<(), DeliveryError> {
        let place = &target.place;
        let channel = match place.direct_user() {
            Some(u) => self.channels.dm(id(u)?).await.map_err(|e| dm_error(&e))?,
            None => id(place.thread_id.as_deref().unwrap_or(&place.channel_id))?,
        };
        self.rest.typing(channel).await.map_err(|e| transient(&e))
    }

    fn typing_every(&self) -> Duration {
        Duration::from_secs(8)
    }
}
