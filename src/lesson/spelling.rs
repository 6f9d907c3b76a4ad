//! One spelling for each word in Japanese lessons.
//!
//! Japanese technical writing spells many loanwords two ways (サーバ and
//! サーバー, ヘッダ and ヘッダー). A course that mixes them reads as careless,
//! and the lab's screen uses the short forms, so a lesson should too. The
//! list of preferred spellings lives in one place, the "Spelling" table of
//! `lessons/FORMAT.md`, where teachers read it; this module reads that
//! table from a copy embedded at build time, so the rule and its
//! documentation cannot drift apart. The same check asks for full-width
//! 「？」「！」 after Japanese text, which a half-width key easily slips in.

use super::{Lang, Problem};

/// The format document, whose "Spelling" table is the list.
const FORMAT: &str = include_str!("../../lessons/FORMAT.md");

/// The heading of the table in [`FORMAT`].
const HEADING: &str = "## Spelling";

/// The pairs (preferred, not this) of the "Spelling" table, in order.
pub fn table() -> Vec<(&'static str, &'static str)> {
    let mut lines = FORMAT.lines().skip_while(|l| l.trim_end() != HEADING);
    // The heading itself.
    lines.next();
    lines
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| {
            let cells: Vec<&str> = row.trim().trim_matches('|').split('|').collect();
            match cells.as_slice() {
                [good, bad] => Some((good.trim(), bad.trim())),
                _ => None,
            }
        })
        // The header row and the `|---|---|` rule are not pairs.
        .filter(|(good, bad)| {
            *good != "preferred" && !good.starts_with('-') && !good.is_empty() && !bad.is_empty()
        })
        .collect()
}

/// The spelling problems of one lesson file: every line of a Japanese
/// file that uses a spelling the table says not to, as `file:line`. The
/// whole file is read, front matter and body alike, because step text,
/// quiz and reading are all shown to the learner. English files have no
/// such list and give no problems.
pub fn check(file: &str, lang: Lang, text: &str) -> Vec<Problem> {
    if lang != Lang::Ja {
        return Vec::new();
    }
    let table = table();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(mark) = half_width_mark(line) {
            problems.push(Problem {
                file: file.to_string(),
                line: n + 1,
                message: format!(
                    "write the full-width 「{}」 after Japanese text, not {mark:?}",
                    if mark == '?' { '？' } else { '！' }
                ),
            });
        }
        for (good, bad) in &table {
            if line.contains(bad) {
                problems.push(Problem {
                    file: file.to_string(),
                    line: n + 1,
                    message: format!(
                        "write 「{good}」, not 「{bad}」: the course uses one spelling (the Spelling table in lessons/FORMAT.md)"
                    ),
                });
            }
        }
    }
    problems
}

/// A half-width `?` or `!` right after a Japanese character, the first
/// on the line. Japanese prose takes the full-width marks; a mark after
/// ASCII (a command, `Wi-Fi!`) is left alone, as English or code.
fn half_width_mark(line: &str) -> Option<char> {
    line.chars()
        .zip(line.chars().skip(1))
        .find(|(before, mark)| is_japanese(*before) && matches!(mark, '?' | '!'))
        .map(|(_, mark)| mark)
}

/// Kana, kanji and the Japanese punctuation block.
fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_from_the_format_document() {
        let t = table();
        assert!(t.contains(&("サーバ", "サーバー")), "{t:?}");
        assert!(t.contains(&("ヘッダ", "ヘッダー")), "{t:?}");
        // Every pair is a real choice: the two spellings differ, and the
        // preferred one is never flagged by its own rule or another's.
        for (good, bad) in &t {
            assert_ne!(good, bad);
            for (_, other_bad) in &t {
                assert!(
                    !good.contains(other_bad),
                    "{good} is flagged by {other_bad}"
                );
            }
        }
    }

    #[test]
    fn a_long_form_is_flagged_on_its_line() {
        let text = "+++\nid = \"x\"\ntitle = \"サーバの話\"\n+++\n\nメールはサーバーに届きます。\n";
        let ps = check("course/ja/01-x.md", Lang::Ja, text);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_eq!(ps[0].line, 6);
        assert_eq!(ps[0].file, "course/ja/01-x.md");
        assert!(ps[0].message.contains("「サーバ」"), "{}", ps[0].message);
    }

    #[test]
    fn a_half_width_question_mark_after_japanese_is_flagged() {
        let text =
            "question = \"どこを安全にするのですか?\"\ntitle = \"教えて！\"\n`USER?` と Wi-Fi!\n";
        let ps = check("ja/03-x.md", Lang::Ja, text);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_eq!(ps[0].line, 1);
        assert!(ps[0].message.contains("「？」"), "{}", ps[0].message);
    }

    #[test]
    fn english_files_and_preferred_spellings_pass() {
        assert!(check("en/01-x.md", Lang::En, "サーバー").is_empty());
        assert!(check("ja/01-x.md", Lang::Ja, "サーバとヘッダとバッファ").is_empty());
    }

    #[test]
    fn the_builtin_japanese_lessons_use_the_preferred_spellings() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/ja");
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("lessons/ja") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("a lesson file");
            problems.extend(check(&path.display().to_string(), Lang::Ja, &text));
        }
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{shown:#?}");
    }
}
