//! The code-fence structure of a message, so a cut inside a fenced code block can close the block
//! at the end of one chunk and reopen it (same language) at the start of the next.
//!
//! A fence line is a line (split on `\n`) whose text after leading whitespace starts with three
//! backticks. Fence lines toggle between prose and code, as on Discord and Telegram; the backtick
//! count and info strings of closing lines are not matched (CommonMark's finer rules). A block
//! that is never closed runs to the end of the text and is closed in the chunk that holds its end.

use super::utf16_len;

/// The three backticks that make a fence line.
pub(super) const MARKER: &str = "```";

/// Appended to a chunk that ends inside a block.
pub(super) const CLOSE: &str = "\n```";

/// A language tag longer than this (in UTF-16 units) is not repeated when a block is reopened, so
/// the repair always leaves room for content even at the smallest limit.
const MAX_LANG_UNITS: usize = 32;

/// One fenced code block.
#[derive(Debug)]
pub(super) struct Block {
    /// Byte offset of the opening backticks (after any indentation).
    open_marker: usize,
    /// Byte offset where the opening line ends (its `\n`, or the text end): cuts before this
    /// would leave an empty block behind.
    open_line_end: usize,
    /// Byte offset of the closing backticks, or the text length for a block never closed.
    close_marker: usize,
    /// The line that reopens this block in a later chunk, e.g. `` ```rust\n ``.
    reopen: String,
}

impl Block {
    /// The text that reopens this block at the start of a chunk.
    pub(super) fn reopen(&self) -> &str {
        &self.reopen
    }

    /// Whether a break whose whitespace run spans `at..run_end` sits in the block's blank margin:
    /// right after the opening line or right before the closing one. Cutting there would give a
    /// chunk an empty code block, so such breaks are never chosen.
    pub(super) fn in_margin(&self, at: usize, run_end: usize) -> bool {
        at <= self.open_line_end || run_end >= self.close_marker
    }
}

/// Every fence line and block of one text.
#[derive(Debug)]
pub(super) struct Fences {
    /// Blocks in text order.
    blocks: Vec<Block>,
    /// Byte offsets of the backticks of every fence line, opening and closing, in text order.
    markers: Vec<usize>,
}

impl Fences {
    pub(super) fn scan(text: &str) -> Self {
        let mut blocks = Vec::new();
        let mut markers = Vec::new();
        let mut open: Option<(usize, usize, String)> = None;
        let mut line_start = 0;
        for line in text.split('\n') {
            let body = line.trim_start();
            if body.starts_with(MARKER) {
                let marker = line_start + (line.len() - body.len());
                markers.push(marker);
                match open.take() {
                    Some((open_marker, open_line_end, reopen)) => blocks.push(Block {
                        open_marker,
                        open_line_end,
                        close_marker: marker,
                        reopen,
                    }),
                    None => open = Some((marker, line_start + line.len(), reopen_line(body))),
                }
            }
            line_start += line.len() + 1;
        }
        if let Some((open_marker, open_line_end, reopen)) = open {
            blocks.push(Block {
                open_marker,
                open_line_end,
                close_marker: text.len(),
                reopen,
            });
        }
        Fences { blocks, markers }
    }

    /// The block a cut at byte `at` falls inside: its opening backticks lie before the cut and its
    /// closing backticks (if any) at or after it.
    pub(super) fn open_at(&self, at: usize) -> Option<&Block> {
        let idx = self
            .blocks
            .partition_point(|b| b.open_marker + MARKER.len() <= at);
        let block = self.blocks.get(idx.checked_sub(1)?)?;
        (at <= block.close_marker).then_some(block)
    }

    /// Whether `at` is the offset of a fence line's backticks.
    pub(super) fn is_marker(&self, at: usize) -> bool {
        self.markers.binary_search(&at).is_ok()
    }

    /// Whether a cut at `at` would fall between the three backticks of a fence line.
    pub(super) fn splits_marker(&self, at: usize) -> bool {
        let idx = self.markers.partition_point(|&m| m < at);
        idx > 0 && self.markers[idx - 1] + MARKER.len() > at
    }

    /// Whether `at` is on a fence line, after its backticks.
    pub(super) fn after_marker_on_line(&self, text: &str, at: usize) -> bool {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let idx = self.markers.partition_point(|&m| m < at);
        idx > 0 && self.markers[idx - 1] >= line_start
    }
}

/// The reopening line for a block whose opening fence line (from its backticks) is `body`:
/// the backticks plus the language tag (the first word of the info string) if it is short.
fn reopen_line(body: &str) -> String {
    let info = body.trim_start_matches('`').trim_start();
    let lang: &str = info
        .split(|c: char| c.is_whitespace() || c == '`')
        .next()
        .unwrap_or_default();
    if utf16_len(lang) <= MAX_LANG_UNITS {
        format!("{MARKER}{lang}\n")
    } else {
        format!("{MARKER}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::Fences;

    #[test]
    fn finds_blocks_and_their_languages() {
        let text = "intro\n```rust\nfn main() {}\n```\n  ```  py extra\nprint()\n  ```\nend";
        let fences = Fences::scan(text);
        let reopens: Vec<&str> = fences.blocks.iter().map(|b| b.reopen()).collect();
        assert_eq!(reopens, ["```rust\n", "```py\n"]);
        let code = text.find("fn main").unwrap();
        assert!(fences.open_at(code).is_some());
        assert!(fences.open_at(text.find("intro").unwrap()).is_none());
        assert!(fences.open_at(text.find("end").unwrap()).is_none());
        // A cut just before a closing fence is still inside (the chunk lacks the closer); one
        // right after it is outside.
        let closer = text[code..].find("```").unwrap() + code;
        assert!(fences.open_at(closer).is_some());
        assert!(fences.open_at(closer + 3).is_none());
        assert!(fences.splits_marker(closer + 1) && fences.splits_marker(closer + 2));
        assert!(!fences.splits_marker(closer) && !fences.splits_marker(closer + 3));
    }

    #[test]
    fn mid_line_backticks_are_not_fences() {
        let fences = Fences::scan("say ```hi``` now\nx ```");
        assert!(fences.blocks.is_empty());
        assert!(fences.markers.is_empty());
    }

    #[test]
    fn an_unclosed_block_runs_to_the_end() {
        let text = "```sh\necho hi\n";
        let fences = Fences::scan(text);
        assert!(fences.open_at(text.len()).is_some());
    }

    #[test]
    fn long_or_odd_language_tags_reopen_plainly() {
        let long = format!("```{}\ncode\n```", "x".repeat(40));
        assert_eq!(Fences::scan(&long).blocks[0].reopen(), "```\n");
        assert_eq!(Fences::scan("````md\n```\n").blocks[0].reopen(), "```md\n");
        assert_eq!(Fences::scan("```\n```").blocks[0].reopen(), "```\n");
    }
}
