//! The dashboard in a real browser (Debian's headless Chromium): after some traffic (answers, two
//! dead letters, an open breaker holding a delayed job), the page logs in with the token as a
//! browser user would, shows the same figures as the API, resets the breaker with its button, and
//! a screenshot is saved (`<target>/tmp/dashboard.png`). Skipped without Chromium, except under
//! CI=true.

use serde_json::{Value, json};
use switchboard::sim::ai_server::{FakeAiConfig, UserFaults};

use crate::cdp::Browser;
use crate::support::{ADMIN_TOKEN, Conf, Opts, start};

/// The page's rows of table `id`: every cell's text, keyed by the row's `data-<key>`.
fn rows_js(id: &str, key: &str) -> String {
    format!(
        "Object.fromEntries([...document.querySelectorAll('#{id} tbody tr[data-{key}]')]\
         .map(tr => [tr.dataset.{key}, [...tr.querySelectorAll('td')].map(td => td.textContent)]))"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_what_the_api_says() {
    let Some(browser) = Browser::launch("ops", ADMIN_TOKEN).await else {
        return;
    };
    let fault = UserFaults {
        error_rate: Some(1.0),
        status: Some(500),
        ..UserFaults::default()
    };
    let s = start(Opts {
        conf: Conf {
            min_calls: 2,
            ..Conf::default()
        },
        ai: FakeAiConfig {
            users: [("telegram:601".to_owned(), fault)].into(),
            ..FakeAiConfig::default()
        },
        ..Opts::default()
    })
    .await;
    s.say(1, 77, "hi");
    s.say(2, 88, "hello");
    s.say(2, 88, "and again");
    s.sends_to(77, 1, 20).await;
    s.sends_to(88, 2, 20).await;
    s.say(1, 601, "one");
    s.until("/api/queue/dead", 20, |v| v.as_array().unwrap().len() == 1)
        .await;
    s.say(1, 601, "two");
    s.until("/api/breakers", 20, |v| v.as_array().unwrap().len() == 1)
        .await;
    s.say(1, 601, "three: postponed while the breaker is open");
    s.until("/api/queue", 20, |v| v["delayed"] == 1).await;

    let page = browser.open(&s.url("/")).await;
    page.wait_for("document.body.dataset.state === 'ok'", 30)
        .await;

    // Totals and queue depth per tenant.
    let queue = s.get_json("/api/queue").await;
    for (id, key) in [
        ("total-ready", "ready"),
        ("total-in-flight", "in_flight"),
        ("total-delayed", "delayed"),
        ("total-dead", "dead"),
    ] {
        let shown = page
            .eval(&format!("document.getElementById('{id}').textContent"))
            .await;
        assert_eq!(shown, json!(queue[key].to_string()), "{id}");
    }
    let tenants = page.eval(&rows_js("tenants", "tenant")).await;
    let want: serde_json::Map<String, Value> = queue["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let cells: Vec<String> = ["ready", "in_flight", "delayed", "users"]
                .iter()
                .map(|k| t[*k].to_string())
                .collect();
            let mut row = vec![t["tenant"].as_str().unwrap().to_owned()];
            row.extend(cells);
            (t["tenant"].as_str().unwrap().to_owned(), json!(row))
        })
        .collect();
    assert_eq!(tenants, Value::Object(want));
    assert_eq!(tenants["alpha"], json!(["alpha", "0", "0", "1", "1"]));

    // Top users by cost.
    let top = s.get_json("/api/usage/top?days=1&limit=10").await;
    let shown = page.eval(&rows_js("top-users", "user")).await;
    assert_eq!(shown.as_object().unwrap().len(), 2);
    for u in top.as_array().unwrap() {
        let row = &shown[u["user"].as_str().unwrap()];
        assert_eq!(row[0], u["tenant"]);
        assert_eq!(row[2], json!(u["requests"].to_string()));
        let tokens = u["input_tokens"].as_u64().unwrap() + u["output_tokens"].as_u64().unwrap();
        assert_eq!(row[3], json!(tokens.to_string()));
        assert_eq!(
            row[4],
            json!(format!("${:.6}", u["cost_usd"].as_f64().unwrap()))
        );
    }
    assert_eq!(shown["telegram:88"][2], "2");

    // Dead letters and the open breaker.
    let dead = s.get_json("/api/queue/dead").await;
    let shown = page.eval(&rows_js("dead", "id")).await;
    assert_eq!(shown.as_object().unwrap().len(), 2);
    for d in dead.as_array().unwrap() {
        let row = &shown[d["id"].as_str().unwrap()];
        assert_eq!(row[2], d["user"]);
        assert_eq!(row[4], d["error"]);
    }
    let shown = page.eval(&rows_js("breakers", "user")).await;
    assert_eq!(shown["telegram:601"][2], "open");

    // The throughput chart counts what the API counts.
    let charted = page
        .eval("document.getElementById('chart-throughput').dataset.total")
        .await;
    let activity = s.get_json("/api/activity?secs=300&bucket=10").await;
    let answered: u64 = activity["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["answered"].as_u64().unwrap())
        .sum();
    assert_eq!(charted, json!(answered.to_string()));
    assert_eq!(answered, 3);
    assert!(
        page.eval("document.querySelectorAll('#chart-throughput rect.bar').length")
            .await
            .as_u64()
            .unwrap()
            >= 1
    );

    let png = page.screenshot().await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    std::fs::write(&path, &png).unwrap();
    eprintln!("dashboard screenshot: {}", path.display());

    // Its reset button closes the breaker, through the API.
    page.eval("document.querySelector('#breakers button[data-action=reset]').click()")
        .await;
    s.until("/api/breakers", 10, |v| v.as_array().unwrap().is_empty())
        .await;
    page.wait_for(
        "document.getElementById('breakers').dataset.rows === '0'",
        10,
    )
    .await;

    let exceptions = browser.exceptions.lock().unwrap().clone();
    assert!(exceptions.is_empty(), "the page threw: {exceptions:?}");
    drop(page);
    browser.close().await;
    s.stop().await;
}
