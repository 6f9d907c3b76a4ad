//! A small asynchronous POP3 client (RFC 1939, with CAPA from RFC 2449,
//! STLS from RFC 2595 and AUTH from RFC 5034).
//!
//! [`Client`] owns a byte stream and a read buffer, in the style of
//! mini-redis's `Connection`: it writes command lines and parses replies,
//! and it does not care whether the stream is a TCP socket, a TLS session
//! or an in-memory pipe in a test.
//!
//! [`open`] and [`open_unauthenticated`] are the only ways to connect: they
//! take [`ClientSettings`] (transport, login method, whether TLS is
//! required, whom to trust, whether a password may travel in cleartext)
//! and return a [`Session`] that tells what TLS negotiated and which
//! certificates the server showed. The line client, the load generator and
//! the lab all use them; the lab watches each step through an
//! [`Observer`]. The client's checks run before anything secret is sent,
//! and a certificate that fails verification comes back as
//! [`ClientError::Certificate`] with the problem in words.
//!
//! The client trusts nothing the server sends: every line and every
//! multi-line body is bounded, so a hostile or broken server can make a
//! call fail but cannot make it allocate without limit.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio_rustls::TlsConnector;

pub use crate::pop3::auth::apop_timestamp;
use crate::pop3::observe::{OBSERVED_BODY, Observer};
pub use crate::pop3::settings::{
    AuthMethod, ClientSettings, DEFAULT_TIMEOUT, PreparedTls, Transport,
};
use crate::tls::SessionSummary;

/// The longest reply line the client accepts, not counting its line end.
///
/// RFC 1939 limits a reply line to 512 octets, but message data lines
/// are only bounded by RFC 5322's 998 and real mail breaks even that, so
/// the limit is generous while still keeping a single line affordable.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// The largest multi-line body (RETR, TOP, LIST, UIDL, CAPA) the client
/// accepts, after dot-unstuffing and with CRLF line ends.
pub const DEFAULT_MAX_BODY: usize = 512 * 1024 * 1024;

/// How much spare room the read buffer gets before each read. It is large
/// enough that a typical message arrives in a few reads, and small
/// enough that thousands of idle clients stay cheap.
const READ_CHUNK: usize = 8 * 1024;

/// How much room [`Client::read_reply_bounded`] reads into at a time. A
/// streamed body is usually large, and bigger reads mean fewer system
/// calls; the buffer is emptied after every read, so this is also about
/// all the memory the body costs beyond the kept prefix.
const BODY_READ_CHUNK: usize = 64 * 1024;

/// Anything that can carry a POP3 session in both directions.
///
/// This exists only so that [`BoxedStream`] can name "read and write" as
/// one trait object; every `AsyncRead + AsyncWrite` type implements it.
pub trait AsyncReadWrite: AsyncRead + AsyncWrite {}

impl<T: AsyncRead + AsyncWrite + ?Sized> AsyncReadWrite for T {}

/// A connected session over plain TCP or TLS, for callers who do not care
/// which.
pub type BoxedStream = Box<dyn AsyncReadWrite + Unpin + Send>;

/// Everything that can go wrong while talking to a POP3 server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The socket failed (connection refused, reset, ...).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The server closed the connection where a reply was expected.
    #[error("the server closed the connection")]
    Closed,
    /// The server answered `-ERR` where the caller needed `+OK`.
    ///
    /// `command` is only the command's keyword, never its arguments, so
    /// that a failed PASS or APOP does not put a secret into a log.
    #[error("{command}: server replied -ERR {text}")]
    ErrReply {
        command: String,
        text: String,
        code: Option<String>,
    },
    /// The server answered `-ERR` to `USER` (for example because it
    /// refuses cleartext logins), so the client stopped there: `PASS`, and
    /// with it the password, was never sent.
    #[error(
        "the server refused USER (-ERR {text}), so the client stopped before sending the password"
    )]
    UserRefused {
        /// The server's text after `-ERR`.
        text: String,
        /// The response code, such as `AUTH`, if the server sent one.
        code: Option<String>,
    },
    /// A reply line was longer than the client's limit.
    #[error("a reply line is longer than {limit} bytes")]
    LineTooLong { limit: usize },
    /// A multi-line body was larger than the client's limit. The rest of
    /// the body is still unread, so the session cannot be used any more.
    #[error("a multi-line reply is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// The server sent something that is not a POP3 reply.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The caller asked to send a line that would break the framing.
    #[error("refusing to send a command line containing CR, LF or NUL")]
    BadCommand,
    /// AUTH PLAIN in cleartext was asked for, but the server's CAPA does
    /// not list the mechanism (a server refusing cleartext logins leaves it
    /// out), so the credentials were not sent.
    #[error(
        "the server does not offer SASL {mechanism} on this connection (not in its CAPA), so \
         the client stopped before sending the password"
    )]
    SaslNotOffered { mechanism: &'static str },
    /// The TLS handshake failed for a reason other than the server's
    /// certificate (the server sent an alert, no common cipher suite, ...).
    #[error("TLS handshake failed: {0}")]
    Tls(#[source] std::io::Error),
    /// The server's certificate did not pass verification. `problem`
    /// says what is wrong in a learner's words; `rustls` is what rustls
    /// reported, for callers that want to match on it. It is not the
    /// error's `source()`, because its text is rustls's Debug names
    /// ("Other(OtherError(CaUsedAsEndEntity))"), which a printed error
    /// chain must not show.
    #[error("certificate check failed: {problem}")]
    Certificate {
        problem: crate::tls::CertProblem,
        rustls: rustls::Error,
    },
    /// The TLS configuration could not be built (an unreadable CA file,
    /// an empty system store, ...).
    #[error("cannot set up TLS: {0}")]
    TlsConfig(#[from] crate::tls::TlsError),
    /// TLS was required and cannot be had. Nothing secret has been sent
    /// when this is returned.
    #[error("TLS is required, but {0}; no credentials were sent")]
    TlsRequired(String),
    /// The login would put the password on the wire unencrypted, and the
    /// settings forbid that. Nothing was sent.
    #[error(
        "refusing to log in with {method} over an unencrypted connection: it would send \
         the password in cleartext (use STLS or POP3S, or APOP); nothing was sent"
    )]
    CleartextLogin { method: &'static str },
    /// APOP was asked for but the greeting carries no timestamp, which is
    /// how a server says it does not support APOP (RFC 1939 section 7).
    #[error("the server's greeting has no APOP timestamp, so it does not support APOP")]
    NoApopTimestamp,
    /// The server did not answer in time.
    #[error("no answer from the server within {} s", .0.as_secs_f64())]
    Timeout(std::time::Duration),
}

/// One reply from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// True for `+OK`; false for `-ERR` and for a `+ ` continuation.
    pub ok: bool,
    /// True for a SASL continuation (`+ ` followed by a base64 challenge).
    /// It is neither success nor failure: the exchange is not over yet.
    pub continuation: bool,
    /// The text after `+OK`, `-ERR` or `+`, without the separating space
    /// and without the line end. A response code stays in it, so the line
    /// can be shown as the server wrote it.
    pub status_line: String,
    /// The extended response code (RFC 2449, RFC 3206), such as `IN-USE`,
    /// `AUTH` or `SYS/TEMP`, taken from a leading `[...]`.
    pub code: Option<String>,
    /// The data of a multi-line reply: dot-unstuffed, without the final
    /// `.` line, every line ending in CRLF (a bare LF is normalised).
    pub body: Option<Vec<u8>>,
}

impl Reply {
    /// Parses one status line (without its line end).
    fn parse(line: &[u8]) -> Result<Self, ClientError> {
        let (ok, continuation, rest) = if let Some(rest) = line.strip_prefix(b"+OK") {
            (true, false, rest)
        } else if let Some(rest) = line.strip_prefix(b"-ERR") {
            (false, false, rest)
        } else if let Some(rest) = line.strip_prefix(b"+") {
            (false, true, rest)
        } else {
            return Err(ClientError::Protocol(format!(
                "expected +OK, -ERR or +, got {:?}",
                preview(line)
            )));
        };
        // The keyword must stand alone: "+OKAY" is not "+OK" followed by
        // "AY". A continuation needs the same check, which also rejects
        // "+OK" spelled in another case, such as "+ok".
        let text = match rest {
            [] => &[][..],
            [b' ', text @ ..] => text,
            _ => {
                return Err(ClientError::Protocol(format!(
                    "malformed status line {:?}",
                    preview(line)
                )));
            }
        };
        let status_line = String::from_utf8_lossy(text).into_owned();
        let code = if continuation {
            None
        } else {
            response_code(&status_line)
        };
        Ok(Reply {
            ok,
            continuation,
            status_line,
            code,
            body: None,
        })
    }

    /// Turns a reply that is not `+OK` into [`ClientError::ErrReply`].
    ///
    /// `command` should be the command's keyword only (see `ErrReply`).
    pub fn expect_ok(self, command: &str) -> Result<Reply, ClientError> {
        if self.ok {
            Ok(self)
        } else if self.continuation {
            Err(ClientError::Protocol(format!(
                "{command}: unexpected continuation {:?}",
                self.status_line
            )))
        } else {
            Err(ClientError::ErrReply {
                command: command.to_owned(),
                text: self.status_line,
                code: self.code,
            })
        }
    }
}

/// A reply read with [`Client::read_reply_bounded`]: the reply with at
/// most a prefix of its body, and how long the whole body was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedReply {
    /// The reply. For a multi-line `+OK`, [`Reply::body`] holds the first
    /// `keep` bytes of the body (dot-unstuffed, CRLF line ends) and the
    /// rest was read and dropped.
    pub reply: Reply,
    /// The length of the whole body in the same form, for a multi-line
    /// `+OK`; `None` when the reply has no body.
    pub body_len: Option<usize>,
}

impl BoundedReply {
    /// True when part of the body was dropped.
    pub fn truncated(&self) -> bool {
        let kept = self.reply.body.as_ref().map_or(0, Vec::len);
        self.body_len.is_some_and(|len| len > kept)
    }
}

/// Undoes the framing of a multi-line body one piece at a time, however
/// the bytes happen to be split: it drops the stuffed dot at the start of
/// a line, turns every line end into CRLF and finds the terminating `.`
/// line. The result is exactly what the line-by-line reader produces,
/// except that no line is ever held whole, so no line is too long.
///
/// Only what is needed to join pieces is carried from one to the next:
/// whether a line has just started, whether it began with a dot, and
/// whether a CR that may belong to a line end is still pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unstuff {
    /// At the start of a line.
    LineStart,
    /// A line began with `.`: either the terminator or a stuffed dot.
    Dot,
    /// A line began with `.` and a CR: the terminator if LF follows.
    DotCr,
    /// Inside a line.
    InLine,
    /// Inside a line, after a CR that ends the line if LF follows.
    Cr,
}

impl Unstuff {
    /// Feeds `input` and hands the body's bytes to `out`, in order and in
    /// runs as long as possible. Returns how many input bytes were used:
    /// all of them, or up to and including the LF of the terminating line,
    /// which means the body is complete.
    fn feed(&mut self, input: &[u8], mut out: impl FnMut(&[u8])) -> (usize, bool) {
        let mut i = 0;
        while i < input.len() {
            match *self {
                Unstuff::LineStart => match input[i] {
                    b'.' => {
                        *self = Unstuff::Dot;
                        i += 1;
                    }
                    // The line's content is handled in `InLine`, which
                    // also sees an empty line's LF or a leading CR.
                    _ => *self = Unstuff::InLine,
                },
                Unstuff::Dot => match input[i] {
                    b'\n' => {
                        *self = Unstuff::LineStart;
                        return (i + 1, true);
                    }
                    b'\r' => {
                        *self = Unstuff::DotCr;
                        i += 1;
                    }
                    // A stuffed dot: dropped, the rest is ordinary data.
                    _ => *self = Unstuff::InLine,
                },
                Unstuff::DotCr => {
                    if input[i] == b'\n' {
                        *self = Unstuff::LineStart;
                        return (i + 1, true);
                    }
                    // ".\rx" is a stuffed dot before a CR that is data.
                    out(b"\r");
                    *self = Unstuff::InLine;
                }
                Unstuff::Cr => {
                    if input[i] == b'\n' {
                        out(b"\r\n");
                        *self = Unstuff::LineStart;
                        i += 1;
                    } else {
                        // A CR not followed by LF is data.
                        out(b"\r");
                        *self = Unstuff::InLine;
                    }
                }
                Unstuff::InLine => {
                    let rest = &input[i..];
                    match find_lf(rest) {
                        Some(lf) => {
                            // CRLF and a bare LF both end the line; the
                            // body gets CRLF either way.
                            let data = rest[..lf].strip_suffix(b"\r").unwrap_or(&rest[..lf]);
                            out(data);
                            out(b"\r\n");
                            *self = Unstuff::LineStart;
                            i += lf + 1;
                        }
                        None => {
                            // A CR at the very end may be half of a line
                            // end whose LF is in the next piece.
                            match rest.strip_suffix(b"\r") {
                                Some(data) => {
                                    out(data);
                                    *self = Unstuff::Cr;
                                }
                                None => out(rest),
                            }
                            i = input.len();
                        }
                    }
                }
            }
        }
        (i, false)
    }
}

/// The position of the first LF in `bytes`.
///
/// A plain `position` looks at one byte at a time; this looks at eight,
/// with the usual trick for finding a zero byte in a word (after XOR with
/// a word of LFs, an LF is a zero byte). The lowest flagged byte is always
/// a real zero, so the first LF is found exactly. It matters because a
/// streamed body is searched for line ends byte for byte of a 100 MB RETR.
fn find_lf(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LFS: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight) ^ LFS;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = words.remainder();
    tail.iter().position(|&b| b == b'\n').map(|i| at + i)
}

/// Extracts the response code from a status text such as
/// `[IN-USE] maildrop locked`.
fn response_code(text: &str) -> Option<String> {
    let inner = text.strip_prefix('[')?;
    let end = inner.find(']')?;
    let code = &inner[..end];
    (!code.is_empty()).then(|| code.to_owned())
}

/// A short, printable excerpt of a line for error messages, so that a
/// 64 KiB line of garbage does not become a 64 KiB error message.
fn preview(line: &[u8]) -> String {
    let cut = &line[..line.len().min(80)];
    String::from_utf8_lossy(cut).into_owned()
}

/// A POP3 client over any byte stream.
pub struct Client<S> {
    stream: S,
    /// Bytes read from the stream. `buf[pos..]` is not yet consumed.
    buf: Vec<u8>,
    pos: usize,
    max_line: usize,
    max_body: usize,
    /// Told about every line sent and every reply read.
    observer: Option<Arc<dyn Observer>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Wraps a connected stream. Nothing is read until the first call.
    pub fn new(stream: S) -> Self {
        Client {
            stream,
            buf: Vec::new(),
            pos: 0,
            max_line: DEFAULT_MAX_LINE,
            max_body: DEFAULT_MAX_BODY,
            observer: None,
        }
    }

    /// Sets who hears about every line sent and every reply read.
    pub fn with_observer(mut self, observer: Option<Arc<dyn Observer>>) -> Self {
        self.observer = observer;
        self
    }

    /// Tells the observer, if any, that the client refuses to go on, and
    /// hands the error back for the caller to return.
    pub fn refuse(&self, error: ClientError) -> ClientError {
        if let Some(o) = &self.observer {
            o.refused(&error);
        }
        error
    }

    /// Sets the longest accepted line, in bytes, not counting its line end.
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// Sets the largest accepted multi-line body, in bytes.
    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// Gives the stream back, for STLS, where the same socket continues
    /// under TLS.
    ///
    /// Any bytes already read but not yet consumed are dropped on purpose.
    /// RFC 2595 (section 4) requires the client to discard whatever the
    /// server sent after the `+OK` to STLS and before the TLS handshake:
    /// those bytes arrived unprotected, and treating them as part of the
    /// secured session would let a man in the middle inject replies
    /// (the STARTTLS command-injection attacks, CVE-2011-0411 and
    /// relatives). A legitimate server sends nothing there, because in TLS
    /// the client speaks first.
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// The bytes received but not consumed yet.
    pub fn buffered_bytes(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Closes the sending direction: for TLS this sends close_notify, so
    /// the server sees an orderly end instead of a truncated session; for
    /// TCP it sends FIN. Nothing can be sent afterwards.
    pub async fn shutdown(&mut self) -> Result<(), ClientError> {
        self.stream.shutdown().await?;
        Ok(())
    }

    /// How many bytes have been received but not consumed yet. After the
    /// `+OK` to STLS this should be zero; anything else is suspicious.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Reads the server's greeting, the first line of every session.
    ///
    /// A `-ERR` greeting (a server refusing service) is returned as a
    /// reply like any other, so the caller can show it.
    pub async fn greeting(&mut self) -> Result<Reply, ClientError> {
        let reply = self.read_reply(false).await?;
        if reply.continuation {
            return Err(ClientError::Protocol(
                "the greeting is a continuation line".into(),
            ));
        }
        Ok(reply)
    }

    /// Sends one command and reads its reply.
    ///
    /// With `multiline`, a `+OK` reply is followed by data lines up to a
    /// line holding only `.`, which end up in [`Reply::body`]. Whether a
    /// reply is multi-line depends on the command (and for LIST, TOP and
    /// UIDL on whether it has an argument), so the caller must say.
    pub async fn command(&mut self, line: &str, multiline: bool) -> Result<Reply, ClientError> {
        self.send_line(line).await?;
        self.read_reply(multiline).await
    }

    /// Sends one line, adding CRLF, and flushes it.
    ///
    /// A line containing CR, LF or NUL is refused: otherwise a user name
    /// such as `"bob\r\nDELE 1"` would smuggle in a second command.
    pub async fn send_line(&mut self, line: &str) -> Result<(), ClientError> {
        if line.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(ClientError::BadCommand);
        }
        // One buffer and one write, so that the line leaves in a single
        // segment (or TLS record) instead of the text and its CRLF apart.
        if let Some(o) = &self.observer {
            o.sent(&crate::pop3::command::shown_line(line));
        }
        let mut out = Vec::with_capacity(line.len() + 2);
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
        self.stream.write_all(&out).await?;
        self.stream.flush().await?;
        Ok(())
    }

    /// Reads one reply without sending anything: the second half of
    /// [`Client::command`], for pipelining (RFC 2449's PIPELINING) and for
    /// the steps of an AUTH exchange.
    pub async fn read_reply(&mut self, multiline: bool) -> Result<Reply, ClientError> {
        let range = self.read_line().await?;
        let mut reply = Reply::parse(&self.buf[range])?;
        if multiline && reply.ok {
            reply.body = Some(self.read_body().await?);
        }
        if let Some(o) = &self.observer {
            // The observer sees a bounded prefix, as if the body had been
            // read with `read_reply_bounded`; the copy is only made here.
            let body_len = reply.body.as_ref().map(Vec::len);
            let shown = Reply {
                body: reply
                    .body
                    .as_ref()
                    .map(|b| b[..b.len().min(OBSERVED_BODY)].to_vec()),
                ..reply.clone()
            };
            o.received(&BoundedReply {
                reply: shown,
                body_len,
            });
        }
        Ok(reply)
    }

    /// Like [`Client::read_reply`], but keeps at most the first `keep`
    /// bytes of a multi-line body and only counts the rest.
    ///
    /// The body is read and unstuffed one read at a time and never held
    /// whole, so a 100 MB RETR costs `keep` bytes plus one read buffer,
    /// and no single line of it can be too long. The limit set with
    /// [`Client::with_max_body`] does not apply here, because nothing
    /// beyond `keep` is kept. Whatever follows the terminating line
    /// (a pipelined reply) stays buffered for the next call.
    pub async fn read_reply_bounded(
        &mut self,
        multiline: bool,
        keep: usize,
    ) -> Result<BoundedReply, ClientError> {
        let range = self.read_line().await?;
        let mut reply = Reply::parse(&self.buf[range])?;
        let mut body_len = None;
        if multiline && reply.ok {
            let (kept, len) = self.read_body_bounded(keep).await?;
            reply.body = Some(kept);
            body_len = Some(len);
        }
        let bounded = BoundedReply { reply, body_len };
        if let Some(o) = &self.observer {
            o.received(&bounded);
        }
        Ok(bounded)
    }

    /// Reads a multi-line body up to its terminating line, keeping its
    /// first `keep` bytes and returning them with the whole length.
    async fn read_body_bounded(&mut self, keep: usize) -> Result<(Vec<u8>, usize), ClientError> {
        let mut kept = Vec::new();
        let mut len = 0usize;
        let mut state = Unstuff::LineStart;
        loop {
            let (used, done) = state.feed(&self.buf[self.pos..], |data| {
                len = len.saturating_add(data.len());
                let take = &data[..data.len().min(keep.saturating_sub(kept.len()))];
                if take.len() > kept.capacity() - kept.len() {
                    // Grow by doubling as usual, but never past `keep`,
                    // so the prefix costs at most what was asked for.
                    let want = (kept.capacity() * 2).max(kept.len() + take.len()).min(keep);
                    kept.reserve_exact(want - kept.len());
                }
                kept.extend_from_slice(take);
            });
            self.pos += used;
            if done {
                return Ok((kept, len));
            }
            // Everything buffered has been used, so the buffer can start
            // over empty: it never holds more than one read.
            self.buf.clear();
            self.pos = 0;
            self.buf.reserve(BODY_READ_CHUNK);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(ClientError::Closed);
            }
        }
    }

    /// Sends CAPA and returns the capability lines (RFC 2449), such as
    /// `TOP`, `UIDL`, `STLS` or `SASL PLAIN`.
    pub async fn capa(&mut self) -> Result<Vec<String>, ClientError> {
        let reply = self.command("CAPA", true).await?.expect_ok("CAPA")?;
        Ok(capabilities(&reply.body.unwrap_or_default()))
    }

    /// Reads data lines up to the terminating `.` and undoes the
    /// byte-stuffing of RFC 1939 section 3: a line that starts with `.`
    /// had one more `.` put in front of it by the server.
    async fn read_body(&mut self) -> Result<Vec<u8>, ClientError> {
        let mut body = Vec::new();
        loop {
            let range = self.read_line().await?;
            let line = &self.buf[range];
            let data = match line {
                b"." => return Ok(body),
                [b'.', rest @ ..] => rest,
                _ => line,
            };
            if body.len() + data.len() + 2 > self.max_body {
                return Err(ClientError::BodyTooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
    }

    /// Returns the next line as a range of `self.buf`, without its line
    /// end, reading from the stream as needed. The range stays valid until
    /// the next call.
    async fn read_line(&mut self) -> Result<Range<usize>, ClientError> {
        // Where to resume looking for LF, so that a line arriving one byte
        // at a time is not scanned again from its start after every read.
        let mut scanned = self.pos;
        loop {
            if let Some(i) = self.buf[scanned..].iter().position(|&b| b == b'\n') {
                let lf = scanned + i;
                let start = self.pos;
                // CRLF is the standard line end; a bare LF is accepted too,
                // because being lenient here costs nothing.
                let end = if lf > start && self.buf[lf - 1] == b'\r' {
                    lf - 1
                } else {
                    lf
                };
                if end - start > self.max_line {
                    return Err(ClientError::LineTooLong {
                        limit: self.max_line,
                    });
                }
                self.pos = lf + 1;
                return Ok(start..end);
            }
            // No line end yet. The one extra byte is room for a CR whose LF
            // has not arrived.
            if self.buf.len() - self.pos > self.max_line + 1 {
                return Err(ClientError::LineTooLong {
                    limit: self.max_line,
                });
            }
            // Drop the consumed bytes before reading more, so the buffer
            // never holds more than about one line plus one read.
            if self.pos > 0 {
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            scanned = self.buf.len();
            self.buf.reserve(READ_CHUNK);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(ClientError::Closed);
            }
        }
    }
}

/// The capability lines of a CAPA reply's body (RFC 2449), such as `TOP`,
/// `STLS` or `SASL PLAIN`, without trailing blanks or empty lines.
pub fn capabilities(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Whether capability lines announce `name` (`STLS`, say), in any case.
pub fn offers(caps: &[String], name: &str) -> bool {
    caps.iter().any(|c| c.eq_ignore_ascii_case(name))
}

/// Whether capability lines list the SASL mechanism `mech` (RFC 5034 §3:
/// `SASL PLAIN ...`).
pub fn offers_sasl(caps: &[String], mech: &str) -> bool {
    caps.iter().any(|c| {
        let mut words = c.split_ascii_whitespace();
        words.next().is_some_and(|w| w.eq_ignore_ascii_case("SASL"))
            && words.any(|m| m.eq_ignore_ascii_case(mech))
    })
}

/// The APOP digest (the server side computes it the same way).
pub use crate::pop3::auth::apop_digest;

/// Whether `PASS` may follow the server's answer to `USER`: only after
/// `+OK`. Every client path that sends USER/PASS asks this one function
/// (the lab's too), so a server's refusal, such as
/// `-ERR [AUTH] cleartext login is disabled`, always keeps the password
/// off the wire.
pub fn pass_may_follow(user_reply: &Reply) -> Result<(), ClientError> {
    if user_reply.ok {
        return Ok(());
    }
    if user_reply.continuation {
        return Err(ClientError::Protocol(format!(
            "USER: unexpected continuation {:?}",
            user_reply.status_line
        )));
    }
    Err(ClientError::UserRefused {
        text: user_reply.status_line.clone(),
        code: user_reply.code.clone(),
    })
}

/// Logs in with USER and PASS (RFC 1939 section 7). If the server refuses
/// USER, the password is not sent ([`ClientError::UserRefused`]).
pub async fn login_user_pass<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    user: &str,
    password: &str,
) -> Result<(), ClientError> {
    let reply = client.command(&format!("USER {user}"), false).await?;
    pass_may_follow(&reply).map_err(|e| match e {
        // A refusal is the client's decision; a garbled answer is not.
        e @ ClientError::UserRefused { .. } => client.refuse(e),
        other => other,
    })?;
    client
        .command(&format!("PASS {password}"), false)
        .await?
        .expect_ok("PASS")?;
    Ok(())
}

/// Logs in with APOP, given the timestamp from the greeting.
pub async fn login_apop<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    user: &str,
    password: &str,
    timestamp: &str,
) -> Result<(), ClientError> {
    let digest = apop_digest(timestamp, password);
    client
        .command(&format!("APOP {user} {digest}"), false)
        .await?
        .expect_ok("APOP")?;
    Ok(())
}

/// The AUTH PLAIN credentials (RFC 4616): authzid NUL authcid NUL password,
/// in base64. An empty authzid means "act as the user who authenticates".
fn plain_response(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

/// Logs in with AUTH PLAIN, the credentials as the initial response on the
/// AUTH line itself (RFC 5034 section 4), which is how [`Session::login`]
/// and the lab's lessons show it. The server cannot refuse the mechanism
/// before the password is on the wire, so in cleartext [`Session::login`]
/// asks CAPA first.
pub async fn login_auth_plain_initial<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    user: &str,
    password: &str,
) -> Result<(), ClientError> {
    let line = format!("AUTH PLAIN {}", plain_response(user, password));
    client.command(&line, false).await?.expect_ok("AUTH")?;
    Ok(())
}

/// Logs in with AUTH PLAIN (RFC 5034 with RFC 4616), waiting for the
/// server's `+ ` continuation before sending the credentials, which shows
/// the whole SASL exchange rather than the initial-response shortcut.
pub async fn login_auth_plain<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    user: &str,
    password: &str,
) -> Result<(), ClientError> {
    let reply = client.command("AUTH PLAIN", false).await?;
    if !reply.continuation {
        // A -ERR (mechanism not supported) becomes ErrReply; a +OK here
        // would mean the server logged us in without credentials.
        reply.expect_ok("AUTH")?;
        return Err(ClientError::Protocol(
            "AUTH PLAIN succeeded before credentials were sent".into(),
        ));
    }
    client.send_line(&plain_response(user, password)).await?;
    client.read_reply(false).await?.expect_ok("AUTH")?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Sessions the way a mail client opens them
// ---------------------------------------------------------------------------

/// What the TLS handshake of a session established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// Version, cipher suite, key-exchange group and the SNI sent.
    pub summary: SessionSummary,
    /// The certificates the server presented, leaf first, as DER.
    pub peer_certificates: Vec<Vec<u8>>,
    /// True when the session was upgraded with STLS, false for POP3S.
    pub stls: bool,
}

impl TlsInfo {
    fn of(conn: &rustls::ClientConnection, name: &ServerName<'_>, stls: bool) -> Self {
        let mut summary = SessionSummary::of_client(conn);
        // rustls sends SNI for DNS names only (RFC 6066 forbids literal
        // addresses there), and does not report what it sent, so the name
        // is filled in here by the same rule.
        if let ServerName::DnsName(dns) = name {
            summary.sni = Some(dns.as_ref().to_owned());
        }
        let peer_certificates = conn
            .peer_certificates()
            .map(|chain| chain.iter().map(|der| der.to_vec()).collect())
            .unwrap_or_default();
        TlsInfo {
            summary,
            peer_certificates,
            stls,
        }
    }
}

/// An open POP3 session, before or after login, as [`open`] and
/// [`open_unauthenticated`] return it.
///
/// `client` is public so that any command can be sent once logged in; the
/// security-relevant state (TLS, the login policy) is kept private so that
/// it always describes the connection truthfully.
pub struct Session {
    /// The connection; send commands with [`Client::command`].
    pub client: Client<BoxedStream>,
    /// The greeting, as the server sent it.
    pub greeting: Reply,
    /// The APOP timestamp from the greeting, if the server offered one.
    pub timestamp: Option<String>,
    /// The capabilities from the last CAPA, if one was sent (STLS sends
    /// one before and one after the upgrade; only the second is kept,
    /// since RFC 2595 says anything learnt in cleartext must be forgotten).
    pub capabilities: Option<Vec<String>>,
    tls: Option<TlsInfo>,
    tls_config: Option<PreparedTls>,
    trust: crate::tls::Trust,
    server_name: ServerName<'static>,
    allow_cleartext_login: bool,
    keep_buffer_across_stls: bool,
    observer: Option<Arc<dyn Observer>>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("greeting", &self.greeting.status_line)
            .field("tls", &self.tls)
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// What the TLS handshake established; `None` on an unencrypted session.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// The negotiated version, suite and group; `None` without TLS.
    pub fn tls_summary(&self) -> Option<&SessionSummary> {
        self.tls.as_ref().map(|t| &t.summary)
    }

    /// The server's certificate chain (DER, leaf first); empty without TLS.
    pub fn peer_certificates(&self) -> &[Vec<u8>] {
        self.tls.as_ref().map_or(&[], |t| &t.peer_certificates)
    }

    /// True once the session runs over TLS.
    pub fn is_encrypted(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether the settings allow sending a password on this session as it
    /// is now: always over TLS, and without TLS only if cleartext logins
    /// were allowed.
    pub fn may_send_password(&self) -> bool {
        self.is_encrypted() || self.allow_cleartext_login
    }

    /// The name the certificate is checked against.
    pub fn server_name(&self) -> &ServerName<'static> {
        &self.server_name
    }

    /// Upgrades the session to TLS with STLS (RFC 2595), then sends CAPA
    /// again and keeps only that answer. Returns the server's `+OK` to STLS.
    ///
    /// The server's `-ERR` comes back as [`ClientError::ErrReply`] and
    /// leaves the session usable in cleartext. Any other error, a failed
    /// handshake included, leaves the session unusable: the connection is
    /// then in an unknown state and must be dropped.
    pub async fn stls(&mut self) -> Result<Reply, ClientError> {
        within(self.timeout, self.stls_inner()).await
    }

    async fn stls_inner(&mut self) -> Result<Reply, ClientError> {
        if self.tls.is_some() {
            return Err(ClientError::Protocol(
                "STLS on a session that already runs over TLS".into(),
            ));
        }
        let prepared = self.tls_config()?;
        let ok = self
            .client
            .command("STLS", false)
            .await?
            .expect_ok("STLS")?;
        // A server never sends anything between its +OK and the handshake
        // (in TLS the client speaks first); an attacker injecting replies
        // does. RFC 2595 section 4 says to discard those bytes, which
        // happens when the plain client is taken apart below; only the
        // lab's deliberately vulnerable mode keeps them.
        let leftover = self.client.buffered_bytes().to_vec();
        let keep = self.keep_buffer_across_stls;
        if !leftover.is_empty() {
            tracing::warn!(
                bytes = leftover.len(),
                kept = keep,
                "data the server sent between +OK to STLS and the handshake"
            );
            if let Some(o) = &self.observer {
                o.stls_leftover(&leftover, keep);
            }
        }
        // The plain client has to be taken apart to wrap its stream, so a
        // dead placeholder stands in for it until the handshake is done.
        let plain = std::mem::replace(&mut self.client, dead_client());
        let (stream, info) = handshake(
            &prepared,
            &self.server_name,
            plain.into_inner(),
            true,
            self.observer.as_deref(),
        )
        .await?;
        self.tls = Some(info);
        self.client = Client::new(stream).with_observer(self.observer.clone());
        if keep {
            self.client.buf = leftover;
        }
        self.capabilities = None;
        self.capabilities = capa_if_supported(&mut self.client).await?;
        Ok(ok)
    }

    /// Logs in with `method`, after checking the client's own rules: no
    /// password in cleartext unless allowed, APOP only when the greeting
    /// carried a timestamp, and AUTH PLAIN in cleartext only when CAPA
    /// lists it. When a rule says no, nothing secret is sent (for the
    /// first two, nothing at all).
    pub async fn login(
        &mut self,
        method: AuthMethod,
        user: &str,
        password: &str,
    ) -> Result<(), ClientError> {
        if method.sends_password() && !self.may_send_password() {
            return Err(self.client.refuse(ClientError::CleartextLogin {
                method: method.name(),
            }));
        }
        let timeout = self.timeout;
        match method {
            AuthMethod::UserPass => {
                within(timeout, login_user_pass(&mut self.client, user, password)).await
            }
            AuthMethod::Apop => {
                let Some(stamp) = self.timestamp.clone() else {
                    return Err(self.client.refuse(ClientError::NoApopTimestamp));
                };
                within(
                    timeout,
                    login_apop(&mut self.client, user, password, &stamp),
                )
                .await
            }
            AuthMethod::AuthPlain => within(timeout, self.login_auth_plain(user, password)).await,
        }
    }

    /// AUTH PLAIN with the credentials on the AUTH line. That line carries
    /// the password before the server can say whether it takes PLAIN at
    /// all, so without TLS the client first asks CAPA and sends nothing
    /// secret unless PLAIN is among the SASL mechanisms (RFC 5034 §3); a
    /// server refusing cleartext logins does not list it.
    async fn login_auth_plain(&mut self, user: &str, password: &str) -> Result<(), ClientError> {
        if !self.is_encrypted() {
            let caps = capa_if_supported(&mut self.client).await?;
            let offered = caps.as_deref().is_some_and(|c| offers_sasl(c, "PLAIN"));
            self.capabilities = caps;
            if !offered {
                return Err(self
                    .client
                    .refuse(ClientError::SaslNotOffered { mechanism: "PLAIN" }));
            }
        }
        login_auth_plain_initial(&mut self.client, user, password).await
    }

    /// Sends QUIT, reads the server's answer and closes the connection.
    /// After a login this is what makes the server apply the DELE marks.
    pub async fn quit(&mut self) -> Result<Reply, ClientError> {
        let reply = within(self.timeout, self.client.command("QUIT", false)).await?;
        // The server closes after its answer anyway; a failure to close
        // our side cleanly changes nothing for the caller.
        let _ = self.close().await;
        Ok(reply)
    }

    /// Closes the connection without QUIT (TLS close_notify, then FIN). The
    /// server then ends the session without entering the UPDATE state, so
    /// DELE marks are forgotten, which is what RFC 1939 prescribes for a
    /// connection that ends without QUIT.
    pub async fn close(&mut self) -> Result<(), ClientError> {
        within(self.timeout, self.client.shutdown()).await
    }

    /// The rustls configuration for this session: the caller's, or one
    /// built from the trust setting on first use and kept, so that a plain
    /// session only reads a CA file if it is actually upgraded.
    fn tls_config(&mut self) -> Result<PreparedTls, ClientError> {
        if let Some(prepared) = &self.tls_config {
            return Ok(prepared.clone());
        }
        let prepared = build_tls(&self.trust)?;
        self.tls_config = Some(prepared.clone());
        Ok(prepared)
    }
}

/// A TLS configuration for `trust` that records the chain it is shown, so
/// that a refused certificate is reported with its issuer's name.
fn build_tls(trust: &crate::tls::Trust) -> Result<PreparedTls, ClientError> {
    let (config, presented) = crate::tls::client_config_recording(trust, true, None)?;
    Ok(PreparedTls {
        config,
        presented: Some(presented),
    })
}

/// Runs the TLS handshake over `stream` and reports the outcome to the
/// observer: what was established, or why it failed (with the untrusted
/// leaf's issuer when the configuration recorded the chain).
async fn handshake<IO>(
    prepared: &PreparedTls,
    name: &ServerName<'static>,
    stream: IO,
    stls: bool,
    observer: Option<&dyn Observer>,
) -> Result<(BoxedStream, TlsInfo), ClientError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match TlsConnector::from(prepared.config.clone())
        .connect(name.clone(), stream)
        .await
    {
        Ok(tls) => {
            let info = TlsInfo::of(tls.get_ref().1, name, stls);
            if let Some(o) = observer {
                o.tls_established(&info);
            }
            Ok((Box::new(tls) as BoxedStream, info))
        }
        Err(e) => {
            let mut error = handshake_error(e, name);
            if let ClientError::Certificate { problem, .. } = &mut error
                && let Some(leaf) = prepared
                    .presented
                    .as_ref()
                    .and_then(|p| p.chain().into_iter().next())
            {
                let issuer = crate::wire::tls::summarize_certificate(&leaf).issuer;
                *problem = problem.clone().with_issuer(issuer);
            }
            if let Some(o) = observer {
                o.tls_failed(&error);
            }
            Err(error)
        }
    }
}

/// Opens a session the way a mail client does and logs in: connects with
/// `settings.transport`, secures the session, then logs in with
/// `settings.auth`.
///
/// Nothing secret is sent before the client's checks pass: with
/// `require_tls` a server that does not offer STLS ends the attempt after
/// CAPA ([`ClientError::TlsRequired`]); without TLS and without
/// `allow_cleartext_login`, USER/PASS and AUTH PLAIN are refused before
/// even the user name is sent ([`ClientError::CleartextLogin`]). A
/// certificate that fails verification is reported as
/// [`ClientError::Certificate`], naming the problem.
pub async fn open(
    addr: impl ToSocketAddrs,
    settings: &ClientSettings,
    user: &str,
    password: &str,
) -> Result<Session, ClientError> {
    // A plain session can never satisfy the policy, so say so before
    // touching the network.
    if settings.transport == Transport::Plain
        && settings.auth.sends_password()
        && !settings.allow_cleartext_login
    {
        let error = ClientError::CleartextLogin {
            method: settings.auth.name(),
        };
        if let Some(o) = &settings.observer {
            o.refused(&error);
        }
        return Err(error);
    }
    let work = async {
        let mut session = open_inner(addr, settings).await?;
        // The timeout covers the whole of `open`, so the login must not
        // start a clock of its own.
        let timeout = session.timeout.take();
        session.login(settings.auth, user, password).await?;
        session.timeout = timeout;
        Ok(session)
    };
    within(settings.timeout, work).await
}

/// Like [`open`] but stops before the login, for a user who wants to type
/// USER and PASS (or anything else) by hand, and for the lab, which logs in
/// when the learner asks. The rules about TLS apply all the same, and
/// [`Session::login`] applies the cleartext rule later.
pub async fn open_unauthenticated(
    addr: impl ToSocketAddrs,
    settings: &ClientSettings,
) -> Result<Session, ClientError> {
    within(settings.timeout, open_inner(addr, settings)).await
}

async fn open_inner(
    addr: impl ToSocketAddrs,
    settings: &ClientSettings,
) -> Result<Session, ClientError> {
    let observer = settings.observer.clone();
    let refuse = |error: ClientError| {
        if let Some(o) = &observer {
            o.refused(&error);
        }
        error
    };
    if settings.require_tls && settings.transport == Transport::Plain {
        return Err(refuse(ClientError::TlsRequired(
            "the transport is plain TCP (choose STLS or POP3S)".into(),
        )));
    }
    // Build the TLS configuration before connecting, so that an unreadable
    // CA file is reported without a connection being made first.
    let tls_config = match (&settings.tls, settings.transport) {
        (Some(prepared), _) => Some(prepared.clone()),
        (None, Transport::Plain) => None,
        (None, Transport::Stls | Transport::Implicit) => Some(build_tls(&settings.trust)?),
    };
    let tcp = connect_tcp(addr, settings.transport, observer.as_deref()).await?;
    // Small request/response exchanges gain nothing from Nagle's
    // algorithm, which would only add delay, notably when TLS splits a
    // write.
    tcp.set_nodelay(true)?;
    let name = settings.server_name.clone();

    let (stream, tls) = match (settings.transport, &tls_config) {
        (Transport::Implicit, Some(prepared)) => {
            let (stream, info) =
                handshake(prepared, &name, tcp, false, observer.as_deref()).await?;
            (stream, Some(info))
        }
        _ => (Box::new(tcp) as BoxedStream, None),
    };
    let mut client = Client::new(stream).with_observer(observer.clone());
    let greeting = client.greeting().await?.expect_ok("greeting")?;
    let timestamp = apop_timestamp(&greeting.status_line).map(str::to_owned);
    let mut session = Session {
        client,
        greeting,
        timestamp,
        capabilities: None,
        tls,
        tls_config,
        trust: settings.trust.clone(),
        server_name: name,
        allow_cleartext_login: settings.allow_cleartext_login,
        keep_buffer_across_stls: settings.keep_buffer_across_stls,
        observer: observer.clone(),
        // `open_unauthenticated` and `open` time the whole opening
        // themselves; the session's own timeout is for the calls the
        // caller makes afterwards.
        timeout: None,
    };
    if settings.transport == Transport::Stls {
        session.capabilities = capa_if_supported(&mut session.client).await?;
        let offers_stls = session
            .capabilities
            .as_deref()
            .is_some_and(|caps| offers(caps, "STLS"));
        if offers_stls {
            session.stls_inner().await?;
        } else if settings.require_tls {
            let error = refuse(ClientError::TlsRequired(
                "the server does not offer STLS".into(),
            ));
            // Drop the connection politely; the answer does not matter.
            let _ = session.client.command("QUIT", false).await;
            return Err(error);
        } else {
            // Opportunistic STLS: carry on in cleartext. This is exactly
            // what an attacker who deletes "STLS" from the CAPA answer
            // wants, which is why `require_tls` exists and why the login
            // policy is checked against the session as it really is.
            tracing::warn!("the server does not offer STLS; the session stays unencrypted");
            if let Some(o) = &observer {
                o.stays_cleartext();
            }
        }
    }
    session.timeout = settings.timeout;
    Ok(session)
}

/// Connects to the first address of `addr` that answers, telling the
/// observer before each attempt (as `TcpStream::connect` would, it tries
/// every address the name resolves to and reports the last error).
async fn connect_tcp(
    addr: impl ToSocketAddrs,
    transport: Transport,
    observer: Option<&dyn Observer>,
) -> Result<TcpStream, ClientError> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        if let Some(o) = observer {
            o.connecting(addr, transport);
        }
        match TcpStream::connect(addr).await {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = Some(e),
        }
    }
    Err(ClientError::Io(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolves to nothing",
        )
    })))
}

/// Sends CAPA and returns the list, or `None` if the server answers `-ERR`
/// (a server without CAPA, RFC 1939 only).
async fn capa_if_supported(
    client: &mut Client<BoxedStream>,
) -> Result<Option<Vec<String>>, ClientError> {
    match client.capa().await {
        Ok(caps) => Ok(Some(caps)),
        Err(ClientError::ErrReply { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A client whose stream reads nothing and discards writes: the stand-in
/// while [`Session::stls`] rebuilds the real one. If the upgrade fails the
/// session keeps it, and every later command then fails with
/// [`ClientError::Closed`] instead of talking to a half-upgraded socket.
fn dead_client() -> Client<BoxedStream> {
    Client::new(Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink())) as BoxedStream)
}

/// Runs `work` with an optional time limit.
async fn within<T>(
    limit: Option<Duration>,
    work: impl std::future::Future<Output = Result<T, ClientError>>,
) -> Result<T, ClientError> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, work)
            .await
            .unwrap_or(Err(ClientError::Timeout(limit))),
        None => work.await,
    }
}

/// Turns a failed handshake into an error that says what is wrong.
///
/// tokio-rustls hands back rustls's error wrapped in an `io::Error`; a
/// certificate problem becomes [`ClientError::Certificate`] with the
/// problem in words, anything else stays [`ClientError::Tls`].
pub(crate) fn handshake_error(err: std::io::Error, name: &ServerName<'_>) -> ClientError {
    let certificate = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|e| Some((crate::tls::CertProblem::from_rustls(e, name)?, e.clone())));
    match certificate {
        Some((problem, rustls)) => ClientError::Certificate { problem, rustls },
        None => ClientError::Tls(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tokio::io::{AsyncBufReadExt as _, BufReader, DuplexStream};

    /// The server half of a scripted conversation: it reads the client's
    /// lines and writes canned replies.
    struct FakeServer<T = DuplexStream> {
        io: BufReader<T>,
    }

    impl<T: AsyncRead + AsyncWrite + Unpin> FakeServer<T> {
        async fn send(&mut self, data: &[u8]) {
            self.io.get_mut().write_all(data).await.unwrap();
        }

        async fn expect(&mut self, line: &str) {
            let mut got = String::new();
            self.io.read_line(&mut got).await.unwrap();
            assert_eq!(got, format!("{line}\r\n"));
        }
    }

    fn pair() -> (Client<DuplexStream>, FakeServer) {
        pair_with_capacity(4096)
    }

    /// A client and a fake server joined by a pipe that holds at most
    /// `capacity` bytes in flight.
    fn pair_with_capacity(capacity: usize) -> (Client<DuplexStream>, FakeServer) {
        let (a, b) = tokio::io::duplex(capacity);
        (
            Client::new(a),
            FakeServer {
                io: BufReader::new(b),
            },
        )
    }

    #[test]
    fn capability_lines_are_read_one_way() {
        let caps = capabilities(b"TOP\r\nsasl  Login PLAIN\r\n\r\n stls \r\n");
        assert_eq!(caps, ["TOP", "sasl  Login PLAIN", "stls"]);
        assert!(offers(&caps, "STLS"));
        assert!(!offers(&caps, "UIDL"));
        assert!(offers_sasl(&caps, "PLAIN"));
        assert!(!offers_sasl(&caps, "CRAM-MD5"));
        assert!(!offers_sasl(&["PLAIN".to_string()], "PLAIN"));
    }

    #[tokio::test]
    async fn greeting_with_apop_timestamp() {
        let (mut client, mut server) = pair();
        server
            .send(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
            .await;
        let reply = client.greeting().await.unwrap();
        assert!(reply.ok);
        assert!(!reply.continuation);
        assert_eq!(
            reply.status_line,
            "POP3 server ready <1896.697170952@dbc.mtview.ca.us>"
        );
        assert_eq!(reply.code, None);
        assert_eq!(reply.body, None);
        assert_eq!(
            apop_timestamp(&reply.status_line),
            Some("<1896.697170952@dbc.mtview.ca.us>")
        );
        assert_eq!(apop_timestamp("ready <no at sign>"), None);
        assert_eq!(apop_timestamp("Dovecot ready."), None);
    }

    #[tokio::test]
    async fn multiline_reply_is_unstuffed() {
        let (mut client, mut server) = pair();
        let task = tokio::spawn(async move {
            server.expect("RETR 1").await;
            server
                .send(b"+OK 20 octets\r\nSubject: x\r\n\r\n..x\r\n..\r\n...\r\nend\r\n.\r\n")
                .await;
            server
        });
        let reply = client.command("RETR 1", true).await.unwrap();
        assert!(reply.ok);
        assert_eq!(reply.status_line, "20 octets");
        assert_eq!(
            reply.body.as_deref(),
            Some(&b"Subject: x\r\n\r\n.x\r\n.\r\n..\r\nend\r\n"[..])
        );
        task.await.unwrap();
    }

    #[tokio::test]
    async fn multiline_err_has_no_body() {
        let (mut client, mut server) = pair();
        server.send(b"-ERR no such message\r\n+OK next\r\n").await;
        let reply = client.read_reply(true).await.unwrap();
        assert!(!reply.ok);
        assert_eq!(reply.body, None);
        // The line after the -ERR is a new reply, not a body.
        assert_eq!(client.read_reply(false).await.unwrap().status_line, "next");
    }

    #[tokio::test]
    async fn reply_split_into_single_bytes() {
        // A one-byte pipe guarantees that every read returns one byte, so
        // the reply really arrives in pieces.
        let (mut client, mut server) = pair_with_capacity(1);
        let task = tokio::spawn(async move {
            for &b in b"+OK 2 messages\r\nline one\r\n..two\r\n.\r\n" {
                server.send(&[b]).await;
                tokio::task::yield_now().await;
            }
            server
        });
        let reply = client.read_reply(true).await.unwrap();
        assert_eq!(reply.status_line, "2 messages");
        assert_eq!(reply.body.as_deref(), Some(&b"line one\r\n.two\r\n"[..]));
        task.await.unwrap();
    }

    /// Bodies with every awkward case of the framing: stuffed dots, a
    /// dot line that is not the terminator, bare LFs, CRs that are data,
    /// empty lines, and bytes after the terminator.
    const TRICKY: &[&[u8]] = &[
        b"+OK\r\n.\r\n",
        b"+OK\r\n\r\n.\r\n",
        b"+OK 3\r\nabc\r\n..\r\n...x\r\n.\r\n+OK next\r\n",
        b"+OK\nbare\n..dot\n\n.\n",
        b"+OK\r\na\rb\r\r\n.\rx\r\n.\r\r\n\r\r\n.\r\n",
        b"+OK\r\n.x\r\n..\r\n\r\n.\r\nnot body\r\n",
    ];

    /// Runs `Unstuff` over the body part of `reply` cut into `pieces`
    /// (split points), returning the output and the bytes it consumed.
    fn unstuff_in_pieces(body: &[u8], cuts: &[usize]) -> (Vec<u8>, usize) {
        let mut state = Unstuff::LineStart;
        let mut out = Vec::new();
        let mut start = 0;
        for &end in cuts.iter().chain([&body.len()]) {
            let (used, done) = state.feed(&body[start..end], |d| out.extend_from_slice(d));
            if done {
                return (out, start + used);
            }
            assert_eq!(used, end - start, "a piece without the end is used whole");
            start = end;
        }
        panic!("no terminator found in {body:?}");
    }

    #[test]
    fn find_lf_finds_the_first_one() {
        // Every position in and around a word, with look-alike bytes (0x0a
        // plus or minus one, and 0x8a) around it and a second LF after it.
        let mut hay = Vec::new();
        for len in 0..40 {
            for lf in 0..=len {
                hay.clear();
                hay.extend((0..len).map(|i| [0x09, 0x0b, 0x8a, b'x'][i % 4]));
                if lf < len {
                    hay[lf] = b'\n';
                    if lf + 3 < len {
                        hay[lf + 3] = b'\n';
                    }
                }
                let want = hay.iter().position(|&b| b == b'\n');
                assert_eq!(find_lf(&hay), want, "{hay:?}");
            }
        }
    }

    #[tokio::test]
    async fn unstuffing_in_pieces_matches_the_line_reader() {
        for &raw in TRICKY {
            // The line reader on the whole input is the reference.
            let (mut client, mut server) = pair();
            server.send(raw).await;
            let reference = client.read_reply(true).await.unwrap();
            let expected = reference.body.unwrap();
            let status_end = raw.iter().position(|&b| b == b'\n').unwrap() + 1;
            let body = &raw[status_end..];
            let expected_used = body.len() - client.buffered();
            // Every single cut, and every byte on its own.
            for cut in 0..=body.len() {
                let got = unstuff_in_pieces(body, &[cut]);
                assert_eq!(
                    got,
                    (expected.clone(), expected_used),
                    "{raw:?} cut at {cut}"
                );
            }
            let every: Vec<usize> = (1..body.len()).collect();
            assert_eq!(
                unstuff_in_pieces(body, &every),
                (expected.clone(), expected_used),
                "{raw:?} byte by byte"
            );
        }
    }

    #[tokio::test]
    async fn bounded_reply_keeps_a_prefix_and_counts_the_rest() {
        let (mut client, mut server) = pair();
        server
            .send(b"+OK 40 octets\r\n..one\r\ntwo\r\n...three\r\n.\r\n+OK next\r\n")
            .await;
        let got = client.read_reply_bounded(true, 9).await.unwrap();
        assert!(got.reply.ok);
        assert_eq!(got.reply.status_line, "40 octets");
        // The whole body is ".one\r\ntwo\r\n..three\r\n", 20 bytes.
        assert_eq!(got.reply.body.as_deref(), Some(&b".one\r\ntwo"[..]));
        assert_eq!(got.body_len, Some(20));
        assert!(got.truncated());
        // The pipelined reply after the terminator is still there.
        assert_eq!(client.read_reply(false).await.unwrap().status_line, "next");
    }

    #[tokio::test]
    async fn bounded_reply_without_a_body() {
        let (mut client, mut server) = pair();
        server.send(b"-ERR no such message\r\n+OK 1 2\r\n").await;
        let err = client.read_reply_bounded(true, 10).await.unwrap();
        assert!(!err.reply.ok);
        assert_eq!((err.reply.body, err.body_len), (None, None));
        let single = client.read_reply_bounded(false, 10).await.unwrap();
        assert_eq!(single.reply.status_line, "1 2");
        assert_eq!(single.body_len, None);
        assert!(!single.truncated());
    }

    #[tokio::test]
    async fn bounded_reply_split_into_single_bytes() {
        // Every read returns one byte, so the terminator ".\r\n" and the
        // CRLF before it arrive in separate reads.
        let (mut client, mut server) = pair_with_capacity(1);
        let task = tokio::spawn(async move {
            for &b in b"+OK\r\nab\r\n..\r\n.\r\n+OK after\r\n" {
                server.send(&[b]).await;
                tokio::task::yield_now().await;
            }
            server
        });
        let got = client.read_reply_bounded(true, 1024).await.unwrap();
        assert_eq!(got.reply.body.as_deref(), Some(&b"ab\r\n.\r\n"[..]));
        assert_eq!(got.body_len, Some(7));
        assert!(!got.truncated());
        assert_eq!(client.read_reply(false).await.unwrap().status_line, "after");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn bounded_reply_holds_no_more_than_it_keeps() {
        // 8 MiB of body in 1000-byte lines, and a single line of 1 MiB,
        // far above the line limit, which a streamed body does not need.
        let (client, mut server) = pair_with_capacity(64 * 1024);
        let mut client = client.with_max_line(1024).with_max_body(1024);
        let line = [b'x'; 998];
        let lines = 8 * 1024;
        let task = tokio::spawn(async move {
            server.send(b"+OK\r\n").await;
            for _ in 0..lines {
                server.send(&line).await;
                server.send(b"\r\n").await;
            }
            for _ in 0..1024 {
                server.send(&[b'y'; 1024]).await;
            }
            server.send(b"\r\n.\r\n").await;
            server
        });
        let keep = 10_000;
        let got = client.read_reply_bounded(true, keep).await.unwrap();
        let body = got.reply.body.unwrap();
        assert_eq!(got.body_len, Some(lines * 1000 + 1024 * 1024 + 2));
        assert_eq!(body.len(), keep);
        assert!(body.capacity() <= keep, "capacity {}", body.capacity());
        assert_eq!(&body[..1000], &[&line[..], b"\r\n"].concat()[..]);
        assert!(
            client.buf.capacity() <= 2 * BODY_READ_CHUNK,
            "the read buffer grew to {}",
            client.buf.capacity()
        );
        task.await.unwrap();
    }

    #[tokio::test]
    async fn bare_lf_is_accepted_and_normalised() {
        let (mut client, mut server) = pair();
        server.send(b"+OK\nabc\n.\n").await;
        let reply = client.read_reply(true).await.unwrap();
        assert!(reply.ok);
        assert_eq!(reply.status_line, "");
        assert_eq!(reply.body.as_deref(), Some(&b"abc\r\n"[..]));
    }

    #[tokio::test]
    async fn err_with_response_code() {
        let (mut client, mut server) = pair();
        server
            .send(b"-ERR [IN-USE] maildrop already locked\r\n-ERR [SYS/TEMP] try later\r\n")
            .await;
        let reply = client.read_reply(false).await.unwrap();
        assert!(!reply.ok);
        assert_eq!(reply.code.as_deref(), Some("IN-USE"));
        assert_eq!(reply.status_line, "[IN-USE] maildrop already locked");
        match reply.expect_ok("PASS") {
            Err(ClientError::ErrReply { command, code, .. }) => {
                assert_eq!(command, "PASS");
                assert_eq!(code.as_deref(), Some("IN-USE"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let reply = client.read_reply(false).await.unwrap();
        assert_eq!(reply.code.as_deref(), Some("SYS/TEMP"));
    }

    #[tokio::test]
    async fn auth_plain_uses_the_continuation() {
        let (mut client, mut server) = pair();
        let task = tokio::spawn(async move {
            server.expect("AUTH PLAIN").await;
            server.send(b"+ \r\n").await;
            // base64("\0alice\0wonderland")
            server.expect("AGFsaWNlAHdvbmRlcmxhbmQ=").await;
            server.send(b"+OK maildrop locked and ready\r\n").await;
            server
        });
        login_auth_plain(&mut client, "alice", "wonderland")
            .await
            .unwrap();
        task.await.unwrap();
    }

    #[tokio::test]
    async fn continuation_is_neither_ok_nor_err() {
        let (mut client, mut server) = pair();
        server.send(b"+ Y2hhbGxlbmdl\r\n+\r\n").await;
        let reply = client.read_reply(true).await.unwrap();
        assert!(reply.continuation);
        assert!(!reply.ok);
        assert_eq!(reply.status_line, "Y2hhbGxlbmdl");
        assert_eq!(reply.body, None);
        let reply = client.read_reply(false).await.unwrap();
        assert!(reply.continuation);
        assert_eq!(reply.status_line, "");
    }

    #[tokio::test]
    async fn user_pass_and_apop_logins() {
        let (mut client, mut server) = pair();
        let task = tokio::spawn(async move {
            server.expect("USER alice").await;
            server.send(b"+OK\r\n").await;
            server.expect("PASS wonderland").await;
            server.send(b"-ERR [AUTH] invalid password\r\n").await;
            server
                .expect("APOP mrose c4c9334bac560ecc979e58001b3e22fb")
                .await;
            server.send(b"+OK maildrop has 1 message\r\n").await;
            server
        });
        let err = login_user_pass(&mut client, "alice", "wonderland")
            .await
            .unwrap_err();
        // The error names the command but must not leak the password.
        let text = err.to_string();
        assert!(text.starts_with("PASS:"), "{text}");
        assert!(!text.contains("wonderland"), "{text}");
        login_apop(
            &mut client,
            "mrose",
            "tanstaaf",
            "<1896.697170952@dbc.mtview.ca.us>",
        )
        .await
        .unwrap();
        task.await.unwrap();
    }

    #[tokio::test]
    async fn pipelined_commands() {
        let (mut client, mut server) = pair();
        let task = tokio::spawn(async move {
            server.expect("STAT").await;
            server.expect("LIST").await;
            server.expect("NOOP").await;
            server
                .send(b"+OK 2 320\r\n+OK\r\n1 120\r\n2 200\r\n.\r\n+OK\r\n")
                .await;
            server
        });
        for line in ["STAT", "LIST", "NOOP"] {
            client.send_line(line).await.unwrap();
        }
        assert_eq!(client.read_reply(false).await.unwrap().status_line, "2 320");
        let list = client.read_reply(true).await.unwrap();
        assert_eq!(list.body.as_deref(), Some(&b"1 120\r\n2 200\r\n"[..]));
        assert!(client.read_reply(false).await.unwrap().ok);
        task.await.unwrap();
    }

    #[test]
    fn apop_digest_matches_rfc_1939() {
        assert_eq!(
            apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
    }

    #[tokio::test]
    async fn line_too_long() {
        let (client, mut server) = pair();
        let mut client = client.with_max_line(100);
        let task = tokio::spawn(async move {
            // No line end at all: the client must give up without
            // waiting for one.
            let _ = server.io.get_mut().write_all(&[b'A'; 1000]).await;
            server
        });
        assert!(matches!(
            client.read_reply(false).await,
            Err(ClientError::LineTooLong { limit: 100 })
        ));
        drop(client);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn line_at_the_limit_is_fine() {
        let (client, mut server) = pair();
        let mut client = client.with_max_line(10);
        server.send(b"+OK 456789\r\n-ERR 4567890\r\n").await;
        assert!(client.read_reply(false).await.unwrap().ok);
        assert!(matches!(
            client.read_reply(false).await,
            Err(ClientError::LineTooLong { limit: 10 })
        ));
    }

    #[tokio::test]
    async fn body_too_large() {
        let (client, mut server) = pair();
        let mut client = client.with_max_body(10);
        server.send(b"+OK\r\n12345\r\n67890\r\n.\r\n").await;
        assert!(matches!(
            client.read_reply(true).await,
            Err(ClientError::BodyTooLarge { limit: 10 })
        ));
    }

    #[tokio::test]
    async fn closed_and_garbage() {
        let (mut client, mut server) = pair();
        server
            .send(b"HTTP/1.1 400 Bad Request\r\n+OK half a line")
            .await;
        assert!(matches!(
            client.read_reply(false).await,
            Err(ClientError::Protocol(_))
        ));
        drop(server);
        assert!(matches!(
            client.read_reply(false).await,
            Err(ClientError::Closed)
        ));
    }

    #[tokio::test]
    async fn malformed_status_words() {
        let (mut client, mut server) = pair();
        server.send(b"+OKAY\r\n-ERROR\r\n").await;
        assert!(matches!(
            client.read_reply(false).await,
            Err(ClientError::Protocol(_))
        ));
        assert!(matches!(
            client.read_reply(false).await,
            Err(ClientError::Protocol(_))
        ));
    }

    #[tokio::test]
    async fn refuses_to_send_line_breaks() {
        let (mut client, _server) = pair();
        assert!(matches!(
            client.send_line("USER bob\r\nDELE 1").await,
            Err(ClientError::BadCommand)
        ));
    }

    #[tokio::test]
    async fn into_inner_discards_bytes_after_stls_ok() {
        let (mut client, mut server) = pair();
        let task = tokio::spawn(async move {
            server.expect("STLS").await;
            // An attacker appends a forged reply to the +OK; it must not
            // be read as if it came after the handshake.
            server.send(b"+OK Begin TLS\r\n+OK forged\r\n").await;
            server.expect("NOOP").await;
            server.send(b"+OK genuine\r\n").await;
            server
        });
        assert!(client.command("STLS", false).await.unwrap().ok);
        assert_eq!(client.buffered(), "+OK forged\r\n".len());
        let mut client = Client::new(client.into_inner());
        let reply = client.command("NOOP", false).await.unwrap();
        assert_eq!(reply.status_line, "genuine");
        task.await.unwrap();
    }

    /// A CA-less self-signed certificate for "localhost" and the matching
    /// configs, for the tests that run a real TLS handshake.
    fn tls_pair() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let der = cert.cert.der().clone();
        let key = rustls_pki_types::PrivateKeyDer::Pkcs8(
            rustls_pki_types::PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()),
        );
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![der.clone()], key)
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(der).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        (Arc::new(server), Arc::new(client))
    }

    /// Settings for the scripted servers below, which present a
    /// certificate for "localhost".
    fn settings(transport: Transport, config: Arc<rustls::ClientConfig>) -> ClientSettings {
        let name = ServerName::try_from("localhost").unwrap();
        ClientSettings::with_tls_config(transport, Some(config), name)
    }

    /// Walks `open_unauthenticated` through a whole STLS upgrade against a
    /// scripted server on a real socket.
    #[tokio::test]
    async fn connect_with_stls() {
        let (server_config, client_config) = tls_pair();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut plain = FakeServer {
                io: BufReader::new(tcp),
            };
            plain.send(b"+OK ready <1.2@test>\r\n").await;
            plain.expect("CAPA").await;
            plain.send(b"+OK\r\nUSER\r\nSTLS\r\n.\r\n").await;
            plain.expect("STLS").await;
            plain.send(b"+OK Begin TLS negotiation\r\n").await;
            let tcp = plain.io.into_inner();
            let tls = tokio_rustls::TlsAcceptor::from(server_config)
                .accept(tcp)
                .await
                .unwrap();
            let mut secure = BufReader::new(tls);
            let mut line = String::new();
            secure.read_line(&mut line).await.unwrap();
            assert_eq!(line, "CAPA\r\n");
            secure
                .get_mut()
                .write_all(b"+OK\r\nUSER\r\n.\r\n")
                .await
                .unwrap();
            line.clear();
            secure.read_line(&mut line).await.unwrap();
            assert_eq!(line, "QUIT\r\n");
            secure.get_mut().write_all(b"+OK bye\r\n").await.unwrap();
            secure.get_mut().flush().await.unwrap();
        });
        let mut session = open_unauthenticated(addr, &settings(Transport::Stls, client_config))
            .await
            .unwrap();
        assert_eq!(session.timestamp.as_deref(), Some("<1.2@test>"));
        assert!(session.is_encrypted());
        let bye = session.client.command("QUIT", false).await.unwrap();
        assert_eq!(bye.status_line, "bye");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn connect_refuses_stls_when_not_offered() {
        let (_, client_config) = tls_pair();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut plain = FakeServer {
                io: BufReader::new(tcp),
            };
            plain.send(b"+OK ready\r\n").await;
            plain.expect("CAPA").await;
            plain.send(b"+OK\r\nUSER\r\n.\r\n").await;
        });
        let result = open_unauthenticated(addr, &settings(Transport::Stls, client_config)).await;
        assert!(
            matches!(&result, Err(ClientError::TlsRequired(why)) if why.contains("STLS")),
            "{result:?}"
        );
        task.await.unwrap();
    }

    #[tokio::test]
    async fn connect_implicit_tls() {
        let (server_config, client_config) = tls_pair();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = tokio_rustls::TlsAcceptor::from(server_config)
                .accept(tcp)
                .await
                .unwrap();
            tls.write_all(b"+OK POP3S ready\r\n").await.unwrap();
            tls.flush().await.unwrap();
            // Wait for the client to hang up so the reply is not cut off.
            let mut sink = Vec::new();
            let _ = tls.read_to_end(&mut sink).await;
        });
        let session = open_unauthenticated(addr, &settings(Transport::Implicit, client_config))
            .await
            .unwrap();
        assert_eq!(session.timestamp, None);
        assert_eq!(session.greeting.status_line, "POP3S ready");
        drop(session);
        task.await.unwrap();
    }

    /// Records what a session tells its observer, one line per call.
    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<String>>);

    impl Recorder {
        fn push(&self, line: String) {
            self.0.lock().unwrap().push(line);
        }
        fn lines(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    impl Observer for Recorder {
        fn connecting(&self, _addr: SocketAddr, transport: Transport) {
            self.push(format!("connecting {transport}"));
        }
        fn sent(&self, shown: &str) {
            self.push(format!("sent {shown}"));
        }
        fn received(&self, reply: &BoundedReply) {
            let status = if reply.reply.ok { "+OK" } else { "-ERR" };
            self.push(format!("received {status} {}", reply.reply.status_line));
        }
        fn tls_established(&self, info: &TlsInfo) {
            self.push(format!("tls sni={:?}", info.summary.sni));
        }
        fn refused(&self, error: &ClientError) {
            self.push(format!("refused {error}"));
        }
        fn stls_leftover(&self, bytes: &[u8], kept: bool) {
            let text = String::from_utf8_lossy(bytes);
            self.push(format!("leftover {text:?} kept={kept}"));
        }
    }

    /// A server (or a man in the middle) answers STLS with `+OK` and a
    /// forged reply in the same write, then does a real TLS handshake.
    /// Returns what the observer heard and the reply the client read for
    /// its first command inside TLS (the CAPA that STLS sends).
    async fn stls_injection(keep: bool) -> (Vec<String>, Reply) {
        let (server_config, client_config) = tls_pair();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut plain = FakeServer {
                io: BufReader::new(tcp),
            };
            plain.send(b"+OK ready\r\n").await;
            plain.expect("CAPA").await;
            plain.send(b"+OK\r\nSTLS\r\n.\r\n").await;
            plain.expect("STLS").await;
            plain.send(b"+OK\r\n+OK forged\r\n").await;
            let tls = tokio_rustls::TlsAcceptor::from(server_config)
                .accept(plain.io.into_inner())
                .await
                .unwrap();
            let mut secure = FakeServer {
                io: BufReader::new(tls),
            };
            secure.expect("CAPA").await;
            secure.send(b"+OK genuine\r\nUSER\r\n.\r\n").await;
            secure.io.get_mut().flush().await.unwrap();
            // Wait for the client to hang up so nothing is cut off.
            let mut sink = Vec::new();
            let _ = secure.io.read_to_end(&mut sink).await;
        });
        let recorder = Arc::new(Recorder::default());
        let mut s = settings(Transport::Stls, client_config);
        s.keep_buffer_across_stls = keep;
        s.observer = Some(recorder.clone());
        let session = open_unauthenticated(addr, &s).await.unwrap();
        drop(session);
        task.await.unwrap();
        let lines = recorder.lines();
        // The reply to CAPA under TLS is the last one received.
        let last = lines
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("received "))
            .unwrap()
            .to_owned();
        let reply = Reply::parse(last.as_bytes()).unwrap();
        (lines, reply)
    }

    #[tokio::test]
    async fn a_careful_client_discards_what_follows_ok_to_stls() {
        let (lines, reply) = stls_injection(false).await;
        assert!(
            lines.contains(&r#"leftover "+OK forged\r\n" kept=false"#.to_owned()),
            "{lines:#?}"
        );
        assert_eq!(reply.status_line, "genuine", "{lines:#?}");
        assert!(
            !lines.iter().any(|l| l == "received +OK forged"),
            "{lines:#?}"
        );
    }

    #[tokio::test]
    async fn a_vulnerable_client_reads_the_forged_reply_inside_tls() {
        let (lines, reply) = stls_injection(true).await;
        assert!(
            lines.contains(&r#"leftover "+OK forged\r\n" kept=true"#.to_owned()),
            "{lines:#?}"
        );
        // The forged line answers the first command sent under TLS.
        assert_eq!(reply.status_line, "forged", "{lines:#?}");
        let tls_at = lines.iter().position(|l| l.starts_with("tls ")).unwrap();
        let forged_at = lines.iter().position(|l| l == "received +OK forged");
        assert!(forged_at.is_some_and(|at| at > tls_at), "{lines:#?}");
    }

    #[tokio::test]
    async fn the_observer_hears_the_session_in_order_with_secrets_masked() {
        let (mut client, mut server) = pair();
        let recorder = Arc::new(Recorder::default());
        client = client.with_observer(Some(recorder.clone()));
        let task = tokio::spawn(async move {
            server.expect("USER alice").await;
            server
                .send(b"-ERR [AUTH] cleartext login is disabled\r\n")
                .await;
            server.expect("PASS wonderland").await;
            server.send(b"-ERR no\r\n").await;
            server
        });
        let err = login_user_pass(&mut client, "alice", "wonderland")
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::UserRefused { .. }), "{err:?}");
        // Typed by hand, PASS is still masked for the observer.
        client.command("PASS wonderland", false).await.unwrap();
        task.await.unwrap();
        let lines = recorder.lines();
        assert_eq!(
            lines,
            [
                "sent USER alice",
                "received -ERR [AUTH] cleartext login is disabled",
                "refused the server refused USER (-ERR [AUTH] cleartext login is disabled), so \
                 the client stopped before sending the password",
                "sent PASS ********",
                "received -ERR no",
            ]
        );
    }
}
