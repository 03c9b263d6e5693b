#!/usr/bin/env python3
"""e2e - end-to-end SMTP in -> SMTP out, Postern side by side with Postfix
(issue 5).

usage: e2e.py [--sizes 1024,102400] [--sessions 10] [--count-small N]
              [--count-large N] [--rounds N] [--latency N] [--rate R]
              [--active N] [--skip PHASES] [--only SYSTEM] [--postfix-only]
              [--json FILE]

Both systems run as throw-away instances on loopback (bench/lib.py) with
the same main.cf settings: relayhost = [127.0.0.1]:SINK (no DNS), every
other delivery setting at its default (destination concurrency 20, the
smtp client's connection cache on demand), fsync on. Three phases:

throughput  Postfix's smtp-sink receives; Postfix's smtp-source sends N
            messages over --sessions connections (one message per
            connection, same command line for both systems). Rate = N /
            (time the sink counted the N-th message - smtp-source start).
latency     tests/tools/smtp_sink.py receives and records each message's
            accept time; a Python client sends --latency messages at a
            fixed --rate per second (open loop, 4 connections kept open),
            each with an X-Bench-Id header (in --latency-chunks chunks,
            the systems taking turns), and notes when it sent MAIL
            FROM (the submit time). Latency = the sink's accept time (the
            final dot received) - submit time, so it includes the
            acceptance (fsync) and the delivery; p50, p95, p99 reported.
qmgr-rss    the sink delays its greeting by 250 s, so deliveries hang
            and mail piles up in the active queue; smtp-source sends
            --active messages (in_flow_delay = 0 on both for this phase,
            so acceptance does not wait for deliveries); once all of them
            are in active/ and incoming/ is empty, qmgr's VmRSS is read
            from /proc/PID/status and compared with its VmRSS just after
            start.

Needs Postern's libexec/qmgr and libexec/smtp: without them it prints
"skipped: no qmgr/smtp yet" and exits 0 (--postfix-only still measures
Postfix alone, to try the benchmark out).
"""

import argparse
import json
import os
import smtplib
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

POSTERN_PROGS = ["postern", "libexec/master", "libexec/smtpd", "libexec/cleanup",
                 "libexec/qmgr", "libexec/smtp", "libexec/bounce"]
PHASES = ("throughput", "latency", "qmgr-rss")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1024,102400",
                   help="message payload sizes in bytes (comma list)")
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--count-small", type=int, default=3000,
                   help="messages per throughput run below 10 KB")
    p.add_argument("--count-large", type=int, default=600,
                   help="messages per throughput run of 10 KB and more")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--latency", type=int, default=500,
                   help="messages per latency run")
    p.add_argument("--rate", type=float, default=50.0,
                   help="messages/s offered in the latency runs")
    p.add_argument("--latency-chunks", type=int, default=5,
                   help="the latency messages go in this many chunks, the "
                   "systems taking turns")
    p.add_argument("--active", type=int, default=10000,
                   help="messages held in the active queue for qmgr-rss")
    p.add_argument("--skip", default="", help="phases to leave out (comma list: %s)"
                   % ",".join(PHASES))
    p.add_argument("--only", choices=("postern", "postfix"))
    p.add_argument("--postfix-only", action="store_true",
                   help="measure Postfix alone when Postern cannot deliver yet")
    p.add_argument("--timeout", type=int, default=240,
                   help="seconds one run may take")
    p.add_argument("--json", help="write the rows here for bench/summary.py")
    a = p.parse_args()
    a.sizes = [int(x) for x in a.sizes.split(",") if x]
    a.skip = set(x for x in a.skip.split(",") if x)
    if a.skip - set(PHASES):
        p.error("unknown phase in --skip: %s" % ", ".join(sorted(a.skip - set(PHASES))))
    if a.postfix_only:
        a.only = "postfix"
    return a


def size_name(size):
    return "%d KB" % (size // 1024) if size % 1024 == 0 else "%d B" % size


def queue_empty(system):
    return all(system.queue_count(q) == 0 for q in ("incoming", "active"))


def start_systems(name, settings, args, want):
    systems = lib.make_systems(name, settings, postern="postern" in want,
                               postfix="postfix" in want)
    for s in systems:
        s.start()
    return systems


def stop_systems(systems):
    for s in systems:
        s.stop()
        s.cleanup()


# ---------------------------------------------------------------- throughput

def phase_throughput(args, want, results):
    sink = lib.CSink()
    systems = start_systems("e2e", lib.common_main_cf(
        relayhost="[127.0.0.1]:%d" % sink.port), args, want)
    for s in systems:                       # warm up: spawn the daemons
        base = sink.count()
        lib.smtp_source(s.port, args.sessions, 2 * args.sessions, 1024,
                        timeout=args.timeout)
        sink.wait_count(base + 2 * args.sessions, timeout=60)
        lib.wait_for(lambda: queue_empty(s), timeout=30)
    order = list(systems)
    for _ in range(args.rounds):
        for size in args.sizes:
            count = args.count_small if size < 10240 else args.count_large
            metric = "e2e %s, %d sessions" % (size_name(size), args.sessions)
            for s in order:
                rate = throughput_run(s, sink, size, count, args)
                results.setdefault(metric, {}).setdefault(s.label, []).append(rate)
        order.reverse()
    stop_systems(systems)
    sink.stop()


def throughput_run(system, sink, size, count, args):
    lib.sync()
    base = sink.count()
    start = time.monotonic()
    in_secs, r = lib.smtp_source(system.port, args.sessions, count, size,
                                 timeout=args.timeout)
    end = sink.wait_count(base + count, timeout=args.timeout)
    got = sink.count() - base
    problems = []
    if r.returncode != 0 or r.stderr.strip():
        problems.append("smtp-source exit %d: %s" % (
            r.returncode, r.stderr.strip().split("\n")[-1][:200]))
    if end is None:
        problems.append("the sink got %d of %d messages in %ds" % (got, count, args.timeout))
    rate = count / (end - start) if end else None
    lib.note("%-7s e2e %s: %d messages, in %.2fs, out %s = %s/s%s" % (
        system.label, size_name(size), count, in_secs,
        "%.2fs" % (end - start) if end else "-", lib.fmt(rate),
        ("  PROBLEM: " + "; ".join(problems)) if problems else ""))
    if not lib.wait_for(lambda: queue_empty(system), timeout=60):
        lib.note("%s: queue not empty after the run (deferred: %d)" % (
            system.label, system.queue_count("deferred")))
    return None if problems else rate


# ---------------------------------------------------------------- latency

def latency_message(tag, size):
    body = ("y" * 76 + "\r\n") * max(1, size // 78)
    return ("From: bench@src.example\r\nTo: rcpt@d1.example\r\n"
            "Subject: latency\r\nX-Bench-Id: %s\r\n\r\n%s" % (tag, body)).encode()


def send_paced(port, tags, size, rate, deadline, conns=4):
    """Send one message per tag at rate per second over conns SMTP
    connections (each kept open); returns ({tag: (time.time() when its
    MAIL FROM was sent, time.time() when the 250 after DATA came)},
    [errors])."""
    submitted = {}
    errors = []
    lock = threading.Lock()
    t0 = time.monotonic() + 0.2

    def worker(k):
        smtp = None
        for i in range(k, len(tags), conns):
            if time.monotonic() > deadline:
                break
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            msg = latency_message(tags[i], size)
            try:
                if smtp is None:
                    smtp = smtplib.SMTP("127.0.0.1", port, timeout=60)
                    smtp.ehlo("client.bench.example")
                begin = time.time()
                smtp.sendmail(lib.SENDER, [lib.RCPT], msg)
                end = time.time()
                with lock:
                    submitted[tags[i]] = (begin, end)
            except (smtplib.SMTPException, OSError) as e:
                with lock:
                    errors.append("%s: %s" % (tags[i], e))
                smtp = None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass

    threads = [threading.Thread(target=worker, args=(k,), daemon=True)
               for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic() + 60))
    return submitted, errors


def phase_latency(args, want, results):
    sink = lib.PySink(max_seconds=1800)
    systems = start_systems("lat", lib.common_main_cf(
        relayhost="[127.0.0.1]:%d" % sink.port), args, want)
    seen = SinkTags(sink)
    for s in systems:                      # warm up: spawn the daemons
        warm = ["warm-%s-%d" % (s.label, i) for i in range(8)]
        send_paced(s.port, warm, 1024, 50.0, time.monotonic() + 60)
        lib.wait_for(lambda: queue_empty(s), timeout=30)
    chunks = max(1, min(args.latency_chunks, args.latency))
    for size in args.sizes:
        samples = {s.label: {"sub": {}, "errors": []} for s in systems}
        order = list(systems)
        for c in range(chunks):
            first = c * args.latency // chunks
            last = (c + 1) * args.latency // chunks
            for s in order:
                tags = ["%s-%d-%d" % (s.label, size, i) for i in range(first, last)]
                latency_chunk(s, seen, tags, size, args, samples[s.label])
            order.reverse()
        for s in systems:
            latency_report(s, seen, size, args, samples[s.label], results)
    stop_systems(systems)
    sink.stop()


class SinkTags:
    """X-Bench-Id -> accept time of the messages the sink recorded, read
    incrementally (only the first 16 KB of each new file)."""

    def __init__(self, sink):
        self.out = sink.out
        self.done = set()
        self.time = {}

    def scan(self):
        for name in sorted(os.listdir(self.out)):
            if not name.endswith(".msg") or name in self.done:
                continue
            self.done.add(name)
            with open(os.path.join(self.out, name), "rb") as f:
                head, _, data = f.read(16384).partition(b"\n")
            env = json.loads(head)
            for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
                if line.lower().startswith(b"x-bench-id:"):
                    self.time[line.split(b":", 1)[1].strip().decode()] = env["accept_time"]

    def wait(self, tags, timeout):
        def arrived():
            self.scan()
            return all(t in self.time for t in tags)
        return lib.wait_for(arrived, timeout=timeout, interval=0.05)


def latency_chunk(system, seen, tags, size, args, sample):
    """Send tags at the fixed rate, then wait until the sink has them."""
    lib.sync()
    deadline = time.monotonic() + min(args.timeout, len(tags) / args.rate + 60)
    submitted, errors = send_paced(system.port, tags, size, args.rate, deadline)
    sample["sub"].update(submitted)
    sample["errors"] += errors
    seen.wait(list(submitted), timeout=60)
    lib.wait_for(lambda: queue_empty(system), timeout=30)


def latency_report(system, seen, size, args, sample, results):
    submitted, errors = sample["sub"], sample["errors"]
    got = [t for t in submitted if t in seen.time]
    ms = [1000.0 * (seen.time[t] - submitted[t][0]) for t in got]
    accept_ms = [1000.0 * (submitted[t][1] - submitted[t][0]) for t in got]
    deliver_ms = [1000.0 * (seen.time[t] - submitted[t][1]) for t in got]
    problems = []
    if errors:
        problems.append("%d submissions failed (%s)" % (len(errors), errors[-1][:200]))
    if len(got) < args.latency:
        problems.append("%d of %d messages reached the sink" % (len(got), args.latency))
    pct = {p: lib.percentile(ms, p) for p in (50, 95, 99)}
    lib.note("%-7s latency %s at %.0f/s: %d messages, p50 %s p95 %s p99 %s ms, "
             "max %s ms%s" % (system.label, size_name(size), args.rate, len(ms),
                              lib.fmt(pct[50]), lib.fmt(pct[95]), lib.fmt(pct[99]),
                              lib.fmt(max(ms) if ms else None),
                              ("  PROBLEM: " + "; ".join(problems)) if problems else ""))
    lib.note("%-7s   of which MAIL..250 p50 %s p95 %s p99 %s ms; 250..sink p50 %s "
             "p95 %s p99 %s ms" % (system.label, *[lib.fmt(lib.percentile(v, p))
                                                  for v in (accept_ms, deliver_ms)
                                                  for p in (50, 95, 99)]))
    for p in (50, 95, 99):
        metric = "latency %s p%d" % (size_name(size), p)
        results.setdefault(metric, {})[system.label] = [None if problems else pct[p]]


# ---------------------------------------------------------------- qmgr RSS

def qmgr_pid(system):
    pids = system.daemon_pids("qmgr")
    return pids[0] if len(pids) == 1 else None


def phase_rss(args, want, results):
    for label in ("postern", "postfix"):
        if label not in want:
            continue
        sink = lib.PySink(rules={"delays_ms": {"greeting": 250000}}, max_seconds=900)
        systems = start_systems("rss", lib.common_main_cf(
            relayhost="[127.0.0.1]:%d" % sink.port, in_flow_delay="0s"),
            args, {label})
        try:
            rss_run(systems[0], args, results)
        finally:
            stop_systems(systems)
            sink.stop()


def rss_run(system, args, results):
    pid = lib.wait_for(lambda: qmgr_pid(system), timeout=15)
    time.sleep(1.0)
    base = lib.vm_kb(pid) if pid else None
    n = args.active
    start = time.monotonic()
    secs, r = lib.smtp_source(system.port, args.sessions, n, 1024,
                              timeout=args.timeout)

    def filled():
        return (system.queue_count("active") >= n
                and system.queue_count("incoming") == 0)

    full = lib.wait_for(filled, timeout=max(10, args.timeout - secs), interval=0.5)
    time.sleep(2.0)                      # let qmgr finish reading the files
    pid_now = qmgr_pid(system)
    rss = lib.vm_kb(pid_now) if pid_now else None
    active = system.queue_count("active")
    problems = []
    if r.returncode != 0 or r.stderr.strip():
        problems.append("smtp-source exit %d: %s" % (
            r.returncode, r.stderr.strip().split("\n")[-1][:200]))
    if not full:
        problems.append("active %d, incoming %d, deferred %d after %.0fs" % (
            active, system.queue_count("incoming"), system.queue_count("deferred"),
            time.monotonic() - start))
    if pid_now != pid or rss is None:
        problems.append("qmgr pid changed or vanished (%s -> %s)" % (pid, pid_now))
    lib.note("%-7s qmgr: VmRSS %s KB at start, %s KB with %d active "
             "(filled in %.1fs)%s" % (system.label, base, rss, active,
                                      time.monotonic() - start,
                                      ("  PROBLEM: " + "; ".join(problems)) if problems else ""))
    ok = not problems
    results.setdefault("qmgr RSS, %d active" % n, {})[system.label] = [
        rss / 1024.0 if ok else None]
    results.setdefault("qmgr RSS growth per 10,000 active", {})[system.label] = [
        (rss - base) / 1024.0 * 10000.0 / n if ok and base else None]


# ---------------------------------------------------------------- main

UNITS = {"e2e": ("msg/s", "higher"), "latency": ("ms", "lower"),
         "qmgr": ("MB", "lower")}


def main():
    args = parse_args()
    want = {"postern", "postfix"} - ({"postfix"} if args.only == "postern" else set()) \
        - ({"postern"} if args.only == "postfix" else set())
    missing = lib.postern_missing(POSTERN_PROGS)
    if missing and "postern" in want:
        print("skipped: no qmgr/smtp yet (missing %s)" % ", ".join(missing))
        return 0
    if "postfix" in want:
        why = lib.postfix_ensure()
        if why:
            lib.note("Postfix not available (%s): Postern figures only" % why)
            want.discard("postfix")
    if not want:
        print("skipped: nothing to measure")
        return 0
    lib.note("machine: %s" % lib.machine())
    lib.note("Postfix %s; systems: %s" % (
        lib.postfix_version() if "postfix" in want else "-", ", ".join(sorted(want))))
    results = {}
    if "throughput" not in args.skip:
        phase_throughput(args, want, results)
    if "latency" not in args.skip:
        phase_latency(args, want, results)
    if "qmgr-rss" not in args.skip:
        phase_rss(args, want, results)
    rows = []
    for metric, by in results.items():
        unit, better = UNITS[metric.split()[0]]
        vals = {k: [x for x in v if x is not None] for k, v in by.items()}
        rows.append({"metric": metric, "unit": unit, "better": better,
                     "postern": statistics.median(vals["postern"]) if vals.get("postern") else None,
                     "postfix": statistics.median(vals["postfix"]) if vals.get("postfix") else None})
    print()
    lib.print_rows(rows)
    notes = ["throughput: %d round(s), median, %d sessions; latency: %d messages at "
             "%.0f/s; qmgr-rss: %d active messages" % (
                 args.rounds, args.sessions, args.latency, args.rate, args.active)]
    lib.write_json(args.json, "e2e", rows, notes)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:          # a system that would not start
        print("FAILED: %s" % e)
        sys.exit(1)
