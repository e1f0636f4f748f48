//! Where a message may be broken without a hard cut, and how good each place is: every run of
//! whitespace is a break (a paragraph, line, sentence or word boundary by what it holds and what
//! precedes it), and so is the point after CJK sentence punctuation, which needs no space.

use super::fence::Fences;

/// How good a break is; a later variant is a better place to split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Level {
    Word,
    Sentence,
    Line,
    Paragraph,
}

impl Level {
    /// All levels, best first.
    pub(super) const BEST_FIRST: [Level; 4] =
        [Level::Paragraph, Level::Line, Level::Sentence, Level::Word];
}

/// A place a chunk may end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Break {
    /// Byte offset where the chunk would end: right after a non-whitespace character, so the
    /// chunk never carries trailing whitespace.
    pub(super) at: usize,
    /// How good the place is.
    pub(super) level: Level,
}

/// Sentence-ending punctuation: ends a sentence when whitespace follows.
fn is_terminator(c: char) -> bool {
    is_wide_terminator(c)
        || matches!(
            c,
            '.' | '!' | '?' | '…' | '‼' | '⁇' | '⁈' | '⁉' | '।' | '॥' | '؟' | '۔' | '።'
        )
}

/// Sentence-ending punctuation of scripts written without spaces: a break even with no space.
fn is_wide_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '｡' | '．')
}

/// Characters that may close a sentence after its punctuation ("Done." / (Yes!) / 「はい。」).
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '*'
            | '_'
            | '”'
            | '’'
            | '»'
            | '」'
            | '』'
            | '）'
            | '】'
            | '〕'
            | '〉'
            | '》'
            | '〗'
            | '〙'
            | '〛'
            | '｣'
            | '＂'
            | '＇'
    )
}

/// All breaks of `text` in order, each at most once.
pub(super) fn scan(text: &str, fences: &Fences) -> Vec<Break> {
    let mut out = Vec::new();
    let mut run_start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take() {
            if start > 0 {
                if let Some(b) = classify_run(text, fences, start, i) {
                    out.push(b);
                }
            }
        }
        // After CJK sentence punctuation (and any closing brackets), once the text goes on.
        let end = i + c.len_utf8();
        if c.is_ascii_alphanumeric() || !(is_wide_terminator(c) || is_closer(c)) {
            continue;
        }
        let text_follows = chars
            .peek()
            .is_some_and(|&(_, n)| !n.is_whitespace() && !is_closer(n) && !is_wide_terminator(n));
        if text_follows && ends_sentence(&text[..end], is_wide_terminator) {
            match fences.open_at(end) {
                Some(block) if block.in_margin(end, end) => {}
                Some(_) => out.push(Break {
                    at: end,
                    level: Level::Word,
                }),
                None => out.push(Break {
                    at: end,
                    level: Level::Sentence,
                }),
            }
        }
    }
    out
}

/// The break for the whitespace run `start..end` (both inside the text), if it may be used.
fn classify_run(text: &str, fences: &Fences, start: usize, end: usize) -> Option<Break> {
    let newlines = line_breaks(&text[start..end]);
    let level = match newlines {
        0 if ends_sentence(&text[..start], is_terminator) => Level::Sentence,
        0 => Level::Word,
        1 => Level::Line,
        _ => Level::Paragraph,
    };
    let level = match fences.open_at(start) {
        Some(block) if block.in_margin(start, end) => return None,
        // Inside code only lines matter; a blank line is no stronger than a line break, so
        // breaking around a block beats breaking inside it.
        Some(_) if newlines > 0 => Level::Line,
        Some(_) => Level::Word,
        // Just before an opening fence or just after a closing one: as good as a blank line.
        None if newlines > 0
            && (fences.is_marker(end) || fences.after_marker_on_line(text, start)) =>
        {
            Level::Paragraph
        }
        None => level,
    };
    Some(Break { at: start, level })
}

/// Line breaks in a whitespace run: `\n`, `\r\n` and a lone `\r` count one, as do the Unicode
/// line separators; a paragraph separator counts two.
fn line_breaks(run: &str) -> usize {
    let mut count = 0;
    let mut chars = run.chars().peekable();
    while let Some(c) = chars.next() {
        count += match c {
            '\r' if chars.peek() == Some(&'\n') => 0,
            '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' => 1,
            '\u{2029}' => 2,
            _ => 0,
        };
    }
    count
}

/// Whether `before` ends with a `terminator`, possibly followed by closing quotes or brackets.
fn ends_sentence(before: &str, terminator: fn(char) -> bool) -> bool {
    before
        .trim_end_matches(is_closer)
        .chars()
        .next_back()
        .is_some_and(terminator)
}
