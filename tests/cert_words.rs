//! Certificate failures in a learner's words: `popscope serve` with a
//! certificate made here (rcgen) that is wrong in one way, and `popscope
//! demo` and `popscope client` pointed at it. The words name the problem,
//! the name or date involved and what to do, and no rustls Debug text
//! ("Other(OtherError(CaUsedAsEndEntity))") gets through.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

/// A CA for the test: its certificate (PEM) and the issuer to sign with.
fn test_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "cert_words test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A server certificate for `names`, signed by `ca`, adjusted by `f`.
fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    f: impl FnOnce(&mut CertificateParams),
) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.is_ca = IsCa::ExplicitNoCa;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    f(&mut params);
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// `popscope serve` on a free POP3S port with this chain and key; killed
/// when dropped.
struct Serve {
    child: Child,
    addr: String,
    log: std::path::PathBuf,
}

impl Serve {
    fn start(dir: &Path, chain: &str, key: &str) -> Serve {
        let cert_path = dir.join("chain.pem");
        let key_path = dir.join("key.pem");
        let log = dir.join("serve.log");
        std::fs::write(&cert_path, chain).unwrap();
        std::fs::write(&key_path, key).unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--pop3", "off", "--pop3s", "127.0.0.1:0"])
            .args(["--login-delay", "0", "--cert"])
            .arg(&cert_path)
            .arg("--key")
            .arg(&key_path)
            .arg("--data-dir")
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = lines.map_while(Result::ok).find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("POP3S")).then(|| w.next().unwrap_or("").to_string())
        });
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve printed no POP3S address");
        };
        Serve { child, addr, log }
    }

    /// Stop the server and return what it logged.
    fn log(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// stdout and stderr of the demo and of the line client against `srv`,
/// trusting `ca`.
fn run_both(srv: &Serve, ca: &Path) -> Vec<(String, String)> {
    let ca = ca.to_str().unwrap();
    let demo = Command::new(BIN)
        .env("LANG", "en_GB.UTF-8")
        .args(["demo", "pop3s", "--server", &srv.addr, "--ca", ca])
        .output()
        .unwrap();
    assert!(!demo.status.success());
    let url = format!("pop3s://alice@{}", srv.addr);
    let mut client = Command::new(BIN)
        .args([
            "client",
            "--password-stdin",
            "--ca",
            ca,
            "--timeout",
            "10",
            &url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = client
        .stdin
        .take()
        .unwrap()
        .write_all(b"wonderland\nQUIT\n");
    let client = client.wait_with_output().unwrap();
    assert!(!client.status.success());
    [demo, client]
        .into_iter()
        .map(|o| {
            (
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .collect()
}

/// Each output says `words`, in the transcript or the client's error, and
/// shows no Debug text.
fn assert_words(outputs: &[(String, String)], words: &str) {
    for (stdout, stderr) in outputs {
        let all = format!("{stdout}\n{stderr}");
        assert!(all.contains(words), "missing {words:?} in:\n{all}");
        for debug in [
            "Other(",
            "OtherError",
            "Context {",
            "InvalidCertificate",
            "invalid peer certificate",
            "UnixTime",
        ] {
            assert!(!all.contains(debug), "Debug text {debug:?} in:\n{all}");
        }
    }
}

#[test]
fn a_ca_certificate_used_as_the_server_certificate_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    // A self-made CA whose own certificate also names the server: what
    // someone gets who hands the server its CA instead of a certificate
    // the CA issued.
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "self-made CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = params.self_signed(&key).unwrap();
    let srv = Serve::start(dir.path(), &ca.pem(), &key.serialize_pem());
    let ca_path = dir.path().join("chain.pem");
    let outputs = run_both(&srv, &ca_path);
    assert_words(&outputs, "CA certificate used as a server certificate");
    assert_words(&outputs, "give the server a certificate issued by that CA");
    // The transcript says it where the TLS handshake is reported.
    assert!(
        outputs[0]
            .0
            .contains("TLS FAILED: certificate check failed: CA certificate used as a server"),
        "{}",
        outputs[0].0
    );
}

#[test]
fn a_name_mismatch_names_both_names() {
    let dir = tempfile::tempdir().unwrap();
    let ca = test_ca();
    let (chain, key) = leaf(&ca, &["pop.example.com"], |_| {});
    let srv = Serve::start(dir.path(), &chain, &key);
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let outputs = run_both(&srv, &ca_path);
    assert_words(
        &outputs,
        "name mismatch (the certificate is not valid for 127.0.0.1; it is for pop.example.com",
    );
    // The server only gets the client's alert, and says what it means.
    let log = srv.log();
    assert!(
        log.contains(
            "the client refused the server's certificate: it found the certificate unusable"
        ),
        "{log}"
    );
    assert!(!log.contains("received fatal alert"), "{log}");
}

#[test]
fn an_expired_certificate_gives_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let ca = test_ca();
    let (chain, key) = leaf(&ca, &["localhost", "127.0.0.1"], |p| {
        p.not_before = rcgen::date_time_ymd(2019, 1, 1);
        p.not_after = rcgen::date_time_ymd(2020, 1, 1);
    });
    let srv = Serve::start(dir.path(), &chain, &key);
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let outputs = run_both(&srv, &ca_path);
    assert_words(
        &outputs,
        "expired (the certificate was valid until 2020-01-01 00:00 UTC",
    );
    assert_words(&outputs, "check this machine's clock");
}

#[test]
fn an_unknown_issuer_is_named_in_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let ca = test_ca();
    let (chain, key) = leaf(&ca, &["localhost", "127.0.0.1"], |_| {});
    let srv = Serve::start(dir.path(), &chain, &key);
    // The client trusts some other CA.
    let other = tempfile::tempdir().unwrap();
    let other_ca = popscope::tls::ensure_demo_pki(other.path())
        .unwrap()
        .ca_cert;
    let outputs = run_both(&srv, &other_ca);
    assert_words(&outputs, "unknown issuer (the server's certificate");
    assert_words(
        &outputs[..1],
        "was issued by CN=cert_words test CA, a CA you do not trust",
    );
}
