//! The screen's catalogue (`assets/i18n/`): both languages have the same
//! messages with the same values, every message the code names exists,
//! every message is used, and the Japanese catalogue reads as Japanese.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use popscope::i18n;
use popscope::lang::Lang;

#[path = "common/english.rs"]
mod english;

fn catalogue(lang: Lang) -> BTreeMap<String, Vec<String>> {
    i18n::messages(lang).into_iter().collect()
}

#[test]
fn both_languages_load_cleanly_and_have_the_same_messages_with_the_same_values() {
    for lang in Lang::ALL {
        assert_eq!(i18n::load_problems(lang), &[], "{}", lang.code());
    }
    let (ja, en) = (catalogue(Lang::Ja), catalogue(Lang::En));
    let ja_ids: BTreeSet<_> = ja.keys().collect();
    let en_ids: BTreeSet<_> = en.keys().collect();
    assert_eq!(
        ja_ids.difference(&en_ids).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in Japanese only"
    );
    assert_eq!(
        en_ids.difference(&ja_ids).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in English only"
    );
    for (id, vars) in &en {
        assert_eq!(
            &ja[id], vars,
            "message {id}: the two languages use different values"
        );
    }
    assert!(!en.is_empty());
}

/// Every Rust file under `src/`, with its text.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// The ids named by `tr!(lang, "id" …)` in a source text.
fn named_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (at, _) in text.match_indices("tr!(") {
        let rest = &text[at + 4..];
        // The first string literal after the language expression.
        let Some(comma) = rest.find(',') else {
            continue;
        };
        let rest = rest[comma + 1..].trim_start();
        if let Some(lit) = rest.strip_prefix('"')
            && let Some(end) = lit.find('"')
        {
            ids.push(lit[..end].to_string());
        }
    }
    ids
}

#[test]
fn every_message_the_code_names_exists_in_both_languages() {
    let mut missing = Vec::new();
    let mut named = 0;
    // The catalogue's own module names example ids in its documentation.
    for (file, text) in sources()
        .into_iter()
        .filter(|(f, _)| !f.ends_with("i18n.rs"))
    {
        for id in named_ids(&text) {
            named += 1;
            for lang in Lang::ALL {
                if !i18n::has(lang, &id) {
                    missing.push(format!("{file}: {id} ({})", lang.code()));
                }
            }
        }
    }
    assert!(named > 0, "the scan found no tr! at all");
    assert_eq!(missing, Vec::<String>::new());
}

#[test]
fn every_message_is_used_somewhere_in_the_code() {
    let all: String = sources().into_iter().map(|(_, t)| t).collect();
    let unused: Vec<String> = catalogue(Lang::En)
        .into_keys()
        .filter(|id| !all.contains(&format!("\"{id}\"")))
        .collect();
    assert_eq!(unused, Vec::<String>::new(), "messages no code names");
}

#[test]
fn the_japanese_catalogue_holds_no_english_sentence() {
    let mut found = Vec::new();
    for (id, text) in i18n::texts(Lang::Ja) {
        if english::english_run(&text).is_some() {
            found.push(format!("{id}: {text}"));
        }
    }
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn the_japanese_catalogue_follows_the_course_spelling() {
    let mut problems = Vec::new();
    for (id, text) in i18n::texts(Lang::Ja) {
        for p in popscope::lesson::spelling::check(&id, Lang::Ja, &text) {
            problems.push(format!("{id}: {}", p.message));
        }
    }
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn a_message_is_worded_in_the_learners_language() {
    assert_eq!(
        popscope::tr!(Lang::Ja, "tls-connection-heading", conn = 2),
        "── 接続 2"
    );
    assert_eq!(
        popscope::tr!(Lang::En, "tls-connection-heading", conn = 2),
        "── connection 2"
    );
}
