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
use crate::lab::AttackEvent;
use crate::lab::describe::attack_line_in;
use crate::lang::Lang;
use crate::tui::app::{App, CrackView, Focus, HexBlock, Record, RecordLine, TextLine, WireView};
use crate::tui::text;
use crate::tui::theme::{Theme, ThemeName};
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

/// The columns a hex row of `n` bytes takes: an eight-digit offset and
/// two spaces, three columns a byte in hex, a space and one column a byte
/// as ASCII.
fn row_width(n: usize) -> usize {
    11 + 4 * n
}

/// How many bytes a hex row shows in a pane `width` columns wide inside:
/// sixteen when they fit, else the largest of eight, four, two or one
/// that does, so no byte falls off the right edge.
fn per_row(width: u16) -> usize {
    [16, 8, 4, 2]
        .into_iter()
        .find(|&n| row_width(n) <= usize::from(width))
        .unwrap_or(1)
}

/// How many lines the current view has in a pane `width` columns wide
/// inside, counted without building any of them. An empty view has one:
/// the note that nothing has crossed the wire yet.
pub fn line_count(app: &App, width: u16) -> usize {
    view_len(app, width).max(1)
}

/// The rows a line takes in a pane `width` columns wide inside: one when
/// it fits, else as many as [`super::wrap_lines`] cuts it into.
fn rows_of(line: Line<'static>, width: u16) -> Vec<Line<'static>> {
    if line.width() <= usize::from(width) {
        vec![line]
    } else {
        super::wrap_lines(vec![line], width)
    }
}

/// The rows each text line takes, remembered by the model per width and
/// language: a frame of a view holding thousands of lines wraps only the
/// lines that are new or changed.
fn text_heights<R>(app: &App, width: u16, then: impl FnOnce(&[usize]) -> R) -> R {
    let lang = app.lesson.lang;
    // The theme changes colours, never widths.
    let t = Theme::new(ThemeName::Dark, true);
    app.wire.text_rows(
        width,
        lang,
        |l| rows_of(text_line(l, lang, &t), width).len(),
        then,
    )
}

/// The rows each record line takes, as [`text_heights`].
fn record_heights<R>(app: &App, width: u16, then: impl FnOnce(&[usize]) -> R) -> R {
    let lang = app.lesson.lang;
    let t = Theme::new(ThemeName::Dark, true);
    app.wire.record_rows(
        width,
        lang,
        |r| rows_of(record_line(r, lang, &t), width).len(),
        then,
    )
}

/// The current view's own row count, zero when it is empty.
fn view_len(app: &App, width: u16) -> usize {
    match app.wire_view {
        // Long lines wrap (an APOP greeting ends in a long timestamp, a
        // ClientHello names its SNI and suites), so rows are counted as
        // drawn.
        WireView::Text => text_heights(app, width, |rows| rows.iter().sum()),
        WireView::Records => record_heights(app, width, |rows| rows.iter().sum()),
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

/// The first line with a row in `range`, and how many of its rows come
/// before the range.
fn first_in(rows: &[usize], range: &Range<usize>) -> (usize, usize) {
    let mut row = 0;
    for (i, &n) in rows.iter().enumerate() {
        if row + n > range.start {
            return (i, range.start - row);
        }
        row += n;
    }
    (rows.len(), 0)
}

/// Rows `range` of a wrapped view: the lines before it are skipped by
/// their remembered heights, and only the lines in it are worded and
/// wrapped.
fn wrapped_window<T>(
    items: &[T],
    (first, skip): (usize, usize),
    range: &Range<usize>,
    width: u16,
    build: impl Fn(&T) -> Line<'static>,
) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(range.len().min(1024));
    let mut skip = skip;
    for item in items.iter().skip(first) {
        if out.len() >= range.len() {
            break;
        }
        let rows = rows_of(build(item), width);
        let take = range.len() - out.len();
        out.extend(rows.into_iter().skip(skip).take(take));
        skip = 0;
    }
    out
}

/// Lines `range` of the current view (as numbered by [`lines`]), built
/// without building the others: a frame only pays for what it shows,
/// however many bytes the eavesdropper has kept.
pub fn window(app: &App, t: &Theme, width: u16, range: Range<usize>) -> Vec<Line<'static>> {
    let lang = app.lesson.lang;
    if view_len(app, width) == 0 {
        return if range.contains(&0) {
            vec![Line::from(span(
                crate::tr!(lang, "wire-nothing-yet"),
                t.dim,
            ))]
        } else {
            Vec::new()
        };
    }
    match app.wire_view {
        WireView::Text => {
            let at = text_heights(app, width, |rows| first_in(rows, &range));
            wrapped_window(&app.wire.text, at, &range, width, |l| text_line(l, lang, t))
        }
        WireView::Records => {
            let at = record_heights(app, width, |rows| first_in(rows, &range));
            wrapped_window(&app.wire.records, at, &range, width, |r| {
                record_line(r, lang, t)
            })
        }
        WireView::Hex => hex_window(&app.wire.hex, lang, t, per_row(width), range),
    }
}

/// The line of the current view that a lesson's `highlight password`
/// points at, for a pane `width` columns wide inside: in the text view the
/// newest line that carried a credential, in the hex view the row where
/// the newest `PASS` command starts. `None` when there is none yet (or in
/// the records view, where nothing is readable to point at).
pub fn password_line(app: &App, width: u16) -> Option<usize> {
    match app.wire_view {
        WireView::Text => {
            let line = app.wire.text.iter().rposition(|l| {
                matches!(
                    l,
                    TextLine::Line { secret: true, .. } | TextLine::Read { secret: true, .. }
                )
            })?;
            // The view counts rows, and lines before it may have wrapped.
            Some(text_heights(app, width, |rows| rows[..line].iter().sum()))
        }
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

/// The arrow and the text of a line that crossed one way.
fn crossed(t: &Theme, dir: Direction, words: String, style: Style) -> Line<'static> {
    Line::from(vec![
        span(format!("{} ", dir.arrow()), arrow_style(t, dir)),
        span(words, style),
    ])
}

/// A leak's tag (a protocol word such as PASSWORD) and its words.
fn leak_words(leak: &crate::wire::pop3::Leak, lang: Lang) -> (&'static str, String) {
    text::leak(leak, lang).unwrap_or(("", String::new()))
}

/// An attacker's event in the learner's language.
fn attack_words(e: &AttackEvent, lang: Lang) -> String {
    attack_line_in(e, lang).unwrap_or_default()
}

/// One line of the text view, worded in `lang`.
fn text_line(l: &TextLine, lang: Lang, t: &Theme) -> Line<'static> {
    match l {
        TextLine::Line { dir, text, secret } => {
            crossed(t, *dir, text.clone(), if *secret { t.leak } else { t.text })
        }
        TextLine::Locked { dir, bytes } => crossed(
            t,
            *dir,
            format!("🔒 {}", crate::tr!(lang, "wire-locked", bytes = *bytes)),
            t.locked,
        ),
        TextLine::NotKept { dir, bytes } => crossed(
            t,
            *dir,
            format!("… {}", crate::tr!(lang, "wire-not-kept", bytes = *bytes)),
            t.dim,
        ),
        TextLine::Leak(leak) => {
            let (tag, words) = leak_words(leak, lang);
            Line::from(vec![
                span(format!(" ⚠ {tag} "), t.leak),
                span(format!(" {words}"), t.err),
            ])
        }
        TextLine::Opened {
            conn,
            client,
            server,
        } => note(
            crate::tr!(
                lang,
                "wire-opened",
                conn = *conn,
                client = client.to_string(),
                server = server.to_string()
            ),
            t,
        ),
        TextLine::Gap { dir, offset, len } => note(
            crate::tr!(
                lang,
                "event-demo-gap",
                dir = dir.arrow(),
                n = *len,
                offset = *offset
            ),
            t,
        ),
        TextLine::Closed { dir, reason } => note(
            format!(
                "{} {}",
                dir.arrow(),
                crate::tr!(
                    lang,
                    "wire-closed",
                    reason = crate::lab::describe::close_reason(reason, lang)
                )
            ),
            t,
        ),
        TextLine::Switched { dir, offset } => note(
            format!(
                "{} {}",
                dir.arrow(),
                crate::tr!(lang, "wire-switch-to-tls", offset = *offset)
            ),
            t,
        ),
        TextLine::Attack(e) => Line::from(vec![
            span("» ", t.err),
            span(attack_words(e, lang), t.header_name),
        ]),
        TextLine::Learned(e) => {
            let tag = match e {
                AttackEvent::Learned { leak, .. } => leak_words(leak, lang).0,
                _ => "",
            };
            Line::from(vec![
                span(format!(" ⚠ {tag} "), t.leak),
                span(format!(" {}", attack_words(e, lang)), t.err),
            ])
        }
        // The lock is open: these bytes crossed inside TLS, and the
        // attacker read them all the same.
        TextLine::Read { dir, text, secret } => Line::from(vec![
            span(format!("{} ", dir.arrow()), arrow_style(t, *dir)),
            span("🔓 ", t.err),
            span(text.clone(), if *secret { t.leak } else { t.text }),
        ]),
        TextLine::Verdict(e) => verdict_line(succeeded(e), &attack_words(e, lang), t),
    }
}

/// A note about the connection, set apart from the bytes.
fn note(words: String, t: &Theme) -> Line<'static> {
    Line::from(span(format!("── {words}"), t.dim))
}

/// Whether a verdict says the attacker won.
fn succeeded(e: &AttackEvent) -> bool {
    matches!(
        e,
        AttackEvent::Verdict {
            succeeded: true,
            ..
        }
    )
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
fn crack_lines(c: &CrackView, lang: Lang, t: &Theme, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    if let Some(
        done @ AttackEvent::CrackDone {
            found, estimate, ..
        },
    ) = &c.done
    {
        let mut out = vec![Line::from(vec![
            span(format!(" APOP {} ", c.user), t.leak),
            span(
                format!(" {}", attack_words(done, lang)),
                if found.is_some() { t.err } else { t.good },
            ),
        ])];
        if let Some(e) = estimate {
            let e = crate::lab::describe::crack_estimate(e, lang);
            for l in wrap(&text::sanitize(&e), width.saturating_sub(2)) {
                out.push(Line::from(span(format!("  {l}"), t.dim)));
            }
        }
        return out;
    }
    let counts = match c.candidates {
        Some(n) => format!(
            " {} · {}",
            crate::tr!(lang, "wire-crack-tried-of", tried = c.tried, total = n),
            crate::lab::describe::crack_rate(c.rate, lang)
        ),
        None => format!(
            " {} · {}",
            crate::tr!(lang, "wire-crack-tried", tried = c.tried),
            crate::lab::describe::crack_rate(c.rate, lang)
        ),
    };
    let (share, percent) = match c.candidates {
        Some(n) if n > 0 => {
            let share = c.tried.min(n) as f64 / n as f64;
            (share, format!(" {:>3.0}%", share * 100.0))
        }
        _ => (0.0, String::new()),
    };
    let stop = if c.running {
        format!(
            " · {}",
            crate::tr!(lang, "wire-crack-stop-hint", key = crate::tui::keys::CRACK)
        )
    } else {
        format!(" · {}", crate::tr!(lang, "wire-crack-stopped"))
    };
    let bar_w = width
        .saturating_sub(percent.len() + stop.chars().count())
        .clamp(8, 40);
    let filled = ((share * bar_w as f64).round() as usize).min(bar_w);
    vec![
        Line::from(vec![
            span(
                crate::tr!(lang, "wire-crack-guessing", user = &c.user),
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

/// What a line of the records view says, in `lang`.
fn record_words(r: &Record, lang: Lang) -> String {
    match r {
        Record::Pop3Command(text) => format!("POP3 {text}"),
        Record::Pop3Reply {
            first_line,
            body_len,
        } => {
            let more = body_len
                .map(|n| format!("  {}", crate::tr!(lang, "wire-record-body", bytes = n)))
                .unwrap_or_default();
            format!("POP3 {first_line}{more}")
        }
        Record::Tls {
            content_type,
            length,
            encrypted: true,
        } => format!(
            "🔒 {}",
            crate::tr!(
                lang,
                "wire-record-encrypted",
                kind = content_type.name(),
                bytes = *length
            )
        ),
        Record::Tls {
            content_type,
            length,
            ..
        } => crate::tr!(
            lang,
            "wire-record",
            kind = content_type.name(),
            bytes = *length
        ),
        Record::Step(step) => super::tls::step_words(step, lang),
        Record::Switch { offset } => crate::tr!(lang, "wire-switch-to-tls", offset = *offset),
        Record::Undecodable(reason) => crate::tr!(
            lang,
            "wire-undecodable",
            reason = crate::lab::describe::undecodable(reason, lang)
        ),
        Record::Attack(e) => attack_words(e, lang),
    }
}

/// One line of the records view.
fn record_line(r: &RecordLine, lang: Lang, t: &Theme) -> Line<'static> {
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
    spans.push(span(record_words(&r.what, lang), style));
    Line::from(spans)
}

/// Lines `range` of the hex view: each block is a heading line followed by
/// its rows of `per_row` bytes. Blocks before the range are skipped by
/// their line count alone, and only the rows in the range are formatted.
fn hex_window(
    blocks: &[HexBlock],
    lang: Lang,
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
                        crate::tr!(
                            lang,
                            "wire-hex-heading",
                            conn = b.conn,
                            bytes = b.bytes.len(),
                            offset = b.offset
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
    let lang = app.lesson.lang;
    let mut out = Vec::new();
    if let Some(v) = &app.wire.attack.verdict {
        for l in wrap(&attack_words(v, lang), usize::from(width).saturating_sub(2)) {
            out.push(verdict_line(succeeded(v), &l, t));
        }
    }
    if let Some(c) = &app.wire.attack.crack {
        out.extend(crack_lines(c, lang, t, width));
    } else if let Some(user) = &app.wire.attack.apop {
        out.push(Line::from(vec![
            span(
                format!("{} ", crate::tr!(lang, "wire-apop-captured", user = user)),
                t.text,
            ),
            span(format!(" {} ", crate::tui::keys::CRACK), t.key),
            span(
                format!(" {}", crate::tr!(lang, "wire-apop-crack-hint")),
                t.text,
            ),
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
    let lang = app.lesson.lang;
    let mut out = Vec::new();
    for e in &app.wire.attack.learned {
        let tag = match e {
            AttackEvent::Learned { leak, .. } => leak_words(leak, lang).0,
            _ => "",
        };
        out.push(Line::from(vec![
            span(format!(" {tag} "), t.leak),
            span(format!(" {}", attack_words(e, lang)), t.err),
        ]));
    }
    for leak in &app.wire.loot {
        let (tag, words) = leak_words(leak, lang);
        out.push(Line::from(vec![
            span(format!(" {tag} "), t.leak),
            span(format!(" {words}"), t.text),
        ]));
    }
    // "Nothing readable" is the passive eavesdropper's view; once the
    // attacker has read inside the TLS, saying so would contradict it.
    let read_inside = !app.wire.attack.learned.is_empty();
    for (conn, loot) in &app.wire.learned {
        if !loot.readable() && !read_inside {
            out.push(Line::from(vec![
                span(
                    format!(
                        "{} ",
                        crate::tr!(lang, "wire-learned-connection", conn = *conn)
                    ),
                    t.dim,
                ),
                span(crate::lab::describe::loot(loot, lang), t.good),
            ]));
        }
    }
    if out.is_empty() {
        let none = if app.attacking() {
            crate::tr!(lang, "wire-nothing-learned")
        } else {
            crate::tr!(lang, "wire-nothing-readable")
        };
        out.push(Line::from(span(none, t.good)));
    }
    out
}

/// A view's name for the pane's title.
fn view_name(v: WireView, lang: Lang) -> String {
    match v {
        WireView::Text => crate::tr!(lang, "wire-view-text"),
        WireView::Hex => crate::tr!(lang, "wire-view-hex"),
        WireView::Records => crate::tr!(lang, "wire-view-records"),
    }
}

impl Widget for &WirePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let lang = app.lesson.lang;
        let views = [WireView::Text, WireView::Hex, WireView::Records]
            .iter()
            .map(|v| {
                if *v == app.wire_view {
                    format!("[{}]", view_name(*v, lang))
                } else {
                    view_name(*v, lang)
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let attack = app
            .scenario
            .attack
            .map(|a| format!(" · {}", crate::lab::describe::attack_name_in(a, lang)))
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
        let title = format!(
            " {} ",
            if app.attacking() {
                crate::tr!(lang, "wire-loot-title-attacker")
            } else {
                crate::tr!(lang, "wire-loot-title")
            }
        );
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
        for (width, per_row) in [
            (78, 16),
            (75, 16),
            (74, 8),
            (43, 8),
            (42, 4),
            (20, 2),
            (18, 1),
        ] {
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
            // Every seventh line is too long for the pane and wraps.
            let long = if i % 7 == 0 {
                " long".repeat(30)
            } else {
                String::new()
            };
            app.wire.text.push(TextLine::Closed {
                dir: Direction::ServerToClient,
                reason: crate::wire::tap::CloseReason::ReadError {
                    message: format!("note {i}{long}"),
                },
            });
            app.wire.records.push(RecordLine {
                dir: None,
                nested: i % 3 == 0,
                what: Record::Undecodable(crate::wire::dissect::UndecodableReason::Handshake {
                    message: format!("record {i}{long}"),
                }),
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
    fn no_row_of_any_view_is_wider_than_the_pane() {
        let mut app = app_with_blocks();
        app.wire.records.push(RecordLine {
            dir: Some(Direction::ClientToServer),
            nested: true,
            what: Record::Undecodable(crate::wire::dissect::UndecodableReason::Handshake {
                message: "x".repeat(300),
            }),
            locked: false,
            secret: false,
        });
        app.wire.text.push(TextLine::Line {
            dir: Direction::ServerToClient,
            text: "+OK <1896.697170952@dbc.mtview.ca.us> ".repeat(5),
            secret: false,
        });
        let t = Theme::new(ThemeName::Dark, true);
        for view in [WireView::Text, WireView::Hex, WireView::Records] {
            app.wire_view = view;
            for width in [18u16, 30, 43, 60, 74, 90] {
                let shown = lines(&app, &t, width);
                assert_eq!(shown.len(), line_count(&app, width), "{view:?} {width}");
                for l in &shown {
                    // The hex view's headings are words and may be cut;
                    // its rows of bytes must fit.
                    let heading = view == WireView::Hex && l.spans.len() == 2;
                    assert!(
                        heading || l.width() <= usize::from(width),
                        "{view:?} at {width}: {:?}",
                        plain(l)
                    );
                }
            }
        }
        // Every byte is still there, at any width.
        app.wire_view = WireView::Hex;
        let bytes: usize = app.wire.hex.iter().map(|b| b.bytes.len()).sum();
        let shown: usize = lines(&app, &t, 30)
            .iter()
            .filter(|l| l.spans.len() == 3)
            .map(|l| l.spans[2].content.chars().count() - 1)
            .sum();
        assert_eq!(shown, bytes);
    }

    #[test]
    fn a_language_switch_rewords_the_view_and_recounts_its_rows() {
        let mut app = App::new(Scenario::named("plain").unwrap());
        app.wire.text.push(TextLine::NotKept {
            dir: Direction::ServerToClient,
            bytes: 10,
        });
        let t = Theme::new(ThemeName::Dark, true);
        let en: Vec<String> = lines(&app, &t, 30).iter().map(plain).collect();
        app.lesson.lang = Lang::Ja;
        let ja: Vec<String> = lines(&app, &t, 30).iter().map(plain).collect();
        assert_ne!(en, ja);
        assert!(ja.iter().any(|l| l.contains("バイト")), "{ja:?}");
        assert_eq!(line_count(&app, 30), ja.len());
    }

    #[test]
    fn the_password_is_found_on_its_row_below_wrapped_lines() {
        let mut app = App::new(Scenario::named("plain").unwrap());
        for text in [
            "+OK <1896.697170952@dbc.mtview.ca.us> ".repeat(4),
            "USER alice".into(),
        ] {
            app.wire.text.push(TextLine::Line {
                dir: Direction::ClientToServer,
                text,
                secret: false,
            });
        }
        app.wire.text.push(TextLine::Line {
            dir: Direction::ClientToServer,
            text: "PASS wonderland".into(),
            secret: true,
        });
        let t = Theme::new(ThemeName::Dark, true);
        let shown: Vec<String> = lines(&app, &t, 40).iter().map(plain).collect();
        let row = password_line(&app, 40).unwrap();
        assert!(shown[row].contains("PASS wonderland"), "{row} {shown:?}");
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
