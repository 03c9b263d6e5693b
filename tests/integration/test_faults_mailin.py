#!/usr/bin/env python3
"""test_faults_mailin - mail in on a full disk and with failing writes
and fsync: refused, never acknowledged, never half-imported, never lost.

disk full      (root) queue_directory is a 2 MB tmpfs. Filled up, smtpd
               answers 451 4.3.0 at the end of DATA and sendmail exits 75
               (EX_TEMPFAIL); with a little space left a large message
               still gets 451 while a small one fits; no file is left
               behind in incoming/ or maildrop/; a watcher reading the
               queue all along never sees a file marked complete (0700,
               maildrop 0744) that is not a whole queue file; when the
               space returns, mail is accepted and delivered again.
queue_minfree  (root) same tmpfs with queue_minfree = 1 MB: MAIL FROM gets
               452 4.3.1 "Insufficient system storage" once free space is
               below it, and also when free space is below queue_minfree
               plus the SIZE= the client announces; a local submission
               made meanwhile waits in maildrop/ and is delivered once
               space returns.
fsync/write    cleanup runs with tests/tools/failfs.c preloaded (master
               hands LD_PRELOAD to its children through
               import_environment; FAILFS_PROG=cleanup and
               FAILFS_PATH=/incoming/ confine the faults to cleanup's queue
               files). A failing fsync() or a write() that hits ENOSPC
               mid-file gets 451 4.3.0, never 250; the failfs log proves
               the fault fired; nothing is left in incoming/; a local
               submission waits in maildrop/ and gets through once the
               fault is gone.

Cases that need root (mount) or a C compiler print "ok - NAME # SKIP
reason" when those are missing.
"""

import atexit
import os
import pwd
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, IS_ROOT, LIBEXECDIR, TOP, check, done,  # noqa: E402
                          not_ok, run, skip, unprivileged_user, wait_for)

FAILFS_SRC = os.path.join(TOP, "tests", "tools", "failfs.c")
TMPFS_SIZE = 2 * 1024 * 1024
# The mailbox owner for local delivery: the disk-full cases run as root,
# and a fresh machine has no postern-test account until one is made.
LOCAL_USER = (unprivileged_user() if IS_ROOT else None) or pwd.getpwuid(os.geteuid()).pw_name


# ---------------------------------------------------------------- SMTP

class Client:
    """A raw SMTP client; every wait is bounded by the socket timeout."""

    def __init__(self, port, timeout=20):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        try:
            self.sock.sendall(data.encode() if isinstance(data, str) else data)
        except OSError:
            pass

    def reply(self):
        """(code, text) of one reply; (None, text) on EOF or timeout."""
        lines = []
        for _ in range(100):
            while b"\n" not in self.buf:
                try:
                    chunk = self.sock.recv(65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    return None, "\n".join(lines)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.rstrip(b"\r").decode(errors="replace")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return (int(line[:3]) if line[:3].isdigit() else None), "\n".join(lines)
        return None, "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def mail_from(port, size=None):
    """The reply to MAIL FROM (with SIZE= when given) in a fresh session."""
    try:
        c = Client(port)
    except OSError as e:
        return None, str(e)
    c.reply()
    c.cmd("EHLO client.example")
    code, text = c.cmd("MAIL FROM:<sender@test.example>" + (" SIZE=%d" % size if size else ""))
    c.cmd("QUIT")
    c.close()
    return code, text


def smtp_message(port, rcpt, size=0, marker="m"):
    """Send one message of about size bytes; returns (stage, code, text).

    stage is the command whose reply ended the attempt: "connect",
    "MAIL", "RCPT", "DATA" or "end" (the reply to the final dot)."""
    try:
        c = Client(port)
    except OSError as e:
        return "connect", None, str(e)
    try:
        c.reply()
        c.cmd("EHLO client.example")
        for stage, line in (("MAIL", "MAIL FROM:<sender@test.example>"),
                            ("RCPT", "RCPT TO:<%s>" % rcpt), ("DATA", "DATA")):
            code, text = c.cmd(line)
            if code != (354 if stage == "DATA" else 250):
                return stage, code, text
        body = ("Subject: %s\r\n\r\n" % marker).encode()
        filler = b"x" * 76 + b"\r\n"
        body += filler * (size // len(filler)) + b".\r\n"
        c.send(body)
        code, text = c.reply()
        c.cmd("QUIT")
        return "end", code, text
    finally:
        c.close()


def queued_id(text):
    m = re.search(r"queued as ([0-9A-Za-z]+)", text or "")
    return m.group(1) if m else None


# ---------------------------------------------------------------- queue files

def records(data):
    """(type, bytes) pairs; raises ValueError on a torn or junk stream."""
    out, i = [], 0
    while i < len(data):
        rtype = chr(data[i])
        i += 1
        n = shift = 0
        for _ in range(5):
            if i >= len(data):
                raise ValueError("truncated length at %d" % i)
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        else:
            raise ValueError("length too long at %d" % i)
        if i + n > len(data):
            raise ValueError("record past the end at %d" % i)
        out.append((rtype, data[i:i + n]))
        i += n
    return out


def whole_problem(data, is_maildrop):
    """Why data is not a whole queue (or maildrop) file, or ''."""
    try:
        recs = records(data)
    except ValueError as e:
        return str(e)
    types = "".join(t for t, _ in recs)
    if not types.endswith("E"):
        return "no END record last"
    if "M" not in types or "X" not in types:
        return "no MESG or XTRA record"
    if is_maildrop:
        return ""
    if not types.startswith("C"):
        return "no SIZE record first"
    try:
        size = [int(x) for x in recs[0][1].split()]
    except ValueError:
        return "bad SIZE record"
    if len(size) < 3 or size[2] != types.count("R") + types.count("D"):
        return "SIZE recipient count %r, file has %d" % (size, types.count("R") + types.count("D"))
    return ""


class Watcher(threading.Thread):
    """Reads every file marked complete in incoming/, active/, maildrop/
    and deferred/ over and over; remembers any that is not a whole file."""

    QUEUES = ("incoming", "active", "maildrop", "deferred")

    def __init__(self, queue_dir, limit=300):
        super().__init__(daemon=True)
        self.queue_dir = queue_dir
        self.limit = limit
        self.bad = {}
        self.checked = 0
        self.halt = threading.Event()

    def scan_one(self, queue, path):
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_mode & stat.S_IRWXU != stat.S_IRWXU:
                return              # still being written (owner rw-)
            with open(path, "rb") as f:
                data = f.read()
            if os.stat(path).st_mode & stat.S_IRWXU != stat.S_IRWXU:
                return
        except OSError:
            return                  # moved or removed meanwhile
        self.checked += 1
        why = whole_problem(data, queue == "maildrop")
        if why:
            self.bad[path] = "%s (%d bytes, mode %o)" % (why, len(data), st.st_mode & 0o7777)

    def run(self):
        deadline = time.monotonic() + self.limit
        while not self.halt.is_set() and time.monotonic() < deadline:
            for queue in self.QUEUES:
                top = os.path.join(self.queue_dir, queue)
                for d, dirs, files in os.walk(top):
                    for name in files:
                        if re.fullmatch(r"[0-9A-Za-z]+", name):
                            self.scan_one(queue, os.path.join(d, name))
            self.halt.wait(0.005)

    def stop(self):
        self.halt.set()
        self.join(10)


def leftovers(inst, queues=("incoming", "maildrop")):
    """Every name left in the given queues, temporary files included."""
    out = []
    for q in queues:
        for d, dirs, files in os.walk(os.path.join(inst.queue_dir, q)):
            out += [os.path.relpath(os.path.join(d, f), inst.queue_dir) for f in files]
    return sorted(out)


def delivered(inst, qid, timeout=30):
    """The log line of qid's delivery by local, or None."""
    return inst.log_wait(r"postern/local\[\d+\]: %s: to=<[^>]*>,.* relay=local,.* status=sent"
                         % qid, timeout=timeout)


# ---------------------------------------------------------------- tmpfs

class Tmpfs:
    """A small tmpfs mounted on a directory, with a filler file."""

    def __init__(self, path, size):
        self.path = path
        self.filler = os.path.join(path, "filler")
        os.makedirs(path, exist_ok=True)
        r = run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=755" % size, "tmpfs", path])
        self.error = None if r.returncode == 0 else (r.stderr.strip() or "mount failed")
        self.mounted = r.returncode == 0
        if self.mounted:
            # Registered after the harness's clean-up, so it runs before it
            # removes the directory, even when the test dies half-way.
            atexit.register(self.unmount)

    def free(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, leave=0):
        """Fill the file system, then give back about leave bytes."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        chunk = b"\0" * 65536
        try:
            for _ in range(TMPFS_SIZE // len(chunk) * 4 + 16):
                try:
                    os.write(fd, chunk)
                except OSError:
                    break
            for _ in range(64):     # the last partial page
                try:
                    os.write(fd, b"\0" * 512)
                except OSError:
                    break
            if leave:
                size = os.fstat(fd).st_size
                os.ftruncate(fd, max(0, size - leave))
        finally:
            os.close(fd)
        return self.free()

    def release(self):
        try:
            os.unlink(self.filler)
        except OSError:
            pass

    def unmount(self):
        """Unmount (lazily when still busy); True when nothing is mounted."""
        if not self.mounted:
            return True
        for args in (["umount", self.path], ["umount", "-l", self.path]):
            if run(args).returncode == 0:
                self.mounted = False
                return True
            time.sleep(0.5)
        return False


def tmpfs_instance(name, settings, master_cf_replace=None):
    """An instance whose queue_directory is a fresh tmpfs; (inst, fs, spool)."""
    inst = Instance(name=name, main_cf=dict(settings), master_cf_replace=master_cf_replace)
    spool = os.path.join(inst.root, "spool")
    os.makedirs(spool)
    os.chmod(spool, 0o1777)
    inst.set_main_cf({"mail_spool_directory": spool})
    fs = Tmpfs(inst.queue_dir, TMPFS_SIZE)
    return inst, fs, spool


def stop_and_unmount(inst, fs):
    if inst.master_pid():
        inst.stop()
    inst.kill_all()
    if not fs.unmount():
        not_ok("unmount %s" % fs.path)


BASE = {
    "alias_maps": "", "local_recipient_maps": "", "in_flow_delay": "0s",
    "smtpd_error_sleep_time": "0s", "mynetworks": "127.0.0.2/32",
}


# ---------------------------------------------------------------- disk full

def case_disk_full():
    if not IS_ROOT:
        skip("disk full", "mounting a tmpfs needs root")
        return
    inst, fs, spool = tmpfs_instance("diskfull", dict(
        BASE, transport_maps="inline:{ { defer.example = retry:4.4.1 parked by the test } }"))
    if fs.error:
        skip("disk full", "cannot mount a tmpfs: %s" % fs.error)
        return
    watcher = None
    try:
        r = inst.start()
        if not check("disk full: instance on a 2 MB tmpfs starts", r.returncode == 0,
                     r.stdout + r.stderr):
            return
        stage, code, text = smtp_message(inst.smtp_port, LOCAL_USER + "@test.example", 2000,
                                         "before")
        qid = queued_id(text)
        check("disk full: control: mail is delivered while there is space",
              code == 250 and qid and delivered(inst, qid),
              "%s %s %s\n%s" % (stage, code, text, inst.log_text()[-2000:]))
        watcher = Watcher(inst.queue_dir)
        watcher.start()
        free = fs.fill(0)
        mark = inst.log_mark()
        stage, code, text = smtp_message(inst.smtp_port, "user@test.example", 2000, "full-small")
        check("disk full: smtpd answers 451 4.3.0 at the end of DATA (free: %d bytes)" % free,
              stage == "end" and code == 451 and text.startswith("451 4.3.0"),
              "%s: %s %s" % (stage, code, text))
        check("disk full: cleanup logs the write error",
              inst.log_wait(r"cleanup\[\d+\]: warning: \w+: .*No space left on device",
                            timeout=5, since=mark), inst.log_text()[mark:])
        r = inst.cmd("sendmail", "-f", "sender@test.example", "user@test.example",
                     input="Subject: full-sendmail\n\nbody\n")
        check("disk full: sendmail exits 75 (EX_TEMPFAIL) with a reason",
              r.returncode == 75 and "No space left on device" in r.stderr,
              "exit %d: %s" % (r.returncode, r.stderr))
        check("disk full: nothing is left in incoming/ or maildrop/",
              wait_for(lambda: leftovers(inst) == [] or None, timeout=5) is not None,
              repr(leftovers(inst)))
        free = fs.fill(64 * 1024)
        stage, code, text = smtp_message(inst.smtp_port, "user@test.example", 300 * 1024,
                                         "full-big")
        check("disk full: a 300 KB message with %d bytes free gets 451 4.3.0" % free,
              stage == "end" and code == 451 and text.startswith("451 4.3.0"),
              "%s: %s %s" % (stage, code, text))
        r = inst.cmd("sendmail", "-f", "sender@test.example", "user@test.example",
                     input="Subject: full-big-sendmail\n\n" + "y" * 76 * 4000 + "\n")
        check("disk full: sendmail of a 300 KB message exits 75", r.returncode == 75,
              "exit %d: %s" % (r.returncode, r.stderr))
        check("disk full: the torn files are removed",
              wait_for(lambda: leftovers(inst) == [] or None, timeout=5) is not None,
              repr(leftovers(inst)))
        stage, code, text = smtp_message(inst.smtp_port, LOCAL_USER + "@test.example", 1000, "fits")
        qid = queued_id(text)
        check("disk full: a small message still fits in what is left and is delivered",
              code == 250 and qid and delivered(inst, qid),
              "%s: %s %s\n%s" % (stage, code, text, inst.log_text()[-2000:]))
        case_nearly_full_burst(inst, fs)
        fs.release()
        stage, code, text = smtp_message(inst.smtp_port, LOCAL_USER + "@test.example", 50000,
                                         "after")
        qid = queued_id(text)
        check("disk full: space back: SMTP mail is accepted and delivered",
              code == 250 and qid and delivered(inst, qid), "%s: %s %s" % (stage, code, text))
        mark = inst.log_mark()
        r = inst.cmd("sendmail", "-f", "sender@test.example", LOCAL_USER + "@test.example",
                     input="Subject: after-sendmail\n\nbody\n")
        check("disk full: space back: sendmail works and the message is delivered",
              r.returncode == 0 and inst.log_wait(
                  r"postern/local\[\d+\]: \w+: to=<%s@test.example>,.* status=sent" % LOCAL_USER,
                  timeout=30, since=mark), "exit %d: %s" % (r.returncode, r.stderr))
        # Mail passes through incoming/ and active/ in milliseconds; one
        # message parked in deferred/ gives the watcher a file it surely sees.
        inst.cmd("sendmail", "-f", "sender@test.example", "parked@defer.example",
                 input="Subject: parked\n\nbody\n")
        wait_for(lambda: watcher.checked > 0, timeout=30)
    finally:
        if watcher:
            watcher.stop()
            check("disk full: no file marked complete was ever torn (%d reads)" % watcher.checked,
                  not watcher.bad and watcher.checked > 0,
                  "\n".join("%s: %s" % kv for kv in watcher.bad.items()))
        stop_and_unmount(inst, fs)


def case_nearly_full_burst(inst, fs, count=40):
    """Small messages that fit and large ones that cannot, one after the
    other while delivery frees space: every 250 must be delivered, every
    other reply must be a clean 451."""
    free = fs.fill(48 * 1024)
    accepted, refused, odd = [], 0, []
    for i in range(count):
        stage, code, text = smtp_message(inst.smtp_port, LOCAL_USER + "@test.example",
                                         8000 if i % 2 else 64000, "burst-%d" % i)
        if code == 250 and queued_id(text):
            accepted.append(queued_id(text))
        elif stage == "end" and code == 451 and text.startswith("451 4.3.0"):
            refused += 1
        else:
            odd.append("%s: %s %s" % (stage, code, text))
    lost = [qid for qid in accepted if not delivered(inst, qid, timeout=20)]
    check("disk nearly full (%d bytes free), %d messages: every 250 delivered, the rest 451 "
          "4.3.0 (%d accepted, %d refused)" % (free, count, len(accepted), refused),
          not odd and not lost and refused > 0 and accepted,
          "unexpected replies: %r\naccepted but not delivered: %r" % (odd, lost))
    check("disk nearly full: nothing is left in incoming/ or maildrop/",
          wait_for(lambda: leftovers(inst) == [] or None, timeout=10) is not None,
          repr(leftovers(inst)))


def case_queue_minfree():
    if not IS_ROOT:
        skip("queue_minfree", "mounting a tmpfs needs root")
        return
    settings = dict(BASE, queue_minfree="1000000", message_size_limit="600000")
    inst, fs, spool = tmpfs_instance("minfree", settings)
    if fs.error:
        skip("queue_minfree", "cannot mount a tmpfs: %s" % fs.error)
        return
    text = inst.master_cf_text()
    text = re.sub(r"^(pickup\s+unix\s+\S+\s+\S+\s+\S+\s+)\S+", r"\g<1>2", text, flags=re.M)
    inst.write_master_cf(text)
    try:
        r = inst.start()
        if not check("queue_minfree: instance on a 2 MB tmpfs starts", r.returncode == 0,
                     r.stdout + r.stderr):
            return
        free = fs.free()
        code, text = mail_from(inst.smtp_port, 500000)
        check("queue_minfree: MAIL FROM SIZE=500000 accepted with %d bytes free" % free,
              code == 250, text)
        free = fs.fill(1200 * 1024)
        code, text = mail_from(inst.smtp_port)
        check("queue_minfree: MAIL FROM accepted with %d bytes free (above 1000000)" % free,
              code == 250, text)
        code, text = mail_from(inst.smtp_port, 500000)
        check("queue_minfree: SIZE=500000 with %d bytes free gets 452 4.3.1" % free,
              text == "452 4.3.1 Insufficient system storage", text)
        free = fs.fill(600 * 1024)
        mark = inst.log_mark()
        code, text = mail_from(inst.smtp_port)
        check("queue_minfree: below queue_minfree (%d bytes free) MAIL FROM gets 452 4.3.1" % free,
              text == "452 4.3.1 Insufficient system storage", text)
        check("queue_minfree: the refusal is logged",
              inst.log_wait(r"NOQUEUE: reject: MAIL from \S+: "
                            r"452 4\.3\.1 Insufficient system storage",
                            timeout=5, since=mark), inst.log_text()[mark:])
        r = inst.cmd("sendmail", "-f", "sender@test.example", LOCAL_USER + "@test.example",
                     input="Subject: minfree-sendmail\n\nbody\n")
        time.sleep(3)               # a pickup run or two (wakeup 2s)
        waiting = inst.queue_files("maildrop")
        check("queue_minfree: a local submission meanwhile waits in maildrop/, not imported",
              r.returncode in (0, 75) and (r.returncode == 75 or len(waiting) == 1)
              and not inst.queue_files("incoming"),
              "exit %d: %s\nmaildrop %r incoming %r" % (r.returncode, r.stderr, waiting,
                                                        inst.queue_files("incoming")))
        fs.release()
        code, text = mail_from(inst.smtp_port)
        check("queue_minfree: space back: MAIL FROM accepted again", code == 250, text)
        if r.returncode == 0:
            check("queue_minfree: space back: the waiting submission is delivered",
                  inst.log_wait(r"postern/local\[\d+\]: \w+: to=<%s@test.example>,.* status=sent"
                                % LOCAL_USER, timeout=30) is not None
                  and not inst.queue_files("maildrop"), inst.log_text()[-2000:])
    finally:
        stop_and_unmount(inst, fs)


# ---------------------------------------------------------------- failfs

def build_failfs(directory):
    """Compile the shim; returns (path, None) or (None, reason)."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        return None, "no C compiler"
    out = os.path.join(directory, "failfs.so")
    r = run([cc, "-shared", "-fPIC", "-o", out, FAILFS_SRC, "-ldl"], timeout=120)
    if r.returncode != 0:
        return None, "cc failed: %s" % r.stderr.strip()
    os.chmod(directory, 0o755)
    os.chmod(out, 0o755)
    return out, None


SHIM_PROBE = r"""
import os, sys
d = sys.argv[1]
out = []
fd = os.open(os.path.join(d, "q-incoming-file"), os.O_WRONLY | os.O_CREAT, 0o600)
out.append(os.write(fd, b"a" * 70))
out.append(os.write(fd, b"b" * 70))
try:
    os.write(fd, b"c")
    out.append("write ok")
except OSError as e:
    out.append(e.errno)
try:
    os.fsync(fd)
    out.append("fsync ok")
except OSError as e:
    out.append(e.errno)
other = os.open(os.path.join(d, "other-file"), os.O_WRONLY | os.O_CREAT, 0o600)
out.append(os.write(other, b"d" * 200))
os.fsync(other)
out.append("other fsync ok")
print(out)
"""


def case_shim(so, tmp):
    """failfs itself: faults on matching files only."""
    env = dict(os.environ, LD_PRELOAD=so, FAILFS_FSYNC="EIO", FAILFS_WRITE_AFTER="100",
               FAILFS_PATH="incoming", FAILFS_LOG=os.path.join(tmp, "probe.log"))
    env.pop("ASAN_OPTIONS", None)
    r = run([sys.executable, "-c", SHIM_PROBE, tmp], env=env)
    want = "[70, 30, 28, 5, 200, 'other fsync ok']"
    check("failfs: short write at the limit, then ENOSPC; fsync EIO; other files untouched",
          r.stdout.strip() == want, "got %r want %r\n%s" % (r.stdout.strip(), want, r.stderr))
    env["FAILFS_PROG"] = "not-this-program"
    r = run([sys.executable, "-c", SHIM_PROBE, tmp], env=env)
    check("failfs: FAILFS_PROG confines the faults to the named program",
          r.stdout.strip() == "[70, 70, 'write ok', 'fsync ok', 200, 'other fsync ok']",
          r.stdout + r.stderr)


def asan_build():
    r = run(["ldd", os.path.join(LIBEXECDIR, "cleanup")])
    return "libasan" in r.stdout


def failfs_instance(name, so, log, faults, master_cf_replace=None):
    """An instance whose daemons get the shim (active in cleanup only)."""
    inst = Instance(name=name, main_cf=dict(BASE), master_cf_replace=master_cf_replace)
    set_faults(inst, so, log, faults)
    text = inst.master_cf_text()
    text = re.sub(r"^(pickup\s+unix\s+\S+\s+\S+\s+\S+\s+)\S+", r"\g<1>2", text, flags=re.M)
    inst.write_master_cf(text)
    return inst


def set_faults(inst, so, log, faults):
    """import_environment: the defaults plus the shim and its settings."""
    items = ["MAIL_CONFIG", "MAIL_DEBUG", "MAIL_LOGTAG", "TZ", "LANG=C",
             "LD_PRELOAD=" + so, "FAILFS_PROG=cleanup", "FAILFS_PATH=/incoming/",
             "FAILFS_LOG=" + log]
    items += ["%s=%s" % kv for kv in sorted(faults.items())]
    inst.set_main_cf({"import_environment": " ".join(items)})


def fault_log(log):
    try:
        with open(log) as f:
            return f.read()
    except OSError:
        return ""


def case_fsync_error(so, tmp):
    log = os.path.join(tmp, "fsync.log")
    open(log, "w").close()
    os.chmod(log, 0o666)
    inst = failfs_instance("fsync", so, log, {"FAILFS_FSYNC": "EIO"},
                           master_cf_replace={"qmgr": None})
    r = inst.start()
    if not check("fsync error: instance with failfs starts", r.returncode == 0,
                 r.stdout + r.stderr):
        return
    watcher = Watcher(inst.queue_dir)
    watcher.start()
    mark = inst.log_mark()
    stage, code, text = smtp_message(inst.smtp_port, "user@test.example", 3000, "fsync-smtp")
    check("fsync error: the message is refused with 451 4.3.0, never acknowledged",
          stage == "end" and code == 451 and text.startswith("451 4.3.0"),
          "%s: %s %s" % (stage, code, text))
    check("fsync error: the fault fired in cleanup on an incoming/ file",
          re.search(r"prog cleanup: fsync fd \d+ \S+/incoming/\w+: EIO", fault_log(log)),
          fault_log(log) or "(failfs log empty)")
    check("fsync error: cleanup logs the failed commit",
          inst.log_wait(r"cleanup\[\d+\]: warning: \w+: commit queue file: Input/output error",
                        timeout=5, since=mark), inst.log_text()[mark:])
    check("fsync error: no file remains in incoming/",
          wait_for(lambda: not leftovers(inst, ("incoming",)) or None, timeout=5),
          repr(leftovers(inst, ("incoming",))))
    r = inst.cmd("sendmail", "-f", "sender@test.example", "user@test.example",
                 input="Subject: fsync-sendmail\n\nbody\n")
    check("fsync error: sendmail still succeeds (maildrop is not affected)", r.returncode == 0,
          "exit %d: %s" % (r.returncode, r.stderr))
    waiting = wait_for(lambda: inst.log_wait(r"pickup\[\d+\]: .*will try again later", 0.1)
                       and inst.queue_files("maildrop"), timeout=15)
    check("fsync error: pickup keeps the submission in maildrop/ (not lost, not imported)",
          waiting and len(waiting) == 1 and not inst.queue_files("incoming"),
          "maildrop %r incoming %r\n%s" % (inst.queue_files("maildrop"),
                                           inst.queue_files("incoming"), inst.log_text()[mark:]))
    inst.stop()
    set_faults(inst, so, log, {})
    r = inst.start()
    check("fsync error: fault gone (shim still loaded): instance restarts", r.returncode == 0,
          r.stderr)
    stage, code, text = smtp_message(inst.smtp_port, "user@test.example", 3000, "fsync-after")
    check("fsync error: fault gone: SMTP mail gets 250", code == 250,
          "%s: %s %s" % (stage, code, text))
    check("fsync error: fault gone: the waiting submission reaches incoming/",
          wait_for(lambda: not inst.queue_files("maildrop")
                   and len(inst.queue_files("incoming")) == 2, timeout=20),
          "maildrop %r incoming %r" % (inst.queue_files("maildrop"), inst.queue_files("incoming")))
    watcher.stop()
    check("fsync error: no file marked complete was ever torn (%d reads)" % watcher.checked,
          not watcher.bad, "\n".join("%s: %s" % kv for kv in watcher.bad.items()))
    inst.stop()


def case_write_error(so, tmp):
    log = os.path.join(tmp, "write.log")
    open(log, "w").close()
    os.chmod(log, 0o666)
    inst = failfs_instance("writefail", so, log, {"FAILFS_WRITE_AFTER": "4096"},
                           master_cf_replace={"qmgr": None})
    r = inst.start()
    if not check("write error: instance with failfs starts", r.returncode == 0,
                 r.stdout + r.stderr):
        return
    watcher = Watcher(inst.queue_dir)
    watcher.start()
    mark = inst.log_mark()
    stage, code, text = smtp_message(inst.smtp_port, "user@test.example", 40000, "write-big")
    check("write error: ENOSPC after 4096 bytes: a 40 KB message gets 451 4.3.0",
          stage == "end" and code == 451 and text.startswith("451 4.3.0"),
          "%s: %s %s" % (stage, code, text))
    check("write error: the fault fired in cleanup",
          re.search(r"prog cleanup: (write|writev|pwrite) fd \d+ \S+/incoming/\w+: ENOSPC",
                    fault_log(log)), fault_log(log) or "(failfs log empty)")
    check("write error: cleanup logs the write error",
          inst.log_wait(r"cleanup\[\d+\]: warning: \w+: .*No space left on device",
                        timeout=5, since=mark), inst.log_text()[mark:])
    check("write error: no file remains in incoming/",
          wait_for(lambda: not leftovers(inst, ("incoming",)) or None, timeout=5),
          repr(leftovers(inst, ("incoming",))))
    stage, code, text = smtp_message(inst.smtp_port, "user@test.example", 500, "write-small")
    qid = queued_id(text)
    path = os.path.join(inst.queue_dir, "incoming", qid) if qid else None
    whole = ""
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            whole = whole_problem(f.read(), False) or "whole"
    check("write error: a message that fits below the limit is accepted, whole",
          code == 250 and whole == "whole", "%s: %s %s; file: %s" % (stage, code, text, whole))
    watcher.stop()
    check("write error: no file marked complete was ever torn (%d reads)" % watcher.checked,
          not watcher.bad, "\n".join("%s: %s" % kv for kv in watcher.bad.items()))
    inst.stop()


def case_failfs():
    tmp = tempfile.mkdtemp(prefix="postern-failfs-")
    try:
        so, why = build_failfs(tmp)
        if so is None:
            skip("fsync and write errors", why)
            return
        case_shim(so, tmp)
        if asan_build():
            # failfs comes before the ASan runtime in the library list.
            opts = os.environ.get("ASAN_OPTIONS", "")
            os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "verify_asan_link_order=0"
        case_fsync_error(so, tmp)
        case_write_error(so, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    case_disk_full()
    case_queue_minfree()
    case_failfs()
    done()


if __name__ == "__main__":
    main()
