//! Just enough DER (X.690) to read who a certificate names: the issuer and
//! subject of an X.509 certificate (RFC 5280 §4.1).
//!
//! A full X.509 parser would be a dependency and far more than the lab
//! needs; the eavesdropper only wants to show whose certificate crossed the
//! wire. Every step checks lengths, and anything unexpected turns the name
//! into `<undecodable>` instead of an error, because a certificate the lab
//! cannot read is still worth a line in the transcript.

use serde::Serialize;

/// What the transcript shows of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    /// The subject's CN and O attributes, e.g. `CN=localhost,O=Example`.
    pub subject: String,
    /// The issuer's CN and O attributes.
    pub issuer: String,
}

/// Shown for a name that could not be read.
pub const UNDECODABLE: &str = "<undecodable>";

/// The object identifier bytes of commonName (2.5.4.3).
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
/// The object identifier bytes of organizationName (2.5.4.10).
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];

const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
const TAG_INTEGER: u8 = 0x02;
const TAG_OID: u8 = 0x06;
const TAG_VERSION: u8 = 0xa0;

/// Summarise one DER certificate; never fails.
pub fn summarize(cert: &[u8]) -> CertSummary {
    match names(cert) {
        Some((issuer, subject)) => CertSummary {
            subject: render_name(subject),
            issuer: render_name(issuer),
        },
        None => CertSummary {
            subject: UNDECODABLE.to_string(),
            issuer: UNDECODABLE.to_string(),
        },
    }
}

/// Split off one tag-length-value: (tag, contents, rest). Only the forms
/// a certificate uses are accepted: single-byte tags and definite lengths of
/// at most four length bytes (no certificate needs more than 4 GiB).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// One element that must have the given tag.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, contents, rest) = tlv(input)?;
    (t == tag).then_some((contents, rest))
}

/// The DER of the issuer and subject Names of a certificate.
fn names(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (certificate, _) = expect(cert, TAG_SEQUENCE)?;
    let (tbs, _) = expect(certificate, TAG_SEQUENCE)?;
    let mut rest = tbs;
    // The version is an optional explicit [0]; v1 certificates omit it.
    if let Some((TAG_VERSION, _, after)) = tlv(rest) {
        rest = after;
    }
    let (_serial, rest) = expect(rest, TAG_INTEGER)?;
    let (_signature, rest) = expect(rest, TAG_SEQUENCE)?;
    let (issuer, rest) = expect(rest, TAG_SEQUENCE)?;
    let (_validity, rest) = expect(rest, TAG_SEQUENCE)?;
    let (subject, _) = expect(rest, TAG_SEQUENCE)?;
    Some((issuer, subject))
}

/// Render a Name's CN and O attributes as `CN=..,O=..` (CNs first, since
/// that is what a reader looks for), or `<undecodable>`.
fn render_name(name: &[u8]) -> String {
    let Some(attributes) = attributes(name) else {
        return UNDECODABLE.to_string();
    };
    let mut parts = Vec::new();
    for (label, oid) in [("CN", OID_CN), ("O", OID_O)] {
        for (attr_oid, value) in &attributes {
            if *attr_oid == oid {
                parts.push(format!("{label}={value}"));
            }
        }
    }
    if parts.is_empty() {
        // A name can legitimately lack both (only C, or only a SAN); say so
        // rather than show an empty string.
        return "<no CN or O>".to_string();
    }
    parts.join(",")
}

/// Every (OID, value) of a Name: a SEQUENCE OF SET OF AttributeTypeAndValue.
fn attributes(name: &[u8]) -> Option<Vec<(&[u8], String)>> {
    let mut out = Vec::new();
    let mut rdns = name;
    while !rdns.is_empty() {
        let (set, rest) = expect(rdns, TAG_SET)?;
        rdns = rest;
        let mut atvs = set;
        while !atvs.is_empty() {
            let (atv, rest) = expect(atvs, TAG_SEQUENCE)?;
            atvs = rest;
            let (oid, value) = expect(atv, TAG_OID)?;
            let (tag, contents, _) = tlv(value)?;
            out.push((oid, string_value(tag, contents)?));
        }
    }
    Some(out)
}

/// Decode a directory string. Unknown string types are read as UTF-8 with
/// replacement characters: the value is shown, not trusted.
fn string_value(tag: u8, contents: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString.
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => Some(String::from_utf8_lossy(contents).into_owned()),
        // TeletexString: in practice Latin-1.
        0x14 => Some(contents.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16BE.
        0x1e => {
            if !contents.len().is_multiple_of(2) {
                return None;
            }
            let units = contents
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            Some(
                char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect(),
            )
        }
        // UniversalString: UTF-32BE.
        0x1c => {
            if !contents.len().is_multiple_of(4) {
                return None;
            }
            Some(
                contents
                    .chunks_exact(4)
                    .map(|c| {
                        char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                            .unwrap_or(char::REPLACEMENT_CHARACTER)
                    })
                    .collect(),
            )
        }
        _ => Some(String::from_utf8_lossy(contents).into_owned()),
    }
}
