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
//!
//! Other programs may work on the same Maildir while a session is open (a
//! mail client on the same machine, a delivery agent), and a local user may
//! be able to write into it. So nothing here trusts what it finds: only
//! regular files are messages (symlinks, FIFOs, devices and directories are
//! skipped and never opened through), a file is never renamed over another
//! one, a size written in a file name is used only when it agrees with the
//! file, and a message is found again by its unique name when another
//! client changed its flags.
//!
//! Every function here that touches the disk blocks; the server calls them
//! from its blocking pool, never from an async worker.

pub mod demo;
mod name;

pub use name::MaildirName;

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use md5::{Digest, Md5};

use crate::sync::lock;

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
    #[error("maildrop {path:?}: {source}")]
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

/// Why a message cannot be sent now; the session answers `[SYS/TEMP]`.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file's length or modification time is not what they were when
    /// the session numbered it, so the size the session announced may be
    /// wrong.
    #[error("{0:?} changed on disk since the session numbered it")]
    Changed(PathBuf),
    /// The file is gone (another client deleted it).
    #[error("{0:?} is no longer on disk")]
    Gone(PathBuf),
    /// The file system refused, or the name is no longer a regular file.
    #[error("{path:?}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

/// An octet count already made, valid while the file's length and
/// modification time stay the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counted {
    len: u64,
    mtime: Option<SystemTime>,
    size: u64,
}

/// What the last scan of one user's maildrop learnt. Each scan replaces
/// it with only what it saw, so it never holds more than the files that
/// are there: counting means reading the whole file, which a busy server
/// must not do again at every login, but a count for a deleted file is
/// just memory lost.
#[derive(Debug, Default)]
struct Seen {
    /// Counts by the name's base (before `:`), which survives flag changes.
    sizes: HashMap<String, Counted>,
    /// Entries that were skipped (`cur/NAME` or `new/NAME`), so the warning
    /// about each is logged once rather than at every login.
    skipped: HashSet<String>,
}

/// The Maildir tree that holds every user's maildrop.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    locked: Mutex<HashSet<String>>,
    seen: Mutex<HashMap<String, Seen>>,
}

/// One message as the session numbers it.
#[derive(Debug, Clone)]
pub struct Message {
    /// Where the file was when the session numbered it (under `cur/`).
    pub path: PathBuf,
    /// The unique id, stable across sessions and restarts (UIDL).
    pub uid: String,
    /// Size in octets as sent on the wire with CRLF line ends, before
    /// byte-stuffing (what LIST and STAT report).
    pub size: u64,
    /// Marked by DELE in this session.
    pub deleted: bool,
    /// The file's length when numbered; RETR sends exactly these octets.
    len: u64,
    /// The file's modification time when numbered.
    mtime: Option<SystemTime>,
    /// False when `size` comes from the name's `W=` field and was not
    /// counted from the file: RETR counts before it announces.
    counted: bool,
}

/// One user's maildrop, opened and locked for one session.
#[derive(Debug)]
pub struct Maildrop {
    store: Arc<Store>,
    user: String,
    messages: Vec<Message>,
}

/// What [`Maildrop::commit`] did with the messages marked deleted. Every
/// marked message is counted in exactly one of the three.
#[derive(Debug, Default)]
pub struct CommitReport {
    /// Files this commit removed from disk.
    pub removed: usize,
    /// Messages that were no longer on disk under any flags: another
    /// client removed them first.
    pub gone: usize,
    /// Messages still on disk, with the reason.
    pub failed: Vec<(PathBuf, io::Error)>,
}

impl Store {
    /// A store rooted at `root` (which holds one directory per user).
    pub fn new(root: impl Into<PathBuf>) -> Arc<Store> {
        Arc::new(Store {
            root: root.into(),
            locked: Mutex::new(HashSet::new()),
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many octet counts the store remembers, over all users (for
    /// tests that memory follows the files).
    #[doc(hidden)]
    pub fn cached_sizes(&self) -> usize {
        lock(&self.seen).values().map(|s| s.sizes.len()).sum()
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
        // The user's lock is held, so no other scan of this user runs: the
        // cache entry can be taken out and put back without a race.
        let mut old = lock(&self.seen).remove(user).unwrap_or_default();
        let mut now = Seen::default();
        let scanned = scan(&self.root.join(user), &mut old, &mut now);
        if !now.sizes.is_empty() || !now.skipped.is_empty() {
            lock(&self.seen).insert(user.to_string(), now);
        }
        drop.messages = scanned?;
        Ok(drop)
    }

    fn forget(&self, user: &str, bases: &[String]) {
        if bases.is_empty() {
            return;
        }
        let mut seen = lock(&self.seen);
        if let Some(s) = seen.get_mut(user) {
            for b in bases {
                s.sizes.remove(b);
            }
            if s.sizes.is_empty() && s.skipped.is_empty() {
                seen.remove(user);
            }
        }
    }
}

/// One directory entry of `cur/` that is a regular file.
struct Entry {
    name: String,
    path: PathBuf,
    meta: fs::Metadata,
}

/// Make sure `dir` is a real directory: created when missing, refused when
/// it is a symlink or anything else, so `cur/` cannot be pointed at a
/// directory the maildrop's owner should not read.
fn ensure_dir(dir: &Path) -> Result<(), MailboxError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(MailboxError::Io {
            path: dir.to_path_buf(),
            source: io::Error::other("not a directory (symlinks are not followed)"),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(io_err(dir))
        }
        Err(e) => Err(MailboxError::Io {
            path: dir.to_path_buf(),
            source: e,
        }),
    }
}

fn kind_of(ft: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_symlink() {
        "a symlink"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Log once that an entry is not served, and remember it for next time.
fn skip(old: &Seen, now: &mut Seen, dir: &Path, key: String, why: &str) {
    if !old.skipped.contains(&key) {
        // `{:?}` shows control characters in a hostile name escaped.
        tracing::warn!(
            "skipping {:?}: {why}; only regular files are served",
            dir.join(&key)
        );
    }
    now.skipped.insert(key);
}

fn scan(dir: &Path, old: &mut Seen, now: &mut Seen) -> Result<Vec<Message>, MailboxError> {
    for sub in ["cur", "new", "tmp"] {
        ensure_dir(&dir.join(sub))?;
    }
    let cur = dir.join("cur");
    let mut entries = Vec::new();
    for entry in fs::read_dir(&cur).map_err(io_err(&cur))? {
        let entry = entry.map_err(io_err(&cur))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        // DirEntry::metadata does not follow a symlink, so a link to
        // /etc/passwd is seen as the link it is.
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&entry.path())(e)),
        };
        if !meta.is_file() {
            skip(
                old,
                now,
                dir,
                format!("cur/{name}"),
                kind_of(meta.file_type()),
            );
            continue;
        }
        entries.push(Entry {
            path: entry.path(),
            name,
            meta,
        });
    }
    deliver_new(dir, &mut entries, old, now)?;
    // Maildir names start with the delivery time, so name order is
    // delivery order, and it is the same in every session.
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut messages = Vec::with_capacity(entries.len());
    let mut uids = HashSet::new();
    for e in entries {
        let name = MaildirName::parse(&e.name);
        let mut uid = uid_for(&e.name);
        // Two files with the same unique part would break UIDL's promise;
        // fall back to a hash of the whole name for the later one.
        if !uids.insert(uid.clone()) {
            uid = hash_uid(&e.name);
            uids.insert(uid.clone());
        }
        let len = e.meta.len();
        let mtime = e.meta.modified().ok();
        let known = old
            .sizes
            .get(name.base)
            .filter(|c| c.len == len && c.mtime == mtime)
            .copied();
        let (counted, size, len, mtime) = if let Some(c) = known {
            now.sizes.insert(name.base.to_string(), c);
            (true, c.size, len, mtime)
        } else if let Some(w) = name.plausible_wire_size(len) {
            (false, w, len, mtime)
        } else {
            match count(&e.path) {
                Ok(c) => {
                    now.sizes.insert(name.base.to_string(), c);
                    (true, c.size, c.len, c.mtime)
                }
                Err(CountError::NotRegular(why)) => {
                    skip(old, now, dir, format!("cur/{}", e.name), why);
                    continue;
                }
                Err(CountError::Io(err)) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(CountError::Io(err)) => {
                    // Numbered with its length on disk; RETR will count it
                    // again and answer [SYS/TEMP] if it still cannot.
                    tracing::warn!("cannot measure {:?}: {err}", e.path);
                    (false, len, len, mtime)
                }
            }
        };
        messages.push(Message {
            path: e.path,
            uid,
            size,
            deleted: false,
            len,
            mtime,
            counted,
        });
    }
    Ok(messages)
}

/// Mail delivered since the last session sits in new/. Moving it to cur/
/// with an empty info part is what a Maildir reader does when it has seen
/// a message; the name is kept, so the UID does not change. The move is a
/// hard link followed by an unlink, never a rename: a rename would silently
/// replace a message already in cur/ under that name. When the name is
/// taken, the message gets a fresh one (and so a fresh UID: it is a
/// different message).
fn deliver_new(
    dir: &Path,
    entries: &mut Vec<Entry>,
    old: &Seen,
    now: &mut Seen,
) -> Result<(), MailboxError> {
    let new = dir.join("new");
    let cur = dir.join("cur");
    let mut bases: HashMap<String, (u64, u64)> = entries
        .iter()
        .map(|e| {
            let base = MaildirName::parse(&e.name).base.to_string();
            (base, (e.meta.dev(), e.meta.ino()))
        })
        .collect();
    for entry in fs::read_dir(&new).map_err(io_err(&new))? {
        let entry = entry.map_err(io_err(&new))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let from = entry.path();
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&from)(e)),
        };
        if !meta.is_file() {
            skip(
                old,
                now,
                dir,
                format!("new/{name}"),
                kind_of(meta.file_type()),
            );
            continue;
        }
        let parsed = MaildirName::parse(&name);
        let id = (meta.dev(), meta.ino());
        if bases.get(parsed.base) == Some(&id) {
            // A reader that linked it into cur/ and stopped before the
            // unlink: the message is already there.
            remove_quietly(&from);
            continue;
        }
        match link_into_cur(&from, &cur, &parsed, &bases) {
            Ok(target) => {
                remove_quietly(&from);
                let tname = target.file_name().and_then(|n| n.to_str());
                if let (Some(tname), Ok(tmeta)) = (tname, fs::symlink_metadata(&target)) {
                    bases.insert(MaildirName::parse(tname).base.to_string(), id);
                    entries.push(Entry {
                        name: tname.to_string(),
                        path: target,
                        meta: tmeta,
                    });
                }
            }
            // Another reader moved it first; it is in cur/ (and seen at the
            // next login) or gone.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                // Left where it is: nothing is lost, and the next login
                // tries again.
                tracing::warn!("cannot move {from:?} to cur/: {e}");
            }
        }
    }
    Ok(())
}

fn remove_quietly(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove {path:?}: {e}");
    }
}

/// Hard-link `from` into `cur/` under its own base, or under a fresh one
/// when that base is taken (by any flags); returns the new path.
fn link_into_cur(
    from: &Path,
    cur: &Path,
    name: &MaildirName<'_>,
    bases: &HashMap<String, (u64, u64)>,
) -> io::Result<PathBuf> {
    // The fields after the unique part (`,S=…`) still describe the file.
    let fields = &name.base[name.unique.len()..];
    for attempt in 0u32..100 {
        let base = if attempt == 0 {
            name.base.to_string()
        } else {
            format!("{}.dup{attempt}{fields}", name.unique)
        };
        if bases.contains_key(&base) {
            continue;
        }
        let target = cur.join(format!("{base}:2,"));
        match fs::hard_link(from, &target) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free name for it in cur/",
    ))
}

/// Open a message file without following a symlink and without blocking
/// on a FIFO, and make sure it is a regular file before anything reads it.
fn open_regular(path: &Path) -> Result<(File, fs::Metadata), CountError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                CountError::NotRegular("a symlink")
            } else {
                CountError::Io(e)
            }
        })?;
    let meta = file.metadata().map_err(CountError::Io)?;
    if !meta.is_file() {
        return Err(CountError::NotRegular(kind_of(meta.file_type())));
    }
    Ok((file, meta))
}

enum CountError {
    NotRegular(&'static str),
    Io(io::Error),
}

/// Read a whole file in pieces to find its wire size: a 100 MB message
/// must not cost 100 MB at login. Exactly the file's length at the time of
/// opening is read, never more.
fn count(path: &Path) -> Result<Counted, CountError> {
    let (file, meta) = open_regular(path)?;
    let len = meta.len();
    let size = crlf_len_of(&file, len).map_err(CountError::Io)?;
    Ok(Counted {
        len,
        mtime: meta.modified().ok(),
        size,
    })
}

/// The wire size of the first `len` octets of `file`; an error if the
/// file is shorter than that now.
fn crlf_len_of(file: &File, len: u64) -> io::Result<u64> {
    let mut c = CrlfLen::default();
    let mut buf = vec![0u8; CHUNK];
    let mut left = len;
    let mut reader = file;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        match reader.read(&mut buf[..want]) {
            Ok(0) => return Err(shrank()),
            Ok(k) => {
                c.feed(&buf[..k]);
                left -= k as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(c.total())
}

fn shrank() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the message file became shorter while it was read",
    )
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

/// The UID of a message: the unique part of its Maildir name (before any
/// `,field` or `:info`), which survives the move from new/ to cur/ and flag
/// changes. RFC 1939 allows 1–70 characters in 0x21–0x7E; a name outside
/// that gets a hash instead, which is just as stable.
pub fn uid_for(name: &str) -> String {
    let unique = MaildirName::parse(name).unique;
    if (1..=70).contains(&unique.len()) && unique.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        unique.to_string()
    } else {
        hash_uid(name)
    }
}

fn hash_uid(name: &str) -> String {
    hex::encode(Md5::digest(name.as_bytes()))
}

/// How much of a message file is read at a time. Each piece is one trip
/// to the blocking pool, and a trip costs two thread wake-ups, so pieces
/// are large enough for a typical message with an attachment to need one
/// or two; small enough that a room of clients fetching at once stays in
/// bounded memory (one piece and its encoding per RETR in progress).
pub const CHUNK: usize = 128 * 1024;

/// The files in `cur/` and `new/` of a user's directory whose name has
/// this base, whatever their flags.
fn find_by_base(user_dir: &Path, base: &str) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for sub in ["cur", "new"] {
        let dir = user_dir.join(sub);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            if let Some(name) = entry.file_name().to_str()
                && MaildirName::parse(name).base == base
            {
                found.push(entry.path());
            }
        }
    }
    Ok(found)
}

impl Message {
    fn base(&self) -> &str {
        let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        MaildirName::parse(name).base
    }

    /// The user's directory (`cur/`'s parent).
    fn user_dir(&self) -> Option<&Path> {
        self.path.parent()?.parent()
    }

    /// Open the message to send it (RETR and TOP). The file must still be
    /// the regular file the session numbered, with the same length and
    /// modification time; if another client only changed its flags, it is
    /// found under its new name. With `exact_size`, a size that came from
    /// the file name is counted now, so that what RETR announces is what
    /// it sends. This blocks: call it from the blocking pool.
    pub fn open(&self, exact_size: bool) -> Result<MessageReader, ReadError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e: CountError| match e {
                CountError::Io(source) => ReadError::Io { path, source },
                CountError::NotRegular(why) => ReadError::Io {
                    path,
                    source: io::Error::other(format!("{why}, not a regular file")),
                },
            }
        };
        let (path, file, meta) = match open_regular(&self.path) {
            Ok((f, m)) => (self.path.clone(), f, m),
            Err(CountError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                let renamed = self
                    .user_dir()
                    .map(|d| find_by_base(d, self.base()))
                    .transpose()
                    .map_err(|source| ReadError::Io {
                        path: self.path.clone(),
                        source,
                    })?
                    .unwrap_or_default();
                let path = match &renamed[..] {
                    [] => return Err(ReadError::Gone(self.path.clone())),
                    [path] => path,
                    _ => {
                        return Err(ReadError::Io {
                            path: self.path.clone(),
                            source: io::Error::other(
                                "renamed by another client, and more than one file has its name",
                            ),
                        });
                    }
                };
                let (f, m) = open_regular(path).map_err(io(path))?;
                (path.clone(), f, m)
            }
            Err(e) => return Err(io(&self.path)(e)),
        };
        if meta.len() != self.len || meta.modified().ok() != self.mtime {
            return Err(ReadError::Changed(path));
        }
        let mut size = self.size;
        if exact_size && !self.counted {
            size = crlf_len_of(&file, self.len).map_err(|source| ReadError::Io {
                path: path.clone(),
                source,
            })?;
            (&file).rewind().map_err(|source| ReadError::Io {
                path: path.clone(),
                source,
            })?;
        }
        let mut reader = MessageReader {
            file,
            left: self.len,
            size,
            path,
            ahead: Vec::new(),
        };
        // Most messages fit in one piece: reading it now saves the caller
        // a second trip to the blocking pool.
        let mut first = Vec::new();
        reader
            .next_chunk(&mut first)
            .map_err(|source| ReadError::Io {
                path: reader.path.clone(),
                source,
            })?;
        reader.ahead = first;
        Ok(reader)
    }
}

/// A message file opened for sending. It gives out exactly the octets the
/// file had when the session numbered it: a file that grew is cut there,
/// and one that shrank is an error rather than a short message.
#[derive(Debug)]
pub struct MessageReader {
    file: File,
    left: u64,
    size: u64,
    path: PathBuf,
    /// A piece already read (the first one, read when opening).
    ahead: Vec<u8>,
}

impl MessageReader {
    /// The size on the wire (what RETR announces).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when every octet has been given out.
    pub fn is_done(&self) -> bool {
        self.left == 0 && self.ahead.is_empty()
    }

    /// True when the next piece is already in memory, so
    /// [`next_chunk`](Self::next_chunk) will not touch the disk.
    pub fn has_next_in_memory(&self) -> bool {
        !self.ahead.is_empty() || self.left == 0
    }

    /// Replace `buf`'s contents with the next piece of the file (at most
    /// [`CHUNK`] octets); `buf` is left empty at the end. This blocks
    /// unless [`has_next_in_memory`](Self::has_next_in_memory).
    pub fn next_chunk(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        if !self.ahead.is_empty() {
            std::mem::swap(buf, &mut self.ahead);
            return Ok(());
        }
        if self.left == 0 {
            return Ok(());
        }
        let want = CHUNK.min(usize::try_from(self.left).unwrap_or(CHUNK));
        buf.reserve(want);
        // `read_to_end` reads into the spare capacity without zeroing it
        // first, which a `resize` then `read` would do for every piece.
        match (&mut self.file).take(want as u64).read_to_end(buf) {
            Ok(0) => {
                buf.clear();
                Err(shrank())
            }
            Ok(k) => {
                self.left -= k as u64;
                Ok(())
            }
            Err(e) => {
                buf.clear();
                Err(e)
            }
        }
    }
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
    /// The total saturates rather than wraps, whatever the sizes are.
    pub fn stat(&self) -> (usize, u64) {
        self.messages
            .iter()
            .filter(|m| !m.deleted)
            .fold((0, 0u64), |(n, s), m| (n + 1, s.saturating_add(m.size)))
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

    /// Whether any message is marked deleted (if not, QUIT has nothing to
    /// do on disk).
    pub fn has_marks(&self) -> bool {
        self.messages.iter().any(|m| m.deleted)
    }

    /// Clear every deletion mark (RSET).
    pub fn reset(&mut self) {
        for m in &mut self.messages {
            m.deleted = false;
        }
    }

    /// Remove the marked messages from disk (the UPDATE state).
    pub fn commit(self) -> CommitReport {
        self.commit_unless(&AtomicBool::new(false))
    }

    /// [`commit`](Self::commit), stopping before the next removal once
    /// `abandoned` is set (the server gave up waiting; its client was told
    /// that nothing more would be deleted). This blocks.
    ///
    /// A message is looked for by the base of its name (before `:`), so one
    /// whose flags another client changed is still removed. When no file
    /// has that base any more, another client removed it and it counts as
    /// gone; when several do, the right one cannot be told apart and none
    /// is removed.
    pub fn commit_unless(self, abandoned: &AtomicBool) -> CommitReport {
        let mut report = CommitReport::default();
        let mut removed_bases = Vec::new();
        let mut session_bases: HashMap<&str, usize> = HashMap::new();
        for m in &self.messages {
            *session_bases.entry(m.base()).or_default() += 1;
        }
        for m in self.messages.iter().filter(|m| m.deleted) {
            if abandoned.load(Ordering::Relaxed) {
                report.failed.push((
                    m.path.clone(),
                    io::Error::new(io::ErrorKind::TimedOut, "the commit was abandoned"),
                ));
                continue;
            }
            match remove_message(m, session_bases.get(m.base()).copied().unwrap_or(0)) {
                Ok(Some(())) => {
                    report.removed += 1;
                    removed_bases.push(m.base().to_string());
                }
                Ok(None) => report.gone += 1,
                Err(e) => report.failed.push((m.path.clone(), e)),
            }
        }
        self.store.forget(&self.user, &removed_bases);
        report
        // `self` drops here and releases the lock.
    }
}

/// Remove one message: `Ok(Some(()))` when this call removed it, `Ok(None)`
/// when no file with its base is left. `sharing` is how many messages of
/// the session have this base.
fn remove_message(m: &Message, sharing: usize) -> io::Result<Option<()>> {
    match fs::remove_file(&m.path) {
        Ok(()) => return Ok(Some(())),
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    let Some(user_dir) = m.user_dir() else {
        return Ok(None);
    };
    // Renamed by another client (new flags). A few tries, because it may
    // be renamed again between the listing and the unlink.
    for _ in 0..3 {
        let found = find_by_base(user_dir, m.base())?;
        match &found[..] {
            [] => return Ok(None),
            [path] if sharing <= 1 => match fs::remove_file(path) {
                Ok(()) => return Ok(Some(())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            },
            _ => {
                return Err(io::Error::other(
                    "renamed by another client, and more than one file has its name",
                ));
            }
        }
    }
    Err(io::Error::other(
        "renamed by another client again and again while being removed",
    ))
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

    // issue 9: a bogus W= made STAT's total wrap (a panic in a debug
    // build) and RETR announce octets it does not send.
    #[test]
    fn bogus_wire_sizes_are_measured_instead() {
        let tmp = tempfile::tempdir().unwrap();
        deliver(
            tmp.path(),
            "u",
            "cur",
            "1.a,W=18446744073709551615:2,",
            "a\nb\n",
        );
        deliver(
            tmp.path(),
            "u",
            "cur",
            "2.b,W=18446744073709551615:2,",
            "c\n",
        );
        // Plausible but wrong: the file's wire size is 6, not 5.
        deliver(tmp.path(), "u", "cur", "3.c,W=5:2,", "d\ne\n");
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        let sizes: Vec<u64> = md.messages().iter().map(|m| m.size).collect();
        assert_eq!(sizes, [6, 3, 5]);
        assert_eq!(md.stat(), (3, 14));
        // RETR counts a size that came from the name before announcing it.
        assert_eq!(md.messages()[2].open(true).unwrap().size(), 6);
        assert_eq!(md.messages()[2].open(false).unwrap().size(), 5);
    }

    #[test]
    fn the_total_saturates_instead_of_wrapping() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        let mut md = store.open("u").unwrap();
        let m = Message {
            path: tmp.path().join("u/cur/x"),
            uid: "x".into(),
            size: u64::MAX,
            deleted: false,
            len: 0,
            mtime: None,
            counted: true,
        };
        md.messages = vec![m.clone(), m];
        assert_eq!(md.stat(), (2, u64::MAX));
    }

    fn read_all(m: &Message) -> Result<Vec<u8>, ReadError> {
        let mut r = m.open(true)?;
        let mut all = Vec::new();
        let mut chunk = Vec::new();
        while !r.is_done() {
            r.next_chunk(&mut chunk).unwrap();
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }

    // issue 9: a file that changed after login is refused, never sent
    // under a size counted for other contents.
    #[test]
    fn a_message_changed_since_login_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let p = deliver(tmp.path(), "u", "cur", "1.a:2,", "one\n");
        deliver(tmp.path(), "u", "cur", "2.b:2,", "two\n");
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        fs::write(&p, "one, and more\n").unwrap();
        assert!(matches!(
            md.messages()[0].open(true),
            Err(ReadError::Changed(_))
        ));
        assert_eq!(read_all(&md.messages()[1]).unwrap(), b"two\n");
    }

    #[test]
    fn a_reader_never_gives_more_than_was_counted() {
        let tmp = tempfile::tempdir().unwrap();
        // Longer than one piece, so the reader goes back to the file.
        let body = "x".repeat(CHUNK + 100) + "\n";
        let p = deliver(tmp.path(), "u", "cur", "1.a:2,", &body);
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        let give_all = |r: &mut MessageReader| {
            let mut all = Vec::new();
            let mut chunk = Vec::new();
            loop {
                r.next_chunk(&mut chunk)?;
                if chunk.is_empty() {
                    return Ok::<_, io::Error>(all);
                }
                all.extend_from_slice(&chunk);
            }
        };
        let mut r = md.messages()[0].open(true).unwrap();
        // Grows after the checks, while being sent.
        fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| io::Write::write_all(&mut f, b"appended\n"))
            .unwrap();
        assert_eq!(give_all(&mut r).unwrap(), body.as_bytes());
        assert!(r.is_done());
        // Shrinks: an error, not a short message passed off as whole.
        drop(md);
        fs::write(&p, &body).unwrap();
        let md = store.open("u").unwrap();
        let mut r = md.messages()[0].open(true).unwrap();
        fs::write(&p, "01\n").unwrap();
        assert!(give_all(&mut r).is_err());
    }

    // issue 9: another client renamed the message (new flags) during the
    // session; DELE + QUIT reported it deleted and left the file there.
    #[test]
    fn a_message_renamed_by_another_client_is_still_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let a = deliver(tmp.path(), "u", "cur", "1.a,S=2:2,", "x\n");
        let b = deliver(tmp.path(), "u", "cur", "2.b:2,", "y\n");
        let c = deliver(tmp.path(), "u", "cur", "3.c:2,", "z\n");
        let store = Store::new(tmp.path());
        let mut md = store.open("u").unwrap();
        md.mark_deleted(1);
        md.mark_deleted(3);
        let renamed = tmp.path().join("u/cur/1.a,S=2:2,S");
        fs::rename(&a, &renamed).unwrap();
        fs::remove_file(&c).unwrap();
        let report = md.commit();
        assert_eq!(report.removed, 1);
        assert_eq!(report.gone, 1, "3 was removed by someone else");
        assert!(report.failed.is_empty());
        assert!(!renamed.exists(), "the renamed file is removed");
        assert!(b.exists());
    }

    // A commit the server stopped waiting for removes nothing more.
    #[test]
    fn an_abandoned_commit_removes_nothing_more() {
        let tmp = tempfile::tempdir().unwrap();
        let a = deliver(tmp.path(), "u", "cur", "1.a:2,", "x\n");
        let store = Store::new(tmp.path());
        let mut md = store.open("u").unwrap();
        md.mark_deleted(1);
        let report = md.commit_unless(&AtomicBool::new(true));
        assert_eq!(
            (report.removed, report.gone, report.failed.len()),
            (0, 0, 1)
        );
        assert!(a.exists());
    }

    #[test]
    fn an_ambiguous_rename_removes_nothing_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let a = deliver(tmp.path(), "u", "cur", "1.a:2,", "x\n");
        let store = Store::new(tmp.path());
        let mut md = store.open("u").unwrap();
        md.mark_deleted(1);
        fs::rename(&a, tmp.path().join("u/cur/1.a:2,S")).unwrap();
        deliver(tmp.path(), "u", "cur", "1.a:2,T", "copy\n");
        let report = md.commit();
        assert_eq!(
            (report.removed, report.gone, report.failed.len()),
            (0, 0, 1)
        );
        assert!(tmp.path().join("u/cur/1.a:2,S").exists());
    }

    // issue 9: moving new/X to cur/ when cur/X:2, exists destroyed the
    // message already in cur/.
    #[test]
    fn new_mail_never_replaces_a_message_in_cur() {
        let tmp = tempfile::tempdir().unwrap();
        deliver(tmp.path(), "u", "cur", "5.x:2,", "older\n");
        deliver(tmp.path(), "u", "new", "5.x", "newer\n");
        deliver(tmp.path(), "u", "cur", "6.y:2,S", "seen\n");
        deliver(tmp.path(), "u", "new", "6.y", "again\n");
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        let mut bodies: Vec<Vec<u8>> = md.messages().iter().map(|m| read_all(m).unwrap()).collect();
        bodies.sort();
        assert_eq!(bodies, [&b"again\n"[..], b"newer\n", b"older\n", b"seen\n"]);
        let uids: HashSet<&str> = md.messages().iter().map(|m| m.uid.as_str()).collect();
        assert_eq!(uids.len(), 4, "every message keeps a UID of its own");
        assert_eq!(fs::read_dir(tmp.path().join("u/new")).unwrap().count(), 0);
    }

    #[test]
    fn a_half_done_move_is_finished_not_duplicated() {
        let tmp = tempfile::tempdir().unwrap();
        let n = deliver(tmp.path(), "u", "new", "7.z", "once\n");
        fs::create_dir(tmp.path().join("u/cur")).unwrap();
        fs::hard_link(&n, tmp.path().join("u/cur/7.z:2,S")).unwrap();
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        assert_eq!(md.messages().len(), 1);
        assert!(!n.exists());
    }

    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path and nothing else.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    // issue 9: a symlink to /etc/passwd in cur/ let a local user read any
    // file; a FIFO or /dev/zero hung the reader.
    #[test]
    fn only_regular_files_are_messages() {
        let tmp = tempfile::tempdir().unwrap();
        let secret = tmp.path().join("secret");
        fs::write(&secret, "root:x:0:0\n").unwrap();
        deliver(tmp.path(), "u", "cur", "1.ok:2,", "fine\n");
        let cur = tmp.path().join("u/cur");
        let new = tmp.path().join("u/new");
        fs::create_dir(&new).unwrap();
        std::os::unix::fs::symlink(&secret, cur.join("2.link:2,")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", cur.join("3.zero:2,")).unwrap();
        mkfifo(&cur.join("4.fifo:2,"));
        fs::create_dir(cur.join("5.dir:2,")).unwrap();
        std::os::unix::fs::symlink(&secret, new.join("6.link")).unwrap();
        mkfifo(&new.join("7.fifo"));
        let store = Store::new(tmp.path());
        let md = store.open("u").unwrap();
        let uids: Vec<&str> = md.messages().iter().map(|m| m.uid.as_str()).collect();
        assert_eq!(uids, ["1.ok"]);
        assert!(
            fs::symlink_metadata(new.join("6.link"))
                .unwrap()
                .is_symlink(),
            "not moved"
        );
        assert!(new.join("7.fifo").exists(), "not moved");
        // Swapped for a symlink after login: still not followed.
        let p = md.messages()[0].path.clone();
        fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink(&secret, &p).unwrap();
        assert!(matches!(
            md.messages()[0].open(true),
            Err(ReadError::Io { .. })
        ));
        drop(md);
        // cur/ itself as a symlink is refused too.
        fs::create_dir_all(tmp.path().join("v")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("u/cur"), tmp.path().join("v/cur")).unwrap();
        assert!(matches!(store.open("v"), Err(MailboxError::Io { .. })));
    }

    // issue 9: the size cache never shrank (deliver/DELE/QUIT cycles grew
    // RSS with no files left).
    #[test]
    fn the_size_cache_follows_the_files() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        for cycle in 0..30 {
            for i in 0..20 {
                deliver(tmp.path(), "u", "new", &format!("{cycle}.{i}.h"), "x\n");
            }
            let mut md = store.open("u").unwrap();
            assert_eq!(md.messages().len(), 20);
            assert!(store.cached_sizes() <= 20);
            for n in 1..=20 {
                md.mark_deleted(n);
            }
            assert_eq!(md.commit().removed, 20);
            assert_eq!(store.cached_sizes(), 0);
        }
        // Files removed behind the server's back are forgotten at the next
        // scan.
        for i in 0..5 {
            deliver(tmp.path(), "u", "cur", &format!("9.{i}:2,"), "y\n");
        }
        drop(store.open("u").unwrap());
        assert_eq!(store.cached_sizes(), 5);
        for e in fs::read_dir(tmp.path().join("u/cur")).unwrap() {
            fs::remove_file(e.unwrap().path()).unwrap();
        }
        drop(store.open("u").unwrap());
        assert_eq!(store.cached_sizes(), 0);
    }
}
