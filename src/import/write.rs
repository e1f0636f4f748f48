//! Writing one imported user into the store so that running the import again writes nothing
//! twice: messages carry a job id derived from the source (`dv:<user>:<index>:<digest>`) and are
//! looked up in the kept history; the user, every message, note, usage record, setting and
//! check-in schedule also takes a once-mark (`import:dv:<tenant>:<user>:<kind>...`) before it is
//! written, so what the user has deleted since (down to the whole user, with `/forget`), or what
//! newer messages pushed out of the history, is not brought back. Settings and schedules the user
//! already has are left alone.
//!
//! A store refusing one item (`StoreError::Invalid`: too long, say) is a problem and the import
//! goes on; any other store error stops it.

mod prefs;

use std::collections::{BTreeMap, HashSet};

use super::daemonvigil::{Message, Note, Status, Usage, fingerprint};
use super::source::{FromFile, UserData};
use super::summary::{Summary, Tally};
use crate::config::{Config, Tenant};
use crate::store::{
    ConversationKey, NOTE_MAX_CHARS, NOTES_KEPT, Seen, Store, StoreError, UsageKind, UsageRecord,
    UserKey, UserStatus,
};

/// Once-marks never expire in practice: 9999-12-31T23:59:59Z.
const FOREVER_MS: u64 = 253_402_300_799_000;
/// Provider of usage records that name none: DaemonVigil only called Anthropic.
const DEFAULT_PROVIDER: &str = "anthropic";
/// Prefix of settings kept as DaemonVigil had them.
pub const SETTING_PREFIX: &str = "daemonvigil.";

/// What every user's import shares.
pub struct Destination<'a> {
    /// For prices, models, check-in limits.
    pub cfg: &'a Config,
    pub store: &'a dyn Store,
    /// Where every user goes.
    pub tenant: &'a Tenant,
    /// The personality whose conversation receives the history.
    pub personality: &'a str,
    /// Messages kept per conversation.
    pub keep: usize,
    /// The Telegram bot check-ins are sent through (the config's first); none: no schedules.
    pub bot: Option<&'a str>,
    /// When the import runs (first check-ins are due from it; a user with no known time is
    /// first seen then).
    pub now_ms: u64,
}

/// Imports one user; store failures other than a refused item stop the import.
pub async fn user(t: &Destination<'_>, d: &UserData, s: &mut Summary) -> Result<(), StoreError> {
    let key = UserKey::new(&t.tenant.name, format!("telegram:{}", d.id));
    if !register(t, d, &key, s).await? {
        return Ok(());
    }
    if let Some(m) = &d.messages {
        messages(t, d, &key, m, s).await?;
    }
    if let Some(n) = &d.notes {
        notes(t, &key, n, s).await?;
    }
    if let Some(c) = &d.config {
        prefs::config(t, d, &key, c, s).await?;
    }
    if let Some(u) = &d.usage {
        usage(t, &key, u, s).await?;
    }
    Ok(())
}

async fn register(
    t: &Destination<'_>,
    d: &UserData,
    key: &UserKey,
    s: &mut Summary,
) -> Result<bool, StoreError> {
    let known = t.store.user(key).await?.is_some();
    let first_time = t
        .store
        .mark_once(&format!("{}:user", mark_prefix(key)), FOREVER_MS)
        .await?;
    if !known && !first_time {
        s.problem(
            &d.origin,
            None,
            format!(
                "user {} was imported before and has been forgotten since (/forget); skipped",
                d.id
            ),
        );
        return Ok(false);
    }
    let first = d.first_ms.unwrap_or(t.now_ms);
    let display_name = d
        .first_name
        .clone()
        .or_else(|| d.username.clone())
        .unwrap_or_else(|| d.id.clone());
    let new_status = match d.status {
        Status::Active => UserStatus::Active,
        Status::Inactive => UserStatus::Inactive,
        Status::Banned => UserStatus::Banned,
    };
    let mut seen = Seen {
        key: key.clone(),
        display_name,
        username: d.username.clone(),
        at_ms: first,
        new_status,
    };
    t.store.seen(&seen).await?;
    if let Some(last) = d.last_ms.filter(|l| *l > first) {
        seen.at_ms = last;
        t.store.seen(&seen).await?;
    }
    count(&mut s.users, !known);
    Ok(true)
}

async fn messages(
    t: &Destination<'_>,
    d: &UserData,
    key: &UserKey,
    from: &FromFile<Vec<Message>>,
    s: &mut Summary,
) -> Result<(), StoreError> {
    let conv = ConversationKey {
        tenant: key.tenant.clone(),
        place: d.id.clone(),
        user: key.user.clone(),
        personality: t.personality.to_owned(),
    };
    let skip = from.items.len().saturating_sub(t.keep);
    s.messages_not_kept += skip as u64;
    let history = t.store.history(&conv, t.keep).await?;
    let present: HashSet<&str> = history.iter().filter_map(|m| m.job_id.as_deref()).collect();
    // Messages switchboard itself recorded: imported ones land after them whatever their time.
    let newest_own = history
        .iter()
        .filter(|m| !m.job_id.as_deref().is_some_and(|j| j.starts_with("dv:")))
        .map(|m| m.at_ms)
        .max();
    let mut behind = 0;
    for m in &from.items[skip..] {
        let digest = fingerprint(&m.text);
        let job = format!("dv:{}:{}:{digest}", d.id, m.index);
        if present.contains(job.as_str()) {
            s.messages.already += 1;
            continue;
        }
        let mark = format!("{}:message:{}:{digest}", mark_prefix(key), m.index);
        if !t.store.mark_once(&mark, FOREVER_MS).await? {
            s.messages.already += 1;
            continue;
        }
        match t
            .store
            .append(&conv, m.role, &m.text, m.at_ms, Some(&job), t.keep)
            .await
        {
            Ok(_) => s.messages.imported += 1,
            Err(e) => refused(e, s, &from.file, Some(m.line), "message")?,
        }
        if newest_own.is_some_and(|own| own > m.at_ms) {
            behind += 1;
        }
    }
    if behind > 0 {
        s.problem(
            &from.file,
            None,
            format!(
                "{behind} imported messages are older than messages switchboard already had in this conversation, and follow them in its history"
            ),
        );
    }
    Ok(())
}

async fn notes(
    t: &Destination<'_>,
    key: &UserKey,
    from: &FromFile<Vec<Note>>,
    s: &mut Summary,
) -> Result<(), StoreError> {
    let skip = from.items.len().saturating_sub(NOTES_KEPT);
    s.notes_not_kept += skip as u64;
    let stored = t.store.notes(key).await?;
    let present: HashSet<(&str, u64)> = stored.iter().map(|n| (n.text.as_str(), n.at_ms)).collect();
    for n in &from.items[skip..] {
        let chars = n.text.chars().count();
        let text: String = n.text.chars().take(NOTE_MAX_CHARS).collect();
        if present.contains(&(text.as_str(), n.at_ms)) {
            s.notes.already += 1;
            continue;
        }
        let mark = format!(
            "{}:note:{}:{}",
            mark_prefix(key),
            n.index,
            fingerprint(&n.text)
        );
        if !t.store.mark_once(&mark, FOREVER_MS).await? {
            s.notes.already += 1;
            continue;
        }
        match t.store.add_note(key, &text, n.at_ms).await {
            Ok(_) => s.notes.imported += 1,
            Err(e) => refused(e, s, &from.file, Some(n.line), "note")?,
        }
        if chars > NOTE_MAX_CHARS {
            s.problem(
                &from.file,
                Some(n.line),
                format!(
                    "note #{} has {chars} characters; its first {NOTE_MAX_CHARS} were imported",
                    n.index + 1
                ),
            );
        }
    }
    Ok(())
}

async fn usage(
    t: &Destination<'_>,
    key: &UserKey,
    from: &FromFile<Vec<Usage>>,
    s: &mut Summary,
) -> Result<(), StoreError> {
    // Identical requests (same time, model, tokens) are told apart by their rank.
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut unpriced: BTreeMap<&str, u64> = BTreeMap::new();
    for u in &from.items {
        let digest = u.fingerprint();
        let rank = seen.entry(digest.clone()).or_default();
        *rank += 1;
        let mark = format!("{}:usage:{digest}:{rank}", mark_prefix(key));
        if !t.store.mark_once(&mark, FOREVER_MS).await? {
            s.usage.already += 1;
            continue;
        }
        let provider = u.provider.as_deref().unwrap_or(DEFAULT_PROVIDER);
        let cost_usd = match u.cost_usd {
            Some(c) => c,
            None => price(t.cfg, provider, &u.model, u.input_tokens, u.output_tokens)
                .unwrap_or_else(|| {
                    *unpriced.entry(u.model.as_str()).or_default() += 1;
                    0.0
                }),
        };
        let rec = UsageRecord {
            at_ms: u.at_ms,
            tenant: key.tenant.clone(),
            user: key.user.clone(),
            provider: provider.to_owned(),
            model: u.model.clone(),
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cost_usd,
            kind: if u.heartbeat {
                UsageKind::Heartbeat
            } else {
                UsageKind::Reply
            },
            estimated: false,
        };
        match t.store.record_usage(&rec).await {
            Ok(()) => s.usage.imported += 1,
            Err(e) => refused(e, s, &from.file, Some(u.line), "usage record")?,
        }
    }
    for (model, n) in unpriced {
        s.problem(
            &from.file,
            None,
            format!(
                "{n} record(s) of model {model:?} have no total_cost and the config has no price for it; recorded at $0"
            ),
        );
    }
    Ok(())
}

/// The cost of a request at the config's prices: the named provider's, else any provider's
/// that lists the model.
fn price(cfg: &Config, provider: &str, model: &str, input: u64, output: u64) -> Option<f64> {
    let p = cfg
        .providers
        .get(provider)
        .and_then(|p| p.models.get(model))
        .or_else(|| cfg.providers.values().find_map(|p| p.models.get(model)))?;
    Some((input as f64 * p.input_per_million + output as f64 * p.output_per_million) / 1_000_000.0)
}

fn mark_prefix(key: &UserKey) -> String {
    format!("import:dv:{}:{}", key.tenant, key.user)
}

fn count(t: &mut Tally, new: bool) {
    if new {
        t.imported += 1;
    } else {
        t.already += 1;
    }
}

/// A refused item becomes a problem; any other store error goes up.
fn refused(
    e: StoreError,
    s: &mut Summary,
    file: &str,
    line: Option<usize>,
    what: &str,
) -> Result<(), StoreError> {
    match e {
        StoreError::Invalid(why) => {
            s.problem(
                file,
                line,
                format!("the store refused this {what} ({why}); skipped"),
            );
            Ok(())
        }
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ModelPrice, Provider, ProviderKind};

    #[test]
    fn prices_from_the_named_provider_else_any() {
        let mut cfg = crate::defaults::embedded_config().unwrap();
        let provider = |name: &str, price: f64| Provider {
            name: name.into(),
            kind: ProviderKind::Anthropic,
            base_url: String::new(),
            api_key: None,
            api_key_env: None,
            timeout: std::time::Duration::from_secs(1),
            max_tokens: 1,
            attempts: 1,
            models: [(
                "claude-x".to_owned(),
                ModelPrice {
                    input_per_million: price,
                    output_per_million: price * 5.0,
                },
            )]
            .into(),
        };
        cfg.providers = [
            ("anthropic".to_owned(), provider("anthropic", 3.0)),
            ("proxy".to_owned(), provider("proxy", 1.0)),
        ]
        .into();
        let cost = price(&cfg, "anthropic", "claude-x", 1_000_000, 100_000).unwrap();
        assert!((cost - 4.5).abs() < 1e-9, "{cost}");
        let cost = price(&cfg, "proxy", "claude-x", 1_000_000, 0).unwrap();
        assert!((cost - 1.0).abs() < 1e-9, "{cost}");
        assert!(price(&cfg, "elsewhere", "claude-x", 1, 1).is_some());
        assert_eq!(price(&cfg, "anthropic", "gpt-9", 1, 1), None);
    }
}
