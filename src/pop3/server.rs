//! The server's listeners and connection loop: the I/O around the sans-IO
//! [`Session`].
//!
//! One task a connection, generic over the stream so the same loop serves
//! cleartext TCP, TCP after STLS and implicit TLS. Each connection has one
//! `select!` between reading and shutdown (as in tokio-rs/mini-redis).
//! Memory per connection is bounded: a small read buffer, command lines of
//! at most 255 octets, and messages streamed from disk in chunks.
//! Nothing here waits on the disk on an async worker: a session's disk
//! work ([`Output::Disk`]) and every read of a message run on tokio's
//! blocking pool, each with a deadline.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::mailbox::MessageReader;
use crate::pop3::framing::{BodyEncoder, LineReader};
use crate::pop3::guard::{Guard, GuardConfig, Locked, source_key};
use crate::pop3::session::{Backend, LoginMethod, Note, Output, Session, SessionConfig, StateName};
use crate::tls::SessionSummary;

/// What the server did, for the lab's server pane and for lessons. Sent
/// only when [`ServerConfig::events`] is set; the log gets the same facts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServerEvent {
    /// A client connected.
    Connected {
        /// The server's number for this session.
        session: u64,
        /// The client's address.
        peer: SocketAddr,
        /// True on the POP3S port.
        implicit_tls: bool,
    },
    /// The TLS handshake finished (POP3S, or after STLS).
    Tls {
        /// The session.
        session: u64,
        /// True when it followed STLS.
        stls: bool,
        /// What was negotiated.
        summary: SessionSummary,
    },
    /// The TLS handshake failed.
    TlsFailed {
        /// The session.
        session: u64,
        /// After STLS, rather than on the POP3S port.
        stls: bool,
        /// Why the client ended it; `None` when it timed out.
        refusal: Option<crate::tls::Refusal>,
    },
    /// The greeting was sent, with its APOP timestamp.
    Greeting {
        /// The session.
        session: u64,
        /// The timestamp.
        timestamp: String,
    },
    /// A command was handled (secrets masked).
    Command {
        /// The session.
        session: u64,
        /// The command.
        text: String,
    },
    /// The RFC 1939 state changed.
    State {
        /// The session.
        session: u64,
        /// The new state.
        state: StateName,
    },
    /// A login succeeded.
    LoggedIn {
        /// The session.
        session: u64,
        /// Who.
        user: String,
        /// How.
        method: LoginMethod,
    },
    /// A login failed.
    LoginFailed {
        /// The session.
        session: u64,
        /// The name tried.
        user: Option<String>,
        /// How.
        method: LoginMethod,
        /// Refused unchecked: the failure budget had locked the account
        /// or the address out.
        locked_out: bool,
    },
    /// The maildrop as the session sees it (after login, DELE and RSET).
    Maildrop {
        /// The session.
        session: u64,
        /// Every message with its mark.
        messages: Vec<MessageInfo>,
    },
    /// The failure budget locked an account or an address out: logins
    /// for it are refused unchecked until the window ends.
    LockedOut {
        /// The session whose failed login started the window.
        session: u64,
        /// The account or the address.
        who: Locked,
        /// How long the window lasts.
        duration: Duration,
    },
    /// QUIT applied the deletion marks.
    Updated {
        /// The session.
        session: u64,
        /// Messages removed.
        removed: usize,
        /// Messages that could not be removed.
        failed: usize,
    },
    /// Bytes that arrived after the client's STLS line, before the TLS
    /// handshake, were thrown away unread. Only a man in the middle (or a
    /// confused client) sends them: they are the STARTTLS command injection
    /// of CVE-2011-0411, and RFC 2595 §4 says to discard them.
    DiscardedBeforeTls {
        /// The session.
        session: u64,
        /// How many bytes.
        bytes: usize,
        /// What they said, short and safe to show (see [`injected_text`]).
        text: String,
    },
    /// VULNERABLE MODE ([`ServerConfig::vulnerable_stls_injection`]): bytes
    /// that arrived in cleartext after STLS, before the handshake, are
    /// being run as commands as if they had come inside TLS. The commands
    /// themselves follow as [`ServerEvent::Command`]s.
    InjectedIntoTls {
        /// The session.
        session: u64,
        /// How many bytes.
        bytes: usize,
        /// What they said, short and safe to show (see [`injected_text`]).
        text: String,
    },
    /// The session ended.
    Ended {
        /// The session.
        session: u64,
        /// Why.
        reason: EndReason,
        /// The commands used, as "USER PASS RETR×2 QUIT".
        commands: String,
    },
}

/// Why a session ended, as a value; the screen and `demo` word it in the
/// learner's language (`lab::describe`), the log in English
/// ([`EndReason::as_str`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EndReason {
    /// The server closed it after its last reply (QUIT, or a refusal that
    /// ends the session).
    ServerClosed,
    /// The client closed the connection.
    ClientClosed,
    /// Nothing came for the idle timeout.
    IdleTimeout,
    /// The server is shutting down.
    Shutdown,
    /// STLS was accepted, then the TLS handshake failed.
    StlsHandshakeFailed,
    /// Reading or writing failed.
    Io {
        /// What kind of failure, for views to word in their reader's
        /// language.
        cause: IoCause,
        /// The system's words (English whatever the learner's language):
        /// for the log, and for failures without words of their own.
        message: String,
    },
}

/// The kinds of I/O failure a session meets often enough to be worded in
/// the learner's language rather than shown in the system's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IoCause {
    /// The peer went away mid-exchange: broken pipe, reset, aborted, or
    /// the stream ended inside a message.
    Gone,
    /// A read or write timed out.
    TimedOut,
    /// Anything else.
    Other,
}

impl IoCause {
    /// The cause of an I/O error.
    pub fn of(e: &std::io::Error) -> IoCause {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::BrokenPipe
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::UnexpectedEof
            | K::NotConnected => IoCause::Gone,
            K::TimedOut => IoCause::TimedOut,
            _ => IoCause::Other,
        }
    }
}

impl EndReason {
    /// The reason in English, for the server's log.
    pub fn as_str(&self) -> std::borrow::Cow<'static, str> {
        match self {
            EndReason::ServerClosed => "closed".into(),
            EndReason::ClientClosed => "client closed the connection".into(),
            EndReason::IdleTimeout => "idle timeout".into(),
            EndReason::Shutdown => "server shutdown".into(),
            EndReason::StlsHandshakeFailed => "STLS handshake failed".into(),
            EndReason::Io { message, .. } => format!("I/O error: {message}").into(),
        }
    }
}

/// One message of a maildrop snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageInfo {
    /// Its number in this session.
    pub number: u32,
    /// Size in octets.
    pub size: u64,
    /// Its UIDL id.
    pub uid: String,
    /// Marked by DELE; QUIT will remove it.
    pub deleted: bool,
}

/// Where a connection reports to (the session number and the optional
/// event channel).
#[derive(Clone)]
struct Reporter {
    session: u64,
    events: Option<mpsc::UnboundedSender<ServerEvent>>,
}

impl Reporter {
    fn send(&self, event: ServerEvent) {
        if let Some(tx) = &self.events {
            let _ = tx.send(event);
        }
    }
}

/// Everything a running server needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The cleartext listener (POP3 with STLS when `tls` is set).
    pub pop3: Option<SocketAddr>,
    /// The implicit-TLS listener (POP3S, RFC 8314); needs `tls`.
    pub pop3s: Option<SocketAddr>,
    /// The certificate and key, for STLS and POP3S.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Per-session settings (`stls_available` is set per listener).
    pub session: SessionConfig,
    /// Autologout after this long without a command (RFC 1939 §3 asks for
    /// at least 10 minutes).
    pub idle_timeout: Duration,
    /// At most this many connections at once; the next gets `[SYS/TEMP]`.
    pub max_connections: usize,
    /// At most this many connections at once from one address (an IPv6
    /// address counts with its whole /64); `None` means a quarter of
    /// `max_connections` (see [`ServerConfig::per_ip_limit`]), so one
    /// address cannot take every slot.
    pub max_per_ip: Option<usize>,
    /// The failure budget against password guessing.
    pub guard: GuardConfig,
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// How long one piece of disk work (a login's scan, opening or reading
    /// a message, QUIT's deletions) may take before the session is ended
    /// with `[SYS/TEMP]`.
    pub disk_timeout: Duration,
    /// Where to send [`ServerEvent`]s (the lab sets this).
    pub events: Option<mpsc::UnboundedSender<ServerEvent>>,
    /// DELIBERATELY VULNERABLE, FOR THE LAB'S INJECTION DEMO ONLY. When set,
    /// bytes the client's side sent after its STLS line but before the TLS
    /// handshake are kept and run as commands once TLS is up, as if they
    /// had come inside TLS: the STARTTLS command injection flaw
    /// (CVE-2011-0411) of the servers that were hit by it. A man in the
    /// middle can then slip commands into the encrypted session. As with
    /// the real flaw, only bytes the server had already read along with
    /// the STLS line are affected, so the attacker appends its command to
    /// the client's STLS packet (one write). Off by default; `popscope
    /// serve` has no flag for it, and only the lab and the proxy may turn
    /// it on, saying so on screen.
    pub vulnerable_stls_injection: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            pop3: None,
            pop3s: None,
            tls: None,
            session: SessionConfig::default(),
            idle_timeout: Duration::from_secs(600),
            max_connections: 10_000,
            max_per_ip: None,
            guard: GuardConfig::default(),
            handshake_timeout: Duration::from_secs(30),
            disk_timeout: Duration::from_secs(30),
            events: None,
            vulnerable_stls_injection: false,
        }
    }
}

/// A bound server, ready to run.
pub struct Server {
    pop3: Option<TcpListener>,
    pop3s: Option<TcpListener>,
    shared: Arc<Shared>,
}

struct Shared {
    backend: Arc<Backend>,
    plain_session: Arc<SessionConfig>,
    tls_session: Arc<SessionConfig>,
    acceptor: Option<TlsAcceptor>,
    idle_timeout: Duration,
    handshake_timeout: Duration,
    disk_timeout: Duration,
    permits: Arc<Semaphore>,
    /// Rejections in flight are capped too, so a flood over the limit
    /// cannot pile up tasks.
    reject_permits: Arc<Semaphore>,
    /// Connections open per source address.
    per_ip: Arc<PerIp>,
    /// The failure budget every session spends from.
    guard: Arc<Guard>,
    next_id: AtomicU64,
    events: Option<mpsc::UnboundedSender<ServerEvent>>,
    /// See [`ServerConfig::vulnerable_stls_injection`].
    vulnerable_stls_injection: bool,
}

impl ServerConfig {
    /// The per-address limit in force: [`ServerConfig::max_per_ip`], or a
    /// quarter of the global cap. The default is at least 4 (or the whole
    /// cap, if smaller) so a small server still lets one machine open a
    /// client, a tap and a test connection at once.
    pub fn per_ip_limit(&self) -> usize {
        let cap = self.max_connections.max(1);
        self.max_per_ip
            .unwrap_or((cap / 4).max(cap.min(4)))
            .clamp(1, cap)
    }
}

/// How many connections each source address has open.
struct PerIp {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIp {
    /// A slot for one more connection from `ip`, or `None` if it has its
    /// share already.
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let ip = source_key(ip);
        let mut open = crate::sync::lock(&self.open);
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            per_ip: Arc::clone(self),
            ip,
        })
    }
}

/// One connection's place in its address's count, given back on drop. The
/// map only holds addresses with connections open, so it is bounded by the
/// connection cap.
struct IpSlot {
    per_ip: Arc<PerIp>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = crate::sync::lock(&self.per_ip.open);
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Neither listener is on.
    #[error("both listeners are off; give --pop3 or --pop3s an address")]
    NoListener,
    /// POP3S without a certificate.
    #[error("the POP3S listener needs a certificate")]
    NoCertificate,
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl Server {
    /// Bind the listeners (port 0 picks a free port).
    pub async fn bind(config: ServerConfig, backend: Arc<Backend>) -> Result<Server, ServerError> {
        if config.pop3.is_none() && config.pop3s.is_none() {
            return Err(ServerError::NoListener);
        }
        if config.pop3s.is_some() && config.tls.is_none() {
            return Err(ServerError::NoCertificate);
        }
        let bind = |addr: SocketAddr| {
            crate::net::listen(addr).map_err(|source| ServerError::Bind { addr, source })
        };
        let pop3 = match config.pop3 {
            Some(a) => Some(bind(a)?),
            None => None,
        };
        let pop3s = match config.pop3s {
            Some(a) => Some(bind(a)?),
            None => None,
        };
        let per_ip = config.per_ip_limit();
        let plain_session = Arc::new(SessionConfig {
            stls_available: config.tls.is_some(),
            ..config.session.clone()
        });
        let tls_session = Arc::new(SessionConfig {
            stls_available: false,
            ..config.session
        });
        let max = config.max_connections.max(1);
        Ok(Server {
            pop3,
            pop3s,
            shared: Arc::new(Shared {
                backend,
                plain_session,
                tls_session,
                acceptor: config.tls.map(TlsAcceptor::from),
                idle_timeout: config.idle_timeout,
                handshake_timeout: config.handshake_timeout,
                disk_timeout: config.disk_timeout,
                permits: Arc::new(Semaphore::new(max)),
                reject_permits: Arc::new(Semaphore::new(64)),
                per_ip: Arc::new(PerIp {
                    max: per_ip,
                    open: Mutex::new(HashMap::new()),
                }),
                guard: Arc::new(Guard::new(config.guard)),
                next_id: AtomicU64::new(1),
                events: config.events,
                vulnerable_stls_injection: config.vulnerable_stls_injection,
            }),
        })
    }

    /// The cleartext listener's address.
    pub fn pop3_addr(&self) -> Option<SocketAddr> {
        self.pop3.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The POP3S listener's address.
    pub fn pop3s_addr(&self) -> Option<SocketAddr> {
        self.pop3s.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serve until `shutdown` completes, then tell every session to end
    /// (none of them applies its deletion marks) and wait for them, at most
    /// `grace`.
    pub async fn run(self, shutdown: impl Future<Output = ()>, grace: Duration) {
        let (stop_tx, stop_rx) = watch::channel(false);
        // Every connection task holds a clone of `done_tx`; when the last
        // one ends, `done_rx.recv()` returns None.
        let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
        let mut accept_tasks = Vec::new();
        for (listener, implicit_tls) in [(self.pop3, false), (self.pop3s, true)] {
            if let Some(listener) = listener {
                accept_tasks.push(tokio::spawn(accept_loop(
                    listener,
                    implicit_tls,
                    Arc::clone(&self.shared),
                    stop_rx.clone(),
                    done_tx.clone(),
                )));
            }
        }
        drop(done_tx);
        shutdown.await;
        info!("shutting down: closing sessions without applying deletions");
        let _ = stop_tx.send(true);
        for t in accept_tasks {
            t.abort();
            let _ = t.await;
        }
        let _ = tokio::time::timeout(grace, done_rx.recv()).await;
    }

    /// Run in the background; the returned handle stops the server when
    /// dropped or when [`ServerHandle::stop`] is called. For tests and the
    /// lab.
    pub fn spawn(self) -> ServerHandle {
        let pop3 = self.pop3_addr();
        let pop3s = self.pop3s_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(self.run(
            async move {
                let _ = rx.await;
            },
            Duration::from_secs(5),
        ));
        ServerHandle {
            pop3,
            pop3s,
            stop: Some(tx),
            task: Some(task),
        }
    }
}

/// A server running in the background.
pub struct ServerHandle {
    /// The cleartext listener's address.
    pub pop3: Option<SocketAddr>,
    /// The POP3S listener's address.
    pub pop3s: Option<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ServerHandle {
    /// Stop and wait until every session has ended.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    implicit_tls: bool,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    done: mpsc::Sender<()>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Usually out of file descriptors: wait a little rather
                // than spin, and keep serving the sessions we have.
                warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let shared2 = Arc::clone(&shared);
        // The global cap is asked first, so that a full server says so to
        // everyone, whatever their address holds.
        let admitted = match Arc::clone(&shared.permits).try_acquire_owned() {
            Ok(permit) => match shared.per_ip.take(peer.ip()) {
                Some(slot) => Ok((slot, permit)),
                None => Err(BUSY_FROM_ADDRESS),
            },
            Err(_) => Err(BUSY),
        };
        match admitted {
            Ok((slot, permit)) => {
                let stop = stop.clone();
                let done = done.clone();
                let span = info_span!("session", id, %peer, port = if implicit_tls { "pop3s" } else { "pop3" });
                tokio::spawn(
                    async move {
                        let report = Reporter {
                            session: id,
                            events: shared2.events.clone(),
                        };
                        report.send(ServerEvent::Connected {
                            session: id,
                            peer,
                            implicit_tls,
                        });
                        connection(stream, peer.ip(), implicit_tls, shared2, stop, &report).await;
                        drop(permit);
                        drop(slot);
                        drop(done);
                    }
                    .instrument(span),
                );
            }
            Err(answer) => {
                let Ok(rp) = Arc::clone(&shared.reject_permits).try_acquire_owned() else {
                    continue; // dropping the stream closes it
                };
                if answer == BUSY {
                    warn!(%peer, "connection limit reached; refusing");
                } else {
                    warn!(%peer, "per-address connection limit reached; refusing");
                }
                tokio::spawn(async move {
                    reject(stream, implicit_tls, &shared2, answer).await;
                    drop(rp);
                });
            }
        }
    }
}

const BUSY: &[u8] = b"-ERR [SYS/TEMP] too many connections; try again later\r\n";
const BUSY_FROM_ADDRESS: &[u8] =
    b"-ERR [SYS/TEMP] too many connections from your address; try again later\r\n";

async fn reject(stream: TcpStream, implicit_tls: bool, shared: &Shared, answer: &[u8]) {
    let t = Duration::from_secs(5);
    if implicit_tls {
        if let Some(acceptor) = &shared.acceptor
            && let Ok(Ok(mut tls)) = tokio::time::timeout(t, acceptor.accept(stream)).await
        {
            let _ = tokio::time::timeout(t, async {
                tls.write_all(answer).await?;
                tls.shutdown().await
            })
            .await;
        }
    } else {
        let mut stream = stream;
        let _ = tokio::time::timeout(t, async {
            stream.write_all(answer).await?;
            stream.shutdown().await
        })
        .await;
    }
}

/// How [`drive`] ended.
enum End {
    /// STLS accepted: the caller upgrades the stream.
    StartTls,
    /// The session is over (QUIT, EOF, error, idle or shutdown).
    Over(EndReason),
}

/// The TLS handshake, bounded in time; failures are logged and reported.
async fn handshake(
    stream: TcpStream,
    shared: &Shared,
    report: &Reporter,
    stls: bool,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let acceptor = shared.acceptor.as_ref()?;
    let what = if stls {
        "STLS handshake"
    } else {
        "TLS handshake"
    };
    let refusal =
        match tokio::time::timeout(shared.handshake_timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => {
                let summary = SessionSummary::of_server(tls.get_ref().1);
                info!(tls = %summary, "{what} done");
                report.send(ServerEvent::Tls {
                    session: report.session,
                    stls,
                    summary,
                });
                return Some(tls);
            }
            // A client that refuses the certificate says why only in its
            // alert; the refusal keeps it as a value and says it in words.
            Ok(Err(e)) => Some(crate::tls::Refusal::of(&e)),
            Err(_) => None,
        };
    match &refusal {
        Some(r) => info!("{what} failed: {}", r.words(crate::lang::Lang::En)),
        None => info!("{what} timed out"),
    }
    report.send(ServerEvent::TlsFailed {
        session: report.session,
        stls,
        refusal,
    });
    None
}

async fn connection(
    stream: TcpStream,
    peer: IpAddr,
    implicit_tls: bool,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    report: &Reporter,
) {
    let backend = Arc::clone(&shared.backend);
    let mut reader = LineReader::new();
    let mut link = Link {
        reader: &mut reader,
        shared: &shared,
        stop: &mut stop,
        report,
    };
    if implicit_tls {
        let Some(mut tls) = handshake(stream, &shared, report, false).await else {
            return;
        };
        let mut session = Session::new(Arc::clone(&shared.tls_session), backend, true)
            .with_guard(Arc::clone(&shared.guard), peer);
        let result = link.drive(&mut tls, &mut session, true).await;
        link.finish(result, &session);
        let _ = tls.shutdown().await;
        return;
    }
    // At debug level only: on a busy server a line for every connection is
    // a terminal write each and mostly noise; the session's end is logged
    // at info level, with the same span naming the peer.
    debug!("connected in cleartext");
    let mut session = Session::new(Arc::clone(&shared.plain_session), backend, false)
        .with_guard(Arc::clone(&shared.guard), peer);
    let mut stream = stream;
    match link.drive(&mut stream, &mut session, true).await {
        Ok(End::StartTls) => {
            let Some(mut tls) = handshake(stream, &shared, report, true).await else {
                link.finish(Ok(End::Over(EndReason::StlsHandshakeFailed)), &session);
                return;
            };
            session.tls_started();
            // Only in the deliberately vulnerable mode is anything left in
            // the reader here (see `carry_out`): say so before it runs.
            let injected = link.reader.buffered();
            if injected > 0 {
                let text = link.reader.peek_buffered();
                warn!(
                    bytes = injected,
                    "VULNERABLE MODE: running bytes sent in cleartext before the handshake as if they came inside TLS"
                );
                report.send(ServerEvent::InjectedIntoTls {
                    session: report.session,
                    bytes: injected,
                    text: injected_text(text),
                });
            }
            let result = link.drive(&mut tls, &mut session, false).await;
            link.finish(result, &session);
            let _ = tls.shutdown().await;
        }
        other => {
            link.finish(other, &session);
            let _ = stream.shutdown().await;
        }
    }
}

/// What the connection loop works with besides the stream and session.
struct Link<'a> {
    reader: &'a mut LineReader,
    shared: &'a Shared,
    stop: &'a mut watch::Receiver<bool>,
    report: &'a Reporter,
}

impl Link<'_> {
    fn finish(&self, result: std::io::Result<End>, session: &Session) {
        let reason = match result {
            Ok(End::Over(why)) => why,
            Ok(End::StartTls) => return,
            Err(e) => EndReason::Io {
                cause: IoCause::of(&e),
                message: e.to_string(),
            },
        };
        let commands = session.command_summary();
        info!(state = %session.state(), %commands, "session ended: {}", reason.as_str());
        self.report.send(ServerEvent::Ended {
            session: self.report.session,
            reason,
            commands,
        });
    }

    /// Log the session's notes and pass them on as events.
    fn notes(&self, session: &mut Session) {
        let how = if session.is_tls() { "TLS" } else { "cleartext" };
        let id = self.report.session;
        for note in session.take_notes() {
            match note {
                Note::Command { text } => {
                    self.report.send(ServerEvent::Command { session: id, text })
                }
                Note::StateChanged(state) => {
                    self.report.send(ServerEvent::State { session: id, state })
                }
                Note::MarksChanged => self.maildrop(session),
                Note::LoggedIn { user, method } => {
                    info!(user = %crate::sanitize::visible(&user), %method, "logged in over {how}");
                    self.report.send(ServerEvent::LoggedIn {
                        session: id,
                        user,
                        method,
                    });
                    self.maildrop(session);
                }
                Note::LoginFailed {
                    user,
                    method,
                    locked_out,
                } => {
                    // The name is whatever the client typed.
                    let name = crate::sanitize::visible(user.as_deref().unwrap_or("?"));
                    if locked_out {
                        info!(user = %name, %method, "login refused over {how}, password unchecked: locked out");
                    } else {
                        info!(user = %name, %method, "login failed over {how}");
                    }
                    self.report.send(ServerEvent::LoginFailed {
                        session: id,
                        user,
                        method,
                        locked_out,
                    });
                }
                Note::LockedOut(lockout) => {
                    warn!(
                        "failure budget spent: {} locked out for {:?}",
                        lockout.who, lockout.duration
                    );
                    self.report.send(ServerEvent::LockedOut {
                        session: id,
                        who: lockout.who,
                        duration: lockout.duration,
                    });
                }
                Note::Updated {
                    removed,
                    gone,
                    failed,
                } => {
                    // A QUIT with nothing marked changes nothing on disk; the
                    // session's closing line already says it ended with QUIT,
                    // and a log line per session costs the server more than
                    // the session's own work with a fast client.
                    if removed + gone + failed > 0 {
                        info!(removed, gone, failed, "UPDATE: deletion marks applied");
                    } else {
                        debug!("UPDATE: nothing was marked for deletion");
                    }
                    self.report.send(ServerEvent::Updated {
                        session: id,
                        removed,
                        failed,
                    });
                }
            }
        }
    }

    /// Report the maildrop as the session sees it, if anyone listens.
    fn maildrop(&self, session: &Session) {
        if self.report.events.is_none() {
            return;
        }
        let Some(md) = session.maildrop() else { return };
        let messages = md
            .messages()
            .iter()
            .zip(1u32..)
            .map(|(m, number)| MessageInfo {
                number,
                size: m.size,
                uid: m.uid.clone(),
                deleted: m.deleted,
            })
            .collect();
        self.report.send(ServerEvent::Maildrop {
            session: self.report.session,
            messages,
        });
    }

    /// Carry out a session's outputs in order; `out` collects replies so
    /// that pipelined answers go out in one write. Returns how the session
    /// ends, if these outputs end it.
    async fn carry_out<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        session: &mut Session,
        outputs: Vec<Output>,
        out: &mut Vec<u8>,
    ) -> std::io::Result<Option<End>> {
        let idle = self.shared.idle_timeout;
        let disk = self.shared.disk_timeout;
        let mut todo = VecDeque::from(outputs);
        while let Some(o) = todo.pop_front() {
            match o {
                Output::Send(b) => out.extend_from_slice(&b),
                Output::Disk(job) => {
                    // The session waits for the disk, the other sessions
                    // and the accept loop do not.
                    let abandoned = Arc::new(AtomicBool::new(false));
                    let flag = Arc::clone(&abandoned);
                    let next = match off_workers(disk, move || job.run(&flag)).await {
                        Some(done) => session.disk_done(done),
                        None => {
                            abandoned.store(true, Ordering::Relaxed);
                            warn!("disk work took longer than {disk:?}; ending the session");
                            session.disk_timed_out()
                        }
                    };
                    for o in next.into_iter().rev() {
                        todo.push_front(o);
                    }
                }
                Output::SendMessage { message, top } => {
                    send_message(stream, out, message, top, idle, disk).await?;
                }
                Output::Delay(d) => {
                    write_all(stream, out, idle).await?;
                    out.clear();
                    tokio::time::sleep(d).await;
                }
                Output::StartTls => {
                    write_all(stream, out, idle).await?;
                    out.clear();
                    // The defence against STARTTLS command injection: what
                    // came before the handshake cannot have come from inside
                    // TLS, so none of it may be read as a command. The
                    // vulnerable mode keeps it for `connection` to run.
                    if !self.shared.vulnerable_stls_injection && self.reader.buffered() > 0 {
                        let text = injected_text(self.reader.peek_buffered());
                        let dropped = self.reader.discard_buffered();
                        warn!(
                            dropped,
                            "discarded bytes sent after STLS before the handshake"
                        );
                        self.report.send(ServerEvent::DiscardedBeforeTls {
                            session: self.report.session,
                            bytes: dropped,
                            text,
                        });
                    }
                    self.notes(session);
                    return Ok(Some(End::StartTls));
                }
                Output::Close => {
                    write_all(stream, out, idle).await?;
                    out.clear();
                    self.notes(session);
                    return Ok(Some(End::Over(EndReason::ServerClosed)));
                }
            }
        }
        Ok(None)
    }

    /// Run the session on `stream` until it ends or asks for TLS.
    async fn drive<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        session: &mut Session,
        greet: bool,
    ) -> std::io::Result<End> {
        let idle = self.shared.idle_timeout;
        let mut out: Vec<u8> = Vec::new();
        if greet {
            write_all(stream, &session.greeting(), idle).await?;
            self.report.send(ServerEvent::Greeting {
                session: self.report.session,
                timestamp: session.timestamp().to_string(),
            });
        }
        let mut buf = [0u8; READ_CHUNK];
        // The autologout clock restarts only when a whole command line has
        // been handled. Were any byte enough, a client dripping one byte
        // now and then without ever ending the line (Slowloris) would hold
        // its connection slot, and a maildrop lock, for ever.
        let mut deadline = tokio::time::Instant::now() + idle;
        loop {
            let mut handled = false;
            // Answer every whole line already here, in order: that is all
            // PIPELINING (RFC 2449) needs.
            while let Some(line) = self.reader.next_line() {
                handled = true;
                let todo = session.handle(line);
                if let Some(end) = self.carry_out(stream, session, todo, &mut out).await? {
                    return Ok(end);
                }
                self.notes(session);
            }
            if !out.is_empty() {
                write_all(stream, &out, idle).await?;
                out.clear();
            }
            if handled {
                deadline = tokio::time::Instant::now() + idle;
            }
            tokio::select! {
                r = tokio::time::timeout_at(deadline, stream.read(&mut buf)) => match r {
                    Err(_) => {
                        let _ = write_all(stream, b"-ERR autologout: idle for too long\r\n", idle).await;
                        return Ok(End::Over(EndReason::IdleTimeout));
                    }
                    Ok(Ok(0)) => return Ok(End::Over(EndReason::ClientClosed)),
                    Ok(Ok(n)) => self.reader.push(&buf[..n]),
                    Ok(Err(e)) => return Err(e),
                },
                _ = self.stop.changed() => {
                    let _ = write_all(stream, b"-ERR [SYS/TEMP] server shutting down\r\n", idle).await;
                    return Ok(End::Over(EndReason::Shutdown));
                }
            }
        }
    }
}

const READ_CHUNK: usize = 2048;

/// How many lines and characters of injected bytes an event shows.
const INJECTED_LINES: usize = 4;
const INJECTED_CHARS: usize = 40;

/// Bytes sent before the TLS handshake, for an event: each line that is
/// a command shown as the server's log shows commands (passwords masked
/// by [`Command::redacted`](crate::pop3::command::Command::redacted)),
/// anything else made safe and cut short; lines joined with " ⏎ ", at most
/// a few, with "…" when there was more.
pub fn injected_text(bytes: &[u8]) -> String {
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    let mut shown = Vec::new();
    let mut more = false;
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() && lines.peek().is_none() {
            break;
        }
        if shown.len() == INJECTED_LINES {
            more = true;
            break;
        }
        shown.push(match crate::pop3::command::Command::parse(line) {
            Ok(cmd) => cmd.redacted(),
            Err(_) => {
                let mut t = crate::sanitize::visible_bytes(line);
                if let Some((cut, _)) = t.char_indices().nth(INJECTED_CHARS) {
                    t.truncate(cut);
                    t.push('…');
                }
                t
            }
        });
    }
    let mut text = shown.join(" ⏎ ");
    if more {
        text.push_str(" …");
    }
    text
}

async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    limit: Duration,
) -> std::io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    match tokio::time::timeout(limit, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
    {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the client stopped reading",
        )),
    }
}

/// Run blocking work (the disk) on tokio's blocking pool, so no async
/// worker ever waits on it; `None` when it did not finish within
/// `deadline` (it then runs on to its end in the background, unobserved)
/// or panicked.
async fn off_workers<T: Send + 'static>(
    deadline: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    match tokio::time::timeout(deadline, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            warn!("disk work failed: {e}");
            None
        }
        Err(_) => None,
    }
}

/// Stream a message as a multi-line body. Each piece of the file is read
/// on the blocking pool, one piece at a time, so a slow client holds no
/// blocking thread while it reads. The reply has already announced its
/// size; if the file cannot give what was announced, the connection is
/// cut rather than the body ended short as if it were whole.
///
/// `queued` holds what is queued before the body (the `+OK` line) and, on
/// return, the body's tail: writes are gathered into pieces of at least
/// [`WRITE_AT`] octets, so a small message, its status line and the next
/// pipelined reply leave in one write rather than three. The body itself
/// is built in a buffer of its own, dropped at the end, so a connection
/// does not keep a large message's worth of buffer once it is idle.
async fn send_message<S: AsyncWrite + Unpin>(
    stream: &mut S,
    queued: &mut Vec<u8>,
    mut message: MessageReader,
    top: Option<u64>,
    idle: Duration,
    disk: Duration,
) -> std::io::Result<()> {
    let mut enc = BodyEncoder::new(top);
    let mut chunk = Vec::new();
    let mut out = std::mem::take(queued);
    while !message.is_done() && !enc.is_done() {
        if message.has_next_in_memory() {
            message.next_chunk(&mut chunk)?;
        } else {
            // Hand the client what is ready before waiting on the disk.
            if !out.is_empty() {
                write_all(stream, &out, idle).await?;
                out.clear();
            }
            let (m, c, r) = off_workers(disk, move || {
                let r = message.next_chunk(&mut chunk);
                (message, chunk, r)
            })
            .await
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "reading the message file took too long",
                )
            })?;
            (message, chunk) = (m, c);
            r?;
        }
        enc.encode(&chunk, &mut out);
        if out.len() >= WRITE_AT {
            write_all(stream, &out, idle).await?;
            out.clear();
        }
    }
    enc.finish(&mut out);
    queued.extend_from_slice(&out);
    Ok(())
}

/// Below this many queued octets a message body waits for more before it
/// is written (see [`send_message`]).
const WRITE_AT: usize = 16 * 1024;

/// Raise the soft limit on open files to the hard limit, so thousands of
/// sessions can be open at once; returns the limit now in force.
pub fn raise_open_files_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) != 0 {
            return 0;
        }
        if rl.rlim_cur < rl.rlim_max {
            let want = libc::rlimit {
                rlim_cur: rl.rlim_max,
                rlim_max: rl.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                return want.rlim_cur;
            }
        }
        rl.rlim_cur
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn injected_bytes_are_shown_short_safe_and_with_secrets_masked() {
        assert_eq!(injected_text(b"CAPA\r\n"), "CAPA");
        assert_eq!(
            injected_text(b"USER mallory\r\nPASS hunter2\r\n\x1b[31mred\r\nNOO"),
            "USER mallory ⏎ PASS ******** ⏎ ^[[31mred ⏎ NOO"
        );
        assert_eq!(
            injected_text(b"NOOP\nNOOP\nNOOP\nNOOP\nNOOP\n"),
            "NOOP ⏎ NOOP ⏎ NOOP ⏎ NOOP …"
        );
        let long = injected_text(&[b'x'; 300]);
        assert_eq!(long, format!("{}…", "x".repeat(INJECTED_CHARS)));
        assert_eq!(injected_text(b"\xff\xfe\r\n"), "\u{fffd}\u{fffd}");
        assert_eq!(injected_text(b""), "");
    }

    // issue 9: disk work ran on the async workers; a read that never ends
    // (a FIFO, /dev/zero) took a worker for good. Off the workers, it
    // holds nobody up, and the session gives up on it at the deadline.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn slow_disk_work_is_given_up_at_its_deadline_and_blocks_no_worker() {
        let start = Instant::now();
        let slow = tokio::spawn(off_workers(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_millis(1500))
        }));
        // The only worker is free while the slow work runs.
        let quick = tokio::spawn(async { 7 });
        assert_eq!(quick.await.unwrap(), 7);
        assert!(start.elapsed() < Duration::from_millis(1000));
        assert!(slow.await.unwrap().is_none());
        assert!(start.elapsed() < Duration::from_millis(1000));
        assert_eq!(off_workers(Duration::from_secs(5), || 3).await, Some(3));
    }
}
