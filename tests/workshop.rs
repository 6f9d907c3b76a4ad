//! `popscope workshop`: the students' own clients (curl, fetchmail) log
//! in through the workshop's two listeners with what the student sheet
//! says, the eavesdropper reads the cleartext logins and nothing inside
//! TLS, the instructor's attack catches the careless client, and a switch
//! of attack reaches only new connections. Real TCP on loopback, the real
//! binary where a user would run it, the library where the test needs the
//! handle (`set_attack`).

#[path = "common/serve_bin.rs"]
mod serve_bin;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use popscope::attack::Attack;
use popscope::lab::{AttackEvent, Event, EventKind, WireEvent};
use popscope::pop3::auth::Users;
use popscope::workshop::{Workshop, WorkshopOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A running `popscope workshop --headless`, stopped with Ctrl-C (and
/// killed after ten seconds) when dropped.
struct Shop {
    child: Child,
    /// Everything it printed so far, line by line.
    out: Arc<Mutex<Vec<String>>>,
    /// Where it was started: the sheet and its companions are here.
    dir: tempfile::TempDir,
    /// The thread that reads its output, done when the output ends.
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Shop {
    /// Start the workshop on free ports with `extra` flags and wait for
    /// its banner.
    fn start(extra: &[&str]) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .args([
                "workshop",
                "--headless",
                "--pop3",
                "127.0.0.1:0",
                "--pop3s",
                "127.0.0.1:0",
            ])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(extra)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let sink = out.clone();
        let reader = std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let shop = Shop {
            child,
            out,
            dir,
            reader: Some(reader),
        };
        shop.wait_for("the banner", |l| l.starts_with("Ctrl-C stops"));
        shop
    }

    /// Wait until a printed line satisfies `f`.
    fn wait_for(&self, what: &str, f: impl Fn(&str) -> bool) {
        self.wait_until(what, |lines| lines.iter().any(|l| f(l)));
    }

    /// Wait until the printed lines satisfy `f`.
    fn wait_until(&self, what: &str, f: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if f(&self.out.lock().unwrap()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no {what} in {:#?}", self.out.lock().unwrap());
    }

    /// The lines printed after the banner: the transcript or the JSON
    /// events, which must not repeat what the sheet printed before it.
    fn after_banner(&self) -> Vec<String> {
        let out = self.out.lock().unwrap();
        let start = out
            .iter()
            .position(|l| l.starts_with("Ctrl-C stops"))
            .unwrap();
        out[start + 1..].to_vec()
    }

    fn sheet(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("popscope-workshop-sheet.txt")).unwrap()
    }

    /// The password the sheet gives `user`.
    fn password(&self, user: &str) -> String {
        let sheet = self.sheet();
        let mut lines = sheet.lines();
        lines
            .find(|l| *l == format!("Account   {user}"))
            .unwrap_or_else(|| panic!("no {user} on the sheet:\n{sheet}"));
        lines
            .next()
            .and_then(|l| l.strip_prefix("Password  "))
            .unwrap()
            .to_string()
    }

    /// The sheet's lines for `user` that start with `start` (after the
    /// indent), in order.
    fn lines_for(&self, user: &str, start: &str) -> Vec<String> {
        let sheet = self.sheet();
        let block = sheet
            .split("------------------------------------------------------------")
            .find(|b| b.contains(&format!("Account   {user}\n")))
            .unwrap_or_else(|| panic!("no block for {user}:\n{sheet}"))
            .to_string();
        block
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(start))
            .map(str::to_string)
            .collect()
    }

    /// Ctrl-C, then wait for the exit; the lines printed up to the end.
    fn interrupt(&mut self) -> Vec<String> {
        // SAFETY: a signal to our own child, not yet waited for.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
        // The output ends with the process: all of it is read then.
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        self.after_banner()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        serve_bin::stop(&mut self.child);
    }
}

/// A shell line from the sheet, run as a student would paste it, with a
/// time limit so a hanging client cannot hang the tests.
fn sh(line: &str, home: &Path) -> Output {
    Command::new("timeout")
        .args(["--kill-after=5", "60", "sh", "-c", line])
        .env("HOME", home)
        .current_dir(home)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn curl_line(shop: &Shop, user: &str, start: &str) -> String {
    let lines = shop.lines_for(user, start);
    assert_eq!(lines.len(), 1, "{start}: {lines:?}");
    // -s: no progress meter in the output the test reads.
    lines[0].replacen("curl ", "curl -s ", 1)
}

#[test]
fn curl_through_the_pop3_port_leaks_the_students_password() {
    let mut shop = Shop::start(&["--students", "3"]);
    let pw = shop.password("student01");
    let line = curl_line(&shop, "student01", "curl pop3://");
    let out = sh(&line, shop.dir.path());
    assert!(out.status.success(), "{line}: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Subject: Can we fix it?"),
        "{}",
        text(&out.stdout)
    );
    let transcript = shop.interrupt().join("\n");
    assert!(
        transcript.contains(&format!("password {pw} for student01")),
        "{transcript}"
    );
}

#[test]
fn curl_through_the_pop3s_port_with_the_sheets_ca_leaks_nothing() {
    let mut shop = Shop::start(&["--students", "2"]);
    let pw = shop.password("student02");
    let line = curl_line(&shop, "student02", "curl --cacert");
    assert!(line.contains("pop3s://"), "{line}");
    let out = sh(&line, shop.dir.path());
    assert!(out.status.success(), "{line}: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Subject: Can we fix it?"));
    // STLS on the cleartext port, as the sheet's --ssl-reqd line does it.
    let line = curl_line(&shop, "student02", "curl --ssl-reqd");
    let out = sh(&line, shop.dir.path());
    assert!(out.status.success(), "{line}: {}", text(&out.stderr));
    let transcript = shop.interrupt().join("\n");
    assert!(
        transcript.contains("nothing readable: TLSv1_3"),
        "{transcript}"
    );
    assert!(!transcript.contains(&pw), "{transcript}");
    assert!(!transcript.contains("student02"), "{transcript}");
}

/// The JSON events printed after the banner.
fn json_events(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn stripping_stls_catches_the_opportunistic_client_and_not_the_strict_one() {
    let mut shop = Shop::start(&["--students", "2", "--attack", "strip-stls", "--json"]);
    let pw = shop.password("student01");
    let strict = curl_line(&shop, "student01", "curl --ssl-reqd");
    let out = sh(&strict, shop.dir.path());
    assert!(!out.status.success(), "{strict} must refuse without STLS");
    // The same line with TLS only "if offered", what a careless client does.
    let careless = strict.replace("--ssl-reqd", "--ssl");
    let out = sh(&careless, shop.dir.path());
    assert!(out.status.success(), "{careless}: {}", text(&out.stderr));
    shop.wait_until("two verdicts", |lines| {
        json_events(lines)
            .iter()
            .filter(|e| e["event"]["kind"] == "verdict")
            .count()
            == 2
    });
    let events = json_events(&shop.interrupt());
    let opened: Vec<_> = events
        .iter()
        .filter(|e| e["event"]["kind"] == "opened")
        .collect();
    assert_eq!(opened.len(), 2, "{events:#?}");
    for o in &opened {
        assert_eq!(o["event"]["attack"], "strip-stls", "{o}");
    }
    let verdicts: Vec<(u64, bool)> = events
        .iter()
        .filter(|e| e["event"]["kind"] == "verdict")
        .map(|e| {
            (
                e["event"]["conn"].as_u64().unwrap(),
                e["event"]["succeeded"].as_bool().unwrap(),
            )
        })
        .collect();
    let conn = |i: usize| opened[i]["event"]["conn"].as_u64().unwrap();
    assert_eq!(verdicts, vec![(conn(0), false), (conn(1), true)]);
    let leaked = events
        .iter()
        .filter(|e| e["event"]["kind"] == "learned")
        .map(|e| e["event"]["summary"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(
        leaked.iter().any(|s| s.contains(&pw)),
        "the careless client's password: {leaked:?}"
    );
}

#[test]
fn fetchmail_works_with_the_sheets_lines_on_both_ports() {
    let shop = Shop::start(&["--students", "2"]);
    let pw = shop.password("student01");
    let lines = shop.lines_for("student01", "fetchmail --");
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert!(line.contains("--sslcertck"), "{line}");
        assert!(line.ends_with(" localhost"), "{line}");
        let home = tempfile::tempdir().unwrap();
        let netrc = home.path().join(".netrc");
        std::fs::write(
            &netrc,
            format!("machine localhost login student01 password {pw}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = sh(line, home.path());
        let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{line}\n{log}");
        let mail = std::fs::read_to_string(home.path().join("student01-mail.txt"))
            .unwrap_or_else(|e| panic!("{line}: no mail ({e})\n{log}"));
        assert!(mail.contains("Subject: Can we fix it?"), "{mail}");
    }
}

/// Run the workshop expecting it to refuse to start.
fn refused(dir: &Path, extra: &[&str]) -> String {
    let out = Command::new("timeout")
        .args(["30", BIN, "workshop", "--headless"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "it started: {}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn a_room_address_needs_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(
        dir.path(),
        &[
            "--students",
            "2",
            "--pop3",
            "0.0.0.0:0",
            "--pop3s",
            "127.0.0.1:0",
        ],
    );
    assert!(
        e.contains("--pop3 0.0.0.0:0 is not a loopback address"),
        "{e}"
    );
    assert!(e.contains("--allow-remote"), "{e}");
    assert!(!dir.path().join("popscope-workshop-sheet.txt").exists());
}

#[test]
fn a_bad_users_line_is_named_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("room.txt");
    std::fs::write(&users, "teacher:chalk\nbob:{PLAIN}s3cretpw:1000\n").unwrap();
    let e = refused(dir.path(), &["--users", users.to_str().unwrap()]);
    assert!(e.contains("room.txt:2"), "{e}");
    assert!(!e.contains("s3cretpw"), "{e}");
}

#[test]
fn an_existing_sheet_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("popscope-workshop-sheet.txt");
    std::fs::write(&sheet, "last week's sheet\n").unwrap();
    let e = refused(
        dir.path(),
        &[
            "--students",
            "2",
            "--pop3",
            "127.0.0.1:0",
            "--pop3s",
            "127.0.0.1:0",
        ],
    );
    assert!(e.contains("not overwritten"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&sheet).unwrap(),
        "last week's sheet\n"
    );
}

/// The library's workshop with two accounts, on free loopback ports.
async fn library_workshop(data: &Path) -> (Workshop, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let users = Users::parse("ann:annpass1\nben:benpass2\n", "test").unwrap();
    Workshop::start(WorkshopOptions {
        pop3: "127.0.0.1:0".parse().unwrap(),
        pop3s: "127.0.0.1:0".parse().unwrap(),
        allow_remote: false,
        users,
        data_dir: data.to_path_buf(),
        attack: None,
    })
    .await
    .unwrap()
}

/// Send CAPA on `conn` (greeting read already) and return the reply.
async fn capa(conn: &mut tokio::io::BufReader<tokio::net::TcpStream>) -> String {
    conn.get_mut().write_all(b"CAPA\r\n").await.unwrap();
    let mut reply = String::new();
    loop {
        let mut line = String::new();
        assert!(conn.read_line(&mut line).await.unwrap() > 0, "{reply}");
        reply.push_str(&line);
        if line == ".\r\n" || line.starts_with("-ERR") {
            return reply;
        }
    }
}

async fn greeted(addr: std::net::SocketAddr) -> tokio::io::BufReader<tokio::net::TcpStream> {
    let mut c = tokio::io::BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    let mut greeting = String::new();
    c.read_line(&mut greeting).await.unwrap();
    assert!(greeting.starts_with("+OK"), "{greeting}");
    c
}

/// Events until `f` has seen enough, or ten seconds.
async fn collect_until(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    seen: &mut Vec<Event>,
    f: impl Fn(&[Event]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f(seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => seen.push(e),
            _ => panic!("events ended or took too long: {seen:#?}"),
        }
    }
}

fn opened(events: &[Event]) -> Vec<(u64, bool, Option<Attack>)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Wire(WireEvent::Opened {
                conn,
                implicit_tls,
                attack,
                ..
            }) => Some((*conn, *implicit_tls, *attack)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn switching_the_attack_reaches_only_new_connections() {
    let data = tempfile::tempdir().unwrap();
    let (shop, mut rx) = library_workshop(data.path()).await;
    let mut seen = Vec::new();

    // Opened before the switch: it keeps the passive relay.
    let mut before = greeted(shop.pop3_addr()).await;
    shop.set_attack(Some(Attack::StripStls)).unwrap();
    assert_eq!(shop.attack(), Some(Attack::StripStls));
    let mut after = greeted(shop.pop3_addr()).await;

    assert!(capa(&mut before).await.contains("STLS\r\n"));
    assert!(!capa(&mut after).await.contains("STLS\r\n"));

    // A careless login on the new connection: the attack's success, told
    // for that connection.
    for line in ["USER ben\r\n", "PASS benpass2\r\n", "QUIT\r\n"] {
        after.get_mut().write_all(line.as_bytes()).await.unwrap();
        let mut reply = String::new();
        after.read_line(&mut reply).await.unwrap();
        assert!(reply.starts_with("+OK"), "{line}: {reply}");
    }
    collect_until(&mut rx, &mut seen, |s| {
        opened(s).len() == 2
            && s.iter()
                .any(|e| matches!(e.kind, EventKind::Attack(AttackEvent::Verdict { .. })))
    })
    .await;
    let o = opened(&seen);
    assert_eq!(o[0], (1, false, None), "{o:?}");
    assert_eq!(o[1], (2, false, Some(Attack::StripStls)), "{o:?}");
    let verdicts: Vec<_> = seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Attack(AttackEvent::Verdict {
                conn, succeeded, ..
            }) => Some((*conn, *succeeded)),
            _ => None,
        })
        .collect();
    assert_eq!(verdicts, vec![(Some(2), true)]);

    // Switched off: the next connection is watched only.
    shop.set_attack(None).unwrap();
    let mut later = greeted(shop.pop3_addr()).await;
    assert!(capa(&mut later).await.contains("STLS\r\n"));
    // An attack a workshop cannot apply is refused.
    assert!(shop.set_attack(Some(Attack::Crack)).is_err());
    drop((before, after, later));
    shop.shutdown().await;
}

#[tokio::test]
async fn connection_numbers_are_unique_across_both_listeners() {
    let data = tempfile::tempdir().unwrap();
    let (shop, mut rx) = library_workshop(data.path()).await;
    let mut seen = Vec::new();
    let _plain = greeted(shop.pop3_addr()).await;
    let _tls = tokio::net::TcpStream::connect(shop.pop3s_addr())
        .await
        .unwrap();
    let _plain2 = greeted(shop.pop3_addr()).await;
    collect_until(&mut rx, &mut seen, |s| opened(s).len() == 3).await;
    let mut o = opened(&seen);
    o.sort_by_key(|x| x.0);
    let conns: Vec<u64> = o.iter().map(|x| x.0).collect();
    assert_eq!(conns, vec![1, 2, 3], "{o:?}");
    assert_eq!(
        o.iter().filter(|x| x.1).count(),
        1,
        "one came in on POP3S: {o:?}"
    );
    assert!(o.iter().find(|x| x.1).is_some_and(|x| x.0 == 2), "{o:?}");
    drop(seen);
    shop.shutdown().await;
}

/// A TLS handshake on the POP3S port, trusting the workshop's CA, and the
/// greeting inside it.
async fn pop3s_greeting(shop: &Workshop) -> Result<String, std::io::Error> {
    let trust = popscope::lab::Trust::CaFile(shop.ca_cert().to_path_buf());
    let config = popscope::tls::client_config(&trust, false).unwrap();
    let tcp = tokio::net::TcpStream::connect(shop.pop3s_addr()).await?;
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    let mut tls = tokio::io::BufReader::new(tls);
    let mut greeting = String::new();
    tls.read_line(&mut greeting).await?;
    Ok(greeting)
}

#[tokio::test]
async fn a_forged_certificate_on_the_pop3s_port_is_refused_by_a_checking_client() {
    let data = tempfile::tempdir().unwrap();
    let (shop, mut rx) = library_workshop(data.path()).await;
    let mut seen = Vec::new();
    // Unattacked, the workshop's own certificate passes the check.
    let greeting = pop3s_greeting(&shop).await.unwrap();
    assert!(greeting.starts_with("+OK"), "{greeting}");
    shop.set_attack(Some(Attack::ForgeCert)).unwrap();
    let refused = pop3s_greeting(&shop).await;
    assert!(refused.is_err(), "the attacker's certificate was taken");
    collect_until(&mut rx, &mut seen, |s| {
        s.iter()
            .any(|e| matches!(e.kind, EventKind::Attack(AttackEvent::Verdict { .. })))
    })
    .await;
    assert_eq!(
        opened(&seen),
        vec![(1, true, None), (2, true, Some(Attack::ForgeCert))]
    );
    let verdict = seen.iter().find_map(|e| match &e.kind {
        EventKind::Attack(AttackEvent::Verdict {
            conn, succeeded, ..
        }) => Some((*conn, *succeeded)),
        _ => None,
    });
    assert_eq!(verdict, Some((Some(2), false)));
    shop.shutdown().await;
}
