//! The status bar: the scenario, the ports, the wire's gate and the main
//! keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::span;
use crate::lab::{Transport, Trust};
use crate::tui::app::{App, GateState, Notice, SPEEDS_MS};
use crate::tui::keys::{LIVE, PAST_BACK, PAST_FORWARD};
use crate::tui::theme::Theme;

/// The status bar.
pub struct StatusBar<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
}

impl Widget for &StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        buf.set_style(area, t.status);
        let width = usize::from(area.width);
        // Below 110 columns (and what the marks leave of them) the long
        // words give way, so the keys still fit at 80. Each line is also
        // measured as drawn, since Japanese words take two columns a
        // character: one that would be cut first leaves out the ports
        // (they matter least to a learner), then takes the short words.
        let candidates = [(true, true), (true, false), (false, true), (false, false)];
        let spans = candidates
            .into_iter()
            .filter_map(|(wide, ports)| line(app, t, width, wide, ports))
            .find(|(_, used)| *used <= width)
            .map(|(spans, _)| spans)
            .or_else(|| line(app, t, width, false, false).map(|(spans, _)| spans))
            .unwrap_or_default();
        Line::from(spans).render(area, buf);
    }
}

/// The status bar's spans in the long words (`wide`) or the short ones,
/// with the ports or without, and the line's width in columns; `None`
/// when the screen has no room for the long words beside the marks, or
/// when the short words would show the ports beside marks (on a narrow
/// screen the ports give their room to the marks).
fn line(
    app: &App,
    t: &Theme,
    width: usize,
    wide: bool,
    show_ports: bool,
) -> Option<(Vec<Span<'static>>, usize)> {
    let s = &app.scenario;
    let lang = app.lesson.lang;
    let cols = |m: &str| unicode_width::UnicodeWidthStr::width(m);
    // The attacker and the deliberately vulnerable modes are the first
    // thing on the line, in the danger colour: in full words when the
    // line has room for them beside the short form of the rest (about
    // 64 columns), else as short marks (the panes' titles still say them
    // in full).
    let long: Vec<String> = s
        .attack
        .map(|a| {
            let attack = crate::lab::describe::attack_name_in(a, lang);
            format!(" {} ", crate::tr!(lang, "status-attacker", attack = attack))
        })
        .into_iter()
        .chain(
            s.vulnerable_server
                .then(|| format!(" {} ", crate::tr!(lang, "status-vulnerable-server"))),
        )
        .chain(
            s.vulnerable_client
                .then(|| format!(" {} ", crate::tr!(lang, "status-vulnerable-client"))),
        )
        .collect();
    let long_width: usize = long.iter().map(|m| cols(m)).sum();
    let full = width >= long_width + 64;
    let short = s
        .attack
        .map(|_| format!(" {} ", crate::tr!(lang, "status-attack-short")))
        .into_iter()
        .chain(
            (s.vulnerable_server || s.vulnerable_client)
                .then(|| format!(" {} ", crate::tr!(lang, "status-vulnerable-short"))),
        );
    let mut spans: Vec<Span<'static>> = if full {
        long.into_iter().map(|m| span(m, t.leak)).collect()
    } else {
        short.map(|m| span(m, t.leak)).collect()
    };
    // Where the view is in the recording, and a saved capture, come
    // first of all: a past shown as live would mislead.
    let mut front = Vec::new();
    if let Some((notice, _)) = &app.notice {
        let style = match notice {
            Notice::Saved { .. } => t.good,
            Notice::SaveFailed(_) => t.err,
        };
        front.push(span(format!(" {} ", notice_words(notice, lang)), style));
    }
    if let Some(m) = time_mark(app, width) {
        front.push(span(format!(" {m} "), t.matched));
    }
    spans.splice(0..0, front);
    let marks: usize = spans.iter().map(|s| s.width()).sum();
    if (wide && width < 110 + marks) || (!wide && show_ports && marks > 0) {
        return None;
    }
    let verify = match (s.verify == Trust::InsecureAcceptAny, wide) {
        (true, true) => crate::tr!(lang, "status-cert-any"),
        (false, true) => crate::tr!(lang, "status-cert-check"),
        (true, false) => crate::tr!(lang, "status-cert-any-short"),
        (false, false) => crate::tr!(lang, "status-cert-check-short"),
    };
    let tls = match (s.require_tls, wide) {
        (true, true) => crate::tr!(lang, "status-tls-required"),
        (false, true) => crate::tr!(lang, "status-tls-optional"),
        (true, false) => crate::tr!(lang, "status-tls-required-short"),
        (false, false) => crate::tr!(lang, "status-tls-optional-short"),
    };
    let transport = match s.transport {
        Transport::Plain => crate::tr!(lang, "status-transport-plain"),
        Transport::Stls => crate::tr!(lang, "status-transport-stls"),
        Transport::Implicit => crate::tr!(lang, "status-transport-implicit"),
    };
    // Ports are shown as text so no number formatting can touch them.
    let ports = app
        .ports
        .map(|(tap, server)| {
            if wide {
                crate::tr!(
                    lang,
                    "status-ports",
                    tap = tap.port().to_string(),
                    server = server.port().to_string()
                )
            } else {
                format!(":{}→:{}", tap.port(), server.port())
            }
        })
        .unwrap_or_else(|| crate::tr!(lang, "status-starting"));
    let gate = match (app.gate, wide) {
        (GateState::Open, true) => crate::tr!(lang, "status-wire-flows"),
        (GateState::Open, false) => crate::tr!(lang, "status-wire-flows-short"),
        (GateState::Paused, _) => crate::tr!(lang, "status-paused"),
        (GateState::Playing { speed }, _) => format!("▶{}ms", SPEEDS_MS[speed]),
    };
    // A replay has no lab, so no scenario: the recording's name instead.
    let what = match &app.replay {
        Some(r) => format!(
            " {} ",
            crate::tr!(lang, "status-replay-title", title = r.title.as_str())
        ),
        None => format!(" {transport} {} {tls} {verify} ", s.auth.name()),
    };
    spans.extend([span(what, t.status), span("│ ", t.status)]);
    // A replay has no lab, so no ports of its own to show.
    if show_ports && app.replay.is_none() {
        spans.push(span(format!("{ports} "), t.status));
        spans.push(span(if wide { "│ " } else { "│" }, t.status));
    }
    spans.extend([span(format!("{gate} "), t.status), span("│", t.status)]);
    let (help, next_step, next, lessons, scenario, scen, quit) = (
        crate::tr!(lang, "status-key-help"),
        crate::tr!(lang, "status-key-next-step"),
        crate::tr!(lang, "status-key-next"),
        crate::tr!(lang, "status-key-lessons"),
        crate::tr!(lang, "status-key-scenario"),
        crate::tr!(lang, "status-key-scenario-short"),
        crate::tr!(lang, "status-key-quit"),
    );
    let keys: Vec<(&str, String)> = match (wide, app.lesson.open) {
        // A replay's own keys: no lab, so no scenario or lesson to go to.
        _ if app.replay.is_some() => vec![
            ("?", help),
            ("Space", crate::tr!(lang, "status-key-step")),
            ("p", crate::tr!(lang, "status-key-play")),
            (",", crate::tr!(lang, "status-key-back")),
            ("^C", quit),
        ],
        (true, true) => vec![("?", help), ("]", next_step), ("s", scenario), ("^C", quit)],
        (true, false) => vec![("?", help), ("c", lessons), ("s", scenario), ("^C", quit)],
        (false, true) => vec![("?", help), ("]", next), ("^C", quit)],
        (false, false) => vec![("?", help), ("s", scen), ("^C", quit)],
    };
    if app.cracking() {
        spans.push(span(format!(" {}", crate::tui::keys::CRACK), t.key));
        spans.push(span(
            format!(" {}", crate::tr!(lang, "status-key-stop")),
            t.status,
        ));
    } else if app.wire.attack.apop.is_some() {
        spans.push(span(format!(" {}", crate::tui::keys::CRACK), t.key));
        spans.push(span(
            format!(" {}", crate::tr!(lang, "status-key-crack")),
            t.status,
        ));
    }
    for (k, what) in keys {
        spans.push(span(format!(" {k}"), t.key));
        spans.push(span(format!(" {what}"), t.status));
    }
    let used = spans.iter().map(|s| s.width()).sum();
    Some((spans, used))
}

/// Where the view is in the recording: in a replay always, on the lab
/// only while the past is shown. The long form, naming the keys, when it
/// leaves the rest of the line the room of its short words.
fn time_mark(app: &App, width: usize) -> Option<String> {
    let lang = app.lesson.lang;
    let (at, total) = app.position();
    if app.replay.is_some() {
        return Some(crate::tr!(lang, "status-replay", at = at, total = total));
    }
    app.past.as_ref()?;
    let mut long = crate::tr!(
        lang,
        "status-past",
        at = at,
        total = total,
        back = PAST_BACK,
        forward = PAST_FORWARD,
        live = LIVE
    );
    if app.recorded.truncated() {
        long.push(' ');
        long.push_str(&crate::tr!(
            lang,
            "status-past-oldest",
            oldest = app.recorded.oldest()
        ));
    }
    if width >= unicode_width::UnicodeWidthStr::width(long.as_str()) + 66 {
        Some(long)
    } else {
        Some(crate::tr!(
            lang,
            "status-past-short",
            at = at,
            total = total
        ))
    }
}

/// A notice in the learner's words.
fn notice_words(n: &Notice, lang: crate::lang::Lang) -> String {
    match n {
        Notice::Saved { path, from: None } => {
            crate::tr!(lang, "status-saved", path = path.display().to_string())
        }
        Notice::Saved {
            path,
            from: Some(from),
        } => crate::tr!(
            lang,
            "status-saved-from",
            path = path.display().to_string(),
            from = *from
        ),
        Notice::SaveFailed(why) => crate::tr!(lang, "status-save-failed", error = why.as_str()),
    }
}
