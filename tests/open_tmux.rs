//! `popscope --open FILE`: a capture replayed on the lab screen, as a
//! teacher replays one in class: it opens paused at its start, Space
//! steps through the recorded chunks until the password crosses, `,`
//! steps back before it, `q` gives the terminal back. A file that is not
//! a capture is refused in the shell, before any screen.

#[path = "common/tmux.rs"]
mod tmux;

use std::process::Command;

use tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

#[test]
fn a_capture_replays_step_by_step_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain.pcapng");
    let out = Command::new(BIN)
        .args(["demo", "plain", "--pcap"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = format!("XDG_STATE_HOME={}", dir.path().join("state").display());
    let command = format!(
        "env {state} LANG=en_GB.UTF-8 {BIN} --open {}; echo EXITED=$?; sleep 60",
        file.display()
    );
    let t = Tmux::start("open", &["sh", "-c", &command]);
    let s = t.wait_for("the replay, paused at its start", |s| {
        s.contains("REPLAY 0/") && s.contains("PAUSED")
    });
    assert!(!s.contains("PASS wonderland"), "{s}");
    assert!(s.contains("no client runs here"), "{s}");
    // Step until the password has crossed.
    let mut steps = 0;
    loop {
        t.keys(&["Space"]);
        steps += 1;
        let s = t.screen();
        if s.contains("PASS wonderland") {
            break;
        }
        assert!(steps < 40, "the password never crossed:\n{s}");
    }
    // One step back, and it has not crossed yet.
    t.keys(&[","]);
    t.wait_for("the step before the password", |s| {
        !s.contains("PASS wonderland") && s.contains(&format!("REPLAY {}/", steps - 1))
    });
    t.keys(&["q"]);
    t.wait_for("the replay to end well", |s| s.contains("EXITED=0"));
    t.assert_alternate_screen_and_mouse_off();
}

#[test]
fn a_file_that_is_not_a_capture_is_refused_in_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "not a capture at all\n").unwrap();
    let out = Command::new(BIN)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .arg("--open")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("popscope: "), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    // Nothing was drawn: the error is the only output.
    assert!(out.stdout.is_empty());
}
