//! Discord end to end: `switchboard run`'s wiring (serenity's gateway client, slash commands,
//! webhook pools) against a fake Discord whose REST API and gateway speak the real JSON, and the
//! fake AI: mentions, reply chains, activated channels, DMs, webhook faults (10015, 429, 30007,
//! missing permissions), mentions that must ping nobody, loops and replays, slash commands, and
//! fairness under a flood.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases;
mod fairness;
mod shards;
mod support;
