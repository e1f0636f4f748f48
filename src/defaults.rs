//! The built-in default configuration (`config/switchboard.toml` and its personalities, compiled
//! in), so `switchboard simulate` works from any directory on a fresh machine.

use std::path::Path;

use crate::config::{self, Config, ConfigErrors, Env};

const CONFIG: &str = include_str!("../config/switchboard.toml");
const PERSONALITIES: &[(&str, &str)] = &[
    (
        "aria.toml",
        include_str!("../config/personalities/aria.toml"),
    ),
    (
        "sage.toml",
        include_str!("../config/personalities/sage.toml"),
    ),
    (
        "nova.toml",
        include_str!("../config/personalities/nova.toml"),
    ),
];

/// The built-in config, resolved with the process environment's overrides.
pub fn embedded_config() -> Result<Config, ConfigErrors> {
    config::load_embedded(
        CONFIG,
        Path::new("(built-in) config/switchboard.toml"),
        PERSONALITIES,
        &Env::process(),
    )
}
