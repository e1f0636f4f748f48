//! switchboard-queue: a weighted fair job queue on which one flooding user can never delay anyone
//! else.
//!
//! Jobs are keyed by tenant and user. Dispatch is hierarchical start-time fair queueing: tenants
//! share by weight, users inside a tenant share by weight, each user's jobs run in order. The pure
//! scheduler lives in [`core`]; [`MemoryQueue`] runs it behind a lock, [`RedisQueue`] runs the same
//! algorithm in Lua scripts on Redis so any number of processes can share one queue.

pub mod clock;
pub mod core;
mod fifo;
mod memory;
mod queue;
mod reaper;
mod redis_calls;
mod redis_conn;
mod redis_library;
mod redis_queue;
pub mod scenario;

pub use clock::{Clock, ManualClock, SystemClock};
pub use fifo::FifoQueue;
pub use memory::MemoryQueue;
pub use queue::{Maintenance, Queue, QueueError};
pub use reaper::run_reaper;
pub use redis_conn::RedisTarget;
pub use redis_queue::{RedisQueue, RedisQueueConfig};
