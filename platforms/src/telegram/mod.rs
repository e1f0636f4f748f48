//! The pure parts of the Telegram adapter: reading Bot API updates into [`crate::Inbound`],
//! rendering AI replies in Telegram's HTML parse mode, and pacing sends to Telegram's rate
//! limits. No I/O here; the adapter in the main crate does the talking.

mod entities;
pub mod html;
pub mod normalize;
pub mod pacing;
pub mod update;

/// Shared with the Discord normalizer, which tidies the text the same way.
pub(crate) use entities::remove_spans;
pub use entities::{utf16_range, utf16_slice};
pub use html::render_html;
pub use normalize::{BadMessageRef, BotIdentity, IgnoreReason, MessageRef, Normalized, normalize};
pub use pacing::{Pacer, PacingLimits};
pub use update::{
    Chat, ChatKind, Document, Entity, Message, RepliedMessage, Update, UpdateError, User,
};
