//! The environment a load sees: `SWITCHBOARD_<SECTION>__<KEY>...` overrides, applied to the parsed
//! TOML tree before it is deserialized (so a misspelled variable is an unknown-key error naming
//! it), and the variables `api_key_env` / `token_env` name, read into secrets.
//!
//! A snapshot rather than a lookup function, because misspelled override names can only be found
//! by listing the variables.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::error::ConfigError;
use super::tree::{Doc, Node};
use super::types::Secret;

/// Prefix of override variables.
pub const ENV_PREFIX: &str = "SWITCHBOARD_";

/// Tables whose entries are named by the operator: overrides may change an entry the file has, but
/// not make one (a misspelled provider name would otherwise become a new provider).
const NAMED_ENTRY_TABLES: &[&[&str]] = &[&["providers"], &["users"], &["providers", "*", "models"]];

/// A snapshot of environment variables. `Debug` shows names only (values may be secrets).
#[derive(Clone, Default)]
pub struct Env {
    /// Variable name to value.
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process environment (values that are not UTF-8 are taken lossily).
    pub fn process() -> Self {
        Self::from_vars(std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        }))
    }

    /// Given variables (tests, embedded defaults).
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// No variables at all.
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The secret in variable `name`; `None` when unset or empty.
    pub(crate) fn secret(&self, name: &str) -> Option<Secret> {
        self.get(name).filter(|v| !v.is_empty()).map(Secret::new)
    }

    /// Override variables: `SWITCHBOARD_` names with a `__`, and `SWITCHBOARD_ADMINS` (the only
    /// top-level setting). Other `SWITCHBOARD_*` names are left to the rest of the program.
    fn overrides(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.vars.iter().filter_map(|(name, value)| {
            let rest = name.strip_prefix(ENV_PREFIX)?;
            (rest.contains("__") || rest == "ADMINS").then_some((
                name.as_str(),
                rest,
                value.as_str(),
            ))
        })
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Applies every override variable to `doc`; problems are pushed to `errors`.
pub(crate) fn apply_overrides<'a>(doc: &mut Doc<'a>, env: &'a Env, errors: &mut Vec<ConfigError>) {
    for (name, rest, value) in env.overrides() {
        let segs: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
        if segs.iter().any(String::is_empty) {
            errors.push(ConfigError::env(
                name,
                "malformed name: expected SWITCHBOARD_<SECTION>__<KEY>[__<KEY>...]",
            ));
            continue;
        }
        let span = doc.env_span(name);
        let parsed = respan(literal(value), &span);
        if let Err(message) = set(&mut doc.root, &segs, parsed, &span) {
            errors.push(ConfigError::env(name, message));
        }
    }
}

/// `value` as a TOML literal (number, bool, quoted string, array, inline table), else as a string.
fn literal(value: &str) -> DeValue<'_> {
    match DeValue::parse(value) {
        Ok(v) if !v.get_ref().is_datetime() => v.into_inner(),
        _ => DeValue::String(Cow::Borrowed(value)),
    }
}

/// `value` with every span inside replaced by `span` (the variable's virtual span).
fn respan<'a>(value: DeValue<'a>, span: &Range<usize>) -> Node<'a> {
    let value = match value {
        DeValue::Array(items) => {
            let mut out = DeArray::new();
            for item in items.iter() {
                out.push(respan(item.get_ref().clone(), span));
            }
            DeValue::Array(out)
        }
        DeValue::Table(t) => {
            let mut out = DeTable::new();
            for (k, v) in t {
                out.insert(
                    Spanned::new(span.clone(), k.into_inner()),
                    respan(v.into_inner(), span),
                );
            }
            DeValue::Table(out)
        }
        other => other,
    };
    Spanned::new(span.clone(), value)
}

fn set<'a>(
    root: &mut Node<'a>,
    segs: &[String],
    value: Node<'a>,
    span: &Range<usize>,
) -> Result<(), String> {
    let mut node = root;
    for (depth, seg) in segs.iter().enumerate() {
        let here = segs[..depth].join(".");
        let last = depth + 1 == segs.len();
        node = match node.get_mut() {
            DeValue::Table(t) => {
                if last {
                    t.insert(Spanned::new(span.clone(), Cow::Owned(seg.clone())), value);
                    return Ok(());
                }
                if !t.contains_key(seg.as_str()) {
                    if names_entries(&segs[..depth]) {
                        return Err(format!(
                            "{here} has no entry `{seg}` in the file; overrides change existing \
                             entries only"
                        ));
                    }
                    let key = Spanned::new(span.clone(), Cow::Owned(seg.clone()));
                    t.insert(
                        key,
                        Spanned::new(span.clone(), DeValue::Table(DeTable::new())),
                    );
                }
                match t.get_mut(seg.as_str()) {
                    Some(v) => v,
                    None => return Err(format!("cannot set {here}.{seg}")),
                }
            }
            DeValue::Array(a) => {
                let len = a.len();
                let slot = seg.parse::<usize>().ok().and_then(|i| a.get_mut(i));
                let Some(slot) = slot else {
                    return Err(format!(
                        "{here} is an array of {len}; `{seg}` is not one of its indexes (0..{len})"
                    ));
                };
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => {
                let at = if here.is_empty() {
                    "the top level"
                } else {
                    &here
                };
                return Err(format!("{at} is not a table, so it has no key `{seg}`"));
            }
        };
    }
    Ok(())
}

/// True if the table at `path` holds operator-named entries.
fn names_entries(path: &[String]) -> bool {
    NAMED_ENTRY_TABLES.iter().any(|pattern| {
        pattern.len() == path.len() && pattern.iter().zip(path).all(|(p, s)| *p == "*" || p == s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::path::KeyPath;
    use std::path::Path;

    fn apply(text: &str, vars: &[(&str, &str)]) -> (String, Vec<ConfigError>) {
        let env = Env::from_vars(vars.iter().copied());
        let mut doc = Doc::parse(Path::new("f.toml"), text).unwrap();
        let mut errors = Vec::new();
        apply_overrides(&mut doc, &env, &mut errors);
        let shown = format!(
            "{:?}",
            doc.get(&KeyPath::root()).map(|n| n.get_ref().clone())
        );
        (shown, errors)
    }

    #[test]
    fn values_are_toml_literals_or_strings() {
        assert!(matches!(literal("60"), DeValue::Integer(_)));
        assert!(matches!(literal("true"), DeValue::Boolean(true)));
        assert!(matches!(literal("[\"a\", \"b\"]"), DeValue::Array(_)));
        assert!(matches!(literal("redis"), DeValue::String(s) if s == "redis"));
        assert!(matches!(literal("\"quoted\""), DeValue::String(s) if s == "quoted"));
        assert!(matches!(literal("1979-05-27"), DeValue::String(s) if s == "1979-05-27"));
    }

    #[test]
    fn creates_sections_but_not_named_entries() {
        let (tree, errors) = apply(
            "[providers.openai]\nkind = \"openai\"\n",
            &[
                ("SWITCHBOARD_QUEUE__LEASE_SECS", "60"),
                ("SWITCHBOARD_PROVIDERS__OPENAI__TIMEOUT_SECS", "5"),
                ("SWITCHBOARD_PROVIDERS__OPENAY__TIMEOUT_SECS", "5"),
                ("SWITCHBOARD_CONFIG", "elsewhere.toml"),
            ],
        );
        assert!(
            tree.contains("lease_secs") && tree.contains("timeout_secs"),
            "{tree}"
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].key, "SWITCHBOARD_PROVIDERS__OPENAY__TIMEOUT_SECS");
        assert!(
            errors[0].message.contains("no entry `openay`"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn array_indexes_and_malformed_names() {
        let (_, errors) = apply(
            "[[tenants]]\nname = \"a\"\n",
            &[
                ("SWITCHBOARD_TENANTS__0__WEIGHT", "2.0"),
                ("SWITCHBOARD_TENANTS__3__WEIGHT", "2.0"),
                ("SWITCHBOARD_QUEUE____X", "1"),
            ],
        );
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            ["SWITCHBOARD_QUEUE____X", "SWITCHBOARD_TENANTS__3__WEIGHT"]
        );
        assert!(errors[1].message.contains("array of 1"), "{}", errors[1]);
    }

    #[test]
    fn debug_hides_values() {
        let env = Env::from_vars([("OPENAI_API_KEY", "sk-very-secret")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("OPENAI_API_KEY") && !shown.contains("sk-very-secret"));
        assert_eq!(
            env.secret("OPENAI_API_KEY").unwrap().expose(),
            "sk-very-secret"
        );
        assert!(Env::from_vars([("K", "")]).secret("K").is_none());
    }
}
