//! Hostile bytes and error wording, through the binary as a user runs it:
//! a fake POP3 server sends terminal escapes, OSC titles, C1 controls and
//! bidirectional overrides, and nothing of it may reach the terminal raw;
//! errors name each cause once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

/// What the fake server puts in its replies: a colour change, a window
/// title (OSC ... BEL), a CSI written as the one-byte C1 control, and a
/// right-to-left override and isolate.
const NASTY: &str = "\u{1b}[31mred\u{1b}]0;pwned\u{7} \u{9b}2J \u{202e}gpj.exe\u{2066}x\u{2069}";

/// A POP3 server on 127.0.0.1 port 0 that answers every command with
/// `+OK` and [`NASTY`], and sends multi-line bodies full of it. Each
/// connection gets a thread; they end when the client hangs up.
fn fake_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            std::thread::spawn(move || serve_one(conn));
        }
    });
    addr
}

fn serve_one(conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(20)));
    let mut out = conn.try_clone().unwrap();
    let greeting = format!("+OK {NASTY} <1.2@fake.test>\r\n");
    if out.write_all(greeting.as_bytes()).is_err() {
        return;
    }
    // A USER mallory is refused at PASS, with the same bytes in the -ERR.
    let mut refuse = false;
    for line in BufReader::new(conn).lines() {
        let Ok(line) = line else { return };
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let has_arg = line.split_whitespace().nth(1).is_some();
        if verb == "USER" {
            refuse = line.ends_with("mallory");
        }
        let reply = match verb.as_str() {
            "PASS" if refuse => format!("-ERR {NASTY}\r\n"),
            "CAPA" => format!("+OK {NASTY}\r\nUSER\r\n{NASTY}\r\n.\r\n"),
            "LIST" | "UIDL" if !has_arg => format!("+OK {NASTY}\r\n1 100\r\n2 100\r\n.\r\n"),
            "RETR" | "TOP" => format!(
                "+OK {NASTY}\r\nFrom: {NASTY} <a@b>\r\nTo: you <c@d>\r\n\
                 Subject: {NASTY}\r\n\r\n{NASTY}\r\n.\r\n"
            ),
            "QUIT" => {
                let _ = out.write_all(format!("+OK {NASTY}\r\n").as_bytes());
                return;
            }
            _ => format!("+OK {NASTY}\r\n"),
        };
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Panics if `text` holds ESC, another C0 control than tab and newline,
/// DEL, a C1 control or a bidirectional override or isolate.
fn assert_inert(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for (i, c) in text.char_indices() {
        let u = c as u32;
        let bad = (u < 0x20 && c != '\n' && c != '\t')
            || u == 0x7f
            || (0x80..0xa0).contains(&u)
            || (0x202a..=0x202e).contains(&u)
            || (0x2066..=0x2069).contains(&u);
        assert!(
            !bad,
            "{what}: raw U+{u:04X} at byte {i}: {:?}",
            &text[i.saturating_sub(60)..(i + 20).min(text.len())]
        );
    }
}

fn run(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .env("LANG", "en_GB.UTF-8")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn demo_against_a_hostile_server_prints_no_raw_control_bytes() {
    let addr = fake_server().to_string();
    let out = run(&["demo", "plain", "--server", &addr], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_inert("demo stdout", &out.stdout);
    assert_inert("demo stderr", &out.stderr);
    // The server's words are there, in the visible notation.
    assert!(stdout.contains("^[[31mred^[]0;pwned^G"), "{stdout}");
    assert!(
        stdout.contains("<U+009B>2J <U+202E>gpj.exe<U+2066>x<U+2069>"),
        "{stdout}"
    );
    // The eavesdropper's reading of the message headers too.
    assert!(stdout.contains("! MAIL From ^[[31m"), "{stdout}");

    let out = run(&["demo", "plain", "--json", "--server", &addr], "");
    assert_inert("demo --json stdout", &out.stdout);
    assert_inert("demo --json stderr", &out.stderr);
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(json.contains("\\u202e"), "{json}");
    // Still one JSON value per line, with the same text inside.
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let _ = v;
    }
    assert!(json.lines().any(|l| l.contains("\\u001b[31mred")));
}

#[test]
fn line_client_against_a_hostile_server_prints_no_raw_control_bytes() {
    let addr = fake_server();
    let url = format!("pop3://alice@{addr}");
    let out = run(
        &["client", "--password-stdin", &url],
        "pw\nSTAT\nRETR 1\nQUIT\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_inert("client stdout", &out.stdout);
    assert_inert("client stderr", &out.stderr);
    assert!(stdout.contains("^[[31mred^[]0;pwned^G"), "{stdout}");
    assert!(stdout.contains("<U+202E>gpj.exe"), "{stdout}");
}

/// `popscope serve --log debug` with a client whose USER name and other
/// commands carry escapes: the log shows them visibly.
#[test]
fn server_debug_log_shows_a_crafted_user_visibly() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--log",
            "debug",
            "serve",
            "--pop3",
            "127.0.0.1:0",
            "--pop3s",
            "off",
            "--login-delay",
            "0",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let guard = KillOnDrop(child.id());
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("POP3")).then(|| w.next().unwrap_or("").to_string())
        })
        .expect("serve printed its POP3 address");
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    for cmd in [
        "USER \u{1b}]0;owned\u{7}\u{1b}[31mmallory\u{202e}",
        "PASS nope",
        "QUIT",
    ] {
        conn.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    drop(reader);
    drop(conn);
    // Let the session's last lines reach the log, then stop the server.
    std::thread::sleep(Duration::from_millis(300));
    drop(guard);
    let _ = child.wait();
    let mut stderr = Vec::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    assert_inert("serve log", &stderr);
    let log = String::from_utf8_lossy(&stderr);
    assert!(
        log.contains("command=USER ^[]0;owned^G^[[31mmallory<U+202E>"),
        "{log}"
    );
    assert!(log.contains("user=^[]0;owned^G"), "{log}");
}

/// Sends SIGTERM-like SIGKILL to a child the test started, even when the
/// test fails before it waits for it.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // SAFETY: signalling a process this test spawned and has not
        // reaped yet.
        unsafe {
            libc::kill(self.0 as libc::pid_t, libc::SIGKILL);
        }
    }
}

#[test]
fn a_busy_port_is_named_once() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--pop3", &addr, "--pop3s", "off", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let cause = std::io::Error::from(std::io::ErrorKind::AddrInUse).to_string();
    let os_text = "Address already in use";
    assert!(stderr.contains(&addr), "{stderr}");
    assert_eq!(stderr.matches(os_text).count(), 1, "{stderr} ({cause})");
}

#[test]
fn a_missing_certificate_or_ca_file_is_named_once() {
    for args in [
        &[
            "serve",
            "--pop3",
            "127.0.0.1:0",
            "--cert",
            "/nonexistent/ca.pem",
            "--key",
            "/nonexistent/ca.pem",
        ][..],
        &["demo", "pop3s", "--ca", "/nonexistent/ca.pem"][..],
        &[
            "client",
            "--password-stdin",
            "--ca",
            "/nonexistent/ca.pem",
            "pop3s://alice@127.0.0.1:1",
        ][..],
    ] {
        let out = run(args, "pw\n");
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.matches("No such file or directory").count(),
            1,
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.matches("/nonexistent/ca.pem").count(), 1, "{stderr}");
    }
}

/// A full disk: `serve --ca-out /dev/full` cannot write the CA copy, and
/// says so once.
#[test]
fn a_full_disk_is_named_once() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--pop3", "127.0.0.1:0", "--pop3s", "off"])
        .args(["--ca-out", "/dev/full", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("No space left on device").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("/dev/full"), "{stderr}");
}

/// `popscope load` prints the first errors, and a refused login's error
/// carries the server's -ERR text.
#[test]
fn load_errors_show_the_servers_words_visibly() {
    let addr = fake_server().to_string();
    let out = run(
        &[
            "load",
            "--addr",
            &addr,
            "--user",
            "mallory",
            "--clients",
            "1",
            "--seconds",
            "1",
        ],
        "",
    );
    assert_inert("load stdout", &out.stdout);
    assert_inert("load stderr", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("^[[31mred"), "{stderr}");
}

/// A server whose first line is not a POP3 greeting: the eavesdropper
/// cannot decode it, and says why in the transcript's language (the
/// reason is a value worded when shown, not an English sentence made by
/// the dissector).
#[test]
fn an_undecodable_greeting_is_explained_in_japanese() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let _ = conn.write_all(b"HTTP/1.0 400 not a mail server\r\n");
        }
    });
    let transcript = |lang| {
        let out = run(&["demo", "plain", "--server", &addr, "--lang", lang], "");
        assert_inert("demo stdout", &out.stdout);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ja = transcript("ja");
    assert!(
        ja.contains("解読できません: サーバの最初の行が POP3 の挨拶ではありません"),
        "{ja}"
    );
    assert!(!ja.contains("not a POP3 greeting"), "{ja}");
    let en = transcript("en");
    assert!(
        en.contains("cannot decode: the server's first line is not a POP3 greeting"),
        "{en}"
    );
}
