//! The lab's client, seen through its events, for every named scenario and
//! for the ways a login goes wrong: the sequence of client and lab events is
//! compared with `tests/golden/lab_client_events.txt`.
//!
//! The lab's client is the library client watched through an observer; this
//! test pins what the learner sees, so that a change in the client shows
//! up here as a change in the lab's story. Only what varies from run to run
//! is hidden: APOP timestamps and the APOP digest made from them. Run with
//! `POPSCOPE_WRITE_GOLDEN=1` to write the file after a deliberate change.

use std::fmt::Write as _;

use popscope::lab::{ClientEvent, EventKind, Lab, LabEvent, LabOptions, Scenario, describe};
use popscope::lang::Lang;

/// Replaces every `<...@...>` (an APOP timestamp) with `<TIMESTAMP>`.
fn hide_timestamps(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(len) if rest[start..start + len].contains('@') => {
                out.push_str("<TIMESTAMP>");
                rest = &rest[start + len + 1..];
            }
            _ => {
                out.push('<');
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One line per client or lab event, in the order the lab emitted them.
fn story(events: &[EventKind]) -> String {
    let mut out = String::new();
    for e in events {
        let line = match e {
            EventKind::Lab(LabEvent::Step { step }) => {
                format!("step {}", describe::demo_step(*step, Lang::En))
            }
            EventKind::Lab(LabEvent::Finished { ok, error, .. }) => {
                format!("finished ok={ok} error={error:?}")
            }
            EventKind::Client(c) => match c {
                ClientEvent::Connecting { transport, .. } => format!("connecting {transport}"),
                ClientEvent::Sent { line } => {
                    // The digest depends on the timestamp.
                    let line = match line.strip_prefix("APOP alice ") {
                        Some(_) => "APOP alice <DIGEST>".to_string(),
                        None => line.clone(),
                    };
                    format!("sent {line}")
                }
                ClientEvent::Received {
                    status,
                    text,
                    body,
                    body_len,
                } => format!(
                    "received ok={} {} body_len={body_len:?} body={:?}",
                    status.is_ok(),
                    hide_timestamps(&status.line(text)),
                    body.as_deref().map(|b| &b[..b.len().min(120)])
                ),
                ClientEvent::TlsEstablished {
                    summary,
                    version,
                    chain,
                    trust,
                } => format!(
                    "tls {} {:?} {} {:?} sni={:?} chain={:?} {trust:?}",
                    summary.version,
                    version,
                    summary.suite,
                    summary.group,
                    summary.sni,
                    chain.iter().map(|c| &c.subject).collect::<Vec<_>>()
                ),
                ClientEvent::TlsFailed { failure } => format!("tls failed {failure:?}"),
                ClientEvent::LoggedIn { user, method } => {
                    format!("logged in {user} {}", method.name())
                }
                ClientEvent::Error { problem } => format!("error {problem:?}"),
                other => format!("{other:?}"),
            },
            _ => continue,
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

fn run(name: &str, change: impl FnOnce(&mut Scenario)) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut scenario = Scenario::named(name).unwrap();
        change(&mut scenario);
        let (mut lab, mut rx) = Lab::start(scenario, LabOptions::default()).await.unwrap();
        let _ = lab.run_demo().await;
        lab.shutdown().await;
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        // Stably by time, as `demo` shows them.
        events.sort_by_key(|e| e.at);
        story(&events.into_iter().map(|e| e.kind).collect::<Vec<_>>())
    })
}

#[test]
fn the_lab_tells_each_scenario_as_before() {
    let mut all = String::new();
    for &name in Scenario::NAMES {
        let _ = writeln!(all, "== {name}\n{}", run(name, |_| {}));
        let _ = writeln!(
            all,
            "== {name}, wrong password\n{}",
            run(name, |s| s.password = "nope".into())
        );
    }
    let _ = writeln!(
        all,
        "== plain, require-TLS\n{}",
        run("plain", |s| s.require_tls = true)
    );
    let _ = writeln!(
        all,
        "== auth-plain, require-TLS\n{}",
        run("auth-plain", |s| s.require_tls = true)
    );
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/lab_client_events.txt");
    if std::env::var_os("POPSCOPE_WRITE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &all).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    if want != all {
        let first = want
            .lines()
            .zip(all.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(all.lines().count()));
        panic!(
            "the lab's story changed at line {}:\n  was: {:?}\n  now: {:?}\n(whole story now:)\n{all}",
            first + 1,
            want.lines().nth(first),
            all.lines().nth(first)
        );
    }
}

/// A server (standing in for a man in the middle) that answers STLS with
/// `+OK` and a forged reply in one write, then does a real TLS handshake
/// with a self-signed certificate and answers CAPA with `+OK genuine`.
/// It serves connections until the runtime ends (the lab probes once
/// before its client connects).
async fn injecting_server() -> std::net::SocketAddr {
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        cert.signing_key.serialize_der(),
    ));
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut io = BufReader::new(tcp);
                let mut line = String::new();
                io.get_mut().write_all(b"+OK ready\r\n").await.ok()?;
                io.read_line(&mut line).await.ok()?;
                (line == "CAPA\r\n").then_some(())?;
                io.get_mut().write_all(b"+OK\r\nSTLS\r\n.\r\n").await.ok()?;
                line.clear();
                io.read_line(&mut line).await.ok()?;
                (line == "STLS\r\n").then_some(())?;
                io.get_mut()
                    .write_all(b"+OK\r\n+OK forged\r\n")
                    .await
                    .ok()?;
                let tls = acceptor.accept(io.into_inner()).await.ok()?;
                let mut io = BufReader::new(tls);
                line.clear();
                io.read_line(&mut line).await.ok()?;
                io.get_mut()
                    .write_all(b"+OK genuine\r\nUSER\r\n.\r\n")
                    .await
                    .ok()?;
                io.get_mut().flush().await.ok()?;
                let mut sink = Vec::new();
                let _ = io.read_to_end(&mut sink).await;
                Some(())
            });
        }
    });
    addr
}

/// The lab's client events for connecting to the injecting server.
fn injected(vulnerable: bool) -> Vec<ClientEvent> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let addr = injecting_server().await;
        let mut scenario = Scenario::named("stls").unwrap();
        scenario.verify = popscope::lab::Trust::InsecureAcceptAny;
        scenario.vulnerable_client = vulnerable;
        let options = LabOptions {
            server: Some(addr),
            server_name: Some("localhost".into()),
            ..LabOptions::default()
        };
        let (mut lab, mut rx) = Lab::start(scenario, options).await.unwrap();
        lab.connect().await.unwrap();
        lab.shutdown().await;
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            if let EventKind::Client(c) = e.kind {
                events.push(c);
            }
        }
        events
    })
}

/// The status lines the client received after its TLS handshake.
fn received_under_tls(events: &[ClientEvent]) -> Vec<String> {
    let tls = events
        .iter()
        .position(|e| matches!(e, ClientEvent::TlsEstablished { .. }))
        .expect("the handshake succeeded");
    events[tls..]
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Received { status, text, .. } => Some(status.line(text)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_lab_shows_an_injected_reply_discarded_or_read_by_the_vulnerable_client() {
    let careful = injected(false);
    assert!(
        careful.iter().any(|e| matches!(e,
            ClientEvent::StlsLeftover { len: 12, preview, kept: false } if preview == "+OK forged\r\n")),
        "{careful:#?}"
    );
    assert_eq!(
        received_under_tls(&careful),
        ["+OK genuine"],
        "{careful:#?}"
    );

    let vulnerable = injected(true);
    assert!(
        vulnerable
            .iter()
            .any(|e| matches!(e, ClientEvent::StlsLeftover { kept: true, .. })),
        "{vulnerable:#?}"
    );
    // The forged line answers the first command sent under TLS (CAPA).
    assert_eq!(
        received_under_tls(&vulnerable)[0],
        "+OK forged",
        "{vulnerable:#?}"
    );
}
