//! A Japanese learner's screen, in a real terminal (tmux): with LANG set to
//! Japanese, the lab opens in Japanese, and after a login, in the scenario
//! menu, in the `?` help and in the list of chapters, no cell of the screen
//! holds an English sentence outside protocol text (what the client and
//! the server said to each other, which stays as it crossed the wire).
//!
//! "English sentence" is the rule the catalogue test uses
//! (`tests/common/english.rs`): two ordinary English words in a row.

use std::time::Duration;

#[path = "common/english.rs"]
mod english;
#[path = "common/tmux.rs"]
mod tmux;

use tmux::Tmux;

/// Protocol text: a POP3 reply (its text is the server's, in whatever
/// language the server speaks), a block the lesson quotes (mail headers,
/// commands), which the lesson pane marks with a bar, or a certificate's
/// names (whatever its maker wrote, "O=popscope teaching lab"), which a
/// long name continues onto the next rows.
fn protocol_text(cell: &str) -> bool {
    let c = cell.trim();
    c.contains("+OK")
        || c.contains("-ERR")
        || c.starts_with('▌')
        || c.contains("CN=")
        || c.contains("O=")
        || c.ends_with("attacker)")
        || c.starts_with("lab - ")
}

/// The English runs on a screen, one per offending cell, with the line
/// they are on.
fn english_on(screen: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in screen.lines() {
        for cell in line.split('│') {
            if protocol_text(cell) {
                continue;
            }
            if let Some(run) = english::english_run(cell) {
                found.push(format!("{run:?} in {:?}", line.trim_end()));
            }
        }
    }
    found
}

fn assert_japanese(what: &str, screen: &str) {
    let found = english_on(screen);
    assert!(
        found.is_empty(),
        "English on the Japanese screen ({what}):\n{}\n\nthe screen:\n{screen}",
        found.join("\n")
    );
}

#[test]
fn a_japanese_screen_shows_no_english_sentence_outside_protocol_text() {
    let state = tempfile::tempdir().unwrap();
    let script = format!(
        "LANG=ja_JP.UTF-8 XDG_STATE_HOME={state} POPSCOPE_DATA_DIR={state} HOME={state} {bin}; echo EXIT=$?; sleep 60",
        state = state.path().display(),
        bin = env!("CARGO_BIN_EXE_popscope"),
    );
    let tmux = Tmux::start_sized("-ja", 120, 40, &["sh", "-c", &script]);
    let s = tmux.wait_for("the greeting", |s| s.contains("+OK") && s.contains("第"));
    assert_japanese("opened", &s);

    // A login in cleartext: the eavesdropper's loot, the client's and the
    // server's panes all have something to say.
    tmux.keys(&["Tab"]);
    tmux.type_line("USER alice");
    tmux.type_line("PASS wonderland");
    let s = tmux.wait_for("the login", |s| {
        s.contains("TRANSACTION") && s.contains("wonderland")
    });
    assert_japanese("after a login", &s);

    // Each view in turn: the scenario menu, the help, the chapter list.
    for (key, what) in [
        ("s", "the scenario menu"),
        ("?", "the help"),
        ("o", "the chapters"),
    ] {
        tmux.keys(&["Escape", key]);
        std::thread::sleep(Duration::from_millis(300));
        let s = tmux.screen();
        assert_japanese(what, &s);
        tmux.keys(&["Escape"]);
    }

    // The rule can fail: the same screen in English is full of sentences.
    tmux.keys(&["Escape", "e"]);
    let s = tmux.wait_for("English", |s| !english_on(s).is_empty());
    assert!(s.contains("TRANSACTION"), "{s}");

    tmux.keys(&["C-c"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
}

/// The attacker's seat in Japanese: chapter 13's ten steps strip STLS,
/// forge a certificate, inject across STLS, steal keys and crack an APOP
/// answer, so the attacker's pane, its verdicts, the TLS pane's
/// certificate check, the client's refusals and the status bar's attack
/// mark are all on screen in turn.
#[test]
fn the_attackers_seat_in_japanese_shows_no_english_sentence() {
    let state = tempfile::tempdir().unwrap();
    let script = format!(
        "LANG=ja_JP.UTF-8 XDG_STATE_HOME={state} POPSCOPE_DATA_DIR={state} HOME={state} {bin} --lesson 13; echo EXIT=$?; sleep 60",
        state = state.path().display(),
        bin = env!("CARGO_BIN_EXE_popscope"),
    );
    let tmux = Tmux::start_sized("-ja13", 140, 45, &["sh", "-c", &script]);
    tmux.wait_for("chapter 13", |s| s.contains("第13章"));
    for step in 1..=10 {
        tmux.keys(&["]"]);
        let counter = format!("ステップ {step}/");
        tmux.wait_within("the step", Duration::from_secs(60), |s| {
            s.contains(&counter)
        });
        // Let the step's lab run and report (the attack, the verdict).
        std::thread::sleep(Duration::from_millis(1500));
        assert_japanese(&format!("chapter 13, step {step}"), &tmux.screen());
    }
    tmux.keys(&["C-c"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
}
