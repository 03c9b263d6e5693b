#!/usr/bin/env python3
"""test_operator_tools - mailq/postqueue, showq, qshape, postsuper, postcat.

Builds real queues in a temporary instance: queue files written with the
record format (tests/integration/postern_queue.py) at known arrival times,
plus a local submission through bin/sendmail while the system is stopped.
Checks:
  * postqueue -p / mailq / sendmail -bp byte for byte against the layout
    computed here from what was queued (Postfix's long-ID mailq layout),
    both straight from the queue (system down, as root/mail_owner) and
    through showq (system up, also as an unprivileged user);
  * postqueue -j parsed as JSON, with odd sender bytes;
  * postqueue -f/-s/-i errors when the system is down;
  * qshape counts per domain and age bucket equal what was queued;
  * postsuper -d/-h/-H/-r/-s/-p, ALL, "-" and queue scoping, files in
    delivery left alone while the system runs, and bad input (unknown and
    malformed IDs, unknown queues, unreadable and damaged files): a clear
    error, the exit status, and nothing else touched;
  * postcat -q and by path, damaged files;
  * with qmgr installed: every postsuper operation on a live system whose
    deliveries keep failing (mail cycles between active and deferred), no
    message lost, no daemon crashing; postqueue -f/-s/-i accepted;
  * pflogsumm (--syslog-name=postern) on the log of a run with known
    received, delivered, deferred, bounced and rejected counts reports
    exactly those, also per domain.
Prints "ok - NAME" / "not ok - NAME" per case.
"""

import json
import os
import re
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, IS_ROOT, LIBEXECDIR, check, done,
                          not_ok, ok, skip, unprivileged_user, wait_for)
from postern_queue import (defer_log, maildrop_file, queue_file, queue_id,
                           queue_rel_path, store)

T0 = 1700000000                      # Tue Nov 14 22:13:20 2023 UTC
UTC = dict(os.environ, TZ="UTC")
HEADING = "%-17s %8s %-19s %s\n" % ("----Queue ID-----", "--Size--",
                                     "---Arrival Time----",
                                     "--Sender/Recipient------")

# ------------------------------------------------------------------ helpers

ATEXT = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            b"!#$%&'*+-/=?^_`{|}~")


def quote(addr):
    """Internal to external address form (bytes), as address_quote()."""
    if not addr:
        return addr
    at = addr.rfind(b"@")
    local, rest = (addr, b"") if at < 0 else (addr[:at], addr[at:])
    needs = (not local or local[:1] == b"." or local[-1:] == b"."
             or b".." in local
             or any(c != ord(".") and c < 128 and c not in ATEXT for c in local))
    if not needs:
        return addr
    return b'"' + local.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"' + rest


def printable(data):
    """Control characters and invalid UTF-8 bytes become '?'."""
    text = data.decode("utf-8", "surrogateescape")
    return "".join("?" if (ord(c) < 0x20 or ord(c) == 0x7F or 0xDC80 <= ord(c) <= 0xDCFF)
                   else c for c in text)


def json_text(data):
    """What a JSON string decodes to: invalid bytes as U+00XX."""
    text = data.decode("utf-8", "surrogateescape")
    return "".join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c
                   for c in text)


def mailq_text(msgs):
    """Postfix's mailq layout for a list of message dicts."""
    if not msgs:
        return "Mail queue is empty\n"
    out = []
    total = 0
    for i, m in enumerate(msgs):
        out.append("\n" if i else HEADING)
        mark = {"active": "*", "hold": "!"}.get(m["queue"], "") + ("#" if m.get("forced") else "")
        date = time.strftime("%a %b %e %H:%M:%S", time.gmtime(m["arrival"]))
        out.append("%-17s %8d %19.19s %s\n" % (m["id"] + mark, m["size"], date,
                                              printable(quote(m["sender"]) or b"MAILER-DAEMON")))
        saved = ""
        for addr, reason in m["rcpts"]:
            if reason != saved:
                saved = reason
                show = reason or "reason unavailable"
                out.append(" " * max(0, 76 - len(show)) + "(" + show + ")\n")
            out.append("%-17s %8s %-19s %s\n" % ("", "", "", printable(quote(addr))))
        total += m["size"]
    out.append("\n-- %d Kbytes in %d Request%s.\n" % (total // 1024, len(msgs),
                                                     "" if len(msgs) == 1 else "s"))
    return "".join(out)


def order_like(msgs, listing):
    """msgs in the order their IDs appear in a listing."""
    pos = {}
    for m in msgs:
        i = listing.find("\n" + m["id"])
        pos[m["id"]] = i if i >= 0 else 1 << 60
    return sorted(msgs, key=lambda m: pos[m["id"]])


def snapshot(inst):
    """Every file below the queue directory (sockets and pid files aside)."""
    snap = {}
    for d, dirs, files in os.walk(inst.queue_dir):
        rel = os.path.relpath(d, inst.queue_dir)
        if rel.split(os.sep)[0] in ("pid", "public", "private"):
            continue
        for f in files:
            p = os.path.join(d, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            snap[os.path.relpath(p, inst.queue_dir)] = (st.st_size, st.st_mode, st.st_mtime)
    return snap


def content_size(lines):
    return sum(len(line.encode("utf-8", "surrogateescape")) + 1 for line in lines)


LINES = ["Subject: operator tools", "", "test message"]
SIZE = content_size(LINES)


def put(inst, queue, qid, sender, rcpts, arrival, usec, done=(), mode=0o700,
        priority=None):
    data = queue_file(sender, rcpts, arrival, usec, lines=LINES, done=set(done),
                      priority=priority)
    return store(inst.queue_dir, queue, qid, data, mode=mode)


def run_ok(name, r, want_rc=0):
    return check(name, r.returncode == want_rc,
                 "status %d (want %d)\nstdout:\n%s\nstderr:\n%s"
                 % (r.returncode, want_rc, r.stdout, r.stderr))


# ------------------------------------------------------------------ the queue

def build_queue(inst):
    """Queue files at known times; returns the message dicts."""
    msgs = []
    d1 = queue_id(T0, 0x3D7, 77)
    put(inst, "deferred", d1, "alice@example.org",
        ["bob@example.com", "bill@example.com", "carol@example.net",
         "dave@example.org", "erin@example.org"], T0, 0x3D7, done=(3,))
    r1 = "connect to example.com[192.0.2.1]:25: Connection refused"
    r2 = ("host mx.example.net[192.0.2.2] said: 451 4.7.1 Try again later "
          "(in reply to RCPT TO command)")
    defer_log(inst.queue_dir, d1, [("bob@example.com", r1),
                                   ("carol@example.net", r2),
                                   ("bill@example.com", r1)])
    msgs.append(dict(queue="deferred", id=d1, arrival=T0, size=SIZE,
                     sender=b"alice@example.org",
                     rcpts=[(b"bob@example.com", r1), (b"carol@example.net", r2),
                            (b"bill@example.com", r1), (b"erin@example.org", "")],
                     transports=["smtp"] * 4, priority="normal"))
    a1 = queue_id(T0 + 60, 11, 78)
    put(inst, "active", a1, "", ["postmaster@localhost"], T0 + 60, 11)
    msgs.append(dict(queue="active", id=a1, arrival=T0 + 60, size=SIZE, sender=b"",
                     rcpts=[(b"postmaster@localhost", "")], transports=["local"],
                     priority="normal"))
    h1 = queue_id(T0 + 120, 12, 79)
    weird = b"we\x01ird\xe9 \"x\"@example.com"
    put(inst, "hold", h1, weird.decode("utf-8", "surrogateescape"),
        ["caf\u00e9@example.com"], T0 + 120, 12, priority="bulk")
    msgs.append(dict(queue="hold", id=h1, arrival=T0 + 120, size=SIZE, sender=weird,
                     rcpts=[("caf\u00e9@example.com".encode(), "")],
                     transports=["smtp"], priority="bulk"))
    i1 = queue_id(T0 + 180, 13, 80)
    put(inst, "incoming", i1, "sender@example.net", ["x@example.com"], T0 + 180, 13,
        mode=0o710)
    msgs.append(dict(queue="incoming", id=i1, arrival=T0 + 180, size=SIZE,
                     sender=b"sender@example.net", forced=True,
                     rcpts=[(b"x@example.com", "")], transports=["smtp"],
                     priority="normal"))
    # Being written: never listed.
    put(inst, "incoming", queue_id(T0 + 240, 14, 81), "w@example.net",
        ["y@example.com"], T0 + 240, 14, mode=0o600)
    return msgs


def submit_local(inst, msgs):
    """A maildrop file through sendmail while the system is down."""
    r = inst.cmd("sendmail", "-f", "local@test.example", "drop@example.com",
                 input="Subject: local\n\nhello\n", config_flag="-C")
    if not run_ok("sendmail queues into maildrop while stopped", r):
        return
    ids = inst.queue_files("maildrop")
    if not check("one maildrop file", len(ids) == 1, repr(ids)):
        return
    path = os.path.join(inst.queue_dir, "maildrop", ids[0])
    st = os.stat(path)
    if IS_ROOT:   # showq and the direct listing run as mail_owner
        owner = os.stat(os.path.join(inst.queue_dir, "maildrop"))
        os.chown(path, owner.st_uid, owner.st_gid)
    msgs.insert(0, dict(queue="maildrop", id=ids[0], arrival=None, size=st.st_size,
                        sender=b"local@test.example",
                        rcpts=[(b"drop@example.com", "")], transports=["smtp"],
                        priority="normal"))


def fill_arrival(msgs, jlines):
    """The maildrop file's arrival time comes from postqueue -j."""
    by_id = {j["queue_id"]: j for j in jlines}
    for m in msgs:
        if m["arrival"] is None and m["id"] in by_id:
            m["arrival"] = by_id[m["id"]]["arrival_time"]


def parse_json(text):
    out = []
    for line in text.splitlines():
        out.append(json.loads(line))
    return out


# ------------------------------------------------------------------ listing

def check_json(name, jlines, msgs):
    by_id = {j.get("queue_id"): j for j in jlines}
    problems = []
    for m in msgs:
        j = by_id.get(m["id"])
        if j is None:
            problems.append("%s missing" % m["id"])
            continue
        want = dict(queue_name=m["queue"], queue_id=m["id"], arrival_time=m["arrival"],
                    message_size=m["size"], forced_expire=bool(m.get("forced")),
                    sender=json_text(quote(m["sender"])) or "MAILER-DAEMON",
                    priority=m["priority"])
        for k, v in want.items():
            if j.get(k) != v:
                problems.append("%s: %s is %r, want %r" % (m["id"], k, j.get(k), v))
        rc = [dict(address=json_text(quote(a)), transport=t, **({"delay_reason": r} if r else {}))
              for (a, r), t in zip(m["rcpts"], m["transports"])]
        if j.get("recipients") != rc:
            problems.append("%s: recipients %r, want %r" % (m["id"], j.get("recipients"), rc))
        if list(j.keys()) != ["queue_name", "queue_id", "arrival_time", "message_size",
                              "forced_expire", "sender", "recipients", "priority"]:
            problems.append("%s: field order %r" % (m["id"], list(j.keys())))
    if len(jlines) != len(msgs):
        problems.append("%d objects, want %d" % (len(jlines), len(msgs)))
    check(name, not problems, "\n".join(problems))


def case_listing_down(inst, msgs):
    r = inst.cmd("postqueue", "-j", env=UTC)
    run_ok("postqueue -j with the system down", r)
    try:
        jlines = parse_json(r.stdout)
    except ValueError as e:
        not_ok("postqueue -j output is JSON", "%s\n%s" % (e, r.stdout))
        return None
    ok("postqueue -j output is JSON, one object per line")
    fill_arrival(msgs, jlines)
    check_json("postqueue -j fields, order, escapes and transports", jlines, msgs)
    check("postqueue -j escapes control and invalid bytes",
          "\\u0001" in r.stdout and "\\u00E9" in r.stdout
          and '\\\\\\"x\\\\\\"' in r.stdout,
          r.stdout)
    r = inst.cmd("postqueue", "-p", env=UTC)
    run_ok("postqueue -p with the system down", r)
    check("postqueue -p warns that it reads the queue directly",
          "postqueue: warning: Mail system is down -- accessing queue directly" in r.stderr,
          r.stderr)
    want = mailq_text(order_like(msgs, r.stdout))
    check("postqueue -p layout byte for byte", r.stdout == want,
          "got:\n%s\nwant:\n%s" % (r.stdout, want))
    listing = r.stdout
    r = inst.cmd("mailq", env=UTC, config_flag="-C")
    check("mailq prints the same listing", r.returncode == 0 and r.stdout == listing,
          "%d\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
    r = inst.cmd("sendmail", "-bp", env=UTC, config_flag="-C")
    check("sendmail -bp prints the same listing", r.returncode == 0 and r.stdout == listing,
          "%d\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
    for args in (["-f"], ["-s", "example.com"], ["-i", msgs[-1]["id"]]):
        r = inst.cmd("postqueue", *args)
        check("postqueue %s with the system down: exit 69" % " ".join(args),
              r.returncode == 69 and "mail system is down" in r.stderr,
              "%d %s" % (r.returncode, r.stderr))
    for args, what in ((["-i", "../../etc/passwd"], "invalid mail queue id"),
                       (["-s", "bad site"], "invalid destination"),
                       (["-x"], "usage"), ([], "usage"), (["-p", "-j"], "usage")):
        r = inst.cmd("postqueue", *args)
        check("postqueue %s: exit 69 (%s)" % (" ".join(args) or "(nothing)", what),
              r.returncode == 69 and what in r.stderr, "%d %s" % (r.returncode, r.stderr))
    user = unprivileged_user()
    if user:
        r = _as(inst, user, ["postqueue", "-p"])
        check("unprivileged postqueue -p with the system down: exit 69",
              r.returncode == 69 and "Queue report unavailable - mail system is down"
              in r.stderr, "%d %s" % (r.returncode, r.stderr))
    else:
        skip("unprivileged postqueue -p with the system down", "not root")
    return listing


def _as(inst, user, argv):
    from postern_test import run
    e = dict(UTC)
    e.pop("MAIL_CONFIG", None)
    return run([os.path.join(inst.bindir, argv[0]), "-c", inst.config_dir] + argv[1:],
               env=e, user=user)


def case_listing_up(inst, msgs, listing):
    r = inst.cmd("postqueue", "-p", env=UTC)
    check("postqueue -p through showq: same listing, no warning",
          r.returncode == 0 and r.stdout == listing and "warning" not in r.stderr,
          "%d\n%s\n%s\nwant:\n%s" % (r.returncode, r.stdout, r.stderr, listing))
    r = inst.cmd("postqueue", "-j", env=UTC)
    try:
        check_json("postqueue -j through showq", parse_json(r.stdout), msgs)
    except ValueError as e:
        not_ok("postqueue -j through showq", "%s\n%s" % (e, r.stdout))
    user = unprivileged_user()
    if user:
        r = _as(inst, user, ["postqueue", "-p"])
        check("unprivileged user lists the queue through showq",
              r.returncode == 0 and r.stdout == listing, "%d\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
    else:
        skip("unprivileged user lists the queue through showq", "not root")
    r = inst.cmd("postqueue", "-f")
    check("postqueue -f without qmgr: exit 69", r.returncode == 69, r.stderr)


# ------------------------------------------------------------------ postsuper

def case_postsuper_running(inst, msgs):
    a1 = [m for m in msgs if m["queue"] == "active"][0]["id"]
    before = snapshot(inst)
    r = inst.cmd("postsuper", "-d", a1)
    check("postsuper -d of an active file while running: left alone, said so",
          r.returncode == 0 and "%s: message is being delivered; not deleted" % a1 in r.stderr
          and snapshot(inst) == before, r.stderr)
    r = inst.cmd("postsuper", "-h", "ALL", "active")
    check("postsuper -h ALL active while running: left alone, said so",
          r.returncode == 0 and "1 message in the active queue is being delivered" in r.stderr
          and snapshot(inst) == before, r.stderr)


def case_bad_input(inst, msgs):
    before = snapshot(inst)
    cases = [
        (["-d", "../../etc/passwd"], 1, "postsuper: fatal: invalid queue ID: ../../etc/passwd"),
        (["-h", "a/b"], 1, "invalid queue ID: a/b"),
        (["-r", ""], 1, "invalid queue ID"),
        (["-d", "ALL", "bogus"], 1, "postsuper: fatal: invalid directory name: bogus"),
        (["-d", "ALL", "../etc"], 1, "invalid directory name: ../etc"),
        (["-d", queue_id(T0, 5, 999999)], 0, ""),
        (["-x"], 1, "usage"),
    ]
    for args, rc, text in cases:
        r = inst.cmd("postsuper", *args)
        check("postsuper %s: exit %d, %s" % (" ".join(args), rc, text or "silent"),
              r.returncode == rc and (text in r.stderr if text else r.stderr == "")
              and snapshot(inst) == before,
              "%d %r" % (r.returncode, r.stderr))
    check("/etc/passwd untouched", os.path.exists("/etc/passwd"))
    for args, text in ((["-q", "../../etc/passwd"], "bad mail queue ID"),
                       (["-q", queue_id(T0, 5, 999999)], "No such file")):
        r = inst.cmd("postcat", *args)
        check("postcat %s: exit 1, %s" % (" ".join(args), text),
              r.returncode == 1 and text in r.stderr, "%d %s" % (r.returncode, r.stderr))
    r = inst.cmd("qshape", "bogus")
    check("qshape bogus: exit 1", r.returncode == 1 and "bogus" in r.stderr, r.stderr)
    r = inst.cmd("qshape", "-b", "0")
    check("qshape -b 0: exit 1", r.returncode == 1, r.stderr)


def case_postsuper_ops(inst, msgs):
    ids = {m["queue"]: m["id"] for m in msgs}
    qd = inst.queue_dir
    d1, h1, i1 = ids["deferred"], ids["hold"], ids["incoming"]
    r = inst.cmd("postsuper", "-h", d1)
    check("postsuper -h: moved to hold, reported",
          r.returncode == 0 and inst.queue_files("hold") == sorted([h1, d1])
          and "postsuper: %s: placed on hold\npostsuper: Placed on hold: 1 message\n" % d1 == r.stderr,
          r.stderr)
    r = inst.cmd("postqueue", "-p", env=UTC)
    check("held message shows '!'", ("\n%s!" % d1) in r.stdout, r.stdout)
    r = inst.cmd("postsuper", "-H", d1)
    path = os.path.join(qd, queue_rel_path("deferred", d1))
    check("postsuper -H: back in deferred, due now",
          r.returncode == 0 and os.path.exists(path)
          and abs(os.stat(path).st_mtime - time.time()) < 60
          and "Released from hold: 1 message" in r.stderr, r.stderr)
    before = len(inst.queue_files("maildrop"))
    r = inst.cmd("postsuper", "-r", i1)
    new = [x for x in inst.queue_files("maildrop")]
    check("postsuper -r: copied into maildrop, original removed",
          r.returncode == 0 and i1 not in inst.queue_files("incoming")
          and len(new) == before + 1 and "Requeued: 1 message" in r.stderr, r.stderr)
    newest = sorted(new)[-1]
    r = inst.cmd("postcat", os.path.join(qd, "maildrop", newest))
    check("requeued maildrop file is well formed with the pending recipient",
          r.returncode == 0 and "recipient: x@example.com" in r.stdout
          and "sender: sender@example.net" in r.stdout, r.stdout + r.stderr)
    r = inst.cmd("postsuper", "-d", "-", input="%s\nbad/id\n\n%s\n" % (h1, queue_id(T0, 1, 5)))
    check("postsuper -d -: deletes IDs from stdin, warns about bad ones, exit 1",
          r.returncode == 1 and h1 not in inst.queue_files("hold")
          and "warning: invalid queue ID: bad/id" in r.stderr
          and "Deleted: 1 message\n" in r.stderr, r.stderr)
    keep = snapshot(inst)
    r = inst.cmd("postsuper", "-d", "ALL", "deferred")
    after = snapshot(inst)
    gone = set(keep) - set(after)
    check("postsuper -d ALL deferred: only deferred mail and its logfiles",
          r.returncode == 0 and inst.queue_files("deferred") == []
          and gone == {queue_rel_path("deferred", d1), queue_rel_path("defer", d1)}
          and "Deleted: 1 message" in r.stderr, "%s %r" % (r.stderr, gone))


def case_structure(inst):
    qd = inst.queue_dir
    good = queue_file("s@example.org", ["r@example.com"], T0, 5)
    mis = queue_id(T0, 0x25, 501)
    store(qd, "deferred", mis, good)
    os.rename(os.path.join(qd, queue_rel_path("deferred", mis)), os.path.join(qd, "deferred", mis))
    bad = queue_id(T0, 6, 502)
    store(qd, "incoming", bad, good)
    os.rename(os.path.join(qd, "incoming", bad), os.path.join(qd, "incoming", "restored.1"))
    damaged = queue_id(T0, 7, 503)
    store(qd, "incoming", damaged, good[:60])
    stale = queue_id(T0, 8, 504)
    store(qd, "hold", stale, good, mode=0o600, mtime=time.time() - 3 * 86400)
    young = queue_id(T0, 9, 505)
    store(qd, "hold", young, good, mode=0o600)
    os.symlink("/etc/passwd", os.path.join(qd, "deferred", queue_id(T0, 10, 506)))
    unreadable = None
    if IS_ROOT:
        unreadable = queue_id(T0, 11, 507)
        p = store(qd, "active", unreadable, good)
        os.chown(p, 0, 0)      # mail_owner cannot open it
    r = inst.cmd("postsuper", "-s")
    err = r.stderr
    check("postsuper -s exit 0", r.returncode == 0, err)
    check("-s moves a misplaced file into its hash directory",
          os.path.exists(os.path.join(qd, queue_rel_path("deferred", mis)))
          and "deferred/%s: moved to %s" % (mis, queue_rel_path("deferred", mis)) in err, err)
    check("-s gives a file with a bad name a queue ID",
          not os.path.exists(os.path.join(qd, "incoming", "restored.1"))
          and "incoming/restored.1: bad file name: renamed to incoming/" in err, err)
    check("-s moves a damaged file to corrupt/, naming the offset",
          damaged in inst.queue_files("corrupt")
          and re.search(r"incoming/%s: corrupt queue file \(offset \d+: .*\): moved to corrupt/%s"
                        % (damaged, damaged), err), err)
    check("-s removes stale temporary files, keeps young ones",
          stale not in inst.queue_files("hold") and young in inst.queue_files("hold"), err)
    check("-s removes symbolic links", "not a regular file" in err
          and not os.path.lexists(os.path.join(qd, "deferred", queue_id(T0, 10, 506))), err)
    if unreadable:
        check("-s moves an unreadable file to corrupt/",
              unreadable in inst.queue_files("corrupt")
              and "active/%s: corrupt queue file (cannot open: Permission denied)" % unreadable in err,
              err)
    young_path = os.path.join(qd, "hold", young)
    os.utime(young_path, (time.time() - 2 * 86400,) * 2)
    r = inst.cmd("postsuper", "-p", "hold")
    check("postsuper -p hold removes the now stale file", r.returncode == 0
          and not os.path.exists(young_path), r.stderr)


# ------------------------------------------------------------------ qshape

def case_qshape(inst):
    """Known domains and ages in deferred; qshape must count them."""
    qd = inst.queue_dir
    run_ok("qshape: postsuper -d ALL deferred first", inst.cmd("postsuper", "-d", "ALL", "deferred"))
    now = int(time.time())
    # (domain, age in minutes, recipients)
    plan = [("alpha.example", 2, 3), ("alpha.example", 7, 1), ("alpha.example", 3000, 2),
            ("beta.example", 15, 2), ("beta.example", 700, 1),
            ("mx1.gamma.example", 1, 1), ("mx2.gamma.example", 1, 1)]
    want = {}
    heads = [5, 10, 20, 40, 80, 160, 320, 640, 1280]
    n = 1000
    for dom, age, count in plan:
        n += 1
        arrival = now - age * 60 - 30
        rcpts = ["u%d@%s" % (i, dom.upper()) for i in range(count)]
        store(qd, "deferred", queue_id(arrival, n % 1000000, n),
              queue_file("sender@%s" % ("src.example" if n % 2 else "other.example"),
                         rcpts + ["done@%s" % dom], arrival, n % 1000000, done={count}))
        b = next((i for i, h in enumerate(heads) if age < h), len(heads))
        row = want.setdefault(dom, [0] * 10)
        row[b] += count
    r = inst.cmd("qshape", "deferred")
    if not run_ok("qshape deferred", r):
        return
    lines = r.stdout.splitlines()
    got = {}
    for line in lines[1:]:
        f = line.split()
        got[f[0]] = [int(x) for x in f[1:]]
    total = [sum(v[i] for v in want.values()) for i in range(10)]
    problems = []
    if lines[0].split() != ["T"] + [str(h) for h in heads] + ["1280+"]:
        problems.append("heading %r" % lines[0])
    if got.get("TOTAL") != [sum(total)] + total:
        problems.append("TOTAL %r, want %r" % (got.get("TOTAL"), total))
    for dom, row in want.items():
        if got.get(dom) != [sum(row)] + row:
            problems.append("%s %r, want %r" % (dom, got.get(dom), row))
    if any(len(line) != 80 for line in lines):
        problems.append("lines not right-aligned to 80 columns")
    order = [line.split()[0] for line in lines[1:]]
    if order != sorted(order, key=lambda d: (d != "TOTAL", -got[d][0], len(d), d)):
        problems.append("row order %r" % order)
    check("qshape counts pending recipients per domain and age bucket",
          not problems, "\n".join(problems) + "\n" + r.stdout)
    r = inst.cmd("qshape", "-s", "deferred")
    got = {line.split()[0]: int(line.split()[1]) for line in r.stdout.splitlines()[1:]}
    check("qshape -s counts senders (one per message)",
          got == {"TOTAL": 7, "src.example": 4, "other.example": 3}, r.stdout)
    r = inst.cmd("qshape", "-j", "-p", "-m", "2", "deferred")
    try:
        j = json.loads(r.stdout)
        rows = {x["domain"]: x for x in j["rows"]}
        check("qshape -j -p: JSON with parent rows",
              j["queues"] == ["deferred"] and j["buckets"][-1] == "1280+"
              and rows[".gamma.example"]["total"] == 2 and rows["TOTAL"]["total"] == 11,
              r.stdout)
    except (ValueError, KeyError) as e:
        not_ok("qshape -j -p: JSON with parent rows", "%s\n%s" % (e, r.stdout))
    r = inst.cmd("qshape", "-n", "2", "deferred")
    check("qshape -n 2: TOTAL and one domain", len(r.stdout.splitlines()) == 3, r.stdout)
    r = inst.cmd("qshape", os.path.join(qd, "deferred"))
    check("qshape with an absolute queue path",
          r.returncode == 0 and "alpha.example" in r.stdout, r.stdout + r.stderr)
    r = inst.cmd("qshape")
    check("qshape default queues (incoming active)", r.returncode == 0
          and "alpha.example" not in r.stdout, r.stdout)


# ------------------------------------------------------------------ postcat

def case_postcat(inst):
    qd = inst.queue_dir
    qid = queue_id(T0, 0x41, 900)
    store(qd, "deferred", qid, queue_file("a@example.org", ["b@example.com", "c@example.com"],
                                          T0, 0x41, done={1}, priority="high"))
    r = inst.cmd("postcat", "-q", qid, env=UTC)
    rel = queue_rel_path("deferred", qid)
    lines = r.stdout.splitlines()
    check("postcat -q: markers, dates, done and pending recipients, priority",
          r.returncode == 0 and lines[0] == "*** ENVELOPE RECORDS %s ***" % rel
          and "message_arrival_time: Tue Nov 14 22:13:20 2023" in lines
          and "recipient: b@example.com" in lines and "done_recipient: c@example.com" in lines
          and "priority: high" in lines and "*** MESSAGE CONTENTS %s ***" % rel in lines
          and "*** HEADER EXTRACTED %s ***" % rel in lines
          and lines[-1] == "*** MESSAGE FILE END %s ***" % rel, r.stdout + r.stderr)
    r = inst.cmd("postcat", "-hq", qid)
    check("postcat -h: headers only", r.stdout == "Subject: test\n", r.stdout)
    r = inst.cmd("postcat", "-bq", qid)
    check("postcat -b: body only", r.stdout == "\ntest message\n", r.stdout)
    path = os.path.join(qd, rel)
    with open(path, "rb") as f:
        data = f.read()
    cut = os.path.join(inst.root, "cut")
    with open(cut, "wb") as f:
        f.write(data[:100])
    r = inst.cmd("postcat", cut)
    check("postcat of a damaged file: warning with the offset, exit 1",
          r.returncode == 1 and re.search(r"postcat: warning: .*cut: offset \d+: ", r.stderr),
          "%d %s" % (r.returncode, r.stderr))


# ------------------------------------------------------------------ live

def case_live():
    """postsuper on a live system whose deliveries keep failing: the
    retry transport (the error agent) defers every recipient, so mail
    cycles between the active and deferred queues every second."""
    inst = Instance(name="live", main_cf={
        "default_transport": "retry",
        "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "queue_run_delay": "1s", "backoff_jitter": "0%",
    })
    if not run_ok("live: postern start", inst.start()):
        return
    n = 30
    for i in range(n):
        r = inst.cmd("sendmail", "-f", "load@test.example", "rcpt%d@example.com" % i,
                     input="Subject: load %d\n\nbody\n" % i, config_flag="-C")
        if r.returncode != 0:
            not_ok("live: sendmail %d" % i, r.stderr)
            break

    def count():
        return sum(len(inst.queue_files(q)) for q in
                   ("maildrop", "incoming", "active", "deferred", "hold"))

    check("live: all messages queued",
          wait_for(lambda: count() == n and len(inst.queue_files("deferred")) > 0, 30),
          "count %d" % count())
    rounds = [["-h", "ALL"], ["-H", "ALL"], ["-r", "ALL"], ["-h", "ALL"], ["-H", "ALL"]]
    for args in rounds:
        r = inst.cmd("postsuper", *args)
        run_ok("live: postsuper %s" % " ".join(args), r)
        time.sleep(0.5)
    check("live: no message lost by hold, release and requeue",
          wait_for(lambda: count() == n and not inst.queue_files("maildrop"), 30),
          "count %d" % count())
    ids = inst.queue_files("deferred")
    r = inst.cmd("postqueue", "-f")
    run_ok("live: postqueue -f", r)
    r = inst.cmd("postqueue", "-s", "example.com")
    run_ok("live: postqueue -s example.com", r)
    if ids:
        run_ok("live: postqueue -i ID", inst.cmd("postqueue", "-i", ids[0]))
    # A listing is a walk over directories while qmgr moves files between
    # them (as with Postfix), so one walk may miss or repeat a message in
    # flight: some walk out of a few must see each message exactly once.
    listed = []
    for _ in range(10):
        r = inst.cmd("postqueue", "-j")
        try:
            listed = [j["queue_id"] for j in parse_json(r.stdout)]
        except ValueError as e:
            not_ok("live: postqueue -j output is JSON", "%s\n%s" % (e, r.stdout))
            break
        if len(listed) == n and len(set(listed)) == n:
            break
        time.sleep(0.2)
    check("live: postqueue -j lists every message", len(set(listed)) == n == len(listed),
          "%d listed, %d distinct" % (len(listed), len(set(listed))))
    deleted = 0
    deadline = time.monotonic() + 60
    while count() and time.monotonic() < deadline:
        r = inst.cmd("postsuper", "-d", "ALL")
        m = re.search(r"Deleted: (\d+) message", r.stderr)
        deleted += int(m.group(1)) if m else 0
        time.sleep(0.5)
    check("live: postsuper -d ALL empties the queue, counting every message",
          count() == 0 and deleted == n, "left %d, deleted %d" % (count(), deleted))
    log = inst.log_text()
    check("live: no daemon panicked or died",
          not re.search(r"(panic|fatal):|terminated on signal|status \d+$", log, re.M),
          "\n".join(line for line in log.splitlines()
                    if re.search(r"panic|fatal|signal", line)))
    inst.stop()


# ------------------------------------------------------------------ pflogsumm

def pflogsumm_totals(text):
    """Grand Totals of pflogsumm's report: {"received": 6, ...}."""
    totals = {}
    m = re.search(r"Grand Totals\n-+\nmessages\n\n(.*?)\n\n", text, re.S)
    for line in (m.group(1).splitlines() if m else []):
        f = re.match(r"\s*(\d+)\s+(\w[\w ]*?)(?:\s+\(|$)", line)
        if f:
            totals[f.group(2).strip()] = int(f.group(1))
    return totals


def pflogsumm_table(text, title):
    """Rows of one "Host/Domain Summary" table: domain -> numbers."""
    m = re.search(re.escape(title) + r".*?\n-+\n.*?\n[ -]+\n(.*?)\n\n", text + "\n\n", re.S)
    rows = {}
    for line in (m.group(1).splitlines() if m else []):
        f = line.split()
        if f:
            rows[f[-1]] = f[:-1]
    return rows


def case_pflogsumm():
    """A day's log in Postfix's words: pflogsumm counts what happened."""
    import shutil
    import smtplib
    from postern_test import run
    if not shutil.which("pflogsumm"):
        skip("pflogsumm summarises Postern's log", "pflogsumm not installed")
        return
    inst = Instance(name="logs", main_cf={
        "relay_domains": "ok.example bad.example slow.example",
        "mynetworks": "192.0.2.0/24",
        "alias_maps": "", "alias_database": "", "local_recipient_maps": "",
        "transport_maps": "inline:{ ok.example=discard, bad.example=error:nope, "
                          "slow.example=retry:later }",
    })
    if not run_ok("pflogsumm: postern start", inst.start()):
        return
    try:
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30)
        s.ehlo("client.example")
        for rcpts in (["a1@ok.example", "a2@ok.example"], ["b@ok.example"],
                      ["c@bad.example"], ["d@slow.example"],
                      ["e1@ok.example", "e2@bad.example"]):
            s.sendmail("sender@ok.example", rcpts, "Subject: t\r\n\r\nbody\r\n")
        s.mail("sender@ok.example")
        rejected = [s.rcpt(r)[0] for r in ("x@unknown.example", "y@unknown.example")]
        s.rset()
        s.quit()
    except (OSError, smtplib.SMTPException) as e:
        not_ok("pflogsumm: SMTP session", repr(e))
        inst.stop()
        return
    check("pflogsumm: relaying refused twice", rejected == [454, 454], repr(rejected))
    r = inst.cmd("sendmail", "-f", "sender@ok.example", "f@ok.example",
                 input="Subject: f\n\nhi\n", config_flag="-C")
    run_ok("pflogsumm: local submission", r)
    # Sent: a1 a2 b e1 f and the two non-delivery notices to sender@ok.example;
    # removed: five messages (not the deferred one) and the two notices.
    done_lines = lambda: (len(re.findall(r"status=sent", inst.log_text())) >= 7
                          and len(re.findall(r"status=bounced", inst.log_text())) >= 2
                          and "status=deferred" in inst.log_text()
                          and len(re.findall(r"qmgr\[\d+\]: \w+: removed", inst.log_text())) >= 7)
    check("pflogsumm: every message delivered, bounced or deferred",
          wait_for(done_lines, 30), inst.log_text())
    inst.stop()
    r = run(["pflogsumm", "--syslog-name=postern", inst.maillog])
    totals = pflogsumm_totals(r.stdout)
    want = {"received": 6, "delivered": 7, "forwarded": 0, "deferred": 1,
            "bounced": 2, "rejected": 2}
    got = {k: totals.get(k) for k in want}
    check("pflogsumm Grand Totals match what happened", got == want,
          "got %r\nwant %r\n%s\n%s" % (got, want, r.stdout[:1500], r.stderr))
    check("pflogsumm counts one deferral", re.search(r"1\s+deferred\s+\(1\s+deferrals\)",
                                                    r.stdout) is not None, r.stdout[:600])
    dlv = pflogsumm_table(r.stdout, "Host/Domain Summary: Message Delivery")
    rcv = pflogsumm_table(r.stdout, "Host/Domain Summary: Messages Received")
    check("pflogsumm per-domain delivery table",
          dlv.get("ok.example", [None])[0] == "7" and dlv.get("slow.example", [0, 0, None])[2] == "1"
          and "bad.example" not in dlv, repr(dlv))
    check("pflogsumm per-domain received table", rcv.get("ok.example", [None])[0] == "6",
          repr(rcv))
    check("pflogsumm sees no warnings, fatal errors or panics",
          re.search(r"^Warnings: none$", r.stdout, re.M)
          and re.search(r"^Fatal Errors: none$", r.stdout, re.M)
          and re.search(r"^Panics: none$", r.stdout, re.M), r.stdout)


# ------------------------------------------------------------------ main

def main():
    inst = Instance(name="ops", master_cf_replace={"qmgr": None, "pickup": None})
    r = inst.postern("check")
    if not os.path.isdir(os.path.join(inst.queue_dir, "deferred")):
        not_ok("postern check creates the queue", r.stdout + r.stderr)
        done()
    # An installed postqueue is set-gid setgid_group, which may enter
    # public/; the build tree's is not, so let everyone in instead.
    os.chmod(os.path.join(inst.queue_dir, "public"), 0o711)
    msgs = build_queue(inst)
    submit_local(inst, msgs)
    listing = case_listing_down(inst, msgs)
    if listing is not None and run_ok("postern start (no qmgr, no pickup)", inst.start()):
        case_listing_up(inst, msgs, listing)
        case_postsuper_running(inst, msgs)
        inst.stop()
    case_bad_input(inst, msgs)
    case_postsuper_ops(inst, msgs)
    case_structure(inst)
    case_qshape(inst)
    case_postcat(inst)
    if os.path.exists(os.path.join(LIBEXECDIR, "qmgr")) \
            and os.path.exists(os.path.join(LIBEXECDIR, "error")):
        case_live()
    else:
        skip("live postsuper under delivery", "qmgr or error not built")
    if all(os.path.exists(os.path.join(LIBEXECDIR, p))
           for p in ("qmgr", "error", "discard", "bounce")):
        case_pflogsumm()
    else:
        skip("pflogsumm summarises Postern's log", "delivery agents not built")
    done()


if __name__ == "__main__":
    main()
