//! One behaviour per test, each on its own fake Discord, fake AI and store.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard::sim::ai_server::FakeAiConfig;
use switchboard::sim::discord_api::{Forbid, SlashCommand, UserMessage};

use crate::support::{
    ALICE, BOB, CH, CH2, CH3, Dc, GUILD, MODERATOR, OTHER_BOT, OWNER, Opts, THREAD, addressed_to,
    start,
};

/// Executes of webhooks that Discord answered with `code`.
fn failed_executes(dc: &Dc, code: u64) -> usize {
    dc.fake
        .requests()
        .iter()
        .filter(|c| c.path.starts_with("/api/v10/webhooks/") && c.code == Some(code))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_reply_chains_and_activated_channels_are_answered_through_webhooks() {
    let dc = start(Opts::default()).await;
    dc.say(CH, ALICE, "@Aria hello there");
    let first = dc.posted(1, 10).await[0].clone();
    assert_eq!(first.channel_id, CH);
    assert!(
        first.webhook_id.is_some(),
        "a personality speaks through a webhook"
    );
    assert_eq!(first.username, "Aria");
    assert_eq!(
        first.avatar_url.as_deref(),
        Some("https://example.com/avatars/aria.png")
    );
    assert_eq!(
        first.allowed_mentions,
        Some(json!({"parse": [], "users": [ALICE.to_string()], "replied_user": false}))
    );
    let seen = dc.ai.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].user, format!("discord:{ALICE}"));
    assert!(
        dc.fake.typing().iter().any(|(c, _)| *c == CH),
        "typing is shown while the reply is made"
    );

    // Replying to Aria's message talks to Aria again, without naming her.
    dc.reply(CH, BOB, first.id, "tell me more");
    let second = dc.posted(2, 10).await[1].clone();
    assert_eq!(second.username, "Aria");
    assert_eq!(addressed_to(&second), Some(BOB));

    // Not addressed: nothing.
    dc.say(CH, ALICE, "just chatting with friends");
    // A member may not activate; a moderator may.
    dc.say(CH2, ALICE, "/activate Nova");
    let refusal = dc.posted(3, 10).await[2].clone();
    assert!(refusal.webhook_id.is_none());
    assert!(
        refusal.content.contains("moderators"),
        "{}",
        refusal.content
    );
    dc.say(CH2, MODERATOR, "/activate Nova");
    let ok = dc.posted(4, 10).await[3].clone();
    assert!(ok.content.contains("Nova"), "{}", ok.content);
    dc.say(CH2, BOB, "what happens next?");
    let nova = dc.posted(5, 10).await[4].clone();
    assert_eq!((nova.channel_id, nova.username.as_str()), (CH2, "Nova"));
    assert!(nova.webhook_id.is_some());
    // In the first channel nothing was activated: the chatter stayed unanswered.
    assert_eq!(dc.in_channel(CH).len(), 2);
    assert_eq!(dc.ai.requests().len(), 3);
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_are_answered_by_the_bot_itself() {
    let dc = start(Opts::default()).await;
    dc.dm(ALICE, "hello, anyone there?");
    let p = dc.posted(1, 10).await[0].clone();
    assert_eq!(p.channel_id, dc.fake.dm_channel(ALICE));
    assert_eq!(p.webhook_id, None, "no webhooks in direct messages");
    assert_eq!(p.author_id, dc.fake.bot_user_id());
    assert_eq!(p.allowed_mentions.as_ref().unwrap()["parse"], json!([]));
    assert_eq!(dc.ai.requests()[0].user, format!("discord:{ALICE}"));
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_own_webhooks_and_replays_get_no_reply() {
    let dc = start(Opts::default()).await;
    dc.say(CH, OTHER_BOT, "@Aria are you a bot too?");
    let asked = dc.say(CH, ALICE, "@Aria hi");
    let p = dc.posted(1, 10).await;
    assert_eq!(addressed_to(&p[0]), Some(ALICE));
    // The reply's own echo came back through the gateway; Discord redelivers Alice's message.
    dc.fake.replay(asked);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(dc.fake.messages().len(), 1, "{:?}", dc.fake.messages());
    assert_eq!(dc.ai.requests().len(), 1);
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_webhook_is_recreated_and_the_reply_delivered_after_one_failure() {
    let dc = start(Opts::default()).await;
    dc.say(CH, ALICE, "@Aria first");
    let first = dc.posted(1, 10).await[0].clone();
    let gone = first.webhook_id.unwrap();
    dc.fake.delete_webhook(gone);
    dc.say(CH, ALICE, "@Aria second");
    let second = dc.posted(2, 10).await[1].clone();
    assert_eq!(second.username, "Aria");
    assert_ne!(second.webhook_id, Some(gone));
    assert_eq!(failed_executes(&dc, 10015), 1, "exactly one failed attempt");
    let hooks = dc.fake.webhooks(CH);
    assert!(hooks.iter().all(|h| h.id != gone));
    assert!(hooks.iter().any(|h| Some(h.id) == second.webhook_id));
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_webhook_does_not_hold_up_its_channel_or_others() {
    let dc = start(Opts::default()).await;
    dc.say(CH, ALICE, "@Aria warm up");
    let first = dc.posted(1, 10).await[0].clone();
    let busy = first.webhook_id.unwrap();
    dc.fake.rate_limit_webhook(busy, Duration::from_secs(5));
    let t0 = Instant::now();
    dc.say(CH, BOB, "@Aria still there?");
    dc.say(CH2, ALICE, "@Nova over here");
    let all = dc.posted(3, 10).await;
    let elapsed = t0.elapsed();
    assert!(
        elapsed < Duration::from_secs(3),
        "replies waited {elapsed:?} for a webhook blocked 5 s"
    );
    let in_ch = all
        .iter()
        .find(|p| p.channel_id == CH && addressed_to(p) == Some(BOB))
        .unwrap();
    assert_ne!(
        in_ch.webhook_id,
        Some(busy),
        "the pool's other webhook took it"
    );
    assert!(
        all.iter()
            .any(|p| p.channel_id == CH2 && p.username == "Nova")
    );
    assert!(
        dc.fake.webhooks(CH).len() <= 2,
        "never more than webhooks_per_channel"
    );
    let metrics = dc.metrics().await;
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(-1.0)
    };
    assert!(
        value("switchboard_webhook_rate_limited_total ") >= 1.0,
        "{metrics}"
    );
    assert_eq!(
        value("switchboard_webhook_pool_webhooks "),
        3.0,
        "{metrics}"
    );
    assert_eq!(
        value("switchboard_webhook_pool_channels "),
        2.0,
        "{metrics}"
    );
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ai_output_with_everyone_and_role_mentions_pings_nobody() {
    let dc = start(Opts {
        ai: FakeAiConfig {
            reply_prefix: Some("@everyone @here <@&3001> <@4002> look: ".into()),
            ..FakeAiConfig::default()
        },
        ..Opts::default()
    })
    .await;
    dc.say(CH, ALICE, "@Sage ping everyone please");
    let p = dc.posted(1, 10).await[0].clone();
    let allowed = p.allowed_mentions.clone().unwrap();
    assert_eq!(
        allowed["parse"],
        json!([]),
        "no @everyone, @here, roles or users parsed"
    );
    assert_eq!(
        allowed["users"],
        json!([ALICE.to_string()]),
        "only the user answered"
    );
    assert!(allowed.get("roles").is_none_or(|r| r == &json!([])));
    assert!(!p.content.contains("@everyone") && !p.content.contains("@here"));
    assert!(
        p.content.contains("<@&3001>"),
        "the text itself is kept: {}",
        p.content
    );
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_webhook_permission_the_bot_speaks_with_the_name_in_bold_and_tells_the_owner_once()
{
    let dc = start(Opts::default()).await;
    dc.fake.forbid(CH3, Forbid::ManageWebhooks);
    dc.say(CH3, ALICE, "@Aria hello");
    dc.say(CH3, BOB, "@Aria and me");
    dc.posted(3, 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let here = dc.in_channel(CH3);
    assert_eq!(here.len(), 2, "{here:?}");
    for p in &here {
        assert_eq!(p.webhook_id, None);
        assert!(p.content.starts_with("**Aria**\n"), "{}", p.content);
    }
    let owner_dm = dc.fake.dm_channel(OWNER);
    let told = dc.in_channel(owner_dm);
    assert_eq!(told.len(), 1, "the owner is told once: {told:?}");
    assert!(told[0].content.contains("Manage Webhooks"));
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_full_of_webhooks_falls_back_to_bot_messages() {
    let dc = start(Opts::default()).await;
    dc.fake.max_webhooks(CH2, 0);
    dc.say(CH2, ALICE, "@Nova tell a story");
    let p = dc.posted(1, 10).await[0].clone();
    assert_eq!(p.webhook_id, None);
    assert!(p.content.starts_with("**Nova**\n"), "{}", p.content);
    assert_eq!(failed_executes(&dc, 30007), 0);
    assert_eq!(
        dc.fake
            .requests()
            .iter()
            .filter(|c| c.code == Some(30007))
            .count(),
        1,
        "one creation refused, then no more attempts"
    );
    dc.say(CH2, ALICE, "@Nova again");
    dc.posted(2, 10).await;
    assert_eq!(
        dc.fake
            .requests()
            .iter()
            .filter(|c| c.code == Some(30007))
            .count(),
        1
    );
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_use_the_parent_channels_webhook() {
    let dc = start(Opts::default()).await;
    dc.say(THREAD, ALICE, "@Aria in a thread");
    let p = dc.posted(1, 10).await[0].clone();
    assert_eq!(p.thread_id, Some(THREAD));
    assert!(p.webhook_id.is_some());
    let hook = dc.fake.webhooks(CH);
    assert!(
        hook.iter().any(|h| Some(h.id) == p.webhook_id),
        "the parent's pool"
    );
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_commands_are_registered_and_private_answers_are_ephemeral() {
    let dc = start(Opts::default()).await;
    let cmd = |name: &str, text: Option<&str>| SlashCommand {
        guild: Some(GUILD),
        channel: CH,
        user: ALICE,
        roles: vec![],
        name: name.into(),
        options: text
            .map(|t| vec![("text".to_owned(), json!(t))])
            .unwrap_or_default(),
    };
    dc.fake
        .slash_command(cmd("note", Some("I like jasmine tea")));
    dc.fake
        .wait_for_interaction_responses(1, Duration::from_secs(10))
        .await
        .unwrap();
    dc.fake.slash_command(cmd("notes", None));
    let r = dc
        .fake
        .wait_for_interaction_responses(2, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        r[1].content.contains("I like jasmine tea"),
        "{}",
        r[1].content
    );
    assert_eq!(r[1].flags & 64, 64, "private answers are ephemeral");
    dc.fake.slash_command(cmd("help", None));
    let r = dc
        .fake
        .wait_for_interaction_responses(3, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(r[2].content.contains("/note"), "{}", r[2].content);
    // Nothing went to the channel itself.
    assert!(dc.in_channel(CH).is_empty());
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_huge_messages_never_stop_the_bot() {
    let dc = start(Opts::default()).await;
    let huge = "ß🦀\u{202E}".repeat(3000);
    dc.say(CH, ALICE, &format!("@Aria {huge}"));
    dc.fake.user_message(UserMessage {
        guild: Some(GUILD),
        channel: 999_999,
        author: ALICE,
        content: "@Aria in a channel the bot cannot see".into(),
        reply_to: None,
        roles: vec![],
        attachments: vec![],
    });
    dc.say(CH2, BOB, "@Sage still alive?");
    let all = dc.posted(2, 15).await;
    assert!(all.iter().any(|p| addressed_to(p) == Some(BOB)));
    assert!(all.iter().any(|p| addressed_to(p) == Some(ALICE)));
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bots_existing_webhooks_are_reused_and_a_deleted_channel_delays_no_other() {
    let dc = start(Opts::default()).await;
    // A webhook the bot made before (an earlier run): found, not made again.
    let made: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/api/v10/channels/{CH}/webhooks",
            dc.fake.base_url()
        ))
        .header("Authorization", format!("Bot {}", crate::support::TOKEN))
        .json(&json!({"name": "switchboard"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let existing: u64 = made["id"].as_str().unwrap().parse().unwrap();
    dc.fake.delete_channel(CH3);
    dc.say(CH3, ALICE, "@Aria are you there?");
    dc.say(CH, BOB, "@Aria hello");
    let p = dc.posted(1, 10).await[0].clone();
    assert_eq!(p.webhook_id, Some(existing));
    assert_eq!(addressed_to(&p), Some(BOB));
    let creations = dc
        .fake
        .requests()
        .iter()
        .filter(|c| c.method == "POST" && c.path.ends_with("/webhooks"))
        .count();
    assert_eq!(creations, 1, "only the test's own creation");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(dc.in_channel(CH3).is_empty());
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_messages_from_one_member_gets_one_answer_each() {
    // The gateway's events are handled concurrently; each message must still get its own job
    // and answer (none skipped as "already answered" by another's).
    let dc = start(Opts::default()).await;
    for i in 0..8 {
        dc.say(CH, ALICE, &format!("@Aria part {i}"));
    }
    dc.posted(8, 15).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dc.fake.messages().len(), 8);
    assert_eq!(dc.ai.requests().len(), 8);
    dc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_documents_are_read_and_other_files_get_a_clear_reply() {
    let dc = start(Opts::default()).await;
    let with = |content: &str, files: Vec<(String, Vec<u8>, String)>| UserMessage {
        guild: Some(GUILD),
        channel: CH,
        author: ALICE,
        content: content.into(),
        reply_to: None,
        roles: vec![],
        attachments: files,
    };
    dc.fake.user_message(with(
        "@Aria what do you think of my plan?",
        vec![(
            "plan.md".into(),
            "# Plan\n- water the ferns 🌿".as_bytes().to_vec(),
            "text/markdown".into(),
        )],
    ));
    let p = dc.posted(1, 10).await[0].clone();
    assert_eq!(p.username, "Aria");
    let conv = switchboard::store::ConversationKey {
        tenant: format!("discord:guild:{GUILD}"),
        place: CH.to_string(),
        user: format!("discord:{ALICE}"),
        personality: "Aria".into(),
    };
    let history = dc.svc.store.history(&conv, 10).await.unwrap();
    assert!(history[0].text.contains("what do you think of my plan?"));
    assert!(
        history[0].text.contains("water the ferns 🌿"),
        "{}",
        history[0].text
    );
    // A photo posted among members is none of the bot's business; one sent to it gets told.
    let png = || {
        vec![(
            "photo.png".to_owned(),
            vec![0x89, b'P', b'N', b'G'],
            "image/png".to_owned(),
        )]
    };
    dc.fake.user_message(with("", png()));
    let dm = dc.fake.dm_channel(ALICE);
    dc.fake.user_message(UserMessage {
        guild: None,
        channel: dm,
        ..with("", png())
    });
    let told = dc.posted(2, 10).await[1].clone();
    assert_eq!(told.channel_id, dm);
    assert!(told.webhook_id.is_none());
    assert!(told.content.contains(".txt"), "{}", told.content);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        dc.ai.requests().len(),
        1,
        "an image alone asks the AI nothing"
    );
    dc.stop().await;
}
