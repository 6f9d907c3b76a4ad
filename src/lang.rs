//! The two languages of the course and of the screen: Japanese first,
//! English second. One type for the lessons, the screen and the wording of
//! events, so every layer agrees on what "the learner's language" is.

/// A language of the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Japanese, the course's first language.
    Ja,
    /// English.
    En,
}

impl Lang {
    /// Both, Japanese first.
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// The directory name and code: "ja" or "en".
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// The default from a LANG value: Japanese when it starts with "ja",
    /// English otherwise (and when it is unset).
    pub fn from_lang_env(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.starts_with("ja") => Lang::Ja,
            _ => Lang::En,
        }
    }

    /// A command's `--lang ja|en` flag, else LANG's language.
    pub fn from_flag(flag: Option<&str>) -> Lang {
        match flag {
            Some("ja") => Lang::Ja,
            Some(_) => Lang::En,
            None => Lang::from_lang_env(std::env::var("LANG").ok().as_deref()),
        }
    }
}
