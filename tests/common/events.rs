//! Reading a lab's events in the attack tests: what crossed the client's
//! side of the wire, what the attacker read or decrypted, the verdicts.

use popscope::lab::{
    AttackEvent, Event, EventKind, Lab, LabOptions, Scenario, TlsVersion, WireEvent,
};
use popscope::wire::Direction;
use popscope::wire::tap::AttackNote;

/// A runtime of two workers, for tests whose servers have runtimes of
/// their own and so cannot be `#[tokio::test]`s.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// True if `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The bytes the client's side of the wire carried, one direction joined.
pub fn wire_bytes(events: &[Event], dir: Direction) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        if let EventKind::Wire(WireEvent::Chunk { dir: d, bytes, .. }) = &e.kind
            && *d == dir
        {
            out.extend_from_slice(bytes);
        }
    }
    out
}

/// The plaintext the attacker read inside its forged TLS, one direction.
pub fn attacker_read(events: &[Event], dir: Direction) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        if let EventKind::Attack(AttackEvent::Acted {
            note: AttackNote::Read { dir: d, bytes, .. },
            ..
        }) = &e.kind
            && *d == dir
        {
            out.extend_from_slice(bytes);
        }
    }
    out
}

/// The application data the stolen keys opened, one direction joined.
pub fn decrypted(events: &[Event], dir: Direction) -> String {
    let mut out = String::new();
    for e in events {
        if let EventKind::Attack(AttackEvent::Decrypted {
            dir: d,
            content,
            text,
            ..
        }) = &e.kind
            && *d == dir
            && content == "application_data"
        {
            out.push_str(text);
        }
    }
    out
}

/// Every verdict, in order: (succeeded, why).
pub fn verdicts(events: &[Event]) -> Vec<(bool, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Attack(AttackEvent::Verdict { succeeded, why, .. }) => {
                Some((*succeeded, why.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Run a scenario's scripted demo on a real lab, at a TLS version if one
/// is given, and keep every event in time order.
pub async fn demo_events(name: &str, version: Option<TlsVersion>) -> Vec<Event> {
    let mut scenario = Scenario::named(name).unwrap();
    scenario.tls_version = version;
    let (mut lab, mut rx) = Lab::start(scenario, LabOptions::default()).await.unwrap();
    lab.run_demo().await.unwrap();
    lab.shutdown().await;
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    events.sort_by_key(|e| e.at);
    events
}
