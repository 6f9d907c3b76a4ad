//! `popscope inspect` on captures nobody here wrote: dumpcap records the
//! loopback while curl logs in to a real Dovecot in cleartext, with STLS
//! and over POP3S (curl writing its own SSLKEYLOGFILE), and the binary reads
//! what dumpcap wrote. Also: captures `popscope demo --pcap` wrote read
//! back with the same loot, pcap as well as pcapng, IPv6, and damaged files
//! refused with the offset of the damage.
//!
//! The capture tests need root (for dumpcap on `lo` and for Dovecot) and
//! fail, rather than skip, without dumpcap, curl or Dovecot: `.ci/run`
//! installs them.

#[allow(dead_code)]
#[path = "dovecot/fixture.rs"]
mod fixture;

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use fixture::Dovecot;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

/// dumpcap recording the loopback, stopped with SIGINT when dropped.
struct Dumpcap {
    child: Option<Child>,
    path: PathBuf,
}

impl Dumpcap {
    /// Starts dumpcap on `lo` for TCP on `ports`, writing pcapng (or pcap
    /// with `pcap`), and returns once it says it is capturing.
    fn start(path: &Path, ports: &[u16], pcap: bool) -> Dumpcap {
        let filter = ports
            .iter()
            .map(|p| format!("tcp port {p}"))
            .collect::<Vec<_>>()
            .join(" or ");
        let mut cmd = Command::new("dumpcap");
        cmd.args(["-i", "lo", "-q", "-f", &filter, "-w"])
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if pcap {
            cmd.arg("-P");
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!("cannot run dumpcap ({e}): `apt-get install -y tshark`, as .ci/run does")
        });
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // The thread keeps reading to the end, so dumpcap never blocks on
        // a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut said = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if line.contains("Capturing on") => {
                    // dumpcap says so a moment before the first packets
                    // reach it (a handshake can be missed otherwise), and
                    // it buffers its file, so the file cannot be watched
                    // instead.
                    std::thread::sleep(Duration::from_millis(1000));
                    break;
                }
                Ok(line) => said.push(line),
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("dumpcap did not start capturing: {said:?}");
                }
            }
        }
        Dumpcap {
            child: Some(child),
            path: path.to_owned(),
        }
    }

    /// Stops the capture (SIGINT, as Ctrl-C) and waits until the file is
    /// complete.
    fn stop(mut self) -> PathBuf {
        self.interrupt();
        self.path.clone()
    }

    fn interrupt(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Packets still in the kernel's buffer reach dumpcap first.
            std::thread::sleep(Duration::from_millis(300));
            // SAFETY: kill has no memory-safety preconditions; the pid is
            // our own child's, not yet reaped.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGINT);
            }
            let status = child.wait().unwrap();
            assert!(status.success(), "dumpcap ended with {status}");
        }
    }
}

impl Drop for Dumpcap {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn curl(args: &[&str], keylog: Option<&Path>) -> Output {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "20"]).args(args);
    if let Some(k) = keylog {
        cmd.env("SSLKEYLOGFILE", k);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl ({e})"));
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `popscope inspect ARGS`, its output and success.
fn inspect(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("inspect")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (ok, out, err) = inspect(args);
    assert!(ok, "inspect {args:?} failed: {err}\n{out}");
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The JSON events of `inspect --json` (each line's `event`).
fn json_events(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    ok(&all).lines().map(event_of).collect()
}

fn event_of(line: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["event"].clone()
}

/// A password leak for `password` (USER/PASS or AUTH PLAIN, which curl
/// uses when the server offers it).
fn is_password(leak: &serde_json::Value, password: &str) -> bool {
    leak["Password"]["password"] == password || leak["AuthPlain"]["password"] == password
}

/// What the eavesdropper read in cleartext, by kind: the `leak` values of
/// `seen` items.
fn leaks(events: &[serde_json::Value]) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter(|e| e["kind"] == "seen" && e["item"].get("Leak").is_some())
        .map(|e| e["item"]["Leak"].clone())
        .collect()
}

fn localhost(port: u16) -> String {
    format!("localhost:{port}:127.0.0.1")
}

#[test]
fn dumpcap_of_curl_in_cleartext_shows_the_password_in_pcapng_and_pcap() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let port = dovecot.pop3.port();
    let cap = Dumpcap::start(&dir.path().join("plain.pcapng"), &[port], false);
    curl(
        &[&format!("pop3://alice:wonderland@127.0.0.1:{port}/1")],
        None,
    );
    let file = cap.stop();

    let out = ok(&[s(&file), "--lang", "en"]);
    assert!(out.contains("wonderland"), "{out}");
    assert!(
        out.contains("POP3 conversations found: 1 in cleartext, 0 with STLS, 0 POP3S"),
        "{out}"
    );
    // The transcript is the demo's: the same columns and closing lines.
    assert!(out.contains("What the eavesdropper learned:"), "{out}");
    assert!(out.contains("password wonderland for alice"), "{out}");

    // The same capture as pcap, converted by editcap.
    let pcap = dir.path().join("plain.pcap");
    let conv = Command::new("editcap")
        .args(["-F", "pcap", s(&file), s(&pcap)])
        .output()
        .unwrap();
    assert!(conv.status.success(), "{conv:?}");
    assert_eq!(
        &std::fs::read(&pcap).unwrap()[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1]
    );
    let again = ok(&[s(&pcap), "--lang", "en"]);
    assert!(again.contains("password wonderland for alice"), "{again}");

    // And one dumpcap writes as pcap itself, in Japanese.
    let cap = Dumpcap::start(&dir.path().join("plain2.pcap"), &[port], true);
    curl(&[&format!("pop3://bob:builder@127.0.0.1:{port}/1")], None);
    let file = cap.stop();
    let out = ok(&[s(&file), "--lang", "ja"]);
    assert!(out.contains("builder"), "{out}");
    assert!(out.contains("キャプチャの中身"), "{out}");
}

/// Captures one curl session over `url`, with curl's key log beside it.
fn tls_capture(dir: &Path, name: &str, port: u16, args: &[&str]) -> (PathBuf, PathBuf) {
    let keys = dir.join(format!("{name}.keys"));
    let cap = Dumpcap::start(&dir.join(format!("{name}.pcapng")), &[port], false);
    curl(args, Some(&keys));
    let file = cap.stop();
    assert!(
        std::fs::read_to_string(&keys).unwrap().contains("CLIENT_"),
        "curl wrote its key log"
    );
    (file, keys)
}

fn tls_case(file: &Path, keys: &Path, kind: &str) {
    let out = ok(&[s(file), "--lang", "en"]);
    assert!(!out.contains("wonderland"), "no key, no password:\n{out}");
    assert!(out.contains("could not be opened"), "says sealed:\n{out}");
    assert!(out.contains(kind), "{out}");

    let events = json_events(&[s(file)]);
    assert!(
        !events.iter().any(|e| e.to_string().contains("wonderland")),
        "nothing in the JSON either"
    );
    assert!(
        events.iter().any(|e| e["kind"] == "sealed"),
        "a sealed event"
    );

    let out = ok(&[s(file), "--keylog", s(keys), "--lang", "en"]);
    assert!(
        out.contains("READ decrypted with the stolen keys: wonderland (for alice"),
        "{out}"
    );
    let events = json_events(&[s(file), "--keylog", s(keys)]);
    assert!(
        events.iter().any(|e| e["kind"] == "learned"
            && e["means"] == "stolen_keys"
            && is_password(&e["leak"], "wonderland")),
        "the password, from the decrypted records"
    );
}

#[test]
fn dumpcap_of_curl_over_stls_is_sealed_without_keys_and_read_with_curls_key_log() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let port = dovecot.pop3.port();
    let ca = dovecot.ca.to_str().unwrap().to_owned();
    let (file, keys) = tls_capture(
        dir.path(),
        "stls",
        port,
        &[
            "--ssl-reqd",
            "--cacert",
            &ca,
            "--resolve",
            &localhost(port),
            &format!("pop3://alice:wonderland@localhost:{port}/1"),
        ],
    );
    tls_case(&file, &keys, "0 in cleartext, 1 with STLS, 0 POP3S");
}

#[test]
fn dumpcap_of_curl_over_pop3s_is_sealed_without_keys_and_read_with_curls_key_log() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let port = dovecot.pop3s.port();
    let ca = dovecot.ca.to_str().unwrap().to_owned();
    let (file, keys) = tls_capture(
        dir.path(),
        "pop3s",
        port,
        &[
            "--cacert",
            &ca,
            "--resolve",
            &localhost(port),
            &format!("pop3s://alice:wonderland@localhost:{port}/1"),
        ],
    );
    tls_case(&file, &keys, "0 in cleartext, 0 with STLS, 1 POP3S");
}

/// Relays every connection on `[::1]:0` to `to`, so that curl can reach
/// the IPv4-only Dovecot over IPv6 loopback.
fn relay_v6(to: SocketAddr) -> u16 {
    let listener = TcpListener::bind("[::1]:0").expect("IPv6 loopback");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in listener.incoming() {
            let Ok(c) = c else { return };
            let Ok(s) = TcpStream::connect(to) else {
                return;
            };
            let (mut c2, mut s2) = (c.try_clone().unwrap(), s.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c2, &mut s2);
                let _ = s2.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let (mut c, mut s) = (c, s);
                let _ = std::io::copy(&mut s, &mut c);
                let _ = c.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}

#[test]
fn dumpcap_of_curl_over_ipv6_loopback_is_read() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_v6(dovecot.pop3);
    let cap = Dumpcap::start(&dir.path().join("v6.pcapng"), &[relay], false);
    curl(
        &["-6", &format!("pop3://alice:wonderland@[::1]:{relay}/1")],
        None,
    );
    let file = cap.stop();
    let events = json_events(&[s(&file)]);
    let opened: Vec<_> = events.iter().filter(|e| e["kind"] == "opened").collect();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert!(
        opened[0]["client"].as_str().unwrap().starts_with("[::1]:"),
        "{opened:?}"
    );
    assert!(
        leaks(&events).iter().any(|l| is_password(l, "wonderland")),
        "{:?}",
        leaks(&events)
    );
}

/// The loot of every connection in a JSON event stream.
fn loot(events: &[serde_json::Value]) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter(|e| e["kind"] == "learned" && e.get("loot").is_some())
        .map(|e| e["loot"].clone())
        .collect()
}

fn demo(scenario: &str, dir: &Path) -> (PathBuf, Vec<serde_json::Value>) {
    let file = dir.join(format!("{scenario}.pcapng"));
    let out = Command::new(BIN)
        .args(["demo", scenario, "--json", "--pcap", s(&file)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let events = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(event_of)
        .collect();
    (file, events)
}

#[test]
fn a_demo_capture_reads_back_with_the_same_loot() {
    let dir = tempfile::tempdir().unwrap();
    for scenario in ["plain", "apop", "auth-plain", "stls"] {
        let (file, events) = demo(scenario, dir.path());
        let expected = loot(&events);
        assert_eq!(expected.len(), 1, "{scenario}");
        assert_eq!(loot(&json_events(&[s(&file)])), expected, "{scenario}");
    }
    // POP3S: the wire's loot is the same, and the capture's own secrets
    // block opens the records without a --keylog.
    let (file, events) = demo("pop3s", dir.path());
    let inspected = json_events(&[s(&file)]);
    assert_eq!(loot(&inspected), loot(&events));
    assert!(inspected.iter().any(|e| e["kind"] == "learned"
        && e["means"] == "stolen_keys"
        && is_password(&e["leak"], "wonderland")));
    // The transcript lists the handshake as the endpoints saw it, the
    // sealed steps opened with the capture's key log, as demo prints it.
    let (ok, out, err) = inspect(&[s(&file), "--lang", "en"]);
    assert!(ok, "{err}");
    let step = |name: &str| {
        out.lines()
            .find(|l| l.contains(&format!(" {name} ")) && l.contains("tls "))
            .unwrap_or_else(|| panic!("no {name} step:\n{out}"))
            .to_string()
    };
    assert!(step("ClientHello").ends_with("read in cleartext"));
    assert!(step("EncryptedExtensions").contains("sealed: an opaque "));
    assert!(step("Certificate").ends_with("sealed: in the same record as the previous step"));
}

#[test]
fn damaged_captures_are_refused_with_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = demo("plain", dir.path());
    let bytes = std::fs::read(&file).unwrap();
    let write = |name: &str, b: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        p
    };

    // Not a capture at all.
    let p = write("text.pcap", b"hello, this is not a capture\n");
    let (ok, _, err) = inspect(&[s(&p)]);
    assert!(!ok);
    assert!(
        err.contains("byte 0: not a pcap or pcapng capture"),
        "{err}"
    );

    // Cut short inside the last block: everything before it is still
    // shown, then the error names where the cut block starts.
    let cut = write("cut.pcapng", &bytes[..bytes.len() - 10]);
    let (ok, out, err) = inspect(&[s(&cut), "--lang", "en"]);
    assert!(!ok);
    assert!(err.contains("the file ends inside a block"), "{err}");
    let last_block = last_block_offset(&bytes);
    assert!(err.contains(&format!("byte {last_block}:")), "{err}");
    assert!(out.contains("wonderland"), "{out}");

    // A block length that is not a multiple of 4, in the second block.
    let second = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let mut bad = bytes.clone();
    bad[second + 4] = bad[second + 4].wrapping_add(1);
    let p = write("len.pcapng", &bad);
    let (ok, _, err) = inspect(&[s(&p)]);
    assert!(!ok);
    assert!(
        err.contains(&format!("byte {second}: a block length")),
        "{err}"
    );

    // A block claiming 4 GB is refused without reading (or allocating) it.
    let mut bad = bytes.clone();
    bad[second + 4..second + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let p = write("huge.pcapng", &bad);
    let (ok, _, err) = inspect(&[s(&p)]);
    assert!(!ok);
    assert!(
        err.contains(&format!("byte {second}: a block claims")),
        "{err}"
    );

    // Every truncation of the file gives a result or an error with an
    // offset inside the file, never a panic (the library, to be quick).
    for n in 0..bytes.len() {
        let mut r = match popscope::wire::capture::CaptureReader::new(&bytes[..n]) {
            Ok(r) => r,
            Err(e) => {
                assert!(e.offset().is_some_and(|o| o <= n as u64), "{n}: {e}");
                continue;
            }
        };
        loop {
            match r.next() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    assert!(e.offset().is_some_and(|o| o < n as u64), "{n}: {e}");
                    break;
                }
            }
        }
    }
}

/// The offset of the last pcapng block of a little-endian file.
fn last_block_offset(bytes: &[u8]) -> usize {
    let mut at = 0;
    loop {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if at + len >= bytes.len() {
            return at;
        }
        at += len;
    }
}

/// A hand-made pcap of one POP3 login over IPv6, with raw-IP link type,
/// its segments out of order and one sent twice.
#[test]
fn a_synthesized_ipv6_capture_with_reordering_is_read() {
    use etherparse::PacketBuilder;
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};

    let client = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut server = client;
    server[15] = 2;
    let packet = |from_client: bool, seq: u32, syn: bool, payload: &[u8]| {
        let (src, dst, sp, dp) = if from_client {
            (client, server, 50000, 2110)
        } else {
            (server, client, 2110, 50000)
        };
        let b = PacketBuilder::ipv6(src, dst, 64).tcp(sp, dp, seq, 65535);
        // The client's SYN alone; the server's with its ACK.
        let b = match (syn, from_client) {
            (true, true) => b.syn(),
            (true, false) => b.syn().ack(101),
            _ => b.ack(1),
        };
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    };
    let packets = [
        packet(true, 100, true, b""),
        packet(false, 900, true, b""),
        packet(false, 901, false, b"+OK hello\r\n"),
        // PASS before USER on the wire: the reassembler puts it back.
        packet(true, 113, false, b"PASS wonderland\r\n"),
        packet(true, 101, false, b"USER alice\r\n"),
        packet(false, 912, false, b"+OK\r\n"),
        packet(true, 101, false, b"USER alice\r\n"),
        packet(false, 917, false, b"+OK logged in\r\n"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.pcap");
    let header = PcapHeader {
        datalink: pcap_file::DataLink::RAW,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(std::fs::File::create(&path).unwrap(), header).unwrap();
    for (i, p) in packets.iter().enumerate() {
        let t = Duration::from_millis(1_700_000_000_000 + i as u64);
        w.write_packet(&PcapPacket::new(t, p.len() as u32, p))
            .unwrap();
    }
    drop(w);
    let events = json_events(&[s(&path)]);
    let leaks = leaks(&events);
    assert!(
        leaks.iter().any(|l| is_password(l, "wonderland")),
        "{leaks:?}"
    );
    let opened = events.iter().find(|e| e["kind"] == "opened").unwrap();
    assert_eq!(opened["server"], "[::2]:2110");
    let text = ok(&[s(&path), "--lang", "en"]);
    assert!(text.contains("C→S USER alice"), "{text}");
    assert!(text.contains("1 in cleartext"), "{text}");
    // The capture ends before the connection: said so.
    assert!(
        text.contains("the capture ended before the connection did"),
        "{text}"
    );
}

/// A gap in the middle of a conversation is shown, and what follows it is
/// still read.
#[test]
fn a_missing_segment_is_shown_as_a_gap_and_reading_goes_on() {
    use etherparse::PacketBuilder;
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};

    let packet = |from_client: bool, seq: u32, payload: &[u8]| {
        let (src, dst, sp, dp) = if from_client {
            ([10, 0, 0, 1], [10, 0, 0, 2], 40000, 110)
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1], 110, 40000)
        };
        let mut out = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65535)
            .ack(1)
            .write(&mut out, payload)
            .unwrap();
        out
    };
    let packets = [
        packet(false, 1, b"+OK hi\r\n"),
        packet(true, 1, b"CAPA\r\n"),
        // "STAT\r\n" (6 bytes) never captured.
        packet(true, 13, b"USER alice\r\nPASS wonderland\r\n"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gap.pcap");
    let mut w =
        PcapWriter::with_header(std::fs::File::create(&path).unwrap(), PcapHeader::default())
            .unwrap();
    for p in &packets {
        w.write_packet(&PcapPacket::new(Duration::ZERO, p.len() as u32, p))
            .unwrap();
    }
    drop(w);
    let events = json_events(&[s(&path)]);
    let gap = events
        .iter()
        .find(|e| e["kind"] == "gap")
        .expect("a gap event");
    assert_eq!(gap["offset"], 6);
    assert_eq!(gap["len"], 6);
    assert_eq!(gap["dir"], "client_to_server");
    let text = ok(&[s(&path), "--lang", "en"]);
    assert!(
        text.contains("C→S 6 bytes missing from the capture at offset 6"),
        "{text}"
    );
    assert!(
        text.contains("1 gap: 6 bytes the capture does not hold"),
        "{text}"
    );
}

/// Bytes from the file never reach the terminal raw: escape sequences in
/// what a server or client sent, and in the file's own name, are shown
/// made visible, in the transcript and in the JSON.
#[test]
fn control_characters_in_a_capture_are_made_visible() {
    use etherparse::PacketBuilder;
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};

    let packet = |from_client: bool, seq: u32, payload: &[u8]| {
        let (src, dst, sp, dp) = if from_client {
            ([10, 0, 0, 1], [10, 0, 0, 2], 40000, 110)
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1], 110, 40000)
        };
        let mut out = Vec::new();
        PacketBuilder::ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65535)
            .ack(1)
            .write(&mut out, payload)
            .unwrap();
        out
    };
    let packets = [
        packet(false, 1, b"+OK \x1b[2J\x1b]0;owned\x07 ready\r\n"),
        packet(true, 1, b"USER \x1b[31malice\r\n"),
        packet(true, 18, b"PASS wonder\xc2\x9b1m\r\n"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil\x1b[2J.pcap");
    let header = PcapHeader {
        datalink: pcap_file::DataLink::RAW,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(std::fs::File::create(&path).unwrap(), header).unwrap();
    for p in &packets {
        w.write_packet(&PcapPacket::new(Duration::ZERO, p.len() as u32, p))
            .unwrap();
    }
    drop(w);
    for args in [
        vec![s(&path), "--lang", "en"],
        vec![s(&path), "--json"],
        vec![s(&path), "--summary", "--lang", "ja"],
    ] {
        let out = ok(&args);
        assert!(
            out.contains("wonder"),
            "{args:?}: the bytes are still read:\n{out}"
        );
        for bad in ['\x1b', '\x07', '\u{9b}'] {
            assert!(!out.contains(bad), "{args:?} printed {bad:?} raw:\n{out}");
        }
    }
}
