use proptest::prelude::*;

use super::*;

const CLIENT_RANDOM: [u8; 32] = [1; 32];
const SERVER_RANDOM: [u8; 32] = [2; 32];
/// RFC 8448 §3: the server's handshake traffic secret.
const RFC8448_SERVER_HS: &str = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
const AES_128_GCM_SHA256: u16 = 0x1301;
const AES_256_GCM_SHA384: u16 = 0x1302;
const ECDHE_RSA_AES_128_GCM_SHA256: u16 = 0xc02f;
const ECDHE_ECDSA_CHACHA20: u16 = 0xcca9;

#[test]
fn the_tls12_prf_matches_the_published_test_vector() {
    // The P_SHA256 vector circulated on the TLS working group list
    // (secret, seed and label "test label", 100 bytes).
    let secret = hex::decode("9bbe436ba940f017b17652849a71db35").unwrap();
    let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").unwrap();
    let out = prf(Hash::Sha256, &secret, b"test label", &seed, 100);
    assert_eq!(
        hex::encode(out),
        "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
         6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
         4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
         87347b66"
    );
}

#[test]
fn hkdf_expand_label_matches_rfc_8448() {
    // RFC 8448 §3, the server's handshake traffic secret and its key and iv.
    let secret =
        hex::decode("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38").unwrap();
    assert_eq!(
        hex::encode(expand_label(Hash::Sha256, &secret, b"key", 16)),
        "3fce516009c21727d0f2e4e86ee403bc"
    );
    assert_eq!(
        hex::encode(expand_label(Hash::Sha256, &secret, b"iv", 12)),
        "5d313eb2671276ee13000b30"
    );
}

#[test]
fn the_tls13_schedule_shows_rfc_8448s_server_handshake_key_iv_and_finished_key() {
    let mut keys = KeyLog::new();
    keys.insert(
        label::SERVER_HANDSHAKE,
        &CLIENT_RANDOM,
        &hex::decode(RFC8448_SERVER_HS).unwrap(),
    )
    .unwrap();
    let s = tls13(&keys, AES_128_GCM_SHA256, &CLIENT_RANDOM).unwrap();
    assert_eq!((s.hash, s.key_len), (Hash::Sha256, 16));
    let labels: Vec<_> = s.secrets.iter().map(|t| t.label).collect();
    assert_eq!(
        labels,
        [
            label::CLIENT_HANDSHAKE,
            label::SERVER_HANDSHAKE,
            label::CLIENT_TRAFFIC_0,
            label::SERVER_TRAFFIC_0
        ]
    );
    let server = s.secret(label::SERVER_HANDSHAKE).unwrap();
    assert_eq!(
        (server.dir, server.epoch),
        (Direction::ServerToClient, Epoch::Handshake)
    );
    let k = server.keys.as_ref().unwrap();
    assert_eq!(hex::encode(&k.secret), RFC8448_SERVER_HS);
    assert_eq!((k.key.label, k.key.len), ("key", 16));
    assert_eq!(
        hex::encode(&k.key.value),
        "3fce516009c21727d0f2e4e86ee403bc"
    );
    assert_eq!((k.iv.label, k.iv.len), ("iv", 12));
    assert_eq!(hex::encode(&k.iv.value), "5d313eb2671276ee13000b30");
    let f = k.finished_key.as_ref().unwrap();
    assert_eq!((f.label, f.len), ("finished", 32));
    assert_eq!(
        hex::encode(&f.value),
        "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"
    );
    // The other three are named, and said to be absent.
    for t in s
        .secrets
        .iter()
        .filter(|t| t.label != label::SERVER_HANDSHAKE)
    {
        assert_eq!(t.keys, None, "{}", t.label);
    }
}

#[test]
fn application_secrets_give_no_finished_key_and_sha384_suites_give_longer_keys() {
    let mut keys = KeyLog::new();
    keys.insert(label::CLIENT_TRAFFIC_0, &CLIENT_RANDOM, &[9; 48])
        .unwrap();
    keys.insert(label::CLIENT_HANDSHAKE, &CLIENT_RANDOM, &[8; 48])
        .unwrap();
    let s = tls13(&keys, AES_256_GCM_SHA384, &CLIENT_RANDOM).unwrap();
    let app = s.secret(label::CLIENT_TRAFFIC_0).unwrap();
    assert_eq!(app.epoch, Epoch::Application { generation: 0 });
    let k = app.keys.as_ref().unwrap();
    assert_eq!((k.key.len, k.key.value.len()), (32, 32));
    assert_eq!(k.finished_key, None);
    let hs = s
        .secret(label::CLIENT_HANDSHAKE)
        .unwrap()
        .keys
        .clone()
        .unwrap();
    assert_eq!(hs.finished_key.unwrap().value.len(), 48);
    // Another session's random finds nothing.
    let other = tls13(&keys, AES_256_GCM_SHA384, &[3; 32]).unwrap();
    assert!(other.secrets.iter().all(|t| t.keys.is_none()));
}

#[test]
fn the_tls12_key_block_is_the_prf_output_cut_into_keys_then_ivs() {
    let master = [5; 48];
    let mut keys = KeyLog::new();
    keys.insert(label::CLIENT_RANDOM, &CLIENT_RANDOM, &master)
        .unwrap();
    for (suite, key_len, iv_len) in [
        (ECDHE_RSA_AES_128_GCM_SHA256, 16, 4),
        (ECDHE_ECDSA_CHACHA20, 32, 12),
    ] {
        let s = tls12(&keys, suite, &CLIENT_RANDOM, &SERVER_RANDOM).unwrap();
        assert_eq!(s.label, label::CLIENT_RANDOM);
        let m = s.keys.unwrap();
        assert_eq!(m.master_secret, master);
        let b = m.key_block;
        let seed = [SERVER_RANDOM, CLIENT_RANDOM].concat();
        assert_eq!(b.seed, seed);
        assert_eq!(
            b.block,
            prf(
                Hash::Sha256,
                &master,
                b"key expansion",
                &seed,
                2 * (key_len + iv_len)
            )
        );
        let parts = [
            &b.client_write_key,
            &b.server_write_key,
            &b.client_write_iv,
            &b.server_write_iv,
        ];
        let lens: Vec<_> = parts.iter().map(|p| p.len).collect();
        assert_eq!(lens, [key_len, key_len, iv_len, iv_len]);
        let joined: Vec<u8> = parts.iter().flat_map(|p| p.value.clone()).collect();
        assert_eq!(joined, b.block);
        for p in parts {
            assert_eq!(&b.block[p.at..p.at + p.len], &p.value[..], "{}", p.name);
        }
    }
    let absent = tls12(
        &KeyLog::new(),
        ECDHE_RSA_AES_128_GCM_SHA256,
        &CLIENT_RANDOM,
        &SERVER_RANDOM,
    );
    assert_eq!(absent.unwrap().keys, None);
}

#[test]
fn unknown_suites_versions_and_mixed_ones_are_typed_errors() {
    let keys = KeyLog::new();
    let r = (&CLIENT_RANDOM, &SERVER_RANDOM);
    assert_eq!(
        schedule(&keys, TLS13, 0x1304, r.0, r.1),
        Err(ScheduleError::UnsupportedSuite { suite: 0x1304 })
    );
    assert_eq!(
        schedule(&keys, 0x0301, AES_128_GCM_SHA256, r.0, r.1),
        Err(ScheduleError::UnsupportedVersion { version: 0x0301 })
    );
    assert_eq!(
        schedule(&keys, TLS13, ECDHE_RSA_AES_128_GCM_SHA256, r.0, r.1),
        Err(ScheduleError::SuiteNotForVersion {
            suite: ECDHE_RSA_AES_128_GCM_SHA256,
            version: TLS13
        })
    );
    assert_eq!(
        schedule(&keys, TLS12, AES_128_GCM_SHA256, r.0, r.1),
        Err(ScheduleError::SuiteNotForVersion {
            suite: AES_128_GCM_SHA256,
            version: TLS12
        })
    );
    assert!(Suite::of(0x002f).is_none());
    let check = |version, suite| {
        verify_finished(
            &keys,
            version,
            suite,
            r.0,
            Direction::ServerToClient,
            &[],
            &[0; 12],
        )
    };
    assert_eq!(
        check(0x0302, ECDHE_RSA_AES_128_GCM_SHA256),
        Err(ScheduleError::UnsupportedVersion { version: 0x0302 })
    );
    assert_eq!(
        check(TLS13, 0xffff),
        Err(ScheduleError::UnsupportedSuite { suite: 0xffff })
    );
    // An empty key log has no secret to check with.
    assert_eq!(check(TLS12, ECDHE_RSA_AES_128_GCM_SHA256), Ok(None));
}

#[test]
fn finished_values_have_the_rfc_lengths_and_depend_on_every_transcript_byte() {
    let s13 = Suite::of(AES_256_GCM_SHA384).unwrap();
    let s12 = Suite::of(ECDHE_RSA_AES_128_GCM_SHA256).unwrap();
    let hello: &[u8] = &[1, 0, 0, 2, 0xaa, 0xbb];
    let other: &[u8] = &[1, 0, 0, 2, 0xaa, 0xbc];
    let a = finished_13(s13, &[7; 48], &[hello]);
    assert_eq!(a.len(), 48);
    assert_ne!(a, finished_13(s13, &[7; 48], &[other]));
    assert_ne!(a, finished_13(s13, &[6; 48], &[hello]));
    let c = finished_12(s12, &[7; 48], true, &[hello]);
    assert_eq!(c.len(), 12);
    assert_ne!(c, finished_12(s12, &[7; 48], false, &[hello]));
    assert_ne!(c, finished_12(s12, &[7; 48], true, &[other]));
    // The transcript is the messages' bytes in order, however they are cut.
    assert_eq!(
        transcript_hash(Hash::Sha256, &[hello, other]),
        transcript_hash(Hash::Sha256, &[&[hello, other].concat()])
    );
    let good = check_finished(c.clone(), &c);
    assert!(good.verifies);
    let mut flipped = c.clone();
    flipped[0] ^= 1;
    let bad = check_finished(c, &flipped);
    assert!(!bad.verifies);
    assert_eq!(bad.received, flipped);
}

#[test]
fn the_schedule_serialises_with_labels_lengths_and_hex() {
    let mut keys = KeyLog::new();
    keys.insert(
        label::SERVER_HANDSHAKE,
        &CLIENT_RANDOM,
        &hex::decode(RFC8448_SERVER_HS).unwrap(),
    )
    .unwrap();
    let s = schedule(
        &keys,
        TLS13,
        AES_128_GCM_SHA256,
        &CLIENT_RANDOM,
        &SERVER_RANDOM,
    )
    .unwrap();
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["version"], "tls13");
    assert_eq!(json["hash"], "sha256");
    let server = &json["secrets"][1];
    assert_eq!(server["label"], label::SERVER_HANDSHAKE);
    assert_eq!(server["dir"], "server_to_client");
    assert_eq!(server["keys"]["key"]["label"], "key");
    assert_eq!(server["keys"]["key"]["len"], 16);
    assert_eq!(
        server["keys"]["key"]["value"],
        "3fce516009c21727d0f2e4e86ee403bc"
    );
    assert!(json["secrets"][0]["keys"].is_null());
    let e = serde_json::to_value(ScheduleError::UnsupportedSuite { suite: 5 }).unwrap();
    assert_eq!(e["kind"], "unsupported_suite");
}

proptest! {
    #[test]
    fn any_suite_version_and_secret_gives_a_schedule_or_a_typed_error(
        version in prop_oneof![Just(TLS12), Just(TLS13), any::<u16>()],
        suite in prop_oneof![
            Just(AES_128_GCM_SHA256),
            Just(AES_256_GCM_SHA384),
            Just(0x1303u16),
            Just(ECDHE_RSA_AES_128_GCM_SHA256),
            Just(0xc030u16),
            Just(ECDHE_ECDSA_CHACHA20),
            any::<u16>(),
        ],
        secret in proptest::collection::vec(any::<u8>(), 1..=64),
        label_pick in 0usize..5,
        transcript in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4),
    ) {
        let labels = [
            label::CLIENT_RANDOM,
            label::CLIENT_HANDSHAKE,
            label::SERVER_HANDSHAKE,
            label::CLIENT_TRAFFIC_0,
            label::SERVER_TRAFFIC_0,
        ];
        let mut keys = KeyLog::new();
        keys.insert(labels[label_pick], &CLIENT_RANDOM, &secret).unwrap();
        match schedule(&keys, version, suite, &CLIENT_RANDOM, &SERVER_RANDOM) {
            Ok(Schedule::Tls13(s)) => {
                prop_assert_eq!(version, TLS13);
                for t in &s.secrets {
                    prop_assert_eq!(t.keys.is_some(), t.label == labels[label_pick]);
                    if let Some(k) = &t.keys {
                        prop_assert_eq!(k.key.value.len(), s.key_len);
                        prop_assert_eq!(k.iv.value.len(), IV_LEN);
                    }
                }
            }
            Ok(Schedule::Tls12(s)) => {
                prop_assert_eq!(version, TLS12);
                prop_assert_eq!(s.keys.is_some(), label_pick == 0);
            }
            Err(_) => {}
        }
        if let Some(s) = Suite::of(suite) {
            let parts: Vec<&[u8]> = transcript.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(finished_13(s, &secret, &parts).len(), s.hash().len());
            prop_assert_eq!(finished_12(s, &secret, true, &parts).len(), 12);
        }
    }
}
