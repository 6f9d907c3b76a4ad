//! STARTTLS command injection (CVE-2011-0411) against the real server over
//! real TCP and real TLS: a raw client pipelines a command behind its STLS
//! line in the same write, as a man in the middle would append one, then
//! does the handshake. The server throws those bytes away; in its
//! deliberately vulnerable mode it runs them inside TLS instead. Both say
//! so with an event.

mod common;

use std::time::Duration;

use common::{TestServer, run};
use popscope::lab::describe;
use popscope::pop3::server::ServerEvent;
use popscope::tls;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;

const CAPA_REPLY: &str = "+OK capability list follows\r\n";

/// Start a server that reports its events, vulnerable or not.
fn server(vulnerable: bool) -> (TestServer, mpsc::UnboundedReceiver<ServerEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let srv = TestServer::start_with(|c| {
        c.events = Some(tx);
        c.vulnerable_stls_injection = vulnerable;
    });
    (srv, rx)
}

/// Read one line, a byte at a time so that nothing after it (the TLS
/// handshake) is taken from the socket.
async fn line<S: AsyncRead + Unpin>(s: &mut S) -> String {
    let mut out = Vec::new();
    while !out.ends_with(b"\r\n") {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut b))
            .await
            .expect("a line within 10 s")
            .unwrap();
        assert_eq!(n, 1, "EOF after {:?}", String::from_utf8_lossy(&out));
        out.push(b[0]);
    }
    String::from_utf8(out).unwrap()
}

/// Read a whole multi-line reply (status line to ".").
async fn multiline<S: AsyncRead + Unpin>(s: &mut S) -> String {
    let mut out = line(s).await;
    loop {
        let l = line(s).await;
        out.push_str(&l);
        if l == ".\r\n" {
            return out;
        }
    }
}

/// The attack, from the client's side: `STLS\r\nCAPA\r\n` in one write,
/// the handshake, then (in vulnerable mode only) the injected command's
/// reply, read before the client has sent anything inside TLS, then the
/// client's own `CAPA` and `QUIT`. Returns every byte read inside TLS.
fn inject(srv: &TestServer, vulnerable: bool) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut tcp = TcpStream::connect(srv.pop3).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        assert!(line(&mut tcp).await.starts_with("+OK "));
        tcp.write_all(b"STLS\r\nCAPA\r\n").await.unwrap();
        assert_eq!(line(&mut tcp).await, "+OK begin TLS negotiation\r\n");
        let config = tls::client_config(&tls::Trust::CaFile(srv.ca.clone()), false).unwrap();
        let mut t = TlsConnector::from(config)
            .connect("localhost".try_into().unwrap(), tcp)
            .await
            .expect("handshake");
        let mut inside = String::new();
        if vulnerable {
            // Nothing has been sent inside TLS yet, and a CAPA reply comes:
            // the one the injected cleartext bytes asked for.
            let first = multiline(&mut t).await;
            assert!(first.starts_with(CAPA_REPLY), "{first}");
            inside.push_str(&first);
        }
        t.write_all(b"CAPA\r\nQUIT\r\n").await.unwrap();
        inside.push_str(&multiline(&mut t).await);
        let bye = line(&mut t).await;
        assert!(bye.starts_with("+OK popscope signing off"), "{bye}");
        inside.push_str(&bye);
        // Then the server closes the TLS session cleanly: nothing more.
        let mut rest = Vec::new();
        t.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
        inside
    })
}

fn events(mut srv: TestServer, mut rx: mpsc::UnboundedReceiver<ServerEvent>) -> Vec<ServerEvent> {
    srv.stop();
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

fn commands(events: &[ServerEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Command { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn injected_bytes_are_discarded_and_the_discard_is_reported() {
    let (srv, rx) = server(false);
    let inside = inject(&srv, false);
    assert_eq!(inside.matches(CAPA_REPLY).count(), 1, "{inside}");
    let events = events(srv, rx);
    assert_eq!(commands(&events), ["STLS", "CAPA", "QUIT"]);
    let discarded: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::DiscardedBeforeTls { .. }))
        .collect();
    assert_eq!(discarded.len(), 1, "{events:?}");
    let ServerEvent::DiscardedBeforeTls { bytes, text, .. } = discarded[0] else {
        unreachable!()
    };
    assert_eq!((*bytes, text.as_str()), (6, "CAPA"));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::InjectedIntoTls { .. }))
    );
    let words = describe::server_line(discarded[0], popscope::lang::Lang::En).unwrap();
    assert!(
        words.starts_with(
            "discarded 6 bytes sent after STLS before the TLS handshake, unread: CAPA"
        ),
        "{words}"
    );
}

#[test]
fn the_vulnerable_mode_runs_injected_bytes_inside_tls_and_says_so() {
    let (srv, rx) = server(true);
    let inside = inject(&srv, true);
    assert_eq!(inside.matches(CAPA_REPLY).count(), 2, "{inside}");
    let events = events(srv, rx);
    // The injected CAPA shows up as an ordinary command, before the one
    // the client really sent inside TLS.
    assert_eq!(commands(&events), ["STLS", "CAPA", "CAPA", "QUIT"]);
    let at = |f: &dyn Fn(&ServerEvent) -> bool| events.iter().position(f).unwrap();
    let tls_up = at(&|e| matches!(e, ServerEvent::Tls { stls: true, .. }));
    let injected = at(&|e| matches!(e, ServerEvent::InjectedIntoTls { .. }));
    let first_capa = at(&|e| matches!(e, ServerEvent::Command { text, .. } if text == "CAPA"));
    assert!(tls_up < injected && injected < first_capa, "{events:?}");
    let ServerEvent::InjectedIntoTls { bytes, text, .. } = &events[injected] else {
        unreachable!()
    };
    assert_eq!((*bytes, text.as_str()), (6, "CAPA"));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::DiscardedBeforeTls { .. }))
    );
    let words = describe::server_line(&events[injected], popscope::lang::Lang::En).unwrap();
    assert!(
        words.starts_with("VULNERABLE MODE: running 6 bytes"),
        "{words}"
    );
    assert!(
        words.ends_with("as if they came inside TLS: CAPA"),
        "{words}"
    );
}

/// A client that does not inject (openssl waits for the `+OK` before its
/// handshake) works the same with either setting.
#[test]
fn openssl_starttls_works_in_both_modes() {
    for vulnerable in [false, true] {
        let (srv, rx) = server(vulnerable);
        let out = run(
            "openssl",
            &[
                "s_client",
                "-crlf",
                "-ign_eof",
                "-verify_return_error",
                "-starttls",
                "pop3",
                "-connect",
                &srv.pop3.to_string(),
                "-CAfile",
                srv.ca.to_str().unwrap(),
                "-verify_hostname",
                "localhost",
                "-servername",
                "localhost",
            ],
            Some(b"USER alice\nPASS wonderland\nSTAT\nQUIT\n"),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
        assert!(text.contains("+OK maildrop has 8 messages"), "{text}");
        assert!(text.contains("+OK popscope signing off"), "{text}");
        let events = events(srv, rx);
        assert!(!events.iter().any(|e| matches!(
            e,
            ServerEvent::DiscardedBeforeTls { .. } | ServerEvent::InjectedIntoTls { .. }
        )));
    }
}
