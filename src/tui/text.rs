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

/// Replace control characters with their visible Unicode pictures
/// (ESC becomes ␛), so bytes from the wire can never drive the terminal.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
            '\u{7f}' => '␡',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
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
