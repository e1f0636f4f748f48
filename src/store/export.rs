//! The shape of a user's data export, shared by both backends so an operator gets the same
//! document whichever mode runs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::calendar::{Month, month_label};
use super::{
    Day, Heartbeat, Note, StoreError, StoreResult, StoredMessage, UsageRecord, UsageTotals,
    UserRecord,
};

/// Everything stored about one user.
#[derive(Debug, Default, Serialize)]
pub struct UserExport {
    /// The user record (`null` if the user was never seen, e.g. only settings exist).
    pub user: Option<UserRecord>,
    /// Name -> value.
    pub settings: BTreeMap<String, String>,
    /// Sorted by place, then personality.
    pub conversations: Vec<ConversationExport>,
    /// The user's aggregates (their share of tenant aggregates is not repeated).
    pub usage: UsageExport,
    /// Oldest first.
    pub notes: Vec<Note>,
    /// The check-in schedule, if any.
    pub heartbeat: Option<Heartbeat>,
}

#[derive(Debug, Serialize)]
pub struct ConversationExport {
    /// Where the conversation happens (channel, thread or DM).
    pub place: String,
    /// Who the user talks to there.
    pub personality: String,
    /// The seq of the last user message answered.
    pub answered_through: u64,
    /// Oldest first.
    pub messages: Vec<StoredMessage>,
}

#[derive(Debug, Default, Serialize)]
pub struct UsageExport {
    /// Per-day aggregates, oldest first.
    pub days: Vec<DayUsage>,
    /// Per-month aggregates, oldest first.
    pub months: Vec<MonthUsage>,
    /// Per-request records still kept, oldest first.
    pub records: Vec<UsageRecord>,
}

#[derive(Debug, Serialize)]
pub struct DayUsage {
    /// Days since the Unix epoch.
    pub day: Day,
    /// Requests, tokens and cost, inline.
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Serialize)]
pub struct MonthUsage {
    /// `YYYY-MM`.
    pub month: String,
    /// Requests, tokens and cost, inline.
    #[serde(flatten)]
    pub totals: UsageTotals,
}

impl MonthUsage {
    pub fn new(month: Month, totals: UsageTotals) -> Self {
        Self {
            month: month_label(month),
            totals,
        }
    }
}

impl UserExport {
    /// Sorts the parts so both backends produce the same document, and renders it.
    pub fn into_json(mut self) -> StoreResult<serde_json::Value> {
        self.conversations.sort_by(|a, b| {
            (a.place.as_str(), a.personality.as_str())
                .cmp(&(b.place.as_str(), b.personality.as_str()))
        });
        self.usage.days.sort_by_key(|d| d.day);
        self.usage.months.sort_by(|a, b| a.month.cmp(&b.month));
        self.usage.records.sort_by_key(|r| r.at_ms);
        self.notes.sort_by_key(|n| n.at_ms);
        serde_json::to_value(&self)
            .map_err(|e| StoreError::Corrupt(format!("export could not be rendered: {e}")))
    }
}
