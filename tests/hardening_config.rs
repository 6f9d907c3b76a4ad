//! Issue 9, "configuration and errors a user sees": the demo never deletes
//! mail on an outside server, a refused USER keeps the password off the
//! wire, users files mean what they say, the load generator names the
//! address, and stale demo copies are cleaned up. Each test runs the real
//! binary or the real lab against a real server on loopback.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::TestServer;
use popscope::lab::{
    ClientEvent, ClientProblem, EventKind, Lab, LabOptions, Scenario, Status, WireEvent,
};
use popscope::wire::Direction;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

fn popscope(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .env("LANG", "en_GB.UTF-8")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Three runs of `demo plain --server` against a real server leave the
/// mailbox as it was: the DELE mark is shown, then undone with RSET.
#[test]
fn demo_against_an_outside_server_deletes_nothing() {
    let srv = TestServer::start();
    let before = srv.messages_on_disk("alice");
    assert_eq!(before.len(), 8);
    let addr = srv.pop3.to_string();
    for run in 1..=3 {
        let (ok, out, err) = popscope(&["demo", "plain", "--server", &addr]);
        assert!(ok, "run {run}: {err}\n{out}");
        assert!(out.contains("client    → DELE 2"), "{out}");
        assert!(out.contains("client    ← +OK message 2 deleted"), "{out}");
        assert!(
            out.contains("undo the mark: this is someone's real mailbox"),
            "{out}"
        );
        let rset = out.find("client    → RSET").expect("RSET is sent");
        let quit = out.find("client    → QUIT").expect("QUIT is sent");
        assert!(rset < quit, "RSET comes before QUIT: {out}");
        assert!(!out.contains("message(s) removed from disk"), "{out}");
        assert_eq!(
            srv.messages_on_disk("alice"),
            before,
            "run {run} changed the mailbox"
        );
    }
}

/// The lab's own server keeps the lesson: DELE then QUIT applies the mark,
/// and no RSET is sent there.
#[test]
fn demo_on_the_lab_still_applies_the_mark() {
    let (ok, out, err) = popscope(&["demo", "plain"]);
    assert!(ok, "{err}\n{out}");
    assert!(!out.contains("→ RSET"), "{out}");
    assert!(
        out.contains("UPDATE: 1 message(s) removed from disk"),
        "{out}"
    );
}

/// `demo --help` says what is sent, on both kinds of server.
#[test]
fn demo_help_names_the_commands_and_the_rset_rule() {
    let (ok, out, err) = popscope(&["demo", "--help"]);
    assert!(ok, "{err}");
    assert!(out.contains("STAT, LIST, RETR 1, DELE 2, QUIT"), "{out}");
    assert!(
        out.contains("with --server:     STAT, LIST, RETR 1, DELE 2, RSET, QUIT"),
        "{out}"
    );
    assert!(
        out.contains("never deletes mail on a real mailbox"),
        "{out}"
    );
}

/// Events of one lab run of `scenario` against `addr`.
fn lab_events(scenario: &str, addr: std::net::SocketAddr) -> (bool, Vec<EventKind>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let options = LabOptions {
            server: Some(addr),
            server_name: Some("localhost".into()),
            ..LabOptions::default()
        };
        let (mut lab, mut rx) = Lab::start(Scenario::named(scenario).unwrap(), options)
            .await
            .unwrap();
        let ok = lab.run_demo().await.is_ok();
        lab.shutdown().await;
        let mut v = Vec::new();
        while let Some(e) = rx.recv().await {
            v.push(e.kind);
        }
        (ok, v)
    })
}

/// Everything the client sent, as the tap captured it.
fn client_bytes(events: &[EventKind]) -> String {
    let mut all = Vec::new();
    for e in events {
        if let EventKind::Wire(WireEvent::Chunk {
            dir: Direction::ClientToServer,
            bytes,
            ..
        }) = e
        {
            all.extend_from_slice(bytes);
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

/// With `--cleartext-auth deny`, USER is refused, and the lab's client
/// stops there: no PASS crosses the wire and the eavesdropper learns no
/// password. The client says why it stopped.
#[test]
fn a_refused_user_gets_no_pass() {
    let srv = TestServer::start_with(|c| c.session.cleartext_login = false);
    let (ok, events) = lab_events("plain", srv.pop3);
    assert!(!ok, "the login cannot succeed");
    let sent = client_bytes(&events);
    assert!(sent.contains("USER alice\r\n"), "{sent:?}");
    assert!(!sent.contains("PASS"), "PASS on the wire: {sent:?}");
    assert!(!sent.contains("wonderland"), "{sent:?}");
    let refused = events.iter().any(|e| {
        matches!(e, EventKind::Client(ClientEvent::Received { status: Status::Err, text, .. })
            if text.starts_with("[AUTH] cleartext login is disabled"))
    });
    assert!(refused, "the server's refusal is shown");
    let stopped = events.iter().any(|e| {
        matches!(e, EventKind::Client(ClientEvent::Error { problem: ClientProblem::UserRefused { text } })
            if text.starts_with("[AUTH]"))
    });
    assert!(stopped, "the client says it kept the password");
    for e in &events {
        if let EventKind::Wire(WireEvent::Learned { summary, .. }) = e {
            assert!(!summary.contains("wonderland"), "{summary}");
        }
    }

    // The binary says the same, and its transcript has no password.
    let addr = srv.pop3.to_string();
    let (ok, out, err) = popscope(&["demo", "plain", "--server", &addr]);
    assert!(!ok, "{out}");
    assert!(!out.contains("wonderland"), "{out}");
    assert!(!out.contains("→ PASS"), "{out}");
    assert!(err.contains("refused USER"), "{err}");
}

/// The library client's USER/PASS login stops the same way.
#[test]
fn the_library_client_stops_after_a_refused_user() {
    use popscope::pop3::client::{self, ClientError, Transport};
    let srv = TestServer::start_with(|c| c.session.cleartext_login = false);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let settings = client::ClientSettings::with_tls_config(
            Transport::Plain,
            None,
            "localhost".try_into().unwrap(),
        );
        let mut c = client::open_unauthenticated(srv.pop3, &settings)
            .await
            .unwrap()
            .client;
        let err = client::login_user_pass(&mut c, "alice", "wonderland")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ClientError::UserRefused { code: Some(code), .. } if code == "AUTH"),
            "{err:?}"
        );
        // Had PASS been sent, its answer would be waiting; the session
        // is still in AUTHORIZATION and answers the next command directly.
        let r = c.command("NOOP", false).await.unwrap();
        assert_eq!(r.status_line, "NOOP is valid only after login");
    });
}

/// Decision: APOP is allowed under deny (it sends a digest, not the
/// password), and the wire carries no PASS and no password.
#[test]
fn apop_still_works_under_deny() {
    let srv = TestServer::start_with(|c| c.session.cleartext_login = false);
    let (ok, events) = lab_events("apop", srv.pop3);
    assert!(ok, "APOP logs in under deny");
    let sent = client_bytes(&events);
    assert!(sent.contains("APOP alice "), "{sent:?}");
    assert!(!sent.contains("wonderland"), "{sent:?}");
    // AUTH PLAIN is refused like USER.
    let mut c = common::Conn::greeted(srv.pop3);
    assert!(
        c.cmd("AUTH PLAIN")
            .starts_with("-ERR [AUTH] cleartext login is disabled")
    );
}

/// `popscope serve --users FILE` refuses lines it would have to guess at,
/// with the file and line, and takes a colon as part of the password.
#[test]
fn users_file_lines_mean_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mail = dir.path().join("mail");
    std::fs::create_dir_all(mail.join("carol/cur")).unwrap();
    let users = dir.path().join("users.txt");
    let serve = |extra: &[&str]| {
        let mut args = vec![
            "serve",
            "--pop3",
            "127.0.0.1:0",
            "--pop3s",
            "off",
            "--data-dir",
            data.to_str().unwrap(),
            "--maildir",
            mail.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        popscope(&args)
    };
    for (line, expect) in [
        (
            "carol:{PLAIN}pa:1000:1000::/home/carol",
            "users.txt:2: the password of carol starts with {PLAIN}",
        ),
        (
            "carol:pa:ss ",
            "users.txt:2: the password of carol begins or ends with a space",
        ),
    ] {
        std::fs::write(&users, format!("# users\n{line}\n")).unwrap();
        let (ok, _, err) = serve(&["--users", users.to_str().unwrap()]);
        assert!(!ok);
        assert!(err.contains(expect), "{line:?}: {err}");
    }
    let (ok, _, err) = serve(&["--user", "carol:{PLAIN}secret"]);
    assert!(!ok);
    assert!(
        err.contains("--user \"carol:…\": the password of carol starts with {PLAIN}"),
        "{err}"
    );
    assert!(
        !err.contains("secret"),
        "the error must not echo the password: {err}"
    );

    // A good file with a colon in the password: pa:ss logs in, pa does not.
    std::fs::write(&users, "carol:pa:ss\n").unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--pop3",
            "127.0.0.1:0",
            "--pop3s",
            "off",
            "--login-delay",
            "0",
            "--data-dir",
            data.to_str().unwrap(),
            "--maildir",
            mail.to_str().unwrap(),
            "--users",
            users.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Kill(&mut child);
    let addr = pop3_addr(guard.0);
    let mut c = common::Conn::greeted(addr);
    assert!(c.login("carol", "pa").starts_with("-ERR [AUTH]"));
    assert!(
        c.login("carol", "pa:ss").starts_with("+OK"),
        "pa:ss is the password"
    );
}

/// Kills and reaps the child when the test ends, passed or not.
struct Kill<'a>(&'a mut std::process::Child);

impl Drop for Kill<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads `popscope serve`'s startup text up to "Ctrl-C" and returns the
/// POP3 address it printed.
fn pop3_addr(child: &mut std::process::Child) -> std::net::SocketAddr {
    let out = child.stdout.take().unwrap();
    let mut addr = None;
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        let mut w = line.split_whitespace();
        if w.next() == Some("POP3") {
            addr = w.next().and_then(|a| a.parse().ok());
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    addr.expect("serve printed its POP3 address")
}

/// `popscope load` against a closed port says which address refused.
#[test]
fn load_errors_name_the_address() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let (_, _, err) = popscope(&[
        "load",
        "--addr",
        &addr,
        "--clients",
        "1",
        "--seconds",
        "0.3",
    ]);
    assert!(
        err.contains(&format!(
            "load: client 0 ({addr}): I/O error: Connection refused"
        )),
        "{err}"
    );
}

/// A copy left by a process killed with SIGKILL is removed at the next
/// start; a live process's copy, a copy whose lock is held, a symlink and
/// an old copy without a PID are all kept.
#[test]
fn stale_demo_copies_are_removed_and_live_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dead = {
        let mut c = Command::new("true").spawn().unwrap();
        c.wait().unwrap();
        c.id()
    };
    let make = |name: &str| {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(d.join("alice/cur")).unwrap();
        std::fs::write(d.join("alice/cur/1.x:2,S"), "mail").unwrap();
        std::fs::write(d.join(".popscope-owner.lock"), "").unwrap();
        d
    };
    let stale = make(&format!("popscope-demo-{dead}-stale1"));
    let live = make(&format!("popscope-demo-{}-live01", std::process::id()));
    let held = make(&format!("popscope-demo-{dead}-held01"));
    let old = make("popscope-demo-Ab12Cd");
    let outside = make("elsewhere");
    let link = tmp.path().join(format!("popscope-demo-{dead}-link01"));
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    // A live process (this test) holds the lock of `held`.
    let lock = std::fs::File::open(held.join(".popscope-owner.lock")).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe {
            libc::flock(
                std::os::unix::io::AsRawFd::as_raw_fd(&lock),
                libc::LOCK_EX | libc::LOCK_NB,
            )
        },
        0
    );

    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--pop3",
            "127.0.0.1:0",
            "--pop3s",
            "off",
            "--data-dir",
        ])
        .arg(data.path())
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let guard = Kill(&mut child);
    let addr = pop3_addr(guard.0);
    // The server's own copy carries its PID and serves the demo mailbox.
    let own: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(&format!("popscope-demo-{pid}-")))
        .collect();
    assert_eq!(own.len(), 1, "{own:?}");
    assert!(
        common::Conn::greeted(addr)
            .login("alice", "wonderland")
            .starts_with("+OK")
    );

    assert!(!stale.exists(), "the dead process's copy is gone");
    for kept in [&live, &held, &old, &outside] {
        assert!(exists_with_mail(kept), "{} was kept", kept.display());
    }
    assert!(
        link.symlink_metadata().is_ok(),
        "the symlink is not touched"
    );
    drop(guard);
    drop(lock);
}

fn exists_with_mail(dir: &Path) -> bool {
    dir.join("alice/cur/1.x:2,S").is_file()
}

/// Under deny, `serve` says what is refused and what still works, and
/// does not suggest a cleartext curl that could only fail.
#[test]
fn serve_under_deny_says_what_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--pop3",
            "127.0.0.1:0",
            "--pop3s",
            "off",
            "--cleartext-auth",
            "deny",
            "--data-dir",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Kill(&mut child);
    let out = guard.0.stdout.take().unwrap();
    let mut text = Vec::new();
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        let last = line.starts_with("Ctrl-C");
        text.push(line);
        if last {
            break;
        }
    }
    let text = text.join("\n");
    assert!(
        text.contains(
            "cleartext login (USER/PASS, AUTH PLAIN) is refused until STLS; APOP still works"
        ),
        "{text}"
    );
    assert!(!text.contains("  curl pop3://"), "{text}");
    assert!(text.contains("curl --ssl-reqd"), "{text}");
}

/// AUTH PLAIN with an initial response would carry the password on the
/// very line the server refuses, so in cleartext the lab's client asks
/// CAPA first; under deny PLAIN is not offered, and nothing secret is sent.
#[test]
fn auth_plain_under_deny_sends_no_credentials() {
    let srv = TestServer::start_with(|c| c.session.cleartext_login = false);
    let (ok, events) = lab_events("auth-plain", srv.pop3);
    assert!(!ok, "the login cannot succeed");
    let sent = client_bytes(&events);
    assert!(sent.contains("CAPA\r\n"), "{sent:?}");
    assert!(!sent.contains("AUTH"), "AUTH on the wire: {sent:?}");
    let stopped = events.iter().any(|e| {
        matches!(e, EventKind::Client(ClientEvent::Error { problem: ClientProblem::SaslNotOffered { mechanism } })
            if mechanism == "PLAIN")
    });
    assert!(stopped, "the client says it kept the password");

    // Where PLAIN is offered, the login goes on as before.
    let srv = TestServer::start();
    let (ok, events) = lab_events("auth-plain", srv.pop3);
    assert!(ok);
    assert!(client_bytes(&events).contains("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"));
}

/// The lab (here `popscope demo`) keeps its mail copy and its CA in a
/// named, locked copy too: a copy left by a killed lab is swept at the next
/// start, and a run that ends normally leaves nothing in the temp dir.
#[test]
fn the_lab_sweeps_stale_copies_and_leaves_none() {
    let tmp = tempfile::tempdir().unwrap();
    let dead = {
        let mut c = Command::new("true").spawn().unwrap();
        c.wait().unwrap();
        c.id()
    };
    let stale = tmp.path().join(format!("popscope-demo-{dead}-killed"));
    std::fs::create_dir_all(stale.join("alice/cur")).unwrap();
    std::fs::create_dir_all(stale.join(".pki")).unwrap();
    std::fs::write(stale.join(".pki/server-key.pem"), "secret").unwrap();
    std::fs::write(stale.join(".popscope-owner.lock"), "").unwrap();
    let out = Command::new(BIN)
        .env("LANG", "en_GB.UTF-8")
        .args(["demo", "plain"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("PASS wonderland"),
        "the demo ran on its own copy"
    );
    assert!(
        !stale.exists(),
        "the killed lab's copy and its key are gone"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "the demo left {left:?} behind");
}
