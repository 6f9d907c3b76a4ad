//! The byte view's annotation of a real ClientHello and ServerHello
//! against Wireshark's own dissection of the same capture: suites,
//! extensions in order, versions, groups, signature algorithms, key shares
//! and the server name must match field for field. The capture is a
//! `popscope demo pop3s --pcap` run; tshark reads it as any capture.

#[path = "common/tool.rs"]
mod tool;

use std::path::Path;
use std::process::Command;

use popscope::wire::annotate::{self, Era, Field, Value, What};

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

fn have_tshark() -> bool {
    tool::available("tshark", "-v", "tshark")
}

/// tshark's fields of the packet holding handshake message `msg_type`:
/// each field's occurrences, split at commas.
fn tshark_fields(file: &Path, msg_type: u8, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(file)
        .args(["-o", "tls.keylog_file:"])
        .args(["-Y", &format!("tls.handshake.type == {msg_type}")])
        .args(["-T", "fields", "-E", "occurrence=a", "-E", "separator=\t"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().next().expect("tshark found the message");
    line.split('\t')
        .map(|v| {
            if v.is_empty() {
                Vec::new()
            } else {
                v.split(',').map(str::to_owned).collect()
            }
        })
        .collect()
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

/// The values of every field of kind `what`, in order.
fn values(tree: &Field, what: What) -> Vec<Value> {
    find(tree, what).iter().map(|f| f.value.clone()).collect()
}

/// The extension types of the tree, in order, as tshark prints them.
fn extension_types(tree: &Field) -> Vec<String> {
    values(tree, What::Extension)
        .iter()
        .map(|v| match v {
            Value::ExtensionType(x) => x.to_string(),
            other => panic!("an extension without a type: {other:?}"),
        })
        .collect()
}

/// The leaf values of kind `what` inside extension `ext`.
fn in_extension(tree: &Field, ext: u16, what: What) -> Vec<Value> {
    find(tree, What::Extension)
        .into_iter()
        .filter(|e| e.value == Value::ExtensionType(ext))
        .flat_map(|e| find(e, what))
        .filter(|f| f.parts.is_empty())
        .map(|f| f.value.clone())
        .collect()
}

fn hex16(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| match v {
            Value::Suite(x) | Value::Version(x) | Value::Group(x) | Value::Scheme(x) => {
                format!("0x{x:04x}")
            }
            other => panic!("not a u16 value: {other:?}"),
        })
        .collect()
}

/// The first record of the TCP payload tshark shows in hex.
fn first_record(payload_hex: &str) -> Vec<u8> {
    let bytes = hex::decode(payload_hex.replace(':', "")).unwrap();
    let n = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    bytes[..n].to_vec()
}

#[test]
fn the_hellos_match_tsharks_dissection_field_for_field() {
    if !have_tshark() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pop3s.pcapng");
    let out = Command::new(BIN)
        .args(["demo", "pop3s", "--pcap"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let t = tshark_fields(
        &file,
        1,
        &[
            "tcp.payload",
            "tls.handshake.ciphersuite",
            "tls.handshake.extension.type",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.extensions_supported_group",
            "tls.handshake.sig_hash_alg",
            "tls.handshake.extensions_key_share_group",
            "tls.handshake.extensions_key_share_key_exchange_length",
            "tls.handshake.extensions_server_name",
        ],
    );
    let record = first_record(&t[0][0]);
    let tree = annotate::record(&record, Era::Tls13, false);
    assert_eq!(
        hex16(&values(&tree, What::CipherSuite)),
        t[1],
        "cipher suites"
    );
    let extensions = extension_types(&tree);
    assert_eq!(extensions, t[2], "extensions in order");
    assert_eq!(
        hex16(&in_extension(&tree, 43, What::Version)),
        t[3],
        "versions"
    );
    assert_eq!(hex16(&in_extension(&tree, 10, What::Group)), t[4], "groups");
    assert_eq!(
        hex16(&in_extension(&tree, 13, What::SignatureScheme)),
        t[5],
        "signature algorithms"
    );
    let shares = find(&tree, What::KeyShareEntry)
        .into_iter()
        .filter(|f| f.value != Value::None);
    let (groups, lens): (Vec<String>, Vec<String>) = shares
        .map(|s| {
            let Value::Group(g) = s.value else {
                unreachable!()
            };
            let key = find(s, What::PublicKey)
                .into_iter()
                .find(|k| k.parts.is_empty())
                .unwrap();
            (g.to_string(), key.len.to_string())
        })
        .unzip();
    assert_eq!(groups, t[6], "key share groups");
    assert_eq!(lens, t[7], "key share lengths");
    assert_eq!(
        in_extension(&tree, 0, What::ServerName),
        t[8].iter()
            .map(|n| Value::Text(n.clone()))
            .collect::<Vec<_>>(),
        "server name"
    );

    let t = tshark_fields(
        &file,
        2,
        &[
            "tcp.payload",
            "tls.handshake.ciphersuite",
            "tls.handshake.extension.type",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.extensions_key_share_group",
            "tls.handshake.extensions_key_share_key_exchange_length",
        ],
    );
    let record = first_record(&t[0][0]);
    let tree = annotate::record(&record, Era::Tls13, false);
    assert_eq!(
        hex16(&values(&tree, What::CipherSuite)),
        t[1],
        "chosen suite"
    );
    let extensions = extension_types(&tree);
    // tshark lists the extensions of every message in the packet, and it
    // decrypts the EncryptedExtensions that follow the ServerHello with
    // the secrets inside the capture; the ServerHello's come first.
    assert!(!extensions.is_empty());
    assert_eq!(
        extensions[..],
        t[2][..extensions.len()],
        "server extensions in order"
    );
    assert_eq!(
        hex16(&in_extension(&tree, 43, What::Version)),
        t[3],
        "version"
    );
    let share = find(&tree, What::KeyShareEntry)[0];
    assert_eq!(share.value, Value::Group(t[4][0].parse().unwrap()), "group");
    let key = find(share, What::PublicKey)
        .into_iter()
        .find(|k| k.parts.is_empty())
        .unwrap();
    assert_eq!(key.len.to_string(), t[5][0], "key length");
}
