use proptest::prelude::*;

use super::*;

const RANDOM: [u8; 32] = [7; 32];

#[test]
fn key_log_text_is_read_with_comments_and_blank_lines() {
    let text = format!(
        "# written by rustls\n\n  CLIENT_RANDOM {r} {m}\r\nSERVER_TRAFFIC_SECRET_0 {r} {s}\n",
        r = hex::encode(RANDOM),
        m = "ab".repeat(48),
        s = "cd".repeat(32),
    );
    let log = KeyLog::parse(&text).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log.get(label::CLIENT_RANDOM, &RANDOM),
        Some(&[0xab; 48][..])
    );
    assert_eq!(
        log.get(label::SERVER_TRAFFIC_0, &RANDOM),
        Some(&[0xcd; 32][..])
    );
    assert_eq!(log.get(label::CLIENT_TRAFFIC_0, &RANDOM), None);
    // The text written back reads back the same.
    assert_eq!(KeyLog::parse(&log.to_nss_text()).unwrap(), log);
    // Debug never shows a secret.
    assert!(!format!("{log:?}").contains("abab"));
}

#[test]
fn key_log_errors_name_the_line() {
    let r = hex::encode(RANDOM);
    let cases = [
        (
            format!("# ok\nCLIENT_RANDOM {r}\n"),
            2,
            EntryError::FieldCount(2),
        ),
        (
            format!("\n\nCLIENT_RANDOM {r} zz\n"),
            3,
            EntryError::NotHex("secret"),
        ),
        (
            "CLIENT_RANDOM abcd 00\n".to_string(),
            1,
            EntryError::ClientRandomLength(2),
        ),
        (
            format!("CLIENT_RANDOM {} 00\n", "g".repeat(64)),
            1,
            EntryError::NotHex("client random"),
        ),
        (
            format!("CLIENT_RANDOM {r} {}\n", "00".repeat(65)),
            1,
            EntryError::SecretLength(65),
        ),
        (
            format!("CLIENT_RANDOM {r} {}\n", "00".repeat(100_000)),
            1,
            EntryError::SecretLength(100_000),
        ),
        (format!("A B {r} 00\n"), 1, EntryError::FieldCount(4)),
    ];
    for (text, line, problem) in cases {
        let e = KeyLog::parse(&text).unwrap_err();
        assert_eq!(e, KeyLogError { line, problem }, "{text:.80}");
        assert!(e.to_string().starts_with(&format!("key log line {line}: ")));
    }
    let mut log = KeyLog::new();
    assert_eq!(log.insert("", &RANDOM, &[1]), Err(EntryError::BadLabel));
    assert_eq!(
        log.insert("A\u{7f}", &RANDOM, &[1]),
        Err(EntryError::BadLabel)
    );
    assert_eq!(
        log.insert("X", &RANDOM, &[]),
        Err(EntryError::SecretLength(0))
    );
    assert!(log.is_empty());
}

fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    record(22, &m)
}

fn client_hello() -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&RANDOM);
    b.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    handshake(1, &b)
}

/// A ServerHello choosing `suite`, with supported_versions = `version`.
fn server_hello(suite: u16, version: u16) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[9; 32]);
    b.push(0);
    b.extend_from_slice(&suite.to_be_bytes());
    b.push(0);
    b.extend_from_slice(&[0, 6, 0, 43, 0, 2]);
    b.extend_from_slice(&version.to_be_bytes());
    handshake(2, &b)
}

fn tls13_keys() -> KeyLog {
    let mut keys = KeyLog::new();
    for l in [
        label::CLIENT_HANDSHAKE,
        label::SERVER_HANDSHAKE,
        label::CLIENT_TRAFFIC_0,
        label::SERVER_TRAFFIC_0,
    ] {
        keys.insert(l, &RANDOM, &[1; 32]).unwrap();
    }
    keys
}

fn reasons(d: &mut Decryptor, dir: Direction, bytes: &[u8]) -> Vec<Failure> {
    d.feed(dir, bytes)
        .into_iter()
        .map(|o| match o {
            Outcome::Failed(f) => f.reason,
            Outcome::Opened(r) => panic!("opened {r:?}"),
            Outcome::Clear(r) => panic!("a cleartext record reported unasked: {r:?}"),
        })
        .collect()
}

#[test]
fn records_that_cannot_be_opened_say_why() {
    let c = Direction::ClientToServer;
    let s = Direction::ServerToClient;
    // Encrypted-looking data before any ServerHello.
    let mut d = Decryptor::new(tls13_keys(), true);
    assert_eq!(
        reasons(&mut d, s, &record(23, &[0; 40])),
        [Failure::NoServerHello]
    );
    // A TLS 1.3 session: too short, then a forged body.
    let mut d = Decryptor::new(tls13_keys(), true);
    assert!(reasons(&mut d, c, &client_hello()).is_empty());
    assert!(reasons(&mut d, s, &server_hello(0x1301, 0x0304)).is_empty());
    // change_cipher_spec in TLS 1.3 is counted and ignored.
    assert!(reasons(&mut d, c, &record(20, &[1])).is_empty());
    assert_eq!(d.session.change_cipher_spec, 1);
    assert_eq!(
        reasons(&mut d, s, &record(23, &[0; 10])),
        [Failure::TooShort { len: 10 }]
    );
    assert_eq!(
        reasons(&mut d, s, &record(23, &[0; 40])),
        [Failure::TagMismatch]
    );
    // A missing secret is named.
    let mut d = Decryptor::new(KeyLog::new(), true);
    d.feed(c, &client_hello());
    d.feed(s, &server_hello(0x1301, 0x0304));
    assert_eq!(
        reasons(&mut d, c, &record(23, &[0; 40])),
        [Failure::NoKey {
            label: label::CLIENT_HANDSHAKE,
            client_random: hex::encode(RANDOM),
        }]
    );
    // A suite rustls does not offer (TLS_AES_128_CCM_SHA256).
    let mut d = Decryptor::new(tls13_keys(), true);
    d.feed(c, &client_hello());
    d.feed(s, &server_hello(0x1304, 0x0304));
    let r = reasons(&mut d, s, &record(23, &[0; 40]));
    assert_eq!(r, [Failure::UnsupportedSuite { suite: 0x1304 }]);
    assert!(r[0].to_string().contains("TLS13_AES_128_CCM_SHA256"));
    // TLS 1.1: encrypted after ChangeCipherSpec, but not decryptable here.
    let mut d = Decryptor::new(tls13_keys(), true);
    d.feed(c, &client_hello());
    d.feed(s, &server_hello(0xc02b, 0x0302));
    d.feed(s, &record(20, &[1]));
    assert_eq!(
        reasons(&mut d, s, &record(22, &[0; 40])),
        [Failure::UnsupportedVersion { version: 0x0302 }]
    );
    // TLS 1.2 application data before ChangeCipherSpec.
    assert_eq!(
        reasons(&mut d, c, &record(23, &[0; 40])),
        [Failure::BeforeChangeCipherSpec]
    );
    // No ClientHello: nothing to look the keys up by.
    let mut d = Decryptor::new(tls13_keys(), true);
    d.feed(s, &server_hello(0x1301, 0x0304));
    assert_eq!(
        reasons(&mut d, s, &record(23, &[0; 40])),
        [Failure::NoClientHello]
    );
    // Bytes that are not TLS: the direction stops, once.
    let r = reasons(&mut d, c, b"USER alice\r\nPASS wonderland\r\n");
    assert!(matches!(&r[..], [Failure::Framing { .. }]), "{r:?}");
    assert!(reasons(&mut d, c, &record(23, &[0; 40])).is_empty());
}

#[test]
fn a_connection_without_stls_stays_pop3() {
    let mut d = Decryptor::new(tls13_keys(), false);
    let s = Direction::ServerToClient;
    let c = Direction::ClientToServer;
    assert!(d.feed(s, b"+OK ready\r\n").is_empty());
    assert!(d.feed(c, b"STLS\r\n").is_empty());
    assert!(d.feed(s, b"-ERR not here\r\n").is_empty());
    assert!(d.feed(c, &record(23, &[0; 40])).is_empty());
    assert!(!d.tls_started);
    // Accepted: records from the byte after +OK's line end.
    let mut d = Decryptor::new(tls13_keys(), false);
    d.feed(s, b"+OK <1.2@x> ready\r\n");
    d.feed(c, b"STLS\r\n");
    d.feed(c, &client_hello());
    let mut reply = b"+OK go ahead\r\n".to_vec();
    reply.extend(server_hello(0x1301, 0x0304));
    reply.extend(record(23, &[0; 40]));
    let r = reasons(&mut d, s, &reply);
    assert_eq!(r, [Failure::TagMismatch]);
    assert_eq!(d.client_random(), Some(RANDOM));
    assert_eq!(d.timestamp.as_deref(), Some("<1.2@x>"));
}

#[test]
fn outcomes_serialize_for_the_json_transcript() {
    let opened = Outcome::Opened(OpenedRecord {
        dir: Direction::ClientToServer,
        offset: 517,
        epoch: Epoch::Application { generation: 0 },
        seq: 3,
        content_type: ContentType::ApplicationData,
        plaintext: b"PASS wonderland\r\n".to_vec(),
        header: RecordHeader {
            content_type: ContentType::ApplicationData,
            version: 0x0303,
            length: 34,
        },
    });
    let json = serde_json::to_value(&opened).unwrap();
    assert_eq!(json["outcome"], "opened");
    assert_eq!(json["dir"], "client_to_server");
    assert_eq!(json["epoch"]["keys"], "application");
    assert_eq!(json["epoch"]["generation"], 0);
    assert_eq!(json["plaintext"], hex::encode("PASS wonderland\r\n"));
    assert_eq!(json["header"]["length"], 34);
    let failed = Outcome::Failed(FailedRecord {
        dir: Direction::ServerToClient,
        offset: 9,
        epoch: Some(Epoch::Handshake),
        seq: Some(0),
        reason: Failure::NoKey {
            label: label::SERVER_HANDSHAKE,
            client_random: hex::encode(RANDOM),
        },
    });
    let json = serde_json::to_value(&failed).unwrap();
    assert_eq!(json["outcome"], "failed");
    assert_eq!(json["reason"]["kind"], "no_key");
    assert_eq!(json["reason"]["label"], label::SERVER_HANDSHAKE);
}

#[test]
fn the_pop3_inside_stls_has_no_greeting_but_keeps_its_timestamp() {
    let record = |dir, text: &str| OpenedRecord {
        dir,
        offset: 0,
        epoch: Epoch::Application { generation: 0 },
        seq: 0,
        content_type: ContentType::ApplicationData,
        plaintext: text.as_bytes().to_vec(),
        header: RecordHeader {
            content_type: ContentType::ApplicationData,
            version: 0x0303,
            length: text.len() as u16 + 17,
        },
    };
    let (c, s) = (Direction::ClientToServer, Direction::ServerToClient);
    let d = Decryption {
        opened: vec![
            record(c, "CAPA\r\n"),
            record(s, "+OK capabilities\r\nUSER\r\n.\r\n"),
            record(c, "APOP alice c4c9334bac560ecc979e58001b3e22fb\r\n"),
            record(s, "+OK maildrop ready\r\n"),
            record(c, "RETR 1\r\n"),
            record(s, "+OK\r\nSubject: inside\r\n\r\nhi\r\n.\r\n"),
        ],
        failed: Vec::new(),
        tls_started: true,
        implicit_tls: false,
        version: Some(TLS13),
        suite: Some(0x1301),
        client_random: None,
        change_cipher_spec: 0,
        cleartext_records: 0,
        timestamp: Some("<1.2@x>".into()),
    };
    let (items, loot) = d.pop3();
    assert!(
        !items.iter().any(|i| matches!(i, Item::Undecodable { .. })),
        "{items:?}"
    );
    assert_eq!(
        loot.apop,
        [(
            "alice".to_string(),
            "c4c9334bac560ecc979e58001b3e22fb".to_string(),
            Some("<1.2@x>".to_string())
        )]
    );
    assert_eq!(loot.messages, [(None, None, Some("inside".to_string()))]);
}

proptest! {
    #[test]
    fn hostile_bytes_never_panic_and_memory_stays_bounded(
        implicit in any::<bool>(),
        prefix in any::<bool>(),
        chunks in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..3000)),
            0..40,
        ),
    ) {
        let mut d = Decryptor::new(tls13_keys(), implicit);
        if prefix {
            if !implicit {
                d.feed(Direction::ServerToClient, b"+OK\r\n");
                d.feed(Direction::ClientToServer, b"STLS\r\n");
                d.feed(Direction::ServerToClient, b"+OK\r\n");
            }
            d.feed(Direction::ClientToServer, &client_hello());
            d.feed(Direction::ServerToClient, &server_hello(0x1301, 0x0304));
        }
        for (up, bytes) in chunks {
            let dir = if up { Direction::ClientToServer } else { Direction::ServerToClient };
            for outcome in d.feed(dir, &bytes) {
                if let Outcome::Opened(r) = outcome {
                    prop_assert!(r.plaintext.len() <= tls::MAX_RECORD_BODY);
                }
            }
            prop_assert!(d.buffered() < 2 * 1024 * 1024, "{}", d.buffered());
        }
    }
}
