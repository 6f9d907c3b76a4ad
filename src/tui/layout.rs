//! Where the panes go: a grid when everything fits, tabs when the
//! terminal is small, and a request for more room below 80×24.

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::Focus;

/// The smallest terminal the lab works in.
pub const MIN_SIZE: (u16, u16) = (80, 24);
/// Rows of the step strip in tab mode: a rule and three lines of text.
pub const STEP_STRIP: u16 = 4;
/// From this size on, all four panes are shown at once.
pub const GRID_SIZE: (u16, u16) = (100, 30);

/// How the screen is arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All four panes in a grid.
    Grid,
    /// One pane at a time under a tab bar.
    Tabs,
    /// Too small: only a message.
    TooSmall,
}

/// Every area of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Areas {
    /// The arrangement.
    pub mode: Mode,
    /// Each visible pane and its area.
    pub panes: Vec<(Focus, Rect)>,
    /// The tab bar, in tab mode.
    pub tabs: Option<Rect>,
    /// In tab mode with the lesson open and another pane shown: a strip
    /// under that pane that keeps the current step's text in view.
    pub step: Option<Rect>,
    /// The status bar.
    pub status: Rect,
}

/// Arrange the screen. In tab mode, and when zoomed, only the focused
/// pane is visible. An open lesson takes a column on the left, beside the
/// lab's four panes; in tab mode, when another pane is shown and a step
/// is on (`step`), a strip under it keeps the step's text in view.
pub fn compute(area: Rect, focus: Focus, zoom: bool, lesson: bool, step: bool) -> Areas {
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        return Areas {
            mode: Mode::TooSmall,
            panes: Vec::new(),
            tabs: None,
            step: None,
            status: Rect::default(),
        };
    }
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let grid = area.width >= GRID_SIZE.0 && area.height >= GRID_SIZE.1;
    if !grid {
        // A step that shows another pane must not hide its own words: with
        // one pane at a time, the step's text stays in a strip below it.
        let strip = if lesson && step && focus != Focus::Lesson {
            STEP_STRIP
        } else {
            0
        };
        let [tabs, pane, step] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(strip),
        ])
        .areas(body);
        return Areas {
            mode: Mode::Tabs,
            panes: vec![(focus, pane)],
            tabs: Some(tabs),
            step: (strip > 0).then_some(step),
            status,
        };
    }
    if zoom {
        return Areas {
            mode: Mode::Grid,
            panes: vec![(focus, body)],
            tabs: None,
            step: None,
            status,
        };
    }
    let (lesson_area, body) = if lesson {
        // Wide enough to read a paragraph, never so wide that the lab's
        // panes become unreadable.
        let w = (area.width * 2 / 5).clamp(40, 72);
        let [l, rest] = Layout::horizontal([Constraint::Length(w), Constraint::Min(1)]).areas(body);
        (Some(l), rest)
    } else {
        (None, body)
    };
    // The client and the eavesdropper carry the story, so they get the top
    // row; the server and TLS panes are mostly short summaries. Beside a
    // lesson there is no room for the two side by side, so they are
    // stacked, each as wide as the lab's column.
    // In that stack the server and TLS panes share the bottom row, too
    // small for the maildrop table or the certificate; when one of them
    // has focus (a lesson step points there, or the user went there), the
    // row grows and the focused one takes most of it.
    let small_focused = matches!(focus, Focus::Server | Focus::Tls);
    let (client, wire, bottom) = if body.width < 110 {
        let rows = if small_focused {
            [25, 25, 50]
        } else {
            [36, 34, 30]
        };
        let [client, wire, bottom] = Layout::vertical(rows.map(Constraint::Percentage)).areas(body);
        (client, wire, bottom)
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        let [client, wire] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
        (client, wire, bottom)
    };
    let split = match (lesson, focus) {
        (true, Focus::Server) => [65, 35],
        (true, Focus::Tls) => [35, 65],
        _ => [50, 50],
    };
    let [server, tls] = Layout::horizontal(split.map(Constraint::Percentage)).areas(bottom);
    let mut panes = vec![
        (Focus::Client, client),
        (Focus::Wire, wire),
        (Focus::Server, server),
        (Focus::Tls, tls),
    ];
    if let Some(l) = lesson_area {
        panes.push((Focus::Lesson, l));
    }
    Areas {
        mode: Mode::Grid,
        panes,
        tabs: None,
        step: None,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_pick_the_arrangement() {
        let at = |w, h| compute(Rect::new(0, 0, w, h), Focus::Client, false, false, false);
        assert_eq!(at(79, 30).mode, Mode::TooSmall);
        assert_eq!(at(100, 23).mode, Mode::TooSmall);
        assert_eq!(at(80, 24).mode, Mode::Tabs);
        assert_eq!(at(80, 24).panes.len(), 1);
        assert_eq!(at(120, 36).mode, Mode::Grid);
        assert_eq!(at(120, 36).panes.len(), 4);
        let zoomed = compute(Rect::new(0, 0, 120, 36), Focus::Wire, true, false, false);
        assert_eq!(zoomed.panes, vec![(Focus::Wire, Rect::new(0, 0, 120, 35))]);
        let with_lesson = compute(Rect::new(0, 0, 120, 36), Focus::Client, false, true, false);
        assert_eq!(with_lesson.panes.len(), 5);
        let (_, l) = with_lesson.panes[4];
        assert_eq!((l.x, l.width, l.height), (0, 48, 35));
        assert!(
            with_lesson.panes[..4].iter().all(|(_, r)| r.x >= 48),
            "the lab's panes sit right of the lesson"
        );
        let rect_of = |a: &Areas, f: Focus| a.panes.iter().find(|(p, _)| *p == f).unwrap().1;
        let server_focused = compute(Rect::new(0, 0, 120, 36), Focus::Server, false, true, false);
        let (small, big) = (
            rect_of(&with_lesson, Focus::Server),
            rect_of(&server_focused, Focus::Server),
        );
        assert!(
            big.height > small.height && big.width > small.width,
            "a focused server pane grows beside a lesson: {small:?} → {big:?}"
        );
    }
}
