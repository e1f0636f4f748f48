//! Nothing secret or private reaches the logs: a Discord run through mentions, replies, a direct
//! message, slash commands with private notes, webhook faults (10015, 429, missing permission)
//! and a refusal, with every log line captured at debug level for switchboard (info for
//! libraries, as `RUST_LOG` defaults), is searched for the members' words, the AI's answers,
//! the bot token, the AI key, and webhook and interaction tokens. One test in its own binary:
//! it installs the process's log subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The Discord harness; this test uses only part of it.
#[allow(dead_code)]
#[path = "discord/support.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use switchboard::sim::discord_api::{Forbid, SlashCommand};

use support::{ALICE, API_KEY, BOB, CH, CH2, CH3, GUILD, Opts, TOKEN, start};

/// Collects everything written to the log.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_message_text_tokens_or_keys() {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info,switchboard=debug")
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();
    let dc = start(Opts::default()).await;
    let words = [
        "ZEBRAPASSWORD hunter2",
        "my diary QUOKKASECRET entry",
        "PANGOLINNOTE private",
        "DM WOMBATWORDS hello",
    ];
    dc.say(CH, ALICE, &format!("@Aria {}", words[0]));
    let first = dc.posted(1, 10).await[0].clone();
    dc.reply(CH, BOB, first.id, words[1]);
    dc.posted(2, 10).await;
    dc.fake.delete_webhook(first.webhook_id.unwrap());
    dc.say(CH, ALICE, &format!("@Aria {}", words[0]));
    dc.posted(3, 10).await;
    dc.fake.forbid(CH3, Forbid::ManageWebhooks);
    dc.say(CH3, BOB, &format!("@Sage {}", words[1]));
    dc.posted(5, 10).await;
    dc.fake.slash_command(SlashCommand {
        guild: Some(GUILD),
        channel: CH2,
        user: ALICE,
        roles: vec![],
        name: "note".into(),
        options: vec![("text".into(), json!(words[2]))],
    });
    dc.fake
        .wait_for_interaction_responses(1, Duration::from_secs(10))
        .await
        .unwrap();
    dc.dm(BOB, words[3]);
    dc.posted(6, 10).await;
    dc.say(CH, ALICE, &format!("/frobnicate {}", words[2]));
    dc.posted(7, 10).await;
    let answers: Vec<String> = dc
        .fake
        .messages()
        .iter()
        .map(|p| p.content.clone())
        .collect();
    let webhooks: Vec<String> = dc.fake.webhooks(CH).into_iter().map(|w| w.token).collect();
    dc.stop().await;

    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(log.lines().count() > 10, "the run logged: {log}");
    let mut secrets: Vec<String> = vec![TOKEN.into(), API_KEY.into()];
    secrets.extend(
        words
            .iter()
            .flat_map(|w| w.split(' ').filter(|p| p.len() > 6).map(str::to_owned)),
    );
    secrets.extend(webhooks);
    secrets.push("itoken-".into());
    secrets.push("whtoken-".into());
    // The AI's answers: whole answers, which are sentences of several words.
    secrets.extend(answers.into_iter().filter(|a| a.len() > 20));
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "the log holds {s:?}:\n{log}");
    }
}
