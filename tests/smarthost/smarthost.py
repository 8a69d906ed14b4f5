#!/usr/bin/python3
"""Controllable test SMTP smart host for the relayq test suite.

Run with the system interpreter (it needs python3-aiosmtpd):

    /usr/bin/python3 smarthost.py --dir DIR --port-file FILE [--host 127.0.0.1]
        [--mode plain|starttls|tls] [--cert CRT --key KEY]
        [--client-ca CA] [--auth-user U --auth-password P] [--max-seconds 900]

See README in this directory for the control keys and the output layout.
Only meant to listen on loopback addresses.
"""

import argparse
import asyncio
import asyncio.sslproto as sslproto
import base64
import binascii
import collections
import ctypes
import ctypes.util
import hashlib
import hmac
import json
import logging
import os
import signal
import socket
import ssl
import sys
import time
import traceback
import warnings

from aiosmtpd.smtp import MISSING, SMTP, Envelope, TLSSetupException

HOSTNAME = "localhost"
IDENT = "ESMTP relayq test smarthost"

# Replies this server sends itself (control-file replies are sent verbatim).
R_SYNTAX = "501 5.5.4 Syntax error in parameters or arguments"


def eprint(*args):
    print("smarthost:", *args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Control file

class Control:
    """DIR/control.json, re-read whenever it changes; counts the *_times."""

    def __init__(self, path):
        self.path = path
        self.key = None          # stat identity of the loaded file
        self.bad_key = None      # stat identity of a file that failed to parse
        self.cfg = {}
        self.counts = collections.Counter()

    def get(self):
        try:
            st = os.stat(self.path)
            key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            key = None
        except OSError as e:
            eprint("cannot stat %s: %s" % (self.path, e))
            return self.cfg
        if key == self.key:
            return self.cfg
        if key is None:
            cfg = {}
        else:
            if key == self.bad_key:
                return self.cfg
            try:
                with open(self.path, "rb") as f:
                    cfg = json.loads(f.read() or b"{}")
                if not isinstance(cfg, dict):
                    raise ValueError("top level is not an object")
            except (OSError, ValueError) as e:
                # Possibly caught half-written; keep the old settings and retry
                # when the file changes again.
                self.bad_key = key
                eprint("cannot load %s (keeping previous settings): %s"
                       % (self.path, e))
                return self.cfg
        self.key = key
        self.bad_key = None
        self.cfg = cfg
        self.counts.clear()
        return cfg

    def take(self, name, counter_key=None):
        """Return the configured reply/flag NAME if it is (still) active.

        "NAME_times": N limits it to the first N uses since the last reload.
        """
        cfg = self.get()
        val = cfg.get(name)
        if val in (None, False, ""):
            return None
        return self._count(cfg, name, counter_key, val)

    def _count(self, cfg, name, counter_key, val):
        limit = cfg.get(name + "_times")
        ck = (name, counter_key)
        if limit is not None:
            try:
                limit = int(limit)
            except (TypeError, ValueError):
                limit = None
        if limit is not None and self.counts[ck] >= limit:
            return None
        self.counts[ck] += 1
        return val

    def take_rcpt(self, address):
        cfg = self.get()
        table = cfg.get("rcpt")
        if not isinstance(table, dict) or not table:
            return None
        low = address.lower()
        for k, v in table.items():
            if isinstance(k, str) and k.lower() == low and v:
                return self._count(cfg, "rcpt", low, v)
        return None


# --------------------------------------------------------------------------
# Shared state

class State:
    def __init__(self, args):
        self.args = args
        self.dir = args.dir
        self.msgdir = os.path.join(args.dir, "messages")
        os.makedirs(self.msgdir, exist_ok=True)
        self.events = open(os.path.join(args.dir, "events.log"), "a",
                           encoding="utf-8", errors="backslashreplace",
                           buffering=1)
        self.control = Control(os.path.join(args.dir, "control.json"))
        self.nconn = 0
        self.nmsg = 0
        self.conns = set()
        self.tls_context = None
        if args.mode in ("starttls", "tls"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            if args.client_ca:
                # Ask for a client certificate and refuse the handshake
                # without one that verifies against this CA.
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(cafile=args.client_ca)
            self.tls_context = ctx

    def event(self, *fields):
        line = " ".join(_clean(f) for f in fields)
        self.events.write(line + "\n")
        self.events.flush()

    def store(self, content, meta):
        self.nmsg += 1
        name = "%04d" % self.nmsg
        meta["id"] = name
        base = os.path.join(self.msgdir, name)
        _write_atomic(base + ".eml", content)
        _write_atomic(base + ".json",
                      (json.dumps(meta, indent=1) + "\n").encode("utf-8"))
        return name


def _clean(f):
    s = "-" if f is None else str(f)
    if s == "":
        return "<>"
    return s.replace("\r", "\\r").replace("\n", "\\n")


def _write_atomic(path, data):
    d, b = os.path.split(path)
    tmp = os.path.join(d, "." + b + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)
    os.rename(tmp, path)


def _code(status):
    return status[:3]


def _parse_path(arg, keyword):
    """Parse 'FROM:<path> params' strictly (RFC 5321: no space after colon).

    Returns (address, params_list) or (None, None) on syntax error. The
    address is returned exactly as sent between the angle brackets.
    """
    if arg is None or arg[:len(keyword)].upper() != keyword:
        return None, None
    rest = arg[len(keyword):]
    if not rest.startswith("<"):
        return None, None
    i, quoted = 1, False
    while i < len(rest):
        c = rest[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == ">":
            break
        i += 1
    else:
        return None, None
    address = rest[1:i]
    tail = rest[i + 1:]
    if tail and not tail.startswith(" "):
        return None, None
    return address, tail.split()


def _addr_for_log(arg, keyword):
    if not arg:
        return "-"
    a, _ = _parse_path(arg, keyword)
    if a is not None:
        return a
    s = arg[len(keyword):] if arg[:len(keyword)].upper() == keyword else arg
    return s.strip().split(" ")[0] or "-"


class RelayqEnvelope(Envelope):
    def __init__(self):
        super().__init__()
        self.rcpt_options_per_rcpt = []


# --------------------------------------------------------------------------
# The SMTP protocol

class SmartHostSMTP(SMTP):
    # Long data lines are accepted (we read them in fragments); this is just
    # the StreamReader buffer limit.
    line_length_limit = 65536
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(self, state, handler, **kw):
        self.st = state
        self.conn_no = None
        self.auth_user = None
        self._implicit_waiter = None
        self._closed_logged = False
        self._auth_try_user = None
        self._auth_cb = None
        self.auth_mech = None
        self.auth_cb = None
        self._generic_log = True
        self._custom_greeting = None
        super().__init__(handler, **kw)
        # instance-level (aiosmtpd keeps this dict on the class)
        self.command_size_limits = collections.defaultdict(
            lambda: 512, {"MAIL": 1000, "RCPT": 1000})

    def _create_envelope(self):
        return RelayqEnvelope()

    # ---- connection life cycle ------------------------------------------

    def connection_made(self, transport):
        first = self.conn_no is None
        if first:
            self.st.nconn += 1
            self.conn_no = self.st.nconn
            self.st.conns.add(self)
            self.st.event("connect", self.conn_no)
        super().connection_made(transport)
        if first and self.st.args.mode == "tls":
            # Implicit TLS: put the TLS layer in place synchronously, before
            # any client bytes can reach the plain-text reader.
            self._implicit_waiter = self.loop.create_future()
            self._tls_protocol = sslproto.SSLProtocol(
                self.loop, self, self.tls_context, self._implicit_waiter,
                server_side=True)
            self._original_transport = transport
            transport.set_protocol(self._tls_protocol)
            self.transport = self._tls_protocol._app_transport
            self._tls_protocol.connection_made(transport)

    def connection_lost(self, error):
        if not self._closed_logged:
            self._closed_logged = True
            self.st.event("disconnect", self.conn_no)
            self.st.conns.discard(self)
        try:
            super().connection_lost(error)
        except Exception:
            eprint("connection %s: error in connection_lost:\n%s"
                   % (self.conn_no, traceback.format_exc()))

    def eof_received(self):
        try:
            return super().eof_received()
        except Exception:
            return False

    def kill(self):
        """Abort the connection at the TCP level (no TLS close_notify)."""
        t = self._original_transport or self.transport
        if t is not None:
            t.abort()

    # ---- output ------------------------------------------------------------

    async def push(self, status):
        if isinstance(status, bytes):
            status = status.decode("utf-8", "replace")
        if self._custom_greeting is not None and status.startswith("220 "):
            greeting, self._custom_greeting = self._custom_greeting, None
            await self.push_raw(greeting)
            return
        if (self.session is not None and self.session.extended_smtp
                and len(status) > 4 and status[3] == " "
                and status[0] in "245" and status[:3].isdigit()
                and not (len(status) > 5 and status[4] in "245"
                         and status[5] == ".")):
            # ENHANCEDSTATUSCODES is advertised: add a generic one to
            # aiosmtpd's built-in replies that lack it.
            enh = {"2": "2.0.0", "4": "4.0.0", "5": "5.5.0"}[status[0]]
            if status.startswith("530 Must issue"):
                enh = "5.7.0"
            status = status[:4] + enh + " " + status[4:]
        if self._generic_log and status[:1] in ("4", "5"):
            self.st.event("reply", self.conn_no, status[:3], status[4:])
        await super().push(status)

    async def push_raw(self, text):
        """Send a (possibly multi-line) reply from the control file verbatim."""
        lines = str(text).replace("\r\n", "\n").split("\n")
        for ln in lines:
            await super().push(ln)

    # ---- greeting / implicit TLS ----------------------------------------

    async def _handle_client(self):
        try:
            await self._handle_client_inner()
        except asyncio.CancelledError:
            # EOF/disconnect before aiosmtpd's own loop took over: make sure
            # the transport gets closed (aiosmtpd keeps half-open otherwise).
            if self.transport is not None:
                self.transport.close()
            raise

    async def _handle_client_inner(self):
        if self._implicit_waiter is not None:
            ok = await self._await_tls(self._implicit_waiter)
            self._implicit_waiter = None
            if not ok:
                return
        ctl = self.st.control
        cfg = ctl.get()
        delay = cfg.get("greeting_delay")
        if delay:
            try:
                await asyncio.sleep(float(delay))
            except (TypeError, ValueError):
                pass
        greeting = cfg.get("greeting")
        if greeting:
            greeting = str(greeting)
            self.st.event("greeting", self.conn_no, greeting[:3])
            if not greeting.startswith("220"):
                await self.push_raw(greeting)
                self.transport.close()
                return
            # a custom 220: push() sends it instead of aiosmtpd's default
            self._custom_greeting = greeting
        await super()._handle_client()

    async def _await_tls(self, waiter):
        """Wait for a server-side TLS handshake; log the result."""
        err = None
        try:
            await waiter
        except asyncio.CancelledError:
            # e.g. the client closed right after the handshake: still log
            # how the handshake went.
            if waiter.done() and not waiter.cancelled():
                if waiter.exception() is not None:
                    self.st.event("tls", self.conn_no, "fail",
                                  _describe(waiter.exception()))
                elif self.session is not None and self.session.ssl:
                    obj = self.session.ssl.get("ssl_object")
                    self.st.event("tls", self.conn_no, "ok",
                                  obj.version() if obj is not None else "?")
            else:
                self.st.event("tls", self.conn_no, "fail",
                              "connection lost during handshake")
            raise
        except Exception as e:
            err = e
        if err is None and (self.session is None or self.session.ssl is None):
            err = "connection lost during handshake"
        if err is not None:
            self.st.event("tls", self.conn_no, "fail", _describe(err))
            if self.transport is not None:
                self.kill()
            self.connection_lost(None)
            return False
        obj = self.session.ssl.get("ssl_object")
        self.st.event("tls", self.conn_no, "ok",
                      obj.version() if obj is not None else "?")
        return True

    # ---- commands ---------------------------------------------------------

    async def smtp_HELO(self, hostname):
        self.st.event("helo", self.conn_no, hostname)
        self._generic_log = False
        try:
            await super().smtp_HELO(hostname)
        finally:
            self._generic_log = True

    async def smtp_EHLO(self, hostname):
        self.st.event("ehlo", self.conn_no, hostname)
        if not hostname:
            await self.push("501 Syntax: EHLO hostname")
            return
        cfg = self.st.control.get()
        self._set_rset_state()
        self.session.extended_smtp = True
        self.session.host_name = hostname
        caps = [self.hostname, "PIPELINING", "8BITMIME"]
        size = _int_or_none(cfg.get("size"))
        if size:
            caps.append("SIZE %d" % size)
        caps.append("ENHANCEDSTATUSCODES")
        if cfg.get("dsn"):
            caps.append("DSN")
        if (self.st.args.mode == "starttls" and not self._tls_protocol
                and not cfg.get("no_starttls")):
            caps.append("STARTTLS")
        if self._auth_enabled() and self._auth_allowed_now():
            caps.append("AUTH " + " ".join(self._mechs()))
        caps.append("HELP")
        for i, c in enumerate(caps):
            sep = " " if i == len(caps) - 1 else "-"
            await super().push("250" + sep + c)

    def _auth_enabled(self):
        return self.st.args.auth_user is not None

    def _auth_allowed_now(self):
        return self.st.args.mode != "starttls" or bool(self._tls_protocol)

    async def smtp_STARTTLS(self, arg):
        cfg = self.st.control.get()
        if (self.st.args.mode != "starttls" or cfg.get("no_starttls")
                or self._tls_protocol):
            self.st.event("starttls", self.conn_no, "502")
            await self.push_raw("502 5.5.1 STARTTLS not available")
            return
        if arg:
            self.st.event("starttls", self.conn_no, "501")
            await self.push_raw("501 5.5.4 Syntax: STARTTLS")
            return
        self.st.event("starttls", self.conn_no)
        # Same as aiosmtpd's STARTTLS, but logging the outcome.
        await self.push_raw("220 2.0.0 Ready to start TLS")
        waiter = self.loop.create_future()
        self._tls_protocol = sslproto.SSLProtocol(
            self.loop, self, self.tls_context, waiter, server_side=True)
        self._original_transport = self.transport
        self._original_transport.set_protocol(self._tls_protocol)
        self.transport = self._tls_protocol._app_transport
        self._tls_protocol.connection_made(self._original_transport)
        await self._await_tls(waiter)

    # ---- AUTH -------------------------------------------------------------
    # Every mechanism is done here, server side, with hashlib/hmac; the
    # control keys choose what is offered and when to refuse (README).

    def _mechs(self):
        mechs = self.st.control.get().get("auth_mechs")
        if not isinstance(mechs, str) or not mechs.strip():
            mechs = "PLAIN LOGIN"
        return mechs.upper().split()

    async def smtp_AUTH(self, arg):
        args = (arg or "").split()
        mech = args[0].upper() if args else "-"
        self._auth_try_user = None
        self._auth_cb = None
        was = bool(self.session.authenticated)
        ok = False
        self._generic_log = False
        try:
            if not self._auth_enabled():
                await self.push_raw("502 5.5.1 AUTH not supported")
            elif not self._auth_allowed_now():
                await self.push_raw("538 5.7.11 Encryption required for "
                                    "requested authentication mechanism")
            elif not self.session.extended_smtp:
                await self.push_raw("503 5.5.1 Error: send EHLO first")
            elif was:
                await self.push_raw("503 5.5.1 Already authenticated")
            elif not args or len(args) > 2:
                await self.push_raw("501 5.5.4 Syntax: AUTH mechanism "
                                    "[initial-response]")
            elif mech not in self._mechs() or mech not in _MECHS:
                await self.push_raw("504 5.5.4 Unrecognized authentication "
                                    "type")
            else:
                ok = await self._auth_exchange(mech, args[1:])
        finally:
            self._generic_log = True
            if ok:
                self.session.authenticated = True
                self.auth_user = self._auth_try_user
                self.auth_mech = mech
                self.auth_cb = self._auth_cb
            user = self._auth_try_user
            if user is None:
                user = self.auth_user if was else "-"
            fields = ["auth", self.conn_no, user, "ok" if ok else "fail",
                      mech]
            if self._auth_cb:
                fields.append(self._auth_cb)
            self.st.event(*fields)

    async def _auth_exchange(self, mech, rest):
        """Run one mechanism; True if the client authenticated."""
        if rest:
            if rest[0] == "=":
                ir = b""
            else:
                try:
                    ir = base64.b64decode(rest[0], validate=True)
                except (binascii.Error, ValueError):
                    await self.push_raw("501 5.5.2 Can't decode base64")
                    return False
        else:
            ir = None
        forced = self.st.control.take("auth")
        if forced:
            # Refused on cue, whatever the client sends.
            self._auth_try_user = "-"
            await self.push_raw(str(forced))
            return False
        verdict = await _MECHS[mech](self, ir)
        if verdict is None:          # aborted; the reply is out already
            return False
        if verdict:
            await self.push_raw("235 2.7.0 Authentication successful")
            return True
        await self.push_raw("535 5.7.8 Authentication credentials invalid")
        return False

    async def _first(self, ir, challenge=b""):
        """The initial response, or the answer to an opening challenge."""
        if ir is not None:
            return ir
        resp = await self.challenge_auth(challenge)
        return None if resp is MISSING else resp

    async def _next(self, challenge):
        resp = await self.challenge_auth(challenge)
        return None if resp is MISSING else resp

    def _secret(self):
        return self.st.args.auth_password.encode("utf-8")

    def _token(self):
        tok = self.st.control.get().get("oauth_token")
        return str(tok) if tok else self.st.args.auth_password

    async def _auth_plain(self, ir):
        data = await self._first(ir)
        if data is None:
            return None
        parts = data.split(b"\0")
        if len(parts) != 3:
            await self.push_raw("501 5.5.2 Can't split auth value")
            return None
        self._auth_try_user = parts[1].decode("utf-8", "backslashreplace")
        return (self._auth_try_user == self.st.args.auth_user
                and parts[2] == self._secret())

    async def _auth_login(self, ir):
        user = await self._first(ir, b"Username:")
        if user is None:
            return None
        self._auth_try_user = user.decode("utf-8", "backslashreplace")
        pw = await self._next(b"Password:")
        if pw is None:
            return None
        return (self._auth_try_user == self.st.args.auth_user
                and pw == self._secret())

    async def _auth_cram_md5(self, ir):
        if ir is not None:
            await self.push_raw("501 5.5.2 CRAM-MD5 takes no initial "
                                "response")
            return None
        ch = ("<%d.%d@%s>" % (int.from_bytes(os.urandom(4), "big"),
                              int(time.time()), HOSTNAME)).encode()
        resp = await self._next(ch)
        if resp is None:
            return None
        user, _, digest = resp.rpartition(b" ")
        self._auth_try_user = user.decode("utf-8", "backslashreplace")
        good = hmac.new(self._secret(), ch, hashlib.md5).hexdigest()
        return (self._auth_try_user == self.st.args.auth_user
                and hmac.compare_digest(digest, good.encode()))

    async def _scram_refuse(self, err):
        """RFC 5802 server-error as the last challenge, then 535."""
        if await self._next(("e=" + err).encode()) is None:
            return None
        return False

    async def _auth_scram(self, ir, plus):
        cf = await self._first(ir)
        if cf is None:
            return None
        cf = cf.decode("utf-8", "backslashreplace")
        try:
            flag, authz, bare = cf.split(",", 2)
            gs2 = flag + "," + authz + ","
            attrs = dict(a.split("=", 1) for a in bare.split(","))
            user, cnonce = attrs["n"], attrs["r"]
        except (ValueError, KeyError):
            await self.push_raw("501 5.5.2 Bad SCRAM client-first")
            return None
        self._auth_try_user = user.replace("=2C", ",").replace("=3D", "=")
        cbdata = b""
        if plus:
            if not flag.startswith("p="):
                return await self._scram_refuse("server-does-support-"
                                                "channel-binding")
            cbtype = flag[2:]
            self._auth_cb = cbtype
            cbdata = self._channel_binding(cbtype)
            if cbdata is None:
                return await self._scram_refuse("unsupported-channel-"
                                                "binding-type")
            if self.st.control.get().get("cb_mismatch"):
                # As if a man in the middle ran another TLS channel.
                cbdata = bytes(b ^ 0x5a for b in cbdata)
        elif flag.startswith("p="):
            return await self._scram_refuse("channel-binding-not-supported")
        elif flag == "y" and "SCRAM-SHA-256-PLUS" in self._mechs():
            # RFC 5802 6: the client thinks we lack -PLUS: a downgrade.
            return await self._scram_refuse("server-does-support-"
                                            "channel-binding")
        salt = os.urandom(16)
        snonce = cnonce + base64.b64encode(os.urandom(18)).decode()
        sf = "r=%s,s=%s,i=%d" % (snonce, base64.b64encode(salt).decode(),
                                 SCRAM_ITER)
        cfin = await self._next(sf.encode())
        if cfin is None:
            return None
        cfin = cfin.decode("utf-8", "backslashreplace")
        try:
            without_proof, proof = cfin.rsplit(",p=", 1)
            attrs = dict(a.split("=", 1) for a in without_proof.split(","))
            cbind, nonce = attrs["c"], attrs["r"]
            proof = base64.b64decode(proof, validate=True)
        except (ValueError, KeyError, binascii.Error):
            await self.push_raw("501 5.5.2 Bad SCRAM client-final")
            return None
        if nonce != snonce:
            return await self._scram_refuse("other-error")
        if base64.b64decode(cbind) != gs2.encode() + cbdata:
            return await self._scram_refuse("channel-bindings-dont-match")
        salted = hashlib.pbkdf2_hmac("sha256", self._secret(), salt,
                                     SCRAM_ITER)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored = hashlib.sha256(client_key).digest()
        auth_msg = ("%s,%s,%s" % (bare, sf, without_proof)).encode()
        sig = hmac.new(stored, auth_msg, hashlib.sha256).digest()
        if len(proof) != len(sig):
            return await self._scram_refuse("invalid-proof")
        key = bytes(a ^ b for a, b in zip(proof, sig))
        if (self._auth_try_user != self.st.args.auth_user
                or hashlib.sha256(key).digest() != stored):
            return await self._scram_refuse("invalid-proof")
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        verifier = hmac.new(server_key, auth_msg, hashlib.sha256).digest()
        if self.st.control.get().get("scram_bad_verifier"):
            verifier = bytes(32)
        if await self._next(b"v=" + base64.b64encode(verifier)) is None:
            return None
        return True

    def _channel_binding(self, cbtype):
        obj = self.session.ssl.get("ssl_object") if self.session.ssl else None
        if obj is None:
            return None
        if cbtype == "tls-unique" and obj.version() == "TLSv1.2":
            return obj.get_channel_binding("tls-unique")
        if cbtype == "tls-exporter" and obj.version() == "TLSv1.3":
            return _tls_exporter(obj)
        return None

    async def _oauth_refuse(self, error):
        """The JSON error as a challenge; the client's answer ends it."""
        if await self._next(json.dumps(error).encode()) is None:
            return None
        return False

    async def _auth_xoauth2(self, ir):
        data = await self._first(ir)
        if data is None:
            return None
        fields = dict(f.split(b"=", 1) for f in data.split(b"\x01") if
                      b"=" in f)
        self._auth_try_user = fields.get(b"user", b"-").decode(
            "utf-8", "backslashreplace")
        want = b"Bearer " + self._token().encode()
        if (self._auth_try_user == self.st.args.auth_user
                and fields.get(b"auth") == want and data.endswith(
                    b"\x01\x01")):
            return True
        return await self._oauth_refuse({
            "status": "400", "schemes": "Bearer",
            "scope": "https://mail.google.com/"})

    async def _auth_oauthbearer(self, ir):
        data = await self._first(ir)
        if data is None:
            return None
        gs2, _, rest = data.partition(b",\x01")
        fields = dict(f.split(b"=", 1) for f in rest.split(b"\x01") if
                      b"=" in f)
        user = b""
        for part in gs2.split(b","):
            if part.startswith(b"a="):
                user = part[2:].replace(b"=2C", b",").replace(b"=3D", b"=")
        self._auth_try_user = user.decode("utf-8", "backslashreplace") or "-"
        want = b"Bearer " + self._token().encode()
        if (gs2.startswith(b"n,") and fields.get(b"auth") == want
                and self._auth_try_user == self.st.args.auth_user
                and fields.get(b"host") and fields.get(b"port")
                and data.endswith(b"\x01\x01")):
            return True
        return await self._oauth_refuse({
            "status": "invalid_token", "scope": "mail",
            "openid-configuration":
                "https://auth.example/.well-known/openid-configuration"})

    async def _mail_status(self, arg):
        if not self.session.host_name:
            return "503 5.5.1 Error: send HELO/EHLO first", None
        if self._auth_enabled() and not self.session.authenticated:
            return "530 5.7.0 Authentication required", None
        if self.envelope.mail_from is not None:
            return "503 5.5.1 Error: nested MAIL command", None
        address, params = _parse_path(arg, "FROM:")
        if address is None:
            return R_SYNTAX, None
        if params and not self.session.extended_smtp:
            return R_SYNTAX, None
        cfg = self.st.control.get()
        size_limit = _int_or_none(cfg.get("size"))
        seen = set()
        for p in params:
            k, eq, v = p.partition("=")
            ku = k.upper()
            if not k.isalnum() or (eq and not v) or ku in seen:
                return R_SYNTAX, None
            seen.add(ku)
            if ku == "SIZE":
                if not v.isdigit():
                    return R_SYNTAX, None
                if size_limit and int(v) > size_limit:
                    return ("552 5.3.4 Message size exceeds fixed maximum "
                            "message size"), None
            elif ku == "BODY":
                if v.upper() not in ("7BIT", "8BITMIME"):
                    return "501 5.5.4 BODY can only be 7BIT or 8BITMIME", None
            elif ku == "RET" and cfg.get("dsn"):
                if v.upper() not in ("FULL", "HDRS"):
                    return "501 5.5.4 RET can only be FULL or HDRS", None
            elif ku == "ENVID" and cfg.get("dsn"):
                if not v:
                    return R_SYNTAX, None
            elif ku == "AUTH" and self._auth_enabled():
                pass
            else:
                return ("555 5.5.4 MAIL FROM parameter %s not recognized"
                        % k), None
        over = self.st.control.take("mail")
        if over:
            return str(over), (address, params)
        return "250 2.1.0 Sender OK", (address, params)

    async def smtp_MAIL(self, arg):
        status, parsed = await self._mail_status(arg)
        addr = parsed[0] if parsed else _addr_for_log(arg, "FROM:")
        if status.startswith("2") and parsed:
            self.envelope.mail_from = parsed[0]
            self.envelope.mail_options = list(parsed[1])
        if status.startswith("2"):
            self.st.event("mail", self.conn_no, addr)
        else:
            self.st.event("mail", self.conn_no, addr, _code(status))
        await self._reply(status)

    async def _rcpt_status(self, arg):
        if not self.session.host_name:
            return "503 5.5.1 Error: send HELO/EHLO first", None
        if self._auth_enabled() and not self.session.authenticated:
            return "530 5.7.0 Authentication required", None
        if self.envelope.mail_from is None:
            return "503 5.5.1 Error: need MAIL command", None
        address, params = _parse_path(arg, "TO:")
        if address is None or address == "":
            return R_SYNTAX, None
        if params and not self.session.extended_smtp:
            return R_SYNTAX, None
        cfg = self.st.control.get()
        seen = set()
        for p in params:
            k, eq, v = p.partition("=")
            ku = k.upper()
            if not k.isalnum() or (eq and not v) or ku in seen:
                return R_SYNTAX, None
            seen.add(ku)
            if ku == "NOTIFY" and cfg.get("dsn"):
                vals = v.upper().split(",")
                if not (vals == ["NEVER"] or
                        (vals and all(x in ("SUCCESS", "FAILURE", "DELAY")
                                      for x in vals)
                         and len(set(vals)) == len(vals))):
                    return "501 5.5.4 Bad NOTIFY parameter", None
            elif ku == "ORCPT" and cfg.get("dsn"):
                t, semi, a = v.partition(";")
                if not semi or not t or not a:
                    return "501 5.5.4 Bad ORCPT parameter", None
            else:
                return ("555 5.5.4 RCPT TO parameter %s not recognized"
                        % k), None
        over = self.st.control.take_rcpt(address)
        if over:
            return str(over), (address, params)
        return "250 2.1.5 Recipient OK", (address, params)

    async def smtp_RCPT(self, arg):
        status, parsed = await self._rcpt_status(arg)
        addr = parsed[0] if parsed else _addr_for_log(arg, "TO:")
        if status.startswith("2") and parsed:
            self.envelope.rcpt_tos.append(parsed[0])
            self.envelope.rcpt_options.extend(parsed[1])
            self.envelope.rcpt_options_per_rcpt.append(list(parsed[1]))
        self.st.event("rcpt", self.conn_no, addr, _code(status))
        await self._reply(status)

    async def smtp_RSET(self, arg):
        self.st.event("rset", self.conn_no)
        self._generic_log = False
        try:
            await super().smtp_RSET(arg)
        finally:
            self._generic_log = True

    async def smtp_QUIT(self, arg):
        self.st.event("quit", self.conn_no)
        self._generic_log = False
        try:
            await super().smtp_QUIT(arg)
        finally:
            self._generic_log = True

    async def _reply(self, status):
        self._generic_log = False
        try:
            await self.push_raw(status)
        finally:
            self._generic_log = True

    async def smtp_DATA(self, arg):
        env = self.envelope
        status = None
        if not self.session.host_name:
            status = "503 5.5.1 Error: send HELO/EHLO first"
        elif self._auth_enabled() and not self.session.authenticated:
            status = "530 5.7.0 Authentication required"
        elif env.mail_from is None:
            status = "503 5.5.1 Error: need MAIL command"
        elif not env.rcpt_tos:
            status = "554 5.5.1 Error: no valid recipients"
        elif arg:
            status = "501 5.5.4 Syntax: DATA"
        if status is not None:
            self.st.event("data", self.conn_no, _code(status))
            await self._reply(status)
            return
        await self._reply("354 End data with <CR><LF>.<CR><LF>")

        reader = self._reader
        lines = []
        frags = []
        nbytes = 0
        first = True
        while True:
            try:
                chunk = await reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError as e:
                frags.append(await reader.readexactly(e.consumed))
                continue
            except asyncio.CancelledError:
                # EOF/connection lost in the middle of DATA (aiosmtpd cancels
                # the session task)
                self.st.event("data", self.conn_no, "eof")
                self._set_post_data_state()
                raise
            except asyncio.IncompleteReadError:
                # connection closed in the middle of DATA
                self.st.event("data", self.conn_no, "eof")
                self._set_post_data_state()
                self.kill()
                raise asyncio.CancelledError()
            if frags:
                frags.append(chunk)
                line = b"".join(frags)
                frags = []
            else:
                line = chunk
                if line == b".\r\n":
                    break
            if first:
                first = False
                if self.st.control.take("drop_in_data"):
                    self.st.event("drop", self.conn_no)
                    self._set_post_data_state()
                    self.kill()
                    # end the session task (aiosmtpd closes the writer);
                    # buffered client data must not be read as commands.
                    raise asyncio.CancelledError()
            if line[:1] == b".":
                line = line[1:]
            nbytes += len(line)
            lines.append(line)
        content = b"".join(lines)
        del lines

        cfg = self.st.control.get()
        size_limit = _int_or_none(cfg.get("size"))
        msgid = None
        if size_limit and nbytes > size_limit:
            status = "552 5.3.4 Message size exceeds fixed maximum message size"
        else:
            over = self.st.control.take("data")
            if over:
                status = str(over)
        if status is None or status.startswith("2"):
            meta = {
                "mail_from": env.mail_from,
                "rcpt_tos": list(env.rcpt_tos),
                "mail_options": list(env.mail_options),
                "rcpt_options": list(env.rcpt_options),
                "rcpt_options_per_rcpt": list(env.rcpt_options_per_rcpt),
                "auth_user": self.auth_user,
                "auth_mech": self.auth_mech,
                "auth_cb": self.auth_cb,
                "tls": self.session.ssl is not None,
                "client_cert": self._client_cert(),
                "peer": self._peer_ip(),
                "session": self.conn_no,
                "helo": self.session.host_name,
                "size": nbytes,
            }
            try:
                msgid = self.st.store(content, meta)
            except Exception as e:
                eprint("connection %s: cannot store message:\n%s"
                       % (self.conn_no, traceback.format_exc()))
                status = "451 4.3.0 Local error storing message: %s" % e
            if status is None:
                status = "250 2.0.0 Ok: queued as %s" % msgid
        self._set_post_data_state()
        self.st.event("data", self.conn_no, _code(status))
        await self._reply(status)

    def _client_cert(self):
        """Subject of the verified client certificate ("CN=x"), or None."""
        if self.session.ssl is None:
            return None
        obj = self.session.ssl.get("ssl_object")
        cert = obj.getpeercert() if obj is not None else None
        if not cert:
            return None
        return ",".join("%s=%s" % (_SHORT.get(k, k), v)
                        for rdn in cert.get("subject", ()) for k, v in rdn)

    def _peer_ip(self):
        p = self.session.peer
        if isinstance(p, (tuple, list)) and p:
            return str(p[0])
        return str(p)


_MECHS = {
    "PLAIN": SmartHostSMTP._auth_plain,
    "LOGIN": SmartHostSMTP._auth_login,
    "CRAM-MD5": SmartHostSMTP._auth_cram_md5,
    "SCRAM-SHA-256": lambda self, ir: self._auth_scram(ir, False),
    "SCRAM-SHA-256-PLUS": lambda self, ir: self._auth_scram(ir, True),
    "XOAUTH2": SmartHostSMTP._auth_xoauth2,
    "OAUTHBEARER": SmartHostSMTP._auth_oauthbearer,
}
SCRAM_ITER = 4096

_libssl = None


def _tls_exporter(obj):
    """RFC 9266 tls-exporter of a TLS 1.3 ssl.SSLObject, or None.

    Python's ssl module has no keying material exporter, so this calls
    OpenSSL's SSL_export_keying_material through ctypes on the SSL* that
    the _ssl._SSLSocket object holds right after its PyObject header and
    its socket weakref (CPython's Modules/_ssl.c, PySSLSocket).  The
    pointer is checked (SSL_version must say TLS 1.3) before use.
    """
    global _libssl
    try:
        if _libssl is None:
            _libssl = ctypes.CDLL(ctypes.util.find_library("ssl")
                                  or "libssl.so.3")
            _libssl.SSL_version.argtypes = [ctypes.c_void_p]
            _libssl.SSL_export_keying_material.argtypes = [
                ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                ctypes.c_size_t, ctypes.c_int]
        inner = obj._sslobj
        ptr = ctypes.c_void_p.from_address(
            id(inner) + object.__basicsize__ + ctypes.sizeof(
                ctypes.c_void_p)).value
        if not ptr or _libssl.SSL_version(ptr) != 0x0304:
            eprint("tls-exporter: cannot find the SSL object")
            return None
        out = ctypes.create_string_buffer(32)
        label = b"EXPORTER-Channel-Binding"
        if _libssl.SSL_export_keying_material(ptr, out, 32, label,
                                              len(label), None, 0, 0) != 1:
            eprint("tls-exporter: SSL_export_keying_material failed")
            return None
        return out.raw
    except (OSError, AttributeError) as e:
        eprint("tls-exporter: %s" % e)
        return None


_SHORT = {"commonName": "CN", "organizationName": "O",
          "organizationalUnitName": "OU", "countryName": "C"}


def _describe(err):
    if isinstance(err, BaseException):
        s = "%s: %s" % (type(err).__name__, err)
    else:
        s = str(err)
    return s.replace("\n", " ")


def _int_or_none(v):
    if v in (None, False, ""):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


class Handler:
    """aiosmtpd event handler: only used for exception reporting."""

    async def handle_exception(self, error):
        if isinstance(error, TLSSetupException):
            return "454 4.7.0 TLS not available"
        eprint("exception in SMTP session:\n" + "".join(
            traceback.format_exception(type(error), error,
                                       error.__traceback__)))
        return "451 4.3.0 Internal server error"


# --------------------------------------------------------------------------

async def amain(args):
    st = State(args)
    loop = asyncio.get_running_loop()
    handler = Handler()

    def loop_exc(loop, context):
        msg = context.get("message", "")
        exc = context.get("exception")
        eprint("asyncio: %s%s" % (msg, (": %r" % exc) if exc else ""))

    loop.set_exception_handler(loop_exc)

    def factory():
        proto = SmartHostSMTP(
            st, handler,
            data_size_limit=None,
            enable_SMTPUTF8=False,
            decode_data=False,
            hostname=HOSTNAME,
            ident=IDENT,
            tls_context=st.tls_context if args.mode == "starttls" else None,
            auth_require_tls=(args.mode == "starttls"),
            timeout=300,
            loop=loop)
        proto.tls_context = st.tls_context
        return proto

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    server = await loop.create_server(factory, host=args.host, port=args.port,
                                      family=family, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
    except asyncio.TimeoutError:
        eprint("--max-seconds %s reached, exiting" % args.max_seconds)
    server.close()
    for c in list(st.conns):
        try:
            c.kill()
        except Exception:
            pass
    await asyncio.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description="relayq test SMTP smart host")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0,
                    help="listen on this port (default: an ephemeral one)")
    ap.add_argument("--mode", choices=("plain", "starttls", "tls"),
                    default="plain")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca",
                    help="require a client certificate signed by this CA")
    ap.add_argument("--auth-user")
    ap.add_argument("--auth-password")
    ap.add_argument("--max-seconds", type=float, default=900)
    args = ap.parse_args()
    if args.mode != "plain" and not (args.cert and args.key):
        ap.error("--mode %s needs --cert and --key" % args.mode)
    if args.auth_user is not None and args.auth_password is None:
        ap.error("--auth-user needs --auth-password")
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("--host must be a loopback address (127.0.0.1 or ::1)")
    if args.host == "localhost":
        args.host = "127.0.0.1"

    # aiosmtpd warns about things we do on purpose (AUTH without TLS, ...)
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="smarthost: %(name)s: %(message)s")
    try:
        asyncio.run(amain(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
