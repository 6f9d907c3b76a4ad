//! What the lab's events established, and whether a step's expectation
//! holds.
//!
//! [`Facts`] folds the lab's [`Event`] stream into the handful of things
//! lessons talk about: what the eavesdropper read, what state the server's
//! session is in, what TLS negotiated. The headless runner and the lesson
//! pane both fold the same events the same way, so a ✓ on the screen and a
//! pass in `cargo test` mean the same thing.
//!
//! Everything the eavesdropper learned accumulates for the whole lab (it
//! does not forget a password when the client reconnects). What describes
//! the current session (its state, the marks, whether the client is logged
//! in) starts again when the server accepts a new connection. The steps
//! of the handshake describe one handshake, so they start again when the
//! tap opens a new connection. A new lab starts from nothing: see
//! [`Facts::reset`].

use std::collections::BTreeSet;

use crate::lab::{
    AttackEvent, ClientEvent, Event, EventKind, Side, TlsEvent, TlsFailure, TlsVersion, WireEvent,
};
use crate::pop3::server::ServerEvent;
use crate::pop3::session::StateName;
use crate::wire::Direction;
use crate::wire::dissect::{Item, Loot};
use crate::wire::pop3::Leak;
use crate::wire::steps::Step;
use crate::wire::tap::AttackNote;
use crate::wire::tls::ContentType;

use super::{CertKind, Expect, Lang};

/// What the lab's events have established so far.
#[derive(Default, Clone, Debug)]
pub struct Facts {
    /// The server session's state: authorization from the moment a client
    /// connects, then whatever the session reports.
    pub state: Option<StateName>,
    /// The client (or, for a login typed by hand, the server) says the
    /// login succeeded on the current connection.
    pub logged_in: bool,
    /// Whether the client's newest reply was +OK (or a continuation).
    pub last_reply_ok: Option<bool>,
    /// The eavesdropper read a password (PASS, AUTH PLAIN, AUTH LOGIN).
    pub password_leaked: bool,
    /// The eavesdropper read a user name.
    pub user_leaked: bool,
    /// The eavesdropper read an APOP digest.
    pub apop_digest: bool,
    /// The eavesdropper knows the APOP timestamp the digest was made from
    /// (with the digest, or from a cleartext greeting).
    pub apop_timestamp: bool,
    /// The eavesdropper read a message's headers.
    pub mail_leaked: bool,
    /// The eavesdropper read any cleartext POP3 (a command, a reply, or
    /// anything that leaked from one).
    pub pop3_read: bool,
    /// The client's TLS handshake finished with the certificate accepted.
    pub tls_established: bool,
    /// The newest negotiated TLS version.
    pub tls_version: Option<TlsVersion>,
    /// Names of the handshake steps that took place on the newest
    /// connection ("ClientHello", "EncryptedExtensions",
    /// "ChangeCipherSpec"), as the client and the server see them or as
    /// the eavesdropper read them in cleartext. They describe one
    /// handshake, so a new connection starts them afresh: a lesson that
    /// pauses the wire and lets the next handshake through piece by piece
    /// sees each step hold when it crosses, not at once because an
    /// earlier connection had it.
    pub handshakes: BTreeSet<String>,
    /// The connection `handshakes` describes.
    pub handshakes_conn: Option<u64>,
    /// The server's Certificate crossed in cleartext (TLS 1.2): the
    /// eavesdropper read it.
    pub cert_cleartext: bool,
    /// The server's Certificate reached the client sealed (TLS 1.3): the
    /// eavesdropper saw only an opaque record.
    pub cert_sealed: bool,
    /// How many handshake steps arrived sealed and were opened with the
    /// endpoints' key log.
    pub sealed_steps: usize,
    /// The wire switched to TLS in mid-stream (STLS).
    pub stls_switch: bool,
    /// An encrypted application-data record crossed.
    pub app_data_encrypted: bool,
    /// The client derived a TLS secret.
    pub secret_derived: bool,
    /// Every reason the client gave for a failed TLS handshake.
    pub cert_failures: Vec<TlsFailure>,
    /// How many messages the newest QUIT removed.
    pub deleted: Option<usize>,
    /// How many messages the current session has marked for deletion.
    pub marked: usize,
    /// A verdict said the attack succeeded.
    pub attack_succeeded: bool,
    /// A verdict said the attack failed.
    pub attack_blocked: bool,
    /// The attacker removed STLS from CAPA or answered STLS itself.
    pub stls_stripped: bool,
    /// The attacker presented a certificate of its own.
    pub cert_forged: bool,
    /// The attacker injected bytes towards the server on the current
    /// session, and no login has followed yet.
    pub injected: bool,
    /// A login followed an injection on the same session: the server went
    /// on as if the injected command had never come.
    pub injection_survived: bool,
    /// The attacker opened a TLS record with the stolen key log.
    pub decrypted: bool,
    /// The offline search found a password.
    pub password_cracked: bool,
    /// The concrete things a failed expectation is explained with.
    pub witness: super::explain::Witness,
}

impl Facts {
    /// Forget everything: a new lab (a new scenario) starts.
    pub fn reset(&mut self) {
        *self = Facts::default();
    }

    /// Fold one event in.
    pub fn apply(&mut self, event: &Event) {
        self.witness.apply(event);
        match &event.kind {
            EventKind::Lab(_) => {}
            EventKind::Client(c) => self.apply_client(c),
            EventKind::Server(s) => self.apply_server(s),
            EventKind::Wire(WireEvent::Opened { conn, .. }) => {
                self.handshake_on(*conn);
            }
            EventKind::Wire(WireEvent::Seen { item, conn }) => {
                if let Item::TlsHandshake { .. } = item
                    && !self.handshake_on(*conn)
                {
                    return;
                }
                self.apply_item(item)
            }
            EventKind::Wire(WireEvent::Learned { loot, .. }) => self.apply_loot(loot),
            EventKind::Wire(_) => {}
            EventKind::Tls(TlsEvent::Secret { side, .. }) => {
                if *side == Side::Client {
                    self.secret_derived = true;
                }
            }
            EventKind::Tls(TlsEvent::Step { step, conn, .. }) => {
                if self.handshake_on(*conn) {
                    self.apply_step(step)
                }
            }
            EventKind::Attack(a) => self.apply_attack(a),
        }
    }

    fn apply_attack(&mut self, a: &AttackEvent) {
        match a {
            AttackEvent::Verdict { succeeded, .. } => {
                if *succeeded {
                    self.attack_succeeded = true;
                } else {
                    self.attack_blocked = true;
                }
            }
            AttackEvent::Acted { note, .. } => match note {
                AttackNote::Removed { .. } | AttackNote::Answered { .. } => {
                    self.stls_stripped = true;
                }
                AttackNote::Presented { .. } => self.cert_forged = true,
                AttackNote::Injected {
                    dir: Direction::ClientToServer,
                    ..
                } => self.injected = true,
                _ => {}
            },
            AttackEvent::Decrypted { .. } => self.decrypted = true,
            AttackEvent::CrackDone { found, .. } => self.password_cracked |= found.is_some(),
            _ => {}
        }
    }

    fn apply_client(&mut self, c: &ClientEvent) {
        match c {
            ClientEvent::Received { status, .. } => self.last_reply_ok = Some(status.is_ok()),
            ClientEvent::TlsEstablished { version, .. } => {
                self.tls_established = true;
                self.tls_version = *version;
            }
            ClientEvent::TlsFailed { failure } => self.cert_failures.push(failure.clone()),
            ClientEvent::LoggedIn { .. } => {
                self.logged_in = true;
                // The server took the client's login after the attacker's
                // command: it did not run what was injected (an injected
                // QUIT would have ended the session first).
                if self.injected {
                    self.injected = false;
                    self.injection_survived = true;
                }
            }
            ClientEvent::Connecting { .. }
            | ClientEvent::Sent { .. }
            | ClientEvent::StlsLeftover { .. }
            | ClientEvent::StaysCleartext
            | ClientEvent::Error { .. } => {}
        }
    }

    fn apply_server(&mut self, s: &ServerEvent) {
        match s {
            ServerEvent::Connected { .. } => {
                // A new session: nothing is marked and nobody is logged in
                // yet, whatever the previous connection did.
                self.state = Some(StateName::Authorization);
                self.logged_in = false;
                self.marked = 0;
                self.injected = false;
            }
            ServerEvent::State { state, .. } => self.state = Some(*state),
            // `send USER`/`send PASS` typed by hand log in without the
            // client's own login routine, so the server's word counts too.
            ServerEvent::LoggedIn { .. } => self.logged_in = true,
            ServerEvent::Maildrop { messages, .. } => {
                self.marked = messages.iter().filter(|m| m.deleted).count();
            }
            ServerEvent::Updated { removed, .. } => {
                self.deleted = Some(*removed);
                // The marks have been carried out; none are pending.
                self.marked = 0;
            }
            ServerEvent::Tls { .. }
            | ServerEvent::TlsFailed { .. }
            | ServerEvent::Greeting { .. }
            | ServerEvent::Command { .. }
            | ServerEvent::LoginFailed { .. }
            | ServerEvent::LockedOut { .. }
            | ServerEvent::DiscardedBeforeTls { .. }
            | ServerEvent::InjectedIntoTls { .. }
            | ServerEvent::Ended { .. } => {}
        }
    }

    fn apply_item(&mut self, item: &Item) {
        match item {
            Item::Pop3Command { .. } | Item::Pop3Reply { .. } => self.pop3_read = true,
            Item::Leak(leak) => {
                self.pop3_read = true;
                self.apply_leak(leak);
            }
            Item::TlsRecord {
                header, encrypted, ..
            } => {
                if *encrypted && header.content_type == ContentType::ApplicationData {
                    self.app_data_encrypted = true;
                }
            }
            Item::TlsHandshake { message, dir, .. } => {
                // What the eavesdropper read in cleartext took place too;
                // where nobody holds a key log (proxy, workshop) this is
                // all there is.
                self.handshakes.insert(message.name().to_string());
                if *dir == Direction::ServerToClient
                    && matches!(message, crate::wire::tls::Handshake::Certificate { .. })
                {
                    self.cert_cleartext = true;
                }
            }
            Item::SwitchToTls { .. } => self.stls_switch = true,
            Item::TlsAlert { .. } | Item::Undecodable { .. } => {}
        }
    }

    /// Whether a handshake step on `conn` belongs to the newest
    /// connection: a newer connection starts the steps afresh, and a late
    /// step of an older one (a ticket after the next connection opened)
    /// no longer counts.
    fn handshake_on(&mut self, conn: u64) -> bool {
        match self.handshakes_conn {
            Some(newest) if conn < newest => false,
            Some(newest) if conn == newest => true,
            _ => {
                self.handshakes_conn = Some(conn);
                self.handshakes.clear();
                true
            }
        }
    }

    /// One step of the handshake as the endpoints see it.
    fn apply_step(&mut self, step: &Step) {
        let name = step.name();
        self.handshakes.insert(name.to_string());
        if step.sealed.is_some() {
            self.sealed_steps += 1;
        }
        if name == "Certificate" && step.dir == Direction::ServerToClient {
            if step.sealed.is_some() {
                self.cert_sealed = true;
            } else {
                self.cert_cleartext = true;
            }
        }
    }

    fn apply_leak(&mut self, leak: &Leak) {
        match leak {
            Leak::User { .. } => self.user_leaked = true,
            Leak::Password { user, .. } => {
                self.password_leaked = true;
                self.user_leaked |= user.is_some();
            }
            Leak::Apop { timestamp, .. } => {
                self.user_leaked = true;
                self.apop_digest = true;
                self.apop_timestamp |= timestamp.is_some();
            }
            Leak::AuthPlain { .. } | Leak::AuthLogin { .. } => {
                self.user_leaked = true;
                self.password_leaked = true;
            }
            Leak::MessageHeaders { .. } => self.mail_leaked = true,
            Leak::Greeting { timestamp, .. } => self.apop_timestamp |= timestamp.is_some(),
        }
    }

    /// The connection's summary, when both directions have closed. The
    /// items have normally said all of it already; this only makes sure
    /// nothing the eavesdropper kept is missed.
    fn apply_loot(&mut self, loot: &Loot) {
        self.user_leaked |= !loot.users.is_empty();
        self.password_leaked |= !loot.passwords.is_empty();
        if let Some((_, _, ts)) = loot.apop.first() {
            self.apop_digest = true;
            self.apop_timestamp |= ts.is_some();
        }
        self.mail_leaked |= !loot.messages.is_empty();
        self.pop3_read |= loot.readable();
    }

    /// True if the eavesdropper captured anything that identifies or
    /// authenticates the user: a user name, a password, or an APOP digest
    /// (which, with its timestamp, is enough for an offline dictionary
    /// attack).
    pub fn credential_captured(&self) -> bool {
        self.user_leaked || self.password_leaked || self.apop_digest
    }

    /// Whether an expectation holds.
    pub fn holds(&self, e: &Expect) -> bool {
        match e {
            Expect::PasswordLeaked => self.password_leaked,
            Expect::UserLeaked => self.user_leaked,
            Expect::ApopDigestSeen => self.apop_digest && self.apop_timestamp,
            Expect::MailLeaked => self.mail_leaked,
            Expect::NoCredential => !self.credential_captured(),
            Expect::NothingReadable => !self.pop3_read,
            Expect::State(s) => self.state == Some(*s),
            Expect::Reply(ok) => self.last_reply_ok == Some(*ok),
            Expect::LoggedIn => self.logged_in,
            Expect::TlsEstablished => self.tls_established,
            Expect::TlsVersion(v) => self.tls_version == Some(*v),
            Expect::Handshake(name) => self.handshakes.contains(name.as_str()),
            Expect::StlsSwitch => self.stls_switch,
            Expect::AppDataEncrypted => self.app_data_encrypted,
            Expect::SecretDerived => self.secret_derived,
            Expect::CertVisibleToEavesdropper => self.cert_cleartext,
            Expect::CertHiddenFromEavesdropper => self.cert_sealed,
            Expect::CertFailed(None) => !self.cert_failures.is_empty(),
            Expect::CertFailed(Some(kind)) => self.cert_failures.iter().any(|f| {
                matches!(f, TlsFailure::Certificate { problem } if CertKind::of(problem) == Some(*kind))
            }),
            // No QUIT at all removed nothing, so `deleted 0` also holds
            // for a session that ended without QUIT.
            Expect::Deleted(n) => self.deleted.unwrap_or(0) == *n,
            Expect::Marked(n) => self.marked == *n,
            Expect::AttackSucceeded => self.attack_succeeded,
            Expect::AttackBlocked => self.attack_blocked,
            Expect::StlsStripped => self.stls_stripped,
            Expect::CertForged => self.cert_forged,
            // A client that took a forged reply makes the injection a
            // success even when the login then went through.
            Expect::InjectionDiscarded => self.injection_survived && !self.attack_succeeded,
            Expect::Decrypted => self.decrypted,
            Expect::PasswordCracked => self.password_cracked,
        }
    }
}

/// A short label for an expectation, for the lesson pane.
pub fn describe(e: &Expect, lang: Lang) -> String {
    use crate::i18n::tr;
    match e {
        Expect::PasswordLeaked => tr(lang, "expect-password-leaked"),
        Expect::UserLeaked => tr(lang, "expect-user-leaked"),
        Expect::ApopDigestSeen => tr(lang, "expect-apop-digest-seen"),
        Expect::MailLeaked => tr(lang, "expect-mail-leaked"),
        Expect::NoCredential => tr(lang, "expect-no-credential"),
        Expect::NothingReadable => tr(lang, "expect-nothing-readable"),
        Expect::State(s) => crate::tr!(lang, "expect-state", state = s.to_string()),
        Expect::Reply(true) => tr(lang, "expect-reply-ok"),
        Expect::Reply(false) => tr(lang, "expect-reply-err"),
        Expect::LoggedIn => tr(lang, "expect-logged-in"),
        Expect::TlsEstablished => tr(lang, "expect-tls-established"),
        Expect::TlsVersion(v) => crate::tr!(lang, "expect-tls-version", version = v.number()),
        Expect::Handshake(name) => crate::tr!(lang, "expect-handshake", name = name.as_str()),
        Expect::StlsSwitch => tr(lang, "expect-stls-switch"),
        Expect::AppDataEncrypted => tr(lang, "expect-app-data-encrypted"),
        Expect::SecretDerived => tr(lang, "expect-secret-derived"),
        Expect::CertVisibleToEavesdropper => tr(lang, "expect-cert-visible-to-eavesdropper"),
        Expect::CertHiddenFromEavesdropper => tr(lang, "expect-cert-hidden-from-eavesdropper"),
        Expect::CertFailed(None) => tr(lang, "expect-cert-failed"),
        Expect::CertFailed(Some(kind)) => {
            crate::tr!(
                lang,
                "expect-cert-failed-kind",
                kind = cert_kind(*kind, lang)
            )
        }
        Expect::Deleted(n) => crate::tr!(lang, "expect-deleted", n = *n),
        Expect::Marked(n) => crate::tr!(lang, "expect-marked", n = *n),
        Expect::AttackSucceeded => tr(lang, "expect-attack-succeeded"),
        Expect::AttackBlocked => tr(lang, "expect-attack-blocked"),
        Expect::StlsStripped => tr(lang, "expect-stls-stripped"),
        Expect::CertForged => tr(lang, "expect-cert-forged"),
        Expect::InjectionDiscarded => tr(lang, "expect-injection-discarded"),
        Expect::Decrypted => tr(lang, "expect-decrypted"),
        Expect::PasswordCracked => tr(lang, "expect-password-cracked"),
    }
}

/// A kind of certificate problem by its short name in `lang`.
fn cert_kind(kind: CertKind, lang: Lang) -> String {
    use crate::i18n::tr;
    match kind {
        CertKind::UnknownIssuer => tr(lang, "expect-cert-kind-unknown-issuer"),
        CertKind::NameMismatch => tr(lang, "expect-cert-kind-name-mismatch"),
        CertKind::Expired => tr(lang, "expect-cert-kind-expired"),
        CertKind::NotYetValid => tr(lang, "expect-cert-kind-not-yet-valid"),
        CertKind::CaUsedAsServer => tr(lang, "expect-cert-kind-ca-used-as-server"),
        CertKind::ServerUsedAsCa => tr(lang, "expect-cert-kind-server-used-as-ca"),
        CertKind::BadSignature => tr(lang, "expect-cert-kind-bad-signature"),
        CertKind::UnsupportedAlgorithm => tr(lang, "expect-cert-kind-unsupported-algorithm"),
        CertKind::Revoked => tr(lang, "expect-cert-kind-revoked"),
        CertKind::WrongPurpose => tr(lang, "expect-cert-kind-wrong-purpose"),
        CertKind::Malformed => tr(lang, "expect-cert-kind-malformed"),
        CertKind::ConstraintViolated => tr(lang, "expect-cert-kind-constraint-violated"),
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;
    use crate::pop3::server::MessageInfo;
    use crate::pop3::session::LoginMethod;
    use crate::tls::SessionSummary;
    use crate::wire::Direction;
    use crate::wire::tls::{Handshake, RecordHeader};

    fn ev(kind: EventKind) -> Event {
        Event {
            at: Duration::ZERO,
            kind,
        }
    }

    fn seen(item: Item) -> Event {
        ev(EventKind::Wire(WireEvent::Seen { conn: 1, item }))
    }

    fn leak(l: Leak) -> Event {
        seen(Item::Leak(l))
    }

    fn server(s: ServerEvent) -> Event {
        ev(EventKind::Server(s))
    }

    fn connected() -> Event {
        server(ServerEvent::Connected {
            session: 1,
            peer: SocketAddr::from(([127, 0, 0, 1], 40000)),
            implicit_tls: false,
        })
    }

    fn maildrop(marks: &[bool]) -> Event {
        server(ServerEvent::Maildrop {
            session: 1,
            messages: marks
                .iter()
                .zip(1u32..)
                .map(|(d, number)| MessageInfo {
                    number,
                    size: 100,
                    uid: format!("u{number}"),
                    deleted: *d,
                })
                .collect(),
        })
    }

    fn fold(events: &[Event]) -> Facts {
        let mut f = Facts::default();
        for e in events {
            f.apply(e);
        }
        f
    }

    #[test]
    fn nothing_happened_means_nothing_leaked_and_no_state() {
        let f = Facts::default();
        assert!(f.holds(&Expect::NoCredential));
        assert!(f.holds(&Expect::NothingReadable));
        assert!(!f.holds(&Expect::PasswordLeaked));
        assert!(!f.holds(&Expect::State(StateName::Authorization)));
        assert!(!f.holds(&Expect::Reply(true)));
        assert!(!f.holds(&Expect::Reply(false)));
        assert!(!f.holds(&Expect::CertFailed(None)));
        assert!(f.holds(&Expect::Marked(0)));
        // No QUIT removed nothing.
        assert!(f.holds(&Expect::Deleted(0)));
        assert!(!f.holds(&Expect::Deleted(1)));
    }

    #[test]
    fn each_password_leak_counts_and_names_the_user() {
        let pass = Leak::Password {
            user: Some("alice".into()),
            password: "wonderland".into(),
        };
        let plain = Leak::AuthPlain {
            authzid: String::new(),
            authcid: "alice".into(),
            password: "wonderland".into(),
        };
        let login = Leak::AuthLogin {
            user: "alice".into(),
            password: "wonderland".into(),
        };
        for l in [pass, plain, login] {
            let f = fold(&[leak(l.clone())]);
            assert!(f.holds(&Expect::PasswordLeaked), "{l:?}");
            assert!(f.holds(&Expect::UserLeaked), "{l:?}");
            assert!(!f.holds(&Expect::NoCredential), "{l:?}");
            assert!(!f.holds(&Expect::NothingReadable), "{l:?}");
            assert!(!f.holds(&Expect::ApopDigestSeen), "{l:?}");
        }
        // PASS without a USER before it leaks no name.
        let f = fold(&[leak(Leak::Password {
            user: None,
            password: "x".into(),
        })]);
        assert!(f.holds(&Expect::PasswordLeaked));
        assert!(!f.holds(&Expect::UserLeaked));
    }

    #[test]
    fn a_user_name_alone_is_a_credential_but_not_a_password() {
        let f = fold(&[leak(Leak::User {
            name: "alice".into(),
        })]);
        assert!(f.holds(&Expect::UserLeaked));
        assert!(!f.holds(&Expect::PasswordLeaked));
        assert!(!f.holds(&Expect::NoCredential));
    }

    #[test]
    fn apop_needs_the_digest_and_a_timestamp_from_somewhere() {
        let apop = |ts: Option<&str>| {
            leak(Leak::Apop {
                user: "alice".into(),
                digest: "c4c9334bac560ecc979e58001b3e22fb".into(),
                timestamp: ts.map(String::from),
            })
        };
        let f = fold(&[apop(Some("<1.2@lab>"))]);
        assert!(f.holds(&Expect::ApopDigestSeen));
        assert!(!f.holds(&Expect::PasswordLeaked));
        assert!(f.holds(&Expect::UserLeaked));
        assert!(!f.holds(&Expect::NoCredential));

        // The digest without any timestamp cannot be attacked offline.
        let f = fold(&[apop(None)]);
        assert!(!f.holds(&Expect::ApopDigestSeen));
        // The timestamp may come from the greeting read earlier.
        let greeting = leak(Leak::Greeting {
            text: "POP3 ready <1.2@lab>".into(),
            timestamp: Some("<1.2@lab>".into()),
        });
        let f = fold(&[greeting, apop(None)]);
        assert!(f.holds(&Expect::ApopDigestSeen));
    }

    #[test]
    fn a_greeting_or_any_pop3_line_is_readable_but_no_credential() {
        let f = fold(&[leak(Leak::Greeting {
            text: "POP3 ready".into(),
            timestamp: None,
        })]);
        assert!(!f.holds(&Expect::NothingReadable));
        assert!(f.holds(&Expect::NoCredential));

        let f = fold(&[seen(Item::Pop3Command {
            dir: Direction::ClientToServer,
            offset: 0,
            text: "STAT".into(),
        })]);
        assert!(!f.holds(&Expect::NothingReadable));
        let f = fold(&[seen(Item::Pop3Reply {
            offset: 0,
            ok: true,
            continuation: false,
            first_line: "+OK".into(),
            body_len: None,
            body: None,
        })]);
        assert!(!f.holds(&Expect::NothingReadable));
    }

    #[test]
    fn mail_headers_leak_mail() {
        let f = fold(&[leak(Leak::MessageHeaders {
            from: Some("bob@example.org".into()),
            to: None,
            subject: Some("hi".into()),
        })]);
        assert!(f.holds(&Expect::MailLeaked));
        // Reading mail is not reading a credential.
        assert!(f.holds(&Expect::NoCredential));
    }

    #[test]
    fn the_closing_loot_fills_in_what_items_missed() {
        let loot = Loot {
            users: vec!["alice".into()],
            passwords: vec![(Some("alice".into()), "wonderland".into())],
            messages: vec![(None, None, Some("hi".into()))],
            ..Loot::default()
        };
        let f = fold(&[ev(EventKind::Wire(WireEvent::Learned {
            conn: 1,
            loot,
            summary: String::new(),
        }))]);
        assert!(f.holds(&Expect::PasswordLeaked));
        assert!(f.holds(&Expect::UserLeaked));
        assert!(f.holds(&Expect::MailLeaked));
        assert!(!f.holds(&Expect::NothingReadable));

        // A TLS connection's loot (metadata only) reveals nothing readable.
        let loot = Loot {
            sni: Some("localhost".into()),
            tls_version: Some(0x0304),
            encrypted_bytes: 4000,
            ..Loot::default()
        };
        let f = fold(&[ev(EventKind::Wire(WireEvent::Learned {
            conn: 1,
            loot,
            summary: String::new(),
        }))]);
        assert!(f.holds(&Expect::NothingReadable));
        assert!(f.holds(&Expect::NoCredential));
    }

    #[test]
    fn state_follows_the_session_and_restarts_with_a_connection() {
        let state = |s| {
            server(ServerEvent::State {
                session: 1,
                state: s,
            })
        };
        let mut f = fold(&[connected()]);
        assert!(f.holds(&Expect::State(StateName::Authorization)));
        f.apply(&state(StateName::Transaction));
        assert!(f.holds(&Expect::State(StateName::Transaction)));
        assert!(!f.holds(&Expect::State(StateName::Authorization)));
        f.apply(&state(StateName::Update));
        assert!(f.holds(&Expect::State(StateName::Update)));
        f.apply(&connected());
        assert!(f.holds(&Expect::State(StateName::Authorization)));
    }

    #[test]
    fn logged_in_from_either_side_until_the_next_connection() {
        let mut f = fold(&[
            connected(),
            ev(EventKind::Client(ClientEvent::LoggedIn {
                user: "alice".into(),
                method: crate::pop3::settings::AuthMethod::Apop,
            })),
        ]);
        assert!(f.holds(&Expect::LoggedIn));
        f.apply(&connected());
        assert!(!f.holds(&Expect::LoggedIn));
        f.apply(&server(ServerEvent::LoggedIn {
            session: 2,
            user: "alice".into(),
            method: LoginMethod::UserPass,
        }));
        assert!(f.holds(&Expect::LoggedIn));
    }

    #[test]
    fn the_newest_reply_decides() {
        let reply = |ok: bool| {
            ev(EventKind::Client(ClientEvent::Received {
                status: if ok {
                    crate::lab::Status::Ok
                } else {
                    crate::lab::Status::Err
                },
                text: String::new(),
                body: None,
                body_len: None,
            }))
        };
        let mut f = fold(&[reply(true)]);
        assert!(f.holds(&Expect::Reply(true)));
        f.apply(&reply(false));
        assert!(f.holds(&Expect::Reply(false)));
        assert!(!f.holds(&Expect::Reply(true)));
    }

    #[test]
    fn tls_version_secret_and_encrypted_records() {
        let summary = SessionSummary {
            version: "TLSv1_3".into(),
            suite: "TLS13_AES_256_GCM_SHA384".into(),
            group: Some("X25519".into()),
            sni: Some("localhost".into()),
        };
        let record = |content_type, encrypted| {
            seen(Item::TlsRecord {
                dir: Direction::ServerToClient,
                offset: 0,
                header: RecordHeader {
                    content_type,
                    version: 0x0303,
                    length: 40,
                },
                encrypted,
            })
        };
        // A cleartext handshake record is not encrypted application data.
        let mut f = fold(&[record(ContentType::Handshake, false)]);
        assert!(!f.holds(&Expect::AppDataEncrypted));
        assert!(!f.holds(&Expect::TlsEstablished));
        f.apply(&record(ContentType::ApplicationData, true));
        assert!(f.holds(&Expect::AppDataEncrypted));

        // Only the client's secrets count.
        f.apply(&ev(EventKind::Tls(TlsEvent::Secret {
            side: Side::Server,
            label: "SERVER_TRAFFIC_SECRET_0".into(),
            client_random: "00".into(),
            secret: "11".into(),
        })));
        assert!(!f.holds(&Expect::SecretDerived));
        f.apply(&ev(EventKind::Tls(TlsEvent::Secret {
            side: Side::Client,
            label: "CLIENT_TRAFFIC_SECRET_0".into(),
            client_random: "00".into(),
            secret: "22".into(),
        })));
        assert!(f.holds(&Expect::SecretDerived));

        f.apply(&ev(EventKind::Client(ClientEvent::TlsEstablished {
            summary,
            version: Some(TlsVersion::V1_3),
            chain: Vec::new(),
            trust: crate::lab::Trust::LabCa,
        })));
        assert!(f.holds(&Expect::TlsEstablished));
        assert!(f.holds(&Expect::TlsVersion(TlsVersion::V1_3)));
        assert!(!f.holds(&Expect::TlsVersion(TlsVersion::V1_2)));
    }

    #[test]
    fn handshake_names_and_the_stls_switch() {
        let hs = |message| {
            seen(Item::TlsHandshake {
                dir: Direction::ServerToClient,
                offset: 0,
                message,
            })
        };
        let f = fold(&[
            hs(Handshake::ServerHello {
                version: 0x0304,
                cipher_suite: 0x1301,
                group: Some(0x001d),
                hello_retry_request: true,
            }),
            hs(Handshake::ServerHelloDone),
            seen(Item::SwitchToTls {
                dir: Direction::ClientToServer,
                offset: 20,
            }),
        ]);
        assert!(f.holds(&Expect::Handshake("HelloRetryRequest".into())));
        assert!(!f.holds(&Expect::Handshake("ServerHello".into())));
        assert!(f.holds(&Expect::Handshake("ServerHelloDone".into())));
        assert!(!f.holds(&Expect::Handshake("ClientHello".into())));
        assert!(f.holds(&Expect::StlsSwitch));
    }

    /// The steps of one real rustls handshake in memory, read as the lab
    /// reads them: with the client's key log (`keys`), or without one, as
    /// a proxy holding no key log does.
    fn real_steps(version: &'static rustls::SupportedProtocolVersion, keys: bool) -> Vec<Event> {
        let dir = tempfile::tempdir().unwrap();
        let h = crate::tls::handshake_in_memory(dir.path(), version).unwrap();
        let mut follower = crate::wire::steps::Follower::new(true);
        let mut out = Vec::new();
        for (d, bytes) in &h.flights {
            for o in follower.feed(*d, bytes, keys.then_some(&h.keys)) {
                out.push(ev(EventKind::Tls(TlsEvent::Step {
                    conn: 1,
                    order: o.order,
                    step: Box::new(o.step),
                })));
            }
        }
        assert!(!out.is_empty());
        out
    }

    fn hs(name: &str) -> Expect {
        Expect::Handshake(name.into())
    }

    #[test]
    fn tls13_steps_take_place_sealed_and_hide_the_certificate() {
        let f = fold(&real_steps(&rustls::version::TLS13, true));
        for name in [
            "ClientHello",
            "ServerHello",
            "ChangeCipherSpec",
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished",
        ] {
            assert!(f.holds(&hs(name)), "{name}: {:?}", f.handshakes);
        }
        for name in ["ServerKeyExchange", "ClientKeyExchange", "ServerHelloDone"] {
            assert!(!f.holds(&hs(name)), "{name}: {:?}", f.handshakes);
        }
        assert!(f.holds(&Expect::CertHiddenFromEavesdropper));
        assert!(!f.holds(&Expect::CertVisibleToEavesdropper));
        let why = Expect::CertVisibleToEavesdropper.explain_failure(&f);
        assert!(why.contains("crossed encrypted"), "{why}");
        let why = hs("ServerKeyExchange").explain_failure(&f);
        assert!(why.contains("EncryptedExtensions"), "{why}");
    }

    /// The steps describe the newest connection: a new one starts with
    /// none, and a late step of the older one does not count.
    #[test]
    fn handshake_steps_belong_to_the_newest_connection() {
        let mut f = fold(&real_steps(&rustls::version::TLS13, true));
        assert!(f.holds(&hs("EncryptedExtensions")));
        f.apply(&ev(EventKind::Wire(WireEvent::Opened {
            conn: 2,
            client: SocketAddr::from(([127, 0, 0, 1], 40001)),
            server: SocketAddr::from(([127, 0, 0, 1], 995)),
            implicit_tls: true,
            attack: None,
        })));
        assert!(!f.holds(&hs("ClientHello")));
        assert!(!f.holds(&hs("EncryptedExtensions")));
        // What the eavesdropper learned stays: the certificate was hidden.
        assert!(f.holds(&Expect::CertHiddenFromEavesdropper));
        let late = real_steps(&rustls::version::TLS13, true);
        f.apply(late.last().unwrap());
        assert!(!f.holds(&hs("NewSessionTicket")), "{:?}", f.handshakes);
        f.apply(&ev(EventKind::Wire(WireEvent::Seen {
            conn: 2,
            item: Item::TlsHandshake {
                dir: Direction::ClientToServer,
                offset: 0,
                message: Handshake::ClientHello {
                    legacy_version: 0x0303,
                    versions: vec![0x0304],
                    cipher_suites: vec![0x1301],
                    sni: Some("localhost".into()),
                    groups: vec![0x001d],
                    key_shares: vec![(0x001d, 32)],
                    alpn: Vec::new(),
                    signature_algorithms: Vec::new(),
                },
            },
        })));
        assert!(f.holds(&hs("ClientHello")));
    }

    #[test]
    fn tls12_shows_the_certificate_and_key_exchange() {
        let f = fold(&real_steps(&rustls::version::TLS12, true));
        for name in [
            "ClientHello",
            "ServerHello",
            "Certificate",
            "ServerKeyExchange",
            "ServerHelloDone",
            "ClientKeyExchange",
            "ChangeCipherSpec",
            "Finished",
        ] {
            assert!(f.holds(&hs(name)), "{name}: {:?}", f.handshakes);
        }
        assert!(!f.holds(&hs("EncryptedExtensions")));
        assert!(f.holds(&Expect::CertVisibleToEavesdropper));
        assert!(!f.holds(&Expect::CertHiddenFromEavesdropper));
        let why = Expect::CertHiddenFromEavesdropper.explain_failure(&f);
        assert!(why.contains("crossed in cleartext"), "{why}");
    }

    /// Without the endpoints' key log only the cleartext steps are read:
    /// nothing says the sealed ones took place, and a Certificate that was
    /// never opened is neither visible nor known to be hidden.
    #[test]
    fn without_a_key_log_only_cleartext_steps_count() {
        let f = fold(&real_steps(&rustls::version::TLS13, false));
        assert!(f.holds(&hs("ServerHello")));
        assert!(f.holds(&hs("ChangeCipherSpec")));
        assert!(!f.holds(&hs("EncryptedExtensions")));
        assert!(!f.holds(&Expect::CertHiddenFromEavesdropper));
        assert!(!f.holds(&Expect::CertVisibleToEavesdropper));
        let why = hs("EncryptedExtensions").explain_failure(&f);
        assert!(why.contains("no encrypted step was opened"), "{why}");
        // In TLS 1.2 the certificate is cleartext, key log or not.
        let f = fold(&real_steps(&rustls::version::TLS12, false));
        assert!(f.holds(&Expect::CertVisibleToEavesdropper));
        assert!(f.holds(&hs("ClientKeyExchange")));
    }

    /// Neither certificate expectation holds before anything happened: a
    /// lesson step expecting one cannot pass at once.
    #[test]
    fn the_certificate_expectations_do_not_hold_vacuously() {
        let f = Facts::default();
        assert!(!f.holds(&Expect::CertVisibleToEavesdropper));
        assert!(!f.holds(&Expect::CertHiddenFromEavesdropper));
        assert!(!f.holds(&hs("ClientHello")));
        let why = Expect::CertHiddenFromEavesdropper.explain_failure(&f);
        assert!(why.contains("no TLS handshake took place"), "{why}");
    }

    #[test]
    fn cert_failed_matches_the_kind_of_problem_not_words() {
        let failed = |failure| ev(EventKind::Client(ClientEvent::TlsFailed { failure }));
        let f = fold(&[failed(TlsFailure::Certificate {
            problem: crate::tls::CertProblem::UnknownIssuer {
                issuer: Some("popscope attacker CA (expired test)".into()),
            },
        })]);
        let kind = |w: &str| Expect::CertFailed(Some(CertKind::parse(w).unwrap()));
        assert!(f.holds(&kind("unknown issuer")));
        assert!(f.holds(&Expect::CertFailed(None)));
        // The issuer's name says "expired"; the problem is not that.
        assert!(!f.holds(&kind("expired")));
        assert!(!f.holds(&Expect::TlsEstablished));
        // A handshake that failed for another reason is a failure, but of
        // no certificate kind, whatever its text says.
        let f = fold(&[failed(TlsFailure::Handshake {
            message: "received fatal alert: unknown issuer".into(),
        })]);
        assert!(f.holds(&Expect::CertFailed(None)));
        assert!(!f.holds(&kind("unknown issuer")));
    }

    #[test]
    fn marks_come_from_the_newest_maildrop_and_quit_turns_them_into_deletions() {
        let mut f = fold(&[connected(), maildrop(&[false, false, false])]);
        assert!(f.holds(&Expect::Marked(0)));
        f.apply(&maildrop(&[false, true, false]));
        assert!(f.holds(&Expect::Marked(1)));
        f.apply(&maildrop(&[true, true, false]));
        assert!(f.holds(&Expect::Marked(2)));
        // RSET sends a clean maildrop.
        f.apply(&maildrop(&[false, false, false]));
        assert!(f.holds(&Expect::Marked(0)));
        f.apply(&maildrop(&[false, true, false]));
        f.apply(&server(ServerEvent::Updated {
            session: 1,
            removed: 1,
            failed: 0,
        }));
        assert!(f.holds(&Expect::Deleted(1)));
        assert!(!f.holds(&Expect::Deleted(0)));
        assert!(f.holds(&Expect::Marked(0)));
        // A new session does not undo what the last QUIT did.
        f.apply(&connected());
        assert!(f.holds(&Expect::Deleted(1)));
    }

    #[test]
    fn a_dropped_session_forgets_its_marks() {
        let mut f = fold(&[connected(), maildrop(&[true, false])]);
        assert!(f.holds(&Expect::Marked(1)));
        f.apply(&connected());
        assert!(f.holds(&Expect::Marked(0)));
        assert!(f.holds(&Expect::Deleted(0)));
    }

    #[test]
    fn reset_forgets_everything() {
        let mut f = fold(&[
            connected(),
            leak(Leak::User {
                name: "alice".into(),
            }),
        ]);
        assert!(f.holds(&Expect::UserLeaked));
        f.reset();
        assert!(!f.holds(&Expect::UserLeaked));
        assert_eq!(f.state, None);
    }

    fn attack(a: AttackEvent) -> Event {
        ev(EventKind::Attack(a))
    }

    fn acted(note: AttackNote) -> Event {
        attack(AttackEvent::Acted { conn: 1, note })
    }

    fn verdict(succeeded: bool) -> Event {
        attack(AttackEvent::Verdict {
            conn: None,
            attack: crate::attack::Attack::Inject,
            succeeded,
            reason: crate::lab::Why::NoSecret,
            why: String::new(),
        })
    }

    fn client_logged_in() -> Event {
        ev(EventKind::Client(ClientEvent::LoggedIn {
            user: "alice".into(),
            method: crate::pop3::settings::AuthMethod::UserPass,
        }))
    }

    #[test]
    fn verdicts_say_succeeded_or_blocked() {
        let f = Facts::default();
        assert!(!f.holds(&Expect::AttackSucceeded));
        assert!(!f.holds(&Expect::AttackBlocked));
        let f = fold(&[verdict(true)]);
        assert!(f.holds(&Expect::AttackSucceeded));
        assert!(!f.holds(&Expect::AttackBlocked));
        let f = fold(&[verdict(false)]);
        assert!(!f.holds(&Expect::AttackSucceeded));
        assert!(f.holds(&Expect::AttackBlocked));
    }

    #[test]
    fn what_the_attacker_did_on_the_wire() {
        let f = Facts::default();
        for e in [Expect::StlsStripped, Expect::CertForged, Expect::Decrypted] {
            assert!(!f.holds(&e), "{e:?}");
        }
        let f = fold(&[acted(AttackNote::Removed {
            dir: Direction::ServerToClient,
            line: "STLS".into(),
            why: crate::wire::tap::Removal::StlsInCapa,
        })]);
        assert!(f.holds(&Expect::StlsStripped));
        let f = fold(&[acted(AttackNote::Answered {
            line: "STLS".into(),
            answer: "-ERR".into(),
        })]);
        assert!(f.holds(&Expect::StlsStripped));
        assert!(!f.holds(&Expect::CertForged));
        let f = fold(&[acted(AttackNote::Presented {
            name: "localhost".into(),
            issuer: crate::wire::tap::Issuer::Named {
                name: "popscope attacker CA".into(),
            },
        })]);
        assert!(f.holds(&Expect::CertForged));
        assert!(!f.holds(&Expect::StlsStripped));
        let f = fold(&[attack(AttackEvent::Decrypted {
            conn: 1,
            dir: Direction::ClientToServer,
            seq: 0,
            content: "application_data".into(),
            len: 17,
            text: "PASS wonderland".into(),
        })]);
        assert!(f.holds(&Expect::Decrypted));
    }

    #[test]
    fn an_injection_is_discarded_only_when_the_login_follows_it() {
        let injected = |dir| {
            acted(AttackNote::Injected {
                dir,
                text: "QUIT".into(),
            })
        };
        // Injected and then the session ended: nothing to say it was
        // thrown away.
        let f = fold(&[connected(), injected(Direction::ClientToServer)]);
        assert!(!f.holds(&Expect::InjectionDiscarded));
        // The login after it went through.
        let f = fold(&[
            connected(),
            injected(Direction::ClientToServer),
            client_logged_in(),
        ]);
        assert!(f.holds(&Expect::InjectionDiscarded));
        // A login without any injection says nothing about one.
        let f = fold(&[connected(), client_logged_in()]);
        assert!(!f.holds(&Expect::InjectionDiscarded));
        // Only bytes towards the server are the injected command.
        let f = fold(&[
            connected(),
            injected(Direction::ServerToClient),
            client_logged_in(),
        ]);
        assert!(!f.holds(&Expect::InjectionDiscarded));
        // The injection on one session and a login on the next: the first
        // session did not survive it.
        let f = fold(&[
            connected(),
            injected(Direction::ClientToServer),
            connected(),
            client_logged_in(),
        ]);
        assert!(!f.holds(&Expect::InjectionDiscarded));
        // A client that took the forged reply: the attack worked even
        // though the login went through.
        let f = fold(&[
            connected(),
            injected(Direction::ClientToServer),
            verdict(true),
            client_logged_in(),
        ]);
        assert!(!f.holds(&Expect::InjectionDiscarded));
    }

    #[test]
    fn the_crack_counts_only_when_it_found_the_password() {
        let done = |found: Option<&str>| {
            attack(AttackEvent::CrackDone {
                user: "alice".into(),
                found: found.map(String::from),
                tried: 10,
                elapsed: Duration::from_millis(1),
                rate: 1e4,
                estimate: None,
            })
        };
        assert!(!fold(&[done(None)]).holds(&Expect::PasswordCracked));
        assert!(fold(&[done(Some("wonderland"))]).holds(&Expect::PasswordCracked));
        // A later search that fails does not undo a found password.
        assert!(fold(&[done(Some("wonderland")), done(None)]).holds(&Expect::PasswordCracked));
    }

    #[test]
    fn every_expectation_has_a_label_in_both_languages() {
        let all = [
            "password-leaked",
            "user-leaked",
            "apop-digest-seen",
            "mail-leaked",
            "no-credential",
            "nothing-readable",
            "state transaction",
            "reply ok",
            "reply err",
            "logged-in",
            "tls-established",
            "tls-version 1.3",
            "handshake ClientHello",
            "stls-switch",
            "app-data-encrypted",
            "secret-derived",
            "cert-visible-to-eavesdropper",
            "cert-hidden-from-eavesdropper",
            "cert-failed",
            "cert-failed unknown issuer",
            "deleted 2",
            "marked 1",
            "attack-succeeded",
            "attack-blocked",
            "stls-stripped",
            "cert-forged",
            "injection-discarded",
            "decrypted",
            "password-cracked",
        ];
        for word in all {
            let e = Expect::parse(word).unwrap();
            let ja = describe(&e, Lang::Ja);
            let en = describe(&e, Lang::En);
            assert!(!ja.is_empty() && !en.is_empty(), "{word}");
            assert_ne!(ja, en, "{word}");
            assert!(!ja.is_ascii(), "{word}: {ja}");
        }
        assert_eq!(
            describe(&Expect::PasswordLeaked, Lang::En),
            "the eavesdropper read the password"
        );
        assert_eq!(
            describe(&Expect::PasswordLeaked, Lang::Ja),
            "盗聴者がパスワードを読んだ"
        );
        assert_eq!(
            describe(&Expect::State(StateName::Transaction), Lang::En),
            "the server's session is in the TRANSACTION state"
        );
        assert_eq!(
            describe(&Expect::CertFailed(Some(CertKind::UnknownIssuer)), Lang::En),
            "the certificate check failed: unknown issuer"
        );
        assert_eq!(
            describe(&Expect::Deleted(1), Lang::En),
            "QUIT removed 1 message"
        );
        assert_eq!(
            describe(&Expect::Deleted(2), Lang::En),
            "QUIT removed 2 messages"
        );
        // The course's spelling, which the old hand-written labels broke.
        let ja: String = all
            .iter()
            .map(|w| describe(&Expect::parse(w).unwrap(), Lang::Ja))
            .collect();
        assert!(ja.contains("ユーザ名") && ja.contains("ヘッダ"), "{ja}");
        assert!(!ja.contains("ユーザー") && !ja.contains("ヘッダー") && !ja.contains("サーバー"));
        // Every kind of certificate problem has a name of its own in
        // each language.
        for lang in Lang::ALL {
            let names: BTreeSet<String> = CertKind::ALL
                .iter()
                .map(|k| describe(&Expect::CertFailed(Some(*k)), lang))
                .collect();
            assert_eq!(names.len(), CertKind::ALL.len(), "{names:?}");
        }
        assert_eq!(
            describe(&Expect::CertFailed(Some(CertKind::Expired)), Lang::Ja),
            "証明書の検証に失敗した(期限切れ)"
        );
    }
}
