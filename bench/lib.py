"""lib - shared helpers for Postern's benchmarks against Postfix.

SYNOPSIS
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lib

    why = lib.postfix_ensure()          # None when Postfix is usable
    pe = lib.PosternSystem("in", lib.common_main_cf(in_flow_delay="0s"),
                           qmgr=False)
    pf = lib.PostfixSystem("in", lib.common_main_cf(in_flow_delay="0s"),
                           qmgr=False)
    for s in (pe, pf):
        s.start()
        secs, r = lib.smtp_source(s.port, sessions=10, count=2000, size=1024)
        print(s.label, s.queue_count("incoming") / secs)
        s.stop()

DESCRIPTION
    Both systems are throw-away instances in temporary directories, built
    from one dictionary of main.cf settings (common_main_cf()) so they are
    configured alike; only what must differ (directories, accounts,
    Postfix's compatibility_level and its own services) differs.

    PosternSystem wraps tests/integration/postern_test.py's Instance: the
    shipped conf/main.cf and conf/master.cf, the smtp service moved to a
    free loopback port. PostfixSystem builds a Postfix 3.7 instance from
    the Debian package: master.cf from the package's master.cf.dist with
    every service unchrooted (upstream's default, and what Postern does),
    the smtp service on a free loopback port, maillog_file and postlogd
    for logging (no syslog needed); its configuration directory is listed
    in alternate_config_directories of /etc/postfix/main.cf while it
    exists (created from main.cf.proto when missing). It is started and
    stopped with postfix -c DIR start/stop; the default instance is never
    touched, and only the processes of the throw-away instance (its master
    and that master's children) are ever signalled.

    qmgr=False leaves the qmgr service out of master.cf: accepted mail
    then stays in incoming/, so acceptance is measured without delivery.

    smtp_source() runs Postfix's smtp-source; CSink runs Postfix's
    smtp-sink with its running counter; PySink runs tests/tools/smtp_sink.py
    (recording each message and its accept time). Every wait is bounded.

    Results: each benchmark appends rows (dicts) to a list and may write
    them as JSON with write_json(); bench/summary.py prints the table.
"""

import atexit
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import postern_test as pt  # noqa: E402  (path set up above)

BINDIR = pt.BINDIR
LIBEXECDIR = pt.LIBEXECDIR
SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
PY_SINK = os.path.join(TOP, "tests", "tools", "smtp_sink.py")
POSTFIX = "/usr/sbin/postfix"
POSTFIX_MAIN = "/etc/postfix/main.cf"
POSTFIX_PROTO = "/etc/postfix/main.cf.proto"
POSTFIX_MASTER_DIST = "/usr/share/postfix/master.cf.dist"
SENDER = "bench@src.example"
RCPT = "rcpt@d1.example"

run = pt.run
free_port = pt.free_port
wait_for = pt.wait_for


def note(text):
    """Print a comment line of the benchmark's output."""
    print("# " + text, flush=True)


# ---------------------------------------------------------------- availability

def postern_missing(progs):
    """Names of Postern programs (bin/ or libexec/) that are not built."""
    out = []
    for p in progs:
        d = LIBEXECDIR if p.startswith("libexec/") else BINDIR
        name = p.split("/", 1)[-1]
        if not os.access(os.path.join(d, name), os.X_OK):
            out.append(p)
    return out


def postfix_ensure():
    """None when Postfix and its smtp-source/smtp-sink are usable,
    installing the Debian package without prompts when missing (root
    only); otherwise the reason why not."""
    if not (os.access(POSTFIX, os.X_OK) and os.access(SMTP_SOURCE, os.X_OK)):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            return "postfix is not installed and cannot be (not root or no apt-get)"
        note("installing the postfix package (no configuration, nothing started)")
        r = run(["debconf-set-selections"], timeout=60,
                input="postfix postfix/main_mailer_type select No configuration\n")
        if r.returncode != 0:
            return "debconf-set-selections failed: " + r.stderr.strip()[-200:]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = run(["apt-get", "install", "-y", "postfix"], env=env, timeout=600)
        if r.returncode != 0:
            return "apt-get install postfix failed: " + r.stderr.strip()[-300:]
    if not (os.access(POSTFIX, os.X_OK) and os.access(SMTP_SOURCE, os.X_OK)
            and os.access(SMTP_SINK, os.X_OK)):
        return "the postfix package lacks postfix, smtp-source or smtp-sink"
    if os.geteuid() != 0:
        return "a Postfix instance needs root to start"
    return None


def postfix_version():
    r = run(["/usr/sbin/postconf", "-d", "-h", "mail_version"], timeout=30)
    return r.stdout.strip() or "unknown"


def machine():
    """One line about the machine: CPU count, model, memory, load."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            model = m.group(1).strip() if m else ""
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return "%d cores (%s), %d MB RAM, load %s" % (
        os.cpu_count() or 0, model or "unknown CPU", mem, load_average())


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------- settings

def common_main_cf(**extra):
    """main.cf settings both systems get, plus extra (name=value)."""
    s = {
        "myhostname": "bench.example",
        "mydomain": "bench.example",
        "mydestination": "$myhostname, localhost.$mydomain, localhost",
        "mynetworks": "127.0.0.0/8",
        "inet_interfaces": "127.0.0.1",
        "inet_protocols": "ipv4",
        "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        "message_size_limit": "10240000",
        # Postern's smtpd does no client name lookup (it logs
        # unknown[127.0.0.1]); Postfix's would (PTR plus forward check).
        # Off for both, so both do the same work per connection.
        "smtpd_peername_lookup": "no",
    }
    s.update(extra)
    return s


# ---------------------------------------------------------------- processes

def proc_stat(pid):
    """(comm, ppid) of a live process, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            return None
        return comm, int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


def children_of(ppid, comm=None):
    """Live pids whose parent is ppid (and whose name is comm, if given)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = proc_stat(int(entry))
        if st and st[1] == ppid and (comm is None or st[0] == comm[:15]):
            out.append(int(entry))
    return out


def vm_kb(pid, field="VmRSS"):
    """A /proc/PID/status size field in KB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def count_files(top):
    """Regular files below a directory (hash subdirectories included)."""
    n = 0
    for _, _, files in os.walk(top):
        n += len(files)
    return n


def remove_files(top):
    """Remove the regular files below a directory, keeping directories."""
    for d, _, files in os.walk(top):
        for f in files:
            try:
                os.unlink(os.path.join(d, f))
            except OSError:
                pass


def sync():
    """Flush dirty pages so one run does not pay for the previous one."""
    os.sync()


# ---------------------------------------------------------------- systems

class PosternSystem:
    """A throw-away Postern instance (postern_test.Instance)."""

    label = "postern"

    def __init__(self, name, settings, qmgr=True, master_replace=None):
        replace = dict(master_replace or {})
        if not qmgr:
            replace["qmgr"] = None
        self.inst = pt.Instance(name="bench-" + name, main_cf=settings,
                                master_cf_replace=replace)
        self.port = self.inst.smtp_port
        self.queue_dir = self.inst.queue_dir
        self.config_dir = self.inst.config_dir

    def start(self):
        r = self.inst.start(timeout=60)
        if r.returncode != 0:
            raise RuntimeError("postern start failed: %s%s" % (r.stdout, r.stderr))
        if not wait_for(lambda: pt.connect(self.port), timeout=15):
            raise RuntimeError("postern: nothing listens on port %d" % self.port)

    def stop(self):
        self.inst.stop(timeout=60)

    def cleanup(self):
        self.inst.cleanup()

    def master_pid(self):
        return self.inst.master_pid()

    def daemon_pids(self, comm):
        pid = self.master_pid()
        return children_of(pid, comm) if pid else []

    def queue_count(self, queue):
        return count_files(os.path.join(self.queue_dir, queue))

    def clear_queue(self, queue):
        remove_files(os.path.join(self.queue_dir, queue))

    def sendmail_argv(self):
        return [os.path.join(BINDIR, "sendmail"), "-C", self.config_dir]

    def log_text(self):
        return self.inst.log_text()


def _postfix_master_cf(port, qmgr, replace):
    """Postfix's master.cf.dist, every service with chroot n, smtp/inet on
    127.0.0.1:port, optionally without qmgr, with entries replaced."""
    with open(POSTFIX_MASTER_DIST) as f:
        text = f.read()
    out = []
    skip_cont = False
    for line in text.split("\n"):
        fields = line.split()
        is_entry = bool(fields) and not line.startswith(("#", " ", "\t"))
        if not is_entry:
            if not (skip_cont and line[:1] in (" ", "\t") and fields):
                out.append(line)
            continue
        skip_cont = False
        key = "%s/%s" % (fields[0], fields[1])
        if fields[0] in replace or key in replace:
            new = replace.get(key, replace.get(fields[0]))
            skip_cont = True
            if new is not None:
                out.append(new)
            continue
        if key == "smtp/inet":
            fields[0] = "127.0.0.1:%d" % port
        if fields[0] == "qmgr" and not qmgr:
            skip_cont = True
            continue
        if len(fields) >= 8:
            fields[4] = "n"
        out.append("%-10s %-5s %-7s %-7s %-7s %-7s %-7s %s" % tuple(
            fields[:7] + [" ".join(fields[7:])]))
    return "\n".join(out) + "\n"


class PostfixSystem:
    """A throw-away Postfix instance (see the module description)."""

    label = "postfix"
    _registered = []

    def __init__(self, name, settings, qmgr=True, master_replace=None):
        self.root = tempfile.mkdtemp(prefix="postfix-bench-%s-" % name)
        os.chmod(self.root, 0o755)
        self.config_dir = os.path.join(self.root, "config")
        self.queue_dir = os.path.join(self.root, "queue")
        self.data_dir = os.path.join(self.root, "data")
        self.maillog = os.path.join(self.root, "maillog")
        os.makedirs(self.config_dir)
        os.makedirs(self.data_dir)
        os.makedirs(self.queue_dir, 0o755)
        shutil.chown(self.data_dir, "postfix", "postfix")
        self.port = free_port()
        s = {
            "compatibility_level": "3.7",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.root,
            "alias_maps": "",
            "alias_database": "",
        }
        s.update(settings)
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            for k, v in s.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(_postfix_master_cf(self.port, qmgr, dict(master_replace or {})))
        self._started = False
        self.qmgr = qmgr
        _postfix_instances.append(self)

    def _env(self):
        e = dict(os.environ)
        e.pop("MAIL_CONFIG", None)
        return e

    def start(self):
        alternate_dirs_add(self.config_dir)
        r = run([POSTFIX, "-c", self.config_dir, "start"], timeout=120, env=self._env())
        self._started = True
        if r.returncode != 0:
            raise RuntimeError("postfix start failed: %s%s\n%s" % (
                r.stdout, r.stderr, self.log_text()[-2000:]))
        if not wait_for(lambda: pt.connect(self.port), timeout=20):
            raise RuntimeError("postfix: nothing listens on port %d\n%s" % (
                self.port, self.log_text()[-2000:]))
        if not self.qmgr:
            self._quiet_trigger()

    def _quiet_trigger(self):
        """Without qmgr, Postfix's cleanup logs "unable to look up
        public/qmgr" for every message, where Postern's logs nothing. A
        FIFO nobody reads makes its wake-up fail silently as well."""
        path = os.path.join(self.queue_dir, "public", "qmgr")
        if not os.path.exists(path):
            os.mkfifo(path, 0o622)
            os.chmod(path, 0o622)
            shutil.chown(path, "postfix", "postdrop")

    def stop(self):
        if not self._started:
            return
        master = self.master_pid()
        run([POSTFIX, "-c", self.config_dir, "stop"], timeout=60, env=self._env())
        if master and not wait_for(lambda: not pt.pid_alive(master), timeout=20):
            self._kill(master)
        self._started = False

    def _kill(self, master):
        """SIGKILL this instance's master and its children (bounded)."""
        for _ in range(20):
            pids = children_of(master) + ([master] if pt.pid_alive(master) else [])
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)

    def cleanup(self):
        try:
            self.stop()
        finally:
            alternate_dirs_remove(self.config_dir)
            if os.environ.get("BENCH_KEEP"):
                note("kept %s" % self.root)
            else:
                shutil.rmtree(self.root, ignore_errors=True)
            if self in _postfix_instances:
                _postfix_instances.remove(self)

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
            return pid if pt.pid_alive(pid) else None
        except (OSError, ValueError, IndexError):
            return None

    def daemon_pids(self, comm):
        pid = self.master_pid()
        return children_of(pid, comm) if pid else []

    def queue_count(self, queue):
        return count_files(os.path.join(self.queue_dir, queue))

    def clear_queue(self, queue):
        remove_files(os.path.join(self.queue_dir, queue))

    def sendmail_argv(self):
        return ["/usr/sbin/sendmail", "-C", self.config_dir]

    def log_text(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


_postfix_instances = []


def _cleanup_postfix():
    for inst in list(_postfix_instances):
        try:
            inst.cleanup()
        except Exception as e:  # keep cleaning the others
            note("cleanup of %s failed: %s" % (inst.root, e))


atexit.register(_cleanup_postfix)


def _on_signal(signum, frame):
    _cleanup_postfix()
    pt._cleanup_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def make_systems(name, settings, qmgr=True, postfix=True, postern=True):
    """[PosternSystem, PostfixSystem] with the same settings (either left
    out on request)."""
    out = []
    if postern:
        out.append(PosternSystem(name, settings, qmgr=qmgr))
    if postfix:
        out.append(PostfixSystem(name, settings, qmgr=qmgr))
    return out


# ------------------------------------------------- /etc/postfix/main.cf

_PROTO_FIXES = {
    "setgid_group": "postdrop",
    "sendmail_path": "/usr/sbin/sendmail",
    "newaliases_path": "/usr/bin/newaliases",
    "mailq_path": "/usr/bin/mailq",
    "html_directory": "no",
    "manpage_directory": "/usr/share/man",
    "sample_directory": "/etc/postfix",
    "readme_directory": "no",
}


def _main_cf_lines():
    """/etc/postfix/main.cf as lines, created from main.cf.proto (with
    the empty path and group settings filled in) when missing."""
    if not os.path.exists(POSTFIX_MAIN):
        with open(POSTFIX_PROTO) as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            name = line.split("=", 1)[0].strip()
            if "=" in line and not line.startswith(("#", " ", "\t")) \
                    and name in _PROTO_FIXES and not line.split("=", 1)[1].strip():
                lines[i] = "%s = %s" % (name, _PROTO_FIXES[name])
        _write_main_cf(lines)
        note("created %s from %s" % (POSTFIX_MAIN, POSTFIX_PROTO))
    with open(POSTFIX_MAIN) as f:
        return f.read().split("\n")


def _write_main_cf(lines):
    tmp = POSTFIX_MAIN + ".bench-tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, POSTFIX_MAIN)


def _alternate_dirs(lines):
    """(index, list of directories) of alternate_config_directories."""
    for i, line in enumerate(lines):
        if re.match(r"alternate_config_directories\s*=", line):
            value = line.split("=", 1)[1]
            j = i + 1
            while j < len(lines) and lines[j][:1] in (" ", "\t") and lines[j].strip():
                value += " " + lines[j]
                j += 1
            return i, j, [d for d in re.split(r"[\s,]+", value) if d]
    return None, None, []


def _set_alternate_dirs(change):
    lines = _main_cf_lines()
    i, j, dirs = _alternate_dirs(lines)
    new = change(list(dirs))
    if new == dirs:
        return
    entry = ["alternate_config_directories = " + " ".join(new)] if new else []
    if i is None:
        lines = lines + entry
    else:
        lines = lines[:i] + entry + lines[j:]
    _write_main_cf(lines)


def alternate_dirs_add(path):
    """List path in alternate_config_directories of the default main.cf."""
    _set_alternate_dirs(lambda d: d if path in d else d + [path])


def alternate_dirs_remove(path):
    """Take path out of alternate_config_directories again."""
    if os.path.exists(POSTFIX_MAIN):
        _set_alternate_dirs(lambda d: [x for x in d if x != path])


# ---------------------------------------------------------------- load and sinks

def smtp_source(port, sessions, count, size, timeout=300, extra=None):
    """Run smtp-source against 127.0.0.1:port: (wall seconds, result)."""
    argv = [SMTP_SOURCE, "-s", str(sessions), "-m", str(count), "-l", str(size),
            "-f", SENDER, "-t", RCPT] + list(extra or []) + ["127.0.0.1:%d" % port]
    start = time.monotonic()
    r = run(argv, timeout=timeout)
    return time.monotonic() - start, r


class CSink:
    """Postfix's smtp-sink on a free loopback port, counting messages
    (its -c counter "sess=N quit=N mesg=N\r", read from stdout); as
    root it runs as postfix (-u)."""

    def __init__(self, extra=None, backlog=1000):
        self.port = free_port()
        user = ["-u", "postfix"] if os.geteuid() == 0 else []
        argv = [SMTP_SINK, "-c"] + user + list(extra or []) + [
            "127.0.0.1:%d" % self.port, str(backlog)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._count = 0
        self._tail = b""
        _sinks.append(self)
        if not wait_for(lambda: pt.connect(self.port), timeout=10):
            self.stop()
            raise RuntimeError("smtp-sink did not start")

    def count(self):
        """Messages received so far."""
        try:
            while True:
                data = self.proc.stdout.read(65536)
                if not data:
                    break
                self._tail = (self._tail + data)[-200:]
        except (BlockingIOError, TypeError):
            pass
        nums = re.findall(rb"mesg=(\d+)", self._tail)
        if nums:
            self._count = int(nums[-1])
        return self._count

    def wait_count(self, n, timeout):
        """Wait until n messages arrived: the time they did, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= n:
                return time.monotonic()
            time.sleep(0.01)
        return None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self in _sinks:
            _sinks.remove(self)


class PySink:
    """tests/tools/smtp_sink.py on a free loopback port, recording each
    message (with its accept time) below a temporary directory."""

    def __init__(self, rules=None, max_seconds=900, extra=None):
        self.dir = tempfile.mkdtemp(prefix="bench-sink-")
        self.out = os.path.join(self.dir, "out")
        os.makedirs(self.out)
        port_file = os.path.join(self.dir, "port")
        argv = [sys.executable, PY_SINK, "--listen", "127.0.0.1:0",
                "--port-file", port_file, "--out", self.out,
                "--stats", os.path.join(self.dir, "stats"),
                "--max-seconds", str(max_seconds)] + list(extra or [])
        if rules is not None:
            rules_file = os.path.join(self.dir, "rules.json")
            with open(rules_file, "w") as f:
                json.dump(rules, f)
            argv += ["--rules", rules_file]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr"), "w"),
                                     start_new_session=True)
        _sinks.append(self)
        if not wait_for(lambda: os.path.exists(port_file), timeout=15):
            self.stop()
            raise RuntimeError("smtp_sink.py did not start")
        with open(port_file) as f:
            self.port = int(f.read().strip())

    def count(self):
        try:
            return sum(1 for f in os.listdir(self.out) if f.endswith(".msg"))
        except OSError:
            return 0

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self in _sinks:
            _sinks.remove(self)
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


_sinks = []


def _stop_sinks():
    for s in list(_sinks):
        try:
            s.stop()
        except Exception:
            pass


atexit.register(_stop_sinks)


# ---------------------------------------------------------------- results

def ratio(postern, postfix):
    """Postern / Postfix, or None when either is missing or zero."""
    if not postern or not postfix:
        return None
    return postern / postfix


def percentile(values, p):
    """The p-th percentile (0-100) by nearest rank, or None."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, math.ceil(p / 100.0 * len(v)) - 1))
    return v[k]


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return "%.*f" % (digits, value)


def print_rows(rows):
    """The comparison table: metric, Postern, Postfix, Postern/Postfix."""
    w = max([len(r["metric"]) for r in rows] + [6])
    print("%-*s %12s %12s %10s  %s" % (w, "metric", "postern", "postfix",
                                       "pe/pf", "unit (better)"))
    for r in rows:
        print("%-*s %12s %12s %10s  %s" % (
            w, r["metric"], fmt(r.get("postern"), r.get("digits", 1)),
            fmt(r.get("postfix"), r.get("digits", 1)),
            fmt(ratio(r.get("postern"), r.get("postfix")), 2),
            "%s (%s)" % (r.get("unit", ""), r.get("better", "higher"))))
    sys.stdout.flush()


def write_json(path, bench, rows, notes):
    """Write one benchmark's rows for bench/summary.py."""
    if not path:
        return
    with open(path, "w") as f:
        json.dump({"bench": bench, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                   "machine": machine(), "postfix_version": postfix_version(),
                   "rows": rows, "notes": notes}, f, indent=1)
