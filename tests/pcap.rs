//! `demo --pcap`: the capture is read by the real tshark, which must find
//! the password in a plain session and, with only the secrets block inside
//! the file, inside TLS too; and the TCP numbering the capture is built on.

#[path = "common/tool.rs"]
mod tool;

#[path = "common/serve_bin.rs"]
mod serve_bin;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use popscope::lab::{Event, EventKind, WireEvent};
use popscope::wire::Direction;
use popscope::wire::pcap::{MAX_SEGMENT, segments};
use popscope::wire::tap::CloseReason;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

fn have_tshark() -> bool {
    tool::available("tshark", "-v", "tshark")
}

/// Runs `popscope demo SCENARIO --pcap FILE [extra]` and checks it succeeded.
fn demo(scenario: &str, pcap: &Path, extra: &[&str]) {
    let out = Command::new(BIN)
        .env("LANG", "en_GB.UTF-8")
        .args(["demo", scenario, "--pcap"])
        .arg(pcap)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo {scenario} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The parameters of the PASS commands tshark finds in `file`, with the
/// extra options given (no key log file of its own in any case, so only
/// what the capture holds can decrypt it).
fn tshark_pass(file: &Path, extra: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-o", "tls.keylog_file:"])
        .args(extra)
        .args(["-Y", "pop.request.command == \"PASS\""])
        .args(["-T", "fields", "-e", "pop.request.parameter"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The pcapng file's blocks (little-endian, as popscope writes them) as
/// (type, whole block) pairs.
fn blocks(data: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 12 <= data.len() {
        let ty = u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(data[at + 4..at + 8].try_into().unwrap()) as usize;
        assert!(len >= 12 && at + len <= data.len(), "bad block at {at}");
        out.push((ty, &data[at..at + len]));
        at += len;
    }
    assert_eq!(at, data.len(), "trailing bytes");
    out
}

const DSB: u32 = 0x0000_000A;
const EPB: u32 = 0x0000_0006;

#[test]
fn tshark_finds_the_password_of_a_plain_demo() {
    if !have_tshark() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain.pcapng");
    demo("plain", &file, &[]);
    assert_eq!(tshark_pass(&file, &[]), "wonderland");
    // No TLS, so no secrets block.
    let data = std::fs::read(&file).unwrap();
    assert!(!blocks(&data).iter().any(|(t, _)| *t == DSB));
}

#[test]
fn tshark_decrypts_a_pop3s_demo_with_the_secrets_inside_the_file() {
    if !have_tshark() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pop3s.pcapng");
    let keys = dir.path().join("keys.log");
    demo("pop3s", &file, &["--keylog", keys.to_str().unwrap()]);
    assert_eq!(tshark_pass(&file, &[]), "wonderland");

    // The secrets block comes before the first packet and holds a TLS key
    // log ("TLSK") with the client's traffic secret.
    let data = std::fs::read(&file).unwrap();
    let all = blocks(&data);
    let dsb = all.iter().position(|(t, _)| *t == DSB).expect("no DSB");
    let first_packet = all.iter().position(|(t, _)| *t == EPB).unwrap();
    assert!(dsb < first_packet);
    let body = all[dsb].1;
    assert_eq!(&body[8..12], &0x544c_534bu32.to_le_bytes());
    let text = String::from_utf8_lossy(&body[16..]);
    assert!(text.contains("CLIENT_TRAFFIC_SECRET_0 "), "{text}");

    // The same capture without its secrets block shows no PASS: the block
    // is what decrypted it.
    let stripped: Vec<u8> = all
        .iter()
        .filter(|(t, _)| *t != DSB)
        .flat_map(|(_, b)| b.iter().copied())
        .collect();
    let bare = dir.path().join("bare.pcapng");
    std::fs::write(&bare, stripped).unwrap();
    assert_eq!(tshark_pass(&bare, &[]), "");

    // --keylog writes the same secrets as NSS key-log text, which decrypts
    // the bare capture for tools that take a key log file.
    let log = std::fs::read_to_string(&keys).unwrap();
    assert!(log.lines().all(|l| l.split(' ').count() == 3), "{log}");
    let opt = format!("tls.keylog_file:{}", keys.display());
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&bare)
        .args(["-o", &opt])
        .args(["-Y", "pop.request.command == \"PASS\""])
        .args(["-T", "fields", "-e", "pop.request.parameter"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "wonderland");
}

#[test]
fn tshark_finds_the_password_after_stls_on_port_110() {
    if !have_tshark() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stls.pcapng");
    demo("stls", &file, &[]);
    assert_eq!(tshark_pass(&file, &[]), "wonderland");
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args(["-Y", "pop.request.command == \"STLS\""])
        .args(["-T", "fields", "-e", "tcp.dstport"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "110");
}

fn ev(ms: u64, w: WireEvent) -> Event {
    Event {
        at: Duration::from_millis(ms),
        kind: EventKind::Wire(w),
    }
}

fn chunk(conn: u64, dir: Direction, offset: u64, bytes: &[u8]) -> WireEvent {
    WireEvent::Chunk {
        conn,
        dir,
        offset,
        len: bytes.len(),
        bytes: bytes.to_vec(),
    }
}

fn closed(conn: u64, dir: Direction) -> WireEvent {
    WireEvent::Closed {
        conn,
        dir,
        reason: CloseReason::Closed,
    }
}

#[test]
fn sequence_numbers_advance_by_the_payload_and_acks_match_the_other_side() {
    use Direction::{ClientToServer as C, ServerToClient as S};
    let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let server: SocketAddr = "127.0.0.1:12345".parse().unwrap();
    let big = vec![b'x'; MAX_SEGMENT + 10];
    let events = vec![
        // Events on a connection never opened are left out.
        ev(0, chunk(9, C, 0, b"lost")),
        ev(
            1,
            WireEvent::Opened {
                conn: 1,
                client,
                server,
                implicit_tls: false,
                attack: None,
            },
        ),
        ev(2, chunk(1, S, 0, b"+OK\r\n")),
        ev(3, chunk(1, C, 0, b"USER a\r\n")),
        ev(4, chunk(1, S, 5, &big)),
        ev(5, closed(1, C)),
        // A second close of one direction is ignored.
        ev(6, closed(1, C)),
        ev(7, closed(1, S)),
        ev(8, closed(9, S)),
    ];
    let segs = segments(&events, 110);
    // SYN, SYN-ACK, ACK, 3 chunks (the big one in two), 2 × (FIN, ACK).
    assert_eq!(segs.len(), 3 + 4 + 4, "{segs:#?}");
    for s in &segs {
        let (c, srv) = match s.dir {
            C => (s.src, s.dst),
            S => (s.dst, s.src),
        };
        assert_eq!(c.1, 40000, "the client keeps its port");
        assert_eq!(srv.1, 110, "the server is on the standard port");
    }
    let (syn, synack, ack) = (&segs[0], &segs[1], &segs[2]);
    assert!(syn.flags.syn && !syn.flags.ack);
    assert!(synack.flags.syn && synack.flags.ack);
    assert_eq!(synack.ack, syn.seq.wrapping_add(1));
    assert_eq!(ack.seq, syn.seq.wrapping_add(1));
    assert_eq!(ack.ack, synack.seq.wrapping_add(1));
    let (c0, s0) = (syn.seq.wrapping_add(1), synack.seq.wrapping_add(1));

    let banner = &segs[3];
    assert_eq!((banner.seq, banner.ack), (s0, c0));
    assert_eq!(banner.payload, b"+OK\r\n");
    let user = &segs[4];
    assert_eq!((user.seq, user.ack), (c0, s0 + 5));
    let (part1, part2) = (&segs[5], &segs[6]);
    assert_eq!(part1.payload.len(), MAX_SEGMENT);
    assert_eq!(part2.payload.len(), 10);
    assert_eq!(part1.seq, s0 + 5);
    assert_eq!(part2.seq, s0 + 5 + MAX_SEGMENT as u32);
    assert_eq!(part2.ack, c0 + 8);

    let server_end = s0 + 5 + big.len() as u32;
    let (cfin, cfin_ack) = (&segs[7], &segs[8]);
    assert!(cfin.flags.fin && cfin.dir == C);
    assert_eq!((cfin.seq, cfin.ack), (c0 + 8, server_end));
    assert_eq!(cfin_ack.dir, S);
    assert_eq!(cfin_ack.ack, c0 + 9, "the FIN takes one number");
    let (sfin, sfin_ack) = (&segs[9], &segs[10]);
    assert!(sfin.flags.fin && sfin.dir == S);
    assert_eq!((sfin.seq, sfin.ack), (server_end, c0 + 9));
    assert_eq!((sfin_ack.seq, sfin_ack.ack), (c0 + 9, server_end + 1));
}

/// Under the issue 7 attacks the capture shows what the attacker saw: the
/// password in cleartext once STLS is stripped, and inside the attacker's
/// own TLS (decrypted with the client's secrets in the file) once the
/// client accepts a forged certificate.
#[test]
fn tshark_sees_what_the_attacker_saw() {
    if !have_tshark() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stripped = dir.path().join("strip.pcapng");
    demo("stls", &stripped, &["--attack", "strip-stls"]);
    assert_eq!(tshark_pass(&stripped, &[]), "wonderland");
    let forged = dir.path().join("forge.pcapng");
    demo("pop3s", &forged, &["--attack", "forge-cert", "--insecure"]);
    assert_eq!(tshark_pass(&forged, &[]), "wonderland");
}

/// Past the tap's capture limit a chunk keeps fewer bytes than crossed: the
/// other side still acknowledges all of them, so the numbering stays that
/// of the real stream and Wireshark shows the gap as not captured.
#[test]
fn a_clipped_chunk_advances_the_stream_by_all_that_crossed() {
    use Direction::{ClientToServer as C, ServerToClient as S};
    let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let server: SocketAddr = "127.0.0.1:12345".parse().unwrap();
    let clipped = WireEvent::Chunk {
        conn: 1,
        dir: C,
        offset: 0,
        len: 10,
        bytes: b"RETR".to_vec(),
    };
    let events = vec![
        ev(
            1,
            WireEvent::Opened {
                conn: 1,
                client,
                server,
                implicit_tls: false,
                attack: None,
            },
        ),
        ev(2, clipped),
        ev(3, chunk(1, S, 0, b"+OK\r\n")),
    ];
    let segs = segments(&events, 995);
    let c0 = segs[0].seq.wrapping_add(1);
    assert_eq!(segs[3].payload, b"RETR");
    assert_eq!(segs[4].dir, S);
    assert_eq!(segs[4].ack, c0 + 10);
}

/// `popscope proxy --pcap` in front of `serve`: poplib logs in through it,
/// and tshark finds the password in the capture while the proxy still runs
/// (the capture is written as things happen) and after Ctrl-C.
#[test]
fn the_proxy_writes_a_capture_tshark_reads_as_it_runs() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    if !have_tshark() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let serve = serve_bin::Running::start(&data.path().join("serve"), &[]);
    let upstream = serve.addr("POP3");
    let file = data.path().join("proxy.pcapng");
    let mut proxy = Command::new(BIN)
        .args(["proxy", "--upstream", &upstream, "--pcap"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(proxy.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let listen = banner
        .split_whitespace()
        .nth(4)
        .unwrap_or_else(|| panic!("no address in {banner:?}"))
        .to_string();
    // The rest of the transcript is read so the proxy never blocks on a
    // full pipe.
    let reader = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    // Python's poplib logs in with USER and PASS (curl would choose AUTH
    // PLAIN, which tshark shows as base64).
    let (host, port) = listen.rsplit_once(':').unwrap();
    let script = format!(
        "import poplib\np = poplib.POP3('{host}', {port}, timeout=20)\n\
         p.user('alice')\np.pass_('wonderland')\nprint(b'\\n'.join(p.retr(1)[1]).decode())\np.quit()\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Subject:"),
        "poplib through the proxy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The capture is readable before the proxy stops: the transcript line
    // of the last event comes after its packets were flushed.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tshark_pass(&file, &[]) != "wonderland" {
        assert!(
            std::time::Instant::now() < deadline,
            "tshark never found the password in the live capture"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(proxy.id() as libc::pid_t, libc::SIGINT);
    }
    assert!(proxy.wait().unwrap().success());
    let transcript = reader.join().unwrap();
    assert!(
        transcript.iter().any(|l| l.contains("wonderland")),
        "{transcript:?}"
    );
    assert_eq!(tshark_pass(&file, &[]), "wonderland");
    // The server side is on port 110, so tshark chose its POP dissector
    // by itself (tshark_pass filters on a POP field).

    // A second proxy refuses to replace the capture, and leaves it whole.
    let before = std::fs::read(&file).unwrap();
    let again = Command::new(BIN)
        .args(["proxy", "--upstream", &upstream, "--pcap"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("cannot create"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    drop(serve);
}
