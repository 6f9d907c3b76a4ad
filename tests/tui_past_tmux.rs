//! Stepping back and writing a capture in a real terminal (tmux): log in,
//! step the view back with `,` until the password has not crossed yet, see
//! the "past" marks, return to live with `f`, and write the capture with
//! `w` into the directory the lab was started in. Needs tmux.

#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

#[test]
fn the_view_steps_back_and_w_writes_the_capture_in_the_current_directory() {
    let state = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let script = format!(
        "cd {cwd} && LANG=en_GB.UTF-8 XDG_STATE_HOME={state} XDG_DATA_HOME={state} HOME={state} {bin}; sleep 60",
        cwd = cwd.path().display(),
        state = state.path().display(),
        bin = env!("CARGO_BIN_EXE_popscope"),
    );
    let tmux = Tmux::start("-past", &["sh", "-c", &script]);
    tmux.wait_for("the greeting", |s| s.contains("pop3>") && s.contains("+OK"));
    // Log in the scenario's way from the eavesdropper pane.
    tmux.keys(&["Escape", "3", "a"]);
    tmux.wait_for("the login", |s| {
        s.contains("wonderland") && s.contains(" TRANSACTION ")
    });

    // Back, one chunk at a time, until the password has not crossed yet.
    let mut before_pass = None;
    for _ in 0..12 {
        tmux.keys(&[","]);
        let s = tmux.wait_for("the past", |s| s.contains("◀ past"));
        if !s.contains("wonderland") {
            before_pass = Some(s);
            break;
        }
    }
    let s = before_pass.expect("stepping back reaches a view before PASS");
    assert!(s.contains("◀ PAST: chunk"), "the status bar says so:\n{s}");
    // The four lab panes' frames too.
    assert_eq!(s.matches("◀ past").count(), 4, "the pane titles too:\n{s}");
    // One forward shows the password crossing again.
    tmux.keys(&["."]);
    tmux.wait_for("the PASS chunk", |s| s.contains("wonderland"));
    // Live again: no mark.
    tmux.keys(&[",", "f"]);
    let s = tmux.wait_for("the live view", |s| {
        !s.contains("◀") && s.contains("wonderland")
    });
    assert!(s.contains(" TRANSACTION "), "{s}");

    tmux.keys(&["w"]);
    let s = tmux.wait_for("the capture", |s| {
        s.contains("capture written: popscope-plain-")
    });
    let files: Vec<String> = std::fs::read_dir(cwd.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = &files[0];
    assert!(
        name.starts_with("popscope-plain-") && name.ends_with(".pcapng"),
        "{name}"
    );
    assert!(s.contains(name.as_str()), "the status bar names it:\n{s}");
    let len = std::fs::metadata(cwd.path().join(name)).unwrap().len();
    assert!(len > 500, "{len} bytes");
    // A second capture never overwrites the first.
    tmux.keys(&["w"]);
    tmux.wait_for("the second capture", |_| {
        std::fs::read_dir(cwd.path()).unwrap().count() == 2
    });
    tmux.keys(&["C-c"]);
}
