//! A small asynchronous POP3 client (RFC 1939, with CAPA from RFC 2449,
//! STLS from RFC 2595 and AUTH from RFC 5034).
//!
//! [`Client`] owns a byte stream and a read buffer, in the style of
//! mini-redis's `Connection`: it writes command lines and parses replies,
//! and it does not care whether the stream is a TCP socket, a TLS session
//! or an in-memory pipe in a test. [`connect`] builds on it to open a real
//! session over plain TCP, STLS or implicit TLS (POP3S).
//!
//! The client trusts nothing the server sends: every line and every
//! multi-line body is bounded, so a hostile or broken server can make a
//! call fail but cannot make it allocate without limit.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;

use base64::Engine as _;
use md5::{Digest as _, Md5};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

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

/// Anything that can carry a POP3 session in both directions.
///
/// This exists only so that [`BoxedStream`] can name "read and write" as
/// one trait object; every `AsyncRead + AsyncWrite` type implements it.
pub trait AsyncReadWrite: AsyncRead + AsyncWrite {}

impl<T: AsyncRead + AsyncWrite + ?Sized> AsyncReadWrite for T {}

/// A connected session over plain TCP or TLS, for callers who do not care
/// which.
pub type BoxedStream = Box<dyn AsyncReadWrite + Unpin + Send>;

/// How [`connect`] secures the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain TCP; passwords cross the wire in the clear.
    Plain,
    /// Plain TCP upgraded in band with STLS (RFC 2595), usually port 110.
    Stls,
    /// TLS from the first byte (POP3S), usually port 995.
    Implicit,
}

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
    /// The server does not list STLS in its CAPA reply.
    #[error("the server does not offer STLS")]
    NoStls,
    /// A TLS transport was asked for without a TLS configuration.
    #[error("TLS was requested but no TLS configuration was given")]
    NoTlsConfig,
    /// The TLS handshake failed (bad certificate, wrong name, ...).
    #[error("TLS handshake failed: {0}")]
    Tls(#[source] std::io::Error),
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
        }
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
        Ok(reply)
    }

    /// Sends CAPA and returns the capability lines (RFC 2449), such as
    /// `TOP`, `UIDL`, `STLS` or `SASL PLAIN`.
    pub async fn capa(&mut self) -> Result<Vec<String>, ClientError> {
        let reply = self.command("CAPA", true).await?.expect_ok("CAPA")?;
        let body = reply.body.unwrap_or_default();
        Ok(String::from_utf8_lossy(&body)
            .lines()
            .map(|l| l.trim_end().to_owned())
            .filter(|l| !l.is_empty())
            .collect())
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

/// Extracts the APOP timestamp, such as `<1896.697170952@dbc.mtview.ca.us>`,
/// from a greeting's status text. Only a server that supports APOP puts
/// one there (RFC 1939 section 7).
pub fn apop_timestamp(greeting: &str) -> Option<&str> {
    let start = greeting.find('<')?;
    let len = greeting[start..].find('>')?;
    let stamp = &greeting[start..=start + len];
    // RFC 1939 asks for the syntax of a msg-id, which always has an "@";
    // requiring it keeps ordinary text in angle brackets from being taken
    // for a timestamp.
    stamp.contains('@').then_some(stamp)
}

/// The APOP digest: MD5 of the timestamp followed by the shared secret,
/// as lowercase hex (RFC 1939 section 7).
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(timestamp.as_bytes());
    md5.update(secret.as_bytes());
    hex::encode(md5.finalize())
}

/// Logs in with USER and PASS (RFC 1939 section 7).
pub async fn login_user_pass<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    user: &str,
    password: &str,
) -> Result<(), ClientError> {
    client
        .command(&format!("USER {user}"), false)
        .await?
        .expect_ok("USER")?;
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
    // The PLAIN message is authzid NUL authcid NUL password; an empty
    // authzid means "act as the user who authenticates".
    let message = format!("\0{user}\0{password}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(message);
    client.send_line(&encoded).await?;
    client.read_reply(false).await?.expect_ok("AUTH")?;
    Ok(())
}

/// Connects, reads the greeting and secures the session as asked.
///
/// With [`Transport::Stls`] it sends CAPA and requires STLS in the answer,
/// sends STLS, does the handshake and then sends CAPA again, because RFC
/// 2595 says capabilities learnt before TLS must be forgotten (a man in
/// the middle could have edited them). With [`Transport::Implicit`] the
/// handshake comes before the greeting.
///
/// Returns the client and the APOP timestamp from the greeting, if any.
/// A `-ERR` greeting becomes [`ClientError::ErrReply`].
pub async fn connect(
    addr: SocketAddr,
    transport: Transport,
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
) -> Result<(Client<BoxedStream>, Option<String>), ClientError> {
    if transport != Transport::Plain && tls.is_none() {
        return Err(ClientError::NoTlsConfig);
    }
    let tcp = TcpStream::connect(addr).await?;
    // Commands are small and each waits for its reply, so Nagle's
    // algorithm would only add delay, notably when TLS splits a write.
    tcp.set_nodelay(true)?;

    match (transport, tls) {
        (Transport::Plain, _) => {
            let mut client = Client::new(Box::new(tcp) as BoxedStream);
            let stamp = read_greeting(&mut client).await?;
            Ok((client, stamp))
        }
        (Transport::Implicit, Some((config, name))) => {
            let stream = TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(ClientError::Tls)?;
            let mut client = Client::new(Box::new(stream) as BoxedStream);
            let stamp = read_greeting(&mut client).await?;
            Ok((client, stamp))
        }
        (Transport::Stls, Some((config, name))) => {
            let mut plain = Client::new(tcp);
            let stamp = read_greeting(&mut plain).await?;
            // A server without CAPA (it answers -ERR) cannot announce STLS
            // either, so both cases end the same way.
            let offers_stls = match plain.capa().await {
                Ok(caps) => caps.iter().any(|c| c.eq_ignore_ascii_case("STLS")),
                Err(ClientError::ErrReply { .. }) => false,
                Err(e) => return Err(e),
            };
            if !offers_stls {
                return Err(ClientError::NoStls);
            }
            plain.command("STLS", false).await?.expect_ok("STLS")?;
            // Whatever else is buffered arrived in the clear and is
            // dropped here; see `into_inner`.
            let tcp = plain.into_inner();
            let stream = TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(ClientError::Tls)?;
            let mut client = Client::new(Box::new(stream) as BoxedStream);
            client.capa().await?;
            // There is no second greeting, so the timestamp from the first
            // one stays the one to use for APOP.
            Ok((client, stamp))
        }
        (Transport::Stls | Transport::Implicit, None) => Err(ClientError::NoTlsConfig),
    }
}

/// Reads the greeting, insists on `+OK` and returns its APOP timestamp.
async fn read_greeting<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
) -> Result<Option<String>, ClientError> {
    let greeting = client.greeting().await?.expect_ok("greeting")?;
    Ok(apop_timestamp(&greeting.status_line).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
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

    /// Walks `connect` through a whole STLS upgrade against a scripted
    /// server on a real socket.
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
        let name = ServerName::try_from("localhost").unwrap();
        let (mut client, stamp) = connect(addr, Transport::Stls, Some((client_config, name)))
            .await
            .unwrap();
        assert_eq!(stamp.as_deref(), Some("<1.2@test>"));
        let bye = client.command("QUIT", false).await.unwrap();
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
        let name = ServerName::try_from("localhost").unwrap();
        let result = connect(addr, Transport::Stls, Some((client_config, name))).await;
        assert!(matches!(result, Err(ClientError::NoStls)));
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
        let name = ServerName::try_from("localhost").unwrap();
        let (client, stamp) = connect(addr, Transport::Implicit, Some((client_config, name)))
            .await
            .unwrap();
        assert_eq!(stamp, None);
        drop(client);
        task.await.unwrap();
    }
}
