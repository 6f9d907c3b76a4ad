//! fetchmail, a mail retriever people really use, as a peer of our server:
//! over cleartext POP3, over STLS and over POP3S, with its certificate
//! checks on (`--sslcertck --sslcertfile CA`), and the fetchmail lines the
//! `popscope serve` banner prints, run as printed. `.ci/run` installs
//! fetchmail.
//!
//! fetchmail checks the certificate against DNS names only, so every run
//! names the server `localhost` (the demo certificate covers it). Each run
//! gets its own `HOME`, so fetchmail's lock file and its record of seen
//! messages (`~/.fetchids`) belong to that run alone, and the password is
//! given in a file with mode 0600 (fetchmail has no flag for it and asks
//! on a terminal otherwise).

mod common;
#[path = "common/serve_bin.rs"]
mod serve_bin;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::TestServer;
use serve_bin::Running;

/// How long one fetchmail run may take before `timeout` stops it, so that
/// a fetchmail waiting for a password or a server never hangs the tests.
const LIMIT_SECONDS: &str = "60";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Write `contents` to `path`, readable by the owner only, as fetchmail
/// demands of files that hold passwords.
fn write_private(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Run as root (as CI is), fetchmail keeps its lock in /var/run whatever
/// `HOME` says, and a second fetchmail refuses to start while the first
/// runs; so the tests here take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `cmd` under `timeout`, with no terminal input, `HOME` set to `home`,
/// one at a time. `timeout` signals the whole process group it leads, so the shell and
/// delivery commands fetchmail starts end with it.
fn run_limited(home: &Path, cwd: &Path, cmd: &[&str]) -> Output {
    // A test that failed while holding the lock leaves it poisoned; the
    // others still run.
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Command::new("timeout")
        .args(["--kill-after=5", LIMIT_SECONDS])
        .args(cmd)
        .env("HOME", home)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} ({e}); .ci/run installs fetchmail"))
}

/// The `Subject:` header line of each message file in `dir`.
fn subjects_in_files(files: &[PathBuf]) -> BTreeSet<String> {
    files
        .iter()
        .map(|f| {
            let raw = text(&std::fs::read(f).unwrap());
            raw.lines()
                .take_while(|l| !l.trim_end_matches('\r').is_empty())
                .find(|l| l.starts_with("Subject:"))
                .unwrap_or_else(|| panic!("{} has no Subject", f.display()))
                .trim_end_matches('\r')
                .to_string()
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// One fetchmail run against a server on loopback: a private home, a
/// generated rc with the password, and a delivery command that writes
/// each message to its own file in `delivered/`.
struct Fetch {
    dir: tempfile::TempDir,
}

/// What one run did.
struct Fetched {
    ok: bool,
    log: String,
    files: Vec<PathBuf>,
    /// The run's directory, kept while the delivered files are read.
    _dir: tempfile::TempDir,
}

impl Fetch {
    fn new() -> Fetch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        std::fs::create_dir(dir.path().join("delivered")).unwrap();
        Fetch { dir }
    }

    /// Fetch alice's mail from `port` with fetchmail's own `flags`.
    fn run(self, port: u16, flags: &[&str]) -> Fetched {
        let rc = self.dir.path().join("fetchmailrc");
        write_private(
            &rc,
            &format!(
                "poll localhost protocol pop3 port {port} timeout 20\n  user alice password wonderland\n"
            ),
        );
        let delivered = self.dir.path().join("delivered");
        // fetchmail runs the delivery command through the shell once per
        // message, so each message lands in a file of its own.
        let mda = format!("cat > \"$(mktemp {}/msg.XXXXXX)\"", delivered.display());
        let mut cmd = vec![
            "fetchmail",
            "-f",
            rc.to_str().unwrap(),
            "--nodetach",
            "--nosyslog",
            "--verbose",
            "--all",
            "--mda",
            &mda,
        ];
        cmd.extend_from_slice(flags);
        let out = run_limited(&self.dir.path().join("home"), self.dir.path(), &cmd);
        Fetched {
            ok: out.status.success(),
            log: format!("{}{}", text(&out.stdout), text(&out.stderr)),
            files: files_in(&delivered),
            _dir: self.dir,
        }
    }
}

/// A demo CA that did not sign the server's certificate.
fn other_ca() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let pki = popscope::tls::ensure_demo_pki(dir.path()).unwrap();
    let path = pki.ca_cert.to_str().unwrap().to_string();
    (dir, path)
}

/// The Subject lines of alice's messages, read before any client runs: a
/// session that ends renames the files it read (they gain the seen flag),
/// so they are not listed while a client may be connected.
fn alices_subjects(srv: &TestServer) -> BTreeSet<String> {
    let sent = subjects_in_files(&srv.messages_on_disk("alice"));
    assert!(sent.contains("Subject: Welcome to the popscope lab"));
    sent
}

/// Every message on the server arrived, each once.
fn assert_all_arrived(sent: &BTreeSet<String>, got: &Fetched, how: &str) {
    assert!(got.ok, "fetchmail over {how} failed:\n{}", got.log);
    assert_eq!(
        got.files.len(),
        sent.len(),
        "over {how}, fetchmail delivered {} of {} messages:\n{}",
        got.files.len(),
        sent.len(),
        got.log
    );
    assert_eq!(&subjects_in_files(&got.files), sent, "over {how}");
}

#[test]
fn fetchmail_fetches_over_cleartext_pop3() {
    let srv = TestServer::start();
    let sent = alices_subjects(&srv);
    // fetchmail 6.4 tries STLS whenever the server offers it and then
    // insists on a verified certificate; an empty --sslproto is its way
    // to stay in cleartext.
    let got = Fetch::new().run(srv.pop3.port(), &["--keep", "--sslproto", ""]);
    assert_all_arrived(&sent, &got, "cleartext POP3");
    assert!(got.log.contains("POP3> USER alice"), "{}", got.log);
    assert!(!got.log.contains("POP3> STLS"), "{}", got.log);
    assert_eq!(
        srv.messages_on_disk("alice").len(),
        8,
        "--keep deletes nothing"
    );
}

#[test]
fn fetchmail_fetches_over_stls_and_refuses_an_unknown_ca() {
    // With cleartext login refused, a login can only succeed after STLS.
    let srv = TestServer::start_with(|c| c.session.cleartext_login = false);
    let sent = alices_subjects(&srv);
    let (_other_dir, other) = other_ca();
    let stls = |ca: &str| {
        Fetch::new().run(
            srv.pop3.port(),
            &[
                "--keep",
                "--sslproto",
                "tls1.2+",
                "--sslcertck",
                "--sslcertfile",
                ca,
            ],
        )
    };

    let refused = stls(&other);
    assert!(
        !refused.ok,
        "a CA that did not sign the certificate must be refused:\n{}",
        refused.log
    );
    assert!(refused.files.is_empty(), "{}", refused.log);
    assert!(
        !refused.log.contains("POP3> USER"),
        "no login before a trusted TLS:\n{}",
        refused.log
    );

    let got = stls(srv.ca.to_str().unwrap());
    assert_all_arrived(&sent, &got, "STLS");
    assert!(got.log.contains("POP3> STLS"), "{}", got.log);
}

#[test]
fn fetchmail_fetches_over_pop3s_and_deletes_without_keep() {
    let srv = TestServer::start();
    let sent = alices_subjects(&srv);
    let (_other_dir, other) = other_ca();
    let pop3s = |ca: &str, keep: &[&str]| {
        let mut flags = vec!["--ssl", "--sslcertck", "--sslcertfile", ca];
        flags.extend_from_slice(keep);
        Fetch::new().run(srv.pop3s.port(), &flags)
    };

    let refused = pop3s(&other, &[]);
    assert!(
        !refused.ok,
        "a CA that did not sign the certificate must be refused:\n{}",
        refused.log
    );
    assert!(refused.files.is_empty(), "{}", refused.log);
    assert_eq!(
        srv.messages_on_disk("alice").len(),
        8,
        "a refused run deletes nothing"
    );

    let kept = pop3s(srv.ca.to_str().unwrap(), &["--keep"]);
    assert_all_arrived(&sent, &kept, "POP3S");
    assert_eq!(
        srv.messages_on_disk("alice").len(),
        8,
        "--keep deletes nothing"
    );

    // Without --keep fetchmail deletes what it delivered (DELE, then QUIT
    // makes the server remove the files).
    let taken = pop3s(srv.ca.to_str().unwrap(), &[]);
    assert!(taken.ok, "{}", taken.log);
    assert_eq!(taken.files.len(), 8, "{}", taken.log);
    assert!(taken.log.contains("POP3> DELE"), "{}", taken.log);
    assert!(srv.messages_on_disk("alice").is_empty(), "{}", taken.log);
}

#[test]
fn the_fetchmail_lines_serve_prints_work_as_printed() {
    let data = tempfile::tempdir().unwrap();
    // A space in the CA's path: the printed lines must quote it.
    let serve = Running::start(&data.path().join("lab data"), &["--cleartext-auth", "deny"]);
    let lines: Vec<String> = serve
        .stdout
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| l.starts_with("fetchmail "))
        .collect();
    assert_eq!(
        lines.len(),
        2,
        "one line for STLS, one for POP3S: {:?}",
        serve.stdout
    );
    let mail_dir = serve
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("mail"))
        .and_then(|v| v.split_whitespace().next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no mail line in {:?}", serve.stdout));
    let sent = subjects_in_files(&files_in(&mail_dir.join("alice/cur")));

    for line in &lines {
        assert!(
            line.contains(" localhost"),
            "fetchmail checks DNS names only: {line}"
        );
        let work = tempfile::tempdir().unwrap();
        // The password where the banner says fetchmail looks for it.
        write_private(
            &work.path().join(".netrc"),
            "machine localhost login alice password wonderland\n",
        );
        let out = run_limited(work.path(), work.path(), &["sh", "-c", line]);
        let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{line}\n{log}");
        let mail = std::fs::read_to_string(work.path().join("alice-mail.txt"))
            .unwrap_or_else(|e| panic!("{line}: no alice-mail.txt ({e})\n{log}"));
        for s in &sent {
            assert!(
                mail.contains(&format!("\n{s}\n")),
                "{line}: {s} missing\n{log}"
            );
        }
    }
    // --keep in the printed lines: the mail is still there.
    assert_eq!(files_in(&mail_dir.join("alice/cur")).len(), sent.len());
    drop(serve);
    assert!(!mail_dir.exists(), "serve removes its demo copy on Ctrl-C");
}
