//! The screen's catalogue (`assets/i18n/`): both languages have the same
//! messages with the same values, every message the code names exists,
//! every message is used, and the Japanese catalogue reads as Japanese.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use popscope::i18n;
use popscope::lang::Lang;

#[path = "common/english.rs"]
mod english;
#[path = "common/screen.rs"]
mod screen;

fn catalogue(lang: Lang) -> BTreeMap<String, Vec<String>> {
    i18n::messages(lang).into_iter().collect()
}

#[test]
fn both_languages_load_cleanly_and_have_the_same_messages_with_the_same_values() {
    for lang in Lang::ALL {
        assert_eq!(i18n::load_problems(lang), &[], "{}", lang.code());
    }
    let (ja, en) = (catalogue(Lang::Ja), catalogue(Lang::En));
    let ja_ids: BTreeSet<_> = ja.keys().collect();
    let en_ids: BTreeSet<_> = en.keys().collect();
    assert_eq!(
        ja_ids.difference(&en_ids).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in Japanese only"
    );
    assert_eq!(
        en_ids.difference(&ja_ids).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in English only"
    );
    for (id, vars) in &en {
        assert_eq!(
            &ja[id], vars,
            "message {id}: the two languages use different values"
        );
    }
    assert!(!en.is_empty());
}

/// Every Rust file under `src/`, with its text.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// The ids named by `tr!(lang, "id" …)` in a source text.
fn named_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (at, _) in text.match_indices("tr!(") {
        let rest = &text[at + 4..];
        // The first string literal after the language expression.
        let Some(comma) = rest.find(',') else {
            continue;
        };
        let rest = rest[comma + 1..].trim_start();
        if let Some(lit) = rest.strip_prefix('"')
            && let Some(end) = lit.find('"')
        {
            ids.push(lit[..end].to_string());
        }
    }
    ids
}

#[test]
fn every_message_the_code_names_exists_in_both_languages() {
    let mut missing = Vec::new();
    let mut named = 0;
    // The catalogue's own module names example ids in its documentation.
    for (file, text) in sources()
        .into_iter()
        .filter(|(f, _)| !f.ends_with("i18n.rs"))
    {
        for id in named_ids(&text) {
            named += 1;
            for lang in Lang::ALL {
                if !i18n::has(lang, &id) {
                    missing.push(format!("{file}: {id} ({})", lang.code()));
                }
            }
        }
    }
    assert!(named > 0, "the scan found no tr! at all");
    assert_eq!(missing, Vec::<String>::new());
}

#[test]
fn every_message_is_used_somewhere_in_the_code() {
    let all: String = sources().into_iter().map(|(_, t)| t).collect();
    let unused: Vec<String> = catalogue(Lang::En)
        .into_keys()
        .filter(|id| !all.contains(&format!("\"{id}\"")))
        .collect();
    assert_eq!(unused, Vec::<String>::new(), "messages no code names");
}

#[test]
fn the_japanese_catalogue_holds_no_english_sentence() {
    let mut found = Vec::new();
    for (id, text) in i18n::texts(Lang::Ja) {
        if english::english_run(&text).is_some() {
            found.push(format!("{id}: {text}"));
        }
    }
    assert_eq!(found, Vec::<String>::new());
}

/// True if `text` holds an English sentence (the shared rule).
fn has_english_sentence(text: &str) -> bool {
    english::english_run(text).is_some()
}

/// The help overlay alone, drawn on a `w`×`h` screen, as lines of text
/// (the panes behind it are other parts' business).
fn help_overlay(app: &mut popscope::tui::app::App, w: u16, h: u16) -> Vec<String> {
    use popscope::tui::panes::help::HelpOverlay;
    use popscope::tui::theme::{Theme, ThemeName};
    app.update(popscope::tui::app::Action::Resize(w, h));
    let theme = Theme::new(ThemeName::Dark, false);
    screen::widget_rows(&HelpOverlay { app, theme: &theme }, w, h)
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Text with its layout taken out (spaces, where it wraps, and the
/// overlay's side borders), so a row wrapped onto two lines still reads as
/// one.
fn unwrapped(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

/// The `?` help with the learner's language set to Japanese: every line
/// of the overlay (its frame, headings, keys and rows) holds no English
/// sentence, and every row of the key map is on it, whole, on a large
/// screen and, scrolled, on the smallest (80×24), where a row too wide
/// for its line goes on under itself instead of being cut.
#[test]
fn the_help_in_japanese_has_no_english_sentence_and_lists_every_key() {
    use popscope::tui::app::{Action, App};
    use popscope::tui::keys;
    use popscope::tui::panes::help;
    let mut app = App::new(popscope::lab::Scenario::named("plain").unwrap());
    app.lesson.lang = Lang::Ja;
    app.update(Action::ToggleHelp);
    assert!(app.help);
    let mut shown = Vec::new();
    // A tall screen shows the introduction and every row at once; a short
    // one scrolls, and its title counts the rows.
    shown.extend(help_overlay(&mut app, 200, 80));
    app.update(Action::HelpScroll(-1000));
    for _ in 0..=help::row_count() {
        shown.extend(help_overlay(&mut app, 80, 24));
        app.update(Action::HelpScroll(1));
    }
    let english: Vec<&String> = shown.iter().filter(|l| has_english_sentence(l)).collect();
    assert_eq!(english, Vec::<&String>::new());
    let all = unwrapped(&shown.join("\n"));
    assert!(all.contains(&unwrapped(&popscope::tr!(Lang::Ja, "help-intro"))));
    // Every key of the map that the help lists is on it, in Japanese.
    for ctx in keys::HELP_CONTEXTS {
        for (k, what) in keys::rows(ctx, Lang::Ja) {
            assert!(
                all.contains(&unwrapped(&format!("{k}{what}"))),
                "{k} {what} is not shown whole:\n{}",
                shown.join("\n")
            );
        }
    }
    // The same at 80×24 alone, where the rows are narrowest.
    let mut small = Vec::new();
    app.update(Action::HelpScroll(-1000));
    for _ in 0..=help::row_count() {
        small.extend(help_overlay(&mut app, 80, 24));
        app.update(Action::HelpScroll(1));
    }
    let small = unwrapped(&small.join("\n"));
    for (k, what) in help::rows(Lang::Ja) {
        let row = unwrapped(&format!("{}{what}", k.unwrap_or_default()));
        assert!(small.contains(&row), "cut at 80 columns: {row}");
    }
}

/// The lessons write parentheses half-width, also in Japanese ("蓄積転送
/// (store and forward)"); the screen beside them does the same, so one
/// screen does not mix two kinds.
#[test]
fn the_japanese_catalogue_writes_parentheses_as_the_lessons_do() {
    let full: Vec<String> = i18n::texts(Lang::Ja)
        .into_iter()
        .filter(|(_, t)| t.contains('（') || t.contains('）'))
        .map(|(id, t)| format!("{id}: {t}"))
        .collect();
    assert_eq!(full, Vec::<String>::new());
}

#[test]
fn the_japanese_catalogue_follows_the_course_spelling() {
    let mut problems = Vec::new();
    for (id, text) in i18n::texts(Lang::Ja) {
        for p in popscope::lesson::spelling::check(&id, Lang::Ja, &text) {
            problems.push(format!("{id}: {}", p.message));
        }
    }
    assert_eq!(problems, Vec::<String>::new());
}

/// A count chooses its words: none, one, many, in both languages.
#[test]
fn a_count_of_none_reads_as_none() {
    let sealed = |lang, n: usize| popscope::tr!(lang, "event-attack-sealed", n = n, reason = "x");
    assert_eq!(sealed(Lang::En, 0), "no record to open: x");
    assert_eq!(sealed(Lang::En, 1), "1 record could not be opened: x");
    assert_eq!(sealed(Lang::En, 3), "3 records could not be opened: x");
    assert_eq!(sealed(Lang::Ja, 0), "開けるレコードがありません: x");
    assert_eq!(sealed(Lang::Ja, 3), "3 個のレコードは開けませんでした: x");
}

#[test]
fn a_message_is_worded_in_the_learners_language() {
    assert_eq!(
        popscope::tr!(Lang::Ja, "tls-connection-heading", conn = 2),
        "── 接続 2"
    );
    assert_eq!(
        popscope::tr!(Lang::En, "tls-connection-heading", conn = 2),
        "── connection 2"
    );
}

/// A widget drawn alone on a `w`×`h` buffer, as lines of text.
fn widget_text(widget: impl ratatui::widgets::Widget, w: u16, h: u16) -> String {
    screen::widget_rows(widget, w, h)
        .into_iter()
        .map(|row| row + "\n")
        .collect()
}

/// The lesson pane's own words (its key line, the step and quiz counters,
/// the verdict) and the list of chapters (its title and each chapter's
/// progress) follow the learner's language, worded when drawn: the same
/// screen reads in Japanese, then in English after `e`.
#[test]
fn the_lesson_pane_and_the_list_of_chapters_word_themselves_in_the_learners_language() {
    use popscope::lesson::progress::Progress;
    use popscope::tui::app::{Action, App};
    use popscope::tui::panes::lesson::{self, LessonList, LessonPane};
    use popscope::tui::theme::{Theme, ThemeName};
    let theme = Theme::new(ThemeName::Dark, false);
    let lessons = popscope::lesson::set::builtin();
    let mut app = App::new(popscope::lab::Scenario::named("plain").unwrap());
    app.set_lessons(lessons.clone(), Lang::Ja, Progress::default(), Some(1));
    let l = lessons
        .iter()
        .find(|l| l.chapter == 1 && l.lang == Lang::Ja)
        .expect("chapter 1");
    for _ in 0..=l.steps.len() {
        app.update(Action::LessonNext);
    }
    let wrong = (0..l.quiz[0].choices.len())
        .find(|&c| c != l.quiz[0].answer)
        .expect("a wrong choice");
    app.update(Action::QuizAnswer(wrong));
    // The frame as drawn, and all the pane's lines (the drawn pane shows
    // the part scrolled to).
    let pane = |app: &App| {
        let frame = widget_text(
            &LessonPane {
                app,
                theme: &theme,
                focused: true,
            },
            60,
            30,
        );
        let lines: Vec<String> = lesson::lines(app, &theme, 58)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        format!("{frame}\n{}", lines.join("\n"))
    };
    let list = |app: &mut App| {
        app.update(Action::LessonListOpen);
        let text = widget_text(&LessonList { app, theme: &theme }, 100, 30);
        app.update(Action::LessonListClose);
        text
    };
    let total = l.quiz.len();
    let ja = format!("{}\n{}", pane(&app), list(&mut app));
    for word in [
        format!("クイズ 1/{total}"),
        "] 次へ  [ 戻る  e English  o 一覧".into(),
        "不正解".into(),
        "章の一覧 · ↑↓ Enter で開く".into(),
        format!("クイズ 0/{total}"),
    ] {
        assert!(ja.contains(&word), "{word} is not shown:\n{ja}");
    }
    for english in ["Quiz", "quiz", "Step", "not quite", "] next", "chapters ·"] {
        assert!(!ja.contains(english), "{english} in Japanese:\n{ja}");
    }
    app.update(Action::LangToggle);
    let en = format!("{}\n{}", pane(&app), list(&mut app));
    for word in [
        format!("Quiz 1/{total}"),
        "] next  [ back  e 日本語  o list".into(),
        "not quite".into(),
        "chapters · ↑↓ Enter opens".into(),
        format!("quiz 0/{total}"),
    ] {
        assert!(en.contains(&word), "{word} is not shown:\n{en}");
    }
}
