//! The client's settings: one set of types for every client in the project.
//!
//! The library client ([`crate::pop3::client`]), `popscope client`, `load`,
//! `demo` and the lab's scenarios all say "how to connect", "how to log
//! in", "whom to trust" and "whether TLS is required" with these types, so
//! a scenario in the lab means exactly what the same settings mean to the
//! real client. Their names on the command line (`plain|stls|pop3s`) and in
//! JSON (`"transport": "plain"`, `"auth": "user_pass"`) are fixed here.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::ServerName;
use serde::Serialize;

pub use crate::tls::Trust;

use super::observe::Observer;

/// How the client secures the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Plain TCP; passwords cross the wire in the clear.
    Plain,
    /// Plain TCP upgraded in band with STLS (RFC 2595), usually port 110.
    Stls,
    /// TLS from the first byte (POP3S, RFC 8314), usually port 995.
    #[serde(rename = "pop3s")]
    #[value(name = "pop3s")]
    Implicit,
}

impl Transport {
    /// The name used on the command line, in JSON and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Plain => "plain",
            Transport::Stls => "stls",
            Transport::Implicit => "pop3s",
        }
    }

    /// The standard port: 110 for POP3, with or without STLS (RFC 1939,
    /// RFC 2595), 995 for POP3S (RFC 8314). Wireshark picks its POP
    /// dissector by these.
    pub fn standard_port(self) -> u16 {
        match self {
            Transport::Plain | Transport::Stls => 110,
            Transport::Implicit => 995,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// How [`crate::pop3::client::Session::login`] proves who the user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// `USER` then `PASS` (RFC 1939): the password itself on the wire.
    UserPass,
    /// `APOP` (RFC 1939 section 7): an MD5 digest of the greeting's
    /// timestamp and the password, so the password itself never travels.
    Apop,
    /// `AUTH PLAIN` (RFC 5034, RFC 4616) with the credentials as its
    /// initial response: the password in base64, which is an encoding, not
    /// a protection.
    AuthPlain,
}

impl AuthMethod {
    /// Whether the method puts the password (or a reversible encoding of
    /// it) on the wire. Only these are refused on an unencrypted session
    /// when cleartext logins are not allowed.
    ///
    /// APOP is the exception, and it is allowed in cleartext on purpose:
    /// it sends MD5(timestamp + password), which an eavesdropper cannot
    /// turn back into the password or replay in another session, because
    /// the timestamp changes every time. It is not a substitute for TLS,
    /// though: whoever records one exchange can still guess weak passwords
    /// offline against the digest, and everything after the login (the
    /// mail itself) stays readable.
    pub fn sends_password(self) -> bool {
        !matches!(self, AuthMethod::Apop)
    }

    /// The method's name as a user would say it.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::UserPass => "USER/PASS",
            AuthMethod::Apop => "APOP",
            AuthMethod::AuthPlain => "AUTH PLAIN",
        }
    }
}

/// A rustls configuration built by the caller instead of from
/// [`ClientSettings::trust`]: the load generator builds one for all its
/// connections, and the lab builds one whose key log feeds its events.
#[derive(Debug, Clone)]
pub struct PreparedTls {
    /// The configuration every handshake of the session uses.
    pub config: Arc<rustls::ClientConfig>,
    /// Where the configuration's verifier records the chain it was shown
    /// (from [`crate::tls::client_config_recording`]), so that a refused
    /// certificate can be reported with its issuer's name.
    pub presented: Option<crate::tls::Presented>,
}

/// Everything [`crate::pop3::client::open`] needs to know besides the
/// address and the credentials: the choices a mail client's account
/// settings offer, and the hooks the lab needs.
#[derive(Clone)]
pub struct ClientSettings {
    /// Plain TCP, STLS on the cleartext port, or TLS from the first byte.
    pub transport: Transport,
    /// How to log in.
    pub auth: AuthMethod,
    /// With [`Transport::Stls`]: give up before logging in if the server
    /// does not offer STLS, instead of carrying on unencrypted. Asking for
    /// it with [`Transport::Plain`] is a contradiction and an error;
    /// [`Transport::Implicit`] always satisfies it.
    pub require_tls: bool,
    /// Whom to trust for the server's certificate.
    pub trust: Trust,
    /// Whether USER/PASS and AUTH PLAIN may be used without TLS. APOP is
    /// always allowed (see [`AuthMethod::sends_password`]).
    pub allow_cleartext_login: bool,
    /// The name the certificate must be valid for, and the SNI sent for a
    /// DNS name. Usually the host name from the account settings.
    pub server_name: ServerName<'static>,
    /// How long connecting, the handshake, the greeting and the login may
    /// take together in `open` (and each of `Session::stls` and
    /// `Session::login` on their own); `None` waits for ever.
    pub timeout: Option<Duration>,
    /// A TLS configuration to use instead of building one from `trust`.
    pub tls: Option<PreparedTls>,
    /// **Deliberately vulnerable; only for the lab's response-injection
    /// demonstration. Never set it anywhere else.**
    ///
    /// When true, bytes the server (or a man in the middle) sent after the
    /// `+OK` to STLS and before the handshake are kept and read as if they
    /// had arrived inside TLS, as the vulnerable clients described in "NO
    /// STARTTLS" (USENIX Security 2021) did, so a forged reply injected in
    /// cleartext answers the first command sent under TLS. When false (the
    /// default and the only safe choice), they are discarded as RFC 2595
    /// section 4 requires, and the observer is told.
    pub keep_buffer_across_stls: bool,
    /// Who hears about every line, reply and TLS fact of the session; `None`
    /// costs nothing.
    pub observer: Option<Arc<dyn Observer>>,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("transport", &self.transport)
            .field("auth", &self.auth)
            .field("require_tls", &self.require_tls)
            .field("trust", &self.trust)
            .field("allow_cleartext_login", &self.allow_cleartext_login)
            .field("server_name", &self.server_name)
            .field("timeout", &self.timeout)
            .field("keep_buffer_across_stls", &self.keep_buffer_across_stls)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientSettings {
    /// Settings with the safe defaults: USER/PASS, TLS required unless the
    /// transport is plain, no password in cleartext, a 30-second timeout,
    /// no observer.
    ///
    /// With [`Transport::Plain`] this means USER/PASS and AUTH PLAIN are
    /// refused until `allow_cleartext_login` is set: sending a password in
    /// the clear must be a decision, not a default.
    pub fn new(transport: Transport, trust: Trust, server_name: ServerName<'static>) -> Self {
        ClientSettings {
            transport,
            auth: AuthMethod::UserPass,
            require_tls: transport != Transport::Plain,
            trust,
            allow_cleartext_login: false,
            server_name,
            timeout: Some(DEFAULT_TIMEOUT),
            tls: None,
            keep_buffer_across_stls: false,
            observer: None,
        }
    }
}

impl ClientSettings {
    /// Settings around a TLS configuration the caller built once for many
    /// sessions (none for plain TCP), as the load generator and tests use
    /// them: TLS required unless the transport is plain, USER/PASS and
    /// AUTH PLAIN allowed on a plain session (the caller chose it), and no
    /// timeout of the client's own.
    pub fn with_tls_config(
        transport: Transport,
        config: Option<Arc<rustls::ClientConfig>>,
        server_name: ServerName<'static>,
    ) -> Self {
        let mut settings = ClientSettings::new(transport, Trust::SystemRoots, server_name);
        settings.allow_cleartext_login = true;
        settings.timeout = None;
        settings.tls = config.map(|config| PreparedTls {
            config,
            presented: None,
        });
        settings
    }
}

/// The timeout [`ClientSettings::new`] chooses. A POP3 server answers in
/// milliseconds; 30 seconds leaves room for a slow network and for the
/// deliberate delay many servers add after a failed login.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
