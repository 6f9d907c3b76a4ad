//! `popscope proxy`: the tap in front of any server, printing what crosses
//! as `popscope demo` does, until Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context;

use crate::attack::Attack;
use crate::demo::Transcript;
use crate::lab::proxy::{Proxy, ProxyOptions};
use crate::sanitize;

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
}

/// Run the proxy until Ctrl-C.
pub async fn run(args: ProxyArgs) -> anyhow::Result<()> {
    let upstream = tokio::net::lookup_host(&args.upstream)
        .await
        .with_context(|| format!("--upstream {:?}: expected HOST:PORT", args.upstream))?
        .next()
        .with_context(|| format!("--upstream {}: the name has no address", args.upstream))?;
    let (proxy, mut rx) = Proxy::start(ProxyOptions {
        listen: args.listen,
        upstream,
        implicit_tls: args.implicit_tls || upstream.port() == 995,
        attack: args.attack,
        allow_remote: args.allow_remote,
    })
    .await?;
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
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if !args.json {
        print!("{}", transcript.finish());
    }
    drop(proxy);
    Ok(())
}
