//! The workshop screen drawn: the header (where students connect, the
//! attack on for new connections, the tally), the Wall of Sheep, the
//! lab's eavesdropper and TLS panes following the chosen connection, and
//! the key line. Pure drawing of [`Workshop`]; every word comes from the
//! catalogue (`assets/i18n/*/wall.ftl`) in the screen's language.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::{overlay, span};
use crate::attack::Attack;
use crate::lab::describe::attack_name_in;
use crate::lang::Lang;
use crate::pop3::command::partly_masked;
use crate::pop3::settings::Transport;
use crate::tui::model::wall::{Tally, WallRow};
use crate::tui::text::{clip, sanitize};
use crate::tui::theme::Theme;
use crate::tui::workshop::{BINDINGS, Workshop, help_rows};

/// Where each part of the workshop screen goes.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    /// The two header lines.
    pub header: Rect,
    /// The wall, framed.
    pub wall: Rect,
    /// The eavesdropper pane.
    pub wire: Rect,
    /// The TLS pane, when there is room beside the eavesdropper.
    pub tls: Option<Rect>,
    /// The key line.
    pub keys: Rect,
}

/// The TLS pane is drawn beside the eavesdropper from this width on.
const TLS_FROM_WIDTH: u16 = 100;

/// The screen's layout: the wall takes two fifths of the height below the
/// header (at least eight rows), the panes the rest; the TLS pane, when
/// `tls` asks for it (the followed connection used TLS), takes two fifths
/// of the width beside the eavesdropper. Zoomed, the wall takes it all,
/// for a room too big for a few rows.
pub fn areas(area: Rect, tls: bool, zoom: bool) -> Areas {
    let [header, body, keys] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let wall_h = if zoom {
        body.height
    } else {
        (body.height * 2 / 5).max(8).min(body.height)
    };
    let [wall, bottom] =
        Layout::vertical([Constraint::Length(wall_h), Constraint::Min(0)]).areas(body);
    let (wire, tls) = if tls && area.width >= TLS_FROM_WIDTH {
        let [w, t] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(bottom);
        (w, Some(t))
    } else {
        (bottom, None)
    };
    Areas {
        header,
        wall,
        wire,
        tls,
        keys,
    }
}

/// The data rows the wall shows inside its frame, below the headings.
pub fn body_rows(wall: Rect) -> usize {
    usize::from(wall.height.saturating_sub(3))
}

/// The first row shown (in the wall's newest-first order), so that the
/// chosen row is always in view.
pub fn first_shown(ws: &Workshop, room: usize) -> usize {
    let at = ws.followed_index().unwrap_or(0);
    if room == 0 {
        0
    } else {
        at.saturating_sub(room - 1)
    }
}

/// `s` cut or padded to exactly `w` columns (a Japanese character takes
/// two).
fn cell(s: &str, w: usize) -> String {
    let s = clip(s, w);
    let pad = w.saturating_sub(s.width());
    format!("{s}{}", " ".repeat(pad))
}

/// The columns of the wall, in columns wide, the last taking the rest.
const WIDTHS: [usize; 7] = [5, 22, 14, 11, 10, 24, 0];

/// On a screen narrower than this the client's address is left out: who
/// logged in, how, and whether the client fell for the attack matter
/// more than where from.
const ADDRESS_FROM_WIDTH: usize = 100;

/// How the transport column words a row's transport and TLS version.
fn transport_words(row: &WallRow, lang: Lang) -> String {
    let name = match row.transport {
        None => return "…".into(),
        Some(Transport::Plain) => crate::tr!(lang, "wall-transport-plain"),
        Some(Transport::Stls) => "STLS".into(),
        Some(Transport::Implicit) => "POP3S".into(),
    };
    match row.tls_version() {
        Some(v) => format!("{name} {v}"),
        None => name,
    }
}

/// What leaked on a row, with the style it is drawn in.
fn leaked(row: &WallRow, reveal: bool, lang: Lang, t: &Theme) -> (String, Style) {
    let mut words = if let Some(p) = &row.password {
        let p = sanitize(p);
        if reveal { p } else { partly_masked(&p) }
    } else if row.digest {
        crate::tr!(lang, "wall-leak-digest")
    } else if row.tls.is_some() || matches!(row.transport, Some(Transport::Implicit)) {
        return (crate::tr!(lang, "wall-leak-sealed"), t.good);
    } else {
        return (crate::tr!(lang, "wall-leak-nothing"), t.dim);
    };
    if row.messages > 0 {
        words = format!(
            "{words}, {}",
            crate::tr!(lang, "wall-leak-messages", n = row.messages)
        );
    }
    (words, t.leak)
}

/// The attack column: the attack and whether the client fell for it.
fn attack_cell(row: &WallRow, lang: Lang, t: &Theme) -> (String, Style) {
    let Some(a) = row.attack else {
        return ("—".into(), t.dim);
    };
    // Short names: the column is narrow, and the header names the attack
    // in full.
    let name = match a {
        Attack::StripStls => crate::tr!(lang, "wall-attack-short-strip-stls"),
        Attack::ForgeCert => crate::tr!(lang, "wall-attack-short-forge-cert"),
        other => attack_name_in(other, lang),
    };
    let (verdict, style) = match &row.verdict {
        Some(v) if v.succeeded => (crate::tr!(lang, "wall-verdict-fell"), t.err),
        Some(_) => (crate::tr!(lang, "wall-verdict-safe"), t.good),
        None => (crate::tr!(lang, "wall-verdict-pending"), t.dim),
    };
    // The verdict first: it is the lesson, and it must survive a narrow
    // column.
    (format!("{verdict} · {name}"), style)
}

/// The wall, framed, with its headings and rows.
pub struct WallPane<'a> {
    /// What to draw.
    pub ws: &'a Workshop,
    /// How.
    pub theme: &'a Theme,
}

impl Widget for &WallPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (ws, t) = (self.ws, self.theme);
        let lang = ws.lang();
        let mut block = Block::bordered().border_style(t.border_focused).title(span(
            format!(" {} ", crate::tr!(lang, "wall-title")),
            t.border_focused,
        ));
        if let Some(p) = &ws.sheet {
            block = block.title_bottom(span(
                format!(
                    " {} ",
                    crate::tr!(lang, "wall-sheet", path = p.display().to_string())
                ),
                t.dim,
            ));
        }
        if ws.reveal {
            block = block.title(span(
                format!(" {} ", crate::tr!(lang, "wall-revealed")),
                t.leak,
            ));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        let mut widths = WIDTHS;
        if usize::from(inner.width) < ADDRESS_FROM_WIDTH {
            widths[1] = 0;
        }
        widths[6] = usize::from(inner.width).saturating_sub(widths[..6].iter().sum());
        let w = |i: usize| widths[i];
        let headings = [
            "#".to_string(),
            crate::tr!(lang, "wall-col-client"),
            crate::tr!(lang, "wall-col-user"),
            crate::tr!(lang, "wall-col-login"),
            crate::tr!(lang, "wall-col-transport"),
            crate::tr!(lang, "wall-col-leaked"),
            crate::tr!(lang, "wall-col-attack"),
        ];
        let mut lines = vec![Line::from(
            headings
                .iter()
                .enumerate()
                .filter(|(i, _)| w(*i) > 0)
                .map(|(i, h)| span(cell(h, w(i)), t.title))
                .collect::<Vec<_>>(),
        )];
        if ws.wall.rows.is_empty() {
            lines.push(Line::from(span(crate::tr!(lang, "wall-empty"), t.dim)));
            Paragraph::new(lines)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(inner, buf);
            return;
        }
        let room = body_rows(area);
        let first = first_shown(ws, room);
        let followed = ws.followed();
        for row in ws.wall.rows.iter().rev().skip(first).take(room) {
            let (leak, leak_style) = leaked(row, ws.reveal, lang, t);
            let (attack, attack_style) = attack_cell(row, lang, t);
            let dash = || "—".to_string();
            let user = row.user.as_deref().map(sanitize).unwrap_or_else(dash);
            let login = row
                .login
                .map(|l| l.words().to_string())
                .unwrap_or_else(dash);
            let base = if row.closed { t.dim } else { t.text };
            let cells: Vec<Span> = [
                (row.conn.to_string(), t.dim),
                (row.client.to_string(), base),
                (user, if row.readable() { t.leak } else { base }),
                (login, base),
                (transport_words(row, lang), base),
                (leak, leak_style),
                (attack, attack_style),
            ]
            .into_iter()
            .enumerate()
            .filter(|(i, _)| w(*i) > 0)
            .map(|(i, (text, style))| span(cell(&text, w(i)), style))
            .collect();
            let mut line = Line::from(cells);
            if Some(row.conn) == followed {
                line = line.patch_style(t.selected);
            }
            lines.push(line);
        }
        let shown = lines.len() - 1;
        Paragraph::new(lines).render(inner, buf);
        let below = ws.wall.rows.len().saturating_sub(first + shown);
        if below > 0 && area.height > 0 {
            let tag = format!(" {} ", crate::tr!(lang, "wall-more", n = below));
            let x = area.right().saturating_sub(tag.width() as u16 + 1);
            buf.set_string(x, area.bottom() - 1, tag, t.dim);
        }
    }
}

/// The tally in words: logins read, and clients fooled while an attack
/// was on.
pub fn tally_words(tally: &Tally, lang: Lang) -> String {
    let mut s = crate::tr!(
        lang,
        "wall-tally",
        readable = tally.readable,
        total = tally.logins
    );
    if tally.attacked > 0 {
        s = format!(
            "{s} · {}",
            crate::tr!(
                lang,
                "wall-tally-attack",
                fell = tally.fell,
                attacked = tally.attacked
            )
        );
    }
    s
}

fn header(ws: &Workshop, t: &Theme) -> Vec<Line<'static>> {
    let lang = ws.lang();
    let mut first = vec![
        span(
            format!(" {} ", crate::tr!(lang, "wall-screen-title")),
            t.title,
        ),
        span(format!("│ {}: ", crate::tr!(lang, "wall-listeners")), t.dim),
    ];
    for (i, (tr, addr)) in ws.listeners.iter().enumerate() {
        let name = match tr {
            Transport::Implicit => crate::tr!(lang, "wall-listener-pop3s"),
            _ => crate::tr!(lang, "wall-listener-plain"),
        };
        if i > 0 {
            first.push(span(" · ", t.dim));
        }
        first.push(span(format!("{name} "), t.text));
        first.push(span(addr.to_string(), t.key));
    }
    let attack = match ws.wall.attack {
        Some(a) => attack_name_in(a, lang),
        None => crate::tr!(lang, "wall-attack-none"),
    };
    let second = vec![
        span(format!(" {}: ", crate::tr!(lang, "wall-attack-now")), t.dim),
        span(
            attack,
            if ws.wall.attack.is_some() {
                t.err
            } else {
                t.good
            },
        ),
        span(" (a)", t.key),
        span(" │ ", t.dim),
        span(tally_words(&ws.wall.tally, lang), t.leak),
    ];
    vec![Line::from(first), Line::from(second)]
}

fn key_line(ws: &Workshop, t: &Theme) -> Line<'static> {
    let lang = ws.lang();
    let mut spans = vec![span(" ", t.status)];
    for b in BINDINGS {
        let Some(short) = b.short else { continue };
        // The arrows stand for the four keys that choose a row.
        let keys = if b.help == "wall-key-select" {
            "↑↓".to_string()
        } else {
            b.keys[0].name(lang)
        };
        spans.push(span(keys, t.key));
        spans.push(span(
            format!(" {}  ", crate::i18n::tr(lang, short)),
            t.status,
        ));
    }
    let follow = match ws.selected {
        None => crate::tr!(lang, "wall-following"),
        Some(c) => crate::tr!(lang, "wall-showing", conn = c),
    };
    spans.push(span(format!("│ {follow}"), t.status));
    Line::from(spans).style(t.status)
}

/// The whole workshop screen.
pub struct WorkshopView<'a> {
    /// What to draw.
    pub ws: &'a Workshop,
    /// How.
    pub theme: &'a Theme,
}

impl Widget for &WorkshopView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (ws, t) = (self.ws, self.theme);
        let a = areas(area, ws.followed_uses_tls(), ws.zoom);
        Paragraph::new(header(ws, t)).render(a.header, buf);
        WallPane { ws, theme: t }.render(a.wall, buf);
        if a.wire.height > 0 {
            super::wire::WirePane {
                app: &ws.eaves,
                theme: t,
                focused: false,
            }
            .render(a.wire, buf);
        }
        if let Some(r) = a.tls.filter(|r| r.height > 0) {
            super::tls::TlsPane {
                app: &ws.eaves,
                theme: t,
                focused: false,
            }
            .render(r, buf);
        }
        Paragraph::new(key_line(ws, t)).render(a.keys, buf);
        if ws.help {
            let lang = ws.lang();
            let rows = help_rows(lang);
            let kw = rows.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
            let lines = rows
                .into_iter()
                .map(|(k, what)| {
                    Line::from(vec![
                        span(
                            format!(" {}{k}  ", " ".repeat(kw - k.width())),
                            t.header_name,
                        ),
                        span(what, t.text),
                    ])
                })
                .collect();
            overlay(
                area,
                buf,
                t,
                area.width.min(100),
                &format!(" {} ", crate::tr!(lang, "wall-help-title")),
                lines,
            );
        }
    }
}
