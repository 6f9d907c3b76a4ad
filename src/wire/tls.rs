//! The TLS record layer (RFC 8446 §5, RFC 5246 §6.2) and the handshake
//! messages that cross the wire in cleartext, decoded from captured bytes.
//!
//! Everything here is sans-IO: bytes go in, records and messages come out.
//! Nothing is decrypted; the point is to show exactly what an eavesdropper
//! learns from the framing and from the handshake messages that precede
//! encryption (ClientHello and ServerHello always; in TLS 1.2 also the
//! certificate chain and the key exchange parameters).
//!
//! Memory is bounded on any input: a record body is never longer than
//! [`MAX_RECORD_BODY`], bodies of application data are never copied, and a
//! handshake message is reassembled only up to [`MAX_HANDSHAKE_MESSAGE`].

use std::collections::VecDeque;

use serde::Serialize;

#[path = "tls_der.rs"]
mod der;

pub use der::{CertSummary, summarize as summarize_certificate};

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;

/// Length of a record header: type, version and length.
pub const RECORD_HEADER_LEN: usize = 5;

/// The longest record body accepted. RFC 8446 §5.2 allows 2^14 + 256 bytes of
/// ciphertext and RFC 5246 §6.2.3 allows 2^14 + 2048, so the larger limit is
/// used; anything longer cannot be TLS and ends decoding of that direction.
pub const MAX_RECORD_BODY: usize = 16384 + 2048;

/// The longest handshake message reassembled. Real handshakes stay far below
/// this (rustls refuses anything larger too), and without a limit a forged
/// 24-bit length would make the dissector buffer 16 MiB per direction.
pub const MAX_HANDSHAKE_MESSAGE: usize = 65536;

/// `legacy_version` / `supported_versions` value of TLS 1.3.
pub const TLS13: u16 = 0x0304;
/// Protocol version value of TLS 1.2.
pub const TLS12: u16 = 0x0303;

/// The `random` of a HelloRetryRequest: SHA-256 of "HelloRetryRequest"
/// (RFC 8446 §4.1.3). It is how a HelloRetryRequest is told apart from a
/// real ServerHello, since both use handshake type 2.
const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The content type of a record (RFC 8446 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ContentType {
    /// 20: change_cipher_spec.
    ChangeCipherSpec,
    /// 21: alert.
    Alert,
    /// 22: handshake.
    Handshake,
    /// 23: application_data (in TLS 1.3 also every encrypted handshake message).
    ApplicationData,
    /// 24: heartbeat (RFC 6520).
    Heartbeat,
    /// Any other value.
    Unknown(u8),
}

impl ContentType {
    /// The content type for a wire byte.
    pub fn from_byte(byte: u8) -> ContentType {
        match byte {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            24 => ContentType::Heartbeat,
            other => ContentType::Unknown(other),
        }
    }

    /// The wire byte of this content type.
    pub fn byte(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Heartbeat => 24,
            ContentType::Unknown(other) => other,
        }
    }

    /// The RFC name, for transcripts.
    pub fn name(self) -> &'static str {
        match self {
            ContentType::ChangeCipherSpec => "change_cipher_spec",
            ContentType::Alert => "alert",
            ContentType::Handshake => "handshake",
            ContentType::ApplicationData => "application_data",
            ContentType::Heartbeat => "heartbeat",
            ContentType::Unknown(_) => "unknown",
        }
    }
}

/// The five bytes in front of every record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordHeader {
    /// What the record carries (as far as the header says).
    pub content_type: ContentType,
    /// The record-layer version (0x0303 for every TLS 1.3 record but the first).
    pub version: u16,
    /// Length of the body that follows the header.
    pub length: u16,
}

impl RecordHeader {
    /// Read a header from its five wire bytes.
    pub fn parse(bytes: [u8; RECORD_HEADER_LEN]) -> RecordHeader {
        RecordHeader {
            content_type: ContentType::from_byte(bytes[0]),
            version: u16::from_be_bytes([bytes[1], bytes[2]]),
            length: u16::from_be_bytes([bytes[3], bytes[4]]),
        }
    }
}

/// One complete record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's header.
    pub header: RecordHeader,
    /// Stream offset (in this direction) of the first header byte.
    pub offset: u64,
    /// The body, kept only for handshake, alert and change_cipher_spec
    /// records while the reader is in cleartext mode (see
    /// [`RecordReader::set_cleartext`]); empty otherwise. The length is
    /// always in the header.
    pub body: Vec<u8>,
}

/// Why a byte stream stopped being readable as TLS records. Either way the
/// record boundaries are lost for good: TLS has no marker to resynchronise
/// on, so the reader stops.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A header declares a body longer than TLS allows.
    #[error(
        "the record at offset {offset} declares {length} bytes, more than the {MAX_RECORD_BODY} TLS allows"
    )]
    TooLong {
        /// Stream offset of the header.
        offset: u64,
        /// The declared length.
        length: u16,
    },
    /// The version field of a header is not 3.x, so these bytes are not a
    /// TLS record at all (plain text sent where TLS was expected, say).
    #[error(
        "the bytes at offset {offset} are not a TLS record header (type byte {type_byte}, version {version:#06x})"
    )]
    NotTls {
        /// Stream offset of the would-be header.
        offset: u64,
        /// The first byte, which would be the content type.
        type_byte: u8,
        /// The bytes where the version should be.
        version: u16,
    },
}

impl RecordError {
    /// Stream offset where decoding stopped.
    pub fn offset(&self) -> u64 {
        match self {
            RecordError::TooLong { offset, .. } | RecordError::NotTls { offset, .. } => *offset,
        }
    }
}

/// A record whose header is read but whose body is still arriving.
#[derive(Debug)]
struct Partial {
    header: RecordHeader,
    offset: u64,
    remaining: usize,
    keep: bool,
    body: Vec<u8>,
}

/// Cuts one direction's byte stream into records.
///
/// A record split across chunks and several records in one chunk both work,
/// and the records that come out do not depend on how the stream was
/// chunked. Bodies of application data are skipped, not copied, so framing
/// costs the same whatever the record size.
#[derive(Debug)]
pub struct RecordReader {
    header: [u8; RECORD_HEADER_LEN],
    header_len: usize,
    current: Option<Partial>,
    offset: u64,
    cleartext: bool,
    keep_all: bool,
    error: Option<RecordError>,
}

impl Default for RecordReader {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordReader {
    /// A reader at stream offset 0, in cleartext mode.
    pub fn new() -> Self {
        Self::starting_at(0)
    }

    /// A reader whose first byte is at `offset` in the direction's stream
    /// (after STLS the records start where the POP3 lines stopped).
    pub fn starting_at(offset: u64) -> Self {
        RecordReader {
            header: [0; RECORD_HEADER_LEN],
            header_len: 0,
            current: None,
            offset,
            cleartext: true,
            keep_all: false,
            error: None,
        }
    }

    /// While `true`, every body is kept, ciphertext included: the record
    /// decryptor ([`super::decrypt`]) needs the bytes the eavesdropper
    /// otherwise only counts. Memory stays bounded by one record body.
    pub fn set_keep_all(&mut self, keep_all: bool) {
        self.keep_all = keep_all;
    }

    /// While `true` (the default), bodies of handshake, alert and
    /// change_cipher_spec records are kept. Set it to `false` once the
    /// direction is encrypted: those bodies are ciphertext then, and keeping
    /// them would only cost memory. It applies to records whose header has
    /// not been read yet.
    pub fn set_cleartext(&mut self, cleartext: bool) {
        self.cleartext = cleartext;
    }

    /// Stream offset of the next byte the reader will consume.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Why the reader stopped, if it did.
    pub fn error(&self) -> Option<&RecordError> {
        self.error.as_ref()
    }

    /// Bytes held for an incomplete record (header and kept body).
    pub fn buffered(&self) -> usize {
        self.header_len + self.current.as_ref().map_or(0, |p| p.body.capacity())
    }

    /// Feed a chunk and get every record it completes. On a protocol error
    /// the records before it are returned, [`error`](Self::error) says what
    /// happened, and everything after it is ignored.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Record> {
        let mut input = bytes;
        let mut out = Vec::new();
        while let Some(Ok(record)) = self.read(&mut input) {
            out.push(record);
        }
        out
    }

    /// Consume bytes from `input` until one record is complete and return
    /// it. `None` means `input` is used up without completing a record (or
    /// the reader stopped earlier). A protocol error is returned once; after
    /// it every byte is consumed and ignored.
    ///
    /// Reading one record at a time lets the caller change
    /// [`set_cleartext`](Self::set_cleartext) exactly at the record where a
    /// direction becomes encrypted.
    pub fn read(&mut self, input: &mut &[u8]) -> Option<Result<Record, RecordError>> {
        if self.error.is_some() {
            self.offset += input.len() as u64;
            *input = &[];
            return None;
        }
        loop {
            if let Some(partial) = self.current.as_mut() {
                let n = partial.remaining.min(input.len());
                if partial.keep {
                    partial.body.extend_from_slice(&input[..n]);
                }
                partial.remaining -= n;
                *input = &input[n..];
                self.offset += n as u64;
                if partial.remaining > 0 {
                    return None;
                }
                let done = self.current.take()?;
                return Some(Ok(Record {
                    header: done.header,
                    offset: done.offset,
                    body: done.body,
                }));
            }
            if input.is_empty() {
                return None;
            }
            let n = (RECORD_HEADER_LEN - self.header_len).min(input.len());
            self.header[self.header_len..self.header_len + n].copy_from_slice(&input[..n]);
            self.header_len += n;
            *input = &input[n..];
            self.offset += n as u64;
            if self.header_len < RECORD_HEADER_LEN {
                return None;
            }
            self.header_len = 0;
            let header = RecordHeader::parse(self.header);
            let offset = self.offset - RECORD_HEADER_LEN as u64;
            let length = usize::from(header.length);
            let problem = if header.version >> 8 != 3 {
                Some(RecordError::NotTls {
                    offset,
                    type_byte: self.header[0],
                    version: header.version,
                })
            } else if length > MAX_RECORD_BODY {
                Some(RecordError::TooLong {
                    offset,
                    length: header.length,
                })
            } else {
                None
            };
            if let Some(problem) = problem {
                self.error = Some(problem.clone());
                self.offset += input.len() as u64;
                *input = &[];
                return Some(Err(problem));
            }
            let keep = self.keep_all
                || self.cleartext
                    && matches!(
                        header.content_type,
                        ContentType::Handshake | ContentType::Alert | ContentType::ChangeCipherSpec
                    );
            self.current = Some(Partial {
                header,
                offset,
                remaining: length,
                keep,
                body: if keep {
                    Vec::with_capacity(length)
                } else {
                    Vec::new()
                },
            });
        }
    }
}

/// The 32-byte `random` of a ClientHello or ServerHello body (RFC 8446
/// §4.1.2, §4.1.3; the same place in TLS 1.2): it follows the two-byte
/// version. The key log is indexed by the client's, and the TLS 1.2 key
/// block is derived from both. `None` if the body is too short.
pub fn hello_random(body: &[u8]) -> Option<[u8; 32]> {
    body.get(2..34)?.try_into().ok()
}

/// One handshake message cut out of the handshake stream, not yet decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHandshake {
    /// The handshake type byte.
    pub msg_type: u8,
    /// Stream offset of the message's first byte (its type byte).
    pub offset: u64,
    /// The message body, without the four-byte message header.
    pub body: Vec<u8>,
}

/// Why a direction's handshake stream cannot be followed any further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the handshake message at offset {offset} declares {length} bytes, more than the {MAX_HANDSHAKE_MESSAGE} this dissector reassembles; the rest of this direction's handshake is not decoded"
)]
pub struct HandshakeTooLong {
    /// Stream offset of the message.
    pub offset: u64,
    /// Its declared length.
    pub length: usize,
}

/// Reassembles handshake messages from the bodies of cleartext handshake
/// records, in one direction. Messages may span records and one record may
/// hold several messages (RFC 8446 §5.1).
#[derive(Debug, Default)]
pub struct HandshakeReader {
    buf: Vec<u8>,
    /// Where the bytes of `buf` came from: (index in `buf`, stream offset),
    /// one entry per record body, so a message's stream offset is exact even
    /// when record headers sit between its bytes.
    segments: VecDeque<(usize, u64)>,
    failed: bool,
}

impl HandshakeReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append the body of a cleartext handshake record whose first body byte
    /// is at `offset` in the stream.
    pub fn push(&mut self, body: &[u8], offset: u64) {
        if self.failed || body.is_empty() {
            return;
        }
        self.segments.push_back((self.buf.len(), offset));
        self.buf.extend_from_slice(body);
    }

    /// The next complete message, if one is buffered. An error is returned
    /// once, when a message is longer than [`MAX_HANDSHAKE_MESSAGE`]; the
    /// reader ignores everything after it.
    pub fn next_message(&mut self) -> Option<Result<RawHandshake, HandshakeTooLong>> {
        if self.failed || self.buf.len() < 4 {
            return None;
        }
        let length = usize::from(self.buf[1]) << 16
            | usize::from(self.buf[2]) << 8
            | usize::from(self.buf[3]);
        let offset = self.stream_offset(0);
        if length > MAX_HANDSHAKE_MESSAGE {
            self.failed = true;
            self.clear();
            return Some(Err(HandshakeTooLong { offset, length }));
        }
        if self.buf.len() < 4 + length {
            return None;
        }
        let msg_type = self.buf[0];
        let body = self.buf[4..4 + length].to_vec();
        self.consume(4 + length);
        Some(Ok(RawHandshake {
            msg_type,
            offset,
            body,
        }))
    }

    /// Throw away buffered bytes (when the direction turns encrypted) and
    /// say how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.buf.len();
        self.buf = Vec::new();
        self.segments.clear();
        n
    }

    /// Bytes waiting to become a message.
    pub fn buffered(&self) -> usize {
        self.buf.capacity()
    }

    fn stream_offset(&self, index: usize) -> u64 {
        self.segments
            .iter()
            .rev()
            .find(|(start, _)| *start <= index)
            .map_or(0, |(start, offset)| offset + (index - start) as u64)
    }

    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        // Segments that end before the new start go; the one the new start
        // falls into is trimmed so its index becomes 0.
        while self.segments.len() > 1 && self.segments[1].0 <= n {
            self.segments.pop_front();
        }
        if self.buf.is_empty() {
            self.segments.clear();
        } else if let Some(first) = self.segments.front_mut() {
            let skip = n.saturating_sub(first.0);
            first.1 += skip as u64;
            first.0 = 0;
            for seg in self.segments.iter_mut().skip(1) {
                seg.0 -= n;
            }
        }
    }
}

/// A handshake message as far as an eavesdropper can decode it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Handshake {
    /// The client's opening message: always cleartext, even in TLS 1.3.
    ClientHello {
        /// The version field of the message (0x0303 for TLS 1.3 clients).
        legacy_version: u16,
        /// The supported_versions extension, in the client's order.
        versions: Vec<u16>,
        /// Offered cipher suites, in the client's order.
        cipher_suites: Vec<u16>,
        /// The server_name extension: which server the client wants.
        sni: Option<String>,
        /// The supported_groups extension.
        groups: Vec<u16>,
        /// The key_share extension: group and key length of each share.
        key_shares: Vec<(u16, usize)>,
        /// The ALPN extension's protocol names.
        alpn: Vec<String>,
        /// The signature_algorithms extension.
        signature_algorithms: Vec<u16>,
    },
    /// The server's answer: always cleartext.
    ServerHello {
        /// The negotiated version: supported_versions if present, else the
        /// legacy version field.
        version: u16,
        /// The chosen cipher suite.
        cipher_suite: u16,
        /// The key_share group (TLS 1.3), if any.
        group: Option<u16>,
        /// True if this is a HelloRetryRequest (RFC 8446 §4.1.3).
        hello_retry_request: bool,
    },
    /// The server's certificate chain (cleartext in TLS 1.2 only).
    Certificate {
        /// One summary per certificate, leaf first.
        chain: Vec<CertSummary>,
    },
    /// TLS 1.2 (EC)DHE parameters.
    ServerKeyExchange {
        /// The named curve (ECDHE); `None` for finite-field DHE.
        curve: Option<u16>,
        /// Length of the server's ephemeral public key.
        public_key_len: usize,
        /// The signature scheme of the parameters' signature.
        signature_scheme: Option<u16>,
    },
    /// TLS 1.2: the server's part of the handshake is complete.
    ServerHelloDone,
    /// TLS 1.2: the client's key share (or RSA-encrypted premaster secret).
    ClientKeyExchange {
        /// Body length.
        len: usize,
    },
    /// Finished (only seen in cleartext if something is badly wrong).
    Finished,
    /// NewSessionTicket (TLS 1.2 sends it before ChangeCipherSpec).
    NewSessionTicket,
    /// EncryptedExtensions (TLS 1.3; never cleartext in practice).
    EncryptedExtensions,
    /// CertificateVerify (never cleartext in practice).
    CertificateVerify,
    /// Any other handshake type.
    Other(u8),
}

impl Handshake {
    /// The RFC name of the message, for transcripts.
    pub fn name(&self) -> &'static str {
        match self {
            Handshake::ClientHello { .. } => "ClientHello",
            Handshake::ServerHello {
                hello_retry_request: true,
                ..
            } => "HelloRetryRequest",
            Handshake::ServerHello { .. } => "ServerHello",
            Handshake::Certificate { .. } => "Certificate",
            Handshake::ServerKeyExchange { .. } => "ServerKeyExchange",
            Handshake::ServerHelloDone => "ServerHelloDone",
            Handshake::ClientKeyExchange { .. } => "ClientKeyExchange",
            Handshake::Finished => "Finished",
            Handshake::NewSessionTicket => "NewSessionTicket",
            Handshake::EncryptedExtensions => "EncryptedExtensions",
            Handshake::CertificateVerify => "CertificateVerify",
            Handshake::Other(_) => "other handshake message",
        }
    }
}

/// A cursor over a handshake body. Every read checks the length first, so a
/// truncated or forged message yields an error naming the field, never a
/// panic.
struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf }
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], String> {
        if self.buf.len() < n {
            return Err(format!("truncated {what}"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self, what: &'static str) -> Result<usize, String> {
        let b = self.take(3, what)?;
        Ok(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    /// A vector with a one-byte length prefix.
    fn vec8(&mut self, what: &'static str) -> Result<&'a [u8], String> {
        let n = usize::from(self.u8(what)?);
        self.take(n, what)
    }

    /// A vector with a two-byte length prefix.
    fn vec16(&mut self, what: &'static str) -> Result<&'a [u8], String> {
        let n = usize::from(self.u16(what)?);
        self.take(n, what)
    }

    /// A vector with a three-byte length prefix.
    fn vec24(&mut self, what: &'static str) -> Result<&'a [u8], String> {
        let n = self.u24(what)?;
        self.take(n, what)
    }
}

/// A list of big-endian u16 values (cipher suites, groups, ...).
fn u16_list(bytes: &[u8], what: &'static str) -> Result<Vec<u16>, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(format!("odd length of {what}"));
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect())
}

/// Decode one handshake message body. `suite` is the cipher suite the
/// ServerHello chose, if one has been seen: the layout of a TLS 1.2
/// ServerKeyExchange depends on it.
///
/// # Errors
///
/// A description of what is malformed, for an "undecodable" line in the
/// transcript.
pub fn decode_handshake(
    msg_type: u8,
    body: &[u8],
    suite: Option<u16>,
) -> Result<Handshake, String> {
    let result = match msg_type {
        1 => decode_client_hello(body),
        2 => decode_server_hello(body),
        4 => Ok(Handshake::NewSessionTicket),
        8 => Ok(Handshake::EncryptedExtensions),
        11 => decode_certificate(body),
        12 => decode_server_key_exchange(body, suite),
        14 => Ok(Handshake::ServerHelloDone),
        15 => Ok(Handshake::CertificateVerify),
        16 => Ok(Handshake::ClientKeyExchange { len: body.len() }),
        20 => Ok(Handshake::Finished),
        other => Ok(Handshake::Other(other)),
    };
    result.map_err(|why| format!("malformed {}: {why}", handshake_type_name(msg_type)))
}

/// The RFC name of a handshake type byte.
pub fn handshake_type_name(msg_type: u8) -> &'static str {
    match msg_type {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        24 => "KeyUpdate",
        254 => "message_hash",
        _ => "handshake message",
    }
}

/// Walk an extensions block, calling `f` with each extension's type and data.
fn for_each_extension(
    block: &[u8],
    mut f: impl FnMut(u16, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let mut c = Cursor::new(block);
    while !c.is_empty() {
        let ext_type = c.u16("extension type")?;
        let data = c.vec16("extension data")?;
        f(ext_type, data)?;
    }
    Ok(())
}

fn decode_client_hello(body: &[u8]) -> Result<Handshake, String> {
    let mut c = Cursor::new(body);
    let legacy_version = c.u16("legacy_version")?;
    c.take(32, "random")?;
    c.vec8("legacy_session_id")?;
    let cipher_suites = u16_list(c.vec16("cipher_suites")?, "cipher_suites")?;
    c.vec8("legacy_compression_methods")?;
    let mut versions = Vec::new();
    let mut sni = None;
    let mut groups = Vec::new();
    let mut key_shares = Vec::new();
    let mut alpn = Vec::new();
    let mut signature_algorithms = Vec::new();
    // A ClientHello without extensions is legal (old clients); with some,
    // the block must be well formed.
    if !c.is_empty() {
        let block = c.vec16("extensions")?;
        for_each_extension(block, |ext_type, data| {
            let mut d = Cursor::new(data);
            match ext_type {
                0 => {
                    // An empty server_name extension is what a server echoes;
                    // a client sends a list of (type, name) entries.
                    if d.is_empty() {
                        return Ok(());
                    }
                    let mut list = Cursor::new(d.vec16("server_name list")?);
                    while !list.is_empty() {
                        let name_type = list.u8("server_name type")?;
                        let name = list.vec16("server_name")?;
                        if name_type == 0 && sni.is_none() {
                            sni = Some(String::from_utf8_lossy(name).into_owned());
                        }
                    }
                }
                10 => groups = u16_list(d.vec16("supported_groups")?, "supported_groups")?,
                13 => {
                    signature_algorithms =
                        u16_list(d.vec16("signature_algorithms")?, "signature_algorithms")?;
                }
                16 => {
                    let mut list = Cursor::new(d.vec16("ALPN list")?);
                    while !list.is_empty() {
                        let proto = list.vec8("ALPN protocol")?;
                        alpn.push(String::from_utf8_lossy(proto).into_owned());
                    }
                }
                43 => versions = u16_list(d.vec8("supported_versions")?, "supported_versions")?,
                51 => {
                    let mut list = Cursor::new(d.vec16("key_share list")?);
                    while !list.is_empty() {
                        let group = list.u16("key_share group")?;
                        let key = list.vec16("key_share key")?;
                        key_shares.push((group, key.len()));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    Ok(Handshake::ClientHello {
        legacy_version,
        versions,
        cipher_suites,
        sni,
        groups,
        key_shares,
        alpn,
        signature_algorithms,
    })
}

fn decode_server_hello(body: &[u8]) -> Result<Handshake, String> {
    let mut c = Cursor::new(body);
    let legacy_version = c.u16("legacy_version")?;
    let random = c.take(32, "random")?;
    c.vec8("legacy_session_id")?;
    let cipher_suite = c.u16("cipher_suite")?;
    c.u8("legacy_compression_method")?;
    let mut version = legacy_version;
    let mut group = None;
    if !c.is_empty() {
        let block = c.vec16("extensions")?;
        for_each_extension(block, |ext_type, data| {
            let mut d = Cursor::new(data);
            match ext_type {
                43 => version = d.u16("supported_versions")?,
                // In a ServerHello the share is (group, key); in a
                // HelloRetryRequest just the group. Either way the group
                // comes first.
                51 => group = Some(d.u16("key_share group")?),
                _ => {}
            }
            Ok(())
        })?;
    }
    Ok(Handshake::ServerHello {
        version,
        cipher_suite,
        group,
        hello_retry_request: random == HELLO_RETRY_REQUEST_RANDOM,
    })
}

fn decode_certificate(body: &[u8]) -> Result<Handshake, String> {
    // The TLS 1.2 layout: a 24-bit list of 24-bit-length DER certificates.
    // (TLS 1.3 adds a request context and per-certificate extensions, but its
    // Certificate message is always encrypted, so it never gets here.)
    let mut c = Cursor::new(body);
    let mut list = Cursor::new(c.vec24("certificate_list")?);
    let mut chain = Vec::new();
    while !list.is_empty() {
        let cert = list.vec24("certificate")?;
        chain.push(der::summarize(cert));
    }
    Ok(Handshake::Certificate { chain })
}

fn decode_server_key_exchange(body: &[u8], suite: Option<u16>) -> Result<Handshake, String> {
    let mut c = Cursor::new(body);
    let finite_field = suite.is_some_and(|s| suite_name(s).starts_with("TLS_DHE_"));
    let (curve, public_key_len) = if finite_field {
        c.vec16("dh_p")?;
        c.vec16("dh_g")?;
        (None, c.vec16("dh_Ys")?.len())
    } else {
        let curve_type = c.u8("curve_type")?;
        if curve_type != 3 {
            return Err(format!(
                "curve type {curve_type} (only named curves exist in practice)"
            ));
        }
        let curve = c.u16("named_curve")?;
        (Some(curve), c.vec8("public key")?.len())
    };
    // The TLS 1.2 signature: scheme, then a 16-bit-length signature.
    let signature_scheme = if c.is_empty() {
        None
    } else {
        let scheme = c.u16("signature scheme")?;
        c.vec16("signature")?;
        Some(scheme)
    };
    Ok(Handshake::ServerKeyExchange {
        curve,
        public_key_len,
        signature_scheme,
    })
}

/// True for the GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ... 0xfafa),
/// which clients sprinkle into lists so servers do not choke on unknowns.
fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

// Names of suites, groups and versions come from rustls's own enums, so
// the eavesdropper spells them as the endpoints' summaries do (both call
// `as_str()`); only GREASE, a rule about reserved values rather than a
// name, is decided here.

/// rustls's name of a cipher suite, or "unknown".
pub fn suite_name(suite: u16) -> &'static str {
    if is_grease(suite) {
        return "GREASE";
    }
    rustls::CipherSuite::from(suite)
        .as_str()
        .unwrap_or("unknown")
}

/// rustls's name of a key-exchange group (supported_groups / key_share),
/// or "unknown".
pub fn group_name(group: u16) -> &'static str {
    if is_grease(group) {
        return "GREASE";
    }
    rustls::NamedGroup::from(group)
        .as_str()
        .unwrap_or("unknown")
}

/// rustls's name of a protocol version value ("TLSv1_3"), or "unknown".
pub fn version_name(version: u16) -> &'static str {
    if is_grease(version) {
        return "GREASE";
    }
    rustls::ProtocolVersion::from(version)
        .as_str()
        .unwrap_or("unknown")
}

/// rustls's name of a signature scheme (RFC 8446 §4.2.3), or "unknown".
pub fn sigscheme_name(scheme: u16) -> &'static str {
    rustls::SignatureScheme::from(scheme)
        .as_str()
        .unwrap_or("unknown")
}

/// rustls's name of an alert description (RFC 8446 §6), or "unknown": the
/// spelling the server's log uses for an alert it received.
pub fn alert_description(description: u8) -> &'static str {
    rustls::AlertDescription::from(description)
        .as_str()
        .unwrap_or("unknown")
}
