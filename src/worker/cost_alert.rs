//! The daily cost alert: when a tenant's cost today passes its `cost_alert_usd`, every admin is
//! told once that day (a once-mark in the store makes it once across processes), in their private
//! chat.

use std::sync::Arc;

use switchboard_platforms::Outbound;

use crate::commands::format::money;
use crate::config::{Config, Tenant};
use crate::ingress::direct_target;
use crate::services::Services;
use crate::store::{UsageScope, day_of};

const DAY_MS: u64 = 86_400_000;

/// Checks `tenant`'s cost today after a request was recorded; tells the admins the first time it
/// passes the threshold. `bot` is the bot the request came through (notices prefer it).
pub async fn check(svc: &Arc<Services>, cfg: &Config, tenant: &Tenant, bot: &str, now_ms: u64) {
    let Some(threshold) = tenant.cost_alert_usd else {
        return;
    };
    if cfg.admins.is_empty() {
        return;
    }
    let today = day_of(now_ms);
    let spent = match svc
        .store
        .usage(UsageScope::Tenant(&tenant.name), today, today)
        .await
    {
        Ok(t) => t.cost_usd,
        Err(e) => {
            tracing::warn!(error = %e, "could not read a tenant's cost for the cost alert");
            return;
        }
    };
    if spent <= threshold {
        return;
    }
    let mark = format!("cost-alert:{}:{today}", tenant.name);
    // Kept past the end of the day, so a process with a late clock does not alert again.
    let expires = (today as u64 + 2) * DAY_MS;
    match svc.store.mark_once(&mark, expires).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not take the cost alert mark");
            return;
        }
    }
    tracing::info!(tenant = %tenant.name, "a tenant passed its daily cost alert");
    let text = format!(
        "Cost alert: tenant {} has spent {} today (UTC), past its alert threshold of {}. /admin stats 1 shows who.",
        tenant.name,
        money(spent),
        money(threshold)
    );
    for admin in &cfg.admins {
        let Some((target, deliver)) = direct_target(svc, admin, bot) else {
            tracing::info!("no platform to send a cost alert to an admin");
            continue;
        };
        let out = Outbound {
            target,
            persona: None,
            text: text.clone(),
            reply_to: None,
            job_id: format!("{mark}:{admin}"),
            mention_user: None,
            private: true,
            file: None,
        };
        if let Err(e) = deliver.deliver(&out).await {
            tracing::info!(error = %e, "could not send a cost alert");
        }
    }
}
