//! switchboard-platforms: the platform-independent event model, pure message splitting, and (in
//! later modules) the Discord and Telegram adapters. The pure parts have no I/O so they carry the
//! heavy tests.

pub mod deliver;
pub mod event;
pub mod split;

pub use deliver::{Deliver, Delivered, DeliveryError, PermanentKind};
pub use event::{
    Attachment, Author, Inbound, OutFile, Outbound, Persona, Place, Platform, ReplyRef, Scope,
    Target,
};
pub use split::{DISCORD_LIMIT, MIN_LIMIT, TELEGRAM_LIMIT, split, utf16_len};
