//! The verdict on an attack, decided from the lab's own event stream: the
//! one place that says whether the attacker got what it came for, and
//! why. Every view (screen, transcript, JSON, lessons) shows the same
//! [`AttackEvent::Verdict`].

use crate::attack::{Attack, FORGED_MARK};
use crate::pop3::server::ServerEvent;
use crate::wire::dissect::Item;
use crate::wire::pop3::Leak;
use crate::wire::tap::AttackNote;

use super::event::{
    AttackEvent, ClientEvent, ClientProblem, EventKind, LabEvent, Means, Prize, Side, TlsFailure,
    Why, WireEvent,
};

/// Watches the events of one lab and says when an attack succeeded or
/// failed. One verdict per connection attempt of the lab's client.
#[derive(Debug)]
pub(crate) struct Judge {
    attack: Option<Attack>,
    /// A proxy has no client of its own: each connection is an attempt,
    /// and one that ends without a prize is a failed attack.
    per_connection: bool,
    decided: bool,
    /// A proxy's connections overlap (a room of clients): those already
    /// judged and not yet ended, each judged on its own.
    decided_conns: std::collections::HashSet<u64>,
    /// The client's last refusal or failure, the usual reason an attack
    /// failed.
    refusal: Option<ClientProblem>,
    /// Who threw the injected bytes away after STLS.
    discarded: Vec<Side>,
    /// A password search began.
    searching: bool,
}

impl Judge {
    pub(crate) fn new(attack: Option<Attack>) -> Judge {
        Judge {
            attack,
            per_connection: false,
            decided: false,
            decided_conns: std::collections::HashSet::new(),
            refusal: None,
            discarded: Vec::new(),
            searching: false,
        }
    }

    /// A judge for a proxy: one verdict per connection.
    pub(crate) fn per_connection(mut self) -> Judge {
        self.per_connection = true;
        self
    }

    /// The verdict this event settles, if any.
    pub(crate) fn see(&mut self, kind: &EventKind) -> Option<AttackEvent> {
        let attack = self.attack?;
        if self.per_connection
            && let Some(conn) = kind.conn()
        {
            return self.see_on(attack, conn, kind);
        }
        let attempt = match kind {
            EventKind::Client(ClientEvent::Connecting { .. }) => !self.per_connection,
            EventKind::Wire(WireEvent::Opened { .. }) => self.per_connection,
            _ => false,
        };
        if attempt {
            self.decided = false;
            self.refusal = None;
            self.discarded.clear();
            return None;
        }
        if self.decided {
            return None;
        }
        let (succeeded, reason) = self.rule(attack, kind)?;
        self.decided = true;
        Some(verdict(attack, succeeded, reason))
    }

    /// A proxy's event on connection `conn`: judged with that connection's
    /// own history, so a client that connects while another is logging in
    /// takes neither's verdict away.
    fn see_on(&mut self, attack: Attack, conn: u64, kind: &EventKind) -> Option<AttackEvent> {
        let ended = matches!(kind, EventKind::Wire(WireEvent::Learned { .. }));
        if matches!(kind, EventKind::Wire(WireEvent::Opened { .. })) {
            self.decided_conns.remove(&conn);
            return None;
        }
        if self.decided_conns.contains(&conn) {
            if ended {
                // Its last event: forgotten, so a room that comes and
                // goes all day keeps the set small.
                self.decided_conns.remove(&conn);
            }
            return None;
        }
        let (succeeded, reason) = self.rule(attack, kind)?;
        if !ended {
            self.decided_conns.insert(conn);
        }
        Some(verdict(attack, succeeded, reason))
    }

    fn rule(&mut self, attack: Attack, kind: &EventKind) -> Option<(bool, Why)> {
        match kind {
            EventKind::Client(ClientEvent::Error { problem }) => {
                self.refusal = Some(problem.clone());
                // A careless client does not stop (it says StaysCleartext
                // instead): an error here is the client refusing.
                if attack == Attack::StripStls {
                    return Some((
                        false,
                        Why::ClientRefused {
                            problem: problem.clone(),
                        },
                    ));
                }
            }
            EventKind::Client(ClientEvent::TlsFailed { failure }) => {
                if matches!(attack, Attack::ForgeCert | Attack::WrongName) {
                    return Some((
                        false,
                        Why::CertificateRefused {
                            failure: failure.clone(),
                        },
                    ));
                }
                self.refusal = Some(ClientProblem::Tls {
                    failure: failure.clone(),
                });
            }
            EventKind::Client(ClientEvent::StlsLeftover { kept: false, .. })
                if attack == Attack::Inject =>
            {
                self.discarded.push(Side::Client);
            }
            EventKind::Client(ClientEvent::Received {
                status, text, body, ..
            }) if attack == Attack::Inject
                && (text.contains(FORGED_MARK)
                    || body.as_deref().is_some_and(|b| b.contains(FORGED_MARK))) =>
            {
                return Some((
                    true,
                    Why::ForgedReplyTaken {
                        status: status.line(text),
                    },
                ));
            }
            EventKind::Server(ServerEvent::InjectedIntoTls { text, .. })
                if attack == Attack::Inject =>
            {
                return Some((true, Why::InjectionRan { text: text.clone() }));
            }
            EventKind::Server(ServerEvent::DiscardedBeforeTls { .. })
                if attack == Attack::Inject =>
            {
                self.discarded.push(Side::Server);
            }
            EventKind::Wire(WireEvent::Seen {
                item: Item::Leak(leak),
                ..
            }) if attack == Attack::StripStls => {
                if let Some(prize) = prize(leak) {
                    return Some((
                        true,
                        Why::Captured {
                            prize,
                            means: Means::Cleartext,
                        },
                    ));
                }
            }
            EventKind::Attack(AttackEvent::Acted {
                note: AttackNote::ClientRefused { refusal },
                ..
            }) if self.per_connection
                && matches!(attack, Attack::ForgeCert | Attack::WrongName) =>
            {
                // A proxy hears the refusal only as the client's alert; the
                // lab's own client says what was wrong (TlsFailed).
                return Some((
                    false,
                    Why::CertificateRefused {
                        failure: TlsFailure::Refused {
                            refusal: refusal.clone(),
                        },
                    },
                ));
            }
            EventKind::Attack(AttackEvent::Learned { means, leak, .. }) => {
                if let Some(prize) = prize(leak) {
                    return Some((
                        true,
                        Why::Captured {
                            prize,
                            means: *means,
                        },
                    ));
                }
            }
            EventKind::Attack(AttackEvent::Sealed { reason, .. })
                if attack == Attack::StealKeys =>
            {
                return Some((
                    false,
                    Why::Sealed {
                        reason: reason.clone(),
                    },
                ));
            }
            EventKind::Attack(AttackEvent::CrackDone {
                user,
                found,
                tried,
                estimate,
                ..
            }) => {
                return Some(match found {
                    Some(p) => (
                        true,
                        Why::Cracked {
                            user: user.clone(),
                            password: p.clone(),
                            tried: *tried,
                        },
                    ),
                    None => (
                        false,
                        Why::NotCracked {
                            tried: *tried,
                            estimate: *estimate,
                        },
                    ),
                });
            }
            EventKind::Wire(WireEvent::Learned { .. }) if self.per_connection => {
                return Some((false, Why::ConnectionEnded));
            }
            EventKind::Attack(AttackEvent::CrackStarted { .. }) => self.searching = true,
            EventKind::Lab(LabEvent::Finished { .. })
                if attack == Attack::Crack && !self.searching =>
            {
                return Some((false, Why::NoApopLogin));
            }
            EventKind::Lab(LabEvent::Finished { .. })
                if matches!(
                    attack,
                    Attack::StripStls | Attack::ForgeCert | Attack::WrongName | Attack::Inject
                ) =>
            {
                let why = match (&self.refusal, attack) {
                    (Some(p), _) => Why::ClientStopped { problem: p.clone() },
                    (None, Attack::StripStls) => Why::NothingToStrip,
                    (None, Attack::Inject) => Why::Discarded {
                        by: self.discarded.clone(),
                    },
                    (None, _) => Why::NoSecret,
                };
                return Some((false, why));
            }
            _ => {}
        }
        None
    }
}

/// The verdict event, with its reason also in English words for readers
/// of the JSON stream.
fn verdict(attack: Attack, succeeded: bool, reason: Why) -> AttackEvent {
    AttackEvent::Verdict {
        attack,
        succeeded,
        why: super::describe::why_in(&reason, crate::lang::Lang::En),
        reason,
    }
}

/// A leak that counts as the attacker's prize.
fn prize(leak: &Leak) -> Option<Prize> {
    match leak {
        Leak::Password { .. } | Leak::AuthPlain { .. } | Leak::AuthLogin { .. } => {
            Some(Prize::Password)
        }
        Leak::Apop { .. } => Some(Prize::ApopDigest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::lab::Scenario;

    fn started(require_tls: bool) -> EventKind {
        let mut scenario = Scenario::named("stls").expect("stls exists");
        scenario.attack = Some(Attack::StripStls);
        scenario.require_tls = require_tls;
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        EventKind::Lab(LabEvent::Started {
            scenario,
            server: addr,
            tap: addr,
            own_server: true,
        })
    }

    fn error(problem: ClientProblem) -> EventKind {
        EventKind::Client(ClientEvent::Error { problem })
    }

    fn pass_leak() -> EventKind {
        EventKind::Wire(WireEvent::Seen {
            conn: 1,
            item: Item::Leak(Leak::Password {
                user: Some("alice".into()),
                password: "wonderland".into(),
            }),
        })
    }

    /// The verdicts a run of events gives, in order.
    fn verdicts(events: &[EventKind]) -> Vec<bool> {
        let mut judge = Judge::new(Some(Attack::StripStls));
        events
            .iter()
            .filter_map(|e| match judge.see(e) {
                Some(AttackEvent::Verdict { succeeded, .. }) => Some(succeeded),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_careless_client_going_on_in_cleartext_is_no_refusal() {
        // The careless client says STLS is missing and goes on (its own
        // event, not an error): the password it then sends is the
        // attacker's success.
        let v = verdicts(&[
            started(false),
            EventKind::Client(ClientEvent::StaysCleartext),
            pass_leak(),
        ]);
        assert_eq!(v, vec![true]);
    }

    #[test]
    fn a_client_requiring_tls_refuses_and_the_attack_fails() {
        let v = verdicts(&[
            started(true),
            error(ClientProblem::TlsRequired {
                transport: crate::pop3::settings::Transport::Stls,
            }),
            pass_leak(),
        ]);
        assert_eq!(v, vec![false]);
    }

    fn opened(conn: u64) -> EventKind {
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        EventKind::Wire(WireEvent::Opened {
            conn,
            client: addr,
            server: addr,
        })
    }

    fn leak_on(conn: u64) -> EventKind {
        EventKind::Wire(WireEvent::Seen {
            conn,
            item: Item::Leak(Leak::Password {
                user: Some(format!("student{conn:02}")),
                password: "wonderland".into(),
            }),
        })
    }

    fn ended(conn: u64) -> EventKind {
        EventKind::Wire(WireEvent::Learned {
            conn,
            loot: crate::wire::dissect::Loot::default(),
            summary: String::new(),
        })
    }

    #[test]
    fn a_proxy_judges_connections_that_overlap_each_on_its_own() {
        // A room of clients: the second connects before the first has
        // logged in. Each gets its verdict, once.
        let mut judge = Judge::new(Some(Attack::StripStls)).per_connection();
        let got: Vec<bool> = [
            opened(1),
            opened(2),
            leak_on(1),
            leak_on(2),
            ended(2),
            ended(1),
            opened(3),
            ended(3),
        ]
        .iter()
        .filter_map(|e| match judge.see(e) {
            Some(AttackEvent::Verdict { succeeded, .. }) => Some(succeeded),
            _ => None,
        })
        .collect();
        assert_eq!(got, vec![true, true, false]);
        assert!(
            judge.decided_conns.is_empty(),
            "ended connections are forgotten"
        );
    }
}
