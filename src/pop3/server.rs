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
use crate::pop3::session::{Backend, Note, Output, Session, SessionConfig};
use crate::tls::SessionSummary;

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
                        connection(stream, implicit_tls, shared2, stop).await;
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

async fn connection(
    stream: TcpStream,
    implicit_tls: bool,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let backend = Arc::clone(&shared.backend);
    let mut reader = LineReader::new();
    if implicit_tls {
        let Some(acceptor) = &shared.acceptor else {
            return;
        };
        let mut tls =
            match tokio::time::timeout(shared.handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    info!("TLS handshake failed: {e}");
                    return;
                }
                Err(_) => {
                    info!("TLS handshake timed out");
                    return;
                }
            };
        let summary = SessionSummary::of_server(tls.get_ref().1);
        info!(tls = %summary, "connected over implicit TLS");
        let mut session = Session::new(Arc::clone(&shared.tls_session), backend, true);
        let result = drive(
            &mut tls,
            &mut session,
            &mut reader,
            &shared,
            &mut stop,
            true,
        )
        .await;
        finish(result, &session);
        let _ = tls.shutdown().await;
        return;
    }
    info!("connected in cleartext");
    let mut session = Session::new(Arc::clone(&shared.plain_session), backend, false);
    let mut stream = stream;
    let result = drive(
        &mut stream,
        &mut session,
        &mut reader,
        &shared,
        &mut stop,
        true,
    )
    .await;
    match result {
        Ok(End::StartTls) => {
            let Some(acceptor) = &shared.acceptor else {
                return;
            };
            let mut tls =
                match tokio::time::timeout(shared.handshake_timeout, acceptor.accept(stream)).await
                {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        info!("STLS handshake failed: {e}");
                        return;
                    }
                    Err(_) => {
                        info!("STLS handshake timed out");
                        return;
                    }
                };
            session.tls_started();
            let summary = SessionSummary::of_server(tls.get_ref().1);
            info!(tls = %summary, "upgraded to TLS with STLS");
            let result = drive(
                &mut tls,
                &mut session,
                &mut reader,
                &shared,
                &mut stop,
                false,
            )
            .await;
            finish(result, &session);
            let _ = tls.shutdown().await;
        }
        other => {
            finish(other, &session);
            let _ = stream.shutdown().await;
        }
    }
}

fn finish(result: std::io::Result<End>, session: &Session) {
    match result {
        Ok(End::Over(why)) => info!(
            state = %session.state(),
            commands = %session.command_summary(),
            "session ended: {why}"
        ),
        Ok(End::StartTls) => {}
        Err(e) => info!(
            state = %session.state(),
            commands = %session.command_summary(),
            "session ended by an I/O error: {e}"
        ),
    }
}

fn log_notes(session: &mut Session) {
    let how = if session.is_tls() { "TLS" } else { "cleartext" };
    for note in session.take_notes() {
        match note {
            Note::LoggedIn { user, method } => info!(%user, %method, "logged in over {how}"),
            Note::LoginFailed { user, method } => {
                info!(user = user.as_deref().unwrap_or("?"), %method, "login failed over {how}")
            }
            Note::Updated { removed, failed } => {
                info!(removed, failed, "UPDATE: deletion marks applied")
            }
        }
    }
}

const READ_CHUNK: usize = 2048;
const MESSAGE_CHUNK: usize = 32 * 1024;

/// Run the session on `stream` until it ends or asks for TLS.
async fn drive<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    session: &mut Session,
    reader: &mut LineReader,
    shared: &Shared,
    stop: &mut watch::Receiver<bool>,
    greet: bool,
) -> std::io::Result<End> {
    let idle = shared.idle_timeout;
    let mut out: Vec<u8> = Vec::new();
    if greet {
        write_all(stream, &session.greeting(), idle).await?;
    }
    let mut buf = [0u8; READ_CHUNK];
    loop {
        // Answer every whole line already here, in order: that is all
        // PIPELINING (RFC 2449) needs.
        while let Some(line) = reader.next_line() {
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
                        let dropped = reader.discard_buffered();
                        if dropped > 0 {
                            warn!(
                                dropped,
                                "discarded bytes sent after STLS before the handshake"
                            );
                        }
                        log_notes(session);
                        return Ok(End::StartTls);
                    }
                    Output::Close => {
                        write_all(stream, &out, idle).await?;
                        log_notes(session);
                        return Ok(End::Over("closed"));
                    }
                }
            }
            log_notes(session);
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
                Ok(Ok(n)) => reader.push(&buf[..n]),
                Ok(Err(e)) => return Err(e),
            },
            _ = stop.changed() => {
                let _ = write_all(stream, b"-ERR [SYS/TEMP] server shutting down\r\n", idle).await;
                return Ok(End::Over("server shutdown"));
            }
        }
    }
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
