//! Colours for the screen: dark (the default), light, high contrast for
//! projectors, and a colourless one when `NO_COLOR` is set.

use super::highlight::Palette;
use ratatui::style::{Color, Modifier, Style};

/// Which palette to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ThemeName {
    /// Light text on a dark terminal.
    #[default]
    Dark,
    /// Dark text on a light terminal.
    Light,
    /// Bold, saturated colours that survive a washed-out projector.
    HighContrast,
}

impl ThemeName {
    /// The theme the theme key switches to from this one.
    pub fn next(self) -> ThemeName {
        match self {
            ThemeName::Dark => ThemeName::Light,
            ThemeName::Light => ThemeName::HighContrast,
            ThemeName::HighContrast => ThemeName::Dark,
        }
    }

    /// The theme's name as `--theme` spells it.
    pub fn name(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::HighContrast => "high-contrast",
        }
    }
}

/// Every style the panes use, by role rather than by colour, so a theme is
/// one table and the panes never name a colour.
#[derive(Debug, Clone)]
pub struct Theme {
    /// Ordinary text.
    pub text: Style,
    /// Less important text: timestamps, hints, offsets.
    pub dim: Style,
    /// A pane's border when it does not have focus.
    pub border: Style,
    /// The focused pane's border and title.
    pub border_focused: Style,
    /// Pane titles.
    pub title: Style,
    /// Lines the client sent.
    pub sent: Style,
    /// +OK replies.
    pub ok: Style,
    /// -ERR replies and errors.
    pub err: Style,
    /// Credentials and other secrets seen in clear.
    pub leak: Style,
    /// Header names of a fetched message.
    pub header_name: Style,
    /// Header values of a fetched message.
    pub header_value: Style,
    /// Things that went well: TLS up, certificate verified, nothing readable.
    pub good: Style,
    /// Encrypted, unreadable bytes.
    pub locked: Style,
    /// Secondary accent: TLS steps, session state.
    pub accent: Style,
    /// The status bar.
    pub status: Style,
    /// Keys named in the status bar and the help.
    pub key: Style,
    /// Search matches.
    pub matched: Style,
    /// The selected row of a menu.
    pub selected: Style,
    /// Which syntect colours go with this theme (message headers).
    pub syntax: super::highlight::Palette,
}

impl Theme {
    /// The theme to use, with `NO_COLOR` overriding the choice: it keeps
    /// bold, underline and reverse so focus and secrets stay visible.
    pub fn new(name: ThemeName, no_color: bool) -> Theme {
        if no_color {
            return Theme::monochrome();
        }
        match name {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::HighContrast => Theme::high_contrast(),
        }
    }

    /// True if the `NO_COLOR` convention (<https://no-color.org>) asks for
    /// no colour: the variable is set and not empty.
    pub fn no_color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    fn dark() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            text: Style::new(),
            dim: fg(Color::DarkGray),
            border: fg(Color::DarkGray),
            border_focused: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD),
            sent: fg(Color::LightBlue),
            ok: fg(Color::Green),
            err: fg(Color::LightRed),
            leak: fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
            header_name: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            header_value: fg(Color::White),
            good: fg(Color::Green).add_modifier(Modifier::BOLD),
            locked: fg(Color::Magenta),
            accent: fg(Color::Cyan),
            status: fg(Color::White).bg(Color::Indexed(236)),
            key: fg(Color::Yellow)
                .bg(Color::Indexed(236))
                .add_modifier(Modifier::BOLD),
            matched: fg(Color::Black).bg(Color::Yellow),
            selected: fg(Color::Black).bg(Color::Cyan),
            syntax: Palette::Dark,
        }
    }

    fn light() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            text: Style::new(),
            dim: fg(Color::Gray),
            border: fg(Color::Gray),
            border_focused: fg(Color::Blue).add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD),
            sent: fg(Color::Blue),
            ok: fg(Color::Green),
            err: fg(Color::Red),
            leak: fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
            header_name: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            header_value: fg(Color::Black),
            good: fg(Color::Green).add_modifier(Modifier::BOLD),
            locked: fg(Color::Magenta),
            accent: fg(Color::Blue),
            status: fg(Color::Black).bg(Color::Indexed(252)),
            key: fg(Color::Blue)
                .bg(Color::Indexed(252))
                .add_modifier(Modifier::BOLD),
            matched: fg(Color::Black).bg(Color::Yellow),
            selected: fg(Color::White).bg(Color::Blue),
            syntax: Palette::Light,
        }
    }

    fn high_contrast() -> Theme {
        let bold = |c| Style::new().fg(c).add_modifier(Modifier::BOLD);
        Theme {
            text: bold(Color::White),
            dim: Style::new().fg(Color::Gray),
            border: Style::new().fg(Color::White),
            border_focused: bold(Color::Yellow),
            title: bold(Color::White),
            sent: bold(Color::Cyan),
            ok: bold(Color::LightGreen),
            err: bold(Color::LightRed),
            // Bright white on red: 5.8:1 in xterm's default colours, where
            // the yellow this used to be made 3.4:1, under WCAG's 4.5.
            leak: bold(Color::White).bg(Color::Red),
            header_name: bold(Color::Yellow),
            header_value: bold(Color::White),
            good: bold(Color::LightGreen),
            locked: bold(Color::LightMagenta),
            accent: bold(Color::LightCyan),
            status: bold(Color::Black).bg(Color::White),
            key: bold(Color::Blue).bg(Color::White),
            matched: bold(Color::Black).bg(Color::Yellow),
            selected: bold(Color::Black).bg(Color::Yellow),
            syntax: Palette::HighContrast,
        }
    }

    fn monochrome() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let rev = Style::new().add_modifier(Modifier::REVERSED);
        Theme {
            text: plain,
            dim: plain,
            border: plain,
            border_focused: bold,
            title: bold,
            sent: plain,
            ok: plain,
            err: bold,
            leak: rev.add_modifier(Modifier::BOLD),
            header_name: bold,
            header_value: plain,
            good: bold,
            locked: plain,
            accent: plain,
            status: rev,
            key: rev.add_modifier(Modifier::BOLD),
            matched: rev,
            selected: rev,
            syntax: Palette::Mono,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xterm's default palette (its XTerm-col.ad resources): the sixteen
    /// ANSI colours as a projector fed by xterm shows them.
    fn xterm_rgb(c: Color) -> (u8, u8, u8) {
        match c {
            Color::Black => (0, 0, 0),
            Color::Red => (205, 0, 0),
            Color::Green => (0, 205, 0),
            Color::Yellow => (205, 205, 0),
            Color::Blue => (0, 0, 238),
            Color::Magenta => (205, 0, 205),
            Color::Cyan => (0, 205, 205),
            Color::Gray => (229, 229, 229),
            Color::DarkGray => (127, 127, 127),
            Color::LightRed => (255, 0, 0),
            Color::LightGreen => (0, 255, 0),
            Color::LightYellow => (255, 255, 0),
            Color::LightBlue => (92, 92, 255),
            Color::LightMagenta => (255, 0, 255),
            Color::LightCyan => (0, 255, 255),
            Color::White => (255, 255, 255),
            other => panic!("{other:?} is not one of the sixteen ANSI colours"),
        }
    }

    /// WCAG 2's relative luminance of an sRGB colour.
    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        let lin = |v: u8| {
            let c = f64::from(v) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// WCAG 2's contrast ratio between two colours, 1 to 21.
    fn contrast(a: Color, b: Color) -> f64 {
        let (la, lb) = (luminance(xterm_rgb(a)), luminance(xterm_rgb(b)));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn the_contrast_formula_agrees_with_known_values() {
        assert!((contrast(Color::Black, Color::White) - 21.0).abs() < 1e-9);
        // The PASS line of old: yellow on red, the 3.4:1 the issue measured.
        let old = contrast(Color::Yellow, Color::Red);
        assert!((3.3..3.5).contains(&old), "{old}");
    }

    #[test]
    fn high_contrast_text_on_a_background_meets_wcag_aa() {
        let t = Theme::new(ThemeName::HighContrast, false);
        let styles = [
            ("leak (the PASS line)", t.leak),
            ("status", t.status),
            ("key", t.key),
            ("matched", t.matched),
            ("selected", t.selected),
        ];
        for (name, s) in styles {
            let (fg, bg) = (s.fg.unwrap(), s.bg.unwrap());
            let ratio = contrast(fg, bg);
            assert!(ratio >= 4.5, "{name}: {fg:?} on {bg:?} is {ratio:.2}:1");
        }
    }

    #[test]
    fn the_theme_key_cycles_all_three() {
        let mut n = ThemeName::Dark;
        let mut seen = Vec::new();
        for _ in 0..3 {
            n = n.next();
            seen.push(n.name());
        }
        assert_eq!(seen, ["light", "high-contrast", "dark"]);
    }

    #[test]
    fn no_color_uses_no_colour_at_all() {
        let t = Theme::new(ThemeName::HighContrast, true);
        for s in [t.text, t.leak, t.status, t.border_focused, t.ok, t.err] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
    }
}
