//! The delivery side alone (`TelegramDeliver` against the fake Bot API): long replies with code
//! split within the limit with fences intact, personality names once a chat hears two, the
//! export file as a document, and the typing action.

use std::time::Duration;

use switchboard::sim::telegram_api::{FakeTelegram, FakeTelegramConfig};
use switchboard::telegram::TelegramDeliver;
use switchboard_platforms::{
    Deliver, OutFile, Outbound, Persona, Place, Platform, Target, utf16_len,
};

use crate::support::TOKEN;

async fn deliverer() -> (FakeTelegram, TelegramDeliver) {
    let fake = FakeTelegram::start(FakeTelegramConfig::default())
        .await
        .unwrap();
    let bot = teloxide::Bot::with_client(TOKEN, reqwest::Client::new())
        .set_api_url(url::Url::parse(&fake.base_url()).unwrap());
    (fake, TelegramDeliver::new(bot))
}

fn out(chat: &str, persona: Option<&str>, text: &str, job: &str) -> Outbound {
    Outbound {
        target: Target {
            platform: Platform::Telegram,
            bot: "tg".into(),
            place: Place {
                channel_id: chat.into(),
                thread_id: None,
                is_dm: !chat.starts_with('-'),
            },
        },
        persona: persona.map(|n| Persona {
            name: n.into(),
            avatar_url: None,
        }),
        text: text.into(),
        reply_to: None,
        job_id: job.into(),
        mention_user: None,
        private: false,
        file: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10000_character_reply_with_code_arrives_in_3_parts_with_fences_intact() {
    let (fake, d) = deliverer().await;
    let mut text = String::new();
    let mut block = 0;
    while text.chars().count() < 9_800 {
        text.push_str(&format!(
            "Step {block}: here is how you do it, with **care** and <angle> & ampersands.\n\n```rust\nfn step_{block}() {{\n    let x = {block} * 2; // compute\n    println!(\"{{x}}\");\n}}\n```\n\n"
        ));
        block += 1;
    }
    while text.chars().count() < 10_000 {
        text.push('…');
    }
    let done = d
        .deliver(&out("42", Some("Sage"), &text, "job-long"))
        .await
        .unwrap();
    assert_eq!(done.message_ids.len(), 3);
    let sent = fake.sent();
    assert_eq!(sent.len(), 3);
    for s in &sent {
        // The fake checks the HTML like Telegram does; what it shows is within the limit.
        assert_eq!(s.parse_mode.as_deref(), Some("HTML"));
        let body = s.body();
        assert_eq!(
            body.matches("<pre>").count(),
            body.matches("</pre>").count(),
            "a code block is cut open"
        );
        assert!(utf16_len(&visible(body)) <= 4096, "part too long");
    }
}

/// The text Telegram shows for an HTML message: tags removed, entities decoded.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_show_once_a_chat_hears_two_personalities_and_files_go_as_documents() {
    let (fake, d) = deliverer().await;
    d.deliver(&out("-100555", Some("Sage"), "first", "j1"))
        .await
        .unwrap();
    d.deliver(&out("-100555", Some("Sage"), "second", "j2"))
        .await
        .unwrap();
    d.deliver(&out("-100555", Some("Aria"), "third", "j3"))
        .await
        .unwrap();
    d.deliver(&out("-100555", Some("Sage"), "fourth", "j4"))
        .await
        .unwrap();
    let bodies: Vec<String> = fake.sent().iter().map(|s| s.body().to_owned()).collect();
    assert_eq!(bodies[0], "first");
    assert_eq!(bodies[1], "second");
    assert!(bodies[2].starts_with("<b>Aria:</b>"), "{}", bodies[2]);
    assert!(bodies[3].starts_with("<b>Sage:</b>"), "{}", bodies[3]);

    let mut export = out("42", None, "Here is everything I keep about you.", "j5");
    export.file = Some(OutFile {
        name: "switchboard-export.json".into(),
        mime: "application/json".into(),
        bytes: br#"{"user":null}"#.to_vec(),
    });
    let done = d.deliver(&export).await.unwrap();
    assert_eq!(done.message_ids.len(), 2);
    let doc = fake.sent().pop().unwrap();
    let file = doc.document.expect("a document");
    assert_eq!(file.file_name, "switchboard-export.json");
    assert_eq!(&file.bytes[..], br#"{"user":null}"#);

    d.typing(&export.target).await.unwrap();
    assert_eq!(fake.chat_counters(42).chat_actions, 1);
    assert_eq!(d.typing_every(), Duration::from_millis(4500));
}
