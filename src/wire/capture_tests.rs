//! The capture reader on files and packets made here, one feature at a
//! time: every link type it takes apart, both pcapng byte orders, the
//! timestamp resolutions and the secrets block.

use etherparse::PacketBuilder;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use super::*;

/// An IPv4 (or IPv6) packet carrying one TCP segment 40000 → 110.
fn ip_packet(v6: bool, payload: &[u8]) -> Vec<u8> {
    let b = if v6 {
        let mut a = [0u8; 16];
        a[15] = 1;
        PacketBuilder::ipv6(a, a, 64)
    } else {
        PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
    };
    let mut out = Vec::new();
    b.tcp(40000, 110, 7, 100).write(&mut out, payload).unwrap();
    out
}

fn check(link: u32, frame: &[u8], v6: bool) {
    let seg = tcp_segment(link, frame).unwrap_or_else(|e| panic!("link {link}: {e:?}"));
    assert_eq!(seg.src.port(), 40000, "link {link}");
    assert_eq!(seg.dst.port(), 110);
    assert_eq!(seg.seq, 7);
    assert_eq!(seg.payload, b"USER a\r\n");
    assert_eq!(seg.src.is_ipv6(), v6);
}

#[test]
fn every_link_type_gives_the_tcp_segment() {
    for v6 in [false, true] {
        let ip = ip_packet(v6, b"USER a\r\n");
        let ethertype: u16 = if v6 { 0x86dd } else { 0x0800 };
        // Ethernet.
        let mut frame = vec![2; 12];
        frame.extend(ethertype.to_be_bytes());
        frame.extend(&ip);
        check(1, &frame, v6);
        // Linux cooked v1: packet type, ARPHRD, address length, address
        // (8), protocol.
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0];
        sll.extend(ethertype.to_be_bytes());
        sll.extend(&ip);
        check(113, &sll, v6);
        // Linux cooked v2: protocol, reserved, interface, ARPHRD, packet
        // type, address length, address (8).
        let mut sll2 = ethertype.to_be_bytes().to_vec();
        sll2.extend([0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
        sll2.extend(&ip);
        check(276, &sll2, v6);
        // BSD loopback: host-order family (little-endian here), and LOOP
        // in network order; the families differ between systems.
        for family in [2u32, 10, 24, 28, 30] {
            let mut null = family.to_le_bytes().to_vec();
            null.extend(&ip);
            check(0, &null, v6);
            let mut lo = family.to_be_bytes().to_vec();
            lo.extend(&ip);
            check(108, &lo, v6);
        }
        // Raw IP.
        check(101, &ip, v6);
        check(if v6 { 229 } else { 228 }, &ip, v6);
    }
    assert_eq!(tcp_segment(147, b"x"), Err(NotTcp::LinkType(147)));
    assert_eq!(tcp_segment(276, b"short"), Err(NotTcp::Other));
}

#[test]
fn a_packet_cut_by_the_snap_length_keeps_what_was_captured() {
    let ip = ip_packet(false, b"PASS wonderland\r\n");
    let cut = &ip[..ip.len() - 6];
    let seg = tcp_segment(101, cut).unwrap();
    assert_eq!(seg.payload, b"PASS wonder");
}

/// A pcapng file in `endianness` with one interface of resolution
/// `tsresol` (if given), a secrets block and one packet at `ticks`.
fn pcapng(endianness: Endianness, tsresol: Option<u8>, ticks: u64) -> Vec<u8> {
    let mut w = PcapNgWriter::with_endianness(Vec::new(), endianness).unwrap();
    let options = tsresol
        .map(|r| vec![InterfaceDescriptionOption::IfTsResol(r)])
        .unwrap_or_default();
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::RAW,
        snaplen: 0,
        options,
    })
    .unwrap();
    let mut file = w.into_inner();
    // The secrets block by hand: pcap-file has no type for it.
    let secrets = b"CLIENT_RANDOM 00 11\n";
    let padded = secrets.len().div_ceil(4) * 4;
    let total = (12 + 8 + padded) as u32;
    let word = |v: u32| match endianness {
        Endianness::Big => v.to_be_bytes(),
        Endianness::Little => v.to_le_bytes(),
    };
    file.extend(word(DECRYPTION_SECRETS_BLOCK));
    file.extend(word(total));
    file.extend(word(SECRETS_TLS_KEY_LOG));
    file.extend(word(secrets.len() as u32));
    file.extend(secrets);
    file.resize(file.len() + padded - secrets.len(), 0);
    file.extend(word(total));
    // The packet by hand too, so that its raw timestamp count is exact.
    let ip = ip_packet(false, b"USER a\r\n");
    let mut epb = Vec::new();
    let body_len = 20 + ip.len().div_ceil(4) * 4;
    let total = (12 + body_len) as u32;
    epb.extend(word(6));
    epb.extend(word(total));
    epb.extend(word(0));
    epb.extend(word((ticks >> 32) as u32));
    epb.extend(word(ticks as u32));
    epb.extend(word(ip.len() as u32));
    epb.extend(word(ip.len() as u32));
    epb.extend(&ip);
    epb.resize(epb.len() + ip.len().div_ceil(4) * 4 - ip.len(), 0);
    epb.extend(word(total));
    file.extend(epb);
    file
}

/// A packet read back: time, link type, bytes.
type ReadBack = (Duration, u32, Vec<u8>);

fn read_all(bytes: &[u8]) -> (Vec<ReadBack>, Vec<Vec<u8>>) {
    let mut r = CaptureReader::new(bytes).unwrap();
    let (mut packets, mut secrets) = (Vec::new(), Vec::new());
    while let Some(rec) = r.next().unwrap() {
        match rec {
            Record::Packet(p) => packets.push((p.time, p.link, p.data.to_vec())),
            Record::Secrets { text, .. } => secrets.push(text.to_vec()),
        }
    }
    (packets, secrets)
}

#[test]
fn pcapng_in_both_byte_orders_with_secrets_and_timestamp_resolutions() {
    for endianness in [Endianness::Little, Endianness::Big] {
        // Microseconds by default.
        let (p, s) = read_all(&pcapng(endianness, None, 1_500_000));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, Duration::from_millis(1500));
        assert_eq!(p[0].1, 101);
        assert_eq!(s, vec![b"CLIENT_RANDOM 00 11\n".to_vec()]);
        // Nanoseconds.
        let (p, _) = read_all(&pcapng(endianness, Some(9), 1_500_000));
        assert_eq!(p[0].0, Duration::from_micros(1500));
        // Powers of two: 2^-10 s.
        let (p, _) = read_all(&pcapng(endianness, Some(0x80 | 10), 2048));
        assert_eq!(p[0].0, Duration::from_secs(2));
    }
}

#[test]
fn pcap_in_both_byte_orders_and_resolutions() {
    let ip = ip_packet(false, b"x");
    for (magic_le, nanos) in [(0xa1b2c3d4u32, false), (0xa1b23c4d, true)] {
        for big in [false, true] {
            let w = |v: u32| {
                if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
            };
            let h = |v: u16| {
                if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                }
            };
            let mut f = w(magic_le).to_vec();
            f.extend(h(2));
            f.extend(h(4));
            f.extend(w(0));
            f.extend(w(0));
            // A snap length shorter than the packet: tcpdump -s writes
            // such files, and they are read.
            f.extend(w(20));
            f.extend(w(101));
            f.extend(w(3));
            f.extend(w(250));
            f.extend(w(20));
            f.extend(w(ip.len() as u32));
            f.extend(&ip[..20]);
            let (p, _) = read_all(&f);
            let frac = if nanos { 250 } else { 250_000 };
            assert_eq!(p[0].0, Duration::new(3, frac), "{magic_le:x} {big}");
            assert_eq!(p[0].2, &ip[..20]);
        }
    }
}

#[test]
fn problems_name_their_offset() {
    let file = pcapng(Endianness::Little, None, 1);
    // An interface that is not described.
    let mut bad = file.clone();
    let epb = bad.len() - (12 + 20 + ip_packet(false, b"USER a\r\n").len().div_ceil(4) * 4);
    bad[epb + 8] = 9;
    let mut r = CaptureReader::new(&bad[..]).unwrap();
    let e = loop {
        match r.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the damage is found"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.offset(), Some(epb as u64), "{e}");
    assert!(e.to_string().contains("interface 9"), "{e}");
    // A short file.
    let e = CaptureReader::new(&[0x0a, 0x0d][..]).err().unwrap();
    assert!(
        e.to_string()
            .starts_with("byte 0: the file is 2 bytes long"),
        "{e}"
    );
}
