//! `popscope workshop` as a teacher runs it, in a real terminal (tmux):
//! curl logs in as a student through the workshop's POP3 port and the
//! Wall of Sheep shows the student and a masked password (in clear after
//! `r`); through the POP3S port it shows the TLS version and no password;
//! `a` switches on stripping STLS for the next connection, and a client
//! that only hopes for TLS falls for it. `q` gives the terminal back.

#[path = "common/tmux.rs"]
mod tmux;

use std::process::Command;

use tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl is needed (.ci/run installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value after `label` on the sheet's first line that has it.
fn sheet_value(sheet: &str, label: &str) -> String {
    sheet
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} on the sheet:\n{sheet}"))
        .trim()
        .to_string()
}

/// The address after `label` in the screen's header.
fn header_addr(screen: &str, label: &str) -> String {
    let at = screen
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in the header:\n{screen}"));
    screen[at + label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The Wall's row of connection `n`.
fn row(screen: &str, n: u32) -> String {
    screen
        .lines()
        .find(|l| l.trim_start_matches('│').starts_with(&format!("{n} ")))
        .unwrap_or_else(|| panic!("no row {n}:\n{screen}"))
        .to_string()
}

#[test]
fn the_wall_shows_the_students_who_connect_through_the_workshop() {
    let dir = tempfile::tempdir().unwrap();
    let sheet_path = dir.path().join("sheet.txt");
    let data = format!("POPSCOPE_DATA_DIR={}", dir.path().join("data").display());
    let state = format!("XDG_STATE_HOME={}", dir.path().join("state").display());
    let sheet_arg = sheet_path.display().to_string();
    // In a shell, so the terminal stays to be looked at after the quit.
    let command = format!(
        "env {data} {state} LANG=en_GB.UTF-8 {BIN} workshop --students 2 \
         --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 --sheet {sheet_arg}; \
         echo EXITED=$?; sleep 60"
    );
    let t = Tmux::start("workshop", &["sh", "-c", &command]);
    let header = t.wait_for("the workshop screen", |s| s.contains("Wall of Sheep"));
    let pop3 = header_addr(&header, "POP3 with STLS ");
    let pop3s = header_addr(&header, "POP3S ");
    let sheet = std::fs::read_to_string(&sheet_path).unwrap();
    let password = sheet_value(&sheet, "Password");
    let ca = sheet_value(&sheet, "CA certificate");
    assert_eq!(sheet_value(&sheet, "Account"), "student01");

    // Cleartext: the student and a masked password.
    let mail = curl(&[&format!("pop3://student01:{password}@{pop3}/1")]);
    assert!(mail.contains("Return-Path:"), "{mail}");
    let masked = format!(
        "{}{}{}",
        &password[..2],
        "*".repeat(password.len() - 4),
        &password[password.len() - 2..]
    );
    let s = t.wait_for("the cleartext login on the wall", |s| s.contains(&masked));
    let first = row(&s, 1);
    assert!(first.contains("student01"), "{first}");
    assert!(
        !s.contains(&password),
        "the password shows only after r:\n{s}"
    );
    assert!(s.contains("1 of 1 login readable"), "{s}");
    t.keys(&["r"]);
    t.wait_for("the password revealed", |s| s.contains(&password));
    t.keys(&["r"]);
    t.wait_for("the password hidden again", |s| !s.contains(&password));

    // POP3S: the TLS version, and nothing readable.
    let mail = curl(&[
        "--cacert",
        &ca,
        &format!("pop3s://student01:{password}@{pop3s}/1"),
    ]);
    assert!(mail.contains("Return-Path:"), "{mail}");
    let s = t.wait_for("the POP3S connection on the wall", |s| {
        s.contains("1 of 2 logins readable") && s.contains("POP3S 1.3")
    });
    let second = row(&s, 2);
    assert!(second.contains("POP3S 1.3"), "{second}");
    assert!(
        !second.contains("student01") && !second.contains(&masked),
        "{second}"
    );

    // Strip STLS for new connections: curl --ssl (TLS if offered) falls.
    t.keys(&["a"]);
    t.wait_for("the attack armed", |s| {
        s.contains("Attack on new connections: strip STLS")
    });
    curl(&["--ssl", &format!("pop3://student01:{password}@{pop3}/1")]);
    let s = t.wait_for("the stripped connection judged", |s| {
        s.contains("fell for it")
    });
    let third = row(&s, 3);
    assert!(third.contains("fell for it"), "{third}");
    assert!(third.contains(&masked), "{third}");

    t.keys(&["q"]);
    t.wait_for("the workshop to end well", |s| s.contains("EXITED=0"));
    t.assert_alternate_screen_and_mouse_off();
}
