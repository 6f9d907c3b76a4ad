//! What the lab has recorded so far, kept so the view can step back
//! through it chunk by chunk, and written out as a capture.
//!
//! The wire itself never goes back: every event is recorded here as it
//! arrives and the live models go on folding it. Looking at the past is a
//! matter of building fresh models from a prefix of the record. A step is
//! one [`WireEvent::Chunk`] together with every event after it up to the
//! next chunk: what the eavesdropper made of those bytes, the client's and
//! the server's reactions to them, and the TLS facts they carried all go
//! with the chunk that caused them. The one exception is the line the
//! client sent just before a chunk: it is that chunk's cause, so it goes
//! with it (the client pane never shows a command the wire has not carried
//! yet). So position `k` is "after the k-th chunk and its consequences",
//! and position 0 is the lab before any byte crossed.
//!
//! Rebuilding from the start would cost as much as the whole lab so far
//! (a 100 MB RETR is thousands of chunks), so the record keeps copies of
//! the live models every so often (checkpoints) and rebuilds from the
//! nearest one. The record's memory is bounded: past `cap` bytes the oldest
//! stretch up to the second checkpoint is dropped, that checkpoint becoming
//! the oldest place one can step back to. The few small events a capture
//! cannot do without (connections opened and closed, TLS secrets) are kept
//! from the dropped stretch, so a capture written later still numbers its
//! TCP segments and decrypts; it just starts later.

use std::collections::VecDeque;

use crate::lab::{ClientEvent, Event, EventKind, LabEvent, TlsEvent, WireEvent};

use super::model::{ClientModel, ServerModel, TlsModel, WireModel};

/// The bytes of events kept for stepping back and for the capture, at
/// most: a long lab or a 100 MB RETR keeps only its last 64 MiB.
pub const CAP_BYTES: usize = 64 << 20;

/// What one event counts for beside the bytes it carries: its fields and
/// the deque's slot, roughly.
const EVENT_OVERHEAD: usize = 128;

/// The four lab panes' models, as one value that can be copied and
/// rebuilt.
#[derive(Debug, Clone, Default)]
pub struct Models {
    /// The client pane.
    pub client: ClientModel,
    /// The server pane.
    pub server: ServerModel,
    /// The eavesdropper pane.
    pub wire: WireModel,
    /// The TLS pane.
    pub tls: TlsModel,
    /// The key schedule the byte view shows.
    pub keys: crate::tui::model::keys::KeysModel,
}

impl Models {
    /// About the bytes a copy of the models holds: the eavesdropper's hex
    /// view, and a guess for each line of the panes' logs. It counts a
    /// copy against the record's cap, so the copies cannot outgrow it.
    pub fn approx_size(&self) -> usize {
        const LINE: usize = 96;
        let hex: usize = self.wire.hex.iter().map(|b| b.bytes.len()).sum();
        let lines = self.wire.text.len()
            + self.wire.records.len()
            + self.client.lines.len()
            + self.server.log.len();
        hex + lines * LINE
    }

    /// Fold one event into the models that show it.
    pub fn apply(&mut self, event: Event) {
        self.keys.apply(&event);
        fold(
            &mut self.client,
            &mut self.server,
            &mut self.wire,
            &mut self.tls,
            event,
        );
    }
}

/// Hand a lab event to the models of the panes that show it. Each model
/// folds what concerns it; the same event can matter to more than one (a
/// TLS handshake is on the wire and on the TLS timeline). The live screen
/// and every rebuild of the past go through here, which is what makes a
/// rebuilt view the view the screen had.
pub fn fold(
    client: &mut ClientModel,
    server: &mut ServerModel,
    wire: &mut WireModel,
    tls: &mut TlsModel,
    event: Event,
) {
    match event.kind {
        EventKind::Lab(LabEvent::Step { step }) => client.step(step),
        EventKind::Lab(LabEvent::Started { .. } | LabEvent::Finished { .. }) => {}
        EventKind::Client(c) => {
            tls.apply_client(&c);
            client.apply(c);
        }
        EventKind::Server(s) => server.apply(s),
        EventKind::Wire(w) => {
            tls.apply_wire(&w);
            wire.apply_wire(w);
        }
        EventKind::Tls(t) => tls.apply_tls(&t),
        EventKind::Attack(a) => wire.apply_attack(a),
    }
}

/// The live models as they were just before a chunk.
#[derive(Debug, Clone)]
struct Checkpoint {
    /// The chunks before it (its position).
    chunk: u64,
    /// The number of events before it, counted from the lab's start.
    event: u64,
    /// The models after those events.
    models: Box<Models>,
    /// What the copy is counted for ([`Models::approx_size`]).
    size: usize,
}

/// The record of one lab (or of one replayed capture).
#[derive(Debug, Clone)]
pub struct History {
    /// The events kept, oldest first.
    events: VecDeque<Event>,
    /// How many events came before `events[0]` (dropped for the cap).
    first: u64,
    /// Where each kept chunk is: its event's number since the start.
    chunks: VecDeque<u64>,
    /// How many chunks came before `chunks[0]`.
    first_chunk: u64,
    /// Copies of the models, oldest first; the first is the oldest place
    /// one can go back to, and holds everything dropped before it.
    checkpoints: VecDeque<Checkpoint>,
    /// The small events of the dropped stretch a capture needs.
    kept: Vec<Event>,
    /// The bytes `events` and the copies stand for (see [`event_size`]
    /// and [`Models::approx_size`]).
    bytes: usize,
    /// The bytes at most.
    cap: usize,
    /// Chunks and bytes since the newest checkpoint.
    since_chunks: u64,
    since_bytes: usize,
}

impl Default for History {
    fn default() -> Self {
        History::new(CAP_BYTES)
    }
}

/// What an event costs to keep.
fn event_size(e: &Event) -> usize {
    EVENT_OVERHEAD
        + match &e.kind {
            EventKind::Wire(WireEvent::Chunk { bytes, .. }) => bytes.len(),
            _ => 0,
        }
}

/// A line the client sent: the cause of the chunk that carries it.
fn is_sent(e: &Event) -> bool {
    matches!(e.kind, EventKind::Client(ClientEvent::Sent { .. }))
}

fn is_chunk(e: &Event) -> bool {
    matches!(e.kind, EventKind::Wire(WireEvent::Chunk { .. }))
}

/// True for the events a capture cannot do without even when the bytes
/// around them are gone: the TCP framing needs the connection's opening
/// and closing, and decryption needs the secrets.
fn needed_by_capture(e: &Event) -> bool {
    matches!(
        e.kind,
        EventKind::Wire(WireEvent::Opened { .. } | WireEvent::Closed { .. })
            | EventKind::Tls(TlsEvent::Secret { .. })
            | EventKind::Lab(LabEvent::Started { .. })
    )
}

impl History {
    /// An empty record that keeps about `cap` bytes.
    pub fn new(cap: usize) -> History {
        History {
            events: VecDeque::new(),
            first: 0,
            chunks: VecDeque::new(),
            first_chunk: 0,
            checkpoints: VecDeque::from([Checkpoint {
                chunk: 0,
                event: 0,
                models: Box::default(),
                size: 0,
            }]),
            kept: Vec::new(),
            bytes: 0,
            cap,
            since_chunks: 0,
            since_bytes: 0,
        }
    }

    /// The chunks recorded since the start, dropped ones included: the
    /// live position.
    pub fn chunks(&self) -> u64 {
        self.first_chunk + self.chunks.len() as u64
    }

    /// The oldest position one can step back to (0 unless the cap has
    /// dropped the start): the oldest copy's, or the one after it when
    /// that copy already holds the next chunk's cause.
    pub fn oldest(&self) -> u64 {
        self.checkpoints.front().map_or(0, |c| {
            if c.chunk < self.chunks() && self.end_of(c.chunk) < c.event {
                c.chunk + 1
            } else {
                c.chunk
            }
        })
    }

    /// The number (from 1) of the first chunk a capture of the record
    /// holds, when the cap has dropped the ones before it.
    pub fn capture_from(&self) -> Option<u64> {
        self.truncated().then_some(self.first_chunk + 1)
    }

    /// True once the cap has dropped the start of the record.
    pub fn truncated(&self) -> bool {
        self.first > 0
    }

    /// The bytes the kept events and the copies of the models stand for.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// True if the live models should be copied before `next` is recorded
    /// ([`History::checkpoint`]): `next` is a chunk, and 256 chunks or a
    /// sixteenth of the cap have been recorded since the newest copy (so a
    /// rebuild folds at most that much, and dropping the oldest stretch
    /// frees about a sixteenth), but never less than the newest copy
    /// itself costs (so the copies take at most about half the cap). A
    /// record over its cap with nothing to drop takes one at once.
    pub fn wants_checkpoint(&self, next: &Event) -> bool {
        if !is_chunk(next) || self.chunks() == 0 {
            return false;
        }
        let newest = self.checkpoints.back().map_or(0, |c| c.size);
        let due = self.since_chunks >= 256 || self.since_bytes >= (self.cap / 16).max(1);
        (due && self.since_bytes >= newest) || (self.bytes > self.cap && self.checkpoints.len() < 2)
    }

    /// Keep a copy of the live models, which have folded every event
    /// recorded so far.
    pub fn checkpoint(&mut self, live: Models) {
        let size = live.approx_size();
        self.bytes += size;
        self.checkpoints.push_back(Checkpoint {
            chunk: self.chunks(),
            event: self.first + self.events.len() as u64,
            models: Box::new(live),
            size,
        });
        self.since_bytes = 0;
        self.since_chunks = 0;
    }

    /// Record one event (after [`History::wants_checkpoint`]).
    pub fn push(&mut self, event: Event) {
        let size = event_size(&event);
        if is_chunk(&event) {
            self.chunks.push_back(self.first + self.events.len() as u64);
            self.since_chunks += 1;
            self.since_bytes += size;
        }
        self.bytes += size;
        self.since_bytes += if is_chunk(&event) { 0 } else { size };
        self.events.push_back(event);
        while self.bytes > self.cap && self.checkpoints.len() >= 2 {
            self.drop_oldest();
        }
    }

    /// Drop the stretch before the second checkpoint, which becomes the
    /// oldest place to go back to.
    fn drop_oldest(&mut self) {
        if let Some(c) = self.checkpoints.pop_front() {
            self.bytes = self.bytes.saturating_sub(c.size);
        }
        let Some(to) = self.checkpoints.front().map(|c| c.event) else {
            return;
        };
        while self.first < to {
            let Some(e) = self.events.pop_front() else {
                break;
            };
            self.first += 1;
            self.bytes = self.bytes.saturating_sub(event_size(&e));
            if needed_by_capture(&e) {
                self.kept.push(e);
            }
        }
        while self.chunks.front().is_some_and(|&i| i < to) {
            self.chunks.pop_front();
            self.first_chunk += 1;
        }
    }

    /// The number of events (since the start) before position `at`: every
    /// event up to the chunk after the `at`-th, less the lines the client
    /// sent just before that chunk, which are its cause and go with it.
    fn end_of(&self, at: u64) -> u64 {
        let Some(mut end) = at
            .checked_sub(self.first_chunk)
            .and_then(|i| self.chunks.get(i as usize).copied())
        else {
            return self.first + self.events.len() as u64;
        };
        while end > self.first
            && self
                .events
                .get((end - 1 - self.first) as usize)
                .is_some_and(is_sent)
        {
            end -= 1;
        }
        end
    }

    /// The models as they were at position `at` (clamped to what is kept):
    /// the nearest copy at or before it, with the events after it folded.
    pub fn models_at(&self, at: u64) -> Models {
        let at = at.clamp(self.oldest(), self.chunks());
        let end = self.end_of(at);
        let cp = self
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.event <= end)
            .or(self.checkpoints.front());
        let (mut models, from) = match cp {
            Some(c) => ((*c.models).clone(), c.event),
            None => (Models::default(), self.first),
        };
        let skip = from.saturating_sub(self.first) as usize;
        let take = end.saturating_sub(from.max(self.first)) as usize;
        for e in self.events.iter().skip(skip).take(take) {
            models.apply(e.clone());
        }
        models
    }

    /// Every event a capture of the record holds, in time order: the small
    /// ones kept from a dropped stretch, then all the kept ones.
    pub fn capture_events(&self) -> Vec<Event> {
        let mut out: Vec<Event> = self
            .kept
            .iter()
            .chain(self.events.iter())
            .cloned()
            .collect();
        // The parts stamp events with the lab's clock and the channel
        // interleaves them; a stable sort puts the wire between the
        // client's send and the server's reaction, as `demo` does.
        out.sort_by_key(|e| e.at);
        out
    }

    /// The scenario's `Started` event, if recorded.
    pub fn started(&self) -> Option<&Event> {
        self.kept
            .iter()
            .chain(self.events.iter())
            .find(|e| matches!(e.kind, EventKind::Lab(LabEvent::Started { .. })))
    }

    /// The first connection's server address, for a record without a lab
    /// (a replayed capture).
    pub fn first_server(&self) -> Option<std::net::SocketAddr> {
        self.kept
            .iter()
            .chain(self.events.iter())
            .find_map(|e| match &e.kind {
                EventKind::Wire(WireEvent::Opened { server, .. }) => Some(*server),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Direction;
    use std::time::Duration;

    fn opened(conn: u64) -> Event {
        Event {
            at: Duration::from_millis(conn),
            kind: EventKind::Wire(WireEvent::Opened {
                conn,
                client: "127.0.0.1:40000".parse().unwrap(),
                server: "127.0.0.1:110".parse().unwrap(),
                attack: None,
                implicit_tls: false,
            }),
        }
    }

    fn chunk(i: u64, len: usize) -> Event {
        let mut bytes = format!("+OK line {i}\r\n").into_bytes();
        bytes.resize(len.max(bytes.len()), b'x');
        Event {
            at: Duration::from_millis(10 + i),
            kind: EventKind::Wire(WireEvent::Chunk {
                conn: 1,
                dir: Direction::ServerToClient,
                offset: i * len as u64,
                len: bytes.len(),
                bytes,
            }),
        }
    }

    /// Record `events` as the screen does, with live models beside.
    fn record(h: &mut History, live: &mut Models, events: &[Event]) {
        for e in events {
            if h.wants_checkpoint(e) {
                h.checkpoint(live.clone());
            }
            h.push(e.clone());
            live.apply(e.clone());
        }
    }

    fn fed(events: &[Event]) -> Models {
        let mut m = Models::default();
        for e in events {
            m.apply(e.clone());
        }
        m
    }

    fn same(a: &Models, b: &Models) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn every_position_rebuilds_the_models_fed_that_prefix() {
        let mut events = vec![opened(1)];
        events.extend((0..600).map(|i| chunk(i, 20)));
        let mut h = History::new(CAP_BYTES);
        let mut live = Models::default();
        record(&mut h, &mut live, &events);
        assert_eq!(h.chunks(), 600);
        // Checkpoints were taken (600 chunks, one every 256).
        assert!(h.checkpoints.len() >= 3);
        for at in [0u64, 1, 255, 256, 257, 300, 512, 599, 600] {
            // Position `at`: `Opened` and the first `at` chunks.
            let prefix = &events[..1 + at as usize];
            assert!(same(&h.models_at(at), &fed(prefix)), "position {at}");
        }
        assert!(same(&h.models_at(600), &live));
    }

    #[test]
    fn the_line_the_client_sent_goes_with_the_chunk_that_carries_it() {
        let sent = |i: u64| Event {
            at: Duration::from_millis(10 + i),
            kind: EventKind::Client(ClientEvent::Sent {
                line: format!("NOOP {i}"),
            }),
        };
        let mut events = vec![opened(1)];
        for i in 0..600 {
            events.push(sent(i));
            events.push(chunk(i, 20));
        }
        let mut h = History::new(CAP_BYTES);
        let mut live = Models::default();
        record(&mut h, &mut live, &events);
        // Position `at`: `Opened`, then each line sent with its chunk; the
        // copies taken before chunks 256 and 512 hold the line sent for
        // that chunk already, and the rebuild must not show it.
        for at in [0u64, 1, 255, 256, 257, 511, 512, 599, 600] {
            let prefix = &events[..1 + 2 * at as usize];
            assert!(same(&h.models_at(at), &fed(prefix)), "position {at}");
        }
    }

    #[test]
    fn the_cap_drops_the_oldest_and_says_how_far_back_one_can_go() {
        // Large chunks, as in a long RETR: 800 of 8 KiB, with a cap of
        // half that (the copies of the models, whose hex view keeps up to
        // 1 MiB, count too).
        const N: u64 = 800;
        let mut events = vec![opened(1)];
        events.extend((0..N).map(|i| chunk(i, 8192)));
        let cap = 400 * 8192;
        let mut h = History::new(cap);
        let mut live = Models::default();
        record(&mut h, &mut live, &events);
        assert!(h.truncated());
        assert!(h.bytes() <= cap, "{} > {cap}", h.bytes());
        let oldest = h.oldest();
        assert!(oldest > N / 2 && oldest < N - 20, "oldest {oldest}");
        // What is left still rebuilds exactly, from the oldest on.
        for at in [oldest, oldest + 1, N - 1, N] {
            let prefix = &events[..1 + at as usize];
            assert!(same(&h.models_at(at), &fed(prefix)), "position {at}");
        }
        // Asking for older than kept gives the oldest kept.
        assert!(same(&h.models_at(0), &h.models_at(oldest)));
        // The capture keeps the connection's opening from the dropped
        // stretch, and the chunks from the oldest kept one.
        let cap_events = h.capture_events();
        assert!(matches!(
            cap_events[0].kind,
            EventKind::Wire(WireEvent::Opened { .. })
        ));
        let chunks = cap_events.iter().filter(|e| is_chunk(e)).count() as u64;
        assert_eq!(chunks, N - oldest);
    }

    #[test]
    fn a_rebuild_over_thousands_of_events_is_well_under_a_frame() {
        let mut events = vec![opened(1)];
        events.extend((0..5000).map(|i| chunk(i, 60)));
        let mut h = History::new(CAP_BYTES);
        let mut live = Models::default();
        record(&mut h, &mut live, &events);
        let t = std::time::Instant::now();
        for at in (0..5000).step_by(97) {
            std::hint::black_box(h.models_at(at));
        }
        let each = t.elapsed() / 52;
        eprintln!("rebuild over up to 5000 small chunks: {each:?}");
        // The other bound: the bytes between two copies of a long RETR.
        let mut events = vec![opened(1)];
        events.extend((0..256).map(|i| chunk(i, 16384)));
        let mut h = History::new(CAP_BYTES);
        let mut live = Models::default();
        record(&mut h, &mut live, &events);
        let t = std::time::Instant::now();
        std::hint::black_box(h.models_at(255));
        eprintln!("rebuild over 4 MiB of RETR: {:?}", t.elapsed());
        // A frame is 50 ms; debug builds are slow, so the bound is loose.
        assert!(each < Duration::from_millis(25), "{each:?} per rebuild");
    }
}
