//! The token: every route but `/healthz` and `/readyz` answers 401 without it, with a wrong one,
//! or in the wrong scheme; Bearer and Basic (any user name, the token as password) both carry it.

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::json;

use crate::support::{ADMIN_TOKEN, Opts, start};

const GETS: &[&str] = &[
    "/metrics",
    "/api/tenants",
    "/api/users",
    "/api/usage/top",
    "/api/queue",
    "/api/queue/users?tenant=alpha",
    "/api/queue/dead",
    "/api/breakers",
    "/api/config",
    "/api/activity",
    "/",
    "/dashboard.js",
    "/dashboard.css",
    "/no/such/route",
];
const POSTS: &[&str] = &[
    "/api/users/status",
    "/api/queue/dead/requeue",
    "/api/queue/dead/delete",
    "/api/breakers/reset",
    "/api/config/reload",
];

fn basic(pair: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_but_the_health_checks_needs_the_token() {
    let s = start(Opts::default()).await;
    let wrong = [
        None,
        Some("Bearer wrong-token-0123456789".to_owned()),
        Some(format!("Bearer {ADMIN_TOKEN}x")),
        Some(format!("Token {ADMIN_TOKEN}")),
        Some(ADMIN_TOKEN.to_owned()),
        Some(basic("admin:not-the-token")),
    ];
    let routes = GETS
        .iter()
        .map(|p| (reqwest::Method::GET, *p))
        .chain(POSTS.iter().map(|p| (reqwest::Method::POST, *p)));
    for (method, path) in routes {
        for auth in &wrong {
            let mut req = s.http.request(method.clone(), s.url(path)).json(&json!({}));
            if let Some(a) = auth {
                req = req.header(AUTHORIZATION, a);
            }
            let r = req.send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}"
            );
            assert!(
                r.headers()
                    .get(WWW_AUTHENTICATE)
                    .is_some_and(|v| v.to_str().unwrap().starts_with("Basic ")),
                "{method} {path}: a browser is asked for the token"
            );
            let body = r.text().await.unwrap();
            assert!(!body.contains(ADMIN_TOKEN), "the token is never echoed");
        }
    }
    for path in GETS {
        let r = s.get(path).await;
        let want = if *path == "/no/such/route" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        assert_eq!(r.status(), want, "GET {path} with the token");
    }
    // A browser's Basic credentials carry it too (any user name).
    let r = s
        .http
        .get(s.url("/api/queue"))
        .header(AUTHORIZATION, basic(&format!("ops:{ADMIN_TOKEN}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The health checks need nothing.
    let r = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "ok\n");
    let r = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ready: serde_json::Value = r.json().await.unwrap();
    assert_eq!(ready["ready"], true, "{ready:#}");
    assert_eq!(ready["storage"]["ok"], true);
    assert_eq!(
        ready["platforms"],
        json!([
            {"name": "telegram:tg", "running": true},
            {"name": "telegram:tg2", "running": true}
        ])
    );
    assert_eq!(
        ready["workers"],
        json!({"ok": true, "running": 2, "started": 2})
    );
    s.stop().await;
}
