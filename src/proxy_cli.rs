//! `popscope proxy`: the tap in front of any server, printing what crosses
//! as `popscope demo` does, until Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context;

use crate::attack::Attack;
use crate::demo::Transcript;
use crate::lab::Transport;
use crate::lab::proxy::{Proxy, ProxyOptions};
use crate::sanitize;
use crate::wire::pcap::PcapNgStream;

/// Flags of `popscope proxy`.
#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// Where clients connect (loopback unless --allow-remote; port 0 picks
    /// one, printed at start).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// The server to relay to.
    #[arg(long, value_name = "HOST:PORT")]
    pub upstream: String,
    /// Clients speak TLS from the first byte (POP3S). On by default when the
    /// upstream port is 995.
    #[arg(long)]
    pub implicit_tls: bool,
    /// Attack every connection: strip-stls, forge-cert or inject.
    #[arg(long, value_enum, value_name = "ATTACK")]
    pub attack: Option<Attack>,
    /// Allow --listen on an address other than loopback: other machines'
    /// clients (and their passwords) would then pass through this proxy.
    #[arg(long)]
    pub allow_remote: bool,
    /// Print one JSON event per line instead of the transcript.
    #[arg(long)]
    pub json: bool,
    /// Also write what crosses as a pcapng capture Wireshark and tshark
    /// open as they are (the server side on port 110, or 995 with
    /// --implicit-tls), written as it happens. An existing file is not
    /// overwritten.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<std::path::PathBuf>,
}

/// Run the proxy until Ctrl-C.
pub async fn run(args: ProxyArgs) -> anyhow::Result<()> {
    let upstream = tokio::net::lookup_host(&args.upstream)
        .await
        .with_context(|| format!("--upstream {:?}: expected HOST:PORT", args.upstream))?
        .next()
        .with_context(|| format!("--upstream {}: the name has no address", args.upstream))?;
    let implicit_tls = args.implicit_tls || upstream.port() == 995;
    // The events' clock starts as the proxy does; the capture's packets
    // are stamped from the wall-clock time of that start.
    let started = std::time::SystemTime::now();
    let mut capture = match &args.pcap {
        Some(path) => {
            // create_new: a capture holds other people's passwords, and
            // an earlier one is not ours to replace.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| format!("--pcap {}: cannot create it", path.display()))?;
            let transport = if implicit_tls {
                Transport::Implicit
            } else {
                Transport::Plain
            };
            Some(PcapNgStream::new(
                std::io::BufWriter::new(file),
                transport.standard_port(),
                started,
            )?)
        }
        None => None,
    };
    let (proxy, mut rx) = Proxy::start(ProxyOptions {
        listen: args.listen,
        upstream,
        implicit_tls,
        attack: args.attack,
        allow_remote: args.allow_remote,
    })
    .await
    .inspect_err(|_| {
        // A proxy that never ran leaves no empty capture behind to be
        // refused as existing next time.
        if let Some(path) = &args.pcap {
            let _ = std::fs::remove_file(path);
        }
    })?;
    println!(
        "popscope proxy: listening on {} → {upstream}{}",
        proxy.local_addr(),
        args.attack
            .map(|a| format!(
                " · ATTACKING: {}",
                crate::lab::describe::attack_name_in(a, crate::lang::Lang::En)
            ))
            .unwrap_or_default()
    );
    let _ = std::io::stdout().flush();
    let mut transcript = Transcript::new(crate::lang::Lang::En);
    loop {
        tokio::select! {
            e = rx.recv() => {
                let Some(e) = e else { break };
                let out = if args.json {
                    format!("{}\n", sanitize::json(&serde_json::to_string(&e)?))
                } else {
                    transcript.event(&e)
                };
                print!("{out}");
                let _ = std::io::stdout().flush();
                if let Some(c) = &mut capture
                    && let Err(err) = c.event(&e).and_then(|()| Ok(c.flush()?))
                {
                    // Relaying goes on: the clients are not to lose
                    // their connections because the capture's disk did.
                    eprintln!("popscope proxy: the capture stopped: {err:#}");
                    capture = None;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if !args.json {
        print!("{}", transcript.finish());
    }
    if let Some(c) = capture {
        c.finish().context("cannot finish the capture")?;
    }
    drop(proxy);
    Ok(())
}
