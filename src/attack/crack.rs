//! The offline APOP dictionary search.
//!
//! APOP (RFC 1939 §7) never sends the password: the client sends
//! MD5(timestamp ‖ password), where the timestamp is the `<…@…>` the server
//! put in its greeting. Both halves cross the wire in cleartext, so an
//! eavesdropper who recorded one login holds everything needed to test a
//! guess without ever talking to the server again: hash the timestamp with
//! the guess and compare. No failure budget, lockout or delay can slow
//! that down; only the password's strength can.
//!
//! - [`Target`]: what was captured (user, timestamp, digest).
//! - [`Wordlist`] and [`Candidates`]: the guesses, from the list that ships
//!   in `assets/wordlist.txt` or from a file (`--wordlist FILE`), with a
//!   few common mutations.
//! - [`crack`]: the search itself, on the calling thread, with progress
//!   and cancellation; [`CrackJob`] runs it on tokio's blocking pool for
//!   the screen.
//! - [`estimate`] and [`Estimate`]: how long trying every password of a
//!   given length and alphabet would take at the measured rate, for the
//!   case where the dictionary fails (as values; `lab::describe` words
//!   them in the reader's language).
//!
//! The digest rule itself lives in [`crate::pop3::auth::ApopHasher`], the
//! same code the server checks logins with.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::pop3::auth::ApopHasher;
use crate::sanitize;

/// The word list that ships with popscope: a few thousand common passwords
/// and English words, one a line, written for this project. The demo
/// user alice's password is in it, deliberately not near the top.
const BUILTIN_WORDLIST: &str = include_str!("../../assets/wordlist.txt");

/// How many candidates are tried between looks at the cancel flag and the
/// clock. Small enough that cancelling feels instant (well under a
/// millisecond of work), large enough that the look costs nothing.
pub const CHECK_EVERY: u64 = 1024;

/// The shortest time between two progress reports, so that a screen
/// redrawing on each one is not flooded.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Why a search could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum CrackError {
    /// The captured digest is not 16 bytes written as 32 hex digits.
    #[error("the APOP digest captured for {user} is not 32 hexadecimal digits: {digest}")]
    BadDigest {
        /// The user (sanitised for display).
        user: String,
        /// What was captured (sanitised, at most 64 characters).
        digest: String,
    },
    /// The greeting's timestamp was not captured (the tap joined late, or
    /// the server's greeting had none), so the digest cannot be attacked.
    #[error(
        "no greeting timestamp was captured for {user}'s APOP login; without it the digest \
         cannot be tested against any password"
    )]
    NoTimestamp {
        /// The user (sanitised for display).
        user: String,
    },
    /// A word list file could not be read.
    #[error("cannot read the word list {}: {source}", path.display())]
    Wordlist {
        /// The file named.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A word list file held no words (only empty lines).
    #[error("the word list {} holds no words", path.display())]
    EmptyWordlist {
        /// The file named.
        path: PathBuf,
    },
}

/// One captured APOP login: everything the offline search needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Whose login it was.
    pub user: String,
    /// The greeting's timestamp, angle brackets included, exactly as sent.
    pub timestamp: String,
    /// The digest the client sent, as raw bytes.
    pub digest: [u8; 16],
}

impl Target {
    /// A target from what the wire dissector keeps for an APOP login
    /// ([`crate::wire::dissect::Loot::apop`]): the user, the digest in hex
    /// (either case) and the greeting timestamp if it was seen.
    pub fn new(
        user: &str,
        digest_hex: &str,
        timestamp: Option<&str>,
    ) -> Result<Target, CrackError> {
        let shown_user = || sanitize::visible(user).into_owned();
        let mut digest = [0u8; 16];
        if hex::decode_to_slice(digest_hex, &mut digest).is_err() {
            let shown: String = digest_hex.chars().take(64).collect();
            return Err(CrackError::BadDigest {
                user: shown_user(),
                digest: sanitize::visible(&shown).into_owned(),
            });
        }
        let timestamp = match timestamp {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => return Err(CrackError::NoTimestamp { user: shown_user() }),
        };
        Ok(Target {
            user: user.to_string(),
            timestamp,
            digest,
        })
    }

    /// A target from one entry of [`crate::wire::dissect::Loot::apop`].
    pub fn from_loot(entry: &(String, String, Option<String>)) -> Result<Target, CrackError> {
        let (user, digest, timestamp) = entry;
        Target::new(user, digest, timestamp.as_deref())
    }
}

/// A list of words, one per line, held in one buffer.
///
/// Lines are taken as bytes: a line ending in CRLF loses its CR, empty
/// lines are skipped, a UTF-8 byte-order mark before the first word is
/// dropped, and nothing else is trimmed (a password may contain spaces).
/// Lines that are not valid UTF-8 are kept and tried as the bytes they
/// are, since an APOP digest is computed over bytes and a list in Latin-1
/// or another legacy encoding still holds real passwords.
#[derive(Debug, Clone)]
pub struct Wordlist {
    bytes: Vec<u8>,
    words: Vec<Range<usize>>,
    /// How many words start with an ASCII lower-case letter, so that the
    /// capitalised forms, which skip the rest, can be counted exactly.
    capitalisable: usize,
}

impl Wordlist {
    /// The list that ships with popscope (`assets/wordlist.txt`).
    pub fn builtin() -> Wordlist {
        Wordlist::from_bytes(BUILTIN_WORDLIST.as_bytes().to_vec())
    }

    /// Read a word list file (`--wordlist FILE`) into memory. This blocks
    /// on the disk: call it off the async workers.
    pub fn read(path: &Path) -> Result<Wordlist, CrackError> {
        let bytes = std::fs::read(path).map_err(|source| CrackError::Wordlist {
            path: path.to_path_buf(),
            source,
        })?;
        let list = Wordlist::from_bytes(bytes);
        if list.is_empty() {
            return Err(CrackError::EmptyWordlist {
                path: path.to_path_buf(),
            });
        }
        Ok(list)
    }

    /// Split `bytes` into words (see the type's notes for the rules).
    pub fn from_bytes(bytes: Vec<u8>) -> Wordlist {
        let mut words = Vec::new();
        let mut capitalisable = 0;
        let mut start = if bytes.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let mut word_end = end;
            if word_end > start && bytes[word_end - 1] == b'\r' {
                word_end -= 1;
            }
            if word_end > start {
                if bytes[start].is_ascii_lowercase() {
                    capitalisable += 1;
                }
                words.push(start..word_end);
            }
            start = end + 1;
        }
        Wordlist {
            bytes,
            words,
            capitalisable,
        }
    }

    /// How many words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.words.iter().map(|r| &self.bytes[r.clone()])
    }

    /// The position of `word` in the list, if it is there.
    pub fn position(&self, word: &[u8]) -> Option<usize> {
        self.iter().position(|w| w == word)
    }
}

/// Which forms of each word are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mutations {
    /// Each word exactly as listed.
    None,
    /// Each word as listed, then the forms people most often make of a
    /// dictionary word to satisfy a password rule, each form over the
    /// whole list before the next (so every plain word is tried before
    /// any variant): Capitalised; one trailing digit 0–9; `123`; `!`;
    /// Capitalised with `1`, `123` or `!`. That is [`COMMON_FORMS`] forms
    /// in all, which keeps the built-in list well under a hundred thousand
    /// guesses. A capitalised form skips words that do not start with a
    /// lower-case ASCII letter, where it would repeat another form.
    Common,
}

/// One form of a word: capitalise its first letter or not, then append a
/// suffix.
#[derive(Debug, Clone, Copy)]
struct Form {
    capitalise: bool,
    suffix: &'static [u8],
}

const fn form(capitalise: bool, suffix: &'static [u8]) -> Form {
    Form { capitalise, suffix }
}

/// How many forms of each word [`Mutations::Common`] tries, the word as
/// listed included.
pub const COMMON_FORMS: usize = 17;

static COMMON: [Form; COMMON_FORMS] = [
    form(false, b""),
    form(true, b""),
    form(false, b"0"),
    form(false, b"1"),
    form(false, b"2"),
    form(false, b"3"),
    form(false, b"4"),
    form(false, b"5"),
    form(false, b"6"),
    form(false, b"7"),
    form(false, b"8"),
    form(false, b"9"),
    form(false, b"123"),
    form(false, b"!"),
    form(true, b"1"),
    form(true, b"123"),
    form(true, b"!"),
];

static AS_IS: [Form; 1] = [form(false, b"")];

impl Mutations {
    fn forms(self) -> &'static [Form] {
        match self {
            Mutations::None => &AS_IS,
            Mutations::Common => &COMMON,
        }
    }
}

/// The guesses a search tries: a word list and the forms of each word.
#[derive(Debug, Clone)]
pub struct Candidates {
    words: Wordlist,
    mutations: Mutations,
}

impl Candidates {
    /// `words` in the forms `mutations` names.
    pub fn new(words: Wordlist, mutations: Mutations) -> Candidates {
        Candidates { words, mutations }
    }

    /// The built-in list with the common mutations: what `popscope demo
    /// apop --attack crack` tries when no `--wordlist` is given.
    pub fn builtin() -> Candidates {
        Candidates::new(Wordlist::builtin(), Mutations::Common)
    }

    /// The word list.
    pub fn words(&self) -> &Wordlist {
        &self.words
    }

    /// Exactly how many guesses a full search makes.
    pub fn total(&self) -> u64 {
        self.mutations
            .forms()
            .iter()
            .map(|f| {
                if f.capitalise {
                    self.words.capitalisable as u64
                } else {
                    self.words.len() as u64
                }
            })
            .sum()
    }
}

/// How far a search has got.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    /// Guesses made so far.
    pub tried: u64,
    /// Guesses a full search makes, when known in advance.
    pub total: Option<u64>,
    /// Guesses per second so far.
    pub rate: f64,
    /// Time since the search started.
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
}

/// How a search ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A guess produced the captured digest: this is the password.
    Found {
        /// The password, as the bytes that were hashed.
        #[serde(serialize_with = "lossy")]
        password: Vec<u8>,
        /// Guesses made, the right one included.
        tried: u64,
        /// How long it took.
        #[serde(rename = "elapsed_ms", serialize_with = "millis")]
        elapsed: Duration,
        /// Guesses per second.
        rate: f64,
    },
    /// Every guess was tried and none matched.
    NotFound {
        /// Guesses made.
        tried: u64,
        /// How long it took.
        #[serde(rename = "elapsed_ms", serialize_with = "millis")]
        elapsed: Duration,
        /// Guesses per second: the measured speed [`estimate`] works from.
        rate: f64,
    },
    /// The search was cancelled before it ended.
    Cancelled {
        /// Guesses made before it stopped.
        tried: u64,
        /// How long it ran.
        #[serde(rename = "elapsed_ms", serialize_with = "millis")]
        elapsed: Duration,
    },
}

impl Outcome {
    /// The password found, made safe to show (bytes that are not UTF-8
    /// become U+FFFD, control characters are made visible).
    pub fn password_text(&self) -> Option<String> {
        match self {
            Outcome::Found { password, .. } => Some(sanitize::visible_bytes(password)),
            _ => None,
        }
    }

    /// Guesses made.
    pub fn tried(&self) -> u64 {
        match self {
            Outcome::Found { tried, .. }
            | Outcome::NotFound { tried, .. }
            | Outcome::Cancelled { tried, .. } => *tried,
        }
    }
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

fn lossy<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}

/// Guesses per second, never dividing by zero.
fn rate(tried: u64, elapsed: Duration) -> f64 {
    tried as f64 / elapsed.as_secs_f64().max(1e-6)
}

/// Try every candidate against `target` on the calling thread, until one
/// matches, the list ends or `cancel` is set.
///
/// The timestamp is hashed once; each guess copies that MD5 state and adds
/// only its own bytes, in one reused buffer, so the loop allocates nothing.
/// `cancel` is looked at every [`CHECK_EVERY`] guesses, and `progress` is
/// called at those points at most every [`PROGRESS_EVERY`] (so a short
/// search may end before its first report; the [`Outcome`] carries the
/// final count either way).
pub fn crack(
    target: &Target,
    candidates: &Candidates,
    cancel: &AtomicBool,
    mut progress: impl FnMut(Progress),
) -> Outcome {
    let hasher = ApopHasher::new(&target.timestamp);
    let total = candidates.total();
    let start = Instant::now();
    let mut last_report = start;
    let mut tried: u64 = 0;
    let mut guess: Vec<u8> = Vec::with_capacity(256);
    if cancel.load(Ordering::Relaxed) {
        return Outcome::Cancelled {
            tried,
            elapsed: start.elapsed(),
        };
    }
    for form in candidates.mutations.forms() {
        for word in candidates.words.iter() {
            if form.capitalise && !word[0].is_ascii_lowercase() {
                continue;
            }
            guess.clear();
            guess.extend_from_slice(word);
            if form.capitalise {
                guess[0] = guess[0].to_ascii_uppercase();
            }
            guess.extend_from_slice(form.suffix);
            tried += 1;
            if hasher.digest(&guess) == target.digest {
                let elapsed = start.elapsed();
                return Outcome::Found {
                    password: guess,
                    tried,
                    elapsed,
                    rate: rate(tried, elapsed),
                };
            }
            if tried.is_multiple_of(CHECK_EVERY) {
                if cancel.load(Ordering::Relaxed) {
                    return Outcome::Cancelled {
                        tried,
                        elapsed: start.elapsed(),
                    };
                }
                let now = Instant::now();
                if now.duration_since(last_report) >= PROGRESS_EVERY {
                    last_report = now;
                    let elapsed = now.duration_since(start);
                    progress(Progress {
                        tried,
                        total: Some(total),
                        rate: rate(tried, elapsed),
                        elapsed,
                    });
                }
            }
        }
    }
    let elapsed = start.elapsed();
    Outcome::NotFound {
        tried,
        elapsed,
        rate: rate(tried, elapsed),
    }
}

/// What a running [`CrackJob`] reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CrackUpdate {
    /// How far it has got (about ten times a second).
    Progress(Progress),
    /// It ended; this is the last update.
    Done(Outcome),
}

/// A search running on tokio's blocking pool, so the screen stays live.
///
/// Dropping the handle cancels the search: keep it for as long as the
/// result is wanted (`let (_job, rx) = …`, not `let (_, rx) = …`).
#[derive(Debug)]
pub struct CrackJob {
    cancel: Arc<AtomicBool>,
}

impl CrackJob {
    /// Start searching; must be called inside a tokio runtime. The
    /// receiver gets [`CrackUpdate::Progress`] now and then (a slow reader
    /// misses some rather than holding the search up) and exactly one
    /// [`CrackUpdate::Done`] at the end. It closes without `Done` only if
    /// the search thread itself died.
    pub fn spawn(
        target: Target,
        candidates: Candidates,
    ) -> (CrackJob, mpsc::Receiver<CrackUpdate>) {
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel(16);
        let flag = Arc::clone(&cancel);
        tokio::task::spawn_blocking(move || {
            let outcome = crack(&target, &candidates, &flag, |p| {
                let _ = tx.try_send(CrackUpdate::Progress(p));
            });
            // This thread is not an async worker, so waiting for room in
            // the channel here blocks nobody; a receiver that is gone
            // simply does not hear the result.
            let _ = tx.blocking_send(CrackUpdate::Done(outcome));
        });
        (CrackJob { cancel }, rx)
    }

    /// Ask the search to stop; it ends with [`Outcome::Cancelled`] within
    /// a few thousand guesses (well under a millisecond).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for CrackJob {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The character classes a password draws from, for the brute-force
/// estimate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Alphabet {
    /// a–z (26).
    pub lower: bool,
    /// A–Z (26).
    pub upper: bool,
    /// 0–9 (10).
    pub digits: bool,
    /// The 32 ASCII punctuation marks and the space (33). A character
    /// outside printable ASCII is counted in this class too: an attacker
    /// who knows a password has one still has to guess which.
    pub symbols: bool,
}

impl Alphabet {
    /// The classes `password` uses.
    pub fn of(password: &str) -> Alphabet {
        let mut a = Alphabet::default();
        for c in password.chars() {
            match c {
                'a'..='z' => a.lower = true,
                'A'..='Z' => a.upper = true,
                '0'..='9' => a.digits = true,
                _ => a.symbols = true,
            }
        }
        a
    }

    /// How many characters the classes hold together.
    pub fn size(self) -> u32 {
        26 * u32::from(self.lower)
            + 26 * u32::from(self.upper)
            + 10 * u32::from(self.digits)
            + 33 * u32::from(self.symbols)
    }
}

/// How long trying every password of `password_len` characters from
/// `alphabet` takes at `rate` guesses per second (the whole space; on
/// average the right one turns up halfway). Saturates at
/// [`Duration::MAX`], which is also the answer for a rate of zero.
pub fn estimate(password_len: usize, alphabet: Alphabet, rate: f64) -> Duration {
    let space = f64::from(alphabet.size()).powi(password_len.min(i32::MAX as usize) as i32);
    if rate <= 0.0 || !rate.is_finite() {
        return Duration::MAX;
    }
    Duration::try_from_secs_f64(space / rate).unwrap_or(Duration::MAX)
}

/// The brute-force estimate for one password, as values: what the
/// learner is told when the dictionary fails. Only the password's length
/// and character classes are kept, never its text; the words are
/// `lab::describe::crack_estimate`'s, in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// The password's length in characters.
    pub length: usize,
    /// How many characters its classes hold together.
    pub alphabet: u32,
    /// How long trying them all takes; [`Duration::MAX`] when too long to
    /// say (or when no speed was measured).
    #[serde(rename = "seconds", serialize_with = "seconds")]
    pub duration: Duration,
    /// The measured speed, in whole guesses per second.
    pub rate: u64,
}

impl Estimate {
    /// The estimate for `password` at `rate` guesses per second.
    pub fn of(password: &str, rate: f64) -> Estimate {
        let length = password.chars().count();
        let alphabet = Alphabet::of(password);
        Estimate {
            length,
            alphabet: alphabet.size(),
            duration: estimate(length, alphabet, rate),
            rate: if rate.is_finite() && rate > 0.0 {
                rate.round() as u64
            } else {
                0
            },
        }
    }
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

#[cfg(test)]
mod tests;
