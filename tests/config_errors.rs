//! Loading bad configuration: personality file mistakes, unknown keys, wrong types, several
//! mistakes at once, and hostile files, each error naming its file, line and key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config_fixture;

use switchboard::config::{self, ConfigErrors, Env};

use config_fixture::*;

#[test]
fn personality_files_are_checked_and_named_in_their_errors() {
    let bad_provider =
        "name = \"Max\"\nprovider = \"nope\"\nmodel = \"gpt-4o-mini\"\nsystem_prompt = \"x\"\n";
    let bad_model =
        "name = \"Mo\"\nprovider = \"openai\"\nmodel = \"gpt-5\"\nsystem_prompt = \"x\"\n";
    let clash =
        "name = \"ARI\"\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\nsystem_prompt = \"x\"\n";
    let empty = "name = \"Zed\"\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\nsystem_prompt = \"  \"\navatar_url = \"file:///x.png\"\n";
    let f = Fixture::new(
        &format!("{PROVIDERS}[personalities]\ndefault = \"Aria\"\n"),
        &[
            ("aria.toml", ARIA),
            ("max.toml", bad_provider),
            ("mo.toml", bad_model),
            ("x.toml", clash),
            ("zed.toml", empty),
        ],
    );
    let errors = f.errors(&[]);
    has(
        &errors,
        &f.personality("max.toml"),
        Some(2),
        "provider",
        "no provider named \"nope\"; [providers] defines: openai",
    );
    has(
        &errors,
        &f.personality("mo.toml"),
        Some(3),
        "model",
        "provider \"openai\" does not list model \"gpt-5\"",
    );
    has(
        &errors,
        &f.personality("x.toml"),
        Some(1),
        "name",
        "already taken by personality \"Aria\"",
    );
    has(
        &errors,
        &f.personality("zed.toml"),
        Some(4),
        "system_prompt",
        "must not be empty",
    );
    has(
        &errors,
        &f.personality("zed.toml"),
        Some(5),
        "avatar_url",
        "http:// or https://",
    );
    assert_eq!(errors.len(), 5, "{errors}");
}

#[test]
fn unknown_keys_anywhere_are_errors_listing_allowed_keys() {
    let f = Fixture::new(
        &format!(
            "colour = \"red\"\n[workers]\nconcurency = 4\n{PROVIDERS}[providers.openai.models.\"gpt-4o-mini\".extra]\n"
        ),
        &[("aria.toml", &format!("{ARIA}temperature = 0.7\n"))],
    );
    let errors = f.errors(&[]);
    has(
        &errors,
        &f.path(),
        Some(f.line("colour", 0)),
        "colour",
        "unknown key; expected one of admins, command_prefixes, storage, queue",
    );
    has(
        &errors,
        &f.path(),
        Some(f.line("concurency", 0)),
        "workers.concurency",
        "unknown key; expected one of concurrency, coalesce, shutdown_grace_secs",
    );
    has(
        &errors,
        &f.path(),
        Some(f.line("extra", 0)),
        "providers.openai.models.gpt-4o-mini.extra",
        "unknown key; expected one of input_per_million, output_per_million",
    );
    has(
        &errors,
        &f.personality("aria.toml"),
        Some(6),
        "temperature",
        "unknown key; expected one of name, avatar_url",
    );
}

#[test]
fn type_errors_say_what_was_expected() {
    let f = Fixture::with(
        "[queue]\nlease_secs = \"2m\"\n[workers]\ncoalesce = \"yes\"\n[tenant_defaults]\naccess = \"closed\"\nallowed_models = \"gpt-4o-mini\"\n",
    );
    let errors = f.errors(&[]);
    has(
        &errors,
        &f.path(),
        Some(f.line("lease_secs", 0)),
        "queue.lease_secs",
        "wrong type: got string \"2m\"; expected a whole number",
    );
    has(
        &errors,
        &f.path(),
        Some(f.line("coalesce", 0)),
        "workers.coalesce",
        "expected true or false",
    );
    has(
        &errors,
        &f.path(),
        Some(f.line("access", 0)),
        "tenant_defaults.access",
        "unknown value \"closed\"; expected one of open, allowlist, approval",
    );
    has(
        &errors,
        &f.path(),
        Some(f.line("allowed_models", 0)),
        "tenant_defaults.allowed_models",
        "expected an array",
    );
}

#[test]
fn several_errors_are_reported_together() {
    let f = Fixture::new(
        &format!(
            "{PROVIDERS}[queue]\nlease_secs = 0\nbogus = 1\nmax_attempts = \"x\"\n[workers]\nconcurrency = 0\n\
             [breaker]\nfailure_rate = 7.0\n[[tenants]]\nname = \"t\"\naccess = \"private\"\nweight = -3.0\n"
        ),
        &[(
            "aria.toml",
            "name = \"Aria\"\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\n",
        )],
    );
    let errors = f.errors(&[]);
    let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
    for key in [
        "queue.lease_secs",
        "queue.bogus",
        "queue.max_attempts",
        "workers.concurrency",
        "tenants[0].access",
        "tenants[0].weight",
        "breaker.failure_rate",
        "system_prompt",
    ] {
        assert!(keys.contains(&key), "{key} missing from:\n{errors}");
    }
    assert_eq!(errors.len(), 8, "no follow-on errors:\n{errors}");
    assert_eq!(errors.to_string().lines().count(), errors.len());
}

#[test]
fn hostile_files_give_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.toml");
    let load = |bytes: &[u8]| -> ConfigErrors {
        std::fs::write(&path, bytes).unwrap();
        config::load_with_env(&path, &Env::empty()).expect_err("must not load")
    };
    let huge = load(&vec![b'#'; 3 * 1024 * 1024]);
    assert!(huge.to_string().contains("larger than"), "{huge}");
    let binary = load(&[0u8, 1, 2, 3, 0xde, 0xad, 0xbe, 0xef]);
    assert!(binary.to_string().contains("not UTF-8"), "{binary}");
    let nul = load(b"a = 1\n\0\0\0\n");
    assert!(nul.to_string().contains("invalid TOML"), "{nul}");
    let invalid = load(b"[queue]\nlease_secs = \"\xff\xfe\"\n");
    assert_eq!(invalid.errors[0].line, Some(2), "{invalid}");
    let deep = format!("a = {}{}", "[".repeat(200_000), "]".repeat(200_000));
    let deep = load(deep.as_bytes());
    assert!(!deep.is_empty());
    let odd = load("[\"\u{202e}ünï\u{0}\"]\nx = 1\n".as_bytes());
    assert!(!odd.is_empty());
    let emoji = load("admins = [\"telegram:👍\"]\n".as_bytes());
    assert!(emoji.iter().any(|e| e.key == "admins[0]"), "{emoji}");
}

#[test]
fn hostile_personality_file_is_named() {
    let f = Fixture::new(PROVIDERS, &[("aria.toml", ARIA)]);
    std::fs::write(f.personality("bin.toml"), [0xffu8, 0x00, 0x13]).unwrap();
    std::fs::write(f.personality("big.toml"), vec![b'#'; 300 * 1024]).unwrap();
    let errors = f.errors(&[]);
    assert!(
        errors
            .iter()
            .any(|e| e.file == f.personality("bin.toml") && e.message.contains("not UTF-8")),
        "{errors}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.file == f.personality("big.toml") && e.message.contains("larger than")),
        "{errors}"
    );
}
