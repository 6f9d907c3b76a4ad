//! The maildrop on disk.
//!
//! Mail lives in a Maildir tree (`ROOT/USER/{tmp,new,cur}`), the format
//! Postfix and Dovecot use, so the server can be pointed at a real one. A
//! [`Store`] is the whole tree; opening a user's [`Maildrop`] takes that
//! user's lock (one POP3 session per maildrop, RFC 1939 §8), moves newly
//! delivered mail from `new/` to `cur/`, and numbers the messages for the
//! session. Deletion marks live only in the `Maildrop` value: nothing is
//! removed from disk until [`Maildrop::commit`], which the session calls
//! only for QUIT in TRANSACTION state. Dropping a `Maildrop` without
//! committing (a dropped connection, a timeout, an error) deletes nothing.

pub mod demo;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use md5::{Digest, Md5};

use crate::pop3::framing::CrlfLen;

/// Why a maildrop could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// Another session holds this user's maildrop.
    #[error("maildrop of {0} is already in use by another session")]
    InUse(String),
    /// The name cannot be a directory under the root (path tricks, odd bytes).
    #[error("user name {0:?} cannot name a maildrop")]
    BadUserName(String),
    /// The file system refused something; the session reports `[SYS/TEMP]`.
    #[error("maildrop {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> MailboxError + '_ {
    move |source| MailboxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Octet counts already computed, keyed by the message's path, and valid
/// while the file's length and modification time stay the same. Counting
/// means reading the whole file, so a busy server must not do it again at
/// every login.
type SizeCache = HashMap<PathBuf, (u64, Option<SystemTime>, u64)>;

/// The Maildir tree that holds every user's maildrop.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    locked: Mutex<HashSet<String>>,
    sizes: Mutex<SizeCache>,
}

/// One message as the session numbers it.
#[derive(Debug, Clone)]
pub struct Message {
    /// Where the file is now (under `cur/`).
    pub path: PathBuf,
    /// The unique id, stable across sessions and restarts (UIDL).
    pub uid: String,
    /// Size in octets as sent on the wire with CRLF line ends, before
    /// byte-stuffing (what LIST and STAT report).
    pub size: u64,
    /// Marked by DELE in this session.
    pub deleted: bool,
}

/// One user's maildrop, opened and locked for one session.
#[derive(Debug)]
pub struct Maildrop {
    store: Arc<Store>,
    user: String,
    messages: Vec<Message>,
}

/// What [`Maildrop::commit`] did.
#[derive(Debug, Default)]
pub struct CommitReport {
    /// Messages removed from disk.
    pub removed: usize,
    /// Messages that could not be removed, with the reason.
    pub failed: Vec<(PathBuf, io::Error)>,
}

impl Store {
    /// A store rooted at `root` (which holds one directory per user).
    pub fn new(root: impl Into<PathBuf>) -> Arc<Store> {
        Arc::new(Store {
            root: root.into(),
            locked: Mutex::new(HashSet::new()),
            sizes: Mutex::new(HashMap::new()),
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Lock and open `user`'s maildrop. A user without a directory gets an
    /// empty Maildir created, as Dovecot does, so that mail can be delivered
    /// to it later.
    pub fn open(self: &Arc<Self>, user: &str) -> Result<Maildrop, MailboxError> {
        if !valid_user_dir_name(user) {
            return Err(MailboxError::BadUserName(user.to_string()));
        }
        {
            let mut locked = lock(&self.locked);
            if !locked.insert(user.to_string()) {
                return Err(MailboxError::InUse(user.to_string()));
            }
        }
        // From here on the lock is held; building the Maildrop first means
        // its Drop releases the lock on every error path below.
        let mut drop = Maildrop {
            store: Arc::clone(self),
            user: user.to_string(),
            messages: Vec::new(),
        };
        drop.messages = self.scan(&self.root.join(user))?;
        Ok(drop)
    }

    fn scan(&self, dir: &Path) -> Result<Vec<Message>, MailboxError> {
        for sub in ["cur", "new", "tmp"] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        let new = dir.join("new");
        let cur = dir.join("cur");
        // Mail delivered since the last session sits in new/. Moving it to
        // cur/ with an empty info part is what a Maildir reader does when it
        // has seen a message; the unique part of the name is kept, so the
        // UID does not change.
        for entry in fs::read_dir(&new).map_err(io_err(&new))? {
            let entry = entry.map_err(io_err(&new))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let target = cur.join(format!("{}:2,", name.split(':').next().unwrap_or(name)));
            if let Err(e) = fs::rename(entry.path(), &target) {
                // Another reader may have moved it first; that is fine.
                if e.kind() != io::ErrorKind::NotFound {
                    return Err(MailboxError::Io {
                        path: entry.path(),
                        source: e,
                    });
                }
            }
        }
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in fs::read_dir(&cur).map_err(io_err(&cur))? {
            let entry = entry.map_err(io_err(&cur))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            names.push((name, entry.path()));
        }
        // Maildir names start with the delivery time, so name order is
        // delivery order, and it is the same in every session.
        names.sort();
        let mut messages = Vec::with_capacity(names.len());
        let mut seen = HashSet::new();
        for (name, path) in names {
            let mut uid = uid_for(&name);
            // Two files with the same unique part would break UIDL's promise;
            // fall back to a hash of the whole name for the later one.
            if !seen.insert(uid.clone()) {
                uid = hash_uid(&name);
                seen.insert(uid.clone());
            }
            let size = self.size_of(&path, &name);
            messages.push(Message {
                path,
                uid,
                size,
                deleted: false,
            });
        }
        Ok(messages)
    }

    /// The wire size of a message. Dovecot records it in the name as
    /// `,W=n`; otherwise the file is read once and the result cached. A
    /// file that cannot be read is given its length on disk: RETR will then
    /// fail with `[SYS/TEMP]` for that message alone.
    fn size_of(&self, path: &Path, name: &str) -> u64 {
        if let Some(w) = maildir_field(name, 'W') {
            return w;
        }
        let meta = fs::metadata(path).ok();
        let len = meta.as_ref().map(|m| m.len()).unwrap_or(0);
        let mtime = meta.as_ref().and_then(|m| m.modified().ok());
        if let Some(&(l, m, size)) = lock(&self.sizes).get(path)
            && l == len
            && m == mtime
        {
            return size;
        }
        // Read in pieces: a 100 MB message must not cost 100 MB at login.
        let measured = fs::File::open(path).and_then(|mut f| {
            let mut buf = vec![0u8; 64 * 1024];
            let mut c = CrlfLen::default();
            loop {
                match std::io::Read::read(&mut f, &mut buf) {
                    Ok(0) => return Ok(c.total()),
                    Ok(k) => c.feed(&buf[..k]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        });
        match measured {
            Ok(size) => {
                lock(&self.sizes).insert(path.to_path_buf(), (len, mtime, size));
                size
            }
            Err(_) => len,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave the data half-changed
    // (each critical section is one insert or remove), so poisoning is
    // safe to ignore.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A user name may become a directory name only if it cannot climb out of
/// the root or hide: no separators, no leading dot, printable ASCII.
fn valid_user_dir_name(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 64
        && !user.starts_with('.')
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+@".contains(&b))
}

/// `,S=1234` or `,W=1234` from a Maildir file name.
fn maildir_field(name: &str, key: char) -> Option<u64> {
    let base = name.split(':').next()?;
    base.split(',').skip(1).find_map(|f| {
        let v = f.strip_prefix(key)?.strip_prefix('=')?;
        v.parse().ok()
    })
}

/// The UID of a message: the unique part of its Maildir name (before any
/// `,field` or `:info`), which survives the move from new/ to cur/ and flag
/// changes. RFC 1939 allows 1–70 characters in 0x21–0x7E; a name outside
/// that gets a hash instead, which is just as stable.
pub fn uid_for(name: &str) -> String {
    let unique = name.split([':', ',']).next().unwrap_or(name);
    if (1..=70).contains(&unique.len()) && unique.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        unique.to_string()
    } else {
        hash_uid(name)
    }
}

fn hash_uid(name: &str) -> String {
    hex::encode(Md5::digest(name.as_bytes()))
}

impl Maildrop {
    /// The user this maildrop belongs to.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Every message, deleted ones included, in session order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Number and total size of the messages not marked deleted (STAT).
    pub fn stat(&self) -> (usize, u64) {
        self.messages
            .iter()
            .filter(|m| !m.deleted)
            .fold((0, 0), |(n, s), m| (n + 1, s + m.size))
    }

    /// Message `n` (1-based) if it exists, deleted or not.
    pub fn get(&self, n: u32) -> Option<&Message> {
        let i = usize::try_from(n).ok()?.checked_sub(1)?;
        self.messages.get(i)
    }

    /// Mark message `n` deleted; false if it does not exist.
    pub fn mark_deleted(&mut self, n: u32) -> bool {
        let Some(i) = usize::try_from(n).ok().and_then(|n| n.checked_sub(1)) else {
            return false;
        };
        match self.messages.get_mut(i) {
            Some(m) => {
                m.deleted = true;
                true
            }
            None => false,
        }
    }

    /// Clear every deletion mark (RSET).
    pub fn reset(&mut self) {
        for m in &mut self.messages {
            m.deleted = false;
        }
    }

    /// Remove the marked messages from disk (the UPDATE state). A file that
    /// is already gone counts as removed: someone else deleted it, and the
    /// user wanted it gone.
    pub fn commit(self) -> CommitReport {
        let mut report = CommitReport::default();
        for m in self.messages.iter().filter(|m| m.deleted) {
            match fs::remove_file(&m.path) {
                Ok(()) => report.removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => report.removed += 1,
                Err(e) => report.failed.push((m.path.clone(), e)),
            }
        }
        report
        // `self` drops here and releases the lock.
    }
}

impl Drop for Maildrop {
    fn drop(&mut self) {
        lock(&self.store.locked).remove(&self.user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver(root: &Path, user: &str, sub: &str, name: &str, body: &str) -> PathBuf {
        let dir = root.join(user).join(sub);
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn numbering_sizes_and_uids_follow_the_files() {
        let tmp = tempfile::tempdir().unwrap();
        deliver(tmp.path(), "u", "cur", "200.M1P1.h:2,S", "B: 2\n\nbody\n");
        deliver(
            tmp.path(),
            "u",
            "cur",
            "100.M1P1.h,S=9:2,",
            "A: 1\r\n\r\nx\r\n",
        );
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        let uids: Vec<_> = md.messages().iter().map(|m| m.uid.as_str()).collect();
        assert_eq!(uids, ["100.M1P1.h", "200.M1P1.h"]);
        // LF files grow by one octet per line on the wire; CRLF files do not.
        assert_eq!(md.messages()[0].size, 11);
        assert_eq!(md.messages()[1].size, 14);
        assert_eq!(md.stat(), (2, 25));
    }

    #[test]
    fn new_mail_moves_to_cur_and_keeps_its_uid() {
        let tmp = tempfile::tempdir().unwrap();
        deliver(tmp.path(), "u", "new", "300.M9P9.h", "S: new\n\nhi\n");
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        assert_eq!(md.messages().len(), 1);
        assert_eq!(md.messages()[0].uid, "300.M9P9.h");
        assert!(tmp.path().join("u/cur/300.M9P9.h:2,").exists());
        assert!(!tmp.path().join("u/new/300.M9P9.h").exists());
        drop(md);
        let again = store.open("u").unwrap();
        assert_eq!(again.messages()[0].uid, "300.M9P9.h");
    }

    #[test]
    fn second_open_is_refused_until_the_first_ends() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        let first = store.open("u").unwrap();
        assert!(matches!(store.open("u"), Err(MailboxError::InUse(_))));
        assert!(store.open("v").is_ok());
        drop(first);
        assert!(store.open("u").is_ok());
    }

    #[test]
    fn marks_are_applied_only_by_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let a = deliver(tmp.path(), "u", "cur", "1.a:2,", "x\n");
        let b = deliver(tmp.path(), "u", "cur", "2.b:2,", "y\n");
        let store = Store::new(tmp.path());
        let mut md = store.open("u").unwrap();
        assert!(md.mark_deleted(1));
        assert!(!md.mark_deleted(3));
        assert!(!md.mark_deleted(0));
        assert_eq!(md.stat(), (1, 3));
        drop(md);
        assert!(a.exists(), "dropping without commit deletes nothing");
        let mut md = store.open("u").unwrap();
        md.mark_deleted(2);
        md.reset();
        md.mark_deleted(1);
        let report = md.commit();
        assert_eq!(report.removed, 1);
        assert!(!a.exists());
        assert!(b.exists());
        assert!(store.open("u").is_ok(), "commit releases the lock");
    }

    #[test]
    fn user_names_cannot_escape_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        for bad in ["", "..", "../x", "a/b", ".hidden", "a\0b"] {
            assert!(
                matches!(store.open(bad), Err(MailboxError::BadUserName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn uids_are_printable_and_short() {
        assert_eq!(uid_for("123.M1.host,S=10,W=12:2,S"), "123.M1.host");
        let long = "x".repeat(100);
        let u = uid_for(&long);
        assert_eq!(u.len(), 32);
        let odd = uid_for("a b");
        assert!(odd.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    }

    #[test]
    fn dovecot_size_field_is_trusted() {
        assert_eq!(maildir_field("1.M.h,S=10,W=12:2,S", 'W'), Some(12));
        assert_eq!(maildir_field("1.M.h,S=10:2,S", 'W'), None);
        assert_eq!(maildir_field("1.M.h:2,W=5", 'W'), None);
    }
}
