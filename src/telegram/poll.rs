//! Long polling: `getUpdates` in a loop, each update handled in order and acknowledged by the next
//! call's offset, only once ingress took it in (an update that failed is asked for again). Updates are read as raw JSON one by one, so one malformed update is skipped
//! instead of failing its whole batch. An update that Telegram delivers again (after a restart
//! before its offset was acknowledged) carries the same message id, so ingress makes no second
//! job. In Redis mode only the elected process polls a bot (`leader`).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use super::receive::{Received, Receiver};

/// How long one `getUpdates` waits for updates on Telegram's side.
const POLL_SECS: u64 = 25;
/// Longest pause after repeated failures.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct Answer<'a> {
    ok: bool,
    #[serde(borrow)]
    result: Option<Vec<&'a RawValue>>,
    error_code: Option<u16>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Id {
    update_id: i64,
}

/// Polls until `stop`.
pub async fn poll(r: Arc<Receiver>, http: reqwest::Client, token: String, stop: CancellationToken) {
    let url = format!("{}/bot{token}/getUpdates", r.config.api_url);
    let mut offset: i64 = 0;
    let mut backoff = Duration::from_millis(500);
    tracing::info!(bot = %r.config.name, "Telegram long polling started");
    loop {
        let body = serde_json::json!({
            "offset": offset,
            "timeout": POLL_SECS,
            "allowed_updates": ["message", "edited_message"],
        });
        let call = http
            .post(&url)
            .json(&body)
            .timeout(Duration::from_secs(POLL_SECS + 10))
            .send();
        let res = tokio::select! {
            () = stop.cancelled() => return,
            res = call => res,
        };
        let text = match res {
            Ok(resp) => resp.text().await,
            Err(e) => Err(e),
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                // Never log the URL: it holds the token.
                tracing::warn!(bot = %r.config.name, error = %e.without_url(), "getUpdates failed");
                if pause(&mut backoff, &stop).await {
                    return;
                }
                continue;
            }
        };
        let answer: Answer<'_> = match serde_json::from_str(&text) {
            Ok(a) => a,
            Err(_) => {
                tracing::warn!(bot = %r.config.name, "getUpdates answered something that is not Bot API JSON");
                if pause(&mut backoff, &stop).await {
                    return;
                }
                continue;
            }
        };
        let Some(updates) = answer.result.filter(|_| answer.ok) else {
            tracing::warn!(
                bot = %r.config.name,
                code = answer.error_code.unwrap_or(0),
                description = %answer.description.unwrap_or_default(),
                "getUpdates refused (409: another poller or a webhook holds this bot)"
            );
            if pause(&mut backoff, &stop).await {
                return;
            }
            continue;
        };
        backoff = Duration::from_millis(500);
        let mut failed = false;
        for raw in updates {
            let id = serde_json::from_str::<Id>(raw.get()).ok();
            if id.is_none() {
                tracing::warn!(bot = %r.config.name, "an update without an id");
            }
            if r.receive(raw.get()).await == Received::Failed {
                // Not taken in (storage or queue unreachable): left unconfirmed, so Telegram
                // gives it (and the rest of the batch) again after the pause. What was taken in
                // already is not doubled: the message ids make the job ids.
                failed = true;
                break;
            }
            if let Some(id) = id {
                offset = offset.max(id.update_id + 1);
            }
        }
        if failed {
            tracing::warn!(bot = %r.config.name, "an update could not be taken in; asking for it again");
            if pause(&mut backoff, &stop).await {
                return;
            }
        }
    }
}

/// Sleeps the backoff (doubling it); true if stopping.
async fn pause(backoff: &mut Duration, stop: &CancellationToken) -> bool {
    let d = *backoff;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    tokio::select! {
        () = stop.cancelled() => true,
        () = tokio::time::sleep(d) => false,
    }
}
