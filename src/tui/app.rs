//! The lab screen's state, the actions that change it and `update`, the
//! only place it changes.
//!
//! Nothing here does I/O. What the screen wants done outside (send a
//! command to the lab, pause the wire) is queued as an [`Effect`] that the
//! run loop carries out, which keeps `update` testable headless.

use std::net::SocketAddr;

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use crate::attack::Attack;
use crate::lab::{AuthMethod, Event, EventKind, LabEvent, Scenario, Transport, Trust, WireEvent};
use crate::wire::dissect::Item;

use super::history::{History, Models};
use super::lesson::{LessonView, Place};
use super::theme::ThemeName;
use crate::lesson::{Lang, Lesson, PaneName, StepAction, ViewName};

/// The four panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Focus {
    /// The conversation as the client sees it, and the input line.
    Client,
    /// The server's state, commands and maildrop.
    Server,
    /// The eavesdropper: bytes as they crossed.
    Wire,
    /// The TLS timeline, parameters and secrets.
    Tls,
    /// The lesson: reading, steps and quiz.
    Lesson,
}

impl Focus {
    /// Every pane, in Tab order.
    pub const ALL: [Focus; 5] = [
        Focus::Client,
        Focus::Server,
        Focus::Wire,
        Focus::Tls,
        Focus::Lesson,
    ];

    /// The pane's title in the learner's language, from the screen's
    /// catalogue, so a Japanese lesson's words for the panes ("盗聴者のペイン")
    /// match what the screen says.
    pub fn title_in(self, lang: Lang) -> String {
        match self {
            Focus::Client => crate::tr!(lang, "pane-title-client"),
            Focus::Server => crate::tr!(lang, "pane-title-server"),
            Focus::Wire => crate::tr!(lang, "pane-title-wire"),
            Focus::Tls => crate::tr!(lang, "pane-title-tls"),
            Focus::Lesson => crate::tr!(lang, "pane-title-lesson"),
        }
    }

    /// True for panes read from the top (a summary), false for panes that
    /// follow their newest line (a log). Their scroll offsets count from
    /// that end.
    pub fn top_anchored(self) -> bool {
        matches!(self, Focus::Tls | Focus::Lesson)
    }

    /// Its place in [`Focus::ALL`], which is also its scroll slot.
    pub fn index(self) -> usize {
        Focus::ALL.iter().position(|&f| f == self).unwrap_or(0)
    }
}

/// How the eavesdropper pane shows the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireView {
    /// Cleartext POP3 lines, credentials tagged.
    Text,
    /// Offset, hex and ASCII.
    Hex,
    /// One TLS record (or POP3 line) per line, handshake messages expanded.
    Records,
}

impl WireView {
    /// The view's name for the pane title.
    pub fn name(self) -> &'static str {
        match self {
            WireView::Text => "text",
            WireView::Hex => "hex",
            WireView::Records => "records",
        }
    }

    fn next(self) -> WireView {
        match self {
            WireView::Text => WireView::Hex,
            WireView::Hex => WireView::Records,
            WireView::Records => WireView::Text,
        }
    }
}

/// The milliseconds between steps for each play speed, slowest first.
pub const SPEEDS_MS: [u64; 4] = [1000, 500, 200, 50];

/// Whether bytes flow on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateState {
    /// Everything flows at once.
    Open,
    /// Nothing flows until a step.
    Paused,
    /// One chunk per `SPEEDS_MS[speed]` milliseconds.
    Playing {
        /// Index into [`SPEEDS_MS`].
        speed: usize,
    },
}

pub use crate::lab::driver::LabCmd;

/// What to do to the tap's gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateOp {
    /// Let everything through.
    Open,
    /// Hold every chunk.
    Pause,
    /// Let one chunk through.
    Step,
}

/// Something for the run loop to do outside the state.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Tell the lab driver.
    Lab(LabCmd),
    /// Work the wire's gate.
    Gate(GateOp),
    /// Save the lesson progress (the run loop knows where).
    SaveProgress,
    /// Write these recorded events as a pcapng capture (the run loop
    /// knows the clock and picks the file), the server on `server_port`;
    /// `name` goes into the file's name. The run loop answers with
    /// [`Action::CaptureSaved`].
    WriteCapture {
        /// The events, in time order.
        events: Vec<Event>,
        /// The server side's port in the capture.
        server_port: u16,
        /// The scenario's name, or `replay`.
        name: String,
    },
}

/// Everything that can happen to the screen.
#[derive(Debug, Clone)]
pub enum Action {
    /// Leave the program.
    Quit,
    /// Move focus to the next pane.
    FocusNext,
    /// Move focus to the previous pane.
    FocusPrev,
    /// Focus this pane.
    FocusPane(Focus),
    /// Show the focused pane alone, or go back to all panes.
    ToggleZoom,
    /// Open or close the key help.
    ToggleHelp,
    /// Scroll the key help by this many lines (down when positive), for
    /// terminals too short to show every key at once.
    HelpScroll(isize),
    /// Type a character on the input line.
    InputChar(char),
    /// Delete the character before the cursor on the input line.
    InputBackspace,
    /// Delete the character under the cursor on the input line.
    InputDelete,
    /// Move the input line's cursor one character left.
    InputLeft,
    /// Move the input line's cursor one character right.
    InputRight,
    /// Move the input line's cursor to the start.
    InputHome,
    /// Move the input line's cursor to the end.
    InputEnd,
    /// Send the input line to the server.
    InputSubmit,
    /// Leave the input line so single keys work as commands.
    InputLeave,
    /// Focus the client pane's input line.
    InputEnter,
    /// A letter typed outside the input line: focus the input line, keep
    /// the letter there and say so in a one-line hint.
    TypeInto(char),
    /// Switch to the next colour theme (dark, light, high contrast).
    CycleTheme,
    /// Recall the previous command.
    HistoryPrev,
    /// Recall the next command.
    HistoryNext,
    /// Complete the POP3 command on the input line.
    Complete,
    /// Scroll the focused pane up (towards older lines).
    ScrollUp(usize),
    /// Scroll the focused pane down (towards newer lines).
    ScrollDown(usize),
    /// Scroll to the oldest line.
    ScrollTop,
    /// Follow the newest lines again.
    ScrollBottom,
    /// Show the eavesdropper's next view (text, hex, records).
    CycleWireView,
    /// Start typing a search for the focused pane.
    SearchOpen,
    /// Type a character of the search.
    SearchChar(char),
    /// Delete the last character of the search.
    SearchBackspace,
    /// Run the search and jump to the newest match.
    SearchSubmit,
    /// Jump to the next older match.
    SearchNext,
    /// Forget the search.
    SearchCancel,
    /// Open the scenario menu.
    MenuOpen,
    /// Select the menu row above.
    MenuUp,
    /// Select the menu row below.
    MenuDown,
    /// Change the selected setting backwards.
    MenuLeft,
    /// Change the selected setting forwards.
    MenuRight,
    /// Close the menu and start a fresh lab with its scenario, changed or
    /// not.
    MenuApply,
    /// Close the menu; a change not yet sent to the lab goes now.
    MenuClose,
    /// Log in the scenario's way.
    Login,
    /// Pause the wire, or let it flow again.
    TogglePause,
    /// Let one chunk cross (pausing the wire first if it flows).
    Step,
    /// Play the paused wire one chunk at a time at the chosen speed.
    Play,
    /// Play faster.
    Faster,
    /// Play slower.
    Slower,
    /// Restart the lab with the same scenario.
    Reset,
    /// Start guessing the captured APOP login's password offline, or stop
    /// the search if it runs.
    Crack,
    /// Stop the password search.
    StopCrack,
    /// A mouse click at this cell.
    Click(u16, u16),
    /// The mouse wheel at this cell: scroll the pane under the pointer,
    /// up (towards older lines) when `true`.
    Wheel(u16, u16, bool),
    /// Show or hide the lesson pane.
    LessonToggle,
    /// Go to the lesson's next step (carrying out its actions) or quiz
    /// question.
    LessonNext,
    /// Go back to the lesson's previous step (nothing is carried out).
    LessonPrev,
    /// Open the lesson list.
    LessonListOpen,
    /// Select the lesson above in the list.
    LessonListUp,
    /// Select the lesson below in the list.
    LessonListDown,
    /// Open the selected lesson.
    LessonListChoose,
    /// Close the lesson list.
    LessonListClose,
    /// Switch the lesson's language (Japanese, English).
    LangToggle,
    /// Answer the current quiz question with this choice (0-based).
    QuizAnswer(usize),
    /// The terminal's new size.
    Resize(u16, u16),
    /// Time passed (drives play mode).
    Tick,
    /// The driver started a lab of this generation.
    LabReady(u64),
    /// An event from the lab of this generation.
    Lab(u64, Box<Event>),
    /// The lab of this generation could not start.
    LabFailed(u64, String),
    /// The lab driver has finished this many commands in all.
    LabDone(u64),
    /// Step the view back one chunk over what has been recorded (the wire
    /// itself goes on).
    PastBack,
    /// Step the view forward one chunk; past the newest, it is live again.
    PastForward,
    /// Show the live lab again (in a replay: the end of the recording).
    Live,
    /// Write what has been recorded as a pcapng capture.
    WriteCapture,
    /// The capture was written to this file, or could not be, and why.
    CaptureSaved(Result<std::path::PathBuf, String>),
    /// Move the TLS pane's step selection by this many steps (down when
    /// positive); at either end, scroll the pane instead.
    TlsSelect(isize),
    /// Open the byte view on the TLS pane's selected step.
    BytesOpen,
    /// Close the byte view.
    BytesClose,
    /// Move the byte view's field selection by this many rows.
    BytesField(isize),
    /// Show the step this many steps on in the byte view.
    BytesStep(isize),
    /// Fold or unfold the byte view's selected container.
    BytesFold,
    /// Switch the byte view between the step's bytes and the key
    /// schedule.
    BytesTab,
}

pub use super::model::client::{decode_message, mask_secret};
pub use super::model::wire::{MAX_HEX_BYTES, MAX_WIRE_LINES};
pub use super::model::{
    AttackView, ClientLine, ClientModel, CrackView, HexBlock, Record, RecordLine, ServerModel,
    TextLine, TlsModel, TlsStep, WireModel,
};

/// The scenario menu's state.
#[derive(Debug, Clone)]
pub struct Menu {
    /// The selected row.
    pub row: usize,
    /// The scenario being edited.
    pub scenario: Scenario,
    /// Milliseconds since the last change not yet sent to the lab, if
    /// any: a quick run of changes restarts the lab once, at the end.
    pub pending: Option<u64>,
}

/// How long the menu waits after a change before it restarts the lab.
pub const MENU_SETTLE_MS: u64 = 300;

/// A row of the scenario menu. A new setting is a new variant here, its
/// place in [`MENU_ROWS`], and one arm in each method below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuRow {
    /// How the client connects.
    Transport,
    /// How it logs in.
    Auth,
    /// The client's policy: never send credentials without TLS.
    RequireTls,
    /// The client's policy: check the server's certificate.
    Trust,
    /// The only TLS version the client offers (1.3 and 1.2 side by side).
    TlsVersion,
    /// The attacker on the wire.
    Attacker,
    /// The lab's server runs commands injected before its TLS handshake.
    VulnerableServer,
    /// The lab's client reads replies injected before its TLS handshake.
    VulnerableClient,
}

/// The menu's rows, top to bottom.
pub const MENU_ROWS: [MenuRow; 8] = [
    MenuRow::Transport,
    MenuRow::Auth,
    MenuRow::RequireTls,
    MenuRow::Trust,
    MenuRow::TlsVersion,
    MenuRow::Attacker,
    MenuRow::VulnerableServer,
    MenuRow::VulnerableClient,
];

impl MenuRow {
    /// The row's name in `lang`.
    pub fn label(self, lang: Lang) -> String {
        match self {
            MenuRow::Transport => crate::tr!(lang, "menu-row-transport"),
            MenuRow::Auth => crate::tr!(lang, "menu-row-auth"),
            MenuRow::RequireTls => crate::tr!(lang, "menu-row-require-tls"),
            MenuRow::Trust => crate::tr!(lang, "menu-row-trust"),
            MenuRow::TlsVersion => crate::tr!(lang, "menu-row-tls-version"),
            MenuRow::Attacker => crate::tr!(lang, "menu-row-attacker"),
            MenuRow::VulnerableServer => crate::tr!(lang, "menu-row-vulnerable-server"),
            MenuRow::VulnerableClient => crate::tr!(lang, "menu-row-vulnerable-client"),
        }
    }

    /// The row's value for this scenario, in words of `lang`.
    pub fn value(self, s: &Scenario, lang: Lang) -> String {
        let vulnerable = |on: bool| {
            if on {
                crate::tr!(lang, "menu-vulnerable-on")
            } else {
                crate::tr!(lang, "menu-vulnerable-off")
            }
        };
        match self {
            MenuRow::Transport => match s.transport {
                Transport::Plain => crate::tr!(lang, "menu-transport-plain"),
                Transport::Stls => crate::tr!(lang, "menu-transport-stls"),
                Transport::Implicit => crate::tr!(lang, "menu-transport-implicit"),
            },
            // The methods' names are protocol words, the same in every
            // language.
            MenuRow::Auth => s.auth.name().to_string(),
            MenuRow::RequireTls => {
                if s.require_tls {
                    crate::tr!(lang, "menu-require-tls-on")
                } else {
                    crate::tr!(lang, "menu-require-tls-off")
                }
            }
            MenuRow::Trust => match s.verify {
                Trust::InsecureAcceptAny => crate::tr!(lang, "menu-trust-any"),
                Trust::SystemRoots => crate::tr!(lang, "menu-trust-system"),
                Trust::CaFile(_) => crate::tr!(lang, "menu-trust-ca-file"),
                Trust::LabCa => crate::tr!(lang, "menu-trust-lab"),
            },
            MenuRow::TlsVersion => match s.tls_version {
                None => crate::tr!(lang, "menu-tls-version-any"),
                Some(v) => crate::tr!(lang, "menu-tls-version-only", version = v.number()),
            },
            MenuRow::Attacker => match s.attack {
                None => crate::tr!(lang, "menu-attacker-none"),
                Some(a) => crate::lab::describe::attack_name_in(a, lang),
            },
            MenuRow::VulnerableServer => vulnerable(s.vulnerable_server),
            MenuRow::VulnerableClient => vulnerable(s.vulnerable_client),
        }
    }

    /// True when the row's current value makes the lab deliberately
    /// unsafe, so the menu can draw it in the danger colour.
    pub fn vulnerable(self, s: &Scenario) -> bool {
        match self {
            MenuRow::VulnerableServer => s.vulnerable_server,
            MenuRow::VulnerableClient => s.vulnerable_client,
            _ => false,
        }
    }

    /// Change the row's setting one step forwards or backwards.
    pub fn change(self, s: &mut Scenario, forward: bool) {
        let cycle = |i: usize, n: usize| {
            if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }
        };
        match self {
            MenuRow::Transport => {
                let all = [Transport::Plain, Transport::Stls, Transport::Implicit];
                let i = all.iter().position(|&t| t == s.transport).unwrap_or(0);
                s.transport = all[cycle(i, 3)];
                s.name = s.transport.name().to_string();
                // Requiring TLS is the safe default once TLS is on offer.
                s.require_tls = s.transport != Transport::Plain;
            }
            MenuRow::Auth => {
                let all = [
                    AuthMethod::UserPass,
                    AuthMethod::Apop,
                    AuthMethod::AuthPlain,
                ];
                let i = all.iter().position(|&a| a == s.auth).unwrap_or(0);
                s.auth = all[cycle(i, 3)];
            }
            MenuRow::RequireTls => s.require_tls = !s.require_tls,
            MenuRow::Trust => {
                // The three settings the lessons use, in order of how much
                // the client trusts: chapter 12 points the client at the
                // system CAs, which do not vouch for the lab's server.
                let all = [Trust::LabCa, Trust::SystemRoots, Trust::InsecureAcceptAny];
                let i = all.iter().position(|t| *t == s.verify).unwrap_or(0);
                s.verify = all[cycle(i, all.len())].clone();
            }
            MenuRow::TlsVersion => {
                use crate::lab::TlsVersion;
                let all = [None, Some(TlsVersion::V1_3), Some(TlsVersion::V1_2)];
                let i = all.iter().position(|&v| v == s.tls_version).unwrap_or(0);
                s.tls_version = all[cycle(i, all.len())];
                // A version means TLS: a cleartext session gets STLS, as
                // the attacks that need TLS do.
                if s.tls_version.is_some() && s.transport == Transport::Plain {
                    s.transport = Transport::Stls;
                    s.require_tls = true;
                    s.name = s.transport.name().to_string();
                }
            }
            MenuRow::Attacker => {
                let mut all = vec![None];
                all.extend(Attack::ALL.iter().copied().map(Some));
                let i = all.iter().position(|&a| a == s.attack).unwrap_or(0);
                s.attack = all[cycle(i, all.len())];
                fit_session(s);
            }
            MenuRow::VulnerableServer => s.vulnerable_server = !s.vulnerable_server,
            MenuRow::VulnerableClient => s.vulnerable_client = !s.vulnerable_client,
        }
    }
}

/// Make the session one the chosen attack can act on, changing as little
/// as possible: an attack on a session that cannot carry it shows nothing.
/// The client's policies (require TLS, verify) stay as the learner set
/// them, since comparing them is the point.
fn fit_session(s: &mut Scenario) {
    match s.attack {
        // These act on the switch to TLS, which only STLS has.
        Some(Attack::StripStls | Attack::Inject) if s.transport != Transport::Stls => {
            s.transport = Transport::Stls;
        }
        // These need TLS to forge or to decrypt; either kind will do.
        Some(Attack::ForgeCert | Attack::StealKeys) if s.transport == Transport::Plain => {
            s.transport = Transport::Stls;
        }
        // The digest must cross where the attacker can read it.
        Some(Attack::Crack) => {
            s.auth = AuthMethod::Apop;
            s.transport = Transport::Plain;
        }
        _ => {}
    }
    s.name = s.transport.name().to_string();
}

/// A search in one pane.
#[derive(Debug, Clone)]
pub struct Search {
    /// Which pane.
    pub pane: Focus,
    /// What to find (case-insensitive).
    pub query: String,
    /// Still being typed.
    pub editing: bool,
}

/// The POP3 commands Tab completes.
pub const POP3_COMMANDS: [&str; 15] = [
    "APOP", "AUTH", "CAPA", "DELE", "LIST", "NOOP", "PASS", "QUIT", "RETR", "RSET", "STAT", "STLS",
    "TOP", "UIDL", "USER",
];

/// The whole screen's state.
#[derive(Debug, Clone)]
pub struct App {
    /// What runs.
    pub scenario: Scenario,
    /// The tap's and the server's addresses.
    pub ports: Option<(SocketAddr, SocketAddr)>,
    /// The lab generation whose events are shown.
    pub generation: u64,
    /// The lab could not start, and why.
    pub lab_error: Option<String>,
    /// The focused pane.
    pub focus: Focus,
    /// True while the input line takes keys.
    pub input_active: bool,
    /// The input line.
    pub input: String,
    /// The input line's cursor, in characters from the start.
    pub cursor: usize,
    /// Commands sent, oldest first.
    pub history: Vec<String>,
    history_pos: Option<usize>,
    /// The focused pane fills the screen.
    pub zoom: bool,
    /// The help overlay is open.
    pub help: bool,
    /// Lines the help is scrolled down.
    pub help_scroll: usize,
    /// The scenario menu, when open.
    pub menu: Option<Menu>,
    /// The current search.
    pub search: Option<Search>,
    /// Lines scrolled back from the newest, per pane (0 follows the end);
    /// for top-anchored panes, lines scrolled down from the top.
    pub scroll: [usize; 5],
    /// The eavesdropper's view.
    pub wire_view: WireView,
    /// The wire's gate.
    pub gate: GateState,
    play_elapsed: u64,
    /// The client pane.
    pub client: ClientModel,
    /// The server pane.
    pub server: ServerModel,
    /// The eavesdropper pane, with the attacker's box.
    pub wire: WireModel,
    /// The TLS pane.
    pub tls: TlsModel,
    /// Each connection's key schedule, for the key schedule view. It is
    /// always the live one, also while the panes show the past.
    pub keys: super::model::KeysModel,
    /// The lesson pane.
    pub lesson: LessonView,
    /// The terminal's size.
    pub size: (u16, u16),
    /// Mouse events are enabled (for the help text).
    pub mouse: bool,
    /// The colour theme the screen is drawn in.
    pub theme: ThemeName,
    /// Letters typed outside the input line were moved onto it; the
    /// input line says so until the command is sent or left.
    pub typing_hint: bool,
    /// Commands sent to the lab driver, and how many it has finished.
    lab_sent: u64,
    lab_done: u64,
    /// A lesson's `pause` (and `step`s after it) waiting for the commands
    /// before it to finish, so the wire is held between commands rather
    /// than in the middle of one (a fresh lab's handshake, say).
    /// The number of commands to wait for, and the steps asked for since.
    held_gate: Option<(u64, u32)>,
    /// Commands a lesson sent after its waiting `pause`: they go to the
    /// lab once the wire is held, so what they send is what it holds.
    deferred: Vec<LabCmd>,
    /// Something changed since the last draw.
    pub dirty: bool,
    /// Time to leave.
    pub quit: bool,
    effects: Vec<Effect>,
    /// Everything this lab (or the replayed recording) has recorded, for
    /// stepping back and for writing a capture.
    pub recorded: History,
    /// The view of the past, when the screen shows one.
    pub past: Option<Past>,
    /// Set when the screen replays a recording instead of running a lab.
    pub replay: Option<Replay>,
    /// A message for the status bar, and the milliseconds it stays.
    pub notice: Option<(Notice, u64)>,
    /// The handshake step chosen in the TLS pane.
    pub tls_sel: Option<super::model::tls::StepRef>,
    /// The TLS pane's byte view, when open.
    pub bytes: Option<super::bytes::BytesView>,
}

/// The screen shows the state as of an earlier chunk; the lab goes on.
#[derive(Debug, Clone)]
pub struct Past {
    /// The chunks folded into the view.
    pub at: u64,
    /// The live models, put aside while the panes show the past; live
    /// events go on being folded into them.
    live: Box<Models>,
}

/// A recording replayed on the lab screen, with no lab behind it.
#[derive(Debug, Clone)]
pub struct Replay {
    /// What is replayed (a file's name), for the status bar.
    pub title: String,
}

/// A message the status bar shows for a while, worded when drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The capture was written there; when the record's start had been
    /// dropped for its size, the chunk it starts at.
    Saved {
        /// The file.
        path: std::path::PathBuf,
        /// The first chunk in it, if not the first of the lab.
        from: Option<u64>,
    },
    /// The capture could not be written.
    SaveFailed(String),
}

/// How long a notice stays in the status bar.
pub const NOTICE_MS: u64 = 10_000;

/// The milliseconds one tick stands for.
pub const TICK_MS: u64 = 50;

impl App {
    /// A fresh screen for this scenario, before the lab has started.
    pub fn new(scenario: Scenario) -> App {
        App {
            scenario,
            ports: None,
            generation: 0,
            lab_error: None,
            focus: Focus::Client,
            input_active: true,
            input: String::new(),
            cursor: 0,
            history: Vec::new(),
            history_pos: None,
            zoom: false,
            help: false,
            help_scroll: 0,
            menu: None,
            search: None,
            scroll: [0; 5],
            wire_view: WireView::Text,
            gate: GateState::Open,
            play_elapsed: 0,
            client: ClientModel::default(),
            server: ServerModel::default(),
            wire: WireModel::default(),
            tls: TlsModel::default(),
            keys: Default::default(),
            lesson: LessonView::default(),
            size: (120, 36),
            mouse: true,
            theme: ThemeName::Dark,
            typing_hint: false,
            lab_sent: 0,
            lab_done: 0,
            held_gate: None,
            deferred: Vec::new(),
            dirty: true,
            quit: false,
            effects: Vec::new(),
            recorded: History::default(),
            past: None,
            replay: None,
            notice: None,
            tls_sel: None,
            bytes: None,
        }
    }

    /// A screen that replays recorded `events` (a capture read from a
    /// file, or a lab's events) instead of running a lab: paused at the
    /// start, with play, step and stepping back over its chunks.
    pub fn replay(events: Vec<Event>, title: String) -> App {
        let scenario = events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Lab(LabEvent::Started { scenario, .. }) => Some(scenario.clone()),
                _ => None,
            })
            // A capture has no lab: the scenario only names the transport
            // its first server port suggests.
            .or_else(|| {
                let port = events.iter().find_map(|e| match &e.kind {
                    EventKind::Wire(WireEvent::Opened { server, .. }) => Some(server.port()),
                    _ => None,
                });
                Scenario::named(if port == Some(995) { "pop3s" } else { "plain" })
            })
            .expect("plain and pop3s are named scenarios");
        let mut app = App::new(scenario);
        app.replay = Some(Replay { title });
        // The recording is in memory already, so it is kept whole: a
        // replay steps back to its very start.
        app.recorded = History::new(usize::MAX);
        for e in events {
            app.record(e);
        }
        app.gate = GateState::Paused;
        app.view_at(0);
        // Nothing is typed to a recording; the eavesdropper has the keys.
        app.set_focus(Focus::Wire);
        app.lesson.open = false;
        app
    }

    /// The effects queued by `update` since the last call, oldest first.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Change the state. The only place it changes.
    pub fn update(&mut self, action: Action) {
        // Ticks change nothing visible unless play mode steps, so they do
        // not force a redraw by themselves; neither do the other actions
        // that leave the screen as it was. Those keep the flag as it is:
        // clearing it would drop a redraw that earlier actions of the same
        // batch still owe.
        let was_dirty = self.dirty;
        if !matches!(action, Action::Tick) {
            self.dirty = true;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::FocusNext | Action::FocusPrev => {
                let panes = self.panes();
                let n = panes.len();
                let i = panes.iter().position(|&f| f == self.focus).unwrap_or(0);
                let to = if matches!(action, Action::FocusNext) {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.set_focus(panes[to]);
            }
            Action::FocusPane(f) => self.set_focus(f),
            Action::ToggleZoom => self.zoom = !self.zoom,
            Action::ToggleHelp => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Action::HelpScroll(by) => {
                let max = super::panes::help::row_count();
                self.help_scroll = self.help_scroll.saturating_add_signed(by).min(max);
            }
            Action::InputChar(c) => {
                let at = self.cursor_byte();
                self.input.insert(at, c);
                self.cursor += 1;
                self.history_pos = None;
            }
            Action::InputBackspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    let at = self.cursor_byte();
                    self.input.remove(at);
                }
            }
            Action::InputDelete => {
                let at = self.cursor_byte();
                if at < self.input.len() {
                    self.input.remove(at);
                }
            }
            Action::InputLeft => self.cursor = self.cursor.saturating_sub(1),
            Action::InputRight => self.cursor = (self.cursor + 1).min(self.input.chars().count()),
            Action::InputHome => self.cursor = 0,
            Action::InputEnd => self.cursor = self.input.chars().count(),
            Action::InputSubmit => self.submit(),
            Action::InputLeave => {
                self.input_active = false;
                self.typing_hint = false;
            }
            Action::InputEnter => {
                self.focus = Focus::Client;
                self.input_active = true;
            }
            Action::TypeInto(c) => {
                self.set_focus(Focus::Client);
                self.typing_hint = true;
                self.update(Action::InputChar(c));
            }
            Action::CycleTheme => self.theme = self.theme.next(),
            Action::HistoryPrev => {
                if self.history.is_empty() {
                    return;
                }
                let pos = match self.history_pos {
                    None => self.history.len() - 1,
                    Some(p) => p.saturating_sub(1),
                };
                self.history_pos = Some(pos);
                self.input = self.history[pos].clone();
                self.cursor = self.input.chars().count();
            }
            Action::HistoryNext => match self.history_pos {
                Some(p) if p + 1 < self.history.len() => {
                    self.history_pos = Some(p + 1);
                    self.input = self.history[p + 1].clone();
                    self.cursor = self.input.chars().count();
                }
                Some(_) => {
                    self.history_pos = None;
                    self.input.clear();
                    self.cursor = 0;
                }
                None => {}
            },
            Action::Complete => self.complete(),
            Action::ScrollUp(n) => self.scroll_pane(self.focus, -(n as isize)),
            Action::ScrollDown(n) => self.scroll_pane(self.focus, n as isize),
            Action::ScrollTop | Action::ScrollBottom => {
                let far = matches!(action, Action::ScrollTop) != self.focus.top_anchored();
                self.scroll[self.focus.index()] = if far { usize::MAX } else { 0 };
                self.clamp_scroll();
            }
            Action::CycleWireView => {
                self.wire_view = self.wire_view.next();
                self.scroll[Focus::Wire.index()] = 0;
            }
            Action::SearchOpen => {
                self.search = Some(Search {
                    pane: self.focus,
                    query: String::new(),
                    editing: true,
                })
            }
            Action::SearchChar(c) => {
                if let Some(s) = &mut self.search {
                    s.query.push(c);
                }
            }
            Action::SearchBackspace => {
                if let Some(s) = &mut self.search {
                    s.query.pop();
                }
            }
            Action::SearchSubmit => {
                if let Some(s) = &mut self.search {
                    s.editing = false;
                }
                self.jump_to_match(0);
            }
            Action::SearchNext => {
                let from = if self.focus.top_anchored() {
                    0
                } else {
                    self.scroll[self.focus.index()] + 1
                };
                self.jump_to_match(from);
            }
            Action::SearchCancel => self.search = None,
            // A replay has no lab whose scenario could change.
            Action::MenuOpen if self.replay.is_some() => {}
            Action::MenuOpen => {
                self.menu = Some(Menu {
                    row: 0,
                    scenario: self.scenario.clone(),
                    pending: None,
                })
            }
            Action::MenuUp => {
                if let Some(m) = &mut self.menu {
                    m.row = (m.row + MENU_ROWS.len() - 1) % MENU_ROWS.len();
                }
            }
            Action::MenuDown => {
                if let Some(m) = &mut self.menu {
                    m.row = (m.row + 1) % MENU_ROWS.len();
                }
            }
            Action::MenuLeft | Action::MenuRight => {
                if let Some(m) = &mut self.menu {
                    MENU_ROWS[m.row].change(&mut m.scenario, matches!(action, Action::MenuRight));
                    // A change shows in the lab at once (after a short
                    // pause, so running through a row's values restarts
                    // the lab once rather than at every value).
                    m.pending = Some(0);
                }
            }
            Action::MenuApply => {
                if let Some(m) = self.menu.take() {
                    self.restart(m.scenario);
                }
                // Whatever the learner types next is a command.
                self.set_focus(Focus::Client);
            }
            Action::MenuClose => {
                // The changes are the lab's already, or about to be: the
                // menu only closes.
                if let Some(m) = self.menu.take()
                    && m.pending.is_some()
                {
                    self.restart(m.scenario);
                }
                // Whatever the learner types next is a command, not keys
                // that step the wire or log in by themselves.
                self.set_focus(Focus::Client);
            }
            Action::Login => self.send_lab(LabCmd::Login),
            // A replay's play, pause and step move the view over the
            // recorded chunks, with the lab's keys and speeds.
            Action::TogglePause if self.replay.is_some() => {
                if matches!(self.gate, GateState::Playing { .. }) {
                    self.gate = GateState::Paused;
                } else {
                    self.replay_play(1);
                }
            }
            Action::Step if self.replay.is_some() => {
                self.gate = GateState::Paused;
                self.replay_step();
            }
            Action::Play if self.replay.is_some() => self.replay_play(1),
            Action::TogglePause => {
                // The user's own keys act at once.
                self.release_held();
                if self.gate == GateState::Open {
                    self.gate = GateState::Paused;
                    self.effects.push(Effect::Gate(GateOp::Pause));
                } else {
                    self.gate = GateState::Open;
                    self.effects.push(Effect::Gate(GateOp::Open));
                }
            }
            Action::Step => {
                let held = self.held_gate.is_some();
                self.release_held();
                if held || self.gate == GateState::Open {
                    self.effects.push(Effect::Gate(GateOp::Pause));
                }
                self.gate = GateState::Paused;
                self.effects.push(Effect::Gate(GateOp::Step));
            }
            Action::Play => {
                if self.gate == GateState::Open {
                    self.effects.push(Effect::Gate(GateOp::Pause));
                }
                self.gate = GateState::Playing { speed: 1 };
                self.play_elapsed = 0;
            }
            Action::Faster | Action::Slower => {
                let speed = match self.gate {
                    GateState::Playing { speed } => speed,
                    _ => 1,
                };
                let speed = if matches!(action, Action::Faster) {
                    (speed + 1).min(SPEEDS_MS.len() - 1)
                } else {
                    speed.saturating_sub(1)
                };
                if self.gate == GateState::Open {
                    self.effects.push(Effect::Gate(GateOp::Pause));
                }
                self.gate = GateState::Playing { speed };
            }
            Action::Reset => self.restart(self.scenario.clone()),
            Action::Crack => {
                // The search acts on the live lab, so it is shown live.
                self.go_live();
                if self.cracking() {
                    self.stop_crack();
                } else if self.wire.attack.apop.is_some() {
                    self.send_lab(LabCmd::Crack);
                }
            }
            Action::StopCrack => {
                self.go_live();
                self.stop_crack();
            }
            Action::Click(x, y) if self.bytes_hit(x, y).is_some() => self.bytes_click(x, y),
            Action::Click(x, y) => {
                let area = Rect::new(0, 0, self.size.0, self.size.1);
                let areas = self.areas(area);
                let hit = areas
                    .panes
                    .iter()
                    .find(|(_, r)| r.contains(Position::new(x, y)))
                    .map(|(f, _)| *f);
                if let Some(f) = hit {
                    self.set_focus(f);
                } else if let Some(tabs) = areas.tabs
                    && tabs.contains(Position::new(x, y))
                {
                    // The tab bar is split evenly between the panes.
                    let panes = self.panes();
                    let n = panes.len() as u16;
                    let i = usize::from((x - tabs.x) * n / tabs.width.max(1));
                    self.set_focus(panes[i.min(panes.len() - 1)]);
                }
            }
            // Over the byte view the wheel walks its fields.
            Action::Wheel(x, y, up) if self.bytes.is_some() && self.bytes_hit(x, y).is_some() => {
                self.bytes_field(if up { -1 } else { 1 })
            }
            Action::Wheel(x, y, up) => {
                let area = Rect::new(0, 0, self.size.0, self.size.1);
                let areas = self.areas(area);
                // The pane under the pointer scrolls, whatever has focus,
                // as in every other program with panes.
                let pane = areas
                    .panes
                    .iter()
                    .find(|(_, r)| r.contains(Position::new(x, y)))
                    .map(|(f, _)| *f)
                    .unwrap_or(self.focus);
                self.scroll_pane(pane, if up { -3 } else { 3 });
            }
            Action::LessonToggle => {
                if self.lesson.open {
                    self.lesson.open = false;
                    if self.focus == Focus::Lesson {
                        self.set_focus(Focus::Client);
                    }
                } else {
                    self.set_focus(Focus::Lesson);
                }
            }
            Action::LessonNext => {
                if !self.lesson.open {
                    return;
                }
                // A step acts on the live lab and points at what it shows.
                self.go_live();
                let actions = self.lesson.forward();
                self.scroll[Focus::Lesson.index()] = self.lesson_scroll_target();
                self.run_step(actions);
                self.lesson.settle();
                self.reveal_highlight();
                // The quiz is answered with keys 1–4 in the lesson pane,
                // which would focus panes or type anywhere else.
                if matches!(self.lesson.place, Place::Quiz(_)) {
                    self.set_focus(Focus::Lesson);
                }
                self.save_progress();
            }
            Action::LessonPrev => {
                if !self.lesson.open {
                    return;
                }
                self.lesson.back();
                self.scroll[Focus::Lesson.index()] = self.lesson_scroll_target();
                self.reveal_highlight();
                self.save_progress();
            }
            Action::LessonListOpen => {
                let chapters = self.lesson.chapters();
                let row = self
                    .lesson
                    .chapter
                    .and_then(|c| chapters.iter().position(|&x| x == c))
                    .unwrap_or(0);
                self.lesson.list = Some(row);
            }
            Action::LessonListUp | Action::LessonListDown => {
                let n = self.lesson.chapters().len().max(1);
                if let Some(r) = &mut self.lesson.list {
                    *r = if matches!(action, Action::LessonListUp) {
                        (*r + n - 1) % n
                    } else {
                        (*r + 1) % n
                    };
                }
            }
            Action::LessonListChoose => {
                if let Some(r) = self.lesson.list.take()
                    && let Some(&c) = self.lesson.chapters().get(r)
                {
                    self.lesson.open_chapter(c);
                    self.scroll[Focus::Lesson.index()] = 0;
                    self.set_focus(Focus::Lesson);
                    self.save_progress();
                }
            }
            Action::LessonListClose => self.lesson.list = None,
            Action::LangToggle => {
                self.lesson.toggle_lang();
                self.scroll[Focus::Lesson.index()] = self.lesson_scroll_target();
                self.save_progress();
            }
            Action::QuizAnswer(choice) => {
                if self.lesson.answer(choice) {
                    self.save_progress();
                }
            }
            Action::Resize(w, h) => self.size = (w, h),
            Action::Tick => {
                if let Some(m) = &mut self.menu
                    && let Some(ms) = &mut m.pending
                {
                    *ms += TICK_MS;
                    if *ms >= MENU_SETTLE_MS {
                        m.pending = None;
                        let s = m.scenario.clone();
                        self.restart(s);
                        self.dirty = true;
                    }
                }
                if let GateState::Playing { speed } = self.gate {
                    self.play_elapsed += TICK_MS;
                    if self.play_elapsed >= SPEEDS_MS[speed] {
                        self.play_elapsed = 0;
                        if self.replay.is_some() {
                            self.replay_step();
                            self.dirty = true;
                        } else {
                            self.effects.push(Effect::Gate(GateOp::Step));
                        }
                    }
                }
                if let Some((_, ms)) = &mut self.notice {
                    *ms = ms.saturating_sub(TICK_MS);
                    if *ms == 0 {
                        self.notice = None;
                        self.dirty = true;
                    }
                }
            }
            Action::LabReady(g) => {
                if g == self.generation {
                    self.lab_error = None;
                    // A fresh lab's wire starts open; a lesson that paused
                    // right after choosing the scenario wants it held.
                    if self.gate != GateState::Open && self.held_gate.is_none() {
                        self.effects.push(Effect::Gate(GateOp::Pause));
                    }
                }
            }
            Action::LabDone(n) => {
                self.lab_done = n;
                self.dirty = was_dirty;
                if let Some((until, steps)) = self.held_gate
                    && self.lab_done >= until
                {
                    self.held_gate = None;
                    self.effects.push(Effect::Gate(GateOp::Pause));
                    for cmd in std::mem::take(&mut self.deferred) {
                        self.send_lab(cmd);
                    }
                    for _ in 0..steps {
                        self.effects.push(Effect::Gate(GateOp::Step));
                    }
                    self.dirty = true;
                }
            }
            Action::PastBack => {
                let (at, _) = self.position();
                if at > self.recorded.oldest() {
                    self.view_at(at - 1);
                } else {
                    self.dirty = was_dirty;
                }
            }
            Action::PastForward => {
                if self.past.is_some() {
                    let (at, _) = self.position();
                    self.view_at(at + 1);
                } else {
                    self.dirty = was_dirty;
                }
            }
            Action::Live => {
                self.go_live();
                if self.replay.is_some() {
                    self.gate = GateState::Paused;
                }
            }
            Action::WriteCapture => self.write_capture(),
            Action::TlsSelect(by) => {
                if !self.tls_select(by) {
                    self.scroll_pane(Focus::Tls, by);
                }
            }
            Action::BytesOpen => self.bytes_open(),
            Action::BytesClose => self.bytes_close(),
            Action::BytesField(by) => self.bytes_field(by),
            Action::BytesStep(by) => self.bytes_step_by(by),
            Action::BytesFold => self.bytes_fold(),
            Action::BytesTab => self.bytes_tab(),
            Action::CaptureSaved(result) => {
                let notice = match result {
                    Ok(path) => Notice::Saved {
                        path,
                        from: self.recorded.capture_from(),
                    },
                    Err(why) => Notice::SaveFailed(why),
                };
                self.notice = Some((notice, NOTICE_MS));
            }
            Action::LabFailed(g, why) => {
                if g == self.generation {
                    self.lab_error = Some(why);
                }
            }
            Action::Lab(g, event) => {
                if g == self.generation {
                    self.lesson.apply(&event);
                    if self.lesson.progress_dirty {
                        self.save_progress();
                    }
                    // A marked line appears with the leak the tap reports
                    // on it; looking for it only then keeps a long
                    // transfer from being searched at every chunk.
                    let leak = matches!(
                        &event.kind,
                        EventKind::Wire(WireEvent::Seen {
                            item: Item::Leak(_),
                            ..
                        })
                    );
                    self.record(*event);
                    // The marked line is looked for in the live view only:
                    // the past's panes do not move under the learner.
                    if leak && self.past.is_none() {
                        self.reveal_highlight();
                    }
                } else {
                    self.dirty = was_dirty;
                }
            }
        }
    }

    fn set_focus(&mut self, f: Focus) {
        if f == Focus::Lesson && !self.lesson.open {
            self.lesson.open = true;
            if self.lesson.chapter.is_none()
                && let Some(&c) = self.lesson.chapters().first()
            {
                self.lesson.open_chapter(c);
            }
        }
        self.focus = f;
        self.input_active = f == Focus::Client;
        self.typing_hint &= self.input_active;
    }

    fn clamp_scroll(&mut self) {
        // Kept up to the last line, not to where the view stops, so `g`
        // stays at the top when the terminal changes size; drawing and
        // scrolling by lines use the offset the view really has.
        let i = self.focus.index();
        let total = super::panes::line_count(self, self.focus);
        self.scroll[i] = self.scroll[i].min(total.saturating_sub(1));
    }

    /// Scroll a pane by `by` lines: negative towards older lines (up),
    /// positive towards newer ones (down).
    fn scroll_pane(&mut self, pane: Focus, by: isize) {
        let i = pane.index();
        let n = by.unsigned_abs();
        // Log panes count back from the newest line, summaries down from
        // the top, so "up" means opposite things to their offsets.
        let grow = (by < 0) != pane.top_anchored();
        // From the offset the view really has: after `g` the first line
        // down moves the view at once.
        let max = super::panes::max_scroll(self, pane);
        self.scroll[i] = self.scroll[i].min(max);
        self.scroll[i] = if grow {
            self.scroll[i].saturating_add(n)
        } else {
            self.scroll[i].saturating_sub(n)
        };
        self.scroll[i] = self.scroll[i].min(max);
    }

    /// The panes on screen, in Tab order: the lesson pane only when open.
    pub fn panes(&self) -> Vec<Focus> {
        Focus::ALL
            .iter()
            .copied()
            .filter(|&f| f != Focus::Lesson || self.lesson.open)
            .collect()
    }

    /// The byte offset of the input line's cursor.
    fn cursor_byte(&self) -> usize {
        self.input
            .char_indices()
            .nth(self.cursor)
            .map(|(b, _)| b)
            .unwrap_or(self.input.len())
    }

    /// Give the screen its lessons, in this language, with the saved
    /// progress; `open` opens that chapter with the pane shown. Without
    /// `open`, the place saved in the progress (chapter, step or quiz
    /// question, and language) is opened again, its steps carried out on
    /// the lab as they were.
    pub fn set_lessons(
        &mut self,
        lessons: Vec<Lesson>,
        lang: Lang,
        progress: crate::lesson::progress::Progress,
        open: Option<u32>,
    ) {
        self.lesson.course = crate::lesson::set::Course::new(lessons);
        self.lesson.lang = lang;
        self.lesson.progress = progress;
        if let Some(c) = open {
            self.lesson.open_chapter(c);
        } else if let Some(actions) = self.lesson.restore() {
            self.run_step(actions);
            self.lesson.settle();
            self.reveal_highlight();
            self.scroll[Focus::Lesson.index()] = self.lesson_scroll_target();
            if matches!(self.lesson.place, Place::Quiz(_)) {
                self.set_focus(Focus::Lesson);
            }
        }
        self.dirty = true;
    }

    /// Scroll the pane the current step's highlight marks so the marked
    /// line is in view, once per step: the line may cross the wire only
    /// after the step, so this is tried again as events arrive, and once
    /// done the learner's own scrolling is left alone. A line already in
    /// view is not moved, so a log that follows its newest line goes on
    /// following it.
    fn reveal_highlight(&mut self) {
        if self.lesson.revealed {
            return;
        }
        let Some(e) = self.lesson.highlight() else {
            return;
        };
        let Some((pane, line)) = super::panes::marked_line(self, e) else {
            return;
        };
        self.lesson.revealed = true;
        let total = super::panes::line_count(self, pane);
        // The eavesdropper's box may take up to half of its pane, so only
        // half the pane's height is sure to show the log.
        let rows = usize::from(super::panes::inner_height(self, pane) / 2).max(1);
        let i = pane.index();
        if pane.top_anchored() {
            if line < self.scroll[i] || line >= self.scroll[i] + rows {
                self.scroll[i] = line;
            }
        } else {
            let end = total.saturating_sub(self.scroll[i]);
            if line >= end || line + rows < end {
                // The marked line at the top of the part surely shown,
                // with what follows it (the password's bytes) below.
                self.scroll[i] = total.saturating_sub(line + rows);
            }
        }
    }

    /// The lesson pane's scroll offset that puts the current place at the
    /// top of the pane.
    fn lesson_scroll_target(&self) -> usize {
        super::panes::lesson::place_line(self)
    }

    /// Carry out a lesson step's actions on the lab and the screen.
    fn run_step(&mut self, actions: Vec<StepAction>) {
        for a in actions {
            match a {
                StepAction::Scenario(spec) => self.restart(spec.to_scenario()),
                StepAction::Connect => self.send_lab(LabCmd::Connect),
                StepAction::Send(line) => {
                    self.scroll[Focus::Client.index()] = 0;
                    self.send_lab(LabCmd::Command(line));
                }
                StepAction::Login => self.send_lab(LabCmd::Login),
                StepAction::Pause => {
                    if self.gate == GateState::Open {
                        if self.lab_done < self.lab_sent {
                            self.held_gate.get_or_insert((self.lab_sent, 0));
                        } else {
                            self.effects.push(Effect::Gate(GateOp::Pause));
                        }
                    }
                    self.gate = GateState::Paused;
                }
                StepAction::Resume => {
                    self.release_held();
                    self.gate = GateState::Open;
                    self.effects.push(Effect::Gate(GateOp::Open));
                }
                StepAction::Step(n) => {
                    if let Some((_, steps)) = &mut self.held_gate {
                        *steps += n;
                    } else {
                        if self.gate == GateState::Open {
                            self.effects.push(Effect::Gate(GateOp::Pause));
                        }
                        for _ in 0..n {
                            self.effects.push(Effect::Gate(GateOp::Step));
                        }
                    }
                    self.gate = GateState::Paused;
                }
                StepAction::Focus(p) => self.set_focus(focus_of(p)),
                StepAction::View(v) => {
                    self.wire_view = match v {
                        ViewName::Text => WireView::Text,
                        ViewName::Hex => WireView::Hex,
                        ViewName::Records => WireView::Records,
                    };
                    self.scroll[Focus::Wire.index()] = 0;
                }
                // The pane draws the mark and the diagram from the current
                // step, so only the focus changes here.
                StepAction::Highlight(e) => self.set_focus(focus_of(e.pane())),
                StepAction::Diagram(..) => {}
                StepAction::Attack(_) | StepAction::Set(..) => {
                    if let Some(s) = a.changed_scenario(&self.scenario) {
                        self.restart(s);
                    }
                }
                StepAction::Crack => self.send_lab(LabCmd::Crack),
                StepAction::Bytes(t) => self.bytes_lesson(t),
            }
        }
    }

    /// True while the offline password search runs.
    pub fn cracking(&self) -> bool {
        self.wire.attack.crack.as_ref().is_some_and(|c| c.running)
    }

    fn stop_crack(&mut self) {
        if let Some(c) = &mut self.wire.attack.crack
            && c.running
        {
            // The bar stops at once; the search's own end, if it reports
            // one, says how far it got.
            c.running = false;
            self.send_lab(LabCmd::StopCrack);
        }
    }

    /// True while the attacker acts: an attack is on, or it has guessed at
    /// a captured password.
    pub fn attacking(&self) -> bool {
        self.scenario.attack.is_some() || self.wire.attack.crack.is_some()
    }

    /// The pane's title in the lesson's language: the eavesdropper's pane
    /// is the attacker's while an attack is on.
    pub fn pane_title(&self, f: Focus) -> String {
        if f == Focus::Wire && self.attacking() {
            return crate::tr!(self.lesson.lang, "pane-title-attacker");
        }
        f.title_in(self.lesson.lang)
    }

    /// The mark a lab pane's frame carries while it shows the past or a
    /// replay, so no pane can be taken for the live lab; `None` when live.
    pub fn time_mark(&self) -> Option<String> {
        let lang = self.lesson.lang;
        let (at, total) = self.position();
        if self.replay.is_some() {
            Some(crate::tr!(lang, "pane-replay", at = at, total = total))
        } else if self.past.is_some() {
            Some(crate::tr!(lang, "pane-past", at = at, total = total))
        } else {
            None
        }
    }

    /// Stop waiting to pause: the commands kept back go to the lab now.
    fn release_held(&mut self) {
        self.held_gate = None;
        for cmd in std::mem::take(&mut self.deferred) {
            self.send_lab(cmd);
        }
    }

    /// Queue a command for the lab driver, counting it so a lesson's
    /// `pause` can wait for it.
    fn send_lab(&mut self, cmd: LabCmd) {
        if self.replay.is_some() {
            return;
        }
        // What the lab does next shows in the live view, so acting on it
        // brings the view back there.
        self.go_live();
        if self.held_gate.is_some() {
            self.deferred.push(cmd);
            return;
        }
        self.lab_sent += 1;
        self.effects.push(Effect::Lab(cmd));
    }

    fn save_progress(&mut self) {
        if self.lesson.progress_dirty {
            self.lesson.progress_dirty = false;
            self.effects.push(Effect::SaveProgress);
        }
    }

    /// Scroll so the newest match at least `from` lines back from the end
    /// is on the bottom line.
    fn jump_to_match(&mut self, from: usize) {
        let Some(s) = &self.search else { return };
        if s.query.is_empty() {
            return;
        }
        let q = s.query.to_lowercase();
        let lines = super::panes::line_texts(self, s.pane);
        let n = lines.len();
        let hit = (0..n)
            .rev()
            .filter(|&i| n - 1 - i >= from)
            .find(|&i| lines[i].to_lowercase().contains(&q));
        if let Some(i) = hit {
            self.scroll[s.pane.index()] = if s.pane.top_anchored() { i } else { n - 1 - i };
        }
    }

    fn restart(&mut self, scenario: Scenario) {
        // A replay has no lab to restart, and starting one would lose the
        // recording.
        if self.replay.is_some() {
            return;
        }
        let shown = self.bytes_step();
        let fresh = App::new(scenario.clone());
        self.generation += 1;
        self.scenario = scenario.clone();
        self.ports = None;
        self.lab_error = None;
        self.client = fresh.client;
        self.server = fresh.server;
        self.wire = fresh.wire;
        self.tls = fresh.tls;
        self.keys = fresh.keys;
        self.tls_sel = None;
        // The byte view stays open on the same step of the new lab's
        // handshake, once it comes.
        if let Some(r) = shown
            && let Some(v) = &mut self.bytes
        {
            v.target = super::bytes::Target::Named {
                name: r.step.name().to_string(),
                client: Some(r.step.dir == crate::wire::Direction::ClientToServer),
            };
        }
        // A new lab is a new record: its past starts now.
        self.recorded = fresh.recorded;
        self.past = None;
        self.scroll = [0, 0, 0, 0, self.scroll[Focus::Lesson.index()]];
        self.lesson.lab_restarted();
        // A paused wire would hold the old lab's last exchange forever and
        // the driver with it, so reconnecting always starts with it open.
        self.gate = GateState::Open;
        self.held_gate = None;
        self.deferred.clear();
        self.effects.push(Effect::Gate(GateOp::Open));
        self.send_lab(LabCmd::Restart(scenario));
    }

    fn submit(&mut self) {
        let line = self.input.trim().to_string();
        self.typing_hint = false;
        self.input.clear();
        self.cursor = 0;
        self.history_pos = None;
        if line.is_empty() {
            return;
        }
        if self.history.last() != Some(&line) {
            self.history.push(line.clone());
        }
        self.scroll[Focus::Client.index()] = 0;
        self.send_lab(LabCmd::Command(line));
    }

    fn complete(&mut self) {
        let word = self.input.trim_start();
        if word.is_empty() || word.contains(' ') {
            return;
        }
        let up = word.to_ascii_uppercase();
        let found: Vec<&str> = POP3_COMMANDS
            .iter()
            .copied()
            .filter(|c| c.starts_with(&up))
            .collect();
        match found.as_slice() {
            [one] => {
                self.input = format!("{one} ");
                self.cursor = self.input.chars().count();
            }
            [] => {}
            many => {
                // Complete as far as the candidates agree.
                let first = many[0];
                let common = (up.len()..=first.len())
                    .rev()
                    .find(|&n| many.iter().all(|c| c.get(..n) == first.get(..n)))
                    .unwrap_or(up.len());
                self.input = first[..common].to_string();
                self.cursor = self.input.chars().count();
            }
        }
    }

    /// Where everything goes on a screen of this size: the layout for the
    /// focus, the zoom, the lesson column and, in tab mode, the step
    /// strip (only while a step is on).
    pub fn areas(&self, area: ratatui::layout::Rect) -> super::layout::Areas {
        let step = self.lesson.current().is_some()
            && matches!(self.lesson.place, super::lesson::Place::Step(_));
        super::layout::compute(area, self.focus, self.zoom, self.lesson.open, step)
    }

    /// The input line as drawn: a password after PASS is masked.
    pub fn input_shown(&self) -> String {
        mask_secret(&self.input)
    }

    /// Record a lab event and fold it into the live models: the panes'
    /// own, or the ones put aside while the screen shows the past.
    fn record(&mut self, event: Event) {
        if self.recorded.wants_checkpoint(&event) {
            let live = self.live_models();
            self.recorded.checkpoint(live);
        }
        self.recorded.push(event.clone());
        if let EventKind::Lab(LabEvent::Started {
            scenario,
            server,
            tap,
            ..
        }) = &event.kind
        {
            self.scenario = scenario.clone();
            self.ports = Some((*tap, *server));
        }
        match &mut self.past {
            Some(p) => p.live.apply(event),
            None => {
                self.keys.apply(&event);
                super::history::fold(
                    &mut self.client,
                    &mut self.server,
                    &mut self.wire,
                    &mut self.tls,
                    event,
                )
            }
        }
    }

    /// A copy of the live models.
    fn live_models(&self) -> Models {
        match &self.past {
            Some(p) => (*p.live).clone(),
            None => Models {
                client: self.client.clone(),
                server: self.server.clone(),
                wire: self.wire.clone(),
                tls: self.tls.clone(),
                keys: self.keys.clone(),
            },
        }
    }

    /// The panes' models, taken out of them.
    fn take_models(&mut self) -> Models {
        Models {
            client: std::mem::take(&mut self.client),
            server: std::mem::take(&mut self.server),
            wire: std::mem::take(&mut self.wire),
            tls: std::mem::take(&mut self.tls),
            keys: std::mem::take(&mut self.keys),
        }
    }

    fn put_models(&mut self, m: Models) {
        self.client = m.client;
        self.server = m.server;
        self.wire = m.wire;
        self.tls = m.tls;
        self.keys = m.keys;
    }

    /// The position the panes show, and the chunks recorded: `(at,
    /// total)`; `at == total` when live.
    pub fn position(&self) -> (u64, u64) {
        let total = self.recorded.chunks();
        (self.past.as_ref().map_or(total, |p| p.at), total)
    }

    /// Show the state as of `at` chunks (clamped to what is kept); at the
    /// newest chunk, the live view comes back.
    fn view_at(&mut self, at: u64) {
        let total = self.recorded.chunks();
        let at = at.clamp(self.recorded.oldest(), total);
        if at >= total {
            self.go_live();
            return;
        }
        let models = self.recorded.models_at(at);
        match &mut self.past {
            Some(p) => p.at = at,
            None => {
                let live = self.take_models();
                self.past = Some(Past {
                    at,
                    live: Box::new(live),
                });
            }
        }
        self.put_models(models);
    }

    /// One chunk further in a replay; at its end, the replay pauses.
    fn replay_step(&mut self) {
        let (at, total) = self.position();
        if at < total {
            self.view_at(at + 1);
        }
        if self.position().0 >= total {
            self.gate = GateState::Paused;
        }
    }

    /// Play a replay at this speed, from its start when it is at its end.
    fn replay_play(&mut self, speed: usize) {
        let (at, total) = self.position();
        if at >= total {
            self.view_at(self.recorded.oldest());
        }
        self.gate = GateState::Playing { speed };
        self.play_elapsed = 0;
    }

    /// Show the live models again.
    fn go_live(&mut self) {
        if let Some(p) = self.past.take() {
            self.put_models(*p.live);
        }
    }

    /// Queue the writing of a capture of everything recorded.
    fn write_capture(&mut self) {
        let events = self.recorded.capture_events();
        // The lab's server is on its transport's standard port in the
        // capture; a replayed capture keeps its own server's port.
        let server_port = match (&self.replay, self.recorded.started()) {
            (Some(_), None) => self
                .recorded
                .first_server()
                .map_or(self.scenario.transport.standard_port(), |a| a.port()),
            _ => self.scenario.transport.standard_port(),
        };
        let name = if self.replay.is_some() {
            "replay".to_string()
        } else {
            self.scenario.name.clone()
        };
        self.effects.push(Effect::WriteCapture {
            events,
            server_port,
            name,
        });
    }

    /// The action a key stands for, given what has focus. `None` for keys
    /// that mean nothing here.
    pub fn action_for_key(&self, key: KeyEvent) -> Option<Action> {
        super::keys::action_for(self, &key)
    }

    /// The action a mouse event stands for.
    pub fn action_for_mouse(&self, m: MouseEvent) -> Option<Action> {
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(m.column, m.row)),
            MouseEventKind::ScrollUp => Some(Action::Wheel(m.column, m.row, true)),
            MouseEventKind::ScrollDown => Some(Action::Wheel(m.column, m.row, false)),
            _ => None,
        }
    }
}

/// The screen's pane for a pane named in a lesson.
pub fn focus_of(p: PaneName) -> Focus {
    match p {
        PaneName::Client => Focus::Client,
        PaneName::Server => Focus::Server,
        PaneName::Wire => Focus::Wire,
        PaneName::Tls => Focus::Tls,
        PaneName::Lesson => Focus::Lesson,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pop3::guard::Locked;
    use crate::pop3::server::ServerEvent;
    use std::time::Duration;

    #[test]
    fn the_lesson_bytes_action_waits_for_its_step_and_off_closes() {
        use crate::lesson::BytesTarget;
        use crate::tui::model::tls::tests::{event, step};
        use crate::wire::Direction::{ClientToServer, ServerToClient};
        let mut app = App::new(Scenario::named("pop3s").unwrap());
        app.run_step(vec![StepAction::Bytes(BytesTarget::Step {
            name: "Finished".into(),
            client: Some(true),
        })]);
        assert_eq!(app.focus, Focus::Tls);
        assert!(app.bytes.is_some() && app.bytes_step().is_none());
        for (order, s) in [
            (0, step(ClientToServer, 1, 0, false)),
            (1, step(ServerToClient, 20, 133, true)),
            (2, step(ClientToServer, 20, 234, true)),
        ] {
            app.update(Action::Lab(
                0,
                Box::new(Event {
                    at: Duration::ZERO,
                    kind: EventKind::Tls(event(1, order, s)),
                }),
            ));
        }
        let shown = app.bytes_step().expect("the client's Finished");
        assert_eq!(
            (shown.step.name(), shown.step.dir),
            ("Finished", ClientToServer)
        );
        app.run_step(vec![StepAction::Bytes(BytesTarget::Keys)]);
        assert_eq!(
            app.bytes.as_ref().map(|v| v.tab),
            Some(crate::tui::bytes::Tab::Keys)
        );
        assert_eq!(app.bytes_conn(), Some(1));
        app.run_step(vec![StepAction::Bytes(BytesTarget::Off)]);
        assert!(app.bytes.is_none());
    }

    #[test]
    fn a_fresh_lab_keeps_the_byte_view_on_the_same_step() {
        use crate::tui::bytes::Target;
        use crate::tui::model::tls::tests::{event, step};
        use crate::wire::Direction::ServerToClient;
        let mut app = App::new(Scenario::named("pop3s").unwrap());
        app.update(Action::Lab(
            0,
            Box::new(Event {
                at: Duration::ZERO,
                kind: EventKind::Tls(event(1, 0, step(ServerToClient, 2, 0, false))),
            }),
        ));
        app.update(Action::FocusPane(Focus::Tls));
        app.update(Action::BytesOpen);
        assert!(app.bytes_step().is_some());
        // The lesson switches to TLS 1.2: the new lab's ServerHello is
        // shown once it comes, not a step of the lab that is gone.
        app.update(Action::Reset);
        assert_eq!(
            app.bytes.as_ref().map(|v| v.target.clone()),
            Some(Target::Named {
                name: "ServerHello".into(),
                client: Some(false)
            })
        );
        assert!(app.bytes_step().is_none());
    }

    #[test]
    fn a_lab_event_reaches_the_pane_that_shows_it() {
        let mut app = App::new(Scenario::named("plain").unwrap());
        app.update(Action::Lab(
            0,
            Box::new(Event {
                at: Duration::ZERO,
                kind: EventKind::Server(ServerEvent::LockedOut {
                    session: 3,
                    who: Locked::Account("alice".into()),
                    duration: Duration::from_secs(2),
                }),
            }),
        ));
        let theme = crate::tui::theme::Theme::new(crate::tui::theme::ThemeName::Dark, true);
        let shown: Vec<String> = crate::tui::panes::server::maildrop(&app, &theme)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(
            shown[0],
            "LOCKED OUT: account alice for 2 s (failure budget)"
        );
    }
}
