//! Lessons: the thirteen chapters as files, parsed, checked and run.
//!
//! A lesson file is Markdown with a TOML front matter between `+++`
//! lines. The front matter holds the chapter's id, number, title and
//! question, its steps (text, actions on the lab, expectations about what
//! happened) and its quiz; the Markdown body is the reading shown above
//! the steps. `lessons/FORMAT.md` describes the format for teachers.
//!
//! - [`vocab`]: the action and expectation words a step may use.
//! - [`parse`]: one file into a [`Lesson`], with `file:line` problems.
//! - [`set`]: loading a directory or the built-in lessons, and the checks
//!   across languages (`popscope lessons check`).
//! - [`facts`]: what the lab's events established, and whether an
//!   expectation holds.
//! - [`explain`]: what happened instead, when an expectation failed.
//! - [`runner`]: a lesson's steps run headless against a real lab.
//! - [`progress`]: steps reached and quiz answers, saved in the user's
//!   data directory.

pub mod explain;
pub mod facts;
pub mod parse;
pub mod progress;
pub mod runner;
pub mod set;
pub mod spelling;
pub mod vocab;

pub use crate::lang::Lang;
pub use vocab::{
    BytesTarget, CertKind, Diagram, Element, Expect, PaneName, ScenarioSpec, StepAction, ViewName,
};

/// One chapter in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// Where it came from: a path, or "built-in ja/05-pop3.md".
    pub source: String,
    /// Its language (from the directory it sits in).
    pub lang: Lang,
    /// A stable id, the same in both languages, e.g. "pop3".
    pub id: String,
    /// The line of the file where `id` is set (1-based), where a clash
    /// with another chapter's id is reported.
    pub id_line: usize,
    /// The chapter number (1–13 for the built-in course; a teacher's own
    /// lessons may use others).
    pub chapter: u32,
    /// The chapter's title.
    pub title: String,
    /// The question the chapter answers.
    pub question: String,
    /// The Markdown body.
    pub body: String,
    /// The line of the file where the body starts (1-based).
    pub body_line: usize,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The quiz at the end.
    pub quiz: Vec<Question>,
}

/// One step of a lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The line of the file where the step starts (1-based).
    pub line: usize,
    /// What to show (Markdown).
    pub text: String,
    /// What to do to the lab or the screen, in order.
    pub actions: Vec<StepAction>,
    /// What must then hold.
    pub expect: Vec<Expect>,
}

/// One multiple-choice question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The line of the file where the question starts (1-based).
    pub line: usize,
    /// The question.
    pub question: String,
    /// The choices, 2 to 4.
    pub choices: Vec<String>,
    /// The right choice, 0-based.
    pub answer: usize,
    /// Per choice, why it is right or wrong.
    pub explain: Vec<String>,
}

/// A problem in a lesson file: where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (as given, or "built-in ja/05-pop3.md").
    pub file: String,
    /// The line, 1-based.
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}
