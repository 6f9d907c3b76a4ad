//! The one rule for printing text that came from outside the program.
//!
//! A POP3 server, a client, a message or a user name can carry bytes that
//! a terminal obeys rather than shows: ESC and CSI sequences that recolour
//! or clear the screen, OSC sequences that retitle the window, and the
//! Unicode bidirectional overrides that make a line read differently from
//! how it is stored ("Trojan Source"). Every view of such text (the demo
//! transcript, the line client, the lab screen, the logs) passes it
//! through [`visible`] first, so that they all show the same thing.
//!
//! The notation, used everywhere:
//!
//! - C0 controls and DEL in caret notation: ESC is `^[`, BEL `^G`,
//!   CR `^M`, DEL `^?`. Tab is left alone: it cannot drive a terminal, and
//!   message bodies use it for layout.
//! - C1 controls (U+0080 to U+009F) and the bidirectional embeddings,
//!   overrides and isolates (U+202A to U+202E, U+2066 to U+2069) as
//!   `<U+202E>`.
//!
//! The left-to-right and right-to-left marks (U+200E, U+200F) and the
//! Arabic letter mark (U+061C) are kept as they are: they only decide
//! where neutral characters such as spaces and punctuation go, cannot
//! reorder letters, and ordinary Hebrew and Arabic mail uses them.

use std::borrow::Cow;

/// True for a character [`visible`] replaces.
pub fn is_unsafe(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\t')
        || u == 0x7f
        || (0x80..0xa0).contains(&u)
        || (0x202a..=0x202e).contains(&u)
        || (0x2066..=0x2069).contains(&u)
}

/// `text` with every unsafe character written out visibly (see the module
/// notes for the notation); borrowed when there is nothing to replace.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// Bytes from the wire as visible text: invalid UTF-8 becomes U+FFFD, then
/// [`visible`] applies.
pub fn visible_bytes(bytes: &[u8]) -> String {
    visible(&String::from_utf8_lossy(bytes)).into_owned()
}

/// How one character is shown.
fn push_visible(out: &mut String, c: char) {
    let u = c as u32;
    if !is_unsafe(c) {
        out.push(c);
    } else if u < 0x20 {
        out.push('^');
        out.push(char::from(b'@' + u as u8));
    } else if u == 0x7f {
        out.push_str("^?");
    } else {
        out.push_str(&format!("<U+{u:04X}>"));
    }
}

/// A line of JSON made safe for a terminal without changing what it
/// means: serde_json already escapes C0 controls inside strings but writes
/// DEL, the C1 controls and the bidirectional overrides raw, so those
/// become `\uXXXX` escapes here. They can only occur inside JSON strings,
/// where the escape and the character are the same value.
pub fn json(line: &str) -> Cow<'_, str> {
    if !line.chars().any(is_unsafe) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(visible("plain\ttext"), "plain\ttext");
        assert_eq!(visible("\u{1b}[31mred"), "^[[31mred");
        assert_eq!(visible("\u{1b}]0;title\u{7}"), "^[]0;title^G");
        assert_eq!(visible("a\r\nb"), "a^M^Jb");
        assert_eq!(visible("a\u{7f}\u{9b}b"), "a^?<U+009B>b");
        assert_eq!(visible("日本語"), "日本語");
    }

    #[test]
    fn bidi_overrides_and_isolates_become_visible() {
        assert_eq!(visible("x\u{202e}y"), "x<U+202E>y");
        assert_eq!(
            visible("\u{202a}\u{2066}\u{2069}"),
            "<U+202A><U+2066><U+2069>"
        );
        // The marks stay: they cannot reorder letters.
        assert_eq!(visible("a\u{200f}b\u{200e}"), "a\u{200f}b\u{200e}");
    }

    #[test]
    fn nothing_unsafe_is_left() {
        let all: String = (0u32..0x2100).filter_map(char::from_u32).collect();
        assert!(!visible(&all).chars().any(is_unsafe));
        assert!(!json(&all).chars().any(is_unsafe));
    }

    #[test]
    fn json_keeps_its_meaning() {
        let v = serde_json::json!({ "s": "a\u{1b}b\u{9b}c\u{202e}d\u{7f}" });
        let line = serde_json::to_string(&v).unwrap();
        let safe = json(&line);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}
