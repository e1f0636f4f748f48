//! From the Discord gateway to the pipeline. serenity's event handler hands over messages and
//! slash commands; a message is re-read from its JSON by the pure normalizer (the same code the
//! unit tests drive with Discord's own payloads), placed in its thread's parent channel, given
//! its author's moderator standing from the guild cache, and passed to ingress. The bot's own
//! messages and its webhooks' echoes are dropped here, so personalities never answer themselves;
//! a replayed `MESSAGE_CREATE` gives the same job id and is deduplicated by the queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serenity::all::{Context, EventHandler, GuildId, Interaction, Ready};
use switchboard_platforms::discord::{DiscordBot, GuildRoles, Message, Normalized, normalize};

use super::deliver::DiscordDeliver;
use super::rest::Rest;
use super::slash;
use crate::ingress::{self, Handled};
use crate::services::Services;

/// Tries at taking in one message while storage or the queue is unreachable (about 30 s).
const INGRESS_ATTEMPTS: u32 = 7;

/// What became of one gateway message (logs and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// Not a message payload the normalizer can read.
    Malformed,
    /// Before READY: the bot does not know who it is yet.
    NotReady,
    Ignored(&'static str),
    Handled(Handled),
    /// Ingress failed (storage or queue down).
    Failed,
}

pub struct Handler {
    pub svc: Arc<Services>,
    pub deliver: Arc<DiscordDeliver>,
    pub rest: Rest,
    /// The configured bot name ([`switchboard_platforms::Inbound::bot`]).
    pub name: String,
    /// Who the bot is, from READY.
    pub bot: Mutex<Option<DiscordBot>>,
    /// Slash commands are registered once per process (the first READY).
    pub registered: AtomicBool,
}

impl Handler {
    fn bot(&self) -> Option<DiscordBot> {
        self.bot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The guild's roles and owner, from serenity's cache (filled by GUILD_CREATE).
    fn roles(ctx: &Context, guild: u64) -> Option<GuildRoles> {
        let g = ctx.cache.guild(GuildId::new(guild))?;
        Some(GuildRoles {
            guild_id: guild,
            owner_id: g.owner_id.get(),
            roles: g
                .roles
                .iter()
                .map(|(id, r)| (id.get(), r.permissions.bits()))
                .collect(),
        })
    }

    /// A thread's parent channel: from the cache when it knows the channel, else asked once.
    async fn thread_parent(&self, ctx: &Context, guild: u64, channel: u64) -> Option<u64> {
        let cached = ctx.cache.guild(GuildId::new(guild)).and_then(|g| {
            let id = serenity::all::ChannelId::new(channel);
            if g.channels.contains_key(&id) {
                return Some(None);
            }
            g.threads
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.parent_id.map(|p| p.get()))
        });
        match cached {
            Some(parent) => parent,
            None => self.deliver.channels.thread_parent(channel).await,
        }
    }

    /// Handles one message payload (JSON of a `MESSAGE_CREATE`'s `d`).
    pub async fn receive(&self, ctx: &Context, json: &str) -> Received {
        let msg = match Message::from_json(json) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "skipping an unreadable Discord message");
                return Received::Malformed;
            }
        };
        let Some(bot) = self.bot() else {
            return Received::NotReady;
        };
        let parent = match msg.guild_id {
            Some(g) => self.thread_parent(ctx, g, msg.channel_id).await,
            None => None,
        };
        let pools = &self.deliver.pools;
        let mut m = match normalize(&msg, &bot, &|w| pools.is_own(w), parent) {
            Normalized::Message(m) => m,
            Normalized::Ignored(why) => return Received::Ignored(why.as_str()),
        };
        if m.from_self {
            return Received::Ignored("own_message");
        }
        if let (Some(g), Some(author)) = (msg.guild_id, msg.author.as_ref()) {
            let roles = msg
                .member
                .as_ref()
                .map(|m| m.roles.clone())
                .unwrap_or_default();
            m.author.moderator =
                Self::roles(ctx, g).is_some_and(|r| r.moderates(author.id, &roles));
        }
        // Files are fetched only for messages the bot answers (a photo posted among members
        // is none of its business).
        let addressed = !m.attachments.is_empty()
            && matches!(
                ingress::route_of(&self.svc, &mut m.clone()).await,
                Ok(crate::router::Route::Chat { .. })
            );
        if !addressed {
            m.attachments.clear();
        } else if let Some(why) = super::documents::read(&self.rest, &mut m).await {
            self.tell(&m, &why).await;
            m.attachments.retain(|a| a.text.is_some());
            if m.text.trim().is_empty() && m.attachments.is_empty() {
                return Received::Ignored("unsupported_file");
            }
        }
        // The gateway never sends a message twice: while storage or the queue is unreachable,
        // try again for a while before giving up on it.
        let mut wait = Duration::from_millis(250);
        for attempt in 1..=INGRESS_ATTEMPTS {
            match ingress::handle(&self.svc, m.clone()).await {
                Ok(h) => return Received::Handled(h),
                Err(e) if attempt == INGRESS_ATTEMPTS => {
                    tracing::error!(error = %e, "a Discord message could not be taken in; giving up");
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "a Discord message could not be taken in; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(8));
                }
            }
        }
        Received::Failed
    }
}

impl Handler {
    /// Replies as the bot to `m` (about a file it could not read).
    async fn tell(&self, m: &switchboard_platforms::Inbound, text: &str) {
        let out = switchboard_platforms::Outbound {
            target: switchboard_platforms::Target {
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
        use switchboard_platforms::Deliver;
        if let Err(e) = self.deliver.deliver(&out).await {
            tracing::info!(error = %e, "could not answer about an unreadable file");
        }
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let user = ready.user.id.get();
        let application = ready.application.id.get();
        *self.bot.lock().unwrap_or_else(|p| p.into_inner()) = Some(DiscordBot {
            name: self.name.clone(),
            user_id: user,
            application_id: Some(application),
        });
        self.deliver.pools.identify(user, application);
        self.deliver.set_application(application);
        tracing::info!(
            shard = ready.shard.map_or(0, |s| s.id.0),
            guilds = ready.guilds.len(),
            "Discord gateway ready"
        );
        if !self.registered.swap(true, Ordering::SeqCst) {
            if let Err(e) = self
                .rest
                .put_commands(application, &slash::definitions())
                .await
            {
                tracing::warn!(error = %e, "could not register the slash commands");
                self.registered.store(false, Ordering::SeqCst);
            }
        }
    }

    async fn message(&self, ctx: Context, msg: serenity::all::Message) {
        let json = match serde_json::to_string(&msg) {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "could not re-read a Discord message");
                return;
            }
        };
        let r = self.receive(&ctx, &json).await;
        tracing::debug!(result = ?r, "Discord message");
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Interaction::Command(cmd) = interaction else {
            return;
        };
        let Some(bot) = self.bot() else { return };
        let parent = match cmd.guild_id {
            Some(g) => {
                self.thread_parent(&ctx, g.get(), cmd.channel_id.get())
                    .await
            }
            None => None,
        };
        let m = slash::inbound(&cmd, &bot, parent);
        let id = m.message_id.clone();
        self.deliver.expect_interaction(&id, &cmd.token);
        let outcome = ingress::handle(&self.svc, m).await;
        // Every interaction needs an answer, or Discord shows "The application did not respond".
        if let Some(token) = self.deliver.take_interaction(&id) {
            let text = match outcome {
                Ok(Handled::Queued(_) | Handled::Duplicate(_)) => "On it.",
                Ok(_) => "Done.",
                Err(e) => {
                    tracing::warn!(error = %e, "a slash command could not be taken in");
                    crate::commands::TRY_AGAIN
                }
            };
            let body = serde_json::json!({
                "type": 4,
                "data": {"content": text, "flags": 64, "allowed_mentions": {"parse": []}},
            });
            if let Err(e) = self
                .rest
                .interaction_callback(&id, &token, &body, None)
                .await
            {
                tracing::info!(error = %e, "could not answer a slash command");
            }
        }
    }
}
