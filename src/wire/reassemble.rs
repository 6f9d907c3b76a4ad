//! TCP reassembly for captures: segments in, each connection's two byte
//! streams out, in order, as they become contiguous.
//!
//! A capture holds what crossed, not what was delivered: segments sent
//! again (retransmissions, whose overlap is dropped), segments that arrive
//! out of order (held back, within a bound, until the hole before them
//! fills), and segments that never reached the capture (reported as a
//! [`Flow::Gap`], after which the stream goes on). Bytes are handed on as
//! soon as they are in order and not kept, so memory stays bounded by the
//! out-of-order limits and the number of open connections, not by the
//! size of the capture.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use super::Direction;
use super::capture::Segment;

/// How much reassembly may hold back.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Out-of-order bytes held per direction of a connection before the
    /// hole in front of them is given up as a gap.
    pub per_direction: usize,
    /// Out-of-order bytes held over all connections.
    pub total: usize,
    /// Connections followed at once; past this, the longest idle ones are
    /// ended (as if the capture ended for them).
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_direction: 1 << 20,
            total: 64 << 20,
            connections: 100_000,
        }
    }
}

/// How a direction of a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Its sender's FIN.
    Fin,
    /// A RST from either side.
    Reset,
    /// The capture ended (or reassembly stopped following the connection)
    /// before it did.
    CaptureEnded,
}

/// What reassembly hands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// A connection was seen for the first time.
    Opened {
        /// Its number, from 1, in the order connections were first seen.
        conn: u64,
        /// The side that opened it (sent the SYN); when the capture began
        /// after the handshake, the side with the higher port.
        client: SocketAddr,
        /// The other side.
        server: SocketAddr,
        /// The capture time of the packet that showed it.
        at: Duration,
    },
    /// Bytes in order.
    Data {
        /// The connection.
        conn: u64,
        /// Which way.
        dir: Direction,
        /// Their offset in this direction's stream.
        offset: u64,
        /// The bytes.
        bytes: Vec<u8>,
        /// The capture time of the packet that completed them.
        at: Duration,
    },
    /// Bytes that crossed but are not in the capture.
    Gap {
        /// The connection.
        conn: u64,
        /// Which way.
        dir: Direction,
        /// Where the missing bytes begin in this direction's stream.
        offset: u64,
        /// How many are missing.
        len: u64,
        /// When the gap was given up on.
        at: Duration,
    },
    /// One direction ended.
    Closed {
        /// The connection.
        conn: u64,
        /// Which way.
        dir: Direction,
        /// How.
        ending: Ending,
        /// When.
        at: Duration,
    },
}

/// One direction of a connection.
#[derive(Debug, Default)]
struct Half {
    /// The sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// Bytes handed on (and skipped as gaps) so far.
    delivered: u64,
    /// Segments ahead of `delivered`, by offset.
    ahead: BTreeMap<u64, Vec<u8>>,
    /// Their total size.
    ahead_bytes: usize,
    /// The stream offset of the sender's FIN, once seen.
    fin_at: Option<u64>,
    closed: bool,
}

#[derive(Debug)]
struct Conn {
    id: u64,
    client: SocketAddr,
    halves: [Half; 2],
    last_seen: Duration,
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

const DIRS: [Direction; 2] = [Direction::ClientToServer, Direction::ServerToClient];

/// The reassembler of a whole capture.
#[derive(Debug)]
pub struct Reassembler {
    limits: Limits,
    /// Live connections by their endpoints, the lower address first.
    conns: HashMap<(SocketAddr, SocketAddr), Conn>,
    next_id: u64,
    /// Out-of-order bytes held over all connections.
    ahead_total: usize,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Default for Reassembler {
    fn default() -> Self {
        Reassembler::new(Limits::default())
    }
}

impl Reassembler {
    /// A reassembler holding back at most what `limits` allow.
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler {
            limits,
            conns: HashMap::new(),
            next_id: 1,
            ahead_total: 0,
        }
    }

    /// Connections followed right now.
    pub fn live(&self) -> usize {
        self.conns.len()
    }

    /// Out-of-order bytes held right now.
    pub fn held(&self) -> usize {
        self.ahead_total
    }

    /// Take one segment captured at `at`.
    pub fn segment(&mut self, seg: &Segment<'_>, at: Duration, out: &mut impl FnMut(Flow)) {
        let k = key(seg.src, seg.dst);
        let opening = seg.syn && !seg.ack;
        // A new SYN on the endpoints of a connection that already carried
        // data (or ended) is a new connection reusing the ports.
        if opening
            && let Some(c) = self.conns.get(&k)
            && (c.client != seg.src
                || c.halves.iter().any(|h| h.delivered > 0 || h.closed)
                || c.halves[0].base != Some(seg.seq.wrapping_add(1)))
        {
            let c = self.conns.remove(&k).expect("just seen");
            self.end(c, Ending::CaptureEnded, at, out);
        }
        if !self.conns.contains_key(&k) {
            let client = if opening {
                seg.src
            } else if seg.syn {
                // A SYN-ACK: its receiver opened the connection.
                seg.dst
            } else if seg.rst || (seg.payload.is_empty() && !seg.fin) {
                // Bare acknowledgements and resets of a connection whose
                // start the capture missed say nothing worth following.
                return;
            } else if let Some(from_client) = sent_by_client(seg.payload) {
                // Mid-stream: the bytes themselves may say who sent them.
                if from_client { seg.src } else { seg.dst }
            } else if seg.src.port() > seg.dst.port()
                || (seg.src.port() == seg.dst.port() && seg.src > seg.dst)
            {
                // Else: servers listen on the lower port, as a rule.
                seg.src
            } else {
                seg.dst
            };
            let server = if client == seg.src { seg.dst } else { seg.src };
            if self.conns.len() >= self.limits.connections {
                self.evict(at, out);
            }
            let id = self.next_id;
            self.next_id += 1;
            out(Flow::Opened {
                conn: id,
                client,
                server,
                at,
            });
            self.conns.insert(
                k,
                Conn {
                    id,
                    client,
                    halves: [Half::default(), Half::default()],
                    last_seen: at,
                },
            );
        }
        let Some(conn) = self.conns.get_mut(&k) else {
            return;
        };
        conn.last_seen = at;
        let id = conn.id;
        let dir = if seg.src == conn.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        if seg.rst {
            let c = self.conns.remove(&k).expect("just seen");
            self.end(c, Ending::Reset, at, out);
            return;
        }
        let half = &mut conn.halves[index(dir)];
        if half.closed {
            return;
        }
        // The first byte of data follows the SYN, which takes one sequence
        // number of its own.
        let data_seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let base = *half.base.get_or_insert(data_seq);
        // Where the segment lies relative to what was handed on: sequence
        // numbers wrap, so the distance is taken modulo 2^32 and read as
        // signed, which is right for anything within 2 GiB of the point.
        let expected = base.wrapping_add(half.delivered as u32);
        let ahead = i64::from(data_seq.wrapping_sub(expected) as i32);
        let Some(offset) = half.delivered.checked_add_signed(ahead) else {
            // Before the start of the stream: an old duplicate.
            return;
        };
        if !seg.payload.is_empty() {
            let len = seg.payload.len();
            let end = offset + len as u64;
            if end > half.delivered {
                let from = half.delivered.saturating_sub(offset) as usize;
                let bytes = &seg.payload[from..];
                let start = offset.max(half.delivered);
                if start == half.delivered {
                    half.delivered += bytes.len() as u64;
                    out(Flow::Data {
                        conn: id,
                        dir,
                        offset: start,
                        bytes: bytes.to_vec(),
                        at,
                    });
                    self.ahead_total -= drain(half, id, dir, at, out, false);
                } else if half.ahead.get(&start).is_none_or(|b| b.len() < bytes.len()) {
                    if let Some(old) = half.ahead.insert(start, bytes.to_vec()) {
                        half.ahead_bytes -= old.len();
                        self.ahead_total -= old.len();
                    }
                    half.ahead_bytes += bytes.len();
                    self.ahead_total += bytes.len();
                    // Too much held back: the hole in front will not be
                    // filled in time, so it becomes a gap.
                    while half.ahead_bytes > self.limits.per_direction
                        || (self.ahead_total > self.limits.total && half.ahead_bytes > 0)
                    {
                        self.ahead_total -= drain(half, id, dir, at, out, true);
                    }
                }
            }
        }
        if seg.fin {
            let fin_at = offset + seg.payload.len() as u64;
            half.fin_at = Some(half.fin_at.map_or(fin_at, |f| f.min(fin_at)));
        }
        if let Some(fin_at) = half.fin_at
            && half.delivered >= fin_at
        {
            half.closed = true;
            out(Flow::Closed {
                conn: id,
                dir,
                ending: Ending::Fin,
                at,
            });
            if conn.halves.iter().all(|h| h.closed) {
                self.conns.remove(&k);
            }
        }
    }

    /// The capture ended: flush and end every connection still open, in
    /// the order they were first seen.
    pub fn finish(&mut self, at: Duration, out: &mut impl FnMut(Flow)) {
        let mut rest: Vec<Conn> = self.conns.drain().map(|(_, c)| c).collect();
        rest.sort_by_key(|c| c.id);
        for c in rest {
            self.end(c, Ending::CaptureEnded, at, out);
        }
    }

    /// Flush what `c` holds back (as gaps and data) and close its open
    /// directions.
    fn end(&mut self, mut c: Conn, ending: Ending, at: Duration, out: &mut impl FnMut(Flow)) {
        for dir in DIRS {
            let half = &mut c.halves[index(dir)];
            if half.closed {
                continue;
            }
            while half.ahead_bytes > 0 || !half.ahead.is_empty() {
                self.ahead_total -= drain(half, c.id, dir, at, out, true);
            }
            // A FIN seen beyond a hole: the bytes up to it are missing.
            if let Some(fin_at) = half.fin_at
                && fin_at > half.delivered
            {
                out(Flow::Gap {
                    conn: c.id,
                    dir,
                    offset: half.delivered,
                    len: fin_at - half.delivered,
                    at,
                });
                half.delivered = fin_at;
            }
            let ending = match (ending, half.fin_at) {
                (Ending::CaptureEnded, Some(_)) => Ending::Fin,
                (e, _) => e,
            };
            half.closed = true;
            out(Flow::Closed {
                conn: c.id,
                dir,
                ending,
                at,
            });
        }
    }

    /// End the eighth of the connections idle the longest.
    fn evict(&mut self, at: Duration, out: &mut impl FnMut(Flow)) {
        let mut idle: Vec<_> = self
            .conns
            .iter()
            .map(|(k, c)| (c.last_seen, c.id, *k))
            .collect();
        idle.sort();
        let n = (idle.len() / 8).max(1);
        for (_, _, k) in idle.into_iter().take(n) {
            if let Some(c) = self.conns.remove(&k) {
                self.end(c, Ending::CaptureEnded, at, out);
            }
        }
    }
}

/// Whether the first bytes seen of a connection whose start the capture
/// missed were sent by its client (`Some(true)`), by its server
/// (`Some(false)`), or cannot tell: a TLS ClientHello and a POP3 command
/// come from clients, a ServerHello and a POP3 status from servers.
fn sent_by_client(payload: &[u8]) -> Option<bool> {
    match payload {
        [0x16, 3, _, _, _, 1, ..] => Some(true),
        [0x16, 3, _, _, _, 2, ..] => Some(false),
        [b'+', b'O', b'K', ..] | [b'-', b'E', b'R', b'R', ..] => Some(false),
        [a, b, c, d, b' ' | b'\r', ..] if [a, b, c, d].iter().all(|x| x.is_ascii_uppercase()) => {
            Some(true)
        }
        _ => None,
    }
}

/// Hand on what lies at the front of `half`'s held-back segments. With
/// `force`, the hole before the first one is first reported as a gap and
/// skipped. Returns how many held-back bytes were released.
fn drain(
    half: &mut Half,
    conn: u64,
    dir: Direction,
    at: Duration,
    out: &mut impl FnMut(Flow),
    force: bool,
) -> usize {
    let mut released = 0;
    if force
        && let Some((&first, _)) = half.ahead.first_key_value()
        && first > half.delivered
    {
        out(Flow::Gap {
            conn,
            dir,
            offset: half.delivered,
            len: first - half.delivered,
            at,
        });
        half.delivered = first;
    }
    while let Some(entry) = half.ahead.first_entry() {
        if *entry.key() > half.delivered {
            break;
        }
        let (offset, bytes) = entry.remove_entry();
        half.ahead_bytes -= bytes.len();
        released += bytes.len();
        let end = offset + bytes.len() as u64;
        if end <= half.delivered {
            continue;
        }
        let from = (half.delivered - offset) as usize;
        let start = half.delivered;
        half.delivered = end;
        out(Flow::Data {
            conn,
            dir,
            offset: start,
            bytes: bytes[from..].to_vec(),
            at,
        });
    }
    released
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    struct Run {
        r: Reassembler,
        flows: Vec<Flow>,
    }

    impl Run {
        fn new(limits: Limits) -> Run {
            Run {
                r: Reassembler::new(limits),
                flows: Vec::new(),
            }
        }
        fn seg(&mut self, from_client: bool, seq: u32, flags: &str, payload: &[u8]) {
            let (c, s) = (addr("10.0.0.1:40000"), addr("10.0.0.2:110"));
            let (src, dst) = if from_client { (c, s) } else { (s, c) };
            let seg = Segment {
                src,
                dst,
                seq,
                syn: flags.contains('S'),
                fin: flags.contains('F'),
                rst: flags.contains('R'),
                ack: flags.contains('A'),
                payload,
            };
            let flows = &mut self.flows;
            self.r.segment(&seg, Duration::ZERO, &mut |f| flows.push(f));
        }
        fn finish(&mut self) {
            let flows = &mut self.flows;
            self.r.finish(Duration::ZERO, &mut |f| flows.push(f));
        }
        fn stream(&self, dir: Direction) -> Vec<u8> {
            let mut v = Vec::new();
            for f in &self.flows {
                if let Flow::Data {
                    dir: d,
                    offset,
                    bytes,
                    ..
                } = f
                    && *d == dir
                {
                    assert_eq!(*offset, v.len() as u64, "data in order, no overlap");
                    v.extend_from_slice(bytes);
                }
                if let Flow::Gap {
                    dir: d,
                    offset,
                    len,
                    ..
                } = f
                    && *d == dir
                {
                    assert_eq!(*offset, v.len() as u64);
                    v.extend(std::iter::repeat_n(b'?', *len as usize));
                }
            }
            v
        }
        fn gaps(&self) -> Vec<(u64, u64)> {
            self.flows
                .iter()
                .filter_map(|f| match f {
                    Flow::Gap { offset, len, .. } => Some((*offset, *len)),
                    _ => None,
                })
                .collect()
        }
    }

    #[test]
    fn retransmissions_and_reordering_give_the_stream_once_in_order() {
        let mut r = Run::new(Limits::default());
        r.seg(true, 1000, "S", b"");
        r.seg(false, 5000, "SA", b"");
        r.seg(false, 5001, "A", b"+OK ready\r\n");
        r.seg(true, 1001, "A", b"USER alice\r\n");
        // PASS arrives in two pieces, the second first, and the first
        // again (a retransmission overlapping what was delivered).
        r.seg(true, 1013 + 5, "A", b"wonderland\r\n");
        r.seg(true, 1013, "A", b"PASS ");
        r.seg(true, 1013, "A", b"PASS won");
        r.seg(false, 5001, "A", b"+OK ready\r\n");
        r.seg(true, 1030, "FA", b"");
        r.seg(false, 5012, "FA", b"");
        assert_eq!(
            r.stream(Direction::ClientToServer),
            b"USER alice\r\nPASS wonderland\r\n"
        );
        assert_eq!(r.stream(Direction::ServerToClient), b"+OK ready\r\n");
        assert!(r.gaps().is_empty());
        let closed = r
            .flows
            .iter()
            .filter(|f| {
                matches!(
                    f,
                    Flow::Closed {
                        ending: Ending::Fin,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(closed, 2);
        assert_eq!(r.r.live(), 0, "a closed connection is forgotten");
    }

    #[test]
    fn a_missing_segment_is_a_gap_and_the_stream_goes_on() {
        let mut r = Run::new(Limits::default());
        r.seg(true, 0, "S", b"");
        r.seg(true, 1, "A", b"USER a\r\n");
        // 10 bytes never captured.
        r.seg(true, 19, "A", b"QUIT\r\n");
        r.finish();
        assert_eq!(r.gaps(), vec![(8, 10)]);
        assert_eq!(
            r.stream(Direction::ClientToServer),
            b"USER a\r\n??????????QUIT\r\n"
        );
        assert_eq!(r.r.held(), 0);
    }

    #[test]
    fn held_back_bytes_are_bounded_per_direction() {
        let mut r = Run::new(Limits {
            per_direction: 100,
            total: 1000,
            connections: 10,
        });
        r.seg(true, 0, "S", b"");
        for i in 0..20u32 {
            r.seg(true, 1 + 50 + i * 40, "A", &[b'x'; 40]);
            assert!(r.r.held() <= 100, "held {}", r.r.held());
        }
        assert_eq!(r.gaps()[0], (0, 50), "the hole became a gap");
        r.finish();
        assert_eq!(r.stream(Direction::ClientToServer).len(), 50 + 20 * 40);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut r = Run::new(Limits::default());
        r.seg(true, u32::MAX - 2, "S", b"");
        r.seg(true, u32::MAX - 1, "A", b"abcd");
        r.seg(true, 2, "A", b"efgh");
        r.finish();
        assert_eq!(r.stream(Direction::ClientToServer), b"abcdefgh");
    }

    #[test]
    fn a_reset_ends_both_directions_and_a_new_syn_a_new_connection() {
        let mut r = Run::new(Limits::default());
        r.seg(true, 0, "S", b"");
        r.seg(true, 1, "A", b"x");
        r.seg(false, 0, "R", b"");
        let resets = r
            .flows
            .iter()
            .filter(|f| {
                matches!(
                    f,
                    Flow::Closed {
                        ending: Ending::Reset,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(resets, 2);
        r.seg(true, 900, "S", b"");
        r.seg(true, 901, "A", b"y");
        let opened = r
            .flows
            .iter()
            .filter(|f| matches!(f, Flow::Opened { .. }))
            .count();
        assert_eq!(opened, 2);
    }

    #[test]
    fn a_capture_begun_mid_connection_takes_the_lower_port_as_server() {
        let mut r = Run::new(Limits::default());
        r.seg(false, 77, "A", b"+OK hi\r\n");
        match &r.flows[0] {
            Flow::Opened { server, .. } => assert_eq!(server.port(), 110),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.stream(Direction::ServerToClient), b"+OK hi\r\n");
    }

    #[test]
    fn a_capture_begun_mid_connection_knows_a_client_hello_from_its_bytes() {
        // The client's ephemeral port is lower than the server's here, so
        // the port rule alone would get it backwards.
        let mut r = Reassembler::default();
        let mut flows = Vec::new();
        let hello = [0x16, 3, 1, 0, 4, 1, 0, 0, 0];
        let seg = Segment {
            src: addr("127.0.0.1:34902"),
            dst: addr("127.0.0.1:36711"),
            seq: 5,
            syn: false,
            fin: false,
            rst: false,
            ack: true,
            payload: &hello,
        };
        r.segment(&seg, Duration::ZERO, &mut |f| flows.push(f));
        match &flows[0] {
            Flow::Opened { client, .. } => assert_eq!(client.port(), 34902),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn too_many_connections_end_the_idle_ones() {
        let mut r = Reassembler::new(Limits {
            connections: 8,
            ..Limits::default()
        });
        let mut flows = Vec::new();
        for i in 0..100u16 {
            let seg = Segment {
                src: SocketAddr::new([10, 0, 0, 1].into(), 1000 + i),
                dst: addr("10.0.0.2:110"),
                seq: 0,
                syn: true,
                fin: false,
                rst: false,
                ack: false,
                payload: b"",
            };
            r.segment(&seg, Duration::from_secs(i.into()), &mut |f| flows.push(f));
            assert!(r.live() <= 8);
        }
    }
}
