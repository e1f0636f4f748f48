//! Inline Markdown of one paragraph or heading, parsed into a tree (so the HTML written from it
//! is always balanced and nested) and written as Telegram HTML.
//!
//! Emphasis follows CommonMark's delimiter runs, simplified: a run of `*` or `_` (up to three)
//! or exactly two `~` may open when followed by non-whitespace and close when preceded by it, the
//! punctuation refinements apply, and `_` never opens or closes inside a word. A closer pairs
//! with the nearest opener of the same character; openers between them stay literal. Code spans
//! and links are read first and are atomic: markers never pair across their edges.

use std::ops::Range;

use super::escape_into;

/// At most this many unpaired openers are tracked at once; more are literal. Bounds the depth of
/// the tree, so rendering hostile input cannot exhaust the stack.
const MAX_OPENERS: usize = 16;

/// A piece of parsed inline text.
#[derive(Debug)]
enum Node {
    Text(String),
    Code(String),
    Link { href: String, children: Vec<Node> },
    Styled(Style, Vec<Node>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Bold,
    Italic,
    Strike,
}

impl Style {
    fn tag(self) -> &'static str {
        match self {
            Style::Bold => "b",
            Style::Italic => "i",
            Style::Strike => "s",
        }
    }
}

/// A delimiter run that may still be closed.
struct Opener {
    /// `*`, `_` or `~`.
    ch: char,
    /// Marker characters not yet paired with a closer.
    len: usize,
    /// Index in the node list of the run's text node (its marker while unpaired).
    at: usize,
}

/// Renders `text` (one paragraph or heading) into `out`.
pub(super) fn render(text: &str, out: &mut String) {
    let nodes = parse(text, false);
    write(&nodes, false, &mut Vec::new(), out);
}

/// The parser's state for one text.
struct Parser<'s> {
    s: &'s str,
    nodes: Vec<Node>,
    openers: Vec<Opener>,
    /// Literal text not yet pushed as a node.
    text: String,
}

/// Parses `s`; `in_link` for a link's text, where no link may start (code is dropped later).
fn parse(s: &str, in_link: bool) -> Vec<Node> {
    let mut p = Parser {
        s,
        nodes: Vec::new(),
        openers: Vec::new(),
        text: String::new(),
    };
    let mut i = 0;
    while let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) {
        i = match c {
            '\\' => p.escape(i),
            '`' => p.code(i),
            '[' if !in_link => p.link(i),
            '*' | '_' | '~' => p.delimiters(i, c),
            'h' | 'H' if bare_url_len(p.rest(i)) > 0 => p.bare_url(i),
            _ => {
                p.text.push(c);
                i + c.len_utf8()
            }
        };
    }
    p.flush();
    p.nodes
}

impl<'s> Parser<'s> {
    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.nodes.push(Node::Text(std::mem::take(&mut self.text)));
        }
    }

    fn rest(&self, i: usize) -> &'s str {
        self.s.get(i..).unwrap_or_default()
    }

    /// `\*` is a literal `*`; a backslash before anything but ASCII punctuation is itself.
    fn escape(&mut self, i: usize) -> usize {
        match self.rest(i + 1).chars().next() {
            Some(c) if c.is_ascii_punctuation() => {
                self.text.push(c);
                i + 2
            }
            _ => {
                self.text.push('\\');
                i + 1
            }
        }
    }

    /// A code span: a backtick run up to the next run of the same length.
    fn code(&mut self, i: usize) -> usize {
        let run = run_len(self.rest(i), '`');
        let body_start = i + run;
        let Some(body_len) = closing_run(self.rest(body_start), run) else {
            self.text.push_str(&"`".repeat(run));
            return body_start;
        };
        let body = self.rest(body_start).get(..body_len).unwrap_or_default();
        // CommonMark strips one space each side, so `` ` `` `` shows a backtick.
        let body = match body.strip_prefix(' ').and_then(|b| b.strip_suffix(' ')) {
            Some(inner) if !body.trim_matches(' ').is_empty() => inner,
            _ => body,
        };
        self.flush();
        self.nodes.push(Node::Code(body.to_owned()));
        body_start + body_len + run
    }

    /// `[text](http(s)://url)`, or a literal `[`.
    fn link(&mut self, i: usize) -> usize {
        let Some((text, href, end)) = link_at(self.s, i) else {
            self.text.push('[');
            return i + 1;
        };
        self.flush();
        let children = parse(self.s.get(text).unwrap_or_default(), true);
        self.nodes.push(Node::Link {
            href: href.to_owned(),
            children,
        });
        end
    }

    /// A bare URL: literal, so `_` and `*` in it (`/__init__`) are never emphasis.
    fn bare_url(&mut self, i: usize) -> usize {
        let len = bare_url_len(self.rest(i));
        self.text
            .push_str(self.rest(i).get(..len).unwrap_or_default());
        i + len
    }

    /// A run of `*`, `_` or `~`: closes what it can, then opens with what is left.
    fn delimiters(&mut self, i: usize, ch: char) -> usize {
        let run = run_len(self.rest(i), ch);
        let end = i + run;
        let usable = if ch == '~' { run == 2 } else { run <= 3 };
        if !usable {
            self.text.push_str(self.s.get(i..end).unwrap_or_default());
            return end;
        }
        let prev = self.s.get(..i).and_then(|b| b.chars().next_back());
        let next = self.rest(end).chars().next();
        let (can_open, can_close) = flanking(ch, prev, next);
        let mut left = run;
        while can_close && left > 0 {
            let Some(k) = self.openers.iter().rposition(|o| o.ch == ch) else {
                break;
            };
            left -= self.close(k, left);
        }
        if left > 0 {
            let marker = ch.to_string().repeat(left);
            if can_open && self.openers.len() < MAX_OPENERS {
                self.flush();
                self.openers.push(Opener {
                    ch,
                    len: left,
                    at: self.nodes.len(),
                });
                self.nodes.push(Node::Text(marker));
            } else {
                self.text.push_str(&marker);
            }
        }
        end
    }

    /// Pairs a closer of `len` markers with opener `k`, wrapping what lies between; returns how
    /// many markers it used. Openers after `k` are dropped (their markers stay literal).
    fn close(&mut self, k: usize, len: usize) -> usize {
        self.flush();
        self.openers.truncate(k + 1);
        let Some(opener) = self.openers.get_mut(k) else {
            return len;
        };
        let (used, style) = match opener.ch {
            '~' => (2, Style::Strike),
            _ if len >= 2 && opener.len >= 2 => (2, Style::Bold),
            _ => (1, Style::Italic),
        };
        let children = self.nodes.split_off(opener.at + 1);
        opener.len -= used;
        if opener.len == 0 {
            self.nodes.truncate(opener.at);
            self.openers.pop();
        } else if let Some(Node::Text(marker)) = self.nodes.get_mut(opener.at) {
            marker.truncate(opener.len);
        }
        self.nodes.push(Node::Styled(style, children));
        used
    }
}

/// Whether a run of `ch` between `prev` and `next` may open and may close emphasis.
fn flanking(ch: char, prev: Option<char>, next: Option<char>) -> (bool, bool) {
    let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
    let punct = |c: Option<char>| c.is_some_and(is_punctuation);
    let left = !space(next) && (!punct(next) || space(prev) || punct(prev));
    let right = !space(prev) && (!punct(prev) || space(next) || punct(next));
    if ch == '_' {
        (
            left && (!right || punct(prev)),
            right && (!left || punct(next)),
        )
    } else {
        (left, right)
    }
}

/// ASCII punctuation, and any other non-ASCII character that is neither a letter, digit nor
/// whitespace (CommonMark counts Unicode punctuation and symbols, emoji included).
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

/// How many `ch` start `s`.
fn run_len(s: &str, ch: char) -> usize {
    s.chars().take_while(|&c| c == ch).count() * ch.len_utf8()
}

/// Where a backtick run of exactly `len` starts in `s`, if any.
fn closing_run(s: &str, len: usize) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = s.get(i..)?.find('`') {
        let start = i + off;
        let run = run_len(s.get(start..)?, '`');
        if run == len {
            return Some(start);
        }
        i = start + run;
    }
    None
}

/// A link starting with the `[` at `i`: its text's byte range, its URL and where it ends. Only
/// `http` and `https` URLs with a plain host, without spaces (no titles), and non-blank text.
fn link_at(s: &str, i: usize) -> Option<(Range<usize>, &str, usize)> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut j = i;
    let close = loop {
        match *bytes.get(j)? {
            b'\\' => {
                j += 2;
                continue;
            }
            b'[' => depth += 1,
            b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    break j;
                }
            }
            _ => {}
        }
        j += 1;
    };
    if bytes.get(close + 1) != Some(&b'(') {
        return None;
    }
    let url_start = close + 2;
    let mut k = url_start;
    let mut parens = 0usize;
    let url_end = loop {
        match *bytes.get(k)? {
            b')' if parens == 0 => break k,
            b')' => parens -= 1,
            b'(' => parens += 1,
            b' ' | b'\t' | b'\n' | b'\r' | b'<' | b'>' => return None,
            _ => {}
        }
        k += 1;
    };
    let url = s.get(url_start..url_end)?;
    let text = i + 1..close;
    (web_url(url) && !s.get(text.clone())?.trim().is_empty()).then_some((text, url, url_end + 1))
}

/// The length of the bare `http(s)://` URL `s` starts with (0 when it does not): up to
/// whitespace or `<`, less trailing punctuation and unbalanced `)`, as GitHub's autolinks.
fn bare_url_len(s: &str) -> usize {
    let scheme = ["http://", "https://"].iter().find(|scheme| {
        s.get(..scheme.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
    });
    let Some(scheme) = scheme else {
        return 0;
    };
    let mut url = s
        .find(|c: char| c.is_whitespace() || c == '<')
        .map_or(s, |end| &s[..end]);
    loop {
        let trimmed =
            url.trim_end_matches(['?', '!', '.', ',', ':', ';', '*', '_', '~', '\'', '"']);
        let unbalanced =
            trimmed.ends_with(')') && trimmed.matches(')').count() > trimmed.matches('(').count();
        let trimmed = if unbalanced {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    if url.len() > scheme.len() {
        url.len()
    } else {
        0
    }
}

/// An `http://` or `https://` URL with a non-empty host of letters, digits, `.`, `-` and `:`.
fn web_url(url: &str) -> bool {
    let rest = ["http://", "https://"].iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|p| p.eq_ignore_ascii_case(scheme))
            .and_then(|_| url.get(scheme.len()..))
    });
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | ':'))
}

/// Writes `nodes` as HTML. `active` holds the styles already open around them (a nested repeat
/// adds no tag); inside a link, code is plain text.
fn write(nodes: &[Node], in_link: bool, active: &mut Vec<Style>, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => escape_into(t, out),
            Node::Code(c) if in_link => escape_into(c, out),
            Node::Code(c) => {
                out.push_str("<code>");
                escape_into(c, out);
                out.push_str("</code>");
            }
            Node::Link { href, children } => {
                out.push_str("<a href=\"");
                escape_into(href, out);
                out.push_str("\">");
                write(children, true, active, out);
                out.push_str("</a>");
            }
            Node::Styled(style, children) if active.contains(style) => {
                write(children, in_link, active, out);
            }
            Node::Styled(style, children) => {
                out.push('<');
                out.push_str(style.tag());
                out.push('>');
                active.push(*style);
                write(children, in_link, active, out);
                active.pop();
                out.push_str("</");
                out.push_str(style.tag());
                out.push('>');
            }
        }
    }
}
