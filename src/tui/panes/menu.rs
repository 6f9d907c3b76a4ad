//! The scenario menu: transport, login, TLS settings, then reconnect.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{overlay, span};
use crate::lab::Trust;
use crate::tui::app::{App, MENU_ROWS};
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
        let values = [
            match s.transport {
                crate::lab::Transport::Plain => "plain POP3 (port 110 style)",
                crate::lab::Transport::Stls => "POP3 + STLS",
                crate::lab::Transport::Implicit => "POP3S (TLS from the start)",
            }
            .to_string(),
            s.auth.name().to_string(),
            if s.require_tls { "on" } else { "off" }.to_string(),
            if s.verify == Trust::InsecureAcceptAny {
                "off: accept any certificate"
            } else {
                "on: against the lab's CA"
            }
            .to_string(),
            "Enter".to_string(),
        ];
        let mut lines = Vec::new();
        for (i, (name, value)) in MENU_ROWS.iter().zip(values).enumerate() {
            let style = if i == m.row { t.selected } else { t.text };
            let shown = if i + 1 == MENU_ROWS.len() {
                format!("  ▶ {name}  ")
            } else {
                format!("  {name:<20} ‹ {value} ›  ")
            };
            lines.push(Line::from(span(shown, style)));
        }
        lines.push(Line::default());
        lines.push(Line::from(span(
            "↑↓ choose · ←→ change · Enter on Reconnect applies · Esc cancels",
            t.dim,
        )));
        overlay(area, buf, t, 70, " scenario ", lines);
    }
}
