//! The TLS pane's handshake steps and byte view: from a real lab, every
//! step with what the eavesdropper got of it in both TLS versions; keys
//! and the mouse choose a step and its fields; and snapshots of the byte
//! view for each message type at 120×36 and 200×60, in English and
//! Japanese.
//!
//! The snapshots are drawn from one recorded run per version
//! (`tests/fixtures/tls1{3,2}_steps.txt`): randoms, keys, signatures and
//! the certificate's dates change at every run, and an ECDSA signature's
//! length with them, so a live run cannot give a stable picture. The
//! fixtures are the lab's own steps, written by the ignored test
//! `record_fixtures` (`cargo test --test tls_bytes -- --ignored`).

mod common;

use std::time::Duration;

use crossterm::event::KeyCode;
use popscope::lab::{Event, EventKind, Scenario, TlsEvent, TlsVersion};
use popscope::lesson::Lang;
use popscope::tui::app::{Action, App, Focus};
use popscope::tui::keys::{self, Context};
use popscope::tui::panes::line_texts;
use popscope::wire::Direction;
use popscope::wire::annotate::{self, Era, Field, Value, What};
use popscope::wire::decrypt::Epoch;
use popscope::wire::steps::{Step, StepKind};
use popscope::wire::tls::{ContentType, RecordHeader};

#[path = "common/screen.rs"]
mod screen;

/// Run a scenario's demo and keep its events, in time order.
async fn run(version: TlsVersion) -> Vec<Event> {
    common::events::demo_events("pop3s", Some(version)).await
}

fn fixture_path(version: TlsVersion) -> String {
    let n = match version {
        TlsVersion::V1_3 => 13,
        TlsVersion::V1_2 => 12,
    };
    format!(
        "{}/tests/fixtures/tls{n}_steps.txt",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// One step as a fixture line: connection, order, direction, kind, how
/// it was sealed, its record header and offset, era, and its bytes.
fn to_line(conn: u64, order: u64, s: &Step) -> String {
    let kind = match s.kind {
        StepKind::Handshake { msg_type, retry } => format!("hs:{msg_type}:{}", u8::from(retry)),
        StepKind::ChangeCipherSpec => "ccs".into(),
    };
    let sealed = match s.sealed {
        None => "-".to_string(),
        Some(Epoch::Handshake) => "hs".into(),
        Some(Epoch::Application { generation }) => format!("app:{generation}"),
        Some(Epoch::Tls12) => "tls12".into(),
    };
    format!(
        "{conn} {order} {} {kind} {sealed} {}:{}:{} {} {} {}",
        if s.dir == Direction::ClientToServer {
            "c"
        } else {
            "s"
        },
        s.record.content_type.byte(),
        s.record.version,
        s.record.length,
        s.record_offset,
        if s.era == Era::Tls13 { 13 } else { 12 },
        hex::encode(&s.bytes)
    )
}

/// A fixture line back as the lab's event; the fields are labelled again
/// by `wire::annotate`, as the lab does.
fn from_line(line: &str) -> Event {
    let w: Vec<&str> = line.split(' ').collect();
    let num = |s: &str| s.parse::<u64>().unwrap();
    let bytes = hex::decode(w[8]).unwrap();
    let era = if w[7] == "13" { Era::Tls13 } else { Era::Tls12 };
    let kind = match w[3] {
        "ccs" => StepKind::ChangeCipherSpec,
        k => {
            let p: Vec<&str> = k.split(':').collect();
            StepKind::Handshake {
                msg_type: p[1].parse().unwrap(),
                retry: p[2] == "1",
            }
        }
    };
    let sealed = match w[4] {
        "-" => None,
        "hs" => Some(Epoch::Handshake),
        "tls12" => Some(Epoch::Tls12),
        a => Some(Epoch::Application {
            generation: a.trim_start_matches("app:").parse().unwrap(),
        }),
    };
    let r: Vec<&str> = w[5].split(':').collect();
    let fields = match kind {
        StepKind::ChangeCipherSpec => Field {
            at: 0,
            len: bytes.len(),
            what: What::ChangeCipherSpec,
            value: Value::Bytes(bytes.clone()),
            parts: Vec::new(),
        },
        StepKind::Handshake { .. } => annotate::handshake(&bytes, era),
    };
    let step = Step {
        dir: if w[2] == "c" {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        },
        kind,
        bytes,
        record: RecordHeader {
            content_type: ContentType::from_byte(r[0].parse().unwrap()),
            version: r[1].parse().unwrap(),
            length: r[2].parse().unwrap(),
        },
        record_offset: num(w[6]),
        sealed,
        era,
        fields,
    };
    Event {
        at: Duration::ZERO,
        kind: EventKind::Tls(TlsEvent::Step {
            conn: num(w[0]),
            order: num(w[1]),
            step: Box::new(step),
        }),
    }
}

/// Write the fixtures from a real run of each version. Run by hand when
/// the lab's handshake changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn record_fixtures() {
    for version in [TlsVersion::V1_3, TlsVersion::V1_2] {
        let mut out = String::new();
        for e in run(version).await {
            if let EventKind::Tls(TlsEvent::Step { conn, order, step }) = &e.kind {
                out.push_str(&to_line(*conn, *order, step));
                out.push('\n');
            }
        }
        std::fs::write(fixture_path(version), out).unwrap();
    }
}

/// A screen holding the fixture's steps, TLS pane focused.
fn fixture_app(version: TlsVersion) -> App {
    let text = std::fs::read_to_string(fixture_path(version)).unwrap();
    let mut scenario = Scenario::named("pop3s").unwrap();
    scenario.tls_version = Some(version);
    let mut app = App::new(scenario);
    for line in text.lines().filter(|l| !l.is_empty()) {
        app.update(Action::Lab(0, Box::new(from_line(line))));
    }
    app.update(Action::FocusPane(Focus::Tls));
    app
}

use screen::{key, press};

/// The whole screen as text.
fn draw(app: &mut App, w: u16, h: u16) -> String {
    screen::rows(screen::backend(app, w, h).buffer()).join("\n")
}

/// Open the byte view on the first step called `name` (the server's for
/// the ones both send), with the keys a learner uses.
fn open(app: &mut App, name: &str) {
    press(app, &[KeyCode::Esc]);
    let steps = app.tls.steps();
    let at = steps
        .iter()
        .position(|(_, s)| s.step.name() == name && s.step.dir == Direction::ServerToClient)
        .or_else(|| steps.iter().position(|(_, s)| s.step.name() == name))
        .unwrap_or_else(|| panic!("no {name}"));
    app.tls_sel = None;
    for _ in 0..=at {
        press(app, &[KeyCode::Down]);
    }
    press(app, &[KeyCode::Enter]);
    assert_eq!(app.bytes_step().unwrap().step.name(), name);
}

#[test]
fn byte_view_snapshots_for_every_message_type() {
    let cases = [
        (
            TlsVersion::V1_3,
            &[
                "ClientHello",
                "ServerHello",
                "EncryptedExtensions",
                "Certificate",
                "CertificateVerify",
                "Finished",
                "NewSessionTicket",
            ][..],
        ),
        (
            TlsVersion::V1_2,
            &["ServerKeyExchange", "ClientKeyExchange", "Certificate"][..],
        ),
    ];
    for (version, names) in cases {
        let mut app = fixture_app(version);
        let v = if version == TlsVersion::V1_3 {
            "13"
        } else {
            "12"
        };
        for name in names {
            open(&mut app, name);
            // A field inside the message, so the hex marks some bytes.
            press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Down]);
            for lang in [Lang::En, Lang::Ja] {
                app.lesson.lang = lang;
                for (w, h) in [(120, 36), (200, 60)] {
                    insta::assert_snapshot!(
                        format!("bytes_tls{v}_{name}_{w}x{h}_{}", lang.code()),
                        draw(&mut app, w, h)
                    );
                }
            }
            app.lesson.lang = Lang::En;
            // The smallest screen the lab works on, for two of them.
            if ["ClientHello", "Certificate"].contains(name) {
                insta::assert_snapshot!(
                    format!("bytes_tls{v}_{name}_80x24_en"),
                    draw(&mut app, 80, 24)
                );
            }
        }
        // The pane itself, a step chosen: both points of view per step.
        press(&mut app, &[KeyCode::Esc]);
        insta::assert_snapshot!(format!("steps_tls{v}_80x24_en"), draw(&mut app, 80, 24));
        app.lesson.lang = Lang::Ja;
        insta::assert_snapshot!(format!("steps_tls{v}_80x24_ja"), draw(&mut app, 80, 24));
        app.lesson.lang = Lang::En;
    }
}

#[test]
fn keys_choose_a_step_open_it_walk_its_fields_and_close() {
    let mut app = fixture_app(TlsVersion::V1_3);
    assert!(keys::contexts(&app, &key(KeyCode::Down)).contains(&Context::Steps));
    // Down picks the first step, then the next; Enter opens it.
    press(&mut app, &[KeyCode::Down, KeyCode::Down]);
    assert_eq!(app.tls_selected(), Some(1));
    assert!(app.bytes.is_none(), "arrows only choose");
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.bytes_step().unwrap().step.name(), "ServerHello");
    assert!(keys::contexts(&app, &key(KeyCode::Down)).contains(&Context::Bytes));
    // Up and down walk the fields; right and left the steps.
    press(&mut app, &[KeyCode::Down, KeyCode::Down]);
    assert_eq!(app.bytes.as_ref().unwrap().field, 2);
    press(&mut app, &[KeyCode::Right]);
    assert_eq!(app.bytes_step().unwrap().step.name(), "ChangeCipherSpec");
    assert_eq!(
        app.bytes.as_ref().unwrap().field,
        0,
        "a new step starts at its top"
    );
    press(&mut app, &[KeyCode::Right, KeyCode::Right]);
    assert_eq!(app.bytes_step().unwrap().step.name(), "Certificate");
    // Enter folds the message's root: one row is left.
    press(&mut app, &[KeyCode::Enter]);
    let view = app.bytes.as_ref().unwrap();
    assert_eq!(
        popscope::tui::bytes::rows(&app.bytes_step().unwrap().step.fields, &view.folded).len(),
        1
    );
    press(&mut app, &[KeyCode::Enter]);
    // v shows the key schedule and back.
    press(&mut app, &[KeyCode::Char('v')]);
    assert_eq!(
        app.bytes.as_ref().unwrap().tab,
        popscope::tui::bytes::Tab::Keys
    );
    press(&mut app, &[KeyCode::Char('v')]);
    assert_eq!(
        app.bytes.as_ref().unwrap().tab,
        popscope::tui::bytes::Tab::Message
    );
    // Esc closes, and the pane keeps that step chosen.
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.bytes.is_none());
    assert_eq!(app.tls_selected(), Some(4));
    // Past the last step, down scrolls the pane as before.
    press(&mut app, &[KeyCode::End]);
    for _ in 0..20 {
        press(&mut app, &[KeyCode::Down]);
    }
    assert_eq!(app.tls_selected(), Some(app.tls.steps().len() - 1));
    // The help lists both contexts' keys.
    let help = draw_help(&mut app);
    assert!(help.contains("open the chosen step's bytes"), "{help}");
    assert!(help.contains("close the byte view"), "{help}");
}

fn draw_help(app: &mut App) -> String {
    app.update(Action::ToggleHelp);
    let mut all = String::new();
    for _ in 0..20 {
        all.push_str(&draw(app, 200, 60));
        app.update(Action::HelpScroll(10));
    }
    app.update(Action::ToggleHelp);
    all
}

/// Where on the screen a line containing `text` is drawn.
fn find(app: &mut App, w: u16, h: u16, text: &str) -> (u16, u16) {
    let rows = screen::rows(screen::backend(app, w, h).buffer());
    for (y, r) in rows.iter().enumerate() {
        if let Some(i) = r.find(text) {
            let x = unicode_width::UnicodeWidthStr::width(&r[..i]);
            return (x as u16, y as u16);
        }
    }
    panic!("{text:?} not drawn:\n{}", rows.join("\n"));
}

#[test]
fn a_click_opens_a_step_and_picks_a_field_by_its_row_or_its_bytes() {
    let mut app = fixture_app(TlsVersion::V1_3);
    let (x, y) = find(&mut app, 120, 36, "CertificateVerify");
    app.update(Action::Click(x, y));
    assert_eq!(app.bytes_step().unwrap().step.name(), "CertificateVerify");
    // A click on a row of the tree chooses that field.
    let (x, y) = find(&mut app, 120, 36, "message length:");
    app.update(Action::Click(x + 2, y));
    let rows_of = |app: &App| {
        let s = app.bytes_step().unwrap();
        let v = app.bytes.as_ref().unwrap();
        let rows = popscope::tui::bytes::rows(&s.step.fields, &v.folded);
        (rows[v.field].field.what, rows[v.field].field.at)
    };
    assert_eq!(rows_of(&app), (What::HandshakeLength, 1));
    // A click on a hex byte chooses the smallest field holding it: byte
    // 4 is the signature scheme.
    let (x, y) = find(&mut app, 120, 36, "0000  0f");
    app.update(Action::Click(x + 6 + 4 * 3, y));
    assert_eq!(rows_of(&app), (What::SignatureScheme, 4));
    // The wheel over the view walks the fields.
    let field = |app: &App| app.bytes.as_ref().unwrap().field;
    let at = field(&app);
    app.update(Action::Wheel(x, y, false));
    assert_eq!(field(&app), at + 1);
    app.update(Action::Wheel(x, y, true));
    app.update(Action::Wheel(x, y, true));
    assert_eq!(field(&app), at - 1);
    // At 80×24 the view has the TLS tab's room and works the same.
    let (x, y) = find(&mut app, 80, 24, "message type:");
    app.update(Action::Click(x + 2, y));
    assert_eq!(rows_of(&app).0, What::HandshakeType);
}

/// The TLS pane's timeline lines, in English.
fn timeline(app: &App) -> Vec<String> {
    // Wide enough that no step's line wraps.
    let mut app = app.clone();
    app.update(Action::Resize(250, 60));
    if !app.zoom {
        app.update(Action::ToggleZoom);
    }
    line_texts(&app, Focus::Tls)
        .into_iter()
        .filter(|l| l.starts_with('├') || l.starts_with('└') || l.starts_with('▶'))
        .collect()
}

#[test]
fn messages_sharing_a_sealed_record_say_so_once() {
    let app = fixture_app(TlsVersion::V1_3);
    let lines = timeline(&app);
    let at = |name: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!("server {name} ")))
            .unwrap_or_else(|| panic!("{name}: {lines:#?}"))
            .clone()
    };
    assert!(
        at("EncryptedExtensions").contains("an opaque record of 1391 bytes, 4 messages in it"),
        "{lines:#?}"
    );
    for name in ["Certificate", "CertificateVerify", "Finished"] {
        assert!(at(name).contains("in the same opaque record"), "{lines:#?}");
    }
    assert!(at("ServerHello").contains("eavesdropper reads it too"));
}

#[test]
fn without_a_key_log_the_cleartext_steps_read_well() {
    // What the workshop and the proxy get: no key log, so only the
    // steps that crossed in clear.
    let text = std::fs::read_to_string(fixture_path(TlsVersion::V1_3)).unwrap();
    let mut app = App::new(Scenario::named("pop3s").unwrap());
    for line in text.lines().filter(|l| l.split(' ').nth(4) == Some("-")) {
        app.update(Action::Lab(0, Box::new(from_line(line))));
    }
    app.update(Action::FocusPane(Focus::Tls));
    let lines = timeline(&app);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("eavesdropper reads it too")),
        "{lines:#?}"
    );
    assert!(lines[0].contains("client → ClientHello"), "{lines:#?}");
    // Their bytes open as well.
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.bytes_step().unwrap().step.name(), "ClientHello");
}

/// The timeline line of the server's `name`.
fn server_line(lines: &[String], name: &str) -> String {
    lines
        .iter()
        .find(|l| l.contains(&format!("server {name} ")))
        .unwrap_or_else(|| panic!("{name}: {lines:#?}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_lab_shows_which_steps_the_eavesdropper_reads_in_each_version() {
    for version in [TlsVersion::V1_3, TlsVersion::V1_2] {
        let mut scenario = Scenario::named("pop3s").unwrap();
        scenario.tls_version = Some(version);
        let mut app = App::new(scenario);
        for e in run(version).await {
            app.update(Action::Lab(0, Box::new(e)));
        }
        let lines = timeline(&app);
        let cert = server_line(&lines, "Certificate");
        match version {
            TlsVersion::V1_3 => {
                assert!(cert.contains('🔒'), "{lines:#?}");
                assert!(
                    server_line(&lines, "EncryptedExtensions").contains("opaque record of"),
                    "{lines:#?}"
                );
            }
            TlsVersion::V1_2 => {
                assert!(cert.contains("eavesdropper reads it too"), "{lines:#?}");
                assert!(
                    server_line(&lines, "ServerKeyExchange").contains("reads it too"),
                    "{lines:#?}"
                );
                let fin = server_line(&lines, "Finished");
                assert!(fin.contains('🔒'), "{lines:#?}");
            }
        }
        // The first application data still comes from the wire, last.
        assert!(
            lines
                .iter()
                .any(|l| l.contains("encrypted application data")),
            "{lines:#?}"
        );
    }
}
