//! The metrics observer's series and the figures read at scrape time, as rendered.

use super::*;

/// The value of the sample `line_start` (name and labels as rendered).
fn value(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

#[test]
fn events_become_labelled_series_and_two_services_keep_their_own() {
    let (a, b) = (Metrics::new(), Metrics::new());
    a.queued("j1", "acme", "telegram:1");
    a.queued("j2", "acme", "telegram:2");
    a.refused("acme", "telegram:3", "user_rate");
    a.leased("j1", "acme", "telegram:1", Duration::from_millis(30));
    a.usage("acme", "ai", "m", 100, 20, 0.5);
    a.usage("acme", "ai", "m", 1, 1, 0.25);
    a.webhook_pools(3, 5);
    a.config_reloaded(false);
    b.queued("j3", "other", "telegram:4");
    let text = a.render(&Scrape::default());
    assert_eq!(
        value(&text, "switchboard_messages_queued_total{tenant=\"acme\"}"),
        Some(2.0)
    );
    assert_eq!(
        value(
            &text,
            "switchboard_admission_refused_total{tenant=\"acme\",limit=\"user_rate\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "switchboard_ai_tokens_total{tenant=\"acme\",direction=\"input\"}"
        ),
        Some(101.0)
    );
    assert_eq!(
        value(&text, "switchboard_ai_cost_usd_total{tenant=\"acme\"}"),
        Some(0.75)
    );
    assert_eq!(
        value(
            &text,
            "switchboard_queue_wait_seconds_bucket{tenant=\"acme\",le=\"0.05\"}"
        ),
        Some(1.0)
    );
    assert_eq!(value(&text, "switchboard_webhook_pool_webhooks"), Some(5.0));
    assert_eq!(
        value(
            &text,
            "switchboard_config_reloads_total{result=\"refused\"}"
        ),
        Some(1.0)
    );
    assert!(text.contains("# TYPE switchboard_queue_wait_seconds histogram"));
    assert!(!text.contains("telegram:"), "no user label: {text}");
    assert!(!text.contains("other"), "b's figures stay in b");
    assert!(b.render(&Scrape::default()).contains("tenant=\"other\""));
}

#[test]
fn scrape_figures_are_rendered() {
    let m = Metrics::new();
    let stats = Stats {
        dead: 2,
        tenants: vec![switchboard_queue::core::TenantStats {
            tenant: "acme".into(),
            ready: 4,
            in_flight: 1,
            ..Default::default()
        }],
        ..Default::default()
    };
    let scrape = Scrape {
        queue: Some(stats),
        breakers: [("open", 3)].into(),
        reload: None,
    };
    let text = m.render(&scrape);
    assert_eq!(
        value(
            &text,
            "switchboard_queue_jobs{tenant=\"acme\",state=\"ready\"}"
        ),
        Some(4.0)
    );
    assert_eq!(value(&text, "switchboard_queue_dead_letters"), Some(2.0));
    assert_eq!(
        value(&text, "switchboard_breakers{state=\"open\"}"),
        Some(3.0)
    );
    assert_eq!(
        value(&text, "switchboard_breakers{state=\"half_open\"}"),
        Some(0.0)
    );
    assert_eq!(value(&text, "switchboard_config_reload_ok"), Some(1.0));
    assert_eq!(value(&text, "switchboard_queue_up"), Some(1.0));
}
