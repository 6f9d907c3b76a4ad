//! The task that owns a running [`Lab`] for a screen or a lesson runner:
//! it takes commands one at a time, forwards the lab's events, and starts
//! a fresh lab when asked. Both the lab screen and the headless lesson
//! runner drive the lab through it, so a lesson checked by `cargo test`
//! runs the lab exactly as the screen does.

use tokio::sync::mpsc;

use super::{Lab, LabError, LabOptions, Scenario};
use crate::sanitize::visible;
use crate::wire::tap::Gate;

/// A command for the lab driver task.
#[derive(Debug, Clone)]
pub enum LabCmd {
    /// Send one POP3 command line (connecting first if needed).
    Command(String),
    /// Log in the scenario's way (useful for APOP and AUTH PLAIN).
    Login,
    /// Stop the lab and start a fresh one with this scenario.
    Restart(Scenario),
    /// Open a new client connection (after QUIT or a failure).
    Connect,
    /// Guess the password of the last APOP login the wire carried,
    /// offline, with the built-in word list (the attacker's search; its
    /// progress and result come as `AttackEvent`s).
    Crack,
    /// Stop a running password search.
    StopCrack,
}

/// What the driver task tells the screen.
#[derive(Debug)]
pub enum DriverMsg {
    /// A lab of this generation runs; its wire's gate.
    Ready(u64, Gate),
    /// An event from the lab of this generation.
    Event(u64, Box<crate::lab::Event>),
    /// The lab of this generation could not start.
    Failed(u64, String),
    /// The driver has finished this many commands in all (it counts
    /// every [`LabCmd`] it took, so a runner knows when its commands
    /// are done).
    Done(u64),
}

/// The task that owns the [`Lab`]: its methods take `&mut self` and wait
/// for the server, so they run here, one command at a time, while the
/// screen stays responsive. Events are forwarded by a separate task so
/// they keep flowing while a command waits on a paused wire.
pub async fn drive(
    scenario: Scenario,
    mut cmds: mpsc::UnboundedReceiver<LabCmd>,
    tx: mpsc::UnboundedSender<DriverMsg>,
) {
    let mut generation = 0;
    let mut lab = start(scenario, generation, &tx).await;
    let mut connected = connect(&mut lab).await;
    let mut handled = 0;
    while let Some(cmd) = cmds.recv().await {
        'cmd: {
            match cmd {
                LabCmd::Command(line) => {
                    if lab.is_none() {
                        break 'cmd;
                    }
                    // After QUIT or a broken connection, a new command starts
                    // a new session, as a user at a real client would expect.
                    if !connected {
                        connected = connect(&mut lab).await;
                        if !connected {
                            break 'cmd;
                        }
                    }
                    let Some(l) = lab.as_mut() else { break 'cmd };
                    match l.command(&line).await {
                        Ok(_) => {
                            if line.trim().eq_ignore_ascii_case("QUIT") {
                                connected = false;
                            }
                        }
                        Err(LabError::Io(_) | LabError::NotConnected) => connected = false,
                        // A server chose the words of its -ERR; the log shows them
                        // visibly.
                        Err(e) => tracing::info!("command failed: {}", visible(&e.to_string())),
                    }
                }
                LabCmd::Login => {
                    if !connected {
                        connected = connect(&mut lab).await;
                    }
                    if let Some(l) = lab.as_mut()
                        && let Err(e) = l.login().await
                    {
                        tracing::info!("login failed: {}", visible(&e.to_string()));
                    }
                }
                LabCmd::Connect => connected = connect(&mut lab).await,
                LabCmd::Crack => {
                    if let Some(l) = lab.as_mut()
                        && let Err(e) = l.crack()
                    {
                        tracing::info!("crack: {}", visible(&e.to_string()));
                    }
                }
                LabCmd::StopCrack => {
                    if let Some(l) = lab.as_mut() {
                        l.stop_crack();
                    }
                }
                LabCmd::Restart(scenario) => {
                    if let Some(old) = lab.take() {
                        old.shutdown().await;
                    }
                    generation += 1;
                    lab = start(scenario, generation, &tx).await;
                    connected = connect(&mut lab).await;
                }
            }
        }
        handled += 1;
        let _ = tx.send(DriverMsg::Done(handled));
    }
    if let Some(old) = lab.take() {
        old.shutdown().await;
    }
}

async fn start(
    scenario: Scenario,
    generation: u64,
    tx: &mpsc::UnboundedSender<DriverMsg>,
) -> Option<Lab> {
    match Lab::start(scenario, LabOptions::default()).await {
        Ok((lab, mut rx)) => {
            let _ = tx.send(DriverMsg::Ready(generation, lab.gate()));
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(e) = rx.recv().await {
                    if tx.send(DriverMsg::Event(generation, Box::new(e))).is_err() {
                        break;
                    }
                }
            });
            Some(lab)
        }
        Err(e) => {
            tracing::warn!("lab failed to start: {e}");
            let _ = tx.send(DriverMsg::Failed(generation, e.to_string()));
            None
        }
    }
}

async fn connect(lab: &mut Option<Lab>) -> bool {
    match lab {
        Some(l) => match l.connect().await {
            Ok(()) => true,
            Err(e) => {
                tracing::info!("connect failed: {}", visible(&e.to_string()));
                false
            }
        },
        None => false,
    }
}
