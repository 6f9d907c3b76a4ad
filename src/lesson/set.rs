//! Sets of lessons: the built-in course compiled into the binary, a
//! teacher's directory read at run time, the checks that hold across
//! files and languages (`popscope lessons check`), and [`Course`], the
//! merged set the lab screen shows.
//!
//! A directory holds `ja/` and `en/`, each with one `NN-name.md` file per
//! chapter; the two files of a chapter share their name, and everything
//! but the prose must agree between them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::parse::parse_lesson;
use super::{Diagram, Element, Expect, Lang, Lesson, PaneName, Problem, StepAction, ViewName};
use crate::lesson::vocab::{BytesTarget, VerifyName};

/// One entry of [`BUILTIN`]: the language, the file name and the text.
macro_rules! builtin {
    (Ja, $name:literal) => {
        (
            Lang::Ja,
            $name,
            include_str!(concat!("../../lessons/ja/", $name)),
        )
    };
    (En, $name:literal) => {
        (
            Lang::En,
            $name,
            include_str!(concat!("../../lessons/en/", $name)),
        )
    };
}

/// The built-in course, embedded so the binary needs no files beside it.
/// The order is the course's; both languages of each chapter are listed.
const BUILTIN: &[(Lang, &str, &str)] = &[
    builtin!(Ja, "01-delivery.md"),
    builtin!(Ja, "02-protocols.md"),
    builtin!(Ja, "03-what-to-protect.md"),
    builtin!(Ja, "04-imap.md"),
    builtin!(Ja, "05-pop3.md"),
    builtin!(Ja, "06-mailbox.md"),
    builtin!(Ja, "07-auth.md"),
    builtin!(Ja, "08-danger.md"),
    builtin!(Ja, "09-pop3s.md"),
    builtin!(Ja, "10-compare.md"),
    builtin!(Ja, "11-handshake.md"),
    builtin!(Ja, "12-switch.md"),
    builtin!(Ja, "13-attacker.md"),
    builtin!(En, "01-delivery.md"),
    builtin!(En, "02-protocols.md"),
    builtin!(En, "03-what-to-protect.md"),
    builtin!(En, "04-imap.md"),
    builtin!(En, "05-pop3.md"),
    builtin!(En, "06-mailbox.md"),
    builtin!(En, "07-auth.md"),
    builtin!(En, "08-danger.md"),
    builtin!(En, "09-pop3s.md"),
    builtin!(En, "10-compare.md"),
    builtin!(En, "11-handshake.md"),
    builtin!(En, "12-switch.md"),
    builtin!(En, "13-attacker.md"),
];

/// The built-in lessons, both languages. A file that does not parse is
/// left out with a warning rather than stopping the program: the lab is
/// still useful without one chapter, and a test checks the files.
pub fn builtin() -> Vec<Lesson> {
    let mut out = Vec::with_capacity(BUILTIN.len());
    for (lang, name, text) in BUILTIN {
        let source = format!("built-in {}/{name}", lang.code());
        match parse_lesson(&source, *lang, text) {
            Ok(l) => out.push(l),
            Err(problems) => {
                for p in problems {
                    tracing::warn!("{p}");
                }
            }
        }
    }
    out
}

/// The chapter number a file name starts with: two digits and a dash.
fn name_number(name: &str) -> Option<u32> {
    let b = name.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b'-' {
        Some(u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0'))
    } else {
        None
    }
}

/// A teacher's course read from its directory and checked: on its own,
/// and against the built-in course it is shown beside.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The lessons that parsed.
    pub lessons: Vec<Lesson>,
    /// Every problem found, of every file, in one round.
    pub problems: Vec<Problem>,
    /// Things a teacher should know that are not mistakes (a course in
    /// one language only), one sentence each.
    pub notices: Vec<String>,
}

/// Read and check a teacher's course directory: every `*.md` file in
/// `DIR/ja` and `DIR/en`, the checks across its files ([`check`] and the
/// pairing of the languages), and its ids against the built-in course's
/// ([`check_against_builtin`]). Nothing stops at the first problem, so a
/// teacher sees them all in one run.
pub fn load_course(dir: &Path) -> Loaded {
    let read = read_dir(dir);
    let mut problems = read.problems;
    if read.files.is_empty() && problems.is_empty() {
        problems.push(Problem {
            file: dir.display().to_string(),
            line: 1,
            message: "the course has no lessons: expected chapter files such as ja/01-intro.md and en/01-intro.md".into(),
        });
    }
    problems.extend(check_files(&read.lessons, &read.files));
    problems.extend(check_against_builtin(&builtin(), &read.lessons));
    let mut notices = Vec::new();
    if let [only] = languages(&read.files)[..] {
        notices.push(format!(
            "{} has lessons in {} only (no {}/ lessons): a learner who reads in {} is shown the {} text, with a line saying the chapter is in {} only",
            dir.display(),
            english_name(only),
            only.other().code(),
            english_name(only.other()),
            english_name(only),
            english_name(only),
        ));
    }
    Loaded {
        lessons: read.lessons,
        problems,
        notices,
    }
}

/// What a directory held: the lessons that parsed, the problems of the
/// files, and every lesson file found, parsed or not, as (language,
/// path). The pairing of the languages goes by the files found, so a file
/// that does not parse still counts as there, and a broken file without
/// its twin is reported as both broken and alone in the same run.
struct Read {
    lessons: Vec<Lesson>,
    problems: Vec<Problem>,
    files: Vec<(Lang, String)>,
}

fn read_dir(dir: &Path) -> Read {
    let mut lessons = Vec::new();
    let mut problems = Vec::new();
    let mut found = Vec::new();
    for lang in Lang::ALL {
        let lang_dir = dir.join(lang.code());
        let entries = match std::fs::read_dir(&lang_dir) {
            Ok(e) => e,
            // A course may be in one language only: a missing language
            // directory is said as a notice by the caller, not a problem.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                problems.push(Problem {
                    file: lang_dir.display().to_string(),
                    line: 1,
                    message: format!("cannot read the {} lessons directory: {e}", lang.code()),
                });
                continue;
            }
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
            .collect();
        files.sort();
        for path in files {
            let file = path.display().to_string();
            found.push((lang, file.clone()));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name_number(&name).is_none() {
                problems.push(Problem {
                    file: file.clone(),
                    line: 1,
                    message: format!(
                        "the file name {name:?} must start with the chapter number in two digits and a dash, e.g. \"05-pop3.md\""
                    ),
                });
            }
            let text = match std::fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(t) => t,
                    Err(e) => {
                        problems.push(Problem {
                            file,
                            line: 1,
                            message: format!(
                                "not UTF-8 text (invalid bytes at offset {}): lesson files must be saved as UTF-8",
                                e.utf8_error().valid_up_to()
                            ),
                        });
                        continue;
                    }
                },
                Err(e) => {
                    problems.push(Problem {
                        file,
                        line: 1,
                        message: format!("cannot read the file: {e}"),
                    });
                    continue;
                }
            };
            problems.extend(super::spelling::check(&file, lang, &text));
            match parse_lesson(&file, lang, &text) {
                Ok(l) => lessons.push(l),
                Err(ps) => problems.extend(ps),
            }
        }
    }
    Read {
        lessons,
        problems,
        files: found,
    }
}

/// The languages that have at least one file, in [`Lang::ALL`]'s order.
fn languages(files: &[(Lang, String)]) -> Vec<Lang> {
    Lang::ALL
        .into_iter()
        .filter(|l| files.iter().any(|(x, _)| x == l))
        .collect()
}

/// A teacher's lessons against the built-in course. Progress is saved by
/// chapter id, so an id is a chapter's identity: a teacher's chapter may
/// carry a built-in chapter's id only when it has that chapter's number,
/// that is when it replaces that chapter (see [`Course::merged`]) and
/// continues its progress. Any other use of a built-in id would make two
/// chapters share one learner's progress.
pub fn check_against_builtin(builtin: &[Lesson], teacher: &[Lesson]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for t in teacher {
        // Named in the teacher's file's language when it can be.
        let clash = |b: &&Lesson| b.id == t.id && b.chapter != t.chapter;
        let same_lang = builtin.iter().filter(clash).find(|b| b.lang == t.lang);
        if let Some(b) = same_lang.or_else(|| builtin.iter().find(clash)) {
            problems.push(Problem {
                file: t.source.clone(),
                line: t.id_line,
                message: format!(
                    "the id {:?} is the built-in chapter {}'s ({}): progress is saved by id, so this chapter would share that one's; give it an id of its own, or make it chapter {} to replace that chapter",
                    t.id, b.chapter, b.source, b.chapter
                ),
            });
        }
    }
    problems
}

/// The file name part of a lesson's source.
fn file_name(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

/// The short form used to refer to another file in a message: "ja/05-pop3.md".
fn short(lesson: &Lesson) -> String {
    format!("{}/{}", lesson.lang.code(), file_name(&lesson.source))
}

/// Where the other language's file of the file at `source` (in
/// language `lang`) should be: the same name in the sibling language
/// directory.
fn sibling_path(source: &str, lang: Lang) -> String {
    let name = file_name(source);
    let other = lang.other().code();
    if source.starts_with("built-in ") {
        return format!("built-in {other}/{name}");
    }
    match Path::new(source).parent().and_then(Path::parent) {
        Some(course) => course.join(other).join(name).display().to_string(),
        None => format!("{other}/{name}"),
    }
}

/// The checks across files: both languages of every chapter, the same
/// id, chapter, steps (actions and expectations) and quiz answers in both,
/// no id or chapter used twice in a language, and file names whose number
/// is the chapter. Problems about a pair are reported in the English file
/// (the second language), comparing it with the Japanese one. A set of
/// lessons in one language only is a course in that language, and is not
/// short of the other.
pub fn check(lessons: &[Lesson]) -> Vec<Problem> {
    let files: Vec<(Lang, String)> = lessons.iter().map(|l| (l.lang, l.source.clone())).collect();
    check_files(lessons, &files)
}

/// [`check`], pairing the languages by the files found (`files`, parsed
/// or not) rather than by the lessons that parsed.
fn check_files(lessons: &[Lesson], files: &[(Lang, String)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut push = |lesson: &Lesson, line: usize, message: String| {
        problems.push(Problem {
            file: lesson.source.clone(),
            line,
            message,
        })
    };

    for lang in Lang::ALL {
        let mut ids: BTreeMap<&str, &Lesson> = BTreeMap::new();
        let mut chapters: BTreeMap<u32, &Lesson> = BTreeMap::new();
        for l in lessons.iter().filter(|l| l.lang == lang) {
            if let Some(first) = ids.get(l.id.as_str()) {
                push(
                    l,
                    l.id_line,
                    format!("the id {:?} is already used by {}", l.id, short(first)),
                );
            } else {
                ids.insert(&l.id, l);
            }
            if let Some(first) = chapters.get(&l.chapter) {
                push(
                    l,
                    1,
                    format!("chapter {} is already used by {}", l.chapter, short(first)),
                );
            } else {
                chapters.insert(l.chapter, l);
            }
            if let Some(n) = name_number(file_name(&l.source))
                && n != l.chapter
            {
                push(
                    l,
                    1,
                    format!(
                        "the file name says chapter {n:02} but the front matter says chapter = {}: they must agree",
                        l.chapter
                    ),
                );
            }
        }
    }

    // Pair the two languages' files by file name, as the format asks, when
    // the course has both languages.
    if languages(files).len() < Lang::ALL.len() {
        return problems;
    }
    // Problems about a file without its twin have no parsed lesson to go
    // through `push` with, so they are gathered here and added at the end.
    let mut alone = Vec::new();
    let parsed = |source: &str| lessons.iter().find(|l| l.source == source);
    let by_name = |lang: Lang| -> BTreeMap<&str, &str> {
        files
            .iter()
            .filter(|(l, _)| *l == lang)
            .map(|(_, source)| (file_name(source), source.as_str()))
            .collect()
    };
    let ja = by_name(Lang::Ja);
    let en = by_name(Lang::En);
    let names: BTreeSet<&str> = ja.keys().chain(en.keys()).copied().collect();
    for name in names {
        match (ja.get(name), en.get(name)) {
            // A file that did not parse has its own problems reported
            // already; there is nothing to compare it with.
            (Some(a), Some(b)) => {
                if let (Some(a), Some(b)) = (parsed(a), parsed(b)) {
                    compare(a, b, &mut push);
                }
            }
            (Some(one), None) | (None, Some(one)) => {
                let lang = if ja.contains_key(name) {
                    Lang::Ja
                } else {
                    Lang::En
                };
                let chapter = parsed(one).map(|l| l.chapter).or_else(|| name_number(name));
                let what = match chapter {
                    Some(c) => format!("chapter {c}"),
                    None => "this file".to_string(),
                };
                alone.push(Problem {
                    file: one.to_string(),
                    line: 1,
                    message: format!(
                        "{what} has no {} version: expected {}",
                        lang.other().code(),
                        sibling_path(one, lang)
                    ),
                });
            }
            (None, None) => {}
        }
    }
    problems.extend(alone);
    problems
}

/// A language's name in English, for the command line's notices.
fn english_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "Japanese",
        Lang::En => "English",
    }
}

/// The line the lesson pane shows above a chapter that is not in the
/// language the learner chose (a teacher's course may be in one language
/// only), in the chosen language: `None` when it is in that language.
pub fn only_in_note(lesson: Lang, shown: Lang) -> Option<String> {
    match lesson {
        _ if lesson == shown => None,
        Lang::En => Some(crate::tr!(shown, "lesson-only-english")),
        Lang::Ja => Some(crate::tr!(shown, "lesson-only-japanese")),
    }
}

/// Compare the two languages of one chapter; problems go in `b`.
fn compare(a: &Lesson, b: &Lesson, push: &mut impl FnMut(&Lesson, usize, String)) {
    let other = short(a);
    if a.id != b.id {
        push(
            b,
            1,
            format!("id is {:?} here but {:?} in {other}", b.id, a.id),
        );
    }
    if a.chapter != b.chapter {
        push(
            b,
            1,
            format!("chapter is {} here but {} in {other}", b.chapter, a.chapter),
        );
    }
    if a.steps.len() != b.steps.len() {
        let line = b
            .steps
            .get(a.steps.len())
            .map(|s| s.line)
            .unwrap_or(b.body_line.saturating_sub(1).max(1));
        push(
            b,
            line,
            format!(
                "{} steps here but {} in {other}: both languages need the same steps",
                b.steps.len(),
                a.steps.len()
            ),
        );
    }
    for (i, (sa, sb)) in a.steps.iter().zip(&b.steps).enumerate() {
        let n = i + 1;
        if sa.actions != sb.actions {
            push(
                b,
                sb.line,
                format!(
                    "step {n} does {} here but {} in {other}",
                    list(sb.actions.iter().map(action_text)),
                    list(sa.actions.iter().map(action_text)),
                ),
            );
        }
        if sa.expect != sb.expect {
            push(
                b,
                sb.line,
                format!(
                    "step {n} expects {} here but {} in {other}",
                    list(sb.expect.iter().map(expect_text)),
                    list(sa.expect.iter().map(expect_text)),
                ),
            );
        }
    }
    if a.quiz.len() != b.quiz.len() {
        let line = b
            .quiz
            .get(a.quiz.len())
            .map(|q| q.line)
            .unwrap_or(b.body_line.saturating_sub(1).max(1));
        push(
            b,
            line,
            format!(
                "{} quiz questions here but {} in {other}",
                b.quiz.len(),
                a.quiz.len()
            ),
        );
    }
    for (i, (qa, qb)) in a.quiz.iter().zip(&b.quiz).enumerate() {
        let n = i + 1;
        if qa.choices.len() != qb.choices.len() {
            push(
                b,
                qb.line,
                format!(
                    "quiz question {n} has {} choices here but {} in {other}",
                    qb.choices.len(),
                    qa.choices.len()
                ),
            );
        }
        if qa.answer != qb.answer {
            push(
                b,
                qb.line,
                format!(
                    "quiz question {n}'s answer is {} here but {} in {other}",
                    qb.answer + 1,
                    qa.answer + 1
                ),
            );
        }
    }
}

/// Words as a list in the file's own notation: `["a", "b"]`.
fn list(words: impl Iterator<Item = String>) -> String {
    let quoted: Vec<String> = words.map(|w| format!("{w:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// An action as a lesson file writes it, e.g. `send USER alice`.
pub fn action_text(a: &StepAction) -> String {
    match a {
        StepAction::Scenario(spec) => {
            let mut s = format!("scenario {}", spec.name);
            if let Some(v) = spec.verify {
                s.push_str(match v {
                    VerifyName::Lab => " verify=lab",
                    VerifyName::System => " verify=system",
                    VerifyName::Insecure => " verify=insecure",
                });
            }
            if let Some(r) = spec.require_tls {
                s.push_str(if r {
                    " require-tls=on"
                } else {
                    " require-tls=off"
                });
            }
            s
        }
        StepAction::Connect => "connect".into(),
        StepAction::Send(line) => format!("send {line}"),
        StepAction::Login => "login".into(),
        StepAction::Pause => "pause".into(),
        StepAction::Resume => "resume".into(),
        StepAction::Step(1) => "step".into(),
        StepAction::Step(n) => format!("step {n}"),
        StepAction::Focus(p) => format!(
            "focus {}",
            match p {
                PaneName::Client => "client",
                PaneName::Server => "server",
                PaneName::Wire => "wire",
                PaneName::Tls => "tls",
                PaneName::Lesson => "lesson",
            }
        ),
        StepAction::View(v) => format!(
            "view {}",
            match v {
                ViewName::Text => "text",
                ViewName::Hex => "hex",
                ViewName::Records => "records",
            }
        ),
        StepAction::Highlight(e) => format!("highlight {}", Element::name(*e)),
        StepAction::Diagram(d, stage) => format!("diagram {} {stage}", Diagram::name(*d)),
        StepAction::Attack(a) => format!("attack {}", a.map_or("none", |a| a.name())),
        StepAction::Set(name, on) => format!("{name} {}", if *on { "on" } else { "off" }),
        StepAction::Crack => "crack".into(),
        StepAction::Bytes(t) => match t {
            BytesTarget::Keys => "bytes keys".into(),
            BytesTarget::Off => "bytes off".into(),
            BytesTarget::Step { name, client } => match client {
                None => format!("bytes {name}"),
                Some(true) => format!("bytes {name} client"),
                Some(false) => format!("bytes {name} server"),
            },
        },
    }
}

/// An expectation as a lesson file writes it, e.g. `state transaction`.
pub fn expect_text(e: &Expect) -> String {
    use crate::pop3::session::StateName;
    match e {
        Expect::PasswordLeaked => "password-leaked".into(),
        Expect::UserLeaked => "user-leaked".into(),
        Expect::ApopDigestSeen => "apop-digest-seen".into(),
        Expect::MailLeaked => "mail-leaked".into(),
        Expect::NoCredential => "no-credential".into(),
        Expect::NothingReadable => "nothing-readable".into(),
        Expect::State(s) => format!(
            "state {}",
            match s {
                StateName::Authorization => "authorization",
                StateName::Transaction => "transaction",
                StateName::Update => "update",
            }
        ),
        Expect::Reply(true) => "reply ok".into(),
        Expect::Reply(false) => "reply err".into(),
        Expect::LoggedIn => "logged-in".into(),
        Expect::TlsEstablished => "tls-established".into(),
        Expect::TlsVersion(v) => format!("tls-version {v}"),
        Expect::Handshake(m) => format!("handshake {m}"),
        Expect::StlsSwitch => "stls-switch".into(),
        Expect::AppDataEncrypted => "app-data-encrypted".into(),
        Expect::SecretDerived => "secret-derived".into(),
        Expect::CertVisibleToEavesdropper => "cert-visible-to-eavesdropper".into(),
        Expect::CertHiddenFromEavesdropper => "cert-hidden-from-eavesdropper".into(),
        Expect::CertFailed(None) => "cert-failed".into(),
        Expect::CertFailed(Some(k)) => format!("cert-failed {k}"),
        Expect::Deleted(n) => format!("deleted {n}"),
        Expect::Marked(n) => format!("marked {n}"),
        Expect::AttackSucceeded => "attack-succeeded".into(),
        Expect::AttackBlocked => "attack-blocked".into(),
        Expect::StlsStripped => "stls-stripped".into(),
        Expect::CertForged => "cert-forged".into(),
        Expect::InjectionDiscarded => "injection-discarded".into(),
        Expect::Decrypted => "decrypted".into(),
        Expect::PasswordCracked => "password-cracked".into(),
    }
}

/// The lessons the lab shows: the built-in course with a teacher's
/// lessons merged in, sorted by chapter (Japanese before English within
/// a chapter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Course {
    /// Every lesson, sorted by chapter, then language.
    pub lessons: Vec<Lesson>,
}

impl Course {
    /// A course of these lessons, sorted.
    pub fn new(mut lessons: Vec<Lesson>) -> Course {
        lessons.sort_by_key(|l| (l.chapter, l.lang));
        Course { lessons }
    }

    /// The built-in course.
    pub fn builtin() -> Course {
        Course::new(builtin())
    }

    /// The built-in lessons with a teacher's: a teacher's chapter with a
    /// built-in chapter's number replaces that chapter in every language,
    /// even when the teacher wrote it in one language only (a chapter is
    /// the teacher's or the built-in one, never half of each, since the two
    /// would differ in steps and in the id progress is saved under); the
    /// others are added.
    pub fn merged(builtin: Vec<Lesson>, teacher: Vec<Lesson>) -> Course {
        let taken: BTreeSet<u32> = teacher.iter().map(|l| l.chapter).collect();
        let mut lessons: Vec<Lesson> = builtin
            .into_iter()
            .filter(|l| !taken.contains(&l.chapter))
            .collect();
        lessons.extend(teacher);
        Course::new(lessons)
    }

    /// The chapter numbers, ascending, each once.
    pub fn chapters(&self) -> Vec<u32> {
        let set: BTreeSet<u32> = self.lessons.iter().map(|l| l.chapter).collect();
        set.into_iter().collect()
    }

    /// A chapter in a language, or in the other language when this one is
    /// missing (a teacher's lesson may exist in only one).
    pub fn get(&self, chapter: u32, lang: Lang) -> Option<&Lesson> {
        let find = |lang: Lang| {
            self.lessons
                .iter()
                .find(|l| l.chapter == chapter && l.lang == lang)
        };
        find(lang).or_else(|| find(lang.other()))
    }

    /// True when there are no lessons at all.
    pub fn is_empty(&self) -> bool {
        self.lessons.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson_text(id: &str, chapter: u32, expect: &str, answer: u32) -> String {
        format!(
            "+++\nid = \"{id}\"\nchapter = {chapter}\ntitle = \"T\"\nquestion = \"Q\"\n\n\
             [[steps]]\ntext = \"one\"\nactions = [\"scenario plain\", \"login\"]\nexpect = [{expect}]\n\n\
             [[quiz]]\nquestion = \"Q?\"\nchoices = [\"a\", \"b\"]\nanswer = {answer}\nexplain = [\"x\", \"y\"]\n+++\nBody\n"
        )
    }

    fn lesson(lang: Lang, name: &str, text: &str) -> Lesson {
        let source = format!("course/{}/{name}", lang.code());
        parse_lesson(&source, lang, text).expect("test lesson parses")
    }

    #[test]
    fn the_builtin_course_parses_completely() {
        let all = builtin();
        assert_eq!(all.len(), 26, "every built-in file parses");
        assert!(check(&all).is_empty(), "{:?}", check(&all));
        let course = Course::builtin();
        assert_eq!(course.chapters(), (1..=13).collect::<Vec<_>>());
        let l = course.get(5, Lang::Ja).expect("chapter 5");
        assert_eq!(l.lang, Lang::Ja);
        assert_eq!(l.source, "built-in ja/05-pop3.md");
    }

    #[test]
    fn a_matching_pair_has_no_problems() {
        let t = lesson_text("pop3", 5, "\"logged-in\"", 2);
        let ls = [
            lesson(Lang::Ja, "05-pop3.md", &t),
            lesson(Lang::En, "05-pop3.md", &t),
        ];
        assert_eq!(check(&ls), vec![]);
    }

    #[test]
    fn differences_between_languages_are_reported_in_the_second() {
        let ja = lesson(
            Lang::Ja,
            "08-danger.md",
            &lesson_text("danger", 8, "\"no-credential\"", 2),
        );
        let en = lesson(
            Lang::En,
            "08-danger.md",
            &lesson_text("leak", 8, "\"password-leaked\"", 1),
        );
        let ps = check(&[ja, en]);
        let msgs: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
        assert!(
            msgs.contains(
                &"course/en/08-danger.md:7: step 1 expects [\"password-leaked\"] here but [\"no-credential\"] in ja/08-danger.md"
                    .to_string()
            ),
            "{msgs:#?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("course/en/08-danger.md:1: id is \"leak\"")),
            "{msgs:#?}"
        );
        assert!(
            msgs.iter().any(|m| m.starts_with(
                "course/en/08-danger.md:12: quiz question 1's answer is 1 here but 2"
            )),
            "{msgs:#?}"
        );
        assert_eq!(ps.len(), 3, "{msgs:#?}");
    }

    #[test]
    fn a_missing_language_names_the_missing_path() {
        let ja = lesson(Lang::Ja, "05-pop3.md", &lesson_text("pop3", 5, "", 1));
        let other = lesson(Lang::Ja, "06-more.md", &lesson_text("more", 6, "", 1));
        let en = lesson(Lang::En, "06-more.md", &lesson_text("more", 6, "", 1));
        let ps = check(&[ja, other, en]);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_eq!(ps[0].file, "course/ja/05-pop3.md");
        assert_eq!(ps[0].line, 1);
        assert!(
            ps[0].message.contains("expected course/en/05-pop3.md"),
            "{ps:?}"
        );
    }

    #[test]
    fn duplicates_and_wrong_numbers() {
        let a = lesson(Lang::Ja, "05-pop3.md", &lesson_text("pop3", 5, "", 1));
        let b = lesson(Lang::Ja, "06-more.md", &lesson_text("pop3", 5, "", 1));
        let ps = check(&[a, b]);
        let on_b: Vec<&Problem> = ps
            .iter()
            .filter(|p| p.file == "course/ja/06-more.md")
            .collect();
        assert!(
            on_b.iter().any(|p| p
                .message
                .contains("the id \"pop3\" is already used by ja/05-pop3.md")),
            "{ps:?}"
        );
        assert!(
            on_b.iter()
                .any(|p| p.message.contains("chapter 5 is already used")),
            "{ps:?}"
        );
        assert!(
            on_b.iter()
                .any(|p| p.message.contains("file name says chapter 06")),
            "{ps:?}"
        );
    }

    #[test]
    fn a_different_number_of_steps_is_reported() {
        let ja = lesson(Lang::Ja, "05-pop3.md", &lesson_text("pop3", 5, "", 1));
        let en_text = lesson_text("pop3", 5, "", 1)
            .replace("\n[[quiz]]", "[[steps]]\ntext = \"two\"\n\n[[quiz]]");
        let en = lesson(Lang::En, "05-pop3.md", &en_text);
        let ps = check(&[ja, en]);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_eq!(ps[0].line, 11, "the first step the other file lacks");
        assert!(ps[0].message.contains("2 steps here but 1"), "{ps:?}");
    }

    #[test]
    fn words_print_as_they_parse() {
        for w in [
            "scenario pop3s verify=system require-tls=off",
            "send USER alice",
            "step",
            "step 3",
            "focus wire",
            "view hex",
            "highlight loot",
            "diagram mail-path 3",
            "attack strip-stls",
            "attack forge-cert",
            "attack inject",
            "attack steal-keys",
            "attack crack",
            "attack none",
            "require-tls on",
            "verify off",
            "vulnerable-server on",
            "crack",
        ] {
            let a = StepAction::parse(w).expect("valid action");
            assert_eq!(action_text(&a), w);
        }
        for w in [
            "state transaction",
            "reply err",
            "tls-version 1.3",
            "handshake ClientHello",
            "handshake EncryptedExtensions",
            "handshake ChangeCipherSpec",
            "cert-visible-to-eavesdropper",
            "cert-hidden-from-eavesdropper",
            "cert-failed unknown issuer",
            "cert-failed",
            "deleted 2",
            "attack-succeeded",
            "attack-blocked",
            "stls-stripped",
            "cert-forged",
            "injection-discarded",
            "decrypted",
            "password-cracked",
        ] {
            let e = Expect::parse(w).expect("valid expectation");
            assert_eq!(expect_text(&e), w);
        }
    }

    #[test]
    fn merged_replaces_a_chapter_in_every_language() {
        let t = |id: &str, ch: u32| lesson_text(id, ch, "", 1);
        let builtin = vec![
            lesson(Lang::Ja, "01-a.md", &t("a", 1)),
            lesson(Lang::En, "01-a.md", &t("a", 1)),
            lesson(Lang::Ja, "02-b.md", &t("b", 2)),
            lesson(Lang::En, "02-b.md", &t("b", 2)),
        ];
        let teacher = vec![
            lesson(Lang::En, "13-x.md", &t("x", 13)),
            lesson(Lang::En, "01-mine.md", &t("mine", 1)),
        ];
        let c = Course::merged(builtin, teacher);
        assert_eq!(c.chapters(), vec![1, 2, 13]);
        assert_eq!(c.get(1, Lang::En).map(|l| l.id.as_str()), Some("mine"));
        // The teacher's chapter 1 is in English only, and it replaces the
        // built-in chapter 1 in Japanese too: a Japanese reader gets the
        // teacher's chapter, in English, not the built-in one.
        let ja = c.get(1, Lang::Ja).expect("chapter 1");
        assert_eq!((ja.id.as_str(), ja.lang), ("mine", Lang::En));
        assert_eq!(
            only_in_note(ja.lang, Lang::Ja).as_deref(),
            Some("この章は英語版だけです。")
        );
        assert_eq!(only_in_note(Lang::Ja, Lang::Ja), None);
        assert_eq!(c.get(2, Lang::Ja).map(|l| l.id.as_str()), Some("b"));
        assert_eq!(c.get(13, Lang::Ja).map(|l| l.lang), Some(Lang::En));
        assert!(c.get(7, Lang::Ja).is_none());
        let order: Vec<(u32, Lang)> = c.lessons.iter().map(|l| (l.chapter, l.lang)).collect();
        assert_eq!(
            order,
            vec![(1, Lang::En), (2, Lang::Ja), (2, Lang::En), (13, Lang::En)]
        );
    }

    #[test]
    fn load_course_reports_bad_names_and_pairs_by_the_files_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ja = dir.path().join("ja");
        let en = dir.path().join("en");
        std::fs::create_dir(&ja).expect("mkdir");
        std::fs::create_dir(&en).expect("mkdir");
        std::fs::write(ja.join("5-pop3.md"), lesson_text("pop3", 5, "", 1)).expect("write");
        std::fs::write(ja.join("06-bad.md"), b"+++\n\xff\xfe\n+++\n").expect("write");
        std::fs::write(ja.join("notes.txt"), "ignored").expect("write");
        std::fs::write(en.join("07-pair.md"), lesson_text("pair", 7, "", 1)).expect("write");
        std::fs::write(ja.join("07-pair.md"), lesson_text("pair", 7, "", 1)).expect("write");
        let loaded = load_course(dir.path());
        assert_eq!(loaded.lessons.len(), 3, "the badly named file still parses");
        let text: Vec<String> = loaded.problems.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter().any(|t| t.ends_with("5-pop3.md:1: the file name \"5-pop3.md\" must start with the chapter number in two digits and a dash, e.g. \"05-pop3.md\"")),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.contains("06-bad.md:1: not UTF-8")),
            "{text:#?}"
        );
        // The file that is not UTF-8 has no twin either, and is told so in
        // the same run, with the number from its name.
        assert!(
            text.iter()
                .any(|t| t.contains("06-bad.md:1: chapter 6 has no en version")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("5-pop3.md:1: chapter 5 has no en version")),
            "{text:#?}"
        );
        assert_eq!(loaded.problems.len(), 4, "{text:#?}");
        assert!(loaded.notices.is_empty());
    }

    #[test]
    fn a_course_in_one_language_is_not_short_of_the_other() {
        let dir = tempfile::tempdir().expect("tempdir");
        let en = dir.path().join("en");
        std::fs::create_dir(&en).expect("mkdir");
        std::fs::write(en.join("14-mine.md"), lesson_text("mine", 14, "", 1)).expect("write");
        // An empty ja/ is the same as none.
        std::fs::create_dir(dir.path().join("ja")).expect("mkdir");
        let loaded = load_course(dir.path());
        assert_eq!(loaded.problems, vec![]);
        assert_eq!(loaded.lessons.len(), 1);
        assert_eq!(loaded.notices.len(), 1, "{:?}", loaded.notices);
        assert!(
            loaded.notices[0].contains("lessons in English only (no ja/ lessons)"),
            "{:?}",
            loaded.notices
        );
    }

    #[test]
    fn an_empty_course_is_a_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loaded = load_course(dir.path());
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        assert!(
            loaded.problems[0]
                .message
                .contains("the course has no lessons")
        );
        assert!(loaded.notices.is_empty());
    }

    #[test]
    fn builtin_ids_belong_to_their_chapter_numbers() {
        let builtin = vec![
            lesson(Lang::Ja, "05-pop3.md", &lesson_text("pop3", 5, "", 1)),
            lesson(Lang::En, "05-pop3.md", &lesson_text("pop3", 5, "", 1)),
        ];
        // Chapter 5 revised, keeping its id: it replaces the built-in one.
        let revised = lesson(Lang::En, "05-pop3.md", &lesson_text("pop3", 5, "", 1));
        assert_eq!(check_against_builtin(&builtin, &[revised]), vec![]);
        // Chapter 5 replaced with a fresh id.
        let fresh = lesson(Lang::En, "05-mine.md", &lesson_text("mine", 5, "", 1));
        assert_eq!(check_against_builtin(&builtin, &[fresh]), vec![]);
        // A new chapter under chapter 5's id.
        let text = lesson_text("pop3", 13, "", 1);
        let ps = check_against_builtin(&builtin, &[lesson(Lang::En, "13-x.md", &text)]);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_eq!(ps[0].file, "course/en/13-x.md");
        assert_eq!(ps[0].line, 2, "the id line");
        assert!(
            ps[0]
                .message
                .starts_with("the id \"pop3\" is the built-in chapter 5's (course/en/05-pop3.md)"),
            "{ps:?}"
        );
    }
}
