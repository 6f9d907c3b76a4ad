//! The lab screen end to end in a real terminal (tmux): type USER and PASS,
//! see the password in the eavesdropper pane and TRANSACTION in the server
//! pane; switch to POP3S and see no password; Ctrl-C leaves a clean
//! terminal. A second test makes the screen panic on purpose (a hidden
//! hook in `src/tui/run.rs`) and checks the panic hook gives the shell its
//! terminal back. Both need tmux.

use std::time::Duration;

#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

#[test]
fn a_user_logs_in_and_the_eavesdropper_sees_the_password() {
    let state = tempfile::tempdir().unwrap();
    // After the lab exits, the shell reports its exit code and whether the
    // terminal is back in canonical (cooked) mode, then waits to be read.
    let script = format!(
        "XDG_STATE_HOME={state} HOME={state} {bin}; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 60",
        state = state.path().display(),
        bin = env!("CARGO_BIN_EXE_popscope"),
    );
    let tmux = Tmux::start("", &["sh", "-c", &script]);
    tmux.wait_for("the greeting", |s| s.contains("pop3>") && s.contains("+OK"));

    // Typed with the eavesdropper pane focused, the command still lands on
    // the input line: Space does not step (and pause) the wire, `a` does
    // not log in, `l` does not move focus.
    tmux.keys(&["Escape", "3"]);
    tmux.type_line("USER alice");
    let s = tmux.wait_for("USER sent", |s| s.contains("C: USER alice"));
    assert!(!s.contains("PAUSED"), "{s}");
    assert!(!s.contains("logged in"), "{s}");
    tmux.type_line("PASS wonderland");
    // The lesson pane takes the left of the screen by default, so the
    // server pane shows its state without the "session state:" label.
    let s = tmux.wait_for("the login", |s| {
        s.contains(" TRANSACTION ") && s.contains("wonderland")
    });
    assert!(s.contains("PASS ********"), "the client masks it:\n{s}");
    assert!(s.contains("PASSWORD"), "the eavesdropper tags it:\n{s}");

    // The scenario menu: transport → POP3S; Enter closes it on a fresh lab.
    tmux.keys(&[
        "Escape", "s", "Right", "Right", "Down", "Down", "Down", "Down", "Enter",
    ]);
    tmux.wait_for("TLS", |s| s.contains("TLS up") && s.contains("pop3s"));
    // Closing the menu gave the input line the keys back: the login is
    // typed straight away, with no key to find the input line first.
    tmux.type_line("USER alice");
    tmux.type_line("PASS wonderland");
    let s = tmux.wait_for("the POP3S login", |s| {
        s.contains(" TRANSACTION ") && s.contains("maildrop has")
    });
    assert!(!s.contains("wonderland"), "no password over POP3S:\n{s}");
    assert!(s.contains("nothing readable"), "{s}");

    tmux.keys(&["C-c"]);
    // The shell prints the exit code, then what stty says: wait for both.
    let s = tmux.wait_for("the exit", |s| s.contains("EXIT=") && s.contains("icanon"));
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(
        s.contains("\nicanon"),
        "the terminal is out of raw mode:\n{s}"
    );
    assert!(!s.contains("Eavesdropper"), "the screen is restored:\n{s}");
    tmux.assert_alternate_screen_and_mouse_off();
    let log = state.path().join("popscope").join("popscope.log");
    assert!(log.exists(), "logs go to {}", log.display());
}

#[test]
fn a_panic_gives_the_terminal_back() {
    let state = tempfile::tempdir().unwrap();
    // An interactive shell with a prompt of its own, as a user would have.
    // sh does not touch the terminal modes itself, so what `stty` reports
    // after the lab has gone is what the lab left behind.
    let tmux = Tmux::start("-panic", &["env", "PS1=shell-ready$ ", "sh"]);
    tmux.wait_for("the shell", |s| s.contains("shell-ready$"));
    // The hook panics right after the first frame is on the screen, so the
    // panic happens with the terminal raw, on the alternate screen and
    // with the mouse captured. Without a backtrace the message fits on the
    // screen whatever RUST_BACKTRACE the tests run with.
    let line = format!(
        "RUST_BACKTRACE=0 XDG_STATE_HOME={state} HOME={state} POPSCOPE_PANIC_AFTER_FIRST_FRAME=1 {bin}; \
         echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'",
        state = state.path().display(),
        bin = env!("CARGO_BIN_EXE_popscope"),
    );
    tmux.type_line(&line);
    let s = tmux.wait_for("the shell after the panic", |s| {
        s.contains("EXIT=") && s.trim_end().ends_with("shell-ready$")
    });
    assert!(
        s.contains("EXIT=101"),
        "the process died of the panic:\n{s}"
    );
    assert!(
        s.contains("panicking on purpose"),
        "the panic message is readable on the normal screen:\n{s}"
    );
    assert!(
        s.contains("\nicanon\n"),
        "the terminal is back in canonical mode:\n{s}"
    );
    assert!(s.contains("\necho\n"), "typed keys echo again:\n{s}");
    assert!(!s.contains("Eavesdropper"), "the lab screen is gone:\n{s}");
    tmux.assert_alternate_screen_and_mouse_off();
}

#[test]
fn a_lesson_step_drives_the_lab_and_ticks_live_in_both_languages() {
    let state = tempfile::tempdir().unwrap();
    // Chapter 8 (the leak), in English whatever the machine's LANG; the
    // progress goes to the test's own data directory.
    let script = format!(
        "LANG=C.UTF-8 XDG_STATE_HOME={state} POPSCOPE_DATA_DIR={state} HOME={state} {bin} --lesson 8; echo EXIT=$?; sleep 60",
        state = state.path().display(),
        bin = env!("CARGO_BIN_EXE_popscope"),
    );
    let tmux = Tmux::start("-lesson", &["sh", "-c", &script]);
    tmux.wait_for("the chapter", |s| {
        s.contains("Chapter 8") && s.contains("+OK")
    });
    // The first step starts a cleartext lab and logs in; its checks turn
    // to ticks as the lab reports.
    tmux.keys(&["]"]);
    // The eavesdropper reads PASS as it crosses the tap, before the
    // server has answered it: wait for the login's own tick too.
    let s = tmux.wait_for("the checks", |s| {
        s.contains("✓ the eavesdropper read the password")
            && s.contains("✓ the eavesdropper read the user name")
            && s.contains("✓ the client logged in")
    });
    assert!(s.contains("wonderland"), "the eavesdropper pane:\n{s}");
    assert!(!s.contains("✗"), "every check of the step holds:\n{s}");
    // e switches the lesson to Japanese, in place.
    tmux.keys(&["e"]);
    let s = tmux.wait_for("Japanese", |s| {
        s.contains("ステップ 1/") && s.contains("盗聴者がパスワードを読んだ")
    });
    assert!(
        s.contains("3 盗聴者"),
        "the panes take the lesson's words:\n{s}"
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
    let saved = std::fs::read_to_string(state.path().join("progress.toml"))
        .expect("the progress is saved in the data directory");
    assert!(saved.contains("[lessons.danger]"), "{saved}");
}

#[test]
fn a_reopened_lab_is_at_the_chapter_question_and_language_it_was_left_at() {
    let state = tempfile::tempdir().unwrap();
    let run = |args: &str| {
        format!(
            "LANG=C.UTF-8 XDG_STATE_HOME={state} POPSCOPE_DATA_DIR={state} HOME={state} {bin} {args}; echo EXIT=$?; sleep 60",
            state = state.path().display(),
            bin = env!("CARGO_BIN_EXE_popscope"),
        )
    };
    // Chapter 12 in Japanese, on to its third question, answered; quit.
    let tmux = Tmux::start("-resume1", &["sh", "-c", &run("--lesson 12")]);
    tmux.wait_for("the chapter", |s| s.contains("Chapter 12"));
    tmux.keys(&["e"]);
    tmux.wait_for("Japanese", |s| s.contains("第12章"));
    let mut question = None;
    for _ in 0..20 {
        tmux.keys(&["]"]);
        std::thread::sleep(Duration::from_millis(300));
        let s = tmux.screen();
        // The line under the quiz's heading is the question: chapter 12's
        // own words, to find again after reopening.
        let mut rows = s.lines().skip_while(|l| !l.starts_with("│ クイズ 3/"));
        if let Some(next) = rows.nth(1) {
            question = next.split('│').nth(1).map(|q| q.trim().to_string());
            break;
        }
    }
    let question = question.unwrap_or_else(|| panic!("never reached quiz 3:\n{}", tmux.screen()));
    assert!(!question.is_empty());
    tmux.keys(&["1"]);
    tmux.keys(&["C-c"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
    drop(tmux);
    // Reopened without --lesson: the same chapter, question and language.
    let tmux = Tmux::start("-resume2", &["sh", "-c", &run("")]);
    let s = tmux.wait_for("the same place", |s| {
        s.contains("クイズ 3/") && s.contains(&question)
    });
    assert!(!s.contains("Chapter "), "{s}");
    tmux.keys(&["C-c"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
}
