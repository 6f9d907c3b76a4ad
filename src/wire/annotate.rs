//! Every byte of a TLS record or handshake message, labelled: the tree of
//! fields the byte view shows (record header, handshake header, random,
//! session id, each cipher suite and extension, the certificate chain,
//! CertificateVerify, Finished, NewSessionTicket, the TLS 1.2 key
//! exchange), each with its offset and length in the bytes given and a
//! typed value. Names of suites, groups, schemes and versions come from
//! the same tables the transcript uses (`wire::tls`); the words that
//! explain each field live in the catalogue (`assets/i18n/*/bytes.ftl`),
//! keyed by [`What::ids`].
//!
//! Nothing here trusts a length: a field that runs past the end of its
//! container becomes a [`What::Truncated`] field covering what is left,
//! and the walk goes on with the next container, so any input gives a
//! tree whose fields lie inside it, never a panic.

use serde::Serialize;

use super::tls::{group_name, sigscheme_name, suite_name, version_name};

/// One labelled stretch of bytes, with the fields inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Where it starts, from the start of the bytes annotated.
    pub at: usize,
    /// How many bytes it covers.
    pub len: usize,
    /// What it is.
    pub what: What,
    /// What it says.
    pub value: Value,
    /// The fields inside it, in order.
    pub parts: Vec<Field>,
}

/// What a field is. Each has a name and an explanation in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum What {
    /// A whole TLS record.
    Record,
    /// The record's content type byte.
    ContentType,
    /// The record's legacy version.
    RecordVersion,
    /// The record's length.
    RecordLength,
    /// A record body the eavesdropper cannot read (encrypted).
    Ciphertext,
    /// A ChangeCipherSpec record's one byte.
    ChangeCipherSpec,
    /// An alert's level and description.
    Alert,
    /// A whole handshake message.
    Handshake,
    /// The handshake type byte.
    HandshakeType,
    /// The handshake body's 24-bit length.
    HandshakeLength,
    /// legacy_version (ClientHello, ServerHello).
    LegacyVersion,
    /// The 32 random bytes.
    Random,
    /// legacy_session_id.
    SessionId,
    /// The list of cipher suites a client offers.
    CipherSuites,
    /// One cipher suite.
    CipherSuite,
    /// legacy_compression_methods (a list in the ClientHello, one in the
    /// ServerHello).
    Compression,
    /// The extensions block.
    Extensions,
    /// One extension (its type is the value).
    Extension,
    /// An extension's type.
    ExtensionType,
    /// An extension's data length.
    ExtensionLength,
    /// server_name: one name.
    ServerName,
    /// supported_versions: one version.
    Version,
    /// supported_groups or a key_share's group.
    Group,
    /// key_share: one entry.
    KeyShareEntry,
    /// An ephemeral public key (key_share, TLS 1.2 key exchange).
    PublicKey,
    /// signature_algorithms or CertificateVerify: one scheme.
    SignatureScheme,
    /// ALPN: one protocol name.
    Protocol,
    /// psk_key_exchange_modes: one mode.
    PskMode,
    /// ec_point_formats: one format.
    PointFormat,
    /// A list's length prefix.
    ListLength,
    /// The bytes of an extension or field decoded no further.
    Data,
    /// padding extension bytes.
    Padding,
    /// Certificate (TLS 1.3): certificate_request_context.
    CertificateContext,
    /// The certificate list.
    CertificateList,
    /// One certificate (DER).
    Certificate,
    /// A certificate's subject.
    Subject,
    /// A certificate's issuer.
    Issuer,
    /// A certificate's subject alternative names.
    AltNames,
    /// A certificate's validity period.
    Validity,
    /// A certificate's public key type.
    KeyType,
    /// A certificate's signature algorithm.
    CertSignature,
    /// CertificateVerify / ServerKeyExchange signature bytes.
    Signature,
    /// Finished: verify_data.
    VerifyData,
    /// NewSessionTicket: ticket_lifetime.
    TicketLifetime,
    /// NewSessionTicket (TLS 1.3): ticket_age_add.
    TicketAgeAdd,
    /// NewSessionTicket (TLS 1.3): ticket_nonce.
    TicketNonce,
    /// NewSessionTicket: the ticket.
    Ticket,
    /// ServerKeyExchange (TLS 1.2): the curve type byte.
    CurveType,
    /// ClientKeyExchange: the exchange keys of a TLS 1.2 client.
    ExchangeKeys,
    /// A field that runs past the end of the bytes it should be in.
    Truncated,
    /// Bytes left over after everything the message holds.
    Trailing,
}

impl What {
    /// The catalogue ids of the field's name and of what it is for.
    pub fn ids(self) -> (&'static str, &'static str) {
        match self {
            What::Record => ("bytes-record", "bytes-record-why"),
            What::ContentType => ("bytes-content-type", "bytes-content-type-why"),
            What::RecordVersion => ("bytes-record-version", "bytes-record-version-why"),
            What::RecordLength => ("bytes-record-length", "bytes-record-length-why"),
            What::Ciphertext => ("bytes-ciphertext", "bytes-ciphertext-why"),
            What::ChangeCipherSpec => ("bytes-change-cipher-spec", "bytes-change-cipher-spec-why"),
            What::Alert => ("bytes-alert", "bytes-alert-why"),
            What::Handshake => ("bytes-handshake", "bytes-handshake-why"),
            What::HandshakeType => ("bytes-handshake-type", "bytes-handshake-type-why"),
            What::HandshakeLength => ("bytes-handshake-length", "bytes-handshake-length-why"),
            What::LegacyVersion => ("bytes-legacy-version", "bytes-legacy-version-why"),
            What::Random => ("bytes-random", "bytes-random-why"),
            What::SessionId => ("bytes-session-id", "bytes-session-id-why"),
            What::CipherSuites => ("bytes-cipher-suites", "bytes-cipher-suites-why"),
            What::CipherSuite => ("bytes-cipher-suite", "bytes-cipher-suite-why"),
            What::Compression => ("bytes-compression", "bytes-compression-why"),
            What::Extensions => ("bytes-extensions", "bytes-extensions-why"),
            What::Extension => ("bytes-extension", "bytes-extension-why"),
            What::ExtensionType => ("bytes-extension-type", "bytes-extension-type-why"),
            What::ExtensionLength => ("bytes-extension-length", "bytes-extension-length-why"),
            What::ServerName => ("bytes-server-name", "bytes-server-name-why"),
            What::Version => ("bytes-version", "bytes-version-why"),
            What::Group => ("bytes-group", "bytes-group-why"),
            What::KeyShareEntry => ("bytes-key-share-entry", "bytes-key-share-entry-why"),
            What::PublicKey => ("bytes-public-key", "bytes-public-key-why"),
            What::SignatureScheme => ("bytes-signature-scheme", "bytes-signature-scheme-why"),
            What::Protocol => ("bytes-protocol", "bytes-protocol-why"),
            What::PskMode => ("bytes-psk-mode", "bytes-psk-mode-why"),
            What::PointFormat => ("bytes-point-format", "bytes-point-format-why"),
            What::ListLength => ("bytes-list-length", "bytes-list-length-why"),
            What::Data => ("bytes-data", "bytes-data-why"),
            What::Padding => ("bytes-padding", "bytes-padding-why"),
            What::CertificateContext => {
                ("bytes-certificate-context", "bytes-certificate-context-why")
            }
            What::CertificateList => ("bytes-certificate-list", "bytes-certificate-list-why"),
            What::Certificate => ("bytes-certificate", "bytes-certificate-why"),
            What::Subject => ("bytes-subject", "bytes-subject-why"),
            What::Issuer => ("bytes-issuer", "bytes-issuer-why"),
            What::AltNames => ("bytes-alt-names", "bytes-alt-names-why"),
            What::Validity => ("bytes-validity", "bytes-validity-why"),
            What::KeyType => ("bytes-key-type", "bytes-key-type-why"),
            What::CertSignature => ("bytes-cert-signature", "bytes-cert-signature-why"),
            What::Signature => ("bytes-signature", "bytes-signature-why"),
            What::VerifyData => ("bytes-verify-data", "bytes-verify-data-why"),
            What::TicketLifetime => ("bytes-ticket-lifetime", "bytes-ticket-lifetime-why"),
            What::TicketAgeAdd => ("bytes-ticket-age-add", "bytes-ticket-age-add-why"),
            What::TicketNonce => ("bytes-ticket-nonce", "bytes-ticket-nonce-why"),
            What::Ticket => ("bytes-ticket", "bytes-ticket-why"),
            What::CurveType => ("bytes-curve-type", "bytes-curve-type-why"),
            What::ExchangeKeys => ("bytes-exchange-keys", "bytes-exchange-keys-why"),
            What::Truncated => ("bytes-truncated", "bytes-truncated-why"),
            What::Trailing => ("bytes-trailing", "bytes-trailing-why"),
        }
    }

    /// Every kind of field, for the catalogue's checks.
    pub const ALL: &'static [What] = &[
        What::Record,
        What::ContentType,
        What::RecordVersion,
        What::RecordLength,
        What::Ciphertext,
        What::ChangeCipherSpec,
        What::Alert,
        What::Handshake,
        What::HandshakeType,
        What::HandshakeLength,
        What::LegacyVersion,
        What::Random,
        What::SessionId,
        What::CipherSuites,
        What::CipherSuite,
        What::Compression,
        What::Extensions,
        What::Extension,
        What::ExtensionType,
        What::ExtensionLength,
        What::ServerName,
        What::Version,
        What::Group,
        What::KeyShareEntry,
        What::PublicKey,
        What::SignatureScheme,
        What::Protocol,
        What::PskMode,
        What::PointFormat,
        What::ListLength,
        What::Data,
        What::Padding,
        What::CertificateContext,
        What::CertificateList,
        What::Certificate,
        What::Subject,
        What::Issuer,
        What::AltNames,
        What::Validity,
        What::KeyType,
        What::CertSignature,
        What::Signature,
        What::VerifyData,
        What::TicketLifetime,
        What::TicketAgeAdd,
        What::TicketNonce,
        What::Ticket,
        What::CurveType,
        What::ExchangeKeys,
        What::Truncated,
        What::Trailing,
    ];
}

/// What a field says, typed, so each view words it in its own way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Value {
    /// Nothing beyond its parts (a container).
    None,
    /// A number (a length, a lifetime in seconds, a count).
    Number(u64),
    /// A record content type byte.
    ContentType(u8),
    /// A handshake type byte.
    HandshakeType(u8),
    /// A protocol version (`0x0303`).
    Version(u16),
    /// A cipher suite.
    Suite(u16),
    /// A key-exchange group.
    Group(u16),
    /// A signature scheme.
    Scheme(u16),
    /// An extension type.
    ExtensionType(u16),
    /// A one-byte code (compression method, PSK mode, point format, curve
    /// type, alert).
    Code(u8),
    /// Text from the message (a server name, an ALPN protocol, a
    /// certificate's names), as sent: views make it visible with
    /// `sanitize::visible`.
    Text(String),
    /// Opaque bytes: shown as hex, with their length.
    Bytes(Vec<u8>),
}

impl Value {
    /// The value as the byte view shows it: numbers in decimal, codes with
    /// their registered names (protocol names, the same in every
    /// language), bytes in hex (the first 32 and a count). Text is made
    /// visible here, once.
    pub fn shown(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::Number(n) => n.to_string(),
            Value::ContentType(t) => {
                format!("{t} ({})", super::tls::ContentType::from_byte(*t).name())
            }
            Value::HandshakeType(t) => {
                format!("{t} ({})", super::tls::handshake_type_name(*t))
            }
            Value::Version(v) => format!("0x{v:04x} ({})", version_name(*v)),
            Value::Suite(s) => format!("0x{s:04x} {}", suite_name(*s)),
            Value::Group(g) => format!("0x{g:04x} {}", group_name(*g)),
            Value::Scheme(s) => format!("0x{s:04x} {}", sigscheme_name(*s)),
            Value::ExtensionType(t) => format!("{t} ({})", extension_name(*t)),
            Value::Code(c) => c.to_string(),
            Value::Text(t) => crate::sanitize::visible(t).into_owned(),
            Value::Bytes(b) => {
                const SHOWN: usize = 32;
                let head = hex::encode(&b[..b.len().min(SHOWN)]);
                if b.len() > SHOWN {
                    format!("{head}… ({} bytes)", b.len())
                } else {
                    head
                }
            }
        }
    }
}

/// True for the GREASE values of RFC 8701, shown by that name.
fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

/// The IANA name of an extension type (the names tshark and the RFCs use),
/// "GREASE" for the reserved values, or "unknown".
pub fn extension_name(ext: u16) -> &'static str {
    if is_grease(ext) {
        return "GREASE";
    }
    match ext {
        0 => "server_name",
        1 => "max_fragment_length",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        14 => "use_srtp",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        18 => "signed_certificate_timestamp",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        27 => "compress_certificate",
        28 => "record_size_limit",
        34 => "delegated_credentials",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        48 => "oid_filters",
        49 => "post_handshake_auth",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        57 => "quic_transport_parameters",
        0xfe0d => "encrypted_client_hello",
        0xff01 => "renegotiation_info",
        _ => "unknown",
    }
}

/// Which handshake a message belongs to, where the layout differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Era {
    /// TLS 1.3 (RFC 8446).
    Tls13,
    /// TLS 1.2 (RFC 5246), and what came before.
    Tls12,
}

/// A reader over the bytes being annotated that records fields as it
/// goes. Every read checks what is left, and a short read becomes a
/// [`What::Truncated`] field instead of an error.
struct Walk<'a> {
    bytes: &'a [u8],
    /// Where the reader is, from the start of `bytes`.
    pos: usize,
    /// Where the current container ends.
    end: usize,
}

/// A read ran past its container.
struct Short;

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Walk {
            bytes,
            pos: 0,
            end: bytes.len(),
        }
    }

    fn left(&self) -> usize {
        self.end - self.pos
    }

    fn take(&mut self, n: usize) -> Result<(usize, &'a [u8]), Short> {
        if self.left() < n {
            return Err(Short);
        }
        let at = self.pos;
        self.pos += n;
        Ok((at, &self.bytes[at..at + n]))
    }

    fn uint(&mut self, n: usize) -> Result<(usize, u64), Short> {
        let (at, b) = self.take(n)?;
        Ok((at, b.iter().fold(0u64, |acc, x| acc << 8 | u64::from(*x))))
    }

    /// A field of `n` bytes holding a number.
    fn number(&mut self, n: usize, what: What) -> Result<(Field, u64), Short> {
        let (at, v) = self.uint(n)?;
        Ok((leaf(at, n, what, Value::Number(v)), v))
    }

    /// A field of `n` opaque bytes.
    fn bytes(&mut self, n: usize, what: What) -> Result<Field, Short> {
        let (at, b) = self.take(n)?;
        Ok(leaf(at, n, what, Value::Bytes(b.to_vec())))
    }

    /// A u16 field with its typed value.
    fn u16_as(&mut self, what: What, value: fn(u16) -> Value) -> Result<Field, Short> {
        let (at, v) = self.uint(2)?;
        Ok(leaf(at, 2, what, value(v as u16)))
    }

    /// Run `inner` over the next `len` bytes as a container; whatever it
    /// leaves unread becomes a trailing field, and if it runs short the
    /// rest of the container is marked truncated. The reader then stands
    /// at the container's end.
    fn within(
        &mut self,
        len: usize,
        parts: &mut Vec<Field>,
        inner: impl FnOnce(&mut Walk<'a>, &mut Vec<Field>) -> Result<(), Short>,
    ) -> Result<(), Short> {
        if self.left() < len {
            return Err(Short);
        }
        let outer_end = self.end;
        let start = self.pos;
        self.end = self.pos + len;
        let result = inner(self, parts);
        if result.is_err() {
            // From the end of the last field placed: a composite read that
            // failed half way (a length read, its body short) placed
            // nothing, though the reader moved.
            let at = parts.last().map_or(start, |f| (f.at + f.len).max(start));
            let rest = self.end - at;
            parts.push(leaf(at, rest, What::Truncated, Value::Number(rest as u64)));
            self.pos = self.end;
        } else if self.left() > 0 {
            let at = self.pos;
            let rest = self.left();
            parts.push(leaf(
                at,
                rest,
                What::Trailing,
                Value::Bytes(self.bytes[at..self.end].to_vec()),
            ));
            self.pos = self.end;
        }
        self.end = outer_end;
        Ok(())
    }

    /// A length-prefixed vector (`prefix` bytes of length) as a field of
    /// kind `what` whose parts `inner` reads; the length prefix is its first
    /// part.
    fn vector(
        &mut self,
        prefix: usize,
        what: What,
        value: Value,
        inner: impl FnOnce(&mut Walk<'a>, &mut Vec<Field>) -> Result<(), Short>,
    ) -> Result<Field, Short> {
        let start = self.pos;
        let (len_field, len) = self.number(prefix, What::ListLength)?;
        let mut parts = vec![len_field];
        self.within(len as usize, &mut parts, inner)?;
        Ok(Field {
            at: start,
            len: self.pos - start,
            what,
            value,
            parts,
        })
    }
}

impl<'a> Walk<'a> {
    /// A length-prefixed vector of opaque bytes (a key, a signature, a
    /// ticket): the length, then the bytes as one field (none when empty).
    fn opaque(&mut self, prefix: usize, what: What) -> Result<Field, Short> {
        self.vector(prefix, what, Value::None, |w, p| {
            let n = w.left();
            if n > 0 {
                p.push(w.bytes(n, what)?);
            }
            Ok(())
        })
    }

    /// A length-prefixed list of one-byte codes (compression methods,
    /// point formats, PSK modes).
    fn codes(&mut self, prefix: usize, what: What) -> Result<Field, Short> {
        self.vector(prefix, what, Value::None, |w, p| {
            while w.left() > 0 {
                let (at, c) = w.uint(1)?;
                p.push(leaf(at, 1, what, Value::Code(c as u8)));
            }
            Ok(())
        })
    }

    /// A length-prefixed list of two-byte values (suites, groups,
    /// schemes, versions), each typed by `value`.
    fn u16s(&mut self, prefix: usize, what: What, value: fn(u16) -> Value) -> Result<Field, Short> {
        self.vector(prefix, what, Value::None, |w, p| {
            while w.left() > 0 {
                p.push(w.u16_as(what, value)?);
            }
            Ok(())
        })
    }
}

fn leaf(at: usize, len: usize, what: What, value: Value) -> Field {
    Field {
        at,
        len,
        what,
        value,
        parts: Vec::new(),
    }
}

/// Read `f`'s fields into `parts`; a short read marks the rest of the
/// container truncated (the container's own walk does that), so the
/// caller's tree is whole whatever happens.
fn fields(
    walk: &mut Walk<'_>,
    parts: &mut Vec<Field>,
    f: impl FnOnce(&mut Walk<'_>, &mut Vec<Field>) -> Result<(), Short>,
) {
    let len = walk.left();
    let _ = walk.within(len, parts, |w, p| f(w, p));
}

/// Annotate one whole TLS record (header and body). Handshake records are
/// opened message by message when they are cleartext (`sealed` false);
/// sealed ones show the header and the ciphertext.
pub fn record(bytes: &[u8], era: Era, sealed: bool) -> Field {
    let mut w = Walk::new(bytes);
    let mut parts = Vec::new();
    fields(&mut w, &mut parts, |w, p| {
        let (t, len) = header_parts(w, p)?;
        if w.left() < len {
            return Err(Short);
        }
        match (t, sealed) {
            (_, true) | (23, _) => p.push(w.bytes(len, What::Ciphertext)?),
            (20, _) => p.push(w.bytes(len, What::ChangeCipherSpec)?),
            (21, _) => p.push(w.bytes(len, What::Alert)?),
            (22, _) => {
                let start = w.pos;
                w.within(len, p, |w, p| {
                    while w.left() > 0 {
                        let at = w.pos;
                        let msg = handshake_at(w.bytes, at, w.end, era);
                        w.pos = at + msg.len;
                        p.push(msg);
                    }
                    Ok(())
                })?;
                debug_assert_eq!(w.pos, start + len);
            }
            _ => p.push(w.bytes(len, What::Data)?),
        }
        Ok(())
    });
    Field {
        at: 0,
        len: bytes.len(),
        what: What::Record,
        value: Value::None,
        parts,
    }
}

/// The three fields of a record header (content type, legacy version,
/// length) and the type and length they say.
fn header_parts(w: &mut Walk<'_>, p: &mut Vec<Field>) -> Result<(u64, usize), Short> {
    let (at, t) = w.uint(1)?;
    p.push(leaf(at, 1, What::ContentType, Value::ContentType(t as u8)));
    p.push(w.u16_as(What::RecordVersion, Value::Version)?);
    let (len_field, len) = w.number(2, What::RecordLength)?;
    p.push(len_field);
    Ok((t, len as usize))
}

/// Annotate a record header alone (the five bytes before a body that is
/// shown elsewhere, such as a sealed record whose plaintext the endpoints
/// read): its fields, or a truncated field for fewer than five bytes.
pub fn record_header(header: &[u8]) -> Vec<Field> {
    let mut w = Walk::new(header);
    let mut parts = Vec::new();
    fields(&mut w, &mut parts, |w, p| header_parts(w, p).map(|_| ()));
    parts
}

/// Annotate one handshake message: its 4-byte header and its body, as the
/// endpoints see it (decrypted, for the messages TLS 1.3 encrypts).
pub fn handshake(msg: &[u8], era: Era) -> Field {
    handshake_at(msg, 0, msg.len(), era)
}

/// The handshake message starting at `at` in `bytes`, not reaching past
/// `end`: as long as its header says, or up to `end` when it runs short
/// (marked truncated).
fn handshake_at(bytes: &[u8], at: usize, end: usize, era: Era) -> Field {
    let mut w = Walk {
        bytes,
        pos: at,
        end,
    };
    let mut parts = Vec::new();
    let mut msg_type = 0u8;
    if handshake_parts(&mut w, &mut parts, &mut msg_type, era).is_err() {
        // The header itself ran short, or the body is shorter than its
        // length: what is left is marked (nothing, when the body took it
        // all, which still says the message is cut).
        let from = parts.last().map_or(at, |f| f.at + f.len);
        let rest = w.end - from;
        parts.push(leaf(
            from,
            rest,
            What::Truncated,
            Value::Number(rest as u64),
        ));
        w.pos = w.end;
    }
    Field {
        at,
        len: w.pos - at,
        what: What::Handshake,
        value: Value::HandshakeType(msg_type),
        parts,
    }
}

fn handshake_parts(
    w: &mut Walk<'_>,
    p: &mut Vec<Field>,
    msg_type: &mut u8,
    era: Era,
) -> Result<(), Short> {
    let (t_at, t) = w.uint(1)?;
    *msg_type = t as u8;
    p.push(leaf(
        t_at,
        1,
        What::HandshakeType,
        Value::HandshakeType(*msg_type),
    ));
    let (len_field, len) = w.number(3, What::HandshakeLength)?;
    p.push(len_field);
    let len = len as usize;
    let body_len = len.min(w.left());
    let t = *msg_type;
    w.within(body_len, p, |w, p| body(w, p, t, era))?;
    if body_len < len {
        return Err(Short);
    }
    Ok(())
}

/// The body of a handshake message of type `t`.
fn body(w: &mut Walk<'_>, p: &mut Vec<Field>, t: u8, era: Era) -> Result<(), Short> {
    match t {
        1 => client_hello(w, p),
        2 => server_hello(w, p),
        4 => new_session_ticket(w, p, era),
        8 => {
            p.push(extensions(w, Side::Server)?);
            Ok(())
        }
        11 => certificate(w, p, era),
        12 => server_key_exchange(w, p),
        15 => {
            p.push(w.u16_as(What::SignatureScheme, Value::Scheme)?);
            p.push(w.opaque(2, What::Signature)?);
            Ok(())
        }
        16 => {
            let n = w.left();
            p.push(w.bytes(n, What::ExchangeKeys)?);
            Ok(())
        }
        20 => {
            let n = w.left();
            p.push(w.bytes(n, What::VerifyData)?);
            Ok(())
        }
        _ => {
            let n = w.left();
            if n > 0 {
                p.push(w.bytes(n, What::Data)?);
            }
            Ok(())
        }
    }
}

/// Who sent an extensions block: some extensions are laid out differently
/// by each side.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
    /// A HelloRetryRequest: key_share holds only the group.
    Retry,
}

fn client_hello(w: &mut Walk<'_>, p: &mut Vec<Field>) -> Result<(), Short> {
    p.push(w.u16_as(What::LegacyVersion, Value::Version)?);
    p.push(w.bytes(32, What::Random)?);
    p.push(session_id(w)?);
    p.push(w.vector(2, What::CipherSuites, Value::None, |w, p| {
        while w.left() > 0 {
            p.push(w.u16_as(What::CipherSuite, Value::Suite)?);
        }
        Ok(())
    })?);
    p.push(w.codes(1, What::Compression)?);
    if w.left() > 0 {
        p.push(extensions(w, Side::Client)?);
    }
    Ok(())
}

/// The random of a HelloRetryRequest (RFC 8446 §4.1.3).
const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

fn server_hello(w: &mut Walk<'_>, p: &mut Vec<Field>) -> Result<(), Short> {
    p.push(w.u16_as(What::LegacyVersion, Value::Version)?);
    let random = w.bytes(32, What::Random)?;
    let retry = random.value == Value::Bytes(HELLO_RETRY_REQUEST_RANDOM.to_vec());
    p.push(random);
    p.push(session_id(w)?);
    p.push(w.u16_as(What::CipherSuite, Value::Suite)?);
    let (at, c) = w.uint(1)?;
    p.push(leaf(at, 1, What::Compression, Value::Code(c as u8)));
    if w.left() > 0 {
        p.push(extensions(
            w,
            if retry { Side::Retry } else { Side::Server },
        )?);
    }
    Ok(())
}

fn session_id(w: &mut Walk<'_>) -> Result<Field, Short> {
    w.opaque(1, What::SessionId)
}

fn extensions(w: &mut Walk<'_>, side: Side) -> Result<Field, Short> {
    w.vector(2, What::Extensions, Value::None, |w, p| {
        while w.left() > 0 {
            let start = w.pos;
            let (at, t) = w.uint(2)?;
            let t = t as u16;
            let mut parts = vec![leaf(at, 2, What::ExtensionType, Value::ExtensionType(t))];
            let (len_field, len) = w.number(2, What::ExtensionLength)?;
            parts.push(len_field);
            w.within(len as usize, &mut parts, |w, p| extension(w, p, t, side))?;
            p.push(Field {
                at: start,
                len: w.pos - start,
                what: What::Extension,
                value: Value::ExtensionType(t),
                parts,
            });
        }
        Ok(())
    })
}

/// The data of one extension of type `t`.
fn extension(w: &mut Walk<'_>, p: &mut Vec<Field>, t: u16, side: Side) -> Result<(), Short> {
    match (t, side) {
        // A server's server_name is empty: it only says "I used it".
        (0, Side::Client) => {
            p.push(w.vector(2, What::ServerName, Value::None, |w, p| {
                while w.left() > 0 {
                    let start = w.pos;
                    let (at, kind) = w.uint(1)?;
                    let kind = leaf(at, 1, What::Data, Value::Code(kind as u8));
                    let (len_field, len) = w.number(2, What::ListLength)?;
                    let (name_at, name) = w.take(len as usize)?;
                    let name = Value::Text(String::from_utf8_lossy(name).into_owned());
                    p.push(Field {
                        at: start,
                        len: w.pos - start,
                        what: What::ServerName,
                        value: name.clone(),
                        parts: vec![
                            kind,
                            len_field,
                            leaf(name_at, len as usize, What::ServerName, name),
                        ],
                    });
                }
                Ok(())
            })?);
        }
        (10, _) => p.push(w.u16s(2, What::Group, Value::Group)?),
        (13 | 50, _) => p.push(w.u16s(2, What::SignatureScheme, Value::Scheme)?),
        (11, _) => {
            p.push(w.codes(1, What::PointFormat)?);
        }
        (16, _) => {
            p.push(w.vector(2, What::Protocol, Value::None, |w, p| {
                while w.left() > 0 {
                    let start = w.pos;
                    let (len_field, len) = w.number(1, What::ListLength)?;
                    let (name_at, name) = w.take(len as usize)?;
                    let name = Value::Text(String::from_utf8_lossy(name).into_owned());
                    p.push(Field {
                        at: start,
                        len: w.pos - start,
                        what: What::Protocol,
                        value: name.clone(),
                        parts: vec![len_field, leaf(name_at, len as usize, What::Protocol, name)],
                    });
                }
                Ok(())
            })?);
        }
        (43, Side::Client) => {
            p.push(w.u16s(1, What::Version, Value::Version)?);
        }
        (43, _) => p.push(w.u16_as(What::Version, Value::Version)?),
        (45, _) => {
            p.push(w.codes(1, What::PskMode)?);
        }
        (51, Side::Client) => {
            p.push(w.vector(2, What::KeyShareEntry, Value::None, |w, p| {
                while w.left() > 0 {
                    p.push(key_share_entry(w)?);
                }
                Ok(())
            })?);
        }
        (51, Side::Server) => p.push(key_share_entry(w)?),
        (51, Side::Retry) => p.push(w.u16_as(What::Group, Value::Group)?),
        (21, _) => {
            let n = w.left();
            p.push(w.bytes(n, What::Padding)?);
        }
        _ => {
            let n = w.left();
            if n > 0 {
                p.push(w.bytes(n, What::Data)?);
            }
        }
    }
    Ok(())
}

fn key_share_entry(w: &mut Walk<'_>) -> Result<Field, Short> {
    let start = w.pos;
    let (at, g) = w.uint(2)?;
    let group = g as u16;
    let mut parts = vec![leaf(at, 2, What::Group, Value::Group(group))];
    parts.push(w.opaque(2, What::PublicKey)?);
    Ok(Field {
        at: start,
        len: w.pos - start,
        what: What::KeyShareEntry,
        value: Value::Group(group),
        parts,
    })
}

fn certificate(w: &mut Walk<'_>, p: &mut Vec<Field>, era: Era) -> Result<(), Short> {
    if era == Era::Tls13 {
        p.push(w.opaque(1, What::CertificateContext)?);
    }
    p.push(w.vector(3, What::CertificateList, Value::None, |w, p| {
        while w.left() > 0 {
            let start = w.pos;
            let (len_field, len) = w.number(3, What::ListLength)?;
            let (der_at, der) = w.take(len as usize)?;
            let mut parts = vec![len_field];
            parts.extend(certificate_fields(der_at, der));
            p.push(Field {
                at: start,
                len: w.pos - start,
                what: What::Certificate,
                value: Value::Number(len),
                parts,
            });
            // TLS 1.3 gives each certificate its own extensions.
            if era == Era::Tls13 {
                p.push(extensions(w, Side::Server)?);
            }
        }
        Ok(())
    })?);
    Ok(())
}

/// The fields of a DER certificate at `at`, read with x509-parser: the
/// issuer, the validity, the subject, the public key, the alternative
/// names and the signature, each where it lies in the DER (found from the
/// slices x509-parser hands back), with the DER structure between them as
/// data. A certificate that does not parse is one data field.
fn certificate_fields(at: usize, der: &[u8]) -> Vec<Field> {
    use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};
    let whole = vec![leaf(at, der.len(), What::Data, Value::Bytes(der.to_vec()))];
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return whole;
    };
    // Where a slice x509-parser returned lies in `der`.
    let place = |slice: &[u8]| -> Option<(usize, usize)> {
        let start = (slice.as_ptr() as usize).checked_sub(der.as_ptr() as usize)?;
        (start + slice.len() <= der.len()).then_some((start, slice.len()))
    };
    let mut found: Vec<(usize, usize, What, Value)> = Vec::new();
    let issuer = place(cert.issuer().as_raw());
    let subject = place(cert.subject().as_raw());
    if let Some((i, n)) = issuer {
        found.push((i, n, What::Issuer, Value::Text(cert.issuer().to_string())));
    }
    if let Some((i, n)) = subject {
        found.push((i, n, What::Subject, Value::Text(cert.subject().to_string())));
    }
    // The validity lies between the issuer and the subject (RFC 5280
    // §4.1: issuer, validity, subject).
    if let (Some((i, n)), Some((s, _))) = (issuer, subject)
        && i + n < s
    {
        let v = cert.validity();
        found.push((
            i + n,
            s - (i + n),
            What::Validity,
            Value::Text(format!("{} – {}", v.not_before, v.not_after)),
        ));
    }
    let key = cert.public_key();
    if let Some((i, n)) = place(key.raw) {
        found.push((
            i,
            n,
            What::KeyType,
            Value::Text(oid_name(&key.algorithm.algorithm)),
        ));
    }
    let san = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => Some((e.value, san)),
            _ => None,
        });
    if let Some((raw, san)) = san
        && let Some((i, n)) = place(raw)
    {
        let names: Vec<String> = san
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => format!("DNS:{d}"),
                GeneralName::IPAddress(ip) => match *ip {
                    [a, b, c, d] => format!("IP:{}", std::net::Ipv4Addr::new(*a, *b, *c, *d)),
                    _ => match <[u8; 16]>::try_from(*ip) {
                        Ok(v6) => format!("IP:{}", std::net::Ipv6Addr::from(v6)),
                        Err(_) => format!("IP:{}", hex::encode(ip)),
                    },
                },
                other => format!("{other:?}"),
            })
            .collect();
        found.push((i, n, What::AltNames, Value::Text(names.join(", "))));
    }
    if let Some((i, n)) = place(&cert.signature_value.data) {
        found.push((
            i,
            n,
            What::CertSignature,
            Value::Text(oid_name(&cert.signature_algorithm.algorithm)),
        ));
    }
    found.sort_by_key(|f| f.0);
    let mut out = Vec::new();
    let mut pos = 0;
    for (start, len, what, value) in found {
        if start < pos {
            // Overlaps what is already placed: x509-parser's slices do not,
            // but a hand-made certificate might nest oddly.
            continue;
        }
        if start > pos {
            out.push(leaf(
                at + pos,
                start - pos,
                What::Data,
                Value::Bytes(der[pos..start].to_vec()),
            ));
        }
        out.push(leaf(at + start, len, what, value));
        pos = start + len;
    }
    if pos < der.len() {
        out.push(leaf(
            at + pos,
            der.len() - pos,
            What::Data,
            Value::Bytes(der[pos..].to_vec()),
        ));
    }
    out
}

/// The registered name of an object identifier, or its dotted form.
fn oid_name(oid: &x509_parser::oid_registry::Oid<'_>) -> String {
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn new_session_ticket(w: &mut Walk<'_>, p: &mut Vec<Field>, era: Era) -> Result<(), Short> {
    p.push(w.number(4, What::TicketLifetime)?.0);
    if era == Era::Tls13 {
        p.push(w.bytes(4, What::TicketAgeAdd)?);
        p.push(w.opaque(1, What::TicketNonce)?);
    }
    p.push(w.opaque(2, What::Ticket)?);
    if era == Era::Tls13 {
        p.push(extensions(w, Side::Server)?);
    }
    Ok(())
}

/// TLS 1.2's ECDHE parameters: curve type (3, named curve), the curve,
/// the server's ephemeral key, and its signature over them.
fn server_key_exchange(w: &mut Walk<'_>, p: &mut Vec<Field>) -> Result<(), Short> {
    let (at, c) = w.uint(1)?;
    p.push(leaf(at, 1, What::CurveType, Value::Code(c as u8)));
    if c != 3 {
        let n = w.left();
        p.push(w.bytes(n, What::Data)?);
        return Ok(());
    }
    p.push(w.u16_as(What::Group, Value::Group)?);
    p.push(w.opaque(1, What::PublicKey)?);
    if w.left() > 0 {
        p.push(w.u16_as(What::SignatureScheme, Value::Scheme)?);
        p.push(w.opaque(2, What::Signature)?);
    }
    Ok(())
}

#[cfg(test)]
#[path = "annotate_tests.rs"]
mod tests;
