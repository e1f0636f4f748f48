//! What a failed load tells the operator: every problem found, each naming the file (or the
//! environment), the line, the dotted key and what is allowed there.

use std::fmt;
use std::path::{Path, PathBuf};

/// The pseudo file name of problems in `SWITCHBOARD_*` variables and secrets.
pub const ENVIRONMENT: &str = "environment";

/// One problem with the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file the problem is in, or `environment` for a `SWITCHBOARD_*` variable.
    pub file: PathBuf,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// The dotted key (`queue.lease_secs`), or the variable name for environment problems.
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl ConfigError {
    pub fn new(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            key: key.into(),
            message: message.into(),
        }
    }

    /// A problem in the environment (`key` is the variable name).
    pub fn env(var: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ENVIRONMENT, None, var, message)
    }

    /// A problem with a whole file (unreadable, too large, not UTF-8...).
    pub fn file(file: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Self::new(file, line, "", message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem a load found, so an operator can fix them all at once. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    /// In file order, then line order.
    pub errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Sorts `errors` by file and line. `errors` must not be empty.
    pub(crate) fn sorted(mut errors: Vec<ConfigError>) -> Self {
        errors.sort_by(|a, b| {
            (&a.file, a.line.unwrap_or(usize::MAX)).cmp(&(&b.file, b.line.unwrap_or(usize::MAX)))
        });
        errors.dedup();
        Self { errors }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.errors.iter()
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        Self { errors: vec![e] }
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_line_key_message() {
        let e = ConfigError::new(
            "config/switchboard.toml",
            Some(14),
            "queue.lease_secs",
            "must be at least 1 second (got 0)",
        );
        assert_eq!(
            e.to_string(),
            "config/switchboard.toml:14: queue.lease_secs: must be at least 1 second (got 0)"
        );
        let e = ConfigError::env("SWITCHBOARD_QUEUE__LEASE_SECS", "bad");
        assert_eq!(
            e.to_string(),
            "environment: SWITCHBOARD_QUEUE__LEASE_SECS: bad"
        );
    }

    #[test]
    fn several_are_sorted_by_file_and_line_one_per_line() {
        let errs = ConfigErrors::sorted(vec![
            ConfigError::new("b.toml", Some(3), "x", "m"),
            ConfigError::new("a.toml", None, "y", "m"),
            ConfigError::new("a.toml", Some(9), "z", "m"),
        ]);
        assert_eq!(
            errs.to_string(),
            "a.toml:9: z: m\na.toml: y: m\nb.toml:3: x: m"
        );
        assert_eq!(errs.len(), 3);
    }
}
