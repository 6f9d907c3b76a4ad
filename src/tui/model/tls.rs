//! The TLS pane's model: the handshake as the wire carried it, what the
//! client negotiated and checked, and the secrets it derived.

use crate::lab::{ClientEvent, Side, TlsEvent, TlsFailure, Trust, WireEvent};
use crate::tls::SessionSummary;
use crate::wire::Direction;
use crate::wire::dissect::Item;
use crate::wire::tls::{ContentType, Handshake};

use crate::tui::text;

/// One step of the handshake timeline, kept as what crossed so the pane
/// can word it in the learner's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsStep {
    /// A handshake message the wire carried in clear.
    Handshake(Handshake),
    /// An alert.
    Alert {
        /// Level 2 (fatal) rather than 1 (warning).
        fatal: bool,
        /// The alert's number.
        description: u8,
        /// Inside an encrypted record, so neither of the above is known.
        encrypted: bool,
    },
    /// The first encrypted application data in this direction.
    AppData,
}

impl TlsStep {
    /// The step as an alert, from an alert item's fields.
    pub fn alert(level: u8, description: u8, encrypted: bool) -> TlsStep {
        TlsStep::Alert {
            fatal: level == 2,
            description,
            encrypted,
        }
    }
}

/// The TLS pane's model.
#[derive(Debug, Clone, Default)]
pub struct TlsModel {
    /// Handshake steps as seen on the wire, with their direction.
    pub timeline: Vec<(Direction, TlsStep)>,
    /// Negotiated parameters, from the client.
    pub params: Option<SessionSummary>,
    /// The server's chain (subject, issuer), leaf first.
    pub chain: Vec<(String, String)>,
    /// What the certificate was checked against.
    pub verification: Option<Trust>,
    /// Why the handshake failed (worded when drawn).
    pub failed: Option<TlsFailure>,
    /// Secrets the client derived: label and hex.
    pub secrets: Vec<(String, String)>,
    /// Where each connection's part of the timeline starts: the index of
    /// its first step and the connection's number, so successive
    /// handshakes are drawn apart.
    pub starts: Vec<(usize, u64)>,
    app_data: [bool; 2],
}

impl TlsModel {
    /// Note that what follows on the timeline belongs to connection
    /// `conn`: a new connection starts a new part, with its own first
    /// application data in each direction.
    fn connection(&mut self, conn: u64) {
        if self.starts.last().map(|(_, c)| *c) != Some(conn) {
            self.starts.push((self.timeline.len(), conn));
            self.app_data = [false; 2];
        }
    }

    /// Fold what the eavesdropper decoded: handshake messages, alerts and
    /// the first application data each way.
    pub fn apply_wire(&mut self, w: &WireEvent) {
        let WireEvent::Seen { conn, item } = w else {
            return;
        };
        match item {
            Item::TlsRecord {
                dir,
                header,
                encrypted,
                ..
            } => {
                self.connection(*conn);
                if *encrypted && header.content_type == ContentType::ApplicationData {
                    let i = usize::from(*dir == Direction::ServerToClient);
                    if !self.app_data[i] {
                        self.app_data[i] = true;
                        self.timeline.push((*dir, TlsStep::AppData));
                    }
                }
            }
            Item::TlsHandshake { dir, message, .. } => {
                self.connection(*conn);
                self.timeline
                    .push((*dir, TlsStep::Handshake(message.clone())));
            }
            Item::TlsAlert {
                dir,
                level,
                description,
                encrypted,
            } => {
                self.connection(*conn);
                self.timeline
                    .push((*dir, TlsStep::alert(*level, *description, *encrypted)));
            }
            _ => {}
        }
    }

    /// Fold what the client negotiated, checked or failed at.
    pub fn apply_client(&mut self, c: &ClientEvent) {
        match c {
            ClientEvent::TlsEstablished {
                summary,
                chain,
                trust,
                ..
            } => {
                self.params = Some(summary.clone());
                // Names in a certificate are whatever its maker wrote.
                self.chain = chain
                    .iter()
                    .map(|c| (text::sanitize(&c.subject), text::sanitize(&c.issuer)))
                    .collect();
                self.verification = Some(trust.clone());
            }
            ClientEvent::TlsFailed { failure } => self.failed = Some(failure.clone()),
            _ => {}
        }
    }

    /// Fold a secret the client derived.
    pub fn apply_tls(&mut self, t: &TlsEvent) {
        if let TlsEvent::Secret {
            side: Side::Client,
            label,
            secret,
            ..
        } = t
            && !self.secrets.iter().any(|(l, _)| l == label)
        {
            self.secrets.push((label.clone(), secret.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tls::RecordHeader;

    fn record(conn: u64, dir: Direction) -> WireEvent {
        WireEvent::Seen {
            conn,
            item: Item::TlsRecord {
                dir,
                offset: 0,
                header: RecordHeader {
                    content_type: ContentType::ApplicationData,
                    version: 0x0303,
                    length: 32,
                },
                encrypted: true,
            },
        }
    }

    #[test]
    fn each_connection_gets_its_own_part_and_first_application_data() {
        let mut m = TlsModel::default();
        for conn in [1, 1, 2] {
            m.apply_wire(&record(conn, Direction::ClientToServer));
        }
        assert_eq!(m.starts, [(0, 1), (1, 2)]);
        assert_eq!(
            m.timeline,
            [
                (Direction::ClientToServer, TlsStep::AppData),
                (Direction::ClientToServer, TlsStep::AppData)
            ]
        );
    }

    #[test]
    fn a_failed_handshake_keeps_its_reason_made_visible() {
        let mut m = TlsModel::default();
        m.apply_client(&ClientEvent::TlsFailed {
            failure: TlsFailure::Handshake {
                message: "bad\x1b[2Jcert".into(),
            },
        });
        let failed = crate::lab::describe::tls_failure(
            m.failed.as_ref().expect("kept"),
            crate::lang::Lang::En,
        );
        assert!(
            failed.contains("bad^[[2Jcert") && !failed.contains('\x1b'),
            "{failed:?}"
        );
    }
}
