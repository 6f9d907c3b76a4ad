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
    #[arg(long, global = true, value_enum, default_value_t = popscope::tui::theme::ThemeName::Dark)]
    theme: popscope::tui::theme::ThemeName,
    /// Leave the mouse to the terminal, so text can be selected.
    #[arg(long, global = true)]
    no_mouse: bool,
    /// The scenario the lab screen starts with.
    #[arg(long, default_value = "plain", value_name = "NAME",
          value_parser = clap::builder::PossibleValuesParser::new(popscope::lab::Scenario::NAMES))]
    scenario: String,
    /// Open the lab at this lesson chapter (1 to 99).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=99))]
    lesson: Option<u32>,
    /// A teacher's lessons directory (holding ja/ and en/), shown beside
    /// the built-in lessons; check it first with `popscope lessons check`.
    #[arg(long, value_name = "DIR")]
    lessons: Option<std::path::PathBuf>,
    /// The only TLS version the lab's client offers: 1.2 or 1.3 (default:
    /// both, and 1.3 is agreed).
    #[arg(long, value_enum, value_name = "VERSION")]
    tls_version: Option<popscope::lab::TlsVersion>,
    /// Replay a capture (pcap or pcapng) in the lab screen's eavesdropper
    /// and TLS panes instead of running a lab: Space steps, p plays, and
    /// , . step back and forward.
    #[arg(long, value_name = "FILE")]
    open: Option<std::path::PathBuf>,
    /// With --open: the TLS key log (SSLKEYLOGFILE) that opens the
    /// capture's TLS conversations.
    #[arg(long, value_name = "FILE", requires = "open")]
    keylog: Option<std::path::PathBuf>,
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
    /// The tap in front of any server, for outside clients (curl, poplib,
    /// a mail client): passive, or an attacker with --attack.
    Proxy(popscope::proxy_cli::ProxyArgs),
    /// The lab for a room: the server behind the tap for the students' own
    /// mail clients, accounts and a student sheet, attacks to switch on.
    Workshop(popscope::workshop::cli::WorkshopArgs),
    /// Read a capture (pcap or pcapng from tcpdump, dumpcap, tshark or
    /// Wireshark) and print what an eavesdropper learns from the POP3,
    /// STLS and POP3S conversations in it.
    Inspect(popscope::inspect::InspectArgs),
    /// Lesson files: check a directory, list chapters, run lessons
    /// against a real lab.
    Lessons(popscope::lessons_cli::LessonsArgs),
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
        if let Some(file) = cli.open {
            let style = (cli.theme, !cli.no_mouse);
            return replay_screen(&file, cli.keylog.as_deref(), style, level);
        }
        let screen = ScreenOptions {
            theme: cli.theme,
            mouse: !cli.no_mouse,
            scenario: cli.scenario,
            lesson: cli.lesson,
            lessons_dir: cli.lessons,
            tls_version: cli.tls_version,
        };
        return lab_screen(screen, level, started);
    };
    let (theme, mouse) = (cli.theme, !cli.no_mouse);
    if matches!(&command, Cmd::Workshop(args) if !args.headless) {
        // The workshop's screen, like the lab's, would be torn by lines on
        // stderr: its log goes to the same file.
        log_to_file(level);
    } else {
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let success = |r: anyhow::Result<()>| r.map(|()| std::process::ExitCode::SUCCESS);
    let result = rt.block_on(async {
        match command {
            Cmd::Serve(args) => success(popscope::serve::run(args).await),
            Cmd::Load(args) => success(
                popscope::load::run(args)
                    .await
                    .map(|report| println!("{report}")),
            ),
            Cmd::Client(args) => success(popscope::client_cli::run(args).await),
            Cmd::Demo(args) => success(popscope::demo::run(args).await),
            Cmd::Proxy(args) => success(popscope::proxy_cli::run(args).await),
            Cmd::Workshop(args) => success(
                popscope::workshop::cli::run(
                    args,
                    popscope::workshop::cli::ScreenStyle { theme, mouse },
                )
                .await,
            ),
            Cmd::Inspect(args) => success(popscope::inspect::run(args)),
            // Its exit status carries "problems found", which is not an
            // error of the program.
            Cmd::Lessons(args) => popscope::lessons_cli::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("popscope: {}", error_report(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each cause said once.
///
/// The project's errors follow two conventions: some put their cause's
/// text into their own message (so that `to_string()` alone is complete,
/// which the lab's events rely on), and also return it as `source()`;
/// others leave it to `source()`. Printing the whole chain would repeat
/// the first kind ("Address already in use: Address already in use"), and
/// printing the top only would lose the second, so a cause is added only
/// when its text is not already there. Error texts often carry a server's
/// words, so the line goes through the crate's sanitiser.
fn error_report(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    popscope::sanitize::visible(&text).into_owned()
}

/// The lab screen's settings from the command line.
struct ScreenOptions {
    theme: popscope::tui::theme::ThemeName,
    mouse: bool,
    scenario: String,
    lesson: Option<u32>,
    lessons_dir: Option<std::path::PathBuf>,
    tls_version: Option<popscope::lab::TlsVersion>,
}

/// `popscope` with no subcommand: the lab screen. Logs go to a file, since
/// anything written to the terminal would tear through the screen.
fn lab_screen(
    screen: ScreenOptions,
    level: tracing::Level,
    started: std::time::Instant,
) -> std::process::ExitCode {
    let log_path = log_to_file(level);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let options = popscope::tui::TuiOptions {
        scenario: screen.scenario,
        theme: screen.theme,
        mouse: screen.mouse,
        started,
        lesson: screen.lesson,
        lessons_dir: screen.lessons_dir,
        tls_version: screen.tls_version,
    };
    let result = rt.block_on(popscope::tui::run(options));
    // The lab's tasks hold sockets and temporary maildirs; do not let a
    // stuck one keep the process alive after the screen has closed.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("popscope: {}", error_report(&e));
            if let Some(p) = log_path {
                eprintln!("(log: {})", p.display());
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// The largest capture `--open` loads: a replay keeps every event in
/// memory, so bigger captures are for `popscope inspect`, which streams.
const OPEN_LIMIT: u64 = 256 << 20;

/// `popscope --open FILE`: a capture replayed on the lab screen.
fn replay_screen(
    file: &std::path::Path,
    keylog: Option<&std::path::Path>,
    (theme, mouse): (popscope::tui::theme::ThemeName, bool),
    level: tracing::Level,
) -> std::process::ExitCode {
    let log_path = log_to_file(level);
    let fail = |e: anyhow::Error| {
        eprintln!("popscope: {}", error_report(&e));
        std::process::ExitCode::FAILURE
    };
    match std::fs::metadata(file) {
        Ok(m) if m.len() > OPEN_LIMIT => {
            return fail(anyhow::anyhow!(
                "--open {}: {} MiB is more than a replay holds ({} MiB); \
                 `popscope inspect {} --summary` reads captures of any size",
                file.display(),
                m.len() >> 20,
                OPEN_LIMIT >> 20,
                file.display()
            ));
        }
        _ => {}
    }
    // Read (and refused) before the screen opens, so an error is a line
    // in the shell.
    let events = match popscope::inspect::events(file, keylog) {
        Ok(events) => events,
        Err(e) => return fail(e.into()),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let title = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let options = popscope::tui::ReplayOptions {
        theme,
        mouse,
        start: None,
    };
    let result = rt.block_on(popscope::tui::run_replay(events, title, options));
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if let Some(p) = log_path {
                eprintln!("(log: {})", p.display());
            }
            fail(e)
        }
    }
}

/// Send the log to `popscope.log` (see [`log_file_path`]), for the
/// screens; returns the file's path when it could be opened.
fn log_to_file(level: tracing::Level) -> Option<std::path::PathBuf> {
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
    log_path
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

#[cfg(test)]
mod tests {
    use super::error_report;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot listen on 127.0.0.1:110: {source}")]
    struct Repeats {
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot start the lab")]
    struct Leaves {
        source: std::io::Error,
    }

    fn busy() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use")
    }

    #[test]
    fn a_cause_in_the_message_is_not_repeated() {
        let e = anyhow::Error::new(Repeats { source: busy() });
        assert_eq!(
            error_report(&e),
            "cannot listen on 127.0.0.1:110: Address already in use"
        );
    }

    #[test]
    fn a_cause_only_in_the_chain_is_kept() {
        let e = anyhow::Error::new(Leaves { source: busy() }).context("demo");
        assert_eq!(
            error_report(&e),
            "demo: cannot start the lab: Address already in use"
        );
    }

    #[test]
    fn server_words_are_made_visible() {
        let e = anyhow::anyhow!("STLS refused: -ERR \u{1b}]0;pwned\u{7}");
        assert_eq!(error_report(&e), "STLS refused: -ERR ^[]0;pwned^G");
    }
}
