//! The attacks of tests/attacks.rs with Dovecot as the server behind the
//! tap: the lab's client (with its real policies) is the victim and a
//! server nobody here wrote is the other end, so what the attacker does
//! cannot depend on anything popscope's own server happens to do.

mod common;

#[path = "dovecot/fixture.rs"]
#[allow(dead_code)]
mod fixture;

use popscope::attack::Attack;
use popscope::lab::{AttackEvent, ClientEvent, Event, EventKind, Lab, LabOptions, Scenario, Trust};
use popscope::wire::Direction;
use popscope::wire::tap::AttackNote;

use common::events::{attacker_read, contains, decrypted, rt, verdicts, wire_bytes};
use fixture::Dovecot;

/// Run the demo's script against `dovecot` with `attack`; every event.
fn run(dovecot: &Dovecot, name: &str, attack: Attack, f: impl FnOnce(&mut Scenario)) -> Vec<Event> {
    let mut scenario = Scenario::named(name).unwrap();
    scenario.attack = Some(attack);
    scenario.verify = Trust::CaFile(dovecot.ca.clone());
    f(&mut scenario);
    let server = if name == "pop3s" {
        dovecot.pop3s
    } else {
        dovecot.pop3
    };
    rt().block_on(async {
        let options = LabOptions {
            server: Some(server),
            server_name: Some("localhost".into()),
            ..LabOptions::default()
        };
        let (mut lab, mut rx) = Lab::start(scenario, options).await.unwrap();
        let _ = lab.run_demo().await;
        lab.shutdown().await;
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    })
}

fn verdict(events: &[Event]) -> (bool, String) {
    let v = verdicts(events);
    assert_eq!(v.len(), 1, "one verdict: {v:?}");
    v[0].clone()
}

#[test]
fn strip_stls_against_dovecot() {
    let dovecot = Dovecot::start();
    let careless = run(&dovecot, "stls", Attack::StripStls, |s| {
        s.require_tls = false
    });
    assert!(contains(
        &wire_bytes(&careless, Direction::ClientToServer),
        b"PASS wonderland\r\n"
    ));
    assert!(verdict(&careless).0, "{:?}", verdict(&careless));

    let careful = run(&dovecot, "stls", Attack::StripStls, |s| {
        s.require_tls = true
    });
    let up = wire_bytes(&careful, Direction::ClientToServer);
    assert!(!contains(&up, b"USER") && !contains(&up, b"PASS"));
    assert!(!verdict(&careful).0);
}

#[test]
fn forged_certificate_against_dovecot() {
    let dovecot = Dovecot::start();
    for name in ["pop3s", "stls"] {
        let careless = run(&dovecot, name, Attack::ForgeCert, |s| {
            s.verify = Trust::InsecureAcceptAny
        });
        assert!(
            contains(
                &attacker_read(&careless, Direction::ClientToServer),
                b"PASS wonderland\r\n"
            ),
            "{name}"
        );
        assert!(verdict(&careless).0, "{name}: {:?}", verdict(&careless));

        let careful = run(&dovecot, name, Attack::ForgeCert, |_| {});
        assert!(
            attacker_read(&careful, Direction::ClientToServer).is_empty(),
            "{name}"
        );
        let (ok, why) = verdict(&careful);
        assert!(!ok && why.contains("popscope attacker CA"), "{name}: {why}");
    }
}

#[test]
fn injection_against_dovecot_runs_nothing() {
    let dovecot = Dovecot::start();
    let events = run(&dovecot, "stls", Attack::Inject, |_| {});
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Attack(AttackEvent::Acted {
            note: AttackNote::Injected { .. },
            ..
        })
    )));
    // Dovecot (2.3) does not run what follows STLS in the same packet: it
    // hangs up instead of starting TLS, so the injected QUIT never runs
    // inside TLS. The session is lost (a denial of service), not taken
    // over; the careful client also threw the forged reply away.
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Client(ClientEvent::StlsLeftover { kept: false, .. })
    )));
    assert!(!events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Client(ClientEvent::TlsEstablished { .. })
    )));
    assert!(!verdict(&events).0);
}

#[test]
fn stolen_keys_open_a_dovecot_session() {
    let dovecot = Dovecot::start();
    for name in ["pop3s", "stls"] {
        let events = run(&dovecot, name, Attack::StealKeys, |_| {});
        let sent = decrypted(&events, Direction::ClientToServer);
        assert!(
            sent.contains("USER alice\r\nPASS wonderland\r\n"),
            "{name}: {sent:?}"
        );
        assert!(!contains(
            &wire_bytes(&events, Direction::ClientToServer),
            b"wonderland"
        ));
        let (ok, why) = verdict(&events);
        assert!(ok, "{name}: {why}");
    }
}

#[test]
fn apop_crack_against_dovecot() {
    let dovecot = Dovecot::start();
    let events = run(&dovecot, "apop", Attack::Crack, |_| {});
    let (ok, why) = verdict(&events);
    assert!(ok && why.contains("wonderland"), "{why}");
}
