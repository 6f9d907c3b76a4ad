//! The key schedule view: for one connection, from the secrets the
//! client's key log holds to the record keys and IVs (TLS 1.3) or the key
//! block (TLS 1.2), with their real values, what each key opened, and
//! whether each Finished verifies. It also says plainly what the key log
//! does not hold.
//!
//! Everything is read from [`crate::tui::model::KeysModel`], which
//! computed it when the events came; this only words it, in the learner's
//! language. The formulas are drawn as the RFCs write them, whatever the
//! language.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::span;
use crate::lang::Lang;
use crate::tui::app::App;
use crate::tui::model::FinishedStatus;
use crate::tui::model::keys::{SessionKeys, side_index};
use crate::tui::theme::Theme;
use crate::wire::Direction;
use crate::wire::decrypt::Epoch;
use crate::wire::schedule::{
    Expansion, KeyBlockPart, Schedule, Schedule12, Schedule13, ScheduleError,
};
use crate::wire::tls;

/// Values up to this many bytes are shown whole (every record key and IV
/// is); longer ones (secrets, the key block) are cut to their first and
/// last bytes, which is enough to find them in a key log.
const WHOLE: usize = 32;
/// Bytes shown at the start and at the end of a cut value.
const HEAD: usize = 12;
const TAIL: usize = 4;

/// Indentation of the lines under a heading, and of values under a
/// formula.
const IN: &str = "  ";
const IN2: &str = "      ";

/// A value in hex, whole when short enough, else cut with "…" in the
/// middle.
pub fn shown_hex(bytes: &[u8]) -> String {
    if bytes.len() <= WHOLE {
        hex::encode(bytes)
    } else {
        format!(
            "{}…{}",
            hex::encode(&bytes[..HEAD]),
            hex::encode(&bytes[bytes.len() - TAIL..])
        )
    }
}

/// The key schedule view of connection `conn`, worded in `lang`.
pub fn lines(app: &App, conn: u64, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    let t = theme;
    let Some(c) = app.keys.conn(conn) else {
        return vec![Line::from(span(
            crate::tr!(lang, "keys-no-tls", conn = conn),
            t.dim,
        ))];
    };
    let Some(schedule) = c.schedule.as_ref() else {
        // A ClientHello without its ServerHello: the version and suite
        // that the keys depend on are not chosen yet (or never were).
        let words = if c.client_random.is_some() {
            crate::tr!(lang, "keys-no-server-hello", conn = conn)
        } else {
            crate::tr!(lang, "keys-no-tls", conn = conn)
        };
        return vec![Line::from(span(words, t.dim))];
    };
    let mut out = Vec::new();
    let version = c.version.map_or("?", tls::version_name);
    let suite = c.suite.map_or("?", tls::suite_name);
    out.push(Line::from(span(
        crate::tr!(
            lang,
            "keys-title",
            conn = conn,
            version = version,
            suite = suite
        ),
        t.title,
    )));
    let randoms = [
        (crate::tr!(lang, "keys-client-random"), c.client_random),
        (crate::tr!(lang, "keys-server-random"), c.server_random),
    ];
    for (name, random) in randoms {
        if let Some(r) = random {
            out.push(pair(format!("{IN}{name}"), shown_hex(&r), t));
        }
    }
    match schedule {
        Err(e) => out.push(Line::from(span(error(*e, lang), t.err))),
        Ok(Schedule::Tls13(s)) => tls13(&mut out, c, s, lang, t),
        Ok(Schedule::Tls12(s)) => tls12(&mut out, c, s, lang, t),
    }
    out
}

/// The key schedule view of the newest TLS connection, for a caller that
/// does not pick one (the `bytes keys` lesson action, a key in the TLS
/// pane).
pub fn newest_lines(app: &App, lang: Lang, theme: &Theme) -> Vec<Line<'static>> {
    match app.keys.newest() {
        Some(conn) => lines(app, conn, lang, theme),
        None => vec![Line::from(span(
            crate::tr!(lang, "keys-no-connection"),
            theme.dim,
        ))],
    }
}

/// Whether the Finished sent in `dir` on `conn` verifies, and how its
/// verify_data is made, for a caller that shows one Finished message (the
/// byte view of a Finished step). Empty when the connection has no
/// schedule yet.
pub fn finished_lines(
    app: &App,
    conn: u64,
    dir: Direction,
    lang: Lang,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(c) = app.keys.conn(conn) else {
        return out;
    };
    let how = match c.schedule {
        Some(Ok(Schedule::Tls13(_))) => crate::tr!(lang, "keys-finished-how-13"),
        Some(Ok(Schedule::Tls12(_))) => {
            crate::tr!(lang, "keys-finished-how-12", label = finished_label_12(dir))
        }
        _ => return out,
    };
    finished(&mut out, c, dir, how, lang, theme);
    out
}

/// The PRF label of a TLS 1.2 Finished (RFC 5246 §7.4.9).
fn finished_label_12(dir: Direction) -> &'static str {
    match dir {
        Direction::ClientToServer => "client finished",
        Direction::ServerToClient => "server finished",
    }
}

fn error(e: ScheduleError, lang: Lang) -> String {
    match e {
        ScheduleError::UnsupportedSuite { suite } => crate::tr!(
            lang,
            "keys-unsupported-suite",
            suite = format!("{suite:#06x} ({})", tls::suite_name(suite))
        ),
        ScheduleError::UnsupportedVersion { version } => crate::tr!(
            lang,
            "keys-unsupported-version",
            version = format!("{version:#06x} ({})", tls::version_name(version))
        ),
        ScheduleError::SuiteNotForVersion { suite, version } => crate::tr!(
            lang,
            "keys-suite-not-for-version",
            suite = tls::suite_name(suite),
            version = tls::version_name(version)
        ),
    }
}

/// "name  value" with the value in the value style.
fn pair(name: String, value: String, t: &Theme) -> Line<'static> {
    Line::from(vec![
        span(name, t.header_name),
        Span::raw("  "),
        span(value, t.header_value),
    ])
}

/// A sentence in the explaining style.
fn note(out: &mut Vec<Line<'static>>, text: String, t: &Theme) {
    out.push(Line::from(span(format!("{IN}{text}"), t.dim)));
}

/// `name = HKDF-Expand-Label(secret, "label", "", len)` and, under it,
/// the value.
fn expansion(out: &mut Vec<Line<'static>>, name: &str, e: &Expansion, t: &Theme) {
    out.push(Line::from(span(
        format!(
            "{IN}{IN}{name} = HKDF-Expand-Label(secret, \"{}\", \"\", {})",
            e.label, e.len
        ),
        t.text,
    )));
    out.push(Line::from(span(
        format!("{IN2}= {}", shown_hex(&e.value)),
        t.header_value,
    )));
}

fn tls13(out: &mut Vec<Line<'static>>, c: &SessionKeys, s: &Schedule13, lang: Lang, t: &Theme) {
    note(out, crate::tr!(lang, "keys-holds-13"), t);
    note(out, crate::tr!(lang, "keys-lacks-13"), t);
    note(out, crate::tr!(lang, "keys-eavesdropper"), t);
    note(out, crate::tr!(lang, "keys-how-13"), t);
    for secret in &s.secrets {
        out.push(Line::raw(""));
        let dir = match secret.dir {
            Direction::ClientToServer => crate::tr!(lang, "keys-dir-client"),
            Direction::ServerToClient => crate::tr!(lang, "keys-dir-server"),
        };
        let epoch = match secret.epoch {
            Epoch::Handshake => crate::tr!(lang, "keys-epoch-handshake"),
            _ => crate::tr!(lang, "keys-epoch-application"),
        };
        out.push(Line::from(vec![
            span(secret.label, t.accent),
            Span::raw("  "),
            span(
                crate::tr!(lang, "keys-secret-for", dir = dir, keys = epoch),
                t.dim,
            ),
        ]));
        let Some(keys) = &secret.keys else {
            out.push(Line::from(span(
                format!("{IN}{}", crate::tr!(lang, "keys-secret-missing")),
                t.err,
            )));
            if secret.epoch == Epoch::Handshake {
                let how = crate::tr!(lang, "keys-finished-how-13");
                finished(out, c, secret.dir, how, lang, t);
            }
            continue;
        };
        out.push(pair(
            format!(
                "{IN}{} ({})",
                crate::tr!(lang, "keys-secret"),
                crate::tr!(lang, "keys-bytes", len = keys.secret.len())
            ),
            shown_hex(&keys.secret),
            t,
        ));
        expansion(out, "key", &keys.key, t);
        expansion(out, "iv", &keys.iv, t);
        if let Some(f) = &keys.finished_key {
            expansion(out, "finished_key", f, t);
        }
        let opened = if secret.epoch == Epoch::Handshake {
            let records = c.handshake_records(secret.dir);
            let steps = c.sealed_steps(secret.dir, Epoch::Handshake);
            (records > 0).then(|| {
                crate::tr!(
                    lang,
                    "keys-opened-handshake",
                    records = records,
                    steps = steps.join(", ")
                )
            })
        } else {
            let records = c.application_records(secret.dir);
            (records > 0).then(|| crate::tr!(lang, "keys-opened-application", records = records))
        };
        out.push(Line::from(span(
            format!(
                "{IN}{}",
                opened.unwrap_or_else(|| crate::tr!(lang, "keys-opened-none"))
            ),
            t.text,
        )));
        if secret.epoch == Epoch::Handshake {
            finished(
                out,
                c,
                secret.dir,
                crate::tr!(lang, "keys-finished-how-13"),
                lang,
                t,
            );
        }
    }
}

fn tls12(out: &mut Vec<Line<'static>>, c: &SessionKeys, s: &Schedule12, lang: Lang, t: &Theme) {
    note(out, crate::tr!(lang, "keys-holds-12"), t);
    note(out, crate::tr!(lang, "keys-lacks-12"), t);
    note(out, crate::tr!(lang, "keys-eavesdropper"), t);
    note(out, crate::tr!(lang, "keys-how-12"), t);
    out.push(Line::raw(""));
    out.push(Line::from(vec![
        span(s.label, t.accent),
        span(format!("  ({})", crate::tr!(lang, "keys-master")), t.dim),
    ]));
    let Some(keys) = &s.keys else {
        out.push(Line::from(span(
            format!("{IN}{}", crate::tr!(lang, "keys-secret-missing")),
            t.err,
        )));
        return;
    };
    out.push(pair(
        format!(
            "{IN}master_secret ({})",
            crate::tr!(lang, "keys-bytes", len = keys.master_secret.len())
        ),
        shown_hex(&keys.master_secret),
        t,
    ));
    let kb = &keys.key_block;
    out.push(Line::from(span(
        format!(
            "{IN}key_block = PRF(master_secret, \"{}\", server_random + client_random)",
            kb.label
        ),
        t.text,
    )));
    out.push(Line::from(span(
        format!(
            "{IN2}= {}  ({})",
            shown_hex(&kb.block),
            crate::tr!(lang, "keys-key-block", len = kb.block.len())
        ),
        t.header_value,
    )));
    let parts = [
        &kb.client_write_key,
        &kb.server_write_key,
        &kb.client_write_iv,
        &kb.server_write_iv,
    ];
    let named: Vec<(String, &KeyBlockPart)> = parts
        .iter()
        .map(|p| (format!("{} [{}..{}]", p.name, p.at, p.at + p.len), *p))
        .collect();
    let width = named.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, p) in named {
        out.push(Line::from(vec![
            span(format!("{IN}{IN}{name:width$}"), t.header_name),
            span(format!(" = {}", hex::encode(&p.value)), t.header_value),
        ]));
    }
    out.push(Line::from(span(
        format!(
            "{IN}{}",
            crate::tr!(
                lang,
                "keys-opened-12",
                client = c.application_records(Direction::ClientToServer),
                server = c.application_records(Direction::ServerToClient)
            )
        ),
        t.text,
    )));
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let how = crate::tr!(lang, "keys-finished-how-12", label = finished_label_12(dir));
        finished(out, c, dir, how, lang, t);
    }
}

/// What became of the Finished sent in `dir`, with how it is computed.
fn finished(
    out: &mut Vec<Line<'static>>,
    c: &SessionKeys,
    dir: Direction,
    how: String,
    lang: Lang,
    t: &Theme,
) {
    let who = match dir {
        Direction::ClientToServer => crate::tr!(lang, "keys-finished-client"),
        Direction::ServerToClient => crate::tr!(lang, "keys-finished-server"),
    };
    let status = c.finished[side_index(dir)].as_ref();
    let (mark, words, style): (&str, String, Style) = match status {
        Some(FinishedStatus::Verified(_)) => (
            "✓",
            crate::tr!(lang, "keys-finished-verified", who = who),
            t.good,
        ),
        Some(FinishedStatus::DoesNotVerify(_)) => (
            "✗",
            crate::tr!(lang, "keys-finished-fails", who = who),
            t.err,
        ),
        Some(FinishedStatus::SecretMissing) => (
            "?",
            crate::tr!(lang, "keys-finished-missing", who = who),
            t.err,
        ),
        Some(FinishedStatus::Unsupported { .. }) => (
            "?",
            crate::tr!(lang, "keys-finished-unsupported", who = who),
            t.err,
        ),
        None => (
            "·",
            crate::tr!(lang, "keys-finished-not-yet", who = who),
            t.dim,
        ),
    };
    out.push(Line::from(span(format!("{IN}{mark} {words}"), style)));
    out.push(Line::from(span(format!("{IN}{IN}{how}"), t.dim)));
    if let Some(FinishedStatus::Verified(check) | FinishedStatus::DoesNotVerify(check)) = status {
        let verified = matches!(status, Some(FinishedStatus::Verified(_)));
        if verified {
            out.push(Line::from(span(
                format!("{IN2}= {}", shown_hex(&check.received)),
                t.header_value,
            )));
        } else {
            out.push(pair(
                format!("{IN2}{}", crate::tr!(lang, "keys-finished-expected")),
                shown_hex(&check.expected),
                t,
            ));
            out.push(pair(
                format!("{IN2}{}", crate::tr!(lang, "keys-finished-received")),
                shown_hex(&check.received),
                t,
            ));
        }
    }
}
