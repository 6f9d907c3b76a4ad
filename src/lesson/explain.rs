//! What happened instead, when a step's expectation does not hold.
//!
//! A ✗ alone leaves a teacher guessing whether the lesson is wrong, the
//! lab is slow, or the scenario is not the one meant. [`Witness`] keeps,
//! beside [`Facts`], the few concrete things a failure is explained with
//! (the command lines the eavesdropper read, the newest reply, the
//! attacker's verdict), and [`Expect::explain_failure`] turns them into
//! one sentence, e.g. for `password-leaked`: "the wire carried no PASS
//! line; it carried: USER alice, STAT".
//!
//! The sentences are English for now: they are read by the teacher
//! running `popscope lessons run`, whose messages are all English.

use crate::lab::{AttackEvent, ClientEvent, Event, EventKind, TlsFailure, WireEvent, describe};
use crate::lang::Lang;
use crate::sanitize::visible;
use crate::wire::dissect::Item;
use crate::wire::pop3::Leak;

use super::Expect;
use super::facts::Facts;

/// How many lines of a kind are kept: enough to show what the wire
/// carried, few enough for one line of a report.
const KEPT: usize = 8;

/// The concrete things the lab's events showed, kept to explain a failed
/// expectation. Everything is kept for the whole lab, like what the
/// eavesdropper learned; a new lab starts afresh with [`Facts::reset`].
#[derive(Debug, Clone, Default)]
pub struct Witness {
    /// The cleartext command lines the eavesdropper read, oldest first,
    /// the first [`KEPT`], passwords masked.
    pub commands: Vec<String>,
    /// Cleartext command lines read beyond those kept.
    pub more_commands: usize,
    /// How many cleartext replies the eavesdropper read.
    pub replies: usize,
    /// The user names the eavesdropper read, each once.
    pub users: Vec<String>,
    /// TLS records that crossed (cleartext or not).
    pub tls_records: usize,
    /// The status line of the client's newest reply.
    pub last_reply: Option<String>,
    /// The client's newest error.
    pub client_error: Option<String>,
    /// The attack on the wire, by its lesson name.
    pub attack: Option<&'static str>,
    /// The newest verdict's reason, in words.
    pub verdict: Option<String>,
    /// The attacker injected bytes towards the server at least once.
    pub injected: bool,
    /// Why the stolen keys could not open records, the newest reason.
    pub sealed: Option<String>,
    /// The newest offline search: candidates tried, and whether it found
    /// the password.
    pub crack: Option<(u64, bool)>,
}

impl Witness {
    /// Fold one event in. Text from the network is made visible (no
    /// control characters) before it is kept, since it ends up on a
    /// terminal.
    pub fn apply(&mut self, event: &Event) {
        match &event.kind {
            EventKind::Wire(WireEvent::Seen { item, .. }) => self.apply_item(item),
            EventKind::Client(ClientEvent::Received { status, text, .. }) => {
                self.last_reply = Some(visible(&status.line(text)).into_owned());
            }
            EventKind::Client(ClientEvent::Error { problem }) => {
                self.client_error = Some(describe::client_problem(problem, Lang::En));
            }
            EventKind::Attack(a) => self.apply_attack(a),
            _ => {}
        }
    }

    fn apply_item(&mut self, item: &Item) {
        match item {
            Item::Pop3Command { text, .. } => {
                if self.commands.len() < KEPT {
                    self.commands.push(masked(&visible(text)));
                } else {
                    self.more_commands += 1;
                }
            }
            Item::Pop3Reply { .. } => self.replies += 1,
            Item::Leak(Leak::User { name }) => self.user(name),
            Item::Leak(Leak::Password { user: Some(u), .. }) => self.user(u),
            Item::TlsRecord { .. } => self.tls_records += 1,
            _ => {}
        }
    }

    fn user(&mut self, name: &str) {
        let name = visible(name).into_owned();
        if !self.users.contains(&name) {
            self.users.push(name);
        }
    }

    fn apply_attack(&mut self, a: &AttackEvent) {
        match a {
            AttackEvent::Armed { attack } => self.attack = Some(attack.name()),
            AttackEvent::Verdict { why, .. } => self.verdict = Some(why.clone()),
            AttackEvent::Acted {
                note:
                    crate::wire::tap::AttackNote::Injected {
                        dir: crate::wire::Direction::ClientToServer,
                        ..
                    },
                ..
            } => self.injected = true,
            AttackEvent::Sealed { reason, .. } => {
                self.sealed = Some(describe::sealed_reason(reason, Lang::En))
            }
            AttackEvent::CrackDone { found, tried, .. } => {
                self.crack = Some((*tried, found.is_some()));
            }
            _ => {}
        }
    }

    /// "it carried: USER alice, STAT, … (3 more)", or what stood in for
    /// cleartext POP3.
    fn carried(&self) -> String {
        if self.commands.is_empty() {
            return if self.tls_records > 0 {
                format!(
                    "it carried no cleartext command, only {} TLS record{}",
                    self.tls_records,
                    plural(self.tls_records)
                )
            } else {
                "it carried no command at all".to_string()
            };
        }
        let mut s = format!("it carried: {}", self.commands.join(", "));
        if self.more_commands > 0 {
            s.push_str(&format!(", … ({} more)", self.more_commands));
        }
        s
    }

    /// Whether a command with this verb crossed in cleartext.
    fn sent(&self, verb: &str) -> bool {
        self.commands.iter().any(|c| {
            c.split_whitespace()
                .next()
                .is_some_and(|v| v.eq_ignore_ascii_case(verb))
        })
    }

    /// "; the attack on the wire is strip-stls" or "; no attack is on the
    /// wire".
    fn attack_on(&self) -> String {
        match self.attack {
            Some(a) => format!("the attack on the wire is {a}"),
            None => "no attack is on the wire".to_string(),
        }
    }
}

/// The line with its password hidden: a report may be pasted anywhere.
fn masked(line: &str) -> String {
    let mut words = line.splitn(2, ' ');
    let verb = words.next().unwrap_or("");
    match words.next() {
        Some(_) if verb.eq_ignore_ascii_case("PASS") => format!("{verb} ********"),
        _ => line.to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The handshake steps that took place, "none" when there were none,
/// and why sealed ones may be missing.
fn steps_taken(facts: &Facts) -> String {
    if facts.handshakes.is_empty() {
        return if facts.witness.tls_records == 0 {
            format!(
                "none, no TLS handshake took place; {}",
                facts.witness.carried()
            )
        } else {
            "none could be read".into()
        };
    }
    let seen: Vec<&str> = facts.handshakes.iter().map(String::as_str).collect();
    let mut s = seen.join(", ");
    if facts.sealed_steps == 0 {
        // Without the endpoints' key log (a proxy, the workshop) the
        // sealed steps cannot be opened, so only the cleartext ones count.
        s.push_str(" (no encrypted step was opened: only the cleartext ones could be read)");
    }
    s
}

/// A failed handshake in the report's words (already made visible).
fn failure(f: &TlsFailure) -> String {
    describe::tls_failure(f, Lang::En)
}

impl Expect {
    /// What happened instead of this expectation, in one English sentence
    /// made from the facts, for a step where it did not hold. It is meant
    /// for a failure only: for an expectation that holds, the sentence may
    /// not fit.
    pub fn explain_failure(&self, facts: &Facts) -> String {
        let w = &facts.witness;
        match self {
            Expect::PasswordLeaked => format!(
                "the wire carried no PASS line and no AUTH PLAIN or AUTH LOGIN credentials; {}",
                w.carried()
            ),
            Expect::UserLeaked => format!(
                "the wire carried no user name (no USER, APOP or AUTH line); {}",
                w.carried()
            ),
            Expect::ApopDigestSeen if facts.apop_digest => {
                "the eavesdropper saw the APOP digest but not the timestamp it was made from (the greeting did not cross in cleartext)".into()
            }
            Expect::ApopDigestSeen => format!("the wire carried no APOP line; {}", w.carried()),
            Expect::MailLeaked => format!(
                "no message crossed in cleartext (no RETR or TOP reply was read); {}",
                w.carried()
            ),
            Expect::NoCredential => {
                let mut got = Vec::new();
                if !w.users.is_empty() {
                    got.push(format!("the user name {}", w.users.join(", ")));
                } else if facts.user_leaked {
                    got.push("a user name".to_string());
                }
                if facts.password_leaked {
                    got.push("a password".to_string());
                }
                if facts.apop_digest {
                    got.push("an APOP digest".to_string());
                }
                if got.is_empty() {
                    "the eavesdropper captured no credential".into()
                } else {
                    format!("the eavesdropper captured {}", got.join(" and "))
                }
            }
            Expect::NothingReadable => {
                let replies = if w.replies > 0 {
                    format!(
                        " and {} cleartext repl{}",
                        w.replies,
                        if w.replies == 1 { "y" } else { "ies" }
                    )
                } else {
                    String::new()
                };
                format!("the eavesdropper read cleartext POP3{replies}; {}", w.carried())
            }
            Expect::State(_) => match facts.state {
                None => "no client has connected to the server".into(),
                Some(s) => {
                    let mut out = format!("the server's session is in the {s} state");
                    if let Some(r) = &w.last_reply
                        && facts.last_reply_ok == Some(false)
                    {
                        out.push_str(&format!("; the newest reply was {r}"));
                    }
                    out
                }
            },
            Expect::Reply(_) => match &w.last_reply {
                None => "the client has received no reply".into(),
                Some(r) => format!("the client's newest reply was {r}"),
            },
            Expect::LoggedIn => {
                if facts.state.is_none() {
                    "no client has connected to the server".into()
                } else if let Some(e) = &w.client_error {
                    format!("the client is not logged in; it said: {e}")
                } else if let (Some(r), Some(false)) = (&w.last_reply, facts.last_reply_ok) {
                    format!("the client is not logged in; the newest reply was {r}")
                } else {
                    "the client is not logged in: no login was attempted on this connection"
                        .into()
                }
            }
            Expect::TlsEstablished => {
                if let Some(r) = facts.cert_failures.last() {
                    format!("the TLS handshake failed: {}", failure(r))
                } else if w.tls_records == 0 {
                    format!("no TLS handshake took place; {}", w.carried())
                } else if let Some(e) = &w.client_error {
                    format!("the TLS handshake did not finish; the client said: {e}")
                } else {
                    "the TLS handshake did not finish".into()
                }
            }
            Expect::TlsVersion(_) => match &facts.tls_version {
                Some(v) => format!("TLS {v} was negotiated"),
                None => match facts.cert_failures.last() {
                    Some(r) => format!("no TLS session was set up: {}", failure(r)),
                    None => "no TLS session was set up".into(),
                },
            },
            Expect::Handshake(_) => format!(
                "the newest connection's handshake had only these steps: {}",
                steps_taken(facts)
            ),
            Expect::CertVisibleToEavesdropper if facts.cert_sealed => {
                let version = facts
                    .tls_version
                    .map(|v| format!(" (TLS {v})"))
                    .unwrap_or_default();
                format!(
                    "the server's Certificate crossed encrypted{version}: the eavesdropper saw only an opaque record"
                )
            }
            Expect::CertVisibleToEavesdropper => format!(
                "no Certificate crossed in cleartext; the handshake had: {}",
                steps_taken(facts)
            ),
            Expect::CertHiddenFromEavesdropper if facts.cert_cleartext => {
                "the server's Certificate crossed in cleartext (as in TLS 1.2): the eavesdropper read it"
                    .into()
            }
            Expect::CertHiddenFromEavesdropper => format!(
                "no encrypted Certificate reached the client; the handshake had: {}",
                steps_taken(facts)
            ),
            Expect::StlsSwitch if facts.stls_stripped => {
                "the wire never switched to TLS: the attacker stripped STLS".into()
            }
            Expect::StlsSwitch if w.sent("STLS") => format!(
                "the client sent STLS but the wire never switched to TLS{}",
                w.last_reply
                    .as_ref()
                    .map(|r| format!("; the newest reply was {r}"))
                    .unwrap_or_default()
            ),
            Expect::StlsSwitch => format!(
                "the wire never switched to TLS (no STLS was sent); {}",
                w.carried()
            ),
            Expect::AppDataEncrypted => {
                if w.tls_records == 0 {
                    format!("no TLS record crossed; {}", w.carried())
                } else {
                    format!(
                        "{} TLS record{} crossed, none of them encrypted application data",
                        w.tls_records,
                        plural(w.tls_records)
                    )
                }
            }
            Expect::SecretDerived => match facts.cert_failures.last() {
                Some(r) => format!(
                    "the client derived no TLS secret: its handshake failed: {}",
                    failure(r)
                ),
                None => format!("the client derived no TLS secret; {}", w.carried()),
            },
            Expect::CertFailed(kind) => {
                if facts.cert_failures.is_empty() {
                    if facts.tls_established {
                        "the certificate was accepted".into()
                    } else {
                        "no certificate check failed (no TLS handshake reached one)".into()
                    }
                } else {
                    let reasons: Vec<String> = facts.cert_failures.iter().map(failure).collect();
                    format!(
                        "the certificate check failed, but not with {:?}: {}",
                        kind.map(|k| k.word()).unwrap_or_default(),
                        reasons.join("; ")
                    )
                }
            }
            Expect::Deleted(_) => match facts.deleted {
                None => "no QUIT ended a session in the UPDATE state, so nothing was removed"
                    .into(),
                Some(1) => "QUIT removed 1 message".into(),
                Some(n) => format!("QUIT removed {n} messages"),
            },
            Expect::Marked(_) => match facts.marked {
                1 => "1 message is marked for deletion".into(),
                n => format!("{n} messages are marked for deletion"),
            },
            Expect::AttackSucceeded => match (&w.verdict, facts.attack_blocked) {
                (Some(why), true) => format!("the attack failed: {}", visible(why)),
                _ => format!("no verdict said the attack succeeded; {}", w.attack_on()),
            },
            Expect::AttackBlocked => match (&w.verdict, facts.attack_succeeded) {
                (Some(why), true) => format!("the attack succeeded: {}", visible(why)),
                _ => format!("no verdict said the attack failed; {}", w.attack_on()),
            },
            Expect::StlsStripped => format!(
                "the attacker neither removed STLS from CAPA nor answered STLS itself; {}",
                w.attack_on()
            ),
            Expect::CertForged => format!(
                "the attacker presented no certificate of its own; {}",
                w.attack_on()
            ),
            Expect::InjectionDiscarded => {
                if !w.injected {
                    format!(
                        "the attacker injected nothing towards the server; {}",
                        w.attack_on()
                    )
                } else if facts.attack_succeeded {
                    match &w.verdict {
                        Some(why) => format!("the injection worked: {}", visible(why)),
                        None => "the injection worked".into(),
                    }
                } else {
                    "no login followed the injection on the same session".into()
                }
            }
            Expect::Decrypted => match &w.sealed {
                Some(why) => format!("the stolen keys opened no TLS record: {}", visible(why)),
                None => format!("the attacker decrypted no TLS record; {}", w.attack_on()),
            },
            Expect::PasswordCracked => match w.crack {
                Some((tried, false)) => format!(
                    "the offline search tried {tried} candidate{} and found no password",
                    plural(tried as usize)
                ),
                _ if !facts.apop_digest => {
                    "no offline search ran: the wire carried no APOP digest to search from".into()
                }
                _ => "no offline search ran (the step has no `crack`, and no `attack crack` is on)"
                    .into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::wire::Direction;

    fn ev(kind: EventKind) -> Event {
        Event {
            at: Duration::ZERO,
            kind,
        }
    }

    fn command(text: &str) -> Event {
        ev(EventKind::Wire(WireEvent::Seen {
            conn: 1,
            item: Item::Pop3Command {
                dir: Direction::ClientToServer,
                offset: 0,
                text: text.into(),
            },
        }))
    }

    fn fold(events: &[Event]) -> Facts {
        let mut f = Facts::default();
        for e in events {
            f.apply(e);
        }
        f
    }

    #[test]
    fn the_commands_carried_are_listed_with_passwords_masked() {
        let f = fold(&[command("USER alice"), command("STAT")]);
        assert_eq!(
            Expect::PasswordLeaked.explain_failure(&f),
            "the wire carried no PASS line and no AUTH PLAIN or AUTH LOGIN credentials; it carried: USER alice, STAT"
        );
        let f = fold(&[command("USER alice"), command("pass wonderland")]);
        let s = Expect::ApopDigestSeen.explain_failure(&f);
        assert!(s.ends_with("it carried: USER alice, pass ********"), "{s}");
        assert!(!s.contains("wonderland"), "{s}");
    }

    #[test]
    fn long_lists_are_cut_and_control_characters_never_kept() {
        let events: Vec<Event> = (0..KEPT + 3)
            .map(|i| command(&format!("NOOP {i}")))
            .collect();
        let s = Expect::PasswordLeaked.explain_failure(&fold(&events));
        assert!(s.ends_with(", … (3 more)"), "{s}");
        let s = Expect::PasswordLeaked.explain_failure(&fold(&[command("USER \u{1b}[2Jx")]));
        assert!(!s.contains('\u{1b}'), "{s}");
    }

    #[test]
    fn nothing_at_all_is_said_as_such() {
        let f = Facts::default();
        assert_eq!(
            Expect::PasswordLeaked.explain_failure(&f),
            "the wire carried no PASS line and no AUTH PLAIN or AUTH LOGIN credentials; it carried no command at all"
        );
        assert_eq!(
            Expect::LoggedIn.explain_failure(&f),
            "no client has connected to the server"
        );
        assert_eq!(
            Expect::Reply(true).explain_failure(&f),
            "the client has received no reply"
        );
        assert_eq!(
            Expect::AttackBlocked.explain_failure(&f),
            "no verdict said the attack failed; no attack is on the wire"
        );
    }

    /// Every expectation word has a sentence, and none is empty, whatever
    /// the facts.
    #[test]
    fn every_expectation_explains_itself() {
        for word in super::super::vocab::EXPECT_WORDS {
            let arg = match *word {
                "state" => " transaction",
                "reply" => " ok",
                "tls-version" => " 1.3",
                "handshake" => " ClientHello",
                "deleted" | "marked" => " 1",
                _ => "",
            };
            let e = Expect::parse(&format!("{word}{arg}")).expect("a valid word");
            let s = e.explain_failure(&Facts::default());
            assert!(!s.trim().is_empty(), "{word}");
        }
    }
}
