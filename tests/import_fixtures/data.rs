//! The DaemonVigil files of the tests, written the way DaemonVigil writes them: Python's
//! `json.dump` with `indent=2` and ASCII escapes for the multi-user files; raw UTF-8 for the
//! single-user ones, as a hand-edited file might be.

use std::path::Path;

/// JSON as Python's `json.dump` writes it by default: every non-ASCII character escaped, those
/// beyond the BMP as surrogate pairs.
pub fn python_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub const VALS_1: &str = "Good morning! ☀️ I'm in Zürich this week — café au lait again 😅";
pub const VALS_2: &str =
    "Guten Morgen! Zürich in December sounds lovely… 🎄 How's the 日本語 going?";
pub const VALS_3: &str =
    "Slowly: 漢字 are hard.\nIs \u{202e}this\u{202c} reversed? e\u{301} vs é, 👩‍👩‍👧";
pub const VALS_4: &str = "Keep at it 💪 — 一歩ずつ (one step at a time).";
pub const VALS_NOTE_1: &str = "Vals is learning Japanese (漢字 are the hard part) 🇯🇵";
pub const VALS_NOTE_2: &str = "Travels to Zürich in December; likes café au lait";

/// users.json (Vals 111, Zoë 222, banned 444), users/111 (a malformed message), users/222 (eight
/// messages, more than the six kept), users/333 (not in users.json), api_usage.jsonl (a cut-off
/// line, a record of nobody, a record without cost).
pub fn multi_user(dir: &Path) {
    write(
        dir,
        "users.json",
        &python_ascii(
            r#"{
  "users": [
    {
      "user_id": "111",
      "telegram_username": "vals",
      "telegram_first_name": "Vals",
      "registered_at": "2025-12-01T09:00:00.000001Z",
      "last_seen": "2025-12-08T15:30:00Z",
      "status": "active"
    },
    {
      "user_id": "222",
      "telegram_username": null,
      "telegram_first_name": "Zoë 🦊",
      "registered_at": "2025-12-02T09:00:00Z",
      "last_seen": "2025-12-07T20:00:00Z",
      "status": "active"
    },
    {
      "user_id": "444",
      "telegram_username": "gone",
      "telegram_first_name": "Gone",
      "registered_at": "2025-12-03T09:00:00Z",
      "last_seen": "2025-12-03T09:05:00Z",
      "status": "banned"
    }
  ]
}"#,
        ),
    );
    let entry = |t: &str, role: &str, content: &str| {
        format!(
            "    {{\n      \"timestamp\": \"{t}\",\n      \"role\": \"{role}\",\n      \"content\": {}\n    }}",
            serde_json::to_string(content).unwrap()
        )
    };
    let vals = [
        entry("2025-12-08T07:00:01.250000Z", "user", VALS_1),
        entry("2025-12-08T07:00:09.500000Z", "assistant", VALS_2),
        // Malformed: no content (line 13).
        "    {\n      \"timestamp\": \"2025-12-08T07:01:00Z\",\n      \"role\": \"user\"\n    }"
            .into(),
        entry("2025-12-08T07:02:00Z", "user", VALS_3),
        entry("2025-12-08T07:02:30Z", "assistant", VALS_4),
    ];
    write(dir, "users/111/messages.json", &messages_file(&vals));
    write(
        dir,
        "users/111/scratchpad.json",
        &python_ascii(&format!(
            "{{\n  \"notes\": [\n    {{\n      \"timestamp\": \"2025-12-08T07:03:00Z\",\n      \"note\": {}\n    }},\n    {{\n      \"timestamp\": \"2025-12-08T07:04:00Z\",\n      \"note\": {}\n    }}\n  ]\n}}",
            serde_json::to_string(VALS_NOTE_1).unwrap(),
            serde_json::to_string(VALS_NOTE_2).unwrap()
        )),
    );
    write(
        dir,
        "users/111/user_config.json",
        r#"{
  "user_id": "111",
  "model": "claude-3-5-haiku-20241022",
  "heartbeat_enabled": true,
  "heartbeat_interval_minutes": 45,
  "max_context_messages": 50,
  "created_at": "2025-12-01T09:00:00Z",
  "updated_at": "2025-12-08T15:30:00Z",
  "timezone": "Europe/Paris",
  "quiet_hours_enabled": true,
  "quiet_hours_start": "22:00",
  "quiet_hours_end": "08:00"
}"#,
    );
    let zoe: Vec<String> = (0..8)
        .map(|i| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            entry(
                &format!("2025-12-07T19:0{i}:00Z"),
                role,
                &format!("Zoë #{i} 🦊"),
            )
        })
        .collect();
    write(dir, "users/222/messages.json", &messages_file(&zoe));
    write(
        dir,
        "users/222/user_config.json",
        r#"{
  "user_id": "222",
  "model": "claude-opus-4-5-20251101",
  "heartbeat_enabled": false,
  "heartbeat_interval_minutes": 15,
  "max_context_messages": 50,
  "created_at": "2025-12-02T09:00:00Z",
  "updated_at": "2025-12-02T09:00:00Z"
}"#,
    );
    let nobody = [
        entry("2025-12-05T10:00:00Z", "user", "hi"),
        entry("2025-12-05T10:00:05Z", "assistant", "hello!"),
    ];
    write(dir, "users/333/messages.json", &messages_file(&nobody));
    write(
        dir,
        "api_usage.jsonl",
        concat!(
            r#"{"input_tokens": 1000, "output_tokens": 200, "input_cost": 0.0008, "output_cost": 0.0008, "total_cost": 0.0016, "model": "claude-3-5-haiku-20241022", "timestamp": "2025-12-08T07:00:09.400000Z", "request_type": "user_response", "user_id": "111", "user_message_preview": "Good morning! \u2600\ufe0f I'm in Z\u00fcrich"}"#,
            "\n",
            r#"{"input_tokens": 500, "output_tokens": 0, "model": "claude-3-5-haiku-20241022", "timestamp": "2025-12-08T09:00:00Z", "request_type": "heartbeat", "user_id": "111"}"#,
            "\n",
            r#"{"user_id": "111", "input_tokens": 12"#,
            "\n",
            r#"{"input_tokens": 2000, "output_tokens": 300, "total_cost": 0.0525, "model": "claude-opus-4-5-20251101", "timestamp": "2025-12-07T19:01:00Z", "request_type": "user_response", "user_id": "222"}"#,
            "\n",
            r#"{"input_tokens": 1, "output_tokens": 1, "total_cost": 0.001, "model": "claude-opus-4-5-20251101", "timestamp": "2025-12-07T19:02:00Z", "user_id": "unknown"}"#,
            "\n",
            r#"{"input_tokens": 2000, "output_tokens": 300, "total_cost": 0.0525, "model": "claude-opus-4-5-20251101", "timestamp": "2025-12-07T19:01:00Z", "request_type": "user_response", "user_id": "222"}"#,
            "\n",
        ),
    );
}

fn messages_file(entries: &[String]) -> String {
    python_ascii(&format!(
        "{{\n  \"messages\": [\n{}\n  ]\n}}",
        entries.join(",\n")
    ))
}

/// The single-user layout (one user, whose id the files do not say), in raw UTF-8, with one
/// message of an unknown role.
pub fn single_user(dir: &Path) {
    write(
        dir,
        "messages.json",
        r#"{"messages": [
  {"timestamp": "2025-11-30T22:00:00Z", "role": "user", "content": "Ça va? Привет! 🌙"},
  {"timestamp": "2025-11-30T22:00:04Z", "role": "assistant", "content": "Très bien — и тебе привет 🌙"},
  {"timestamp": "2025-11-30T22:00:05Z", "role": "system", "content": "not a chat message"},
  {"timestamp": "2025-11-30T22:01:00Z", "role": "user", "content": "Bonne nuit 😴"}
]}"#,
    );
    write(
        dir,
        "scratchpad.json",
        r#"{"notes": [{"timestamp": "2025-11-30T22:02:00Z", "note": "Speaks French and Russian"}]}"#,
    );
    write(
        dir,
        "api_usage.jsonl",
        concat!(
            r#"{"input_tokens": 300, "output_tokens": 40, "total_cost": 0.0004, "model": "claude-3-5-haiku-20241022", "timestamp": "2025-11-30T22:00:04Z", "request_type": "user_response"}"#,
            "\n",
            r#"{"input_tokens": 100, "output_tokens": 10, "total_cost": 0.0002, "model": "claude-3-5-haiku-20241022", "timestamp": "2025-11-30T22:01:03Z", "request_type": "user_response"}"#,
            "\n",
        ),
    );
}
