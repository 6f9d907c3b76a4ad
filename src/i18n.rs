//! Every word the screen and `popscope demo` show, in one catalogue per
//! language.
//!
//! The catalogues are Fluent files (Mozilla's localisation format, read by
//! the `fluent-bundle` crate) under `assets/i18n/ja/` and
//! `assets/i18n/en/`, embedded at build time. Each area of the program has
//! its own file (`screen.ftl`, `events.ftl`, …) so that the Japanese and
//! the English of one area sit side by side for a translator. Code never
//! writes a user-visible sentence itself: it names a message and passes
//! its values, and the catalogue of the learner's language words it.
//!
//! ```text
//! tr!(lang, "wire-nothing-yet")
//! tr!(lang, "scroll-above", n = 111)
//! ```
//!
//! Values that came from outside (a user name, a subject, an SNI) are made
//! visible with [`crate::sanitize::visible`] here, once, so no catalogue
//! message can carry a terminal escape to the screen.
//!
//! `tests/catalogue.rs` proves that both languages have the same messages
//! with the same values, that every message the code names exists, that
//! every message is used, and that the Japanese catalogue holds no English
//! sentence and follows the course's spelling table.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::lang::Lang;
use crate::sanitize::visible;

/// The catalogue files, per language, in a fixed order: (file name, text).
/// A new file is added to both lists.
pub const FILES: [(Lang, &[(&str, &str)]); 2] = [
    (
        Lang::Ja,
        &[
            ("screen.ftl", include_str!("../assets/i18n/ja/screen.ftl")),
            ("panes.ftl", include_str!("../assets/i18n/ja/panes.ftl")),
            ("events.ftl", include_str!("../assets/i18n/ja/events.ftl")),
            ("help.ftl", include_str!("../assets/i18n/ja/help.ftl")),
            ("bytes.ftl", include_str!("../assets/i18n/ja/bytes.ftl")),
            ("wall.ftl", include_str!("../assets/i18n/ja/wall.ftl")),
            ("keys.ftl", include_str!("../assets/i18n/ja/keys.ftl")),
            ("tls.ftl", include_str!("../assets/i18n/ja/tls.ftl")),
        ],
    ),
    (
        Lang::En,
        &[
            ("screen.ftl", include_str!("../assets/i18n/en/screen.ftl")),
            ("panes.ftl", include_str!("../assets/i18n/en/panes.ftl")),
            ("events.ftl", include_str!("../assets/i18n/en/events.ftl")),
            ("help.ftl", include_str!("../assets/i18n/en/help.ftl")),
            ("bytes.ftl", include_str!("../assets/i18n/en/bytes.ftl")),
            ("wall.ftl", include_str!("../assets/i18n/en/wall.ftl")),
            ("keys.ftl", include_str!("../assets/i18n/en/keys.ftl")),
            ("tls.ftl", include_str!("../assets/i18n/en/tls.ftl")),
        ],
    ),
];

/// One language's messages.
struct Catalogue {
    bundle: FluentBundle<FluentResource>,
}

/// A problem found while loading the embedded catalogue: a syntax error or
/// a message defined twice. `tests/catalogue.rs` requires there be none; at
/// run time the messages that did load are used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    /// "ja/screen.ftl".
    pub file: String,
    /// What is wrong.
    pub message: String,
}

fn load(lang: Lang) -> (Catalogue, Vec<LoadProblem>) {
    let id: unic_langid::LanguageIdentifier = lang
        .code()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Fluent wraps every value in Unicode isolation marks (U+2068, U+2069)
    // for right-to-left scripts. A terminal shows them as nothing or as
    // boxes, and our sanitising rule would print them as <U+2068>: off.
    bundle.set_use_isolating(false);
    let mut problems = Vec::new();
    let files = FILES
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, f)| *f)
        .unwrap_or(&[]);
    for (name, text) in files {
        let file = format!("{}/{name}", lang.code());
        let resource = match FluentResource::try_new(text.to_string()) {
            Ok(r) => r,
            Err((r, errors)) => {
                for e in errors {
                    problems.push(LoadProblem {
                        file: file.clone(),
                        message: format!("{e:?}"),
                    });
                }
                r
            }
        };
        if let Err(errors) = bundle.add_resource(resource) {
            for e in errors {
                problems.push(LoadProblem {
                    file: file.clone(),
                    message: format!("{e:?}"),
                });
            }
        }
    }
    (Catalogue { bundle }, problems)
}

static JA: LazyLock<(Catalogue, Vec<LoadProblem>)> = LazyLock::new(|| load(Lang::Ja));
static EN: LazyLock<(Catalogue, Vec<LoadProblem>)> = LazyLock::new(|| load(Lang::En));

fn catalogue(lang: Lang) -> &'static Catalogue {
    match lang {
        Lang::Ja => &JA.0,
        Lang::En => &EN.0,
    }
}

/// What went wrong loading a language's catalogue (nothing, when all is
/// well).
pub fn load_problems(lang: Lang) -> &'static [LoadProblem] {
    match lang {
        Lang::Ja => &JA.1,
        Lang::En => &EN.1,
    }
}

/// True if the catalogue of `lang` has a message `id`.
pub fn has(lang: Lang, id: &str) -> bool {
    catalogue(lang).bundle.has_message(id)
}

/// A value for a message: text (made visible) or a number (which a message
/// may also use to choose a plural form).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Text; sanitised before it reaches the message.
    Text(String),
    /// A whole number.
    Int(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Text(s.clone())
    }
}
impl From<std::borrow::Cow<'_, str>> for Arg {
    fn from(s: std::borrow::Cow<'_, str>) -> Self {
        Arg::Text(s.into_owned())
    }
}
impl From<char> for Arg {
    fn from(c: char) -> Self {
        Arg::Text(c.to_string())
    }
}
macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                // Numbers too large for a message's arithmetic are shown
                // as text, digit for digit.
                match i64::try_from(n) {
                    Ok(n) if n.unsigned_abs() < (1 << 53) => Arg::Int(n),
                    _ => Arg::Text(n.to_string()),
                }
            }
        }
    )*};
}
int_arg!(u8, u16, u32, u64, usize, i32, i64);

/// The message `id` in `lang`, with no values.
pub fn tr(lang: Lang, id: &str) -> String {
    tr_args(lang, id, &[])
}

/// The message `id` in `lang`, with its values. A message missing from
/// `lang` falls back to English, then to its id, so a gap shows as a name
/// rather than as nothing (and `tests/catalogue.rs` fails on it).
pub fn tr_args(lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Text(s) => fargs.set(*name, FluentValue::from(visible(s).into_owned())),
            Arg::Int(n) => fargs.set(*name, FluentValue::from(*n)),
        }
    }
    for lang in [lang, Lang::En] {
        let bundle = &catalogue(lang).bundle;
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
            return text.into_owned();
        }
    }
    id.to_string()
}

/// Word a message: `tr!(lang, "id")` or `tr!(lang, "id", name = value, …)`.
/// The id is a literal so that `tests/catalogue.rs` can find every use.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $id:literal) => {
        $crate::i18n::tr($lang, $id)
    };
    ($lang:expr, $id:literal, $($key:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::tr_args(
            $lang,
            $id,
            &[$((stringify!($key), $crate::i18n::Arg::from($value))),+],
        )
    };
}

/// Every message id of `lang`, with the variables its value uses, sorted;
/// for the catalogue test.
pub fn messages(lang: Lang) -> Vec<(String, Vec<String>)> {
    use fluent_syntax::ast;
    let mut out = Vec::new();
    let files = FILES
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, f)| *f)
        .unwrap_or(&[]);
    for (_, text) in files {
        let Ok(resource) = fluent_syntax::parser::parse(*text) else {
            continue;
        };
        for entry in resource.body {
            if let ast::Entry::Message(m) = entry {
                let mut vars = Vec::new();
                if let Some(p) = &m.value {
                    pattern_vars(p, &mut vars);
                }
                vars.sort();
                vars.dedup();
                out.push((m.id.name.to_string(), vars));
            }
        }
    }
    out.sort();
    out
}

fn pattern_vars(p: &fluent_syntax::ast::Pattern<&str>, vars: &mut Vec<String>) {
    use fluent_syntax::ast::{Expression, InlineExpression, PatternElement};
    fn inline(e: &InlineExpression<&str>, vars: &mut Vec<String>) {
        if let InlineExpression::VariableReference { id } = e {
            vars.push(id.name.to_string());
        }
        if let InlineExpression::Placeable { expression } = e {
            expr(expression, vars);
        }
    }
    fn expr(e: &Expression<&str>, vars: &mut Vec<String>) {
        match e {
            Expression::Inline(i) => inline(i, vars),
            Expression::Select { selector, variants } => {
                inline(selector, vars);
                for v in variants {
                    pattern_vars(&v.value, vars);
                }
            }
        }
    }
    for el in &p.elements {
        if let PatternElement::Placeable { expression } = el {
            expr(expression, vars);
        }
    }
}

/// The message ids and the texts of `lang`'s catalogue, formatted with
/// every variable set to a placeholder; for the checks on wording.
pub fn texts(lang: Lang) -> Vec<(String, String)> {
    messages(lang)
        .into_iter()
        .map(|(id, vars)| {
            let args: Vec<(&str, Arg)> = vars.iter().map(|v| (v.as_str(), Arg::Int(2))).collect();
            let text = tr_args(lang, &id, &args);
            (id, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogues_load_without_problems() {
        assert_eq!(load_problems(Lang::Ja), &[]);
        assert_eq!(load_problems(Lang::En), &[]);
    }

    #[test]
    fn values_from_outside_are_made_visible() {
        // Any message with a text value will do; the catalogue test checks
        // the whole set, this checks the rule.
        let (id, vars) = messages(Lang::En)
            .into_iter()
            .find(|(_, v)| !v.is_empty())
            .expect("the catalogue has a message with a value");
        let args: Vec<(&str, Arg)> = vars
            .iter()
            .map(|v| (v.as_str(), Arg::from("\u{1b}[2Jx")))
            .collect();
        let text = tr_args(Lang::En, &id, &args);
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("^[[2Jx"), "{text:?}");
    }

    #[test]
    fn a_missing_message_shows_its_name() {
        assert_eq!(tr(Lang::Ja, "no-such-message"), "no-such-message");
    }
}
