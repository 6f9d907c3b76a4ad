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
use crate::lesson::vocab::VerifyName;

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

/// Read a teacher's directory: every `*.md` file in `DIR/ja` and `DIR/en`,
/// in name order. Returns the lessons that parsed and the problems of the
/// rest; run [`check`] on the lessons for the problems across files.
pub fn load_dir(dir: &Path) -> (Vec<Lesson>, Vec<Problem>) {
    let mut lessons = Vec::new();
    let mut problems = Vec::new();
    for lang in Lang::ALL {
        let lang_dir = dir.join(lang.code());
        let entries = match std::fs::read_dir(&lang_dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem {
                    file: lang_dir.display().to_string(),
                    line: 1,
                    message: format!(
                        "cannot read the {} lessons directory ({e}): a course needs both ja/ and en/",
                        lang.code()
                    ),
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
    (lessons, problems)
}

/// The file name part of a lesson's source.
fn file_name(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

/// The short form used to refer to another file in a message: "ja/05-pop3.md".
fn short(lesson: &Lesson) -> String {
    format!("{}/{}", lesson.lang.code(), file_name(&lesson.source))
}

/// Where the other language's file of `lesson` should be: the same name in
/// the sibling language directory.
fn sibling_path(lesson: &Lesson) -> String {
    let name = file_name(&lesson.source);
    let other = lesson.lang.other().code();
    if lesson.source.starts_with("built-in ") {
        return format!("built-in {other}/{name}");
    }
    let path = Path::new(&lesson.source);
    match path.parent().and_then(Path::parent) {
        Some(course) => course.join(other).join(name).display().to_string(),
        None => format!("{other}/{name}"),
    }
}

/// True when the other language's file of a lesson loaded from a
/// directory exists, whatever became of it.
fn sibling_on_disk(lesson: &Lesson) -> bool {
    !lesson.source.starts_with("built-in ") && Path::new(&sibling_path(lesson)).is_file()
}

/// The checks across files: both languages of every chapter, the same
/// id, chapter, steps (actions and expectations) and quiz answers in both,
/// no id or chapter used twice in a language, and file names whose number
/// is the chapter. Problems about a pair are reported in the English file
/// (the second language), comparing it with the Japanese one.
pub fn check(lessons: &[Lesson]) -> Vec<Problem> {
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
                    1,
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

    // Pair the two languages' files by file name, as the format asks.
    let by_name = |lang: Lang| -> BTreeMap<&str, &Lesson> {
        lessons
            .iter()
            .filter(|l| l.lang == lang)
            .map(|l| (file_name(&l.source), l))
            .collect()
    };
    let ja = by_name(Lang::Ja);
    let en = by_name(Lang::En);
    let names: BTreeSet<&str> = ja.keys().chain(en.keys()).copied().collect();
    for name in names {
        match (ja.get(name), en.get(name)) {
            (Some(a), Some(b)) => compare(a, b, &mut push),
            // A sibling that is on disk but did not parse has its own
            // problems reported already; calling it missing would mislead.
            (Some(one), None) | (None, Some(one)) if sibling_on_disk(one) => {}
            (Some(one), None) | (None, Some(one)) => push(
                one,
                1,
                format!(
                    "chapter {} has no {} version: expected {}",
                    one.chapter,
                    one.lang.other().code(),
                    sibling_path(one)
                ),
            ),
            (None, None) => {}
        }
    }
    problems
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
        Expect::CertFailed(w) if w.is_empty() => "cert-failed".into(),
        Expect::CertFailed(w) => format!("cert-failed {w}"),
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

    /// The built-in lessons with a teacher's: a teacher's lesson with the
    /// same chapter and language as a built-in one replaces it; the others
    /// are added.
    pub fn merged(builtin: Vec<Lesson>, teacher: Vec<Lesson>) -> Course {
        let taken: BTreeSet<(u32, Lang)> = teacher.iter().map(|l| (l.chapter, l.lang)).collect();
        let mut lessons: Vec<Lesson> = builtin
            .into_iter()
            .filter(|l| !taken.contains(&(l.chapter, l.lang)))
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
        let ps = check(&[ja]);
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
    fn merged_replaces_by_chapter_and_language() {
        let t = |id: &str, ch: u32| lesson_text(id, ch, "", 1);
        let builtin = vec![
            lesson(Lang::Ja, "01-a.md", &t("a", 1)),
            lesson(Lang::En, "01-a.md", &t("a", 1)),
            lesson(Lang::En, "02-b.md", &t("b", 2)),
        ];
        let teacher = vec![
            lesson(Lang::En, "13-x.md", &t("x", 13)),
            lesson(Lang::En, "01-mine.md", &t("mine", 1)),
        ];
        let c = Course::merged(builtin, teacher);
        assert_eq!(c.chapters(), vec![1, 2, 13]);
        assert_eq!(c.get(1, Lang::En).map(|l| l.id.as_str()), Some("mine"));
        assert_eq!(c.get(1, Lang::Ja).map(|l| l.id.as_str()), Some("a"));
        // Chapter 13 exists only in English; asking in Japanese falls back.
        assert_eq!(c.get(13, Lang::Ja).map(|l| l.lang), Some(Lang::En));
        assert!(c.get(7, Lang::Ja).is_none());
        let order: Vec<(u32, Lang)> = c.lessons.iter().map(|l| (l.chapter, l.lang)).collect();
        assert_eq!(
            order,
            vec![(1, Lang::Ja), (1, Lang::En), (2, Lang::En), (13, Lang::En)]
        );
    }

    #[test]
    fn load_dir_reports_bad_names_and_missing_languages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ja = dir.path().join("ja");
        std::fs::create_dir(&ja).expect("mkdir");
        std::fs::write(ja.join("5-pop3.md"), lesson_text("pop3", 5, "", 1)).expect("write");
        std::fs::write(ja.join("06-bad.md"), b"+++\n\xff\xfe\n+++\n").expect("write");
        std::fs::write(ja.join("notes.txt"), "ignored").expect("write");
        let (lessons, ps) = load_dir(dir.path());
        assert_eq!(lessons.len(), 1, "the badly named file still parses");
        let text: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter().any(|t| t.ends_with("5-pop3.md:1: the file name \"5-pop3.md\" must start with the chapter number in two digits and a dash, e.g. \"05-pop3.md\"")),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.contains("06-bad.md:1: not UTF-8")),
            "{text:#?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.file.ends_with("en") && p.message.contains("needs both ja/ and en/")),
            "{text:#?}"
        );
        assert_eq!(ps.len(), 3, "{text:#?}");
    }
}
