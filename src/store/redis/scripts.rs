//! The Lua scripts of the Redis backend (in `lua/`), each updating keys of one hash tag
//! atomically. `redis::Script` sends EVALSHA and loads the script on NOSCRIPT.

use redis::Script;

pub struct Scripts {
    /// Registers or updates a user record.
    pub seen: Script,
    /// Sets a field only on an existing hash (status, sent flag).
    pub hset_if_exists: Script,
    /// Appends a bounded conversation message.
    pub append: Script,
    /// Moves answered_through forward.
    pub answered: Script,
    /// Adds usage to a user's aggregates.
    pub usage_user: Script,
    /// Adds usage to a tenant's aggregates.
    pub usage_tenant: Script,
    /// Saves a reply (first one wins).
    pub save_reply: Script,
    /// Claims due check-in schedules for one scheduler.
    pub claim_heartbeats: Script,
    /// Moves an existing schedule's next run.
    pub reschedule_heartbeat: Script,
}

impl Scripts {
    pub fn new() -> Self {
        Self {
            seen: Script::new(include_str!("lua/seen.lua")),
            hset_if_exists: Script::new(include_str!("lua/hset_if_exists.lua")),
            append: Script::new(include_str!("lua/append.lua")),
            answered: Script::new(include_str!("lua/answered.lua")),
            usage_user: Script::new(include_str!("lua/usage_user.lua")),
            usage_tenant: Script::new(include_str!("lua/usage_tenant.lua")),
            save_reply: Script::new(include_str!("lua/save_reply.lua")),
            claim_heartbeats: Script::new(include_str!("lua/claim_heartbeats.lua")),
            reschedule_heartbeat: Script::new(include_str!("lua/reschedule_heartbeat.lua")),
        }
    }
}
