//! The dashboard: one HTML page, its script and its style sheet, embedded in the binary (no build
//! step) and served behind the admin token like the API they read. The page refreshes itself from
//! the JSON API: queue depth per tenant, throughput and wait charts, top users by cost, open
//! breakers and dead letters, with the API's reset, requeue and delete as buttons.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("dashboard/index.html");
const SCRIPT: &str = include_str!("dashboard/dashboard.js");
const STYLE: &str = include_str!("dashboard/dashboard.css");

/// Nothing here may be cached by a proxy (it sits behind the token), nor framed by another site.
const PRIVATE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "private, no-cache");
const NO_FRAMES: (header::HeaderName, &str) = (header::X_FRAME_OPTIONS, "DENY");

pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            PRIVATE,
            NO_FRAMES,
        ],
        PAGE,
    )
}

pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            PRIVATE,
        ],
        SCRIPT,
    )
}

pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), PRIVATE],
        STYLE,
    )
}
