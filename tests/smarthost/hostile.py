#!/usr/bin/python3
"""A hostile SMTP relay for the relayq test suite (loopback only).

    /usr/bin/python3 hostile.py --scenario NAME --dir DIR --port-file FILE
        [--port N] [--tls none|starttls] [--cert CRT --key KEY]
        [--max-seconds 120]

Plain sockets and threads, no aiosmtpd.  It speaks just enough SMTP to
bring a client to the point where the scenario misbehaves: greeting, EHLO
(AUTH PLAIN LOGIN CRAM-MD5, STARTTLS in starttls mode), AUTH (any credentials are
taken), MAIL, RCPT, DATA, RSET, NOOP, QUIT.  No PIPELINING is offered, so
every reply answers exactly one command.  Every connection gets the same
scenario.

Scenarios (where they strike):
  longline     EHLO reply: "250-" and 100 KB without a line end, then silence
  endless      MAIL reply: "250-more" lines as fast as the client reads
  slowendless  MAIL reply: one "250-more" line every 0.5 s, for ever
  drip         every reply one byte per write, 2 ms apart; delivers normally
  stall        MAIL reply: "250-foo" and then nothing
  tlsgarbage   STARTTLS: "220", then plain text instead of a ServerHello
  tlsstall     STARTTLS: "220", then nothing (the ClientHello goes unread)
  close220     greeting "220", then the connection is closed at once
  badcode      greeting with a code of four digits
  mixedcodes   RCPT reply: a multi-line reply whose code changes
  controls     MAIL reply: 451 with CR, ESC sequences, BEL, and a bare LF
               followed by a would-be log line
  binary       RCPT reply: 450 with NUL, DEL and non-ASCII bytes
  manyext      EHLO reply: 100000 extension lines
  dataend      the reply to the final "." never comes
  data250      DATA answered 250 instead of 354
  healthy      a well-behaved relay (a control for the test itself)

The port is written to FILE (tmp + rename) once the socket listens.  A
message taken (drip, healthy) is written to DIR/messages/NNNN.eml and
NNNN.json ({"mail_from", "rcpt_tos"}) like smarthost.py does; DIR/events.log
gets one line per connection and per scenario step.  The process exits
after --max-seconds whatever happens, and on SIGTERM.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time

SCENARIOS = ("longline", "endless", "slowendless", "drip", "stall",
             "tlsgarbage", "tlsstall", "close220", "badcode", "mixedcodes",
             "controls", "binary", "manyext", "dataend", "data250",
             "healthy")

# The bytes of the log-injection replies (see the Bats test).
CONTROLS_REPLY = (b"451-4.3.0 first\rINJECTED-CR \x1b[2J\x1b]0;title\x07"
                  b" \x1b[31mred\x1b[0m\r\n"
                  b"451 4.3.0 second\nINJECTED-LF relayq: fake line\r\n")
BINARY_REPLY = (b"450 4.2.0 nul\x00byte del\x7f high\xff\xfe utf8 \xc3\xa9"
                b" \x9b31m\r\n")


class Stop(Exception):
    """The client went away or the lifetime ended."""


class Conn:
    def __init__(self, server, sock, n):
        self.server = server
        self.sock = sock
        self.n = n
        self.buf = b""
        self.tls = False

    def event(self, kind, extra=""):
        self.server.event(("%s %d %s" % (kind, self.n, extra)).rstrip())

    def alive(self):
        return time.monotonic() < self.server.deadline

    def send(self, data):
        if self.server.scenario == "drip":
            for i in range(len(data)):
                self._sendall(data[i:i + 1])
                time.sleep(0.002)
        else:
            self._sendall(data)

    def _sendall(self, data):
        if not self.alive():
            raise Stop()
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError):
            raise Stop()

    def reply(self, text):
        self.send(text.encode() + b"\r\n")

    def readline(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 65536:
                raise Stop()
            chunk = self.recv()
            if not chunk:
                raise Stop()
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def recv(self):
        while True:
            if not self.alive():
                raise Stop()
            try:
                return self.sock.recv(65536)
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                return b""

    def hold(self):
        """Say nothing more; wait for the client to give up."""
        self.event("hold")
        while self.recv():
            pass
        raise Stop()

    # ---- the SMTP dialogue -------------------------------------------
    def run(self):
        sc = self.server.scenario
        self.event("connect")
        if sc == "close220":
            self.reply("220 hostile ESMTP")
            self.event("close")
            raise Stop()
        if sc == "badcode":
            self.reply("2200 hostile ESMTP")
            self.hold()
        self.reply("220 hostile ESMTP")
        mail_from, rcpts = None, []
        while True:
            line = self.readline()
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.ehlo()
            elif verb == b"STAR":
                self.starttls()
            elif verb == b"AUTH":
                self.auth(line)
            elif verb == b"MAIL":
                if sc in ("endless", "slowendless", "stall", "controls"):
                    self.misbehave_at_mail()
                    continue
                mail_from, rcpts = line[10:].split(b">")[0].lstrip(b"<"), []
                self.reply("250 2.1.0 ok")
            elif verb == b"RCPT":
                if sc == "mixedcodes":
                    self.send(b"250-2.1.5 fine\r\n550-5.1.1 not fine\r\n"
                              b"250 2.1.5 fine again\r\n")
                    continue
                if sc == "binary":
                    self.event("binary")
                    self.send(BINARY_REPLY)
                    continue
                rcpts.append(line[8:].split(b">")[0].lstrip(b"<"))
                self.reply("250 2.1.5 ok")
            elif verb == b"DATA":
                if sc == "data250":
                    self.event("data250")
                    self.reply("250 2.0.0 thanks, no need to send it")
                    continue
                self.reply("354 go ahead")
                body = self.read_data()
                if sc == "dataend":
                    self.event("dataend")
                    self.hold()
                self.store(mail_from, rcpts, body)
                self.reply("250 2.0.0 queued")
            elif verb == b"RSET":
                self.reply("250 2.0.0 ok")
            elif verb == b"NOOP":
                self.reply("250 2.0.0 ok")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 bye")
                raise Stop()
            else:
                self.reply("500 5.5.2 what")

    def ehlo(self):
        sc = self.server.scenario
        if sc == "longline":
            self.event("longline")
            self.send(b"250-" + b"x" * 100000)
            self.hold()
        if sc == "manyext":
            self.event("manyext")
            lines = [b"250-hostile"] + [b"250-X-EXT-%d" % i
                                        for i in range(100000)]
            self.send(b"\r\n".join(lines) + b"\r\n250 HELP\r\n")
            self.hold()
        caps = ["hostile", "8BITMIME", "AUTH PLAIN LOGIN CRAM-MD5"]
        if self.server.tls_mode == "starttls" and not self.tls:
            caps.append("STARTTLS")
        text = "".join("250-%s\r\n" % c for c in caps[:-1])
        self.send(text.encode() + ("250 %s\r\n" % caps[-1]).encode())

    def starttls(self):
        sc = self.server.scenario
        if self.server.tls_mode != "starttls" or self.tls:
            self.reply("502 5.5.1 no")
            return
        self.reply("220 2.0.0 ready")
        self.event("starttls")
        if sc == "tlsstall":
            self.hold()
        if sc == "tlsgarbage":
            time.sleep(0.2)
            self.send(b"this is not a ServerHello\r\n" * 40)
            self.hold()
        try:
            self.sock.settimeout(10)
            self.sock = self.server.ctx.wrap_socket(self.sock,
                                                    server_side=True)
            self.sock.settimeout(0.2)
        except (OSError, ssl.SSLError) as e:
            self.event("tlsfail", str(e))
            raise Stop()
        self.tls = True
        self.buf = b""
        self.event("tls")

    def auth(self, line):
        parts = line.split()
        if len(parts) >= 2 and parts[1].upper() == b"CRAM-MD5":
            # Any response will do: the client must get this far on a
            # connection without TLS, where it sends no PLAIN or LOGIN.
            self.reply("334 PDEyMzQ1QGhvc3RpbGU+")
            self.readline()
        elif len(parts) >= 2 and parts[1].upper() == b"LOGIN":
            self.reply("334 VXNlcm5hbWU6")
            self.readline()
            self.reply("334 UGFzc3dvcmQ6")
            self.readline()
        self.reply("235 2.7.0 ok")

    def misbehave_at_mail(self):
        sc = self.server.scenario
        self.event(sc)
        if sc == "controls":
            self.send(CONTROLS_REPLY)
            return
        if sc == "stall":
            self.send(b"250-foo\r\n")
            self.hold()
        while True:
            self.send(b"250-more\r\n" * (1 if sc == "slowendless" else 100))
            if sc == "slowendless":
                time.sleep(0.5)

    def read_data(self):
        lines = []
        while True:
            line = self.readline()
            if line == b".":
                return b"\r\n".join(lines) + b"\r\n"
            lines.append(line[1:] if line.startswith(b".") else line)

    def store(self, mail_from, rcpts, body):
        with self.server.lock:
            self.server.count += 1
            name = "%04d" % self.server.count
            d = os.path.join(self.server.dir, "messages")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, name + ".eml.tmp"), "wb") as f:
                f.write(body)
            os.rename(os.path.join(d, name + ".eml.tmp"),
                      os.path.join(d, name + ".eml"))
            meta = {"mail_from": (mail_from or b"").decode("latin-1"),
                    "rcpt_tos": [r.decode("latin-1") for r in rcpts],
                    "tls": self.tls, "id": name}
            with open(os.path.join(d, name + ".json.tmp"), "w") as f:
                json.dump(meta, f)
            os.rename(os.path.join(d, name + ".json.tmp"),
                      os.path.join(d, name + ".json"))
        self.event("stored")


class Server:
    def __init__(self, args):
        self.scenario = args.scenario
        self.tls_mode = args.tls
        self.dir = args.dir
        self.deadline = time.monotonic() + args.max_seconds
        self.lock = threading.Lock()
        self.count = 0
        self.nconn = 0
        self.ctx = None
        if args.tls != "none":
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(args.cert, args.key)
        os.makedirs(self.dir, exist_ok=True)
        self.events = open(os.path.join(self.dir, "events.log"), "a")

    def event(self, text):
        with self.lock:
            self.events.write(text + "\n")
            self.events.flush()

    def serve(self, args):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", args.port))
        ls.listen(16)
        ls.settimeout(0.2)
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
        os.rename(tmp, args.port_file)
        while time.monotonic() < self.deadline:
            try:
                s, _ = ls.accept()
            except socket.timeout:
                continue
            s.settimeout(0.2)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.nconn += 1
            threading.Thread(target=self.handle, args=(s, self.nconn),
                             daemon=True).start()
        ls.close()

    def handle(self, s, n):
        c = Conn(self, s, n)
        try:
            c.run()
        except Stop:
            pass
        except Exception as e:          # a bug here must not hang a test
            print("hostile: connection %d: %r" % (n, e), file=sys.stderr,
                  flush=True)
        finally:
            try:
                c.sock.close()
            except OSError:
                pass
            c.event("disconnect")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", required=True, choices=SCENARIOS)
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", choices=("none", "starttls"), default="none")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--max-seconds", type=float, default=120)
    args = p.parse_args()
    if args.tls != "none" and not (args.cert and args.key):
        p.error("--tls starttls needs --cert and --key")
    if args.scenario in ("tlsgarbage", "tlsstall") and args.tls == "none":
        p.error("scenario %s needs --tls starttls" % args.scenario)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    Server(args).serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
