//! The shipped example config (`config/switchboard.toml` and its personalities) with the AI
//! pointed at a fake: the starting point of every end-to-end test's config. Shared by the test
//! binaries (`#[path]`-included).

use std::time::Duration;

use switchboard::config::{Config, Env, ModelPrice, Provider, ProviderKind};

/// The example config as shipped, loaded with no environment.
pub fn shipped() -> Config {
    switchboard::config::load_embedded(
        include_str!("../../config/switchboard.toml"),
        std::path::Path::new("config/switchboard.toml"),
        &[
            (
                "aria.toml",
                include_str!("../../config/personalities/aria.toml"),
            ),
            (
                "sage.toml",
                include_str!("../../config/personalities/sage.toml"),
            ),
            (
                "nova.toml",
                include_str!("../../config/personalities/nova.toml"),
            ),
        ],
        &Env::empty(),
    )
    .unwrap()
}

/// An OpenAI-kind provider at `base_url` with one priced model `m`, one attempt, 5 s timeout.
pub fn fake_provider(name: &str, base_url: String, max_tokens: u32) -> Provider {
    Provider {
        name: name.into(),
        kind: ProviderKind::OpenAi,
        base_url,
        api_key: None,
        api_key_env: None,
        timeout: Duration::from_secs(5),
        max_tokens,
        attempts: 1,
        models: [(
            "m".to_owned(),
            ModelPrice {
                input_per_million: 1.0,
                output_per_million: 2.0,
            },
        )]
        .into(),
    }
}
