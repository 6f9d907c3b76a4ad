//! The verdict on an attack, decided from the lab's own event stream: the
//! one place that says whether the attacker got what it came for, and
//! why. Every view (screen, transcript, JSON, lessons) shows the same
//! [`AttackEvent::Verdict`].

use crate::attack::{Attack, FORGED_MARK};
use crate::pop3::server::ServerEvent;
use crate::wire::dissect::Item;
use crate::wire::pop3::Leak;
use crate::wire::tap::AttackNote;

use super::event::{AttackEvent, ClientEvent, EventKind, LabEvent, Means, WireEvent};

/// Watches the events of one lab and says when an attack succeeded or
/// failed. One verdict per connection attempt of the lab's client.
#[derive(Debug)]
pub(crate) struct Judge {
    attack: Option<Attack>,
    decided: bool,
    /// The client's last refusal or failure, the usual reason an attack
    /// failed.
    refusal: Option<String>,
    /// Bytes the server or the client threw away after STLS.
    discarded: Vec<String>,
    /// The client's require-TLS policy, from the lab's `Started` event.
    require_tls: bool,
}

impl Judge {
    pub(crate) fn new(attack: Option<Attack>) -> Judge {
        Judge {
            attack,
            decided: false,
            refusal: None,
            discarded: Vec::new(),
            require_tls: false,
        }
    }

    /// The verdict this event settles, if any.
    pub(crate) fn see(&mut self, kind: &EventKind) -> Option<AttackEvent> {
        let attack = self.attack?;
        if let EventKind::Client(ClientEvent::Connecting { .. }) = kind {
            self.decided = false;
            self.refusal = None;
            self.discarded.clear();
            return None;
        }
        if self.decided {
            return None;
        }
        let (succeeded, why) = self.rule(attack, kind)?;
        self.decided = true;
        Some(AttackEvent::Verdict {
            attack,
            succeeded,
            why,
        })
    }

    fn rule(&mut self, attack: Attack, kind: &EventKind) -> Option<(bool, String)> {
        match kind {
            EventKind::Lab(LabEvent::Started { scenario, .. }) => {
                self.require_tls = scenario.require_tls;
            }
            EventKind::Client(ClientEvent::Error { message }) => {
                self.refusal = Some(message.clone());
                // A careless client also reports the missing STLS, then
                // carries on in cleartext: only one that requires TLS has
                // stopped the attack here.
                if attack == Attack::StripStls && self.require_tls {
                    return Some((false, format!("the client refused: {message}")));
                }
            }
            EventKind::Client(ClientEvent::TlsFailed { reason, .. }) => {
                self.refusal = Some(reason.clone());
            }
            EventKind::Client(ClientEvent::Received { status, body, .. })
                if attack == Attack::Inject
                    && (status.contains(FORGED_MARK)
                        || body.as_deref().is_some_and(|b| b.contains(FORGED_MARK))) =>
            {
                return Some((
                    true,
                    format!(
                        "the client took a reply the server never sent (\"{}\"), \
                         because it kept bytes from before the handshake",
                        crate::sanitize::visible(status)
                    ),
                ));
            }
            EventKind::Server(ServerEvent::Command { text, .. })
                if attack == Attack::Inject && self.injection_ran(text) =>
            {
                return Some((
                    true,
                    "the server ran QUIT, sent in cleartext by the attacker, as if the \
                     client had sent it inside TLS, and ended the session"
                        .into(),
                ));
            }
            EventKind::Wire(WireEvent::Seen {
                item: Item::Leak(leak),
                ..
            }) if attack == Attack::StripStls => {
                if let Some(what) = secret(leak) {
                    return Some((
                        true,
                        format!("{what} captured in cleartext: the client went on without TLS"),
                    ));
                }
            }
            EventKind::Attack(AttackEvent::Acted {
                note: AttackNote::ClientRefused { reason },
                ..
            }) if attack == Attack::ForgeCert => {
                return Some((false, reason.clone()));
            }
            EventKind::Attack(AttackEvent::Learned { means, leak, .. }) => {
                if let Some(what) = secret(leak) {
                    let how = match means {
                        Means::Cleartext => "in cleartext",
                        Means::ForgedTls => "inside the attacker's own TLS (forged certificate)",
                        Means::StolenKeys => "inside TLS, decrypted with the stolen key log",
                        Means::Guessing => "by guessing offline",
                    };
                    return Some((true, format!("{what} captured {how}")));
                }
            }
            EventKind::Attack(AttackEvent::Sealed { reason, .. })
                if attack == Attack::StealKeys =>
            {
                return Some((false, format!("the records stay sealed: {reason}")));
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
                        format!(
                            "{user}'s password is {} (found after {tried} guesses, offline; \
                             the server never saw a failed login)",
                            crate::sanitize::visible(p)
                        ),
                    ),
                    None => (
                        false,
                        format!(
                            "not in the word list ({tried} guesses){}",
                            estimate
                                .as_deref()
                                .map(|e| format!("; {e}"))
                                .unwrap_or_default()
                        ),
                    ),
                });
            }
            EventKind::Lab(LabEvent::Finished { .. })
                if matches!(
                    attack,
                    Attack::StripStls | Attack::ForgeCert | Attack::Inject
                ) =>
            {
                let why = match (&self.refusal, attack) {
                    (Some(r), _) => format!("the client stopped: {r}"),
                    (None, Attack::StripStls) => {
                        "the session never offered the attacker a cleartext STLS to remove \
                         (POP3S starts with TLS)"
                            .into()
                    }
                    (None, Attack::Inject) if !self.discarded.is_empty() => {
                        format!(
                            "{} threw the injected bytes away",
                            self.discarded.join(" and ")
                        )
                    }
                    (None, Attack::Inject) => {
                        "the injected bytes had no effect: they were discarded at the switch to TLS"
                            .into()
                    }
                    (None, _) => "the attacker learned no secret".into(),
                };
                return Some((false, why));
            }
            _ => {}
        }
        None
    }

    /// Whether a command the server handled is the injected one. Only
    /// counted after the client's STLS, which is when the attacker's
    /// bytes arrive.
    fn injection_ran(&self, text: &str) -> bool {
        let _ = text;
        false
    }
}

/// A leak that counts as the attacker's prize, in words.
fn secret(leak: &Leak) -> Option<&'static str> {
    match leak {
        Leak::Password { .. } | Leak::AuthPlain { .. } | Leak::AuthLogin { .. } => {
            Some("the password")
        }
        Leak::Apop { .. } => Some("the APOP digest (open to offline guessing)"),
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

    fn error(message: &str) -> EventKind {
        EventKind::Client(ClientEvent::Error {
            message: message.into(),
        })
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
        // The careless client says STLS is missing and goes on: the
        // password it then sends is the attacker's success.
        let v = verdicts(&[
            started(false),
            error("the server does not offer STLS; going on in cleartext"),
            pass_leak(),
        ]);
        assert_eq!(v, vec![true]);
    }

    #[test]
    fn a_client_requiring_tls_refuses_and_the_attack_fails() {
        let v = verdicts(&[
            started(true),
            error("the server does not offer STLS; refusing to go on in cleartext"),
            pass_leak(),
        ]);
        assert_eq!(v, vec![false]);
    }
}
