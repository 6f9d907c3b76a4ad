//! The key schedule view from a real lab, in both TLS versions: the
//! screen's model computes the same keys as `wire::schedule` does from the
//! same inputs, both Finished messages verify (and stop verifying when one
//! byte of the transcript changes), and the view shows the real key bytes
//! with their labels in Japanese and English.

mod common;

use popscope::lab::{Event, EventKind, Scenario, Side, TlsEvent, TlsVersion};
use popscope::lang::Lang;
use popscope::tui::app::{Action, App};
use popscope::tui::model::{FinishedStatus, KeysModel};
use popscope::tui::panes::schedule;
use popscope::tui::theme::{Theme, ThemeName};
use popscope::wire::Direction;
use popscope::wire::decrypt::{KeyLog, label};
use popscope::wire::schedule::Schedule;
use popscope::wire::steps::StepKind;
use popscope::wire::tls::{self, Handshake};

/// Run a scenario's demo and keep its events, in time order.
async fn run(name: &str, version: Option<TlsVersion>) -> (Scenario, Vec<Event>) {
    let mut scenario = Scenario::named(name).unwrap();
    scenario.tls_version = version;
    (scenario, common::events::demo_events(name, version).await)
}

fn model(events: &[Event]) -> KeysModel {
    let mut m = KeysModel::default();
    for e in events {
        m.apply(e);
    }
    m
}

/// The schedule of connection 1 computed here, straight from the events,
/// without the screen's model: the client's secrets, the hellos' randoms
/// and the ServerHello's choice.
fn expected(events: &[Event]) -> Schedule {
    let mut keys = KeyLog::new();
    let (mut cr, mut sr, mut chosen) = (None, None, None);
    for e in events {
        match &e.kind {
            EventKind::Tls(TlsEvent::Secret {
                side: Side::Client,
                label,
                client_random,
                secret,
            }) => keys.insert_hex(label, client_random, secret).unwrap(),
            EventKind::Tls(TlsEvent::Step { conn: 1, step, .. }) => match step.kind {
                StepKind::Handshake { msg_type: 1, .. } => {
                    cr = tls::hello_random(&step.bytes[4..]);
                }
                StepKind::Handshake { msg_type: 2, .. } => {
                    sr = tls::hello_random(&step.bytes[4..]);
                    if let Ok(Handshake::ServerHello {
                        version,
                        cipher_suite,
                        ..
                    }) = tls::decode_handshake(2, &step.bytes[4..], None)
                    {
                        chosen = Some((version, cipher_suite));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    let (version, suite) = chosen.expect("a ServerHello");
    popscope::wire::schedule::schedule(&keys, version, suite, &cr.unwrap(), &sr.unwrap())
        .expect("a schedule")
}

fn verified(m: &KeysModel, dir: Direction) -> bool {
    matches!(m.finished(1, dir), Some(FinishedStatus::Verified(_)))
}

/// Every record key, IV and (1.2) key block part of a schedule, in hex.
fn key_hexes(s: &Schedule) -> Vec<String> {
    match s {
        Schedule::Tls13(s) => s
            .secrets
            .iter()
            .flat_map(|t| {
                let k = t.keys.as_ref().expect("every secret logged");
                [hex::encode(&k.key.value), hex::encode(&k.iv.value)]
            })
            .collect(),
        Schedule::Tls12(s) => {
            let kb = &s.keys.as_ref().expect("the master secret logged").key_block;
            [
                &kb.client_write_key,
                &kb.server_write_key,
                &kb.client_write_iv,
                &kb.server_write_iv,
            ]
            .iter()
            .map(|p| hex::encode(&p.value))
            .collect()
        }
    }
}

/// The view of connection 1 as text, drawn by a screen fed the events.
fn view(scenario: &Scenario, events: &[Event], lang: Lang) -> String {
    let mut app = App::new(scenario.clone());
    for e in events {
        app.update(Action::Lab(app.generation, Box::new(e.clone())));
    }
    let theme = Theme::new(ThemeName::Dark, false);
    let lines = schedule::lines(&app, 1, lang, &theme);
    // The lines a Finished step's byte view shows are the view's own.
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let one = schedule::finished_lines(&app, 1, dir, lang, &theme);
        if app.keys.schedule(1).is_some_and(|s| s.is_ok()) {
            assert!(!one.is_empty());
            assert!(
                lines.windows(one.len()).any(|w| w == one.as_slice()),
                "{one:?}"
            );
        } else {
            assert!(one.is_empty());
        }
    }
    if app.keys.newest().is_some() {
        assert_eq!(
            schedule::newest_lines(&app, lang, &theme),
            lines,
            "the only connection is the newest"
        );
    }
    // A line's Display is its spans' text, styles left out.
    lines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The view with what changes from run to run taken out, for a
/// snapshot: every run of eight or more hex digits (randoms, secrets,
/// keys) and the record counts, which depend on the demo's conversation.
fn redacted(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let counts = line.starts_with("  Opened") || line.starts_with("  開いたもの");
        let mut run = String::new();
        let flush = |run: &mut String, out: &mut String| {
            if run.len() >= 8 && run.chars().all(|c| c.is_ascii_hexdigit()) {
                out.push_str("‹hex›");
            } else if counts && !run.is_empty() && run.chars().all(|c| c.is_ascii_digit()) {
                out.push('N');
            } else {
                out.push_str(run);
            }
            run.clear();
        };
        for c in line.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                run.push(c);
            } else {
                flush(&mut run, &mut out);
                out.push(c);
            }
        }
        flush(&mut run, &mut out);
        out.push('\n');
    }
    out
}

/// The events with one byte of connection 1's Certificate changed: a
/// message both Finished messages cover in both versions.
fn tampered(events: &[Event]) -> Vec<Event> {
    let mut events = events.to_vec();
    let cert = events
        .iter_mut()
        .find_map(|e| match &mut e.kind {
            EventKind::Tls(TlsEvent::Step { conn: 1, step, .. })
                if step.kind
                    == (StepKind::Handshake {
                        msg_type: 11,
                        retry: false,
                    }) =>
            {
                Some(step)
            }
            _ => None,
        })
        .expect("a Certificate step");
    let last = cert.bytes.len() - 1;
    cert.bytes[last] ^= 1;
    events
}

/// The events with the steps reported last-chunk-first, as if every
/// secret had come late: each still carries its `order`, and steps of
/// the same chunk keep their order among themselves (the lab reports them
/// so).
fn steps_reversed(events: &[Event]) -> Vec<Event> {
    let order = |e: &Event| match e.kind {
        EventKind::Tls(TlsEvent::Step { order, .. }) => Some(order),
        _ => None,
    };
    let is_step = |e: &Event| order(e).is_some();
    let mut steps: Vec<Event> = events.iter().filter(|e| is_step(e)).cloned().collect();
    steps.sort_by_key(|e| std::cmp::Reverse(order(e)));
    assert!(
        steps.windows(2).any(|w| order(&w[0]) != order(&w[1])),
        "more than one chunk, so the order changed"
    );
    let mut out: Vec<Event> = events.iter().filter(|e| !is_step(e)).cloned().collect();
    out.extend(steps);
    out
}

fn check_version(scenario: &Scenario, events: &[Event], tls13: bool) {
    let m = model(events);
    let want = expected(events);
    let got = m.schedule(1).expect("connection 1 has hellos");
    assert_eq!(got.as_ref().expect("a known suite"), &want);
    assert_eq!(matches!(want, Schedule::Tls13(_)), tls13);
    assert!(verified(&m, Direction::ClientToServer), "{:?}", m.conn(1));
    assert!(verified(&m, Direction::ServerToClient), "{:?}", m.conn(1));

    // One byte changed in what both Finished cover: neither verifies.
    let bad = model(&tampered(events));
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        assert!(
            matches!(bad.finished(1, dir), Some(FinishedStatus::DoesNotVerify(_))),
            "{dir:?}: {:?}",
            bad.finished(1, dir)
        );
    }

    // Steps reported out of order are put back in order by `order`.
    let late = model(&steps_reversed(events));
    assert!(verified(&late, Direction::ClientToServer));
    assert!(verified(&late, Direction::ServerToClient));

    // The view shows the real keys, in both languages, with the labels.
    let hexes = key_hexes(&want);
    for lang in [Lang::En, Lang::Ja] {
        let text = view(scenario, events, lang);
        for h in &hexes {
            assert!(text.contains(h.as_str()), "{lang:?}: {h} not in\n{text}");
        }
        let labels: &[&str] = if tls13 {
            &[
                label::CLIENT_HANDSHAKE,
                label::SERVER_HANDSHAKE,
                label::CLIENT_TRAFFIC_0,
                label::SERVER_TRAFFIC_0,
                "HKDF-Expand-Label(secret, \"key\", \"\", ",
                "HKDF-Expand-Label(secret, \"iv\", \"\", 12)",
                "finished_key",
            ]
        } else {
            &[
                label::CLIENT_RANDOM,
                "key_block = PRF(master_secret, \"key expansion\", server_random + client_random)",
                "client_write_key",
                "server_write_IV",
            ]
        };
        for l in labels {
            assert!(text.contains(l), "{lang:?}: {l} not in\n{text}");
        }
        insta::assert_snapshot!(
            format!("{}_{}", if tls13 { "tls13" } else { "tls12" }, lang.code()),
            redacted(&text)
        );
        let (verifies, lacks) = match lang {
            Lang::En => ("verifies", "never leaves the client and the server"),
            Lang::Ja => ("検証成功", "外へは決して出ません"),
        };
        assert_eq!(text.matches(verifies).count(), 2, "{lang:?}:\n{text}");
        assert!(text.contains(lacks), "{lang:?}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls13_keys_match_the_schedule_and_both_finished_verify() {
    let (scenario, events) = run("pop3s", Some(TlsVersion::V1_3)).await;
    check_version(&scenario, &events, true);
    let m = model(&events);
    let c = m.conn(1).unwrap();
    // rustls seals the server's whole flight in one record, and the
    // client's Finished in another; the rest is application data.
    assert_eq!(c.handshake_records(Direction::ServerToClient), 1);
    assert_eq!(c.handshake_records(Direction::ClientToServer), 1);
    assert!(c.application_records(Direction::ServerToClient) > 0);
    assert!(c.application_records(Direction::ClientToServer) > 0);
    assert_eq!(
        c.sealed_steps(
            Direction::ServerToClient,
            popscope::wire::decrypt::Epoch::Handshake
        ),
        [
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_key_block_matches_and_both_finished_verify() {
    let (scenario, events) = run("pop3s", Some(TlsVersion::V1_2)).await;
    check_version(&scenario, &events, false);
    let c = model(&events).conn(1).unwrap().clone();
    // Each side's Finished is its first record under the key block.
    assert!(c.application_records(Direction::ClientToServer) >= 2);
    assert!(c.application_records(Direction::ServerToClient) >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_missing_from_the_key_log_is_said_plainly() {
    let (scenario, events) = run("pop3s", Some(TlsVersion::V1_3)).await;
    let without: Vec<Event> = events
        .iter()
        .filter(|e| {
            !matches!(&e.kind, EventKind::Tls(TlsEvent::Secret { label, .. })
                if label == popscope::wire::decrypt::label::CLIENT_HANDSHAKE)
        })
        .cloned()
        .collect();
    let m = model(&without);
    assert_eq!(
        m.finished(1, Direction::ClientToServer),
        Some(&FinishedStatus::SecretMissing)
    );
    assert!(verified(&m, Direction::ServerToClient));
    let text = view(&scenario, &without, Lang::En);
    assert!(
        text.contains("The key log does not hold this secret"),
        "{text}"
    );
    assert!(
        text.contains("cannot be checked: the key log lacks"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_without_tls_gets_one_line() {
    let (scenario, events) = run("plain", None).await;
    for lang in [Lang::En, Lang::Ja] {
        let text = view(&scenario, &events, lang);
        assert_eq!(text.lines().count(), 1, "{text}");
    }
    assert!(model(&events).schedule(1).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_stls_the_keys_are_there_and_a_new_lab_forgets_them() {
    let (scenario, events) = run("stls", Some(TlsVersion::V1_3)).await;
    let m = model(&events);
    assert_eq!(m.schedule(1).unwrap().as_ref().unwrap(), &expected(&events));
    assert!(verified(&m, Direction::ClientToServer));
    assert!(verified(&m, Direction::ServerToClient));
    let mut app = App::new(scenario);
    for e in &events {
        app.update(Action::Lab(app.generation, Box::new(e.clone())));
    }
    assert_eq!(app.keys.newest(), Some(1));
    // A new lab is a new record: the old connection's keys go with it.
    app.update(Action::Reset);
    assert_eq!(app.keys.newest(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_the_server_hello_the_view_says_what_is_missing() {
    let (scenario, events) = run("pop3s", Some(TlsVersion::V1_3)).await;
    let client_hello_only: Vec<Event> = events
        .iter()
        .filter(|e| match &e.kind {
            EventKind::Tls(TlsEvent::Step { step, .. }) => {
                step.kind
                    == StepKind::Handshake {
                        msg_type: 1,
                        retry: false,
                    }
            }
            _ => true,
        })
        .cloned()
        .collect();
    let text = view(&scenario, &client_hello_only, Lang::En);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("no ServerHello has come"), "{text}");
}

/// Stepping back shows the key schedule as it was then, like every other
/// pane: back to the first chunk (the ClientHello) no schedule exists yet,
/// and live again it is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stepping_back_shows_the_key_schedule_as_it_was_then() {
    let (scenario, events) = run("pop3s", Some(TlsVersion::V1_3)).await;
    let mut app = App::new(scenario);
    for e in &events {
        app.update(Action::Lab(app.generation, Box::new(e.clone())));
    }
    assert!(app.keys.schedule(1).is_some_and(|s| s.is_ok()));
    let (_, total) = app.position();
    for _ in 0..total.saturating_sub(1) {
        app.update(Action::PastBack);
    }
    assert_eq!(app.position().0, 1, "back at the first chunk");
    assert!(
        app.keys.schedule(1).is_none(),
        "no ServerHello had crossed yet"
    );
    app.update(Action::Live);
    assert!(app.keys.schedule(1).is_some_and(|s| s.is_ok()));
    assert!(verified(&app.keys, Direction::ServerToClient));
}
