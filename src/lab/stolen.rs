//! The stolen-keys attack in the lab: the attacker holds the client's key
//! log (as malware or a forgotten `SSLKEYLOGFILE` would leak it) and opens
//! the TLS records the tap recorded, live, as they cross.
//!
//! The keys reach the lab through rustls's key-log hook while the records
//! reach it through the tap, and the two are not ordered with each other:
//! a record can be reported before the secret that opens it. So each
//! connection keeps what crossed, and whenever the key log has grown the
//! recording is decrypted again from the start; records already reported
//! are not reported twice. Records that stay closed are reported once, when
//! the connection ends.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Emitter;
use super::event::{AttackEvent, EventKind, Means, SealedReason};
use crate::wire::Direction;
use crate::wire::decrypt::{Decryptor, KeyLog, Outcome};
use crate::wire::dissect::{Dissector, Item};
use crate::wire::tls::{ContentType, HandshakeReader};

/// How much of a decrypted record an event carries.
const TEXT_KEPT: usize = 4096;

/// How many bytes of a connection are kept for decrypting again from the
/// start when the key log grows. Secrets are logged during the handshake,
/// within the first few kilobytes of a connection, so this covers the
/// race between a secret and its records many times over; past it the
/// recording is dropped, so that a long session (or a capture read from a
/// file) does not hold its whole transfer in memory.
const REPLAY_KEPT: usize = 4 << 20;

/// The key log the lab's client leaks, shared by its key-log hook and the
/// pump.
pub(crate) type Leaked = Arc<Mutex<KeyLog>>;

/// One connection, seen by the attacker holding the key log.
pub(crate) struct Stolen {
    implicit_tls: bool,
    chunks: Vec<(Direction, Vec<u8>)>,
    /// Bytes in `chunks`, or `None` once past [`REPLAY_KEPT`] (nothing
    /// is kept any more).
    kept: Option<usize>,
    decryptor: Option<Decryptor>,
    /// Key-log entries the decryptor was built with.
    keys_used: usize,
    /// (direction, offset) of every record already reported.
    reported: HashSet<(Direction, u64)>,
    /// The POP3 inside the opened records.
    pop3: Dissector,
    /// The handshake messages inside opened records, per direction
    /// (client→server first); a message may span records.
    handshakes: [HandshakeReader; 2],
    /// The failures of the latest decryption, reported at the end.
    failed: Vec<crate::wire::decrypt::Failure>,
}

impl Stolen {
    pub(crate) fn new(implicit_tls: bool, timestamp: Option<String>) -> Stolen {
        Stolen {
            implicit_tls,
            chunks: Vec::new(),
            kept: Some(0),
            decryptor: None,
            keys_used: 0,
            reported: HashSet::new(),
            pop3: if implicit_tls {
                Dissector::new()
            } else {
                Dissector::after_stls(timestamp)
            },
            failed: Vec::new(),
            handshakes: [HandshakeReader::new(), HandshakeReader::new()],
        }
    }

    /// A chunk crossed: open what can be opened and report it.
    pub(crate) fn chunk(
        &mut self,
        conn: u64,
        dir: Direction,
        bytes: &[u8],
        keys: &Leaked,
        emit: &Emitter,
        at: Duration,
    ) {
        self.kept = self
            .kept
            .map(|n| n + bytes.len())
            .filter(|n| *n <= REPLAY_KEPT);
        if self.kept.is_some() {
            self.chunks.push((dir, bytes.to_vec()));
        } else {
            self.chunks = Vec::new();
        }
        // The key log is copied only when it has grown, not for every
        // chunk, and only while the recording is there to start again
        // from.
        let grown = {
            let log = crate::sync::lock(keys);
            (self.decryptor.is_none() || (log.len() != self.keys_used && self.kept.is_some()))
                .then(|| log.clone())
        };
        let outcomes = if let Some(snapshot) = grown {
            // Start again from the first byte: what failed before may
            // open now.
            self.keys_used = snapshot.len();
            self.failed.clear();
            let mut d = Decryptor::new(snapshot, self.implicit_tls);
            let mut all = Vec::new();
            if self.kept.is_some() {
                for (dir, bytes) in &self.chunks {
                    all.extend(d.feed(*dir, bytes));
                }
            } else {
                // Nothing kept (this chunk alone was past the limit).
                all.extend(d.feed(dir, bytes));
            }
            self.decryptor = Some(d);
            all
        } else {
            match self.decryptor.as_mut() {
                Some(d) => d.feed(dir, bytes),
                None => Vec::new(),
            }
        };
        for outcome in outcomes {
            match outcome {
                Outcome::Opened(r) => {
                    if !self.reported.insert((r.dir, r.offset)) {
                        continue;
                    }
                    let text = if r.content_type == ContentType::Handshake {
                        let reader = &mut self.handshakes[match r.dir {
                            Direction::ClientToServer => 0,
                            Direction::ServerToClient => 1,
                        }];
                        handshake_names(reader, &r.plaintext, r.offset)
                    } else {
                        let kept = &r.plaintext[..r.plaintext.len().min(TEXT_KEPT)];
                        String::from_utf8_lossy(kept).into_owned()
                    };
                    emit.at(
                        at,
                        EventKind::Attack(AttackEvent::Decrypted {
                            conn,
                            dir: r.dir,
                            seq: r.seq,
                            content: r.content_type.name().to_string(),
                            len: r.plaintext.len(),
                            text,
                        }),
                    );
                    if r.content_type == ContentType::ApplicationData {
                        for item in self.pop3.feed(r.dir, &r.plaintext) {
                            if let Item::Leak(leak) = item {
                                emit.at(
                                    at,
                                    EventKind::Attack(AttackEvent::Learned {
                                        conn,
                                        means: Means::StolenKeys,
                                        leak,
                                    }),
                                );
                            }
                        }
                    }
                }
                Outcome::Failed(f) => self.failed.push(f.reason),
                Outcome::Clear(_) => {}
            }
        }
    }

    /// The connection ended: say what stayed closed, if anything did.
    pub(crate) fn ended(&self, conn: u64, emit: &Emitter, at: Duration) {
        let Some(first) = self.failed.first() else {
            if self.reported.is_empty() {
                emit.at(
                    at,
                    EventKind::Attack(AttackEvent::Sealed {
                        conn,
                        records: 0,
                        reason: SealedReason::NoRecord,
                    }),
                );
            }
            return;
        };
        emit.at(
            at,
            EventKind::Attack(AttackEvent::Sealed {
                conn,
                records: self.failed.len(),
                reason: SealedReason::Failed {
                    failure: first.clone(),
                },
            }),
        );
    }
}

/// The handshake messages a decrypted handshake record completes, by
/// name ("EncryptedExtensions, Certificate, CertificateVerify, Finished"):
/// their bytes are binary and say nothing on a screen. The wire's own
/// reader reassembles them, within its size limit.
fn handshake_names(reader: &mut HandshakeReader, body: &[u8], offset: u64) -> String {
    reader.push(body, offset);
    let mut names = Vec::new();
    while let Some(Ok(m)) = reader.next_message() {
        names.push(crate::wire::tls::handshake_type_name(m.msg_type));
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use tokio::sync::mpsc;

    use super::*;
    use crate::lab::event::WireEvent;
    use crate::lab::{Event, Lab, LabOptions, Scenario};

    /// Without the key log nothing opens, and the end says so for every
    /// record of the connection, not only for those of its last chunk.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_stays_sealed_is_counted_over_the_whole_connection() {
        let (mut lab, mut rx) =
            Lab::start(Scenario::named("pop3s").unwrap(), LabOptions::default())
                .await
                .unwrap();
        lab.run_demo().await.unwrap();
        lab.shutdown().await;
        let mut chunks = Vec::new();
        while let Some(e) = rx.recv().await {
            if let EventKind::Wire(WireEvent::Chunk { dir, bytes, .. }) = e.kind {
                chunks.push((dir, bytes));
            }
        }
        assert!(chunks.len() > 4, "a whole session crossed");

        let (tx, mut out) = mpsc::unbounded_channel::<Event>();
        let emit = Emitter {
            epoch: Instant::now(),
            tx,
            judge: Arc::new(Mutex::new(super::super::judge::Judge::new(None))),
        };
        let keys = Leaked::default();
        let mut stolen = Stolen::new(true, None);
        for (dir, bytes) in &chunks {
            stolen.chunk(1, *dir, bytes, &keys, &emit, Duration::ZERO);
        }
        stolen.ended(1, &emit, Duration::ZERO);
        drop(emit);
        let mut sealed = None;
        while let Some(e) = out.recv().await {
            match e.kind {
                EventKind::Attack(AttackEvent::Sealed { records, .. }) => sealed = Some(records),
                EventKind::Attack(AttackEvent::Decrypted { .. }) => panic!("nothing opens"),
                _ => {}
            }
        }
        // Each chunk after the handshake carries at least one record; the
        // count covers them all.
        let records = sealed.expect("the end reports what stayed sealed");
        assert!(
            records >= chunks.len() - 2,
            "{records} of {} chunks",
            chunks.len()
        );
    }
}

#[cfg(test)]
mod bound_tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use tokio::sync::mpsc;

    use super::*;

    /// A long session does not stay in memory: past the replay limit the
    /// recording is dropped.
    #[test]
    fn the_recording_kept_for_a_replay_is_bounded() {
        let (tx, _out) = mpsc::unbounded_channel();
        let emit = Emitter {
            epoch: Instant::now(),
            tx,
            judge: Arc::new(Mutex::new(super::super::judge::Judge::new(None))),
        };
        let keys = Leaked::default();
        let mut stolen = Stolen::new(false, None);
        let chunk = vec![b'x'; 64 << 10];
        for _ in 0..200 {
            stolen.chunk(
                1,
                Direction::ServerToClient,
                &chunk,
                &keys,
                &emit,
                Duration::ZERO,
            );
            let held: usize = stolen.chunks.iter().map(|(_, b)| b.len()).sum();
            assert!(held <= REPLAY_KEPT, "{held} bytes kept");
        }
        assert!(stolen.chunks.is_empty());
    }
}
