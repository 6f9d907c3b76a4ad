//! Throughput of `popscope inspect`'s pipeline on a large capture.
//!
//! - `inspect`: a pcap of many interleaved POP3 sessions (each logs in,
//!   lists and retrieves a 64 KiB message in 1448-byte segments), written
//!   to a temporary file and read back through [`CaptureReader`], TCP
//!   reassembly, the conversation finder and the lab's pump with its
//!   dissectors: everything `inspect --summary` does but printing. The
//!   issue's goal is 200 MB/s or more.
//! - `read_only`: the same file through `std::io::copy` into a sink, the
//!   floor any reader pays, measured in the same run to give a ratio.
//!
//! The generator also writes a capture of any size for the memory check:
//!
//! ```text
//! POPSCOPE_WRITE_CAPTURE=/tmp/big.pcap POPSCOPE_CAPTURE_MB=1024 \
//!     cargo bench --bench capture
//! /usr/bin/time -v target/release/popscope inspect /tmp/big.pcap --summary
//! ```

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use etherparse::PacketBuilder;
use popscope::inspect::Inspector;
use popscope::wire::capture::CaptureReader;
use popscope::wire::decrypt::KeyLog;

/// Sessions open at once in the generated capture.
const CONCURRENT: usize = 64;
/// The payload of a full segment.
const MSS: usize = 1448;

/// One synthesized session's packets, in order, as (from client, payload,
/// flags) with sequence numbers worked out by [`Writer`].
fn session(n: u64) -> Vec<(bool, Vec<u8>, &'static str)> {
    let mut body = format!(
        "From: Ada Quill <quill@popscope.test>\r\nTo: user{n}@popscope.test\r\nSubject: Bench {n}\r\n\r\n"
    )
    .into_bytes();
    let mut line = 0;
    while body.len() < 64 * 1024 {
        body.extend_from_slice(
            format!("{line:08} The quick brown fox jumps over the lazy dog, again.\r\n").as_bytes(),
        );
        line += 1;
    }
    let mut retr = format!("+OK {} octets\r\n", body.len()).into_bytes();
    retr.extend_from_slice(&body);
    retr.extend_from_slice(b".\r\n");
    let mut p = vec![
        (true, Vec::new(), "S"),
        (false, Vec::new(), "SA"),
        (true, Vec::new(), "A"),
        (false, b"+OK POP3 ready <1.2@bench>\r\n".to_vec(), "A"),
        (true, format!("USER user{n}\r\n").into_bytes(), "A"),
        (false, b"+OK\r\n".to_vec(), "A"),
        (true, format!("PASS secret{n}\r\n").into_bytes(), "A"),
        (false, b"+OK logged in\r\n".to_vec(), "A"),
        (true, b"LIST\r\n".to_vec(), "A"),
        (false, b"+OK 1 messages\r\n1 65600\r\n.\r\n".to_vec(), "A"),
        (true, b"RETR 1\r\n".to_vec(), "A"),
    ];
    for chunk in retr.chunks(MSS) {
        p.push((false, chunk.to_vec(), "A"));
    }
    p.push((true, b"QUIT\r\n".to_vec(), "A"));
    p.push((false, b"+OK bye\r\n".to_vec(), "FA"));
    p.push((true, Vec::new(), "FA"));
    p
}

/// A session being written: its number, its packets, the next one's
/// index, the client's and the server's next sequence number.
type Slot = (u64, Vec<(bool, Vec<u8>, &'static str)>, usize, u32, u32);

/// Writes a pcap (Ethernet, IPv4) of interleaved sessions until it holds
/// `bytes`; returns the size written.
fn write_capture(path: &Path, bytes: u64) -> u64 {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    // The pcap header: little-endian, microseconds, Ethernet.
    let mut header = 0xa1b2c3d4u32.to_le_bytes().to_vec();
    header.extend(2u16.to_le_bytes());
    header.extend(4u16.to_le_bytes());
    header.extend([0u8; 8]);
    header.extend(262_144u32.to_le_bytes());
    header.extend(1u32.to_le_bytes());
    w.write_all(&header).unwrap();
    let mut written = header.len() as u64;
    let mut next = 0u64;
    let mut slots: Vec<Slot> = Vec::new();
    let mut tick = 0u64;
    let mut frame = Vec::with_capacity(2048);
    while written < bytes {
        while slots.len() < CONCURRENT {
            slots.push((next, session(next), 0, 1000, 9000));
            next += 1;
        }
        for slot in slots.iter_mut() {
            let (n, packets, at, cseq, sseq) = slot;
            let Some((from_client, payload, flags)) = packets.get(*at) else {
                continue;
            };
            *at += 1;
            let client = [10, 0, (*n >> 8) as u8, *n as u8];
            let port = 1024 + (*n % 60000) as u16;
            let (src, dst, sp, dp, seq, ack) = if *from_client {
                (client, [10, 1, 0, 1], port, 110, *cseq, *sseq)
            } else {
                ([10, 1, 0, 1], client, 110, port, *sseq, *cseq)
            };
            let mut b = PacketBuilder::ethernet2([2; 6], [4; 6])
                .ipv4(src, dst, 64)
                .tcp(sp, dp, seq, 65535);
            if flags.contains('S') {
                b = b.syn();
            }
            if flags.contains('A') {
                b = b.ack(ack);
            }
            if flags.contains('F') {
                b = b.fin();
            }
            frame.clear();
            b.write(&mut frame, payload).unwrap();
            let used = payload.len() as u32
                + u32::from(flags.contains('S'))
                + u32::from(flags.contains('F'));
            if *from_client {
                *cseq = cseq.wrapping_add(used);
            } else {
                *sseq = sseq.wrapping_add(used);
            }
            tick += 1;
            let mut rec = Vec::with_capacity(16);
            rec.extend(((tick / 1_000_000) as u32).to_le_bytes());
            rec.extend(((tick % 1_000_000) as u32).to_le_bytes());
            rec.extend((frame.len() as u32).to_le_bytes());
            rec.extend((frame.len() as u32).to_le_bytes());
            w.write_all(&rec).unwrap();
            w.write_all(&frame).unwrap();
            written += (rec.len() + frame.len()) as u64;
        }
        slots.retain(|s| s.2 < s.1.len());
    }
    w.flush().unwrap();
    written
}

/// Everything `inspect --summary` does but printing; returns the number
/// of conversations found, so that nothing is optimised away.
fn inspect(path: &Path) -> u64 {
    let file = BufReader::with_capacity(1 << 20, File::open(path).unwrap());
    let mut reader = CaptureReader::new(file).unwrap();
    let mut inspector = Inspector::new(KeyLog::new());
    let mut events = Vec::new();
    while let Some(record) = reader.next().unwrap() {
        inspector.record(&record, &mut events);
        events.clear();
    }
    let summary = inspector.finish(&mut events);
    summary.pop3
}

fn bench(c: &mut Criterion) {
    if let Ok(path) = std::env::var("POPSCOPE_WRITE_CAPTURE") {
        let mb: u64 = std::env::var("POPSCOPE_CAPTURE_MB")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1024);
        let n = write_capture(Path::new(&path), mb << 20);
        eprintln!("wrote {n} bytes to {path}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.pcap");
    let size = write_capture(&path, 128 << 20);
    let sessions = inspect(&path);
    assert!(sessions > 1000, "{sessions} sessions found");

    let mut g = c.benchmark_group("capture");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(size));
    g.bench_function("inspect", |b| b.iter(|| black_box(inspect(&path))));
    g.bench_function("read_only", |b| {
        b.iter(|| {
            let mut f = File::open(&path).unwrap();
            black_box(std::io::copy(&mut f, &mut std::io::sink()).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
