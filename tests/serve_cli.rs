//! `popscope serve` as a user runs it: the binary, its startup text, its
//! flags, bad input, and Ctrl-C.

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

#[path = "common/serve_bin.rs"]
mod serve_bin;

use serve_bin::Running;

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl is needed (.ci/run installs it)")
}

#[test]
fn serve_defaults_give_the_demo_mailbox_and_paste_ready_commands() {
    let data = tempfile::tempdir().unwrap();
    let ca_out = data.path().join("exported-ca.pem");
    let run = Running::start(data.path(), &["--ca-out", ca_out.to_str().unwrap()]);
    let pop3 = run.addr("POP3");
    let pop3s = run.addr("POP3S");
    let ca = run.value("CA");
    assert!(ca.contains("exported-ca.pem"), "{ca}");
    assert!(run.value("users").contains("alice"));
    let mail = run.value("mail");
    let mail_dir = mail.split(' ').next().unwrap().to_string();
    assert!(std::path::Path::new(&mail_dir).join("alice/cur").is_dir());
    // The printed commands work as printed.
    let cmds: Vec<&String> = run
        .stdout
        .iter()
        .filter(|l| l.trim().starts_with("curl "))
        .collect();
    assert_eq!(cmds.len(), 3, "{:?}", run.stdout);
    for c in cmds {
        let args: Vec<&str> = c.split_whitespace().skip(1).collect();
        let out = curl(&args);
        assert!(
            out.status.success(),
            "{c}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Subject: Welcome"),
            "{c}"
        );
    }
    // The key stays private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.path().join("server-key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let ok = curl(&[
        "--cacert",
        ca_out.to_str().unwrap(),
        &format!(
            "pop3s://alice:wonderland@localhost:{}/",
            pop3s.rsplit(':').next().unwrap()
        ),
    ]);
    assert!(ok.status.success());
    let _ = pop3;
    let (status, stderr) = run.interrupt();
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(
        stderr.contains("TLSv1_3"),
        "the session log names the TLS version: {stderr}"
    );
    assert!(stderr.contains("user=alice"), "{stderr}");
    assert!(
        !std::path::Path::new(&mail_dir).exists(),
        "the demo copy is removed on exit"
    );
}

#[test]
fn serve_a_real_maildir_with_a_users_file() {
    let data = tempfile::tempdir().unwrap();
    let mail = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(mail.path().join("carol/new")).unwrap();
    std::fs::write(
        mail.path().join("carol/new/1.M1P1.h"),
        "Subject: hi carol\n\nhello\n",
    )
    .unwrap();
    let users = mail.path().join("users.txt");
    std::fs::write(&users, "# test\ncarol:s3cret\n").unwrap();
    let run = Running::start(
        data.path(),
        &[
            "--maildir",
            mail.path().to_str().unwrap(),
            "--users",
            users.to_str().unwrap(),
            "--user",
            "dave:pw",
            "--cleartext-auth",
            "deny",
        ],
    );
    let pop3 = run.addr("POP3");
    let ca = run.value("CA").replace(" (just created)", "");
    let url = format!("pop3://carol:s3cret@{pop3}/1");
    // Cleartext password login is refused (APOP, which sends no
    // password, is still allowed, so force PLAIN) ...
    let out = curl(&["--login-options", "AUTH=PLAIN", &url]);
    assert!(!out.status.success());
    // ... and works after STLS.
    let out = curl(&["--ssl-reqd", "--cacert", &ca, &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Subject: hi carol"));
    let out = curl(&[
        "--ssl-reqd",
        "--cacert",
        &ca,
        &format!("pop3://dave:pw@{pop3}/"),
    ]);
    assert!(
        out.status.success(),
        "an extra --user with no maildir yet gets an empty one"
    );
    let (status, _) = run.interrupt();
    assert!(status.success());
    assert!(
        mail.path().join("carol/cur/1.M1P1.h:2,").exists(),
        "the user's mail is kept"
    );
}

fn fails_with(args: &[&str], expect: &str) {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("serve")
        .arg("--data-dir")
        .arg(data.path())
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        err.contains(expect),
        "{args:?}: expected {expect:?} in {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_flags_and_files_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.txt");
    std::fs::write(&users, "alice:wonderland\nbroken line\n").unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    fails_with(&["--pop3", "nonsense"], "is not an address");
    fails_with(&["--pop3", "0.0.0.0:0"], "--allow-remote");
    fails_with(
        &["--pop3", "off", "--pop3s", "off"],
        "both listeners are off",
    );
    fails_with(
        &["--maildir", dir.path().to_str().unwrap()],
        "--maildir needs the users",
    );
    fails_with(
        &["--users", users.to_str().unwrap()],
        "users.txt:2: expected name:password",
    );
    fails_with(&["--user", "nocolon"], "expected name:password");
    fails_with(
        &[
            "--cert",
            junk.to_str().unwrap(),
            "--key",
            junk.to_str().unwrap(),
        ],
        "junk.pem",
    );
    fails_with(&["--login-delay", "-1"], "--login-delay");
    fails_with(&["--cleartext-auth", "maybe"], "invalid value");
}

#[test]
fn a_damaged_demo_ca_is_reported_and_left_alone() {
    let data = tempfile::tempdir().unwrap();
    popscope::tls::ensure_demo_pki(data.path()).unwrap();
    let ca = data.path().join("ca.pem");
    std::fs::write(&ca, "garbage\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--pop3", "127.0.0.1:0", "--pop3s", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ca.pem"));
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), "garbage\n");
}

#[test]
fn serve_states_its_connection_limits_and_failure_budget() {
    let data = tempfile::tempdir().unwrap();
    let run = Running::start(data.path(), &["--max-connections", "40"]);
    assert_eq!(
        run.value("limits"),
        "40 connections, 10 per address; 5 failed logins per account, 10 per address, then locked out for 1s doubling up to 300s"
    );
    let run2 = Running::start(
        data.path(),
        &["--max-connections", "40", "--max-per-ip", "3"],
    );
    assert!(
        run2.value("limits")
            .starts_with("40 connections, 3 per address;")
    );
    for r in [run, run2] {
        let (status, stderr) = r.interrupt();
        assert!(status.success(), "exit {status:?}: {stderr}");
    }
}
