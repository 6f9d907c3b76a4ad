//! POP3: commands, replies and framing, the sans-IO server session, the
//! server's connection loop and a small client.
//!
//! - [`command`]: one command line to a [`command::Command`] and back.
//! - [`framing`]: command-line framing with RFC 2449's length limit, and
//!   the CRLF/byte-stuffing encoder for multi-line bodies.
//! - [`auth`]: the user table, APOP digests and SASL PLAIN.
//! - [`session`]: the server session state machine (no I/O).
//! - [`guard`]: the failure budget that stops password guessing.
//! - [`server`]: listeners and the connection loop around the session.
//! - [`client`]: an async client over any stream (plain, STLS, TLS).
//! - [`settings`]: the client's settings (transport, login, trust), shared
//!   by every client in the project.
//! - [`observe`]: the hook through which the lab watches a client session.
//! - [`message`]: a fetched message decoded for reading (headers, text, attachments).

pub mod auth;
pub mod client;
pub mod command;
pub mod framing;
pub mod guard;
pub mod message;
pub mod observe;
pub mod server;
pub mod session;
pub mod settings;
