#!/usr/bin/env python3
r"""Drive the popscope POP3 server with Python's standard poplib.

A Rust integration test starts the server on a fresh copy of the demo
maildir (assets/maildir, built by assets/make-demo-maildir.py) and runs

    python3 tests/peers/poplib_check.py --host 127.0.0.1 \
        --pop3-port P --pop3s-port S --cafile CA.pem \
        --user alice --password wonderland

Every public poplib method except utf8() (the server does not offer RFC
6856) is used at least once and its result compared with values known from
the demo maildir, so a second, independent POP3 client has to agree with
the server on framing, sizes, dot-stuffing, UIDs, locking, deletion
semantics and TLS. AUTH PLAIN and PIPELINING, which poplib has no methods
for, go through poplib's internal line helpers. Only the standard library
is needed. The expected values are alice's; other users will fail.

Success prints "poplib: N checks passed" and exits 0. The first failing
check is reported on stderr and the exit status is 1.

The expected values below describe alice's demo maildrop. If the demo
messages change, run assets/make-demo-maildir.py and copy the new sizes
(its "octets with CRLF" column) and subjects here.
"""

import argparse
import base64
import email
import email.policy
import hashlib
import poplib
import re
import socket
import ssl
import sys
import time
import traceback

# ---------------------------------------------------------------------------
# What the server must serve for alice: (size in octets with CRLF line
# endings, decoded Subject), in delivery order (message numbers 1..8).
# ---------------------------------------------------------------------------
EXPECTED = [
    (1438, "Welcome to the popscope lab"),
    (1205, "来週のクラスミーティングについて"),
    (1436, "Lines that start with a dot"),
    (207618, "Photo of the lab bench"),
    (7696, "Load test summary (one very long line)"),
    (1481, "Password reuse \u2014 one site, one password"),
    (1189, "Tabs, trailing spaces and blank-looking lines"),
    (697, "(this message has no body)"),
]
EXPECTED_COUNT = 8
EXPECTED_TOTAL = 222760
assert len(EXPECTED) == EXPECTED_COUNT
assert sum(size for size, _ in EXPECTED) == EXPECTED_TOTAL

MSG_WELCOME = 1
MSG_JAPANESE = 2
MSG_DOTS = 3
MSG_PHOTO = 4
MSG_LONG = 5
MSG_QP = 6
MSG_WHITESPACE = 7
MSG_EMPTY_BODY = 8

# The lines between the markers of the dot-stuffing message, as stored.
DOT_LINES = [b".hidden", b"..", b".", b". leading dot",
             b"...three dots and some text", b".", b".signature"]
# The attachment of the photo message.
PHOTO_NAME = "lab-photo.png"
PHOTO_LEN = 150874
PHOTO_SHA256 = "7497324b7655ffdfb1b8b67501720e62d17c24a2d7916f032b33d1ce30036814"
# Lengths of the two long lines in the long-line message.
LONG_LINE_LENGTHS = [1200, 5213]

CAPABILITIES = ["TOP", "USER", "UIDL", "SASL", "RESP-CODES",
                "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION"]
TIMEOUT = 15.0
# How long a login may keep answering [IN-USE] right after the previous
# session of the same user ended (the server may release the maildrop lock
# a moment after it has closed that connection).
LOCK_WAIT_SECONDS = 5.0


class CheckFailed(Exception):
    pass


def short(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...(%d chars)" % len(text)


class Checks:
    """Counts checks; the first failure raises CheckFailed with a clear text."""

    def __init__(self):
        self.count = 0
        self.section = ""

    def ok(self, condition, what):
        self.count += 1
        if not condition:
            raise CheckFailed("[%s] %s" % (self.section, what))

    def eq(self, got, want, what):
        self.ok(got == want, "%s: got %s, expected %s" % (what, short(got), short(want)))

    def plus_ok(self, resp, what):
        self.ok(isinstance(resp, bytes) and resp.startswith(b"+OK"),
                "%s: expected a +OK reply, got %s" % (what, short(resp)))
        return resp

    def raises(self, exc_type, what, fn, *args, **kwargs):
        """Call fn, which must raise exc_type; return the exception.

        Only the expected exception type is caught; anything else, and the
        absence of an exception, is a failure.
        """
        try:
            result = fn(*args, **kwargs)
        except exc_type as exc:
            self.count += 1
            return exc
        raise CheckFailed("[%s] %s: expected %s, but the call returned %s"
                          % (self.section, what, exc_type.__name__, short(result)))

    def err_reply(self, exc, what, code=None):
        """An error_proto raised for a server reply: -ERR, optionally a code."""
        reply = exc.args[0] if exc.args else None
        self.ok(isinstance(reply, bytes) and reply.startswith(b"-ERR"),
                "%s: expected a -ERR reply from the server, got %s" % (what, short(reply)))
        if code is not None:
            self.ok(code in reply, "%s: expected %s in %s" % (what, code, short(reply)))
        return reply


C = Checks()


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def wire_size(lines):
    """Octets of a multi-line reply body as the server counts them: every
    un-stuffed line plus its CRLF."""
    return sum(len(line) + 2 for line in lines)


def header_end(lines):
    """Index of the blank line that ends the header section."""
    return lines.index(b"")


def parse_pairs(lines, what):
    """Parse 'n value' lines of LIST/UIDL into [(n, value)]."""
    pairs = []
    for line in lines:
        parts = line.split()
        C.eq(len(parts), 2, "%s line %r has two fields" % (what, line))
        pairs.append((int(parts[0]), parts[1]))
    return pairs


def parse_message(lines):
    return email.message_from_bytes(b"\r\n".join(lines) + b"\r\n",
                                    policy=email.policy.default)


def in_use(exc):
    return isinstance(exc, poplib.error_proto) and exc.args and \
        isinstance(exc.args[0], bytes) and b"[IN-USE]" in exc.args[0]


def login_with_retry(conn, attempt):
    """Run attempt(conn) (USER/PASS, APOP, ...) on conn; if the maildrop is
    still locked by the session that just ended, wait and try again on the
    same connection. Returns the +OK reply."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    counted = C.count
    while True:
        try:
            return attempt(conn)
        except poplib.error_proto as exc:
            if not in_use(exc) or time.monotonic() > deadline:
                raise
        # Checks passed in an attempt that had to be repeated are not
        # counted twice, so the total is the same on every run.
        C.count = counted
        time.sleep(0.05)


def user_pass(args):
    def attempt(conn):
        C.plus_ok(conn.user(args.user), "USER")
        return C.plus_ok(conn.pass_(args.password), "PASS")
    return attempt


def plain(args):
    return poplib.POP3(args.host, args.pop3_port, timeout=TIMEOUT)


def open_session(args):
    """A new cleartext connection, logged in with USER/PASS."""
    conn = plain(args)
    login_with_retry(conn, user_pass(args))
    return conn


def check_greeting(welcome, what):
    C.plus_ok(welcome, what)
    C.ok(re.search(rb"<[^<>\s]+@[^<>\s]+>", welcome) is not None,
         "%s carries an APOP timestamp <...@...>: %r" % (what, welcome))
    C.ok(poplib.POP3.timestamp.match(welcome) is not None,
         "poplib's own APOP pattern matches %r" % welcome)
    return re.search(rb"<[^<>\s]+@[^<>\s]+>", welcome).group(0)


def check_uid(uid):
    C.ok(1 <= len(uid) <= 70, "UID %r has 1..70 characters" % uid)
    C.ok(all(0x21 <= b <= 0x7E for b in uid), "UID %r is printable ASCII" % uid)


def uid_list(conn):
    resp, lines, octets = conn.uidl()
    C.plus_ok(resp, "UIDL")
    C.eq(octets, wire_size(lines), "UIDL octets")
    return parse_pairs(lines, "UIDL")


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def greeting_and_capa(args):
    """Greeting, CAPA before login, an unsupported command, close()."""
    C.section = "greeting"
    conn = plain(args)
    conn.set_debuglevel(0)
    welcome = conn.getwelcome()
    stamp = check_greeting(welcome, "greeting")

    caps = conn.capa()
    for key in CAPABILITIES + ["STLS"]:
        C.ok(key in caps, "CAPA lists %s (got %s)" % (key, sorted(caps)))
    C.ok("PLAIN" in caps["SASL"], "SASL offers PLAIN: %r" % caps["SASL"])
    C.ok(len(caps["IMPLEMENTATION"]) >= 1, "IMPLEMENTATION has a value")
    for key in ["TOP", "USER", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                "PIPELINING", "STLS"]:
        C.eq(caps[key], [], "CAPA %s has no arguments" % key)

    # RPOP (RFC 1081) is not part of RFC 1939; the server must refuse it
    # with -ERR and keep the session usable.
    exc = C.raises(poplib.error_proto, "RPOP is refused", conn.rpop, args.user)
    C.err_reply(exc, "RPOP")
    C.eq(conn.capa(), caps, "CAPA after a refused command")

    # Leave without QUIT: nothing was locked, the server must cope.
    conn.close()
    C.ok(conn.sock is None and conn.file is None, "close() dropped the socket")
    return stamp


def long_line_with_default_limit(conn):
    """poplib gives up on lines over poplib._MAXLINE (2048) bytes; the long
    line message shows it. The rest of the reply is read straight from the
    socket so the session stays in step, then the limit is raised."""
    if poplib._MAXLINE >= max(LONG_LINE_LENGTHS) + 2:
        return
    exc = C.raises(poplib.error_proto, "RETR of a 5000+ character line with the "
                   "default poplib line limit", conn.retr, MSG_LONG)
    C.eq(exc.args, ("line too long",), "poplib's own complaint")
    while True:
        raw = conn.file.readline()
        C.ok(raw != b"", "connection still open while draining the long reply")
        if raw == b".\r\n":
            break
    C.plus_ok(conn.noop(), "NOOP after draining the long reply")
    poplib._MAXLINE = 1 << 16


def read_everything(args):
    """USER/PASS, STAT, LIST, UIDL, TOP, RETR of every message, [IN-USE],
    pipelining, NOOP, DELE + RSET, QUIT. Changes nothing on the server."""
    C.section = "read"
    conn = plain(args)
    check_greeting(conn.getwelcome(), "greeting")
    C.plus_ok(conn.user(args.user), "USER")
    C.plus_ok(conn.pass_(args.password), "PASS")

    count, size = conn.stat()
    C.eq(count, EXPECTED_COUNT, "STAT message count")
    C.eq(size, EXPECTED_TOTAL, "STAT maildrop size")

    resp, lines, octets = conn.list()
    C.plus_ok(resp, "LIST")
    C.eq(octets, wire_size(lines), "LIST octets")
    listing = parse_pairs(lines, "LIST")
    C.eq([n for n, _ in listing], list(range(1, count + 1)), "LIST numbers")
    sizes = [int(s) for _, s in listing]
    C.eq(sizes, [s for s, _ in EXPECTED], "LIST sizes")
    C.eq(sum(sizes), size, "sum of LIST sizes equals the STAT size")
    for n, msg_size in enumerate(sizes, 1):
        resp = C.plus_ok(conn.list(n), "LIST %d" % n)
        C.eq(resp.split()[1:3], [b"%d" % n, b"%d" % msg_size], "LIST %d scan listing" % n)

    uids = uid_list(conn)
    C.eq([n for n, _ in uids], list(range(1, count + 1)), "UIDL numbers")
    uids = [u for _, u in uids]
    for uid in uids:
        check_uid(uid)
    C.eq(len(set(uids)), len(uids), "UIDs are unique")
    for n, uid in enumerate(uids, 1):
        resp = C.plus_ok(conn.uidl(n), "UIDL %d" % n)
        C.eq(resp.split()[1:3], [b"%d" % n, uid], "UIDL %d" % n)
    C.eq([u for _, u in uid_list(conn)], uids, "UIDL is stable within a session")

    # A second session for the same user must be refused while this one
    # holds the maildrop (RFC 2449 IN-USE).
    other = plain(args)
    C.plus_ok(other.user(args.user), "USER in a second session")
    exc = C.raises(poplib.error_proto, "PASS while the maildrop is locked",
                   other.pass_, args.password)
    C.err_reply(exc, "PASS while locked", b"[IN-USE]")
    C.plus_ok(other.quit(), "QUIT of the refused session")

    long_line_with_default_limit(conn)

    bodies = {}
    for n, (msg_size, subject) in enumerate(EXPECTED, 1):
        resp, head, octets = conn.top(n, 0)
        C.plus_ok(resp, "TOP %d 0" % n)
        C.eq(octets, wire_size(head), "TOP %d 0 octets" % n)
        C.ok(b"" in head, "TOP %d 0 ends the headers with a blank line" % n)
        C.eq(header_end(head), len(head) - 1, "TOP %d 0 sends no body lines" % n)
        C.ok(any(line.lower().startswith(b"subject:") for line in head),
             "TOP %d 0 has a Subject line" % n)

        resp, lines, octets = conn.retr(n)
        C.plus_ok(resp, "RETR %d" % n)
        m = re.match(rb"\+OK (\d+)", resp)
        if m:
            C.eq(int(m.group(1)), msg_size, "octet count in the RETR %d reply" % n)
        C.eq(octets, msg_size, "RETR %d octets (poplib's count)" % n)
        C.eq(wire_size(lines), msg_size, "RETR %d lines + CRLF add up to the LIST size" % n)
        C.eq(lines[:len(head)], head, "RETR %d starts with exactly the TOP %d 0 headers" % (n, n))
        C.eq(str(parse_message(lines)["Subject"]), subject, "RETR %d Subject" % n)

        resp, top3, octets = conn.top(n, 3)
        C.plus_ok(resp, "TOP %d 3" % n)
        C.eq(top3, lines[:len(head) + 3], "TOP %d 3 is the headers and 3 body lines" % n)
        C.eq(octets, wire_size(top3), "TOP %d 3 octets" % n)
        bodies[n] = lines

    check_contents(bodies)

    # The first message again: must be identical.
    C.eq(conn.retr(1)[1], bodies[1], "RETR 1 a second time")

    # PIPELINING: three commands in one write, three replies in order.
    conn.sock.sendall(b"NOOP\r\nSTAT\r\nLIST 2\r\n")
    C.plus_ok(conn._getresp(), "pipelined NOOP")
    C.eq(conn._getresp().split()[1:3], [b"%d" % count, b"%d" % size], "pipelined STAT")
    C.eq(conn._getresp().split()[1:3], [b"2", b"%d" % sizes[1]], "pipelined LIST 2")

    C.plus_ok(conn.noop(), "NOOP")

    # DELE marks, RSET unmarks.
    victim = MSG_JAPANESE
    C.plus_ok(conn.dele(victim), "DELE %d" % victim)
    C.eq(conn.stat(), (count - 1, size - sizes[victim - 1]), "STAT after DELE %d" % victim)
    resp, lines, _ = conn.list()
    C.eq([n for n, _ in parse_pairs(lines, "LIST")],
         [n for n in range(1, count + 1) if n != victim], "LIST skips the deleted message")
    C.eq([u for _, u in uid_list(conn)], [u for i, u in enumerate(uids, 1) if i != victim],
         "UIDL skips the deleted message")
    for what, fn, fargs in [("LIST", conn.list, (victim,)),
                            ("UIDL", conn.uidl, (victim,)),
                            ("RETR", conn.retr, (victim,)),
                            ("TOP", conn.top, (victim, 0)),
                            ("DELE", conn.dele, (victim,))]:
        exc = C.raises(poplib.error_proto, "%s of a deleted message" % what, fn, *fargs)
        C.err_reply(exc, "%s %d after DELE" % (what, victim))
    for bad in [0, count + 1, 999999]:
        exc = C.raises(poplib.error_proto, "RETR %d (no such message)" % bad, conn.retr, bad)
        C.err_reply(exc, "RETR %d" % bad)
    C.plus_ok(conn.rset(), "RSET")
    C.eq(conn.stat(), (count, size), "STAT after RSET")
    C.eq(conn.list(victim).split()[1:3], [b"%d" % victim, b"%d" % sizes[victim - 1]],
         "LIST %d after RSET" % victim)
    C.eq(conn.retr(victim)[1], bodies[victim], "RETR %d after RSET" % victim)

    C.plus_ok(conn.quit(), "QUIT")
    return uids, bodies


def check_contents(bodies):
    """Message-specific checks on the retrieved lines."""
    msg = parse_message(bodies[MSG_WELCOME])
    text = msg.get_content()
    C.eq(msg.get_content_charset(), "utf-8", "welcome charset")
    C.ok("\u2014" in text and "\u2615" in text, "welcome body keeps its UTF-8 (8bit) characters")

    lines = bodies[MSG_JAPANESE]
    C.ok(all(b < 0x80 for line in lines for b in line), "ISO-2022-JP message is 7-bit")
    C.ok(any(b"\x1b$B" in line for line in lines), "ISO-2022-JP escape sequences survive")
    msg = parse_message(lines)
    C.eq(msg.get_content_charset(), "iso-2022-jp", "Japanese charset")
    C.eq(msg["From"].addresses[0].display_name, "田中 先生", "Japanese From display name")
    C.ok("クラスミーティング" in msg.get_content(), "Japanese body decodes")

    lines = bodies[MSG_DOTS]
    start = lines.index(b"---- begin ----")
    end = lines.index(b"---- end ----")
    C.eq(lines[start + 1:end], DOT_LINES, "lines starting with '.' come back un-stuffed")
    C.eq(lines[-1], b".", "the last line, a lone dot, is part of the message")

    msg = parse_message(bodies[MSG_PHOTO])
    C.eq(msg.get_content_type(), "multipart/mixed", "photo message type")
    attachments = list(msg.iter_attachments())
    C.eq([a.get_filename() for a in attachments], [PHOTO_NAME], "attachment name")
    data = attachments[0].get_content()
    C.eq(len(data), PHOTO_LEN, "attachment length")
    C.ok(data.startswith(b"\x89PNG\r\n\x1a\n"), "attachment is a PNG")
    C.eq(hashlib.sha256(data).hexdigest(), PHOTO_SHA256, "attachment SHA-256")

    lines = bodies[MSG_LONG]
    C.eq(sorted(len(line) for line in lines)[-2:], LONG_LINE_LENGTHS, "longest lines")
    C.ok(b"-- " in lines, "signature separator keeps its trailing space")

    msg = parse_message(bodies[MSG_QP])
    C.eq(msg["Content-Transfer-Encoding"], "quoted-printable", "QP message encoding")
    text = msg.get_content()
    C.ok("caf\u00e9" in text and "\u201cwonderland\u201d" in text and "one site = one" in text,
         "quoted-printable body decodes")

    lines = bodies[MSG_WHITESPACE]
    for want in [b"command\tstate\tmulti-line", b"this line ends with two spaces  ",
                 b"this one with a tab\t", b"    ", b"\t",
                 b"\tindented with a tab, and three spaces at the end   "]:
        C.ok(want in lines, "white space kept exactly: %r" % want)

    lines = bodies[MSG_EMPTY_BODY]
    C.eq(header_end(lines), len(lines) - 1, "headers-only message has no body lines")


def wrong_passwords(args):
    """[AUTH] on a bad password, then a good login on the same connection."""
    C.section = "auth"
    conn = plain(args)
    C.plus_ok(conn.user(args.user), "USER")
    exc = C.raises(poplib.error_proto, "PASS with a wrong password",
                   conn.pass_, args.password + "-not")
    C.err_reply(exc, "wrong password", b"[AUTH]")

    def unknown_user():
        conn.user("nobody-" + args.user)
        return conn.pass_(args.password)
    exc = C.raises(poplib.error_proto, "login as an unknown user", unknown_user)
    C.err_reply(exc, "unknown user")

    login_with_retry(conn, user_pass(args))
    C.eq(conn.stat(), (EXPECTED_COUNT, EXPECTED_TOTAL), "STAT after a failed try")
    C.plus_ok(conn.quit(), "QUIT")


def apop_login(args, first_stamp, uids):
    C.section = "apop"
    conn = plain(args)
    stamp = check_greeting(conn.getwelcome(), "greeting")
    C.ok(stamp != first_stamp, "APOP timestamps differ between connections")
    exc = C.raises(poplib.error_proto, "APOP with a wrong password",
                   conn.apop, args.user, args.password + "-not")
    C.err_reply(exc, "APOP wrong password", b"[AUTH]")
    login_with_retry(conn, lambda c: C.plus_ok(c.apop(args.user, args.password), "APOP"))
    C.eq(conn.stat(), (EXPECTED_COUNT, EXPECTED_TOTAL), "STAT after APOP")
    C.eq([u for _, u in uid_list(conn)], uids, "UIDs are the same in a new session")
    C.plus_ok(conn.quit(), "QUIT")


def sasl_plain(args):
    """AUTH PLAIN (RFC 5034): with an initial response, and with a "+ "
    continuation. poplib has no AUTH method, so its internal line helpers
    are used."""
    C.section = "sasl"
    token = base64.b64encode(b"\0" + args.user.encode() + b"\0" + args.password.encode())
    bad = base64.b64encode(b"\0" + args.user.encode() + b"\0" + b"not-" + args.password.encode())

    conn = plain(args)
    exc = C.raises(poplib.error_proto, "AUTH PLAIN with a wrong password",
                   conn._shortcmd, "AUTH PLAIN " + bad.decode())
    C.err_reply(exc, "AUTH PLAIN wrong password", b"[AUTH]")
    login_with_retry(conn, lambda c: C.plus_ok(c._shortcmd("AUTH PLAIN " + token.decode()),
                                               "AUTH PLAIN with initial response"))
    C.eq(conn.stat(), (EXPECTED_COUNT, EXPECTED_TOTAL), "STAT after AUTH PLAIN")
    C.plus_ok(conn.quit(), "QUIT")

    def two_step(c):
        cont = c._shortcmd("AUTH PLAIN")
        C.ok(cont.startswith(b"+ ") or cont == b"+", "AUTH PLAIN continuation: %r" % cont)
        c._putcmd(token.decode())
        return C.plus_ok(c._getresp(), "AUTH PLAIN after continuation")
    conn = plain(args)
    login_with_retry(conn, two_step)
    C.eq(conn.stat(), (EXPECTED_COUNT, EXPECTED_TOTAL), "STAT after two-step AUTH PLAIN")
    C.plus_ok(conn.quit(), "QUIT")


def trusted_context(args):
    return ssl.create_default_context(cafile=args.cafile)


def check_tls_socket(sock, args, what):
    C.ok(isinstance(sock, ssl.SSLSocket), "%s runs over TLS" % what)
    C.ok(sock.version() in ("TLSv1.2", "TLSv1.3"), "%s TLS version %s" % (what, sock.version()))
    sans = sock.getpeercert().get("subjectAltName", ())
    C.ok(("DNS", "localhost") in sans, "%s certificate names localhost: %r" % (what, sans))
    C.ok(("IP Address", "127.0.0.1") in sans, "%s certificate names 127.0.0.1: %r" % (what, sans))


def starttls(args, bodies):
    C.section = "stls"
    conn = plain(args)
    caps = conn.capa()
    C.ok("STLS" in caps, "CAPA offers STLS before TLS")
    C.plus_ok(conn.stls(trusted_context(args)), "STLS")
    check_tls_socket(conn.sock, args, "STLS session")
    caps = conn.capa()
    C.ok("STLS" not in caps, "CAPA no longer offers STLS after STLS: %s" % sorted(caps))
    for key in CAPABILITIES:
        C.ok(key in caps, "CAPA after STLS lists %s" % key)
    exc = C.raises(poplib.error_proto, "poplib refuses a second stls()",
                   conn.stls, trusted_context(args))
    C.ok("already" in exc.args[0], "client-side refusal: %r" % exc.args[0])
    exc = C.raises(poplib.error_proto, "server refuses STLS inside TLS",
                   conn._shortcmd, "STLS")
    C.err_reply(exc, "STLS inside TLS")
    login_with_retry(conn, user_pass(args))
    C.eq(conn.stat(), (EXPECTED_COUNT, EXPECTED_TOTAL), "STAT over STLS")
    resp, lines, octets = conn.retr(1)
    C.eq(lines, bodies[1], "RETR 1 over STLS")
    C.eq(octets, EXPECTED[0][0], "RETR 1 octets over STLS")
    C.plus_ok(conn.quit(), "QUIT over STLS")

    # STLS is an AUTHORIZATION-state command (RFC 2595).
    conn = open_session(args)
    exc = C.raises(poplib.error_proto, "STLS after login", conn._shortcmd, "STLS")
    C.err_reply(exc, "STLS after login")
    C.plus_ok(conn.noop(), "NOOP after the refused STLS")
    C.plus_ok(conn.quit(), "QUIT")

    # A client that does not trust the demo CA must refuse the certificate.
    conn = plain(args)
    C.raises(ssl.SSLCertVerificationError, "STLS with a context that lacks the demo CA",
             conn.stls, ssl.create_default_context())
    # wrap_socket() took the descriptor over from conn.sock and closed it
    # when the handshake failed, so poplib's close() would trip over the
    # dead socket object (EBADF). Only the buffered reader is left to close.
    conn.file.close()
    conn.sock = conn.file = None


def pop3s(args, bodies):
    C.section = "pop3s"
    conn = poplib.POP3_SSL(args.host, args.pop3s_port, context=trusted_context(args),
                           timeout=TIMEOUT)
    check_greeting(conn.getwelcome(), "POP3S greeting")
    check_tls_socket(conn.sock, args, "POP3S")
    caps = conn.capa()
    C.ok("STLS" not in caps, "CAPA on the POP3S port has no STLS: %s" % sorted(caps))
    for key in CAPABILITIES:
        C.ok(key in caps, "CAPA on POP3S lists %s" % key)
    exc = C.raises(poplib.error_proto, "POP3_SSL.stls() refuses", conn.stls)
    C.ok("already" in exc.args[0], "client-side refusal: %r" % exc.args[0])
    exc = C.raises(poplib.error_proto, "server refuses STLS on the POP3S port",
                   conn._shortcmd, "STLS")
    C.err_reply(exc, "STLS on POP3S")
    login_with_retry(conn, user_pass(args))
    C.eq(conn.stat(), (EXPECTED_COUNT, EXPECTED_TOTAL), "STAT over POP3S")
    resp, lines, octets = conn.retr(1)
    C.plus_ok(resp, "RETR 1 over POP3S")
    C.eq(lines, bodies[1], "RETR 1 over POP3S")
    resp, lines, octets = conn.retr(MSG_PHOTO)
    C.eq(octets, EXPECTED[MSG_PHOTO - 1][0], "RETR of the big message over POP3S")
    C.eq(lines, bodies[MSG_PHOTO], "big message over POP3S equals the cleartext copy")
    C.plus_ok(conn.quit(), "QUIT over POP3S")

    # Default trust store only: the demo CA is unknown, the handshake fails.
    C.raises(ssl.SSLCertVerificationError, "POP3_SSL without the demo CA",
             poplib.POP3_SSL, args.host, args.pop3s_port,
             context=ssl.create_default_context(), timeout=TIMEOUT)

    # Right CA, wrong name: hostname checking is on.
    sock = socket.create_connection((args.host, args.pop3s_port), timeout=TIMEOUT)
    try:
        exc = C.raises(ssl.SSLCertVerificationError, "certificate for another name",
                       trusted_context(args).wrap_socket, sock,
                       server_hostname="wrong.popscope.test")
        C.ok("mismatch" in (exc.verify_message or ""),
             "hostname mismatch reported: %r" % exc.verify_message)
    finally:
        sock.close()


def hang_up_without_quit(args):
    """DELE then close() without QUIT: no UPDATE state, nothing deleted."""
    C.section = "no-quit"
    conn = open_session(args)
    C.plus_ok(conn.dele(1), "DELE 1")
    C.plus_ok(conn.dele(2), "DELE 2")
    C.eq(conn.stat()[0], EXPECTED_COUNT - 2, "STAT after two DELEs")
    conn.close()

    conn = open_session(args)
    C.eq(conn.stat(), (EXPECTED_COUNT, EXPECTED_TOTAL),
         "STAT after hanging up without QUIT (deletions dropped)")
    C.plus_ok(conn.quit(), "QUIT")


def delete_and_quit(args, uids, bodies):
    """Last, because it really removes message 1."""
    C.section = "delete"
    conn = open_session(args)
    C.eq([u for _, u in uid_list(conn)], uids, "UIDs before deleting")
    C.plus_ok(conn.dele(1), "DELE 1")
    C.plus_ok(conn.quit(), "QUIT commits the deletion")
    C.ok(conn.sock is None, "quit() closed the connection")

    conn = open_session(args)
    first_size = EXPECTED[0][0]
    C.eq(conn.stat(), (EXPECTED_COUNT - 1, EXPECTED_TOTAL - first_size), "STAT after DELE+QUIT")
    left = [u for _, u in uid_list(conn)]
    C.ok(uids[0] not in left, "UID %r of the deleted message is gone" % uids[0])
    C.eq(left, uids[1:], "the other UIDs keep their values and order")
    resp, lines, _ = conn.list()
    C.eq([int(s) for _, s in parse_pairs(lines, "LIST")], [s for s, _ in EXPECTED[1:]],
         "LIST sizes after renumbering")
    C.eq(conn.retr(1)[1], bodies[2], "the old message 2 is now message 1")
    C.plus_ok(conn.quit(), "QUIT")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--pop3-port", type=int, required=True)
    parser.add_argument("--pop3s-port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="wonderland")
    args = parser.parse_args()

    try:
        stamp = greeting_and_capa(args)
        uids, bodies = read_everything(args)
        wrong_passwords(args)
        apop_login(args, stamp, uids)
        sasl_plain(args)
        starttls(args, bodies)
        pop3s(args, bodies)
        hang_up_without_quit(args)
        delete_and_quit(args, uids, bodies)
    except CheckFailed as failure:
        print("poplib check failed after %d passed checks: %s" % (C.count, failure),
              file=sys.stderr)
        return 1
    except Exception:
        print("poplib check failed in section [%s] after %d passed checks with an "
              "unexpected exception:" % (C.section, C.count), file=sys.stderr)
        traceback.print_exc()
        return 1
    print("poplib: %d checks passed" % C.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
