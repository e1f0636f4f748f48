//! The JSON API acting on the running service: dead letters listed (without their content),
//! requeued (and answered) and deleted; a breaker opened by failing AI calls, listed, and reset so
//! the user is served again while an unreset one keeps postponing; tenants, users, top users and
//! the redacted config; an operator's ban.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::sim::ai_server::{FakeAiConfig, UserFaults};

use crate::support::{ADMIN_TOKEN, Conf, ERROR_NOTICE, Opts, TOKEN, TOKEN2, sample, start};

fn failing(users: &[&str]) -> FakeAiConfig {
    let fault = UserFaults {
        error_rate: Some(1.0),
        status: Some(500),
        ..UserFaults::default()
    };
    FakeAiConfig {
        users: users
            .iter()
            .map(|u| ((*u).to_owned(), fault.clone()))
            .collect::<HashMap<_, _>>(),
        ..FakeAiConfig::default()
    }
}

fn ai_calls_of(s: &crate::support::Svc, user: &str) -> usize {
    s.ai.requests().iter().filter(|r| r.user == user).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_requeued_and_deleted() {
    let s = start(Opts {
        ai: failing(&["telegram:501", "telegram:502"]),
        ..Opts::default()
    })
    .await;
    s.say(1, 501, "a private question");
    s.say(2, 502, "another private question");
    let dead = s
        .until("/api/queue/dead", 20, |v| v.as_array().unwrap().len() == 2)
        .await;
    let text = dead.to_string();
    assert!(
        !text.contains("private question"),
        "dead letters never show message content: {text}"
    );
    let of = |user: &str| -> Value {
        dead.as_array()
            .unwrap()
            .iter()
            .find(|d| d["user"] == user)
            .unwrap()
            .clone()
    };
    let (d501, d502) = (of("telegram:501"), of("telegram:502"));
    assert_eq!(d501["tenant"], "alpha");
    assert_eq!(d502["tenant"], "beta");
    assert_eq!(d501["attempts"], 1);
    assert!(d501["error"].as_str().unwrap().contains("500"), "{d501}");
    // Each was told once, in character.
    assert_eq!(s.sends_to(501, 1, 10).await[0].body(), ERROR_NOTICE);

    // The AI works again: a requeued job is answered.
    s.ai.set_config(FakeAiConfig::default());
    let (status, body) = s
        .post("/api/queue/dead/requeue", json!({"id": d501["id"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sent = s.sends_to(501, 2, 20).await;
    assert_ne!(sent[1].body(), ERROR_NOTICE, "answered by the AI");
    assert_eq!(ai_calls_of(&s, "telegram:501"), 2);

    // Deleted: gone, and never answered.
    let (status, _) = s
        .post("/api/queue/dead/delete", json!({"id": d502["id"]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    s.until("/api/queue/dead", 10, |v| v.as_array().unwrap().is_empty())
        .await;
    for action in ["requeue", "delete"] {
        let (status, body) = s
            .post(
                &format!("/api/queue/dead/{action}"),
                json!({"id": "no-such-job"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}: {body}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.sends_to(502, 1, 1).await.len(), 1, "only the notice");
    assert_eq!(ai_calls_of(&s, "telegram:502"), 1);

    let m = s.metrics().await;
    assert_eq!(
        sample(
            &m,
            "switchboard_job_failures_total{tenant=\"alpha\",outcome=\"dead_letter\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&m, "switchboard_queue_dead_letters"), Some(0.0));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaker_opens_and_an_operator_resets_it() {
    let s = start(Opts {
        conf: Conf {
            min_calls: 2,
            ..Conf::default()
        },
        ai: failing(&["telegram:601", "telegram:602"]),
        ..Opts::default()
    })
    .await;
    for user in [601, 602] {
        s.say(1, user, "one");
        s.until("/api/queue/dead", 20, |v| {
            v.as_array()
                .unwrap()
                .iter()
                .filter(|d| d["user"] == format!("telegram:{user}"))
                .count()
                == 1
        })
        .await;
        s.say(1, user, "two");
    }
    let open = s
        .until("/api/breakers", 20, |v| v.as_array().unwrap().len() == 2)
        .await;
    let b = &open[0];
    assert_eq!(
        (
            b["tenant"].as_str(),
            b["user"].as_str(),
            b["state"].as_str()
        ),
        (Some("alpha"), Some("telegram:601"), Some("open"))
    );
    assert_eq!(b["trips"], 1);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        b["open_until_ms"].as_u64().unwrap() > now_ms + 500_000,
        "{b}"
    );
    let m = s.metrics().await;
    assert_eq!(
        sample(&m, "switchboard_breakers{state=\"open\"}"),
        Some(2.0)
    );
    assert_eq!(
        sample(&m, "switchboard_breaker_opened_total{tenant=\"alpha\"}"),
        Some(2.0)
    );

    // The AI is fine again; only 601's breaker is reset.
    s.ai.set_config(FakeAiConfig::default());
    let (status, body) = s
        .post(
            "/api/breakers/reset",
            json!({"tenant": "alpha", "user": "telegram:601"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = s
        .post(
            "/api/breakers/reset",
            json!({"tenant": "alpha", "user": "telegram:601"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to reset");
    let left = s.get_json("/api/breakers").await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["user"], "telegram:602");

    let before = s.sends_to(601, 1, 5).await.len();
    s.say(1, 601, "three");
    s.say(1, 602, "three");
    let sent = s.sends_to(601, before + 1, 20).await;
    assert_ne!(sent[before].body(), ERROR_NOTICE, "answered by the AI");
    assert_eq!(ai_calls_of(&s, "telegram:601"), 3);
    // 602's breaker is still open: the job waits (delayed), the AI is not called.
    let queue = s
        .until("/api/queue", 10, |v| {
            v["tenants"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["tenant"] == "alpha" && t["delayed"] == 1)
        })
        .await;
    assert_eq!(queue["delayed"], 1, "{queue}");
    assert_eq!(ai_calls_of(&s, "telegram:602"), 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_users_top_and_config() {
    let s = start(Opts::default()).await;
    s.say(1, 77, "hi");
    s.say(2, 88, "hello");
    s.sends_to(77, 1, 20).await;
    s.sends_to(88, 1, 20).await;

    let tenants = s.get_json("/api/tenants").await;
    let alpha = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "alpha")
        .unwrap();
    assert_eq!(alpha["named"], true);
    assert_eq!(alpha["weight"], 1.0);
    assert_eq!(alpha["access"], "open");
    assert_eq!(alpha["usage"]["today"]["requests"], 1);
    assert!(alpha["usage"]["month"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(alpha["queue"]["ready"], 0);

    let users = s.get_json("/api/users?search=77").await;
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    let u = &users[0];
    assert_eq!(u["key"], json!({"tenant": "alpha", "user": "telegram:77"}));
    assert_eq!(u["status"], "active");
    assert_eq!(u["usage"]["today"]["requests"], 1);
    assert_eq!(u["breaker"], "closed");
    assert_eq!(u["backlog"], 0);
    assert_eq!(u["quotas"]["requests_per_day"], 100, "the config override");
    assert_eq!(
        s.get_json("/api/users?tenant=beta").await[0]["key"]["user"],
        "telegram:88"
    );

    let top = s.get_json("/api/usage/top").await;
    assert_eq!(top.as_array().unwrap().len(), 2);
    assert!(top[0]["cost_usd"].as_f64().unwrap() >= top[1]["cost_usd"].as_f64().unwrap());

    // A ban from the API: the next message is refused.
    let (status, _) = s
        .post(
            "/api/users/status",
            json!({"tenant": "beta", "user": "telegram:88", "status": "banned"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .post(
            "/api/users/status",
            json!({"tenant": "beta", "user": "telegram:404", "status": "banned"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.say(2, 88, "still there?");
    let sent = s.sends_to(88, 2, 10).await;
    assert!(sent[1].body().contains("can't use"), "{}", sent[1].body());
    assert_eq!(
        sample(
            &s.metrics().await,
            "switchboard_admission_refused_total{tenant=\"beta\",limit=\"banned\"}"
        ),
        Some(1.0)
    );

    // The config as it runs, every secret redacted.
    let cfg = s.get_json("/api/config").await;
    let text = cfg.to_string();
    for secret in [ADMIN_TOKEN, TOKEN, TOKEN2] {
        assert!(!text.contains(secret), "/api/config shows a secret");
    }
    assert_eq!(cfg["config"]["admin"]["token"], "***");
    assert_eq!(cfg["config"]["platforms"]["telegram"][0]["token"], "***");
    assert_eq!(cfg["config"]["tenants"]["named"]["alpha"]["weight"], 1.0);
    assert_eq!(cfg["config"]["queue"]["lease"], 120.0);
    assert!(
        cfg["watching"]
            .as_str()
            .unwrap()
            .ends_with("switchboard.toml")
    );
    assert_eq!(cfg["last_reload"], Value::Null);
    s.stop().await;
}
