#!/usr/bin/env python3
"""smtp_in - messages per second accepted over SMTP and through sendmail,
Postern side by side with Postfix (issue 4).

usage: smtp_in.py [--sessions 10,50] [--sizes 1024,102400]
                  [--count-small N] [--count-large N] [--rounds N]
                  [--sendmail N] [--mode queue|discard] [--only SYSTEM]
                  [--json FILE]

Both systems run as throw-away instances on loopback (bench/lib.py), with
the same main.cf settings, fsync left on (neither can turn it off: both
fsync every queue file before answering). For each message size and each
number of concurrent SMTP clients, Postfix's smtp-source sends the same
number of messages (one message per connection, the same command line for
both, only the port differs) and the rate is messages / wall time of
smtp-source, which ends when the last 250 after DATA has arrived. Then
`sendmail` is run SEQUENTIALLY N times (1 KB message on stdin) and the
rate is N / wall time.

--mode queue (default): qmgr is left out of both master.cf files and
in_flow_delay = 0, so accepted mail stays in incoming/ and nothing else
competes for the CPU; the benchmark checks that every message is there,
then empties incoming/ before the next run. --mode discard: qmgr runs and
default_transport = discard on both (in_flow_delay at its default),
closer to a real server that keeps up but also measures qmgr.

Each case runs --rounds times, the systems taking turns (which goes first
alternates), and the median is reported. Output: one line per run, then
the table metric / postern / postfix / postern÷postfix.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

WHERE = {"queue": "in incoming/", "discard": "discarded"}
POSTERN_PROGS = ["postern", "sendmail", "postdrop", "libexec/master",
                 "libexec/smtpd", "libexec/cleanup", "libexec/pickup"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", default="10,50",
                   help="concurrent smtp-source sessions (comma list)")
    p.add_argument("--sizes", default="1024,102400",
                   help="message payload sizes in bytes (comma list)")
    p.add_argument("--count-small", type=int, default=3000,
                   help="messages per run below 10 KB")
    p.add_argument("--count-large", type=int, default=600,
                   help="messages per run of 10 KB and more")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sendmail", type=int, default=300,
                   help="sequential sendmail submissions (0: skip)")
    p.add_argument("--mode", choices=("queue", "discard"), default="queue")
    p.add_argument("--only", choices=("postern", "postfix"))
    p.add_argument("--timeout", type=int, default=240,
                   help="seconds one run may take")
    p.add_argument("--json", help="write the rows here for bench/summary.py")
    a = p.parse_args()
    a.sessions = [int(x) for x in a.sessions.split(",") if x]
    a.sizes = [int(x) for x in a.sizes.split(",") if x]
    if a.rounds < 1 or any(x < 1 for x in a.sessions + a.sizes):
        p.error("rounds, sessions and sizes must be positive")
    return a


def size_name(size):
    return "%d KB" % (size // 1024) if size % 1024 == 0 else "%d B" % size


def sent_lines(system):
    return system.log_text().count(" status=sent ")


def settle(system, mode, want, timeout):
    """After a run: how many of want messages the system accepted (queue
    mode: files in incoming/; discard mode: new status=sent log lines)."""
    if mode == "queue":
        lib.wait_for(lambda: system.queue_count("incoming") >= want, timeout=timeout)
        return system.queue_count("incoming")
    lib.wait_for(lambda: sent_lines(system) - system.sent_mark >= want, timeout=timeout)
    return sent_lines(system) - system.sent_mark


def reset(system, mode):
    if mode == "queue":
        system.clear_queue("incoming")
        system.clear_queue("maildrop")
    else:
        lib.wait_for(lambda: all(system.queue_count(q) == 0
                                 for q in ("maildrop", "incoming", "active")), timeout=30)
        system.sent_mark = sent_lines(system)
    lib.sync()


def smtp_run(system, sessions, size, count, args):
    """One smtp-source run: messages/s accepted, or None (with a note)."""
    reset(system, args.mode)
    secs, r = lib.smtp_source(system.port, sessions, count, size, timeout=args.timeout)
    got = settle(system, args.mode, count, timeout=30)
    problems = []
    if r.returncode != 0:
        problems.append("smtp-source exit %d" % r.returncode)
    if r.stderr.strip():
        problems.append("smtp-source: " + r.stderr.strip().split("\n")[-1][:200])
    if got is not None and got != count:
        problems.append("%d of %d messages %s" % (got, count, WHERE[args.mode]))
    rate = count / secs
    lib.note("%-7s %s %2d sessions: %d messages in %.2fs = %.1f/s%s" % (
        system.label, size_name(size), sessions, count, secs, rate,
        ("  PROBLEM: " + "; ".join(problems)) if problems else ""))
    reset(system, args.mode)
    return None if problems else rate


def message(size):
    body = ("x" * 76 + "\n") * max(1, size // 77)
    return ("From: bench@src.example\nTo: rcpt@d1.example\n"
            "Subject: sendmail benchmark\n\n" + body).encode()


def sendmail_run(system, n, args):
    """n sequential sendmail submissions: submissions/s, or None."""
    reset(system, args.mode)
    argv = system.sendmail_argv() + ["-f", lib.SENDER, "-i", lib.RCPT]
    data = message(1024)
    env = dict(os.environ)
    env.pop("MAIL_CONFIG", None)
    failures = 0
    deadline = time.monotonic() + args.timeout
    start = time.monotonic()
    done = 0
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        try:
            r = subprocess.run(argv, input=data, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=env, timeout=60)
            failures += r.returncode != 0
            last_err = r.stderr.decode(errors="replace").strip()
        except subprocess.TimeoutExpired:
            failures += 1
            last_err = "timed out"
        done += 1
    secs = time.monotonic() - start
    # pickup moves the files on into incoming/ (queue mode) or to discard
    drained = lib.wait_for(lambda: system.queue_count("maildrop") == 0, timeout=60)
    got = settle(system, args.mode, done - failures, timeout=30)
    problems = []
    if failures:
        problems.append("%d sendmail failures (%s)" % (failures, last_err[:200]))
    if done < n:
        problems.append("only %d of %d submissions in %ds" % (done, n, args.timeout))
    if not drained:
        problems.append("maildrop not drained")
    if got is not None and got != done:
        problems.append("%d of %d messages %s" % (got, done, WHERE[args.mode]))
    rate = done / secs
    lib.note("%-7s sendmail: %d sequential submissions in %.2fs = %.1f/s%s" % (
        system.label, done, secs, rate,
        ("  PROBLEM: " + "; ".join(problems)) if problems else ""))
    reset(system, args.mode)
    return None if problems else rate


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    args = parse_args()
    missing = lib.postern_missing(POSTERN_PROGS + (
        ["libexec/qmgr", "libexec/discard"] if args.mode == "discard" else []))
    want_postern = args.only != "postfix"
    want_postfix = args.only != "postern"
    if missing and want_postern:
        print("skipped: Postern not built (missing %s)" % ", ".join(missing))
        return 0
    why = lib.postfix_ensure() if want_postfix else "not asked for"
    if why and want_postfix:
        lib.note("Postfix not available (%s): Postern figures only" % why)
        want_postfix = False
    if not want_postern and not want_postfix:
        print("skipped: nothing to measure")
        return 0

    if args.mode == "queue":
        settings = lib.common_main_cf(in_flow_delay="0s")
    else:
        settings = lib.common_main_cf(default_transport="discard")
    systems = lib.make_systems("in", settings, qmgr=args.mode == "discard",
                               postern=want_postern, postfix=want_postfix)
    lib.note("machine: %s" % lib.machine())
    lib.note("mode %s; Postfix %s; %d round(s)" % (
        args.mode, lib.postfix_version() if want_postfix else "-", args.rounds))
    for s in systems:
        s.start()
    for s in systems:               # spawn the daemons before measuring
        reset(s, args.mode)
        lib.smtp_source(s.port, max(args.sessions), 2 * max(args.sessions), 1024,
                        timeout=args.timeout)
        settle(s, args.mode, 2 * max(args.sessions), timeout=30)
        reset(s, args.mode)

    results = {}                     # (metric) -> {label: [rates]}
    order = list(systems)
    for rnd in range(args.rounds):
        for size in args.sizes:
            count = args.count_small if size < 10240 else args.count_large
            for sessions in args.sessions:
                metric = "smtp in %s, %d sessions" % (size_name(size), sessions)
                for s in order:
                    rate = smtp_run(s, sessions, size, count, args)
                    results.setdefault(metric, {}).setdefault(s.label, []).append(rate)
        if args.sendmail > 0:
            for s in order:
                rate = sendmail_run(s, args.sendmail, args)
                results.setdefault("sendmail, sequential", {}).setdefault(
                    s.label, []).append(rate)
        order.reverse()

    for s in systems:
        s.stop()
    rows = []
    for metric, by in results.items():
        unit = "submissions/s" if metric.startswith("sendmail") else "msg/s"
        rows.append({"metric": metric, "unit": unit, "better": "higher",
                     "postern": median(by.get("postern", [])),
                     "postfix": median(by.get("postfix", []))})
    print()
    lib.print_rows(rows)
    notes = ["mode %s, %d round(s), median; counts %d (<10 KB) / %d (>=10 KB) "
             "messages per run" % (args.mode, args.rounds, args.count_small,
                                   args.count_large)]
    lib.write_json(args.json, "smtp_in", rows, notes)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:          # a system that would not start
        print("FAILED: %s" % e)
        sys.exit(1)
