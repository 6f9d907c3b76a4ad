//! The diagrams of chapters 1 to 4, drawn with box-drawing characters.
//!
//! A diagram is built once per call on a small canvas in which every
//! character belongs to a stage. [`draw`] shows the stages up to the one
//! asked for: the newest stage bold in the accent colour, earlier ones in
//! the ordinary text colour (notes dim), and later ones not drawn at all,
//! so stepping through a lesson makes the picture grow. The canvas keeps
//! its full height at every stage, so the text below a diagram does not
//! move as it grows.
//!
//! Characters are layered: a junction such as "┬" drawn at stage 3 on the
//! bottom edge of a box from stage 2 shows only from stage 3 on, with the
//! plain edge "─" beneath it before that.
//!
//! Every diagram fits in [`WIDTH`] columns in both languages (Japanese
//! characters take two); a test checks each stage.
//!
//! A lesson pane narrower than that (40 columns, the narrowest a class
//! uses) gets the same picture drawn tighter, [`NARROW`] columns wide:
//! the gaps between the boxes and the boxes themselves shrink, and
//! everything written in the diagram is still there. We chose this over
//! stacking the boxes or scrolling sideways because the picture is the
//! lesson: a learner sees the same shape at every width, with nothing to
//! scroll and no half of a box out of sight.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Theme;
use crate::lesson::{Diagram, Lang};

/// The widest any diagram gets, in terminal columns.
pub const WIDTH: usize = 44;

/// The width of the tighter drawing, for panes narrower than [`WIDTH`].
pub const NARROW: usize = 40;

/// `d` drawn up to `stage` (clamped to the diagram's stages), labelled in
/// `lang`, for a pane `width` columns wide: the full drawing where it
/// fits, the tighter one where it does not.
pub fn draw(d: Diagram, stage: u32, lang: Lang, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let stage = stage.clamp(1, d.stages());
    let g = Geo::for_width(usize::from(width));
    let canvas = match d {
        Diagram::MailPath => mail_path(lang, &g),
        Diagram::Protocols => protocols(lang, &g),
        Diagram::LastLeg => last_leg(lang, &g),
        Diagram::PopVsImap => pop_vs_imap(lang, &g),
    };
    canvas.lines(stage, theme)
}

/// What a character is, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Box edges and arrows.
    Edge,
    /// Names in boxes and on arrows.
    Label,
    /// Explanations beside the drawing.
    Note,
    /// A warning (the password on the last leg).
    Warn,
}

#[derive(Debug, Clone, Copy)]
struct Layer {
    /// The character, or `None` for the right half of a wide one.
    glyph: Option<char>,
    /// The stage it appears at.
    stage: u32,
    /// A later stage at which it is highlighted again.
    again: Option<u32>,
    kind: Kind,
}

impl Layer {
    fn style(&self, stage: u32, theme: &Theme) -> Style {
        let newest = self.stage == stage || self.again == Some(stage);
        match (self.kind, newest) {
            (Kind::Warn, _) => theme.err.add_modifier(Modifier::BOLD),
            (_, true) => theme.accent.add_modifier(Modifier::BOLD),
            (Kind::Note, false) => theme.dim,
            (_, false) => theme.text,
        }
    }
}

/// Rounded corners for notes, square ones for boxes.
#[derive(Clone, Copy)]
enum Corners {
    Square,
    Round,
}

struct Canvas {
    /// Columns; what would pass the right edge is left out.
    width: usize,
    /// Rows of cells, each cell a stack of layers, the last on top.
    rows: Vec<Vec<Vec<Layer>>>,
    stage: u32,
    again: Option<u32>,
}

impl Canvas {
    fn new(width: usize) -> Canvas {
        Canvas {
            width,
            rows: Vec::new(),
            stage: 1,
            again: None,
        }
    }

    /// What is drawn next belongs to `stage`.
    fn stage(&mut self, stage: u32) {
        self.stage = stage;
        self.again = None;
    }

    /// What is drawn next is highlighted again at `stage`.
    fn again(&mut self, stage: u32) {
        self.again = Some(stage);
    }

    fn layer(&mut self, row: usize, col: usize, glyph: Option<char>, kind: Kind) {
        if col >= self.width {
            return;
        }
        while self.rows.len() <= row {
            self.rows.push(vec![Vec::new(); self.width]);
        }
        self.rows[row][col].push(Layer {
            glyph,
            stage: self.stage,
            again: self.again,
            kind,
        });
    }

    /// Text from (row, col) rightwards; what would pass the right edge is
    /// left out.
    fn put(&mut self, row: usize, col: usize, text: &str, kind: Kind) {
        let mut col = col;
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if w == 0 {
                continue;
            }
            if col + w > self.width {
                break;
            }
            self.layer(row, col, Some(c), kind);
            if w == 2 {
                self.layer(row, col + 1, None, kind);
            }
            col += w;
        }
    }

    /// A box with its top-left corner at (row, col), `inner` columns
    /// inside, one label per line, centred.
    fn frame(
        &mut self,
        row: usize,
        col: usize,
        inner: usize,
        labels: &[&str],
        corners: Corners,
        kind: Kind,
    ) {
        let [tl, tr, bl, br] = match corners {
            Corners::Square => ["┌", "┐", "└", "┘"],
            Corners::Round => ["╭", "╮", "╰", "╯"],
        };
        let edge = "─".repeat(inner);
        self.put(row, col, &format!("{tl}{edge}{tr}"), Kind::Edge);
        for (i, label) in labels.iter().enumerate() {
            let r = row + 1 + i;
            // The labels are constants; one too wide would cover the edge.
            debug_assert!(label.width() <= inner, "{label:?} is wider than {inner}");
            self.put(r, col, "│", Kind::Edge);
            let left = inner.saturating_sub(label.width()) / 2;
            self.put(r, col + 1 + left, label, kind);
            self.put(r, col + inner + 1, "│", Kind::Edge);
        }
        let bottom = row + labels.len() + 1;
        self.put(bottom, col, &format!("{bl}{edge}{br}"), Kind::Edge);
    }

    fn boxed(&mut self, row: usize, col: usize, inner: usize, labels: &[&str]) {
        self.frame(row, col, inner, labels, Corners::Square, Kind::Label);
    }

    /// A vertical run of `text`'s characters, one per row, from `row` down.
    fn down(&mut self, row: usize, col: usize, text: &str) {
        for (i, c) in text.chars().enumerate() {
            self.put(row + i, col, c.encode_utf8(&mut [0; 4]), Kind::Edge);
        }
    }

    fn lines(&self, stage: u32, theme: &Theme) -> Vec<Line<'static>> {
        let top = |cell: &Vec<Layer>| cell.iter().rev().find(|l| l.stage <= stage).copied();
        self.rows
            .iter()
            .map(|row| {
                let mut cells: Vec<(char, Style)> = Vec::new();
                let mut col = 0;
                while col < row.len() {
                    let mut step = 1;
                    let cell = match top(&row[col]) {
                        Some(l @ Layer { glyph: Some(c), .. }) => {
                            let whole = c.width() != Some(2)
                                || row
                                    .get(col + 1)
                                    .and_then(top)
                                    .is_some_and(|next| next.glyph.is_none());
                            if whole {
                                step = c.width().unwrap_or(1).max(1);
                                (c, l.style(stage, theme))
                            } else {
                                // A wide character whose right half was
                                // drawn over: a blank keeps the columns.
                                (' ', Style::new())
                            }
                        }
                        _ => (' ', Style::new()),
                    };
                    cells.push(cell);
                    col += step;
                }
                while cells.last().is_some_and(|(c, _)| *c == ' ') {
                    cells.pop();
                }
                let mut spans: Vec<Span<'static>> = Vec::new();
                let mut text = String::new();
                let mut style = None;
                for (c, s) in cells {
                    if style.is_some_and(|st| st != s) {
                        spans.push(Span::styled(
                            std::mem::take(&mut text),
                            style.unwrap_or_default(),
                        ));
                    }
                    style = Some(s);
                    text.push(c);
                }
                if !text.is_empty() {
                    spans.push(Span::styled(text, style.unwrap_or_default()));
                }
                Line::from(spans)
            })
            .collect()
    }
}

/// Where the boxes of a two-column diagram go. The full drawing has two
/// columns of boxes 18 wide with 8 columns between; the narrow one has
/// boxes 17 wide with 6 between, which the longest label ("SMTP server
/// MTA", 15 columns) and the arrows' names still fit.
struct Geo {
    /// The canvas's width.
    width: usize,
    /// The left column of the right-hand boxes.
    right: usize,
    /// Columns inside a box.
    inner: usize,
    /// Where vertical arrows run under a left and under a right box.
    left_mid: usize,
    right_mid: usize,
    /// The gap between the columns, where horizontal arrows run.
    gap: usize,
    /// Where the mail path's retry loop runs up, right of its notes.
    retry: usize,
    /// Columns inside the boxes of the POP3/IMAP diagram.
    inner_pop: usize,
}

impl Geo {
    fn for_width(width: usize) -> Geo {
        if width >= WIDTH {
            Geo {
                width: WIDTH,
                right: 26,
                inner: 16,
                left_mid: 8,
                right_mid: 34,
                gap: 18,
                retry: 21,
                inner_pop: 14,
            }
        } else {
            // The vertical arrows under the right boxes run left of the
            // middle, so the words beside them ("ポート25") stay inside.
            Geo {
                width: NARROW,
                right: 23,
                inner: 15,
                left_mid: 8,
                right_mid: 29,
                gap: 17,
                retry: 19,
                inner_pop: 12,
            }
        }
    }

    /// The columns between the two columns of boxes.
    fn between(&self) -> usize {
        self.right - self.gap
    }

    /// An arrow to the right across the gap with `name` on it.
    fn to_right(&self, name: &str) -> String {
        let fill = self.between().saturating_sub(name.width() + 1);
        let (l, r) = (fill - fill / 2, fill / 2);
        format!("{}{name}{}▶", "─".repeat(l), "─".repeat(r))
    }

    /// An arrow to the left across the gap with `name` on it.
    fn to_left(&self, name: &str) -> String {
        let fill = self.between().saturating_sub(name.width() + 1);
        let (l, r) = (fill / 2, fill - fill / 2);
        format!("◀{}{name}{}", "─".repeat(l), "─".repeat(r))
    }
}

fn pick(lang: Lang, en: &'static str, ja: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Ja => ja,
    }
}

/// Chapter 1: the path of one message, a stage at a time.
fn mail_path(lang: Lang, g: &Geo) -> Canvas {
    let t = |en, ja| pick(lang, en, ja);
    let mut c = Canvas::new(g.width);
    c.stage(1);
    c.boxed(0, 0, g.inner, &[t("sender's PC", "送信者のPC")]);
    c.stage(2);
    c.put(1, g.gap, &g.to_right("SMTP"), Kind::Edge);
    c.boxed(
        0,
        g.right,
        g.inner,
        &[t("SMTP server MTA", "SMTPサーバのMTA")],
    );
    c.stage(3);
    c.down(2, g.right_mid, "┬▼");
    c.boxed(4, g.right, g.inner, &[t("spool", "スプール")]);
    // The retry loop: out of the spool, back into it when the destination
    // does not answer.
    c.stage(4);
    c.down(6, g.right_mid, "┬│┤");
    c.put(
        5,
        g.retry,
        &format!("╭{}▶", "─".repeat(g.right - g.retry - 2)),
        Kind::Edge,
    );
    c.down(6, g.retry, "││");
    c.put(
        8,
        g.retry,
        &format!("╰{}", "─".repeat(g.right_mid - g.retry - 1)),
        Kind::Edge,
    );
    let notes = match lang {
        Lang::En => [
            "destination down:",
            "keep it in the",
            "spool and retry",
            "(for days)",
        ],
        Lang::Ja => [
            "宛先が落ちていたら",
            "スプールに保管して",
            "再送を繰り返す",
            "(数日間)",
        ],
    };
    for (i, n) in notes.iter().enumerate() {
        c.put(5 + i, 1, n, Kind::Note);
    }
    c.stage(5);
    c.put(7, g.right_mid + 2, "MX", Kind::Label);
    c.put(8, g.right_mid + 2, t("lookup", "検索"), Kind::Note);
    c.down(9, g.right_mid, "▼");
    c.boxed(10, g.right, g.inner, &[t("destination MTA", "宛先のMTA")]);
    c.stage(6);
    c.put(11, g.gap, &g.to_left(t("store", "保存")), Kind::Edge);
    c.boxed(10, 0, g.inner, &[t("mailbox", "メールボックス")]);
    c.stage(7);
    c.down(12, g.left_mid, "┬│▼");
    c.put(13, g.left_mid + 2, "POP3", Kind::Label);
    c.put(14, g.left_mid + 2, t("port 110", "ポート110"), Kind::Note);
    c.stage(8);
    c.boxed(15, 0, g.inner, &[t("mail reader", "メールソフト")]);
    c
}

/// Chapter 2: which protocol carries each leg, with its port.
fn protocols(lang: Lang, g: &Geo) -> Canvas {
    let t = |en, ja| pick(lang, en, ja);
    let mut c = Canvas::new(g.width);
    c.stage(1);
    c.boxed(0, 0, g.inner, &[t("sender's PC", "送信者のPC")]);
    c.put(1, g.gap, &g.to_right("SMTP"), Kind::Edge);
    c.boxed(
        0,
        g.right,
        g.inner,
        &[t("SMTP server MTA", "SMTPサーバのMTA")],
    );
    c.put(
        3,
        1,
        t("submission 587 / 465", "サブミッション 587/465"),
        Kind::Note,
    );
    c.stage(2);
    c.down(2, g.right_mid, "┬│▼");
    c.put(3, g.right_mid + 2, "SMTP", Kind::Label);
    c.put(4, g.right_mid + 2, t("port 25", "ポート25"), Kind::Note);
    c.boxed(5, g.right, g.inner, &[t("destination MTA", "宛先のMTA")]);
    c.stage(3);
    c.down(7, g.right_mid, "┬▼");
    c.boxed(9, g.right, g.inner, &[t("mailbox", "メールボックス")]);
    c.put(10, g.gap, &g.to_left("POP3"), Kind::Edge);
    c.boxed(9, 0, g.inner, &[t("reader's PC", "受信者のPC")]);
    c.put(12, 1, t("POP3 port 110", "POP3 ポート110"), Kind::Note);
    c
}

/// Chapter 3: the whole path, then the last leg that this course guards.
fn last_leg(lang: Lang, g: &Geo) -> Canvas {
    let t = |en, ja| pick(lang, en, ja);
    let mut c = Canvas::new(g.width);
    c.stage(1);
    c.boxed(0, 0, g.inner, &[t("sender's PC", "送信者のPC")]);
    c.put(1, g.gap, &g.to_right("SMTP"), Kind::Edge);
    c.boxed(
        0,
        g.right,
        g.inner,
        &[t("SMTP server MTA", "SMTPサーバのMTA")],
    );
    c.down(2, g.right_mid, "┬│▼");
    c.put(3, g.right_mid + 2, "SMTP", Kind::Label);
    c.boxed(5, g.right, g.inner, &[t("destination MTA", "宛先のMTA")]);
    c.down(7, g.right_mid, "┬▼");
    c.again(2);
    c.boxed(9, g.right, g.inner, &[t("mailbox", "メールボックス")]);
    c.put(10, g.gap, &g.to_left("POP3"), Kind::Edge);
    c.boxed(9, 0, g.inner, &[t("reader's PC", "受信者のPC")]);
    c.stage(2);
    // The warning points at the middle of the POP3 arrow.
    let under = g.gap + g.between() / 2 - 1;
    c.put(11, under, "▲", Kind::Warn);
    let note = match lang {
        Lang::En => ["The password crosses here", "on every check for mail."],
        Lang::Ja => ["メールを確かめるたびに", "パスワードがここを通る"],
    };
    c.frame(12, 7, 28, &note, Corners::Round, Kind::Warn);
    c.put(12, under, "┴", Kind::Warn);
    c
}

/// Chapter 4: POP3 takes the mail to one PC; IMAP keeps it on the server
/// for every device.
fn pop_vs_imap(lang: Lang, g: &Geo) -> Canvas {
    let t = |en, ja| pick(lang, en, ja);
    let mut c = Canvas::new(g.width);
    // Narrower boxes than the other diagrams, to leave room under the
    // arrows for "ダウンロード" (with a space either side where there is
    // room).
    let inner = g.inner_pop;
    let devices = 12;
    let right = g.width - devices - 2;
    let gap = inner + 2;
    let arrow = right - gap;
    c.stage(1);
    c.put(
        0,
        0,
        t("POP3  port 110 / 995 (TLS)", "POP3  ポート110 / 995 (TLS)"),
        Kind::Label,
    );
    c.boxed(1, 0, inner, &[t("mail server", "メールサーバ")]);
    let label = t("download", "ダウンロード");
    c.put(
        3,
        gap + arrow.saturating_sub(label.width()) / 2,
        label,
        Kind::Label,
    );
    c.put(2, gap, &format!("{}▶", "─".repeat(arrow - 1)), Kind::Edge);
    c.boxed(1, right, devices, &["PC", t("keeps mail", "ここに保存")]);
    c.put(
        5,
        0,
        t("read and kept on one PC", "ダウンロードして1台のPCで読む"),
        Kind::Note,
    );
    c.stage(2);
    c.put(
        7,
        0,
        t("IMAP  port 143 / 993 (TLS)", "IMAP  ポート143 / 993 (TLS)"),
        Kind::Label,
    );
    c.boxed(
        8,
        0,
        inner,
        &[
            t("mail server", "メールサーバ"),
            t("mail stays", "メールは"),
            t("here", "サーバに残る"),
        ],
    );
    for row in 9..12 {
        c.put(
            row,
            gap,
            &format!("◀{}▶", "─".repeat(arrow - 2)),
            Kind::Edge,
        );
    }
    c.boxed(
        8,
        right,
        devices,
        &[
            t("laptop", "ノートPC"),
            t("phone", "スマホ"),
            t("tablet", "タブレット"),
        ],
    );
    c.put(
        13,
        0,
        t("143 is as cleartext as 110", "143も110と同じく平文"),
        Kind::Note,
    );
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ThemeName;

    const ALL: [Diagram; 4] = [
        Diagram::MailPath,
        Diagram::Protocols,
        Diagram::LastLeg,
        Diagram::PopVsImap,
    ];

    const FULL: u16 = WIDTH as u16;

    fn theme() -> Theme {
        Theme::new(ThemeName::Dark, false)
    }

    fn text(lines: &[Line<'_>]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The style of the span holding `needle`.
    fn style_of(lines: &[Line<'_>], needle: &str) -> Style {
        lines
            .iter()
            .flat_map(|l| l.spans.iter())
            .find(|s| s.content.contains(needle))
            .map(|s| s.style)
            .unwrap_or_else(|| panic!("{needle:?} not drawn"))
    }

    #[test]
    fn every_stage_fits_in_44_columns() {
        for theme in [theme(), Theme::new(ThemeName::Dark, true)] {
            for d in ALL {
                for lang in Lang::ALL {
                    for stage in 0..=d.stages() + 1 {
                        for line in draw(d, stage, lang, &theme, FULL) {
                            let s: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                            assert!(s.width() <= WIDTH, "{d:?} {lang:?} {stage}: {s:?}");
                            assert!(line.width() <= WIDTH);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn stages_out_of_range_are_clamped_and_height_is_fixed() {
        let t = theme();
        for d in ALL {
            for lang in Lang::ALL {
                let first = draw(d, 1, lang, &t, FULL);
                let last = draw(d, d.stages(), lang, &t, FULL);
                assert_eq!(draw(d, 0, lang, &t, FULL), first);
                assert_eq!(draw(d, d.stages() + 1, lang, &t, FULL), last);
                assert_eq!(draw(d, u32::MAX, lang, &t, FULL), last);
                for stage in 1..=d.stages() {
                    assert_eq!(draw(d, stage, lang, &t, FULL).len(), last.len());
                }
                assert_ne!(text(&first), text(&last), "{d:?} {lang:?}");
            }
        }
    }

    #[test]
    fn boxes_keep_their_corners() {
        // `frame` also checks, in debug builds, that every label fits.
        for d in ALL {
            for lang in Lang::ALL {
                let s = text(&draw(d, d.stages(), lang, &theme(), FULL));
                for (l, r) in [('┌', '┐'), ('└', '┘')] {
                    assert_eq!(
                        s.matches(l).count(),
                        s.matches(r).count(),
                        "{d:?} {lang:?}\n{s}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_mail_path_grows_one_stage_at_a_time() {
        let t = theme();
        let words = [
            "送信者のPC",
            "SMTPサーバのMTA",
            "スプール",
            "再送",
            "宛先のMTA",
            "メールボックス",
            "POP3",
            "メールソフト",
        ];
        for stage in 1..=8u32 {
            let s = text(&draw(Diagram::MailPath, stage, Lang::Ja, &t, FULL));
            for (i, w) in words.iter().enumerate() {
                assert_eq!(s.contains(w), i < stage as usize, "stage {stage}, {w}\n{s}");
            }
        }
        let en = text(&draw(Diagram::MailPath, 8, Lang::En, &t, FULL));
        for w in [
            "sender's PC",
            "spool",
            "retry",
            "MX",
            "mailbox",
            "POP3",
            "mail reader",
        ] {
            assert!(en.contains(w), "{w}\n{en}");
        }
    }

    #[test]
    fn the_newest_stage_is_highlighted() {
        let t = theme();
        let hot = t.accent.add_modifier(Modifier::BOLD);
        let at3 = draw(Diagram::MailPath, 3, Lang::En, &t, FULL);
        assert_eq!(style_of(&at3, "spool"), hot);
        assert_eq!(style_of(&at3, "sender's PC"), t.text);
        let at4 = draw(Diagram::MailPath, 4, Lang::En, &t, FULL);
        assert_eq!(style_of(&at4, "spool"), t.text);
        assert_eq!(style_of(&at4, "destination down"), hot);
        let at5 = draw(Diagram::MailPath, 5, Lang::En, &t, FULL);
        assert_eq!(style_of(&at5, "destination down"), t.dim);
    }

    #[test]
    fn protocols_name_their_ports() {
        let t = theme();
        let s1 = text(&draw(Diagram::Protocols, 1, Lang::En, &t, FULL));
        assert!(s1.contains("587") && s1.contains("465") && !s1.contains("port 25"));
        let s = text(&draw(Diagram::Protocols, 3, Lang::Ja, &t, FULL));
        for w in [
            "SMTP",
            "ポート25",
            "587/465",
            "POP3",
            "ポート110",
            "受信者のPC",
        ] {
            assert!(s.contains(w), "{w}\n{s}");
        }
    }

    #[test]
    fn the_last_leg_lights_up_with_its_warning() {
        let t = theme();
        let hot = t.accent.add_modifier(Modifier::BOLD);
        let one = draw(Diagram::LastLeg, 1, Lang::En, &t, FULL);
        assert!(!text(&one).contains("password"));
        let two = draw(Diagram::LastLeg, 2, Lang::En, &t, FULL);
        assert!(text(&two).contains("password crosses"));
        assert_eq!(style_of(&two, "mailbox"), hot);
        assert_eq!(style_of(&two, "reader's PC"), hot);
        assert_eq!(style_of(&two, "POP3"), hot);
        assert_eq!(style_of(&two, "sender's PC"), t.text);
        assert_eq!(
            style_of(&two, "password"),
            t.err.add_modifier(Modifier::BOLD)
        );
        let ja = text(&draw(Diagram::LastLeg, 2, Lang::Ja, &t, FULL));
        assert!(ja.contains("パスワード"), "{ja}");
    }

    #[test]
    fn pop_then_imap_with_their_ports() {
        let t = theme();
        let one = text(&draw(Diagram::PopVsImap, 1, Lang::En, &t, FULL));
        assert!(one.contains("110") && one.contains("995") && !one.contains("IMAP"));
        let two = text(&draw(Diagram::PopVsImap, 2, Lang::Ja, &t, FULL));
        for w in ["POP3", "IMAP", "143", "993", "スマホ", "サーバに残る"] {
            assert!(two.contains(w), "{w}\n{two}");
        }
    }

    /// What a drawing says: its letters, digits and other characters of
    /// words, in order of rows, without the lines and arrows.
    fn words(lines: &[Line<'_>]) -> Vec<char> {
        let mut chars: Vec<char> = text(lines)
            .chars()
            .filter(|c| {
                !c.is_whitespace() && !('\u{2500}'..='\u{259f}').contains(c) && !"▶◀▲▼".contains(*c)
            })
            .collect();
        chars.sort_unstable();
        chars
    }

    #[test]
    fn at_40_columns_every_stage_fits_and_says_everything_the_full_one_does() {
        let t = theme();
        for d in ALL {
            for lang in Lang::ALL {
                for stage in 1..=d.stages() {
                    let narrow = draw(d, stage, lang, &t, 40);
                    for line in &narrow {
                        let s: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                        assert!(s.width() <= NARROW, "{d:?} {lang:?} {stage}: {s:?}");
                    }
                    let full = draw(d, stage, lang, &t, FULL);
                    assert_eq!(
                        words(&narrow),
                        words(&full),
                        "{d:?} {lang:?} {stage}: words lost\n{}\n{}",
                        text(&narrow),
                        text(&full)
                    );
                    assert_eq!(narrow.len(), full.len(), "{d:?} {lang:?} {stage}");
                }
                // The boxes are still closed: every corner has its
                // partner (a drawing cut at the edge loses the right-hand
                // ones).
                let s = text(&draw(d, d.stages(), lang, &t, 40));
                for (l, r) in [('┌', '┐'), ('└', '┘')] {
                    assert_eq!(s.matches(l).count(), s.matches(r).count(), "{s}");
                }
            }
        }
        // Any width below the full one gets the narrow drawing.
        assert_eq!(
            text(&draw(Diagram::MailPath, 8, Lang::Ja, &t, 43)),
            text(&draw(Diagram::MailPath, 8, Lang::Ja, &t, 40))
        );
    }
}
