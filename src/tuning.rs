//! Queue tuning from config: tenant weights and in-flight caps, user weights and caps. Named
//! tenants are tuned at start (and after each reload); automatic tenants and per-user overrides the
//! first time ingress sees them, so the queue never needs a list of every user.

use std::collections::HashSet;
use std::sync::Mutex;

use switchboard_queue::{Queue, QueueError};

use crate::config::{Config, Tenant};

#[derive(Default)]
pub struct Tuning {
    /// Tenants and (tenant, user) pairs already tuned under the current config.
    done: Mutex<HashSet<String>>,
}

impl Tuning {
    fn first_time(&self, key: String) -> bool {
        self.done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key)
    }

    /// Forgets what was tuned (after a config reload everything is tuned again).
    pub fn reset(&self) {
        self.done.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// After a config reload: every tenant and user tuned so far gets the new config's weight
    /// and cap at once (a backlogged flow follows it from its next dispatch), including those
    /// whose entry was removed (back to the defaults), then every named tenant is tuned.
    pub async fn retune(&self, q: &dyn Queue, cfg: &Config) -> Result<(), QueueError> {
        let before: Vec<String> = self
            .done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for key in before {
            let mut parts = key.splitn(3, '\n');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("t"), Some(tenant), None) => {
                    self.tenant(q, &cfg.tenants.by_name(tenant)).await?;
                }
                (Some("u"), Some(tenant), Some(user)) => match cfg.users.get(user) {
                    Some(o) => {
                        self.first_time(key.clone());
                        q.set_user_weight(tenant, user, o.weight.unwrap_or(1.0))
                            .await?;
                        q.set_user_cap(tenant, user, o.in_flight).await?;
                    }
                    None => {
                        q.set_user_weight(tenant, user, 1.0).await?;
                        q.set_user_cap(tenant, user, None).await?;
                    }
                },
                _ => {}
            }
        }
        self.apply_named(q, cfg).await
    }

    /// Tunes every named tenant.
    pub async fn apply_named(&self, q: &dyn Queue, cfg: &Config) -> Result<(), QueueError> {
        for t in cfg.tenants.named.values() {
            self.tenant(q, t).await?;
        }
        Ok(())
    }

    async fn tenant(&self, q: &dyn Queue, t: &Tenant) -> Result<(), QueueError> {
        if self.first_time(format!("t\n{}", t.name)) {
            q.set_tenant_weight(&t.name, t.weight).await?;
            q.set_tenant_cap(&t.name, t.in_flight).await?;
        }
        Ok(())
    }

    /// Before enqueueing a job of `user` in `t`: make sure both carry their configured weights
    /// and caps.
    pub async fn ensure(
        &self,
        q: &dyn Queue,
        cfg: &Config,
        t: &Tenant,
        user: &str,
    ) -> Result<(), QueueError> {
        self.tenant(q, t).await?;
        if let Some(o) = cfg.users.get(user) {
            if self.first_time(format!("u\n{}\n{user}", t.name)) {
                if let Some(w) = o.weight {
                    q.set_user_weight(&t.name, user, w).await?;
                }
                q.set_user_cap(&t.name, user, o.in_flight).await?;
            }
        }
        Ok(())
    }
}
