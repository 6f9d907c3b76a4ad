//! The tap: a TCP relay on loopback between client and server, and the
//! eavesdropper's only source of truth.
//!
//! Every chunk that crosses is forwarded at once, unchanged and with its
//! boundaries kept (one read, one write), then reported as a [`TapEvent`].
//! The relay loop in [`relay`] is the one place bytes pass: an active
//! attacker (see `attack`) is an [`Intercept`] that drives the same loop
//! with a [`Transform`] of its own, never a second relay.
//! The [`Gate`] lets a teacher pause the wire and let chunks through one at
//! a time.
//!
//! Memory is bounded: each connection keeps at most `capture_limit` bytes
//! in the events it emits; past that a chunk is reported with its length
//! and an empty body, so a 100 MB RETR does not grow the capture.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::Direction;

/// What the tap saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapEvent {
    /// A client connected and the tap reached the server for it.
    Opened {
        /// The tap's number for this connection.
        conn: u64,
        /// The client's address.
        client: SocketAddr,
        /// The server the tap relays to.
        server: SocketAddr,
        /// When, since the tap started.
        at: Duration,
    },
    /// One chunk crossed the wire.
    Chunk(Chunk),
    /// One direction ended (the sender closed or an error occurred).
    Closed {
        /// The connection.
        conn: u64,
        /// Which direction ended.
        dir: Direction,
        /// When.
        at: Duration,
        /// Why.
        reason: CloseReason,
    },
    /// What an active attacker did or learned on a connection.
    Attack {
        /// The connection.
        conn: u64,
        /// When.
        at: Duration,
        /// What.
        note: AttackNote,
    },
    /// The tap could not reach the server for a client.
    Failed {
        /// The connection.
        conn: u64,
        /// What went wrong.
        reason: String,
    },
}

/// Why one direction of a tapped connection ended, as a value; worded per
/// language by `lab::describe::close_reason`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloseReason {
    /// The sender closed its side.
    Closed,
    /// A TLS peer closed its socket without a close_notify: common, and
    /// not an error worth more words.
    NoCloseNotify,
    /// Reading from the sender failed.
    ReadError {
        /// The system's words.
        message: String,
    },
    /// Writing to the receiver failed.
    WriteError {
        /// The system's words.
        message: String,
    },
    /// The other direction failed, which ends this one too.
    OtherSideFailed {
        /// The side that failed.
        side: crate::lab::Side,
    },
    /// The man in the middle could not go on (no certificate to present,
    /// or its own TLS to the server failed).
    AttackerGaveUp,
    /// The client refused the attacker's certificate.
    ClientRefusedAttacker,
    /// A TCP reset ended the connection (seen in a capture).
    Reset,
    /// The capture ended before the connection did.
    CaptureEnded,
}

/// One chunk as it crossed: one read on one side, one write on the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The connection.
    pub conn: u64,
    /// Which way it went.
    pub dir: Direction,
    /// When it crossed, since the tap started (monotonic clock).
    pub at: Duration,
    /// Its offset in this direction's byte stream.
    pub offset: u64,
    /// How many bytes crossed.
    pub len: usize,
    /// The bytes, or fewer (none) once the capture limit is reached.
    pub bytes: Vec<u8>,
}

impl Chunk {
    /// Bytes that crossed but were not kept ("N bytes not kept").
    pub fn not_kept(&self) -> usize {
        self.len - self.bytes.len()
    }
}

/// Whether chunks flow freely or wait for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateMode {
    /// Everything flows.
    Open,
    /// Chunks wait; `allowed` more may pass.
    Paused {
        /// How many chunks may still pass before the wire stops again.
        allowed: u64,
    },
}

/// Pause, step and resume the wire. Cloning gives another handle to the
/// same gate.
#[derive(Debug, Clone)]
pub struct Gate {
    tx: Arc<watch::Sender<GateMode>>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            tx: Arc::new(watch::channel(GateMode::Open).0),
        }
    }
}

impl Gate {
    /// Let everything through.
    pub fn open(&self) {
        self.tx.send_replace(GateMode::Open);
    }

    /// Stop the wire: chunks wait until a step or `open`.
    pub fn pause(&self) {
        self.tx.send_replace(GateMode::Paused { allowed: 0 });
    }

    /// Let one more chunk through while paused.
    pub fn step(&self) {
        self.tx.send_modify(|m| {
            if let GateMode::Paused { allowed } = m {
                *allowed += 1;
            }
        });
    }

    /// The current mode.
    pub fn mode(&self) -> GateMode {
        *self.tx.borrow()
    }

    /// Wait until one chunk may pass, and take its place.
    async fn pass(&self) {
        let mut rx = self.tx.subscribe();
        loop {
            let mut took = false;
            self.tx.send_if_modified(|m| match m {
                GateMode::Open => {
                    took = true;
                    false
                }
                GateMode::Paused { allowed } if *allowed > 0 => {
                    *allowed -= 1;
                    took = true;
                    true
                }
                GateMode::Paused { .. } => false,
            });
            if took {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

/// How a tap is set up.
#[derive(Debug, Clone)]
pub struct TapConfig {
    /// Where clients connect (port 0 picks one).
    pub listen: SocketAddr,
    /// The server to relay to.
    pub upstream: SocketAddr,
    /// Bytes kept in events per connection and direction.
    pub capture_limit: u64,
}

/// A bound tap.
pub struct Tap {
    listener: TcpListener,
    config: TapConfig,
    gate: Gate,
    intercept: Option<Arc<dyn Intercept>>,
    /// The next connection number. Taps that share one (the workshop's two
    /// listeners) number their connections in one sequence, so a number
    /// names one connection in a merged event stream.
    next: Arc<AtomicU64>,
}

const CHUNK: usize = 16 * 1024;

impl Tap {
    /// Bind the listening side.
    pub async fn bind(config: TapConfig) -> std::io::Result<Tap> {
        let listener = crate::net::listen(config.listen)?;
        Ok(Tap {
            listener,
            config,
            gate: Gate::default(),
            intercept: None,
            next: Arc::new(AtomicU64::new(1)),
        })
    }

    /// Number this tap's connections from `next`, a counter other taps
    /// may share (each takes the next number when it accepts a client).
    pub fn numbering(mut self, next: Arc<AtomicU64>) -> Tap {
        self.next = next;
        self
    }

    /// Where clients should connect.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The gate of this tap's wire.
    pub fn gate(&self) -> Gate {
        self.gate.clone()
    }

    /// Relay connections until the task is dropped, reporting to `events`.
    /// If the receiver goes away the relay goes on; only reporting stops.
    pub async fn run(self, events: mpsc::UnboundedSender<TapEvent>) {
        self.run_since(events, Instant::now()).await
    }

    /// Put an active attacker on this tap: every connection is handed to
    /// `intercept` instead of the passive relay.
    pub fn intercept(mut self, intercept: Arc<dyn Intercept>) -> Tap {
        self.intercept = Some(intercept);
        self
    }

    /// As [`run`](Self::run), with event times measured from `start` (the
    /// lab's clock, so wire and endpoint events can be put in one order).
    pub async fn run_since(self, events: mpsc::UnboundedSender<TapEvent>, start: Instant) {
        loop {
            let Ok((client, peer)) = self.listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let conn = self.next.fetch_add(1, Ordering::Relaxed);
            let upstream = self.config.upstream;
            let limit = self.config.capture_limit;
            let gate = self.gate.clone();
            let events = events.clone();
            let intercept = self.intercept.clone();
            tokio::spawn(async move {
                let server = match TcpStream::connect(upstream).await {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = events.send(TapEvent::Failed {
                            conn,
                            reason: format!("cannot reach {upstream}: {e}"),
                        });
                        return;
                    }
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                if let Some(i) = &intercept {
                    i.opening(conn);
                }
                let _ = events.send(TapEvent::Opened {
                    conn,
                    client: peer,
                    server: upstream,
                    at: start.elapsed(),
                });
                let wire = Wire::new(conn, limit, gate, events, start);
                match intercept {
                    Some(attacker) => attacker.run(wire, client, server).await,
                    None => {
                        let (mut client, mut server) = (client, server);
                        relay(&wire, &mut client, &mut server, &mut Pass, Report::Wire).await;
                    }
                }
            });
        }
    }
}

/// Why an active attacker took a line out of the stream, as a value;
/// `lab::describe` words it in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// The server offered STLS in its CAPA reply; without the line the
    /// client believes the server cannot do TLS.
    StlsInCapa,
}

/// Who issued the certificate the man in the middle presented.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Issuer {
    /// A CA known by its name (the attacker's own).
    Named {
        /// The CA's name.
        name: String,
    },
    /// The lab's demo CA, which the client trusts: the decoy certificate
    /// is genuine, only issued for another name.
    LabCa,
}

/// Why the man in the middle could not go on to the server, as a value;
/// worded per language by `lab::describe`. The program's own reasons are
/// variants; rustls's and the system's words stay text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UpstreamFailure {
    /// The attacker has neither a forging CA nor a decoy certificate.
    NoCertificate,
    /// Making a certificate for the name the client asked for failed.
    CannotForge {
        /// The name the client asked for.
        name: String,
        /// The certificate library's words.
        message: String,
    },
    /// The attacker's own TLS to the server failed.
    Tls {
        /// rustls's or the system's words.
        message: String,
    },
}

/// What an active attacker did or learned, reported in wire order beside
/// the chunks. The words for each live in `lab::describe`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttackNote {
    /// A line was taken out of what one side sent before passing it on.
    Removed {
        /// Which way the line was going.
        dir: Direction,
        /// The line, without its line end (lossy UTF-8).
        line: String,
        /// Why the attacker removed it.
        why: Removal,
    },
    /// The attacker answered a line itself instead of passing it on.
    Answered {
        /// The line it kept from the server.
        line: String,
        /// Its own answer, without the line end.
        answer: String,
    },
    /// Bytes the attacker added to one direction.
    Injected {
        /// Which way they went.
        dir: Direction,
        /// What was added, lossy UTF-8.
        text: String,
    },
    /// The attacker showed the client a certificate of its own.
    Presented {
        /// The name the certificate was made for.
        name: String,
        /// Its issuer.
        issuer: Issuer,
    },
    /// The client refused the attacker's TLS (its certificate check
    /// failed, most often).
    ClientRefused {
        /// Why: the client's certificate alert, or the handshake error.
        refusal: crate::tls::Refusal,
    },
    /// The attacker's own TLS to the real server is up.
    UpstreamTls {
        /// The version it negotiated.
        version: String,
        /// The cipher suite.
        suite: String,
    },
    /// The attacker could not complete its own TLS to the server.
    UpstreamFailed {
        /// Why.
        reason: UpstreamFailure,
    },
    /// Plaintext the attacker read inside TLS it terminated.
    Read {
        /// Which way it was going.
        dir: Direction,
        /// The bytes (at most the capture limit per connection); hex in
        /// JSON, like a chunk's.
        #[serde(serialize_with = "crate::wire::as_hex")]
        bytes: Vec<u8>,
        /// How many bytes crossed.
        len: usize,
    },
}

/// A way of handling each connection other than passing it through: the
/// active attacker. It gets the connection's [`Wire`] to report on and
/// both sockets, and normally moves bytes with [`relay`], the one relay
/// loop, giving it a [`Transform`].
pub trait Intercept: Send + Sync + 'static {
    /// Called when connection `conn` opens, before its `Opened` event is
    /// sent and before [`run`](Self::run). An intercept that decides per
    /// connection (the workshop's switchable attacker) decides here, so
    /// that whoever reads `Opened` can already ask what it decided.
    fn opening(&self, _conn: u64) {}

    /// Handle one connection until both sides are done.
    fn run(
        self: Arc<Self>,
        wire: Wire,
        client: TcpStream,
        server: TcpStream,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}

/// One connection's reporting: its number, each direction's stream
/// offset, the capture budget, the gate and the event channel. Cloning
/// gives another handle on the same counters, so a recorder below TLS and
/// the relay above it report into one stream of chunks.
#[derive(Clone)]
pub struct Wire {
    conn: u64,
    limit: u64,
    gate: Gate,
    events: mpsc::UnboundedSender<TapEvent>,
    start: Instant,
    /// Offset and bytes kept, per direction (client→server first).
    counts: Arc<std::sync::Mutex<[(u64, u64); 2]>>,
    /// Plaintext bytes kept in [`AttackNote::Read`] notes.
    read_kept: Arc<AtomicU64>,
}

impl Wire {
    fn new(
        conn: u64,
        limit: u64,
        gate: Gate,
        events: mpsc::UnboundedSender<TapEvent>,
        start: Instant,
    ) -> Wire {
        Wire {
            conn,
            limit,
            gate,
            events,
            start,
            counts: Arc::default(),
            read_kept: Arc::default(),
        }
    }

    /// The tap's number for this connection.
    pub fn conn(&self) -> u64 {
        self.conn
    }

    /// The wire's gate (pause, step).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Report bytes that crossed the client's side of the tap.
    pub fn crossed(&self, dir: Direction, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let at = self.start.elapsed();
        let (offset, keep) = {
            let mut counts = crate::sync::lock(&self.counts);
            let slot = &mut counts[dir_index(dir)];
            let keep = (self.limit.saturating_sub(slot.1)).min(bytes.len() as u64) as usize;
            let offset = slot.0;
            slot.0 += bytes.len() as u64;
            slot.1 += keep as u64;
            (offset, keep)
        };
        let _ = self.events.send(TapEvent::Chunk(Chunk {
            conn: self.conn,
            dir,
            at,
            offset,
            len: bytes.len(),
            bytes: bytes[..keep].to_vec(),
        }));
    }

    /// Report that one direction ended.
    pub fn closed(&self, dir: Direction, reason: CloseReason) {
        let _ = self.events.send(TapEvent::Closed {
            conn: self.conn,
            dir,
            at: self.start.elapsed(),
            reason,
        });
    }

    /// Report what the attacker did. [`AttackNote::Read`] bytes count
    /// against the capture limit like chunks do.
    pub fn note(&self, mut note: AttackNote) {
        if let AttackNote::Read { bytes, .. } = &mut note {
            let kept = self.read_kept.load(Ordering::Relaxed);
            let keep = (self.limit.saturating_sub(kept)).min(bytes.len() as u64) as usize;
            self.read_kept.fetch_add(keep as u64, Ordering::Relaxed);
            bytes.truncate(keep);
        }
        let _ = self.events.send(TapEvent::Attack {
            conn: self.conn,
            at: self.start.elapsed(),
            note,
        });
    }
}

fn dir_index(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

/// What a [`Transform`] makes of one chunk.
#[derive(Debug, Default)]
pub struct Edit {
    /// What goes on to the other side.
    pub forward: Vec<u8>,
    /// What goes back to the side that sent the chunk (the attacker
    /// answering in the other side's name).
    pub answer: Vec<u8>,
    /// What to report.
    pub notes: Vec<AttackNote>,
    /// Stop relaying once this chunk is passed on, so the caller can take
    /// both streams over (to start TLS on each side, say).
    pub hand_over: bool,
}

/// A rule applied to every chunk on the relay loop. The passive tap uses
/// [`Pass`]; an attacker edits, answers or stops.
pub trait Transform: Send {
    /// A chunk read from the sender of `dir`. The edit starts empty.
    fn chunk(&mut self, dir: Direction, bytes: &[u8], edit: &mut Edit);

    /// True while every chunk would pass unchanged, with nothing answered
    /// or noted: the relay then forwards the chunk itself without asking,
    /// so the passive tap (and an attacker whose part is over) copies
    /// nothing more than the tap always did.
    fn passes(&self) -> bool {
        false
    }
}

/// The passive tap: every chunk passes as it is.
pub struct Pass;

impl Transform for Pass {
    fn chunk(&mut self, _dir: Direction, bytes: &[u8], edit: &mut Edit) {
        edit.forward.extend_from_slice(bytes);
    }

    fn passes(&self) -> bool {
        true
    }
}

/// What the relay loop reports for the bytes it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// The streams are the sockets: chunks are what crossed the wire.
    Wire,
    /// The streams are TLS the attacker terminated: the wire is reported
    /// below TLS (see [`Recorded`]), and what moves here is plaintext the
    /// attacker reads ([`AttackNote::Read`]).
    Plaintext,
}

/// How [`relay`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    /// Both directions ended; their `Closed` events are sent.
    Done,
    /// The transform asked to hand the streams over; nothing is closed.
    HandedOver,
}

/// The one relay loop: read a chunk from either side, wait at the gate,
/// apply the transform, write what it decided, report it. Chunk
/// boundaries are kept (one read, one write). A side that closes has its
/// half-close passed on, and the other direction goes on until it ends.
///
/// What is reported is the client's side of the tap: client→server chunks
/// as the client sent them, server→client chunks as the client received
/// them (after any edit); the attacker's edits are reported as notes.
pub async fn relay<C, S>(
    wire: &Wire,
    client: &mut C,
    server: &mut S,
    transform: &mut dyn Transform,
    report: Report,
) -> Relayed
where
    C: AsyncRead + AsyncWrite + Unpin + ?Sized,
    S: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut up = vec![0u8; CHUNK];
    let mut down = vec![0u8; CHUNK];
    // Reason each direction ended, once it has.
    let mut up_done: Option<CloseReason> = None;
    let mut down_done: Option<CloseReason> = None;
    loop {
        if up_done.is_some() && down_done.is_some() {
            break;
        }
        let (dir, read) = tokio::select! {
            r = client.read(&mut up), if up_done.is_none() => (Direction::ClientToServer, r),
            r = server.read(&mut down), if down_done.is_none() => (Direction::ServerToClient, r),
        };
        let n = match read {
            Ok(0) => Err(CloseReason::Closed),
            Ok(n) => Ok(n),
            // A TLS peer that just closes its socket: common, and not an
            // error worth a URL in the transcript.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(CloseReason::NoCloseNotify)
            }
            Err(e) => Err(CloseReason::ReadError {
                message: e.to_string(),
            }),
        };
        let n = match n {
            Ok(n) => n,
            Err(reason) => {
                // Pass the half-close on, so each endpoint sees what it
                // would have seen without the tap in between.
                match dir {
                    Direction::ClientToServer => {
                        let _ = server.shutdown().await;
                        up_done = Some(reason);
                    }
                    Direction::ServerToClient => {
                        let _ = client.shutdown().await;
                        down_done = Some(reason);
                    }
                }
                wire.closed(dir, done_reason(&up_done, &down_done, dir));
                continue;
            }
        };
        wire.gate.pass().await;
        let bytes = match dir {
            Direction::ClientToServer => &up[..n],
            Direction::ServerToClient => &down[..n],
        };
        let mut edit = Edit::default();
        let passing = transform.passes();
        if !passing {
            transform.chunk(dir, bytes, &mut edit);
        }
        let forward: &[u8] = if passing { bytes } else { &edit.forward };
        // Stamp the chunk before the write, so the receiving endpoint can
        // never report it earlier than the wire.
        let (to_client, to_server) = match dir {
            Direction::ClientToServer => (&edit.answer[..], forward),
            Direction::ServerToClient => (forward, &edit.answer[..]),
        };
        match report {
            Report::Wire => {
                if dir == Direction::ClientToServer {
                    wire.crossed(dir, bytes);
                }
                wire.crossed(Direction::ServerToClient, to_client);
            }
            Report::Plaintext => wire.note(AttackNote::Read {
                dir,
                bytes: bytes.to_vec(),
                len: bytes.len(),
            }),
        }
        for note in edit.notes.drain(..) {
            wire.note(note);
        }
        if !to_server.is_empty()
            && let Err(e) = server.write_all(to_server).await
        {
            let _ = client.shutdown().await;
            let write = CloseReason::WriteError {
                message: e.to_string(),
            };
            up_done.get_or_insert(write.clone());
            down_done.get_or_insert(CloseReason::OtherSideFailed {
                side: crate::lab::Side::Server,
            });
            wire.closed(Direction::ClientToServer, write);
            wire.closed(
                Direction::ServerToClient,
                CloseReason::OtherSideFailed {
                    side: crate::lab::Side::Server,
                },
            );
            break;
        }
        if !to_client.is_empty()
            && let Err(e) = client.write_all(to_client).await
        {
            let _ = server.shutdown().await;
            wire.closed(
                Direction::ServerToClient,
                CloseReason::WriteError {
                    message: e.to_string(),
                },
            );
            wire.closed(
                Direction::ClientToServer,
                CloseReason::OtherSideFailed {
                    side: crate::lab::Side::Client,
                },
            );
            break;
        }
        if edit.hand_over {
            let _ = server.flush().await;
            let _ = client.flush().await;
            return Relayed::HandedOver;
        }
    }
    Relayed::Done
}

fn done_reason(
    up: &Option<CloseReason>,
    down: &Option<CloseReason>,
    dir: Direction,
) -> CloseReason {
    match dir {
        Direction::ClientToServer => up.clone(),
        Direction::ServerToClient => down.clone(),
    }
    .unwrap_or(CloseReason::Closed)
}

/// A socket whose every read and write is reported as a chunk on the
/// wire: the client's side of a TLS session the attacker terminates, so
/// the eavesdropper's view stays the bytes that really crossed.
pub struct Recorded<S> {
    inner: S,
    wire: Wire,
}

impl<S> Recorded<S> {
    /// Report everything that crosses `inner` on `wire`.
    pub fn new(inner: S, wire: Wire) -> Self {
        Recorded { inner, wire }
    }

    /// The socket underneath.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorded<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = &poll {
            this.wire
                .crossed(Direction::ClientToServer, &buf.filled()[before..]);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorded<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.inner).poll_write(cx, data);
        if let std::task::Poll::Ready(Ok(n)) = &poll {
            this.wire.crossed(Direction::ServerToClient, &data[..*n]);
        }
        poll
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    s.write_all(b"+OK hello\r\n").await.unwrap();
                    let mut buf = [0u8; 1024];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => s.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                });
            }
        });
        addr
    }

    async fn tap(
        upstream: SocketAddr,
        limit: u64,
    ) -> (SocketAddr, Gate, mpsc::UnboundedReceiver<TapEvent>) {
        let tap = Tap::bind(TapConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream,
            capture_limit: limit,
        })
        .await
        .unwrap();
        let addr = tap.local_addr().unwrap();
        let gate = tap.gate();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(tap.run(tx));
        (addr, gate, rx)
    }

    async fn next_chunk(rx: &mut mpsc::UnboundedReceiver<TapEvent>) -> Chunk {
        loop {
            match rx.recv().await.unwrap() {
                TapEvent::Chunk(c) => return c,
                _ => continue,
            }
        }
    }

    #[tokio::test]
    async fn bytes_pass_unchanged_and_are_reported_with_offsets() {
        let server = echo_server().await;
        let (addr, _gate, mut rx) = tap(server, 1 << 20).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"+OK hello\r\n");
        c.write_all(b"NOOP\r\n").await.unwrap();
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"NOOP\r\n");
        let greet = next_chunk(&mut rx).await;
        assert_eq!(
            (greet.dir, greet.offset, &greet.bytes[..]),
            (Direction::ServerToClient, 0, &b"+OK hello\r\n"[..])
        );
        let up = next_chunk(&mut rx).await;
        assert_eq!(
            (up.dir, up.offset, &up.bytes[..]),
            (Direction::ClientToServer, 0, &b"NOOP\r\n"[..])
        );
        let echo = next_chunk(&mut rx).await;
        assert_eq!((echo.dir, echo.offset), (Direction::ServerToClient, 11));
        assert!(echo.at >= greet.at);
    }

    #[tokio::test]
    async fn the_capture_limit_keeps_lengths_but_drops_bytes() {
        let server = echo_server().await;
        let (addr, _gate, mut rx) = tap(server, 4).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let _ = c.read(&mut buf).await.unwrap();
        let greet = next_chunk(&mut rx).await;
        assert_eq!(greet.len, 11);
        assert_eq!(greet.bytes, b"+OK ");
        assert_eq!(greet.not_kept(), 7);
    }

    #[tokio::test]
    async fn a_paused_gate_holds_chunks_until_stepped() {
        let server = echo_server().await;
        let (addr, gate, mut rx) = tap(server, 1 << 20).await;
        gate.pause();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let early = tokio::time::timeout(Duration::from_millis(200), c.read(&mut buf)).await;
        assert!(early.is_err(), "nothing passes while paused");
        gate.step();
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"+OK hello\r\n");
        assert_eq!(next_chunk(&mut rx).await.dir, Direction::ServerToClient);
        assert_eq!(gate.mode(), GateMode::Paused { allowed: 0 });
        c.write_all(b"X\r\n").await.unwrap();
        gate.open();
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"X\r\n");
    }
}
