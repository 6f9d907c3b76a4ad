//! `popscope workshop`: the lab for a room. The embedded server, with one
//! account per student, sits behind the tap on two listeners, POP3 (STLS
//! offered) and POP3S, so that the students' own mail clients log in
//! through the eavesdropper; the instructor switches an attack on for new
//! connections while it runs.
//!
//! [`Workshop`] is the engine: it produces the same [`Event`] stream as
//! `popscope proxy` (one per tapped connection, numbered across both
//! listeners), each connection's `Opened` saying which listener it came
//! in on and which attack it got. [`accounts`] makes the students'
//! accounts, [`sheet`] the sheet they get, and [`cli`] the command.

pub mod accounts;
pub mod cli;
pub mod sheet;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::attack::{Attack, AttackSetting, Switch};
use crate::lab::judge::Judge;
use crate::lab::{AttackEvent, Emitter, Event, EventKind, LabError, OnTap, run_tap};
use crate::mailbox::{Store, demo};
use crate::pop3::auth::Users;
use crate::pop3::server::{Server, ServerConfig, ServerHandle, raise_open_files_limit};
use crate::pop3::session::{Backend, SessionConfig};
use crate::tls;
use crate::wire::tap::{Gate, Tap, TapConfig};

/// Bytes kept per connection and direction in the workshop's events, as
/// for the proxy.
const CAPTURE_LIMIT: u64 = 16 * 1024 * 1024;

/// How a workshop is set up.
#[derive(Debug, Clone)]
pub struct WorkshopOptions {
    /// Where clients connect for POP3 (cleartext, STLS offered).
    pub pop3: SocketAddr,
    /// Where clients connect for POP3S (TLS from the first byte).
    pub pop3s: SocketAddr,
    /// Listening beyond loopback was asked for by name.
    pub allow_remote: bool,
    /// The accounts (each gets a maildrop with a few demo messages).
    pub users: Users,
    /// Where the demo CA and server certificate live (created on first
    /// use), so that a CA imported once stays valid across workshops.
    pub data_dir: PathBuf,
    /// The attack new connections get from the start.
    pub attack: Option<Attack>,
}

/// A running workshop. Dropping it stops relaying; [`shutdown`]
/// (Self::shutdown) also waits for the server to finish.
pub struct Workshop {
    pop3: SocketAddr,
    pop3s: SocketAddr,
    ca: PathBuf,
    setting: Arc<AttackSetting>,
    emit: Emitter,
    gates: Vec<Gate>,
    open: Vec<watch::Receiver<usize>>,
    server: Option<ServerHandle>,
    tasks: Vec<JoinHandle<()>>,
    mail: demo::DemoCopy,
}

impl Workshop {
    /// Start the server on loopback ports of its own and a tap in front
    /// of each of its listeners. Refuses a non-loopback address without
    /// `allow_remote`, and an attack a workshop cannot apply.
    pub async fn start(
        options: WorkshopOptions,
    ) -> Result<(Workshop, mpsc::UnboundedReceiver<Event>), LabError> {
        for (flag, addr) in [("--pop3", options.pop3), ("--pop3s", options.pop3s)] {
            if !addr.ip().is_loopback() && !options.allow_remote {
                return Err(LabError::setup_because(format!(
                    "{flag} {addr} is not a loopback address; the workshop relays the \
                     students' logins, so listening beyond this machine needs --allow-remote"
                )));
            }
        }
        if options.users.is_empty() {
            return Err(LabError::setup_because(
                "the workshop has no accounts: give --students N or --users FILE".into(),
            ));
        }
        let setting = Arc::new(AttackSetting::default());
        setting
            .set(options.attack)
            .map_err(LabError::setup_because)?;

        let (tx, rx) = mpsc::unbounded_channel();
        let emit = Emitter {
            epoch: Instant::now(),
            tx,
            judge: Arc::new(std::sync::Mutex::new(Judge::new(None).per_connection())),
        };

        // A named, locked copy, swept at the next start if this process is
        // killed; each account gets its maildrop inside it.
        let users = options.users;
        let names: Vec<String> = users.names().map(str::to_owned).collect();
        let mail = tokio::task::spawn_blocking(move || -> std::io::Result<demo::DemoCopy> {
            let copy = demo::DemoCopy::create()?;
            for name in &names {
                demo::write_starter_maildrop(copy.path(), name)?;
            }
            Ok(copy)
        })
        .await
        .map_err(LabError::setup)?
        .map_err(LabError::setup)?;

        let data_dir = options.data_dir.clone();
        let pki = tokio::task::spawn_blocking(move || tls::ensure_demo_pki(&data_dir))
            .await
            .map_err(LabError::setup)?
            .map_err(LabError::setup)?;
        let server_tls =
            tls::server_config(&pki.server_cert, &pki.server_key).map_err(LabError::setup)?;

        raise_open_files_limit();
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let defaults = ServerConfig::default();
        let config = ServerConfig {
            pop3: Some(loopback),
            pop3s: Some(loopback),
            tls: Some(server_tls),
            session: SessionConfig {
                hostname: "localhost".into(),
                stls_available: true,
                cleartext_login: true,
                ..SessionConfig::default()
            },
            // Behind the tap every student's connection comes from the
            // tap's own address: a budget per address would let a few
            // typing mistakes lock the whole room out, and a limit per
            // address would cap the room. Each account keeps its own
            // failure budget.
            max_per_ip: Some(defaults.max_connections),
            guard: crate::pop3::guard::GuardConfig {
                address_free: u32::MAX,
                ..defaults.guard.clone()
            },
            ..defaults
        };
        let backend = Arc::new(Backend {
            users,
            store: Store::new(mail.path()),
        });
        let server = Server::bind(config, backend)
            .await
            .map_err(LabError::setup)?
            .spawn();
        let (Some(up_pop3), Some(up_pop3s)) = (server.pop3, server.pop3s) else {
            return Err(LabError::setup_because("the server has no listener".into()));
        };

        if let Some(attack) = options.attack {
            emit.now(EventKind::Attack(AttackEvent::Armed { attack }));
        }
        // One numbering for both taps: a connection number names one
        // connection in the merged stream.
        let numbering = Arc::new(AtomicU64::new(1));
        let mut tasks = Vec::new();
        let mut gates = Vec::new();
        let mut open = Vec::new();
        let mut addrs = Vec::new();
        for (flag, listen, upstream, implicit_tls) in [
            ("--pop3", options.pop3, up_pop3, false),
            ("--pop3s", options.pop3s, up_pop3s, true),
        ] {
            let tap = Tap::bind(TapConfig {
                listen,
                upstream,
                capture_limit: CAPTURE_LIMIT,
            })
            .await
            .map_err(|e| LabError::Setup {
                what: format!("{flag} {listen}: cannot listen there: {e}"),
                source: Some(Box::new(e)),
            })?
            .numbering(numbering.clone());
            let switch =
                Arc::new(Switch::new(setting.clone(), implicit_tls).map_err(LabError::setup)?);
            let wired = run_tap(
                tap,
                OnTap::Switch(switch),
                &emit,
                implicit_tls,
                None,
                None,
                None,
            )?;
            addrs.push(wired.addr);
            gates.push(wired.gate);
            open.push(wired.open);
            tasks.extend(wired.tasks);
        }
        Ok((
            Workshop {
                pop3: addrs[0],
                pop3s: addrs[1],
                ca: pki.ca_cert,
                setting,
                emit,
                gates,
                open,
                server: Some(server),
                tasks,
                mail,
            },
            rx,
        ))
    }

    /// Where clients connect for POP3 (cleartext, STLS offered).
    pub fn pop3_addr(&self) -> SocketAddr {
        self.pop3
    }

    /// Where clients connect for POP3S.
    pub fn pop3s_addr(&self) -> SocketAddr {
        self.pop3s
    }

    /// The demo CA certificate the students' clients must trust.
    pub fn ca_cert(&self) -> &Path {
        &self.ca
    }

    /// The root of the students' maildrops (removed when the workshop
    /// ends).
    pub fn mail_root(&self) -> &Path {
        self.mail.path()
    }

    /// The attack new connections get.
    pub fn attack(&self) -> Option<Attack> {
        self.setting.get()
    }

    /// Switch the attack for connections that open from now on (`None`:
    /// only watch); connections already open keep theirs. Each
    /// connection's `WireEvent::Opened` names the attack it got. Only
    /// strip-stls, forge-cert and inject can be set.
    pub fn set_attack(&self, attack: Option<Attack>) -> Result<(), LabError> {
        self.setting.set(attack).map_err(LabError::Refused)?;
        if let Some(attack) = attack {
            self.emit
                .now(EventKind::Attack(AttackEvent::Armed { attack }));
        }
        Ok(())
    }

    /// The gates of both listeners' wires (POP3 first), to pause and step
    /// what crosses.
    pub fn gates(&self) -> &[Gate] {
        &self.gates
    }

    /// Give open connections a moment to end and report what they
    /// leaked, then stop the server and the taps. The event stream ends when
    /// this returns.
    pub async fn shutdown(mut self) {
        let mut open = std::mem::take(&mut self.open);
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            for o in &mut open {
                let _ = o.wait_for(|n| *n == 0).await;
            }
        })
        .await;
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Workshop {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
