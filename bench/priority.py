#!/usr/bin/env python3
"""priority - high-priority delivery latency under a bulk flood, Postern
side by side with Postfix (issue 7).

usage: priority.py [--bulk N] [--high N] [--rate R] [--wait S]
                   [--scenarios full,roomy] [--active-limit N]
                   [--only SYSTEM] [--json FILE]

Both systems get the seed article's set-up (seed 000): the cloned
transports high-prio and low-prio of its master.cf example, verbatim, and
its transport map (alerts/txn.example.com -> high-prio,
newsletter/bulk.example.com -> low-prio, built with each system's own
postmap), initial_destination_concurrency = 3,
default_destination_concurrency_limit = 20. Every nexthop is one slow
receiver, tests/tools/smtp_sink.py, which takes 200 ms per message. Postern's
clones also carry -o delivery_priority=high / bulk, so its cleanup gives
the mail those classes; that is the only difference. in_flow_delay = 0 on
both, so the flood is accepted at full speed on both (with the default 1 s,
Postfix would spend minutes accepting it once its active queue is full).

Per scenario and system: smtp-source sends --bulk 1 KB messages to
bulk.example.com over 8 sessions; right after, a Python client sends
--high messages to txn.example.com at --rate per second (one connection,
open loop), each tagged with an X-Bench-Id header, noting when it sent MAIL
FROM. Latency = the sink's accept time - that submit time. A message not
delivered --wait seconds after the last submission counts as --wait late
(so a percentile it reaches is a lower bound, and says so).

Scenarios:
full   qmgr_message_active_limit = --active-limit (1000): the flood fills
       the active queue and the rest waits in incoming/; high-priority mail
       arrives behind it.
roomy  the default active limit (20000): the whole flood fits.

Prints p50/p95/p99 of the high-priority latency per scenario and the ratio
Postern / Postfix; about four minutes with the default sizes.
"""

import argparse
import json
import os
import shutil
import smtplib
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

POSTERN_PROGS = ["postern", "postmap", "libexec/master", "libexec/smtpd",
                 "libexec/cleanup", "libexec/qmgr", "libexec/smtp"]
POSTFIX_POSTMAP = "/usr/sbin/postmap"
SINK_DELAY_MS = 200

# The seed article's master.cf example, verbatim.
SEED_MASTER_CF = {
    "high-prio": "high-prio unix - - n - - smtp\n"
                 "  -o smtp_destination_concurrency_limit=20\n"
                 "  -o minimum_backoff_time=60s\n"
                 "  -o maximum_backoff_time=30m",
    "low-prio": "low-prio unix - - n - - smtp\n"
                "  -o smtp_destination_concurrency_limit=5\n"
                "  -o minimum_backoff_time=5m\n"
                "  -o maximum_backoff_time=4h",
}
POSTERN_CLASS = {"high-prio": "high", "low-prio": "bulk"}
TRANSPORT_MAP = """\
# Transactional targets
alerts.example.com high-prio:[127.0.0.1]:{port}
txn.example.com high-prio:[127.0.0.1]:{port}
# Newsletter and bulk destinations
newsletter.example.com low-prio:[127.0.0.1]:{port}
bulk.example.com low-prio:[127.0.0.1]:{port}
"""
BULK_SENDER = "news@campaign.example"
BULK_RCPT = "reader@bulk.example.com"
HIGH_SENDER = "otp@login.example"
HIGH_RCPT = "user@txn.example.com"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bulk", type=int, default=5000, help="bulk messages (5000)")
    p.add_argument("--high", type=int, default=30, help="high-priority messages (30)")
    p.add_argument("--rate", type=float, default=2.0,
                   help="high-priority messages per second (2)")
    p.add_argument("--wait", type=float, default=90.0,
                   help="seconds to wait after the last high-priority submission (90)")
    p.add_argument("--scenarios", default="full,roomy", help="full, roomy or both")
    p.add_argument("--active-limit", type=int, default=1000,
                   help="qmgr_message_active_limit of the full scenario (1000)")
    p.add_argument("--only", choices=("postern", "postfix"), help="one system only")
    p.add_argument("--json", help="write the rows here for bench/summary.py")
    args = p.parse_args()
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for s in args.scenarios:
        if s not in ("full", "roomy"):
            p.error("unknown scenario %r (full, roomy)" % s)
    if args.bulk < 1 or args.high < 1 or args.rate <= 0 or args.wait <= 0:
        p.error("sizes, rate and wait must be positive")
    return args


# ---------------------------------------------------------------- set-up

def transport_map(label, port, postmap_argv):
    """A transport map built with the system's own postmap; its path."""
    d = tempfile.mkdtemp(prefix="bench-prio-%s-" % label)
    os.chmod(d, 0o755)
    path = os.path.join(d, "transport")
    with open(path, "w") as f:
        f.write(TRANSPORT_MAP.format(port=port))
    os.chmod(path, 0o644)
    r = lib.run(postmap_argv + ["hash:" + path], timeout=60)
    if r.returncode != 0 or not os.path.exists(path + ".db"):
        raise RuntimeError("%s postmap failed: %s" % (label, r.stderr.strip()))
    os.chmod(path + ".db", 0o644)
    return path


def make_system(label, scenario, args, port):
    """One system with the seed's set-up for a scenario; (system, tmpdir)."""
    settings = lib.common_main_cf(
        initial_destination_concurrency="3",
        default_destination_concurrency_limit="20",
        in_flow_delay="0s")
    # Postfix's qmgr never sees the clones' -o smtp_destination_concurrency
    # limits (they reach only the smtp processes): say it in main.cf too,
    # for both, so both run the concurrency the seed intends.
    settings["high-prio_destination_concurrency_limit"] = "20"
    settings["low-prio_destination_concurrency_limit"] = "5"
    if scenario == "full":
        settings["qmgr_message_active_limit"] = str(args.active_limit)
    if label == "postern":
        path = transport_map(label, port, [os.path.join(lib.BINDIR, "postmap")])
        settings["transport_maps"] = "hash:" + path
        clones = {name: line + "\n  -o delivery_priority=" + POSTERN_CLASS[name]
                  for name, line in SEED_MASTER_CF.items()}
        system = lib.PosternSystem("prio-" + scenario, settings, master_replace=clones)
    else:
        path = transport_map(label, port, [POSTFIX_POSTMAP])
        settings["transport_maps"] = "hash:" + path
        system = lib.PostfixSystem("prio-" + scenario, settings)
        with open(os.path.join(system.config_dir, "master.cf"), "a") as f:
            for line in SEED_MASTER_CF.values():
                f.write(line + "\n")
    return system, os.path.dirname(path)


# ---------------------------------------------------------------- load

def message(tag):
    return ("From: %s\r\nTo: %s\r\nSubject: your code\r\nX-Bench-Id: %s\r\n\r\n"
            "Your one-time code is 123456.\r\n" % (HIGH_SENDER, HIGH_RCPT, tag)).encode()


def send_paced(port, tags, rate, deadline):
    """One message per tag at rate per second over one connection kept
    open; ({tag: time.time() when MAIL FROM was sent}, [errors])."""
    submitted, errors = {}, []
    smtp = None
    t0 = time.monotonic()
    for i, tag in enumerate(tags):
        if time.monotonic() > deadline:
            errors.append("deadline: %d of %d sent" % (i, len(tags)))
            break
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            if smtp is None:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=60)
                smtp.ehlo("client.bench.example")
            begin = time.time()
            smtp.sendmail(HIGH_SENDER, [HIGH_RCPT], message(tag))
            submitted[tag] = begin
        except (smtplib.SMTPException, OSError) as e:
            errors.append("%s: %s" % (tag, e))
            smtp = None
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return submitted, errors


class SinkTags:
    """X-Bench-Id -> accept time of what the sink recorded, read
    incrementally (the first 4 KB of each new file); counts the rest."""

    def __init__(self, sink):
        self.out = sink.out
        self.seen = set()
        self.time = {}
        self.untagged = []              # accept times of untagged mail

    def scan(self):
        for name in os.listdir(self.out):
            if not name.endswith(".msg") or name in self.seen:
                continue
            self.seen.add(name)
            with open(os.path.join(self.out, name), "rb") as f:
                head, _, data = f.read(4096).partition(b"\n")
            env = json.loads(head)
            tag = None
            for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
                if line.lower().startswith(b"x-bench-id:"):
                    tag = line.split(b":", 1)[1].strip().decode()
            if tag is None:
                self.untagged.append(env["accept_time"])
            else:
                self.time[tag] = env["accept_time"]

    def wait(self, tags, timeout):
        def arrived():
            self.scan()
            return all(t in self.time for t in tags)
        return lib.wait_for(arrived, timeout=timeout, interval=0.1)


# ---------------------------------------------------------------- one run

def run_one(label, scenario, args, results):
    """The flood and the high-priority stream through one system."""
    sink = lib.PySink(rules={"delays_ms": {"data-end": SINK_DELAY_MS}}, max_seconds=1200)
    system, tmpdir = make_system(label, scenario, args, sink.port)
    seen = SinkTags(sink)
    try:
        system.start()
        warm = ["warm-%s-%s-%d" % (label, scenario, i) for i in range(3)]
        send_paced(system.port, warm, 10.0, time.monotonic() + 30)
        if not seen.wait(warm, 30):
            raise RuntimeError("%s: warm-up mail did not arrive" % label)
        lib.sync()
        secs, r = lib.smtp_source(system.port, sessions=8, count=args.bulk, size=1024,
                                  extra=["-f", BULK_SENDER, "-t", BULK_RCPT])
        problems = []
        if r.returncode != 0:
            problems.append("smtp-source: %s" % r.stderr.strip()[-200:])
        active, incoming = system.queue_count("active"), system.queue_count("incoming")
        tags = ["%s-%s-%d" % (label, scenario, i) for i in range(args.high)]
        t_flood = time.time()
        deadline = time.monotonic() + args.high / args.rate + 60
        submitted, errors = send_paced(system.port, tags, args.rate, deadline)
        seen.wait(list(submitted), args.wait)
        late = [t for t in submitted if t not in seen.time]
        now = time.time()
        lat = [seen.time[t] - submitted[t] if t in seen.time else now - submitted[t]
               for t in submitted]
        t_sent = max(submitted.values()) if submitted else time.time()
        seen.scan()
        bulk_rate = sum(1 for t in seen.untagged if t_flood <= t < t_sent) / max(
            0.1, t_sent - t_flood)
        if errors:
            problems.append("%d submissions failed (%s)" % (len(errors), errors[-1][:200]))
        pct = {p: lib.percentile(lat, p) for p in (50, 95, 99)}
        lib.note("%-7s %-5s bulk %d accepted in %.1f s (then active %d, incoming %d); "
                 "high %d sent, %d late (> %.0f s); latency p50 %s p95 %s p99 %s s; "
                 "bulk delivered meanwhile %.1f/s%s" % (
                     label, scenario, args.bulk, secs, active, incoming, len(submitted),
                     len(late), args.wait, lib.fmt(pct[50], 2), lib.fmt(pct[95], 2),
                     lib.fmt(pct[99], 2), bulk_rate,
                     ("  PROBLEM: " + "; ".join(problems)) if problems else ""))
        for p in (50, 95, 99):
            key = "%s: high-priority latency p%d" % (scenario, p)
            results.setdefault(key, {})[label] = None if problems else pct[p]
            if late and pct[p] is not None and pct[p] >= args.wait:
                results[key]["bound_" + label] = True
        results.setdefault("%s: bulk delivered meanwhile" % scenario, {})[label] = \
            None if problems else bulk_rate
    finally:
        system.stop()
        system.cleanup()
        sink.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)


def main():
    args = parse_args()
    want = ["postern", "postfix"]
    if args.only:
        want = [args.only]
    missing = lib.postern_missing(POSTERN_PROGS)
    if missing and "postern" in want:
        print("skipped: Postern is not built (missing %s)" % ", ".join(missing))
        return 0
    if "postfix" in want:
        why = lib.postfix_ensure()
        if why:
            lib.note("Postfix not available (%s): Postern figures only" % why)
            want.remove("postfix")
    lib.note("machine: %s" % lib.machine())
    lib.note("Postfix %s; systems: %s; %d bulk, %d high at %.1f/s, sink %d ms per message"
             % (lib.postfix_version() if "postfix" in want else "-", ", ".join(want),
                args.bulk, args.high, args.rate, SINK_DELAY_MS))
    results = {}
    for n, scenario in enumerate(args.scenarios):
        order = want if n % 2 == 0 else list(reversed(want))
        for label in order:
            run_one(label, scenario, args, results)
    rows, notes = [], []
    for metric, by in results.items():
        is_rate = metric.endswith("meanwhile")
        rows.append({"metric": metric, "unit": "msg/s" if is_rate else "s",
                     "better": "higher" if is_rate else "lower",
                     "digits": 1 if is_rate else 2,
                     "postern": by.get("postern"), "postfix": by.get("postfix")})
        for label in ("postern", "postfix"):
            if by.get("bound_" + label):
                notes.append("%s %s: at least %.0f s (not all delivered within %.0f s)"
                             % (label, metric, by.get(label), args.wait))
    print()
    lib.print_rows(rows)
    for n in notes:
        lib.note(n)
    notes.insert(0, "%d bulk then %d high at %.1f/s; sink %d ms per message; seed 000 "
                 "cloned transports; in_flow_delay 0; full = qmgr_message_active_limit %d"
                 % (args.bulk, args.high, args.rate, SINK_DELAY_MS, args.active_limit))
    lib.write_json(args.json, "priority", rows, notes)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:          # a system that would not start
        print("FAILED: %s" % e)
        sys.exit(1)
