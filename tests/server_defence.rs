//! The server against hostile clients, over real TCP on loopback: a line
//! dripped byte by byte (Slowloris), one address taking every slot, and
//! password guessing from many connections at once.
//!
//! Other loopback addresses (127.0.0.2, ...) stand for other machines:
//! Linux routes all of 127/8 to the loopback interface.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{Conn, TestServer};
use popscope::pop3::guard::{GuardConfig, Locked};
use popscope::pop3::server::ServerEvent;

const WRONG: &str = "-ERR [AUTH] invalid user name or password\r\n";

/// A connection from `from` (a loopback address) to `to`, read by line.
fn connect_from(from: [u8; 4], to: SocketAddr) -> BufReader<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stream = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((from, 0))).unwrap();
        socket.connect(to).await.unwrap()
    });
    let std = stream.into_std().unwrap();
    std.set_nonblocking(false).unwrap();
    std.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    BufReader::new(std)
}

fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut s = String::new();
    let _ = r.read_line(&mut s);
    s
}

fn cmd(r: &mut BufReader<TcpStream>, c: &str) -> String {
    r.get_mut()
        .write_all(format!("{c}\r\n").as_bytes())
        .unwrap();
    line(r)
}

/// Greeted, then USER and PASS; the answer to PASS.
fn login_from(from: [u8; 4], to: SocketAddr, user: &str, pass: &str) -> String {
    let mut r = connect_from(from, to);
    assert!(line(&mut r).starts_with("+OK"));
    assert!(cmd(&mut r, &format!("USER {user}")).starts_with("+OK"));
    let answer = cmd(&mut r, &format!("PASS {pass}"));
    if answer.starts_with("+OK") {
        cmd(&mut r, "QUIT");
    }
    answer
}

/// Every event sent so far.
fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<ServerEvent>) -> Vec<ServerEvent> {
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

#[test]
fn a_line_dripped_byte_by_byte_is_cut_after_the_idle_timeout() {
    let timeout = Duration::from_millis(600);
    let srv = TestServer::start_with(|c| c.idle_timeout = timeout);
    let mut s = Conn::greeted(srv.pop3).into_stream();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    // One byte every 100 ms, never a line end: each byte used to restart
    // the clock, so the session lived as long as the drip.
    for b in b"USER alice".iter().cycle().take(100) {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {} // nothing yet
        }
    }
    let took = start.elapsed();
    assert_eq!(
        String::from_utf8_lossy(&got),
        "-ERR autologout: idle for too long\r\n"
    );
    assert!(
        took < Duration::from_secs(8),
        "cut only after {took:?} (timeout {timeout:?})"
    );
}

#[test]
fn complete_lines_keep_a_session_alive() {
    let srv = TestServer::start_with(|c| c.idle_timeout = Duration::from_millis(800));
    let mut c = Conn::greeted(srv.pop3);
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(c.cmd("USER alice"), "+OK send PASS\r\n");
    }
}

#[test]
fn one_address_cannot_take_every_slot() {
    let srv = TestServer::start_with(|c| {
        c.max_connections = 10;
        c.max_per_ip = Some(2);
    });
    let _a = Conn::greeted(srv.pop3);
    let _b = Conn::greeted(srv.pop3);
    let mut c = Conn::open(srv.pop3);
    assert_eq!(
        c.line(),
        "-ERR [SYS/TEMP] too many connections from your address; try again later\r\n"
    );
    assert_eq!(c.rest(), "");
    // Another address still gets in, on both ports.
    let mut other = connect_from([127, 0, 0, 2], srv.pop3);
    assert!(line(&mut other).starts_with("+OK"));
    let r = login_from([127, 0, 0, 2], srv.pop3, "bob", "builder");
    assert!(r.starts_with("+OK maildrop has"), "{r}");
    // A closed connection gives its address's slot back.
    drop(_a);
    let start = Instant::now();
    loop {
        let mut d = Conn::open(srv.pop3);
        if d.line().starts_with("+OK") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "slot never freed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_default_share_is_a_quarter_of_the_cap() {
    let config = popscope::pop3::server::ServerConfig {
        max_connections: 50,
        ..Default::default()
    };
    assert_eq!(config.per_ip_limit(), 12);
    // A small cap keeps room for a few connections per machine.
    let small = popscope::pop3::server::ServerConfig {
        max_connections: 10,
        ..Default::default()
    };
    assert_eq!(small.per_ip_limit(), 4);
    let tiny = popscope::pop3::server::ServerConfig {
        max_connections: 2,
        ..Default::default()
    };
    assert_eq!(tiny.per_ip_limit(), 2);
    let given = popscope::pop3::server::ServerConfig {
        max_connections: 2,
        max_per_ip: Some(5),
        ..Default::default()
    };
    assert_eq!(given.per_ip_limit(), 2, "never more than the cap");
}

/// A budget with short windows, so the tests can wait them out.
fn quick_guard() -> GuardConfig {
    GuardConfig {
        account_free: 5,
        address_free: 1000,
        first_lockout: Duration::from_secs(2),
        max_lockout: Duration::from_secs(4),
        ..GuardConfig::default()
    }
}

#[test]
fn parallel_guessing_is_stopped_and_the_real_user_gets_back_in() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let srv = TestServer::start_with(|c| {
        c.guard = quick_guard();
        c.events = Some(tx);
    });
    // 20 connections at once, 5 wrong guesses each (the session limit).
    let addr = srv.pop3;
    let guessers: Vec<_> = (0..20)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = Conn::greeted(addr);
                let mut answers = Vec::new();
                for g in 0..5 {
                    answers.push(c.login("alice", &format!("guess-{i}-{g}")));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for g in guessers {
        answers.extend(g.join().unwrap());
    }
    // The wording never changes, locked or not.
    let last = "-ERR [AUTH] invalid user name or password; too many failures, goodbye\r\n";
    assert!(
        answers.iter().all(|a| a == WRONG || a == last),
        "{answers:?}"
    );

    // The right password is refused with the same words while locked:
    // guesses are no longer checked at all.
    let mut c = Conn::greeted(srv.pop3);
    assert_eq!(c.login("alice", "wonderland"), WRONG);

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = drain(&mut rx);
    // 100 guesses and the right password, each reported before its
    // answer was sent.
    while events
        .iter()
        .filter(|e| matches!(e, ServerEvent::LoginFailed { .. }))
        .count()
        < 101
    {
        assert!(Instant::now() < deadline, "events missing: {events:?}");
        std::thread::sleep(Duration::from_millis(20));
        events.extend(drain(&mut rx));
    }
    let checked = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ServerEvent::LoginFailed {
                    locked_out: false,
                    ..
                }
            )
        })
        .count();
    // Five free guesses, one that starts the lock, and one more each
    // time a window runs out while the flood goes on.
    assert!(
        (6..=10).contains(&checked),
        "{checked} of 100 guesses were checked"
    );
    let lockouts: Vec<(&Locked, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::LockedOut { who, duration, .. } => Some((who, *duration)),
            _ => None,
        })
        .collect();
    assert_eq!(
        lockouts.first(),
        Some(&(&Locked::Account("alice".into()), Duration::from_secs(2)))
    );
    assert_eq!(lockouts.len(), checked - 5, "one event per window started");

    // After the window, the real user gets in.
    let start = Instant::now();
    loop {
        let r = Conn::greeted(srv.pop3).login("alice", "wonderland");
        if r.starts_with("+OK") {
            break;
        }
        assert_eq!(r, WRONG);
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "still locked out after {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn an_address_that_logged_in_before_is_not_locked_out_by_others() {
    let srv = TestServer::start_with(|c| c.guard = quick_guard());
    // bob reads his mail from 127.0.0.2.
    let r = login_from([127, 0, 0, 2], srv.pop3, "bob", "builder");
    assert!(r.starts_with("+OK"), "{r}");
    // Someone at 127.0.0.1 spends bob's budget.
    for round in 0..2 {
        let mut c = Conn::greeted(srv.pop3);
        for g in 0..4 {
            c.login("bob", &format!("guess{round}{g}"));
        }
    }
    assert_eq!(Conn::greeted(srv.pop3).login("bob", "builder"), WRONG);
    assert_eq!(
        login_from([127, 0, 0, 3], srv.pop3, "bob", "builder"),
        WRONG,
        "a new address is kept out"
    );
    // bob's own address still works.
    let r = login_from([127, 0, 0, 2], srv.pop3, "bob", "builder");
    assert!(r.starts_with("+OK"), "{r}");
}

#[test]
fn guessing_many_accounts_from_one_address_locks_the_address() {
    let srv = TestServer::start_with(|c| {
        c.guard = GuardConfig {
            address_free: 3,
            ..quick_guard()
        }
    });
    let from = [127, 0, 0, 4];
    for name in ["root", "admin", "carol", "dave"] {
        assert_eq!(login_from(from, srv.pop3, name, "123456"), WRONG);
    }
    assert_eq!(
        login_from(from, srv.pop3, "bob", "builder"),
        WRONG,
        "the address is locked, whatever the account"
    );
    let r = login_from([127, 0, 0, 5], srv.pop3, "bob", "builder");
    assert!(r.starts_with("+OK"), "{r}");
}

#[test]
fn apop_and_auth_plain_spend_the_same_budget() {
    let srv = TestServer::start_with(|c| c.guard = quick_guard());
    let mut c = Conn::greeted(srv.pop3);
    for _ in 0..3 {
        assert_eq!(c.cmd(&format!("APOP alice {}", "0".repeat(32))), WRONG);
    }
    // authzid "", authcid "alice", password "nope": AGFsaWNlAG5vcGU=
    assert_eq!(c.cmd("AUTH PLAIN AGFsaWNlAG5vcGU="), WRONG);
    let mut d = Conn::greeted(srv.pop3);
    assert_eq!(d.cmd("AUTH PLAIN AGFsaWNlAG5vcGU="), WRONG);
    assert_eq!(d.cmd("AUTH PLAIN AGFsaWNlAG5vcGU="), WRONG);
    // "\0alice\0wonderland", the right password, refused unchecked.
    assert_eq!(d.cmd("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="), WRONG);
}

/// A burst of clients connecting at once must queue in the kernel until
/// the server accepts them. With the 128-deep queue `TcpListener::bind`
/// asks for, the kernel dropped the SYNs past it and those clients waited
/// a whole second to retry: 1,000 connections took over a second to open.
#[test]
fn a_burst_of_connections_waits_in_the_accept_queue() {
    let burst = 400;
    let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if somaxconn < burst + 1 {
        eprintln!("net.core.somaxconn is {somaxconn}: this kernel cannot queue {burst}; skipped");
        return;
    }
    popscope::pop3::server::raise_open_files_limit();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mail = tempfile::tempdir().unwrap();
    let backend = std::sync::Arc::new(popscope::pop3::session::Backend {
        users: popscope::pop3::auth::Users::new(),
        store: popscope::mailbox::Store::new(mail.path()),
    });
    let config = popscope::pop3::server::ServerConfig {
        pop3: Some("127.0.0.1:0".parse().unwrap()),
        ..Default::default()
    };
    rt.block_on(async {
        // Bound but not yet serving: nothing accepts, so every connection
        // must wait in the kernel's queue.
        let server = popscope::pop3::server::Server::bind(config, backend)
            .await
            .unwrap();
        let addr = server.pop3_addr().unwrap();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..burst {
            set.spawn(async move {
                // Shorter than the one-second SYN retry, so a dropped SYN
                // shows as a timeout rather than as a slow connect.
                tokio::time::timeout(
                    Duration::from_millis(900),
                    tokio::net::TcpStream::connect(addr),
                )
                .await
            });
        }
        let mut held = Vec::new();
        let mut dropped = 0;
        while let Some(r) = set.join_next().await {
            match r.unwrap() {
                Ok(Ok(s)) => held.push(s),
                _ => dropped += 1,
            }
        }
        assert_eq!(
            dropped, 0,
            "{dropped} of {burst} connections were not queued"
        );
        drop(server);
    });
}
