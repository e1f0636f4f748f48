//! The Discord REST calls switchboard makes itself, over the app's shared reqwest client.
//! serenity's HTTP client would lose what webhook pools live on: a 429's `retry_after` (its body
//! has no `code`, so serenity cannot decode it) and the `X-RateLimit-*` headers of every answer.
//! So every send, webhook and channel lookup goes through here, and every answer comes back with
//! its rate-limit facts and Discord's JSON error code, as variants a caller can act on. Nothing
//! here logs, and errors never carry a URL (a webhook URL holds its token).

use serde::Deserialize;
use serde_json::Value;
use switchboard_platforms::OutFile;
use switchboard_platforms::discord::Headers;

/// Discord's JSON error codes the adapter acts on.
pub const UNKNOWN_CHANNEL: u64 = 10003;
pub const UNKNOWN_WEBHOOK: u64 = 10015;
pub const MAX_WEBHOOKS: u64 = 30007;
pub const MISSING_ACCESS: u64 = 50001;
pub const CANNOT_DM: u64 = 50007;
pub const MISSING_PERMISSIONS: u64 = 50013;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    /// 429: nothing more through this route until `retry_after_ms` has passed.
    #[error("rate limited for {retry_after_ms} ms")]
    RateLimited { retry_after_ms: u64 },
    /// A 4xx with Discord's JSON error `code` (0 when the body had none).
    #[error("Discord refused the request: HTTP {status}, code {code}")]
    Refused { status: u16, code: u64 },
    /// A 5xx: Discord's trouble, worth retrying.
    #[error("Discord answered HTTP {0}")]
    Server(u16),
    /// No answer (connection, timeout).
    #[error("network error: {0}")]
    Network(String),
    /// An answer that is not what Discord sends.
    #[error("unreadable answer: {0}")]
    Decode(String),
}

impl RestError {
    /// Discord's error code, for refusals.
    pub fn code(&self) -> Option<u64> {
        match self {
            RestError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RestError::RateLimited { .. } | RestError::Server(_) | RestError::Network(_)
        )
    }
}

/// A channel as the adapter needs it.
#[derive(Clone, Debug, Deserialize)]
pub struct ChannelInfo {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    #[serde(rename = "type", default)]
    pub kind: u32,
    #[serde(default, deserialize_with = "opt_snowflake")]
    pub guild_id: Option<u64>,
    /// A thread's parent channel (or a channel's category, which the adapter ignores).
    #[serde(default, deserialize_with = "opt_snowflake")]
    pub parent_id: Option<u64>,
}

impl ChannelInfo {
    /// Public, private and announcement threads.
    pub fn is_thread(&self) -> bool {
        matches!(self.kind, 10..=12)
    }
}

/// A webhook as listed or created.
#[derive(Clone, Deserialize)]
pub struct WebhookInfo {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    /// Present only for incoming webhooks the caller may use.
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default, deserialize_with = "opt_snowflake")]
    pub application_id: Option<u64>,
    #[serde(default)]
    pub user: Option<IdOnly>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct IdOnly {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
}

/// The rate-limit facts of an answer, and what it said.
pub struct Answer {
    pub headers: Headers,
    pub result: Result<Value, RestError>,
}

/// The REST side of one bot.
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    /// `https://discord.com/api/v10`, or the configured replacement's.
    api: String,
    /// `Bot <token>`.
    auth: String,
}

impl Rest {
    /// `base` replaces `https://discord.com` (a proxy or a test fake).
    pub fn new(http: reqwest::Client, base: Option<&str>, token: &str) -> Rest {
        let base = base.unwrap_or("https://discord.com").trim_end_matches('/');
        Rest {
            http,
            api: format!("{base}/api/v10"),
            auth: format!("Bot {token}"),
        }
    }

    /// The host of the configured `api_base` (a proxy or a test fake), if one is set.
    pub fn api_host(&self) -> Option<&str> {
        let rest = self.api.split_once("://")?.1;
        let host = rest.split(['/', ':']).next()?;
        (host != "discord.com").then_some(host)
    }

    /// Downloads a file of at most `max` bytes (no authorization: attachment URLs are public).
    pub async fn download(&self, url: &str, max: u64) -> Option<Vec<u8>> {
        let resp = self.http.get(url).send().await.ok()?;
        if !resp.status().is_success() || resp.content_length().is_some_and(|n| n > max) {
            return None;
        }
        let bytes = resp.bytes().await.ok()?;
        (bytes.len() as u64 <= max).then(|| bytes.to_vec())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// Sends a request with the bot's authorization.
    async fn bot(&self, req: reqwest::RequestBuilder) -> Answer {
        send(req.header("Authorization", &self.auth)).await
    }

    pub async fn channel(&self, id: u64) -> Result<ChannelInfo, RestError> {
        let a = self
            .bot(self.http.get(self.url(&format!("/channels/{id}"))))
            .await;
        decode(a.result?)
    }

    pub async fn channel_webhooks(&self, channel: u64) -> Result<Vec<WebhookInfo>, RestError> {
        let url = self.url(&format!("/channels/{channel}/webhooks"));
        decode(self.bot(self.http.get(url)).await.result?)
    }

    pub async fn create_webhook(&self, channel: u64, name: &str) -> Result<WebhookInfo, RestError> {
        let url = self.url(&format!("/channels/{channel}/webhooks"));
        let body = serde_json::json!({ "name": name });
        decode(self.bot(self.http.post(url).json(&body)).await.result?)
    }

    /// Executes a webhook (`wait=true`: the answer is the message). No authorization: the token
    /// in the path is the credential.
    pub async fn execute_webhook(
        &self,
        id: u64,
        token: &str,
        thread: Option<u64>,
        body: &Value,
    ) -> Answer {
        let mut url = self.url(&format!("/webhooks/{id}/{token}?wait=true"));
        if let Some(t) = thread {
            url.push_str(&format!("&thread_id={t}"));
        }
        send(self.http.post(url).json(body)).await
    }

    /// Posts a message as the bot, with a file when given.
    pub async fn create_message(
        &self,
        channel: u64,
        body: &Value,
        file: Option<&OutFile>,
    ) -> Answer {
        let url = self.url(&format!("/channels/{channel}/messages"));
        self.bot(with_file(self.http.post(url), body, file)).await
    }

    pub async fn typing(&self, channel: u64) -> Result<(), RestError> {
        let url = self.url(&format!("/channels/{channel}/typing"));
        self.bot(self.http.post(url)).await.result.map(drop)
    }

    /// The direct-message channel with a user (Discord opens it if needed).
    pub async fn dm_channel(&self, user: u64) -> Result<u64, RestError> {
        let url = self.url("/users/@me/channels");
        let body = serde_json::json!({ "recipient_id": user.to_string() });
        let c: ChannelInfo = decode(self.bot(self.http.post(url).json(&body)).await.result?)?;
        Ok(c.id)
    }

    /// The bot's own user id.
    pub async fn current_user(&self) -> Result<u64, RestError> {
        let me: IdOnly = decode(
            self.bot(self.http.get(self.url("/users/@me")))
                .await
                .result?,
        )?;
        Ok(me.id)
    }

    pub async fn guild(&self, id: u64) -> Result<Value, RestError> {
        self.bot(self.http.get(self.url(&format!("/guilds/{id}"))))
            .await
            .result
    }

    /// Answers an interaction (callback `type` 4: a message).
    pub async fn interaction_callback(
        &self,
        id: &str,
        token: &str,
        body: &Value,
        file: Option<&OutFile>,
    ) -> Result<(), RestError> {
        let url = self.url(&format!("/interactions/{id}/{token}/callback"));
        send(with_file(self.http.post(url), body, file))
            .await
            .result
            .map(drop)
    }

    /// Replaces the application's global slash commands.
    pub async fn put_commands(&self, application: u64, commands: &Value) -> Result<(), RestError> {
        let url = self.url(&format!("/applications/{application}/commands"));
        self.bot(self.http.put(url).json(commands))
            .await
            .result
            .map(drop)
    }
}

/// A JSON body, or `payload_json` plus `files[0]` as multipart when there is a file.
fn with_file(
    req: reqwest::RequestBuilder,
    body: &Value,
    file: Option<&OutFile>,
) -> reqwest::RequestBuilder {
    let Some(f) = file else {
        return req.json(body);
    };
    let mut body = body.clone();
    body["attachments"] = serde_json::json!([{ "id": 0, "filename": f.name }]);
    let part = reqwest::multipart::Part::bytes(f.bytes.clone())
        .file_name(f.name.clone())
        .mime_str(&f.mime)
        .unwrap_or_else(|_| reqwest::multipart::Part::bytes(f.bytes.clone()));
    let form = reqwest::multipart::Form::new()
        .text("payload_json", body.to_string())
        .part("files[0]", part);
    req.multipart(form)
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "request failed"
            };
            return Answer {
                headers: Headers::default(),
                result: Err(RestError::Network(what.into())),
            };
        }
    };
    let status = resp.status().as_u16();
    let h = resp.headers();
    let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (remaining, reset_after, retry_header) = (
        get("x-ratelimit-remaining"),
        get("x-ratelimit-reset-after"),
        get("retry-after"),
    );
    let text = resp.text().await.unwrap_or_default();
    let json: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    // A 429's body says how long, to the millisecond; the header is whole seconds.
    let retry_body = json.get("retry_after").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let retry = (status == 429)
        .then(|| retry_body.or(retry_header))
        .flatten();
    let headers = Headers::from_raw(
        remaining.as_deref(),
        reset_after.as_deref(),
        retry.as_deref(),
    );
    let result = match status {
        200..=299 => Ok(json),
        429 => Err(RestError::RateLimited {
            retry_after_ms: headers.retry_after_ms.unwrap_or(1000),
        }),
        400..=499 => Err(RestError::Refused {
            status,
            code: json.get("code").and_then(Value::as_u64).unwrap_or(0),
        }),
        _ => Err(RestError::Server(status)),
    };
    Answer { headers, result }
}

pub fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, RestError> {
    serde_json::from_value(v).map_err(|e| RestError::Decode(e.to_string()))
}

/// The id of a created message.
pub fn message_id(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn snowflake<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    opt_snowflake(d)?.ok_or_else(|| serde::de::Error::custom("missing id"))
}

fn opt_snowflake<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    })
}
