//! Throughput of the dissectors.
//!
//! - `tls_record_framing`: 16 MiB of 16 KiB application-data records fed
//!   through [`RecordReader`] in 64 KiB chunks, the way a busy POP3S
//!   download reaches the eavesdropper. Bodies are skipped, not copied, so
//!   this should run at memory speed (the goal is at least 1 GB/s).
//! - `pop3_cleartext_session`: a cleartext session that retrieves about
//!   8 MiB of message text, fed through [`Dissector::feed`] in 64 KiB chunks
//!   (the goal is at least 300 MB/s).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use popscope::pop3::framing::encode_body;
use popscope::wire::Direction;
use popscope::wire::dissect::Dissector;
use popscope::wire::tls::RecordReader;

const CHUNK: usize = 64 * 1024;

/// 1024 application-data records of 16 KiB each.
fn application_data() -> Vec<u8> {
    let body = vec![0x5a; 16 * 1024];
    let mut out = Vec::with_capacity(1024 * (5 + body.len()));
    for _ in 0..1024 {
        out.extend_from_slice(&[23, 3, 3]);
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(&body);
    }
    out
}

/// A message of about `size` bytes of ordinary text lines, some of which
/// start with a dot so that unstuffing has work to do.
fn message(size: usize, n: usize) -> Vec<u8> {
    let mut text = format!(
        "From: Ada Quill <quill@popscope.test>\nTo: alice@popscope.test\nSubject: Bench message {n}\n\n"
    )
    .into_bytes();
    let mut line = 0usize;
    while text.len() < size {
        if line.is_multiple_of(50) {
            text.extend_from_slice(b".a line that starts with a dot\n");
        }
        text.extend_from_slice(
            format!("{line:08} The quick brown fox jumps over the lazy dog, again and again.\n")
                .as_bytes(),
        );
        line += 1;
    }
    text
}

/// A cleartext session: login, then RETR of 8 messages of 1 MiB each.
fn pop3_session() -> Vec<(Direction, Vec<u8>)> {
    use Direction::{ClientToServer as C, ServerToClient as S};
    let mut capture = vec![
        (
            S,
            b"+OK popscope POP3 server ready <1.2.3@popscope.test>\r\n".to_vec(),
        ),
        (C, b"USER alice\r\n".to_vec()),
        (S, b"+OK send PASS\r\n".to_vec()),
        (C, b"PASS wonderland\r\n".to_vec()),
        (S, b"+OK maildrop has 8 messages\r\n".to_vec()),
    ];
    for n in 1..=8 {
        capture.push((C, format!("RETR {n}\r\n").into_bytes()));
        let body = encode_body(&message(1024 * 1024, n), None);
        let mut reply = format!("+OK {} octets\r\n", body.len()).into_bytes();
        reply.extend_from_slice(&body);
        for chunk in reply.chunks(CHUNK) {
            capture.push((S, chunk.to_vec()));
        }
    }
    capture.push((C, b"QUIT\r\n".to_vec()));
    capture.push((S, b"+OK bye\r\n".to_vec()));
    capture
}

fn tls_record_framing(c: &mut Criterion) {
    let data = application_data();
    let mut group = c.benchmark_group("dissect");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(30);
    group.bench_function("tls_record_framing", |b| {
        b.iter(|| {
            let mut reader = RecordReader::new();
            let mut records = 0;
            for chunk in data.chunks(CHUNK) {
                records += reader.push(black_box(chunk)).len();
            }
            assert_eq!(records, 1024);
            black_box(records)
        })
    });
    group.finish();
}

fn pop3_dissector(c: &mut Criterion) {
    let capture = pop3_session();
    let total: usize = capture.iter().map(|(_, b)| b.len()).sum();
    let mut group = c.benchmark_group("dissect");
    group.throughput(Throughput::Bytes(total as u64));
    group.sample_size(20);
    group.bench_function("pop3_cleartext_session", |b| {
        b.iter(|| {
            let mut dissector = Dissector::new();
            let mut items = 0;
            for (dir, bytes) in &capture {
                items += dissector.feed(*dir, black_box(bytes)).len();
            }
            assert_eq!(dissector.loot().messages.len(), 8);
            black_box(items)
        })
    });
    group.finish();
}

criterion_group!(benches, tls_record_framing, pop3_dissector);
criterion_main!(benches);
