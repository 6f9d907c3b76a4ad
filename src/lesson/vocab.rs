//! The words a lesson step may use: actions on the lab and expectations
//! about what happened. Each is one line of text in the lesson file, such
//! as `send USER alice` or `state transaction`, so a teacher can write
//! them without knowing Rust, and each parses here into a typed value or
//! into an error that says what was expected.

use std::fmt;

use crate::attack::Attack;
use crate::lab::{Scenario, TlsVersion, Trust};
use crate::pop3::session::StateName;
use crate::tls::CertProblem;

/// A pane of the lab screen, as lessons name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneName {
    /// `client`
    Client,
    /// `server`
    Server,
    /// `wire` (the eavesdropper)
    Wire,
    /// `tls`
    Tls,
    /// `lesson`
    Lesson,
}

impl PaneName {
    const ALL: [(&'static str, PaneName); 5] = [
        ("client", PaneName::Client),
        ("server", PaneName::Server),
        ("wire", PaneName::Wire),
        ("tls", PaneName::Tls),
        ("lesson", PaneName::Lesson),
    ];
}

/// How the eavesdropper pane shows the bytes, as lessons name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewName {
    /// `text`
    Text,
    /// `hex`
    Hex,
    /// `records`
    Records,
}

/// Something on the screen a step can point at. Highlighting focuses the
/// pane that holds it and marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// The client's input line.
    Input,
    /// The server's session state (large type).
    State,
    /// The server's maildrop table.
    Maildrop,
    /// The eavesdropper's loot box.
    Loot,
    /// The eavesdropper's lines that carried a credential.
    Password,
    /// The TLS handshake timeline.
    Timeline,
    /// The negotiated TLS parameters.
    Params,
    /// The certificate chain and its check.
    Certificate,
    /// The secrets derived by the client.
    Secrets,
}

impl Element {
    const ALL: [(&'static str, Element); 9] = [
        ("input", Element::Input),
        ("state", Element::State),
        ("maildrop", Element::Maildrop),
        ("loot", Element::Loot),
        ("password", Element::Password),
        ("timeline", Element::Timeline),
        ("params", Element::Params),
        ("certificate", Element::Certificate),
        ("secrets", Element::Secrets),
    ];

    /// The pane that holds it.
    pub fn pane(self) -> PaneName {
        match self {
            Element::Input => PaneName::Client,
            Element::State | Element::Maildrop => PaneName::Server,
            Element::Loot | Element::Password => PaneName::Wire,
            Element::Timeline | Element::Params | Element::Certificate | Element::Secrets => {
                PaneName::Tls
            }
        }
    }

    /// The name lessons use.
    pub fn name(self) -> &'static str {
        Element::ALL
            .iter()
            .find(|(_, e)| *e == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

/// A diagram drawn in the terminal for the chapters without a live lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagram {
    /// Chapter 1: PC → MTA → spool → retry → destination MTA → mailbox →
    /// POP3 → reader, one stage more at each step.
    MailPath,
    /// Chapter 2: SMTP between servers, POP3 for the last leg, with ports.
    Protocols,
    /// Chapter 3: the leg this course protects.
    LastLeg,
    /// Chapter 4: POP3 (download) beside IMAP (mail stays on the server).
    PopVsImap,
}

impl Diagram {
    const ALL: [(&'static str, Diagram); 4] = [
        ("mail-path", Diagram::MailPath),
        ("protocols", Diagram::Protocols),
        ("last-leg", Diagram::LastLeg),
        ("pop-vs-imap", Diagram::PopVsImap),
    ];

    /// How many stages it has; a step shows stages 1 to N.
    pub fn stages(self) -> u32 {
        match self {
            Diagram::MailPath => 8,
            Diagram::Protocols => 3,
            Diagram::LastLeg => 2,
            Diagram::PopVsImap => 2,
        }
    }

    /// The name lessons use.
    pub fn name(self) -> &'static str {
        Diagram::ALL
            .iter()
            .find(|(_, d)| *d == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

/// A scenario as a lesson asks for it: one of the named scenarios, with
/// optional client settings changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioSpec {
    /// One of [`Scenario::NAMES`].
    pub name: String,
    /// `verify=lab|system|insecure`; `None` keeps the lab CA.
    pub verify: Option<VerifyName>,
    /// `require-tls=on|off`; `None` keeps the scenario's default.
    pub require_tls: Option<bool>,
    /// `tls-version=1.2|1.3`: the only version the client offers; `None`
    /// offers both (and 1.3 is agreed).
    pub tls_version: Option<crate::lab::TlsVersion>,
}

/// How the client checks the certificate, as lessons name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyName {
    /// `lab`: against the lab's own CA (the certificate is trusted).
    Lab,
    /// `system`: against the system's CAs, which do not know the lab's CA,
    /// so the check fails with "unknown issuer".
    System,
    /// `insecure`: not at all.
    Insecure,
}

impl VerifyName {
    /// Set the scenario's certificate check as this name says. The
    /// `verify=` setting of `scenario` and the `verify on|off` switch both
    /// go through here.
    pub fn apply(self, s: &mut Scenario) {
        s.verify = match self {
            VerifyName::Lab => Trust::LabCa,
            VerifyName::System => Trust::SystemRoots,
            VerifyName::Insecure => Trust::InsecureAcceptAny,
        };
    }
}

impl ScenarioSpec {
    /// The lab scenario it stands for.
    pub fn to_scenario(&self) -> Scenario {
        // `parse` only accepts known names, so the fallback is never used
        // for a parsed spec; it keeps this total for hand-made ones.
        let mut s = Scenario::named(&self.name)
            .or_else(|| Scenario::named("plain"))
            .expect("the plain scenario exists");
        if let Some(v) = self.verify {
            v.apply(&mut s);
        }
        if let Some(r) = self.require_tls {
            s.require_tls = r;
        }
        s.tls_version = self.tls_version;
        s
    }
}

/// A client or server setting a lesson can switch on or off, changing
/// the current scenario and restarting the lab with it.
///
/// Each switch is one row of [`SWITCHES`]: its name as lessons write it
/// and how it changes a [`Scenario`]. A new switch (the vulnerable client
/// mode, say) is one more row there.
#[derive(Clone, Copy)]
pub struct Switch {
    /// The word lessons use, e.g. `require-tls`.
    pub name: &'static str,
    /// How `on` or `off` changes the scenario.
    pub set: fn(&mut Scenario, bool),
}

/// The switches a lesson may turn `on` or `off`.
pub const SWITCHES: &[Switch] = &[
    // The careful client: no credential leaves it without TLS.
    Switch {
        name: "require-tls",
        set: |s, on| s.require_tls = on,
    },
    // On checks the certificate against the lab's CA; off accepts any
    // certificate, which is what clicking through a warning amounts to.
    Switch {
        name: "verify",
        set: |s, on| {
            let v = if on {
                VerifyName::Lab
            } else {
                VerifyName::Insecure
            };
            v.apply(s);
        },
    },
    // The lab's own server keeps bytes sent before the TLS handshake
    // (CVE-2011-0411 class); off by default.
    Switch {
        name: "vulnerable-server",
        set: |s, on| s.vulnerable_server = on,
    },
    // The lab's own client reads bytes found after +OK to STLS as if they
    // came inside TLS; off by default.
    Switch {
        name: "vulnerable-client",
        set: |s, on| s.vulnerable_client = on,
    },
];

/// Change `scenario` as the setting action `name on|off` says. Only the
/// names in [`SWITCHES`] parse, so an unknown name changes nothing.
fn apply_switch(scenario: &mut Scenario, name: &str, on: bool) {
    if let Some(sw) = SWITCHES.iter().find(|sw| sw.name == name) {
        (sw.set)(scenario, on);
    }
}

/// The attack words: every [`Attack`] by its name, and `none`.
fn attack_table() -> Vec<(&'static str, Option<Attack>)> {
    let mut t: Vec<(&'static str, Option<Attack>)> =
        Attack::ALL.iter().map(|a| (a.name(), Some(*a))).collect();
    t.push(("none", None));
    t
}

/// What a step does to the lab or the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAction {
    /// `scenario NAME [verify=lab|system|insecure] [require-tls=on|off]
    /// [tls-version=1.2|1.3]`: start a fresh lab with this scenario (the
    /// client connects).
    Scenario(ScenarioSpec),
    /// `connect`: open a new client connection (after QUIT).
    Connect,
    /// `send LINE`: the client sends one POP3 command line.
    Send(String),
    /// `login`: the client logs in the scenario's way.
    Login,
    /// `pause`: hold every chunk on the wire.
    Pause,
    /// `resume`: let the wire flow again.
    Resume,
    /// `step [N]`: let N chunks (default 1) cross the paused wire.
    Step(u32),
    /// `focus PANE`: focus a pane.
    Focus(PaneName),
    /// `view text|hex|records`: the eavesdropper pane's view.
    View(ViewName),
    /// `highlight ELEMENT`: focus the element's pane and mark it.
    Highlight(Element),
    /// `diagram NAME STAGE`: draw a diagram up to a stage.
    Diagram(Diagram, u32),
    /// `attack NAME|none`: put this attacker on the wire (or none) and
    /// restart the lab with the current scenario otherwise unchanged.
    Attack(Option<Attack>),
    /// `SWITCH on|off` (one of [`SWITCHES`], e.g. `require-tls on`):
    /// change that setting of the current scenario and restart the lab.
    Set(&'static str, bool),
    /// `crack`: the attacker guesses, offline, the password of the last
    /// APOP login the wire carried.
    Crack,
    /// `bytes NAME [client|server]`, `bytes keys`, `bytes off`: open the
    /// TLS pane's byte view on the newest connection's handshake step
    /// NAME (`bytes ServerHello`; a name both sides send, Finished or
    /// ChangeCipherSpec, takes the side, default the server's), open its
    /// key schedule, or close the view.
    Bytes(BytesTarget),
}

/// What the `bytes` action opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BytesTarget {
    /// A handshake step by its protocol name, and whose it is when both
    /// sides send one of that name (`None`: the server's).
    Step {
        /// The step's name: a handshake message type (`ClientHello`,
        /// `EncryptedExtensions`, `HelloRetryRequest`, …) or
        /// `ChangeCipherSpec`.
        name: String,
        /// `Some(true)` for the client's.
        client: Option<bool>,
    },
    /// The key schedule of the newest connection.
    Keys,
    /// Close the byte view.
    Off,
}

/// The step names `bytes` accepts: the handshake messages popscope
/// shows, as `wire::steps::Step::name` spells them.
pub const STEP_NAMES: &[&str] = &[
    "ClientHello",
    "ServerHello",
    "HelloRetryRequest",
    "ChangeCipherSpec",
    "EncryptedExtensions",
    "Certificate",
    "CertificateRequest",
    "ServerKeyExchange",
    "ServerHelloDone",
    "CertificateVerify",
    "ClientKeyExchange",
    "Finished",
    "NewSessionTicket",
    "KeyUpdate",
];

/// The argument of `bytes`.
fn bytes_target(rest: &str) -> Result<BytesTarget, VocabError> {
    let usage = || {
        VocabError(format!(
            "\"bytes\" takes a handshake step (one of {}, optionally followed by client or server), keys or off; found {rest:?}",
            STEP_NAMES.join(", ")
        ))
    };
    let mut words = rest.split_whitespace();
    let (Some(name), side, None) = (words.next(), words.next(), words.next()) else {
        return Err(usage());
    };
    match (name, side) {
        ("keys", None) => return Ok(BytesTarget::Keys),
        ("off", None) => return Ok(BytesTarget::Off),
        _ => {}
    }
    let Some(name) = STEP_NAMES.iter().find(|n| **n == name) else {
        return Err(VocabError(format!(
            "\"bytes\": unknown handshake step {name:?}: expected one of {}, keys or off",
            STEP_NAMES.join(", ")
        )));
    };
    let client = match side {
        None => None,
        Some("client") => Some(true),
        Some("server") => Some(false),
        Some(_) => return Err(usage()),
    };
    Ok(BytesTarget::Step {
        name: (*name).to_string(),
        client,
    })
}

/// What a step expects to have happened in the lab, checked against the
/// lab's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// `password-leaked`: the eavesdropper read a password (PASS, AUTH
    /// PLAIN or AUTH LOGIN).
    PasswordLeaked,
    /// `user-leaked`: the eavesdropper read the user name.
    UserLeaked,
    /// `apop-digest-seen`: the eavesdropper saw an APOP digest and the
    /// greeting timestamp it was made from.
    ApopDigestSeen,
    /// `mail-leaked`: the eavesdropper read a message's headers.
    MailLeaked,
    /// `no-credential`: the eavesdropper captured no credential at all.
    NoCredential,
    /// `nothing-readable`: the eavesdropper read no POP3 at all.
    NothingReadable,
    /// `state authorization|transaction|update`: the server's session state.
    State(StateName),
    /// `reply ok|err`: the client's newest reply.
    Reply(bool),
    /// `logged-in`: the client logged in.
    LoggedIn,
    /// `tls-established`: the client's TLS handshake finished and the
    /// certificate check passed (or was switched off).
    TlsEstablished,
    /// `tls-version 1.2|1.3`: the negotiated version.
    TlsVersion(TlsVersion),
    /// `handshake NAME`: that step of the newest connection's handshake
    /// took place as the client and the server see it, whether it
    /// crossed in cleartext or
    /// sealed (and was opened with the endpoints' key log), e.g.
    /// `handshake EncryptedExtensions` in TLS 1.3. A cleartext message the
    /// eavesdropper read counts too, so it also holds where no key log is
    /// held (`popscope proxy`, the workshop). Names as
    /// `wire::steps::Step::name` spells them ([`STEP_NAMES`]).
    Handshake(String),
    /// `stls-switch`: the wire switched from cleartext to TLS mid-stream.
    StlsSwitch,
    /// `app-data-encrypted`: POP3 crossed as encrypted application data.
    AppDataEncrypted,
    /// `secret-derived`: the client derived a TLS secret.
    SecretDerived,
    /// `cert-visible-to-eavesdropper`: the server's Certificate crossed
    /// in cleartext, so anyone on the path read it (TLS 1.2).
    CertVisibleToEavesdropper,
    /// `cert-hidden-from-eavesdropper`: the server's Certificate reached
    /// the client sealed, so the eavesdropper saw only an opaque record
    /// (TLS 1.3). It is the positive counterpart of the one above rather
    /// than its negation: "not visible" would hold before any handshake
    /// took place, so a step expecting it would pass at once, and it
    /// would also hold for a connection without TLS at all. This one
    /// holds only once a sealed Certificate really crossed.
    CertHiddenFromEavesdropper,
    /// `cert-failed [KIND]`: the certificate check failed, for that
    /// reason when one is named (e.g. `cert-failed unknown issuer`); with
    /// none, any failed handshake counts.
    CertFailed(Option<CertKind>),
    /// `deleted N`: QUIT removed N messages.
    Deleted(usize),
    /// `marked N`: N messages are marked for deletion.
    Marked(usize),
    /// `attack-succeeded`: the attacker's verdict is that it got what it
    /// came for.
    AttackSucceeded,
    /// `attack-blocked`: the attacker's verdict is that it failed (the
    /// client refused, or the attack had no effect).
    AttackBlocked,
    /// `stls-stripped`: the attacker took STLS out of the CAPA reply or
    /// answered the client's STLS itself.
    StlsStripped,
    /// `cert-forged`: the attacker presented a certificate of its own.
    CertForged,
    /// `injection-discarded`: the attacker injected a command into the
    /// client's STLS, and the session went on to a login as if nothing
    /// had been added.
    InjectionDiscarded,
    /// `decrypted`: the attacker opened a recorded TLS record with the
    /// stolen key log.
    Decrypted,
    /// `password-cracked`: the offline search found the password behind
    /// a recorded APOP digest.
    PasswordCracked,
}

/// Why a word did not parse: what was found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabError(pub String);

/// What was wrong with a certificate, as a lesson names it after
/// `cert-failed`: the short name [`CertProblem`]'s words begin with, with
/// the details (which issuer, which names) left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// `unknown issuer`.
    UnknownIssuer,
    /// `name mismatch`.
    NameMismatch,
    /// `expired`.
    Expired,
    /// `not yet valid`.
    NotYetValid,
    /// `ca used as server`.
    CaUsedAsServer,
    /// `server used as ca`.
    ServerUsedAsCa,
    /// `bad signature`.
    BadSignature,
    /// `unsupported algorithm`.
    UnsupportedAlgorithm,
    /// `revoked`.
    Revoked,
    /// `wrong purpose`.
    WrongPurpose,
    /// `malformed`.
    Malformed,
    /// `constraint violated`.
    ConstraintViolated,
}

impl CertKind {
    /// Every kind, in the order an error message lists them.
    pub const ALL: [CertKind; 12] = [
        CertKind::UnknownIssuer,
        CertKind::NameMismatch,
        CertKind::Expired,
        CertKind::NotYetValid,
        CertKind::CaUsedAsServer,
        CertKind::ServerUsedAsCa,
        CertKind::BadSignature,
        CertKind::UnsupportedAlgorithm,
        CertKind::Revoked,
        CertKind::WrongPurpose,
        CertKind::Malformed,
        CertKind::ConstraintViolated,
    ];

    /// The words a lesson writes.
    pub fn word(self) -> &'static str {
        match self {
            CertKind::UnknownIssuer => "unknown issuer",
            CertKind::NameMismatch => "name mismatch",
            CertKind::Expired => "expired",
            CertKind::NotYetValid => "not yet valid",
            CertKind::CaUsedAsServer => "ca used as server",
            CertKind::ServerUsedAsCa => "server used as ca",
            CertKind::BadSignature => "bad signature",
            CertKind::UnsupportedAlgorithm => "unsupported algorithm",
            CertKind::Revoked => "revoked",
            CertKind::WrongPurpose => "wrong purpose",
            CertKind::Malformed => "malformed",
            CertKind::ConstraintViolated => "constraint violated",
        }
    }

    /// The kind a lesson names, in any case and spacing.
    pub fn parse(words: &str) -> Option<CertKind> {
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        CertKind::ALL
            .into_iter()
            .find(|k| k.word().eq_ignore_ascii_case(&words))
    }

    /// The kind of a problem the client reported; `None` for a problem
    /// popscope has no name for.
    pub fn of(p: &CertProblem) -> Option<CertKind> {
        Some(match p {
            CertProblem::UnknownIssuer { .. } => CertKind::UnknownIssuer,
            CertProblem::NameMismatch { .. } => CertKind::NameMismatch,
            CertProblem::Expired { .. } => CertKind::Expired,
            CertProblem::NotYetValid { .. } => CertKind::NotYetValid,
            CertProblem::CaUsedAsEndEntity => CertKind::CaUsedAsServer,
            CertProblem::EndEntityUsedAsCa => CertKind::ServerUsedAsCa,
            CertProblem::BadSignature => CertKind::BadSignature,
            CertProblem::UnsupportedAlgorithm => CertKind::UnsupportedAlgorithm,
            CertProblem::Revoked => CertKind::Revoked,
            CertProblem::WrongPurpose => CertKind::WrongPurpose,
            CertProblem::BadEncoding => CertKind::Malformed,
            CertProblem::ConstraintViolated => CertKind::ConstraintViolated,
            CertProblem::Other { .. } => return None,
        })
    }
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl fmt::Display for VocabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn one_of<T: Copy>(what: &str, word: &str, table: &[(&'static str, T)]) -> Result<T, VocabError> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(word))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            VocabError(format!(
                "unknown {what} {word:?}: expected one of {}",
                names.join(", ")
            ))
        })
}

/// The action words, for error messages and the format's documentation;
/// the switches of [`SWITCHES`] are action words too.
pub const ACTION_WORDS: &[&str] = &[
    "scenario",
    "connect",
    "send",
    "login",
    "pause",
    "resume",
    "step",
    "focus",
    "view",
    "highlight",
    "diagram",
    "attack",
    "crack",
    "bytes",
];

/// The expectation words, for error messages and documentation.
pub const EXPECT_WORDS: &[&str] = &[
    "password-leaked",
    "user-leaked",
    "apop-digest-seen",
    "mail-leaked",
    "no-credential",
    "nothing-readable",
    "state",
    "reply",
    "logged-in",
    "tls-established",
    "tls-version",
    "handshake",
    "stls-switch",
    "app-data-encrypted",
    "secret-derived",
    "cert-visible-to-eavesdropper",
    "cert-hidden-from-eavesdropper",
    "cert-failed",
    "deleted",
    "marked",
    "attack-succeeded",
    "attack-blocked",
    "stls-stripped",
    "cert-forged",
    "injection-discarded",
    "decrypted",
    "password-cracked",
];

fn no_args(word: &str, rest: &str) -> Result<(), VocabError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(VocabError(format!(
            "{word:?} takes nothing after it, found {rest:?}"
        )))
    }
}

fn number<T: std::str::FromStr>(word: &str, rest: &str) -> Result<T, VocabError> {
    rest.parse()
        .map_err(|_| VocabError(format!("{word:?} needs a number after it, found {rest:?}")))
}

impl StepAction {
    /// Parse one action line.
    pub fn parse(line: &str) -> Result<StepAction, VocabError> {
        let line = line.trim();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        Ok(match word.to_ascii_lowercase().as_str() {
            "scenario" => StepAction::Scenario(parse_scenario(rest)?),
            "connect" => no_args(word, rest).map(|_| StepAction::Connect)?,
            "send" => {
                if rest.is_empty() {
                    return Err(VocabError(
                        "\"send\" needs a POP3 command line after it, e.g. \"send STAT\"".into(),
                    ));
                }
                StepAction::Send(rest.to_string())
            }
            "login" => no_args(word, rest).map(|_| StepAction::Login)?,
            "pause" => no_args(word, rest).map(|_| StepAction::Pause)?,
            "resume" => no_args(word, rest).map(|_| StepAction::Resume)?,
            "step" => {
                if rest.is_empty() {
                    StepAction::Step(1)
                } else {
                    let n: u32 = number(word, rest)?;
                    if n == 0 {
                        return Err(VocabError("\"step\" needs at least 1 chunk".into()));
                    }
                    StepAction::Step(n)
                }
            }
            "focus" => StepAction::Focus(one_of("pane", rest, &PaneName::ALL)?),
            "view" => StepAction::View(one_of(
                "view",
                rest,
                &[
                    ("text", ViewName::Text),
                    ("hex", ViewName::Hex),
                    ("records", ViewName::Records),
                ],
            )?),
            "highlight" => StepAction::Highlight(one_of("element", rest, &Element::ALL)?),
            "diagram" => {
                let (name, stage) = rest.split_once(' ').unwrap_or((rest, ""));
                let d = one_of("diagram", name, &Diagram::ALL)?;
                let stage: u32 = number("diagram", stage.trim())?;
                if stage == 0 || stage > d.stages() {
                    return Err(VocabError(format!(
                        "diagram {} has stages 1 to {}, found {stage}",
                        d.name(),
                        d.stages()
                    )));
                }
                StepAction::Diagram(d, stage)
            }
            "attack" => StepAction::Attack(one_of("attack", rest, &attack_table())?),
            "crack" => no_args(word, rest).map(|_| StepAction::Crack)?,
            "bytes" => StepAction::Bytes(bytes_target(rest)?),
            w => {
                let Some(sw) = SWITCHES.iter().find(|sw| sw.name == w) else {
                    let words: Vec<&str> = ACTION_WORDS
                        .iter()
                        .copied()
                        .chain(SWITCHES.iter().map(|sw| sw.name))
                        .collect();
                    return Err(VocabError(format!(
                        "unknown action {word:?}: expected one of {}",
                        words.join(", ")
                    )));
                };
                StepAction::Set(
                    sw.name,
                    one_of(sw.name, rest, &[("on", true), ("off", false)])?,
                )
            }
        })
    }

    /// True for actions that change the lab rather than only the screen.
    pub fn touches_lab(&self) -> bool {
        matches!(
            self,
            StepAction::Scenario(_)
                | StepAction::Connect
                | StepAction::Send(_)
                | StepAction::Login
                | StepAction::Pause
                | StepAction::Resume
                | StepAction::Step(_)
                | StepAction::Attack(_)
                | StepAction::Set(..)
                | StepAction::Crack
        )
    }

    /// The scenario a lab restarts with when this action changes the
    /// current one (`attack`, or a switch), or `None` for every other
    /// action. The screen and the headless runner both restart through
    /// this, so they change the same settings the same way.
    pub fn changed_scenario(&self, current: &Scenario) -> Option<Scenario> {
        let mut s = current.clone();
        match self {
            StepAction::Attack(a) => s.attack = *a,
            StepAction::Set(name, on) => apply_switch(&mut s, name, *on),
            _ => return None,
        }
        Some(s)
    }
}

fn parse_scenario(rest: &str) -> Result<ScenarioSpec, VocabError> {
    let mut words = rest.split_whitespace();
    let name = words.next().unwrap_or("");
    if !Scenario::NAMES.contains(&name) {
        return Err(VocabError(format!(
            "unknown scenario {name:?}: expected one of {}",
            Scenario::NAMES.join(", ")
        )));
    }
    let mut spec = ScenarioSpec {
        name: name.to_string(),
        verify: None,
        require_tls: None,
        tls_version: None,
    };
    for w in words {
        match w.split_once('=') {
            Some(("verify", v)) => {
                spec.verify = Some(one_of(
                    "verify setting",
                    v,
                    &[
                        ("lab", VerifyName::Lab),
                        ("system", VerifyName::System),
                        ("insecure", VerifyName::Insecure),
                    ],
                )?)
            }
            Some(("require-tls", v)) => {
                spec.require_tls = Some(one_of(
                    "require-tls setting",
                    v,
                    &[("on", true), ("off", false)],
                )?)
            }
            Some(("tls-version", v)) => {
                if name == "plain" || name == "apop" || name == "auth-plain" {
                    return Err(VocabError(format!(
                        "tls-version= is for the stls and pop3s scenarios; {name} uses no TLS"
                    )));
                }
                spec.tls_version =
                    Some(crate::lab::TlsVersion::from_number(v).ok_or_else(|| {
                        VocabError(format!("unknown tls-version {v:?}: expected 1.2 or 1.3"))
                    })?)
            }
            _ => {
                return Err(VocabError(format!(
                    "unknown scenario setting {w:?}: expected verify=lab|system|insecure, \
                     require-tls=on|off or tls-version=1.2|1.3"
                )));
            }
        }
    }
    Ok(spec)
}

impl Expect {
    /// Parse one expectation line.
    pub fn parse(line: &str) -> Result<Expect, VocabError> {
        let line = line.trim();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        let bare = |e: Expect| no_args(word, rest).map(|_| e);
        match word.to_ascii_lowercase().as_str() {
            "password-leaked" => bare(Expect::PasswordLeaked),
            "user-leaked" => bare(Expect::UserLeaked),
            "apop-digest-seen" => bare(Expect::ApopDigestSeen),
            "mail-leaked" => bare(Expect::MailLeaked),
            "no-credential" => bare(Expect::NoCredential),
            "nothing-readable" => bare(Expect::NothingReadable),
            "state" => Ok(Expect::State(one_of(
                "state",
                rest,
                &[
                    ("authorization", StateName::Authorization),
                    ("transaction", StateName::Transaction),
                    ("update", StateName::Update),
                ],
            )?)),
            "reply" => Ok(Expect::Reply(one_of(
                "reply",
                rest,
                &[("ok", true), ("err", false)],
            )?)),
            "logged-in" => bare(Expect::LoggedIn),
            "tls-established" => bare(Expect::TlsEstablished),
            "tls-version" => TlsVersion::from_number(rest)
                .map(Expect::TlsVersion)
                .ok_or_else(|| {
                    VocabError(format!("\"tls-version\" needs 1.2 or 1.3, found {rest:?}"))
                }),
            "handshake" => STEP_NAMES
                .iter()
                .find(|n| n.eq_ignore_ascii_case(rest))
                .map(|n| Expect::Handshake(n.to_string()))
                .ok_or_else(|| {
                    VocabError(format!(
                        "unknown handshake step {rest:?}: expected one of {}",
                        STEP_NAMES.join(", ")
                    ))
                }),
            "stls-switch" => bare(Expect::StlsSwitch),
            "app-data-encrypted" => bare(Expect::AppDataEncrypted),
            "secret-derived" => bare(Expect::SecretDerived),
            "cert-visible-to-eavesdropper" => bare(Expect::CertVisibleToEavesdropper),
            "cert-hidden-from-eavesdropper" => bare(Expect::CertHiddenFromEavesdropper),
            "cert-failed" if rest.trim().is_empty() => Ok(Expect::CertFailed(None)),
            "cert-failed" => CertKind::parse(rest)
                .map(|k| Expect::CertFailed(Some(k)))
                .ok_or_else(|| {
                    VocabError(format!(
                        "\"cert-failed\" names no certificate problem called {rest:?}: expected \
                         one of {}",
                        CertKind::ALL.map(CertKind::word).join(", ")
                    ))
                }),
            "deleted" => Ok(Expect::Deleted(number(word, rest)?)),
            "marked" => Ok(Expect::Marked(number(word, rest)?)),
            "attack-succeeded" => bare(Expect::AttackSucceeded),
            "attack-blocked" => bare(Expect::AttackBlocked),
            "stls-stripped" => bare(Expect::StlsStripped),
            "cert-forged" => bare(Expect::CertForged),
            "injection-discarded" => bare(Expect::InjectionDiscarded),
            "decrypted" => bare(Expect::Decrypted),
            "password-cracked" => bare(Expect::PasswordCracked),
            _ => Err(VocabError(format!(
                "unknown expectation {word:?}: expected one of {}",
                EXPECT_WORDS.join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse() {
        assert_eq!(
            StepAction::parse("send USER alice"),
            Ok(StepAction::Send("USER alice".into()))
        );
        assert_eq!(StepAction::parse("step"), Ok(StepAction::Step(1)));
        assert_eq!(StepAction::parse("step 3"), Ok(StepAction::Step(3)));
        assert_eq!(
            StepAction::parse("diagram mail-path 3"),
            Ok(StepAction::Diagram(Diagram::MailPath, 3))
        );
        let s = StepAction::parse("scenario pop3s verify=system").unwrap();
        let StepAction::Scenario(spec) = s else {
            panic!("not a scenario: {s:?}")
        };
        assert_eq!(spec.to_scenario().verify, Trust::SystemRoots);
    }

    #[test]
    fn bytes_names_a_step_its_side_the_keys_or_off() {
        assert_eq!(
            StepAction::parse("bytes Finished client"),
            Ok(StepAction::Bytes(BytesTarget::Step {
                name: "Finished".into(),
                client: Some(true)
            }))
        );
        assert_eq!(
            StepAction::parse("bytes EncryptedExtensions"),
            Ok(StepAction::Bytes(BytesTarget::Step {
                name: "EncryptedExtensions".into(),
                client: None
            }))
        );
        assert_eq!(
            StepAction::parse("bytes keys"),
            Ok(StepAction::Bytes(BytesTarget::Keys))
        );
        assert_eq!(
            StepAction::parse("bytes off"),
            Ok(StepAction::Bytes(BytesTarget::Off))
        );
        for bad in [
            "bytes",
            "bytes Hello",
            "bytes Finished both",
            "bytes keys now",
        ] {
            let e = StepAction::parse(bad).unwrap_err();
            assert!(e.0.contains("ServerHello"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_actions_say_what_was_expected() {
        let e = StepAction::parse("sned STAT").unwrap_err();
        assert!(e.0.contains("unknown action \"sned\""), "{e}");
        assert!(e.0.contains("send"), "{e}");
        let e = StepAction::parse("scenario imap").unwrap_err();
        assert!(e.0.contains("plain, apop"), "{e}");
        let e = StepAction::parse("diagram mail-path 9").unwrap_err();
        assert!(e.0.contains("stages 1 to 8"), "{e}");
        assert!(StepAction::parse("send").is_err());
        assert!(StepAction::parse("login now").is_err());
        assert!(StepAction::parse("focus attic").is_err());
    }

    #[test]
    fn attack_and_switches_change_the_current_scenario() {
        let mut s = Scenario::named("stls").unwrap();
        assert!(s.require_tls);
        let step = |s: &Scenario, w: &str| {
            StepAction::parse(w)
                .unwrap_or_else(|e| panic!("{w}: {e}"))
                .changed_scenario(s)
                .unwrap_or_else(|| panic!("{w} changes nothing"))
        };
        s = step(&s, "attack strip-stls");
        assert_eq!(s.attack, Some(Attack::StripStls));
        s = step(&s, "require-tls off");
        assert!(!s.require_tls);
        // The attack stays while a policy changes, and the reverse.
        assert_eq!(s.attack, Some(Attack::StripStls));
        s = step(&s, "verify off");
        assert_eq!(s.verify, Trust::InsecureAcceptAny);
        s = step(&s, "verify on");
        assert_eq!(s.verify, Trust::LabCa);
        s = step(&s, "vulnerable-server on");
        assert!(s.vulnerable_server);
        s = step(&s, "attack none");
        assert_eq!(s.attack, None);
        assert!(s.vulnerable_server && !s.require_tls);
        assert_eq!(s.name, "stls", "the scenario itself stays");
        for a in Attack::ALL {
            let s = step(&s, &format!("attack {}", a.name()));
            assert_eq!(s.attack, Some(a));
        }
        // Other actions change no setting.
        for w in ["crack", "login", "scenario plain", "send STAT"] {
            let a = StepAction::parse(w).unwrap();
            assert!(a.changed_scenario(&s).is_none(), "{w}");
            assert!(a.touches_lab(), "{w}");
        }
    }

    #[test]
    fn a_scenario_can_ask_for_one_tls_version() {
        let StepAction::Scenario(spec) =
            StepAction::parse("scenario pop3s tls-version=1.2").unwrap()
        else {
            panic!("not a scenario");
        };
        assert_eq!(spec.tls_version, Some(crate::lab::TlsVersion::V1_2));
        assert_eq!(
            spec.to_scenario().tls_version,
            Some(crate::lab::TlsVersion::V1_2)
        );
        let e = StepAction::parse("scenario stls tls-version=1.1").unwrap_err();
        assert!(e.0.contains("expected 1.2 or 1.3"), "{e}");
        let e = StepAction::parse("scenario plain tls-version=1.3").unwrap_err();
        assert!(e.0.contains("uses no TLS"), "{e}");
    }

    #[test]
    fn bad_attack_words_say_what_was_expected() {
        let e = StepAction::parse("attack sniff").unwrap_err();
        assert!(e.0.contains("strip-stls"), "{e}");
        assert!(e.0.contains("none"), "{e}");
        let e = StepAction::parse("require-tls maybe").unwrap_err();
        assert!(e.0.contains("on, off"), "{e}");
        assert!(StepAction::parse("verify").is_err());
        assert!(StepAction::parse("crack now").is_err());
        // The switches are listed among the action words.
        let e = StepAction::parse("requiretls on").unwrap_err();
        assert!(e.0.contains("require-tls"), "{e}");
        assert!(e.0.contains("vulnerable-server"), "{e}");
        assert!(Expect::parse("attack-succeeded now").is_err());
        assert_eq!(
            Expect::parse("password-cracked"),
            Ok(Expect::PasswordCracked)
        );
    }

    #[test]
    fn expectations_parse() {
        assert_eq!(
            Expect::parse("state TRANSACTION"),
            Ok(Expect::State(StateName::Transaction))
        );
        assert_eq!(
            Expect::parse("handshake clienthello"),
            Ok(Expect::Handshake("ClientHello".into()))
        );
        assert_eq!(
            Expect::parse("cert-failed unknown issuer"),
            Ok(Expect::CertFailed(Some(CertKind::UnknownIssuer)))
        );
        assert_eq!(
            Expect::parse("cert-failed  Not Yet  valid"),
            Ok(Expect::CertFailed(Some(CertKind::NotYetValid)))
        );
        assert_eq!(Expect::parse("cert-failed"), Ok(Expect::CertFailed(None)));
        let e = Expect::parse("cert-failed issuer").unwrap_err();
        assert!(e.0.contains("unknown issuer, name mismatch"), "{e}");
        assert_eq!(
            Expect::parse("tls-version 1.2"),
            Ok(Expect::TlsVersion(TlsVersion::V1_2))
        );
        assert!(Expect::parse("tls-version 1.1").is_err());
        assert_eq!(Expect::parse("deleted 1"), Ok(Expect::Deleted(1)));
        assert!(Expect::parse("deleted one").is_err());
        assert!(Expect::parse("password-leaked yes").is_err());
        // Every step name `bytes` takes is a handshake step here too.
        for name in STEP_NAMES {
            assert_eq!(
                Expect::parse(&format!("handshake {name}")),
                Ok(Expect::Handshake(name.to_string()))
            );
        }
        let e = Expect::parse("handshake Hello").unwrap_err();
        assert!(e.0.contains("NewSessionTicket"), "{e}");
        assert_eq!(
            Expect::parse("cert-visible-to-eavesdropper"),
            Ok(Expect::CertVisibleToEavesdropper)
        );
        assert_eq!(
            Expect::parse("cert-hidden-from-eavesdropper"),
            Ok(Expect::CertHiddenFromEavesdropper)
        );
        assert!(Expect::parse("cert-hidden-from-eavesdropper now").is_err());
        let e = Expect::parse("password-stolen").unwrap_err();
        assert!(e.0.contains("password-leaked"), "{e}");
    }
}
