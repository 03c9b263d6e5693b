#!/usr/bin/env python3
"""qshape_bench - qshape and mailq on big deferred queues, Postern vs Postfix.

usage: qshape_bench.py [SIZE ...]      (default: 100000 1000000)

For each size, fills the deferred queue of a throw-away Postern instance
and of a throw-away Postfix instance (same generator, same seed, same shape:
50 domains, 1-3 recipients per message, ages over three days; both with
hash_queue_names = defer, so deferred is one flat directory) and runs, with
the mail system stopped (the direct queue readers: Postern's postqueue and
Postfix's postqueue both fall back to reading the queue as root):

    qshape deferred          (Postfix: the Perl qshape)
    mailq                    (postqueue -p)

After a queue is written, its dirty pages are synced first, so that no
write-back runs beside the readers. Each command runs once to warm the
page cache, then BENCH_RUNS (default 3)
times; the median wall time and the largest peak RSS (GNU time's %M: the
largest of the process and its children; Postfix's postqueue runs showq)
are reported, with the ratios
Postfix/Postern. Postfix comes from the Debian package, installed without
prompts when missing and allowed (root, apt-get); its default instance is
never started or stopped. Without Postfix only Postern's figures are shown.

Everything lives in a temporary directory (BENCH_TMP, default /tmp), removed
at the end unless BENCH_KEEP is set. Not part of make test.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(TOP, "bin")
GEN = os.path.join(TOP, "bench", "gen_queue.py")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def sh(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def measure(argv, env):
    """Wall seconds and peak RSS (MB) of one run, output discarded. The
    peak comes from GNU time when present: a child forked from this
    Python process would otherwise count Python's pages as its own."""
    timefile = os.path.join(tempfile.gettempdir(), "qshape-bench-time.%d" % os.getpid())
    wrap = (["/usr/bin/time", "-f", "%M", "-o", timefile]
            if os.path.exists("/usr/bin/time") else [])
    start = time.monotonic()
    p = subprocess.Popen(wrap + argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError("%s: status %d: %s" % (" ".join(argv), p.returncode, err))
    if wrap:
        with open(timefile) as f:
            peak_kb = int(f.read().split()[-1])
        os.unlink(timefile)
    else:
        peak_kb = usage.ru_maxrss
    return wall, peak_kb / 1024.0


def sanity(kind, argv, env, count):
    """The warm-up run, checked: did the command see the whole queue?"""
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, text=True, errors="replace")
    if r.returncode != 0:
        raise RuntimeError("%s: status %d: %s" % (" ".join(argv), r.returncode, r.stderr))
    if kind == "mailq":
        want = "in %d Request%s." % (count, "" if count == 1 else "s")
        if want not in r.stdout[-200:]:
            raise RuntimeError("%s did not list %d messages: %s"
                               % (" ".join(argv), count, r.stdout[-200:] + r.stderr))
        return count
    return int(r.stdout.splitlines()[1].split()[1])      # TOTAL recipients


def bench(kind, argv, env, count):
    seen = sanity(kind, argv, env, count)   # also warms the cache
    runs = [measure(argv, env) for _ in range(RUNS)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), seen


# ------------------------------------------------------------------ Postern

def postern_setup(root):
    conf = os.path.join(root, "postern", "config")
    os.makedirs(conf)
    qdir = os.path.join(root, "postern", "queue")
    owner = "postern" if os.geteuid() == 0 else os.environ.get("USER", "root")
    with open(os.path.join(TOP, "conf", "main.cf")) as f:
        base = f.read()
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write(base + "\nqueue_directory = %s\ndata_directory = %s\n"
                "maillog_file = %s\nhash_queue_names = defer\n"
                "myhostname = bench.example\n"
                % (qdir, os.path.join(root, "postern", "data"),
                   os.path.join(root, "postern", "maillog")))
        if os.geteuid() == 0:
            f.write("mail_owner = postern\n")
    shutil.copy(os.path.join(TOP, "conf", "master.cf"), conf)
    if os.geteuid() == 0 and sh(["id", "postern"]).returncode != 0:
        sh(["useradd", "--system", "--no-create-home", "--user-group", "postern"])
    r = sh([os.path.join(BIN, "postern"), "-c", conf, "check"])
    if not os.path.isdir(os.path.join(qdir, "deferred")):
        sys.exit("postern check failed: " + r.stderr)
    env = dict(os.environ, MAIL_CONFIG=conf)
    return conf, qdir, env, {
        "qshape": [os.path.join(BIN, "qshape"), "-c", conf, "deferred"],
        "mailq": [os.path.join(BIN, "postqueue"), "-c", conf, "-p"],
    }


# ------------------------------------------------------------------ Postfix

def postfix_install():
    """True when Postfix's tools are there (installing them if allowed)."""
    if shutil.which("postqueue", path="/usr/sbin:/usr/bin") and shutil.which(
            "qshape", path="/usr/sbin:/usr/bin"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    print("# installing the postfix package (no configuration, nothing started)")
    subprocess.run(["debconf-set-selections"], input=
                         "postfix postfix/main_mailer_type select No configuration\n",
                         text=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = sh(["apt-get", "install", "-y", "postfix"], env=env)
    if r.returncode != 0:
        print("# apt-get install postfix failed: %s" % r.stderr.strip()[-300:])
        return False
    return shutil.which("qshape", path="/usr/sbin:/usr/bin") is not None


def postfix_setup(root):
    conf = os.path.join(root, "postfix", "config")
    qdir = os.path.join(root, "postfix", "queue")
    data = os.path.join(root, "postfix", "data")
    os.makedirs(conf)
    os.makedirs(data)
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\nqueue_directory = %s\n"
                "data_directory = %s\nmail_owner = postfix\n"
                "setgid_group = postdrop\nhash_queue_names = defer\n"
                "myhostname = bench.example\nmaillog_file = %s/maillog\n"
                "maillog_file_prefixes = %s\nenable_long_queue_ids = yes\n"
                % (qdir, data, root, root))
    shutil.copy("/usr/share/postfix/master.cf.dist"
                if os.path.exists("/usr/share/postfix/master.cf.dist")
                else "/etc/postfix/master.cf", os.path.join(conf, "master.cf"))
    for d in ("deferred", "defer", "public", "maildrop", "incoming", "active",
              "hold", "bounce", "trace", "corrupt", "flush", "saved", "pid", "private"):
        os.makedirs(os.path.join(qdir, d), exist_ok=True)
        shutil.chown(os.path.join(qdir, d), "postfix", "postdrop" if d in
                     ("public", "maildrop") else "postfix")
        os.chmod(os.path.join(qdir, d), 0o700)
    env = dict(os.environ, MAIL_CONFIG=conf)
    return conf, qdir, env, {
        "qshape": ["/usr/sbin/qshape", "-c", conf, "deferred"],
        "mailq": ["/usr/sbin/postqueue", "-c", conf, "-p"],
    }


def clear_deferred(qdir):
    shutil.rmtree(os.path.join(qdir, "deferred"))
    os.mkdir(os.path.join(qdir, "deferred"), 0o700)


def fill(system, qdir, count, owner):
    clear_deferred(qdir)
    if owner:
        shutil.chown(os.path.join(qdir, "deferred"), owner, owner)
    start = time.monotonic()
    r = sh([sys.executable, GEN, system, qdir, str(count)])
    if r.returncode != 0:
        sys.exit("generator failed: " + r.stderr)
    took = time.monotonic() - start
    # Measure the reader, not the write-back of gigabytes of new files.
    os.sync()
    return took


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [100000, 1000000]
    if not os.path.exists(os.path.join(BIN, "qshape")):
        sys.exit("build first: make")
    root = tempfile.mkdtemp(prefix="qshape-bench-", dir=os.environ.get("BENCH_TMP", "/tmp"))
    os.chmod(root, 0o755)
    try:
        pe = postern_setup(root)
        pf = postfix_setup(root) if postfix_install() else None
        if pf is None:
            print("# Postfix not available: Postern figures only")
        print("%-9s %-7s %12s %12s %12s %12s %8s %8s" % (
            "messages", "command", "postern s", "postern MB", "postfix s",
            "postfix MB", "time x", "mem x"))
        for n in sizes:
            g = fill("postern", pe[1], n, "postern" if os.geteuid() == 0 else None)
            print("# generated %d Postern queue files in %.1fs" % (n, g))
            res = {k: bench(k, v, pe[2], n) for k, v in pe[3].items()}
            if pf:
                clear_deferred(pe[1])       # free the disk space first
                g = fill("postfix", pf[1], n, "postfix")
                print("# generated %d Postfix queue files in %.1fs" % (n, g))
                res_pf = {k: bench(k, v, pf[2], n) for k, v in pf[3].items()}
                clear_deferred(pf[1])
                if res_pf["qshape"][2] != res["qshape"][2]:
                    print("# WARNING: qshape TOTAL differs: postern %d, postfix %d"
                          % (res["qshape"][2], res_pf["qshape"][2]))
            for k in ("qshape", "mailq"):
                t, m, _ = res[k]
                if pf:
                    tf, mf, _ = res_pf[k]
                    print("%-9d %-7s %12.2f %12.1f %12.2f %12.1f %8.1f %8.1f"
                          % (n, k, t, m, tf, mf, tf / t, mf / m))
                else:
                    print("%-9d %-7s %12.2f %12.1f %12s %12s %8s %8s"
                          % (n, k, t, m, "-", "-", "-", "-"))
            sys.stdout.flush()
    finally:
        if os.environ.get("BENCH_KEEP"):
            print("# kept %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
