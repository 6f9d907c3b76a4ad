//! The lab's side of the offline APOP search: remember the last APOP
//! login the wire carried, run the search off the lab's tasks, and turn
//! its progress and result into [`AttackEvent`]s.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::Emitter;
use super::event::{AttackEvent, EventKind};
use crate::attack::crack::{Candidates, CrackJob, CrackUpdate, Estimate, Outcome, Target};

/// What the lab knows for a search, shared by the pump (which sees the
/// captured login) and the lab (which starts and stops searches).
pub(crate) struct Cracker {
    emit: Emitter,
    candidates: Candidates,
    /// The real password, known to the lab only, to say how long an
    /// exhaustive search would take when the word list fails.
    password: String,
    /// Start by itself as soon as an APOP login crosses the wire.
    automatic: bool,
    state: Mutex<State>,
    /// Counts searches that have ended.
    ended: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    last: Option<Target>,
    job: Option<CrackJob>,
}

impl Cracker {
    pub(crate) fn new(
        emit: Emitter,
        candidates: Candidates,
        password: String,
        automatic: bool,
    ) -> Arc<Cracker> {
        Arc::new(Cracker {
            emit,
            candidates,
            password,
            automatic,
            state: Mutex::default(),
            ended: watch::channel(0).0,
        })
    }

    /// An APOP login crossed the wire.
    pub(crate) fn captured(self: &Arc<Self>, user: &str, digest: &str, timestamp: Option<&str>) {
        let Ok(target) = Target::new(user, digest, timestamp) else {
            return;
        };
        crate::sync::lock(&self.state).last = Some(target.clone());
        if self.automatic {
            self.start(target);
        }
    }

    /// Search for the last captured login's password.
    pub(crate) fn start_last(self: &Arc<Self>) -> Result<(), String> {
        let last = crate::sync::lock(&self.state).last.clone();
        match last {
            Some(t) => {
                self.start(t);
                Ok(())
            }
            None => Err("no APOP login has crossed the wire yet".into()),
        }
    }

    /// Stop a running search.
    pub(crate) fn stop(&self) {
        if let Some(job) = crate::sync::lock(&self.state).job.take() {
            job.cancel();
        }
    }

    /// Wait until `n` searches have ended in all.
    pub(crate) async fn ended(&self, n: u64) {
        let mut rx = self.ended.subscribe();
        let _ = rx.wait_for(|ended| *ended >= n).await;
    }

    /// True once an APOP login has crossed the wire.
    pub(crate) fn has_target(&self) -> bool {
        crate::sync::lock(&self.state).last.is_some()
    }

    /// How many searches have ended.
    pub(crate) fn ended_count(&self) -> u64 {
        *self.ended.borrow()
    }

    fn start(self: &Arc<Self>, target: Target) {
        // One search at a time: a new one replaces (cancels) the old.
        self.stop();
        let (job, mut rx) = CrackJob::spawn(target.clone(), self.candidates.clone());
        crate::sync::lock(&self.state).job = Some(job);
        self.emit.now(EventKind::Attack(AttackEvent::CrackStarted {
            user: target.user.clone(),
            candidates: Some(self.candidates.total()),
        }));
        let me = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(update) = rx.recv().await {
                match update {
                    CrackUpdate::Progress(p) => {
                        me.emit.now(EventKind::Attack(AttackEvent::CrackProgress {
                            tried: p.tried,
                            candidates: p.total,
                            rate: p.rate,
                        }))
                    }
                    CrackUpdate::Done(outcome) => {
                        let found = outcome.password_text();
                        let (elapsed, rate) = match &outcome {
                            Outcome::Found { elapsed, rate, .. }
                            | Outcome::NotFound { elapsed, rate, .. } => (*elapsed, *rate),
                            Outcome::Cancelled { elapsed, .. } => (*elapsed, 0.0),
                        };
                        let estimate = match &outcome {
                            Outcome::NotFound { rate, .. } => {
                                Some(Estimate::of(&me.password, *rate))
                            }
                            _ => None,
                        };
                        me.emit.now(EventKind::Attack(AttackEvent::CrackDone {
                            user: target.user.clone(),
                            found,
                            tried: outcome.tried(),
                            elapsed,
                            rate,
                            estimate,
                        }));
                        me.ended.send_modify(|n| *n += 1);
                    }
                }
            }
        });
    }
}
