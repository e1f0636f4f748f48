//! Reading configuration files safely: a size cap (a huge or wrong file gives an error, not an
//! out-of-memory), UTF-8 checked with the offending line named, and listing personality files.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::ConfigError;

/// Largest `switchboard.toml` accepted.
pub(crate) const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Largest personality file accepted (system prompts can be long, but not this long).
pub(crate) const MAX_PERSONALITY_BYTES: u64 = 256 * 1024;
/// Most personality files read from one directory.
pub(crate) const MAX_PERSONALITY_FILES: usize = 1000;

/// The text of `path`, at most `limit` bytes of UTF-8.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, ConfigError> {
    let file = fs::File::open(path)
        .map_err(|e| ConfigError::file(path, None, format!("cannot open: {e}")))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ConfigError::file(path, None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(ConfigError::file(
            path,
            None,
            format!("file is larger than the {limit} bytes allowed"),
        ));
    }
    text_from_bytes(path, bytes)
}

/// `bytes` as text, or an error naming the line of the first invalid byte.
pub(crate) fn text_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = line_at(e.as_bytes(), at);
        ConfigError::file(
            path,
            Some(line),
            format!("not UTF-8 text (invalid byte at offset {at}); is this a TOML file?"),
        )
    })
}

/// 1-based line of byte `offset` in `bytes` (offsets past the end count as the last line).
pub(crate) fn line_at(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The `*.toml` files in `dir`, sorted by name.
pub(crate) fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        let is_toml = path.extension().is_some_and(|x| x == "toml");
        if is_toml && path.is_file() {
            files.push(path);
            if files.len() > MAX_PERSONALITY_FILES {
                return Err(format!(
                    "{} holds more than {MAX_PERSONALITY_FILES} .toml files",
                    dir.display()
                ));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_at(b"a\nb\nc", 0), 1);
        assert_eq!(line_at(b"a\nb\nc", 2), 2);
        assert_eq!(line_at(b"a\nb\nc", 99), 3);
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let e =
            text_from_bytes(Path::new("x.toml"), b"a = 1\nb = \"\xff\"\n".to_vec()).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn oversized_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.toml");
        fs::write(&p, vec![b'#'; 2048]).unwrap();
        let e = read_text(&p, 1024).unwrap_err();
        assert!(e.message.contains("larger than the 1024 bytes"), "{e}");
        assert!(read_text(&p, 4096).is_ok());
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let e = read_text(Path::new("/nonexistent/switchboard.toml"), 10).unwrap_err();
        assert_eq!(e.file, Path::new("/nonexistent/switchboard.toml"));
        assert!(e.message.starts_with("cannot open"), "{e}");
    }

    #[test]
    fn lists_only_toml_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.toml"), "").unwrap();
        fs::write(dir.path().join("a.toml"), "").unwrap();
        fs::write(dir.path().join("notes.md"), "").unwrap();
        let names: Vec<_> = toml_files(dir.path())
            .unwrap()
            .into_iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.toml", "b.toml"]);
    }
}
