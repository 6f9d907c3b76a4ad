//! The key schedule against real rustls handshakes, in TLS 1.3 and 1.2:
//! the keys `wire::schedule` derives from the client's key log open the
//! records with ring directly (not through the decryptor), the decrypted
//! Certificate is the server's certificate on disk, and each Finished
//! verifies against the transcript of the messages before it, and stops
//! verifying when one transcript byte changes.

use popscope::tls::{HandshakeBytes, ensure_demo_pki, handshake_in_memory};
use popscope::wire::Direction;
use popscope::wire::decrypt::{KeyLog, label};
use popscope::wire::schedule::{
    self, Schedule, ScheduleError, Suite, check_finished, finished_12, finished_13, verify_finished,
};
use popscope::wire::steps::{Follower, StepKind};
use popscope::wire::tls::{Handshake, TLS12, TLS13, decode_handshake, hello_random};
use ring::aead;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// One record of a flight: its header and body.
struct Rec<'a> {
    header: [u8; 5],
    body: &'a [u8],
}

/// The records of a byte stream that holds whole records only.
fn records(mut bytes: &[u8]) -> Vec<Rec<'_>> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let n = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        assert!(bytes.len() >= n, "a cut record");
        out.push(Rec {
            header: bytes[..5].try_into().unwrap(),
            body: &bytes[5..n],
        });
        bytes = &bytes[n..];
    }
    assert!(bytes.is_empty(), "trailing bytes");
    out
}

/// Whole handshake messages, each with its 4-byte header.
fn messages(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let n =
            4 + (usize::from(bytes[1]) << 16 | usize::from(bytes[2]) << 8 | usize::from(bytes[3]));
        out.push(bytes[..n].to_vec());
        bytes = &bytes[n..];
    }
    out
}

/// What the hellos said.
struct Hellos {
    client_random: [u8; 32],
    server_random: [u8; 32],
    version: u16,
    suite: u16,
}

fn hellos(h: &HandshakeBytes) -> Hellos {
    let ch = &messages(records(&h.client_first)[0].body)[0];
    let sh = &messages(records(&h.server)[0].body)[0];
    let Ok(Handshake::ServerHello {
        version,
        cipher_suite,
        ..
    }) = decode_handshake(sh[0], &sh[4..], None)
    else {
        panic!("no ServerHello");
    };
    Hellos {
        client_random: hello_random(&ch[4..]).unwrap(),
        server_random: hello_random(&sh[4..]).unwrap(),
        version,
        suite: cipher_suite,
    }
}

/// The test's own table of the AEAD of each suite, written out here so the
/// records are opened without the decryptor's or the schedule's view.
fn aead_of(suite: u16) -> (&'static aead::Algorithm, bool) {
    match suite {
        0x1301 => (&aead::AES_128_GCM, false),
        0x1302 => (&aead::AES_256_GCM, false),
        0x1303 => (&aead::CHACHA20_POLY1305, false),
        0xc02b | 0xc02f => (&aead::AES_128_GCM, true),
        0xc02c | 0xc030 => (&aead::AES_256_GCM, true),
        0xcca8 | 0xcca9 => (&aead::CHACHA20_POLY1305, false),
        other => panic!("suite {other:#06x} not in the test's table"),
    }
}

fn xor_nonce(iv: &[u8], seq: u64) -> aead::Nonce {
    let mut nonce: [u8; 12] = iv.try_into().unwrap();
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    aead::Nonce::assume_unique_for_key(nonce)
}

/// Open a TLS 1.3 record with ring: nonce = iv XOR seq, additional data =
/// the record header; returns the inner content type and the content.
fn open13(
    alg: &'static aead::Algorithm,
    key: &[u8],
    iv: &[u8],
    seq: u64,
    r: &Rec,
) -> (u8, Vec<u8>) {
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(alg, key).unwrap());
    let mut body = r.body.to_vec();
    let n = key
        .open_in_place(xor_nonce(iv, seq), aead::Aad::from(r.header), &mut body)
        .expect("the record opens with the schedule's key and iv")
        .len();
    body.truncate(n);
    let end = body.iter().rposition(|&b| b != 0).unwrap();
    let inner = body[end];
    body.truncate(end);
    (inner, body)
}

/// Open a TLS 1.2 record with ring: for AES-GCM the nonce is the 4-byte
/// implicit IV then the record's 8-byte explicit nonce, for ChaCha20 the
/// IV XOR seq; additional data = seq, type, version, plaintext length.
fn open12(suite: u16, key: &[u8], iv: &[u8], seq: u64, r: &Rec) -> Vec<u8> {
    let (alg, explicit) = aead_of(suite);
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(alg, key).unwrap());
    let (nonce, cipher) = if explicit {
        let nonce: [u8; 12] = [iv, &r.body[..8]].concat().try_into().unwrap();
        (aead::Nonce::assume_unique_for_key(nonce), &r.body[8..])
    } else {
        (xor_nonce(iv, seq), r.body)
    };
    let plain_len = (cipher.len() - alg.tag_len()) as u16;
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&r.header[..3]);
    aad.extend_from_slice(&plain_len.to_be_bytes());
    let mut body = cipher.to_vec();
    let n = key
        .open_in_place(nonce, aead::Aad::from(aad), &mut body)
        .expect("the record opens with the key block's key and iv")
        .len();
    body.truncate(n);
    body
}

fn handshake(
    version: &'static rustls::SupportedProtocolVersion,
) -> (tempfile::TempDir, HandshakeBytes) {
    let dir = tempfile::tempdir().unwrap();
    let h = handshake_in_memory(dir.path(), version).unwrap();
    (dir, h)
}

/// The server's first encrypted flight in TLS 1.3, opened with the
/// schedule's SERVER_HANDSHAKE_TRAFFIC_SECRET key and iv and ring alone,
/// record after record (sequence 0, 1, …) up to its Finished.
fn server_handshake_messages_13(h: &HandshakeBytes) -> Vec<Vec<u8>> {
    let hello = hellos(h);
    assert_eq!(hello.version, TLS13);
    let s = schedule::tls13(&h.keys, hello.suite, &hello.client_random).unwrap();
    let k = s
        .secret(label::SERVER_HANDSHAKE)
        .unwrap()
        .keys
        .clone()
        .expect("rustls logs the server handshake secret");
    assert_eq!(k.key.len, aead_of(hello.suite).0.key_len());
    let (alg, _) = aead_of(hello.suite);
    let mut plain = Vec::new();
    let encrypted = records(&h.server)
        .into_iter()
        .filter(|r| r.header[0] == 23)
        .enumerate();
    for (seq, r) in encrypted {
        let (inner, content) = open13(alg, &k.key.value, &k.iv.value, seq as u64, &r);
        assert_eq!(inner, 22, "handshake records under the handshake key");
        plain.extend_from_slice(&content);
        if messages_complete(&plain).iter().any(|m| m[0] == 20) {
            break;
        }
    }
    messages(&plain)
}

/// The messages so far, if the bytes end on a message boundary.
fn messages_complete(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let n = 4
            + (usize::from(bytes[at + 1]) << 16
                | usize::from(bytes[at + 2]) << 8
                | usize::from(bytes[at + 3]));
        if at + n > bytes.len() {
            return Vec::new();
        }
        at += n;
    }
    if at == bytes.len() {
        messages(bytes)
    } else {
        Vec::new()
    }
}

#[test]
fn tls13_server_handshake_key_and_iv_open_the_first_encrypted_server_record_directly() {
    let (_dir, h) = handshake(&rustls::version::TLS13);
    let msgs = server_handshake_messages_13(&h);
    // EncryptedExtensions, Certificate, CertificateVerify, Finished.
    let types: Vec<u8> = msgs.iter().map(|m| m[0]).collect();
    assert_eq!(types, [8, 11, 15, 20]);
    // The client's key opens the client's first encrypted record, its
    // Finished; a wrong key (the server's) does not.
    let hello = hellos(&h);
    let s = schedule::tls13(&h.keys, hello.suite, &hello.client_random).unwrap();
    let client = s
        .secret(label::CLIENT_HANDSHAKE)
        .unwrap()
        .keys
        .clone()
        .unwrap();
    let first = records(&h.client)
        .into_iter()
        .find(|r| r.header[0] == 23)
        .unwrap();
    let (alg, _) = aead_of(hello.suite);
    let (inner, content) = open13(alg, &client.key.value, &client.iv.value, 0, &first);
    assert_eq!((inner, content[0]), (22, 20));
    let server = s
        .secret(label::SERVER_HANDSHAKE)
        .unwrap()
        .keys
        .clone()
        .unwrap();
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(alg, &server.key.value).unwrap());
    let mut body = first.body.to_vec();
    assert!(
        key.open_in_place(
            xor_nonce(&server.iv.value, 0),
            aead::Aad::from(first.header),
            &mut body
        )
        .is_err()
    );
}

#[test]
fn tls12_key_block_opens_both_finished_records_directly() {
    let (_dir, h) = handshake(&rustls::version::TLS12);
    let hello = hellos(&h);
    assert_eq!(hello.version, TLS12);
    let s = schedule::tls12(
        &h.keys,
        hello.suite,
        &hello.client_random,
        &hello.server_random,
    )
    .unwrap();
    let block = s.keys.expect("rustls logs the master secret").key_block;
    let (alg, explicit) = aead_of(hello.suite);
    assert_eq!(block.client_write_key.len, alg.key_len());
    assert_eq!(block.client_write_iv.len, if explicit { 4 } else { 12 });
    for (stream, key, iv) in [
        (&h.client, &block.client_write_key, &block.client_write_iv),
        (&h.server, &block.server_write_key, &block.server_write_iv),
    ] {
        // The first record after this side's ChangeCipherSpec is its
        // Finished, at sequence 0.
        let recs = records(stream);
        let ccs = recs.iter().position(|r| r.header[0] == 20).unwrap();
        let plain = open12(hello.suite, &key.value, &iv.value, 0, &recs[ccs + 1]);
        assert_eq!(&plain[..4], &[20, 0, 0, 12]);
    }
}

#[test]
fn tls13_decrypted_certificate_is_the_server_certificate_on_disk() {
    let (dir, h) = handshake(&rustls::version::TLS13);
    let msgs = server_handshake_messages_13(&h);
    let cert = msgs.iter().find(|m| m[0] == 11).unwrap();
    let on_disk = ensure_demo_pki(dir.path()).unwrap().server_cert;
    let leaf = CertificateDer::pem_file_iter(&on_disk)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    // Certificate (RFC 8446 §4.4.2): context, then the list's 3-byte
    // length, then each entry's 3-byte length and DER bytes.
    let body = &cert[4..];
    let at = 1 + usize::from(body[0]) + 3;
    let len =
        usize::from(body[at]) << 16 | usize::from(body[at + 1]) << 8 | usize::from(body[at + 2]);
    assert_eq!(&body[at + 3..at + 3 + len], leaf.as_ref());
    // And the endpoints' view read the same bytes.
    let transcript = transcript(&h);
    let via_decryptor = transcript
        .iter()
        .find(|(_, m)| m[0] == 11)
        .map(|(_, m)| m)
        .unwrap();
    assert_eq!(via_decryptor, cert);
}

/// Every handshake message of the connection in wire order, as the
/// endpoints' view (`wire::steps`) reads them: the encrypted ones opened
/// with the client's key log.
fn transcript(h: &HandshakeBytes) -> Vec<(Direction, Vec<u8>)> {
    let mut f = Follower::new(true);
    let mut out = Vec::new();
    for (dir, flight) in &h.flights {
        for o in f.feed(*dir, flight, Some(&h.keys)) {
            if let StepKind::Handshake { .. } = o.step.kind {
                out.push((o.step.dir, o.step.bytes));
            }
        }
    }
    out
}

/// The Finished sent in `dir`: its index in the transcript.
fn finished_at(t: &[(Direction, Vec<u8>)], dir: Direction) -> usize {
    t.iter().position(|(d, m)| *d == dir && m[0] == 20).unwrap()
}

/// Check one Finished against the messages before it, then again with one
/// byte of the ClientHello's random changed.
fn check(t: &[(Direction, Vec<u8>)], at: usize, expect: impl Fn(&[&[u8]]) -> Vec<u8>) {
    let before: Vec<&[u8]> = t[..at].iter().map(|(_, m)| m.as_slice()).collect();
    let body = &t[at].1[4..];
    let good = check_finished(expect(&before), body);
    assert!(good.verifies, "{good:?}");
    let mut hello = t[0].1.clone();
    hello[10] ^= 1;
    let mut altered = before.clone();
    altered[0] = &hello;
    assert!(!check_finished(expect(&altered), body).verifies);
}

#[test]
fn tls13_finished_of_both_sides_verifies_and_a_changed_transcript_byte_does_not() {
    let (_dir, h) = handshake(&rustls::version::TLS13);
    let hello = hellos(&h);
    let suite = Suite::of(hello.suite).unwrap();
    let t = transcript(&h);
    let names: Vec<u8> = t.iter().map(|(_, m)| m[0]).collect();
    // ClientHello, ServerHello, EncryptedExtensions, Certificate,
    // CertificateVerify, Finished, Finished, then session tickets.
    assert_eq!(&names[..7], &[1, 2, 8, 11, 15, 20, 20]);
    for (dir, secret_label) in [
        (Direction::ServerToClient, label::SERVER_HANDSHAKE),
        (Direction::ClientToServer, label::CLIENT_HANDSHAKE),
    ] {
        let secret = h.keys.get(secret_label, &hello.client_random).unwrap();
        check(&t, finished_at(&t, dir), |tr| {
            finished_13(suite, secret, tr)
        });
        let at = finished_at(&t, dir);
        let before: Vec<&[u8]> = t[..at].iter().map(|(_, m)| m.as_slice()).collect();
        let found = verify_finished(
            &h.keys,
            TLS13,
            hello.suite,
            &hello.client_random,
            dir,
            &before,
            &t[at].1[4..],
        );
        assert!(found.unwrap().unwrap().verifies);
    }
}

#[test]
fn tls12_finished_of_both_sides_verifies_and_a_changed_transcript_byte_does_not() {
    let (_dir, h) = handshake(&rustls::version::TLS12);
    let hello = hellos(&h);
    let suite = Suite::of(hello.suite).unwrap();
    let t = transcript(&h);
    let names: Vec<u8> = t.iter().map(|(_, m)| m[0]).collect();
    // ClientHello, ServerHello, Certificate, ServerKeyExchange,
    // ServerHelloDone, ClientKeyExchange, Finished, Finished (the lab's
    // server issues no TLS 1.2 session tickets).
    assert_eq!(names, [1, 2, 11, 12, 14, 16, 20, 20]);
    let master = h
        .keys
        .get(label::CLIENT_RANDOM, &hello.client_random)
        .unwrap();
    for (dir, client) in [
        (Direction::ClientToServer, true),
        (Direction::ServerToClient, false),
    ] {
        check(&t, finished_at(&t, dir), |tr| {
            finished_12(suite, master, client, tr)
        });
    }
    // The check that looks up the secret itself agrees, and says when
    // the key log lacks it.
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let at = finished_at(&t, dir);
        let before: Vec<&[u8]> = t[..at].iter().map(|(_, m)| m.as_slice()).collect();
        let body = &t[at].1[4..];
        let r = &hello.client_random;
        let found = verify_finished(&h.keys, TLS12, hello.suite, r, dir, &before, body);
        assert!(found.unwrap().unwrap().verifies);
        let none = verify_finished(&KeyLog::new(), TLS12, hello.suite, r, dir, &before, body);
        assert_eq!(none, Ok(None));
    }
    // The other side's label gives other verify_data.
    let at = finished_at(&t, Direction::ClientToServer);
    let before: Vec<&[u8]> = t[..at].iter().map(|(_, m)| m.as_slice()).collect();
    assert!(!check_finished(finished_12(suite, master, false, &before), &t[at].1[4..]).verifies);
}

#[test]
fn a_key_log_without_the_handshake_secrets_shows_them_absent_and_the_rest_present() {
    let (_dir, h) = handshake(&rustls::version::TLS13);
    let hello = hellos(&h);
    let text: String = h
        .keys
        .to_nss_text()
        .lines()
        .filter(|l| !l.contains("HANDSHAKE"))
        .map(|l| format!("{l}\n"))
        .collect();
    let leaked = KeyLog::parse(&text).unwrap();
    let s = schedule::schedule(
        &leaked,
        hello.version,
        hello.suite,
        &hello.client_random,
        &hello.server_random,
    )
    .unwrap();
    let Schedule::Tls13(s) = s else {
        panic!("not TLS 1.3")
    };
    for t in &s.secrets {
        assert_eq!(
            t.keys.is_some(),
            t.label.contains("TRAFFIC_SECRET_0"),
            "{}",
            t.label
        );
    }
    // The same session with a suite the schedule does not know.
    assert_eq!(
        schedule::schedule(
            &leaked,
            TLS13,
            0x00ff,
            &hello.client_random,
            &hello.server_random
        ),
        Err(ScheduleError::UnsupportedSuite { suite: 0x00ff })
    );
}
