//! The Store conformance suite: every case runs against `SqliteStore` (in a temp dir) and
//! `RedisStore` (in a fresh namespace) and must give the same answers. Redis cases read
//! `REDIS_URL` (default `redis://127.0.0.1:6379`); they skip with a message when Redis is
//! unreachable, except under `CI=true`, where they fail. `sqlite_only` holds what only the
//! embedded backend has: the queue journal and reopening a file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod cases_cache;
mod cases_channels;
mod cases_conversations;
mod cases_heartbeats;
mod cases_notes;
mod cases_outcomes;
mod cases_privacy;
mod cases_records;
mod cases_usage;
mod cases_users;
mod sqlite_only;

/// Instantiates each named case once per backend.
macro_rules! conformance {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::$module::$name(crate::support::Backend::sqlite().await).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(b) = crate::support::Backend::redis(stringify!($name)).await {
                        crate::$module::$name(b).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    cases_users::first_sight_registers_and_later_sightings_keep_status_and_first_seen,
    cases_users::set_status_changes_known_users_only,
    cases_users::users_filter_by_tenant_and_search_most_recent_first,
    cases_users::settings_set_get_remove_and_list,
    cases_conversations::history_is_bounded_oldest_first_with_increasing_seq,
    cases_conversations::answered_through_only_moves_forward,
    cases_conversations::clearing_empties_history_but_seq_keeps_growing,
    cases_conversations::a_redelivered_message_is_recorded_once,
    cases_conversations::one_users_data_never_shows_in_anothers,
    cases_conversations::concurrent_appends_keep_seq_unique_and_the_bound,
    cases_conversations::odd_unicode_and_large_messages_round_trip,
    cases_conversations::bad_input_is_refused,
    cases_usage::aggregates_per_day_and_month_for_user_and_tenant,
    cases_usage::usage_by_user_orders_by_cost_and_filters_by_tenant,
    cases_usage::concurrent_records_all_count,
    cases_usage::bad_usage_is_refused,
    cases_outcomes::outcomes_save_mark_sent_and_prune,
    cases_privacy::export_holds_record_settings_conversations_and_usage,
    cases_privacy::forget_user_leaves_nothing_and_spares_others,
    cases_notes::notes_add_list_and_clear_in_order,
    cases_notes::notes_are_bounded_dropping_the_oldest,
    cases_notes::bad_notes_are_refused,
    cases_heartbeats::schedules_set_read_and_delete,
    cases_heartbeats::only_enabled_due_schedules_are_claimed_earliest_first,
    cases_heartbeats::concurrent_claimers_never_share_a_schedule,
    cases_cache::cache_values_expire_and_overwrite,
    cases_cache::once_marks_are_won_exactly_once,
    cases_records::records_list_by_scope_and_range_newest_first,
    cases_records::pruning_records_keeps_the_aggregates,
    cases_channels::channel_personalities_set_replace_and_clear,
);
