//! One connection's dissector: both directions of a captured POP3 or POP3S
//! connection, decoded in the order the bytes crossed the wire.
//!
//! On the cleartext port both directions start as POP3 lines. When the
//! client sends STLS and the server answers +OK, each direction switches to
//! TLS records at the exact byte where TLS begins: right after the +OK
//! line's LF for the server, right after the STLS line's LF for the client.
//! On the POP3S port ([`Dissector::new_tls`]) records start at byte 0.
//!
//! Within TLS, a direction is cleartext until it turns encrypted: after its
//! ChangeCipherSpec in TLS 1.2, and right after the ServerHello in TLS 1.3
//! for the server (the TLS 1.3 client sends nothing readable after its
//! ClientHello: its later handshake messages travel as application data).
//! The version is known from the ServerHello's supported_versions extension.
//!
//! [`Loot`] gathers what the eavesdropper learned over the whole connection.

use serde::Serialize;

use super::Direction;
use super::pop3::{Leak, Pop3Dissector, StlsSwitch};
use super::tls::{
    self, ContentType, Handshake, HandshakeReader, Record, RecordHeader, RecordReader, TLS13,
};

#[cfg(test)]
#[path = "dissect_tests.rs"]
mod tests;

/// How many entries each list of [`Loot`] keeps. A real session has a
/// handful; the limit only matters for hostile input, which could otherwise
/// grow the lists without end.
pub const MAX_LOOT_ENTRIES: usize = 256;

/// One thing the eavesdropper understood, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Item {
    /// A line the client sent (a command, or a SASL response).
    Pop3Command {
        /// Always [`Direction::ClientToServer`].
        dir: Direction,
        /// Stream offset of the line.
        offset: u64,
        /// The line as sent, without its line end, lossy UTF-8.
        text: String,
    },
    /// A complete server reply.
    Pop3Reply {
        /// Server stream offset of its first line.
        offset: u64,
        /// False for -ERR; true for +OK and for a "+ " continuation.
        ok: bool,
        /// True for a SASL "+ " continuation.
        continuation: bool,
        /// The first line without its line end, lossy UTF-8.
        first_line: String,
        /// For a multi-line reply, the unstuffed body length in bytes.
        body_len: Option<usize>,
        /// For a multi-line reply, the unstuffed body, lossy UTF-8; only the
        /// first [`MAX_KEPT_BODY`](super::pop3::MAX_KEPT_BODY) bytes are
        /// kept, so it was truncated if `body_len` is larger than that.
        body: Option<String>,
    },
    /// Something secret or private crossed in cleartext.
    Leak(Leak),
    /// A complete TLS record.
    TlsRecord {
        /// Which way it went.
        dir: Direction,
        /// Stream offset of its header.
        offset: u64,
        /// Its header.
        header: RecordHeader,
        /// True if its body is ciphertext.
        encrypted: bool,
    },
    /// A handshake message read in cleartext.
    TlsHandshake {
        /// Which way it went.
        dir: Direction,
        /// Stream offset of the message's first byte.
        offset: u64,
        /// What it says.
        message: Handshake,
    },
    /// An alert record. An encrypted alert (TLS 1.2 after ChangeCipherSpec)
    /// cannot be read: its level and description are reported as 0.
    TlsAlert {
        /// Which way it went.
        dir: Direction,
        /// 1 = warning, 2 = fatal.
        level: u8,
        /// See [`tls::alert_description`].
        description: u8,
        /// True if the alert was encrypted.
        encrypted: bool,
    },
    /// From this stream offset on, this direction carries TLS records.
    SwitchToTls {
        /// Which way.
        dir: Direction,
        /// Stream offset of the first TLS byte.
        offset: u64,
    },
    /// Bytes that could not be understood, and why.
    Undecodable {
        /// Which way they went.
        dir: Direction,
        /// Stream offset where the problem starts.
        offset: u64,
        /// What is wrong (worded per language by
        /// `lab::describe::undecodable`).
        reason: UndecodableReason,
    },
}

/// Why bytes on the wire could not be decoded, as a value: the numbers and
/// bytes are kept so the screen and the demo can word it in the learner's
/// language when they show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UndecodableReason {
    /// A TLS record header declares a body longer than TLS allows; the
    /// record boundaries are lost for the rest of the direction.
    RecordTooLong {
        /// Stream offset of the header.
        offset: u64,
        /// The declared length.
        length: u16,
        /// The most TLS allows.
        limit: usize,
    },
    /// Bytes where a TLS record header should be are not one; the record
    /// boundaries are lost for the rest of the direction.
    NotTlsRecord {
        /// Stream offset of the would-be header.
        offset: u64,
        /// The first byte, which would be the content type.
        type_byte: u8,
        /// The bytes where the version should be.
        version: u16,
    },
    /// A cleartext alert record whose length is not a multiple of two.
    AlertLength {
        /// The record body's length.
        bytes: usize,
    },
    /// Part of a handshake message was left when ChangeCipherSpec came.
    HandshakeCut {
        /// How many bytes were thrown away.
        bytes: usize,
    },
    /// A record content type TLS does not define.
    UnknownContentType {
        /// The type byte.
        byte: u8,
    },
    /// A handshake message longer than the dissector reassembles.
    HandshakeTooLong {
        /// Stream offset of the message.
        offset: u64,
        /// Its declared length.
        length: usize,
        /// The most this dissector reassembles.
        limit: usize,
    },
    /// A handshake message that does not decode; the decoder's own words,
    /// which stay in English.
    Handshake {
        /// The decoder's words.
        message: String,
    },
    /// The client sent more than the dissector holds while the server's
    /// answer, which decides how to read it, had not come.
    ClientTooFarAhead {
        /// The most bytes held.
        limit: usize,
    },
    /// A client line longer than the dissector reads.
    ClientLineTooLong {
        /// The longest line read.
        limit: usize,
    },
    /// A server line longer than the dissector reads.
    ServerLineTooLong {
        /// The longest line read.
        limit: usize,
    },
    /// More commands without a reply than the dissector remembers.
    TooManyPending {
        /// The most commands remembered.
        limit: usize,
    },
    /// The server's first line is not a POP3 greeting.
    NotGreeting,
    /// A server line that is not a POP3 reply.
    NotReply,
    /// A SASL response that is not base64.
    SaslNotBase64,
    /// An AUTH PLAIN response that is not authzid NUL authcid NUL password.
    AuthPlainShape,
}

impl From<tls::RecordError> for UndecodableReason {
    fn from(e: tls::RecordError) -> Self {
        match e {
            tls::RecordError::TooLong { offset, length } => UndecodableReason::RecordTooLong {
                offset,
                length,
                limit: tls::MAX_RECORD_BODY,
            },
            tls::RecordError::NotTls {
                offset,
                type_byte,
                version,
            } => UndecodableReason::NotTlsRecord {
                offset,
                type_byte,
                version,
            },
        }
    }
}

/// What the eavesdropper learned over the whole connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Loot {
    /// User names seen (USER, APOP, AUTH), without repeats.
    pub users: Vec<String>,
    /// Passwords seen, with the user they belong to if known.
    pub passwords: Vec<(Option<String>, String)>,
    /// APOP logins: user, digest, greeting timestamp.
    pub apop: Vec<(String, String, Option<String>)>,
    /// Messages read in cleartext: from, to, subject.
    pub messages: Vec<(Option<String>, Option<String>, Option<String>)>,
    /// The server name from the ClientHello.
    pub sni: Option<String>,
    /// The negotiated TLS version.
    pub tls_version: Option<u16>,
    /// The negotiated cipher suite.
    pub cipher_suite: Option<u16>,
    /// Bytes of encrypted TLS records (headers included).
    pub encrypted_bytes: u64,
    /// Bytes read in cleartext: POP3 lines and cleartext TLS records.
    pub cleartext_bytes: u64,
}

impl Loot {
    /// True if anything private was read: a user name, a password, an APOP
    /// digest or a message. TLS metadata (server name, version) does not
    /// count: it is visible even when TLS does its job.
    pub fn readable(&self) -> bool {
        !self.users.is_empty()
            || !self.passwords.is_empty()
            || !self.apop.is_empty()
            || !self.messages.is_empty()
    }

    fn add_user(&mut self, name: &str) {
        if self.users.len() < MAX_LOOT_ENTRIES && !self.users.iter().any(|u| u == name) {
            self.users.push(name.to_string());
        }
    }

    fn add_password(&mut self, user: Option<&str>, password: &str) {
        if let Some(user) = user {
            self.add_user(user);
        }
        if self.passwords.len() < MAX_LOOT_ENTRIES {
            self.passwords
                .push((user.map(str::to_string), password.to_string()));
        }
    }

    /// Take in what one item reveals.
    fn learn(&mut self, item: &Item) {
        match item {
            Item::Leak(leak) => match leak {
                Leak::User { name } => self.add_user(name),
                Leak::Password { user, password } => self.add_password(user.as_deref(), password),
                Leak::AuthPlain {
                    authcid, password, ..
                } => self.add_password(Some(authcid), password),
                Leak::AuthLogin { user, password } => self.add_password(Some(user), password),
                Leak::Apop {
                    user,
                    digest,
                    timestamp,
                } => {
                    self.add_user(user);
                    if self.apop.len() < MAX_LOOT_ENTRIES {
                        self.apop
                            .push((user.clone(), digest.clone(), timestamp.clone()));
                    }
                }
                Leak::MessageHeaders { from, to, subject } => {
                    if self.messages.len() < MAX_LOOT_ENTRIES {
                        self.messages
                            .push((from.clone(), to.clone(), subject.clone()));
                    }
                }
                Leak::Greeting { .. } => {}
            },
            Item::TlsHandshake {
                dir: Direction::ClientToServer,
                message: Handshake::ClientHello { sni: Some(sni), .. },
                ..
            } => self.sni = Some(sni.clone()),
            Item::TlsHandshake {
                dir: Direction::ServerToClient,
                message:
                    Handshake::ServerHello {
                        version,
                        cipher_suite,
                        ..
                    },
                ..
            } => {
                self.tls_version = Some(*version);
                self.cipher_suite = Some(*cipher_suite);
            }
            _ => {}
        }
    }
}

/// One direction's TLS state.
#[derive(Debug)]
struct TlsSide {
    records: RecordReader,
    handshakes: HandshakeReader,
    /// Records of this direction are ciphertext from now on.
    encrypted: bool,
}

impl TlsSide {
    fn starting_at(offset: u64) -> Self {
        TlsSide {
            records: RecordReader::starting_at(offset),
            handshakes: HandshakeReader::new(),
            encrypted: false,
        }
    }

    fn buffered(&self) -> usize {
        self.records.buffered() + self.handshakes.buffered()
    }
}

/// How one direction is read.
#[derive(Debug)]
enum Side {
    Pop3,
    Tls(Box<TlsSide>),
    /// Given up on (the reason was reported when it happened).
    Dead,
}

/// What both TLS directions need to know: what the ServerHello chose.
#[derive(Debug, Default)]
struct Negotiated {
    version: Option<u16>,
    suite: Option<u16>,
    tls_cleartext: u64,
    encrypted: u64,
}

/// The dissector for one connection.
#[derive(Debug)]
pub struct Dissector {
    pop3: Pop3Dissector,
    client: Side,
    server: Side,
    negotiated: Negotiated,
    loot: Loot,
}

impl Default for Dissector {
    fn default() -> Self {
        Self::new()
    }
}

impl Dissector {
    /// A dissector for the cleartext port: POP3 lines first, TLS after an
    /// accepted STLS.
    pub fn new() -> Self {
        Dissector {
            pop3: Pop3Dissector::new(),
            client: Side::Pop3,
            server: Side::Pop3,
            negotiated: Negotiated::default(),
            loot: Loot::default(),
        }
    }

    /// A dissector for the POP3 lines carried inside TLS after STLS (as the
    /// record decryptor recovers them): no greeting comes first. See
    /// [`Pop3Dissector::after_stls`].
    pub fn after_stls(timestamp: Option<String>) -> Self {
        Dissector {
            pop3: Pop3Dissector::after_stls(timestamp),
            ..Self::new()
        }
    }

    /// The APOP timestamp of the greeting, once seen in cleartext.
    pub fn timestamp(&self) -> Option<&str> {
        self.pop3.timestamp()
    }

    /// A dissector for implicit TLS (POP3S): records from byte 0.
    pub fn new_tls() -> Self {
        Dissector {
            client: Side::Tls(Box::new(TlsSide::starting_at(0))),
            server: Side::Tls(Box::new(TlsSide::starting_at(0))),
            ..Self::new()
        }
    }

    /// Feed the next chunk that crossed the wire in direction `dir`, and
    /// get what it revealed. Chunks must be fed in the order they crossed;
    /// how the bytes are cut into chunks does not change the result.
    pub fn feed(&mut self, dir: Direction, bytes: &[u8]) -> Vec<Item> {
        let mut items = Vec::new();
        match dir {
            Direction::ClientToServer => match &mut self.client {
                Side::Pop3 => self.pop3.feed_client(bytes, &mut items),
                Side::Tls(side) => tls_feed(side, &mut self.negotiated, dir, bytes, &mut items),
                Side::Dead => {}
            },
            Direction::ServerToClient => match &mut self.server {
                Side::Pop3 => {
                    if let Some(switch) = self.pop3.feed_server(bytes, &mut items) {
                        let rest = &bytes[switch.server_consumed..];
                        self.start_tls(switch, &mut items);
                        if let Side::Tls(side) = &mut self.server {
                            tls_feed(side, &mut self.negotiated, dir, rest, &mut items);
                        }
                    }
                }
                Side::Tls(side) => tls_feed(side, &mut self.negotiated, dir, bytes, &mut items),
                Side::Dead => {}
            },
        }
        for item in &items {
            self.loot.learn(item);
        }
        self.loot.cleartext_bytes = self.pop3.cleartext_bytes() + self.negotiated.tls_cleartext;
        self.loot.encrypted_bytes = self.negotiated.encrypted;
        items
    }

    /// What was learned so far.
    pub fn loot(&self) -> &Loot {
        &self.loot
    }

    /// Bytes held in internal buffers. Whatever is fed, this stays around
    /// 1 MiB at worst: two partial lines of at most 64 KiB, 256 KiB of held
    /// client bytes, 256 KiB of a kept body, and per TLS direction one
    /// record body (18 KiB) plus one handshake message being reassembled
    /// (64 KiB and a record, with allocation slack). Tests use it to prove
    /// that memory stays bounded.
    pub fn buffered(&self) -> usize {
        let side = |s: &Side| match s {
            Side::Tls(t) => t.buffered(),
            Side::Pop3 | Side::Dead => 0,
        };
        self.pop3.buffered() + side(&self.client) + side(&self.server)
    }

    /// Both directions turn to TLS after an accepted STLS.
    fn start_tls(&mut self, switch: StlsSwitch, items: &mut Vec<Item>) {
        items.push(Item::SwitchToTls {
            dir: Direction::ServerToClient,
            offset: switch.server_offset,
        });
        items.push(Item::SwitchToTls {
            dir: Direction::ClientToServer,
            offset: switch.client_offset,
        });
        self.server = Side::Tls(Box::new(TlsSide::starting_at(switch.server_offset)));
        if switch.client_lost {
            // The client direction was given up while waiting (and said so);
            // its TLS cannot be framed without the bytes that were dropped.
            self.client = Side::Dead;
            return;
        }
        let mut side = Box::new(TlsSide::starting_at(switch.client_offset));
        // Whatever the client sent after STLS crossed the wire before this
        // +OK was read, so it is decoded first, as TLS, which is how a real
        // eavesdropper (and the server) must read it.
        tls_feed(
            &mut side,
            &mut self.negotiated,
            Direction::ClientToServer,
            &switch.client_bytes,
            items,
        );
        self.client = Side::Tls(side);
    }
}

/// Read records from one direction's chunk.
fn tls_feed(
    side: &mut TlsSide,
    negotiated: &mut Negotiated,
    dir: Direction,
    bytes: &[u8],
    items: &mut Vec<Item>,
) {
    let mut input = bytes;
    loop {
        side.records.set_cleartext(!side.encrypted);
        match side.records.read(&mut input) {
            None => break,
            Some(Err(e)) => {
                items.push(Item::Undecodable {
                    dir,
                    offset: e.offset(),
                    reason: e.into(),
                });
                break;
            }
            Some(Ok(record)) => tls_record(side, negotiated, dir, record, items),
        }
    }
}

/// Interpret one complete record.
fn tls_record(
    side: &mut TlsSide,
    negotiated: &mut Negotiated,
    dir: Direction,
    record: Record,
    items: &mut Vec<Item>,
) {
    let content_type = record.header.content_type;
    let encrypted = match content_type {
        ContentType::ApplicationData => true,
        // ChangeCipherSpec itself is never encrypted; in TLS 1.3 it is a
        // dummy record kept for middleboxes (RFC 8446 §5).
        ContentType::ChangeCipherSpec => false,
        _ => side.encrypted,
    };
    let size = (tls::RECORD_HEADER_LEN + usize::from(record.header.length)) as u64;
    if encrypted {
        negotiated.encrypted += size;
    } else {
        negotiated.tls_cleartext += size;
    }
    items.push(Item::TlsRecord {
        dir,
        offset: record.offset,
        header: record.header.clone(),
        encrypted,
    });
    match content_type {
        ContentType::Handshake if !encrypted => {
            side.handshakes
                .push(&record.body, record.offset + tls::RECORD_HEADER_LEN as u64);
            handshake_messages(side, negotiated, dir, items);
        }
        ContentType::Alert if encrypted => items.push(Item::TlsAlert {
            dir,
            level: 0,
            description: 0,
            encrypted: true,
        }),
        ContentType::Alert => {
            if record.body.is_empty() || !record.body.len().is_multiple_of(2) {
                items.push(Item::Undecodable {
                    dir,
                    offset: record.offset,
                    reason: UndecodableReason::AlertLength {
                        bytes: record.body.len(),
                    },
                });
            }
            for alert in record.body.chunks_exact(2) {
                items.push(Item::TlsAlert {
                    dir,
                    level: alert[0],
                    description: alert[1],
                    encrypted: false,
                });
            }
        }
        // In TLS 1.2 (and whenever no ServerHello said TLS 1.3) the sender
        // encrypts everything after its ChangeCipherSpec. In TLS 1.3 the
        // record means nothing: a client even sends one before its second
        // ClientHello after a HelloRetryRequest.
        ContentType::ChangeCipherSpec if negotiated.version != Some(TLS13) && !side.encrypted => {
            side.encrypted = true;
            let cut = side.handshakes.clear();
            if cut > 0 {
                items.push(Item::Undecodable {
                    dir,
                    offset: record.offset,
                    reason: UndecodableReason::HandshakeCut { bytes: cut },
                });
            }
        }
        ContentType::Unknown(byte) => items.push(Item::Undecodable {
            dir,
            offset: record.offset,
            reason: UndecodableReason::UnknownContentType { byte },
        }),
        _ => {}
    }
}

/// Decode every complete handshake message buffered in this direction.
fn handshake_messages(
    side: &mut TlsSide,
    negotiated: &mut Negotiated,
    dir: Direction,
    items: &mut Vec<Item>,
) {
    while !side.encrypted {
        let raw = match side.handshakes.next_message() {
            None => break,
            Some(Err(e)) => {
                items.push(Item::Undecodable {
                    dir,
                    offset: e.offset,
                    reason: UndecodableReason::HandshakeTooLong {
                        offset: e.offset,
                        length: e.length,
                        limit: tls::MAX_HANDSHAKE_MESSAGE,
                    },
                });
                break;
            }
            Some(Ok(raw)) => raw,
        };
        let message = match tls::decode_handshake(raw.msg_type, &raw.body, negotiated.suite) {
            Ok(message) => message,
            Err(message) => {
                items.push(Item::Undecodable {
                    dir,
                    offset: raw.offset,
                    reason: UndecodableReason::Handshake { message },
                });
                continue;
            }
        };
        if let (
            Direction::ServerToClient,
            Handshake::ServerHello {
                version,
                cipher_suite,
                hello_retry_request,
                ..
            },
        ) = (dir, &message)
        {
            negotiated.version = Some(*version);
            negotiated.suite = Some(*cipher_suite);
            // TLS 1.3 encrypts everything the server sends after its
            // ServerHello; a HelloRetryRequest is followed by a new
            // cleartext ServerHello instead.
            if *version == TLS13 && !*hello_retry_request {
                side.encrypted = true;
                side.handshakes.clear();
            }
        }
        items.push(Item::TlsHandshake {
            dir,
            offset: raw.offset,
            message,
        });
    }
}
