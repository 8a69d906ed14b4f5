#!/usr/bin/python3
"""relaystat - what the test relay (tests/smarthost/smarthost.py) received,
for bench/run.

    relaystat.py DIR [T0_NS [CURVE]]

Prints one line of JSON: received (messages/*.json), unique (distinct
X-Bench-Seq header values; messages without one count as unique),
duplicates (received - unique), connections ("connect" lines of
events.log), tls_failures (TLS handshakes the relay saw fail), auth_ok
(successful AUTH commands), tls and auth (messages received over TLS / after AUTH), and,
with T0_NS (wall-clock nanoseconds), first and last: seconds from T0 to
the first and the last message (the modification time of its .json,
which the relay writes once, after the .eml).  CURVE gets the drain
curve: "SECONDS COUNT" a line, one per message, in order.
"""
import json
import os
import re
import sys

SEQ = re.compile(rb"^X-Bench-Seq: *([0-9]+)", re.M | re.I)


def main():
    d = sys.argv[1]
    t0 = int(sys.argv[2]) if len(sys.argv) > 2 else None
    curve = sys.argv[3] if len(sys.argv) > 3 else None
    mdir = os.path.join(d, "messages")
    names = sorted(n for n in os.listdir(mdir) if n.endswith(".json")) \
        if os.path.isdir(mdir) else []
    seqs, times, tls, auth, other = set(), [], 0, 0, 0
    for n in names:
        p = os.path.join(mdir, n)
        times.append(os.stat(p).st_mtime_ns)
        with open(p) as f:
            env = json.load(f)
        tls += bool(env.get("tls"))
        auth += env.get("auth_user") is not None
        with open(p[:-5] + ".eml", "rb") as f:
            m = SEQ.search(f.read(65536))
        if m:
            seqs.add(int(m.group(1)))
        else:
            other += 1
    conns = tls_fail = auth_ok = 0
    try:
        with open(os.path.join(d, "events.log")) as f:
            for line in f:
                conns += line.startswith("connect ")
                w = line.split()
                tls_fail += len(w) > 2 and w[0] == "tls" and w[2] == "fail"
                auth_ok += len(w) > 3 and w[0] == "auth" and w[3] == "ok"
    except OSError:
        pass
    out = {"received": len(names), "unique": len(seqs) + other,
           "duplicates": len(names) - len(seqs) - other,
           "connections": conns, "tls": tls, "auth": auth,
           "tls_failures": tls_fail, "auth_ok": auth_ok}
    if t0 is not None and times:
        times.sort()
        out["first"] = (times[0] - t0) / 1e9
        out["last"] = (times[-1] - t0) / 1e9
        if curve:
            with open(curve, "w") as f:
                f.write("0 0\n")
                for i, t in enumerate(times, 1):
                    f.write("%.4f %d\n" % ((t - t0) / 1e9, i))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
