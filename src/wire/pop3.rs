//! POP3 as an eavesdropper reads it: commands and replies cut out of the
//! two byte streams of one connection, and what they give away.
//!
//! The dissector never talks to anyone, so it has to infer what the server
//! does from what it says. Clients may pipeline commands (RFC 2449 §6.6), so
//! it keeps a queue of commands that have not been answered yet; the oldest
//! one tells whether the next reply is a single line or a multi-line body.
//!
//! Some client bytes cannot be read until the server has answered: after
//! STLS they are either TLS records (+OK) or more commands (-ERR), and after
//! AUTH the next line is either a SASL response ("+ " continuation) or a
//! command. In those places the client direction is paused and its bytes
//! are held until the server's answer has been seen. Clients wait for that
//! answer anyway, so in a real capture nothing is ever held for long.
//!
//! Memory stays bounded on any input: lines longer than [`MAX_LINE`] are
//! skipped and reported, at most [`MAX_KEPT_BODY`] bytes of a multi-line
//! body are kept (the rest is only counted), at most [`MAX_HELD`] client
//! bytes are held while paused, and at most [`MAX_PENDING`] unanswered
//! commands are remembered.

use std::collections::VecDeque;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Serialize;

use super::Direction;
use super::dissect::{Item, UndecodableReason};
use crate::pop3::command::Command;

#[cfg(test)]
#[path = "pop3_tests.rs"]
mod tests;

/// The longest line (line end included) the dissector reassembles. POP3
/// itself allows 255 bytes for commands and 512 for reply lines, but message
/// bodies have much longer lines in practice, so the limit is generous; a
/// longer line is reported as undecodable and skipped.
pub const MAX_LINE: usize = 64 * 1024;

/// How much of a multi-line body is kept as text; the rest is only counted.
/// A reply whose `body_len` is larger than this was truncated.
pub const MAX_KEPT_BODY: usize = 256 * 1024;

/// How many client bytes are held while the client direction waits for the
/// server's answer to STLS or AUTH. Beyond that the client direction is
/// given up, because those bytes cannot be interpreted without the answer.
pub const MAX_HELD: usize = 256 * 1024;

/// How many unanswered commands are remembered. Beyond that the oldest is
/// forgotten, so later replies may be matched to the wrong command, which
/// only ever happens with a peer that is not speaking POP3.
pub const MAX_PENDING: usize = 1024;

/// Something secret or private that crossed the wire in cleartext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Leak {
    /// A user name (USER, or the first AUTH LOGIN response).
    User {
        /// The name.
        name: String,
    },
    /// A password from PASS.
    Password {
        /// The name from the preceding USER, if one was seen.
        user: Option<String>,
        /// The password, exactly as sent.
        password: String,
    },
    /// An APOP login: no password on the wire, but the digest together with
    /// the greeting's timestamp is all an offline dictionary attack needs.
    Apop {
        /// The name.
        user: String,
        /// MD5(timestamp + secret) in hex.
        digest: String,
        /// The `<...>` timestamp of this connection's greeting, if seen.
        timestamp: Option<String>,
    },
    /// An AUTH PLAIN response, base64-decoded.
    AuthPlain {
        /// The authorization identity (usually empty).
        authzid: String,
        /// The authentication identity: the user name.
        authcid: String,
        /// The password.
        password: String,
    },
    /// An AUTH LOGIN exchange, base64-decoded.
    AuthLogin {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// The headers of a message retrieved in cleartext (RETR or TOP),
    /// decoded, so encoded-word subjects read as the sender wrote them.
    MessageHeaders {
        /// The From header.
        from: Option<String>,
        /// The To header.
        to: Option<String>,
        /// The Subject header.
        subject: Option<String>,
    },
    /// The server's greeting.
    Greeting {
        /// The text after "+OK".
        text: String,
        /// The APOP timestamp (`<...>`) in it, if any.
        timestamp: Option<String>,
    },
}

/// What [`Pop3Dissector::feed_server`] reports when the server accepted
/// STLS: from here on both directions carry TLS records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StlsSwitch {
    /// Client stream offset of the first TLS byte: right after STLS's LF.
    pub client_offset: u64,
    /// What the client sent after STLS so far; its first TLS bytes.
    pub client_bytes: Vec<u8>,
    /// True if the client sent too much while waiting and was given up.
    pub client_lost: bool,
    /// Server stream offset of the first TLS byte: right after +OK's LF.
    pub server_offset: u64,
    /// How many bytes of the chunk passed to `feed_server` were POP3; the
    /// rest of the chunk is TLS.
    pub server_consumed: usize,
}

/// The POP3 dissector for one connection, both directions.
#[derive(Debug, Default)]
pub struct Pop3Dissector {
    client: Lines,
    server: Lines,
    state: State,
    held: Vec<u8>,
    client_lost: bool,
}

impl Pop3Dissector {
    /// A dissector that expects the server's greeting first.
    pub fn new() -> Self {
        Self::default()
    }

    /// A dissector for the POP3 session inside TLS after STLS: the greeting
    /// came before, in cleartext, so the server's first line is a reply.
    /// `timestamp` is that greeting's APOP timestamp, which an APOP login
    /// inside TLS still refers to.
    pub fn after_stls(timestamp: Option<String>) -> Self {
        let mut d = Self::default();
        d.state.greeted = true;
        d.state.timestamp = timestamp;
        d
    }

    /// Feed bytes the client sent, appending what they reveal to `out`.
    pub fn feed_client(&mut self, bytes: &[u8], out: &mut Vec<Item>) {
        if self.client_lost {
            return;
        }
        if self.state.gated {
            self.hold(bytes, out);
            return;
        }
        let Self { client, state, .. } = self;
        let used = client.split(bytes, |piece| state.client_piece(piece, out));
        if used < bytes.len() {
            // The client direction paused after STLS or an AUTH step.
            self.hold(&bytes[used..], out);
        }
    }

    /// Feed bytes the server sent, appending what they reveal to `out`.
    /// Returns the switch point if the server accepted STLS in this chunk;
    /// the caller must then read the rest of the chunk, and everything
    /// after it, as TLS.
    pub fn feed_server(&mut self, bytes: &[u8], out: &mut Vec<Item>) -> Option<StlsSwitch> {
        let mut rest = bytes;
        loop {
            let mut event = ServerEvent::Nothing;
            let Self { server, state, .. } = self;
            let used = server.split(rest, |piece| {
                let (flow, ev) = state.server_piece(piece, out);
                event = ev;
                flow
            });
            rest = &rest[used..];
            match event {
                ServerEvent::Nothing => return None,
                ServerEvent::Release => {
                    // The answer the client was waiting for has been seen,
                    // so its held bytes can be read now, before the rest of
                    // this chunk: they crossed the wire earlier.
                    let held = std::mem::take(&mut self.held);
                    self.feed_client(&held, out);
                    if rest.is_empty() {
                        return None;
                    }
                }
                ServerEvent::Switch => {
                    return Some(StlsSwitch {
                        client_offset: self.client.pos,
                        client_bytes: std::mem::take(&mut self.held),
                        client_lost: self.client_lost,
                        server_offset: self.server.pos,
                        server_consumed: bytes.len() - rest.len(),
                    });
                }
            }
        }
    }

    /// Bytes of both directions read as POP3 so far.
    pub fn cleartext_bytes(&self) -> u64 {
        self.client.pos + self.server.pos
    }

    /// Bytes held in buffers (partial lines, held client bytes, the kept
    /// part of a body in progress), to check that memory stays bounded.
    pub fn buffered(&self) -> usize {
        self.client.carry.capacity()
            + self.server.carry.capacity()
            + self.held.capacity()
            + self.state.body.as_ref().map_or(0, |b| b.kept.capacity())
    }

    /// The greeting's APOP timestamp, once seen.
    pub fn timestamp(&self) -> Option<&str> {
        self.state.timestamp.as_deref()
    }

    fn hold(&mut self, bytes: &[u8], out: &mut Vec<Item>) {
        let room = MAX_HELD - self.held.len();
        if bytes.len() <= room {
            extend_capped(&mut self.held, bytes, MAX_HELD);
            return;
        }
        // The offset does not depend on how the bytes were chunked: it is
        // always the first byte beyond the limit.
        out.push(Item::Undecodable {
            dir: Direction::ClientToServer,
            offset: self.client.pos + MAX_HELD as u64,
            reason: UndecodableReason::ClientTooFarAhead { limit: MAX_HELD },
        });
        self.client_lost = true;
        self.held = Vec::new();
    }
}

/// Whether line splitting goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// What a server line means for the other direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerEvent {
    Nothing,
    /// The client may be read again.
    Release,
    /// STLS was accepted.
    Switch,
}

/// One piece of a direction's stream.
enum Piece<'a> {
    /// A complete line including its LF, and its stream offset.
    Line(&'a [u8], u64),
    /// A line longer than [`MAX_LINE`] starts at this offset; its bytes are
    /// skipped up to the next LF.
    TooLong(u64),
}

/// Splits one direction into lines without copying complete lines out of
/// the chunk; only a line cut by a chunk boundary is copied, once.
#[derive(Debug, Default)]
struct Lines {
    carry: Vec<u8>,
    /// Stream offset of the next byte not yet consumed.
    pos: u64,
    skipping: bool,
}

impl Lines {
    /// Hand every piece of `input` to `f` until it says stop; returns how
    /// many bytes were consumed. The pieces, and so everything derived from
    /// them, do not depend on how the stream was cut into chunks.
    fn split(&mut self, input: &[u8], mut f: impl FnMut(Piece<'_>) -> Flow) -> usize {
        let mut rest = input;
        while !rest.is_empty() {
            if self.skipping {
                match find_lf(rest) {
                    Some(i) => {
                        self.pos += (i + 1) as u64;
                        rest = &rest[i + 1..];
                        self.skipping = false;
                        continue;
                    }
                    None => {
                        self.pos += rest.len() as u64;
                        rest = &[];
                        break;
                    }
                }
            }
            let start = self.pos - self.carry.len() as u64;
            let Some(i) = find_lf(rest) else {
                if self.carry.len() + rest.len() > MAX_LINE {
                    self.carry = Vec::new();
                    self.skipping = true;
                    self.pos += rest.len() as u64;
                    rest = &[];
                    f(Piece::TooLong(start));
                } else {
                    extend_capped(&mut self.carry, rest, MAX_LINE);
                    self.pos += rest.len() as u64;
                    rest = &[];
                }
                break;
            };
            let n = i + 1;
            let (line, after) = rest.split_at(n);
            rest = after;
            self.pos += n as u64;
            if self.carry.len() + n > MAX_LINE {
                self.carry = Vec::new();
                f(Piece::TooLong(start));
                continue;
            }
            let flow = if self.carry.is_empty() {
                f(Piece::Line(line, start))
            } else {
                extend_capped(&mut self.carry, line, MAX_LINE);
                let flow = f(Piece::Line(&self.carry, start));
                self.carry.clear();
                flow
            };
            if flow == Flow::Stop {
                break;
            }
        }
        input.len() - rest.len()
    }
}

/// Append `data` to a buffer whose length never exceeds `cap` (the caller
/// checks that), growing it by doubling but never beyond `cap`. Plain
/// `extend_from_slice` could double a buffer to twice its limit, and the
/// point of the limits is to know the worst case.
fn extend_capped(buf: &mut Vec<u8>, data: &[u8], cap: usize) {
    let needed = buf.len() + data.len();
    if needed > buf.capacity() {
        let want = (buf.capacity() * 2).max(needed).min(cap.max(needed));
        buf.reserve_exact(want - buf.len());
    }
    buf.extend_from_slice(data);
}

/// The first LF in `bytes`.
fn find_lf(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// A line without its LF or CRLF. The attacker's line transforms read
/// lines by the same rule.
pub(crate) fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Bytes as text, invalid UTF-8 replaced.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What the reply to the oldest unanswered command will look like.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// A single line.
    Line,
    /// A multi-line body after +OK; `message` for RETR and TOP.
    Multi { message: bool },
    /// The answer to STLS: +OK switches to TLS.
    Stls,
    /// An AUTH exchange with a mechanism; may go on with "+ " lines.
    Auth(Sasl),
}

/// The SASL mechanism of an AUTH exchange in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sasl {
    Plain,
    /// LOGIN sends the user name, then the password.
    Login {
        user: Option<String>,
    },
    Other,
}

/// A multi-line body being read.
#[derive(Debug)]
struct Body {
    offset: u64,
    first_line: String,
    message: bool,
    kept: Vec<u8>,
    len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Err,
    Continuation,
    Unknown,
}

fn status(line: &[u8]) -> Status {
    if line.len() >= 3 && line[..3].eq_ignore_ascii_case(b"+OK") {
        Status::Ok
    } else if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"-ERR") {
        Status::Err
    } else if line == b"+" || line.starts_with(b"+ ") {
        Status::Continuation
    } else {
        Status::Unknown
    }
}

/// The text of a status line after "+OK" and one space.
fn after_status(line: &[u8]) -> &[u8] {
    let rest = line.get(3..).unwrap_or_default();
    rest.strip_prefix(b" ").unwrap_or(rest)
}

/// The APOP timestamp in a greeting, by the client's own rule
/// ([`crate::pop3::auth::apop_timestamp`]).
fn find_timestamp(text: &str) -> Option<String> {
    crate::pop3::auth::apop_timestamp(text).map(str::to_owned)
}

/// Base64 as SASL clients send it; padding is accepted with or without,
/// because being strict here would only hide what the client sent.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Shared state of both directions.
#[derive(Debug, Default)]
struct State {
    pending: VecDeque<Expect>,
    greeted: bool,
    timestamp: Option<String>,
    last_user: Option<String>,
    /// The next client line is a SASL response, not a command.
    sasl_awaiting: bool,
    /// The client direction waits for the server's answer.
    gated: bool,
    body: Option<Body>,
}

impl State {
    fn client_piece(&mut self, piece: Piece<'_>, out: &mut Vec<Item>) -> Flow {
        let (line, offset) = match piece {
            Piece::Line(line, offset) => (line, offset),
            Piece::TooLong(offset) => {
                out.push(Item::Undecodable {
                    dir: Direction::ClientToServer,
                    offset,
                    reason: UndecodableReason::ClientLineTooLong { limit: MAX_LINE },
                });
                return Flow::Continue;
            }
        };
        let content = trim_eol(line);
        out.push(Item::Pop3Command {
            dir: Direction::ClientToServer,
            offset,
            text: lossy(content),
        });
        if self.sasl_awaiting {
            self.sasl_awaiting = false;
            if let Some(Expect::Auth(sasl)) = self.pending.front_mut() {
                sasl_data(sasl, content, offset, out);
            }
            // The server's answer decides whether another response follows.
            self.gated = true;
            return Flow::Stop;
        }
        let expect = match Command::parse(content) {
            Ok(cmd) => self.command(cmd, offset, out),
            // The server answers an unknown or malformed command with -ERR.
            Err(_) => Expect::Line,
        };
        let gate = matches!(expect, Expect::Stls | Expect::Auth(_));
        self.pending.push_back(expect);
        if self.pending.len() > MAX_PENDING {
            self.pending.pop_front();
            out.push(Item::Undecodable {
                dir: Direction::ClientToServer,
                offset,
                reason: UndecodableReason::TooManyPending { limit: MAX_PENDING },
            });
        }
        if gate {
            self.gated = true;
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Record what a command leaks and say what its reply will look like.
    fn command(&mut self, cmd: Command, offset: u64, out: &mut Vec<Item>) -> Expect {
        match cmd {
            Command::User(name) => {
                out.push(Item::Leak(Leak::User { name: name.clone() }));
                self.last_user = Some(name);
                Expect::Line
            }
            Command::Pass(password) => {
                out.push(Item::Leak(Leak::Password {
                    user: self.last_user.take(),
                    password,
                }));
                Expect::Line
            }
            Command::Apop { name, digest } => {
                out.push(Item::Leak(Leak::Apop {
                    user: name,
                    digest,
                    timestamp: self.timestamp.clone(),
                }));
                Expect::Line
            }
            Command::Auth {
                mechanism: Some(mechanism),
                initial,
            } => {
                let mut sasl = match mechanism.as_str() {
                    "PLAIN" => Sasl::Plain,
                    "LOGIN" => Sasl::Login { user: None },
                    _ => Sasl::Other,
                };
                if let Some(initial) = initial {
                    sasl_data(&mut sasl, initial.as_bytes(), offset, out);
                }
                Expect::Auth(sasl)
            }
            Command::Stls => Expect::Stls,
            // Which replies have a body is the command's own fact; only
            // whether the body is a message (to show its headers) is the
            // dissector's business.
            other if other.multiline_reply() => Expect::Multi {
                message: matches!(other, Command::Retr(_) | Command::Top(..)),
            },
            _ => Expect::Line,
        }
    }

    fn server_piece(&mut self, piece: Piece<'_>, out: &mut Vec<Item>) -> (Flow, ServerEvent) {
        let (line, offset) = match piece {
            Piece::Line(line, offset) => (line, offset),
            Piece::TooLong(offset) => {
                out.push(Item::Undecodable {
                    dir: Direction::ServerToClient,
                    offset,
                    reason: UndecodableReason::ServerLineTooLong { limit: MAX_LINE },
                });
                return (Flow::Continue, ServerEvent::Nothing);
            }
        };
        if let Some(body) = self.body.as_mut() {
            if trim_eol(line) == b"." {
                if let Some(body) = self.body.take() {
                    finish_body(body, out);
                }
                return (Flow::Continue, ServerEvent::Nothing);
            }
            // Undo byte-stuffing (RFC 1939 §3): a leading dot was doubled.
            let data = line.strip_prefix(b".").unwrap_or(line);
            body.len += data.len();
            let room = MAX_KEPT_BODY - body.kept.len();
            let keep = &data[..data.len().min(room)];
            extend_capped(&mut body.kept, keep, MAX_KEPT_BODY);
            return (Flow::Continue, ServerEvent::Nothing);
        }
        self.reply_line(trim_eol(line), offset, out)
    }

    fn reply_line(&mut self, line: &[u8], offset: u64, out: &mut Vec<Item>) -> (Flow, ServerEvent) {
        let nothing = (Flow::Continue, ServerEvent::Nothing);
        let status = status(line);
        let reply = |ok: bool, continuation: bool| Item::Pop3Reply {
            offset,
            ok,
            continuation,
            first_line: lossy(line),
            body_len: None,
            body: None,
        };
        if !self.greeted {
            // The server speaks first; its first line is the greeting
            // whatever the client may have sent already.
            self.greeted = true;
            match status {
                Status::Ok => {
                    out.push(reply(true, false));
                    let text = lossy(after_status(line));
                    let timestamp = find_timestamp(&text);
                    self.timestamp.clone_from(&timestamp);
                    out.push(Item::Leak(Leak::Greeting { text, timestamp }));
                }
                Status::Err => out.push(reply(false, false)),
                Status::Continuation | Status::Unknown => out.push(Item::Undecodable {
                    dir: Direction::ServerToClient,
                    offset,
                    reason: UndecodableReason::NotGreeting,
                }),
            }
            return nothing;
        }
        match status {
            Status::Unknown => {
                out.push(Item::Undecodable {
                    dir: Direction::ServerToClient,
                    offset,
                    reason: UndecodableReason::NotReply,
                });
                nothing
            }
            Status::Continuation => {
                out.push(reply(true, true));
                if matches!(self.pending.front(), Some(Expect::Auth(_))) {
                    self.sasl_awaiting = true;
                    self.gated = false;
                    (Flow::Stop, ServerEvent::Release)
                } else {
                    nothing
                }
            }
            Status::Err => {
                let head = self.pending.pop_front();
                out.push(reply(false, false));
                if matches!(head, Some(Expect::Stls | Expect::Auth(_))) {
                    self.sasl_awaiting = false;
                    self.gated = false;
                    (Flow::Stop, ServerEvent::Release)
                } else {
                    nothing
                }
            }
            Status::Ok => match self.pending.pop_front() {
                Some(Expect::Multi { message }) => {
                    self.body = Some(Body {
                        offset,
                        first_line: lossy(line),
                        message,
                        kept: Vec::new(),
                        len: 0,
                    });
                    nothing
                }
                Some(Expect::Stls) => {
                    out.push(reply(true, false));
                    (Flow::Stop, ServerEvent::Switch)
                }
                Some(Expect::Auth(_)) => {
                    out.push(reply(true, false));
                    self.sasl_awaiting = false;
                    self.gated = false;
                    (Flow::Stop, ServerEvent::Release)
                }
                Some(Expect::Line) | None => {
                    out.push(reply(true, false));
                    nothing
                }
            },
        }
    }
}

/// Decode one SASL response (or initial response) and record what it leaks.
fn sasl_data(sasl: &mut Sasl, text: &[u8], offset: u64, out: &mut Vec<Item>) {
    let text = text.trim_ascii();
    if text == b"*" {
        // The client cancelled the exchange (RFC 5034 §4).
        return;
    }
    let decoded = if text == b"=" {
        Ok(Vec::new())
    } else {
        BASE64.decode(text)
    };
    let Ok(decoded) = decoded else {
        out.push(Item::Undecodable {
            dir: Direction::ClientToServer,
            offset,
            reason: UndecodableReason::SaslNotBase64,
        });
        return;
    };
    match sasl {
        Sasl::Plain => {
            let parts: Vec<&[u8]> = decoded.splitn(3, |&b| b == 0).collect();
            if let [authzid, authcid, password] = parts.as_slice() {
                out.push(Item::Leak(Leak::AuthPlain {
                    authzid: lossy(authzid),
                    authcid: lossy(authcid),
                    password: lossy(password),
                }));
            } else {
                out.push(Item::Undecodable {
                    dir: Direction::ClientToServer,
                    offset,
                    reason: UndecodableReason::AuthPlainShape,
                });
            }
        }
        Sasl::Login { user } => match user {
            None => {
                let name = lossy(&decoded);
                out.push(Item::Leak(Leak::User { name: name.clone() }));
                *user = Some(name);
            }
            Some(name) => out.push(Item::Leak(Leak::AuthLogin {
                user: name.clone(),
                password: lossy(&decoded),
            })),
        },
        Sasl::Other => {}
    }
}

/// Emit a finished multi-line reply, and the headers if it was a message.
fn finish_body(body: Body, out: &mut Vec<Item>) {
    let headers = body.message.then(|| message_headers(&body.kept));
    let text = String::from_utf8(body.kept)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    out.push(Item::Pop3Reply {
        offset: body.offset,
        ok: true,
        continuation: false,
        first_line: body.first_line,
        body_len: Some(body.len),
        body: Some(text),
    });
    if let Some(headers) = headers {
        out.push(Item::Leak(headers));
    }
}

/// From, To and Subject of a message, decoded by mail-parser (encoded
/// words, charsets such as ISO-2022-JP, folded lines).
fn message_headers(raw: &[u8]) -> Leak {
    let parser = mail_parser::MessageParser::default();
    let Some(message) = parser.parse_headers(raw) else {
        return Leak::MessageHeaders {
            from: None,
            to: None,
            subject: None,
        };
    };
    Leak::MessageHeaders {
        from: message.from().map(render_address),
        to: message.to().map(render_address),
        subject: message.subject().map(str::to_string),
    }
}

/// `Name <address>` for each address, comma-separated.
fn render_address(address: &mail_parser::Address<'_>) -> String {
    address
        .iter()
        .filter_map(|a| match (a.name(), a.address()) {
            (Some(name), Some(addr)) => Some(format!("{name} <{addr}>")),
            (None, Some(addr)) => Some(addr.to_string()),
            (Some(name), None) => Some(name.to_string()),
            (None, None) => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}
