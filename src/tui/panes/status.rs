//! The status bar: the scenario, the ports, the wire's gate and the main
//! keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::span;
use crate::lab::Trust;
use crate::tui::app::{App, GateState, SPEEDS_MS};
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
        let s = &app.scenario;
        // The attacker and the deliberately vulnerable modes are the first
        // thing on the line, in the danger colour: in full words when the
        // line has room for them beside the short form of the rest (about
        // 64 columns), else as short marks (the panes' titles still say
        // them in full).
        let long: Vec<String> = s
            .attack
            .map(|a| {
                format!(
                    " ATTACKER: {} ",
                    crate::lab::describe::attack_name_in(a, app.lesson.lang)
                )
            })
            .into_iter()
            .chain(
                s.vulnerable_server
                    .then(|| " VULNERABLE SERVER (lab only) ".to_string()),
            )
            .chain(
                s.vulnerable_client
                    .then(|| " VULNERABLE CLIENT (lab only) ".to_string()),
            )
            .collect();
        let long_width: usize = long.iter().map(|m| m.chars().count()).sum();
        let full = usize::from(area.width) >= long_width + 64;
        let short = s
            .attack
            .map(|_| " ATTACK ")
            .into_iter()
            .chain((s.vulnerable_server || s.vulnerable_client).then_some(" VULN "));
        let mut spans: Vec<_> = if full {
            long.into_iter().map(|m| span(m, t.leak)).collect()
        } else {
            short.map(|m| span(m, t.leak)).collect()
        };
        let marks: usize = spans.iter().map(|s| s.width()).sum();
        // Below 110 columns (and what the marks leave of them) the long
        // words give way, so the keys still fit at 80.
        let wide = usize::from(area.width) >= 110 + marks;
        let verify = match (s.verify == Trust::InsecureAcceptAny, wide) {
            (true, true) => "cert:ANY",
            (false, true) => "cert:check",
            (true, false) => "cert✗",
            (false, false) => "cert✓",
        };
        let tls = match (s.require_tls, wide) {
            (true, true) => "tls:required",
            (false, true) => "tls:optional",
            (true, false) => "req-TLS",
            (false, false) => "opt-TLS",
        };
        let ports = app
            .ports
            .map(|(tap, server)| {
                if wide {
                    format!("tap :{} → server :{}", tap.port(), server.port())
                } else {
                    format!(":{}→:{}", tap.port(), server.port())
                }
            })
            .unwrap_or_else(|| "starting".into());
        let gate = match (app.gate, wide) {
            (GateState::Open, true) => "wire flows".to_string(),
            (GateState::Open, false) => "flows".to_string(),
            (GateState::Paused, _) => "PAUSED".to_string(),
            (GateState::Playing { speed }, _) => format!("▶{}ms", SPEEDS_MS[speed]),
        };
        spans.extend([
            span(
                format!(" {} {} {tls} {verify} ", s.transport.name(), s.auth.name()),
                t.status,
            ),
            span("│ ", t.status),
        ]);
        // On a narrow screen the ports give their room to the marks: they
        // matter least to a learner.
        if wide || marks == 0 {
            spans.push(span(format!("{ports} "), t.status));
            spans.push(span(if wide { "│ " } else { "│" }, t.status));
        }
        spans.extend([span(format!("{gate} "), t.status), span("│", t.status)]);
        let keys: &[(&str, &str)] = match (wide, app.lesson.open) {
            (true, true) => &[
                ("?", "help"),
                ("]", "next step"),
                ("s", "scenario"),
                ("^C", "quit"),
            ],
            (true, false) => &[
                ("?", "help"),
                ("c", "lessons"),
                ("s", "scenario"),
                ("^C", "quit"),
            ],
            (false, true) => &[("?", "help"), ("]", "next"), ("^C", "quit")],
            (false, false) => &[("?", "help"), ("s", "scen"), ("^C", "quit")],
        };
        if app.cracking() {
            spans.push(span(format!(" {}", crate::tui::keys::CRACK), t.key));
            spans.push(span(" stop", t.status));
        } else if app.wire.attack.apop.is_some() {
            spans.push(span(format!(" {}", crate::tui::keys::CRACK), t.key));
            spans.push(span(" crack", t.status));
        }
        for (k, what) in keys {
            spans.push(span(format!(" {k}"), t.key));
            spans.push(span(format!(" {what}"), t.status));
        }
        Line::from(spans).render(area, buf);
    }
}
