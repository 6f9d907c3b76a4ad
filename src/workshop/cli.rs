//! `popscope workshop`: start the workshop, write the student sheet, and
//! show what crosses until Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::mpsc;

use super::accounts;
use super::sheet::{self, Sheet};
use super::{Workshop, WorkshopOptions};
use crate::attack::Attack;
use crate::demo::Transcript;
use crate::lab::Event;
use crate::pop3::auth::Users;
use crate::sanitize;

/// Flags of `popscope workshop`.
#[derive(Debug, clap::Args)]
pub struct WorkshopArgs {
    /// Where the students' clients connect for POP3 (cleartext, STLS
    /// offered). Loopback unless --allow-remote; port 0 picks a free one.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:1110")]
    pub pop3: SocketAddr,
    /// Where they connect for POP3S (TLS from the first byte).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:1995")]
    pub pop3s: SocketAddr,
    /// Make N accounts, student01 to studentNN, with generated passwords.
    #[arg(long, value_name = "N")]
    pub students: Option<usize>,
    /// The instructor's own accounts: one NAME:PASSWORD a line, # for
    /// comments (the format of `popscope serve --users`). May be given
    /// with --students.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Where the student sheet is written (never over an existing file);
    /// the CA certificate and the generated accounts go beside it.
    #[arg(long, value_name = "FILE", default_value = sheet::DEFAULT_SHEET)]
    pub sheet: PathBuf,
    /// Where the demo CA lives (default: the user's data directory, shared
    /// with `popscope serve`).
    #[arg(long, value_name = "DIR", env = "POPSCOPE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Attack new connections from the start: strip-stls, forge-cert or
    /// inject.
    #[arg(long, value_enum, value_name = "ATTACK")]
    pub attack: Option<Attack>,
    /// Listen on addresses other than loopback, so the room's machines
    /// can connect: their logins (and passwords) then pass through this
    /// machine, readable by the workshop and by anyone on the network.
    #[arg(long)]
    pub allow_remote: bool,
    /// No screen: print the listeners, the sheet and then every
    /// connection's transcript, as `popscope proxy` does.
    #[arg(long)]
    pub headless: bool,
    /// With --headless, one JSON event per line instead of the transcript.
    #[arg(long)]
    pub json: bool,
}

/// Run the workshop until Ctrl-C or SIGTERM.
pub async fn run(args: WorkshopArgs, style: ScreenStyle) -> anyhow::Result<()> {
    if args.json && !args.headless {
        bail!("--json prints events instead of the screen: give --headless with it");
    }
    let students = match args.students {
        Some(n) => accounts::students(n).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let list = match &args.users {
        Some(path) => {
            let list = Users::load_list(path)?;
            if list.is_empty() {
                bail!("{}: the users file has no users", path.display());
            }
            list
        }
        None => Vec::new(),
    };
    if students.is_empty() && list.is_empty() {
        bail!("the workshop needs accounts: give --students N (or --users FILE)");
    }
    let (users, accounts) = accounts::combine(&students, &list).map_err(anyhow::Error::msg)?;
    let generated = !students.is_empty();
    // Refused before anything listens: an earlier sheet stays as it is.
    sheet::check_free(&args.sheet, None, generated).map_err(anyhow::Error::msg)?;
    let data_dir = crate::serve::data_dir_or_default(args.data_dir.as_deref())?;

    let (workshop, rx) = Workshop::start(WorkshopOptions {
        pop3: args.pop3,
        pop3s: args.pop3s,
        allow_remote: args.allow_remote,
        users,
        data_dir,
        attack: args.attack,
    })
    .await?;

    let (ca_copy, users_file) = sheet::companions(&args.sheet);
    let the_sheet = Sheet {
        accounts: accounts.clone(),
        pop3: workshop.pop3_addr(),
        pop3s: workshop.pop3s_addr(),
        ca: std::path::absolute(&ca_copy).unwrap_or(ca_copy.clone()),
    };
    sheet::write_all(&args.sheet, &the_sheet, workshop.ca_cert())
        .map_err(anyhow::Error::msg)
        .context("the student sheet")?;

    let mut o = String::new();
    if !args.json {
        o.push_str(&the_sheet.render());
        o.push_str("------------------------------------------------------------\n");
    }
    o.push_str(&banner(
        &workshop,
        &args,
        &the_sheet,
        generated,
        &users_file,
    ));
    print!("{o}");
    let _ = std::io::stdout().flush();

    if args.headless {
        run_headless(workshop, rx, args.json).await
    } else {
        run_screen(workshop, rx, &args.sheet, style).await
    }
}

/// The lines that say what runs: listeners, sheet, warnings.
fn banner(
    workshop: &Workshop,
    args: &WorkshopArgs,
    the_sheet: &Sheet,
    generated: bool,
    users_file: &std::path::Path,
) -> String {
    let mut o = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(o, "popscope workshop: the lab for a room");
    let _ = writeln!(
        o,
        "  POP3   {}  cleartext, STLS offered (through the tap)",
        workshop.pop3_addr()
    );
    let _ = writeln!(
        o,
        "  POP3S  {}  implicit TLS (through the tap)",
        workshop.pop3s_addr()
    );
    let _ = writeln!(o, "  accounts {}", the_sheet.accounts.len());
    let _ = writeln!(o, "  sheet  {}", args.sheet.display());
    let _ = writeln!(
        o,
        "  CA     {} (for the clients to import)",
        the_sheet.ca.display()
    );
    if generated {
        let _ = writeln!(
            o,
            "  the same passwords again: --users {}",
            users_file.display()
        );
    }
    if let Some(a) = args.attack {
        let _ = writeln!(
            o,
            "  ATTACKING new connections: {}",
            crate::lab::describe::attack_name_in(a, crate::lang::Lang::En)
        );
    }
    if !workshop.pop3_addr().ip().is_loopback() || !workshop.pop3s_addr().ip().is_loopback() {
        let _ = writeln!(
            o,
            "  WARNING: listening beyond loopback: the room's logins pass through this machine, \
             and cleartext ones can be read by anyone on the network"
        );
    }
    let _ = writeln!(o, "Ctrl-C stops the workshop.");
    o
}

/// How the workshop's screen looks: the lab screen's own flags
/// (`--theme`, `--no-mouse`), passed on from the command line.
#[derive(Debug, Clone, Copy)]
pub struct ScreenStyle {
    /// The palette.
    pub theme: crate::tui::theme::ThemeName,
    /// Capture the mouse.
    pub mouse: bool,
}

/// The workshop's screen, the Wall of Sheep, until the teacher quits: the
/// engine's events go to the screen, and the attack the teacher picks
/// there (`a`) goes to the engine for the connections that open next.
pub async fn run_screen(
    workshop: Workshop,
    rx: mpsc::UnboundedReceiver<Event>,
    sheet: &std::path::Path,
    style: ScreenStyle,
) -> anyhow::Result<()> {
    use crate::tui::{WorkshopCmd, WorkshopScreen};
    let (tx, mut commands) = mpsc::unbounded_channel();
    let screen = WorkshopScreen {
        events: rx,
        commands: tx,
        listeners: vec![
            (crate::lab::Transport::Stls, workshop.pop3_addr()),
            (crate::lab::Transport::Implicit, workshop.pop3s_addr()),
        ],
        sheet: Some(std::path::absolute(sheet).unwrap_or_else(|_| sheet.to_path_buf())),
        attack: workshop.attack(),
        theme: style.theme,
        mouse: style.mouse,
        lang: crate::lang::Lang::from_lang_env(std::env::var("LANG").ok().as_deref()),
    };
    // The screen runs on a thread of its own: under a room's load the
    // runtime's workers are busy relaying and dissecting, and the teacher's
    // keys should not wait in their queue. Events and commands cross by
    // channel, which works between runtimes.
    let (done_tx, done) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("workshop-screen".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(anyhow::Error::from)
                .and_then(|rt| rt.block_on(crate::tui::run_workshop(screen)));
            let _ = done_tx.send(result);
        })
        .context("cannot start the workshop's screen")?;
    tokio::pin!(done);
    let result = loop {
        tokio::select! {
            r = &mut done => break r.unwrap_or_else(|_| {
                // The thread ended without a word: it panicked, and the
                // panic hook has given the terminal back and said why.
                Err(anyhow::anyhow!("the workshop's screen stopped unexpectedly"))
            }),
            Some(cmd) = commands.recv() => match cmd {
                WorkshopCmd::Attack(attack) => {
                    // The screen only offers the attacks the engine takes;
                    // a refusal is logged, never shown raw on the screen.
                    if let Err(e) = workshop.set_attack(attack) {
                        tracing::warn!("the workshop refused the attack: {e}");
                    }
                }
            },
        }
    };
    workshop.shutdown().await;
    result
}

/// Print every event as `popscope proxy` does until Ctrl-C or SIGTERM,
/// then what each connection leaked.
pub async fn run_headless(
    workshop: Workshop,
    mut rx: mpsc::UnboundedReceiver<Event>,
    json: bool,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let _ = std::io::stdout().flush();
    let mut transcript = Transcript::new(crate::lang::Lang::En);
    let mut out = std::io::stdout();
    let mut show = |e: &Event| -> anyhow::Result<()> {
        let text = if json {
            format!("{}\n", sanitize::json(&serde_json::to_string(e)?))
        } else {
            transcript.event(e)
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        Ok(())
    };
    loop {
        tokio::select! {
            e = rx.recv() => {
                let Some(e) = e else { break };
                show(&e)?;
            }
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
        }
    }
    // Connections still open get a moment to end, and what the taps
    // already saw is still shown: a client that has just finished is in
    // the transcript and in its summary.
    workshop.shutdown().await;
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
        show(&e)?;
    }
    if !json {
        let mut out = std::io::stdout();
        let _ = out.write_all(transcript.finish().as_bytes());
        let _ = out.flush();
    }
    Ok(())
}
