//! The server over real TCP on loopback, driven with raw bytes: the rules
//! that only show on a socket (pipelining, STLS injection, timeouts, the
//! connection cap, shutdown, dropped connections).

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Conn, TestServer};
use popscope::tls;

#[test]
fn pipelined_commands_are_answered_in_order() {
    let srv = TestServer::start();
    let mut c = Conn::greeted(srv.pop3);
    c.send(b"USER alice\r\nPASS wonderland\r\nSTAT\r\nLIST 1\r\nNOOP\r\nUIDL 2\r\nQUIT\r\n");
    assert!(c.line().starts_with("+OK send PASS"));
    assert!(c.line().starts_with("+OK maildrop has "));
    let stat = c.line();
    let list1 = c.line();
    assert!(
        stat.starts_with("+OK ") && list1.starts_with("+OK 1 "),
        "{stat} {list1}"
    );
    assert_eq!(c.line(), "+OK\r\n");
    assert!(c.line().starts_with("+OK 2 1764205200."));
    assert!(c.line().starts_with("+OK popscope signing off"));
    assert_eq!(c.rest(), "");
}

#[test]
fn a_command_split_over_many_packets_is_one_command() {
    let srv = TestServer::start();
    let mut c = Conn::greeted(srv.pop3);
    for b in b"CAPA\r\n" {
        c.send(&[*b]);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(c.line().starts_with("+OK"));
    assert!(c.body().iter().any(|l| l == "PIPELINING\r\n"));
}

#[test]
fn overlong_lines_get_err_and_memory_stays_bounded() {
    let srv = TestServer::start();
    let mut c = Conn::greeted(srv.pop3);
    c.send(format!("NOOP {}\r\n", "x".repeat(300)).as_bytes());
    assert!(c.line().starts_with("-ERR command line too long"));
    // A megabyte with no line end at all is thrown away as it arrives.
    c.send(&vec![b'A'; 1 << 20]);
    c.send(b"\r\n");
    assert!(c.line().starts_with("-ERR command line too long"));
    assert!(c.login("alice", "wonderland").starts_with("+OK"));
}

/// RFC 2595 §4 / CVE-2011-0411: bytes pipelined after STLS are discarded,
/// not executed inside the TLS session.
#[test]
fn commands_injected_after_stls_are_thrown_away() {
    let srv = TestServer::start();
    let mut c = Conn::greeted(srv.pop3);
    c.send(b"STLS\r\nUSER mallory\r\nCAPA\r\n");
    assert!(c.line().starts_with("+OK begin TLS"));
    let tcp = c.into_stream();
    let config = tls::client_config(&tls::Trust::CaFile(srv.ca.clone()), true).unwrap();
    let conn = rustls::ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
    let mut t = rustls::StreamOwned::new(conn, tcp);
    t.write_all(b"PASS wonderland\r\n").unwrap();
    let mut buf = [0u8; 512];
    let n = t.read(&mut buf).unwrap();
    let reply = String::from_utf8_lossy(&buf[..n]);
    // Had "USER mallory" survived, PASS would be checked against it; had
    // CAPA survived, its list would come first.
    assert_eq!(reply, "-ERR send USER first\r\n");
}

#[test]
fn a_second_session_gets_in_use() {
    let srv = TestServer::start();
    let mut a = Conn::greeted(srv.pop3);
    assert!(a.login("alice", "wonderland").starts_with("+OK"));
    let mut b = Conn::greeted(srv.pop3);
    let r = b.login("alice", "wonderland");
    assert!(r.starts_with("-ERR [IN-USE]"), "{r}");
    // bob is not locked by alice's session.
    let mut c = Conn::greeted(srv.pop3);
    assert!(c.login("bob", "builder").starts_with("+OK"));
    assert!(a.cmd("QUIT").starts_with("+OK"));
    assert_eq!(a.rest(), "");
    let r = b.login("alice", "wonderland");
    assert!(r.starts_with("+OK"), "after the first QUIT: {r}");
}

/// Log in, retrying while the server has not yet noticed that the previous
/// connection is gone (it releases the lock when its task ends).
fn login_when_free(srv: &TestServer) -> Conn {
    let start = Instant::now();
    loop {
        let mut c = Conn::greeted(srv.pop3);
        let r = c.login("alice", "wonderland");
        if r.starts_with("+OK") {
            return c;
        }
        assert!(r.starts_with("-ERR [IN-USE]"), "{r}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "lock never released"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_dropped_connection_deletes_nothing() {
    let srv = TestServer::start();
    let before = srv.messages_on_disk("alice");
    let mut c = Conn::greeted(srv.pop3);
    c.login("alice", "wonderland");
    assert!(c.cmd("DELE 1").starts_with("+OK"));
    assert!(c.cmd("DELE 2").starts_with("+OK"));
    drop(c);
    let mut again = login_when_free(&srv);
    let stat = again.cmd("STAT");
    assert!(
        stat.starts_with(&format!("+OK {} ", before.len())),
        "{stat}"
    );
    assert_eq!(srv.messages_on_disk("alice"), before);
}

#[test]
fn quit_applies_the_deletions() {
    let srv = TestServer::start();
    let before = srv.messages_on_disk("alice");
    let mut c = Conn::greeted(srv.pop3);
    c.login("alice", "wonderland");
    assert!(c.cmd("DELE 2").starts_with("+OK"));
    assert!(c.cmd("QUIT").contains("1 messages deleted"));
    let after = srv.messages_on_disk("alice");
    assert_eq!(after.len(), before.len() - 1);
    assert!(!after.contains(&before[1]));
}

#[test]
fn idle_sessions_are_logged_out_without_deleting() {
    let srv = TestServer::start_with(|c| c.idle_timeout = Duration::from_millis(300));
    let before = srv.messages_on_disk("alice");
    let mut c = Conn::greeted(srv.pop3);
    c.login("alice", "wonderland");
    c.cmd("DELE 1");
    // Say nothing; the server gives up on us.
    assert_eq!(c.line(), "-ERR autologout: idle for too long\r\n");
    assert_eq!(c.rest(), "");
    drop(login_when_free(&srv));
    assert_eq!(srv.messages_on_disk("alice"), before);
}

#[test]
fn the_connection_cap_answers_sys_temp() {
    let srv = TestServer::start_with(|c| c.max_connections = 2);
    let _a = Conn::greeted(srv.pop3);
    let _b = Conn::greeted(srv.pop3);
    let mut c = Conn::open(srv.pop3);
    assert_eq!(
        c.line(),
        "-ERR [SYS/TEMP] too many connections; try again later\r\n"
    );
    assert_eq!(c.rest(), "");
    drop(_a);
    // The freed slot is usable again once the server sees the close.
    let start = Instant::now();
    loop {
        let mut d = Conn::open(srv.pop3);
        let l = d.line();
        if l.starts_with("+OK") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "slot never freed: {l}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn shutdown_ends_sessions_without_update() {
    let mut srv = TestServer::start();
    let before = srv.messages_on_disk("alice");
    let mut c = Conn::greeted(srv.pop3);
    c.login("alice", "wonderland");
    c.cmd("DELE 1");
    srv.stop();
    assert_eq!(c.line(), "-ERR [SYS/TEMP] server shutting down\r\n");
    assert_eq!(srv.messages_on_disk("alice"), before);
}

#[test]
fn mail_delivered_while_running_is_seen_at_next_login() {
    let srv = TestServer::start();
    let mut c = Conn::greeted(srv.pop3);
    c.login("bob", "builder");
    let n: usize = c.cmd("STAT").split(' ').nth(1).unwrap().parse().unwrap();
    c.cmd("QUIT");
    std::fs::write(
        srv.maildir.join("bob/new/1900000000.M1P1.test"),
        "Subject: late\n\nhello\n",
    )
    .unwrap();
    let mut d = Conn::greeted(srv.pop3);
    d.login("bob", "builder");
    assert!(d.cmd("STAT").starts_with(&format!("+OK {} ", n + 1)));
    assert_eq!(
        d.cmd(&format!("UIDL {}", n + 1)),
        format!("+OK {} 1900000000.M1P1.test\r\n", n + 1)
    );
}

#[test]
fn cleartext_login_can_be_denied_until_stls() {
    let srv = TestServer::start_with(|c| c.session.cleartext_login = false);
    let mut c = Conn::greeted(srv.pop3);
    assert!(c.cmd("USER alice").starts_with("-ERR [AUTH]"));
    // POP3S is already encrypted, so login works there.
    let config = tls::client_config(&tls::Trust::CaFile(srv.ca.clone()), true).unwrap();
    let conn = rustls::ClientConnection::new(Arc::clone(&config), "localhost".try_into().unwrap())
        .unwrap();
    let tcp = std::net::TcpStream::connect(srv.pop3s).unwrap();
    let mut t = rustls::StreamOwned::new(conn, tcp);
    let mut buf = [0u8; 512];
    let n = t.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"+OK"));
    t.write_all(b"USER alice\r\n").unwrap();
    let n = t.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"+OK send PASS\r\n");
}

#[test]
fn the_server_reports_what_it_did_as_events() {
    use popscope::pop3::server::ServerEvent;
    use popscope::pop3::session::StateName;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let srv = TestServer::start_with(|c| c.events = Some(tx));
    let mut c = Conn::greeted(srv.pop3);
    c.login("alice", "wonderland");
    c.cmd("DELE 2");
    c.cmd("QUIT");
    assert_eq!(c.rest(), "");
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(events.last(), Some(ServerEvent::Ended { .. })) {
        assert!(Instant::now() < deadline, "no Ended event: {events:?}");
        match rx.try_recv() {
            Ok(e) => events.push(e),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let commands: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Command { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(commands, ["USER alice", "PASS ********", "DELE 2", "QUIT"]);
    let states: Vec<StateName> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::State { state, .. } => Some(*state),
            _ => None,
        })
        .collect();
    assert_eq!(states, [StateName::Transaction, StateName::Update]);
    let marked = events.iter().rev().find_map(|e| match e {
        ServerEvent::Maildrop { messages, .. } => Some(messages.clone()),
        _ => None,
    });
    let marked = marked.expect("a maildrop snapshot");
    assert!(marked[1].deleted && !marked[0].deleted);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::Updated { removed: 1, .. }))
    );
    assert!(matches!(
        events[0],
        ServerEvent::Connected {
            implicit_tls: false,
            ..
        }
    ));
    assert!(
        matches!(&events[1], ServerEvent::Greeting { timestamp, .. } if timestamp.starts_with('<'))
    );
}
