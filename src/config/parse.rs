//! Splits `switchboard.toml` into its sections and deserializes each on its own (each tenant,
//! user, provider and bot too), so one bad entry does not hide the problems in the others.

use serde::de::DeserializeOwned;
use toml::de::DeValue;

use super::de;
use super::error::ConfigError;
use super::path::KeyPath;
use super::raw::*;
use super::tree::Doc;

/// Top-level keys of `switchboard.toml`.
const TOP_KEYS: &[&str] = &[
    "admins",
    "command_prefixes",
    "storage",
    "queue",
    "workers",
    "breaker",
    "heartbeats",
    "quotas",
    "tenant_defaults",
    "tenants",
    "users",
    "providers",
    "personalities",
    "platforms",
    "admin",
];

/// Keys of `[platforms]`.
const PLATFORM_KEYS: &[&str] = &["telegram", "discord"];

/// Entries of a list or map section, each with its path and (for maps) its name.
pub(crate) struct Entries<T> {
    pub items: Vec<Entry<T>>,
    /// False when some entry (or the section itself) could not be read: checks that need every
    /// entry (references to tenants, providers) are skipped to avoid follow-on errors.
    pub complete: bool,
}

pub(crate) struct Entry<T> {
    pub path: KeyPath,
    /// Map key (empty for array entries).
    pub name: String,
    pub raw: T,
}

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            complete: true,
        }
    }
}

/// The file, section by section. `None` = unreadable (already reported). A section or entry
/// read despite mistakes is kept so its other settings are still checked.
pub(crate) struct RawConfig {
    pub admins: Option<Vec<String>>,
    pub command_prefixes: Option<Vec<String>>,
    pub heartbeats: Option<RawHeartbeats>,
    pub storage: Option<RawStorage>,
    pub queue: Option<RawQueue>,
    pub workers: Option<RawWorkers>,
    pub breaker: Option<RawBreaker>,
    pub quotas: Option<RawQuotas>,
    pub tenant_defaults: Option<RawTenantSettings>,
    pub tenants: Entries<RawTenant>,
    pub users: Entries<RawUser>,
    pub providers: Entries<RawProvider>,
    pub personalities: Option<RawPersonalities>,
    pub telegram: Entries<RawTelegramBot>,
    /// `Some(None)`: present but unreadable.
    pub discord: Option<Option<RawDiscord>>,
    pub admin: Option<RawAdmin>,
}

pub(crate) fn parse_main(doc: &Doc<'_>, errors: &mut Vec<ConfigError>) -> RawConfig {
    unknown_keys(doc, &KeyPath::root(), TOP_KEYS, errors);
    unknown_keys(doc, &KeyPath::of(&["platforms"]), PLATFORM_KEYS, errors);
    let discord_path = KeyPath::of(&["platforms", "discord"]);
    RawConfig {
        admins: section(doc, "admins", errors),
        command_prefixes: section(doc, "command_prefixes", errors),
        heartbeats: section(doc, "heartbeats", errors),
        storage: section(doc, "storage", errors),
        queue: section(doc, "queue", errors),
        workers: section(doc, "workers", errors),
        breaker: section(doc, "breaker", errors),
        quotas: section(doc, "quotas", errors),
        tenant_defaults: section(doc, "tenant_defaults", errors),
        tenants: array(doc, &KeyPath::of(&["tenants"]), errors),
        users: map(doc, &KeyPath::of(&["users"]), errors),
        providers: map(doc, &KeyPath::of(&["providers"]), errors),
        personalities: section(doc, "personalities", errors),
        telegram: array(doc, &KeyPath::of(&["platforms", "telegram"]), errors),
        discord: doc
            .get(&discord_path)
            .map(|_| de::table(doc, &discord_path, errors).map(|r| r.value)),
        admin: section(doc, "admin", errors),
    }
}

/// Reports keys of the table at `path` not in `known`.
fn unknown_keys(doc: &Doc<'_>, path: &KeyPath, known: &[&str], errors: &mut Vec<ConfigError>) {
    let Some(node) = doc.get(path) else { return };
    let DeValue::Table(t) = node.get_ref() else {
        errors.push(doc.error(path, "wrong type; expected a table"));
        return;
    };
    for key in t.keys() {
        if !known.contains(&key.get_ref().as_ref()) {
            errors.push(doc.error(
                &path.key(key.get_ref()),
                format!("unknown key; expected one of {}", known.join(", ")),
            ));
        }
    }
}

/// A top-level section; absent = its defaults.
fn section<T: DeserializeOwned + Default>(
    doc: &Doc<'_>,
    key: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<T> {
    let path = KeyPath::of(&[key]);
    match doc.get(&path) {
        None => Some(T::default()),
        Some(_) => de::table(doc, &path, errors).map(|r| r.value),
    }
}

/// `[[path]]` entries.
fn array<T: DeserializeOwned>(
    doc: &Doc<'_>,
    path: &KeyPath,
    errors: &mut Vec<ConfigError>,
) -> Entries<T> {
    let mut out = Entries::default();
    let Some(node) = doc.get(path) else {
        return out;
    };
    let DeValue::Array(items) = node.get_ref() else {
        errors.push(doc.error(
            path,
            format!("wrong type; expected tables written [[{path}]]"),
        ));
        out.complete = false;
        return out;
    };
    for i in 0..items.len() {
        let at = path.index(i);
        match de::table(doc, &at, errors) {
            Some(r) => {
                out.complete &= r.clean;
                out.items.push(Entry {
                    path: at,
                    name: String::new(),
                    raw: r.value,
                });
            }
            None => out.complete = false,
        }
    }
    out
}

/// `[path."<name>"]` entries.
fn map<T: DeserializeOwned>(
    doc: &Doc<'_>,
    path: &KeyPath,
    errors: &mut Vec<ConfigError>,
) -> Entries<T> {
    let mut out = Entries::default();
    let Some(node) = doc.get(path) else {
        return out;
    };
    let DeValue::Table(t) = node.get_ref() else {
        errors.push(doc.error(
            path,
            format!("wrong type; expected a table of [{path}.<name>]"),
        ));
        out.complete = false;
        return out;
    };
    for key in t.keys() {
        let name = key.get_ref().to_string();
        let at = path.key(&name);
        match de::table(doc, &at, errors) {
            Some(r) => {
                out.complete &= r.clean;
                out.items.push(Entry {
                    path: at,
                    name,
                    raw: r.value,
                });
            }
            None => out.complete = false,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> (RawConfig, Vec<String>) {
        let doc = Doc::parse(Path::new("f.toml"), text).unwrap();
        let mut errors = Vec::new();
        let raw = parse_main(&doc, &mut errors);
        (raw, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let (raw, errors) = parse("");
        assert!(errors.is_empty());
        assert_eq!(raw.queue.unwrap().lease_secs, 120);
        assert!(raw.tenants.items.is_empty() && raw.tenants.complete);
        assert!(raw.discord.is_none());
    }

    #[test]
    fn unknown_top_level_and_platform_keys() {
        let (_, errors) = parse("qeue = 1\n[platforms.slack]\nx = 1\n");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with(
                "f.toml:1: qeue: unknown key; expected one of admins, command_prefixes, storage"
            ),
            "{errors:?}"
        );
        assert!(errors[1].starts_with(
            "f.toml:2: platforms.slack: unknown key; expected one of telegram, discord"
        ));
    }

    #[test]
    fn one_bad_entry_leaves_the_others() {
        let text = "[providers.a]\ntimeout_secs = 1\n[providers.b]\ntimeout_secs = \"x\"\n[[tenants]]\nname = \"x\"\n[[tenants]]\nnam = \"y\"\n";
        let (raw, errors) = parse(text);
        assert_eq!(
            raw.providers.items.len(),
            2,
            "b is kept for its other checks"
        );
        assert!(!raw.providers.complete && !raw.tenants.complete);
        assert_eq!(raw.tenants.items.len(), 1);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("f.toml:4: providers.b.timeout_secs: wrong type"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("f.toml:8: tenants[1].nam: unknown key"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("tenants[1].name: missing"))
        );
    }

    #[test]
    fn tenants_must_be_an_array_of_tables() {
        let (raw, errors) = parse("[tenants]\nname = \"x\"\n");
        assert!(!raw.tenants.complete);
        assert!(
            errors[0].contains("expected tables written [[tenants]]"),
            "{errors:?}"
        );
    }
}
