//! The eavesdropper pane: the bytes as they crossed the wire, in three
//! views (text, hex, records), and a box of what was learned.
//!
//! While an attack is on it is the attacker's pane: what the attacker did
//! and read is drawn in order with the bytes, and the box holds the
//! verdict, the offline password search and the secrets it holds.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::{frame, render_window, span};
use crate::attack::crack::say_rate;
use crate::tui::app::{App, CrackView, Focus, HexBlock, RecordLine, TextLine, WireView};
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

/// How many bytes a hex row shows in a pane `width` columns wide inside:
/// sixteen need 78 columns; narrower panes get eight.
fn per_row(width: u16) -> usize {
    if width >= 78 { 16 } else { 8 }
}

/// How many lines the current view has in a pane `width` columns wide
/// inside, counted without building any of them. An empty view has one:
/// the note that nothing has crossed the wire yet.
pub fn line_count(app: &App, width: u16) -> usize {
    view_len(app, width).max(1)
}

/// The current view's own line count, zero when it is empty.
fn view_len(app: &App, width: u16) -> usize {
    match app.wire_view {
        WireView::Text => {
            // Long lines wrap (an APOP greeting ends in a long timestamp),
            // so the rows are counted as drawn. The text view keeps at
            // most MAX_WIRE_LINES lines, and most fit in one row.
            let t = Theme::new(crate::tui::theme::ThemeName::Dark, true);
            let width = usize::from(width);
            app.wire
                .text
                .iter()
                .map(|l| text_rows(l, &t, width as u16, width).len())
                .sum()
        }
        WireView::Records => app.wire.records.len(),
        WireView::Hex => {
            let per_row = per_row(width);
            // A block is a heading line and then its rows.
            app.wire
                .hex
                .iter()
                .map(|b| 1 + b.bytes.len().div_ceil(per_row))
                .sum()
        }
    }
}

/// The current view's lines for a pane `width` columns wide inside.
pub fn lines(app: &App, t: &Theme, width: u16) -> Vec<Line<'static>> {
    window(app, t, width, 0..line_count(app, width))
}

/// Lines `range` of the current view (as numbered by [`lines`]), built
/// without building the others: a frame only pays for what it shows,
/// however many bytes the eavesdropper has kept.
pub fn window(app: &App, t: &Theme, width: u16, range: Range<usize>) -> Vec<Line<'static>> {
    if view_len(app, width) == 0 {
        return if range.contains(&0) {
            vec![Line::from(span("nothing has crossed the wire yet", t.dim))]
        } else {
            Vec::new()
        };
    }
    let clamp = |len: usize| range.start.min(len)..range.end.min(len);
    match app.wire_view {
        WireView::Text => {
            // Rows before the range are skipped by count, the lines in it
            // wrapped and cut to the range.
            let mut out = Vec::new();
            let mut row = 0;
            for l in &app.wire.text {
                if row >= range.end {
                    break;
                }
                let rows = text_rows(l, t, width, usize::from(width));
                let n = rows.len();
                if row + n > range.start {
                    let skip = range.start.saturating_sub(row);
                    let take = range.end - row.max(range.start);
                    out.extend(rows.into_iter().skip(skip).take(take));
                }
                row += n;
            }
            out
        }
        WireView::Records => app.wire.records[clamp(app.wire.records.len())]
            .iter()
            .map(|r| record_line(r, t))
            .collect(),
        WireView::Hex => hex_window(&app.wire.hex, t, per_row(width), range),
    }
}

/// The line of the current view that a lesson's `highlight password`
/// points at, for a pane `width` columns wide inside: in the text view the
/// newest line that carried a credential, in the hex view the row where
/// the newest `PASS` command starts. `None` when there is none yet (or in
/// the records view, where nothing is readable to point at).
pub fn password_line(app: &App, width: u16) -> Option<usize> {
    match app.wire_view {
        WireView::Text => app.wire.text.iter().rposition(|l| {
            matches!(
                l,
                TextLine::Line { secret: true, .. } | TextLine::Read { secret: true, .. }
            )
        }),
        WireView::Hex => {
            let per_row = per_row(width);
            let mut first = 0;
            let mut found = None;
            for b in &app.wire.hex {
                if b.dir == Direction::ClientToServer
                    && let Some(at) = b
                        .bytes
                        .windows(5)
                        .rposition(|w| w.eq_ignore_ascii_case(b"PASS "))
                {
                    found = Some(first + 1 + at / per_row);
                }
                first += 1 + b.bytes.len().div_ceil(per_row);
            }
            found
        }
        WireView::Records => None,
    }
}

fn arrow_style(t: &Theme, d: Direction) -> Style {
    match d {
        Direction::ClientToServer => t.sent,
        Direction::ServerToClient => t.ok,
    }
}

/// One line of the text view as the rows it takes in a pane `width`
/// columns wide inside (`cols` is the same width as a `usize`).
fn text_rows(l: &TextLine, t: &Theme, width: u16, cols: usize) -> Vec<Line<'static>> {
    let line = text_line(l, t);
    if line.width() <= cols {
        vec![line]
    } else {
        super::wrap_lines(vec![line], width)
    }
}

/// One line of the text view.
fn text_line(l: &TextLine, t: &Theme) -> Line<'static> {
    match l {
        TextLine::Line { dir, text, secret } => Line::from(vec![
            span(format!("{} ", dir.arrow()), arrow_style(t, *dir)),
            span(text.clone(), if *secret { t.leak } else { t.text }),
        ]),
        TextLine::Locked { dir, bytes } => Line::from(vec![
            span(format!("{} ", dir.arrow()), arrow_style(t, *dir)),
            span(
                format!("🔒 {bytes} bytes of TLS records: unreadable"),
                t.locked,
            ),
        ]),
        TextLine::NotKept { dir, bytes } => Line::from(vec![
            span(format!("{} ", dir.arrow()), arrow_style(t, *dir)),
            span(
                format!("… {bytes} more bytes crossed, not kept (capture limit)"),
                t.dim,
            ),
        ]),
        TextLine::Leak { tag, text } => Line::from(vec![
            span(format!(" ⚠ {tag} "), t.leak),
            span(format!(" {text}"), t.err),
        ]),
        TextLine::Note(s) => Line::from(span(format!("── {s}"), t.dim)),
        TextLine::Attack(s) => Line::from(vec![span("» ", t.err), span(s.clone(), t.header_name)]),
        // The lock is open: these bytes crossed inside TLS, and the
        // attacker read them all the same.
        TextLine::Read { dir, text, secret } => Line::from(vec![
            span(format!("{} ", dir.arrow()), arrow_style(t, *dir)),
            span("🔓 ", t.err),
            span(text.clone(), if *secret { t.leak } else { t.text }),
        ]),
        TextLine::Verdict { succeeded, text } => verdict_line(*succeeded, text, t),
    }
}

/// The verdict in the danger colour when the attacker won and in the safe
/// colour when the client stopped it.
fn verdict_line(succeeded: bool, text: &str, t: &Theme) -> Line<'static> {
    Line::from(span(
        format!(" {text} "),
        if succeeded { t.leak } else { t.good },
    ))
}

/// `text` cut into lines of at most `width` columns, at spaces where it
/// can be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            out.push(std::mem::take(&mut line));
        }
        // A word longer than the line is cut where the line ends.
        while word.width() > width {
            let cut = crate::tui::text::clip(&word, width);
            let kept = cut.trim_end_matches('…').len();
            if kept == 0 {
                break;
            }
            out.push(word[..kept].to_string());
            word = word[kept..].to_string();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// The offline password search: a bar while it runs, the result when it
/// ended.
fn crack_lines(c: &CrackView, t: &Theme, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    if let Some((found, line, estimate)) = &c.done {
        let mut out = vec![Line::from(vec![
            span(format!(" APOP {} ", c.user), t.leak),
            span(format!(" {line}"), if *found { t.err } else { t.good }),
        ])];
        if let Some(e) = estimate {
            for l in wrap(e, width.saturating_sub(2)) {
                out.push(Line::from(span(format!("  {l}"), t.dim)));
            }
        }
        return out;
    }
    let counts = match c.candidates {
        Some(n) => format!(" {} of {n} · {}", c.tried, say_rate(c.rate)),
        None => format!(" {} tried · {}", c.tried, say_rate(c.rate)),
    };
    let (share, percent) = match c.candidates {
        Some(n) if n > 0 => {
            let share = c.tried.min(n) as f64 / n as f64;
            (share, format!(" {:>3.0}%", share * 100.0))
        }
        _ => (0.0, String::new()),
    };
    let stop = if c.running {
        format!(" · {} or Esc stops", crate::tui::keys::CRACK)
    } else {
        " · stopped".to_string()
    };
    let bar_w = width
        .saturating_sub(percent.len() + stop.chars().count())
        .clamp(8, 40);
    let filled = ((share * bar_w as f64).round() as usize).min(bar_w);
    vec![
        Line::from(vec![
            span(
                format!("guessing {}'s APOP password:", c.user),
                t.header_name,
            ),
            span(counts, t.text),
        ]),
        Line::from(vec![
            span("█".repeat(filled), t.err),
            span("░".repeat(bar_w - filled), t.dim),
            span(percent, t.text),
            span(stop, t.dim),
        ]),
    ]
}

/// One line of the records view.
fn record_line(r: &RecordLine, t: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(d) = r.dir {
        spans.push(span(format!("{} ", d.arrow()), arrow_style(t, d)));
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
    Line::from(spans)
}

/// Lines `range` of the hex view: each block is a heading line followed by
/// its rows of `per_row` bytes. Blocks before the range are skipped by
/// their line count alone, and only the rows in the range are formatted.
fn hex_window(
    blocks: &[HexBlock],
    t: &Theme,
    per_row: usize,
    range: Range<usize>,
) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(range.len().min(1024));
    // The number of the block's heading line.
    let mut first = 0;
    for b in blocks {
        if first >= range.end {
            break;
        }
        let rows = b.bytes.len().div_ceil(per_row);
        let next = first + 1 + rows;
        if next <= range.start {
            first = next;
            continue;
        }
        for line in range.start.max(first)..range.end.min(next) {
            if line == first {
                out.push(Line::from(vec![
                    span(format!("{} ", b.dir.arrow()), arrow_style(t, b.dir)),
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
            } else {
                let at = (line - first - 1) * per_row;
                let row = &b.bytes[at..(at + per_row).min(b.bytes.len())];
                out.push(hex_row(b.offset + at as u64, row, per_row, t));
            }
        }
        first = next;
    }
    out
}

/// The longest row [`hex_row`] formats; wider rows are cut to it.
const MAX_PER_ROW: usize = 16;

/// One row of the hex view: offset, the bytes in hex, then as ASCII. The
/// hex column is as wide as a full row, so the ASCII column stays in place
/// on a short last row.
fn hex_row(offset: u64, row: &[u8], per_row: usize, t: &Theme) -> Line<'static> {
    let row = &row[..row.len().min(MAX_PER_ROW)];
    // The hex crate writes the digits into a buffer on the stack; the row's
    // three strings are its only allocations.
    let mut digits = [0u8; 2 * MAX_PER_ROW];
    let digits = &mut digits[..2 * row.len()];
    let mut hex = String::with_capacity(3 * per_row);
    if hex::encode_to_slice(row, digits).is_ok() {
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            if i > 0 {
                hex.push(' ');
            }
            hex.push(char::from(pair[0]));
            hex.push(char::from(pair[1]));
        }
    }
    while hex.len() < 3 * per_row {
        hex.push(' ');
    }
    let mut ascii = String::with_capacity(1 + row.len());
    ascii.push(' ');
    ascii.extend(row.iter().map(|&c| {
        if (0x20..0x7f).contains(&c) {
            char::from(c)
        } else {
            '.'
        }
    }));
    Line::from(vec![
        span(format!("{offset:08x}  "), t.dim),
        span(hex, t.text),
        span(ascii, t.accent),
    ])
}

/// The attacker box's lines that always show, above the loot: the
/// verdict, and the password search or the key that starts it.
fn pinned(app: &App, t: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some((succeeded, text)) = &app.attack.verdict {
        for l in wrap(text, usize::from(width).saturating_sub(2)) {
            out.push(verdict_line(*succeeded, &l, t));
        }
    }
    if let Some(c) = &app.attack.crack {
        out.extend(crack_lines(c, t, width));
    } else if let Some(user) = &app.attack.apop {
        out.push(Line::from(vec![
            span(format!("{user}'s APOP digest captured: "), t.text),
            span(format!(" {} ", crate::tui::keys::CRACK), t.key),
            span(" guesses the password offline", t.text),
        ]));
    }
    out
}

/// The rows the box under the bytes takes in a pane `height` rows high
/// inside. The verdict and the search are never scrolled away; the box
/// grows for them.
fn box_height(pinned: usize, loot: usize, height: u16) -> u16 {
    ((pinned + loot) as u16 + 1)
        .min(6 + pinned as u16)
        .min(height / 2)
}

/// The rows the bytes get in a pane `inner` inside, the rest going to the
/// box of what was learned.
pub fn body_height(app: &App, t: &Theme, inner: Rect) -> u16 {
    let h = box_height(
        pinned(app, t, inner.width).len(),
        loot(app, t).len(),
        inner.height,
    );
    inner.height.saturating_sub(h)
}

/// The loot box's lines.
fn loot(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (tag, text) in &app.attack.learned {
        out.push(Line::from(vec![
            span(format!(" {tag} "), t.leak),
            span(format!(" {text}"), t.err),
        ]));
    }
    for (tag, text) in &app.wire.loot {
        out.push(Line::from(vec![
            span(format!(" {tag} "), t.leak),
            span(format!(" {text}"), t.text),
        ]));
    }
    // "Nothing readable" is the passive eavesdropper's view; once the
    // attacker has read inside the TLS, saying so would contradict it.
    let read_inside = !app.attack.learned.is_empty();
    for (conn, loot, summary) in &app.wire.learned {
        if !loot.readable() && !read_inside {
            out.push(Line::from(vec![
                span(format!("connection {conn}: "), t.dim),
                span(summary.clone(), t.good),
            ]));
        }
    }
    if out.is_empty() {
        let none = if app.attacking() {
            "nothing learned so far"
        } else {
            "nothing readable so far"
        };
        out.push(Line::from(span(none, t.good)));
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
        let attack = app
            .scenario
            .attack
            .map(|a| {
                format!(
                    " · {}",
                    crate::lab::describe::attack_name_in(a, app.lesson.lang)
                )
            })
            .unwrap_or_default();
        let block = frame(
            app,
            t,
            Focus::Wire,
            self.focused,
            &format!("{attack} · {views} (v)"),
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let pinned = pinned(app, t, inner.width);
        let loot = loot(app, t);
        let h = box_height(pinned.len(), loot.len(), inner.height);
        let [body, boxed] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(h)]).areas(inner);
        render_window(
            app,
            t,
            Focus::Wire,
            line_count(app, body.width),
            |range| window(app, t, body.width, range),
            body,
            buf,
        );
        let title = if app.attacking() {
            " what the attacker learned "
        } else {
            " loot: what the eavesdropper learned "
        };
        let b = Block::new()
            .borders(Borders::TOP)
            .border_style(t.border)
            .title(span(title, t.title));
        let inside = b.inner(boxed);
        b.render(boxed, buf);
        // The newest loot matters most, so a full box shows the tail.
        let room = usize::from(inside.height).saturating_sub(pinned.len());
        let skip = loot.len().saturating_sub(room);
        let shown: Vec<Line> = pinned
            .into_iter()
            .chain(loot.into_iter().skip(skip))
            .collect();
        Paragraph::new(shown).render(inside, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Scenario;
    use crate::tui::panes::plain;
    use crate::tui::theme::ThemeName;

    /// The hex view as it was drawn before it was windowed, one string a
    /// byte: the reference the faster rows must match character for
    /// character.
    fn reference_hex(blocks: &[HexBlock], per_row: usize) -> Vec<String> {
        let mut out = Vec::new();
        for b in blocks {
            out.push(format!(
                "{} connection {}, {} bytes from offset {}",
                b.dir.arrow(),
                b.conn,
                b.bytes.len(),
                b.offset
            ));
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
                out.push(format!(
                    "{off:08x}  {:<w$} {ascii}",
                    hexes.join(" "),
                    w = per_row * 3
                ));
            }
        }
        out
    }

    fn app_with_blocks() -> App {
        let mut app = App::new(Scenario::named("plain").unwrap());
        app.wire_view = WireView::Hex;
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for (i, len) in [0usize, 1, 15, 16, 17, 100, 1000].into_iter().enumerate() {
            app.wire.hex.push(HexBlock {
                conn: i as u64,
                dir: if i % 2 == 0 {
                    Direction::ServerToClient
                } else {
                    Direction::ClientToServer
                },
                offset: 7 * i as u64,
                bytes: bytes[..len].to_vec(),
            });
        }
        app
    }

    #[test]
    fn hex_rows_match_the_byte_by_byte_reference() {
        let app = app_with_blocks();
        let t = Theme::new(ThemeName::Dark, true);
        for (width, per_row) in [(78, 16), (77, 8)] {
            let expected = reference_hex(&app.wire.hex, per_row);
            let got: Vec<String> = lines(&app, &t, width).iter().map(plain).collect();
            assert_eq!(got, expected, "width {width}");
            assert_eq!(line_count(&app, width), expected.len());
        }
    }

    #[test]
    fn a_window_is_the_same_slice_of_every_view() {
        let mut app = app_with_blocks();
        for i in 0..40 {
            app.wire.text.push(TextLine::Note(format!("note {i}")));
            app.wire.records.push(RecordLine {
                dir: None,
                nested: i % 3 == 0,
                text: format!("record {i}"),
                locked: false,
                secret: false,
            });
        }
        let t = Theme::new(ThemeName::Dark, true);
        for view in [WireView::Text, WireView::Hex, WireView::Records] {
            app.wire_view = view;
            let all: Vec<String> = lines(&app, &t, 90).iter().map(plain).collect();
            let n = all.len();
            assert_eq!(line_count(&app, 90), n);
            for start in [0, 1, 5, 16, n / 2, n - 1, n] {
                for len in [0, 1, 3, 30, n] {
                    let range = start..(start + len).min(n + 5);
                    let got: Vec<String> = window(&app, &t, 90, range.clone())
                        .iter()
                        .map(plain)
                        .collect();
                    let want = &all[start.min(n)..range.end.min(n)];
                    assert_eq!(got, want, "{view:?} {range:?}");
                }
            }
        }
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(
            wrap("ATTACK FAILED: the client refused", 16),
            ["ATTACK FAILED:", "the client", "refused"]
        );
        assert_eq!(
            wrap("0123456789abcdef0123", 8),
            ["0123456", "789abcd", "ef0123"]
        );
        assert_eq!(wrap("", 20), Vec::<String>::new());
        // Every line fits, whatever the text.
        for l in wrap("証明書 を 信頼 しない ーーーーーーーーーーーー", 10) {
            assert!(
                unicode_width::UnicodeWidthStr::width(l.as_str()) <= 10,
                "{l}"
            );
        }
    }

    #[test]
    fn an_empty_view_has_its_note() {
        let app = App::new(Scenario::named("plain").unwrap());
        let t = Theme::new(ThemeName::Dark, true);
        assert_eq!(line_count(&app, 80), 1);
        let shown: Vec<String> = window(&app, &t, 80, 0..10).iter().map(plain).collect();
        assert_eq!(shown, ["nothing has crossed the wire yet"]);
        assert!(window(&app, &t, 80, 1..10).is_empty());
    }
}
