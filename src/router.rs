//! The router: decides what an inbound message is. A command (answered inline, no AI), a chat
//! message for one personality (admitted and queued), or nothing to answer (bots, our own
//! messages, empty messages, group chatter not addressed to us). Pure: everything it needs is
//! passed in.

use switchboard_platforms::Inbound;

use crate::config::Personalities;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ignore {
    /// Written by a bot (never answered: no loops between bots).
    Bot,
    /// Written by this bot or one of its webhooks.
    OwnMessage,
    /// Nothing to answer.
    Empty,
    /// A group message that neither mentions us, names a personality, nor replies to us.
    NotAddressed,
    /// An edit, and edits are not answered.
    Edit,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Ignore(Ignore),
    /// `/name args` (name lowercased, `@botname` suffix removed).
    Command {
        name: String,
        args: String,
    },
    /// A chat message for `personality`, with any `@Name` address removed from `text`.
    Chat {
        personality: String,
        text: String,
    },
}

/// What the router needs besides the message.
#[derive(Clone, Debug)]
pub struct RouteContext<'a> {
    pub personalities: &'a Personalities,
    /// Command prefixes (`/` by default; bots being replaced may add `!` or `.`).
    pub prefixes: &'a [String],
    /// The personality the user chose (`/personality`), for DMs.
    pub user_choice: Option<&'a str>,
    /// The tenant's default personality.
    pub tenant_default: Option<&'a str>,
    /// A personality a moderator activated in this channel (answers everything there).
    pub channel_personality: Option<&'a str>,
    /// Answer edited messages again.
    pub answer_edits: bool,
}

impl RouteContext<'_> {
    /// The personality answering when the message names none.
    fn fallback(&self) -> String {
        [self.user_choice, self.tenant_default]
            .into_iter()
            .flatten()
            .find_map(|n| self.personalities.find(n))
            .map_or_else(|| self.personalities.default.clone(), |p| p.name.clone())
    }
}

pub fn route(m: &Inbound, ctx: &RouteContext<'_>) -> Route {
    if m.from_self {
        return Route::Ignore(Ignore::OwnMessage);
    }
    if m.author.is_bot {
        return Route::Ignore(Ignore::Bot);
    }
    if m.edited && !ctx.answer_edits {
        return Route::Ignore(Ignore::Edit);
    }
    let text = m.text.trim();
    if text.is_empty() && m.attachments.is_empty() {
        return Route::Ignore(Ignore::Empty);
    }
    if let Some((name, args)) = command(text, ctx.prefixes) {
        return Route::Command { name, args };
    }
    if let Some((personality, rest)) = addressed(text, ctx.personalities) {
        return Route::Chat {
            personality,
            text: rest,
        };
    }
    if let Some(p) = m
        .reply_to
        .as_ref()
        .filter(|r| r.to_self)
        .and_then(|r| r.personality.as_deref())
    {
        if let Some(p) = ctx.personalities.find(p) {
            return Route::Chat {
                personality: p.name.clone(),
                text: text.to_owned(),
            };
        }
    }
    if let Some(p) = ctx
        .channel_personality
        .and_then(|n| ctx.personalities.find(n))
    {
        return Route::Chat {
            personality: p.name.clone(),
            text: text.to_owned(),
        };
    }
    let replied_to_us = m.reply_to.as_ref().is_some_and(|r| r.to_self);
    if m.place.is_dm || m.mentions_bot || replied_to_us {
        return Route::Chat {
            personality: ctx.fallback(),
            text: text.to_owned(),
        };
    }
    Route::Ignore(Ignore::NotAddressed)
}

/// `/help`, `/help@mybot args`, `!help` with `!` configured.
fn command(text: &str, prefixes: &[String]) -> Option<(String, String)> {
    let rest = prefixes
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| text.strip_prefix(p.as_str()))?;
    let first = rest.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head.split_once('@').map_or(head, |(n, _)| n);
    Some((name.to_ascii_lowercase(), args.trim().to_owned()))
}

/// `@Name rest` or `Name, rest` / `Name: rest` where Name is a personality or alias.
fn addressed(text: &str, ps: &Personalities) -> Option<(String, String)> {
    let (word, rest) = match text.strip_prefix('@') {
        Some(t) => {
            let end = t
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | '!' | '?' | '.'))
                .unwrap_or(t.len());
            (&t[..end], &t[end..])
        }
        None => {
            let end = text.find([',', ':'])?;
            let word = &text[..end];
            if word.contains(char::is_whitespace) {
                return None;
            }
            (word, &text[end..])
        }
    };
    let p = ps.find(word)?;
    let rest = rest.trim_start_matches([',', ':', '!', '?', '.']).trim();
    Some((p.name.clone(), rest.to_owned()))
}

#[cfg(test)]
mod tests;
