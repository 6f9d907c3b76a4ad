//! The server's listeners and connection loop: the I/O around the sans-IO
//! [`Session`].
//!
//! One task a connection, generic over the stream so the same loop serves
//! cleartext TCP, TCP after STLS and implicit TLS. Each connection has one
//! `select!` between reading and shutdown (as in tokio-rs/mini-redis).
//! Memory per connection is bounded: a small read buffer, command lines of
//! at most 255 octets, and messages streamed from disk in chunks.

use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument, info, info_span, warn};

use crate::pop3::framing::{BodyEncoder, LineReader};
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
        /// Why.
        reason: String,
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
    },
    /// The maildrop as the session sees it (after login, DELE and RSET).
    Maildrop {
        /// The session.
        session: u64,
        /// Every message with its mark.
        messages: Vec<MessageInfo>,
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
    /// The session ended.
    Ended {
        /// The session.
        session: u64,
        /// Why, in words.
        reason: String,
        /// The commands used, as "USER PASS RETR×2 QUIT".
        commands: String,
    },
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
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// Where to send [`ServerEvent`]s (the lab sets this).
    pub events: Option<mpsc::UnboundedSender<ServerEvent>>,
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
            handshake_timeout: Duration::from_secs(30),
            events: None,
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
    permits: Arc<Semaphore>,
    /// Rejections in flight are capped too, so a flood over the limit
    /// cannot pile up tasks.
    reject_permits: Arc<Semaphore>,
    next_id: AtomicU64,
    events: Option<mpsc::UnboundedSender<ServerEvent>>,
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
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::Bind { addr, source })
        };
        let pop3 = match config.pop3 {
            Some(a) => Some(bind(a).await?),
            None => None,
        };
        let pop3s = match config.pop3s {
            Some(a) => Some(bind(a).await?),
            None => None,
        };
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
                permits: Arc::new(Semaphore::new(max)),
                reject_permits: Arc::new(Semaphore::new(64)),
                next_id: AtomicU64::new(1),
                events: config.events,
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
        match Arc::clone(&shared.permits).try_acquire_owned() {
            Ok(permit) => {
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
                        connection(stream, implicit_tls, shared2, stop, &report).await;
                        drop(permit);
                        drop(done);
                    }
                    .instrument(span),
                );
            }
            Err(_) => {
                let Ok(rp) = Arc::clone(&shared.reject_permits).try_acquire_owned() else {
                    continue; // dropping the stream closes it
                };
                warn!(%peer, "connection limit reached; refusing");
                tokio::spawn(async move {
                    reject(stream, implicit_tls, &shared2).await;
                    drop(rp);
                });
            }
        }
    }
}

const BUSY: &[u8] = b"-ERR [SYS/TEMP] too many connections; try again later\r\n";

async fn reject(stream: TcpStream, implicit_tls: bool, shared: &Shared) {
    let t = Duration::from_secs(5);
    if implicit_tls {
        if let Some(acceptor) = &shared.acceptor
            && let Ok(Ok(mut tls)) = tokio::time::timeout(t, acceptor.accept(stream)).await
        {
            let _ = tokio::time::timeout(t, async {
                tls.write_all(BUSY).await?;
                tls.shutdown().await
            })
            .await;
        }
    } else {
        let mut stream = stream;
        let _ = tokio::time::timeout(t, async {
            stream.write_all(BUSY).await?;
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
    Over(&'static str),
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
    let reason = match tokio::time::timeout(shared.handshake_timeout, acceptor.accept(stream)).await
    {
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
        Ok(Err(e)) => {
            // A client that refuses the certificate says why only in its
            // alert, which rustls names in Debug form; say it in words.
            let words = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .and_then(|r| match r {
                    rustls::Error::AlertReceived(alert) => crate::tls::refused_certificate(*alert),
                    _ => None,
                });
            format!("{what} failed: {}", words.unwrap_or_else(|| e.to_string()))
        }
        Err(_) => format!("{what} timed out"),
    };
    info!("{reason}");
    report.send(ServerEvent::TlsFailed {
        session: report.session,
        reason,
    });
    None
}

async fn connection(
    stream: TcpStream,
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
        let mut session = Session::new(Arc::clone(&shared.tls_session), backend, true);
        let result = link.drive(&mut tls, &mut session, true).await;
        link.finish(result, &session);
        let _ = tls.shutdown().await;
        return;
    }
    info!("connected in cleartext");
    let mut session = Session::new(Arc::clone(&shared.plain_session), backend, false);
    let mut stream = stream;
    match link.drive(&mut stream, &mut session, true).await {
        Ok(End::StartTls) => {
            let Some(mut tls) = handshake(stream, &shared, report, true).await else {
                link.finish(Ok(End::Over("STLS handshake failed")), &session);
                return;
            };
            session.tls_started();
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
            Ok(End::Over(why)) => why.to_string(),
            Ok(End::StartTls) => return,
            Err(e) => format!("I/O error: {e}"),
        };
        let commands = session.command_summary();
        info!(state = %session.state(), %commands, "session ended: {reason}");
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
                Note::LoginFailed { user, method } => {
                    // The name is whatever the client typed.
                    let shown = crate::sanitize::visible(user.as_deref().unwrap_or("?"));
                    info!(user = %shown, %method, "login failed over {how}");
                    self.report.send(ServerEvent::LoginFailed {
                        session: id,
                        user,
                        method,
                    });
                }
                Note::Updated { removed, failed } => {
                    info!(removed, failed, "UPDATE: deletion marks applied");
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
        loop {
            // Answer every whole line already here, in order: that is all
            // PIPELINING (RFC 2449) needs.
            while let Some(line) = self.reader.next_line() {
                for o in session.handle(line) {
                    match o {
                        Output::Send(b) => out.extend_from_slice(&b),
                        Output::SendMessage { file, top } => {
                            write_all(stream, &out, idle).await?;
                            out.clear();
                            send_message(stream, file, top, idle).await?;
                        }
                        Output::Delay(d) => {
                            write_all(stream, &out, idle).await?;
                            out.clear();
                            tokio::time::sleep(d).await;
                        }
                        Output::StartTls => {
                            write_all(stream, &out, idle).await?;
                            let dropped = self.reader.discard_buffered();
                            if dropped > 0 {
                                warn!(
                                    dropped,
                                    "discarded bytes sent after STLS before the handshake"
                                );
                            }
                            self.notes(session);
                            return Ok(End::StartTls);
                        }
                        Output::Close => {
                            write_all(stream, &out, idle).await?;
                            self.notes(session);
                            return Ok(End::Over("closed"));
                        }
                    }
                }
                self.notes(session);
            }
            if !out.is_empty() {
                write_all(stream, &out, idle).await?;
                out.clear();
            }
            tokio::select! {
                r = tokio::time::timeout(idle, stream.read(&mut buf)) => match r {
                    Err(_) => {
                        let _ = write_all(stream, b"-ERR autologout: idle for too long\r\n", idle).await;
                        return Ok(End::Over("idle timeout"));
                    }
                    Ok(Ok(0)) => return Ok(End::Over("client closed the connection")),
                    Ok(Ok(n)) => self.reader.push(&buf[..n]),
                    Ok(Err(e)) => return Err(e),
                },
                _ = self.stop.changed() => {
                    let _ = write_all(stream, b"-ERR [SYS/TEMP] server shutting down\r\n", idle).await;
                    return Ok(End::Over("server shutdown"));
                }
            }
        }
    }
}

const READ_CHUNK: usize = 2048;
const MESSAGE_CHUNK: usize = 32 * 1024;

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

/// Stream a message file as a multi-line body. Reading the local file with
/// std's blocking read keeps this simple; each read is one small chunk of
/// a local file, which is quick next to the network write that follows.
async fn send_message<S: AsyncWrite + Unpin>(
    stream: &mut S,
    mut file: std::fs::File,
    top: Option<u64>,
    idle: Duration,
) -> std::io::Result<()> {
    let mut enc = BodyEncoder::new(top);
    let mut chunk = vec![0u8; MESSAGE_CHUNK];
    let mut out = Vec::with_capacity(MESSAGE_CHUNK + MESSAGE_CHUNK / 16);
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        enc.encode(&chunk[..n], &mut out);
        write_all(stream, &out, idle).await?;
        out.clear();
        if enc.is_done() {
            break;
        }
    }
    enc.finish(&mut out);
    write_all(stream, &out, idle).await
}

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
