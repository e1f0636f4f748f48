//! The parsed TOML document with its source spans: what turns a key path into a line number (or
//! into the `SWITCHBOARD_*` variable that set it), and an error's byte span back into a key path.
//!
//! Values set from the environment get "virtual" spans past the end of the text, one per
//! variable, so every error about them, from serde or from validation, names the variable.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::ConfigError;
use super::path::{KeyPath, Seg};
use super::source::line_at;

/// Syntax errors reported per file, at most.
const MAX_SYNTAX_ERRORS: usize = 20;

pub(crate) type Node<'a> = Spanned<DeValue<'a>>;

/// One parsed file.
pub(crate) struct Doc<'a> {
    /// Named in every error.
    pub(crate) file: PathBuf,
    /// The source, for line numbers.
    text: &'a str,
    /// The root table (environment overrides already applied).
    pub(crate) root: Node<'a>,
    /// Variables that set values, by virtual span index.
    env_vars: Vec<String>,
}

/// Where a key path's value came from.
enum Place<'d> {
    /// A line of the file (or the file as a whole).
    File(Option<usize>),
    /// A `SWITCHBOARD_*` variable.
    Env(&'d str),
}

impl<'a> Doc<'a> {
    /// Parses `text`; every syntax error is reported.
    pub(crate) fn parse(file: &Path, text: &'a str) -> Result<Self, Vec<ConfigError>> {
        let (table, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            return Err(errors
                .iter()
                .take(MAX_SYNTAX_ERRORS)
                .map(|e| {
                    let line = e.span().map(|s| line_at(text.as_bytes(), s.start));
                    let message = e.message().trim().replace('\n', "; ");
                    ConfigError::file(file, line, format!("invalid TOML: {message}"))
                })
                .collect());
        }
        let span = table.span();
        Ok(Self {
            file: file.to_owned(),
            text,
            root: Spanned::new(span, DeValue::Table(table.into_inner())),
            env_vars: Vec::new(),
        })
    }

    /// A fresh span standing for environment variable `var`.
    pub(crate) fn env_span(&mut self, var: &str) -> Range<usize> {
        let start = self.env_base() + self.env_vars.len();
        self.env_vars.push(var.to_owned());
        start..start + 1
    }

    fn env_base(&self) -> usize {
        self.text.len() + 1
    }

    fn env_var_of(&self, span: &Range<usize>) -> Option<&str> {
        let i = span.start.checked_sub(self.env_base())?;
        self.env_vars.get(i).map(String::as_str)
    }

    /// The value at `path`.
    pub(crate) fn get(&self, path: &KeyPath) -> Option<&Node<'a>> {
        let mut node = &self.root;
        for seg in &path.0 {
            node = child(node, seg)?.1;
        }
        Some(node)
    }

    /// An error about the value at `path` (which may be absent: then the nearest enclosing table
    /// is the place).
    pub(crate) fn error(&self, path: &KeyPath, message: impl Into<String>) -> ConfigError {
        let message = message.into();
        match self.place(path) {
            Place::File(line) => ConfigError::new(&self.file, line, path.to_string(), message),
            Place::Env(var) => ConfigError::env(var, format!("{path}: {message}")),
        }
    }

    /// The deepest node of `path` present decides: a variable set it, or a line of the file holds
    /// it (a table one variable made may hold keys other variables set).
    fn place(&self, path: &KeyPath) -> Place<'_> {
        let mut node = &self.root;
        let mut place = Place::File(None);
        for seg in &path.0 {
            let Some((span, next)) = child(node, seg) else {
                break;
            };
            place = match self
                .env_var_of(&span)
                .or_else(|| self.env_var_of(&next.span()))
            {
                Some(var) => Place::Env(var),
                None => Place::File(Some(line_at(self.text.as_bytes(), span.start))),
            };
            node = next;
        }
        place
    }

    /// The deepest key path whose key or value span holds `span`'s start.
    pub(crate) fn path_of_span(&self, span: &Range<usize>) -> KeyPath {
        let mut best = KeyPath::root();
        search(&self.root, span, false, &KeyPath::root(), &mut best);
        best
    }

    /// The deepest key path whose value span is exactly `span` (a table an error is about).
    pub(crate) fn path_of_value(&self, span: &Range<usize>) -> Option<KeyPath> {
        if self.root.span() == *span {
            return Some(KeyPath::root());
        }
        let mut best = KeyPath::root();
        search(&self.root, span, true, &KeyPath::root(), &mut best);
        (best.len() > 0).then_some(best)
    }
}

/// The child of `node` at `seg`, with the span naming it (its key's, or the element's).
fn child<'n, 'a>(node: &'n Node<'a>, seg: &Seg) -> Option<(Range<usize>, &'n Node<'a>)> {
    match (node.get_ref(), seg) {
        (DeValue::Table(t), Seg::Key(k)) => {
            let (key, value) = t.get_key_value(k.as_str())?;
            Some((key.span(), value))
        }
        (DeValue::Array(a), Seg::Index(i)) => a.get(*i).map(|v| (v.span(), v)),
        _ => None,
    }
}

fn holds(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer == inner || (outer.start <= inner.start && inner.start < outer.end)
}

/// With `exact`, only value spans equal to `span` match; else key or value spans holding it.
fn search(node: &Node<'_>, span: &Range<usize>, exact: bool, here: &KeyPath, best: &mut KeyPath) {
    let mut visit = |path: KeyPath, spans: &[Range<usize>], value: &Node<'_>| {
        let hit = if exact {
            value.span() == *span
        } else {
            spans.iter().any(|s| holds(s, span))
        };
        if hit && path.len() >= best.len() {
            *best = path.clone();
        }
        search(value, span, exact, &path, best);
    };
    match node.get_ref() {
        DeValue::Table(t) => {
            for (k, v) in t.iter() {
                visit(here.key(k.get_ref()), &[k.span(), v.span()], v);
            }
        }
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                visit(here.index(i), &[v.span()], v);
            }
        }
        _ => {}
    }
}

/// Removes the table entry that holds `rel` (a path relative to `node`): the value an error was
/// about, or for an array element the whole array. False if there is nothing to remove.
pub(crate) fn remove_at(node: &mut Node<'_>, rel: &KeyPath) -> bool {
    let Some(last_key) = rel.0.iter().rposition(|s| matches!(s, Seg::Key(_))) else {
        return false;
    };
    let mut cur = node;
    for seg in &rel.0[..last_key] {
        cur = match (cur.get_mut(), seg) {
            (DeValue::Table(t), Seg::Key(k)) => match t.get_mut(k.as_str()) {
                Some(v) => v,
                None => return false,
            },
            (DeValue::Array(a), Seg::Index(i)) => match a.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (cur.get_mut(), &rel.0[last_key]) {
        (DeValue::Table(t), Seg::Key(k)) => t.remove(k.as_str()).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "top = 1\n[queue]\nlease_secs = 5\n\n[[tenants]]\nname = \"a\"\nmatch = [\"x\", 2]\n";

    #[test]
    fn lines_of_paths_present_and_absent() {
        let doc = Doc::parse(Path::new("f.toml"), TEXT).unwrap();
        let e = doc.error(&KeyPath::of(&["queue", "lease_secs"]), "m");
        assert_eq!((e.line, e.key.as_str()), (Some(3), "queue.lease_secs"));
        // Absent key: the enclosing table's header line.
        let e = doc.error(&KeyPath::of(&["queue", "partitions"]), "m");
        assert_eq!(e.line, Some(2));
        let e = doc.error(
            &KeyPath::of(&["tenants"]).index(0).key("match").index(1),
            "m",
        );
        assert_eq!((e.line, e.key.as_str()), (Some(7), "tenants[0].match[1]"));
        let e = doc.error(&KeyPath::of(&["storage", "mode"]), "m");
        assert_eq!(e.line, None);
    }

    #[test]
    fn span_back_to_path() {
        let doc = Doc::parse(Path::new("f.toml"), TEXT).unwrap();
        let at = TEXT.find("2]").unwrap();
        let p = doc.path_of_span(&(at..at + 1));
        assert_eq!(p.to_string(), "tenants[0].match[1]");
        let at = TEXT.find("lease_secs").unwrap();
        assert_eq!(
            doc.path_of_span(&(at..at + 3)).to_string(),
            "queue.lease_secs"
        );
    }

    #[test]
    fn syntax_errors_have_lines() {
        let errs = Doc::parse(Path::new("f.toml"), "a = 1\nb = \n")
            .err()
            .unwrap();
        assert_eq!(errs[0].line, Some(2));
        assert!(errs[0].message.starts_with("invalid TOML"), "{}", errs[0]);
    }

    #[test]
    fn remove_drops_the_entry_holding_a_path() {
        let mut doc = Doc::parse(Path::new("f.toml"), TEXT).unwrap();
        let rel = KeyPath::of(&["tenants"]).index(0).key("match").index(1);
        assert!(remove_at(&mut doc.root, &rel));
        assert!(
            doc.get(&KeyPath::of(&["tenants"]).index(0).key("match"))
                .is_none()
        );
        assert!(
            doc.get(&KeyPath::of(&["tenants"]).index(0).key("name"))
                .is_some()
        );
        assert!(!remove_at(&mut doc.root, &KeyPath::of(&["nope", "x"])));
    }
}
