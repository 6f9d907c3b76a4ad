//! The TLS pane's byte view: one handshake step, byte by byte. At the top
//! what the eavesdropper reads of it (the record header, and for a sealed
//! step only how many opaque bytes crossed); below, the message as the
//! client and server read it, as a tree of fields with their names and
//! values, its bytes in hex with the chosen field's bytes marked, and
//! what that field is for, in the learner's language.
//!
//! It is drawn over the lab's four panes while the TLS pane has focus
//! (the lesson stays beside it), so it has room at 80×24 too.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::span;
use crate::lang::Lang;
use crate::tui::app::{App, Focus};
use crate::tui::bytes::{Row, Tab, Target, rows};
use crate::tui::model::tls::StepRef;
use crate::tui::text::clip;
use crate::tui::theme::Theme;
use crate::wire::Direction;
use crate::wire::annotate::{self, Field, Value};
use crate::wire::steps::StepKind;

/// How many bytes of a long value the tree shows.
const SHOWN_BYTES: usize = 32;

/// Columns before the first byte of a hex row ("0000  ").
pub const HEX_OFFSET_COLS: usize = 6;

/// Where the byte view's parts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The whole view, with its border.
    pub frame: Rect,
    /// What the eavesdropper reads, and the heading of what the ends
    /// read.
    pub wire: Rect,
    /// The field tree.
    pub tree: Rect,
    /// The hex dump.
    pub hex: Rect,
    /// The chosen field's explanation.
    pub why: Rect,
    /// Bytes per hex row.
    pub per_row: usize,
}

/// The byte view's areas on a screen of `screen`'s size, when it is
/// drawn: open, with the TLS pane focused. It covers the lab's panes and
/// leaves the lesson's column alone.
pub fn areas(app: &App, screen: Rect) -> Option<Areas> {
    if app.bytes.is_none() || app.focus != Focus::Tls {
        return None;
    }
    let panes = app.areas(screen).panes;
    let frame = panes
        .iter()
        .filter(|(f, _)| *f != Focus::Lesson)
        .map(|(_, r)| *r)
        .reduce(|a, b| a.union(b))?;
    let inner = Block::bordered().inner(frame);
    let per_row = if inner.width >= 76 { 16 } else { 8 };
    // As many rows as the eavesdropper's lines take at this width.
    let wire_h = match app.bytes_step() {
        Some(s) => {
            let theme = Theme::new(crate::tui::theme::ThemeName::Dark, true);
            super::wrap_lines(wire_lines(app, &s, &theme), inner.width).len() as u16
        }
        None => 4,
    }
    .min(inner.height / 2);
    let [wire, body] =
        Layout::vertical([Constraint::Length(wire_h), Constraint::Min(0)]).areas(inner);
    let (tree, hex, why) = if inner.width >= 140 {
        let [tree, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Min(0)]).areas(body);
        let [_, right] =
            Layout::horizontal([Constraint::Length(1), Constraint::Min(0)]).areas(right);
        let [hex, why] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Min(0)]).areas(right);
        (tree, hex, why)
    } else {
        let hex_h = (body.height / 4).clamp(2, 8);
        let why_h = (body.height / 4).clamp(2, 6);
        let [tree, hex, why] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(hex_h),
            Constraint::Length(why_h),
        ])
        .areas(body);
        (tree, hex, why)
    };
    Some(Areas {
        frame,
        wire,
        tree,
        hex,
        why,
        per_row,
    })
}

/// The first tree row shown, `height` rows tall, so row `sel` is in view
/// with some of what is around it.
pub fn tree_start(n: usize, height: u16, sel: usize) -> usize {
    let h = usize::from(height).max(1);
    if n <= h {
        return 0;
    }
    sel.saturating_sub(h / 3).min(n - h)
}

/// The first hex row shown, `height` rows tall, so the byte `at` (the
/// chosen field's first) is in view.
pub fn hex_start(len: usize, per_row: usize, height: u16, at: usize) -> usize {
    let h = usize::from(height).max(1);
    let total = len.div_ceil(per_row.max(1));
    if total <= h {
        return 0;
    }
    (at / per_row.max(1)).saturating_sub(1).min(total - h)
}

/// A field's name in `lang`.
fn name_of(f: &Field, lang: Lang) -> String {
    crate::i18n::tr(lang, f.what.ids().0)
}

/// A field's value as drawn: its shown value (text made visible there),
/// or its size for a container.
fn value_of(f: &Field, lang: Lang) -> String {
    match &f.value {
        Value::None => crate::tr!(lang, "tls-bytes-size", n = f.len),
        // Long bytes are cut here rather than by `Value::shown`, so their
        // size is worded in the learner's language.
        Value::Bytes(b) if b.len() > SHOWN_BYTES => format!(
            "{}… {}",
            hex::encode(&b[..SHOWN_BYTES]),
            crate::tr!(lang, "tls-bytes-size", n = b.len())
        ),
        v => v.shown(),
    }
}

/// "client →" or "← server".
fn who(dir: Direction, lang: Lang) -> String {
    match dir {
        Direction::ClientToServer => format!("{} →", crate::tr!(lang, "tls-from-client")),
        Direction::ServerToClient => format!("← {}", crate::tr!(lang, "tls-from-server")),
    }
}

/// How many steps of the same connection share `s`'s sealed record.
fn sharing(app: &App, s: &StepRef) -> usize {
    app.tls
        .steps()
        .iter()
        .filter(|(_, o)| o.conn == s.conn && o.step.shares_record(&s.step))
        .count()
}

/// The eavesdropper's lines: the record header, field by field, and
/// what it can read of the body; then the heading of the ends' side.
fn wire_lines(app: &App, s: &StepRef, t: &Theme) -> Vec<Line<'static>> {
    let lang = app.lesson.lang;
    let header = s.step.record_bytes();
    let mut spans = vec![span(format!("{} ", hex::encode_upper(header)), t.locked)];
    for (i, f) in annotate::record_header(&header).iter().enumerate() {
        if i > 0 {
            spans.push(span(" · ", t.dim));
        }
        spans.push(span(format!("{} ", name_of(f, lang)), t.dim));
        spans.push(span(f.value.shown(), t.text));
    }
    let body = if s.step.sealed.is_some() {
        let n = sharing(app, s);
        let bytes = s.step.record.length;
        if n > 1 {
            crate::tr!(
                lang,
                "tls-bytes-eaves-sealed-shared",
                bytes = bytes,
                count = n
            )
        } else {
            crate::tr!(lang, "tls-bytes-eaves-sealed", bytes = bytes)
        }
    } else {
        crate::tr!(lang, "tls-bytes-eaves-clear")
    };
    // The message in one line, as the transcript words it, under the
    // heading of what the ends read.
    let summary = match s.step.kind {
        StepKind::Handshake { msg_type, .. } => {
            crate::wire::tls::decode_handshake(msg_type, s.step.bytes.get(4..).unwrap_or(&[]), None)
                .ok()
                .map(|m| crate::tui::text::handshake(&m, lang))
        }
        StepKind::ChangeCipherSpec => None,
    };
    let mut lines = vec![
        Line::from(span(crate::tr!(lang, "tls-bytes-eaves-heading"), t.title)),
        Line::from(spans),
        Line::from(span(
            body,
            if s.step.sealed.is_some() {
                t.locked
            } else {
                t.leak
            },
        )),
        Line::from(span(
            if s.step.sealed.is_some() {
                crate::tr!(lang, "tls-bytes-ends-opened")
            } else {
                crate::tr!(lang, "tls-bytes-ends-heading")
            },
            t.title,
        )),
    ];
    // Messages the transcript only names get no line of their own.
    if let Some(summary) = summary.filter(|w| w != s.step.name()) {
        lines.push(Line::from(span(summary, t.accent)));
    }
    lines
}

/// The field tree's lines from `start`, `height` of them, `sel` marked.
fn tree_lines(
    rows: &[Row<'_>],
    sel: usize,
    start: usize,
    height: usize,
    width: usize,
    lang: Lang,
    t: &Theme,
) -> Vec<Line<'static>> {
    rows.iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, r)| {
            let marker = if r.field.parts.is_empty() {
                "  "
            } else if r.folded {
                "▸ "
            } else {
                "▾ "
            };
            let head = format!(
                "{}{marker}{}: ",
                "  ".repeat(r.depth),
                name_of(r.field, lang)
            );
            let value = value_of(r.field, lang);
            let room = width.saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
            let chosen = i == sel;
            Line::from(vec![
                span(head, if chosen { t.selected } else { t.dim }),
                span(
                    clip(&value, room.max(1)),
                    if chosen { t.selected } else { t.text },
                ),
            ])
        })
        .collect()
}

/// The hex rows from `start`, `height` of them, the bytes of
/// `mark` (start, length) marked.
fn hex_lines(
    bytes: &[u8],
    per_row: usize,
    start: usize,
    height: usize,
    mark: (usize, usize),
    t: &Theme,
) -> Vec<Line<'static>> {
    let marked = |i: usize| i >= mark.0 && i < mark.0 + mark.1;
    bytes
        .chunks(per_row)
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(r, chunk)| {
            let at = r * per_row;
            let mut spans = vec![span(
                format!("{at:04x}{}", " ".repeat(HEX_OFFSET_COLS - 4)),
                t.dim,
            )];
            for (k, b) in chunk.iter().enumerate() {
                let style = if marked(at + k) { t.selected } else { t.text };
                spans.push(span(format!("{b:02x}"), style));
                spans.push(span(" ", t.text));
            }
            spans.push(span(" ".repeat(3 * (per_row - chunk.len())), t.text));
            for (k, b) in chunk.iter().enumerate() {
                let c = if b.is_ascii_graphic() {
                    char::from(*b)
                } else {
                    '.'
                };
                let style = if marked(at + k) { t.selected } else { t.dim };
                spans.push(span(c.to_string(), style));
            }
            Line::from(spans)
        })
        .collect()
}

/// The chosen field's explanation: its name, where it is, and what it is
/// for, in full.
fn why_lines(f: &Field, lang: Lang, t: &Theme) -> Vec<Line<'static>> {
    let (name, why) = f.what.ids();
    vec![
        Line::from(span(
            crate::tr!(
                lang,
                "tls-bytes-field-at",
                name = crate::i18n::tr(lang, name),
                len = f.len,
                at = f.at
            ),
            t.title,
        )),
        Line::from(span(crate::i18n::tr(lang, why), t.text)),
    ]
}

/// The byte view, drawn over the lab's panes.
pub struct BytesOverlay<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
}

impl Widget for &BytesOverlay<'_> {
    fn render(self, screen: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = self.theme;
        let lang = app.lesson.lang;
        let (Some(a), Some(view)) = (areas(app, screen), app.bytes.as_ref()) else {
            return;
        };
        Clear.render(a.frame, buf);
        let step = app.bytes_step();
        let steps = app.tls.steps();
        let title = match (&step, view.tab) {
            (_, Tab::Keys) => crate::tr!(lang, "tls-bytes-title-keys"),
            (Some(s), Tab::Message) => crate::tr!(
                lang,
                "tls-bytes-title",
                name = s.step.name(),
                who = who(s.step.dir, lang),
                at = app.tls.step_index(s).map_or(0, |i| i + 1),
                total = steps.len()
            ),
            (None, Tab::Message) => String::new(),
        };
        let n = Focus::Tls.index() + 1;
        let mut block = Block::bordered()
            .border_style(t.border_focused)
            .title(Span::styled(
                format!(" {n} {} · {title} ", app.pane_title(Focus::Tls)),
                t.border_focused,
            ))
            .title_bottom(Span::styled(
                format!(" {} ", crate::tr!(lang, "tls-bytes-keys")),
                t.dim,
            ));
        if let Some(mark) = app.time_mark() {
            block = block.title(Span::styled(format!(" {mark} "), t.matched));
        }
        let inner = block.inner(a.frame);
        block.render(a.frame, buf);
        if view.tab == Tab::Keys {
            let lines = match app.bytes_conn() {
                Some(conn) => super::schedule::lines(app, conn, lang, t),
                None => vec![Line::from(span(
                    crate::tr!(lang, "tls-bytes-no-step"),
                    t.dim,
                ))],
            };
            // Scrolled no further than its last line shows at the top.
            let last = u16::try_from(lines.len().saturating_sub(1)).unwrap_or(u16::MAX);
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((view.keys_scroll.min(last), 0))
                .render(inner, buf);
            return;
        }
        let Some(s) = step else {
            let words = match &view.target {
                Target::Named { name, .. } => {
                    crate::tr!(lang, "tls-bytes-waiting", name = name.as_str())
                }
                _ => crate::tr!(lang, "tls-bytes-no-step"),
            };
            Paragraph::new(Line::from(span(words, t.dim)))
                .wrap(Wrap { trim: false })
                .render(inner, buf);
            return;
        };
        Paragraph::new(super::wrap_lines(wire_lines(app, &s, t), a.wire.width)).render(a.wire, buf);
        let rows = rows(&s.step.fields, &view.folded);
        let sel = view.field.min(rows.len().saturating_sub(1));
        let start = tree_start(rows.len(), a.tree.height, sel);
        Paragraph::new(tree_lines(
            &rows,
            sel,
            start,
            usize::from(a.tree.height),
            usize::from(a.tree.width),
            lang,
            t,
        ))
        .render(a.tree, buf);
        let Some(chosen) = rows.get(sel).map(|r| r.field) else {
            return;
        };
        let first = hex_start(s.step.bytes.len(), a.per_row, a.hex.height, chosen.at);
        Paragraph::new(hex_lines(
            &s.step.bytes,
            a.per_row,
            first,
            usize::from(a.hex.height),
            (chosen.at, chosen.len),
            t,
        ))
        .render(a.hex, buf);
        let mut why = why_lines(chosen, lang, t);
        // A Finished step also says whether its verify_data checks out
        // against the handshake, and how it is made.
        if s.step.name() == "Finished" {
            let verdict = super::schedule::finished_lines(app, s.conn, s.step.dir, lang, t);
            if !verdict.is_empty() {
                why.push(Line::default());
                why.extend(verdict);
            }
        }
        Paragraph::new(why)
            .wrap(Wrap { trim: false })
            .render(a.why, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::annotate::What;

    #[test]
    fn text_from_the_network_is_drawn_visible_and_sizes_in_the_learners_words() {
        let f = |value| Field {
            at: 0,
            len: 40,
            what: What::ServerName,
            value,
            parts: Vec::new(),
        };
        let shown = value_of(&f(Value::Text("evil\x1b[2J\u{202e}name".into())), Lang::En);
        assert!(
            !shown.contains('\x1b') && !shown.contains('\u{202e}'),
            "{shown:?}"
        );
        let long = value_of(&f(Value::Bytes(vec![0xab; 40])), Lang::Ja);
        assert!(long.ends_with("(40 バイト)"), "{long:?}");
        assert!(long.starts_with(&"ab".repeat(32)), "{long:?}");
    }
}
