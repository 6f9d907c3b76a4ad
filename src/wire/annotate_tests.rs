use super::*;
use crate::wire::tls::{Handshake, decode_handshake};
use proptest::prelude::*;

/// The leaves of a tree (fields with no parts), in order.
fn leaves(f: &Field) -> Vec<&Field> {
    if f.parts.is_empty() {
        return vec![f];
    }
    f.parts.iter().flat_map(leaves).collect()
}

/// Every field lies inside its parent, parts follow one another without
/// overlap or gap, and the leaves cover the root's bytes exactly once.
fn assert_partition(root: &Field, total: usize) {
    fn walk(f: &Field) {
        let mut pos = f.at;
        for p in &f.parts {
            assert_eq!(
                p.at, pos,
                "{:?} at {} leaves a gap or overlaps in {:?}",
                p.what, p.at, f.what
            );
            assert!(
                p.at + p.len <= f.at + f.len,
                "{:?} runs past {:?}",
                p.what,
                f.what
            );
            pos = p.at + p.len;
            walk(p);
        }
        if !f.parts.is_empty() {
            assert_eq!(pos, f.at + f.len, "{:?} is not covered to its end", f.what);
        }
    }
    assert_eq!(root.at + root.len, total);
    walk(root);
    let covered: usize = leaves(root).iter().map(|l| l.len).sum();
    assert_eq!(covered, root.len);
}

/// Split a byte stream into whole records.
fn records(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let n = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(bytes[..n].to_vec());
        bytes = &bytes[n..];
    }
    out
}

/// A real TLS handshake in memory: the client's first flight, and all the
/// server sent.
fn handshake_bytes(
    version: &'static rustls::SupportedProtocolVersion,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let h = crate::tls::handshake_in_memory(dir.path(), version).unwrap();
    (h.client_first, h.client, h.server)
}

fn find(f: &Field, what: What) -> Vec<&Field> {
    let mut out = Vec::new();
    if f.what == what {
        out.push(f);
    }
    for p in &f.parts {
        out.extend(find(p, what));
    }
    out
}

#[test]
fn a_real_client_hello_is_labelled_to_the_byte() {
    let (first, _, _) = handshake_bytes(&rustls::version::TLS13);
    let recs = records(&first);
    let hello = &recs[0];
    let tree = record(hello, Era::Tls13, false);
    assert_partition(&tree, hello.len());
    // The same message as the eavesdropper's dissector reads it.
    let Handshake::ClientHello {
        cipher_suites,
        sni,
        groups,
        signature_algorithms,
        versions,
        ..
    } = decode_handshake(1, &hello[9..], None).unwrap()
    else {
        panic!("not a ClientHello");
    };
    let suites: Vec<Value> = find(&tree, What::CipherSuite)
        .iter()
        .map(|f| f.value.clone())
        .collect();
    assert_eq!(
        suites,
        cipher_suites
            .iter()
            .map(|s| Value::Suite(*s))
            .collect::<Vec<_>>()
    );
    let names: Vec<Value> = find(&tree, What::ServerName)
        .iter()
        .filter(|f| f.parts.is_empty())
        .map(|f| f.value.clone())
        .collect();
    assert_eq!(names, vec![Value::Text(sni.unwrap())]);
    let leaf_values = |what| -> Vec<Value> {
        find(&tree, what)
            .iter()
            .filter(|f| f.parts.is_empty())
            .map(|f| f.value.clone())
            .collect()
    };
    assert_eq!(
        leaf_values(What::Version),
        versions
            .iter()
            .map(|v| Value::Version(*v))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        leaf_values(What::SignatureScheme),
        signature_algorithms
            .iter()
            .map(|v| Value::Scheme(*v))
            .collect::<Vec<_>>()
    );
    // supported_groups (extension 10), in the client's order.
    let ext10 = find(&tree, What::Extension)
        .into_iter()
        .find(|e| e.value == Value::ExtensionType(10))
        .unwrap();
    let listed: Vec<Value> = find(ext10, What::Group)
        .iter()
        .filter(|f| f.parts.is_empty())
        .map(|f| f.value.clone())
        .collect();
    assert_eq!(
        listed,
        groups.iter().map(|g| Value::Group(*g)).collect::<Vec<_>>()
    );
    assert_eq!(find(&tree, What::Random)[0].len, 32);
    let key = find(&tree, What::PublicKey)
        .into_iter()
        .find(|f| f.parts.is_empty())
        .unwrap();
    assert_eq!(key.len, 32, "an X25519 key share is 32 bytes");
    // The record header reads as such.
    assert_eq!(tree.parts[0].value, Value::ContentType(22));
    assert_eq!(tree.parts[0].value.shown(), "22 (handshake)");
}

#[test]
fn a_tls12_server_flight_shows_its_certificate_and_key_exchange() {
    let (_, _, to_client) = handshake_bytes(&rustls::version::TLS12);
    let recs = records(&to_client);
    // ServerHello, Certificate, ServerKeyExchange, ServerHelloDone come in
    // cleartext handshake records before the server's ChangeCipherSpec.
    let mut seen = Vec::new();
    for r in recs.iter().take_while(|r| r[0] == 22) {
        let tree = record(r, Era::Tls12, false);
        assert_partition(&tree, r.len());
        for m in find(&tree, What::Handshake) {
            seen.push(m.value.clone());
        }
        if let Some(subject) = find(&tree, What::Subject).first() {
            assert!(
                subject.value.shown().contains("popscope"),
                "{:?}",
                subject.value
            );
            let sans = find(&tree, What::AltNames);
            assert!(
                sans[0].value.shown().contains("DNS:localhost"),
                "{:?}",
                sans[0].value
            );
            assert!(
                sans[0].value.shown().contains("IP:127.0.0.1"),
                "{:?}",
                sans[0].value
            );
            let key = find(&tree, What::KeyType);
            assert!(
                key[0].value.shown().contains("ecPublicKey"),
                "{:?}",
                key[0].value
            );
        }
        if let Some(g) = find(&tree, What::CurveType).first() {
            assert_eq!(g.value, Value::Code(3));
        }
    }
    assert_eq!(
        seen,
        [2u8, 11, 12, 14].map(Value::HandshakeType).to_vec(),
        "ServerHello, Certificate, ServerKeyExchange, ServerHelloDone"
    );
}

#[test]
fn a_tls13_record_after_the_hello_is_sealed() {
    let (_, _, to_client) = handshake_bytes(&rustls::version::TLS13);
    let recs = records(&to_client);
    let sealed = recs.iter().find(|r| r[0] == 23).unwrap();
    let tree = record(sealed, Era::Tls13, false);
    assert_partition(&tree, sealed.len());
    assert_eq!(tree.parts.last().unwrap().what, What::Ciphertext);
}

#[test]
fn grease_and_unknown_values_are_named_as_such() {
    assert_eq!(extension_name(0x1a1a), "GREASE");
    assert_eq!(extension_name(0x7777), "unknown");
    assert_eq!(Value::Suite(0x2a2a).shown(), "0x2a2a GREASE");
    assert_eq!(Value::ExtensionType(43).shown(), "43 (supported_versions)");
}

#[test]
fn a_short_message_is_marked_truncated_and_nothing_is_lost() {
    // A ClientHello that says 100 bytes and has 10.
    let mut msg = vec![1, 0, 0, 100];
    msg.extend_from_slice(&[3, 3, 1, 2, 3, 4, 5, 6, 7, 8]);
    let tree = handshake(&msg, Era::Tls13);
    assert_partition(&tree, msg.len());
    assert!(!find(&tree, What::Truncated).is_empty(), "{tree:#?}");
}

#[test]
fn every_field_has_words_in_both_languages() {
    for what in What::ALL {
        for lang in [crate::lang::Lang::Ja, crate::lang::Lang::En] {
            let (name_id, why_id) = what.ids();
            let name = crate::i18n::tr(lang, name_id);
            assert!(!name.is_empty() && name != name_id, "{what:?} {lang:?}");
            let why = crate::i18n::tr(lang, why_id);
            assert!(!why.is_empty() && why != why_id, "{what:?} {lang:?}");
        }
    }
}

proptest! {
    #[test]
    fn any_bytes_give_a_whole_tree(bytes in proptest::collection::vec(any::<u8>(), 0..600), era in any::<bool>()) {
        let era = if era { Era::Tls13 } else { Era::Tls12 };
        let tree = record(&bytes, era, false);
        assert_partition(&tree, bytes.len());
        // One message: it ends where its header says, or at the end.
        let tree = handshake(&bytes, era);
        assert!(tree.len <= bytes.len());
        assert_partition(&tree, tree.len);
    }
}
