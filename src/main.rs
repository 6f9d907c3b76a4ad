//! The `popscope` command: the binary's edge, where errors become one
//! report and logging is set up.

use clap::{Parser, Subcommand};

/// popscope: a terminal lab for POP3 and POP3S.
#[derive(Debug, Parser)]
#[command(name = "popscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Log level on stderr (error, warn, info, debug, trace). Default: info
    /// for `serve` (its session log), warn for the rest. The lab screen
    /// logs to popscope.log in the XDG state directory instead.
    #[arg(long, global = true, value_name = "LEVEL")]
    log: Option<tracing::Level>,
    /// The lab screen's colours (NO_COLOR turns colour off whatever this says).
    #[arg(long, value_enum, default_value_t = popscope::tui::theme::ThemeName::Dark)]
    theme: popscope::tui::theme::ThemeName,
    /// Leave the mouse to the terminal, so text can be selected.
    #[arg(long)]
    no_mouse: bool,
    /// The scenario the lab screen starts with.
    #[arg(long, default_value = "plain", value_name = "NAME",
          value_parser = clap::builder::PossibleValuesParser::new(popscope::lab::Scenario::NAMES))]
    scenario: String,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the POP3/POP3S server on its own, for outside clients.
    Serve(popscope::serve::ServeArgs),
    /// Measure a POP3 server: concurrent sessions (connect, [TLS], login,
    /// STAT, RETR every message, QUIT), or idle connections.
    Load(popscope::load::LoadArgs),
    /// An interactive POP3 client: pop3://USER@HOST:PORT or pop3s://...
    Client(popscope::client_cli::ClientArgs),
    /// Run one scenario on the lab (server, tap, client) and print what
    /// each of them saw, the eavesdropper included.
    Demo(popscope::demo::DemoArgs),
}

fn main() -> std::process::ExitCode {
    // Taken before anything else, so the lab screen's first-frame hook
    // measures start-up from the very beginning of the process.
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let level = cli.log.unwrap_or(match cli.command {
        Some(Cmd::Serve(_)) => tracing::Level::INFO,
        _ => tracing::Level::WARN,
    });
    let Some(command) = cli.command else {
        return lab_screen(cli.theme, !cli.no_mouse, cli.scenario, level, started);
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(async {
        match command {
            Cmd::Serve(args) => popscope::serve::run(args).await,
            Cmd::Load(args) => popscope::load::run(args)
                .await
                .map(|report| println!("{report}")),
            Cmd::Client(args) => popscope::client_cli::run(args).await,
            Cmd::Demo(args) => popscope::demo::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("popscope: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `popscope` with no subcommand: the lab screen. Logs go to a file, since
/// anything written to the terminal would tear through the screen.
fn lab_screen(
    theme: popscope::tui::theme::ThemeName,
    mouse: bool,
    scenario: String,
    level: tracing::Level,
    started: std::time::Instant,
) -> std::process::ExitCode {
    let log_path = log_file_path();
    let file = log_path.as_ref().and_then(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .ok()
    });
    if let Some(file) = file {
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .init();
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let options = popscope::tui::TuiOptions {
        scenario,
        theme,
        mouse,
        started,
        lesson: None,
        lessons_dir: None,
    };
    let result = rt.block_on(popscope::tui::run(options));
    // The lab's tasks hold sockets and temporary maildirs; do not let a
    // stuck one keep the process alive after the screen has closed.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("popscope: {e:#}");
            if let Some(p) = log_path {
                eprintln!("(log: {})", p.display());
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// `popscope.log` in the XDG state directory (the data directory where
/// there is no state directory), created if needed.
fn log_file_path() -> Option<std::path::PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "popscope")?;
    let dir = dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf();
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("popscope.log"))
}

/// The multi-threaded tokio runtime every command runs on.
fn runtime() -> Result<tokio::runtime::Runtime, std::process::ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("popscope: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        })
}
