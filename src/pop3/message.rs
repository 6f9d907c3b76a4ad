//! Decoding a fetched message for people to read.
//!
//! RETR hands back the message as it travelled: headers with RFC 2047
//! encoded words (`=?ISO-2022-JP?B?...?=`), bodies in quoted-printable or
//! base64, text in whatever charset the sender chose, attachments nested in
//! MIME multiparts. [`decode`] turns that into what a mail client shows:
//! decoded headers, the text of the message and a list of attachments. The
//! MIME work is done by `mail-parser` (with its full set of charsets, so
//! ISO-2022-JP, Shift_JIS, KOI8-R and the like come out as Unicode); this
//! module only chooses what to show and how to spell it.
//!
//! The input comes from a server, so it is untrusted: [`decode`] never
//! panics and never fails. Whatever cannot be parsed is left out or shown
//! as it was, so a damaged message still shows what can be read.

use std::borrow::Cow;

use mail_parser::{
    Address, ContentType, Header, HeaderName, HeaderValue, MessageParser, MimeHeaders as _,
};

/// One attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name from Content-Disposition or Content-Type, decoded.
    pub name: Option<String>,
    /// The media type in lower case, such as `image/png`.
    pub content_type: String,
    /// The size in bytes after the transfer encoding has been undone, i.e.
    /// the size of the file the user would save.
    pub size: usize,
}

/// A message as a mail client shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodedMessage {
    /// Every header of the message (not of its MIME parts), in order, as
    /// (name, decoded value). Folded lines are joined, encoded words are
    /// decoded, addresses keep their display names.
    pub headers: Vec<(String, String)>,
    /// The first From header, decoded.
    pub from: Option<String>,
    /// The first To header, decoded.
    pub to: Option<String>,
    /// The first Cc header, decoded.
    pub cc: Option<String>,
    /// The first Subject header, decoded.
    pub subject: Option<String>,
    /// The first Date header, as written.
    pub date: Option<String>,
    /// The text to read: the first text/plain body decoded from its
    /// transfer encoding and charset, or, for a message with HTML only, the
    /// HTML with its tags stripped. Line ends are `\n`.
    pub text: Option<String>,
    /// The attachments, in the order they appear.
    pub attachments: Vec<Attachment>,
}

impl DecodedMessage {
    /// The decoded value of the first header called `name` (in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes a message as RETR returns it (CRLF or LF line ends both work).
///
/// Never panics. Input with no recognisable header is returned as text,
/// lossily converted to UTF-8, so that the user still sees it.
pub fn decode(raw: &[u8]) -> DecodedMessage {
    // `default_header_text` makes mail-parser decode encoded words in
    // headers it has no dedicated parser for (X-Mailer, Thread-Topic, ...),
    // which by default it would leave as raw text.
    let parser = MessageParser::new().default_header_text();
    let Some(message) = parser.parse(raw) else {
        return DecodedMessage {
            text: (!raw.is_empty()).then(|| normalise_newlines(&String::from_utf8_lossy(raw))),
            ..DecodedMessage::default()
        };
    };

    let headers: Vec<(String, String)> = message
        .headers()
        .iter()
        .map(|h| (h.name().to_owned(), header_value(h, raw)))
        .collect();
    let first = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };

    let text = message.body_text(0).map(|t| normalise_newlines(&t));

    let attachments = message
        .attachments()
        .map(|part| Attachment {
            name: part.attachment_name().map(str::to_owned),
            // RFC 2045 section 5.2: a part without Content-Type is text/plain.
            content_type: part
                .content_type()
                .map_or_else(|| "text/plain".to_owned(), media_type),
            size: part.contents().len(),
        })
        .collect();

    DecodedMessage {
        from: first("From"),
        to: first("To"),
        cc: first("Cc"),
        subject: first("Subject"),
        date: first("Date"),
        headers,
        text,
        attachments,
    }
}

/// One header's value for display.
///
/// Headers whose parsed form loses something a reader wants (the angle
/// brackets of message IDs, the comments and original zone of a date, the
/// whole of a Received trace) are shown as written, only unfolded; the
/// others are shown decoded, since that is where encoded words live.
fn header_value(header: &Header<'_>, raw: &[u8]) -> String {
    let as_written = matches!(
        header.name,
        HeaderName::Date
            | HeaderName::ResentDate
            | HeaderName::Received
            | HeaderName::MessageId
            | HeaderName::InReplyTo
            | HeaderName::References
            | HeaderName::ResentMessageId
            | HeaderName::ReturnPath
    );
    if as_written && let Some(text) = raw_value(header, raw) {
        return text;
    }
    match header.value() {
        HeaderValue::Text(text) => text.to_string(),
        HeaderValue::TextList(list) => list.join(", "),
        HeaderValue::Address(address) => format_address(address),
        HeaderValue::DateTime(date) => date.to_rfc822(),
        HeaderValue::ContentType(ct) => format_content_type(ct),
        HeaderValue::Received(_) | HeaderValue::Empty => raw_value(header, raw).unwrap_or_default(),
    }
}

/// The header's value as it appears in the message, unfolded and trimmed.
/// `None` if the offsets mail-parser reported do not fit the input.
fn raw_value(header: &Header<'_>, raw: &[u8]) -> Option<String> {
    let bytes = raw.get(header.offset_start() as usize..header.offset_end() as usize)?;
    let text = String::from_utf8_lossy(bytes);
    // Unfolding (RFC 5322 section 2.2.3) removes the line breaks; the
    // whitespace that starts each continuation line stays as one space.
    let unfolded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(unfolded)
}

/// An address list as a person writes it: `Name <addr>, other@addr`, and
/// groups as `Group: a, b;`.
fn format_address(address: &Address<'_>) -> String {
    fn one(addr: &mail_parser::Addr<'_>) -> String {
        match (&addr.name, &addr.address) {
            (Some(name), Some(email)) => format!("{} <{email}>", quote_name(name)),
            (Some(name), None) => name.to_string(),
            (None, Some(email)) => email.to_string(),
            (None, None) => String::new(),
        }
    }
    match address {
        Address::List(list) => list.iter().map(one).collect::<Vec<_>>().join(", "),
        Address::Group(groups) => groups
            .iter()
            .map(|g| {
                let members = g.addresses.iter().map(one).collect::<Vec<_>>().join(", ");
                match &g.name {
                    Some(name) => format!("{name}: {members};"),
                    None => members,
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A display name, in quotes when it holds a character that would make the
/// list ambiguous to read back (a comma in "Doe, John", for instance).
fn quote_name(name: &str) -> Cow<'_, str> {
    if name.contains([',', ';', '<', '>', '"', '@', ':']) {
        Cow::Owned(format!(
            "\"{}\"",
            name.replace('\\', "\\\\").replace('"', "\\\"")
        ))
    } else {
        Cow::Borrowed(name)
    }
}

/// `type/subtype` in lower case.
fn media_type(ct: &ContentType<'_>) -> String {
    let mut s = ct.ctype().to_ascii_lowercase();
    if let Some(sub) = ct.subtype() {
        s.push('/');
        s.push_str(&sub.to_ascii_lowercase());
    }
    s
}

/// A Content-Type or Content-Disposition with its parameters, decoded
/// (RFC 2231 file names included).
fn format_content_type(ct: &ContentType<'_>) -> String {
    let mut s = if ct.subtype().is_some() {
        media_type(ct)
    } else {
        // Content-Disposition has a single word ("attachment"), which
        // mail-parser stores as the type.
        ct.ctype().to_ascii_lowercase()
    };
    for attr in ct.attributes().unwrap_or_default() {
        s.push_str("; ");
        s.push_str(&attr.name);
        s.push_str("=\"");
        s.push_str(&attr.value.replace('"', "\\\""));
        s.push('"');
    }
    s
}

/// CRLF and lone CR become LF, so that the text prints the same on every
/// terminal and compares easily in tests.
fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn demo(n: usize) -> Vec<u8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maildir/alice/cur");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        std::fs::read(&files[n - 1]).unwrap()
    }

    #[test]
    fn utf8_welcome_from_and_subject() {
        let m = decode(&demo(1));
        assert_eq!(m.from.as_deref(), Some("Ada Quill <quill@popscope.test>"));
        assert_eq!(m.to.as_deref(), Some("Alice <alice@popscope.test>"));
        assert_eq!(m.subject.as_deref(), Some("Welcome to the popscope lab"));
        assert_eq!(m.date.as_deref(), Some("Wed, 26 Nov 2025 23:59:00 +0000"));
        assert_eq!(m.cc, None);
        assert!(m.text.as_deref().unwrap().contains("coffee ☕"));
        assert!(m.attachments.is_empty());
        // Headers keep their order, duplicates included.
        let names: Vec<&str> = m.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            &names[..4],
            ["Return-Path", "Delivered-To", "Received", "Received"]
        );
        assert_eq!(
            m.header("message-id"),
            Some("<welcome.1764201600@popscope.test>")
        );
        assert!(
            m.header("Received")
                .unwrap()
                .starts_with("from mx1.popscope.test")
        );
    }

    #[test]
    fn iso_2022_jp_headers_and_body() {
        let m = decode(&demo(2));
        assert_eq!(
            m.subject.as_deref(),
            Some("来週のクラスミーティングについて")
        );
        assert_eq!(m.from.as_deref(), Some("田中 先生 <tanaka@example.net>"));
        let text = m.text.clone().unwrap();
        assert!(text.starts_with("アリスさん\n"), "{text}");
        assert!(text.contains("クラスミーティングを開きます"), "{text}");
        // No escape sequence of ISO-2022-JP survives the decoding.
        assert!(!text.contains('\u{1b}'));
        assert_eq!(
            m.header("Content-Type"),
            Some("text/plain; charset=\"ISO-2022-JP\"")
        );
    }

    #[test]
    fn dots_are_plain_text() {
        let m = decode(&demo(3));
        let text = m.text.unwrap();
        assert!(text.contains("\n.hidden\n..\n.\n. leading dot\n"), "{text}");
    }

    #[test]
    fn multipart_with_png_attachment() {
        let m = decode(&demo(4));
        assert_eq!(
            m.attachments,
            vec![Attachment {
                name: Some("lab-photo.png".into()),
                content_type: "image/png".into(),
                size: 150_874,
            }]
        );
        // The text is the text/plain part, not the preamble or the base64.
        let text = m.text.unwrap();
        assert!(text.starts_with("Hi Alice,"), "{text}");
        assert!(!text.contains("iVBORw0KGgo"));
    }

    #[test]
    fn quoted_printable_em_dash() {
        let m = decode(&demo(6));
        assert_eq!(
            m.subject.as_deref(),
            Some("Password reuse — one site, one password")
        );
        let text = m.text.unwrap();
        assert!(text.contains("the path — the café Wi-Fi"), "{text}");
        // Soft line breaks are joined.
        assert!(text.contains("crosses the network"), "{text}");
        assert!(text.contains("not naïve."), "{text}");
    }

    #[test]
    fn headers_only_message() {
        let m = decode(&demo(8));
        assert!(m.subject.is_some());
        assert!(m.text.as_deref().unwrap_or("").trim().is_empty());
    }

    #[test]
    fn html_only_is_stripped() {
        let raw = b"From: a@b\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hello <b>there</b></p></body></html>\r\n";
        let m = decode(raw);
        let text = m.text.unwrap();
        assert!(text.contains("Hello there"), "{text:?}");
        assert!(!text.contains('<'));
    }

    #[test]
    fn garbage_gives_what_can_be_read() {
        assert_eq!(decode(b""), DecodedMessage::default());
        let m = decode(b"\xff\xfe not a message at all");
        assert!(m.text.is_some() || !m.headers.is_empty());
        // A header block cut off in the middle still yields the headers.
        let m = decode(b"Subject: =?UTF-8?Q?caf=C3=A9?=\r\nFrom: x@");
        assert_eq!(m.subject.as_deref(), Some("café"));
    }

    #[test]
    fn rfc2231_attachment_name() {
        let raw = b"From: a@b\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nbody\r\n--XX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n\r\nAAAA\r\n--XX--\r\n";
        let m = decode(raw);
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].name.as_deref(), Some("résumé.pdf"));
        assert_eq!(m.attachments[0].content_type, "application/pdf");
        assert_eq!(m.attachments[0].size, 3);
        assert_eq!(m.text.as_deref(), Some("body"));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode(&raw);
        }

        #[test]
        fn mail_like_bytes_never_panic(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(&b"\r\n"[..]), Just(&b": "[..]), Just(&b"=?"[..]), Just(&b"?="[..]),
                    Just(&b"?B?"[..]), Just(&b"?Q?"[..]), Just(&b"Content-Type: multipart/mixed; boundary=b\r\n"[..]),
                    Just(&b"--b\r\n"[..]), Just(&b"--b--"[..]), Just(&b"Content-Transfer-Encoding: base64\r\n"[..]),
                    Just(&b"Content-Transfer-Encoding: quoted-printable\r\n"[..]), Just(&b"charset=iso-2022-jp"[..]),
                    Just(&b"\x1b$B"[..]), Just(&b"=E2=80"[..]), Just(&b"Subject"[..]), Just(&b"\xff"[..]),
                ],
                0..64,
            )
        ) {
            let raw: Vec<u8> = parts.concat();
            let _ = decode(&raw);
        }
    }
}
