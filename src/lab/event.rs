//! The `Event` stream: the project's spine.
//!
//! Everything the lab's parts do reaches the screen, the lessons and the
//! demo transcript as one ordered stream of [`Event`]s, each stamped with
//! the lab's monotonic clock. Each source keeps its own point of view:
//! the client says what it sent and received (its password masked), the
//! server what it did, the wire what crossed the socket and what an
//! eavesdropper can make of it, TLS what the endpoints negotiated and
//! derived. Nothing here is a copy of another part's state.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

use crate::attack::Attack;
use crate::pop3::server::ServerEvent;
use crate::pop3::settings::{AuthMethod, Transport, Trust};
use crate::tls::{CertProblem, SessionSummary};
use crate::wire::Direction;
use crate::wire::dissect::{Item, Loot};
use crate::wire::pop3::Leak;
use crate::wire::tap::AttackNote;
use crate::wire::tls::CertSummary;

use super::Scenario;

/// One thing that happened in the lab.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// When, since the lab started.
    #[serde(rename = "at_ms", serialize_with = "millis")]
    pub at: Duration,
    /// What.
    #[serde(flatten)]
    pub kind: EventKind,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(at_ms(*d))
}

/// A time on the lab's clock as the JSON stream writes it: milliseconds,
/// to the microsecond.
pub(crate) fn at_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Which part speaks, and what it says.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "source", content = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The lab itself: start, steps, end.
    Lab(LabEvent),
    /// The client's point of view.
    Client(ClientEvent),
    /// The server's point of view.
    Server(ServerEvent),
    /// What crossed the wire and what the eavesdropper made of it.
    Wire(WireEvent),
    /// TLS facts from the endpoints (not visible on the wire).
    Tls(TlsEvent),
    /// The attacker: what it did, what it learned, and the verdict.
    Attack(AttackEvent),
}

impl EventKind {
    /// The tap's connection this event is about, when it names one (what
    /// crossed the wire, and what the attacker did on a connection).
    pub fn conn(&self) -> Option<u64> {
        match self {
            EventKind::Wire(
                WireEvent::Opened { conn, .. }
                | WireEvent::Chunk { conn, .. }
                | WireEvent::Seen { conn, .. }
                | WireEvent::Closed { conn, .. }
                | WireEvent::Learned { conn, .. },
            )
            | EventKind::Attack(
                AttackEvent::Acted { conn, .. }
                | AttackEvent::Learned { conn, .. }
                | AttackEvent::Decrypted { conn, .. }
                | AttackEvent::Sealed { conn, .. },
            ) => Some(*conn),
            EventKind::Attack(AttackEvent::Verdict { conn, .. }) => *conn,
            _ => None,
        }
    }
}

/// The lab's own events.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LabEvent {
    /// The parts are running.
    Started {
        /// What runs.
        scenario: Scenario,
        /// The server the tap relays to.
        server: SocketAddr,
        /// Where the client connects (the tap).
        tap: SocketAddr,
        /// True when the server is the lab's own (not `--server`).
        own_server: bool,
    },
    /// A step of a scripted run begins.
    Step {
        /// Which step.
        step: DemoStep,
    },
    /// The run ended.
    Finished {
        /// False if a step failed.
        ok: bool,
        /// Why it failed, as a value, when the client stopped (views word
        /// it with `describe::client_problem`).
        problem: Option<ClientProblem>,
        /// Why it failed, in English words, for readers of the JSON
        /// stream and for the lab's own failures that have no value.
        error: Option<String>,
    },
}

/// A step of the scripted run of `popscope demo`, as a value; its words
/// are [`super::describe::demo_step`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum DemoStep {
    /// Connect the scenario's way.
    Connect {
        /// Plain, STLS or POP3S.
        transport: Transport,
        /// How the client will log in.
        auth: AuthMethod,
    },
    /// Log in.
    LogIn,
    /// STAT.
    HowMuchMail,
    /// LIST.
    ListMessages,
    /// RETR 1.
    FetchFirst,
    /// DELE 2.
    MarkSecond,
    /// RSET, on an outside server: someone's real mailbox, where the demo
    /// never applies a deletion.
    UndoMark,
    /// QUIT on the lab's own server, which applies the mark.
    QuitApplyingMarks,
    /// QUIT on an outside server, with no mark left to apply.
    QuitNoMarks,
    /// The offline search for the APOP password.
    GuessOffline,
}

/// The client's point of view. Everything here is a value: the words for
/// it are chosen where it is shown, in the reader's language, by
/// [`super::describe::client_lines`].
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClientEvent {
    /// The server did not offer STLS and the client, not required to use
    /// TLS, goes on in cleartext: what a "TLS if offered" client does, and
    /// what an attacker who removes STLS wants.
    StaysCleartext,
    /// Connecting to the tap.
    Connecting {
        /// Where.
        addr: SocketAddr,
        /// Plain, STLS or POP3S.
        transport: Transport,
    },
    /// A line the client sent, as the client shows it (password masked).
    Sent {
        /// The line without CRLF.
        line: String,
    },
    /// A reply the client received.
    Received {
        /// +OK, -ERR or a "+ " continuation.
        status: Status,
        /// The rest of the status line, as the server sent it (protocol
        /// text, shown as it is), e.g. "2 320" of "+OK 2 320".
        text: String,
        /// A multi-line body, lossy UTF-8 (at most 64 KiB kept).
        body: Option<String>,
        /// The body's full length in bytes.
        body_len: Option<usize>,
    },
    /// The TLS handshake finished and the certificate was checked.
    TlsEstablished {
        /// What was negotiated.
        summary: SessionSummary,
        /// The negotiated version as a number, when it is one the lab
        /// knows (the same fact as `summary.version`, typed).
        version: Option<TlsVersion>,
        /// The server's chain, leaf first.
        chain: Vec<CertSummary>,
        /// What the certificate was checked against: the lab's demo CA
        /// is [`Trust::LabCa`], and [`Trust::InsecureAcceptAny`] means it
        /// was not checked.
        trust: Trust,
    },
    /// The TLS handshake failed.
    TlsFailed {
        /// Why.
        failure: TlsFailure,
    },
    /// The login succeeded.
    LoggedIn {
        /// Who.
        user: String,
        /// How.
        method: AuthMethod,
    },
    /// The server sent bytes after its `+OK` to STLS and before the TLS
    /// handshake: what a STARTTLS response injection leaves behind.
    StlsLeftover {
        /// How many bytes.
        len: usize,
        /// The first of them, lossy UTF-8.
        preview: String,
        /// False when the client discarded them (RFC 2595 §4); true in the
        /// deliberately vulnerable mode, which reads them as if they came
        /// inside TLS.
        kept: bool,
    },
    /// The client gave up or was refused.
    Error {
        /// Why.
        problem: ClientProblem,
    },
}

/// The status indicator of a POP3 reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
    /// A `+ ` continuation of a SASL exchange.
    Continuation,
}

impl Status {
    /// True for `+OK` and a continuation: the server went along.
    pub fn is_ok(self) -> bool {
        !matches!(self, Status::Err)
    }

    /// The indicator as it crosses the wire.
    pub fn indicator(self) -> &'static str {
        match self {
            Status::Ok => "+OK",
            Status::Err => "-ERR",
            Status::Continuation => "+",
        }
    }

    /// The whole status line as the server sent it: the indicator, then
    /// the rest of the line if there is any.
    pub fn line(self, text: &str) -> String {
        if text.is_empty() {
            self.indicator().to_string()
        } else {
            format!("{} {text}", self.indicator())
        }
    }
}

/// A TLS protocol version the lab negotiates, written as lessons (and
/// `--tls-version`) write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum TlsVersion {
    /// TLS 1.2.
    #[serde(rename = "1.2")]
    #[value(name = "1.2")]
    V1_2,
    /// TLS 1.3.
    #[serde(rename = "1.3")]
    #[value(name = "1.3")]
    V1_3,
}

impl TlsVersion {
    /// From rustls's name of the version ("TLSv1_3"), which is what
    /// [`SessionSummary::version`] holds.
    pub fn from_rustls_name(name: &str) -> Option<TlsVersion> {
        [TlsVersion::V1_2, TlsVersion::V1_3]
            .into_iter()
            .find(|v| v.rustls().as_str() == Some(name))
    }

    /// From the number a lesson writes: "1.2" or "1.3".
    pub fn from_number(n: &str) -> Option<TlsVersion> {
        [TlsVersion::V1_2, TlsVersion::V1_3]
            .into_iter()
            .find(|v| v.number() == n)
    }

    /// "1.2" or "1.3".
    pub fn number(self) -> &'static str {
        match self {
            TlsVersion::V1_2 => "1.2",
            TlsVersion::V1_3 => "1.3",
        }
    }

    fn rustls(self) -> rustls::ProtocolVersion {
        self.supported().version
    }

    /// rustls's version, to limit a client to it.
    pub fn supported(self) -> &'static rustls::SupportedProtocolVersion {
        match self {
            TlsVersion::V1_2 => &rustls::version::TLS12,
            TlsVersion::V1_3 => &rustls::version::TLS13,
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.number())
    }
}

/// Why a TLS handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TlsFailure {
    /// The server's certificate did not pass the check.
    Certificate {
        /// What was wrong with it.
        problem: CertProblem,
    },
    /// The client refused the certificate, as a server's side (a proxy)
    /// hears it: the client's alert.
    Refused {
        /// The refusal.
        refusal: crate::tls::Refusal,
    },
    /// Something else: the peer's alert, no common parameters, a broken
    /// connection. The text is rustls's or the system's and is shown as
    /// it is.
    Handshake {
        /// What rustls or the system said.
        message: String,
    },
}

/// Why the client stopped, as a value. The known refusals are typed; an
/// error from the system or from rustls keeps its own text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ClientProblem {
    /// TLS is required and this transport cannot give it: plain TCP, or
    /// STLS that the server does not offer. No credentials were sent.
    TlsRequired {
        /// The transport the client was set to use.
        transport: Transport,
    },
    /// The login would send the password in cleartext, which the client
    /// is told not to do. Nothing was sent.
    CleartextLogin {
        /// The login method that was asked for.
        method: String,
    },
    /// The server answered -ERR to USER, so PASS was never sent.
    UserRefused {
        /// The server's text after -ERR.
        text: String,
    },
    /// APOP was asked for, but the greeting has no timestamp.
    NoApopTimestamp,
    /// A SASL mechanism the server does not list in CAPA on this
    /// connection; the password was not sent.
    SaslNotOffered {
        /// The mechanism, e.g. "PLAIN".
        mechanism: String,
    },
    /// The server answered -ERR to STLS.
    StlsRefused {
        /// The server's text after -ERR.
        text: String,
    },
    /// The server answered -ERR where a step needed +OK.
    ErrReply {
        /// The step: the command's keyword, or the demo's command line
        /// (never a password).
        step: String,
        /// The server's text after -ERR.
        text: String,
    },
    /// The TLS handshake failed (the reason a verdict gives; the client
    /// itself reports it as [`ClientEvent::TlsFailed`]).
    Tls {
        /// Why.
        failure: TlsFailure,
    },
    /// The tap could not relay a connection.
    TapFailed {
        /// The tap's connection number.
        conn: u64,
        /// The system's words.
        reason: String,
    },
    /// The server closed the connection where a reply was expected.
    ServerClosed,
    /// Another error: the system's or a library's own text.
    Other {
        /// Its text.
        message: String,
    },
}

/// What crossed the wire.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireEvent {
    /// The tap accepted a client and reached the server.
    Opened {
        /// The tap's connection number.
        conn: u64,
        /// The client's address.
        client: SocketAddr,
        /// The server's address.
        server: SocketAddr,
        /// The client came in on a listener where TLS starts with the first
        /// byte (POP3S); else on a cleartext one (where STLS may follow).
        /// The workshop has one of each, so this says which a connection
        /// used.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        implicit_tls: bool,
        /// The active attack this connection got, decided when it opened
        /// (the workshop's instructor may switch it for later ones).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attack: Option<Attack>,
    },
    /// One chunk, exactly as it crossed.
    Chunk {
        /// The connection.
        conn: u64,
        /// Which way.
        dir: Direction,
        /// Offset in this direction's stream.
        offset: u64,
        /// Bytes that crossed.
        len: usize,
        /// The bytes kept (all of them unless the capture limit was hit).
        #[serde(serialize_with = "crate::wire::as_hex")]
        bytes: Vec<u8>,
    },
    /// Something the eavesdropper understood from the bytes.
    Seen {
        /// The connection.
        conn: u64,
        /// What.
        item: Item,
    },
    /// One direction ended.
    Closed {
        /// The connection.
        conn: u64,
        /// Which way.
        dir: Direction,
        /// Why.
        reason: crate::wire::tap::CloseReason,
    },
    /// Bytes that crossed but are missing from a capture read from a file
    /// (the capturing tool dropped them); what follows them is still read.
    Gap {
        /// The connection.
        conn: u64,
        /// Which way.
        dir: Direction,
        /// Where the missing bytes begin in this direction's stream.
        offset: u64,
        /// How many are missing.
        len: u64,
    },
    /// All the eavesdropper learned on a connection, when both directions
    /// have closed.
    Learned {
        /// The connection.
        conn: u64,
        /// What it learned.
        loot: Loot,
        /// The same in one sentence.
        summary: String,
    },
}

/// Which endpoint a TLS fact comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The lab's client.
    Client,
    /// The lab's server.
    Server,
}

/// TLS facts from the endpoints.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TlsEvent {
    /// A secret was derived (rustls's key-log hook), in the NSS key-log
    /// labels: `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, ….
    Secret {
        /// Who derived it.
        side: Side,
        /// The NSS key-log label.
        label: String,
        /// The ClientHello random it belongs to, in hex.
        client_random: String,
        /// The secret, in hex. Anyone holding it can decrypt that part of
        /// the session, which is what the lab will later show.
        secret: String,
    },
    /// A step of the handshake as the client and server see it
    /// (`wire::steps`): a message that crossed in cleartext, or sealed and
    /// opened with the endpoints' own key log, with every byte labelled.
    Step {
        /// The tap's connection.
        conn: u64,
        /// Where it falls in the connection: steps sort by this (a step
        /// whose secret came late is reported after later ones).
        order: u64,
        /// The step.
        step: Box<crate::wire::steps::Step>,
    },
}

/// How the attacker came to read a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Means {
    /// In cleartext on the wire.
    Cleartext,
    /// Inside TLS the attacker terminated with its forged certificate.
    ForgedTls,
    /// In TLS records opened with the session's stolen key log.
    StolenKeys,
    /// By guessing offline against a recorded APOP digest.
    Guessing,
}

/// The attacker's point of view.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttackEvent {
    /// The attack is on, against a client with these settings.
    Armed {
        /// Which attack.
        attack: Attack,
    },
    /// Something the attacker did on a connection (removed, answered,
    /// injected, presented a certificate, read plaintext).
    Acted {
        /// The tap's connection number.
        conn: u64,
        /// What.
        note: AttackNote,
    },
    /// A secret the attacker now holds.
    Learned {
        /// The connection.
        conn: u64,
        /// How it got it.
        means: Means,
        /// What.
        leak: Leak,
    },
    /// A TLS record opened with the stolen keys.
    Decrypted {
        /// The connection.
        conn: u64,
        /// Which way the record went.
        dir: Direction,
        /// Its sequence number in its direction and key.
        seq: u64,
        /// The inner content type, e.g. "application_data", "handshake".
        content: String,
        /// The plaintext length.
        len: usize,
        /// The plaintext, lossy UTF-8 (at most 4 KiB kept).
        text: String,
    },
    /// Records the stolen keys could not open, and why.
    Sealed {
        /// The connection.
        conn: u64,
        /// How many.
        records: usize,
        /// Why.
        reason: SealedReason,
    },
    /// The offline search for an APOP password began.
    CrackStarted {
        /// Whose digest.
        user: String,
        /// Candidates to try, if known.
        candidates: Option<u64>,
    },
    /// How far the search is.
    CrackProgress {
        /// Candidates tried.
        tried: u64,
        /// Out of.
        candidates: Option<u64>,
        /// Candidates per second so far.
        rate: f64,
    },
    /// The search ended.
    CrackDone {
        /// Whose digest.
        user: String,
        /// The password, if found.
        found: Option<String>,
        /// Candidates tried.
        tried: u64,
        /// How long it took.
        #[serde(rename = "elapsed_ms", serialize_with = "millis")]
        elapsed: Duration,
        /// Candidates per second.
        rate: f64,
        /// When not found: how long an exhaustive search of the real
        /// password's length and alphabet would take at this rate.
        estimate: Option<crate::attack::crack::Estimate>,
    },
    /// Whether the attack worked, and the one reason that decided it.
    Verdict {
        /// The tap's connection it was decided on, where each connection
        /// is an attempt of its own (a proxy, the workshop); `None` for the
        /// lab, whose one client makes the attempt.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conn: Option<u64>,
        /// Which attack.
        attack: Attack,
        /// True when the attacker got what it came for.
        succeeded: bool,
        /// Why, as a value (worded in both languages by `describe`).
        reason: Why,
        /// Why, in English words (the same as `describe::why_in`), for
        /// readers of the JSON stream; views word `reason` themselves.
        why: String,
    },
}

/// What the attacker came away with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prize {
    /// The password itself (USER/PASS, AUTH PLAIN, AUTH LOGIN).
    Password,
    /// An APOP digest, open to offline guessing.
    ApopDigest,
}

impl Prize {
    /// What a leak gives the attacker that lets it log in, if anything:
    /// the one rule for "a credential was read", which the judge's verdict
    /// and the workshop's tally both follow.
    pub fn of(leak: &crate::wire::pop3::Leak) -> Option<Prize> {
        use crate::wire::pop3::Leak;
        match leak {
            Leak::Password { .. } | Leak::AuthPlain { .. } | Leak::AuthLogin { .. } => {
                Some(Prize::Password)
            }
            Leak::Apop { .. } => Some(Prize::ApopDigest),
            _ => None,
        }
    }
}

/// The reason a verdict was given. Text inside comes from another part
/// (a server's reply, a record's failure) and is quoted as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Why {
    /// The attacker holds a secret.
    Captured {
        /// Which.
        prize: Prize,
        /// How it got it.
        means: Means,
    },
    /// The client took a reply the server never sent.
    ForgedReplyTaken {
        /// The forged status line, as the client received it.
        status: String,
    },
    /// The server ran the injected command inside TLS.
    InjectionRan {
        /// What it ran.
        text: String,
    },
    /// The client refused to go on (require-TLS, say).
    ClientRefused {
        /// Why.
        problem: ClientProblem,
    },
    /// The client refused the attacker's certificate.
    CertificateRefused {
        /// Why: the certificate's problem, or the client's alert as a
        /// proxy hears it.
        failure: TlsFailure,
    },
    /// The client stopped for another reason before the attacker got
    /// anything.
    ClientStopped {
        /// Why.
        problem: ClientProblem,
    },
    /// The injected bytes were thrown away (by whom, when known).
    Discarded {
        /// Who threw them away.
        by: Vec<Side>,
    },
    /// There was no cleartext STLS to remove (POP3S).
    NothingToStrip,
    /// The stolen keys did not open the records.
    Sealed {
        /// Why not.
        reason: SealedReason,
    },
    /// The APOP password was found.
    Cracked {
        /// Whose.
        user: String,
        /// The password.
        password: String,
        /// Guesses it took.
        tried: u64,
    },
    /// The APOP password was not in the list.
    NotCracked {
        /// Guesses made.
        tried: u64,
        /// How long an exhaustive search would take.
        estimate: Option<crate::attack::crack::Estimate>,
    },
    /// No APOP login crossed the wire.
    NoApopLogin,
    /// A proxied connection ended with no secret taken.
    ConnectionEnded,
    /// The run ended with no secret taken.
    NoSecret,
}

/// Why the stolen keys opened no record on a connection, as a value;
/// worded per language by `lab::describe::sealed_reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SealedReason {
    /// No TLS record crossed on the connection at all.
    NoRecord,
    /// The first record that stayed closed, and why.
    Failed {
        /// The decryptor's reason.
        failure: crate::wire::decrypt::Failure,
    },
}
