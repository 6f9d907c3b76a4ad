//! The library client's `open` against the real server: every transport
//! with every login method, the rules that keep a password off the wire,
//! certificate failures in words, and decoding a fetched message.
//!
//! The server runs in-process on its own runtime (see `common`); each test
//! drives the client on a second runtime of its own, because the server's
//! runtime cannot be entered from inside another one.

mod common;

use std::time::Duration;

use common::TestServer;
use popscope::pop3::client::{self, AuthMethod, ClientError, ClientSettings, Session, Transport};
use popscope::pop3::message;
use popscope::pop3::server::ServerEvent;
use popscope::tls::{self, Trust};
use rustls_pki_types::ServerName;
use tokio::sync::mpsc;

const USER: &str = "alice";
const PASSWORD: &str = "wonderland";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn name(s: &str) -> ServerName<'static> {
    ServerName::try_from(s.to_owned()).unwrap()
}

/// Settings that trust the test server's CA and check for "localhost".
fn settings(srv: &TestServer, transport: Transport, auth: AuthMethod) -> ClientSettings {
    let mut s = ClientSettings::new(transport, Trust::CaFile(srv.ca.clone()), name("localhost"));
    s.auth = auth;
    s.allow_cleartext_login = transport == Transport::Plain;
    s.timeout = Some(Duration::from_secs(20));
    s
}

fn addr_for(srv: &TestServer, transport: Transport) -> std::net::SocketAddr {
    match transport {
        Transport::Implicit => srv.pop3s,
        Transport::Plain | Transport::Stls => srv.pop3,
    }
}

/// A server that reports its events, and the receiving end.
fn server_with_events(
    f: impl FnOnce(&mut popscope::pop3::server::ServerConfig),
) -> (TestServer, mpsc::UnboundedReceiver<ServerEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let srv = TestServer::start_with(|c| {
        c.events = Some(tx);
        f(c);
    });
    (srv, rx)
}

/// The commands the server saw, once `sessions` sessions have finished. A
/// session is finished when it ends or when its TLS handshake fails (the
/// server reports no end for a POP3S connection that never got a greeting,
/// and nothing more can arrive on one whose handshake failed).
async fn commands_seen(
    rx: &mut mpsc::UnboundedReceiver<ServerEvent>,
    sessions: usize,
) -> Vec<String> {
    let mut commands = Vec::new();
    let mut finished = std::collections::HashSet::new();
    while finished.len() < sessions {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the server should report the end of the session")
            .expect("the event channel stays open");
        match event {
            ServerEvent::Command { text, .. } => commands.push(text),
            ServerEvent::Ended { session, .. } | ServerEvent::TlsFailed { session, .. } => {
                finished.insert(session);
            }
            _ => {}
        }
    }
    commands
}

fn assert_no_credentials(commands: &[String]) {
    for c in commands {
        let upper = c.to_ascii_uppercase();
        for keyword in ["USER", "PASS", "AUTH", "APOP"] {
            assert!(
                !upper.starts_with(keyword),
                "the client sent {c:?}; all commands: {commands:?}"
            );
        }
    }
}

async fn stat(session: &mut Session) -> String {
    session
        .client
        .command("STAT", false)
        .await
        .unwrap()
        .expect_ok("STAT")
        .unwrap()
        .status_line
}

#[test]
fn every_transport_with_every_login_method() {
    let srv = TestServer::start();
    let rt = runtime();
    for transport in [Transport::Plain, Transport::Stls, Transport::Implicit] {
        for auth in [
            AuthMethod::UserPass,
            AuthMethod::Apop,
            AuthMethod::AuthPlain,
        ] {
            let what = format!("{transport:?} with {auth:?}");
            rt.block_on(async {
                let s = settings(&srv, transport, auth);
                let mut session = client::open(addr_for(&srv, transport), &s, USER, PASSWORD)
                    .await
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert!(stat(&mut session).await.starts_with("8 "), "{what}");
                assert_eq!(
                    session.is_encrypted(),
                    transport != Transport::Plain,
                    "{what}"
                );
                match session.tls() {
                    Some(info) => {
                        assert!(info.summary.version.starts_with("TLSv1_"), "{what}");
                        assert_eq!(info.summary.sni.as_deref(), Some("localhost"), "{what}");
                        assert_eq!(info.stls, transport == Transport::Stls, "{what}");
                        // The demo server sends its certificate and the CA.
                        assert_eq!(info.peer_certificates.len(), 2, "{what}");
                        assert!(
                            info.peer_certificates
                                .iter()
                                .all(|c| c.first() == Some(&0x30))
                        );
                        assert_eq!(session.tls_summary(), Some(&info.summary));
                    }
                    None => assert!(session.peer_certificates().is_empty()),
                }
                if transport == Transport::Stls {
                    // The CAPA after the upgrade no longer lists STLS.
                    let caps = session.capabilities.clone().unwrap();
                    assert!(!caps.iter().any(|c| c == "STLS"), "{caps:?}");
                }
                assert!(session.quit().await.unwrap().ok, "{what}");
            });
        }
    }
}

#[test]
fn require_tls_without_stls_sends_no_credentials() {
    let (srv, mut rx) = server_with_events(|c| {
        c.tls = None;
        c.pop3s = None;
    });
    let rt = runtime();
    rt.block_on(async {
        for auth in [
            AuthMethod::UserPass,
            AuthMethod::Apop,
            AuthMethod::AuthPlain,
        ] {
            let mut s = settings(&srv, Transport::Stls, auth);
            s.require_tls = true;
            let err = client::open(srv.pop3, &s, USER, PASSWORD)
                .await
                .unwrap_err();
            assert!(matches!(err, ClientError::TlsRequired(_)), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("does not offer STLS"), "{text}");
            assert!(text.contains("no credentials were sent"), "{text}");
        }
        let commands = commands_seen(&mut rx, 3).await;
        assert_no_credentials(&commands);
        // The client did talk to the server: it asked for the capabilities.
        assert!(commands.iter().any(|c| c == "CAPA"), "{commands:?}");
    });
}

#[test]
fn opportunistic_stls_falls_back_but_keeps_the_password_home() {
    let (srv, mut rx) = server_with_events(|c| {
        c.tls = None;
        c.pop3s = None;
    });
    let rt = runtime();
    rt.block_on(async {
        for auth in [AuthMethod::UserPass, AuthMethod::AuthPlain] {
            let mut s = settings(&srv, Transport::Stls, auth);
            s.require_tls = false;
            s.allow_cleartext_login = false;
            let err = client::open(srv.pop3, &s, USER, PASSWORD)
                .await
                .unwrap_err();
            assert!(matches!(err, ClientError::CleartextLogin { .. }), "{err:?}");
        }
        assert_no_credentials(&commands_seen(&mut rx, 2).await);

        // APOP does not send the password, so it is allowed in cleartext.
        let mut s = settings(&srv, Transport::Stls, AuthMethod::Apop);
        s.require_tls = false;
        s.allow_cleartext_login = false;
        let mut session = client::open(srv.pop3, &s, USER, PASSWORD).await.unwrap();
        assert!(!session.is_encrypted());
        assert!(session.tls().is_none());
        assert!(stat(&mut session).await.starts_with("8 "));
        session.quit().await.unwrap();
    });
}

#[test]
fn plain_transport_refuses_cleartext_passwords_unless_allowed() {
    let (srv, mut rx) = server_with_events(|_| {});
    let rt = runtime();
    rt.block_on(async {
        for auth in [AuthMethod::UserPass, AuthMethod::AuthPlain] {
            let mut s = settings(&srv, Transport::Plain, auth);
            s.allow_cleartext_login = false;
            let err = client::open(srv.pop3, &s, USER, PASSWORD)
                .await
                .unwrap_err();
            assert!(matches!(err, ClientError::CleartextLogin { .. }), "{err:?}");
            assert!(err.to_string().contains("nothing was sent"), "{err}");
        }
        // Refused before connecting: the only session the server sees is
        // the APOP one below.
        let mut s = settings(&srv, Transport::Plain, AuthMethod::Apop);
        s.allow_cleartext_login = false;
        let mut session = client::open(srv.pop3, &s, USER, PASSWORD).await.unwrap();
        session.quit().await.unwrap();
        let commands = commands_seen(&mut rx, 1).await;
        assert!(commands[0].starts_with("APOP"), "{commands:?}");

        // A session opened without login applies the same rule later.
        let mut s = settings(&srv, Transport::Plain, AuthMethod::UserPass);
        s.allow_cleartext_login = false;
        let mut session = client::open_unauthenticated(srv.pop3, &s).await.unwrap();
        assert!(!session.may_send_password());
        let err = session
            .login(AuthMethod::UserPass, USER, PASSWORD)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::CleartextLogin { .. }), "{err:?}");
        session.quit().await.unwrap();
        assert_no_credentials(&commands_seen(&mut rx, 1).await);

        // Asking for TLS on a plain transport is a contradiction.
        let mut s = settings(&srv, Transport::Plain, AuthMethod::Apop);
        s.require_tls = true;
        let err = client::open(srv.pop3, &s, USER, PASSWORD)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::TlsRequired(_)), "{err:?}");
    });
}

#[test]
fn wrong_ca_is_unknown_issuer() {
    let (srv, mut rx) = server_with_events(|_| {});
    let other = tempfile::tempdir().unwrap();
    let other_ca = tls::ensure_demo_pki(other.path()).unwrap().ca_cert;
    let rt = runtime();
    rt.block_on(async {
        for transport in [Transport::Implicit, Transport::Stls] {
            let mut s = settings(&srv, transport, AuthMethod::UserPass);
            s.trust = Trust::CaFile(other_ca.clone());
            let err = client::open(addr_for(&srv, transport), &s, USER, PASSWORD)
                .await
                .unwrap_err();
            assert!(matches!(err, ClientError::Certificate { .. }), "{err:?}");
            // The library client names the untrusted issuer, as the lab's
            // client always did: both are the same client now.
            assert_eq!(
                err.to_string(),
                "certificate check failed: unknown issuer (the server's certificate was \
                 issued by CN=popscope demo CA (not for real use),O=popscope teaching lab - \
                 NOT FOR REAL USE, a CA you do not trust; if you trust it, give its \
                 certificate with --ca)"
            );
        }
        assert_no_credentials(&commands_seen(&mut rx, 2).await);
    });
}

#[test]
fn wrong_name_is_name_mismatch() {
    let srv = TestServer::start();
    let rt = runtime();
    rt.block_on(async {
        for transport in [Transport::Implicit, Transport::Stls] {
            let mut s = settings(&srv, transport, AuthMethod::UserPass);
            s.server_name = name("pop.example.com");
            let err = client::open(addr_for(&srv, transport), &s, USER, PASSWORD)
                .await
                .unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with(
                    "certificate check failed: name mismatch (the certificate is not valid \
                     for pop.example.com"
                ),
                "{text}"
            );
            assert!(text.contains("localhost, 127.0.0.1, ::1"), "{text}");
            match err {
                ClientError::Certificate {
                    rustls: rustls::Error::InvalidCertificate(cert),
                    ..
                } => assert!(
                    matches!(
                        cert,
                        rustls::CertificateError::NotValidForName
                            | rustls::CertificateError::NotValidForNameContext { .. }
                    ),
                    "{cert:?}"
                ),
                other => panic!("unexpected {other:?}"),
            }
        }
        // The demo certificate names 127.0.0.1, so an IP address checks out.
        let mut s = settings(&srv, Transport::Implicit, AuthMethod::UserPass);
        s.server_name = name("127.0.0.1");
        let mut session = client::open(srv.pop3s, &s, USER, PASSWORD).await.unwrap();
        // rustls sends no SNI for an address, and the summary says so.
        assert_eq!(session.tls_summary().unwrap().sni, None);
        session.quit().await.unwrap();
    });
}

#[test]
fn insecure_accepts_the_wrong_ca_and_the_wrong_name() {
    let srv = TestServer::start();
    let rt = runtime();
    rt.block_on(async {
        for transport in [Transport::Implicit, Transport::Stls] {
            let mut s = settings(&srv, transport, AuthMethod::UserPass);
            s.trust = Trust::InsecureAcceptAny;
            s.server_name = name("pop.example.com");
            let mut session = client::open(addr_for(&srv, transport), &s, USER, PASSWORD)
                .await
                .unwrap();
            assert!(session.is_encrypted());
            assert_eq!(session.peer_certificates().len(), 2);
            assert!(stat(&mut session).await.starts_with("8 "));
            session.quit().await.unwrap();
        }
    });
}

#[test]
fn system_roots_do_not_vouch_for_the_demo_ca() {
    let srv = TestServer::start();
    let rt = runtime();
    rt.block_on(async {
        let mut s = settings(&srv, Transport::Implicit, AuthMethod::UserPass);
        s.trust = Trust::SystemRoots;
        match client::open(srv.pop3s, &s, USER, PASSWORD)
            .await
            .unwrap_err()
        {
            ClientError::Certificate { problem, .. } => {
                assert!(
                    matches!(
                        &problem,
                        popscope::tls::CertProblem::UnknownIssuer { issuer: Some(i) }
                            if i.contains("popscope demo CA")
                    ),
                    "{problem:?}"
                )
            }
            // A machine without any CA store cannot build the config at all.
            ClientError::TlsConfig(e) => {
                assert!(e.to_string().contains("no usable system root"), "{e}")
            }
            other => panic!("unexpected {other:?}"),
        }
    });
}

#[test]
fn wrong_password_is_the_servers_err_without_the_password() {
    let srv = TestServer::start();
    let rt = runtime();
    rt.block_on(async {
        let s = settings(&srv, Transport::Implicit, AuthMethod::UserPass);
        let err = client::open(srv.pop3s, &s, USER, "not-the-password")
            .await
            .unwrap_err();
        match &err {
            ClientError::ErrReply { command, code, .. } => {
                assert_eq!(command, "PASS");
                assert_eq!(code.as_deref(), Some("AUTH"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!err.to_string().contains("not-the-password"));
    });
}

#[test]
fn retr_and_decode_the_japanese_message() {
    let srv = TestServer::start();
    let rt = runtime();
    rt.block_on(async {
        let s = settings(&srv, Transport::Implicit, AuthMethod::Apop);
        let mut session = client::open(srv.pop3s, &s, USER, PASSWORD).await.unwrap();
        let reply = session.client.command("RETR 2", true).await.unwrap();
        assert!(reply.ok);
        let decoded = message::decode(reply.body.as_deref().unwrap());
        assert_eq!(
            decoded.subject.as_deref(),
            Some("来週のクラスミーティングについて")
        );
        assert!(
            decoded
                .text
                .unwrap()
                .contains("クラスミーティングを開きます")
        );

        let reply = session.client.command("RETR 4", true).await.unwrap();
        let decoded = message::decode(reply.body.as_deref().unwrap());
        assert_eq!(decoded.attachments.len(), 1);
        assert_eq!(
            decoded.attachments[0].name.as_deref(),
            Some("lab-photo.png")
        );
        assert_eq!(decoded.attachments[0].size, 150_874);
        session.quit().await.unwrap();
    });
}

/// Counts the heap bytes in use by the thread that allocates them, so a
/// test can see how much its own thread held at most while the server,
/// on threads of its own, does its part. Everything else is passed to the
/// system allocator unchanged.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
        static START: Cell<isize> = const { Cell::new(0) };
    }

    fn track(delta: isize) {
        // `try_with`: allocations still happen while a thread is torn down.
        let _ = LIVE.try_with(|live| {
            let now = live.get() + delta;
            live.set(now);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
        });
    }

    /// Starts a measurement on this thread.
    pub fn reset_peak() {
        let now = LIVE.with(Cell::get);
        START.with(|start| start.set(now));
        PEAK.with(|peak| peak.set(now));
    }

    /// How far this thread's heap grew above its size at [`reset_peak`],
    /// at the most.
    pub fn peak_growth() -> usize {
        let start = START.with(Cell::get);
        let peak = PEAK.with(Cell::get);
        usize::try_from(peak - start).unwrap_or(0)
    }

    // SAFETY: every call is forwarded to `System` with the same arguments;
    // the counting only touches thread-local cells, which never allocate.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                track(layout.size() as isize);
            }
            p
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                track(layout.size() as isize);
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            track(-(layout.size() as isize));
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                track(new_size as isize - layout.size() as isize);
            }
            p
        }
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[test]
fn a_large_retr_is_streamed_with_bounded_memory() {
    let srv = TestServer::start();
    // A message of about 8 MiB that exercises the framing: lines that
    // start with a dot (stuffed by the server), a line that is only a dot,
    // bare LF and CRLF line ends, and one line of 200,000 bytes, far over
    // the client's line limit, which a streamed body does not need.
    let mut message = b"From: big@example.org\nSubject: big\n\n".to_vec();
    for i in 0..220_000u32 {
        match i % 5 {
            0 => message.extend_from_slice(b".a line that starts with a dot\n"),
            1 => message.extend_from_slice(b".\n"),
            2 => message.extend_from_slice(b"..two dots\r\n"),
            _ => message.extend_from_slice(&[b'x'; 78]),
        }
        message.push(b'\n');
        if i == 100_000 {
            message.extend(std::iter::repeat_n(b'y', 200_000));
            message.push(b'\n');
        }
    }
    // A name that sorts after the demo messages, so it is the last one.
    let path = srv
        .maildir
        .join(USER)
        .join("cur")
        .join("9999999999.big.test:2,S");
    std::fs::write(&path, &message).unwrap();
    let expected = common::as_crlf(&path);
    assert!(expected.len() > 8 * 1024 * 1024);
    let keep = 64 * 1024;
    runtime().block_on(async {
        let s = settings(&srv, Transport::Plain, AuthMethod::UserPass);
        let mut session = client::open(srv.pop3, &s, USER, PASSWORD).await.unwrap();
        let count = stat(&mut session).await;
        let n: usize = count.split(' ').next().unwrap().parse().unwrap();
        let listed = session
            .client
            .command(&format!("LIST {n}"), false)
            .await
            .unwrap()
            .status_line;
        counting::reset_peak();
        session
            .client
            .send_line(&format!("RETR {n}"))
            .await
            .unwrap();
        let got = session.client.read_reply_bounded(true, keep).await.unwrap();
        let held = counting::peak_growth();
        assert!(got.reply.ok, "{:?}", got.reply.status_line);
        // The whole body was counted, unstuffed, to the octet the server
        // listed, and the kept prefix is its first 64 KiB.
        assert_eq!(got.body_len, Some(expected.len()));
        assert_eq!(listed, format!("{n} {}", expected.len()));
        assert_eq!(got.reply.body.as_deref(), Some(&expected[..keep]));
        assert!(got.truncated());
        // The prefix, one read buffer and the TCP plumbing: nowhere near
        // the 8 MiB body.
        assert!(held < 512 * 1024, "the client's thread held {held} bytes");
        // The session goes on after the body.
        assert!(stat(&mut session).await.starts_with(&format!("{n} ")));
        session.quit().await.unwrap();
    });
}

/// A one-connection fake server on a real socket, for greetings and
/// silences the real server never produces.
async fn fake_server(greeting: Option<&'static [u8]>) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        if let Some(greeting) = greeting {
            tcp.write_all(greeting).await.unwrap();
        }
        // Keep the connection open until the client gives up.
        let mut sink = [0u8; 512];
        while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
    });
    addr
}

#[test]
fn apop_needs_a_timestamp_in_the_greeting() {
    runtime().block_on(async {
        let addr = fake_server(Some(b"+OK no timestamp here\r\n")).await;
        let mut s = ClientSettings::new(
            Transport::Plain,
            Trust::InsecureAcceptAny,
            name("localhost"),
        );
        s.auth = AuthMethod::Apop;
        let err = client::open(addr, &s, USER, PASSWORD).await.unwrap_err();
        assert!(matches!(err, ClientError::NoApopTimestamp), "{err:?}");
    });
}

#[test]
fn a_silent_server_times_out() {
    runtime().block_on(async {
        let addr = fake_server(None).await;
        let mut s = ClientSettings::new(
            Transport::Plain,
            Trust::InsecureAcceptAny,
            name("localhost"),
        );
        s.auth = AuthMethod::Apop;
        s.timeout = Some(Duration::from_millis(300));
        let err = client::open(addr, &s, USER, PASSWORD).await.unwrap_err();
        assert!(matches!(err, ClientError::Timeout(_)), "{err:?}");
    });
}
