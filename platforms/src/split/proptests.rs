//! Property tests of [`super::split`] over random AI-like replies: words, line breaks, blank
//! lines, sentence punctuation, code fences, inline backticks, emoji, CJK and combining marks,
//! at random limits. `PROPTEST_CASES` raises the case count for a long local run.

use proptest::prelude::*;

use super::check::{assert_valid, fence_lines};
use super::{MIN_LIMIT, split};

const WORDS: &[&str] = &[
    "a",
    "I",
    "the",
    "reply",
    "Switchboard",
    "fair",
    "queue",
    "x",
    "personality",
    "ok",
    "Done",
    "https://example.com/a/b?c=d",
    "don't",
    "3.14",
    "e.g.",
    "über",
    "naïve",
    "(see",
    "it)",
];

const CJK: &[&str] = &[
    "漢字",
    "日本語のテキスト",
    "中文句子很长",
    "かな",
    "한국어",
    "字",
];

/// One piece of a random reply.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(WORDS).prop_map(str::to_owned),
        10 => Just(" ".to_owned()),
        2 => Just("\t".to_owned()),
        3 => Just("\n".to_owned()),
        2 => Just("\n\n".to_owned()),
        1 => Just("\r\n".to_owned()),
        1 => Just("\r\n\r\n".to_owned()),
        3 => prop_oneof![Just(". "), Just("! "), Just("? "), Just(".\" "), Just("。"), Just("！")]
            .prop_map(str::to_owned),
        2 => prop_oneof![Just("\n```rust\n"), Just("\n```\n"), Just("\n  ```py\n"), Just("\n```\r\n")]
            .prop_map(str::to_owned),
        2 => prop_oneof![Just("a```b"), Just("```"), Just(" ```x``` "), Just("``")]
            .prop_map(str::to_owned),
        2 => prop_oneof![
            Just("😀"),
            Just("👨\u{200D}👩\u{200D}👧\u{200D}👦"),
            Just("👍🏽"),
            Just("🇯🇵"),
            Just("❤\u{FE0F}"),
        ]
        .prop_map(str::to_owned),
        2 => prop::sample::select(CJK).prop_map(str::to_owned),
        1 => Just("e\u{301}".to_owned()),
        1 => Just("    indented".to_owned()),
        1 => (prop::char::range('a', 'z'), 60..2000usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// A random reply of up to a few thousand characters.
fn reply() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..500).prop_map(|tokens| tokens.concat())
}

/// Limits from the smallest up to above Telegram's, biased small so most replies need cutting.
fn limit() -> impl Strategy<Value = usize> {
    prop_oneof![MIN_LIMIT..300usize, MIN_LIMIT..5000usize]
}

proptest! {
    // The default (or PROPTEST_CASES) case count; each case is cheap.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn chunks_fit_balance_and_lose_nothing(text in reply(), limit in limit()) {
        let chunks = split(&text, limit);
        assert_valid(&text, limit, &chunks);
    }

    #[test]
    fn tiny_limits_behave_as_the_minimum(text in reply(), limit in 0..MIN_LIMIT) {
        let chunks = split(&text, limit);
        assert_valid(&text, limit, &chunks);
        prop_assert_eq!(chunks, split(&text, MIN_LIMIT));
    }

    #[test]
    fn a_reply_that_fits_stays_whole(text in reply()) {
        let chunks = split(&text, usize::MAX);
        if text.trim().is_empty() {
            prop_assert!(chunks.is_empty());
        } else {
            // A block the reply never closes is closed so the message renders as code.
            let close = if fence_lines(&text) % 2 == 1 { "\n```" } else { "" };
            prop_assert_eq!(chunks, vec![format!("{}{close}", text.trim())]);
        }
    }
}
