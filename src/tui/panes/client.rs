//! The client pane: the conversation as the client sees it, and the
//! input line for POP3 commands.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{frame, plain, span};
use crate::lang::Lang;
use crate::tui::app::{App, ClientLine, Focus};
use crate::tui::theme::Theme;

/// The client pane.
pub struct ClientPane<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
    /// It has focus.
    pub focused: bool,
}

/// The conversation's lines, worded in the lesson's language.
pub fn lines(app: &App, t: &Theme) -> Vec<Line<'static>> {
    let lang = app.lesson.lang;
    let mut out = Vec::new();
    // A replay has no client: what it shows here, if anything, is what
    // the recording holds of one.
    if app.replay.is_some() {
        out.push(Line::from(span(
            crate::tr!(lang, "client-replay"),
            t.accent,
        )));
    }
    if let Some(e) = &app.lab_error {
        out.push(Line::from(span(
            crate::tr!(lang, "client-lab-error", error = e),
            t.err,
        )));
    }
    for l in &app.client.lines {
        line(l, lang, t, &mut out);
    }
    if out.is_empty() {
        out.push(Line::from(span(crate::tr!(lang, "client-starting"), t.dim)));
    }
    out
}

/// One line of the conversation (an event may take two). The marks
/// before the text (`C:`, `S:`, `!`, `✓`) are the same in every language.
fn line(l: &ClientLine, lang: Lang, t: &Theme, out: &mut Vec<Line<'static>>) {
    use crate::lab::describe::Tone;
    let err = |s: String| Line::from(vec![span("!  ", t.err), span(s, t.err)]);
    let good = |s: String| Line::from(vec![span("✓  ", t.good), span(s, t.good)]);
    let one =
        match l {
            ClientLine::Step(step) => Line::from(span(
                format!("▶ {}", crate::lab::describe::demo_step(*step, lang)),
                t.dim,
            )),
            ClientLine::Event(e) => {
                out.extend(crate::lab::describe::client_lines(e, lang).into_iter().map(
                    |(tone, s)| match tone {
                        Tone::Info => Line::from(span(s, t.dim)),
                        Tone::Good => good(s),
                        Tone::Bad => err(s),
                    },
                ));
                return;
            }
            ClientLine::Sent(s) => Line::from(vec![span("C: ", t.dim), span(s.clone(), t.sent)]),
            ClientLine::Ok(s) => Line::from(vec![span("S: ", t.dim), span(s.clone(), t.ok)]),
            ClientLine::Err(s) => err(s.clone()),
            ClientLine::Header(h) => {
                let mut spans = vec![span("   ", t.text)];
                spans.extend(h.spans(t));
                Line::from(spans)
            }
            ClientLine::Body(s) => Line::from(vec![span("   ", t.text), span(s.clone(), t.text)]),
            ClientLine::Attachment {
                name,
                content_type,
                size,
            } => {
                let name = name
                    .clone()
                    .unwrap_or_else(|| crate::tr!(lang, "client-attachment-no-name"));
                Line::from(vec![
                    span(
                        format!("   {} ", crate::tr!(lang, "client-attachment-label")),
                        t.dim,
                    ),
                    span(
                        crate::tr!(
                            lang,
                            "client-attachment",
                            name = name,
                            kind = content_type,
                            size = *size
                        ),
                        t.accent,
                    ),
                ])
            }
        };
    out.push(one);
}

impl Widget for &ClientPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        // The client's policies decide what an attacker gets, so they
        // stay in sight above the conversation they shape.
        let s = &app.scenario;
        let lang = app.lesson.lang;
        // A replay has no client, so no policies and no input line.
        let policy = if app.replay.is_some() {
            String::new()
        } else {
            format!(
                " · {} · {}{}",
                if s.require_tls {
                    crate::tr!(lang, "client-policy-require-tls")
                } else {
                    crate::tr!(lang, "client-policy-tls-if-offered")
                },
                if s.verify == crate::lab::Trust::InsecureAcceptAny {
                    crate::tr!(lang, "client-policy-any-cert")
                } else {
                    crate::tr!(lang, "client-policy-verify-cert")
                },
                if s.vulnerable_client {
                    format!(" · {}", crate::tr!(lang, "client-policy-vulnerable"))
                } else {
                    String::new()
                }
            )
        };
        let block = frame(app, t, Focus::Client, self.focused, &policy);
        let inner = block.inner(area);
        block.render(area, buf);
        if app.replay.is_some() {
            super::render_scrolled(app, t, Focus::Client, lines(app, t), inner, buf);
            return;
        }
        let [body, rule, input] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        super::render_scrolled(app, t, Focus::Client, lines(app, t), body, buf);
        buf.set_string(
            rule.x,
            rule.y,
            "─".repeat(usize::from(rule.width)),
            t.border,
        );
        // Letters typed in another pane came here: say so on the rule, so
        // nobody wonders where the focus went.
        if app.typing_hint {
            buf.set_string(
                rule.x + 1,
                rule.y,
                crate::tui::text::clip(
                    &format!(" {} ", crate::tr!(lang, "client-typing-hint")),
                    usize::from(rule.width.saturating_sub(2)),
                ),
                t.key,
            );
        }
        let active = self.focused && app.input_active;
        let mut spans = vec![span("pop3> ", if active { t.accent } else { t.dim })];
        let shown = app.input_shown();
        if active {
            // The cursor is drawn as the character under it in reverse, or
            // a block after the end of the line.
            let before: String = shown.chars().take(app.cursor).collect();
            let mut rest = shown.chars().skip(app.cursor);
            spans.push(span(before, t.text));
            match rest.next() {
                Some(c) => {
                    spans.push(span(c.to_string(), t.text.add_modifier(Modifier::REVERSED)));
                    spans.push(span(rest.collect::<String>(), t.text));
                }
                None => spans.push(span("█", t.accent)),
            }
        } else {
            spans.push(span(shown, t.text));
        }
        if !active && app.input.is_empty() {
            spans.push(span(
                if self.focused {
                    crate::tr!(lang, "client-input-hint-focused")
                } else {
                    crate::tr!(lang, "client-input-hint")
                },
                t.dim,
            ));
        }
        Line::from(spans).render(input, buf);
    }
}

/// `line` with every case-insensitive occurrence of `query` in the style
/// `matched` laid over the style the text already has, so colours the
/// search style does not set (and the rest of the line) stay as they were.
pub fn mark_matches(line: Line<'static>, query: &str, matched: Style) -> Line<'static> {
    let ranges = find_all(&plain(&line), query);
    if ranges.is_empty() {
        return line;
    }
    let mut spans = Vec::with_capacity(line.spans.len() + 2 * ranges.len());
    let mut offset = 0;
    for s in line.spans {
        let text = s.content.as_ref();
        let (from, to) = (offset, offset + text.len());
        offset = to;
        // The cut points inside this span: its ends and the ends of every
        // match that overlaps it.
        let mut cuts = vec![from, to];
        for &(a, b) in &ranges {
            for c in [a, b] {
                if c > from && c < to {
                    cuts.push(c);
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        for w in cuts.windows(2) {
            let piece = &text[w[0] - from..w[1] - from];
            let hit = ranges.iter().any(|&(a, b)| a <= w[0] && w[1] <= b);
            let style = if hit { s.style.patch(matched) } else { s.style };
            spans.push(Span::styled(piece.to_string(), style));
        }
    }
    Line {
        style: line.style,
        alignment: line.alignment,
        spans,
    }
}

/// The byte ranges of `text` where `query` occurs, ignoring case, without
/// overlaps. Lower-casing can change a character's length in bytes, so the
/// search runs on a lower-cased copy that remembers where each of its bytes
/// came from.
fn find_all(text: &str, query: &str) -> Vec<(usize, usize)> {
    let q = query.to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let mut lower = String::with_capacity(text.len());
    // For each byte of `lower`: the start and end of the original character.
    let mut origin = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        for l in c.to_lowercase() {
            lower.push(l);
            origin.extend(std::iter::repeat_n((i, end), l.len_utf8()));
        }
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (at, _) in lower.match_indices(&q) {
        let start = origin[at].0;
        let end = origin[at + q.len() - 1].1;
        if out.last().is_none_or(|&(_, e)| start >= e) {
            out.push((start, end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    #[test]
    fn a_match_across_spans_keeps_each_spans_colour() {
        let red = Style::new().fg(Color::Red);
        let blue = Style::new().fg(Color::Blue);
        let hit = Style::new().bg(Color::Yellow);
        let line = Line::from(vec![
            Span::styled("Subject: 来週", red),
            Span::styled("のクラス", blue),
        ]);
        let out = mark_matches(line, "週のク", hit);
        let got: Vec<(&str, Style)> = out
            .spans
            .iter()
            .map(|s| (s.content.as_ref(), s.style))
            .collect();
        assert_eq!(
            got,
            [
                ("Subject: 来", red),
                ("週", red.patch(hit)),
                ("のク", blue.patch(hit)),
                ("ラス", blue),
            ]
        );
    }

    #[test]
    fn matching_ignores_case_even_when_lowercase_changes_length() {
        // 'İ' lower-cases to two characters, which must not shift the match.
        assert_eq!(find_all("İx TANAKA", "tanaka"), [(4, 10)]);
        assert_eq!(find_all("aaaa", "aa"), [(0, 2), (2, 4)]);
        assert!(find_all("abc", "").is_empty());
    }
}
