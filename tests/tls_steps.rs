//! The handshake as the endpoints see it, from a real lab: every message
//! of TLS 1.3 and 1.2 in order, which of them crossed sealed, and that a
//! proxy holding no key log reports only what crossed in cleartext.

mod common;

use popscope::lab::{Event, EventKind, Lab, LabOptions, Scenario, TlsEvent, TlsVersion};
use popscope::wire::Direction;
use popscope::wire::steps::{Follower, Step};

/// Run a scenario's demo and keep its events, in time order.
async fn run(name: &str, version: Option<TlsVersion>) -> Vec<Event> {
    common::events::demo_events(name, version).await
}

/// The steps of connection 1, sorted as the TLS pane sorts them: by the
/// chunk that completed each, then in the order reported.
fn steps(events: &[Event]) -> Vec<Step> {
    let mut steps: Vec<(u64, usize, Step)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.kind {
            EventKind::Tls(TlsEvent::Step {
                conn: 1,
                order,
                step,
            }) => Some((*order, i, (**step).clone())),
            _ => None,
        })
        .collect();
    steps.sort_by_key(|(order, i, _)| (*order, *i));
    steps.into_iter().map(|(_, _, s)| s).collect()
}

/// "client ClientHello" or "server EncryptedExtensions (sealed)".
fn named(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|s| {
            format!(
                "{} {}{}",
                match s.dir {
                    Direction::ClientToServer => "client",
                    Direction::ServerToClient => "server",
                },
                s.name(),
                if s.sealed.is_some() { " (sealed)" } else { "" }
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls13_every_step_with_the_encrypted_ones_opened() {
    let events = run("pop3s", Some(TlsVersion::V1_3)).await;
    let steps = steps(&events);
    let names = named(&steps);
    let want = [
        "client ClientHello",
        "server ServerHello",
        "server ChangeCipherSpec",
        "server EncryptedExtensions (sealed)",
        "server Certificate (sealed)",
        "server CertificateVerify (sealed)",
        "server Finished (sealed)",
        "client ChangeCipherSpec",
        "client Finished (sealed)",
    ];
    assert_eq!(names[..want.len()], want, "{names:#?}");
    // The tickets come after the handshake, sealed too.
    assert!(
        names[want.len()..]
            .iter()
            .all(|n| n == "server NewSessionTicket (sealed)"),
        "{names:#?}"
    );
    assert!(names.len() > want.len(), "{names:#?}");
    for s in &steps {
        // Every byte of the message is labelled, as the endpoints read it.
        assert_eq!(s.fields.len, s.bytes.len(), "{}", s.name());
        if s.sealed.is_some() {
            // What the eavesdropper reads of it: a record that says
            // application_data and how long it is, nothing more.
            assert_eq!(s.record_bytes()[0], 23, "{}", s.name());
            assert!(usize::from(s.record.length) > s.bytes.len());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_shows_the_certificate_and_key_exchange_in_cleartext() {
    let events = run("pop3s", Some(TlsVersion::V1_2)).await;
    let names = named(&steps(&events));
    assert_eq!(
        names,
        [
            "client ClientHello",
            "server ServerHello",
            "server Certificate",
            "server ServerKeyExchange",
            "server ServerHelloDone",
            "client ClientKeyExchange",
            "client ChangeCipherSpec",
            "client Finished (sealed)",
            "server ChangeCipherSpec",
            "server Finished (sealed)",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_stls_the_steps_are_the_same() {
    let events = run("stls", None).await;
    let names = named(&steps(&events));
    assert_eq!(
        names.first().map(String::as_str),
        Some("client ClientHello")
    );
    assert!(
        names.contains(&"server Certificate (sealed)".to_string()),
        "{names:#?}"
    );
    assert!(
        names.contains(&"client Finished (sealed)".to_string()),
        "{names:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleartext_scenario_has_no_steps() {
    let events = run("plain", None).await;
    assert!(steps(&events).is_empty());
}

/// The bytes a TLS connection carried, per direction in wire order.
fn chunks(events: &[Event]) -> Vec<(Direction, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Wire(popscope::lab::WireEvent::Chunk {
                conn: 1,
                dir,
                bytes,
                ..
            }) => Some((*dir, bytes.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_log_only_the_cleartext_steps_are_read_and_nothing_is_kept() {
    let events = run("pop3s", Some(TlsVersion::V1_3)).await;
    let mut f = Follower::new(true);
    let mut read = Vec::new();
    for (dir, bytes) in chunks(&events) {
        read.extend(f.feed(dir, &bytes, None).into_iter().map(|o| o.step));
    }
    let names = named(&read);
    assert_eq!(
        names,
        [
            "client ClientHello",
            "server ServerHello",
            "server ChangeCipherSpec",
            "client ChangeCipherSpec"
        ]
    );
    // Both directions went sealed: nothing more to follow, nothing held.
    assert!(f.done());
    assert_eq!(f.held(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_log_that_comes_late_opens_what_crossed_before_it_once() {
    let events = run("pop3s", Some(TlsVersion::V1_3)).await;
    let log = key_log(&events, |_| true);
    let chunks = chunks(&events);
    let empty = popscope::wire::decrypt::KeyLog::new();
    let mut f = Follower::new(true);
    let mut read = Vec::new();
    // Every secret arrives with the client's sealed record, as late as the
    // lab's client can log them: the server's sealed flight crossed
    // before, with no key to open it.
    let sealed = chunks
        .iter()
        .enumerate()
        .position(|(i, (dir, _))| i > 0 && *dir == Direction::ClientToServer)
        .unwrap();
    for (i, (dir, bytes)) in chunks.iter().enumerate() {
        let keys = if i >= sealed { &log } else { &empty };
        read.extend(f.feed(*dir, bytes, Some(keys)).into_iter().map(|o| o.step));
    }
    let names = named(&read);
    for want in [
        "server EncryptedExtensions (sealed)",
        "server Certificate (sealed)",
        "client Finished (sealed)",
    ] {
        assert_eq!(
            names.iter().filter(|n| *n == want).count(),
            1,
            "{want} once in {names:#?}"
        );
    }
    assert_eq!(
        names.iter().filter(|n| *n == "client ClientHello").count(),
        1,
        "{names:#?}"
    );
}

/// The key log of a run, keeping only the labels `keep` allows.
fn key_log(events: &[Event], keep: impl Fn(&str) -> bool) -> popscope::wire::decrypt::KeyLog {
    let mut log = popscope::wire::decrypt::KeyLog::new();
    for e in events {
        if let EventKind::Tls(TlsEvent::Secret {
            label,
            client_random,
            secret,
            ..
        }) = &e.kind
            && keep(label)
        {
            log.insert_hex(label, client_random, secret).unwrap();
        }
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_opens_later_does_not_make_later_steps_come_twice() {
    let events = run("pop3s", Some(TlsVersion::V1_3)).await;
    // First only the application secrets: the tickets open, the
    // handshake does not. Then the whole log: the handshake opens in
    // front of the tickets, which must not be reported again.
    let traffic = key_log(&events, |l| l.ends_with("TRAFFIC_SECRET_0"));
    let full = key_log(&events, |_| true);
    let chunks = chunks(&events);
    let mut f = Follower::new(true);
    let mut read = Vec::new();
    let mut whole = false;
    for (dir, bytes) in &chunks {
        let keys = if whole { &full } else { &traffic };
        read.extend(f.feed(*dir, bytes, Some(keys)).into_iter().map(|o| o.step));
        // The whole log comes with the chunk after the tickets opened.
        whole |= read.iter().any(|s| s.name() == "NewSessionTicket");
    }
    assert!(whole, "the tickets opened with the traffic secrets alone");
    let names = named(&read);
    let count = |n: &str| names.iter().filter(|x| *x == n).count();
    assert_eq!(
        count("server EncryptedExtensions (sealed)"),
        1,
        "{names:#?}"
    );
    assert_eq!(count("server NewSessionTicket (sealed)"), 2, "{names:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_key_log_stops_following_once_both_sides_are_sealed() {
    let events = run("pop3s", Some(TlsVersion::V1_3)).await;
    let empty = popscope::wire::decrypt::KeyLog::new();
    let mut f = Follower::new(true);
    for (dir, bytes) in chunks(&events) {
        f.feed(dir, &bytes, Some(&empty));
    }
    assert!(f.done());
    assert_eq!(f.held(), 0);
}

#[test]
fn a_follower_holds_at_most_its_limit() {
    let mut f = Follower::new(false);
    let chunk = vec![b'x'; 16 << 10];
    let log = popscope::wire::decrypt::KeyLog::new();
    for _ in 0..10 {
        assert!(
            f.feed(Direction::ServerToClient, &chunk, Some(&log))
                .is_empty()
        );
        assert!(f.held() <= popscope::wire::steps::KEPT + chunk.len());
    }
    assert!(f.done());
    assert_eq!(f.held(), 0);
}

/// On a held wire the server's sealed flight crosses before the client
/// has logged the secret that opens it. Its messages must show as soon as
/// the secret is logged, not when the next chunk is let through (a lesson
/// waits on a paused wire for the learner).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_steps_show_when_their_secret_is_logged_not_at_the_next_chunk() {
    use std::time::Duration;
    let scenario = Scenario::named("pop3s").unwrap();
    let (mut lab, mut rx) = Lab::start(scenario, LabOptions::default()).await.unwrap();
    let gate = lab.gate();
    gate.pause();
    let watch = async {
        // The ClientHello, then the server's whole first flight.
        gate.step();
        tokio::time::sleep(Duration::from_millis(300)).await;
        gate.step();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut seen = false;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if let EventKind::Tls(TlsEvent::Step { step, .. }) = &e.kind
                && step.name() == "EncryptedExtensions"
            {
                seen = true;
                break;
            }
        }
        // Only now is the rest let through, so the handshake can finish.
        gate.open();
        seen
    };
    let (connected, seen) = tokio::join!(lab.connect(), watch);
    connected.unwrap();
    lab.shutdown().await;
    assert!(
        seen,
        "EncryptedExtensions showed while the wire still held the client's answer"
    );
}
