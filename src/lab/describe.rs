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

/// "1 byte", "6 bytes".
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
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
        ServerEvent::DiscardedBeforeTls { bytes, text, .. } => format!(
            "discarded {} sent after STLS before the TLS handshake, unread: {text} \
             (they cannot have come from inside TLS; this stops STARTTLS command injection)",
            plural(*bytes, "byte")
        ),
        ServerEvent::InjectedIntoTls { bytes, text, .. } => format!(
            "VULNERABLE MODE: running {} that arrived in cleartext before the TLS handshake \
             as if they came inside TLS: {text}",
            plural(*bytes, "byte")
        ),
        ServerEvent::Ended {
            reason, commands, ..
        } => format!("session ended: {reason} ({commands})"),
    })
}

/// An attacker's event as one line, or `None` for events shown otherwise
/// (plaintext the attacker read is shown as chunks of its own, and the
/// search's progress as a bar).
pub fn attack_line(e: &super::AttackEvent) -> Option<String> {
    attack_words(e).map(|t| visible(&t).into_owned())
}

fn attack_words(e: &super::AttackEvent) -> Option<String> {
    use super::AttackEvent as A;
    use crate::wire::tap::AttackNote as N;
    Some(match e {
        A::Armed { attack } => format!("ATTACKER on the wire: {}", attack_name(*attack)),
        A::Acted { note, .. } => match note {
            N::Removed { line, what, .. } => format!("removed {line:?} ({what})"),
            N::Answered { line, answer } => {
                format!("kept {line:?} from the server and answered {answer:?} itself")
            }
            N::Injected { dir, text } => format!("injected {} {text:?}", dir.arrow()),
            N::Presented { name, issuer } => {
                format!("presented a certificate for {name}, issued by '{issuer}'")
            }
            N::ClientRefused { reason } => reason.clone(),
            N::UpstreamTls { version, suite } => {
                format!("opened its own TLS to the real server ({version}, {suite})")
            }
            N::UpstreamFailed { reason } => format!("could not reach the server: {reason}"),
            N::Read { .. } => return None,
        },
        A::Learned { means, leak, .. } => {
            let (_, text) = leak_words(leak)?;
            let how = match means {
                super::Means::Cleartext => "in cleartext",
                super::Means::ForgedTls => "inside its forged TLS",
                super::Means::StolenKeys => "decrypted with the stolen keys",
                super::Means::Guessing => "by guessing",
            };
            format!("READ {how}: {text}")
        }
        A::Decrypted {
            dir,
            seq,
            content,
            len,
            text,
            ..
        } => {
            let first = text.lines().next().unwrap_or("");
            format!(
                "decrypted {} record #{seq} ({content}, {len} bytes): {first}",
                dir.arrow()
            )
        }
        A::Sealed {
            records, reason, ..
        } => format!("{records} record(s) could not be opened: {reason}"),
        A::CrackStarted { user, candidates } => format!(
            "guessing {user}'s APOP password offline{}",
            candidates
                .map(|n| format!(" ({n} candidates)"))
                .unwrap_or_default()
        ),
        A::CrackProgress { .. } => return None,
        A::CrackDone {
            found,
            tried,
            elapsed,
            rate,
            ..
        } => format!(
            "{} after {tried} guesses in {:.2} s ({})",
            if found.is_some() {
                "FOUND"
            } else {
                "not found"
            },
            elapsed.as_secs_f64(),
            rate_words(*rate)
        ),
        A::Verdict { succeeded, why, .. } => format!(
            "ATTACK {}: {why}",
            if *succeeded { "SUCCEEDED" } else { "FAILED" }
        ),
    })
}

/// An attack's name as a learner reads it.
pub fn attack_name(a: crate::attack::Attack) -> &'static str {
    use crate::attack::Attack as K;
    match a {
        K::StripStls => "strip STLS",
        K::ForgeCert => "forged certificate",
        K::WrongName => "certificate for another name",
        K::Inject => "STARTTLS command injection",
        K::StealKeys => "stolen session keys",
        K::Crack => "offline APOP dictionary attack",
    }
}

/// Guesses per second in words: "5.2 million guesses/s".
pub fn rate_words(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.1} million guesses/s", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.0} thousand guesses/s", rate / 1e3)
    } else {
        format!("{rate:.0} guesses/s")
    }
}

/// What a client not required to use TLS says when the server does not
/// offer STLS ([`crate::lab::ClientEvent::StaysCleartext`]).
pub const STAYS_CLEARTEXT: &str =
    "the server does not offer STLS; going on in cleartext (require-TLS is off)";

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
