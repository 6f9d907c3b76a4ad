//! The server side of one POP3 session, as a state machine with no I/O of
//! its own (in the manner of rustls): it is fed command lines and answers
//! with [`Output`]s for the connection loop to carry out. Every RFC rule the
//! server follows can therefore be tested without a socket.
//!
//! States follow RFC 1939 §3: AUTHORIZATION until a login succeeds,
//! TRANSACTION while the maildrop is open, UPDATE when QUIT applies the
//! deletion marks. A session that ends any other way never reaches UPDATE,
//! so it deletes nothing.
//!
//! The session never touches the disk itself. Logging in, reading a
//! message and applying deletions need the Maildir, so for those it
//! answers with an [`Output::Disk`] job; the connection loop runs the job
//! on its blocking pool (with a deadline) and hands the result back to
//! [`Session::disk_done`], which gives the replies. Every other command is
//! answered at once from what the session holds.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::mailbox::{
    CommitReport, MailboxError, Maildrop, Message, MessageReader, ReadError, Store,
};
use crate::pop3::auth::{self, Users};
use crate::pop3::command::{Command, ParseError};
use crate::pop3::framing::{Line, MAX_COMMAND_LINE, MAX_REPLY_LINE};
use crate::pop3::guard::{Guard, Lockout};

/// Settings that are the same for every session of a listener.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The host name in the greeting's APOP timestamp.
    pub hostname: String,
    /// Whether STLS is offered (a cleartext port with a certificate).
    pub stls_available: bool,
    /// Whether USER, PASS and AUTH PLAIN are allowed before TLS
    /// (RFC 2595 §2.3 lets a server refuse them).
    pub cleartext_login: bool,
    /// How long to wait before answering a failed login.
    pub login_delay: Duration,
    /// Failed logins after which the connection is closed.
    pub max_login_failures: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            hostname: "localhost".into(),
            stls_available: false,
            cleartext_login: true,
            login_delay: Duration::from_secs(1),
            max_login_failures: 5,
        }
    }
}

/// What sessions share: the user table and the maildrops.
#[derive(Debug)]
pub struct Backend {
    /// Who may log in.
    pub users: Users,
    /// Where their mail is.
    pub store: Arc<Store>,
}

/// The session's RFC 1939 state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StateName {
    /// Before a successful login.
    Authorization,
    /// The maildrop is open.
    Transaction,
    /// QUIT is applying the deletion marks; the session is over.
    Update,
}

impl std::fmt::Display for StateName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StateName::Authorization => "AUTHORIZATION",
            StateName::Transaction => "TRANSACTION",
            StateName::Update => "UPDATE",
        })
    }
}

/// How a user logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LoginMethod {
    /// USER then PASS: the password crosses the wire as typed.
    UserPass,
    /// APOP: an MD5 digest of the timestamp and the secret.
    Apop,
    /// SASL PLAIN: the password in base64.
    SaslPlain,
}

impl std::fmt::Display for LoginMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LoginMethod::UserPass => "USER/PASS",
            LoginMethod::Apop => "APOP",
            LoginMethod::SaslPlain => "AUTH PLAIN",
        })
    }
}

/// One thing for the connection loop to do, in order.
#[derive(Debug)]
pub enum Output {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Run this disk work off the async workers, then hand its result to
    /// [`Session::disk_done`] and carry out what that returns before
    /// anything else. If it takes too long, call
    /// [`Session::disk_timed_out`] instead.
    Disk(DiskJob),
    /// Stream this message as a multi-line body (its `+OK` line came just
    /// before), whole or with TOP's limit of body lines.
    SendMessage {
        /// The opened message file, which yields exactly the octets the
        /// `+OK` line announced.
        message: MessageReader,
        /// `Some(n)` for TOP: headers and n body lines.
        top: Option<u64>,
    },
    /// Wait before going on (the delay after a failed login).
    Delay(Duration),
    /// The `+OK` to STLS has been queued: flush it, throw away anything the
    /// client sent after STLS, and start the TLS handshake.
    StartTls,
    /// Flush and close the connection.
    Close,
}

/// Something worth a line in the session log (and, in the lab, an event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A command line was handled; secrets are masked.
    Command {
        /// The command as a log may show it.
        text: String,
    },
    /// The RFC 1939 state changed.
    StateChanged(StateName),
    /// DELE or RSET changed the deletion marks.
    MarksChanged,
    /// A login succeeded.
    LoggedIn {
        /// Who.
        user: String,
        /// How.
        method: LoginMethod,
    },
    /// A login failed.
    LoginFailed {
        /// The name tried, if any.
        user: Option<String>,
        /// How.
        method: LoginMethod,
        /// The failure budget had locked the account or the address out,
        /// so the password was not even checked.
        locked_out: bool,
    },
    /// A failed login started a lockout window of the failure budget.
    LockedOut(Lockout),
    /// QUIT applied the deletion marks. Every marked message is counted
    /// in exactly one of the three numbers.
    Updated {
        /// Files this session removed from disk.
        removed: usize,
        /// Already removed by another client.
        gone: usize,
        /// Still on disk: could not be removed.
        failed: usize,
    },
}

/// Disk work a session needs done before it can answer: the connection
/// loop calls [`DiskJob::run`] on its blocking pool.
#[derive(Debug)]
pub struct DiskJob(Job);

#[derive(Debug)]
enum Job {
    /// A login succeeded: lock, scan and number the maildrop.
    Open {
        store: Arc<Store>,
        user: String,
        method: LoginMethod,
    },
    /// RETR or TOP: open the message and check it is what was numbered.
    Retrieve {
        n: u32,
        top: Option<u64>,
        message: Message,
    },
    /// QUIT in TRANSACTION: remove the marked messages.
    Commit(Maildrop),
}

/// The outcome of a [`DiskJob`], for [`Session::disk_done`].
#[derive(Debug)]
pub struct DiskDone(Done);

#[derive(Debug)]
enum Done {
    Opened {
        user: String,
        method: LoginMethod,
        result: Result<Maildrop, MailboxError>,
    },
    Retrieved {
        n: u32,
        top: Option<u64>,
        result: Result<MessageReader, ReadError>,
    },
    Committed(CommitReport),
}

impl DiskJob {
    /// Do the work. This blocks on the file system, so it belongs on a
    /// blocking pool. Once `abandoned` is set (the loop stopped waiting
    /// and told the client so), a commit removes nothing more.
    pub fn run(self, abandoned: &AtomicBool) -> DiskDone {
        DiskDone(match self.0 {
            Job::Open {
                store,
                user,
                method,
            } => {
                let result = store.open(&user);
                Done::Opened {
                    user,
                    method,
                    result,
                }
            }
            Job::Retrieve { n, top, message } => Done::Retrieved {
                n,
                top,
                // Only RETR announces a size, so only RETR needs it exact.
                result: message.open(top.is_none()),
            },
            Job::Commit(maildrop) => Done::Committed(maildrop.commit_unless(abandoned)),
        })
    }
}

enum State {
    Authorization {
        /// The name given by USER, waiting for PASS.
        user: Option<String>,
        /// AUTH PLAIN sent "+ " and waits for the response line.
        awaiting_sasl: bool,
    },
    Transaction(Maildrop),
    Update,
}

/// One server session.
pub struct Session {
    config: Arc<SessionConfig>,
    backend: Arc<Backend>,
    state: State,
    timestamp: String,
    tls: bool,
    failures: u32,
    notes: Vec<Note>,
    /// How many times each command was used, for the session log; at most
    /// one entry per keyword, so it stays small.
    tally: Vec<(&'static str, u32)>,
    /// The server's failure budget and the client's address, when the
    /// session runs behind a listener.
    guard: Option<(Arc<Guard>, std::net::IpAddr)>,
}

static TIMESTAMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh APOP timestamp, `<pid.counter.seconds.random@host>`: unique per
/// greeting (RFC 1939 §7), and unpredictable so a recorded APOP answer
/// cannot be replayed against a later greeting.
pub fn make_timestamp(hostname: &str) -> String {
    use ring::rand::SecureRandom;
    let mut r = [0u8; 6];
    // If the system's random source failed, the counter and clock still
    // make the timestamp unique; only unpredictability would be lost.
    let _ = ring::rand::SystemRandom::new().fill(&mut r);
    let n = TIMESTAMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "<{}.{n}.{secs}.{}@{hostname}>",
        std::process::id(),
        hex::encode(r)
    )
}

/// A one-line reply, cut to RFC 2449's 512 octets if it were ever longer.
fn line(ok: bool, text: &str) -> Vec<u8> {
    let mut s = String::with_capacity(text.len() + 7);
    s.push_str(if ok { "+OK" } else { "-ERR" });
    if !text.is_empty() {
        s.push(' ');
        s.push_str(text);
    }
    if s.len() > MAX_REPLY_LINE - 2 {
        let mut cut = MAX_REPLY_LINE - 2;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s.push_str("\r\n");
    s.into_bytes()
}

fn ok(text: &str) -> Output {
    Output::Send(line(true, text))
}

fn err(text: &str) -> Output {
    Output::Send(line(false, text))
}

impl Session {
    /// A new session in AUTHORIZATION state. `tls` is true when the
    /// connection is already encrypted (the POP3S port).
    pub fn new(config: Arc<SessionConfig>, backend: Arc<Backend>, tls: bool) -> Session {
        let timestamp = make_timestamp(&config.hostname);
        Session {
            config,
            backend,
            state: State::Authorization {
                user: None,
                awaiting_sasl: false,
            },
            timestamp,
            tls,
            failures: 0,
            notes: Vec::new(),
            tally: Vec::new(),
            guard: None,
        }
    }

    /// Spend failed logins from `peer` out of the server's shared failure
    /// budget, and refuse logins it has locked out.
    pub fn with_guard(mut self, guard: Arc<Guard>, peer: std::net::IpAddr) -> Session {
        self.guard = Some((guard, peer));
        self
    }

    /// Whether the failure budget lets a login for `user` be checked.
    fn admitted(&self, user: &str) -> bool {
        self.guard.as_ref().is_none_or(|(g, ip)| g.admit(user, *ip))
    }

    /// The greeting; the server speaks first (RFC 1939 §4).
    pub fn greeting(&self) -> Vec<u8> {
        line(
            true,
            &format!("popscope POP3 server ready {}", self.timestamp),
        )
    }

    /// The APOP timestamp of this session's greeting.
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }

    /// The current state.
    pub fn state(&self) -> StateName {
        match self.state {
            State::Authorization { .. } => StateName::Authorization,
            State::Transaction(_) => StateName::Transaction,
            State::Update => StateName::Update,
        }
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        match &self.state {
            State::Transaction(m) => Some(m.user()),
            _ => None,
        }
    }

    /// The open maildrop, in TRANSACTION state.
    pub fn maildrop(&self) -> Option<&Maildrop> {
        match &self.state {
            State::Transaction(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Notes gathered since the last call, for the session log.
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    /// The TLS handshake after STLS succeeded: forget everything learnt in
    /// cleartext (RFC 2595 §4), so CAPA drops STLS and a USER given before
    /// the handshake no longer counts.
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.state = State::Authorization {
            user: None,
            awaiting_sasl: false,
        };
    }

    /// Handle one framed line from the client.
    pub fn handle(&mut self, line: Line) -> Vec<Output> {
        let before = self.state();
        let out = self.handle_line(line);
        self.note_state(before);
        out
    }

    /// The result of an [`Output::Disk`] job: the replies it leads to.
    pub fn disk_done(&mut self, done: DiskDone) -> Vec<Output> {
        let before = self.state();
        let out = match done.0 {
            Done::Opened {
                user,
                method,
                result,
            } => self.opened(user, method, result),
            Done::Retrieved { n, top, result } => retrieved(n, top, result),
            Done::Committed(report) => self.updated(report),
        };
        self.note_state(before);
        out
    }

    /// The loop gave up waiting for an [`Output::Disk`] job: the session
    /// ends. Nothing is deleted unless QUIT's commit had already begun, and
    /// the reply says which.
    pub fn disk_timed_out(&mut self) -> Vec<Output> {
        let text = if matches!(self.state, State::Update) {
            "[SYS/TEMP] the maildrop did not answer in time; some deletions may not be done"
        } else {
            "[SYS/TEMP] the maildrop did not answer in time; closing without deleting anything"
        };
        vec![err(text), Output::Close]
    }

    fn note_state(&mut self, before: StateName) {
        let after = self.state();
        if after != before {
            self.notes.push(Note::StateChanged(after));
        }
    }

    fn handle_line(&mut self, line: Line) -> Vec<Output> {
        if let State::Authorization {
            awaiting_sasl: awaiting @ true,
            ..
        } = &mut self.state
        {
            *awaiting = false;
            self.notes.push(Note::Command {
                text: "(SASL response) ********".into(),
            });
            return match line {
                Line::TooLong => vec![err("authentication response too long")],
                Line::Complete(bytes) => self.sasl_response(&bytes),
            };
        }
        let bytes = match line {
            Line::TooLong => {
                return vec![err(&format!(
                    "command line too long (the limit is {MAX_COMMAND_LINE} octets)"
                ))];
            }
            Line::Complete(bytes) => bytes,
        };
        match Command::parse(&bytes) {
            Ok(cmd) => self.command(cmd),
            Err(ParseError::Unknown) => vec![err("unknown command")],
            Err(e) => vec![err(&e.to_string())],
        }
    }

    /// The commands used so far, as "USER PASS STAT RETR×3 QUIT".
    pub fn command_summary(&self) -> String {
        let mut s = String::new();
        for (k, n) in &self.tally {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(k);
            if *n > 1 {
                let _ = write!(s, "×{n}");
            }
        }
        s
    }

    fn command(&mut self, cmd: Command) -> Vec<Output> {
        let text = cmd.redacted();
        tracing::debug!(command = %text);
        self.notes.push(Note::Command { text });
        let k = cmd.keyword();
        match self.tally.iter_mut().find(|(name, _)| *name == k) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => self.tally.push((k, 1)),
        }
        match cmd {
            Command::Capa => vec![self.capa()],
            Command::Noop => match self.state {
                State::Transaction(_) => vec![ok("")],
                _ => vec![err("NOOP is valid only after login")],
            },
            Command::Quit => self.quit(),
            Command::Stls => self.stls(),
            Command::User(_) | Command::Pass(_) | Command::Apop { .. } | Command::Auth { .. } => {
                self.authorization(cmd)
            }
            _ => self.transaction(cmd),
        }
    }

    fn capa(&self) -> Output {
        let mut s = String::from("+OK capability list follows\r\n");
        let login_allowed = self.tls || self.config.cleartext_login;
        s.push_str("TOP\r\n");
        if login_allowed {
            s.push_str("USER\r\nSASL PLAIN\r\n");
        }
        s.push_str("RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUIDL\r\n");
        if self.stls_offered() {
            s.push_str("STLS\r\n");
        }
        let _ = write!(
            s,
            "IMPLEMENTATION popscope-{}\r\n.\r\n",
            env!("CARGO_PKG_VERSION")
        );
        Output::Send(s.into_bytes())
    }

    fn stls_offered(&self) -> bool {
        self.config.stls_available && !self.tls && matches!(self.state, State::Authorization { .. })
    }

    fn stls(&mut self) -> Vec<Output> {
        if self.tls {
            return vec![err("TLS is already active")];
        }
        if !self.config.stls_available {
            return vec![err("STLS is not available on this server")];
        }
        if !matches!(self.state, State::Authorization { .. }) {
            return vec![err("STLS is valid only before login")];
        }
        vec![ok("begin TLS negotiation"), Output::StartTls]
    }

    fn quit(&mut self) -> Vec<Output> {
        match std::mem::replace(&mut self.state, State::Update) {
            // Nothing marked means nothing to do on disk: answer at once.
            State::Transaction(maildrop) if !maildrop.has_marks() => {
                self.updated(CommitReport::default())
            }
            State::Transaction(maildrop) => vec![Output::Disk(DiskJob(Job::Commit(maildrop)))],
            _ => vec![ok("popscope signing off"), Output::Close],
        }
    }

    /// QUIT's reply once the marks are applied: it says exactly what was
    /// removed, what another client had removed already, and what is still
    /// there.
    fn updated(&mut self, report: CommitReport) -> Vec<Output> {
        for (path, e) in &report.failed {
            tracing::warn!("cannot remove {path:?}: {e}");
        }
        let (removed, gone, failed) = (report.removed, report.gone, report.failed.len());
        self.notes.push(Note::Updated {
            removed,
            gone,
            failed,
        });
        let mut text = format!("{removed} messages deleted");
        if gone > 0 {
            let _ = write!(text, ", {gone} already removed by another client");
        }
        let reply = if failed == 0 {
            ok(&format!("popscope signing off ({text})"))
        } else {
            err(&format!(
                "[SYS/TEMP] {failed} deleted messages could not be removed ({text})"
            ))
        };
        vec![reply, Output::Close]
    }

    fn authorization(&mut self, cmd: Command) -> Vec<Output> {
        let State::Authorization { user, .. } = &mut self.state else {
            return vec![err(&format!(
                "{} is valid only before login",
                cmd.keyword()
            ))];
        };
        let cleartext_refused = !self.tls && !self.config.cleartext_login;
        match cmd {
            Command::User(name) => {
                if cleartext_refused {
                    return vec![refuse_cleartext()];
                }
                // The answer is the same whether or not the user exists,
                // so USER cannot be used to probe for names.
                *user = Some(name);
                vec![ok("send PASS")]
            }
            Command::Pass(password) => {
                if cleartext_refused {
                    return vec![refuse_cleartext()];
                }
                let Some(name) = user.take() else {
                    return vec![err("send USER first")];
                };
                if !self.admitted(&name) {
                    return self.refused(Some(name), LoginMethod::UserPass, true);
                }
                if self.backend.users.check_password(&name, &password) {
                    self.open(name, LoginMethod::UserPass)
                } else {
                    self.failed(Some(name), LoginMethod::UserPass)
                }
            }
            Command::Apop { name, digest } => {
                *user = None;
                if !self.admitted(&name) {
                    return self.refused(Some(name), LoginMethod::Apop, true);
                }
                if self
                    .backend
                    .users
                    .check_apop(&name, &self.timestamp, &digest)
                {
                    self.open(name, LoginMethod::Apop)
                } else {
                    self.failed(Some(name), LoginMethod::Apop)
                }
            }
            Command::Auth { mechanism, initial } => {
                *user = None;
                match mechanism.as_deref() {
                    // RFC 5034 has no bare AUTH, but clients of the older
                    // RFC 1734 send it to ask for the mechanisms.
                    None => vec![Output::Send(
                        b"+OK SASL mechanisms follow\r\nPLAIN\r\n.\r\n".to_vec(),
                    )],
                    Some("PLAIN") => {
                        if cleartext_refused {
                            return vec![refuse_cleartext()];
                        }
                        match initial {
                            Some(ir) => self.sasl_response(ir.as_bytes()),
                            None => {
                                if let State::Authorization { awaiting_sasl, .. } = &mut self.state
                                {
                                    *awaiting_sasl = true;
                                }
                                vec![Output::Send(b"+ \r\n".to_vec())]
                            }
                        }
                    }
                    Some(_) => vec![err("unrecognized authentication mechanism")],
                }
            }
            _ => unreachable!("only login commands are routed here"),
        }
    }

    fn sasl_response(&mut self, bytes: &[u8]) -> Vec<Output> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        if text == "*" {
            return vec![err("authentication cancelled")];
        }
        match auth::decode_plain(text) {
            Ok(c) => {
                if !self.admitted(&c.authcid) {
                    return self.refused(Some(c.authcid), LoginMethod::SaslPlain, true);
                }
                if !c.authzid.is_empty() && c.authzid != c.authcid {
                    return self.failed(Some(c.authcid), LoginMethod::SaslPlain);
                }
                if self.backend.users.check_password(&c.authcid, &c.password) {
                    self.open(c.authcid, LoginMethod::SaslPlain)
                } else {
                    self.failed(Some(c.authcid), LoginMethod::SaslPlain)
                }
            }
            Err(e) => vec![err(&e.to_string())],
        }
    }

    /// A wrong password: spend it from the failure budget, then answer.
    fn failed(&mut self, user: Option<String>, method: LoginMethod) -> Vec<Output> {
        if let (Some((guard, ip)), Some(name)) = (&self.guard, &user) {
            for lockout in guard.failed(name, *ip) {
                self.notes.push(Note::LockedOut(lockout));
            }
        }
        self.refused(user, method, false)
    }

    /// A login that did not succeed, whether its password was wrong or the
    /// failure budget refused to check it: both get the same delay and the
    /// same words, so a locked-out guesser learns nothing from the answer.
    fn refused(
        &mut self,
        user: Option<String>,
        method: LoginMethod,
        locked_out: bool,
    ) -> Vec<Output> {
        self.failures += 1;
        self.notes.push(Note::LoginFailed {
            user,
            method,
            locked_out,
        });
        let mut out = Vec::with_capacity(3);
        if !self.config.login_delay.is_zero() {
            out.push(Output::Delay(self.config.login_delay));
        }
        if self.failures >= self.config.max_login_failures {
            out.push(err(
                "[AUTH] invalid user name or password; too many failures, goodbye",
            ));
            out.push(Output::Close);
        } else {
            out.push(err("[AUTH] invalid user name or password"));
        }
        out
    }

    fn open(&mut self, user: String, method: LoginMethod) -> Vec<Output> {
        if let Some((guard, ip)) = &self.guard {
            guard.succeeded(&user, *ip);
        }
        vec![Output::Disk(DiskJob(Job::Open {
            store: Arc::clone(&self.backend.store),
            user,
            method,
        }))]
    }

    fn opened(
        &mut self,
        user: String,
        method: LoginMethod,
        result: Result<Maildrop, MailboxError>,
    ) -> Vec<Output> {
        // A second login cannot have happened meanwhile: the loop hands the
        // result back before it reads the next line.
        if !matches!(self.state, State::Authorization { .. }) {
            return vec![err("already logged in")];
        }
        match result {
            Ok(maildrop) => {
                let (n, size) = maildrop.stat();
                self.state = State::Transaction(maildrop);
                self.notes.push(Note::LoggedIn { user, method });
                vec![ok(&format!("maildrop has {n} messages ({size} octets)"))]
            }
            Err(MailboxError::InUse(_)) => {
                vec![err("[IN-USE] maildrop is locked by another session")]
            }
            Err(e @ MailboxError::BadUserName(_)) => {
                tracing::warn!("{e}");
                vec![err("[SYS/PERM] this user has no usable maildrop")]
            }
            Err(e) => {
                tracing::warn!("{e}");
                vec![err("[SYS/TEMP] the maildrop cannot be opened now")]
            }
        }
    }

    fn transaction(&mut self, cmd: Command) -> Vec<Output> {
        let State::Transaction(md) = &mut self.state else {
            return vec![err(&format!("{} is valid only after login", cmd.keyword()))];
        };
        match cmd {
            Command::Stat => {
                let (n, size) = md.stat();
                vec![ok(&format!("{n} {size}"))]
            }
            Command::List(None) | Command::Uidl(None) => {
                let uidl = matches!(cmd, Command::Uidl(_));
                let (n, size) = md.stat();
                let mut s = if uidl {
                    String::from("+OK unique-id listing follows\r\n")
                } else {
                    format!("+OK {n} messages ({size} octets)\r\n")
                };
                for (i, m) in md.messages().iter().enumerate() {
                    if !m.deleted {
                        if uidl {
                            let _ = write!(s, "{} {}\r\n", i + 1, m.uid);
                        } else {
                            let _ = write!(s, "{} {}\r\n", i + 1, m.size);
                        }
                    }
                }
                s.push_str(".\r\n");
                vec![Output::Send(s.into_bytes())]
            }
            Command::List(Some(n)) => match live(md, n) {
                Ok(m) => vec![ok(&format!("{n} {}", m.size))],
                Err(e) => vec![e],
            },
            Command::Uidl(Some(n)) => match live(md, n) {
                Ok(m) => vec![ok(&format!("{n} {}", m.uid))],
                Err(e) => vec![e],
            },
            Command::Retr(n) | Command::Top(n, _) => {
                let top = match cmd {
                    Command::Top(_, k) => Some(k),
                    _ => None,
                };
                match live(md, n) {
                    Ok(m) => vec![Output::Disk(DiskJob(Job::Retrieve {
                        n,
                        top,
                        message: m.clone(),
                    }))],
                    Err(e) => vec![e],
                }
            }
            Command::Dele(n) => match live(md, n) {
                Ok(_) => {
                    md.mark_deleted(n);
                    self.notes.push(Note::MarksChanged);
                    vec![ok(&format!("message {n} deleted"))]
                }
                Err(e) => vec![e],
            },
            Command::Rset => {
                md.reset();
                self.notes.push(Note::MarksChanged);
                let (n, size) = md.stat();
                vec![ok(&format!("maildrop has {n} messages ({size} octets)"))]
            }
            _ => unreachable!("other commands are routed elsewhere"),
        }
    }
}

/// RETR's or TOP's reply once the message file is open and checked. The
/// `+OK` announces the size the reader will give out, never a guess.
fn retrieved(n: u32, top: Option<u64>, result: Result<MessageReader, ReadError>) -> Vec<Output> {
    match result {
        Ok(message) => {
            let first = if top.is_some() {
                ok("top of message follows")
            } else {
                ok(&format!("{} octets", message.size()))
            };
            vec![first, Output::SendMessage { message, top }]
        }
        Err(e) => {
            tracing::warn!("message {n}: {e}");
            let why = match e {
                ReadError::Changed(_) => "changed on disk since login; log in again to read it",
                ReadError::Gone(_) => "was removed by another client",
                ReadError::Io { .. } => "cannot be read now",
            };
            vec![err(&format!("[SYS/TEMP] message {n} {why}"))]
        }
    }
}

fn refuse_cleartext() -> Output {
    err("[AUTH] cleartext login is disabled on this server; use STLS or the POP3S port first")
}

/// Message `n` if it exists and is not marked deleted; otherwise the -ERR.
fn live(md: &Maildrop, n: u32) -> Result<&crate::mailbox::Message, Output> {
    match md.get(n) {
        Some(m) if !m.deleted => Ok(m),
        Some(_) => Err(err(&format!("message {n} already deleted"))),
        None => Err(err(&format!(
            "no such message, only {} messages in maildrop",
            md.messages().len()
        ))),
    }
}

#[cfg(test)]
mod tests;
