//! The attacker's seat: each attack against a careless and a careful
//! client, judged from the bytes that really crossed. The victims are the
//! lab's own client (its real policies) and clients nobody here wrote
//! (curl), through `popscope proxy` in front of the embedded server.

mod common;

use std::time::Duration;

use popscope::attack::Attack;
use popscope::lab::proxy::{Proxy, ProxyOptions};
use popscope::lab::{AttackEvent, Event, EventKind, Lab, LabOptions, Scenario, Trust, WireEvent};
use popscope::wire::Direction;
use popscope::wire::tap::AttackNote;
use tokio::sync::mpsc;

use common::events::{attacker_read, contains, decrypted, rt, verdicts, wire_bytes};
use common::{TestServer, run};

/// Run the demo's script on a lab with `attack` and collect every event.
async fn lab_run(name: &str, attack: Attack, f: impl FnOnce(&mut Scenario)) -> Vec<Event> {
    let mut scenario = Scenario::named(name).unwrap();
    scenario.attack = Some(attack);
    f(&mut scenario);
    let (mut lab, mut rx) = Lab::start(scenario, LabOptions::default()).await.unwrap();
    let _ = lab.run_demo().await;
    lab.shutdown().await;
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    events
}

/// The number of the last connection the tap opened.
fn last_opened(events: &[Event]) -> u64 {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Wire(WireEvent::Opened { conn, .. }) => Some(*conn),
            _ => None,
        })
        .max()
        .expect("a connection was opened")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strip_stls_catches_the_careless_client_and_not_the_careful_one() {
    let careless = lab_run("stls", Attack::StripStls, |s| s.require_tls = false).await;
    let up = wire_bytes(&careless, Direction::ClientToServer);
    assert!(
        contains(&up, b"PASS wonderland\r\n"),
        "the password crossed in cleartext"
    );
    let down = wire_bytes(&careless, Direction::ServerToClient);
    assert!(
        !contains(&down, b"\r\nSTLS\r\n"),
        "the client never saw STLS offered"
    );
    assert!(careless.iter().any(|e| matches!(
        &e.kind,
        EventKind::Attack(AttackEvent::Acted {
            note: AttackNote::Removed { .. },
            ..
        })
    )));
    assert_eq!(verdicts(&careless).len(), 1);
    assert!(verdicts(&careless)[0].0, "{:?}", verdicts(&careless));

    let careful = lab_run("stls", Attack::StripStls, |s| s.require_tls = true).await;
    let up = wire_bytes(&careful, Direction::ClientToServer);
    assert!(!contains(&up, b"USER"), "no credential byte on the wire");
    assert!(!contains(&up, b"PASS"), "no credential byte on the wire");
    assert!(!contains(&up, b"wonderland"));
    let v = verdicts(&careful);
    assert_eq!(v.len(), 1);
    assert!(!v[0].0 && v[0].1.contains("refus"), "{v:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_certificate_reads_a_client_that_accepts_anything() {
    for name in ["pop3s", "stls"] {
        let careless = lab_run(name, Attack::ForgeCert, |s| {
            s.verify = Trust::InsecureAcceptAny;
            s.require_tls = true;
        })
        .await;
        let read = attacker_read(&careless, Direction::ClientToServer);
        assert!(
            contains(&read, b"PASS wonderland\r\n"),
            "{name}: the attacker read PASS"
        );
        let mail = attacker_read(&careless, Direction::ServerToClient);
        assert!(
            contains(&mail, b"Subject: Welcome to the popscope lab"),
            "{name}"
        );
        // The wire itself carried only TLS after STLS: the password is not
        // in what an eavesdropper saw.
        assert!(!contains(
            &wire_bytes(&careless, Direction::ClientToServer),
            b"wonderland"
        ));
        assert!(
            verdicts(&careless)[0].0,
            "{name}: {:?}",
            verdicts(&careless)
        );

        let careful = lab_run(name, Attack::ForgeCert, |s| {
            s.verify = Trust::LabCa;
            s.require_tls = true;
        })
        .await;
        assert!(
            attacker_read(&careful, Direction::ClientToServer).is_empty(),
            "{name}: the careful client sent no application data to the attacker"
        );
        let v = verdicts(&careful);
        assert!(!v[0].0, "{name}: {v:?}");
        assert!(v[0].1.contains("popscope attacker CA"), "{name}: {v:?}");
        let refused = careful.iter().any(|e| match &e.kind {
            EventKind::Client(popscope::lab::ClientEvent::TlsFailed {
                failure:
                    popscope::lab::TlsFailure::Certificate {
                        problem: popscope::tls::CertProblem::UnknownIssuer { issuer: Some(i) },
                    },
            }) => i.contains("popscope attacker CA"),
            _ => false,
        });
        assert!(refused, "{name}: the client names the attacker's CA");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genuine_certificate_for_another_name_is_caught_by_the_name_check() {
    let careless = lab_run("pop3s", Attack::WrongName, |s| {
        s.verify = Trust::InsecureAcceptAny;
    })
    .await;
    assert!(contains(
        &attacker_read(&careless, Direction::ClientToServer),
        b"PASS wonderland\r\n"
    ));
    assert!(verdicts(&careless)[0].0);

    // The decoy chains to the CA the client trusts: only the name is wrong,
    // and that is what the client says.
    let careful = lab_run("pop3s", Attack::WrongName, |_| {}).await;
    assert!(attacker_read(&careful, Direction::ClientToServer).is_empty());
    let v = verdicts(&careful);
    assert!(!v[0].0, "{v:?}");
    assert!(
        v[0].1.contains("name mismatch") && v[0].1.contains("attacker.popscope.test"),
        "{v:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stolen_keys_open_every_record_the_wire_carried() {
    for name in ["pop3s", "stls"] {
        let events = lab_run(name, Attack::StealKeys, |_| {}).await;
        // The wire itself shows nothing readable inside TLS...
        assert!(!contains(
            &wire_bytes(&events, Direction::ClientToServer),
            b"wonderland"
        ));
        // ...but the records the tap recorded open with the key log, in
        // order, and the client's decrypted application data is exactly
        // what it sent inside TLS.
        let sent = decrypted(&events, Direction::ClientToServer);
        let expected = if name == "stls" { "CAPA\r\n" } else { "" };
        assert!(
            sent.starts_with(&format!(
                "{expected}USER alice\r\nPASS wonderland\r\nSTAT\r\n"
            )),
            "{name}: {sent:?}"
        );
        let v = verdicts(&events);
        assert!(v[0].0 && v[0].1.contains("stolen key log"), "{name}: {v:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_bytes_are_sent_and_the_careful_server_discards_them() {
    let events = lab_run("stls", Attack::Inject, |s| s.require_tls = true).await;
    // The client's side carried only STLS; the attacker added QUIT on the
    // server's side, which the note reports.
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Attack(AttackEvent::Acted {
            note: AttackNote::Injected { dir: Direction::ClientToServer, text }, ..
        }) if text == "QUIT"
    )));
    // The careful server and client went on: the login and the commands
    // after it happened inside TLS.
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Client(popscope::lab::ClientEvent::LoggedIn { .. })
    )));
    let v = verdicts(&events);
    assert!(!v.is_empty() && !v[0].0, "{v:?}");
}

/// A proxy with `attack` in front of `upstream`, and its event stream.
async fn proxy(
    upstream: std::net::SocketAddr,
    attack: Attack,
    implicit_tls: bool,
) -> (Proxy, mpsc::UnboundedReceiver<Event>) {
    Proxy::start(ProxyOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream,
        implicit_tls,
        attack: Some(attack),
        allow_remote: false,
    })
    .await
    .unwrap()
}

/// Events until a verdict arrives (or 20 s pass).
async fn until_verdict(rx: &mut mpsc::UnboundedReceiver<Event>) -> (Vec<Event>, bool, String) {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let e = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("a verdict within 20 s")
            .expect("the proxy is running");
        if let EventKind::Attack(AttackEvent::Verdict { succeeded, why, .. }) = &e.kind {
            let (s, w) = (*succeeded, why.clone());
            events.push(e);
            return (events, s, w);
        }
        events.push(e);
    }
}

async fn curl(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let mut all: Vec<&str> = vec!["--silent", "--show-error", "--max-time", "20"];
        all.extend(args.iter().map(String::as_str));
        run("curl", &all, None)
    })
    .await
    .unwrap()
}

#[test]
fn curl_ssl_is_stripped_and_curl_ssl_reqd_refuses() {
    // The test server has a runtime of its own, so it starts outside ours.
    let server = TestServer::start();
    rt().block_on(async {
        let (p, mut rx) = proxy(server.pop3, Attack::StripStls, false).await;
        let url = format!("pop3://127.0.0.1:{}/1", p.local_addr().port());
        let ca = server.ca.display().to_string();

        let out = curl(vec![
            "--ssl".into(),
            "--cacert".into(),
            ca.clone(),
            "-u".into(),
            "alice:wonderland".into(),
            url.clone(),
        ])
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (events, succeeded, why) = until_verdict(&mut rx).await;
        assert!(succeeded, "{why}");
        let up = wire_bytes(&events, Direction::ClientToServer);
        // curl logs in with AUTH PLAIN: the base64 of "\0alice\0wonderland".
        assert!(
            contains(&up, b"AGFsaWNlAHdvbmRlcmxhbmQ=") || contains(&up, b"PASS wonderland"),
            "the password crossed in cleartext: {}",
            String::from_utf8_lossy(&up)
        );

        let out = curl(vec![
            "--ssl-reqd".into(),
            "--cacert".into(),
            ca,
            "-u".into(),
            "alice:wonderland".into(),
            url,
        ])
        .await;
        assert!(!out.status.success(), "curl --ssl-reqd must refuse");
        let (events, succeeded, why) = until_verdict(&mut rx).await;
        assert!(!succeeded, "{why}");
        let up = wire_bytes(&events, Direction::ClientToServer);
        assert!(!contains(&up, b"AUTH") && !contains(&up, b"PASS") && !contains(&up, b"USER"));
    });
}

#[test]
fn curl_insecure_is_read_through_a_forged_certificate_and_cacert_refuses() {
    // The test server has a runtime of its own, so it starts outside ours.
    let server = TestServer::start();
    rt().block_on(async {
        for (implicit, upstream, scheme, ssl) in [
            (true, server.pop3s, "pop3s", None),
            (false, server.pop3, "pop3", Some("--ssl-reqd")),
        ] {
            let (p, mut rx) = proxy(upstream, Attack::ForgeCert, implicit).await;
            let url = format!("{scheme}://localhost:{}/1", p.local_addr().port());
            let mut careless: Vec<String> =
                vec!["-k".into(), "-u".into(), "alice:wonderland".into()];
            careless.extend(ssl.map(String::from));
            careless.push(url.clone());
            let out = curl(careless).await;
            assert!(
                out.status.success(),
                "{scheme}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("Welcome to the popscope lab"));
            let (events, succeeded, why) = until_verdict(&mut rx).await;
            assert!(succeeded, "{scheme}: {why}");
            let read = attacker_read(&events, Direction::ClientToServer);
            assert!(
                contains(&read, b"AGFsaWNlAHdvbmRlcmxhbmQ=") || contains(&read, b"PASS wonderland"),
                "{scheme}: the attacker read the login"
            );

            let mut careful: Vec<String> = vec![
                "--cacert".into(),
                server.ca.display().to_string(),
                "-u".into(),
                "alice:wonderland".into(),
            ];
            careful.extend(ssl.map(String::from));
            careful.push(url);
            let out = curl(careful).await;
            assert!(!out.status.success(), "{scheme}: curl --cacert must refuse");
            let (events, succeeded, why) = until_verdict(&mut rx).await;
            assert!(!succeeded, "{scheme}: {why}");
            // Only this connection: the first one's last notes may still
            // have been on their way when its verdict came.
            let conn = last_opened(&events);
            let read_here = events.iter().any(|e| {
                matches!(&e.kind, EventKind::Attack(AttackEvent::Acted {
                    conn: c, note: AttackNote::Read { .. } }) if *c == conn)
            });
            assert!(
                !read_here,
                "{scheme}: the careful client sent nothing readable"
            );
        }
    });
}

#[tokio::test]
async fn the_proxy_listens_on_loopback_only_unless_told() {
    let err = Proxy::start(ProxyOptions {
        listen: "0.0.0.0:0".parse().unwrap(),
        upstream: "127.0.0.1:9".parse().unwrap(),
        implicit_tls: false,
        attack: None,
        allow_remote: false,
    })
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("--allow-remote"), "{err}");
}

/// Python's poplib through the proxy, in one of `poplib_victim.py`'s modes.
async fn poplib(mode: &str, port: u16, ca: &std::path::Path) -> (Option<i32>, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/poplib_victim.py");
    let (mode, port, ca) = (mode.to_string(), port.to_string(), ca.display().to_string());
    let out = tokio::task::spawn_blocking(move || {
        run("python3", &[script, &mode, "localhost", &port, &ca], None)
    })
    .await
    .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn poplib_is_stripped_when_careless_and_refuses_when_careful() {
    let server = TestServer::start();
    rt().block_on(async {
        let (p, mut rx) = proxy(server.pop3, Attack::StripStls, false).await;
        let port = p.local_addr().port();
        let (code, out) = poplib("stls-if-offered", port, &server.ca).await;
        assert_eq!(code, Some(0), "{out}");
        let (events, succeeded, why) = until_verdict(&mut rx).await;
        assert!(succeeded, "{why}");
        assert!(contains(
            &wire_bytes(&events, Direction::ClientToServer),
            b"PASS wonderland\r\n"
        ));

        let (code, out) = poplib("stls-required", port, &server.ca).await;
        assert_eq!(code, Some(3), "{out}");
        let (events, succeeded, why) = until_verdict(&mut rx).await;
        assert!(!succeeded, "{why}");
        let up = wire_bytes(&events, Direction::ClientToServer);
        assert!(!contains(&up, b"PASS") && !contains(&up, b"USER"));
    });
}

#[test]
fn poplib_insecure_is_read_through_a_forged_certificate_and_verify_refuses() {
    let server = TestServer::start();
    rt().block_on(async {
        let (p, mut rx) = proxy(server.pop3s, Attack::ForgeCert, true).await;
        let port = p.local_addr().port();
        let (code, out) = poplib("pop3s-insecure", port, &server.ca).await;
        assert_eq!(code, Some(0), "{out}");
        let (events, succeeded, why) = until_verdict(&mut rx).await;
        assert!(succeeded, "{why}");
        assert!(contains(
            &attacker_read(&events, Direction::ClientToServer),
            b"PASS wonderland\r\n"
        ));

        let (code, out) = poplib("pop3s-verify", port, &server.ca).await;
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains("CERTIFICATE_VERIFY_FAILED"), "{out}");
        let (_, succeeded, why) = until_verdict(&mut rx).await;
        assert!(!succeeded, "{why}");
    });
}
