//! The TLS key schedule as values a screen can show: from the secrets of a
//! key log to the record keys and IVs, with the real bytes and the labels
//! and lengths that produced them, and the Finished checks that prove the
//! decrypted handshake is the one both ends saw.
//!
//! This is the one place that turns a secret into a traffic key: the
//! decryptor ([`super::decrypt`]) calls [`traffic_keys`], [`key_block`] and
//! [`next_traffic_secret`] rather than deriving on its own, so what the
//! screen prints is what opened the records.
//!
//! - TLS 1.3 (RFC 8446 §7.1, §7.3, §4.4.4): each traffic secret in the key
//!   log gives `key = HKDF-Expand-Label(secret, "key", "", key_len)` and
//!   `iv = HKDF-Expand-Label(secret, "iv", "", 12)`; the handshake secrets
//!   also give the Finished key. The ECDHE shared secret and the
//!   handshake and master secrets it feeds never reach the key log: only
//!   the traffic secrets derived from them do.
//! - TLS 1.2 (RFC 5246 §6.3, §7.4.9): the master secret (`CLIENT_RANDOM`
//!   lines) gives `key_block = PRF(master, "key expansion",
//!   server_random ++ client_random)`, cut into the write keys and write
//!   IVs; AEAD suites have no MAC keys. The premaster secret is not in the key log either.
//!
//! Every function here accepts any bytes without panicking: an unknown
//! suite is a typed error, a missing secret is `None`, and a short or odd
//! secret simply gives other keys (which then open nothing).

use ring::{aead, digest, hkdf, hmac};
use serde::Serialize;

use super::Direction;
use super::decrypt::{Epoch, KeyLog, label};
use super::tls::{self, TLS12, TLS13};

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;

/// The label of the TLS 1.2 key expansion (RFC 5246 §6.3).
pub const KEY_EXPANSION: &str = "key expansion";
/// The HKDF-Expand-Label label of a TLS 1.3 record key.
pub const KEY: &str = "key";
/// The HKDF-Expand-Label label of a TLS 1.3 record IV.
pub const IV: &str = "iv";
/// The HKDF-Expand-Label label of a TLS 1.3 Finished key.
pub const FINISHED: &str = "finished";
/// The HKDF-Expand-Label label of a TLS 1.3 KeyUpdate.
pub const TRAFFIC_UPDATE: &str = "traffic upd";
/// TLS 1.3 IVs and nonces are 12 bytes (RFC 8446 §5.3).
pub const IV_LEN: usize = aead::NONCE_LEN;
/// A TLS 1.2 Finished carries 12 bytes of verify_data (RFC 5246 §7.4.9).
pub const VERIFY_DATA_LEN_12: usize = 12;

/// The hash of a suite: its HKDF (TLS 1.3), PRF (TLS 1.2) and transcript
/// hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl Hash {
    fn hkdf(self) -> hkdf::Algorithm {
        match self {
            Hash::Sha256 => hkdf::HKDF_SHA256,
            Hash::Sha384 => hkdf::HKDF_SHA384,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    fn digest(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
        }
    }

    /// Output length in bytes: 32 or 48.
    pub fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }

    /// Never true; present because a `len` wants one.
    pub fn is_empty(self) -> bool {
        false
    }
}

/// What the key schedule and record protection need to know of a cipher
/// suite: one of the six AEAD suites rustls offers (three per version).
#[derive(Debug, Clone, Copy)]
pub struct Suite {
    id: u16,
    pub(crate) aead: &'static aead::Algorithm,
    pub(crate) hash: Hash,
    /// TLS 1.2 GCM: 8 explicit nonce bytes lead each record body, and only
    /// 4 IV bytes come from the key block.
    pub(crate) explicit_nonce: bool,
    tls13: bool,
}

impl Suite {
    /// The suite numbered `id`; `None` for any other than rustls's six
    /// (nine numbers: the TLS 1.2 ones come in ECDSA and RSA forms).
    pub fn of(id: u16) -> Option<Suite> {
        use rustls::CipherSuite as C;
        let (aead, hash, explicit_nonce, tls13) = match rustls::CipherSuite::from(id) {
            C::TLS13_AES_128_GCM_SHA256 => (&aead::AES_128_GCM, Hash::Sha256, false, true),
            C::TLS13_AES_256_GCM_SHA384 => (&aead::AES_256_GCM, Hash::Sha384, false, true),
            C::TLS13_CHACHA20_POLY1305_SHA256 => {
                (&aead::CHACHA20_POLY1305, Hash::Sha256, false, true)
            }
            C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            | C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
                (&aead::AES_128_GCM, Hash::Sha256, true, false)
            }
            C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            | C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
                (&aead::AES_256_GCM, Hash::Sha384, true, false)
            }
            C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            | C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
                (&aead::CHACHA20_POLY1305, Hash::Sha256, false, false)
            }
            _ => return None,
        };
        Some(Suite {
            id,
            aead,
            hash,
            explicit_nonce,
            tls13,
        })
    }

    /// The suite's number.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The suite's hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// Bytes of record key: 16 (AES-128) or 32 (AES-256, ChaCha20).
    pub fn key_len(&self) -> usize {
        self.aead.key_len()
    }

    /// True for a TLS 1.3 suite, false for a TLS 1.2 one.
    pub fn is_tls13(&self) -> bool {
        self.tls13
    }

    /// Bytes of IV taken from the TLS 1.2 key block per direction: 4 for
    /// AES-GCM (the rest of the nonce travels in each record), 12 for
    /// ChaCha20-Poly1305.
    pub fn fixed_iv_len(&self) -> usize {
        if self.explicit_nonce { 4 } else { IV_LEN }
    }
}

/// Why no schedule can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScheduleError {
    /// The suite is not one of those this module knows.
    #[error("cipher suite {suite:#06x} ({}) is not supported", tls::suite_name(*.suite))]
    UnsupportedSuite {
        /// The suite's number.
        suite: u16,
    },
    /// The version is neither TLS 1.2 nor TLS 1.3.
    #[error("protocol version {version:#06x} ({}) is not supported", tls::version_name(*.version))]
    UnsupportedVersion {
        /// The version's number.
        version: u16,
    },
    /// A known suite of the other version (a TLS 1.2 suite in TLS 1.3, or
    /// the reverse), which no real handshake negotiates.
    #[error("cipher suite {suite:#06x} ({}) does not belong to {}", tls::suite_name(*.suite), tls::version_name(*.version))]
    SuiteNotForVersion {
        /// The suite's number.
        suite: u16,
        /// The version's number.
        version: u16,
    },
}

/// One HKDF-Expand-Label output with its inputs other than the secret:
/// `HKDF-Expand-Label(secret, label, "", len) = value`. The context is
/// always empty for these derivations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expansion {
    /// The label as written in RFC 8446, without its "tls13 " prefix:
    /// [`KEY`], [`IV`], [`FINISHED`] or [`TRAFFIC_UPDATE`].
    pub label: &'static str,
    /// The output length in bytes.
    pub len: usize,
    /// The output.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub value: Vec<u8>,
}

impl Expansion {
    fn new(hash: Hash, secret: &[u8], label: &'static str, len: usize) -> Expansion {
        Expansion {
            label,
            len,
            value: expand_label(hash, secret, label.as_bytes(), len),
        }
    }
}

/// What one TLS 1.3 traffic secret gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrafficKeys {
    /// The secret itself, as the key log holds it.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub secret: Vec<u8>,
    /// The record key.
    pub key: Expansion,
    /// The record IV; each record's nonce is it XOR the sequence number.
    pub iv: Expansion,
    /// The Finished key, for the handshake secrets only.
    pub finished_key: Option<Expansion>,
}

/// One of the four TLS 1.3 traffic secrets of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrafficSecret {
    /// Its key-log label, e.g. `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub label: &'static str,
    /// The direction its keys protect.
    pub dir: Direction,
    /// The keys it gives, as the decryptor names them: match with
    /// [`super::decrypt::OpenedRecord`]'s `dir` and `epoch` to list the
    /// records these keys opened.
    pub epoch: Epoch,
    /// What it gives; `None` when the key log does not hold it.
    pub keys: Option<TrafficKeys>,
}

/// The TLS 1.3 schedule of one session as far as its key log reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule13 {
    /// The negotiated suite's number.
    pub suite: u16,
    /// Its hash.
    pub hash: Hash,
    /// Record key length of the suite.
    pub key_len: usize,
    /// Client handshake, server handshake, client application and server
    /// application secrets, in that order (the order the key log is
    /// written in).
    pub secrets: Vec<TrafficSecret>,
}

impl Schedule13 {
    /// The entry for a key-log label, e.g. [`label::SERVER_HANDSHAKE`].
    pub fn secret(&self, label: &str) -> Option<&TrafficSecret> {
        self.secrets.iter().find(|s| s.label == label)
    }
}

/// One named slice of the TLS 1.2 key block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyBlockPart {
    /// RFC 5246's name: `client_write_key`, `server_write_key`,
    /// `client_write_IV` or `server_write_IV`.
    pub name: &'static str,
    /// Where it starts in the key block.
    pub at: usize,
    /// Its length.
    pub len: usize,
    /// Its bytes.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub value: Vec<u8>,
}

/// The TLS 1.2 key block and its split (AEAD suites: no MAC keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyBlock {
    /// The PRF label, [`KEY_EXPANSION`].
    pub label: &'static str,
    /// The PRF seed: server random, then client random.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub seed: Vec<u8>,
    /// The whole key block.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub block: Vec<u8>,
    /// The client's record key.
    pub client_write_key: KeyBlockPart,
    /// The server's record key.
    pub server_write_key: KeyBlockPart,
    /// The client's IV: 4 implicit bytes for AES-GCM, 12 for ChaCha20.
    pub client_write_iv: KeyBlockPart,
    /// The server's IV.
    pub server_write_iv: KeyBlockPart,
}

/// The master secret and what it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MasterKeys {
    /// The master secret, as the key log holds it.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub master_secret: Vec<u8>,
    /// The key block made from it.
    pub key_block: KeyBlock,
}

/// The TLS 1.2 schedule of one session as far as its key log reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule12 {
    /// The negotiated suite's number.
    pub suite: u16,
    /// Its hash (the PRF's).
    pub hash: Hash,
    /// The key-log label of the master secret, [`label::CLIENT_RANDOM`].
    pub label: &'static str,
    /// What the master secret gives; `None` when the key log does not
    /// hold it.
    pub keys: Option<MasterKeys>,
}

/// The key schedule of a session, by version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "version", rename_all = "snake_case")]
pub enum Schedule {
    /// TLS 1.3.
    Tls13(Schedule13),
    /// TLS 1.2 (boxed: the key block makes it several times larger).
    Tls12(Box<Schedule12>),
}

/// The schedule of the session whose hellos carried `client_random` and
/// `server_random` and negotiated `version` and `suite`, from what `keys`
/// holds of it.
///
/// # Errors
///
/// A version other than TLS 1.2 and 1.3, a suite this module does not
/// know, or a suite of the other version.
pub fn schedule(
    keys: &KeyLog,
    version: u16,
    suite: u16,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<Schedule, ScheduleError> {
    match version {
        TLS13 => tls13(keys, suite, client_random).map(Schedule::Tls13),
        TLS12 => {
            tls12(keys, suite, client_random, server_random).map(|s| Schedule::Tls12(Box::new(s)))
        }
        version => Err(ScheduleError::UnsupportedVersion { version }),
    }
}

/// The suite numbered `id` if it belongs to `version`.
fn suite_for(id: u16, version: u16) -> Result<Suite, ScheduleError> {
    let suite = Suite::of(id).ok_or(ScheduleError::UnsupportedSuite { suite: id })?;
    if suite.tls13 != (version == TLS13) {
        return Err(ScheduleError::SuiteNotForVersion { suite: id, version });
    }
    Ok(suite)
}

/// The TLS 1.3 schedule: the four traffic secrets of the session named by
/// `client_random`, each with its keys when the key log holds it.
///
/// # Errors
///
/// A suite this module does not know, or a TLS 1.2 suite.
pub fn tls13(
    keys: &KeyLog,
    suite: u16,
    client_random: &[u8; 32],
) -> Result<Schedule13, ScheduleError> {
    let suite = suite_for(suite, TLS13)?;
    let application = Epoch::Application { generation: 0 };
    let secrets = [
        (
            label::CLIENT_HANDSHAKE,
            Direction::ClientToServer,
            Epoch::Handshake,
        ),
        (
            label::SERVER_HANDSHAKE,
            Direction::ServerToClient,
            Epoch::Handshake,
        ),
        (
            label::CLIENT_TRAFFIC_0,
            Direction::ClientToServer,
            application,
        ),
        (
            label::SERVER_TRAFFIC_0,
            Direction::ServerToClient,
            application,
        ),
    ]
    .into_iter()
    .map(|(label, dir, epoch)| TrafficSecret {
        label,
        dir,
        epoch,
        keys: keys.get(label, client_random).map(|secret| {
            let mut k = traffic_keys(suite, secret);
            if epoch == Epoch::Handshake {
                k.finished_key = Some(finished_key(suite, secret));
            }
            k
        }),
    })
    .collect();
    Ok(Schedule13 {
        suite: suite.id,
        hash: suite.hash,
        key_len: suite.key_len(),
        secrets,
    })
}

/// The TLS 1.2 schedule: the master secret of the session named by
/// `client_random` and its key block, when the key log holds it.
///
/// # Errors
///
/// A suite this module does not know, or a TLS 1.3 suite.
pub fn tls12(
    keys: &KeyLog,
    suite: u16,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<Schedule12, ScheduleError> {
    let suite = suite_for(suite, TLS12)?;
    Ok(Schedule12 {
        suite: suite.id,
        hash: suite.hash,
        label: label::CLIENT_RANDOM,
        keys: keys
            .get(label::CLIENT_RANDOM, client_random)
            .map(|master| MasterKeys {
                master_secret: master.to_vec(),
                key_block: key_block(suite, master, client_random, server_random),
            }),
    })
}

/// The record key and IV of a TLS 1.3 traffic secret (RFC 8446 §7.3);
/// `finished_key` is left `None` (see [`finished_key`]).
pub fn traffic_keys(suite: Suite, secret: &[u8]) -> TrafficKeys {
    TrafficKeys {
        secret: secret.to_vec(),
        key: Expansion::new(suite.hash, secret, KEY, suite.key_len()),
        iv: Expansion::new(suite.hash, secret, IV, IV_LEN),
        finished_key: None,
    }
}

/// The Finished key of a TLS 1.3 handshake traffic secret (RFC 8446
/// §4.4.4).
pub fn finished_key(suite: Suite, secret: &[u8]) -> Expansion {
    Expansion::new(suite.hash, secret, FINISHED, suite.hash.len())
}

/// The next application traffic secret after a KeyUpdate (RFC 8446
/// §7.2).
pub fn next_traffic_secret(suite: Suite, secret: &[u8]) -> Vec<u8> {
    expand_label(
        suite.hash,
        secret,
        TRAFFIC_UPDATE.as_bytes(),
        suite.hash.len(),
    )
}

/// The TLS 1.2 key block of an AEAD suite and its split (RFC 5246 §6.3):
/// the two write keys, then the two write IVs.
pub fn key_block(
    suite: Suite,
    master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> KeyBlock {
    let key_len = suite.key_len();
    let iv_len = suite.fixed_iv_len();
    let seed = [&server_random[..], &client_random[..]].concat();
    let block = prf(
        suite.hash,
        master,
        KEY_EXPANSION.as_bytes(),
        &seed,
        2 * (key_len + iv_len),
    );
    let part = |name, at, len| KeyBlockPart {
        name,
        at,
        len,
        value: block[at..at + len].to_vec(),
    };
    KeyBlock {
        label: KEY_EXPANSION,
        client_write_key: part("client_write_key", 0, key_len),
        server_write_key: part("server_write_key", key_len, key_len),
        client_write_iv: part("client_write_IV", 2 * key_len, iv_len),
        server_write_iv: part("server_write_IV", 2 * key_len + iv_len, iv_len),
        seed,
        block,
    }
}

/// The transcript hash of handshake messages, each given whole with its
/// 4-byte handshake header, in the order they were sent.
pub fn transcript_hash(hash: Hash, transcript: &[&[u8]]) -> Vec<u8> {
    let mut ctx = digest::Context::new(hash.digest());
    for message in transcript {
        ctx.update(message);
    }
    ctx.finish().as_ref().to_vec()
}

/// The TLS 1.3 verify_data a Finished must carry (RFC 8446 §4.4.4):
/// HMAC(finished_key, transcript hash), where the finished key comes from
/// the sender's handshake traffic secret and the transcript runs from the
/// ClientHello to the message before this Finished.
pub fn finished_13(suite: Suite, handshake_traffic_secret: &[u8], transcript: &[&[u8]]) -> Vec<u8> {
    let key = finished_key(suite, handshake_traffic_secret);
    let key = hmac::Key::new(suite.hash.hmac(), &key.value);
    let hash = transcript_hash(suite.hash, transcript);
    hmac::sign(&key, &hash).as_ref().to_vec()
}

/// The TLS 1.2 verify_data a Finished must carry (RFC 5246 §7.4.9):
/// PRF(master, "client finished" or "server finished", transcript
/// hash), 12 bytes; the transcript runs from the ClientHello to the
/// message before this Finished, ChangeCipherSpec not included (it is not
/// a handshake message).
pub fn finished_12(suite: Suite, master: &[u8], client: bool, transcript: &[&[u8]]) -> Vec<u8> {
    let label: &[u8] = if client {
        b"client finished"
    } else {
        b"server finished"
    };
    let hash = transcript_hash(suite.hash, transcript);
    prf(suite.hash, master, label, &hash, VERIFY_DATA_LEN_12)
}

/// A Finished message set against the verify_data it must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FinishedCheck {
    /// What the key schedule and transcript say it must be.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub expected: Vec<u8>,
    /// What the Finished message's body carried.
    #[serde(serialize_with = "crate::wire::as_hex")]
    pub received: Vec<u8>,
    /// True when they are the same.
    pub verifies: bool,
}

/// Compare a Finished body (without its handshake header) with the
/// verify_data from [`finished_13`] or [`finished_12`].
pub fn check_finished(expected: Vec<u8>, finished_body: &[u8]) -> FinishedCheck {
    FinishedCheck {
        verifies: expected == finished_body,
        received: finished_body.to_vec(),
        expected,
    }
}

/// Check the Finished sent in `dir` of the session named by
/// `client_random`, with the secret the key log holds for it (TLS 1.3: the
/// sender's handshake traffic secret; TLS 1.2: the master secret).
/// `transcript` is every handshake message before this Finished, whole
/// and in the order sent; `finished_body` is the Finished without its
/// handshake header. `Ok(None)` when the key log lacks that secret.
///
/// # Errors
///
/// As [`schedule`]: an unknown version or suite, or a suite of the other
/// version.
pub fn verify_finished(
    keys: &KeyLog,
    version: u16,
    suite: u16,
    client_random: &[u8; 32],
    dir: Direction,
    transcript: &[&[u8]],
    finished_body: &[u8],
) -> Result<Option<FinishedCheck>, ScheduleError> {
    let client = dir == Direction::ClientToServer;
    let expected = match version {
        TLS13 => {
            let suite = suite_for(suite, TLS13)?;
            let label = if client {
                label::CLIENT_HANDSHAKE
            } else {
                label::SERVER_HANDSHAKE
            };
            keys.get(label, client_random)
                .map(|secret| finished_13(suite, secret, transcript))
        }
        TLS12 => {
            let suite = suite_for(suite, TLS12)?;
            keys.get(label::CLIENT_RANDOM, client_random)
                .map(|master| finished_12(suite, master, client, transcript))
        }
        version => return Err(ScheduleError::UnsupportedVersion { version }),
    };
    Ok(expected.map(|expected| check_finished(expected, finished_body)))
}

/// The length argument ring's HKDF wants.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label with an empty context (RFC 8446 §7.1).
pub(crate) fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Vec<u8> {
    let prk = hkdf::Prk::new_less_safe(hash.hkdf(), secret);
    let out_len = (len as u16).to_be_bytes();
    let label_len = [(b"tls13 ".len() + label.len()) as u8];
    let info: [&[u8]; 5] = [&out_len, &label_len, b"tls13 ", label, &[0]];
    let mut out = vec![0; len];
    // Expand fails only for outputs over 255 hash lengths; every length
    // asked for here is at most 48 bytes.
    if let Ok(okm) = prk.expand(&info, Len(len)) {
        let _ = okm.fill(&mut out);
    }
    out
}

/// The TLS 1.2 PRF: P_hash(secret, label + seed) cut to `len` bytes
/// (RFC 5246 §5).
pub(crate) fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(hash.hmac(), secret);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(label);
    ctx.update(seed);
    let mut a = ctx.sign();
    let mut out = Vec::with_capacity(len + hash.len());
    while out.len() < len {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(label);
        ctx.update(seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = hmac::sign(&key, a.as_ref());
    }
    out.truncate(len);
    out
}
