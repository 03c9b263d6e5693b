#!/usr/bin/env python3
"""test_master - master(8) and postern(1) with real processes.

Each case builds its own instance (postern_test.Instance) with a small
master.cf of testsvc services (libexec/testsvc: greets with its pid, uid,
groups and cwd, then echoes lines), so the cases depend on no other daemon.
Covers: start/stop/status, a second start refused, a killed child replaced
and logged, a crashing service throttled, maxproc under concurrent
connections, max_use and max_idle, reload adding and removing services while
a connection stays up, SIGTERM and abort leaving nothing behind, wakeup
timers, postern flush, postern check repairing and reporting, bad main.cf
and master.cf refused with file and line, privilege drop and chroot as root,
an instance run by an ordinary user, start-fg with Ctrl-C, and make run.
"""

import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, BINDIR, LIBEXECDIR, TOP, IS_ROOT, check, connect,
                          done, free_port, not_ok, ok, pid_alive, run, skip,
                          unprivileged_user, wait_for)


def svc(name, stype="unix", private="-", unpriv="-", chroot="n", wakeup="-",
        maxproc="-", command="testsvc single"):
    """One master.cf line."""
    return "%-14s %-5s %-4s %-4s %-4s %-5s %-4s %s" % (
        name, stype, private, unpriv, chroot, wakeup, maxproc, command)


def make(name, lines, main_cf=None, **kw):
    """An instance whose master.cf is exactly lines."""
    return Instance(name=name, master_cf_text="\n".join(lines) + "\n",
                    main_cf=main_cf, **kw)


class Client:
    """A line-oriented connection to a testsvc service."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self, timeout=5.0):
        """The next line, or None on timeout or end of file."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except (socket.timeout, OSError):
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def send(self, text):
        self.sock.sendall((text + "\n").encode())

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def tcp(port, timeout=5.0):
    s = connect(port, timeout=timeout)
    return Client(s) if s else None


def local(inst, path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(os.path.join(inst.queue_dir, path))
    except OSError:
        s.close()
        return None
    return Client(s)


def greeting(client, timeout=5.0):
    """Parse a testsvc greeting into a dict, or None."""
    if client is None:
        return None
    line = client.line(timeout)
    if not line or not line.startswith("testsvc ready "):
        return None
    return dict(f.split("=", 1) for f in line.split()[2:] if "=" in f)


def count(text, regex):
    return len(re.findall(regex, text, re.M))


def outtext(r):
    return "status %s\nstdout: %s\nstderr: %s" % (r.returncode, r.stdout, r.stderr)


def case(fn):
    """Run one case; an exception is a failure, the instance is cleaned up."""
    name = fn.__name__[len("case_"):]
    try:
        fn()
    except Exception:
        not_ok("%s: exception" % name, traceback.format_exc())


# ---------------------------------------------------------------- cases

def case_start_status_stop():
    inst = make("basic", [svc("echo")])
    try:
        r = inst.start()
        check("start exits 0", r.returncode == 0, outtext(r))
        check("start says it is starting", "starting the Postern mail system" in r.stderr, r.stderr)
        pid = inst.master_pid()
        r = inst.postern("status")
        check("status: running with the master's pid",
              r.returncode == 0 and ("the Postern mail system is running: PID: %s" % pid) in r.stderr,
              outtext(r))
        m = inst.log_wait(r"postern/master\[(\d+)\]: daemon started -- version \S+, "
                          r"configuration " + re.escape(inst.config_dir) + "$")
        check("log: daemon started -- version, configuration", m and int(m.group(1)) == pid,
              inst.log_text())
        check("pid file holds the master's pid", pid and pid_alive(pid), str(pid))
        c = local(inst, "private/echo")
        g = greeting(c)
        check("unix service answers", g is not None and g.get("service") == "echo", str(g))
        check("child got the flow pipe on fds 3 and 4", g and g.get("flow") == "yes", str(g))
        c.send("hello")
        check("unix service echoes", c.line() == "echo: hello")
        c.close()
        r = inst.stop()
        check("stop exits 0", r.returncode == 0, outtext(r))
        check("log: terminating on signal 15",
              inst.log_wait(r"master\[%d\]: terminating on signal 15" % pid) is not None,
              inst.log_text())
        check("no process left after stop", not inst.processes(), inst.describe(inst.processes()))
        r = inst.postern("status")
        check("status after stop: not running, exit 1",
              r.returncode == 1 and "the Postern mail system is not running" in r.stderr, outtext(r))
        r = inst.postern("stop")
        check("stop when not running fails", r.returncode == 1 and "not running" in r.stderr,
              outtext(r))
    finally:
        inst.cleanup()


def case_second_start_refused():
    inst = make("second", [svc("echo")])
    try:
        check("first start", inst.start().returncode == 0)
        pid = inst.master_pid()
        r = inst.postern("start")
        check("second postern start exits 1 with a clear message",
              r.returncode == 1 and "the Postern mail system is already running" in r.stderr,
              outtext(r))
        r = run([os.path.join(LIBEXECDIR, "master"), "-c", inst.config_dir, "-w"], timeout=30)
        check("second master refuses to run",
              r.returncode == 1 and "fatal: the Postern mail system is already running" in r.stderr,
              outtext(r))
        r = run([os.path.join(LIBEXECDIR, "master"), "-c", inst.config_dir, "-t"], timeout=30)
        check("master -t reports it running", r.returncode == 1, outtext(r))
        check("first master still runs", inst.master_pid() == pid and pid_alive(pid))
        g = greeting(local(inst, "private/echo"))
        check("its socket was left alone", g is not None)
        inst.stop()
    finally:
        inst.cleanup()


def case_killed_child_replaced():
    port = free_port()
    inst = make("kill", [svc("127.0.0.1:%d" % port, "inet", "n", maxproc="2")])
    try:
        inst.start()
        c = tcp(port)
        g = greeting(c)
        check("inet service answers", g is not None, str(g))
        victim = int(g["pid"])
        os.kill(victim, signal.SIGKILL)
        m = inst.log_wait(r"master\[\d+\]: warning: process %s pid %d killed by signal 9$"
                          % (re.escape(os.path.join(LIBEXECDIR, "testsvc")), victim))
        check("killed child logged as Postfix does", m is not None, inst.log_text())
        c.close()
        g2 = greeting(tcp(port))
        check("a new process serves the next client", g2 is not None and int(g2["pid"]) != victim,
              str(g2))
        check("a child that had served is not throttled",
              "bad command startup" not in inst.log_text(), inst.log_text())
        inst.stop()
    finally:
        inst.cleanup()


def case_crash_throttled():
    inst = make("crash", [svc("crashy", command="testsvc crash"), svc("echo")],
                main_cf={"service_throttle_time": "3s"})
    try:
        inst.start()
        c = local(inst, "private/crashy")
        path = re.escape(os.path.join(LIBEXECDIR, "testsvc"))
        m = inst.log_wait(r"warning: %s: bad command startup -- throttling" % path)
        check("crash at start throttles the service", m is not None, inst.log_text())
        check("the exit is logged", re.search(r"warning: process %s pid \d+ exit status 1" % path,
                                              inst.log_text()), inst.log_text())
        t0 = time.monotonic()
        time.sleep(1.5)
        n = count(inst.log_text(), r"exit status 1$")
        check("no restart while throttled", n == 1, inst.log_text())
        g = greeting(local(inst, "private/echo"))
        check("other services keep working", g is not None)
        again = inst.log_wait(r"(?s)bad command startup.*bad command startup", timeout=8)
        waited = time.monotonic() - t0
        check("retried after service_throttle_time", again is not None and waited >= 1.0,
              "waited %.1fs\n%s" % (waited, inst.log_text()))
        if c:
            c.close()
        inst.stop()
    finally:
        inst.cleanup()


def case_maxproc():
    port = free_port()
    inst = make("maxproc", [svc("127.0.0.1:%d" % port, "inet", "n", maxproc="2")])
    try:
        inst.start()
        clients = [tcp(port) for _ in range(4)]
        greets = [greeting(c, timeout=3 if i < 2 else 1.5) for i, c in enumerate(clients)]
        served = [g for g in greets if g]
        check("two clients served at once", len(served) == 2, str(greets))
        check("third and fourth wait", greets[2] is None and greets[3] is None, str(greets))
        procs = inst.children("testsvc")
        check("exactly maxproc processes", len(procs) == 2, inst.describe(procs))
        m = inst.log_wait(r'warning: service "127\.0\.0\.1:%d" \(127\.0\.0\.1:%d\) has reached '
                          r'its process limit "2": new clients may experience noticeable delays'
                          % (port, port), timeout=5)
        check("process limit warning logged", m is not None, inst.log_text())
        clients[0].close()
        g3 = greeting(clients[2], timeout=5)
        check("a waiting client is served when one leaves", g3 is not None, str(g3))
        check("still at most maxproc processes", len(inst.children("testsvc")) <= 2,
              inst.describe(inst.children("testsvc")))
        for c in clients:
            c.close()
        inst.stop()
    finally:
        inst.cleanup()


def case_max_use_max_idle():
    inst = make("use", [svc("once", maxproc="1", command="testsvc -o max_use=2 single"),
                        svc("idle", maxproc="1", command="testsvc -o max_idle=1 single")])
    try:
        inst.start()
        pids = []
        for _ in range(3):
            c = local(inst, "private/once")
            g = greeting(c)
            pids.append(g and g["pid"])
            c.close()
            wait_for(lambda: False, timeout=0.2)
        check("-o max_use=2 reaches the child", all(pids) and pids[0] == pids[1] != pids[2],
              str(pids))
        g = greeting(local(inst, "private/idle"))
        check("-o max_idle=1 reaches the child", g and g["max_idle"] == "1", str(g))
        pid = int(g["pid"])
        gone = wait_for(lambda: not pid_alive(pid), timeout=6)
        check("idle child exits after max_idle", gone)
        check("normal exits are not logged as problems", "warning: process" not in inst.log_text(),
              inst.log_text())
        inst.stop()
    finally:
        inst.cleanup()


def case_reload():
    port = free_port()
    lines = [svc("127.0.0.1:%d" % port, "inet", "n", maxproc="2"), svc("old"), svc("keep")]
    inst = make("reload", lines)
    try:
        inst.start()
        held = tcp(port)
        g = greeting(held)
        check("connection before reload", g is not None)
        held_pid = int(g["pid"])
        idle = local(inst, "private/keep")
        kg = greeting(idle)
        idle.close()
        new_lines = [lines[0], svc("keep"), svc("new", maxproc="1")]
        inst.write_master_cf("\n".join(new_lines) + "\n")
        mark = inst.log_mark()
        r = inst.postern("reload")
        check("postern reload exits 0", r.returncode == 0 and "refreshing the Postern mail system"
              in r.stderr, outtext(r))
        m = inst.log_wait(r"master\[\d+\]: reload -- version \S+, configuration "
                          + re.escape(inst.config_dir), since=mark)
        check("log: reload -- version, configuration", m is not None, inst.log_text())
        new = wait_for(lambda: greeting(local(inst, "private/new")), timeout=5)
        check("added service answers", new is not None and new["service"] == "new", str(new))
        check("removed service is gone",
              wait_for(lambda: not os.path.exists(os.path.join(inst.queue_dir, "private/old")),
                       timeout=5) and local(inst, "private/old") is None)
        held.send("still here")
        check("connection in progress survives the reload", held.line() == "echo: still here")
        check("the retired process kept serving it", pid_alive(held_pid))
        check("idle old process of a kept service exits",
              wait_for(lambda: not pid_alive(int(kg["pid"])), timeout=5))
        g2 = greeting(tcp(port))
        check("kept inet service takes new clients with a new process",
              g2 is not None and int(g2["pid"]) != held_pid, str(g2))
        held.close()
        check("retired process exits once its client is done",
              wait_for(lambda: not pid_alive(held_pid), timeout=5))
        # A broken master.cf keeps the running configuration.
        inst.write_master_cf("\n".join(new_lines) + "\nbroken unix - - n\n")
        r = inst.postern("reload")
        check("reload with a broken master.cf refused with file and line",
              r.returncode == 1 and re.search(r"master\.cf, line 4:", r.stderr), outtext(r))
        os.kill(inst.master_pid(), signal.SIGHUP)
        m = inst.log_wait(r"error: reload failed: .*master\.cf, line 4:.*keeping the running", timeout=5)
        check("master keeps running on a bad reload", m is not None and
              greeting(local(inst, "private/new")) is not None, inst.log_text())
        inst.stop()
    finally:
        inst.cleanup()


def case_sigterm_and_abort():
    port = free_port()
    lines = [svc("127.0.0.1:%d" % port, "inet", "n", maxproc="3"), svc("echo"),
             svc("tick", wakeup="1", maxproc="1", command="testsvc trigger")]
    inst = make("term", lines)
    try:
        inst.start()
        idle = greeting(local(inst, "private/echo"))
        busy = tcp(port)
        greeting(busy)
        inst.log_wait(r"trigger: service tick")
        master = inst.master_pid()
        n = len(inst.processes())
        check("processes running before SIGTERM", n >= 3, inst.describe(inst.processes()))
        t0 = time.monotonic()
        os.kill(master, signal.SIGTERM)
        gone = wait_for(lambda: not inst.processes(), timeout=20)
        check("SIGTERM leaves no process behind", gone, inst.describe(inst.processes()))
        check("graceful stop logged", "terminating on signal 15" in inst.log_text())
        check("busy client was disconnected", busy.line(timeout=2) is None)
        busy.close()
        check("stop took less than the grace time plus margin", time.monotonic() - t0 < 15)
        inst.start()
        busy = tcp(port)
        greeting(busy)
        t0 = time.monotonic()
        r = inst.postern("abort")
        check("postern abort exits 0", r.returncode == 0 and "aborting the Postern mail system"
              in r.stderr, outtext(r))
        gone = wait_for(lambda: not inst.processes(), timeout=5)
        check("abort stops everything at once", gone and time.monotonic() - t0 < 5,
              inst.describe(inst.processes()))
        busy.close()
        check("status after abort: not running", inst.postern("status").returncode == 1)
    finally:
        inst.cleanup()


def case_wakeup_and_flush():
    lines = [svc("tick", wakeup="1", maxproc="1", command="testsvc trigger"),
             svc("lazy", wakeup="1?", maxproc="1", command="testsvc trigger"),
             svc("qmgr", private="n", maxproc="1", command="testsvc trigger")]
    inst = make("wakeup", lines)
    try:
        inst.start()
        m = inst.log_wait(r"(?s)service tick received 1 byte\(s\): W.*"
                          r"service tick received 1 byte\(s\): W", timeout=6)
        check("wakeup timer triggers the service repeatedly", m is not None, inst.log_text())
        check("conditional wakeup waits until the service is used",
              "service lazy" not in inst.log_text(), inst.log_text())
        c = local(inst, "private/lazy")
        c.send("x")
        c.close()
        m = inst.log_wait(r"service lazy received 2 byte\(s\): x", timeout=5)
        m = m and inst.log_wait(r"service lazy received 1 byte\(s\): W", timeout=5)
        check("conditional wakeup starts once the service was used", m is not None,
              inst.log_text())
        r = inst.postern("flush")
        check("postern flush exits 0", r.returncode == 0, outtext(r))
        m = inst.log_wait(r"service qmgr received 4 byte\(s\): FADI")
        check("flush sends FLUSH_DEAD, SCAN_ALL, SCAN_DEFERRED, SCAN_INCOMING to qmgr",
              m is not None, inst.log_text())
        inst.stop()
        r = inst.postern("flush")
        check("flush when stopped fails", r.returncode == 1 and "mail system is down" in r.stderr,
              outtext(r))
    finally:
        inst.cleanup()


def case_service_types():
    lines = [svc("multi", maxproc="1", command="testsvc multi"),
             svc("handoff", "pass", maxproc="2"),
             svc("tickf", "fifo", wakeup="1", maxproc="1", command="testsvc trigger"),
             svc("tickd", "unix-dgram", wakeup="1", maxproc="1", command="testsvc trigger")]
    inst = make("types", lines)
    try:
        inst.start()
        a = local(inst, "private/multi")
        b = local(inst, "private/multi")
        a.send("one")
        b.send("two")
        check("multi_server serves two clients at once",
              a.line() == "echo: one" and b.line() == "echo: two")
        a.send("three")
        check("multi_server keeps serving a client", a.line() == "echo: three")
        a.close()
        b.close()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(os.path.join(inst.queue_dir, "private", "handoff"))
        mine, theirs = socket.socketpair()
        socket.send_fds(s, [b"x"], [theirs.fileno()])
        theirs.close()
        s.close()
        g = greeting(Client(mine))
        check("pass service gets the handed-over connection", g and g["service"] == "handoff",
              str(g))
        mine.close()
        m = inst.log_wait(r"service tickf received 1 byte\(s\): W", timeout=5)
        check("fifo service woken up", m is not None, inst.log_text())
        m = inst.log_wait(r"service tickd received 1 byte\(s\): W", timeout=5)
        check("unix-dgram service woken up", m is not None, inst.log_text())
        with open(os.path.join(inst.queue_dir, "private", "tickf"), "w") as f:
            f.write("I")
        m = inst.log_wait(r"service tickf received 1 byte\(s\): I", timeout=5)
        check("fifo service gets a request written by a client", m is not None, inst.log_text())
        inst.stop()
    finally:
        inst.cleanup()


def case_standalone():
    inst = make("alone", [svc("echo")])
    try:
        inst.postern("check")
        r = run([os.path.join(LIBEXECDIR, "testsvc"), "-S", "-c", inst.config_dir, "single"],
                input="hello\nquit\n", timeout=30)
        lines = r.stdout.splitlines()
        check("stand-alone single_server serves stdin/stdout",
              r.returncode == 0 and len(lines) == 2 and lines[0].startswith("testsvc ready ")
              and lines[1] == "echo: hello", outtext(r))
        if IS_ROOT:
            g = dict(f.split("=", 1) for f in lines[0].split()[2:] if "=" in f) if lines else {}
            check("stand-alone mode drops root too", g.get("uid") not in (None, "0"), lines)
        r = run([os.path.join(LIBEXECDIR, "testsvc"), "-c", inst.config_dir, "single"],
                timeout=30)
        check("a daemon run by hand without -S refuses with a clear message",
              r.returncode != 0 and "use -S for stand-alone mode" in inst.log_text() + r.stderr,
              outtext(r) + inst.log_text())
    finally:
        inst.cleanup()


def case_ipv6():
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
        probe.close()
    except OSError as e:
        skip("inet service on IPv6", "no IPv6 loopback here: %s" % e)
        return
    port4 = free_port()
    inst = make("ipv6", [], main_cf={"inet_interfaces": "loopback-only",
                                     "inet_protocols": "all"})
    try:
        # Written directly: the harness would move a bare port to 127.0.0.1.
        inst.write_master_cf(svc("[::1]:%d" % port, "inet", "n", maxproc="2") + "\n"
                             + svc("%d" % port4, "inet", "n", maxproc="2") + "\n")
        r = inst.start()
        check("IPv6: start", r.returncode == 0, outtext(r))
        s6 = socket.create_connection(("::1", port), timeout=5)
        check("IPv6: [::1]:port service answers", greeting(Client(s6)) is not None)
        s6.close()
        a = socket.create_connection(("127.0.0.1", port4), timeout=5)
        b = socket.create_connection(("::1", port4), timeout=5)
        ga, gb = greeting(Client(a)), greeting(Client(b))
        check("IPv6: a bare port listens on 127.0.0.1 and ::1 (loopback-only)",
              ga is not None and gb is not None, "%s %s" % (ga, gb))
        a.close()
        b.close()
        inst.stop()
    finally:
        inst.cleanup()


def case_check_repairs():
    inst = make("check", [svc("echo")], main_cf={"myhostnme": "typo.example"})
    try:
        r = inst.postern("check")
        check("check on a fresh instance exits 0", r.returncode == 0, outtext(r))
        check("check suggests a known name for an unknown parameter",
              re.search(r"warning: .*main\.cf, line \d+: unknown parameter myhostnme "
                        r"\(did you mean myhostname\?\)", r.stderr), outtext(r))
        q = inst.queue_dir
        for d in ("maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
                  "defer", "trace", "saved", "pid", "private", "public"):
            check("check created %s" % d, os.path.isdir(os.path.join(q, d)))
        check("hashed queue has its subdirectories",
              all(os.path.isdir(os.path.join(q, "deferred", h)) for h in "0123456789ABCDEF"))
        modes = {d: os.stat(os.path.join(q, d)).st_mode & 0o7777
                 for d in ("maildrop", "public", "private", "incoming", "pid")}
        check("modes as Postfix: maildrop 0730, public 0710, queues 0700, pid 0755",
              modes == {"maildrop": 0o730, "public": 0o710, "private": 0o700,
                        "incoming": 0o700, "pid": 0o755}, str(modes))
        shutil.rmtree(os.path.join(q, "incoming"))
        shutil.rmtree(os.path.join(q, "deferred"))
        os.chmod(os.path.join(q, "active"), 0o777)
        r = inst.postern("check")
        check("check recreates removed queue directories",
              os.path.isdir(os.path.join(q, "incoming"))
              and os.path.isdir(os.path.join(q, "deferred", "F")), outtext(r))
        check("check reports a planted bad permission",
              "wrong permissions 0777 (expected 0700): %s/active" % q in r.stderr, outtext(r))
        if IS_ROOT:
            os.chown(os.path.join(q, "hold"), pwd.getpwnam("nobody").pw_uid, -1)
            r = inst.postern("check")
            check("check reports wrong ownership", "not owned by" in r.stderr
                  and "%s/hold" % q in r.stderr, outtext(r))
        r = inst.postern("set-permissions")
        check("set-permissions exits 0", r.returncode == 0, outtext(r))
        r = inst.postern("check")
        check("after set-permissions check is clean",
              "wrong permissions" not in r.stderr and "not owned" not in r.stderr, outtext(r))
    finally:
        inst.cleanup()


def case_bad_config():
    inst = make("badcf", [svc("echo"), "broken unix - - n - nonsense testsvc"])
    try:
        r = inst.postern("start")
        check("bad master.cf: start refused with file and line",
              r.returncode == 1 and re.search(re.escape(inst.config_dir) + r"/master\.cf, line 2:",
                                              r.stderr), outtext(r))
        check("bad master.cf: nothing started", not inst.processes() and inst.master_pid() is None)
    finally:
        inst.cleanup()
    inst = make("badmain", [svc("echo")])
    try:
        with open(os.path.join(inst.config_dir, "main.cf"), "a") as f:
            f.write("max_idle = forever\n")
        r = inst.postern("start")
        check("bad main.cf: start refused with file and line",
              r.returncode == 1 and re.search(re.escape(inst.config_dir) + r"/main\.cf, line \d+",
                                              r.stderr), outtext(r))
        check("bad main.cf: nothing started", not inst.processes())
    finally:
        inst.cleanup()
    inst = make("badsvc", [svc("echo"), svc("nope", command="no-such-daemon")])
    try:
        r = inst.postern("check")
        check("check warns about a master.cf program that does not exist",
              re.search(r"master\.cf, line 2: service nope: cannot execute .*no-such-daemon",
                        r.stderr), outtext(r))
    finally:
        inst.cleanup()


def case_missing_mail_owner():
    if not IS_ROOT:
        skip("missing mail_owner is fatal", "only fatal for an instance started by root")
        return
    inst = make("owner", [svc("echo")], main_cf={"mail_owner": "no-such-user-xyz"})
    try:
        r = inst.postern("start")
        check("missing mail_owner: start refused",
              r.returncode == 1 and "parameter mail_owner: unknown user name value: "
              "no-such-user-xyz" in r.stderr, outtext(r))
    finally:
        inst.cleanup()


def case_privileges_as_root():
    if not IS_ROOT:
        skip("privilege drop and chroot", "needs root")
        return
    inst = make("priv", [svc("drop"), svc("keep", unpriv="n"), svc("jail", chroot="y")])
    try:
        inst.start()
        pw = pwd.getpwnam(inst_setting(inst, "mail_owner"))
        g = greeting(local(inst, "private/drop"))
        check("service runs as mail_owner", g and int(g["uid"]) == pw.pw_uid
              and int(g["gid"]) == pw.pw_gid, str(g))
        groups = set(int(x) for x in g["groups"].split(",")) if g and g["groups"] != "-" else set()
        check("root's groups are dropped (initgroups)", 0 not in groups, str(g))
        g = greeting(local(inst, "private/keep"))
        check("unpriv n keeps root", g and g["uid"] == "0", str(g))
        g = greeting(local(inst, "private/jail"))
        check("chroot y chroots into queue_directory", g and g["cwd"] == "/"
              and int(g["uid"]) == pw.pw_uid, str(g))
        st = os.stat(os.path.join(inst.queue_dir, "private"))
        check("private/ belongs to mail_owner", st.st_uid == pw.pw_uid)
        st = os.stat(os.path.join(inst.queue_dir, "pid", "master.pid"))
        check("pid file belongs to root", st.st_uid == 0)
        inst.stop()
    finally:
        inst.cleanup()


def inst_setting(inst, name):
    with open(os.path.join(inst.config_dir, "main.cf")) as f:
        value = None
        for line in f:
            m = re.match(r"%s\s*=\s*(.*)$" % name, line)
            if m:
                value = m.group(1).strip()
        return value


def case_unprivileged_user():
    user = unprivileged_user() if IS_ROOT else pwd.getpwuid(os.geteuid()).pw_name
    if user is None:
        skip("instance run by an ordinary user", "no unprivileged user could be created")
        return
    if IS_ROOT and not (shutil.which("runuser") or shutil.which("setpriv")):
        skip("instance run by an ordinary user", "neither runuser nor setpriv is installed")
        return
    if IS_ROOT and not os.access(os.path.join(BINDIR, "postern"), os.X_OK):
        skip("instance run by an ordinary user", "programs not executable")
        return
    port = free_port()
    uid = pwd.getpwnam(user).pw_uid
    inst = make("user", [svc("127.0.0.1:%d" % port, "inet", "n", maxproc="2"), svc("echo")],
                run_as=user if IS_ROOT else None)
    try:
        r = inst.start()
        check("ordinary user: start", r.returncode == 0, outtext(r))
        check("ordinary user: status", inst.postern("status").returncode == 0)
        g = greeting(tcp(port))
        check("ordinary user: services run as that user", g and int(g["uid"]) == uid, str(g))
        master = inst.master_pid()
        st = os.stat("/proc/%d" % master) if master else None
        check("ordinary user: master runs as that user", st and st.st_uid == uid)
        r = inst.stop()
        check("ordinary user: stop", r.returncode == 0 and not inst.processes(), outtext(r))
        inst.write_master_cf(svc("25", "inet", "n") + "\n")
        r = inst.postern("start")
        check("ordinary user: privileged port refused with a clear error",
              r.returncode == 1 and "cannot listen on" in r.stderr
              and "needs root privileges" in r.stderr, outtext(r))
        check("ordinary user: nothing left after the failed start", not inst.processes(),
              inst.describe(inst.processes()))
    finally:
        inst.cleanup()


def case_start_fg():
    port = free_port()
    inst = make("fg", [svc("127.0.0.1:%d" % port, "inet", "n", maxproc="2"),
                       svc("tick", wakeup="1", maxproc="1", command="testsvc trigger")],
                main_cf={"maillog_file": None})
    try:
        p = inst.start_fg()
        pid = inst.wait_running()
        check("start-fg: master runs", pid is not None, inst.fg_output())
        check("start-fg: master runs in the foreground (same process)", pid == p.pid,
              "%s %s" % (pid, p.pid))
        g = greeting(tcp(port))
        check("start-fg: service answers", g is not None)
        wait_for(lambda: "trigger: service tick" in inst.fg_output(), timeout=5)
        out = inst.fg_output()
        check("start-fg: logs on stderr in long form",
              re.search(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ postern/master\[%d\]: daemon started"
                        % pid, out, re.M), out)
        check("start-fg: service logs reach the terminal too",
              re.search(r"postern/testsvc\[\d+\]: trigger: service tick", out), out)
        os.killpg(p.pid, signal.SIGINT)         # Ctrl-C: the whole foreground group
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        out = inst.fg_output()
        check("start-fg: Ctrl-C stops it", rc == 0 and "terminating on signal 2" in out,
              "rc %s\n%s" % (rc, out))
        check("start-fg: children ignore the keyboard signal", "killed by signal 2" not in out, out)
        check("start-fg: nothing left", wait_for(lambda: not inst.processes(), timeout=5),
              inst.describe(inst.processes()))
    finally:
        inst.cleanup()


def case_make_run():
    script = os.path.join(TOP, "tools", "run-instance.sh")
    if not os.path.exists(os.path.join(TOP, "conf", "master.cf")):
        skip("make run", "conf/master.cf missing")
        return
    d = tempfile.mkdtemp(prefix="postern-run-")
    os.chmod(d, 0o755)
    port = free_port()
    env = dict(os.environ, POSTERN_RUN_DIR=os.path.join(d, "inst"), POSTERN_RUN_PORT=str(port),
               POSTERN_BINDIR=BINDIR)
    out = tempfile.TemporaryFile()
    p = subprocess.Popen(["sh", script], stdout=out, stderr=subprocess.STDOUT, env=env,
                         start_new_session=True)
    try:
        cfg = os.path.join(d, "inst", "config")
        up = wait_for(lambda: connect(port, timeout=1), timeout=20)
        out.seek(0)
        text = out.read().decode(errors="replace")
        check("make run: instance created from conf/",
              os.path.exists(os.path.join(cfg, "main.cf"))
              and "127.0.0.1:%d" % port in open(os.path.join(cfg, "master.cf")).read(), text)
        check("make run: smtpd port answers", up is not None, text)
        banner = b""
        if up:
            up.settimeout(5)
            try:
                banner = up.recv(200)
            except OSError:
                pass
            up.close()
        if os.path.exists(os.path.join(LIBEXECDIR, "smtpd")):
            check("make run: smtpd greets with 220", banner.startswith(b"220"), repr(banner))
        os.killpg(p.pid, signal.SIGINT)
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        out.seek(0)
        text = out.read().decode(errors="replace")
        check("make run: Ctrl-C stops it", rc == 0 and "terminating on signal 2" in text,
              "rc %s\n%s" % (rc, text))
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        leftover = Instance.__new__(Instance)
        leftover.root = d
        leftover.config_dir = os.path.join(d, "inst", "config")
        leftover._pids_seen = set()
        procs = leftover.processes()
        check("make run: nothing left", not procs, leftover.describe(procs))
        leftover.kill_all()
        shutil.rmtree(d, ignore_errors=True)


def grp_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def case_installed_layout():
    dest = tempfile.mkdtemp(prefix="postern-install-")
    try:
        env = dict(os.environ, VARIANT=os.environ.get("POSTERN_VARIANT", "normal"))
        r = run(["sh", os.path.join(TOP, "tools", "install.sh"), dest, "/usr",
                 "postern postqueue mailq:postern", "master testsvc"], env=env, timeout=60)
        sbin = os.path.join(dest, "usr", "sbin")
        libexec = os.path.join(dest, "usr", "libexec", "postern")
        check("install.sh installs commands and daemons",
              r.returncode == 0 and os.access(os.path.join(sbin, "postern"), os.X_OK)
              and os.access(os.path.join(libexec, "master"), os.X_OK)
              and os.path.islink(os.path.join(sbin, "mailq")), outtext(r))
        if IS_ROOT and grp_exists("postdrop"):
            st = os.stat(os.path.join(sbin, "postqueue"))
            check("install.sh makes postqueue set-group-ID postdrop, as Postfix",
                  st.st_mode & 0o7777 == 0o2755 and st.st_gid == grp.getgrnam("postdrop").gr_gid,
                  oct(st.st_mode))
        check("install.sh leaves the test daemon out",
              not os.path.exists(os.path.join(libexec, "testsvc")))
        check("install.sh installs the configuration",
              os.path.exists(os.path.join(dest, "etc", "postern", "master.cf")))
        inst = make("installed", [svc("echo", command=os.path.join(LIBEXECDIR, "testsvc")
                                      + " single")])
        try:
            inst.bindir = sbin
            r = inst.start()
            check("installed postern finds master in libexec/postern", r.returncode == 0,
                  outtext(r))
            master = inst.master_pid()
            exe = os.readlink("/proc/%d/exe" % master) if master else ""
            check("the master it runs is the installed one", exe == os.path.join(libexec, "master"),
                  exe)
            check("installed instance serves", greeting(local(inst, "private/echo")) is not None)
            inst.stop()
        finally:
            inst.cleanup()
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def main():
    for name in ["master", "testsvc"]:
        if not os.access(os.path.join(LIBEXECDIR, name), os.X_OK):
            not_ok("%s is built" % name, "missing %s/%s" % (LIBEXECDIR, name))
            done()
    if not os.access(os.path.join(BINDIR, "postern"), os.X_OK):
        not_ok("postern is built", "missing %s/postern" % BINDIR)
        done()
    for fn in (case_start_status_stop, case_second_start_refused, case_killed_child_replaced,
               case_crash_throttled, case_maxproc, case_max_use_max_idle, case_reload,
               case_sigterm_and_abort, case_wakeup_and_flush, case_service_types,
               case_standalone, case_ipv6, case_check_repairs,
               case_bad_config, case_missing_mail_owner, case_privileges_as_root,
               case_unprivileged_user, case_start_fg, case_make_run,
               case_installed_layout):
        only = os.environ.get("POSTERN_CASES")
        if only and not any(x in fn.__name__ for x in only.split(",")):
            continue
        case(fn)
    done()


if __name__ == "__main__":
    main()
