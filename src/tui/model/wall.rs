//! The workshop's "Wall of Sheep": one row per connection a student's
//! mail client made through the tap, folded from the same [`Event`]
//! stream the lab screen reads.
//!
//! A row keeps typed values (the user, how the client logged in, the
//! transport the eavesdropper saw, the TLS version, the attack and its
//! verdict, the password read) and the pane words them when it draws, in
//! the teacher's language. The password is kept in clear here: hiding it
//! is the pane's job ([`crate::pop3::command::partly_masked`]), so the
//! reveal key needs no second copy.
//!
//! A room logs in again and again for as long as a workshop runs, so the
//! wall keeps at most [`MAX_ROWS`] rows and each row at most
//! [`MAX_ROW_BYTES`] captured bytes of its own events (for the
//! eavesdropper pane, which follows the selected row). The tally is
//! counted apart from the rows and stays exact when old rows go.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use crate::attack::Attack;
use crate::lab::{AttackEvent, Event, EventKind, Means, TlsVersion, Why, WireEvent};
use crate::pop3::settings::Transport;
use crate::wire::dissect::Item;
use crate::wire::pop3::Leak;
use crate::wire::tls::Handshake;

/// How many rows the wall keeps. A room of 200 fits with room for their
/// next logins; older rows give way first once their connection closed.
pub const MAX_ROWS: usize = 500;

/// Captured bytes kept per row for the eavesdropper pane. A login and a
/// few small messages fit; past it, chunks are kept as counts only (the
/// pane says how many bytes it did not keep).
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// Events kept per row for the eavesdropper pane; a client that sends
/// thousands of commands on one connection keeps its first ones.
pub const MAX_ROW_EVENTS: usize = 4_000;

/// How a client logged in, as the eavesdropper (or the attacker inside
/// its forged TLS) read it. Protocol words, shown as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// USER then PASS.
    UserPass,
    /// APOP: a digest, not the password.
    Apop,
    /// AUTH PLAIN.
    AuthPlain,
    /// AUTH LOGIN.
    AuthLogin,
}

impl Login {
    /// The protocol's own words for it.
    pub fn words(self) -> &'static str {
        match self {
            Login::UserPass => "USER/PASS",
            Login::Apop => "APOP",
            Login::AuthPlain => "AUTH PLAIN",
            Login::AuthLogin => "AUTH LOGIN",
        }
    }
}

/// The verdict on the attack applied to one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowVerdict {
    /// True when the client fell for it.
    pub succeeded: bool,
    /// Why (worded by `describe::why_in` when drawn).
    pub reason: Why,
}

/// One connection on the wall.
#[derive(Debug, Clone)]
pub struct WallRow {
    /// The tap's connection number.
    pub conn: u64,
    /// The student's address.
    pub client: SocketAddr,
    /// The user name, when it was read.
    pub user: Option<String>,
    /// How the client logged in, when it was read.
    pub login: Option<Login>,
    /// The password, in clear, when it was read (the pane masks it).
    pub password: Option<String>,
    /// An APOP digest was read: open to offline guessing, not readable.
    pub digest: bool,
    /// How the secret was read, when it was.
    pub means: Option<Means>,
    /// Plain, STLS or POP3S, as inferred from what crossed; `None` until
    /// the first POP3 line or TLS record.
    pub transport: Option<Transport>,
    /// The TLS version the server chose (its ServerHello), as a number
    /// on the wire (0x0304 for TLS 1.3).
    pub tls: Option<u16>,
    /// The attack on for new connections when this one opened.
    pub attack: Option<Attack>,
    /// The verdict on that attack for this connection.
    pub verdict: Option<RowVerdict>,
    /// Message headers read in cleartext.
    pub messages: usize,
    /// Both directions closed.
    pub closed: bool,
    /// This connection's events, for the eavesdropper pane when the row
    /// is selected (bounded, see [`MAX_ROW_BYTES`]).
    pub events: Vec<Event>,
    kept_bytes: usize,
    /// Events not kept past [`MAX_ROW_EVENTS`].
    pub dropped: usize,
}

impl WallRow {
    fn new(conn: u64, client: SocketAddr, attack: Option<Attack>) -> WallRow {
        WallRow {
            conn,
            client,
            user: None,
            login: None,
            password: None,
            digest: false,
            means: None,
            transport: None,
            tls: None,
            attack,
            verdict: None,
            messages: 0,
            closed: false,
            events: Vec::new(),
            kept_bytes: 0,
            dropped: 0,
        }
    }

    /// True when the eavesdropper or the attacker read the login: the
    /// password, or an APOP digest to guess from.
    pub fn readable(&self) -> bool {
        self.password.is_some() || self.digest
    }

    /// The TLS version as the lab names it ("1.3"), when it is one it
    /// knows; rustls names the number, [`TlsVersion`] types it.
    pub fn tls_version(&self) -> Option<TlsVersion> {
        self.tls
            .and_then(|v| TlsVersion::from_rustls_name(crate::wire::tls::version_name(v)))
    }

    /// Keep `event` for the eavesdropper pane, within the row's bounds.
    fn keep(&mut self, mut event: Event) {
        if let EventKind::Wire(WireEvent::Chunk {
            bytes, len, dir, ..
        }) = &mut event.kind
        {
            if self.kept_bytes + bytes.len() > MAX_ROW_BYTES {
                // Past the budget a chunk is kept as a count, which the
                // wire model already shows as bytes not kept; runs of
                // them in one direction are added up into one event.
                bytes.clear();
                if let Some(Event {
                    kind:
                        EventKind::Wire(WireEvent::Chunk {
                            bytes: b,
                            len: l,
                            dir: d,
                            ..
                        }),
                    ..
                }) = self.events.last_mut()
                    && b.is_empty()
                    && d == dir
                {
                    *l += *len;
                    return;
                }
            } else {
                self.kept_bytes += bytes.len();
            }
        }
        if self.events.len() >= MAX_ROW_EVENTS {
            self.dropped += 1;
            return;
        }
        self.events.push(event);
    }

    /// Fold what a leak says about the login. Returns true when the row
    /// became readable with it.
    fn leak(&mut self, leak: &Leak, means: Means) -> bool {
        let was = self.readable();
        let (user, login, password) = match leak {
            Leak::User { name } => (Some(name), None, None),
            Leak::Password { user, password } => {
                (user.as_ref(), Some(Login::UserPass), Some(password))
            }
            Leak::Apop { user, .. } => {
                self.digest = true;
                (Some(user), Some(Login::Apop), None)
            }
            Leak::AuthPlain {
                authcid, password, ..
            } => (Some(authcid), Some(Login::AuthPlain), Some(password)),
            Leak::AuthLogin { user, password } => {
                (Some(user), Some(Login::AuthLogin), Some(password))
            }
            Leak::MessageHeaders { .. } => {
                self.messages += 1;
                (None, None, None)
            }
            Leak::Greeting { .. } => (None, None, None),
        };
        if let Some(u) = user {
            self.user = Some(u.clone());
        }
        if let Some(l) = login {
            self.login = Some(l);
        }
        if let Some(p) = password {
            self.password = Some(p.clone());
        }
        if !was && self.readable() {
            self.means = Some(means);
            return true;
        }
        false
    }
}

/// The counts the wall's tally line shows, exact however many rows were
/// dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Connections made (each a client logging in).
    pub logins: u64,
    /// Of those, the ones whose login was read.
    pub readable: u64,
    /// Connections an attack was applied to and judged.
    pub attacked: u64,
    /// Of those, the ones whose client fell for it.
    pub fell: u64,
}

/// The wall's model.
#[derive(Debug, Clone, Default)]
pub struct WallModel {
    /// The rows, oldest first.
    pub rows: VecDeque<WallRow>,
    /// The counts.
    pub tally: Tally,
    /// The attack on for new connections, as last announced.
    pub attack: Option<Attack>,
    /// Rows dropped while their connection was still open: whether each
    /// was already counted readable, so a late leak is not counted twice.
    gone: HashMap<u64, bool>,
}

impl WallModel {
    /// The row of connection `conn`, if the wall still has it.
    pub fn row(&self, conn: u64) -> Option<&WallRow> {
        self.rows.iter().rev().find(|r| r.conn == conn)
    }

    fn row_mut(&mut self, conn: u64) -> Option<&mut WallRow> {
        self.rows.iter_mut().rev().find(|r| r.conn == conn)
    }

    /// The attack for connections opened from now on (the screen sets it
    /// when it asks the engine for a new one).
    pub fn set_attack(&mut self, attack: Option<Attack>) {
        self.attack = attack;
    }

    /// Fold one event. Returns the connection it belongs to, if any, so
    /// the screen can hand it on to the eavesdropper pane when that
    /// connection is the one it follows.
    pub fn apply(&mut self, event: &Event) -> Option<u64> {
        let conn = event.kind.conn();
        match &event.kind {
            EventKind::Wire(WireEvent::Opened {
                conn,
                client,
                attack,
                implicit_tls,
                ..
            }) => {
                // The engine names the attack each connection got when it
                // opened, and the listener it came in on.
                self.open(*conn, *client, *attack);
                if *implicit_tls && let Some(row) = self.row_mut(*conn) {
                    row.transport = Some(Transport::Implicit);
                }
            }
            EventKind::Attack(AttackEvent::Armed { attack }) => self.attack = Some(*attack),
            EventKind::Attack(AttackEvent::Verdict {
                conn: Some(c),
                attack,
                succeeded,
                reason,
                ..
            }) => {
                self.verdict(*c, *attack, *succeeded, reason);
                if let Some(row) = self.row_mut(*c) {
                    row.keep(event.clone());
                }
                return Some(*c);
            }
            _ => {}
        }
        let conn = conn?;
        let gone = self.gone.get(&conn).copied();
        let Some(row) = self.row_mut(conn) else {
            // A row dropped while open: only its tally matters now.
            if gone == Some(false) && prize_in(&event.kind) {
                self.tally.readable += 1;
                self.gone.insert(conn, true);
            }
            if matches!(event.kind, EventKind::Wire(WireEvent::Learned { .. })) {
                self.gone.remove(&conn);
            }
            return None;
        };
        let mut newly_readable = false;
        match &event.kind {
            EventKind::Wire(WireEvent::Seen { item, .. }) => match item {
                Item::Leak(leak) => newly_readable = row.leak(leak, Means::Cleartext),
                Item::Pop3Command { .. } | Item::Pop3Reply { .. } => {
                    row.transport.get_or_insert(Transport::Plain);
                }
                Item::TlsRecord { .. } | Item::TlsHandshake { .. } | Item::TlsAlert { .. } => {
                    // TLS before any POP3 line is POP3S; after one, the
                    // switch below has already said STLS.
                    row.transport.get_or_insert(Transport::Implicit);
                    if let Item::TlsHandshake {
                        message:
                            Handshake::ServerHello {
                                version,
                                hello_retry_request: false,
                                ..
                            },
                        ..
                    } = item
                    {
                        row.tls = Some(*version);
                    }
                }
                Item::SwitchToTls { .. } => row.transport = Some(Transport::Stls),
                Item::Undecodable { .. } => {}
            },
            EventKind::Attack(AttackEvent::Learned { means, leak, .. }) => {
                newly_readable = row.leak(leak, *means);
            }
            EventKind::Wire(WireEvent::Learned { .. }) => row.closed = true,
            _ => {}
        }
        row.keep(event.clone());
        if newly_readable {
            self.tally.readable += 1;
        }
        Some(conn)
    }

    fn open(&mut self, conn: u64, client: SocketAddr, attack: Option<Attack>) {
        self.tally.logins += 1;
        if self.rows.len() >= MAX_ROWS {
            // The oldest closed row goes first; with every row still open,
            // the oldest, whose tally is remembered until it closes.
            let at = self.rows.iter().position(|r| r.closed).unwrap_or(0);
            if let Some(old) = self.rows.remove(at)
                && !old.closed
            {
                self.gone.insert(old.conn, old.readable());
            }
        }
        self.rows.push_back(WallRow::new(conn, client, attack));
    }

    fn verdict(&mut self, conn: u64, attack: Attack, succeeded: bool, reason: &Why) {
        let Some(row) = self.row_mut(conn) else {
            return;
        };
        if row.verdict.is_some() {
            return;
        }
        row.attack = Some(attack);
        row.verdict = Some(RowVerdict {
            succeeded,
            reason: reason.clone(),
        });
        self.tally.attacked += 1;
        if succeeded {
            self.tally.fell += 1;
        }
    }
}

/// True if the event carries a login the attacker can use.
fn prize_in(kind: &EventKind) -> bool {
    let leak = match kind {
        EventKind::Wire(WireEvent::Seen {
            item: Item::Leak(l),
            ..
        }) => l,
        EventKind::Attack(AttackEvent::Learned { leak, .. }) => leak,
        _ => return false,
    };
    crate::lab::Prize::of(leak).is_some()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::wire::Direction;
    use crate::wire::dissect::Loot;

    fn ev(kind: EventKind) -> Event {
        Event {
            at: Duration::ZERO,
            kind,
        }
    }

    fn opened(conn: u64) -> Event {
        ev(EventKind::Wire(WireEvent::Opened {
            conn,
            client: SocketAddr::from(([127, 0, 0, 1], 40000 + conn as u16)),
            server: SocketAddr::from(([127, 0, 0, 1], 110)),
            attack: None,
            implicit_tls: false,
        }))
    }

    fn seen(conn: u64, item: Item) -> Event {
        ev(EventKind::Wire(WireEvent::Seen { conn, item }))
    }

    fn reply(conn: u64) -> Event {
        seen(
            conn,
            Item::Pop3Reply {
                offset: 0,
                ok: true,
                continuation: false,
                first_line: "+OK hello".into(),
                body_len: None,
                body: None,
            },
        )
    }

    fn pass(conn: u64, user: &str, password: &str) -> Vec<Event> {
        vec![
            seen(conn, Item::Leak(Leak::User { name: user.into() })),
            seen(
                conn,
                Item::Leak(Leak::Password {
                    user: Some(user.into()),
                    password: password.into(),
                }),
            ),
        ]
    }

    fn learned(conn: u64) -> Event {
        ev(EventKind::Wire(WireEvent::Learned {
            conn,
            loot: Loot::default(),
            summary: String::new(),
        }))
    }

    fn server_hello(conn: u64, version: u16) -> Event {
        seen(
            conn,
            Item::TlsHandshake {
                dir: Direction::ServerToClient,
                offset: 0,
                message: Handshake::ServerHello {
                    version,
                    cipher_suite: 0x1301,
                    group: None,
                    hello_retry_request: false,
                },
            },
        )
    }

    fn record(conn: u64) -> Event {
        seen(
            conn,
            Item::TlsRecord {
                dir: Direction::ClientToServer,
                offset: 0,
                header: crate::wire::tls::RecordHeader {
                    content_type: crate::wire::tls::ContentType::Handshake,
                    version: 0x0301,
                    length: 200,
                },
                encrypted: false,
            },
        )
    }

    fn fold(events: impl IntoIterator<Item = Event>) -> WallModel {
        let mut m = WallModel::default();
        for e in events {
            m.apply(&e);
        }
        m
    }

    #[test]
    fn a_plain_login_is_a_readable_row_with_its_user_and_password() {
        let mut events = vec![opened(1), reply(1)];
        events.extend(pass(1, "student01", "wonderland"));
        events.push(learned(1));
        let m = fold(events);
        let r = &m.rows[0];
        assert_eq!(r.user.as_deref(), Some("student01"));
        assert_eq!(r.login, Some(Login::UserPass));
        assert_eq!(r.password.as_deref(), Some("wonderland"));
        assert_eq!(r.transport, Some(Transport::Plain));
        assert_eq!(r.means, Some(Means::Cleartext));
        assert!(r.closed && r.readable());
        assert_eq!(
            m.tally,
            Tally {
                logins: 1,
                readable: 1,
                ..Tally::default()
            }
        );
    }

    #[test]
    fn pop3s_shows_its_version_and_no_login() {
        let m = fold([opened(1), record(1), server_hello(1, 0x0304), learned(1)]);
        let r = &m.rows[0];
        assert_eq!(r.transport, Some(Transport::Implicit));
        assert_eq!(r.tls_version(), Some(TlsVersion::V1_3));
        assert!(!r.readable() && r.user.is_none());
        assert_eq!(m.tally.readable, 0);
        assert_eq!(m.tally.logins, 1);
    }

    #[test]
    fn stls_is_told_by_the_switch_after_cleartext() {
        let m = fold([
            opened(1),
            reply(1),
            seen(
                1,
                Item::SwitchToTls {
                    dir: Direction::ClientToServer,
                    offset: 30,
                },
            ),
            record(1),
            server_hello(1, 0x0303),
        ]);
        assert_eq!(m.rows[0].transport, Some(Transport::Stls));
        assert_eq!(m.rows[0].tls_version(), Some(TlsVersion::V1_2));
    }

    #[test]
    fn auth_plain_and_apop_say_how_the_client_logged_in() {
        let m = fold([
            opened(1),
            seen(
                1,
                Item::Leak(Leak::AuthPlain {
                    authzid: String::new(),
                    authcid: "bob".into(),
                    password: "hunter2hunter2".into(),
                }),
            ),
            opened(2),
            seen(
                2,
                Item::Leak(Leak::Apop {
                    user: "carol".into(),
                    digest: "00".repeat(16),
                    timestamp: None,
                }),
            ),
        ]);
        assert_eq!(m.rows[0].login, Some(Login::AuthPlain));
        assert_eq!(m.rows[0].user.as_deref(), Some("bob"));
        assert_eq!(m.rows[1].login, Some(Login::Apop));
        assert!(m.rows[1].password.is_none() && m.rows[1].readable());
        assert_eq!(m.tally.readable, 2);
    }

    #[test]
    fn a_verdict_goes_to_the_connection_it_names() {
        let mut m = WallModel::default();
        m.apply(&ev(EventKind::Attack(AttackEvent::Armed {
            attack: Attack::StripStls,
        })));
        for e in [opened(1), opened(2), reply(2)] {
            m.apply(&e);
        }
        for e in pass(2, "dave", "password1") {
            m.apply(&e);
        }
        m.apply(&ev(EventKind::Attack(AttackEvent::Verdict {
            conn: Some(2),
            attack: Attack::StripStls,
            succeeded: true,
            reason: Why::Captured {
                prize: crate::lab::Prize::Password,
                means: Means::Cleartext,
            },
            why: String::new(),
        })));
        assert!(m.rows[0].verdict.is_none());
        assert_eq!(m.rows[1].attack, Some(Attack::StripStls));
        assert!(m.rows[1].verdict.as_ref().is_some_and(|v| v.succeeded));
        assert_eq!((m.tally.attacked, m.tally.fell), (1, 1));
    }

    #[test]
    fn a_verdict_names_its_connection_past_another_connections_bytes() {
        let mut m = WallModel::default();
        m.set_attack(Some(Attack::StripStls));
        for e in [opened(1), opened(2)] {
            m.apply(&e);
        }
        for e in pass(1, "frank", "password1") {
            m.apply(&e);
        }
        // Connection 2's bytes slip in between the leak and its verdict.
        m.apply(&ev(EventKind::Wire(WireEvent::Chunk {
            conn: 2,
            dir: Direction::ClientToServer,
            offset: 0,
            len: 6,
            bytes: b"CAPA\r\n".to_vec(),
        })));
        m.apply(&ev(EventKind::Attack(AttackEvent::Verdict {
            conn: Some(1),
            attack: Attack::StripStls,
            succeeded: true,
            reason: Why::Captured {
                prize: crate::lab::Prize::Password,
                means: Means::Cleartext,
            },
            why: String::new(),
        })));
        assert!(m.rows[0].verdict.as_ref().is_some_and(|v| v.succeeded));
        assert!(m.rows[1].verdict.is_none());
    }

    #[test]
    fn a_password_read_through_a_forged_certificate_counts() {
        let m = fold([
            opened(1),
            record(1),
            ev(EventKind::Attack(AttackEvent::Learned {
                conn: 1,
                means: Means::ForgedTls,
                leak: Leak::Password {
                    user: Some("erin".into()),
                    password: "s3cretpass".into(),
                },
            })),
        ]);
        assert_eq!(m.rows[0].means, Some(Means::ForgedTls));
        assert_eq!(m.rows[0].transport, Some(Transport::Implicit));
        assert_eq!(m.tally.readable, 1);
    }

    #[test]
    fn a_room_logging_in_again_and_again_keeps_the_rows_bounded_and_the_tally_exact() {
        let mut m = WallModel::default();
        let rounds = 3 * MAX_ROWS as u64;
        for conn in 0..rounds {
            m.apply(&opened(conn));
            m.apply(&reply(conn));
            // Every other client logs in in cleartext.
            if conn % 2 == 0 {
                for e in pass(conn, "s", "wonderland") {
                    m.apply(&e);
                }
            }
            m.apply(&learned(conn));
        }
        assert_eq!(m.rows.len(), MAX_ROWS);
        assert_eq!(m.tally.logins, rounds);
        assert_eq!(m.tally.readable, rounds / 2);
        // The newest rows are the ones kept.
        assert_eq!(m.rows.back().map(|r| r.conn), Some(rounds - 1));
    }

    #[test]
    fn a_row_dropped_while_open_is_counted_once_when_it_leaks_later() {
        let mut m = WallModel::default();
        for conn in 0..=MAX_ROWS as u64 {
            m.apply(&opened(conn));
        }
        // Connection 0 was dropped while open; its password comes later.
        assert!(m.row(0).is_none());
        for e in pass(0, "late", "wonderland") {
            m.apply(&e);
        }
        for e in pass(0, "late", "wonderland") {
            m.apply(&e);
        }
        m.apply(&learned(0));
        assert_eq!(m.tally.readable, 1);
        assert!(m.gone.is_empty());
    }

    #[test]
    fn a_long_transfer_keeps_a_bounded_copy_for_the_eavesdropper() {
        let mut m = WallModel::default();
        m.apply(&opened(1));
        let chunk = vec![b'x'; 4096];
        for i in 0..1000u64 {
            m.apply(&ev(EventKind::Wire(WireEvent::Chunk {
                conn: 1,
                dir: Direction::ServerToClient,
                offset: i * 4096,
                len: chunk.len(),
                bytes: chunk.clone(),
            })));
        }
        let r = &m.rows[0];
        let kept: usize = r
            .events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Wire(WireEvent::Chunk { bytes, .. }) => bytes.len(),
                _ => 0,
            })
            .sum();
        let counted: usize = r
            .events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Wire(WireEvent::Chunk { len, .. }) => *len,
                _ => 0,
            })
            .sum();
        assert!(kept <= MAX_ROW_BYTES);
        assert_eq!(counted, 1000 * 4096, "every byte is still counted");
        assert!(r.events.len() < 40, "{}", r.events.len());
    }
}
