//! Personality files (`personalities/<name>.toml`): each parsed and checked on its own, errors
//! naming that file; then names and aliases checked unique across all of them, and every
//! provider and model checked against `[providers]`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::checks::{Cx, TimeUnit};
use super::de;
use super::error::ConfigError;
use super::path::KeyPath;
use super::raw::RawPersonality;
use super::tree::Doc;
use super::types::{Personality, Provider};

/// One personality file's name (for errors) and text.
pub(crate) struct PersonalitySource {
    /// Named in this file's errors.
    pub path: PathBuf,
    pub text: String,
}

/// The personalities that loaded, and whether every file did.
pub(crate) struct Loaded {
    /// By name.
    pub all: BTreeMap<String, Personality>,
    /// False when some file could not be read: references to personalities are then not checked
    /// (the missing one may be in that file).
    pub complete: bool,
}

/// `providers`: every provider, when all loaded (else provider references are not checked).
pub(crate) fn load_all(
    sources: &[PersonalitySource],
    providers: Option<&BTreeMap<String, Provider>>,
    errors: &mut Vec<ConfigError>,
) -> Loaded {
    let mut out = Loaded {
        all: BTreeMap::new(),
        complete: true,
    };
    // Lowercased name or alias -> (personality, its file).
    let mut taken: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
    for src in sources {
        let doc = match Doc::parse(&src.path, &src.text) {
            Ok(doc) => doc,
            Err(es) => {
                errors.extend(es);
                out.complete = false;
                continue;
            }
        };
        let Some(read) = de::table::<RawPersonality>(&doc, &KeyPath::root(), errors) else {
            out.complete = false;
            continue;
        };
        out.complete &= read.clean;
        let raw = read.value;
        let mut cx = Cx { doc: &doc, errors };
        let p = resolve(&mut cx, raw, providers);
        let words = std::iter::once((KeyPath::of(&["name"]), &p.name)).chain(
            p.aliases
                .iter()
                .enumerate()
                .map(|(i, a)| (KeyPath::of(&["aliases"]).index(i), a)),
        );
        for (path, word) in words {
            let lower = word.to_lowercase();
            match taken.get(&lower) {
                // Its own name again among its aliases: redundant, harmless.
                Some((_, file)) if *file == src.path => {}
                Some((owner, file)) => cx.err(
                    &path,
                    format!(
                        "{word:?} is already taken by personality {owner:?} ({}); names and \
                         aliases must be unique, ignoring case",
                        file.display()
                    ),
                ),
                None => {
                    taken.insert(lower, (p.name.clone(), src.path.clone()));
                }
            }
        }
        out.all.entry(p.name.clone()).or_insert(p);
    }
    out
}

fn resolve(
    cx: &mut Cx<'_>,
    raw: RawPersonality,
    providers: Option<&BTreeMap<String, Provider>>,
) -> Personality {
    let p = |k: &str| KeyPath::of(&[k]);
    cx.word(&p("name"), &raw.name);
    for (i, alias) in raw.aliases.iter().enumerate() {
        cx.word(&p("aliases").index(i), alias);
    }
    if let Some(url) = &raw.avatar_url {
        cx.http_url(&p("avatar_url"), url);
    }
    if raw.system_prompt.trim().is_empty() {
        cx.err(
            &p("system_prompt"),
            "must not be empty: it is who the personality is",
        );
    }
    if raw
        .error_message
        .as_ref()
        .is_some_and(|m| m.trim().is_empty())
    {
        cx.err(
            &p("error_message"),
            "must not be empty (remove it for the default)",
        );
    }
    match providers.map(|all| (all, all.get(&raw.provider))) {
        Some((all, None)) => {
            let known: Vec<_> = all.keys().map(String::as_str).collect();
            cx.err(
                &p("provider"),
                format!(
                    "no provider named {:?}; [providers] defines: {}",
                    raw.provider,
                    known.join(", ")
                ),
            );
        }
        Some((_, Some(provider))) if !provider.models.contains_key(&raw.model) => {
            let known: Vec<_> = provider.models.keys().map(String::as_str).collect();
            cx.err(
                &p("model"),
                format!(
                    "provider {:?} does not list model {:?}; add [providers.{}.models.{:?}] or use \
                     one of: {}",
                    raw.provider,
                    raw.model,
                    raw.provider,
                    raw.model,
                    known.join(", ")
                ),
            );
        }
        _ => {}
    }
    let cache_ttl = match raw.cache_ttl_secs {
        0 => None,
        secs => Some(cx.duration(&p("cache_ttl_secs"), secs, TimeUnit::Secs)),
    };
    let error_message = raw
        .error_message
        .unwrap_or_else(|| default_error_message(&raw.name));
    Personality {
        name: raw.name,
        avatar_url: raw.avatar_url,
        system_prompt: raw.system_prompt,
        provider: raw.provider,
        model: raw.model,
        aliases: raw.aliases,
        cache_ttl: cache_ttl.filter(|d| *d > Duration::ZERO),
        error_message,
    }
}

/// What a personality says when it keeps failing, unless its file says otherwise.
fn default_error_message(name: &str) -> String {
    format!(
        "*{name} pauses, lost in thought.* Sorry, I can't answer right now. Please try again in a \
         little while."
    )
}
