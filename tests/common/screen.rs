//! The lab screen drawn off a terminal, for the tests that read it: the
//! whole screen of an `App` in a `TestBackend`, and a buffer read back as
//! rows of text with a wide character counted once (not with the blank
//! cell behind it). Included with `#[path]` rather than through
//! `common/mod.rs`, which brings a whole test server with it.

#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use popscope::tui::app::{Action, App};
use popscope::tui::panes::Screen;
use popscope::tui::theme::{Theme, ThemeName};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// `app` resized to `w`×`h` and drawn whole, in the dark theme.
pub fn backend(app: &mut App, w: u16, h: u16) -> TestBackend {
    backend_in(app, w, h, &Theme::new(ThemeName::Dark, false))
}

/// `app` resized to `w`×`h` and drawn whole, in `theme`.
pub fn backend_in(app: &mut App, w: u16, h: u16, theme: &Theme) -> TestBackend {
    app.update(Action::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| f.render_widget(&Screen { app, theme }, f.area()))
        .unwrap();
    terminal.backend().clone()
}

/// A buffer's rows as text, a wide character counted once.
pub fn rows(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            let mut row = String::new();
            let mut x = area.left();
            while x < area.right() {
                let symbol = buf[(x, y)].symbol();
                row.push_str(symbol);
                x += symbol.width().max(1) as u16;
            }
            row
        })
        .collect()
}

/// One widget drawn alone on a `w`×`h` buffer, as rows of text.
pub fn widget_rows(widget: impl Widget, w: u16, h: u16) -> Vec<String> {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    widget.render(area, &mut buf);
    rows(&buf)
}

/// A key with no modifier.
pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Feed keys the way the run loop does: key → action → update.
pub fn press(app: &mut App, codes: &[KeyCode]) {
    for &c in codes {
        if let Some(a) = app.action_for_key(key(c)) {
            app.update(a);
        }
    }
}
