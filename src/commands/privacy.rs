//! The caller's data and access: `/export` (everything kept about them, as a JSON file),
//! `/forget` (delete it all, after a confirmation), `/register` (ask the admins for access).
//! "Everything about the caller" spans every tenant they have talked in: a person is one person
//! to the operator, whichever community they met the bot in.

use serde_json::json;
use switchboard_platforms::OutFile;

use super::format::{name, utc_time};
use super::{CommandError, Cx, Notice, Reply};
use crate::config::Access;
use crate::store::{UserKey, UserStatus};

/// How long `/forget confirm` stays possible after `/forget`.
const CONFIRM_WINDOW_MS: u64 = 5 * 60 * 1000;
/// How long before the same user may ask for access again.
const REGISTER_AGAIN_MS: u64 = 24 * 3600 * 1000;
const FORGET_SETTING: &str = "forget.requested_at";
const REGISTER_SETTING: &str = "register.requested_at";
/// Records looked at when finding a person's keys across tenants.
const MAX_TENANTS_PER_USER: usize = 1000;

/// The caller's keys in every tenant they are known in (the caller's own key always included).
pub(super) async fn all_keys(cx: &Cx<'_>, user: &str) -> Result<Vec<UserKey>, CommandError> {
    let mut keys: Vec<UserKey> = cx
        .svc
        .store
        .users(None, Some(user), MAX_TENANTS_PER_USER)
        .await?
        .into_iter()
        .filter(|r| r.key.user == user)
        .map(|r| r.key)
        .collect();
    if !keys.contains(&cx.caller.user) {
        keys.push(cx.caller.user.clone());
    }
    keys.sort();
    Ok(keys)
}

pub(super) async fn export(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let mut tenants = Vec::new();
    for key in all_keys(cx, &c.user.user).await? {
        tenants.push(json!({
            "tenant": key.tenant,
            "data": cx.svc.store.export_user(&key).await?,
        }));
    }
    let doc = json!({
        "user": c.user.user,
        "exported_at": utc_time(c.now_ms),
        "tenants": tenants,
    });
    let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    let day = utc_time(c.now_ms).chars().take(10).collect::<String>();
    Ok(Reply {
        file: Some(OutFile {
            name: format!("switchboard-export-{day}.json"),
            mime: "application/json".into(),
            bytes,
        }),
        ..Reply::text("Here is everything I keep about you.")
    })
}

pub(super) async fn forget(cx: &Cx<'_>, confirm: bool) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let store = &cx.svc.store;
    if !confirm {
        store
            .set_setting(&c.user, FORGET_SETTING, Some(&c.now_ms.to_string()))
            .await?;
        return Ok(Reply::text(
            "This deletes everything I keep about you: your messages, notes, settings, usage and check-ins, in every chat you've had with me. It can't be undone.\nTo go ahead, send /forget confirm within 5 minutes.",
        ));
    }
    let asked = store
        .setting(&c.user, FORGET_SETTING)
        .await?
        .and_then(|v| v.parse::<u64>().ok());
    if asked.is_none_or(|t| c.now_ms.saturating_sub(t) > CONFIRM_WINDOW_MS) {
        return Ok(Reply::text(
            "Send /forget first; then /forget confirm within 5 minutes.",
        ));
    }
    for key in all_keys(cx, &c.user.user).await? {
        cx.svc.queue.cancel_user(&key.tenant, &key.user).await?;
        store.forget_user(&key).await?;
        cx.svc.breakers().reset(&key.tenant, &key.user);
    }
    tracing::info!(tenant = %c.user.tenant, "a user had their data forgotten");
    Ok(Reply::text(
        "Done: I've forgotten everything about you. If you write again, we start as strangers.",
    ))
}

pub(super) async fn register(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let store = &cx.svc.store;
    if c.tenant.access == Access::Open {
        return Ok(Reply::text(
            "Everyone may talk to me here; there's nothing to register.",
        ));
    }
    let allowed = cx.cfg.users.get(&c.user.user).is_some_and(|o| o.allowed);
    if c.record.status == UserStatus::Active || allowed {
        return Ok(Reply::text("You already have access."));
    }
    let asked = store
        .setting(&c.user, REGISTER_SETTING)
        .await?
        .and_then(|v| v.parse::<u64>().ok());
    if asked.is_some_and(|t| c.now_ms.saturating_sub(t) < REGISTER_AGAIN_MS) {
        return Ok(Reply::text(
            "You've asked already; an admin will get back to you.",
        ));
    }
    if cx.cfg.admins.is_empty() {
        return Ok(Reply::text(
            "There's nobody here who can approve access. Please contact whoever runs this bot.",
        ));
    }
    store
        .set_setting(&c.user, REGISTER_SETTING, Some(&c.now_ms.to_string()))
        .await?;
    let who = match &c.record.username {
        Some(u) => format!("{} (@{})", name(&c.record.display_name), name(u)),
        None => name(&c.record.display_name),
    };
    let text = format!(
        "Access request in {}: {who}, id {}.\nLet them in with /admin approve {}",
        c.user.tenant, c.user.user, c.user.user
    );
    let notices = cx
        .cfg
        .admins
        .iter()
        .map(|a| Notice {
            to: a.clone(),
            text: text.clone(),
        })
        .collect();
    let guest = if c.tenant.access == Access::Approval {
        " Meanwhile you can talk to me with guest limits."
    } else {
        ""
    };
    Ok(Reply {
        notices,
        ..Reply::text(format!(
            "I've asked the admins; I'll tell you when one approves.{guest}"
        ))
    })
}
