//! What the fake AI server says: deterministic answer text, reproducible fault dice, and the
//! JSON bodies of both APIs (answers and errors) in the shapes the real services use.

use serde_json::{Value, json};

/// Words answers are made of.
const VOCABULARY: [&str; 32] = [
    "amber", "breeze", "candle", "delta", "ember", "fable", "garden", "harbor", "island", "jasper",
    "kettle", "lantern", "meadow", "nectar", "orbit", "pebble", "quartz", "river", "saffron",
    "timber", "umbra", "velvet", "willow", "xenon", "yonder", "zephyr", "acorn", "bramble",
    "cobalt", "dune", "echo", "fjord",
];

/// The answer to a conversation whose last user message is `last_user`, for the `n`th request
/// (0-based) its user sent: `words` words, the same every time for the same inputs.
pub fn reply_text(last_user: &str, n: u64, words: usize) -> String {
    let base = fnv1a(last_user.as_bytes()) ^ splitmix64(n);
    let mut text = String::with_capacity(words * 8);
    for i in 0..words as u64 {
        if i > 0 {
            text.push(' ');
        }
        let pick = splitmix64(base.wrapping_add(i)) % VOCABULARY.len() as u64;
        text.push_str(VOCABULARY[pick as usize]);
    }
    text
}

/// Reproducible dice for one request: the same seed, user and per-user request number always
/// roll the same values, however requests of different users interleave.
pub(super) struct Dice(u64);

impl Dice {
    pub(super) fn new(seed: u64, user: &str, n: u64) -> Self {
        Self(seed ^ fnv1a(user.as_bytes()) ^ splitmix64(n.wrapping_add(0x5eed)))
    }

    /// A uniform value in `[0, 1)`.
    pub(super) fn roll(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        (splitmix64(self.0) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Token counts reported in an answer (`None`: leave usage out).
pub(super) type ReportedUsage = Option<(u64, u64)>;

/// A chat completion answer.
pub(super) fn openai_answer(id: u64, model: &str, text: &str, usage: ReportedUsage) -> Value {
    let mut body = json!({
        "id": format!("chatcmpl-fake-{id}"),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
        }],
    });
    if let Some((input, output)) = usage {
        body["usage"] = json!({
            "prompt_tokens": input,
            "completion_tokens": output,
            "total_tokens": input + output,
        });
    }
    body
}

/// A messages answer.
pub(super) fn anthropic_answer(id: u64, model: &str, text: &str, usage: ReportedUsage) -> Value {
    let mut body = json!({
        "id": format!("msg_fake_{id}"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
    });
    if let Some((input, output)) = usage {
        body["usage"] = json!({"input_tokens": input, "output_tokens": output});
    }
    body
}

/// An OpenAI-style error body.
pub(super) fn openai_error(status: u16, message: &str) -> Value {
    json!({"error": {"message": message, "type": error_type(status), "code": null}})
}

/// An Anthropic-style error body.
pub(super) fn anthropic_error(status: u16, message: &str) -> Value {
    json!({"type": "error", "error": {"type": error_type(status), "message": message}})
}

/// The error type the real services use for a status.
fn error_type(status: u16) -> &'static str {
    match status {
        400 | 413 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_deterministic_and_vary_with_input_and_counter() {
        let a = reply_text("hello there", 0, 12);
        assert_eq!(a, reply_text("hello there", 0, 12));
        assert_eq!(a.split(' ').count(), 12);
        assert_ne!(a, reply_text("hello there", 1, 12));
        assert_ne!(a, reply_text("hello, there", 0, 12));
        assert_eq!(reply_text("x", 3, 0), "");
    }

    #[test]
    fn dice_are_reproducible_and_roughly_uniform() {
        let rolls = |seed| {
            let mut d = Dice::new(seed, "telegram:1", 4);
            (0..3).map(|_| d.roll()).collect::<Vec<_>>()
        };
        assert_eq!(rolls(7), rolls(7));
        assert_ne!(rolls(7), rolls(8));
        let below: usize = (0..10_000)
            .filter(|n| Dice::new(1, "u", *n).roll() < 0.3)
            .count();
        assert!((2_700..3_300).contains(&below), "{below}");
    }

    #[test]
    fn usage_is_left_out_when_not_reported() {
        assert!(openai_answer(1, "m", "t", None).get("usage").is_none());
        let body = anthropic_answer(1, "m", "t", Some((3, 4)));
        assert_eq!(body["usage"]["output_tokens"], 4);
        assert_eq!(
            anthropic_error(429, "x")["error"]["type"],
            "rate_limit_error"
        );
    }
}
