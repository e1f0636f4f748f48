//! The binary: `switchboard import daemonvigil` prints the summary, imports nothing twice, and
//! fails clearly on a single-user directory without `--user` or when nothing could be read.

use crate::import_fixtures::{self as fx, binary};

#[test]
fn the_binary_imports_and_summarizes() {
    let setup = fx::setup();
    let src = tempfile::tempdir().unwrap();
    fx::multi_user(src.path());
    let dir = src.path().to_str().unwrap();
    let out = binary(&setup, &["import", "daemonvigil", dir]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(multi-user layout)"), "{stdout}");
    assert!(stdout.contains("tenant:      companions (where Telegram bot \"companion\""));
    let row = |name: &str, a: u64, b: u64| format!("  {name:<16}{a:>10}{b:>15}\n");
    assert!(stdout.contains(&row("messages", 12, 0)), "{stdout}");
    assert!(stdout.contains(&row("usage records", 4, 0)), "{stdout}");
    assert!(stdout.contains("Problems (4):"), "{stdout}");
    assert!(
        stdout.contains("  api_usage.jsonl:3: not valid JSON"),
        "{stdout}"
    );
    assert!(!stdout.contains("Zürich"), "message content in the summary");

    let out = binary(&setup, &["import", "daemonvigil", dir]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains(&row("messages", 0, 12)), "{stdout}");
    assert!(stdout.contains(&row("notes", 0, 2)), "{stdout}");
}

#[test]
fn the_binary_refuses_a_single_user_directory_without_user() {
    let setup = fx::setup();
    let src = tempfile::tempdir().unwrap();
    fx::single_user(src.path());
    let out = binary(
        &setup,
        &["import", "daemonvigil", src.path().to_str().unwrap()],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("single-user DaemonVigil directory"),
        "{stderr}"
    );
    assert!(stderr.contains("--user <id>"), "{stderr}");
    assert!(out.stdout.is_empty());

    let broken = tempfile::tempdir().unwrap();
    std::fs::write(broken.path().join("api_usage.jsonl"), [0xff, 0xfe]).unwrap();
    std::fs::write(broken.path().join("messages.json"), "nope").unwrap();
    let out = binary(
        &setup,
        &[
            "import",
            "daemonvigil",
            broken.path().to_str().unwrap(),
            "--user",
            "7",
        ],
    );
    // The usage file was read (one bad line): something was read, so it succeeds.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(broken.path().join("api_usage.jsonl")).unwrap();
    let out = binary(
        &setup,
        &[
            "import",
            "daemonvigil",
            broken.path().to_str().unwrap(),
            "--user",
            "7",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing could be read"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("messages.json:1: not valid JSON"));
}
