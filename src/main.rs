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
    /// for `serve` (its session log), warn for the rest.
    #[arg(long, global = true, value_name = "LEVEL")]
    log: Option<tracing::Level>,
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
    let cli = Cli::parse();
    let level = cli.log.unwrap_or(match cli.command {
        Some(Cmd::Serve(_)) => tracing::Level::INFO,
        _ => tracing::Level::WARN,
    });
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let Some(command) = cli.command else {
        println!(
            "popscope {}: the lab screen is not built yet.\n\
             Run the server with `popscope serve` (see `popscope --help`).",
            env!("CARGO_PKG_VERSION")
        );
        return std::process::ExitCode::SUCCESS;
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("popscope: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
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
