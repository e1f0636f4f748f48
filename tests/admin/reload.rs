//! Hot reload, the acceptance: during a run, the file's tenant weight and user quota are
//! changed; the next dispatches follow the new weight and the new quota applies. An invalid edit is
//! refused with the errors a start would give (logs, metrics, API) and the old config keeps
//! working; a setting that only applies at start is reported as needing a restart; SIGHUP reloads.

use std::time::Duration;

use serde_json::Value;
use switchboard::sim::ai_server::{FakeAiConfig, UserFaults};

use crate::support::{Conf, Opts, Svc, sample, start};

/// Users per tenant in one batch.
const PER_TENANT: i64 = 30;

/// Holds the only worker with a slow job of user `blocker` (tenant alpha) while one message from
/// each of `PER_TENANT` new users of alpha (ids from `base`) and of beta (from `base + 500`) is
/// queued; returns the order the AI saw the batch in, as tenant letters.
async fn batch(s: &Svc, blocker: i64, base: i64) -> Vec<char> {
    let blocker_user = format!("telegram:{blocker}");
    s.say(1, blocker, "hold the worker");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !s.ai.requests().iter().any(|r| r.user == blocker_user) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the blocker never ran"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for i in 0..PER_TENANT {
        s.say(1, base + i, "a");
        s.say(2, base + 500 + i, "b");
    }
    let want = 2 * PER_TENANT as u64;
    let q = s
        .until("/api/queue", 10, |v| v["ready"].as_u64() == Some(want))
        .await;
    assert_eq!(
        q["in_flight"], 1,
        "the whole batch was queued while the blocker held the worker: {q}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let order: Vec<char> =
            s.ai.requests()
                .iter()
                .skip_while(|r| r.user != blocker_user)
                .skip(1)
                .filter_map(|r| {
                    let id: i64 = r.user.strip_prefix("telegram:")?.parse().ok()?;
                    match id - base {
                        0..PER_TENANT => Some('a'),
                        500..530 => Some('b'),
                        _ => None,
                    }
                })
                .collect();
        if order.len() == want as usize {
            return order;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "batch not done: {order:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for a reload after `previous` (the last reload JSON seen) and returns it.
async fn next_reload(s: &Svc, previous: &Value) -> Value {
    let cfg = s
        .until("/api/config", 20, |v| v["last_reload"] != *previous)
        .await;
    cfg["last_reload"].clone()
}

fn alpha_share(order: &[char], first: usize) -> usize {
    order.iter().take(first).filter(|&&t| t == 'a').count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_and_quotas_follow_the_file_and_a_bad_edit_is_refused() {
    let slow = UserFaults {
        latency: Some(Duration::from_secs(3)),
        ..UserFaults::default()
    };
    let mut conf = Conf {
        concurrency: 1,
        ..Conf::default()
    };
    let s = start(Opts {
        conf: conf.clone(),
        ai: FakeAiConfig {
            latency: Duration::from_millis(20),
            users: [
                ("telegram:9001".to_owned(), slow.clone()),
                ("telegram:9002".to_owned(), slow),
            ]
            .into(),
            ..FakeAiConfig::default()
        },
        sighup: true,
    })
    .await;

    // Weights 1:1: the batch alternates.
    let first = batch(&s, 9001, 1000).await;
    let a = alpha_share(&first, 20);
    eprintln!("weights 1:1: alpha had {a} of the first 20 dispatches");
    assert!(
        (8..=12).contains(&a),
        "1:1 gave alpha {a} of the first 20: {first:?}"
    );
    s.say(1, 77, "before the edit");
    s.sends_to(77, 1, 20).await;

    // The edit: alpha weighs 3, user 77 may make 1 request a day.
    conf.alpha_weight = 3.0;
    conf.u77_requests_per_day = 1;
    s.write(&conf);
    let applied = next_reload(&s, &Value::Null).await;
    assert_eq!(applied["ok"], true, "{applied}");
    assert_eq!(applied["trigger"], "file");
    assert_eq!(applied["needs_restart"], serde_json::json!([]));
    let second = batch(&s, 9002, 2000).await;
    let a = alpha_share(&second, 20);
    eprintln!("weights 3:1 after the reload: alpha had {a} of the first 20 dispatches");
    assert!(
        a >= 14,
        "3:1 gave alpha only {a} of the first 20: {second:?}"
    );
    s.say(1, 77, "after the edit");
    let sent = s.sends_to(77, 2, 20).await;
    assert!(sent[1].body().contains("1 request"), "{}", sent[1].body());
    let m = s.metrics().await;
    assert_eq!(
        sample(
            &m,
            "switchboard_admission_refused_total{tenant=\"alpha\",limit=\"user_requests_per_day\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&m, "switchboard_config_reloads_total{result=\"applied\"}"),
        Some(1.0)
    );

    // An invalid edit: refused with the loader's errors; the old config stays and works.
    let bad = Conf {
        beta_weight: -1.0,
        ..conf.clone()
    };
    s.write(&bad);
    let refused = next_reload(&s, &applied).await;
    assert_eq!(refused["ok"], false, "{refused}");
    let errors = refused["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0].as_str().unwrap();
    assert!(
        e.contains("switchboard.toml:")
            && e.contains("tenants[1].weight")
            && e.contains("more than 0"),
        "{e}"
    );
    let cfg = s.get_json("/api/config").await;
    assert_eq!(cfg["config"]["tenants"]["named"]["alpha"]["weight"], 3.0);
    assert_eq!(cfg["config"]["tenants"]["named"]["beta"]["weight"], 1.0);
    let m = s.metrics().await;
    assert_eq!(sample(&m, "switchboard_config_reload_ok"), Some(0.0));
    assert_eq!(
        sample(&m, "switchboard_config_reloads_total{result=\"refused\"}"),
        Some(1.0)
    );
    s.say(2, 88, "still answered");
    s.sends_to(88, 1, 20).await;

    // A valid edit of a start-only setting: applied, with that setting named for a restart.
    conf.concurrency = 4;
    s.write(&conf);
    let restart = next_reload(&s, &refused).await;
    assert_eq!(restart["ok"], true, "{restart}");
    assert_eq!(
        restart["needs_restart"],
        serde_json::json!(["workers.concurrency"])
    );
    let cfg = s.get_json("/api/config").await;
    assert_eq!(
        cfg["config"]["workers"]["concurrency"], 1,
        "still running with 1"
    );
    let m = s.metrics().await;
    assert_eq!(sample(&m, "switchboard_config_restart_needed"), Some(1.0));
    assert_eq!(sample(&m, "switchboard_config_reload_ok"), Some(1.0));

    // SIGHUP reloads too (the file is unchanged).
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let hup = next_reload(&s, &restart).await;
    assert_eq!(hup["trigger"], "signal", "{hup}");
    assert_eq!(hup["ok"], true);
    s.stop().await;
}
