//! popscope: a terminal lab for POP3 and POP3S.
//!
//! # Layout
//!
//! - [`pop3`]: the protocol: commands, replies, the server session (no I/O
//!   of its own: its disk work comes back as jobs the connection loop runs
//!   on the blocking pool), the failure budget, the server's connection
//!   loop and the one client (with its settings and the observer through
//!   which the lab watches it).
//! - [`mailbox`]: the maildrop on disk (Maildir), its numbering, sizes, UIDs,
//!   deletion marks and the one-session-per-maildrop lock; the demo content.
//! - [`tls`]: the demo CA and certificates (rcgen; with a decoy for the
//!   name-mismatch attack), the attacker's forging CA and the rustls configs.
//! - [`serve`]: `popscope serve`, the server on its own with the demo content.
//! - [`wire`]: what the eavesdropper sees: dissectors of captured bytes,
//!   TLS record decryption from a stolen key log (`wire::decrypt`), its
//!   key schedule and Finished checks as values (`wire::schedule`), and
//!   the tap's chunks written as pcapng for Wireshark, TLS secrets inside
//!   (`wire::pcap`), and every byte of a TLS record or handshake message
//!   labelled for the byte view (`wire::annotate`, its words in
//!   `assets/i18n/*/bytes.ftl`); every handshake message as the client
//!   and server see it, sealed ones opened with their own key log
//!   (`wire::steps`); other tools' pcap and pcapng captures
//!   read packet by packet (`wire::capture`) and their TCP put back
//!   together (`wire::reassemble`).
//! - [`attack`]: the active attacker: transforms on the tap's relay loop
//!   (strip STLS, forged certificate, injection) and the offline APOP
//!   dictionary search.
//! - [`lab`]: server + tap (+ attacker) + the library client wired for one
//!   scenario; the `Event` stream and the judge of an attack's verdict; the
//!   driver task that runs a lab for the screen and the lesson runner;
//!   `popscope proxy`'s plumbing.
//! - [`lesson`]: lesson files: the step vocabulary, parsing with `file:line`
//!   problems, course checks, saved progress, and the headless runner.
//! - [`demo`]: `popscope demo`, a scenario printed as an annotated transcript.
//! - [`inspect`]: `popscope inspect FILE`, a capture someone else made:
//!   its POP3, STLS and POP3S conversations found by content and fed
//!   through the lab's pump (`lab::capture`), printed as `demo` prints.
//! - [`client_cli`]: `popscope client URL`, the interactive line client.
//! - [`proxy_cli`]: `popscope proxy`, the tap (passive or attacking) in
//!   front of any server, for outside clients.
//! - [`workshop`]: `popscope workshop`, the lab for a room: the server
//!   behind two taps (POP3 and POP3S, one connection numbering) for the
//!   students' own clients, the attack switched per new connection, the
//!   generated accounts and the student sheet.
//! - [`lessons_cli`]: `popscope lessons check|list|run`, for lesson files.
//! - [`load`]: the load generator behind `popscope load`.
//! - [`tui`]: the lab screen: app state and actions, the four lab panes'
//!   models (`tui::model`: wire, client, TLS, server, each folding its own
//!   events), panes (the lesson pane among them), Markdown and diagram
//!   drawing, theme, run loop; the record of everything the lab showed,
//!   for stepping back and replaying a capture (`tui::history`) and for
//!   `w` (`tui::save`); and the workshop's screen (`tui::workshop`), the
//!   Wall of Sheep with one row per student connection
//!   (`tui::model::wall`).
//! - [`sanitize`]: the one rule for showing text from outside (control
//!   characters, C1, bidirectional overrides made visible); every layer
//!   that prints or logs such text calls it.
//! - [`i18n`]: every word of the screen and of `demo`'s transcript, in one
//!   Fluent catalogue per language (`assets/i18n/{ja,en}/`), and `tr!`.
//! - [`lang`]: the course's two languages (Japanese first), one type for
//!   lessons, the screen and event wording.
//! - [`net`]: listening sockets with a deep accept queue, for the server
//!   and the tap.
//! - `sync` (private): the one way shared tables are locked.
//! - `utc` (private): a Unix time as a UTC date, for certificate dates
//!   and capture names.
//! - `fuzzing` (hidden): the bodies of the cargo-fuzz targets in `fuzz/`,
//!   shared with `tests/fuzz_replay.rs`, which replays every corpus file.

pub mod attack;
pub mod client_cli;
pub mod demo;
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
pub mod inspect;
pub mod lab;
pub mod lang;
pub mod lesson;
pub mod lessons_cli;
pub mod load;
pub mod mailbox;
pub mod net;
pub mod pop3;
pub mod proxy_cli;
pub mod sanitize;
pub mod serve;
mod sync;
pub mod tls;
pub mod tui;
mod utc;
pub mod wire;
pub mod workshop;
