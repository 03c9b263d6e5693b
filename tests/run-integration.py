#!/usr/bin/env python3
"""run-integration - run integration scripts side by side, a few at a time.

Usage: python3 tests/run-integration.py LOGDIR VARIANT SCRIPT...

Runs each SCRIPT (tests/integration/test_*.py or .sh) with a time limit of
900 s, POSTERN_TEST_JOBS of them at a time (default 2), and writes its
output to LOGDIR/VARIANT-NAME.log, its exit status to LOGDIR/VARIANT-NAME.rc
and its wall time in seconds to LOGDIR/VARIANT-NAME.time. The environment
(POSTERN_BINDIR, POSTERN_LIBEXECDIR, sanitizer options) is the caller's.
Prints "== VARIANT SCRIPT started" and "... finished (N s)" as it goes;
tests/run-tests.sh reads the files and counts the results.

Most scripts spend their time waiting on sockets and timers, so two at a
time nearly halve the wall time on a 2-core machine. The scripts that keep
both cores busy on their own (static checks, fuzzing, valgrind) form one
group, and no two of a group run at once. The longest scripts start first
(by the hints below; unknown ones count as short) so that the lanes end
together.

Before anything starts, the accounts that tests create on demand when run
as root (postern, postdrop, postern-test) are made once, so that two
scripts never race to run useradd.
"""

import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import postern_test  # noqa: E402

TIME_LIMIT = 900
HINTS = {"test_static.sh": 110, "test_fuzz_short.sh": 105, "test_soak.py": 90,
         "test_priority.py": 85, "test_valgrind.sh": 80, "test_faults_delivery.py": 70,
         "test_qmgr.py": 40, "test_smtpd.py": 30, "test_master.py": 22,
         "test_metrics.py": 20, "test_security.py": 20, "test_tools.py": 19}
CPU_GROUP = {"test_static.sh", "test_fuzz_short.sh", "test_valgrind.sh"}


def make_accounts():
    if postern_test.IS_ROOT:
        postern_test._root_accounts()
        postern_test.unprivileged_user()


def run_one(logdir, variant, script):
    name = os.path.basename(script)
    base = os.path.join(logdir, "%s-%s" % (variant, name))
    argv = ["python3", script] if script.endswith(".py") else ["sh", script]
    t0 = time.monotonic()
    with open(base + ".log", "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(TIME_LIMIT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            out.write(b"# killed after %d s\n" % TIME_LIMIT)
            rc = 124
    took = int(time.monotonic() - t0)
    for suffix, value in ((".rc", rc), (".time", took)):
        with open(base + suffix, "w") as f:
            f.write("%d\n" % value)
    return took


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: run-integration.py LOGDIR VARIANT SCRIPT...")
    logdir, variant, scripts = sys.argv[1], sys.argv[2], sys.argv[3:]
    jobs = max(1, int(os.environ.get("POSTERN_TEST_JOBS", "2")))
    make_accounts()
    todo = sorted(scripts, key=lambda s: -HINTS.get(os.path.basename(s), 10))
    lock = threading.Condition()
    running = set()

    def pick():
        """The next script that may start now, or None."""
        busy = CPU_GROUP & {os.path.basename(s) for s in running}
        for s in todo:
            if not (busy and os.path.basename(s) in CPU_GROUP):
                return s
        return None

    def lane():
        while True:
            with lock:
                script = pick()
                while script is None and todo:
                    lock.wait(1)
                    script = pick()
                if script is None:
                    return
                todo.remove(script)
                running.add(script)
            with lock:
                print("== %s %s started" % (variant, script), flush=True)
            took = run_one(logdir, variant, script)
            with lock:
                print("== %s %s finished (%d s)" % (variant, script, took), flush=True)
                running.discard(script)
                lock.notify_all()

    lanes = [threading.Thread(target=lane) for _ in range(jobs)]
    for t in lanes:
        t.start()
    for t in lanes:
        t.join()


if __name__ == "__main__":
    main()
