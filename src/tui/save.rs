//! Writing what the lab screen recorded as a pcapng capture (the `w`
//! key): where the file goes and what it is called. The capture itself is
//! [`crate::wire::pcap::write_pcapng`]'s, the same as `demo --pcap`.

use std::fs::OpenOptions;
use std::io::{BufWriter, ErrorKind};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::lab::Event;

/// Where captures go, in order: the current directory, where the teacher
/// started popscope and will look first, else the XDG data directory's
/// `captures/` (a lab run from a read-only place still saves).
pub fn capture_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(".")];
    if let Some(p) = directories::ProjectDirs::from("", "", "popscope") {
        dirs.push(p.data_dir().join("captures"));
    }
    dirs
}

/// `YYYYMMDD-HHMMSS` in UTC, for file names that sort by time.
pub fn stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let t = crate::utc::from_unix(secs);
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// Keep a name to letters, digits and `-`, so a scenario's name cannot
/// make a path.
fn tidy(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if s.is_empty() { "lab".into() } else { s }
}

/// Write `events` as `popscope-<name>-<time>.pcapng` in the first of
/// `dirs` that takes it, never over an existing file (`-2`, `-3`… are
/// added). `start` is the wall-clock time of the events' zero. Returns the
/// file's path, or every directory's reason in one line.
pub fn save_capture(
    events: &[Event],
    server_port: u16,
    start: SystemTime,
    name: &str,
    now: SystemTime,
    dirs: &[PathBuf],
) -> Result<PathBuf, String> {
    let base = format!("popscope-{}-{}", tidy(name), stamp(now));
    let mut why = Vec::new();
    for dir in dirs {
        match save_in(events, server_port, start, &base, dir) {
            Ok(p) => return Ok(p),
            Err(e) => why.push(format!("{}: {e}", dir.display())),
        }
    }
    Err(why.join("; "))
}

fn save_in(
    events: &[Event],
    server_port: u16,
    start: SystemTime,
    base: &str,
    dir: &Path,
) -> Result<PathBuf, String> {
    if dir != Path::new(".") {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    for n in 1..1000 {
        let file = if n == 1 {
            format!("{base}.pcapng")
        } else {
            format!("{base}-{n}.pcapng")
        };
        let path = if dir == Path::new(".") {
            PathBuf::from(&file)
        } else {
            dir.join(&file)
        };
        // create_new: a file of the same name (another capture in the same
        // second, or anything else) is never overwritten.
        let f = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.to_string()),
        };
        return match crate::wire::pcap::write_pcapng(events, server_port, start, BufWriter::new(f))
        {
            Ok(()) => Ok(path),
            Err(e) => {
                // Half a capture would mislead whoever opens it.
                let _ = std::fs::remove_file(&path);
                Err(format!("{e:#}"))
            }
        };
    }
    Err("too many captures with this name".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_stamp_is_the_utc_date_and_time() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_165_296);
        assert_eq!(stamp(t), "20261201-224816");
        assert_eq!(stamp(SystemTime::UNIX_EPOCH), "19700101-000000");
        // A leap day.
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(stamp(t), "20000229-000000");
    }

    #[test]
    fn a_second_capture_never_overwrites_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = [dir.path().to_path_buf()];
        let now = SystemTime::now();
        let a = save_capture(&[], 110, now, "plain", now, &dirs).unwrap();
        let b = save_capture(&[], 110, now, "../plain", now, &dirs).unwrap();
        assert_ne!(a, b);
        assert!(
            a.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("popscope-plain-")
        );
        assert!(b.to_str().unwrap().ends_with("-2.pcapng") || b != a);
        assert_eq!(b.parent(), Some(dir.path()));
    }

    #[test]
    fn an_unwritable_directory_falls_back_to_the_next_and_errors_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let now = SystemTime::now();
        let err =
            save_capture(&[], 110, now, "plain", now, std::slice::from_ref(&file)).unwrap_err();
        assert!(err.contains("not-a-dir"), "{err}");
        let ok = save_capture(&[], 110, now, "plain", now, &[file, dir.path().into()]).unwrap();
        assert_eq!(ok.parent(), Some(dir.path()));
    }
}
