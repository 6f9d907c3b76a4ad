//! One test (or more) for every RFC rule the server follows, run against
//! the sans-IO session on a real Maildir in a temporary directory.

use super::*;
use crate::pop3::framing::{encode_body, unstuff};
use base64::Engine;
use proptest::prelude::*;
use std::path::Path;

struct Lab {
    dir: tempfile::TempDir,
    backend: Arc<Backend>,
}

/// What one line produced, rendered as the connection loop would send it.
#[derive(Debug, Default)]
struct Answer {
    bytes: Vec<u8>,
    delayed: bool,
    start_tls: bool,
    close: bool,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    fn ok(&self) -> bool {
        self.bytes.starts_with(b"+OK")
    }
}

const MSG1: &str = "From: a@example.net\nSubject: one\n\nfirst line\n.\n..x\nlast\n";
const MSG2: &str = "From: b@example.net\r\nSubject: two\r\n\r\nbody\r\n";

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("alice/cur");
    std::fs::create_dir_all(&cur).unwrap();
    std::fs::write(cur.join("1000.M1P1.test:2,S"), MSG1).unwrap();
    std::fs::write(cur.join("1001.M2P1.test:2,S"), MSG2).unwrap();
    std::fs::create_dir_all(dir.path().join("bob/cur")).unwrap();
    let mut users = Users::new();
    users.insert("alice", "wonderland");
    users.insert("bob", "builder");
    let backend = Arc::new(Backend {
        users,
        store: Store::new(dir.path()),
    });
    Lab { dir, backend }
}

fn config(f: impl FnOnce(&mut SessionConfig)) -> Arc<SessionConfig> {
    let mut c = SessionConfig {
        stls_available: true,
        ..SessionConfig::default()
    };
    f(&mut c);
    Arc::new(c)
}

impl Lab {
    fn session(&self) -> Session {
        Session::new(config(|_| {}), Arc::clone(&self.backend), false)
    }
    fn session_with(&self, f: impl FnOnce(&mut SessionConfig), tls: bool) -> Session {
        Session::new(config(f), Arc::clone(&self.backend), tls)
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn send(s: &mut Session, line: &str) -> Answer {
    let out = s.handle(Line::Complete(line.as_bytes().to_vec()));
    carry_out(s, out)
}

/// Carry out outputs as the connection loop does, running disk jobs in
/// line (the loop runs them on its blocking pool).
fn carry_out(s: &mut Session, outputs: Vec<Output>) -> Answer {
    let mut a = Answer::default();
    let mut todo = std::collections::VecDeque::from(outputs);
    while let Some(out) = todo.pop_front() {
        match out {
            Output::Send(b) => a.bytes.extend(b),
            Output::Disk(job) => {
                let done = job.run(&AtomicBool::new(false));
                for o in s.disk_done(done).into_iter().rev() {
                    todo.push_front(o);
                }
            }
            Output::SendMessage { mut message, top } => {
                let mut raw = Vec::new();
                let mut chunk = Vec::new();
                while !message.is_done() {
                    message.next_chunk(&mut chunk).unwrap();
                    raw.extend_from_slice(&chunk);
                }
                a.bytes.extend(encode_body(&raw, top));
            }
            Output::Delay(_) => a.delayed = true,
            Output::StartTls => a.start_tls = true,
            Output::Close => a.close = true,
        }
    }
    a
}

fn login(s: &mut Session) {
    assert!(send(s, "USER alice").ok());
    let a = send(s, "PASS wonderland");
    assert!(a.ok(), "{}", a.text());
}

/// The multi-line body of a reply, unstuffed, without the status line.
fn body(a: &Answer) -> Vec<u8> {
    let start = a.bytes.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    unstuff(&a.bytes[start..]).expect("multi-line reply ends with .CRLF")
}

// RFC 1939 §4: the server greets first, and §7: the greeting carries a
// timestamp unique to this greeting.
#[test]
fn greeting_has_a_unique_apop_timestamp() {
    let lab = lab();
    let a = lab.session();
    let b = lab.session();
    let g = String::from_utf8(a.greeting()).unwrap();
    assert!(g.starts_with("+OK "));
    assert!(g.ends_with(">\r\n"));
    assert!(g.contains(a.timestamp()));
    assert!(a.timestamp().starts_with('<') && a.timestamp().contains("@localhost>"));
    assert_ne!(a.timestamp(), b.timestamp());
}

// RFC 1939 §3: commands valid only in some states get -ERR elsewhere.
#[test]
fn commands_in_the_wrong_state_are_refused() {
    let lab = lab();
    let mut s = lab.session();
    for cmd in [
        "STAT", "LIST", "RETR 1", "DELE 1", "RSET", "TOP 1 0", "UIDL", "NOOP",
    ] {
        let a = send(&mut s, cmd);
        assert!(a.text().starts_with("-ERR"), "{cmd}: {}", a.text());
    }
    assert_eq!(s.state(), StateName::Authorization);
    login(&mut s);
    assert_eq!(s.state(), StateName::Transaction);
    for cmd in [
        "USER alice",
        "PASS x",
        "APOP alice 0123",
        "AUTH PLAIN",
        "STLS",
    ] {
        assert!(send(&mut s, cmd).text().starts_with("-ERR"), "{cmd}");
    }
    assert!(send(&mut s, "NOOP").ok());
}

#[test]
fn pass_needs_user_first() {
    let lab = lab();
    let mut s = lab.session();
    assert!(send(&mut s, "PASS wonderland").text().starts_with("-ERR"));
}

// RFC 3206: a bad login is answered [AUTH], after the configured delay.
#[test]
fn bad_password_gets_auth_code_after_a_delay() {
    let lab = lab();
    let mut s = lab.session();
    send(&mut s, "USER alice");
    let a = send(&mut s, "PASS Wonderland");
    assert!(a.text().starts_with("-ERR [AUTH]"), "{}", a.text());
    assert!(a.delayed);
    // Unknown users get exactly the same answer.
    send(&mut s, "USER mallory");
    let b = send(&mut s, "PASS wonderland");
    assert_eq!(a.text(), b.text());
    assert_eq!(s.state(), StateName::Authorization);
    let mut quick = lab.session_with(|c| c.login_delay = Duration::ZERO, false);
    send(&mut quick, "USER alice");
    assert!(!send(&mut quick, "PASS nope").delayed);
}

#[test]
fn too_many_failures_close_the_connection() {
    let lab = lab();
    let mut s = lab.session_with(|c| c.login_delay = Duration::ZERO, false);
    for i in 1..=5 {
        send(&mut s, "USER alice");
        let a = send(&mut s, "PASS nope");
        assert_eq!(a.close, i == 5, "failure {i}");
    }
}

// RFC 1939 §7: APOP with MD5(timestamp + secret).
#[test]
fn apop_logs_in_with_the_greeting_timestamp() {
    let lab = lab();
    let mut s = lab.session();
    let digest = auth::apop_digest(s.timestamp(), "wonderland");
    let wrong = auth::apop_digest("<1.1@elsewhere>", "wonderland");
    assert!(
        send(&mut s, &format!("APOP alice {wrong}"))
            .text()
            .starts_with("-ERR [AUTH]")
    );
    let a = send(&mut s, &format!("APOP alice {digest}"));
    assert!(a.ok(), "{}", a.text());
    assert_eq!(s.user(), Some("alice"));
    let notes = s.take_notes();
    assert!(notes.contains(&Note::LoggedIn {
        user: "alice".into(),
        method: LoginMethod::Apop
    }));
    assert_eq!(
        notes.last(),
        Some(&Note::StateChanged(StateName::Transaction))
    );
}

// RFC 1939: STAT, LIST and sizes in octets with CRLF line ends.
#[test]
fn stat_and_list_count_octets_with_crlf() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    // MSG1 has 7 LF-ended lines, so it grows by 7 octets on the wire.
    let s1 = MSG1.len() + 7;
    let s2 = MSG2.len();
    assert_eq!(
        send(&mut s, "STAT").text(),
        format!("+OK 2 {}\r\n", s1 + s2)
    );
    let list = send(&mut s, "LIST");
    assert!(
        list.text()
            .starts_with(&format!("+OK 2 messages ({} octets)\r\n", s1 + s2))
    );
    assert_eq!(body(&list), format!("1 {s1}\r\n2 {s2}\r\n").into_bytes());
    assert_eq!(send(&mut s, "LIST 2").text(), format!("+OK 2 {s2}\r\n"));
    assert!(
        send(&mut s, "LIST 3")
            .text()
            .starts_with("-ERR no such message")
    );
    assert!(send(&mut s, "LIST 0").text().starts_with("-ERR"));
    // The size LIST gives is exactly what RETR sends, before stuffing.
    let retr = send(&mut s, "RETR 1");
    assert_eq!(body(&retr).len(), s1);
    assert!(retr.text().starts_with(&format!("+OK {s1} octets\r\n")));
}

// RFC 1939 §3: data lines starting with "." are byte-stuffed.
#[test]
fn retr_stuffs_leading_dots() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    let a = send(&mut s, "RETR 1");
    assert!(
        a.text()
            .contains("\r\nfirst line\r\n..\r\n...x\r\nlast\r\n.\r\n")
    );
    assert_eq!(body(&a), MSG1.replace('\n', "\r\n").into_bytes());
}

#[test]
fn top_sends_headers_and_n_lines() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    let a = send(&mut s, "TOP 1 0");
    assert_eq!(
        body(&a),
        b"From: a@example.net\r\nSubject: one\r\n\r\n".to_vec()
    );
    let b = send(&mut s, "TOP 1 2");
    assert_eq!(
        body(&b),
        b"From: a@example.net\r\nSubject: one\r\n\r\nfirst line\r\n.\r\n".to_vec()
    );
    assert!(send(&mut s, "TOP 9 1").text().starts_with("-ERR"));
}

// RFC 1939 §7: UIDL ids are unique and the same in every session.
#[test]
fn uidl_is_stable_across_sessions() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    let first = body(&send(&mut s, "UIDL"));
    assert_eq!(first, b"1 1000.M1P1.test\r\n2 1001.M2P1.test\r\n".to_vec());
    assert_eq!(send(&mut s, "UIDL 2").text(), "+OK 2 1001.M2P1.test\r\n");
    send(&mut s, "QUIT");
    let mut again = lab.session();
    login(&mut again);
    assert_eq!(body(&send(&mut again, "UIDL")), first);
}

// RFC 1939 §5 and §6: DELE marks, RSET unmarks, QUIT applies.
#[test]
fn dele_marks_and_quit_applies() {
    let lab = lab();
    let m1 = lab.path().join("alice/cur/1000.M1P1.test:2,S");
    let mut s = lab.session();
    login(&mut s);
    assert!(send(&mut s, "DELE 1").ok());
    assert!(
        send(&mut s, "DELE 1")
            .text()
            .starts_with("-ERR message 1 already deleted")
    );
    assert!(send(&mut s, "RETR 1").text().starts_with("-ERR"));
    assert!(send(&mut s, "LIST 1").text().starts_with("-ERR"));
    assert_eq!(
        body(&send(&mut s, "LIST")),
        format!("2 {}\r\n", MSG2.len()).into_bytes()
    );
    assert!(send(&mut s, "STAT").text().starts_with("+OK 1 "));
    let r = send(&mut s, "RSET");
    assert!(r.text().starts_with("+OK maildrop has 2 messages"));
    send(&mut s, "DELE 1");
    assert!(m1.exists(), "DELE alone removes nothing");
    let q = send(&mut s, "QUIT");
    assert!(q.ok() && q.close, "{}", q.text());
    assert!(q.text().contains("1 messages deleted"));
    assert_eq!(s.state(), StateName::Update);
    assert!(!m1.exists());
    let mut again = lab.session();
    login(&mut again);
    assert!(send(&mut again, "STAT").text().starts_with("+OK 1 "));
}

// A session that ends without QUIT never reaches UPDATE.
#[test]
fn a_session_dropped_without_quit_deletes_nothing() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    send(&mut s, "DELE 1");
    send(&mut s, "DELE 2");
    drop(s);
    let mut again = lab.session();
    login(&mut again);
    assert!(send(&mut again, "STAT").text().starts_with("+OK 2 "));
}

#[test]
fn quit_before_login_closes_without_update() {
    let lab = lab();
    let mut s = lab.session();
    let a = send(&mut s, "QUIT");
    assert!(a.ok() && a.close);
}

// RFC 1939 §8: one session per maildrop; RFC 2449: [IN-USE].
#[test]
fn a_locked_maildrop_answers_in_use() {
    let lab = lab();
    let mut first = lab.session();
    login(&mut first);
    let mut second = lab.session();
    send(&mut second, "USER alice");
    let a = send(&mut second, "PASS wonderland");
    assert!(a.text().starts_with("-ERR [IN-USE]"), "{}", a.text());
    assert!(!a.delayed, "IN-USE is answered at once");
    assert_eq!(second.state(), StateName::Authorization);
    send(&mut first, "QUIT");
    login(&mut second);
}

// RFC 2449: CAPA and its capabilities; STLS only on the cleartext port
// before TLS (RFC 2595).
#[test]
fn capa_lists_the_capabilities() {
    let lab = lab();
    let mut s = lab.session();
    let a = send(&mut s, "CAPA");
    let caps: Vec<String> = String::from_utf8(body(&a))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    for c in [
        "TOP",
        "USER",
        "UIDL",
        "SASL PLAIN",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "PIPELINING",
        "STLS",
    ] {
        assert!(caps.iter().any(|l| l == c), "{c} missing in {caps:?}");
    }
    assert!(
        caps.iter()
            .any(|l| l.starts_with("IMPLEMENTATION popscope-"))
    );
    // The POP3S port never offers STLS.
    let mut tls = lab.session_with(|_| {}, true);
    assert!(!send(&mut tls, "CAPA").text().contains("STLS"));
    // A server without a certificate cannot offer it either.
    let mut bare = lab.session_with(|c| c.stls_available = false, false);
    assert!(!send(&mut bare, "CAPA").text().contains("STLS"));
    assert!(send(&mut bare, "STLS").text().starts_with("-ERR"));
    // After login STLS is gone too.
    login(&mut s);
    assert!(!send(&mut s, "CAPA").text().contains("STLS"));
}

// RFC 2595 §4: after TLS starts, the pre-TLS state is forgotten, STLS is
// no longer listed, and a second STLS is refused.
#[test]
fn stls_resets_the_session() {
    let lab = lab();
    let mut s = lab.session();
    send(&mut s, "USER alice");
    let a = send(&mut s, "STLS");
    assert!(a.ok() && a.start_tls);
    s.tls_started();
    assert!(s.is_tls());
    assert!(!send(&mut s, "CAPA").text().contains("STLS"));
    assert!(send(&mut s, "STLS").text().starts_with("-ERR"));
    // The USER sent in cleartext does not carry over.
    assert!(
        send(&mut s, "PASS wonderland")
            .text()
            .starts_with("-ERR send USER first")
    );
    login(&mut s);
}

// RFC 5034: AUTH PLAIN with and without an initial response; "*" cancels.
#[test]
fn auth_plain_in_all_its_forms() {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let lab = lab();
    let mut s = lab.session();
    let a = send(
        &mut s,
        &format!("AUTH PLAIN {}", b64("\0alice\0wonderland")),
    );
    assert!(a.ok(), "{}", a.text());
    send(&mut s, "QUIT");

    let mut s = lab.session();
    assert_eq!(send(&mut s, "AUTH PLAIN").text(), "+ \r\n");
    assert!(send(&mut s, &b64("alice\0alice\0wonderland")).ok());
    send(&mut s, "QUIT");

    let mut s = lab.session();
    send(&mut s, "AUTH PLAIN");
    assert!(send(&mut s, "*").text().starts_with("-ERR"));
    // After the cancel, the next line is a command again.
    assert!(send(&mut s, "CAPA").ok());

    let mut s = lab.session();
    send(&mut s, "AUTH PLAIN");
    assert!(send(&mut s, "!!notbase64").text().starts_with("-ERR"));
    let bad = send(&mut s, &format!("AUTH PLAIN {}", b64("\0alice\0nope")));
    assert!(bad.text().starts_with("-ERR [AUTH]"));
    // Acting as someone else is not allowed.
    let other = send(
        &mut s,
        &format!("AUTH PLAIN {}", b64("bob\0alice\0wonderland")),
    );
    assert!(other.text().starts_with("-ERR [AUTH]"));
    assert!(send(&mut s, "AUTH CRAM-MD5").text().starts_with("-ERR"));
    let list = send(&mut s, "AUTH");
    assert!(list.ok() && body(&list) == b"PLAIN\r\n");
}

// RFC 2595 §2.3: a server may refuse cleartext login before TLS.
#[test]
fn cleartext_login_can_be_refused_until_tls() {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let lab = lab();
    let mut s = lab.session_with(|c| c.cleartext_login = false, false);
    let capa = send(&mut s, "CAPA").text();
    assert!(
        !capa.contains("\r\nUSER\r\n") && !capa.contains("SASL PLAIN") && capa.contains("STLS")
    );
    assert!(send(&mut s, "USER alice").text().starts_with("-ERR [AUTH]"));
    assert!(
        send(&mut s, "PASS wonderland")
            .text()
            .starts_with("-ERR [AUTH]")
    );
    assert!(
        send(
            &mut s,
            &format!("AUTH PLAIN {}", b64("\0alice\0wonderland"))
        )
        .text()
        .starts_with("-ERR [AUTH]")
    );
    send(&mut s, "STLS");
    s.tls_started();
    assert!(send(&mut s, "CAPA").text().contains("\r\nUSER\r\n"));
    login(&mut s);
}

// RFC 2449 §4: lines over 255 octets get -ERR and the session goes on.
#[test]
fn an_overlong_line_gets_err_and_the_session_continues() {
    let lab = lab();
    let mut s = lab.session();
    let out = s.handle(Line::TooLong);
    assert!(matches!(&out[..], [Output::Send(b)] if b.starts_with(b"-ERR")));
    login(&mut s);
}

#[test]
fn reply_lines_never_exceed_512_octets() {
    let long = "x".repeat(2000);
    assert_eq!(line(false, &long).len(), MAX_REPLY_LINE);
    assert!(line(true, &"é".repeat(600)).len() <= MAX_REPLY_LINE);
}

// Messages delivered into new/ are seen at the next login.
#[test]
fn new_mail_is_seen_at_the_next_login() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    std::fs::write(
        lab.path().join("alice/new/2000.M3P1.test"),
        "Subject: late\n\nhi\n",
    )
    .unwrap();
    assert!(send(&mut s, "STAT").text().starts_with("+OK 2 "));
    send(&mut s, "QUIT");
    let mut again = lab.session();
    login(&mut again);
    assert!(send(&mut again, "STAT").text().starts_with("+OK 3 "));
    assert!(send(&mut again, "UIDL 3").text().contains("2000.M3P1.test"));
}

// A message that cannot be read gets [SYS/TEMP]; the rest goes on.
#[test]
fn an_unreadable_message_gets_sys_temp() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    let p = lab.path().join("alice/cur/1000.M1P1.test:2,S");
    std::fs::remove_file(&p).unwrap();
    std::fs::create_dir(&p).unwrap();
    let a = send(&mut s, "RETR 1");
    assert!(a.text().starts_with("-ERR [SYS/TEMP]"), "{}", a.text());
    assert!(
        send(&mut s, "TOP 1 0")
            .text()
            .starts_with("-ERR [SYS/TEMP]")
    );
    assert!(send(&mut s, "RETR 2").ok());
    assert!(send(&mut s, "STAT").ok());
}

#[test]
fn unknown_and_malformed_commands_get_err() {
    let lab = lab();
    let mut s = lab.session();
    assert_eq!(send(&mut s, "XYZZY").text(), "-ERR unknown command\r\n");
    assert!(send(&mut s, "").text().starts_with("-ERR"));
    login(&mut s);
    assert!(send(&mut s, "RETR one").text().starts_with("-ERR usage"));
    assert!(send(&mut s, "RETR 1").ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    // No input line, in any state, makes the session panic; every command
    // gets exactly one reply that starts with +OK, -ERR or "+ ".
    #[test]
    fn any_line_in_any_state_gets_a_reply(lines in proptest::collection::vec(
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..40),
            Just(b"USER alice".to_vec()),
            Just(b"PASS wonderland".to_vec()),
            Just(b"AUTH PLAIN".to_vec()),
            Just(b"RETR 1".to_vec()),
            Just(b"DELE 2".to_vec()),
            Just(b"TOP 1 3".to_vec()),
            Just(b"LIST".to_vec()),
        ], 1..12)) {
        let lab = lab();
        let mut s = lab.session_with(|c| c.login_delay = Duration::ZERO, false);
        for l in lines {
            let out = s.handle(Line::Complete(l));
            let b = carry_out(&mut s, out).bytes;
            prop_assert!(b.starts_with(b"+OK") || b.starts_with(b"-ERR") || b.starts_with(b"+ "), "{b:?}");
        }
    }
}

#[test]
fn the_command_summary_counts_each_keyword() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    send(&mut s, "RETR 1");
    send(&mut s, "RETR 2");
    send(&mut s, "QUIT");
    assert_eq!(s.command_summary(), "USER PASS RETR×2 QUIT");
}

#[test]
fn notes_record_commands_masked_and_state_changes() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    send(&mut s, "DELE 1");
    send(&mut s, "QUIT");
    let notes = s.take_notes();
    let commands: Vec<&str> = notes
        .iter()
        .filter_map(|n| match n {
            Note::Command { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(commands, ["USER alice", "PASS ********", "DELE 1", "QUIT"]);
    assert!(notes.contains(&Note::MarksChanged));
    assert!(notes.contains(&Note::StateChanged(StateName::Transaction)));
    // The session enters UPDATE, then the marks are applied.
    assert_eq!(
        notes[notes.len() - 2..],
        [
            Note::StateChanged(StateName::Update),
            Note::Updated {
                removed: 1,
                gone: 0,
                failed: 0
            }
        ]
    );
}

/// The `+OK n octets` of a RETR and the number of octets its body has.
fn announced_and_sent(a: &Answer) -> (usize, usize) {
    let t = a.text();
    let n = t
        .strip_prefix("+OK ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a RETR +OK: {t}"));
    (n, body(a).len())
}

// issue 9: the `W=` size in a name was trusted: a bogus one made STAT's
// total wrap and RETR announce octets it did not send.
#[test]
fn retr_announces_exactly_what_it_sends_whatever_the_name_says() {
    let lab = lab();
    let cur = lab.path().join("bob/cur");
    std::fs::write(cur.join("1.a,W=18446744073709551615:2,"), "a\nb\n").unwrap();
    std::fs::write(cur.join("2.b,W=18446744073709551615:2,"), "c\n").unwrap();
    // Plausible for a 4-octet file, but its wire size is 6.
    std::fs::write(cur.join("3.c,W=5:2,"), "d\ne\n").unwrap();
    let mut s = lab.session();
    assert!(send(&mut s, "USER bob").ok());
    assert!(send(&mut s, "PASS builder").ok());
    let stat = send(&mut s, "STAT").text();
    assert!(stat.starts_with("+OK 3 "), "{stat}");
    for n in 1..=3 {
        let (announced, sent) = announced_and_sent(&send(&mut s, &format!("RETR {n}")));
        assert_eq!(announced, sent, "RETR {n}");
    }
}

// issue 9: a message that changed after login is refused, not sent under
// the size counted at login.
#[test]
fn a_message_changed_after_login_gets_sys_temp() {
    let lab = lab();
    let mut s = lab.session();
    login(&mut s);
    std::fs::write(
        lab.path().join("alice/cur/1001.M2P1.test:2,S"),
        "Subject: rewritten\r\n\r\nlonger than before\r\n",
    )
    .unwrap();
    let a = send(&mut s, "RETR 2");
    assert!(
        a.text().starts_with("-ERR [SYS/TEMP] message 2 changed"),
        "{}",
        a.text()
    );
    assert!(
        send(&mut s, "TOP 2 0")
            .text()
            .starts_with("-ERR [SYS/TEMP]")
    );
    let (announced, sent) = announced_and_sent(&send(&mut s, "RETR 1"));
    assert_eq!(announced, sent);
}

// issue 9: another Maildir client changed a message's flags during the
// session; DELE + QUIT said it was deleted and left the file there.
#[test]
fn quit_reports_exactly_what_was_removed() {
    let lab = lab();
    let cur = lab.path().join("alice/cur");
    let mut s = lab.session();
    login(&mut s);
    assert!(send(&mut s, "DELE 1").ok());
    assert!(send(&mut s, "DELE 2").ok());
    // Another client marks message 1 as replied and deletes message 2.
    std::fs::rename(
        cur.join("1000.M1P1.test:2,S"),
        cur.join("1000.M1P1.test:2,RS"),
    )
    .unwrap();
    std::fs::remove_file(cur.join("1001.M2P1.test:2,S")).unwrap();
    let q = send(&mut s, "QUIT");
    assert_eq!(
        q.text(),
        "+OK popscope signing off (1 messages deleted, 1 already removed by another client)\r\n"
    );
    assert!(s.take_notes().contains(&Note::Updated {
        removed: 1,
        gone: 1,
        failed: 0
    }));
    assert_eq!(std::fs::read_dir(&cur).unwrap().count(), 0);
}

// issue 9: a symlink in cur/ let a local user read any file the server
// can read.
#[test]
fn a_symlink_in_cur_is_not_a_message() {
    let lab = lab();
    let secret = lab.path().join("secret");
    std::fs::write(&secret, "root:x:0:0:\n").unwrap();
    std::os::unix::fs::symlink(&secret, lab.path().join("alice/cur/0999.M0P1.test:2,")).unwrap();
    let mut s = lab.session();
    login(&mut s);
    assert!(send(&mut s, "STAT").text().starts_with("+OK 2 "));
    for n in 1..=2 {
        assert!(!send(&mut s, &format!("RETR {n}")).text().contains("root:x"));
    }
}
