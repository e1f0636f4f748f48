//! `/metrics` after real traffic: the series the issue lists, with tenant labels and never a user
//! label, and a text `promtool check metrics` accepts (when promtool is installed; under CI=true
//! it must be).

use std::io::Write as _;
use std::process::{Command, Stdio};

use switchboard::sim::ai_server::{FakeAiConfig, UserFaults};
use switchboard::sim::telegram_api::PermanentError;

use crate::support::{Conf, Opts, sample, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_cover_the_pipeline_and_pass_promtool() {
    let fault = UserFaults {
        error_rate: Some(1.0),
        status: Some(503),
        ..UserFaults::default()
    };
    let s = start(Opts {
        conf: Conf {
            u77_requests_per_day: 2,
            ..Conf::default()
        },
        ai: FakeAiConfig {
            users: [("telegram:501".to_owned(), fault)].into(),
            ..FakeAiConfig::default()
        },
        ..Opts::default()
    })
    .await;
    s.fake
        .set_permanent_error(99, Some(PermanentError::Blocked));
    s.say(1, 77, "one");
    s.sends_to(77, 1, 20).await;
    s.say(1, 77, "two");
    s.sends_to(77, 2, 20).await;
    s.say(1, 77, "three: over the daily limit");
    s.sends_to(77, 3, 20).await;
    s.say(2, 88, "hello");
    s.sends_to(88, 1, 20).await;
    s.say(1, 501, "failing");
    s.sends_to(501, 1, 20).await;
    s.say(1, 99, "blocked the bot");
    let m = loop {
        let m = s.metrics().await;
        if sample(&m, "switchboard_delivery_errors_total{kind=\"blocked\"}").is_some() {
            break m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    let want = [
        ("switchboard_messages_queued_total{tenant=\"alpha\"}", 4.0),
        ("switchboard_messages_queued_total{tenant=\"beta\"}", 1.0),
        ("switchboard_jobs_answered_total{tenant=\"alpha\"}", 2.0),
        (
            "switchboard_admission_refused_total{tenant=\"alpha\",limit=\"user_requests_per_day\"}",
            1.0,
        ),
        (
            "switchboard_ai_requests_total{provider=\"ai\",model=\"m\",result=\"ok\"}",
            4.0,
        ),
        (
            "switchboard_ai_requests_total{provider=\"ai\",model=\"m\",result=\"error\"}",
            1.0,
        ),
        (
            "switchboard_job_failures_total{tenant=\"alpha\",outcome=\"dead_letter\"}",
            1.0,
        ),
        ("switchboard_delivery_errors_total{kind=\"blocked\"}", 1.0),
        (
            "switchboard_queue_wait_seconds_count{tenant=\"alpha\"}",
            4.0,
        ),
        (
            "switchboard_answer_latency_seconds_count{tenant=\"beta\"}",
            1.0,
        ),
        (
            "switchboard_ai_latency_seconds_count{provider=\"ai\",model=\"m\"}",
            5.0,
        ),
        ("switchboard_breakers{state=\"open\"}", 0.0),
        ("switchboard_queue_dead_letters", 1.0),
        ("switchboard_queue_up", 1.0),
        ("switchboard_config_reload_ok", 1.0),
    ];
    for (series, value) in want {
        assert_eq!(sample(&m, series), Some(value), "{series} in:\n{m}");
    }
    for series in [
        "switchboard_ai_tokens_total{tenant=\"alpha\",direction=\"input\"}",
        "switchboard_ai_tokens_total{tenant=\"beta\",direction=\"output\"}",
        "switchboard_ai_cost_usd_total{tenant=\"alpha\"}",
    ] {
        assert!(
            sample(&m, series).is_some_and(|v| v > 0.0),
            "{series} in:\n{m}"
        );
    }
    assert!(m.contains("# TYPE switchboard_queue_wait_seconds histogram"));
    assert!(m.contains("# HELP switchboard_messages_queued_total "));
    // Users are never labels (their ids are unbounded): per-user figures are in the API.
    for user in ["telegram:77", "telegram:88", "telegram:501", "user="] {
        assert!(!m.contains(user), "{user} in the metrics");
    }
    promtool(&m);
    s.stop().await;
}

/// `promtool check metrics` on `text`: must pass; a missing promtool fails under CI=true.
fn promtool(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true and promtool cannot run ({e}); install Debian's prometheus package"
            );
            eprintln!("skipping promtool: {e}");
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- metrics:\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
