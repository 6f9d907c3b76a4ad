//! Reading captures other tools wrote: pcap and pcapng files from tcpdump,
//! dumpcap, tshark and Wireshark, one packet at a time.
//!
//! [`CaptureReader`] streams the file through a buffer that holds one block
//! (or a few) at a time, never the whole file, and knows the byte offset of
//! every block, so each problem it reports names where in the file it is.
//! The field decoding is pcap-file's ([`pcap_file::pcap::PcapParser`] and
//! [`pcap_file::pcapng::PcapNgParser`], which work on slices); the
//! buffering and the length checks around them are ours, because the
//! crate's own readers neither say at which offset a file went wrong nor
//! bound how much a forged block length makes them allocate.
//!
//! [`tcp_segment`] takes one packet apart down to its TCP segment with
//! etherparse, for the link types real loopback and LAN captures carry.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use etherparse::{LaxNetSlice, LaxSlicedPacket, LinuxSllProtocolType, TransportSlice};
use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::PcapNgParser;
use pcap_file::pcapng::blocks::Block;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::{DataLink, Endianness, TsResolution};

/// The largest block (pcapng) or packet record (pcap) read. Real packets are
/// at most a snap length (256 KiB by default); the limit is there so that a
/// forged length cannot make the reader allocate gigabytes.
pub const MAX_BLOCK: usize = 16 << 20;

/// How much is read from the file at a time.
const READ_SIZE: usize = 256 << 10;

/// The pcapng block type of a Decryption Secrets Block.
const DECRYPTION_SECRETS_BLOCK: u32 = 0x0000_000A;
/// The secrets type of an NSS key log (`SSLKEYLOGFILE`) inside one.
const SECRETS_TLS_KEY_LOG: u32 = 0x544c_534b;
/// pcapng's Section Header Block type, the same in both byte orders.
const SECTION_HEADER_BLOCK: u32 = 0x0A0D_0D0A;

/// What went wrong reading a capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be read.
    #[error("cannot read the capture: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a capture, or is damaged at this offset.
    #[error("byte {offset}: {problem}")]
    Format {
        /// The byte offset in the file where the damaged block or record
        /// starts (or the header, for an unknown format).
        offset: u64,
        /// What is wrong there, in English.
        problem: String,
    },
}

impl CaptureError {
    fn at(offset: u64, problem: impl Into<String>) -> CaptureError {
        CaptureError::Format {
            offset,
            problem: problem.into(),
        }
    }

    /// The offset a format problem names.
    pub fn offset(&self) -> Option<u64> {
        match self {
            CaptureError::Format { offset, .. } => Some(*offset),
            CaptureError::Io(_) => None,
        }
    }
}

/// One thing read from a capture.
#[derive(Debug)]
pub enum Record<'a> {
    /// A packet, with its link-layer header.
    Packet(Packet<'a>),
    /// A TLS key log in the NSS format, from a pcapng Decryption Secrets
    /// Block.
    Secrets {
        /// Where the block starts in the file.
        offset: u64,
        /// The key-log text (not checked to be UTF-8).
        text: &'a [u8],
    },
}

/// One captured packet.
#[derive(Debug)]
pub struct Packet<'a> {
    /// Where its block or record starts in the file.
    pub offset: u64,
    /// When it was captured, since the Unix epoch (zero for pcapng Simple
    /// Packet Blocks, which carry no time).
    pub time: Duration,
    /// The link type (the tcpdump.org LINKTYPE_ number).
    pub link: u32,
    /// The bytes captured, which may be fewer than went on the wire.
    pub data: &'a [u8],
}

/// The two formats.
enum Format {
    Pcap(PcapParser),
    PcapNg(Box<PcapNgParser>),
}

/// Reads a pcap or pcapng capture, one [`Record`] at a time.
pub struct CaptureReader<R> {
    source: R,
    buf: Vec<u8>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// The file offset of `buf[start]`.
    offset: u64,
    eof: bool,
    /// `None` only while the file header is read.
    format: Option<Format>,
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header and returns the reader positioned at the first
    /// packet.
    pub fn new(source: R) -> Result<CaptureReader<R>, CaptureError> {
        let mut r = CaptureReader {
            source,
            buf: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            format: None,
        };
        r.fill(4)?;
        let magic = r.unread();
        if magic.len() < 4 {
            return Err(CaptureError::at(
                0,
                format!(
                    "the file is {} bytes long: too short for a capture header",
                    magic.len()
                ),
            ));
        }
        let m = [magic[0], magic[1], magic[2], magic[3]];
        match m {
            [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1] => {
                r.fill(24)?;
                let (rest, parser) = PcapParser::new(r.unread()).map_err(|e| {
                    CaptureError::at(0, format!("the pcap file header is damaged: {e}"))
                })?;
                let used = r.unread().len() - rest.len();
                r.consume(used);
                r.format = Some(Format::Pcap(parser));
            }
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                let len = r.block_len()?;
                let (rest, parser) = PcapNgParser::new(&r.unread()[..len]).map_err(|e| {
                    CaptureError::at(0, format!("the pcapng section header is damaged: {e}"))
                })?;
                debug_assert!(rest.is_empty());
                r.consume(len);
                r.format = Some(Format::PcapNg(Box::new(parser)));
            }
            _ => {
                return Err(CaptureError::at(
                    0,
                    format!(
                        "not a pcap or pcapng capture (it starts with {})",
                        hex::encode(m)
                    ),
                ));
            }
        }
        Ok(r)
    }

    /// The next packet or secrets block; `None` at the end of the file.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Record<'_>>, CaptureError> {
        loop {
            if self.fill(1)? == 0 {
                return Ok(None);
            }
            let at = self.offset;
            if matches!(self.format, Some(Format::Pcap(_))) {
                return self.next_pcap().map(|p| Some(Record::Packet(p)));
            }
            let len = self.block_len()?;
            // The block's payload is located by its place in the buffer,
            // which stays as it is until the caller asks for the next one.
            match self.pcapng_block(at, len)? {
                Some(Located::Packet { time, link, data }) => {
                    return Ok(Some(Record::Packet(Packet {
                        offset: at,
                        time,
                        link,
                        data: &self.buf[data],
                    })));
                }
                Some(Located::Secrets(text)) => {
                    return Ok(Some(Record::Secrets {
                        offset: at,
                        text: &self.buf[text],
                    }));
                }
                None => {}
            }
        }
    }

    /// The next pcap record.
    fn next_pcap(&mut self) -> Result<Packet<'_>, CaptureError> {
        let at = self.offset;
        let header = match &self.format {
            Some(Format::Pcap(parser)) => parser.header(),
            _ => return Err(CaptureError::at(at, "internal: not a pcap file")),
        };
        let have = self.fill(16)?;
        if have < 16 {
            return Err(CaptureError::at(
                at,
                format!("the file ends inside a packet record's header ({have} of 16 bytes)"),
            ));
        }
        let h = &self.unread()[..16];
        let incl = match header.endianness {
            Endianness::Big => u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
            Endianness::Little => u32::from_le_bytes([h[8], h[9], h[10], h[11]]),
        } as usize;
        if incl > MAX_BLOCK {
            return Err(CaptureError::at(
                at,
                format!("a packet record claims {incl} bytes, more than the {MAX_BLOCK} read"),
            ));
        }
        let have = self.fill(16 + incl)?;
        if have < 16 + incl {
            return Err(CaptureError::at(
                at,
                format!(
                    "the file ends inside a packet record ({have} of {} bytes)",
                    16 + incl
                ),
            ));
        }
        // The raw record, not `next_packet`: that one refuses a packet whose
        // original length exceeds the snap length, which is exactly what a
        // capture taken with a short snap length holds.
        let Some(Format::Pcap(parser)) = &self.format else {
            return Err(CaptureError::at(at, "internal: not a pcap file"));
        };
        let (_, raw) = parser
            .next_raw_packet(&self.buf[self.start..self.start + 16 + incl])
            .map_err(|e| CaptureError::at(at, format!("a damaged packet record: {e}")))?;
        let nanos = match header.ts_resolution {
            TsResolution::MicroSecond => u64::from(raw.ts_frac) * 1000,
            TsResolution::NanoSecond => u64::from(raw.ts_frac),
        };
        let time = Duration::from_secs(u64::from(raw.ts_sec)) + Duration::from_nanos(nanos);
        let link = u32::from(header.datalink);
        let data_start = self.start + 16;
        self.consume(16 + incl);
        Ok(Packet {
            offset: at,
            time,
            link,
            data: &self.buf[data_start..data_start + incl],
        })
    }

    /// Parses the pcapng block of `len` bytes at the front of the buffer and
    /// consumes it. Blocks that carry neither packets nor secrets give
    /// `None`.
    fn pcapng_block(&mut self, at: u64, len: usize) -> Result<Option<Located>, CaptureError> {
        let Some(Format::PcapNg(parser)) = &mut self.format else {
            return Err(CaptureError::at(at, "internal: not a pcapng file"));
        };
        let start = self.start;
        let bytes = &self.buf[start..start + len];
        let block_type = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let (_, block) = parser.next_block(bytes).map_err(|e| {
            CaptureError::at(
                at,
                format!(
                    "a damaged pcapng block (type {:#x}): {e}",
                    match parser.section().endianness {
                        Endianness::Little => block_type,
                        Endianness::Big => block_type.swap_bytes(),
                    }
                ),
            )
        })?;
        let endianness = parser.section().endianness;
        // Where the block's payload lies within the block, so that the
        // record can borrow it from the buffer after the parser is done.
        let span = |inner: &[u8]| {
            let base = bytes.as_ptr() as usize;
            let from = inner.as_ptr() as usize;
            if from >= base && from + inner.len() <= base + bytes.len() {
                Ok(start + from - base..start + from - base + inner.len())
            } else {
                Err(CaptureError::at(
                    at,
                    "internal: a block's payload is not in the block",
                ))
            }
        };
        let owned = match &block {
            Block::EnhancedPacket(p) => {
                let iface = parser
                    .interfaces()
                    .get(p.interface_id as usize)
                    .ok_or_else(|| {
                        CaptureError::at(
                            at,
                            format!(
                                "a packet names interface {} but the section describes {}",
                                p.interface_id,
                                parser.interfaces().len()
                            ),
                        )
                    })?;
                // pcap-file reads the timestamp as nanoseconds whatever the
                // interface's resolution; the raw count is scaled here.
                let time = scale_time(p.timestamp.as_nanos(), ts_resolution(&iface.options));
                Some(Located::Packet {
                    time,
                    link: u32::from(iface.linktype),
                    data: span(&p.data)?,
                })
            }
            Block::SimplePacket(p) => {
                let iface = parser.interfaces().first().ok_or_else(|| {
                    CaptureError::at(at, "a simple packet block comes before any interface")
                })?;
                Some(Located::Packet {
                    time: Duration::ZERO,
                    link: u32::from(iface.linktype),
                    data: span(&p.data)?,
                })
            }
            Block::Packet(p) => {
                let iface = parser
                    .interfaces()
                    .get(usize::from(p.interface_id))
                    .ok_or_else(|| {
                        CaptureError::at(
                            at,
                            format!(
                                "a packet names interface {} which is not described",
                                p.interface_id
                            ),
                        )
                    })?;
                let time = scale_time(u128::from(p.timestamp), ts_resolution(&iface.options));
                Some(Located::Packet {
                    time,
                    link: u32::from(iface.linktype),
                    data: span(&p.data)?,
                })
            }
            Block::Unknown(u) if u.type_ == DECRYPTION_SECRETS_BLOCK => {
                let v = &u.value;
                if v.len() < 8 {
                    return Err(CaptureError::at(
                        at,
                        "a decryption secrets block too short for its header",
                    ));
                }
                let word = |b: &[u8]| match endianness {
                    Endianness::Big => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                    Endianness::Little => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                };
                let kind = word(&v[0..4]);
                let n = word(&v[4..8]) as usize;
                if n > v.len() - 8 {
                    return Err(CaptureError::at(
                        at,
                        format!(
                            "a decryption secrets block claims {n} bytes of secrets but holds {}",
                            v.len() - 8
                        ),
                    ));
                }
                // Other kinds of secrets (WireGuard, ZigBee, ...) say nothing
                // about TLS and are passed over.
                (kind == SECRETS_TLS_KEY_LOG)
                    .then(|| span(&v[8..8 + n]).map(Located::Secrets))
                    .transpose()?
            }
            _ => None,
        };
        drop(block);
        self.consume(len);
        Ok(owned)
    }

    /// The total length of the pcapng block at the front of the buffer,
    /// which is then wholly in the buffer.
    fn block_len(&mut self) -> Result<usize, CaptureError> {
        let at = self.offset;
        let have = self.fill(12)?;
        if have < 12 {
            return Err(CaptureError::at(
                at,
                format!("the file ends inside a block header ({have} of 12 bytes)"),
            ));
        }
        let h = self.unread();
        let block_type = [h[0], h[1], h[2], h[3]];
        let raw_len = [h[4], h[5], h[6], h[7]];
        let big = if u32::from_le_bytes(block_type) == SECTION_HEADER_BLOCK {
            // A new section says its own byte order in its magic.
            match [h[8], h[9], h[10], h[11]] {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                other => {
                    return Err(CaptureError::at(
                        at,
                        format!(
                            "a section header with an unknown byte-order magic {}",
                            hex::encode(other)
                        ),
                    ));
                }
            }
        } else {
            match &self.format {
                Some(Format::PcapNg(p)) => p.section().endianness == Endianness::Big,
                _ => false,
            }
        };
        let len = if big {
            u32::from_be_bytes(raw_len)
        } else {
            u32::from_le_bytes(raw_len)
        } as usize;
        if len < 12 || !len.is_multiple_of(4) {
            return Err(CaptureError::at(
                at,
                format!("a block length of {len} bytes (it must be a multiple of 4, at least 12)"),
            ));
        }
        if len > MAX_BLOCK {
            return Err(CaptureError::at(
                at,
                format!("a block claims {len} bytes, more than the {MAX_BLOCK} read"),
            ));
        }
        let have = self.fill(len)?;
        if have < len {
            return Err(CaptureError::at(
                at,
                format!("the file ends inside a block ({have} of {len} bytes)"),
            ));
        }
        Ok(len)
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    /// Reads until at least `want` bytes are unread or the file ends, and
    /// returns how many are.
    fn fill(&mut self, want: usize) -> Result<usize, CaptureError> {
        while self.end - self.start < want && !self.eof {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let need = (want - self.end).max(READ_SIZE);
            if self.buf.len() < self.end + need {
                self.buf.resize(self.end + need, 0);
            }
            let n = loop {
                match self.source.read(&mut self.buf[self.end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(CaptureError::Io(e)),
                }
            };
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
        }
        Ok(self.end - self.start)
    }
}

/// A record's payload located by its place in the reader's buffer, so
/// that it outlives the parser's borrow of the block.
enum Located {
    Packet {
        time: Duration,
        link: u32,
        data: std::ops::Range<usize>,
    },
    Secrets(std::ops::Range<usize>),
}

/// The interface's timestamp resolution as (base, exponent): units of
/// base^-exponent seconds; microseconds unless the interface says.
fn ts_resolution(options: &[InterfaceDescriptionOption<'_>]) -> (u32, u32) {
    for o in options {
        if let InterfaceDescriptionOption::IfTsResol(r) = o {
            return if r & 0x80 == 0 {
                (10, u32::from(*r))
            } else {
                (2, u32::from(r & 0x7f))
            };
        }
    }
    (10, 6)
}

/// A raw pcapng timestamp count in `resolution` units, as a duration.
fn scale_time(ticks: u128, (base, exp): (u32, u32)) -> Duration {
    let Some(per_second) = u128::from(base).checked_pow(exp) else {
        return Duration::ZERO;
    };
    if per_second == 0 {
        return Duration::ZERO;
    }
    let secs = ticks / per_second;
    let rest = ticks % per_second;
    let nanos = rest.saturating_mul(1_000_000_000) / per_second;
    Duration::new(u64::try_from(secs).unwrap_or(u64::MAX / 2), nanos as u32)
}

/// One TCP segment taken out of a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The sender.
    pub src: SocketAddr,
    /// The receiver.
    pub dst: SocketAddr,
    /// The sequence number.
    pub seq: u32,
    /// SYN, FIN, RST and ACK.
    pub syn: bool,
    /// The sender has no more to send.
    pub fin: bool,
    /// The connection was reset.
    pub rst: bool,
    /// The acknowledgement field is valid.
    pub ack: bool,
    /// The payload bytes captured (fewer than were sent when the capture's
    /// snap length cut the packet).
    pub payload: &'a [u8],
}

/// Why a packet gave no TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotTcp {
    /// A link type this reader does not take apart.
    LinkType(u32),
    /// Not IP, not TCP, a fragment, or too damaged to read.
    Other,
}

/// Takes a packet of link type `link` apart down to its TCP segment.
///
/// etherparse slices Ethernet (with VLAN tags), Linux cooked v1 and bare IP
/// itself. Linux cooked v2 (276) and BSD loopback (NULL, 0, and LOOP, 108)
/// are not among its link layers, so their fixed headers are skipped here
/// by hand and the rest handed to etherparse.
pub fn tcp_segment(link: u32, data: &[u8]) -> Result<Segment<'_>, NotTcp> {
    let sliced = match DataLink::from(link) {
        DataLink::ETHERNET => LaxSlicedPacket::from_ethernet(data).map_err(|_| NotTcp::Other)?,
        DataLink::LINUX_SLL => {
            let sll = etherparse::LinuxSllSlice::from_slice(data).map_err(|_| NotTcp::Other)?;
            match sll.protocol_type() {
                LinuxSllProtocolType::EtherType(t) => {
                    LaxSlicedPacket::from_ether_type(t, sll.payload_slice())
                }
                _ => return Err(NotTcp::Other),
            }
        }
        // SLL2: protocol type (2 bytes, network order), reserved (2),
        // interface index (4), ARPHRD type (2), packet type (1), address
        // length (1), address (8): 20 bytes in all.
        DataLink::LINUX_SLL2 => {
            if data.len() < 20 {
                return Err(NotTcp::Other);
            }
            let t = u16::from_be_bytes([data[0], data[1]]);
            LaxSlicedPacket::from_ether_type(etherparse::EtherType(t), &data[20..])
        }
        // NULL and LOOP: a 4-byte address family (host order for NULL,
        // network order for LOOP) whose values differ between systems; the
        // IP header's own version field is what tells IPv4 from IPv6.
        DataLink::NULL | DataLink::LOOP => {
            if data.len() < 4 {
                return Err(NotTcp::Other);
            }
            LaxSlicedPacket::from_ip(&data[4..]).map_err(|_| NotTcp::Other)?
        }
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => {
            LaxSlicedPacket::from_ip(data).map_err(|_| NotTcp::Other)?
        }
        _ if link == 12 || link == 14 => {
            // LINKTYPE 12 and 14 are raw IP on some systems (DLT_RAW's old
            // numbers).
            LaxSlicedPacket::from_ip(data).map_err(|_| NotTcp::Other)?
        }
        _ => return Err(NotTcp::LinkType(link)),
    };
    let (src, dst) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            if ip.payload().fragmented {
                return Err(NotTcp::Other);
            }
            let h = ip.header();
            (
                IpAddr::from(h.source_addr()),
                IpAddr::from(h.destination_addr()),
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            if ip.payload().fragmented {
                return Err(NotTcp::Other);
            }
            let h = ip.header();
            (
                IpAddr::from(h.source_addr()),
                IpAddr::from(h.destination_addr()),
            )
        }
        _ => return Err(NotTcp::Other),
    };
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        return Err(NotTcp::Other);
    };
    Ok(Segment {
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        ack: tcp.ack(),
        payload: tcp.payload(),
    })
}

#[cfg(test)]
#[path = "capture_tests.rs"]
mod tests;
