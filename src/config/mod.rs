//! Configuration: `config/switchboard.toml` (documented in place), `personalities/*.toml` beside
//! it, and `SWITCHBOARD_*` environment overrides, loaded and validated once into [`Config`].
//!
//! Loading goes: read (size-capped, UTF-8 checked) → parse to a spanned TOML tree → apply
//! environment overrides to the tree → deserialize each section into `raw` structs → resolve and
//! validate into `types`. Every problem is reported with its file, line and dotted key.

mod checks;
mod de;
mod env;
mod error;
mod load;
mod parse;
mod path;
mod personality;
mod raw;
mod resolve_quotas;
mod resolve_runtime;
mod resolve_services;
mod resolve_tenants;
mod source;
mod summary;
mod telegram;
mod tree;
mod types;
mod values;

pub use env::{ENV_PREFIX, Env};
pub use error::{ConfigError, ConfigErrors, ENVIRONMENT};
pub use load::{load, load_embedded, load_str, load_with_env};
pub use summary::summary;
pub use types::*;
