//! Property tests of [`super::render_html`] over random Markdown-heavy text with Unicode: it
//! never panics, the HTML is always well-formed, and the visible text is the input with some
//! characters left out, so a chunk split to Telegram's limit still fits once rendered.

use proptest::prelude::*;

use super::check::{is_subsequence, visible};
use super::render_html;
use crate::split::{MIN_LIMIT, split, utf16_len};

const PIECES: &[&str] = &[
    "*",
    "**",
    "***",
    "_",
    "__",
    "~",
    "~~",
    "`",
    "``",
    "```",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "#",
    "# ",
    "## ",
    "<",
    ">",
    "&",
    "\"",
    "'",
    " ",
    " ",
    " ",
    "\t",
    "\n",
    "\n",
    "\n\n",
    "\r\n",
    "a",
    "word",
    "snake_case",
    "x*y",
    "https://",
    "http://x.io",
    "](https://ex.com/a_b)",
    "[link](https://ex.com)",
    "](",
    "```rust\n",
    "\n```\n",
    "😀",
    "👨\u{200D}👩",
    "漢字",
    "e\u{301}",
    "&amp;",
    "<b>",
    "</a>",
    ".",
    ",",
];

/// A random reply: mostly Markdown punctuation, some words and Unicode, sometimes arbitrary
/// characters.
fn markdown() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => prop::sample::select(PIECES).prop_map(str::to_owned),
        1 => "\\PC{1,4}",
    ];
    prop::collection::vec(piece, 0..120).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn html_is_well_formed_and_shows_no_more_than_the_input(text in markdown()) {
        let html = render_html(&text);
        let shown = visible(&html).map_err(TestCaseError::fail)?;
        prop_assert!(
            is_subsequence(&shown, &text),
            "visible {:?} is not drawn from {:?}", shown, text
        );
        prop_assert!(utf16_len(&shown) <= utf16_len(&text));
    }

    #[test]
    fn arbitrary_text_never_breaks_it(text in "\\PC{0,200}") {
        let html = render_html(&text);
        let shown = visible(&html).map_err(TestCaseError::fail)?;
        prop_assert!(is_subsequence(&shown, &text));
    }

    #[test]
    fn split_chunks_still_fit_once_rendered(text in markdown(), limit in MIN_LIMIT..300usize) {
        for chunk in split(&text, limit) {
            let shown = visible(&render_html(&chunk)).map_err(TestCaseError::fail)?;
            prop_assert!(utf16_len(&shown) <= limit);
        }
    }
}
