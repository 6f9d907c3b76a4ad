//! The help overlay: every key, in the learner's language.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::{overlay, plain, span};
use crate::lang::Lang;
use crate::tui::app::App;
use crate::tui::keys;
use crate::tui::layout::MIN_SIZE;
use crate::tui::markdown;
use crate::tui::theme::{Theme, ThemeName};

/// The widest the overlay gets, borders included.
const WIDTH: u16 = 96;

/// The help's rows before laying them out, in `lang`: a heading for each
/// context, then its keys from the key map, so the help cannot say what
/// the keys do not do. `None` in the key column marks a heading.
pub fn rows(lang: Lang) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut heading = "";
    for ctx in keys::HELP_CONTEXTS {
        if ctx.heading_id() != heading {
            heading = ctx.heading_id();
            out.push((None, ctx.heading(lang)));
        }
        out.extend(keys::rows(ctx, lang).map(|(k, what)| (Some(k), what)));
    }
    out.push((
        Some(crate::tr!(lang, "help-mouse-key")),
        crate::tr!(lang, "help-mouse"),
    ));
    out
}

/// `text` wrapped to `width` columns, as plain lines. The lesson text's
/// wrapping is used because it knows where Japanese may break (not before
/// 「、」 or 「）」) as well as English.
fn wrap(text: &str, width: usize, theme: &Theme) -> Vec<String> {
    let width = u16::try_from(width.max(1)).unwrap_or(u16::MAX);
    let mut lines: Vec<String> = markdown::render(text, width, theme)
        .iter()
        .map(plain)
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// One line of the laid-out help.
enum HelpLine {
    /// A context's heading.
    Heading(String),
    /// Keys (blank on a row's continuation lines) and what they do.
    Row(String, String),
}

/// The rows laid out in an overlay of `inner` columns: a row whose words
/// do not fit beside its keys goes on under itself, so no word is cut off
/// at the right edge (a Japanese row takes two columns a character).
fn layout(lang: Lang, inner: usize, theme: &Theme) -> Vec<HelpLine> {
    let rows = rows(lang);
    // The key column is aligned by the columns the keys take on the
    // screen, not by characters: 「任意の文字」 is five characters wide
    // twice over.
    let w = rows
        .iter()
        .filter_map(|(k, _)| k.as_ref().map(|k| k.width()))
        .max()
        .unwrap_or(0);
    let room = inner.saturating_sub(w + 2);
    let mut out = Vec::new();
    for (k, what) in rows {
        match k {
            None => out.push(HelpLine::Heading(what)),
            Some(k) => {
                for (i, text) in wrap(&what, room, theme).into_iter().enumerate() {
                    let key = if i == 0 { k.as_str() } else { "" };
                    let pad = " ".repeat(w.saturating_sub(key.width()));
                    out.push(HelpLine::Row(format!("{pad}{key}  "), text));
                }
            }
        }
    }
    out
}

/// The most lines the help's key list has in any language on the
/// smallest screen the lab draws (for bounding its scrolling; a wider
/// screen wraps less).
pub fn row_count() -> usize {
    let theme = Theme::new(ThemeName::Dark, false);
    let inner = usize::from(WIDTH.min(MIN_SIZE.0).saturating_sub(2));
    Lang::ALL
        .iter()
        .map(|lang| layout(*lang, inner, &theme).len())
        .max()
        .unwrap_or(0)
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
        let lang = self.app.lesson.lang;
        let inner = usize::from(WIDTH.min(area.width).saturating_sub(2));
        let rows = layout(lang, inner, t);
        let mut lines = Vec::new();
        // At 80×24 the keys alone just fit; the intro needs the room of a
        // larger screen.
        let intro = wrap(&crate::tr!(lang, "help-intro"), inner, t);
        if usize::from(area.height) >= rows.len() + intro.len() + 5 {
            lines.extend(intro.into_iter().map(|l| Line::from(span(l, t.text))));
            lines.push(Line::default());
        }
        let room = usize::from(area.height.saturating_sub(2));
        let total = rows.len();
        let tall = total > room;
        // When the keys do not all fit, the list scrolls with ↑ ↓ and the
        // title says so; the last key can always be brought into view.
        let first = if tall {
            self.app.help_scroll.min(total - room)
        } else {
            0
        };
        for row in rows.into_iter().skip(first) {
            lines.push(match row {
                HelpLine::Row(k, what) => {
                    Line::from(vec![span(k, t.header_name), span(what, t.text)])
                }
                HelpLine::Heading(what) => Line::from(span(format!("── {what}"), t.title)),
            });
        }
        if !self.app.mouse {
            lines.push(Line::from(span(crate::tr!(lang, "help-mouse-off"), t.dim)));
        }
        let title = if tall {
            crate::tr!(
                lang,
                "help-title-scroll",
                first = first + 1,
                last = (first + room).min(total),
                total = total
            )
        } else {
            crate::tr!(lang, "help-title")
        };
        overlay(area, buf, t, WIDTH, &format!(" {title} "), lines);
    }
}
