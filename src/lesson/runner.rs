//! A lesson's steps run headless against a real lab, the way the screen
//! runs them, with every expectation checked against the lab's events.
//!
//! The runner talks to the same driver task as the lab screen
//! ([`crate::lab::driver::drive`]), so a lesson that passes here does the
//! same things on the screen. For each step it carries out the actions,
//! waits until the driver has finished every command sent so far, lets the
//! last events arrive, and then gives the expectations a little while to
//! come true before it records which held.
//!
//! A lesson may pause the wire and let it through chunk by chunk over
//! several steps. While the wire is held, the runner does not wait for the
//! commands caught on it (they cannot finish until the lesson steps or
//! resumes); it checks what has crossed so far, and the first step that
//! lets the wire flow again waits for all of them.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::facts::Facts;
use super::{Expect, Lesson, ScenarioSpec, StepAction};
use crate::lab::driver::{DriverMsg, LabCmd, drive};
use crate::lab::{ClientEvent, EventKind, Scenario};
use crate::wire::tap::{Gate, GateMode};

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    /// The step's index, 0-based.
    pub step: usize,
    /// The step's line in its file.
    pub line: usize,
    /// Each expectation and whether it held.
    pub results: Vec<(Expect, bool)>,
    /// Per expectation, in the same order: what happened instead when it
    /// did not hold ([`Expect::explain_failure`]), `None` when it held.
    pub instead: Vec<Option<String>>,
    /// Why the step could not run at all (the lab failed to start, …).
    pub error: Option<String>,
}

impl StepOutcome {
    /// True when the step ran and every expectation held.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.results.iter().all(|(_, ok)| *ok)
    }
}

/// How long the runner waits for the lab. The defaults suit the real lab
/// on a loaded two-core machine; tests that want a step to fail on
/// purpose can shorten them.
#[derive(Debug, Clone)]
pub struct Limits {
    /// How long a step's commands may take, all together, once the wire
    /// flows. A lab command is a few loopback round trips (a TLS handshake
    /// at most), so 10 s only runs out when something is stuck.
    pub commands: Duration,
    /// How long to keep reading events after the commands are done. The
    /// driver reports a command done as soon as the client has its reply,
    /// while the server's and the eavesdropper's events travel through
    /// their own tasks and may still be on their way.
    pub settle: Duration,
    /// How long the expectations then get to come true. Events that arrive
    /// later than this are not part of what the step did.
    pub expect: Duration,
    /// How long a new lab may take to start and hand over its wire's gate.
    pub ready: Duration,
    /// The pause between chunks released by `step N`, so that each crosses
    /// on its own, as when a reader presses the key N times.
    pub step_gap: Duration,
    /// How long the driver may take to shut the last lab down (it waits
    /// for the tap's connections to close and removes the temporary
    /// mailbox).
    pub driver_exit: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            commands: Duration::from_secs(10),
            settle: Duration::from_millis(300),
            expect: Duration::from_secs(5),
            ready: Duration::from_secs(10),
            step_gap: Duration::from_millis(30),
            driver_exit: Duration::from_secs(10),
        }
    }
}

/// Run every step of a lesson on a fresh lab and report each one.
pub async fn run_lesson(lesson: &Lesson) -> Vec<StepOutcome> {
    run_lesson_with(lesson, &Limits::default()).await
}

/// [`run_lesson`] with other waiting limits.
pub async fn run_lesson_with(lesson: &Lesson, limits: &Limits) -> Vec<StepOutcome> {
    // A lesson starts on the cleartext lab, as the screen does; most
    // lessons choose their own scenario in the first step anyway.
    let start = ScenarioSpec {
        name: "plain".into(),
        verify: None,
        require_tls: None,
        tls_version: None,
    }
    .to_scenario();
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (msg_tx, msg_rx) = mpsc::unbounded_channel();
    let driver = tokio::spawn(drive(start.clone(), cmd_rx, msg_tx));
    let mut run = Run {
        scenario: start,
        cmds: cmd_tx,
        msgs: msg_rx,
        limits: limits.clone(),
        generation: 0,
        gate: None,
        facts: Facts::default(),
        sent: 0,
        done: 0,
        failed: None,
        failure_reported: false,
        first_connect_over: false,
        driver_gone: false,
    };
    let mut outcomes = Vec::with_capacity(lesson.steps.len());
    for (i, step) in lesson.steps.iter().enumerate() {
        let (error, results) = run.step(&step.actions, &step.expect).await;
        // Explained now, from the facts the expectations were checked on;
        // the next step's events would change them.
        let instead = results
            .iter()
            .map(|(e, held)| (!held).then(|| e.explain_failure(&run.facts)))
            .collect();
        outcomes.push(StepOutcome {
            step: i,
            line: step.line,
            results,
            instead,
            error,
        });
    }
    // Let anything still held on the wire through, so the driver's last
    // command can end, then close the command channel: the driver shuts
    // the lab down and returns, which removes its temporary directories.
    if let Some(g) = &run.gate {
        g.open();
    }
    let Run { cmds, msgs, .. } = run;
    drop(cmds);
    if tokio::time::timeout(limits.driver_exit, driver)
        .await
        .is_err()
    {
        tracing::warn!("the lab driver did not stop in time");
    }
    drop(msgs);
    outcomes
}

/// The runner's side of the driver: what it sent, what came back.
struct Run {
    /// The scenario the current lab runs, which `attack` and the switches
    /// change.
    scenario: Scenario,
    cmds: mpsc::UnboundedSender<LabCmd>,
    msgs: mpsc::UnboundedReceiver<DriverMsg>,
    limits: Limits,
    /// The lab generation the runner is on; the driver starts at 0 and
    /// counts one up for every restart, in the order it takes commands.
    generation: u64,
    /// The current generation's gate, once its lab is ready.
    gate: Option<Gate>,
    /// What the current generation's events established.
    facts: Facts,
    /// Commands sent to the driver in all.
    sent: u64,
    /// Commands the driver has finished in all.
    done: u64,
    /// Why the current generation's lab did not start.
    failed: Option<String>,
    /// That failure has been given as a step's error already.
    failure_reported: bool,
    /// The first lab connects on its own, before any command, so no Done
    /// tells when that connection is up; its greeting (or its failure)
    /// does.
    first_connect_over: bool,
    /// The driver's channel closed (the task ended).
    driver_gone: bool,
}

impl Run {
    fn send(&mut self, cmd: LabCmd) {
        if self.cmds.send(cmd).is_ok() {
            self.sent += 1;
        } else {
            self.driver_gone = true;
        }
    }

    fn handle(&mut self, msg: DriverMsg) {
        match msg {
            DriverMsg::Ready(g, gate) if g == self.generation => self.gate = Some(gate),
            DriverMsg::Event(g, ev) if g == self.generation => {
                if g == 0
                    && matches!(
                        ev.kind,
                        EventKind::Client(
                            ClientEvent::Received { .. }
                                | ClientEvent::Error { .. }
                                | ClientEvent::TlsFailed { .. }
                        )
                    )
                {
                    self.first_connect_over = true;
                }
                self.facts.apply(&ev);
            }
            DriverMsg::Failed(g, why) if g == self.generation => self.failed = Some(why),
            DriverMsg::Done(n) => self.done = self.done.max(n),
            // Anything from an older lab says nothing about this one.
            DriverMsg::Ready(..) | DriverMsg::Event(..) | DriverMsg::Failed(..) => {}
        }
    }

    /// Read the driver's messages until `cond` holds or `deadline` passes;
    /// true if `cond` held.
    async fn wait_until(&mut self, deadline: Instant, cond: impl Fn(&Run) -> bool) -> bool {
        loop {
            if cond(self) {
                return true;
            }
            if self.driver_gone {
                return false;
            }
            match tokio::time::timeout_at(deadline, self.msgs.recv()).await {
                Ok(Some(m)) => self.handle(m),
                Ok(None) => self.driver_gone = true,
                Err(_) => return cond(self),
            }
        }
    }

    /// Every command sent has finished, and the lab's own first
    /// connection is over (later labs connect inside their Restart
    /// command, which Done covers).
    fn settled(&self) -> bool {
        self.done >= self.sent
            && (self.generation > 0 || self.first_connect_over || self.failed.is_some())
    }

    async fn wait_settled(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + self.limits.commands;
        if self.wait_until(deadline, Run::settled).await {
            Ok(())
        } else if self.driver_gone {
            Err("the lab driver stopped".into())
        } else {
            Err(format!(
                "the lab did not finish the step's commands in {} s",
                self.limits.commands.as_secs()
            ))
        }
    }

    /// True while the current lab's wire is paused.
    fn wire_held(&self) -> bool {
        self.gate
            .as_ref()
            .is_some_and(|g| g.mode() != GateMode::Open)
    }

    /// The current lab's gate, waiting for the lab to be ready.
    async fn gate(&mut self) -> Result<Gate, String> {
        let deadline = Instant::now() + self.limits.ready;
        self.wait_until(deadline, |r| r.gate.is_some() || r.failed.is_some())
            .await;
        match (&self.gate, &self.failed) {
            (Some(g), _) => Ok(g.clone()),
            (None, Some(why)) => Err(format!("the lab did not start: {why}")),
            (None, None) => Err(format!(
                "the lab was not ready in {} s",
                self.limits.ready.as_secs()
            )),
        }
    }

    /// Stop the current lab and start a fresh one with `scenario`.
    fn restart(&mut self, scenario: Scenario) {
        // The old lab may hold a command on a paused wire; release it, or
        // the driver never gets to the restart.
        if let Some(g) = self.gate.take() {
            g.open();
        }
        self.scenario = scenario.clone();
        self.send(LabCmd::Restart(scenario));
        self.generation += 1;
        self.failed = None;
        self.failure_reported = false;
        self.facts.reset();
    }

    async fn act(&mut self, action: &StepAction) -> Result<(), String> {
        match action {
            StepAction::Scenario(spec) => self.restart(spec.to_scenario()),
            StepAction::Attack(_) | StepAction::Set(..) => {
                if let Some(s) = action.changed_scenario(&self.scenario) {
                    self.restart(s);
                }
            }
            StepAction::Crack => self.send(LabCmd::Crack),
            StepAction::Send(line) => self.send(LabCmd::Command(line.clone())),
            StepAction::Login => self.send(LabCmd::Login),
            StepAction::Connect => self.send(LabCmd::Connect),
            StepAction::Pause => {
                let gate = self.gate().await?;
                // Pause between commands, as a reader does once the
                // previous output has appeared: a pause that caught the
                // earlier commands (or the new lab's connection) half-way
                // would hold them, not the ones the lesson means.
                if gate.mode() == GateMode::Open {
                    self.wait_settled().await?;
                }
                gate.pause();
            }
            StepAction::Resume => self.gate().await?.open(),
            StepAction::Step(n) => {
                let gate = self.gate().await?;
                // Stepping an open wire pauses it first, as the screen's
                // step key does.
                if gate.mode() == GateMode::Open {
                    self.wait_settled().await?;
                    gate.pause();
                }
                for i in 0..*n {
                    if i > 0 {
                        tokio::time::sleep(self.limits.step_gap).await;
                    }
                    gate.step();
                }
            }
            // These only change the screen.
            StepAction::Focus(_)
            | StepAction::View(_)
            | StepAction::Highlight(_)
            | StepAction::Bytes(_)
            | StepAction::Diagram(..) => {}
        }
        Ok(())
    }

    /// Carry out one step's actions and check its expectations.
    async fn step(
        &mut self,
        actions: &[StepAction],
        expect: &[Expect],
    ) -> (Option<String>, Vec<(Expect, bool)>) {
        let mut error = None;
        for a in actions {
            if let Err(e) = self.act(a).await {
                error.get_or_insert(e);
            }
        }
        // A step that only changes the screen and claims nothing about the
        // lab (the diagram chapters) has nothing to wait for.
        if expect.is_empty() && !actions.iter().any(StepAction::touches_lab) {
            return (error, Vec::new());
        }
        // On a held wire the step's commands are meant to be half-way:
        // the lesson steps through them and checks what crossed so far,
        // and a later step that lets the wire flow waits for them. On a
        // flowing wire every command must finish.
        let held = self.wire_held();
        if error.is_none()
            && !held
            && let Err(e) = self.wait_settled().await
        {
            error = Some(e);
        }
        // Late events: the server's and the eavesdropper's reports of what
        // the commands did. A step that claims nothing need not wait for
        // them; the next step that does will.
        if !expect.is_empty() {
            let settle = Instant::now() + self.limits.settle;
            self.wait_until(settle, |_| false).await;
        }
        if error.is_none() {
            let deadline = Instant::now() + self.limits.expect;
            self.wait_until(deadline, |r| expect.iter().all(|e| r.facts.holds(e)))
                .await;
        }
        // When something did not hold while commands wait on the held
        // wire, say so: the lesson most likely forgot to step or resume.
        if error.is_none()
            && held
            && self.done < self.sent
            && !expect.iter().all(|e| self.facts.holds(e))
        {
            let n = self.sent - self.done;
            error = Some(format!(
                "{n} command{} still held on the paused wire (step or resume it)",
                if n == 1 { " is" } else { "s are" }
            ));
        }
        // A lab that did not start is the error of the step that asked
        // for it; later steps on it simply find nothing happened.
        if let Some(why) = &self.failed
            && !self.failure_reported
        {
            self.failure_reported = true;
            error.get_or_insert(format!("the lab did not start: {why}"));
        }
        let results = expect
            .iter()
            .map(|e| (e.clone(), self.facts.holds(e)))
            .collect();
        (error, results)
    }
}
