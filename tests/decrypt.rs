//! The "stolen keys" attack against real TLS: connections between real
//! rustls endpoints over loopback TCP, recorded by a relay (or by the lab's
//! tap), then opened with the key log the endpoints wrote. Every check
//! compares the decrypted bytes with what the endpoints actually wrote.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use popscope::lab::{
    ClientEvent, Event, EventKind, Lab, LabOptions, Scenario, TlsEvent, WireEvent,
};
use popscope::tls;
use popscope::wire::Direction;
use popscope::wire::decrypt::{Epoch, Failure, KeyLog, KeyLogRecorder, decrypt_capture, label};
use popscope::wire::tls::ContentType;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{SupportedCipherSuite, SupportedProtocolVersion};

/// One recorded connection.
struct Capture {
    keys: KeyLog,
    chunks: Vec<(Direction, Vec<u8>)>,
    client_wrote: Vec<u8>,
    server_wrote: Vec<u8>,
}

impl Capture {
    fn chunks(&self) -> Vec<(Direction, &[u8])> {
        self.chunks
            .iter()
            .map(|(d, b)| (*d, b.as_slice()))
            .collect()
    }
}

/// A pattern long enough to fill several 16 KiB records.
fn filler(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The relay's record of the chunks, both directions in one list.
type Log = Arc<Mutex<Vec<(Direction, Vec<u8>)>>>;

/// Copy one direction, logging each chunk before forwarding it, so the log
/// holds the chunks in an order consistent with cause and effect.
fn relay(
    mut from: TcpStream,
    mut to: TcpStream,
    dir: Direction,
    log: Log,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = vec![0; 8192];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            log.lock().unwrap().push((dir, buf[..n].to_vec()));
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    })
}

/// A 2048-bit RSA key made once with `openssl genpkey -algorithm RSA
/// -pkeyopt rsa_keygen_bits:2048` for the ECDHE_RSA suites (`ring`, and so
/// rcgen, cannot generate RSA keys). It protects nothing: every test
/// certificate made for it is signed by a CA that exists for one test.
const RSA_KEY: &str = include_str!("fixtures/rsa-2048-test-key.pem");

/// True for the suites whose server signs with RSA.
fn rsa_key(suite: SupportedCipherSuite) -> bool {
    format!("{:?}", suite.suite()).contains("_RSA_")
}

/// A server certificate for "localhost" with an ECDSA or RSA key, signed
/// by a fresh CA, and the roots that trust that CA.
fn identity(
    rsa: bool,
) -> (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    rustls::RootCertStore,
) {
    use rcgen::{CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = if rsa {
        KeyPair::from_pem(RSA_KEY).unwrap()
    } else {
        KeyPair::generate().unwrap()
    };
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap();
    (vec![cert.der().clone()], key, roots)
}

/// Run a rustls client and server limited to one version and one suite
/// through a recording relay on loopback. The client writes a POP3 login
/// and filler bytes, the server answers with its own; with `key_update`
/// (TLS 1.3 only) both then refresh their keys and write once more.
fn run(
    version: &'static SupportedProtocolVersion,
    suite: SupportedCipherSuite,
    key_update: bool,
) -> Capture {
    run_sized(version, suite, key_update, 40_000, 50_000)
}

/// [`run`] with the given numbers of filler bytes after the login.
fn run_sized(
    version: &'static SupportedProtocolVersion,
    suite: SupportedCipherSuite,
    key_update: bool,
    client_filler: usize,
    server_filler: usize,
) -> Capture {
    let (certs, key, roots) = identity(rsa_key(suite));
    let provider = Arc::new(CryptoProvider {
        cipher_suites: vec![suite],
        ..(*tls::provider()).clone()
    });
    let server_config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let recorder = KeyLogRecorder::new();
    let mut client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_config.key_log = Arc::new(recorder.clone());
    let client_config = Arc::new(client_config);

    let mut client_wrote = b"USER alice\r\nPASS wonderland\r\n".to_vec();
    client_wrote.extend(filler(client_filler, 1));
    let mut server_wrote = filler(server_filler, 2);
    let client_more = b"RETR 1\r\n".to_vec();
    let server_more = b"+OK after the key update\r\n".to_vec();
    let first_client_len = client_wrote.len();
    let first_server_len = server_wrote.len();

    let server_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server_addr = server_listener.local_addr().unwrap();
    let relay_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay_addr = relay_listener.local_addr().unwrap();

    let server = {
        let (answer, more) = (server_wrote.clone(), server_more.clone());
        let expect_more = client_more.len();
        thread::spawn(move || {
            let (tcp, _) = server_listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(server_config).unwrap();
            let mut s = rustls::StreamOwned::new(conn, tcp);
            let mut got = vec![0; first_client_len];
            s.read_exact(&mut got).unwrap();
            s.write_all(&answer).unwrap();
            s.flush().unwrap();
            if key_update {
                let mut got = vec![0; expect_more];
                s.read_exact(&mut got).unwrap();
                s.conn.refresh_traffic_keys().unwrap();
                s.write_all(&more).unwrap();
                s.flush().unwrap();
            }
            // Until the client's close_notify or EOF.
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            s.conn.send_close_notify();
            let _ = s.flush();
        })
    };
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let relay_log = log.clone();
    let relay = thread::spawn(move || {
        let (client_side, _) = relay_listener.accept().unwrap();
        let server_side = TcpStream::connect(server_addr).unwrap();
        let up = relay(
            client_side.try_clone().unwrap(),
            server_side.try_clone().unwrap(),
            Direction::ClientToServer,
            relay_log.clone(),
        );
        let down = relay(
            server_side,
            client_side,
            Direction::ServerToClient,
            relay_log,
        );
        up.join().unwrap();
        down.join().unwrap();
    });

    let tcp = TcpStream::connect(relay_addr).unwrap();
    let conn =
        rustls::ClientConnection::new(client_config, ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut c = rustls::StreamOwned::new(conn, tcp);
    c.write_all(&client_wrote).unwrap();
    c.flush().unwrap();
    let mut got = vec![0; first_server_len];
    c.read_exact(&mut got).unwrap();
    assert_eq!(got, server_wrote);
    if key_update {
        c.conn.refresh_traffic_keys().unwrap();
        c.write_all(&client_more).unwrap();
        c.flush().unwrap();
        let mut got = vec![0; server_more.len()];
        c.read_exact(&mut got).unwrap();
        assert_eq!(got, server_more);
        client_wrote.extend_from_slice(&client_more);
        server_wrote.extend_from_slice(&server_more);
    }
    c.conn.send_close_notify();
    c.flush().unwrap();
    let _ = c.sock.shutdown(Shutdown::Write);
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    drop(c);
    server.join().unwrap();
    relay.join().unwrap();
    let chunks = std::mem::take(&mut *log.lock().unwrap());
    Capture {
        keys: recorder.snapshot(),
        chunks,
        client_wrote,
        server_wrote,
    }
}

/// Decrypt a capture and check every byte both sides wrote came out.
fn assert_decrypts(capture: &Capture, version: u16, suite: SupportedCipherSuite) {
    let d = decrypt_capture(&capture.keys, &capture.chunks(), true);
    assert!(d.failed.is_empty(), "records left closed: {:?}", d.failed);
    assert_eq!(d.version, Some(version));
    assert_eq!(d.suite, Some(u16::from(suite.suite())));
    assert_eq!(
        d.application_data(Direction::ClientToServer),
        capture.client_wrote,
        "the client's decrypted stream is exactly what it wrote"
    );
    assert_eq!(
        d.application_data(Direction::ServerToClient),
        capture.server_wrote,
        "the server's decrypted stream is exactly what it wrote"
    );
    // Each side's handshake under the new keys ends with its Finished
    // message, decrypted: TLS 1.2 after ChangeCipherSpec (Finished alone,
    // record 0), TLS 1.3 under the handshake keys (the server's after
    // EncryptedExtensions, Certificate and CertificateVerify).
    let epoch = if version == 0x0304 {
        Epoch::Handshake
    } else {
        Epoch::Tls12
    };
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let records: Vec<_> = d
            .opened
            .iter()
            .filter(|r| {
                r.dir == dir && r.epoch == epoch && r.content_type == ContentType::Handshake
            })
            .collect();
        assert_eq!(records[0].seq, 0);
        let stream: Vec<u8> = records.iter().flat_map(|r| r.plaintext.clone()).collect();
        let mut types = Vec::new();
        let mut rest = stream.as_slice();
        while rest.len() >= 4 {
            let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
            types.push(rest[0]);
            rest = &rest[(4 + len).min(rest.len())..];
        }
        assert_eq!(
            types.last(),
            Some(&20),
            "{dir:?} ends with Finished: {types:?}"
        );
        if version == 0x0304 && dir == Direction::ServerToClient {
            assert_eq!(types, [8, 11, 15, 20]);
        } else {
            assert_eq!(types, [20]);
        }
    }
    // Sequence numbers count up from 0 within each direction and epoch.
    let mut next = std::collections::HashMap::new();
    for r in &d.opened {
        let n = next.entry((r.dir, r.epoch)).or_insert(0u64);
        assert_eq!(r.seq, *n, "{r:?}");
        *n += 1;
    }
    let (_, loot) = d.pop3();
    assert!(
        loot.passwords
            .contains(&(Some("alice".into()), "wonderland".into())),
        "{loot:?}"
    );
}

fn suites(
    version: &'static SupportedProtocolVersion,
) -> impl Iterator<Item = SupportedCipherSuite> {
    tls::provider()
        .cipher_suites
        .clone()
        .into_iter()
        .filter(move |s| s.version() == version)
}

#[test]
fn every_tls13_suite_decrypts_byte_for_byte() {
    let mut n = 0;
    for suite in suites(&rustls::version::TLS13) {
        let capture = run(&rustls::version::TLS13, suite, false);
        assert_decrypts(&capture, 0x0304, suite);
        n += 1;
    }
    assert_eq!(n, 3, "rustls's three TLS 1.3 suites");
}

#[test]
fn every_tls12_suite_decrypts_byte_for_byte() {
    // ECDHE_ECDSA and ECDHE_RSA, each with AES-128-GCM, AES-256-GCM and
    // ChaCha20-Poly1305.
    let mut n = 0;
    for suite in suites(&rustls::version::TLS12) {
        let capture = run(&rustls::version::TLS12, suite, false);
        assert_decrypts(&capture, 0x0303, suite);
        n += 1;
    }
    assert_eq!(n, 6, "rustls's six TLS 1.2 suites");
}

#[test]
fn tls13_key_update_is_followed() {
    let suite = suites(&rustls::version::TLS13).next().unwrap();
    let capture = run(&rustls::version::TLS13, suite, true);
    assert_decrypts(&capture, 0x0304, suite);
    let d = decrypt_capture(&capture.keys, &capture.chunks(), true);
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        assert!(
            d.opened
                .iter()
                .any(|r| r.dir == dir && r.epoch == Epoch::Application { generation: 1 }),
            "{dir:?} records under the updated keys"
        );
    }
}

#[test]
fn a_wrong_secret_gives_tag_mismatches_and_a_missing_one_no_key() {
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let suite = suites(version).next().unwrap();
        let capture = run(version, suite, false);
        // Flip one bit of every secret.
        let text: String = capture
            .keys
            .to_nss_text()
            .lines()
            .map(|line| {
                let (head, last) = line.split_at(line.len() - 1);
                let flipped = u8::from_str_radix(last, 16).unwrap() ^ 1;
                format!("{head}{flipped:x}\n")
            })
            .collect();
        let wrong = KeyLog::parse(&text).unwrap();
        assert_eq!(wrong.len(), capture.keys.len());
        let d = decrypt_capture(&wrong, &capture.chunks(), true);
        assert!(d.opened.is_empty(), "{:?}", d.opened);
        assert!(!d.failed.is_empty());
        assert!(
            d.failed.iter().all(|f| f.reason == Failure::TagMismatch),
            "{:?}",
            d.failed
        );

        let d = decrypt_capture(&KeyLog::new(), &capture.chunks(), true);
        assert!(d.opened.is_empty());
        assert!(!d.failed.is_empty());
        let random = d.client_random.clone().unwrap();
        for f in &d.failed {
            let Failure::NoKey {
                label,
                client_random,
            } = &f.reason
            else {
                panic!("{f:?}");
            };
            assert_eq!(client_random, &random);
            assert!(
                [
                    label::CLIENT_RANDOM,
                    label::CLIENT_HANDSHAKE,
                    label::SERVER_HANDSHAKE
                ]
                .contains(label),
                "{label}"
            );
        }
        assert!(d.failed[0].reason.to_string().starts_with("no key"));
    }
}

#[test]
fn handshake_secrets_alone_open_the_handshake_but_not_the_mail() {
    let suite = suites(&rustls::version::TLS13).next().unwrap();
    let capture = run(&rustls::version::TLS13, suite, false);
    let text: String = capture
        .keys
        .to_nss_text()
        .lines()
        .filter(|l| l.contains("HANDSHAKE"))
        .map(|l| format!("{l}\n"))
        .collect();
    let d = decrypt_capture(&KeyLog::parse(&text).unwrap(), &capture.chunks(), true);
    assert!(d.opened.iter().all(|r| r.epoch == Epoch::Handshake));
    assert!(d.opened.iter().any(|r| r.plaintext.first() == Some(&20)));
    assert!(d.application_data(Direction::ClientToServer).is_empty());
    assert!(d.failed.iter().any(|f| matches!(
        f.reason,
        Failure::NoKey {
            label: label::CLIENT_TRAFFIC_0,
            ..
        }
    )));
}

#[test]
fn application_secrets_alone_open_the_mail_but_not_the_handshake() {
    for suite in suites(&rustls::version::TLS13) {
        let capture = run(&rustls::version::TLS13, suite, true);
        let text: String = capture
            .keys
            .to_nss_text()
            .lines()
            .filter(|l| l.contains("TRAFFIC_SECRET_0"))
            .map(|l| format!("{l}\n"))
            .collect();
        let d = decrypt_capture(&KeyLog::parse(&text).unwrap(), &capture.chunks(), true);
        assert_eq!(
            d.application_data(Direction::ClientToServer),
            capture.client_wrote
        );
        assert_eq!(
            d.application_data(Direction::ServerToClient),
            capture.server_wrote
        );
        assert!(d.opened.iter().all(|r| r.epoch != Epoch::Handshake));
        // The handshake records stay closed, and say which secret is missing.
        assert!(!d.failed.is_empty());
        for f in &d.failed {
            assert_eq!(f.epoch, Some(Epoch::Handshake));
            assert!(matches!(
                f.reason,
                Failure::NoKey {
                    label: label::CLIENT_HANDSHAKE | label::SERVER_HANDSHAKE,
                    ..
                }
            ));
        }
    }
}

/// Run a lab scenario: log in, read message 1; return the events and the
/// RETR body the client received.
fn lab_run(name: &str) -> (Vec<Event>, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut lab, mut rx) = Lab::start(Scenario::named(name).unwrap(), LabOptions::default())
            .await
            .unwrap();
        lab.connect().await.unwrap();
        lab.login().await.unwrap();
        let reply = lab.command("RETR 1").await.unwrap();
        lab.shutdown().await;
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        (events, String::from_utf8(reply.body.unwrap()).unwrap())
    })
}

/// The stolen-keys attack on a lab run: the key log from the secrets the
/// endpoints reported, the capture from the tap's chunks.
fn steal(name: &str, implicit_tls: bool) {
    let (events, body) = lab_run(name);
    let mut keys = KeyLog::new();
    let mut chunks = Vec::new();
    let mut conns = std::collections::BTreeSet::new();
    // What the client wrote once it was inside TLS, from its own events
    // (which mask the password; the scenario's password is put back).
    let mut sent = Vec::new();
    let mut inside = false;
    for e in &events {
        match &e.kind {
            EventKind::Tls(TlsEvent::Secret {
                label,
                client_random,
                secret,
                ..
            }) => keys.insert_hex(label, client_random, secret).unwrap(),
            EventKind::Wire(WireEvent::Chunk {
                conn, dir, bytes, ..
            }) => {
                conns.insert(*conn);
                chunks.push((*dir, bytes.as_slice()));
            }
            EventKind::Client(ClientEvent::TlsEstablished { .. }) => inside = true,
            EventKind::Client(ClientEvent::Sent { line }) if inside => {
                let line = line.replace("PASS ********", "PASS wonderland");
                sent.extend_from_slice(line.as_bytes());
                sent.extend_from_slice(b"\r\n");
            }
            _ => {}
        }
    }
    assert_eq!(conns.len(), 1, "one connection");
    assert!(!keys.is_empty());
    let d = decrypt_capture(&keys, &chunks, implicit_tls);
    assert!(d.tls_started);
    assert!(d.failed.is_empty(), "{:?}", d.failed);
    let client = d.application_data(Direction::ClientToServer);
    assert_eq!(
        String::from_utf8_lossy(&client),
        String::from_utf8_lossy(&sent)
    );
    assert!(
        client
            .windows(b"USER alice\r\nPASS wonderland\r\n".len())
            .any(|w| w == b"USER alice\r\nPASS wonderland\r\n")
    );
    let server =
        String::from_utf8_lossy(&d.application_data(Direction::ServerToClient)).into_owned();
    assert!(body.len() > 100);
    assert!(server.contains(&body), "the RETR body inside TLS");
    let (items, loot) = d.pop3();
    assert!(!items.is_empty());
    assert_eq!(
        loot.passwords,
        vec![(Some("alice".to_string()), "wonderland".to_string())],
        "PASS wonderland, visible inside TLS"
    );
    assert_eq!(loot.messages.len(), 1, "{loot:?}");
}

#[test]
fn stolen_keys_read_a_pop3s_lab_session() {
    steal("pop3s", true);
}

#[test]
fn stolen_keys_read_an_stls_lab_session() {
    steal("stls", false);
}

#[test]
fn how_the_capture_is_cut_does_not_matter_and_damage_never_panics() {
    let suite = suites(&rustls::version::TLS13).next().unwrap();
    let capture = run(&rustls::version::TLS13, suite, false);
    let whole = decrypt_capture(&capture.keys, &capture.chunks(), true);
    for size in [1, 7, 1000] {
        let cut: Vec<(Direction, &[u8])> = capture
            .chunks
            .iter()
            .flat_map(|(d, b)| b.chunks(size).map(move |piece| (*d, piece)))
            .collect();
        let d = decrypt_capture(&capture.keys, &cut, true);
        assert_eq!(d.opened, whole.opened, "pieces of {size} bytes");
        assert!(d.failed.is_empty());
    }
    // Flip one byte at a time, all through the capture: records fail or
    // framing is lost, but nothing panics and what opens is authentic.
    let total: usize = capture.chunks.iter().map(|(_, b)| b.len()).sum();
    for at in (0..total).step_by(997) {
        let mut damaged = capture.chunks.clone();
        let mut left = at;
        for (_, b) in damaged.iter_mut() {
            if left < b.len() {
                b[left] ^= 0x55;
                break;
            }
            left -= b.len();
        }
        let chunks: Vec<(Direction, &[u8])> =
            damaged.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        let d = decrypt_capture(&capture.keys, &chunks, true);
        for r in d
            .opened
            .iter()
            .filter(|r| r.content_type == ContentType::ApplicationData)
        {
            let stream = if r.dir == Direction::ClientToServer {
                &capture.client_wrote
            } else {
                &capture.server_wrote
            };
            assert!(
                stream.windows(r.plaintext.len()).any(|w| w == r.plaintext),
                "an opened record is something that side wrote"
            );
        }
    }
}

/// Regenerate the seeds of the `decrypt` fuzz target from real sessions:
/// `cargo test --test decrypt -- --ignored`. Each seed is the key log, a
/// NUL, then the capture in the format of `fuzzing::encode_capture`.
#[test]
#[ignore = "writes fuzz/corpus/decrypt"]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decrypt");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = |name: &str, keys: &KeyLog, chunks: &[(Direction, &[u8])], pop3s: bool| {
        let mut data = keys.to_nss_text().into_bytes();
        data.push(0);
        data.extend(popscope::fuzzing::encode_capture(pop3s, chunks));
        std::fs::write(dir.join(name), data).unwrap();
    };
    let tls13 = |n| suites(&rustls::version::TLS13).nth(n).unwrap();
    let tls12 = |n| {
        suites(&rustls::version::TLS12)
            .filter(|s| format!("{:?}", s.suite()).contains("ECDSA"))
            .nth(n)
            .unwrap()
    };
    let cases = [
        (
            "tls13-aes128",
            run_sized(&rustls::version::TLS13, tls13(0), false, 100, 200),
        ),
        (
            "tls13-key-update",
            run_sized(&rustls::version::TLS13, tls13(2), true, 10, 20),
        ),
        (
            "tls12-aes256",
            run_sized(&rustls::version::TLS12, tls12(1), false, 100, 200),
        ),
        (
            "tls12-chacha",
            run_sized(&rustls::version::TLS12, tls12(2), false, 100, 200),
        ),
    ];
    for (name, capture) in &cases {
        seed(name, &capture.keys, &capture.chunks(), true);
    }
    let (events, _) = lab_run("stls");
    let mut keys = KeyLog::new();
    let mut chunks = Vec::new();
    for e in &events {
        match &e.kind {
            EventKind::Tls(TlsEvent::Secret {
                label,
                client_random,
                secret,
                ..
            }) => keys.insert_hex(label, client_random, secret).unwrap(),
            EventKind::Wire(WireEvent::Chunk { dir, bytes, .. }) => {
                chunks.push((*dir, bytes.as_slice()))
            }
            _ => {}
        }
    }
    seed("lab-stls", &keys, &chunks, false);
}
