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

use popscope::lab::{ClientEvent, EventKind, Lab, LabEvent, LabOptions, Scenario};

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
            EventKind::Lab(LabEvent::Step { text }) => format!("step {text}"),
            EventKind::Lab(LabEvent::Finished { ok, error }) => {
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
                    ok,
                    status,
                    body,
                    body_len,
                } => format!(
                    "received ok={ok} {} body_len={body_len:?} body={:?}",
                    hide_timestamps(status),
                    body.as_deref().map(|b| &b[..b.len().min(120)])
                ),
                ClientEvent::TlsEstablished {
                    summary,
                    chain,
                    verification,
                } => format!(
                    "tls {} {} {:?} sni={:?} chain={:?} {verification}",
                    summary.version,
                    summary.suite,
                    summary.group,
                    summary.sni,
                    chain.iter().map(|c| &c.subject).collect::<Vec<_>>()
                ),
                ClientEvent::TlsFailed { reason, .. } => format!("tls failed {reason}"),
                ClientEvent::LoggedIn { user, method } => format!("logged in {user} {method}"),
                ClientEvent::Error { message } => format!("error {message}"),
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
