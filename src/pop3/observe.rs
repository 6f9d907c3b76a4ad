//! Watching a client session: the [`Observer`] hook.
//!
//! The lab shows every line its client sends and receives, and every TLS
//! fact, without a client of its own: it hands the library client an
//! observer (in [`crate::pop3::settings::ClientSettings::observer`]) and
//! turns each call into an event. The client calls the observer at the
//! moment each thing happens, so the order of the calls is the order on the
//! wire. A client without an observer pays nothing for the hook.

use std::net::SocketAddr;

use super::client::{BoundedReply, ClientError, TlsInfo};
use super::settings::Transport;

/// How much of a multi-line body an observer is shown when the client read
/// the body whole; [`BoundedReply::body_len`] still gives the full length.
pub const OBSERVED_BODY: usize = 64 * 1024;

/// Hears what a client session does. Every method has an empty default, so
/// an observer implements only what it wants to see.
pub trait Observer: Send + Sync {
    /// The client is about to open a TCP connection to `addr`.
    fn connecting(&self, _addr: SocketAddr, _transport: Transport) {}

    /// A command line is about to be sent; `shown` is the line as a log may
    /// show it, with any secret masked by [`crate::pop3::command::shown_line`].
    fn sent(&self, _shown: &str) {}

    /// A reply arrived: its status, at most [`OBSERVED_BODY`] bytes of a
    /// multi-line body (or what the caller of
    /// [`crate::pop3::client::Client::read_reply_bounded`] kept), and the
    /// whole body's length.
    fn received(&self, _reply: &BoundedReply) {}

    /// The TLS handshake finished and the certificate passed the check.
    fn tls_established(&self, _info: &TlsInfo) {}

    /// The TLS handshake failed. A certificate problem comes as
    /// [`ClientError::Certificate`], naming the untrusted leaf's issuer
    /// when the configuration recorded the chain.
    fn tls_failed(&self, _error: &ClientError) {}

    /// The client refuses to go on because one of its rules says no (TLS is
    /// required but not offered, a password would go out in cleartext, the
    /// server refused USER, ...). `error` is what the call returns; nothing
    /// secret has been sent.
    fn refused(&self, _error: &ClientError) {}

    /// STLS was asked for but the server does not offer it, TLS is not
    /// required, and so the session goes on unencrypted: exactly what an
    /// attacker who strips STLS from the CAPA answer wants.
    fn stays_cleartext(&self) {}

    /// The server sent `bytes` after its `+OK` to STLS and before the
    /// handshake. `kept` is false when they were discarded (RFC 2595 §4,
    /// always unless the deliberately vulnerable mode is on) and true when
    /// they will be read as if they came inside TLS.
    fn stls_leftover(&self, _bytes: &[u8], _kept: bool) {}
}
