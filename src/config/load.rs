//! The entry points: read `switchboard.toml` and its personality files, apply `SWITCHBOARD_*`
//! overrides, resolve and validate everything, and hand back a [`Config`] or every problem found.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::checks::Cx;
use super::env::{Env, apply_overrides};
use super::error::{ConfigError, ConfigErrors};
use super::parse::{RawConfig, parse_main};
use super::path::KeyPath;
use super::personality::{Loaded, PersonalitySource, load_all};
use super::resolve_quotas::{GUEST_DEFAULTS, USER_DEFAULTS, check_fields, to_quotas};
use super::resolve_tenants::{Refs, admins, tenants, users};
use super::source::{MAX_CONFIG_BYTES, MAX_PERSONALITY_BYTES, read_text, toml_files};
use super::tree::Doc;
use super::types::{Config, Personalities};
use super::{resolve_runtime as runtime, resolve_services as services};

/// Loads `path` with the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    load_with_env(path, &Env::process())
}

/// Loads `path` with the environment given. Personalities are read from `[personalities] dir`,
/// relative to the file's directory.
pub fn load_with_env(path: &Path, env: &Env) -> Result<Config, ConfigErrors> {
    let text = read_text(path, MAX_CONFIG_BYTES)?;
    let base_dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    load_str(&text, path, base_dir, env)
}

/// Loads configuration text; `source` names it in errors, and personalities are read from
/// `<base_dir>/<personalities.dir>` (an absolute `dir` is used as is).
pub fn load_str(
    toml: &str,
    source: &Path,
    base_dir: &Path,
    env: &Env,
) -> Result<Config, ConfigErrors> {
    build(toml, source, env, Personas::Dir(base_dir))
}

/// Loads configuration text with personality files given as `(file name, text)` pairs instead of
/// read from a directory (an embedded default set); `[personalities] dir` is then unused.
pub fn load_embedded(
    toml: &str,
    source: &Path,
    personalities: &[(&str, &str)],
    env: &Env,
) -> Result<Config, ConfigErrors> {
    build(toml, source, env, Personas::Given(personalities))
}

/// Where personality files come from.
enum Personas<'p> {
    Dir(&'p Path),
    Given(&'p [(&'p str, &'p str)]),
}

fn build(
    toml: &str,
    source: &Path,
    env: &Env,
    personas: Personas<'_>,
) -> Result<Config, ConfigErrors> {
    if toml.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::file(
            source,
            None,
            format!("larger than the {MAX_CONFIG_BYTES} bytes allowed"),
        )
        .into());
    }
    let mut errors = Vec::new();
    let mut doc = Doc::parse(source, toml).map_err(ConfigErrors::sorted)?;
    apply_overrides(&mut doc, env, &mut errors);
    let raw = parse_main(&doc, &mut errors);
    let config = resolve(
        &mut Cx {
            doc: &doc,
            errors: &mut errors,
        },
        raw,
        env,
        personas,
    );
    match config {
        Some(config) if errors.is_empty() => Ok(config),
        _ if errors.is_empty() => {
            Err(ConfigError::file(source, None, "could not be loaded").into())
        }
        _ => Err(ConfigErrors::sorted(errors)),
    }
}

/// Everything resolved; `None` when some section could not be read (already reported).
fn resolve(cx: &mut Cx<'_>, raw: RawConfig, env: &Env, personas: Personas<'_>) -> Option<Config> {
    let storage = raw.storage.map(|r| runtime::storage(cx, r));
    let queue = raw.queue.map(|r| runtime::queue(cx, r));
    let workers = raw.workers.map(|r| runtime::workers(cx, r));
    let breaker = raw.breaker.map(|r| runtime::breaker(cx, r));
    let heartbeats = raw.heartbeats.map(|r| runtime::heartbeats(cx, r));
    let command_prefixes = raw
        .command_prefixes
        .as_deref()
        .map(|r| runtime::command_prefixes(cx, r));
    let providers = services::providers(cx, &raw.providers, env);
    let known_providers = raw.providers.complete.then_some(&providers);

    let sources = raw
        .personalities
        .as_ref()
        .map(|p| personality_sources(cx, &p.dir, &personas));
    let loaded = sources.as_ref().map(|(s, complete)| {
        let mut loaded = load_all(s, known_providers, cx.errors);
        loaded.complete &= complete;
        loaded
    });
    let personalities = match (&raw.personalities, &loaded) {
        (Some(p), Some(loaded)) => {
            let mut all = default_personality(cx, p.default.as_deref(), loaded);
            if let Personas::Dir(base) = &personas {
                all.dir = Some(base.join(&p.dir));
            }
            Some(all)
        }
        _ => None,
    };

    let quotas = raw.quotas.as_ref().map(|q| {
        let user = q.user_fields();
        let guest = q.guest.clone().unwrap_or_default();
        check_fields(cx, &KeyPath::of(&["quotas"]), &user, false);
        check_fields(cx, &KeyPath::of(&["quotas", "guest"]), &guest, false);
        let burst = user.burst.unwrap_or(USER_DEFAULTS.burst).max(1);
        (
            to_quotas(&user, &USER_DEFAULTS),
            to_quotas(&guest, &GUEST_DEFAULTS),
            burst,
        )
    });
    let default_burst = quotas.as_ref().map_or(USER_DEFAULTS.burst, |q| q.2);
    let models: BTreeSet<String> = providers
        .values()
        .flat_map(|p| p.models.keys().cloned())
        .collect();
    let refs = Refs {
        personalities: personalities
            .as_ref()
            .filter(|_| loaded.as_ref().is_some_and(|l| l.complete)),
        models: raw.providers.complete.then_some(&models),
        default_user_burst: default_burst,
    };
    let tenants = raw
        .tenant_defaults
        .as_ref()
        .map(|d| tenants(cx, d, &raw.tenants, &refs));
    let users = users(cx, &raw.users, default_burst);
    let admins = raw.admins.as_deref().map(|a| admins(cx, a));
    let named = tenants
        .as_ref()
        .map(|t| &t.named)
        .filter(|_| raw.tenants.complete);
    let discord = raw.discord.as_ref().and_then(Option::as_ref);
    let platforms = services::platforms(cx, &raw.telegram, discord, env, named);
    let admin = raw.admin.map(|r| services::admin(cx, r, env));

    let (quotas, guest_quotas, _) = quotas?;
    Some(Config {
        source: cx.doc.file.clone(),
        storage: storage?,
        queue: queue?,
        workers: workers?,
        breaker: breaker?,
        tenants: tenants?,
        users,
        admins: admins?,
        command_prefixes: command_prefixes?,
        heartbeats: heartbeats?,
        quotas,
        guest_quotas,
        providers,
        personalities: personalities?,
        platforms,
        admin: admin?,
    })
}

/// The personality files to load, and whether all could be read.
fn personality_sources(
    cx: &mut Cx<'_>,
    dir: &Path,
    personas: &Personas<'_>,
) -> (Vec<PersonalitySource>, bool) {
    let base_dir = match personas {
        Personas::Given(given) => {
            let sources = given
                .iter()
                .map(|(name, text)| PersonalitySource {
                    path: PathBuf::from(name),
                    text: (*text).to_owned(),
                })
                .collect();
            return (sources, true);
        }
        Personas::Dir(base) => base,
    };
    let dir = base_dir.join(dir);
    let files = match toml_files(&dir) {
        Ok(files) => files,
        Err(message) => {
            cx.err(&KeyPath::of(&["personalities", "dir"]), message);
            return (Vec::new(), false);
        }
    };
    let mut complete = true;
    let mut sources = Vec::new();
    for path in files {
        match read_text(&path, MAX_PERSONALITY_BYTES) {
            Ok(text) => sources.push(PersonalitySource { path, text }),
            Err(e) => {
                cx.errors.push(e);
                complete = false;
            }
        }
    }
    (sources, complete)
}

/// The personalities with their default: `default` by name or alias, or the only one.
fn default_personality(cx: &mut Cx<'_>, default: Option<&str>, loaded: &Loaded) -> Personalities {
    let path = KeyPath::of(&["personalities", "default"]);
    let names: Vec<_> = loaded.all.keys().map(String::as_str).collect();
    let mut out = Personalities {
        all: loaded.all.clone(),
        default: String::new(),
        dir: None,
    };
    let found = match default {
        Some(d) => out.find(d).map(|p| p.name.clone()).ok_or_else(|| {
            format!(
                "no personality named {d:?}; the personality files define: {}",
                names.join(", ")
            )
        }),
        None => match names.as_slice() {
            [only] => Ok((*only).to_owned()),
            [] => Err("no personalities: add <name>.toml files to personalities.dir".to_owned()),
            many => Err(format!("not set; pick one of {}", many.join(", "))),
        },
    };
    match found {
        Ok(name) => out.default = name,
        Err(message) => {
            // A default naming a file that failed to load was reported with that file.
            let file_failed = !loaded.complete && (default.is_some() || names.is_empty());
            if !file_failed {
                cx.err(&path, message);
            }
            out.default = default.unwrap_or_default().to_owned();
        }
    }
    out
}
