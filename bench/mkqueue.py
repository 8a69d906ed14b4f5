#!/usr/bin/python3
"""mkqueue - write N queued messages straight into a queue directory, in the
on-disk format of relayq or of nullmailer, for bench/run's B5 (far faster
than N submissions).

    mkqueue.py relayq DIR N             DIR is relayq's <spool>/queue
    mkqueue.py nullmailer DIR N [UID]   DIR is /var/spool/nullmailer/queue

relayq: one file per message named by its 20-hex-digit queue id, in the
format of src/envelope.h (magic line, I/U/A/F/T records, empty line, the
message, the 32-byte trailer "relayq-end %020llu\\n"); the U record is
our uid, as it must be the file's owner.  Ids are consecutive
microseconds ending now, so they sort by arrival, and have 7 random hex
digits as the real ones do.  No state file: every message is due.

nullmailer: one file per message named TIME.NUMBER (nullmailer-queue uses
TIME.PID), holding the sender line, the recipient line, an empty line and
the message, mode 0600, chowned to UID when given.
"""
import os
import sys
import time


def message(i, stamp):
    body = ("This is queued message %d of the B5 scale test.\n" % i) * 12
    return ("Received: (bench mkqueue); %s\n"
            "Date: %s\n"
            "Message-ID: <b5.%d.%d@bench.example>\n"
            "From: app@bench.example\n"
            "To: bob@example.org\n"
            "Subject: B5 message %d\n"
            "X-Bench-Seq: %d\n"
            "\n%s" % (stamp, stamp, i, os.getpid(), i, i, body)).encode()


def relayq(directory, n, uid):
    now_us = int(time.time() * 1e6)
    arrival = int(time.time())
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    rnd = os.urandom(4 * n)
    for i in range(n):
        qid = "%013X%07X" % (now_us - n + i,
                             int.from_bytes(rnd[4 * i:4 * i + 4], "big")
                             & 0xFFFFFFF)
        msg = message(i + 1, stamp)
        head = ("relayq 1\nI %s\nU %d\nA %d\nF app@bench.example\n"
                "T bob@example.org\n\n" % (qid, uid, arrival)).encode()
        trailer = b"relayq-end %020d\n" % len(msg)
        assert len(trailer) == 32
        fd = os.open(os.path.join(directory, qid),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, head + msg + trailer)
        os.close(fd)


def nullmailer(directory, n, uid):
    now = int(time.time())
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    for i in range(n):
        name = os.path.join(directory, "%d.%d" % (now, 100000 + i))
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"app@bench.example\nbob@example.org\n\n" +
                 message(i + 1, stamp))
        if uid is not None:
            os.fchown(fd, uid, -1)
        os.close(fd)


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("relayq",
                                                          "nullmailer"):
        sys.exit(__doc__)
    kind, directory, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    uid = int(sys.argv[4]) if len(sys.argv) == 5 else None
    if kind == "relayq":
        relayq(directory, n, os.getuid())
    else:
        nullmailer(directory, n, uid)


if __name__ == "__main__":
    main()
