//! The verdict on an attack, decided from the lab's own event stream: the
//! one place that says whether the attacker got what it came for, and
//! why. Every view (screen, transcript, JSON, lessons) shows the same
//! [`AttackEvent::Verdict`].

use std::collections::HashMap;

use crate::attack::{Attack, FORGED_MARK};
use crate::pop3::server::ServerEvent;
use crate::wire::dissect::Item;
use crate::wire::tap::AttackNote;

use super::event::{
    AttackEvent, ClientEvent, ClientProblem, EventKind, LabEvent, Means, Prize, Side, TlsFailure,
    Why, WireEvent,
};

/// Watches the events of one lab and says when an attack succeeded or
/// failed. One verdict per connection attempt of the lab's client, or,
/// for a proxy and the workshop, per tapped connection, each judged with
/// the attack it got when it opened.
#[derive(Debug)]
pub(crate) struct Judge {
    attack: Option<Attack>,
    /// A proxy has no client of its own: each connection is an attempt,
    /// and one that ends without a prize is a failed attack.
    per_connection: bool,
    /// The lab client's current attempt.
    lab: Attempt,
    /// A proxy's attempts, by connection, while they are open: clients
    /// connect at the same time, so each needs its own.
    conns: HashMap<u64, Attempt>,
    /// A password search began.
    searching: bool,
}

/// What the judge knows of one attempt.
#[derive(Debug, Default)]
struct Attempt {
    /// The attack it faces.
    attack: Option<Attack>,
    decided: bool,
    /// The client's last refusal or failure, the usual reason an attack
    /// failed.
    refusal: Option<ClientProblem>,
    /// Who threw the injected bytes away after STLS.
    discarded: Vec<Side>,
}

impl Judge {
    pub(crate) fn new(attack: Option<Attack>) -> Judge {
        Judge {
            attack,
            per_connection: false,
            lab: Attempt {
                attack,
                ..Attempt::default()
            },
            conns: HashMap::new(),
            searching: false,
        }
    }

    /// A judge for a proxy: one verdict per connection, with the attack
    /// each connection's `Opened` names.
    pub(crate) fn per_connection(mut self) -> Judge {
        self.per_connection = true;
        self
    }

    /// The verdict this event settles, if any.
    pub(crate) fn see(&mut self, kind: &EventKind) -> Option<AttackEvent> {
        if self.per_connection {
            return self.see_connection(kind);
        }
        let attack = self.attack?;
        if let EventKind::Client(ClientEvent::Connecting { .. }) = kind {
            self.lab = Attempt {
                attack: Some(attack),
                ..Attempt::default()
            };
            return None;
        }
        if self.lab.decided {
            return None;
        }
        let (succeeded, reason) = rule(&mut self.lab, attack, false, &mut self.searching, kind)?;
        self.lab.decided = true;
        Some(verdict(None, attack, succeeded, reason))
    }

    /// [`see`](Self::see) for a proxy: the event's connection has its own
    /// attempt, opened by its `Opened` and over when the wire says what it
    /// learned there.
    fn see_connection(&mut self, kind: &EventKind) -> Option<AttackEvent> {
        if let EventKind::Wire(WireEvent::Opened { conn, attack, .. }) = kind {
            if attack.is_some() {
                self.conns.insert(
                    *conn,
                    Attempt {
                        attack: *attack,
                        ..Attempt::default()
                    },
                );
            }
            return None;
        }
        let conn = kind.conn()?;
        let ended = matches!(kind, EventKind::Wire(WireEvent::Learned { .. }));
        let attempt = self.conns.get_mut(&conn)?;
        let attack = attempt.attack?;
        let settled = if attempt.decided {
            None
        } else {
            rule(attempt, attack, true, &mut self.searching, kind)
        };
        if settled.is_some() {
            attempt.decided = true;
        }
        if ended {
            self.conns.remove(&conn);
        }
        let (succeeded, reason) = settled?;
        Some(verdict(Some(conn), attack, succeeded, reason))
    }
}

fn verdict(conn: Option<u64>, attack: Attack, succeeded: bool, reason: Why) -> AttackEvent {
    AttackEvent::Verdict {
        conn,
        attack,
        succeeded,
        why: super::describe::why_in(&reason, crate::lang::Lang::En),
        reason,
    }
}

/// The rule that settles `attempt` against `attack`, if `kind` does.
fn rule(
    attempt: &mut Attempt,
    attack: Attack,
    per_connection: bool,
    searching: &mut bool,
    kind: &EventKind,
) -> Option<(bool, Why)> {
    match kind {
        EventKind::Client(ClientEvent::Error { problem }) => {
            attempt.refusal = Some(problem.clone());
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
            attempt.refusal = Some(ClientProblem::Tls {
                failure: failure.clone(),
            });
        }
        EventKind::Client(ClientEvent::StlsLeftover { kept: false, .. })
            if attack == Attack::Inject =>
        {
            attempt.discarded.push(Side::Client);
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
        EventKind::Server(ServerEvent::DiscardedBeforeTls { .. }) if attack == Attack::Inject => {
            attempt.discarded.push(Side::Server);
        }
        EventKind::Wire(WireEvent::Seen {
            item: Item::Leak(leak),
            ..
        }) if attack == Attack::StripStls => {
            if let Some(prize) = Prize::of(leak) {
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
        }) if per_connection && matches!(attack, Attack::ForgeCert | Attack::WrongName) => {
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
            if let Some(prize) = Prize::of(leak) {
                return Some((
                    true,
                    Why::Captured {
                        prize,
                        means: *means,
                    },
                ));
            }
        }
        EventKind::Attack(AttackEvent::Sealed { reason, .. }) if attack == Attack::StealKeys => {
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
        EventKind::Wire(WireEvent::Learned { .. }) if per_connection => {
            return Some((false, Why::ConnectionEnded));
        }
        EventKind::Attack(AttackEvent::CrackStarted { .. }) => *searching = true,
        EventKind::Lab(LabEvent::Finished { .. }) if attack == Attack::Crack && !*searching => {
            return Some((false, Why::NoApopLogin));
        }
        EventKind::Lab(LabEvent::Finished { .. })
            if matches!(
                attack,
                Attack::StripStls | Attack::ForgeCert | Attack::WrongName | Attack::Inject
            ) =>
        {
            let why = match (&attempt.refusal, attack) {
                (Some(p), _) => Why::ClientStopped { problem: p.clone() },
                (None, Attack::StripStls) => Why::NothingToStrip,
                (None, Attack::Inject) => Why::Discarded {
                    by: attempt.discarded.clone(),
                },
                (None, _) => Why::NoSecret,
            };
            return Some((false, why));
        }
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::lab::Scenario;
    use crate::wire::pop3::Leak;

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
            implicit_tls: false,
            attack: Some(Attack::StripStls),
        })
    }

    fn learned(conn: u64) -> EventKind {
        EventKind::Wire(WireEvent::Learned {
            conn,
            loot: Default::default(),
            summary: String::new(),
        })
    }

    #[test]
    fn connections_open_at_once_are_judged_each_on_its_own() {
        // Two students at once: the second one's leak is its verdict, and
        // the first one, ending without a leak, still gets its own.
        let mut judge = Judge::new(None).per_connection();
        let mut got = Vec::new();
        let leak_on_2 = match pass_leak() {
            EventKind::Wire(WireEvent::Seen { item, .. }) => {
                EventKind::Wire(WireEvent::Seen { conn: 2, item })
            }
            other => other,
        };
        for e in [opened(1), opened(2), leak_on_2, learned(2), learned(1)] {
            if let Some(AttackEvent::Verdict {
                conn, succeeded, ..
            }) = judge.see(&e)
            {
                got.push((conn, succeeded));
            }
        }
        assert_eq!(got, vec![(Some(2), true), (Some(1), false)]);
        assert!(judge.conns.is_empty(), "ended connections are forgotten");
    }
}
