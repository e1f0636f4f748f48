//! Splits an AI reply into messages that fit a platform's length limit. Discord allows 2000 and
//! Telegram 4096 characters per message, both counted in UTF-16 code units. Pure code, no I/O.
//!
//! How a chunk's end is chosen:
//! - Breaks, best first: a blank line (or the edge of a code block), a line break, a sentence end
//!   (`. ! ?` and the like followed by whitespace, or CJK `。！？` with or without a space), then
//!   any whitespace. Only when none fits is the text cut hard, at the last character that fits,
//!   stepping back (at most 32 characters) so no combining mark, variation selector, emoji
//!   modifier or zero-width-joined emoji is torn from its base; a `&str` never splits a surrogate
//!   pair.
//! - The latest break of a level wins, and a better level beats a worse one, as long as the
//!   chunk it gives fills at least half the limit or leaves a rest that fits in one more message.
//!   Otherwise the next level is tried: a blank line 10% into the window loses to a sentence end
//!   at 95%, because taking it would mean more, emptier messages.
//! - When no level passes that test the last break that fits is still taken if the unbreakable
//!   stretch after it (a long URL, say) then fits whole in the next message; otherwise the stretch
//!   could not survive anyway and the chunk is filled with a hard cut.
//! - Inside a fenced code block only line breaks (and, failing those, whitespace) are breaks; a
//!   block that is cut is closed with `` \n``` `` at the end of the chunk and reopened with
//!   `` ```lang\n `` at the start of the next. That text counts toward the limit, so every chunk's
//!   fences balance. A chunk never ends right after an opening fence or starts right before a
//!   closing one, nor is a cut placed where the next chunk would start with backticks that were
//!   not a fence line (`` see ```x``` here `` cut before the backticks would open a block). Only
//!   a run of backticks longer than the limit, which cannot be cut without that, is cut anyway.
//! - Whitespace at a cut is dropped, except that a chunk continuing a code block keeps the
//!   indentation of its first line (up to 16 units); nothing else is lost or added. No chunk is
//!   empty or starts or ends with whitespace; empty or whitespace-only text gives no chunks.
//! - A limit below [`MIN_LIMIT`] is treated as [`MIN_LIMIT`], so the fence repair (at most 40
//!   units: the language tag is dropped from the reopening line when longer than 32) always
//!   leaves room for content.

mod breaks;
mod cluster;
mod fence;

#[cfg(test)]
mod check;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use breaks::{Break, Level};
use fence::{Block, CLOSE, Fences, MARKER};

/// Discord's message length limit in UTF-16 code units.
pub const DISCORD_LIMIT: usize = 2000;
/// Telegram's message length limit in UTF-16 code units.
pub const TELEGRAM_LIMIT: usize = 4096;
/// The smallest limit [`split`] honours; smaller limits are raised to this.
pub const MIN_LIMIT: usize = 64;

/// Most indentation (UTF-16 units) kept at the start of a chunk that continues a code block.
const MAX_KEPT_INDENT: usize = 16;
/// How many characters a hard cut may step back to keep a cluster whole.
const MAX_CLUSTER_BACKOFF: usize = 32;
/// The most fence repair one chunk can carry: a reopening line (at most 36) plus [`CLOSE`].
const MAX_REPAIR_UNITS: usize = 40;

/// Length in UTF-16 code units (how Discord and Telegram count).
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Splits `text` into messages of at most `limit` UTF-16 code units each.
///
/// See the module documentation for where it breaks and how code blocks are kept balanced.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    Splitter::new(text, limit).run()
}

/// The state shared by every chunk decision for one text.
struct Splitter<'t> {
    /// The whole text being split.
    text: &'t str,
    /// The effective limit (at least [`MIN_LIMIT`]).
    limit: usize,
    /// Byte offset where the content ends (trailing whitespace is never sent).
    end: usize,
    /// UTF-16 length of `text[..end]`, to size the rest of the text without rescanning it.
    total_units: usize,
    /// The code blocks of the text.
    fences: Fences,
    /// Every break of the text, in order.
    breaks: Vec<Break>,
}

/// The char boundaries after a chunk's start that fit the limit, with their UTF-16 offset from
/// the start: `(byte offset, units)`, ascending.
type Window = Vec<(usize, usize)>;

impl<'t> Splitter<'t> {
    fn new(text: &'t str, limit: usize) -> Self {
        let end = text.trim_end().len();
        let fences = Fences::scan(text);
        let breaks = breaks::scan(text, &fences);
        Splitter {
            text,
            limit: limit.max(MIN_LIMIT),
            end,
            total_units: utf16_len(&text[..end]),
            fences,
            breaks,
        }
    }

    fn run(&self) -> Vec<String> {
        let mut chunks = Vec::new();
        let mut at = self.start_after(0, false);
        let mut units = utf16_len(&self.text[..at]);
        let mut open: Option<&Block> = None;
        while at < self.end {
            let reopen = open.map_or("", Block::reopen);
            let cut = self.choose(at, units, reopen);
            let closing = self.fences.open_at(cut);
            let body = self.text[at..cut].trim_end();
            let mut chunk = String::with_capacity(reopen.len() + body.len() + CLOSE.len());
            chunk.push_str(reopen);
            chunk.push_str(body);
            if closing.is_some() {
                chunk.push_str(CLOSE);
            }
            chunks.push(chunk);
            let next = self.start_after(cut, closing.is_some());
            units += utf16_len(&self.text[at..next]);
            at = next;
            open = closing;
        }
        chunks
    }

    /// Where the chunk starting at byte `at` (UTF-16 offset `units`, prefixed by `reopen`) ends.
    fn choose(&self, at: usize, units: usize, reopen: &str) -> usize {
        let head = utf16_len(reopen);
        if head + (self.total_units - units) + self.close_units(self.end) <= self.limit {
            return self.end;
        }
        let window = self.window(at, head);
        let mut best: [Option<(usize, usize)>; 4] = [None; 4];
        let mut latest = None;
        let first = self.breaks.partition_point(|b| b.at <= at);
        let last = window.last().map_or(at, |&(b, _)| b);
        for brk in self.breaks[first..].iter().take_while(|b| b.at <= last) {
            if let Some(cost) = self.cost(at, head, brk.at, &window) {
                if self.allowed(brk.at) {
                    best[brk.level as usize] = Some((brk.at, cost));
                    latest = Some(brk.at);
                }
            }
        }
        for level in Level::BEST_FIRST {
            if let Some((cut, cost)) = best[level as usize] {
                if cost.saturating_mul(2) >= self.limit
                    || self.rest_fits(cut, units + units_at(&window, cut))
                {
                    return cut;
                }
            }
        }
        match latest {
            Some(cut) if self.stretch_fits_after(cut) => cut,
            _ => self.hard_cut(at, head, &window),
        }
    }

    /// Every char boundary after `at` whose chunk, with `head` units of reopening line, could fit.
    fn window(&self, at: usize, head: usize) -> Window {
        let budget = self.limit.saturating_sub(head);
        let mut out = Vec::new();
        let mut units = 0;
        for (i, c) in self.text[at..self.end].char_indices() {
            units += c.len_utf16();
            if units > budget {
                break;
            }
            out.push((at + i + c.len_utf8(), units));
        }
        out
    }

    /// The length of the chunk `at..cut` as sent (reopening line, body without trailing
    /// whitespace, closing fence), if it has content and fits the limit.
    fn cost(&self, at: usize, head: usize, cut: usize, window: &Window) -> Option<usize> {
        let body_end = at + self.text[at..cut].trim_end().len();
        if body_end == at {
            return None;
        }
        let cost = head + units_at(window, body_end) + self.close_units(cut);
        (cost <= self.limit).then_some(cost)
    }

    /// Units of closing fence a chunk ending at `cut` needs.
    fn close_units(&self, cut: usize) -> usize {
        match self.fences.open_at(cut) {
            Some(_) => utf16_len(CLOSE),
            None => 0,
        }
    }

    /// Whether a cut at `cut` keeps every fence line intact: it does not fall inside the
    /// backticks of one, and the next chunk does not start with backticks that were not a fence
    /// line in the text (```` a ```b ```` cut before the backticks would make one).
    fn allowed(&self, cut: usize) -> bool {
        if self.fences.splits_marker(cut) {
            return false;
        }
        let next = self.start_after(cut, self.fences.open_at(cut).is_some());
        if next >= self.end {
            return true;
        }
        let rest = &self.text[next..];
        let line = rest.trim_start_matches(|c: char| c.is_whitespace() && c != '\n');
        !line.starts_with(MARKER) || self.fences.is_marker(next + (rest.len() - line.len()))
    }

    /// Whether everything after a cut at `cut` (UTF-16 offset `units`) fits in one message.
    fn rest_fits(&self, cut: usize, units: usize) -> bool {
        let open = self.fences.open_at(cut);
        let next = self.start_after(cut, open.is_some());
        if next >= self.end {
            return true;
        }
        let next_units = units + utf16_len(&self.text[cut..next]);
        let head = open.map_or(0, |b| utf16_len(b.reopen()));
        head + (self.total_units - next_units) + self.close_units(self.end) <= self.limit
    }

    /// Whether the text from `cut` to the next break (or the end) fits whole in a fresh message.
    fn stretch_fits_after(&self, cut: usize) -> bool {
        let next = self.breaks.partition_point(|b| b.at <= cut);
        let stop = self.breaks.get(next).map_or(self.end, |b| b.at);
        let budget = self.limit.saturating_sub(MAX_REPAIR_UNITS);
        let mut units = 0;
        self.text[cut..stop].chars().all(|c| {
            units += c.len_utf16();
            units <= budget
        })
    }

    /// The latest cut with no break: one that fits, keeps fences intact and (stepping back at
    /// most [`MAX_CLUSTER_BACKOFF`] characters) does not split a cluster.
    fn hard_cut(&self, at: usize, head: usize, window: &Window) -> usize {
        // A cut inside whitespace is no better than one at its start, so only cuts right after
        // a visible character are tried (which also keeps this linear in the window).
        let fitting = window
            .iter()
            .rev()
            .map(|&(b, _)| b)
            .filter(|&b| !self.text[..b].ends_with(char::is_whitespace))
            .filter(|&b| self.cost(at, head, b, window).is_some());
        let mut intact = None;
        let mut unfenced = None;
        let mut stepped = 0;
        for b in fitting {
            if !self.allowed(b) {
                if !self.fences.splits_marker(b) {
                    unfenced.get_or_insert(b);
                }
                continue;
            }
            if !cluster::splits_cluster(self.text, b) {
                return b;
            }
            intact.get_or_insert(b);
            stepped += 1;
            if stepped > MAX_CLUSTER_BACKOFF {
                break;
            }
        }
        // Only text with no cut that keeps fences intact (a run of backticks longer than the
        // limit) gets past the first two: it cannot keep them balanced, but it still fits.
        intact
            .or(unfenced)
            .or_else(|| window.first().map(|&(b, _)| b))
            .unwrap_or(self.end)
    }

    /// Where the chunk after a cut at `cut` starts: past the whitespace, but when the chunk
    /// continues a code block, at the start of its first line so its indentation survives.
    fn start_after(&self, cut: usize, in_block: bool) -> usize {
        let rest = &self.text[cut..];
        let start = cut + (rest.len() - rest.trim_start().len());
        if start >= self.end || !in_block {
            return start;
        }
        match self.text[cut..start].rfind('\n') {
            Some(i) if utf16_len(&self.text[cut + i + 1..start]) <= MAX_KEPT_INDENT => cut + i + 1,
            _ => start,
        }
    }
}

/// The UTF-16 offset of byte `b` in a window (0 when `b` is the window's start).
fn units_at(window: &Window, b: usize) -> usize {
    window
        .binary_search_by_key(&b, |&(byte, _)| byte)
        .map_or(0, |i| window[i].1)
}
