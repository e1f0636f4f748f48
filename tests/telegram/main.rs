//! Telegram end to end: `switchboard run`'s wiring against a fake Bot API that speaks the real
//! JSON (and the fake AI): private chats with history and commands, group rules, long replies,
//! entity fallback, per-chat flood control, redelivery, webhook secrets, documents, blocked
//! users, malformed updates, and fairness under a flood.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases;
mod deliver;
mod fairness;
mod support;
