//! The screen's chrome in the learner's language: with the lesson in
//! Japanese, the status bar, the scenario menu, the pane titles and the
//! scroll hints are Japanese (no English sentence, by the catalogue test's
//! rule), and the language key re-words them in place.

use crossterm::event::KeyCode;
use popscope::lab::Scenario;
use popscope::lang::Lang;
use popscope::tui::app::{Action, App, Focus};
use popscope::tui::panes::max_scroll;

#[path = "common/english.rs"]
mod english;
#[path = "common/screen.rs"]
mod screen;

use screen::press;

/// Press the language key as a learner would: the input line takes
/// letters, so leave it first.
fn switch_language(app: &mut App) {
    if app.input_active {
        press(app, &[KeyCode::Esc]);
    }
    press(app, &[KeyCode::Char('e')]);
}

/// The screen drawn at `w`×`h`, one string a row, a wide character
/// counted once (not with the blank cell behind it).
fn rows(app: &mut App, w: u16, h: u16) -> Vec<String> {
    screen::rows(screen::backend(app, w, h).buffer())
}

/// The scroll hint that starts at `arrow` in a row, to its key's ")".
fn hint(row: &str, arrow: char) -> String {
    let from = &row[row.find(arrow).unwrap_or(0)..];
    from[..from.find(')').map_or(from.len(), |i| i + 1)].to_string()
}

/// A lab screen with chapter 5 (long enough to scroll) open in `lang`.
fn app_in(lang: Lang) -> App {
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(
        popscope::lesson::set::builtin(),
        lang,
        Default::default(),
        Some(5),
    );
    app.take_effects();
    app
}

/// The parts of the screen this test is about, drawn at 120×36: the status
/// bar, the scroll hint of the lesson pane at its top and at its end, and
/// the scenario menu's rows, with the whole screen for messages.
struct Chrome {
    status: String,
    below: String,
    above: String,
    menu: Vec<String>,
    screens: String,
}

fn chrome(app: &mut App) -> Chrome {
    let (w, h) = (120, 36);
    let lesson = Focus::Lesson.index();
    app.scroll[lesson] = 0;
    let top = rows(app, w, h);
    let status = top.last().unwrap().trim_end().to_string();
    let below = top
        .iter()
        .find(|r| r.contains('↓'))
        .map(|r| hint(r, '↓'))
        .unwrap_or_default();
    app.scroll[lesson] = max_scroll(app, Focus::Lesson);
    let end = rows(app, w, h);
    let above = end
        .iter()
        .find(|r| r.contains('↑'))
        .map(|r| hint(r, '↑'))
        .unwrap_or_default();
    app.scroll[lesson] = 0;
    app.update(Action::MenuOpen);
    let open = rows(app, w, h);
    app.update(Action::MenuClose);
    // A setting's row shows its value between ‹ and ›; the overlay's
    // border is cut off on both sides.
    let menu: Vec<String> = open
        .iter()
        .filter(|r| r.contains('‹') && r.contains('›'))
        .map(|r| {
            let open = r.find('‹').unwrap();
            let close = r.rfind('›').unwrap();
            let start = r[..open].rfind('│').map_or(0, |i| i + '│'.len_utf8());
            let end = r[close..].find('│').map_or(r.len(), |i| close + i);
            r[start..end].trim().to_string()
        })
        .collect();
    let screens = [top, end, open].map(|s| s.join("\n")).join("\n\n");
    Chrome {
        status,
        below,
        above,
        menu,
        screens,
    }
}

/// Each part that reads as English, with the words that do.
fn english_in(c: &Chrome) -> Vec<String> {
    std::iter::once(("status bar", &c.status))
        .chain([("hint below", &c.below), ("hint above", &c.above)])
        .chain(c.menu.iter().map(|r| ("menu row", r)))
        .filter_map(|(part, text)| {
            english::english_run(text).map(|run| format!("{part}: {run:?} in {text:?}"))
        })
        .collect()
}

#[test]
fn a_japanese_screen_has_japanese_chrome_and_the_language_key_rewords_it() {
    let mut app = app_in(Lang::Ja);
    let ja = chrome(&mut app);
    assert_eq!(english_in(&ja), Vec::<String>::new(), "{}", ja.screens);
    // Each part is there and says what it should, in full.
    assert!(ja.status.ends_with("^C 終了"), "{}", ja.status);
    assert!(ja.status.contains("? ヘルプ"), "{}", ja.status);
    assert!(ja.below.starts_with("↓ 下にあと "), "{}", ja.screens);
    assert!(ja.below.ends_with(" 行 (j)"), "{}", ja.screens);
    assert!(ja.above.ends_with(" 行 (k)"), "{}", ja.screens);
    assert!(ja.above.starts_with("↑ 上に "), "{}", ja.screens);
    assert_eq!(
        ja.menu.len(),
        popscope::tui::app::MENU_ROWS.len(),
        "{}",
        ja.screens
    );
    assert!(ja.menu[0].starts_with("接続方式"), "{:?}", ja.menu);
    assert!(
        ja.menu.iter().any(|r| r.contains("システムの CA"))
            || ja.menu.iter().any(|r| r.contains("ラボの CA")),
        "{:?}",
        ja.menu
    );
    assert!(ja.screens.contains(" シナリオ "), "{}", ja.screens);
    for title in ["1 クライアント", "2 サーバ", "3 盗聴者", "5 レッスン"] {
        assert!(ja.screens.contains(title), "{title}\n{}", ja.screens);
    }

    switch_language(&mut app);
    assert_eq!(app.lesson.lang, Lang::En);
    let en = chrome(&mut app);
    assert!(en.status.ends_with("^C quit"), "{}", en.status);
    assert!(en.status.contains("? help"), "{}", en.status);
    assert!(
        en.below.starts_with("↓ ") && en.below.ends_with(" more (j)"),
        "{}",
        en.screens
    );
    assert!(
        en.above.starts_with("↑ ") && en.above.ends_with(" above (k)"),
        "{}",
        en.screens
    );
    assert!(en.menu[0].starts_with("Transport"), "{:?}", en.menu);
    assert!(en.screens.contains("1 Client"), "{}", en.screens);
    assert!(!en.screens.contains("クライアント"), "{}", en.screens);

    // And back.
    switch_language(&mut app);
    assert_eq!(app.lesson.lang, Lang::Ja);
    let again = chrome(&mut app);
    assert_eq!(again.status, ja.status);
    assert_eq!(again.menu, ja.menu);
}

#[test]
fn the_status_bar_keeps_its_keys_whole_in_either_language() {
    // At 120 columns with a lesson open, the long line with the ports is
    // wider than the screen: it used to be cut inside "quit". At 80 the
    // short words are used, and Japanese ones are wider still. In both
    // languages, with a lesson open or not, the last key is whole.
    for (lang, lesson_open) in Lang::ALL.into_iter().flat_map(|l| [(l, true), (l, false)]) {
        for (w, h) in [(120, 36), (100, 30), (80, 24)] {
            let mut app = app_in(lang);
            app.lesson.open = lesson_open;
            app.ports = Some((
                "127.0.0.1:54321".parse().unwrap(),
                "127.0.0.1:54322".parse().unwrap(),
            ));
            let status = rows(&mut app, w, h).pop().unwrap();
            let quit = match lang {
                Lang::Ja => "^C 終了",
                Lang::En => "^C quit",
            };
            assert!(
                status.trim_end().ends_with(quit),
                "{} at {w}×{h}, lesson open {lesson_open}: {status:?}",
                lang.code()
            );
        }
    }
}

#[test]
fn the_too_small_notice_follows_the_language() {
    let mut app = app_in(Lang::Ja);
    let screen = rows(&mut app, 60, 20).join("\n");
    assert!(screen.contains("もっと大きな端末"), "{screen}");
    assert!(english::english_run(&screen).is_none(), "{screen}");
    app.update(Action::LangToggle);
    let screen = rows(&mut app, 60, 20).join("\n");
    assert!(
        screen.contains("popscope needs a larger terminal"),
        "{screen}"
    );
}

#[test]
fn a_long_pane_counts_its_lines_digit_for_digit() {
    // The catalogue's number formatting must not add a thousands
    // separator the hint never had, in either language.
    assert_eq!(
        popscope::tr!(Lang::En, "scroll-below", n = 12345_usize),
        "↓ 12345 more (j)"
    );
    assert_eq!(
        popscope::tr!(Lang::Ja, "scroll-above", n = 12345_usize),
        "↑ 上に 12345 行 (k)"
    );
}
