//! The workshop screen: the Wall of Sheep above, the eavesdropper and TLS
//! panes below following the connection chosen on the wall, and a header
//! with the ports the students connect to and the attack on for new
//! connections.
//!
//! It has the lab screen's shape on a smaller scale: one [`Workshop`]
//! state, [`WorkshopAction`]s, [`Workshop::update`] the only place state
//! changes, and a key table ([`BINDINGS`]) that both answers keys and
//! writes the help. The engine (the workshop's server and tap) is on the
//! other side of two channels: its [`Event`]s come in, and the teacher's
//! [`WorkshopCmd`]s go out. The eavesdropper and TLS panes are the lab's
//! own, drawn from a lab [`App`] that is given only the followed
//! connection's events, kept per row by the wall's model.

use std::net::SocketAddr;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use tokio::sync::mpsc;

use super::app::{Action, App, WireView};
use super::keys::Key;
use super::model::wall::WallModel;
use super::theme::ThemeName;
use crate::attack::Attack;
use crate::lab::{Event, EventKind, Scenario};
use crate::lang::Lang;
use crate::pop3::settings::Transport;

/// What the workshop screen asks of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkshopCmd {
    /// Apply this attack (or none) to every connection from now on.
    Attack(Option<Attack>),
}

/// How to open the workshop screen: the engine's two channels and what
/// the header shows.
#[derive(Debug)]
pub struct WorkshopScreen {
    /// The engine's events, every connection's, in order.
    pub events: mpsc::UnboundedReceiver<Event>,
    /// Where the teacher's commands go.
    pub commands: mpsc::UnboundedSender<WorkshopCmd>,
    /// The ports the students connect to: [`Transport::Stls`] for the
    /// cleartext port that offers STLS, [`Transport::Implicit`] for POP3S.
    pub listeners: Vec<(Transport, SocketAddr)>,
    /// Where the students' sheet was written, for the header.
    pub sheet: Option<PathBuf>,
    /// The attack on for new connections when the screen opens.
    pub attack: Option<Attack>,
    /// The palette.
    pub theme: ThemeName,
    /// Capture the mouse.
    pub mouse: bool,
    /// The language the screen opens in.
    pub lang: Lang,
}

/// The attacks the `a` key steps through, in order: the two of issue 7
/// that act on a live client.
pub const ATTACK_CYCLE: [Option<Attack>; 3] =
    [None, Some(Attack::StripStls), Some(Attack::ForgeCert)];

/// The attack after `a` in [`ATTACK_CYCLE`] (an attack not in the cycle
/// goes back to none).
pub fn next_attack(a: Option<Attack>) -> Option<Attack> {
    let i = ATTACK_CYCLE.iter().position(|&x| x == a);
    match i {
        Some(i) => ATTACK_CYCLE[(i + 1) % ATTACK_CYCLE.len()],
        None => None,
    }
}

/// Everything that can happen on the workshop screen.
#[derive(Debug, Clone)]
pub enum WorkshopAction {
    /// Engine events, applied together before the next frame.
    Events(Vec<Event>),
    /// Choose the row above (newer).
    Up,
    /// Choose the row below (older).
    Down,
    /// Choose the row a page above.
    PageUp,
    /// Choose the row a page below.
    PageDown,
    /// Follow the newest connection again.
    Follow,
    /// Give the whole screen to the wall, or share it again.
    Zoom,
    /// Show or hide the passwords.
    Reveal,
    /// Switch the attack for new connections to the next one.
    CycleAttack,
    /// The eavesdropper's next view.
    CycleView,
    /// The other language.
    Lang,
    /// The next theme.
    Theme,
    /// Open or close the help.
    Help,
    /// Leave.
    Quit,
    /// A click at (column, row).
    Click(u16, u16),
    /// The wheel at (column, row); true for up.
    Wheel(u16, u16, bool),
    /// The terminal's new size.
    Resize(u16, u16),
}

/// The workshop screen's state.
pub struct Workshop {
    /// The wall.
    pub wall: WallModel,
    /// The lab's panes for the followed connection: only its wire and TLS
    /// models are used, and its language is the screen's.
    pub eaves: App,
    /// The connection chosen on the wall; `None` follows the newest.
    pub selected: Option<u64>,
    /// The connection `eaves` was built for.
    shown: Option<u64>,
    /// `eaves` must be rebuilt from the followed row's events.
    stale: bool,
    /// Passwords in clear.
    pub reveal: bool,
    /// The help is open.
    pub help: bool,
    /// The wall takes the whole screen.
    pub zoom: bool,
    /// The ports the students connect to.
    pub listeners: Vec<(Transport, SocketAddr)>,
    /// Where the sheet was written.
    pub sheet: Option<PathBuf>,
    /// The palette.
    pub theme: ThemeName,
    /// The terminal's size.
    pub size: (u16, u16),
    /// Something changed since the last frame.
    pub dirty: bool,
    /// The teacher asked to leave.
    pub quit: bool,
    commands: Vec<WorkshopCmd>,
}

impl Workshop {
    /// A screen with an empty wall.
    pub fn new(
        listeners: Vec<(Transport, SocketAddr)>,
        sheet: Option<PathBuf>,
        attack: Option<Attack>,
        lang: Lang,
    ) -> Workshop {
        // The lab app needs a scenario; only its attack is read (for the
        // eavesdropper pane's title), and that is the followed row's.
        let scenario = Scenario::named("plain")
            .unwrap_or_else(|| Scenario::named(Scenario::NAMES[0]).expect("the lab has scenarios"));
        let mut eaves = App::new(scenario);
        // The TLS pane is drawn for connections that used TLS; its words
        // for "nothing yet" are those of a scenario with TLS.
        eaves.scenario.transport = Transport::Implicit;
        eaves.lesson.lang = lang;
        let mut wall = WallModel::default();
        wall.set_attack(attack);
        Workshop {
            wall,
            eaves,
            selected: None,
            shown: None,
            stale: false,
            reveal: false,
            help: false,
            zoom: false,
            listeners,
            sheet,
            theme: ThemeName::Dark,
            size: (120, 36),
            dirty: true,
            quit: false,
            commands: Vec::new(),
        }
    }

    /// The screen's language (the lab panes' too).
    pub fn lang(&self) -> Lang {
        self.eaves.lesson.lang
    }

    /// The commands for the engine since the last call.
    pub fn take_commands(&mut self) -> Vec<WorkshopCmd> {
        std::mem::take(&mut self.commands)
    }

    /// The connections on the wall in the order it shows them: newest
    /// first, where a projected wall is read.
    pub fn order(&self) -> impl Iterator<Item = u64> + '_ {
        self.wall.rows.iter().rev().map(|r| r.conn)
    }

    /// The connection the eavesdropper pane follows: the chosen one, or
    /// the newest.
    pub fn followed(&self) -> Option<u64> {
        self.selected
            .or_else(|| self.wall.rows.back().map(|r| r.conn))
    }

    /// Where the followed row is in [`Workshop::order`].
    pub fn followed_index(&self) -> Option<usize> {
        let f = self.followed()?;
        self.order().position(|c| c == f)
    }

    /// The only place state changes.
    pub fn update(&mut self, action: WorkshopAction) {
        self.dirty = true;
        match action {
            WorkshopAction::Events(events) => {
                for e in events {
                    self.apply(e);
                }
            }
            WorkshopAction::Up => self.step(-1),
            WorkshopAction::Down => self.step(1),
            WorkshopAction::PageUp => self.step(-(self.page() as isize)),
            WorkshopAction::PageDown => self.step(self.page() as isize),
            WorkshopAction::Follow => self.select(None),
            WorkshopAction::Zoom => self.zoom = !self.zoom,
            WorkshopAction::Reveal => {
                self.reveal = !self.reveal;
                // The eavesdropper pane shows the same secrets: redrawn
                // from the row's events with or without them.
                self.stale = true;
            }
            WorkshopAction::CycleAttack => {
                let next = next_attack(self.wall.attack);
                self.wall.set_attack(next);
                self.commands.push(WorkshopCmd::Attack(next));
            }
            WorkshopAction::CycleView => self.eaves.update(Action::CycleWireView),
            WorkshopAction::Lang => {
                let l = self.lang().other();
                self.eaves.lesson.lang = l;
            }
            WorkshopAction::Theme => self.theme = self.theme.next(),
            WorkshopAction::Help => self.help = !self.help,
            WorkshopAction::Quit => self.quit = true,
            WorkshopAction::Click(x, y) => {
                if let Some(i) = self.row_at(x, y) {
                    let conn = self.order().nth(i);
                    self.select(conn);
                }
            }
            WorkshopAction::Wheel(x, y, up) => {
                if self.in_wall(x, y) {
                    self.step(if up { -1 } else { 1 });
                }
            }
            WorkshopAction::Resize(w, h) => self.size = (w, h),
        }
        self.sync();
    }

    /// Fold one engine event: into the wall, and into the eavesdropper's
    /// panes when it is the followed connection's.
    fn apply(&mut self, e: Event) {
        let conn = self.wall.apply(&e);
        if self.selected.is_some_and(|s| self.wall.row(s).is_none()) {
            // The chosen row was dropped from a full wall.
            self.selected = None;
        }
        let followed = self.followed();
        if followed != self.shown {
            self.stale = true;
        } else if !self.stale && conn.is_some() && conn == followed {
            if !self.reveal && carries_login(&e.kind) {
                // The bytes that carried the password are already in the
                // pane; rebuilt, they are hidden like the rest.
                self.stale = true;
            } else {
                let hidden = self.hidden(followed);
                feed(&mut self.eaves, e, &hidden);
            }
        }
    }

    /// What the eavesdropper pane hides of connection `conn` while the
    /// passwords are hidden: each form its password takes on the wire,
    /// and what to show instead.
    fn hidden(&self, conn: Option<u64>) -> Vec<(Vec<u8>, Vec<u8>)> {
        if self.reveal {
            return Vec::new();
        }
        conn.and_then(|c| self.wall.row(c))
            .map(hidden_forms)
            .unwrap_or_default()
    }

    /// Rebuild the eavesdropper's panes from the followed row's events
    /// when the followed connection changed (once a batch, not once an
    /// event).
    fn sync(&mut self) {
        let followed = self.followed();
        if !self.stale && followed == self.shown {
            return;
        }
        self.stale = false;
        self.shown = followed;
        self.eaves.wire = Default::default();
        self.eaves.tls = Default::default();
        self.eaves.scroll = Default::default();
        let Some(row) = followed.and_then(|c| self.wall.row(c)) else {
            self.eaves.scenario.attack = None;
            return;
        };
        self.eaves.scenario.attack = row.attack;
        let events = row.events.clone();
        let hidden = self.hidden(followed);
        for e in events {
            feed(&mut self.eaves, e, &hidden);
        }
    }

    fn select(&mut self, conn: Option<u64>) {
        self.selected = conn;
    }

    /// Move the choice `by` rows (negative is up, towards the newest).
    fn step(&mut self, by: isize) {
        let order: Vec<u64> = self.order().collect();
        if order.is_empty() {
            return;
        }
        let at = self.followed_index().unwrap_or(0) as isize;
        let to = (at + by).clamp(0, order.len() as isize - 1) as usize;
        self.select(Some(order[to]));
    }

    /// The rows the wall shows at once.
    fn page(&self) -> usize {
        let a =
            super::panes::wall::areas(Rect::new(0, 0, self.size.0, self.size.1), false, self.zoom);
        super::panes::wall::body_rows(a.wall).max(1)
    }

    fn in_wall(&self, x: u16, y: u16) -> bool {
        let a =
            super::panes::wall::areas(Rect::new(0, 0, self.size.0, self.size.1), false, self.zoom);
        a.wall.contains(ratatui::layout::Position { x, y })
    }

    /// The index in [`Workshop::order`] of the row drawn at (x, y).
    fn row_at(&self, x: u16, y: u16) -> Option<usize> {
        let a =
            super::panes::wall::areas(Rect::new(0, 0, self.size.0, self.size.1), false, self.zoom);
        if !a.wall.contains(ratatui::layout::Position { x, y }) {
            return None;
        }
        // Inside the border, below the column headings.
        let first = a.wall.y + 2;
        let line = usize::from(y.checked_sub(first)?);
        let room = super::panes::wall::body_rows(a.wall);
        if line >= room {
            return None;
        }
        let i = super::panes::wall::first_shown(self, room) + line;
        (i < self.wall.rows.len()).then_some(i)
    }

    /// The action a key stands for here, from [`BINDINGS`] alone.
    pub fn action_for_key(&self, key: KeyEvent) -> Option<WorkshopAction> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        BINDINGS
            .iter()
            .filter(|b| b.on_help == self.help || b.anywhere)
            .find(|b| b.keys.iter().any(|k| k.matches(&key)))
            .and_then(|b| (b.act)(self, &key))
    }

    /// The action a mouse event stands for.
    pub fn action_for_mouse(&self, m: MouseEvent) -> Option<WorkshopAction> {
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(WorkshopAction::Click(m.column, m.row)),
            MouseEventKind::ScrollUp => Some(WorkshopAction::Wheel(m.column, m.row, true)),
            MouseEventKind::ScrollDown => Some(WorkshopAction::Wheel(m.column, m.row, false)),
            _ => None,
        }
    }

    /// True when the followed connection used TLS (STLS or POP3S), so the
    /// TLS pane has something to show.
    pub fn followed_uses_tls(&self) -> bool {
        self.followed()
            .and_then(|c| self.wall.row(c))
            .is_some_and(|r| matches!(r.transport, Some(Transport::Stls | Transport::Implicit)))
    }

    /// The eavesdropper pane's view (text, hex, records).
    pub fn wire_view(&self) -> WireView {
        self.eaves.wire_view
    }
}

/// Hand one event of the followed connection to the lab's wire and TLS
/// models, as the lab screen routes them, with the `hidden` forms of the
/// password replaced.
fn feed(eaves: &mut App, e: Event, hidden: &[(Vec<u8>, Vec<u8>)]) {
    let e = if hidden.is_empty() {
        e
    } else {
        redact(e, hidden)
    };
    match e.kind {
        EventKind::Wire(w) => {
            eaves.tls.apply_wire(&w);
            eaves.wire.apply_wire(w);
        }
        EventKind::Attack(a) => eaves.wire.apply_attack(a),
        EventKind::Tls(t) => eaves.tls.apply_tls(&t),
        _ => {}
    }
    // The lab pane offers its password search for a captured APOP
    // digest; the workshop screen has no such key, so it offers nothing.
    eaves.wire.attack.apop = None;
}

/// True if the event brings a login's secret.
fn carries_login(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Wire(crate::lab::WireEvent::Seen {
            item: crate::wire::dissect::Item::Leak(_),
            ..
        }) | EventKind::Attack(crate::lab::AttackEvent::Learned { .. })
    )
}

/// The forms a row's password takes on the wire, longest first, each with
/// what the pane shows instead: the password itself (as the wall masks
/// it), and the base64 of AUTH PLAIN (with or without an authorization
/// identity) and of AUTH LOGIN (starred whole).
pub fn hidden_forms(row: &super::model::wall::WallRow) -> Vec<(Vec<u8>, Vec<u8>)> {
    use base64::Engine;
    let Some(p) = row.password.as_deref().filter(|p| !p.is_empty()) else {
        return Vec::new();
    };
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let user = row.user.as_deref().unwrap_or("");
    let mut forms: Vec<(Vec<u8>, Vec<u8>)> = [
        b64(&format!("{user}\0{user}\0{p}")),
        b64(&format!("\0{user}\0{p}")),
        b64(p),
    ]
    .into_iter()
    .map(|f| {
        let stars = "*".repeat(f.len()).into_bytes();
        (f.into_bytes(), stars)
    })
    .collect();
    forms.push((
        p.as_bytes().to_vec(),
        crate::pop3::command::partly_masked(p).into_bytes(),
    ));
    forms
}

/// `bytes` with every form in `hidden` replaced.
fn replaced(bytes: &[u8], hidden: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for (from, to) in hidden {
        if from.is_empty() || out.len() < from.len() {
            continue;
        }
        let mut next = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(from) {
                next.extend_from_slice(to);
                i += from.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out
}

fn replaced_text(s: &str, hidden: &[(Vec<u8>, Vec<u8>)]) -> String {
    String::from_utf8_lossy(&replaced(s.as_bytes(), hidden)).into_owned()
}

/// A leak with its password masked.
fn masked_leak(leak: crate::wire::pop3::Leak) -> crate::wire::pop3::Leak {
    use crate::pop3::command::partly_masked;
    use crate::wire::pop3::Leak;
    match leak {
        Leak::Password { user, password } => Leak::Password {
            user,
            password: partly_masked(&password),
        },
        Leak::AuthPlain {
            authzid,
            authcid,
            password,
        } => Leak::AuthPlain {
            authzid,
            authcid,
            password: partly_masked(&password),
        },
        Leak::AuthLogin { user, password } => Leak::AuthLogin {
            user,
            password: partly_masked(&password),
        },
        other => other,
    }
}

/// The event as the eavesdropper pane may show it while the passwords are
/// hidden: the password masked wherever it is (the bytes, the commands,
/// the leaks, the loot, what the attacker read).
fn redact(mut e: Event, hidden: &[(Vec<u8>, Vec<u8>)]) -> Event {
    use crate::lab::{AttackEvent, WireEvent};
    use crate::wire::dissect::Item;
    use crate::wire::tap::AttackNote;
    match &mut e.kind {
        EventKind::Wire(WireEvent::Chunk { bytes, len, .. }) => {
            // A masked password may be longer or shorter in bytes than the
            // real one (non-ASCII); the count follows what is shown.
            let kept = bytes.len();
            *bytes = replaced(bytes, hidden);
            *len = (*len + bytes.len()).saturating_sub(kept);
        }
        EventKind::Wire(WireEvent::Seen { item, .. }) => match item {
            Item::Pop3Command { text, .. } => *text = replaced_text(text, hidden),
            Item::Leak(leak) => *leak = masked_leak(leak.clone()),
            _ => {}
        },
        EventKind::Wire(WireEvent::Learned { loot, summary, .. }) => {
            for (_, p) in &mut loot.passwords {
                *p = crate::pop3::command::partly_masked(p);
            }
            *summary = replaced_text(summary, hidden);
        }
        EventKind::Attack(AttackEvent::Learned { leak, .. }) => *leak = masked_leak(leak.clone()),
        EventKind::Attack(AttackEvent::Acted {
            note: AttackNote::Read { bytes, .. },
            ..
        }) => *bytes = replaced(bytes, hidden),
        EventKind::Attack(AttackEvent::Decrypted { text, .. }) => {
            *text = replaced_text(text, hidden)
        }
        _ => {}
    }
    e
}

/// One row of the workshop's key map, as [`super::keys::Binding`] is for
/// the lab screen: the keys, the help's words (a catalogue id), the short
/// word of the key line if the key is on it, and what the keys do.
pub struct WorkshopBinding {
    /// The keys, in the order the help names them.
    pub keys: &'static [Key],
    /// What the help says they do.
    pub help: &'static str,
    /// The word on the key line at the bottom, if the key is there.
    pub short: Option<&'static str>,
    /// The row applies while the help is open (and only then).
    pub on_help: bool,
    /// The row applies with the help open or not.
    pub anywhere: bool,
    /// The action.
    pub act: fn(&Workshop, &KeyEvent) -> Option<WorkshopAction>,
}

const fn c(ch: char) -> Key {
    Key::Code(KeyCode::Char(ch))
}

const fn k(code: KeyCode) -> Key {
    Key::Code(code)
}

/// Every key of the workshop screen, in the order they are tried and
/// shown.
pub const BINDINGS: &[WorkshopBinding] = &[
    WorkshopBinding {
        keys: &[Key::Ctrl('c')],
        help: "help-quit-anywhere",
        short: None,
        on_help: false,
        anywhere: true,
        act: |_, _| Some(WorkshopAction::Quit),
    },
    WorkshopBinding {
        keys: &[Key::AnyOther],
        help: "wall-key-close",
        short: None,
        on_help: true,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Help),
    },
    WorkshopBinding {
        keys: &[k(KeyCode::Up), k(KeyCode::Down), c('k'), c('j')],
        help: "wall-key-select",
        short: Some("wall-short-select"),
        on_help: false,
        anywhere: false,
        act: |_, key| {
            Some(match key.code {
                KeyCode::Up | KeyCode::Char('k') => WorkshopAction::Up,
                _ => WorkshopAction::Down,
            })
        },
    },
    WorkshopBinding {
        keys: &[k(KeyCode::PageUp), k(KeyCode::PageDown)],
        help: "wall-key-page",
        short: None,
        on_help: false,
        anywhere: false,
        act: |_, key| {
            Some(if key.code == KeyCode::PageUp {
                WorkshopAction::PageUp
            } else {
                WorkshopAction::PageDown
            })
        },
    },
    WorkshopBinding {
        keys: &[c('z')],
        help: "wall-key-zoom",
        short: None,
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Zoom),
    },
    WorkshopBinding {
        keys: &[k(KeyCode::Esc), k(KeyCode::Home), c('g')],
        help: "wall-key-follow",
        short: None,
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Follow),
    },
    WorkshopBinding {
        keys: &[c('r')],
        help: "wall-key-reveal",
        short: Some("wall-short-reveal"),
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Reveal),
    },
    WorkshopBinding {
        keys: &[c('a')],
        help: "wall-key-attack",
        short: Some("wall-short-attack"),
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::CycleAttack),
    },
    WorkshopBinding {
        keys: &[c('v')],
        help: "help-panes-view",
        short: None,
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::CycleView),
    },
    WorkshopBinding {
        keys: &[c(super::keys::LANGUAGE)],
        help: "help-panes-lang",
        short: None,
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Lang),
    },
    WorkshopBinding {
        keys: &[c(super::keys::THEME)],
        help: "help-panes-theme",
        short: None,
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Theme),
    },
    WorkshopBinding {
        keys: &[c('?'), k(KeyCode::F(1))],
        help: "wall-key-help",
        short: Some("wall-short-help"),
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Help),
    },
    WorkshopBinding {
        keys: &[c('q')],
        help: "wall-key-quit",
        short: Some("wall-short-quit"),
        on_help: false,
        anywhere: false,
        act: |_, _| Some(WorkshopAction::Quit),
    },
];

/// The help's rows in `lang`: the keys as the help writes them, and what
/// they do, from [`BINDINGS`], then the mouse.
pub fn help_rows(lang: Lang) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = BINDINGS
        .iter()
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(|k| k.name(lang)).collect();
            (keys.join(" "), crate::i18n::tr(lang, b.help))
        })
        .collect();
    rows.push((
        crate::tr!(lang, "wall-key-mouse"),
        crate::tr!(lang, "wall-key-click"),
    ));
    rows
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyModifiers;

    use super::*;
    use crate::lab::WireEvent;

    fn opened(conn: u64) -> Event {
        Event {
            at: Duration::ZERO,
            kind: EventKind::Wire(WireEvent::Opened {
                conn,
                client: SocketAddr::from(([127, 0, 0, 1], 40000 + conn as u16)),
                server: SocketAddr::from(([127, 0, 0, 1], 110)),
                attack: None,
                implicit_tls: false,
            }),
        }
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn press(w: &mut Workshop, k: KeyEvent) {
        if let Some(a) = w.action_for_key(k) {
            w.update(a);
        }
    }

    #[test]
    fn every_key_row_is_worded_in_both_languages() {
        let mut missing = Vec::new();
        for b in BINDINGS {
            for id in std::iter::once(b.help).chain(b.short) {
                for lang in Lang::ALL {
                    if !crate::i18n::has(lang, id) {
                        missing.push(format!("{id} ({})", lang.code()));
                    }
                }
            }
        }
        assert_eq!(missing, Vec::<String>::new());
    }

    #[test]
    fn the_attack_key_cycles_and_sends_each_choice_to_the_engine_which_names_each_rows() {
        let mut w = Workshop::new(Vec::new(), None, None, Lang::En);
        for _ in 0..3 {
            press(&mut w, key('a'));
        }
        assert_eq!(
            w.take_commands(),
            vec![
                WorkshopCmd::Attack(Some(Attack::StripStls)),
                WorkshopCmd::Attack(Some(Attack::ForgeCert)),
                WorkshopCmd::Attack(None),
            ]
        );
        // A row carries the attack the engine says its connection got,
        // whatever the key says now.
        let mut e = opened(1);
        if let EventKind::Wire(WireEvent::Opened { attack, .. }) = &mut e.kind {
            *attack = Some(Attack::StripStls);
        }
        w.update(WorkshopAction::Events(vec![e, opened(2)]));
        assert_eq!(w.wall.rows[0].attack, Some(Attack::StripStls));
        assert_eq!(w.wall.rows[1].attack, None);
    }

    #[test]
    fn arrows_choose_rows_newest_first_and_esc_follows_again() {
        let mut w = Workshop::new(Vec::new(), None, None, Lang::En);
        w.update(WorkshopAction::Events((1..=3).map(opened).collect()));
        assert_eq!(w.followed(), Some(3));
        press(&mut w, KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        assert_eq!(w.followed(), Some(2));
        // A new connection does not take the choice away.
        w.update(WorkshopAction::Events(vec![opened(4)]));
        assert_eq!(w.followed(), Some(2));
        press(&mut w, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        assert_eq!(w.followed(), Some(4));
        press(&mut w, key('r'));
        assert!(w.reveal);
        press(&mut w, key('?'));
        assert!(w.help);
        // Any key closes the help, and does nothing else.
        press(&mut w, key('q'));
        assert!(!w.help && !w.quit);
        press(&mut w, key('q'));
        assert!(w.quit);
    }

    /// Every text line of the eavesdropper pane's model, as debug text
    /// (enough to look for a password in).
    fn wire_text(w: &Workshop) -> String {
        format!(
            "{:?}{:?}{:?}",
            w.eaves.wire.text, w.eaves.wire.records, w.eaves.wire.loot
        )
    }

    #[test]
    fn the_eavesdropper_pane_hides_the_password_until_it_is_revealed() {
        use crate::wire::Direction;
        use crate::wire::dissect::Item;
        use crate::wire::pop3::Leak;
        let line = "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n";
        let ev = |kind| Event {
            at: Duration::ZERO,
            kind,
        };
        let events = vec![
            opened(1),
            ev(EventKind::Wire(WireEvent::Chunk {
                conn: 1,
                dir: Direction::ClientToServer,
                offset: 0,
                len: line.len(),
                bytes: line.as_bytes().to_vec(),
            })),
            ev(EventKind::Wire(WireEvent::Seen {
                conn: 1,
                item: Item::Pop3Command {
                    dir: Direction::ClientToServer,
                    offset: 0,
                    text: line.trim_end().into(),
                },
            })),
            ev(EventKind::Wire(WireEvent::Seen {
                conn: 1,
                item: Item::Leak(Leak::AuthPlain {
                    authzid: String::new(),
                    authcid: "alice".into(),
                    password: "wonderland".into(),
                }),
            })),
        ];
        let mut w = Workshop::new(Vec::new(), None, None, Lang::En);
        w.update(WorkshopAction::Events(events));
        let hidden = wire_text(&w);
        assert!(hidden.contains("wo******nd"), "{hidden}");
        assert!(
            !hidden.contains("wonderland") && !hidden.contains("AGFsaWNlAHdvbmRlcmxhbmQ="),
            "{hidden}"
        );
        w.update(WorkshopAction::Reveal);
        let shown = wire_text(&w);
        assert!(
            shown.contains("wonderland") && shown.contains("AGFsaWNlAHdvbmRlcmxhbmQ="),
            "{shown}"
        );
    }

    #[test]
    fn a_click_chooses_the_row_under_it_and_pages_move_by_a_wall() {
        let mut w = Workshop::new(Vec::new(), None, None, Lang::En);
        w.update(WorkshopAction::Resize(120, 36));
        w.update(WorkshopAction::Events((1..=40).map(opened).collect()));
        // The header takes two lines, the wall's border and headings two
        // more: the fifth line is the newest row, the sixth the next.
        w.update(WorkshopAction::Click(10, 5));
        assert_eq!(w.followed(), Some(39));
        w.update(WorkshopAction::Click(10, 0));
        assert_eq!(
            w.followed(),
            Some(39),
            "a click off the wall changes nothing"
        );
        let page = w.page() as u64;
        press(&mut w, KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
        assert_eq!(w.followed(), Some(39 - page));
        press(&mut w, key('z'));
        assert!(w.zoom && w.page() as u64 > page);
        w.update(WorkshopAction::Wheel(10, 10, true));
        assert_eq!(w.followed(), Some(40 - page));
    }
}
