//! Dotted key paths (`queue.lease_secs`, `tenants[0].match`, `users."telegram:42".weight`): how
//! every error names the setting it is about, and how the loader walks the parsed TOML tree.

use std::fmt;

/// One step into a TOML tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A table key.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A path from the document root to a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(pub(crate) Vec<Seg>);

impl KeyPath {
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    /// `self` with a table key appended.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_owned()));
        Self(segs)
    }

    /// `self` with an array index appended.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        Self(segs)
    }

    /// A path of table keys.
    pub(crate) fn of(keys: &[&str]) -> Self {
        Self(keys.iter().map(|k| Seg::Key((*k).to_owned())).collect())
    }

    pub(crate) fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// Keys that need no quoting in a dotted path (TOML's bare keys).
fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare(k) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_keys_that_are_not_bare() {
        let p = KeyPath::of(&["users", "telegram:42", "weight"]);
        assert_eq!(p.to_string(), r#"users."telegram:42".weight"#);
        let p = KeyPath::of(&["tenants"]).index(2).key("match");
        assert_eq!(p.to_string(), "tenants[2].match");
        assert_eq!(
            KeyPath::of(&["queue", "lease_secs"]).to_string(),
            "queue.lease_secs"
        );
    }

    #[test]
    fn prefixes() {
        let p = KeyPath::of(&["a", "b"]);
        assert!(p.starts_with(&KeyPath::of(&["a"])));
        assert!(!p.starts_with(&KeyPath::of(&["b"])));
        assert!(p.starts_with(&KeyPath::root()));
    }
}
