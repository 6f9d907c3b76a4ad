//! The lab screen's edge: the terminal (set up, and restored on quit,
//! error and panic), the lab driver task, and the one `select!` loop.

use std::io::{self, Stdout};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event as TermEvent, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_core::Stream;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use super::app::{Action, App, Effect, Focus, GateOp, TICK_MS};
use super::panes::Screen;
use super::theme::{Theme, ThemeName};
use crate::lab::driver::{DriverMsg, LabCmd, drive};
use crate::lab::{Event, Scenario};
use crate::lesson::{Lang, progress, set};
use crate::wire::tap::Gate;

/// How to open the lab screen.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// The scenario to start with (one of [`Scenario::NAMES`]).
    pub scenario: String,
    /// The palette.
    pub theme: ThemeName,
    /// Capture the mouse (off lets the terminal select text).
    pub mouse: bool,
    /// When the process started, for the first-frame hook below.
    pub started: Instant,
    /// Open the lesson of this chapter (`--lesson N`).
    pub lesson: Option<u32>,
    /// A teacher's lessons to load beside the built-in ones (`--lessons DIR`).
    pub lessons_dir: Option<std::path::PathBuf>,
    /// The only TLS version the lab's client offers (`--tls-version`).
    pub tls_version: Option<crate::lab::TlsVersion>,
}

/// A hidden hook for measuring start-up (`scripts/tui-speed.sh` uses it).
/// With `POPSCOPE_FIRST_FRAME_MS=1`, the milliseconds from process start to
/// the end of the first drawn frame are logged at info level (so run with
/// `--log info`). With `POPSCOPE_EXIT_AFTER_FIRST_FRAME=1`, the screen
/// closes right after that frame by the ordinary way out, so the terminal
/// is restored and the lab shut down as on a quit. With
/// `POPSCOPE_PANIC_AFTER_FIRST_FRAME=1` it panics there instead, so that
/// `tests/tui_tmux.rs` can check the panic hook gives the terminal back.
struct FirstFrame {
    started: Instant,
    log: bool,
    exit: bool,
    panic: bool,
}

impl FirstFrame {
    fn from_env(started: Instant) -> Option<FirstFrame> {
        let on = |name| std::env::var_os(name).is_some_and(|v| v == "1");
        let (log, exit, panic) = (
            on("POPSCOPE_FIRST_FRAME_MS"),
            on("POPSCOPE_EXIT_AFTER_FIRST_FRAME"),
            on("POPSCOPE_PANIC_AFTER_FIRST_FRAME"),
        );
        (log || exit || panic).then_some(FirstFrame {
            started,
            log,
            exit,
            panic,
        })
    }
}

/// Open the lab screen and run it until the user quits.
pub async fn run(options: TuiOptions) -> anyhow::Result<()> {
    let mut scenario = Scenario::named(&options.scenario)
        .with_context(|| format!("unknown scenario {:?}", options.scenario))?;
    scenario.tls_version = options.tls_version;
    let mut app = App::new(scenario.clone());
    app.mouse = options.mouse;
    app.theme = options.theme;
    let progress_path = load_lessons(&mut app, &options)?;

    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel();
    let driver = tokio::spawn(drive(scenario, cmd_rx, msg_tx));

    let first = FirstFrame::from_env(options.started);
    let link = Link {
        cmd_tx: &cmd_tx,
        msg_rx: &mut msg_rx,
        clock: None,
    };
    let result = screen(&mut app, link, first, progress_path.as_deref()).await;

    // Let the driver close the lab (sessions end, temporary maildirs go)
    // but never keep a user who asked to quit waiting long.
    drop(cmd_tx);
    let _ = tokio::time::timeout(Duration::from_secs(2), driver).await;
    result
}

/// How to open a replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The palette.
    pub theme: ThemeName,
    /// Capture the mouse (off lets the terminal select text).
    pub mouse: bool,
    /// The wall-clock time of the events' zero (the capture's first
    /// packet), for the times in a capture written with `w`; `None` takes
    /// the time the replay opened.
    pub start: Option<SystemTime>,
}

/// Replay recorded `events` on the lab screen, with no lab behind it:
/// the eavesdropper and TLS panes show the recording, paused at its
/// start; Space steps, `p` plays and pauses, `,` and `.` step back and
/// forward, `w` writes the events as a pcapng capture. `title` (a file's
/// name) is shown in the status bar. Returns when the user quits; the
/// terminal is given back on quit, error and panic, as for the lab.
pub async fn run_replay(
    events: Vec<Event>,
    title: String,
    options: ReplayOptions,
) -> anyhow::Result<()> {
    let mut app = App::replay(events, title);
    app.mouse = options.mouse;
    app.theme = options.theme;
    app.lesson.lang = Lang::from_lang_env(std::env::var("LANG").ok().as_deref());
    // No driver: commands go nowhere and no lab message ever comes (the
    // sender is kept so the channel stays open and quiet).
    let (cmd_tx, _cmd_rx) = mpsc::unbounded_channel();
    let (_msg_tx, mut msg_rx) = mpsc::unbounded_channel();
    let link = Link {
        cmd_tx: &cmd_tx,
        msg_rx: &mut msg_rx,
        clock: Some((0, options.start.unwrap_or_else(SystemTime::now))),
    };
    screen(&mut app, link, None, None).await
}

/// The run loop's ends towards the lab driver.
struct Link<'a> {
    cmd_tx: &'a mpsc::UnboundedSender<LabCmd>,
    msg_rx: &'a mut mpsc::UnboundedReceiver<DriverMsg>,
    /// The wall-clock time of the current lab's clock zero, with the lab's
    /// generation, for the times in a capture.
    clock: Option<(u64, SystemTime)>,
}

/// Take the terminal, run the screen until the user quits, and give the
/// terminal back whatever the way out.
async fn screen(
    app: &mut App,
    link: Link<'_>,
    first: Option<FirstFrame>,
    progress_path: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let no_color = Theme::no_color_from_env();
    let guard = TerminalGuard::enter(app.mouse)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    let result = event_loop(&mut terminal, app, no_color, link, first, progress_path).await;
    drop(terminal);
    drop(guard);
    result
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    no_color: bool,
    link: Link<'_>,
    mut first: Option<FirstFrame>,
    progress_path: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut gate: Option<Gate> = None;
    let Link {
        cmd_tx,
        msg_rx,
        mut clock,
    } = link;
    let (saved_tx, mut saved_rx) = mpsc::unbounded_channel();
    loop {
        for effect in app.take_effects() {
            match effect {
                Effect::Lab(cmd) => {
                    let _ = cmd_tx.send(cmd);
                }
                Effect::SaveProgress => {
                    // Losing a save is not worth stopping the lab for; the
                    // log says why, and the next save tries again.
                    if let Some(path) = progress_path
                        && let Err(e) = app.lesson.progress.save(path)
                    {
                        tracing::warn!("cannot save progress to {}: {e}", path.display());
                    }
                }
                Effect::WriteCapture {
                    events,
                    server_port,
                    name,
                } => {
                    let start = clock.map_or_else(SystemTime::now, |(_, t)| t);
                    let now = SystemTime::now();
                    let dirs = super::save::capture_dirs();
                    // Tens of MiB take a moment to write; the screen goes
                    // on meanwhile and hears back below.
                    let tx = saved_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let saved = super::save::save_capture(
                            &events,
                            server_port,
                            start,
                            &name,
                            now,
                            &dirs,
                        );
                        let _ = tx.send(saved);
                    });
                }
                Effect::Gate(op) => {
                    if let Some(g) = &gate {
                        match op {
                            GateOp::Open => g.open(),
                            GateOp::Pause => g.pause(),
                            GateOp::Step => g.step(),
                        }
                    }
                }
            }
        }
        if app.quit {
            // A paused wire would hold the driver's last exchange.
            if let Some(g) = &gate {
                g.open();
            }
            return Ok(());
        }
        if app.dirty {
            // The theme can change while running, so it is the app's.
            let theme = &Theme::new(app.theme, no_color);
            terminal.draw(|f| f.render_widget(&Screen { app, theme }, f.area()))?;
            app.dirty = false;
            if let Some(ff) = first.take() {
                if ff.log {
                    let ms = ff.started.elapsed().as_secs_f64() * 1000.0;
                    tracing::info!("first frame drawn {ms:.1} ms after start");
                }
                if ff.panic {
                    panic!("POPSCOPE_PANIC_AFTER_FIRST_FRAME is set: panicking on purpose");
                }
                if ff.exit {
                    return Ok(());
                }
            }
        }
        let next_term = std::future::poll_fn(|cx| Pin::new(&mut events).poll_next(cx));
        tokio::select! {
            ev = next_term => match ev {
                Some(Ok(ev)) => {
                    let action = match ev {
                        TermEvent::Key(k) => app.action_for_key(k),
                        TermEvent::Mouse(m) => app.action_for_mouse(m),
                        TermEvent::Resize(w, h) => Some(Action::Resize(w, h)),
                        _ => None,
                    };
                    if let Some(a) = action {
                        app.update(a);
                    }
                }
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => return Ok(()),
            },
            Some(msg) = msg_rx.recv() => {
                on_driver(app, &mut gate, &mut clock, msg);
                // Take whatever else has arrived before drawing: a busy wire
                // sends thousands of events, and one frame for each would
                // fall further and further behind. The cap keeps keys
                // answered between batches.
                let until = Instant::now() + BATCH_TIME;
                for _ in 0..BATCH {
                    if Instant::now() >= until {
                        break;
                    }
                    match msg_rx.try_recv() {
                        Ok(msg) => on_driver(app, &mut gate, &mut clock, msg),
                        Err(_) => break,
                    }
                }
            }
            Some(saved) = saved_rx.recv() => app.update(Action::CaptureSaved(saved)),
            _ = tick.tick() => app.update(Action::Tick),
        }
    }
}

/// Give the app its lessons: the built-in ones, a teacher's from
/// `--lessons DIR` (refused with every problem listed when they do not
/// check), the language from LANG and the saved progress. Returns where
/// progress is saved.
fn load_lessons(app: &mut App, options: &TuiOptions) -> anyhow::Result<Option<std::path::PathBuf>> {
    let builtin = set::builtin();
    let teacher = match &options.lessons_dir {
        None => Vec::new(),
        Some(dir) => {
            if !dir.is_dir() {
                // Said before the screen takes the terminal, where the
                // message can still be read.
                anyhow::bail!(
                    "--lessons {}: not a directory (give the course directory that holds ja/ and en/)",
                    dir.display()
                );
            }
            let set::Loaded {
                lessons, problems, ..
            } = set::load_course(dir);
            if !problems.is_empty() {
                let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                anyhow::bail!(
                    "the lessons in {} have {} problem(s):\n{}\n(`popscope lessons check {}` checks them without opening the lab)",
                    dir.display(),
                    problems.len(),
                    list.join("\n"),
                    dir.display()
                );
            }
            lessons
        }
    };
    let course = set::Course::merged(builtin, teacher);
    if let Some(n) = options.lesson
        && course.get(n, Lang::En).is_none()
    {
        let have: Vec<String> = course.chapters().iter().map(|c| c.to_string()).collect();
        anyhow::bail!(
            "--lesson {n}: there is no such chapter (there are: {})",
            have.join(", ")
        );
    }
    let lang = Lang::from_lang_env(std::env::var("LANG").ok().as_deref());
    let path = progress::default_path();
    let progress = path
        .as_deref()
        .map(progress::Progress::load)
        .unwrap_or_default();
    if let Some(w) = &progress.warning {
        tracing::warn!("{w}");
    }
    // The lab teaches through its lessons, so the pane is open from the
    // start: at the chapter asked for, else where the learner left off,
    // else the first one not yet finished.
    app.set_lessons(course.lessons, lang, progress, options.lesson);
    if app.lesson.chapter.is_none() {
        let v = &app.lesson;
        let first = v
            .chapters()
            .into_iter()
            .find(|&c| {
                v.lesson_of(c)
                    .is_some_and(|l| !v.progress.lesson(&l.id).is_some_and(|p| p.done))
            })
            .or_else(|| v.chapters().first().copied());
        if let Some(c) = first {
            app.lesson.open_chapter(c);
        }
    }
    if options.lesson.is_some() {
        app.update(Action::FocusPane(Focus::Lesson));
    }
    Ok(path)
}

/// Lab messages handled before the next frame at most.
const BATCH: usize = 1024;

/// How long a batch of lab messages may take before the screen is drawn
/// and keys are read again, whatever the messages cost.
const BATCH_TIME: Duration = Duration::from_millis(10);

/// The shortest time between two workshop frames drawn for the engine's
/// events alone (a key is drawn at once): 25 frames a second is smooth to
/// the eye, and a room's thousands of events a second then cost the
/// drawing of 25 frames, not of a frame per batch.
const EVENT_FRAME: Duration = Duration::from_millis(40);

/// Apply one message from the lab driver.
fn on_driver(
    app: &mut App,
    gate: &mut Option<Gate>,
    clock: &mut Option<(u64, SystemTime)>,
    msg: DriverMsg,
) {
    match msg {
        DriverMsg::Ready(g, new_gate) => {
            if g == app.generation {
                *gate = Some(new_gate);
            }
            app.update(Action::LabReady(g));
        }
        DriverMsg::Event(g, e) => {
            // The lab's clock started a moment before its first event
            // came; that moment is as near as the screen gets to it.
            if g == app.generation && clock.is_none_or(|(c, _)| c != g) {
                let zero = SystemTime::now().checked_sub(e.at);
                *clock = Some((g, zero.unwrap_or_else(SystemTime::now)));
            }
            app.update(Action::Lab(g, e))
        }
        DriverMsg::Failed(g, why) => app.update(Action::LabFailed(g, why)),
        DriverMsg::Done(n) => app.update(Action::LabDone(n)),
    }
}

/// Puts the terminal in raw mode on the alternate screen, and back when
/// dropped, so every way out (quit, error, `?`) leaves a usable terminal.
/// A panic hook does the same for panics, before the message is printed.
struct TerminalGuard {
    mouse: bool,
}

impl TerminalGuard {
    fn enter(mouse: bool) -> anyhow::Result<TerminalGuard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore(mouse);
            previous(info);
        }));
        enable_raw_mode().context("cannot put the terminal in raw mode")?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard { mouse };
        execute!(io::stdout(), EnterAlternateScreen)?;
        if mouse {
            execute!(io::stdout(), EnableMouseCapture)?;
        }
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

/// Whether the terminal is raw and on the alternate screen. It is given
/// back once only: on a panic the hook restores it and then unwinding drops
/// the guard, and leaving the alternate screen a second time would put the
/// cursor back where it was saved on entry, above the panic message, so the
/// shell's prompt would overwrite the message.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn restore(mouse: bool) {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    if mouse {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
    let _ = execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
}

/// Open the workshop screen and run it until the teacher quits: the Wall
/// of Sheep over the engine's events, with the teacher's commands sent
/// back on `screen.commands`. The terminal is handled by the lab screen's
/// own guard, so it is given back on quit, error and panic alike.
pub async fn run_workshop(screen: super::workshop::WorkshopScreen) -> anyhow::Result<()> {
    use super::panes::wall::WorkshopView;
    use super::workshop::{Workshop, WorkshopAction};

    let super::workshop::WorkshopScreen {
        mut events,
        commands,
        listeners,
        sheet,
        attack,
        theme,
        mouse,
        lang,
    } = screen;
    let no_color = Theme::no_color_from_env();
    let mut ws = Workshop::new(listeners, sheet, attack, lang);
    ws.theme = theme;
    let guard = TerminalGuard::enter(mouse)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let size = terminal.size()?;
    ws.update(WorkshopAction::Resize(size.width, size.height));
    let first = FirstFrame::from_env(Instant::now());
    let result = async {
        let mut term_events = EventStream::new();
        let mut first = first;
        // Under a room's load the engine's events alone would redraw the
        // whole screen after every batch; they are drawn at most every
        // EVENT_FRAME instead, so the work goes to applying them and a
        // key (drawn at once) is answered sooner.
        let mut last_draw = Instant::now();
        let mut key_pressed = true;
        loop {
            for cmd in ws.take_commands() {
                // The engine gone means the workshop is over; the screen
                // still closes on the teacher's own quit.
                let _ = commands.send(cmd);
            }
            if ws.quit {
                return Ok(());
            }
            if ws.dirty && (key_pressed || last_draw.elapsed() >= EVENT_FRAME) {
                let theme = &Theme::new(ws.theme, no_color);
                terminal.draw(|f| f.render_widget(&WorkshopView { ws: &ws, theme }, f.area()))?;
                ws.dirty = false;
                key_pressed = false;
                last_draw = Instant::now();
                if let Some(ff) = first.take() {
                    if ff.log {
                        let ms = ff.started.elapsed().as_secs_f64() * 1000.0;
                        tracing::info!("first workshop frame drawn {ms:.1} ms after start");
                    }
                    if ff.panic {
                        panic!("POPSCOPE_PANIC_AFTER_FIRST_FRAME is set: panicking on purpose");
                    }
                    if ff.exit {
                        return Ok(());
                    }
                }
            }
            let next_term = std::future::poll_fn(|cx| Pin::new(&mut term_events).poll_next(cx));
            // A frame the events made due, drawn when its time comes.
            let frame_due = tokio::time::sleep_until((last_draw + EVENT_FRAME).into());
            tokio::select! {
                // The teacher's keys before the room's events.
                biased;
                ev = next_term => match ev {
                    Some(Ok(ev)) => {
                        let action = match ev {
                            TermEvent::Key(k) => ws.action_for_key(k),
                            TermEvent::Mouse(m) => ws.action_for_mouse(m),
                            TermEvent::Resize(w, h) => Some(WorkshopAction::Resize(w, h)),
                            _ => None,
                        };
                        if let Some(a) = action {
                            ws.update(a);
                        }
                        key_pressed = true;
                    }
                    Some(Err(e)) => return Err(e).context("reading the terminal"),
                    None => return Ok(()),
                },
                Some(e) = events.recv() => {
                    // A room of clients sends thousands of events a
                    // second: they are applied together and drawn once,
                    // and the batch is cut short so keys stay answered.
                    let mut batch = vec![e];
                    let until = Instant::now() + BATCH_TIME;
                    while batch.len() < BATCH && Instant::now() < until {
                        match events.try_recv() {
                            Ok(e) => batch.push(e),
                            Err(_) => break,
                        }
                    }
                    ws.update(WorkshopAction::Events(batch));
                }
                () = frame_due, if ws.dirty => {}
            }
        }
    }
    .await;
    drop(terminal);
    drop(guard);
    result
}
