//! `popscope lessons check DIR`, run as the real binary: the built-in
//! course passes, and each kind of broken lesson in `tests/lessons_broken/`
//! is reported as `file:line: message` with a non-zero exit status.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

/// Run `popscope lessons ARGS` from the crate's root, so the paths in the
/// output are the relative ones given here.
fn lessons(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("lessons")
        .args(args)
        .output()
        .expect("the popscope binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The line of `out` that starts with `prefix`, which must also contain
/// `phrase`.
fn assert_problem(out: &str, prefix: &str, phrase: &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no problem starting with {prefix:?} in:\n{out}"));
    assert!(
        line.contains(phrase),
        "{prefix:?} should say {phrase:?}, says:\n{line}"
    );
}

#[test]
fn the_builtin_lessons_pass() {
    let (code, out, err) = lessons(&["check", "lessons"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("13 chapters in 2 languages, no problems"),
        "{out}"
    );
}

#[test]
fn every_broken_lesson_is_reported_where_it_is_broken() {
    let (code, out, err) = lessons(&["check", "tests/lessons_broken/course"]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    let c = "tests/lessons_broken/course";
    // Broken TOML: the unclosed string on line 4, and nothing else about
    // that file (no cascade of "missing" keys).
    assert_problem(&out, &format!("{c}/ja/01-toml.md:4: "), "invalid TOML");
    assert_eq!(out.matches("01-toml.md").count(), 1, "{out}");
    assert_problem(
        &out,
        &format!("{c}/en/02-missing.md:1: "),
        "missing required key \"title\"",
    );
    assert_problem(
        &out,
        &format!("{c}/ja/03-action.md:9: "),
        "unknown action \"sned\": expected one of scenario, connect, send",
    );
    assert_problem(
        &out,
        &format!("{c}/en/04-expect.md:10: "),
        "unknown expectation \"password-stolen\": expected one of password-leaked",
    );
    assert_problem(
        &out,
        &format!("{c}/ja/05-quiz.md:15: "),
        "\"answer\" is 5, expected the number of the right choice, 1 to 3",
    );
    assert_problem(
        &out,
        &format!("{c}/ja/06-lonely.md:1: "),
        &format!("chapter 6 has no en version: expected {c}/en/06-lonely.md"),
    );
    assert_problem(
        &out,
        &format!("{c}/en/07-differ.md:7: "),
        "step 1 expects [\"password-leaked\"] here but [\"no-credential\"] in ja/07-differ.md",
    );
    for lang in ["ja", "en"] {
        assert_problem(
            &out,
            &format!("{c}/{lang}/08-number.md:1: "),
            "the file name says chapter 08 but the front matter says chapter = 9",
        );
    }
    // The pairs where only one side is broken are not also reported as
    // missing a language: the broken file is there, just not valid.
    assert!(!out.contains("has no ja version"), "{out}");
    assert_eq!(out.trim_end().lines().last(), Some("9 problems"), "{out}");
    assert_eq!(
        out.lines().count(),
        10,
        "nine problems and the summary:\n{out}"
    );
}

#[test]
fn a_missing_language_directory_is_a_problem() {
    let (code, out, err) = lessons(&["check", "tests/lessons_broken/half"]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert_problem(
        &out,
        "tests/lessons_broken/half/en:1: ",
        "a course needs both ja/ and en/",
    );
    assert_problem(
        &out,
        "tests/lessons_broken/half/ja/01-alone.md:1: ",
        "chapter 1 has no en version",
    );
}

#[test]
fn a_missing_directory_is_a_clear_error() {
    let (code, out, err) = lessons(&["check", "tests/lessons_broken/no-such-course"]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("cannot read the lessons directory tests/lessons_broken/no-such-course"),
        "{err}"
    );
}

#[test]
fn list_shows_both_languages_of_every_chapter() {
    let (code, out, err) = lessons(&["list"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(out.lines().count(), 26, "{out}");
    let first: Vec<&str> = out.lines().take(2).collect();
    assert!(first[0].starts_with(" 1  ja  "), "{out}");
    assert!(first[1].starts_with("    en  "), "{out}");
    assert!(out.lines().any(|l| l.starts_with("12  ja  ")), "{out}");
}

#[test]
fn run_refuses_a_course_with_problems() {
    let (code, out, err) = lessons(&["run", "tests/lessons_broken/course", "--chapter", "7"]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("popscope: 9 problems in the lessons: fix them first"),
        "{err}"
    );
    assert!(!out.contains("step 1"), "nothing ran:\n{out}");
}

/// The lab screen's lesson flags are checked before the screen starts,
/// so a mistake is a message on the terminal, not a broken screen.
#[test]
fn the_lesson_flags_are_validated() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("the popscope binary runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--lesson", "0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("0 is not in 1..=99"), "{err}");
    let (code, err) = run(&["--lesson", "100"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("100 is not in 1..=99"), "{err}");
    let (code, err) = run(&["--lessons", "/nonexistent/popscope-course"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("--lessons /nonexistent/popscope-course: not a directory"),
        "{err}"
    );
}

/// FORMAT.md is what a teacher reads: every word a lesson may use is in
/// one of its tables, written as code.
#[test]
fn the_format_documents_every_word() {
    use popscope::lesson::vocab::{ACTION_WORDS, EXPECT_WORDS, SWITCHES};
    let format = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/FORMAT.md"),
    )
    .expect("lessons/FORMAT.md");
    let words = ACTION_WORDS
        .iter()
        .copied()
        .chain(SWITCHES.iter().map(|s| s.name))
        .chain(EXPECT_WORDS.iter().copied());
    let missing: Vec<&str> = words
        .filter(|w| {
            !format.lines().any(|l| {
                l.starts_with("| ")
                    && (l.contains(&format!("`{w}`")) || l.contains(&format!("`{w} ")))
            })
        })
        .collect();
    assert!(missing.is_empty(), "not in lessons/FORMAT.md: {missing:?}");
}
