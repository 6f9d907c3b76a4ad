//! `popscope proxy`: the tap, passive or attacking, in front of a server
//! someone else runs, for clients nobody here wrote (curl, Python's
//! poplib, a mail client). The same pump and judge as the lab turn what
//! crosses into [`Event`]s, so the transcript reads like `popscope demo`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::event::{AttackEvent, Event, EventKind};
use super::{Emitter, LabError, judge, run_tap};
use crate::attack::{Attack, Attacker};
use crate::wire::tap::{Tap, TapConfig};

/// Bytes kept per connection and direction in the proxy's events.
const CAPTURE_LIMIT: u64 = 16 * 1024 * 1024;

/// How a proxy is set up.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// Where clients connect.
    pub listen: SocketAddr,
    /// The server to relay to.
    pub upstream: SocketAddr,
    /// The clients speak TLS from the first byte (POP3S).
    pub implicit_tls: bool,
    /// The attacker, if any (an active one: strip STLS, forged certificate,
    /// injection).
    pub attack: Option<Attack>,
    /// Listening on an address other than loopback was asked for by name.
    pub allow_remote: bool,
}

/// A running proxy; dropping it stops relaying.
pub struct Proxy {
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Proxy {
    /// Bind and start relaying. Refuses a non-loopback `listen` without
    /// `allow_remote`, and an attack that only reads what was recorded
    /// (stolen keys, crack), which a proxy has no part in.
    pub async fn start(
        options: ProxyOptions,
    ) -> Result<(Proxy, mpsc::UnboundedReceiver<Event>), LabError> {
        if !options.listen.ip().is_loopback() && !options.allow_remote {
            return Err(LabError::setup_because(format!(
                "--listen {} is not a loopback address; the proxy relays other people's \
                 logins, so listening beyond this machine needs --allow-remote",
                options.listen
            )));
        }
        if options.attack == Some(Attack::WrongName) {
            return Err(LabError::setup_because(
                "--attack wrong-name presents a certificate from the lab's own CA, so it works \
                 in the lab (popscope demo), not on a proxy"
                    .into(),
            ));
        }
        if let Some(a) = options.attack
            && !a.is_active()
        {
            return Err(LabError::setup_because(format!(
                "--attack {} works on a lab recording (popscope demo), not on a proxy; \
                 the proxy's attacks are strip-stls, forge-cert and inject",
                a.name()
            )));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let emit = Emitter {
            epoch: Instant::now(),
            tx,
            judge: Arc::new(std::sync::Mutex::new(
                judge::Judge::new(options.attack).per_connection(),
            )),
        };
        let tap = Tap::bind(TapConfig {
            listen: options.listen,
            upstream: options.upstream,
            capture_limit: CAPTURE_LIMIT,
        })
        .await
        .map_err(|e| LabError::Setup {
            what: format!("cannot listen on {}: {e}", options.listen),
            source: Some(Box::new(e)),
        })?;
        let attacker = match options.attack {
            Some(attack) => {
                Some(Attacker::new(attack, options.implicit_tls).map_err(LabError::setup)?)
            }
            None => None,
        };
        if let Some(attack) = options.attack {
            emit.now(EventKind::Attack(AttackEvent::Armed { attack }));
        }
        let on_tap = match attacker {
            Some(a) => super::OnTap::Attacker(Box::new(a)),
            None => super::OnTap::Watch,
        };
        let wired = run_tap(tap, on_tap, &emit, options.implicit_tls, None, None, None)?;
        let (addr, tasks) = (wired.addr, wired.tasks);
        Ok((Proxy { addr, tasks }, rx))
    }

    /// Where clients connect.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
