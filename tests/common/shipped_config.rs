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

/// The shipped config made for an end-to-end test: every personality on the fake AI at
/// `ai_url` (model `m`), every chat its own automatic tenant, open and without limits, no admins,
/// 4 workers without coalescing, a 1 s shutdown grace, no check-ins, and no platforms (the test
/// adds its own).
pub fn for_tests(ai_url: String) -> Config {
    let mut cfg = shipped();
    let provider = fake_provider("ai", ai_url, 4096);
    cfg.providers = [("ai".to_owned(), provider)].into();
    for p in cfg.personalities.all.values_mut() {
        p.provider = "ai".into();
        p.model = "m".into();
    }
    cfg.tenants.named.clear();
    cfg.tenants.rules.clear();
    cfg.tenants.defaults.access = switchboard::config::Access::Open;
    cfg.tenants.defaults.allowed_models.clear();
    cfg.quotas = switchboard::config::Quotas::default();
    cfg.guest_quotas = switchboard::config::Quotas::default();
    cfg.users.clear();
    cfg.admins.clear();
    cfg.workers.concurrency = 4;
    cfg.workers.coalesce = false;
    cfg.workers.shutdown_grace = Duration::from_secs(1);
    cfg.heartbeats.enabled = false;
    cfg.platforms.telegram.clear();
    cfg.platforms.discord = None;
    cfg
}
