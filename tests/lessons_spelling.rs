//! `popscope lessons check DIR` reports a Japanese lesson that uses a
//! spelling the Spelling table of `lessons/FORMAT.md` says not to, with
//! the file and line, and fails.

use std::process::Command;

#[test]
fn a_non_preferred_spelling_is_reported_with_its_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_popscope"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lessons", "check", "tests/lessons_spelling"])
        .output()
        .expect("the popscope binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let problems: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("tests/lessons_spelling/"))
        .collect();
    // Line 10 holds 「サーバー」; line 4's 「サーバ」 is the preferred form and
    // the English twin has no spelling list, so nothing else is reported.
    assert_eq!(problems.len(), 1, "{stdout}");
    assert!(
        problems[0].starts_with("tests/lessons_spelling/ja/01-server.md:10: ")
            && problems[0].contains("「サーバ」"),
        "{stdout}"
    );
}
