//! switchboard-platforms: the platform-independent event model, pure message splitting, and the
//! pure parts of the platform adapters (Discord message normalization, webhook names, mentions and
//! pools; Telegram update normalization, HTML rendering, pacing).
//! Nothing here does I/O, so these parts carry the heavy tests.

pub mod deliver;
pub mod discord;
pub mod event;
pub mod split;
pub mod telegram;

pub use deliver::{Deliver, Delivered, DeliveryError, PermanentKind};
pub use event::{
    Attachment, Author, Inbound, OutFile, Outbound, Persona, Place, Platform, ReplyRef, Scope,
    Target,
};
pub use split::{DISCORD_LIMIT, MIN_LIMIT, TELEGRAM_LIMIT, split, utf16_len};
