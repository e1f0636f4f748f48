use super::*;

/// 2025-12-08T10:30:42Z in Unix ms.
const T0: u64 = 1_765_189_842_000;

#[test]
fn timestamps_as_daemonvigil_writes_them() {
    assert_eq!(timestamp("2025-12-08T10:30:42Z"), Some(T0));
    assert_eq!(timestamp("2025-12-08T10:30:42.123456Z"), Some(T0 + 123));
    assert_eq!(
        timestamp("2025-12-08T10:30:42"),
        Some(T0),
        "no offset is UTC"
    );
    assert_eq!(timestamp("2025-12-08T11:30:42+01:00"), Some(T0));
    assert_eq!(timestamp("2025-12-08 10:30:42.5"), Some(T0 + 500));
    assert_eq!(timestamp(" 2025-12-08T10:30:42Z "), Some(T0));
    assert_eq!(timestamp("yesterday"), None);
    assert_eq!(timestamp("1969-12-31T23:59:59Z"), None, "before the epoch");
    assert_eq!(timestamp(""), None);
}

#[test]
fn messages_in_order_with_roles_lines_and_odd_unicode() {
    let text = r#"{
  "messages": [
    {
      "timestamp": "2025-12-08T10:30:42Z",
      "role": "user",
      "content": "Hey \u00e9t\u00e9 \ud83d\ude00 \u202e right-to-left"
    },
    {
      "timestamp": "2025-12-08T10:30:43.5Z",
      "role": "assistant",
      "content": "Raw UTF-8: 日本語 👩‍👩‍👧 e\u0301",
      "user_id": "123"
    }
  ]
}"#;
    let p = messages(text).unwrap();
    assert!(p.issues.is_empty(), "{:?}", p.issues);
    assert_eq!(p.items.len(), 2);
    let (a, b) = (&p.items[0], &p.items[1]);
    assert_eq!((a.index, a.line, a.role, a.at_ms), (0, 3, Role::User, T0));
    assert_eq!(a.text, "Hey été 😀 \u{202e} right-to-left");
    assert_eq!(
        (b.index, b.line, b.role, b.at_ms),
        (1, 8, Role::Assistant, T0 + 1500)
    );
    assert_eq!(b.text, "Raw UTF-8: 日本語 👩‍👩‍👧 e\u{301}");
}

#[test]
fn a_malformed_message_is_reported_with_its_line_and_the_rest_kept() {
    let text = r#"{"messages": [
 {"timestamp": "2025-12-08T10:30:42Z", "role": "user", "content": "one"},
 {"timestamp": "2025-12-08T10:30:42Z", "role": "system", "content": "secret words"},
 {"timestamp": "2025-12-08T10:30:42Z", "role": "user"},
 {"timestamp": "not a time", "role": "user", "content": "x"},
 {"role": "assistant", "content": "x"},
 {"timestamp": "2025-12-08T10:30:42Z", "role": "user", "content": "   "},
 {"timestamp": "2025-12-08T10:30:42Z", "role": "user", "content": 5},
 "just a string",
 {"timestamp": "2025-12-08T10:30:44Z", "role": "assistant", "content": "two"}
]}"#;
    let p = messages(text).unwrap();
    let kept: Vec<_> = p.items.iter().map(|m| (m.index, m.text.as_str())).collect();
    assert_eq!(kept, [(0, "one"), (8, "two")]);
    let lines: Vec<_> = p.issues.iter().map(|i| i.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9].map(Some));
    assert_eq!(
        p.issues[0].reason,
        "message #2 has a \"role\" that is neither \"user\" nor \"assistant\"; skipped"
    );
    assert_eq!(p.issues[1].reason, "message #3 has no \"content\"; skipped");
    assert!(
        p.issues[2]
            .reason
            .contains("\"timestamp\" that is not a date")
    );
    assert!(p.issues[3].reason.contains("has no \"timestamp\""));
    assert!(p.issues[4].reason.contains("empty \"content\""));
    assert!(p.issues[5].reason.contains("\"content\" that is not text"));
    assert!(p.issues[6].reason.contains("is not a JSON object"));
    for i in &p.issues {
        assert!(!i.reason.contains("secret"), "content leaked: {}", i.reason);
    }
}

#[test]
fn a_broken_file_is_one_issue_with_its_line() {
    let text = "{\"messages\": [\n  {\"role\": \"user\",\n  \"content\": \"cut off";
    let e = messages(text).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.reason.starts_with("not valid JSON"), "{}", e.reason);
    assert!(!e.reason.contains("cut off"), "{}", e.reason);

    let e = messages("").unwrap_err();
    assert!(e.reason.starts_with("not valid JSON"), "{}", e.reason);

    for wrong in [
        r#"[]"#,
        r#"{"notes": []}"#,
        r#"{"messages": {"a": 1}}"#,
        "42",
    ] {
        let e = messages(wrong).unwrap_err();
        assert_eq!(
            e.reason, "expected an object with a \"messages\" list",
            "{wrong}"
        );
    }
}

#[test]
fn an_empty_history_is_fine() {
    let p = messages("{\"messages\": []}").unwrap();
    assert!(p.items.is_empty() && p.issues.is_empty());
}

#[test]
fn notes_from_the_scratchpad() {
    let text = r#"{"notes": [
  {"timestamp": "2025-12-08T10:45:00Z", "note": "Vals likes \u00f1 and 🌮"},
  {"timestamp": "2025-12-08T10:45:00Z"},
  {"timestamp": "2025-12-09T08:00:00.000001Z", "note": "Prefers mornings"}
]}"#;
    let p = notes(text).unwrap();
    let got: Vec<_> = p
        .items
        .iter()
        .map(|n| (n.index, n.line, n.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [(0, 2, "Vals likes ñ and 🌮"), (2, 4, "Prefers mornings")]
    );
    assert_eq!(p.items[0].at_ms, T0 + 858_000);
    assert_eq!(p.issues.len(), 1);
    assert_eq!(p.issues[0].line, Some(3));
    assert_eq!(p.issues[0].reason, "note #2 has no \"note\"; skipped");
}

#[test]
fn users_with_names_statuses_and_bad_ids() {
    let text = r#"{"users": [
  {"user_id": "123456789", "telegram_username": "vals", "telegram_first_name": "Vals",
   "registered_at": "2025-12-08T10:00:00Z", "last_seen": "2025-12-08T15:30:00Z", "status": "active"},
  {"user_id": 987654321, "telegram_username": null, "telegram_first_name": "Zoë 🦊", "status": "banned"},
  {"user_id": "../../etc", "telegram_first_name": "x"},
  {"user_id": "123456789", "telegram_first_name": "again"},
  {"telegram_first_name": "nobody"},
  {"user_id": "-100200300", "telegram_first_name": "", "status": "inactive", "last_seen": "soon"}
]}"#;
    let p = users(text).unwrap();
    let ids: Vec<_> = p.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["123456789", "987654321", "-100200300"]);
    let vals = &p.items[0];
    assert_eq!(vals.first_name.as_deref(), Some("Vals"));
    assert_eq!(vals.username.as_deref(), Some("vals"));
    assert_eq!(vals.registered_ms, Some(T0 - 1_842_000));
    assert_eq!(vals.last_seen_ms, Some(T0 + 17_958_000));
    assert_eq!(vals.status, Status::Active);
    let zoe = &p.items[1];
    assert_eq!(zoe.first_name.as_deref(), Some("Zoë 🦊"));
    assert_eq!(
        (zoe.username.as_deref(), zoe.status),
        (None, Status::Banned)
    );
    let group = &p.items[2];
    assert_eq!(group.first_name, None, "an empty name is no name");
    assert_eq!((group.status, group.last_seen_ms), (Status::Inactive, None));
    let reasons: Vec<_> = p
        .issues
        .iter()
        .map(|i| (i.line, i.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                Some(5),
                "user #3 has a \"user_id\" that is not a Telegram id; skipped"
            ),
            (Some(6), "user #4 has a \"user_id\" listed before; skipped"),
            (Some(7), "user #5 has no \"user_id\"; skipped"),
        ]
    );
}

#[test]
fn user_config_maps_what_it_can_and_keeps_the_rest() {
    let text = r#"{
  "user_id": "123",
  "model": "claude-opus-4-5-20251101",
  "heartbeat_enabled": false,
  "heartbeat_interval_minutes": 45,
  "max_context_messages": 50,
  "timezone": "Europe/Paris",
  "quiet_hours_enabled": true,
  "quiet_hours_start": "22:00",
  "quiet_hours_end": "08:30",
  "pet_name": "Mochi",
  "created_at": "2025-12-08T10:00:00Z",
  "updated_at": "2025-12-08T15:30:00Z"
}"#;
    let (c, issues) = user_config(text).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(c.model.as_deref(), Some("claude-opus-4-5-20251101"));
    assert_eq!(c.heartbeat_enabled, Some(false));
    assert_eq!(c.heartbeat_every_minutes, Some(45));
    assert_eq!(c.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(c.quiet_hours, Some((22 * 60, 8 * 60 + 30)));
    let extra: Vec<_> = c
        .extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        extra,
        [("max_context_messages", "50"), ("pet_name", "Mochi")]
    );
    assert!(c.has_heartbeat());
}

#[test]
fn user_config_quiet_hours_only_when_enabled_and_valid() {
    let (c, issues) =
        user_config(r#"{"quiet_hours_enabled": false, "quiet_hours_start": "22:00"}"#).unwrap();
    assert_eq!((c.quiet_hours, issues.len()), (None, 0));
    assert!(!c.has_heartbeat());

    let (c, issues) = user_config(
        r#"{"quiet_hours_enabled": true, "quiet_hours_start": "25:00", "quiet_hours_end": "8:00"}"#,
    )
    .unwrap();
    assert_eq!(c.quiet_hours, None);
    assert_eq!(issues[0].reason, "quiet hours are not HH:MM times; ignored");
}

#[test]
fn user_config_fields_of_the_wrong_type_are_issues() {
    let (c, issues) = user_config(
        r#"{"heartbeat_enabled": "yes", "heartbeat_interval_minutes": -5, "model": 3, "timezone": ""}"#,
    )
    .unwrap();
    assert_eq!(c, UserConfig::default());
    let mut reasons: Vec<_> = issues.iter().map(|i| i.reason.as_str()).collect();
    reasons.sort_unstable();
    assert_eq!(
        reasons,
        [
            "\"heartbeat_enabled\" is not true or false; ignored",
            "\"heartbeat_interval_minutes\" is not a whole number of minutes; ignored",
            "\"model\" is not a model name; ignored",
            "\"timezone\" is not a time zone name; ignored",
        ]
    );
    assert!(user_config("[1]").is_err());
    assert!(user_config("{").is_err());
}

#[test]
fn usage_lines_single_and_multi_user() {
    let text = concat!(
        r#"{"input_tokens": 1234, "output_tokens": 567, "input_cost": 0.01851, "output_cost": 0.042525, "total_cost": 0.061035, "model": "claude-opus-4-5-20251101", "timestamp": "2025-12-08T10:30:42Z", "request_type": "heartbeat"}"#,
        "\n",
        "\n",
        r#"{"user_id": "987654321", "input_tokens": 890, "output_tokens": 234, "model": "claude-sonnet-4-5-20250929", "timestamp": "2025-12-08T11:00:00Z", "request_type": "user_response", "user_message_preview": "private words"}"#,
        "\n",
        r#"{"user_id": "unknown", "input_tokens": 1, "output_tokens": 2, "total_cost": 0, "model": "m", "provider": "openai", "timestamp": "2025-12-08T11:00:00Z"}"#,
        "\n",
    );
    let p = usage(text.as_bytes());
    assert!(p.issues.is_empty(), "{:?}", p.issues);
    assert_eq!(p.items.len(), 3);
    let a = &p.items[0];
    assert_eq!(
        (a.line, a.user_id.as_deref(), a.at_ms, a.heartbeat),
        (1, None, T0, true)
    );
    assert_eq!((a.input_tokens, a.output_tokens), (1234, 567));
    assert_eq!(a.cost_usd, Some(0.061035));
    assert_eq!(a.model, "claude-opus-4-5-20251101");
    assert_eq!(a.provider, None);
    let b = &p.items[1];
    assert_eq!(
        (b.line, b.user_id.as_deref(), b.cost_usd, b.heartbeat),
        (3, Some("987654321"), None, false)
    );
    let c = &p.items[2];
    assert_eq!(
        (c.user_id.as_deref(), c.provider.as_deref(), c.cost_usd),
        (None, Some("openai"), Some(0.0))
    );
}

#[test]
fn a_malformed_usage_line_is_reported_and_the_rest_kept() {
    let good = r#"{"input_tokens": 1, "output_tokens": 2, "total_cost": 0.5, "model": "m", "timestamp": "2025-12-08T10:30:42Z"}"#;
    let lines = [
        good,
        r#"{"input_tokens": 1, "output_tokens": 2, "model": "m", "timestamp": "2025-12-08T10:30:42Z""#,
        r#"{"output_tokens": 2, "model": "m", "timestamp": "2025-12-08T10:30:42Z"}"#,
        r#"{"input_tokens": 1.5, "output_tokens": 2, "model": "m", "timestamp": "2025-12-08T10:30:42Z"}"#,
        r#"{"input_tokens": 1, "output_tokens": 2, "total_cost": -1, "model": "m", "timestamp": "2025-12-08T10:30:42Z"}"#,
        r#"{"input_tokens": 1, "output_tokens": 2, "model": "m", "timestamp": "2025-12-08T10:30:42Z", "user_id": "bob"}"#,
        r#"[1, 2]"#,
        good,
    ];
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe\n");
    let p = usage(&bytes);
    assert_eq!(p.items.iter().map(|u| u.line).collect::<Vec<_>>(), [1, 8]);
    let got: Vec<_> = p.issues.iter().map(|i| i.line.unwrap()).collect();
    assert_eq!(got, [2, 3, 4, 5, 6, 7, 9]);
    assert!(
        p.issues[0].reason.starts_with("not valid JSON"),
        "{:?}",
        p.issues[0]
    );
    assert!(p.issues[0].reason.ends_with("; skipped"));
    assert_eq!(
        p.issues[1].reason,
        "record has no \"input_tokens\"; skipped"
    );
    assert_eq!(
        p.issues[2].reason,
        "record has an \"input_tokens\" that is not a whole number; skipped"
    );
    assert_eq!(
        p.issues[3].reason,
        "record has a \"total_cost\" that is not an amount; skipped"
    );
    assert_eq!(
        p.issues[4].reason,
        "record has a \"user_id\" that is not a Telegram id; skipped"
    );
    assert_eq!(p.issues[5].reason, "not a JSON object; skipped");
    assert_eq!(p.issues[6].reason, "not UTF-8 text");
}

#[test]
fn usage_fingerprints_ignore_layout_but_not_content() {
    let single = r#"{"input_tokens": 10, "output_tokens": 20, "total_cost": 0.1, "model": "m", "timestamp": "2025-12-08T10:30:42Z"}"#;
    let migrated = r#"{"timestamp": "2025-12-08T10:30:42Z", "model": "m", "user_id": "42", "total_cost": 0.1, "output_tokens": 20, "input_tokens": 10}"#;
    let other = r#"{"input_tokens": 11, "output_tokens": 20, "total_cost": 0.1, "model": "m", "timestamp": "2025-12-08T10:30:42Z"}"#;
    let f = |l: &str| usage(l.as_bytes()).items[0].fingerprint();
    assert_eq!(f(single), f(migrated));
    assert_ne!(f(single), f(other));
}

#[test]
fn fingerprints_are_stable() {
    // FNV-1a 64 reference values: the ids derived from them must never change.
    assert_eq!(fingerprint(""), "cbf29ce484222325");
    assert_eq!(fingerprint("a"), "af63dc4c8601ec8c");
    assert_eq!(fingerprint("foobar"), "85944171f73967e8");
}

#[test]
fn telegram_ids() {
    for ok in ["1", "123456789", "-1001234567890"] {
        assert!(telegram_id(ok), "{ok}");
    }
    for bad in [
        "",
        "-",
        "12a",
        "../x",
        " 1",
        "1.5",
        "123456789012345678901",
        "unknown",
    ] {
        assert!(!telegram_id(bad), "{bad}");
    }
}
