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

/// A course may be in one language: it passes with a notice that says a
/// learner of the other language sees this one, instead of one "has no en
/// version" problem per chapter.
#[test]
fn a_course_in_one_language_passes_with_a_notice() {
    let (code, out, err) = lessons(&["check", "tests/lessons_broken/half"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(!out.contains("has no en version"), "{out}");
    assert!(
        out.contains("notice: tests/lessons_broken/half has lessons in Japanese only (no en/ lessons): a learner who reads in English is shown the Japanese text"),
        "{out}"
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some("1 chapter in 1 language, no problems"),
        "{out}"
    );

    // English alone, replacing built-in chapter 5 (with its id, which is
    // allowed: it is that chapter, revised) and adding a chapter 14.
    let (code, out, err) = lessons(&["check", "tests/lessons_good/en-only"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("has lessons in English only (no ja/ lessons)"),
        "{out}"
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some("2 chapters in 1 language, no problems"),
        "{out}"
    );
    let (code, out, err) = lessons(&["list", "tests/lessons_good/en-only"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(out, " 5  en  Fixture 5\n14  en  Fixture 14\n", "{out}");
}

/// A broken file whose twin is missing: the parse error and the missing
/// twin come out in the same run (the twin used to be reported only once
/// the file parsed).
#[test]
fn a_broken_file_without_its_twin_is_reported_both_ways_in_one_run() {
    let (code, out, err) = lessons(&["check", "tests/lessons_broken/twin"]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    let c = "tests/lessons_broken/twin";
    assert_problem(&out, &format!("{c}/en/01-broken.md:4: "), "invalid TOML");
    assert_problem(
        &out,
        &format!("{c}/en/01-broken.md:1: "),
        &format!("chapter 1 has no ja version: expected {c}/ja/01-broken.md"),
    );
    assert_eq!(out.trim_end().lines().last(), Some("2 problems"), "{out}");
}

/// A teacher's chapter that takes a built-in chapter's id under another
/// number would share that chapter's saved progress: an error on the
/// `id` line of each file. The fixture is the case that was found: a
/// chapter 13 with `id = "pop3"`, chapter 5's id.
#[test]
fn an_id_that_clashes_with_a_builtin_chapter_is_an_error() {
    let (code, out, err) = lessons(&["check", "tests/lessons_broken/clash"]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    for lang in ["ja", "en"] {
        assert_problem(
            &out,
            &format!("tests/lessons_broken/clash/{lang}/13-mine.md:2: "),
            &format!(
                "the id \"pop3\" is the built-in chapter 5's (built-in {lang}/05-pop3.md): progress is saved by id"
            ),
        );
    }
    assert_eq!(out.trim_end().lines().last(), Some("2 problems"), "{out}");
}

/// An empty course is a mistake (a wrong directory, files not saved
/// yet), not "0 chapters, no problems".
#[test]
fn an_empty_course_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("a UTF-8 temporary path");
    let expect_empty = |what: &str| {
        let (code, out, err) = lessons(&["check", path]);
        assert_eq!(code, Some(1), "{what}: {out}\n{err}");
        assert_problem(
            &out,
            &format!("{path}:1: "),
            "the course has no lessons: expected chapter files such as ja/01-intro.md",
        );
        assert_eq!(
            out.trim_end().lines().last(),
            Some("1 problem"),
            "{what}: {out}"
        );
    };
    expect_empty("no ja/ and no en/");
    std::fs::create_dir(dir.path().join("ja")).expect("mkdir ja");
    std::fs::create_dir(dir.path().join("en")).expect("mkdir en");
    expect_empty("both empty");
    std::fs::write(dir.path().join("en/notes.txt"), "not a lesson").expect("write");
    expect_empty("no lesson files");
    let (code, _, err) = lessons(&["run", path]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("1 problem in the lessons"), "{err}");
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

/// FORMAT.md's key tables say exactly what the parser requires: each key
/// the parser knows is a row of its section's table with "yes" or "no" in
/// the required column as the parser has it, and no row names a key the
/// parser does not know.
#[test]
fn the_format_marks_exactly_the_required_keys() {
    use popscope::lesson::parse::{Key, QUIZ_KEYS, STEP_KEYS, TOP_KEYS};
    let format = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/FORMAT.md"),
    )
    .expect("lessons/FORMAT.md");
    let sections: [(&str, &[Key]); 3] = [
        ("## Front matter", TOP_KEYS),
        ("## Steps", STEP_KEYS),
        ("## Quiz questions", QUIZ_KEYS),
    ];
    for (heading, keys) in sections {
        let start = format
            .find(&format!("\n{heading}\n"))
            .unwrap_or_else(|| panic!("FORMAT.md has no {heading:?} section"));
        let body = &format[start + heading.len() + 2..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        // The rows of the section's key table: `| key | required | what |`.
        let rows: Vec<(String, String)> = body
            .lines()
            .skip_while(|l| !l.starts_with("| key | required |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let key = cells[1].trim_matches('`').trim_matches(['[', ']']);
                (key.to_string(), cells[2].to_string())
            })
            .collect();
        assert!(!rows.is_empty(), "{heading}: no key table");
        for k in keys {
            let want = if k.required { "yes" } else { "no" };
            match rows.iter().find(|(name, _)| name == k.name) {
                Some((_, got)) => assert_eq!(
                    got,
                    want,
                    "{heading}: `{}` is {} in the parser",
                    k.name,
                    if k.required { "required" } else { "optional" }
                ),
                None => panic!("{heading}: `{}` is not in FORMAT.md's table", k.name),
            }
        }
        for (name, _) in &rows {
            assert!(
                keys.iter().any(|k| k.name == name),
                "{heading}: FORMAT.md documents `{name}`, which the parser does not know"
            );
        }
    }
}
