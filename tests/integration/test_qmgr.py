#!/usr/bin/env python3
"""test_qmgr - integration tests of the queue manager.

Real Postern instances (master, smtpd, cleanup, pickup, qmgr) with the
delivery agents and the bounce service replaced by scriptable fakes that
speak the delivery and bounce protocols on the private/ sockets: the fakes
record every request (recipients, nexthop, content offsets, concurrency,
start times) and answer as each case says (delivered, 4xx, 5xx, destination
dead, throttled, agent crash, no answer). This covers qmgr on its own,
whatever state the real agents are in; when libexec/smtp exists, the
end-to-end cases run through it to tests/tools/smtp_sink.py as well.

Cases: delivery and request fields; recipient batching; 4xx -> deferred/
with mtime in the backoff window -> flush -> delivered; 5xx -> bounce/ID
entry and bounce request; soft_bounce; defer_transports; transport_maps
routing; unavailable transport; agent crash; process limit, concurrency
limit and slow start; dead destination after a failed cohort with no
attempts while dead, revived by flush; rate delay spacing; throttling;
per-transport retry schedule; deferred import limit; expiry; delay
warning; priority classes; site flush; qmgr killed (SIGKILL) with 10,000
messages queued (2,000 under ASan) and restarted -> each delivered exactly
once, and 1,000 messages through the real smtp agent the same way.
"""

import json
import os
import re
import shutil
import signal
import smtplib
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, check, done, not_ok, ok, skip,  # noqa: E402
                          wait_for, TOP, LIBEXECDIR, VARIANT)
from postern_queue import queue_file, queue_id, store  # noqa: E402

RESTART_COUNT = 10000 if VARIANT != "asan" else 2000
AGENT_SERVICES = ["smtp/unix", "relay", "local", "error", "retry", "discard",
                  "bounce", "defer", "trace"]


# ---------------------------------------------------------------- protocol

def attr_encode(items):
    """One attribute list in Postern's wire format."""
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
    """Reads attribute lists from a socket (bounded by its timeout)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("peer closed")
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


def read_content(queue_dir, queue_id, offset):
    """The message content of active/ID from the MESG record at offset."""
    with open(os.path.join(queue_dir, "active", queue_id), "rb") as f:
        data = f.read()
    pos, out, first = offset, [], True
    while pos < len(data):
        kind = data[pos:pos + 1]
        pos += 1
        length, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            length |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                break
        body = data[pos:pos + length]
        pos += length
        if first:
            if kind != b"M":
                raise ValueError("no MESG record at offset %d" % offset)
            first = False
        elif kind == b"N":
            out.append(body + b"\n")
        elif kind == b"L":
            out.append(body)
        elif kind == b"X":
            break
    return b"".join(out)


# ---------------------------------------------------------------- fakes

DELIVERED = (0, "2.0.0", "250 2.0.0 Ok")


class FakeAgent:
    """A delivery agent on private/NAME; behave(req, rcpts) returns
    (per-recipient (status, dsn, reason) list, (status, flags, reply)),
    or None to close the connection without an answer."""

    def __init__(self, inst, name, behave=None, delay=0.0):
        self.inst = inst
        self.path = os.path.join(inst.queue_dir, "private", name)
        self.behave = behave or (lambda req, rcpts: ([DELIVERED] * len(rcpts), (0, 0, "")))
        self.delay = delay
        self.lock = threading.Lock()
        self.current = 0
        self.max_concurrent = 0
        self.conc_at_start = []
        self.requests = []          # (time, request, recipients, content)
        self.delivered = {}         # queue_id -> count of delivered recipients
        self.release = None         # threading.Event: hold replies until set
        self.stopped = False
        try:
            os.unlink(self.path)
        except OSError:
            pass
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.listen(512)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with self.lock:
            self.current += 1
            self.max_concurrent = max(self.max_concurrent, self.current)
            self.conc_at_start.append(self.current)
        counted = [True]

        def finished():
            # Before the reply leaves: qmgr may start the next delivery as
            # soon as it has the reply, and must not be seen as above its
            # limit because this thread was slow to count down.
            with self.lock:
                if counted[0]:
                    self.current -= 1
                    counted[0] = False
        try:
            conn.settimeout(60)
            conn.sendall(attr_encode([("proto", "deliver")]))
            reader = Reader(conn)
            req = reader.read_list()
            rcpts = [reader.read_list() for _ in range(req["rcpt_count"])]
            try:
                content = read_content(self.inst.queue_dir, req["queue_id"], req["data_offset"])
            except (OSError, ValueError, IndexError) as e:
                content = ("unreadable: %s" % e).encode()
            with self.lock:
                self.requests.append((time.time(), req, rcpts, content))
            if self.delay:
                time.sleep(self.delay)
            if self.release is not None:
                self.release.wait(120)
                if not self._peer_alive(conn):
                    return
            answer = self.behave(req, rcpts)
            if answer is None:
                return
            results, final = answer
            out = b""
            for rcpt, (status, dsn, reason) in zip(rcpts, results):
                out += attr_encode([("offset", rcpt["offset"]), ("status", status),
                                    ("dsn_status", dsn),
                                    ("dsn_action", "delivered" if status == 0 else
                                     "failed" if status == 5 else "delayed"),
                                    ("reason", reason), ("relay", "fake[127.0.0.1]:25")])
            out += attr_encode([("status", final[0]), ("flags", final[1]), ("reply", final[2])])
            finished()
            conn.sendall(out)
            ndone = sum(1 for r in results if r[0] == 0)
            with self.lock:
                self.delivered[req["queue_id"]] = self.delivered.get(req["queue_id"], 0) + ndone
        except (OSError, EOFError, ValueError) as e:
            print("# fake agent %s: %s" % (os.path.basename(self.path), e))
        finally:
            finished()
            conn.close()

    @staticmethod
    def _peer_alive(conn):
        try:
            conn.setblocking(False)
            data = conn.recv(1, socket.MSG_PEEK)
            return data != b""
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            conn.setblocking(True)

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.stopped = True
        try:
            self.sock.close()
            os.unlink(self.path)
        except OSError:
            pass


class FakeBounce:
    """The bounce/defer service: records requests, answers status."""

    def __init__(self, inst, name="bounce", status=0):
        self.path = os.path.join(inst.queue_dir, "private", name)
        self.status = status
        self.requests = []
        try:
            os.unlink(self.path)
        except OSError:
            pass
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(10)
                conn.sendall(attr_encode([("proto", "bounce")]))
                req = Reader(conn).read_list()
                self.requests.append(req)
                conn.sendall(attr_encode([("status", self.status)]))
            except (OSError, EOFError, ValueError) as e:
                print("# fake bounce: %s" % e)
            conn.close()

    def close(self):
        try:
            self.sock.close()
            os.unlink(self.path)
        except OSError:
            pass


# ---------------------------------------------------------------- helpers

def fake_instance(name, main_cf=None, master_extra=None, fake_lines=None):
    """An instance whose agents and bounce services are ours."""
    settings = {"default_transport": "fake", "minimal_backoff_time": "30s",
                "maximal_backoff_time": "60s", "queue_run_delay": "300s",
                "backoff_jitter": "10%"}
    settings.update(main_cf or {})
    replace = {s: None for s in AGENT_SERVICES}
    for line in fake_lines or []:
        replace[line.split()[0]] = line
    inst = Instance(name=name, main_cf=settings, master_cf_replace=replace,
                    master_cf_append=master_extra)
    r = inst.start()
    if r.returncode != 0:
        raise RuntimeError("start failed: %s %s" % (r.stdout, r.stderr))
    wait_for(lambda: os.path.exists(os.path.join(inst.queue_dir, "public", "qmgr")), 10)
    return inst


def trigger(inst, data):
    """Write a wake-up request to public/qmgr."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(os.path.join(inst.queue_dir, "public", "qmgr"))
        s.sendall(data)
    finally:
        s.close()


def smtp_send(inst, messages, sender="sender@src.example"):
    """messages: list of (recipients, body); one SMTP session."""
    s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30)
    try:
        for rcpts, body in messages:
            s.sendmail(sender, rcpts, body)
    finally:
        s.quit()


def msg(n, extra=""):
    return "Subject: test %s\r\nMessage-ID: <m%s@src.example>\r\n\r\nbody of %s\r\n%s" % (n, n, n, extra)


def queue_ids(inst, queue):
    return inst.queue_files(queue)


def file_path(inst, queue, qid):
    for d, dirs, files in os.walk(os.path.join(inst.queue_dir, queue)):
        if qid in files:
            return os.path.join(d, qid)
    return None


def log_count(inst, regex):
    return len(re.findall(regex, inst.log_text(), re.M))


def run_case(name, fn):
    try:
        fn()
    except Exception:
        not_ok(name, traceback.format_exc())


# ---------------------------------------------------------------- cases

def case_basic():
    """Delivery, request fields, content offset, batching, removal."""
    inst = fake_instance("basic", main_cf={"fake_destination_recipient_limit": "2"})
    agent = FakeAgent(inst, "fake")
    FakeBounce(inst)
    body = msg(1, "line two\r\n")
    smtp_send(inst, [(["a@one.example"], body)])
    check("basic: delivered and removed", inst.log_wait(r": removed$", 10) is not None,
          inst.log_text())
    req = agent.requests[0][1] if agent.requests else {}
    rcpts = agent.requests[0][2] if agent.requests else []
    content = agent.requests[0][3] if agent.requests else b""
    check("basic: request fields", req.get("nexthop") == "one.example"
          and req.get("transport") == "fake" and req.get("sender") == "sender@src.example"
          and req.get("queue_name") == "active" and req.get("priority") == "normal"
          and req.get("rcpt_count") == 1 and rcpts and rcpts[0]["address"] == "a@one.example",
          repr(req) + repr(rcpts))
    check("basic: content at data_offset", b"body of 1\n" in content
          and b"line two\n" in content and len(content) == req.get("data_size"),
          repr(content) + " size %r" % req.get("data_size"))
    check("basic: queue active log line", re.search(
        r"qmgr\[\d+\]: \w+: from=<sender@src\.example>, size=\d+, nrcpt=1 \(queue active\)",
        inst.log_text()) is not None, inst.log_text())
    # Five recipients in one domain with recipient limit 2: 3 deliveries.
    n0 = agent.count()
    smtp_send(inst, [(["r%d@batch.example" % i for i in range(5)], msg(2))])
    wait_for(lambda: agent.count() >= n0 + 3 and log_count(inst, r": removed$") >= 2, 10)
    sizes = sorted(r[1]["rcpt_count"] for r in agent.requests[n0:])
    check("basic: recipient limit batches", sizes == [1, 2, 2], repr(sizes))
    # Two domains: one request each.
    n0 = agent.count()
    smtp_send(inst, [(["x@d1.example", "y@d2.example"], msg(3))])
    wait_for(lambda: agent.count() >= n0 + 2, 10)
    hops = sorted(r[1]["nexthop"] for r in agent.requests[n0:])
    check("basic: one request per destination", hops == ["d1.example", "d2.example"], repr(hops))
    check("basic: nothing left in the queue", wait_for(
        lambda: not queue_ids(inst, "active") and not queue_ids(inst, "incoming"), 10),
        repr(queue_ids(inst, "active")))
    stats = os.path.join(inst.queue_dir, "private", "qmgr.stats")
    text = wait_for(lambda: os.path.exists(stats) and "delivery fake sent 2 8\n"
                    in open(stats).read() and open(stats).read(), 5)
    check("basic: metrics snapshot counts deliveries", bool(text)
          and "active_limit 20000\n" in text and "\nend\n" in text,
          open(stats).read() if os.path.exists(stats) else "no " + stats)
    inst.stop()


def case_defer_flush():
    """4xx -> deferred with backoff mtime; flush -> delivered."""
    inst = fake_instance("defer", main_cf={"minimal_backoff_time": "100s",
                                           "maximal_backoff_time": "400s"})
    mode = {"status": 4}
    agent = FakeAgent(inst, "fake", lambda req, rcpts: (
        [(mode["status"], "4.2.0" if mode["status"] else "2.0.0", "450 4.2.0 try later")] * len(rcpts),
        (0, 0, "")))
    FakeBounce(inst)
    t0 = time.time()
    smtp_send(inst, [(["a@later.example"], msg(1))])
    ids = wait_for(lambda: queue_ids(inst, "deferred"), 10)
    check("defer: 4xx moves the message to deferred", bool(ids), inst.log_text())
    if ids:
        mtime = os.stat(file_path(inst, "deferred", ids[0])).st_mtime
        check("defer: retry time within minimal_backoff_time +-10%",
              t0 + 90 - 2 <= mtime <= time.time() + 110 + 2, "mtime - now = %.1f" % (mtime - time.time()))
        dlog = file_path(inst, "defer", ids[0])
        text = open(dlog).read() if dlog else ""
        check("defer: defer logfile entry", "recipient=a@later.example\n" in text
              and "status=4.2.0\n" in text and "action=delayed\n" in text
              and "reason=450 4.2.0 try later\n" in text, text)
    mode["status"] = 0
    n0 = agent.count()
    trigger(inst, b"F")
    check("defer: flush delivers", inst.log_wait(r": removed$", 10) is not None
          and agent.count() == n0 + 1, inst.log_text())
    check("defer: defer logfile removed", not queue_ids(inst, "defer"), repr(queue_ids(inst, "defer")))
    inst.stop()


def case_bounce():
    """5xx -> bounce/ID entry, bounce flush request, removal; soft_bounce."""
    inst = fake_instance("bounce")
    agent = FakeAgent(inst, "fake", lambda req, rcpts: (
        [(5, "5.1.1", "550 5.1.1 no such user")] * len(rcpts), (0, 0, "")))
    bounce = FakeBounce(inst)
    smtp_send(inst, [(["nobody@hard.example"], msg(1))])
    ok_removed = inst.log_wait(r": removed$", 10) is not None
    check("bounce: flush request sent", bounce.requests and bounce.requests[0].get("request") == "flush"
          and bounce.requests[0].get("sender") == "sender@src.example", repr(bounce.requests))
    qid = bounce.requests[0].get("queue_id") if bounce.requests else None
    path = file_path(inst, "bounce", qid) if qid else None
    text = open(path).read() if path else ""
    check("bounce: bounce logfile entry", "recipient=nobody@hard.example\n" in text
          and "status=5.1.1\n" in text and "action=failed\n" in text, text)
    check("bounce: message removed after the notice", ok_removed, inst.log_text())
    inst.stop()
    # soft_bounce: the same reply defers.
    inst = fake_instance("softbounce", main_cf={"soft_bounce": "yes"})
    FakeAgent(inst, "fake", lambda req, rcpts: (
        [(5, "5.1.1", "550 5.1.1 no such user")] * len(rcpts), (0, 0, "")))
    bounce = FakeBounce(inst)
    smtp_send(inst, [(["nobody@hard.example"], msg(2))])
    ids = wait_for(lambda: queue_ids(inst, "deferred"), 10)
    dlog = file_path(inst, "defer", ids[0]) if ids else None
    text = open(dlog).read() if dlog else ""
    check("bounce: soft_bounce defers instead", bool(ids) and not bounce.requests
          and "status=4.1.1\n" in text, text + repr(bounce.requests))
    inst.stop()


def case_defer_transports():
    """defer_transports holds mail without contacting the agent."""
    inst = fake_instance("dfxp", main_cf={"defer_transports": "fake"})
    agent = FakeAgent(inst, "fake")
    FakeBounce(inst)
    smtp_send(inst, [(["a@held.example"], msg(1))])
    ids = wait_for(lambda: queue_ids(inst, "deferred"), 10)
    check("defer_transports: deferred without delivery", bool(ids) and agent.count() == 0
          and re.search(r"to=<a@held\.example>, relay=none, delay=\S+, delays=\S+, "
                        r"dsn=4\.3\.2, status=deferred \(deferred transport\)",
                        inst.log_text()) is not None, inst.log_text())
    trigger(inst, b"D")
    time.sleep(1)
    check("defer_transports: a deferred scan does not deliver", agent.count() == 0, "")
    trigger(inst, b"F")
    check("defer_transports: flush (postqueue -f) delivers", inst.log_wait(r": removed$", 10)
          is not None and agent.count() == 1, inst.log_text())
    inst.stop()


def case_routing():
    """transport_maps routing, unavailable transport, agent crash."""
    inst = fake_instance("route", main_cf={
        "transport_maps": "inline:{ mapped.example=fake2:[127.0.0.1]:2526, "
                          "crash.example=fake3:, gone.example=nosuch: }",
        "transport_retry_time": "60s"})
    FakeAgent(inst, "fake")
    agent2 = FakeAgent(inst, "fake2")
    agent3 = FakeAgent(inst, "fake3", lambda req, rcpts: None)
    FakeBounce(inst)
    smtp_send(inst, [(["a@mapped.example"], msg(1))])
    wait_for(lambda: agent2.count() >= 1, 10)
    req = agent2.requests[0][1] if agent2.requests else {}
    check("route: transport_maps transport and nexthop",
          req.get("transport") == "fake2" and req.get("nexthop") == "[127.0.0.1]:2526", repr(req))
    smtp_send(inst, [(["b@gone.example"], msg(2))])
    check("route: unavailable transport defers",
          inst.log_wait(r"warning: connect to transport private/nosuch: ", 10) is not None
          and inst.log_wait(r"to=<b@gone\.example>.*status=deferred \(mail transport unavailable\)", 5)
          is not None, inst.log_text())
    smtp_send(inst, [(["c@crash.example"], msg(3))])
    check("route: agent crash defers the recipient",
          inst.log_wait(r"to=<c@crash\.example>.*dsn=4\.3\.0, status=deferred "
                        r"\(unknown mail transport error\)", 10) is not None
          and agent3.count() == 1, inst.log_text())
    inst.stop()


def case_concurrency():
    """Process limit, destination concurrency limit, slow start."""
    inst = fake_instance("conc", main_cf={"initial_destination_concurrency": "2",
                                          "fake_destination_concurrency_limit": "5"},
                         fake_lines=["fake unix - - n - 50 smtp"])
    agent = FakeAgent(inst, "fake", delay=0.4)
    FakeBounce(inst)
    smtp_send(inst, [(["u%d@slow.example" % i], msg(i)) for i in range(40)])
    wait_for(lambda: log_count(inst, r": removed$") >= 40, 60)
    check("concurrency: all delivered", log_count(inst, r": removed$") == 40, inst.log_text()[-2000:])
    check("concurrency: never above the destination limit", agent.max_concurrent == 5,
          "max %d" % agent.max_concurrent)
    first = agent.conc_at_start[:2]
    check("concurrency: slow start from initial_destination_concurrency",
          max(agent.conc_at_start[:4]) <= 2 and max(first) <= 2, repr(agent.conc_at_start))
    inst.stop()
    # maxproc from master.cf bounds all destinations together.
    inst = fake_instance("maxproc", main_cf={"initial_destination_concurrency": "5"},
                         fake_lines=["fake unix - - n - 3 smtp"])
    agent = FakeAgent(inst, "fake", delay=0.3)
    FakeBounce(inst)
    smtp_send(inst, [(["u@d%d.example" % i], msg(i)) for i in range(12)])
    wait_for(lambda: log_count(inst, r": removed$") >= 12, 30)
    check("concurrency: master.cf maxproc is the process limit",
          agent.max_concurrent == 3 and log_count(inst, r": removed$") == 12,
          "max %d" % agent.max_concurrent)
    inst.stop()


def case_dead():
    """A failed cohort kills the destination; no attempts while dead."""
    inst = fake_instance("dead", main_cf={"initial_destination_concurrency": "1",
                                          "minimal_backoff_time": "300s"})
    mode = {"dead": True}

    def behave(req, rcpts):
        if mode["dead"]:
            return ([(4, "4.4.1", "connect to mx.down.example[127.0.0.1]:25: Connection refused")]
                    * len(rcpts), (0, 1, ""))
        return ([DELIVERED] * len(rcpts), (0, 0, ""))
    agent = FakeAgent(inst, "fake", behave)
    FakeBounce(inst)
    smtp_send(inst, [(["a@down.example"], msg(1))])
    check("dead: destination declared dead", inst.log_wait(
        r"warning: dead destination: transport=fake destination=down\.example", 10)
        is not None, inst.log_text())
    n0 = agent.count()
    smtp_send(inst, [(["b%d@down.example" % i], msg(i + 10)) for i in range(5)])
    wait_for(lambda: log_count(inst, r"to=<b\d@down\.example>.*status=deferred") >= 5, 10)
    check("dead: new mail deferred at once with the failure reason",
          log_count(inst, r"to=<b\d@down\.example>, relay=none.*dsn=4\.4\.1, status=deferred "
                    r"\(connect to mx\.down\.example\[127\.0\.0\.1\]:25: Connection refused\)") == 5,
          inst.log_text()[-2000:])
    check("dead: no connection attempts while dead", agent.count() == n0, "%d" % agent.count())
    mode["dead"] = False
    trigger(inst, b"F")
    wait_for(lambda: log_count(inst, r": removed$") >= 6, 15)
    check("dead: flush revives it and everything is delivered",
          log_count(inst, r": removed$") == 6, inst.log_text()[-2000:])
    inst.stop()


def case_rate_delay():
    """destination_rate_delay spaces deliveries."""
    inst = fake_instance("rate", main_cf={"fake_destination_rate_delay": "1s"})
    agent = FakeAgent(inst, "fake")
    FakeBounce(inst)
    smtp_send(inst, [(["u%d@paced.example" % i], msg(i)) for i in range(4)])
    wait_for(lambda: agent.count() >= 4, 15)
    times = [r[0] for r in agent.requests]
    gaps = [b - a for a, b in zip(times, times[1:])]
    check("rate delay: deliveries at least 1s apart", len(gaps) == 3 and min(gaps) >= 0.9,
          repr(gaps))
    check("rate delay: one at a time", agent.max_concurrent == 1, "%d" % agent.max_concurrent)
    inst.stop()


def case_throttle():
    """DEL_STAT_THROTTLED halves concurrency and pauses the destination."""
    inst = fake_instance("throttle", main_cf={"initial_destination_concurrency": "4",
                                              "smtp_throttle_backoff": "3s"})
    mode = {"n": 0}

    def behave(req, rcpts):
        mode["n"] += 1
        if mode["n"] == 1:
            return ([(4, "4.7.0", "421 4.7.0 rate limit exceeded")] * len(rcpts),
                    (0, 2, "421 4.7.0 rate limit exceeded"))
        return ([DELIVERED] * len(rcpts), (0, 0, ""))
    agent = FakeAgent(inst, "fake", behave, delay=0.2)
    FakeBounce(inst)
    smtp_send(inst, [(["u%d@busy.example" % i], msg(i)) for i in range(8)])
    check("throttle: warning logged", inst.log_wait(
        r"warning: throttled: transport=fake destination=busy\.example concurrency=2 \(was 4\): "
        r"421 4\.7\.0 rate limit exceeded", 10) is not None, inst.log_text())
    t_warn = time.time()
    wait_for(lambda: log_count(inst, r": removed$") >= 7, 20)
    later = [r[0] for r in agent.requests[4:]]
    check("throttle: paused for smtp_throttle_backoff, never dead",
          log_count(inst, r"dead destination") == 0 and later
          and min(later) >= t_warn + 2.0, "%r %r" % (t_warn, later))
    ids = queue_ids(inst, "deferred")
    check("throttle: throttled recipient deferred", len(ids) == 1, repr(ids))
    inst.stop()


def case_retry_schedule():
    """Per-transport retry schedule, earliest wins; import limit."""
    inst = fake_instance("retry", main_cf={
        "minimal_backoff_time": "1000s", "maximal_backoff_time": "2000s",
        "transport_maps": "inline:{ quick.example=fast: }",
        "backoff_jitter": "0"},
        fake_lines=["fast unix - - n - - smtp -o minimal_backoff_time=50s"])
    defer4 = lambda req, rcpts: ([(4, "4.0.0", "450 later")] * len(rcpts), (0, 0, ""))
    FakeAgent(inst, "fake", defer4)
    FakeAgent(inst, "fast", defer4)
    FakeBounce(inst)
    t0 = time.time()
    smtp_send(inst, [(["a@slowpoke.example"], msg(1))])
    smtp_send(inst, [(["b@quick.example", "c@slowpoke.example"], msg(2))])
    wait_for(lambda: len(queue_ids(inst, "deferred")) >= 2, 10)
    times = sorted(os.stat(file_path(inst, "deferred", q)).st_mtime - t0
                   for q in queue_ids(inst, "deferred"))
    check("retry: transport schedule from master.cf -o, earliest transport wins",
          len(times) == 2 and 45 <= times[0] <= 56 and 995 <= times[1] <= 1006, repr(times))
    inst.stop()
    # Deferred import limit: 6 eligible files, limit 2 per scan.
    inst = fake_instance("importlimit", main_cf={"qmgr_deferred_import_limit": "2",
                                                 "defer_transports": "fake"})
    agent = FakeAgent(inst, "fake")
    FakeBounce(inst)
    smtp_send(inst, [(["u%d@lim.example" % i], msg(i)) for i in range(6)])
    ids = wait_for(lambda: len(queue_ids(inst, "deferred")) == 6 and queue_ids(inst, "deferred"), 10)
    past = time.time() - 10
    for q in ids or []:
        os.utime(file_path(inst, "deferred", q), (past, past))
    mark = inst.log_mark()
    trigger(inst, b"D")
    time.sleep(1.5)
    text = inst.log_text()[mark:]
    check("import limit: one deferred scan admits at most qmgr_deferred_import_limit",
          text.count("(queue active)") == 2 and "import limit 2 reached" in text, text)
    inst.stop()


def case_expire_warn():
    """Expiry returns mail to the sender; delay warning once."""
    inst = fake_instance("expire", main_cf={"maximal_queue_lifetime": "0s"})
    FakeAgent(inst, "fake", lambda req, rcpts: ([(4, "4.0.0", "450 later")] * len(rcpts), (0, 0, "")))
    FakeBounce(inst)
    defer = FakeBounce(inst, "defer")
    smtp_send(inst, [(["a@never.example"], msg(1))])
    check("expire: expired and returned", inst.log_wait(
        r"\w+: from=<sender@src\.example>, status=expired, returned to sender", 10) is not None
        and inst.log_wait(r": removed$", 5) is not None, inst.log_text())
    check("expire: expire request", defer.requests and defer.requests[0]["request"] == "expire",
          repr(defer.requests))
    inst.stop()
    inst = fake_instance("warn", main_cf={"delay_warning_time": "1s", "minimal_backoff_time": "1s",
                                          "maximal_backoff_time": "1s", "queue_run_delay": "1s"})
    agent = FakeAgent(inst, "fake", lambda req, rcpts: ([(4, "4.0.0", "450 later")] * len(rcpts),
                                                        (0, 0, "")))
    FakeBounce(inst)
    defer = FakeBounce(inst, "defer")
    smtp_send(inst, [(["a@slowly.example"], msg(1))])
    wait_for(lambda: agent.count() >= 4, 15)
    warns = [r for r in defer.requests if r.get("request") == "warn"]
    check("warn: one delay warning after repeated deferrals", len(warns) == 1 and agent.count() >= 3,
          "%r after %d attempts" % (defer.requests, agent.count()))
    inst.stop()


def case_priority():
    """Transport delivery_priority class; weighted scheduling."""
    inst = fake_instance("prio", main_cf={
        "transport_maps": "inline:{ bulk.example=bulkq:, vip.example=vipq: }"},
        fake_lines=["bulkq unix - - n - 1 smtp -o delivery_priority=bulk",
                    "vipq unix - - n - 1 smtp -o delivery_priority=high"])
    FakeAgent(inst, "fake")
    bulk = FakeAgent(inst, "bulkq")
    vip = FakeAgent(inst, "vipq")
    FakeBounce(inst)
    smtp_send(inst, [(["a@bulk.example"], msg(1)), (["b@vip.example"], msg(2))])
    wait_for(lambda: bulk.count() >= 1 and vip.count() >= 1, 10)
    check("priority: transport class sent to the agent",
          bulk.requests and bulk.requests[0][1]["priority"] == "bulk"
          and vip.requests and vip.requests[0][1]["priority"] == "high",
          repr([r[1] for r in bulk.requests + vip.requests]))
    inst.stop()


def case_site_and_id_flush():
    """postqueue -s SITE and -i ID requests."""
    inst = fake_instance("siteflush", main_cf={"minimal_backoff_time": "300s"})
    mode = {"status": 4}
    agent = FakeAgent(inst, "fake", lambda req, rcpts: (
        [(mode["status"], "4.0.0" if mode["status"] else "2.0.0", "450 later")] * len(rcpts),
        (0, 0, "")))
    FakeBounce(inst)
    smtp_send(inst, [(["a@site1.example"], msg(1)), (["b@site2.example"], msg(2)),
                     (["c@site3.example"], msg(3))])
    wait_for(lambda: len(queue_ids(inst, "deferred")) == 3, 10)
    mode["status"] = 0
    n0 = agent.count()
    trigger(inst, b"ssite1.example\0")
    wait_for(lambda: agent.count() > n0, 10)
    time.sleep(0.5)
    check("site flush: only that site's mail", [r[1]["nexthop"] for r in agent.requests[n0:]]
          == ["site1.example"], repr([r[1]["nexthop"] for r in agent.requests[n0:]]))
    ids = queue_ids(inst, "deferred")
    target = None
    for q in ids:
        if b"site2" in open(file_path(inst, "deferred", q), "rb").read():
            target = q
    n0 = agent.count()
    trigger(inst, b"i" + (target or "none").encode() + b"\0")
    wait_for(lambda: agent.count() > n0, 10)
    check("id flush: only that message", [r[1]["queue_id"] for r in agent.requests[n0:]]
          == [target], repr([r[1]["queue_id"] for r in agent.requests[n0:]]))
    inst.stop()


def case_restart():
    """qmgr SIGKILLed with RESTART_COUNT messages queued: each delivered once.

    The messages are written straight into incoming/ (as cleanup leaves
    them: complete, mode 0700) so that ten thousand of them queue in
    seconds; the fake agent holds every delivery until qmgr is killed."""
    count = RESTART_COUNT
    inst = fake_instance("restart", main_cf={"fake_destination_concurrency_limit": "20",
                                             "initial_destination_concurrency": "20"},
                         fake_lines=["fake unix - - n - 20 smtp"])
    agent = FakeAgent(inst, "fake")
    agent.release = threading.Event()
    FakeBounce(inst)
    now = int(time.time())
    for i in range(count):
        qid = queue_id(now, i % 1000000, i + 1)
        store(inst.queue_dir, "incoming", qid, queue_file(
            "sender@src.example", ["u%d@bulkdest%d.example" % (i, i % 7)], now, i % 1000000,
            lines=["Subject: test %d" % i, "Message-ID: <m%d@src.example>" % i, "",
                   "body of %d" % i]))
    trigger(inst, b"I")
    wait_for(lambda: agent.count() >= 20, 30)
    qmgr = inst.children("qmgr")
    check("restart: qmgr running", len(qmgr) == 1, repr(qmgr))
    for pid in qmgr:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not inst.children("qmgr"), 10)
    left = len(queue_ids(inst, "active")) + len(queue_ids(inst, "incoming"))
    check("restart: mail still queued after the kill", left >= count - 20, "%d left" % left)
    agent.release.set()
    trigger(inst, b"I")
    done_all = wait_for(lambda: log_count(inst, r": removed$") >= count, 300, interval=1)
    time.sleep(1)
    dup = [q for q, n in agent.delivered.items() if n > 1]
    check("restart: every message delivered after the restart", done_all and
          len(agent.delivered) == count, "%d delivered, %d removed" %
          (len(agent.delivered), log_count(inst, r": removed$")))
    check("restart: none delivered twice", not dup, repr(dup[:10]))
    check("restart: queue empty", not queue_ids(inst, "active") and not queue_ids(inst, "incoming")
          and not queue_ids(inst, "deferred"), "")
    inst.stop()


def case_real_agents():
    """The real error, retry, discard agents and bounce service."""
    needed = ["error", "discard", "bounce"]
    missing = [n for n in needed if not os.access(os.path.join(LIBEXECDIR, n), os.X_OK)]
    if missing:
        skip("real agents", "missing libexec/%s" % ", ".join(missing))
        return
    inst = Instance(name="realagents", main_cf={
        "default_transport": "fake", "minimal_backoff_time": "300s",
        "transport_maps": "inline:{ { err.example = error:5.1.1 mailbox unavailable }, "
                          "disc.example=discard:, { ret.example = retry:4.2.0 try later } }"},
        master_cf_replace={"smtp/unix": None, "relay": None, "local": None})
    r = inst.start()
    if r.returncode != 0:
        not_ok("real agents: start", r.stderr)
        return
    sink = FakeAgent(inst, "fake")
    smtp_send(inst, [(["a@disc.example"], msg(1))])
    check("real agents: discard delivers and qmgr removes",
          inst.log_wait(r"discard\[\d+\]: \w+: to=<a@disc\.example>.*status=sent", 10) is not None
          and inst.log_wait(r": removed$", 10) is not None, inst.log_text())
    mark = inst.log_mark()
    smtp_send(inst, [(["b@err.example"], msg(2))])
    got = wait_for(lambda: [x for x in sink.requests if x[1]["sender"] == ""], 20)
    dsn = got[0] if got else None
    check("real agents: error bounces, bounce returns a DSN to the sender",
          dsn is not None and dsn[2][0]["address"] == "sender@src.example"
          and b"mailbox unavailable" in dsn[3] and b"multipart/report" in dsn[3],
          inst.log_text()[mark:] + repr(dsn[1:3] if dsn else None))
    smtp_send(inst, [(["c@ret.example"], msg(3))])
    ids = wait_for(lambda: queue_ids(inst, "deferred"), 10)
    check("real agents: retry defers", bool(ids) and inst.log_wait(
        r"to=<c@ret\.example>.*status=deferred \(try later\)", 5) is not None, inst.log_text())
    mark = inst.log_mark()
    r = inst.cmd("postqueue", "-f")
    check("real agents: postqueue -f retries at once", r.returncode == 0 and inst.log_wait(
        r"to=<c@ret\.example>.*status=deferred", 10, since=mark) is not None,
        r.stderr + inst.log_text()[mark:])
    mark = inst.log_mark()
    ids = wait_for(lambda: queue_ids(inst, "deferred"), 10)
    r = inst.cmd("postqueue", "-i", ids[0] if ids else "none")
    check("real agents: postqueue -i retries that message", r.returncode == 0 and inst.log_wait(
        r"%s: to=<c@ret\.example>.*status=deferred" % (ids[0] if ids else "none"), 10,
        since=mark) is not None, r.stderr + inst.log_text()[mark:])
    inst.stop()


class Sink:
    """tests/tools/smtp_sink.py as a subprocess."""

    def __init__(self, rules=None):
        self.dir = tempfile.mkdtemp(prefix="qmgr-sink-")
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)
        self.rules = os.path.join(self.dir, "rules.json")
        self.events = os.path.join(self.dir, "events")
        self.stats = os.path.join(self.dir, "stats")
        self.set_rules(rules or {})
        pf = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(TOP, "tests", "tools", "smtp_sink.py"),
             "--listen", "127.0.0.1:0", "--port-file", pf, "--out", self.out,
             "--rules", self.rules, "--events", self.events, "--stats", self.stats,
             "--max-seconds", "600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(pf), 10)
        with open(pf) as f:
            self.port = int(f.read().strip())

    def set_rules(self, rules):
        tmp = self.rules + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rules, f)
        os.rename(tmp, self.rules)
        time.sleep(0.3)

    def event_list(self, kind=None):
        try:
            with open(self.events) as f:
                evs = [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []
        return [e for e in evs if kind is None or e.get("event") == kind]

    def messages(self):
        out = []
        for name in sorted(os.listdir(self.out)):
            if name.endswith(".msg"):
                with open(os.path.join(self.out, name), "rb") as f:
                    head, _, body = f.read().partition(b"\n")
                out.append((json.loads(head), body))
        return out

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def case_smtp_sink():
    """End to end through the real smtp client to the test sink."""
    if not os.access(os.path.join(LIBEXECDIR, "smtp"), os.X_OK):
        skip("smtp sink", "libexec/smtp does not exist yet")
        return
    sink = Sink()
    dead = Sink({"replies": {"greeting": "reset"}})
    try:
        _smtp_sink_cases(sink, dead)
    finally:
        sink.close()
        dead.close()


def _smtp_sink_cases(sink, dead):
    inst = Instance(name="sink", main_cf={
        "transport_maps": "inline:{ sink.example=smtp:[127.0.0.1]:%d, "
                          "dead.example=deadsmtp:[127.0.0.1]:%d }" % (sink.port, dead.port),
        "minimal_backoff_time": "100s", "maximal_backoff_time": "400s",
        "initial_destination_concurrency": "2", "smtp_destination_concurrency_limit": "4",
        "smtp_connection_cache_on_demand": "no"},
        master_cf_replace={"bounce": None, "defer": None},
        master_cf_append=["deadsmtp unix - - n - - smtp -o initial_destination_concurrency=1"])
    r = inst.start()
    if r.returncode != 0:
        not_ok("smtp sink: start", r.stderr)
        return
    bounce = FakeBounce(inst)
    body = ("Subject: exact\r\n\r\nline one\r\n.leading dot\r\n"
            "  indented\r\n" + "x" * 990 + "\r\n")
    smtp_send(inst, [(["one@sink.example"], body)])
    got = wait_for(lambda: sink.messages(), 20)
    data = got[0][1] if got else b""
    want = ("line one\r\n.leading dot\r\n  indented\r\n" + "x" * 990 + "\r\n").encode()
    check("smtp sink: delivered byte for byte", data.endswith(want)
          and b"Subject: exact\r\n" in data, repr(data[-200:]) + inst.log_text())
    # 4xx: deferred with a retry time, flush delivers.
    sink.set_rules({"rcpt_patterns": {"^later@": "450 4.2.0 mailbox busy"}})
    t0 = time.time()
    smtp_send(inst, [(["later@sink.example"], msg(1))])
    ids = wait_for(lambda: queue_ids(inst, "deferred"), 20)
    mtime = os.stat(file_path(inst, "deferred", ids[0])).st_mtime if ids else 0
    check("smtp sink: 4xx -> deferred in the backoff window",
          bool(ids) and t0 + 90 - 2 <= mtime <= time.time() + 110 + 2, inst.log_text()[-1500:])
    sink.set_rules({})
    n0 = len(sink.messages())
    inst.cmd("postqueue", "-f")
    check("smtp sink: postqueue -f delivers", wait_for(lambda: len(sink.messages()) > n0, 20)
          and not queue_ids(inst, "deferred"), inst.log_text()[-1500:])
    # 5xx: bounce logfile and bounce request.
    sink.set_rules({"rcpt_patterns": {"^nobody@": "550 5.1.1 no such user"}})
    smtp_send(inst, [(["nobody@sink.example"], msg(2))])
    check("smtp sink: 5xx -> bounce request", wait_for(lambda: bounce.requests, 20)
          and bounce.requests[-1]["request"] == "flush", inst.log_text()[-1500:])
    # Concurrency and slow start, counted in mail transactions (MAIL to
    # the end of DATA): idle connections the agent keeps for reuse are
    # sessions, not deliveries.
    sink.set_rules({"delays_ms": {"data-end": 300}})
    mark = len(sink.event_list())
    smtp_send(inst, [(["c%d@sink.example" % i], msg(i)) for i in range(30)])
    wait_for(lambda: log_count(inst, r": removed$") >= 33, 60)
    conc = _sink_overlaps(sink.event_list()[mark:])
    check("smtp sink: concurrency never above the limit", conc and max(conc) <= 4,
          repr(conc))
    check("smtp sink: slow start", len(conc) == 30 and max(conc[:2]) <= 2
          and max(conc) >= 3, repr(conc))
    # Dead destination: no connections while dead.
    smtp_send(inst, [(["d1@dead.example"], msg(50))])
    dead_seen = inst.log_wait(r"dead destination: transport=deadsmtp "
                              r"destination=\[127\.0\.0\.1\]:%d" % dead.port, 30)
    n_dead = len(dead.event_list("connect"))
    smtp_send(inst, [(["d%d@dead.example" % i], msg(60 + i)) for i in range(2, 6)])
    wait_for(lambda: log_count(inst, r"to=<d[2-5]@dead\.example>.*status=deferred") >= 4, 20)
    check("smtp sink: dead destination, no connection attempts while dead",
          dead_seen is not None and n_dead >= 1 and len(dead.event_list("connect")) == n_dead
          and log_count(inst, r"to=<d[2-5]@dead\.example>.*status=deferred") == 4,
          "%d then %d connections" % (n_dead, len(dead.event_list("connect"))))
    # qmgr killed in the middle of 1,000 deliveries: all arrive, and only
    # the deliveries in flight at the kill may arrive twice.
    sink.set_rules({"delays_ms": {"data-end": 5}})
    n0 = len(sink.messages())
    count = 1000
    batch = [(["r%d@sink.example" % i], msg("r%d" % i)) for i in range(count)]
    senders = [threading.Thread(target=smtp_send, args=(inst, batch[k::4])) for k in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(300)
    wait_for(lambda: len(sink.messages()) >= n0 + 100, 60)
    for pid in inst.children("qmgr"):
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not inst.children("qmgr"), 10)
    trigger(inst, b"I")
    wait_for(lambda: len({m for m in _sink_ids(sink) if m.startswith("mr")}) >= count, 240,
             interval=0.5)
    ids = [m for m in _sink_ids(sink) if m.startswith("mr")]
    dups = len(ids) - len(set(ids))
    check("smtp sink: qmgr killed and restarted, every message delivered",
          len(set(ids)) == count, "%d distinct of %d" % (len(set(ids)), count))
    check("smtp sink: at most the in-flight deliveries repeated", dups <= 4, "%d repeated" % dups)
    inst.stop()


def _sink_overlaps(events):
    """For each mail transaction, in start order, how many were open."""
    start, spans = {}, []
    for e in events:
        if e.get("event") == "mail" and str(e.get("reply")).startswith("2"):
            start[e["session"]] = e["t"]
        elif e.get("event") == "data-end" and e["session"] in start:
            spans.append((start.pop(e["session"]), e["t"]))
    spans.sort()
    return [sum(1 for a, b in spans if a <= t0 < b) for t0, _ in spans]


def _sink_ids(sink):
    """Message-ID local parts of the messages the sink accepted."""
    out = []
    for head, body in sink.messages():
        m = re.search(rb"Message-ID: <([^@>]+)@", body, re.I)
        if m:
            out.append(m.group(1).decode())
    return out


def main():
    cases = [case_basic, case_defer_flush, case_bounce, case_defer_transports, case_routing,
             case_concurrency, case_dead, case_rate_delay, case_throttle,
             case_retry_schedule, case_expire_warn, case_priority, case_site_and_id_flush,
             case_restart, case_real_agents, case_smtp_sink]
    only = os.environ.get("QMGR_CASES")
    for fn in cases:
        if only and fn.__name__[5:] not in only.split(","):
            continue
        run_case(fn.__name__, fn)
    done()


if __name__ == "__main__":
    main()
