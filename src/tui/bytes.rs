//! The TLS pane's selection and its byte view: which handshake step is
//! chosen, which of its fields, which containers are folded, and the
//! actions that change them. Drawing is in `panes::bytes`; this is state
//! and its rules, so it is tested without a terminal.

use std::collections::BTreeSet;

use ratatui::layout::{Position, Rect};

use super::app::{App, Focus};
use super::model::tls::StepRef;
use crate::lesson::BytesTarget;
use crate::wire::annotate::Field;

/// What the byte view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The step's bytes, field by field.
    Message,
    /// The connection's key schedule.
    Keys,
}

/// Which step the byte view is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This step.
    Step(StepRef),
    /// The newest connection's step of this name, found when drawn: a
    /// lesson names a step before its connection has made it.
    Named {
        /// `Step::name`.
        name: String,
        /// `Some(true)` for the client's, `Some(false)` the server's,
        /// `None` the server's when both send one.
        client: Option<bool>,
    },
    /// The newest connection, for its key schedule.
    Newest,
}

/// The byte view's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytesView {
    /// The step.
    pub target: Target,
    /// The selected row of the field tree (see [`rows`]).
    pub field: usize,
    /// The containers folded, by their path of part indices from the
    /// message's root.
    pub folded: BTreeSet<Vec<usize>>,
    /// What is shown.
    pub tab: Tab,
    /// How far the key schedule tab is scrolled, in lines.
    pub keys_scroll: u16,
}

impl BytesView {
    fn on(target: Target, tab: Tab) -> BytesView {
        BytesView {
            target,
            field: 0,
            folded: BTreeSet::new(),
            tab,
            keys_scroll: 0,
        }
    }
}

/// One row of the field tree as drawn: a field, how deep it is, and
/// where it is in the tree.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// Containers above it.
    pub depth: usize,
    /// Part indices from the root (empty for the root).
    pub path: Vec<usize>,
    /// The field.
    pub field: &'a Field,
    /// It has parts and they are hidden.
    pub folded: bool,
}

/// The field tree's rows, depth first, without the parts of folded
/// containers.
pub fn rows<'a>(root: &'a Field, folded: &BTreeSet<Vec<usize>>) -> Vec<Row<'a>> {
    fn walk<'a>(
        f: &'a Field,
        path: Vec<usize>,
        folded: &BTreeSet<Vec<usize>>,
        out: &mut Vec<Row<'a>>,
    ) {
        let closed = !f.parts.is_empty() && folded.contains(&path);
        out.push(Row {
            depth: path.len(),
            path: path.clone(),
            field: f,
            folded: closed,
        });
        if !closed {
            for (i, p) in f.parts.iter().enumerate() {
                let mut sub = path.clone();
                sub.push(i);
                walk(p, sub, folded, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Vec::new(), folded, &mut out);
    out
}

/// The row that best names byte `at`: the smallest field holding it.
pub fn row_of_byte(rows: &[Row<'_>], at: usize) -> Option<usize> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| r.field.at <= at && at < r.field.at + r.field.len)
        .min_by_key(|(i, r)| (r.field.len, usize::MAX - i))
        .map(|(i, _)| i)
}

/// What a click landed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// A step's line in the TLS pane (its place among the steps).
    Step(usize),
    /// A row of the byte view's field tree.
    Field(usize),
    /// A byte of the byte view's hex dump.
    Byte(usize),
    /// Somewhere else in the byte view: the click stays there.
    View,
}

/// The keys' context the TLS pane adds, if any: the byte view's while it
/// is open, the step list's while there are steps to choose.
pub fn context(app: &App) -> Option<super::keys::Context> {
    if app.focus != Focus::Tls {
        return None;
    }
    if app.bytes.is_some() {
        Some(super::keys::Context::Bytes)
    } else if !app.tls.steps().is_empty() {
        Some(super::keys::Context::Steps)
    } else {
        None
    }
}

impl App {
    /// The step the byte view is on, found in the TLS model now.
    pub fn bytes_step(&self) -> Option<StepRef> {
        match &self.bytes.as_ref()?.target {
            Target::Step(r) => self.tls.step_index(r).map(|_| r.clone()),
            Target::Named { name, client } => self.tls.named(name, *client),
            Target::Newest => None,
        }
    }

    /// The connection the byte view is about (for the key schedule).
    pub fn bytes_conn(&self) -> Option<u64> {
        match &self.bytes.as_ref()?.target {
            Target::Newest => self.tls.newest_conn(),
            _ => self.bytes_step().map(|s| s.conn),
        }
    }

    /// The chosen step's place among the TLS model's steps: the byte
    /// view's when open, else the pane's selection.
    pub fn tls_selected(&self) -> Option<usize> {
        if self.bytes.is_some() {
            return self.bytes_step().and_then(|r| self.tls.step_index(&r));
        }
        self.tls_sel.as_ref().and_then(|r| self.tls.step_index(r))
    }

    /// Move the pane's selection `by` steps; with none yet, down picks
    /// the first and up the last. Returns false when there is nowhere to
    /// go, so the key can scroll instead.
    pub(crate) fn tls_select(&mut self, by: isize) -> bool {
        let steps = self.tls.steps();
        if steps.is_empty() {
            return false;
        }
        let to = match self.tls_selected() {
            None if by > 0 => 0,
            None => steps.len() - 1,
            Some(i) => {
                let to = i.saturating_add_signed(by).min(steps.len() - 1);
                if to == i {
                    return false;
                }
                to
            }
        };
        self.tls_sel = Some(steps[to].1.clone());
        self.reveal_step(steps[to].0);
        true
    }

    /// Scroll the TLS pane so the timeline entry `at` is in view.
    fn reveal_step(&mut self, at: usize) {
        let theme = super::theme::Theme::new(super::theme::ThemeName::Dark, true);
        let lines = super::panes::tls::timeline_lines(self, &theme);
        let steps = self.tls.steps();
        let Some(want) = steps.iter().position(|(i, _)| *i == at) else {
            return;
        };
        let width = super::panes::inner_width(self, Focus::Tls);
        let mut row = 0;
        for (l, s) in lines {
            if s == Some(want) {
                break;
            }
            row += super::panes::wrap_lines(vec![l], width).len();
        }
        let h = usize::from(super::panes::inner_height(self, Focus::Tls)).max(1);
        let i = Focus::Tls.index();
        if row < self.scroll[i] {
            self.scroll[i] = row;
        } else if row >= self.scroll[i] + h {
            self.scroll[i] = row + 1 - h;
        }
    }

    /// Open the byte view on the pane's selected step (the first step
    /// when none is selected).
    pub(crate) fn bytes_open(&mut self) {
        let steps = self.tls.steps();
        let r = match self.tls_selected() {
            Some(i) => steps[i].1.clone(),
            None => match steps.first() {
                Some((_, r)) => r.clone(),
                None => return,
            },
        };
        self.tls_sel = Some(r.clone());
        self.bytes = Some(BytesView::on(Target::Step(r), Tab::Message));
        self.set_focus_tls();
    }

    /// Close the byte view; the pane keeps the step it showed selected.
    pub(crate) fn bytes_close(&mut self) {
        if let Some(r) = self.bytes_step() {
            self.tls_sel = Some(r);
        }
        self.bytes = None;
    }

    /// Carry out a lesson's `bytes` action.
    pub(crate) fn bytes_lesson(&mut self, t: BytesTarget) {
        match t {
            BytesTarget::Off => self.bytes_close(),
            BytesTarget::Keys => {
                self.bytes = Some(BytesView::on(Target::Newest, Tab::Keys));
                self.set_focus_tls();
            }
            BytesTarget::Step { name, client } => {
                self.bytes = Some(BytesView::on(Target::Named { name, client }, Tab::Message));
                self.set_focus_tls();
            }
        }
    }

    fn set_focus_tls(&mut self) {
        self.focus = Focus::Tls;
        self.input_active = false;
        self.typing_hint = false;
    }

    /// Move the byte view's field selection `by` rows.
    pub(crate) fn bytes_field(&mut self, by: isize) {
        // On the key schedule the same keys scroll its lines, which are
        // longer than the view at most sizes.
        if let Some(v) = &mut self.bytes
            && v.tab == Tab::Keys
        {
            v.keys_scroll = v
                .keys_scroll
                .saturating_add_signed(i16::try_from(by).unwrap_or(0));
            return;
        }
        let Some(step) = self.bytes_step() else {
            return;
        };
        let Some(v) = &mut self.bytes else { return };
        let n = rows(&step.step.fields, &v.folded).len();
        v.field = v.field.saturating_add_signed(by).min(n.saturating_sub(1));
    }

    /// Show the step `by` steps on (any connection's), from the first
    /// field.
    pub(crate) fn bytes_step_by(&mut self, by: isize) {
        let steps = self.tls.steps();
        if steps.is_empty() {
            return;
        }
        let at = self
            .bytes_step()
            .and_then(|r| self.tls.step_index(&r))
            .unwrap_or(0);
        let to = at.saturating_add_signed(by).min(steps.len() - 1);
        let r = steps[to].1.clone();
        self.tls_sel = Some(r.clone());
        if let Some(v) = &mut self.bytes {
            *v = BytesView::on(Target::Step(r), v.tab);
        }
    }

    /// Fold the selected container, or unfold it.
    pub(crate) fn bytes_fold(&mut self) {
        let Some(step) = self.bytes_step() else {
            return;
        };
        let Some(v) = &mut self.bytes else { return };
        let path = {
            let rows = rows(&step.step.fields, &v.folded);
            match rows.get(v.field) {
                Some(r) if !r.field.parts.is_empty() => r.path.clone(),
                _ => return,
            }
        };
        if !v.folded.remove(&path) {
            v.folded.insert(path);
        }
    }

    /// Switch between the step's bytes and the key schedule.
    pub(crate) fn bytes_tab(&mut self) {
        let conn = self.bytes_conn();
        let step = self.bytes_step();
        if let Some(v) = &mut self.bytes {
            v.tab = match v.tab {
                Tab::Message => Tab::Keys,
                Tab::Keys => Tab::Message,
            };
            // The schedule of a lesson's "bytes keys" has no step yet:
            // the newest connection's first one stands for it.
            if v.tab == Tab::Message && step.is_none() && conn.is_some() {
                let first = self
                    .tls
                    .steps()
                    .into_iter()
                    .find(|(_, s)| Some(s.conn) == conn);
                if let Some((_, r)) = first {
                    v.target = Target::Step(r);
                    v.field = 0;
                }
            }
        }
    }

    /// What a click at (x, y) lands on, for the byte view and the TLS
    /// pane's step lines; `None` leaves it to the panes.
    pub fn bytes_hit(&self, x: u16, y: u16) -> Option<Hit> {
        let at = Position::new(x, y);
        let screen = Rect::new(0, 0, self.size.0, self.size.1);
        if self.bytes.is_some() {
            let a = super::panes::bytes::areas(self, screen)?;
            if !a.frame.contains(at) {
                return None;
            }
            let Some(step) = self.bytes_step() else {
                return Some(Hit::View);
            };
            let v = self.bytes.as_ref()?;
            if v.tab != Tab::Message {
                return Some(Hit::View);
            }
            let rows = rows(&step.step.fields, &v.folded);
            if a.tree.contains(at) {
                let start = super::panes::bytes::tree_start(rows.len(), a.tree.height, v.field);
                let i = start + usize::from(y - a.tree.y);
                return Some(if i < rows.len() {
                    Hit::Field(i)
                } else {
                    Hit::View
                });
            }
            if a.hex.contains(at) {
                let sel = rows.get(v.field).map_or(0, |r| r.field.at);
                let len = step.step.bytes.len();
                let first = super::panes::bytes::hex_start(len, a.per_row, a.hex.height, sel);
                let col = usize::from(x - a.hex.x);
                let row = first + usize::from(y - a.hex.y);
                if let Some(c) = col.checked_sub(super::panes::bytes::HEX_OFFSET_COLS)
                    && c / 3 < a.per_row
                    && c % 3 != 2
                {
                    let byte = row * a.per_row + c / 3;
                    if byte < len {
                        return Some(Hit::Byte(byte));
                    }
                }
            }
            return Some(Hit::View);
        }
        let areas = self.areas(screen);
        let (_, rect) = areas.panes.iter().find(|(f, _)| *f == Focus::Tls)?;
        let inner = ratatui::widgets::Block::bordered().inner(*rect);
        if !inner.contains(at) {
            return None;
        }
        let theme = super::theme::Theme::new(super::theme::ThemeName::Dark, true);
        let lines = super::panes::tls::timeline_lines(self, &theme);
        let total = super::panes::line_count(self, Focus::Tls);
        let start = self.scroll[Focus::Tls.index()].min(total.saturating_sub(1));
        let want = start + usize::from(y - inner.y);
        let mut row = 0;
        for (l, s) in lines {
            let n = super::panes::wrap_lines(vec![l], inner.width).len();
            if want < row + n {
                return s.map(Hit::Step);
            }
            row += n;
        }
        None
    }

    /// Act on a click [`App::bytes_hit`] found.
    pub(crate) fn bytes_click(&mut self, x: u16, y: u16) {
        let Some(hit) = self.bytes_hit(x, y) else {
            return;
        };
        match hit {
            Hit::Step(i) => {
                if let Some((_, r)) = self.tls.steps().get(i) {
                    self.tls_sel = Some(r.clone());
                    self.bytes_open();
                }
            }
            Hit::Field(i) => {
                if let Some(v) = &mut self.bytes {
                    v.field = i;
                }
            }
            Hit::Byte(b) => {
                let Some(step) = self.bytes_step() else {
                    return;
                };
                if let Some(v) = &mut self.bytes
                    && let Some(i) = row_of_byte(&rows(&step.step.fields, &v.folded), b)
                {
                    v.field = i;
                }
            }
            Hit::View => {}
        }
    }
}
