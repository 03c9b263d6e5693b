#!/usr/bin/env python3
"""smtp_sink - a scriptable SMTP receiver for Postern's tests and benchmarks.

SYNOPSIS
    smtp_sink.py --listen 127.0.0.1:PORT [--port-file F] [--rules F]
        [--out DIR] [--events F] [--stats F] [--tls-cert F --tls-key F]
        [--max-seconds N] [...]        (--help lists every option)

DESCRIPTION
    Accepts SMTP sessions on one loopback address and answers them as a JSON
    rules file says: fixed, cycling or random replies per stage, replies per
    address pattern, delays, dropped or reset connections, stalls, garbage
    and over-long reply lines, a concurrent session limit. The rules file is
    re-read when it changes, so a test can change behaviour mid-run. Each
    accepted message is written to --out byte for byte (after dot-unstuffing)
    below a JSON envelope line; --events and --stats tell what happened.
    tests/tools/README.md documents the options and file formats.

    Everything is bounded: the process exits by itself after --max-seconds,
    every read and write has a timeout, sessions have a command limit and
    bodies a size limit. Only loopback addresses are accepted.

DIAGNOSTICS
    A bad option or rules file at start: a message naming it on stderr, exit
    status 2. A bad rules file on reload: a "rules-error" event, the previous
    rules stay in force. SIGTERM or SIGINT: clean exit with status 0.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import random
import re
import signal
import socket
import ssl
import struct
import sys
import time

PROG = "smtp_sink"
LINE_LIMIT = 65536          # longest command line; also the read size
MAX_PIECES = 10000          # pieces of one over-long command line skipped
END_DATA = b"\r\n.\r\n"
STAGES = ("greeting", "ehlo", "helo", "starttls", "mail", "rcpt", "data",
          "data-body", "data-end", "rset", "noop", "quit")
ACTIONS = ("drop", "reset", "stall", "garbage", "long")
INT_RULES = ("max_sessions", "max_size", "data_body_after_bytes",
             "stall_seconds", "long_reply_length")
RULE_KEYS = INT_RULES + ("hostname", "extensions", "replies", "delays_ms",
                         "mail_patterns", "rcpt_patterns",
                         "max_sessions_reply")
EXTENSIONS = "PIPELINING,SIZE,8BITMIME,STARTTLS,ENHANCEDSTATUSCODES,DSN"
# Default reply per stage: code, enhanced status code, text.
DEFAULTS = {
    "greeting": (220, "", "{host} ESMTP Postern test sink"),
    "ehlo": (250, "", "{host}"), "helo": (250, "", "{host}"),
    "starttls": (220, "2.0.0", "Ready to start TLS"),
    "mail": (250, "2.1.0", "Ok"), "rcpt": (250, "2.1.5", "Ok"),
    "data": (354, "", "End data with <CR><LF>.<CR><LF>"),
    "data-body": (250, "2.0.0", "Ok"),
    "data-end": (250, "2.0.0", "Ok: queued as {qid}"),
    "rset": (250, "2.0.0", "Ok"), "noop": (250, "2.0.0", "Ok"),
    "quit": (221, "2.0.0", "Bye"),
}
REPLY_LINE = re.compile(r"[2-5][0-9][0-9]( .*)?\Z", re.S)
PATH_ARG = re.compile(r"(?:FROM|TO):\s*<([^<>]*)>\s*(.*)\Z", re.I)
GARBAGE = b"\x00\xff\xfe garbage \x1b[0m not an SMTP reply\r\n"
TOO_BIG = "552 5.3.4 Message size exceeds fixed limit"


class RulesError(Exception):
    """A rules file that cannot be used; the text names file and key."""


class SessionEnd(Exception):
    """The session is over: client gone, dropped, stalled, 421 sent."""


def fail(text):
    """fail - report a fatal start-up error and exit with status 2"""
    print(f"{PROG}: fatal: {text}", file=sys.stderr)
    sys.exit(2)


def parse_listen(spec):
    """parse_listen - ADDR:PORT or [V6ADDR]:PORT, loopback literals only"""
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)|([^:\[\]]+):(\d+)", spec)
    if not m:
        raise ValueError(f"bad listen address '{spec}' (want ADDR:PORT)")
    host, port = m.group(1, 2) if m.group(1) else m.group(3, 4)
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"'{host}' is not an IP address literal") from None
    if not addr.is_loopback or int(port) > 65535:
        raise ValueError(f"refusing {spec}: loopback only (127.0.0.0/8, ::1)")
    return host, int(port)


def write_atomic(path, data):
    """write_atomic - replace PATH by DATA; readers never see half a file"""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def check_reply(value, where):
    """check_reply - validate one reply: 'CODE [text]' or an action"""
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where}: a reply must be a non-empty string")
    words = value.split()
    if words[0] in ACTIONS:
        if len(words) > 3 or not all(w.isdigit() for w in words[1:]):
            raise RulesError(f"{where}: '{value}': bad action arguments")
    elif not REPLY_LINE.match(value.split("\n")[0]):
        raise RulesError(f"{where}: '{value}' is neither 'CODE [text]' "
                         f"(CODE 200-599) nor one of {', '.join(ACTIONS)}")


def check_spec(value, where):
    """check_spec - validate a reply spec: string, cycling list or mix"""
    if isinstance(value, list) and value:
        for i, item in enumerate(value):
            check_reply(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for reply, p in value.items():
            check_reply(reply, f"{where}.{reply}")
            if not isinstance(p, (int, float)) or p < 0:
                raise RulesError(f"{where}.{reply}: probability must be >= 0")
        if sum(value.values()) > 1.000001:
            raise RulesError(f"{where}: probabilities add up to more than 1")
    else:
        check_reply(value, where)


def check_delay(value, where):
    """check_delay - validate a delay: milliseconds or [low, high]"""
    if isinstance(value, list) and len(value) == 2:
        value = min(value) if all(isinstance(v, (int, float))
                                  for v in value) else None
    if not isinstance(value, (int, float)) or value < 0:
        raise RulesError(f"{where}: want milliseconds or [low, high]")


def load_rules(path):
    """load_rules - read and validate a rules file; RulesError on bad input"""
    try:
        with open(path, encoding="utf-8") as f:
            rules = json.load(f)
    except json.JSONDecodeError as e:
        raise RulesError(f"{path}, line {e.lineno}: {e.msg}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RulesError(f"{path}: {e}") from None
    if not isinstance(rules, dict):
        raise RulesError(f"{path}: the top level must be a JSON object")
    for key, value in rules.items():
        if key not in RULE_KEYS:
            raise RulesError(f"{path}: unknown key '{key}'")
        if key in INT_RULES and (type(value) is not int or value < 0):
            raise RulesError(f"{path}: '{key}' must be an integer >= 0")
    for key, check in (("replies", check_spec), ("delays_ms", check_delay)):
        for stage, value in rules.get(key, {}).items():
            if stage not in STAGES:
                raise RulesError(f"{path}: {key}: unknown stage '{stage}'")
            check(value, f"{path}: {key}.{stage}")
    for key in ("mail_patterns", "rcpt_patterns"):
        for pattern, spec in rules.get(key, {}).items():
            try:
                re.compile(pattern)
            except re.error as e:
                raise RulesError(f"{path}: {key}: bad regex '{pattern}': "
                                 f"{e}") from None
            check_spec(spec, f"{path}: {key}.{pattern}")
    if "max_sessions_reply" in rules:
        check_reply(rules["max_sessions_reply"], f"{path}: max_sessions_reply")
    ext = rules.get("extensions", [])
    if not isinstance(ext, list) or not all(isinstance(e, str) for e in ext):
        raise RulesError(f"{path}: 'extensions' must be a list of strings")
    return rules


def reply_code(stage, reply):
    """reply_code - the code REPLY would send at STAGE, 0 for none"""
    words = reply.split() if reply else ["long"]
    if words[0] == "long":
        return int(words[1]) if len(words) > 1 else DEFAULTS[stage][0]
    return 0 if words[0] in ACTIONS else int(words[0][:3])


class Sink:
    """Process-wide state: options, rules, counters and logs."""

    def __init__(self, opts):
        self.opts = opts
        self.rng = random.Random(opts.seed)
        self.rules, self.rules_id, self.cycles = {}, None, {}
        self.tls_ctx = None
        if opts.tls_cert:
            self.tls_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls_ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
        self.events = open(opts.events, "a", encoding="utf-8") \
            if opts.events else None
        self.sessions, self.tasks, self.msg_count = 0, set(), 0
        self.stats = {"connections": 0, "max_concurrent": 0,
                      "current_concurrent": 0, "rejected_sessions": 0,
                      "messages": 0, "recipients": 0, "tls_sessions": 0,
                      "replies": {}, "replies_by_stage": {},
                      "started": time.time(), "pid": os.getpid()}
        self.deadline = time.monotonic() + opts.max_seconds

    def rule(self, key):
        """rule - a top-level rule, else the command line option"""
        return self.rules.get(key, getattr(self.opts, key, None))

    def reload(self, initial=False):
        """reload - re-read the rules file when it was replaced or changed"""
        try:
            st = os.stat(self.opts.rules) if self.opts.rules else None
        except OSError as e:
            if initial:
                fail(f"{self.opts.rules}: {e.strerror}")
            return
        ident = st and (st.st_mtime_ns, st.st_size, st.st_ino)
        if ident == self.rules_id:
            return
        self.rules_id = ident
        try:
            self.rules = load_rules(self.opts.rules)
        except RulesError as e:
            if initial:
                fail(str(e))
            self.event("rules-error", error=str(e))
        else:
            self.cycles = {}
            self.event("rules", file=self.opts.rules)

    def event(self, kind, **fields):
        """event - append one JSON line to the events log"""
        if self.events:
            fields = {"t": round(time.time(), 6), "event": kind, **fields}
            self.events.write(json.dumps(fields) + "\n")
            self.events.flush()

    def count_reply(self, stage, key):
        """count_reply - count a reply by code (or action) and by stage"""
        for table in (self.stats["replies"],
                      self.stats["replies_by_stage"].setdefault(stage, {})):
            table[key] = table.get(key, 0) + 1

    def pick(self, key, spec):
        """pick - one concrete reply from a spec, None for the default"""
        if spec is None or isinstance(spec, str):
            return spec
        if isinstance(spec, list):
            n = self.cycles[key] = self.cycles.get(key, -1) + 1
            return spec[n % len(spec)]
        r, acc = self.rng.random(), 0.0
        for reply, p in spec.items():
            acc += p
            if r < acc:
                return reply
        return None

    def stage_reply(self, stage, address=None):
        """stage_reply - the configured reply at STAGE (for ADDRESS)"""
        if address is not None:
            for pattern, spec in self.rules.get(f"{stage}_patterns",
                                                {}).items():
                if re.search(pattern, address):
                    return self.pick(f"{stage}:{pattern}", spec)
        return self.pick(stage, self.rules.get("replies", {}).get(stage))

    def delay(self, stage):
        """delay - the configured delay at STAGE, in seconds"""
        d = self.rules.get("delays_ms", {}).get(stage, 0)
        if isinstance(d, list):
            d = self.rng.uniform(min(d), max(d))
        return min(d / 1000.0, self.remaining())

    def extensions(self, tls=False):
        """extensions - the EHLO keywords to advertise (TLS: in TLS)"""
        out = []
        for name in self.rules.get("extensions", self.opts.extensions):
            if name.upper() == "STARTTLS" and (tls or not self.tls_ctx):
                continue
            out.append(f"SIZE {self.rule('max_size')}"
                       if name.upper() == "SIZE" else name)
        return out

    def save_message(self, header, body):
        """save_message - write one accepted message into --out"""
        self.msg_count += 1
        if not self.opts.out:
            return None
        name = os.path.join(self.opts.out, f"{self.msg_count:08d}.msg")
        write_atomic(name, json.dumps(header).encode() + b"\n" + body)
        return name

    def write_stats(self):
        """write_stats - rewrite the counters file atomically"""
        if self.opts.stats:
            self.stats["updated"] = time.time()
            write_atomic(self.opts.stats,
                         json.dumps(self.stats, indent=1).encode() + b"\n")

    def remaining(self):
        """remaining - seconds left of the process lifetime"""
        return max(0.0, self.deadline - time.monotonic())


class Session:
    """One SMTP session: the command loop and the message transaction."""

    def __init__(self, sink, reader, writer, sid):
        self.sink, self.reader, self.writer = sink, reader, writer
        self.sid = sid
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.connect_time = time.time()
        self.helo, self.tls, self.esmtp, self.nmsg = None, False, False, 0
        self.buf = bytearray()      # received, not yet used
        self.reset()

    def reset(self):
        """reset - forget the current mail transaction"""
        self.mail_from, self.mail_params = None, ""
        self.rcpts, self.rcpt_params = [], []

    async def send(self, data):
        """send - write bytes and wait until the client takes them"""
        self.writer.write(data)
        try:
            await asyncio.wait_for(self.writer.drain(), self.sink.opts.timeout)
        except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
            raise SessionEnd("write failed") from None

    def format_reply(self, stage, reply):
        """format_reply - wire form of 'CODE [text]' ('\\n' = next line)"""
        code, enh, text = DEFAULTS[stage]
        if reply is None:
            text = text.format(host=self.sink.rule("hostname"),
                               qid=f"{self.sid}.{self.nmsg}")
        else:
            code, text = int(reply[:3]), reply[4:]
            enh = "" if text else f"{code // 100}.0.0"
            text = text or f"test sink reply {code}"
        if enh and "ENHANCEDSTATUSCODES" in self.sink.extensions():
            text = f"{enh} {text}"
        lines = text.split("\n")
        wire = "".join(f"{code}-{line}\r\n" for line in lines[:-1])
        return code, (wire + f"{code} {lines[-1]}\r\n").encode()

    async def answer(self, stage, reply=None, wire=None, delay=True,
                     log=None):
        """answer - carry out REPLY (else WIRE, else the default) at STAGE.

        Returns the code sent, 0 for garbage; raises SessionEnd when the
        session is over. LOG (event fields) goes to the events log with the
        reply before the client can see the reply."""
        if delay:
            await asyncio.sleep(self.sink.delay(stage))
        words = reply.split() if reply else [""]
        if words[0] in ACTIONS:
            if log is not None:
                self.sink.event(stage, session=self.sid, **log,
                                reply=words[0])
            return await self.act(stage, words)
        if reply is not None or wire is None:
            code, wire = self.format_reply(stage, reply)
        else:
            code = int(wire[:3])
        if log is not None:
            self.sink.event(stage, session=self.sid, **log, reply=code)
        self.sink.count_reply(stage, str(code))
        await self.send(wire)
        if code == 421:
            raise SessionEnd("421 sent")
        return code

    async def act(self, stage, words):
        """act - perform an action: drop, reset, stall, garbage, long"""
        self.sink.count_reply(stage, words[0])
        self.sink.event("action", session=self.sid, stage=stage,
                        action=" ".join(words))
        arg = [int(w) for w in words[1:]]
        if words[0] == "drop":
            raise SessionEnd("dropped")
        if words[0] == "reset":     # linger 0: close sends RST, not FIN
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            self.writer.transport.abort()
            raise SessionEnd("reset")
        if words[0] == "stall":
            n = arg[0] if arg else self.sink.rule("stall_seconds")
            await asyncio.sleep(min(n, self.sink.remaining()))
            raise SessionEnd("stalled")
        if words[0] == "garbage":
            await self.send(GARBAGE)
            return 0
        code = arg[0] if arg else DEFAULTS[stage][0]
        length = arg[1] if len(arg) > 1 else \
            self.sink.rule("long_reply_length")
        await self.send(f"{code} ".encode() + b"x" * length + b"\r\n")
        return code

    async def fill(self):
        """fill - read what the client sent next into self.buf"""
        timeout = min(self.sink.opts.timeout, self.sink.remaining())
        try:
            data = await asyncio.wait_for(self.reader.read(LINE_LIMIT),
                                          timeout)
        except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
            data = b""
        if not data:
            raise SessionEnd("client gone or idle")
        self.buf += data

    async def read_piece(self):
        """read_piece - one line, or LINE_LIMIT bytes of a longer one"""
        for _ in range(LINE_LIMIT + 1):     # each fill adds a byte or more
            end = self.buf.find(b"\n", 0, LINE_LIMIT) + 1 or \
                (LINE_LIMIT if len(self.buf) >= LINE_LIMIT else 0)
            if end:
                piece = bytes(self.buf[:end])
                del self.buf[:end]
                return piece
            await self.fill()
        raise SessionEnd("no line")

    async def read_command(self):
        """read_command - one command line; None if it was too long"""
        piece = await self.read_piece()
        if piece.endswith(b"\n"):
            return piece.rstrip(b"\r\n").decode("utf-8", "replace")
        for _ in range(MAX_PIECES):
            if (await self.read_piece()).endswith(b"\n"):
                return None
        raise SessionEnd("endless command line")

    async def run(self):
        """run - greet, then read and dispatch commands"""
        code = await self.answer("greeting", self.sink.stage_reply("greeting"))
        handlers = {"EHLO": self.hello, "HELO": self.hello,
                    "STARTTLS": self.starttls, "MAIL": self.mail,
                    "RCPT": self.rcpt, "DATA": self.data, "RSET": self.simple,
                    "NOOP": self.simple, "QUIT": self.simple}
        for _ in range(self.sink.opts.max_commands):
            line = await self.read_command()
            verb, _, arg = (line or "").partition(" ")
            verb = verb.upper()
            if line is None:
                await self.send(b"500 5.5.2 Error: line too long\r\n")
            elif code >= 500 and verb != "QUIT":    # RFC 5321 4.3.1
                await self.send(b"503 5.5.1 Error: no service\r\n")
            elif verb not in handlers:
                await self.send(b"502 5.5.2 Error: command not recognized\r\n")
            else:
                await handlers[verb](verb.lower(), arg.strip())
        raise SessionEnd("command limit")

    async def hello(self, stage, arg):
        """hello - EHLO or HELO: answer and reset the transaction"""
        if not arg:
            await self.send(f"501 5.5.4 Syntax: {stage.upper()} hostname\r\n"
                            .encode())
            return
        reply, wire = self.sink.stage_reply(stage), None
        if stage == "ehlo" and reply is None:
            lines = [self.sink.rule("hostname")] + \
                self.sink.extensions(self.tls)
            wire = "".join(f"250-{x}\r\n" for x in lines[:-1])
            wire = (wire + f"250 {lines[-1]}\r\n").encode()
        code = await self.answer(stage, reply, wire, log={"name": arg})
        if code // 100 == 2:
            self.helo, self.esmtp = arg, stage == "ehlo"
            self.reset()

    async def starttls(self, stage, arg):
        """starttls - STARTTLS: switch the session to TLS"""
        if not any(e.upper() == "STARTTLS" for e in
                   self.sink.extensions()):
            await self.send(b"502 5.5.1 Error: command not implemented\r\n")
        elif self.tls or arg:
            await self.send(b"503 5.5.1 Error: TLS already active\r\n"
                            if self.tls else b"501 5.5.4 Syntax: STARTTLS\r\n")
        else:
            await self.start_tls(stage)

    async def start_tls(self, stage):
        """start_tls - answer STARTTLS and do the server side handshake"""
        # Stop reading first, or the client's hello could land in the plain
        # text buffer before the handshake starts, and the handshake hang.
        self.writer.transport.pause_reading()
        if await self.answer(stage, self.sink.stage_reply(stage)) != 220:
            self.writer.transport.resume_reading()
            return
        self.buf.clear()        # plain text sent after STARTTLS is dropped
        try:
            await asyncio.wait_for(self.writer.start_tls(self.sink.tls_ctx),
                                   self.sink.opts.timeout)
        except (asyncio.TimeoutError, ConnectionError, OSError) as e:
            self.sink.event("tls-error", session=self.sid, error=repr(e))
            raise SessionEnd("TLS handshake failed") from None
        self.tls, self.helo = True, None
        self.reset()
        self.sink.stats["tls_sessions"] += 1
        self.sink.event("starttls", session=self.sid)

    async def mail(self, stage, arg):
        """mail - MAIL FROM:<address> [parameters]"""
        m = PATH_ARG.match(arg) if arg[:5].upper() == "FROM:" else None
        if not self.helo or self.mail_from is not None or not m:
            await self.send(b"503 5.5.1 Error: send HELO/EHLO first\r\n"
                            if not self.helo else
                            b"503 5.5.1 Error: nested MAIL command\r\n"
                            if self.mail_from is not None else
                            b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n")
            return
        size = re.search(r"(?:^|\s)SIZE=(\d+)", m.group(2), re.I)
        reply = TOO_BIG if size and int(size.group(1)) > \
            self.sink.rule("max_size") else self.sink.stage_reply(stage,
                                                                 m.group(1))
        log = {"address": m.group(1), "params": m.group(2)}
        if await self.answer(stage, reply, log=log) // 100 == 2:
            self.mail_from, self.mail_params = m.group(1), m.group(2)

    async def rcpt(self, stage, arg):
        """rcpt - RCPT TO:<address> [parameters]"""
        m = PATH_ARG.match(arg) if arg[:3].upper() == "TO:" else None
        if self.mail_from is None or not m:
            await self.send(b"503 5.5.1 Error: need MAIL command\r\n"
                            if self.mail_from is None else
                            b"501 5.5.4 Syntax: RCPT TO:<address>\r\n")
            return
        reply = self.sink.stage_reply(stage, m.group(1))
        log = {"address": m.group(1), "params": m.group(2)}
        if await self.answer(stage, reply, log=log) // 100 == 2:
            self.rcpts.append(m.group(1))
            self.rcpt_params.append(m.group(2))

    async def data(self, stage, arg):
        """data - DATA: receive the message, record it, answer at its end"""
        if self.mail_from is None or not self.rcpts or arg:
            await self.send(b"501 5.5.4 Syntax: DATA\r\n" if arg else
                            b"503 5.5.1 Error: need RCPT command\r\n"
                            if self.mail_from else
                            b"503 5.5.1 Error: need MAIL command\r\n")
            return
        if await self.answer(stage, self.sink.stage_reply(stage)) != 354:
            return
        self.nmsg += 1
        body, bare_lf, too_big = await self.read_body()
        reply = TOO_BIG if too_big else self.sink.stage_reply("data-end")
        await asyncio.sleep(self.sink.delay("data-end"))
        name = None     # on disk before the client can see a 2xx reply
        if reply_code("data-end", reply) // 100 == 2:
            name = self.accept(body, bare_lf)
        log = {"size": len(body), "rcpts": len(self.rcpts), "file": name}
        self.reset()
        await self.answer("data-end", reply, delay=False, log=log)

    def accept(self, body, bare_lf):
        """accept - count and record an accepted message"""
        header = {"mail_from": self.mail_from, "rcpt": self.rcpts,
                  "mail_params": self.mail_params,
                  "rcpt_params": self.rcpt_params, "helo": self.helo,
                  "esmtp": self.esmtp, "tls": self.tls, "session": self.sid,
                  "peer": self.peer, "connect_time": self.connect_time,
                  "accept_time": time.time(), "size": len(body),
                  "bare_lf": bare_lf}
        self.sink.stats["messages"] += 1
        self.sink.stats["recipients"] += len(self.rcpts)
        return self.sink.save_message(header, bytes(body))

    async def read_body(self):
        """read_body - the message up to CRLF.CRLF, dot-unstuffed.

        Lines end at CRLF only: a bare LF is data (and counted), ".\\n"
        does not end the message. Bytes after the end stay in self.buf for
        the next (pipelined) command. The data-body stage runs once
        data_body_after_bytes have arrived. Returns (body, bare LF count,
        too big); a body past four times the size limit ends the session."""
        limit = self.sink.rule("max_size")
        trigger = self.sink.rule("data_body_after_bytes")
        raw = bytearray(b"\r\n")   # the CRLF before the first line
        total, scan, too_big = 0, 0, False
        while total <= 4 * limit + LINE_LIMIT:      # each round reads
            if trigger is not None and total >= trigger:
                trigger = None
                await asyncio.sleep(self.sink.delay("data-body"))
                reply = self.sink.stage_reply("data-body")
                if reply is not None:
                    await self.answer("data-body", reply, delay=False)
            end = raw.find(END_DATA, scan)
            if end >= 0:
                self.buf[:0] = raw[end + len(END_DATA):]
                body = bytes(raw[:end + 2]).replace(b"\r\n.", b"\r\n")[2:]
                bare_lf = body.count(b"\n") - body.count(b"\r\n")
                return body, bare_lf, too_big or len(body) > limit
            if len(raw) > limit + 2:    # too big: keep what can end it
                del raw[:-4]
                too_big = True
            scan = max(0, len(raw) - 4)
            if not self.buf:
                await self.fill()
            total += len(self.buf)
            raw += self.buf
            self.buf.clear()
        await self.send(b"552 5.3.4 Message far too big, closing\r\n")
        raise SessionEnd("message far too big")

    async def simple(self, stage, arg):
        """simple - RSET, NOOP, QUIT"""
        if stage == "rset":
            self.reset()
        await self.answer(stage, self.sink.stage_reply(stage))
        if stage == "quit":
            raise SessionEnd("quit")


async def handle(sink, reader, writer):
    """handle - one connection: session limit, session, accounting"""
    sink.tasks.add(asyncio.current_task())
    sink.reload()
    stats = sink.stats
    stats["connections"] += 1
    sink.sessions += 1
    session = Session(sink, reader, writer, sink.sessions)
    reason, counted = "closed", stats["current_concurrent"] < \
        sink.rule("max_sessions")
    stats["current_concurrent"] += counted
    stats["rejected_sessions"] += not counted
    stats["max_concurrent"] = max(stats["max_concurrent"],
                                  stats["current_concurrent"])
    sink.event("connect", session=session.sid, peer=session.peer,
               concurrent=stats["current_concurrent"], rejected=not counted)
    try:
        if counted:
            await session.run()
        else:
            await session.answer("greeting", sink.rule("max_sessions_reply"))
    except SessionEnd as e:
        reason = str(e)
    except asyncio.CancelledError:
        reason = "shutdown"
    except Exception as e:      # keep serving the others; say what went wrong
        reason = f"internal error: {e!r}"
        print(f"{PROG}: session {session.sid}: {reason}", file=sys.stderr)
    finally:
        try:
            writer.close()
        except Exception:       # a transport in any state may refuse
            pass
        stats["current_concurrent"] -= counted
        sink.event("disconnect", session=session.sid, reason=reason,
                   seconds=round(time.time() - session.connect_time, 6))
        sink.tasks.discard(asyncio.current_task())


async def serve(sink, host, port):
    """serve - listen, run until a signal or the lifetime ends, clean up"""
    try:
        server = await asyncio.start_server(
            lambda r, w: handle(sink, r, w), host, port, reuse_address=True,
            backlog=1024)
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {e.strerror}")
    port = server.sockets[0].getsockname()[1]
    sink.stats["port"] = port
    if sink.opts.port_file:
        write_atomic(sink.opts.port_file, f"{port}\n".encode())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    sink.event("start", port=port, pid=os.getpid())
    tick = 0    # reload rules every 100 ms, write stats every second
    while not stop.is_set() and sink.remaining() > 0:
        sink.reload()
        if tick % 10 == 0:
            sink.write_stats()
        tick += 1
        try:
            await asyncio.wait_for(stop.wait(), min(0.1, sink.remaining()))
        except asyncio.TimeoutError:
            pass
    server.close()
    for task in list(sink.tasks):
        task.cancel()
    if sink.tasks:
        await asyncio.wait(list(sink.tasks), timeout=5)
    sink.event("stop", reason="signal" if stop.is_set() else "max-seconds")
    sink.write_stats()


def parse_args(argv):
    """parse_args - command line options"""
    p = argparse.ArgumentParser(prog="smtp_sink.py",
                                description="Scriptable SMTP test receiver.")
    add = p.add_argument
    add("--listen", required=True, help="ADDR:PORT, loopback only")
    add("--port-file", help="write the bound port here")
    add("--rules", help="JSON rules file, re-read when it changes")
    add("--out", help="directory for accepted messages")
    add("--events", help="JSON-lines events log")
    add("--stats", help="JSON counters file, rewritten every second")
    add("--tls-cert", help="PEM certificate (chain) for STARTTLS")
    add("--tls-key", help="PEM private key for STARTTLS")
    for name, kind, default, text in (
            ("max-seconds", float, 3600, "lifetime in seconds"),
            ("timeout", float, 60, "timeout of each read and write"),
            ("max-sessions", int, 1000, "concurrent sessions allowed"),
            ("max-size", int, 10240000, "message size limit in bytes"),
            ("max-commands", int, 100000, "commands per session"),
            ("stall-seconds", int, 30, "default stall length"),
            ("long-reply-length", int, 65536, "default 'long' reply size"),
            ("data-body-after-bytes", int, 0, "data-body stage position")):
        add(f"--{name}", type=kind, default=default,
            help=f"{text} (default {default})")
    add("--max-sessions-reply",
        default="421 4.7.0 Error: too many concurrent sessions")
    add("--hostname", default="sink.test")
    add("--extensions", default=EXTENSIONS, help="comma-separated EHLO "
        f"keywords (default {EXTENSIONS}; STARTTLS only with a certificate)")
    add("--seed", type=int, help="random seed for reply mixes")
    opts = p.parse_args(argv)
    opts.extensions = [e.strip() for e in opts.extensions.split(",")
                       if e.strip()]
    if bool(opts.tls_cert) != bool(opts.tls_key):
        fail("--tls-cert and --tls-key go together")
    if opts.out and not os.path.isdir(opts.out):
        fail(f"{opts.out}: not a directory")
    if opts.max_seconds <= 0 or opts.timeout <= 0 or opts.max_size <= 0:
        fail("--max-seconds, --timeout and --max-size must be positive")
    try:
        check_reply(opts.max_sessions_reply, "--max-sessions-reply")
    except RulesError as e:
        fail(str(e))
    return opts


def main(argv):
    """main - check options, load rules, serve"""
    opts = parse_args(argv)
    try:
        host, port = parse_listen(opts.listen)
        sink = Sink(opts)
    except (ValueError, OSError, ssl.SSLError) as e:
        fail(str(e))
    sink.reload(initial=True)
    asyncio.run(serve(sink, host, port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
