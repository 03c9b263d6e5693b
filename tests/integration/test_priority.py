#!/usr/bin/env python3
"""test_priority - priority classes and load control, end to end.

Real Postern instances deliver through the real smtp client to
tests/tools/smtp_sink.py on loopback (transport_maps routes to
smtp:[127.0.0.1]:PORT, no DNS). Cases:

  classes      cleanup's class assignment: priority_maps by sender address,
               sender domain and recipient domain, Precedence: bulk, the
               default, a transport's -o delivery_priority=high; seen in
               the queue file (postcat, and the records read directly) and
               in postqueue -j; a priority_maps table that cannot be
               searched refuses the message with 451.
  flood        5,000 bulk messages to a slow sink (concurrency 2, 200 ms
               per message), then 20 high-priority messages: all 20
               delivered within 5 s while bulk is still queued.
  active_full  the same with qmgr_message_active_limit = 1000 full of bulk
               (bulk by Precedence: header): bulk stops at the reserve, the
               rest waits in incoming, high still gets in at once.
  throttle     the sink answers 421 4.7.0 rate limited for 10 s: qmgr logs
               the throttle down to concurrency=1, never a dead
               destination, and concurrency rises above 1 afterwards; no
               mail is lost.
  jitter       1,000 messages deferred by 450 in about a second have retry
               times (deferred/ file mtimes) spread over the jitter range,
               not bunched; with backoff_jitter = 0 the same flood is
               bunched (the check can tell).
  backoff      the seed's master.cf example verbatim (high-prio and
               low-prio clones with -o backoff overrides) and a transport
               map built with postmap: deferred mail on high-prio comes
               back after about 60 s, on low-prio after about 5 min.
  rate         smtp_destination_message_rate_limit = 120/m with
               concurrency 4: over 30 s the delivery rate is within 10% of
               2/s while more than one transaction is open at once.

Every wait is bounded; the whole file takes about two to three minutes.
"""

import collections
import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, check, done, not_ok, skip,  # noqa: E402
                          wait_for, TOP, LIBEXECDIR)

SINK = os.path.join(TOP, "tests", "tools", "smtp_sink.py")

# The seed article's master.cf example, verbatim.
SEED_MASTER_CF = """\
high-prio unix - - n - - smtp
  -o smtp_destination_concurrency_limit=20
  -o minimum_backoff_time=60s
  -o maximum_backoff_time=30m

low-prio unix - - n - - smtp
  -o smtp_destination_concurrency_limit=5
  -o minimum_backoff_time=5m
  -o maximum_backoff_time=4h
"""


# ---------------------------------------------------------------- sink

class Sink:
    """tests/tools/smtp_sink.py as a subprocess, with its files."""

    def __init__(self, rules=None):
        self.dir = tempfile.mkdtemp(prefix="prio-sink-")
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)
        self.rules = os.path.join(self.dir, "rules.json")
        self.events = os.path.join(self.dir, "events")
        self.set_rules(rules or {}, settle=0)
        pf = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [sys.executable, SINK, "--listen", "127.0.0.1:0", "--port-file", pf,
             "--out", self.out, "--rules", self.rules, "--events", self.events,
             "--max-seconds", "600"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(lambda: os.path.exists(pf), 10):
            raise RuntimeError("smtp_sink.py did not start")
        with open(pf) as f:
            self.port = int(f.read().strip())

    def set_rules(self, rules, settle=0.3):
        """Replace the rules file atomically; the sink checks every 100 ms."""
        tmp = self.rules + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rules, f)
        os.rename(tmp, self.rules)
        time.sleep(settle)

    def count(self):
        return sum(1 for n in os.listdir(self.out) if n.endswith(".msg"))

    def headers(self):
        """The JSON envelope line of every accepted message."""
        out = []
        for name in sorted(os.listdir(self.out)):
            if name.endswith(".msg"):
                with open(os.path.join(self.out, name), "rb") as f:
                    out.append(json.loads(f.readline()))
        return out

    def event_list(self):
        try:
            with open(self.events) as f:
                return [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def transactions(events):
    """(start, end) of every mail transaction the sink saw: MAIL to the
    reply after the data, or to the end of the session."""
    start, spans = {}, []
    for e in events:
        kind, sid = e.get("event"), e.get("session")
        if kind == "mail":
            start[sid] = e["t"]
        elif kind in ("data-end", "disconnect") and sid in start:
            spans.append((start.pop(sid), e["t"]))
    return sorted(spans)


def max_open(spans, t_from=0.0, t_to=float("inf")):
    """Most transactions open at once, at starts within [t_from, t_to)."""
    best = 0
    for a, _ in spans:
        if t_from <= a < t_to:
            best = max(best, sum(1 for x, y in spans if x <= a < y))
    return best


# ---------------------------------------------------------------- helpers

def start(inst):
    r = inst.start()
    if r.returncode != 0:
        raise RuntimeError("postern start: %s %s" % (r.stdout, r.stderr))
    if not wait_for(lambda: os.path.exists(os.path.join(inst.queue_dir, "public", "qmgr")), 10):
        raise RuntimeError("qmgr did not start")


def message(tag, extra_headers=""):
    return "Subject: %s\r\nMessage-ID: <%s@src.example>\r\n%s\r\nbody of %s\r\n" % (
        tag, tag, extra_headers, tag)


def inject(inst, sender, items, sessions=1, limit=90):
    """Send (recipient, message) items over several concurrent SMTP
    sessions, giving up after limit seconds; returns the list of errors."""
    errors = []
    deadline = time.monotonic() + limit

    def worker(part):
        try:
            s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30)
            try:
                for n, (rcpt, body) in enumerate(part):
                    if time.monotonic() > deadline:
                        errors.append("gave up after %d s, %d of %d sent"
                                      % (limit, n, len(part)))
                        break
                    s.sendmail(sender, [rcpt], body)
            finally:
                s.quit()
        except (OSError, smtplib.SMTPException) as e:
            errors.append(repr(e))
    threads = [threading.Thread(target=worker, args=(items[k::sessions],))
               for k in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(limit + 70)
    return errors


def queue_path(inst, queue, qid):
    for d, _, files in os.walk(os.path.join(inst.queue_dir, queue)):
        if qid in files:
            return os.path.join(d, qid)
    return None


def prio_records(path):
    """The PRIO records of a queue file's envelope, in order."""
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, []
    while pos < len(data):
        kind = data[pos:pos + 1]
        pos += 1
        length, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if kind == b"M":
            break
        if kind == b"P":
            out.append(data[pos:pos + length].decode())
        pos += length
    return out


def postqueue_json(inst):
    r = inst.cmd("postqueue", "-j")
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def mtimes(inst, queue):
    out = []
    for d, _, files in os.walk(os.path.join(inst.queue_dir, queue)):
        for f in files:
            if re.fullmatch(r"[0-9A-Za-z]+", f):
                out.append(os.stat(os.path.join(d, f)).st_mtime)
    return sorted(out)


def run_case(name, fn):
    try:
        fn()
    except Exception:
        not_ok(name, traceback.format_exc())


# ---------------------------------------------------------------- cases

CLASS_CASES = [
    # name, sender, recipient, extra headers, class, transport
    ("sender address", "otp@corp.example", "u1@plain.example", "", "high", "smtp"),
    ("sender domain", "news@campaigns.example", "u2@txn.example", "", "bulk", "smtp"),
    ("recipient domain", "a@corp.example", "u3@txn.example", "", "high", "smtp"),
    ("Precedence: bulk", "a@corp.example", "u4@plain.example", "Precedence: bulk\r\n",
     "bulk", "smtp"),
    ("default", "a@corp.example", "u5@plain.example", "", "normal", "smtp"),
    ("transport delivery_priority", "a@corp.example", "u6@fast.example", "", "high",
     "high-prio"),
]


def case_classes():
    """Class assignment in cleanup, seen by postcat and postqueue -j."""
    inst = Instance(name="classes", main_cf={
        "priority_maps": "inline:{ otp@corp.example=high, campaigns.example=bulk, "
                         "txn.example=high }",
        "transport_maps": "inline:{ fast.example=high-prio:[127.0.0.1]:9 }",
        "default_transport": "smtp:[127.0.0.1]:9",
        "defer_transports": "smtp, high-prio"},
        master_cf_append=["high-prio unix - - n - - smtp -o delivery_priority=high"])
    start(inst)
    for n, (name, sender, rcpt, extra, _, _) in enumerate(CLASS_CASES):
        errors = inject(inst, sender, [(rcpt, message("c%d" % n, extra))])
        if errors:
            raise RuntimeError("%s: %s" % (name, errors))
    wait_for(lambda: len(inst.queue_files("deferred")) >= len(CLASS_CASES), 20)
    listing = {m["recipients"][0]["address"]: m for m in postqueue_json(inst)}
    for name, sender, rcpt, _, want, transport in CLASS_CASES:
        m = listing.get(rcpt)
        if m is None:
            not_ok("classes: %s" % name, "not in postqueue -j:\n%s\n%s" %
                   (json.dumps(listing, indent=1), inst.log_text()[-2000:]))
            continue
        qid = m["queue_id"]
        path = queue_path(inst, "deferred", qid)
        recs = prio_records(path) if path else []
        pc = inst.cmd("postcat", "-q", "-e", qid)
        shown = re.findall(r"^priority: (.*)$", pc.stdout, re.M)
        check("classes: %s -> %s" % (name, want),
              m["priority"] == want and m["recipients"][0]["transport"] == transport
              and recs and recs[-1] == want and shown and shown[-1] == want,
              "postqueue -j: %s\nPRIO records: %r\npostcat: %s%s" %
              (json.dumps(m), recs, pc.stdout, pc.stderr))
    inst.stop()

    # A table that cannot be searched: a temporary error, not a guess.
    inst = Instance(name="classfail", main_cf={
        "priority_maps": "hash:/nonexistent/priority",
        "default_transport": "smtp:[127.0.0.1]:9", "defer_transports": "smtp"})
    start(inst)
    s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30)
    try:
        s.sendmail("a@corp.example", ["x@plain.example"], message("f1"))
        code, text = 250, b"accepted"
    except smtplib.SMTPDataError as e:
        code, text = e.smtp_code, e.smtp_error
    finally:
        s.quit()
    check("classes: priority_maps lookup failure -> 451, nothing queued",
          code == 451 and not inst.queue_files("incoming") and not inst.queue_files("deferred")
          and inst.log_wait(r"priority_maps lookup of a@corp\.example failed", 5) is not None,
          "%d %r\n%s" % (code, text, inst.log_text()[-2000:]))
    inst.stop()


def flood_case(name, active_limit, bulk_sender, bulk_headers):
    """5,000 bulk then 20 high to one slow destination."""
    sink = Sink({"delays_ms": {"data-end": 200}})
    try:
        _flood(name, sink, active_limit, bulk_sender, bulk_headers)
    finally:
        sink.close()


def _flood(name, sink, active_limit, bulk_sender, bulk_headers):
    settings = {
        "priority_maps": "inline:{ news.example=bulk, alerts.example=high }",
        "transport_maps": "inline:{ dest.example=smtp:[127.0.0.1]:%d }" % sink.port,
        "smtp_destination_concurrency_limit": "2",
        "initial_destination_concurrency": "2"}
    if active_limit:
        settings["qmgr_message_active_limit"] = str(active_limit)
    inst = Instance(name=name, main_cf=settings)
    start(inst)
    count = 5000
    bulk = [("b%d@dest.example" % i, message("b%d" % i, bulk_headers)) for i in range(count)]
    t0 = time.time()
    errors = inject(inst, bulk_sender, bulk, sessions=8)
    took = time.time() - t0
    check("%s: 5,000 bulk messages accepted in under 60 s" % name,
          not errors and took < 60, "%.1f s, errors %r" % (took, errors[:3]))
    active, incoming = len(inst.queue_files("active")), len(inst.queue_files("incoming"))
    if active_limit:
        cap = active_limit * 80 // 100
        check("%s: bulk fills the active queue up to the reserve, the rest waits" % name,
              cap - 20 <= active <= cap and incoming > 0,
              "active %d, incoming %d, cap %d" % (active, incoming, cap))
    high = [("h%d@dest.example" % i, message("h%d" % i)) for i in range(20)]
    t_high = time.time()
    errors = inject(inst, "otp@alerts.example", high)

    def high_done():
        got = [h for h in sink.headers() if h["rcpt"][0].startswith("h")]
        return got if len(got) >= 20 else None
    got = wait_for(high_done, 15, interval=0.2) or \
        [h for h in sink.headers() if h["rcpt"][0].startswith("h")]
    last = max((h["accept_time"] for h in got), default=float("inf"))
    bulk_done = sum(1 for h in sink.headers()
                    if h["rcpt"][0].startswith("b") and h["accept_time"] <= last)
    check("%s: all 20 high-priority messages delivered within 5 s" % name,
          not errors and len(got) == 20 and last - t_high <= 5.0,
          "%d delivered, last after %.2f s, errors %r" % (len(got), last - t_high, errors))
    check("%s: bulk still queued when the last high-priority message arrived" % name,
          bulk_done < count - 1000, "%d bulk delivered by then" % bulk_done)
    inst.stop()


def case_flood():
    flood_case("flood", None, "campaign@news.example", "")


def case_active_full():
    flood_case("active_full", 1000, "letters@plain.example", "Precedence: bulk\r\n")


def case_throttle():
    """421 for 10 s: down to concurrency 1, never dead, back up after."""
    sink = Sink({"delays_ms": {"data-end": 100}})
    try:
        _throttle(sink)
    finally:
        sink.close()


def _throttle(sink):
    inst = Instance(name="throttle", main_cf={
        "transport_maps": "inline:{ dest.example=smtp:[127.0.0.1]:%d }" % sink.port,
        "smtp_destination_concurrency_limit": "4", "initial_destination_concurrency": "4",
        "smtp_throttle_backoff": "1s", "minimal_backoff_time": "1s",
        "maximal_backoff_time": "2s", "queue_run_delay": "1s", "backoff_jitter": "0%"})
    start(inst)
    stop = threading.Event()
    sent = []

    def feeder():
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=60)
        try:
            for i in range(1000):
                if stop.is_set():
                    break
                s.sendmail("a@src.example", ["t%d@dest.example" % i], message("t%d" % i))
                sent.append(i)
                time.sleep(0.04)
        finally:
            s.quit()
    feed = threading.Thread(target=feeder)
    feed.start()
    try:
        time.sleep(5)
        t421 = time.time()
        sink.set_rules({"delays_ms": {"data-end": 100}, "replies": {
            "greeting": "421 4.7.0 rate limited", "mail": "421 4.7.0 rate limited"}}, settle=0)
        time.sleep(10)
        t_ok = time.time()
        sink.set_rules({"delays_ms": {"data-end": 100}}, settle=0)
        time.sleep(10)
    finally:
        stop.set()
        feed.join(60)
    log = inst.log_text()
    pattern = (r"warning: throttled: transport=smtp destination=\[127\.0\.0\.1\]:%d "
               r"concurrency=(\d+) \(was (\d+)\): 421 4\.7\.0 rate limited" % sink.port)
    steps = [(int(a), int(b)) for a, b in re.findall(pattern, log)]
    check("throttle: 421 halves concurrency down to 1, logged",
          steps and steps[0][1] > steps[0][0] and any(a == 1 for a, _ in steps),
          "\n".join(re.findall(r".*throttled.*", log)[:10]) or log[-2000:])
    check("throttle: no dead destination", "dead destination" not in log,
          "\n".join(re.findall(r".*dead destination.*", log)[:5]))
    spans = transactions(sink.event_list())
    before, after = max_open(spans, 0, t421), max_open(spans, t_ok + 2)
    check("throttle: concurrency above 1 before and again after the 421 period",
          before > 1 and after > 1, "before %d, after %d" % (before, after))
    delivered = wait_for(lambda: sink.count() >= len(sent) and sink.count(), 30, 0.5)
    check("throttle: every message delivered in the end",
          delivered == len(sent), "%s of %d" % (sink.count(), len(sent)))
    inst.stop()


def case_jitter():
    """1,000 deferrals in a second get retry times spread by the jitter."""
    sink = Sink({"rcpt_patterns": {".": "450 4.2.1 mailbox busy"}})
    try:
        spread = _jitter(sink, "10%")
        if spread is None:
            return
        first, last, per_second = spread
        # 1000 s +- 10%: about 200 s wide, about 5 files per second.
        check("jitter: 1,000 retry times spread over the jitter range",
              last - first >= 150 and per_second <= 50,
              "range %.0f s, at most %d in one second" % (last - first, per_second))
        spread = _jitter(sink, "0%")
        if spread is not None:
            first, last, per_second = spread
            check("jitter: without backoff_jitter the same flood is bunched",
                  last - first < 30 and per_second > 50,
                  "range %.0f s, at most %d in one second" % (last - first, per_second))
    finally:
        sink.close()


def _jitter(sink, jitter):
    inst = Instance(name="jitter", main_cf={
        "transport_maps": "inline:{ dest.example=smtp:[127.0.0.1]:%d }" % sink.port,
        "minimal_backoff_time": "1000s", "maximal_backoff_time": "4000s",
        "backoff_jitter": jitter})
    start(inst)
    items = [("j%d@dest.example" % i, message("j%d" % i)) for i in range(1000)]
    t0 = time.time()
    errors = inject(inst, "a@src.example", items, sessions=8)
    ok = wait_for(lambda: len(inst.queue_files("deferred")) >= 1000
                  and not inst.queue_files("active") and not inst.queue_files("incoming"),
                  120, 0.5)
    t1 = time.time()
    times = mtimes(inst, "deferred")
    inst.stop()
    if errors or not ok:
        not_ok("jitter %s: 1,000 messages deferred" % jitter,
               "errors %r, %d deferred" % (errors[:3], len(times)))
        return None
    in_window = all(t0 + 900 - 2 <= t <= t1 + 1100 + 2 for t in times) if jitter != "0%" \
        else all(t0 + 1000 - 2 <= t <= t1 + 1000 + 2 for t in times)
    check("jitter %s: retry times within the backoff window" % jitter, in_window,
          "first %+.0f s, last %+.0f s" % (times[0] - t0, times[-1] - t0))
    per_second = collections.Counter(int(t) for t in times)
    return times[0], times[-1], max(per_second.values())


def case_backoff():
    """The seed's cloned transports: their own retry schedules via -o."""
    sink = Sink({"rcpt_patterns": {".": "450 4.2.1 mailbox busy"}})
    try:
        _backoff(sink)
    finally:
        sink.close()


def _backoff(sink):
    inst = Instance(name="backoff", main_cf={
        "initial_destination_concurrency": "3",
        "default_destination_concurrency_limit": "20"},
        master_cf_append=SEED_MASTER_CF.splitlines())
    table = os.path.join(inst.config_dir, "transport")
    with open(table, "w") as f:
        f.write("# Transactional targets\n"
                "alerts.example.com high-prio:[127.0.0.1]:{0}\n"
                "txn.example.com high-prio:[127.0.0.1]:{0}\n"
                "# Newsletter and bulk destinations\n"
                "newsletter.example.com low-prio:[127.0.0.1]:{0}\n"
                "bulk.example.com low-prio:[127.0.0.1]:{0}\n".format(sink.port))
    r = inst.cmd("postmap", "hash:" + table)
    if r.returncode != 0 or not os.path.exists(table + ".db"):
        not_ok("backoff: postmap builds the transport map", r.stderr)
        return
    inst.set_main_cf({"transport_maps": "hash:" + table})
    start(inst)
    rcpts = {"a@alerts.example.com": "high-prio", "t@txn.example.com": "high-prio",
             "n@newsletter.example.com": "low-prio", "b@bulk.example.com": "low-prio"}
    t0 = time.time()
    errors = inject(inst, "a@src.example", [(r, message(r.split("@")[0])) for r in rcpts])
    wait_for(lambda: len(inst.queue_files("deferred")) >= 4, 20)
    t1 = time.time()
    got = {}
    for m in postqueue_json(inst):
        rcpt = m["recipients"][0]
        path = queue_path(inst, "deferred", m["queue_id"])
        got[rcpt["address"]] = (rcpt["transport"], os.stat(path).st_mtime if path else 0)
    bad = []
    for rcpt, transport in rcpts.items():
        tr, mtime = got.get(rcpt, (None, 0))
        base = 60 if transport == "high-prio" else 300
        if tr != transport or not (t0 + base * 0.9 - 2 <= mtime <= t1 + base * 1.1 + 2):
            bad.append("%s: transport %s, retry in %+.0f s" % (rcpt, tr, mtime - t0))
    check("backoff: seed master.cf verbatim, high-prio retries after ~60 s, "
          "low-prio after ~5 min", not errors and len(got) == 4 and not bad,
          "\n".join(bad) + "\n" + repr(errors) + inst.log_text()[-1500:])
    inst.stop()


def case_rate():
    """120/m with concurrency 4: 2/s, several transactions at once."""
    sink = Sink({"delays_ms": {"data-end": 1500}})
    try:
        _rate(sink)
    finally:
        sink.close()


def _rate(sink):
    inst = Instance(name="rate", main_cf={
        "transport_maps": "inline:{ dest.example=smtp:[127.0.0.1]:%d }" % sink.port,
        "smtp_destination_concurrency_limit": "4", "initial_destination_concurrency": "4",
        "smtp_destination_message_rate_limit": "120/m"})
    start(inst)
    errors = inject(inst, "a@src.example",
                    [("r%d@dest.example" % i, message("r%d" % i)) for i in range(80)], 2)
    first = wait_for(lambda: sink.count() > 0, 20)
    t_first = min((h["accept_time"] for h in sink.headers()), default=None) if first else None
    if t_first is None:
        not_ok("rate: deliveries start", inst.log_text()[-2000:])
        inst.stop()
        return
    wait_for(lambda: time.time() > t_first + 30.5, 40, 0.5)
    accepted = [h["accept_time"] for h in sink.headers()]
    n = sum(1 for t in accepted if t_first <= t < t_first + 30)
    opened = max_open(transactions(sink.event_list()))
    check("rate: 120/m holds within 10%% over 30 s (%d delivered)" % n,
          not errors and 54 <= n <= 66, "%d in 30 s, errors %r" % (n, errors))
    check("rate: more than one transaction open at once (%d)" % opened, opened > 1,
          "max open %d" % opened)
    inst.stop()


def main():
    if not os.access(os.path.join(LIBEXECDIR, "smtp"), os.X_OK):
        skip("priority", "libexec/smtp does not exist")
        done()
    cases = [case_classes, case_flood, case_active_full, case_throttle, case_jitter,
             case_backoff, case_rate]
    only = os.environ.get("PRIORITY_CASES")
    for fn in cases:
        if only and fn.__name__[5:] not in only.split(","):
            continue
        run_case(fn.__name__, fn)
    done()


if __name__ == "__main__":
    main()
