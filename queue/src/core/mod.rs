//! The pure scheduling core: no tokio, no Redis, no clock. Every operation takes `now` in
//! milliseconds, so tests drive time by hand and the Redis backend can be checked against it step
//! for step.

mod admin;
mod backoff;
mod leases;
mod scheduler;
mod tag;
mod types;

#[cfg(test)]
mod tests;

pub use backoff::Backoff;
pub use scheduler::{Core, DISPATCH_COST};
pub use tag::{TAG_SCALE, Tag, TagSet, tag_increment};
pub use types::*;
