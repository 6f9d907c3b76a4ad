//! Syntax colouring of a fetched message's headers, done with syntect.
//!
//! The approach is bat's: the syntaxes and the themes are loaded once, on
//! first use, and kept for the life of the program, and the colouring is
//! worked out once per line when the message arrives (in `App::update`),
//! never while a pane draws. The panes only pick the ready-made style that
//! suits the screen's theme.
//!
//! syntect's default syntaxes have no grammar for mail (a test below keeps
//! an eye on that), so headers are parsed with [`HEADER_SYNTAX`], a small
//! `.sublime-syntax` for RFC 5322 header fields compiled from a string.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use syntect::highlighting::{
    FontStyle, Highlighter, ScopeSelectors, StyleModifier, Theme as SynTheme, ThemeItem, ThemeSet,
    ThemeSettings,
};
use syntect::parsing::{
    ParseState, ScopeStack, SyntaxDefinition, SyntaxReference, SyntaxSet, SyntaxSetBuilder,
};

use super::theme::Theme;

/// The name of the built-in header syntax, as syntect knows it.
pub const HEADER_SYNTAX_NAME: &str = "Email Headers (popscope)";

/// A grammar for one unfolded RFC 5322 header field: the field name, the
/// colon, and a value in which RFC 2047 encoded words (left over when a
/// charset is unknown) and addresses stand out. The scope names are the
/// usual Sublime Text ones, so any tmTheme colours them sensibly.
pub const HEADER_SYNTAX: &str = r#"%YAML 1.2
---
name: Email Headers (popscope)
file_extensions: [eml-headers]
scope: text.email.headers
contexts:
  main:
    - match: '^([!#-9;-~]+)[ \t]*(:)[ \t]*'
      captures:
        1: entity.name.tag.header.email
        2: punctuation.separator.key-value.email
      push: value
    - match: '^[ \t]+'
      push: value
  value:
    - meta_scope: meta.header.value.email
    - match: '\n'
      pop: true
    - match: '=\?[^?\s]+\?[BbQq]\?[^?\s]*\?='
      scope: constant.other.encoded-word.email
    - match: '(<)([^<>\s@]+@[^<>\s]+)(>)'
      captures:
        1: punctuation.definition.address.begin.email
        2: string.other.address.email
        3: punctuation.definition.address.end.email
    - match: '[^\s<>,;:"()@]+@[A-Za-z0-9.-]+'
      scope: string.other.address.email
"#;

/// The palettes the syntax colours come in: one per screen theme, and a
/// colourless one for `NO_COLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    /// For the dark theme.
    Dark,
    /// For the light theme.
    Light,
    /// For the high-contrast theme.
    HighContrast,
    /// For `NO_COLOR`: bold and underline only.
    Mono,
}

impl Palette {
    /// Every palette, in the order [`Run`] keeps its styles.
    pub const ALL: [Palette; 4] = [
        Palette::Dark,
        Palette::Light,
        Palette::HighContrast,
        Palette::Mono,
    ];

    /// The palette that goes with a screen theme.
    pub fn of(theme: &Theme) -> Palette {
        theme.syntax
    }

    fn index(self) -> usize {
        Palette::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }
}

/// A piece of a line in one style, with that style ready for each palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The text.
    pub text: String,
    styles: [Style; 4],
}

impl Run {
    /// The run's style in a palette.
    pub fn style(&self, palette: Palette) -> Style {
        self.styles[palette.index()]
    }
}

/// A line with its syntax colouring worked out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlighted {
    /// The line, piece by piece.
    pub runs: Vec<Run>,
}

impl Highlighted {
    /// The line's text without styles.
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }

    /// The line as spans in the colours that suit `theme`.
    pub fn spans(&self, theme: &Theme) -> Vec<Span<'static>> {
        let p = Palette::of(theme);
        self.runs
            .iter()
            .map(|r| Span::styled(r.text.clone(), r.style(p)))
            .collect()
    }
}

/// What is loaded once: the syntaxes and one syntect theme per palette.
struct Engine {
    syntaxes: SyntaxSet,
    themes: [SynTheme; 4],
}

impl Engine {
    fn syntax(&self) -> &SyntaxReference {
        self.syntaxes
            .find_syntax_by_name(HEADER_SYNTAX_NAME)
            .unwrap_or_else(|| self.syntaxes.find_syntax_plain_text())
    }
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut builder = SyntaxSetBuilder::new();
        builder.add_plain_text_syntax();
        // The grammar is a constant checked by a test; were it ever broken,
        // headers would show uncoloured rather than take the screen down.
        if let Ok(def) = SyntaxDefinition::load_from_str(HEADER_SYNTAX, true, None) {
            builder.add(def);
        }
        let mut set = ThemeSet::load_defaults();
        let mut take = |name: &str| set.themes.remove(name).unwrap_or_else(mono_theme);
        let themes = [
            take("base16-ocean.dark"),
            take("InspiredGitHub"),
            take("base16-eighties.dark"),
            mono_theme(),
        ];
        Engine {
            syntaxes: builder.build(),
            themes,
        }
    })
}

/// A syntect theme with no colours: header names bold, encoded words
/// underlined, the way the colourless screen theme marks things.
fn mono_theme() -> SynTheme {
    let item = |scope: &str, font: FontStyle| ThemeItem {
        scope: scope.parse().unwrap_or_else(|_| ScopeSelectors::default()),
        style: StyleModifier {
            foreground: None,
            background: None,
            font_style: Some(font),
        },
    };
    SynTheme {
        name: Some("popscope mono".into()),
        author: None,
        settings: ThemeSettings::default(),
        scopes: vec![
            item("entity.name.tag", FontStyle::BOLD),
            item("constant.other.encoded-word", FontStyle::UNDERLINE),
        ],
    }
}

/// The syntect theme behind a palette. The lesson pane colours its code
/// blocks with it, so code and message headers agree on colours.
pub fn syntect_theme(palette: Palette) -> &'static SynTheme {
    &engine().themes[palette.index()]
}

/// Load the syntaxes and themes now, so the first message does not pay
/// for it. Calling it is optional.
pub fn warm_up() {
    let _ = engine();
}

/// The header field `name: value`, coloured.
pub fn header(name: &str, value: &str) -> Highlighted {
    highlight(&format!("{name}: {value}"))
}

/// One line, coloured with the header grammar.
pub fn highlight(line: &str) -> Highlighted {
    let e = engine();
    let highlighters = e.themes.each_ref().map(Highlighter::new);
    // The grammar is written for lines that end in a newline, as syntect's
    // own are; the newline is parsed but not shown.
    let input = format!("{line}\n");
    let ops = ParseState::new(e.syntax())
        .parse_line(&input, &e.syntaxes)
        .unwrap_or_default();
    let mut stack = ScopeStack::new();
    let mut runs: Vec<Run> = Vec::new();
    let mut push = |text: &str, stack: &ScopeStack| {
        let text = text.trim_end_matches('\n');
        if text.is_empty() {
            return;
        }
        let styles = [0, 1, 2, 3].map(|i| {
            let s = highlighters[i].style_for_stack(stack.as_slice());
            to_ratatui(s, Palette::ALL[i])
        });
        match runs.last_mut() {
            Some(last) if last.styles == styles => last.text.push_str(text),
            _ => runs.push(Run {
                text: text.to_string(),
                styles,
            }),
        }
    };
    let mut at = 0;
    for (pos, op) in ops {
        let pos = pos.min(input.len());
        if pos > at
            && let Some(piece) = input.get(at..pos)
        {
            push(piece, &stack);
            at = pos;
        }
        if stack.apply(&op).is_err() {
            break;
        }
    }
    if let Some(rest) = input.get(at..) {
        push(rest, &stack);
    }
    Highlighted { runs }
}

/// A syntect style as a ratatui one. The syntect theme's background is left
/// out so the terminal's own shows through, as bat does; the colourless
/// palette keeps only bold and underline.
pub(crate) fn to_ratatui(s: syntect::highlighting::Style, palette: Palette) -> Style {
    let mut out = Style::new();
    if palette != Palette::Mono {
        let c = s.foreground;
        out = out.fg(Color::Rgb(c.r, c.g, c.b));
    }
    if s.font_style.contains(FontStyle::BOLD) || palette == Palette::HighContrast {
        out = out.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) && palette != Palette::Mono {
        out = out.add_modifier(Modifier::ITALIC);
    }
    if s.font_style.contains(FontStyle::UNDERLINE) {
        out = out.add_modifier(Modifier::UNDERLINED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntects_defaults_have_no_mail_grammar() {
        // If a later syntect brings one, it should be used instead of ours.
        let set = SyntaxSet::load_defaults_newlines();
        assert!(set.find_syntax_by_name("Email").is_none());
        assert!(set.find_syntax_by_extension("eml").is_none());
    }

    #[test]
    fn the_built_in_grammar_compiles() {
        assert!(SyntaxDefinition::load_from_str(HEADER_SYNTAX, true, None).is_ok());
        assert_eq!(engine().syntax().name, HEADER_SYNTAX_NAME);
    }

    #[test]
    fn name_colon_value_encoded_word_and_address_differ() {
        let h = header("From", "=?X-UNKNOWN?B?Zm9v?= <a@b.example>");
        assert_eq!(h.text(), "From: =?X-UNKNOWN?B?Zm9v?= <a@b.example>");
        let style_of = |needle: &str| {
            h.runs
                .iter()
                .find(|r| r.text.contains(needle))
                .map(|r| r.style(Palette::Dark))
                .unwrap()
        };
        let name = style_of("From");
        let word = style_of("Zm9v");
        let addr = style_of("a@b.example");
        assert_ne!(name, word);
        assert_ne!(name, addr);
        assert_ne!(word, addr);
        for p in Palette::ALL {
            let styles: Vec<Style> = h.runs.iter().map(|r| r.style(p)).collect();
            if p == Palette::Mono {
                assert!(styles.iter().all(|s| s.fg.is_none() && s.bg.is_none()));
            } else {
                assert!(styles.iter().all(|s| s.fg.is_some() && s.bg.is_none()));
            }
        }
    }

    #[test]
    fn japanese_passes_through_whole() {
        let h = header("Subject", "来週のクラスミーティングについて");
        assert_eq!(h.text(), "Subject: 来週のクラスミーティングについて");
    }

    #[test]
    fn each_theme_carries_its_palette() {
        use crate::tui::theme::ThemeName;
        for (name, p) in [
            (ThemeName::Dark, Palette::Dark),
            (ThemeName::Light, Palette::Light),
            (ThemeName::HighContrast, Palette::HighContrast),
        ] {
            assert_eq!(Palette::of(&Theme::new(name, false)), p);
            assert_eq!(Palette::of(&Theme::new(name, true)), Palette::Mono);
        }
    }
}
