//! Throughput of the "stolen keys" decryptor next to `ring`'s raw AEAD.
//!
//! A real rustls server sends 16 MiB in 16 KiB records to a real rustls
//! client (in memory; the bytes are recorded as they cross), and the key
//! log is kept. Then, in the same run on the same machine:
//!
//! - `decryptor/<suite>`: the whole capture (handshake included) through
//!   [`Decryptor::feed`] in 64 KiB chunks: framing, key derivation, one
//!   copy of each body and the AEAD open.
//! - `ring_open/<aead>`: `ring`'s `open_in_place` on 1024 records of 16 KiB
//!   (each copied into the buffer first, as decryption in place needs).
//!
//! Throughput is counted in plaintext bytes (16 MiB per iteration), so the
//! two figures compare directly: their ratio is what record handling costs
//! beyond the cipher.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use popscope::tls;
use popscope::wire::Direction;
use popscope::wire::decrypt::{KeyLog, KeyLogRecorder, Outcome, decrypt_capture};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CipherSuite, ClientConnection, ServerConnection, SupportedProtocolVersion};

const RECORD: usize = 16 * 1024;
const RECORDS: usize = 1024;
const CHUNK: usize = 64 * 1024;

/// Move everything `from` has to send into `to`, recording it.
fn pump(
    from: &mut rustls::Connection,
    to: &mut rustls::Connection,
    dir: Direction,
    log: &mut Vec<(Direction, Vec<u8>)>,
) {
    while from.wants_write() {
        let mut buf = Vec::new();
        from.write_tls(&mut buf).unwrap();
        let mut rest = buf.as_slice();
        while !rest.is_empty() {
            to.read_tls(&mut rest).unwrap();
            to.process_new_packets().unwrap();
        }
        // The eavesdropper sees a download in socket-sized chunks.
        for piece in buf.chunks(CHUNK) {
            log.push((dir, piece.to_vec()));
        }
    }
}

/// A TLS session with `suite` in which the server sends 16 MiB.
fn capture(
    version: &'static SupportedProtocolVersion,
    suite: CipherSuite,
) -> (KeyLog, Vec<(Direction, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    let pki = tls::ensure_demo_pki(dir.path()).unwrap();
    let provider = Arc::new(CryptoProvider {
        cipher_suites: tls::provider()
            .cipher_suites
            .iter()
            .copied()
            .filter(|s| s.suite() == suite)
            .collect(),
        ..(*tls::provider()).clone()
    });
    let certs = CertificateDer::pem_file_iter(&pki.server_cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&pki.server_key).unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(&pki.ca_cert).unwrap() {
        roots.add(ca.unwrap()).unwrap();
    }
    let recorder = KeyLogRecorder::new();
    let mut client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_config.key_log = Arc::new(recorder.clone());
    let mut client: rustls::Connection = ClientConnection::new(
        Arc::new(client_config),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap()
    .into();
    let mut server: rustls::Connection = ServerConnection::new(Arc::new(server_config))
        .unwrap()
        .into();
    let mut log = Vec::new();
    while client.is_handshaking() || server.is_handshaking() {
        pump(
            &mut client,
            &mut server,
            Direction::ClientToServer,
            &mut log,
        );
        pump(
            &mut server,
            &mut client,
            Direction::ServerToClient,
            &mut log,
        );
    }
    let body = vec![0x5a; RECORD];
    for _ in 0..RECORDS {
        std::io::Write::write_all(&mut server.writer(), &body).unwrap();
        pump(
            &mut server,
            &mut client,
            Direction::ServerToClient,
            &mut log,
        );
        // Keep the client's plaintext buffer from filling up.
        let mut sink = vec![0; RECORD];
        while let Ok(n) = std::io::Read::read(&mut client.reader(), &mut sink) {
            if n == 0 {
                break;
            }
        }
    }
    (recorder.snapshot(), log)
}

fn decryptor(c: &mut Criterion) {
    let mut group = c.benchmark_group("decryptor");
    group.throughput(Throughput::Bytes((RECORD * RECORDS) as u64));
    group.sample_size(10);
    let cases = [
        (
            "tls13_aes_128_gcm",
            &rustls::version::TLS13,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
        ),
        (
            "tls13_chacha20_poly1305",
            &rustls::version::TLS13,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ),
        (
            "tls12_aes_128_gcm",
            &rustls::version::TLS12,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ),
    ];
    for (name, version, suite) in cases {
        let (keys, log) = capture(version, suite);
        let chunks: Vec<(Direction, &[u8])> = log.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        // The figure means something only if every record opens.
        let check = decrypt_capture(&keys, &chunks, true);
        assert!(check.failed.is_empty(), "{:?}", check.failed);
        assert_eq!(
            check.application_data(Direction::ServerToClient).len(),
            RECORD * RECORDS
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut d = popscope::wire::decrypt::Decryptor::new(keys.clone(), true);
                let mut opened = 0usize;
                for (dir, bytes) in &chunks {
                    for outcome in d.feed(*dir, bytes) {
                        if let Outcome::Opened(r) = outcome {
                            opened += r.plaintext.len();
                        }
                    }
                }
                black_box(opened)
            })
        });
    }
    group.finish();
}

fn ring_open(c: &mut Criterion) {
    use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
    let mut group = c.benchmark_group("ring_open");
    group.throughput(Throughput::Bytes((RECORD * RECORDS) as u64));
    group.sample_size(10);
    for (name, alg) in [
        ("aes_128_gcm", &aead::AES_128_GCM),
        ("chacha20_poly1305", &aead::CHACHA20_POLY1305),
    ] {
        let key_bytes = vec![7; alg.key_len()];
        let key = LessSafeKey::new(UnboundKey::new(alg, &key_bytes).unwrap());
        let nonce = |i: usize| {
            let mut n = [0; 12];
            n[4..].copy_from_slice(&(i as u64).to_be_bytes());
            Nonce::assume_unique_for_key(n)
        };
        let sealed: Vec<Vec<u8>> = (0..RECORDS)
            .map(|i| {
                let mut buf = vec![0x5a; RECORD];
                key.seal_in_place_append_tag(nonce(i), Aad::from([23, 3, 3, 0x40, 0x11]), &mut buf)
                    .unwrap();
                buf
            })
            .collect();
        group.bench_function(name, |b| {
            let mut buf = Vec::with_capacity(RECORD + 16);
            b.iter(|| {
                let mut opened = 0usize;
                for (i, record) in sealed.iter().enumerate() {
                    buf.clear();
                    buf.extend_from_slice(record);
                    let plain = key
                        .open_in_place(nonce(i), Aad::from([23, 3, 3, 0x40, 0x11]), &mut buf)
                        .unwrap();
                    opened += plain.len();
                }
                black_box(opened)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decryptor, ring_open);
criterion_main!(benches);
