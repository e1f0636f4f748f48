//! The router's decisions for each kind of message.

use std::collections::BTreeMap;

use switchboard_platforms::{Attachment, Author, Inbound, Place, Platform, ReplyRef, Scope};

use super::*;
use crate::config::{Personalities, Personality};

fn persona(name: &str, aliases: &[&str]) -> Personality {
    Personality {
        name: name.into(),
        avatar_url: None,
        system_prompt: "be kind".into(),
        provider: "openai".into(),
        model: "m".into(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        cache_ttl: None,
        error_message: "oops".into(),
    }
}

fn personalities() -> Personalities {
    let mut all = BTreeMap::new();
    for p in [
        persona("Aria", &["ari"]),
        persona("Sage", &[]),
        persona("Nova", &["nv"]),
    ] {
        all.insert(p.name.clone(), p);
    }
    Personalities {
        all,
        default: "Aria".into(),
        dir: None,
    }
}

fn msg(text: &str, dm: bool) -> Inbound {
    Inbound {
        platform: Platform::Discord,
        bot: "main".into(),
        scope: if dm {
            Scope::DiscordDm
        } else {
            Scope::DiscordGuild { guild_id: 1 }
        },
        author: Author {
            id: "7".into(),
            display_name: "Ada".into(),
            username: None,
            is_bot: false,
            moderator: false,
        },
        place: Place {
            channel_id: "c1".into(),
            thread_id: None,
            is_dm: dm,
        },
        message_id: "m1".into(),
        text: text.into(),
        attachments: vec![],
        reply_to: None,
        mentions_bot: false,
        from_self: false,
        edited: false,
        sent_at_ms: 0,
    }
}

fn ctx<'a>(ps: &'a Personalities, prefixes: &'a [String]) -> RouteContext<'a> {
    RouteContext {
        personalities: ps,
        prefixes,
        user_choice: None,
        tenant_default: None,
        channel_personality: None,
        answer_edits: false,
    }
}

fn chat(p: &str, t: &str) -> Route {
    Route::Chat {
        personality: p.into(),
        text: t.into(),
    }
}

#[test]
fn bots_own_messages_edits_and_empty_are_ignored() {
    let (ps, pre) = (personalities(), vec!["/".to_owned()]);
    let mut m = msg("hi", true);
    m.author.is_bot = true;
    assert_eq!(route(&m, &ctx(&ps, &pre)), Route::Ignore(Ignore::Bot));
    let mut m = msg("hi", true);
    m.from_self = true;
    assert_eq!(
        route(&m, &ctx(&ps, &pre)),
        Route::Ignore(Ignore::OwnMessage)
    );
    assert_eq!(
        route(&msg("   \n", true), &ctx(&ps, &pre)),
        Route::Ignore(Ignore::Empty)
    );
    let mut m = msg("hi", true);
    m.edited = true;
    assert_eq!(route(&m, &ctx(&ps, &pre)), Route::Ignore(Ignore::Edit));
    let mut c = ctx(&ps, &pre);
    c.answer_edits = true;
    assert_eq!(route(&m, &c), chat("Aria", "hi"));
}

#[test]
fn commands_with_prefixes_and_bot_suffixes() {
    let ps = personalities();
    let pre = vec!["/".to_owned(), "!".to_owned()];
    let c = ctx(&ps, &pre);
    assert_eq!(
        route(&msg("/Help", false), &c),
        Route::Command {
            name: "help".into(),
            args: String::new()
        }
    );
    assert_eq!(
        route(&msg("/model@mybot  gpt-4o ", false), &c),
        Route::Command {
            name: "model".into(),
            args: "gpt-4o".into()
        }
    );
    assert_eq!(
        route(&msg("!note buy milk", false), &c),
        Route::Command {
            name: "note".into(),
            args: "buy milk".into()
        }
    );
    // A slash that is not a command (a path, a smiley) is just text.
    assert_eq!(
        route(&msg("/// comment", true), &c),
        chat("Aria", "/// comment")
    );
}

#[test]
fn a_personality_named_at_the_start_answers() {
    let (ps, pre) = (personalities(), vec!["/".to_owned()]);
    let c = ctx(&ps, &pre);
    assert_eq!(
        route(&msg("@Sage what is a monad?", false), &c),
        chat("Sage", "what is a monad?")
    );
    assert_eq!(route(&msg("@ari, hello", false), &c), chat("Aria", "hello"));
    assert_eq!(
        route(&msg("nova: tell me a story", false), &c),
        chat("Nova", "tell me a story")
    );
    assert_eq!(
        route(&msg("@nobody hi", false), &c),
        Route::Ignore(Ignore::NotAddressed)
    );
    assert_eq!(
        route(&msg("note: nova is great", false), &c),
        Route::Ignore(Ignore::NotAddressed)
    );
}

#[test]
fn group_messages_need_an_address_dms_do_not() {
    let (ps, pre) = (personalities(), vec!["/".to_owned()]);
    let c = ctx(&ps, &pre);
    assert_eq!(
        route(&msg("hello all", false), &c),
        Route::Ignore(Ignore::NotAddressed)
    );
    assert_eq!(route(&msg("hello", true), &c), chat("Aria", "hello"));
    let mut m = msg("hey bot", false);
    m.mentions_bot = true;
    assert_eq!(route(&m, &c), chat("Aria", "hey bot"));
}

#[test]
fn replies_go_to_the_personality_replied_to() {
    let (ps, pre) = (personalities(), vec!["/".to_owned()]);
    let c = ctx(&ps, &pre);
    let mut m = msg("and then?", false);
    m.reply_to = Some(ReplyRef {
        message_id: "9".into(),
        to_self: true,
        personality: Some("Nova".into()),
    });
    assert_eq!(route(&m, &c), chat("Nova", "and then?"));
    m.reply_to = Some(ReplyRef {
        message_id: "9".into(),
        to_self: false,
        personality: None,
    });
    assert_eq!(route(&m, &c), Route::Ignore(Ignore::NotAddressed));
}

#[test]
fn choice_tenant_default_and_activated_channels() {
    let (ps, pre) = (personalities(), vec!["/".to_owned()]);
    let mut c = ctx(&ps, &pre);
    c.tenant_default = Some("Sage");
    assert_eq!(route(&msg("hi", true), &c), chat("Sage", "hi"));
    c.user_choice = Some("nv");
    assert_eq!(route(&msg("hi", true), &c), chat("Nova", "hi"));
    c.user_choice = Some("deleted-persona");
    assert_eq!(
        route(&msg("hi", true), &c),
        chat("Sage", "hi"),
        "a stale choice falls back"
    );
    c.channel_personality = Some("Nova");
    assert_eq!(
        route(&msg("anyone here", false), &c),
        chat("Nova", "anyone here")
    );
}

#[test]
fn attachments_alone_are_worth_answering() {
    let (ps, pre) = (personalities(), vec!["/".to_owned()]);
    let mut m = msg("", true);
    m.attachments.push(Attachment {
        name: "notes.txt".into(),
        mime: None,
        size: 3,
        text: Some("abc".into()),
        source: None,
    });
    assert_eq!(route(&m, &ctx(&ps, &pre)), chat("Aria", ""));
}

#[test]
fn odd_unicode_never_panics() {
    let (ps, pre) = (personalities(), vec!["/".to_owned(), "✨".to_owned()]);
    let c = ctx(&ps, &pre);
    for t in [
        "@",
        "/",
        "✨",
        "@\u{200d}",
        "名前: こんにちは",
        "@🦀🦀 hi",
        "/\u{301}x",
        ":",
        ",,,",
        "\u{feff}@Sage hi",
    ] {
        let _ = route(&msg(t, false), &c);
        let _ = route(&msg(t, true), &c);
    }
}
