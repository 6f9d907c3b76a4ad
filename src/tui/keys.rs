//! The key map: every key the screen answers to, what it does there and
//! the words the help shows for it, in one table.
//!
//! [`App::action_for_key`] looks keys up in [`BINDINGS`] and nothing else,
//! and the `?` help and the menu's hints are made from the same rows, so
//! what the help says and what a key does cannot drift apart. A row names
//! its words by catalogue id (`assets/i18n/*/help.ftl`); they are worded
//! when drawn, in the learner's language. The lesson pane's key line and
//! the chapter list's title name their keys through the constants below.
//!
//! Typing comes first. A letter that has no key of its own is always the
//! start of a command, so outside the input line it moves focus there and
//! is kept: every capital letter (POP3 verbs are written in capitals in
//! the lab and its lessons, so no key is a capital letter), and the lower
//! case letters no key uses, among them `d`, `t` and `u` that start
//! `dele`, `top`, `user` and `uidl`. The lower case letters that are keys
//! (`a` logs in, `l` moves focus, `p` pauses…) stay keys: a verb typed in
//! lower case outside the input line is the one case left where a key
//! wins, and the hint on the input line says how to get there.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Action, App, Focus};
use super::lesson::Place;
use crate::lang::Lang;

/// Where a binding applies. The screen is in one of these at a time, apart
/// from [`Context::Always`] and [`Context::Screen`], which come before the
/// pane's own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Anywhere, even over an overlay.
    Always,
    /// The help overlay is open.
    Help,
    /// The list of chapters is open.
    List,
    /// The scenario menu is open.
    Menu,
    /// A search is being typed.
    Search,
    /// Any pane, the input line included.
    Screen,
    /// The input line has the keys.
    Typing,
    /// The lesson pane has focus (before the pane keys).
    Lesson,
    /// A pane has focus and the input line does not.
    Panes,
    /// The TLS pane has focus and lists handshake steps (before the pane
    /// keys).
    Steps,
    /// The TLS pane's byte view is open and focused (before the pane
    /// keys).
    Bytes,
}

impl Context {
    /// The catalogue id of this context's heading in the help; contexts
    /// that share a heading share its id.
    pub fn heading_id(self) -> &'static str {
        match self {
            Context::Always | Context::Screen => "help-heading-anywhere",
            Context::Help => "help-heading-help",
            Context::List => "help-heading-list",
            Context::Menu => "help-heading-menu",
            Context::Search => "help-heading-search",
            Context::Typing => "help-heading-typing",
            Context::Lesson => "help-heading-lesson",
            Context::Panes => "help-heading-panes",
            Context::Steps => "help-heading-steps",
            Context::Bytes => "help-heading-bytes",
        }
    }

    /// The heading of this context's rows in the help, in `lang`.
    pub fn heading(self, lang: Lang) -> String {
        crate::i18n::tr(lang, self.heading_id())
    }
}

/// A key, or a class of keys, as a binding names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// This key, without Ctrl (Shift and Alt do not matter: Shift is in
    /// the character, and Alt-key acts as the key outside the input line).
    Code(KeyCode),
    /// Ctrl and this letter.
    Ctrl(char),
    /// Any capital letter A–Z.
    Capital,
    /// Any character without Ctrl.
    AnyChar,
    /// Any key the rows before it did not take.
    AnyOther,
}

impl Key {
    /// True if `key` is this key.
    pub fn matches(self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Code(KeyCode::Char(c)) => !ctrl && key.code == KeyCode::Char(c),
            Key::Code(code) => key.code == code,
            Key::Ctrl(c) => ctrl && key.code == KeyCode::Char(c),
            Key::Capital => !ctrl && matches!(key.code, KeyCode::Char('A'..='Z')),
            Key::AnyChar => !ctrl && matches!(key.code, KeyCode::Char(_)),
            Key::AnyOther => true,
        }
    }

    /// How the help writes the key in `lang`. Keys are named as their
    /// keycaps are printed, in every language; only the classes of keys
    /// are words.
    pub fn name(self, lang: Lang) -> String {
        match self {
            Key::Code(code) => match code {
                KeyCode::Char(' ') => "Space".into(),
                KeyCode::Char(c) => c.to_string(),
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::Left => "←".into(),
                KeyCode::Right => "→".into(),
                KeyCode::PageUp => "PgUp".into(),
                KeyCode::PageDown => "PgDn".into(),
                KeyCode::Home => "Home".into(),
                KeyCode::End => "End".into(),
                KeyCode::Enter => "Enter".into(),
                KeyCode::Esc => "Esc".into(),
                KeyCode::Tab => "Tab".into(),
                KeyCode::BackTab => "Shift-Tab".into(),
                KeyCode::Backspace => "Backspace".into(),
                KeyCode::Delete => "Del".into(),
                KeyCode::F(n) => format!("F{n}"),
                other => format!("{other:?}"),
            },
            // As the status bar writes it, and short enough for the help's
            // key column at 80 columns.
            Key::Ctrl(c) => format!("^{}", c.to_ascii_uppercase()),
            Key::Capital => "A–Z".into(),
            Key::AnyChar => crate::tr!(lang, "help-key-any-char"),
            Key::AnyOther => crate::tr!(lang, "help-key-any-other"),
        }
    }
}

/// One row of the key map: the keys, where they work, what the help says
/// and what they do. `act` may decline (return `None`), and the next row
/// that matches is tried.
pub struct Binding {
    /// Where it applies.
    pub context: Context,
    /// The keys, in the order the help names them.
    pub keys: &'static [Key],
    /// What the help says they do: the id of a message in
    /// `assets/i18n/*/help.ftl`, worded when the help is drawn so that it
    /// follows the learner's language.
    pub help: &'static str,
    /// The action for the key pressed, given the screen.
    pub act: fn(&App, &KeyEvent) -> Option<Action>,
}

/// The key that starts and stops the offline password search; the wire
/// pane and the status bar name it.
pub const CRACK: char = 'x';
/// The key that opens (and closes) the list of chapters.
pub const CHAPTERS: char = 'o';
/// The key that switches the language.
pub const LANGUAGE: char = 'e';
/// The key that switches the theme.
pub const THEME: char = 'b';
/// The keys that step the view back and forward over what was recorded,
/// and the one that shows the live lab again; the status bar names them.
pub const PAST_BACK: char = ',';
/// See [`PAST_BACK`].
pub const PAST_FORWARD: char = '.';
/// See [`PAST_BACK`] ("follow" the live lab).
pub const LIVE: char = 'f';
/// The key that writes what was recorded as a pcapng capture.
pub const SAVE: char = 'w';

const fn c(ch: char) -> Key {
    Key::Code(KeyCode::Char(ch))
}

const fn k(code: KeyCode) -> Key {
    Key::Code(code)
}

/// The lower case letters with no key of their own: they start typing.
const FREE_LETTERS: &[Key] = &[c('d'), c('t'), c('u'), c('y')];

/// The character of a key event (for rows whose keys act alike).
fn ch(key: &KeyEvent) -> char {
    match key.code {
        KeyCode::Char(c) => c,
        _ => '\0',
    }
}

fn half_page(app: &App) -> usize {
    usize::from(app.size.1 / 2).max(1)
}

/// Every key, by context, in the order they are tried and shown.
pub const BINDINGS: &[Binding] = &[
    Binding {
        context: Context::Always,
        keys: &[Key::Ctrl('c')],
        help: "help-quit-anywhere",
        act: |_, _| Some(Action::Quit),
    },
    // The help overlay.
    Binding {
        context: Context::Help,
        keys: &[
            k(KeyCode::Up),
            k(KeyCode::Down),
            c('k'),
            c('j'),
            k(KeyCode::PageUp),
            k(KeyCode::PageDown),
        ],
        help: "help-help-scroll",
        act: |_, key| {
            Some(Action::HelpScroll(match key.code {
                KeyCode::Down | KeyCode::Char('j') => 1,
                KeyCode::Up | KeyCode::Char('k') => -1,
                KeyCode::PageDown => 10,
                _ => -10,
            }))
        },
    },
    Binding {
        context: Context::Help,
        keys: &[Key::AnyOther],
        help: "help-help-close",
        act: |_, _| Some(Action::ToggleHelp),
    },
    // The list of chapters.
    Binding {
        context: Context::List,
        keys: &[k(KeyCode::Up), k(KeyCode::Down), c('k'), c('j')],
        help: "help-list-choose",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Up | KeyCode::Char('k') => Action::LessonListUp,
                _ => Action::LessonListDown,
            })
        },
    },
    Binding {
        context: Context::List,
        keys: &[k(KeyCode::Enter), c(' ')],
        help: "help-list-open",
        act: |_, _| Some(Action::LessonListChoose),
    },
    Binding {
        context: Context::List,
        keys: &[k(KeyCode::Esc), c('q'), c(CHAPTERS)],
        help: "help-list-close",
        act: |_, _| Some(Action::LessonListClose),
    },
    Binding {
        context: Context::List,
        keys: &[c(LANGUAGE)],
        help: "help-list-lang",
        act: |_, _| Some(Action::LangToggle),
    },
    // The scenario menu.
    Binding {
        context: Context::Menu,
        keys: &[k(KeyCode::Up), k(KeyCode::Down), c('k'), c('j')],
        help: "help-menu-choose",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Up | KeyCode::Char('k') => Action::MenuUp,
                _ => Action::MenuDown,
            })
        },
    },
    Binding {
        context: Context::Menu,
        keys: &[k(KeyCode::Left), k(KeyCode::Right), c('h'), c('l'), c(' ')],
        help: "help-menu-change",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Left | KeyCode::Char('h') => Action::MenuLeft,
                _ => Action::MenuRight,
            })
        },
    },
    Binding {
        context: Context::Menu,
        keys: &[c('r')],
        help: "help-menu-apply",
        act: |_, _| Some(Action::MenuApply),
    },
    Binding {
        context: Context::Menu,
        keys: &[k(KeyCode::Enter), k(KeyCode::Esc), c('q'), c('s')],
        help: "help-menu-close",
        act: |_, _| Some(Action::MenuClose),
    },
    // Typing a search.
    Binding {
        context: Context::Search,
        keys: &[k(KeyCode::Enter)],
        help: "help-search-submit",
        act: |_, _| Some(Action::SearchSubmit),
    },
    Binding {
        context: Context::Search,
        keys: &[k(KeyCode::Esc)],
        help: "help-search-cancel",
        act: |_, _| Some(Action::SearchCancel),
    },
    Binding {
        context: Context::Search,
        keys: &[k(KeyCode::Backspace)],
        help: "help-search-backspace",
        act: |_, _| Some(Action::SearchBackspace),
    },
    Binding {
        context: Context::Search,
        keys: &[Key::AnyChar],
        help: "help-search-type",
        act: |_, key| Some(Action::SearchChar(ch(key))),
    },
    // Any pane, typing or not.
    Binding {
        context: Context::Screen,
        keys: &[k(KeyCode::F(1))],
        help: "help-screen-help",
        act: |_, _| Some(Action::ToggleHelp),
    },
    Binding {
        context: Context::Screen,
        keys: &[k(KeyCode::BackTab)],
        help: "help-prev-pane",
        act: |_, _| Some(Action::FocusPrev),
    },
    Binding {
        context: Context::Screen,
        keys: &[k(KeyCode::PageUp), k(KeyCode::PageDown)],
        help: "help-screen-half-page",
        act: |app, key| {
            Some(if key.code == KeyCode::PageUp {
                Action::ScrollUp(half_page(app))
            } else {
                Action::ScrollDown(half_page(app))
            })
        },
    },
    // The input line.
    Binding {
        context: Context::Typing,
        keys: &[k(KeyCode::Enter)],
        help: "help-typing-send",
        act: |_, _| Some(Action::InputSubmit),
    },
    Binding {
        context: Context::Typing,
        keys: &[k(KeyCode::Esc), Key::Ctrl('u')],
        help: "help-typing-leave",
        act: |_, _| Some(Action::InputLeave),
    },
    Binding {
        context: Context::Typing,
        keys: &[
            k(KeyCode::Left),
            k(KeyCode::Right),
            k(KeyCode::Home),
            k(KeyCode::End),
            Key::Ctrl('a'),
            Key::Ctrl('e'),
        ],
        help: "help-typing-cursor",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Left => Action::InputLeft,
                KeyCode::Right => Action::InputRight,
                KeyCode::Home | KeyCode::Char('a') => Action::InputHome,
                _ => Action::InputEnd,
            })
        },
    },
    Binding {
        context: Context::Typing,
        keys: &[k(KeyCode::Backspace), k(KeyCode::Delete)],
        help: "help-typing-delete",
        act: |_, key| {
            Some(if key.code == KeyCode::Backspace {
                Action::InputBackspace
            } else {
                Action::InputDelete
            })
        },
    },
    Binding {
        context: Context::Typing,
        keys: &[k(KeyCode::Up), k(KeyCode::Down)],
        help: "help-typing-history",
        act: |_, key| {
            Some(if key.code == KeyCode::Up {
                Action::HistoryPrev
            } else {
                Action::HistoryNext
            })
        },
    },
    Binding {
        context: Context::Typing,
        keys: &[k(KeyCode::Tab)],
        help: "help-typing-tab",
        act: |app, _| {
            let w = app.input.trim_start();
            Some(if w.is_empty() || w.contains(' ') {
                Action::FocusNext
            } else {
                Action::Complete
            })
        },
    },
    // No POP3 command starts with a bracket, so on an empty line they move
    // through the lesson without leaving it; otherwise they are typed.
    Binding {
        context: Context::Typing,
        keys: &[c(']'), c('[')],
        help: "help-typing-lesson",
        act: |app, key| {
            (app.input.is_empty() && app.lesson.open).then(|| {
                if key.code == KeyCode::Char(']') {
                    Action::LessonNext
                } else {
                    Action::LessonPrev
                }
            })
        },
    },
    Binding {
        context: Context::Typing,
        keys: &[Key::AnyChar],
        help: "help-typing-type",
        act: |_, key| Some(Action::InputChar(ch(key))),
    },
    // The lesson pane, before the pane keys.
    Binding {
        context: Context::Lesson,
        keys: &[c('1'), c('2'), c('3'), c('4')],
        help: "help-lesson-answer",
        act: |app, key| match app.lesson.place {
            Place::Quiz(_) => Some(Action::QuizAnswer(usize::from(ch(key) as u8 - b'1'))),
            _ => None,
        },
    },
    Binding {
        context: Context::Lesson,
        keys: &[k(KeyCode::Enter)],
        help: "help-lesson-next",
        act: |_, _| Some(Action::LessonNext),
    },
    // The TLS pane's steps: the arrows choose one (at either end they
    // scroll the pane on), Enter opens its bytes.
    Binding {
        context: Context::Steps,
        keys: &[k(KeyCode::Up), k(KeyCode::Down), c('k'), c('j')],
        help: "help-steps-choose",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Up | KeyCode::Char('k') => Action::TlsSelect(-1),
                _ => Action::TlsSelect(1),
            })
        },
    },
    Binding {
        context: Context::Steps,
        keys: &[k(KeyCode::Enter)],
        help: "help-steps-open",
        act: |_, _| Some(Action::BytesOpen),
    },
    // The byte view: up and down within the message, left and right from
    // message to message.
    Binding {
        context: Context::Bytes,
        keys: &[k(KeyCode::Up), k(KeyCode::Down), c('k'), c('j')],
        help: "help-bytes-field",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Up | KeyCode::Char('k') => Action::BytesField(-1),
                _ => Action::BytesField(1),
            })
        },
    },
    Binding {
        context: Context::Bytes,
        keys: &[k(KeyCode::Left), k(KeyCode::Right), c('h'), c('l')],
        help: "help-bytes-step",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Left | KeyCode::Char('h') => Action::BytesStep(-1),
                _ => Action::BytesStep(1),
            })
        },
    },
    Binding {
        context: Context::Bytes,
        keys: &[k(KeyCode::Enter)],
        help: "help-bytes-fold",
        act: |_, _| Some(Action::BytesFold),
    },
    Binding {
        context: Context::Bytes,
        keys: &[c('v')],
        help: "help-bytes-tab",
        act: |_, _| Some(Action::BytesTab),
    },
    Binding {
        context: Context::Bytes,
        keys: &[k(KeyCode::Esc)],
        help: "help-bytes-close",
        act: |_, _| Some(Action::BytesClose),
    },
    // The panes, with the input line not focused.
    Binding {
        context: Context::Panes,
        keys: &[Key::Capital],
        help: "help-panes-capital",
        act: |_, key| Some(Action::TypeInto(ch(key))),
    },
    Binding {
        context: Context::Panes,
        keys: FREE_LETTERS,
        help: "help-panes-free",
        act: |_, key| Some(Action::TypeInto(ch(key))),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('i'), k(KeyCode::Enter)],
        help: "help-panes-input",
        act: |_, _| Some(Action::InputEnter),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('q')],
        help: "help-panes-quit",
        act: |_, _| Some(Action::Quit),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('?')],
        help: "help-panes-help",
        act: |_, _| Some(Action::ToggleHelp),
    },
    Binding {
        context: Context::Panes,
        keys: &[k(KeyCode::Tab), c('l'), k(KeyCode::Right)],
        help: "help-next-pane",
        act: |_, _| Some(Action::FocusNext),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('h'), k(KeyCode::Left)],
        help: "help-prev-pane",
        act: |_, _| Some(Action::FocusPrev),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('1'), c('2'), c('3'), c('4'), c('5')],
        help: "help-panes-focus",
        act: |app, key| {
            Some(Action::FocusPane(match ch(key) {
                '1' => Focus::Client,
                '2' => Focus::Server,
                '3' => Focus::Wire,
                '4' => Focus::Tls,
                _ if app.lesson.open => Focus::Lesson,
                _ => return None,
            }))
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[k(KeyCode::Up), k(KeyCode::Down), c('k'), c('j')],
        help: "help-panes-scroll",
        act: |_, key| {
            Some(match key.code {
                KeyCode::Up | KeyCode::Char('k') => Action::ScrollUp(1),
                _ => Action::ScrollDown(1),
            })
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[c('g'), k(KeyCode::Home)],
        help: "help-panes-top",
        act: |_, _| Some(Action::ScrollTop),
    },
    Binding {
        context: Context::Panes,
        keys: &[k(KeyCode::End)],
        help: "help-panes-bottom",
        act: |_, _| Some(Action::ScrollBottom),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('z')],
        help: "help-panes-zoom",
        act: |_, _| Some(Action::ToggleZoom),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('/'), c('n')],
        help: "help-panes-search",
        act: |_, key| {
            Some(if ch(key) == '/' {
                Action::SearchOpen
            } else {
                Action::SearchNext
            })
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[k(KeyCode::Esc)],
        help: "help-panes-esc",
        act: |app, _| {
            Some(if app.cracking() {
                Action::StopCrack
            } else {
                Action::SearchCancel
            })
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[c('v')],
        help: "help-panes-view",
        act: |_, _| Some(Action::CycleWireView),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('s')],
        help: "help-panes-scenario",
        act: |_, _| Some(Action::MenuOpen),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('a')],
        help: "help-panes-login",
        act: |_, _| Some(Action::Login),
    },
    Binding {
        context: Context::Panes,
        keys: &[c(CRACK)],
        help: "help-panes-crack",
        act: |_, _| Some(Action::Crack),
    },
    Binding {
        context: Context::Panes,
        keys: &[c(' ')],
        help: "help-panes-step",
        act: |_, _| Some(Action::Step),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('p')],
        help: "help-panes-pause",
        act: |_, _| Some(Action::TogglePause),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('>'), c('+'), c('='), c('-')],
        help: "help-panes-play",
        act: |_, key| {
            Some(match ch(key) {
                '>' => Action::Play,
                '-' => Action::Slower,
                _ => Action::Faster,
            })
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[c(PAST_BACK), c(PAST_FORWARD)],
        help: "help-panes-past",
        act: |_, key| {
            Some(if ch(key) == PAST_BACK {
                Action::PastBack
            } else {
                Action::PastForward
            })
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[c(LIVE)],
        help: "help-panes-live",
        act: |_, _| Some(Action::Live),
    },
    Binding {
        context: Context::Panes,
        keys: &[c(SAVE)],
        help: "help-panes-save",
        act: |_, _| Some(Action::WriteCapture),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('r')],
        help: "help-panes-reset",
        act: |_, _| Some(Action::Reset),
    },
    Binding {
        context: Context::Panes,
        keys: &[c('c'), c(CHAPTERS)],
        help: "help-panes-lesson",
        act: |_, key| {
            Some(if ch(key) == 'c' {
                Action::LessonToggle
            } else {
                Action::LessonListOpen
            })
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[c(']'), c('[')],
        help: "help-panes-lesson-step",
        act: |_, key| {
            Some(if ch(key) == ']' {
                Action::LessonNext
            } else {
                Action::LessonPrev
            })
        },
    },
    Binding {
        context: Context::Panes,
        keys: &[c(LANGUAGE)],
        help: "help-panes-lang",
        act: |_, _| Some(Action::LangToggle),
    },
    Binding {
        context: Context::Panes,
        keys: &[c(THEME)],
        help: "help-panes-theme",
        act: |_, _| Some(Action::CycleTheme),
    },
];

/// The contexts the screen is in, in the order their keys are tried. An
/// overlay or a search being typed takes every key but Ctrl-C.
pub fn contexts(app: &App, key: &KeyEvent) -> Vec<Context> {
    let modal = if app.help {
        Some(Context::Help)
    } else if app.lesson.list.is_some() {
        Some(Context::List)
    } else if app.menu.is_some() {
        Some(Context::Menu)
    } else if app.search.as_ref().is_some_and(|s| s.editing) {
        Some(Context::Search)
    } else {
        None
    };
    if let Some(m) = modal {
        return vec![Context::Always, m];
    }
    // Alt+key (also what a quick Esc then key looks like) acts as the key
    // would outside the input line, so Alt-s opens the menu.
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    if app.input_active && app.focus == Focus::Client && !alt {
        vec![Context::Always, Context::Screen, Context::Typing]
    } else if app.focus == Focus::Lesson {
        vec![
            Context::Always,
            Context::Screen,
            Context::Lesson,
            Context::Panes,
        ]
    } else {
        let mut v = vec![Context::Always, Context::Screen];
        v.extend(super::bytes::context(app));
        v.push(Context::Panes);
        v
    }
}

/// The action `key` stands for on this screen, from [`BINDINGS`] alone.
pub fn action_for(app: &App, key: &KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    for ctx in contexts(app, key) {
        for b in BINDINGS.iter().filter(|b| b.context == ctx) {
            if b.keys.iter().any(|k| k.matches(key))
                && let Some(a) = (b.act)(app, key)
            {
                return Some(a);
            }
        }
    }
    None
}

/// The help's rows for `context` in `lang`: the keys as the help writes
/// them, and what they do.
pub fn rows(context: Context, lang: Lang) -> impl Iterator<Item = (String, String)> {
    BINDINGS
        .iter()
        .filter(move |b| b.context == context)
        .map(move |b| {
            let keys: Vec<String> = b.keys.iter().map(|k| k.name(lang)).collect();
            (keys.join(" "), crate::i18n::tr(lang, b.help))
        })
}

/// The contexts the `?` help lists, in its order; the menu's and the
/// chapter list's keys are shown in those overlays.
pub const HELP_CONTEXTS: [Context; 7] = [
    Context::Always,
    Context::Screen,
    Context::Panes,
    Context::Steps,
    Context::Bytes,
    Context::Lesson,
    Context::Typing,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows name their words by id, which the catalogue test cannot
    /// see being used through `tr!`; so each is checked here.
    #[test]
    fn every_row_and_heading_is_worded_in_both_languages() {
        let mut missing = Vec::new();
        let ids = BINDINGS.iter().map(|b| b.help).chain(
            [
                Context::Always,
                Context::Help,
                Context::List,
                Context::Menu,
                Context::Search,
                Context::Screen,
                Context::Typing,
                Context::Lesson,
                Context::Panes,
                Context::Steps,
                Context::Bytes,
            ]
            .map(Context::heading_id),
        );
        for id in ids {
            for lang in Lang::ALL {
                if !crate::i18n::has(lang, id) {
                    missing.push(format!("{id} ({})", lang.code()));
                }
            }
        }
        assert_eq!(missing, Vec::<String>::new());
    }
}
