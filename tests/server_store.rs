//! The server's storage side over real TCP on loopback, against a real
//! Maildir that other programs (and a hostile local user) change while
//! sessions run: issue 9's "nothing lost, nothing hangs" for the disk.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Conn, TestServer};
use popscope::pop3::server::ServerEvent;

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path and nothing else.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// issue 9: a FIFO or a symlink to /dev/zero in a Maildir hung the whole
/// server, because the login that measured them read on an async worker.
/// The test server has two workers; both logins below used to take one
/// each for ever, and nobody else was greeted.
#[test]
fn a_fifo_or_dev_zero_in_a_maildir_hangs_nobody() {
    let srv = TestServer::start();
    mkfifo(&srv.maildir.join("alice/cur/0001.fifo:2,"));
    std::os::unix::fs::symlink("/dev/zero", srv.maildir.join("bob/cur/0001.zero:2,")).unwrap();
    let mut a = Conn::greeted(srv.pop3);
    let mut b = Conn::greeted(srv.pop3);
    let checks = std::panic::catch_unwind(move || {
        a.send(b"USER alice\r\nPASS wonderland\r\n");
        b.send(b"USER bob\r\nPASS builder\r\n");
        std::thread::sleep(Duration::from_millis(200));
        let start = Instant::now();
        let mut c = Conn::open(srv.pop3);
        c.set_timeout(Duration::from_secs(3));
        let greeting = c.line();
        assert!(greeting.starts_with("+OK"), "greeting: {greeting:?}");
        assert!(c.cmd("CAPA").starts_with("+OK"));
        assert!(c.body().iter().any(|l| l == "UIDL\r\n"));
        assert!(start.elapsed() < Duration::from_secs(3));
        // And the two logins went through, without the odd files.
        a.set_timeout(Duration::from_secs(3));
        b.set_timeout(Duration::from_secs(3));
        assert!(a.line().starts_with("+OK send PASS"));
        assert!(a.line().starts_with("+OK maildrop has 8 messages"));
        assert!(b.line().starts_with("+OK send PASS"));
        assert!(b.line().starts_with("+OK maildrop has 3 messages"));
    });
    if let Err(e) = checks {
        // A server whose workers are stuck could not be stopped: leave it
        // to the end of the process rather than hang the test here.
        std::mem::forget(srv);
        std::panic::resume_unwind(e);
    }
}

/// issue 9: a symlink in cur/ served any file the server could read.
#[test]
fn a_symlink_to_a_secret_is_never_served() {
    let srv = TestServer::start();
    let secret = srv.maildir.join("secret");
    std::fs::write(&secret, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    std::os::unix::fs::symlink(&secret, srv.maildir.join("bob/cur/0001.link:2,")).unwrap();
    let mut c = Conn::greeted(srv.pop3);
    assert!(c.login("bob", "builder").starts_with("+OK maildrop has 3 "));
    for n in 1..=3 {
        assert!(c.cmd(&format!("RETR {n}")).starts_with("+OK"));
        assert!(!c.body().concat().contains("root:x"));
    }
    assert!(c.cmd("RETR 4").starts_with("-ERR no such message"));
}

/// issue 9: another client changed a message's flags during the session;
/// DELE + QUIT said "2 messages deleted" while a file was still there.
/// The reply and the server's event now say what really happened.
#[test]
fn quit_and_the_update_event_tell_the_truth() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let srv = TestServer::start_with(|c| c.events = Some(tx));
    let before = srv.messages_on_disk("alice");
    let mut c = Conn::greeted(srv.pop3);
    assert!(c.login("alice", "wonderland").starts_with("+OK"));
    assert!(c.cmd("DELE 1").starts_with("+OK"));
    assert!(c.cmd("DELE 2").starts_with("+OK"));
    assert!(c.cmd("DELE 3").starts_with("+OK"));
    // Another client flags message 1 as replied and deletes message 2.
    let first = before[0].to_str().unwrap();
    let renamed = format!("{}R", first);
    std::fs::rename(first, &renamed).unwrap();
    std::fs::remove_file(&before[1]).unwrap();
    assert_eq!(
        c.cmd("QUIT"),
        "+OK popscope signing off (2 messages deleted, 1 already removed by another client)\r\n"
    );
    assert!(!Path::new(&renamed).exists());
    assert_eq!(srv.messages_on_disk("alice"), before[3..]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no Updated event");
        match rx.try_recv() {
            Ok(ServerEvent::Updated {
                removed, failed, ..
            }) => {
                assert_eq!((removed, failed), (2, 0));
                break;
            }
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// issue 9: the size in a `,W=` field was trusted, so RETR announced
/// octets it did not send. Every RETR now sends exactly what it announced.
#[test]
fn retr_sends_exactly_the_octets_it_announces() {
    let srv = TestServer::start();
    let cur = srv.maildir.join("bob/cur");
    std::fs::write(cur.join("0001.a,W=18446744073709551615:2,"), "a\nb\n").unwrap();
    std::fs::write(cur.join("0002.b,W=5:2,"), "d\ne\n").unwrap();
    let mut c = Conn::greeted(srv.pop3);
    assert!(c.login("bob", "builder").starts_with("+OK maildrop has 5 "));
    for n in 1..=5 {
        let ok = c.cmd(&format!("RETR {n}"));
        let announced: usize = ok.split(' ').nth(1).unwrap().parse().unwrap();
        let sent: usize = c
            .body()
            .iter()
            .map(|l| l.strip_prefix('.').unwrap_or(l).len())
            .sum();
        assert_eq!(announced, sent, "RETR {n}: {ok}");
    }
}
