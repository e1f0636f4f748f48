//! The Queue conformance suite: every case runs against `MemoryQueue` and `RedisQueue` and must
//! give the same answers. Redis cases read `REDIS_URL` (default `redis://127.0.0.1:6379`); they
//! skip with a message when Redis is unreachable, except under `CI=true`, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod cases_admin;
mod cases_concurrency;
mod cases_leases;
mod cases_order;
mod model;

/// Instantiates each named case once per backend.
macro_rules! conformance {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::$module::$name(crate::support::Backend::memory()).await;
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
    cases_order::one_user_is_fifo_and_flows_alternate,
    cases_order::weights_3_2_1_share_within_2_percent,
    cases_order::user_weights_and_weight_changes_apply_at_next_dispatch,
    cases_order::flood_then_burst_of_light_users_meets_the_bound,
    cases_order::light_users_trickling_in_behind_a_flood_meet_the_bound,
    cases_order::user_and_tenant_caps_park_flows_until_ack,
    cases_order::cost_correction_charges_heavy_jobs,
    cases_leases::lease_token_deadline_and_stale_acks,
    cases_leases::expired_leases_are_redelivered_with_a_new_token,
    cases_leases::extend_keeps_a_lease_alive,
    cases_leases::failures_back_off_then_dead_letter_and_requeue,
    cases_leases::a_retry_keeps_its_place_and_a_postponement_costs_no_attempt,
    cases_leases::enqueue_is_idempotent,
    cases_leases::delayed_jobs_wait_for_their_time,
    cases_leases::bad_input_is_refused,
    cases_admin::stats_count_per_tenant_and_user,
    cases_admin::cancel_drops_queued_jobs_only,
    cases_admin::maintenance_reclaims_releases_and_prunes,
    cases_admin::dead_letters_list_and_delete,
    cases_admin::user_backlog_counts_ready_and_held,
    cases_admin::position_counts_users_and_tenants_ahead,
    cases_concurrency::many_workers_lose_and_double_nothing,
    cases_concurrency::a_blocked_lease_wakes_on_enqueue,
    cases_concurrency::a_blocked_lease_wakes_when_a_parked_user_is_acked,
);
