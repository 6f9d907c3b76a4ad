//! neomutt, a text-mode mail client people read POP3 mail with, against
//! `popscope serve`, driven in a real terminal (tmux): over cleartext,
//! STLS and POP3S with the lab's CA it lists the mailbox (the ISO-2022-JP
//! subject decoded) and opens a message; with a CA that is not the lab's
//! it stops at its certificate question and, refused, reads nothing.
//! Nothing is deleted. `.ci/run` installs neomutt; outside CI the test
//! skips with a message when it is missing.

#[path = "common/tool.rs"]
mod tool;

#[path = "common/serve_bin.rs"]
mod serve_bin;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::Command;

use serve_bin::Running;
use tmux::Tmux;

fn have_neomutt() -> bool {
    tool::available("neomutt", "-v", "neomutt")
}

/// A home for neomutt with a muttrc that logs in as alice, checks
/// certificates against `ca`, and with `tls` requires TLS (STLS on a
/// `pop://` URL). No caches, so every run reads from the server.
fn home(dir: &Path, ca: &str, tls: bool) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("Mail")).unwrap();
    let yes_no = if tls { "yes" } else { "no" };
    let rc = dir.join("muttrc");
    std::fs::write(
        &rc,
        format!(
            "set pop_user = \"alice\"\n\
             set pop_pass = \"wonderland\"\n\
             set ssl_starttls = {yes_no}\n\
             set ssl_force_tls = {yes_no}\n\
             set ssl_ca_certificates_file = \"{ca}\"\n\
             set certificate_file = \"{}\"\n\
             set header_cache = \"\"\n\
             set message_cachedir = \"\"\n\
             set record = \"\"\n",
            dir.join("certificates").display()
        ),
    )
    .unwrap();
    rc
}

/// neomutt in tmux, opening `url` with the muttrc in `dir`.
fn neomutt(tag: &str, dir: &Path, rc: &Path, url: &str) -> Tmux {
    let home = format!("HOME={}", dir.display());
    let rc = rc.display().to_string();
    Tmux::start_sized(
        tag,
        120,
        40,
        &[
            "env",
            &home,
            "TERM=xterm-256color",
            "neomutt",
            "-n",
            "-F",
            &rc,
            "-f",
            url,
        ],
    )
}

/// The number of alice's messages on disk.
fn on_disk(mail: &str) -> usize {
    ["cur", "new"]
        .iter()
        .map(|d| {
            std::fs::read_dir(Path::new(mail).join("alice").join(d))
                .map(|r| r.count())
                .unwrap_or(0)
        })
        .sum()
}

#[test]
fn neomutt_reads_the_mailbox_over_cleartext_stls_and_pop3s() {
    if !have_neomutt() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let serve = Running::start(&data.path().join("serve"), &[]);
    let pop3 = serve.addr("POP3");
    let pop3s = serve.addr("POP3S");
    let ca = serve.value("CA").replace(" (just created)", "");
    let mail = serve.value("mail").split(' ').next().unwrap().to_string();
    let before = on_disk(&mail);
    assert!(before > 0);
    let port = |a: &str| a.rsplit_once(':').unwrap().1.to_string();
    // neomutt checks the certificate's DNS name, so the TLS cases use
    // localhost, which the lab's certificate names.
    let cases = [
        ("plain", false, format!("pop://alice@{pop3}/")),
        (
            "stls",
            true,
            format!("pop://alice@localhost:{}/", port(&pop3)),
        ),
        (
            "pop3s",
            true,
            format!("pops://alice@localhost:{}/", port(&pop3s)),
        ),
    ];
    for (tag, tls, url) in &cases {
        let dir = data.path().join(tag);
        let rc = home(&dir, &ca, *tls);
        let t = neomutt(tag, &dir, &rc, url);
        let index = t.wait_for(&format!("{tag}: the mailbox index"), |s| {
            s.contains("Welcome to the popscope lab")
        });
        // The ISO-2022-JP subject, as the server sent it, decodes.
        assert!(
            index.contains("来週のクラスミーティングについて"),
            "{index}"
        );
        assert!(!index.contains("certificate"), "{index}");
        // The first message opens.
        t.keys(&["Enter"]);
        t.wait_for(&format!("{tag}: message 1"), |s| {
            s.contains("From: Ada Quill") || s.contains("Ada Quill <quill@popscope.test>")
        });
        t.keys(&["q"]);
        t.wait_for(&format!("{tag}: back at the index"), |s| {
            s.contains("Photo of the lab bench")
        });
        t.keys(&["q"]);
    }
    // Reading is not deleting: every message is still in the Maildir.
    assert_eq!(on_disk(&mail), before);
    let (status, log) = serve.interrupt();
    assert!(status.success(), "{log}");
    // The server saw STLS, then a TLS session on its POP3S port, and every
    // session log in (the first one in cleartext).
    assert!(log.contains("STLS handshake done"), "{log}");
    assert!(log.contains("port=\"pop3s\"}: TLS handshake done"), "{log}");
    assert_eq!(
        log.matches("logged in over TLS user=alice").count(),
        2,
        "{log}"
    );
}

#[test]
fn neomutt_stops_at_a_certificate_it_cannot_check() {
    if !have_neomutt() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let serve = Running::start(&data.path().join("serve"), &[]);
    let port = serve.addr("POP3").rsplit_once(':').unwrap().1.to_string();
    let dir = data.path().join("system-cas");
    // The system's CAs do not know the lab's CA.
    let rc = home(&dir, "/etc/ssl/certs/ca-certificates.crt", true);
    let t = neomutt(
        "untrusted",
        &dir,
        &rc,
        &format!("pop://alice@localhost:{port}/"),
    );
    let asked = t.wait_for("the certificate question", |s| s.contains("(r)eject"));
    assert!(asked.contains("This certificate was issued by"), "{asked}");
    assert!(!asked.contains("Welcome to the popscope lab"), "{asked}");
    t.keys(&["r"]);
    let after = t.wait_for("the refusal", |s| s.contains("Could not negotiate TLS"));
    assert!(!after.contains("Welcome to the popscope lab"), "{after}");
    let (_, log) = serve.interrupt();
    assert!(!log.contains("logged in"), "{log}");
}

/// `popscope workshop` (headless) started as a teacher would, and neomutt
/// as a student: the account and CA from the sheet, over STLS and POP3S
/// through the workshop's tap, list the student's mail.
#[test]
fn neomutt_reads_a_students_mail_through_the_workshop() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    if !have_neomutt() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let sheet_path = data.path().join("sheet.txt");
    let mut workshop = Command::new(env!("CARGO_BIN_EXE_popscope"))
        .args(["workshop", "--headless", "--students", "1"])
        .args(["--pop3", "127.0.0.1:0", "--pop3s", "127.0.0.1:0", "--sheet"])
        .arg(&sheet_path)
        .arg("--data-dir")
        .arg(data.path().join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(workshop.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.starts_with("Ctrl-C stops");
        banner.push(line);
        if last {
            break;
        }
    }
    // The rest of the transcript is read so the workshop never blocks.
    let reader = std::thread::spawn(move || lines.map_while(Result::ok).count());
    let port = |label: &str| {
        banner
            .iter()
            .find_map(|l| {
                // The banner's "POP3   127.0.0.1:PORT" line, not the
                // sheet's "POP3 port" above it.
                let mut w = l.split_whitespace();
                let addr = w.nth(1).filter(|a| a.contains(':'))?;
                l.split_whitespace()
                    .next()
                    .is_some_and(|first| first == label)
                    .then(|| addr.to_string())
            })
            .unwrap_or_else(|| panic!("no {label} line in {banner:?}"))
            .rsplit_once(':')
            .unwrap()
            .1
            .to_string()
    };
    let (pop3, pop3s) = (port("POP3"), port("POP3S"));
    let sheet = std::fs::read_to_string(&sheet_path).unwrap();
    let value = |label: &str| {
        sheet
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap()
            .trim()
            .to_string()
    };
    let (password, ca) = (value("Password"), value("CA certificate"));
    for (tag, url) in [
        ("ws-stls", format!("pop://student01@localhost:{pop3}/")),
        ("ws-pop3s", format!("pops://student01@localhost:{pop3s}/")),
    ] {
        let dir = data.path().join(tag);
        let rc = home(&dir, &ca, true);
        let text = std::fs::read_to_string(&rc)
            .unwrap()
            .replace("\"alice\"", "\"student01\"")
            .replace("\"wonderland\"", &format!("\"{password}\""));
        std::fs::write(&rc, text).unwrap();
        let t = neomutt(tag, &dir, &rc, &url);
        let index = t.wait_for(&format!("{tag}: the student's mailbox"), |s| {
            s.contains("Can we fix it?")
        });
        assert!(!index.contains("certificate"), "{index}");
        t.keys(&["q"]);
    }
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(workshop.id() as libc::pid_t, libc::SIGINT);
    }
    assert!(workshop.wait().unwrap().success());
    assert!(
        reader.join().unwrap() > 0,
        "the workshop printed a transcript"
    );
}
