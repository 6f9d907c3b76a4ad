//! The panes: pure drawing of the [`App`] state, no I/O.
//!
//! Each pane is a small struct borrowing the app and the theme, drawn
//! through `impl Widget for &Pane`. [`Screen`] puts them together with the
//! status bar and the overlays.

pub mod bytes;
pub mod client;
pub mod help;
pub mod lesson;
pub mod menu;
pub mod schedule;
pub mod server;
pub mod status;
pub mod tls;
pub mod wall;
pub mod wire;

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::app::{App, Focus};
use super::layout::{self, Mode};
use super::theme::{Theme, ThemeName};
use crate::lesson::Element;

/// The whole screen.
pub struct Screen<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
}

impl Widget for &Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let t = self.theme;
        let areas = app.areas(area);
        if areas.mode == Mode::TooSmall {
            let lang = app.lesson.lang;
            let msg = vec![
                Line::styled(crate::tr!(lang, "screen-too-small"), t.title),
                Line::raw(crate::tr!(
                    lang,
                    "screen-too-small-size",
                    min_w = layout::MIN_SIZE.0,
                    min_h = layout::MIN_SIZE.1,
                    w = area.width,
                    h = area.height
                )),
                Line::styled(crate::tr!(lang, "screen-too-small-quit"), t.dim),
            ];
            let h = (msg.len() as u16).min(area.height);
            let [_, mid, _] = Layout::vertical([
                Constraint::Fill(1),
                Constraint::Length(h),
                Constraint::Fill(1),
            ])
            .areas(area);
            Paragraph::new(msg)
                .alignment(Alignment::Center)
                .render(mid, buf);
            return;
        }
        if let Some(tabs) = areas.tabs {
            let mut spans = Vec::new();
            for f in app.panes() {
                let label = format!(" {} {} ", f.index() + 1, app.pane_title(f));
                let style = if f == app.focus { t.selected } else { t.dim };
                spans.push(Span::styled(label, style));
                spans.push(Span::raw(" "));
            }
            Line::from(spans).render(tabs, buf);
        }
        if let (Some(strip), Some(l)) = (areas.step, app.lesson.current()) {
            // The step's number and checks on the rule, its words below.
            let [rule, text] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(strip);
            let head = match app.lesson.place {
                super::lesson::Place::Step(i) => format!(
                    "── 5 ▶ {}/{} {} ",
                    i + 1,
                    l.steps.len(),
                    app.lesson
                        .step_results(i)
                        .unwrap_or_default()
                        .iter()
                        .map(|ok| if *ok { '✓' } else { '✗' })
                        .collect::<String>()
                ),
                _ => "── 5 ".to_string(),
            };
            let fill = usize::from(rule.width)
                .saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
            Line::from(vec![
                Span::styled(head, t.key),
                Span::styled("─".repeat(fill), t.dim),
            ])
            .render(rule, buf);
            Paragraph::new(lesson::step_preview(
                app,
                t,
                text.width,
                usize::from(text.height),
            ))
            .render(text, buf);
        }
        for (focus, rect) in &areas.panes {
            let focused = *focus == app.focus;
            match focus {
                Focus::Client => client::ClientPane {
                    app,
                    theme: t,
                    focused,
                }
                .render(*rect, buf),
                Focus::Server => server::ServerPane {
                    app,
                    theme: t,
                    focused,
                }
                .render(*rect, buf),
                Focus::Wire => wire::WirePane {
                    app,
                    theme: t,
                    focused,
                }
                .render(*rect, buf),
                Focus::Tls => tls::TlsPane {
                    app,
                    theme: t,
                    focused,
                }
                .render(*rect, buf),
                Focus::Lesson => lesson::LessonPane {
                    app,
                    theme: t,
                    focused,
                }
                .render(*rect, buf),
            }
        }
        // The byte view lies over the lab's panes while the TLS pane
        // has focus.
        bytes::BytesOverlay { app, theme: t }.render(area, buf);
        status::StatusBar { app, theme: t }.render(areas.status, buf);
        if app.menu.is_some() {
            menu::MenuOverlay { app, theme: t }.render(area, buf);
        }
        if app.lesson.list.is_some() {
            lesson::LessonList { app, theme: t }.render(area, buf);
        }
        if app.help {
            help::HelpOverlay { app, theme: t }.render(area, buf);
        }
    }
}

/// A pane's frame: its number and title, focus shown by the border, the
/// search being typed in the bottom border.
pub(crate) fn frame<'a>(
    app: &App,
    theme: &Theme,
    pane: Focus,
    focused: bool,
    extra: &str,
) -> Block<'a> {
    let n = pane.index() + 1;
    let border = if focused {
        theme.border_focused
    } else {
        theme.border
    };
    let mut block = Block::bordered().border_style(border).title(Span::styled(
        format!(" {n} {}{extra} ", app.pane_title(pane)),
        if focused {
            theme.border_focused
        } else {
            theme.title
        },
    ));
    if pane != Focus::Lesson
        && let Some(mark) = app.time_mark()
    {
        block = block.title(Span::styled(format!(" {mark} "), theme.matched));
    }
    // The lesson's current step points here: say at what, where the eye
    // lands first.
    if let Some(e) = app.lesson.highlight()
        && crate::tui::app::focus_of(e.pane()) == pane
    {
        block = block.title(Span::styled(
            format!(" ★ {} ", mark_name(e, app.lesson.lang)),
            theme.matched,
        ));
    }
    if let Some(s) = &app.search
        && s.pane == pane
    {
        let cursor = if s.editing { "▏" } else { "" };
        block = block.title_bottom(Span::styled(
            format!(" /{}{cursor} ", s.query),
            theme.matched,
        ));
    }
    block
}

/// What a lesson's step points at, in the learner's words (the lesson
/// names it `loot`; the screen says what that is).
fn mark_name(e: Element, lang: crate::lang::Lang) -> String {
    match e {
        Element::Input => crate::tr!(lang, "mark-input"),
        Element::State => crate::tr!(lang, "mark-state"),
        Element::Maildrop => crate::tr!(lang, "mark-maildrop"),
        Element::Loot => crate::tr!(lang, "mark-loot"),
        Element::Password => crate::tr!(lang, "mark-password"),
        Element::Timeline => crate::tr!(lang, "mark-timeline"),
        Element::Params => crate::tr!(lang, "mark-params"),
        Element::Certificate => crate::tr!(lang, "mark-certificate"),
        Element::Secrets => crate::tr!(lang, "mark-secrets"),
    }
}

/// Draw the window of `lines` that ends `scroll` lines before the newest,
/// highlighting the lines that match the pane's search.
pub(crate) fn render_scrolled(
    app: &App,
    theme: &Theme,
    pane: Focus,
    lines: Vec<Line<'static>>,
    area: Rect,
    buf: &mut Buffer,
) {
    let lines = if wraps(pane) {
        wrap_lines(lines, area.width)
    } else {
        lines
    };
    let total = lines.len();
    render_window(
        app,
        theme,
        pane,
        total,
        |window| {
            lines
                .into_iter()
                .skip(window.start)
                .take(window.len())
                .collect()
        },
        area,
        buf,
    );
}

/// Like [`render_scrolled`], for a pane that can build any range of its
/// `total` lines on its own: only the lines in view are asked of `window`,
/// so a pane with thousands of lines pays for the few dozen it shows.
pub(crate) fn render_window(
    app: &App,
    theme: &Theme,
    pane: Focus,
    total: usize,
    window: impl FnOnce(std::ops::Range<usize>) -> Vec<Line<'static>>,
    area: Rect,
    buf: &mut Buffer,
) {
    let scroll = app.scroll[Focus::ALL.iter().position(|&f| f == pane).unwrap_or(0)];
    // A log cannot scroll further back than its first line at the top:
    // the tag then says how far back the view really is.
    let scroll = if pane.top_anchored() {
        scroll
    } else {
        scroll.min(total.saturating_sub(usize::from(area.height)))
    };
    let (start, end) = if pane.top_anchored() {
        let start = scroll.min(total.saturating_sub(1));
        (start, (start + usize::from(area.height)).min(total))
    } else {
        let end = total.saturating_sub(scroll.min(total.saturating_sub(1)));
        // Scrolled to the oldest line, a log still fills the pane from
        // the top rather than showing that one line alone.
        let end = end.max(usize::from(area.height).min(total));
        (end.saturating_sub(usize::from(area.height)), end)
    };
    let query = app
        .search
        .as_ref()
        .filter(|s| s.pane == pane && !s.query.is_empty())
        .map(|s| s.query.as_str());
    // Only the matched text takes the search style, laid over the style
    // it already has, so syntax colours and leak highlighting stay visible.
    let shown: Vec<Line> = window(start..end)
        .into_iter()
        .map(|l| match query {
            Some(q) => client::mark_matches(l, q, theme.matched),
            None => l,
        })
        .collect();
    Paragraph::new(shown).render(area, buf);
    let lang = app.lesson.lang;
    let tag = if pane.top_anchored() && end < total {
        Some(format!(
            " {} ",
            crate::tr!(lang, "scroll-below", n = total - end)
        ))
    } else if scroll > 0 && pane.top_anchored() {
        Some(format!(
            " {} ",
            crate::tr!(lang, "scroll-above", n = scroll)
        ))
    } else if scroll > 0 {
        Some(format!(" ↑{scroll} "))
    } else {
        None
    };
    if let Some(tag) = tag
        && area.height > 0
    {
        // Measured in columns: a Japanese hint's characters take two.
        let w = unicode_width::UnicodeWidthStr::width(tag.as_str()) as u16;
        let x = area.right().saturating_sub(w).max(area.left());
        buf.set_string(x, area.bottom() - 1, tag, theme.dim);
    }
}

/// True for the panes whose long lines wrap rather than being cut: what
/// the client, the server and TLS said is read whole (an APOP greeting's
/// timestamp is the end of a long line). The lesson wraps its own text, and
/// the eavesdropper's views build only the rows in sight.
fn wraps(pane: Focus) -> bool {
    matches!(pane, Focus::Client | Focus::Server | Focus::Tls)
}

/// `lines` wrapped to `width` columns, styles kept. A line breaks at its
/// last space that fits, or mid-word when a word is wider than the row;
/// the rows after the first are indented under the text that follows a
/// short prefix ("S: ", "├ client → "), so a wrapped reply reads as one.
pub(crate) fn wrap_lines(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    let width = usize::from(width);
    if width < 8 {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let prefix = line.spans.first().map(|s| s.width()).unwrap_or(0);
        let indent = if line.spans.len() > 1 && prefix <= 12 && prefix <= width / 2 {
            prefix
        } else {
            0
        };
        let chars: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
            .collect();
        let mut at = 0;
        let mut first = true;
        while at < chars.len() {
            let room = if first { width } else { width - indent };
            // How many characters fit in `room` columns, and the last
            // space among them (not the first character of the row).
            let (mut used, mut end, mut space) = (0, at, None);
            while end < chars.len() {
                let w = chars[end].0.width().unwrap_or(0);
                if used + w > room {
                    break;
                }
                if chars[end].0 == ' ' && end > at {
                    space = Some(end);
                }
                used += w;
                end += 1;
            }
            if end == at {
                // A character wider than the row: put it there alone.
                end = at + 1;
            }
            let (cut, next) = match space {
                Some(sp) if end < chars.len() => (sp, sp + 1),
                _ => (end, end),
            };
            let mut spans: Vec<Span<'static>> = Vec::new();
            if !first && indent > 0 {
                spans.push(Span::raw(" ".repeat(indent)));
            }
            for &(c, style) in &chars[at..cut] {
                match spans.last_mut() {
                    Some(last) if last.style == style => last.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            out.push(Line::from(spans).style(line.style));
            at = next;
            first = false;
        }
    }
    out
}

/// A line's text without styles.
pub(crate) fn plain(l: &Line) -> String {
    l.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// The line a lesson's highlight marks, with its pane, when the element
/// is a line in a scrolling view (the password's line in the eavesdropper's
/// text or hex view) and that line is there yet.
pub(crate) fn marked_line(app: &App, e: Element) -> Option<(Focus, usize)> {
    match e {
        Element::Password => Some((
            Focus::Wire,
            wire::password_line(app, inner_width(app, Focus::Wire))?,
        )),
        _ => None,
    }
}

/// The height inside a pane's border at the app's screen size (10 for a
/// pane not on screen).
pub(crate) fn inner_height(app: &App, pane: Focus) -> u16 {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    app.areas(area)
        .panes
        .iter()
        .find(|(f, _)| *f == pane)
        .map(|(_, r)| r.height.saturating_sub(2))
        .unwrap_or(10)
}

/// The width inside a pane's border at the app's screen size (78 for a
/// pane not on screen).
pub(crate) fn inner_width(app: &App, pane: Focus) -> u16 {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    app.areas(area)
        .panes
        .iter()
        .find(|(f, _)| *f == pane)
        .map(|(_, r)| r.width.saturating_sub(2))
        .unwrap_or(78)
}

/// How many rows a pane's scrolling part shows at the app's screen size
/// (20 for a pane not on screen).
pub fn view_height(app: &App, pane: Focus) -> usize {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    let Some(inner) = app
        .areas(area)
        .panes
        .iter()
        .find(|(f, _)| *f == pane)
        .map(|(_, r)| Block::bordered().inner(*r))
    else {
        return 20;
    };
    let theme = Theme::new(ThemeName::Dark, true);
    let h = match pane {
        // The rule and the input line.
        Focus::Client => inner.height.saturating_sub(2),
        Focus::Server => server::log_height(app, &theme, inner.height, app.focus == pane),
        Focus::Wire => wire::body_height(app, &theme, inner),
        Focus::Tls | Focus::Lesson => inner.height,
    };
    usize::from(h).max(1)
}

/// How far a pane can scroll: a summary until its last line is at the top,
/// a log until its first line is at the top of a full pane, so that `g`
/// leaves no offset that moves nothing and says nothing true.
pub fn max_scroll(app: &App, pane: Focus) -> usize {
    let total = line_count(app, pane);
    if pane.top_anchored() {
        total.saturating_sub(1)
    } else {
        total.saturating_sub(view_height(app, pane))
    }
}

/// How many scrollable lines a pane has, without building the
/// eavesdropper's (which may be tens of thousands of hex rows).
pub fn line_count(app: &App, pane: Focus) -> usize {
    if pane == Focus::Wire {
        return wire::line_count(app, inner_width(app, pane));
    }
    line_texts(app, pane).len()
}

/// The scrollable lines of a pane, as text, for search.
pub fn line_texts(app: &App, pane: Focus) -> Vec<String> {
    let theme = Theme::new(ThemeName::Dark, true);
    let width = inner_width(app, pane);
    let lines = match pane {
        Focus::Client => client::lines(app, &theme),
        Focus::Server => server::lines(app, &theme),
        Focus::Wire => wire::lines(app, &theme, width),
        Focus::Tls => tls::lines(app, &theme),
        Focus::Lesson => lesson::lines(app, &theme, width),
    };
    // Counted as drawn, so scrolling and search land on the right row.
    let lines = if wraps(pane) {
        wrap_lines(lines, width)
    } else {
        lines
    };
    lines.iter().map(plain).collect()
}

/// A styled span, owned.
pub(crate) fn span(text: impl Into<String>, style: Style) -> Span<'static> {
    Span::styled(text.into(), style)
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// An overlay box of at most `width` columns, centred, over whatever is
/// below: cleared, framed with the focused border and titled.
pub(crate) fn overlay(
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    width: u16,
    title: &str,
    lines: Vec<Line<'static>>,
) {
    let r = centered(area, width, lines.len() as u16 + 2);
    ratatui::widgets::Clear.render(r, buf);
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .border_style(theme.border_focused)
                .title(span(title.to_string(), theme.title)),
        )
        .render(r, buf);
}
