"""postern_test - shared harness for Postern's integration tests.

SYNOPSIS
    from postern_test import Instance, free_port, run, ok, not_ok, check, done

    inst = Instance(name="x", main_cf={"param": "value"},
                    master_cf_replace={"pickup": None})
    inst.start()
    check("something works", inst.log_wait(r"daemon started") is not None)
    inst.stop()
    done()

DESCRIPTION
    Instance() builds a throw-away Postern instance in a temporary
    directory: config/main.cf (the shipped conf/main.cf plus test settings:
    queue_directory, data_directory, maillog_file inside the directory,
    mail_owner and setgid_group that exist on this machine,
    inet_interfaces = 127.0.0.1, myhostname = test.example) and
    config/master.cf (the shipped conf/master.cf with every inet service
    not already on 127.0.0.1 moved there, to a free port; the smtp service's port is
    inst.smtp_port, every inet service's port is in inst.inet_ports by
    its original name).

    main_cf: dict of main.cf settings that replace the shipped ones.
    master_cf_replace: dict whose keys name master.cf services ("pickup",
    "smtp/inet", or an inet service by its original name or port) and
    whose values are a whole replacement line, or None to delete the
    service; keys that match nothing are appended as new lines.
    master_cf_append: list of extra master.cf lines.
    run_as: a user name; the instance's files belong to that user and
    every command runs as that user (needs root; see unprivileged_user()).

    Programs come from $POSTERN_BINDIR and $POSTERN_LIBEXECDIR (default:
    bin/ and libexec/ of this repository). Every wait is bounded; every
    process an instance started is killed at exit even when a test fails
    half-way (atexit), and the temporary directory is removed unless
    POSTERN_KEEP is set in the environment.

    Results: check(name, cond, detail) prints "ok - name" or
    "not ok - name" plus the detail as "# " lines; skip(name, reason)
    prints "ok - name # SKIP reason"; done() exits 1 if anything failed.
"""

import atexit
import errno
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

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINDIR = os.environ.get("POSTERN_BINDIR") or os.path.join(TOP, "bin")
LIBEXECDIR = os.environ.get("POSTERN_LIBEXECDIR") or os.path.join(TOP, "libexec")
CONFSRC = os.path.join(TOP, "conf")
VARIANT = os.environ.get("POSTERN_VARIANT", "normal")
IS_ROOT = os.geteuid() == 0

_failed = 0
_passed = 0
_instances = []


# ---------------------------------------------------------------- results

def _detail_lines(detail):
    text = str(detail).rstrip("\n")
    if not text:
        return
    lines = text.split("\n")
    if len(lines) > 60:
        lines = lines[:30] + ["... (%d lines left out)" % (len(lines) - 60)] + lines[-30:]
    for line in lines:
        print("#   " + line)


def ok(name):
    """Report a passed case."""
    global _passed
    _passed += 1
    print("ok - " + name, flush=True)
    return True


def not_ok(name, detail=""):
    """Report a failed case with optional detail text."""
    global _failed
    _failed += 1
    print("not ok - " + name, flush=True)
    _detail_lines(detail)
    sys.stdout.flush()
    return False


def check(name, cond, detail=""):
    """ok or not ok depending on cond; detail is printed on failure."""
    if cond:
        return ok(name)
    return not_ok(name, detail)


def skip(name, reason):
    """Report a case that cannot run here, with the reason."""
    print("ok - %s # SKIP %s" % (name, reason), flush=True)


def failed_count():
    return _failed


def done():
    """Clean up and exit: status 1 when any case failed."""
    _cleanup_all()
    sys.stdout.flush()
    sys.exit(1 if _failed else 0)


# ---------------------------------------------------------------- helpers

def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def run(argv, input=None, timeout=60, env=None, cwd=None, user=None):
    """Run a command; never raises for exit status or timeout.

    Returns a CompletedProcess with text stdout/stderr; on timeout the
    process group is killed and returncode is -9 with a note in stderr.
    user: run as that user (root only), through runuser or setpriv."""
    argv = [str(a) for a in argv]
    if user is not None:
        argv = _as_user(user) + argv
    if isinstance(input, str):
        input = input.encode()
    try:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None
                             else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, cwd=cwd, start_new_session=True)
    except OSError as e:
        return subprocess.CompletedProcess(argv, 127, "", "cannot run %s: %s" % (argv[0], e))
    try:
        out, err = p.communicate(input, timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        _killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        rc = -9
        err = (err or b"") + (b"\n[postern_test: timed out after %ds]" % timeout)
    return subprocess.CompletedProcess(argv, rc, out.decode(errors="replace"),
                                       err.decode(errors="replace"))


def _killpg(pid, sig):
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


def _as_user(user):
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--"]
    pw = pwd.getpwnam(user)
    return ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
            "--init-groups", "--"]


def wait_for(fn, timeout=10.0, interval=0.05):
    """Call fn until it returns a true value or timeout passes; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def set_chroot(inst, services):
    """chroot = y for the named master.cf services (inet ones by their command)."""
    lines = []
    for line in inst.master_cf_text().split("\n"):
        f = line.split()
        if len(f) >= 8 and not line.startswith(("#", " ", "\t")) \
                and (f[0] in services or (f[1] == "inet" and f[7] in services)):
            f[4] = "y"
            line = " ".join(f)
        lines.append(line)
    inst.write_master_cf("\n".join(lines))


def read_text(path):
    """A file's text (bytes that are not UTF-8 replaced), "" when unreadable."""
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def mbox_messages(path):
    """Split an mbox into messages (each starting with its From_ line)."""
    parts = re.split(r"(?m)^(?=From \S+  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$)",
                     read_text(path))
    return [p for p in parts if p]


def connect(port, host="127.0.0.1", timeout=5.0):
    """A connected TCP socket, or None."""
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return None


def pid_alive(pid):
    """True when pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _ensure_user(name, group=None):
    """Create a system user (and its group) when missing; True if it exists."""
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        pass
    if not IS_ROOT or not shutil.which("useradd"):
        return False
    argv = ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
            "--shell", "/usr/sbin/nologin"]
    argv += ["-g", group] if group else ["--user-group"]
    run(argv + [name], timeout=30)
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _ensure_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        pass
    if not IS_ROOT or not shutil.which("groupadd"):
        return False
    run(["groupadd", "--system", name], timeout=30)
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def unprivileged_user():
    """Name of an ordinary user to run instances as (root only), or None.

    Creates the system user postern-test when it is missing."""
    if not IS_ROOT:
        return None
    if _ensure_user("postern-test"):
        return "postern-test"
    try:
        pwd.getpwnam("nobody")
        return "nobody"
    except KeyError:
        return None


def _root_accounts():
    """mail_owner and setgid_group for an instance run by root."""
    owner = "postern" if _ensure_user("postern") else "nobody"
    group = "postdrop" if _ensure_group("postdrop") else "nogroup"
    return owner, group


def _open_sanitizer_logs():
    """Let processes of other users write sanitizer reports (root only)."""
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        for item in os.environ.get(var, "").split(":"):
            if item.startswith("log_path="):
                d = os.path.dirname(item[len("log_path="):])
                try:
                    os.chmod(d, 0o1777)
                except OSError:
                    pass


# ---------------------------------------------------------------- config files

def _logical_lines(text):
    """Split main.cf/master.cf text into logical lines (list of strings,
    continuation lines joined with their newlines kept); comments and blank
    lines are entries of their own."""
    out = []
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and line.strip() and not line.strip().startswith("#") \
                and out and out[-1].strip() and not out[-1].lstrip().startswith("#"):
            out[-1] += "\n" + line
        else:
            out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out


def _is_entry(line):
    s = line.strip()
    return bool(s) and not s.startswith("#") and line[:1] not in (" ", "\t")


def make_main_cf(base_text, settings):
    """base_text with each name in settings replaced (or appended)."""
    lines = []
    for line in _logical_lines(base_text):
        if _is_entry(line):
            name = line.split("=", 1)[0].strip()
            if name in settings:
                continue
        lines.append(line)
    for name, value in settings.items():
        if value is None:
            continue
        lines.append("%s = %s" % (name, value))
    return "\n".join(lines) + "\n"


def _service_keys(fields):
    """Names a master.cf entry answers to: service, service/type, port."""
    service, stype = fields[0], fields[1]
    keys = {service, "%s/%s" % (service, stype)}
    if stype == "inet":
        port = service.rsplit(":", 1)[-1]
        keys |= {port, "%s/%s" % (port, stype)}
    return keys


def make_master_cf(base_text, replace, append, inet_ports):
    """Rewrite master.cf: inet services to 127.0.0.1 and free ports
    (recorded in inet_ports by original name and port; services already
    on a loopback address and port are kept), then apply the replacements
    and appended lines."""
    replace = dict(replace or {})
    used = set()
    lines = []
    for line in _logical_lines(base_text):
        if not _is_entry(line):
            lines.append(line)
            continue
        fields = line.split()
        if len(fields) < 2:
            lines.append(line)
            continue
        keys = _service_keys(fields)
        hit = [k for k in replace if k in keys]
        if hit:
            for k in hit:
                used.add(k)
            new = replace[hit[0]]
            if new is not None:
                lines.append(new)
            continue
        if fields[1] == "inet" and re.fullmatch(r"(127\.0\.0\.1|\[::1\]):\d+", fields[0]):
            inet_ports[fields[0]] = int(fields[0].rsplit(":", 1)[1])
        elif fields[1] == "inet":
            port = free_port()
            orig = fields[0].rsplit(":", 1)[-1]
            inet_ports[orig] = port
            inet_ports[fields[0]] = port
            first, rest = line.split(None, 1)
            line = "127.0.0.1:%d %s" % (port, rest)
        lines.append(line)
    for k, new in replace.items():
        if k not in used and new is not None:
            lines.append(new)
    lines.extend(append or [])
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- instances

class Instance:
    """One temporary Postern instance (see the module description)."""

    def __init__(self, name="t", main_cf=None, master_cf_replace=None,
                 master_cf_append=None, run_as=None, master_cf_text=None,
                 main_cf_text=None):
        self.name = name
        self.run_as = run_as
        self.root = tempfile.mkdtemp(prefix="postern-%s-" % name)
        os.chmod(self.root, 0o755)
        self.config_dir = os.path.join(self.root, "config")
        self.queue_dir = os.path.join(self.root, "queue")
        self.data_dir = os.path.join(self.root, "data")
        self.maillog = os.path.join(self.root, "maillog")
        self.bindir = BINDIR
        self.libexecdir = LIBEXECDIR
        self.inet_ports = {}
        self._pids_seen = set()
        os.makedirs(self.config_dir)
        settings = self._default_settings()
        settings.update(main_cf or {})
        base = main_cf_text if main_cf_text is not None else _read(os.path.join(CONFSRC, "main.cf"))
        _write(os.path.join(self.config_dir, "main.cf"), make_main_cf(base, settings))
        mbase = master_cf_text if master_cf_text is not None else _read(os.path.join(CONFSRC, "master.cf"))
        _write(os.path.join(self.config_dir, "master.cf"),
               make_master_cf(mbase, master_cf_replace, master_cf_append, self.inet_ports))
        self.smtp_port = self.inet_ports.get("smtp") or self.inet_ports.get("25")
        if run_as:
            self._chown_tree(run_as)
            _open_sanitizer_logs()
        elif IS_ROOT:
            _open_sanitizer_logs()
        _instances.append(self)

    def _default_settings(self):
        s = {
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "maillog_file": self.maillog,
            "inet_interfaces": "127.0.0.1",
            "myhostname": "test.example",
        }
        if os.path.dirname(os.path.abspath(BINDIR)) != os.path.dirname(os.path.abspath(LIBEXECDIR)):
            s["daemon_directory"] = LIBEXECDIR
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            s["mail_owner"] = self.run_as
            s["setgid_group"] = grp.getgrgid(pw.pw_gid).gr_name
        elif IS_ROOT:
            s["mail_owner"], s["setgid_group"] = _root_accounts()
        else:
            s["mail_owner"] = pwd.getpwuid(os.geteuid()).pw_name
            s["setgid_group"] = grp.getgrgid(os.getegid()).gr_name
        return s

    def _chown_tree(self, user):
        pw = pwd.getpwnam(user)
        for d, dirs, files in os.walk(self.root):
            os.chown(d, pw.pw_uid, pw.pw_gid)
            for f in files:
                os.chown(os.path.join(d, f), pw.pw_uid, pw.pw_gid)

    # -- configuration after creation

    def set_main_cf(self, settings):
        """Change main.cf settings in place (None removes a name)."""
        path = os.path.join(self.config_dir, "main.cf")
        text = make_main_cf(_read(path), settings)
        _write(path, text)
        self._fix_owner(path)

    def write_master_cf(self, text):
        path = os.path.join(self.config_dir, "master.cf")
        _write(path, text)
        self._fix_owner(path)

    def master_cf_text(self):
        return _read(os.path.join(self.config_dir, "master.cf"))

    def _fix_owner(self, path):
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    # -- running commands

    def cmd(self, prog, *args, input=None, timeout=60, env=None, config_flag="-c"):
        """Run bin/PROG -c CONFIG ARGS... (as run_as when set)."""
        argv = [os.path.join(self.bindir, prog)]
        if config_flag:
            argv += [config_flag, self.config_dir]
        argv += list(args)
        e = dict(os.environ if env is None else env)
        e.pop("MAIL_CONFIG", None)
        return run(argv, input=input, timeout=timeout, env=e, user=self.run_as)

    def postern(self, *args, timeout=60):
        return self.cmd("postern", *args, timeout=timeout)

    def start(self, timeout=60):
        """postern start; returns the CompletedProcess. The master is up
        (its listeners exist) when this returns with status 0."""
        r = self.postern("start", timeout=timeout)
        if r.returncode == 0:
            pid = wait_for(self.master_pid, timeout=10)
            if pid:
                self._pids_seen.add(pid)
        return r

    def start_fg(self, extra_env=None):
        """postern start-fg in the background: returns the Popen (stderr
        carries the log lines). Wait for readiness with wait_running()."""
        argv = [os.path.join(self.bindir, "postern"), "-c", self.config_dir, "start-fg"]
        if self.run_as:
            argv = _as_user(self.run_as) + argv
        e = dict(os.environ)
        e.pop("MAIL_CONFIG", None)
        e.update(extra_env or {})
        self._fg_err = tempfile.TemporaryFile()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._fg_err,
                             stderr=subprocess.STDOUT, env=e, start_new_session=True)
        self._fg = p
        return p

    def fg_output(self):
        f = getattr(self, "_fg_err", None)
        if f is None:
            return ""
        f.seek(0)
        return f.read().decode(errors="replace")

    def wait_running(self, timeout=15):
        pid = wait_for(lambda: self.is_running() and self.master_pid(), timeout=timeout)
        if pid:
            self._pids_seen.add(pid)
        return pid

    def stop(self, timeout=60):
        """postern stop; waits until no process of the instance is left.
        Leftovers are reported as a failed case and killed. Returns the
        CompletedProcess of postern stop."""
        r = self.postern("stop", timeout=timeout)
        left = wait_for(lambda: not self.processes(), timeout=15)
        if not left:
            procs = self.processes()
            not_ok("%s: no process left after stop" % self.name,
                   "postern stop: status %d\n%s%s\nleft: %s" %
                   (r.returncode, r.stdout, r.stderr, self.describe(procs)))
            self.kill_all()
        return r

    def master_pid(self):
        """The pid in pid/master.pid, or None."""
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def is_running(self):
        """postern status says running."""
        return self.postern("status", timeout=30).returncode == 0

    def processes(self):
        """Pids of live processes that belong to this instance: started
        with its configuration, working in its directory, or a master it
        ran."""
        mine = []
        marker = ("MAIL_CONFIG=" + self.config_dir).encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            if pid == os.getpid() or not pid_alive(pid):
                continue
            if pid in self._pids_seen or self._belongs(pid, marker):
                mine.append(pid)
        return mine

    def _belongs(self, pid, marker):
        base = "/proc/%d/" % pid
        try:
            cwd = os.readlink(base + "cwd")
            if cwd == self.root or cwd.startswith(self.root + "/"):
                return True
        except OSError:
            pass
        try:
            with open(base + "environ", "rb") as f:
                if marker in f.read().split(b"\0"):
                    return True
        except OSError:
            pass
        try:
            with open(base + "cmdline", "rb") as f:
                args = f.read().split(b"\0")
            return self.config_dir.encode() in args
        except OSError:
            return False

    def children(self, command=None):
        """Pids whose parent is the master, optionally only those whose
        program name is command (e.g. "smtpd")."""
        master = self.master_pid()
        out = []
        for pid in self.processes():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    stat = f.read()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                comm = stat[stat.index("(") + 1:stat.rindex(")")]
            except (OSError, ValueError, IndexError):
                continue
            if ppid != master:
                continue
            if command is None or comm == command[:15]:
                out.append(pid)
        return out

    def describe(self, pids):
        lines = []
        for pid in pids:
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    lines.append("%d %s" % (pid, f.read().replace(b"\0", b" ").decode(errors="replace")))
            except OSError:
                lines.append("%d (gone)" % pid)
        return "; ".join(lines)

    def kill_all(self):
        """SIGKILL every process of the instance (bounded)."""
        for _ in range(20):
            procs = self.processes()
            if not procs:
                return
            for pid in procs:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)

    # -- logs and queue

    def log_text(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_mark(self):
        """Current length of the log, for log_wait(..., since=mark)."""
        return len(self.log_text())

    def log_wait(self, regex, timeout=10, since=0):
        """Wait for a log line matching regex (after offset since);
        returns the match or None."""
        rx = re.compile(regex, re.M)
        return wait_for(lambda: rx.search(self.log_text()[since:]), timeout=timeout)

    def queue_files(self, queue):
        """Queue IDs of the files in a queue (hash subdirectories included)."""
        top = os.path.join(self.queue_dir, queue)
        ids = []
        for d, dirs, files in os.walk(top):
            ids.extend(f for f in files if re.fullmatch(r"[0-9A-Za-z]+", f))
        return sorted(ids)

    def cleanup(self):
        """Kill what is left and remove the directory (unless POSTERN_KEEP)."""
        if self.master_pid() and pid_alive(self.master_pid()):
            self._pids_seen.add(self.master_pid())
        self.kill_all()
        fg = getattr(self, "_fg", None)
        if fg is not None and fg.poll() is None:
            _killpg(fg.pid, signal.SIGKILL)
            try:
                fg.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if not os.environ.get("POSTERN_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            print("# kept %s" % self.root)
        if self in _instances:
            _instances.remove(self)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        if e.errno == errno.ENOENT:
            return ""
        raise


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _cleanup_all():
    for inst in list(_instances):
        try:
            inst.cleanup()
        except Exception as e:  # keep cleaning the others
            print("# cleanup of %s failed: %s" % (inst.root, e))


atexit.register(_cleanup_all)


def _on_signal(signum, frame):
    _cleanup_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
