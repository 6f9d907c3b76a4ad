//! The `popscope` command: the binary's edge, where errors become one
//! report and logging is set up.

use clap::{Parser, Subcommand};

/// popscope: a terminal lab for POP3 and POP3S.
#[derive(Debug, Parser)]
#[command(name = "popscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Log level for the session log on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    log: tracing::Level,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the POP3/POP3S server on its own, for outside clients.
    Serve(popscope::serve::ServeArgs),
    /// Measure a POP3 server: concurrent sessions (connect, [TLS], login,
    /// STAT, RETR every message, QUIT), or idle connections.
    Load(popscope::load::LoadArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_max_level(cli.log)
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
