//! The load generator behind `popscope load`.
//!
//! It has two jobs, both meant for comparing popscope's server with an
//! established one (Dovecot, see `scripts/bench.sh`) on the same machine:
//!
//! - Session throughput: `--clients` tasks each run complete POP3 sessions
//!   back to back (connect, optional TLS, USER/PASS, STAT, RETR of every
//!   message, QUIT) until `--seconds` have passed, and the run reports
//!   sessions per second and the latency percentiles of whole sessions.
//! - Idle cost (`--idle N`): open N connections, read each greeting and
//!   hold them all open, so the server's memory per idle connection can be
//!   read from outside.
//!
//! TLS sessions are built with resumption disabled, so every session pays
//! for a full handshake, which is the expensive case a server must handle.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead as _, ReadBuf};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::pop3::client::{self, BoxedStream, ClientError, ClientSettings, Transport};
use crate::tls::{self, Trust};

/// How long sessions that are still running at the deadline may take to
/// finish before they are cut off and counted as errors.
const GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed session, so that a refused connection does not turn
/// a client into a busy loop that inflates the error count and steals CPU
/// from the server being measured.
const ERROR_BACKOFF: Duration = Duration::from_millis(20);
/// How many errors are printed in full; the rest are only counted.
const PRINTED_ERRORS: usize = 5;
/// Idle mode opens connections this many at a time, so that the server's
/// listen backlog is not flooded with thousands of simultaneous SYNs.
const IDLE_BATCH: usize = 256;
/// Idle mode gives each connection (and its TLS handshake) this long.
const IDLE_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// File descriptors the process needs besides its connections (stdio, the
/// runtime's epoll and wakeup descriptors, the CA file, ...).
const FD_SLACK: u64 = 64;

/// Arguments of `popscope load`.
#[derive(clap::Args, Debug, Clone)]
pub struct LoadArgs {
    /// Server address, e.g. 127.0.0.1:1110
    #[arg(long)]
    pub addr: SocketAddr,
    /// plain | stls | pop3s
    #[arg(long, value_enum, default_value = "plain")]
    pub mode: Transport,
    /// Number of concurrent clients, each running one session at a time.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// How long to keep starting new sessions (or, with --idle, how long to
    /// hold the connections).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    // The help text is spelled out instead of taken from a doc comment
    // because clap turns every literal "{n}" in help into a line break; an
    // invisible word joiner (U+2060) between "{" and "n" keeps it visible.
    /// User name; "{n}" is replaced by the client's number.
    #[arg(
        long,
        default_value = "alice",
        help = "User name; \"{\u{2060}n}\" is replaced by the client's number (0-based), \
                so each client can use its own maildrop (POP3 servers lock a maildrop to \
                one session)"
    )]
    pub user: String,
    /// Password for every user.
    #[arg(long, default_value = "wonderland")]
    pub password: String,
    /// Log in with the accounts of this users file (NAME:PASSWORD a line,
    /// as `popscope serve --users` reads it) instead of --user and
    /// --password: client n uses the n-th account, round the list again
    /// past its end. `popscope workshop` writes one for its students.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["user", "password"])]
    pub users: Option<PathBuf>,
    /// CA PEM to trust for TLS; without it --insecure is required for TLS
    /// modes.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Accept any server certificate (TLS modes only; for measurements
    /// against a server whose CA is not at hand).
    #[arg(long)]
    pub insecure: bool,
    /// Name to send in SNI and to check the certificate against.
    #[arg(long, default_value = "localhost")]
    pub server_name: String,
    /// Instead of sessions: open this many connections, read the greeting,
    /// and hold them idle for --seconds (to measure server memory per idle
    /// connection).
    #[arg(long)]
    pub idle: Option<usize>,
    /// Print one machine-readable line (key=value) as well.
    #[arg(long)]
    pub label: Option<String>,
}

/// What a run measured. Its `Display` is the human table row (with a
/// header) and, if the run had a label, a `key=value` line for scripts.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub mode: Transport,
    pub clients: usize,
    /// Wall time from the first connection to the end of the last session.
    pub elapsed: Duration,
    /// Sessions that completed (QUIT answered with +OK).
    pub sessions: u64,
    /// Sessions that failed, including those cut off by the time limit.
    pub errors: u64,
    /// Messages retrieved, over all sessions.
    pub messages: u64,
    /// Message bytes retrieved (after unstuffing), over all sessions.
    pub bytes: u64,
    pub sessions_per_sec: f64,
    /// Median session latency, connect to QUIT reply, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile session latency in milliseconds.
    pub p99_ms: f64,
    /// Client tasks that did not finish in time and had to be aborted.
    pub aborted: usize,
    /// Set for an `--idle` run, whose other counters stay zero.
    pub idle: Option<IdleReport>,
    pub label: Option<String>,
}

/// What an `--idle` run measured.
#[derive(Debug, Clone)]
pub struct IdleReport {
    /// Connections asked for.
    pub wanted: usize,
    /// Connections that were opened and greeted.
    pub held: usize,
    /// Connections that failed or timed out while opening.
    pub failed: usize,
    /// Of the held connections, those the server had not closed when the
    /// hold ended.
    pub still_open: usize,
}

impl LoadReport {
    /// Column titles matching [`LoadReport::row`].
    pub const HEADER: &'static str =
        "mode    clients  sessions  errors  sessions/s    p50 ms    p99 ms";

    /// The human-readable table row of a session run.
    pub fn row(&self) -> String {
        format!(
            "{:<6} {:>8} {:>9} {:>7} {:>11.1} {:>9.2} {:>9.2}",
            self.mode,
            self.clients,
            self.sessions,
            self.errors,
            self.sessions_per_sec,
            self.p50_ms,
            self.p99_ms
        )
    }

    /// The `key=value` line for scripts (values never contain spaces).
    pub fn machine_line(&self, label: &str) -> String {
        let label = label.replace(char::is_whitespace, "_");
        match &self.idle {
            Some(idle) => format!(
                "label={label} mode={} idle_wanted={} idle_held={} idle_failed={} idle_still_open={} seconds={:.2}",
                self.mode,
                idle.wanted,
                idle.held,
                idle.failed,
                idle.still_open,
                self.elapsed.as_secs_f64()
            ),
            None => format!(
                "label={label} mode={} clients={} seconds={:.2} sessions={} errors={} \
                 sessions_per_sec={:.1} p50_ms={:.3} p99_ms={:.3} messages={} bytes={} aborted={}",
                self.mode,
                self.clients,
                self.elapsed.as_secs_f64(),
                self.sessions,
                self.errors,
                self.sessions_per_sec,
                self.p50_ms,
                self.p99_ms,
                self.messages,
                self.bytes,
                self.aborted
            ),
        }
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.idle {
            Some(idle) => write!(
                f,
                "{}: held {} of {} idle connections ({} failed to open, {} still open at the end)",
                self.mode, idle.held, idle.wanted, idle.failed, idle.still_open
            )?,
            None => write!(f, "{}\n{}", Self::HEADER, self.row())?,
        }
        if let Some(label) = &self.label {
            write!(f, "\n{}", self.machine_line(label))?;
        }
        Ok(())
    }
}

/// Runs the load described by `args` and reports what it measured.
pub async fn run(args: LoadArgs) -> anyhow::Result<LoadReport> {
    if !(args.seconds.is_finite() && args.seconds > 0.0) {
        bail!("--seconds must be a positive number");
    }
    let connections = match args.idle {
        Some(0) => bail!("--idle needs at least one connection"),
        Some(n) => n,
        None if args.clients == 0 => bail!("--clients must be at least 1"),
        None => args.clients,
    };
    raise_open_file_limit(connections as u64 + FD_SLACK);
    let settings = settings_for(&args)?;
    match args.idle {
        Some(n) => run_idle(args, n, settings).await,
        None => run_sessions(args, settings).await,
    }
}

/// The client's settings for every session of the run: the library
/// client's, with one TLS configuration built here for all of them. The
/// load generator measures the server: it logs in with USER/PASS whatever
/// the transport (the demo users' passwords are no secret), and its own
/// grace period, not the client's timeout, bounds a session.
fn settings_for(args: &LoadArgs) -> anyhow::Result<ClientSettings> {
    Ok(match tls_for(args)? {
        Some((config, name)) => ClientSettings::with_tls_config(args.mode, Some(config), name),
        // A plain session never checks a certificate, so the name is
        // never read.
        None => ClientSettings::with_tls_config(
            args.mode,
            None,
            ServerName::try_from("localhost").expect("a valid DNS name"),
        ),
    })
}

/// The TLS configuration and server name for the TLS modes, or `None`.
fn tls_for(
    args: &LoadArgs,
) -> anyhow::Result<Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>> {
    if args.mode == Transport::Plain {
        return Ok(None);
    }
    let trust = match (&args.ca, args.insecure) {
        (Some(ca), _) => Trust::CaFile(ca.clone()),
        (None, true) => Trust::InsecureAcceptAny,
        (None, false) => bail!(
            "--mode {} needs --ca FILE (the CA that signed the server's certificate) or --insecure",
            args.mode
        ),
    };
    // Resumption is off so that every session measures a full handshake;
    // with it, all but the first session per client would be much cheaper
    // and the figures would depend on the server's ticket policy.
    let config = tls::client_config(&trust, false).context("cannot build the TLS client")?;
    let name = ServerName::try_from(args.server_name.clone())
        .with_context(|| format!("invalid --server-name {:?}", args.server_name))?;
    Ok(Some((config, name)))
}

/// What every client task shares.
struct Shared {
    addr: SocketAddr,
    settings: ClientSettings,
    user: String,
    password: String,
    /// The accounts of `--users`, taken in turn; empty without it.
    accounts: Vec<(String, String)>,
    /// Errors seen so far, to print only the first few.
    errors_seen: AtomicUsize,
}

impl Shared {
    fn note_error(&self, client: usize, error: &dyn fmt::Display) {
        let seen = self.errors_seen.fetch_add(1, Ordering::Relaxed);
        if seen < PRINTED_ERRORS {
            // The error may carry the server's own words (an -ERR line).
            let error = crate::sanitize::visible(&error.to_string()).into_owned();
            eprintln!("load: client {client} ({}): {error}", self.addr);
        }
    }
}

/// What one client task measured.
#[derive(Default)]
struct ClientStats {
    latencies: Vec<Duration>,
    errors: u64,
    messages: u64,
    bytes: u64,
}

async fn run_sessions(args: LoadArgs, settings: ClientSettings) -> anyhow::Result<LoadReport> {
    let accounts = match &args.users {
        Some(path) => {
            let list = crate::pop3::auth::Users::load_list(path)?;
            if list.is_empty() {
                anyhow::bail!("--users {}: the file has no users", path.display());
            }
            list
        }
        None => Vec::new(),
    };
    let shared = Arc::new(Shared {
        addr: args.addr,
        settings,
        user: args.user,
        password: args.password,
        accounts,
        errors_seen: AtomicUsize::new(0),
    });
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.seconds);
    let cutoff = deadline + GRACE;

    let mut tasks = Vec::with_capacity(args.clients);
    for n in 0..args.clients {
        tasks.push(tokio::spawn(client_loop(
            n,
            shared.clone(),
            deadline,
            cutoff,
        )));
    }

    let mut total = ClientStats::default();
    let mut aborted = 0;
    for mut task in tasks {
        // The tasks stop themselves at the cutoff; the extra second only
        // guards against a task that is stuck somewhere unexpected, so the
        // run as a whole always ends.
        match tokio::time::timeout_at(cutoff + Duration::from_secs(1), &mut task).await {
            Ok(Ok(stats)) => {
                total.latencies.extend(stats.latencies);
                total.errors += stats.errors;
                total.messages += stats.messages;
                total.bytes += stats.bytes;
            }
            Ok(Err(join_error)) => {
                total.errors += 1;
                eprintln!("load: a client task failed: {join_error}");
            }
            Err(_) => {
                task.abort();
                aborted += 1;
            }
        }
    }
    let elapsed = start.elapsed();

    let unprinted = shared
        .errors_seen
        .load(Ordering::Relaxed)
        .saturating_sub(PRINTED_ERRORS);
    if unprinted > 0 {
        eprintln!("load: {unprinted} more errors not shown");
    }
    if aborted > 0 {
        eprintln!("load: {aborted} client tasks did not stop in time and were aborted");
    }

    total.latencies.sort_unstable();
    let sessions = total.latencies.len() as u64;
    Ok(LoadReport {
        mode: args.mode,
        clients: args.clients,
        elapsed,
        sessions,
        errors: total.errors,
        messages: total.messages,
        bytes: total.bytes,
        sessions_per_sec: sessions as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile_ms(&total.latencies, 0.50),
        p99_ms: percentile_ms(&total.latencies, 0.99),
        aborted,
        idle: None,
        label: args.label,
    })
}

/// One client: sessions back to back until the deadline.
async fn client_loop(
    n: usize,
    shared: Arc<Shared>,
    deadline: Instant,
    cutoff: Instant,
) -> ClientStats {
    let (user, password) = match shared.accounts.get(n % shared.accounts.len().max(1)) {
        Some((user, password)) => (user.clone(), password.as_str()),
        None => (
            shared.user.replace("{n}", &n.to_string()),
            shared.password.as_str(),
        ),
    };
    let mut stats = ClientStats::default();
    while Instant::now() < deadline {
        let started = Instant::now();
        match tokio::time::timeout_at(cutoff, session(&shared, &user, password)).await {
            Ok(Ok((messages, bytes))) => {
                stats.latencies.push(started.elapsed());
                stats.messages += messages;
                stats.bytes += bytes;
            }
            Ok(Err(error)) => {
                stats.errors += 1;
                shared.note_error(n, &error);
                tokio::time::sleep(ERROR_BACKOFF).await;
            }
            Err(_) => {
                stats.errors += 1;
                shared.note_error(n, &"session still running after the grace period");
                break;
            }
        }
    }
    stats
}

/// One complete session; returns the number of messages and bytes
/// retrieved.
async fn session(shared: &Shared, user: &str, password: &str) -> Result<(u64, u64), ClientError> {
    let mut session = client::open(shared.addr, &shared.settings, user, password).await?;
    let client = &mut session.client;
    let stat = client.command("STAT", false).await?.expect_ok("STAT")?;
    let count = parse_stat(&stat.status_line)?;
    let mut bytes = 0;
    for i in 1..=count {
        let reply = client
            .command(&format!("RETR {i}"), true)
            .await?
            .expect_ok("RETR")?;
        bytes += reply.body.map_or(0, |body| body.len() as u64);
    }
    client.command("QUIT", false).await?.expect_ok("QUIT")?;
    Ok((count, bytes))
}

/// The message count from a STAT reply's text, `"count size"`.
fn parse_stat(text: &str) -> Result<u64, ClientError> {
    text.split_ascii_whitespace()
        .next()
        .and_then(|count| count.parse().ok())
        .ok_or_else(|| ClientError::Protocol(format!("malformed STAT reply {text:?}")))
}

/// The nearest-rank percentile of sorted latencies, in milliseconds; zero
/// when there are none.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

async fn run_idle(
    args: LoadArgs,
    wanted: usize,
    settings: ClientSettings,
) -> anyhow::Result<LoadReport> {
    let settings = Arc::new(settings);
    let start = Instant::now();
    let mut held: Vec<BoxedStream> = Vec::with_capacity(wanted);
    let mut failed = 0;
    let mut opened = 0;
    while opened < wanted {
        let batch = IDLE_BATCH.min(wanted - opened);
        let mut set = JoinSet::new();
        for _ in 0..batch {
            let settings = settings.clone();
            let addr = args.addr;
            set.spawn(async move {
                tokio::time::timeout(
                    IDLE_CONNECT_TIMEOUT,
                    client::open_unauthenticated(addr, &settings),
                )
                .await
            });
        }
        while let Some(result) = set.join_next().await {
            match result {
                // Only the stream is kept: the client's read buffer would
                // cost the load generator memory for nothing, and the
                // server sends nothing more while the connection idles.
                Ok(Ok(Ok(session))) => held.push(session.client.into_inner()),
                Ok(Ok(Err(error))) => {
                    if failed < PRINTED_ERRORS {
                        eprintln!("load: idle connection to {}: {error}", args.addr);
                    }
                    failed += 1;
                }
                Ok(Err(_)) => {
                    if failed < PRINTED_ERRORS {
                        eprintln!(
                            "load: idle connection to {}: timed out while opening",
                            args.addr
                        );
                    }
                    failed += 1;
                }
                Err(join_error) => {
                    eprintln!("load: a connecting task failed: {join_error}");
                    failed += 1;
                }
            }
        }
        opened += batch;
    }
    eprintln!(
        "load: holding {} idle connections for {} s ({} failed, {:.1} s to open); \
         read the server's memory now, e.g. grep VmRSS /proc/PID/status",
        held.len(),
        args.seconds,
        failed,
        start.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
    let still_open = count_open(&mut held).await;
    let idle = IdleReport {
        wanted,
        held: held.len(),
        failed,
        still_open,
    };
    drop(held);
    Ok(LoadReport {
        mode: args.mode,
        clients: wanted,
        elapsed: start.elapsed(),
        sessions: 0,
        errors: failed as u64,
        messages: 0,
        bytes: 0,
        sessions_per_sec: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        aborted: 0,
        idle: Some(idle),
        label: args.label,
    })
}

/// Counts the connections the server has not closed, without waiting:
/// each stream gets exactly one read attempt, and one that has nothing to
/// read is open.
async fn count_open(streams: &mut [BoxedStream]) -> usize {
    // Tokio's cooperative budget would make reads report "not ready"
    // after a hundred or so polls in one go, which would count closed
    // connections as open; `unconstrained` switches the budget off.
    tokio::task::unconstrained(async {
        let mut open = 0;
        let mut byte = [0u8; 1];
        for stream in streams.iter_mut() {
            // A direct poll rather than a zero timeout: tokio rounds timer
            // deadlines up to the next millisecond, so ten thousand zero
            // timeouts in a row would take ten seconds.
            let is_open = std::future::poll_fn(|cx| {
                let mut buf = ReadBuf::new(&mut byte);
                Poll::Ready(match Pin::new(&mut *stream).poll_read(cx, &mut buf) {
                    Poll::Pending => true,
                    // The server said something (perhaps a goodbye before
                    // an idle timeout) but has not closed the connection.
                    Poll::Ready(Ok(())) => !buf.filled().is_empty(),
                    Poll::Ready(Err(_)) => false,
                })
            })
            .await;
            open += usize::from(is_open);
        }
        open
    })
    .await
}

/// Raises the soft limit on open files to the hard limit, since thousands
/// of connections need thousands of descriptors and many systems default
/// the soft limit to 1024. Warns if even the hard limit is below `needed`.
#[cfg(unix)]
fn raise_open_file_limit(needed: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given, which is a
    // valid, exclusively borrowed rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        eprintln!(
            "load: cannot read the open-file limit: {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given; raising the
        // soft limit up to the hard limit needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        } else {
            eprintln!(
                "load: cannot raise the open-file limit: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[allow(
        clippy::useless_conversion,
        reason = "rlim_t is u64 on Linux but not on every Unix"
    )]
    let current = u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX);
    if current < needed {
        eprintln!(
            "load: the open-file limit is {current} but this run needs about {needed}; \
             raise the hard limit (ulimit -Hn, or LimitNOFILE) or expect failures"
        );
    }
}

#[cfg(not(unix))]
fn raise_open_file_limit(_needed: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    use tokio::net::TcpListener;

    /// A stand-in for main's command line, to parse `LoadArgs` in tests.
    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        load: LoadArgs,
    }

    fn parse(args: &str) -> LoadArgs {
        Cli::try_parse_from(std::iter::once("load").chain(args.split_whitespace()))
            .unwrap()
            .load
    }

    #[test]
    fn arguments_and_defaults() {
        let args = parse("--addr 127.0.0.1:1110");
        assert_eq!(args.mode, Transport::Plain);
        assert_eq!(args.clients, 16);
        assert_eq!(args.seconds, 10.0);
        assert_eq!(args.user, "alice");
        assert_eq!(args.server_name, "localhost");
        let args = parse("--addr 127.0.0.1:1995 --mode pop3s --insecure --idle 5 --label x");
        assert_eq!(args.mode, Transport::Implicit);
        assert!(args.insecure);
        assert_eq!(args.idle, Some(5));
        assert_eq!(args.label.as_deref(), Some("x"));
        assert_eq!(
            parse("--addr 127.0.0.1:1 --mode stls").mode,
            Transport::Stls
        );
    }

    #[test]
    fn tls_modes_need_trust() {
        let args = parse("--addr 127.0.0.1:1995 --mode pop3s");
        assert!(tls_for(&args).is_err());
        let args = parse("--addr 127.0.0.1:1995 --mode pop3s --insecure");
        assert!(tls_for(&args).unwrap().is_some());
        let args = parse("--addr 127.0.0.1:1110");
        assert!(tls_for(&args).unwrap().is_none());
    }

    #[test]
    fn percentiles() {
        let ms = |v: u64| Duration::from_millis(v);
        let sorted: Vec<_> = (1..=100).map(ms).collect();
        assert_eq!(percentile_ms(&sorted, 0.50), 50.0);
        assert_eq!(percentile_ms(&sorted, 0.99), 99.0);
        assert_eq!(percentile_ms(&[ms(7)], 0.99), 7.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }

    #[test]
    fn stat_parsing() {
        assert_eq!(parse_stat("3 1024").unwrap(), 3);
        assert_eq!(parse_stat("0 0").unwrap(), 0);
        assert!(parse_stat("lots").is_err());
    }

    /// A tiny POP3 server with one maildrop of two messages, enough to
    /// drive the session loop: it answers USER, PASS, STAT, RETR and QUIT.
    async fn fake_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut io = BufReader::new(tcp);
                    io.get_mut().write_all(b"+OK ready\r\n").await?;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if io.read_line(&mut line).await? == 0 {
                            return Ok::<_, std::io::Error>(());
                        }
                        let reply: &[u8] = match line.trim_end() {
                            "STAT" => b"+OK 2 40\r\n",
                            "RETR 1" => b"+OK\r\nSubject: one\r\n\r\n..dot\r\n.\r\n",
                            "RETR 2" => b"+OK\r\nSubject: two\r\n.\r\n",
                            "QUIT" => {
                                io.get_mut().write_all(b"+OK bye\r\n").await?;
                                return Ok(());
                            }
                            "PASS wrong" => b"-ERR [AUTH] no\r\n",
                            _ => b"+OK\r\n",
                        };
                        io.get_mut().write_all(reply).await?;
                    }
                });
            }
        });
        addr
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sessions_against_a_fake_server() {
        let addr = fake_server().await;
        let args = parse(&format!(
            "--addr {addr} --clients 3 --seconds 0.3 --user u{{n}} --label fake"
        ));
        let report = run(args).await.unwrap();
        assert!(report.sessions > 0, "{report}");
        assert_eq!(report.errors, 0, "{report}");
        assert_eq!(report.messages, 2 * report.sessions);
        // "Subject: one\r\n\r\n.dot\r\n" and "Subject: two\r\n".
        assert_eq!(report.bytes, (22 + 14) * report.sessions);
        assert!(report.p50_ms <= report.p99_ms);
        let text = report.to_string();
        assert!(text.contains("label=fake mode=plain clients=3"), "{text}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_logins_are_counted_not_fatal() {
        let addr = fake_server().await;
        let args = parse(&format!(
            "--addr {addr} --clients 2 --seconds 0.2 --password wrong"
        ));
        let report = run(args).await.unwrap();
        assert_eq!(report.sessions, 0);
        assert!(report.errors > 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_users_file_gives_each_client_its_account() {
        let addr = fake_server().await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("users.txt");
        // Client 0 logs in as a, client 1 as b with the password the fake
        // server refuses, client 2 as a again.
        std::fs::write(&file, "# room\na:fine\nb:wrong\n").unwrap();
        let args = parse(&format!(
            "--addr {addr} --clients 3 --seconds 0.2 --users {}",
            file.display()
        ));
        let report = run(args).await.unwrap();
        assert!(report.sessions > 0, "{report}");
        assert!(report.errors > 0, "{report}");
        std::fs::write(&file, "a:fine\n").unwrap();
        let args = parse(&format!(
            "--addr {addr} --clients 2 --seconds 0.2 --users {}",
            file.display()
        ));
        assert_eq!(run(args).await.unwrap().errors, 0);
        assert!(
            Cli::try_parse_from([
                "load",
                "--addr",
                "127.0.0.1:1",
                "--users",
                "f",
                "--user",
                "x"
            ])
            .is_err(),
            "--users replaces --user"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_connections_are_held() {
        let addr = fake_server().await;
        let args = parse(&format!("--addr {addr} --idle 300 --seconds 0.1"));
        let report = run(args).await.unwrap();
        let idle = report.idle.unwrap();
        assert_eq!(idle.held, 300);
        assert_eq!(idle.failed, 0);
        assert_eq!(idle.still_open, 300);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_connections_closed_by_the_server_are_noticed() {
        // This server greets and hangs up at once, as an overloaded server
        // might; the hold must not report those connections as open.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let _ = tcp.write_all(b"+OK ready\r\n").await;
            }
        });
        let args = parse(&format!("--addr {addr} --idle 20 --seconds 0.2"));
        let idle = run(args).await.unwrap().idle.unwrap();
        assert_eq!(idle.held, 20);
        assert_eq!(idle.still_open, 0);
    }

    /// Runs the load generator against a real server. Set
    /// `POPSCOPE_LOAD_ARGS` to one or more argument lists separated by
    /// `;`, for example
    /// `--addr 127.0.0.1:1110 --label d;--addr 127.0.0.1:1110 --mode stls --ca ca.pem`,
    /// and run `cargo test --release --lib load -- --ignored --nocapture`.
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "needs a running POP3 server; see scripts/"]
    async fn against_a_real_server() {
        let runs = std::env::var("POPSCOPE_LOAD_ARGS").expect("set POPSCOPE_LOAD_ARGS");
        for one in runs.split(';').filter(|s| !s.trim().is_empty()) {
            let report = run(parse(one)).await.unwrap();
            println!("{report}");
        }
    }
}
