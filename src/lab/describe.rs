//! Events in words, for every view of the lab: the screen's panes and
//! `popscope demo`'s transcript say the same thing the same way.
//!
//! Most of these words carry bytes another party chose (a user name, a
//! password, a subject, an SNI), so every text returned here has already
//! passed through [`crate::sanitize::visible`].

use crate::lang::Lang;
use crate::pop3::server::ServerEvent;
use crate::pop3::settings::{Transport, Trust};
use crate::tls::CertProblem;

use super::{ClientEvent, ClientProblem, TlsFailure};
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

/// An attacker's event as one line in English, or `None` for events shown
/// otherwise (plaintext the attacker read is shown as chunks of its own,
/// and the search's progress as a bar).
pub fn attack_line(e: &super::AttackEvent) -> Option<String> {
    attack_line_in(e, Lang::En)
}

/// An attacker's event as one line in `lang`. Text another party chose (a
/// reason from the client, a record's plaintext) is quoted as it is.
pub fn attack_line_in(e: &super::AttackEvent, lang: Lang) -> Option<String> {
    let words = match lang {
        Lang::En => attack_words(e),
        Lang::Ja => attack_words_ja(e),
    };
    words.map(|t| visible(&t).into_owned())
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
            crate::attack::crack::say_rate(*rate)
        ),
        A::Verdict { succeeded, why, .. } => format!(
            "ATTACK {}: {why}",
            if *succeeded { "SUCCEEDED" } else { "FAILED" }
        ),
    })
}

/// The same events in Japanese. The verdict's reason and the client's
/// refusal carry words from other parts (the client's error, rustls) that
/// are still English; the next issue moves those into the catalogue.
fn attack_words_ja(e: &super::AttackEvent) -> Option<String> {
    use super::AttackEvent as A;
    use crate::wire::tap::AttackNote as N;
    Some(match e {
        A::Armed { attack } => format!("攻撃者が経路上にいます: {}", attack_name_ja(*attack)),
        A::Acted { note, .. } => match note {
            N::Removed { line, what, .. } => format!("{line:?} を削除しました ({what})"),
            N::Answered { line, answer } => {
                format!("{line:?} をサーバに渡さず、自分で {answer:?} と答えました")
            }
            N::Injected { dir, text } => format!("{} に {text:?} を注入しました", dir.arrow()),
            N::Presented { name, issuer } => {
                format!("{name} 用の証明書を提示しました (発行者 '{issuer}')")
            }
            N::ClientRefused { reason } => format!("クライアントが拒否しました: {reason}"),
            N::UpstreamTls { version, suite } => {
                format!("本物のサーバへ自分の TLS を張りました ({version}, {suite})")
            }
            N::UpstreamFailed { reason } => format!("サーバに接続できませんでした: {reason}"),
            N::Read { .. } => return None,
        },
        A::Learned { means, leak, .. } => {
            let (_, text) = leak_words(leak)?;
            let how = match means {
                super::Means::Cleartext => "平文から",
                super::Means::ForgedTls => "偽の TLS の内側から",
                super::Means::StolenKeys => "盗んだ鍵で復号して",
                super::Means::Guessing => "推測で",
            };
            format!("{how}読み取りました: {text}")
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
                "{} のレコード #{seq} を復号 ({content}, {len} バイト): {first}",
                dir.arrow()
            )
        }
        A::Sealed {
            records, reason, ..
        } => format!("{records} 個のレコードは開けませんでした: {reason}"),
        A::CrackStarted { user, candidates } => format!(
            "{user} の APOP パスワードをオフラインで推測しています{}",
            candidates
                .map(|n| format!(" (候補 {n} 個)"))
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
            "{tried} 回の推測 ({:.2} 秒、毎秒 {:.0} 回) で{}",
            elapsed.as_secs_f64(),
            rate,
            if found.is_some() {
                "見つかりました"
            } else {
                "見つかりませんでした"
            }
        ),
        A::Verdict { succeeded, why, .. } => {
            format!("攻撃{}: {why}", if *succeeded { "成功" } else { "失敗" })
        }
    })
}

/// The reason for a verdict, in `lang`.
pub fn why_in(reason: &super::Why, lang: Lang) -> String {
    let text = match lang {
        Lang::En => why_en(reason),
        Lang::Ja => why_ja(reason),
    };
    visible(&text).into_owned()
}

fn why_en(reason: &super::Why) -> String {
    use super::{Means, Prize, Side, Why as W};
    match reason {
        W::Captured { prize, means } => {
            let what = match prize {
                Prize::Password => "the password",
                Prize::ApopDigest => "the APOP digest (open to offline guessing)",
            };
            let how = match means {
                Means::Cleartext => "in cleartext: the client went on without TLS",
                Means::ForgedTls => {
                    "inside the attacker's own TLS (the client accepted its certificate)"
                }
                Means::StolenKeys => "inside TLS, decrypted with the stolen key log",
                Means::Guessing => "by guessing offline",
            };
            format!("{what} captured {how}")
        }
        W::ForgedReplyTaken { status } => format!(
            "the client took a reply the server never sent (\"{status}\"), because it kept \
             bytes from before the handshake"
        ),
        W::InjectionRan { text } => format!(
            "the server ran {text:?}, sent in cleartext by the attacker, as if the client had \
             sent it inside TLS"
        ),
        W::ClientRefused { problem } => {
            format!("the client refused: {}", client_problem(problem, Lang::En))
        }
        W::CertificateRefused { failure } => format!(
            "the client refused the attacker's certificate: {}",
            tls_failure(failure, Lang::En)
        ),
        W::ClientStopped { problem } => {
            format!("the client stopped: {}", client_problem(problem, Lang::En))
        }
        W::Discarded { by } if by.is_empty() => {
            "the injected bytes had no effect: they were discarded at the switch to TLS".into()
        }
        W::Discarded { by } => {
            let who: Vec<&str> = by
                .iter()
                .map(|s| match s {
                    Side::Client => "the client",
                    Side::Server => "the server",
                })
                .collect();
            format!("{} threw the injected bytes away", who.join(" and "))
        }
        W::NothingToStrip => "the session never offered the attacker a cleartext STLS to \
                              remove (POP3S starts with TLS)"
            .into(),
        W::Sealed { reason } => format!("the records stay sealed: {reason}"),
        W::Cracked {
            user,
            password,
            tried,
        } => format!(
            "{user}'s password is {password} (found after {tried} guesses, offline; the server \
             never saw a failed login)"
        ),
        W::NotCracked { tried, estimate } => format!(
            "not in the word list ({tried} guesses){}",
            estimate
                .as_deref()
                .map(|e| format!("; {e}"))
                .unwrap_or_default()
        ),
        W::NoApopLogin => "no APOP login crossed the wire, so there is no digest to guess \
                           against (the apop scenario logs in with APOP)"
            .into(),
        W::ConnectionEnded => "the connection ended and the attacker learned no secret".into(),
        W::NoSecret => "the attacker learned no secret".into(),
    }
}

fn why_ja(reason: &super::Why) -> String {
    use super::{Means, Prize, Side, Why as W};
    match reason {
        W::Captured { prize, means } => {
            let what = match prize {
                Prize::Password => "パスワード",
                Prize::ApopDigest => "APOP のダイジェスト(オフラインで推測できます)",
            };
            let how = match means {
                Means::Cleartext => "平文で: クライアントは TLS なしで続けました",
                Means::ForgedTls => {
                    "攻撃者自身の TLS の内側で(クライアントが攻撃者の証明書を受け入れました)"
                }
                Means::StolenKeys => "TLS の内側を、盗んだ鍵ログで復号して",
                Means::Guessing => "オフラインの推測で",
            };
            format!("{what}を手に入れました、{how}")
        }
        W::ForgedReplyTaken { status } => format!(
            "クライアントは、サーバが送っていない応答(\"{status}\")を受け取りました。ハンドシェイク前のバイトを捨てなかったためです"
        ),
        W::InjectionRan { text } => format!(
            "攻撃者が平文で送った {text:?} を、サーバはクライアントが TLS の中で送ったかのように実行しました"
        ),
        W::ClientRefused { problem } => format!(
            "クライアントが拒否しました: {}",
            client_problem(problem, Lang::Ja)
        ),
        W::CertificateRefused { failure } => format!(
            "クライアントは攻撃者の証明書を拒否しました: {}",
            tls_failure(failure, Lang::Ja)
        ),
        W::ClientStopped { problem } => format!(
            "クライアントが止まりました: {}",
            client_problem(problem, Lang::Ja)
        ),
        W::Discarded { by } if by.is_empty() => {
            "注入したバイトは効きませんでした: TLS へ切り替わるときに捨てられました".into()
        }
        W::Discarded { by } => {
            let who: Vec<&str> = by
                .iter()
                .map(|s| match s {
                    Side::Client => "クライアント",
                    Side::Server => "サーバ",
                })
                .collect();
            format!("{}が注入したバイトを捨てました", who.join("と"))
        }
        W::NothingToStrip => {
            "消せる平文の STLS がありませんでした(POP3S は最初から TLS です)".into()
        }
        W::Sealed { reason } => format!("レコードは閉じたままです: {reason}"),
        W::Cracked {
            user,
            password,
            tried,
        } => format!(
            "{user} のパスワードは {password} です({tried} 回の推測で、オフラインで見つかりました。サーバはログイン失敗を一度も見ていません)"
        ),
        W::NotCracked { tried, estimate } => format!(
            "単語リストにありませんでした({tried} 回の推測){}",
            estimate
                .as_deref()
                .map(|e| format!("。{e}"))
                .unwrap_or_default()
        ),
        W::NoApopLogin => {
            "APOP のログインが経路を通らなかったので、推測の対象になるダイジェストがありません(apop のシナリオが APOP でログインします)".into()
        }
        W::ConnectionEnded => "接続は終わり、攻撃者は秘密を何も得られませんでした".into(),
        W::NoSecret => "攻撃者は秘密を何も得られませんでした".into(),
    }
}

/// An attack's name in `lang`.
pub fn attack_name_in(a: crate::attack::Attack, lang: Lang) -> &'static str {
    match lang {
        Lang::En => attack_name(a),
        Lang::Ja => attack_name_ja(a),
    }
}

/// An attack's name in Japanese.
pub fn attack_name_ja(a: crate::attack::Attack) -> &'static str {
    use crate::attack::Attack as K;
    match a {
        K::StripStls => "STLS の削除 (ストリッピング)",
        K::ForgeCert => "偽の証明書",
        K::WrongName => "別の名前の証明書",
        K::Inject => "STARTTLS コマンド注入",
        K::StealKeys => "盗まれたセッション鍵",
        K::Crack => "APOP のオフライン辞書攻撃",
    }
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
            crate::tr!(
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
                Some(c) => crate::tr!(
                    lang,
                    "event-client-certificate",
                    subject = c.subject.as_str(),
                    issuer = c.issuer.as_str(),
                    checked = checked
                ),
                None => crate::tr!(lang, "event-client-no-certificate", checked = checked),
            };
            vec![
                (
                    Tone::Good,
                    crate::tr!(lang, "event-client-tls-up", summary = summary.to_string()),
                ),
                (Tone::Good, cert),
            ]
        }
        ClientEvent::TlsFailed { failure } => vec![(
            Tone::Bad,
            crate::tr!(
                lang,
                "event-client-tls-failed",
                reason = tls_failure(failure, lang)
            ),
        )],
        ClientEvent::LoggedIn { user, method } => vec![(
            Tone::Good,
            crate::tr!(
                lang,
                "event-client-logged-in",
                user = user.as_str(),
                method = method.name()
            ),
        )],
        ClientEvent::StlsLeftover { len, preview, kept } => {
            let preview = format!("{preview:?}");
            let text = if *kept {
                crate::tr!(
                    lang,
                    "event-client-leftover-kept",
                    n = *len,
                    preview = preview
                )
            } else {
                crate::tr!(
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
            crate::tr!(
                lang,
                "event-client-error",
                problem = client_problem(problem, lang)
            ),
        )],
        ClientEvent::StaysCleartext => {
            vec![(Tone::Bad, crate::tr!(lang, "event-client-stays-cleartext"))]
        }
    }
}

/// "[+ 320 bytes of data]": how much body came with a reply, for a view
/// that does not show the body itself.
pub fn body_size(len: usize, lang: Lang) -> String {
    crate::tr!(lang, "event-client-body-size", n = len)
}

/// What the client checked the server's certificate against, in `lang`.
pub fn trust_checked(trust: &Trust, lang: Lang) -> String {
    match trust {
        Trust::LabCa => crate::tr!(lang, "event-client-checked-lab-ca"),
        Trust::SystemRoots => crate::tr!(lang, "event-client-checked-system"),
        Trust::CaFile(p) => crate::tr!(
            lang,
            "event-client-checked-file",
            path = p.display().to_string()
        ),
        Trust::InsecureAcceptAny => crate::tr!(lang, "event-client-not-checked"),
    }
}

/// Why a handshake failed, in `lang`.
pub fn tls_failure(f: &TlsFailure, lang: Lang) -> String {
    match f {
        TlsFailure::Certificate { problem } => crate::tr!(
            lang,
            "event-tls-certificate-failed",
            problem = cert_problem(problem, lang)
        ),
        TlsFailure::Handshake { message } => crate::tr!(
            lang,
            "event-tls-handshake-failed",
            message = message.as_str()
        ),
    }
}

/// What was wrong with a certificate, in `lang`: its short name first
/// (what to search for), then what it means here and what to do.
pub fn cert_problem(p: &CertProblem, lang: Lang) -> String {
    use crate::tls::utc_date;
    match p {
        CertProblem::UnknownIssuer { issuer: None } => {
            crate::tr!(lang, "event-cert-unknown-issuer")
        }
        CertProblem::UnknownIssuer {
            issuer: Some(issuer),
        } => crate::tr!(
            lang,
            "event-cert-unknown-issuer-named",
            issuer = issuer.as_str()
        ),
        CertProblem::NameMismatch {
            expected,
            presented,
        } if presented.is_empty() => crate::tr!(
            lang,
            "event-cert-name-mismatch",
            expected = expected.as_str()
        ),
        CertProblem::NameMismatch {
            expected,
            presented,
        } => crate::tr!(
            lang,
            "event-cert-name-mismatch-listed",
            expected = expected.as_str(),
            names = presented.join(", ")
        ),
        CertProblem::Expired { not_after: Some(t) } => {
            crate::tr!(lang, "event-cert-expired-on", date = utc_date(*t))
        }
        CertProblem::Expired { not_after: None } => crate::tr!(lang, "event-cert-expired"),
        CertProblem::NotYetValid {
            not_before: Some(t),
        } => crate::tr!(lang, "event-cert-not-yet-valid-from", date = utc_date(*t)),
        CertProblem::NotYetValid { not_before: None } => {
            crate::tr!(lang, "event-cert-not-yet-valid")
        }
        CertProblem::CaUsedAsEndEntity => crate::tr!(lang, "event-cert-ca-as-server"),
        CertProblem::EndEntityUsedAsCa => crate::tr!(lang, "event-cert-server-as-ca"),
        CertProblem::BadSignature => crate::tr!(lang, "event-cert-bad-signature"),
        CertProblem::UnsupportedAlgorithm => crate::tr!(lang, "event-cert-unsupported-algorithm"),
        CertProblem::Revoked => crate::tr!(lang, "event-cert-revoked"),
        CertProblem::WrongPurpose => crate::tr!(lang, "event-cert-wrong-purpose"),
        CertProblem::BadEncoding => crate::tr!(lang, "event-cert-bad-encoding"),
        CertProblem::ConstraintViolated => crate::tr!(lang, "event-cert-constraint-violated"),
        CertProblem::Other { kind } => {
            crate::tr!(lang, "event-cert-other", kind = kind.as_str())
        }
    }
}

/// Why the client stopped, in `lang`.
pub fn client_problem(p: &ClientProblem, lang: Lang) -> String {
    match p {
        ClientProblem::TlsRequired {
            transport: Transport::Plain,
        } => crate::tr!(lang, "event-client-tls-required-plain"),
        ClientProblem::TlsRequired { .. } => crate::tr!(lang, "event-client-tls-required-no-stls"),
        ClientProblem::CleartextLogin { method } => crate::tr!(
            lang,
            "event-client-cleartext-login",
            method = method.as_str()
        ),
        ClientProblem::UserRefused { text } => {
            crate::tr!(lang, "event-client-user-refused", text = text.as_str())
        }
        ClientProblem::NoApopTimestamp => crate::tr!(lang, "event-client-no-apop-timestamp"),
        ClientProblem::SaslNotOffered { mechanism } => crate::tr!(
            lang,
            "event-client-sasl-not-offered",
            mechanism = mechanism.as_str()
        ),
        ClientProblem::StlsRefused { text } => {
            crate::tr!(lang, "event-client-stls-refused", text = text.as_str())
        }
        ClientProblem::ErrReply { step, text } => crate::tr!(
            lang,
            "event-client-err-reply",
            step = step.as_str(),
            text = text.as_str()
        ),
        ClientProblem::Tls { failure } => tls_failure(failure, lang),
        ClientProblem::TapFailed { conn, reason } => crate::tr!(
            lang,
            "event-client-tap-failed",
            conn = *conn,
            reason = reason.as_str()
        ),
        ClientProblem::Other { message } => {
            crate::tr!(lang, "event-client-other", message = message.as_str())
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
                what: "STLS in the CAPA reply".into(),
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
                issuer: "popscope attacker CA".into(),
            }),
            note(AttackNote::ClientRefused {
                reason: "unknown CA".into(),
            }),
            note(AttackNote::UpstreamTls {
                version: "TLSv1_3".into(),
                suite: "TLS13_AES_128_GCM_SHA256".into(),
            }),
            note(AttackNote::UpstreamFailed {
                reason: "refused".into(),
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
                reason: "no key".into(),
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
            Why::Sealed { reason: text() },
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
