//! Tests of the whole dissector against realistic captures: cleartext POP3
//! sessions written out by hand (with the demo messages encoded exactly as
//! the server encodes them), and TLS sessions produced by real rustls
//! clients and servers talking through memory, one chunk per flight.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;

use super::*;
use crate::mailbox::demo::DEMO_FILES;
use crate::pop3::auth::apop_digest;
use crate::pop3::framing::{encode_body, unstuff};
use crate::wire::Direction::{ClientToServer as C, ServerToClient as S};
use crate::wire::pop3::MAX_KEPT_BODY;

/// The loot in the words `popscope demo` prints in English.
fn summary(loot: &Loot) -> String {
    crate::lab::describe::loot(loot, crate::lang::Lang::En)
}

/// A capture: the chunks of one connection in the order they crossed.
type Capture = Vec<(Direction, Vec<u8>)>;

const TIMESTAMP: &str = "<4242.1.1764201600.9f86d081884c@popscope.test>";

/// Upper bound for [`Dissector::buffered`] whatever is fed.
const BUFFER_BOUND: usize = 1536 * 1024;

fn greeting() -> (Direction, Vec<u8>) {
    (
        S,
        format!("+OK popscope POP3 server ready {TIMESTAMP}\r\n").into_bytes(),
    )
}

fn chunk(dir: Direction, text: &str) -> (Direction, Vec<u8>) {
    (dir, text.as_bytes().to_vec())
}

/// A RETR reply for demo message `index`, as the server sends it.
fn retr_reply(index: usize) -> Vec<u8> {
    let body = encode_body(DEMO_FILES[index].bytes, None);
    let mut reply = format!("+OK {} octets\r\n", body.len()).into_bytes();
    reply.extend_from_slice(&body);
    reply
}

/// The message as the client gets it back: CRLF line ends, dots unstuffed.
fn unstuffed(index: usize) -> String {
    let plain = unstuff(&encode_body(DEMO_FILES[index].bytes, None)).expect("terminated body");
    String::from_utf8(plain).expect("demo message is UTF-8 or ASCII")
}

/// USER/PASS and a RETR of the welcome message.
fn plain_session() -> Capture {
    let mut retr = retr_reply(0);
    // The server's reply arrives in two chunks, cut inside a line.
    let second = retr.split_off(retr.len() / 2);
    vec![
        greeting(),
        chunk(C, "CAPA\r\n"),
        chunk(
            S,
            "+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSTLS\r\nSASL PLAIN\r\n.\r\n",
        ),
        chunk(C, "USER alice\r\n"),
        chunk(S, "+OK send PASS\r\n"),
        chunk(C, "PASS wonderland\r\n"),
        chunk(S, "+OK maildrop has 8 messages (220731 octets)\r\n"),
        chunk(C, "RETR 1\r\n"),
        (S, retr),
        (S, second),
        chunk(C, "QUIT\r\n"),
        chunk(S, "+OK popscope signing off\r\n"),
    ]
}

/// Pipelined commands: LIST, RETR of the ISO-2022-JP message and of the
/// message full of leading dots, and TOP, all in one client chunk.
fn pipelined_session() -> Capture {
    let mut replies = b"+OK 2 messages\r\n1 100\r\n2 200\r\n.\r\n".to_vec();
    replies.extend_from_slice(&retr_reply(1));
    replies.extend_from_slice(&retr_reply(2));
    let top = encode_body(DEMO_FILES[0].bytes, Some(0));
    replies.extend_from_slice(b"+OK top of message follows\r\n");
    replies.extend_from_slice(&top);
    vec![
        greeting(),
        chunk(C, "USER alice\r\n"),
        chunk(S, "+OK send PASS\r\n"),
        chunk(C, "PASS wonderland\r\n"),
        chunk(S, "+OK maildrop has 8 messages (220731 octets)\r\n"),
        chunk(C, "LIST\r\nRETR 2\r\nRETR 3\r\nTOP 1 0\r\n"),
        (S, replies),
    ]
}

fn apop_session() -> Capture {
    let digest = apop_digest(TIMESTAMP, "wonderland");
    vec![
        greeting(),
        chunk(C, &format!("APOP alice {digest}\r\n")),
        chunk(S, "+OK maildrop has 8 messages (220731 octets)\r\n"),
        chunk(C, "QUIT\r\n"),
        chunk(S, "+OK popscope signing off\r\n"),
    ]
}

/// AUTH PLAIN with an initial response.
fn auth_plain_ir_session() -> Capture {
    vec![
        greeting(),
        chunk(C, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"),
        chunk(S, "+OK maildrop has 8 messages (220731 octets)\r\n"),
        chunk(C, "STAT\r\n"),
        chunk(S, "+OK 8 220731\r\n"),
    ]
}

/// A bare AUTH (multi-line list), then AUTH PLAIN without an initial
/// response: the response comes after the server's "+ ".
fn auth_plain_session() -> Capture {
    vec![
        greeting(),
        chunk(C, "AUTH\r\n"),
        chunk(S, "+OK SASL mechanisms follow\r\nPLAIN\r\n.\r\n"),
        chunk(C, "AUTH PLAIN\r\n"),
        chunk(S, "+ \r\n"),
        chunk(C, "AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"),
        chunk(S, "+OK maildrop has 8 messages (220731 octets)\r\n"),
        chunk(C, "STAT\r\n"),
        chunk(S, "+OK 8 220731\r\n"),
    ]
}

fn auth_login_session() -> Capture {
    vec![
        greeting(),
        chunk(C, "AUTH LOGIN\r\n"),
        chunk(S, "+ VXNlcm5hbWU6\r\n"),
        chunk(C, "YWxpY2U=\r\n"),
        chunk(S, "+ UGFzc3dvcmQ6\r\n"),
        chunk(C, "d29uZGVybGFuZA==\r\n"),
        chunk(S, "+OK maildrop has 8 messages (220731 octets)\r\n"),
    ]
}

// ---------------------------------------------------------------------------
// Real TLS from rustls, through memory
// ---------------------------------------------------------------------------

/// The demo PKI in a fresh directory. The directory is removed when the
/// returned guard is dropped.
fn demo_pki() -> (tempfile::TempDir, crate::tls::DemoPki) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pki = crate::tls::ensure_demo_pki(dir.path()).expect("demo PKI");
    (dir, pki)
}

fn roots(ca: &Path) -> rustls::RootCertStore {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("CA file") {
        roots.add(cert.expect("CA PEM")).expect("CA usable");
    }
    roots
}

/// A client config that offers TLS 1.2 only.
fn tls12_client(ca: &Path) -> Arc<rustls::ClientConfig> {
    Arc::new(
        rustls::ClientConfig::builder_with_provider(crate::tls::provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .expect("TLS 1.2 is supported")
            .with_root_certificates(roots(ca))
            .with_no_client_auth(),
    )
}

fn default_client(ca: &Path) -> Arc<rustls::ClientConfig> {
    crate::tls::client_config(&crate::tls::Trust::CaFile(ca.to_path_buf()), false)
        .expect("client config")
}

fn default_server(pki: &crate::tls::DemoPki) -> Arc<rustls::ServerConfig> {
    crate::tls::server_config(&pki.server_cert, &pki.server_key).expect("server config")
}

/// A TLS 1.3 server that only accepts secp256r1, so a client that sends an
/// x25519 share first gets a HelloRetryRequest.
fn p256_only_server(pki: &crate::tls::DemoPki) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let certs = CertificateDer::pem_file_iter(&pki.server_cert)
        .expect("chain file")
        .collect::<Result<Vec<_>, _>>()
        .expect("chain PEM");
    let key = PrivateKeyDer::from_pem_file(&pki.server_key).expect("key PEM");
    let provider = rustls::crypto::CryptoProvider {
        kx_groups: vec![rustls::crypto::ring::kx_group::SECP256R1],
        ..rustls::crypto::ring::default_provider()
    };
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate"),
    )
}

/// A client and a server connected through memory; every flight that
/// crosses is appended to the capture as one chunk.
struct Pipe {
    client: rustls::ClientConnection,
    server: rustls::ServerConnection,
    capture: Capture,
}

impl Pipe {
    fn new(client: Arc<rustls::ClientConfig>, server: Arc<rustls::ServerConfig>) -> Pipe {
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        Pipe {
            client: rustls::ClientConnection::new(client, name).expect("client"),
            server: rustls::ServerConnection::new(server).expect("server"),
            capture: Vec::new(),
        }
    }

    /// Move bytes both ways until neither side has anything to send. On a
    /// TLS error the failing side's answer (its alert) is captured too, and
    /// the error is returned.
    fn pump(&mut self) -> Result<(), rustls::Error> {
        loop {
            let to_server = drain(&mut self.client);
            let moved_up = !to_server.is_empty();
            if moved_up {
                self.capture.push((C, to_server.clone()));
                if let Err(e) = deliver(&mut self.server, &to_server) {
                    let alert = drain(&mut self.server);
                    self.capture.push((S, alert));
                    return Err(e);
                }
            }
            let to_client = drain(&mut self.server);
            let moved_down = !to_client.is_empty();
            if moved_down {
                self.capture.push((S, to_client.clone()));
                if let Err(e) = deliver(&mut self.client, &to_client) {
                    let alert = drain(&mut self.client);
                    self.capture.push((C, alert));
                    return Err(e);
                }
            }
            if !moved_up && !moved_down {
                return Ok(());
            }
        }
    }

    fn client_says(&mut self, text: &str) {
        self.client
            .writer()
            .write_all(text.as_bytes())
            .expect("buffer");
        self.pump().expect("TLS works");
    }

    fn server_says(&mut self, text: &[u8]) {
        self.server.writer().write_all(text).expect("buffer");
        self.pump().expect("TLS works");
    }

    /// A POP3 login and a RETR of the welcome message, inside TLS.
    fn pop3_inside(&mut self, greet: bool) {
        if greet {
            self.server_says(format!("+OK popscope POP3 server ready {TIMESTAMP}\r\n").as_bytes());
        }
        self.client_says("USER alice\r\nPASS wonderland\r\n");
        self.server_says(b"+OK send PASS\r\n+OK maildrop has 8 messages (220731 octets)\r\n");
        self.client_says("RETR 1\r\n");
        self.server_says(&retr_reply(0));
        self.client_says("QUIT\r\n");
        self.server_says(b"+OK popscope signing off\r\n");
        self.client.send_close_notify();
        self.pump().expect("close_notify");
    }
}

/// Everything a connection wants to send, as one flight.
fn drain<D>(conn: &mut rustls::ConnectionCommon<D>) -> Vec<u8> {
    let mut flight = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut flight).expect("write to memory");
    }
    flight
}

/// Hand a flight to a connection and let it process it; plaintext it
/// decrypts is read and dropped so its buffer never fills.
fn deliver<D>(conn: &mut rustls::ConnectionCommon<D>, flight: &[u8]) -> Result<(), rustls::Error> {
    let mut rd = flight;
    while !rd.is_empty() {
        conn.read_tls(&mut rd).expect("read from memory");
        conn.process_new_packets()?;
        let mut sink = Vec::new();
        let _ = conn.reader().read_to_end(&mut sink);
    }
    Ok(())
}

/// The cleartext part of an STLS session, up to and including +OK.
fn stls_preamble() -> Capture {
    vec![
        greeting(),
        chunk(C, "CAPA\r\n"),
        chunk(
            S,
            "+OK Capability list follows\r\nTOP\r\nUSER\r\nSTLS\r\nSASL PLAIN\r\n.\r\n",
        ),
        chunk(C, "STLS\r\n"),
        chunk(S, "+OK begin TLS negotiation\r\n"),
    ]
}

/// STLS, then a real TLS 1.3 handshake and a login inside it.
fn stls13_session() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let (_dir, pki) = demo_pki();
        let mut pipe = Pipe::new(default_client(&pki.ca_cert), default_server(&pki));
        pipe.pump().expect("handshake");
        pipe.pop3_inside(false);
        let mut capture = stls_preamble();
        capture.extend(pipe.capture);
        capture
    })
}

/// POP3S with TLS 1.2: the certificate chain and key exchange cross in
/// cleartext.
fn pop3s12_session() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let (_dir, pki) = demo_pki();
        let mut pipe = Pipe::new(tls12_client(&pki.ca_cert), default_server(&pki));
        pipe.pump().expect("handshake");
        pipe.pop3_inside(true);
        pipe.capture
    })
}

/// POP3S with TLS 1.3.
fn pop3s13_session() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let (_dir, pki) = demo_pki();
        let mut pipe = Pipe::new(default_client(&pki.ca_cert), default_server(&pki));
        pipe.pump().expect("handshake");
        pipe.pop3_inside(true);
        pipe.capture
    })
}

/// Feed a capture chunk by chunk.
fn run(mut dissector: Dissector, capture: &Capture) -> (Vec<Item>, Dissector) {
    let mut items = Vec::new();
    for (dir, bytes) in capture {
        items.extend(dissector.feed(*dir, bytes));
        assert!(dissector.buffered() <= BUFFER_BOUND);
    }
    (items, dissector)
}

/// Feed a capture one byte at a time (same order of directions).
fn run_bytewise(mut dissector: Dissector, capture: &Capture) -> Vec<Item> {
    let mut items = Vec::new();
    for (dir, bytes) in capture {
        for byte in bytes {
            items.extend(dissector.feed(*dir, std::slice::from_ref(byte)));
        }
    }
    items
}

fn leaks(items: &[Item]) -> Vec<&Leak> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Leak(l) => Some(l),
            _ => None,
        })
        .collect()
}

/// Why bytes were undecodable, in the English words the learner reads.
fn english(reason: &UndecodableReason) -> String {
    crate::lab::describe::undecodable(reason, crate::lang::Lang::En)
}

fn undecodable(items: &[Item]) -> Vec<&Item> {
    items
        .iter()
        .filter(|i| matches!(i, Item::Undecodable { .. }))
        .collect()
}

fn handshakes(items: &[Item], want: Direction) -> Vec<&Handshake> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::TlsHandshake { dir, message, .. } if *dir == want => Some(message),
            _ => None,
        })
        .collect()
}

fn total_len(capture: &Capture) -> u64 {
    capture.iter().map(|(_, b)| b.len() as u64).sum()
}

/// True if `needle` appears anywhere in what the dissector reports.
fn reported_anywhere(items: &[Item], loot: &Loot, needle: &str) -> bool {
    serde_json::to_string(items)
        .expect("items serialize")
        .contains(needle)
        || serde_json::to_string(loot)
            .expect("loot serializes")
            .contains(needle)
        || format!("{items:?}{loot:?}").contains(needle)
        || summary(loot).contains(needle)
}

// ---------------------------------------------------------------------------
// Cleartext sessions
// ---------------------------------------------------------------------------

#[test]
fn user_pass_session_leaks_the_password_and_the_message() {
    let (items, d) = run(Dissector::new(), &plain_session());
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    let leaks = leaks(&items);
    assert!(leaks.contains(&&Leak::User {
        name: "alice".into()
    }));
    assert!(leaks.contains(&&Leak::Password {
        user: Some("alice".into()),
        password: "wonderland".into()
    }));
    assert!(leaks.contains(&&Leak::Greeting {
        text: format!("popscope POP3 server ready {TIMESTAMP}"),
        timestamp: Some(TIMESTAMP.into()),
    }));
    assert!(leaks.contains(&&Leak::MessageHeaders {
        from: Some("Ada Quill <quill@popscope.test>".into()),
        to: Some("Alice <alice@popscope.test>".into()),
        subject: Some("Welcome to the popscope lab".into()),
    }));

    // The RETR reply is one item, with the whole message unstuffed.
    let bodies: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Pop3Reply {
                first_line,
                body: Some(body),
                body_len,
                ..
            } if first_line.ends_with("octets") => Some((body.clone(), *body_len)),
            _ => None,
        })
        .collect();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].0, unstuffed(0));
    assert_eq!(bodies[0].1, Some(unstuffed(0).len()));

    let loot = d.loot();
    assert!(loot.readable());
    assert_eq!(loot.users, ["alice"]);
    assert_eq!(
        loot.passwords,
        [(Some("alice".to_string()), "wonderland".to_string())]
    );
    assert_eq!(
        summary(loot),
        "password wonderland for alice; subjects of 1 message: Welcome to the popscope lab"
    );
    assert_eq!(loot.cleartext_bytes, total_len(&plain_session()));
    assert_eq!(loot.encrypted_bytes, 0);
}

#[test]
fn commands_and_replies_carry_their_offsets() {
    let capture = plain_session();
    let (items, _) = run(Dissector::new(), &capture);
    // Offsets are per direction: the client's USER line starts after CAPA.
    assert!(items.contains(&Item::Pop3Command {
        dir: C,
        offset: 6,
        text: "USER alice".into()
    }));
    let greeting_len = capture[0].1.len() as u64;
    assert!(items.iter().any(|i| matches!(
        i,
        Item::Pop3Reply { offset, ok: true, body_len: Some(_), first_line, .. }
            if *offset == greeting_len && first_line == "+OK Capability list follows"
    )));
}

#[test]
fn pipelined_commands_are_matched_to_their_replies() {
    let (items, d) = run(Dissector::new(), &pipelined_session());
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    let replies: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Pop3Reply {
                first_line,
                body_len,
                body,
                ..
            } => Some((first_line.as_str(), *body_len, body.clone())),
            _ => None,
        })
        .collect();
    // Greeting, USER, PASS, then LIST, RETR 2, RETR 3 and TOP, each whole.
    assert_eq!(replies.len(), 7, "{replies:#?}");
    assert_eq!(replies[3].2.as_deref(), Some("1 100\r\n2 200\r\n"));
    assert_eq!(replies[5].2.as_deref(), Some(unstuffed(2).as_str()));
    // The dots message survives unstuffing: its lone-dot lines are intact.
    assert!(unstuffed(2).contains("\r\n.\r\n.signature\r\n"));
    assert!(unstuffed(2).ends_with("\r\n.\r\n"));

    // The ISO-2022-JP encoded words come out as Japanese.
    let messages = &d.loot().messages;
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[0],
        (
            Some("田中 先生 <tanaka@example.net>".to_string()),
            Some("alice@popscope.test".to_string()),
            Some("来週のクラスミーティングについて".to_string())
        )
    );
    assert_eq!(
        messages[1].2.as_deref(),
        Some("Lines that start with a dot")
    );
    assert_eq!(
        messages[2].2.as_deref(),
        Some("Welcome to the popscope lab")
    );
}

#[test]
fn apop_leaks_digest_and_greeting_timestamp() {
    let (items, d) = run(Dissector::new(), &apop_session());
    let digest = apop_digest(TIMESTAMP, "wonderland");
    assert!(leaks(&items).contains(&&Leak::Apop {
        user: "alice".into(),
        digest: digest.clone(),
        timestamp: Some(TIMESTAMP.into()),
    }));
    let loot = d.loot();
    assert_eq!(
        loot.apop,
        [(
            "alice".to_string(),
            digest.clone(),
            Some(TIMESTAMP.to_string())
        )]
    );
    assert!(loot.passwords.is_empty());
    assert!(summary(loot).starts_with(&format!(
        "APOP digest {digest} for alice with timestamp {TIMESTAMP}"
    )));
}

#[test]
fn auth_plain_with_initial_response_leaks_the_password() {
    let (items, d) = run(Dissector::new(), &auth_plain_ir_session());
    assert!(leaks(&items).contains(&&Leak::AuthPlain {
        authzid: String::new(),
        authcid: "alice".into(),
        password: "wonderland".into(),
    }));
    assert_eq!(summary(d.loot()), "password wonderland for alice");
    // STAT after AUTH is read as a command again.
    assert!(items.contains(&Item::Pop3Command {
        dir: C,
        offset: "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n".len() as u64,
        text: "STAT".into()
    }));
}

#[test]
fn auth_plain_after_continuation_leaks_the_password() {
    let (items, d) = run(Dissector::new(), &auth_plain_session());
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    assert!(leaks(&items).contains(&&Leak::AuthPlain {
        authzid: String::new(),
        authcid: "alice".into(),
        password: "wonderland".into(),
    }));
    // The bare AUTH got its multi-line list; "+ " is a continuation.
    assert!(items.iter().any(|i| matches!(
        i,
        Item::Pop3Reply { body: Some(b), .. } if b == "PLAIN\r\n"
    )));
    assert!(items.iter().any(|i| matches!(
        i,
        Item::Pop3Reply {
            ok: true,
            continuation: true,
            ..
        }
    )));
    assert_eq!(
        d.loot().passwords,
        [(Some("alice".to_string()), "wonderland".to_string())]
    );
}

#[test]
fn auth_plain_response_sent_before_the_continuation_is_still_understood() {
    // A client that does not wait for "+ " (none does this, but chunks are
    // fed in whatever order they crossed): its response is held until the
    // server's answer says what it is.
    let capture = vec![
        greeting(),
        chunk(C, "AUTH PLAIN\r\nAGFsaWNlAHdvbmRlcmxhbmQ=\r\nSTAT\r\n"),
        chunk(
            S,
            "+ \r\n+OK maildrop has 8 messages (1 octets)\r\n+OK 8 1\r\n",
        ),
    ];
    let (items, d) = run(Dissector::new(), &capture);
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    assert_eq!(
        d.loot().passwords,
        [(Some("alice".to_string()), "wonderland".to_string())]
    );
    let texts: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Pop3Command { text, .. } => Some(text.as_str()),
            Item::Pop3Reply { first_line, .. } => Some(first_line.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        [
            "+OK popscope POP3 server ready <4242.1.1764201600.9f86d081884c@popscope.test>",
            "AUTH PLAIN",
            "+ ",
            "AGFsaWNlAHdvbmRlcmxhbmQ=",
            "+OK maildrop has 8 messages (1 octets)",
            "STAT",
            "+OK 8 1"
        ]
    );
}

#[test]
fn auth_login_leaks_user_then_password() {
    let (items, d) = run(Dissector::new(), &auth_login_session());
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    let leaks = leaks(&items);
    assert!(leaks.contains(&&Leak::User {
        name: "alice".into()
    }));
    assert!(leaks.contains(&&Leak::AuthLogin {
        user: "alice".into(),
        password: "wonderland".into()
    }));
    assert_eq!(summary(d.loot()), "password wonderland for alice");
}

#[test]
fn a_rejected_auth_returns_to_commands() {
    let capture = vec![
        greeting(),
        chunk(C, "AUTH CRAM-MD5\r\n"),
        chunk(S, "-ERR unrecognized authentication mechanism\r\n"),
        chunk(C, "USER bob\r\n"),
        chunk(S, "+OK send PASS\r\n"),
    ];
    let (items, d) = run(Dissector::new(), &capture);
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    assert_eq!(d.loot().users, ["bob"]);
    assert_eq!(summary(d.loot()), "user name bob");
}

// ---------------------------------------------------------------------------
// STLS and TLS
// ---------------------------------------------------------------------------

#[test]
fn stls_with_tls13_hides_the_password() {
    let capture = stls13_session();
    let (items, d) = run(Dissector::new(), capture);
    assert!(undecodable(&items).is_empty(), "{items:#?}");

    // The switch happens at the exact bytes.
    let server_clear: usize = stls_preamble()
        .iter()
        .filter(|(dir, _)| *dir == S)
        .map(|(_, b)| b.len())
        .sum();
    let client_clear: usize = stls_preamble()
        .iter()
        .filter(|(dir, _)| *dir == C)
        .map(|(_, b)| b.len())
        .sum();
    assert!(items.contains(&Item::SwitchToTls {
        dir: S,
        offset: server_clear as u64
    }));
    assert!(items.contains(&Item::SwitchToTls {
        dir: C,
        offset: client_clear as u64
    }));
    // The first client record starts right there.
    assert!(items.iter().any(|i| matches!(
        i,
        Item::TlsRecord { dir: C, offset, .. } if *offset == client_clear as u64
    )));

    let client_hs = handshakes(&items, C);
    assert_eq!(client_hs.len(), 1, "only the ClientHello is cleartext");
    let Handshake::ClientHello {
        sni,
        cipher_suites,
        versions,
        key_shares,
        groups,
        signature_algorithms,
        ..
    } = client_hs[0]
    else {
        panic!("not a ClientHello: {:?}", client_hs[0]);
    };
    assert_eq!(sni.as_deref(), Some("localhost"));
    assert!(cipher_suites.contains(&0x1301));
    assert!(versions.contains(&0x0304) && versions.contains(&0x0303));
    assert!(key_shares.contains(&(0x001d, 32)));
    assert!(groups.contains(&0x001d));
    assert!(signature_algorithms.contains(&0x0403));

    let server_hs = handshakes(&items, S);
    assert_eq!(server_hs.len(), 1, "only the ServerHello is cleartext");
    let Handshake::ServerHello {
        version,
        group,
        hello_retry_request,
        cipher_suite,
    } = server_hs[0]
    else {
        panic!("not a ServerHello: {:?}", server_hs[0]);
    };
    assert_eq!(*version, 0x0304);
    assert_eq!(*group, Some(0x001d));
    assert!(!hello_retry_request);
    assert!(suite_is_tls13(*cipher_suite));

    // Nothing after the ServerHello is readable, and the password is nowhere.
    assert!(!reported_anywhere(&items, d.loot(), "wonderland"));
    assert!(!reported_anywhere(
        &items,
        d.loot(),
        "Welcome to the popscope"
    ));
    let loot = d.loot();
    assert!(!loot.readable());
    assert_eq!(loot.sni.as_deref(), Some("localhost"));
    assert_eq!(loot.tls_version, Some(0x0304));
    assert_eq!(
        summary(loot),
        format!(
            "nothing readable: server name localhost, TLSv1_3, {} encrypted bytes",
            loot.encrypted_bytes
        )
    );
    assert!(loot.encrypted_bytes > 2000);
    assert_eq!(
        loot.encrypted_bytes + loot.cleartext_bytes,
        total_len(capture)
    );
}

fn suite_is_tls13(suite: u16) -> bool {
    tls::suite_name(suite).starts_with("TLS13_")
}

#[test]
fn tls13_records_after_server_hello_are_all_encrypted() {
    let (items, _) = run(Dissector::new_tls(), pop3s13_session());
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    let mut server_hello_seen = false;
    for item in &items {
        match item {
            Item::TlsHandshake {
                message: Handshake::ServerHello { .. },
                ..
            } => server_hello_seen = true,
            Item::TlsRecord {
                header, encrypted, ..
            } => match header.content_type {
                ContentType::ApplicationData => assert!(encrypted),
                ContentType::ChangeCipherSpec => assert!(!encrypted),
                ContentType::Handshake => assert!(!server_hello_seen || !encrypted),
                other => panic!("unexpected record type {other:?}"),
            },
            _ => {}
        }
    }
    // TLS 1.3 uses version 0x0303 on every record but the first ClientHello.
    let versions: Vec<u16> = items
        .iter()
        .filter_map(|i| match i {
            Item::TlsRecord { header, .. } => Some(header.version),
            _ => None,
        })
        .collect();
    assert!(versions.iter().skip(1).all(|v| *v == 0x0303));
}

#[test]
fn pop3s_with_tls12_shows_certificate_and_key_exchange() {
    let capture = pop3s12_session();
    let (items, d) = run(Dissector::new_tls(), capture);
    assert!(undecodable(&items).is_empty(), "{items:#?}");

    let server_hs = handshakes(&items, S);
    let names: Vec<_> = server_hs.iter().map(|h| h.name()).collect();
    assert_eq!(
        names,
        [
            "ServerHello",
            "Certificate",
            "ServerKeyExchange",
            "ServerHelloDone"
        ]
    );
    let Handshake::ServerHello {
        version,
        cipher_suite,
        ..
    } = server_hs[0]
    else {
        unreachable!()
    };
    assert_eq!(*version, 0x0303);
    assert!(
        tls::suite_name(*cipher_suite).starts_with("TLS_ECDHE_ECDSA_WITH_"),
        "{:#06x}",
        cipher_suite
    );

    let Handshake::Certificate { chain } = server_hs[1] else {
        unreachable!()
    };
    assert_eq!(chain.len(), 2);
    assert_eq!(
        chain[0].subject,
        "CN=localhost,O=popscope teaching lab - NOT FOR REAL USE"
    );
    assert_eq!(
        chain[0].issuer,
        "CN=popscope demo CA (not for real use),O=popscope teaching lab - NOT FOR REAL USE"
    );
    assert_eq!(chain[1].subject, chain[0].issuer);
    assert_eq!(chain[1].issuer, chain[0].issuer, "the CA is self-signed");

    assert_eq!(
        server_hs[2],
        &Handshake::ServerKeyExchange {
            curve: Some(0x001d),
            public_key_len: 32,
            signature_scheme: Some(0x0403),
        }
    );

    let client_hs = handshakes(&items, C);
    assert_eq!(client_hs.len(), 2);
    assert!(
        matches!(client_hs[0], Handshake::ClientHello { sni: Some(s), .. } if s == "localhost")
    );
    // The client's x25519 public key behind its one-byte length.
    assert_eq!(client_hs[1], &Handshake::ClientKeyExchange { len: 33 });

    // Each side's Finished follows its ChangeCipherSpec and is encrypted,
    // though its record says "handshake".
    for dir in [C, S] {
        let records: Vec<(ContentType, bool)> = items
            .iter()
            .filter_map(|i| match i {
                Item::TlsRecord {
                    dir: d,
                    header,
                    encrypted,
                    ..
                } if *d == dir => Some((header.content_type, *encrypted)),
                _ => None,
            })
            .collect();
        let ccs = records
            .iter()
            .position(|(t, _)| *t == ContentType::ChangeCipherSpec)
            .expect("a ChangeCipherSpec");
        assert_eq!(records[ccs + 1], (ContentType::Handshake, true));
        assert!(records[ccs + 1..].iter().all(|(_, encrypted)| *encrypted));
        assert!(records[..ccs].iter().all(|(_, encrypted)| !*encrypted));
    }

    // The encrypted close_notify is an alert record nobody can read.
    assert!(items.contains(&Item::TlsAlert {
        dir: C,
        level: 0,
        description: 0,
        encrypted: true
    }));

    let loot = d.loot();
    assert!(!reported_anywhere(&items, loot, "wonderland"));
    assert!(!loot.readable());
    assert_eq!(loot.tls_version, Some(0x0303));
    assert!(summary(loot).starts_with("nothing readable: server name localhost, TLSv1_2, "));
    assert_eq!(
        loot.encrypted_bytes + loot.cleartext_bytes,
        total_len(capture)
    );
}

#[test]
fn hello_retry_request_keeps_the_second_client_hello_readable() {
    let (_dir, pki) = demo_pki();
    let mut pipe = Pipe::new(default_client(&pki.ca_cert), p256_only_server(&pki));
    pipe.pump().expect("handshake");
    pipe.client_says("USER alice\r\nPASS wonderland\r\n");
    let (items, d) = run(Dissector::new_tls(), &pipe.capture);
    assert!(undecodable(&items).is_empty(), "{items:#?}");

    let client_hs = handshakes(&items, C);
    assert_eq!(client_hs.len(), 2, "{client_hs:#?}");
    let Handshake::ClientHello { key_shares, .. } = client_hs[1] else {
        panic!("{:?}", client_hs[1])
    };
    assert_eq!(key_shares.as_slice(), [(0x0017, 65)]);

    let server_hs = handshakes(&items, S);
    assert_eq!(server_hs.len(), 2, "{server_hs:#?}");
    assert!(matches!(
        server_hs[0],
        Handshake::ServerHello {
            hello_retry_request: true,
            group: Some(0x0017),
            ..
        }
    ));
    assert_eq!(server_hs[1].name(), "ServerHello");
    assert!(!reported_anywhere(&items, d.loot(), "wonderland"));
}

#[test]
fn a_rejected_certificate_shows_a_cleartext_alert_in_tls12() {
    let (_dir, pki) = demo_pki();
    let (_other_dir, other) = demo_pki();
    // The client trusts a different demo CA, so it refuses the certificate
    // before its ChangeCipherSpec: the alert crosses in cleartext.
    let mut pipe = Pipe::new(tls12_client(&other.ca_cert), default_server(&pki));
    assert!(pipe.pump().is_err());
    let (items, _) = run(Dissector::new_tls(), &pipe.capture);
    let alerts: Vec<_> = items
        .iter()
        .filter(|i| matches!(i, Item::TlsAlert { .. }))
        .collect();
    assert_eq!(
        alerts,
        [&Item::TlsAlert {
            dir: C,
            level: 2,
            description: 48,
            encrypted: false
        }]
    );
    assert_eq!(tls::alert_description(48), "UnknownCA");
}

#[test]
fn stls_refused_keeps_reading_pop3() {
    let capture = vec![
        greeting(),
        chunk(C, "STLS\r\n"),
        chunk(S, "-ERR STLS is not available on this server\r\n"),
        chunk(C, "USER alice\r\nPASS wonderland\r\n"),
        chunk(
            S,
            "+OK send PASS\r\n+OK maildrop has 8 messages (1 octets)\r\n",
        ),
    ];
    let (items, d) = run(Dissector::new(), &capture);
    assert!(!items.iter().any(|i| matches!(i, Item::SwitchToTls { .. })));
    assert!(undecodable(&items).is_empty(), "{items:#?}");
    assert_eq!(summary(d.loot()), "password wonderland for alice");
}

#[test]
fn bytes_pipelined_after_stls_are_read_as_tls() {
    // The command injection of CVE-2011-0411: whatever follows STLS in the
    // same packet belongs to TLS. It is not valid TLS, so it is undecodable,
    // and it is not a login either.
    let capture = vec![
        greeting(),
        chunk(C, "STLS\r\nUSER evil\r\nPASS injected\r\n"),
        chunk(S, "+OK begin TLS negotiation\r\n"),
    ];
    let (items, d) = run(Dissector::new(), &capture);
    assert!(items.contains(&Item::SwitchToTls { dir: C, offset: 6 }));
    let bad = undecodable(&items);
    assert_eq!(bad.len(), 1, "{items:#?}");
    assert!(
        matches!(bad[0], Item::Undecodable { dir: C, offset: 6, reason } if english(reason).contains("not a TLS record"))
    );
    assert!(d.loot().users.is_empty());
    assert!(
        !leaks(&items)
            .iter()
            .any(|l| matches!(l, Leak::Password { .. }))
    );
}

#[test]
fn client_hello_sent_before_the_stls_answer_is_decoded_after_it() {
    // Move the client's first TLS flight in front of the server's +OK.
    let mut capture = stls13_session().clone();
    let ok = capture
        .iter()
        .position(|(_, b)| b.starts_with(b"+OK begin TLS"))
        .expect("+OK");
    let hello = capture.remove(ok + 1);
    assert_eq!(hello.0, C);
    capture.insert(ok, hello);
    let (reordered, _) = run(Dissector::new(), &capture);
    let (normal, _) = run(Dissector::new(), stls13_session());
    assert_eq!(reordered, normal);
}

#[test]
fn server_bytes_after_stls_ok_in_the_same_chunk_are_tls() {
    // The +OK and the ServerHello flight arrive in one chunk.
    let mut capture = stls13_session().clone();
    let ok = capture
        .iter()
        .position(|(_, b)| b.starts_with(b"+OK begin TLS"))
        .expect("+OK");
    let hello = capture.remove(ok + 1); // client hello
    let server_flight = capture.remove(ok + 1);
    assert_eq!(server_flight.0, S);
    capture.insert(ok, hello);
    capture[ok + 1].1.extend_from_slice(&server_flight.1);
    let (merged, _) = run(Dissector::new(), &capture);
    let (normal, _) = run(Dissector::new(), stls13_session());
    assert_eq!(merged, normal);
}

// ---------------------------------------------------------------------------
// Chunking
// ---------------------------------------------------------------------------

/// A named capture and the constructor for the port it was taken on.
type Case = (&'static str, fn() -> Dissector, Capture);

fn all_captures() -> Vec<Case> {
    vec![
        (
            "plain",
            Dissector::new as fn() -> Dissector,
            plain_session(),
        ),
        ("pipelined", Dissector::new, pipelined_session()),
        ("apop", Dissector::new, apop_session()),
        ("auth plain ir", Dissector::new, auth_plain_ir_session()),
        ("auth plain", Dissector::new, auth_plain_session()),
        ("auth login", Dissector::new, auth_login_session()),
        ("stls 1.3", Dissector::new, stls13_session().clone()),
        ("pop3s 1.2", Dissector::new_tls, pop3s12_session().clone()),
        ("pop3s 1.3", Dissector::new_tls, pop3s13_session().clone()),
    ]
}

#[test]
fn one_byte_at_a_time_gives_the_same_items() {
    for (name, make, capture) in all_captures() {
        let (whole, _) = run(make(), &capture);
        let bytewise = run_bytewise(make(), &capture);
        assert_eq!(whole, bytewise, "{name}");
    }
}

#[test]
fn consecutive_chunks_merged_give_the_same_items() {
    // Several records (or lines) in one chunk: merge every run of chunks
    // going the same way.
    for (name, make, capture) in all_captures() {
        let mut merged: Capture = Vec::new();
        for (dir, bytes) in &capture {
            match merged.last_mut() {
                Some((d, b)) if d == dir => b.extend_from_slice(bytes),
                _ => merged.push((*dir, bytes.clone())),
            }
        }
        let (whole, _) = run(make(), &capture);
        let (fewer, _) = run(make(), &merged);
        assert_eq!(whole, fewer, "{name}");
    }
}

// ---------------------------------------------------------------------------
// Bounded memory
// ---------------------------------------------------------------------------

#[test]
fn a_huge_body_is_counted_but_kept_only_in_part() {
    let line = "x".repeat(998) + "\r\n";
    let mut d = Dissector::new();
    d.feed(S, greeting().1.as_slice());
    d.feed(C, b"RETR 1\r\n");
    let mut items = d.feed(S, b"+OK\r\nSubject: big\r\n\r\n");
    for _ in 0..2000 {
        items.extend(d.feed(S, line.as_bytes()));
        assert!(d.buffered() <= BUFFER_BOUND);
    }
    items.extend(d.feed(S, b".\r\n"));
    let (len, body) = items
        .iter()
        .find_map(|i| match i {
            Item::Pop3Reply {
                body_len: Some(len),
                body: Some(body),
                ..
            } => Some((*len, body.len())),
            _ => None,
        })
        .expect("the reply");
    assert_eq!(len, 2000 * 1000 + "Subject: big\r\n\r\n".len());
    assert_eq!(body, MAX_KEPT_BODY);
    assert_eq!(d.loot().messages[0].2.as_deref(), Some("big"));
}

#[test]
fn an_endless_line_is_reported_once_and_not_buffered() {
    let mut d = Dissector::new();
    d.feed(S, greeting().1.as_slice());
    let mut items = Vec::new();
    for _ in 0..200 {
        items.extend(d.feed(C, &[b'A'; 10_000]));
        assert!(d.buffered() <= BUFFER_BOUND);
    }
    items.extend(d.feed(C, b"\r\nUSER alice\r\n"));
    assert_eq!(undecodable(&items).len(), 1);
    assert_eq!(d.loot().users, ["alice"]);
}

#[test]
fn a_record_longer_than_tls_allows_stops_that_direction() {
    let mut d = Dissector::new_tls();
    let items = d.feed(C, &[22, 3, 1, 0xff, 0xff, 1, 2, 3]);
    let bad = undecodable(&items);
    assert_eq!(bad.len(), 1);
    assert!(
        matches!(bad[0], Item::Undecodable { offset: 0, reason, .. } if english(reason).contains("65535"))
    );
    // Everything after it in that direction is ignored, quietly.
    assert!(d.feed(C, &[22, 3, 1, 0, 1, 1]).is_empty());
    // The other direction is unaffected.
    assert_eq!(d.feed(S, &[21, 3, 3, 0, 2, 2, 40]).len(), 2);
}

#[test]
fn the_largest_handshake_message_is_reassembled_and_a_larger_one_is_refused() {
    for (length, expect_ok) in [
        (tls::MAX_HANDSHAKE_MESSAGE, true),
        (tls::MAX_HANDSHAKE_MESSAGE + 1, false),
    ] {
        let mut stream = vec![99, (length >> 16) as u8, (length >> 8) as u8, length as u8];
        stream.resize(4 + length, 0x11);
        let mut d = Dissector::new_tls();
        let mut items = Vec::new();
        for part in stream.chunks(16384) {
            let mut record = vec![22, 3, 3];
            record.extend_from_slice(&(part.len() as u16).to_be_bytes());
            record.extend_from_slice(part);
            items.extend(d.feed(S, &record));
            assert!(d.buffered() <= BUFFER_BOUND);
        }
        let got_message = items.contains(&Item::TlsHandshake {
            dir: S,
            offset: 5,
            message: Handshake::Other(99),
        });
        assert_eq!(got_message, expect_ok, "length {length}");
        assert_eq!(
            undecodable(&items).len(),
            usize::from(!expect_ok),
            "length {length}"
        );
    }
}

#[test]
fn a_client_that_never_waits_is_given_up_after_the_hold_limit() {
    let mut d = Dissector::new();
    d.feed(S, greeting().1.as_slice());
    let mut items = d.feed(C, b"STLS\r\n");
    for _ in 0..100 {
        items.extend(d.feed(C, &[0x16; 10_000]));
        assert!(d.buffered() <= BUFFER_BOUND);
    }
    assert_eq!(undecodable(&items).len(), 1);
    let after = d.feed(S, b"+OK begin TLS negotiation\r\n");
    let offset = (greeting().1.len() + "+OK begin TLS negotiation\r\n".len()) as u64;
    assert!(after.contains(&Item::SwitchToTls { dir: S, offset }));
    assert!(d.feed(C, &[0x16; 100]).is_empty());
}

// ---------------------------------------------------------------------------
// Property tests: no panic, bounded memory, chunking does not matter
// ---------------------------------------------------------------------------

/// Cut `bytes` at the given points (taken modulo its length).
fn recut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    if bytes.is_empty() {
        return vec![Vec::new()];
    }
    let mut points: Vec<usize> = cuts.iter().map(|c| c % bytes.len()).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|w| bytes[w[0]..w[1]].to_vec())
        .collect()
}

/// The same capture with every chunk cut into smaller ones.
fn rechunk(capture: &Capture, cuts: &[usize]) -> Capture {
    let mut out = Vec::new();
    for (i, (dir, bytes)) in capture.iter().enumerate() {
        let shifted: Vec<usize> = cuts.iter().map(|c| c.wrapping_add(i * 7919)).collect();
        for piece in recut(bytes, &shifted) {
            out.push((*dir, piece));
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, usize, u8),
    Insert(usize, usize, u8),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>(), 1u8..=255).prop_map(|(c, p, x)| Mutation::Flip(c, p, x)),
        (any::<usize>(), any::<usize>(), any::<u8>())
            .prop_map(|(c, p, x)| Mutation::Insert(c, p, x)),
        (any::<usize>(), any::<usize>()).prop_map(|(c, p)| Mutation::Delete(c, p)),
    ]
}

fn mutate(capture: &mut Capture, m: &Mutation) {
    let n = capture.len();
    let (c, p) = match m {
        Mutation::Flip(c, p, _) | Mutation::Insert(c, p, _) | Mutation::Delete(c, p) => (*c, *p),
    };
    let bytes = &mut capture[c % n].1;
    if bytes.is_empty() {
        return;
    }
    let p = p % bytes.len();
    match m {
        Mutation::Flip(_, _, x) => bytes[p] ^= x,
        Mutation::Insert(_, _, x) => bytes.insert(p, *x),
        Mutation::Delete(_, _) => {
            bytes.remove(p);
        }
    }
}

/// Bytes that push the dissector into its less common states more often
/// than uniform noise would.
fn interesting_chunk() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"+OK\r\n".to_vec()),
        Just(b"+OK x <a@b>\r\n".to_vec()),
        Just(b"-ERR\r\n".to_vec()),
        Just(b"+ \r\n".to_vec()),
        Just(b".\r\n".to_vec()),
        Just(b"..x\r\n".to_vec()),
        Just(b"STLS\r\n".to_vec()),
        Just(b"AUTH PLAIN\r\n".to_vec()),
        Just(b"AUTH LOGIN\r\n".to_vec()),
        Just(b"AUTH\r\n".to_vec()),
        Just(b"RETR 1\r\n".to_vec()),
        Just(b"CAPA\r\n".to_vec()),
        Just(b"USER a\r\nPASS b\r\n".to_vec()),
        Just(b"AGFsaWNlAHdvbmRlcmxhbmQ=\r\n".to_vec()),
        Just(vec![22, 3, 1, 0, 4, 1, 0, 0, 0]),
        Just(vec![22, 3, 3, 0, 4, 2, 0, 0, 0]),
        Just(vec![20, 3, 3, 0, 1, 1]),
        Just(vec![21, 3, 3, 0, 2, 2, 40]),
        Just(vec![23, 3, 3, 0, 3, 9, 9, 9]),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(token, 0..12).prop_map(|t| t.concat())
}

fn random_capture() -> impl Strategy<Value = Capture> {
    let dir = prop_oneof![Just(C), Just(S)];
    proptest::collection::vec(
        (
            dir,
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                interesting_chunk()
            ],
        ),
        0..30,
    )
}

fn check(make: fn() -> Dissector, capture: &Capture, cuts: &[usize]) -> Result<(), TestCaseError> {
    let mut whole = make();
    let mut items = Vec::new();
    for (dir, bytes) in capture {
        items.extend(whole.feed(*dir, bytes));
        prop_assert!(whole.buffered() <= BUFFER_BOUND);
    }
    let mut cut = make();
    let mut cut_items = Vec::new();
    for (dir, bytes) in rechunk(capture, cuts) {
        cut_items.extend(cut.feed(dir, &bytes));
        prop_assert!(cut.buffered() <= BUFFER_BOUND);
    }
    prop_assert_eq!(&items, &cut_items);
    prop_assert_eq!(whole.loot(), cut.loot());
    let _ = summary(whole.loot());
    Ok(())
}

proptest! {

    #[test]
    fn random_bytes_never_panic_and_chunking_does_not_matter(
        capture in random_capture(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        check(Dissector::new, &capture, &cuts)?;
        check(Dissector::new_tls, &capture, &cuts)?;
    }

    #[test]
    fn mutated_real_captures_never_panic_and_chunking_does_not_matter(
        which in 0usize..9,
        mutations in proptest::collection::vec(mutation(), 1..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let (_, make, mut capture) = all_captures().swap_remove(which);
        for m in &mutations {
            mutate(&mut capture, m);
        }
        check(make, &capture, &cuts)?;
    }
}
