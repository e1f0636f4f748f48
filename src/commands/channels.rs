//! `/activate <personality>` and `/deactivate`: a moderator makes one personality answer every
//! message in a channel (or thread), or stops it. Kept in the store, so every process sees it.

use super::{CommandError, Cx, Reply};

pub(super) async fn activate(cx: &Cx<'_>, wanted: &str) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let Some(p) = cx.cfg.personalities.find(wanted) else {
        return Ok(super::account::no_such_personality(cx, wanted));
    };
    cx.svc
        .store
        .set_channel_personality(&c.tenant.name, &c.place, Some(&p.name))
        .await?;
    Ok(Reply {
        private: false,
        ..Reply::text(format!(
            "Done: {} now answers every message here. /deactivate stops that.",
            p.name
        ))
    })
}

pub(super) async fn deactivate(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let store = &cx.svc.store;
    let Some(current) = store.channel_personality(&c.tenant.name, &c.place).await? else {
        return Ok(Reply::text(
            "No personality is active here; mention one by name to talk to it.",
        ));
    };
    store
        .set_channel_personality(&c.tenant.name, &c.place, None)
        .await?;
    Ok(Reply {
        private: false,
        ..Reply::text(format!(
            "Done: {current} no longer answers every message here; mention a personality by name to talk to it."
        ))
    })
}
