//! `popscope demo SCENARIO`: run one scenario on the lab and print what
//! the client, the server and the eavesdropper each saw, in the order it
//! happened, then what the eavesdropper learned.
//!
//! The transcript is built only from the lab's events, so it shows the
//! same things the screen does: the client's password masked in the
//! client's lines, and in clear only where the wire really carried it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use unicode_width::UnicodeWidthStr;

use crate::lab::{
    AttackEvent, ClientEvent, Event, EventKind, Lab, LabEvent, LabOptions, Scenario, Side,
    TlsEvent, Trust, WireEvent, describe,
};
use crate::lang::Lang;
use crate::pop3::server::ServerEvent;
use crate::sanitize;
use crate::tr;
use crate::wire::Direction;
use crate::wire::dissect::Item;
use crate::wire::pop3::Leak;
use crate::wire::tls as wtls;

/// Flags of `popscope demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = what_it_sends())]
pub struct DemoArgs {
    /// The scenario: plain (USER/PASS), apop, auth-plain, stls or pop3s.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(Scenario::NAMES))]
    pub scenario: String,
    /// Print one JSON event per line instead of the transcript.
    #[arg(long)]
    pub json: bool,
    /// Run against this server (HOST:PORT) instead of the lab's own; the
    /// tap still sits in between. Give the POP3 port for plain, apop,
    /// auth-plain and stls, the POP3S port for pop3s.
    #[arg(long, value_name = "HOST:PORT")]
    pub server: Option<String>,
    /// Trust the CA certificate(s) in this PEM file.
    #[arg(long, value_name = "PEM")]
    pub ca: Option<PathBuf>,
    /// Accept any certificate (what a man in the middle hopes for).
    #[arg(long, conflicts_with = "ca")]
    pub insecure: bool,
    /// Log in as this user (default alice).
    #[arg(long)]
    pub user: Option<String>,
    /// With this password (default the demo one).
    #[arg(long)]
    pub password: Option<String>,
    /// Put an active attacker on the wire. With an attack, the client's
    /// policies come from the flags below only: it uses TLS "if offered"
    /// unless --require-tls, and checks the certificate unless --insecure.
    /// The exit status is 0 whether the attack succeeds or fails.
    #[arg(long, value_enum, value_name = "ATTACK")]
    pub attack: Option<crate::attack::Attack>,
    /// The client never sends credentials without TLS (the careful client).
    #[arg(long)]
    pub require_tls: bool,
    /// The lab's server runs commands that arrived before the STLS
    /// handshake (deliberately vulnerable, CVE-2011-0411 class; lab only).
    #[arg(long)]
    pub vulnerable_server: bool,
    /// The client reads replies that arrived before the STLS handshake as
    /// if they came inside TLS (deliberately vulnerable; lab only).
    #[arg(long)]
    pub vulnerable_client: bool,
    /// A word list for `--attack crack` (one candidate per line) instead of
    /// the built-in one, e.g. /usr/share/dict/words.
    #[arg(long, value_name = "FILE")]
    pub wordlist: Option<PathBuf>,
    /// The transcript's language: ja or en (default from LANG).
    #[arg(long, value_parser = ["ja", "en"])]
    pub lang: Option<String>,
    /// The only TLS version the client offers: 1.2 or 1.3 (default: both,
    /// and 1.3 is agreed). With 1.2 the eavesdropper reads the server's
    /// certificate; with 1.3 it cannot.
    #[arg(long, value_enum, value_name = "VERSION")]
    pub tls_version: Option<crate::lab::TlsVersion>,
    /// Also write what the tap recorded as a pcapng capture Wireshark and
    /// tshark open as is (server on port 110 or 995, TLS secrets inside).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Also write the client's TLS secrets in the NSS key-log format
    /// (SSLKEYLOGFILE) for other tools.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
}

impl DemoArgs {
    /// The transcript's language: `--lang`, else LANG's.
    pub fn language(&self) -> Lang {
        Lang::from_flag(self.lang.as_deref())
    }
}

/// The part of `demo --help` that says which commands the demo sends, built
/// from the lab's own list so it always tells the truth.
pub fn what_it_sends() -> String {
    let seq = |own: bool| {
        crate::lab::demo_commands(own)
            .map(|(_, cmd)| cmd)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "What the demo sends, after connecting (CAPA, STLS, CAPA first for stls) and logging \
         in the scenario's way: USER then PASS (PASS only after +OK to USER), APOP, or \
         AUTH PLAIN (in cleartext only after CAPA lists PLAIN):\n  \
         lab's own server:  {}\n    (message 2 is deleted from the lab's throwaway copy)\n  \
         with --server:     {}\n    (RSET undoes the DELE mark before QUIT: the demo never \
         deletes mail on a real mailbox)\n\
         If a command fails, the demo hangs up without QUIT, so the server applies nothing.",
        seq(true),
        seq(false)
    )
}

/// Run one scenario and print its transcript; an error (a failed step, an
/// untrusted certificate) comes back after the transcript is printed.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut scenario = Scenario::named(&args.scenario).context("unknown scenario")?;
    if let Some(u) = &args.user {
        scenario.user = u.clone();
    }
    if let Some(p) = &args.password {
        scenario.password = p.clone();
    }
    let mut options = LabOptions::default();
    if let Some(server) = &args.server {
        let addr = resolve(server).await?;
        let host = server.rsplit_once(':').map(|(h, _)| h).unwrap_or(server);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        options.server = Some(addr);
        options.server_name = Some(host.to_string());
        scenario.verify = Trust::SystemRoots;
    }
    if let Some(ca) = &args.ca {
        scenario.verify = Trust::CaFile(ca.clone());
    }
    if args.insecure {
        scenario.verify = Trust::InsecureAcceptAny;
    }
    if let Some(attack) = args.attack {
        scenario.attack = Some(attack);
        scenario.require_tls = args.require_tls;
    } else if args.require_tls {
        scenario.require_tls = true;
    }
    if args.vulnerable_server {
        if args.server.is_some() {
            bail!(
                "--vulnerable-server changes the lab's own server; it cannot be used with --server"
            );
        }
        scenario.vulnerable_server = true;
    }
    scenario.vulnerable_client = args.vulnerable_client;
    if args.tls_version.is_some() && scenario.transport == crate::lab::Transport::Plain {
        bail!(
            "--tls-version is for the stls and pop3s scenarios; {} uses no TLS",
            args.scenario
        );
    }
    scenario.tls_version = args.tls_version;
    if args.wordlist.is_some() && args.attack != Some(crate::attack::Attack::Crack) {
        bail!("--wordlist is for --attack crack");
    }
    let attacking = scenario.attack.is_some();
    let server_port = scenario.transport.standard_port();
    options.wordlist = args.wordlist.clone();
    // The lab's clock starts inside Lab::start, a moment after this; the
    // capture's wall-clock times are taken from here.
    let started = std::time::SystemTime::now();
    let (mut lab, mut rx) = Lab::start(scenario, options).await?;
    let result = lab.run_demo().await;
    lab.shutdown().await;
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    // Each part stamps its events with the lab's clock; sorting (stably)
    // puts the wire between the client's send and the server's reaction.
    events.sort_by_key(|e| e.at);
    let out = if args.json {
        let mut s = String::new();
        for e in &events {
            let line = serde_json::to_string(e)?;
            let _ = writeln!(s, "{}", sanitize::json(&line));
        }
        // Each TLS connection's key schedule and Finished checks, as typed
        // values, after the events they come from.
        let mut keys = crate::wire::session_keys::Sessions::default();
        for e in &events {
            crate::lab::fold_keys(&mut keys, &e.kind);
        }
        let end = crate::lab::at_ms(events.last().map_or(std::time::Duration::ZERO, |e| e.at));
        for (conn, k) in keys.conns() {
            // Shaped as the events are, so a reader of the stream needs no
            // second case: a TLS-side fact at the end of the run.
            let line = serde_json::to_string(&serde_json::json!({
                "at_ms": end,
                "source": "tls",
                "event": { "kind": "key_schedule", "report": k.report(conn) },
            }))?;
            let _ = writeln!(s, "{}", sanitize::json(&line));
        }
        s
    } else {
        transcript(&events, args.language())
    };
    print!("{out}");
    if let Some(path) = &args.pcap {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        crate::wire::pcap::write_pcapng(
            &events,
            server_port,
            started,
            std::io::BufWriter::new(file),
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.keylog {
        std::fs::write(path, crate::wire::pcap::keylog(&events))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    // Under attack, a client that refuses or a session the attacker broke
    // is the lesson, not a failure of the lab; only a lab that could not
    // run (or an attack without a verdict) is an error.
    let verdict = events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Attack(AttackEvent::Verdict { .. })));
    match result {
        Err(e) if attacking && verdict && !matches!(e, crate::lab::LabError::Setup { .. }) => {
            Ok(())
        }
        other => other.map_err(anyhow::Error::from),
    }
}

async fn resolve(server: &str) -> anyhow::Result<SocketAddr> {
    let mut addrs = tokio::net::lookup_host(server)
        .await
        .with_context(|| format!("--server {server:?}: expected HOST:PORT"))?;
    match addrs.next() {
        Some(a) => Ok(a),
        None => bail!("--server {server}: the name has no address"),
    }
}

/// Render events as the annotated transcript, in `lang`.
pub fn transcript(events: &[Event], lang: Lang) -> String {
    let mut t = Transcript::new(lang);
    let mut out = String::new();
    for e in steps_in_order(events) {
        out.push_str(&t.event(e));
    }
    out.push_str(&t.finish());
    out
}

/// The events with each connection's handshake steps put in the order
/// they took place. A sealed step is reported when the secret that opens
/// it arrives, which may be after a later step was reported; each step
/// carries its place (`order`), so the steps are sorted by it within the
/// places the connection's steps took among the other events, which keep
/// theirs.
fn steps_in_order(events: &[Event]) -> Vec<&Event> {
    let mut out: Vec<&Event> = events.iter().collect();
    let mut slots: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if let EventKind::Tls(TlsEvent::Step { conn, .. }) = &e.kind {
            slots.entry(*conn).or_default().push(i);
        }
    }
    for places in slots.values() {
        let mut steps: Vec<&Event> = places.iter().map(|&i| &events[i]).collect();
        // A stable sort: steps of one chunk keep the order they were read.
        steps.sort_by_key(|e| match &e.kind {
            EventKind::Tls(TlsEvent::Step { order, .. }) => *order,
            _ => 0,
        });
        for (&i, e) in places.iter().zip(steps) {
            out[i] = e;
        }
    }
    out
}

/// The transcript built one event at a time, for a live view (`popscope
/// proxy`) as well as for [`transcript`].
#[derive(Debug)]
pub struct Transcript {
    lang: Lang,
    /// Connections whose handshake steps have begun (the heading is
    /// written once).
    steps_begun: BTreeSet<u64>,
    /// Sealed records already described, by connection, direction and
    /// stream offset: the steps after the first in one record say so.
    records_told: BTreeSet<(u64, bool, u64)>,
    learned: Vec<(u64, crate::wire::dissect::Loot)>,
    verdicts: Vec<AttackEvent>,
}

/// Who speaks on a line of the transcript: its left column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Lab,
    Client,
    Server,
    Wire,
    Eavesdrop,
    Tls,
    Attacker,
}

impl Who {
    const ALL: [Who; 7] = [
        Who::Lab,
        Who::Client,
        Who::Server,
        Who::Wire,
        Who::Eavesdrop,
        Who::Tls,
        Who::Attacker,
    ];

    fn name(self, lang: Lang) -> String {
        match self {
            Who::Lab => tr!(lang, "event-demo-who-lab"),
            Who::Client => tr!(lang, "event-demo-who-client"),
            Who::Server => tr!(lang, "event-demo-who-server"),
            Who::Wire => tr!(lang, "event-demo-who-wire"),
            Who::Eavesdrop => tr!(lang, "event-demo-who-eavesdrop"),
            Who::Tls => tr!(lang, "event-demo-who-tls"),
            Who::Attacker => tr!(lang, "event-demo-who-attacker"),
        }
    }

    /// The column's width in `lang`: the widest name, in terminal cells.
    fn column(lang: Lang) -> usize {
        Who::ALL
            .iter()
            .map(|w| UnicodeWidthStr::width(w.name(lang).as_str()))
            .max()
            .unwrap_or(0)
    }
}

impl Transcript {
    /// A transcript in `lang`.
    pub fn new(lang: Lang) -> Transcript {
        Transcript {
            lang,
            steps_begun: BTreeSet::new(),
            records_told: BTreeSet::new(),
            learned: Vec::new(),
            verdicts: Vec::new(),
        }
    }

    /// The lines for one event (possibly none).
    pub fn event(&mut self, e: &Event) -> String {
        let mut out = String::new();
        let lang = self.lang;
        let learned = &mut self.learned;
        let steps_begun = &mut self.steps_begun;
        let records_told = &mut self.records_told;
        let verdicts = &mut self.verdicts;
        let ms = e.at.as_secs_f64() * 1000.0;
        let column = Who::column(lang);
        // Every line of the transcript passes here, so text a server or
        // a certificate chose cannot drive the terminal.
        let mut line = |who: Who, text: &str| {
            let text = sanitize::visible(text);
            let who = who.name(lang);
            let pad = column.saturating_sub(UnicodeWidthStr::width(who.as_str()));
            let _ = writeln!(out, "{ms:>8.1}ms  {who}{:pad$} {text}", "");
        };
        match &e.kind {
            EventKind::Lab(l) => match l {
                LabEvent::Started {
                    scenario,
                    server,
                    tap,
                    own_server,
                } => {
                    let server = if *own_server {
                        tr!(lang, "event-demo-own-server", addr = server.to_string())
                    } else {
                        tr!(lang, "event-demo-outside-server", addr = server.to_string())
                    };
                    let _ = writeln!(
                        out,
                        "{}\n  {}\n",
                        tr!(
                            lang,
                            "event-demo-title",
                            name = scenario.name.as_str(),
                            what = describe::scenario(scenario, lang)
                        ),
                        tr!(
                            lang,
                            "event-demo-setup",
                            server = server,
                            tap = tap.to_string(),
                            user = scenario.user.as_str()
                        ),
                    );
                }
                LabEvent::Step { step } => {
                    line(Who::Lab, &format!("▶ {}", describe::demo_step(*step, lang)))
                }
                LabEvent::Finished { ok: true, .. } => {
                    line(Who::Lab, &tr!(lang, "event-demo-done"))
                }
                LabEvent::Finished { problem, error, .. } => line(
                    Who::Lab,
                    &match (problem, error) {
                        (Some(p), _) => tr!(
                            lang,
                            "event-demo-stopped-because",
                            error = describe::client_problem(p, lang)
                        ),
                        (None, Some(e)) => tr!(lang, "event-demo-stopped-because", error = e),
                        (None, None) => tr!(lang, "event-demo-stopped"),
                    },
                ),
            },
            EventKind::Client(c) => {
                match c {
                    ClientEvent::Sent { line: l } => line(Who::Client, &format!("→ {l}")),
                    ClientEvent::Received {
                        status,
                        text,
                        body_len,
                        ..
                    } => {
                        let more = body_len
                            .map(|n| format!("  {}", describe::body_size(n, lang)))
                            .unwrap_or_default();
                        line(
                            Who::Client,
                            &format!("← {}{more}", clip(&status.line(text), 90)),
                        )
                    }
                    _ => {}
                }
                for (_, text) in describe::client_lines(c, lang) {
                    line(Who::Client, &text);
                }
            }
            EventKind::Server(s) => {
                if let Some(text) = server_line(s, lang) {
                    line(Who::Server, &text);
                }
            }
            EventKind::Wire(w) => match w {
                WireEvent::Opened {
                    conn,
                    client,
                    server,
                    ..
                } => line(
                    Who::Wire,
                    &tr!(
                        lang,
                        "event-demo-opened",
                        conn = *conn,
                        client = client.to_string(),
                        server = server.to_string()
                    ),
                ),
                WireEvent::Chunk {
                    dir, len, bytes, ..
                } => line(
                    Who::Wire,
                    &format!("{} {}", dir.arrow(), chunk_text(bytes, *len, lang)),
                ),
                WireEvent::Seen { item, .. } => {
                    if let Some(text) = seen(item, lang) {
                        line(Who::Eavesdrop, &text);
                    }
                }
                WireEvent::Closed { dir, reason, .. } => line(
                    Who::Wire,
                    &tr!(
                        lang,
                        "event-demo-closed",
                        dir = dir.arrow(),
                        reason = crate::lab::describe::close_reason(reason, lang)
                    ),
                ),
                WireEvent::Gap {
                    dir, offset, len, ..
                } => line(
                    Who::Wire,
                    &tr!(
                        lang,
                        "event-demo-gap",
                        dir = dir.arrow(),
                        n = *len,
                        offset = *offset
                    ),
                ),
                WireEvent::Learned { conn, loot, .. } => learned.push((*conn, loot.clone())),
            },
            EventKind::Tls(TlsEvent::Secret {
                side: Side::Client,
                label,
                secret,
                ..
            }) => line(
                Who::Tls,
                &tr!(
                    lang,
                    "event-demo-secret",
                    label = label,
                    n = secret.len() / 2
                ),
            ),
            EventKind::Tls(TlsEvent::Step { conn, step, .. }) => {
                if steps_begun.insert(*conn) {
                    line(Who::Tls, &tr!(lang, "event-demo-steps", conn = *conn));
                }
                let record = (
                    *conn,
                    step.dir == Direction::ClientToServer,
                    step.record_offset,
                );
                let same_record = step.sealed.is_some() && !records_told.insert(record);
                line(
                    Who::Tls,
                    &format!(
                        "{} {:<19} {}",
                        step.dir.arrow(),
                        step.name(),
                        describe::step_crossing(step, same_record, lang)
                    ),
                );
            }
            EventKind::Tls(_) => {}
            EventKind::Attack(a) => {
                if let AttackEvent::Verdict { .. } = a {
                    verdicts.push(a.clone());
                }
                if let Some(text) = describe::attack_line_in(a, lang) {
                    line(Who::Attacker, &text);
                }
                if let AttackEvent::Acted {
                    note: crate::wire::tap::AttackNote::Read { dir, bytes, len },
                    ..
                } = a
                {
                    line(
                        Who::Attacker,
                        &tr!(
                            lang,
                            "event-demo-attacker-reads",
                            dir = dir.arrow(),
                            text = chunk_text(bytes, *len, lang)
                        ),
                    );
                }
            }
        }
        out
    }

    /// The closing summary: what the eavesdropper learned, and the verdict.
    pub fn finish(&mut self) -> String {
        let lang = self.lang;
        let mut out = String::new();
        let learned = std::mem::take(&mut self.learned);
        let verdicts = std::mem::take(&mut self.verdicts);
        let _ = writeln!(out, "\n{}", tr!(lang, "event-demo-learned"));
        if learned.is_empty() {
            let _ = writeln!(out, "  {}", tr!(lang, "event-demo-no-connection"));
        }
        for (conn, loot) in learned {
            let _ = writeln!(
                out,
                "  {}",
                tr!(
                    lang,
                    "event-demo-learned-on",
                    conn = conn,
                    summary = describe::loot(&loot, lang)
                )
            );
        }
        for v in &verdicts {
            if let Some(text) = describe::attack_line_in(v, lang) {
                let _ = writeln!(out, "\n{}", tr!(lang, "event-demo-verdict", text = text));
            }
        }
        out
    }
}

/// The server's events as transcript lines: the shared wording, plus the
/// state and the maildrop, which the screen draws in a pane of their own.
fn server_line(s: &ServerEvent, lang: Lang) -> Option<String> {
    Some(match s {
        ServerEvent::Greeting { .. } => return None,
        ServerEvent::State { state, .. } => {
            tr!(lang, "event-demo-state", state = state.to_string())
        }
        ServerEvent::Maildrop { messages, .. } => {
            let live: Vec<_> = messages.iter().filter(|m| !m.deleted).collect();
            let marked: Vec<String> = messages
                .iter()
                .filter(|m| m.deleted)
                .map(|m| m.number.to_string())
                .collect();
            let size: u64 = live.iter().map(|m| m.size).sum();
            if marked.is_empty() {
                tr!(lang, "event-demo-maildrop", n = live.len(), size = size)
            } else {
                tr!(
                    lang,
                    "event-demo-maildrop-marked",
                    n = live.len(),
                    size = size,
                    marked = marked.join(", ")
                )
            }
        }
        other => describe::server_line(other, lang)?,
    })
}

/// A chunk as readable text when it is text, else its size.
fn chunk_text(bytes: &[u8], len: usize, lang: Lang) -> String {
    let is_text = describe::is_text(bytes);
    if !is_text {
        return if bytes.len() < len {
            tr!(
                lang,
                "event-demo-binary-partly-kept",
                n = len,
                lost = len - bytes.len()
            )
        } else {
            tr!(lang, "event-demo-binary", n = len)
        };
    }
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("").trim_end_matches(['\r', '\n']);
    let rest = lines.count();
    let mut s = format!("{:<60}", clip(first, 60));
    if rest > 0 {
        let _ = write!(s, " {}", tr!(lang, "event-demo-more-lines", n = rest));
    }
    let _ = write!(s, " {}", tr!(lang, "event-demo-bytes", n = len));
    s
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// What the eavesdropper makes of one item, or `None` for items the chunk
/// line already shows.
fn seen(item: &Item, lang: Lang) -> Option<String> {
    Some(match item {
        Item::Pop3Command { .. } | Item::Pop3Reply { .. } => return None,
        Item::Leak(Leak::Greeting {
            timestamp: Some(t), ..
        }) => tr!(lang, "event-demo-greeting-timestamp", timestamp = t),
        Item::Leak(leak) => {
            let (tag, text) = describe::leak(leak, lang)?;
            format!("! {tag} {text}")
        }
        Item::TlsRecord {
            header, encrypted, ..
        } => {
            if !encrypted {
                return None;
            }
            tr!(
                lang,
                "event-demo-encrypted-record",
                n = header.length,
                content = header.content_type.name()
            )
        }
        Item::TlsHandshake { message, .. } => describe::handshake(message, lang),
        Item::TlsAlert {
            level,
            description,
            encrypted,
            ..
        } => {
            let description = wtls::alert_description(*description);
            if *encrypted {
                tr!(lang, "event-demo-encrypted-alert")
            } else if *level == 2 {
                tr!(lang, "event-demo-alert-fatal", description = description)
            } else {
                tr!(lang, "event-demo-alert-warning", description = description)
            }
        }
        Item::SwitchToTls { dir, offset } => match dir {
            Direction::ClientToServer => {
                tr!(lang, "event-demo-switch-client", offset = *offset)
            }
            Direction::ServerToClient => {
                tr!(lang, "event-demo-switch-server", offset = *offset)
            }
        },
        Item::Undecodable { reason, .. } => {
            tr!(
                lang,
                "event-demo-undecodable",
                reason = crate::lab::describe::undecodable(reason, lang)
            )
        }
    })
}
