//! neomutt, a text-mode mail client people read POP3 mail with, against
//! `popscope serve`, driven in a real terminal (tmux): over cleartext,
//! STLS and POP3S with the lab's CA it lists the mailbox (the ISO-2022-JP
//! subject decoded) and opens a message; with a CA that is not the lab's
//! it stops at its certificate question and, refused, reads nothing.
//! Nothing is deleted. `.ci/run` installs neomutt; outside CI the test
//! skips with a message when it is missing.

#[path = "common/serve_bin.rs"]
mod serve_bin;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::Command;

use serve_bin::Running;
use tmux::Tmux;

fn have_neomutt() -> bool {
    let ok = Command::new("neomutt")
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "neomutt is missing and CI is set: .ci/run should have installed it"
        );
        eprintln!("SKIPPED: neomutt is not installed (apt-get install neomutt)");
    }
    ok
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
