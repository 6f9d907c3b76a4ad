//! The client pane's model: the conversation as the client saw it, and
//! the decoding of fetched messages (MIME, encoded words, charsets) into
//! the headers, text and attachments a mail client would show.

use crate::lab::{ClientEvent, DemoStep, Status};
use crate::tui::highlight::{self, Highlighted};
use crate::tui::text;

/// One line of the client pane, as a value the pane words when it draws.
/// Text that came from another party (a status line, a user name, an
/// error) has already been made visible here.
#[derive(Debug, Clone)]
pub enum ClientLine {
    /// A step of a scripted run began.
    Step(DemoStep),
    /// What happened to the client (connecting, TLS, the login, a
    /// refusal), kept as the typed event and worded when drawn by
    /// [`crate::lab::describe::client_lines`], the wording `demo` uses too.
    Event(ClientEvent),
    /// A line the client sent (password masked).
    Sent(String),
    /// A +OK status line.
    Ok(String),
    /// A -ERR status line.
    Err(String),
    /// A decoded header of a fetched message, syntax coloured when the
    /// message arrived so drawing it costs nothing.
    Header(Highlighted),
    /// A body line.
    Body(String),
    /// An attachment of a fetched message.
    Attachment {
        /// Its file name, if it has one.
        name: Option<String>,
        /// Its media type.
        content_type: String,
        /// Its size in bytes.
        size: usize,
    },
}

/// The client pane's model.
#[derive(Debug, Clone, Default)]
pub struct ClientModel {
    /// The conversation, oldest first.
    pub lines: Vec<ClientLine>,
    /// The last line the client sent, which says how to show the body of
    /// the next reply (a RETR or TOP reply is a message to decode).
    last_sent: String,
}

impl ClientModel {
    /// A step of a scripted run began.
    pub fn step(&mut self, step: DemoStep) {
        self.lines.push(ClientLine::Step(step));
    }

    /// Fold one client event into the conversation.
    pub fn apply(&mut self, c: ClientEvent) {
        match c {
            ClientEvent::Sent { line } => {
                self.last_sent = line.clone();
                self.lines.push(ClientLine::Sent(text::sanitize(&line)));
            }
            ClientEvent::Received {
                status, text, body, ..
            } => {
                let line = text::sanitize(&status.line(&text));
                self.lines.push(match status {
                    Status::Err => ClientLine::Err(line),
                    _ => ClientLine::Ok(line),
                });
                if let Some(body) = body {
                    let verb = self
                        .last_sent
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    if verb == "RETR" || verb == "TOP" {
                        self.lines.extend(decode_message(body.as_bytes()));
                    } else {
                        self.lines
                            .extend(body.lines().map(|l| ClientLine::Body(text::sanitize(l))));
                    }
                }
            }
            // Every other event is worded when drawn, in the language of
            // the moment; its text from outside is sanitised there.
            other => self.lines.push(ClientLine::Event(other)),
        }
    }

    /// Forget the conversation, for a fresh lab.
    pub fn clear(&mut self) {
        *self = ClientModel::default();
    }
}

/// Mask what follows PASS (and an AUTH PLAIN initial response) the way
/// the client pane shows its own lines.
pub fn mask_secret(line: &str) -> String {
    let upper = line.to_ascii_uppercase();
    for prefix in ["PASS ", "AUTH PLAIN "] {
        if upper.starts_with(prefix) {
            let rest = line[prefix.len()..].chars().count();
            return format!("{}{}", &line[..prefix.len()], "•".repeat(rest));
        }
    }
    line.to_string()
}

/// A fetched message, decoded by [`crate::pop3::message::decode`]: the
/// main headers (encoded words and charsets such as ISO-2022-JP decoded,
/// then syntax coloured), the text and the attachments.
pub fn decode_message(raw: &[u8]) -> Vec<ClientLine> {
    let m = crate::pop3::message::decode(raw);
    let mut out = Vec::new();
    for (name, value) in [
        ("From", &m.from),
        ("To", &m.to),
        ("Cc", &m.cc),
        ("Date", &m.date),
        ("Subject", &m.subject),
    ] {
        if let Some(v) = value {
            out.push(ClientLine::Header(highlight::header(
                name,
                &text::sanitize(v),
            )));
        }
    }
    // The blank line separates headers from the text, as in the message
    // itself; something that was not a message at all has nothing to
    // separate.
    if !out.is_empty() {
        out.push(ClientLine::Body(String::new()));
    }
    if let Some(body) = &m.text {
        out.extend(body.lines().map(|l| ClientLine::Body(text::sanitize(l))));
    }
    if !m.attachments.is_empty() {
        out.push(ClientLine::Body(String::new()));
    }
    for a in &m.attachments {
        out.push(ClientLine::Attachment {
            name: a.name.as_deref().map(text::sanitize),
            content_type: text::sanitize(&a.content_type),
            size: a.size,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(status: &str, body: &str) -> ClientEvent {
        ClientEvent::Received {
            status: crate::lab::Status::Ok,
            text: status.trim_start_matches("+OK").trim_start().into(),
            body: Some(body.into()),
            body_len: Some(body.len()),
        }
    }

    #[test]
    fn a_retr_reply_is_decoded_as_a_message_and_a_list_is_not() {
        let mut m = ClientModel::default();
        m.apply(ClientEvent::Sent {
            line: "retr 1".into(),
        });
        m.apply(received(
            "+OK 40 octets",
            "Subject: =?UTF-8?B?5p2l6YCx?=\r\n\r\nhello\r\n",
        ));
        assert!(
            matches!(&m.lines[2], ClientLine::Header(h) if h.text() == "Subject: 来週"),
            "{:?}",
            m.lines
        );
        assert!(
            matches!(m.lines.last(), Some(ClientLine::Body(b)) if b == "hello"),
            "{:?}",
            m.lines
        );
        m.apply(ClientEvent::Sent {
            line: "LIST".into(),
        });
        m.apply(received("+OK 1 message", "Subject: not a header\r\n"));
        assert!(
            matches!(m.lines.last(), Some(ClientLine::Body(b)) if b == "Subject: not a header"),
            "{:?}",
            m.lines
        );
    }

    #[test]
    fn what_another_party_chose_is_made_visible() {
        let mut m = ClientModel::default();
        m.apply(ClientEvent::LoggedIn {
            user: "al\x1bice".into(),
            method: crate::lab::AuthMethod::Apop,
        });
        let ClientLine::Event(e) = &m.lines[0] else {
            panic!("{:?}", m.lines)
        };
        for lang in crate::lang::Lang::ALL {
            let words = crate::lab::describe::client_lines(e, lang);
            assert!(
                words.iter().any(|(_, w)| w.contains("al^[ice")),
                "{words:?}"
            );
        }
    }

    #[test]
    fn an_attachment_keeps_its_name_type_and_size_as_values() {
        let raw = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\nAAAA\r\n--B--\r\n";
        let lines = decode_message(raw);
        assert!(
            matches!(
                lines.last(),
                Some(ClientLine::Attachment { name: None, content_type, .. })
                    if content_type == "image/png"
            ),
            "{lines:?}"
        );
    }
}
