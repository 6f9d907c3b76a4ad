//! Every file of the fuzz corpora (`fuzz/corpus/TARGET/*`) replayed through
//! the same functions the cargo-fuzz targets call, on stable Rust. The
//! fuzzer needs nightly, CI does not have it; this test is how an input
//! that once crashed a target (kept in its corpus) keeps failing CI if the
//! bug comes back.
//!
//! `cargo test --test fuzz_replay -- --ignored` instead regenerates the
//! seeds that are made by code (real rustls handshakes, the demo
//! certificates, POP3 sessions); see [`write_generated_seeds`].

use std::fs;
use std::path::{Path, PathBuf};

use popscope::fuzzing;

/// The body of a fuzz target.
type Body = fn(&[u8]);

/// Each fuzz target (but the session, which needs a Maildir) and its body.
const TARGETS: &[(&str, Body)] = &[
    ("command", fuzzing::command),
    ("dissect", fuzzing::dissect),
    ("decrypt", fuzzing::decrypt),
    ("steps", fuzzing::steps),
    ("der", fuzzing::der),
    ("lesson", fuzzing::lesson),
    ("maildir_name", fuzzing::maildir_name),
    ("attack", fuzzing::attack),
    ("capture", fuzzing::capture_file),
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// The corpus files of one target, in name order so a failure is easy to
/// reproduce.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

/// Run `f` on every file, naming the file if it panics.
fn replay(target: &str, f: impl Fn(&[u8])) -> usize {
    let files = corpus(target);
    for (path, bytes) in &files {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(bytes)));
        if result.is_err() {
            panic!(
                "fuzz target {target} fails on {}: run `cargo +nightly fuzz run {target} {}` to see it under the fuzzer",
                path.display(),
                path.display()
            );
        }
    }
    files.len()
}

#[test]
fn every_corpus_file_replays_without_a_crash() {
    for (target, f) in TARGETS {
        let n = replay(target, f);
        assert!(n > 0, "the {target} corpus is empty: nothing was replayed");
    }
}

#[test]
fn session_corpus_replays_without_a_crash() {
    // Its own Maildir, removed at the end of the test (the fuzz target's is
    // made once per fuzzing process).
    let target = fuzzing::SessionTarget::new().expect("temporary Maildir");
    let n = replay("session", |data| target.run(data));
    assert!(n > 0, "the session corpus is empty: nothing was replayed");
}

#[test]
fn every_target_has_a_corpus_and_nothing_else_is_there() {
    // A corpus directory without a replay (a target added to fuzz/ but not
    // here) would be skipped silently; this catches it.
    let mut dirs: Vec<String> =
        fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus"))
            .expect("fuzz/corpus")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
    dirs.sort();
    let mut known: Vec<String> = TARGETS.iter().map(|(t, _)| t.to_string()).collect();
    known.push("session".into());
    known.sort();
    assert_eq!(dirs, known);
}

// ---------------------------------------------------------------------------
// Seeds made by code
// ---------------------------------------------------------------------------

mod seeds {
    use std::io::{Read, Write};
    use std::path::Path;
    use std::sync::Arc;

    use popscope::fuzzing::encode_capture;
    use popscope::wire::Direction::{self, ClientToServer as C, ServerToClient as S};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    type Capture = Vec<(Direction, Vec<u8>)>;

    /// A seed's file name, whether it is a POP3S capture, and the capture.
    pub type NamedCapture = (&'static str, bool, Capture);

    const GREETING: &str =
        "+OK popscope POP3 server ready <4242.1.1764201600.9f86d081884c@popscope.test>\r\n";

    /// A short message as the server sends it for RETR.
    const RETR: &str = "+OK 70 octets\r\nFrom: alice@example.net\r\nSubject: Welcome\r\n\r\nHello.\r\n..a stuffed line\r\n.\r\n";

    fn lines(pairs: &[(Direction, &str)]) -> Capture {
        pairs
            .iter()
            .map(|(d, t)| (*d, t.as_bytes().to_vec()))
            .collect()
    }

    /// Cleartext POP3 sessions, each with the server's greeting first.
    pub fn pop3_sessions() -> Vec<(&'static str, Capture)> {
        vec![
            (
                "plain-user-pass-retr",
                lines(&[
                    (S, GREETING),
                    (C, "CAPA\r\n"),
                    (
                        S,
                        "+OK capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN\r\nUIDL\r\nSTLS\r\n.\r\n",
                    ),
                    (C, "USER alice\r\n"),
                    (S, "+OK send PASS\r\n"),
                    (C, "PASS wonderland\r\n"),
                    (S, "+OK maildrop has 1 messages (70 octets)\r\n"),
                    (C, "RETR 1\r\n"),
                    (S, RETR),
                    (C, "QUIT\r\n"),
                    (S, "+OK popscope signing off\r\n"),
                ]),
            ),
            (
                "plain-apop-pipelined",
                lines(&[
                    (S, GREETING),
                    (C, "APOP alice 0b4d5ad5b8b0b3ba8c3f6cfa5bb2a3a1\r\n"),
                    (S, "+OK maildrop has 1 messages (70 octets)\r\n"),
                    (C, "LIST\r\nUIDL\r\nTOP 1 0\r\n"),
                    (
                        S,
                        "+OK 1 messages (70 octets)\r\n1 70\r\n.\r\n+OK unique-id listing follows\r\n1 1764201600.M1P1.popscope\r\n.\r\n+OK top of message follows\r\nFrom: alice@example.net\r\nSubject: Welcome\r\n\r\n.\r\n",
                    ),
                ]),
            ),
            (
                "plain-auth-plain",
                lines(&[
                    (S, GREETING),
                    (C, "AUTH\r\n"),
                    (S, "+OK SASL mechanisms follow\r\nPLAIN\r\n.\r\n"),
                    (C, "AUTH PLAIN\r\n"),
                    (S, "+ \r\n"),
                    (C, "AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"),
                    (S, "+OK maildrop has 1 messages (70 octets)\r\n"),
                    (C, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"),
                    (S, "-ERR AUTH is valid only before login\r\n"),
                ]),
            ),
            (
                "plain-errors",
                lines(&[
                    (S, GREETING),
                    (C, "USER alice\r\n"),
                    (S, "+OK send PASS\r\n"),
                    (C, "PASS wrong\r\n"),
                    (S, "-ERR [AUTH] invalid user name or password\r\n"),
                    (C, "RETR 1\r\n"),
                    (S, "-ERR RETR is valid only after login\r\n"),
                    (C, "AUTH LOGIN\r\n"),
                    (S, "+ VXNlcm5hbWU6\r\n"),
                ]),
            ),
        ]
    }

    fn roots(ca: &Path) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).expect("CA file") {
            roots.add(cert.expect("CA PEM")).expect("CA usable");
        }
        roots
    }

    /// Everything a connection wants to send, as one flight.
    fn drain<D>(conn: &mut rustls::ConnectionCommon<D>) -> Vec<u8> {
        let mut flight = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut flight).expect("write to memory");
        }
        flight
    }

    /// Hand a flight over and drop whatever plaintext it carried.
    fn deliver<D>(conn: &mut rustls::ConnectionCommon<D>, mut flight: &[u8]) {
        while !flight.is_empty() {
            conn.read_tls(&mut flight).expect("read from memory");
            conn.process_new_packets().expect("TLS works");
            let mut sink = Vec::new();
            let _ = conn.reader().read_to_end(&mut sink);
        }
    }

    /// A real rustls client and server talking through memory, one chunk
    /// per flight.
    struct Pipe {
        client: rustls::ClientConnection,
        server: rustls::ServerConnection,
        capture: Capture,
    }

    impl Pipe {
        fn pump(&mut self) {
            loop {
                let up = drain(&mut self.client);
                if !up.is_empty() {
                    deliver(&mut self.server, &up);
                    self.capture.push((C, up));
                }
                let down = drain(&mut self.server);
                if !down.is_empty() {
                    deliver(&mut self.client, &down);
                    self.capture.push((S, down));
                }
                if !self.client.wants_write() && !self.server.wants_write() {
                    return;
                }
            }
        }

        fn pop3_inside(&mut self, greet: bool) {
            if greet {
                self.server.writer().write_all(GREETING.as_bytes()).unwrap();
                self.pump();
            }
            self.client
                .writer()
                .write_all(b"USER alice\r\nPASS wonderland\r\nRETR 1\r\n")
                .unwrap();
            self.pump();
            self.server
                .writer()
                .write_all(b"+OK send PASS\r\n+OK maildrop has 1 messages (70 octets)\r\n")
                .unwrap();
            self.server.writer().write_all(RETR.as_bytes()).unwrap();
            self.pump();
            self.client.send_close_notify();
            self.pump();
        }
    }

    /// TLS sessions: POP3S with TLS 1.3 and 1.2 (whose certificate crosses
    /// in cleartext), and STLS on the cleartext port. Also returns the DER
    /// of the demo certificates.
    pub fn tls_sessions() -> (Vec<NamedCapture>, Vec<(&'static str, Vec<u8>)>) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let pki = popscope::tls::ensure_demo_pki(dir.path()).expect("demo PKI");
        let server =
            popscope::tls::server_config(&pki.server_cert, &pki.server_key).expect("server config");
        let default_client =
            popscope::tls::client_config(&popscope::tls::Trust::CaFile(pki.ca_cert.clone()), false)
                .expect("client config");
        let tls12_client = Arc::new(
            rustls::ClientConfig::builder_with_provider(popscope::tls::provider())
                .with_protocol_versions(&[&rustls::version::TLS12])
                .expect("TLS 1.2")
                .with_root_certificates(roots(&pki.ca_cert))
                .with_no_client_auth(),
        );
        let pipe = |client: &Arc<rustls::ClientConfig>| Pipe {
            client: rustls::ClientConnection::new(
                Arc::clone(client),
                ServerName::try_from("localhost").unwrap(),
            )
            .unwrap(),
            server: rustls::ServerConnection::new(Arc::clone(&server)).unwrap(),
            capture: Vec::new(),
        };
        let mut sessions = Vec::new();
        for (name, client) in [
            ("pop3s-tls13", &default_client),
            ("pop3s-tls12", &tls12_client),
        ] {
            let mut p = pipe(client);
            p.pump();
            p.pop3_inside(true);
            sessions.push((name, true, p.capture));
        }
        let mut stls = lines(&[
            (S, GREETING),
            (C, "STLS\r\n"),
            (S, "+OK begin TLS negotiation\r\n"),
        ]);
        let mut p = pipe(&default_client);
        p.pump();
        p.pop3_inside(false);
        stls.extend(p.capture);
        sessions.push(("stls-tls13", false, stls));

        let mut certs = Vec::new();
        for (name, path) in [("demo-server", &pki.server_cert), ("demo-ca", &pki.ca_cert)] {
            let der = CertificateDer::pem_file_iter(path)
                .expect("certificate file")
                .next()
                .expect("one certificate")
                .expect("PEM");
            certs.push((name, der.as_ref().to_vec()));
        }
        (sessions, certs)
    }

    pub fn encode(pop3s: bool, capture: &Capture) -> Vec<u8> {
        let chunks: Vec<(Direction, &[u8])> =
            capture.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        encode_capture(pop3s, &chunks)
    }
}

/// Regenerate the seeds that code makes: the POP3, POP3S and STLS captures
/// of the dissect corpus and the demo certificates of the der corpus. Run
/// it when the capture format or the demo PKI changes, then minimise with
/// `cargo +nightly fuzz cmin`.
#[test]
#[ignore = "writes seed files into fuzz/corpus; run by hand"]
fn write_generated_seeds() {
    let dissect = corpus_dir("dissect");
    let der = corpus_dir("der");
    fs::create_dir_all(&dissect).unwrap();
    fs::create_dir_all(&der).unwrap();
    for (name, capture) in seeds::pop3_sessions() {
        fs::write(dissect.join(name), seeds::encode(false, &capture)).unwrap();
    }
    let (sessions, certs) = seeds::tls_sessions();
    for (name, pop3s, capture) in sessions {
        fs::write(dissect.join(name), seeds::encode(pop3s, &capture)).unwrap();
    }
    for (name, bytes) in certs {
        fs::write(der.join(name), bytes).unwrap();
    }
}
