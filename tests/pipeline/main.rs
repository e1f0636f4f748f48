//! End-to-end tests of the pipeline: ingress, admission, the queue, workers with breakers, the AI
//! client against the in-process AI server, storage, delivery. Every case runs on the embedded mode
//! (SQLite) and on Redis (`REDIS_URL`; skipped with a message when unreachable, failing under
//! `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod cases;
mod commands;
mod heartbeats;
mod memory;
mod restart;
mod support;

macro_rules! both_modes {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::$module::$name(crate::support::Mode::Embedded).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if crate::support::redis_or_skip(stringify!($name)) {
                        crate::$module::$name(crate::support::Mode::Redis).await;
                    }
                }
            )*
        }
    };
}

both_modes!(
    cases::a_flood_does_not_delay_light_users,
    cases::failures_open_only_that_users_breaker,
    cases::quotas_refuse_clearly_and_enqueue_nothing,
    cases::a_full_backlog_refuses_more,
    cases::provider_rate_limits_delay_only_that_provider,
    cases::coalescing_answers_waiting_messages_once,
    cases::redelivered_messages_are_answered_once,
    cases::replies_carry_the_personality_and_users_are_registered,
    restart::a_restart_loses_no_accepted_job,
    access::access_rules_are_enforced_before_anything_is_queued,
    access::rate_limits_are_shared_and_match_the_reference,
    commands::every_command_answers_and_bad_arguments_are_explained,
    commands::nobody_reaches_anyone_elses_data,
    commands::forget_leaves_nothing_of_the_user_in_the_store,
    commands::registration_and_admin_commands,
    commands::moderators_activate_a_personality_for_a_channel,
    heartbeats::heartbeats_fire_on_schedule_in_active_hours_through_the_queue,
    heartbeats::a_silent_check_in_sends_nothing,
    heartbeats::heartbeats_survive_a_restart,
    memory::notes_reach_the_prompt_and_the_ai_saves_its_own,
    memory::identical_questions_are_answered_from_the_cache,
    memory::admins_hear_of_a_costly_day_once,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_two_schedulers_on_one_redis_never_double() {
    if support::redis_or_skip("two_schedulers_on_one_redis_never_double") {
        heartbeats::two_schedulers_on_one_redis_never_double().await;
    }
}
