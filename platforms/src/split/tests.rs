//! Example-based tests of [`super::split`]: where it breaks, how code blocks survive, and the
//! Unicode a hard cut must not tear.

use super::check::{assert_valid, fence_lines};
use super::{DISCORD_LIMIT, MIN_LIMIT, TELEGRAM_LIMIT, split, utf16_len};

/// A sentence of about 70 characters, different for each `n`.
fn sentence(n: usize) -> String {
    format!("Sentence number {n} explains one more detail about the topic at hand.")
}

/// A paragraph of `count` sentences starting at sentence `first`.
fn paragraph(first: usize, count: usize) -> String {
    (first..first + count)
        .map(sentence)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A fenced block in `lang` with `lines` numbered lines of about 60 characters.
fn code_block(lang: &str, lines: usize) -> String {
    let body: String = (0..lines)
        .map(|i| format!("    let value_{i:04} = compute(input, {i}) + offset * factor;\n"))
        .collect();
    format!("```{lang}\n{body}```")
}

fn split_checked(text: &str, limit: usize) -> Vec<String> {
    let chunks = split(text, limit);
    assert_valid(text, limit, &chunks);
    chunks
}

#[test]
fn empty_and_whitespace_input_give_no_messages() {
    for text in ["", " ", "\n\n\t  \r\n", "\u{3000}\u{2028}"] {
        assert!(split(text, DISCORD_LIMIT).is_empty(), "{text:?}");
    }
}

#[test]
fn short_text_is_one_message_without_outer_whitespace() {
    assert_eq!(
        split("\n  Hello there!  \n", DISCORD_LIMIT),
        ["Hello there!"]
    );
}

#[test]
fn text_exactly_at_the_limit_stays_one_message() {
    let ascii = "x".repeat(DISCORD_LIMIT);
    assert_eq!(split(&ascii, DISCORD_LIMIT), [ascii.as_str()]);
    // 1000 emoji are 2000 UTF-16 units.
    let emoji = "😀".repeat(DISCORD_LIMIT / 2);
    assert_eq!(split(&emoji, DISCORD_LIMIT), [emoji.as_str()]);
    let over = format!("{emoji}a");
    let chunks = split_checked(&over, DISCORD_LIMIT);
    assert_eq!(chunks.len(), 2);
}

#[test]
fn limits_below_the_minimum_act_as_the_minimum() {
    let text = paragraph(0, 10);
    let at_min = split_checked(&text, MIN_LIMIT);
    for limit in [0, 1, 10, MIN_LIMIT - 1] {
        assert_eq!(split_checked(&text, limit), at_min, "limit {limit}");
    }
    assert!(at_min.iter().all(|c| utf16_len(c) <= MIN_LIMIT));
}

#[test]
fn huge_limit_keeps_everything_in_one_message() {
    let text = paragraph(0, 200);
    assert_eq!(split(&text, usize::MAX), [text.as_str()]);
}

#[test]
fn long_ai_reply_at_telegram_limit_gives_three_balanced_messages() {
    let intro: Vec<String> = (0..7).map(|p| paragraph(p * 6, 6)).collect();
    let outro: Vec<String> = (0..11).map(|p| paragraph(100 + p * 6, 6)).collect();
    let code = code_block("rust", 40);
    let text = format!("{}\n\n{code}\n\n{}", intro.join("\n\n"), outro.join("\n\n"));
    assert!(
        (9_500..10_500).contains(&text.chars().count()),
        "{}",
        text.len()
    );

    let chunks = split_checked(&text, TELEGRAM_LIMIT);
    assert_eq!(chunks.len(), 3);
    for chunk in &chunks {
        assert!(utf16_len(chunk) <= TELEGRAM_LIMIT);
        assert_eq!(fence_lines(chunk) % 2, 0);
    }
    // The block fits in one message, so it is kept whole rather than cut and repaired.
    assert!(chunks.iter().any(|c| c.contains(&code)));
    assert_eq!(chunks.iter().map(|c| fence_lines(c)).sum::<usize>(), 2);
}

#[test]
fn prose_breaks_at_paragraphs_when_they_fill_the_message() {
    let paragraphs: Vec<String> = (0..12).map(|p| paragraph(p * 10, 3 + p % 4)).collect();
    let text = paragraphs.join("\n\n");
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert!(chunks.len() >= 3);
    for chunk in &chunks {
        for part in chunk.split("\n\n") {
            assert!(paragraphs.iter().any(|p| p == part), "cut inside {part:?}");
        }
        assert!(utf16_len(chunk) * 2 >= DISCORD_LIMIT || chunk == chunks.last().unwrap());
    }
}

#[test]
fn one_long_paragraph_breaks_at_a_sentence_end() {
    let text = paragraph(0, 60);
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert!(chunks.len() >= 2);
    for chunk in &chunks {
        assert!(chunk.ends_with("hand."), "{chunk:?}");
    }
    // The break is the last sentence end that fits: the next sentence would not have fit.
    assert!(utf16_len(&chunks[0]) + 1 + utf16_len(&sentence(0)) + 4 > DISCORD_LIMIT);
}

#[test]
fn sentences_in_other_scripts_and_quotes_end_chunks() {
    let quoted = "He said \"it works.\" ".repeat(200);
    let chunks = split_checked(&quoted, DISCORD_LIMIT);
    assert!(chunks[0].ends_with("works.\""), "{:?}", &chunks[0]);

    // Japanese needs no space after 。
    let japanese = "今日はとても良い天気ですね。".repeat(300);
    let chunks = split_checked(&japanese, DISCORD_LIMIT);
    assert!(chunks.len() >= 2);
    for chunk in &chunks {
        assert!(chunk.ends_with('。'), "{chunk:?}");
    }
}

#[test]
fn words_without_punctuation_break_between_words() {
    let words: Vec<String> = (0..800).map(|i| format!("word{i}")).collect();
    let text = words.join(" ");
    let chunks = split_checked(&text, DISCORD_LIMIT);
    for chunk in &chunks {
        for w in chunk.split(' ') {
            assert!(words.iter().any(|x| x == w), "torn word {w:?}");
        }
    }
}

#[test]
fn an_early_blank_line_loses_to_a_late_sentence_end() {
    let text = format!("{}\n\n{}", paragraph(0, 2), paragraph(10, 60));
    let chunks = split_checked(&text, DISCORD_LIMIT);
    // Breaking at the blank line after ~140 characters would waste most of the first message.
    assert!(utf16_len(&chunks[0]) > DISCORD_LIMIT * 9 / 10);
    assert!(chunks[0].ends_with("hand."));
}

#[test]
fn a_blank_line_beyond_half_beats_a_later_sentence_end() {
    let text = format!("{}\n\n{}", paragraph(0, 16), paragraph(100, 60));
    let first = paragraph(0, 16);
    assert!(utf16_len(&first) * 2 > DISCORD_LIMIT);
    assert_eq!(split_checked(&text, DISCORD_LIMIT)[0], first);
}

#[test]
fn the_last_two_messages_break_at_the_best_boundary() {
    // 2400 characters: any break leaves a rest that fits, so the early paragraph end wins.
    let first = paragraph(0, 6);
    let text = format!("{first}\n\n{}", paragraph(10, 28));
    assert!(utf16_len(&text) < 2 * DISCORD_LIMIT);
    assert_eq!(split_checked(&text, DISCORD_LIMIT)[0], first);
}

#[test]
fn a_long_url_moves_whole_to_the_next_message() {
    let url = format!("https://example.com/{}", "a".repeat(1500));
    let text = format!(
        "{} {url} {}",
        "lorem ".repeat(100).trim_end(),
        "ipsum ".repeat(50)
    );
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert!(chunks.iter().any(|c| c.contains(&url)), "URL was cut");
}

#[test]
fn a_single_huge_word_is_cut_hard_into_full_messages() {
    let word = "x".repeat(5000);
    let chunks = split_checked(&word, DISCORD_LIMIT);
    let lens: Vec<usize> = chunks.iter().map(|c| utf16_len(c)).collect();
    assert_eq!(lens, [2000, 2000, 1000]);
    assert_eq!(chunks.concat(), word);
}

#[test]
fn a_huge_line_of_cjk_is_cut_hard() {
    let text = "漢字".repeat(2500);
    let chunks = split_checked(&text, DISCORD_LIMIT);
    let lens: Vec<usize> = chunks.iter().map(|c| utf16_len(c)).collect();
    assert_eq!(lens, [2000, 2000, 1000]);
}

#[test]
fn emoji_at_the_cut_are_never_split() {
    // The 2000th unit is the first half of a surrogate pair.
    let text = format!("{}😀{}", "a".repeat(1999), "b".repeat(100));
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert_eq!(chunks[0], "a".repeat(1999));
    assert!(chunks[1].starts_with('😀'));

    let emoji = "😀🎉".repeat(1500);
    for chunk in split_checked(&emoji, DISCORD_LIMIT) {
        assert_eq!(utf16_len(&chunk), 2000);
    }
}

#[test]
fn combining_marks_stay_with_their_letter() {
    let accented = "e\u{301}\u{323}";
    let text = format!("{}{accented}{}", "a".repeat(1998), "b".repeat(100));
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert_eq!(chunks[0], "a".repeat(1998));
    assert!(chunks[1].starts_with(accented));
}

#[test]
fn zwj_family_emoji_stay_whole() {
    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
    assert_eq!(utf16_len(family), 11);
    for pad in 1990..2000 {
        let text = format!("{}{family}{}", "a".repeat(pad), "b".repeat(100));
        let chunks = split_checked(&text, DISCORD_LIMIT);
        assert!(chunks.iter().any(|c| c.contains(family)), "pad {pad}");
    }
    let flags = "🇯🇵🇫🇷".repeat(600);
    for chunk in split_checked(&flags, DISCORD_LIMIT) {
        assert_eq!(utf16_len(&chunk) % 4, 0, "a flag was split");
    }
}

#[test]
fn code_longer_than_the_limit_is_reopened_with_its_language() {
    let code = code_block("python", 120);
    let text = format!("Here is the script:\n\n{code}\n\nRun it with python3.");
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert!(chunks.len() >= 4, "{}", chunks.len());
    let original_lines: Vec<&str> = code.lines().collect();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 && i < chunks.len() - 1 {
            assert!(chunk.starts_with("```python\n"), "chunk {i} not reopened");
        }
        if i < chunks.len() - 1 {
            assert!(chunk.ends_with("\n```"), "chunk {i} not closed");
        }
        // Cuts inside the block fall between lines: every code line is whole.
        for line in chunk.lines().filter(|l| l.starts_with("    let")) {
            assert!(original_lines.contains(&line), "torn line {line:?}");
        }
    }
    assert!(chunks.last().unwrap().ends_with("python3."));
}

#[test]
fn code_indentation_survives_a_cut() {
    let body: String = (0..200).map(|i| format!("        return {i}\n")).collect();
    let text = format!("```py\n{body}```");
    let chunks = split_checked(&text, DISCORD_LIMIT);
    for chunk in &chunks[1..] {
        assert!(
            chunk.starts_with("```py\n        return "),
            "{:?}",
            &chunk[..30]
        );
    }
}

#[test]
fn prose_before_a_code_block_breaks_at_the_block() {
    let prose = paragraph(0, 18);
    let text = format!("{prose}\n\n{}", code_block("js", 30));
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert_eq!(chunks[0], prose);
    assert!(chunks[1].starts_with("```js\n"));
}

#[test]
fn crlf_text_breaks_at_paragraphs_and_reopens_code() {
    let paragraphs: Vec<String> = (0..12).map(|p| paragraph(p * 10, 5)).collect();
    let code: String = (0..60)
        .map(|i| format!("fn f{i}() {{ do_something_long({i}); }}\r\n"))
        .collect();
    let text = format!(
        "{}\r\n\r\n```rust\r\n{code}```\r\n",
        paragraphs.join("\r\n\r\n")
    );
    let chunks = split_checked(&text, DISCORD_LIMIT);
    for chunk in &chunks {
        if !chunk.starts_with("```") {
            assert!(paragraphs.iter().any(|p| chunk.starts_with(p.as_str())));
        }
    }
    assert!(
        chunks.iter().any(|c| c.starts_with("```rust\n")),
        "{chunks:?}"
    );
}

#[test]
fn an_unclosed_block_is_closed_in_its_last_message() {
    let text = format!("Look:\n```sh\n{}", "echo hello world again\n".repeat(150));
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert!(chunks.len() >= 2);
    assert!(chunks.iter().all(|c| c.ends_with("\n```")));
}

#[test]
fn a_long_language_tag_is_not_repeated() {
    let lang = "x".repeat(100);
    let text = format!("```{lang}\n{}```", "line of code here\n".repeat(300));
    let chunks = split_checked(&text, DISCORD_LIMIT);
    assert!(chunks[1].starts_with("```\nline"));
}

#[test]
fn inline_backticks_never_start_a_message() {
    let text = "see ```this``` and ".repeat(400);
    for limit in [MIN_LIMIT, 100, 333, DISCORD_LIMIT] {
        for chunk in split_checked(&text, limit) {
            assert!(!chunk.starts_with("```"), "{chunk:?}");
        }
    }
}

#[test]
fn odd_input_does_not_panic() {
    let texts = [
        "`".repeat(5000),
        format!("a{}", "`".repeat(300)),
        "```\n".repeat(500),
        format!("```\n{}\n```", " ".repeat(5000)),
        format!("```\n{}x", " ".repeat(3000)),
        "\u{301}".repeat(3000),
        "\u{200D}".repeat(3000),
        "🇯".repeat(3001),
        "\r".repeat(3000),
        format!("x{}", "\n".repeat(5000)),
    ];
    for text in &texts {
        for limit in [0, MIN_LIMIT, 100, DISCORD_LIMIT] {
            let chunks = split(text, limit);
            assert!(chunks.iter().all(|c| utf16_len(c) <= limit.max(MIN_LIMIT)));
            assert!(chunks.iter().all(|c| !c.trim().is_empty()));
        }
    }
}
