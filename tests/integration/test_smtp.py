#!/usr/bin/env python3
"""test_smtp - integration tests of the SMTP delivery agent, smtp(8).

One Postern instance runs libexec/smtp under master as several master.cf
services (smtp and clones with -o overrides: TLS levels, short time-outs,
soft_bounce, a fallback relay), with qmgr and pickup removed so that
nothing else touches the queue. The test plays qmgr: it writes queue files
into active/ (tests/integration/postern_queue.py's record format), speaks
the delivery protocol (lib/util/attr.h wire format) on private/SERVICE and
checks the per-recipient results, the final status flags, the log lines
and what tests/tools/smtp_sink.py received. tests/tools/dns_server.py
serves the MX data to libunbound through smtp_dns_resolver_config.

Cases: byte-exact delivery with dot-stuffing and a long line split as
Postfix does; 4xx/5xx per recipient; 421 in mid-session; throttle flag on
421 4.7.0 and not dead; connection refused -> dead; MX preference and
fallback to the second MX; null MX, NXDOMAIN, SERVFAIL; STARTTLS at may,
encrypt (not offered -> deferred) and verify; connection reuse; garbage and
over-long replies; a stalled server times out; SIZE refused early; 452
too many recipients splits the transaction; soft_bounce; fallback relay;
several requests on one qmgr connection; an unreadable request; and, in
an instance of its own with qmgr, a message from sendmail through pickup,
cleanup and qmgr to the sink.
"""

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, check, done, not_ok, skip,  # noqa: E402
                          wait_for, TOP, LIBEXECDIR)
from postern_queue import queue_id, record, store  # noqa: E402

SINK = os.path.join(TOP, "tests", "tools", "smtp_sink.py")
DNS = os.path.join(TOP, "tests", "tools", "dns_server.py")
LIMIT = 998                 # smtp_line_length_limit


# ---------------------------------------------------------------- protocol

def attr_encode(items):
    """One attribute list: type, name length, name, value length, value."""
    out = bytearray()
    for name, value in items:
        n = name.encode()
        if isinstance(value, int):
            kind, v = b"N", str(value).encode()
        else:
            kind, v = b"S", value.encode()
        out += kind + bytes([len(n)]) + n + struct.pack(">I", len(v)) + v
    return bytes(out + b"\0")


class Reader:
    """Attribute lists from a socket, bounded by the socket's time-out."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("agent closed the connection")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_list(self):
        attrs = {}
        for _ in range(2000):
            kind = self.need(1)
            if kind == b"\0":
                return attrs
            name = self.need(self.need(1)[0]).decode()
            value = self.need(struct.unpack(">I", self.need(4))[0])
            attrs[name] = int(value) if kind == b"N" else value.decode(errors="replace")
        raise ValueError("list too long")


class Agent:
    """One qmgr-side connection to private/SERVICE."""

    def __init__(self, inst, service, timeout=60):
        path = os.path.join(inst.queue_dir, "private", service)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.reader = Reader(self.sock)
        hello = self.reader.read_list()
        if hello != {"proto": "deliver"}:
            raise ValueError("bad hello %r" % hello)

    def deliver(self, msg, nexthop, flags=0):
        """Send one request; returns ({offset: result}, final)."""
        req = [("flags", flags), ("queue_name", "active"),
               ("queue_id", msg.qid), ("data_offset", msg.data_offset),
               ("data_size", msg.size), ("nexthop", nexthop),
               ("transport", "smtp"), ("encoding", "8bit"), ("smtputf8", 0),
               ("sender", msg.sender), ("dsn_envid", ""), ("dsn_ret", 0),
               ("log_ident", msg.qid), ("arrival_time", msg.arrival),
               ("arrival_usec", 0), ("priority", "normal"),
               ("rcpt_count", len(msg.rcpts))]
        out = attr_encode(req)
        for addr, offset in zip(msg.rcpts, msg.offsets):
            out += attr_encode([("offset", offset), ("address", addr),
                                ("orig_address", ""), ("dsn_notify", 0)])
        self.sock.sendall(out)
        results = {}
        for _ in range(len(msg.rcpts) + 1):
            item = self.reader.read_list()
            if "offset" in item:
                results[item["offset"]] = item
            else:
                return results, item
        raise ValueError("no final status after %d results" % len(results))

    def close(self):
        self.sock.close()


CONN_STORE = 2      # DEL_REQ_FLAG_CONN_STORE: qmgr has more mail for the nexthop


def deliver(inst, service, msg, nexthop, timeout=60, flags=0):
    """One request on a fresh connection: (results by address, final)."""
    agent = Agent(inst, service, timeout)
    try:
        results, final = agent.deliver(msg, nexthop, flags)
    finally:
        agent.close()
    by_addr = {addr: results.get(off) for addr, off in zip(msg.rcpts, msg.offsets)}
    return by_addr, final


# ---------------------------------------------------------------- queue files

class Message:
    """A queue file in active/: content as (type, data) records."""
    counter = 0

    def __init__(self, inst, rcpts, content=None, sender="sender@src.test"):
        Message.counter += 1
        self.arrival = int(time.time()) - 1
        self.qid = queue_id(self.arrival, Message.counter * 7 % 1000000,
                            Message.counter + 1000)
        self.sender, self.rcpts = sender, list(rcpts)
        if content is None:
            content = [("N", "Subject: test %d" % Message.counter), ("N", ""),
                       ("N", "body %d" % Message.counter)]
        self.content = [(t, d.encode() if isinstance(d, str) else d)
                        for t, d in content]
        env = record("T", "%d 0" % self.arrival) + record("S", sender)
        size_len = len(record("C", " " * 47))
        self.offsets = []
        for addr in self.rcpts:
            self.offsets.append(size_len + len(env))
            env += record("R", addr)
        body = b"".join(record(t, d) for t, d in self.content)
        self.size = sum(len(d) + (t == "N") for t, d in self.content)
        self.data_offset = size_len + len(env)
        xtra = self.data_offset + len(record("M", " " * 15)) + len(body)
        data = (record("C", "%15d %15d %15d" % (self.size, self.data_offset,
                                                 len(self.rcpts)))
                + env + record("M", "%15d" % xtra) + body + record("X")
                + record("E"))
        store(inst.queue_dir, "active", self.qid, data)

    def expected(self, limit=LIMIT):
        """What the server stores: CRLF lines, long lines split by
        CRLF SPACE so that no line exceeds limit (dots already removed)."""
        lines, cur = [], b""
        for t, d in self.content:
            cur += d
            if t == "N":
                lines.append(cur)
                cur = b""
        out = b""
        for line in lines:
            first = True
            while True:
                room = limit if first else limit - 1
                piece, line = line[:room], line[room:]
                out += (b"" if first else b" ") + piece + b"\r\n"
                first = False
                if not line:
                    break
        return out


# ---------------------------------------------------------------- peers

def wait_port_file(path, proc, what):
    port = wait_for(lambda: os.path.exists(path) and open(path).read().strip(), 15)
    if not port:
        proc.kill()
        raise RuntimeError("%s did not start" % what)
    return int(port)


class Sink:
    """tests/tools/smtp_sink.py on one loopback address."""

    def __init__(self, work, name, rules=None, addr="127.0.0.1", port=0,
                 cert=None, extra=()):
        self.dir = os.path.join(work, name)
        os.makedirs(os.path.join(self.dir, "out"))
        self.rules = os.path.join(self.dir, "rules.json")
        self.set_rules(rules or {})
        pf = os.path.join(self.dir, "port")
        argv = [sys.executable, SINK, "--listen", "%s:%d" % (addr, port),
                "--port-file", pf, "--out", os.path.join(self.dir, "out"),
                "--rules", self.rules, "--events", os.path.join(self.dir, "events"),
                "--stats", os.path.join(self.dir, "stats"), "--max-seconds", "600",
                "--timeout", "60"] + list(extra)
        if cert:
            argv += ["--tls-cert", cert[0], "--tls-key", cert[1]]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr"), "w"))
        self.port = wait_port_file(pf, self.proc, "smtp_sink " + name)
        self.addr = addr

    def set_rules(self, rules):
        tmp = self.rules + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rules, f)
        os.replace(tmp, self.rules)
        time.sleep(0.25)            # the sink looks every 100 ms

    def messages(self):
        out = []
        d = os.path.join(self.dir, "out")
        for name in sorted(os.listdir(d)):
            if name.endswith(".msg"):
                with open(os.path.join(d, name), "rb") as f:
                    head, _, body = f.read().partition(b"\n")
                out.append((json.loads(head), body))
        return out

    def events(self, kind=None):
        try:
            with open(os.path.join(self.dir, "events")) as f:
                evs = [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []
        return [e for e in evs if kind is None or e["event"] == kind]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class DnsServer:
    """tests/tools/dns_server.py with a zone file."""

    def __init__(self, work, zone):
        self.dir = os.path.join(work, "dns")
        os.makedirs(self.dir)
        self.zone = os.path.join(self.dir, "zone")
        with open(self.zone, "w") as f:
            f.write(zone)
        pf = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [sys.executable, DNS, "--listen", "127.0.0.1:0", "--zone", self.zone,
             "--port-file", pf, "--max-seconds", "600"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "stderr"), "w"))
        self.port = wait_port_file(pf, self.proc, "dns_server")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def free_port_on(addrs):
    """A TCP port free on every address in addrs."""
    for _ in range(50):
        s = socket.socket()
        s.bind((addrs[0], 0))
        port = s.getsockname()[1]
        s.close()
        try:
            for a in addrs:
                t = socket.socket()
                t.bind((a, port))
                t.close()
            return port
        except OSError:
            continue
    raise RuntimeError("no common free port")


def make_cert(work, cn):
    """A self-signed certificate and key for cn; (cert, key) paths."""
    cert, key = os.path.join(work, cn + ".crt"), os.path.join(work, cn + ".key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + cn,
                        "-addext", "subjectAltName=DNS:" + cn],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl: %s" % r.stderr.decode(errors="replace"))
    for p in (cert, key):
        os.chmod(p, 0o644)
    return cert, key


# ---------------------------------------------------------------- setup

ZONE = """$TTL 0
$ZONE test
example.test     MX 10 mx1.example.test
example.test     MX 20 mx2.example.test
mx1.example.test A  127.0.0.2
mx2.example.test A  127.0.0.3
backup.test      MX 10 down.backup.test
backup.test      MX 20 mx2.example.test
down.backup.test A  127.0.0.4
nullmx.test      MX 0 .
broken.test      SERVFAIL
tls.test         MX 10 mx1.example.test
"""


def setup(work):
    """DNS server, certificate, sinks, the instance; returns a dict."""
    env = {"dns": DnsServer(work, ZONE)}
    env["cert"] = make_cert(work, "mx1.example.test")
    conf = os.path.join(work, "unbound.conf")
    with open(conf, "w") as f:
        f.write('server:\n\tdo-not-query-localhost: no\n\tdo-ip6: no\n'
                '\tverbosity: 0\n\tuse-syslog: no\n'
                # unbound answers "test." itself (RFC 6761) unless told not to
                '\tlocal-zone: "test." nodefault\n'
                'forward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.1@%d\n'
                % env["dns"].port)
    os.chmod(conf, 0o644)
    os.chmod(work, 0o755)
    env["resolver_conf"] = conf
    ca = env["cert"][0]
    services = {
        "tlsmay": "-o smtp_tls_security_level=may -o smtp_tls_CAfile=%s" % ca,
        "tlsenc": "-o smtp_tls_security_level=encrypt",
        "tlsverify": "-o smtp_tls_security_level=verify -o smtp_tls_CAfile=%s" % ca,
        "fast": "-o smtp_data_done_timeout=2 -o smtp_helo_timeout=2 "
                "-o smtp_rcpt_timeout=2 -o smtp_mail_timeout=2",
        "softb": "-o soft_bounce=yes",
        "nocache": "-o smtp_connection_cache_on_demand=no",
    }
    append = ["%s unix - - n - - smtp %s" % (name, opts)
              for name, opts in services.items()]
    env["services"] = services
    inst = Instance(name="smtp", main_cf={
        "smtp_dns_resolver_config": conf, "inet_protocols": "ipv4",
        "smtp_connect_timeout": "5s", "smtp_connection_cache_time_limit": "2s",
        "smtp_randomize_addresses": "no"},
        master_cf_replace={"qmgr": None, "pickup": None},
        master_cf_append=append)
    r = inst.start()
    if r.returncode != 0:
        raise RuntimeError("postern start: %s %s" % (r.stdout, r.stderr))
    for name in ["smtp"] + list(services):
        if not wait_for(lambda: os.path.exists(os.path.join(inst.queue_dir, "private", name)), 15):
            raise RuntimeError("private/%s did not appear" % name)
    env["inst"] = inst
    return env


def log_since(inst, mark):
    return inst.log_text()[mark:]


def run_case(name, fn, env):
    try:
        fn(env)
    except Exception as e:      # report and go on with the other cases
        import traceback
        not_ok(name + " (exception)", "%r\n%s" % (e, traceback.format_exc()))


# ---------------------------------------------------------------- cases

def case_exact(env):
    inst, work = env["inst"], env["work"]
    sink = env["plain"]
    long_line = ("L" * 2048 + "M" * 952)        # 3000 bytes in two records
    content = [("N", "From: a@src.test"), ("N", "Subject: dots"), ("N", ""),
               ("N", ".leading dot"), ("N", "."), ("N", "..two dots"),
               ("N", "plain"), ("L", long_line[:2048]), ("N", long_line[2048:]),
               ("N", "." + "d" * 1200), ("N", "x" * 998), ("N", "tail")]
    msg = Message(inst, ["one@dest.test", "two@dest.test"], content)
    before = len(sink.messages())
    mark = inst.log_mark()
    res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
    got = sink.messages()[before:]
    check("exact: final status 0, no flags", final.get("status") == 0
          and final.get("flags", 0) & 3 == 0, final)
    check("exact: both recipients sent", all(r and r["status"] == 0 and
          r["dsn_status"] == "2.0.0" for r in res.values()), res)
    check("exact: reason is the server reply",
          all(r and re.match(r"250 2\.0\.0 Ok: queued as ", r["reason"]) for r in res.values()), res)
    check("exact: relay host[addr]:port",
          all(r and r["relay"] == "127.0.0.1[127.0.0.1]:%d" % sink.port for r in res.values()), res)
    check("exact: one message with both recipients", len(got) == 1
          and got[0][0]["rcpt"] == ["one@dest.test", "two@dest.test"], got and got[0][0])
    body = got[0][1] if got else b""
    want = msg.expected()
    check("exact: content byte for byte (dots, long line split)", body == want,
          "got %r\nwant %r" % (body[:300], want[:300]))
    check("exact: no line over 998 bytes", all(len(x) <= 998 for x in body.split(b"\r\n")))
    check("exact: MAIL FROM with SIZE and BODY", got and
          "SIZE=%d" % msg.size in got[0][0]["mail_params"]
          and "BODY=8BITMIME" in got[0][0]["mail_params"], got and got[0][0])
    log = log_since(inst, mark)
    rx = (r"%s: to=<one@dest\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, "
          r"delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, "
          r"status=sent \(250 2\.0\.0 Ok: queued as " % (msg.qid, sink.port))
    check("exact: Postfix-shaped log line", inst.log_wait(rx, 5, since=mark), log[-2000:])


def case_rcpt_codes(env):
    inst, sink = env["inst"], env["codes"]
    msg = Message(inst, ["ok@dest.test", "temp@dest.test", "bad@dest.test"])
    mark = inst.log_mark()
    res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
    ok_r, temp, bad = (res[a] for a in msg.rcpts)
    check("codes: 2xx recipient sent", ok_r and ok_r["status"] == 0, ok_r)
    check("codes: 4xx recipient deferred with the reply",
          temp and temp["status"] == 4 and temp["dsn_status"] == "4.2.0"
          and temp["reason"] == "host 127.0.0.1[127.0.0.1] said: 450 4.2.0 mailbox busy "
          "(in reply to RCPT TO command)" and temp.get("reply_code") == 450, temp)
    check("codes: 5xx recipient bounced with the reply",
          bad and bad["status"] == 5 and bad["dsn_status"] == "5.1.1"
          and "said: 550 5.1.1 no such user (in reply to RCPT TO command)" in bad["reason"], bad)
    check("codes: final status without flags", final == {"status": 0, "flags": 0, "reply": ""}, final)
    check("codes: bounced and deferred log lines",
          inst.log_wait(r"to=<bad@dest\.test>.*dsn=5\.1\.1, status=bounced \(host ", 5, mark)
          and inst.log_wait(r"to=<temp@dest\.test>.*status=deferred \(host ", 5, mark),
          log_since(inst, mark)[-1500:])
    check("codes: the sink got only the good recipient",
          sink.messages() and sink.messages()[-1][0]["rcpt"] == ["ok@dest.test"])


def case_421(env):
    inst, work = env["inst"], env["work"]
    sink = Sink(work, "s421", {"replies": {"rcpt": ["250", "421 4.7.0 Try again later"]}})
    try:
        msg = Message(inst, ["a1@dest.test", "a2@dest.test", "a3@dest.test"])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        check("421: every recipient deferred",
              all(r and r["status"] == 4 for r in res.values()), res)
        check("421: reason names the 421 reply",
              all(r and "421 4.7.0 Try again later" in r["reason"] for r in res.values()), res)
        check("421: throttled, not dead, with the reply",
              final.get("flags") == 2 and "421 4.7.0 Try again later" in final.get("reply", ""), final)
        check("421: nothing was delivered", sink.messages() == [])
        check("421: the agent did not go on after the 421",
              len(sink.events("rcpt")) == 2, sink.events("rcpt"))
    finally:
        sink.stop()


def case_throttle_greeting(env):
    inst, work = env["inst"], env["work"]
    sink = Sink(work, "sthrottle", {"replies": {"greeting": "421 4.7.0 too many connections"}})
    try:
        msg = Message(inst, ["t@dest.test"])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        r = res["t@dest.test"]
        check("throttle: greeting 421 defers", r and r["status"] == 4
              and "refused to talk to me: 421 4.7.0 too many connections" in r["reason"], r)
        check("throttle: DEL_STAT_THROTTLED, never dead", final.get("flags") == 2, final)
    finally:
        sink.stop()
    sink = Sink(work, "sratelimit", {"replies": {"mail": "450 4.2.1 rate limit exceeded, slow down"}})
    try:
        msg = Message(inst, ["t2@dest.test"])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        check("throttle: 4xx text pattern (rate limit) throttles",
              final.get("flags") == 2 and "rate limit" in final.get("reply", ""), final)
        check("throttle: the recipient is deferred", res["t2@dest.test"]["status"] == 4,
              res)
    finally:
        sink.stop()


def case_refused(env):
    inst = env["inst"]
    port = free_port_on(["127.0.0.1"])
    msg = Message(inst, ["r@dest.test"])
    res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % port)
    r = res["r@dest.test"]
    check("refused: deferred with the connect error", r and r["status"] == 4
          and r["reason"] == "connect to 127.0.0.1[127.0.0.1]:%d: Connection refused" % port
          and r["relay"] == "none", r)
    check("refused: destination dead", final.get("flags") == 1, final)


def case_mx(env):
    inst, work = env["inst"], env["work"]
    port = free_port_on(["127.0.0.2", "127.0.0.3"])
    mx1 = Sink(work, "mx1", addr="127.0.0.2", port=port)
    mx2 = Sink(work, "mx2", addr="127.0.0.3", port=port)
    try:
        msg = Message(inst, ["m@example.test"])
        res, final = deliver(inst, "nocache", msg, "example.test:%d" % port)
        r = res["m@example.test"]
        check("mx: the preferred MX gets the mail", r and r["status"] == 0
              and r["relay"] == "mx1.example.test[127.0.0.2]:%d" % port
              and len(mx1.messages()) == 1 and mx2.messages() == [], (r, final))
        mx1.set_rules({"replies": {"greeting": "554 5.7.1 go away"}})
        msg = Message(inst, ["m2@example.test"])
        mark = inst.log_mark()
        res, final = deliver(inst, "nocache", msg, "example.test:%d" % port)
        r = res["m2@example.test"]
        check("mx: fallback to the second MX when the first refuses",
              r and r["status"] == 0 and r["relay"] == "mx2.example.test[127.0.0.3]:%d" % port
              and len(mx2.messages()) == 1, (r, final))
        check("mx: the refusal is logged", inst.log_wait(
            r"host mx1\.example\.test\[127\.0\.0\.2\] refused to talk to me: 554 5\.7\.1 go away",
            5, mark), log_since(inst, mark)[-1000:])
        mx1.set_rules({"replies": {"rcpt": "450 4.7.1 greylisted"}})
        msg = Message(inst, ["m3@example.test"])
        res, final = deliver(inst, "nocache", msg, "example.test:%d" % port)
        r = res["m3@example.test"]
        check("mx: a 4xx recipient goes on to the next MX",
              r and r["status"] == 0 and "mx2.example.test" in r["relay"], r)
        msg = Message(inst, ["m4@backup.test"])
        res, final = deliver(inst, "nocache", msg, "backup.test:%d" % port)
        r = res["m4@backup.test"]
        check("mx: connection refused at the first MX, the second takes it",
              r and r["status"] == 0 and "mx2.example.test" in r["relay"]
              and final.get("flags") == 0, (r, final))
    finally:
        mx1.stop()
        mx2.stop()


def case_dns_errors(env):
    inst = env["inst"]
    msg = Message(inst, ["n@nullmx.test"])
    res, final = deliver(inst, "smtp", msg, "nullmx.test")
    r = res["n@nullmx.test"]
    check("dns: null MX bounces 5.1.10", r and r["status"] == 5
          and r["dsn_status"] == "5.1.10"
          and r["reason"] == "Domain nullmx.test does not accept mail (nullMX)", r)
    msg = Message(inst, ["x@nosuch.test"])
    res, final = deliver(inst, "smtp", msg, "nosuch.test")
    r = res["x@nosuch.test"]
    check("dns: NXDOMAIN bounces 5.4.4", r and r["status"] == 5 and r["dsn_status"] == "5.4.4"
          and r["reason"].startswith("Host or domain name not found. Name service error "
                                     "for name=nosuch.test type=MX: Host not found"), r)
    check("dns: NXDOMAIN is not a dead destination", final.get("flags") == 0, final)
    msg = Message(inst, ["s@broken.test"])
    start = time.time()
    res, final = deliver(inst, "smtp", msg, "broken.test", timeout=90)
    r = res["s@broken.test"]
    check("dns: SERVFAIL defers 4.4.3 with a clear reason", r and r["status"] == 4
          and r["dsn_status"] == "4.4.3" and "name=broken.test type=MX: "
          "Host not found, try again" in r["reason"], r)
    check("dns: SERVFAIL within the lookup time limit", time.time() - start < 40,
          time.time() - start)


def case_tls(env):
    inst, work = env["inst"], env["work"]
    tsink = env["tls"]
    mark = inst.log_mark()
    msg = Message(inst, ["t@tls.test"])
    res, final = deliver(inst, "tlsmay", msg, "[127.0.0.1]:%d" % tsink.port)
    got = tsink.messages()
    check("tls: may uses STARTTLS when offered", res["t@tls.test"]["status"] == 0
          and got and got[-1][0]["tls"] is True, (res, got and got[-1][0]))
    check("tls: session logged as Postfix does", inst.log_wait(
        r"(Trusted|Untrusted) TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: "
        r"TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)" % tsink.port, 5, mark),
        log_since(inst, mark)[-1500:])
    plain = env["plain"]
    msg = Message(inst, ["e@dest.test"])
    res, final = deliver(inst, "tlsenc", msg, "[127.0.0.1]:%d" % plain.port)
    r = res["e@dest.test"]
    check("tls: encrypt defers when STARTTLS is not offered", r and r["status"] == 4
          and r["dsn_status"] == "4.7.4"
          and "TLS is required, but was not offered by host 127.0.0.1[127.0.0.1]" in r["reason"], r)
    msg = Message(inst, ["e2@dest.test"])
    res, final = deliver(inst, "tlsenc", msg, "[127.0.0.1]:%d" % tsink.port)
    check("tls: encrypt delivers when offered", res["e2@dest.test"]["status"] == 0, res)
    msg = Message(inst, ["plainmay@dest.test"])
    res, final = deliver(inst, "tlsmay", msg, "[127.0.0.1]:%d" % plain.port)
    check("tls: may without the offer delivers in plain text",
          res["plainmay@dest.test"]["status"] == 0
          and plain.messages()[-1][0]["tls"] is False, res)
    # verify: the certificate must match the MX host name.
    port = free_port_on(["127.0.0.2"])
    vsink = Sink(work, "verify", addr="127.0.0.2", port=port, cert=env["cert"])
    try:
        mark = inst.log_mark()
        msg = Message(inst, ["v@tls.test"])
        res, final = deliver(inst, "tlsverify", msg, "tls.test:%d" % port)
        check("tls: verify delivers to a matching certificate",
              res["v@tls.test"]["status"] == 0, res)
        check("tls: verified session logged", inst.log_wait(
            r"Verified TLS connection established to mx1\.example\.test\[127\.0\.0\.2\]:%d" % port,
            5, mark), log_since(inst, mark)[-1500:])
        msg = Message(inst, ["v2@tls.test"])
        res, final = deliver(inst, "tlsverify", msg, "[127.0.0.2]:%d" % port)
        r = res["v2@tls.test"]
        check("tls: verify defers when the name does not match",
              r and r["status"] == 4 and "Server certificate not verified" in r["reason"], r)
    finally:
        vsink.stop()


def case_reuse(env):
    inst, work = env["inst"], env["work"]
    sink = Sink(work, "reuse")
    try:
        # Three requests on one qmgr connection: one process, one SMTP session.
        agent = Agent(inst, "smtp")
        try:
            outs = [agent.deliver(Message(inst, ["q%d@dest.test" % i]),
                                  "[127.0.0.1]:%d" % sink.port, CONN_STORE)
                    for i in range(3)]
        finally:
            agent.close()
        check("reuse: three requests on one qmgr connection", all(
            f.get("status") == 0 and all(r["status"] == 0 for r in rs.values())
            for rs, f in outs), outs)
        check("reuse: one SMTP connection for three messages",
              len(sink.events("connect")) == 1 and len(sink.messages()) == 3,
              sink.events("connect"))
        check("reuse: the reuse flag on the later requests",
              [f.get("flags", 0) & 4 for _, f in outs] == [0, 4, 4], [f for _, f in outs])
        gone = wait_for(lambda: sink.events("disconnect"), 8)
        check("reuse: the idle connection closes after the time limit with QUIT",
              gone and gone[0]["reason"] == "quit", gone)
        # Separate qmgr connections: the process keeps the session between them.
        mark = inst.log_mark()
        before = len(sink.events("connect"))
        flags = 0
        for i in range(3):
            time.sleep(0.2)     # let master see the process idle again
            msg = Message(inst, ["c%d@dest.test" % i])
            res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port,
                                 flags=CONN_STORE)
            flags |= final.get("flags", 0)
        conns = len(sink.events("connect")) - before
        check("reuse: the sink saw fewer connections than messages", 0 < conns < 3,
              "%d connections" % conns)
        check("reuse: conn_use logged and the reuse flag set",
              inst.log_wait(r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, conn_use=2, " % sink.port,
                            5, mark) and flags & 4, (flags, log_since(inst, mark)[-800:]))
        wait_for(lambda: len(sink.events("disconnect")) == len(sink.events("connect")), 8)
        # No more mail waiting (no CONN_STORE), or on-demand caching off:
        # every delivery ends with QUIT, as in Postfix.
        for service, req_flags, label in (("smtp", 0, "without more mail waiting"),
                                          ("nocache", CONN_STORE,
                                           "with smtp_connection_cache_on_demand = no")):
            before = len(sink.events("connect"))
            for i in range(2):
                time.sleep(0.2)
                deliver(inst, service, Message(inst, ["n%d@dest.test" % i]),
                        "[127.0.0.1]:%d" % sink.port, flags=req_flags)
            closed = wait_for(lambda: len(sink.events("disconnect")) == len(sink.events("connect")),
                              1.5)
            check("reuse: no cached connection %s" % label,
                  len(sink.events("connect")) - before == 2 and closed,
                  (sink.events("connect")[before:], sink.events("disconnect")[-3:]))
    finally:
        sink.stop()


def case_bad_replies(env):
    inst, work = env["inst"], env["work"]
    sink = Sink(work, "garbage", {"replies": {"rcpt": "garbage"}})
    try:
        msg = Message(inst, ["g@dest.test"])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        r = res["g@dest.test"]
        check("garbage: reply is a protocol error, deferred", r and r["status"] == 4
              and "sent an invalid reply while sending RCPT TO" in r["reason"], r)
        sink.set_rules({"replies": {"mail": "long 250 5000"}})
        msg = Message(inst, ["l@dest.test"])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        r = res["l@dest.test"]
        check("garbage: over-long reply deferred", r and r["status"] == 4
              and "reply line longer than" in r["reason"], r)
        sink.set_rules({"replies": {"ehlo": "250 sink.test\nPIPELINING\nSIZE 1000"}})
        msg = Message(inst, ["ml@dest.test"])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        check("garbage: multi-line EHLO reply parsed", res["ml@dest.test"]["status"] == 0, res)
    finally:
        sink.stop()


def case_stall(env):
    inst, work = env["inst"], env["work"]
    sink = Sink(work, "stall", {"replies": {"data-end": "stall 30"}})
    try:
        msg = Message(inst, ["st@dest.test"])
        start = time.time()
        res, final = deliver(inst, "fast", msg, "[127.0.0.1]:%d" % sink.port)
        took = time.time() - start
        r = res["st@dest.test"]
        check("stall: the data-done time-out defers", r and r["status"] == 4
              and "timed out while sending end of data -- message may be sent more than once"
              in r["reason"], r)
        check("stall: within the time-out", took < 15, took)
        sink.set_rules({"replies": {"greeting": "stall 30"}})
        msg = Message(inst, ["st2@dest.test"])
        res, final = deliver(inst, "fast", msg, "[127.0.0.1]:%d" % sink.port)
        r = res["st2@dest.test"]
        check("stall: greeting time-out defers and marks the destination dead",
              r and r["status"] == 4 and "timed out while receiving the initial server greeting"
              in r["reason"] and final.get("flags") == 1, (r, final))
    finally:
        sink.stop()


def case_size(env):
    inst, work = env["inst"], env["work"]
    sink = Sink(work, "size", {"max_size": 100})
    try:
        msg = Message(inst, ["big@dest.test"], [("N", "Subject: big"), ("N", ""),
                                                 ("N", "x" * 500)])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        r = res["big@dest.test"]
        check("size: refused early with 5.3.4", r and r["status"] == 5
              and r["dsn_status"] == "5.3.4" and "exceeds size limit 100" in r["reason"], r)
        check("size: no MAIL was sent", sink.events("mail") == [], sink.events("mail"))
    finally:
        sink.stop()


def case_split(env):
    inst, work = env["inst"], env["work"]
    sink = Sink(work, "split", {"replies": {"rcpt": ["250", "452 4.5.3 Error: too many recipients",
                                                     "250"]}})
    try:
        msg = Message(inst, ["s1@dest.test", "s2@dest.test"])
        res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % sink.port)
        got = sink.messages()
        check("split: both recipients delivered", all(r and r["status"] == 0
                                                      for r in res.values()), res)
        check("split: two transactions on one connection", len(got) == 2
              and got[0][0]["session"] == got[1][0]["session"]
              and got[0][0]["rcpt"] == ["s1@dest.test"] and got[1][0]["rcpt"] == ["s2@dest.test"],
              [g[0] for g in got])
        check("split: not a throttle", final.get("flags", 0) & 2 == 0, final)
    finally:
        sink.stop()


def case_soft_bounce(env):
    inst, sink = env["inst"], env["codes"]
    msg = Message(inst, ["bad@dest.test"])
    mark = inst.log_mark()
    res, final = deliver(inst, "softb", msg, "[127.0.0.1]:%d" % sink.port)
    r = res["bad@dest.test"]
    check("soft_bounce: 5xx becomes a deferral", r and r["status"] == 4
          and r["dsn_status"] == "4.1.1", r)
    check("soft_bounce: logged as SOFTBOUNCE", inst.log_wait(
        r"to=<bad@dest\.test>.*dsn=4\.1\.1, status=SOFTBOUNCE \(host ", 5, mark),
        log_since(inst, mark)[-800:])


def case_fallback(env):
    inst, plain = env["inst"], env["plain"]
    dead = free_port_on(["127.0.0.1"])
    inst_cf = os.path.join(inst.config_dir, "master.cf")
    # The fallback relay service is added on the fly: master reloads.
    with open(inst_cf, "a") as f:
        f.write("fb unix - - n - - smtp -o smtp_fallback_relay=[127.0.0.1]:%d\n" % plain.port)
    inst.postern("reload")
    if not wait_for(lambda: os.path.exists(os.path.join(inst.queue_dir, "private", "fb")), 15):
        not_ok("fallback: service fb did not appear")
        return
    msg = Message(inst, ["f@dest.test"])
    res, final = deliver(inst, "fb", msg, "[127.0.0.1]:%d" % dead)
    r = res["f@dest.test"]
    check("fallback: the fallback relay takes what the nexthop could not",
          r and r["status"] == 0 and r["relay"] == "127.0.0.1[127.0.0.1]:%d" % plain.port, r)
    msg = Message(inst, ["f2@nosuch.test"])
    res, final = deliver(inst, "fb", msg, "nosuch.test")
    check("fallback: a destination that is not found goes to the fallback relay",
          res["f2@nosuch.test"]["status"] == 0, res)


def case_bad_request(env):
    inst = env["inst"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(os.path.join(inst.queue_dir, "private", "smtp"))
    Reader(s).read_list()
    mark = inst.log_mark()
    s.sendall(attr_encode([("flags", 0), ("queue_name", "active"), ("queue_id", "../etc"),
                           ("data_offset", 10), ("data_size", 1), ("nexthop", "x"),
                           ("transport", "smtp"), ("sender", ""), ("arrival_time", 1),
                           ("rcpt_count", 1)]))
    try:
        data = s.recv(100)
    except OSError:
        data = b""
    s.close()
    check("bad request: connection dropped without an answer", data == b"", data)
    check("bad request: logged", inst.log_wait(r"bad delivery request: .*bad queue id", 5, mark),
          log_since(inst, mark)[-500:])
    msg = Message(inst, ["after@dest.test"])
    res, final = deliver(inst, "smtp", msg, "[127.0.0.1]:%d" % env["plain"].port)
    check("bad request: the agent still works", res["after@dest.test"]["status"] == 0, res)


def case_end_to_end(env):
    """sendmail -> pickup -> cleanup -> qmgr -> smtp -> sink."""
    work = env["work"]
    if not os.path.exists(os.path.join(LIBEXECDIR, "qmgr")):
        skip("end to end", "libexec/qmgr is not built")
        return
    sink = Sink(work, "e2e")
    inst = Instance(name="smtp-e2e", main_cf={
        "transport_maps": "inline:{ dest.test=smtp:[127.0.0.1]:%d }" % sink.port,
        "smtp_dns_resolver_config": env["resolver_conf"]})
    try:
        r = inst.start()
        if r.returncode != 0:
            not_ok("end to end: start", r.stderr)
            return
        long_line = "".join(chr(ord("a") + i % 26) for i in range(3000))
        text = ("From: s@src.test\nTo: r@dest.test\nSubject: e2e\n\n.leading dot\n.\n"
                "..two\n%s\nlast line\n" % long_line)
        r = inst.cmd("sendmail", "-i", "-f", "s@src.test", "r@dest.test", input=text)
        check("end to end: sendmail accepted the message", r.returncode == 0, r.stderr)
        got = wait_for(sink.messages, 60)
        body = got[0][1] if got else b""
        want_long = b"\r\n ".join([long_line[:998].encode()] + [
            long_line[i:i + 997].encode() for i in range(998, 3000, 997)])
        check("end to end: the sink got the message", len(got) == 1
              and got[0][0]["rcpt"] == ["r@dest.test"], got and got[0][0])
        check("end to end: dots and the long line arrive as Postfix sends them",
              b"\r\n\r\n.leading dot\r\n.\r\n..two\r\n" + want_long + b"\r\nlast line\r\n"
              in body and body.endswith(b"last line\r\n"), body[-3200:])
        check("end to end: logged as sent", inst.log_wait(
            r"postern/smtp\[\d+\]: \w+: to=<r@dest\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]"
            r":%d, delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, "
            r"status=sent \(250 " % sink.port, 20), inst.log_text()[-3000:])
        check("end to end: the queue is empty afterwards",
              wait_for(lambda: not inst.queue_files("active") and not inst.queue_files("incoming")
                       and not inst.queue_files("deferred"), 20))
        inst.stop()
    finally:
        sink.stop()
        inst.cleanup()


CASES = [case_exact, case_rcpt_codes, case_421, case_throttle_greeting,
         case_refused, case_mx, case_dns_errors, case_tls, case_reuse,
         case_bad_replies, case_stall, case_size, case_split, case_soft_bounce,
         case_fallback, case_bad_request, case_end_to_end]


def main():
    if not os.path.exists(os.path.join(LIBEXECDIR, "smtp")):
        skip("smtp", "libexec/smtp is not built")
        done()
    if shutil.which("openssl") is None:
        skip("smtp", "no openssl command to make a test certificate")
        done()
    work = tempfile.mkdtemp(prefix="postern-smtp-peers-")
    env = {"work": work}
    sinks = []
    try:
        env.update(setup(work))
        env["plain"] = Sink(work, "plain", extra=["--extensions", "PIPELINING,SIZE,8BITMIME,"
                                                  "ENHANCEDSTATUSCODES,DSN"])
        env["codes"] = Sink(work, "codes", {"rcpt_patterns": {
            "^temp@": "450 4.2.0 mailbox busy", "^bad@": "550 5.1.1 no such user"}})
        env["tls"] = Sink(work, "tls", cert=env["cert"])
        sinks += [env["plain"], env["codes"], env["tls"]]
        only = os.environ.get("SMTP_CASES")
        for fn in CASES:
            if only and fn.__name__ not in only.split(","):
                continue
            run_case(fn.__name__, fn, env)
        env["inst"].stop()
    except Exception as e:
        import traceback
        not_ok("smtp: setup", "%r\n%s" % (e, traceback.format_exc()))
    finally:
        for s in sinks:
            s.stop()
        if "dns" in env:
            env["dns"].stop()
        if not os.environ.get("POSTERN_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
