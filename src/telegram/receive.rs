//! From a Telegram update to the pipeline: parse (a malformed update is logged and skipped, never
//! fatal), normalize, read attached text documents (other files get a reply saying what is
//! supported), then hand the message to ingress. Shared by long polling and webhook mode.

use std::sync::Arc;

use switchboard_platforms::telegram::{BotIdentity, Normalized, Update, normalize};
use switchboard_platforms::{Attachment, Deliver, Inbound, Outbound, Target};
use teloxide::Bot;
use teloxide::net::Download;
use teloxide::prelude::Requester;
use teloxide::types::FileId;

use crate::config::TelegramBot;
use crate::ingress::{self, Handled};
use crate::services::Services;

/// Document extensions read as text.
pub const TEXT_EXTENSIONS: &[&str] = &["txt", "md", "csv", "json"];

/// What became of one update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// Not valid update JSON (logged and skipped).
    Malformed,
    /// Nothing to answer (`reason` as in metrics).
    Ignored(&'static str),
    /// Only an unsupported file: the user was told what is supported.
    UnsupportedFile,
    /// Handed to ingress.
    Handled(Handled),
    /// Ingress failed (storage or queue down); Telegram's redelivery or the user retries.
    Failed,
}

/// One bot's receiving side.
pub struct Receiver {
    pub svc: Arc<Services>,
    pub bot: Bot,
    pub identity: BotIdentity,
    pub config: TelegramBot,
    pub deliver: Arc<dyn Deliver>,
}

impl Receiver {
    /// Handles one update's JSON text.
    pub async fn receive(&self, json: &str) -> Received {
        let update = match Update::from_json(json) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(bot = %self.config.name, error = %e, "skipping a malformed Telegram update");
                return Received::Malformed;
            }
        };
        let mut m = match normalize(&update, &self.identity) {
            Normalized::Message(m) => m,
            Normalized::Ignored(why) => return Received::Ignored(why.as_str()),
        };
        // Files are fetched only for messages the bot answers (a document shared in a group is
        // none of its business unless it is addressed to the bot).
        let addressed = !m.attachments.is_empty()
            && matches!(
                ingress::route_of(&self.svc, &mut m.clone()).await,
                Ok(crate::router::Route::Chat { .. })
            );
        if !addressed {
            m.attachments.clear();
            if m.text.trim().is_empty() {
                return Received::Ignored("not_addressed");
            }
        }
        let unsupported = self.read_documents(&mut m).await;
        if let Some(why) = unsupported {
            self.tell(&m, &why).await;
            m.attachments.retain(|a| a.text.is_some());
            if m.text.trim().is_empty() && m.attachments.is_empty() {
                return Received::UnsupportedFile;
            }
        }
        match ingress::handle(&self.svc, m).await {
            Ok(h) => Received::Handled(h),
            Err(e) => {
                tracing::warn!(bot = %self.config.name, error = %e, "a Telegram message could not be taken in");
                Received::Failed
            }
        }
    }

    /// Downloads supported text documents into their attachment; returns what to tell the user
    /// about any file that is not read.
    async fn read_documents(&self, m: &mut Inbound) -> Option<String> {
        let max = self.config.max_document_bytes;
        let mut problem = None;
        for a in &mut m.attachments {
            let Some(file_id) = a.source.clone() else {
                continue;
            };
            if !supported(a) {
                problem = Some(format!(
                    "I can only read text documents ({}), up to {} KB.",
                    TEXT_EXTENSIONS
                        .iter()
                        .map(|e| format!(".{e}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    max / 1024
                ));
                continue;
            }
            if a.size > max {
                problem = Some(format!(
                    "{} is too large for me to read (up to {} KB).",
                    a.name,
                    max / 1024
                ));
                continue;
            }
            match self.download(&file_id, max).await {
                Some(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => a.text = Some(text),
                    Err(_) => {
                        problem = Some(format!("{} is not UTF-8 text, so I can't read it.", a.name))
                    }
                },
                None => {
                    problem = Some(format!(
                        "I couldn't download {}; please send it again.",
                        a.name
                    ))
                }
            }
        }
        problem
    }

    async fn download(&self, file_id: &str, max: u64) -> Option<Vec<u8>> {
        let file = match self.bot.get_file(FileId(file_id.to_owned())).await {
            Ok(f) => f,
            Err(e) => {
                tracing::info!(error = %super::quiet(&e), "getFile failed");
                return None;
            }
        };
        // An unknown size reads as u32::MAX; the download itself is then checked.
        if file.size != u32::MAX && u64::from(file.size) > max {
            return None;
        }
        let mut buf = Vec::new();
        match self.bot.download_file(&file.path, &mut buf).await {
            Ok(()) if buf.len() as u64 <= max => Some(buf),
            Ok(()) => None,
            Err(_) => {
                tracing::info!("a document download failed");
                None
            }
        }
    }

    /// Replies as the bot itself to `m`.
    async fn tell(&self, m: &Inbound, text: &str) {
        let out = Outbound {
            target: Target {
                platform: m.platform,
                bot: m.bot.clone(),
                place: m.place.clone(),
            },
            persona: None,
            text: text.to_owned(),
            reply_to: (!m.place.is_dm).then(|| m.message_id.clone()),
            job_id: format!("{}:file", m.job_id()),
            mention_user: Some(m.author.id.clone()),
            private: false,
            file: None,
        };
        if let Err(e) = self.deliver.deliver(&out).await {
            tracing::info!(error = %e, "could not answer about an unsupported file");
        }
    }
}

fn supported(a: &Attachment) -> bool {
    a.name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| TEXT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}
