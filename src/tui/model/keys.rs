//! The key schedule view's model: the lab's events folded into
//! [`Sessions`] (each connection's key schedule and Finished checks,
//! computed as the events arrive), for `panes::schedule` to word.
//!
//! It folds the handshake steps and the client's secrets
//! (`TlsEvent::Step`, `TlsEvent::Secret`) and counts the encrypted records
//! the eavesdropper saw, so the view can say how many records each key
//! opened.

use crate::lab::Event;
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
    /// Fold any lab event: the one line the screen needs to keep this
    /// model up to date. Which events count is `lab::fold_keys`'s rule,
    /// shared with `demo --json`.
    pub fn apply(&mut self, event: &Event) {
        crate::lab::fold_keys(&mut self.sessions, &event.kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{EventKind, Side, TlsEvent, WireEvent};
    use crate::wire::Direction;
    use crate::wire::dissect::Item;

    fn fold(m: &mut KeysModel, kind: EventKind) {
        crate::lab::fold_keys(&mut m.sessions, &kind);
    }

    #[test]
    fn the_servers_copy_of_a_secret_is_not_the_key_log() {
        let secret = |side| TlsEvent::Secret {
            side,
            label: "CLIENT_RANDOM".into(),
            client_random: "ab".repeat(32),
            secret: "cd".repeat(48),
        };
        let mut m = KeysModel::default();
        fold(&mut m, EventKind::Tls(secret(Side::Server)));
        assert!(m.keylog.is_empty());
        fold(&mut m, EventKind::Tls(secret(Side::Client)));
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
        for encrypted in [false, true, true] {
            fold(&mut m, EventKind::Wire(record(encrypted)));
        }
        let c = m.conn(3).expect("counted");
        assert_eq!(c.encrypted_records, [0, 2]);
        // Records alone make no TLS session to show.
        assert_eq!(m.newest(), None);
    }
}
