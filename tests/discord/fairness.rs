//! Fairness through Discord (coalescing off): one member sends 200 messages, 20 other members one
//! each after it; every other member's reply arrives before the flooder's 30th.

use std::collections::HashSet;
use std::time::Duration;

use switchboard::sim::ai_server::FakeAiConfig;

use crate::support::{CH, CH2, Opts, addressed_to, start};

const FLOODER: u64 = 7000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_member_never_delays_the_others() {
    let dc = start(Opts {
        ai: FakeAiConfig {
            latency: Duration::from_millis(20),
            reply_words: 5,
            ..FakeAiConfig::default()
        },
        ..Opts::default()
    })
    .await;
    for i in 0..200 {
        dc.say(CH, FLOODER, &format!("@Aria message {i}"));
    }
    // The flood is under way before anyone else writes.
    dc.posted(2, 20).await;
    let others: Vec<u64> = (0..20).map(|i| 8000 + i).collect();
    for (i, u) in others.iter().enumerate() {
        // Half in the flooded channel, half next door.
        let channel = if i % 2 == 0 { CH } else { CH2 };
        dc.say(channel, *u, "@Aria hello");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let posted = dc.fake.messages();
        let to: Vec<Option<u64>> = posted.iter().map(addressed_to).collect();
        let answered: HashSet<u64> = to
            .iter()
            .flatten()
            .copied()
            .filter(|u| *u != FLOODER)
            .collect();
        let flood = to.iter().filter(|u| **u == Some(FLOODER)).count();
        assert!(
            flood < 30,
            "the flooder reached 30 replies while {} of 20 others were answered",
            answered.len()
        );
        if answered.len() == others.len() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    dc.stop().await;
}
