//! Each TLS session's key schedule as the handshake and the key log
//! reveal it: the randoms, version and suite from the hellos, the
//! schedule ([`super::schedule`]) from the client's secrets, whether each
//! Finished message verifies against the transcript, and how many records
//! each direction sealed.
//!
//! [`Sessions`] is fed handshake steps ([`super::steps`]), key-log entries
//! and encrypted records, one at a time and in any order, per connection;
//! it recomputes a session's schedule and Finished checks when something
//! they depend on arrives, so a reader (the screen's key schedule view,
//! `demo --json`) only reads. Everything stays typed values.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Direction;
use super::decrypt::{Epoch, KeyLog};
use super::schedule::{self, FinishedCheck, Schedule, ScheduleError};
use super::steps::{Step, StepKind};
use super::tls::{self, Handshake};

/// The handshake type byte of a ClientHello.
const CLIENT_HELLO: u8 = 1;
/// The handshake type byte of a ServerHello (and a HelloRetryRequest).
const SERVER_HELLO: u8 = 2;
/// The handshake type byte of a Finished.
const FINISHED: u8 = 20;
/// The handshake type of the synthetic message that stands for the first
/// ClientHello after a HelloRetryRequest (RFC 8446 §4.4.1).
const MESSAGE_HASH: u8 = 254;

/// What became of one Finished message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FinishedStatus {
    /// Its verify_data is what the key log and the transcript say it
    /// must be: both ends saw the same handshake.
    Verified(FinishedCheck),
    /// Its verify_data differs from what they say.
    DoesNotVerify(FinishedCheck),
    /// The key log lacks the secret it is made from.
    SecretMissing,
    /// The version or suite is one the key schedule does not know.
    Unsupported {
        /// Why.
        error: ScheduleError,
    },
}

impl FinishedStatus {
    fn of(result: Result<Option<FinishedCheck>, ScheduleError>) -> FinishedStatus {
        match result {
            Ok(Some(check)) if check.verifies => FinishedStatus::Verified(check),
            Ok(Some(check)) => FinishedStatus::DoesNotVerify(check),
            Ok(None) => FinishedStatus::SecretMissing,
            Err(error) => FinishedStatus::Unsupported { error },
        }
    }
}

/// One handshake step as the model keeps it: what the transcript and the
/// record counts need, no more.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    order: u64,
    arrival: u64,
    dir: Direction,
    kind: StepKind,
    bytes: Vec<u8>,
    sealed: Option<Epoch>,
    record_offset: u64,
}

impl Kept {
    fn msg_type(&self) -> Option<u8> {
        match self.kind {
            StepKind::Handshake { msg_type, .. } => Some(msg_type),
            StepKind::ChangeCipherSpec => None,
        }
    }

    fn retry(&self) -> bool {
        matches!(self.kind, StepKind::Handshake { retry: true, .. })
    }
}

/// One TLS session's key schedule material and results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionKeys {
    /// The ClientHello's random, which names the session in the key log.
    pub client_random: Option<[u8; 32]>,
    /// The ServerHello's random (not a HelloRetryRequest's, which is a
    /// fixed value).
    pub server_random: Option<[u8; 32]>,
    /// The version the ServerHello chose.
    pub version: Option<u16>,
    /// The cipher suite the ServerHello chose.
    pub suite: Option<u16>,
    /// A HelloRetryRequest came before the ServerHello.
    pub retried: bool,
    /// The schedule, once both hellos are known.
    pub schedule: Option<Result<Schedule, ScheduleError>>,
    /// Each side's Finished, once it has been seen: `[client, server]`.
    pub finished: [Option<FinishedStatus>; 2],
    /// Encrypted records the eavesdropper saw, `[client, server]`.
    pub encrypted_records: [u64; 2],
    steps: Vec<Kept>,
}

/// The index of a direction in the `[client, server]` pairs.
pub fn side_index(dir: Direction) -> usize {
    usize::from(dir == Direction::ServerToClient)
}

impl SessionKeys {
    /// Records sealed under TLS 1.3 handshake keys in `dir`: the distinct
    /// records that carried its sealed handshake steps.
    pub fn handshake_records(&self, dir: Direction) -> u64 {
        let records: BTreeSet<u64> = self
            .steps
            .iter()
            .filter(|s| s.dir == dir && s.sealed == Some(Epoch::Handshake))
            .map(|s| s.record_offset)
            .collect();
        records.len() as u64
    }

    /// Records sealed under the application traffic keys (TLS 1.3) or the
    /// key block (TLS 1.2) in `dir`: every encrypted record the
    /// eavesdropper saw that way, less those under the handshake keys.
    pub fn application_records(&self, dir: Direction) -> u64 {
        self.encrypted_records[side_index(dir)].saturating_sub(self.handshake_records(dir))
    }

    /// The names of the sealed handshake steps in `dir`, in order
    /// ("EncryptedExtensions", …, "Finished"): what the handshake keys
    /// opened.
    pub fn sealed_steps(&self, dir: Direction, epoch: Epoch) -> Vec<&'static str> {
        self.sorted()
            .into_iter()
            .filter(|s| s.dir == dir && s.sealed == Some(epoch))
            .map(|s| match s.kind {
                StepKind::ChangeCipherSpec => "ChangeCipherSpec",
                StepKind::Handshake { retry: true, .. } => "HelloRetryRequest",
                StepKind::Handshake { msg_type, .. } => tls::handshake_type_name(msg_type),
            })
            .collect()
    }

    /// The steps in the order the connection carried them: by `order`,
    /// then by arrival.
    fn sorted(&self) -> Vec<&Kept> {
        let mut steps: Vec<&Kept> = self.steps.iter().collect();
        steps.sort_by_key(|s| (s.order, s.arrival));
        steps
    }

    fn add(&mut self, step: Kept) {
        if let Some(SERVER_HELLO) = step.msg_type() {
            if step.retry() {
                self.retried = true;
            } else if let Some(body) = step.bytes.get(4..) {
                self.server_random = tls::hello_random(body);
                if let Ok(Handshake::ServerHello {
                    version,
                    cipher_suite,
                    ..
                }) = tls::decode_handshake(SERVER_HELLO, body, None)
                {
                    self.version = Some(version);
                    self.suite = Some(cipher_suite);
                }
            }
        }
        if step.msg_type() == Some(CLIENT_HELLO) && self.client_random.is_none() {
            // After a HelloRetryRequest the second ClientHello carries
            // the same random, so the first one names the session.
            self.client_random = step.bytes.get(4..).and_then(tls::hello_random);
        }
        self.steps.push(step);
    }

    /// Recompute the schedule and the Finished checks from what is known.
    fn recompute(&mut self, keys: &KeyLog) {
        let (Some(cr), Some(sr), Some(version), Some(suite)) = (
            self.client_random,
            self.server_random,
            self.version,
            self.suite,
        ) else {
            return;
        };
        self.schedule = Some(schedule::schedule(keys, version, suite, &cr, &sr));
        let sorted = self.sorted();
        let mut finished: [Option<FinishedStatus>; 2] = [None, None];
        for (i, step) in sorted.iter().enumerate() {
            if step.msg_type() != Some(FINISHED) {
                continue;
            }
            let slot = &mut finished[side_index(step.dir)];
            if slot.is_some() {
                // A renegotiation's Finished is not this handshake's.
                continue;
            }
            let transcript = transcript(&sorted[..i], suite);
            let parts: Vec<&[u8]> = transcript.iter().map(Vec::as_slice).collect();
            let body = step.bytes.get(4..).unwrap_or_default();
            *slot = Some(FinishedStatus::of(schedule::verify_finished(
                keys, version, suite, &cr, step.dir, &parts, body,
            )));
        }
        self.finished = finished;
    }
}

/// The handshake messages whose hash a Finished covers: every handshake
/// step before it, whole, ChangeCipherSpec left out (it is a record, not a
/// handshake message). After a HelloRetryRequest the first ClientHello is
/// replaced by the message_hash message that stands for it (RFC 8446
/// §4.4.1).
fn transcript(before: &[&Kept], suite: u16) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = before
        .iter()
        .filter(|s| s.msg_type().is_some())
        .map(|s| s.bytes.clone())
        .collect();
    let retried = before.iter().any(|s| s.retry());
    if retried
        && let Some(hash) = schedule::Suite::of(suite).map(|s| s.hash())
        && let Some(first) = out.first_mut()
    {
        let digest = schedule::transcript_hash(hash, &[first]);
        let mut synthetic = vec![MESSAGE_HASH, 0, 0, digest.len() as u8];
        synthetic.extend_from_slice(&digest);
        *first = synthetic;
    }
    out
}

/// What one session's keys come to, as typed values for a JSON line
/// (`demo --json`, `inspect`): the schedule with its real bytes (hex), or
/// why there is none, each Finished's verdict, and the records each
/// direction sealed.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport<'a> {
    /// The tap's connection.
    pub conn: u64,
    /// The ClientHello's random.
    #[serde(serialize_with = "opt_hex")]
    pub client_random: Option<[u8; 32]>,
    /// The ServerHello's random.
    #[serde(serialize_with = "opt_hex")]
    pub server_random: Option<[u8; 32]>,
    /// The version chosen, by number.
    pub version: Option<u16>,
    /// The cipher suite chosen, by number.
    pub suite: Option<u16>,
    /// The schedule, when the version and suite are known ones.
    pub schedule: Option<&'a Schedule>,
    /// Why there is no schedule although both hellos came.
    pub error: Option<ScheduleError>,
    /// The client's Finished.
    pub client_finished: Option<&'a FinishedStatus>,
    /// The server's Finished.
    pub server_finished: Option<&'a FinishedStatus>,
    /// Records sealed under TLS 1.3 handshake keys, `[client, server]`.
    pub handshake_records: [u64; 2],
    /// Records sealed under the application keys (TLS 1.3) or the key
    /// block (TLS 1.2), `[client, server]`.
    pub application_records: [u64; 2],
}

fn opt_hex<S: serde::Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => s.serialize_str(&hex::encode(b)),
        None => s.serialize_none(),
    }
}

impl SessionKeys {
    /// This session's keys as one typed value, for connection `conn`.
    pub fn report(&self, conn: u64) -> SessionReport<'_> {
        let both = |f: &dyn Fn(Direction) -> u64| {
            [f(Direction::ClientToServer), f(Direction::ServerToClient)]
        };
        SessionReport {
            conn,
            client_random: self.client_random,
            server_random: self.server_random,
            version: self.version,
            suite: self.suite,
            schedule: self.schedule.as_ref().and_then(|s| s.as_ref().ok()),
            error: self
                .schedule
                .as_ref()
                .and_then(|s| s.as_ref().err().copied()),
            client_finished: self.finished[0].as_ref(),
            server_finished: self.finished[1].as_ref(),
            handshake_records: both(&|d| self.handshake_records(d)),
            application_records: both(&|d| self.application_records(d)),
        }
    }
}

/// Every session's keys, by connection, and the key log they come from.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    /// Every secret given so far, for every session.
    pub keylog: KeyLog,
    conns: BTreeMap<u64, SessionKeys>,
    arrivals: u64,
}

impl Sessions {
    /// Add a handshake step of connection `conn`, with the `order` the
    /// lab gave it ([`super::steps::Ordered`]).
    pub fn step(&mut self, conn: u64, order: u64, step: &Step) {
        let kept = Kept {
            order,
            arrival: self.arrivals,
            dir: step.dir,
            kind: step.kind,
            bytes: step.bytes.clone(),
            sealed: step.sealed,
            record_offset: step.record_offset,
        };
        self.arrivals += 1;
        let c = self.conns.entry(conn).or_default();
        let handshake = kept.msg_type().is_some();
        c.add(kept);
        // A ChangeCipherSpec changes neither the schedule nor any
        // transcript; every handshake message may (a late step can fall
        // before a Finished already checked).
        if handshake {
            c.recompute(&self.keylog);
        }
    }

    /// Add a key-log entry, in hex as the lab's events and key-log files
    /// carry it, and recompute the sessions it belongs to. A malformed
    /// entry is left out: the sessions then say the key log lacks that
    /// secret, which is the truth.
    pub fn secret(&mut self, label: &str, client_random: &str, secret: &str) {
        if self
            .keylog
            .insert_hex(label, client_random, secret)
            .is_err()
        {
            return;
        }
        let Ok(random) = hex::decode(client_random) else {
            return;
        };
        let keys = &self.keylog;
        for c in self.conns.values_mut() {
            if c.client_random.is_some_and(|r| r[..] == random[..]) {
                c.recompute(keys);
            }
        }
    }

    /// Count an encrypted record that crossed on `conn` in `dir`.
    pub fn encrypted_record(&mut self, conn: u64, dir: Direction) {
        self.conns.entry(conn).or_default().encrypted_records[side_index(dir)] += 1;
    }

    /// The key schedule of connection `conn`: `None` while (or if) it has
    /// no ClientHello and ServerHello, an error for a version or suite
    /// the schedule does not know.
    pub fn schedule(&self, conn: u64) -> Option<&Result<Schedule, ScheduleError>> {
        self.conns.get(&conn)?.schedule.as_ref()
    }

    /// What became of the Finished sent in `dir` on `conn`; `None` until
    /// it has been seen (and the hellos with it).
    pub fn finished(&self, conn: u64, dir: Direction) -> Option<&FinishedStatus> {
        self.conns.get(&conn)?.finished[side_index(dir)].as_ref()
    }

    /// Everything known of connection `conn`'s keys.
    pub fn conn(&self, conn: u64) -> Option<&SessionKeys> {
        self.conns.get(&conn)
    }

    /// Every connection with a handshake step, oldest first.
    pub fn conns(&self) -> impl Iterator<Item = (u64, &SessionKeys)> {
        self.conns
            .iter()
            .filter(|(_, c)| !c.steps.is_empty())
            .map(|(n, c)| (*n, c))
    }

    /// The newest connection that carried a handshake step.
    pub fn newest(&self) -> Option<u64> {
        self.conns().last().map(|(n, _)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::steps::Follower;

    /// A step of connection 1 with its order.
    type Ordered = (u64, Step);
    /// A key-log entry in hex: label, client random, secret.
    type Entry = (String, String, String);

    /// A whole rustls handshake in memory: its steps as the lab reports
    /// them (in order), and the client's key log as hex entries.
    fn handshake(version: &'static rustls::SupportedProtocolVersion) -> (Vec<Ordered>, Vec<Entry>) {
        let dir = tempfile::tempdir().unwrap();
        let h = crate::tls::handshake_in_memory(dir.path(), version).unwrap();
        let mut f = Follower::new(true);
        let mut steps = Vec::new();
        for (d, flight) in &h.flights {
            for o in f.feed(*d, flight, Some(&h.keys)) {
                steps.push((o.order, o.step));
            }
        }
        let entries = h
            .keys
            .to_nss_text()
            .lines()
            .map(|l| {
                let w: Vec<&str> = l.split(' ').collect();
                (w[0].to_string(), w[1].to_string(), w[2].to_string())
            })
            .collect();
        (steps, entries)
    }

    fn verified(m: &Sessions, dir: Direction) -> bool {
        matches!(m.finished(1, dir), Some(FinishedStatus::Verified(_)))
    }

    #[test]
    fn secrets_that_come_after_the_steps_complete_the_schedule() {
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let (steps, entries) = handshake(version);
            let mut m = Sessions::default();
            for (order, s) in &steps {
                m.step(1, *order, s);
            }
            // The hellos alone give a schedule with no keys in it, and
            // Finished messages that cannot be checked.
            let Some(Ok(before)) = m.schedule(1) else {
                panic!("{:?}", m.schedule(1))
            };
            match before {
                Schedule::Tls13(s) => assert!(s.secrets.iter().all(|s| s.keys.is_none())),
                Schedule::Tls12(s) => assert!(s.keys.is_none()),
            }
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                assert_eq!(m.finished(1, dir), Some(&FinishedStatus::SecretMissing));
            }
            for (label, random, secret) in &entries {
                m.secret(label, random, secret);
            }
            let Some(Ok(after)) = m.schedule(1) else {
                panic!("{:?}", m.schedule(1))
            };
            match after {
                Schedule::Tls13(s) => assert!(s.secrets.iter().all(|s| s.keys.is_some())),
                Schedule::Tls12(s) => assert!(s.keys.is_some()),
            }
            assert!(verified(&m, Direction::ClientToServer), "{version:?}");
            assert!(verified(&m, Direction::ServerToClient), "{version:?}");
            assert_eq!(m.newest(), Some(1));
        }
    }

    #[test]
    fn the_report_carries_the_schedule_and_verdicts_as_typed_values() {
        let (steps, entries) = handshake(&rustls::version::TLS13);
        let mut m = Sessions::default();
        for (label, random, secret) in &entries {
            m.secret(label, random, secret);
        }
        for (order, s) in &steps {
            m.step(7, *order, s);
        }
        let reports: Vec<SessionReport> = m.conns().map(|(n, c)| c.report(n)).collect();
        assert_eq!(reports.len(), 1);
        let json = serde_json::to_value(&reports[0]).unwrap();
        assert_eq!(json["conn"], 7);
        assert_eq!(json["version"], 0x0304);
        assert_eq!(json["schedule"]["version"], "tls13");
        assert_eq!(json["client_finished"]["status"], "verified");
        assert_eq!(json["server_finished"]["status"], "verified");
        assert_eq!(json["handshake_records"], serde_json::json!([1, 1]));
        let Some(Ok(Schedule::Tls13(s))) = m.schedule(7) else {
            panic!()
        };
        let key = s.secrets[0].keys.as_ref().unwrap().key.value.clone();
        assert_eq!(
            json["schedule"]["secrets"][0]["keys"]["key"]["value"],
            hex::encode(key)
        );
        assert_eq!(
            json["client_random"],
            hex::encode(m.conn(7).unwrap().client_random.unwrap())
        );
    }

    #[test]
    fn secrets_of_another_session_change_nothing() {
        let (steps, entries) = handshake(&rustls::version::TLS13);
        let mut m = Sessions::default();
        for (order, s) in &steps {
            m.step(1, *order, s);
        }
        for (label, _, secret) in &entries {
            // The same secrets, filed under another ClientHello.
            m.secret(label, &"00".repeat(32), secret);
        }
        assert_eq!(m.keylog.len(), entries.len());
        assert_eq!(
            m.finished(1, Direction::ServerToClient),
            Some(&FinishedStatus::SecretMissing)
        );
    }

    #[test]
    fn a_malformed_secret_is_left_out() {
        let mut m = Sessions::default();
        for (random, secret) in [("zz", "00"), (&*"ab".repeat(32), "not hex"), ("", "")] {
            m.secret("CLIENT_RANDOM", random, secret);
        }
        assert!(m.keylog.is_empty());
        assert_eq!(m.newest(), None);
    }

    fn kept(order: u64, kind: StepKind, bytes: &[u8]) -> Kept {
        Kept {
            order,
            arrival: order,
            dir: Direction::ClientToServer,
            kind,
            bytes: bytes.to_vec(),
            sealed: None,
            record_offset: 0,
        }
    }

    #[test]
    fn after_a_hello_retry_request_the_first_client_hello_is_hashed_in() {
        let hs = |msg_type, retry| StepKind::Handshake { msg_type, retry };
        let ch1 = kept(0, hs(1, false), &[1, 0, 0, 2, 0xaa, 0xbb]);
        let hrr = kept(1, hs(2, true), &[2, 0, 0, 1, 0xcc]);
        let ccs = kept(2, StepKind::ChangeCipherSpec, &[1]);
        let ch2 = kept(3, hs(1, false), &[1, 0, 0, 1, 0xdd]);
        let steps = [&ch1, &hrr, &ccs, &ch2];
        // TLS_AES_128_GCM_SHA256: the message_hash carries a SHA-256.
        let t = transcript(&steps, 0x1301);
        let digest = ring::digest::digest(&ring::digest::SHA256, &ch1.bytes);
        let mut synthetic = vec![254, 0, 0, 32];
        synthetic.extend_from_slice(digest.as_ref());
        assert_eq!(t, [synthetic, hrr.bytes.clone(), ch2.bytes.clone()]);
        // Without a retry the ClientHello stays as it was, and the
        // ChangeCipherSpec is left out all the same.
        let t = transcript(&[&ch1, &ccs], 0x1301);
        assert_eq!(t, vec![ch1.bytes]);
    }
}
