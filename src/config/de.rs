//! Deserializing one table of the tree into its raw struct, reporting every unknown key and wrong
//! type in it (not just the first): after an error the offending key is dropped and the table is
//! tried again. serde's messages are reworded to name TOML types and list what is allowed.

use serde::de::DeserializeOwned;
use toml::de::ValueDeserializer;

use super::error::ConfigError;
use super::path::KeyPath;
use super::tree::{Doc, remove_at};

/// Most errors reported for one table before giving up on it.
const MAX_ERRORS_PER_TABLE: usize = 32;

/// A table read despite mistakes.
pub(crate) struct Recovered<T> {
    pub value: T,
    /// False when a wrong value had to be dropped (its default stands in): the value still serves
    /// to check its other settings, but nothing else may rely on it. Unknown keys alone keep it
    /// clean.
    pub clean: bool,
}

/// The value at `path` as a `T`, after reporting every problem found in it; `None` when it could
/// not be read at all (a missing required key, or the whole value of the wrong type). `path`
/// must exist in `doc`.
pub(crate) fn table<T: DeserializeOwned>(
    doc: &Doc<'_>,
    path: &KeyPath,
    errors: &mut Vec<ConfigError>,
) -> Option<Recovered<T>> {
    let mut value = doc.get(path)?.clone();
    let mut clean = true;
    for _ in 0..MAX_ERRORS_PER_TABLE {
        let e = match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(value) => return Some(Recovered { value, clean }),
            Err(e) => e,
        };
        let at = e
            .span()
            .map(|s| doc.path_of_span(&s))
            .filter(|p| p.starts_with(path))
            .unwrap_or_else(|| path.clone());
        let message = e.message().trim();
        if let Some(field) = quoted_after(message, "missing field ") {
            let table = e
                .span()
                .and_then(|s| doc.path_of_value(&s))
                .filter(|p| p.starts_with(path))
                .unwrap_or_else(|| path.clone());
            errors.push(doc.error(&table.key(field), "missing; this key is required"));
            return None;
        }
        clean &= message.starts_with("unknown field");
        errors.push(doc.error(&at, humanize(message)));
        if at.len() <= path.len() {
            return None;
        }
        let rel = KeyPath(at.0[path.len()..].to_vec());
        if !remove_at(&mut value, &rel) {
            return None;
        }
    }
    None
}

/// The text between the first pair of backticks after `prefix`, if `msg` starts with it.
fn quoted_after<'m>(msg: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = msg.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(q, _)| q)
}

/// Every backtick-quoted word in `s`.
fn quoted_words(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// "expected one of a, b, c" from serde's list of allowed names.
fn allowed(after: &str) -> String {
    if after.contains("there are no fields") {
        return "this table takes no keys".into();
    }
    match quoted_words(after).as_slice() {
        [] => after.trim_start_matches(", ").to_owned(),
        [one] => format!("expected {one}"),
        many => format!("expected one of {}", many.join(", ")),
    }
}

/// serde's name of an expected type, in TOML terms.
fn toml_type(expected: &str) -> String {
    let e = expected.trim();
    match e {
        "u8" => "a whole number from 0 to 255".into(),
        "u16" => "a whole number from 0 to 65535".into(),
        "u32" => "a whole number from 0 to 4294967295".into(),
        "u64" | "usize" => "a whole number, 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        _ if e.starts_with("struct ") => "a table".into(),
        _ => e.replace('`', ""),
    }
}

/// serde's description of a found value, in TOML terms.
fn found(got: &str) -> String {
    match got.trim() {
        "map" => "a table".into(),
        "sequence" => "an array".into(),
        other => other.replace('`', ""),
    }
}

/// serde's message reworded for an operator.
pub(crate) fn humanize(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let after = rest.split_once('`').map_or("", |(_, a)| a);
        return format!("unknown key; {}", allowed(after));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, after) = rest.split_once('`').unwrap_or((rest, ""));
        return format!("unknown value {value:?}; {}", allowed(after));
    }
    for (prefix, label) in [
        ("invalid type: ", "wrong type: got"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.split_once(", expected ")
        {
            return format!("{label} {}; expected {}", found(got), toml_type(expected));
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::{RawPersonality, RawQueue, RawStorage};
    use std::path::Path;

    fn run<T: DeserializeOwned>(text: &str, path: &[&str]) -> (Option<Recovered<T>>, Vec<String>) {
        let doc = Doc::parse(Path::new("f.toml"), text).unwrap();
        let mut errors = Vec::new();
        let v = table::<T>(&doc, &KeyPath::of(path), &mut errors);
        (v, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn reports_every_unknown_key_and_wrong_type_in_a_table() {
        let text =
            "[queue]\nlease_secs = \"long\"\nparitions = 2\nmax_attempts = -1\nretries = 3\n";
        let (v, errors) = run::<RawQueue>(text, &["queue"]);
        let v = v.unwrap();
        assert!(!v.clean);
        assert_eq!(
            v.value.partitions, 1,
            "the dropped misspelling leaves the default"
        );
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors.iter().any(|e| e.starts_with(
            "f.toml:2: queue.lease_secs: wrong type: got string \"long\"; expected a whole number"
        )));
        assert!(errors.iter().any(|e| e.starts_with(
            "f.toml:3: queue.paritions: unknown key; expected one of partitions, lease_secs"
        )));
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("f.toml:4: queue.max_attempts: invalid value"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("f.toml:5: queue.retries: unknown key"))
        );
    }

    #[test]
    fn unknown_keys_alone_leave_the_table_clean() {
        let (v, errors) = run::<RawQueue>("[queue]\nlease_secs = 0\nbogus = 1\n", &["queue"]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let v = v.unwrap();
        assert!(v.clean);
        assert_eq!(v.value.lease_secs, 0, "kept for its own checks");
    }

    #[test]
    fn good_table_deserializes() {
        let (v, errors) = run::<RawQueue>("[queue]\nlease_secs = 9\n", &["queue"]);
        assert!(errors.is_empty());
        assert_eq!(v.unwrap().value.lease_secs, 9);
    }

    #[test]
    fn unknown_enum_value_lists_choices() {
        let (_, errors) = run::<RawStorage>("[storage]\nmode = \"sqlite\"\n", &["storage"]);
        assert_eq!(
            errors,
            ["f.toml:2: storage.mode: unknown value \"sqlite\"; expected one of embedded, redis"]
        );
    }

    #[test]
    fn missing_required_key_is_named() {
        let (_, errors) = run::<RawPersonality>("name = \"A\"\nprovider = \"p\"\n", &[]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains(": model: missing; this key is required"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn whole_table_of_wrong_type() {
        let (v, errors) = run::<RawQueue>("queue = 5\n", &["queue"]);
        assert!(v.is_none());
        assert_eq!(
            errors,
            ["f.toml:1: queue: wrong type: got integer 5; expected a table"]
        );
    }
}
