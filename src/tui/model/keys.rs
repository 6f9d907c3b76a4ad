//! The key schedule view's model: the lab's events folded into
//! [`Sessions`] (each connection's key schedule and Finished checks,
//! computed as the events arrive), for `panes::schedule` to word.
//!
//! It folds the handshake steps and the client's secrets
//! (`TlsEvent::Step`, `TlsEvent::Secret`) and counts the encrypted records
//! the eavesdropper saw, so the view can say how many records each key
//! opened.

use crate::lab::{Event, EventKind, Side, TlsEvent, WireEvent};
use crate::wire::dissect::Item;
pub use crate::wire::session_keys::{FinishedStatus, SessionKeys, Sessions, side_index};

/// The key schedule model; read it through [`Sessions`]' methods.
#[derive(Debug, Clone, Default)]
pub struct KeysModel {
    /// Every connection's keys.
    pub sessions: Sessions,
}

impl std::ops::Deref for KeysModel {
    type Target = Sessions;

    fn deref(&self) -> &Sessions {
        &self.sessions
    }
}

impl KeysModel {
    /// Fold a TLS event: a handshake step, or a secret the client logged
    /// (the server's copies are the same secrets).
    pub fn apply_tls(&mut self, t: &TlsEvent) {
        match t {
            TlsEvent::Step { conn, order, step } => self.sessions.step(*conn, *order, step),
            TlsEvent::Secret {
                side: Side::Client,
                label,
                client_random,
                secret,
            } => self.sessions.secret(label, client_random, secret),
            TlsEvent::Secret { .. } => {}
        }
    }

    /// Fold what the eavesdropper saw: only encrypted records are counted.
    pub fn apply_wire(&mut self, w: &WireEvent) {
        if let WireEvent::Seen {
            conn,
            item:
                Item::TlsRecord {
                    dir,
                    encrypted: true,
                    ..
                },
        } = w
        {
            self.sessions.encrypted_record(*conn, *dir);
        }
    }

    /// Fold any lab event: the one line the screen needs to keep this
    /// model up to date.
    pub fn apply(&mut self, event: &Event) {
        match &event.kind {
            EventKind::Tls(t) => self.apply_tls(t),
            EventKind::Wire(w) => self.apply_wire(w),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Direction;

    #[test]
    fn the_servers_copy_of_a_secret_is_not_the_key_log() {
        let secret = |side| TlsEvent::Secret {
            side,
            label: "CLIENT_RANDOM".into(),
            client_random: "ab".repeat(32),
            secret: "cd".repeat(48),
        };
        let mut m = KeysModel::default();
        m.apply_tls(&secret(Side::Server));
        assert!(m.keylog.is_empty());
        m.apply_tls(&secret(Side::Client));
        assert_eq!(m.keylog.len(), 1);
    }

    #[test]
    fn only_encrypted_records_are_counted() {
        let record = |encrypted| WireEvent::Seen {
            conn: 3,
            item: Item::TlsRecord {
                dir: Direction::ServerToClient,
                offset: 0,
                header: crate::wire::tls::RecordHeader {
                    content_type: crate::wire::tls::ContentType::ApplicationData,
                    version: 0x0303,
                    length: 32,
                },
                encrypted,
            },
        };
        let mut m = KeysModel::default();
        m.apply_wire(&record(false));
        m.apply_wire(&record(true));
        m.apply_wire(&record(true));
        let c = m.conn(3).expect("counted");
        assert_eq!(c.encrypted_records, [0, 2]);
        // Records alone make no TLS session to show.
        assert_eq!(m.newest(), None);
    }
}
