//! The fake's REST API under `/api/v10`: one handler routes by method and path (so every
//! request, expected or not, is recorded), checks the bot token where Discord does, applies
//! injected faults and rate-limit buckets, and answers with Discord's JSON and headers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::model::Call;
use super::sends;
use super::state::State;

/// An answer before it becomes HTTP.
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
    pub code: Option<u64>,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body: Some(body),
            headers: vec![],
            code: None,
        }
    }

    pub fn empty() -> Reply {
        Reply {
            status: 204,
            body: None,
            headers: vec![],
            code: None,
        }
    }

    /// A Discord error: `{"code":..,"message":..}`.
    pub fn error(status: u16, code: u64, message: &str) -> Reply {
        Reply {
            status,
            body: Some(json!({"code": code, "message": message})),
            headers: vec![],
            code: Some(code),
        }
    }

    /// A 429 with Discord's body and headers.
    pub fn limited(retry: Duration, bucket: &str) -> Reply {
        let secs = format!("{:.3}", retry.as_secs_f64().max(0.001));
        Reply {
            status: 429,
            body: Some(json!({
                "message": "You are being rate limited.",
                "retry_after": retry.as_secs_f64().max(0.001),
                "global": false,
            })),
            headers: vec![
                ("retry-after", retry.as_secs().max(1).to_string()),
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset-after", secs),
                ("x-ratelimit-bucket", bucket.to_owned()),
                ("x-ratelimit-scope", "user".into()),
            ],
            code: None,
        }
    }

    /// Adds a bucket's headers to a success.
    pub fn with_bucket(mut self, limit: u32, left: u32, reset: Duration, bucket: &str) -> Reply {
        self.headers.extend([
            ("x-ratelimit-limit", limit.to_string()),
            ("x-ratelimit-remaining", left.to_string()),
            (
                "x-ratelimit-reset-after",
                format!("{:.3}", reset.as_secs_f64()),
            ),
            ("x-ratelimit-bucket", bucket.to_owned()),
        ]);
        self
    }
}

/// A request as the routes read it.
pub struct Req<'a> {
    pub method: &'a Method,
    /// Path segments after `/api/v10`.
    pub parts: Vec<&'a str>,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
}

pub async fn handle(
    AxState(shared): AxState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = shared.config.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = uri.path().to_owned();
    // The CDN: attachment files, no authorization (Discord's URLs are signed; these are not).
    if let Some(id) = path
        .strip_prefix("/attachments/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse::<u64>().ok())
    {
        let file = shared.state().files.get(&id).cloned();
        return match file {
            Some(bytes) => (StatusCode::OK, bytes).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let reply = {
        let mut st = shared.state();
        let req = Req {
            method: &method,
            parts: path
                .strip_prefix("/api/v10/")
                .map(|p| p.split('/').collect())
                .unwrap_or_default(),
            query: uri.query(),
            headers: &headers,
            body: &body,
        };
        let reply = match st.injected_failure(&path.replacen("/api/v10", "", 1)) {
            Some(status) => Reply::error(status, 0, "injected failure"),
            None => route(&shared, &mut st, &req),
        };
        st.calls.push(Call {
            method: method.to_string(),
            path: redact(&path),
            query: uri.query().map(str::to_owned),
            status: reply.status,
            code: reply.code,
            at: Instant::now(),
        });
        reply
    };
    shared.changed.notify_waiters();
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match reply.body {
        Some(b) => (status, axum::Json(b)).into_response(),
        None => status.into_response(),
    };
    for (k, v) in reply.headers {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// A webhook or interaction token in a path becomes `***`.
fn redact(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let mut out: Vec<String> = parts.iter().map(|s| (*s).to_owned()).collect();
    for (i, p) in parts.iter().enumerate() {
        if (*p == "webhooks" || *p == "interactions") && i + 2 < parts.len() {
            out[i + 2] = "***".into();
        }
    }
    out.join("/")
}

fn authorized(st: &State, shared: &Shared, req: &Req<'_>) -> bool {
    let _ = st;
    req.headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bot {}", shared.token))
}

fn id(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn route(shared: &Shared, st: &mut State, req: &Req<'_>) -> Reply {
    let p = req.parts.as_slice();
    let m = req.method.as_str();
    // Webhook executes and interaction callbacks carry their own token.
    let open = matches!(p, ["webhooks", ..] | ["interactions", ..]);
    if !open && !authorized(st, shared, req) {
        return Reply::error(401, 0, "401: Unauthorized");
    }
    match (m, p) {
        ("GET", ["gateway"] | ["gateway", "bot"]) => Reply::ok(json!({
            "url": shared.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        })),
        ("GET", ["users", "@me"]) => Reply::ok(super::payloads::user(&st.bot)),
        ("GET", ["oauth2", "applications", "@me"]) => Reply::ok(json!({
            "id": st.bot.id.to_string(), "name": st.bot.username, "icon": null,
            "description": "", "bot_public": true, "bot_require_code_grant": false,
            "verify_key": "", "flags": 0,
        })),
        ("PUT", ["applications", _, "commands"]) => {
            let mut cmds: Value = serde_json::from_slice(req.body).unwrap_or(json!([]));
            if let Some(list) = cmds.as_array_mut() {
                for c in list.iter_mut() {
                    let cid = st.next_id();
                    c["id"] = json!(cid.to_string());
                    c["application_id"] = json!(st.bot.id.to_string());
                    c["version"] = json!("1");
                }
            }
            st.commands = cmds.clone();
            Reply::ok(cmds)
        }
        ("GET", ["applications", _, "commands"]) => Reply::ok(st.commands.clone()),
        ("GET", ["channels", c]) => match id(c) {
            Some(c) if st.channel_exists(c) => Reply::ok(sends::channel_object(st, c)),
            _ => Reply::error(404, 10003, "Unknown Channel"),
        },
        ("GET" | "POST", ["channels", c, "webhooks"]) => {
            sends::webhooks(st, req, id(c).unwrap_or(0))
        }
        ("POST", ["channels", c, "messages"]) => {
            sends::bot_message(shared, st, req, id(c).unwrap_or(0))
        }
        ("POST", ["channels", c, "typing"]) => {
            let c = id(c).unwrap_or(0);
            if !st.channel_exists(c) {
                return Reply::error(404, 10003, "Unknown Channel");
            }
            st.typing.push((c, Instant::now()));
            Reply::empty()
        }
        ("POST", ["users", "@me", "channels"]) => {
            let body: Value = serde_json::from_slice(req.body).unwrap_or(Value::Null);
            let user = body["recipient_id"]
                .as_str()
                .and_then(id)
                .or_else(|| body["recipient_id"].as_u64());
            match user {
                Some(u) => {
                    let c = st.dm_channel(u);
                    let mut obj = super::payloads::channel(c, 1, None, None);
                    obj["recipients"] = json!([super::payloads::user(&st.user(u))]);
                    Reply::ok(obj)
                }
                None => Reply::error(400, 50035, "Invalid Form Body"),
            }
        }
        ("POST", ["webhooks", w, token]) => {
            sends::execute(shared, st, req, id(w).unwrap_or(0), token)
        }
        ("POST", ["interactions", i, token, "callback"]) => {
            sends::callback(st, req, id(i).unwrap_or(0), token)
        }
        ("GET", ["guilds", g]) => match id(g).and_then(|g| st.guild(g).cloned()) {
            Some(g) => Reply::ok(super::payloads::guild(&g, &[])),
            None => Reply::error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", _, "members", u]) => {
            let u = st.user(id(u).unwrap_or(0));
            Reply::ok(super::payloads::member(&u, &[], None))
        }
        _ => Reply::error(404, 0, "404: Not Found"),
    }
}
