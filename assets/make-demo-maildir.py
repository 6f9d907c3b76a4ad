#!/usr/bin/env python3
"""Build the popscope demo Maildir under assets/maildir/.

Run it from anywhere:

    python3 assets/make-demo-maildir.py

It needs only the Python standard library and always writes exactly the same
bytes, so running it again on a clean checkout leaves `git status` unchanged.
The output is a real Maildir: one file per message in USER/cur/, LF line
endings (the way an MTA stores mail on Unix), file names of the form
TIMESTAMP.M<seq>P<pid>.popscope:2,S so that sorting by name gives delivery
order and the names (and hence the server's UIDs) never change.

Only USER/cur/ is written: git cannot keep the empty new/ and tmp/ folders,
so the program creates them when it copies the maildir into place.

When you add, remove or edit a message here, run the script, then update
src/mailbox/demo.rs (its test compares the embedded list with this folder)
and the expected values at the top of tests/peers/poplib_check.py.
"""

import base64
import quopri
import struct
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAILDIR = HERE / "maildir"

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def rfc5322_date(ts, offset_minutes=0):
    """Format a Unix time as an RFC 5322 date in a fixed UTC offset."""
    t = time.gmtime(ts + offset_minutes * 60)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    sign = "+" if offset_minutes >= 0 else "-"
    off = abs(offset_minutes)
    return "%s, %d %s %d %02d:%02d:%02d %s%02d%02d" % (
        days[t.tm_wday], t.tm_mday, months[t.tm_mon - 1], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec, sign, off // 60, off % 60)


def encoded_words(text, charset, codec, prefix_len):
    """RFC 2047 B-encoding of `text`, split into several encoded-words when
    needed.

    Each word is encoded on its own, so for ISO-2022-JP every word starts and
    ends in ASCII mode as RFC 1468 requires. No encoded-word is longer than 75
    characters, and the first folded line, which also carries the header name
    (`prefix_len` characters including ": "), stays within 76 characters.
    The words are joined with LF + space (folding whitespace; decoders drop it
    between adjacent encoded-words).
    """
    def word(chunk):
        data = base64.b64encode(chunk.encode(codec)).decode("ascii")
        return "=?%s?B?%s?=" % (charset, data)

    words = []
    chunk = ""
    limit = min(75, 76 - prefix_len)
    for ch in text:
        if chunk and len(word(chunk + ch)) > limit:
            words.append(word(chunk))
            chunk = ch
            limit = 75
        else:
            chunk += ch
    if chunk:
        words.append(word(chunk))
    return "\n ".join(words)


def iso2022_jp_body(text):
    """Encode a Japanese text line by line, so every line ends in ASCII."""
    return b"\n".join(line.encode("iso2022_jp") for line in text.split("\n"))


def received(ts, for_addr, hop):
    """Two Received: fields (newest first), as a real MTA chain would add."""
    lines = []
    lines.append(
        "Received: from mx1.popscope.test (mx1.popscope.test [192.0.2.25])\n"
        "\tby mail.popscope.test (popscope-mta) with ESMTPS id %s\n"
        "\tfor <%s>; %s" % (hop, for_addr, rfc5322_date(ts + 2)))
    lines.append(
        "Received: from relay.example.net (relay.example.net [198.51.100.7])\n"
        "\tby mx1.popscope.test (popscope-mta) with ESMTP id %sR\n"
        "\tfor <%s>; %s" % (hop, for_addr, rfc5322_date(ts + 1)))
    return "\n".join(lines)


def message(ts, seq, to_addr, headers, body, received_count=2):
    """Assemble one message file.

    `headers` is a list of complete header lines (without the trace fields,
    which are added here). `body` is bytes, or str for pure-ASCII/UTF-8 text.
    Returns bytes with LF line endings, ending in exactly one LF.
    """
    trace = [
        "Return-Path: <%s>" % headers_from_addr(headers),
        "Delivered-To: %s" % to_addr,
    ]
    rec = received(ts, to_addr, "4P%07X" % (ts % 0xFFFFFFF + seq))
    if received_count == 1:
        rec = rec.split("\nReceived: ")[0]
    trace.append(rec)
    head = "\n".join(trace + headers).encode("ascii")
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body.rstrip(b"\n") + b"\n"
    data = head + b"\n\n" + body
    assert b"\r" not in data, "messages are stored with LF line endings"
    return data


def headers_from_addr(headers):
    for h in headers:
        if h.startswith("From:"):
            return h[h.rindex("<") + 1:h.rindex(">")]
    raise ValueError("message without From:")


def xorshift32(seed):
    """A tiny deterministic PRNG (same output on every Python version)."""
    x = seed & 0xFFFFFFFF
    while True:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        yield x


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def stored_zlib(raw):
    """A zlib stream made of 'stored' (uncompressed) deflate blocks.

    zlib.compress() output may differ between zlib builds, stored blocks do
    not, so the PNG bytes are the same on every machine. It also keeps the
    picture at its full size, which is the point: we want a big attachment.
    """
    out = bytearray(b"\x78\x01")
    pos = 0
    while True:
        block = raw[pos:pos + 65535]
        pos += len(block)
        final = 1 if pos >= len(raw) else 0
        out += bytes([final]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF)
        out += block
        if final:
            break
    out += struct.pack(">I", zlib.adler32(raw) & 0xFFFFFFFF)
    return bytes(out)


def lab_photo_png(width=224, height=224):
    """A real, valid RGB PNG: a noisy evening-sky gradient with an envelope."""
    rng = xorshift32(0x9E3779B9)
    rows = bytearray()
    # Envelope rectangle and the two lines of its flap.
    ex0, ey0, ex1, ey1 = 52, 70, 172, 154
    cx, cy = (ex0 + ex1) // 2, (ey0 + ey1) // 2 + 4
    for y in range(height):
        rows.append(0)  # filter type: None
        for x in range(width):
            noise = next(rng) % 23 - 11
            r = 30 + y * 60 // height + noise
            g = 40 + x * 80 // width + noise
            b = 110 + (x + y) * 100 // (width + height) + noise
            if ex0 <= x <= ex1 and ey0 <= y <= ey1:
                edge = x in (ex0, ex1) or y in (ey0, ey1)
                # Flap: the two lines from the top corners down to the centre.
                flap = False
                if y <= cy:
                    left = ex0 + (y - ey0) * (cx - ex0) // max(cy - ey0, 1)
                    right = ex1 - (y - ey0) * (ex1 - cx) // max(cy - ey0, 1)
                    flap = abs(x - left) <= 1 or abs(x - right) <= 1
                if edge or flap:
                    r, g, b = 40, 40, 60
                else:
                    r, g, b = 245 + noise // 4, 240 + noise // 4, 225 + noise // 4
            rows += bytes([max(0, min(255, r)), max(0, min(255, g)),
                           max(0, min(255, b))])
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    text = png_chunk(b"tEXt", b"Comment\x00popscope demo attachment")
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + text
            + png_chunk(b"IDAT", stored_zlib(bytes(rows)))
            + png_chunk(b"IEND", b""))


def base64_lines(data):
    enc = base64.b64encode(data).decode("ascii")
    return "\n".join(enc[i:i + 76] for i in range(0, len(enc), 76))


# ---------------------------------------------------------------------------
# alice's messages
# ---------------------------------------------------------------------------

ALICE = "alice@popscope.test"
BOB = "bob@popscope.test"


def alice_messages():
    msgs = []

    # 1. Welcome, UTF-8, 8bit.
    ts = 1764201600
    body = """Hi Alice,

Welcome to the popscope lab! This mailbox lives on a small POP3 server that
runs on your own machine, so nothing you try here can bother anybody else.

During the next sessions you will:

  * sign in with USER/PASS and with APOP, and compare what each one puts
    on the wire;
  * list, read and delete messages, then hang up without QUIT and notice
    that the server forgot your deletions;
  * move the same conversation into TLS with STLS, then talk to port 995.

Keep the eavesdropper pane open next to the client. Anything it can read,
a stranger on the same network could read too.

See you at the bench \u2014 bring questions, and coffee \u2615.

Ada Quill
"""
    msgs.append((ts, 100001, message(ts, 1, ALICE, [
        "Date: " + rfc5322_date(ts - 60),
        "From: Ada Quill <quill@popscope.test>",
        "To: Alice <alice@popscope.test>",
        "Subject: Welcome to the popscope lab",
        "Message-ID: <welcome.%d@popscope.test>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ], body)))

    # 2. Japanese, ISO-2022-JP, with encoded-word Subject and From.
    ts = 1764205200
    subject = "来週のクラスミーティングについて"
    sender = "田中 先生"
    body = """アリスさん

来週の火曜日、午後三時から二〇四教室でクラスミーティングを開きます。
議題は期末発表の順番と、POP3実験のふりかえりの二つです。
自分のメールボックスから受信したメッセージを一通選んで、
画面で見せられるように準備しておいてください。

都合が悪い人は、前の日までに返信してください。

田中"""
    msgs.append((ts, 100002, message(ts, 2, ALICE, [
        "Date: " + rfc5322_date(ts - 120, 9 * 60),
        "From: %s <tanaka@example.net>" % encoded_words(
            sender, "ISO-2022-JP", "iso2022_jp", len("From: ")),
        "To: alice@popscope.test",
        "Subject: " + encoded_words(
            subject, "ISO-2022-JP", "iso2022_jp", len("Subject: ")),
        "Message-ID: <meeting-%d@example.net>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=ISO-2022-JP",
        "Content-Transfer-Encoding: 7bit",
    ], iso2022_jp_body(body))))

    # 3. Lines that start with a dot (POP3 byte-stuffing).
    ts = 1764208800
    body = """Alice,

A POP3 server ends every multi-line reply with a line that holds only a
dot, so any line of the message that starts with a dot must get an extra
dot in front of it on the wire, and the client must take it off again.

Every line between the two markers below starts with a dot. If your client
shows them exactly as they are written here, stuffing works both ways.

---- begin ----
.hidden
..
.
. leading dot
...three dots and some text
.
.signature
---- end ----

If this message seems to stop right after the line with two dots, somebody
forgot to stuff the lone dot that follows it. Look at the capture.

P.S. The very last line of this message is a lone dot as well:
.
"""
    msgs.append((ts, 100003, message(ts, 3, ALICE, [
        "Date: " + rfc5322_date(ts - 30),
        "From: Dot Matrix <dots@example.net>",
        "To: alice@popscope.test",
        "Subject: Lines that start with a dot",
        "Message-ID: <dots.%d@example.net>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
    ], body)))

    # 4. multipart/mixed with a ~150 KB PNG attachment (~200 KB in base64).
    ts = 1764212400
    png = lab_photo_png()
    boundary = "=_popscope_7d41c0a2"
    body = """This is a multi-part message in MIME format.

--%(b)s
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Hi Alice,

Here is the picture of the lab bench from Tuesday. It is about 150 KB, which
turns into roughly 200 KB once base64 has had its way with it. Try RETR on
this one and watch how many TCP segments the eavesdropper counts, then try
TOP with zero lines and compare.

Bob

--%(b)s
Content-Type: image/png; name="lab-photo.png"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="lab-photo.png"

%(data)s

--%(b)s--
""" % {"b": boundary, "data": base64_lines(png)}
    msgs.append((ts, 100004, message(ts, 4, ALICE, [
        "Date: " + rfc5322_date(ts - 300),
        "From: Bob <bob@popscope.test>",
        "To: Alice <alice@popscope.test>",
        "Subject: Photo of the lab bench",
        "Message-ID: <photo.%d@popscope.test>" % ts,
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="%s"' % boundary,
    ], body, received_count=1)))

    # 5. Very long lines.
    ts = 1764216000
    ruler = "".join(
        str((i // 10) % 10) if i % 10 == 0 else ("+" if i % 5 == 0 else "-")
        for i in range(1, 1201))
    assert len(ruler) == 1200
    rng = xorshift32(20251127)
    cmds = ["USER", "PASS", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE",
            "NOOP", "QUIT"]
    parts = []
    i = 0
    while sum(len(p) + 1 for p in parts) < 5200:
        i += 1
        parts.append("s%04d=%s/%dms" % (i, cmds[next(rng) % len(cmds)],
                                        1 + next(rng) % 40))
    summary = "load-summary: " + " ".join(parts)
    assert len(summary) >= 5000 and summary.isascii()
    body = """Alice,

The load generator printed its whole summary on a single line again. I am
passing it on untouched, so you can see what long lines do to the tools.

Next comes a ruler that is exactly 1200 characters long:
%s

And here is the summary, %d characters without a single line break:
%s

RFC 5322 asks senders to keep lines below 998 characters, and some clients
read lines into fixed-size buffers (Python's poplib refuses anything over
2048 bytes). A POP3 server should not care: it passes the bytes through.

-- 
the build robot
""" % (ruler, len(summary), summary)
    msgs.append((ts, 100005, message(ts, 5, ALICE, [
        "Date: " + rfc5322_date(ts - 5),
        "From: Build Robot <ci@example.net>",
        "To: alice@popscope.test",
        "Subject: Load test summary (one very long line)",
        "Message-ID: <ci-%d@example.net>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 7bit",
    ], body)))

    # 6. UTF-8, quoted-printable body, Q-encoded UTF-8 subject.
    ts = 1764219600
    text = """Hi Alice,

A quick note from the security desk. The password you type into this lab crosses the network in the clear unless you use STLS or port 995. Anyone on the path \u2014 the caf\u00e9 Wi-Fi, a curious flatmate, the eavesdropper pane \u2014 can read it.

That is why \u201cwonderland\u201d must never be a password you use anywhere else. When one site leaks a password, attackers try the same name and password on every other service they can reach; reuse turns a single breach into many.

An easy rule: one site = one password, and let a password manager remember them for you. Being careful is not na\u00efve.

Thanks,
the Security Desk
"""
    qp = quopri.encodestring(text.encode("utf-8"))
    subject = "Password reuse \u2014 one site, one password"
    q_subject = "=?UTF-8?Q?%s?=" % "".join(
        c if (c.isalnum() and c.isascii()) or c in ",."
        else ("_" if c == " " else "".join("=%02X" % b for b in c.encode("utf-8")))
        for c in subject)
    msgs.append((ts, 100006, message(ts, 6, ALICE, [
        "Date: " + rfc5322_date(ts - 45, 60),
        "From: Security Desk <security@popscope.test>",
        "To: alice@popscope.test",
        "Subject: " + q_subject,
        "Message-ID: <reuse.%d@popscope.test>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ], qp)))

    # 7. Tabs and trailing white space that must survive untouched.
    ts = 1764223200
    body = ("Alice,\n"
            "\n"
            "Servers and clients love to \"tidy up\" white space. Nothing below should\n"
            "change on the way to you: the table uses tabs, several lines end in\n"
            "spaces, one line is only spaces and another is a single tab.\n"
            "\n"
            "command\tstate\tmulti-line\n"
            "STAT\tTRANSACTION\tno\n"
            "LIST\tTRANSACTION\tyes\n"
            "CAPA\tany\tyes\n"
            "\n"
            "this line ends with two spaces  \n"
            "this one with a tab\t\n"
            "    \n"
            "\t\n"
            "\tindented with a tab, and three spaces at the end   \n"
            "\n"
            "Whitespace Club\n")
    msgs.append((ts, 100007, message(ts, 7, ALICE, [
        "Date: " + rfc5322_date(ts - 10),
        "From: Whitespace Club <ws@example.net>",
        "To: alice@popscope.test",
        "Subject: Tabs, trailing spaces and blank-looking lines",
        "Message-ID: <ws.%d@example.net>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
    ], body)))

    # 8. Headers only: an empty body.
    ts = 1764226800
    data = message(ts, 8, ALICE, [
        "Date: " + rfc5322_date(ts - 1),
        "From: Bob <bob@popscope.test>",
        "To: alice@popscope.test",
        "Subject: (this message has no body)",
        "Message-ID: <empty.%d@popscope.test>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ], b"")
    # message() always ends the body with one LF; an empty body means the
    # file ends with the blank line that closes the header section.
    assert data.endswith(b"\n\n\n")
    data = data[:-1]
    msgs.append((ts, 100008, data))

    return msgs


# ---------------------------------------------------------------------------
# bob's messages
# ---------------------------------------------------------------------------


def bob_messages():
    msgs = []

    ts = 1764288000
    body = """Bob,

The POP3 server in room 204 stops answering after lunch every day. Can you
have a look before Thursday's session? The log ends with a TLS handshake
that never finishes.

Thanks!
Alice
"""
    msgs.append((ts, 200001, message(ts, 1, BOB, [
        "Date: " + rfc5322_date(ts - 90),
        "From: Alice <alice@popscope.test>",
        "To: Bob <bob@popscope.test>",
        "Subject: Can we fix it?",
        "Message-ID: <fixit.%d@popscope.test>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
    ], body)))

    ts = 1764291600
    subject = "実験室の鍵"
    sender = "佐藤"
    body = """ボブさん

実験室の鍵を事務室に預けておきました。
明日の朝、サーバーを再起動する前に受け取ってください。
よろしくお願いします。

佐藤"""
    msgs.append((ts, 200002, message(ts, 2, BOB, [
        "Date: " + rfc5322_date(ts - 200, 9 * 60),
        "From: %s <sato@example.net>" % encoded_words(
            sender, "ISO-2022-JP", "iso2022_jp", len("From: ")),
        "To: bob@popscope.test",
        "Subject: " + encoded_words(
            subject, "ISO-2022-JP", "iso2022_jp", len("Subject: ")),
        "Message-ID: <key-%d@example.net>" % ts,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=ISO-2022-JP",
        "Content-Transfer-Encoding: 7bit",
    ], iso2022_jp_body(body))))

    ts = 1764295200
    body = """Alice,

Yes we can. The server was waiting forever for clients that opened a
connection and never finished the TLS handshake. It now gives up after
thirty seconds.

Bob
"""
    msgs.append((ts, 200003, message(ts, 3, BOB, [
        "Date: " + rfc5322_date(ts - 15),
        "From: Bob <bob@popscope.test>",
        "To: Alice <alice@popscope.test>, bob@popscope.test",
        "Subject: Re: Can we fix it?",
        "Message-ID: <fixed.%d@popscope.test>" % ts,
        "In-Reply-To: <fixit.1764288000@popscope.test>",
        "References: <fixit.1764288000@popscope.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
    ], body, received_count=1)))

    return msgs


# ---------------------------------------------------------------------------


def write_user(user, msgs):
    cur = MAILDIR / user / "cur"
    cur.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for ts, seq, data in msgs:
        name = "%d.M%dP4242.popscope:2,S" % (ts, seq)
        wanted[name] = data
    for old in cur.iterdir():
        if old.name not in wanted:
            print("removing stale %s" % old, file=sys.stderr)
            old.unlink()
    rows = []
    for n, name in enumerate(sorted(wanted), 1):
        data = wanted[name]
        (cur / name).write_bytes(data)
        crlf_size = len(data) + data.count(b"\n")
        rows.append((n, name, len(data), crlf_size))
    return rows


def main():
    total = {}
    for user, msgs in (("alice", alice_messages()), ("bob", bob_messages())):
        rows = write_user(user, msgs)
        print("%s:" % user)
        for n, name, size, crlf in rows:
            print("  %d  %-40s %7d bytes on disk, %7d octets with CRLF"
                  % (n, name, size, crlf))
        total[user] = sum(r[3] for r in rows)
        print("  %d messages, %d octets with CRLF" % (len(rows), total[user]))


if __name__ == "__main__":
    main()
