//! The server pane's model: the session state, the maildrop as the
//! session sees it, and the events the server reported.

use std::time::Duration;

use crate::pop3::guard::Locked;
use crate::pop3::server::{MessageInfo, ServerEvent};
use crate::pop3::session::StateName;

/// The server pane's model.
#[derive(Debug, Clone, Default)]
pub struct ServerModel {
    /// The session's RFC 1939 state.
    pub state: Option<StateName>,
    /// The events the log shows (connected, TLS, commands handled, end),
    /// worded when drawn by [`crate::lab::describe::server_line`].
    pub log: Vec<ServerEvent>,
    /// The maildrop as the session sees it.
    pub maildrop: Vec<MessageInfo>,
    /// Messages QUIT removed, if it has run.
    pub removed: Option<usize>,
    /// The last lockout the failure budget started, until a login
    /// succeeds.
    pub locked_out: Option<(Locked, Duration)>,
}

impl ServerModel {
    /// Fold one server event into the model.
    pub fn apply(&mut self, s: ServerEvent) {
        match s {
            // The state and the maildrop have places of their own on the
            // pane; every other event is a line of the log.
            ServerEvent::State { state, .. } => self.state = Some(state),
            ServerEvent::Maildrop { messages, .. } => self.maildrop = messages,
            other => {
                match &other {
                    ServerEvent::Connected { .. } => {
                        self.state = Some(StateName::Authorization);
                        self.maildrop.clear();
                        self.removed = None;
                    }
                    ServerEvent::Updated { removed, .. } => self.removed = Some(*removed),
                    ServerEvent::LockedOut { who, duration, .. } => {
                        self.locked_out = Some((who.clone(), *duration))
                    }
                    ServerEvent::LoggedIn { .. } => self.locked_out = None,
                    _ => {}
                }
                self.log.push(other);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lockout_lasts_until_a_login_and_is_logged() {
        let mut m = ServerModel::default();
        m.apply(ServerEvent::LockedOut {
            session: 3,
            who: Locked::Account("alice".into()),
            duration: Duration::from_secs(2),
        });
        assert_eq!(
            m.locked_out,
            Some((Locked::Account("alice".into()), Duration::from_secs(2)))
        );
        assert!(matches!(m.log.last(), Some(ServerEvent::LockedOut { .. })));
        m.apply(ServerEvent::LoggedIn {
            session: 4,
            user: "alice".into(),
            method: crate::pop3::session::LoginMethod::UserPass,
        });
        assert_eq!(m.locked_out, None);
    }

    #[test]
    fn state_and_maildrop_are_kept_apart_from_the_log() {
        let mut m = ServerModel::default();
        m.apply(ServerEvent::State {
            session: 1,
            state: StateName::Transaction,
        });
        assert_eq!(m.state, Some(StateName::Transaction));
        assert!(m.log.is_empty());
    }
}
