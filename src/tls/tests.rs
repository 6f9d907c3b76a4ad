//! Tests for the demo PKI and the rustls configurations: files on disk, real
//! handshakes over in-memory pipes, and the ways trust is supposed to fail.

use super::*;

use rustls::pki_types::IpAddr as PkiIpAddr;
use rustls::{CertificateError, HandshakeKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn fresh_pki() -> (tempfile::TempDir, DemoPki) {
    let tmp = tempfile::tempdir().unwrap();
    let pki = ensure_demo_pki(&tmp.path().join("pki")).unwrap();
    assert!(pki.created);
    (tmp, pki)
}

fn dns(name: &str) -> ServerName<'static> {
    ServerName::try_from(name.to_owned()).unwrap()
}

fn ip(addr: std::net::IpAddr) -> ServerName<'static> {
    ServerName::IpAddress(PkiIpAddr::from(addr))
}

/// Outcome of one handshake over an in-memory pipe.
struct Handshake {
    client: Result<SessionSummary, rustls::Error>,
    server: Result<SessionSummary, io::Error>,
    client_kind: Option<HandshakeKind>,
}

/// Run one complete handshake between the two configs. After it succeeds the server
/// sends a few bytes and the client reads them, which also makes the client process
/// any TLS 1.3 session tickets (needed for the resumption test).
async fn handshake(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
    name: ServerName<'static>,
) -> Handshake {
    let (client_io, server_io) = duplex(64 * 1024);
    let acceptor = TlsAcceptor::from(server);
    let connector = TlsConnector::from(client);

    let server_side = async move {
        let mut tls = acceptor.accept(server_io).await?;
        let summary = SessionSummary::of_server(tls.get_ref().1);
        tls.write_all(b"+OK\r\n").await?;
        tls.flush().await?;
        Ok::<_, io::Error>((summary, tls))
    };
    let client_side = async move {
        let mut tls = connector.connect(name, client_io).await?;
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"+OK\r\n");
        let conn = tls.get_ref().1;
        Ok::<_, io::Error>((SessionSummary::of_client(conn), conn.handshake_kind(), tls))
    };
    let (client_result, server_result) = tokio::join!(client_side, server_side);

    let (client, client_kind) = match client_result {
        Ok((summary, kind, _tls)) => (Ok(summary), kind),
        Err(e) => (Err(rustls_error(&e)), None),
    };
    Handshake {
        client,
        server: server_result.map(|(summary, _tls)| summary),
        client_kind,
    }
}

/// tokio-rustls wraps rustls errors in `io::Error`; dig the original back out.
fn rustls_error(err: &io::Error) -> rustls::Error {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(e) => e.clone(),
        None => panic!("expected a rustls error, got {err:?}"),
    }
}

fn assert_modern_session(summary: &SessionSummary, version: &str) {
    assert_eq!(summary.version, version, "{summary}");
    assert_eq!(summary.group.as_deref(), Some("X25519"), "{summary}");
    if version == "TLSv1_3" {
        assert!(summary.suite.starts_with("TLS13_AES_"), "{summary}");
    } else {
        assert!(
            summary.suite.starts_with("TLS_ECDHE_ECDSA_WITH_"),
            "{summary}"
        );
    }
}

// ---------------------------------------------------------------------------
// The demo PKI on disk
// ---------------------------------------------------------------------------

#[test]
fn creates_files_with_private_modes() {
    let (tmp, pki) = fresh_pki();
    let dir = tmp.path().join("pki");
    assert_eq!(mode_of(&dir), 0o700);
    assert_eq!(pki.ca_cert, dir.join("ca.pem"));
    assert_eq!(pki.server_cert, dir.join("server.pem"));
    assert_eq!(pki.server_key, dir.join("server-key.pem"));
    assert_eq!(mode_of(&pki.server_key), 0o600);
    assert_eq!(mode_of(&dir.join("ca-key.pem")), 0o600);

    // The chain is the server certificate followed by the CA certificate.
    let chain = load_certs(&pki.server_cert).unwrap();
    let ca = load_certs(&pki.ca_cert).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(ca.len(), 1);
    assert_eq!(chain[1], ca[0]);
    assert_ne!(chain[0], ca[0]);

    // No temporary files are left behind.
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn ca_subject_says_not_for_real_use() {
    let (_tmp, pki) = fresh_pki();
    let ca = load_certs(&pki.ca_cert).unwrap().remove(0);
    // The subject is DER-encoded as UTF8String/PrintableString, so the text appears verbatim.
    let der: &[u8] = ca.as_ref();
    let needle = b"popscope demo CA (not for real use)";
    assert!(der.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn second_call_loads_the_same_files() {
    let (tmp, first) = fresh_pki();
    let ca_before = fs::read(&first.ca_cert).unwrap();
    let key_before = fs::read(&first.server_key).unwrap();

    let second = ensure_demo_pki(&tmp.path().join("pki")).unwrap();
    assert!(!second.created);
    assert_eq!(second.ca_cert, first.ca_cert);
    assert_eq!(fs::read(&second.ca_cert).unwrap(), ca_before);
    assert_eq!(fs::read(&second.server_key).unwrap(), key_before);
}

#[test]
fn corrupted_ca_is_reported_and_left_alone() {
    let (tmp, pki) = fresh_pki();
    let dir = tmp.path().join("pki");

    // Text that is not PEM at all: no certificate in the file.
    fs::write(&pki.ca_cert, b"this is not a certificate\n").unwrap();
    let err = ensure_demo_pki(&dir).unwrap_err();
    assert!(
        matches!(&err, TlsError::NoCertificate { path } if *path == pki.ca_cert),
        "{err:?}"
    );
    assert!(err.to_string().contains("ca.pem"), "{err}");
    assert_eq!(
        fs::read(&pki.ca_cert).unwrap(),
        b"this is not a certificate\n"
    );

    // A PEM block whose base64 is damaged.
    let damaged = b"-----BEGIN CERTIFICATE-----\nMII!!!not base64!!!\n-----END CERTIFICATE-----\n";
    fs::write(&pki.ca_cert, damaged).unwrap();
    let err = ensure_demo_pki(&dir).unwrap_err();
    assert!(
        matches!(&err, TlsError::BadPem { path, .. } if *path == pki.ca_cert),
        "{err:?}"
    );
    assert_eq!(fs::read(&pki.ca_cert).unwrap(), damaged);

    // Valid PEM around bytes that are not a certificate.
    let not_der = b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    fs::write(&pki.ca_cert, not_der).unwrap();
    let err = ensure_demo_pki(&dir).unwrap_err();
    assert!(
        matches!(&err, TlsError::BadCertificate { path, .. } if *path == pki.ca_cert),
        "{err:?}"
    );
    assert_eq!(fs::read(&pki.ca_cert).unwrap(), not_der);
}

#[test]
fn corrupted_server_key_is_reported_and_left_alone() {
    let (tmp, pki) = fresh_pki();
    fs::write(&pki.server_key, b"").unwrap();
    let err = ensure_demo_pki(&tmp.path().join("pki")).unwrap_err();
    assert!(
        matches!(&err, TlsError::NoPrivateKey { path } if *path == pki.server_key),
        "{err:?}"
    );
    assert!(err.to_string().contains("server-key.pem"), "{err}");
    assert_eq!(fs::read(&pki.server_key).unwrap(), b"");
}

#[test]
fn ca_from_another_set_is_rejected() {
    let (tmp, pki) = fresh_pki();
    let (_other_tmp, other) = fresh_pki();
    // Swap in a foreign CA (with its own, matching key): the server chain no longer verifies.
    fs::copy(&other.ca_cert, &pki.ca_cert).unwrap();
    fs::copy(
        other.ca_cert.with_file_name(CA_KEY_FILE),
        pki.ca_cert.with_file_name(CA_KEY_FILE),
    )
    .unwrap();
    let err = ensure_demo_pki(&tmp.path().join("pki")).unwrap_err();
    assert!(
        matches!(
            &err,
            TlsError::ChainRejected {
                source: rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn ca_key_from_another_set_is_a_mismatch() {
    let (tmp, pki) = fresh_pki();
    let (_other_tmp, other) = fresh_pki();
    let ca_key = pki.ca_cert.with_file_name(CA_KEY_FILE);
    fs::copy(other.ca_cert.with_file_name(CA_KEY_FILE), &ca_key).unwrap();
    let err = ensure_demo_pki(&tmp.path().join("pki")).unwrap_err();
    assert!(
        matches!(&err, TlsError::KeyMismatch { cert, key } if *cert == pki.ca_cert && *key == ca_key),
        "{err:?}"
    );
}

#[test]
fn incomplete_set_is_regenerated() {
    let (tmp, first) = fresh_pki();
    let ca_before = fs::read(&first.ca_cert).unwrap();
    fs::remove_file(&first.server_key).unwrap();

    let second = ensure_demo_pki(&tmp.path().join("pki")).unwrap();
    assert!(second.created);
    assert_ne!(fs::read(&second.ca_cert).unwrap(), ca_before);
    assert_eq!(mode_of(&second.server_key), 0o600);
    server_config(&second.server_cert, &second.server_key).unwrap();
}

// ---------------------------------------------------------------------------
// server_config / client_config errors
// ---------------------------------------------------------------------------

#[test]
fn server_config_reports_file_problems() {
    let (tmp, pki) = fresh_pki();

    let missing = tmp.path().join("nope.pem");
    let err = server_config(&missing, &pki.server_key).unwrap_err();
    assert!(
        matches!(&err, TlsError::Io { path, .. } if *path == missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("nope.pem"), "{err}");

    // A key file where the chain should be, and a chain where the key should be.
    let err = server_config(&pki.server_key, &pki.server_key).unwrap_err();
    assert!(matches!(&err, TlsError::NoCertificate { .. }), "{err:?}");
    let err = server_config(&pki.server_cert, &pki.server_cert).unwrap_err();
    assert!(matches!(&err, TlsError::NoPrivateKey { .. }), "{err:?}");
}

#[test]
fn server_config_rejects_a_key_for_another_certificate() {
    let (_tmp, pki) = fresh_pki();
    let (_other_tmp, other) = fresh_pki();
    let err = server_config(&pki.server_cert, &other.server_key).unwrap_err();
    assert!(
        matches!(&err, TlsError::KeyMismatch { cert, key }
            if *cert == pki.server_cert && *key == other.server_key),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not belong"), "{err}");
}

#[test]
fn client_config_reports_a_missing_ca_file() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("ca.pem");
    let err = client_config(&Trust::CaFile(missing.clone()), true).unwrap_err();
    assert!(
        matches!(&err, TlsError::Io { path, .. } if *path == missing),
        "{err:?}"
    );
}

#[test]
fn summary_display() {
    let mut summary = SessionSummary {
        version: "TLSv1_3".into(),
        suite: "TLS13_AES_256_GCM_SHA384".into(),
        group: Some("X25519".into()),
        sni: None,
    };
    assert_eq!(
        summary.to_string(),
        "TLSv1_3 TLS13_AES_256_GCM_SHA384 X25519"
    );
    summary.sni = Some("localhost".into());
    assert_eq!(
        summary.to_string(),
        "TLSv1_3 TLS13_AES_256_GCM_SHA384 X25519 sni=localhost"
    );
}

#[test]
fn provider_is_shared_and_is_ring() {
    assert!(Arc::ptr_eq(&provider(), &provider()));
    let ring = rustls::crypto::ring::default_provider();
    assert_eq!(provider().cipher_suites.len(), ring.cipher_suites.len());
}

// ---------------------------------------------------------------------------
// Real handshakes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn tls13_handshake_by_name_and_by_ip() {
    let (_tmp, pki) = fresh_pki();
    let server = server_config(&pki.server_cert, &pki.server_key).unwrap();
    let client = client_config(&Trust::CaFile(pki.ca_cert.clone()), true).unwrap();

    let h = handshake(server.clone(), client.clone(), dns("localhost")).await;
    let c = h.client.unwrap();
    let s = h.server.unwrap();
    assert_modern_session(&c, "TLSv1_3");
    assert_eq!(c.sni, None);
    assert_eq!(s.sni.as_deref(), Some("localhost"));
    assert_eq!(
        (&c.version, &c.suite, &c.group),
        (&s.version, &s.suite, &s.group)
    );

    for addr in [
        std::net::IpAddr::from([127, 0, 0, 1]),
        std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    ] {
        let h = handshake(server.clone(), client.clone(), ip(addr)).await;
        let c = h.client.unwrap();
        let s = h.server.unwrap();
        assert_modern_session(&c, "TLSv1_3");
        // Clients send no SNI for IP addresses.
        assert_eq!(s.sni, None);
        assert_eq!(c, s);
    }
}

#[tokio::test]
async fn tls12_only_client_gets_tls12() {
    let (_tmp, pki) = fresh_pki();
    let server = server_config(&pki.server_cert, &pki.server_key).unwrap();
    let client = Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&TLS12])
            .unwrap()
            .with_root_certificates(load_roots(&pki.ca_cert).unwrap())
            .with_no_client_auth(),
    );

    let h = handshake(server.clone(), client.clone(), dns("localhost")).await;
    let c = h.client.unwrap();
    let s = h.server.unwrap();
    assert_modern_session(&c, "TLSv1_2");
    assert_eq!(s.sni.as_deref(), Some("localhost"));
    assert_eq!(
        (&c.version, &c.suite, &c.group),
        (&s.version, &s.suite, &s.group)
    );

    let h = handshake(server, client, ip([127, 0, 0, 1].into())).await;
    let c = h.client.unwrap();
    let s = h.server.unwrap();
    assert_modern_session(&s, "TLSv1_2");
    assert_eq!(c, s);
}

#[tokio::test]
async fn wrong_name_is_rejected() {
    let (_tmp, pki) = fresh_pki();
    let server = server_config(&pki.server_cert, &pki.server_key).unwrap();
    let client = client_config(&Trust::CaFile(pki.ca_cert.clone()), true).unwrap();

    let h = handshake(server, client, dns("example.com")).await;
    let err = h.client.unwrap_err();
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{err:?}"
    );
    assert!(h.server.is_err());
}

#[tokio::test]
async fn other_ca_is_unknown_issuer() {
    let (_tmp, pki) = fresh_pki();
    let (_other_tmp, other) = fresh_pki();
    let server = server_config(&pki.server_cert, &pki.server_key).unwrap();
    let client = client_config(&Trust::CaFile(other.ca_cert.clone()), true).unwrap();

    let h = handshake(server, client, dns("localhost")).await;
    let err = h.client.unwrap_err();
    assert_eq!(
        err,
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    assert!(h.server.is_err());
}

#[tokio::test]
async fn insecure_client_accepts_any_certificate() {
    let (_tmp, pki) = fresh_pki();
    let server = server_config(&pki.server_cert, &pki.server_key).unwrap();
    let client = client_config(&Trust::InsecureAcceptAny, true).unwrap();

    // Neither the CA nor the name would pass verification; the session still comes up.
    for name in [dns("localhost"), dns("example.com")] {
        let h = handshake(server.clone(), client.clone(), name).await;
        let c = h.client.unwrap();
        let s = h.server.unwrap();
        assert_modern_session(&c, "TLSv1_3");
        assert_eq!((&c.version, &c.suite), (&s.version, &s.suite));
    }

    // The TLS 1.2 signature path of the verifier works too.
    let tls12 = Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&TLS12])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert {
                algorithms: provider().signature_verification_algorithms,
            }))
            .with_no_client_auth(),
    );
    let h = handshake(server, tls12, dns("example.com")).await;
    assert_modern_session(&h.client.unwrap(), "TLSv1_2");
}

#[tokio::test]
async fn resumption_flag_controls_resumption() {
    let (_tmp, pki) = fresh_pki();
    let server = server_config(&pki.server_cert, &pki.server_key).unwrap();
    let trust = Trust::CaFile(pki.ca_cert.clone());

    let resuming = client_config(&trust, true).unwrap();
    let first = handshake(server.clone(), resuming.clone(), dns("localhost")).await;
    assert_eq!(first.client_kind, Some(HandshakeKind::Full));
    let second = handshake(server.clone(), resuming, dns("localhost")).await;
    assert_eq!(second.client_kind, Some(HandshakeKind::Resumed));

    let full_only = client_config(&trust, false).unwrap();
    for _ in 0..2 {
        let h = handshake(server.clone(), full_only.clone(), dns("localhost")).await;
        assert_eq!(h.client_kind, Some(HandshakeKind::Full));
    }
}
