//! `popscope client` as a user runs it, with stdin piped in: the
//! transcript, the decoded message, the exit status and, above all, that
//! the password never shows up in anything the client prints.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::TestServer;
use popscope::pop3::server::ServerEvent;
use tokio::sync::mpsc;

const PASSWORD: &str = "wonderland";
/// base64("\0alice\0wonderland"), the AUTH PLAIN response.
const PLAIN_RESPONSE: &str = "AGFsaWNlAHdvbmRlcmxhbmQ=";

/// Runs the client with `args`, feeding `stdin`, with an empty data
/// directory so that no CA of the person running the tests gets involved.
fn client(args: &[&str], stdin: &str) -> (Output, String, String) {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_popscope"))
        .arg("client")
        .args(["--timeout", "20"])
        .args(args)
        .env("POPSCOPE_DATA_DIR", data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

fn assert_no_secret(stdout: &str, stderr: &str) {
    for secret in [PASSWORD, PLAIN_RESPONSE] {
        assert!(!stdout.contains(secret), "{secret} in stdout:\n{stdout}");
        assert!(!stderr.contains(secret), "{secret} in stderr:\n{stderr}");
    }
}

#[test]
fn piped_session_over_pop3s() {
    let srv = TestServer::start();
    let url = format!("pop3s://alice@127.0.0.1:{}", srv.pop3s.port());
    let ca = srv.ca.to_str().unwrap();
    let (out, stdout, stderr) = client(
        &["--password-stdin", "--ca", ca, &url],
        "wonderland\nSTAT\nRETR 1\n:decode 2\nQUIT\n",
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    // The greeting, TLS and the login.
    assert!(
        stdout.contains("+OK popscope POP3 server ready <"),
        "{stdout}"
    );
    assert!(stdout.contains("* TLS: TLSv1_"), "{stdout}");
    assert!(stdout.contains("2 certificates"), "{stdout}");
    assert!(
        stdout.contains("* logged in as alice with USER/PASS"),
        "{stdout}"
    );
    // Each command is echoed with the reply after it.
    assert!(stdout.contains("pop3+tls> STAT\n+OK 8 "), "{stdout}");
    assert!(stdout.contains("pop3+tls> RETR 1\n+OK "), "{stdout}");
    assert!(
        stdout.contains("Subject: Welcome to the popscope lab\n"),
        "{stdout}"
    );
    assert!(stdout.contains("coffee ☕.\n"), "{stdout}");
    // The decoded Japanese message.
    assert!(
        stdout.contains("Subject: 来週のクラスミーティングについて"),
        "{stdout}"
    );
    assert!(
        stdout.contains("From:    田中 先生 <tanaka@example.net>"),
        "{stdout}"
    );
    assert!(stdout.contains("クラスミーティングを開きます"), "{stdout}");
    // QUIT and its answer end the transcript.
    assert!(
        stdout
            .trim_end()
            .ends_with("signing off (0 messages deleted)"),
        "{stdout}"
    );
    assert_no_secret(&stdout, &stderr);
}

#[test]
fn plain_session_shows_pass_masked_and_warns() {
    let srv = TestServer::start();
    let url = format!("pop3://127.0.0.1:{}", srv.pop3.port());
    let (out, stdout, stderr) = client(
        &["--no-login", &url],
        "USER alice\nPASS wonderland\nSTAT\nLIST 1\n",
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("pop3> PASS ********\n+OK"), "{stdout}");
    assert!(stdout.contains("pop3> LIST 1\n+OK 1 "), "{stdout}");
    // End of input sends QUIT.
    assert!(stdout.contains("QUIT (end of input)\n+OK"), "{stdout}");
    assert!(stderr.contains("cleartext"), "{stderr}");
    assert_no_secret(&stdout, &stderr);
}

#[test]
fn typed_stls_then_auth_plain() {
    let srv = TestServer::start();
    let url = format!("pop3://127.0.0.1:{}", srv.pop3.port());
    let ca = srv.ca.to_str().unwrap();
    let (out, stdout, stderr) = client(
        &["--no-login", "--ca", ca, &url],
        &format!("STLS\nAUTH PLAIN\n{PLAIN_RESPONSE}\nUIDL\n:quit\n"),
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("pop3> STLS\n+OK"), "{stdout}");
    assert!(stdout.contains("(after STLS)"), "{stdout}");
    // The SASL response is masked like a password, and the prompt says TLS.
    assert!(stdout.contains("pop3+tls> AUTH PLAIN\n+"), "{stdout}");
    assert!(stdout.contains("pop3+tls> ********\n+OK"), "{stdout}");
    assert!(stdout.contains("pop3+tls> UIDL\n+OK"), "{stdout}");
    assert_no_secret(&stdout, &stderr);
}

#[test]
fn stls_with_apop_and_the_url_auth_parameter() {
    let srv = TestServer::start();
    let url = format!("pop3://alice;AUTH=+APOP@127.0.0.1:{}", srv.pop3.port());
    let ca = srv.ca.to_str().unwrap();
    let (out, stdout, stderr) = client(
        &["--stls", "--password-stdin", "--ca", ca, &url],
        "wonderland\nSTAT\n",
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("* logged in as alice with APOP"),
        "{stdout}"
    );
    assert!(stdout.contains("+OK 8 "), "{stdout}");
    assert_no_secret(&stdout, &stderr);
}

#[test]
fn wrong_ca_fails_with_unknown_issuer() {
    let srv = TestServer::start();
    let other = tempfile::tempdir().unwrap();
    let other_ca = popscope::tls::ensure_demo_pki(other.path())
        .unwrap()
        .ca_cert;
    let ca = other_ca.to_str().unwrap();
    for (url, stls) in [
        (
            format!("pop3s://alice@127.0.0.1:{}", srv.pop3s.port()),
            None,
        ),
        (
            format!("pop3://alice@127.0.0.1:{}", srv.pop3.port()),
            Some("--stls"),
        ),
    ] {
        let mut args: Vec<&str> = stls.into_iter().collect();
        args.extend(["--password-stdin", "--ca", ca, &url]);
        let (out, stdout, stderr) = client(&args, "wonderland\nSTAT\n");
        assert!(!out.status.success(), "{url}: stdout:\n{stdout}");
        // The line client names the untrusted issuer, as the lab does:
        // both record the chain the server showed.
        assert_eq!(
            stderr.trim_end(),
            "popscope: certificate check failed: unknown issuer (the server's certificate \
             was issued by CN=popscope demo CA (not for real use),O=popscope teaching lab - \
             NOT FOR REAL USE, a CA you do not trust; if you trust it, give its certificate \
             with --ca)",
            "{url}"
        );
        assert!(!stdout.contains("logged in"), "{stdout}");
        assert_no_secret(&stdout, &stderr);
    }
}

#[test]
fn wrong_name_fails_with_name_mismatch() {
    let srv = TestServer::start();
    let url = format!("pop3s://alice@127.0.0.1:{}", srv.pop3s.port());
    let ca = srv.ca.to_str().unwrap();
    let (out, _, stderr) = client(
        &[
            "--password-stdin",
            "--ca",
            ca,
            "--tls-name",
            "pop.example.com",
            &url,
        ],
        "wonderland\n",
    );
    assert!(!out.status.success());
    assert!(
        stderr.contains("certificate check failed: name mismatch (the certificate is not valid for pop.example.com"),
        "{stderr}"
    );
}

#[test]
fn insecure_connects_and_warns_loudly() {
    let srv = TestServer::start();
    let url = format!("pop3s://alice@127.0.0.1:{}", srv.pop3s.port());
    let (out, stdout, stderr) = client(
        &["--insecure", "--password-stdin", &url],
        "wonderland\nSTAT\n",
    );
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("will NOT be checked"), "{stderr}");
    assert!(stdout.contains("trusting: NOTHING"), "{stdout}");
    assert!(stdout.contains("+OK 8 "), "{stdout}");
    assert_no_secret(&stdout, &stderr);
}

#[test]
fn require_tls_against_a_server_without_stls_sends_nothing_secret() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let srv = TestServer::start_with(|c| {
        c.tls = None;
        c.pop3s = None;
        c.events = Some(tx);
    });
    let url = format!("pop3://alice@127.0.0.1:{}", srv.pop3.port());
    let (out, stdout, stderr) = client(
        &["--require-tls", "--password-stdin", &url],
        "wonderland\nSTAT\n",
    );
    assert!(!out.status.success(), "stdout:\n{stdout}");
    assert!(
        stderr.contains("TLS is required, but the server does not offer STLS"),
        "{stderr}"
    );
    assert_no_secret(&stdout, &stderr);

    // The server saw the client come and go, and no credentials.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let commands: Vec<String> = rt.block_on(async {
        let mut commands = Vec::new();
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("the session should end")
                .unwrap();
            match event {
                ServerEvent::Command { text, .. } => commands.push(text),
                ServerEvent::Ended { .. } => return commands,
                _ => {}
            }
        }
    });
    assert_eq!(commands, ["CAPA", "QUIT"]);

    // Without --require-tls, --stls carries on in cleartext but still
    // keeps the password to itself.
    let (out, _, stderr) = client(&["--stls", "--password-stdin", &url], "wonderland\nSTAT\n");
    assert!(!out.status.success());
    assert!(stderr.contains("does not offer STLS"), "{stderr}");
    assert!(
        stderr.contains("refusing to log in with USER/PASS"),
        "{stderr}"
    );
}

#[test]
fn wrong_password_and_connection_refused_are_one_line_errors() {
    let srv = TestServer::start();
    let url = format!("pop3s://alice@127.0.0.1:{}", srv.pop3s.port());
    let ca = srv.ca.to_str().unwrap();
    let (out, _, stderr) = client(&["--password-stdin", "--ca", ca, &url], "not-it\nSTAT\n");
    assert!(!out.status.success());
    assert_eq!(
        stderr.trim_end(),
        "popscope: login as alice failed: PASS: server replied -ERR [AUTH] invalid user name or password"
    );

    // A port nobody listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (out, _, stderr) = client(&[&format!("pop3://alice@127.0.0.1:{port}")], "");
    assert!(!out.status.success());
    assert!(
        stderr.starts_with(&format!("popscope: cannot connect to 127.0.0.1:{port}: ")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn bad_urls_are_refused_before_connecting() {
    for (url, expected) in [
        ("imap://alice@127.0.0.1", "unsupported URL scheme"),
        ("pop3://127.0.0.1:1", "the URL names no user"),
        ("pop3://alice@127.0.0.1/1", "the URL has a path"),
    ] {
        let (out, _, stderr) = client(&[url], "");
        assert!(!out.status.success(), "{url}");
        assert!(stderr.contains(expected), "{url}: {stderr}");
    }
    let (out, _, stderr) = client(&["pop3://alice:pw@127.0.0.1:1", "--password-stdin"], "");
    assert!(!out.status.success());
    assert!(stderr.contains("shell history"), "{stderr}");
}
