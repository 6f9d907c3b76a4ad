//! Captures Wireshark opens as they are: the tap's chunks written as a
//! pcapng file with synthesized Ethernet/IPv4/TCP framing, and the client's
//! TLS secrets in a Decryption Secrets Block so Wireshark and tshark decrypt
//! with no setting at all.
//!
//! The tap sees a byte stream, not packets, so the framing is made up here:
//! a three-way handshake when the tap opened the connection, one or more
//! segments per chunk (numbered from the chunk's offset in its direction,
//! acknowledging all the other side sent so far), and a FIN with its
//! acknowledgement when a direction closed. The server side sits on the
//! transport's standard port (`Transport::standard_port`) so that
//! Wireshark's POP dissector is chosen by port; the client keeps its real
//! port.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::RawBlock;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use crate::lab::{Event, EventKind, Side, TlsEvent, WireEvent};
use crate::wire::Direction;

/// The largest TCP payload put in one synthesized segment: chunks larger
/// than this are split, as a real stack would, so that every frame fits an
/// IPv4 datagram.
pub const MAX_SEGMENT: usize = 16 * 1024;

/// The TCP flags a synthesized segment carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// SYN.
    pub syn: bool,
    /// ACK (every segment but the first SYN).
    pub ack: bool,
    /// PSH (segments that carry data).
    pub psh: bool,
    /// FIN.
    pub fin: bool,
}

/// One synthesized TCP segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// When, on the lab's clock.
    pub at: Duration,
    /// Which way it went.
    pub dir: Direction,
    /// Source address and port.
    pub src: (Ipv4Addr, u16),
    /// Destination address and port.
    pub dst: (Ipv4Addr, u16),
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number (meaningful when `flags.ack`).
    pub ack: u32,
    /// Flags.
    pub flags: Flags,
    /// The payload.
    pub payload: Vec<u8>,
}

/// One connection's numbering state.
struct Conn {
    client: (Ipv4Addr, u16),
    server: (Ipv4Addr, u16),
    /// Initial sequence numbers, client's then server's.
    isn: [u32; 2],
    /// Bytes each side has sent so far (the end of its stream seen).
    sent: [u64; 2],
    /// Whether each side has sent its FIN.
    fin: [bool; 2],
}

fn idx(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl Conn {
    /// The next sequence number of side `i`: its ISN, one for the SYN, its
    /// bytes, and one for its FIN once sent. TCP sequence numbers wrap
    /// modulo 2^32, so the truncation is the rule, not a loss.
    fn next_seq(&self, i: usize) -> u32 {
        self.isn[i]
            .wrapping_add(1)
            .wrapping_add(self.sent[i] as u32)
            .wrapping_add(u32::from(self.fin[i]))
    }

    fn ends(&self, dir: Direction) -> ((Ipv4Addr, u16), (Ipv4Addr, u16)) {
        match dir {
            Direction::ClientToServer => (self.client, self.server),
            Direction::ServerToClient => (self.server, self.client),
        }
    }

    fn segment(
        &self,
        at: Duration,
        dir: Direction,
        seq: u32,
        flags: Flags,
        payload: &[u8],
    ) -> Segment {
        let (src, dst) = self.ends(dir);
        Segment {
            at,
            dir,
            src,
            dst,
            seq,
            ack: self.next_seq(1 - idx(dir)),
            flags,
            payload: payload.to_vec(),
        }
    }
}

/// The IPv4 address a socket address is shown with: itself, or for IPv6
/// (the framing here is IPv4 only) the loopback address, which is where
/// the lab runs.
fn v4(addr: SocketAddr) -> Ipv4Addr {
    match addr.ip() {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(ip) => ip.to_ipv4_mapped().unwrap_or(Ipv4Addr::LOCALHOST),
    }
}

/// Numbers the TCP segments of one capture as its wire events arrive: the
/// one home of the framing, used for a whole recording at once
/// ([`segments`]) and for a capture written while a proxy runs
/// ([`PcapNgStream`]).
pub struct Framer {
    conns: HashMap<u64, Conn>,
    server_port: u16,
}

impl Framer {
    /// A framer with the server on `server_port`.
    pub fn new(server_port: u16) -> Framer {
        Framer {
            conns: HashMap::new(),
            server_port,
        }
    }

    /// Append the segments event `e` stands for to `out`. Chunks or closes
    /// on a connection never opened are left out, and a second close of
    /// one direction is ignored, so any event stream gives a consistent
    /// numbering. A connection is forgotten once both sides have closed.
    pub fn event(&mut self, e: &Event, out: &mut Vec<Segment>) {
        let EventKind::Wire(w) = &e.kind else {
            return;
        };
        match w {
            WireEvent::Opened {
                conn,
                client,
                server,
                ..
            } => {
                // Fixed initial numbers, different per connection and side,
                // keep the file reproducible; Wireshark shows relative
                // numbers anyway.
                let n = *conn as u32;
                let c = Conn {
                    client: (v4(*client), client.port()),
                    server: (v4(*server), self.server_port),
                    isn: [
                        0x1000_0000u32.wrapping_add(n.wrapping_mul(0x1000)),
                        0x5000_0000u32.wrapping_add(n.wrapping_mul(0x1000)),
                    ],
                    sent: [0, 0],
                    fin: [false, false],
                };
                let syn = Flags {
                    syn: true,
                    ..Flags::default()
                };
                let mut first = c.segment(e.at, Direction::ClientToServer, c.isn[0], syn, &[]);
                first.ack = 0;
                out.push(first);
                let synack = Flags {
                    syn: true,
                    ack: true,
                    ..Flags::default()
                };
                let mut second = c.segment(e.at, Direction::ServerToClient, c.isn[1], synack, &[]);
                second.ack = c.isn[0].wrapping_add(1);
                out.push(second);
                let ack = Flags {
                    ack: true,
                    ..Flags::default()
                };
                out.push(c.segment(e.at, Direction::ClientToServer, c.next_seq(0), ack, &[]));
                self.conns.insert(*conn, c);
            }
            WireEvent::Chunk {
                conn,
                dir,
                offset,
                len,
                bytes,
            } => {
                let Some(c) = self.conns.get_mut(conn) else {
                    return;
                };
                let i = idx(*dir);
                if c.fin[i] {
                    return;
                }
                let flags = Flags {
                    ack: true,
                    psh: true,
                    ..Flags::default()
                };
                let mut off = *offset;
                for piece in bytes.chunks(MAX_SEGMENT) {
                    let seq = c.isn[i].wrapping_add(1).wrapping_add(off as u32);
                    out.push(c.segment(e.at, *dir, seq, flags, piece));
                    off += piece.len() as u64;
                }
                // The stream advanced by all the bytes that crossed, even
                // past the capture limit where fewer were kept: the other
                // side acknowledges them, and Wireshark shows the rest as
                // not captured.
                c.sent[i] = c.sent[i].max(off).max(offset.saturating_add(*len as u64));
            }
            WireEvent::Closed { conn, dir, .. } => {
                let Some(c) = self.conns.get_mut(conn) else {
                    return;
                };
                let i = idx(*dir);
                if c.fin[i] {
                    return;
                }
                let fin = Flags {
                    ack: true,
                    fin: true,
                    ..Flags::default()
                };
                out.push(c.segment(e.at, *dir, c.next_seq(i), fin, &[]));
                c.fin[i] = true;
                // The other side acknowledges the FIN at once.
                let ack = Flags {
                    ack: true,
                    ..Flags::default()
                };
                out.push(c.segment(e.at, dir.reverse(), c.next_seq(1 - i), ack, &[]));
                if c.fin == [true, true] {
                    self.conns.remove(conn);
                }
            }
            _ => {}
        }
    }
}

/// The TCP segments for the wire events in `events` (in the order given),
/// with the server on `server_port`.
pub fn segments(events: &[Event], server_port: u16) -> Vec<Segment> {
    let mut framer = Framer::new(server_port);
    let mut out = Vec::new();
    for e in events {
        framer.event(e, &mut out);
    }
    out
}

/// The client's TLS secrets in `events` as NSS key-log text
/// (`SSLKEYLOGFILE`), one line per secret, each once. The server derives
/// the same secrets; the client's are the ones a key log holds.
pub fn keylog(events: &[Event]) -> String {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for e in events {
        if let EventKind::Tls(TlsEvent::Secret {
            side: Side::Client,
            label,
            client_random,
            secret,
        }) = &e.kind
        {
            let line = format!("{label} {client_random} {secret}\n");
            if seen.insert(line.clone()) {
                out.push_str(&line);
            }
        }
    }
    out
}

/// An Ethernet frame around one segment, with the IPv4 and TCP checksums
/// computed by etherparse.
fn frame(s: &Segment) -> std::io::Result<Vec<u8>> {
    // Locally administered addresses, one per side, so the two ends differ.
    let mac = |dir: Direction| match dir {
        Direction::ClientToServer => ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]),
        Direction::ServerToClient => ([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]),
    };
    let (smac, dmac) = mac(s.dir);
    let mut b = etherparse::PacketBuilder::ethernet2(smac, dmac)
        .ipv4(s.src.0.octets(), s.dst.0.octets(), 64)
        .tcp(s.src.1, s.dst.1, s.seq, 65535);
    if s.flags.syn {
        b = b.syn();
    }
    if s.flags.ack {
        b = b.ack(s.ack);
    }
    if s.flags.psh {
        b = b.psh();
    }
    if s.flags.fin {
        b = b.fin();
    }
    let mut out = Vec::with_capacity(b.size(s.payload.len()));
    b.write(&mut out, &s.payload)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(out)
}

/// The pcapng block type of a Decryption Secrets Block.
const DSB_TYPE: u32 = 0x0000_000A;
/// Its secrets type for a TLS key log ("TLSK").
const TLS_KEY_LOG: u32 = 0x544c_534b;

/// A pcapng capture written as events arrive: one Ethernet interface, the
/// client's TLS secrets in Decryption Secrets Blocks, one packet per
/// segment. `popscope proxy --pcap` writes with it for as long as it runs;
/// [`write_pcapng`] writes a whole recording with it.
pub struct PcapNgStream<W: Write> {
    w: PcapNgWriter<W>,
    framer: Framer,
    /// The wall-clock time of the lab clock's zero, since the Unix epoch.
    epoch: Duration,
    /// Key-log lines already written.
    keys: BTreeSet<String>,
    segments: Vec<Segment>,
}

impl<W: Write> PcapNgStream<W> {
    /// Start a capture on `out` with the server on `server_port`; `start`
    /// is the wall-clock time of the events' zero.
    pub fn new(out: W, server_port: u16, start: SystemTime) -> anyhow::Result<Self> {
        // Little-endian always, which is the byte order of the secrets
        // block laid out below.
        let mut w = PcapNgWriter::with_endianness(out, pcap_file::Endianness::Little)?;
        w.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen: 0,
            // pcap-file writes timestamps in nanoseconds, so the interface
            // must say so (if_tsresol 9); without it readers take
            // microseconds.
            options: vec![InterfaceDescriptionOption::IfTsResol(9)],
        })?;
        Ok(PcapNgStream {
            w,
            framer: Framer::new(server_port),
            epoch: start
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
            keys: BTreeSet::new(),
            segments: Vec::new(),
        })
    }

    /// Write the key-log lines of `text` not written yet as one Decryption
    /// Secrets Block. Wireshark takes the secrets of a block for every
    /// packet after it, so a recording written at once puts them all
    /// first.
    pub fn secrets(&mut self, text: &str) -> anyhow::Result<()> {
        let mut fresh = String::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if self.keys.insert(line.to_owned()) {
                fresh.push_str(line);
                fresh.push('\n');
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        // pcap-file 2 has no type for the Decryption Secrets Block (it
        // reads one as an unknown block), so its body is laid out here:
        // secrets type, secrets length, the key log padded to 32 bits.
        let mut body = Vec::new();
        body.extend_from_slice(&TLS_KEY_LOG.to_le_bytes());
        body.extend_from_slice(&(fresh.len() as u32).to_le_bytes());
        body.extend_from_slice(fresh.as_bytes());
        body.resize(body.len().next_multiple_of(4), 0);
        let len = (body.len() + 12) as u32;
        self.w.write_raw_block(&RawBlock {
            type_: DSB_TYPE,
            initial_len: len,
            body: body.into(),
            trailer_len: len,
        })?;
        Ok(())
    }

    /// Write what event `e` adds: a client secret, or the segments of a
    /// wire event.
    pub fn event(&mut self, e: &Event) -> anyhow::Result<()> {
        if let EventKind::Tls(TlsEvent::Secret {
            side: Side::Client, ..
        }) = &e.kind
        {
            return self.secrets(&keylog(std::slice::from_ref(e)));
        }
        self.segments.clear();
        self.framer.event(e, &mut self.segments);
        for s in &self.segments {
            let data = frame(s)?;
            self.w.write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: self.epoch + s.at,
                original_len: data.len() as u32,
                data: data.into(),
                options: vec![],
            })?;
        }
        Ok(())
    }

    /// Push what was written so far to the file, so that a capture read
    /// while the proxy still runs (or after it was killed) holds whole
    /// blocks.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.w.get_mut().flush()
    }

    /// Flush and hand back the writer.
    pub fn finish(self) -> std::io::Result<W> {
        let mut out = self.w.into_inner();
        out.flush()?;
        Ok(out)
    }
}

/// Write the capture of `events` to `out` as pcapng: one Ethernet
/// interface, a Decryption Secrets Block with the client's TLS secrets (if
/// any) before every packet, then one packet per segment. `start` is the
/// wall-clock time of the lab clock's zero.
pub fn write_pcapng<W: Write>(
    events: &[Event],
    server_port: u16,
    start: SystemTime,
    out: W,
) -> anyhow::Result<()> {
    let mut stream = PcapNgStream::new(out, server_port, start)?;
    stream.secrets(&keylog(events))?;
    for e in events {
        stream.event(e)?;
    }
    stream.finish()?;
    Ok(())
}
