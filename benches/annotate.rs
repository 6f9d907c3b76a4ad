//! The byte view's cost: annotating every record of one whole real
//! handshake (both directions, as the eavesdropper holds them), in TLS 1.3
//! and TLS 1.2, against the eavesdropper's own one-line decoding of the
//! same handshake messages measured in the same run. The goal is under
//! 1 ms for a whole handshake, which keeps annotation off the list of
//! things a frame waits for. The lab's whole work per connection for the
//! TLS pane (following the handshake, opening its sealed messages with the
//! key log and labelling each) and the key schedule of the same handshake
//! are timed beside them.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use popscope::wire::annotate::{self, Era};
use popscope::wire::schedule;
use popscope::wire::tls::{Handshake, HandshakeReader, decode_handshake, hello_random};

/// The whole records in a byte stream.
fn records(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let n = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(&bytes[..n.min(bytes.len())]);
        bytes = &bytes[n.min(bytes.len())..];
    }
    out
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for (name, version, era) in [
        ("tls13", &rustls::version::TLS13, Era::Tls13),
        ("tls12", &rustls::version::TLS12, Era::Tls12),
    ] {
        let h = popscope::tls::handshake_in_memory(dir.path(), version).unwrap();
        let all: Vec<&[u8]> = records(&h.client)
            .into_iter()
            .chain(records(&h.server))
            .collect();
        c.bench_function(&format!("annotate_whole_handshake_{name}"), |b| {
            b.iter(|| {
                for r in &all {
                    black_box(annotate::record(black_box(r), era, false));
                }
            })
        });
        // The peer: the transcript's decoding of the cleartext handshake
        // messages of the same records.
        c.bench_function(&format!("decode_whole_handshake_{name}"), |b| {
            b.iter(|| {
                for r in all.iter().filter(|r| r[0] == 22) {
                    let mut reader = HandshakeReader::new();
                    reader.push(&r[5..], 0);
                    while let Some(Ok(m)) = reader.next_message() {
                        let _ = black_box(decode_handshake(m.msg_type, &m.body, None));
                    }
                }
            })
        });
        // What the lab does per connection for the TLS pane: follow the
        // whole handshake as the endpoints see it, opening the sealed
        // messages with the key log and labelling every byte of each.
        c.bench_function(&format!("steps_whole_handshake_{name}"), |b| {
            b.iter(|| {
                let mut f = popscope::wire::steps::Follower::new(true);
                let mut n = 0;
                for (dir, flight) in &h.flights {
                    n += f.feed(*dir, black_box(flight), Some(&h.keys)).len();
                }
                black_box(n)
            })
        });
        // The key schedule view's share: every secret of the client's key
        // log to its keys (TLS 1.3) or the key block (TLS 1.2).
        let hello = |bytes: &[u8]| {
            let mut reader = HandshakeReader::new();
            reader.push(&records(bytes)[0][5..], 0);
            reader.next_message().unwrap().unwrap()
        };
        let (ch, sh) = (hello(&h.client_first), hello(&h.server));
        let Ok(Handshake::ServerHello {
            version: wire_version,
            cipher_suite,
            ..
        }) = decode_handshake(sh.msg_type, &sh.body, None)
        else {
            panic!("no ServerHello");
        };
        let client_random = hello_random(&ch.body).unwrap();
        let server_random = hello_random(&sh.body).unwrap();
        c.bench_function(&format!("key_schedule_{name}"), |b| {
            b.iter(|| {
                black_box(schedule::schedule(
                    black_box(&h.keys),
                    wire_version,
                    cipher_suite,
                    &client_random,
                    &server_random,
                ))
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
