//! The client pane: the conversation as the client sees it, and the
//! input line for POP3 commands.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{frame, render_scrolled, span};
use crate::tui::app::{App, ClientLine, Focus};
use crate::tui::theme::Theme;

/// The client pane.
pub struct ClientPane<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
    /// It has focus.
    pub focused: bool,
}

/// The conversation's lines.
pub fn lines(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(e) = &app.lab_error {
        out.push(Line::from(span(format!("lab: {e}"), t.err)));
    }
    for l in &app.client {
        out.push(match l {
            ClientLine::Info(s) => Line::from(span(s.clone(), t.dim)),
            ClientLine::Sent(s) => Line::from(vec![span("C: ", t.dim), span(s.clone(), t.sent)]),
            ClientLine::Ok(s) => Line::from(vec![span("S: ", t.dim), span(s.clone(), t.ok)]),
            ClientLine::Err(s) => Line::from(vec![span("!  ", t.err), span(s.clone(), t.err)]),
            ClientLine::Good(s) => Line::from(vec![span("✓  ", t.good), span(s.clone(), t.good)]),
            ClientLine::Header(n, v) => Line::from(vec![
                span("   ", t.text),
                span(format!("{n}: "), t.header_name),
                span(v.clone(), t.header_value),
            ]),
            ClientLine::Body(s) => Line::from(vec![span("   ", t.text), span(s.clone(), t.text)]),
        });
    }
    if out.is_empty() {
        out.push(Line::from(span("starting the lab…", t.dim)));
    }
    out
}

impl Widget for &ClientPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let block = frame(app, t, Focus::Client, self.focused, "");
        let inner = block.inner(area);
        block.render(area, buf);
        let [body, rule, input] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        render_scrolled(app, t, Focus::Client, lines(app, t), body, buf);
        buf.set_string(
            rule.x,
            rule.y,
            "─".repeat(usize::from(rule.width)),
            t.border,
        );
        let active = self.focused && app.input_active;
        let mut spans = vec![span("pop3> ", if active { t.accent } else { t.dim })];
        spans.push(span(app.input_shown(), t.text));
        if active {
            spans.push(span("█", t.accent));
        } else if app.input.is_empty() {
            spans.push(span(
                if self.focused {
                    "(i or Enter to type a command)"
                } else {
                    "(Tab here to type a command)"
                },
                t.dim,
            ));
        }
        Line::from(spans).render(input, buf);
    }
}
