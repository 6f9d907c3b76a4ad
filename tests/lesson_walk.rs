//! The learner's whole path, in a real terminal (tmux), once per language:
//! every built-in chapter (issue 11 asks for 1 to 12; chapter 13 came
//! since and is walked too) through every step with `]` to the quiz, every
//! question answered, the next chapter opened from the list (`o`); then
//! `q`, the lab opened again with the same data directory, and it must be
//! at the same chapter, place and language; and the list of chapters must
//! show every chapter done (✓).
//!
//! The screen's own words are being reworded while this test lives, so it
//! matches only what does not change with them: step and question counters
//! ("3/7"), the ✓ marks, chapter numbers, and the words of the lesson files
//! themselves (titles, questions, choices), read with the library's own
//! parser. Every wait polls the screen and fails with the screen shown.

use std::time::{Duration, Instant};

use popscope::lesson::set::Course;
use popscope::lesson::{Lang, Lesson};
use unicode_width::UnicodeWidthChar;

#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

/// How long one step may take to show its checks met: a step starts labs,
/// logs in, runs attacks or cracks a password, in a debug build on a
/// shared machine.
const STEP_WAIT: Duration = Duration::from_secs(60);

/// The start of a Markdown text as the pane shows it, at most `cols`
/// columns: emphasis and code marks are dropped (the pane draws them as
/// styles), and it stops before anything the pane might draw otherwise
/// (links, escapes, line ends). Short enough to sit on the first line of
/// its paragraph in the lesson pane at 120 columns.
fn shown_start(md: &str, cols: usize) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in md.trim_start().chars() {
        match ch {
            '*' | '`' => continue,
            '[' | ']' | '_' | '<' | '\\' | '&' | '\n' => break,
            _ => {}
        }
        let w = ch.width().unwrap_or(0);
        if width + w > cols {
            break;
        }
        out.push(ch);
        width += w;
    }
    let out = out.trim_end().to_string();
    assert!(
        out.chars().count() >= 3,
        "too little plain text to find on the screen at the start of {md:?}"
    );
    out
}

/// True when `line` has the counter `i/n` as a whole (not `11/n` for
/// `1/n`), followed, when `ticked`, by the ✓ a step's heading gets once
/// all its checks hold.
fn has_counter(line: &str, i: usize, n: usize, ticked: bool) -> bool {
    let counter = format!("{i}/{n}");
    line.match_indices(&counter).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = &line[at + counter.len()..];
        let whole = !before.is_some_and(|c| c.is_ascii_digit())
            && !after.starts_with(|c: char| c.is_ascii_digit());
        whole && (!ticked || after.trim_start().starts_with('✓'))
    })
}

fn screen_has_counter(screen: &str, i: usize, n: usize, ticked: bool) -> bool {
    screen.lines().any(|l| has_counter(l, i, n, ticked))
}

/// The chapter's row in the list of chapters shows ✓: a line with the
/// chapter's number, then its title, then ✓ before the next border (so a
/// ✓ in a pane beside the lesson's own title line does not count).
fn row_done(screen: &str, l: &Lesson) -> bool {
    let title = shown_start(&l.title, 20);
    let number = l.chapter.to_string();
    screen.lines().any(|line| {
        line.match_indices(&title).any(|(at, _)| {
            let before = line[..at].trim_end_matches(|c: char| !c.is_alphanumeric());
            let numbered = before
                .strip_suffix(&number)
                .is_some_and(|rest| !rest.ends_with(|c: char| c.is_alphanumeric()));
            let rest = &line[at + title.len()..];
            let row = rest.split('│').next().unwrap_or_default();
            numbered && row.contains('✓')
        })
    })
}

/// A learner on one language's path, in a shell inside tmux.
struct Walk {
    tmux: Tmux,
    state: tempfile::TempDir,
    course: Course,
    lang: Lang,
    /// The LANG the lab starts with: the other language, so the one
    /// walked in comes from the `e` key and, after reopening, from what
    /// was saved.
    env_lang: &'static str,
}

impl Walk {
    fn new(lang: Lang) -> Walk {
        let tag = format!("-walk-{}", lang.code());
        let tmux = Tmux::start_sized(&tag, 120, 40, &["env", "PS1=shell-ready$ ", "sh"]);
        tmux.wait_for("the shell", |s| s.contains("shell-ready$"));
        Walk {
            tmux,
            state: tempfile::tempdir().unwrap(),
            course: Course::builtin(),
            lang,
            env_lang: match lang {
                Lang::Ja => "C.UTF-8",
                Lang::En => "ja_JP.UTF-8",
            },
        }
    }

    /// The last chapter of the course, where the lab is left.
    fn last(&self) -> u32 {
        *self.course.chapters().last().expect("a built-in course")
    }

    fn lesson(&self, chapter: u32) -> &Lesson {
        let l = self
            .course
            .get(chapter, self.lang)
            .unwrap_or_else(|| panic!("chapter {chapter} is built in"));
        assert_eq!(
            l.lang, self.lang,
            "chapter {chapter} exists in this language"
        );
        l
    }

    /// Start the lab from the shell with `args`; the shell prints
    /// `{tag}=` and the exit code when it ends.
    fn launch(&self, args: &str, tag: &str) {
        let line = format!(
            "LANG={lang} XDG_STATE_HOME={state} POPSCOPE_DATA_DIR={state} HOME={state} {bin} {args}; echo {tag}=$?",
            lang = self.env_lang,
            state = self.state.path().display(),
            bin = env!("CARGO_BIN_EXE_popscope"),
        );
        self.tmux.type_line(&line);
    }

    /// Quit with `q` and wait for the shell to report a clean exit.
    fn quit(&self, tag: &str) {
        self.tmux.keys(&["q"]);
        // The shell's own line, not the command line that asked for it
        // (which may wrap right before its `echo {tag}=$?`).
        let done = format!("{tag}=");
        let s = self.tmux.wait_for("the lab to quit", |s| {
            s.lines().any(|l| {
                l.strip_prefix(&done).is_some_and(|code| {
                    !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit())
                })
            })
        });
        assert!(s.lines().any(|l| l == format!("{tag}=0")), "{s}");
    }

    /// Wait for chapter `c`'s introduction in the lesson pane: its title
    /// and its question (the question is shown nowhere else).
    fn wait_intro(&self, c: u32) {
        let l = self.lesson(c);
        let title = shown_start(&l.title, 20);
        let question = shown_start(&l.question, 30);
        self.tmux
            .wait_for(&format!("chapter {c} ({title} / {question})"), |s| {
                s.contains(&title) && s.contains(&question)
            });
    }

    /// Every step of the chapter with `]`, each waited for until its
    /// checks hold (its heading's ✓), or until it is shown when it has
    /// none; then every quiz question answered with its right choice.
    fn walk_chapter(&self, c: u32) {
        let l = self.lesson(c);
        let n = l.steps.len();
        for (i, step) in l.steps.iter().enumerate() {
            self.tmux.keys(&["]"]);
            let ticked = !step.expect.is_empty();
            self.tmux.wait_within(
                &format!("chapter {c} step {}/{n} (checks met: {ticked})", i + 1),
                STEP_WAIT,
                |s| screen_has_counter(s, i + 1, n, ticked),
            );
        }
        for (q, question) in l.quiz.iter().enumerate() {
            // The quiz takes its keys in the lesson pane, which reaching a
            // question focuses; the keys are read in order, so the answer
            // goes to the question `]` moved to.
            let answer = (question.answer + 1).to_string();
            self.tmux.keys(&["]", &answer]);
            let asked = shown_start(&question.question, 30);
            let mark = format!(
                "✓ {answer}) {}",
                shown_start(&question.choices[question.answer], 20)
            );
            self.tmux.wait_for(
                &format!("chapter {c} question {} answered ({mark})", q + 1),
                |s| s.contains(&asked) && s.contains(&mark),
            );
        }
    }

    /// Open the list, see chapter `c` done there, and open the next one.
    fn next_chapter(&self, c: u32) {
        self.tmux.keys(&["o"]);
        let l = self.lesson(c);
        self.tmux
            .wait_for(&format!("chapter {c} done in the list"), |s| row_done(s, l));
        // The list opens at the chapter shown.
        self.tmux.keys(&["Down", "Enter"]);
        self.wait_intro(c + 1);
    }
}

/// The walk in one language; `leave` is what is done at the end of the
/// last chapter before quitting, and `check_place` checks the reopened
/// lab is where it was left.
fn walk(lang: Lang, leave: impl Fn(&Walk), check_place: impl Fn(&Walk)) {
    let started = Instant::now();
    let w = Walk::new(lang);
    w.launch("--lesson 1", "FIRST");
    // The lab opens in LANG's language; `e` switches to the one walked.
    let first_in_env = w.course.get(1, lang.other()).unwrap();
    let title = shown_start(&first_in_env.title, 20);
    w.tmux
        .wait_for("chapter 1 in LANG's language", |s| s.contains(&title));
    w.tmux.keys(&["e"]);
    w.wait_intro(1);
    let chapters = w.course.chapters();
    assert_eq!(chapters, (1..=w.last()).collect::<Vec<_>>(), "no gaps");
    assert!(w.last() >= 12, "issue 11 walks at least chapters 1 to 12");
    for &c in &chapters {
        let t = Instant::now();
        w.walk_chapter(c);
        if c < w.last() {
            w.next_chapter(c);
        }
        eprintln!(
            "{}: chapter {c} walked in {:.1}s",
            lang.code(),
            t.elapsed().as_secs_f32()
        );
    }
    leave(&w);
    w.quit("FIRST");

    // Opened again with no chapter asked for, and LANG still naming the
    // other language.
    w.launch("", "SECOND");
    check_place(&w);
    w.tmux.keys(&["o"]);
    let s = w.tmux.wait_for("every chapter done in the list", |s| {
        chapters.iter().all(|&c| row_done(s, w.lesson(c)))
    });
    for &c in &chapters {
        assert!(row_done(&s, w.lesson(c)), "chapter {c} has its ✓:\n{s}");
    }
    w.tmux.keys(&["Escape"]);
    w.quit("SECOND");
    eprintln!(
        "{}: the whole walk took {:.1}s",
        lang.code(),
        started.elapsed().as_secs_f32()
    );
}

/// Japanese: left at the last question of the last chapter, answered.
#[test]
fn the_japanese_learner_finishes_every_chapter_and_reopens_where_they_left() {
    walk(
        Lang::Ja,
        |_| {},
        |w| {
            let l = w.lesson(w.last());
            // The pane shows the question, scrolled past the title: the
            // question's own words say which chapter and language it is.
            let q = l.quiz.last().unwrap();
            let asked = shown_start(&q.question, 30);
            let mark = format!(
                "✓ {}) {}",
                q.answer + 1,
                shown_start(&q.choices[q.answer], 20)
            );
            let n = l.quiz.len();
            w.tmux
                .wait_for("the last chapter's last question, answered", |s| {
                    s.contains(&asked) && s.contains(&mark) && screen_has_counter(s, n, n, false)
                });
        },
    );
}

/// English: gone back with `[` to the last chapter's second step, which
/// keeps the ticks it had; the reopened lab must carry it out again and
/// show its checks met.
#[test]
fn the_english_learner_finishes_every_chapter_and_reopens_where_they_left() {
    walk(
        Lang::En,
        |w| {
            let l = w.lesson(w.last());
            // From the last question back through the quiz to step 2.
            let back = l.quiz.len() + l.steps.len() - 2;
            for _ in 0..back {
                w.tmux.keys(&["["]);
            }
            let n = l.steps.len();
            let third = shown_start(&l.steps[2].text, 30);
            w.tmux
                .wait_for("the last chapter back at step 2, its ticks kept", |s| {
                    screen_has_counter(s, 2, n, true) && !s.contains(&third)
                });
        },
        |w| {
            let l = w.lesson(w.last());
            let n = l.steps.len();
            // The pane shows the step's place, scrolled past the title:
            // the step's own words say which chapter and language it is.
            let second = shown_start(&l.steps[1].text, 30);
            let third = shown_start(&l.steps[2].text, 30);
            let asked = shown_start(&l.quiz[0].question, 30);
            let s = w.tmux.wait_within(
                "the last chapter's second step, met again",
                STEP_WAIT,
                |s| s.contains(&second) && screen_has_counter(s, 2, n, true),
            );
            assert!(!s.contains(&third), "not past step 2:\n{s}");
            assert!(!s.contains(&asked), "not at the quiz:\n{s}");
        },
    );
}

#[test]
fn counters_are_matched_whole() {
    assert!(has_counter("│ Step 1/3  ✓", 1, 3, true));
    assert!(has_counter("│ ステップ 1/3", 1, 3, false));
    assert!(!has_counter("│ Step 1/3", 1, 3, true));
    assert!(!has_counter("│ Step 11/30 ✓", 1, 3, false));
    assert!(!has_counter("│ Step 11/3 ✓", 1, 3, false));
    assert!(!has_counter("│ Step 1/30 ✓", 1, 3, false));
    assert_eq!(
        shown_start("What does `STLS` **do**?", 30),
        "What does STLS do?"
    );
    assert_eq!(shown_start("第一の質問です。長い", 8), "第一の質");
}

#[test]
fn a_chapter_is_done_only_on_its_own_row_of_the_list() {
    let course = Course::builtin();
    let two = course.get(2, Lang::En).unwrap();
    let row = format!("│  2  {}  ✓ 3/3 · quiz 3/3   │", two.title);
    assert!(row_done(&row, two));
    // Not done yet, another chapter's number, the lesson pane's own title
    // with a ✓ in the pane beside it.
    assert!(!row_done(&format!("│  2  {}  1/3   │", two.title), two));
    assert!(!row_done(&format!("│ 12  {}  ✓ 3/3  │", two.title), two));
    assert!(!row_done(
        &format!("│Chapter 2 {}  ││✓ logged in", two.title),
        two
    ));
}
