//! switchboard: the application library behind the `switchboard` binary.
//!
//! Inbound messages from the platforms go through [`ingress`] (routing, admission, enqueue) onto
//! the fair queue (`switchboard-queue`); [`worker`]s take them in fair order, call the AI within
//! each user's breaker, store history and usage, and deliver through the platform. [`app`] wires
//! it together; [`sim`] runs it all on a simulated platform.

pub mod admin;
pub mod admission;
pub mod ai;
pub mod app;
pub mod choice;
pub mod commands;
pub mod config;
pub mod defaults;
pub mod discord;
pub mod heartbeat;
pub mod import;
pub mod ingress;
pub mod ingress_order;
pub mod journal_queue;
pub mod leader;
pub mod live;
pub mod observe;
pub mod reload;
pub mod router;
pub mod services;
pub mod sim;
pub mod spoken;
pub mod store;
pub mod telegram;
pub mod tuning;
pub mod worker;

pub use switchboard_platforms as platforms;
pub use switchboard_queue as queue;
