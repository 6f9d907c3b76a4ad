//! The TLS pane's model: every handshake step of each connection as the
//! client and server see it (with what crossed, for the eavesdropper's
//! side), the alerts and first application data the wire carried, what
//! the client negotiated and checked, and the secrets it derived.

use std::sync::Arc;

use crate::lab::{ClientEvent, Side, TlsEvent, TlsFailure, Trust, WireEvent};
use crate::tls::SessionSummary;
use crate::wire::Direction;
use crate::wire::dissect::Item;
use crate::wire::steps::Step;
use crate::wire::tls::{ContentType, Handshake};

use crate::tui::text;

/// One step of the handshake timeline, kept as what crossed so the pane
/// can word it in the learner's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsStep {
    /// A handshake message or ChangeCipherSpec as the endpoints read it
    /// (`wire::steps`): in cleartext, or sealed and opened with their key
    /// log. It keeps the record that carried it, which is what the
    /// eavesdropper got of a sealed one.
    Message(Arc<Step>),
    /// A handshake message the eavesdropper decoded on the wire. The
    /// records view shows these; the timeline only for a connection no
    /// step was reported for.
    Handshake(Handshake),
    /// An alert.
    Alert {
        /// Level 2 (fatal) rather than 1 (warning).
        fatal: bool,
        /// The alert's number.
        description: u8,
        /// Inside an encrypted record, so neither of the above is known.
        encrypted: bool,
    },
    /// The first encrypted application data in this direction.
    AppData,
}

impl TlsStep {
    /// The step as an alert, from an alert item's fields.
    pub fn alert(level: u8, description: u8, encrypted: bool) -> TlsStep {
        TlsStep::Alert {
            fatal: level == 2,
            description,
            encrypted,
        }
    }
}

/// A handshake step of one connection, as the screen points at it: the
/// byte view and the pane's selection hold one, and find it again in the
/// timeline by value, since a late step may move the others down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    /// The tap's connection.
    pub conn: u64,
    /// The step.
    pub step: Arc<Step>,
}

/// One entry of a connection's part, with what it sorts by: the chunk
/// that completed it (a step's `order`, or the chunk a wire item came
/// in), steps before the wire's items of the same chunk, then arrival.
#[derive(Debug, Clone)]
struct Entry {
    key: (u64, u8, u64),
    dir: Direction,
    step: TlsStep,
    /// For application data, the record's stream offset.
    record: Option<u64>,
}

/// How many encrypted application_data records a part keeps each way:
/// the sealed handshake and the tickets take a few, the first one after
/// them is what the timeline shows.
const APP_DATA_KEPT: usize = 6;

/// One connection's part of the timeline.
#[derive(Debug, Clone)]
struct Part {
    conn: u64,
    /// Chunks of this connection seen so far.
    chunks: u64,
    entries: Vec<Entry>,
    /// Encrypted application_data records kept each way (at most
    /// [`APP_DATA_KEPT`]): in TLS 1.3 the first ones carry the sealed
    /// handshake, so which is the first real application data is known
    /// only once the steps are in.
    app_data: [usize; 2],
    /// Some step was reported: the wire's decoded handshake messages are
    /// left out, the steps say more.
    has_steps: bool,
}

/// The TLS pane's model.
#[derive(Debug, Clone, Default)]
pub struct TlsModel {
    /// The handshake steps of every connection with their direction, in
    /// order: each connection's steps as the endpoints saw them, with the
    /// wire's alerts and first application data each way among them.
    /// Built from the parts below whenever one changes.
    pub timeline: Vec<(Direction, TlsStep)>,
    /// Negotiated parameters, from the client.
    pub params: Option<SessionSummary>,
    /// The server's chain (subject, issuer), leaf first.
    pub chain: Vec<(String, String)>,
    /// What the certificate was checked against.
    pub verification: Option<Trust>,
    /// Why the handshake failed (worded when drawn).
    pub failed: Option<TlsFailure>,
    /// Secrets the client derived: label and hex.
    pub secrets: Vec<(String, String)>,
    /// Where each connection's part of the timeline starts: the index of
    /// its first step and the connection's number, so successive
    /// handshakes are drawn apart.
    pub starts: Vec<(usize, u64)>,
    parts: Vec<Part>,
    arrivals: u64,
}

impl TlsModel {
    /// The part of connection `conn`, made when first seen.
    fn part(&mut self, conn: u64) -> &mut Part {
        let i = match self.parts.iter().position(|p| p.conn == conn) {
            Some(i) => i,
            None => {
                self.parts.push(Part {
                    conn,
                    chunks: 0,
                    entries: Vec::new(),
                    app_data: [0; 2],
                    has_steps: false,
                });
                self.parts.len() - 1
            }
        };
        &mut self.parts[i]
    }

    /// Add an entry to `conn`'s part and lay the timeline out again.
    fn add(&mut self, conn: u64, order: Option<u64>, dir: Direction, step: TlsStep) {
        self.add_at(conn, order, dir, step, None);
    }

    /// [`TlsModel::add`], with the record offset of application data.
    fn add_at(
        &mut self,
        conn: u64,
        order: Option<u64>,
        dir: Direction,
        step: TlsStep,
        record: Option<u64>,
    ) {
        self.arrivals += 1;
        let seq = self.arrivals;
        let part = self.part(conn);
        let key = match order {
            Some(o) => (o, 0, seq),
            // The chunk that brought the item is the last one counted.
            None => (part.chunks.saturating_sub(1), 1, seq),
        };
        part.has_steps |= matches!(step, TlsStep::Message(_));
        let at = part.entries.partition_point(|e| e.key <= key);
        part.entries.insert(
            at,
            Entry {
                key,
                dir,
                step,
                record,
            },
        );
        self.lay_out();
    }

    /// Build `timeline` and `starts` from the parts. A handshake is a few
    /// dozen entries, so doing it whole at each change costs nothing.
    fn lay_out(&mut self) {
        self.timeline.clear();
        self.starts.clear();
        for p in &self.parts {
            // A record that carried sealed steps is shown as those steps;
            // the first application_data record each way that did not is
            // the application data.
            let carried = |dir: Direction, at: u64| {
                p.entries.iter().any(|e| {
                    matches!(&e.step, TlsStep::Message(s)
                        if s.sealed.is_some() && s.dir == dir && s.record_offset == at)
                })
            };
            let mut app_data = [false; 2];
            let shown = p.entries.iter().filter(|e| match e.step {
                TlsStep::Handshake(_) => !p.has_steps,
                TlsStep::AppData => {
                    let i = usize::from(e.dir == Direction::ServerToClient);
                    let first = !app_data[i] && !e.record.is_some_and(|r| carried(e.dir, r));
                    app_data[i] |= first;
                    first
                }
                _ => true,
            });
            let mut first = true;
            for e in shown {
                if first {
                    self.starts.push((self.timeline.len(), p.conn));
                    first = false;
                }
                self.timeline.push((e.dir, e.step.clone()));
            }
        }
    }

    /// The connection whose part holds timeline entry `i`.
    pub fn conn_at(&self, i: usize) -> Option<u64> {
        let k = self.starts.partition_point(|(at, _)| *at <= i);
        k.checked_sub(1).map(|k| self.starts[k].1)
    }

    /// The timeline indices of the part that holds entry `i`.
    pub fn part_range(&self, i: usize) -> std::ops::Range<usize> {
        let k = self.starts.partition_point(|(at, _)| *at <= i);
        let start = k.checked_sub(1).map_or(0, |k| self.starts[k].0);
        let end = self
            .starts
            .get(k)
            .map_or(self.timeline.len(), |(at, _)| *at);
        start..end
    }

    /// The handshake steps on the timeline, in order: their index in
    /// `timeline` and the step with its connection.
    pub fn steps(&self) -> Vec<(usize, StepRef)> {
        self.timeline
            .iter()
            .enumerate()
            .filter_map(|(i, (_, s))| match s {
                TlsStep::Message(step) => Some((
                    i,
                    StepRef {
                        conn: self.conn_at(i)?,
                        step: step.clone(),
                    },
                )),
                _ => None,
            })
            .collect()
    }

    /// Where `r` is among [`TlsModel::steps`].
    pub fn step_index(&self, r: &StepRef) -> Option<usize> {
        self.steps().iter().position(|(_, s)| s == r)
    }

    /// The newest connection's step called `name` (`Step::name`): the
    /// client's when `client` is `Some(true)`, the server's when
    /// `Some(false)`, and with `None` the server's when both sides send
    /// one (Finished, ChangeCipherSpec), else whichever there is.
    pub fn named(&self, name: &str, client: Option<bool>) -> Option<StepRef> {
        let steps = self.steps();
        let newest = steps.last()?.1.conn;
        let of = |dir: Direction| {
            steps
                .iter()
                .find(|(_, s)| s.conn == newest && s.step.dir == dir && s.step.name() == name)
                .map(|(_, s)| s.clone())
        };
        match client {
            Some(true) => of(Direction::ClientToServer),
            Some(false) => of(Direction::ServerToClient),
            None => of(Direction::ServerToClient).or_else(|| of(Direction::ClientToServer)),
        }
    }

    /// The newest connection with a handshake step, for the key schedule.
    pub fn newest_conn(&self) -> Option<u64> {
        self.steps().last().map(|(_, s)| s.conn)
    }

    /// Fold what the eavesdropper decoded: alerts, the first application
    /// data each way, and the handshake messages for a connection no step
    /// comes for. Every chunk is counted, so the wire's items sort among
    /// the steps by the chunk that brought them.
    pub fn apply_wire(&mut self, w: &WireEvent) {
        let (conn, item) = match w {
            WireEvent::Chunk { conn, .. } => {
                self.part(*conn).chunks += 1;
                return;
            }
            WireEvent::Seen { conn, item } => (*conn, item),
            _ => return,
        };
        match item {
            Item::TlsRecord {
                dir,
                header,
                encrypted: true,
                offset,
            } if header.content_type == ContentType::ApplicationData => {
                let i = usize::from(*dir == Direction::ServerToClient);
                let part = self.part(conn);
                if part.app_data[i] < APP_DATA_KEPT {
                    part.app_data[i] += 1;
                    self.add_at(conn, None, *dir, TlsStep::AppData, Some(*offset));
                }
            }
            Item::TlsHandshake { dir, message, .. } => {
                self.add(conn, None, *dir, TlsStep::Handshake(message.clone()));
            }
            Item::TlsAlert {
                dir,
                level,
                description,
                encrypted,
            } => self.add(
                conn,
                None,
                *dir,
                TlsStep::alert(*level, *description, *encrypted),
            ),
            _ => {}
        }
    }

    /// Fold what the client negotiated, checked or failed at.
    pub fn apply_client(&mut self, c: &ClientEvent) {
        match c {
            ClientEvent::TlsEstablished {
                summary,
                chain,
                trust,
                ..
            } => {
                self.params = Some(summary.clone());
                // Names in a certificate are whatever its maker wrote.
                self.chain = chain
                    .iter()
                    .map(|c| (text::sanitize(&c.subject), text::sanitize(&c.issuer)))
                    .collect();
                self.verification = Some(trust.clone());
            }
            ClientEvent::TlsFailed { failure } => self.failed = Some(failure.clone()),
            _ => {}
        }
    }

    /// Fold a secret the client derived, or a handshake step.
    pub fn apply_tls(&mut self, t: &TlsEvent) {
        match t {
            TlsEvent::Secret {
                side: Side::Client,
                label,
                secret,
                ..
            } if !self.secrets.iter().any(|(l, _)| l == label) => {
                self.secrets.push((label.clone(), secret.clone()));
            }
            TlsEvent::Step { conn, order, step } => {
                let step: Arc<Step> = Arc::new((**step).clone());
                self.add(*conn, Some(*order), step.dir, TlsStep::Message(step));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::tls::RecordHeader;

    fn record(conn: u64, dir: Direction) -> WireEvent {
        WireEvent::Seen {
            conn,
            item: Item::TlsRecord {
                dir,
                offset: 0,
                header: RecordHeader {
                    content_type: ContentType::ApplicationData,
                    version: 0x0303,
                    length: 32,
                },
                encrypted: true,
            },
        }
    }

    /// A synthetic step: a handshake message of `msg_type` with a
    /// four-byte body, carried by the record at `offset`, sealed or not.
    pub(crate) fn step(dir: Direction, msg_type: u8, offset: u64, sealed: bool) -> Step {
        use crate::wire::annotate::{self, Era};
        use crate::wire::decrypt::Epoch;
        use crate::wire::steps::StepKind;
        let bytes = vec![msg_type, 0, 0, 4, 1, 2, 3, 4];
        Step {
            dir,
            kind: StepKind::Handshake {
                msg_type,
                retry: false,
            },
            fields: annotate::handshake(&bytes, Era::Tls13),
            bytes,
            record: RecordHeader {
                content_type: if sealed {
                    ContentType::ApplicationData
                } else {
                    ContentType::Handshake
                },
                version: 0x0303,
                length: 100,
            },
            record_offset: offset,
            sealed: sealed.then_some(Epoch::Handshake),
            era: Era::Tls13,
        }
    }

    pub(crate) fn event(conn: u64, order: u64, s: Step) -> TlsEvent {
        TlsEvent::Step {
            conn,
            order,
            step: Box::new(s),
        }
    }

    fn names(m: &TlsModel) -> Vec<String> {
        m.timeline
            .iter()
            .map(|(_, s)| match s {
                TlsStep::Message(s) => s.name().to_string(),
                TlsStep::Handshake(_) => "wire handshake".into(),
                TlsStep::AppData => "app data".into(),
                TlsStep::Alert { .. } => "alert".into(),
            })
            .collect()
    }

    #[test]
    fn steps_sort_by_their_chunk_even_when_reported_late() {
        let mut m = TlsModel::default();
        let (c, s) = (Direction::ClientToServer, Direction::ServerToClient);
        m.apply_tls(&event(1, 0, step(c, 1, 0, false)));
        m.apply_tls(&event(1, 1, step(s, 2, 0, false)));
        // The client's Finished came with chunk 3, before the secret that
        // opens the server's flight of chunk 2, so it is reported first.
        m.apply_tls(&event(1, 3, step(c, 20, 60, true)));
        m.apply_tls(&event(1, 2, step(s, 8, 127, true)));
        m.apply_tls(&event(1, 2, step(s, 11, 127, true)));
        assert_eq!(
            names(&m),
            [
                "ClientHello",
                "ServerHello",
                "EncryptedExtensions",
                "Certificate",
                "Finished"
            ]
        );
        assert_eq!(m.starts, [(0, 1)]);
        // The steps know their connection, and a name finds the newest
        // connection's step of that side.
        assert_eq!(m.steps().len(), 5);
        let f = m
            .named("Finished", None)
            .expect("the client's, the only one");
        assert_eq!(f.step.dir, c);
        assert!(m.named("Finished", Some(false)).is_none());
        assert_eq!(m.step_index(&f), Some(4));
    }

    #[test]
    fn the_wire_reading_of_a_handshake_gives_way_to_its_steps() {
        let mut m = TlsModel::default();
        let hello = Item::TlsHandshake {
            dir: Direction::ClientToServer,
            offset: 0,
            message: Handshake::Other(1),
        };
        m.apply_wire(&WireEvent::Chunk {
            conn: 1,
            dir: Direction::ClientToServer,
            offset: 0,
            len: 9,
            bytes: Vec::new(),
        });
        m.apply_wire(&WireEvent::Seen {
            conn: 1,
            item: hello.clone(),
        });
        // Until a step comes (a connection nobody follows), the wire's.
        assert_eq!(names(&m), ["wire handshake"]);
        m.apply_tls(&event(1, 0, step(Direction::ClientToServer, 1, 0, false)));
        assert_eq!(names(&m), ["ClientHello"]);
        // The first application data of chunk 1 comes after the step of
        // chunk 0, and after a step of its own chunk too.
        m.apply_wire(&WireEvent::Chunk {
            conn: 1,
            dir: Direction::ServerToClient,
            offset: 0,
            len: 9,
            bytes: Vec::new(),
        });
        m.apply_wire(&record(1, Direction::ServerToClient));
        m.apply_tls(&event(1, 1, step(Direction::ServerToClient, 2, 0, false)));
        assert_eq!(names(&m), ["ClientHello", "ServerHello", "app data"]);
    }

    #[test]
    fn each_connection_gets_its_own_part_and_first_application_data() {
        let mut m = TlsModel::default();
        for conn in [1, 1, 2] {
            m.apply_wire(&record(conn, Direction::ClientToServer));
        }
        assert_eq!(m.starts, [(0, 1), (1, 2)]);
        assert_eq!(
            m.timeline,
            [
                (Direction::ClientToServer, TlsStep::AppData),
                (Direction::ClientToServer, TlsStep::AppData)
            ]
        );
    }

    #[test]
    fn a_failed_handshake_keeps_its_reason_made_visible() {
        let mut m = TlsModel::default();
        m.apply_client(&ClientEvent::TlsFailed {
            failure: TlsFailure::Handshake {
                message: "bad\x1b[2Jcert".into(),
            },
        });
        let failed = crate::lab::describe::tls_failure(
            m.failed.as_ref().expect("kept"),
            crate::lang::Lang::En,
        );
        assert!(
            failed.contains("bad^[[2Jcert") && !failed.contains('\x1b'),
            "{failed:?}"
        );
    }
}
