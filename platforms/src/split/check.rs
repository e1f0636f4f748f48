//! Test oracle for [`super::split`], independent of its internals: checks what a user of the
//! chunks would notice (sizes, empty messages, broken code blocks, lost or invented text).

use std::collections::BTreeSet;

use super::{MIN_LIMIT, utf16_len};

/// Asserts every promise [`super::split`] makes about `chunks`, the split of `input` at `limit`.
pub(super) fn assert_valid(input: &str, limit: usize, chunks: &[String]) {
    let limit = limit.max(MIN_LIMIT);
    if input.trim().is_empty() {
        assert!(chunks.is_empty(), "whitespace-only input gave {chunks:?}");
    }
    for (i, chunk) in chunks.iter().enumerate() {
        assert!(!chunk.trim().is_empty(), "chunk {i} is empty: {chunk:?}");
        assert_eq!(chunk.trim(), chunk, "chunk {i} has whitespace at a cut");
        let len = utf16_len(chunk);
        assert!(
            len <= limit,
            "chunk {i} is {len} units, limit {limit}: {chunk:?}"
        );
        assert!(
            fence_lines(chunk) % 2 == 0,
            "chunk {i} has unbalanced fences: {chunk:?}"
        );
    }
    assert!(
        aligns(input, chunks),
        "chunks are not the input with repairs and dropped whitespace: {input:?} -> {chunks:?}"
    );
}

/// How many lines of `s` are fence lines (start with ``` after indentation).
pub(super) fn fence_lines(s: &str) -> usize {
    s.split('\n')
        .filter(|line| line.trim_start().starts_with("```"))
        .count()
}

/// Whether the chunks, each with or without a leading reopening line "```lang\n" and a trailing
/// "\n```", are verbatim pieces of the input in order, separated only by whitespace, covering all
/// of its non-whitespace text. This is "the concatenation equals the input with whitespace
/// collapsed" made exact: whitespace may only disappear at the cuts.
pub(super) fn aligns(input: &str, chunks: &[String]) -> bool {
    let mut cursors = BTreeSet::from([0usize]);
    for chunk in chunks {
        let mut next = BTreeSet::new();
        for body in bodies(chunk) {
            for &cursor in &cursors {
                let rest = &input[cursor..];
                let gap = rest.len() - rest.trim_start().len();
                let starts = rest[..gap]
                    .char_indices()
                    .map(|(i, _)| cursor + i)
                    .chain([cursor + gap]);
                for start in starts {
                    if input[start..].starts_with(body) {
                        next.insert(start + body.len());
                    }
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        cursors = next;
    }
    cursors.iter().any(|&c| input[c..].trim().is_empty())
}

/// A chunk's possible original text: itself, without a reopening line, without a closing fence,
/// or without both.
fn bodies(chunk: &str) -> Vec<&str> {
    let mut out = vec![chunk];
    let reopened = chunk
        .strip_prefix("```")
        .and_then(|rest| rest.split_once('\n'))
        .filter(|(lang, _)| !lang.contains(char::is_whitespace) && !lang.contains('`'))
        .map(|(_, body)| body);
    if let Some(body) = reopened {
        out.push(body);
    }
    for body in out.clone() {
        if let Some(stripped) = body.strip_suffix("\n```") {
            out.push(stripped);
        }
    }
    out
}
