//! `popscope inspect FILE`: read a capture someone else made (tcpdump,
//! dumpcap, tshark, Wireshark, or `popscope demo --pcap`), find the POP3,
//! STLS and POP3S conversations in it by their content, on any port, and
//! print what an eavesdropper learns from them, exactly as `popscope demo`
//! prints the lab's wire.
//!
//! The capture is read one packet at a time ([`crate::wire::capture`]),
//! TCP is put back together per connection ([`crate::wire::reassemble`]),
//! and the conversations go through the lab's own pump
//! ([`crate::lab::capture::CaptureFeed`]), so the dissectors, the key-log
//! decryption and the wording are the lab's. Memory stays bounded: bytes
//! are handed on as soon as they are in order, and events are printed as
//! they come.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::demo::Transcript;
use crate::lab::capture::CaptureFeed;
use crate::lab::{AttackEvent, Event, EventKind, WireEvent};
use crate::lang::Lang;
use crate::sanitize;
use crate::tr;
use crate::wire::Direction;
use crate::wire::capture::{CaptureError, CaptureReader, Record, tcp_segment};
use crate::wire::decrypt::{KeyLog, KeyLogError};
use crate::wire::dissect::Item;
use crate::wire::reassemble::{Ending, Flow, Reassembler};
use crate::wire::tap::CloseReason;

/// Flags of `popscope inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The capture: pcap or pcapng (Ethernet, Linux cooked v1/v2, loopback
    /// or raw IP; IPv4 and IPv6).
    pub file: PathBuf,
    /// A TLS key log in the NSS format (SSLKEYLOGFILE), to open TLS with;
    /// a pcapng's own Decryption Secrets Blocks are used as well.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Print one JSON event per line instead of the transcript (the
    /// summary goes to stderr).
    #[arg(long, conflicts_with = "summary")]
    pub json: bool,
    /// Print only what was learned and the summary, not every chunk.
    #[arg(long)]
    pub summary: bool,
    /// The transcript's language: ja or en (default from LANG).
    #[arg(long, value_parser = ["ja", "en"])]
    pub lang: Option<String>,
}

/// Why a capture could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The capture could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The capture is not one, or is damaged (the error names the offset).
    #[error("{path}: {source}")]
    Capture {
        /// The file.
        path: PathBuf,
        /// What, and where in it.
        source: CaptureError,
    },
    /// The key log could not be read.
    #[error("cannot read the key log {path}: {source}")]
    KeyLogFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key log is not in the NSS format.
    #[error("the key log {path}: {source}")]
    KeyLog {
        /// The file.
        path: PathBuf,
        /// The first bad line.
        source: KeyLogError,
    },
}

/// What `inspect` counted while reading a capture.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Packets read.
    pub packets: u64,
    /// Of them, TCP segments.
    pub tcp: u64,
    /// POP3 conversations that stayed in cleartext.
    pub pop3: u64,
    /// POP3 conversations that switched to TLS with STLS.
    pub stls: u64,
    /// Conversations in TLS from the first byte (POP3S).
    pub pop3s: u64,
    /// Other TCP conversations, passed over.
    pub skipped: u64,
    /// Holes in POP3 conversations: bytes the capture does not hold.
    pub gaps: u64,
    /// Their total size.
    pub gap_bytes: u64,
    /// TLS secrets held at the end (key log and secrets blocks).
    pub keys: usize,
    /// Secrets blocks that were not a readable key log: (offset, problem).
    pub bad_secrets: Vec<(u64, String)>,
}

/// What a conversation turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// POP3, in cleartext at first (STLS may follow).
    Pop3,
    /// TLS from the first byte.
    Pop3s,
}

/// One conversation while it is open.
enum Conv {
    /// Not yet known: the first bytes of each side are looked at, and what
    /// happened so far is held back (a few small segments at most).
    Pending {
        client: SocketAddr,
        server: SocketAddr,
        at: Duration,
        first: [Vec<u8>; 2],
        held: Vec<Flow>,
    },
    /// Fed to the pump.
    Pop { closed: u8 },
    /// Not POP3; its flows are dropped.
    Skipped { closed: u8 },
}

/// How many first bytes of each side a decision needs, unless the client
/// opens with TLS.
const SNIFF: usize = 8;

/// How many first bytes of a client opening with TLS are waited for: its
/// first record, which holds the ClientHello (a record is at most 16 KiB).
const HELLO_MAX: usize = 5 + (1 << 14);

/// The POP3 commands a client may start with when the capture missed the
/// server's greeting (RFC 1939, 2449, 2595, 5034).
const FIRST_COMMANDS: &[&[u8]] = &[
    b"USER", b"PASS", b"APOP", b"AUTH", b"CAPA", b"STLS", b"STAT", b"LIST", b"RETR", b"DELE",
    b"UIDL", b"TOP ", b"NOOP", b"RSET", b"QUIT",
];

/// What the first bytes say, or `None` while they say too little.
/// `closed` says no more bytes will come.
fn classify(first: &[Vec<u8>; 2], closed: bool) -> Option<Option<Kind>> {
    let (c, s) = (&first[0], &first[1]);
    if !s.is_empty() {
        // The server spoke: a POP3 server greets with +OK.
        if s.len() >= 3 || closed {
            return Some(s.starts_with(b"+OK").then_some(Kind::Pop3));
        }
        if !b"+OK".starts_with(s) {
            return Some(None);
        }
        return None;
    }
    if !c.is_empty() {
        // The client spoke first: a TLS ClientHello (handshake record,
        // version 3.x, message type 1) means TLS from the first byte.
        if c[0] == 0x16 {
            if c.len() < 6 {
                return if closed { Some(None) } else { None };
            }
            if c[1] != 3 || c[5] != 1 {
                return Some(None);
            }
            let need = 5 + usize::from(u16::from_be_bytes([c[3], c[4]]));
            if c.len() < need && !closed {
                return None;
            }
            return Some(pop3s_hello(&c[5..need.min(c.len())]).then_some(Kind::Pop3s));
        }
        if c.len() >= 4 || closed {
            let word = c.get(..4).map(|w| w.to_ascii_uppercase());
            return Some(
                word.is_some_and(|w| FIRST_COMMANDS.contains(&w.as_slice()))
                    .then_some(Kind::Pop3),
            );
        }
        return None;
    }
    closed.then_some(None)
}

/// Whether the ClientHello in `record` (a handshake record's body) may
/// open POP3S: any TLS may, unless the client names the protocols it
/// wants (ALPN) and POP3 is not among them, as a browser's `h2` or
/// `http/1.1` says it is not. A hello the record does not wholly hold is
/// given the benefit of the doubt.
fn pop3s_hello(record: &[u8]) -> bool {
    let [1, a, b, c, body @ ..] = record else {
        return true;
    };
    let len = u32::from_be_bytes([0, *a, *b, *c]) as usize;
    let Some(hello) = body.get(..len) else {
        return true;
    };
    match crate::wire::tls::decode_handshake(1, hello, None) {
        Ok(crate::wire::tls::Handshake::ClientHello { alpn, .. }) => {
            alpn.is_empty() || alpn.iter().any(|p| p == "pop3")
        }
        _ => true,
    }
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

fn close_reason(ending: Ending) -> CloseReason {
    match ending {
        Ending::Fin => CloseReason::Closed,
        Ending::Reset => CloseReason::Reset,
        Ending::CaptureEnded => CloseReason::CaptureEnded,
    }
}

/// Reads one capture and turns it into the lab's events.
pub struct Inspector {
    feed: CaptureFeed,
    reassembler: Reassembler,
    convs: HashMap<u64, Conv>,
    /// Connections that switched to TLS with STLS.
    stls: HashSet<u64>,
    /// The capture time of the first packet: events are timed from it.
    epoch: Option<Duration>,
    last: Duration,
    summary: Summary,
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl Inspector {
    /// An inspector whose eavesdropper holds `keys`.
    pub fn new(keys: KeyLog) -> Inspector {
        Inspector {
            feed: CaptureFeed::new(keys),
            reassembler: Reassembler::default(),
            convs: HashMap::new(),
            stls: HashSet::new(),
            epoch: None,
            last: Duration::ZERO,
            summary: Summary::default(),
        }
    }

    /// Take one record of the capture; the events it completes are added
    /// to `out`.
    pub fn record(&mut self, record: &Record<'_>, out: &mut Vec<Event>) {
        match record {
            Record::Secrets { offset, text } => {
                match KeyLog::parse(&String::from_utf8_lossy(text)) {
                    Ok(keys) => self.feed.add_keys(keys),
                    Err(e) => self.summary.bad_secrets.push((*offset, e.to_string())),
                }
            }
            Record::Packet(p) => {
                self.summary.packets += 1;
                let epoch = *self.epoch.get_or_insert(p.time);
                // Captures merged from several files can step back in time;
                // the transcript's clock does not.
                let at = p.time.saturating_sub(epoch).max(self.last);
                self.last = at;
                let Ok(seg) = tcp_segment(p.link, p.data) else {
                    return;
                };
                self.summary.tcp += 1;
                let mut flows = Vec::new();
                self.reassembler.segment(&seg, at, &mut |f| flows.push(f));
                for f in flows {
                    self.flow(f);
                }
            }
        }
        self.take(out);
    }

    /// The capture ended: close what is open and count.
    pub fn finish(&mut self, out: &mut Vec<Event>) -> Summary {
        let mut flows = Vec::new();
        let at = self.last;
        self.reassembler.finish(at, &mut |f| flows.push(f));
        for f in flows {
            self.flow(f);
        }
        // Conversations still undecided (nothing more will come) are
        // decided on what they showed.
        let mut pending: Vec<u64> = self
            .convs
            .iter()
            .filter(|(_, c)| matches!(c, Conv::Pending { .. }))
            .map(|(k, _)| *k)
            .collect();
        pending.sort_unstable();
        for conn in pending {
            self.decide(conn, true);
        }
        self.take(out);
        self.summary.keys = self.feed.keys();
        self.summary.clone()
    }

    fn take(&mut self, out: &mut Vec<Event>) {
        let from = out.len();
        self.feed.take(out);
        for e in &out[from..] {
            if let EventKind::Wire(WireEvent::Seen {
                conn,
                item: Item::SwitchToTls { .. },
            }) = &e.kind
                && self.stls.insert(*conn)
            {
                self.summary.stls += 1;
                self.summary.pop3 = self.summary.pop3.saturating_sub(1);
            }
        }
    }

    fn flow(&mut self, f: Flow) {
        let conn = match &f {
            Flow::Opened {
                conn,
                client,
                server,
                at,
            } => {
                self.convs.insert(
                    *conn,
                    Conv::Pending {
                        client: *client,
                        server: *server,
                        at: *at,
                        first: [Vec::new(), Vec::new()],
                        held: Vec::new(),
                    },
                );
                return;
            }
            Flow::Data { conn, .. } | Flow::Gap { conn, .. } | Flow::Closed { conn, .. } => *conn,
        };
        let Some(c) = self.convs.get_mut(&conn) else {
            return;
        };
        match c {
            Conv::Pending { first, held, .. } => {
                let mut closed = false;
                match &f {
                    Flow::Data { dir, bytes, .. } => {
                        let mine = &mut first[side(*dir)];
                        let tls = *dir == Direction::ClientToServer
                            && mine.first().or(bytes.first()) == Some(&0x16);
                        let room = if tls { HELLO_MAX } else { SNIFF }.saturating_sub(mine.len());
                        mine.extend_from_slice(&bytes[..bytes.len().min(room)]);
                    }
                    Flow::Closed { .. } => closed = true,
                    // A hole before anything was seen: what follows it is
                    // no start to judge by.
                    Flow::Gap { .. } => closed = first.iter().all(Vec::is_empty),
                    Flow::Opened { .. } => {}
                }
                held.push(f);
                self.decide(conn, closed);
            }
            Conv::Skipped { closed } => {
                if let Flow::Closed { dir, .. } = f {
                    *closed |= 1 << side(dir);
                    if *closed == 3 {
                        self.convs.remove(&conn);
                    }
                }
            }
            Conv::Pop { closed } => {
                if let Flow::Closed { dir, .. } = &f {
                    *closed |= 1 << side(*dir);
                    if *closed == 3 {
                        self.convs.remove(&conn);
                    }
                }
                self.feed_flow(f);
            }
        }
    }

    /// Decide a pending conversation if its first bytes allow (or `closed`
    /// says they are all there will be), and replay what was held back.
    fn decide(&mut self, conn: u64, closed: bool) {
        let Some(Conv::Pending { first, .. }) = self.convs.get(&conn) else {
            return;
        };
        let Some(kind) = classify(first, closed) else {
            return;
        };
        let Some(Conv::Pending {
            client,
            server,
            at,
            held,
            ..
        }) = self.convs.remove(&conn)
        else {
            return;
        };
        let closed_dirs = held.iter().fold(0u8, |acc, f| match f {
            Flow::Closed { dir, .. } => acc | 1 << side(*dir),
            _ => acc,
        });
        let Some(kind) = kind else {
            self.summary.skipped += 1;
            if closed_dirs != 3 {
                self.convs.insert(
                    conn,
                    Conv::Skipped {
                        closed: closed_dirs,
                    },
                );
            }
            return;
        };
        match kind {
            Kind::Pop3 => self.summary.pop3 += 1,
            Kind::Pop3s => self.summary.pop3s += 1,
        }
        self.feed
            .opened(conn, client, server, at, kind == Kind::Pop3s);
        if closed_dirs != 3 {
            self.convs.insert(
                conn,
                Conv::Pop {
                    closed: closed_dirs,
                },
            );
        }
        for f in held {
            self.feed_flow(f);
        }
    }

    fn feed_flow(&mut self, f: Flow) {
        match f {
            Flow::Opened { .. } => {}
            Flow::Data {
                conn,
                dir,
                offset,
                bytes,
                at,
            } => self.feed.data(conn, dir, offset, bytes, at),
            Flow::Gap {
                conn,
                dir,
                offset,
                len,
                at,
            } => {
                self.summary.gaps += 1;
                self.summary.gap_bytes += len;
                self.feed.gap(conn, dir, offset, len, at);
            }
            Flow::Closed {
                conn,
                dir,
                ending,
                at,
            } => self.feed.closed(conn, dir, close_reason(ending), at),
        }
    }
}

/// Reads the key log file, if one is given.
fn read_keylog(keylog: Option<&Path>) -> Result<KeyLog, InspectError> {
    let Some(path) = keylog else {
        return Ok(KeyLog::new());
    };
    let text = std::fs::read(path).map_err(|source| InspectError::KeyLogFile {
        path: path.to_owned(),
        source,
    })?;
    KeyLog::parse(&String::from_utf8_lossy(&text)).map_err(|source| InspectError::KeyLog {
        path: path.to_owned(),
        source,
    })
}

/// Read the capture at `path` (with the key log at `keylog`, if any) and
/// hand each event to `each` as soon as it is known; returns the counts.
/// On a damaged capture, the events before the damage have been handed on
/// when the error comes back.
pub fn inspect_with(
    path: &Path,
    keylog: Option<&Path>,
    mut each: impl FnMut(Event),
) -> Result<Summary, InspectError> {
    let keys = read_keylog(keylog)?;
    let file = std::fs::File::open(path).map_err(|source| InspectError::Open {
        path: path.to_owned(),
        source,
    })?;
    let capture_error = |source| InspectError::Capture {
        path: path.to_owned(),
        source,
    };
    let mut reader = CaptureReader::new(file).map_err(capture_error)?;
    let mut inspector = Inspector::new(keys);
    let mut out = Vec::new();
    loop {
        match reader.next() {
            Ok(Some(record)) => inspector.record(&record, &mut out),
            Ok(None) => break,
            Err(e) => {
                // What was read before the damage is still shown.
                inspector.finish(&mut out);
                out.drain(..).for_each(&mut each);
                return Err(capture_error(e));
            }
        }
        out.drain(..).for_each(&mut each);
    }
    let summary = inspector.finish(&mut out);
    out.drain(..).for_each(&mut each);
    Ok(summary)
}

/// Every event of the capture at `path`, timed from its first packet: what
/// the lab screen replays.
pub fn events(path: &Path, keylog: Option<&Path>) -> Result<Vec<Event>, InspectError> {
    let mut all = Vec::new();
    inspect_with(path, keylog, |e| all.push(e))?;
    Ok(all)
}

/// The closing summary in words.
pub fn summary_text(s: &Summary, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{}", tr!(lang, "event-inspect-summary"));
    let mut line = |text: String| {
        let _ = writeln!(out, "  {text}");
    };
    line(tr!(
        lang,
        "event-inspect-packets",
        packets = s.packets,
        tcp = s.tcp
    ));
    line(tr!(
        lang,
        "event-inspect-found",
        pop3 = s.pop3,
        stls = s.stls,
        pop3s = s.pop3s
    ));
    line(tr!(lang, "event-inspect-skipped", n = s.skipped));
    line(tr!(
        lang,
        "event-inspect-gaps",
        n = s.gaps,
        bytes = s.gap_bytes
    ));
    line(tr!(lang, "event-inspect-keys", n = s.keys));
    for (offset, problem) in &s.bad_secrets {
        line(tr!(
            lang,
            "event-inspect-bad-keys",
            offset = *offset,
            problem = problem.as_str()
        ));
    }
    out
}

/// `popscope inspect`.
pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let lang = Lang::from_flag(args.lang.as_deref());
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let mut transcript = Transcript::new(lang);
    if !args.json {
        writeln!(
            w,
            "{}\n",
            tr!(
                lang,
                "event-inspect-title",
                file = args.file.display().to_string()
            )
        )?;
    }
    let mut write_error = None;
    let result = inspect_with(&args.file, args.keylog.as_deref(), |e| {
        if write_error.is_some() {
            return;
        }
        let text = if args.json {
            match serde_json::to_string(&e) {
                Ok(line) => format!("{}\n", sanitize::json(&line)),
                Err(err) => {
                    write_error = Some(anyhow::Error::from(err));
                    return;
                }
            }
        } else if args.summary {
            // Only what the closing lines need, what the attacker holding
            // the keys read, and what stayed sealed; the rest is not even
            // worded, which is most of the time a full transcript takes.
            match e.kind {
                EventKind::Attack(AttackEvent::Learned { .. } | AttackEvent::Sealed { .. }) => {
                    transcript.event(&e)
                }
                EventKind::Wire(WireEvent::Learned { .. }) => {
                    transcript.event(&e);
                    String::new()
                }
                _ => String::new(),
            }
        } else {
            transcript.event(&e)
        };
        if let Err(err) = w.write_all(text.as_bytes()) {
            write_error = Some(err.into());
        }
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    let summary = match &result {
        Ok(s) => Some(s.clone()),
        Err(_) => None,
    };
    if !args.json {
        w.write_all(transcript.finish().as_bytes())?;
        if let Some(s) = &summary {
            w.write_all(summary_text(s, lang).as_bytes())?;
        }
    } else if let Some(s) = &summary {
        eprint!("{}", summary_text(s, lang));
    }
    w.flush()?;
    result.map(|_| ()).map_err(anyhow::Error::from)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// The first bytes a rustls client sends, offering `alpn`.
    fn client_hello(alpn: &[&str]) -> Vec<u8> {
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        let mut conn = rustls::ClientConnection::new(
            Arc::new(config),
            rustls_pki_types::ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let mut out = Vec::new();
        conn.write_tls(&mut out).unwrap();
        out
    }

    fn kind(client: &[u8], server: &[u8], closed: bool) -> Option<Option<Kind>> {
        classify(&[client.to_vec(), server.to_vec()], closed)
    }

    #[test]
    fn conversations_are_told_apart_by_their_first_bytes() {
        assert_eq!(kind(b"", b"+OK hi", false), Some(Some(Kind::Pop3)));
        assert_eq!(kind(b"", b"+O", false), None, "wait for more");
        assert_eq!(kind(b"", b"220 smtp", false), Some(None));
        assert_eq!(kind(b"* OK", b"", false), Some(None), "an IMAP-like client");
        assert_eq!(kind(b"USER a\r\n", b"", false), Some(Some(Kind::Pop3)));
        assert_eq!(kind(b"GET / HTTP/1.1", b"", false), Some(None));
        assert_eq!(kind(b"", b"", true), Some(None));
        let hello = client_hello(&[]);
        assert_eq!(kind(&hello, b"", false), Some(Some(Kind::Pop3s)));
        assert_eq!(
            kind(&hello[..20], b"", false),
            None,
            "the whole hello first"
        );
        assert_eq!(
            kind(&client_hello(&["pop3"]), b"", false),
            Some(Some(Kind::Pop3s))
        );
        // A browser's TLS names another protocol: not POP3S.
        assert_eq!(
            kind(&client_hello(&["h2", "http/1.1"]), b"", false),
            Some(None)
        );
    }
}
