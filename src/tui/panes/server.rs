//! The server pane: the session state in large type, the maildrop as the
//! session sees it, and every command the server handled.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::{frame, render_scrolled, span};
use crate::pop3::guard::Locked;
use crate::pop3::session::StateName;
use crate::tui::app::{App, Focus};
use crate::tui::text;
use crate::tui::theme::Theme;

/// The server pane.
pub struct ServerPane<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
    /// It has focus.
    pub focused: bool,
}

/// The maildrop table: one line per message, then what QUIT will do.
pub fn maildrop(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let s = &app.server;
    let lang = app.lesson.lang;
    let mut out = Vec::new();
    // A lockout is shown above the table, where it cannot scroll away:
    // it explains why a right password is being refused.
    if let Some((who, duration)) = &s.locked_out {
        let who = match who {
            Locked::Account(name) => crate::tr!(lang, "server-locked-account", name = name),
            Locked::Address(ip @ std::net::IpAddr::V6(_)) => {
                crate::tr!(lang, "server-locked-address", address = format!("{ip}/64"))
            }
            Locked::Address(ip) => {
                crate::tr!(lang, "server-locked-address", address = ip.to_string())
            }
        };
        out.push(Line::from(span(
            crate::tr!(
                lang,
                "server-locked-out",
                who = who,
                time = text::lockout_time(*duration, lang)
            ),
            t.err,
        )));
    }
    if s.maildrop.is_empty() {
        out.push(Line::from(span(
            crate::tr!(lang, "server-maildrop-closed"),
            t.dim,
        )));
        return out;
    }
    let marked: Vec<String> = s
        .maildrop
        .iter()
        .filter(|m| m.deleted)
        .map(|m| m.number.to_string())
        .collect();
    out.push(Line::from(match (&s.removed, marked.is_empty()) {
        (Some(n), _) => span(crate::tr!(lang, "server-quit-removed", n = *n), t.accent),
        (None, true) => span(crate::tr!(lang, "server-quit-nothing"), t.dim),
        (None, false) => span(
            crate::tr!(
                lang,
                "server-quit-will-delete",
                n = marked.len(),
                numbers = marked.join(", ")
            ),
            t.err,
        ),
    }));
    // The columns are laid out in code; only their names are words,
    // right-aligned over the sizes by their width on screen (a Japanese
    // name's characters are two columns wide each).
    let size = crate::tr!(lang, "server-column-size");
    let pad = " ".repeat(9usize.saturating_sub(size.width()));
    out.push(Line::from(span(
        format!(
            "   # {pad}{size}  {}",
            crate::tr!(lang, "server-column-uid")
        ),
        t.title,
    )));
    for m in &s.maildrop {
        let line = format!(
            "{} {:>2} {:>9}  {}",
            if m.deleted { "✗" } else { " " },
            m.number,
            m.size,
            m.uid
        );
        let style = if m.deleted { t.err } else { t.text };
        let mut spans = vec![span(line, style)];
        if m.deleted {
            spans.push(span("  DELE", t.err));
        }
        out.push(Line::from(spans));
    }
    out
}

/// The rows the maildrop table takes in a pane `height` rows high inside.
/// The maildrop stays in view; the log below it scrolls. The log keeps a
/// third of what is left under the state, or just two lines when the pane
/// has focus and the table is what is being looked at.
fn table_height(rows: usize, height: u16, focused: bool) -> u16 {
    let room = height.saturating_sub(4);
    let cap = if focused {
        room.saturating_sub(2)
    } else {
        room * 2 / 3
    };
    (rows as u16 + 1).min(cap)
}

/// The rows the scrolling log gets in a pane `height` rows high inside.
pub fn log_height(app: &App, t: &Theme, height: u16, focused: bool) -> u16 {
    let h = table_height(maildrop(app, t).len(), height, focused);
    height.saturating_sub(4).saturating_sub(h)
}

/// Every event the server reported, the pane's scrollable part.
pub fn lines(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = app
        .server
        .log
        .iter()
        .filter_map(|e| text::server_line(e, app.lesson.lang))
        .map(|l| Line::from(span(l, t.text)))
        .collect();
    if app.replay.is_some() {
        out.insert(
            0,
            Line::from(span(crate::tr!(app.lesson.lang, "server-replay"), t.accent)),
        );
    }
    if out.is_empty() {
        out.push(Line::from(span(
            crate::tr!(app.lesson.lang, "server-no-session-yet"),
            t.dim,
        )));
    }
    out
}

impl Widget for &ServerPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let lang = app.lesson.lang;
        let mut block = frame(app, t, Focus::Server, self.focused, "");
        // A vulnerable mode is never on by accident or out of sight.
        if app.scenario.vulnerable_server {
            block = block.title(span(
                format!(" {} ", crate::tr!(lang, "server-vulnerable")),
                t.leak,
            ));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        let drop = maildrop(app, t);
        let h = table_height(drop.len(), inner.height, self.focused);
        let [state, table, rest] = Layout::vertical([
            Constraint::Length(4),
            Constraint::Length(h),
            Constraint::Min(0),
        ])
        .areas(inner);
        let name = app
            .server
            .state
            .map(|s| s.to_string())
            .unwrap_or_else(|| crate::tr!(lang, "server-no-session"));
        let style = match app.server.state {
            Some(StateName::Authorization) => t.accent,
            Some(StateName::Transaction) => t.good,
            Some(StateName::Update) => t.err,
            None => t.dim,
        };
        let big = text::big_word(&name);
        let fits = big[0].chars().count() <= usize::from(state.width);
        if app.server.state.is_some() && fits {
            for (i, row) in big.iter().enumerate() {
                buf.set_string(state.x, state.y + i as u16, row, style);
            }
            // The name in plain letters too, for search and screen readers.
            buf.set_string(
                state.x,
                state.y + 3,
                crate::tr!(lang, "server-state-caption", state = name.as_str()),
                t.dim,
            );
        } else {
            buf.set_string(state.x, state.y + 1, format!(" {name} "), style.reversed());
        }
        Paragraph::new(drop).render(table, buf);
        render_scrolled(app, t, Focus::Server, lines(app, t), rest, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Scenario;
    use crate::lang::Lang;
    use crate::pop3::server::MessageInfo;
    use crate::tui::panes::plain;
    use crate::tui::theme::ThemeName;

    #[test]
    fn the_size_column_lines_up_in_either_language() {
        let mut app = App::new(Scenario::named("plain").unwrap());
        app.server.maildrop = vec![MessageInfo {
            number: 1,
            size: 123456789,
            uid: "u1".into(),
            deleted: false,
        }];
        let t = Theme::new(ThemeName::Dark, true);
        for lang in [Lang::En, Lang::Ja] {
            app.lesson.lang = lang;
            let rows: Vec<String> = maildrop(&app, &t).iter().map(plain).collect();
            // The heading's size name and the size end in one column.
            let end = |row: &str, word: &str| {
                let at = row.find(word).unwrap() + word.len();
                row[..at].width()
            };
            let name = crate::tr!(lang, "server-column-size");
            assert_eq!(end(&rows[1], &name), end(&rows[2], "123456789"), "{rows:?}");
        }
    }
}
