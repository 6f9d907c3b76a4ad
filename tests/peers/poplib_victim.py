#!/usr/bin/env python3
r"""Python's poplib as the victim of popscope proxy's attacks.

    python3 tests/peers/poplib_victim.py MODE HOST PORT CAFILE

MODE is one of
  stls-if-offered  upgrade with STLS only if CAPA lists it (a careless
                   client: an attacker who removes STLS keeps it in
                   cleartext), then USER/PASS
  stls-required    always call stls(), which poplib refuses to do when
                   CAPA does not list STLS (the careful client)
  pop3s-insecure   POP3S with a context that checks nothing
  pop3s-verify     POP3S checking the certificate against CAFILE

The user is alice with the demo password. It prints "LOGGED-IN N" (N
messages) and exits 0, or prints "REFUSED: why" and exits 3 when the
client itself refuses to go on. Only the standard library is used.
"""

import poplib
import ssl
import sys


def main():
    mode, host, port, cafile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    verify = ssl.create_default_context(cafile=cafile)
    insecure = ssl._create_unverified_context()
    try:
        if mode.startswith("pop3s"):
            ctx = insecure if mode == "pop3s-insecure" else verify
            p = poplib.POP3_SSL(host, port, context=ctx, timeout=20)
        else:
            p = poplib.POP3(host, port, timeout=20)
            if mode == "stls-if-offered":
                if "STLS" in p.capa():
                    p.stls(context=verify)
            else:
                p.stls(context=verify)
        p.user("alice")
        p.pass_("wonderland")
        count, _ = p.stat()
        p.quit()
    except (poplib.error_proto, ssl.SSLError, OSError) as e:
        print(f"REFUSED: {e}")
        return 3
    print(f"LOGGED-IN {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
