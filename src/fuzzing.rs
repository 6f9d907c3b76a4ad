//! The bodies of the fuzz targets in `fuzz/`, one function per target.
//!
//! They live in the library, not in the fuzz crate, so that
//! `tests/fuzz_replay.rs` can run every corpus file through exactly the
//! same code on stable Rust: a crash the fuzzer found once stays a failing
//! test in CI, which has no nightly toolchain. Each function takes the raw
//! input, must never panic on it, and panics (with `assert!`) only when a
//! property that holds for every input is broken; that panic is what the
//! fuzzer reports as a crash.
//!
//! This module is not part of popscope's interface; it is public only for
//! the fuzz crate and the replay test.

use std::collections::VecDeque;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use crate::lesson::{Lang, parse::parse_lesson, set};
use crate::mailbox::{MessageReader, Store};
use crate::pop3::auth::Users;
use crate::pop3::command::Command;
use crate::pop3::framing::{BodyEncoder, LineReader, MAX_REPLY_LINE, crlf_len, unstuff};
use crate::pop3::session::{Backend, Note, Output, Session, SessionConfig};
use crate::wire::Direction;
use crate::wire::decrypt::{Decryptor, KeyLog, Outcome, decrypt_capture};
use crate::wire::dissect::Dissector;
use crate::wire::tls::summarize_certificate;

/// The messages of the fuzzed maildrop: LF and CRLF line ends, lines that
/// need byte-stuffing, a lone CR, no final line end, and an empty file.
const MESSAGES: &[(&str, &str)] = &[
    (
        "1000.M1P1.fuzz:2,S",
        "From: a@example.net\nSubject: one\n\nfirst line\n.\n..x\nlast\n",
    ),
    (
        "1001.M2P1.fuzz:2,",
        "From: b@example.net\r\nSubject: two\r\n\r\nbody\r\n.\r\n",
    ),
    (
        "1002.M3P1.fuzz:2,RS",
        "Subject: three\n\nno final line end, a lone \r here",
    ),
    ("1003.M4P1.fuzz:2,", ""),
];

/// The users of the fuzzed server. `x/y` cannot name a directory, so a
/// login as that user exercises the refusal path of [`Store::open`].
const USERS: &[(&str, &str)] = &[("alice", "wonderland"), ("bob", "builder"), ("x/y", "p")];

/// A server backend over a real Maildir in a temporary directory, for
/// [`session`]. Creating it is slow (files on disk), so a fuzzing process
/// makes one and reuses it for every input; the temporary directory is
/// removed when it is dropped.
pub struct SessionTarget {
    dir: tempfile::TempDir,
    backend: Arc<Backend>,
    config: Arc<SessionConfig>,
    /// Every message file and its contents, to put back what a QUIT
    /// deleted so that each input starts from the same maildrop.
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl SessionTarget {
    /// Write the maildrops and the user table.
    pub fn new() -> std::io::Result<SessionTarget> {
        let dir = tempfile::Builder::new()
            .prefix("popscope-fuzz-")
            .tempdir()?;
        let cur = dir.path().join("alice/cur");
        fs::create_dir_all(&cur)?;
        fs::create_dir_all(dir.path().join("bob/cur"))?;
        let mut files = Vec::new();
        for (name, text) in MESSAGES {
            files.push((cur.join(name), text.as_bytes().to_vec()));
        }
        // One name with Dovecot's size fields, correct ones, so that the
        // path that reads sizes from names is taken too.
        let body = b"Subject: sized\r\n\r\nW= says how long I am\r\n".to_vec();
        let sized = format!("1004.M5P1.fuzz,S={},W={}:2,S", body.len(), crlf_len(&body));
        files.push((cur.join(sized), body));
        for (path, bytes) in &files {
            fs::write(path, bytes)?;
        }
        let mut users = Users::new();
        for (name, secret) in USERS {
            users.insert(name, secret);
        }
        let backend = Arc::new(Backend {
            users,
            store: Store::new(dir.path()),
        });
        let config = Arc::new(SessionConfig {
            stls_available: true,
            ..SessionConfig::default()
        });
        Ok(SessionTarget {
            dir,
            backend,
            config,
            files,
        })
    }

    /// Run one input: cut it into lines, push each line through the
    /// server's framing and hand every framed line to the session, as the
    /// connection loop does, until the session closes.
    pub fn run(&self, data: &[u8]) {
        let mut session = Session::new(Arc::clone(&self.config), Arc::clone(&self.backend), false);
        let mut reader = LineReader::new();
        let mut deleted = false;
        'input: for piece in data.split_inclusive(|&b| b == b'\n') {
            reader.push(piece);
            while let Some(line) = reader.next_line() {
                // As the connection loop does: disk work is carried out (here
                // on this thread) and its result handed back, and whatever
                // the session answers then comes before the rest.
                let mut todo: VecDeque<Output> = session.handle(line).into();
                let mut announced = None;
                while let Some(out) = todo.pop_front() {
                    match out {
                        Output::Send(bytes) => {
                            check_reply(&bytes);
                            announced = octets_announced(&bytes);
                        }
                        Output::Disk(job) => {
                            let done = job.run(&AtomicBool::new(false));
                            for o in session.disk_done(done).into_iter().rev() {
                                todo.push_front(o);
                            }
                        }
                        Output::SendMessage { message, top } => {
                            check_message(message, top, announced.take());
                        }
                        Output::Delay(_) => {}
                        Output::StartTls => {
                            // The connection loop throws away what came after
                            // STLS, then the handshake succeeds.
                            reader.discard_buffered();
                            session.tls_started();
                        }
                        Output::Close => break 'input,
                    }
                }
                for note in session.take_notes() {
                    if let Note::Updated { removed, .. } = note {
                        deleted |= removed > 0;
                    }
                }
            }
        }
        let _ = session.command_summary();
        // Dropping the session releases the maildrop's lock.
        drop(session);
        if deleted {
            self.restore();
        }
    }

    /// Put back every message file a QUIT removed.
    fn restore(&self) {
        for (path, bytes) in &self.files {
            if !path.exists() {
                fs::write(path, bytes).expect("the fuzzed maildrop can be written");
            }
        }
    }
}

/// Every reply the server sends is CRLF-framed text: its first line is a
/// status (`+OK`, `-ERR`, or SASL's `+ `) within RFC 2449's 512 octets,
/// and no CR or LF appears other than as a CRLF pair, so nothing a client
/// sent can end up splitting a reply into lines of its choosing.
fn check_reply(bytes: &[u8]) {
    let first_end = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("a reply ends its first line with CRLF");
    let first = &bytes[..first_end];
    assert!(
        first.starts_with(b"+OK") || first.starts_with(b"-ERR") || first == b"+ ",
        "reply without a status: {:?}",
        String::from_utf8_lossy(first)
    );
    assert!(first_end + 2 <= MAX_REPLY_LINE, "reply line too long");
    assert!(bytes.ends_with(b"\r\n"), "reply not terminated by CRLF");
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR in a reply"),
            b'\n' => assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF in a reply"),
            _ => {}
        }
    }
}

/// The size a RETR's `+OK n octets` announced.
fn octets_announced(reply: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(reply).ok()?;
    let rest = text.strip_prefix("+OK ")?;
    let (n, tail) = rest.split_once(' ')?;
    tail.starts_with("octets").then(|| n.parse().ok())?
}

/// Encode a message the way the connection loop sends it, piece by
/// piece; a RETR must send exactly the octets it announced.
fn check_message(mut message: MessageReader, top: Option<u64>, announced: Option<u64>) {
    let mut enc = BodyEncoder::new(top);
    let mut chunk = Vec::new();
    let mut body = Vec::new();
    while !message.is_done() && !enc.is_done() {
        if message.next_chunk(&mut chunk).is_err() {
            return;
        }
        enc.encode(&chunk, &mut body);
    }
    enc.finish(&mut body);
    let plain = unstuff(&body).expect("an encoded body ends with the terminating dot");
    if top.is_none() {
        assert_eq!(
            Some(plain.len() as u64),
            announced,
            "RETR sent a different number of octets than it announced"
        );
    }
}

/// The backend of [`session`], made once per fuzzing process.
static SESSION_TARGET: OnceLock<SessionTarget> = OnceLock::new();

/// The server session fed arbitrary command lines (see [`SessionTarget`]),
/// with one backend per process.
pub fn session(data: &[u8]) {
    SESSION_TARGET
        .get_or_init(|| {
            let target = SessionTarget::new().expect("a temporary Maildir can be made");
            // A static is never dropped, so its temporary Maildir would be
            // left behind by every fuzzing run; remove it when the process
            // exits normally (libFuzzer calls exit() once -max_total_time
            // or -runs is reached). A crash keeps it, which is harmless.
            // SAFETY: the callback is a plain C-ABI function that touches
            // only a static, and it cannot unwind.
            unsafe { libc::atexit(remove_session_maildir) };
            target
        })
        .run(data);
}

extern "C" fn remove_session_maildir() {
    if let Some(target) = SESSION_TARGET.get() {
        let _ = fs::remove_dir_all(target.dir.path());
    }
}

/// The command parser: any line either fails to parse or gives a command
/// that renders back to a line which parses to the same command (the
/// client sends commands by rendering them, the server reads them by
/// parsing, so the two must agree).
pub fn command(data: &[u8]) {
    if let Ok(cmd) = Command::parse(data) {
        let text = cmd.to_string();
        assert_eq!(
            Command::parse(text.as_bytes()).as_ref(),
            Ok(&cmd),
            "{text:?} does not parse back"
        );
        let _ = cmd.redacted();
    }
}

/// Bytes of one chunk header in a [`dissect`] input: the top bit of the
/// first byte is the direction (set: server to client), the other fifteen
/// bits are the chunk's length.
const CHUNK_HEADER: usize = 2;

/// The chunks of a capture, in the order they crossed the wire.
type Chunks<'a> = Vec<(Direction, &'a [u8])>;

/// Cut a [`dissect`] input into its mode (cleartext port or POP3S) and its
/// chunks. The first byte's lowest bit chooses POP3S; then each chunk is a
/// two-byte header and up to that many bytes (fewer at the end).
fn capture(data: &[u8]) -> Option<(bool, Chunks<'_>)> {
    let (&mode, mut rest) = data.split_first()?;
    let mut chunks = Vec::new();
    while rest.len() >= CHUNK_HEADER {
        let dir = if rest[0] & 0x80 != 0 {
            Direction::ServerToClient
        } else {
            Direction::ClientToServer
        };
        let len = usize::from(u16::from_be_bytes([rest[0] & 0x7f, rest[1]]));
        let body = &rest[CHUNK_HEADER..];
        let take = len.min(body.len());
        chunks.push((dir, &body[..take]));
        rest = &body[take..];
    }
    Some((mode & 1 == 1, chunks))
}

/// The attacker's line transforms (strip STLS, injection, the watch for
/// STLS before a forged-certificate takeover) fed a chunked capture in
/// [`dissect`]'s format; the mode byte's bits 1–2 choose the attack.
pub fn attack(data: &[u8]) {
    let Some((_, chunks)) = capture(data) else {
        return;
    };
    let which = match (data[0] >> 1) % 3 {
        0 => crate::attack::Attack::StripStls,
        1 => crate::attack::Attack::Inject,
        _ => crate::attack::Attack::ForgeCert,
    };
    crate::attack::fuzz_lines(which, &chunks);
}

/// Write a capture in the format [`dissect`] reads, for seed corpora.
/// Chunks longer than the header can say are split.
pub fn encode_capture(pop3s: bool, chunks: &[(Direction, &[u8])]) -> Vec<u8> {
    let mut out = vec![u8::from(pop3s)];
    for (dir, bytes) in chunks {
        for piece in bytes.chunks(0x7fff) {
            let mut header = u16::try_from(piece.len())
                .expect("pieces are short")
                .to_be_bytes();
            if *dir == Direction::ServerToClient {
                header[0] |= 0x80;
            }
            out.extend_from_slice(&header);
            out.extend_from_slice(piece);
        }
    }
    out
}

/// The most a dissector may buffer whatever it is fed (its documented
/// bound, about 1 MiB, with room for allocation slack).
const DISSECTOR_BOUND: usize = 1536 * 1024;

/// The POP3 and TLS dissectors fed a chunked capture. Besides not
/// panicking, the dissector promises that cutting the same bytes into
/// other chunks changes nothing, and that its buffers stay bounded; both
/// are checked by feeding the chunks as given and again with every run of
/// chunks in the same direction merged into one.
pub fn dissect(data: &[u8]) {
    let Some((pop3s, chunks)) = capture(data) else {
        return;
    };
    let make = || {
        if pop3s {
            Dissector::new_tls()
        } else {
            Dissector::new()
        }
    };
    let mut cut = make();
    let mut cut_items = Vec::new();
    for (dir, bytes) in &chunks {
        cut_items.extend(cut.feed(*dir, bytes));
        assert!(cut.buffered() <= DISSECTOR_BOUND, "dissector buffers grew");
    }
    let mut merged: Vec<(Direction, Vec<u8>)> = Vec::new();
    for (dir, bytes) in &chunks {
        match merged.last_mut() {
            Some((d, b)) if d == dir => b.extend_from_slice(bytes),
            _ => merged.push((*dir, bytes.to_vec())),
        }
    }
    let mut whole = make();
    let mut whole_items = Vec::new();
    for (dir, bytes) in &merged {
        whole_items.extend(whole.feed(*dir, bytes));
    }
    assert_eq!(cut_items, whole_items, "chunking changed the items");
    assert_eq!(cut.loot(), whole.loot(), "chunking changed the loot");
    let _ = crate::lab::describe::loot(cut.loot(), crate::lang::Lang::En);
}

/// The most the record decryptor may buffer: per direction a record and
/// two handshake messages being reassembled, plus the POP3 dissector's
/// buffers before STLS, with slack.
const DECRYPTOR_BOUND: usize = 1536 * 1024;

/// The input of [`decrypt`] and [`steps`]: key-log text, a NUL byte, then
/// a capture in the format of [`dissect`] (without a NUL, all of it is the
/// capture and the key log is empty).
fn keys_and_capture(data: &[u8]) -> Option<(KeyLog, bool, Chunks<'_>)> {
    let (keys, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => {
            let text = String::from_utf8_lossy(&data[..i]);
            (KeyLog::parse(&text).unwrap_or_default(), &data[i + 1..])
        }
        None => (KeyLog::new(), data),
    };
    let (pop3s, chunks) = capture(rest)?;
    Some((keys, pop3s, chunks))
}

/// The record decryptor of the "stolen keys" attack. The input is key-log
/// text, a NUL byte, then a capture in the format of [`dissect`] (without a
/// NUL, all of it is the capture and the key log is empty). Besides not
/// panicking, the decryptor promises bounded buffers and that chunking
/// changes nothing, checked as in [`dissect`].
pub fn decrypt(data: &[u8]) {
    let Some((keys, pop3s, chunks)) = keys_and_capture(data) else {
        return;
    };
    let mut cut = Decryptor::new(keys.clone(), pop3s);
    let mut cut_outcomes: Vec<Outcome> = Vec::new();
    for (dir, bytes) in &chunks {
        cut_outcomes.extend(cut.feed(*dir, bytes));
        assert!(cut.buffered() <= DECRYPTOR_BOUND, "decryptor buffers grew");
    }
    let mut merged: Vec<(Direction, Vec<u8>)> = Vec::new();
    for (dir, bytes) in &chunks {
        match merged.last_mut() {
            Some((d, b)) if d == dir => b.extend_from_slice(bytes),
            _ => merged.push((*dir, bytes.to_vec())),
        }
    }
    let merged: Vec<(Direction, &[u8])> = merged.iter().map(|(d, b)| (*d, b.as_slice())).collect();
    let whole = decrypt_capture(&keys, &merged, pop3s);
    let (mut opened, mut failed) = (Vec::new(), Vec::new());
    for outcome in cut_outcomes {
        match outcome {
            Outcome::Opened(r) => opened.push(r),
            Outcome::Failed(r) => failed.push(r),
            Outcome::Clear(_) => {}
        }
    }
    assert_eq!(opened, whole.opened, "chunking changed what opened");
    assert_eq!(failed, whole.failed, "chunking changed what failed");
    let _ = whole.pop3();
}

/// The endpoints' view of the handshake (`wire::steps`), in the input
/// format of [`decrypt`]: key-log text, a NUL byte, then a capture. Besides
/// not panicking, the follower promises to hold no more than its limit
/// (plus the chunk in hand), to hold nothing once it stops, and to label
/// every byte of each message it reports, and to report each at most once.
pub fn steps(data: &[u8]) {
    let Some((keys, pop3s, chunks)) = keys_and_capture(data) else {
        return;
    };
    let mut follower = crate::wire::steps::Follower::new(pop3s);
    let mut seen = std::collections::HashSet::new();
    // The key log arrives half way, as secrets do in the lab.
    let half = chunks.len() / 2;
    for (i, (dir, bytes)) in chunks.iter().enumerate() {
        let log = (i >= half).then_some(&keys);
        for o in follower.feed(*dir, bytes, log) {
            let s = &o.step;
            assert_eq!(s.fields.len, s.bytes.len(), "every byte labelled");
            assert!(seen.insert(o.id()), "a step reported twice");
            assert_eq!(o.id().2, s.record_offset, "the id names its record");
        }
        assert!(
            follower.held() <= crate::wire::steps::KEPT + bytes.len(),
            "the follower held too much"
        );
        if follower.done() {
            assert_eq!(follower.held(), 0, "a finished follower holds nothing");
        }
    }
}

/// The DER reader behind the certificate summaries of the TLS pane.
pub fn der(data: &[u8]) {
    let _ = summarize_certificate(data);
}

/// The lesson-file parser, and the course checks on what it accepts.
pub fn lesson(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_lesson("fuzz/01-fuzz.md", Lang::En, text) {
        Ok(lesson) => {
            for problem in set::check(&[lesson]) {
                let _ = problem.to_string();
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "a refused lesson names a problem");
            for problem in problems {
                assert!(problem.line >= 1, "problem lines are 1-based");
            }
        }
    }
}

/// The Maildir name parser: the parts it gives are the name's own pieces
/// in order (the unique part starts the base, the base and the info part
/// make up the name), and whatever the name, its UID is what RFC 1939
/// allows (1 to 70 characters from 0x21 to 0x7E).
pub fn maildir_name(data: &[u8]) {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = crate::mailbox::MaildirName::parse(name);
    assert!(name.starts_with(parsed.base), "the base starts the name");
    assert!(
        parsed.base.starts_with(parsed.unique),
        "the unique part starts the base"
    );
    match parsed.info {
        Some(info) => assert_eq!(
            name,
            format!("{}:{info}", parsed.base),
            "base and info make up the name"
        ),
        None => assert_eq!(name, parsed.base, "without info the base is the name"),
    }
    let uid = crate::mailbox::uid_for(name);
    assert!(
        (1..=70).contains(&uid.len()) && uid.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        "UID {uid:?} of {name:?} is not what UIDL may send"
    );
}

/// A capture file as `popscope inspect` reads it: the pcap/pcapng reader,
/// the link-layer slicing, TCP reassembly, the conversation finder and the
/// lab's pump with the capture's own secrets. Besides not panicking, every
/// error names an offset inside the input, and reassembly holds back no
/// more than its limits allow.
pub fn capture_file(data: &[u8]) {
    use crate::inspect::Inspector;
    use crate::wire::capture::{CaptureReader, Record};

    let mut reader = match CaptureReader::new(data) {
        Ok(r) => r,
        Err(e) => {
            assert!(e.offset().is_some_and(|o| o <= data.len() as u64), "{e}");
            return;
        }
    };
    let mut inspector = Inspector::new(KeyLog::new());
    let mut events = Vec::new();
    loop {
        match reader.next() {
            Ok(Some(record)) => {
                if let Record::Packet(p) = &record {
                    assert!(p.offset < data.len() as u64);
                }
                inspector.record(&record, &mut events);
                events.clear();
            }
            Ok(None) => break,
            Err(e) => {
                assert!(e.offset().is_some_and(|o| o < data.len() as u64), "{e}");
                break;
            }
        }
    }
    inspector.finish(&mut events);
}
