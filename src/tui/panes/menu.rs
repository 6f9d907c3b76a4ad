//! The scenario menu: transport, login, the client's policies, the
//! attacker and the deliberately vulnerable modes. Each change restarts
//! the lab with it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{overlay, span};
use crate::tui::app::{App, MENU_ROWS};
use crate::tui::keys::{self, Context};
use crate::tui::theme::Theme;

/// The scenario menu.
pub struct MenuOverlay<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
}

impl Widget for &MenuOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let Some(m) = &self.app.menu else { return };
        let s = &m.scenario;
        let lang = self.app.lesson.lang;
        let mut lines = Vec::new();
        // The values line up after the longest label, 20 columns at least.
        let labels: Vec<String> = MENU_ROWS.iter().map(|r| r.label(lang)).collect();
        let label_width = labels.iter().map(|l| columns(l)).max().unwrap_or(0).max(20);
        for ((i, row), label) in MENU_ROWS.iter().enumerate().zip(&labels) {
            let selected = i == m.row;
            let style = if selected { t.selected } else { t.text };
            // A deliberately unsafe value keeps the danger colour even on
            // the selected row, so it cannot be missed.
            let value_style = if row.vulnerable(s) { t.leak } else { style };
            lines.push(Line::from(vec![
                span(format!("  {} ‹ ", pad(label, label_width)), style),
                span(row.value(s, lang), value_style),
                span(" ›  ", style),
            ]));
        }
        lines.push(Line::default());
        // The hints are the menu's rows of the key map, so they say what
        // the keys do.
        for (keys, what) in keys::rows(Context::Menu, self.app.lesson.lang) {
            lines.push(Line::from(vec![
                span(format!("{keys}: "), t.key),
                span(what, t.dim),
            ]));
        }
        let title = format!(" {} ", crate::tr!(lang, "menu-title"));
        overlay(area, buf, t, 74, &title, lines);
    }
}

/// `text` padded with spaces to `width` columns: a Japanese label's
/// characters take two columns each, so counting characters would leave
/// the values out of line.
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(columns(text))))
}

/// How many columns `text` takes on the screen.
fn columns(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}
