//! Markdown as styled terminal lines, for the lesson pane.
//!
//! [`render`] turns a lesson's Markdown into ratatui lines no wider than
//! the pane: headings, emphasis, code spans, nested lists with a hanging
//! indent, block quotes, rules, links (the address shown dim after the
//! text), tables drawn with box-drawing characters, and fenced code blocks
//! coloured with syntect behind a left bar.
//!
//! The wrapping is done here rather than by ratatui's `Paragraph` because
//! lessons are half Japanese: Japanese has no spaces, so a line may break
//! between any two wide characters, except that closing punctuation such
//! as "。" and "、" must not start a line (the kinsoku rule), and a line
//! break in the source between two Japanese characters must not turn into
//! a space. Widths are display columns as unicode-width counts them, the
//! same measure ratatui lays text out with.
//!
//! Nothing here panics on any input: every line is checked against the
//! width before it is returned, and a property test feeds it random text.

use std::sync::OnceLock;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::parsing::{SyntaxDefinition, SyntaxReference, SyntaxSet, SyntaxSetBuilder};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::highlight;
use super::text::sanitize;
use super::theme::Theme;

/// `md` as lines at most `width` columns wide, styled with `theme`.
/// A width of 0 gives no lines.
pub fn render(md: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let width = usize::from(width);
    if width == 0 {
        return Vec::new();
    }
    let mut r = Renderer::new(width, theme);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(md, options) {
        r.event(event);
    }
    r.finish()
}

/// Load the code-block grammars and colour themes now, so the first code
/// block shown does not pay for it. Calling it is optional.
pub fn warm_up() {
    let _ = grammars();
    highlight::warm_up();
}

/// A piece of inline content waiting to be wrapped.
#[derive(Debug, Clone)]
enum Piece {
    /// Text in one style, already free of control characters.
    Text(String, Style),
    /// A line break in the source: a space, or nothing between two
    /// Japanese characters.
    Soft,
    /// A forced line break.
    Hard,
}

/// Something that puts a prefix before each of its lines: a list item
/// (its marker on the first line, blanks of the same width after) or a
/// block quote (a bar on every line).
struct Container {
    first: Vec<Span<'static>>,
    rest: Vec<Span<'static>>,
    used: bool,
}

/// A fenced or indented code block being collected.
struct Code {
    lang: String,
    text: String,
}

/// A table being collected: rows of cells of inline pieces.
struct Table {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<Vec<Piece>>>,
    /// How many of the rows are header rows (0 or 1).
    head: usize,
    /// The cell being filled, if any.
    cell: Option<Vec<Piece>>,
}

struct Renderer<'t> {
    theme: &'t Theme,
    width: usize,
    out: Vec<Line<'static>>,
    /// The paragraph, heading or list item text being collected.
    inline: Vec<Piece>,
    /// Inline styles in force (emphasis, links, headings), innermost last.
    styles: Vec<Style>,
    containers: Vec<Container>,
    /// The open lists, innermost last: the next number of an ordered one.
    lists: Vec<Option<u64>>,
    /// The open links: where their text starts in the current target and
    /// their address.
    links: Vec<(usize, String)>,
    code: Option<Code>,
    table: Option<Table>,
    /// Inside an HTML comment that spans several HTML events.
    in_comment: bool,
    /// A blank line is due before the next block.
    gap: bool,
}

impl<'t> Renderer<'t> {
    fn new(width: usize, theme: &'t Theme) -> Renderer<'t> {
        Renderer {
            theme,
            width,
            out: Vec::new(),
            inline: Vec::new(),
            styles: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            links: Vec::new(),
            code: None,
            table: None,
            in_comment: false,
            gap: false,
        }
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.flush();
        if let Some(code) = self.code.take() {
            self.code_block(&code);
        }
        if let Some(table) = self.table.take() {
            self.table_block(table);
        }
        self.out
    }

    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(self.theme.text, |acc, s| acc.patch(*s))
    }

    /// Code spans: the status bar's colours, a subtle background in every
    /// theme (and reverse video without colour).
    fn code_style(&self) -> Style {
        self.style().patch(self.theme.status)
    }

    /// Where inline pieces go: the table cell being filled, or the text.
    fn target(&mut self) -> &mut Vec<Piece> {
        match &mut self.table {
            Some(Table {
                cell: Some(cell), ..
            }) => cell,
            _ => &mut self.inline,
        }
    }

    fn push(&mut self, piece: Piece) {
        self.target().push(piece);
    }

    fn push_text(&mut self, text: &str, style: Style) {
        let text = clean(text);
        if !text.is_empty() {
            self.push(Piece::Text(text, style));
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(s) => {
                if let Some(code) = &mut self.code {
                    code.text.push_str(&s);
                } else {
                    self.push_text(&s, self.style());
                }
            }
            Event::Code(s) | Event::InlineMath(s) | Event::DisplayMath(s) => {
                self.push_text(&s, self.code_style());
            }
            Event::Html(s) | Event::InlineHtml(s) => self.html(&s),
            Event::FootnoteReference(s) => self.push_text(&format!("[^{s}]"), self.theme.dim),
            Event::SoftBreak => self.push(Piece::Soft),
            Event::HardBreak => self.push(Piece::Hard),
            Event::Rule => {
                self.flush();
                let rule = "─".repeat(self.avail());
                self.emit(vec![Span::styled(rule, self.theme.dim)]);
                self.gap = true;
            }
            Event::TaskListMarker(done) => {
                let mark = if done { "[x] " } else { "[ ] " };
                self.push_text(mark, self.theme.accent);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {}
            Tag::Heading { .. } => {
                self.flush();
                self.styles
                    .push(self.theme.accent.add_modifier(Modifier::BOLD));
            }
            Tag::BlockQuote(_) => {
                // The blank line before a quote is outside it.
                self.flush();
                self.emit_gap();
                let bar = vec![Span::styled("│ ", self.theme.dim)];
                self.containers.push(Container {
                    first: bar.clone(),
                    rest: bar,
                    used: false,
                });
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(Code {
                    lang,
                    text: String::new(),
                });
            }
            Tag::List(start) => {
                self.flush();
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                self.emit_gap();
                let marker = self.marker();
                let blank = " ".repeat(marker.width());
                self.containers.push(Container {
                    first: vec![Span::styled(marker, self.theme.accent)],
                    rest: vec![Span::raw(blank)],
                    used: false,
                });
            }
            Tag::Table(aligns) => {
                self.flush();
                self.table = Some(Table {
                    aligns,
                    rows: Vec::new(),
                    head: 0,
                    cell: None,
                });
            }
            Tag::TableHead => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
                self.styles.push(Style::new().add_modifier(Modifier::BOLD));
            }
            Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(t) = &mut self.table {
                    t.cell = Some(Vec::new());
                }
            }
            Tag::Emphasis => self
                .styles
                .push(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.styles.push(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Superscript | Tag::Subscript => self.styles.push(Style::new()),
            Tag::Link { dest_url, .. } => {
                let at = self.target().len();
                self.links.push((at, dest_url.to_string()));
                self.styles
                    .push(self.theme.accent.add_modifier(Modifier::UNDERLINED));
            }
            Tag::Image { .. } => {
                self.styles.push(self.theme.dim);
                self.push_text("[", self.style());
            }
            Tag::HtmlBlock
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => self.flush(),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => {
                self.flush();
                self.gap = true;
            }
            TagEnd::Heading(level) => {
                self.styles.pop();
                self.flush();
                if level == HeadingLevel::H1 {
                    let rule = "━".repeat(self.avail());
                    self.emit(vec![Span::styled(rule, self.theme.accent)]);
                }
                self.gap = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.containers.pop();
                self.gap = true;
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.code_block(&code);
                }
                self.gap = true;
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                // A nested list ends inside its item; only the outermost
                // list is a block of its own with room after it.
                if self.lists.is_empty() {
                    self.gap = true;
                }
            }
            TagEnd::Item => {
                self.flush();
                // An empty item still shows its marker.
                if self.containers.last().is_some_and(|c| !c.used) {
                    self.emit(Vec::new());
                }
                self.containers.pop();
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.table_block(table);
                }
                self.gap = true;
            }
            TagEnd::TableHead => {
                self.styles.pop();
                if let Some(t) = &mut self.table {
                    t.head = t.rows.len();
                }
            }
            TagEnd::TableRow => {}
            TagEnd::TableCell => {
                if let Some(t) = &mut self.table {
                    let cell = t.cell.take().unwrap_or_default();
                    if let Some(row) = t.rows.last_mut() {
                        row.push(cell);
                    }
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some((at, url)) = self.links.pop() {
                    self.link_address(at, &url);
                }
            }
            TagEnd::Image => {
                self.push_text("]", self.style());
                self.styles.pop();
            }
            TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => {
                self.flush();
                self.gap = true;
            }
        }
    }

    /// After a link's text, its address in dim, unless the text already
    /// is the address or the link points inside the page.
    fn link_address(&mut self, at: usize, url: &str) {
        let text: String = self
            .target()
            .get(at..)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| match p {
                Piece::Text(s, _) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let url = clean(url);
        let text = text.trim();
        if url.is_empty()
            || url.starts_with('#')
            || text == url
            || text == url.trim_start_matches("mailto:")
        {
            return;
        }
        self.push_text(&format!(" ({url})"), self.theme.dim);
    }

    /// HTML is shown as it is, dim, except comments, which a teacher may
    /// leave in a lesson for other teachers.
    fn html(&mut self, s: &str) {
        if self.in_comment || s.trim_start().starts_with("<!--") {
            self.in_comment = !s.contains("-->");
            return;
        }
        let mut lines = s.split('\n').peekable();
        while let Some(line) = lines.next() {
            self.push_text(line, self.theme.dim);
            if lines.peek().is_some_and(|next| !next.is_empty()) {
                self.push(Piece::Hard);
            }
        }
    }

    /// The marker of a new list item: a bullet that changes with depth,
    /// or the next number.
    fn marker(&mut self) -> String {
        let depth = self.lists.len();
        match self.lists.last_mut() {
            Some(Some(n)) => {
                let m = format!("{n}. ");
                *n = n.saturating_add(1);
                m
            }
            _ => match depth {
                0 | 1 => "• ",
                2 => "◦ ",
                _ => "▪ ",
            }
            .to_string(),
        }
    }

    /// How wide the prefixes of the open containers are, leaving at least
    /// one column for the text however deep the nesting.
    fn prefix_width(&self) -> usize {
        let w: usize = self.containers.iter().map(|c| spans_width(&c.rest)).sum();
        w.min(self.width.saturating_sub(1))
    }

    /// The columns left for the text.
    fn avail(&self) -> usize {
        self.width - self.prefix_width()
    }

    /// Wrap the collected text and emit it.
    fn flush(&mut self) {
        let pieces = std::mem::take(&mut self.inline);
        if pieces.is_empty() {
            return;
        }
        for line in wrap(&pieces, self.avail(), false) {
            self.emit(line);
        }
    }

    /// The blank line due before a block, if one is: it keeps the bars of
    /// the quotes around it.
    fn emit_gap(&mut self) {
        if self.gap && !self.out.is_empty() {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for c in &self.containers {
                spans.extend(c.rest.iter().cloned());
            }
            let mut spans = clip(spans, self.prefix_width());
            trim_end(&mut spans);
            self.out.push(Line::from(spans));
        }
        self.gap = false;
    }

    /// One line of output: the containers' prefixes, then `body`, which
    /// must fit in [`Renderer::avail`] columns.
    fn emit(&mut self, body: Vec<Span<'static>>) {
        self.emit_gap();
        let budget = self.prefix_width();
        let mut spans: Vec<Span<'static>> = Vec::new();
        for c in &mut self.containers {
            if c.used {
                spans.extend(c.rest.iter().cloned());
            } else {
                spans.extend(c.first.iter().cloned());
                c.used = true;
            }
        }
        let mut spans = clip(spans, budget);
        spans.extend(body);
        self.out.push(Line::from(clip(spans, self.width)));
    }

    /// A code block: coloured by its fence's language, behind a bar, long
    /// lines wrapped at the edge with their indentation kept.
    fn code_block(&mut self, code: &Code) {
        let avail = self.avail();
        let bar = avail >= 4;
        let inner = if bar { avail - 2 } else { avail };
        for runs in highlight_code(&code.lang, &code.text, self.theme) {
            let pieces: Vec<Piece> = runs.into_iter().map(|(t, s)| Piece::Text(t, s)).collect();
            let mut lines = wrap(&pieces, inner, true);
            if lines.is_empty() {
                lines.push(Vec::new());
            }
            for line in lines {
                let mut spans = Vec::new();
                if bar {
                    spans.push(Span::styled("▌ ", self.theme.border));
                }
                spans.extend(line);
                self.emit(spans);
            }
        }
    }

    /// A table with box-drawing borders. Columns take their natural width
    /// when the table fits; otherwise the widest give way first and their
    /// cells wrap. Too narrow even for that, the rows become lines of
    /// cells separated by bars.
    fn table_block(&mut self, table: Table) {
        let ncols = table
            .rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(table.aligns.len());
        if ncols == 0 {
            return;
        }
        let avail = self.avail();
        let pad = if avail > 4 * ncols {
            1
        } else if avail > 2 * ncols {
            0
        } else {
            self.table_as_text(&table);
            return;
        };
        let budget = avail - (ncols + 1) - 2 * pad * ncols;
        let natural: Vec<usize> = (0..ncols)
            .map(|c| {
                table
                    .rows
                    .iter()
                    .filter_map(|row| row.get(c))
                    .map(|cell| natural_width(cell))
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        let widths = shrink(&natural, budget);
        let border = self.theme.border;
        let rule = |l: &str, m: &str, r: &str| {
            let mut s = String::from(l);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    s.push_str(m);
                }
                s.push_str(&"─".repeat(w + 2 * pad));
            }
            s.push_str(r);
            vec![Span::styled(s, border)]
        };
        self.emit(rule("┌", "┬", "┐"));
        for (ri, row) in table.rows.iter().enumerate() {
            if ri == table.head && ri > 0 {
                self.emit(rule("├", "┼", "┤"));
            }
            let cells: Vec<Vec<Vec<Span<'static>>>> = widths
                .iter()
                .enumerate()
                .map(|(c, &w)| row.get(c).map(|p| wrap(p, w, false)).unwrap_or_default())
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
            for k in 0..height {
                let mut spans = vec![Span::styled("│", border)];
                for (c, &w) in widths.iter().enumerate() {
                    let line = cells
                        .get(c)
                        .and_then(|lines| lines.get(k))
                        .cloned()
                        .unwrap_or_default();
                    let extra = w.saturating_sub(spans_width(&line));
                    let (left, right) = match table.aligns.get(c) {
                        Some(Alignment::Right) => (extra, 0),
                        Some(Alignment::Center) => (extra / 2, extra - extra / 2),
                        _ => (0, extra),
                    };
                    spans.push(Span::raw(" ".repeat(pad + left)));
                    spans.extend(line);
                    spans.push(Span::raw(" ".repeat(right + pad)));
                    spans.push(Span::styled("│", border));
                }
                self.emit(spans);
            }
        }
        self.emit(rule("└", "┴", "┘"));
    }

    fn table_as_text(&mut self, table: &Table) {
        for row in &table.rows {
            let mut pieces = Vec::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    pieces.push(Piece::Text(" │ ".into(), self.theme.border));
                }
                pieces.extend(cell.iter().cloned());
            }
            for line in wrap(&pieces, self.avail(), false) {
                self.emit(line);
            }
        }
    }
}

/// Text from the document made safe to print: line ends become spaces
/// and control characters their visible pictures.
fn clean(s: &str) -> String {
    sanitize(&s.replace(['\r', '\n'], " "))
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

/// The width of a line as both ratatui (span by span) and a terminal (the
/// whole string, where a variation selector may widen the character before
/// it) would measure it.
fn line_width(spans: &[Span<'_>]) -> usize {
    let whole: String = spans.iter().map(|s| s.content.as_ref()).collect();
    whole.width().max(spans_width(spans))
}

/// Cut spans from the end until they fit in `max` columns. Wrapping makes
/// lines that fit already; this is the last guard against characters
/// whose width changes with their neighbours.
fn clip(mut spans: Vec<Span<'static>>, max: usize) -> Vec<Span<'static>> {
    while line_width(&spans) > max {
        let Some(last) = spans.last_mut() else { break };
        let mut s = last.content.to_string();
        if s.pop().is_none() || s.is_empty() {
            spans.pop();
        } else {
            last.content = s.into();
        }
    }
    spans
}

fn trim_end(spans: &mut Vec<Span<'static>>) {
    while let Some(last) = spans.last_mut() {
        let t = last.content.trim_end().to_string();
        if t.is_empty() {
            spans.pop();
        } else {
            last.content = t.into();
            break;
        }
    }
}

/// Characters that must not start a line (closing brackets, small kana,
/// the long vowel mark, and punctuation), after JIS X 4051's kinsoku rules.
fn no_start(c: char) -> bool {
    "、。，．,.:;!?)]}・：；？！゛゜ヽヾゝゞ々ー’”）〕］｝〉》」』】〙〗〟ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ…‥％%"
        .contains(c)
}

/// Characters that must not end a line: opening brackets.
fn no_end(c: char) -> bool {
    "([{‘“（〔［｛〈《「『【〘〖〝".contains(c)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Visible text.
    Word,
    /// A space where a line may break; dropped at the break.
    Space,
    /// A soft break not yet resolved into a space or nothing.
    Soft,
    /// A forced line break.
    Break,
}

/// One character with any zero-width characters after it (combining
/// marks, variation selectors), so a break never separates them.
#[derive(Debug, Clone)]
struct Cluster {
    text: String,
    style: Style,
    width: usize,
    kind: Kind,
}

impl Cluster {
    fn wide(&self) -> bool {
        self.width >= 2
    }
}

fn clusters(pieces: &[Piece], pre: bool) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(s, style) => {
                for c in s.chars() {
                    let c = if c == '\t' || c == '\n' || c == '\r' {
                        ' '
                    } else {
                        c
                    };
                    let w = c.width().unwrap_or(0);
                    if w == 0
                        && let Some(last) = out.last_mut()
                        && last.kind == Kind::Word
                    {
                        last.text.push(c);
                        last.width = last.text.width();
                        continue;
                    }
                    let text = c.to_string();
                    let width = text.width();
                    let kind = if c == ' ' && !pre {
                        Kind::Space
                    } else {
                        Kind::Word
                    };
                    out.push(Cluster {
                        text,
                        style: *style,
                        width,
                        kind,
                    });
                }
            }
            Piece::Soft => out.push(Cluster {
                text: String::new(),
                style: Style::new(),
                width: 0,
                kind: Kind::Soft,
            }),
            Piece::Hard => out.push(Cluster {
                text: String::new(),
                style: Style::new(),
                width: 0,
                kind: Kind::Break,
            }),
        }
    }
    // A source line break between two wide (Japanese) characters joins
    // them; anywhere else it is a space.
    let mut resolved: Vec<Cluster> = Vec::with_capacity(out.len());
    for i in 0..out.len() {
        if out[i].kind != Kind::Soft {
            resolved.push(out[i].clone());
            continue;
        }
        let prev = resolved.last();
        let next = out.get(i + 1);
        let join = matches!((prev, next), (Some(p), Some(n)) if p.kind == Kind::Word && n.kind == Kind::Word && p.wide() && n.wide());
        if !join {
            let style = prev.map(|p| p.style).unwrap_or_default();
            resolved.push(Cluster {
                text: " ".into(),
                style,
                width: 1,
                kind: Kind::Space,
            });
        }
    }
    resolved
}

/// May a line break fall between `a` and `b`, two visible clusters with
/// no space between them? Only next to a wide character, and never before
/// closing or after opening punctuation.
fn can_break(a: &Cluster, b: &Cluster) -> bool {
    let last = a.text.chars().next_back().unwrap_or(' ');
    let first = b.text.chars().next().unwrap_or(' ');
    (a.wide() || b.wide()) && !no_start(first) && !no_end(last)
}

/// Wrap `pieces` into lines of at most `width` columns (at least 1).
///
/// Prose (`pre` false) breaks at spaces, which are dropped at the break,
/// and next to wide characters; a word longer than a line is cut where
/// the line ends. Preformatted text (`pre` true) keeps every space and
/// breaks wherever the line is full.
fn wrap(pieces: &[Piece], width: usize, pre: bool) -> Vec<Vec<Span<'static>>> {
    let width = width.max(1);
    let cls = clusters(pieces, pre);
    let mut lines: Vec<Vec<Cluster>> = Vec::new();
    let mut line: Vec<Cluster> = Vec::new();
    let mut line_w = 0;
    let mut pending: Vec<Cluster> = Vec::new();
    let mut pending_w = 0;
    let mut i = 0;
    while i < cls.len() {
        match cls[i].kind {
            Kind::Break => {
                lines.push(std::mem::take(&mut line));
                line_w = 0;
                pending.clear();
                pending_w = 0;
                i += 1;
            }
            Kind::Space | Kind::Soft => {
                if !line.is_empty() {
                    pending_w += cls[i].width;
                    pending.push(cls[i].clone());
                }
                i += 1;
            }
            Kind::Word => {
                let mut j = i + 1;
                while !pre
                    && j < cls.len()
                    && cls[j].kind == Kind::Word
                    && !can_break(&cls[j - 1], &cls[j])
                {
                    j += 1;
                }
                let atom = &cls[i..j];
                let atom_w: usize = atom.iter().map(|c| c.width).sum();
                if line_w + pending_w + atom_w <= width {
                    line.append(&mut pending);
                    line.extend_from_slice(atom);
                    line_w += pending_w + atom_w;
                } else if atom_w <= width {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    line.extend_from_slice(atom);
                    line_w = atom_w;
                } else {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0;
                    }
                    for c in atom {
                        let c = if c.width > width {
                            // A wide character in a one-column space.
                            Cluster {
                                text: "…".into(),
                                style: c.style,
                                width: 1,
                                kind: Kind::Word,
                            }
                        } else {
                            c.clone()
                        };
                        if line_w + c.width > width {
                            lines.push(std::mem::take(&mut line));
                            line_w = 0;
                        }
                        line_w += c.width;
                        line.push(c);
                    }
                }
                pending.clear();
                pending_w = 0;
                i = j;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(to_spans).collect()
}

fn to_spans(line: Vec<Cluster>) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = None;
    for c in line {
        if style.is_some_and(|s| s != c.style) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(c.style);
        text.push_str(&c.text);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    spans
}

/// The width of a cell on one line (its widest line if it has breaks).
fn natural_width(cell: &[Piece]) -> usize {
    wrap(cell, usize::MAX / 4, false)
        .iter()
        .map(|l| spans_width(l))
        .max()
        .unwrap_or(0)
}

/// Column widths that add up to at most `budget` (which is at least one
/// column each): every column is capped at the same width, the largest
/// cap that fits, and the columns that were cut share what is left over.
fn shrink(natural: &[usize], budget: usize) -> Vec<usize> {
    let total: usize = natural.iter().sum();
    if total <= budget {
        return natural.to_vec();
    }
    let sum_at = |cap: usize| natural.iter().map(|&n| n.min(cap)).sum::<usize>();
    let (mut lo, mut hi) = (1, natural.iter().copied().max().unwrap_or(1));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if sum_at(mid) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut widths: Vec<usize> = natural.iter().map(|&n| n.min(lo)).collect();
    let mut left = budget.saturating_sub(widths.iter().sum());
    for (w, &n) in widths.iter_mut().zip(natural) {
        if left == 0 {
            break;
        }
        if n > *w {
            *w += 1;
            left -= 1;
        }
    }
    widths
}

/// Expand tabs to the next multiple of four columns.
fn expand_tabs(line: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for c in line.chars() {
        if c == '\t' {
            let n = 4 - col % 4;
            out.push_str(&" ".repeat(n));
            col += n;
        } else {
            out.push(c);
            col += c.width().unwrap_or(0);
        }
    }
    out
}

/// The name of the TOML grammar, which syntect's defaults lack.
const TOML_SYNTAX_NAME: &str = "TOML (popscope)";

/// A small grammar for TOML, enough to colour a lesson's front matter
/// shown as an example: comments, table headers, keys, strings, numbers
/// and booleans. Keys use the tag scope so the colourless palette shows
/// them bold, as it does header names.
const TOML_SYNTAX: &str = r#"%YAML 1.2
---
name: TOML (popscope)
file_extensions: [toml]
scope: source.toml
contexts:
  main:
    - match: '#.*$'
      scope: comment.line.number-sign.toml
    - match: '^\s*(\[\[?)([^\]\n]*)(\]\]?)'
      captures:
        1: punctuation.definition.table.toml
        2: entity.name.section.toml
        3: punctuation.definition.table.toml
    - match: '^\s*([A-Za-z0-9_.-]+|"[^"\n]*")\s*(=)'
      captures:
        1: entity.name.tag.toml
        2: keyword.operator.assignment.toml
    - match: '"""'
      push: triple
    - match: '"'
      push: string
    - match: "'[^'\n]*'"
      scope: string.quoted.single.toml
    - match: '\b(true|false)\b'
      scope: constant.language.boolean.toml
    - match: '[+-]?\b[0-9][0-9_]*(\.[0-9_]+)?([eE][+-]?[0-9]+)?\b'
      scope: constant.numeric.toml
  string:
    - meta_scope: string.quoted.double.toml
    - match: '\\.'
      scope: constant.character.escape.toml
    - match: '"'
      pop: true
    - match: '\n'
      pop: true
  triple:
    - meta_scope: string.quoted.triple.toml
    - match: '"""'
      pop: true
"#;

/// The grammars for code blocks, loaded on first use: syntect's defaults
/// (shell, Rust, Python, JSON, YAML and many more) and our TOML.
struct Grammars {
    defaults: SyntaxSet,
    toml: SyntaxSet,
}

fn grammars() -> &'static Grammars {
    static GRAMMARS: OnceLock<Grammars> = OnceLock::new();
    GRAMMARS.get_or_init(|| {
        let mut builder = SyntaxSetBuilder::new();
        builder.add_plain_text_syntax();
        // The grammar is a constant checked by a test; were it ever broken,
        // TOML would show uncoloured rather than take the screen down.
        if let Ok(def) = SyntaxDefinition::load_from_str(TOML_SYNTAX, true, None) {
            builder.add(def);
        }
        Grammars {
            defaults: SyntaxSet::load_defaults_newlines(),
            toml: builder.build(),
        }
    })
}

/// The grammar for a fence's language, or `None` for plain text.
fn syntax_for(lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    let token = lang
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match token.as_str() {
        "" | "text" | "txt" | "plain" | "plaintext" => None,
        "toml" => {
            let g = grammars();
            g.toml
                .find_syntax_by_name(TOML_SYNTAX_NAME)
                .map(|s| (&g.toml, s))
        }
        "sh" | "bash" | "shell" | "zsh" | "console" | "shell-session" | "sh-session" => {
            let g = grammars();
            g.defaults
                .find_syntax_by_token("bash")
                .map(|s| (&g.defaults, s))
        }
        other => {
            let g = grammars();
            g.defaults
                .find_syntax_by_token(other)
                .filter(|s| s.name != "Plain Text")
                .map(|s| (&g.defaults, s))
        }
    }
}

/// A code block's lines as runs of text and style, in the palette that
/// goes with `theme`.
fn highlight_code(lang: &str, text: &str, theme: &Theme) -> Vec<Vec<(String, Style)>> {
    let lines: Vec<String> = text.lines().map(expand_tabs).collect();
    let plain = |line: &str| vec![(sanitize(line), theme.text)];
    let Some((set, syntax)) = syntax_for(lang) else {
        return lines.iter().map(|l| plain(l)).collect();
    };
    let palette = theme.syntax;
    let mut h = HighlightLines::new(syntax, highlight::syntect_theme(palette));
    lines
        .iter()
        .map(|line| {
            // The grammars expect each line to end in a newline; it is
            // parsed but not shown.
            let input = format!("{line}\n");
            match h.highlight_line(&input, set) {
                Ok(regions) => regions
                    .into_iter()
                    .filter_map(|(style, piece)| {
                        let t = sanitize(piece.trim_end_matches('\n'));
                        (!t.is_empty()).then(|| (t, highlight::to_ratatui(style, palette)))
                    })
                    .collect(),
                Err(_) => plain(line),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ThemeName;
    use proptest::prelude::*;
    use ratatui::style::Color;

    fn theme() -> Theme {
        Theme::new(ThemeName::Dark, false)
    }

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn text_at(md: &str, width: u16) -> Vec<String> {
        plain(&render(md, width, &theme()))
    }

    #[test]
    fn english_wraps_at_spaces() {
        assert_eq!(
            text_at("The quick brown fox jumps over the lazy dog", 10),
            ["The quick", "brown fox", "jumps over", "the lazy", "dog"]
        );
    }

    #[test]
    fn a_word_longer_than_the_line_is_cut() {
        assert_eq!(text_at("ab abcdefghij", 4), ["ab", "abcd", "efgh", "ij"]);
    }

    #[test]
    fn styles_survive_the_wrap() {
        let lines = render("**bold words here** plain", 8, &theme());
        let text = plain(&lines);
        assert_eq!(text, ["bold", "words", "here", "plain"]);
        for line in &lines[..3] {
            assert!(
                line.spans[0].style.add_modifier.contains(Modifier::BOLD),
                "{line:?}"
            );
        }
        assert!(
            !lines[3].spans[0]
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    #[test]
    fn japanese_breaks_between_characters() {
        let text = text_at("日本語の文章は空白がなくても折り返せます", 10);
        assert_eq!(
            text,
            ["日本語の文", "章は空白が", "なくても折", "り返せます"]
        );
    }

    #[test]
    fn closing_punctuation_does_not_start_a_line() {
        // A plain character break would put "。" and "」" first on a line.
        let text = text_at("あいうえお。かきくけこ「さしすせ」そ", 10);
        for line in &text {
            let first = line.chars().next().unwrap_or(' ');
            assert!(!no_start(first), "{text:?}");
            assert!(line.width() <= 10, "{text:?}");
        }
        assert_eq!(text[0], "あいうえ");
        assert_eq!(text[1], "お。かきく");
    }

    #[test]
    fn mixed_japanese_and_ascii_break_at_the_seam() {
        let text = text_at("受信にはPOP3を使います", 10);
        assert_eq!(text, ["受信には", "POP3を使い", "ます"]);
    }

    #[test]
    fn soft_breaks_are_spaces_except_inside_japanese() {
        assert_eq!(text_at("hello\nworld", 40), ["hello world"]);
        assert_eq!(text_at("日本語の\n文章", 40), ["日本語の文章"]);
        assert_eq!(text_at("日本語\nPOP3", 40), ["日本語 POP3"]);
    }

    #[test]
    fn hard_breaks_start_a_new_line() {
        assert_eq!(text_at("one\\\ntwo", 40), ["one", "two"]);
    }

    #[test]
    fn headings_are_bold_accent_and_level_one_has_a_rule() {
        let t = theme();
        let lines = render("# Title\n\n## Sub\n\ntext", 12, &t);
        assert_eq!(
            plain(&lines),
            ["Title", "━━━━━━━━━━━━", "", "Sub", "", "text"]
        );
        let s = lines[0].spans[0].style;
        assert_eq!(s.fg, t.accent.fg);
        assert!(s.add_modifier.contains(Modifier::BOLD));
        assert_eq!(lines[3].spans[0].style.fg, t.accent.fg);
    }

    #[test]
    fn nested_lists_hang_their_indent() {
        let md = "- one\n  - two two two\n- three\n\n1. first item here\n2. second";
        assert_eq!(
            text_at(md, 12),
            [
                "• one",
                "  ◦ two two",
                "    two",
                "• three",
                "",
                "1. first",
                "   item here",
                "2. second",
            ]
        );
    }

    #[test]
    fn quotes_rules_and_links() {
        assert_eq!(
            text_at("> quoted words that wrap", 12),
            ["│ quoted", "│ words that", "│ wrap"]
        );
        // The blank line before a quote is outside it, those inside it
        // keep the bar.
        assert_eq!(
            text_at("para\n\n> a\n>\n> b", 12),
            ["para", "", "│ a", "│", "│ b"]
        );
        assert_eq!(text_at("a\n\n---\n\nb", 5), ["a", "", "─────", "", "b"]);
        let t = theme();
        let lines = render(
            "see [RFC 1939](https://www.rfc-editor.org/rfc/rfc1939)",
            80,
            &t,
        );
        assert_eq!(
            plain(&lines),
            ["see RFC 1939 (https://www.rfc-editor.org/rfc/rfc1939)"]
        );
        let url = lines[0]
            .spans
            .iter()
            .find(|s| s.content.contains("https"))
            .unwrap();
        assert_eq!(url.style, t.dim);
        // An address shown as itself is not repeated.
        assert_eq!(
            text_at("<https://example.com>", 80),
            ["https://example.com"]
        );
    }

    #[test]
    fn code_spans_have_their_own_style() {
        let t = theme();
        let lines = render("send `STAT` now", 40, &t);
        let code = lines[0].spans.iter().find(|s| s.content == "STAT").unwrap();
        assert_eq!(code.style.bg, t.status.bg);
    }

    #[test]
    fn html_comments_are_hidden() {
        assert_eq!(
            text_at("<!-- for teachers\nonly -->\n\nshown", 40),
            ["shown"]
        );
    }

    #[test]
    fn tables_get_borders_and_alignment() {
        let md = "| a | bb |\n|---|--:|\n| ccc | d |\n| e | ff |";
        assert_eq!(
            text_at(md, 40),
            [
                "┌─────┬────┐",
                "│ a   │ bb │",
                "├─────┼────┤",
                "│ ccc │  d │",
                "│ e   │ ff │",
                "└─────┴────┘",
            ]
        );
    }

    #[test]
    fn table_columns_are_measured_in_display_width() {
        let md = "| 名前 | 役割 |\n|---|---|\n| MTA | 配送係 |\n| スプール | 待ち行列 |";
        let text = text_at(md, 60);
        let widths: Vec<usize> = text.iter().map(|l| l.width()).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "{text:#?}");
        assert_eq!(text[1], "│ 名前     │ 役割     │");
    }

    #[test]
    fn a_wide_table_shrinks_and_wraps_its_cells() {
        let md = "| port | what |\n|---|---|\n| 995 | POP3 over TLS from the very first byte of the connection |";
        let text = text_at(md, 30);
        assert!(text.len() > 5, "{text:#?}");
        for line in &text {
            assert_eq!(line.width(), 30, "{text:#?}");
        }
        assert!(text.iter().any(|l| l.contains("995")));
        // At three columns there is no room for borders: rows become text.
        let text = text_at(md, 3);
        assert!(text.iter().all(|l| l.width() <= 3), "{text:#?}");
    }

    #[test]
    fn shrink_caps_the_widest_first() {
        assert_eq!(shrink(&[3, 40, 10], 23), vec![3, 10, 10]);
        assert_eq!(shrink(&[3, 40, 10], 100), vec![3, 40, 10]);
        assert_eq!(shrink(&[5, 5, 5], 3), vec![1, 1, 1]);
        assert_eq!(shrink(&[2, 9, 9], 13), vec![2, 6, 5]);
    }

    fn colours(lines: &[Line<'_>]) -> Vec<Color> {
        let mut fgs: Vec<Color> = Vec::new();
        for l in lines {
            for s in &l.spans {
                if s.content.trim().is_empty() || s.content.starts_with('▌') {
                    continue;
                }
                if let Some(c) = s.style.fg
                    && !fgs.contains(&c)
                {
                    fgs.push(c);
                }
            }
        }
        fgs
    }

    #[test]
    fn shell_code_is_coloured() {
        let md = "```sh\n# fetch alice's mail\ncurl -v --user \"alice:wonderland\" pop3://127.0.0.1:1110/\n```";
        let lines = render(md, 80, &theme());
        assert_eq!(lines.len(), 2);
        assert!(plain(&lines)[0].starts_with("▌ # fetch"));
        assert!(colours(&lines).len() > 1, "{lines:#?}");
    }

    #[test]
    fn toml_code_is_coloured_and_text_is_not() {
        let toml = render(
            "```toml\n# a lesson\nid = \"leak\"\nchapter = 8\n```",
            80,
            &theme(),
        );
        assert_eq!(toml.len(), 3);
        assert!(colours(&toml).len() > 1, "{toml:#?}");
        assert!(SyntaxDefinition::load_from_str(TOML_SYNTAX, true, None).is_ok());
        let text = render("```text\nReceived: from a\n```", 80, &theme());
        assert_eq!(plain(&text), ["▌ Received: from a"]);
        assert!(colours(&text).is_empty());
        let unknown = render("```klingon\nqapla'\n```", 80, &theme());
        assert_eq!(plain(&unknown), ["▌ qapla'"]);
    }

    #[test]
    fn long_code_lines_wrap_and_keep_indentation() {
        let text = text_at("```text\n    indented and long\n```", 12);
        assert_eq!(text, ["▌     indent", "▌ ed and lon", "▌ g"]);
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let text = text_at("a\u{1b}[31mred", 40).concat();
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("^[[31mred"));
    }

    fn snippet() -> impl Strategy<Value = String> {
        let parts = vec![
            "# ",
            "## ",
            "### ",
            "- ",
            "* ",
            "1. ",
            "10. ",
            "> ",
            "  ",
            "\n",
            "\n\n",
            "```sh\n",
            "```\n",
            "~~~toml\n",
            "```text\n",
            "| a | b |\n|---|:-:|\n| 1 | 2 |\n",
            "| 名前 | 役割 |\n|--:|---|\n",
            "|",
            "**",
            "*",
            "_",
            "`",
            "~~",
            "[link](http://example.com/a/very/long/url/indeed)",
            "<https://x.y>",
            "![alt](i.png)",
            "<!-- c",
            "-->",
            "<b>",
            "日本語の文章です",
            "。",
            "、",
            "「かぎ」",
            "word ",
            "superlongwordwithoutanyspacesatall ",
            "\t",
            "    code\n",
            "---\n",
            "😀",
            "e\u{301}",
            "\u{FE0F}",
            "©\u{FE0F}",
            "\u{200d}",
            "　",
            "x\\\n",
            "  \n",
            "\u{1b}[31m",
            "\r\n",
            "[^1]",
            "[^1]: note\n",
            "$x$",
            "\\",
        ];
        proptest::collection::vec(proptest::sample::select(parts), 0..40).prop_map(|v| v.concat())
    }

    fn check(md: &str, width: u16) -> Result<(), TestCaseError> {
        for theme in [
            Theme::new(ThemeName::Dark, false),
            Theme::new(ThemeName::Light, true),
        ] {
            for line in render(md, width, &theme) {
                let w = line_width(&line.spans);
                prop_assert!(w <= usize::from(width), "{w} > {width}: {line:?}");
                prop_assert!(line.width() <= usize::from(width));
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn random_text_never_overflows(md in "\\PC{0,300}", width in 1u16..120) {
            check(&md, width)?;
        }

        #[test]
        fn random_markdown_never_overflows(md in snippet(), width in 1u16..120) {
            check(&md, width)?;
        }

        #[test]
        fn any_string_never_overflows(md in any::<String>(), width in 1u16..120) {
            check(&md, width)?;
        }
    }

    #[test]
    fn zero_width_gives_nothing() {
        assert!(render("# hi", 0, &theme()).is_empty());
    }
}
