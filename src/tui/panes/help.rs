//! The help overlay: every key.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{overlay, span};
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// Every key and what it does, as the help shows them.
pub const KEYS: &[(&str, &str)] = &[
    ("Ctrl-C", "quit, from anywhere"),
    ("q", "quit (when the input line is not focused)"),
    ("? / F1", "this help; any key closes it"),
    (
        "Tab / Shift-Tab",
        "next / previous pane (while typing, Tab completes)",
    ),
    (
        "1 2 3 4 5",
        "focus client, server, eavesdropper, TLS, lesson",
    ),
    ("h l ← →", "previous / next pane"),
    ("i / Enter", "type a POP3 command in the client pane"),
    ("← → Home End", "move the cursor (on the input line)"),
    ("Esc", "leave the input line; clear the search"),
    ("↑ ↓ (typing)", "command history"),
    ("↑ ↓ j k PgUp PgDn", "scroll the focused pane"),
    (
        "g G Home End",
        "oldest / newest lines (G follows new lines)",
    ),
    ("z", "zoom the focused pane"),
    ("/  n", "search the focused pane; next older match"),
    ("v", "eavesdropper view: text, hex, records"),
    ("s", "scenario: transport, login, client policies, attacker"),
    ("a", "log in the scenario's way (APOP, AUTH PLAIN too)"),
    (
        "K",
        "crack a captured APOP password offline; K or Esc stops",
    ),
    ("c  C", "lesson pane on/off; list of chapters"),
    (
        "] [",
        "next / previous lesson step (also on an empty input line)",
    ),
    ("L", "lesson language: 日本語 / English"),
    (
        "1-4 (quiz)",
        "answer the quiz question (lesson pane focused)",
    ),
    ("Space", "pause the wire and let one chunk cross"),
    ("p", "pause the wire / let it flow"),
    ("P  + -", "play one chunk at a time; faster, slower"),
    ("r", "reset: a fresh lab, same scenario"),
    (
        "mouse",
        "click focuses, wheel scrolls the pane under it (--no-mouse: select text)",
    ),
];

/// The help overlay.
pub struct HelpOverlay<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
}

impl Widget for &HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut lines = Vec::new();
        // At 80×24 the keys alone just fit; the intro needs the room of a
        // larger screen.
        if usize::from(area.height) >= KEYS.len() + 6 {
            lines.push(Line::from(span(
                "Type POP3 commands in the client pane: USER alice, PASS wonderland, STAT, LIST, RETR 1, DELE 2, QUIT.",
                t.text,
            )));
            lines.push(Line::default());
        }
        let room = usize::from(area.height.saturating_sub(2));
        let tall = KEYS.len() > room;
        // When the keys do not all fit, the list scrolls with ↑ ↓ and the
        // title says so; the last key can always be brought into view.
        let first = if tall {
            self.app.help_scroll.min(KEYS.len() - room)
        } else {
            0
        };
        for (k, what) in KEYS.iter().skip(first) {
            lines.push(Line::from(vec![
                span(format!("{k:>18}  "), t.header_name),
                span(*what, t.text),
            ]));
        }
        if !self.app.mouse {
            lines.push(Line::from(span("(the mouse is off: --no-mouse)", t.dim)));
        }
        let title = if tall {
            format!(
                " keys {}–{} of {} · ↑ ↓ scroll · any other key closes ",
                first + 1,
                (first + room).min(KEYS.len()),
                KEYS.len()
            )
        } else {
            " keys · any key closes ".to_string()
        };
        overlay(area, buf, t, 96, &title, lines);
    }
}
