//! The lab: a server, the tap and a client wired together for one
//! scenario, on ephemeral loopback ports, with a fresh copy of the demo
//! mailbox.
//!
//! [`Lab::start`] returns the handle that drives the client and one stream
//! of [`Event`]s from every part. The TUI, the lessons and `popscope demo`
//! all consume that stream; [`describe`] puts events into words for both.

pub mod capture;
mod crack;
pub mod describe;
pub mod driver;
mod event;
pub(crate) mod judge;
pub mod proxy;
mod stolen;

pub(crate) use event::at_ms;
pub use event::{
    AttackEvent, ClientEvent, ClientProblem, DemoStep, Event, EventKind, LabEvent, Means, Prize,
    SealedReason, Side, Status, TlsEvent, TlsFailure, TlsVersion, Why, WireEvent,
};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::ServerName;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::attack::crack::{Candidates, Mutations, Wordlist};
use crate::attack::{Attack, Attacker, Switch};
use crate::mailbox::{Store, demo};
use crate::pop3::auth::Users;
use crate::pop3::client::{
    BoundedReply, ClientError, ClientSettings, PreparedTls, Reply, Session, TlsInfo,
    open_unauthenticated,
};
use crate::pop3::command::Command;
use crate::pop3::observe::Observer;
use crate::pop3::server::{Server, ServerConfig, ServerHandle};
use crate::pop3::session::{Backend, SessionConfig};
use crate::tls;
use crate::wire::Direction;
use crate::wire::dissect::Dissector;
use crate::wire::tap::{self as wtap, Gate, Tap, TapConfig, TapEvent};
use crate::wire::tls::summarize_certificate;

pub use crate::pop3::settings::{AuthMethod, Transport, Trust};

/// What the lab runs: transport, login and client settings.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Its name, e.g. "plain".
    pub name: String,
    /// How the client connects.
    pub transport: Transport,
    /// How it logs in.
    pub auth: AuthMethod,
    /// Never send credentials without TLS.
    pub require_tls: bool,
    /// How the certificate is checked.
    pub verify: Trust,
    /// The client's deliberately vulnerable mode for the response-injection
    /// demonstration: bytes after the `+OK` to STLS are read as if they came
    /// inside TLS (see [`crate::pop3::settings::ClientSettings::keep_buffer_across_stls`]).
    /// Off unless a scenario turns it on; shown in JSON only when on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vulnerable_client: bool,
    /// The login name.
    pub user: String,
    /// The password (never serialized).
    #[serde(skip)]
    pub password: String,
    /// The attacker on the wire, if any.
    #[serde(default)]
    pub attack: Option<Attack>,
    /// The lab's server keeps bytes that arrive after STLS and before the
    /// handshake and runs them inside TLS, as servers vulnerable to
    /// CVE-2011-0411 did. Off unless a learner turns it on, and only for
    /// the lab's own server.
    #[serde(default)]
    pub vulnerable_server: bool,
    /// The only TLS version the client offers; `None` offers both, and
    /// rustls then agrees on TLS 1.3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<TlsVersion>,
}

impl Scenario {
    /// The named scenarios of `popscope demo`.
    pub const NAMES: &'static [&'static str] = &["plain", "apop", "auth-plain", "stls", "pop3s"];

    /// A named scenario with the demo user alice.
    pub fn named(name: &str) -> Option<Scenario> {
        let (transport, auth) = match name {
            "plain" => (Transport::Plain, AuthMethod::UserPass),
            "apop" => (Transport::Plain, AuthMethod::Apop),
            "auth-plain" => (Transport::Plain, AuthMethod::AuthPlain),
            "stls" => (Transport::Stls, AuthMethod::UserPass),
            "pop3s" => (Transport::Implicit, AuthMethod::UserPass),
            _ => return None,
        };
        Some(Scenario {
            name: name.to_string(),
            transport,
            auth,
            require_tls: transport != Transport::Plain,
            verify: Trust::LabCa,
            vulnerable_client: false,
            user: "alice".into(),
            password: "wonderland".into(),
            attack: None,
            vulnerable_server: false,
            tls_version: None,
        })
    }
}

/// Where the lab's server is.
#[derive(Debug, Clone, Default)]
pub struct LabOptions {
    /// An outside server instead of the lab's own (the tap still sits in
    /// between).
    pub server: Option<SocketAddr>,
    /// The name the client checks the certificate against.
    pub server_name: Option<String>,
    /// The word list for the APOP search, instead of the built-in one.
    pub wordlist: Option<PathBuf>,
}

/// The error a lab failure was caused by, kept for callers that walk
/// [`std::error::Error::source`].
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a lab step failed.
///
/// Each message carries its cause in words, because the lab's events and
/// the screen show `to_string()` alone; the cause itself is kept as the
/// `source()` too, and the binary's error printer says it only once.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The lab could not be set up.
    #[error("cannot start the lab: {what}")]
    Setup {
        /// What failed, with its cause in words.
        what: String,
        /// The cause, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// The TLS handshake failed; the text names the certificate problem.
    #[error(transparent)]
    Tls(ClientError),
    /// A request the lab cannot carry out (no APOP login to crack, say).
    #[error("{0}")]
    Refused(String),
    /// The client refused to go on (require-TLS and no STLS, say), or the
    /// server refused STLS.
    #[error("{message}")]
    Stopped {
        /// Why, as a value.
        problem: ClientProblem,
        /// Why, in English words.
        message: String,
    },
    /// The server answered -ERR where the step needed +OK.
    #[error("{command} failed: -ERR {text}")]
    Err {
        /// The command (password masked).
        command: String,
        /// The server's text after -ERR.
        text: String,
    },
    /// The connection broke.
    #[error("connection: {0}")]
    Io(#[source] Cause),
    /// No connection yet (or any more).
    #[error("the client is not connected")]
    NotConnected,
}

impl LabError {
    /// A set-up failure whose message is its cause's.
    pub(crate) fn setup<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        LabError::Setup {
            what: e.to_string(),
            source: Some(Box::new(e)),
        }
    }

    /// A set-up failure with no error behind it.
    pub(crate) fn setup_because(what: String) -> Self {
        LabError::Setup { what, source: None }
    }

    /// Why the client stopped, as a value, when the client stopped: what
    /// [`LabEvent::Finished`] carries so that each view words it in its
    /// own language. `None` for the lab's own failures (set-up, no
    /// connection, a request it cannot carry out).
    pub fn problem(&self) -> Option<ClientProblem> {
        match self {
            LabError::Tls(e) => Some(client_problem(e)),
            LabError::Stopped { problem, .. } => Some(problem.clone()),
            LabError::Err { command, text } => Some(ClientProblem::ErrReply {
                step: command.clone(),
                text: text.clone(),
            }),
            LabError::Io(cause) => Some(match cause.downcast_ref::<ClientError>() {
                Some(e) => client_problem(e),
                None => ClientProblem::Other {
                    message: cause.to_string(),
                },
            }),
            LabError::Setup { .. } | LabError::Refused(_) | LabError::NotConnected => None,
        }
    }

    /// A broken connection.
    fn io<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        LabError::Io(Box::new(e))
    }
}

/// Sends events stamped with the lab's clock. Cloned into every task.
/// Every event passes the [`judge::Judge`], so an attack's verdict follows
/// the event that settled it.
#[derive(Clone)]
pub(crate) struct Emitter {
    pub(crate) epoch: Instant,
    pub(crate) tx: mpsc::UnboundedSender<Event>,
    pub(crate) judge: Arc<std::sync::Mutex<judge::Judge>>,
}

impl Emitter {
    pub(crate) fn at(&self, at: Duration, kind: EventKind) {
        let verdict = crate::sync::lock(&self.judge).see(&kind);
        let _ = self.tx.send(Event { at, kind });
        if let Some(v) = verdict {
            let _ = self.tx.send(Event {
                at,
                kind: EventKind::Attack(v),
            });
        }
    }
    pub(crate) fn now(&self, kind: EventKind) {
        self.at(self.epoch.elapsed(), kind);
    }
    fn client(&self, e: ClientEvent) {
        self.now(EventKind::Client(e));
    }
}

/// Fold one event into the connections' key schedules
/// (`wire::session_keys`): the handshake steps, the secrets the client
/// logged (the server's copies are the same secrets) and the encrypted
/// records the eavesdropper counted. The one rule for which events feed
/// them, for the screen's key view and `demo --json`.
pub fn fold_keys(sessions: &mut crate::wire::session_keys::Sessions, kind: &EventKind) {
    match kind {
        EventKind::Tls(TlsEvent::Step { conn, order, step }) => sessions.step(*conn, *order, step),
        EventKind::Tls(TlsEvent::Secret {
            side: Side::Client,
            label,
            client_random,
            secret,
        }) => sessions.secret(label, client_random, secret),
        EventKind::Wire(WireEvent::Seen {
            conn,
            item:
                crate::wire::dissect::Item::TlsRecord {
                    dir,
                    encrypted: true,
                    ..
                },
        }) => sessions.encrypted_record(*conn, *dir),
        _ => {}
    }
}

/// rustls's key-log hook, turned into [`TlsEvent::Secret`]s.
struct KeyLogEvents {
    side: Side,
    emit: Emitter,
    /// Where the pump reads the key log (the attacker's copy, in the
    /// stolen-keys scenario, is the same log); the server's secrets are
    /// the client's, so only the client's hook writes there.
    log: Option<stolen::Leaked>,
    /// Rung after each secret, so the pump reads the handshake again
    /// without waiting for the next chunk.
    grew: Option<Arc<tokio::sync::Notify>>,
}

impl std::fmt::Debug for KeyLogEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLogEvents")
            .field("side", &self.side)
            .finish()
    }
}

impl rustls::KeyLog for KeyLogEvents {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        // Into the attacker's copy first, so that it holds the secret
        // before the record it opens can cross the wire.
        if let Some(log) = &self.log {
            let _ = crate::sync::lock(log).insert(label, client_random, secret);
        }
        if let Some(grew) = &self.grew {
            grew.notify_one();
        }
        self.emit.now(EventKind::Tls(TlsEvent::Secret {
            side: self.side,
            label: label.to_string(),
            client_random: hex::encode(client_random),
            secret: hex::encode(secret),
        }));
    }
}

/// Turns what the lab's client does into [`ClientEvent`]s.
struct LabObserver {
    emit: Emitter,
    /// What the certificate is checked against, for `TlsEstablished`:
    /// the scenario's setting, with "the lab's CA" kept only when the lab
    /// has one.
    trust: Trust,
    /// The transport the client is set to use, which is what a refusal
    /// for want of TLS is about.
    transport: Transport,
}

impl Observer for LabObserver {
    fn connecting(&self, addr: SocketAddr, transport: Transport) {
        self.emit
            .client(ClientEvent::Connecting { addr, transport });
    }

    fn sent(&self, shown: &str) {
        self.emit.client(ClientEvent::Sent {
            line: shown.to_string(),
        });
    }

    fn received(&self, bounded: &BoundedReply) {
        let r = &bounded.reply;
        let status = if r.continuation {
            Status::Continuation
        } else if r.ok {
            Status::Ok
        } else {
            Status::Err
        };
        // The client kept at most BODY_KEPT bytes of the body already.
        let body = r
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        self.emit.client(ClientEvent::Received {
            status,
            text: r.status_line.clone(),
            body,
            body_len: bounded.body_len,
        });
    }

    fn tls_established(&self, info: &TlsInfo) {
        self.emit.client(ClientEvent::TlsEstablished {
            summary: info.summary.clone(),
            chain: info
                .peer_certificates
                .iter()
                .map(|d| summarize_certificate(d))
                .collect(),
            version: TlsVersion::from_rustls_name(&info.summary.version),
            trust: self.trust.clone(),
        });
    }

    fn tls_failed(&self, error: &ClientError) {
        self.emit.client(ClientEvent::TlsFailed {
            failure: tls_failure(error),
        });
    }

    fn refused(&self, error: &ClientError) {
        self.emit.client(ClientEvent::Error {
            problem: refusal(error, self.transport),
        });
    }

    fn stays_cleartext(&self) {
        self.emit.client(ClientEvent::StaysCleartext);
    }

    fn stls_leftover(&self, bytes: &[u8], kept: bool) {
        self.emit.client(ClientEvent::StlsLeftover {
            len: bytes.len(),
            preview: String::from_utf8_lossy(&bytes[..bytes.len().min(STLS_LEFTOVER_SHOWN)])
                .into_owned(),
            kept,
        });
    }
}

/// A failed handshake as a value: the certificate's problem when it was
/// that, else the error's own text.
fn tls_failure(error: &ClientError) -> TlsFailure {
    match error {
        ClientError::Certificate { problem, .. } => TlsFailure::Certificate {
            problem: problem.clone(),
        },
        ClientError::Tls(e) => TlsFailure::Handshake {
            message: e.to_string(),
        },
        other => TlsFailure::Handshake {
            message: other.to_string(),
        },
    }
}

/// A client error that is not one of the client's own refusals, as a
/// value: a failed handshake or -ERR typed, anything else with its text.
fn client_problem(error: &ClientError) -> ClientProblem {
    match error {
        ClientError::Certificate { .. } | ClientError::Tls(_) => ClientProblem::Tls {
            failure: tls_failure(error),
        },
        ClientError::ErrReply { command, text, .. } if command == "STLS" => {
            ClientProblem::StlsRefused { text: text.clone() }
        }
        ClientError::ErrReply { command, text, .. } => ClientProblem::ErrReply {
            step: command.clone(),
            text: text.clone(),
        },
        ClientError::Closed => ClientProblem::ServerClosed,
        other => ClientProblem::Other {
            message: other.to_string(),
        },
    }
}

/// A refusal of the client's own (it kept the password, say) as a value;
/// other errors as [`client_problem`] has them.
fn refusal(error: &ClientError, transport: Transport) -> ClientProblem {
    match error {
        ClientError::TlsRequired(_) => ClientProblem::TlsRequired { transport },
        ClientError::CleartextLogin { method } => ClientProblem::CleartextLogin {
            method: (*method).to_string(),
        },
        ClientError::UserRefused { text, .. } => ClientProblem::UserRefused { text: text.clone() },
        ClientError::NoApopTimestamp => ClientProblem::NoApopTimestamp,
        ClientError::SaslNotOffered { mechanism } => ClientProblem::SaslNotOffered {
            mechanism: (*mechanism).to_string(),
        },
        other => client_problem(other),
    }
}

/// How much of the bytes found after +OK to STLS an event shows.
const STLS_LEFTOVER_SHOWN: usize = 200;

/// A running lab.
pub struct Lab {
    scenario: Scenario,
    emit: Emitter,
    tap_addr: SocketAddr,
    server_addr: SocketAddr,
    gate: Gate,
    /// The real client's settings for this scenario, with the lab's
    /// observer and TLS configuration (whose key log feeds the events).
    settings: ClientSettings,
    /// The client's session, once connected.
    session: Option<Session>,
    open_conns: watch::Receiver<usize>,
    server: Option<ServerHandle>,
    tasks: Vec<JoinHandle<()>>,
    ca: Option<PathBuf>,
    cracker: Arc<crack::Cracker>,
    _copy: Option<demo::DemoCopy>,
}

const CAPTURE_LIMIT: u64 = 16 * 1024 * 1024;
/// How much of a multi-line body the lab's client keeps: its events and
/// the replies [`Lab::command`] returns carry this much at most, plus the
/// whole length, so a 100 MB RETR costs the lab 64 KiB and not 100 MB.
const BODY_KEPT: usize = 64 * 1024;

impl Lab {
    /// Start the server (unless `options.server` names an outside one),
    /// the tap and the event plumbing. The client connects with
    /// [`connect`](Self::connect).
    pub async fn start(
        scenario: Scenario,
        options: LabOptions,
    ) -> Result<(Lab, mpsc::UnboundedReceiver<Event>), LabError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let emit = Emitter {
            epoch: Instant::now(),
            tx,
            judge: Arc::new(std::sync::Mutex::new(judge::Judge::new(scenario.attack))),
        };
        let mut copy = None;
        let mut tasks = Vec::new();
        let mut ca = None;
        let mut decoy = None;
        let (server_addr, server) = match options.server {
            Some(addr) => {
                // Fail early and clearly if the outside server is not there,
                // rather than as a puzzling handshake error later.
                match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
                    Ok(Ok(_probe)) => {}
                    Ok(Err(e)) => {
                        return Err(LabError::Setup {
                            what: format!("cannot reach {addr}: {e}"),
                            source: Some(Box::new(e)),
                        });
                    }
                    Err(_) => {
                        return Err(LabError::setup_because(format!(
                            "cannot reach {addr}: no answer in 5 s"
                        )));
                    }
                }
                (addr, None)
            }
            None => {
                // A named, locked copy rather than an anonymous temp dir, so
                // one left behind by `kill -9` is swept at the next start.
                let mail = demo::DemoCopy::create().map_err(LabError::setup)?;
                // The lab's own CA lives inside the copy, under a name that
                // can never be a user's maildrop (a leading dot).
                let pki =
                    tls::ensure_demo_pki(&mail.path().join(".pki")).map_err(LabError::setup)?;
                let mut server_tls = (*tls::server_config(&pki.server_cert, &pki.server_key)
                    .map_err(LabError::setup)?)
                .clone();
                server_tls.key_log = Arc::new(KeyLogEvents {
                    side: Side::Server,
                    emit: emit.clone(),
                    log: None,
                    grew: None,
                });
                let mut users = Users::new();
                for (n, p) in demo::DEMO_USERS {
                    users.insert(n, p);
                }
                let (stx, mut srx) = mpsc::unbounded_channel();
                let config = ServerConfig {
                    pop3: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
                    pop3s: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
                    tls: Some(Arc::new(server_tls)),
                    session: SessionConfig {
                        login_delay: Duration::ZERO,
                        ..SessionConfig::default()
                    },
                    events: Some(stx),
                    // A learner stepping through a handshake on a paused
                    // wire may read for minutes between two chunks; the
                    // lab's server waits as long for a handshake as for an
                    // idle session rather than cut it after 30 s.
                    handshake_timeout: ServerConfig::default().idle_timeout,
                    vulnerable_stls_injection: scenario.vulnerable_server,
                    ..ServerConfig::default()
                };
                let backend = Arc::new(Backend {
                    users,
                    store: Store::new(mail.path()),
                });
                let server = Server::bind(config, backend)
                    .await
                    .map_err(LabError::setup)?;
                let handle = server.spawn();
                let forward = emit.clone();
                tasks.push(tokio::spawn(async move {
                    while let Some(e) = srx.recv().await {
                        forward.now(EventKind::Server(e));
                    }
                }));
                let addr = match scenario.transport {
                    Transport::Implicit => handle.pop3s,
                    _ => handle.pop3,
                }
                .ok_or_else(|| LabError::setup_because("the server has no listener".into()))?;
                ca = Some(pki.ca_cert.clone());
                decoy = pki.decoy.clone();
                copy = Some(mail);
                (addr, Some(handle))
            }
        };

        let tap = Tap::bind(TapConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            upstream: server_addr,
            capture_limit: CAPTURE_LIMIT,
        })
        .await
        .map_err(LabError::setup)?;
        let attacker = match scenario.attack {
            Some(attack) if attack.is_active() => {
                let mut attacker = Attacker::new(attack, scenario.transport == Transport::Implicit)
                    .map_err(LabError::setup)?;
                if attack == Attack::WrongName {
                    // Only the lab's own CA can have issued the decoy: the
                    // client trusts it, and the name is the only thing wrong.
                    let Some((cert, key)) = &decoy else {
                        return Err(LabError::setup_because(
                            "the name-mismatch attack needs the lab's own server and CA (not \
                             --server)"
                                .into(),
                        ));
                    };
                    attacker = attacker
                        .with_decoy(tls::server_config(cert, key).map_err(LabError::setup)?);
                }
                Some(attacker)
            }
            _ => None,
        };
        let words = match &options.wordlist {
            None => Wordlist::builtin(),
            Some(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || Wordlist::read(&path))
                    .await
                    .map_err(LabError::setup)?
                    .map_err(LabError::setup)?
            }
        };
        let cracker = crack::Cracker::new(
            emit.clone(),
            Candidates::new(words, Mutations::Common),
            scenario.password.clone(),
            scenario.attack == Some(Attack::Crack),
        );
        // The client's key log: the endpoints' own, which opens the
        // handshake for the TLS pane, and in the stolen-keys scenario the
        // very log the attacker holds a copy of.
        let endpoints = stolen::Leaked::default();
        let grew = Arc::new(tokio::sync::Notify::new());
        let leaked: Option<stolen::Leaked> =
            (scenario.attack == Some(Attack::StealKeys)).then(|| endpoints.clone());
        let on_tap = match attacker {
            Some(a) => OnTap::Attacker(Box::new(a)),
            None => OnTap::Watch,
        };
        let wired = run_tap(
            tap,
            on_tap,
            &emit,
            scenario.transport == Transport::Implicit,
            Some(cracker.clone()),
            leaked.clone(),
            Some((endpoints.clone(), grew.clone())),
        )?;
        let (tap_addr, gate, open_conns) = (wired.addr, wired.gate, wired.open);
        tasks.extend(wired.tasks);

        // The client's settings, built once: every connect opens a session
        // of the real client with them, and the observer turns what it does
        // into events.
        let trust = match &scenario.verify {
            // "The lab's CA" is the lab's own server's CA, or the system's
            // roots in front of an outside server.
            Trust::LabCa => match &ca {
                Some(p) => Trust::CaFile(p.clone()),
                None => Trust::SystemRoots,
            },
            other => other.clone(),
        };
        // What the client's events say the certificate was checked
        // against: the lab's CA only where the lab has one of its own.
        let checked_against = match &scenario.verify {
            Trust::LabCa if ca.is_none() => Trust::SystemRoots,
            other => other.clone(),
        };
        let prepared = if scenario.transport == Transport::Plain {
            None
        } else {
            let (config, presented) = tls::client_config_recording(
                &trust,
                false,
                scenario.tls_version.map(TlsVersion::supported),
            )
            .map_err(LabError::setup)?;
            let mut c = (*config).clone();
            c.key_log = Arc::new(KeyLogEvents {
                side: Side::Client,
                emit: emit.clone(),
                log: Some(endpoints.clone()),
                grew: Some(grew.clone()),
            });
            Some(PreparedTls {
                config: Arc::new(c),
                presented: Some(presented),
            })
        };
        let name = options.server_name.unwrap_or_else(|| "localhost".into());
        let server_name = ServerName::try_from(name.clone())
            .map_err(|_| LabError::setup_because(format!("{name:?} is not a valid server name")))?;
        let observer = Arc::new(LabObserver {
            emit: emit.clone(),
            trust: checked_against,
            transport: scenario.transport,
        });
        let settings = ClientSettings {
            transport: scenario.transport,
            auth: scenario.auth,
            // Require-TLS on a plain scenario is not a contradiction here:
            // the learner sees the client connect and then refuse to send
            // the password, which is the login rule below.
            require_tls: scenario.require_tls && scenario.transport != Transport::Plain,
            trust,
            allow_cleartext_login: !scenario.require_tls,
            server_name,
            // A learner stepping through a paused wire may take minutes.
            timeout: None,
            tls: prepared,
            keep_buffer_across_stls: scenario.vulnerable_client,
            observer: Some(observer),
        };

        emit.now(EventKind::Lab(LabEvent::Started {
            scenario: scenario.clone(),
            server: server_addr,
            tap: tap_addr,
            own_server: server.is_some(),
        }));
        if let Some(attack) = scenario.attack {
            emit.now(EventKind::Attack(AttackEvent::Armed { attack }));
        }
        Ok((
            Lab {
                scenario,
                emit,
                tap_addr,
                server_addr,
                gate,
                settings,
                session: None,
                open_conns,
                server,
                tasks,
                ca,
                cracker,
                _copy: copy,
            },
            rx,
        ))
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Where the client connects: the tap.
    pub fn tap_addr(&self) -> SocketAddr {
        self.tap_addr
    }

    /// The server behind the tap.
    pub fn server_addr(&self) -> SocketAddr {
        self.server_addr
    }

    /// The CA of the lab's own server, if it has one.
    pub fn ca(&self) -> Option<&PathBuf> {
        self.ca.as_ref()
    }

    /// Pause, step and resume the wire.
    pub fn gate(&self) -> Gate {
        self.gate.clone()
    }

    /// Say that a scripted step begins.
    pub fn step(&self, step: DemoStep) {
        self.emit.now(EventKind::Lab(LabEvent::Step { step }));
    }

    /// Connect through the tap and read the greeting; with STLS or POP3S,
    /// do the TLS handshake too. This is the library client's
    /// [`open_unauthenticated`] with the scenario's settings; the observer
    /// turns each of its steps into events.
    pub async fn connect(&mut self) -> Result<(), LabError> {
        // A client that hangs up without QUIT: the server ends that session
        // (deleting nothing) and frees the maildrop. Wait, briefly, until
        // the tap has seen both sides close, so the new session does not
        // find the maildrop still locked ([IN-USE]).
        if let Some(old) = self.session.take() {
            let before = *self.open_conns.borrow();
            drop(old);
            // After QUIT the server has already closed it: nothing to wait for.
            if before > 0 {
                let _ = tokio::time::timeout(
                    Duration::from_secs(2),
                    self.open_conns.wait_for(|n| *n < before),
                )
                .await;
            }
        }
        match open_unauthenticated(self.tap_addr, &self.settings).await {
            Ok(session) => {
                self.session = Some(session);
                Ok(())
            }
            Err(e) => Err(self.client_failed(e, "connect")),
        }
    }

    /// Log in the scenario's way: the library client's [`Session::login`],
    /// with its rules (no password in cleartext under require-TLS, PASS only
    /// after +OK to USER, AUTH PLAIN in cleartext only when CAPA lists it).
    pub async fn login(&mut self) -> Result<(), LabError> {
        let user = self.scenario.user.clone();
        let password = self.scenario.password.clone();
        let method = self.scenario.auth;
        let session = self.session.as_mut().ok_or(LabError::NotConnected)?;
        match session.login(method, &user, &password).await {
            Ok(()) => {
                self.emit.client(ClientEvent::LoggedIn { user, method });
                Ok(())
            }
            Err(e) => Err(self.client_failed(e, &format!("login as {user}"))),
        }
    }

    /// Send one command line and read its reply. `line` is what crosses the
    /// wire; the client's own event shows the same line with secrets masked.
    ///
    /// A multi-line body is streamed: the reply holds its first 64 KiB
    /// only, and the [`ClientEvent::Received`] event gives the whole length.
    pub async fn command(&mut self, line: &str) -> Result<Reply, LabError> {
        let multiline = Command::parse(line.as_bytes()).is_ok_and(|c| c.multiline_reply());
        let session = self.session.as_mut().ok_or(LabError::NotConnected)?;
        let client = &mut session.client;
        let result = async {
            client.send_line(line).await?;
            client.read_reply_bounded(multiline, BODY_KEPT).await
        }
        .await;
        match result {
            Ok(bounded) => Ok(bounded.reply),
            Err(e) => Err(self.fail(client_problem(&e), LabError::io(e))),
        }
    }

    /// Turns the client's error into the lab's. The client has already told
    /// the observer about a refusal and a failed handshake, which became
    /// events; anything else becomes an error event here.
    fn client_failed(&self, e: ClientError, step: &str) -> LabError {
        match e {
            ClientError::Certificate { .. } | ClientError::Tls(_) => LabError::Tls(e),
            ClientError::TlsRequired(_)
            | ClientError::CleartextLogin { .. }
            | ClientError::UserRefused { .. }
            | ClientError::NoApopTimestamp
            | ClientError::SaslNotOffered { .. } => LabError::Stopped {
                problem: refusal(&e, self.scenario.transport),
                message: e.to_string(),
            },
            ClientError::ErrReply { command, text, .. } if command == "STLS" => {
                let problem = ClientProblem::StlsRefused { text: text.clone() };
                self.fail(
                    problem.clone(),
                    LabError::Stopped {
                        problem,
                        message: format!("STLS refused: {text}"),
                    },
                )
            }
            ClientError::ErrReply { command, text, .. } => {
                // The value names the refused command by its keyword
                // (protocol text, the same in every language; never a
                // password); the English message keeps the step's words
                // for the command line.
                let message = format!("{step} failed: -ERR {text}");
                let problem = ClientProblem::ErrReply {
                    step: command,
                    text,
                };
                self.fail(problem.clone(), LabError::Stopped { problem, message })
            }
            other => self.fail(client_problem(&other), LabError::io(other)),
        }
    }

    /// Tell the client's failure as an event, and return the lab's error.
    fn fail(&self, problem: ClientProblem, e: LabError) -> LabError {
        self.emit.client(ClientEvent::Error { problem });
        e
    }

    /// The scripted run of `popscope demo`: connect, log in, then the
    /// commands of [`demo_commands`]. Against the lab's own server the
    /// session ends with QUIT and the DELE mark is applied; against an
    /// outside server (someone's real mailbox) RSET undoes the mark first,
    /// so the demo never deletes anything there.
    pub async fn run_demo(&mut self) -> Result<(), LabError> {
        let ended = self.cracker.ended_count();
        let result = self.demo_steps().await;
        // The APOP search started by itself when the login crossed; the
        // run is over when it is.
        if self.scenario.attack == Some(Attack::Crack) && self.cracker.has_target() {
            self.step(DemoStep::GuessOffline);
            self.cracker.ended(ended + 1).await;
        }
        self.emit.now(EventKind::Lab(LabEvent::Finished {
            ok: result.is_ok(),
            problem: result.as_ref().err().and_then(LabError::problem),
            error: result.as_ref().err().map(|e| e.to_string()),
        }));
        result
    }

    async fn demo_steps(&mut self) -> Result<(), LabError> {
        self.step(DemoStep::Connect {
            transport: self.scenario.transport,
            auth: self.scenario.auth,
        });
        self.connect().await?;
        self.step(DemoStep::LogIn);
        self.login().await?;
        let steps = demo_commands(self.server.is_some());
        // If any step fails, the error returns before QUIT and the client
        // just hangs up: RFC 1939 §6 says a server then applies no marks.
        for (step, cmd) in steps {
            self.step(step);
            let r = self.command(cmd).await?;
            if !r.ok {
                return Err(LabError::Err {
                    command: cmd.to_string(),
                    text: r.status_line,
                });
            }
        }
        Ok(())
    }

    /// Start the offline search for the password of the last APOP login
    /// the wire carried, with the lab's word list (`LabOptions::wordlist`
    /// or the built-in one). Progress and
    /// the result come as [`AttackEvent`]s; the search runs off this task.
    pub fn crack(&mut self) -> Result<(), LabError> {
        self.cracker.start_last().map_err(LabError::Refused)
    }

    /// Stop a running password search (nothing happens if none runs).
    pub fn stop_crack(&mut self) {
        self.cracker.stop();
    }

    /// Close the client, wait (briefly) until the tap has seen every
    /// connection end and reported what it learned, then stop everything.
    /// The event stream ends when this returns.
    pub async fn shutdown(mut self) {
        self.session = None;
        let _ = tokio::time::timeout(
            Duration::from_secs(3),
            self.open_conns.wait_for(|n| *n == 0),
        )
        .await;
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        // Let the server's last events through the forwarder.
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

/// When a step of the demo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DemoWhen {
    /// On every server.
    Always,
    /// Only against an outside server given with `--server`.
    OutsideOnly,
    /// Only against the lab's own server.
    OwnOnly,
}

/// The commands `popscope demo` sends after logging in, with the step
/// the transcript shows and when each one runs. `demo --help` reads this
/// list too (through [`demo_commands`]), so it cannot drift from what is
/// sent.
const DEMO_COMMANDS: &[(DemoStep, &str, DemoWhen)] = &[
    (DemoStep::HowMuchMail, "STAT", DemoWhen::Always),
    (DemoStep::ListMessages, "LIST", DemoWhen::Always),
    (DemoStep::FetchFirst, "RETR 1", DemoWhen::Always),
    (DemoStep::MarkSecond, "DELE 2", DemoWhen::Always),
    (DemoStep::UndoMark, "RSET", DemoWhen::OutsideOnly),
    (DemoStep::QuitApplyingMarks, "QUIT", DemoWhen::OwnOnly),
    (DemoStep::QuitNoMarks, "QUIT", DemoWhen::OutsideOnly),
];

/// The demo's steps after the login, as (step, command line), on the
/// lab's own server or, with `own_server` false, on an outside one.
pub fn demo_commands(own_server: bool) -> impl Iterator<Item = (DemoStep, &'static str)> {
    DEMO_COMMANDS
        .iter()
        .filter(move |(_, _, when)| match when {
            DemoWhen::Always => true,
            DemoWhen::OutsideOnly => !own_server,
            DemoWhen::OwnOnly => own_server,
        })
        .map(|(step, cmd, _)| (*step, *cmd))
}

/// A tap set running: where clients connect, its gate, how many of its
/// connections are open, and the tasks to stop with it.
pub(crate) struct Wired {
    pub(crate) addr: SocketAddr,
    pub(crate) gate: Gate,
    pub(crate) open: watch::Receiver<usize>,
    pub(crate) tasks: Vec<JoinHandle<()>>,
}

/// What a tap does besides watching.
pub(crate) enum OnTap {
    /// Nothing: the passive tap.
    Watch,
    /// One attacker for every connection (the lab, a proxy).
    Attacker(Box<Attacker>),
    /// The attack each connection gets is chosen as it opens (the
    /// workshop, whose instructor switches it).
    Switch(Arc<Switch>),
}

/// Where the pump finds the attack of a connection it sees open.
enum AttackOf {
    Fixed(Option<Attack>),
    Switched(Arc<Switch>),
}

impl AttackOf {
    fn of(&self, conn: u64) -> Option<Attack> {
        match self {
            AttackOf::Fixed(a) => *a,
            AttackOf::Switched(s) => s.chosen(conn),
        }
    }
}

/// Put the attacker (if any) on `tap`, start relaying, and start the pump
/// that turns what the tap reports into the lab's events. The lab,
/// `popscope proxy` and the workshop all wire their taps here.
pub(crate) fn run_tap(
    tap: Tap,
    on_tap: OnTap,
    emit: &Emitter,
    implicit_tls: bool,
    cracker: Option<Arc<crack::Cracker>>,
    leaked: Option<stolen::Leaked>,
    endpoints: Option<(stolen::Leaked, Arc<tokio::sync::Notify>)>,
) -> Result<Wired, LabError> {
    let (tap, attack_of) = match on_tap {
        OnTap::Watch => (tap, AttackOf::Fixed(None)),
        OnTap::Attacker(a) => {
            let attack = a.attack();
            (tap.intercept(Arc::new(*a)), AttackOf::Fixed(Some(attack)))
        }
        OnTap::Switch(s) => (tap.intercept(s.clone()), AttackOf::Switched(s)),
    };
    let addr = tap.local_addr().map_err(LabError::setup)?;
    let gate = tap.gate();
    let (ttx, trx) = mpsc::unbounded_channel();
    let (open_tx, open) = watch::channel(0usize);
    let tasks = vec![
        tokio::spawn(tap.run_since(ttx, emit.epoch)),
        tokio::spawn(pump(
            trx,
            Pump {
                attack_of,
                endpoints: endpoints.as_ref().map(|(log, _)| log.clone()),
                ..Pump::new(emit.clone(), open_tx, cracker, leaked)
            },
            implicit_tls,
            endpoints.map(|(_, grew)| grew),
        )),
    ];
    Ok(Wired {
        addr,
        gate,
        open,
        tasks,
    })
}

/// Turns tap events into wire events: every chunk, what each connection's
/// dissector understood, and at the end what it learned.
/// When the endpoints' key log grows (`grew` rings), the handshakes still
/// being followed are read again at once: the server's sealed messages
/// cross before the client has logged the secret that opens them, and the
/// next chunk may be a while coming on a paused wire.
async fn pump(
    mut rx: mpsc::UnboundedReceiver<TapEvent>,
    mut pump: Pump,
    implicit_tls: bool,
    grew: Option<Arc<tokio::sync::Notify>>,
) {
    loop {
        let rung = async {
            match &grew {
                Some(bell) => bell.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            ev = rx.recv() => match ev {
                Some(ev) => pump.handle(ev, implicit_tls),
                None => break,
            },
            () = rung => pump.keys_grew(),
        }
    }
}

/// The pump's state: one dissector (and what the attackers read) per
/// connection. The live tap drives it from [`pump`]; a capture read from a
/// file drives it through [`capture::CaptureFeed`], deciding per
/// connection whether TLS starts at the first byte.
struct Pump {
    emit: Emitter,
    open: watch::Sender<usize>,
    cracker: Option<Arc<crack::Cracker>>,
    leaked: Option<stolen::Leaked>,
    /// The endpoints' own key log, which opens the handshake for the TLS
    /// pane; `None` where nobody on this side holds one (a proxy for
    /// outside peers), and then only the cleartext steps are read.
    endpoints: Option<stolen::Leaked>,
    /// Set when a capture read from a file drives the pump: conversations
    /// that never carried TLS say nothing about sealed records (a capture
    /// holds many; the lab's stolen-keys scenario wants the sentence even
    /// then), and the stolen-keys decryptor of a cleartext conversation
    /// starts only if it switches to TLS (see [`EARLY_KEPT`]).
    quiet_cleartext: bool,
    /// The attack each connection gets, named in its `Opened`.
    attack_of: AttackOf,
    conns: HashMap<u64, PumpConn>,
}

struct PumpConn {
    implicit_tls: bool,
    dissector: Dissector,
    /// What the attacker reads inside TLS it terminated.
    attacker: Option<Dissector>,
    /// What the attacker holding the key log opens.
    stolen: Option<stolen::Stolen>,
    /// The handshake as the endpoints see it.
    steps: Option<crate::wire::steps::Follower>,
    /// TLS crossed on it (from the first byte, or after STLS).
    tls: bool,
    /// With `quiet_cleartext`, the start of a conversation still in
    /// cleartext, for the stolen-keys decryptor should STLS come; `None`
    /// once past [`EARLY_KEPT`].
    early: Option<Vec<(Direction, Vec<u8>)>>,
    early_bytes: usize,
    closed: u8,
}

/// How much of a cleartext conversation read from a capture is kept in
/// case it switches to TLS with STLS: the switch comes after a few
/// commands, and the decryptor then reads the conversation from its first
/// byte. Conversations that never switch (most of a capture's bytes) are
/// then dissected once, not twice.
const EARLY_KEPT: usize = 64 << 10;

impl Pump {
    fn new(
        emit: Emitter,
        open: watch::Sender<usize>,
        cracker: Option<Arc<crack::Cracker>>,
        leaked: Option<stolen::Leaked>,
    ) -> Pump {
        Pump {
            emit,
            open,
            cracker,
            leaked,
            endpoints: None,
            quiet_cleartext: false,
            attack_of: AttackOf::Fixed(None),
            conns: HashMap::new(),
        }
    }

    /// The endpoints' key log grew: report what it opens now.
    fn keys_grew(&mut self) {
        let Some(keys) = &self.endpoints else {
            return;
        };
        let log = crate::sync::lock(keys);
        for (conn, s) in &mut self.conns {
            let Some(follower) = s.steps.as_mut() else {
                continue;
            };
            for o in follower.keys_grew(Some(&log)) {
                self.emit.now(EventKind::Tls(TlsEvent::Step {
                    conn: *conn,
                    order: o.order,
                    step: Box::new(o.step),
                }));
            }
        }
    }

    fn handle(&mut self, ev: TapEvent, implicit_tls: bool) {
        let emit = &self.emit;
        match ev {
            TapEvent::Opened {
                conn,
                client,
                server,
                at,
            } => self.opened(conn, client, server, at, implicit_tls),
            TapEvent::Chunk(c) => self.chunk(c),
            TapEvent::Closed {
                conn,
                dir,
                at,
                reason,
            } => self.closed(conn, dir, at, reason),
            TapEvent::Attack { conn, at, note } => {
                let mut learned = Vec::new();
                if let wtap::AttackNote::Read { dir, bytes, .. } = &note
                    && let Some(c) = self.conns.get_mut(&conn)
                {
                    // Inside POP3S the greeting comes through TLS; inside
                    // STLS it came before, in cleartext.
                    let timestamp = c.dissector.timestamp().map(str::to_owned);
                    let implicit = c.implicit_tls;
                    let d = c.attacker.get_or_insert_with(|| {
                        if implicit {
                            Dissector::new()
                        } else {
                            Dissector::after_stls(timestamp)
                        }
                    });
                    for item in d.feed(*dir, bytes) {
                        if let crate::wire::dissect::Item::Leak(leak) = item {
                            learned.push(leak);
                        }
                    }
                }
                emit.at(at, EventKind::Attack(AttackEvent::Acted { conn, note }));
                for leak in learned {
                    emit.at(
                        at,
                        EventKind::Attack(AttackEvent::Learned {
                            conn,
                            means: Means::ForgedTls,
                            leak,
                        }),
                    );
                }
            }
            TapEvent::Failed { conn, reason } => {
                emit.now(EventKind::Client(ClientEvent::Error {
                    problem: ClientProblem::TapFailed { conn, reason },
                }));
            }
        }
    }

    fn opened(
        &mut self,
        conn: u64,
        client: SocketAddr,
        server: SocketAddr,
        at: Duration,
        implicit_tls: bool,
    ) {
        let dissector = if implicit_tls {
            Dissector::new_tls()
        } else {
            Dissector::new()
        };
        self.conns.insert(
            conn,
            PumpConn {
                implicit_tls,
                dissector,
                attacker: None,
                stolen: None,
                steps: None,
                tls: implicit_tls,
                early: Some(Vec::new()),
                early_bytes: 0,
                closed: 0,
            },
        );
        self.open.send_modify(|n| *n += 1);
        self.emit.at(
            at,
            EventKind::Wire(WireEvent::Opened {
                conn,
                client,
                server,
                implicit_tls,
                attack: self.attack_of.of(conn),
            }),
        );
    }

    fn chunk(&mut self, c: wtap::Chunk) {
        let emit = &self.emit;
        let items = self
            .conns
            .get_mut(&c.conn)
            .map(|s| s.dissector.feed(c.dir, &c.bytes))
            .unwrap_or_default();
        if let Some(s) = self.conns.get_mut(&c.conn)
            && items
                .iter()
                .any(|i| matches!(i, crate::wire::dissect::Item::SwitchToTls { .. }))
        {
            s.tls = true;
        }
        let mut steps = Vec::new();
        if let Some(s) = self.conns.get_mut(&c.conn) {
            let started = s.stolen.is_some() || s.steps.is_some();
            if self.quiet_cleartext && !s.tls && !started {
                s.early_bytes += c.bytes.len();
                if s.early_bytes > EARLY_KEPT {
                    s.early = None;
                } else if let Some(early) = &mut s.early {
                    early.push((c.dir, c.bytes.clone()));
                }
            } else if started || s.early.is_some() || !self.quiet_cleartext {
                let early = s.early.take().unwrap_or_default();
                let timestamp = s.dissector.timestamp().map(str::to_owned);
                let implicit = s.implicit_tls;
                if let Some(keys) = &self.leaked {
                    let st = s
                        .stolen
                        .get_or_insert_with(|| stolen::Stolen::new(implicit, timestamp));
                    for (dir, bytes) in &early {
                        st.chunk(c.conn, *dir, bytes, keys, emit, c.at);
                    }
                    st.chunk(c.conn, c.dir, &c.bytes, keys, emit, c.at);
                }
                let follower = s
                    .steps
                    .get_or_insert_with(|| crate::wire::steps::Follower::new(implicit));
                if !follower.done() {
                    let log = self.endpoints.as_ref().map(|k| crate::sync::lock(k));
                    let log = log.as_deref();
                    for (dir, bytes) in &early {
                        steps.extend(follower.feed(*dir, bytes, log));
                    }
                    steps.extend(follower.feed(c.dir, &c.bytes, log));
                }
            }
        }
        emit.at(
            c.at,
            EventKind::Wire(WireEvent::Chunk {
                conn: c.conn,
                dir: c.dir,
                offset: c.offset,
                len: c.len,
                bytes: c.bytes,
            }),
        );
        for item in items {
            if let (
                Some(cracker),
                crate::wire::dissect::Item::Leak(crate::wire::pop3::Leak::Apop {
                    user,
                    digest,
                    timestamp,
                }),
            ) = (&self.cracker, &item)
            {
                cracker.captured(user, digest, timestamp.as_deref());
            }
            emit.at(
                c.at,
                EventKind::Wire(WireEvent::Seen { conn: c.conn, item }),
            );
        }
        for s in steps {
            emit.at(
                c.at,
                EventKind::Tls(TlsEvent::Step {
                    conn: c.conn,
                    order: s.order,
                    step: Box::new(s.step),
                }),
            );
        }
    }

    fn closed(&mut self, conn: u64, dir: Direction, at: Duration, reason: wtap::CloseReason) {
        let emit = &self.emit;
        emit.at(at, EventKind::Wire(WireEvent::Closed { conn, dir, reason }));
        let done = match self.conns.get_mut(&conn) {
            Some(s) => {
                s.closed |= match dir {
                    Direction::ClientToServer => 1,
                    Direction::ServerToClient => 2,
                };
                s.closed == 3
            }
            None => false,
        };
        if done && let Some(s) = self.conns.remove(&conn) {
            if let Some(st) = &s.stolen
                && (s.tls || !self.quiet_cleartext)
            {
                st.ended(conn, emit, at);
            }
            let loot = s.dissector.loot().clone();
            // The English words for readers of the JSON stream; views word
            // `loot` themselves, in their reader's language.
            let summary = describe::loot(&loot, crate::lang::Lang::En);
            emit.at(
                at,
                EventKind::Wire(WireEvent::Learned {
                    conn,
                    loot,
                    summary,
                }),
            );
            self.open.send_modify(|n| *n = n.saturating_sub(1));
        }
    }
}
