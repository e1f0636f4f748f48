//! Sending replies through the Telegram Bot API: split at 4096 UTF-16 units with code fences
//! intact, rendered as HTML with a plain-text resend when Telegram rejects the entities, the
//! personality's name in bold once a chat has heard more than one, paced to Telegram's limits, and
//! a 429's `retry_after` honoured for that chat only. Permanent errors (blocked, chat gone) end
//! the job without stalling other chats.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use switchboard_platforms::telegram::{Pacer, PacingLimits, render_html};
use switchboard_platforms::{
    Deliver, Delivered, DeliveryError, Outbound, PermanentKind, TELEGRAM_LIMIT, Target, split,
    utf16_len,
};
use teloxide::payloads::{SendChatActionSetters, SendDocumentSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{
    ChatAction, ChatId, InputFile, MessageId, ParseMode, ReplyParameters, ThreadId,
};
use teloxide::{ApiError, Bot, RequestError};

/// 429 waits up to this long are slept through inside one delivery (the chat's other parts wait
/// with it); longer ones end the delivery with `RetryAfter` and the job is postponed.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);
/// Attempts per part before a delivery gives up as transient.
const PART_ATTEMPTS: u32 = 4;

pub struct TelegramDeliver {
    bot: Bot,
    /// Telegram's send limits (per chat, per group, per bot), shared by all sends of this bot.
    pacer: Mutex<Pacer>,
    /// Personalities that have spoken in each chat: names are shown once there are two.
    voices: Mutex<HashMap<i64, BTreeSet<String>>>,
    /// Parts of a job already accepted by Telegram, so a delivery retried after a long 429
    /// resumes where it stopped instead of repeating parts.
    progress: Mutex<HashMap<String, Vec<String>>>,
}

/// Where a reply goes in Telegram terms.
struct Dest {
    chat: i64,
    thread: Option<i32>,
    group: bool,
}

impl TelegramDeliver {
    pub fn new(bot: Bot) -> Self {
        Self {
            bot,
            pacer: Mutex::new(Pacer::new(PacingLimits::default())),
            voices: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
        }
    }

    fn dest(target: &Target) -> Result<Dest, DeliveryError> {
        let place = &target.place;
        let chat = place
            .direct_user()
            .unwrap_or(&place.channel_id)
            .parse::<i64>()
            .map_err(|_| DeliveryError::Permanent(PermanentKind::ChannelGone))?;
        Ok(Dest {
            chat,
            thread: place.thread_id.as_deref().and_then(|t| t.parse().ok()),
            group: !place.is_dm,
        })
    }

    /// The bold name shown before a personality's reply, once the chat has heard two.
    fn name_prefix(&self, chat: i64, out: &Outbound) -> Option<String> {
        let persona = out.persona.as_ref()?;
        let mut voices = self.voices.lock().unwrap_or_else(|p| p.into_inner());
        let heard = voices.entry(chat).or_default();
        heard.insert(persona.name.clone());
        (heard.len() > 1).then(|| persona.name.clone())
    }

    /// Waits until the pacer lets this chat send.
    async fn pace(&self, d: &Dest) {
        let now = now_ms();
        let at = self
            .pacer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reserve(d.chat, d.group, now);
        if at > now {
            tokio::time::sleep(Duration::from_millis(at - now)).await;
        }
    }

    /// Sends one part, HTML first and plain text if Telegram rejects the entities.
    async fn send_part(
        &self,
        d: &Dest,
        html: &str,
        plain: &str,
        reply_to: Option<i32>,
    ) -> Result<String, DeliveryError> {
        // A part that renders to nothing (an empty code block) goes as plain text.
        let mut as_html = !html.trim().is_empty();
        let mut reply_to = reply_to;
        for _ in 0..PART_ATTEMPTS {
            self.pace(d).await;
            let text = if as_html { html } else { plain };
            let mut req = self.bot.send_message(ChatId(d.chat), text);
            if as_html {
                req = req.parse_mode(ParseMode::Html);
            }
            if let Some(t) = d.thread {
                req = req.message_thread_id(ThreadId(MessageId(t)));
            }
            if let Some(r) = reply_to {
                req = req.reply_parameters(
                    ReplyParameters::new(MessageId(r)).allow_sending_without_reply(),
                );
            }
            match req.await {
                Ok(m) => return Ok(format!("{}:{}", d.chat, m.id.0)),
                Err(RequestError::Api(ApiError::CantParseEntities(_))) if as_html => {
                    tracing::info!("Telegram rejected the formatting; resending as plain text");
                    as_html = false;
                }
                Err(RequestError::Api(ApiError::MessageToReplyNotFound)) if reply_to.is_some() => {
                    reply_to = None;
                }
                Err(RequestError::RetryAfter(s)) => {
                    let wait = s.duration();
                    self.pacer
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .retry_after(d.chat, now_ms(), wait.as_secs().max(1));
                    if wait > MAX_INLINE_WAIT {
                        return Err(DeliveryError::RetryAfter(wait));
                    }
                }
                Err(e) => return Err(classify(e)),
            }
        }
        Err(DeliveryError::Transient(
            "Telegram kept refusing a part".into(),
        ))
    }
}

#[async_trait]
impl Deliver for TelegramDeliver {
    async fn deliver(&self, out: &Outbound) -> Result<Delivered, DeliveryError> {
        let d = Self::dest(&out.target)?;
        let prefix = self.name_prefix(d.chat, out);
        // The name takes "<name>:\n" of the first part's room.
        let room = TELEGRAM_LIMIT - prefix.as_ref().map_or(0, |n| utf16_len(n) + 2).min(200);
        let parts = split(&out.text, room);
        let reply_to = out
            .reply_to
            .as_deref()
            .and_then(|r| r.rsplit_once(':'))
            .and_then(|(_, id)| id.parse::<i32>().ok());
        let mut done = self
            .progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&out.job_id)
            .unwrap_or_default();
        for (i, part) in parts.iter().enumerate().skip(done.len()) {
            let (html, plain) = match (&prefix, i) {
                (Some(name), 0) => (
                    format!("<b>{}:</b>\n{}", escape(name), render_html(part)),
                    format!("{name}:\n{part}"),
                ),
                _ => (render_html(part), part.clone()),
            };
            match self
                .send_part(&d, &html, &plain, reply_to.filter(|_| i == 0))
                .await
            {
                Ok(id) => done.push(id),
                Err(e) => {
                    if !done.is_empty() {
                        self.progress
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(out.job_id.clone(), done);
                    }
                    return Err(e);
                }
            }
        }
        if let Some(file) = &out.file {
            self.pace(&d).await;
            let doc = InputFile::memory(file.bytes.clone()).file_name(file.name.clone());
            let mut req = self.bot.send_document(ChatId(d.chat), doc);
            if let Some(t) = d.thread {
                req = req.message_thread_id(ThreadId(MessageId(t)));
            }
            let m = req.await.map_err(classify)?;
            done.push(format!("{}:{}", d.chat, m.id.0));
        }
        Ok(Delivered { message_ids: done })
    }

    async fn typing(&self, target: &Target) -> Result<(), DeliveryError> {
        let d = Self::dest(target)?;
        let mut req = self
            .bot
            .send_chat_action(ChatId(d.chat), ChatAction::Typing);
        if let Some(t) = d.thread {
            req = req.message_thread_id(ThreadId(MessageId(t)));
        }
        req.await.map(|_| ()).map_err(classify)
    }

    fn typing_every(&self) -> Duration {
        Duration::from_millis(4500)
    }
}

/// A Bot API failure in the terms the worker acts on.
pub fn classify(e: RequestError) -> DeliveryError {
    match e {
        RequestError::RetryAfter(s) => DeliveryError::RetryAfter(s.duration()),
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel => DeliveryError::Permanent(PermanentKind::Blocked),
            ApiError::ChatNotFound | ApiError::GroupDeactivated => {
                DeliveryError::Permanent(PermanentKind::ChannelGone)
            }
            ApiError::NotEnoughRightsToPostMessages => {
                DeliveryError::Permanent(PermanentKind::Forbidden)
            }
            ApiError::MessageIsTooLong
            | ApiError::MessageTextIsEmpty
            | ApiError::CantParseEntities(_) => DeliveryError::Permanent(PermanentKind::Rejected),
            other => DeliveryError::Transient(other.to_string()),
        },
        RequestError::MigrateToChatId(_) => DeliveryError::Permanent(PermanentKind::ChannelGone),
        other => DeliveryError::Transient(super::quiet(&other)),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
