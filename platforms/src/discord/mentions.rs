//! Who a webhook reply may ping. AI text can contain anything, including `@everyone`, role
//! mentions and other users' mentions copied from the conversation; Discord pings whatever the
//! text mentions unless the send says otherwise. So every send carries an explicit
//! `allowed_mentions` that allows nothing but the one user being answered, and
//! [`neutralize`] also defuses `@everyone` / `@here` in the text itself, should a send ever go out
//! without it.

use serde_json::{Value, json};

/// Put after an `@` so Discord no longer reads `@everyone` / `@here` as a mention.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// The `allowed_mentions` object of a send: no mention parsed from the text (`"parse": []`:
/// no `@everyone`, `@here`, role or user pings), except the user being answered when
/// `reply_to_user` names one, and no ping of a replied-to message's author.
pub fn allowed_mentions(reply_to_user: Option<u64>) -> Value {
    match reply_to_user {
        // Snowflakes as strings, as Discord writes them (they overflow a JSON double).
        Some(user) => json!({"parse": [], "users": [user.to_string()], "replied_user": false}),
        None => json!({"parse": [], "replied_user": false}),
    }
}

/// `text` with a zero-width space after the `@` of every `@everyone` and `@here` (in any letter
/// case), so it reads the same but pings no one. Idempotent; nothing else changes.
pub fn neutralize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        out.push(c);
        if c == '@' {
            let rest = &text[i + 1..];
            let mass = ["everyone", "here"].iter().any(|w| {
                rest.get(..w.len())
                    .is_some_and(|r| r.eq_ignore_ascii_case(w))
            });
            if mass {
                out.push(ZERO_WIDTH_SPACE);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Someone Discord would notify.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Ping {
        User(u64),
        Role(u64),
        Everyone,
        RepliedAuthor,
    }

    /// Who Discord pings for `text` sent with `allowed` (its documented rules: a mention in the
    /// text pings when its kind is in `parse` or its id is listed; `replied_user` pings the
    /// author of the message replied to).
    fn pinged(text: &str, allowed: &Value) -> Vec<Ping> {
        let list = |key: &str| -> Vec<String> {
            allowed[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let parse = list("parse");
        let users = list("users");
        let roles = list("roles");
        let mut pings = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let Some(end) = rest.find('>') else { break };
            let inner = &rest[..end];
            let (is_role, id) = if let Some(id) = inner.strip_prefix("@&") {
                (true, id)
            } else if let Some(id) = inner.strip_prefix("@!").or(inner.strip_prefix('@')) {
                (false, id)
            } else {
                continue;
            };
            let Ok(n) = id.parse::<u64>() else { continue };
            if is_role && (parse.iter().any(|p| p == "roles") || roles.iter().any(|r| r == id)) {
                pings.push(Ping::Role(n));
            }
            if !is_role && (parse.iter().any(|p| p == "users") || users.iter().any(|u| u == id)) {
                pings.push(Ping::User(n));
            }
        }
        if (text.contains("@everyone") || text.contains("@here"))
            && parse.iter().any(|p| p == "everyone")
        {
            pings.push(Ping::Everyone);
        }
        if allowed["replied_user"].as_bool() != Some(false) {
            pings.push(Ping::RepliedAuthor);
        }
        pings
    }

    #[test]
    fn the_shape_is_explicit() {
        assert_eq!(
            allowed_mentions(Some(123_456_789_012_345_678)),
            json!({"parse": [], "users": ["123456789012345678"], "replied_user": false})
        );
        assert_eq!(
            allowed_mentions(None),
            json!({"parse": [], "replied_user": false})
        );
    }

    #[test]
    fn only_the_answered_user_can_be_pinged() {
        let text = "@everyone @here <@&77> <@42> <@!43> <@99> hello";
        assert_eq!(pinged(text, &allowed_mentions(Some(42))), [Ping::User(42)]);
        assert_eq!(pinged(text, &allowed_mentions(Some(43))), [Ping::User(43)]);
        assert!(pinged(text, &allowed_mentions(None)).is_empty());
        // The simulation itself does ping what a careless send would allow.
        let careless = json!({"parse": ["users", "roles", "everyone"]});
        assert_eq!(
            pinged(text, &careless),
            [
                Ping::Role(77),
                Ping::User(42),
                Ping::User(43),
                Ping::User(99),
                Ping::Everyone,
                Ping::RepliedAuthor
            ]
        );
    }

    #[test]
    fn mass_mentions_are_defused_in_the_text() {
        assert_eq!(
            neutralize("hi @everyone and @here!"),
            "hi @\u{200B}everyone and @\u{200B}here!"
        );
        assert_eq!(
            neutralize("@Everyone @HERE"),
            "@\u{200B}Everyone @\u{200B}HERE"
        );
        for unchanged in [
            "mail me at a@b.c",
            "@everyon",
            "@her",
            "<@42>",
            "@",
            "é@",
            "@é",
        ] {
            assert_eq!(neutralize(unchanged), unchanged);
        }
    }

    fn ai_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("@everyone".to_owned()),
            Just("@here".to_owned()),
            Just("@EveryOne".to_owned()),
            (0u64..5).prop_map(|id| format!("<@{id}>")),
            (0u64..5).prop_map(|id| format!("<@!{id}>")),
            (0u64..5).prop_map(|id| format!("<@&{id}>")),
            Just("@".to_owned()),
            Just(" ".to_owned()),
            "\\PC{0,4}",
        ];
        prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn ai_text_never_pings_anyone_else(text in ai_text(), user in prop::option::of(0u64..5)) {
            for sent in [text.clone(), neutralize(&text)] {
                for ping in pinged(&sent, &allowed_mentions(user)) {
                    prop_assert_eq!(Some(ping), user.map(Ping::User));
                }
            }
        }

        #[test]
        fn neutralized_text_has_no_mass_mention(text in ai_text()) {
            let safe = neutralize(&text);
            let lower = safe.to_lowercase();
            prop_assert!(!lower.contains("@everyone") && !lower.contains("@here"));
            prop_assert_eq!(safe.replace('\u{200B}', ""), text.replace('\u{200B}', ""));
            prop_assert_eq!(neutralize(&safe), safe);
        }
    }
}
