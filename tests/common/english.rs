//! The rule for "no English sentence in Japanese text", shared by the
//! catalogue test and the Japanese-screen test so both judge the same way.
//! Included with `#[path]` rather than through `common/mod.rs`, which
//! brings a whole test server with it.

/// Words allowed in Japanese text: protocol and program names, which stay
/// as they are in every language.
pub fn protocol_word(w: &str) -> bool {
    let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    // Commands, replies and acronyms (USER, PASS, STLS, TLS, CA, SNI);
    // TLS's own names, which have digits, underscores or capitals inside
    // (TLSv1_3, ServerHello, close_notify), unlike an ordinary word.
    w.len() <= 1
        || w.chars().all(|c| !c.is_ascii_lowercase())
        || w.chars().any(|c| c.is_ascii_digit() || c == '_')
        || w.chars().skip(1).any(|c| c.is_ascii_uppercase())
        || [
            "popscope",
            "curl",
            "poplib",
            "openssl",
            "dovecot",
            "localhost",
            "wireshark",
            "tshark",
            "maildir",
            // Keys, as their keycaps are printed.
            "tab",
            "shift-tab",
            "esc",
            "enter",
            "space",
            "ctrl",
            "backspace",
            "del",
            "home",
            "end",
            "pgup",
            "pgdn",
        ]
        .contains(&w.to_ascii_lowercase().as_str())
}

/// The first two ordinary English words in a row in `text`, if any: they
/// make a sentence fragment ("nothing readable", "quiz 1"), while one
/// alone may be a key or a name.
pub fn english_run(text: &str) -> Option<String> {
    let mut last: Option<&str> = None;
    for w in text.split_whitespace() {
        let english_word = w.chars().all(|c| c.is_ascii() && !c.is_ascii_control())
            && w.chars().any(|c| c.is_ascii_lowercase())
            && !protocol_word(w);
        match (english_word, last) {
            (true, Some(prev)) => return Some(format!("{prev} {w}")),
            (true, None) => last = Some(w),
            (false, _) => last = None,
        }
    }
    None
}
