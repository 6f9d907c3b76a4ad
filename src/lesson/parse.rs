//! One lesson file into a [`Lesson`], or into every problem found in it,
//! each with the 1-based line a teacher should look at.
//!
//! The front matter is parsed into toml's spanned document tree first, so
//! every key and value keeps its place in the file; each value is then
//! deserialized on its own with serde (into `toml::Spanned` where the line
//! matters). Taking the values one at a time is what lets a wrong type in
//! one step still leave the other steps checked, so a teacher sees all
//! the problems of a file in one run instead of one per run.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{Expect, Lang, Lesson, Problem, Question, Step, StepAction};

/// One key a table of a lesson file may hold, and whether it must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key as written in the file.
    pub name: &'static str,
    /// A file without it is refused.
    pub required: bool,
}

const fn key(name: &'static str, required: bool) -> Key {
    Key { name, required }
}

/// The keys of the front matter, in the order the format documents them.
/// These lists are the one place that says which keys exist and which are
/// required: the parser reports a missing one from them, and a test holds
/// `lessons/FORMAT.md`'s tables to them.
pub const TOP_KEYS: &[Key] = &[
    key("id", true),
    key("chapter", true),
    key("title", true),
    key("question", true),
    key("steps", false),
    key("quiz", false),
];
/// The keys of one `[[steps]]` table.
pub const STEP_KEYS: &[Key] = &[
    key("text", true),
    key("actions", false),
    key("expect", false),
];
/// The keys of one `[[quiz]]` table.
pub const QUIZ_KEYS: &[Key] = &[
    key("question", true),
    key("choices", true),
    key("answer", true),
    key("explain", true),
];

/// The line that opens and closes the front matter.
const FENCE: &str = "+++";

/// Parse one lesson file. `source` names it in problems (a path, or
/// "built-in ja/05-pop3.md"); `lang` comes from the directory it sits in.
pub fn parse_lesson(source: &str, lang: Lang, text: &str) -> Result<Lesson, Vec<Problem>> {
    // A BOM and CRLF line ends are common in files written on Windows;
    // neither changes which line anything is on, so both are dropped
    // before any offset is taken.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n");
    let mut p = Parser {
        source,
        problems: Vec::new(),
        front: "",
        front_line: 2,
    };

    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != FENCE {
        p.problem(
            1,
            format!(
                "a lesson file must start with a `+++` line opening the front matter, found {:?}",
                first.trim_end()
            ),
        );
        return Err(p.problems);
    }
    // Find the closing fence and split the text into front matter and body
    // by byte offsets, so the front matter's offsets map straight to lines.
    let front_start = first.len();
    let mut offset = front_start;
    let mut close = None;
    for (i, line) in lines.enumerate() {
        if line.trim_end() == FENCE {
            // Line numbers: the opening fence is line 1, the front matter
            // starts on line 2, so the i-th line after the fence is i + 2.
            close = Some((offset, offset + line.len(), i + 2));
            break;
        }
        offset += line.len();
    }
    let Some((front_end, body_start, close_line)) = close else {
        p.problem(
            1,
            "the front matter opened on line 1 is never closed: expected a second `+++` line",
        );
        return Err(p.problems);
    };
    p.front = &text[front_start..front_end];
    let body = text[body_start..].to_string();
    let body_line = close_line + 1;

    let (doc, errors) = DeTable::parse_recoverable(p.front);
    if !errors.is_empty() {
        // The tree recovered from broken TOML is partial, and checking it
        // would report keys as missing that are only hidden by the syntax
        // error; the syntax errors alone are what the teacher needs.
        let mut seen = Vec::new();
        for e in errors {
            let line = p.error_line(&e, 0..0);
            let msg = format!("invalid TOML: {}", one_line(e.message()));
            if !seen.contains(&(line, msg.clone())) {
                seen.push((line, msg.clone()));
                p.problem(line, msg);
            }
        }
        return Err(p.problems);
    }
    let doc = doc.into_inner();

    p.unknown_keys(&doc, TOP_KEYS, "the front matter");
    // A missing key has no line of its own; line 1, where the front
    // matter opens, is the best place to point at.
    p.missing_keys(&doc, TOP_KEYS, "the front matter", 1);
    let id_line = doc.get("id").map_or(1, |v| p.line(v.span().start));
    let id = p.nonblank(&doc, "id");
    let chapter = p.optional::<Spanned<u32>>(&doc, "chapter");
    if let Some(c) = &chapter
        && !(1..=99).contains(c.get_ref())
    {
        let line = p.line(c.span().start);
        p.problem(
            line,
            format!(
                "chapter must be a number from 1 to 99 (file names carry it in two digits), found {}",
                c.get_ref()
            ),
        );
    }
    let title = p.nonblank(&doc, "title");
    let question = p.nonblank(&doc, "question");
    let steps = p.tables(&doc, "steps");
    let steps: Vec<Step> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, t)| p.step(i + 1, t))
        .collect();
    let quiz = p.tables(&doc, "quiz");
    let quiz: Vec<Question> = quiz
        .iter()
        .enumerate()
        .filter_map(|(i, t)| p.question(i + 1, t))
        .collect();

    match (id, chapter, title, question) {
        (Some(id), Some(chapter), Some(title), Some(question)) if p.problems.is_empty() => {
            Ok(Lesson {
                source: source.to_string(),
                lang,
                id,
                id_line,
                chapter: chapter.into_inner(),
                title,
                question,
                body,
                body_line,
                steps,
                quiz,
            })
        }
        _ => Err(p.problems),
    }
}

/// Error messages from toml may span lines; a `file:line:` report wants one.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A table from the document tree with the line it starts on.
struct SpannedTable<'a, 'i> {
    span: Range<usize>,
    table: &'a DeTable<'i>,
}

/// The state of one file's parse: where the front matter sits and the
/// problems found so far.
struct Parser<'s> {
    source: &'s str,
    problems: Vec<Problem>,
    /// The front matter's text, without its fences.
    front: &'s str,
    /// The file line the front matter's first byte is on.
    front_line: usize,
}

impl<'s> Parser<'s> {
    fn problem(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.source.to_string(),
            line,
            message: message.into(),
        });
    }

    /// The file line of a byte offset into the front matter.
    fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.front.len());
        let before = self.front.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.front_line + before
    }

    /// The line of a toml error, or of `fallback` when it has no span.
    fn error_line(&self, e: &toml::de::Error, fallback: Range<usize>) -> usize {
        let span = e.span().unwrap_or(fallback);
        let mut at = span.start.min(self.front.len());
        // An error reported at an empty spot just after a line break (an
        // unclosed string, a value missing at the end of a line) belongs
        // to the line that was left unfinished, not to the next one.
        if span.is_empty() && at > 0 && self.front.as_bytes().get(at - 1) == Some(&b'\n') {
            at -= 1;
        }
        self.line(at)
    }

    /// One problem for each key of `table` that the format does not know.
    fn unknown_keys(&mut self, table: &DeTable<'_>, known: &[Key], place: &str) {
        for key in table.keys() {
            if !known.iter().any(|k| k.name == key.get_ref().as_ref()) {
                let line = self.line(key.span().start);
                self.problem(
                    line,
                    format!(
                        "unknown key {:?} in {place}: expected one of {}",
                        key.get_ref(),
                        known.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }

    /// One problem, on `line`, for each required key of `keys` that
    /// `table` lacks.
    fn missing_keys(&mut self, table: &DeTable<'_>, keys: &[Key], place: &str, line: usize) {
        for k in keys.iter().filter(|k| k.required) {
            if table.get(k.name).is_none() {
                self.problem(
                    line,
                    format!("missing required key {:?} in {place}", k.name),
                );
            }
        }
    }

    /// Deserialize one value with serde; a wrong type becomes a problem on
    /// the value's line.
    fn value<T: for<'de> Deserialize<'de>>(
        &mut self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<T> {
        let span = value.span();
        match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(v) => Some(v),
            Err(e) => {
                let line = self.error_line(&e, span);
                self.problem(line, format!("{key:?}: {}", one_line(e.message())));
                None
            }
        }
    }

    fn optional<T: for<'de> Deserialize<'de>>(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
    ) -> Option<T> {
        let value = table.get(key)?;
        self.value(key, value)
    }

    /// A string that must not be blank when it is there (whether it must
    /// be there is [`Parser::missing_keys`]'s business).
    fn nonblank(&mut self, table: &DeTable<'_>, key: &str) -> Option<String> {
        let s: Spanned<String> = self.optional(table, key)?;
        if s.get_ref().trim().is_empty() {
            let line = self.line(s.span().start);
            self.problem(line, format!("{key:?} is empty"));
            return None;
        }
        Some(s.into_inner())
    }

    /// The tables of an array of tables (`[[steps]]`, `[[quiz]]`), each
    /// with its span; an absent key is an empty list.
    fn tables<'a, 'i>(&mut self, doc: &'a DeTable<'i>, key: &str) -> Vec<SpannedTable<'a, 'i>> {
        let Some(value) = doc.get(key) else {
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            let line = self.line(value.span().start);
            self.problem(
                line,
                format!(
                    "{key:?} must be a list of tables written as [[{key}]], found a {}",
                    value.get_ref().type_str()
                ),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in array.iter() {
            match item.get_ref().as_table() {
                Some(table) => out.push(SpannedTable {
                    span: item.span(),
                    table,
                }),
                None => {
                    let line = self.line(item.span().start);
                    self.problem(
                        line,
                        format!(
                            "each entry of {key:?} must be a table, found a {}",
                            item.get_ref().type_str()
                        ),
                    );
                }
            }
        }
        out
    }

    /// A list of words (actions or expectations), each parsed by `parse`
    /// with problems on the word's own line.
    fn words<T, E: std::fmt::Display>(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        n: usize,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Vec<T> {
        let Some(list) = self.optional::<Vec<Spanned<String>>>(table, key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for w in list {
            match parse(w.get_ref()) {
                Ok(v) => out.push(v),
                Err(e) => {
                    let line = self.line(w.span().start);
                    self.problem(line, format!("step {n}, {key}: {e}"));
                }
            }
        }
        out
    }

    fn step(&mut self, n: usize, t: &SpannedTable<'_, '_>) -> Option<Step> {
        let line = self.line(t.span.start);
        let before = self.problems.len();
        let place = format!("step {n}");
        self.unknown_keys(t.table, STEP_KEYS, &place);
        self.missing_keys(t.table, STEP_KEYS, &place, line);
        let text: Option<String> = self.optional(t.table, "text");
        if text.as_ref().is_some_and(|s| s.trim().is_empty()) {
            self.problem(line, format!("step {n} has an empty \"text\""));
        }
        let actions = self.words(t.table, "actions", n, StepAction::parse);
        let expect = self.words(t.table, "expect", n, Expect::parse);
        if self.problems.len() > before {
            return None;
        }
        Some(Step {
            line,
            text: text.unwrap_or_default(),
            actions,
            expect,
        })
    }

    fn question(&mut self, n: usize, t: &SpannedTable<'_, '_>) -> Option<Question> {
        let line = self.line(t.span.start);
        let before = self.problems.len();
        let place = format!("quiz question {n}");
        self.unknown_keys(t.table, QUIZ_KEYS, &place);
        self.missing_keys(t.table, QUIZ_KEYS, &place, line);
        let question: Option<String> = self.optional(t.table, "question");
        if question.as_ref().is_some_and(|q| q.trim().is_empty()) {
            self.problem(line, format!("{place} has an empty \"question\""));
        }
        let choices: Option<Spanned<Vec<String>>> = self.optional(t.table, "choices");
        let answer: Option<Spanned<i64>> = self.optional(t.table, "answer");
        let explain: Option<Spanned<Vec<String>>> = self.optional(t.table, "explain");

        let count = choices.as_ref().map(|c| c.get_ref().len());
        if let Some(c) = &choices {
            if !(2..=4).contains(&c.get_ref().len()) {
                let l = self.line(c.span().start);
                self.problem(
                    l,
                    format!("{place} has {} choices: expected 2 to 4", c.get_ref().len()),
                );
            }
            if c.get_ref().iter().any(|s| s.trim().is_empty()) {
                let l = self.line(c.span().start);
                self.problem(l, format!("{place} has an empty choice"));
            }
        }
        if let (Some(a), Some(count)) = (&answer, count) {
            let v = *a.get_ref();
            if v < 1 || v as u64 > count as u64 {
                let l = self.line(a.span().start);
                self.problem(
                    l,
                    format!(
                        "{place}: \"answer\" is {v}, expected the number of the right choice, 1 to {count} (1 is the first)"
                    ),
                );
            }
        }
        if let (Some(e), Some(count)) = (&explain, count)
            && e.get_ref().len() != count
        {
            let l = self.line(e.span().start);
            self.problem(
                l,
                format!(
                    "{place}: \"explain\" has {} entries but there are {count} choices: expected one per choice",
                    e.get_ref().len()
                ),
            );
        }
        if self.problems.len() > before {
            return None;
        }
        let answer = usize::try_from(*answer?.get_ref()).ok()?.checked_sub(1)?;
        Some(Question {
            line,
            question: question?,
            choices: choices?.into_inner(),
            answer,
            explain: explain?.into_inner(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pop3::session::StateName;

    const GOOD: &str = r#"+++
id = "leak"
chapter = 8
title = "What is dangerous?"
question = "Who can read my password?"

[[steps]]
text = "Log in in cleartext."
actions = ["scenario plain", "send USER alice", "send PASS wonderland"]
expect = ["password-leaked", "state transaction"]

[[steps]]
text = "Now over POP3S."
actions = ["scenario pop3s", "login"]
expect = ["no-credential"]

[[quiz]]
question = "Which command carries the password?"
choices = ["USER", "PASS", "STAT"]
answer = 2
explain = ["Only the name.", "Right.", "Only counts."]
+++

# Body

Text.
"#;

    fn problems(text: &str) -> Vec<Problem> {
        parse_lesson("t.md", Lang::En, text).expect_err("should not parse")
    }

    fn has(ps: &[Problem], line: usize, phrase: &str) -> bool {
        ps.iter()
            .any(|p| p.line == line && p.message.contains(phrase) && p.file == "t.md")
    }

    #[test]
    fn a_good_file_parses_with_lines() {
        let l = parse_lesson("t.md", Lang::Ja, GOOD).expect("parses");
        assert_eq!(l.id, "leak");
        assert_eq!(l.id_line, 2);
        assert_eq!(l.chapter, 8);
        assert_eq!(l.lang, Lang::Ja);
        assert_eq!(l.source, "t.md");
        assert_eq!(l.title, "What is dangerous?");
        assert_eq!(l.steps.len(), 2);
        assert_eq!(l.steps[0].line, 7);
        assert_eq!(l.steps[1].line, 12);
        assert_eq!(l.steps[0].actions[1], StepAction::Send("USER alice".into()));
        assert_eq!(
            l.steps[0].expect,
            vec![
                Expect::PasswordLeaked,
                Expect::State(StateName::Transaction)
            ]
        );
        assert_eq!(l.quiz.len(), 1);
        assert_eq!(l.quiz[0].line, 17);
        assert_eq!(l.quiz[0].answer, 1, "stored 0-based");
        assert_eq!(l.quiz[0].explain.len(), 3);
        assert_eq!(l.body_line, 23);
        assert!(l.body.starts_with("\n# Body\n"), "{:?}", l.body);
    }

    #[test]
    fn crlf_and_bom_give_the_same_lesson() {
        let plain = parse_lesson("t.md", Lang::En, GOOD).expect("parses");
        let windows = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        let l = parse_lesson("t.md", Lang::En, &windows).expect("parses");
        assert_eq!(l, plain);
    }

    #[test]
    fn a_file_without_front_matter_is_one_problem_on_line_1() {
        let ps = problems("# Just markdown\n");
        assert_eq!(ps.len(), 1);
        assert!(has(&ps, 1, "must start with a `+++` line"), "{ps:?}");
        let ps = problems("");
        assert!(has(&ps, 1, "must start with a `+++` line"), "{ps:?}");
        let ps = problems("+++\nid = \"x\"\n");
        assert!(has(&ps, 1, "never closed"), "{ps:?}");
    }

    #[test]
    fn toml_syntax_errors_point_at_their_line() {
        let text = GOOD.replace("chapter = 8", "chapter = = 8");
        let ps = problems(&text);
        assert!(has(&ps, 3, "invalid TOML"), "{ps:?}");
        let text = GOOD.replace("title = \"What is dangerous?\"", "title = \"What is");
        let ps = problems(&text);
        assert!(has(&ps, 4, "invalid TOML"), "{ps:?}");
        assert!(
            !ps.iter().any(|p| p.message.contains("missing")),
            "no cascade of missing keys: {ps:?}"
        );
    }

    #[test]
    fn every_missing_key_is_named() {
        let ps = problems("+++\nid = \"x\"\n+++\n");
        assert!(has(&ps, 1, "missing required key \"chapter\""), "{ps:?}");
        assert!(has(&ps, 1, "missing required key \"title\""), "{ps:?}");
        assert!(has(&ps, 1, "missing required key \"question\""), "{ps:?}");
        assert_eq!(ps.len(), 3, "{ps:?}");
    }

    #[test]
    fn unknown_keys_list_the_known_ones() {
        let text = GOOD
            .replace("question = \"Who", "colour = \"red\"\nquestion = \"Who")
            .replace("text = \"Now over", "txt = \"x\"\ntext = \"Now over");
        let ps = problems(&text);
        assert!(has(&ps, 5, "unknown key \"colour\""), "{ps:?}");
        assert!(
            has(&ps, 5, "id, chapter, title, question, steps, quiz"),
            "{ps:?}"
        );
        assert!(has(&ps, 14, "unknown key \"txt\" in step 2"), "{ps:?}");
        assert!(has(&ps, 14, "text, actions, expect"), "{ps:?}");
    }

    #[test]
    fn every_bad_word_is_reported_on_its_own_line() {
        let text = GOOD
            .replace(
                "actions = [\"scenario plain\", \"send USER alice\", \"send PASS wonderland\"]",
                "actions = [\n  \"scenario plain\",\n  \"sned USER alice\",\n]",
            )
            .replace(
                "expect = [\"no-credential\"]",
                "expect = [\"password-stolen\"]",
            );
        let ps = problems(&text);
        assert!(has(&ps, 11, "unknown action \"sned\""), "{ps:?}");
        assert!(
            has(&ps, 18, "unknown expectation \"password-stolen\""),
            "{ps:?}"
        );
        assert_eq!(ps.len(), 2, "{ps:?}");
    }

    #[test]
    fn wrong_types_are_reported_per_value() {
        let text = GOOD
            .replace("chapter = 8", "chapter = \"eight\"")
            .replace("text = \"Now over POP3S.\"", "text = 3");
        let ps = problems(&text);
        assert!(has(&ps, 3, "\"chapter\""), "{ps:?}");
        assert!(has(&ps, 13, "\"text\""), "{ps:?}");
        let ps = problems(&GOOD.replace("chapter = 8", "chapter = 100"));
        assert!(has(&ps, 3, "1 to 99"), "{ps:?}");
    }

    #[test]
    fn quiz_rules() {
        let ps = problems(&GOOD.replace("answer = 2", "answer = 4"));
        assert!(has(&ps, 20, "\"answer\" is 4, expected"), "{ps:?}");
        assert!(has(&ps, 20, "1 to 3"), "{ps:?}");
        let ps = problems(&GOOD.replace("answer = 2", "answer = 0"));
        assert!(has(&ps, 20, "\"answer\" is 0"), "{ps:?}");
        let ps = problems(&GOOD.replace(
            "choices = [\"USER\", \"PASS\", \"STAT\"]",
            "choices = [\"PASS\"]",
        ));
        assert!(has(&ps, 19, "1 choices: expected 2 to 4"), "{ps:?}");
        let ps = problems(&GOOD.replace(
            "explain = [\"Only the name.\", \"Right.\", \"Only counts.\"]",
            "explain = [\"Only the name.\", \"Right.\"]",
        ));
        assert!(has(&ps, 21, "one per choice"), "{ps:?}");
        let ps = problems(&GOOD.replace("answer = 2\n", ""));
        assert!(
            has(
                &ps,
                17,
                "missing required key \"answer\" in quiz question 1"
            ),
            "{ps:?}"
        );
        let ps = problems(&GOOD.replace(
            "explain = [\"Only the name.\", \"Right.\", \"Only counts.\"]\n",
            "",
        ));
        assert!(
            has(
                &ps,
                17,
                "missing required key \"explain\" in quiz question 1"
            ),
            "{ps:?}"
        );
    }

    #[test]
    fn steps_need_text() {
        let ps = problems(&GOOD.replace("text = \"Now over POP3S.\"", "text = \" \""));
        assert!(has(&ps, 12, "step 2 has an empty \"text\""), "{ps:?}");
        let ps = problems(&GOOD.replace("text = \"Now over POP3S.\"\n", ""));
        assert!(
            has(&ps, 12, "missing required key \"text\" in step 2"),
            "{ps:?}"
        );
    }

    #[test]
    fn a_file_without_steps_or_quiz_is_fine() {
        let l = parse_lesson(
            "t.md",
            Lang::En,
            "+++\nid = \"a\"\nchapter = 1\ntitle = \"T\"\nquestion = \"Q\"\n+++\nBody\n",
        )
        .expect("parses");
        assert!(l.steps.is_empty() && l.quiz.is_empty());
        assert_eq!(l.body, "Body\n");
        assert_eq!(l.body_line, 7);
    }
}
