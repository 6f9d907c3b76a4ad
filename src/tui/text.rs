//! Small text helpers for the panes. The words for events (leaks,
//! handshake messages, server events) live in `lab::describe`, shared with
//! `popscope demo`'s transcript.

use unicode_width::UnicodeWidthStr;

/// Display width: the same Unicode width ratatui lays text out with.
fn width(s: &str) -> usize {
    s.width()
}

pub use crate::lab::describe::{handshake, is_text, leak, lockout_time, server_line};

/// Cut `s` to at most `max` display columns, ending with "…" if cut.
pub fn clip(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Text from the wire as the screen draws it: the crate's one rule for
/// unsafe characters ([`crate::sanitize::visible`]), then tabs as single
/// spaces, because a pane lays text out in cells and a tab has no width of
/// its own there.
pub fn sanitize(s: &str) -> String {
    crate::sanitize::visible(s).replace('\t', " ")
}

/// The three rows of a word in block letters, for the server's session
/// state. Only the letters of AUTHORIZATION, TRANSACTION and UPDATE (and a
/// few more) are drawn; others become blanks.
pub fn big_word(word: &str) -> [String; 3] {
    let mut rows = [String::new(), String::new(), String::new()];
    for (i, c) in word.chars().enumerate() {
        let glyph: [&str; 3] = match c.to_ascii_uppercase() {
            'A' => ["▄▀▄", "█▀█", "▀ ▀"],
            'U' => ["█ █", "█ █", "▀▀▀"],
            'T' => ["▀█▀", " █ ", " ▀ "],
            'H' => ["█ █", "█▀█", "▀ ▀"],
            'O' => ["█▀█", "█ █", "▀▀▀"],
            'R' => ["█▀▄", "█▀▄", "▀ ▀"],
            'I' => ["▀█▀", " █ ", "▀▀▀"],
            'Z' => ["▀▀█", "▄▀ ", "▀▀▀"],
            'N' => ["█▄ █", "█ ▀█", "▀  ▀"],
            'S' => ["█▀▀", "▀▀█", "▀▀▀"],
            'C' => ["█▀▀", "█  ", "▀▀▀"],
            'P' => ["█▀█", "█▀▀", "▀  "],
            'D' => ["█▀▄", "█ █", "▀▀ "],
            'E' => ["█▀▀", "█▀▀", "▀▀▀"],
            _ => ["   ", "   ", "   "],
        };
        for (row, g) in rows.iter_mut().zip(glyph) {
            if i > 0 {
                row.push(' ');
            }
            row.push_str(g);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    /// The screen shows what the line client and the transcript show:
    /// the crate's one notation, bidirectional overrides included.
    #[test]
    fn the_screen_uses_the_one_notation() {
        for s in [
            "\u{1b}[2J",
            "x\u{202e}y\u{2066}",
            "a\u{7f}\u{9b}b",
            "日本語",
        ] {
            assert_eq!(sanitize(s), crate::sanitize::visible(s));
        }
        assert_eq!(sanitize("x\u{202e}y"), "x<U+202E>y");
        // Tabs are the one layout change: a pane has no tab stops.
        assert_eq!(sanitize("a\tb"), "a b");
    }
}
