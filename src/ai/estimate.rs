//! Token estimates for providers that report no usage (some local servers), and the cost of a
//! usage from a model's price table. Quotas count tokens and dollars, so an answer without usage
//! must still be charged something close to what it cost.

use crate::ai::{ChatRequest, Usage};
use crate::config::ModelPrice;

/// Characters per token in the estimate (a common rule of thumb for English text).
const CHARS_PER_TOKEN: u64 = 4;

/// Tokens for `text`: about one per four characters, rounded up.
pub fn tokens_for(text: &str) -> u64 {
    let chars = text.chars().count() as u64;
    chars.div_ceil(CHARS_PER_TOKEN)
}

/// Estimated usage of `req` answered with `output_chars` characters: input is the system prompt,
/// every message and `extra_input_chars` more (a tool round); marked `estimated`.
pub fn estimate_usage(req: &ChatRequest, extra_input_chars: u64, output_chars: u64) -> Usage {
    let input_chars = req.system.chars().count() as u64
        + req
            .messages
            .iter()
            .map(|m| m.content.chars().count() as u64)
            .sum::<u64>()
        + extra_input_chars;
    Usage {
        input_tokens: input_chars.div_ceil(CHARS_PER_TOKEN),
        output_tokens: output_chars.div_ceil(CHARS_PER_TOKEN),
        estimated: true,
    }
}

/// USD for `usage` at `price` (per million tokens).
pub fn cost_of(price: &ModelPrice, usage: &Usage) -> f64 {
    (usage.input_tokens as f64 * price.input_per_million
        + usage.output_tokens as f64 * price.output_per_million)
        / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::{ChatMessage, Role};

    fn request(system: &str, messages: &[&str]) -> ChatRequest {
        ChatRequest {
            provider: "p".into(),
            model: "m".into(),
            system: system.into(),
            messages: messages
                .iter()
                .map(|c| ChatMessage {
                    role: Role::User,
                    content: (*c).into(),
                })
                .collect(),
            max_tokens: None,
            user: "u".into(),
            offer_notes: false,
        }
    }

    #[test]
    fn rounds_up_per_four_characters() {
        assert_eq!(tokens_for(""), 0);
        assert_eq!(tokens_for("a"), 1);
        assert_eq!(tokens_for("abcd"), 1);
        assert_eq!(tokens_for("abcde"), 2);
    }

    #[test]
    fn counts_characters_not_bytes() {
        // Four characters, twelve bytes in UTF-8.
        assert_eq!(tokens_for("日本語だ"), 1);
        assert_eq!(tokens_for("🦀🦀🦀🦀🦀"), 2);
    }

    #[test]
    fn input_covers_system_and_all_messages() {
        // 6 + 3 + 3 = 12 characters: 3 tokens; a 9-character answer: 3 tokens.
        let usage = estimate_usage(&request("system", &["abc", "def"]), 0, 9);
        assert_eq!(
            usage,
            Usage {
                input_tokens: 3,
                output_tokens: 3,
                estimated: true
            }
        );
    }

    #[test]
    fn cost_uses_prices_per_million() {
        let price = ModelPrice {
            input_per_million: 2.0,
            output_per_million: 10.0,
        };
        let usage = Usage {
            input_tokens: 500_000,
            output_tokens: 100_000,
            estimated: false,
        };
        assert!((cost_of(&price, &usage) - 2.0).abs() < 1e-9);
        assert_eq!(cost_of(&ModelPrice::default(), &usage), 0.0);
    }

    #[test]
    fn extra_input_from_a_tool_round_counts() {
        // 6 + 3 characters and 7 more: 16, 4 tokens; 5 output characters: 2 tokens.
        let usage = estimate_usage(&request("system", &["abc"]), 7, 5);
        assert_eq!((usage.input_tokens, usage.output_tokens), (4, 2));
        assert!(usage.estimated);
    }
}
