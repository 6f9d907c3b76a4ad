//! The "stolen keys" attack: TLS records of a recorded connection opened
//! with the session's key log.
//!
//! rustls (like NSS, OpenSSL and every browser) can write the secrets of
//! each session to a key log (the NSS `SSLKEYLOGFILE` format: one line of
//! label, ClientHello random and secret per secret). Whoever holds those
//! lines and a capture of the connection can read everything, which is the
//! lesson: TLS protects the wire, not a leaked key log. Decryption here is
//! the real thing, with `ring`:
//!
//! - TLS 1.3 (RFC 8446 §7.1, §7.3, §5.2-§5.3): the key and IV of each
//!   direction come from its traffic secret by HKDF-Expand-Label; the nonce
//!   is the IV XOR the record's sequence number, which restarts at 0 with
//!   each new key; the additional data is the record header. Encrypted
//!   handshake records use the handshake traffic secrets; a direction
//!   moves to its application secret (`*_TRAFFIC_SECRET_0`) after the
//!   Finished message that decryption reveals, and to the next generation
//!   after each KeyUpdate. A key log with the application secrets but not
//!   the handshake ones still opens the mail: the first record that opens
//!   under the application keys marks the switch.
//! - TLS 1.2 (RFC 5246 §5, §6.3): the key block comes from the master
//!   secret (`CLIENT_RANDOM` lines) and both hello randoms by the PRF;
//!   each direction is encrypted after its ChangeCipherSpec. AES-GCM
//!   records carry an 8-byte explicit nonce (RFC 5288), ChaCha20-Poly1305
//!   ones use the IV XOR the sequence number (RFC 7905); the additional
//!   data is sequence number, type, version and plaintext length.
//!
//! Records are cut by the eavesdropper's own [`RecordReader`], and on the
//! cleartext port the switch to TLS after STLS is found by the POP3
//! dissector ([`Pop3Dissector`]), so this module holds only what
//! decryption adds. Memory is bounded on any input: one record body and
//! one handshake message per direction, plus what the POP3 dissector holds
//! before STLS; what comes out is at most as large as what went in.
//!
//! Not supported, and reported as such: 0-RTT early data (the lab's client
//! never sends it), TLS 1.2 renegotiation (rustls refuses it), and suites
//! other than the six AEAD suites rustls offers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ring::aead;
use serde::Serialize;

use super::Direction;
use super::dissect::{Dissector, Item, Loot};
use super::pop3::Pop3Dissector;
use super::schedule::{self, Suite};
use super::tls::{
    self, ContentType, HandshakeReader, Record, RecordHeader, RecordReader, TLS12, TLS13,
};

#[cfg(test)]
#[path = "decrypt_tests.rs"]
mod tests;

/// The NSS key-log labels this decryptor uses.
pub mod label {
    /// TLS 1.2: the master secret.
    pub const CLIENT_RANDOM: &str = "CLIENT_RANDOM";
    /// TLS 1.3: the client's handshake traffic secret.
    pub const CLIENT_HANDSHAKE: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    /// TLS 1.3: the server's handshake traffic secret.
    pub const SERVER_HANDSHAKE: &str = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    /// TLS 1.3: the client's first application traffic secret.
    pub const CLIENT_TRAFFIC_0: &str = "CLIENT_TRAFFIC_SECRET_0";
    /// TLS 1.3: the server's first application traffic secret.
    pub const SERVER_TRAFFIC_0: &str = "SERVER_TRAFFIC_SECRET_0";
}

/// The longest secret accepted: SHA-384 secrets are 48 bytes, so 64 leaves
/// room while refusing nonsense.
const MAX_SECRET: usize = 64;
/// The longest label accepted.
const MAX_LABEL: usize = 64;

/// What is wrong with one key-log entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// A line must have exactly three fields.
    #[error("expected three fields (label, client random, secret), found {0}")]
    FieldCount(usize),
    /// The label is not a word of printable ASCII.
    #[error("the label is not a word of at most {MAX_LABEL} printable ASCII characters")]
    BadLabel,
    /// A field that must be hexadecimal is not.
    #[error("the {0} is not hexadecimal")]
    NotHex(&'static str),
    /// The ClientHello random is 32 bytes long, always.
    #[error("the client random has {0} bytes, not 32")]
    ClientRandomLength(usize),
    /// The secret is empty or implausibly long.
    #[error("the secret has {0} bytes; secrets have 1 to {MAX_SECRET}")]
    SecretLength(usize),
}

/// A line of key-log text that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key log line {line}: {problem}")]
pub struct KeyLogError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub problem: EntryError,
}

/// The secrets of a key log, by label and ClientHello random.
///
/// Its `Debug` output shows how many entries it holds, never a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyLog {
    secrets: HashMap<(String, [u8; 32]), Vec<u8>>,
}

impl std::fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLog")
            .field("entries", &self.secrets.len())
            .finish()
    }
}

impl KeyLog {
    /// An empty key log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read NSS key-log text: `LABEL <client random hex> <secret hex>` per
    /// line; blank lines and lines starting with `#` are skipped. Labels
    /// this decryptor does not use are checked and kept too.
    ///
    /// # Errors
    ///
    /// The first line that is not a well-formed entry, with its number.
    pub fn parse(text: &str) -> Result<KeyLog, KeyLogError> {
        let mut log = KeyLog::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            let entry = match fields.as_slice() {
                [label, random, secret] => log.insert_hex(label, random, secret),
                other => Err(EntryError::FieldCount(other.len())),
            };
            entry.map_err(|problem| KeyLogError {
                line: i + 1,
                problem,
            })?;
        }
        Ok(log)
    }

    /// Add one secret, as rustls's `KeyLog::log` hands it over. A later
    /// entry for the same label and random replaces an earlier one.
    ///
    /// # Errors
    ///
    /// A label that is not a printable word, a random that is not 32
    /// bytes, or a secret that is empty or longer than 64 bytes.
    pub fn insert(
        &mut self,
        label: &str,
        client_random: &[u8],
        secret: &[u8],
    ) -> Result<(), EntryError> {
        if label.is_empty()
            || label.len() > MAX_LABEL
            || !label.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(EntryError::BadLabel);
        }
        let random: [u8; 32] = client_random
            .try_into()
            .map_err(|_| EntryError::ClientRandomLength(client_random.len()))?;
        if secret.is_empty() || secret.len() > MAX_SECRET {
            return Err(EntryError::SecretLength(secret.len()));
        }
        self.secrets
            .insert((label.to_string(), random), secret.to_vec());
        Ok(())
    }

    /// Add one secret given in hex, as the lab's `TlsEvent::Secret` carries
    /// it.
    ///
    /// # Errors
    ///
    /// As [`insert`](Self::insert), and fields that are not hexadecimal.
    pub fn insert_hex(
        &mut self,
        label: &str,
        client_random: &str,
        secret: &str,
    ) -> Result<(), EntryError> {
        // Checked before decoding, so a megabyte of "hex" is refused
        // without allocating for it.
        if client_random.len() != 64 {
            return Err(match hex::decode(client_random) {
                Ok(bytes) => EntryError::ClientRandomLength(bytes.len()),
                Err(_) => EntryError::NotHex("client random"),
            });
        }
        if secret.len() > 2 * MAX_SECRET {
            return Err(EntryError::SecretLength(secret.len() / 2));
        }
        let random = hex::decode(client_random).map_err(|_| EntryError::NotHex("client random"))?;
        let secret = hex::decode(secret).map_err(|_| EntryError::NotHex("secret"))?;
        self.insert(label, &random, &secret)
    }

    /// The secret for `label` of the session whose ClientHello random is
    /// `client_random`.
    pub fn get(&self, label: &str, client_random: &[u8; 32]) -> Option<&[u8]> {
        self.secrets
            .get(&(label.to_string(), *client_random))
            .map(Vec::as_slice)
    }

    /// Add every secret of `other`; its entries replace this log's for
    /// the same label and random.
    pub fn merge(&mut self, other: KeyLog) {
        self.secrets.extend(other.secrets);
    }

    /// How many secrets it holds.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// True if it holds none.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The key log as NSS text, sorted, for Wireshark's "(Pre)-Master-Secret
    /// log filename" setting.
    pub fn to_nss_text(&self) -> String {
        let mut lines: Vec<String> = self
            .secrets
            .iter()
            .map(|((label, random), secret)| {
                format!("{label} {} {}\n", hex::encode(random), hex::encode(secret))
            })
            .collect();
        lines.sort();
        lines.concat()
    }
}

/// A rustls key-log hook that collects what it is given into a [`KeyLog`]:
/// set it as `key_log` of a rustls config, then take a
/// [`snapshot`](Self::snapshot).
#[derive(Clone, Default)]
pub struct KeyLogRecorder(Arc<Mutex<KeyLog>>);

impl std::fmt::Debug for KeyLogRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("KeyLogRecorder").finish()
    }
}

impl KeyLogRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of what was collected so far.
    pub fn snapshot(&self) -> KeyLog {
        crate::sync::lock(&self.0).clone()
    }
}

impl rustls::KeyLog for KeyLogRecorder {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        // rustls always passes a 32-byte random and a real secret; were it
        // not to, losing one entry is the right outcome for a recorder.
        let _ = crate::sync::lock(&self.0).insert(label, client_random, secret);
    }
}

/// Which keys a record was (or would have been) opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "keys", rename_all = "snake_case")]
pub enum Epoch {
    /// TLS 1.3 handshake traffic keys.
    Handshake,
    /// TLS 1.3 application traffic keys; `generation` counts the
    /// KeyUpdates before them (0: `*_TRAFFIC_SECRET_0`).
    Application {
        /// KeyUpdates so far in this direction.
        generation: u32,
    },
    /// The TLS 1.2 key block, used from ChangeCipherSpec on (the first
    /// record under it is Finished).
    Tls12,
}

/// Why a record could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// Without the ClientHello's random, the key log cannot be searched.
    #[error("no ClientHello was seen, so there is no client random to look up in the key log")]
    NoClientHello,
    /// Without the ServerHello, the version and suite are unknown.
    #[error(
        "no ServerHello was seen before this record, so the version and cipher suite are unknown"
    )]
    NoServerHello,
    /// TLS 1.2 application data before the sender's ChangeCipherSpec.
    #[error("an application_data record before this side's ChangeCipherSpec")]
    BeforeChangeCipherSpec,
    /// The key log lacks the secret these keys come from.
    #[error("no key: the key log has no {label} for client random {client_random}")]
    NoKey {
        /// The missing label.
        label: &'static str,
        /// The session's ClientHello random, in hex.
        client_random: String,
    },
    /// The negotiated suite is not one this decryptor knows.
    #[error("cipher suite {suite:#06x} ({}) is not supported by this decryptor", tls::suite_name(*.suite))]
    UnsupportedSuite {
        /// The suite's number.
        suite: u16,
    },
    /// The negotiated version is neither TLS 1.2 nor TLS 1.3.
    #[error("protocol version {version:#06x} ({}) is not supported by this decryptor", tls::version_name(*.version))]
    UnsupportedVersion {
        /// The version's number.
        version: u16,
    },
    /// The body cannot even hold the explicit nonce and the tag.
    #[error("a {len}-byte record body is too short to hold a nonce and an authentication tag")]
    TooShort {
        /// Body length.
        len: usize,
    },
    /// The AEAD tag did not verify.
    #[error(
        "tag mismatch: the record does not open with this key (wrong secret, or altered bytes)"
    )]
    TagMismatch,
    /// A TLS 1.3 plaintext of zero padding only (RFC 8446 §5.4).
    #[error("the record decrypts to padding only, with no content type")]
    NoContentType,
    /// The byte stream stopped being TLS records; nothing after it in this
    /// direction is read.
    #[error("{reason}")]
    Framing {
        /// The record reader's words.
        reason: String,
    },
}

/// A record that was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenedRecord {
    /// Which way it went.
    pub dir: Direction,
    /// Stream offset (in its direction) of its header.
    pub offset: u64,
    /// The keys that opened it.
    pub epoch: Epoch,
    /// Its sequence number under those keys.
    pub seq: u64,
    /// The real content type: the inner one in TLS 1.3.
    pub content_type: ContentType,
    /// The plaintext (TLS 1.3 padding and content type removed).
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub plaintext: Vec<u8>,
    /// Its header as it crossed (the outer type, and the length of the
    /// ciphertext and tag): all an eavesdropper without the keys reads.
    pub header: tls::RecordHeader,
}

/// A record that crossed in cleartext (a hello, a TLS 1.2 certificate, a
/// ChangeCipherSpec), reported only by a decryptor asked to
/// ([`Decryptor::report_cleartext`]): the endpoints' view of a handshake
/// needs these beside the records it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClearRecord {
    /// Which way it went.
    pub dir: Direction,
    /// Stream offset (in its direction) of its header.
    pub offset: u64,
    /// Its content type.
    pub content_type: ContentType,
    /// Its header.
    pub header: tls::RecordHeader,
    /// Its body, as it crossed.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub body: Vec<u8>,
}

/// An encrypted record that could not be opened, or the point where a
/// direction stopped being readable as records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedRecord {
    /// Which way it went.
    pub dir: Direction,
    /// Stream offset of its header.
    pub offset: u64,
    /// The keys it needed, if that far was known.
    pub epoch: Option<Epoch>,
    /// Its sequence number under them, if known.
    pub seq: Option<u64>,
    /// Why it stays closed.
    pub reason: Failure,
}

/// What happened to one encrypted record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// It was opened.
    Opened(OpenedRecord),
    /// It was not.
    Failed(FailedRecord),
    /// It crossed in cleartext (only with [`Decryptor::report_cleartext`]).
    Clear(ClearRecord),
}

/// One direction's record protection.
struct RecordKey {
    key: aead::LessSafeKey,
    /// TLS 1.3 and ChaCha20: the IV XORed with the sequence number. TLS 1.2
    /// GCM: the 4-byte salt in front of the explicit nonce.
    iv: [u8; aead::NONCE_LEN],
    suite: Suite,
    tls13: bool,
}

impl RecordKey {
    fn new(suite: Suite, tls13: bool, key: &[u8], iv: &[u8]) -> Option<RecordKey> {
        let key = aead::LessSafeKey::new(aead::UnboundKey::new(suite.aead, key).ok()?);
        let mut fixed = [0; aead::NONCE_LEN];
        fixed.get_mut(..iv.len())?.copy_from_slice(iv);
        Some(RecordKey {
            key,
            iv: fixed,
            suite,
            tls13,
        })
    }

    /// Keys from a TLS 1.3 traffic secret (RFC 8446 §7.3).
    fn tls13(suite: Suite, secret: &[u8]) -> Option<RecordKey> {
        let keys = schedule::traffic_keys(suite, secret);
        RecordKey::new(suite, true, &keys.key.value, &keys.iv.value)
    }

    fn xor_nonce(&self, seq: u64) -> aead::Nonce {
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        aead::Nonce::assume_unique_for_key(nonce)
    }

    /// Open one record body; returns the real content type and plaintext.
    fn open(
        &self,
        header: &RecordHeader,
        seq: u64,
        mut body: Vec<u8>,
    ) -> Result<(ContentType, Vec<u8>), Failure> {
        let tag = self.suite.aead.tag_len();
        let explicit = if self.suite.explicit_nonce { 8 } else { 0 };
        if body.len() < explicit + tag {
            return Err(Failure::TooShort { len: body.len() });
        }
        if self.tls13 {
            // The additional data is the record header as sent (§5.2).
            let mut aad = [0; tls::RECORD_HEADER_LEN];
            aad[0] = header.content_type.byte();
            aad[1..3].copy_from_slice(&header.version.to_be_bytes());
            aad[3..5].copy_from_slice(&header.length.to_be_bytes());
            let n = self
                .key
                .open_in_place(self.xor_nonce(seq), aead::Aad::from(aad), &mut body)
                .map_err(|_| Failure::TagMismatch)?
                .len();
            body.truncate(n);
            // TLSInnerPlaintext: content, the real type, then zeros (§5.4).
            let end = body
                .iter()
                .rposition(|&b| b != 0)
                .ok_or(Failure::NoContentType)?;
            let content_type = ContentType::from_byte(body[end]);
            body.truncate(end);
            return Ok((content_type, body));
        }
        let nonce = if self.suite.explicit_nonce {
            let mut nonce = self.iv;
            nonce[4..].copy_from_slice(&body[..8]);
            aead::Nonce::assume_unique_for_key(nonce)
        } else {
            self.xor_nonce(seq)
        };
        let plain_len = (body.len() - explicit - tag) as u16;
        let mut aad = [0; 13];
        aad[..8].copy_from_slice(&seq.to_be_bytes());
        aad[8] = header.content_type.byte();
        aad[9..11].copy_from_slice(&header.version.to_be_bytes());
        aad[11..13].copy_from_slice(&plain_len.to_be_bytes());
        let n = self
            .key
            .open_within(nonce, aead::Aad::from(aad), &mut body, explicit..)
            .map_err(|_| Failure::TagMismatch)?
            .len();
        body.truncate(n);
        Ok((header.content_type, body))
    }
}

/// How one direction is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// POP3 lines before STLS.
    Pop3,
    /// TLS records.
    Tls,
    /// Given up on.
    Dead,
}

/// One direction's state.
struct Half {
    stage: Stage,
    records: RecordReader,
    /// Cleartext handshake messages (the hellos).
    clear: HandshakeReader,
    /// Decrypted handshake messages (TLS 1.3: Finished, KeyUpdate).
    inner: HandshakeReader,
    /// TLS 1.2: this side sent its ChangeCipherSpec.
    ccs_seen: bool,
    epoch: Epoch,
    seq: u64,
    /// The keys of the current epoch, derived at its first record.
    key: Option<Result<RecordKey, Failure>>,
    /// TLS 1.3: the current application traffic secret, for KeyUpdate.
    secret: Option<Vec<u8>>,
}

impl Half {
    fn new(stage: Stage, offset: u64) -> Half {
        let mut records = RecordReader::starting_at(offset);
        records.set_keep_all(true);
        Half {
            stage,
            records,
            clear: HandshakeReader::new(),
            inner: HandshakeReader::new(),
            ccs_seen: false,
            epoch: Epoch::Handshake,
            seq: 0,
            key: None,
            secret: None,
        }
    }

    fn new_epoch(&mut self, epoch: Epoch) {
        self.epoch = epoch;
        self.seq = 0;
        self.key = None;
        self.inner.clear();
    }
}

/// What both directions share: what the hellos said.
#[derive(Debug, Default, Clone)]
struct Session {
    client_random: Option<[u8; 32]>,
    server_random: Option<[u8; 32]>,
    version: Option<u16>,
    suite: Option<u16>,
    change_cipher_spec: u64,
    cleartext_records: u64,
}

/// Decrypts one recorded connection as its chunks are fed in wire order.
pub struct Decryptor {
    keys: KeyLog,
    pop3: Option<Box<Pop3Dissector>>,
    client: Half,
    server: Half,
    session: Session,
    implicit_tls: bool,
    tls_started: bool,
    timestamp: Option<String>,
    report_cleartext: bool,
}

impl std::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decryptor")
            .field("keys", &self.keys)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Decryptor {
    /// A decryptor holding the stolen key log. With `implicit_tls` (POP3S)
    /// records start at byte 0; otherwise the connection starts as POP3
    /// and turns to TLS where the server accepts STLS.
    pub fn new(keys: KeyLog, implicit_tls: bool) -> Decryptor {
        let stage = if implicit_tls {
            Stage::Tls
        } else {
            Stage::Pop3
        };
        Decryptor {
            keys,
            pop3: (!implicit_tls).then(|| Box::new(Pop3Dissector::new())),
            client: Half::new(stage, 0),
            server: Half::new(stage, 0),
            session: Session::default(),
            implicit_tls,
            tls_started: implicit_tls,
            timestamp: None,
            report_cleartext: false,
        }
    }

    /// Report cleartext records too, as [`Outcome::Clear`]: for a view of
    /// the whole handshake rather than of what needed opening.
    pub fn report_cleartext(&mut self) {
        self.report_cleartext = true;
    }

    /// True once the connection reached TLS (at once for POP3S; after the
    /// server accepted STLS otherwise).
    pub fn tls_started(&self) -> bool {
        self.tls_started
    }

    /// Feed the next chunk that crossed in direction `dir`; get what
    /// became of each encrypted record it completed. Chunks must come in
    /// wire order; how the bytes are cut does not change the outcome.
    pub fn feed(&mut self, dir: Direction, bytes: &[u8]) -> Vec<Outcome> {
        let mut out = Vec::new();
        match dir {
            Direction::ClientToServer => match self.client.stage {
                Stage::Pop3 => {
                    if let Some(pop3) = self.pop3.as_mut() {
                        pop3.feed_client(bytes, &mut Vec::new());
                    }
                }
                Stage::Tls => self.tls_feed(dir, bytes, &mut out),
                Stage::Dead => {}
            },
            Direction::ServerToClient => match self.server.stage {
                Stage::Pop3 => {
                    let Some(pop3) = self.pop3.as_mut() else {
                        return out;
                    };
                    let Some(switch) = pop3.feed_server(bytes, &mut Vec::new()) else {
                        return out;
                    };
                    // The POP3 dissector decides where TLS begins; after
                    // that it is no longer needed.
                    self.timestamp = pop3.timestamp().map(str::to_string);
                    self.pop3 = None;
                    self.tls_started = true;
                    self.server = Half::new(Stage::Tls, switch.server_offset);
                    if switch.client_lost {
                        self.client.stage = Stage::Dead;
                    } else {
                        self.client = Half::new(Stage::Tls, switch.client_offset);
                        // The client's first TLS bytes crossed before this
                        // +OK was read; they are read first.
                        self.tls_feed(Direction::ClientToServer, &switch.client_bytes, &mut out);
                    }
                    self.tls_feed(dir, &bytes[switch.server_consumed..], &mut out);
                }
                Stage::Tls => self.tls_feed(dir, bytes, &mut out),
                Stage::Dead => {}
            },
        }
        out
    }

    /// The negotiated version, once the ServerHello was seen.
    pub fn version(&self) -> Option<u16> {
        self.session.version
    }

    /// The negotiated cipher suite, once the ServerHello was seen.
    pub fn suite(&self) -> Option<u16> {
        self.session.suite
    }

    /// The ClientHello random, which names the session in the key log.
    pub fn client_random(&self) -> Option<[u8; 32]> {
        self.session.client_random
    }

    /// Bytes held in internal buffers, to check that memory stays bounded:
    /// per direction one record body and the handshake messages being
    /// reassembled, plus the POP3 dissector's buffers before STLS.
    pub fn buffered(&self) -> usize {
        let half = |h: &Half| h.records.buffered() + h.clear.buffered() + h.inner.buffered();
        half(&self.client) + half(&self.server) + self.pop3.as_ref().map_or(0, |p| p.buffered())
    }

    fn half(&mut self, dir: Direction) -> &mut Half {
        match dir {
            Direction::ClientToServer => &mut self.client,
            Direction::ServerToClient => &mut self.server,
        }
    }

    fn tls_feed(&mut self, dir: Direction, bytes: &[u8], out: &mut Vec<Outcome>) {
        let mut input = bytes;
        loop {
            match self.half(dir).records.read(&mut input) {
                None => break,
                Some(Err(e)) => {
                    out.push(Outcome::Failed(FailedRecord {
                        dir,
                        offset: e.offset(),
                        epoch: None,
                        seq: None,
                        reason: Failure::Framing {
                            reason: e.to_string(),
                        },
                    }));
                    self.half(dir).stage = Stage::Dead;
                    break;
                }
                Some(Ok(record)) => self.record(dir, record, out),
            }
        }
    }

    fn record(&mut self, dir: Direction, record: Record, out: &mut Vec<Outcome>) {
        let Decryptor {
            keys,
            client,
            server,
            session,
            report_cleartext,
            ..
        } = self;
        let half = match dir {
            Direction::ClientToServer => client,
            Direction::ServerToClient => server,
        };
        let content_type = record.header.content_type;
        let tls13 = session.version == Some(TLS13);
        // TLS 1.3 marks every encrypted record as application_data and
        // sends change_cipher_spec only for middleboxes (RFC 8446 §5, D.4);
        // TLS 1.2 encrypts everything after the sender's ChangeCipherSpec.
        let encrypted = if tls13 {
            content_type == ContentType::ApplicationData
        } else {
            half.ccs_seen
        };
        if !encrypted {
            if *report_cleartext && content_type != ContentType::ApplicationData {
                out.push(Outcome::Clear(ClearRecord {
                    dir,
                    offset: record.offset,
                    content_type,
                    header: record.header.clone(),
                    body: record.body.clone(),
                }));
            }
            match content_type {
                ContentType::ChangeCipherSpec => {
                    session.change_cipher_spec += 1;
                    if !tls13 {
                        half.ccs_seen = true;
                        half.new_epoch(Epoch::Tls12);
                    }
                }
                ContentType::ApplicationData => {
                    let reason = if session.version.is_none() {
                        Failure::NoServerHello
                    } else {
                        Failure::BeforeChangeCipherSpec
                    };
                    out.push(Outcome::Failed(FailedRecord {
                        dir,
                        offset: record.offset,
                        epoch: None,
                        seq: None,
                        reason,
                    }));
                }
                ContentType::Handshake => {
                    session.cleartext_records += 1;
                    half.clear
                        .push(&record.body, record.offset + tls::RECORD_HEADER_LEN as u64);
                    hellos(half, session, dir);
                }
                _ => session.cleartext_records += 1,
            }
            return;
        }
        if half.key.is_none() {
            half.key = Some(derive(keys, session, dir, half));
        }
        if tls13
            && half.epoch == Epoch::Handshake
            && matches!(half.key, Some(Err(Failure::NoKey { .. })))
        {
            skip_unreadable_handshake(keys, session, dir, half, &record);
        }
        let seq = half.seq;
        half.seq = half.seq.wrapping_add(1);
        let epoch = half.epoch;
        let header = record.header.clone();
        let opened = match &half.key {
            Some(Ok(key)) => key.open(&record.header, seq, record.body),
            Some(Err(failure)) => Err(failure.clone()),
            None => Err(Failure::NoServerHello),
        };
        match opened {
            Err(reason) => out.push(Outcome::Failed(FailedRecord {
                dir,
                offset: record.offset,
                epoch: Some(epoch),
                seq: Some(seq),
                reason,
            })),
            Ok((content_type, plaintext)) => {
                if tls13 && content_type == ContentType::Handshake {
                    half.inner.push(&plaintext, record.offset);
                    key_schedule(half, session);
                }
                out.push(Outcome::Opened(OpenedRecord {
                    dir,
                    offset: record.offset,
                    epoch,
                    seq,
                    content_type,
                    plaintext,
                    header,
                }));
            }
        }
    }
}

/// A TLS 1.3 key log may hold the application secrets without the
/// handshake ones (a leak of only what protects the mail). Then the
/// Finished that marks the switch can never be read, so each record of the
/// handshake epoch is tried with the first application keys at sequence 0:
/// the first one that opens is where the switch happened, and `half` moves
/// there. Otherwise `half` is left as it was.
fn skip_unreadable_handshake(
    keys: &KeyLog,
    session: &Session,
    dir: Direction,
    half: &mut Half,
    record: &Record,
) {
    let application = Epoch::Application { generation: 0 };
    let saved = (half.epoch, half.secret.take());
    half.epoch = application;
    let probe = derive(keys, session, dir, half);
    if let Ok(key) = probe
        && key.open(&record.header, 0, record.body.clone()).is_ok()
    {
        let secret = half.secret.take();
        half.new_epoch(application);
        half.key = Some(Ok(key));
        half.secret = secret;
        return;
    }
    (half.epoch, half.secret) = saved;
}

/// Take the randoms, version and suite from cleartext hellos.
fn hellos(half: &mut Half, session: &mut Session, dir: Direction) {
    while let Some(Ok(raw)) = half.clear.next_message() {
        match (dir, raw.msg_type) {
            (Direction::ClientToServer, 1) => session.client_random = tls::hello_random(&raw.body),
            (Direction::ServerToClient, 2) => {
                if let Ok(tls::Handshake::ServerHello {
                    version,
                    cipher_suite,
                    hello_retry_request,
                    ..
                }) = tls::decode_handshake(raw.msg_type, &raw.body, None)
                {
                    session.version = Some(version);
                    session.suite = Some(cipher_suite);
                    // A HelloRetryRequest's random is a fixed value; the
                    // real one comes with the ServerHello that follows.
                    if !hello_retry_request {
                        session.server_random = tls::hello_random(&raw.body);
                    }
                }
            }
            _ => {}
        }
    }
}

/// React to decrypted TLS 1.3 handshake messages: after Finished the
/// sender's application keys apply, after KeyUpdate its next generation.
fn key_schedule(half: &mut Half, session: &Session) {
    while let Some(Ok(raw)) = half.inner.next_message() {
        match (raw.msg_type, half.epoch) {
            (20, Epoch::Handshake) => {
                half.new_epoch(Epoch::Application { generation: 0 });
                return;
            }
            (24, Epoch::Application { generation }) => {
                let suite = session.suite.and_then(Suite::of);
                let next = half
                    .secret
                    .take()
                    .zip(suite)
                    .map(|(secret, suite)| schedule::next_traffic_secret(suite, &secret));
                half.new_epoch(Epoch::Application {
                    generation: generation.saturating_add(1),
                });
                // Without the previous secret the derivation at the next
                // record fails with the missing label, as it should.
                half.secret = next;
                return;
            }
            _ => {}
        }
    }
}

/// The keys of `half`'s current epoch.
fn derive(
    keys: &KeyLog,
    session: &Session,
    dir: Direction,
    half: &mut Half,
) -> Result<RecordKey, Failure> {
    let version = session.version.ok_or(Failure::NoServerHello)?;
    let suite_id = session.suite.ok_or(Failure::NoServerHello)?;
    let random = session.client_random.ok_or(Failure::NoClientHello)?;
    let suite = Suite::of(suite_id).ok_or(Failure::UnsupportedSuite { suite: suite_id })?;
    let client = dir == Direction::ClientToServer;
    let lookup = |label: &'static str| {
        keys.get(label, &random).ok_or_else(|| Failure::NoKey {
            label,
            client_random: hex::encode(random),
        })
    };
    // ring refuses a key only when its length does not fit the algorithm;
    // the lengths come from the suite table, so this would mean an entry
    // of that table is wrong, which is the suite not being supported.
    let broken = || Failure::UnsupportedSuite { suite: suite_id };
    match (version, half.epoch) {
        (TLS13, Epoch::Handshake) => {
            let label = if client {
                label::CLIENT_HANDSHAKE
            } else {
                label::SERVER_HANDSHAKE
            };
            RecordKey::tls13(suite, lookup(label)?).ok_or_else(broken)
        }
        (TLS13, Epoch::Application { generation }) => {
            let traffic_0 = if client {
                label::CLIENT_TRAFFIC_0
            } else {
                label::SERVER_TRAFFIC_0
            };
            let secret = match (&half.secret, generation) {
                (Some(secret), _) => secret.clone(),
                (None, 0) => lookup(traffic_0)?.to_vec(),
                // A later generation comes only from its predecessor, and
                // that was never known: the first secret was missing.
                (None, _) => {
                    return Err(Failure::NoKey {
                        label: traffic_0,
                        client_random: hex::encode(random),
                    });
                }
            };
            let key = RecordKey::tls13(suite, &secret).ok_or_else(broken);
            half.secret = Some(secret);
            key
        }
        (TLS12, _) => {
            let master = lookup(label::CLIENT_RANDOM)?;
            let server_random = session.server_random.ok_or(Failure::NoServerHello)?;
            let block = schedule::key_block(suite, master, &random, &server_random);
            let (key, iv) = if client {
                (&block.client_write_key, &block.client_write_iv)
            } else {
                (&block.server_write_key, &block.server_write_iv)
            };
            RecordKey::new(suite, false, &key.value, &iv.value).ok_or_else(broken)
        }
        (other, _) => Err(Failure::UnsupportedVersion { version: other }),
    }
}

/// Everything [`decrypt_capture`] found in one connection.
#[derive(Debug, Clone, Serialize)]
pub struct Decryption {
    /// Records opened, in wire order.
    pub opened: Vec<OpenedRecord>,
    /// Records that stayed closed, and why, in wire order.
    pub failed: Vec<FailedRecord>,
    /// True if the connection reached TLS at all (POP3S, or an accepted STLS).
    pub tls_started: bool,
    /// True for POP3S: the POP3 session inside TLS starts with the greeting.
    pub implicit_tls: bool,
    /// The negotiated version.
    pub version: Option<u16>,
    /// The negotiated cipher suite.
    pub suite: Option<u16>,
    /// The ClientHello random, in hex: which key-log lines belong here.
    pub client_random: Option<String>,
    /// change_cipher_spec records seen (in TLS 1.3 mere compatibility
    /// records, ignored).
    pub change_cipher_spec: u64,
    /// Other cleartext records (hellos, TLS 1.2 certificates, alerts).
    pub cleartext_records: u64,
    /// The greeting's APOP timestamp when it came in cleartext before STLS.
    pub timestamp: Option<String>,
}

impl Decryption {
    /// The decrypted application data of one direction, concatenated: for
    /// the client, exactly the bytes it wrote into TLS.
    pub fn application_data(&self, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        for r in self.app_records().filter(|r| r.dir == dir) {
            out.extend_from_slice(&r.plaintext);
        }
        out
    }

    /// The POP3 session inside TLS, read by the eavesdropper's dissector
    /// as if it had crossed in cleartext: its items (offsets are positions
    /// in the decrypted streams) and its loot, so a caller can say
    /// "PASS wonderland, visible inside TLS".
    pub fn pop3(&self) -> (Vec<Item>, Loot) {
        let mut dissector = if self.implicit_tls {
            Dissector::new()
        } else {
            Dissector::after_stls(self.timestamp.clone())
        };
        let mut items = Vec::new();
        for r in self.app_records() {
            items.extend(dissector.feed(r.dir, &r.plaintext));
        }
        (items, dissector.loot().clone())
    }

    fn app_records(&self) -> impl Iterator<Item = &OpenedRecord> {
        self.opened
            .iter()
            .filter(|r| r.content_type == ContentType::ApplicationData)
    }
}

/// Decrypt a whole recorded connection: `chunks` in wire order as the tap
/// reported them, `implicit_tls` for POP3S (TLS from byte 0) rather than
/// STLS (TLS after the server's +OK).
pub fn decrypt_capture(
    keys: &KeyLog,
    chunks: &[(Direction, &[u8])],
    implicit_tls: bool,
) -> Decryption {
    let mut d = Decryptor::new(keys.clone(), implicit_tls);
    let mut opened = Vec::new();
    let mut failed = Vec::new();
    for (dir, bytes) in chunks {
        for outcome in d.feed(*dir, bytes) {
            match outcome {
                Outcome::Opened(r) => opened.push(r),
                Outcome::Failed(r) => failed.push(r),
                Outcome::Clear(_) => {}
            }
        }
    }
    Decryption {
        opened,
        failed,
        tls_started: d.tls_started,
        implicit_tls: d.implicit_tls,
        version: d.session.version,
        suite: d.session.suite,
        client_random: d.session.client_random.map(hex::encode),
        change_cipher_spec: d.session.change_cipher_spec,
        cleartext_records: d.session.cleartext_records,
        timestamp: d.timestamp,
    }
}
