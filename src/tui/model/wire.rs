//! The eavesdropper pane's model: the bytes in three views (text, hex,
//! records), what was learned from them, and, while an attack is on, what
//! the attacker did, holds and concluded.
//!
//! Lines are kept as values (a leak, a handshake message, an attacker's
//! event) and worded by the pane when drawn. The wrapped height of each
//! line is remembered per width and language ([`RowCache`]), so counting a
//! view's rows for scrolling does not re-wrap thousands of lines a frame.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;

use crate::lab::{AttackEvent, Means, WireEvent};
use crate::lang::Lang;
use crate::wire::Direction;
use crate::wire::dissect::{Item, Loot};
use crate::wire::pop3::Leak;
use crate::wire::tap::AttackNote;
use crate::wire::tls::ContentType;

use super::tls::TlsStep;
use crate::tui::text;

/// A line of the eavesdropper's text view.
#[derive(Debug, Clone)]
pub enum TextLine {
    /// A cleartext line, with its direction; `secret` if it carried a
    /// credential.
    Line {
        /// Which way.
        dir: Direction,
        /// The line without CRLF.
        text: String,
        /// True if the line carried a credential.
        secret: bool,
    },
    /// Encrypted bytes, counted per direction run.
    Locked {
        /// Which way.
        dir: Direction,
        /// How many bytes.
        bytes: usize,
    },
    /// Bytes that crossed after the capture limit, counted, not kept.
    NotKept {
        /// Which way.
        dir: Direction,
        /// How many bytes.
        bytes: usize,
    },
    /// What the eavesdropper learned, worded by
    /// [`crate::lab::describe::leak`].
    Leak(Leak),
    /// The tap accepted a client and reached the server.
    Opened {
        /// The tap's connection number.
        conn: u64,
        /// The client's address.
        client: SocketAddr,
        /// The server's address.
        server: SocketAddr,
    },
    /// One direction ended.
    Closed {
        /// Which way.
        dir: Direction,
        /// Why (worded when drawn).
        reason: crate::wire::tap::CloseReason,
    },
    /// Bytes missing from a capture read from a file.
    Gap {
        /// Which way.
        dir: Direction,
        /// Where they begin.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// The session switched to TLS from this byte on.
    Switched {
        /// Which way.
        dir: Direction,
        /// The first byte of TLS.
        offset: u64,
    },
    /// Something the attacker did or found out, worded by
    /// [`crate::lab::describe::attack_line_in`].
    Attack(AttackEvent),
    /// A secret the attacker read ([`AttackEvent::Learned`]).
    Learned(AttackEvent),
    /// Plaintext the attacker read inside TLS it terminated itself: the
    /// same lines the wire would carry without TLS.
    Read {
        /// Which way.
        dir: Direction,
        /// The line without CRLF.
        text: String,
        /// True if the line carried a credential.
        secret: bool,
    },
    /// Whether the attack worked, and why ([`AttackEvent::Verdict`]).
    Verdict(AttackEvent),
}

/// A run of contiguous bytes in one direction, for the hex view.
#[derive(Debug, Clone)]
pub struct HexBlock {
    /// The connection.
    pub conn: u64,
    /// Which way.
    pub dir: Direction,
    /// Stream offset of the first byte.
    pub offset: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What a line of the records view shows.
#[derive(Debug, Clone)]
pub enum Record {
    /// A POP3 command (clipped to 200 characters).
    Pop3Command(String),
    /// A POP3 reply's status line, and the length of its body.
    Pop3Reply {
        /// The status line (clipped to 200 characters).
        first_line: String,
        /// The multi-line body's length, if it has one.
        body_len: Option<usize>,
    },
    /// A TLS record's header.
    Tls {
        /// What it carries.
        content_type: ContentType,
        /// How long its body is.
        length: u16,
        /// Its body is ciphertext.
        encrypted: bool,
    },
    /// A handshake message or an alert inside the record above.
    Step(TlsStep),
    /// The session switched to TLS from this byte on.
    Switch {
        /// The first byte of TLS.
        offset: u64,
    },
    /// Bytes the dissector could not decode, and why (worded when drawn).
    Undecodable(crate::wire::dissect::UndecodableReason),
    /// Something the attacker did, or its verdict.
    Attack(AttackEvent),
}

/// A line of the records view.
#[derive(Debug, Clone)]
pub struct RecordLine {
    /// Which way, if it belongs to a direction.
    pub dir: Option<Direction>,
    /// Indented under its record.
    pub nested: bool,
    /// What it shows.
    pub what: Record,
    /// Encrypted (unreadable).
    pub locked: bool,
    /// Carries a secret.
    pub secret: bool,
}

impl RecordLine {
    fn new(dir: Option<Direction>, what: Record) -> RecordLine {
        RecordLine {
            dir,
            nested: false,
            what,
            locked: false,
            secret: false,
        }
    }
}

/// How many rows each line of a view takes when wrapped, for one width
/// and one language (the words, and so the widths, depend on both).
#[derive(Debug, Clone, Default)]
pub struct RowCache {
    key: Option<(u16, Lang)>,
    rows: Vec<usize>,
    /// Lines measured since the model was made, for tests to prove that
    /// a second count measures nothing.
    pub measured: usize,
}

impl RowCache {
    /// Forget the lines from `from` on, which changed in place.
    fn forget_from(&mut self, from: usize) {
        self.rows.truncate(from);
    }

    /// Forget the first `n` lines, which the view dropped.
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.rows.len());
        self.rows.drain(..n);
    }

    /// The rows of each of `len` lines at `key`, measuring with `measure`
    /// only the lines not yet measured at that key.
    fn rows(&mut self, key: (u16, Lang), len: usize, measure: impl Fn(usize) -> usize) -> &[usize] {
        if self.key != Some(key) {
            self.key = Some(key);
            self.rows.clear();
        }
        self.rows.truncate(len);
        for i in self.rows.len()..len {
            self.rows.push(measure(i));
            self.measured += 1;
        }
        &self.rows
    }
}

/// The eavesdropper pane's model.
#[derive(Debug, Clone, Default)]
pub struct WireModel {
    /// The text view.
    pub text: Vec<TextLine>,
    /// The hex view.
    pub hex: Vec<HexBlock>,
    /// The records view.
    pub records: Vec<RecordLine>,
    /// Secrets learned so far, in the order they were seen, without
    /// repeats.
    pub loot: Vec<Leak>,
    /// Per connection, when it ended: what was learned.
    pub learned: Vec<(u64, Loot)>,
    /// The attacker: what it holds, the verdict, the password search.
    pub attack: AttackView,
    /// The text view's rows per line.
    pub text_rows: RefCell<RowCache>,
    /// The records view's rows per line.
    pub record_rows: RefCell<RowCache>,
    partial: HashMap<(u64, Direction), String>,
    read_partial: HashMap<(u64, Direction), String>,
}

/// How many lines the text and records views keep; older ones are
/// dropped, so a 100 MB RETR costs the screen a bounded amount of memory
/// and every frame a bounded amount of work.
pub const MAX_WIRE_LINES: usize = 5_000;

/// How many captured bytes the hex view keeps, newest last.
pub const MAX_HEX_BYTES: usize = 1 << 20;

impl WireModel {
    /// Drop the oldest lines and bytes beyond the limits.
    pub fn trim(&mut self) {
        if self.text.len() > MAX_WIRE_LINES {
            let cut = self.text.len() - MAX_WIRE_LINES;
            self.text.drain(..cut);
            self.text_rows.get_mut().drop_front(cut);
        }
        if self.records.len() > MAX_WIRE_LINES {
            let cut = self.records.len() - MAX_WIRE_LINES;
            self.records.drain(..cut);
            self.record_rows.get_mut().drop_front(cut);
        }
        let mut total: usize = self.hex.iter().map(|b| b.bytes.len()).sum();
        while total > MAX_HEX_BYTES {
            let excess = total - MAX_HEX_BYTES;
            let blocks = self.hex.len();
            let first = &mut self.hex[0];
            if blocks > 1 && first.bytes.len() <= excess {
                total -= first.bytes.len();
                self.hex.remove(0);
            } else {
                // Keep the newest part of a long block, with its offset.
                let cut = excess.min(first.bytes.len());
                first.bytes.drain(..cut);
                first.offset += cut as u64;
                total -= cut;
            }
        }
    }

    /// The rows each text line takes in a pane `width` columns wide in
    /// `lang`, measuring with `measure` the lines not measured before.
    pub fn text_rows<R>(
        &self,
        width: u16,
        lang: Lang,
        measure: impl Fn(&TextLine) -> usize,
        then: impl FnOnce(&[usize]) -> R,
    ) -> R {
        let mut cache = self.text_rows.borrow_mut();
        then(cache.rows((width, lang), self.text.len(), |i| measure(&self.text[i])))
    }

    /// The rows each record line takes, as [`WireModel::text_rows`].
    pub fn record_rows<R>(
        &self,
        width: u16,
        lang: Lang,
        measure: impl Fn(&RecordLine) -> usize,
        then: impl FnOnce(&[usize]) -> R,
    ) -> R {
        let mut cache = self.record_rows.borrow_mut();
        then(cache.rows((width, lang), self.records.len(), |i| {
            measure(&self.records[i])
        }))
    }

    /// The newest text line changed in place (a count grew), so its
    /// remembered height is stale.
    fn touched_last_text(&mut self) {
        let last = self.text.len().saturating_sub(1);
        self.text_rows.get_mut().forget_from(last);
    }

    /// Fold what crossed the wire.
    pub fn apply_wire(&mut self, w: WireEvent) {
        match w {
            WireEvent::Opened {
                conn,
                client,
                server,
                ..
            } => self.text.push(TextLine::Opened {
                conn,
                client,
                server,
            }),
            WireEvent::Chunk {
                conn,
                dir,
                offset,
                bytes,
                len,
            } => self.chunk(conn, dir, offset, bytes, len),
            WireEvent::Seen { item, .. } => self.apply_item(item),
            WireEvent::Closed { conn, dir, reason } => {
                self.partial.remove(&(conn, dir));
                self.text.push(TextLine::Closed { dir, reason });
            }
            WireEvent::Gap {
                conn,
                dir,
                offset,
                len,
            } => {
                // A line cut by the gap is not continued by what follows it.
                self.partial.remove(&(conn, dir));
                self.text.push(TextLine::Gap { dir, offset, len });
            }
            WireEvent::Learned { conn, loot, .. } => self.learned.push((conn, loot)),
        }
        self.trim();
    }

    fn chunk(&mut self, conn: u64, dir: Direction, offset: u64, bytes: Vec<u8>, len: usize) {
        // Past the tap's capture limit a chunk is counted but its bytes
        // are not kept: say so, rather than guess what they were.
        if bytes.is_empty() {
            if len > 0 {
                match self.text.last_mut() {
                    Some(TextLine::NotKept { dir: d, bytes: n }) if *d == dir => {
                        *n += len;
                        self.touched_last_text();
                    }
                    _ => self.text.push(TextLine::NotKept { dir, bytes: len }),
                }
            }
            return;
        }
        let is_text = text::is_text(&bytes);
        if is_text {
            let buf = self.partial.entry((conn, dir)).or_default();
            buf.push_str(&String::from_utf8_lossy(&bytes));
            // Take the complete lines in one pass and drop them from the
            // buffer once: draining line by line would move the rest of
            // the buffer for every line.
            let mut start = 0;
            while let Some(i) = buf[start..].find('\n') {
                let end = start + i;
                let line = text::sanitize(buf[start..end].trim_end_matches('\r'));
                self.text.push(TextLine::Line {
                    dir,
                    text: line,
                    secret: false,
                });
                start = end + 1;
            }
            buf.drain(..start);
        } else {
            match self.text.last_mut() {
                Some(TextLine::Locked { dir: d, bytes: n }) if *d == dir => {
                    *n += bytes.len();
                    self.touched_last_text();
                }
                _ => self.text.push(TextLine::Locked {
                    dir,
                    bytes: bytes.len(),
                }),
            }
        }
        match self.hex.last_mut() {
            Some(b)
                if b.conn == conn && b.dir == dir && b.offset + b.bytes.len() as u64 == offset =>
            {
                b.bytes.extend_from_slice(&bytes)
            }
            _ => self.hex.push(HexBlock {
                conn,
                dir,
                offset,
                bytes,
            }),
        }
    }

    fn apply_item(&mut self, item: Item) {
        let rec = |dir, what| RecordLine::new(Some(dir), what);
        match item {
            Item::Pop3Command { dir, text, .. } => self.records.push(rec(
                dir,
                Record::Pop3Command(text::sanitize(&text::clip(&text, 200))),
            )),
            Item::Pop3Reply {
                first_line,
                body_len,
                ..
            } => self.records.push(rec(
                Direction::ServerToClient,
                Record::Pop3Reply {
                    first_line: text::sanitize(&text::clip(&first_line, 200)),
                    body_len,
                },
            )),
            Item::Leak(leak) => self.leak(leak),
            Item::TlsRecord {
                dir,
                header,
                encrypted,
                ..
            } => self.records.push(RecordLine {
                locked: encrypted,
                ..rec(
                    dir,
                    Record::Tls {
                        content_type: header.content_type,
                        length: header.length,
                        encrypted,
                    },
                )
            }),
            Item::TlsHandshake { dir, message, .. } => self.records.push(RecordLine {
                nested: true,
                ..rec(dir, Record::Step(TlsStep::Handshake(message)))
            }),
            Item::TlsAlert {
                dir,
                level,
                description,
                encrypted,
            } => self.records.push(RecordLine {
                nested: true,
                ..rec(
                    dir,
                    Record::Step(TlsStep::alert(level, description, encrypted)),
                )
            }),
            Item::SwitchToTls { dir, offset } => {
                self.records.push(rec(dir, Record::Switch { offset }));
                self.text.push(TextLine::Switched { dir, offset });
            }
            Item::Undecodable { dir, reason, .. } => {
                self.records.push(rec(dir, Record::Undecodable(reason)))
            }
        }
    }

    fn leak(&mut self, leak: Leak) {
        // The greeting's timestamp has no words of its own: it only
        // matters with an APOP digest, which is a leak of its own.
        if text::leak(&leak, crate::lang::Lang::En).is_none() {
            return;
        }
        if let Leak::Apop { user, .. } = &leak {
            self.attack.apop = Some(text::sanitize(user));
        }
        let secret = matches!(
            leak,
            Leak::Password { .. }
                | Leak::AuthPlain { .. }
                | Leak::AuthLogin { .. }
                | Leak::Apop { .. }
                | Leak::User { .. }
        );
        if secret {
            // Colour the line that carried it, the newest line the client
            // sent.
            if let Some(TextLine::Line { secret: s, .. }) = self.text.iter_mut().rev().find(|l| {
                matches!(
                    l,
                    TextLine::Line {
                        dir: Direction::ClientToServer,
                        ..
                    }
                )
            }) {
                *s = true;
            }
            if let Some(r) = self.records.last_mut() {
                r.secret = true;
            }
        }
        if !self.loot.contains(&leak) {
            self.loot.push(leak.clone());
        }
        self.text.push(TextLine::Leak(leak));
    }

    /// Fold what the attacker did, read and concluded: its lines go in
    /// order with the bytes, and the attacker's box is updated.
    pub fn apply_attack(&mut self, a: AttackEvent) {
        self.attack.apply(&a);
        // Whether the event has words at all decides whether it has a
        // line; the words themselves are chosen when drawn.
        let has_line = crate::lab::describe::attack_line_in(&a, crate::lang::Lang::En).is_some();
        match a {
            AttackEvent::Acted {
                conn,
                note: AttackNote::Read { dir, ref bytes, .. },
            } => {
                // What the attacker read inside its own TLS is shown the
                // way the wire's cleartext is: line by line.
                let buf = self.read_partial.entry((conn, dir)).or_default();
                buf.push_str(&String::from_utf8_lossy(bytes));
                let mut start = 0;
                while let Some(i) = buf[start..].find('\n') {
                    let end = start + i;
                    self.text.push(TextLine::Read {
                        dir,
                        text: text::sanitize(buf[start..end].trim_end_matches('\r')),
                        secret: false,
                    });
                    start = end + 1;
                }
                buf.drain(..start);
            }
            AttackEvent::Learned {
                means, ref leak, ..
            } => {
                if !has_line || text::leak(leak, crate::lang::Lang::En).is_none() {
                    return;
                }
                if means == Means::ForgedTls
                    && let Some(TextLine::Read { secret, .. }) =
                        self.text.iter_mut().rev().find(|l| {
                            matches!(
                                l,
                                TextLine::Read {
                                    dir: Direction::ClientToServer,
                                    ..
                                }
                            )
                        })
                {
                    *secret = true;
                }
                self.text.push(TextLine::Learned(a));
            }
            AttackEvent::Verdict { succeeded, .. } => {
                if has_line {
                    self.records.push(RecordLine {
                        secret: succeeded,
                        ..RecordLine::new(None, Record::Attack(a.clone()))
                    });
                    self.text.push(TextLine::Verdict(a));
                }
            }
            AttackEvent::CrackProgress { .. } => {}
            _ => {
                if has_line {
                    self.records
                        .push(RecordLine::new(None, Record::Attack(a.clone())));
                    self.text.push(TextLine::Attack(a));
                }
            }
        }
        self.trim();
    }
}

/// The attacker's box: what the attacker holds, the verdict and the
/// offline password search. What it did is in the wire's text view, in
/// order with the bytes.
#[derive(Debug, Clone, Default)]
pub struct AttackView {
    /// The secrets the attacker read ([`AttackEvent::Learned`]), without
    /// repeats.
    pub learned: Vec<AttackEvent>,
    /// The verdict ([`AttackEvent::Verdict`]).
    pub verdict: Option<AttackEvent>,
    /// Whose APOP login the wire carried: something to crack offline.
    pub apop: Option<String>,
    /// The offline password search, once it has started.
    pub crack: Option<CrackView>,
}

/// The offline APOP password search as the attacker's box shows it.
#[derive(Debug, Clone, Default)]
pub struct CrackView {
    /// Whose password.
    pub user: String,
    /// Still searching.
    pub running: bool,
    /// Candidates tried so far.
    pub tried: u64,
    /// Out of, when the list's length is known.
    pub candidates: Option<u64>,
    /// Guesses per second so far.
    pub rate: f64,
    /// When it ended: the [`AttackEvent::CrackDone`] that said so.
    pub done: Option<AttackEvent>,
}

impl AttackView {
    /// Whether the attack succeeded, once there is a verdict.
    pub fn succeeded(&self) -> Option<bool> {
        match &self.verdict {
            Some(AttackEvent::Verdict { succeeded, .. }) => Some(*succeeded),
            _ => None,
        }
    }

    fn apply(&mut self, a: &AttackEvent) {
        let has_line = || crate::lab::describe::attack_line_in(a, crate::lang::Lang::En).is_some();
        match a {
            AttackEvent::Learned { leak, .. } => {
                if !has_line() || text::leak(leak, crate::lang::Lang::En).is_none() {
                    return;
                }
                // Two reports of one secret read the same: keep one.
                let words = crate::lab::describe::attack_line_in(a, crate::lang::Lang::En);
                if !self.learned.iter().any(|l| {
                    crate::lab::describe::attack_line_in(l, crate::lang::Lang::En) == words
                }) {
                    self.learned.push(a.clone());
                }
            }
            AttackEvent::Verdict { .. } if has_line() => self.verdict = Some(a.clone()),
            AttackEvent::CrackStarted { user, candidates } => {
                self.crack = Some(CrackView {
                    user: text::sanitize(user),
                    running: true,
                    candidates: *candidates,
                    ..CrackView::default()
                });
            }
            AttackEvent::CrackProgress {
                tried,
                candidates,
                rate,
            } => {
                if let Some(c) = &mut self.crack
                    && c.running
                {
                    c.tried = *tried;
                    c.candidates = candidates.or(c.candidates);
                    c.rate = *rate;
                }
            }
            AttackEvent::CrackDone {
                user, tried, rate, ..
            } => {
                let c = self.crack.get_or_insert_with(CrackView::default);
                c.user = text::sanitize(user);
                c.running = false;
                c.tried = *tried;
                c.rate = *rate;
                c.done = Some(a.clone());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(dir: Direction, offset: u64, bytes: &[u8], len: usize) -> WireEvent {
        WireEvent::Chunk {
            conn: 1,
            dir,
            offset,
            len,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn chunks_past_the_capture_limit_are_counted_not_guessed() {
        let mut m = WireModel::default();
        for len in [100, 50] {
            m.apply_wire(chunk(Direction::ServerToClient, 0, &[], len));
        }
        assert!(
            matches!(
                m.text[..],
                [TextLine::NotKept {
                    dir: Direction::ServerToClient,
                    bytes: 150
                }]
            ),
            "{:?}",
            m.text
        );
        assert!(m.hex.is_empty());
    }

    #[test]
    fn cleartext_is_cut_into_lines_and_a_password_marks_its_line() {
        let mut m = WireModel::default();
        m.apply_wire(chunk(
            Direction::ClientToServer,
            0,
            b"USER alice\r\nPASS wonder",
            23,
        ));
        m.apply_wire(chunk(Direction::ClientToServer, 23, b"land\r\n", 6));
        m.apply_wire(WireEvent::Seen {
            conn: 1,
            item: Item::Leak(Leak::Password {
                user: Some("alice".into()),
                password: "wonderland".into(),
            }),
        });
        let lines: Vec<(&str, bool)> = m
            .text
            .iter()
            .filter_map(|l| match l {
                TextLine::Line { text, secret, .. } => Some((text.as_str(), *secret)),
                _ => None,
            })
            .collect();
        assert_eq!(lines, [("USER alice", false), ("PASS wonderland", true)]);
        assert!(matches!(
            m.text.last(),
            Some(TextLine::Leak(Leak::Password { .. }))
        ));
        assert_eq!(m.loot.len(), 1);
        assert_eq!(m.hex.len(), 1, "contiguous bytes make one block");
        assert_eq!(m.hex[0].bytes.len(), 29);
    }

    #[test]
    fn an_apop_login_is_something_to_crack() {
        let mut m = WireModel::default();
        m.apply_wire(WireEvent::Seen {
            conn: 1,
            item: Item::Leak(Leak::Apop {
                user: "alice".into(),
                digest: "00".into(),
                timestamp: None,
            }),
        });
        assert_eq!(m.attack.apop.as_deref(), Some("alice"));
    }

    #[test]
    fn a_huge_transfer_keeps_the_wire_model_bounded() {
        let mut m = WireModel::default();
        for i in 0..MAX_WIRE_LINES + 1000 {
            m.text.push(TextLine::Switched {
                dir: Direction::ClientToServer,
                offset: i as u64,
            });
        }
        m.hex.push(HexBlock {
            conn: 1,
            dir: Direction::ClientToServer,
            offset: 0,
            bytes: vec![b'a'; 10],
        });
        m.hex.push(HexBlock {
            conn: 1,
            dir: Direction::ServerToClient,
            offset: 0,
            bytes: vec![b'b'; 3 * MAX_HEX_BYTES],
        });
        m.trim();
        assert_eq!(m.text.len(), MAX_WIRE_LINES);
        assert!(
            matches!(&m.text[MAX_WIRE_LINES - 1], TextLine::Switched { offset, .. } if *offset == (MAX_WIRE_LINES + 999) as u64)
        );
        assert_eq!(m.hex.len(), 1, "the small old block goes first");
        assert_eq!(m.hex[0].bytes.len(), MAX_HEX_BYTES);
        assert_eq!(
            m.hex[0].offset,
            2 * MAX_HEX_BYTES as u64,
            "the newest bytes stay"
        );
    }

    #[test]
    fn rows_are_measured_once_per_width_and_language() {
        let mut m = WireModel::default();
        for i in 0..100 {
            m.text.push(TextLine::Switched {
                dir: Direction::ClientToServer,
                offset: i,
            });
        }
        // A count line is taller here, so stale heights would show.
        let measure = |l: &TextLine| {
            if matches!(l, TextLine::NotKept { .. }) {
                5
            } else {
                2
            }
        };
        let count = |m: &WireModel, width| {
            m.text_rows(width, Lang::En, measure, |r| r.iter().sum::<usize>())
        };
        assert_eq!(count(&m, 40), 200usize);
        assert_eq!(count(&m, 40), 200);
        assert_eq!(
            m.text_rows.borrow().measured,
            100,
            "the second count measures nothing"
        );
        count(&m, 41);
        assert_eq!(
            m.text_rows.borrow().measured,
            200,
            "a new width measures again"
        );
        // A count that grows in place is measured again; the rest are not.
        m.apply_wire(chunk(Direction::ServerToClient, 0, &[], 10));
        count(&m, 41);
        m.apply_wire(chunk(Direction::ServerToClient, 0, &[], 10));
        count(&m, 41);
        assert_eq!(m.text_rows.borrow().measured, 202);
        // Dropped lines take their heights with them.
        for i in 0..MAX_WIRE_LINES {
            m.text.push(TextLine::Switched {
                dir: Direction::ClientToServer,
                offset: i as u64,
            });
        }
        m.trim();
        assert_eq!(count(&m, 41), 2 * MAX_WIRE_LINES);
    }
}
