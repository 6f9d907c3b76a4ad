//! Real clients against the real server: Python's poplib, curl and
//! `openssl s_client`, each over cleartext, STLS and implicit TLS, with the
//! demo CA and certificate checks on. `.ci/run` installs these programs.

mod common;

use common::{TestServer, as_crlf, run};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn python_poplib_uses_every_method() {
    let srv = TestServer::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/poplib_check.py");
    let out = run(
        "python3",
        &[
            script,
            "--host",
            "127.0.0.1",
            "--pop3-port",
            &srv.pop3.port().to_string(),
            "--pop3s-port",
            &srv.pop3s.port().to_string(),
            "--cafile",
            srv.ca.to_str().unwrap(),
            "--user",
            "alice",
            "--password",
            "wonderland",
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "poplib_check failed\nstdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
}

struct Curl<'a> {
    srv: &'a TestServer,
}

impl Curl<'_> {
    fn run(&self, args: &[&str]) -> (bool, String, String, Option<i32>) {
        let mut all = vec!["--silent", "--show-error", "--max-time", "30"];
        all.extend_from_slice(args);
        let out = run("curl", &all, None);
        (
            out.status.success(),
            text(&out.stdout),
            text(&out.stderr),
            out.status.code(),
        )
    }
    fn plain(&self, path: &str) -> String {
        format!(
            "pop3://alice:wonderland@127.0.0.1:{}/{path}",
            self.srv.pop3.port()
        )
    }
    fn tls(&self, path: &str) -> String {
        format!(
            "pop3s://alice:wonderland@localhost:{}/{path}",
            self.srv.pop3s.port()
        )
    }
    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err, _) = self.run(args);
        assert!(ok, "curl {args:?} failed: {err}");
        out
    }
}

/// LIST as curl shows it: "n size" lines.
fn listing(out: &str) -> Vec<(u32, u64)> {
    out.lines()
        .map(|l| {
            let (n, s) = l.trim().split_once(' ').unwrap();
            (n.parse().unwrap(), s.parse().unwrap())
        })
        .collect()
}

#[test]
fn curl_lists_and_retrieves_over_all_three_transports() {
    let srv = TestServer::start();
    let curl = Curl { srv: &srv };
    let ca = srv.ca.to_str().unwrap();
    let files = srv.messages_on_disk("alice");

    let plain = listing(&curl.ok(&[&curl.plain("")]));
    assert_eq!(plain.len(), files.len());
    for ((n, size), f) in plain.iter().zip(&files) {
        assert_eq!(*size, as_crlf(f).len() as u64, "size of message {n}");
    }
    let tls = listing(&curl.ok(&["--cacert", ca, &curl.tls("")]));
    assert_eq!(tls, plain);
    // --ssl-reqd on pop3:// makes curl use STLS or fail.
    let stls = listing(&curl.ok(&["--ssl-reqd", "--cacert", ca, &curl.plain("")]));
    assert_eq!(stls, plain);

    // RETR of every message gives the stored bytes back, dot-unstuffed
    // and with CRLF line ends, over each transport.
    for (i, f) in files.iter().enumerate() {
        let n = (i + 1).to_string();
        let want = as_crlf(f);
        let got = run(
            "curl",
            &["--silent", "--show-error", "--cacert", ca, &curl.tls(&n)],
            None,
        );
        assert!(got.status.success(), "{}", text(&got.stderr));
        assert_eq!(got.stdout, want, "message {n} over POP3S");
    }
    let dots = run("curl", &["--silent", &curl.plain("3")], None).stdout;
    assert_eq!(
        dots,
        as_crlf(&files[2]),
        "the dot-stuffed message in cleartext"
    );
}

#[test]
fn curl_login_options_and_custom_commands() {
    let srv = TestServer::start();
    let curl = Curl { srv: &srv };
    let files = srv.messages_on_disk("alice");
    for opt in ["AUTH=PLAIN", "AUTH=+APOP"] {
        let out = curl.ok(&["--login-options", opt, &curl.plain("")]);
        assert_eq!(listing(&out).len(), files.len(), "{opt}");
    }
    let uidl = curl.ok(&["-X", "UIDL", &curl.plain("")]);
    let first = uidl.lines().next().unwrap();
    assert!(first.starts_with("1 1764201600."), "{uidl}");
    assert_eq!(uidl.lines().count(), files.len());
    let top = curl.ok(&["-X", "TOP 1 0", &curl.plain("")]);
    assert!(top.contains("Subject: "), "{top}");
    assert!(
        top.ends_with("\r\n\r\n"),
        "headers then the empty line only: {top:?}"
    );
}

#[test]
fn curl_refuses_an_untrusted_certificate_and_a_wrong_password() {
    let srv = TestServer::start();
    let curl = Curl { srv: &srv };
    // Without the demo CA, curl cannot verify the server: exit 60.
    let (ok, _, err, code) = curl.run(&[&curl.tls("")]);
    assert!(!ok && code == Some(60), "{code:?} {err}");
    let url = format!("pop3://alice:nope@127.0.0.1:{}/", srv.pop3.port());
    let (ok, _, _, code) = curl.run(&[&url]);
    // 67: login denied.
    assert!(!ok && code == Some(67), "{code:?}");
}

fn s_client(args: &[&str], input: &str) -> (String, String) {
    let mut all = vec!["s_client", "-crlf", "-ign_eof", "-verify_return_error"];
    all.extend_from_slice(args);
    let out = run("openssl", &all, Some(input.as_bytes()));
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn openssl_starttls_pop3_verifies_and_talks() {
    let srv = TestServer::start();
    let ca = srv.ca.to_str().unwrap();
    let (out, err) = s_client(
        &[
            "-starttls",
            "pop3",
            "-connect",
            &srv.pop3.to_string(),
            "-CAfile",
            ca,
            "-verify_hostname",
            "localhost",
            "-servername",
            "localhost",
        ],
        "CAPA\nUSER alice\nPASS wonderland\nSTAT\nQUIT\n",
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}\n{err}");
    // After the handshake, CAPA no longer offers STLS.
    let after = out.split("Verify return code").nth(1).unwrap_or("");
    assert!(after.contains("+OK capability list follows"), "{out}");
    assert!(!after.contains("\nSTLS"), "{after}");
    assert!(after.contains("+OK maildrop has 8 messages"), "{after}");
    assert!(after.contains("+OK popscope signing off"), "{after}");
}

#[test]
fn openssl_connects_to_pop3s_and_rejects_a_wrong_name() {
    let srv = TestServer::start();
    let ca = srv.ca.to_str().unwrap();
    let addr = srv.pop3s.to_string();
    let (out, err) = s_client(
        &[
            "-connect",
            &addr,
            "-CAfile",
            ca,
            "-verify_hostname",
            "localhost",
            "-servername",
            "localhost",
        ],
        "CAPA\nQUIT\n",
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}\n{err}");
    assert!(out.contains("+OK popscope POP3 server ready <"), "{out}");
    assert!(!out.contains("\nSTLS"), "POP3S never offers STLS: {out}");
    // A name the certificate does not carry fails verification.
    let (out, err) = s_client(
        &[
            "-connect",
            &addr,
            "-CAfile",
            ca,
            "-verify_hostname",
            "mail.example.net",
        ],
        "QUIT\n",
    );
    let all = format!("{out}{err}");
    assert!(
        all.contains("hostname mismatch") || all.contains("Verify return code: 62"),
        "{all}"
    );
}
