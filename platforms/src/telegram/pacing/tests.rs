//! Tests of [`super::Pacer`] with a fake clock: each limit alone, their interplay, 429s, pruning,
//! and a property test that random traffic never breaks any limit.

use proptest::prelude::*;

use super::*;

fn telegram() -> Pacer {
    Pacer::new(PacingLimits::default())
}

/// The most of `times` in any window `[t, t + window)`.
fn densest(times: &[u64], window: u64) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|&&t| t < sorted[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn a_private_chat_gets_one_message_a_second() {
    let mut p = telegram();
    let times: Vec<u64> = (0..5).map(|_| p.reserve(42, false, 0)).collect();
    assert_eq!(times, [0, 1000, 2000, 3000, 4000]);
    // Once the chat is quiet, the next message goes at once.
    assert_eq!(p.reserve(42, false, 9000), 9000);
    // A message soon after waits out the interval.
    assert_eq!(p.reserve(42, false, 9500), 10_000);
}

#[test]
fn a_group_gets_at_most_twenty_a_minute() {
    let mut p = telegram();
    let times: Vec<u64> = (0..45).map(|_| p.reserve(-100, true, 0)).collect();
    let first: Vec<u64> = (0..20).map(|i| i * 1000).collect();
    assert_eq!(times[..20], first[..]);
    assert_eq!(times[20], 60_000);
    assert_eq!(times[21], 61_000);
    assert_eq!(times[40], 120_000);
    assert_eq!(densest(&times, MINUTE_MS), 20);
    for pair in times.windows(2) {
        assert!(pair[1] >= pair[0] + 1000);
    }
    // The same chat as a private chat (no group limit) would have gone every second.
    let mut p = telegram();
    let times: Vec<u64> = (0..45).map(|_| p.reserve(7, false, 0)).collect();
    assert_eq!(times[44], 44_000);
}

#[test]
fn many_chats_at_once_spread_to_thirty_a_second() {
    let mut p = telegram();
    let times: Vec<u64> = (0..100).map(|chat| p.reserve(chat, false, 0)).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]));
    assert!(times[29] < 1000 && times[30] >= 1000);
    assert_eq!(times[30], 1000);
    assert_eq!(times[99], 3300);
    assert_eq!(densest(&times, 1000), 30);
}

#[test]
fn a_429_delays_only_its_chat() {
    let mut p = telegram();
    assert_eq!(p.reserve(1, false, 0), 0);
    assert_eq!(p.reserve(2, false, 0), 34);
    p.retry_after(1, 100, 5);
    assert_eq!(p.reserve(1, false, 100), 5100);
    assert_eq!(p.reserve(2, false, 100), 1034);
    assert_eq!(p.reserve(3, false, 100), 100);
    // A shorter retry-after never shortens a longer block.
    p.retry_after(1, 200, 1);
    assert_eq!(p.reserve(1, false, 200), 6100);
}

#[test]
fn a_blocked_chat_leaves_earlier_slots_to_others() {
    let mut p = Pacer::new(PacingLimits {
        per_chat_interval_ms: 0,
        group_per_minute: 0,
        global_per_second: 1,
    });
    p.retry_after(1, 0, 10);
    assert_eq!(p.reserve(1, false, 0), 10_000);
    assert_eq!(p.reserve(2, false, 0), 0);
    assert_eq!(p.reserve(3, false, 0), 1000);
    // Slot 10 is taken by chat 1.
    assert_eq!(p.reserve(4, false, 9500), 11_000);
}

#[test]
fn zero_limits_are_no_limits() {
    let mut p = Pacer::new(PacingLimits {
        per_chat_interval_ms: 0,
        group_per_minute: 0,
        global_per_second: 0,
    });
    for chat in 0..50 {
        assert_eq!(p.reserve(chat % 3, true, 7), 7);
    }
}

#[test]
fn pruning_forgets_only_idle_chats() {
    let mut p = telegram();
    assert_eq!(p.reserve(-2, true, 0), 0);
    assert_eq!(p.reserve(1, false, 0), 34);
    p.retry_after(3, 0, 120);
    p.prune(5000);
    // The group's minute and the block are still running.
    assert_eq!(p.tracked_chats(), 2);
    p.prune(60_000);
    assert_eq!(p.tracked_chats(), 1);
    p.prune(120_000);
    assert_eq!(p.tracked_chats(), 0);
    assert!(p.slots.is_empty());
}

#[test]
fn huge_times_do_not_overflow() {
    let mut p = telegram();
    let far = u64::MAX - 10;
    let a = p.reserve(1, true, far);
    let b = p.reserve(1, true, far);
    assert!(a >= far && b >= a);
    p.retry_after(1, far, u64::MAX);
    assert_eq!(p.reserve(1, false, far), u64::MAX);
    p.prune(u64::MAX);
}

/// One step of random traffic: a send to a chat or a 429, after some time passes.
#[derive(Clone, Debug)]
enum Step {
    Send { chat: i64, advance: u64 },
    Limited { chat: i64, advance: u64, secs: u64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        10 => (-4..6i64, 0..1500u64).prop_map(|(chat, advance)| Step::Send { chat, advance }),
        1 => (-4..6i64, 0..500u64, 1..20u64)
            .prop_map(|(chat, advance, secs)| Step::Limited { chat, advance, secs }),
    ]
}

proptest! {
    #[test]
    fn random_traffic_keeps_every_limit(steps in prop::collection::vec(step(), 1..300)) {
        let limits = PacingLimits { global_per_second: 4, ..PacingLimits::default() };
        let (mut p, mut pruned) = (Pacer::new(limits), Pacer::new(limits));
        let mut now = 0;
        let mut all = Vec::new();
        let mut per_chat: HashMap<i64, Vec<u64>> = HashMap::new();
        let mut blocked: HashMap<i64, u64> = HashMap::new();
        for step in steps {
            match step {
                Step::Send { chat, advance } => {
                    now += advance;
                    pruned.prune(now);
                    // Negative ids are groups, as on Telegram.
                    let at = p.reserve(chat, chat < 0, now);
                    prop_assert_eq!(pruned.reserve(chat, chat < 0, now), at);
                    prop_assert!(at >= now);
                    prop_assert!(at >= blocked.get(&chat).copied().unwrap_or(0));
                    all.push(at);
                    per_chat.entry(chat).or_default().push(at);
                }
                Step::Limited { chat, advance, secs } => {
                    now += advance;
                    p.retry_after(chat, now, secs);
                    pruned.retry_after(chat, now, secs);
                    let until = blocked.entry(chat).or_default();
                    *until = (*until).max(now + secs * 1000);
                }
            }
        }
        prop_assert!(densest(&all, 1000) <= 4);
        for (chat, times) in &per_chat {
            prop_assert!(times.windows(2).all(|w| w[1] >= w[0] + 1000));
            if *chat < 0 {
                prop_assert!(densest(times, MINUTE_MS) <= 20);
            }
        }
    }
}
