//! Our POP3 client against a real Dovecot 2.3 (Debian's `dovecot-pop3d`).
//!
//! Every test starts its own Dovecot on free loopback ports through
//! `scripts/dovecot/test-instance.sh` (see `dovecot/fixture.rs`), with a
//! fresh copy of the demo Maildirs and a certificate from the demo CA, and
//! stops it when it ends. The tests need root (Dovecot hands the Maildirs
//! to the `vmail` user) and fail, rather than skip, when Dovecot is
//! missing: `.ci/run` installs it.
//!
//! The expected values come from the Maildir files themselves, not from
//! Dovecot: the files hold bare LF line ends, and a POP3 server must send
//! CRLF, so the reference for every message is its file with LF turned
//! into CRLF.

#[path = "dovecot/fixture.rs"]
mod fixture;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use fixture::{ALICE, BOB, Dovecot};
use popscope::pop3::client::{self, BoxedStream, Client, ClientError, Transport};
use popscope::tls::{self, Trust};
use popscope::wire::Direction;
use popscope::wire::tap::{Tap, TapConfig, TapEvent};
use rustls_pki_types::ServerName;
use tokio::sync::mpsc;

/// How long to wait for anything the server does in the background.
const PATIENCE: Duration = Duration::from_secs(10);

/// A file's content as a POP3 server must send it: every line ending in
/// CRLF.
fn crlf(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    assert!(!raw.contains(&b'\r'), "{} already has CR", path.display());
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    for &b in &raw {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The header block of a CRLF message, including the empty line that
/// ends it.
fn header_block(message: &[u8]) -> &[u8] {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the message has a header block");
    &message[..end + 4]
}

/// The part of a Maildir file name before the `:2,` flags, which is what
/// Dovecot uses as the GUID of a Maildir message.
fn base_name(path: &Path) -> String {
    let name = path.file_name().unwrap().to_str().unwrap();
    name.split(':').next().unwrap().to_owned()
}

/// Sends a command that must succeed and returns its reply.
async fn ok(client: &mut Client<BoxedStream>, line: &str, multiline: bool) -> client::Reply {
    let keyword = line.split(' ').next().unwrap();
    client
        .command(line, multiline)
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
        .expect_ok(keyword)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// STAT as (count, octets).
async fn stat(client: &mut Client<BoxedStream>) -> (usize, u64) {
    let reply = ok(client, "STAT", false).await;
    let mut words = reply.status_line.split(' ');
    let count = words.next().unwrap().parse().unwrap();
    let octets = words.next().unwrap().parse().unwrap();
    (count, octets)
}

/// The lines of a multi-line body, without their CRLF.
fn body_lines(reply: &client::Reply) -> Vec<String> {
    String::from_utf8(reply.body.clone().expect("a multi-line body"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Sends QUIT, expects +OK and waits until the server closes the
/// connection, so that whatever QUIT changes on disk has happened.
async fn quit(mut client: Client<BoxedStream>) -> String {
    let reply = ok(&mut client, "QUIT", false).await;
    match tokio::time::timeout(PATIENCE, client.read_reply(false)).await {
        Ok(Err(ClientError::Closed | ClientError::Io(_))) => {}
        other => panic!("expected the server to close after QUIT, got {other:?}"),
    }
    reply.status_line
}

#[tokio::test]
async fn connects_over_plain_stls_and_implicit_tls() {
    let dovecot = Dovecot::start();
    let alice_messages = dovecot.message_files("alice").len();
    assert_eq!(alice_messages, 8, "the demo Maildir of alice");

    for transport in [Transport::Plain, Transport::Stls, Transport::Implicit] {
        let (mut client, stamp) = dovecot
            .connect_via(dovecot.addr(transport), transport)
            .await;
        // With APOP among the mechanisms, Dovecot puts a timestamp into
        // every greeting, and a new one for each connection.
        let stamp = stamp.unwrap_or_else(|| panic!("{transport:?}: no APOP timestamp"));
        assert!(stamp.starts_with('<') && stamp.ends_with('>'), "{stamp}");
        let caps = client.capa().await.unwrap();
        // STLS is offered only while the session is still in the clear.
        let offers_stls = caps.iter().any(|c| c == "STLS");
        assert_eq!(
            offers_stls,
            transport == Transport::Plain,
            "{transport:?}: {caps:?}"
        );
        for needed in ["USER", "TOP", "UIDL"] {
            assert!(caps.iter().any(|c| c == needed), "{transport:?}: {caps:?}");
        }
        client::login_user_pass(&mut client, ALICE.0, ALICE.1)
            .await
            .unwrap_or_else(|e| panic!("{transport:?}: {e}"));
        assert_eq!(stat(&mut client).await.0, alice_messages, "{transport:?}");
        assert!(quit(client).await.starts_with("Logging out"));
    }
}

/// The certificate problem rustls reported somewhere in `err`'s chain of
/// causes, if any. The client may carry it as an I/O error from the
/// handshake or as a rustls error of its own, so both are looked into.
fn certificate_error(err: &ClientError) -> Option<rustls::CertificateError> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        // An io::Error hides the error it wraps from source(); get_ref
        // reaches it.
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        for candidate in [Some(e), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(cert)) = candidate.downcast_ref() {
                return Some(cert.clone());
            }
            // A certificate failure keeps rustls's error beside its words,
            // not as its source (its text is Debug names).
            if let Some(ClientError::Certificate {
                rustls: rustls::Error::InvalidCertificate(cert),
                ..
            }) = candidate.downcast_ref()
            {
                return Some(cert.clone());
            }
        }
        next = e.source();
    }
    None
}

#[tokio::test]
async fn tls_is_verified_against_the_ca_and_the_name() {
    let dovecot = Dovecot::start();

    // A CA that did not sign Dovecot's certificate must not be trusted.
    let other = tempfile::tempdir().unwrap();
    let other_pki = tls::ensure_demo_pki(&other.path().join("pki")).unwrap();
    let stranger = tls::client_config(&Trust::CaFile(other_pki.ca_cert), false).unwrap();
    let localhost = ServerName::try_from("localhost").unwrap();
    for transport in [Transport::Stls, Transport::Implicit] {
        let settings = client::ClientSettings::with_tls_config(
            transport,
            Some(stranger.clone()),
            localhost.clone(),
        );
        let result = client::open_unauthenticated(dovecot.addr(transport), &settings).await;
        let err = result.expect_err("a certificate from an unknown CA was accepted");
        assert_eq!(
            certificate_error(&err),
            Some(rustls::CertificateError::UnknownIssuer),
            "{transport:?} with an unrelated CA: {err:?}"
        );
    }

    // The right CA, but a name the certificate is not issued for.
    let (trusted, _) = dovecot.tls();
    let wrong_name = ServerName::try_from("mail.example.com").unwrap();
    let settings =
        client::ClientSettings::with_tls_config(Transport::Implicit, Some(trusted), wrong_name);
    let result = client::open_unauthenticated(dovecot.pop3s, &settings).await;
    let err = result.expect_err("a certificate for another name was accepted");
    assert!(
        matches!(
            certificate_error(&err),
            Some(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "wrong name: {err:?}"
    );

    // And the right CA with the right name works.
    let client = dovecot.login(Transport::Implicit, ALICE).await;
    quit(client).await;
}

#[tokio::test]
async fn logs_in_with_user_pass_auth_plain_and_apop() {
    let dovecot = Dovecot::start();
    let alice = dovecot.message_files("alice").len();
    let bob = dovecot.message_files("bob").len();
    assert_eq!((alice, bob), (8, 3));

    for transport in [Transport::Plain, Transport::Stls, Transport::Implicit] {
        // USER/PASS. Each login is checked with STAT, whose count tells
        // alice's maildrop from bob's.
        let (mut client, _) = dovecot
            .connect_via(dovecot.addr(transport), transport)
            .await;
        client::login_user_pass(&mut client, BOB.0, BOB.1)
            .await
            .unwrap();
        assert_eq!(stat(&mut client).await.0, bob, "{transport:?} USER/PASS");
        quit(client).await;

        // AUTH PLAIN, with the continuation step.
        let (mut client, _) = dovecot
            .connect_via(dovecot.addr(transport), transport)
            .await;
        let caps = client.capa().await.unwrap();
        assert!(
            caps.iter()
                .any(|c| c.starts_with("SASL") && c.split(' ').any(|m| m == "PLAIN")),
            "{caps:?}"
        );
        client::login_auth_plain(&mut client, ALICE.0, ALICE.1)
            .await
            .unwrap();
        assert_eq!(stat(&mut client).await.0, alice, "{transport:?} AUTH PLAIN");
        quit(client).await;

        // APOP with the timestamp of this connection's greeting.
        let (mut client, stamp) = dovecot
            .connect_via(dovecot.addr(transport), transport)
            .await;
        let stamp = stamp.expect("Dovecot offers APOP");
        client::login_apop(&mut client, BOB.0, BOB.1, &stamp)
            .await
            .unwrap();
        assert_eq!(stat(&mut client).await.0, bob, "{transport:?} APOP");
        quit(client).await;
    }
}

/// The refusals live in a test (and so a Dovecot) of their own: after a
/// failed login Dovecot delays the next attempts from the same address by
/// 2, 4, 8 and then 15 seconds, which would slow every later login down.
#[tokio::test]
async fn refuses_a_wrong_password_and_a_replayed_apop_digest() {
    let dovecot = Dovecot::start();

    // A wrong password is refused with the AUTH response code, and the
    // same session can still log in properly afterwards.
    let (mut client, stamp) = dovecot.connect_via(dovecot.pop3, Transport::Plain).await;
    match client::login_user_pass(&mut client, ALICE.0, "looking-glass").await {
        Err(ClientError::ErrReply { command, code, .. }) => {
            assert_eq!(command, "PASS");
            assert_eq!(code.as_deref(), Some("AUTH"));
        }
        other => panic!("a wrong password was accepted: {other:?}"),
    }
    let stamp = stamp.expect("Dovecot offers APOP");
    client::login_apop(&mut client, BOB.0, BOB.1, &stamp)
        .await
        .unwrap();
    assert_eq!(stat(&mut client).await.0, 3);
    quit(client).await;

    // A digest made for another connection's timestamp is a replay, and
    // must fail even though it was made with the right password.
    let (mut client, fresh) = dovecot.connect_via(dovecot.pop3, Transport::Plain).await;
    assert_ne!(fresh.as_deref(), Some(stamp.as_str()), "timestamps repeat");
    let replay = client::login_apop(&mut client, BOB.0, BOB.1, &stamp).await;
    assert!(
        matches!(replay, Err(ClientError::ErrReply { ref command, .. }) if command == "APOP"),
        "a replayed APOP digest: {replay:?}"
    );
}

#[tokio::test]
async fn stat_list_and_uidl_match_the_maildir() {
    let dovecot = Dovecot::start();
    let files = dovecot.message_files("alice");
    let expected: Vec<Vec<u8>> = files.iter().map(|f| crlf(f)).collect();
    let mut client = dovecot.login(Transport::Stls, ALICE).await;

    let (count, octets) = stat(&mut client).await;
    assert_eq!(count, files.len());
    let total: usize = expected.iter().map(Vec::len).sum();
    assert_eq!(octets, total as u64);

    // LIST: one "N SIZE" line per message, the size counted with CRLF.
    let list = body_lines(&ok(&mut client, "LIST", true).await);
    let want: Vec<String> = expected
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}", i + 1, m.len()))
        .collect();
    assert_eq!(list, want);
    let one = ok(&mut client, "LIST 4", false).await;
    assert_eq!(one.status_line, format!("4 {}", expected[3].len()));

    // UIDL: with pop3_uidl_format = %g the UID of a Maildir message is its
    // base file name, which is unique and survives flag changes.
    let uidl = body_lines(&ok(&mut client, "UIDL", true).await);
    let uids: Vec<&str> = uidl
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let (n, uid) = line.split_once(' ').unwrap();
            assert_eq!(n, (i + 1).to_string());
            uid
        })
        .collect();
    assert_eq!(uids.len(), files.len());
    assert_eq!(
        uids.iter().collect::<HashSet<_>>().len(),
        uids.len(),
        "{uids:?}"
    );
    let names: Vec<String> = files.iter().map(|f| base_name(f)).collect();
    assert_eq!(uids, names);

    // A message that does not exist.
    let missing = client.command("LIST 9", false).await.unwrap();
    assert!(!missing.ok, "{missing:?}");
    quit(client).await;
}

#[tokio::test]
async fn retr_returns_every_message_as_stored() {
    let dovecot = Dovecot::start();
    let files = dovecot.message_files("alice");
    let mut client = dovecot.login(Transport::Implicit, ALICE).await;

    for (i, file) in files.iter().enumerate() {
        let expected = crlf(file);
        let reply = ok(&mut client, &format!("RETR {}", i + 1), true).await;
        assert_eq!(reply.status_line, format!("{} octets", expected.len()));
        let body = reply.body.unwrap();
        assert!(
            body == expected,
            "message {} ({}) differs: {} bytes received, {} expected",
            i + 1,
            file.display(),
            body.len(),
            expected.len()
        );
    }

    // Message 3 is the one whose lines start with dots: Dovecot stuffs
    // them on the wire and the client must take the extra dots off again.
    let third = ok(&mut client, "RETR 3", true).await.body.unwrap();
    let text = String::from_utf8(third).unwrap();
    assert!(
        text.contains("---- begin ----\r\n.hidden\r\n..\r\n.\r\n. leading dot\r\n...three dots"),
        "{text}"
    );
    assert!(text.ends_with("\r\n.\r\n"), "the last line is a lone dot");
    quit(client).await;
}

#[tokio::test]
async fn top_zero_ends_after_the_header_block() {
    let dovecot = Dovecot::start();
    let files = dovecot.message_files("alice");
    let first = crlf(&files[0]);
    let third = crlf(&files[2]);
    let mut client = dovecot.login(Transport::Plain, ALICE).await;

    let top = ok(&mut client, "TOP 1 0", true).await.body.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&top),
        String::from_utf8_lossy(header_block(&first))
    );

    // With a line count, the header block is followed by that many body
    // lines; message 3's fourth line of text is not among them.
    let top = ok(&mut client, "TOP 3 3", true).await.body.unwrap();
    let headers = header_block(&third);
    let body_start: Vec<&[u8]> = third[headers.len()..]
        .split_inclusive(|&b| b == b'\n')
        .take(3)
        .collect();
    let mut expected = headers.to_vec();
    expected.extend(body_start.concat());
    assert_eq!(
        String::from_utf8_lossy(&top),
        String::from_utf8_lossy(&expected)
    );
    quit(client).await;
}

#[tokio::test]
async fn dele_and_quit_removes_exactly_one_file() {
    let dovecot = Dovecot::start();
    let before = dovecot.message_files("alice");
    assert_eq!(before.len(), 8);
    let mut client = dovecot.login(Transport::Plain, ALICE).await;
    ok(&mut client, "DELE 2", false).await;
    // Within the session the message is gone at once...
    assert_eq!(stat(&mut client).await.0, 7);
    let again = client.command("RETR 2", true).await.unwrap();
    assert!(
        !again.ok,
        "a deleted message can still be retrieved: {again:?}"
    );
    // ...but only QUIT makes it final.
    let bye = quit(client).await;
    assert!(bye.contains("deleted"), "{bye}");

    let after = dovecot.message_files("alice");
    assert_eq!(after.len(), 7, "{after:?}");
    let gone: Vec<String> = before
        .iter()
        .map(|f| base_name(f))
        .filter(|name| !after.iter().any(|a| &base_name(a) == name))
        .collect();
    assert_eq!(gone, vec![base_name(&before[1])]);

    // A new session sees the same: seven messages, and the old third one
    // is now number two.
    let mut client = dovecot.login(Transport::Plain, ALICE).await;
    assert_eq!(stat(&mut client).await.0, 7);
    let second = ok(&mut client, "RETR 2", true).await.body.unwrap();
    assert!(
        second == crlf(&before[2]),
        "message 2 is now the old message 3"
    );
    quit(client).await;

    // Bob's Maildir was never touched.
    assert_eq!(dovecot.message_files("bob").len(), 3);
}

#[tokio::test]
async fn dele_then_a_dropped_connection_removes_nothing() {
    let dovecot = Dovecot::start();
    let before = dovecot.message_files("alice");
    let mut client = dovecot.login(Transport::Plain, ALICE).await;
    ok(&mut client, "DELE 1", false).await;
    ok(&mut client, "DELE 8", false).await;
    assert_eq!(stat(&mut client).await.0, 6);
    // Hang up without QUIT: RFC 1939 says the UPDATE state is entered
    // only by QUIT, so the marks must be forgotten.
    drop(client);

    // Wait until Dovecot has noticed the hang-up and ended the session;
    // it logs the end of every POP3 session.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let log = dovecot.log();
        let ended = log
            .lines()
            .find(|l| l.contains("pop3(alice)") && l.contains("Disconnected"));
        if let Some(line) = ended {
            // After QUIT Dovecot logs "Logged out"; after a hang-up it
            // logs why the connection ended. The counters at the end
            // follow the default pop3_logout_format, where "del=0/8"
            // means that none of the 8 messages was expunged.
            assert!(
                line.contains("Disconnected: Connection closed"),
                "the session did not end by a hang-up:\n{log}"
            );
            assert!(line.contains("del=0/8"), "{line}");
            break;
        }
        assert!(Instant::now() < deadline, "the session did not end:\n{log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    assert_eq!(dovecot.message_files("alice"), before);
    let mut client = dovecot.login(Transport::Plain, ALICE).await;
    assert_eq!(stat(&mut client).await.0, 8);
    quit(client).await;
    assert_eq!(dovecot.message_files("alice").len(), 8);
}

/// A tap in front of `upstream`, and the receiver of what it saw.
async fn tap(
    upstream: SocketAddr,
) -> (
    SocketAddr,
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedReceiver<TapEvent>,
) {
    let tap = Tap::bind(TapConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream,
        capture_limit: 16 << 20,
    })
    .await
    .unwrap();
    let addr = tap.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    (addr, tokio::spawn(tap.run(tx)), rx)
}

/// Everything the tap saw of its first connection, per direction, once
/// both directions have closed.
async fn capture(rx: &mut mpsc::UnboundedReceiver<TapEvent>) -> (Vec<u8>, Vec<u8>) {
    let mut up = Vec::new();
    let mut down = Vec::new();
    let mut closed = 0;
    let collect = async {
        while closed < 2 {
            match rx.recv().await.expect("the tap stopped reporting") {
                TapEvent::Chunk(chunk) => {
                    assert_eq!(chunk.conn, 1);
                    assert_eq!(chunk.not_kept(), 0, "the capture limit was reached");
                    let stream = match chunk.dir {
                        Direction::ClientToServer => &mut up,
                        Direction::ServerToClient => &mut down,
                    };
                    assert_eq!(chunk.offset, stream.len() as u64);
                    stream.extend_from_slice(&chunk.bytes);
                }
                TapEvent::Closed { .. } => closed += 1,
                TapEvent::Opened { .. } | TapEvent::Attack { .. } => {}
                TapEvent::Failed { reason, .. } => panic!("the tap failed: {reason}"),
            }
        }
    };
    tokio::time::timeout(PATIENCE, collect)
        .await
        .expect("the tap did not see the connection close");
    (up, down)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_tap_sees_a_plain_session_in_the_clear() {
    let dovecot = Dovecot::start();
    let (addr, relay, mut events) = tap(dovecot.pop3).await;

    let (mut client, stamp) = dovecot.connect_via(addr, Transport::Plain).await;
    client::login_user_pass(&mut client, ALICE.0, ALICE.1)
        .await
        .unwrap();
    let first = ok(&mut client, "RETR 1", true).await.body.unwrap();
    quit(client).await;
    let (up, down) = capture(&mut events).await;
    relay.abort();

    // The greeting is the first thing on the wire, and complete.
    let greeting = format!("+OK Dovecot (Debian) ready. {}\r\n", stamp.unwrap());
    assert!(
        down.starts_with(greeting.as_bytes()),
        "{:?}",
        String::from_utf8_lossy(&down[..80])
    );
    // Everything else is as readable: the password, the headers...
    assert!(contains(&up, b"PASS wonderland\r\n"));
    assert!(contains(&down, b"Subject: "));
    // ...and the message, dot-stuffed but otherwise as the client got it.
    assert!(contains(&down, &first[..200]));
    assert!(
        down.ends_with(b"+OK Logging out.\r\n"),
        "{:?}",
        String::from_utf8_lossy(&down[down.len() - 40..])
    );
}

#[tokio::test]
async fn the_tap_sees_nothing_readable_in_implicit_tls() {
    let dovecot = Dovecot::start();
    let (addr, relay, mut events) = tap(dovecot.pop3s).await;

    let (mut client, _) = dovecot.connect_via(addr, Transport::Implicit).await;
    client::login_user_pass(&mut client, ALICE.0, ALICE.1)
        .await
        .unwrap();
    let mut retrieved = 0;
    for n in 1..=3 {
        retrieved += ok(&mut client, &format!("RETR {n}"), true)
            .await
            .body
            .unwrap()
            .len();
    }
    quit(client).await;
    let (up, down) = capture(&mut events).await;
    relay.abort();

    // Both directions start with a TLS handshake record (content type 22),
    // and the messages really crossed the tap, encrypted.
    assert_eq!(up.first(), Some(&22));
    assert_eq!(down.first(), Some(&22));
    assert!(
        down.len() > retrieved,
        "{} bytes seen, {retrieved} retrieved",
        down.len()
    );
    for (dir, bytes) in [("server to client", &down), ("client to server", &up)] {
        // Only strings long enough that random ciphertext will not
        // contain them by chance.
        for secret in [&b"wonderland"[..], b"Subject:", b"alice"] {
            assert!(
                !contains(bytes, secret),
                "{dir}: {:?} visible on the wire",
                String::from_utf8_lossy(secret)
            );
        }
    }
}

/// Runs `popscope demo ARGS` and returns (success, stdout, stderr).
fn demo(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_popscope"))
        .env("LANG", "en_GB.UTF-8")
        .arg("demo")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `popscope demo --server` puts the tap in front of Dovecot: in cleartext
/// the eavesdropper reads the password and the mail, over POP3S nothing,
/// and without the CA the run stops on the certificate.
#[test]
fn demo_runs_against_dovecot_through_the_tap() {
    let dovecot = Dovecot::start();
    let plain = format!("127.0.0.1:{}", dovecot.pop3.port());
    let tls = format!("127.0.0.1:{}", dovecot.pop3s.port());
    let ca = dovecot.ca.to_str().unwrap().to_string();

    let (ok, out, err) = demo(&["plain", "--server", &plain]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("(outside)"), "{out}");
    assert!(out.contains("! PASSWORD wonderland (for alice)"), "{out}");
    assert!(out.contains("client    → PASS ********"), "{out}");
    assert!(out.contains("password wonderland for alice"), "{out}");

    let (ok, out, err) = demo(&["apop", "--server", &plain]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("! APOP alice: digest "), "{out}");
    assert!(!out.contains("wonderland"), "{out}");

    let (ok, out, err) = demo(&["stls", "--server", &plain, "--ca", &ca]);
    assert!(ok, "{err}\n{out}");
    assert!(!out.contains("wonderland"), "{out}");
    assert!(out.contains("nothing readable"), "{out}");

    let (ok, out, err) = demo(&["pop3s", "--server", &tls, "--ca", &ca]);
    assert!(ok, "{err}\n{out}");
    assert!(!out.contains("wonderland"), "{out}");
    // An IP address is not sent as SNI, so the eavesdropper does not even
    // learn a server name.
    assert!(out.contains("nothing readable: TLSv1_3"), "{out}");
    assert!(out.contains("SNI (none)"), "{out}");

    let (ok, out, err) = demo(&["pop3s", "--server", &tls]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("certificate check failed: unknown issuer"),
        "{err}"
    );
}

/// Issue 9: `demo --server` against Dovecot marks message 2, shows
/// Dovecot's answer, and undoes the mark with RSET before QUIT, so three
/// runs leave alice's mailbox as it was.
#[test]
fn demo_leaves_a_dovecot_mailbox_as_it_was() {
    let dovecot = Dovecot::start();
    let plain = format!("127.0.0.1:{}", dovecot.pop3.port());
    let before = dovecot.message_files("alice").len();
    assert_eq!(before, 8);
    for run in 1..=3 {
        let (ok, out, err) = demo(&["plain", "--server", &plain]);
        assert!(ok, "run {run}: {err}\n{out}");
        let dele = out.find("client    → DELE 2").expect("DELE 2 is sent");
        let rset = out.find("client    → RSET").expect("RSET is sent");
        let quit = out.find("client    → QUIT").expect("QUIT is sent");
        assert!(dele < rset && rset < quit, "{out}");
        assert_eq!(
            dovecot.message_files("alice").len(),
            before,
            "run {run} deleted mail: {out}"
        );
    }
}
