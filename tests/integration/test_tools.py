#!/usr/bin/env python3
"""test_tools - self-tests of the test servers in tests/tools/.

Starts tests/tools/smtp_sink.py and tests/tools/dns_server.py as real
processes on loopback and checks their behaviours with real clients:
smtplib and raw sockets for SMTP, a raw DNS query builder over UDP and TCP,
and libunbound (unbound-host, or a small C client when libunbound's header
is installed) for DNS. Prints "ok - NAME" or "not ok - NAME" per case (with
"# SKIP why" when a needed command is missing) and exits non-zero when any
case failed. Every wait is bounded.
"""

import json
import os
import random
import shutil
import signal
import smtplib
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SINK = os.path.join(TOP, "tests", "tools", "smtp_sink.py")
DNS = os.path.join(TOP, "tests", "tools", "dns_server.py")
CASES = []
STARTED = []        # every server process, so leftovers can be killed


class Skip(Exception):
    """A case that cannot run here; the text says why."""


def case(fn):
    """case - register a test case"""
    CASES.append(fn)
    return fn


def wait_for(pred, seconds, what):
    """wait_for - poll PRED until true or SECONDS pass"""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def check(cond, text):
    """check - fail the case with TEXT unless COND"""
    if not cond:
        raise AssertionError(text)


def write_json(path, data):
    """write_json - replace PATH atomically, as tests should"""
    with open(path + ".new", "w") as f:
        json.dump(data, f)
    os.replace(path + ".new", path)


def read_events(path):
    """read_events - the JSON lines of an events log"""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Tool:
    """A test server process in its own directory."""

    def __init__(self, script, args, tmp, name, lifetime=60):
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=tmp)
        self.port_file = os.path.join(self.dir, "port")
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(
            [sys.executable, script, "--port-file", self.port_file,
             "--max-seconds", str(lifetime)] + args,
            stdout=subprocess.DEVNULL, stderr=self.stderr, cwd=self.dir)
        STARTED.append(self)
        self.port = int(wait_for(self.read_port, 10, f"{name} port file"))

    def read_port(self):
        """read_port - the bound port, once the port file exists"""
        if self.proc.poll() is not None:
            self.stderr.seek(0)
            raise AssertionError(f"server exited {self.proc.returncode}: "
                                 f"{self.stderr.read()}")
        try:
            with open(self.port_file) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def path(self, name):
        """path - a file in the tool's directory"""
        return os.path.join(self.dir, name)

    def stop(self):
        """stop - SIGTERM, then the exit status (killed after 5 s)"""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError("server ignored SIGTERM") from None


def run_tool(script, args, timeout=10):
    """run_tool - run a tool expected to exit by itself: (status, stderr)"""
    p = subprocess.run([sys.executable, script] + args, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stderr


# SMTP ----------------------------------------------------------------------

class Sink(Tool):
    """smtp_sink.py with output dir, events, stats and a rules file."""

    def __init__(self, tmp, rules=None, extra=()):
        self.rules_data = rules
        d = tempfile.mkdtemp(prefix="rules-", dir=tmp)
        self.rules = os.path.join(d, "rules.json")
        write_json(self.rules, rules or {})
        out = os.path.join(d, "out")
        os.mkdir(out)
        self.out = out
        super().__init__(SINK, ["--listen", "127.0.0.1:0", "--rules",
                                self.rules, "--out", out, "--events",
                                os.path.join(d, "events"), "--stats",
                                os.path.join(d, "stats"), "--timeout", "10",
                                "--seed", "7"] + list(extra), tmp, "sink")
        self.events = os.path.join(d, "events")
        self.stats_file = os.path.join(d, "stats")

    def set_rules(self, rules):
        """set_rules - change the rules; wait until the sink took them"""
        n = len([e for e in read_events(self.events)
                 if e["event"] == "rules"])
        write_json(self.rules, rules)
        wait_for(lambda: len([e for e in read_events(self.events)
                              if e["event"] == "rules"]) > n, 5,
                 "rules reload")

    def messages(self):
        """messages - (header, body) of every recorded message"""
        out = []
        for name in sorted(os.listdir(self.out)):
            with open(os.path.join(self.out, name), "rb") as f:
                head, _, body = f.read().partition(b"\n")
            out.append((json.loads(head), body))
        return out

    def stats(self):
        """stats - the counters file (rewritten every second)"""
        with open(self.stats_file) as f:
            return json.load(f)


class Raw:
    """A raw SMTP client: exact bytes out, replies in."""

    def __init__(self, port, timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.file = self.sock.makefile("rb")

    def reply(self):
        """reply - (code, [lines]) of one reply; (None, []) at EOF"""
        lines = []
        for _ in range(100):
            line = self.file.readline(1 << 20)
            if not line:
                return None, lines
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            if line[3:4] != b"-":
                return int(line[:3]) if line[:3].isdigit() else 0, lines
        raise AssertionError("reply with over 100 lines")

    def cmd(self, line):
        """cmd - send a command line, return its reply code"""
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()[0]

    def hello(self):
        """hello - greeting, EHLO, MAIL, RCPT (all must be 2xx)"""
        check(self.reply()[0] == 220, "no 220 greeting")
        for c in ("EHLO client.test", "MAIL FROM:<a@x.test>",
                  "RCPT TO:<b@y.test>"):
            code = self.cmd(c)
            check(code == 250, f"{c}: {code}")

    def close(self):
        self.sock.close()


def sink_session(port, stage_codes, tls=False):
    """sink_session - one smtplib delivery; the (stage, code) it ended at"""
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    try:
        code = s.ehlo()[0]
        if code != 250:
            return "ehlo", code
        for stage, (c, _) in (("mail", s.mail("a@x.test")),
                              ("rcpt", s.rcpt("b@y.test")),
                              ("data", s.docmd("DATA"))):
            if c != stage_codes.get(stage, 250 if stage != "data" else 354):
                return stage, c
        s.send(b"Subject: t\r\n\r\nbody\r\n.\r\n")
        return "data-end", s.getreply()[0]
    finally:
        s.close()


@case
def smtp_accepts_and_records_byte_exact(tmp):
    sink = Sink(tmp)
    c = Raw(sink.port)
    c.hello()
    check(c.cmd("RCPT TO:<c@y.test> NOTIFY=NEVER") == 250, "rcpt 2")
    check(c.cmd("DATA") == 354, "data")
    wire = (b"Subject: dots\r\n\r\n..leading dot\r\n...\r\n..\r\n"
            b"bare\nLF stays\r\ntrailing  \r\n\x00\xff8bit\r\n.x\r\n"
            b"last line\r\n.\r\n")
    c.sock.sendall(wire)
    check(c.reply()[0] == 250, "data-end")
    check(c.cmd("QUIT") == 221, "quit")
    c.close()
    msgs = sink.messages()
    check(len(msgs) == 1, f"{len(msgs)} messages recorded")
    head, body = msgs[0]
    want = (b"Subject: dots\r\n\r\n.leading dot\r\n..\r\n.\r\n"
            b"bare\nLF stays\r\ntrailing  \r\n\x00\xff8bit\r\nx\r\n"
            b"last line\r\n")
    check(body == want, f"body {body!r}")
    check(head["mail_from"] == "a@x.test" and
          head["rcpt"] == ["b@y.test", "c@y.test"], f"envelope {head}")
    check(head["rcpt_params"] == ["", "NOTIFY=NEVER"], "rcpt params")
    check(head["helo"] == "client.test" and head["tls"] is False and
          head["bare_lf"] == 1 and head["size"] == len(want), str(head))
    check(head["accept_time"] >= head["connect_time"], "times")
    check(sink.stop() == 0, "exit status")


@case
def smtp_smtplib_delivery_and_stats(tmp):
    sink = Sink(tmp)
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as s:
            s.sendmail("a@x.test", ["r1@y.test", "r2@y.test"],
                       f"Subject: {i}\r\n\r\n.hi\r\n".encode())
    check(sink.stop() == 0, "exit status")
    st = sink.stats()
    check(st["connections"] == 3 and st["messages"] == 3 and
          st["recipients"] == 6 and st["current_concurrent"] == 0, str(st))
    check(st["replies_by_stage"]["data-end"] == {"250": 3}, str(st))
    check([b for _, b in sink.messages()] ==
          [f"Subject: {i}\r\n\r\n.hi\r\n".encode() for i in range(3)],
          "bodies")
    kinds = [e["event"] for e in read_events(sink.events)]
    for k in ("start", "connect", "ehlo", "mail", "rcpt", "data-end",
              "disconnect", "stop"):
        check(k in kinds, f"no {k} event")


@case
def smtp_greeting_421_and_554(tmp):
    sink = Sink(tmp, {"replies": {"greeting": "421 4.7.0 try again later"}})
    c = Raw(sink.port)
    code, lines = c.reply()
    check(code == 421 and lines == ["421 4.7.0 try again later"], str(lines))
    check(c.reply()[0] is None, "not closed after 421")
    sink.set_rules({"replies": {"greeting": "554 5.7.1 go away"}})
    c = Raw(sink.port)
    check(c.reply()[0] == 554, "554 greeting")
    check(c.cmd("EHLO x.test") == 503, "EHLO after 554 not refused")
    check(c.cmd("QUIT") == 221, "QUIT after 554")
    sink.stop()


@case
def smtp_configured_replies_per_stage(tmp):
    sink = Sink(tmp)
    for stage, reply in (("mail", "451 4.3.0 mail later"),
                         ("rcpt", "550 5.1.1 no such user"),
                         ("data", "554 5.5.0 no data"),
                         ("data-end", "452 4.3.1 insufficient storage"),
                         ("data-end", "552 5.3.4 too big")):
        sink.set_rules({"replies": {stage: reply}})
        got = sink_session(sink.port, {})
        check(got == (stage, int(reply[:3])), f"{stage}: got {got}")
    check(sink.messages() == [], "a rejected message was recorded")
    sink.set_rules({"replies": {"data-end": "250 2.0.0 fine"}})
    check(sink_session(sink.port, {}) == ("data-end", 250), "250 at end")
    check(len(sink.messages()) == 1, "accepted message not recorded")
    ends = [e for e in read_events(sink.events) if e["event"] == "data-end"]
    check([e["reply"] for e in ends] == [452, 552, 250], str(ends))
    sink.stop()


@case
def smtp_code_only_reply_gets_text(tmp):
    sink = Sink(tmp, {"replies": {"mail": "451"},
                      "extensions": ["ENHANCEDSTATUSCODES"]})
    c = Raw(sink.port)
    c.reply()
    c.cmd("EHLO a.test")
    c.sock.sendall(b"MAIL FROM:<a@x.test>\r\n")
    code, lines = c.reply()
    check(code == 451 and lines[0].startswith("451 4.0.0 "), str(lines))
    sink.stop()


@case
def smtp_recipient_patterns(tmp):
    sink = Sink(tmp, {"rcpt_patterns": {
        "^bad@": "550 5.1.1 unknown", "@slow\\.test$": "450 4.2.0 busy"}})
    c = Raw(sink.port)
    c.hello()
    got = [c.cmd(f"RCPT TO:<{a}>") for a in
           ("bad@y.test", "ok@y.test", "x@slow.test", "notbad@y.test")]
    check(got == [550, 250, 450, 250], str(got))
    sink.stop()


@case
def smtp_cycling_and_random_replies(tmp):
    sink = Sink(tmp, {"replies": {"rcpt": ["250", "250", "451 4.7.1 a"]}})
    c = Raw(sink.port)
    c.hello()       # its RCPT got the first element
    got = [c.cmd("RCPT TO:<x@y.test>") for _ in range(5)]
    check(got == [250, 451, 250, 250, 451], f"cycle {got}")
    sink.set_rules({"replies": {"rcpt": {"250": 0.5,
                                         "451 4.7.1 rate limited": 0.5}}})
    got = [c.cmd("RCPT TO:<x@y.test>") for _ in range(80)]
    check(set(got) == {250, 451} and 20 < got.count(451) < 60,
          f"mix gave {got.count(250)} x 250, {got.count(451)} x 451")
    sink.set_rules({"replies": {"rcpt": {"550": 0.0}}})
    got = {c.cmd("RCPT TO:<x@y.test>") for _ in range(20)}
    check(got == {250}, f"zero probability answered {got}")
    sink.stop()


@case
def smtp_delay_per_stage(tmp):
    sink = Sink(tmp, {"delays_ms": {"data-end": 400, "rcpt": [100, 150]}})
    c = Raw(sink.port)
    check(c.reply()[0] == 220 and c.cmd("EHLO a.test") == 250 and
          c.cmd("MAIL FROM:<a@x.test>") == 250, "setup")
    t0 = time.monotonic()
    c.cmd("RCPT TO:<b@y.test>")
    t1 = time.monotonic()
    c.cmd("DATA")
    c.sock.sendall(b"x\r\n.\r\n")
    t2 = time.monotonic()
    check(c.reply()[0] == 250, "data-end")
    t3 = time.monotonic()
    check(0.09 <= t1 - t0 < 1.0, f"rcpt took {t1 - t0:.3f}s")
    check(0.39 <= t3 - t2 < 2.0, f"data-end took {t3 - t2:.3f}s")
    sink.stop()


@case
def smtp_drop_and_reset(tmp):
    sink = Sink(tmp, {"replies": {"rcpt": "drop"}})
    c = Raw(sink.port)
    c.reply(), c.cmd("EHLO a.test"), c.cmd("MAIL FROM:<a@x.test>")
    check(c.cmd("RCPT TO:<b@y.test>") is None, "not dropped at RCPT")
    sink.set_rules({"replies": {"mail": "reset"}})
    c = Raw(sink.port)
    c.reply(), c.cmd("EHLO a.test")
    try:
        c.sock.sendall(b"MAIL FROM:<a@x.test>\r\n")
        got = c.file.read1(100)
        check(got == b"", f"got {got!r}")
        raise AssertionError("no RST: the connection closed normally")
    except ConnectionResetError:
        pass
    wait_for(lambda: sink.stats()["replies"].get("drop") == 1, 3,
             "drop counted in stats")
    sink.stop()


@case
def smtp_stall_mid_data(tmp):
    sink = Sink(tmp, {"replies": {"data-body": "stall 3"},
                      "data_body_after_bytes": 10})
    c = Raw(sink.port, timeout=1)
    c.hello()
    check(c.cmd("DATA") == 354, "data")
    c.sock.sendall(b"Subject: stall\r\n\r\n" + b"y" * 100 + b"\r\n.\r\n")
    t0 = time.monotonic()
    try:
        c.reply()
        raise AssertionError("a reply came during the stall")
    except socket.timeout:
        pass
    check(time.monotonic() - t0 >= 0.9, "timeout too early")
    other = Raw(sink.port)      # the sink still serves others
    check(other.reply()[0] == 220 and other.cmd("NOOP") == 250, "busy")
    c.sock.settimeout(5)        # the file object is spent after a timeout
    check(c.sock.recv(100) == b"", "stalled session not closed after 3 s")
    acts = [e for e in read_events(sink.events) if e["event"] == "action"]
    check(acts and acts[0]["action"] == "stall 3", str(acts))
    sink.set_rules({"replies": {"data-end": "stall 2"}})
    c = Raw(sink.port, timeout=1)
    c.hello()
    c.cmd("DATA")
    c.sock.sendall(b"x\r\n.\r\n")
    try:
        c.reply()
        raise AssertionError("data-end stall answered")
    except socket.timeout:
        pass
    check(sink.messages() == [], "stalled message recorded")
    sink.stop()


@case
def smtp_garbage_and_long_replies(tmp):
    sink = Sink(tmp, {"replies": {"mail": "garbage",
                                  "rcpt": "long 451 200000"}})
    c = Raw(sink.port)
    c.reply(), c.cmd("EHLO a.test")
    c.sock.sendall(b"MAIL FROM:<a@x.test>\r\n")
    code, lines = c.reply()
    check(code == 0 and "garbage" in lines[0], str(lines))
    sink.set_rules({"replies": {"rcpt": "long 451 200000"}})
    c.cmd("MAIL FROM:<a@x.test>")
    c.sock.sendall(b"RCPT TO:<b@y.test>\r\n")
    code, lines = c.reply()
    check(code == 451 and len(lines[0]) == 200004, f"{len(lines[0])}")
    check(c.cmd("NOOP") == 250, "session did not go on")
    sink.stop()


@case
def smtp_421_mid_session_closes(tmp):
    sink = Sink(tmp, {"replies": {"rcpt": ["250", "421 4.7.0 closing"]}})
    c = Raw(sink.port)
    c.hello()
    check(c.cmd("RCPT TO:<c@y.test>") == 421, "no 421")
    check(c.reply()[0] is None, "not closed after 421")
    disc = wait_for(lambda: [e for e in read_events(sink.events)
                             if e["event"] == "disconnect"], 3, "disconnect")
    check(disc[0]["reason"] == "421 sent", str(disc))
    sink.stop()


@case
def smtp_concurrency_count_and_limit(tmp):
    sink = Sink(tmp, {"max_sessions": 3, "max_sessions_reply":
                      "421 4.7.0 too many connections"})
    clients = [Raw(sink.port) for _ in range(3)]
    for c in clients:
        check(c.reply()[0] == 220, "greeting")
    extra = Raw(sink.port)
    code, lines = extra.reply()
    check(code == 421 and "too many" in lines[0], str(lines))
    st = wait_for(lambda: sink.stats()["rejected_sessions"] == 1 and
                  sink.stats(), 3, "stats")
    check(st["current_concurrent"] == 3 and st["max_concurrent"] == 3,
          str(st))
    for c in clients:
        c.cmd("QUIT")
    wait_for(lambda: sink.stats()["current_concurrent"] == 0, 3,
             "concurrency back to 0")
    conn = [e["concurrent"] for e in read_events(sink.events)
            if e["event"] == "connect"]
    check(conn == [1, 2, 3, 3], f"connect counts {conn}")
    check(sink.stats()["connections"] == 4, "connections")
    sink.stop()


@case
def smtp_rules_reload_mid_run(tmp):
    sink = Sink(tmp)
    c = Raw(sink.port)
    c.reply(), c.cmd("EHLO a.test")
    check(c.cmd("MAIL FROM:<a@x.test>") == 250, "before")
    c.cmd("RSET")
    sink.set_rules({"replies": {"mail": "451 4.7.1 slow down"}})
    check(c.cmd("MAIL FROM:<a@x.test>") == 451, "same session, new rules")
    with open(sink.rules, "w") as f:        # broken: old rules stay
        f.write('{"replies": {"mail": "250"')
    wait_for(lambda: any(e["event"] == "rules-error" for e in
                         read_events(sink.events)), 5, "rules-error event")
    check(c.cmd("MAIL FROM:<a@x.test>") == 451, "bad rules replaced good")
    sink.set_rules({})
    check(c.cmd("MAIL FROM:<a@x.test>") == 250, "rules not cleared")
    sink.stop()


@case
def smtp_starttls_self_signed(tmp):
    if not shutil.which("openssl"):
        raise Skip("openssl not installed")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=sink.test"], check=True, timeout=60,
                   capture_output=True)
    plain = Sink(tmp)
    with smtplib.SMTP("127.0.0.1", plain.port, timeout=10) as s:
        s.ehlo()
        check(not s.has_extn("starttls"), "STARTTLS without certificate")
        check(s.docmd("STARTTLS")[0] == 502, "STARTTLS accepted")
    plain.stop()
    sink = Sink(tmp, extra=["--tls-cert", cert, "--tls-key", key])
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as s:
        s.ehlo()
        check(s.has_extn("starttls"), "STARTTLS not advertised")
        s.starttls(context=ctx)
        check(s.sock.version() is not None, "no TLS")
        s.ehlo()
        check(not s.has_extn("starttls"), "STARTTLS offered inside TLS")
        s.sendmail("a@x.test", ["b@y.test"], b"Subject: tls\r\n\r\nsecret\r\n")
    head, body = sink.messages()[0]
    check(head["tls"] is True and body == b"Subject: tls\r\n\r\nsecret\r\n",
          str(head))
    sink.stop()
    check(sink.stats()["tls_sessions"] == 1, "tls_sessions")


@case
def smtp_size_limits(tmp):
    sink = Sink(tmp, {"max_size": 1000})
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as s:
        s.ehlo()
        check(s.esmtp_features.get("size") == "1000", "SIZE keyword")
        check(s.mail("a@x.test", ["SIZE=5000"])[0] == 552, "SIZE= check")
        s.rset()
        s.mail("a@x.test")
        s.rcpt("b@y.test")
        check(s.data((b"x" * 70 + b"\r\n") * 30)[0] == 552, "body limit")
        check(s.noop()[0] == 250, "session lost after 552")
    check(sink.messages() == [], "too big a message was recorded")
    sink.stop()


@case
def smtp_pipelining_and_sequence_errors(tmp):
    sink = Sink(tmp)
    c = Raw(sink.port)
    c.reply()
    check(c.cmd("MAIL FROM:<a@x.test>") == 503, "MAIL before EHLO")
    c.cmd("EHLO a.test")
    check(c.cmd("RCPT TO:<b@y.test>") == 503, "RCPT before MAIL")
    check(c.cmd("DATA") == 503, "DATA before RCPT")
    check(c.cmd("XYZZY") == 502, "unknown command")
    check(c.cmd("MAIL FROM: a@x.test") == 501, "syntax")
    c.sock.sendall(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
                   b"RCPT TO:<c@y.test>\r\nDATA\r\n")
    got = [c.reply()[0] for _ in range(4)]
    check(got == [250, 250, 250, 354], f"pipelined {got}")
    c.sock.sendall(b"hi\r\n.\r\nQUIT\r\n")
    check([c.reply()[0], c.reply()[0]] == [250, 221], "end")
    c.sock.sendall(b"EHLO " + b"a" * 100000 + b"\r\n")
    sink.stop()
    check(len(sink.messages()) == 1, "message")


@case
def smtp_long_command_line(tmp):
    sink = Sink(tmp)
    c = Raw(sink.port)
    c.reply()
    c.sock.sendall(b"EHLO " + b"a" * 300000 + b"\r\n")
    check(c.reply()[0] == 500, "long line")
    check(c.cmd("NOOP") == 250, "session after long line")
    sink.stop()


@case
def smtp_helo_fallback(tmp):
    sink = Sink(tmp, {"replies": {"ehlo": "502 5.5.2 no ESMTP here"}})
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as s:
        s.sendmail("a@x.test", ["b@y.test"], b"x\r\n")
    head = sink.messages()[0][0]
    check(head["esmtp"] is False and head["helo"], str(head))
    sink.stop()


@case
def smtp_lifetime_signal_and_bad_setup(tmp):
    t0 = time.monotonic()
    status, err = run_tool(SINK, ["--listen", "127.0.0.1:0",
                                  "--max-seconds", "1"])
    check(status == 0 and time.monotonic() - t0 < 5, f"{status} {err}")
    for bad in ("0.0.0.0:0", "192.0.2.1:25", "localhost:0", "[::]:0", "x"):
        status, err = run_tool(SINK, ["--listen", bad])
        check(status == 2 and "fatal" in err, f"{bad}: {status} {err}")
    rules = os.path.join(tmp, "bad.json")
    with open(rules, "w") as f:
        f.write('{\n "replies": {"mail": "hello"}}\n')
    status, err = run_tool(SINK, ["--listen", "127.0.0.1:0", "--rules",
                                  rules])
    check(status == 2 and rules in err and "replies.mail" in err, err)
    with open(rules, "w") as f:
        f.write('{\n "replies":\n}\n')
    status, err = run_tool(SINK, ["--listen", "127.0.0.1:0", "--rules",
                                  rules])
    check(status == 2 and "line 3" in err, err)
    sink = Sink(tmp)
    c = Raw(sink.port)
    c.reply()
    t0 = time.monotonic()
    check(sink.stop() == 0 and time.monotonic() - t0 < 3, "SIGTERM")
    check(c.reply()[0] is None, "session survived SIGTERM")


# DNS -----------------------------------------------------------------------

ZONE = """\
# self-test zone
$TTL 30
$ZONE test
example.test        MX     10 mx1.example.test
example.test        MX     20 mx2.example.test.
example.test   300  TXT    "v=spf1 -all" two
mx1.example.test    A      127.0.0.1
mx1.example.test    AAAA   ::1
mx2.example.test    A      127.0.0.2
www.example.test    CNAME  example.test
nullmx.test         MX     0 .
deep.ent.test       A      127.0.0.9
*.wild.test         MX     5 mx1.example.test
broken.test         SERVFAIL
refused.test        REFUSED
gone.test           NXDOMAIN
gone.test           A      127.0.0.5
hang.test           TIMEOUT
slow.test           DELAY  400
slow.test           A      127.0.0.3
big.test            TRUNCATE
big.test            MX     10 mx1.example.test
mxfail.test         SERVFAIL MX
mxfail.test         A      127.0.0.4
"""
QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16,
          "AAAA": 28, "OPT": 41}


def dns_query(name, qtype, qid=None, edns=False):
    """dns_query - a query message for NAME (labels keep their case)"""
    qid = random.randrange(65536) if qid is None else qid
    msg = struct.pack("!6H", qid, 0x0100, 1, 0, 0, int(edns))
    for label in name.rstrip(".").split("."):
        msg += bytes([len(label)]) + label.encode()
    msg += b"\x00" + struct.pack("!HH", QTYPES[qtype], 1)
    if edns:
        msg += b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return msg


def dns_name(data, pos):
    """dns_name - (name, next position), following compression pointers"""
    labels, end = [], None
    for _ in range(128):
        n = data[pos]
        if n >= 0xC0:
            end = end or pos + 2
            pos = struct.unpack("!H", data[pos:pos + 2])[0] & 0x3FFF
        elif n == 0:
            return ".".join(labels), end or pos + 1
        else:
            labels.append(data[pos + 1:pos + 1 + n].decode("latin-1"))
            pos += 1 + n
    raise AssertionError("name loop")


def dns_rdata(data, pos, rtype, size):
    """dns_rdata - readable record data"""
    if rtype == 1:
        return socket.inet_ntop(socket.AF_INET, data[pos:pos + 4])
    if rtype == 28:
        return socket.inet_ntop(socket.AF_INET6, data[pos:pos + 16])
    if rtype == 15:
        return (struct.unpack("!H", data[pos:pos + 2])[0],
                dns_name(data, pos + 2)[0])
    if rtype in (2, 5):
        return dns_name(data, pos)[0]
    if rtype == 16:
        out, i = [], pos
        while i < pos + size:
            out.append(data[i + 1:i + 1 + data[i]].decode())
            i += 1 + data[i]
        return out
    if rtype == 6:
        mname, p = dns_name(data, pos)
        rname, p = dns_name(data, p)
        return (mname, rname) + struct.unpack("!5I", data[p:p + 20])
    return data[pos:pos + size]


def dns_parse(data):
    """dns_parse - a response as a dict of header fields and sections"""
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    r = {"id": qid, "rcode": flags & 0xF, "aa": bool(flags & 0x400),
         "tc": bool(flags & 0x200), "qr": bool(flags & 0x8000),
         "rd": bool(flags & 0x100)}
    r["question"], pos = None, 12
    if qd == 1:
        qname, pos = dns_name(data, 12)
        r["question"] = (qname,) + struct.unpack("!HH", data[pos:pos + 4])
        pos += 4
    for section, count in (("answer", an), ("authority", ns),
                           ("additional", ar)):
        r[section] = []
        for _ in range(count):
            name, pos = dns_name(data, pos)
            rtype, _, ttl, size = struct.unpack("!HHIH", data[pos:pos + 10])
            pos += 10
            r[section].append((name, rtype, ttl,
                               dns_rdata(data, pos, rtype, size)))
            pos += size
    check(pos == len(data), "trailing bytes in response")
    return r


def udp_ask(port, msg, timeout=2):
    """udp_ask - send one datagram; the parsed reply or None on timeout"""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, ("127.0.0.1", port))
        try:
            data = s.recv(65535)
        except socket.timeout:
            return None
    r = dns_parse(data)
    check(r["id"] == struct.unpack("!H", msg[:2])[0] and r["qr"], "id/QR")
    return r


def tcp_ask(port, msgs, timeout=3):
    """tcp_ask - several queries on one TCP connection, parsed replies"""
    out = []
    with socket.create_connection(("127.0.0.1", port), timeout) as s:
        f = s.makefile("rb")
        for msg in msgs:
            s.sendall(struct.pack("!H", len(msg)) + msg)
            size = struct.unpack("!H", f.read(2))[0]
            out.append(dns_parse(f.read(size)))
    return out


def ask(port, name, qtype, **kw):
    """ask - a UDP query, parsed reply"""
    return udp_ask(port, dns_query(name, qtype, **kw))


def dns_server(tmp, zone=ZONE):
    """dns_server - a dns_server.py with ZONE"""
    d = tempfile.mkdtemp(prefix="zone-", dir=tmp)
    path = os.path.join(d, "zone")
    with open(path, "w") as f:
        f.write(zone)
    srv = Tool(DNS, ["--listen", "127.0.0.1:0", "--zone", path,
                     "--events", os.path.join(d, "events"),
                     "--stats", os.path.join(d, "stats")], tmp, "dns")
    srv.zone, srv.events = path, os.path.join(d, "events")
    return srv


@case
def dns_mx_preferences_and_additional(tmp):
    srv = dns_server(tmp)
    r = ask(srv.port, "example.test", "MX")
    check(r["rcode"] == 0 and r["aa"] and r["rd"], str(r))
    check(sorted(a[3] for a in r["answer"]) ==
          [(10, "mx1.example.test"), (20, "mx2.example.test")], str(r))
    check(all(a[2] == 30 and a[0] == "example.test" for a in r["answer"]),
          "owner/ttl")
    check(sorted((a[0], a[3]) for a in r["additional"]) ==
          [("mx1.example.test", "127.0.0.1"), ("mx1.example.test", "::1"),
           ("mx2.example.test", "127.0.0.2")], str(r["additional"]))
    srv.stop()


@case
def dns_a_aaaa_txt_cname_wildcard(tmp):
    srv = dns_server(tmp)
    check(ask(srv.port, "mx1.example.test", "A")["answer"][0][3] ==
          "127.0.0.1", "A")
    check(ask(srv.port, "mx1.example.test", "AAAA")["answer"][0][3] == "::1",
          "AAAA")
    r = ask(srv.port, "example.test", "TXT")
    check(r["answer"] == [("example.test", 16, 300, ["v=spf1 -all", "two"])],
          str(r))
    r = ask(srv.port, "www.example.test", "MX")
    check([a[1] for a in r["answer"]] == [5, 15, 15], f"CNAME chain {r}")
    r = ask(srv.port, "a.b.wild.test", "MX")
    check(r["answer"] == [("a.b.wild.test", 15, 30,
                           (5, "mx1.example.test"))], str(r))
    srv.stop()


@case
def dns_null_mx(tmp):
    srv = dns_server(tmp)
    r = ask(srv.port, "nullmx.test", "MX")
    check(r["answer"] == [("nullmx.test", 15, 30, (0, ""))] and
          r["additional"] == [], str(r))
    srv.stop()


@case
def dns_nxdomain_nodata_and_soa(tmp):
    srv = dns_server(tmp)
    r = ask(srv.port, "nope.test", "A")
    check(r["rcode"] == 3 and r["aa"] and not r["answer"], str(r))
    check(r["authority"][0][:2] == ("test", 6), f"SOA {r['authority']}")
    check(ask(srv.port, "sub.nope.test", "A")["rcode"] == 3, "below")
    for name, qtype in (("mx1.example.test", "MX"), ("ent.test", "A"),
                        ("nullmx.test", "A")):
        r = ask(srv.port, name, qtype)
        check(r["rcode"] == 0 and r["aa"] and not r["answer"] and
              r["authority"][0][1] == 6, f"NODATA {name}: {r}")
    r = ask(srv.port, "test", "SOA")
    check(r["answer"][0][3][:2] == ("ns.test", "hostmaster.test"), str(r))
    check(ask(srv.port, "gone.test", "A")["rcode"] == 3, "NXDOMAIN rule")
    srv.stop()


@case
def dns_servfail_refused_outside(tmp):
    srv = dns_server(tmp)
    check(ask(srv.port, "broken.test", "MX")["rcode"] == 2, "SERVFAIL")
    check(ask(srv.port, "refused.test", "A")["rcode"] == 5, "REFUSED")
    check(ask(srv.port, "example.org", "A")["rcode"] == 5, "outside zone")
    check(ask(srv.port, "mxfail.test", "MX")["rcode"] == 2, "MX only")
    check(ask(srv.port, "mxfail.test", "A")["answer"][0][3] == "127.0.0.4",
          "A not affected")
    srv.stop()


@case
def dns_timeout_and_delay(tmp):
    srv = dns_server(tmp)
    t0 = time.monotonic()
    check(udp_ask(srv.port, dns_query("hang.test", "A"), 1) is None,
          "TIMEOUT name answered")
    t0 = time.monotonic()
    r = ask(srv.port, "slow.test", "A")
    took = time.monotonic() - t0
    check(r["answer"][0][3] == "127.0.0.3" and 0.39 <= took < 1.5,
          f"delay {took:.3f}s")
    srv.stop()


@case
def dns_truncation_and_tcp(tmp):
    srv = dns_server(tmp)
    r = ask(srv.port, "big.test", "MX")
    check(r["tc"] and not r["answer"] and r["rcode"] == 0, str(r))
    got = tcp_ask(srv.port, [dns_query("big.test", "MX"),
                             dns_query("example.test", "MX")])
    check(not got[0]["tc"] and got[0]["answer"][0][3] ==
          (10, "mx1.example.test"), str(got[0]))
    check(len(got[1]["answer"]) == 2, "second TCP query")
    many = "".join(f"many.test TXT {'x' * 200}{i}\n" for i in range(5))
    with open(srv.zone, "a") as f:
        f.write(many)
    wait_for(lambda: ask(srv.port, "many.test", "TXT")["tc"], 5,
             "natural truncation over 512 bytes")
    r = ask(srv.port, "many.test", "TXT", edns=True)
    check(not r["tc"] and len(r["answer"]) == 5, "EDNS 1232 fits")
    check(r["additional"][-1][1] == 41, "no OPT in reply")
    srv.stop()


@case
def dns_case_insensitive_echo(tmp):
    srv = dns_server(tmp)
    r = ask(srv.port, "ExAmPlE.TeSt", "MX")
    check(r["question"][0] == "ExAmPlE.TeSt", str(r["question"]))
    check({a[0] for a in r["answer"]} == {"ExAmPlE.TeSt"}, str(r["answer"]))
    srv.stop()


@case
def dns_zone_reload_and_bad_input(tmp):
    srv = dns_server(tmp)
    with open(srv.zone + ".new", "w") as f:
        f.write(ZONE.replace("127.0.0.2", "127.0.0.22"))
    os.replace(srv.zone + ".new", srv.zone)
    wait_for(lambda: ask(srv.port, "mx2.example.test", "A")["answer"][0][3]
             == "127.0.0.22", 5, "zone reload")
    with open(srv.zone, "a") as f:
        f.write("bad.test MX ten mx\n")
    wait_for(lambda: any(e["event"] == "zone-error" for e in
                         read_events(srv.events)), 5, "zone-error event")
    check(ask(srv.port, "mx2.example.test", "A")["answer"][0][3] ==
          "127.0.0.22", "old zone kept")
    bad = dns_query("example.test", "A")[:12] + b"\x05ab"
    r = udp_ask(srv.port, bad)
    check(r is None or r["rcode"] == 1, "FORMERR")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"\x00", ("127.0.0.1", srv.port))
    check(ask(srv.port, "example.test", "MX")["rcode"] == 0, "still up")
    check(srv.stop() == 0, "exit status")
    with open(os.path.join(os.path.dirname(srv.zone), "stats")) as f:
        st = json.load(f)
    check(st["queries"] >= 5 and st["rcodes"].get("NOERROR"), str(st))


@case
def dns_bad_setup(tmp):
    path = os.path.join(tmp, "bad.zone")
    with open(path, "w") as f:
        f.write("a.test A 127.0.0.1\nb.test A 300.1.1.1\n")
    status, err = run_tool(DNS, ["--listen", "127.0.0.1:0", "--zone", path])
    check(status == 2 and f"{path}, line 2" in err, err)
    for bad in ("0.0.0.0:0", "10.0.0.1:53", "[::]:0"):
        status, err = run_tool(DNS, ["--listen", bad, "--zone", path])
        check(status == 2 and "loopback" in err, f"{bad}: {err}")
    status, err = run_tool(DNS, ["--listen", "127.0.0.1:0", "--zone",
                                 os.path.join(TOP, "README.md"),
                                 "--max-seconds", "1"])
    check(status == 2, "README.md accepted as a zone")


def unbound_conf(tmp, port, kind):
    """unbound_conf - a libunbound configuration using our server"""
    path = os.path.join(tmp, f"unbound-{kind}.conf")
    zone = "forward-zone:\n  name: \"test.\"\n  forward-addr: " \
        if kind == "forward" else "stub-zone:\n  name: \"test.\"\n" \
        "  stub-addr: "
    with open(path, "w") as f:
        f.write(f"server:\n  do-not-query-localhost: no\n"
                f"  use-syslog: no\n  chroot: \"\"\n  username: \"\"\n"
                f"  directory: \"{tmp}\"\n  verbosity: 0\n"
                f"  local-zone: \"test.\" nodefault\n"
                f"{zone}127.0.0.1@{port}\n")
    return path


def unbound_host(conf, qtype, name):
    """unbound_host - unbound-host's output for one lookup"""
    p = subprocess.run(["unbound-host", "-C", conf, "-t", qtype, name],
                       capture_output=True, text=True, timeout=60)
    return p.stdout + p.stderr


@case
def dns_through_unbound_host(tmp):
    if not shutil.which("unbound-host"):
        raise Skip("unbound-host not installed")
    srv = dns_server(tmp)
    for kind in ("forward", "stub"):
        conf = unbound_conf(tmp, srv.port, kind)
        out = unbound_host(conf, "MX", "example.test")
        check("handled by 10 mx1.example.test." in out and
              "handled by 20 mx2.example.test." in out, f"{kind}: {out}")
        out = unbound_host(conf, "MX", "nullmx.test")
        check("handled by 0 ." in out, f"{kind} null MX: {out}")
        out = unbound_host(conf, "A", "nope.test")
        check("NXDOMAIN" in out, f"{kind} NXDOMAIN: {out}")
        out = unbound_host(conf, "A", "deep.ent.test")
        check("127.0.0.9" in out, f"{kind} below ENT: {out}")
        out = unbound_host(conf, "MX", "big.test")
        check("handled by 10 mx1.example.test." in out, f"{kind} TC: {out}")
        out = unbound_host(conf, "MX", "broken.test")
        check("SERVFAIL" in out, f"{kind} SERVFAIL: {out}")
    tcp = [e for e in read_events(srv.events)
           if e.get("qname") == "big.test" and e.get("proto") == "tcp"]
    check(tcp, "libunbound never retried over TCP")
    srv.stop()


C_CLIENT = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unbound.h>
/* mxq - print "rcode havedata nxdomain" and each "pref host" of an MX */
int main(int argc, char **argv)
{
	struct ub_ctx *ctx = ub_ctx_create();
	struct ub_result *res;
	int i;

	if (argc != 3 || !ctx || ub_ctx_config(ctx, argv[1]) != 0
	    || ub_resolve(ctx, argv[2], 15, 1, &res) != 0)
		return 2;
	printf("%d %d %d\n", res->rcode, res->havedata, res->nxdomain);
	for (i = 0; res->data && res->data[i]; i++) {	/* NULL on error */
		unsigned char *d = (unsigned char *) res->data[i];
		int pos = 2, n;
		printf("%d ", d[0] << 8 | d[1]);
		while (pos < res->len[i] && (n = d[pos]) != 0) {
			printf("%.*s.", n, (char *) d + pos + 1);
			pos += n + 1;
		}
		printf("\n");
	}
	ub_resolve_free(res);
	ub_ctx_delete(ctx);
	return 0;
}
"""


@case
def dns_through_libunbound_c_client(tmp):
    cc = shutil.which("cc")
    if not cc or not os.path.exists("/usr/include/unbound.h"):
        raise Skip("no C compiler or libunbound-dev")
    src, exe = os.path.join(tmp, "mxq.c"), os.path.join(tmp, "mxq")
    with open(src, "w") as f:
        f.write(C_CLIENT)
    subprocess.run([cc, "-o", exe, src, "-lunbound"], check=True,
                   timeout=120)
    srv = dns_server(tmp)
    conf = unbound_conf(tmp, srv.port, "forward")

    def mx(name):
        p = subprocess.run([exe, conf, name], capture_output=True,
                           text=True, timeout=60)
        check(p.returncode == 0, f"mxq {name}: {p.stderr}")
        return p.stdout.splitlines()
    check(mx("example.test") == ["0 1 0", "10 mx1.example.test.",
                                 "20 mx2.example.test."] or
          mx("example.test") == ["0 1 0", "20 mx2.example.test.",
                                 "10 mx1.example.test."], "MX")
    check(mx("nullmx.test") == ["0 1 0", "0 "], f"{mx('nullmx.test')}")
    check(mx("nope.test") == ["3 0 1"], "NXDOMAIN")
    check(mx("mx1.example.test") == ["0 0 0"], "NODATA")
    check(mx("broken.test")[0].startswith("2 0"), "SERVFAIL")
    srv.stop()


def main():
    """main - run every case in a scratch directory, report, exit status"""
    failed = 0
    only = os.environ.get("TOOLS_CASES", "")
    with tempfile.TemporaryDirectory(prefix="postern-tools-") as tmp:
        for fn in CASES:
            name = fn.__name__
            if only and only not in name:
                continue
            scratch = tempfile.mkdtemp(prefix=name[:20] + "-", dir=tmp)
            before = len(STARTED)
            try:
                fn(scratch)
                print(f"ok - {name}")
            except Skip as e:
                print(f"ok - {name} # SKIP {e}")
            except Exception:
                failed += 1
                print(f"not ok - {name}")
                print("# " + traceback.format_exc().replace("\n", "\n# "))
            finally:
                for tool in STARTED[before:]:
                    if tool.proc.poll() is None:
                        tool.proc.kill()
                        tool.proc.wait(5)
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
