//! The workshop screen: the Wall of Sheep drawn from recorded events
//! (snapshots at 120×36 in both languages), and from a real tap with curl
//! logging in through it: in cleartext the wall shows the student and a
//! masked password, the password itself after the reveal key; over POP3S
//! it shows the TLS version and no password.

mod common;
#[path = "common/screen.rs"]
mod screen;

use std::net::SocketAddr;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use popscope::attack::Attack;
use popscope::lab::proxy::{Proxy, ProxyOptions};
use popscope::lab::{AttackEvent, Event, EventKind, Means, Prize, Why, WireEvent};
use popscope::lang::Lang;
use popscope::pop3::settings::Transport;
use popscope::tui::panes::wall::WorkshopView;
use popscope::tui::theme::{Theme, ThemeName};
use popscope::tui::workshop::{Workshop, WorkshopAction, WorkshopCmd};
use popscope::wire::Direction;
use popscope::wire::dissect::{Item, Loot};
use popscope::wire::pop3::Leak;
use popscope::wire::tls::{ContentType, Handshake, RecordHeader};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use common::events::rt;
use common::{TestServer, run};

/// The whole workshop screen at `w`×`h`, as rows of text.
fn draw(ws: &mut Workshop, w: u16, h: u16) -> String {
    ws.update(WorkshopAction::Resize(w, h));
    let theme = Theme::new(ThemeName::Dark, false);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| f.render_widget(&WorkshopView { ws, theme: &theme }, f.area()))
        .unwrap();
    screen::rows(terminal.backend().buffer()).join("\n")
}

fn press(ws: &mut Workshop, code: KeyCode) {
    if let Some(a) = ws.action_for_key(KeyEvent::new(code, KeyModifiers::NONE)) {
        ws.update(a);
    }
}

fn ev(kind: EventKind) -> Event {
    Event {
        at: Duration::ZERO,
        kind,
    }
}

fn seen(conn: u64, item: Item) -> Event {
    ev(EventKind::Wire(WireEvent::Seen { conn, item }))
}

fn chunk(conn: u64, dir: Direction, offset: u64, text: &str) -> Event {
    ev(EventKind::Wire(WireEvent::Chunk {
        conn,
        dir,
        offset,
        len: text.len(),
        bytes: text.as_bytes().to_vec(),
    }))
}

fn opened(conn: u64, port: u16) -> Event {
    ev(EventKind::Wire(WireEvent::Opened {
        conn,
        client: SocketAddr::from(([192, 168, 10, 20 + conn as u8], port)),
        server: SocketAddr::from(([127, 0, 0, 1], 1110)),
        attack: None,
        implicit_tls: false,
    }))
}

/// A connection the engine opened with `attack` on.
fn opened_attacked(conn: u64, port: u16, attack: Attack) -> Event {
    let mut e = opened(conn, port);
    if let EventKind::Wire(WireEvent::Opened { attack: a, .. }) = &mut e.kind {
        *a = Some(attack);
    }
    e
}

fn learned(conn: u64) -> Event {
    ev(EventKind::Wire(WireEvent::Learned {
        conn,
        loot: Loot::default(),
        summary: String::new(),
    }))
}

/// A room of three: student01 logs in in cleartext, student02 over POP3S,
/// and student03, with STLS stripped, falls for it.
fn room() -> Vec<Event> {
    let mut e = vec![opened(1, 50001)];
    let c2s = Direction::ClientToServer;
    let s2c = Direction::ServerToClient;
    e.push(chunk(1, s2c, 0, "+OK popscope ready\r\n"));
    e.push(seen(
        1,
        Item::Pop3Reply {
            offset: 0,
            ok: true,
            continuation: false,
            first_line: "+OK popscope ready".into(),
            body_len: None,
            body: None,
        },
    ));
    e.push(chunk(1, c2s, 0, "USER student01\r\n"));
    e.push(seen(
        1,
        Item::Leak(Leak::User {
            name: "student01".into(),
        }),
    ));
    e.push(chunk(1, c2s, 16, "PASS wonderland\r\n"));
    e.push(seen(
        1,
        Item::Leak(Leak::Password {
            user: Some("student01".into()),
            password: "wonderland".into(),
        }),
    ));
    e.push(learned(1));
    e.push(opened(2, 50002));
    e.push(seen(
        2,
        Item::TlsRecord {
            dir: c2s,
            offset: 0,
            header: RecordHeader {
                content_type: ContentType::Handshake,
                version: 0x0301,
                length: 512,
            },
            encrypted: false,
        },
    ));
    e.push(seen(
        2,
        Item::TlsHandshake {
            dir: s2c,
            offset: 5,
            message: Handshake::ServerHello {
                version: 0x0304,
                cipher_suite: 0x1301,
                group: Some(0x001d),
                hello_retry_request: false,
            },
        },
    ));
    e.push(learned(2));
    e.push(ev(EventKind::Attack(AttackEvent::Armed {
        attack: Attack::StripStls,
    })));
    e.push(opened_attacked(3, 50003, Attack::StripStls));
    e.push(seen(
        3,
        Item::Leak(Leak::AuthPlain {
            authzid: String::new(),
            authcid: "student03".into(),
            password: "correct-horse".into(),
        }),
    ));
    e.push(ev(EventKind::Attack(AttackEvent::Verdict {
        conn: Some(3),
        attack: Attack::StripStls,
        succeeded: true,
        reason: Why::Captured {
            prize: Prize::Password,
            means: Means::Cleartext,
        },
        why: String::new(),
    })));
    e
}

fn workshop(lang: Lang) -> Workshop {
    Workshop::new(
        vec![
            (Transport::Stls, "127.0.0.1:1110".parse().unwrap()),
            (Transport::Implicit, "127.0.0.1:1995".parse().unwrap()),
        ],
        Some("/tmp/workshop/sheet.txt".into()),
        None,
        lang,
    )
}

#[test]
fn the_wall_of_a_small_room_in_both_languages() {
    for lang in Lang::ALL {
        let mut ws = workshop(lang);
        ws.update(WorkshopAction::Events(room()));
        // Choose student01's row (the oldest, at the bottom) so the
        // eavesdropper shows its cleartext login.
        press(&mut ws, KeyCode::Down);
        press(&mut ws, KeyCode::Down);
        let shown = draw(&mut ws, 120, 36);
        assert!(shown.contains("wo******nd"), "{shown}");
        assert!(!shown.contains("correct-horse"), "{shown}");
        assert!(shown.contains("co*********se"), "{shown}");
        insta::assert_snapshot!(format!("workshop_120x36_{}", lang.code()), shown);
        // On 80 columns the address gives way, and the verdict stays.
        let small = draw(&mut ws, 80, 24);
        let verdict = popscope::tr!(lang, "wall-verdict-fell");
        assert!(
            small
                .lines()
                .any(|l| l.contains("student03") && l.contains(&verdict)),
            "{small}"
        );
        assert!(!small.contains("192.168.10.23"), "{small}");
    }
    let mut ws = workshop(Lang::En);
    ws.update(WorkshopAction::Events(room()));
    let shown = draw(&mut ws, 120, 36);
    assert!(shown.contains("2 of 3 logins readable"), "{shown}");
    assert!(
        shown.contains("1 of 1 attacked client fell for it"),
        "{shown}"
    );
    assert!(shown.contains("POP3S 1.3"), "{shown}");
    press(&mut ws, KeyCode::Char('r'));
    let shown = draw(&mut ws, 120, 36);
    assert!(shown.contains("correct-horse") && shown.contains("wonderland"));
    press(&mut ws, KeyCode::Char('?'));
    let help = draw(&mut ws, 120, 36);
    for (keys, what) in popscope::tui::workshop::help_rows(Lang::En) {
        assert!(
            help.contains(&keys) && help.contains(&what),
            "{keys} {what}"
        );
    }
}

#[test]
fn the_japanese_help_lists_every_key() {
    let mut ws = workshop(Lang::Ja);
    press(&mut ws, KeyCode::Char('?'));
    let help = draw(&mut ws, 120, 36);
    for (keys, what) in popscope::tui::workshop::help_rows(Lang::Ja) {
        assert!(
            help.contains(&keys) && help.contains(&what),
            "{keys} {what}\n{help}"
        );
    }
}

/// Events from the proxy until `n` connections have ended, and what
/// follows at once.
async fn until_learned(rx: &mut mpsc::UnboundedReceiver<Event>, n: usize) -> Vec<Event> {
    let mut events = Vec::new();
    let mut ended = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while ended < n {
        let e = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the connection ends within 20 s")
            .expect("the proxy is running");
        if matches!(e.kind, EventKind::Wire(WireEvent::Learned { .. })) {
            ended += 1;
        }
        events.push(e);
    }
    // A verdict on a connection that ended with nothing taken comes right
    // after the end.
    tokio::time::sleep(Duration::from_millis(50)).await;
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    events
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
fn curl_through_the_tap_is_on_the_wall_masked_and_pop3s_shows_only_its_version() {
    // The test server has a runtime of its own, so it starts outside ours.
    let server = TestServer::start();
    rt().block_on(async {
        let (plain, mut plain_rx) = Proxy::start(ProxyOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream: server.pop3,
            implicit_tls: false,
            attack: None,
            allow_remote: false,
        })
        .await
        .unwrap();
        let (tls, mut tls_rx) = Proxy::start(ProxyOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream: server.pop3s,
            implicit_tls: true,
            attack: None,
            allow_remote: false,
        })
        .await
        .unwrap();
        let mut ws = Workshop::new(
            vec![
                (Transport::Stls, plain.local_addr()),
                (Transport::Implicit, tls.local_addr()),
            ],
            None,
            None,
            Lang::En,
        );

        let out = curl(vec![
            "-u".into(),
            "alice:wonderland".into(),
            format!("pop3://127.0.0.1:{}/1", plain.local_addr().port()),
        ])
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ws.update(WorkshopAction::Events(
            until_learned(&mut plain_rx, 1).await,
        ));
        let shown = draw(&mut ws, 120, 36);
        let row = shown
            .lines()
            .find(|l| l.contains("alice"))
            .unwrap_or_else(|| panic!("alice is on the wall:\n{shown}"));
        assert!(row.contains("wo******nd"), "{row}");
        assert!(!shown.contains("wonderland"), "{shown}");
        assert!(shown.contains("1 of 1 login readable"), "{shown}");
        press(&mut ws, KeyCode::Char('r'));
        let shown = draw(&mut ws, 120, 36);
        let row = shown.lines().find(|l| l.contains("alice")).unwrap();
        assert!(row.contains("wonderland"), "{row}");
        press(&mut ws, KeyCode::Char('r'));

        let out = curl(vec![
            "--cacert".into(),
            server.ca.display().to_string(),
            "-u".into(),
            "alice:wonderland".into(),
            format!("pop3s://localhost:{}/1", tls.local_addr().port()),
        ])
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ws.update(WorkshopAction::Events(until_learned(&mut tls_rx, 1).await));
        let shown = draw(&mut ws, 120, 36);
        // The newest row is at the top of the wall: the POP3S one.
        let row = shown
            .lines()
            .find(|l| l.contains("POP3S 1."))
            .unwrap_or_else(|| panic!("a POP3S row with its version:\n{shown}"));
        assert!(row.contains("sealed by TLS"), "{row}");
        assert!(!row.contains("alice") && !row.contains("*"), "{row}");
        assert!(shown.contains("1 of 2 logins readable"), "{shown}");
        // Revealing shows nothing more for it: there is nothing to show.
        press(&mut ws, KeyCode::Char('r'));
        let shown = draw(&mut ws, 120, 36);
        let row = shown.lines().find(|l| l.contains("POP3S 1.")).unwrap();
        assert!(!row.contains("wonderland"), "{row}");
        drop((plain, tls));
    });
}

#[test]
fn the_attack_key_is_sent_to_the_engine() {
    let mut ws = workshop(Lang::En);
    press(&mut ws, KeyCode::Char('a'));
    assert_eq!(
        ws.take_commands(),
        vec![WorkshopCmd::Attack(Some(Attack::StripStls))]
    );
    let shown = draw(&mut ws, 120, 36);
    assert!(
        shown.contains("Attack on new connections: strip STLS"),
        "{shown}"
    );
}

/// A room of 200 clients logging in and fetching, twenty times over: the
/// events come in batches as the run loop takes them, and each batch is
/// applied and the screen drawn well within a frame's budget, while the
/// wall stays bounded and its tally exact.
#[test]
fn a_room_of_two_hundred_stays_quick_and_bounded() {
    let mut ws = workshop(Lang::En);
    ws.update(WorkshopAction::Resize(120, 36));
    let c2s = Direction::ClientToServer;
    let s2c = Direction::ServerToClient;
    let body = "Subject: hello\r\n\r\n".to_string() + &"x".repeat(900) + "\r\n.\r\n";
    let mut events = Vec::new();
    let (clients, rounds) = (200u64, 20u64);
    for round in 0..rounds {
        for c in 0..clients {
            let conn = round * clients + c + 1;
            events.push(ev(EventKind::Wire(WireEvent::Opened {
                conn,
                client: SocketAddr::from(([10, 0, 0, c as u8], 40000)),
                server: SocketAddr::from(([127, 0, 0, 1], 1110)),
                attack: None,
                implicit_tls: false,
            })));
            events.push(chunk(conn, s2c, 0, "+OK ready\r\n"));
            events.push(chunk(conn, c2s, 0, "USER student\r\nPASS wonderland\r\n"));
            events.push(seen(
                conn,
                Item::Leak(Leak::Password {
                    user: Some(format!("student{c:02}")),
                    password: "wonderland".into(),
                }),
            ));
            for m in 0..3u64 {
                events.push(chunk(conn, c2s, 30 + m * 7, "RETR 1\r\n"));
                events.push(chunk(conn, s2c, 11 + m * 1000, &body));
            }
            events.push(learned(conn));
        }
    }
    let total = events.len();
    let mut took = Vec::new();
    let mut iter = events.into_iter().peekable();
    while iter.peek().is_some() {
        let batch: Vec<Event> = iter.by_ref().take(1024).collect();
        let start = std::time::Instant::now();
        ws.update(WorkshopAction::Events(batch));
        draw(&mut ws, 120, 36);
        took.push(start.elapsed());
    }
    took.sort();
    let median = took[took.len() / 2];
    let worst = *took.last().unwrap();
    eprintln!(
        "{total} events in {} batches: median {median:?}, worst {worst:?}",
        took.len()
    );
    assert_eq!(ws.wall.tally.logins, clients * rounds);
    assert_eq!(ws.wall.tally.readable, clients * rounds);
    assert!(ws.wall.rows.len() <= popscope::tui::model::wall::MAX_ROWS);
    // Generous for a debug build on a shared machine; a release build is
    // many times faster.
    assert!(worst < Duration::from_millis(500), "worst batch {worst:?}");
}

/// With an attack on, the wall says whose client fell for it: curl
/// `--ssl` goes on in cleartext when STLS is stripped, `--ssl-reqd`
/// refuses; `-k` over POP3S accepts the forged certificate.
#[test]
fn the_wall_shows_whose_client_fell_for_the_attack() {
    let server = TestServer::start();
    rt().block_on(async {
        let start = |upstream, implicit_tls, attack| {
            Proxy::start(ProxyOptions {
                listen: "127.0.0.1:0".parse().unwrap(),
                upstream,
                implicit_tls,
                attack: Some(attack),
                allow_remote: false,
            })
        };
        let (strip, mut strip_rx) = start(server.pop3, false, Attack::StripStls).await.unwrap();
        let (forge, mut forge_rx) = start(server.pop3s, true, Attack::ForgeCert).await.unwrap();
        let ca = server.ca.display().to_string();
        let strip_url = format!("pop3://127.0.0.1:{}/1", strip.local_addr().port());

        let mut ws = Workshop::new(Vec::new(), None, Some(Attack::StripStls), Lang::En);
        let careless = curl(vec![
            "--ssl".into(),
            "--cacert".into(),
            ca.clone(),
            "-u".into(),
            "alice:wonderland".into(),
            strip_url.clone(),
        ])
        .await;
        assert!(careless.status.success(), "{careless:?}");
        ws.update(WorkshopAction::Events(
            until_learned(&mut strip_rx, 1).await,
        ));
        let careful = curl(vec![
            "--ssl-reqd".into(),
            "--cacert".into(),
            ca.clone(),
            "-u".into(),
            "bob:builder".into(),
            strip_url,
        ])
        .await;
        assert!(!careful.status.success());
        ws.update(WorkshopAction::Events(
            until_learned(&mut strip_rx, 1).await,
        ));
        let shown = draw(&mut ws, 120, 36);
        let row = |who: &str| {
            shown
                .lines()
                .find(|l| l.contains(who))
                .unwrap_or_else(|| panic!("{who} on the wall:\n{shown}"))
                .to_string()
        };
        let alice = row("alice");
        assert!(alice.contains("fell for it · strip STLS"), "{alice}");
        assert!(alice.contains("wo******nd"), "{alice}");
        // bob's client refused before it sent anything: no name, no
        // password, not fooled.
        assert!(!shown.contains("bob"), "{shown}");
        assert!(shown.contains("not fooled · strip STLS"), "{shown}");
        assert!(
            shown.contains("1 of 2 attacked clients fell for it"),
            "{shown}"
        );

        press(&mut ws, KeyCode::Char('a'));
        assert_eq!(
            ws.take_commands(),
            vec![WorkshopCmd::Attack(Some(Attack::ForgeCert))]
        );
        let out = curl(vec![
            "-k".into(),
            "-u".into(),
            "alice:wonderland".into(),
            format!("pop3s://localhost:{}/1", forge.local_addr().port()),
        ])
        .await;
        assert!(out.status.success(), "{out:?}");
        // The forging proxy numbers its connections from 1 too; the
        // workshop's engine numbers them across its listeners, so here
        // they are moved past the first proxy's.
        let events: Vec<Event> = until_learned(&mut forge_rx, 1)
            .await
            .into_iter()
            .map(|e| renumbered(e, 100))
            .collect();
        ws.update(WorkshopAction::Events(events));
        let shown = draw(&mut ws, 120, 36);
        let forged = shown
            .lines()
            .find(|l| l.starts_with('│') && l.contains("forged cert"))
            .unwrap_or_else(|| panic!("the forged row:\n{shown}"));
        assert!(forged.contains("fell for it"), "{forged}");
        assert!(forged.contains("POP3S 1."), "{forged}");
        assert!(forged.contains("wo******nd"), "{forged}");
        drop((strip, forge));
    });
}

/// `e` with its connection number moved by `by`.
fn renumbered(mut e: Event, by: u64) -> Event {
    match &mut e.kind {
        EventKind::Wire(
            WireEvent::Opened { conn, .. }
            | WireEvent::Chunk { conn, .. }
            | WireEvent::Seen { conn, .. }
            | WireEvent::Closed { conn, .. }
            | WireEvent::Learned { conn, .. },
        )
        | EventKind::Attack(
            AttackEvent::Acted { conn, .. }
            | AttackEvent::Learned { conn, .. }
            | AttackEvent::Decrypted { conn, .. }
            | AttackEvent::Sealed { conn, .. },
        ) => *conn += by,
        EventKind::Attack(AttackEvent::Verdict {
            conn: Some(conn), ..
        }) => *conn += by,
        _ => {}
    }
    e
}
