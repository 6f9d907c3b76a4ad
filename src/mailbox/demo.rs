//! The demo content that ships inside the binary.
//!
//! The messages under `assets/maildir/` (produced by
//! `assets/make-demo-maildir.py`) are compiled in with `include_bytes!`, so a
//! binary installed with `cargo install` can set up the lab maildrop on any
//! machine without the source tree. [`write_demo_maildir`] lays them out as
//! a real Maildir, and [`DEMO_USERS`] holds the matching demo accounts.
//!
//! The tests at the bottom keep this file honest: every message on disk must
//! be listed here with identical bytes, and the user list must agree with
//! `assets/users.txt`.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::os::unix::io::AsRawFd as _;
use std::path::{Path, PathBuf};

/// One embedded file: a path relative to the maildir root
/// (`"alice/cur/NAME"`, always with `/` separators) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct DemoFile {
    /// Path relative to the maildir root, e.g. `alice/cur/1764201600.M100001P4242.popscope:2,S`.
    pub path: &'static str,
    /// The message exactly as stored on disk (LF line endings).
    pub bytes: &'static [u8],
}

/// Declares one [`DemoFile`] whose bytes come from `assets/maildir/<path>`.
macro_rules! demo_file {
    ($path:literal) => {
        DemoFile {
            path: $path,
            bytes: include_bytes!(concat!("../../assets/maildir/", $path)),
        }
    };
}

/// Every message of the demo maildir, embedded with
/// `include_bytes!("../../assets/maildir/...")`, in delivery order per user.
pub const DEMO_FILES: &[DemoFile] = &[
    // alice
    demo_file!("alice/cur/1764201600.M100001P4242.popscope:2,S"), // welcome (UTF-8, 8bit)
    demo_file!("alice/cur/1764205200.M100002P4242.popscope:2,S"), // Japanese, ISO-2022-JP
    demo_file!("alice/cur/1764208800.M100003P4242.popscope:2,S"), // lines starting with "."
    demo_file!("alice/cur/1764212400.M100004P4242.popscope:2,S"), // ~200 KB PNG attachment
    demo_file!("alice/cur/1764216000.M100005P4242.popscope:2,S"), // 1200- and 5000+-char lines
    demo_file!("alice/cur/1764219600.M100006P4242.popscope:2,S"), // quoted-printable UTF-8
    demo_file!("alice/cur/1764223200.M100007P4242.popscope:2,S"), // tabs, trailing spaces
    demo_file!("alice/cur/1764226800.M100008P4242.popscope:2,S"), // headers only, empty body
    // bob
    demo_file!("bob/cur/1764288000.M200001P4242.popscope:2,S"), // English
    demo_file!("bob/cur/1764291600.M200002P4242.popscope:2,S"), // Japanese, ISO-2022-JP
    demo_file!("bob/cur/1764295200.M200003P4242.popscope:2,S"), // English reply
];

/// The demo users and passwords (kept equal to `assets/users.txt`; a test
/// checks it). Deliberately weak: they are meant to be seen on the wire.
pub const DEMO_USERS: &[(&str, &str)] = &[("alice", "wonderland"), ("bob", "builder")];

/// Turn a `/`-separated relative path into a path under `root`, one
/// component at a time so the result uses the platform's separator.
fn under_root(root: &Path, rel: &str) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(rel.split('/'));
    path
}

/// Write a fresh copy of the demo maildir under `root`.
///
/// Creates `root/USER/{cur,new,tmp}` for every demo user (the empty `new`
/// and `tmp` folders cannot live in git, so they are made here), then writes
/// every message of [`DEMO_FILES`]. `root` and missing parents are created.
/// A file that already exists with the same name is overwritten; anything
/// else already under `root` is left alone, so pass an empty or missing
/// directory to get exactly the demo content.
pub fn write_demo_maildir(root: &Path) -> io::Result<()> {
    for (user, _) in DEMO_USERS {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(root.join(user).join(sub))?;
        }
    }
    for file in DEMO_FILES {
        let path = under_root(root, file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, file.bytes)?;
    }
    Ok(())
}

/// The demo user whose messages (three short ones, in English and
/// Japanese) every workshop account starts with.
const STARTER_USER: &str = "bob";

/// Give `user` a maildrop under `root` holding the starter messages
/// (bob's demo mail), unless a maildrop of that name is already there (a
/// demo user keeps its own mail). The workshop gives each account one.
pub fn write_starter_maildrop(root: &Path, user: &str) -> io::Result<()> {
    let home = root.join(user);
    if home.exists() {
        return Ok(());
    }
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(home.join(sub))?;
    }
    let prefix = format!("{STARTER_USER}/");
    for file in DEMO_FILES {
        if let Some(rest) = file.path.strip_prefix(&prefix) {
            fs::write(under_root(&home, rest), file.bytes)?;
        }
    }
    Ok(())
}

/// The start of a demo copy's directory name in the temp dir; the owner's
/// PID and a random part follow: `popscope-demo-PID-XXXXXX`.
pub const COPY_PREFIX: &str = "popscope-demo-";

/// The lock file inside a demo copy. Its owner holds an exclusive `flock`
/// on it for as long as it runs; the kernel drops the lock when the process
/// dies, however it dies, so a free lock is proof that nobody uses the copy.
const COPY_LOCK: &str = ".popscope-owner.lock";

/// A fresh copy of the demo maildir in the temp dir, for `popscope serve`
/// without `--maildir`. It is removed when dropped; a copy left behind by a
/// process that could not run its destructor (`kill -9`) is removed by the
/// next [`DemoCopy::create`], see [`remove_stale_copies`].
#[derive(Debug)]
pub struct DemoCopy {
    dir: tempfile::TempDir,
    _lock: fs::File,
}

impl DemoCopy {
    /// Remove stale copies, then make a new one in `std::env::temp_dir()`.
    pub fn create() -> io::Result<DemoCopy> {
        Self::create_in(&std::env::temp_dir())
    }

    /// Remove stale copies in `tmp`, then make a new one there.
    pub fn create_in(tmp: &Path) -> io::Result<DemoCopy> {
        for path in remove_stale_copies(tmp) {
            tracing::info!(path = %path.display(), "removed a stale demo copy left by a process that is gone");
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("{COPY_PREFIX}{}-", std::process::id()))
            .tempdir_in(tmp)?;
        let lock = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.path().join(COPY_LOCK))?;
        // Blocking on purpose: a sweeper in another process may hold the
        // lock for the moment it takes to see that our PID is alive.
        flock(&lock, libc::LOCK_EX)?;
        write_demo_maildir(dir.path())?;
        Ok(DemoCopy { dir, _lock: lock })
    }

    /// The maildir root of the copy.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn flock(file: &fs::File, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: `file` owns an open descriptor for the whole call.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Whether a process with this PID exists. When in doubt (a PID that does
/// not fit, a process of another user) the answer is yes, so a doubtful
/// copy is kept rather than removed.
fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid <= 0 {
        return true;
    }
    // Signal 0 sends nothing; it only asks whether the process exists.
    // SAFETY: kill with signal 0 has no effect on any process.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Remove the demo copies in `tmp` that are provably stale, and return
/// their paths. A directory is removed only when all of these hold: its
/// name is `popscope-demo-PID-…`; it is a real directory (not a symlink)
/// owned by this user; no process with that PID exists; and its lock file
/// exists, is not a symlink, and can be locked, so no live process holds
/// it (which also covers a PID reused or seen from another PID namespace).
/// Anything else, older copies without a PID in the name included, is left
/// alone. Errors are not reported: a copy that cannot be checked is kept.
pub fn remove_stale_copies(tmp: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(tmp) else {
        return removed;
    };
    // SAFETY: geteuid cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(COPY_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.file_type().is_dir() || meta.uid() != me || pid_alive(pid) {
            continue;
        }
        let Ok(lock) = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path.join(COPY_LOCK))
        else {
            continue;
        };
        if !lock.metadata().is_ok_and(|m| m.is_file()) {
            continue;
        }
        if flock(&lock, libc::LOCK_EX | libc::LOCK_NB).is_err() {
            continue;
        }
        // remove_dir_all removes symlinks inside the copy without
        // following them, so nothing outside it can be touched.
        if fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn assets() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
    }

    /// Every regular file under `dir`, keyed by its `/`-separated path
    /// relative to `base`.
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("path under base");
                let key = rel
                    .components()
                    .map(|c| c.as_os_str().to_str().expect("UTF-8 file name"))
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes =
                    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                out.insert(key, bytes);
            }
        }
    }

    #[test]
    fn embedded_files_match_assets_on_disk() {
        let root = assets().join("maildir");
        let mut on_disk = BTreeMap::new();
        walk(&root, &root, &mut on_disk);
        assert!(!on_disk.is_empty(), "no files under {}", root.display());

        let mut embedded = BTreeMap::new();
        for file in DEMO_FILES {
            let previous = embedded.insert(file.path.to_string(), file.bytes.to_vec());
            assert!(previous.is_none(), "{} is embedded twice", file.path);
        }

        for path in on_disk.keys() {
            assert!(
                embedded.contains_key(path),
                "assets/maildir/{path} exists on disk but is not listed in DEMO_FILES"
            );
        }
        for (path, bytes) in &embedded {
            let disk = on_disk
                .get(path)
                .unwrap_or_else(|| panic!("DEMO_FILES lists {path}, which is not on disk"));
            assert!(
                disk == bytes,
                "embedded bytes of {path} differ from the file on disk"
            );
        }
    }

    #[test]
    fn demo_files_look_like_maildir_messages() {
        for file in DEMO_FILES {
            let parts: Vec<&str> = file.path.split('/').collect();
            assert_eq!(parts.len(), 3, "{}", file.path);
            assert!(
                DEMO_USERS.iter().any(|(user, _)| *user == parts[0]),
                "{} belongs to no demo user",
                file.path
            );
            assert_eq!(parts[1], "cur", "{}", file.path);
            assert!(parts[2].ends_with(":2,S"), "{}", file.path);
            assert!(!file.bytes.contains(&b'\r'), "{} has a CR byte", file.path);
            assert!(
                file.bytes.ends_with(b"\n"),
                "{} lacks a final LF",
                file.path
            );
        }
        // Listed in delivery order: names sort the same way within each user.
        for (user, _) in DEMO_USERS {
            let names: Vec<&str> = DEMO_FILES
                .iter()
                .filter(|f| f.path.starts_with(&format!("{user}/")))
                .map(|f| f.path)
                .collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{user}'s messages are out of order");
            assert!(!names.is_empty(), "{user} has no messages");
        }
    }

    #[test]
    fn demo_users_match_users_txt() {
        let path = assets().join("users.txt");
        let text =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let parsed: Vec<(String, String)> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                let (name, password) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("users.txt line without ':': {line:?}"));
                (name.to_string(), password.to_string())
            })
            .collect();
        let expected: Vec<(String, String)> = DEMO_USERS
            .iter()
            .map(|(u, p)| (u.to_string(), p.to_string()))
            .collect();
        assert_eq!(parsed, expected);
    }

    #[test]
    fn write_demo_maildir_creates_a_maildir_per_user() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("maildir");
        write_demo_maildir(&root).expect("write demo maildir");
        for (user, _) in DEMO_USERS {
            for sub in ["cur", "new", "tmp"] {
                let path = root.join(user).join(sub);
                assert!(path.is_dir(), "{} is missing", path.display());
            }
            for sub in ["new", "tmp"] {
                let count = fs::read_dir(root.join(user).join(sub)).unwrap().count();
                assert_eq!(count, 0, "{user}/{sub} should start empty");
            }
        }
        for file in DEMO_FILES {
            let path = under_root(&root, file.path);
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            assert!(bytes == file.bytes, "{} differs after writing", file.path);
        }
        let total: usize = DEMO_USERS
            .iter()
            .map(|(user, _)| fs::read_dir(root.join(user).join("cur")).unwrap().count())
            .sum();
        assert_eq!(total, DEMO_FILES.len());

        // Writing again over an existing copy works and changes nothing.
        write_demo_maildir(&root).expect("write demo maildir twice");
        for file in DEMO_FILES {
            assert!(fs::read(under_root(&root, file.path)).unwrap() == file.bytes);
        }
    }
}
