//! The name a personality speaks under on Discord. A webhook message takes any `username`, but
//! Discord refuses the whole send when the name breaks its rules, and a refused reply is a reply
//! lost; so every personality name is made valid here before it is used:
//!
//! - 1 to 80 characters (Unicode scalar values, as Discord counts), trimmed, no control
//!   characters (they become spaces);
//! - no "discord" or "clyde" anywhere, in any letter case: a U+200A HAIR SPACE goes after the
//!   first letter ("D\u{200A}iscord"), which reads the same;
//! - not exactly "everyone" or "here" (any case): the same hair space;
//! - no `@`, `#` or `:`: they become the look-alikes `＠` (U+FF20), `＃` (U+FF03) and `꞉`
//!   (U+A789); no "```": a hair space after every second backtick of a longer run;
//! - a name left empty becomes [`FALLBACK_USERNAME`].
//!
//! The function is idempotent, so a name already made valid passes through unchanged.

/// Discord's longest webhook username, in characters.
pub const MAX_USERNAME_CHARS: usize = 80;
/// The name used when nothing usable is left of a personality's name.
pub const FALLBACK_USERNAME: &str = "Assistant";

/// Breaks a forbidden word without changing how it reads.
const HAIR_SPACE: char = '\u{200A}';
/// Words a webhook username may not contain, in any case.
const FORBIDDEN_WORDS: [&str; 2] = ["discord", "clyde"];
/// Names a webhook username may not be, in any case.
const RESERVED_NAMES: [&str; 2] = ["everyone", "here"];

/// A valid Discord webhook username for `personality_name` (see the module documentation).
pub fn webhook_username(personality_name: &str) -> String {
    let replaced: String = personality_name
        .chars()
        .map(|c| match c {
            '@' => '\u{FF20}',
            '#' => '\u{FF03}',
            ':' => '\u{A789}',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let broken = break_backtick_runs(&break_forbidden_words(&replaced));
    // Cutting can only remove forbidden substrings, never make one, but it can leave
    // whitespace at the end (or a bare "here" out of "here   ...").
    let cut: String = broken.trim().chars().take(MAX_USERNAME_CHARS).collect();
    let name = cut.trim();
    if name.is_empty() {
        FALLBACK_USERNAME.to_owned()
    } else if RESERVED_NAMES.iter().any(|r| name.eq_ignore_ascii_case(r)) {
        break_after_first_char(name, 0)
    } else {
        name.to_owned()
    }
}

/// Inserts a hair space after the first letter of every forbidden word, until none is left.
/// The words are ASCII, so ASCII lowercasing keeps every byte offset.
fn break_forbidden_words(s: &str) -> String {
    let mut out = s.to_owned();
    loop {
        let lower = out.to_ascii_lowercase();
        let Some(at) = FORBIDDEN_WORDS.iter().filter_map(|w| lower.find(w)).min() else {
            return out;
        };
        out = break_after_first_char(&out, at);
    }
}

/// `s` with a hair space after the (ASCII) character at byte `at`.
fn break_after_first_char(s: &str, at: usize) -> String {
    let split = at + 1;
    let mut out = String::with_capacity(s.len() + HAIR_SPACE.len_utf8());
    out.push_str(&s[..split]);
    out.push(HAIR_SPACE);
    out.push_str(&s[split..]);
    out
}

/// Inserts a hair space before any third backtick in a row, so no "```" remains.
fn break_backtick_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            if run == 2 {
                out.push(HAIR_SPACE);
                run = 0;
            }
            run += 1;
        } else {
            run = 0;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Discord's rules, checked independently of how the name was made.
    fn is_valid(name: &str) -> bool {
        let lower = name.to_lowercase();
        let chars = name.chars().count();
        (1..=MAX_USERNAME_CHARS).contains(&chars)
            && name.trim() == name
            && !name.chars().any(char::is_control)
            && !FORBIDDEN_WORDS.iter().any(|w| lower.contains(w))
            && !RESERVED_NAMES.contains(&lower.as_str())
            && !name.contains(['@', '#', ':'])
            && !name.contains("```")
    }

    #[test]
    fn ordinary_names_pass_unchanged() {
        for name in [
            "Oracle",
            "Dr. Ada Lovelace",
            "Ünïcödé 😀",
            "Everyone's Friend",
            "Here & Now",
        ] {
            assert_eq!(webhook_username(name), name);
        }
    }

    #[test]
    fn forbidden_words_are_broken_by_a_hair_space() {
        assert_eq!(webhook_username("Discord Helper"), "D\u{200A}iscord Helper");
        assert_eq!(webhook_username("clyde"), "c\u{200A}lyde");
        assert_eq!(
            webhook_username("myDISCORDbot & ClYdE"),
            "myD\u{200A}ISCORDbot & C\u{200A}lYdE"
        );
        assert_eq!(
            webhook_username("discorddiscord"),
            "d\u{200A}iscordd\u{200A}iscord"
        );
    }

    #[test]
    fn reserved_names_are_broken_too() {
        assert_eq!(webhook_username("everyone"), "e\u{200A}veryone");
        assert_eq!(webhook_username("  HERE\n"), "H\u{200A}ERE");
        // A name that becomes "here" only once cut to length is caught as well.
        let long = format!("here{}x", " ".repeat(80));
        assert_eq!(webhook_username(&long), "h\u{200A}ere");
    }

    #[test]
    fn forbidden_characters_become_look_alikes() {
        assert_eq!(webhook_username("a@b#c:d"), "a\u{FF20}b\u{FF03}c\u{A789}d");
        assert_eq!(webhook_username("```code```"), "``\u{200A}`code``\u{200A}`");
        assert_eq!(webhook_username("``x``"), "``x``");
        assert_eq!(webhook_username("line\none\ttab"), "line one tab");
    }

    #[test]
    fn length_is_counted_in_characters() {
        let emoji = "😀".repeat(100);
        assert_eq!(webhook_username(&emoji), "😀".repeat(80));
        let spaced = format!("{} tail", "a".repeat(79));
        assert_eq!(webhook_username(&spaced), "a".repeat(79));
    }

    #[test]
    fn nothing_usable_falls_back() {
        for name in ["", "   ", "\n\t\u{7}", "\u{200A}"] {
            assert_eq!(webhook_username(name), FALLBACK_USERNAME, "{name:?}");
        }
        assert!(is_valid(FALLBACK_USERNAME));
    }

    fn name() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("discord".to_owned()),
            Just("DiScOrD".to_owned()),
            Just("clyde".to_owned()),
            Just("everyone".to_owned()),
            Just("here".to_owned()),
            Just("@".to_owned()),
            Just("#".to_owned()),
            Just(":".to_owned()),
            Just("`".to_owned()),
            Just(" ".to_owned()),
            Just("\n".to_owned()),
            Just("\u{200A}".to_owned()),
            Just("😀".to_owned()),
            Just("a".repeat(30)),
            "\\PC{0,4}",
            ".{0,3}",
        ];
        prop::collection::vec(piece, 0..16).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn every_name_becomes_valid_and_stays_so(name in name()) {
            let once = webhook_username(&name);
            prop_assert!(is_valid(&once), "{:?} -> {:?}", name, once);
            prop_assert_eq!(webhook_username(&once), once);
        }

        #[test]
        fn any_string_becomes_valid(name in any::<String>()) {
            let once = webhook_username(&name);
            prop_assert!(is_valid(&once), "{:?} -> {:?}", name, once);
            prop_assert_eq!(webhook_username(&once), once);
        }
    }
}
