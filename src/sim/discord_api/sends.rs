//! The fake's routes that change things: webhooks listed and created, messages posted by the bot
//! or executed through webhooks (validated like Discord: content length, usernames, permissions,
//! buckets), and interaction callbacks. Every created message is echoed to the gateway like
//! Discord does, webhook messages with their `webhook_id`.

use std::time::Instant;

use serde_json::{Value, json};

use super::Shared;
use super::model::{FakeWebhook, Forbid, InteractionReply, Posted};
use super::payloads::{self, MessageParts};
use super::rest::{Reply, Req};
use super::state::State;

const MAX_CONTENT: usize = 2000;

pub fn channel_object(st: &State, c: u64) -> Value {
    if let Some((g, parent)) = st.threads.get(&c) {
        return payloads::channel(c, 11, Some(*g), Some(*parent));
    }
    match st.guild_of(c) {
        Some(g) => payloads::channel(c, 0, Some(g), None),
        None => payloads::channel(c, 1, None, None),
    }
}

fn forbidden(st: &State, channel: u64, send: bool) -> bool {
    match st.forbidden.get(&channel) {
        Some(Forbid::All) => true,
        Some(Forbid::Send) => send,
        Some(Forbid::ManageWebhooks) => !send,
        None => false,
    }
}

pub fn webhooks(st: &mut State, req: &Req<'_>, channel: u64) -> Reply {
    if !st.channel_exists(channel) || st.threads.contains_key(&channel) {
        return Reply::error(404, 10003, "Unknown Channel");
    }
    if forbidden(st, channel, false) {
        return Reply::error(403, 50013, "Missing Permissions");
    }
    let guild = st.guild_of(channel);
    let bot = st.bot.clone();
    if req.method.as_str() == "GET" {
        let list: Vec<Value> = st
            .webhooks
            .values()
            .filter(|w| w.channel_id == channel)
            .map(|w| payloads::webhook(w.id, &w.token, channel, guild, &w.name, &bot))
            .collect();
        return Reply::ok(Value::Array(list));
    }
    let body: Value = serde_json::from_slice(req.body).unwrap_or(Value::Null);
    let name = body["name"].as_str().unwrap_or("").to_owned();
    let lower = name.to_lowercase();
    if name.is_empty()
        || name.chars().count() > 80
        || lower.contains("discord")
        || lower.contains("clyde")
    {
        return Reply::error(400, 50035, "Invalid Form Body");
    }
    let limit = st.webhook_limit.get(&channel).copied().unwrap_or(15);
    if st
        .webhooks
        .values()
        .filter(|w| w.channel_id == channel)
        .count()
        >= limit
    {
        return Reply::error(400, 30007, "Maximum number of webhooks reached (15)");
    }
    let id = st.next_id();
    let token = format!("whtoken-{id}");
    st.webhooks.insert(
        id,
        FakeWebhook {
            id,
            token: token.clone(),
            channel_id: channel,
            name: name.clone(),
            owner_bot: true,
        },
    );
    Reply::ok(payloads::webhook(id, &token, channel, guild, &name, &bot))
}

/// The JSON body and files of a request: JSON, or multipart with `payload_json` and `files[n]`.
pub fn body_and_files(req: &Req<'_>) -> (Value, Vec<(String, Vec<u8>)>) {
    let ctype = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = ctype
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_owned())
    else {
        return (
            serde_json::from_slice(req.body).unwrap_or(Value::Null),
            vec![],
        );
    };
    let mut body = Value::Null;
    let mut files = vec![];
    let delim = format!("--{boundary}");
    let raw = req.body.as_ref();
    let mut pos = 0;
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    while let Some(start) = find(raw, delim.as_bytes(), pos) {
        let head_start = start + delim.len() + 2;
        let Some(head_end) = find(raw, b"\r\n\r\n", head_start) else {
            break;
        };
        let Some(next) = find(raw, delim.as_bytes(), head_end) else {
            break;
        };
        let head = String::from_utf8_lossy(&raw[head_start..head_end]).to_string();
        let data = raw[head_end + 4..next.saturating_sub(2)].to_vec();
        let field = |k: &str| {
            head.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix(&format!("{k}=\""))
                    .map(|v| v.trim_end_matches('"').to_owned())
            })
        };
        match (field("name").as_deref(), field("filename")) {
            (Some("payload_json"), _) => {
                body = serde_json::from_slice(&data).unwrap_or(Value::Null)
            }
            (Some(_), Some(f)) => files.push((f, data)),
            _ => {}
        }
        pos = next;
    }
    (body, files)
}

fn check_content(body: &Value, files: &[(String, Vec<u8>)]) -> Result<String, Reply> {
    let content = body["content"].as_str().unwrap_or("").to_owned();
    if content.encode_utf16().count() > MAX_CONTENT {
        return Err(Reply::error(
            400,
            50035,
            "Invalid Form Body (content: Must be 2000 or fewer in length.)",
        ));
    }
    if content.trim().is_empty() && files.is_empty() {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    Ok(content)
}

/// Records a created message and echoes it to the gateway.
fn create(shared: &Shared, st: &mut State, mut p: Posted, author: Value, member: bool) -> Value {
    let _ = shared;
    let guild = st.guild_of(p.thread_id.unwrap_or(p.channel_id));
    let reply = p.reply_to.and_then(|r| st.messages.get(&r).cloned());
    let attachments: Vec<Value> = p
        .files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| json!({"id": i.to_string(), "filename": name, "size": bytes.len(), "url": format!("https://cdn.example.test/{name}"), "proxy_url": ""}))
        .collect();
    let msg = payloads::message(MessageParts {
        id: p.id,
        channel: p.thread_id.unwrap_or(p.channel_id),
        guild,
        author,
        member: (member && guild.is_some()).then(|| payloads::member(&st.bot, &[], None)),
        content: &p.content,
        webhook_id: p.webhook_id,
        application_id: p.webhook_id.map(|_| st.bot.id),
        reply_to: reply,
        attachments,
        flags: p.flags,
    });
    st.messages.insert(p.id, msg.clone());
    p.at = Instant::now();
    st.posted.push(p);
    st.dispatch(guild, "MESSAGE_CREATE", msg.clone());
    msg
}

pub fn bot_message(shared: &Shared, st: &mut State, req: &Req<'_>, channel: u64) -> Reply {
    if !st.channel_exists(channel) {
        return Reply::error(404, 10003, "Unknown Channel");
    }
    let parent = st.threads.get(&channel).map(|(_, p)| *p);
    if forbidden(st, parent.unwrap_or(channel), true) {
        return Reply::error(403, 50013, "Missing Permissions");
    }
    let bucket = format!("channel:{channel}");
    let (left, reset) = match st.take(&bucket, shared.config.channel_bucket) {
        Ok(x) => x,
        Err(retry) => return Reply::limited(retry, &bucket),
    };
    let (body, files) = body_and_files(req);
    let content = match check_content(&body, &files) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = st.next_id();
    let reply_to = body["message_reference"]["message_id"]
        .as_str()
        .and_then(|s| s.parse().ok());
    let bot = st.bot.clone();
    let posted = Posted {
        id,
        channel_id: parent.unwrap_or(channel),
        thread_id: parent.map(|_| channel),
        webhook_id: None,
        author_id: bot.id,
        username: bot.username.clone(),
        avatar_url: None,
        content,
        allowed_mentions: body.get("allowed_mentions").cloned(),
        reply_to,
        flags: body["flags"].as_u64().unwrap_or(0),
        files,
        at: Instant::now(),
    };
    let msg = create(shared, st, posted, payloads::user(&bot), true);
    Reply::ok(msg).with_bucket(shared.config.channel_bucket.0, left, reset, &bucket)
}

pub fn execute(shared: &Shared, st: &mut State, req: &Req<'_>, webhook: u64, token: &str) -> Reply {
    // An interaction followup goes through the application's webhook with the interaction token.
    if webhook == st.bot.id {
        let known = st
            .interactions
            .values()
            .any(|(t, answered)| t == token && *answered);
        if !known {
            return Reply::error(404, 10015, "Unknown Webhook");
        }
        let (body, files) = body_and_files(req);
        let iid = st
            .interactions
            .iter()
            .find(|(_, (t, _))| t == token)
            .map_or(0, |(i, _)| *i);
        st.replies.push(reply_record(iid, 0, &body, files));
        return Reply::ok(json!({"id": st.next_id().to_string()}));
    }
    let Some(w) = st
        .webhooks
        .get(&webhook)
        .cloned()
        .filter(|w| w.token == token)
    else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    let bucket = format!("webhook:{webhook}");
    if let Some(until) = st.blocked.get(&webhook).copied() {
        let now = Instant::now();
        if until > now {
            return Reply::limited(until - now, &bucket);
        }
    }
    let thread = req
        .query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("thread_id=")))
        .and_then(|t| t.parse::<u64>().ok());
    if let Some(t) = thread {
        if st.threads.get(&t).map(|(_, p)| *p) != Some(w.channel_id) {
            return Reply::error(400, 10003, "Unknown Channel");
        }
    }
    if st.deleted_channels.contains(&w.channel_id) {
        return Reply::error(404, 10003, "Unknown Channel");
    }
    if forbidden(st, w.channel_id, true) {
        return Reply::error(403, 50013, "Missing Permissions");
    }
    let (left, reset) = match st.take(&bucket, shared.config.webhook_bucket) {
        Ok(x) => x,
        Err(retry) => return Reply::limited(retry, &bucket),
    };
    let (body, files) = body_and_files(req);
    let content = match check_content(&body, &files) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let username = body["username"].as_str().unwrap_or(&w.name).to_owned();
    let lower = username.to_lowercase();
    let n = username.chars().count();
    if n == 0 || n > 80 || lower.contains("discord") || lower.contains("clyde") {
        return Reply::error(400, 50035, "Invalid Form Body (username)");
    }
    let id = st.next_id();
    let avatar_url = body["avatar_url"].as_str().map(str::to_owned);
    let posted = Posted {
        id,
        channel_id: w.channel_id,
        thread_id: thread,
        webhook_id: Some(webhook),
        author_id: webhook,
        username: username.clone(),
        avatar_url,
        content,
        allowed_mentions: body.get("allowed_mentions").cloned(),
        reply_to: None,
        flags: body["flags"].as_u64().unwrap_or(0),
        files,
        at: Instant::now(),
    };
    let author = json!({"id": webhook.to_string(), "username": username, "discriminator": "0000", "avatar": null, "bot": true});
    let msg = create(shared, st, posted, author, false);
    let wait = req
        .query
        .is_some_and(|q| q.split('&').any(|kv| kv == "wait=true"));
    let reply = if wait { Reply::ok(msg) } else { Reply::empty() };
    reply.with_bucket(shared.config.webhook_bucket.0, left, reset, &bucket)
}

fn reply_record(
    interaction: u64,
    kind: u64,
    body: &Value,
    files: Vec<(String, Vec<u8>)>,
) -> InteractionReply {
    InteractionReply {
        interaction_id: interaction,
        kind,
        content: body["content"].as_str().unwrap_or("").to_owned(),
        flags: body["flags"].as_u64().unwrap_or(0),
        files,
        allowed_mentions: body.get("allowed_mentions").cloned(),
        at: Instant::now(),
    }
}

pub fn callback(st: &mut State, req: &Req<'_>, interaction: u64, token: &str) -> Reply {
    match st.interactions.get_mut(&interaction) {
        Some((t, _)) if t != token => Reply::error(401, 50027, "Invalid Webhook Token"),
        Some((_, true)) => Reply::error(400, 40060, "Interaction has already been acknowledged."),
        Some((_, answered)) => {
            *answered = true;
            let (body, files) = body_and_files(req);
            let kind = body["type"].as_u64().unwrap_or(0);
            st.replies
                .push(reply_record(interaction, kind, &body["data"], files));
            Reply::empty()
        }
        None => Reply::error(404, 10062, "Unknown interaction"),
    }
}
