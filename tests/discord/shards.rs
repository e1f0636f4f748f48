//! Scale-out: two services on one Redis, each connecting one of two gateway shards. Discord
//! routes each server's events to one shard (DMs to shard 0), so every message is taken in by
//! exactly one process and answered exactly once.

use std::time::Duration;

use switchboard::sim::discord_api::{FakeGuild, UserMessage};

#[allow(dead_code)]
#[path = "../common/child.rs"]
mod child;

use crate::support::{ALICE, BOB, CH, GUILD, Opts, Role, addressed_to, instance, start};

/// A server on shard 1 of 2 (`(id >> 22) % 2 == 1`); [`GUILD`] is on shard 0.
const GUILD2: u64 = 19_403_645_699 << 22;
const CH_B: u64 = 2201;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_split_the_shards_and_answer_each_message_once() {
    let Some(url) = child::redis_url() else {
        return;
    };
    assert_eq!((GUILD >> 22) % 2, 0);
    assert_eq!((GUILD2 >> 22) % 2, 1);
    let ns = format!("dc-{:08x}", rand::random::<u32>());
    let opts = |shard: u32| Opts {
        redis: Some(ns.clone()),
        shards: (vec![shard], 2),
        ..Opts::default()
    };
    let mut dc = start(opts(0)).await;
    dc.fake.add_guild(FakeGuild {
        id: GUILD2,
        name: "Second".into(),
        owner_id: 1,
        roles: vec![],
        channels: vec![CH_B],
    });
    let second = instance(&dc, &opts(1), 2).await;
    dc.more.push(second);
    let shards: Vec<serde_json::Value> = dc
        .fake
        .identifies()
        .iter()
        .map(|i| i["shard"].clone())
        .collect();
    assert!(shards.contains(&serde_json::json!([0, 2])), "{shards:?}");
    assert!(shards.contains(&serde_json::json!([1, 2])), "{shards:?}");

    let mut expected = 0;
    for i in 0..5 {
        dc.say(CH, ALICE, &format!("@Aria one {i}"));
        dc.fake.user_message(UserMessage {
            guild: Some(GUILD2),
            channel: CH_B,
            author: BOB,
            content: format!("@Sage two {i}"),
            reply_to: None,
            roles: vec![],
            attachments: vec![],
        });
        expected += 2;
    }
    dc.dm(ALICE, "a direct message");
    expected += 1;
    dc.posted(expected, 20).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let posted = dc.fake.messages();
    assert_eq!(posted.len(), expected, "each message answered once");
    assert_eq!(
        dc.ai.requests().len(),
        expected,
        "each message taken in once"
    );
    assert_eq!(posted.iter().filter(|p| p.channel_id == CH_B).count(), 5);
    assert!(
        posted
            .iter()
            .filter(|p| p.channel_id == CH)
            .all(|p| addressed_to(p) == Some(ALICE))
    );
    dc.stop().await;
    child::clean_redis(&url, &ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingress_process_enqueues_and_a_worker_process_answers() {
    let Some(url) = child::redis_url() else {
        return;
    };
    let ns = format!("dc-{:08x}", rand::random::<u32>());
    let opts = |role: Role| Opts {
        redis: Some(ns.clone()),
        role,
        ..Opts::default()
    };
    let mut dc = start(opts(Role::Ingress)).await;
    for i in 0..3 {
        dc.say(CH, ALICE + i, "@Aria hello");
    }
    // Typed commands are still answered inline by the ingress process.
    dc.say(CH, BOB, "/help");
    dc.posted(1, 10).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        dc.fake.messages().len(),
        1,
        "no workers in an ingress process"
    );
    assert!(dc.ai.requests().is_empty());
    let worker = instance(&dc, &opts(Role::Worker), 1).await;
    dc.more.push(worker);
    let posted = dc.posted(4, 15).await;
    assert_eq!(dc.ai.requests().len(), 3);
    assert!(posted.iter().filter(|p| p.webhook_id.is_some()).count() == 3);
    assert_eq!(
        dc.fake.identifies().len(),
        1,
        "the worker never connects to the gateway"
    );
    dc.stop().await;
    child::clean_redis(&url, &ns);
}
