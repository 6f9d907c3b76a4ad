//! How far the learner got: per lesson, the furthest step reached, the
//! steps met, whether the chapter is done, and the quiz answers given; and
//! the place (chapter, step or question, language) the lab was left at.
//! Saved as TOML in the user's data directory, so a closed lab opens where
//! it was left.
//!
//! The file is the learner's own record, so it is never thrown away: a
//! file that does not parse is set aside as `progress.toml.bad` before
//! anything new is written over it, and saving goes through a temporary
//! file and a rename, so a crash mid-write cannot leave half a file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file name inside the data directory.
pub const FILE_NAME: &str = "progress.toml";

/// The environment variable that moves the data directory (shared with
/// `popscope serve`, which keeps its demo CA there).
pub const DATA_DIR_ENV: &str = "POPSCOPE_DATA_DIR";

/// Everything saved, by lesson id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Per lesson id. The id is the same in both languages, so switching
    /// language keeps the learner's place.
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
    /// Where the learner was when the lab closed, so it reopens there.
    /// Files from before it was kept have none, and open as they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
    /// Why the saved file could not be used, for the caller to show once.
    #[serde(skip)]
    pub warning: Option<String>,
}

/// One lesson's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The furthest step reached, 0-based.
    #[serde(default)]
    pub step: usize,
    /// True once every step was met and every quiz question answered.
    #[serde(default)]
    pub done: bool,
    /// The quiz answers given, one per question answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    /// The steps (0-based, ascending) that were reached with all their
    /// expectations holding; a step without expectations counts once
    /// reached. Kept so a chapter finished over several sittings is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub met: Vec<usize>,
}

/// The learner's place: a chapter (by its id, as the rest of the file),
/// the step or quiz question in it, and the language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// The chapter's id.
    pub id: String,
    /// The language code, "ja" or "en"; anything else is ignored.
    #[serde(default)]
    pub lang: String,
    /// The step shown, 0-based, when it was a step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// The quiz question shown, 0-based, when it was the quiz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<usize>,
}

/// One quiz answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The question, 0-based.
    pub question: usize,
    /// The choice picked, 0-based.
    pub choice: usize,
    /// Whether it was the right one.
    pub right: bool,
}

impl LessonProgress {
    /// The answer given to a question, if any.
    pub fn answer(&self, question: usize) -> Option<&Answer> {
        self.answers.iter().find(|a| a.question == question)
    }
}

impl Progress {
    /// Read the saved progress. A missing file is a fresh start; a file
    /// that cannot be read or parsed is also a fresh start, with
    /// [`Progress::warning`] set, and is set aside by the next
    /// [`Progress::save`].
    pub fn load(path: &Path) -> Progress {
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Progress::default(),
            Err(e) => {
                return Progress {
                    warning: Some(format!(
                        "cannot read the saved progress {}: {e}; starting afresh",
                        path.display()
                    )),
                    ..Progress::default()
                };
            }
        };
        match parse(&text) {
            Ok(p) => p,
            Err(why) => Progress {
                warning: Some(format!(
                    "the saved progress {} is damaged ({why}); starting afresh, and it will be kept as {}",
                    path.display(),
                    free_bad_path(path).display()
                )),
                ..Progress::default()
            },
        }
    }

    /// Write the progress to `path`, creating its directory. A damaged
    /// file already there is renamed to `progress.toml.bad` first (or
    /// `.bad.2`, … when that name is taken), so nothing the learner had is
    /// lost.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        if let Ok(existing) = std::fs::read(path)
            && parse(&existing).is_err()
        {
            std::fs::rename(path, free_bad_path(path))?;
        }
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    /// The progress of a lesson, if it was ever opened.
    pub fn lesson(&self, id: &str) -> Option<&LessonProgress> {
        self.lessons.get(id)
    }

    /// Record that step `step` (0-based) of lesson `id` was reached; the
    /// furthest step is kept.
    pub fn reach(&mut self, id: &str, step: usize) {
        let p = self.lessons.entry(id.to_string()).or_default();
        p.step = p.step.max(step);
    }

    /// Record that step `step` of lesson `id` was reached with its
    /// expectations holding.
    pub fn meet(&mut self, id: &str, step: usize) {
        let p = self.lessons.entry(id.to_string()).or_default();
        if let Err(at) = p.met.binary_search(&step) {
            p.met.insert(at, step);
        }
    }

    /// Record that lesson `id` is done.
    pub fn complete(&mut self, id: &str) {
        self.lessons.entry(id.to_string()).or_default().done = true;
    }

    /// Record an answer to a quiz question (both 0-based), replacing an
    /// earlier answer to the same question.
    pub fn answer(&mut self, id: &str, question: usize, choice: usize, right: bool) {
        let p = self.lessons.entry(id.to_string()).or_default();
        let a = Answer {
            question,
            choice,
            right,
        };
        match p.answers.iter_mut().find(|a| a.question == question) {
            Some(old) => *old = a,
            None => {
                p.answers.push(a);
                p.answers.sort_by_key(|a| a.question);
            }
        }
    }
}

/// Parse a saved file's bytes.
fn parse(bytes: &[u8]) -> Result<Progress, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    toml::from_str(text).map_err(|e| e.message().trim().to_string())
}

/// `progress.toml.bad` for n = 1, `progress.toml.bad.N` after that.
fn bad_path(path: &Path, n: u32) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| FILE_NAME.into());
    name.push(".bad");
    if n > 1 {
        name.push(format!(".{n}"));
    }
    path.with_file_name(name)
}

/// The first of `.bad`, `.bad.2`, … `.bad.9` not yet taken; past that the
/// oldest name is reused rather than filling the directory.
fn free_bad_path(path: &Path) -> PathBuf {
    (1..=9)
        .map(|n| bad_path(path, n))
        .find(|p| !p.exists())
        .unwrap_or_else(|| bad_path(path, 1))
}

/// Where the progress is saved: `progress.toml` in `$POPSCOPE_DATA_DIR`
/// when that is set, otherwise in the XDG data directory
/// (`~/.local/share/popscope` on Linux). `None` when there is no home.
pub fn default_path() -> Option<PathBuf> {
    path_from(std::env::var_os(DATA_DIR_ENV).map(PathBuf::from))
}

/// [`default_path`] with the variable's value passed in, so tests need not
/// change the process environment.
fn path_from(env_dir: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(d) = env_dir.filter(|d| !d.as_os_str().is_empty()) {
        return Some(d.join(FILE_NAME));
    }
    let dirs = directories::ProjectDirs::from("", "", "popscope")?;
    Some(dirs.data_dir().join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Progress {
        let mut p = Progress::default();
        p.reach("pop3", 3);
        p.reach("pop3", 1);
        p.answer("pop3", 1, 2, true);
        p.answer("pop3", 0, 0, false);
        p.answer("pop3", 1, 1, false);
        p.complete("delivery");
        p.meet("pop3", 2);
        p.meet("pop3", 0);
        p.meet("pop3", 2);
        p.resume = Some(Resume {
            id: "switch".into(),
            lang: "ja".into(),
            step: None,
            quiz: Some(2),
        });
        p
    }

    #[test]
    fn the_place_and_the_steps_met_survive_a_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let p = sample();
        assert_eq!(p.lesson("pop3").expect("recorded").met, vec![0, 2]);
        p.save(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("[resume]"), "{text}");
        let back = Progress::load(&path);
        assert!(back.warning.is_none());
        assert_eq!(back.resume, p.resume);
        assert_eq!(back, p);
    }

    #[test]
    fn a_file_from_before_the_place_was_kept_still_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let old = "[lessons.pop3]\nstep = 3\ndone = false\n\n[[lessons.pop3.answers]]\nquestion = 0\nchoice = 1\nright = true\n\n[lessons.danger]\nstep = 4\ndone = true\n";
        std::fs::write(&path, old).expect("write");
        let p = Progress::load(&path);
        assert!(p.warning.is_none(), "{:?}", p.warning);
        assert_eq!(p.resume, None);
        let pop3 = p.lesson("pop3").expect("kept");
        assert_eq!((pop3.step, pop3.answers.len()), (3, 1));
        assert!(pop3.met.is_empty());
        assert!(p.lesson("danger").is_some_and(|l| l.done));
        // A place with only the chapter opens at its introduction.
        std::fs::write(&path, "[resume]\nid = \"pop3\"\n").expect("write");
        let p = Progress::load(&path);
        assert!(p.warning.is_none(), "{:?}", p.warning);
        let r = p.resume.expect("a place");
        assert_eq!(
            (r.id.as_str(), r.lang.as_str(), r.step, r.quiz),
            ("pop3", "", None, None)
        );
    }

    #[test]
    fn recording_keeps_the_furthest_step_and_the_newest_answer() {
        let p = sample();
        let l = p.lesson("pop3").expect("recorded");
        assert_eq!(l.step, 3);
        assert!(!l.done);
        assert_eq!(l.answers.len(), 2);
        assert_eq!(l.answers[0].question, 0, "sorted by question");
        assert_eq!(
            l.answer(1),
            Some(&Answer {
                question: 1,
                choice: 1,
                right: false
            })
        );
        assert!(p.lesson("delivery").is_some_and(|l| l.done));
        assert!(p.lesson("nope").is_none());
    }

    #[test]
    fn save_and_load_round_trip_creating_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b").join(FILE_NAME);
        let p = sample();
        p.save(&path).expect("save");
        let back = Progress::load(&path);
        assert_eq!(back, p);
        assert!(back.warning.is_none());
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("[lessons.pop3]"), "{text}");
        // Only the file itself is left: the temporary file was renamed.
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn a_missing_file_is_a_quiet_fresh_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Progress::load(&dir.path().join(FILE_NAME));
        assert_eq!(p, Progress::default());
        assert!(p.warning.is_none());
    }

    #[test]
    fn a_damaged_file_is_kept_aside_not_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let damaged = "[lessons.pop3\nstep = 3\n";
        std::fs::write(&path, damaged).expect("write");
        let mut p = Progress::load(&path);
        assert!(p.lessons.is_empty());
        let w = p.warning.clone().expect("a warning");
        assert!(
            w.contains("damaged") && w.contains("progress.toml.bad"),
            "{w}"
        );
        // Loading alone changes nothing on disk.
        assert_eq!(std::fs::read_to_string(&path).expect("read"), damaged);

        p.reach("auth", 2);
        p.save(&path).expect("save");
        let bad = dir.path().join("progress.toml.bad");
        assert_eq!(std::fs::read_to_string(&bad).expect("kept"), damaged);
        assert_eq!(
            Progress::load(&path).lesson("auth").map(|l| l.step),
            Some(2)
        );

        // A second save finds a good file and leaves the .bad one alone.
        p.reach("auth", 4);
        p.save(&path).expect("save again");
        assert_eq!(std::fs::read_to_string(&bad).expect("kept"), damaged);
        assert!(!dir.path().join("progress.toml.bad.2").exists());

        // Another damaged file later gets the next free name.
        std::fs::write(&path, b"\xff\xff").expect("write");
        let w = Progress::load(&path).warning.expect("a warning");
        assert!(w.contains("progress.toml.bad.2"), "{w}");
        p.save(&path).expect("save");
        assert_eq!(
            std::fs::read(dir.path().join("progress.toml.bad.2")).expect("kept"),
            b"\xff\xff"
        );
    }

    #[test]
    fn the_data_dir_variable_comes_first() {
        assert_eq!(
            path_from(Some(PathBuf::from("/tmp/x"))),
            Some(PathBuf::from("/tmp/x/progress.toml"))
        );
        if let Some(p) = path_from(Some(PathBuf::new())) {
            assert!(p.ends_with("popscope/progress.toml"), "{}", p.display());
        }
        if let Some(p) = path_from(None) {
            assert!(p.ends_with("popscope/progress.toml"), "{}", p.display());
        }
    }
}
