//! The workshop screen by eye, before `popscope workshop` drives it: a
//! tap (the lab's proxy) in front of a running POP3 server, its events on
//! the Wall of Sheep.
//!
//! ```text
//! popscope serve --pop3 127.0.0.1:1110 --pop3s 127.0.0.1:1995 &
//! cargo run --example workshop_screen -- 127.0.0.1:1110 127.0.0.1:2110
//! curl -u alice:wonderland pop3://127.0.0.1:2110/1
//! cargo run --example workshop_screen -- 127.0.0.1:1995 127.0.0.1:2995 pop3s
//! ```
//!
//! The arguments are the server, where the tap listens, and `pop3s` when
//! the clients speak TLS from the first byte. The tap's attack is fixed
//! when it starts (a proxy's is), so the `a` key here only changes the
//! header; the workshop's own engine applies it to new connections.

use std::net::SocketAddr;

use anyhow::Context;
use popscope::lab::proxy::{Proxy, ProxyOptions};
use popscope::lang::Lang;
use popscope::pop3::settings::Transport;
use popscope::tui::theme::ThemeName;
use popscope::tui::{WorkshopScreen, run_workshop};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let usage = "usage: workshop_screen SERVER LISTEN [pop3s]";
    let mut args = std::env::args().skip(1);
    let upstream: SocketAddr = args.next().context(usage)?.parse().context(usage)?;
    let listen: SocketAddr = args.next().context(usage)?.parse().context(usage)?;
    let implicit_tls = args.next().as_deref() == Some("pop3s");
    let (proxy, events) = Proxy::start(ProxyOptions {
        listen,
        upstream,
        implicit_tls,
        attack: None,
        allow_remote: false,
    })
    .await?;
    let (commands, _ignored) = mpsc::unbounded_channel();
    let transport = if implicit_tls {
        Transport::Implicit
    } else {
        Transport::Stls
    };
    let result = run_workshop(WorkshopScreen {
        events,
        commands,
        listeners: vec![(transport, proxy.local_addr())],
        sheet: None,
        attack: None,
        theme: ThemeName::Dark,
        mouse: true,
        lang: Lang::from_lang_env(std::env::var("LANG").ok().as_deref()),
    })
    .await;
    drop(proxy);
    result
}
