#!/usr/bin/env python3
"""Session load with Python's standard poplib, a client we did not write.

Runs CLIENTS worker processes (one per user, so no maildrop lock is ever
contended), each looping over whole sessions for SECONDS:

    connect (plain, STLS or POP3S) -> USER/PASS -> STAT -> RETR every
    message -> QUIT

and prints one key=value line in the same shape as `popscope load`:

    label=L mode=M clients=N seconds=S sessions=K sessions_per_sec=R
    p50_ms=A p99_ms=B errors=E

Processes rather than threads, so Python's interpreter lock does not make
the client the bottleneck of the measurement. Only the standard library is
used.
"""

import argparse
import multiprocessing
import poplib
import ssl
import sys
import time

# The demo mailbox has a message with 5,000-character lines (RFC 5322's
# limit is 998 but real mail breaks it); poplib refuses lines over 2,048
# bytes unless told otherwise.
poplib._MAXLINE = 1 << 20


def one_session(args, user, ctx):
    if args.mode == "pop3s":
        conn = poplib.POP3_SSL(args.host, args.port, context=ctx, timeout=30)
    else:
        conn = poplib.POP3(args.host, args.port, timeout=30)
        if args.mode == "stls":
            conn.stls(context=ctx)
    conn.user(user)
    conn.pass_(args.password)
    count, _size = conn.stat()
    for n in range(1, count + 1):
        conn.retr(n)
    conn.quit()


def worker(args, index, deadline, out):
    user = args.user.replace("{n}", str(index))
    ctx = None
    if args.mode != "plain":
        ctx = ssl.create_default_context(cafile=args.ca)
        ctx.check_hostname = True
    # Server-side session resumption would make TLS cheaper for the server
    # than a room of different clients; popscope load does not resume
    # either, so each session gets a fresh context's handshake.
    times = []
    errors = 0
    first_error = ""
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            one_session(args, user, ctx)
            times.append(time.monotonic() - start)
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors += 1
            if not first_error:
                first_error = f"{type(e).__name__}: {e}"
            time.sleep(0.01)
    out.put((times, errors, first_error))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["plain", "stls", "pop3s"], default="plain")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--user", default="load{n}")
    p.add_argument("--password", default="wonderland")
    p.add_argument("--ca", help="CA certificate (PEM) for the TLS modes")
    p.add_argument("--label", default="poplib")
    args = p.parse_args()
    if args.mode != "plain" and not args.ca:
        p.error("--ca is needed for stls and pop3s")
    out = multiprocessing.Queue()
    start = time.monotonic()
    deadline = start + args.seconds
    procs = [
        multiprocessing.Process(target=worker, args=(args, i, deadline, out))
        for i in range(args.clients)
    ]
    for proc in procs:
        proc.start()
    times, errors, first_error = [], 0, ""
    for _ in procs:
        t, e, fe = out.get()
        times.extend(t)
        errors += e
        first_error = first_error or fe
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - start
    times.sort()

    def pct(q):
        if not times:
            return 0.0
        return times[min(len(times) - 1, int(q * len(times)))] * 1000

    print(
        f"label={args.label} mode={args.mode} clients={args.clients} "
        f"seconds={elapsed:.1f} sessions={len(times)} "
        f"sessions_per_sec={len(times) / elapsed:.1f} "
        f"p50_ms={pct(0.50):.1f} p99_ms={pct(0.99):.1f} errors={errors}"
    )
    if first_error:
        print(f"first error: {first_error}", file=sys.stderr)


if __name__ == "__main__":
    main()
