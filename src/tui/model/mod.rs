//! The four lab panes' models, one per pane, each folding the lab's
//! events it cares about.
//!
//! Every model sees the same [`crate::lab::Event`] stream and keeps what
//! its pane shows as typed values (a leak, a handshake message, a server
//! event), never as sentences: the panes word them when they draw, in the
//! learner's language, so switching the language re-words everything on
//! the screen. The models know nothing of [`super::app::App`] (focus,
//! lesson, menu, input line), which keeps each of them testable alone.
//!
//! - [`wire`]: the eavesdropper's three views and the attacker's box;
//! - [`client`]: the conversation as the client saw it, with fetched
//!   messages decoded;
//! - [`tls`]: the handshake timeline, the negotiated parameters and the
//!   secrets;
//! - [`keys`]: each connection's key schedule and Finished checks, for
//!   the key schedule view;
//! - [`server`]: the session state, the maildrop and the server's log;
//! - [`wall`]: the workshop's wall, one row per student connection.

pub mod client;
pub mod keys;
pub mod server;
pub mod tls;
pub mod wall;
pub mod wire;

pub use client::{ClientLine, ClientModel};
pub use keys::{FinishedStatus, KeysModel};
pub use server::ServerModel;
pub use tls::{TlsModel, TlsStep};
pub use wire::{AttackView, CrackView, HexBlock, Record, RecordLine, TextLine, WireModel};
