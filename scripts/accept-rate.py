#!/usr/bin/env python3
"""Time how fast a POP3 server greets new connections.

Opens N connections one after another (default 1000), reads each greeting
and keeps every connection open until the end, so the server holds them all
as idle sessions; prints the wall time and the rate. The client is plain
Python on purpose: it is not popscope's own code measuring itself.

    python3 scripts/accept-rate.py 127.0.0.1:1110 [N]

The server must allow N connections from this address: for
`popscope serve`, pass `--max-per-ip N` (or more) as well.
"""
import resource
import socket
import sys
import time


def main() -> int:
    host, _, port = sys.argv[1].rpartition(":")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held = []
    start = time.perf_counter()
    for i in range(n):
        s = socket.create_connection((host, int(port)), timeout=10)
        greeting = b""
        while not greeting.endswith(b"\r\n"):
            chunk = s.recv(512)
            if not chunk:
                break
            greeting += chunk
        if not greeting.startswith(b"+OK"):
            print(f"connection {i}: {greeting!r}", file=sys.stderr)
            return 1
        held.append(s)
    took = time.perf_counter() - start
    print(f"{n} connections greeted in {took:.3f} s ({n / took:.0f}/s)")
    for s in held:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
