//! Events in words, for every view of the lab: the screen's panes and
//! `popscope demo`'s transcript say the same thing the same way.
//!
//! Every function takes the reader's [`Lang`] and takes its words from
//! the catalogue (`assets/i18n/*/events.ftl`); none writes a sentence of
//! its own. The events themselves carry values (a [`Transport`], a
//! [`CertProblem`], a [`ClientProblem`]), so a view words them when it
//! draws, in the language the learner has chosen then. Protocol text (a
//! command line, a server's reply, TLS's names for versions and suites)
//! is shown as it is in every language.
//!
//! Most of these words carry bytes another party chose (a user name, a
//! password, a subject, an SNI), so every text returned here has already
//! passed through [`crate::sanitize::visible`].

use crate::lang::Lang;
use crate::pop3::server::ServerEvent;
use crate::pop3::settings::{Transport, Trust};
use crate::tls::CertProblem;
use crate::tr;

use super::{ClientEvent, ClientProblem, Side, TlsFailure};
use crate::sanitize::visible;
use crate::wire::dissect::Loot;
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

/// A leak in `lang`, with a tag that names what kind of secret it is.
pub fn leak(leak: &Leak, lang: Lang) -> Option<(&'static str, String)> {
    let (tag, text) = leak_words(leak, lang)?;
    Some((tag, visible(&text).into_owned()))
}

fn leak_words(leak: &Leak, lang: Lang) -> Option<(&'static str, String)> {
    Some(match leak {
        Leak::User { name } => ("USER", tr!(lang, "event-leak-user", name = name)),
        Leak::Password {
            user: Some(user),
            password,
        } => (
            "PASSWORD",
            tr!(
                lang,
                "event-leak-password-for",
                password = password,
                user = user
            ),
        ),
        Leak::Password {
            user: None,
            password,
        } => (
            "PASSWORD",
            tr!(lang, "event-leak-password", password = password),
        ),
        Leak::Apop {
            user,
            digest,
            timestamp: Some(timestamp),
        } => (
            "APOP",
            tr!(
                lang,
                "event-leak-apop",
                user = user,
                digest = digest,
                timestamp = timestamp
            ),
        ),
        Leak::Apop {
            user,
            digest,
            timestamp: None,
        } => (
            "APOP",
            tr!(
                lang,
                "event-leak-apop-no-timestamp",
                user = user,
                digest = digest
            ),
        ),
        Leak::AuthPlain {
            authcid, password, ..
        } => (
            "PASSWORD",
            tr!(
                lang,
                "event-leak-auth-plain",
                password = password,
                user = authcid
            ),
        ),
        Leak::AuthLogin { user, password } => (
            "PASSWORD",
            tr!(
                lang,
                "event-leak-auth-login",
                password = password,
                user = user
            ),
        ),
        Leak::MessageHeaders { from, to, subject } => (
            "MAIL",
            tr!(
                lang,
                "event-leak-headers",
                from = from.as_deref().unwrap_or("?"),
                to = to.as_deref().unwrap_or("?"),
                subject = subject.as_deref().unwrap_or("?")
            ),
        ),
        // The greeting's timestamp is public by design; it only matters
        // together with an APOP digest, which its own leak reports.
        Leak::Greeting { .. } => return None,
    })
}

/// A cleartext handshake message, one line, in `lang`. The names of
/// messages, versions, suites and groups are TLS's own and stay as they
/// are.
pub fn handshake(m: &Handshake, lang: Lang) -> String {
    visible(&handshake_words(m, lang)).into_owned()
}

fn handshake_words(m: &Handshake, lang: Lang) -> String {
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
            tr!(
                lang,
                "event-hello-client",
                sni = sni
                    .clone()
                    .unwrap_or_else(|| tr!(lang, "event-hello-no-sni")),
                versions = if v.is_empty() {
                    tr!(lang, "event-hello-legacy")
                } else {
                    v.join("/")
                },
                suites = cipher_suites.len(),
                shares = if ks.is_empty() {
                    tr!(lang, "event-hello-no-key-share")
                } else {
                    ks.join(", ")
                }
            )
        }
        Handshake::ServerHello {
            version,
            cipher_suite,
            group,
            hello_retry_request,
        } => {
            let mut params = vec![
                wtls::version_name(*version),
                wtls::suite_name(*cipher_suite),
            ];
            params.extend(group.map(wtls::group_name));
            format!(
                "{}: {}",
                if *hello_retry_request {
                    "HelloRetryRequest"
                } else {
                    "ServerHello"
                },
                params.join(", ")
            )
        }
        Handshake::Certificate { chain } => {
            let c: Vec<String> = chain.iter().map(|c| c.subject.clone()).collect();
            tr!(lang, "event-hello-certificate", chain = c.join(" ← "))
        }
        other => other.name().to_string(),
    }
}

/// How one handshake step crossed, from the eavesdropper's seat, in
/// `lang`: read in cleartext, or sealed in an opaque record of its
/// length. Several messages may share one sealed record (rustls sends
/// EncryptedExtensions to Finished in one); `same_record` says this step
/// is in the record an earlier step already described, so the record is
/// named once, not once per message.
pub fn step_crossing(step: &crate::wire::steps::Step, same_record: bool, lang: Lang) -> String {
    match step.sealed {
        None => tr!(lang, "event-demo-step-clear"),
        Some(_) if same_record => tr!(lang, "event-demo-step-same-record"),
        Some(_) => tr!(
            lang,
            "event-demo-step-sealed",
            n = u64::from(step.record.length)
        ),
    }
}

/// A lockout window in `lang`: whole seconds, or milliseconds when
/// shorter than a second (tests and lessons use short windows).
pub fn lockout_time(d: std::time::Duration, lang: Lang) -> String {
    if d.as_millis() < 1000 {
        tr!(lang, "event-time-ms", n = d.as_millis() as u64)
    } else {
        tr!(lang, "event-time-s", n = d.as_secs_f64().round() as u64)
    }
}

/// Who a lockout is for, in `lang`.
fn locked(who: &crate::pop3::guard::Locked, lang: Lang) -> String {
    use crate::pop3::guard::Locked;
    match who {
        Locked::Account(name) => tr!(lang, "event-locked-account", name = name),
        Locked::Address(ip @ std::net::IpAddr::V6(_)) => {
            tr!(lang, "event-locked-address", address = format!("{ip}/64"))
        }
        Locked::Address(ip) => tr!(lang, "event-locked-address", address = ip.to_string()),
    }
}

/// A server event as one line of the server pane's log in `lang`, or
/// `None` for events the pane shows elsewhere (state, maildrop).
pub fn server_line(s: &ServerEvent, lang: Lang) -> Option<String> {
    server_words(s, lang).map(|t| visible(&t).into_owned())
}

fn server_words(s: &ServerEvent, lang: Lang) -> Option<String> {
    Some(match s {
        ServerEvent::Connected {
            session,
            implicit_tls,
            ..
        } => tr!(
            lang,
            "event-server-connected",
            session = *session,
            port = if *implicit_tls { "POP3S" } else { "POP3" }
        ),
        ServerEvent::Tls {
            summary,
            stls: true,
            ..
        } => tr!(
            lang,
            "event-server-tls-up-stls",
            summary = summary.to_string()
        ),
        ServerEvent::Tls { summary, .. } => {
            tr!(lang, "event-server-tls-up", summary = summary.to_string())
        }
        ServerEvent::TlsFailed { refusal, .. } => match refusal {
            Some(r) => tr!(lang, "event-server-tls-failed", reason = r.words(lang)),
            None => tr!(lang, "event-server-tls-timed-out"),
        },
        ServerEvent::Greeting { .. } => tr!(lang, "event-server-greeting"),
        ServerEvent::Command { text, .. } => tr!(lang, "event-server-command", command = text),
        ServerEvent::State { .. } | ServerEvent::Maildrop { .. } => return None,
        ServerEvent::LoggedIn { user, method, .. } => tr!(
            lang,
            "event-server-logged-in",
            user = user,
            method = method.to_string()
        ),
        ServerEvent::LoginFailed {
            user,
            method,
            locked_out,
            ..
        } => {
            let user = user.as_deref().unwrap_or("?");
            let method = method.to_string();
            if *locked_out {
                tr!(
                    lang,
                    "event-server-login-failed-locked",
                    user = user,
                    method = method
                )
            } else {
                tr!(
                    lang,
                    "event-server-login-failed",
                    user = user,
                    method = method
                )
            }
        }
        ServerEvent::LockedOut { who, duration, .. } => tr!(
            lang,
            "event-server-locked-out",
            who = locked(who, lang),
            time = lockout_time(*duration, lang)
        ),
        ServerEvent::Updated {
            removed, failed: 0, ..
        } => tr!(lang, "event-server-updated", removed = *removed),
        ServerEvent::Updated {
            removed, failed, ..
        } => tr!(
            lang,
            "event-server-updated-failed",
            removed = *removed,
            failed = *failed
        ),
        ServerEvent::DiscardedBeforeTls { bytes, text, .. } => {
            tr!(lang, "event-server-discarded", n = *bytes, text = text)
        }
        ServerEvent::InjectedIntoTls { bytes, text, .. } => {
            tr!(lang, "event-server-injected", n = *bytes, text = text)
        }
        ServerEvent::Ended {
            reason, commands, ..
        } => tr!(
            lang,
            "event-server-ended",
            reason = end_reason(reason, lang),
            commands = commands
        ),
    })
}

/// An attacker's event as one line in `lang`, or `None` for events shown
/// otherwise (plaintext the attacker read is shown as chunks of its own,
/// and the search's progress as a bar). Text another party chose (a
/// reason from the client, a record's plaintext) is quoted as it is.
pub fn attack_line_in(e: &super::AttackEvent, lang: Lang) -> Option<String> {
    attack_words(e, lang).map(|t| visible(&t).into_owned())
}

fn attack_words(e: &super::AttackEvent, lang: Lang) -> Option<String> {
    use super::AttackEvent as A;
    use crate::wire::tap::{AttackNote as N, Issuer};
    Some(match e {
        A::Armed { attack } => tr!(
            lang,
            "event-attack-armed",
            attack = attack_name_in(*attack, lang)
        ),
        A::Acted { note, .. } => match note {
            N::Removed { line, why, .. } => tr!(
                lang,
                "event-attack-removed",
                line = format!("{line:?}"),
                what = removal(*why, lang)
            ),
            N::Answered { line, answer } => tr!(
                lang,
                "event-attack-answered",
                line = format!("{line:?}"),
                answer = format!("{answer:?}")
            ),
            N::Injected { dir, text } => tr!(
                lang,
                "event-attack-injected",
                dir = dir.arrow(),
                text = format!("{text:?}")
            ),
            N::Presented {
                name,
                issuer: Issuer::Named { name: issuer },
            } => tr!(lang, "event-attack-presented", name = name, issuer = issuer),
            N::Presented {
                name,
                issuer: Issuer::LabCa,
            } => tr!(lang, "event-attack-presented-lab-ca", name = name),
            N::ClientRefused { refusal } => tr!(
                lang,
                "event-attack-client-refused",
                reason = refusal.words(lang)
            ),
            N::UpstreamTls { version, suite } => tr!(
                lang,
                "event-attack-upstream-tls",
                version = version,
                suite = suite
            ),
            N::UpstreamFailed { reason } => tr!(
                lang,
                "event-attack-upstream-failed",
                reason = upstream_failure(reason, lang)
            ),
            N::Read { .. } => return None,
        },
        A::Learned { means, leak, .. } => {
            let (_, text) = leak_words(leak, lang)?;
            match means {
                super::Means::Cleartext => {
                    tr!(lang, "event-attack-read-cleartext", text = text)
                }
                super::Means::ForgedTls => {
                    tr!(lang, "event-attack-read-forged-tls", text = text)
                }
                super::Means::StolenKeys => {
                    tr!(lang, "event-attack-read-stolen-keys", text = text)
                }
                super::Means::Guessing => tr!(lang, "event-attack-read-guessing", text = text),
            }
        }
        A::Decrypted {
            dir,
            seq,
            content,
            len,
            text,
            ..
        } => tr!(
            lang,
            "event-attack-decrypted",
            dir = dir.arrow(),
            seq = *seq,
            content = content,
            n = *len,
            first = text.lines().next().unwrap_or("")
        ),
        A::Sealed {
            records, reason, ..
        } => tr!(
            lang,
            "event-attack-sealed",
            n = *records,
            reason = sealed_reason(reason, lang)
        ),
        A::CrackStarted {
            user,
            candidates: Some(n),
        } => tr!(lang, "event-attack-crack-started-of", user = user, n = *n),
        A::CrackStarted {
            user,
            candidates: None,
        } => tr!(lang, "event-attack-crack-started", user = user),
        A::CrackProgress { .. } => return None,
        A::CrackDone {
            found,
            tried,
            elapsed,
            rate,
            ..
        } => {
            let seconds = format!("{:.2}", elapsed.as_secs_f64());
            let rate = big_number(*rate, lang);
            if found.is_some() {
                tr!(
                    lang,
                    "event-attack-crack-found",
                    tried = *tried,
                    seconds = seconds,
                    rate = rate
                )
            } else {
                tr!(
                    lang,
                    "event-attack-crack-not-found",
                    tried = *tried,
                    seconds = seconds,
                    rate = rate
                )
            }
        }
        A::Verdict {
            succeeded, reason, ..
        } => {
            let why = why_in(reason, lang);
            if *succeeded {
                tr!(lang, "event-attack-succeeded", why = why)
            } else {
                tr!(lang, "event-attack-failed", why = why)
            }
        }
    })
}

/// The reason for a verdict, in `lang`.
pub fn why_in(reason: &super::Why, lang: Lang) -> String {
    visible(&why_words(reason, lang)).into_owned()
}

fn why_words(reason: &super::Why, lang: Lang) -> String {
    use super::{Means, Prize, Side, Why as W};
    match reason {
        W::Captured { prize, means } => {
            let what = match prize {
                Prize::Password => tr!(lang, "event-prize-password"),
                Prize::ApopDigest => tr!(lang, "event-prize-apop-digest"),
            };
            match means {
                Means::Cleartext => tr!(lang, "event-why-captured-cleartext", what = what),
                Means::ForgedTls => tr!(lang, "event-why-captured-forged-tls", what = what),
                Means::StolenKeys => tr!(lang, "event-why-captured-stolen-keys", what = what),
                Means::Guessing => tr!(lang, "event-why-captured-guessing", what = what),
            }
        }
        W::ForgedReplyTaken { status } => {
            tr!(lang, "event-why-forged-reply-taken", status = status)
        }
        W::InjectionRan { text } => {
            tr!(lang, "event-why-injection-ran", text = format!("{text:?}"))
        }
        W::ClientRefused { problem } => tr!(
            lang,
            "event-why-client-refused",
            reason = client_problem(problem, lang)
        ),
        W::CertificateRefused { failure } => tr!(
            lang,
            "event-why-certificate-refused",
            reason = tls_failure(failure, lang)
        ),
        W::ClientStopped { problem } => tr!(
            lang,
            "event-why-client-stopped",
            reason = client_problem(problem, lang)
        ),
        W::Discarded { by } => match by.as_slice() {
            [] => tr!(lang, "event-why-discarded"),
            [Side::Client] => tr!(lang, "event-why-discarded-by-client"),
            [Side::Server] => tr!(lang, "event-why-discarded-by-server"),
            _ => tr!(lang, "event-why-discarded-by-both"),
        },
        W::NothingToStrip => tr!(lang, "event-why-nothing-to-strip"),
        W::Sealed { reason } => tr!(
            lang,
            "event-why-sealed",
            reason = sealed_reason(reason, lang)
        ),
        W::Cracked {
            user,
            password,
            tried,
        } => tr!(
            lang,
            "event-why-cracked",
            user = user,
            password = password,
            tried = *tried
        ),
        W::NotCracked {
            tried,
            estimate: Some(estimate),
        } => tr!(
            lang,
            "event-why-not-cracked-estimate",
            tried = *tried,
            estimate = crack_estimate(estimate, lang)
        ),
        W::NotCracked {
            tried,
            estimate: None,
        } => tr!(lang, "event-why-not-cracked", tried = *tried),
        W::NoApopLogin => tr!(lang, "event-why-no-apop-login"),
        W::ConnectionEnded => tr!(lang, "event-why-connection-ended"),
        W::NoSecret => tr!(lang, "event-why-no-secret"),
    }
}

/// A large number the way `lang` reads it: in English by thousands
/// ("830", "5.2 thousand", "19 million"), in Japanese by myriads ("5200",
/// "83万", "2000万"). The scale words and their step come from the
/// catalogue, so each language keeps its own way of counting.
pub fn big_number(x: f64, lang: Lang) -> String {
    if !x.is_finite() || x < 0.0 {
        return "0".to_string();
    }
    let step: i32 = tr!(lang, "event-number-scale-digits")
        .trim()
        .parse()
        .unwrap_or(3);
    let scales = tr!(lang, "event-number-scales");
    // The largest scale first: scale i is 10^(step·(i+1)).
    let scales: Vec<&str> = scales.split_whitespace().collect();
    for (i, scale) in scales.iter().enumerate().rev() {
        let size = 10f64.powi(step * (i as i32 + 1));
        if x >= size {
            let mut v = x / size;
            // These are rough figures: two significant digits are all
            // they hold ("20 million", "2000万", not "1966万"), and one
            // decimal while it matters ("5.2 million").
            if v >= 100.0 {
                let unit = 10f64.powi(v.log10().floor() as i32 - 1);
                v = (v / unit).round() * unit;
            }
            let n = if v < 9.95 {
                format!("{v:.1}")
            } else {
                format!("{v:.0}")
            };
            return tr!(lang, "event-number-scaled", n = n, scale = *scale);
        }
    }
    format!("{x:.0}")
}

/// A guessing speed in words: "5.2 million guesses/s", "毎秒 520万 回".
pub fn crack_rate(rate: f64, lang: Lang) -> String {
    tr!(lang, "event-crack-rate", n = big_number(rate, lang))
}

const YEAR_SECS: f64 = 365.25 * 24.0 * 3600.0;

/// A duration in rough words: "less than a second", "about 40 minutes",
/// "about 19 million years"; "約40分", "約1900万年".
pub fn rough_duration(d: std::time::Duration, lang: Lang) -> String {
    if d == std::time::Duration::MAX {
        return tr!(lang, "event-duration-forever");
    }
    let s = d.as_secs_f64();
    if s < 1.0 {
        return tr!(lang, "event-duration-under-second");
    }
    let (n, unit) = if s < 60.0 {
        (s, Unit::Second)
    } else if s < 3600.0 {
        (s / 60.0, Unit::Minute)
    } else if s < 86_400.0 {
        (s / 3600.0, Unit::Hour)
    } else if s < YEAR_SECS {
        (s / 86_400.0, Unit::Day)
    } else {
        (s / YEAR_SECS, Unit::Year)
    };
    // Small counts go in as numbers so that English can choose "1 year"
    // or "3 years"; large ones as words ("20 million").
    let n = n.round();
    let n = if n < 1000.0 {
        crate::i18n::Arg::Int(n as i64)
    } else {
        crate::i18n::Arg::Text(big_number(n, lang))
    };
    let id = match unit {
        Unit::Second => "event-duration-seconds",
        Unit::Minute => "event-duration-minutes",
        Unit::Hour => "event-duration-hours",
        Unit::Day => "event-duration-days",
        Unit::Year => "event-duration-years",
    };
    crate::i18n::tr_args(lang, id, &[("n", n)])
}

enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Year,
}

/// The brute-force estimate in one sentence: "exhaustive search of 12
/// characters from 62 symbols would take about 19 million years at 5.2
/// million guesses/s".
pub fn crack_estimate(e: &crate::attack::crack::Estimate, lang: Lang) -> String {
    tr!(
        lang,
        "event-crack-estimate",
        length = e.length,
        symbols = e.alphabet,
        duration = rough_duration(e.duration, lang),
        rate = crack_rate(e.rate as f64, lang)
    )
}

/// What a passive eavesdropper kept of one connection, in one line:
/// "password wonderland for alice; subjects of 1 message: Welcome" or,
/// when nothing private was readable, the little that crossed in clear:
/// "nothing readable: server name localhost, TLSv1_3, 4711 encrypted
/// bytes". `popscope demo`, the proxy and the screen's wire pane all word
/// a connection's loot here.
pub fn loot(loot: &Loot, lang: Lang) -> String {
    if !loot.readable() {
        let mut parts = Vec::new();
        if let Some(sni) = &loot.sni {
            parts.push(tr!(lang, "event-loot-server-name", name = sni));
        }
        if let Some(version) = loot.tls_version {
            parts.push(wtls::version_name(version).to_string());
        }
        if loot.encrypted_bytes > 0 {
            parts.push(tr!(
                lang,
                "event-loot-encrypted-bytes",
                bytes = loot.encrypted_bytes
            ));
        }
        return if parts.is_empty() {
            tr!(lang, "event-loot-nothing")
        } else {
            tr!(
                lang,
                "event-loot-nothing-but",
                parts = parts.join(&tr!(lang, "event-loot-list-separator"))
            )
        };
    }
    let mut parts = Vec::new();
    for (user, password) in &loot.passwords {
        parts.push(match user {
            Some(user) => tr!(
                lang,
                "event-loot-password-for",
                password = password,
                user = user
            ),
            None => tr!(lang, "event-loot-password", password = password),
        });
    }
    for (user, digest, timestamp) in &loot.apop {
        parts.push(match timestamp {
            Some(ts) => tr!(
                lang,
                "event-loot-apop",
                digest = digest,
                user = user,
                timestamp = ts
            ),
            None => tr!(
                lang,
                "event-loot-apop-no-timestamp",
                digest = digest,
                user = user
            ),
        });
    }
    // A user already named with a password or a digest is not named twice.
    let named: Vec<&str> = loot
        .users
        .iter()
        .filter(|u| {
            !loot.passwords.iter().any(|(p, _)| p.as_deref() == Some(u))
                && !loot.apop.iter().any(|(a, _, _)| a == *u)
        })
        .map(String::as_str)
        .collect();
    match named.as_slice() {
        [] => {}
        [one] => parts.push(tr!(lang, "event-loot-user", name = *one)),
        many => parts.push(tr!(
            lang,
            "event-loot-users",
            names = many.join(&tr!(lang, "event-loot-list-separator"))
        )),
    }
    if !loot.messages.is_empty() {
        let no_subject = tr!(lang, "event-loot-no-subject");
        let subjects: Vec<&str> = loot
            .messages
            .iter()
            .map(|(_, _, s)| s.as_deref().unwrap_or(&no_subject))
            .collect();
        parts.push(tr!(
            lang,
            "event-loot-subjects",
            n = loot.messages.len(),
            subjects = subjects.join(" | ")
        ));
    }
    parts.join(&tr!(lang, "event-loot-parts-separator"))
}

/// Why the attacker took a line out, in `lang`.
pub fn removal(why: crate::wire::tap::Removal, lang: Lang) -> String {
    use crate::wire::tap::Removal as R;
    match why {
        R::StlsInCapa => tr!(lang, "event-removal-stls-in-capa"),
    }
}

/// What a scenario runs, in `lang`: "USER/PASS over cleartext POP3".
pub fn scenario(s: &super::Scenario, lang: Lang) -> String {
    login_over(s.transport, s.auth, lang)
}

fn login_over(transport: Transport, auth: crate::pop3::settings::AuthMethod, lang: Lang) -> String {
    let auth = auth.name();
    match transport {
        Transport::Plain => tr!(lang, "event-scenario-plain", auth = auth),
        Transport::Stls => tr!(lang, "event-scenario-stls", auth = auth),
        Transport::Implicit => tr!(lang, "event-scenario-pop3s", auth = auth),
    }
}

/// A step of the demo's scripted run, in `lang`.
pub fn demo_step(step: super::DemoStep, lang: Lang) -> String {
    use super::DemoStep as S;
    match step {
        S::Connect { transport, auth } => tr!(
            lang,
            "event-step-connect",
            what = login_over(transport, auth, lang)
        ),
        S::LogIn => tr!(lang, "event-step-log-in"),
        S::HowMuchMail => tr!(lang, "event-step-how-much-mail"),
        S::ListMessages => tr!(lang, "event-step-list-messages"),
        S::FetchFirst => tr!(lang, "event-step-fetch-first"),
        S::MarkSecond => tr!(lang, "event-step-mark-second"),
        S::UndoMark => tr!(lang, "event-step-undo-mark"),
        S::QuitApplyingMarks => tr!(lang, "event-step-quit-applying-marks"),
        S::QuitNoMarks => tr!(lang, "event-step-quit-no-marks"),
        S::GuessOffline => tr!(lang, "event-step-guess-offline"),
    }
}

/// An attack's name in `lang`, as a learner reads it.
pub fn attack_name_in(a: crate::attack::Attack, lang: Lang) -> String {
    use crate::attack::Attack as K;
    match a {
        K::StripStls => tr!(lang, "event-attack-name-strip-stls"),
        K::ForgeCert => tr!(lang, "event-attack-name-forge-cert"),
        K::WrongName => tr!(lang, "event-attack-name-wrong-name"),
        K::Inject => tr!(lang, "event-attack-name-inject"),
        K::StealKeys => tr!(lang, "event-attack-name-steal-keys"),
        K::Crack => tr!(lang, "event-attack-name-crack"),
    }
}

/// How a line of the client's story reads: news, good news (TLS up, a
/// login) or bad news (a refusal, a warning). Each view picks its colours
/// from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Neutral news.
    Info,
    /// Something went right.
    Good,
    /// A failure, a refusal or a warning.
    Bad,
}

/// The client's event in `lang`, one entry per line, for the screen's
/// client pane and `popscope demo`'s transcript alike. The lines the
/// client sent and received are protocol text, which each view shows as
/// it is: for those this gives nothing.
pub fn client_lines(c: &ClientEvent, lang: Lang) -> Vec<(Tone, String)> {
    match c {
        ClientEvent::Sent { .. } | ClientEvent::Received { .. } => vec![],
        ClientEvent::Connecting { addr, transport } => vec![(
            Tone::Info,
            tr!(
                lang,
                "event-client-connecting",
                addr = addr.to_string(),
                transport = transport.name()
            ),
        )],
        ClientEvent::TlsEstablished {
            summary,
            chain,
            trust,
            ..
        } => {
            let checked = trust_checked(trust, lang);
            let cert = match chain.first() {
                Some(c) => tr!(
                    lang,
                    "event-client-certificate",
                    subject = c.subject.as_str(),
                    issuer = c.issuer.as_str(),
                    checked = checked
                ),
                None => tr!(lang, "event-client-no-certificate", checked = checked),
            };
            vec![
                (
                    Tone::Good,
                    tr!(lang, "event-client-tls-up", summary = summary.to_string()),
                ),
                (Tone::Good, cert),
            ]
        }
        ClientEvent::TlsFailed { failure } => vec![(
            Tone::Bad,
            tr!(
                lang,
                "event-client-tls-failed",
                reason = tls_failure(failure, lang)
            ),
        )],
        ClientEvent::LoggedIn { user, method } => vec![(
            Tone::Good,
            tr!(
                lang,
                "event-client-logged-in",
                user = user.as_str(),
                method = method.name()
            ),
        )],
        ClientEvent::StlsLeftover { len, preview, kept } => {
            let preview = format!("{preview:?}");
            let text = if *kept {
                tr!(
                    lang,
                    "event-client-leftover-kept",
                    n = *len,
                    preview = preview
                )
            } else {
                tr!(
                    lang,
                    "event-client-leftover-discarded",
                    n = *len,
                    preview = preview
                )
            };
            vec![(Tone::Bad, text)]
        }
        ClientEvent::Error { problem } => vec![(
            Tone::Bad,
            tr!(
                lang,
                "event-client-error",
                problem = client_problem(problem, lang)
            ),
        )],
        ClientEvent::StaysCleartext => {
            vec![(Tone::Bad, tr!(lang, "event-client-stays-cleartext"))]
        }
    }
}

/// "[+ 320 bytes of data]": how much body came with a reply, for a view
/// that does not show the body itself.
pub fn body_size(len: usize, lang: Lang) -> String {
    tr!(lang, "event-client-body-size", n = len)
}

/// Why a server session ended, in `lang`.
pub fn end_reason(r: &crate::pop3::server::EndReason, lang: Lang) -> String {
    use crate::pop3::server::{EndReason, IoCause};
    match r {
        EndReason::ServerClosed => tr!(lang, "event-end-server-closed"),
        EndReason::ClientClosed => tr!(lang, "event-end-client-closed"),
        EndReason::IdleTimeout => tr!(lang, "event-end-idle"),
        EndReason::Shutdown => tr!(lang, "event-end-shutdown"),
        EndReason::StlsHandshakeFailed => tr!(lang, "event-end-stls-handshake"),
        EndReason::Io {
            cause: IoCause::Gone,
            ..
        } => tr!(lang, "event-end-io-gone"),
        EndReason::Io {
            cause: IoCause::TimedOut,
            ..
        } => tr!(lang, "event-end-io-timed-out"),
        EndReason::Io {
            cause: IoCause::Other,
            message,
        } => tr!(lang, "event-end-io", message = message),
    }
}

/// Why one direction of the tap ended, in `lang`.
pub fn close_reason(r: &crate::wire::tap::CloseReason, lang: Lang) -> String {
    use crate::wire::tap::CloseReason;
    match r {
        CloseReason::Closed => tr!(lang, "event-close-closed"),
        CloseReason::NoCloseNotify => tr!(lang, "event-close-no-close-notify"),
        CloseReason::ReadError { message } => {
            tr!(lang, "event-close-read-error", message = message)
        }
        CloseReason::WriteError { message } => {
            tr!(lang, "event-close-write-error", message = message)
        }
        CloseReason::OtherSideFailed { side: Side::Server } => {
            tr!(lang, "event-close-server-side-failed")
        }
        CloseReason::OtherSideFailed { side: Side::Client } => {
            tr!(lang, "event-close-client-side-failed")
        }
        CloseReason::AttackerGaveUp => tr!(lang, "event-close-attacker-gave-up"),
        CloseReason::ClientRefusedAttacker => tr!(lang, "event-close-client-refused-attacker"),
        CloseReason::Reset => tr!(lang, "event-close-reset"),
        CloseReason::CaptureEnded => tr!(lang, "event-close-capture-ended"),
    }
}

/// Why the man in the middle could not go on to the server, in `lang`.
pub fn upstream_failure(r: &crate::wire::tap::UpstreamFailure, lang: Lang) -> String {
    use crate::wire::tap::UpstreamFailure as U;
    match r {
        U::NoCertificate => tr!(lang, "event-upstream-no-certificate"),
        U::CannotForge { name, message } => tr!(
            lang,
            "event-upstream-cannot-forge",
            name = name,
            message = message
        ),
        U::Tls { message } => tr!(lang, "event-upstream-tls", message = message),
    }
}

/// Why the stolen keys opened no record on a connection, in `lang`.
pub fn sealed_reason(r: &super::SealedReason, lang: Lang) -> String {
    use crate::wire::decrypt::Failure as F;
    use crate::wire::tls::{suite_name, version_name};
    let failure = match r {
        super::SealedReason::NoRecord => return tr!(lang, "event-sealed-no-record"),
        super::SealedReason::Failed { failure } => failure,
    };
    match failure {
        F::NoClientHello => tr!(lang, "event-sealed-no-client-hello"),
        F::NoServerHello => tr!(lang, "event-sealed-no-server-hello"),
        F::BeforeChangeCipherSpec => tr!(lang, "event-sealed-before-ccs"),
        F::NoKey {
            label,
            client_random,
        } => tr!(
            lang,
            "event-sealed-no-key",
            label = *label,
            client_random = client_random
        ),
        F::UnsupportedSuite { suite } => tr!(
            lang,
            "event-sealed-unsupported-suite",
            suite = format!("{suite:#06x}"),
            name = suite_name(*suite)
        ),
        F::UnsupportedVersion { version } => tr!(
            lang,
            "event-sealed-unsupported-version",
            version = format!("{version:#06x}"),
            name = version_name(*version)
        ),
        F::TooShort { len } => tr!(lang, "event-sealed-too-short", n = *len),
        F::TagMismatch => tr!(lang, "event-sealed-tag-mismatch"),
        F::NoContentType => tr!(lang, "event-sealed-no-content-type"),
        F::Framing { reason } => tr!(lang, "event-sealed-framing", message = reason),
    }
}

/// Why bytes on the wire could not be decoded, in `lang`.
pub fn undecodable(r: &crate::wire::dissect::UndecodableReason, lang: Lang) -> String {
    use crate::wire::dissect::UndecodableReason as U;
    match r {
        U::RecordTooLong {
            offset,
            length,
            limit,
        } => tr!(
            lang,
            "event-undecodable-record-too-long",
            offset = *offset,
            length = *length,
            limit = *limit
        ),
        U::NotTlsRecord {
            offset,
            type_byte,
            version,
        } => tr!(
            lang,
            "event-undecodable-not-tls-record",
            offset = *offset,
            type_byte = *type_byte,
            version = format!("{version:#06x}")
        ),
        U::AlertLength { bytes } => tr!(lang, "event-undecodable-alert-length", bytes = *bytes),
        U::HandshakeCut { bytes } => tr!(lang, "event-undecodable-handshake-cut", bytes = *bytes),
        U::UnknownContentType { byte } => {
            tr!(lang, "event-undecodable-unknown-content-type", byte = *byte)
        }
        U::HandshakeTooLong {
            offset,
            length,
            limit,
        } => tr!(
            lang,
            "event-undecodable-handshake-too-long",
            offset = *offset,
            length = *length,
            limit = *limit
        ),
        U::Handshake { message } => tr!(lang, "event-undecodable-handshake", message = message),
        U::ClientTooFarAhead { limit } => {
            tr!(
                lang,
                "event-undecodable-client-too-far-ahead",
                limit = *limit
            )
        }
        U::ClientLineTooLong { limit } => {
            tr!(
                lang,
                "event-undecodable-client-line-too-long",
                limit = *limit
            )
        }
        U::ServerLineTooLong { limit } => {
            tr!(
                lang,
                "event-undecodable-server-line-too-long",
                limit = *limit
            )
        }
        U::TooManyPending { limit } => {
            tr!(lang, "event-undecodable-too-many-pending", limit = *limit)
        }
        U::NotGreeting => tr!(lang, "event-undecodable-not-greeting"),
        U::NotReply => tr!(lang, "event-undecodable-not-reply"),
        U::SaslNotBase64 => tr!(lang, "event-undecodable-sasl-not-base64"),
        U::AuthPlainShape => tr!(lang, "event-undecodable-auth-plain-shape"),
    }
}

/// What the client checked the server's certificate against, in `lang`.
pub fn trust_checked(trust: &Trust, lang: Lang) -> String {
    match trust {
        Trust::LabCa => tr!(lang, "event-client-checked-lab-ca"),
        Trust::SystemRoots => tr!(lang, "event-client-checked-system"),
        Trust::CaFile(p) => tr!(
            lang,
            "event-client-checked-file",
            path = p.display().to_string()
        ),
        Trust::InsecureAcceptAny => tr!(lang, "event-client-not-checked"),
    }
}

/// Why a handshake failed, in `lang`.
pub fn tls_failure(f: &TlsFailure, lang: Lang) -> String {
    match f {
        TlsFailure::Certificate { problem } => tr!(
            lang,
            "event-tls-certificate-failed",
            problem = cert_problem(problem, lang)
        ),
        TlsFailure::Handshake { message } => tr!(
            lang,
            "event-tls-handshake-failed",
            message = message.as_str()
        ),
        TlsFailure::Refused { refusal } => tr!(
            lang,
            "event-tls-handshake-failed",
            message = refusal.words(lang)
        ),
    }
}

/// What was wrong with a certificate, in `lang`: its short name first
/// (what to search for), then what it means here and what to do.
pub fn cert_problem(p: &CertProblem, lang: Lang) -> String {
    p.words(lang)
}

/// Why the client stopped, in `lang`.
pub fn client_problem(p: &ClientProblem, lang: Lang) -> String {
    match p {
        ClientProblem::TlsRequired {
            transport: Transport::Plain,
        } => tr!(lang, "event-client-tls-required-plain"),
        ClientProblem::TlsRequired { .. } => tr!(lang, "event-client-tls-required-no-stls"),
        ClientProblem::CleartextLogin { method } => tr!(
            lang,
            "event-client-cleartext-login",
            method = method.as_str()
        ),
        ClientProblem::UserRefused { text } => {
            tr!(lang, "event-client-user-refused", text = text.as_str())
        }
        ClientProblem::NoApopTimestamp => tr!(lang, "event-client-no-apop-timestamp"),
        ClientProblem::SaslNotOffered { mechanism } => tr!(
            lang,
            "event-client-sasl-not-offered",
            mechanism = mechanism.as_str()
        ),
        ClientProblem::StlsRefused { text } => {
            tr!(lang, "event-client-stls-refused", text = text.as_str())
        }
        ClientProblem::ErrReply { step, text } => tr!(
            lang,
            "event-client-err-reply",
            step = step.as_str(),
            text = text.as_str()
        ),
        ClientProblem::Tls { failure } => tls_failure(failure, lang),
        ClientProblem::TapFailed { conn, reason } => tr!(
            lang,
            "event-client-tap-failed",
            conn = *conn,
            reason = reason.as_str()
        ),
        ClientProblem::ServerClosed => tr!(lang, "event-client-server-closed"),
        ClientProblem::Other { message } => {
            tr!(lang, "event-client-other", message = message.as_str())
        }
    }
}

#[cfg(test)]
mod attack_words_tests {
    use super::*;
    use crate::attack::Attack;
    use crate::lab::{AttackEvent, Means};
    use crate::wire::Direction;
    use crate::wire::tap::AttackNote;

    /// One of each attacker event.
    fn every_event() -> Vec<AttackEvent> {
        let note = |note| AttackEvent::Acted { conn: 1, note };
        vec![
            AttackEvent::Armed {
                attack: Attack::StripStls,
            },
            note(AttackNote::Removed {
                dir: Direction::ServerToClient,
                line: "STLS".into(),
                why: crate::wire::tap::Removal::StlsInCapa,
            }),
            note(AttackNote::Answered {
                line: "STLS".into(),
                answer: "-ERR no".into(),
            }),
            note(AttackNote::Injected {
                dir: Direction::ClientToServer,
                text: "QUIT".into(),
            }),
            note(AttackNote::Presented {
                name: "localhost".into(),
                issuer: crate::wire::tap::Issuer::Named {
                    name: "popscope attacker CA".into(),
                },
            }),
            note(AttackNote::Presented {
                name: "attacker.popscope.test".into(),
                issuer: crate::wire::tap::Issuer::LabCa,
            }),
            note(AttackNote::ClientRefused {
                refusal: crate::tls::Refusal::Certificate {
                    alert: crate::tls::CertAlert::UnknownCa,
                },
            }),
            note(AttackNote::UpstreamTls {
                version: "TLSv1_3".into(),
                suite: "TLS13_AES_128_GCM_SHA256".into(),
            }),
            note(AttackNote::UpstreamFailed {
                reason: crate::wire::tap::UpstreamFailure::Tls {
                    message: "refused".into(),
                },
            }),
            note(AttackNote::UpstreamFailed {
                reason: crate::wire::tap::UpstreamFailure::NoCertificate,
            }),
            note(AttackNote::UpstreamFailed {
                reason: crate::wire::tap::UpstreamFailure::CannotForge {
                    name: "localhost".into(),
                    message: "bad".into(),
                },
            }),
            AttackEvent::Learned {
                conn: 1,
                means: Means::StolenKeys,
                leak: crate::wire::pop3::Leak::Password {
                    user: Some("alice".into()),
                    password: "wonderland".into(),
                },
            },
            AttackEvent::Decrypted {
                conn: 1,
                dir: Direction::ClientToServer,
                seq: 0,
                content: "application_data".into(),
                len: 6,
                text: "STAT\r\n".into(),
            },
            AttackEvent::Sealed {
                conn: 1,
                records: 2,
                reason: crate::lab::SealedReason::Failed {
                    failure: crate::wire::decrypt::Failure::TagMismatch,
                },
            },
            AttackEvent::CrackStarted {
                user: "alice".into(),
                candidates: Some(10),
            },
            AttackEvent::CrackDone {
                user: "alice".into(),
                found: Some("wonderland".into()),
                tried: 3,
                elapsed: std::time::Duration::from_millis(5),
                rate: 600.0,
                estimate: None,
            },
            AttackEvent::Verdict {
                conn: None,
                attack: Attack::Crack,
                succeeded: true,
                reason: crate::lab::Why::NoSecret,
                why: "found".into(),
            },
        ]
    }

    #[test]
    fn every_attacker_event_has_words_in_both_languages() {
        for e in every_event() {
            let en = attack_line_in(&e, Lang::En);
            let ja = attack_line_in(&e, Lang::Ja);
            assert!(en.is_some() && ja.is_some(), "{e:?}");
            assert_ne!(en, ja, "{e:?} is said differently in each language");
        }
        for a in Attack::ALL {
            assert_ne!(attack_name_in(a, Lang::En), attack_name_in(a, Lang::Ja));
        }
    }

    #[test]
    fn every_verdict_reason_has_words_in_both_languages() {
        use crate::lab::{Prize, Side, Why};
        let text = || "x".to_string();
        let reasons = [
            Why::Captured {
                prize: Prize::Password,
                means: Means::Cleartext,
            },
            Why::Captured {
                prize: Prize::ApopDigest,
                means: Means::ForgedTls,
            },
            Why::ForgedReplyTaken { status: text() },
            Why::InjectionRan { text: text() },
            Why::ClientRefused {
                problem: crate::lab::ClientProblem::NoApopTimestamp,
            },
            Why::CertificateRefused {
                failure: crate::lab::TlsFailure::Handshake { message: text() },
            },
            Why::ClientStopped {
                problem: crate::lab::ClientProblem::NoApopTimestamp,
            },
            Why::Discarded { by: vec![] },
            Why::Discarded {
                by: vec![Side::Server, Side::Client],
            },
            Why::NothingToStrip,
            Why::Sealed {
                reason: crate::lab::SealedReason::NoRecord,
            },
            Why::Cracked {
                user: "alice".into(),
                password: "wonderland".into(),
                tried: 1,
            },
            Why::NotCracked {
                tried: 1,
                estimate: None,
            },
            Why::NoApopLogin,
            Why::ConnectionEnded,
            Why::NoSecret,
        ];
        let mut seen = std::collections::HashSet::new();
        for r in &reasons {
            let (en, ja) = (why_in(r, Lang::En), why_in(r, Lang::Ja));
            assert_ne!(en, ja, "{r:?}");
            assert!(seen.insert(en), "{r:?} is worded like another reason");
        }
    }
}

#[cfg(test)]
mod client_words_tests {
    use super::*;
    use crate::lab::Status;

    fn tls_failures() -> Vec<TlsFailure> {
        use crate::tls::CertAlert;
        let cert = |problem| TlsFailure::Certificate { problem };
        vec![
            cert(CertProblem::UnknownIssuer { issuer: None }),
            cert(CertProblem::UnknownIssuer {
                issuer: Some("x".into()),
            }),
            cert(CertProblem::NameMismatch {
                expected: "x".into(),
                presented: vec![],
            }),
            cert(CertProblem::NameMismatch {
                expected: "x".into(),
                presented: vec!["y".into()],
            }),
            cert(CertProblem::Expired { not_after: None }),
            cert(CertProblem::Expired { not_after: Some(1) }),
            cert(CertProblem::NotYetValid { not_before: None }),
            cert(CertProblem::NotYetValid {
                not_before: Some(1),
            }),
            cert(CertProblem::CaUsedAsEndEntity),
            cert(CertProblem::EndEntityUsedAsCa),
            cert(CertProblem::BadSignature),
            cert(CertProblem::UnsupportedAlgorithm),
            cert(CertProblem::Revoked),
            cert(CertProblem::WrongPurpose),
            cert(CertProblem::BadEncoding),
            cert(CertProblem::ConstraintViolated),
            cert(CertProblem::Other { kind: "x".into() }),
            TlsFailure::Handshake {
                message: "x".into(),
            },
        ]
        .into_iter()
        .chain(
            [
                CertAlert::UnknownCa,
                CertAlert::BadCertificate,
                CertAlert::CertificateExpired,
                CertAlert::CertificateRevoked,
                CertAlert::UnsupportedCertificate,
                CertAlert::CertificateUnknown,
            ]
            .map(|alert| TlsFailure::Refused {
                refusal: crate::tls::Refusal::Certificate { alert },
            }),
        )
        .collect()
    }

    fn problems() -> Vec<ClientProblem> {
        let text = || "x".to_string();
        vec![
            ClientProblem::TlsRequired {
                transport: Transport::Plain,
            },
            ClientProblem::TlsRequired {
                transport: Transport::Stls,
            },
            ClientProblem::CleartextLogin { method: text() },
            ClientProblem::UserRefused { text: text() },
            ClientProblem::NoApopTimestamp,
            ClientProblem::SaslNotOffered { mechanism: text() },
            ClientProblem::StlsRefused { text: text() },
            ClientProblem::ErrReply {
                step: text(),
                text: text(),
            },
            ClientProblem::TapFailed {
                conn: 1,
                reason: text(),
            },
            ClientProblem::ServerClosed,
            ClientProblem::Other { message: text() },
        ]
    }

    /// A peer that hangs up mid-exchange is worded in the learner's
    /// language; the system's English words ("Broken pipe (os error 32)")
    /// are kept for the log and for failures without words of their own.
    #[test]
    fn a_session_cut_by_its_peer_is_worded_without_the_systems_english() {
        use crate::pop3::server::{EndReason, IoCause};
        for kind in [
            std::io::ErrorKind::BrokenPipe,
            std::io::ErrorKind::ConnectionReset,
            std::io::ErrorKind::UnexpectedEof,
        ] {
            let e = std::io::Error::from(kind);
            let r = EndReason::Io {
                cause: IoCause::of(&e),
                message: e.to_string(),
            };
            let ja = end_reason(&r, Lang::Ja);
            assert!(!ja.contains(&e.to_string()), "{ja}");
            assert!(!ja.chars().any(|c| c.is_ascii_alphabetic()), "{ja}");
            assert!(
                r.as_str().contains(&e.to_string()),
                "the log keeps the system's words"
            );
        }
        let odd = std::io::Error::other("disk on fire");
        let r = EndReason::Io {
            cause: IoCause::of(&odd),
            message: odd.to_string(),
        };
        assert!(end_reason(&r, Lang::Ja).contains("disk on fire"));
    }

    #[test]
    fn every_client_event_is_worded_in_both_languages_and_each_differently() {
        let mut events = vec![
            ClientEvent::StaysCleartext,
            ClientEvent::Connecting {
                addr: "127.0.0.1:1".parse().unwrap(),
                transport: Transport::Implicit,
            },
            ClientEvent::LoggedIn {
                user: "alice".into(),
                method: crate::pop3::settings::AuthMethod::UserPass,
            },
            ClientEvent::StlsLeftover {
                len: 3,
                preview: "+OK".into(),
                kept: true,
            },
            ClientEvent::StlsLeftover {
                len: 3,
                preview: "+OK".into(),
                kept: false,
            },
        ];
        for trust in [
            Trust::LabCa,
            Trust::SystemRoots,
            Trust::CaFile("ca.pem".into()),
            Trust::InsecureAcceptAny,
        ] {
            events.push(ClientEvent::TlsEstablished {
                summary: crate::tls::SessionSummary {
                    version: "TLSv1_3".into(),
                    suite: "TLS13_AES_128_GCM_SHA256".into(),
                    group: None,
                    sni: None,
                },
                version: Some(super::super::TlsVersion::V1_3),
                chain: vec![],
                trust,
            });
        }
        events.extend(
            tls_failures()
                .into_iter()
                .map(|failure| ClientEvent::TlsFailed { failure }),
        );
        events.extend(
            problems()
                .into_iter()
                .map(|problem| ClientEvent::Error { problem }),
        );
        let mut seen = std::collections::HashSet::new();
        for e in &events {
            let (ja, en) = (client_lines(e, Lang::Ja), client_lines(e, Lang::En));
            assert!(!en.is_empty(), "{e:?}");
            assert_eq!(ja.len(), en.len(), "{e:?}");
            for ((tj, j), (te, t)) in ja.iter().zip(&en) {
                assert_eq!(tj, te, "{e:?}");
                assert_ne!(j, t, "{e:?}");
                assert!(!j.is_ascii(), "{e:?}: {j}");
            }
            assert!(
                seen.insert(en.last().map(|(_, t)| t.clone())),
                "{e:?} worded like another"
            );
        }
        // The protocol lines are each view's to show as they are.
        let received = ClientEvent::Received {
            status: Status::Err,
            text: "no".into(),
            body: None,
            body_len: None,
        };
        assert!(client_lines(&received, Lang::Ja).is_empty());
    }
}

#[cfg(test)]
mod undecodable_words_tests {
    use super::*;
    use crate::wire::dissect::UndecodableReason as U;

    /// One of each reason; the one that carries text carries an escape
    /// sequence, as hostile bytes on the wire could.
    fn every_reason() -> Vec<U> {
        vec![
            U::RecordTooLong {
                offset: 7,
                length: 65535,
                limit: 18432,
            },
            U::NotTlsRecord {
                offset: 6,
                type_byte: 0x55,
                version: 0x5345,
            },
            U::AlertLength { bytes: 3 },
            U::HandshakeCut { bytes: 5 },
            U::UnknownContentType { byte: 99 },
            U::HandshakeTooLong {
                offset: 9,
                length: 70000,
                limit: 65536,
            },
            U::Handshake {
                message: "truncated \u{1b}[2Jhello".into(),
            },
            U::ClientTooFarAhead { limit: 262144 },
            U::ClientLineTooLong { limit: 65536 },
            U::ServerLineTooLong { limit: 65536 },
            U::TooManyPending { limit: 64 },
            U::NotGreeting,
            U::NotReply,
            U::SaslNotBase64,
            U::AuthPlainShape,
        ]
    }

    /// Every reason is worded in both languages, differently, with its
    /// numbers in both, no escape byte from a carried value, and no two
    /// reasons alike.
    #[test]
    fn every_undecodable_reason_is_worded_in_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for r in every_reason() {
            let en = undecodable(&r, Lang::En);
            let ja = undecodable(&r, Lang::Ja);
            for words in [&en, &ja] {
                assert!(
                    !words.is_empty() && !words.contains('\u{1b}'),
                    "{r:?}: {words}"
                );
                assert!(!words.contains("event-undecodable"), "{r:?}: {words}");
            }
            assert_ne!(en, ja, "{r:?}");
            assert!(
                ja.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
                "{r:?}: {ja}"
            );
            for number in ["65535", "0x5345", "70000", "262144"] {
                if en.contains(number) {
                    assert!(ja.contains(number), "{r:?}: {ja}");
                }
            }
            assert!(seen.insert(en), "{r:?} is worded like another reason");
        }
    }

    /// The English words are the ones the dissector used to write.
    #[test]
    fn english_words_are_unchanged() {
        assert_eq!(
            undecodable(&U::UnknownContentType { byte: 99 }, Lang::En),
            "record content type 99 is not one TLS defines"
        );
        assert_eq!(
            undecodable(
                &U::NotTlsRecord {
                    offset: 6,
                    type_byte: 0x55,
                    version: 0x5345
                },
                Lang::En
            ),
            "the bytes at offset 6 are not a TLS record header (type byte 85, version 0x5345); \
             TLS has no marker to find the next record boundary, so the rest of this direction \
             is not decoded"
        );
        assert_eq!(
            undecodable(&U::NotGreeting, Lang::Ja),
            "サーバの最初の行が POP3 の挨拶ではありません"
        );
    }
}

#[cfg(test)]
mod sealed_words_tests {
    use super::*;
    use crate::lab::SealedReason;
    use crate::wire::decrypt::Failure as F;

    /// One of each decryptor failure; those that carry text carry an
    /// escape sequence.
    fn every_failure() -> Vec<F> {
        vec![
            F::NoClientHello,
            F::NoServerHello,
            F::BeforeChangeCipherSpec,
            F::NoKey {
                label: "CLIENT_TRAFFIC_SECRET_0",
                client_random: "ab\u{1b}[2Jcd".into(),
            },
            F::UnsupportedSuite { suite: 0x1304 },
            F::UnsupportedVersion { version: 0x0301 },
            F::TooShort { len: 7 },
            F::TagMismatch,
            F::NoContentType,
            F::Framing {
                reason: "lost \u{1b}]0;x\u{7}".into(),
            },
        ]
    }

    /// Every reason is worded in both languages, differently, with no
    /// escape byte from a carried value; the English is the decryptor's own
    /// wording, so the screen and `Failure`'s message never drift apart.
    #[test]
    fn every_sealed_reason_is_worded_in_both_languages() {
        let mut reasons = vec![SealedReason::NoRecord];
        reasons.extend(
            every_failure()
                .into_iter()
                .map(|failure| SealedReason::Failed { failure }),
        );
        let mut seen = std::collections::HashSet::new();
        for r in &reasons {
            let en = sealed_reason(r, Lang::En);
            let ja = sealed_reason(r, Lang::Ja);
            for words in [&en, &ja] {
                assert!(
                    !words.is_empty() && !words.contains('\u{1b}'),
                    "{r:?}: {words}"
                );
                assert!(!words.contains("event-sealed"), "{r:?}: {words}");
            }
            assert_ne!(en, ja, "{r:?}");
            if let SealedReason::Failed { failure } = r {
                assert_eq!(en, crate::sanitize::visible(&failure.to_string()), "{r:?}");
            }
            assert!(seen.insert(en), "{r:?} is worded like another reason");
        }
        assert_eq!(
            sealed_reason(&SealedReason::NoRecord, Lang::En),
            "no TLS record crossed on this connection"
        );
    }
}

#[cfg(test)]
mod upstream_words_tests {
    use super::*;
    use crate::wire::tap::UpstreamFailure;

    /// The attacker's own reason is worded in Japanese with no English
    /// left in it; rustls's words stay as they are, inside Japanese.
    #[test]
    fn the_attackers_own_reason_is_japanese() {
        let ja = upstream_failure(&UpstreamFailure::NoCertificate, Lang::Ja);
        assert!(!ja.chars().any(|c| c.is_ascii_alphabetic()), "{ja}");
        assert_eq!(
            upstream_failure(&UpstreamFailure::NoCertificate, Lang::En),
            "the attacker has no certificate to present"
        );
        let tls = UpstreamFailure::Tls {
            message: "received fatal alert: \u{1b}[31mHandshakeFailure".into(),
        };
        let ja = upstream_failure(&tls, Lang::Ja);
        assert!(ja.starts_with("TLS の接続に失敗しました: "), "{ja}");
        assert!(!ja.contains('\u{1b}'), "{ja}");
    }
}
