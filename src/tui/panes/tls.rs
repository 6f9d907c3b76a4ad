//! The TLS pane: the handshake as a timeline, each step as the client and
//! server read it with what the eavesdropper got of it beside it (the
//! message itself, or an opaque record of so many bytes); what was
//! negotiated, the certificate check and each secret as it is derived.
//! A step chosen here opens in the byte view (`panes::bytes`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{frame, render_scrolled, span};
use unicode_width::UnicodeWidthStr;

use crate::lab::Transport;
use crate::lang::Lang;
use crate::tui::app::{App, Focus, TlsModel, TlsStep};
use crate::tui::text::{self, clip};
use crate::tui::theme::Theme;
use crate::wire::Direction;

/// The TLS pane.
pub struct TlsPane<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
    /// It has focus.
    pub focused: bool,
}

/// A timeline step in words, for the TLS pane and the records view.
pub fn step_words(step: &TlsStep, lang: Lang) -> String {
    match step {
        TlsStep::Message(s) => s.name().to_string(),
        TlsStep::Handshake(m) => text::handshake(m, lang),
        TlsStep::Alert {
            encrypted: true, ..
        } => format!("🔒 {}", crate::tr!(lang, "tls-alert-encrypted")),
        TlsStep::Alert {
            fatal, description, ..
        } => crate::tr!(
            lang,
            "tls-alert",
            level = if *fatal {
                crate::tr!(lang, "tls-alert-fatal")
            } else {
                crate::tr!(lang, "tls-alert-warning")
            },
            description = crate::wire::tls::alert_description(*description)
        ),
        TlsStep::AppData => crate::tr!(lang, "tls-app-data"),
    }
}

/// What the eavesdropper got of a handshake step, worded: the message
/// itself when it crossed in cleartext, or the opaque record that carried
/// it, counted once for all the messages that share it.
fn eavesdropper_words(m: &TlsModel, i: usize, lang: Lang) -> (String, bool) {
    let TlsStep::Message(s) = &m.timeline[i].1 else {
        return (String::new(), false);
    };
    if s.sealed.is_none() {
        return (crate::tr!(lang, "tls-eaves-reads"), false);
    }
    // Only this connection's part is looked at: a long lab has many.
    let part = m.part_range(i);
    let same = |j: &usize| matches!(&m.timeline[*j].1, TlsStep::Message(o) if o.shares_record(s));
    if (part.start..i).any(|j| same(&j)) {
        return (crate::tr!(lang, "tls-eaves-same-record"), true);
    }
    let count = (i..part.end).filter(same).count();
    let bytes = s.record.length;
    let words = if count > 1 {
        crate::tr!(
            lang,
            "tls-eaves-opaque-shared",
            bytes = bytes,
            count = count
        )
    } else {
        crate::tr!(lang, "tls-eaves-opaque", bytes = bytes)
    };
    (words, true)
}

/// The pane's lines, worded in the lesson's language.
pub fn lines(app: &App, t: &Theme) -> Vec<Line<'static>> {
    timeline_lines(app, t)
        .into_iter()
        .map(|(l, _)| l)
        .chain(summary_lines(app, t))
        .collect()
}

/// The timeline's lines, each with the handshake step it shows (its place
/// among `TlsModel::steps`), for the selection and the mouse.
pub fn timeline_lines(app: &App, t: &Theme) -> Vec<(Line<'static>, Option<usize>)> {
    let m = &app.tls;
    let lang = app.lesson.lang;
    let mut out = Vec::new();
    if m.timeline.is_empty() {
        out.push((
            Line::from(span(
                // A replay has no scenario: its recording may hold TLS yet.
                if app.scenario.transport == Transport::Plain && app.replay.is_none() {
                    crate::tr!(lang, "tls-none-in-scenario")
                } else {
                    crate::tr!(lang, "tls-no-handshake-yet")
                },
                t.dim,
            )),
            None,
        ));
    }
    let n = m.timeline.len();
    let starts_at = |i: usize| m.starts.iter().find(|(at, _)| *at == i).map(|(_, c)| *c);
    let has_steps = m
        .timeline
        .iter()
        .any(|(_, s)| matches!(s, TlsStep::Message(_)));
    if has_steps {
        out.push((
            Line::from(span(crate::tr!(lang, "tls-steps-legend"), t.dim)),
            None,
        ));
    }
    // Once a second connection has shaken hands, each connection's part
    // of the timeline is under its own heading, so the second handshake
    // does not read as the first one's continuation. A single connection
    // needs no heading, and the pane keeps its line.
    let headed = m.starts.len() > 1;
    let (client, server) = (
        crate::tr!(lang, "tls-from-client"),
        crate::tr!(lang, "tls-from-server"),
    );
    // The names are protocol words in ASCII: padded to the longest, the
    // eavesdropper's column lines up.
    let name_width = m
        .timeline
        .iter()
        .filter_map(|(_, s)| match s {
            TlsStep::Message(s) => Some(s.name().len()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let who_width = format!("{client} →")
        .width()
        .max(format!("← {server}").width());
    let selected = app.tls_selected();
    let mut step_no = 0;
    for (i, (dir, step)) in m.timeline.iter().enumerate() {
        if let Some(conn) = starts_at(i).filter(|_| headed) {
            out.push((
                Line::from(span(
                    crate::tr!(lang, "tls-connection-heading", conn = conn),
                    t.title,
                )),
                None,
            ));
        }
        let who = match dir {
            Direction::ClientToServer => format!("{client} →"),
            Direction::ServerToClient => format!("← {server}"),
        };
        // Both directions as wide, so the names line up in any language.
        let who = format!("{who}{}", " ".repeat(who_width.saturating_sub(who.width())));
        let bar = if i + 1 == n || starts_at(i + 1).is_some() {
            "└"
        } else {
            "├"
        };
        if let TlsStep::Message(s) = step {
            let this = step_no;
            step_no += 1;
            let chosen = selected == Some(this);
            let (eaves, sealed) = eavesdropper_words(m, i, lang);
            let name = format!("{:<name_width$}", s.name());
            out.push((
                Line::from(vec![
                    span(
                        format!("{} {who} ", if chosen { "▶" } else { bar }),
                        if chosen { t.key } else { t.dim },
                    ),
                    span(name, if chosen { t.selected } else { t.accent }),
                    span(" ", t.text),
                    span(eaves, if sealed { t.locked } else { t.text }),
                ]),
                Some(this),
            ));
            continue;
        }
        out.push((
            Line::from(vec![
                span(format!("{bar} {who} "), t.dim),
                span(step_words(step, lang), t.accent),
            ]),
            None,
        ));
    }
    out
}

/// The lines under the timeline: what was negotiated, the certificate,
/// its check and the secrets.
fn summary_lines(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let m = &app.tls;
    let lang = app.lesson.lang;
    let mut out = Vec::new();
    // The labels are padded to one width in code, so the values line up
    // whatever the language's words.
    let labels = [
        crate::tr!(lang, "tls-label-negotiated"),
        crate::tr!(lang, "tls-label-certificate"),
        crate::tr!(lang, "tls-label-check"),
        crate::tr!(lang, "tls-label-failed"),
    ];
    let col = labels.iter().map(|l| l.width()).max().unwrap_or(0) + 1;
    let pad = |l: &str| format!("{l}{}", " ".repeat(col.saturating_sub(l.width())));
    let [negotiated, certificate, check, failed] = &labels;
    if let Some(p) = &m.params {
        out.push(Line::default());
        out.push(Line::from(vec![
            span(pad(negotiated), t.title),
            span(p.to_string(), t.text),
        ]));
    }
    for (i, (subject, issuer)) in m.chain.iter().enumerate() {
        out.push(Line::from(vec![
            span(pad(if i == 0 { certificate } else { "" }), t.title),
            span(
                crate::tr!(
                    lang,
                    "tls-certificate-issued-by",
                    subject = subject,
                    issuer = issuer
                ),
                t.text,
            ),
        ]));
    }
    if let Some(v) = &m.verification {
        let style = if *v == crate::lab::Trust::InsecureAcceptAny {
            t.err
        } else {
            t.good
        };
        out.push(Line::from(vec![
            span(pad(check), t.title),
            span(crate::lab::describe::trust_checked(v, lang), style),
        ]));
    }
    if let Some(f) = &m.failed {
        out.push(Line::from(vec![
            span(pad(failed), t.err),
            span(crate::lab::describe::tls_failure(f, lang), t.err),
        ]));
    }
    if !m.secrets.is_empty() {
        out.push(Line::default());
        out.push(Line::from(span(
            crate::tr!(lang, "tls-secrets-heading"),
            t.title,
        )));
        for (label, secret) in &m.secrets {
            out.push(Line::from(vec![
                span(format!("  {label} "), t.text),
                span(clip(secret, 24), t.dim),
            ]));
        }
    }
    out
}

impl Widget for &TlsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // The keys that choose a step and open its bytes, where they work.
        let keys = if self.focused && !self.app.tls.steps().is_empty() {
            format!(" · {}", crate::tr!(self.app.lesson.lang, "tls-steps-keys"))
        } else {
            String::new()
        };
        let block = frame(self.app, self.theme, Focus::Tls, self.focused, &keys);
        let inner = block.inner(area);
        block.render(area, buf);
        render_scrolled(
            self.app,
            self.theme,
            Focus::Tls,
            lines(self.app, self.theme),
            inner,
            buf,
        );
    }
}
