//! Events in words, for every view of the lab: the screen's panes and
//! `popscope demo`'s transcript say the same thing the same way.
//!
//! Most of these words carry bytes another party chose (a user name, a
//! password, a subject, an SNI), so every text returned here has already
//! passed through [`crate::sanitize::visible`].

use crate::pop3::server::ServerEvent;
use crate::sanitize::visible;
use crate::wire::pop3::Leak;
use crate::wire::tls::{self as wtls, Handshake};

/// True if a chunk reads as text (POP3 lines) rather than binary (TLS).
pub fn is_text(bytes: &[u8]) -> bool {
    let printable = bytes
        .iter()
        .filter(|&&b| {
            b == b'\r' || b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80
        })
        .count();
    !bytes.is_empty() && printable * 10 >= bytes.len() * 9 && std::str::from_utf8(bytes).is_ok()
}

/// A leak in words, with a tag that names what kind of secret it is.
pub fn leak(leak: &Leak) -> Option<(&'static str, String)> {
    let (tag, text) = leak_words(leak)?;
    Some((tag, visible(&text).into_owned()))
}

fn leak_words(leak: &Leak) -> Option<(&'static str, String)> {
    Some(match leak {
        Leak::User { name } => ("USER", format!("user name {name}")),
        Leak::Password { user, password } => (
            "PASSWORD",
            format!(
                "{password}{}",
                user.as_deref()
                    .map(|u| format!(" (for {u})"))
                    .unwrap_or_default()
            ),
        ),
        Leak::Apop {
            user,
            digest,
            timestamp,
        } => (
            "APOP",
            format!(
                "{user}: digest {digest} of {} (guessable offline)",
                timestamp.as_deref().unwrap_or("(timestamp not seen)")
            ),
        ),
        Leak::AuthPlain {
            authcid, password, ..
        } => (
            "PASSWORD",
            format!("{password} (for {authcid}, AUTH PLAIN is only base64)"),
        ),
        Leak::AuthLogin { user, password } => (
            "PASSWORD",
            format!("{password} (for {user}, AUTH LOGIN is only base64)"),
        ),
        Leak::MessageHeaders { from, to, subject } => (
            "MAIL",
            format!(
                "From {} · To {} · Subject {}",
                from.as_deref().unwrap_or("?"),
                to.as_deref().unwrap_or("?"),
                subject.as_deref().unwrap_or("?")
            ),
        ),
        // The greeting's timestamp is public by design; it only matters
        // together with an APOP digest, which its own leak reports.
        Leak::Greeting { .. } => return None,
    })
}

/// A cleartext handshake message, one line.
pub fn handshake(m: &Handshake) -> String {
    visible(&handshake_words(m)).into_owned()
}

fn handshake_words(m: &Handshake) -> String {
    match m {
        Handshake::ClientHello {
            versions,
            cipher_suites,
            sni,
            key_shares,
            ..
        } => {
            let v: Vec<&str> = versions.iter().map(|&v| wtls::version_name(v)).collect();
            let ks: Vec<&str> = key_shares
                .iter()
                .map(|&(g, _)| wtls::group_name(g))
                .collect();
            format!(
                "ClientHello: SNI {}, versions {}, {} suites, key share {}",
                sni.as_deref().unwrap_or("(none)"),
                if v.is_empty() {
                    "(legacy)".to_string()
                } else {
                    v.join("/")
                },
                cipher_suites.len(),
                ks.join(", ")
            )
        }
        Handshake::ServerHello {
            version,
            cipher_suite,
            group,
            hello_retry_request,
        } => format!(
            "{}: {}, {}{}",
            if *hello_retry_request {
                "HelloRetryRequest"
            } else {
                "ServerHello"
            },
            wtls::version_name(*version),
            wtls::suite_name(*cipher_suite),
            group
                .map(|g| format!(", {}", wtls::group_name(g)))
                .unwrap_or_default()
        ),
        Handshake::Certificate { chain } => {
            let c: Vec<String> = chain.iter().map(|c| c.subject.clone()).collect();
            format!("Certificate (in clear, TLS 1.2): {}", c.join(" ← "))
        }
        other => other.name().to_string(),
    }
}

/// A lockout window in words: whole seconds, or milliseconds when shorter
/// than a second (tests and lessons use short windows).
pub fn lockout_time(d: std::time::Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64().round())
    }
}

/// A server event as one line of the server pane's log, or `None` for
/// events the pane shows elsewhere (state, maildrop).
pub fn server_line(s: &ServerEvent) -> Option<String> {
    server_words(s).map(|t| visible(&t).into_owned())
}

fn server_words(s: &ServerEvent) -> Option<String> {
    Some(match s {
        ServerEvent::Connected {
            session,
            implicit_tls,
            ..
        } => format!(
            "session {session}: connected on the {} port",
            if *implicit_tls { "POP3S" } else { "POP3" }
        ),
        ServerEvent::Tls { summary, stls, .. } => format!(
            "TLS up{}: {summary}",
            if *stls { " after STLS" } else { "" }
        ),
        ServerEvent::TlsFailed { reason, .. } => format!("TLS failed: {reason}"),
        ServerEvent::Greeting { .. } => "greeting sent".to_string(),
        ServerEvent::Command { text, .. } => format!("handled {text}"),
        ServerEvent::State { .. } | ServerEvent::Maildrop { .. } => return None,
        ServerEvent::LoggedIn { user, method, .. } => format!("{user} logged in ({method})"),
        ServerEvent::LoginFailed {
            user,
            method,
            locked_out,
            ..
        } => format!(
            "login failed for {} ({method}){}",
            user.as_deref().unwrap_or("?"),
            if *locked_out {
                ": locked out, password not checked"
            } else {
                ""
            }
        ),
        ServerEvent::LockedOut { who, duration, .. } => format!(
            "LOCKED OUT: {who} for {} after too many failed logins (its logins are refused unchecked until then)",
            lockout_time(*duration)
        ),
        ServerEvent::Updated {
            removed, failed, ..
        } => {
            let mut t = format!("UPDATE: {removed} message(s) removed from disk");
            if *failed > 0 {
                t.push_str(&format!(", {failed} could not be"));
            }
            t
        }
        ServerEvent::Ended {
            reason, commands, ..
        } => format!("session ended: {reason} ({commands})"),
    })
}

/// What the client did with bytes found after the server's `+OK` to STLS
/// ([`crate::lab::ClientEvent::StlsLeftover`]).
pub fn stls_leftover(len: usize, preview: &str, kept: bool) -> String {
    let preview = visible(preview);
    if kept {
        format!(
            "VULNERABLE CLIENT MODE: kept {len} bytes sent after +OK to STLS and reads them as \
             if they came inside TLS: {preview:?}"
        )
    } else {
        format!(
            "discarded {len} bytes sent after +OK to STLS, before the handshake (RFC 2595 §4): \
             {preview:?}"
        )
    }
}
