//! The lesson pane (the chapter's reading, its steps with their checks
//! shown live, the diagram and the quiz) and the lesson list overlay.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{frame, overlay, render_scrolled, span};
use crate::lesson::{Lang, Lesson, facts};
use crate::tui::app::{App, Focus};
use crate::tui::keys::{CHAPTERS, LANGUAGE};
use crate::tui::lesson::Place;
use crate::tui::theme::Theme;
use crate::tui::{diagram, markdown};

/// The lesson pane.
pub struct LessonPane<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
    /// True when it has focus.
    pub focused: bool,
}

/// Words an explanation may open with that already give the verdict
/// (right, then wrong); then the label is left out rather than said twice.
/// These are not words the pane writes but how the lessons' authors open
/// an explanation, so they stay beside the rule that reads them.
fn own_verdicts(lang: Lang) -> (&'static [&'static str], &'static [&'static str]) {
    match lang {
        Lang::Ja => (&["正解"], &["不正解"]),
        Lang::En => (&["Right", "Correct"], &["Not quite", "Wrong"]),
    }
}

thread_local! {
    /// Rendered Markdown, newest last. The same text at the same width is
    /// drawn on every frame, and highlighting code blocks is the costly
    /// part, so a handful of results are kept.
    static RENDERED: RefCell<Vec<(u64, Vec<Line<'static>>)>> = const { RefCell::new(Vec::new()) };
}

fn md(text: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    width.hash(&mut h);
    format!("{:?}{:?}", theme.text, theme.accent).hash(&mut h);
    let key = h.finish();
    RENDERED.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((_, lines)) = c.iter().find(|(k, _)| *k == key) {
            return lines.clone();
        }
        let lines = markdown::render(text, width, theme);
        if c.len() >= 16 {
            c.remove(0);
        }
        c.push((key, lines.clone()));
        lines
    })
}

/// The pane's lines at this inner width, and the line where each place
/// starts (intro first).
fn build(app: &App, theme: &Theme, width: u16) -> (Vec<Line<'static>>, Vec<(Place, usize)>) {
    let v = &app.lesson;
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut anchors = vec![(Place::Intro, 0)];
    let Some(l) = v.current() else {
        out.push(Line::from(span(
            crate::tr!(v.lang, "lesson-none"),
            theme.dim,
        )));
        return (out, anchors);
    };
    // Inside the chapter the pane's words are in the chapter's language,
    // so a chapter that exists in one language only reads as one text
    // (a note above it says so).
    let lang = l.lang;
    // The title wraps like any text, with the chapter's number in front.
    let number = crate::tr!(lang, "lesson-chapter", n = l.chapter);
    let mut title = wrapped(
        &format!("{number} {}", l.title),
        width,
        theme.title.add_modifier(Modifier::BOLD),
        theme,
    );
    if let Some(first) = title.first_mut() {
        restyle_head(first, number.chars().count(), theme.accent);
    }
    out.extend(title);
    if let Some(note) = crate::lesson::set::only_in_note(l.lang, v.lang) {
        out.extend(wrapped(&note, width, theme.dim, theme));
    }
    out.extend(md(&format!("*{}*", l.question), width, theme));
    out.push(Line::default());
    out.extend(md(&l.body, width, theme));
    if v.place == Place::Intro {
        out.push(Line::default());
        out.extend(wrapped(
            &crate::tr!(lang, "lesson-intro-hint"),
            width,
            theme.key,
            theme,
        ));
    }
    let (steps_shown, quiz_shown) = match v.place {
        Place::Intro => (0, 0),
        Place::Step(s) => (s + 1, 0),
        Place::Quiz(q) => (l.steps.len(), q + 1),
    };
    for (i, step) in l.steps.iter().enumerate().take(steps_shown) {
        let current = v.place == Place::Step(i);
        out.push(Line::default());
        anchors.push((Place::Step(i), out.len()));
        let results = v.step_results(i);
        let done = results
            .as_ref()
            .is_some_and(|r| r.iter().all(|ok| *ok) && !r.is_empty());
        let head_style = if current { theme.selected } else { theme.dim };
        out.push(Line::from(vec![
            span(
                format!(
                    " {} ",
                    crate::tr!(lang, "lesson-step", n = i + 1, total = l.steps.len())
                ),
                head_style,
            ),
            span(if done { " ✓" } else { "" }, theme.good),
        ]));
        let text = md(&step.text, width, theme);
        if current {
            out.extend(text);
        } else {
            out.extend(text.into_iter().map(|line| line.style(theme.dim)));
        }
        if let Some(r) = results {
            for (e, ok) in step.expect.iter().zip(r) {
                let (mark, style) = if ok {
                    ("✓", theme.good)
                } else {
                    ("✗", theme.err)
                };
                let text_style = if current { theme.text } else { theme.dim };
                let mut lines = prefixed(
                    &format!("  {mark} "),
                    &facts::describe(e, l.lang),
                    width,
                    text_style,
                    theme,
                );
                // The mark keeps its own colour; the words follow the step.
                if let Some(first) = lines.first_mut()
                    && let Some(head) = first.spans.first_mut()
                {
                    head.style = style;
                }
                out.extend(lines);
            }
        }
        if current && let Some((d, stage)) = v.diagram() {
            out.push(Line::default());
            out.extend(diagram::draw(d, stage, l.lang, theme, width));
        }
    }
    for (q, question) in l.quiz.iter().enumerate().take(quiz_shown) {
        out.push(Line::default());
        anchors.push((Place::Quiz(q), out.len()));
        out.push(Line::from(span(
            format!(
                " {} ",
                crate::tr!(lang, "lesson-quiz", n = q + 1, total = l.quiz.len())
            ),
            if v.place == Place::Quiz(q) {
                theme.selected
            } else {
                theme.dim
            },
        )));
        out.extend(md(&question.question, width, theme));
        // Answered in this run, or in an earlier one when the lab reopened
        // at this quiz.
        let chosen = v.answers.get(&(l.chapter, q)).copied().or_else(|| {
            v.progress
                .lesson(&l.id)
                .and_then(|p| p.answer(q))
                .map(|a| a.choice)
        });
        for (i, choice) in question.choices.iter().enumerate() {
            let mark = match chosen {
                Some(c) if c == i && i == question.answer => "✓",
                Some(c) if c == i => "✗",
                Some(_) if i == question.answer => "←",
                _ => " ",
            };
            let style = match chosen {
                Some(c) if c == i && i == question.answer => theme.good,
                Some(c) if c == i => theme.err,
                _ => theme.text,
            };
            out.extend(prefixed(
                &format!("{mark} {}) ", i + 1),
                choice,
                width,
                style,
                theme,
            ));
        }
        if let Some(c) = chosen {
            let right = c == question.answer;
            let why = question.explain.get(c).cloned().unwrap_or_default();
            out.extend(indented(verdict(lang, right, &why, width, theme), 2));
            if !right && let Some(right) = question.explain.get(question.answer) {
                out.extend(indented(
                    md(right, width.saturating_sub(2).max(1), theme)
                        .into_iter()
                        .map(|line| line.style(theme.dim))
                        .collect(),
                    2,
                ));
            }
        }
    }
    let at_end = match v.place {
        Place::Quiz(q) => q + 1 == l.quiz.len(),
        Place::Step(s) => l.quiz.is_empty() && s + 1 == l.steps.len(),
        Place::Intro => l.steps.is_empty() && l.quiz.is_empty(),
    };
    if at_end {
        out.push(Line::default());
        let end = crate::tr!(lang, "lesson-end", list = CHAPTERS);
        out.extend(wrapped(&end, width, theme.key, theme));
    }
    (out, anchors)
}

/// The explanation of the choice made, led by the verdict in its colour.
/// The label is joined to the explanation before wrapping, so the first
/// line is laid out with the label's width in it and no word falls off
/// its end. An explanation that opens with its own verdict ("Right.",
/// 「正解です。」) keeps its words and only that word is coloured: a label
/// in front of it would say the verdict twice.
fn verdict(lang: Lang, right: bool, why: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let (right_own, wrong_own) = own_verdicts(lang);
    let (label, own, style) = if right {
        (crate::tr!(lang, "lesson-right"), right_own, theme.good)
    } else {
        (crate::tr!(lang, "lesson-wrong"), wrong_own, theme.err)
    };
    let (text, head) = match own.iter().find(|word| why.starts_with(**word)) {
        Some(word) => (why.to_string(), word.chars().count()),
        None => (format!("{label}: {why}"), label.chars().count() + 1),
    };
    let mut lines = md(&text, width.saturating_sub(2).max(1), theme);
    if let Some(first) = lines.first_mut() {
        restyle_head(first, head, style);
    }
    lines
}

/// Give the first `n` characters of a line `style`, splitting the span
/// where they end.
fn restyle_head(line: &mut Line<'static>, mut n: usize, style: Style) {
    let mut out = Vec::with_capacity(line.spans.len() + 1);
    for s in line.spans.drain(..) {
        let len = s.content.chars().count();
        if n == 0 {
            out.push(s);
        } else if len <= n {
            n -= len;
            out.push(Span::styled(s.content, s.style.patch(style)));
        } else {
            let cut = s.content.char_indices().nth(n).map_or(0, |(b, _)| b);
            let (a, b) = s.content.split_at(cut);
            out.push(Span::styled(a.to_string(), s.style.patch(style)));
            out.push(Span::styled(b.to_string(), s.style));
            n = 0;
        }
    }
    line.spans = out;
}

/// Lines moved right by `by` columns.
fn indented(lines: Vec<Line<'static>>, by: usize) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .map(|mut line| {
            line.spans.insert(0, Span::raw(" ".repeat(by)));
            line
        })
        .collect()
}

/// One of the pane's own sentences, wrapped to the width in one style.
fn wrapped(text: &str, width: u16, style: Style, theme: &Theme) -> Vec<Line<'static>> {
    md(text, width.max(1), theme)
        .into_iter()
        .map(|mut line| {
            for s in &mut line.spans {
                s.style = style;
            }
            line
        })
        .collect()
}

/// A choice: its number, then its text wrapped under itself.
fn prefixed(
    prefix: &str,
    text: &str,
    width: u16,
    style: Style,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let pw = unicode_width::UnicodeWidthStr::width(prefix) as u16;
    let body = md(text, width.saturating_sub(pw).max(1), theme);
    body.into_iter()
        .enumerate()
        .map(|(i, mut line)| {
            let head = if i == 0 {
                prefix.to_string()
            } else {
                " ".repeat(usize::from(pw))
            };
            line.spans.insert(0, span(head, style));
            line.style(style)
        })
        .collect()
}

/// The pane's lines at the width it gets, for drawing and search.
pub fn lines(app: &App, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    build(app, theme, width).0
}

/// The line where the current place starts, for scrolling it into view.
pub fn place_line(app: &App) -> usize {
    let theme = Theme::new(crate::tui::theme::ThemeName::Dark, true);
    let width = super::inner_width(app, Focus::Lesson);
    let (_, anchors) = build(app, &theme, width);
    anchors
        .iter()
        .rev()
        .find(|(p, _)| *p == app.lesson.place)
        .map(|(_, at)| *at)
        .unwrap_or(0)
}

impl Widget for &LessonPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let v = &app.lesson;
        let lang = v.lang;
        let where_ = match (v.current(), v.place) {
            (Some(l), Place::Step(s)) => format!(
                " · {}",
                crate::tr!(lang, "lesson-step", n = s + 1, total = l.steps.len())
            ),
            (Some(l), Place::Quiz(q)) => format!(
                " · {}",
                crate::tr!(lang, "lesson-quiz", n = q + 1, total = l.quiz.len())
            ),
            _ => String::new(),
        };
        let keys = crate::tr!(lang, "lesson-keys", lang = LANGUAGE, list = CHAPTERS);
        let block = frame(app, t, Focus::Lesson, self.focused, &where_)
            .title_bottom(span(format!(" {keys} "), t.dim));
        let inner = block.inner(area);
        block.render(area, buf);
        let lines = lines(app, t, inner.width);
        render_scrolled(app, t, Focus::Lesson, lines, inner, buf);
    }
}

/// The list of chapters with the learner's progress.
pub struct LessonList<'a> {
    /// What to draw.
    pub app: &'a App,
    /// How.
    pub theme: &'a Theme,
}

fn progress_note(app: &App, l: &Lesson) -> String {
    let Some(p) = app.lesson.progress.lesson(&l.id) else {
        return String::new();
    };
    let mut parts = Vec::new();
    if !l.steps.is_empty() {
        parts.push(format!(
            "{}{}/{}",
            if p.done { "✓ " } else { "" },
            (p.step + 1).min(l.steps.len()),
            l.steps.len()
        ));
    }
    if !l.quiz.is_empty() && !p.answers.is_empty() {
        let right = p.answers.iter().filter(|a| a.right).count();
        parts.push(crate::tr!(
            app.lesson.lang,
            "lesson-list-quiz",
            right = right,
            total = l.quiz.len()
        ));
    }
    parts.join(" · ")
}

impl Widget for &LessonList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let v = &app.lesson;
        let selected = v.list.unwrap_or(0);
        let mut lines = Vec::new();
        for (row, c) in v.chapters().into_iter().enumerate() {
            let Some(l) = v.lesson_of(c) else { continue };
            let style = if row == selected { t.selected } else { t.text };
            let note = progress_note(app, l);
            lines.push(Line::from(vec![
                span(format!("{c:>3}  "), style),
                span(l.title.clone(), style),
                span(format!("  {note}"), t.dim),
            ]));
        }
        let title = crate::tr!(v.lang, "lesson-list-title", lang = LANGUAGE);
        overlay(area, buf, t, 90, &format!(" {title} "), lines);
    }
}

/// The current step's text for the strip under a pane in tab mode: its
/// first `rows` lines at `width`, the last one ending in "…" when more
/// follows (the lesson pane, `5`, has the rest). Empty when no step is
/// on (the introduction or the quiz).
pub(super) fn step_preview(
    app: &App,
    theme: &Theme,
    width: u16,
    rows: usize,
) -> Vec<Line<'static>> {
    let v = &app.lesson;
    let (Some(l), Place::Step(i)) = (v.current(), v.place) else {
        return Vec::new();
    };
    let Some(step) = l.steps.get(i) else {
        return Vec::new();
    };
    let mut lines: Vec<Line<'static>> = md(&step.text, width.max(1), theme)
        .into_iter()
        .filter(|l| l.width() > 0)
        .collect();
    if lines.len() > rows {
        lines.truncate(rows);
        if let Some(last) = lines.last_mut() {
            last.spans.push(Span::styled(" …", theme.key));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ThemeName;

    fn theme() -> Theme {
        Theme::new(ThemeName::Dark, false)
    }

    fn text(lines: &[Line]) -> String {
        lines
            .iter()
            .map(super::super::plain)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_verdict_is_coloured_and_said_once() {
        let t = theme();
        // An explanation with its own verdict keeps it, coloured, and gets
        // no label in front.
        let lines = verdict(Lang::En, true, "Right. PASS carries it.", 40, &t);
        assert_eq!(text(&lines), "Right. PASS carries it.");
        let head = &lines[0].spans[0];
        assert_eq!(head.content, "Right");
        assert_eq!(head.style.fg, t.good.fg);
        // One without gets the label, in the verdict's colour, and the
        // explanation's own first word keeps its style.
        let lines = verdict(Lang::En, false, "USER carries the name only.", 40, &t);
        assert_eq!(text(&lines), "not quite: USER carries the name only.");
        let head = &lines[0].spans[0];
        assert_eq!(head.content, "not quite:");
        assert_eq!(head.style.fg, t.err.fg);
        assert_ne!(lines[0].spans[1].style.fg, t.err.fg);
        // Japanese: 「正解です。」 is the verdict itself.
        let lines = verdict(Lang::Ja, true, "正解です。MX を引きます。", 40, &t);
        assert_eq!(text(&lines), "正解です。MX を引きます。");
        let lines = verdict(Lang::Ja, false, "違います。", 40, &t);
        assert_eq!(text(&lines), "不正解: 違います。");
    }
}
