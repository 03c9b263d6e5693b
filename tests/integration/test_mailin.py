"""test_mailin - local submission and cleanup: sendmail, postdrop, pickup,
cleanup, the queue files they write, in_flow_delay and durability.

Every case runs against a real instance (postern start) without qmgr, so
accepted mail stays in incoming/ where the test reads it back with a
parser of the record format of lib/global/record.h.
"""

import os
import re
import signal
import socket
import stat
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import Instance, check, done, run, wait_for, skip  # noqa: E402

# Services this test needs; qmgr is left out so that files stay in incoming.
NO_QMGR = {"qmgr": None}


# ---------------------------------------------------------------- queue files

def records(data):
    """(type, bytes) pairs of a record stream; raises ValueError on junk."""
    out = []
    i = 0
    while i < len(data):
        rtype = chr(data[i])
        i += 1
        n = shift = 0
        for _ in range(4):
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
            raise ValueError("record past end of file at %d" % i)
        out.append((rtype, data[i:i + n]))
        i += n
    return out


class QueueFile:
    """A parsed queue file: envelope, header and body lines, checks."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        self.mode = stat.S_IMODE(os.stat(path).st_mode)
        self.recs = records(self.raw)
        self.types = "".join(t for t, _ in self.recs)
        self.sender = self._one("S")
        self.rcpts = [d.decode() for t, d in self.recs if t == "R"]
        self.attrs = dict(d.decode().split("=", 1) for t, d in self.recs if t == "A")
        self.lines = self._content()
        blank = self.lines.index("") if "" in self.lines else len(self.lines)
        self.headers = self.lines[:blank]
        self.body = self.lines[blank + 1:]

    def _one(self, rtype):
        vals = [d.decode() for t, d in self.recs if t == rtype]
        return vals[0] if vals else None

    def _content(self):
        lines, cur, inside = [], b"", False
        for t, d in self.recs:
            if t == "M":
                inside = True
            elif t == "X":
                inside = False
            elif inside and t == "L":
                cur += d
            elif inside and t == "N":
                lines.append((cur + d).decode("utf-8", "replace"))
                cur = b""
        return lines

    def complete(self):
        """Why the file is not a complete queue file, or ''."""
        if not self.recs or self.recs[0][0] != "C":
            return "no SIZE record first"
        if self.recs[-1][0] != "E":
            return "no END record last"
        size = [int(x) for x in self.recs[0][1].split()]
        offset = 0
        for t, d in self.recs:
            if t == "M":
                break
            offset += 1 + len(_enc_len(len(d))) + len(d)
        if size[1] != offset:
            return "SIZE content offset %d, MESG at %d" % (size[1], offset)
        if size[2] != self.types.count("R") + self.types.count("D"):
            return "SIZE recipient count %d" % size[2]
        return ""


def _enc_len(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def queue_files(inst, queue):
    return [QueueFile(os.path.join(inst.queue_dir, queue, qid))
            for qid in inst.queue_files(queue)]


def complete_files(inst, queue):
    """Queue files that cleanup finished (mode 0700), parsed."""
    done_files = []
    for qid in inst.queue_files(queue):
        path = os.path.join(inst.queue_dir, queue, qid)
        try:
            if stat.S_IMODE(os.stat(path).st_mode) & 0o100:
                done_files.append(QueueFile(path))
        except (OSError, ValueError, IndexError, struct.error):
            pass
    return done_files


def wait_files(inst, queue, count, timeout=15):
    return wait_for(lambda: len(inst.queue_files(queue)) >= count and
                    inst.queue_files(queue), timeout=timeout)


def header(qf, name):
    """Values of the headers called name (unfolded, first line only)."""
    pat = name.lower() + ":"
    return [h.split(":", 1)[1].strip() for h in qf.headers if h.lower().startswith(pat)]


def sendmail(inst, args, text, timeout=30):
    return inst.cmd("sendmail", *args, input=text, timeout=timeout)


# ---------------------------------------------------------------- cases

def case_stopped_then_started():
    inst = Instance(name="mailin-stop", master_cf_replace=NO_QMGR)
    r = inst.postern("check")
    r = sendmail(inst, ["-f", "alice", "bob@example.com"],
                 "Subject: while stopped\n\nbody one\n")
    check("sendmail works while stopped (exit 0)", r.returncode == 0,
          "status %d\n%s" % (r.returncode, r.stderr))
    drop = inst.queue_files("maildrop")
    check("message waits in maildrop", len(drop) == 1, repr(drop))
    if drop:
        mode = stat.S_IMODE(os.stat(os.path.join(inst.queue_dir, "maildrop", drop[0])).st_mode)
        check("maildrop file is complete (owner rwx)", mode & 0o700 == 0o700, oct(mode))
    r = inst.start()
    check("instance starts", r.returncode == 0, r.stderr)
    files = wait_for(lambda: not inst.queue_files("maildrop") and inst.queue_files("incoming"),
                     timeout=15)
    check("maildrop mail flows to incoming after start", files,
          "incoming %r maildrop %r\n%s" % (files, inst.queue_files("maildrop"), inst.log_text()))
    if files:
        qf = queue_files(inst, "incoming")[0]
        check("queue file complete, mode 0700", qf.complete() == "" and qf.mode == 0o700,
              "%s mode %o" % (qf.complete(), qf.mode))
        uid = os.geteuid()
        check("pickup logs uid and sender",
              inst.log_wait(r"pickup\[\d+\]: %s: uid=%d from=<alice>" % (files[0], uid), 5),
              inst.log_text())
        check("cleanup logs message-id",
              inst.log_wait(r"cleanup\[\d+\]: %s: message-id=<%s@test.example>" % (files[0], files[0]), 5),
              inst.log_text())
    inst.stop()


def case_flags(inst):
    """sendmail options end up in the queue file."""
    mark = len(inst.queue_files("incoming"))
    text = ("To: Joe <joe@example.com>\r\nCc: cc@example.com\r\nBcc: hidden@example.com\r\n"
            "Subject: flags\r\n\r\nline one\r\n.\r\nafter dot\nbare LF line\n")
    r = sendmail(inst, ["-t", "-i", "-f", "<sender@example.com>", "-F", "Sam Sender",
                        "-N", "success,failure", "-R", "hdrs", "-V", "env42",
                        "-B", "8BITMIME", "-oem", "-odb", "extra@example.com"], text)
    check("sendmail -t -i -f -F -N -R -V -B exits 0", r.returncode == 0, r.stderr)
    wait_files(inst, "incoming", mark + 1)
    # The file shows up before cleanup finished writing it: wait until a
    # complete one with this sender can be read.
    qf = wait_for(lambda: [q for q in complete_files(inst, "incoming")
                           if q.sender == "sender@example.com"], timeout=15) or []
    if not check("flag message queued", len(qf) == 1, inst.log_text()):
        return
    qf = qf[0]
    check("-t adds header recipients to command line recipients",
          sorted(qf.rcpts) == ["cc@example.com", "extra@example.com", "hidden@example.com",
                               "joe@example.com"], repr(qf.rcpts))
    check("Bcc header removed", not header(qf, "bcc"), repr(qf.headers))
    check("-N sets notify flags on every recipient", qf.types.count("Y") == 4, qf.types)
    check("-V, -R, -B become attributes",
          qf.attrs.get("envelope_id") == "env42" and qf.attrs.get("ret_flags") == "2"
          and qf.attrs.get("encoding") == "8BITMIME", repr(qf.attrs))
    check("-F gives From: with the full name",
          header(qf, "from") == ["Sam Sender <sender@example.com>"], repr(qf.headers))
    check("-i keeps the lone dot; CR LF and bare LF are lines",
          qf.body == ["line one", ".", "after dot", "bare LF line"], repr(qf.body))
    check("Received: header for a local submission",
          qf.headers[0] == "Received: by test.example (Postern, from userid %d)" % os.geteuid(),
          repr(qf.headers[:2]))
    check("Date: and Message-Id: added",
          len(header(qf, "date")) == 1 and header(qf, "message-id") ==
          ["<%s@test.example>" % qf_id(inst, qf)], repr(qf.headers))


def qf_id(inst, qf):
    for qid in inst.queue_files("incoming"):
        with open(os.path.join(inst.queue_dir, "incoming", qid), "rb") as f:
            if f.read() == qf.raw:
                return qid
    return None


def case_dot_and_exact(inst):
    """Default: a lone dot ends the input; content is kept byte for byte."""
    mark = len(inst.queue_files("incoming"))
    long_line = "x" * 5000
    text = ("Subject: exact\n\n  leading spaces\ttab\n..two dots\n" + long_line +
            "\ntrailing   \n\xe4\xf6 utf8\n.\nnot part of the message\n")
    r = sendmail(inst, ["-f", "exact@example.com", "r@example.com"], text)
    check("sendmail without -i exits 0", r.returncode == 0, r.stderr)
    wait_files(inst, "incoming", mark + 1)
    qf = [q for q in queue_files(inst, "incoming") if q.sender == "exact@example.com"]
    if not check("exact message queued", len(qf) == 1, inst.log_text()):
        return
    qf = qf[0]
    check("lone dot ends the message, body byte-exact",
          qf.body == ["  leading spaces\ttab", "..two dots", long_line, "trailing   ",
                      "\xe4\xf6 utf8"], repr(qf.body)[:500])
    check("long line stored in pieces of line_length_limit",
          "L" in qf.types and all(len(d) <= 2048 for t, d in qf.recs if t in "LN"),
          qf.types)


def case_errors(inst):
    r = sendmail(inst, ["-Z", "a@example.com"], "x\n")
    check("bad option: exit 75 with a fatal message",
          r.returncode == 75 and "sendmail: fatal: invalid option" in r.stderr,
          "%d %s" % (r.returncode, r.stderr))
    r = sendmail(inst, [], "Subject: nobody\n\nx\n")
    check("no recipients and no -t: exit 75",
          r.returncode == 75 and "Recipient addresses must be specified" in r.stderr,
          "%d %s" % (r.returncode, r.stderr))
    r = sendmail(inst, ["-N", "sometimes", "a@example.com"], "x\n")
    check("bad -N value: exit 75", r.returncode == 75, "%d %s" % (r.returncode, r.stderr))


def case_size_limit():
    inst = Instance(name="mailin-size", master_cf_replace=NO_QMGR,
                    main_cf={"message_size_limit": "3000"})
    inst.postern("check")
    r = sendmail(inst, ["-f", "big@example.com", "r@example.com"],
                 "Subject: big\n\n" + ("y" * 70 + "\n") * 100)
    check("message over message_size_limit: sendmail exits 75",
          r.returncode == 75 and "message file too big" in r.stderr,
          "%d %s" % (r.returncode, r.stderr))
    check("postdrop warns File too large", "postdrop: warning: uid=%d: File too large" % os.geteuid()
          in r.stderr, r.stderr)
    check("nothing left in maildrop", inst.queue_files("maildrop") == [],
          repr(inst.queue_files("maildrop")))
    inst.cleanup()


def case_other_modes(inst):
    r = inst.cmd("sendmail", "-bp")
    q = inst.cmd("postqueue", "-p")
    check("sendmail -bp runs postqueue -p", r.returncode == q.returncode and r.stdout == q.stdout,
          "%d %r / %d %r" % (r.returncode, r.stdout[:200], q.returncode, q.stdout[:200]))
    m = run([os.path.join(inst.bindir, "mailq")],
            env=dict(os.environ, MAIL_CONFIG=inst.config_dir))
    check("mailq (argv[0]) runs postqueue -p", m.returncode == q.returncode and m.stdout == q.stdout,
          "%d %r %s" % (m.returncode, m.stdout[:200], m.stderr))
    aliases = os.path.join(inst.root, "aliases")
    with open(aliases, "w") as f:
        f.write("postmaster: root\nabuse: root\n")
    inst.set_main_cf({"alias_database": "hash:" + aliases})
    r = run([os.path.join(inst.bindir, "newaliases")],
            env=dict(os.environ, MAIL_CONFIG=inst.config_dir))
    check("newaliases builds alias_database", r.returncode == 0 and
          os.path.exists(aliases + ".db"), "%d %s" % (r.returncode, r.stderr))
    os.unlink(aliases + ".db")
    r = inst.cmd("sendmail", "-bi")
    check("sendmail -bi builds alias_database", r.returncode == 0 and
          os.path.exists(aliases + ".db"), "%d %s" % (r.returncode, r.stderr))
    r = inst.cmd("sendmail", "-q")
    f = inst.cmd("postqueue", "-f")
    check("sendmail -q runs postqueue -f (same status)", r.returncode == f.returncode,
          "%d %s / %d %s" % (r.returncode, r.stderr, f.returncode, f.stderr))
    smtpd = os.path.join(inst.libexecdir, "smtpd")
    if os.path.exists(smtpd):
        r = inst.cmd("sendmail", "-bs", input="HELO client.example\r\nQUIT\r\n", timeout=30)
        check("sendmail -bs speaks SMTP on stdin/stdout",
              r.stdout.startswith("220 ") and "\n221 " in r.stdout,
              "%d %r %s" % (r.returncode, r.stdout, r.stderr))
    else:
        skip("sendmail -bs speaks SMTP on stdin/stdout", "smtpd not built")


def case_corrupt(inst):
    """A malformed maildrop file goes to corrupt/ with a warning."""
    bad = "1xVQKH0ohCjyC7"
    path = os.path.join(inst.queue_dir, "maildrop", bad)
    with open(path, "wb") as f:
        f.write(b"T\x0c1669000000 1S\x05aliceM\x00N\x01xX\x00E\x00")  # no recipient
    os.chmod(path, 0o744)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    mark = inst.log_mark()
    r = sendmail(inst, ["-f", "after@example.com", "r@example.com"], "Subject: after\n\nx\n")
    check("submission next to a corrupt file works", r.returncode == 0, r.stderr)
    m = inst.log_wait(r"pickup\[\d+\]: warning: maildrop/%s: uid=\d+: corrupt queue file "
                      r"\(offset \d+: no recipients\): moved to corrupt/%s" % (bad, bad), 10, mark)
    check("corrupt maildrop file: warning logged", m, inst.log_text()[mark:])
    check("corrupt maildrop file moved to corrupt/", bad in inst.queue_files("corrupt")
          and bad not in inst.queue_files("maildrop"), repr(inst.queue_files("corrupt")))
    half = "1xVQKH0ohCjyC8"
    path = os.path.join(inst.queue_dir, "maildrop", half)
    with open(path, "wb") as f:
        f.write(b"T\x0c1669000000 1S\x05alice")
    os.chmod(path, 0o644)
    r = sendmail(inst, ["-f", "again@example.com", "r@example.com"], "x\n")
    wait_for(lambda: not [q for q in inst.queue_files("maildrop") if q != half], timeout=10)
    check("file still being written (owner rw-) is left alone",
          half in inst.queue_files("maildrop") and half not in inst.queue_files("corrupt"),
          repr(inst.queue_files("maildrop")))
    os.unlink(path)


# ---------------------------------------------------------------- cleanup protocol

def attr_list(items):
    out = b""
    for name, value in items:
        if isinstance(value, int):
            out += b"N" + bytes([len(name)]) + name.encode() + struct.pack(">I", len(str(value))) + str(value).encode()
        else:
            v = value if isinstance(value, bytes) else value.encode()
            out += b"D" + bytes([len(name)]) + name.encode() + struct.pack(">I", len(v)) + v
    return out + b"\0"


def attr_read(sock):
    """One attribute list as a dict of name -> bytes."""
    out = {}
    f = sock.makefile("rb")
    try:
        while True:
            t = f.read(1)
            if not t:
                raise EOFError("connection closed")
            if t == b"\0":
                return out
            n = f.read(1)[0]
            name = f.read(n).decode()
            (ln,) = struct.unpack(">I", f.read(4))
            out[name] = f.read(ln)
    finally:
        f.close()


def cleanup_connect(inst, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(os.path.join(inst.queue_dir, "public", "cleanup"))
    hello = attr_read(s)
    reply = attr_read(s)
    return s, hello, reply


def cleanup_records(recs):
    return b"".join(attr_list([("record_type", ord(t)), ("data", d)]) for t, d in recs)


def case_cleanup_abort(inst):
    """A client that hangs up mid-message leaves no file; kill -9 of cleanup
    mid-write leaves no complete-looking half file."""
    before = set(inst.queue_files("incoming"))
    s, hello, reply = cleanup_connect(inst)
    check("cleanup greets with proto=cleanup and a queue ID",
          hello.get("proto") == b"cleanup" and reply.get("status") == b"0" and reply.get("queue_id"),
          repr((hello, reply)))
    qid = reply.get("queue_id", b"").decode()
    s.sendall(attr_list([("flags", 0)]) + cleanup_records(
        [("S", b"a@example.com"), ("R", b"b@example.com"), ("M", b""), ("N", b"Subject: half")]))
    time.sleep(0.3)
    check("file being written is mode 0600", stat.S_IMODE(os.stat(
        os.path.join(inst.queue_dir, "incoming", qid)).st_mode) == 0o600 if qid in
        inst.queue_files("incoming") else False, repr(inst.queue_files("incoming")))
    s.close()
    gone = wait_for(lambda: qid not in inst.queue_files("incoming"), timeout=10)
    check("client hang-up: half file removed", gone, repr(inst.queue_files("incoming")))

    # kill -9 the cleanup process while it writes a big message
    s, hello, reply = cleanup_connect(inst)
    qid = reply.get("queue_id", b"").decode()
    s.sendall(attr_list([("flags", 0)]) + cleanup_records(
        [("S", b"a@example.com"), ("R", b"b@example.com"), ("M", b"")] +
        [("N", b"z" * 900)] * 200))
    time.sleep(0.3)
    pids = inst.children("cleanup")
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    s.close()
    time.sleep(0.5)
    bad = []
    for q in inst.queue_files("incoming"):
        if q in before:
            continue
        p = os.path.join(inst.queue_dir, "incoming", q)
        mode = stat.S_IMODE(os.stat(p).st_mode)
        if mode & 0o100:
            qf = QueueFile(p)
            if qf.complete():
                bad.append("%s: %s" % (q, qf.complete()))
    check("kill -9 of cleanup mid-write: no half file marked complete",
          pids and not bad, "killed %r; %r" % (pids, bad))
    leftover = qid in inst.queue_files("incoming") and stat.S_IMODE(
        os.stat(os.path.join(inst.queue_dir, "incoming", qid)).st_mode)
    check("the killed message's file (if any) is still 0600", leftover in (False, 0o600),
          repr(leftover))


def case_protocol_error(inst):
    s, hello, reply = cleanup_connect(inst)
    qid = reply.get("queue_id", b"").decode()
    s.sendall(attr_list([("flags", 0)]) + cleanup_records(
        [("R", b"b@example.com"), ("M", b""), ("N", b"x"), ("X", b""), ("E", b"")]))
    verdict = attr_read(s)
    s.close()
    check("message without sender: internal protocol error (status 1)",
          verdict.get("status") == b"1" and b"without sender" in verdict.get("reason", b""),
          repr(verdict))
    check("rejected message leaves no file", qid not in inst.queue_files("incoming"),
          repr(inst.queue_files("incoming")))


def case_in_flow_delay():
    """No qmgr hands out tokens: cleanup waits in_flow_delay per message."""
    for delay, want in (("0s", "fast"), ("1s", "slow")):
        inst = Instance(name="mailin-flow", master_cf_replace=NO_QMGR,
                        main_cf={"in_flow_delay": delay})
        inst.postern("check")
        for i in range(3):
            r = sendmail(inst, ["-f", "flow%d@example.com" % i, "r@example.com"], "x\n")
        t0 = time.monotonic()
        inst.start()
        files = wait_files(inst, "incoming", 3, timeout=30)
        elapsed = time.monotonic() - t0
        if want == "slow":
            check("in_flow_delay=1s without tokens: 3 messages take >= 2s (%.1fs)" % elapsed,
                  files and elapsed >= 2.0, "files %r" % (files,))
        else:
            check("in_flow_delay=0: 3 messages without waiting (%.1fs)" % elapsed,
                  files and elapsed < 2.0, "files %r" % (files,))
        inst.stop()
        inst.cleanup()


def main():
    case_stopped_then_started()
    inst = Instance(name="mailin", master_cf_replace=NO_QMGR)
    inst.postern("check")
    r = inst.start()
    check("instance starts", r.returncode == 0, r.stderr)
    case_flags(inst)
    case_dot_and_exact(inst)
    case_errors(inst)
    case_corrupt(inst)
    case_other_modes(inst)
    case_cleanup_abort(inst)
    case_protocol_error(inst)
    inst.stop()
    case_size_limit()
    case_in_flow_delay()
    done()


if __name__ == "__main__":
    main()
