//! The wire: what the eavesdropper sees, and nothing else.
//!
//! - [`tls`]: the TLS record layer and the handshake messages that cross
//!   in cleartext, decoded from captured bytes.
//! - [`pop3`]: POP3 commands and replies decoded from captured bytes, and
//!   what they leak (credentials, message headers).
//! - [`tap`]: the relay between client and server that reports every chunk.
//! - [`dissect`]: one connection's dissector: both directions, switching
//!   from POP3 lines to TLS records at the right byte after STLS.
//! - [`decrypt`]: the "stolen keys" attack: TLS 1.2 and 1.3 records of a
//!   recorded connection opened with the session's key log.
//! - [`schedule`]: the key schedule from a key log's secrets to the record
//!   keys and IVs, and the Finished checks, as values a screen can show.

pub mod annotate;
pub mod capture;
pub mod decrypt;
pub mod dissect;
pub mod pcap;
pub mod pop3;
pub mod reassemble;
pub mod schedule;
pub mod session_keys;
pub mod steps;
pub mod tap;
pub mod tls;

/// Bytes in JSON as one hex string, the way every captured byte is
/// written (`#[serde(serialize_with = "crate::wire::as_hex")]`).
pub(crate) fn as_hex<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// Which way bytes crossed the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the client to the server.
    ClientToServer,
    /// From the server to the client.
    ServerToClient,
}

impl Direction {
    /// The other way.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// An arrow for transcripts: "C→S" or "S→C".
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ClientToServer => "C→S",
            Direction::ServerToClient => "S→C",
        }
    }
}
