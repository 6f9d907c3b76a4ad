//! The lab screen driven headless: actions in, state and effects out, and
//! snapshots of the panes drawn on a `TestBackend` from a real lab's
//! events (times, ports, APOP timestamps and secrets masked).

#[path = "common/tool.rs"]
mod tool;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use popscope::attack::Attack;
use popscope::lab::describe::attack_line_in;
use popscope::lab::{
    AttackEvent, AuthMethod, Event, EventKind, Lab, LabOptions, Scenario, Transport, Trust,
};
use popscope::pop3::session::StateName;
use popscope::tui::app::ClientLine;
use popscope::tui::app::{
    Action, App, Effect, Focus, GateOp, LabCmd, MENU_ROWS, MenuRow, WireView,
};
use popscope::tui::theme::{Theme, ThemeName};
use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;

#[path = "common/screen.rs"]
mod screen;

/// An attacker's event in the English words the tests read.
fn attack_line(e: &popscope::lab::AttackEvent) -> Option<String> {
    attack_line_in(e, popscope::lang::Lang::En)
}

use screen::{key, press};

fn type_str(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, &[KeyCode::Char(c)]);
    }
}

fn sent(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Lab(LabCmd::Command(l)) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

fn plain() -> App {
    App::new(Scenario::named("plain").unwrap())
}

#[test]
fn typing_a_command_and_enter_sends_it() {
    let mut app = plain();
    assert_eq!(app.focus, Focus::Client);
    assert!(app.input_active, "focus starts on the input line");
    type_str(&mut app, "USER alice");
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(sent(&app.take_effects()), ["USER alice"]);
    assert!(app.input.is_empty());
}

#[test]
fn history_recalls_older_commands() {
    let mut app = plain();
    for c in ["USER alice", "STAT"] {
        type_str(&mut app, c);
        press(&mut app, &[KeyCode::Enter]);
    }
    press(&mut app, &[KeyCode::Up]);
    assert_eq!(app.input, "STAT");
    press(&mut app, &[KeyCode::Up]);
    assert_eq!(app.input, "USER alice");
    press(&mut app, &[KeyCode::Down, KeyCode::Down]);
    assert_eq!(app.input, "");
}

#[test]
fn tab_completes_pop3_commands() {
    let mut app = plain();
    type_str(&mut app, "ret");
    press(&mut app, &[KeyCode::Tab]);
    assert_eq!(app.input, "RETR ");
    app.input = "S".into();
    press(&mut app, &[KeyCode::Tab]);
    assert_eq!(app.input, "ST", "STAT and STLS agree on ST");
    // With nothing to complete, Tab moves focus.
    app.input.clear();
    press(&mut app, &[KeyCode::Tab]);
    assert_eq!(app.focus, Focus::Server);
}

#[test]
fn the_password_is_masked_on_the_input_line() {
    let mut app = plain();
    type_str(&mut app, "PASS wonderland");
    assert_eq!(app.input_shown(), "PASS ••••••••••");
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(sent(&app.take_effects()), ["PASS wonderland"]);
}

#[test]
fn q_types_on_the_input_line_and_quits_outside_it() {
    let mut app = plain();
    press(&mut app, &[KeyCode::Char('q')]);
    assert!(!app.quit);
    assert_eq!(app.input, "q");
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('q')]);
    assert!(app.quit);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    for setup in [
        |_: &mut App| {},
        |a: &mut App| a.update(Action::MenuOpen),
        |a: &mut App| a.update(Action::ToggleHelp),
        |a: &mut App| {
            a.update(Action::InputLeave);
            a.update(Action::SearchOpen)
        },
    ] {
        let mut app = plain();
        setup(&mut app);
        let a = app
            .action_for_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
            .unwrap();
        app.update(a);
        assert!(app.quit);
    }
}

#[test]
fn focus_zoom_and_views() {
    let mut app = plain();
    press(&mut app, &[KeyCode::Esc, KeyCode::Tab]);
    assert_eq!(app.focus, Focus::Server);
    press(&mut app, &[KeyCode::BackTab, KeyCode::BackTab]);
    assert_eq!(app.focus, Focus::Tls);
    press(&mut app, &[KeyCode::Char('3'), KeyCode::Char('z')]);
    assert_eq!(app.focus, Focus::Wire);
    assert!(app.zoom);
    press(&mut app, &[KeyCode::Char('v')]);
    assert_eq!(app.wire_view, WireView::Hex);
    press(&mut app, &[KeyCode::Char('v')]);
    assert_eq!(app.wire_view, WireView::Records);
    press(&mut app, &[KeyCode::Char('?')]);
    assert!(app.help);
    press(&mut app, &[KeyCode::Char('x')]);
    assert!(!app.help, "any key closes the help");
}

#[test]
fn mouse_click_focuses_the_pane_under_it() {
    let mut app = plain();
    app.update(Action::Resize(120, 36));
    // The TLS pane is bottom right in the grid.
    app.update(Action::Click(100, 30));
    assert_eq!(app.focus, Focus::Tls);
    app.update(Action::Click(5, 5));
    assert_eq!(app.focus, Focus::Client);
    assert!(app.input_active);
}

#[test]
fn stepping_works_the_gate() {
    let mut app = plain();
    app.update(Action::InputLeave);
    press(&mut app, &[KeyCode::Char(' ')]);
    let ops: Vec<GateOp> = app
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Gate(g) => Some(g),
            _ => None,
        })
        .collect();
    assert_eq!(ops, [GateOp::Pause, GateOp::Step]);
    press(&mut app, &[KeyCode::Char('>')]);
    let _ = app.take_effects();
    // At the default play speed (500 ms), ten ticks of 50 ms make one step.
    for _ in 0..10 {
        app.update(Action::Tick);
    }
    assert!(matches!(
        app.take_effects().as_slice(),
        [Effect::Gate(GateOp::Step)]
    ));
    press(&mut app, &[KeyCode::Char('p')]);
    assert!(matches!(
        app.take_effects().as_slice(),
        [Effect::Gate(GateOp::Open)]
    ));
}

#[test]
fn the_menu_switches_to_pop3s_and_reconnects() {
    let mut app = plain();
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('s')]);
    assert!(app.menu.is_some());
    press(&mut app, &[KeyCode::Right, KeyCode::Right]);
    press(
        &mut app,
        &[KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Down],
    );
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.menu.is_none());
    assert_eq!(app.generation, 1);
    let restart = app.take_effects().into_iter().find_map(|e| match e {
        Effect::Lab(LabCmd::Restart(s)) => Some(s),
        _ => None,
    });
    let s = restart.expect("a restart");
    assert_eq!(s.transport, Transport::Implicit);
    assert!(s.require_tls);
}

#[test]
fn the_trust_row_offers_the_system_cas_that_chapter_12_uses() {
    let mut app = App::new(Scenario::named("stls").unwrap());
    assert_eq!(app.scenario.verify, Trust::LabCa);
    app.update(Action::MenuOpen);
    let i = MENU_ROWS.iter().position(|&r| r == MenuRow::Trust).unwrap();
    while app.menu.as_ref().unwrap().row != i {
        app.update(Action::MenuDown);
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        app.update(Action::MenuRight);
        let m = app.menu.as_ref().unwrap();
        seen.push((
            m.scenario.verify.clone(),
            MenuRow::Trust.value(&m.scenario, popscope::lang::Lang::En),
        ));
    }
    assert_eq!(
        seen,
        [
            (Trust::SystemRoots, "on: against the system CAs".to_string()),
            (
                Trust::InsecureAcceptAny,
                "off: accept any certificate".into()
            ),
            (Trust::LabCa, "on: against the lab's CA".into()),
        ]
    );
    // The system CAs are what the restarted lab gets.
    app.update(Action::MenuRight);
    app.update(Action::MenuClose);
    let r = restarts(app.take_effects());
    assert_eq!(r.last().map(|s| s.verify.clone()), Some(Trust::SystemRoots));
}

#[test]
fn events_of_an_old_lab_are_ignored() {
    let mut app = plain();
    app.update(Action::Reset);
    let stale = Event {
        at: Duration::ZERO,
        kind: popscope::lab::EventKind::Client(popscope::lab::ClientEvent::Error {
            problem: popscope::lab::ClientProblem::Other {
                message: "old".into(),
            },
        }),
    };
    app.update(Action::Lab(0, Box::new(stale)));
    assert!(app.client.lines.is_empty());
}

/// The restarts `update` asked the lab driver for, oldest first.
fn restarts(effects: Vec<Effect>) -> Vec<Scenario> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Lab(LabCmd::Restart(s)) => Some(s),
            _ => None,
        })
        .collect()
}

fn ticks(app: &mut App, n: usize) {
    for _ in 0..n {
        app.update(Action::Tick);
    }
}

#[test]
fn the_attacker_row_cycles_attacks_and_restarts_the_lab_with_each() {
    let mut app = App::new(Scenario::named("stls").unwrap());
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('s')]);
    let row = MENU_ROWS
        .iter()
        .position(|&r| r == MenuRow::Attacker)
        .unwrap();
    for _ in 0..row {
        press(&mut app, &[KeyCode::Down]);
    }
    press(&mut app, &[KeyCode::Right]);
    // The change reaches the lab once the menu has been still a moment.
    assert!(restarts(app.take_effects()).is_empty());
    ticks(&mut app, 10);
    let r = restarts(app.take_effects());
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].attack, Some(Attack::StripStls));
    assert_eq!(app.scenario.attack, Some(Attack::StripStls));
    assert!(
        app.menu.is_some(),
        "the menu stays open for the next change"
    );
    // The attacker's pane and the status line say so.
    let screen = draw(&mut app, 120, 40);
    assert!(screen.contains("3 Attacker · strip STLS"), "{screen}");
    assert!(screen.contains("ATTACKER: strip STLS"), "{screen}");

    // Running through values quickly restarts the lab once, with the last.
    press(&mut app, &[KeyCode::Right]);
    ticks(&mut app, 2);
    press(&mut app, &[KeyCode::Right]);
    ticks(&mut app, 10);
    let r = restarts(app.take_effects());
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].attack, Some(Attack::WrongName));

    // Every attack is on the row, and then none again; closing the menu
    // sends a change still waiting.
    let mut seen = vec![Some(Attack::StripStls), Some(Attack::ForgeCert)];
    seen.push(app.scenario.attack);
    for _ in 0..4 {
        press(&mut app, &[KeyCode::Right]);
        seen.push(app.menu.as_ref().unwrap().scenario.attack);
    }
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.menu.is_none());
    let r = restarts(app.take_effects());
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].attack, None);
    let mut all = vec![];
    all.extend(Attack::ALL.iter().copied().map(Some));
    all.push(None);
    assert_eq!(seen, all);
    assert!(draw(&mut app, 120, 40).contains("3 Eavesdropper"));
}

#[test]
fn the_menu_closes_without_a_restart_unless_asked() {
    let mut app = plain();
    press(
        &mut app,
        &[KeyCode::Esc, KeyCode::Char('s'), KeyCode::Enter],
    );
    assert!(app.menu.is_none());
    assert!(restarts(app.take_effects()).is_empty(), "nothing changed");
    // Closing the menu gave the input line the keys back.
    press(
        &mut app,
        &[KeyCode::Esc, KeyCode::Char('s'), KeyCode::Char('r')],
    );
    assert!(app.menu.is_none());
    assert_eq!(
        restarts(app.take_effects()).len(),
        1,
        "r asks for a fresh lab"
    );
}

#[test]
fn an_attack_picks_a_session_it_can_act_on() {
    let mut app = plain();
    app.update(Action::MenuOpen);
    let row = MENU_ROWS
        .iter()
        .position(|&r| r == MenuRow::Attacker)
        .unwrap();
    for _ in 0..row {
        app.update(Action::MenuDown);
    }
    app.update(Action::MenuRight);
    let s = &app.menu.as_ref().unwrap().scenario;
    assert_eq!(s.transport, Transport::Stls, "STLS to strip");
    assert!(!s.require_tls, "the client's policy is the learner's");
    app.update(Action::MenuLeft);
    app.update(Action::MenuLeft);
    let s = &app.menu.as_ref().unwrap().scenario;
    assert_eq!(s.attack, Some(Attack::Crack));
    assert_eq!(s.auth, AuthMethod::Apop, "an APOP login to crack");
    assert_eq!(s.transport, Transport::Plain, "in cleartext");
}

#[test]
fn the_client_policies_and_the_vulnerable_server_restart_the_lab_visibly() {
    let mut app = App::new(Scenario::named("stls").unwrap());
    assert!(draw(&mut app, 120, 40).contains("1 Client · TLS required · verifies cert"));
    app.update(Action::MenuOpen);
    for (row, check) in [
        (
            MenuRow::RequireTls,
            (|s: &Scenario| !s.require_tls) as fn(&Scenario) -> bool,
        ),
        (MenuRow::Trust, |s| s.verify == Trust::InsecureAcceptAny),
        // Backwards from "both", the version row's last value is 1.2 only.
        (MenuRow::TlsVersion, |s| {
            s.tls_version == Some(popscope::lab::TlsVersion::V1_2)
        }),
        (MenuRow::VulnerableServer, |s| s.vulnerable_server),
    ] {
        let i = MENU_ROWS.iter().position(|&r| r == row).unwrap();
        while app.menu.as_ref().unwrap().row != i {
            app.update(Action::MenuDown);
        }
        // Backwards from the lab's CA, the trust row's last value is
        // "accept any"; the other rows are switches.
        app.update(Action::MenuLeft);
        ticks(&mut app, 10);
        let r = restarts(app.take_effects());
        assert_eq!(r.len(), 1, "{row:?}: {r:?}");
        assert!(check(&r[0]), "{row:?}: {:?}", r[0]);
    }
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("ON: deliberately vulnerable (lab only)"),
        "{screen}"
    );
    app.update(Action::MenuClose);
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("1 Client · TLS if offered · accepts any cert"),
        "{screen}"
    );
    assert!(
        screen.contains("DELIBERATELY VULNERABLE (lab only)"),
        "{screen}"
    );
    assert!(screen.contains("VULNERABLE SERVER (lab only)"), "{screen}");
    // At 80 columns the status line still says it, shorter.
    assert!(draw(&mut app, 80, 24).contains(" VULN "));
    // With an attacker too, the marks leave room for the keys.
    app.scenario.attack = Some(Attack::Inject);
    for (w, h) in [(120, 40), (80, 24)] {
        let screen = draw(&mut app, w, h);
        let status = screen.lines().last().unwrap();
        assert!(status.contains(" ATTACK"), "{status}");
        assert!(status.contains("VULN"), "{status}");
        assert!(status.contains("^C quit"), "{status}");
    }
}

/// Run the demo on a real lab with `scenario` and return its events in
/// time order.
async fn demo_events(scenario: Scenario) -> Vec<Event> {
    let (mut lab, mut rx) = Lab::start(scenario, LabOptions::default()).await.unwrap();
    // Whether the client goes on or refuses, both are the lesson.
    let _ = lab.run_demo().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    lab.shutdown().await;
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    events.sort_by_key(|e| e.at);
    events
}

/// The verdict the lab judged, as the attacker's line words it.
fn verdict_of(events: &[Event]) -> (bool, String) {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Attack(v @ AttackEvent::Verdict { succeeded, .. }) => {
                Some((*succeeded, attack_line(v).unwrap()))
            }
            _ => None,
        })
        .expect("a verdict")
}

fn app_for(scenario: &Scenario, events: Vec<Event>) -> App {
    let mut app = App::new(scenario.clone());
    for e in events {
        app.update(Action::Lab(0, Box::new(e)));
    }
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attacker_pane_shows_a_real_strip_stls_and_its_verdict() {
    for require_tls in [false, true] {
        let scenario = Scenario {
            attack: Some(Attack::StripStls),
            require_tls,
            ..Scenario::named("stls").unwrap()
        };
        let events = demo_events(scenario.clone()).await;
        let (succeeded, verdict) = verdict_of(&events);
        let mut app = app_for(&scenario, events);
        app.update(Action::FocusPane(Focus::Wire));
        // What the attacker did comes first, before the mail it let by.
        app.update(Action::ToggleZoom);
        app.update(Action::ScrollTop);
        let theme = Theme::new(ThemeName::Dark, false);
        let buf = draw_cells(&mut app, 120, 40, &theme);
        let screen = draw(&mut app, 120, 40);
        assert!(screen.contains("3 Attacker · strip STLS"), "{screen}");
        assert!(
            screen.contains("» removed \"STLS\" (STLS in the CAPA reply)"),
            "{screen}"
        );
        // The verdict stands out in the danger colour when the attacker
        // won and in the safe one when the client stopped it.
        let head: String = verdict.chars().take(40).collect();
        let (row, _) = row_with(&buf, &head).unwrap_or_else(|| panic!("{head:?}\n{screen}"));
        let cells = cells_of(&row, "", &head);
        let want = if succeeded { theme.leak } else { theme.good };
        assert!(
            cells.iter().all(|(_, c)| c.fg == want.fg.unwrap()),
            "require_tls {require_tls}: {head:?}"
        );
        if require_tls {
            assert!(!succeeded, "{verdict}");
            assert!(!screen.contains("wonderland"), "{screen}");
        } else {
            // The careless client sent the password where the attacker
            // could read it.
            assert!(succeeded, "{verdict}");
            assert!(screen.contains("PASS wonderland"), "{screen}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attacker_pane_reads_inside_a_forged_certificate() {
    let scenario = Scenario {
        attack: Some(Attack::ForgeCert),
        verify: Trust::InsecureAcceptAny,
        ..Scenario::named("pop3s").unwrap()
    };
    let events = demo_events(scenario.clone()).await;
    let (succeeded, _) = verdict_of(&events);
    assert!(succeeded, "a client that accepts any certificate is read");
    let mut app = app_for(&scenario, events);
    app.update(Action::FocusPane(Focus::Wire));
    app.update(Action::ToggleZoom);
    app.update(Action::ScrollTop);
    let theme = Theme::new(ThemeName::Dark, false);
    let buf = draw_cells(&mut app, 100, 30, &theme);
    // The password crossed inside TLS, and the attacker read it: the line
    // is marked as read through an open lock and coloured as a secret.
    let (row, text) = row_with(&buf, "PASS wonderland").expect("the PASS line");
    assert!(text.contains("C→S 🔓 PASS wonderland"), "{text}");
    let cells = cells_of(&row, "🔓", "PASS wonderland");
    assert!(cells.iter().all(|(_, c)| c.bg == theme.leak.bg.unwrap()));
    insta::assert_snapshot!(
        "attacker_forge_cert_100x30",
        steady(&draw(&mut app, 100, 30))
    );
    app.update(Action::ToggleZoom);
    insta::assert_snapshot!("attacker_forge_cert_80x24", steady(&draw(&mut app, 80, 24)));
}

/// A masked screen whose lines do not shift with the APOP timestamp's
/// length: the blanks after a whole timestamp become one.
fn steady(screen: &str) -> String {
    screen
        .lines()
        .map(|l| match l.split_once("<TIMESTAMP>") {
            Some((a, b)) => format!("{a}<TIMESTAMP> {}", b.trim_start()),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn attack_event(a: AttackEvent) -> Action {
    Action::Lab(
        0,
        Box::new(Event {
            at: Duration::ZERO,
            kind: EventKind::Attack(a),
        }),
    )
}

fn lab_cmds(effects: Vec<Effect>) -> Vec<String> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Lab(c) => Some(format!("{c:?}")),
            _ => None,
        })
        .collect()
}

#[test]
fn stolen_keys_show_each_decrypted_record_and_what_stayed_sealed() {
    use popscope::lab::Means;
    use popscope::wire::Direction;
    let scenario = Scenario {
        attack: Some(Attack::StealKeys),
        ..Scenario::named("pop3s").unwrap()
    };
    let mut app = App::new(scenario);
    let events = [
        AttackEvent::Armed {
            attack: Attack::StealKeys,
        },
        AttackEvent::Decrypted {
            conn: 1,
            dir: Direction::ClientToServer,
            seq: 2,
            content: "application_data".into(),
            len: 17,
            text: "PASS wonderland\r\n".into(),
        },
        AttackEvent::Learned {
            conn: 1,
            means: Means::StolenKeys,
            leak: popscope::wire::pop3::Leak::Password {
                user: Some("alice".into()),
                password: "wonderland".into(),
            },
        },
        AttackEvent::Sealed {
            conn: 2,
            records: 9,
            reason: popscope::lab::SealedReason::NoRecord,
        },
        AttackEvent::Verdict {
            conn: None,
            attack: Attack::StealKeys,
            succeeded: true,
            reason: popscope::lab::Why::Captured {
                prize: popscope::lab::Prize::Password,
                means: popscope::lab::Means::StolenKeys,
            },
            why: "the password captured inside TLS, decrypted with the stolen key log".into(),
        },
    ];
    let lines: Vec<String> = events.iter().filter_map(attack_line).collect();
    for e in events {
        app.update(attack_event(e));
    }
    app.update(Action::FocusPane(Focus::Wire));
    let theme = Theme::new(ThemeName::Dark, false);
    let buf = draw_cells(&mut app, 120, 40, &theme);
    let screen = draw(&mut app, 120, 40);
    assert!(
        screen.contains("3 Attacker · stolen session keys"),
        "{screen}"
    );
    // Long lines wrap: the words are read across the rows.
    let shown = popscope::tui::panes::line_texts(&app, Focus::Wire).join(" ");
    let shown = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    for l in &lines {
        let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(shown.contains(&l), "{l:?}\n{shown}");
    }
    // The secret is tagged like the eavesdropper's leaks.
    let (row, _) = row_with(&buf, "decrypted with the stolen keys").unwrap();
    let tag = cells_of(&row, "", "PASSWORD");
    assert!(tag.iter().all(|(_, c)| c.bg == theme.leak.bg.unwrap()));
}

#[test]
fn x_cracks_a_captured_apop_login_with_a_progress_bar() {
    let mut app = App::new(Scenario::named("apop").unwrap());
    press(&mut app, &[KeyCode::Esc]);
    // Nothing to crack before an APOP login has crossed the wire.
    press(&mut app, &[KeyCode::Char('x')]);
    assert!(lab_cmds(app.take_effects()).is_empty());
    assert!(!draw(&mut app, 80, 24).contains("x crack"));
    app.update(Action::Lab(
        0,
        Box::new(Event {
            at: Duration::ZERO,
            kind: EventKind::Wire(popscope::lab::WireEvent::Seen {
                conn: 1,
                item: popscope::wire::dissect::Item::Leak(popscope::wire::pop3::Leak::Apop {
                    user: "alice".into(),
                    digest: "0123456789abcdef0123456789abcdef".into(),
                    timestamp: Some("<1.2@lab>".into()),
                }),
            }),
        }),
    ));
    app.update(Action::FocusPane(Focus::Wire));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("x crack"), "the key is offered:\n{screen}");
    assert!(
        screen.contains("alice's APOP digest captured:  x  guesses the password offline"),
        "{screen}"
    );
    press(&mut app, &[KeyCode::Char('x')]);
    assert_eq!(lab_cmds(app.take_effects()), ["Crack"]);

    app.update(attack_event(AttackEvent::CrackStarted {
        user: "alice".into(),
        candidates: Some(4000),
    }));
    app.update(attack_event(AttackEvent::CrackProgress {
        tried: 1000,
        candidates: Some(4000),
        rate: 2_500_000.0,
    }));
    let screen = draw(&mut app, 80, 24);
    assert!(
        screen.contains("1000 of 4000 · 2.5 million guesses/s"),
        "{screen}"
    );
    insta::assert_snapshot!("attacker_crack_running_80x24", screen);
    // x stops it, and so does Esc.
    press(&mut app, &[KeyCode::Char('x')]);
    assert_eq!(lab_cmds(app.take_effects()), ["StopCrack"]);
    assert!(!app.cracking());
    app.update(attack_event(AttackEvent::CrackStarted {
        user: "alice".into(),
        candidates: None,
    }));
    press(&mut app, &[KeyCode::Esc]);
    assert_eq!(lab_cmds(app.take_effects()), ["StopCrack"]);

    // A search that ends without the password says how long trying every
    // password of its kind would take instead.
    let estimate = popscope::attack::crack::Estimate {
        length: 10,
        alphabet: 26,
        duration: Duration::from_secs(560 * 365 * 86_400),
        rate: 8_000_000,
    };
    let done = AttackEvent::CrackDone {
        user: "alice".into(),
        found: None,
        tried: 4000,
        elapsed: Duration::from_millis(2),
        rate: 2_000_000.0,
        estimate: Some(estimate),
    };
    let line = attack_line(&done).unwrap();
    app.update(attack_event(done));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains(&line), "{screen}");
    assert!(screen.contains("would take about 560"), "{screen}");
    assert!(!screen.contains("Esc stops"), "{screen}");
    // The estimate is worded when drawn: in Japanese once the learner
    // chooses Japanese, with the same numbers.
    app.lesson.lang = popscope::lesson::Lang::Ja;
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("26 種類の文字で 10 文字の"), "{screen}");
    assert!(screen.contains("毎秒 800万 回"), "{screen}");
    assert!(screen.contains("かかります"), "{screen}");
    assert!(!screen.contains("would take"), "{screen}");
}

#[test]
fn a_log_scrolled_to_its_oldest_line_fills_the_pane() {
    let mut app = plain();
    for i in 0..100 {
        app.client
            .lines
            .push(popscope::tui::app::ClientLine::Body(format!("line {i}")));
    }
    app.update(Action::FocusPane(Focus::Server));
    app.update(Action::FocusPane(Focus::Client));
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('g')]);
    let screen = draw(&mut app, 80, 24);
    // Not the oldest line alone at the top of an empty pane.
    for i in 0..10 {
        assert!(screen.contains(&format!("line {i} ")), "{screen}");
    }
    assert!(!screen.contains("line 99"), "{screen}");
}

/// Run a scenario on a real lab without QUIT (so the server is still in
/// TRANSACTION with a deletion mark) and return its events in time order.
async fn lab_events(name: &str) -> Vec<Event> {
    lab_events_after(name, &["STAT", "LIST", "RETR 2", "DELE 1"]).await
}

/// Run a scenario on a real lab: log in, send `commands`, and return the
/// events in time order.
async fn lab_events_after(name: &str, commands: &[&str]) -> Vec<Event> {
    let (mut lab, mut rx) = Lab::start(Scenario::named(name).unwrap(), LabOptions::default())
        .await
        .unwrap();
    lab.connect().await.unwrap();
    lab.login().await.unwrap();
    for &c in commands {
        lab.command(c).await.unwrap();
    }
    // Let the tap and the server report what they saw.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    lab.shutdown().await;
    events.sort_by_key(|e| e.at);
    events
}

fn app_with(events: Vec<Event>, name: &str) -> App {
    let mut app = App::new(Scenario::named(name).unwrap());
    for e in events {
        app.update(Action::Lab(0, Box::new(e)));
    }
    app
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    mask(&screen::backend(app, w, h).to_string())
}

/// Hide what changes from run to run: ports, APOP timestamps, secrets in
/// hex, and byte counts (TLS certificates and signatures vary in length).
/// Masks keep the width where it is fixed, so columns still line up; the
/// timestamp's length varies with the server's process id, so it cannot.
fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = |from: usize, f: &dyn Fn(char) -> bool| {
            chars[from..].iter().take_while(|&&c| f(c)).count()
        };
        // ":12345" is a port.
        if c == ':' {
            let n = run(i + 1, &|c| c.is_ascii_digit());
            if (4..=5).contains(&n) {
                out.push(':');
                out.push_str(&"#".repeat(n));
                i += 1 + n;
                continue;
            }
        }
        // "<123.0.456.abc@host>" is an APOP timestamp, maybe cut by the pane.
        if c == '<' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            let n = run(i + 1, &|c| {
                c != '>' && c != ' ' && c != '│' && c != '"' && c != '…'
            });
            out.push_str("<TIMESTAMP>");
            i += 1 + n;
            if chars.get(i) == Some(&'>') {
                i += 1;
            }
            // A timestamp wrapped onto a row of its own is followed by as
            // many blanks as it is short of the border: drop them too.
            let blanks = run(i, &|c| c == ' ');
            if chars.get(i + blanks) == Some(&'│') {
                i += blanks;
            }
            continue;
        }
        // Long hex is a secret.
        let hex = run(i, &|c| c.is_ascii_hexdigit());
        if hex >= 16 {
            out.push_str(&"x".repeat(hex));
            i += hex;
            continue;
        }
        // "1234 bytes" varies with the certificate (and the signature,
        // whose DER length moves by a byte from run to run), also where
        // the pane wraps the word onto the next row or the learner reads
        // Japanese ("1234 バイト").
        if c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let n = run(i, &|c| c.is_ascii_digit());
            let rest: String = chars[i + n..].iter().take(6).collect();
            let blanks = run(i + n, &|c| c == ' ');
            let before: String = chars[i.saturating_sub(10)..i].iter().collect();
            let wrapped = before.ends_with("record of ") && chars.get(i + n + blanks) == Some(&'│');
            if rest == " bytes" || rest.starts_with(" バイト") || wrapped {
                out.push_str(&"#".repeat(n));
                i += n;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_scenario_screens() {
    let mut app = app_with(lab_events("plain").await, "plain");
    assert_eq!(app.server.state, Some(StateName::Transaction));
    assert!(app.server.maildrop.iter().any(|m| m.deleted));
    let loot: Vec<_> = app
        .wire
        .loot
        .iter()
        .filter_map(|l| popscope::lab::describe::leak(l, popscope::lang::Lang::En))
        .map(|(t, x)| format!("{t} {x}"))
        .collect();
    assert!(
        loot.iter().any(|l| l.contains("PASSWORD wonderland")),
        "{loot:?}"
    );
    insta::assert_snapshot!("plain_120x36", draw(&mut app, 120, 36));
    for f in Focus::ALL {
        app.update(Action::FocusPane(f));
        insta::assert_snapshot!(format!("plain_80x24_{f:?}"), draw(&mut app, 80, 24));
    }
    app.update(Action::FocusPane(Focus::Wire));
    app.update(Action::CycleWireView);
    app.update(Action::CycleWireView);
    insta::assert_snapshot!("plain_80x24_records", draw(&mut app, 80, 24));
    // The same screen for a Japanese learner, reviewed as a whole.
    app.update(Action::CycleWireView);
    app.update(Action::FocusPane(Focus::Client));
    app.lesson.lang = popscope::lesson::Lang::Ja;
    insta::assert_snapshot!("plain_120x36_ja", draw(&mut app, 120, 36));
}

#[tokio::test(flavor = "multi_thread")]
async fn pop3s_scenario_screens() {
    let mut app = app_with(lab_events("pop3s").await, "pop3s");
    assert_eq!(app.server.state, Some(StateName::Transaction));
    assert!(app.wire.loot.is_empty(), "{:?}", app.wire.loot);
    assert!(app.tls.verification.is_some());
    assert!(!app.tls.secrets.is_empty());
    insta::assert_snapshot!("pop3s_120x36", draw(&mut app, 120, 36));
    for f in Focus::ALL {
        app.update(Action::FocusPane(f));
        insta::assert_snapshot!(format!("pop3s_80x24_{f:?}"), draw(&mut app, 80, 24));
    }
    app.update(Action::FocusPane(Focus::Wire));
    app.update(Action::CycleWireView);
    app.update(Action::CycleWireView);
    insta::assert_snapshot!("pop3s_80x24_records", draw(&mut app, 80, 24));
    app.update(Action::CycleWireView);
    app.update(Action::FocusPane(Focus::Client));
    app.lesson.lang = popscope::lesson::Lang::Ja;
    insta::assert_snapshot!("pop3s_120x36_ja", draw(&mut app, 120, 36));
}

#[test]
fn overlays_and_a_too_small_terminal() {
    let mut app = plain();
    insta::assert_snapshot!("too_small_60x20", draw(&mut app, 60, 20));
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!("help_120x36", draw(&mut app, 120, 36));
    insta::assert_snapshot!("help_80x24", draw(&mut app, 80, 24));
    app.update(Action::ToggleHelp);
    app.update(Action::MenuOpen);
    insta::assert_snapshot!("menu_80x24", draw(&mut app, 80, 24));
    app.lesson.lang = popscope::lesson::Lang::Ja;
    insta::assert_snapshot!("menu_80x24_ja", draw(&mut app, 80, 24));
    app.update(Action::MenuClose);
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!("help_120x36_ja", draw(&mut app, 120, 36));
}

#[test]
fn search_highlights_and_scrolls_to_the_match() {
    let mut app = plain();
    app.update(Action::Resize(80, 24));
    for i in 0..100 {
        app.client
            .lines
            .push(popscope::tui::app::ClientLine::Body(format!("line {i}")));
    }
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('/')]);
    type_str(&mut app, "line 42");
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.scroll[0], 57);
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("line 42"), "{screen}");
    assert!(!screen.contains("line 99"));
}

/// The screen drawn in `theme`, as cells (styles included).
fn draw_cells(app: &mut App, w: u16, h: u16, theme: &Theme) -> Buffer {
    screen::backend_in(app, w, h, theme).buffer().clone()
}

/// The row of `buf` whose text contains `needle`, as (column, cell) pairs
/// for the cells that show something (the blanks that stand behind a wide
/// character are skipped), and the row's text.
fn row_with(buf: &Buffer, needle: &str) -> Option<(Vec<(u16, Cell)>, String)> {
    let area = buf.area;
    (area.top()..area.bottom()).find_map(|y| {
        let mut cells: Vec<(u16, Cell)> = Vec::new();
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let c = buf[(x, y)].clone();
            skip = Span::raw(c.symbol()).width().saturating_sub(1);
            cells.push((x, c));
        }
        let text: String = cells.iter().map(|(_, c)| c.symbol()).collect();
        text.contains(needle).then_some((cells, text))
    })
}

/// The cells of `row` that draw `word`, found by its first occurrence
/// after `after`.
fn cells_of<'a>(row: &'a [(u16, Cell)], after: &str, word: &str) -> &'a [(u16, Cell)] {
    let symbols: Vec<&str> = row.iter().map(|(_, c)| c.symbol()).collect();
    let joined = symbols.concat();
    let base = joined.find(after).unwrap() + after.len();
    let at = base + joined[base..].find(word).unwrap();
    // Convert the byte offset in the joined text to a cell index.
    let mut bytes = 0;
    let first = symbols
        .iter()
        .position(|s| {
            let hit = bytes == at;
            bytes += s.len();
            hit
        })
        .unwrap();
    &row[first..first + word.chars().count()]
}

#[tokio::test(flavor = "multi_thread")]
async fn retr_shows_the_iso_2022_jp_message_decoded_and_coloured() {
    let events = lab_events_after("plain", &["RETR 2"]).await;
    let mut app = app_with(events, "plain");
    let subject = "Subject: 来週のクラスミーティングについて";
    let texts = popscope::tui::panes::line_texts(&app, Focus::Client);
    assert!(texts.iter().any(|l| l.contains(subject)), "{texts:#?}");
    assert!(
        texts
            .iter()
            .any(|l| l.contains("From: 田中 先生 <tanaka@example.net>")),
        "{texts:#?}"
    );
    // The ISO-2022-JP escapes are gone.
    assert!(
        !texts
            .iter()
            .any(|l| l.contains('\u{1b}') || l.contains("^["))
    );

    let dark = Theme::new(ThemeName::Dark, false);
    // The client pane alone, so the message's wrapped body leaves its
    // headers in view.
    app.zoom = true;
    let buf = draw_cells(&mut app, 120, 36, &dark);
    let (row, text) = row_with(&buf, "来週のクラス").expect("the subject is on screen");
    assert!(text.contains(subject), "{text}");
    let name = cells_of(&row, "", "Subject");
    let value = cells_of(&row, "Subject: ", "来週");
    let name_style = name[0].1.style();
    // The colours are syntect's (true colour), not the theme's named ones.
    assert!(
        matches!(name_style.fg, Some(Color::Rgb(..))),
        "{name_style:?}"
    );
    assert!(name.iter().all(|(_, c)| c.style() == name_style));
    assert_ne!(value[0].1.style(), name_style, "name and value look alike");
    assert!(value[0].1.style().fg.is_some());

    // NO_COLOR: the same screen without a single colour in the pane.
    let mono = Theme::new(ThemeName::Dark, true);
    let buf = draw_cells(&mut app, 120, 36, &mono);
    let (row, _) = row_with(&buf, "来週のクラス").unwrap();
    for (x, c) in &row {
        assert_eq!((c.fg, c.bg), (Color::Reset, Color::Reset), "colour at {x}");
    }
    let name = cells_of(&row, "", "Subject");
    assert!(name[0].1.modifier.contains(Modifier::BOLD));
}

#[tokio::test(flavor = "multi_thread")]
async fn search_marks_the_match_and_keeps_the_syntax_colours() {
    let events = lab_events_after("plain", &["RETR 2", "STAT", "LIST"]).await;
    let mut app = app_with(events, "plain");
    let dark = Theme::new(ThemeName::Dark, false);
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('/')]);
    type_str(&mut app, "TANAKA");
    press(&mut app, &[KeyCode::Enter]);
    let searched = draw_cells(&mut app, 120, 36, &dark);
    // The same screen, same scroll, without the search.
    app.update(Action::SearchCancel);
    let plain_buf = draw_cells(&mut app, 120, 36, &dark);

    let (row, text) = row_with(&searched, "<tanaka@").expect("the match is on screen");
    let (base, _) = row_with(&plain_buf, "<tanaka@").unwrap();
    let hit = cells_of(&row, "<", "tanaka");
    let xs: Vec<u16> = hit.iter().map(|(x, _)| *x).collect();
    for (x, c) in hit {
        assert_eq!(c.bg, Color::Yellow, "match at {x} in {text}");
        assert_eq!(c.fg, Color::Black);
    }
    // Everything else on the line, inside the pane, is drawn as without a
    // search: header name, colon, Japanese name, address punctuation.
    let pane = |x: u16| x < 60;
    for ((x, c), (_, b)) in row.iter().zip(&base) {
        if pane(*x) && !xs.contains(x) {
            assert_eq!(c.style(), b.style(), "cell {x} ({}) in {text}", c.symbol());
        }
    }
    let name = cells_of(&row, "", "From");
    assert!(matches!(name[0].1.fg, Color::Rgb(..)), "{:?}", name[0].1);
    assert_ne!(cells_of(&row, "", "From")[0].1.style(), hit[0].1.style());
}

#[test]
fn a_multipart_message_lists_its_attachment() {
    let raw = b"From: a@b.example\r\nCc: =?UTF-8?Q?Bj=C3=B6rn?= <b@b.example>\r\nSubject: photo\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.png\r\n\r\nAAAA\r\n--XX--\r\n";
    let lines = popscope::tui::app::decode_message(raw);
    let texts: Vec<String> = lines
        .iter()
        .map(|l| match l {
            ClientLine::Header(h) => h.text(),
            ClientLine::Body(s) => s.clone(),
            ClientLine::Attachment {
                name,
                content_type,
                size,
            } => format!("attachment {name:?} {content_type} {size}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "From: a@b.example",
            "Cc: Björn <b@b.example>",
            "Subject: photo",
            "",
            "see attached",
            "",
            "attachment Some(\"a.png\") image/png 3",
        ]
    );
}

// ---- Lessons on the screen ----

const TEST_LESSON_EN: &str = r#"+++
id = "screen-test"
chapter = 8
title = "A lesson for the screen test"
question = "Who reads the password?"

[[steps]]
text = "Log in over cleartext POP3."
actions = ["scenario plain", "login"]
expect = ["password-leaked", "state transaction"]

[[steps]]
text = "Look at the eavesdropper."
actions = ["highlight loot"]

[[quiz]]
question = "Which command carries the password?"
choices = ["USER", "PASS", "STAT"]
answer = 2
explain = ["USER carries the name only.", "PASS carries it as typed.", "STAT asks how much mail there is."]
+++

Cleartext POP3 hides **nothing**.
"#;

fn test_lessons() -> Vec<popscope::lesson::Lesson> {
    use popscope::lesson::{Lang, parse::parse_lesson};
    let ja = TEST_LESSON_EN
        .replace("A lesson for the screen test", "画面テスト用のレッスン")
        .replace(
            "Log in over cleartext POP3.",
            "平文の POP3 でログインします。",
        );
    vec![
        parse_lesson("en/08-test.md", Lang::En, TEST_LESSON_EN).unwrap(),
        parse_lesson("ja/08-test.md", Lang::Ja, &ja).unwrap(),
    ]
}

fn lesson_app() -> App {
    let mut app = plain();
    app.set_lessons(
        test_lessons(),
        popscope::lesson::Lang::En,
        Default::default(),
        Some(8),
    );
    app
}

#[test]
fn a_lesson_step_carries_out_its_actions() {
    let mut app = lesson_app();
    assert!(app.lesson.open);
    // On an empty input line, ] moves on through the lesson.
    press(&mut app, &[KeyCode::Char(']')]);
    let effects = app.take_effects();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Lab(LabCmd::Restart(s)) if s.name == "plain")),
        "{effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Lab(LabCmd::Login))),
        "{effects:?}"
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveProgress)));
    assert_eq!(app.lesson.progress.lesson("screen-test").unwrap().step, 0);
    // With something typed, ] is just a character.
    type_str(&mut app, "x]");
    assert_eq!(app.input, "x]");
}

#[tokio::test(flavor = "multi_thread")]
async fn expectations_turn_true_as_the_real_lab_reports() {
    let mut app = lesson_app();
    app.update(Action::LessonNext);
    assert_eq!(app.lesson.step_results(0), Some(vec![false, false]));
    let before = draw(&mut app, 120, 36);
    assert!(
        before.contains("✗ the eavesdropper read the password"),
        "{before}"
    );
    // The step restarted the lab, so its events are of generation 1.
    let generation = app.generation;
    for e in lab_events_after("plain", &[]).await {
        app.update(Action::Lab(generation, Box::new(e)));
    }
    assert_eq!(app.lesson.step_results(0), Some(vec![true, true]));
    let after = draw(&mut app, 120, 36);
    assert!(
        after.contains("✓ the eavesdropper read the password"),
        "{after}"
    );
    insta::assert_snapshot!("lesson_step_120x36", after);
    // The next step points at the loot box, and the results of the step
    // left behind stay as they were.
    app.update(Action::LessonNext);
    assert_eq!(app.focus, Focus::Wire);
    app.update(Action::Reset);
    assert_eq!(app.lesson.step_results(0), Some(vec![true, true]));
    let marked = draw(&mut app, 120, 36);
    assert!(marked.contains("★ loot"), "{marked}");
}

#[test]
fn the_quiz_explains_and_records_answers() {
    let mut app = lesson_app();
    for _ in 0..3 {
        app.update(Action::LessonNext);
    }
    app.take_effects();
    assert_eq!(app.focus, Focus::Lesson, "the quiz takes focus");
    // Keys 1–4 answer while the lesson pane has focus.
    press(&mut app, &[KeyCode::Char('1')]);
    let screen = draw(&mut app, 120, 36);
    assert!(screen.contains("not quite"), "{screen}");
    assert!(screen.contains("USER carries the name only."), "{screen}");
    assert!(screen.contains("PASS carries it as typed."), "{screen}");
    let saved = app.lesson.progress.lesson("screen-test").unwrap();
    assert_eq!(saved.answers.len(), 1);
    assert!(!saved.answers[0].right);
    assert!(
        app.take_effects()
            .iter()
            .any(|e| matches!(e, Effect::SaveProgress))
    );
    press(&mut app, &[KeyCode::Char('2')]);
    assert!(app.lesson.progress.lesson("screen-test").unwrap().answers[0].right);
    // A choice the question does not have changes nothing.
    press(&mut app, &[KeyCode::Char('4')]);
    assert!(app.lesson.progress.lesson("screen-test").unwrap().answers[0].right);
    insta::assert_snapshot!("lesson_quiz_80x24", draw(&mut app, 80, 24));
}

#[test]
fn e_switches_the_language_in_place() {
    let mut app = lesson_app();
    app.update(Action::LessonNext);
    app.update(Action::FocusPane(Focus::Lesson));
    press(&mut app, &[KeyCode::Char('e')]);
    assert_eq!(app.lesson.lang, popscope::lesson::Lang::Ja);
    assert_eq!(
        app.lesson.current().map(|l| l.title.as_str()),
        Some("画面テスト用のレッスン")
    );
    let screen = draw(&mut app, 120, 36);
    assert!(screen.contains("ステップ 1/2"), "{screen}");
    assert!(
        screen.contains("平文の POP3 でログインします。"),
        "{screen}"
    );
}

#[test]
fn the_lesson_list_opens_a_chapter() {
    let mut app = plain();
    let mut lessons = test_lessons();
    let mut other = lessons[0].clone();
    other.chapter = 9;
    other.id = "nine".into();
    other.title = "Chapter nine".into();
    lessons.push(other);
    app.set_lessons(
        lessons,
        popscope::lesson::Lang::En,
        Default::default(),
        None,
    );
    press(&mut app, &[KeyCode::Esc, KeyCode::Char('o')]);
    assert_eq!(app.lesson.list, Some(0));
    let screen = draw(&mut app, 120, 36);
    assert!(screen.contains("Chapter nine"), "{screen}");
    press(&mut app, &[KeyCode::Down, KeyCode::Enter]);
    assert_eq!(app.lesson.chapter, Some(9));
    assert!(app.lesson.open);
    assert_eq!(app.focus, Focus::Lesson);
    // c hides the pane and gives focus back to the lab.
    press(&mut app, &[KeyCode::Char('c')]);
    assert!(!app.lesson.open);
    assert_eq!(app.focus, Focus::Client);
}

#[test]
fn the_input_line_has_a_cursor() {
    let mut app = plain();
    type_str(&mut app, "USR alice");
    press(&mut app, &[KeyCode::Home, KeyCode::Right, KeyCode::Right]);
    type_str(&mut app, "E");
    assert_eq!(app.input, "USER alice");
    press(&mut app, &[KeyCode::End, KeyCode::Backspace]);
    assert_eq!(app.input, "USER alic");
    press(&mut app, &[KeyCode::Left, KeyCode::Left, KeyCode::Delete]);
    assert_eq!(app.input, "USER alc");
    assert_eq!(app.cursor, 7);
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("pop3> USER alc"), "{screen}");
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(sent(&app.take_effects()), ["USER alc"]);
    assert_eq!(app.cursor, 0);
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer() {
    let mut app = plain();
    app.update(Action::Resize(120, 36));
    for i in 0..100 {
        app.client
            .lines
            .push(popscope::tui::app::ClientLine::Body(format!("line {i}")));
    }
    app.update(Action::FocusPane(Focus::Tls));
    // The client pane is the top-left one at 120×36.
    let wheel = app
        .action_for_mouse(crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::ScrollUp,
            column: 5,
            row: 5,
            modifiers: KeyModifiers::NONE,
        })
        .unwrap();
    app.update(wheel);
    assert_eq!(app.scroll[Focus::Client.index()], 3);
    assert_eq!(app.scroll[Focus::Tls.index()], 0);
    assert_eq!(app.focus, Focus::Tls, "the wheel does not move focus");
}

#[test]
fn the_help_scrolls_on_a_small_terminal() {
    let mut app = plain();
    app.update(Action::ToggleHelp);
    let top = draw(&mut app, 80, 24);
    assert!(top.contains("^C  quit, from anywhere"), "{top}");
    assert!(!top.contains("wheel scrolls"), "{top}");
    press(&mut app, &[KeyCode::PageDown; 4]);
    assert!(app.help, "scrolling keeps the help open");
    let bottom = draw(&mut app, 80, 24);
    assert!(bottom.contains("wheel scrolls"), "{bottom}");
    press(&mut app, &[KeyCode::Char('x')]);
    assert!(!app.help);
}

#[test]
fn a_lesson_pause_waits_for_the_commands_before_it() {
    use popscope::lesson::{Lang, parse::parse_lesson};
    let text = r#"+++
id = "pause-test"
chapter = 11
title = "T"
question = "Q"

[[steps]]
text = "Start, then hold the wire."
actions = ["scenario pop3s", "send QUIT", "pause", "login", "step 2"]
+++
"#;
    let mut app = plain();
    app.set_lessons(
        vec![parse_lesson("en/11-t.md", Lang::En, text).unwrap()],
        Lang::En,
        Default::default(),
        Some(11),
    );
    app.update(Action::LessonNext);
    let gate_ops = |effects: &[Effect]| -> Vec<GateOp> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Gate(op) => Some(*op),
                _ => None,
            })
            .collect()
    };
    // Only the restart's opening of the wire: the pause waits, and so does
    // the login sent after it.
    let first = app.take_effects();
    assert_eq!(gate_ops(&first), [GateOp::Open]);
    assert!(
        !first
            .iter()
            .any(|e| matches!(e, Effect::Lab(LabCmd::Login))),
        "{first:?}"
    );
    assert_eq!(app.gate, popscope::tui::app::GateState::Paused);
    // The restart is done, QUIT is not: still waiting. The login sent
    // after the pause is not waited for: it is what the wire will hold.
    app.update(Action::LabDone(1));
    assert!(gate_ops(&app.take_effects()).is_empty());
    app.update(Action::LabDone(2));
    let released = app.take_effects();
    assert_eq!(
        gate_ops(&released),
        [GateOp::Pause, GateOp::Step, GateOp::Step]
    );
    let login = released
        .iter()
        .position(|e| matches!(e, Effect::Lab(LabCmd::Login)));
    assert_eq!(login, Some(1), "the login goes once the wire is held");
}

#[test]
fn quiet_actions_do_not_cancel_a_redraw_still_owed() {
    let mut app = plain();
    app.dirty = false;
    let event = Event {
        at: Duration::ZERO,
        kind: popscope::lab::EventKind::Client(popscope::lab::ClientEvent::Error {
            problem: popscope::lab::ClientProblem::Other {
                message: "news".into(),
            },
        }),
    };
    app.update(Action::Lab(0, Box::new(event.clone())));
    assert!(app.dirty);
    // In the same batch, before the frame: the driver reports a command
    // done, and an event of an older lab arrives. Neither changes the
    // screen, and neither may cancel the redraw the first event needs.
    app.update(Action::LabDone(1));
    app.update(Action::Lab(u64::MAX, Box::new(event)));
    app.update(Action::Tick);
    assert!(app.dirty, "the news must still be drawn");
    app.dirty = false;
    app.update(Action::LabDone(2));
    assert!(!app.dirty, "with nothing owed, they cause no redraw");
}

#[test]
fn on_a_small_terminal_the_step_stays_in_view_under_the_pane() {
    let mut app = lesson_app();
    app.update(Action::LessonNext);
    app.update(Action::FocusPane(Focus::Client));
    let screen = draw(&mut app, 80, 24);
    // The strip above the status bar: the step's number, its checks and
    // the start of its text, while the client pane is the one shown.
    let rows: Vec<&str> = screen.lines().collect();
    let head = rows
        .iter()
        .position(|r| r.contains("── 5 ▶ 1/2 ✗✗"))
        .unwrap_or_else(|| panic!("no step strip:\n{screen}"));
    assert!(head + 4 < rows.len(), "{screen}");
    let step = &app.lesson.current().unwrap().steps[0].text;
    let first_word = step
        .split_whitespace()
        .find(|w| w.chars().all(char::is_alphanumeric))
        .unwrap();
    assert!(
        rows[head + 1].contains(first_word),
        "{first_word}\n{screen}"
    );
    assert!(rows[1].contains("1 Client"), "{screen}");
    // With the lesson itself shown, there is no strip.
    app.update(Action::FocusPane(Focus::Lesson));
    let screen = draw(&mut app, 80, 24);
    assert!(!screen.contains("── 5 ▶"), "{screen}");
}

/// Bytes a hostile server chose reach the screen in the crate's one
/// visible notation: no ESC, no C1 control, no bidirectional override,
/// in the client pane, the TLS pane or anywhere on the drawn screen.
#[test]
fn hostile_text_is_drawn_visibly() {
    use popscope::lab::{ClientEvent, EventKind};
    let nasty = "\u{1b}]0;pwned\u{7}\u{9b}2J x\u{202e}gpj.exe\u{2066}";
    let at = Duration::from_millis(1);
    let events = vec![
        Event {
            at,
            kind: EventKind::Client(ClientEvent::Received {
                status: popscope::lab::Status::Ok,
                text: nasty.to_string(),
                body: None,
                body_len: None,
            }),
        },
        Event {
            at,
            kind: EventKind::Client(ClientEvent::TlsFailed {
                failure: popscope::lab::TlsFailure::Certificate {
                    problem: popscope::tls::CertProblem::UnknownIssuer {
                        issuer: Some(nasty.to_string()),
                    },
                },
            }),
        },
        Event {
            at,
            kind: EventKind::Client(ClientEvent::Error {
                problem: popscope::lab::ClientProblem::ErrReply {
                    step: "STAT".into(),
                    text: nasty.to_string(),
                },
            }),
        },
    ];
    let mut app = app_with(events, "pop3s");
    let bad = |s: &str| {
        s.chars().any(|c| {
            let u = c as u32;
            (u < 0x20 && c != '\n')
                || (0x7f..0xa0).contains(&u)
                || (0x202a..=0x202e).contains(&u)
                || (0x2066..=0x2069).contains(&u)
        })
    };
    for pane in [Focus::Client, Focus::Tls] {
        let texts = popscope::tui::panes::line_texts(&app, pane);
        assert!(!texts.iter().any(|l| bad(l)), "{pane:?}: {texts:#?}");
        // Long lines wrap, so the words are read across the rows.
        let words = texts.join(" ");
        let words: Vec<&str> = words.split_whitespace().collect();
        assert!(
            words
                .join(" ")
                .contains("^[]0;pwned^G<U+009B>2J x<U+202E>gpj"),
            "{pane:?}: {texts:#?}"
        );
    }
    let screen = draw(&mut app, 200, 50);
    assert!(!bad(&screen), "{screen}");
}

#[test]
fn a_lesson_sets_the_attacker_and_the_client_policies_on_the_current_scenario() {
    use popscope::lesson::{Lang, parse::parse_lesson};
    let text = r#"+++
id = "attack-test"
chapter = 13
title = "T"
question = "Q"

[[steps]]
text = "Strip STLS from a careless client, then make it careful."
actions = ["scenario stls", "attack strip-stls", "require-tls off", "require-tls on", "verify off", "vulnerable-server on", "crack"]
+++
"#;
    let mut app = plain();
    app.set_lessons(
        vec![parse_lesson("en/13-t.md", Lang::En, text).unwrap()],
        Lang::En,
        Default::default(),
        Some(13),
    );
    app.update(Action::LessonNext);
    let effects = app.take_effects();
    let restarts: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Lab(LabCmd::Restart(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    // One fresh lab for the scenario, then one for each change, each
    // keeping what the actions before it set.
    assert_eq!(restarts.len(), 6, "{effects:?}");
    assert!(restarts.iter().all(|s| s.name == "stls"));
    assert_eq!(restarts[0].attack, None);
    assert!(restarts[0].require_tls);
    let strip = Some(popscope::attack::Attack::StripStls);
    assert_eq!(restarts[1].attack, strip);
    assert!(restarts[1].require_tls);
    assert!(!restarts[2].require_tls);
    assert_eq!(restarts[2].attack, strip);
    assert!(restarts[3].require_tls);
    assert_eq!(restarts[4].verify, popscope::lab::Trust::InsecureAcceptAny);
    assert!(!restarts[4].vulnerable_server);
    assert!(restarts[5].vulnerable_server);
    assert_eq!(restarts[5].verify, popscope::lab::Trust::InsecureAcceptAny);
    assert_eq!(restarts[5].attack, strip);
    // The screen's own scenario follows, so the menu shows what runs.
    assert!(app.scenario.vulnerable_server);
    // The crack is asked of the lab after the last restart.
    let last_restart = effects
        .iter()
        .rposition(|e| matches!(e, Effect::Lab(LabCmd::Restart(_))));
    let crack = effects
        .iter()
        .position(|e| matches!(e, Effect::Lab(LabCmd::Crack)));
    assert!(crack > last_restart, "{effects:?}");
}

/// A teacher's chapter in English only, read by a learner who chose
/// Japanese: the pane shows the English chapter with a line saying it is
/// in English only; in English there is no such line.
#[test]
fn a_chapter_in_one_language_says_so_in_the_other() {
    use popscope::lesson::{Lang, parse::parse_lesson};
    let en_only = vec![parse_lesson("en/08-test.md", Lang::En, TEST_LESSON_EN).unwrap()];
    let mut app = plain();
    app.set_lessons(en_only.clone(), Lang::Ja, Default::default(), Some(8));
    let screen = draw(&mut app, 120, 36);
    assert!(screen.contains("この章は英語版だけです。"), "{screen}");
    assert!(screen.contains("A lesson for the screen test"), "{screen}");
    let mut app = plain();
    app.set_lessons(en_only, Lang::En, Default::default(), Some(8));
    let screen = draw(&mut app, 120, 36);
    assert!(!screen.contains("この章は英語版だけです。"), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn g_in_the_eavesdropper_pane_shows_the_first_line_at_the_top() {
    let mut app = app_with(lab_events("plain").await, "plain");
    app.update(Action::FocusPane(Focus::Wire));
    let firsts = [
        "── connection 1:",
        "S→C connection 1,",
        "S→C POP3 +OK popscope",
    ];
    for first in firsts {
        for (w, h) in [(80, 24), (100, 30), (200, 60)] {
            press(&mut app, &[KeyCode::Char('g')]);
            let screen = draw(&mut app, w, h);
            // The row under the pane's top border is the view's first
            // line: nothing blank above it, nothing of it scrolled away.
            let rows: Vec<&str> = screen.lines().collect();
            let top = rows
                .iter()
                .position(|r| r.contains("3 Eavesdropper ·"))
                .expect("the pane is on screen");
            assert!(
                rows[top + 1].contains(first),
                "{w}×{h}: {:?} under the title, not {first:?}\n{screen}",
                rows[top + 1]
            );
            assert!(!screen.contains("↓"), "{screen}");
            // One line down from the top moves the view at once: `g` left
            // no offset beyond the top for `j` to work off first.
            let total = popscope::tui::panes::line_count(&app, Focus::Wire);
            if total <= popscope::tui::panes::view_height(&app, Focus::Wire) {
                continue;
            }
            press(&mut app, &[KeyCode::Char('j')]);
            let screen = draw(&mut app, w, h);
            let rows: Vec<&str> = screen.lines().collect();
            assert!(
                !rows[top + 1].contains(first),
                "{w}×{h}: j did not move\n{screen}"
            );
            press(&mut app, &[KeyCode::Char('k')]);
            let screen = draw(&mut app, w, h);
            assert!(screen.lines().nth(top + 1).unwrap().contains(first));
        }
        app.update(Action::CycleWireView);
    }
}

/// What a gate or a login would look like among the effects.
fn fought(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Gate(_) | Effect::Lab(LabCmd::Login)))
        .map(|e| format!("{e:?}"))
        .collect()
}

#[test]
fn a_command_typed_outside_the_input_line_lands_on_it() {
    for pane in [Focus::Server, Focus::Wire, Focus::Tls, Focus::Client] {
        let mut app = plain();
        app.update(Action::FocusPane(pane));
        app.update(Action::InputLeave);
        assert!(!app.input_active);
        // Before, U did nothing, Space stepped the wire (pausing it), `a`
        // logged in, `l` moved focus and `i` went to the input line.
        type_str(&mut app, "USER alice");
        assert_eq!(app.focus, Focus::Client, "from {pane:?}");
        assert!(app.input_active);
        assert_eq!(app.input, "USER alice", "from {pane:?}");
        assert_eq!(app.gate, popscope::tui::app::GateState::Open);
        assert!(fought(&app.take_effects()).is_empty());
        // It says where the keys went, until the command is sent.
        let screen = draw(&mut app, 100, 30);
        assert!(
            screen.contains("typing goes here · Enter sends"),
            "{screen}"
        );
        press(&mut app, &[KeyCode::Enter]);
        assert_eq!(sent(&app.take_effects()), ["USER alice"]);
        assert!(!draw(&mut app, 100, 30).contains("typing goes here"));
    }
    // Lower case: the letters that are not keys start typing too (user,
    // top, dele), the keys stay keys.
    let mut app = plain();
    app.update(Action::FocusPane(Focus::Wire));
    type_str(&mut app, "top 1");
    assert_eq!((app.focus, app.input.as_str()), (Focus::Client, "top 1"));
}

#[test]
fn closing_the_menu_or_a_fresh_lab_from_it_returns_to_the_input_line() {
    for close in [KeyCode::Enter, KeyCode::Esc, KeyCode::Char('r')] {
        let mut app = plain();
        app.update(Action::FocusPane(Focus::Wire));
        press(&mut app, &[KeyCode::Char('s'), KeyCode::Right, close]);
        assert!(app.menu.is_none());
        assert_eq!(app.focus, Focus::Client, "{close:?}");
        assert!(app.input_active, "{close:?}");
        let _ = app.take_effects();
        type_str(&mut app, "user alice");
        assert_eq!(app.input, "user alice");
        assert!(fought(&app.take_effects()).is_empty());
    }
}

/// An app in each state the key map knows, with a lesson loaded.
fn key_states() -> Vec<(&'static str, App)> {
    let base = || {
        let mut app = lesson_app();
        app.update(Action::LessonToggle);
        app.lesson.open = true;
        app
    };
    let mut states = Vec::new();
    let mut a = base();
    a.update(Action::FocusPane(Focus::Wire));
    states.push(("panes", a));
    let mut a = base();
    a.update(Action::FocusPane(Focus::Client));
    states.push(("typing", a));
    let mut a = base();
    a.update(Action::FocusPane(Focus::Lesson));
    a.lesson.place = popscope::tui::lesson::Place::Quiz(0);
    states.push(("quiz", a));
    let mut a = base();
    a.update(Action::ToggleHelp);
    states.push(("help", a));
    let mut a = base();
    a.update(Action::LessonListOpen);
    states.push(("list", a));
    let mut a = base();
    a.update(Action::MenuOpen);
    states.push(("menu", a));
    let mut a = base();
    a.update(Action::FocusPane(Focus::Wire));
    a.update(Action::SearchOpen);
    states.push(("search", a));
    // The TLS pane with a handshake step to choose, and its byte view.
    let mut a = base();
    a.update(Action::Lab(0, Box::new(one_step())));
    a.update(Action::FocusPane(Focus::Tls));
    states.push(("steps", a.clone()));
    a.update(Action::BytesOpen);
    states.push(("bytes", a));
    states
}

/// A lab's report of one handshake step (a four-byte ClientHello).
fn one_step() -> Event {
    use popscope::wire::annotate::{self, Era};
    use popscope::wire::steps::{Step, StepKind};
    use popscope::wire::tls::{ContentType, RecordHeader};
    let bytes = vec![1, 0, 0, 0];
    Event {
        at: Duration::ZERO,
        kind: EventKind::Tls(popscope::lab::TlsEvent::Step {
            conn: 1,
            order: 0,
            step: Box::new(Step {
                dir: popscope::wire::Direction::ClientToServer,
                kind: StepKind::Handshake {
                    msg_type: 1,
                    retry: false,
                },
                fields: annotate::handshake(&bytes, Era::Tls13),
                bytes,
                record: RecordHeader {
                    content_type: ContentType::Handshake,
                    version: 0x0301,
                    length: 4,
                },
                record_offset: 0,
                sealed: None,
                era: Era::Tls13,
            }),
        }),
    }
}

/// Every key worth trying: the printable ASCII, the named keys, Ctrl and
/// the letters.
fn every_key() -> Vec<KeyEvent> {
    let mut keys: Vec<KeyEvent> = (' '..='~').map(|c| key(KeyCode::Char(c))).collect();
    keys.extend(
        [
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Insert,
        ]
        .map(key),
    );
    keys.extend((1..=12).map(|n| key(KeyCode::F(n))));
    keys.extend(('a'..='z').map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
    keys
}

#[test]
fn the_help_and_the_handler_are_the_same_key_map() {
    use popscope::tui::keys::{self, BINDINGS, Key};
    for (name, app) in key_states() {
        for k in every_key() {
            let Some(action) = app.action_for_key(k) else {
                continue;
            };
            // A key that does something is a row of the map, in a context
            // the screen is in, and that row says what it does.
            let ctxs = keys::contexts(&app, &k);
            let row = BINDINGS
                .iter()
                .filter(|b| ctxs.contains(&b.context))
                .find(|b| b.keys.iter().any(|x| x.matches(&k)) && (b.act)(&app, &k).is_some());
            let row = row.unwrap_or_else(|| panic!("{name}: {k:?} → {action:?} is in no row"));
            assert_eq!(
                format!("{:?}", (row.act)(&app, &k)),
                format!("{:?}", Some(action)),
                "{name}: {k:?}"
            );
        }
    }
    // And every row's every key does something in a state where its
    // context applies: no row of the help is dead.
    let states = key_states();
    for b in BINDINGS {
        for &x in b.keys {
            let k = match x {
                Key::Code(c) => key(c),
                Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
                Key::Capital => key(KeyCode::Char('Q')),
                Key::AnyChar => key(KeyCode::Char('ä')),
                Key::AnyOther => key(KeyCode::F(7)),
            };
            let works = states.iter().any(|(_, app)| {
                keys::contexts(app, &k).contains(&b.context)
                    && app.action_for_key(k).is_some()
                    && format!("{:?}", app.action_for_key(k)) == format!("{:?}", (b.act)(app, &k))
            });
            assert!(works, "{:?} {x:?} ({}) does nothing", b.context, b.help);
        }
    }
}

#[test]
fn the_help_and_the_menu_show_every_row_of_the_key_map() {
    use popscope::tui::keys::{self, Context};
    let mut app = plain();
    app.update(Action::ToggleHelp);
    let screen = draw(&mut app, 160, 60);
    for ctx in keys::HELP_CONTEXTS {
        for (k, what) in keys::rows(ctx, popscope::lang::Lang::En) {
            assert!(
                screen.contains(&format!("{k}  {what}")),
                "{k} {what}:\n{screen}"
            );
        }
    }
    // On a small screen the help scrolls to its last row.
    app.update(Action::HelpScroll(1000));
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("click focuses"), "{screen}");
    let mut app = plain();
    app.update(Action::MenuOpen);
    let screen = draw(&mut app, 100, 30);
    for (k, what) in keys::rows(Context::Menu, popscope::lang::Lang::En) {
        assert!(screen.contains(&format!("{k}: {what}")), "{screen}");
    }
    // The lesson pane's own key line names the keys of the map.
    let mut app = lesson_app();
    app.lesson.open = true;
    let screen = draw(&mut app, 100, 30);
    let line = format!(
        "] next  [ back  {} 日本語  {} list",
        keys::LANGUAGE,
        keys::CHAPTERS
    );
    assert!(screen.contains(&line), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn b_switches_the_theme_while_running_and_high_contrast_pass_is_white_on_red() {
    let mut app = app_with(lab_events("plain").await, "plain");
    assert_eq!(app.theme, ThemeName::Dark);
    app.update(Action::FocusPane(Focus::Wire));
    press(&mut app, &[KeyCode::Char('b')]);
    assert_eq!(app.theme, ThemeName::Light);
    press(&mut app, &[KeyCode::Char('b')]);
    assert_eq!(app.theme, ThemeName::HighContrast);
    // The screen is drawn in the app's theme, as the run loop draws it.
    app.update(Action::Resize(100, 30));
    press(&mut app, &[KeyCode::Char('z'), KeyCode::Char('g')]);
    let theme = Theme::new(app.theme, false);
    let buf = draw_cells(&mut app, 100, 30, &theme);
    let (row, text) = row_with(&buf, "C→S PASS wonderland").expect("the PASS line");
    let cells = cells_of(&row, "C→S ", "PASS wonderland");
    for (_, c) in cells {
        assert_eq!((c.fg, c.bg), (Color::White, Color::Red), "{text}");
    }
    press(&mut app, &[KeyCode::Char('b')]);
    assert_eq!(app.theme, ThemeName::Dark);
}

/// The text inside `pane`'s border, row by row, as drawn.
fn pane_rows(app: &App, buf: &Buffer, pane: Focus) -> Vec<String> {
    let areas = app.areas(buf.area);
    let (_, r) = areas
        .panes
        .iter()
        .find(|(f, _)| *f == pane)
        .copied()
        .expect("the pane is on screen");
    (r.top() + 1..r.bottom() - 1)
        .map(|y| {
            (r.left() + 1..r.right() - 1)
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_apop_greeting_is_on_a_projector_at_100x30_and_at_200x60() {
    let events = lab_events_after("apop", &[]).await;
    let mut app = lesson_app();
    app.scenario = Scenario::named("apop").unwrap();
    for e in events {
        app.update(Action::Lab(0, Box::new(e)));
    }
    let greeting = app
        .client
        .lines
        .iter()
        .find_map(|l| match l {
            ClientLine::Ok(s) if s.contains("ready <") => Some(s.clone()),
            _ => None,
        })
        .expect("the APOP greeting");
    // The lesson takes the left, as it does when the lab opens; the
    // client and the server panes are narrower than the greeting.
    app.lesson.open = true;
    for (w, h) in [(100, 30), (200, 60)] {
        app.update(Action::FocusPane(Focus::Client));
        press(&mut app, &[KeyCode::Esc, KeyCode::Char('g')]);
        let buf = draw_cells(&mut app, w, h, &Theme::new(ThemeName::Dark, false));
        let rows = pane_rows(&app, &buf, Focus::Client);
        if (w, h) == (100, 30) {
            let width = rows[0].chars().count();
            assert!(width < greeting.len() + 3, "the pane is {width} wide");
        }
        // Every character of the greeting is on screen, in order, over
        // consecutive rows.
        let joined: String = rows.iter().map(|r| r.trim()).collect::<Vec<_>>().join(" ");
        assert!(
            joined.contains(&format!("S: {greeting}")),
            "{greeting:?} not whole in:\n{}",
            rows.join("\n")
        );
        // And in the eavesdropper's text view, as it crossed.
        app.update(Action::FocusPane(Focus::Wire));
        press(&mut app, &[KeyCode::Char('g')]);
        let buf = draw_cells(&mut app, w, h, &Theme::new(ThemeName::Dark, false));
        let rows = pane_rows(&app, &buf, Focus::Wire);
        let joined: String = rows.iter().map(|r| r.trim()).collect::<Vec<_>>().join(" ");
        assert!(
            joined.contains(&format!("S→C {greeting}")),
            "{greeting:?} not whole in:\n{}",
            rows.join("\n")
        );
    }
}

/// The four lab panes keep what they show as values and word it when
/// drawn, so switching the language re-words what is already on screen,
/// not only what comes next.
#[tokio::test(flavor = "multi_thread")]
async fn switching_the_language_rewords_the_four_lab_panes() {
    let mut app = app_with(lab_events("pop3s").await, "pop3s");
    let en = draw(&mut app, 200, 60);
    for phrase in [
        "TLS required · verifies cert",
        "bytes of TLS records: unreadable",
        "loot: what the eavesdropper learned",
        "negotiated",
        "client →",
        "session state: TRANSACTION",
        "QUIT will delete message 1",
    ] {
        assert!(en.contains(phrase), "{phrase} in\n{en}");
    }
    app.update(Action::LangToggle);
    let ja = draw(&mut app, 200, 60);
    for phrase in [
        // The client, the eavesdropper, the TLS timeline, the server.
        "TLS 必須 · 証明書を検証する",
        "バイト: 読めません",
        "戦利品: 盗聴者が知ったこと",
        "[テキスト]",
        "合意内容",
        "クライアント →",
        "セッションの状態: TRANSACTION",
        "QUIT でメッセージ 1 を削除します",
    ] {
        assert!(ja.contains(phrase), "{phrase} in\n{ja}");
    }
    for phrase in [
        "TLS required",
        "unreadable",
        "loot: what",
        "negotiated",
        "client →",
        "session state",
        "QUIT will",
    ] {
        assert!(!ja.contains(phrase), "{phrase} still English in\n{ja}");
    }
}

/// Bytes the eavesdropper cannot decode are explained in the learner's
/// language, and again in the other one when the learner switches: the
/// reason is a value worded when drawn.
#[test]
fn an_undecodable_reason_follows_the_learners_language() {
    let mut app = App::new(Scenario::named("plain").unwrap());
    press(&mut app, &[KeyCode::Esc]);
    app.update(Action::Lab(
        0,
        Box::new(Event {
            at: Duration::ZERO,
            kind: EventKind::Wire(popscope::lab::WireEvent::Seen {
                conn: 1,
                item: popscope::wire::dissect::Item::Undecodable {
                    dir: popscope::wire::Direction::ServerToClient,
                    offset: 0,
                    reason: popscope::wire::dissect::UndecodableReason::NotGreeting,
                },
            }),
        }),
    ));
    app.update(Action::FocusPane(Focus::Wire));
    // The records view (v: text, hex, records) lists what was not decoded.
    press(&mut app, &[KeyCode::Char('v'), KeyCode::Char('v')]);
    app.lesson.lang = popscope::lesson::Lang::En;
    let screen = draw(&mut app, 160, 40);
    assert!(
        screen.contains("cannot decode: the server's first line is not a POP3 greeting"),
        "{screen}"
    );
    app.lesson.lang = popscope::lesson::Lang::Ja;
    let screen = draw(&mut app, 160, 40);
    assert!(
        screen.contains("解読できません: サーバの最初の行が POP3 の挨拶ではありません"),
        "{screen}"
    );
    assert!(!screen.contains("not a POP3 greeting"), "{screen}");
}

/// The number of events before position `at`: up to the chunk after the
/// `at`-th (each chunk takes the events after it, up to the next one),
/// less the lines the client sent just before that chunk (its cause).
fn end_of(events: &[Event], at: usize) -> usize {
    let mut end = events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            matches!(
                e.kind,
                EventKind::Wire(popscope::lab::WireEvent::Chunk { .. })
            )
        })
        .nth(at)
        .map_or(events.len(), |(i, _)| i);
    if end < events.len() {
        while end > 0
            && matches!(
                events[end - 1].kind,
                EventKind::Client(popscope::lab::ClientEvent::Sent { .. })
            )
        {
            end -= 1;
        }
    }
    end
}

fn chunk_count(events: &[Event]) -> u64 {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Wire(popscope::lab::WireEvent::Chunk { .. })
            )
        })
        .count() as u64
}

/// The four lab panes' models as text, to compare two screens' states.
fn models(app: &App) -> String {
    stable(&format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        app.client, app.server, app.wire, app.tls
    ))
}

/// Debug text with the hash maps' entries in an order that does not
/// change from run to run: each map after `partial: ` (the eavesdropper's
/// unfinished lines) has its characters sorted, which keeps what it holds
/// and forgets only the order.
fn stable(debug: &str) -> String {
    let mut out = String::new();
    let mut rest = debug;
    while let Some(i) = rest.find("partial: {") {
        let open = i + "partial: ".len();
        out.push_str(&rest[..open]);
        let mut depth = 0;
        let mut end = rest.len();
        for (j, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut chars: Vec<char> = rest[open..end].chars().collect();
        chars.sort_unstable();
        out.extend(chars);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn stepping_back_shows_exactly_the_state_at_that_chunk_while_the_lab_goes_on() {
    let events = lab_events_after("plain", &["STAT", "LIST"]).await;
    let total = chunk_count(&events);
    assert!(total >= 8, "{total} chunks");
    // The lab so far: everything up to the chunk before the last four.
    let so_far = end_of(&events, total as usize - 4);
    let mut app = app_with(events[..so_far].to_vec(), "plain");
    let live = models(&app);
    assert_eq!(app.position(), (total - 4, total - 4));
    press(&mut app, &[KeyCode::Esc]);
    press(&mut app, &[KeyCode::Char(','), KeyCode::Char(',')]);
    let at = total - 6;
    assert_eq!(app.position(), (at, total - 4));
    assert!(app.past.is_some());
    let then = app_with(events[..end_of(&events, at as usize)].to_vec(), "plain");
    assert_eq!(models(&app), models(&then));
    // The lab goes on while the past is shown: its events are recorded,
    // and the view stays where it was.
    for e in events[so_far..].iter().cloned() {
        app.update(Action::Lab(0, Box::new(e)));
    }
    assert_eq!(app.position(), (at, total));
    assert_eq!(models(&app), models(&then));
    // Forward one, then live: every event is there.
    press(&mut app, &[KeyCode::Char('.')]);
    let next = app_with(events[..end_of(&events, at as usize + 1)].to_vec(), "plain");
    assert_eq!(models(&app), models(&next));
    press(&mut app, &[KeyCode::Char('f')]);
    assert!(app.past.is_none());
    let all = app_with(events.clone(), "plain");
    assert_eq!(models(&app), models(&all));
    assert_ne!(models(&app), live);
    // Stepping forward past the newest chunk is live again too.
    press(&mut app, &[KeyCode::Char(','), KeyCode::Char('.')]);
    assert!(app.past.is_none());
    // Typing a command acts on the live lab, so the view goes live.
    press(&mut app, &[KeyCode::Char(',')]);
    assert!(app.past.is_some());
    press(&mut app, &[KeyCode::Char('i')]);
    type_str(&mut app, "NOOP");
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.past.is_none());
    // A new lab starts a new record.
    press(&mut app, &[KeyCode::Esc, KeyCode::Char(',')]);
    app.update(Action::Reset);
    assert!(app.past.is_none());
    assert_eq!(app.position(), (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_past_is_marked_on_the_screen_in_both_languages() {
    let events = lab_events_after("plain", &["STAT"]).await;
    let total = chunk_count(&events);
    let mut app = app_with(events, "plain");
    press(&mut app, &[KeyCode::Esc]);
    // Back to just after the greeting crossed, before the login.
    for _ in 1..total {
        press(&mut app, &[KeyCode::Char(',')]);
    }
    assert_eq!(app.position(), (1, total));
    let en = draw(&mut app, 120, 36);
    assert!(en.contains(&format!("◀ PAST: chunk 1 of {total}")), "{en}");
    assert_eq!(en.matches(&format!("◀ past 1/{total}")).count(), 4, "{en}");
    // Before the login, so no password on the screen.
    assert!(!en.contains("wonderland"), "{en}");
    insta::assert_snapshot!("past_plain_120x36_en", steady(&en));
    // At 80 columns the status bar says it short, keys still there.
    let small = draw(&mut app, 80, 24);
    let status = small.lines().last().unwrap();
    assert!(status.contains(&format!("◀ PAST 1/{total}")), "{status}");
    assert!(status.contains("^C quit"), "{status}");
    app.lesson.lang = popscope::lang::Lang::Ja;
    let ja = draw(&mut app, 120, 36);
    assert!(ja.contains("過去を表示中"), "{ja}");
    insta::assert_snapshot!("past_plain_120x36_ja", steady(&ja));
    press(&mut app, &[KeyCode::Char('f')]);
    let live = draw(&mut app, 120, 36);
    assert!(!live.contains('◀'), "{live}");
}

fn have_tshark() -> bool {
    tool::available("tshark", "-v", "tshark")
}

/// Carry out the screen's `WriteCapture` effect into `dir` as the run loop
/// does, and tell the screen.
fn save_into(app: &mut App, dir: &std::path::Path) -> std::path::PathBuf {
    let effect = app
        .take_effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::WriteCapture {
                events,
                server_port,
                name,
            } => Some((events, server_port, name)),
            _ => None,
        })
        .expect("w asks for a capture");
    let (events, port, name) = effect;
    let now = std::time::SystemTime::now();
    let saved =
        popscope::tui::save::save_capture(&events, port, now, &name, now, &[dir.to_path_buf()]);
    app.update(Action::CaptureSaved(saved.clone()));
    saved.unwrap()
}

fn tshark_pass(file: &std::path::Path) -> String {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-o", "tls.keylog_file:"])
        .args(["-Y", "pop.request.command == \"PASS\""])
        .args(["-T", "fields", "-e", "pop.request.parameter"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn w_writes_what_the_lab_recorded_as_a_capture_tshark_reads() {
    for name in ["plain", "pop3s"] {
        let events = lab_events_after(name, &["STAT"]).await;
        let mut app = app_with(events, name);
        press(&mut app, &[KeyCode::Esc, KeyCode::Char(',')]);
        // Even from the past, the capture holds everything recorded.
        press(&mut app, &[KeyCode::Char('w')]);
        let dir = tempfile::tempdir().unwrap();
        let file = save_into(&mut app, dir.path());
        let shown = file.display().to_string();
        assert!(
            file.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&format!("popscope-{name}-")),
            "{shown}"
        );
        let status = draw(&mut app, 200, 36);
        assert!(status.contains("capture written:"), "{status}");
        if have_tshark() {
            // From the TLS secrets inside the file for pop3s.
            assert_eq!(tshark_pass(&file), "wonderland", "{name}");
        }
    }
}

#[test]
fn a_capture_that_cannot_be_written_says_why_in_the_status_bar() {
    let mut app = plain();
    app.update(Action::CaptureSaved(Err("./: Permission denied".into())));
    let screen = draw(&mut app, 120, 36);
    assert!(
        screen.contains("cannot write the capture: ./: Permission denied"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replay_plays_steps_and_steps_back_over_the_recorded_chunks() {
    let events = lab_events_after("plain", &["STAT"]).await;
    let total = chunk_count(&events);
    let mut app = App::replay(events.clone(), "plain.pcapng".into());
    assert_eq!(app.position(), (0, total));
    let screen = draw(&mut app, 120, 36);
    assert!(screen.contains("replay of plain.pcapng"), "{screen}");
    assert!(screen.contains("no client runs here"), "{screen}");
    assert!(screen.contains("no server runs here"), "{screen}");
    assert_eq!(
        screen.matches(&format!("▶ replay 0/{total}")).count(),
        4,
        "{screen}"
    );
    assert!(
        screen.contains("Space step p play/pause , back"),
        "{screen}"
    );
    let status = screen.lines().last().unwrap();
    assert!(!status.contains("tap :"), "no lab, no ports: {status}");
    // No scenario menu over a recording.
    press(&mut app, &[KeyCode::Char('s')]);
    assert!(app.menu.is_none());
    app.lesson.lang = popscope::lang::Lang::Ja;
    let ja = draw(&mut app, 120, 36);
    assert!(ja.contains("ここで動くクライアントはありません"), "{ja}");
    // Space steps one chunk and is the state at that chunk.
    press(&mut app, &[KeyCode::Char(' '), KeyCode::Char(' ')]);
    assert_eq!(app.position(), (2, total));
    let then = app_with(events[..end_of(&events, 2)].to_vec(), "plain");
    assert_eq!(app.wire.text.len(), then.wire.text.len());
    assert_eq!(models(&app), models(&then));
    press(&mut app, &[KeyCode::Char(',')]);
    assert_eq!(app.position(), (1, total));
    // p plays at the lab's play speed (one chunk each 500 ms), to the end.
    press(&mut app, &[KeyCode::Char('p')]);
    ticks(&mut app, 10);
    assert_eq!(app.position(), (2, total));
    ticks(&mut app, 10 * total as usize);
    assert_eq!(app.position(), (total, total));
    assert_eq!(app.gate, popscope::tui::app::GateState::Paused);
    // Nothing goes to a lab that is not there, and the recording is not
    // lost to a restart.
    app.take_effects();
    press(&mut app, &[KeyCode::Char('a'), KeyCode::Char('r')]);
    assert!(lab_cmds(app.take_effects()).is_empty());
    assert_eq!(app.position(), (total, total));
    // w writes the replayed events.
    press(&mut app, &[KeyCode::Char('w')]);
    let dir = tempfile::tempdir().unwrap();
    let file = save_into(&mut app, dir.path());
    assert!(file.to_str().unwrap().contains("popscope-replay-"));
    if have_tshark() {
        assert_eq!(tshark_pass(&file), "wonderland");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_lesson_step_shows_the_live_lab_again() {
    let events = lab_events_after("plain", &[]).await;
    let mut app = lesson_app();
    // Step 1 restarts the lab and logs in; its events arrive.
    app.update(Action::LessonNext);
    let g = app.generation;
    for e in events {
        app.update(Action::Lab(g, Box::new(e)));
    }
    app.update(Action::PastBack);
    assert!(app.past.is_some());
    // Step 2 only points at the loot: it is the live loot it means.
    app.update(Action::LessonNext);
    assert!(app.past.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_over_its_cap_says_how_far_back_it_goes_and_where_the_capture_starts() {
    let events = lab_events_after("plain", &["STAT", "LIST", "NOOP", "NOOP", "NOOP", "NOOP"]).await;
    let total = chunk_count(&events);
    let mut app = plain();
    // A cap of a few events, so the start of this short lab is dropped.
    app.recorded = popscope::tui::history::History::new(3000);
    for e in events {
        app.update(Action::Lab(0, Box::new(e)));
    }
    assert!(app.recorded.truncated());
    let oldest = app.recorded.oldest();
    assert!(oldest > 0 && oldest < total, "{oldest} of {total}");
    press(&mut app, &[KeyCode::Esc]);
    for _ in 0..total {
        press(&mut app, &[KeyCode::Char(',')]);
    }
    assert_eq!(app.position(), (oldest, total));
    let screen = draw(&mut app, 140, 36);
    assert!(
        screen.contains(&format!("(kept back to chunk {oldest})")),
        "{screen}"
    );
    // w: the capture starts later, and the status bar says so.
    press(&mut app, &[KeyCode::Char('w')]);
    let effects = app.take_effects();
    let Some(Effect::WriteCapture { events, .. }) = effects
        .iter()
        .find(|e| matches!(e, Effect::WriteCapture { .. }))
    else {
        panic!("w asks for a capture: {effects:?}")
    };
    let in_capture = chunk_count(events);
    let from = total - in_capture + 1;
    assert!(from > 1, "{in_capture} of {total}");
    app.update(Action::CaptureSaved(Ok("popscope-plain-x.pcapng".into())));
    let screen = draw(&mut app, 200, 36);
    assert!(
        screen.contains(&format!("(from chunk {from}; older chunks were not kept)")),
        "{screen}"
    );
}
