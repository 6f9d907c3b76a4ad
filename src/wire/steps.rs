//! The handshake as the client and the server see it: every handshake
//! message of one connection, and the ChangeCipherSpec records between
//! them, in order, whether they crossed in cleartext or sealed. Sealed
//! ones are opened with the endpoints' own key log, the one the lab's
//! client writes (or a capture's, for `inspect`). Each step keeps the
//! header of the record that carried it, which is what an eavesdropper
//! reads of a sealed message, and every byte of the message labelled
//! ([`annotate`]).
//!
//! The key log and the records reach the lab by different roads, so a
//! record may cross before the secret that opens it is logged. Like the
//! stolen-keys attacker (`lab::stolen`), a [`Follower`] keeps what crossed
//! and reads it again from the start when the key log has grown; steps
//! already reported are not reported twice. It keeps at most [`KEPT`]
//! bytes and stops following once the handshake is over, so a long
//! session costs nothing more.

use std::collections::HashSet;

use serde::Serialize;

use super::Direction;
use super::annotate::{self, Era, Field};
use super::decrypt::{Decryptor, Epoch, KeyLog, Outcome};
use super::tls::{self, ContentType, HandshakeReader, RecordHeader};

/// How many bytes of a connection a follower keeps to read again when
/// the key log grows. A handshake, certificate chains included, takes a
/// few kilobytes; past this the follower gives up on the connection.
pub const KEPT: usize = 64 << 10;

/// One step of a handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Which way it went.
    pub dir: Direction,
    /// What it is.
    pub kind: StepKind,
    /// The message as the endpoints read it, with its four-byte header;
    /// for ChangeCipherSpec, the record's body.
    #[serde(serialize_with = "super::as_hex")]
    pub bytes: Vec<u8>,
    /// The header of the record that carried its first byte, as it
    /// crossed.
    pub record: RecordHeader,
    /// That record's stream offset, in its direction.
    pub record_offset: u64,
    /// How it crossed: `None` in cleartext, for anyone on the path to
    /// read; otherwise sealed, and opened with the key log.
    pub sealed: Option<Epoch>,
    /// The version the handshake negotiated, as far as known when this
    /// step was read (a ClientHello is read before anything answers it).
    pub era: Era,
    /// Every byte of `bytes`, labelled.
    pub fields: Field,
}

/// What a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// A handshake message, by its type byte.
    Handshake {
        /// The handshake type (1 ClientHello, 2 ServerHello, …).
        msg_type: u8,
        /// A ServerHello that is a HelloRetryRequest (RFC 8446 §4.1.4).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        retry: bool,
    },
    /// A ChangeCipherSpec record (in TLS 1.3 only for middleboxes).
    ChangeCipherSpec,
}

impl Step {
    /// The step's protocol name ("EncryptedExtensions"), the same in
    /// every language.
    pub fn name(&self) -> &'static str {
        match self.kind {
            StepKind::ChangeCipherSpec => "ChangeCipherSpec",
            StepKind::Handshake { retry: true, .. } => "HelloRetryRequest",
            StepKind::Handshake { msg_type, .. } => tls::handshake_type_name(msg_type),
        }
    }

    /// True if both crossed sealed in one record: the eavesdropper saw
    /// them as one opaque record, not as messages.
    pub fn shares_record(&self, other: &Step) -> bool {
        self.sealed.is_some()
            && other.sealed.is_some()
            && self.dir == other.dir
            && self.record_offset == other.record_offset
    }

    /// The record header's five bytes, as they crossed.
    pub fn record_bytes(&self) -> [u8; tls::RECORD_HEADER_LEN] {
        let [v0, v1] = self.record.version.to_be_bytes();
        let [l0, l1] = self.record.length.to_be_bytes();
        [self.record.content_type.byte(), v0, v1, l0, l1]
    }
}

/// A step and where it falls in its connection: `order` counts the
/// chunks fed before the one that completed it, so steps reported late
/// (when a secret came after its records) still sort into place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ordered {
    /// The chunk that completed the step, counted from 0.
    pub order: u64,
    /// The step.
    pub step: Step,
    /// What identifies the step across readings: its layer (cleartext
    /// handshake 0, sealed handshake 1, ChangeCipherSpec 2), the record
    /// holding its first byte and where in that record's plaintext it
    /// starts. A position in the layer's stream would not do: a reading
    /// with more keys may open an earlier record that stayed sealed
    /// before, and every later position moves.
    #[serde(skip)]
    at: (u8, u64, u64),
}

impl Ordered {
    /// What tells this step apart from every other of its connection,
    /// across readings: its direction, its layer (cleartext handshake 0,
    /// sealed handshake 1, ChangeCipherSpec 2), the stream offset of the
    /// record holding its first byte, and where in that record's
    /// plaintext it starts. Two messages with the same bytes in one
    /// record are two steps.
    pub fn id(&self) -> (Direction, u8, u64, u64) {
        (self.step.dir, self.at.0, self.at.1, self.at.2)
    }
}

/// Follows one connection's handshake as its chunks cross.
#[derive(Debug)]
pub struct Follower {
    implicit_tls: bool,
    kept: Vec<(Direction, Vec<u8>)>,
    kept_bytes: usize,
    /// Key-log entries the current reading was made with.
    keys_used: usize,
    live: Option<Live>,
    /// [`Ordered::id`] of every step reported.
    reported: HashSet<(Direction, u8, u64, u64)>,
    /// The handshake is over, or past [`KEPT`]: nothing more to follow.
    done: bool,
}

impl Follower {
    /// A follower for a connection that starts with TLS (`implicit_tls`,
    /// POP3S) or as POP3 that may switch with STLS.
    pub fn new(implicit_tls: bool) -> Follower {
        Follower {
            implicit_tls,
            kept: Vec::new(),
            kept_bytes: 0,
            keys_used: 0,
            live: None,
            reported: HashSet::new(),
            done: false,
        }
    }

    /// True once there is nothing more to follow.
    pub fn done(&self) -> bool {
        self.done
    }

    /// Bytes held, to check that memory stays bounded.
    pub fn held(&self) -> usize {
        self.kept_bytes
    }

    /// A chunk crossed in `dir`; `keys` is the endpoints' key log as it
    /// stands, or `None` where nobody holds one (a proxy for outside
    /// peers): then only cleartext steps are read, and following stops
    /// once both directions are sealed. Returns the steps newly read.
    pub fn feed(&mut self, dir: Direction, bytes: &[u8], keys: Option<&KeyLog>) -> Vec<Ordered> {
        if self.done {
            return Vec::new();
        }
        self.kept_bytes += bytes.len();
        self.kept.push((dir, bytes.to_vec()));
        self.read(keys, true)
    }

    /// The key log grew with no chunk crossing: read what crossed again,
    /// so that a sealed message shows as soon as its secret is logged
    /// rather than when the next chunk comes. Returns the steps newly
    /// read (none if the log has not grown since the last reading).
    pub fn keys_grew(&mut self, keys: Option<&KeyLog>) -> Vec<Ordered> {
        if self.done || self.kept.is_empty() {
            return Vec::new();
        }
        self.read(keys, false)
    }

    fn read(&mut self, keys: Option<&KeyLog>, new_chunk: bool) -> Vec<Ordered> {
        // An empty key log opens nothing, so following stops, as without
        // one, once both directions are sealed: a capture read without
        // keys then costs its handshakes, not 64 KiB of every TLS
        // conversation. (The lab's client logs its first secrets on
        // reading the ServerHello, before its own sealed record can cross.)
        let keys = keys.filter(|k| !k.is_empty());
        let have = keys.map_or(0, KeyLog::len);
        let mut out = Vec::new();
        match (&mut self.live, self.kept.last()) {
            (Some(live), Some((dir, bytes))) if have == self.keys_used => {
                if new_chunk {
                    live.feed(self.kept.len() as u64 - 1, *dir, bytes, &mut out);
                }
            }
            _ => {
                // Read again from the first byte: what stayed sealed may
                // open with the grown key log.
                let mut live = Live::new(keys.cloned().unwrap_or_default(), self.implicit_tls);
                for (i, (d, b)) in self.kept.iter().enumerate() {
                    live.feed(i as u64, *d, b, &mut out);
                }
                self.live = Some(live);
                self.keys_used = have;
            }
        }
        out.retain(|o| self.reported.insert(o.id()));
        let over = self.live.as_ref().is_some_and(|l| {
            if keys.is_some() {
                l.halves.iter().all(|h| h.application)
            } else {
                l.halves.iter().all(|h| h.sealed_seen)
            }
        });
        if over || self.kept_bytes > KEPT {
            self.done = true;
            self.kept = Vec::new();
            self.kept_bytes = 0;
            self.live = None;
        }
        out
    }
}

/// One reading of the connection with one version of the key log.
#[derive(Debug)]
struct Live {
    decryptor: Decryptor,
    halves: [Half; 2],
}

#[derive(Debug)]
struct Half {
    /// Handshake messages in cleartext records.
    clear: Layer,
    /// Handshake messages in opened records.
    sealed: Layer,
    /// An application_data record opened this way: the handshake is over.
    application: bool,
    /// A sealed record crossed this way (opened or not).
    sealed_seen: bool,
}

/// One direction's stream of handshake messages in one kind of record.
#[derive(Debug)]
struct Layer {
    /// 0 for cleartext records, 1 for opened ones.
    layer: u8,
    reader: HandshakeReader,
    /// Bytes pushed so far: the position of the next record's first byte.
    pos: u64,
    /// Where each record's bytes start in the stream, with the record.
    carriers: Vec<Carrier>,
    /// A message too long to reassemble: nothing more is read here.
    dead: bool,
}

#[derive(Debug)]
struct Carrier {
    pos: u64,
    offset: u64,
    header: RecordHeader,
    sealed: Option<Epoch>,
}

impl Live {
    fn new(keys: KeyLog, implicit_tls: bool) -> Live {
        let mut decryptor = Decryptor::new(keys, implicit_tls);
        decryptor.report_cleartext();
        Live {
            decryptor,
            halves: [Half::new(), Half::new()],
        }
    }

    fn era(&self) -> Era {
        match self.decryptor.version() {
            Some(v) if v < 0x0304 => Era::Tls12,
            _ => Era::Tls13,
        }
    }

    fn feed(&mut self, order: u64, dir: Direction, bytes: &[u8], out: &mut Vec<Ordered>) {
        let i = usize::from(dir == Direction::ServerToClient);
        for outcome in self.decryptor.feed(dir, bytes) {
            let era = self.era();
            let half = &mut self.halves[i];
            match outcome {
                Outcome::Clear(r) => match r.content_type {
                    ContentType::ChangeCipherSpec => {
                        let fields = Field {
                            at: 0,
                            len: r.body.len(),
                            what: annotate::What::ChangeCipherSpec,
                            value: annotate::Value::Bytes(r.body.clone()),
                            parts: Vec::new(),
                        };
                        out.push(Ordered {
                            order,
                            at: (2, r.offset, 0),
                            step: Step {
                                dir,
                                kind: StepKind::ChangeCipherSpec,
                                bytes: r.body,
                                record: r.header,
                                record_offset: r.offset,
                                sealed: None,
                                era,
                                fields,
                            },
                        });
                    }
                    ContentType::Handshake => {
                        half.clear.push(r.offset, r.header, None, &r.body);
                        half.clear.drain(order, dir, era, out);
                    }
                    _ => {}
                },
                Outcome::Opened(r) => {
                    half.sealed_seen = true;
                    match r.content_type {
                        ContentType::Handshake => {
                            half.sealed
                                .push(r.offset, r.header, Some(r.epoch), &r.plaintext);
                            half.sealed.drain(order, dir, era, out);
                        }
                        ContentType::ApplicationData => half.application = true,
                        _ => {}
                    }
                }
                Outcome::Failed(_) => half.sealed_seen = true,
            }
        }
    }
}

impl Half {
    fn new() -> Half {
        Half {
            clear: Layer::new(0),
            sealed: Layer::new(1),
            application: false,
            sealed_seen: false,
        }
    }
}

impl Layer {
    fn new(layer: u8) -> Layer {
        Layer {
            layer,
            reader: HandshakeReader::new(),
            pos: 0,
            carriers: Vec::new(),
            dead: false,
        }
    }

    fn push(&mut self, offset: u64, header: RecordHeader, sealed: Option<Epoch>, body: &[u8]) {
        if self.dead {
            return;
        }
        self.carriers.push(Carrier {
            pos: self.pos,
            offset,
            header,
            sealed,
        });
        self.reader.push(body, self.pos);
        self.pos += body.len() as u64;
    }

    fn drain(&mut self, order: u64, dir: Direction, era: Era, out: &mut Vec<Ordered>) {
        while !self.dead {
            let m = match self.reader.next_message() {
                None => break,
                Some(Err(_)) => {
                    self.dead = true;
                    break;
                }
                Some(Ok(m)) => m,
            };
            // The record holding the message's first byte: the last one
            // that began at or before it.
            let Some(c) = self.carriers.iter().rev().find(|c| c.pos <= m.offset) else {
                continue;
            };
            let len = m.body.len() as u32;
            let mut bytes = Vec::with_capacity(4 + m.body.len());
            bytes.push(m.msg_type);
            bytes.extend_from_slice(&len.to_be_bytes()[1..]);
            bytes.extend_from_slice(&m.body);
            let retry = m.msg_type == 2
                && matches!(
                    tls::decode_handshake(2, &m.body, None),
                    Ok(tls::Handshake::ServerHello {
                        hello_retry_request: true,
                        ..
                    })
                );
            // A ClientHello is read before any answer says which version
            // follows; its layout is the same in both.
            let fields = annotate::handshake(&bytes, era);
            out.push(Ordered {
                order,
                at: (self.layer, c.offset, m.offset - c.pos),
                step: Step {
                    dir,
                    kind: StepKind::Handshake {
                        msg_type: m.msg_type,
                        retry,
                    },
                    bytes,
                    record: c.header.clone(),
                    record_offset: c.offset,
                    sealed: c.sealed,
                    era,
                    fields,
                },
            });
        }
    }
}
