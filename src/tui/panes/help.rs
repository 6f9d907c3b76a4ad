//! The help overlay: every key.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{overlay, span};
use crate::tui::app::App;
use crate::tui::keys;
use crate::tui::theme::Theme;

/// The help's lines before drawing: a heading for each context, then its
/// keys from the key map, so the help cannot say what the keys do not do.
/// `None` in the key column marks a heading.
pub fn rows() -> Vec<(Option<String>, &'static str)> {
    let mut out = Vec::new();
    let mut heading = "";
    for ctx in keys::HELP_CONTEXTS {
        if ctx.heading() != heading {
            heading = ctx.heading();
            out.push((None, heading));
        }
        out.extend(keys::rows(ctx).map(|(k, what)| (Some(k), what)));
    }
    out.push((
        Some("mouse".into()),
        "click focuses, wheel scrolls the pane under it (--no-mouse: select text)",
    ));
    out
}

/// How many lines the help's key list has (for scrolling it).
pub fn row_count() -> usize {
    rows().len()
}

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
        let rows = rows();
        // At 80×24 the keys alone just fit; the intro needs the room of a
        // larger screen.
        if usize::from(area.height) >= rows.len() + 6 {
            lines.push(Line::from(span(
                "Type POP3 commands in the client pane: USER alice, PASS wonderland, STAT, LIST, RETR 1, DELE 2, QUIT.",
                t.text,
            )));
            lines.push(Line::default());
        }
        let room = usize::from(area.height.saturating_sub(2));
        let tall = rows.len() > room;
        // When the keys do not all fit, the list scrolls with ↑ ↓ and the
        // title says so; the last key can always be brought into view.
        let first = if tall {
            self.app.help_scroll.min(rows.len() - room)
        } else {
            0
        };
        let w = rows
            .iter()
            .filter_map(|(k, _)| k.as_ref().map(|k| k.chars().count()))
            .max()
            .unwrap_or(0);
        for (k, what) in rows.iter().skip(first) {
            lines.push(match k {
                Some(k) => Line::from(vec![
                    span(format!("{k:>w$}  "), t.header_name),
                    span(*what, t.text),
                ]),
                None => Line::from(span(format!("── {what}"), t.title)),
            });
        }
        if !self.app.mouse {
            lines.push(Line::from(span("(the mouse is off: --no-mouse)", t.dim)));
        }
        let title = if tall {
            format!(
                " keys {}–{} of {} · ↑ ↓ scroll · any other key closes ",
                first + 1,
                (first + room).min(rows.len()),
                rows.len()
            )
        } else {
            " keys · any key closes ".to_string()
        };
        overlay(area, buf, t, 96, &title, lines);
    }
}
