//! `popscope lessons`: check a directory of lessons (`check DIR`), list a
//! course's chapters (`list [DIR]`), and run lessons headless against a
//! real lab with every expectation checked (`run [DIR]`).
//!
//! `check` is what a teacher runs after editing: every problem comes out
//! as `file:line: message`, the form editors and terminals turn into a
//! link, and the exit status says whether there was any.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::lesson::set::{self, Course, expect_text};
use crate::lesson::{Lang, Lesson};

/// Flags of `popscope lessons`.
#[derive(Debug, clap::Args)]
pub struct LessonsArgs {
    #[command(subcommand)]
    pub command: LessonsCmd,
}

/// What `popscope lessons` does.
#[derive(Debug, clap::Subcommand)]
pub enum LessonsCmd {
    /// Check a lessons directory (DIR/ja/*.md and DIR/en/*.md, or one of
    /// them for a course in one language) and print every problem as
    /// file:line: message.
    Check {
        /// The course directory, holding ja/ and en/ (or one of them).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// List the chapters and titles of the built-in lessons, or of DIR's.
    List {
        /// A course directory instead of the built-in lessons.
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run lessons' steps on a real lab and print each expectation's
    /// outcome (the built-in lessons when DIR is left out).
    Run {
        /// A course directory instead of the built-in lessons.
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Only this chapter.
        #[arg(long, value_name = "N")]
        chapter: Option<u32>,
        /// Only this language (default: both).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
}

/// A language on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    /// Japanese.
    Ja,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Ja => Lang::Ja,
            LangArg::En => Lang::En,
        }
    }
}

/// Run `popscope lessons`. Problems and failed expectations are reported
/// on stdout and make the exit status non-zero; an error (a directory that
/// is not there) comes back as `Err`.
pub async fn run(args: LessonsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        LessonsCmd::Check { dir } => check(&dir),
        LessonsCmd::List { dir } => list(dir.as_deref()),
        LessonsCmd::Run { dir, chapter, lang } => {
            run_lessons(dir.as_deref(), chapter, lang.map(Lang::from)).await
        }
    }
}

/// The course directory must exist before anything is said about its
/// contents; a typo in the path should not read as "ja/ is missing".
fn require_dir(dir: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(dir)
        .with_context(|| format!("cannot read the lessons directory {}", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "{} is not a directory: give the course directory that holds ja/ and en/",
            dir.display()
        );
    }
    Ok(())
}

/// Load a directory and run every check on it.
fn load_checked(dir: &Path) -> anyhow::Result<set::Loaded> {
    require_dir(dir)?;
    Ok(set::load_course(dir))
}

/// "1 problem", "3 problems".
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn check(dir: &Path) -> anyhow::Result<ExitCode> {
    let set::Loaded {
        lessons,
        problems,
        notices,
    } = load_checked(dir)?;
    for p in &problems {
        println!("{p}");
    }
    for n in &notices {
        println!("notice: {n}");
    }
    if problems.is_empty() {
        let course = Course::new(lessons);
        let langs = Lang::ALL
            .iter()
            .filter(|l| course.lessons.iter().any(|x| x.lang == **l))
            .count();
        println!(
            "{} in {}, no problems",
            count(course.chapters().len(), "chapter", "chapters"),
            count(langs, "language", "languages")
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}", count(problems.len(), "problem", "problems"));
        Ok(ExitCode::FAILURE)
    }
}

/// The built-in lessons, or a directory's. For a directory, its problems
/// are printed on stderr and the lessons that did load are used.
fn lessons_of(dir: Option<&Path>) -> anyhow::Result<(Vec<Lesson>, usize)> {
    let Some(dir) = dir else {
        return Ok((set::builtin(), 0));
    };
    let loaded = load_checked(dir)?;
    for p in &loaded.problems {
        eprintln!("{p}");
    }
    for n in &loaded.notices {
        eprintln!("notice: {n}");
    }
    Ok((loaded.lessons, loaded.problems.len()))
}

fn list(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (lessons, problems) = lessons_of(dir)?;
    let course = Course::new(lessons);
    for chapter in course.chapters() {
        let mut first = true;
        for l in course.lessons.iter().filter(|l| l.chapter == chapter) {
            let number = if first {
                format!("{chapter:>2}")
            } else {
                "  ".to_string()
            };
            first = false;
            println!("{number}  {}  {}", l.lang.code(), l.title);
        }
    }
    if problems > 0 {
        eprintln!(
            "{}: run `popscope lessons check` for the details",
            count(problems, "problem", "problems")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_lessons(
    dir: Option<&Path>,
    chapter: Option<u32>,
    lang: Option<Lang>,
) -> anyhow::Result<ExitCode> {
    let (lessons, problems) = lessons_of(dir)?;
    if problems > 0 {
        // Running a course whose files disagree would test something other
        // than what the lab shows; the teacher fixes the files first.
        bail!(
            "{} in the lessons: fix them first (`popscope lessons check`)",
            count(problems, "problem", "problems")
        );
    }
    let course = Course::new(lessons);
    let chosen: Vec<&Lesson> = course
        .lessons
        .iter()
        .filter(|l| chapter.is_none_or(|c| l.chapter == c))
        .filter(|l| lang.is_none_or(|x| l.lang == x))
        .collect();
    if chosen.is_empty() {
        match chapter {
            Some(c) => bail!("no lesson for chapter {c} in that language"),
            None => bail!("no lessons to run"),
        }
    }
    let mut failed = 0usize;
    let mut ran = 0usize;
    for lesson in chosen {
        println!(
            "{} (chapter {}): {}",
            lesson.source, lesson.chapter, lesson.title
        );
        if lesson.steps.is_empty() {
            println!("  no steps");
            continue;
        }
        let outcomes = crate::lesson::runner::run_lesson(lesson).await;
        for o in &outcomes {
            ran += 1;
            let mut line = format!("  step {} (line {})", o.step + 1, o.line);
            if let Some(e) = &o.error {
                line.push_str(&format!("  ✗ could not run: {e}"));
            } else if o.results.is_empty() {
                line.push_str("  (nothing expected)");
            }
            for (expect, ok) in &o.results {
                let mark = if *ok { '✓' } else { '✗' };
                line.push_str(&format!("  {mark} {}", expect_text(expect)));
            }
            println!("{line}");
            for ((expect, _), instead) in o.results.iter().zip(&o.instead) {
                if let Some(instead) = instead {
                    println!("    instead of {}: {instead}", expect_text(expect));
                }
            }
            if !o.passed() {
                failed += 1;
            }
        }
    }
    if failed > 0 {
        println!("{failed} of {} failed", count(ran, "step", "steps"));
        Ok(ExitCode::FAILURE)
    } else {
        println!("{} run, all passed", count(ran, "step", "steps"));
        Ok(ExitCode::SUCCESS)
    }
}
