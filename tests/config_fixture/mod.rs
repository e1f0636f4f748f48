//! Shared by the config integration tests: a temp config directory with `switchboard.toml` and
//! `personalities/`, small valid building blocks, and error assertions naming file, line and key.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use switchboard::config::{self, Config, ConfigErrors, Env};
use tempfile::TempDir;

pub const PROVIDERS: &str = r#"
[providers.openai]
api_key_env = "OPENAI_API_KEY"
[providers.openai.models."gpt-4o-mini"]
input_per_million = 0.15
output_per_million = 0.6
"#;

pub const ARIA: &str = r#"name = "Aria"
provider = "openai"
model = "gpt-4o-mini"
aliases = ["ari"]
system_prompt = "You are Aria."
"#;

pub const SAGE: &str = r#"name = "Sage"
provider = "openai"
model = "gpt-4o-mini"
system_prompt = "You are Sage."
"#;

/// A config directory: `switchboard.toml` and `personalities/`.
pub struct Fixture {
    dir: TempDir,
    main: String,
}

impl Fixture {
    pub fn new(main: &str, personalities: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("switchboard.toml"), main).unwrap();
        std::fs::create_dir(dir.path().join("personalities")).unwrap();
        for (name, text) in personalities {
            std::fs::write(dir.path().join("personalities").join(name), text).unwrap();
        }
        Self {
            dir,
            main: main.to_owned(),
        }
    }

    /// `main` followed by the providers, with Aria (the default, being the only one).
    pub fn with(main: &str) -> Self {
        Self::new(&format!("{main}\n{PROVIDERS}"), &[("aria.toml", ARIA)])
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("switchboard.toml")
    }

    pub fn personality(&self, name: &str) -> PathBuf {
        self.dir.path().join("personalities").join(name)
    }

    pub fn load(&self, env: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        config::load_with_env(&self.path(), &Env::from_vars(env.iter().copied()))
    }

    pub fn errors(&self, env: &[(&str, &str)]) -> ConfigErrors {
        match self.load(env) {
            Ok(_) => panic!("expected errors loading:\n{}", self.main),
            Err(e) => e,
        }
    }

    /// 1-based line of the `nth` (from 0) occurrence of `needle` in the main file.
    pub fn line(&self, needle: &str, nth: usize) -> usize {
        line_in(&self.main, needle, nth)
    }
}

pub fn line_in(text: &str, needle: &str, nth: usize) -> usize {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not in fixture"))
        .0;
    text[..at].matches('\n').count() + 1
}

/// Asserts some error has this file, line, key and a message containing `fragment`.
pub fn has(errors: &ConfigErrors, file: &Path, line: Option<usize>, key: &str, fragment: &str) {
    let found = errors
        .iter()
        .any(|e| e.file == file && e.line == line && e.key == key && e.message.contains(fragment));
    assert!(
        found,
        "no error {}:{line:?}: {key}: ...{fragment}... in:\n{errors}",
        file.display()
    );
}

pub fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/switchboard.toml")
}
