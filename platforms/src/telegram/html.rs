//! Renders an AI reply (CommonMark-ish Markdown) in Telegram's HTML parse mode, the one mode
//! whose escaping is simple enough that any text can be sent safely.
//!
//! What it understands: fenced code blocks (the fence rules of [`crate::split`]: a line starting
//! with three backticks after indentation toggles a block, and a block left open runs to the
//! end) become `<pre>`, with `<code class="language-x">` for a plain language tag; `# Heading`
//! lines become bold; inside paragraphs, `**bold**` / `__bold__`, `*italic*` / `_italic_` (never
//! inside a word for `_`), `~~strike~~`, `` `code` `` and `[text](https://url)` links (other
//! schemes stay text), with backslash escapes. Everything else, and any marker without a
//! partner, is literal text with `&`, `<` and `>` escaped.
//!
//! Promises, whatever the input (property-tested): the output is well-formed for Telegram (tags
//! balanced and properly nested, nothing inside `<code>`, no link inside a link or code inside a
//! link, `<pre>` only at the top), and the text a user sees is the input with some characters
//! left out (never one added), so a chunk [`crate::split`] made to fit 4096 UTF-16 units still
//! fits once rendered.

mod inline;

#[cfg(test)]
mod check;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use crate::split::utf16_len;

/// The backticks that make a line a fence line (as in [`crate::split`]).
const FENCE: &str = "```";

/// The longest language tag (UTF-16 units) put in a `class` attribute.
const MAX_LANG_UNITS: usize = 32;

/// Renders `markdown` as Telegram HTML (see the module documentation).
pub fn render_html(markdown: &str) -> String {
    let lines: Vec<&str> = markdown.split('\n').collect();
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    // The pending paragraph: the index of its first line, and how many lines it has.
    let mut paragraph: Option<(usize, usize)> = None;
    let mut i = 0;
    while let Some(&line) = lines.get(i) {
        let fence = line.trim_start().strip_prefix(FENCE);
        let heading = heading(line);
        if fence.is_none() && heading.is_none() && !line.trim().is_empty() {
            paragraph.get_or_insert((i, 0)).1 += 1;
            i += 1;
            continue;
        }
        flush_paragraph(&lines, paragraph.take(), &mut out);
        separate(&mut out, i);
        if let Some(info) = fence {
            let close = lines
                .iter()
                .skip(i + 1)
                .position(|l| l.trim_start().starts_with(FENCE))
                .map_or(lines.len(), |p| i + 1 + p);
            code_block(info, lines.get(i + 1..close).unwrap_or_default(), &mut out);
            i = close + 1;
        } else {
            if let Some(text) = heading.filter(|t| !t.is_empty()) {
                out.push_str("<b>");
                inline::render(text, &mut out);
                out.push_str("</b>");
            }
            i += 1;
        }
    }
    flush_paragraph(&lines, paragraph, &mut out);
    out
}

/// Renders a paragraph, `(first line, line count)` of `lines`; inline markup may span its lines.
fn flush_paragraph(lines: &[&str], paragraph: Option<(usize, usize)>, out: &mut String) {
    if let Some((start, len)) = paragraph {
        separate(out, start);
        let text = lines.get(start..start + len).unwrap_or_default().join("\n");
        inline::render(&text, out);
    }
}

/// Starts a new line for the block at line `index` (every line but the first follows a break).
fn separate(out: &mut String, index: usize) {
    if index > 0 {
        out.push('\n');
    }
}

/// The text of a `#`..`######` heading line, without the hashes, the closing hashes and the
/// surrounding whitespace.
fn heading(line: &str) -> Option<&str> {
    let body = line.trim_start();
    let hashes = body.len() - body.trim_start_matches('#').len();
    let rest = &body[hashes..];
    if !(1..=6).contains(&hashes) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    let closing = rest.trim_end_matches('#');
    Some(if closing.is_empty() || closing.ends_with([' ', '\t']) {
        closing.trim_end()
    } else {
        rest
    })
}

/// A fenced block: `info` is the opening line after its backticks, `lines` the code.
fn code_block(info: &str, lines: &[&str], out: &mut String) {
    let code = lines.join("\n");
    if code.is_empty() {
        return;
    }
    let lang = info
        .trim_start_matches('`')
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == '`')
        .next()
        .unwrap_or_default();
    let plain_lang = !lang.is_empty()
        && utf16_len(lang) <= MAX_LANG_UNITS
        && lang
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '#' | '.' | '-'));
    if plain_lang {
        out.push_str("<pre><code class=\"language-");
        out.push_str(lang);
        out.push_str("\">");
        escape_into(&code, out);
        out.push_str("</code></pre>");
    } else {
        out.push_str("<pre>");
        escape_into(&code, out);
        out.push_str("</pre>");
    }
}

/// Appends `text` with the characters HTML gives meaning to escaped (`"` too, for attributes).
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}
