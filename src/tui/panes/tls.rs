//! The TLS pane: the handshake as a timeline, what was negotiated, the
//! certificate check and each secret as it is derived.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{frame, render_scrolled, span};
use crate::lab::Transport;
use crate::tui::app::{App, Focus};
use crate::tui::text::clip;
use crate::tui::theme::Theme;
use crate::wire::Direction;

/// The TLS pane.
pub struct TlsPane<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
    /// It has focus.
    pub focused: bool,
}

/// The pane's lines.
pub fn lines(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let m = &app.tls;
    let mut out = Vec::new();
    if m.timeline.is_empty() {
        out.push(Line::from(span(
            if app.scenario.transport == Transport::Plain {
                "no TLS in this scenario: everything crosses in clear (s: scenario)"
            } else {
                "no handshake yet"
            },
            t.dim,
        )));
    }
    let n = m.timeline.len();
    let starts_at = |i: usize| m.starts.iter().find(|(at, _)| *at == i).map(|(_, c)| *c);
    // Once a second connection has shaken hands, each connection's part
    // of the timeline is under its own heading, so the second handshake
    // does not read as the first one's continuation. A single connection
    // needs no heading, and the pane keeps its line.
    let headed = m.starts.len() > 1;
    for (i, (dir, step)) in m.timeline.iter().enumerate() {
        if let Some(conn) = starts_at(i).filter(|_| headed) {
            out.push(Line::from(span(
                crate::tr!(app.lesson.lang, "tls-connection-heading", conn = conn),
                t.title,
            )));
        }
        let who = match dir {
            Direction::ClientToServer => "client →",
            Direction::ServerToClient => "← server",
        };
        let bar = if i + 1 == n || starts_at(i + 1).is_some() {
            "└"
        } else {
            "├"
        };
        out.push(Line::from(vec![
            span(format!("{bar} {who} "), t.dim),
            span(step.clone(), t.accent),
        ]));
    }
    if let Some(p) = &m.params {
        out.push(Line::default());
        out.push(Line::from(vec![
            span("negotiated  ", t.title),
            span(p.clone(), t.text),
        ]));
    }
    for (i, (subject, issuer)) in m.chain.iter().enumerate() {
        out.push(Line::from(vec![
            span(
                if i == 0 {
                    "certificate "
                } else {
                    "            "
                },
                t.title,
            ),
            span(format!("{subject} (issued by {issuer})"), t.text),
        ]));
    }
    if let Some(v) = &m.verification {
        let style = if v.starts_with("NOT") { t.err } else { t.good };
        out.push(Line::from(vec![
            span("check       ", t.title),
            span(v.clone(), style),
        ]));
    }
    if let Some(f) = &m.failed {
        out.push(Line::from(vec![
            span("FAILED      ", t.err),
            span(f.clone(), t.err),
        ]));
    }
    if !m.secrets.is_empty() {
        out.push(Line::default());
        out.push(Line::from(span(
            "secrets derived by the client (never on the wire):",
            t.title,
        )));
        for (label, secret) in &m.secrets {
            out.push(Line::from(vec![
                span(format!("  {label} "), t.text),
                span(clip(secret, 24), t.dim),
            ]));
        }
    }
    out
}

impl Widget for &TlsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = frame(self.app, self.theme, Focus::Tls, self.focused, "");
        let inner = block.inner(area);
        block.render(area, buf);
        render_scrolled(
            self.app,
            self.theme,
            Focus::Tls,
            lines(self.app, self.theme),
            inner,
            buf,
        );
    }
}
