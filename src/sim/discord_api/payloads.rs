//! The JSON the fake Discord sends: users, members, messages, guilds, channels, webhooks and
//! interactions, in the shapes Discord documents (and serenity's models require: every field
//! they do not default is present). Snowflakes are strings, as Discord writes them.

use serde_json::{Value, json};

use super::model::{FakeGuild, FakeUser};

/// Discord's epoch (2015-01-01) in Unix milliseconds.
const EPOCH_MS: u64 = 1_420_070_400_000;

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A snowflake for now with `seq` in its low bits (unique per fake).
pub fn snowflake(seq: u64) -> u64 {
    (now_ms().saturating_sub(EPOCH_MS) << 22) | (seq & 0x3F_FFFF)
}

/// An RFC 3339 timestamp for a snowflake.
pub fn timestamp(id: u64) -> String {
    let ms = (id >> 22) + EPOCH_MS;
    chrono::DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(0))
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

pub fn user(u: &FakeUser) -> Value {
    json!({
        "id": u.id.to_string(),
        "username": u.username,
        "global_name": u.global_name,
        "discriminator": "0",
        "avatar": null,
        "bot": u.bot,
    })
}

pub fn member(u: &FakeUser, roles: &[u64], permissions: Option<u64>) -> Value {
    let mut m = json!({
        "user": user(u),
        "nick": null,
        "avatar": null,
        "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
    });
    if let Some(p) = permissions {
        m["permissions"] = json!(p.to_string());
    }
    m
}

pub fn role(guild: u64, id: u64, name: &str, permissions: u64, position: u16) -> Value {
    json!({
        "id": id.to_string(),
        "guild_id": guild.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": false,
        "mentionable": false,
        "flags": 0,
    })
}

/// A channel object: a text channel (type 0), a public thread (11), or a DM (1).
pub fn channel(id: u64, kind: u32, guild: Option<u64>, parent: Option<u64>) -> Value {
    let mut c = json!({
        "id": id.to_string(),
        "type": kind,
        "name": format!("channel-{id}"),
        "position": 0,
        "permission_overwrites": [],
        "nsfw": false,
        "flags": 0,
    });
    if let Some(g) = guild {
        c["guild_id"] = json!(g.to_string());
    }
    if let Some(p) = parent {
        c["parent_id"] = json!(p.to_string());
    }
    if kind == 11 {
        c["thread_metadata"] = json!({
            "archived": false, "auto_archive_duration": 1440, "locked": false,
            "archive_timestamp": "2024-01-01T00:00:00.000000+00:00",
        });
    }
    c
}

/// A `GUILD_CREATE` payload (and `GET /guilds/{id}`).
pub fn guild(g: &FakeGuild, threads: &[(u64, u64)]) -> Value {
    let mut roles = vec![];
    for (i, r) in g.roles.iter().enumerate() {
        let position = u16::try_from(i).unwrap_or(u16::MAX);
        roles.push(role(g.id, r.id, &r.name, r.permissions, position));
    }
    let mut v = json!({
        "id": g.id.to_string(),
        "name": g.name,
        "icon": null, "icon_hash": null, "splash": null, "discovery_splash": null,
        "owner_id": g.owner_id.to_string(),
        "afk_channel_id": null, "afk_timeout": 300,
        "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [], "stickers": [], "features": [],
        "mfa_level": 0, "application_id": null,
    });
    let more = json!({
        "system_channel_id": null, "system_channel_flags": 0, "rules_channel_id": null,
        "vanity_url_code": null, "description": null, "banner": null,
        "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": null, "nsfw_level": 0,
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
    });
    let create = json!({
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": false, "unavailable": false, "member_count": 10,
        "voice_states": [], "members": [], "presences": [], "stage_instances": [],
        "guild_scheduled_events": [],
        "channels": g.channels.iter().map(|c| channel(*c, 0, Some(g.id), None)).collect::<Vec<_>>(),
        "threads": threads.iter().map(|(t, p)| channel(*t, 11, Some(g.id), Some(*p))).collect::<Vec<_>>(),
    });
    for extra in [more, create] {
        if let (Some(obj), Value::Object(add)) = (v.as_object_mut(), extra) {
            obj.extend(add);
        }
    }
    v
}

/// A webhook object.
pub fn webhook(
    id: u64,
    token: &str,
    channel: u64,
    guild: Option<u64>,
    name: &str,
    bot: &FakeUser,
) -> Value {
    json!({
        "id": id.to_string(),
        "type": 1,
        "channel_id": channel.to_string(),
        "guild_id": guild.map(|g| g.to_string()),
        "name": name,
        "avatar": null,
        "token": token,
        "application_id": bot.id.to_string(),
        "user": user(bot),
    })
}

/// What a message needs besides its author and content.
pub struct MessageParts<'a> {
    pub id: u64,
    pub channel: u64,
    pub guild: Option<u64>,
    pub author: Value,
    pub member: Option<Value>,
    pub content: &'a str,
    pub webhook_id: Option<u64>,
    pub application_id: Option<u64>,
    /// The replied-to message, whole.
    pub reply_to: Option<Value>,
    pub attachments: Vec<Value>,
    pub flags: u64,
}

pub fn message(p: MessageParts<'_>) -> Value {
    let mut m = json!({
        "id": p.id.to_string(),
        "channel_id": p.channel.to_string(),
        "author": p.author,
        "content": p.content,
        "timestamp": timestamp(p.id),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": p.attachments,
        "embeds": [],
        "pinned": false,
        "type": if p.reply_to.is_some() { 19 } else { 0 },
        "flags": p.flags,
    });
    if let Some(g) = p.guild {
        m["guild_id"] = json!(g.to_string());
    }
    if let Some(member) = p.member {
        m["member"] = member;
    }
    if let Some(w) = p.webhook_id {
        m["webhook_id"] = json!(w.to_string());
    }
    if let Some(a) = p.application_id {
        m["application_id"] = json!(a.to_string());
    }
    if let Some(r) = p.reply_to {
        m["message_reference"] = json!({
            "type": 0,
            "message_id": r["id"],
            "channel_id": r["channel_id"],
            "guild_id": r.get("guild_id"),
        });
        m["referenced_message"] = r;
    }
    m
}
