//! The eavesdropper pane: the bytes as they crossed the wire, in three
//! views (text, hex, records), and a box of what was learned.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::{frame, render_scrolled, span};
use crate::tui::app::{App, Focus, TextLine, WireView};
use crate::tui::theme::Theme;
use crate::wire::Direction;

/// The eavesdropper pane.
pub struct WirePane<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
    /// It has focus.
    pub focused: bool,
}

/// The current view's lines for a pane `width` columns wide inside.
pub fn lines(app: &App, t: &Theme, width: u16) -> Vec<Line<'static>> {
    let arrow_style = |d: Direction| match d {
        Direction::ClientToServer => t.sent,
        Direction::ServerToClient => t.ok,
    };
    let mut out = Vec::new();
    match app.wire_view {
        WireView::Text => {
            for l in &app.wire.text {
                out.push(match l {
                    TextLine::Line { dir, text, secret } => Line::from(vec![
                        span(format!("{} ", dir.arrow()), arrow_style(*dir)),
                        span(text.clone(), if *secret { t.leak } else { t.text }),
                    ]),
                    TextLine::Locked { dir, bytes } => Line::from(vec![
                        span(format!("{} ", dir.arrow()), arrow_style(*dir)),
                        span(
                            format!("🔒 {bytes} bytes of TLS records: unreadable"),
                            t.locked,
                        ),
                    ]),
                    TextLine::Leak { tag, text } => Line::from(vec![
                        span(format!(" ⚠ {tag} "), t.leak),
                        span(format!(" {text}"), t.err),
                    ]),
                    TextLine::Note(s) => Line::from(span(format!("── {s}"), t.dim)),
                });
            }
        }
        WireView::Hex => {
            // Sixteen bytes a row need 78 columns; narrower panes get eight.
            let per_row = if width >= 78 { 16 } else { 8 };
            for b in &app.wire.hex {
                out.push(Line::from(vec![
                    span(format!("{} ", b.dir.arrow()), arrow_style(b.dir)),
                    span(
                        format!(
                            "connection {}, {} bytes from offset {}",
                            b.conn,
                            b.bytes.len(),
                            b.offset
                        ),
                        t.dim,
                    ),
                ]));
                for (i, row) in b.bytes.chunks(per_row).enumerate() {
                    let off = b.offset + (i * per_row) as u64;
                    let hexes: Vec<String> = row.iter().map(|x| hex::encode([*x])).collect();
                    let ascii: String = row
                        .iter()
                        .map(|&c| {
                            if (0x20..0x7f).contains(&c) {
                                c as char
                            } else {
                                '.'
                            }
                        })
                        .collect();
                    out.push(Line::from(vec![
                        span(format!("{off:08x}  "), t.dim),
                        span(format!("{:<w$}", hexes.join(" "), w = per_row * 3), t.text),
                        span(format!(" {ascii}"), t.accent),
                    ]));
                }
            }
        }
        WireView::Records => {
            for r in &app.wire.records {
                let mut spans = Vec::new();
                if let Some(d) = r.dir {
                    spans.push(span(format!("{} ", d.arrow()), arrow_style(d)));
                }
                if r.nested {
                    spans.push(span("  └ ", t.dim));
                }
                let style = if r.secret {
                    t.leak
                } else if r.locked {
                    t.locked
                } else if r.nested {
                    t.accent
                } else {
                    t.text
                };
                spans.push(span(r.text.clone(), style));
                out.push(Line::from(spans));
            }
        }
    }
    if out.is_empty() {
        out.push(Line::from(span("nothing has crossed the wire yet", t.dim)));
    }
    out
}

/// The loot box's lines.
fn loot(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (tag, text) in &app.wire.loot {
        out.push(Line::from(vec![
            span(format!(" {tag} "), t.leak),
            span(format!(" {text}"), t.text),
        ]));
    }
    for (conn, loot, summary) in &app.wire.learned {
        if !loot.readable() {
            out.push(Line::from(vec![
                span(format!("connection {conn}: "), t.dim),
                span(summary.clone(), t.good),
            ]));
        }
    }
    if out.is_empty() {
        out.push(Line::from(span("nothing readable so far", t.good)));
    }
    out
}

impl Widget for &WirePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let views = [WireView::Text, WireView::Hex, WireView::Records]
            .iter()
            .map(|v| {
                if *v == app.wire_view {
                    format!("[{}]", v.name())
                } else {
                    v.name().to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let block = frame(
            app,
            t,
            Focus::Wire,
            self.focused,
            &format!(" · {views} (v)"),
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let loot = loot(app, t);
        let h = (loot.len() as u16 + 1).min(6).min(inner.height / 2);
        let [body, boxed] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(h)]).areas(inner);
        render_scrolled(app, t, Focus::Wire, lines(app, t, body.width), body, buf);
        let b = Block::new()
            .borders(Borders::TOP)
            .border_style(t.border)
            .title(span(" loot: what the eavesdropper learned ", t.title));
        let inside = b.inner(boxed);
        b.render(boxed, buf);
        // The newest loot matters most, so a full box shows the tail.
        let skip = loot.len().saturating_sub(usize::from(inside.height));
        Paragraph::new(loot.into_iter().skip(skip).collect::<Vec<_>>()).render(inside, buf);
    }
}
