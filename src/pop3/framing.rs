//! Framing: cutting command lines out of a byte stream, and turning a
//! stored message into a multi-line reply body.
//!
//! Both sides are sans-IO: they take bytes and give bytes, so the RFC rules
//! about line length, CRLF and byte-stuffing are tested without a socket.

/// The longest command line a client may send, CRLF included (RFC 2449 §4).
pub const MAX_COMMAND_LINE: usize = 255;

/// The longest first line of a reply, CRLF included (RFC 2449 §4).
pub const MAX_REPLY_LINE: usize = 512;

/// One framed command line.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line without its line end.
    Complete(Vec<u8>),
    /// A line longer than [`MAX_COMMAND_LINE`]; its bytes were thrown away.
    TooLong,
}

/// Collects bytes and yields command lines. Memory stays bounded: once a
/// line is known to be too long, its bytes are dropped as they arrive, and
/// only the fact that it was too long is kept until its line end shows up.
#[derive(Debug, Default)]
pub struct LineReader {
    buf: Vec<u8>,
    discarding: bool,
}

impl LineReader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add bytes read from the peer. Call [`next_line`](Self::next_line)
    /// until it returns `None` before pushing more, so the buffer never
    /// holds more than one read plus one line.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next line, or `None` if no whole line is buffered yet
    /// ("incomplete" is not an error).
    pub fn next_line(&mut self) -> Option<Line> {
        match self.buf.iter().position(|&b| b == b'\n') {
            Some(lf) => {
                let too_long = self.discarding || lf + 1 > MAX_COMMAND_LINE;
                self.discarding = false;
                let mut line: Vec<u8> = self.buf.drain(..=lf).collect();
                if too_long {
                    return Some(Line::TooLong);
                }
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                Some(Line::Complete(line))
            }
            None => {
                if self.buf.len() >= MAX_COMMAND_LINE {
                    self.discarding = true;
                    self.buf.clear();
                }
                None
            }
        }
    }

    /// Throw away everything buffered and return how many bytes that was.
    /// After STLS's `+OK` nothing the client sent before the handshake may
    /// be read as a command (RFC 2595 §4, the CVE-2011-0411 injection).
    pub fn discard_buffered(&mut self) -> usize {
        let n = self.buf.len();
        self.buf.clear();
        self.discarding = false;
        n
    }

    /// The bytes waiting to become a line, left in place.
    pub fn peek_buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes waiting to become a line.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// The size of a stored message on the wire: every line ended by CRLF, the
/// last line terminated if the file does not end with a line end, and no
/// byte-stuffing (RFC 1939 counts sizes before stuffing). This is exactly
/// the number of body bytes [`BodyEncoder`] produces before stuffing.
pub fn crlf_len(bytes: &[u8]) -> u64 {
    let mut c = CrlfLen::default();
    c.feed(bytes);
    c.total()
}

/// [`crlf_len`] a piece at a time, so a large file is measured without
/// holding it in memory.
#[derive(Debug, Default, Clone)]
pub struct CrlfLen {
    n: u64,
    prev: Option<u8>,
}

impl CrlfLen {
    /// Count the next piece of the file.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.n += bytes.len() as u64;
        let mut prev = self.prev.unwrap_or(0);
        for &b in bytes {
            if b == b'\n' && prev != b'\r' {
                self.n += 1;
            }
            prev = b;
        }
        if !bytes.is_empty() {
            self.prev = Some(prev);
        }
    }

    /// The wire size of everything fed so far, as a whole file.
    pub fn total(&self) -> u64 {
        match self.prev {
            Some(last) if last != b'\n' => self.n + 2,
            _ => self.n,
        }
    }
}

/// Streams a stored message out as the body of a RETR or TOP reply: bare LF
/// becomes CRLF, a line starting with "." gets a second one (RFC 1939 §3),
/// TOP's line limit is applied, and [`finish`](Self::finish) adds the
/// terminating ".". It works chunk by chunk so a large message never has
/// to be in memory at once.
#[derive(Debug)]
pub struct BodyEncoder {
    at_line_start: bool,
    pending_cr: bool,
    line_len: usize,
    in_headers: bool,
    body_lines_left: Option<u64>,
    done: bool,
}

impl BodyEncoder {
    /// An encoder for the whole message (`top = None`, RETR) or for the
    /// headers plus `top` lines of the body (TOP).
    pub fn new(top: Option<u64>) -> Self {
        BodyEncoder {
            at_line_start: true,
            pending_cr: false,
            line_len: 0,
            in_headers: true,
            body_lines_left: top,
            done: false,
        }
    }

    /// True once TOP's limit is reached; further input is ignored, so the
    /// caller may stop reading the file.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Encode one chunk of the stored message, appending to `out`.
    ///
    /// The work is done a run at a time: everything up to the next CR or
    /// LF is copied in one go, so the cost per octet is a `memchr` scan
    /// and a copy, not a branch per octet (RETR of a large message spends
    /// most of its server time here).
    pub fn encode(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 32 + 8);
        while !input.is_empty() && !self.done {
            if self.pending_cr {
                self.pending_cr = false;
                if input[0] == b'\n' {
                    self.end_line(out);
                    input = &input[1..];
                    continue;
                }
                // A CR that does not end a line is part of the line.
                self.content(b"\r", out);
            }
            match memchr::memchr2(b'\r', b'\n', input) {
                None => {
                    self.content(input, out);
                    return;
                }
                Some(i) => {
                    self.content(&input[..i], out);
                    if input[i] == b'\r' {
                        self.pending_cr = true;
                    } else {
                        self.end_line(out);
                    }
                    input = &input[i + 1..];
                }
            }
        }
    }

    /// Terminate the last line if the file did not, then the reply.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.done {
            if self.pending_cr {
                self.pending_cr = false;
                self.content(b"\r", out);
            }
            if !self.at_line_start {
                out.extend_from_slice(b"\r\n");
            }
        }
        self.done = true;
        out.extend_from_slice(b".\r\n");
    }

    /// A run of line content with no CR or LF in it.
    fn content(&mut self, run: &[u8], out: &mut Vec<u8>) {
        let Some(&first) = run.first() else { return };
        if self.at_line_start {
            self.at_line_start = false;
            if first == b'.' {
                out.push(b'.');
            }
        }
        self.line_len += run.len();
        out.extend_from_slice(run);
    }

    fn end_line(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\r\n");
        let was_empty = self.line_len == 0;
        self.at_line_start = true;
        self.line_len = 0;
        if self.in_headers {
            if was_empty {
                self.in_headers = false;
                if self.body_lines_left == Some(0) {
                    self.done = true;
                }
            }
        } else if let Some(left) = self.body_lines_left.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.done = true;
            }
        }
    }
}

/// Encode a whole message at once (tests and small bodies).
pub fn encode_body(message: &[u8], top: Option<u64>) -> Vec<u8> {
    let mut enc = BodyEncoder::new(top);
    let mut out = Vec::new();
    enc.encode(message, &mut out);
    enc.finish(&mut out);
    out
}

/// Undo byte-stuffing on a multi-line body that ends with ".\r\n" (used by
/// tests to check that encode and decode agree).
pub fn unstuff(body: &[u8]) -> Option<Vec<u8>> {
    let body = body.strip_suffix(b".\r\n")?;
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_split_on_crlf_and_lf() {
        let mut r = LineReader::new();
        r.push(b"USER alice\r\nSTAT\nNO");
        assert_eq!(r.next_line(), Some(Line::Complete(b"USER alice".to_vec())));
        assert_eq!(r.next_line(), Some(Line::Complete(b"STAT".to_vec())));
        assert_eq!(r.next_line(), None);
        r.push(b"OP\r\n");
        assert_eq!(r.next_line(), Some(Line::Complete(b"NOOP".to_vec())));
    }

    #[test]
    fn a_255_octet_line_is_accepted_and_256_is_not() {
        let mut r = LineReader::new();
        let ok = format!("NOOP {}\r\n", "x".repeat(255 - 7));
        assert_eq!(ok.len(), 255);
        r.push(ok.as_bytes());
        assert!(matches!(r.next_line(), Some(Line::Complete(_))));
        let long = format!("NOOP {}\r\n", "x".repeat(256 - 7));
        r.push(long.as_bytes());
        assert_eq!(r.next_line(), Some(Line::TooLong));
        r.push(b"STAT\r\n");
        assert_eq!(r.next_line(), Some(Line::Complete(b"STAT".to_vec())));
    }

    #[test]
    fn an_endless_line_keeps_memory_bounded() {
        let mut r = LineReader::new();
        for _ in 0..1000 {
            r.push(&[b'a'; 1000]);
            assert_eq!(r.next_line(), None);
            assert!(r.buffered() <= 1000 + MAX_COMMAND_LINE);
        }
        r.push(b"\r\nQUIT\r\n");
        assert_eq!(r.next_line(), Some(Line::TooLong));
        assert_eq!(r.next_line(), Some(Line::Complete(b"QUIT".to_vec())));
    }

    #[test]
    fn discard_drops_pipelined_bytes() {
        let mut r = LineReader::new();
        r.push(b"STLS\r\nUSER evil\r\n");
        assert_eq!(r.next_line(), Some(Line::Complete(b"STLS".to_vec())));
        assert_eq!(r.discard_buffered(), 11);
        assert_eq!(r.next_line(), None);
    }

    #[test]
    fn dots_are_stuffed_and_lf_becomes_crlf() {
        let msg = b"Subject: x\n\n.\n..two\n. space\nend";
        let out = encode_body(msg, None);
        assert_eq!(
            out,
            b"Subject: x\r\n\r\n..\r\n...two\r\n.. space\r\nend\r\n.\r\n".to_vec()
        );
        assert_eq!(crlf_len(msg), (out.len() - 3 - 3) as u64);
    }

    #[test]
    fn top_stops_after_the_asked_body_lines() {
        let msg = b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n";
        assert_eq!(encode_body(msg, Some(0)), b"A: 1\r\nB: 2\r\n\r\n.\r\n");
        assert_eq!(
            encode_body(msg, Some(2)),
            b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n.\r\n"
        );
        assert_eq!(encode_body(msg, Some(99)), encode_body(msg, None));
        // A message with no body at all.
        assert_eq!(encode_body(b"A: 1\n", Some(0)), b"A: 1\r\n.\r\n");
    }

    #[test]
    fn lone_cr_stays_part_of_the_line() {
        assert_eq!(encode_body(b"a\rb\n", None), b"a\rb\r\n.\r\n");
        assert_eq!(crlf_len(b"a\rb\n"), 5);
        assert_eq!(encode_body(b"a\r", None), b"a\r\r\n.\r\n");
        assert_eq!(crlf_len(b"a\r"), 4);
    }

    proptest! {
        #[test]
        fn chunking_does_not_change_the_output(msg in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
            let cut = cut.min(msg.len());
            let mut enc = BodyEncoder::new(None);
            let mut out = Vec::new();
            enc.encode(&msg[..cut], &mut out);
            enc.encode(&msg[cut..], &mut out);
            enc.finish(&mut out);
            prop_assert_eq!(&out, &encode_body(&msg, None));
        }

        #[test]
        fn runs_encode_as_octet_by_octet_would(msg in proptest::collection::vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a')], 0..300), cuts in proptest::collection::vec(0usize..300, 0..5), top in proptest::option::of(0u64..6)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(msg.len())).collect();
            cuts.sort_unstable();
            let mut enc = BodyEncoder::new(top);
            let mut out = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([msg.len()]) {
                enc.encode(&msg[from..cut], &mut out);
                from = cut;
            }
            enc.finish(&mut out);
            prop_assert_eq!(out, octet_by_octet(&msg, top));
        }

        #[test]
        fn counting_in_pieces_gives_the_same_size(msg in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a')], 0..200), cuts in proptest::collection::vec(0usize..200, 0..4)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(msg.len())).collect();
            cuts.sort_unstable();
            let mut c = CrlfLen::default();
            let mut from = 0;
            for cut in cuts.into_iter().chain([msg.len()]) {
                c.feed(&msg[from..cut]);
                from = cut;
            }
            prop_assert_eq!(c.total(), crlf_len(&msg));
        }

        #[test]
        fn size_matches_the_unstuffed_body(msg in proptest::collection::vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a')], 0..200)) {
            let out = encode_body(&msg, None);
            let plain = unstuff(&out).unwrap();
            prop_assert_eq!(plain.len() as u64, crlf_len(&msg));
            // No line of the body is a lone "." before the terminator.
            prop_assert!(!out[..out.len() - 3].windows(5).any(|w| w == b"\r\n.\r\n"));
            prop_assert!(!out.starts_with(b".\r\n") || out.len() == 3);
        }
    }

    /// The encoding rules written the slow, obvious way, one octet at a
    /// time, to check the run-at-a-time encoder against.
    fn octet_by_octet(msg: &[u8], top: Option<u64>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut line = Vec::new();
        let mut i = 0;
        let mut ended = true;
        while i < msg.len() {
            match msg[i] {
                b'\n' => {
                    lines.push(std::mem::take(&mut line));
                    ended = true;
                }
                b'\r' if msg.get(i + 1) == Some(&b'\n') => {
                    lines.push(std::mem::take(&mut line));
                    ended = true;
                    i += 1;
                }
                b => {
                    line.push(b);
                    ended = false;
                }
            }
            i += 1;
        }
        if !ended {
            lines.push(line);
        }
        let mut in_headers = true;
        let mut body_left = top;
        for l in lines {
            if l.first() == Some(&b'.') {
                out.push(b'.');
            }
            out.extend_from_slice(&l);
            out.extend_from_slice(b"\r\n");
            if in_headers {
                if l.is_empty() {
                    in_headers = false;
                    if body_left == Some(0) {
                        break;
                    }
                }
            } else if let Some(left) = body_left.as_mut() {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    break;
                }
            }
        }
        out.extend_from_slice(b".\r\n");
        out
    }
}
