//! The lab screen: client, server, eavesdropper and TLS side by side.
//!
//! The shape follows the Elm architecture: one [`app::App`] holds every
//! piece of state, [`app::Action`]s describe what can happen, and
//! [`app::App::update`] is the only place state changes. `App` keeps what
//! is global (focus, lesson, menu, input line, notices) and hands each lab
//! event to the four lab panes' models in [`model`], which fold it into
//! typed values. The panes in [`panes`] draw that state, wording it in the
//! learner's language, and do no I/O. [`run`] owns the terminal, the
//! lab (through a driver task) and the one `select!` loop between them.
//! [`workshop`] is the workshop's screen, the Wall of Sheep, which shares
//! the lab's panes and terminal handling.
//!
//! `App` also records every event in a [`history::History`], bounded in
//! memory: the view can step back through it chunk by chunk while the lab
//! goes on (the panes then draw models rebuilt from a prefix), a recording
//! can be replayed with the same machinery ([`run_replay`]), and `w`
//! writes it as a pcapng capture ([`save`]).

pub mod app;
pub mod bytes;
pub mod diagram;
pub mod highlight;
pub mod history;
pub mod keys;
pub mod layout;
pub mod lesson;
pub mod markdown;
pub mod model;
pub mod panes;
pub mod run;
pub mod save;
pub mod text;
pub mod theme;
pub mod workshop;

pub use run::{ReplayOptions, TuiOptions, run, run_replay, run_workshop};
pub use workshop::{WorkshopCmd, WorkshopScreen};
