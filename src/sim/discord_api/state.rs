//! Everything the fake Discord remembers: the world (servers, threads, users, DM channels,
//! webhooks), the messages, the faults in force, rate-limit buckets, the records tests read, and
//! the gateway connections events go to (by shard, as Discord routes them).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::model::{
    Call, FakeDiscordConfig, FakeGuild, FakeRole, FakeUser, FakeWebhook, Forbid, InteractionReply,
    Posted,
};

/// A connected, identified gateway session.
pub struct Conn {
    pub id: u64,
    /// `[shard, total]` from IDENTIFY.
    pub shard: (u64, u64),
    /// Dispatches (`{"t":..,"d":..}`) for the connection's task to number and send.
    pub tx: UnboundedSender<Value>,
}

/// A fixed-window bucket.
#[derive(Clone, Copy)]
pub struct Bucket {
    pub used: u32,
    pub since: Instant,
}

pub struct State {
    pub bot: FakeUser,
    pub seq: u64,
    pub guilds: Vec<FakeGuild>,
    /// Thread id to (guild, parent).
    pub threads: HashMap<u64, (u64, u64)>,
    pub users: HashMap<u64, FakeUser>,
    /// User id to the DM channel with the bot.
    pub dms: HashMap<u64, u64>,
    /// Every message by id (users' and the bot's), as dispatched.
    pub messages: HashMap<u64, Value>,
    pub posted: Vec<Posted>,
    pub webhooks: HashMap<u64, FakeWebhook>,
    /// Channel id to the most webhooks it may hold.
    pub webhook_limit: HashMap<u64, usize>,
    pub forbidden: HashMap<u64, Forbid>,
    pub deleted_channels: HashSet<u64>,
    /// Webhook id to when its forced 429 ends.
    pub blocked: HashMap<u64, Instant>,
    pub buckets: HashMap<String, Bucket>,
    /// (path prefix, status, remaining count).
    pub fail_next: Vec<(String, u16, usize)>,
    /// Interaction id to (token, answered).
    pub interactions: HashMap<u64, (String, bool)>,
    pub replies: Vec<InteractionReply>,
    pub calls: Vec<Call>,
    pub typing: Vec<(u64, Instant)>,
    pub identifies: Vec<Value>,
    pub connections: usize,
    pub conns: Vec<Conn>,
    pub commands: Value,
    /// Attachment id to its bytes (served like Discord's CDN).
    pub files: HashMap<u64, Vec<u8>>,
}

impl State {
    pub fn new(cfg: &FakeDiscordConfig) -> State {
        let bot = FakeUser {
            id: cfg.bot_user_id,
            username: cfg.bot_name.clone(),
            global_name: None,
            bot: true,
        };
        State {
            users: HashMap::from([(bot.id, bot.clone())]),
            bot,
            seq: 0,
            guilds: vec![],
            threads: HashMap::new(),
            dms: HashMap::new(),
            messages: HashMap::new(),
            posted: vec![],
            webhooks: HashMap::new(),
            webhook_limit: HashMap::new(),
            forbidden: HashMap::new(),
            deleted_channels: HashSet::new(),
            blocked: HashMap::new(),
            buckets: HashMap::new(),
            fail_next: vec![],
            interactions: HashMap::new(),
            replies: vec![],
            calls: vec![],
            typing: vec![],
            identifies: vec![],
            connections: 0,
            conns: vec![],
            commands: Value::Array(vec![]),
            files: HashMap::new(),
        }
    }

    /// A fresh snowflake.
    pub fn next_id(&mut self) -> u64 {
        self.seq += 1;
        super::payloads::snowflake(self.seq)
    }

    pub fn add_guild(&mut self, mut g: FakeGuild) -> FakeGuild {
        if !g.roles.iter().any(|r| r.id == g.id) {
            g.roles.insert(
                0,
                FakeRole {
                    id: g.id,
                    name: "@everyone".into(),
                    permissions: 0x400 | 0x800,
                },
            );
        }
        self.guilds.retain(|x| x.id != g.id);
        self.guilds.push(g.clone());
        g
    }

    pub fn guild(&self, id: u64) -> Option<&FakeGuild> {
        self.guilds.iter().find(|g| g.id == id)
    }

    /// The guild a channel (or thread) belongs to.
    pub fn guild_of(&self, channel: u64) -> Option<u64> {
        if let Some((g, _)) = self.threads.get(&channel) {
            return Some(*g);
        }
        self.guilds
            .iter()
            .find(|g| g.channels.contains(&channel))
            .map(|g| g.id)
    }

    /// A channel the bot can see: a server channel, a thread, or a DM.
    pub fn channel_exists(&self, channel: u64) -> bool {
        !self.deleted_channels.contains(&channel)
            && (self.guild_of(channel).is_some() || self.dms.values().any(|c| *c == channel))
    }

    pub fn dm_channel(&mut self, user: u64) -> u64 {
        if let Some(c) = self.dms.get(&user) {
            return *c;
        }
        let c = self.next_id();
        self.dms.insert(user, c);
        c
    }

    pub fn user(&self, id: u64) -> FakeUser {
        self.users.get(&id).cloned().unwrap_or_else(|| FakeUser {
            id,
            username: format!("user{id}"),
            global_name: None,
            bot: false,
        })
    }

    /// Permission bits of a member, as Discord computes them server-wide.
    pub fn permissions(&self, guild: u64, user: u64, roles: &[u64]) -> u64 {
        let Some(g) = self.guild(guild) else { return 0 };
        if user == g.owner_id {
            return u64::MAX >> 1;
        }
        let everyone = g
            .roles
            .iter()
            .find(|r| r.id == guild)
            .map_or(0, |r| r.permissions);
        let bits = g
            .roles
            .iter()
            .filter(|r| roles.contains(&r.id))
            .fold(everyone, |acc, r| acc | r.permissions);
        if bits & 0x8 != 0 { u64::MAX >> 1 } else { bits }
    }

    /// Counts a request against a bucket: `Err(retry_after)` when it is spent. Returns what is
    /// left and when it resets.
    pub fn take(
        &mut self,
        key: &str,
        (limit, window): (u32, Duration),
    ) -> Result<(u32, Duration), Duration> {
        let now = Instant::now();
        let b = self.buckets.entry(key.to_owned()).or_insert(Bucket {
            used: 0,
            since: now,
        });
        if now.duration_since(b.since) >= window {
            *b = Bucket {
                used: 0,
                since: now,
            };
        }
        let reset = window.saturating_sub(now.duration_since(b.since));
        if b.used >= limit {
            return Err(reset);
        }
        b.used += 1;
        Ok((limit - b.used, reset))
    }

    /// A configured server error for this path, if one is due.
    pub fn injected_failure(&mut self, path: &str) -> Option<u16> {
        let f = self
            .fail_next
            .iter_mut()
            .find(|(prefix, _, n)| *n > 0 && path.starts_with(prefix.as_str()))?;
        f.2 -= 1;
        Some(f.1)
    }

    /// Sends a dispatch to the connections that get events of `guild` (DMs: shard 0).
    pub fn dispatch(&mut self, guild: Option<u64>, t: &str, d: Value) {
        let event = serde_json::json!({"t": t, "d": d});
        self.conns.retain(|c| {
            let (shard, total) = c.shard;
            let ours = match guild {
                Some(g) => (g >> 22) % total.max(1) == shard,
                None => shard == 0,
            };
            !ours || c.tx.send(event.clone()).is_ok()
        });
    }
}
