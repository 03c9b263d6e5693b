#!/usr/bin/env python3
"""test_security - the privilege and security audit of docs/security.md.

Real instances, real processes, real clients. What each part proves:

  privileges   with every daemon exercised (an SMTP session, local
               delivery, a bounce, a local submission, a queue listing),
               sampled from /proc: only master and local run as root;
               every other daemon has mail_owner's user and group IDs in
               all four slots, no root group and no capabilities; local
               writes a mailbox as its owner.
  jail         smtpd, cleanup and pickup with chroot = y: their root
               directory is queue_directory (/proc/PID/root), files
               outside it do not exist for them, and mail still flows; a
               lookup the jail makes impossible (unix:passwd.byname in a
               chrooted smtpd) must not become a permanent 5xx.
  queue        queue directories are closed to other users and queue
               files are private; an ordinary user (postern-test) can
               neither list nor read them.
  submission   postdrop is the only way in for users: postern-test
               cannot write into maildrop/ or incoming/ nor connect to
               any service socket; sendmail fails without the set-gid
               bit on postdrop and works with it (installed as make
               install does); postdrop refuses malformed records itself.
               A set-gid postdrop reads /etc/postern/main.cf to allow
               the test's configuration directory: those commands run in
               a private mount namespace with an overlay on /etc, so the
               real /etc is never touched.
  relay        a client outside mynetworks tries the classic relay
               tricks (percent hack, source routes, quoted local parts,
               bang paths, IP literals, trailing dots, look-alike
               domains): each RCPT is refused (454 4.7.1 by default, 554
               5.7.1 with reject_unauth_destination, or 501 for bad
               syntax), or, when accepted, the message is delivered by
               local and never leaves through another transport
               (default_transport points at the error agent, so a relay
               shows up as a bounce from error).
  smuggling    bare LF / bare CR end-of-data variants never end DATA:
               exactly one message is queued, holding the smuggled
               commands as content.
  injection    CR/LF in sendmail -f, -r, -F, -V and in recipients is
               refused or neutralised: no extra header line, no envelope
               record with a line break, no recipient that came from the
               injected text.

Root is needed for the privilege, jail, queue and submission parts (they
print "ok - NAME # SKIP reason" otherwise); relay, smuggling and
injection run for any user.
"""

import grp
import os
import pwd
import re
import shutil
import socket
import stat
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, BINDIR, IS_ROOT, TOP, check, done,  # noqa: E402
                          free_port, not_ok, run, set_chroot, skip, unprivileged_user,
                          wait_for)
from postern_queue import record  # noqa: E402

OUTSIDE = "127.0.0.3"           # a client address outside mynetworks
INSIDE = "127.0.0.2"            # the only address in mynetworks
MYNETWORKS = INSIDE + "/32"
RELAY_MARK = "relay test: routed off this host"
SENDER = "postern-test@test.example"

# ---------------------------------------------------------------- SMTP


class Client:
    """A raw SMTP client bound to a chosen source address."""

    def __init__(self, port, source=OUTSIDE, timeout=10):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.bind((source, 0))
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            self.sock.sendall(data)
        except OSError:
            pass                # the next reply() reports the closed connection

    def _line(self):
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode(errors="replace")

    def reply(self):
        """(code, text) of one reply; (None, text so far) on EOF/timeout."""
        lines = []
        for _ in range(100):
            line = self._line()
            if line is None:
                return None, "\n".join(lines)
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                code = int(line[:3]) if line[:3].isdigit() else None
                return code, "\n".join(lines)
        return None, "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def session(port, source=OUTSIDE, sender=SENDER):
    """A client past the greeting, EHLO and MAIL FROM; None on failure."""
    try:
        c = Client(port, source)
    except OSError:
        return None
    c.reply()
    c.cmd("EHLO client.example")
    code, _ = c.cmd("MAIL FROM:<%s>" % sender)
    if code != 250:
        c.close()
        return None
    return c


def send_data(c, body):
    """DATA, the body (bytes, with its end), the reply to the final dot."""
    code, text = c.cmd("DATA")
    if code != 354:
        return code, text
    c.send(body)
    return c.reply()


def queued_id(text):
    m = re.search(r"queued as ([0-9A-Za-z]+)", text or "")
    return m.group(1) if m else None


# ---------------------------------------------------------------- queue files

def records(data):
    """(type, bytes) pairs of a record stream; raises ValueError on junk."""
    out = []
    i = 0
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


class QueueFile:
    """Envelope and content of a queue (or maildrop) file."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        self.recs = records(self.raw)
        types = [t for t, _ in self.recs]
        mesg = types.index("M") if "M" in types else len(types)
        self.envelope = self.recs[:mesg]
        self.sender = next((d.decode(errors="replace") for t, d in self.recs if t == "S"), None)
        self.rcpts = [d.decode(errors="replace") for t, d in self.recs if t in "RDO"]
        self.lines = []
        cur, inside = b"", False
        for t, d in self.recs:
            if t == "M":
                inside = True
            elif t == "X":
                inside = False
            elif inside and t == "L":
                cur += d
            elif inside and t == "N":
                self.lines.append((cur + d).decode("utf-8", "replace"))
                cur = b""
        blank = self.lines.index("") if "" in self.lines else len(self.lines)
        self.headers = self.lines[:blank]


def find_file(inst, qid):
    for d, dirs, files in os.walk(inst.queue_dir):
        if qid in files:
            return os.path.join(d, qid)
    return None


def queue_ids(inst, queues=("maildrop", "incoming", "active", "deferred", "hold")):
    return {q: set(inst.queue_files(q)) for q in queues}


def new_files(inst, before, queues=("maildrop", "incoming")):
    """[(queue, id)] that were not there in before."""
    out = []
    for q in queues:
        out += [(q, i) for i in sorted(set(inst.queue_files(q)) - before.get(q, set()))]
    return out


def file_with(inst, marker, queues=("incoming",)):
    """Path of a queue file whose content holds marker, or None."""
    for q in queues:
        for qid in inst.queue_files(q):
            path = find_file(inst, qid)
            try:
                with open(path, "rb") as f:
                    if marker.encode() in f.read():
                        return path
            except (OSError, TypeError):
                continue
    return None


# ---------------------------------------------------------------- processes

def proc_status(pid):
    """Name, Uid, Gid, Groups and CapEff of a process, or None."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("Name", "Uid", "Gid", "Groups", "CapEff"):
                    out[key] = value.split()
    except OSError:
        return None
    return out if "Uid" in out else None


class Sampler(threading.Thread):
    """Records the credentials of master and its children every 50 ms.

    Each process keeps its latest sighting: a daemon starts as root (it is
    master's child) and drops its privileges in the server skeleton, so
    only the settled state counts. A child seen only between fork and exec
    (still called "master") is left out."""

    def __init__(self, inst, limit=600):
        super().__init__(daemon=True)
        self.inst = inst
        self.limit = limit
        self.seen = {}          # pid -> status dict (latest sighting)
        self.halt = threading.Event()

    def sample(self):
        master = self.inst.master_pid()
        pids = ([master] if master else []) + self.inst.children()
        for pid in pids:
            st = proc_status(pid)
            if st:
                st["is_master"] = pid == master
                if st["is_master"] or st["Name"][0] != "master":
                    self.seen[pid] = st

    def run(self):
        deadline = time.monotonic() + self.limit
        while not self.halt.is_set() and time.monotonic() < deadline:
            self.sample()
            self.halt.wait(0.05)

    def stop(self):
        self.halt.set()
        self.join(10)
        self.sample()


def describe(st):
    return "%s uid=%s gid=%s groups=%s capeff=%s" % (
        st["Name"][0], "/".join(st["Uid"]), "/".join(st["Gid"]),
        ",".join(st.get("Groups", [])) or "-", (st.get("CapEff") or ["?"])[0])


# ---------------------------------------------------------------- users

def as_user(user, argv, input=None, env=None, timeout=30):
    return run(argv, input=input, env=env, timeout=timeout, user=user)


def user_python(user):
    """A python3 the user can run, or None."""
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3", sys.executable):
        if os.access(cand, os.X_OK) \
                and as_user(user, [cand, "-c", "print(1)"]).stdout.strip() == "1":
            return cand
    return None


def denied(r):
    return r.returncode != 0 and "ermission denied" in (r.stdout + r.stderr)


def instance_setting(inst, name):
    r = inst.cmd("postconf", "-h", name)
    return r.stdout.strip() if r.returncode == 0 else ""


def set_wakeup(inst, service, seconds):
    lines = []
    for line in inst.master_cf_text().split("\n"):
        f = line.split()
        if len(f) >= 8 and f[0] == service and f[1] == "unix":
            f[5] = str(seconds)
            line = " ".join(f)
        lines.append(line)
    inst.write_master_cf("\n".join(lines))


# ---------------------------------------------------------------- relay tricks

def host_addresses():
    """Non-loopback addresses of this host's interfaces (IPv4 and IPv6)."""
    out = []
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                hexaddr, scope = line.split()[0], line.split()[3]
                if scope == "00":   # global scope only
                    out.append("IPv6:" + socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hexaddr)))
    except OSError:
        pass
    r = run(["hostname", "-I"], timeout=10)
    for addr in r.stdout.split():
        if ":" not in addr and not addr.startswith("127."):
            out.insert(0, addr)
    return out


def relay_tricks():
    """(description, RCPT address) pairs, all aimed at other.example."""
    tricks = [
        ("plain remote address", "user@other.example"),
        ("percent hack", "user%other.example@test.example"),
        ("percent hack, unqualified", "user%other.example"),
        ("percent hack via localhost", "user%other.example@localhost"),
        ("percent hack via our IP literal", "user%other.example@[127.0.0.1]"),
        ("double percent hack", "user%other.example%test.example@test.example"),
        ("source route", "@route.example:user@other.example"),
        ("source route through the local domain", "@test.example:user@other.example"),
        ("source route list", "@test.example,@route.example:user@other.example"),
        ("quoted local part with @", '"user@other.example"@test.example'),
        ("quoted local part with %", '"user%other.example"@test.example'),
        ("quoted local part with !", '"other.example!user"@test.example'),
        ("escaped @ in the local part", "user\\@other.example@test.example"),
        ("bang path", "other.example!user@test.example"),
        ("bang path, unqualified", "other.example!user"),
        ("bang path with percent", "other.example!user%test.example@test.example"),
        ("two @ signs", "user@other.example@test.example"),
        ("IPv4 literal", "user@[192.0.2.1]"),
        ("IPv4 literal, short spelling of loopback", "user@[127.1]"),
        ("IPv4 literal, zero-padded loopback", "user@[127.000.000.001]"),
        ("IPv6 literal of the loopback address", "user@[IPv6:::1]"),
        ("IPv6 literal, long spelling of loopback", "user@[IPv6:0:0:0:0:0:0:0:1]"),
        ("trailing dot", "user@other.example."),
        ("two trailing dots", "user@other.example.."),
        ("upper case", "USER@OTHER.EXAMPLE"),
        ("local domain as the first labels", "user@test.example.other.example"),
        ("look-alike of the local domain", "user@xtest.example"),
        ("subdomain of the local domain", "user@sub.test.example"),
        ("address in a comment", "user@other.example(test.example)"),
        ("null local part", "@other.example"),
    ]
    for addr in host_addresses()[:2]:
        tricks.append(("IP literal of another address of this host (%s)" % addr,
                       "user@[%s]" % addr))
    return tricks


LOCAL_CONTROLS = [
    ("local user", SENDER),
    ("local user, trailing dot", "postern-test@test.example."),
    ("local user at our IP literal", "postern-test@[127.0.0.1]"),
    ("local user, unqualified", "postern-test"),
]


def try_rcpt(port, addr, source=OUTSIDE):
    """RCPT one address in a fresh session; if accepted, send a message.

    Returns (code, reply text, queue ID or None)."""
    c = session(port, source)
    if c is None:
        return None, "no session", None
    code, text = c.cmd("RCPT TO:<%s>" % addr)
    qid = None
    if code == 250:
        dcode, dtext = send_data(c, b"Subject: relay probe\r\n\r\n" + addr.encode() + b"\r\n.\r\n")
        qid = queued_id(dtext) if dcode == 250 else None
        if qid is None:
            text += " / DATA: %s %s" % (dcode, dtext)
    c.cmd("QUIT")
    c.close()
    return code, text, qid


def delivery_line(inst, qid, timeout=30):
    """The first delivery status log line of a queue ID, or None."""
    rx = re.compile(r"postern/(\S+?)\[\d+\]: %s: to=<[^>]*>,(?: orig_to=<[^>]*>,)? "
                    r"relay=([^,]+),.* status=(\w+)" % qid, re.M)
    m = wait_for(lambda: rx.search(inst.log_text()), timeout=timeout)
    return m


def relay_verdict(code, text, reject_code):
    """'denied', 'syntax', 'accepted' or None (an unexpected reply)."""
    if code == reject_code and "Relay access denied" in text:
        return "denied"
    if code == 501:
        return "syntax"
    if code == 250:
        return "accepted"
    return None


def case_relay(inst, reject_code=454, deliver=True, label="relay"):
    """The relay battery; returns {address: verdict}."""
    port = inst.smtp_port
    c = session(port, INSIDE)
    code, text = c.cmd("RCPT TO:<user@other.example>") if c else (None, "no session")
    if c:
        c.cmd("QUIT")
        c.close()
    check("%s: control: a client in mynetworks may relay" % label, code == 250, text)
    verdicts = {}
    pending = []
    for desc, addr in LOCAL_CONTROLS:
        code, text, qid = try_rcpt(port, addr)
        ok_ = check("%s: control: %s <%s> is accepted from outside" % (label, desc, addr),
                    code == 250 and qid is not None, text)
        if ok_ and deliver:
            pending.append(("control: " + desc, addr, qid))
    for desc, addr in relay_tricks():
        code, text, qid = try_rcpt(port, addr)
        verdict = relay_verdict(code, text, reject_code)
        verdicts[addr] = verdict
        if verdict == "accepted" and deliver:
            pending.append((desc, addr, qid))
        elif verdict == "accepted":
            check("%s: %s <%s> accepted and queued" % (label, desc, addr), qid is not None, text)
        else:
            check("%s: %s <%s> is refused (%d or 501)" % (label, desc, addr, reject_code),
                  verdict in ("denied", "syntax"), "reply: %s %s" % (code, text))
    for desc, addr, qid in pending:
        m = delivery_line(inst, qid) if qid else None
        where = m.group(0) if m else "no delivery log line for %s" % qid
        check("%s: %s <%s> accepted, so it must be delivered by local, not relayed"
              % (label, desc, addr),
              m is not None and m.group(1) == "local" and m.group(2) == "local", where)
    return verdicts


# ---------------------------------------------------------------- smuggling

SMUGGLE = [
    ("LF.LF", b"\n.\n"),
    ("LF.CRLF", b"\n.\r\n"),
    ("CRLF.LF", b"\r\n.\n"),
    ("CR.CR", b"\r.\r"),
    ("CRLF.CR", b"\r\n.\r"),
    ("CR.CRLF", b"\r.\r\n"),
]


def case_smuggling(inst):
    for name, seq in SMUGGLE:
        before = queue_ids(inst)
        marker = "smuggled-%s" % re.sub(r"\W", "", name)
        hidden = ("MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@test.example>\r\n"
                  "DATA\r\nSubject: %s\r\n\r\nsecond message\r\n" % marker).encode()
        body = b"Subject: carrier\r\n\r\ncarrier line" + seq + hidden + b".\r\n"
        c = session(inst.smtp_port, OUTSIDE, "carrier@test.example")
        if c is None:
            not_ok("smuggling %s: session" % name)
            continue
        code, text = c.cmd("RCPT TO:<user@test.example>")
        code, text = send_data(c, body)
        c.send(b"QUIT\r\n")
        rest = []
        for _ in range(10):
            rc, more = c.reply()
            if rc is None:
                break
            rest.append(more)
        c.close()
        check("smuggling %s: one 250 for the whole DATA, then 221" % name,
              code == 250 and rest == ["221 2.0.0 Bye"],
              "final dot: %s %s; then %r" % (code, text, rest))
        wait_for(lambda: new_files(inst, before, ("incoming",)) or None, timeout=5)
        time.sleep(0.3)
        got, files = [], []
        for q, qid in new_files(inst, before, ("incoming",)):
            path = find_file(inst, qid)
            qf = QueueFile(path) if path else None
            if qf and (b"carrier line" in qf.raw or b"evil@attacker.example" in qf.raw):
                got.append(qid)
                files.append(qf)
        one = len(files) == 1
        detail = "new files: %r" % got
        if one:
            qf = files[0]
            detail += "\nsender %r rcpts %r" % (qf.sender, qf.rcpts)
        check("smuggling %s: exactly one message queued" % name, one, detail)
        check("smuggling %s: the hidden commands are content of that message" % name,
              one and files[0].sender == "carrier@test.example"
              and files[0].rcpts == ["user@test.example"]
              and b"evil@attacker.example" in files[0].raw and marker.encode() in files[0].raw,
              detail)


# ---------------------------------------------------------------- injection

INJECT = [
    ("-f with LF", ["-f", "sender@test.example\nBcc: victim@x.example", "user@test.example"]),
    ("-f with CR LF", ["-f", "sender@test.example\r\nBcc: victim@x.example", "user@test.example"]),
    ("-r with LF", ["-r", "sender@test.example\nBcc: victim@x.example", "user@test.example"]),
    ("-F with LF", ["-f", "sender@test.example", "-F", "Name\nBcc: victim@x.example",
                    "user@test.example"]),
    ("-F with CR LF", ["-f", "sender@test.example", "-F", "Name\r\nBcc: victim@x.example",
                       "user@test.example"]),
    ("-V with LF", ["-f", "sender@test.example", "-V", "envid\nBcc: victim@x.example",
                    "user@test.example"]),
    ("recipient with LF", ["-f", "sender@test.example",
                           "user@test.example\nBcc: victim@x.example"]),
    ("recipient with CR LF", ["-f", "sender@test.example",
                              "user@test.example\r\nBcc: victim@x.example"]),
    ("-t and a recipient with LF", ["-t", "-f", "sender@test.example",
                                    "user@test.example\nBcc: victim@x.example"]),
]


def injection_problems(qf):
    """What in a queue file shows that the injection worked."""
    problems = []
    for t, d in qf.envelope:
        if b"\n" in d or b"\r" in d:
            problems.append("envelope record %s holds a line break: %r" % (t, d))
    for r in qf.rcpts:
        if "victim" in r:
            problems.append("recipient from the injected text: %r" % r)
    for h in qf.headers:
        if re.match(r"\s*bcc\s*:", h, re.I):
            problems.append("injected header line: %r" % h)
        if "\r" in h:
            problems.append("header line with CR: %r" % h)
    return problems


def case_injection(inst):
    for i, (name, args) in enumerate(INJECT):
        marker = "inject-%d-%d" % (os.getpid(), i)
        text = "Subject: %s\n" % marker
        if "-t" in args:
            text = "To: user@test.example\n" + text
        r = inst.cmd("sendmail", *args, input=text + "\nbody\n")
        if r.returncode != 0:
            late = wait_for(lambda: file_with(inst, marker, ("maildrop", "incoming")), timeout=2)
            check("header injection %s: refused (exit %d), nothing queued" % (name, r.returncode),
                  r.returncode == 75 and late is None,
                  "exit %d: %s\nqueued anyway: %s" % (r.returncode, r.stderr.strip(), late))
            continue
        path = wait_for(lambda: file_with(inst, marker), timeout=20)
        if path is None:
            not_ok("header injection %s: accepted (exit 0) but never reached incoming" % name,
                   r.stderr)
            continue
        qf = QueueFile(path)
        problems = injection_problems(qf)
        check("header injection %s: neutralised (no extra header, recipient or line break)" % name,
              not problems, "\n".join(problems) + "\nsender %r rcpts %r\nheaders %r"
              % (qf.sender, qf.rcpts, qf.headers))


def case_postdrop_records(inst):
    """postdrop checks sendmail's records itself (the set-gid entry path)."""
    def stream(sender="sender@test.example", rcpt="user@test.example", full=None):
        out = b""
        if full is not None:
            out += record("F", full)
        out += record("S", sender) + record("R", rcpt) + record("M")
        out += record("N", "Subject: raw") + record("N", "") + record("N", "body")
        return out + record("X") + record("E")

    env = dict(os.environ, MAIL_CONFIG=inst.config_dir)
    postdrop = os.path.join(BINDIR, "postdrop")
    cases = [
        ("a well-formed stream", stream(), 0),
        ("LF in the sender", stream(sender="a@test.example\nBcc: victim@x.example"), 75),
        ("CR in the sender", stream(sender="a@test.example\rBcc: victim@x.example"), 75),
        ("LF in a recipient", stream(rcpt="user@test.example\nBcc: victim@x.example"), 75),
        ("LF in the full name", stream(full="Name\nBcc: victim@x.example"), 75),
        ("NUL in the sender", stream(sender="a@test.example\0x"), 75),
    ]
    for name, data, want in cases:
        before = set(inst.queue_files("maildrop"))
        r = run([postdrop, "-r"], input=data, env=env, timeout=30)
        time.sleep(0.2)
        after = set(inst.queue_files("maildrop"))
        if want == 0:
            check("postdrop -r: %s is accepted" % name, r.returncode == 0,
                  "exit %d: %s" % (r.returncode, r.stderr))
            wait_for(lambda: not inst.queue_files("maildrop"), timeout=15)
        else:
            check("postdrop -r: %s is refused (exit 75, no file)" % name,
                  r.returncode == 75 and not after - before,
                  "exit %d: %s; new files %r" % (r.returncode, r.stderr.strip(), after - before))


# ---------------------------------------------------------------- privileges

def case_privileges(inst, sampler, pt, spool):
    owner = instance_setting(inst, "mail_owner")
    try:
        pw = pwd.getpwnam(owner)
    except KeyError:
        not_ok("privileges: mail_owner %r exists" % owner)
        return
    seen = list(sampler.seen.values())
    names = sorted({st["Name"][0] for st in seen})
    need = {"master", "smtpd", "cleanup", "qmgr", "pickup", "local", "bounce", "showq", "anvil"}
    check("privileges: every daemon of the scenario was seen running", need <= set(names),
          "seen %s; missing %s" % (names, sorted(need - set(names))))
    masters = [st for st in seen if st["is_master"]]
    check("privileges: master runs as root",
          masters and all(st["Uid"] == ["0"] * 4 for st in masters),
          "; ".join(describe(st) for st in masters))
    rooted = [describe(st) for st in seen
              if not st["is_master"] and st["Name"][0] != "local"
              and ("0" in st["Uid"] or "0" in st["Gid"])]
    check("privileges: no daemon but master and local runs as root", not rooted, "\n".join(rooted))
    want_uid, want_gid = [str(pw.pw_uid)] * 4, [str(pw.pw_gid)] * 4
    for name in names:
        if name in ("master", "local"):
            continue
        procs = [st for st in seen if st["Name"][0] == name and not st["is_master"]]
        bad = [describe(st) for st in procs
               if st["Uid"] != want_uid or st["Gid"] != want_gid or "0" in st.get("Groups", [])
               or int((st.get("CapEff") or ["1"])[0], 16) != 0]
        check("privileges: %s runs as %s (uid %d, gid %d, no root group, no capabilities)"
              % (name, owner, pw.pw_uid, pw.pw_gid), not bad, "\n".join(bad))
    if pt:
        box = os.path.join(spool, pt)
        st = os.stat(box) if os.path.exists(box) else None
        check("privileges: local writes a mailbox as its owner, not as root",
              st is not None and st.st_uid == pwd.getpwnam(pt).pw_uid and st.st_mode & 0o077 == 0,
              "%s: %s" % (box, "missing" if st is None
                          else "uid %d mode %o" % (st.st_uid, st.st_mode)))


def run_relay_instance(pt):
    """The default relay policy with delivery, and the privilege audit."""
    inst = Instance(name="sec", main_cf={
        "alias_maps": "", "local_recipient_maps": "", "mynetworks": MYNETWORKS,
        "default_transport": "error:5.7.1 " + RELAY_MARK,
        "relay_transport": "error:5.7.1 " + RELAY_MARK,
        "smtpd_error_sleep_time": "0s", "in_flow_delay": "0s"})
    spool = os.path.join(inst.root, "spool")
    os.makedirs(spool)
    os.chmod(spool, 0o1777)
    inst.set_main_cf({"mail_spool_directory": spool})
    r = inst.start()
    if not check("relay instance starts", r.returncode == 0, r.stdout + r.stderr):
        return {}
    sampler = Sampler(inst) if IS_ROOT else None
    if sampler:
        sampler.start()
    hold = session(inst.smtp_port)      # keeps an smtpd (and anvil) alive
    verdicts = case_relay(inst)
    mark = inst.log_mark()
    r = inst.cmd("sendmail", "-f", SENDER, SENDER, input="Subject: local submission\n\nbody\n")
    check("relay instance: a local submission is accepted", r.returncode == 0, r.stderr)
    m = inst.log_wait(r"pickup\[\d+\]: (\w+): uid=\d+ from=<%s>" % re.escape(SENDER),
                      timeout=20, since=mark)
    check("relay instance: the local submission is delivered by local",
          m is not None and inst.log_wait(r"postern/local\[\d+\]: %s: to=<%s>, relay=local,.* "
                                          r"status=sent" % (m.group(1), re.escape(SENDER)),
                                          timeout=30, since=mark) is not None,
          inst.log_text()[mark:][-2000:])
    # A bounce that does not depend on a relay probe being (wrongly)
    # accepted: local refuses an unknown user, and bounce reports it.
    inst.cmd("sendmail", "-f", SENDER, "no-such-user-%d@test.example" % os.getpid(),
             input="Subject: unknown user\n\nbody\n")
    inst.cmd("postqueue", "-p")
    inst.log_wait(r"postern/bounce\[\d+\]", timeout=20)
    if hold:
        hold.cmd("QUIT")
        hold.close()
    if sampler:
        sampler.stop()
        case_privileges(inst, sampler, pt, spool)
    else:
        skip("privileges", "not running as root: every process runs as the invoking user")
    inst.stop()
    return verdicts


def run_strict_instance():
    inst = Instance(name="strict", main_cf={
        "alias_maps": "", "local_recipient_maps": "", "mynetworks": MYNETWORKS,
        "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        "smtpd_error_sleep_time": "0s", "in_flow_delay": "0s"},
        master_cf_replace={"qmgr": None})
    r = inst.start()
    if check("strict relay instance starts", r.returncode == 0, r.stdout + r.stderr):
        case_relay(inst, reject_code=554, deliver=False, label="reject_unauth_destination")
        inst.stop()


# ---------------------------------------------------------------- jail

def case_jail(inst, services=("smtpd", "cleanup", "pickup")):
    qdir = os.path.realpath(inst.queue_dir)
    master = inst.master_pid()
    check("jail: control: master's root directory is /",
          master and os.readlink("/proc/%d/root" % master) == "/")
    for name in services:
        pids = wait_for(lambda: inst.children(name), timeout=10)
        if not pids:
            not_ok("jail: %s is running" % name, inst.log_text()[-1500:])
            continue
        # A process master has only just forked reads its configuration
        # before it enters the jail: give each sampled pid a moment.
        roots = {}

        def settled():
            roots.clear()
            for pid in pids:
                try:
                    roots[pid] = os.readlink("/proc/%d/root" % pid)
                except OSError:
                    pass        # exited meanwhile: nothing to judge
            return all(v == qdir for v in roots.values())
        wait_for(settled, timeout=5)
        check("jail: %s is chrooted into queue_directory" % name,
              all(v == qdir for v in roots.values()), "%r, want %s" % (roots, qdir))
        leaks = [pid for pid in pids if os.path.exists("/proc/%d/root/etc/passwd" % pid)]
        check("jail: %s cannot see /etc/passwd (nothing outside the jail)" % name,
              os.path.exists("/etc/passwd") and not leaks, repr(leaks))


def case_jail_passwd(inst, port, pt):
    """A lookup the jail makes impossible must not turn into a 5xx."""
    if not pt:
        skip("jail: passwd lookups in a chrooted smtpd", "no ordinary user account")
        return
    c = session(port)
    code, text = c.cmd("RCPT TO:<%s@test.example>" % pt) if c else (None, "no session")
    if c:
        c.cmd("QUIT")
        c.close()
    check("jail: a chrooted smtpd with local_recipient_maps = unix:passwd.byname never "
          "rejects the existing user %s permanently" % pt,
          code is not None and code // 100 in (2, 4), "%s %s" % (code, text))


# ---------------------------------------------------------------- queue access

QUEUE_DIRS = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
              "defer", "trace", "saved", "private", "public"]


def case_queue_modes(inst):
    owner = instance_setting(inst, "mail_owner")
    uid = pwd.getpwnam(owner).pw_uid
    open_dirs, open_files = [], []
    for d, dirs, files in os.walk(inst.queue_dir):
        rel = os.path.relpath(d, inst.queue_dir)
        if rel != "." and rel.split(os.sep)[0] != "pid":
            mode = stat.S_IMODE(os.stat(d).st_mode)
            if mode & 0o007:
                open_dirs.append("%s %04o" % (rel, mode))
        for f in files:
            path = os.path.join(d, f)
            st = os.lstat(path)
            top = rel.split(os.sep)[0]
            if not stat.S_ISREG(st.st_mode) or top in ("pid", "maildrop"):
                continue
            if st.st_mode & 0o077 or st.st_uid != uid:
                open_files.append("%s/%s %04o uid %d"
                                  % (rel, f, stat.S_IMODE(st.st_mode), st.st_uid))
    check("queue: every queue directory is closed to other users", not open_dirs,
          "\n".join(open_dirs))
    check("queue: queue files belong to %s and are private (0600/0700)" % owner,
          not open_files, "\n".join(open_files))


def case_queue_private(inst, pt, incoming_id, maildrop_id, list_dirs=True):
    q = inst.queue_dir
    if list_dirs:
        readable = [d for d in QUEUE_DIRS
                    if not denied(as_user(pt, ["ls", "-a", os.path.join(q, d)]))]
        check("queue: %s can list none of the queue directories" % pt, not readable, readable)
    if incoming_id:
        r = as_user(pt, ["cat", os.path.join(q, "incoming", incoming_id)])
        check("queue: %s cannot read a queue file in incoming/" % pt, denied(r),
              "exit %d %s" % (r.returncode, r.stderr))
    if maildrop_id:
        r = as_user(pt, ["cat", os.path.join(q, "maildrop", maildrop_id)])
        check("queue: %s cannot read another user's maildrop file" % pt, denied(r),
              "exit %d %s" % (r.returncode, r.stderr))


SOCKET_PROBE = r"""
import socket, sys
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        print("CONNECTED", path)
    except OSError as e:
        print("ERRNO", e.errno, path)
    s.close()
"""


def case_direct_enqueue(inst, pt):
    """Nothing but postdrop lets a user in."""
    q = inst.queue_dir
    for queue in ("maildrop", "incoming"):
        target = os.path.join(q, queue, "forged")
        r = as_user(pt, ["sh", "-c", 'echo forged > "$0"', target])
        check("submission: %s cannot write into %s/ directly" % (pt, queue),
              denied(r) and not os.path.exists(target), "exit %d %s" % (r.returncode, r.stderr))
    sockets = []
    for d in ("public", "private"):
        for name in sorted(os.listdir(os.path.join(q, d))):
            path = os.path.join(q, d, name)
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                sockets.append(path)
    py = user_python(pt)
    if py is None:
        skip("submission: service sockets refuse %s" % pt, "no python3 that %s can run" % pt)
        return
    r = as_user(pt, [py, "-c", SOCKET_PROBE] + sockets)
    results = r.stdout.split("\n")
    got_in = [line for line in results if line.startswith("CONNECTED")]
    refused = [line for line in results if line.startswith("ERRNO 13 ")]
    check("submission: %s can connect to none of the service sockets (public/cleanup included)"
          % pt, sockets and not got_in and len(refused) == len(sockets),
          "sockets %r\n%s%s" % (sockets, r.stdout, r.stderr))


class EtcOverlay:
    """/etc with a private /etc/postern/main.cf, in a private mount namespace.

    A set-gid postdrop reads the default main.cf (/etc/postern) to see
    whether another configuration directory may be used. The test must not
    touch the real /etc, so commands that need it run under an overlay
    mount of /etc that only they see."""

    def __init__(self, root, listed):
        self.dir = os.path.join(root, "etc-overlay")
        os.makedirs(os.path.join(self.dir, "upper", "postern"))
        os.makedirs(os.path.join(self.dir, "work"))
        base = ""
        try:
            with open("/etc/postern/main.cf") as f:
                base = f.read() + "\n"
        except OSError:
            pass
        path = os.path.join(self.dir, "upper", "postern", "main.cf")
        with open(path, "w") as f:
            f.write(base + "alternate_config_directories = %s\n" % " ".join(listed))
        os.chmod(path, 0o644)

    def prefix(self):
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$0/upper,workdir=$0/work" '
                '/etc && exec "$@"', self.dir]

    def works(self, pt):
        r = run(self.prefix() + ["runuser", "-u", pt, "--", "cat", "/etc/postern/main.cf"])
        return r.returncode == 0 and "alternate_config_directories" in r.stdout, r


def is_asan(path):
    return "libasan" in run(["ldd", path]).stdout


def postdrop_source():
    """The postdrop to install set-gid, or None.

    A set-gid process cannot read its own /proc/self/environ, so an ASan
    build never sees ASAN_OPTIONS there and LeakSanitizer fails at exit;
    the ASan pass installs the normal build's postdrop instead."""
    path = os.path.join(BINDIR, "postdrop")
    if not is_asan(path):
        return path
    normal = os.path.join(TOP, "bin", "postdrop")
    return normal if os.path.exists(normal) and not is_asan(normal) else None


def sgid_postdrop(inst, source):
    """A copy of postdrop installed as make install does (2755, group postdrop)."""
    group = instance_setting(inst, "setgid_group")
    d = os.path.join(inst.root, "sbin")
    os.makedirs(d)
    os.chmod(d, 0o755)
    path = os.path.join(d, "postdrop")
    shutil.copy2(source, path)
    os.chown(path, 0, grp.getgrnam(group).gr_gid)
    os.chmod(path, 0o2755)
    return d, group


def user_sendmail(inst, pt, prefix, marker):
    argv = prefix + ["runuser", "-u", pt, "--", os.path.join(BINDIR, "sendmail"),
                     "-c", inst.config_dir, "-f", SENDER, "user@test.example"]
    return run(argv, input="Subject: %s\n\nfrom an ordinary user\n" % marker, timeout=60)


def case_postdrop_setgid(inst, pt):
    pw = pwd.getpwnam(pt)
    plain = os.path.join(BINDIR, "postdrop")
    if os.stat(plain).st_mode & stat.S_ISGID:
        skip("submission: without the set-gid bit postdrop cannot enqueue",
             "%s is already set-gid" % plain)
    else:
        inst.set_main_cf({"command_directory": BINDIR})
        before = queue_ids(inst)
        r = user_sendmail(inst, pt, [], "no-setgid")
        time.sleep(0.5)
        check("submission: without the set-gid bit %s cannot enqueue (sendmail exits 75)" % pt,
              r.returncode == 75 and not new_files(inst, before),
              "exit %d: %s" % (r.returncode, r.stderr))
    source = postdrop_source()
    if source is None:
        skip("submission: set-gid postdrop", "only an ASan build of postdrop is there, and "
             "ASan cannot run set-gid")
        inst.set_main_cf({"command_directory": BINDIR})
        return
    sbin, group = sgid_postdrop(inst, source)
    inst.set_main_cf({"command_directory": sbin})
    overlay = EtcOverlay(inst.root, [inst.config_dir])
    works, r = overlay.works(pt)
    if not works:
        skip("submission: set-gid postdrop",
             "cannot mount an overlay on /etc: %s" % r.stderr.strip())
        return
    r = user_sendmail(inst, pt, overlay.prefix(), "setgid-ok")
    check("submission: with postdrop set-gid %s (as make install does) %s can enqueue "
          "(sendmail exits 0)" % (group, pt), r.returncode == 0,
          "exit %d: %s" % (r.returncode, r.stderr))
    path = wait_for(lambda: file_with(inst, "setgid-ok"), timeout=20) if r.returncode == 0 else None
    qf = QueueFile(path) if path else None
    check("submission: the user's message reaches incoming, submitted by uid %d" % pw.pw_uid,
          qf is not None and qf.sender == SENDER
          and inst.log_wait(r"pickup\[\d+\]: \w+: uid=%d from=<%s>"
                            % (pw.pw_uid, re.escape(SENDER)), timeout=5) is not None,
          inst.log_text()[-1500:])
    other = EtcOverlay(os.path.join(inst.root, "other"), ["/nonexistent/postern"])
    before = queue_ids(inst)
    r = user_sendmail(inst, pt, other.prefix(), "setgid-unlisted")
    time.sleep(0.5)
    check("submission: set-gid postdrop refuses a configuration directory that "
          "/etc/postern/main.cf does not list", r.returncode == 75 and not new_files(inst, before)
          and "alternate_config_directories" in r.stderr, "exit %d: %s" % (r.returncode, r.stderr))
    inst.set_main_cf({"command_directory": BINDIR})


# ---------------------------------------------------------------- the jail instance

def run_jail_instance(pt):
    """chroot, queue access, submission path, smuggling, header injection."""
    passwd_port = free_port()
    inst = Instance(name="jail", main_cf={
        "alias_maps": "", "local_recipient_maps": "", "mynetworks": MYNETWORKS,
        "smtpd_error_sleep_time": "0s", "in_flow_delay": "0s"},
        master_cf_replace={"qmgr": None},
        master_cf_append=["127.0.0.1:%d inet n - n - - smtpd "
                          "-o local_recipient_maps=unix:passwd.byname" % passwd_port])
    if IS_ROOT:
        set_chroot(inst, {"smtpd", "cleanup", "pickup"})       # both smtpd listeners
    set_wakeup(inst, "pickup", 5)
    r = inst.postern("check")
    maildrop_id = None
    if IS_ROOT:
        r = inst.cmd("sendmail", "-f", "root@test.example", "user@test.example",
                     input="Subject: dropped while stopped\n\nbody\n")
        ids = inst.queue_files("maildrop")
        maildrop_id = ids[0] if r.returncode == 0 and len(ids) == 1 else None
        check("jail instance: a submission waits in maildrop while stopped", maildrop_id,
              "exit %d %s; maildrop %r" % (r.returncode, r.stderr, ids))
        if maildrop_id and pt:
            case_queue_private(inst, pt, None, maildrop_id, list_dirs=False)
    r = inst.start()
    if not check("jail instance starts", r.returncode == 0, r.stdout + r.stderr):
        return
    hold = session(inst.smtp_port)
    code, text = hold.cmd("RCPT TO:<user@test.example>") if hold else (None, "no session")
    code, text = send_data(hold, b"Subject: through the jail\r\n\r\nbody\r\n.\r\n") \
        if code == 250 else (code, text)
    incoming_id = queued_id(text)
    check("jail instance: SMTP mail is queued (250)", code == 250 and incoming_id, text)
    if maildrop_id:
        check("jail instance: pickup moves the maildrop file to incoming",
              wait_for(lambda: not inst.queue_files("maildrop")
                       and len(inst.queue_files("incoming")) >= 2, timeout=20),
              "maildrop %r incoming %r\n%s" % (inst.queue_files("maildrop"),
                                              inst.queue_files("incoming"),
                                              inst.log_text()[-1500:]))
    if IS_ROOT:
        case_jail(inst)
        case_jail_passwd(inst, passwd_port, pt)
        case_queue_modes(inst)
    else:
        skip("jail", "chroot needs root")
        skip("queue modes", "not running as root: the instance belongs to the invoking user")
    if hold:
        hold.cmd("QUIT")
        hold.close()
    if IS_ROOT and pt:
        case_queue_private(inst, pt, incoming_id, None)
        case_direct_enqueue(inst, pt)
        case_postdrop_setgid(inst, pt)
    else:
        skip("queue access and submission path", "needs root and an ordinary user account")
    case_smuggling(inst)
    case_injection(inst)
    case_postdrop_records(inst)
    log = inst.log_text()
    check("jail instance: no daemon panicked or was killed",
          not re.search(r"panic:|killed by signal|exit status", log),
          "\n".join(line for line in log.split("\n")
                    if re.search(r"panic:|killed by signal|exit status|fatal:", line)))
    inst.stop()


def main():
    pt = unprivileged_user() if IS_ROOT else None
    run_relay_instance(pt)
    run_strict_instance()
    run_jail_instance(pt)
    done()


if __name__ == "__main__":
    main()
