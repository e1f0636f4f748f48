//! Webhook mode: Telegram POSTs each update to the bot's public URL, which a TLS-terminating
//! proxy forwards here. Every request must carry the `X-Telegram-Bot-Api-Secret-Token` registered
//! with `setWebhook`; without it the request is refused with 401 and nothing is taken in. Valid
//! requests are answered 200 once the update is handled (a malformed one too: Telegram would only
//! send it again).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::receive::{Received, Receiver};

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Telegram updates are small; anything larger is not one.
const MAX_BODY: usize = 1024 * 1024;

struct Hook {
    receiver: Arc<Receiver>,
    secret: String,
}

/// Serves updates on `listener` until `stop`.
pub async fn serve(
    listener: TcpListener,
    receiver: Arc<Receiver>,
    secret: String,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let state = Arc::new(Hook { receiver, secret });
    let app = Router::new()
        .route("/", post(update))
        .route("/{*path}", post(update))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
}

async fn update(State(h): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same(given, h.secret.as_bytes()) {
        tracing::warn!(bot = %h.receiver.config.name, "refused a webhook request without the right secret token");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        tracing::warn!("a webhook body that is not UTF-8");
        return StatusCode::OK;
    };
    match h.receiver.receive(text).await {
        // Storage or queue trouble: let Telegram deliver it again.
        Received::Failed => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    }
}

/// Compares secrets in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare_whole() {
        assert!(super::same(b"s3cret", b"s3cret"));
        assert!(!super::same(b"s3cret", b"s3creT"));
        assert!(!super::same(b"s3cret", b"s3cre"));
        assert!(!super::same(b"", b"x"));
    }
}
