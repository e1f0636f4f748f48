//! The admin server end to end: `switchboard run`'s wiring with `[admin] listen` and a watched
//! config file, against the fake Bot API and the fake AI. The token guards every route but the
//! health checks; the JSON API lists and acts on dead letters, breakers, users and tenants;
//! `/metrics` covers the pipeline and passes `promtool check metrics`; edits of the config file
//! apply live (weights, quotas) or are refused with the old config kept; the dashboard shows the
//! API's figures in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod auth;
mod cdp;
mod dashboard;
mod metrics;
mod reload;
mod support;
