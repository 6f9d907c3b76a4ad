//! No word of a built-in lesson is lost on the screen: every step text,
//! every quiz explanation (with its verdict label) and the end-of-chapter
//! line, drawn by the lesson pane at the widths a class uses, in both
//! languages, holds every character of its source in order, and no line is
//! wider than the pane (a wider line would be cut where it is drawn).

use popscope::lab::Scenario;
use popscope::lesson::progress::Progress;
use popscope::lesson::set::builtin;
use popscope::lesson::{Lang, Lesson};
use popscope::tui::app::{Action, App};
use popscope::tui::diagram;
use popscope::tui::lesson::Place;
use popscope::tui::panes::lesson;
use popscope::tui::theme::{Theme, ThemeName};
use ratatui::text::Line;
use unicode_width::UnicodeWidthStr;

const WIDTHS: [u16; 4] = [40, 46, 80, 120];

fn plain(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// The text as a sequence of its visible characters: whitespace (where
/// lines break) and Markdown's emphasis and code marks (which the pane
/// turns into styles) left out, so only a lost or changed character makes
/// two texts differ.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '`' | '_'))
        .collect()
}

fn app_at(lessons: &[Lesson], lang: Lang, chapter: u32) -> App {
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(lessons.to_vec(), lang, Progress::default(), Some(chapter));
    app
}

/// The pane's text at `width`, checking that every line fits: the
/// lesson's text and the diagrams alike (a diagram too wide for the pane
/// is drawn narrower, not cut).
fn drawn(app: &App, width: u16, at: &str) -> String {
    let theme = Theme::new(ThemeName::Dark, false);
    let lines = lesson::lines(app, &theme, width);
    let mut all = String::new();
    for line in &lines {
        let text = plain(line);
        assert!(
            text.width() <= usize::from(width),
            "{at} at {width} columns: a line is {} wide and would be cut: {text:?}",
            text.width()
        );
        all.push_str(&text);
        all.push('\n');
    }
    all
}

/// The diagrams of chapters 1 to 4 at every stage, in the lesson pane at
/// 40 columns: drawn whole (the narrow drawing, every line of it in the
/// pane, no line wider than the pane).
#[test]
fn diagrams_are_whole_in_a_40_column_pane() {
    let lessons = builtin();
    let theme = Theme::new(ThemeName::Dark, false);
    let mut seen = 0;
    for lang in Lang::ALL {
        for l in lessons.iter().filter(|l| l.lang == lang) {
            let mut app = app_at(&lessons, lang, l.chapter);
            for s in 0..l.steps.len() {
                app.update(Action::LessonNext);
                let Some((d, stage)) = app.lesson.diagram() else {
                    continue;
                };
                let at = format!("{} step {}", l.source, s + 1);
                let screen = drawn(&app, 40, &at);
                for line in diagram::draw(d, stage, lang, &theme, 40) {
                    let line = plain(&line);
                    assert!(
                        screen.lines().any(|l| l == line),
                        "{at}: {line:?} is not in the pane\n{screen}"
                    );
                }
                seen += 1;
            }
        }
    }
    assert!(seen >= 8, "only {seen} diagram steps");
}

fn assert_holds(screen: &str, source: &str, what: &str) {
    assert!(
        norm(screen).contains(&norm(source)),
        "{what}: words lost; the source\n{source}\nis not all on the screen\n{screen}"
    );
}

#[test]
fn no_word_of_any_lesson_is_lost_at_any_width() {
    let lessons = builtin();
    assert_eq!(lessons.len(), 26, "thirteen chapters in two languages");
    let mut checked = 0;
    for lang in Lang::ALL {
        let end = match lang {
            Lang::Ja => "この章はここまでです。o で章の一覧を開けます。",
            Lang::En => "That is the end of this chapter. o opens the list of chapters.",
        };
        for l in lessons.iter().filter(|l| l.lang == lang) {
            for width in WIDTHS {
                let mut app = app_at(&lessons, lang, l.chapter);
                for (s, step) in l.steps.iter().enumerate() {
                    app.update(Action::LessonNext);
                    assert_eq!(app.lesson.place, Place::Step(s));
                    let at = format!("{} step {}", l.source, s + 1);
                    assert_holds(&drawn(&app, width, &at), &step.text, &at);
                    checked += 1;
                }
                for (q, question) in l.quiz.iter().enumerate() {
                    app.update(Action::LessonNext);
                    assert_eq!(app.lesson.place, Place::Quiz(q));
                    for (c, why) in question.explain.iter().enumerate() {
                        app.update(Action::QuizAnswer(c));
                        let at = format!("{} quiz {} choice {}", l.source, q + 1, c + 1);
                        let screen = drawn(&app, width, &at);
                        assert_holds(&screen, why, &at);
                        // The verdict is said once: a label is not put in
                        // front of an explanation that gives it itself.
                        for doubled in ["right: Right", "正解: 正解", "正解 正解"] {
                            assert!(!screen.contains(doubled), "{at}: {screen}");
                        }
                        if c == question.answer {
                            assert!(
                                screen.contains("right:")
                                    || screen.contains("正解")
                                    || screen.contains("Right"),
                                "{at}: no verdict\n{screen}"
                            );
                        } else {
                            let label = match lang {
                                Lang::Ja => "不正解:",
                                Lang::En => "not quite:",
                            };
                            assert!(screen.contains(label), "{at}: no verdict\n{screen}");
                        }
                        checked += 1;
                    }
                }
                let at = format!("{} end", l.source);
                assert_holds(&drawn(&app, width, &at), end, &at);
            }
        }
    }
    assert!(checked > 1000, "only {checked} texts checked");
}

/// The failure the issue reported, at the width where it was seen: the
/// label was put in front of the explanation's first line after that line
/// had been wrapped to the full width, so its last word fell off.
#[test]
fn the_label_is_wrapped_with_the_explanation() {
    let lessons = builtin();
    let l = lessons
        .iter()
        .find(|l| l.lang == Lang::En && l.chapter == 1)
        .expect("chapter 1");
    let mut app = app_at(&lessons, Lang::En, 1);
    for _ in 0..=l.steps.len() {
        app.update(Action::LessonNext);
    }
    assert_eq!(app.lesson.place, Place::Quiz(0));
    let wrong = (0..l.quiz[0].choices.len())
        .find(|&c| c != l.quiz[0].answer)
        .expect("a wrong choice");
    app.update(Action::QuizAnswer(wrong));
    let screen = drawn(&app, 46, "chapter 1 quiz 1");
    assert_holds(&screen, &l.quiz[0].explain[wrong], "chapter 1 quiz 1");
}
