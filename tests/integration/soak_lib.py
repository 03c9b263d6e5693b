"""soak_lib - shared code of the delivery fault tests and the soak run.

SYNOPSIS
    from soak_lib import Sink, sink_instance, send_smtp, send_sendmail,
                         sink_ids, queue_count, soak

    sink = Sink({"replies": {"rcpt": "451 4.3.0 later"}})
    inst = sink_instance("name", {"sink.test": sink.port})
    result = soak(seconds=60, log=print)

DESCRIPTION
    Sink runs tests/tools/smtp_sink.py with a rules file (set_rules()
    replaces it atomically), an events log, a stats file and an output
    directory; messages() and ids() read what it accepted, ids() by the
    Message-ID local part.

    sink_instance() builds a Postern instance (postern_test.Instance)
    whose transport_maps send DOMAIN to smtp:[127.0.0.1]:PORT for each
    entry of the routes dict.

    send_smtp() submits messages over SMTP, one session, and returns the
    Message-IDs that got a 250 at the end of DATA; send_sendmail() runs
    bin/sendmail and returns the Message-ID when it exits 0.

    soak() is the mixed-load run shared by tests/integration/test_soak.py
    and bench/soak.sh: several SMTP clients and sendmail submit mail to
    a sink that answers 4xx/5xx/421 and stalls at random, while a chaos
    loop SIGKILLs random daemons (never the master). Then the sink heals,
    the queue is flushed (bounded wait) and every accepted message must
    be accounted for: delivered at least once, bounced (a DSN arrived at
    the sender's sink or the log says status=bounced), or still queued.
    It returns a dict of findings; soak_checks() turns it into named
    pass/fail results.
"""

import json
import os
import random
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import Instance, TOP, VARIANT, wait_for, pid_alive  # noqa: E402

SINK_PROG = os.path.join(TOP, "tests", "tools", "smtp_sink.py")
DNS_PROG = os.path.join(TOP, "tests", "tools", "dns_server.py")
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


class Sink:
    """tests/tools/smtp_sink.py as a subprocess."""

    def __init__(self, rules=None, max_seconds=900, extra=None):
        self.dir = tempfile.mkdtemp(prefix="soak-sink-")
        self.out = os.path.join(self.dir, "out")
        os.mkdir(self.out)
        self.rules = os.path.join(self.dir, "rules.json")
        self.events = os.path.join(self.dir, "events")
        self.stats = os.path.join(self.dir, "stats")
        self.set_rules(rules or {}, settle=0)
        pf = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [sys.executable, SINK_PROG, "--listen", "127.0.0.1:0", "--port-file", pf,
             "--out", self.out, "--rules", self.rules, "--events", self.events,
             "--stats", self.stats, "--timeout", "30",
             "--max-seconds", str(max_seconds)] + list(extra or []),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(pf), 15)
        with open(pf) as f:
            self.port = int(f.read().strip())

    def set_rules(self, rules, settle=0.3):
        tmp = self.rules + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rules, f)
        os.rename(tmp, self.rules)
        time.sleep(settle)

    def event_list(self, kind=None):
        try:
            with open(self.events) as f:
                evs = [json.loads(line) for line in f if line.strip()]
        except (OSError, ValueError):
            return []
        return [e for e in evs if kind is None or e.get("event") == kind]

    def stats_now(self):
        try:
            with open(self.stats) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def count(self):
        return sum(1 for n in os.listdir(self.out) if n.endswith(".msg"))

    def messages(self):
        out = []
        for name in sorted(os.listdir(self.out)):
            if name.endswith(".msg"):
                with open(os.path.join(self.out, name), "rb") as f:
                    head, _, body = f.read().partition(b"\n")
                out.append((json.loads(head), body))
        return out

    def ids(self, with_dsn=False):
        """Message-ID local parts of accepted messages (non-null sender);
        with_dsn: also a list of the ids quoted inside DSNs."""
        ids, dsn = [], []
        for head, body in self.messages():
            if head.get("mail_from") == "":
                dsn.extend(m.decode() for m in
                           re.findall(rb"Message-ID: <([^@>]+)@", body, re.I))
                continue
            m = re.search(rb"Message-ID: <([^@>]+)@", body, re.I)
            if m:
                ids.append(m.group(1).decode())
        return (ids, dsn) if with_dsn else ids

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if not os.environ.get("POSTERN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def sink_instance(name, routes, main_cf=None, **kw):
    """An instance routing each domain of routes to its sink port."""
    tm = ", ".join("%s=smtp:[127.0.0.1]:%d" % (d, p) for d, p in routes.items())
    settings = {"transport_maps": "inline:{ %s }" % tm,
                "smtp_connect_timeout": "3s", "inet_protocols": "ipv4"}
    settings.update(main_cf or {})
    return Instance(name=name, main_cf=settings, **kw)


def body_for(mid, subject="soak"):
    return ("From: sender\r\nSubject: %s %s\r\nMessage-ID: <%s@src.test>\r\n\r\n"
            "body of %s\r\n" % (subject, mid, mid, mid))


def send_smtp(port, items, sender="snd@sink.test", timeout=30):
    """items: list of (msgid, rcpts). Returns the msgids that got 250;
    stops at the first session failure."""
    accepted = []
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=timeout)
    except (OSError, smtplib.SMTPException):
        return accepted
    try:
        for mid, rcpts in items:
            try:
                s.sendmail(sender, rcpts, body_for(mid))
                accepted.append(mid)
            except smtplib.SMTPRecipientsRefused:
                continue
            except smtplib.SMTPResponseException as e:
                if e.smtp_code == 421:
                    break
                try:
                    s.rset()
                except (OSError, smtplib.SMTPException):
                    break
            except (OSError, smtplib.SMTPException):
                break
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
    finally:
        s.close()
    return accepted


def send_sendmail(inst, mid, rcpts, sender="snd@sink.test"):
    """bin/sendmail; returns mid when it exits 0, else None."""
    body = body_for(mid).replace("\r\n", "\n")
    r = inst.cmd("sendmail", "-f", sender, "-i", "--", *rcpts, input=body,
                 timeout=30, config_flag="-C")
    return mid if r.returncode == 0 else None


def queue_count(inst):
    return sum(len(inst.queue_files(q)) for q in QUEUES)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def kill_child(inst, names, rng):
    """SIGKILL one random child of the master whose name is in names;
    returns the name or None."""
    cands = []
    for n in names:
        cands.extend((n, p) for p in inst.children(n))
    if not cands:
        return None
    n, p = rng.choice(cands)
    try:
        os.kill(p, signal.SIGKILL)
    except OSError:
        return None
    return n


def msgid_to_qids(log):
    """Map Message-ID local part -> set of queue IDs (cleanup log lines)."""
    out = {}
    for qid, mid in re.findall(r"\]: ([0-9A-Za-z]+): message-id=<([^@>]+)@", log):
        out.setdefault(mid, set()).add(qid)
    return out


SOAK_RULES = {
    "replies": {
        "rcpt": {"250": 0.9, "450 4.2.0 mailbox busy": 0.05, "550 5.1.1 no such user": 0.02,
                 "421 4.4.2 closing": 0.03},
        "data-end": {"250": 0.85, "451 4.3.0 try later": 0.05, "554 5.6.0 rejected": 0.02,
                     "421 4.4.2 closing": 0.03, "stall 2": 0.05},
    },
}


def soak(seconds=60, clients=4, chaos_every=3.0, log=print, seed=None):
    """The mixed-load run; returns a dict of findings."""
    rng = random.Random(seed)
    sink = Sink(SOAK_RULES, max_seconds=int(seconds) + 900,
                extra=["--seed", str(rng.randrange(1 << 30))])
    inst = sink_instance("soak", {"sink.test": sink.port}, main_cf={
        "minimal_backoff_time": "5s", "maximal_backoff_time": "20s",
        "queue_run_delay": "5s", "smtp_data_done_timeout": "5s",
        "smtp_data_xfer_timeout": "5s", "smtp_destination_concurrency_limit": "6",
        "bounce_queue_lifetime": "0", "delay_warning_time": "0"})
    res = {"accepted": set(), "kills": {}, "errors": []}
    try:
        r = inst.start()
        if r.returncode != 0:
            res["errors"].append("start failed: %s %s" % (r.stdout, r.stderr))
            return res
        master = inst.master_pid()
        send_smtp(inst.smtp_port, [("warm%d" % i, ["w%d@sink.test" % i]) for i in range(5)])
        wait_for(lambda: sink.count() >= 4, 20)
        time.sleep(1)
        res["master_rss0"], res["master_fd0"] = rss_kb(master), fd_count(master)
        stop = threading.Event()
        lock = threading.Lock()
        counter = [0]

        def next_id():
            with lock:
                counter[0] += 1
                return "s%d" % counter[0]

        def smtp_client(k):
            crng = random.Random(rng.random())
            while not stop.is_set():
                items = []
                for _ in range(crng.randint(1, 5)):
                    mid = next_id()
                    rc = ["r%s@sink.test" % mid]
                    if crng.random() < 0.2:
                        rc.append("x%s@sink.test" % mid)
                    items.append((mid, rc))
                got = send_smtp(inst.smtp_port, items)
                with lock:
                    res["accepted"].update(got)
                time.sleep(crng.uniform(0.05, 0.3))

        def sendmail_client():
            while not stop.is_set():
                mid = next_id()
                if send_sendmail(inst, mid, ["r%s@sink.test" % mid]):
                    with lock:
                        res["accepted"].add(mid)
                time.sleep(0.3)

        def chaos():
            names = ["qmgr", "cleanup", "smtpd", "smtp", "pickup", "bounce"]
            while not stop.wait(rng.uniform(0.5, 1.5) * chaos_every):
                n = kill_child(inst, names, rng)
                if n:
                    with lock:
                        res["kills"][n] = res["kills"].get(n, 0) + 1

        threads = [threading.Thread(target=smtp_client, args=(k,)) for k in range(clients)]
        threads += [threading.Thread(target=sendmail_client), threading.Thread(target=chaos)]
        for t in threads:
            t.start()
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            time.sleep(min(1.0, max(0.0, t_end - time.monotonic())))
            if not pid_alive(master):
                res["errors"].append("master died during the run")
                break
        stop.set()
        for t in threads:
            t.join(60)
        log("# soak: %d accepted, kills %r" % (len(res["accepted"]), res["kills"]))
        # Heal and flush; bounded wait for the queue to drain.
        sink.set_rules({})
        drained = False
        t_flush = time.monotonic() + 120
        while time.monotonic() < t_flush:
            inst.cmd("postqueue", "-f", timeout=30)
            if wait_for(lambda: queue_count(inst) == 0, 10, interval=0.5):
                drained = True
                break
        res["drained"] = drained
        time.sleep(2)
        res["master_alive"] = pid_alive(master)
        res["master_rss1"], res["master_fd1"] = rss_kb(master), fd_count(master)
        q = inst.children("qmgr")
        res["qmgr_rss"] = rss_kb(q[0]) if q else None
        ids, dsn = sink.ids(with_dsn=True)
        log_text = inst.log_text()
        qids = msgid_to_qids(log_text)
        bounced_q = set(re.findall(r"\]: ([0-9A-Za-z]+): to=<[^>]*>.*status=bounced", log_text))
        queued = set()
        for qname in QUEUES:
            queued.update(inst.queue_files(qname))
        delivered, dsnset = set(ids), set(dsn)
        missing = []
        for mid in sorted(res["accepted"]):
            if mid in delivered or mid in dsnset:
                continue
            qs = qids.get(mid, set())
            if qs & bounced_q or qs & queued:
                continue
            missing.append(mid)
        res["missing"] = missing
        res["delivered"] = len(delivered & res["accepted"])
        res["bounced"] = len([m for m in res["accepted"]
                              if m not in delivered and (m in dsnset or qids.get(m, set()) & bounced_q)])
        res["queued"] = len(queued)
        res["log_tail"] = log_text[-3000:]
        inst.stop()
    finally:
        inst.cleanup()
        sink.close()
    return res


def soak_checks(res, seconds):
    """[(name, ok, detail)] from soak()'s findings."""
    asan = VARIANT == "asan"
    out = []
    if res["errors"]:
        return [("soak: run", False, "\n".join(res["errors"]))]
    out.append(("soak: mail accepted under load", len(res["accepted"]) >= min(50, seconds),
                "%d accepted" % len(res["accepted"])))
    out.append(("soak: daemons were killed", sum(res["kills"].values()) >= 3, repr(res["kills"])))
    out.append(("soak: every accepted message accounted for", not res["missing"],
                "%d missing: %s\n%s" % (len(res["missing"]), res["missing"][:20],
                                        res.get("log_tail", ""))))
    # Still-queued mail counts as accounted for (issue 8); whether the
    # queue drains within the bounded wait depends on machine load.
    print("# soak: %d message(s) still queued after healing" % res.get("queued", -1))
    out.append(("soak: master survived", res.get("master_alive"), ""))
    r0, r1 = res.get("master_rss0"), res.get("master_rss1")
    grow = 65536 if asan else 8192
    out.append(("soak: master RSS did not grow", r0 and r1 and r1 - r0 <= grow,
                "%s kB -> %s kB" % (r0, r1)))
    qr = res.get("qmgr_rss")
    out.append(("soak: qmgr RSS bounded", qr is None or qr <= (524288 if asan else 65536),
                "%s kB" % qr))
    f0, f1 = res.get("master_fd0"), res.get("master_fd1")
    out.append(("soak: master fd count flat", f0 is not None and f1 is not None
                and abs(f1 - f0) <= 2, "%s -> %s" % (f0, f1)))
    return out


def main(argv=None):
    """Command line of bench/soak.sh: --seconds N (default 3600)."""
    import argparse
    ap = argparse.ArgumentParser(description="Postern soak run (bench/soak.sh)")
    ap.add_argument("--seconds", type=float, default=3600.0, help="length of the load phase")
    ap.add_argument("--clients", type=int, default=4, help="concurrent SMTP clients")
    ap.add_argument("--chaos-every", type=float, default=3.0,
                    help="mean seconds between daemon kills")
    ap.add_argument("--seed", type=int, default=None, help="random seed")
    args = ap.parse_args(argv)
    if args.seconds <= 0 or args.clients < 1 or args.chaos_every <= 0:
        ap.error("--seconds, --clients and --chaos-every must be positive")
    res = soak(seconds=args.seconds, clients=args.clients, chaos_every=args.chaos_every,
               seed=args.seed)
    failed = 0
    for name, cond, detail in soak_checks(res, args.seconds):
        print(("ok - " if cond else "not ok - ") + name, flush=True)
        if not cond:
            failed += 1
            for line in str(detail).splitlines()[-40:]:
                print("#   " + line)
    print("# accepted %d, delivered %d, bounced %d, still queued %d, kills %r"
          % (len(res["accepted"]), res.get("delivered", 0), res.get("bounced", 0),
             res.get("queued", 0), res["kills"]))
    print("# master RSS %s -> %s kB, fds %s -> %s, qmgr RSS %s kB"
          % (res.get("master_rss0"), res.get("master_rss1"), res.get("master_fd0"),
             res.get("master_fd1"), res.get("qmgr_rss")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
