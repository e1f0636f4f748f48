//! What makes a personality personal, end to end: the user's notes reach every prompt, the AI can
//! save notes itself through its tool, identical questions are answered from the response cache,
//! and admins hear once a day when a tenant's cost passes its alert.

use std::time::Duration;

use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};

use crate::commands::{ask, chat, has};
use crate::support::{Mode, Place, config, start};

pub async fn notes_reach_the_prompt_and_the_ai_saves_its_own(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let h = start(config(&fake, &place)).await;

    ask(&h, "acme", "ann", "/note I'm vegetarian 🥕").await;
    chat(&h, "acme", "ann", "what should I cook tonight?").await;
    let seen = fake.requests();
    let last = seen.last().unwrap();
    assert!(
        last.system_prompt.contains("- I'm vegetarian 🥕"),
        "{}",
        last.system_prompt
    );
    assert!(last.tools.is_some(), "the save_note tool is offered");

    // The AI saves a note through its tool; the user sees it in /notes and in later prompts.
    chat(
        &h,
        "acme",
        "ann",
        "Please remember that my cat is called Léon.",
    )
    .await;
    has(
        &ask(&h, "acme", "ann", "/notes").await,
        "2. my cat is called Léon",
    );
    let answer = h.platform.to_user("ann");
    let reply = answer.iter().rev().find(|o| o.persona.is_some()).unwrap();
    has(&reply.text, "Noted: my cat is called Léon");
    chat(&h, "acme", "ann", "how are you?").await;
    let last = fake.requests().pop().unwrap();
    assert!(last.system_prompt.contains("- my cat is called Léon"));

    // Nobody else's prompt carries ann's notes.
    chat(&h, "acme", "bob", "what should I cook tonight?").await;
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.user, "sim:bob");
    assert!(!last.system_prompt.contains("vegetarian"));
    h.rt.shutdown().await;
}

pub async fn identical_questions_are_answered_from_the_cache(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    for p in cfg.personalities.all.values_mut() {
        p.cache_ttl = Some(Duration::from_secs(600));
    }
    let h = start(cfg.clone()).await;
    chat(&h, "acme", "ann", "What is the capital of France?").await;
    chat(&h, "acme", "bob", "  What is the capital   of France?\n").await;
    assert_eq!(
        fake.request_count(),
        1,
        "the second answer came from the cache"
    );
    let text = |u: &str| h.platform.to_user(u).last().unwrap().text.clone();
    assert_eq!(text("ann"), text("bob"));
    // Another question, or another tenant, asks the AI.
    chat(&h, "acme", "cy", "What is the capital of Spain?").await;
    chat(&h, "other", "dee", "What is the capital of France?").await;
    assert_eq!(fake.request_count(), 3);
    h.rt.shutdown().await;

    // The store keeps the cache for other processes (and restarts).
    let h = start(cfg).await;
    chat(&h, "acme", "eve", "What is the capital of France?").await;
    assert_eq!(fake.request_count(), 3);
    h.rt.shutdown().await;
}

pub async fn admins_hear_of_a_costly_day_once(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.admins.insert("sim:boss".into());
    cfg.tenants.named.get_mut("acme").unwrap().cost_alert_usd = Some(0.000_001);
    let h = start(cfg).await;
    chat(&h, "other", "ann", "hello").await;
    assert!(h.platform.to_user("@boss").is_empty(), "other has no alert");
    for i in 0..3 {
        chat(&h, "acme", "bob", &format!("message {i}")).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let alerts = h.platform.to_user("@boss");
    assert_eq!(alerts.len(), 1, "once a day");
    has(&alerts[0].text, "Cost alert: tenant acme");
    assert!(alerts[0].private);
    h.rt.shutdown().await;
}
