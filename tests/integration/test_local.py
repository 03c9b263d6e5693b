#!/usr/bin/env python3
"""test_local - local delivery, aliases, error/retry/discard, bounces.

Runs a real instance (smtpd -> cleanup -> qmgr -> local/error/discard ->
bounce) and checks what arrives where:

  * mbox delivery to mail_spool_directory for the running user: the From_
    line, Return-Path:, X-Original-To:, Delivered-To:, >From quoting, the
    empty line after each message, mode and owner, no lock file left;
  * a recipient_delimiter extension, aliases built by postalias (to a
    user, to a file in mbox format, to a maildir "/dir/", to a command,
    :include: lists, a self-referencing alias, forwarding to another
    machine), the privileges of alias destinations (the alias table's
    owner), allow_mail_to_commands for :include: files;
  * an unknown user: a 5.1.1 bounce whose RFC 3464 notification arrives
    in the sender's mailbox, the bounce logfile removed afterwards; a
    bounce of a bounce is logged and dropped;
  * a message with a Delivered-To: header of its recipient (loop),
    mailbox_size_limit (5.2.2), a busy and a stale dot lock;
  * the error (5.1.1 from the next-hop text), retry (deferred) and discard
    transports through transport_maps, and the agents spoken to directly
    over the delivery protocol;
  * a delay warning (delay_warning_time) and an expired message
    (maximal_queue_lifetime) returned to the sender;
  * an unprivileged instance delivering as its own user.
"""

import os
import pwd
import re
import smtplib
import socket
import stat
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (IS_ROOT, Instance, check, done, mbox_messages,  # noqa: E402
                          read_text, skip, unprivileged_user, wait_for)

ME = pwd.getpwuid(os.geteuid()).pw_name


def send(inst, sender, rcpts, text):
    """Submit one message over SMTP; returns None or the error."""
    try:
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        s.sendmail(sender, rcpts, text)
        s.quit()
        return None
    except (OSError, smtplib.SMTPException) as e:
        return str(e)


def wait_messages(path, count, timeout=20):
    return wait_for(lambda: len(mbox_messages(path)) >= count, timeout=timeout)


def log_since(inst, mark):
    return inst.log_text()[mark:]


# ------------------------------------------------------------ the instance

def setup():
    pt = unprivileged_user() if IS_ROOT else None
    inst = Instance(name="local", main_cf={
        "local_recipient_maps": "",
        "recipient_delimiter": "+",
        "deliver_lock_attempts": "1",
        "deliver_lock_delay": "1s",
        "stale_lock_time": "60s",
    })
    spool = os.path.join(inst.root, "spool")
    os.makedirs(spool)
    os.chmod(spool, 0o755)
    area = os.path.join(inst.root, "area")
    os.makedirs(area)
    os.chmod(area, 0o755)
    if pt:
        pw = pwd.getpwnam(pt)
        os.chown(area, pw.pw_uid, pw.pw_gid)
    aliases = os.path.join(inst.config_dir, "aliases")
    include = os.path.join(inst.config_dir, "list.inc")
    with open(include, "w") as f:
        f.write("# members\n%s\n\"|cat > %s/from-include\"\n" % (ME, area))
    with open(aliases, "w") as f:
        f.write("postmaster: %s\n" % ME)
        f.write("team: %s\n" % ME)
        f.write("tofile: %s/file.mbox\n" % area)
        f.write("tomaildir: %s/Maildir/\n" % area)
        f.write("tocmd: \"|cat > %s/cmd.out\"\n" % area)
        f.write("list: :include:%s\n" % include)
        f.write("self: self, %s\n" % ME)
        f.write("away: someone@remote.example\n")
        f.write("broken: nosuchuser\n")
    transport = os.path.join(inst.config_dir, "transport")
    with open(transport, "w") as f:
        f.write("err.example error:5.1.1 no such user here\n")
        f.write("retry.example retry:4.7.1 try again later\n")
        f.write("discard.example discard:silently\n")
        f.write("remote.example discard:\n")
    inst.set_main_cf({
        "mail_spool_directory": spool,
        "alias_maps": "hash:" + aliases,
        "alias_database": "hash:" + aliases,
        "transport_maps": "texthash:" + transport,
    })
    r = inst.cmd("postalias", aliases)
    if pt:
        pw = pwd.getpwnam(pt)
        os.chown(aliases + ".db", pw.pw_uid, pw.pw_gid)
    return inst, spool, area, pt, r


def test_mbox(inst, spool):
    box = os.path.join(spool, ME)
    body = ("From: Sender <sender@example.com>\nSubject: mbox one\n\n"
            "first line\nFrom the start\n>From kept\nFrom\n")
    err = send(inst, "sender@example.com", ["%s@test.example" % ME], body)
    got = wait_messages(box, 1)
    msgs = mbox_messages(box)
    check("mbox: message arrives", err is None and got, "%s\n%s" % (err, inst.log_text()))
    if not msgs:
        return
    m = msgs[0]
    lines = m.split("\n")
    check("mbox: From_ line with sender and date",
          re.match(r"From sender@example\.com  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$",
                   lines[0]) is not None, lines[0])
    check("mbox: prepended headers in Postfix's order",
          lines[1:4] == ["Return-Path: <sender@example.com>",
                         "X-Original-To: %s@test.example" % ME,
                         "Delivered-To: %s@test.example" % ME], "\n".join(lines[:6]))
    check("mbox: >From quoting of body lines", "\n>From the start\n>>From kept\nFrom\n" in m
          or "\n>From the start\n>From kept\nFrom\n" in m, m)
    check("mbox: only 'From ' lines are quoted", "\n>From kept\n" in m and "\nFrom\n" in m, m)
    check("mbox: empty line ends the message", m.endswith("From\n\n"), repr(m[-40:]))
    st = os.stat(box)
    check("mbox: mode 0600, owned by the recipient",
          stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(),
          "%o %d" % (st.st_mode, st.st_uid))
    check("mbox: log line", inst.log_wait(
        r"to=<%s@test\.example>, relay=local, delay=[\d.]+, delays=[\d./]+, "
        r"dsn=2\.0\.0, status=sent \(delivered to mailbox\)" % ME, 5) is not None,
        inst.log_text())
    err = send(inst, "sender@example.com", ["%s+tag@test.example" % ME],
               "Subject: mbox two\n\nsecond\n")
    got = wait_messages(box, 2)
    msgs = mbox_messages(box)
    check("mbox: second message appended, extension kept in Delivered-To",
          got and len(msgs) == 2 and "Delivered-To: %s+tag@test.example" % ME in msgs[1]
          and "Subject: mbox one" in msgs[0], read_text(box)[-400:])
    inst.log_wait(r"to=<%s\+tag@test\.example>, relay=local, .*status=sent" % ME, 10)
    check("mbox: no lock file left", not os.path.exists(box + ".lock"))


def test_aliases(inst, spool, area, pt):
    box = os.path.join(spool, ME)
    before = len(mbox_messages(box))
    mark = inst.log_mark()
    err = send(inst, "sender@example.com", ["team@test.example"], "Subject: to team\n\nhello team\n")
    got = wait_messages(box, before + 1)
    msgs = mbox_messages(box)
    check("alias to a user", err is None and got and "Subject: to team" in msgs[-1],
          log_since(inst, mark))
    check("alias: log names the destination and orig_to",
          inst.log_wait(r"to=<%s@test\.example>, orig_to=<team@test\.example>, relay=local"
                        % ME, 5, since=mark) is not None, log_since(inst, mark))
    check("alias: Delivered-To is the final address",
          msgs and "Delivered-To: %s@test.example" % ME in msgs[-1], msgs[-1] if msgs else "")

    err = send(inst, "sender@example.com", ["tofile@test.example"], "Subject: to file\n\nFrom x\n")
    fpath = os.path.join(area, "file.mbox")
    got = wait_messages(fpath, 1)
    m = read_text(fpath)
    check("alias to a file: mbox format", err is None and got and m.startswith("From sender@example.com  ")
          and "\n>From x\n" in m and "Delivered-To: tofile@test.example" in m, m or inst.log_text())
    if pt:
        check("alias to a file: written as the alias table's owner",
              os.path.exists(fpath) and os.stat(fpath).st_uid == pwd.getpwnam(pt).pw_uid)
    check("alias to a file: log", inst.log_wait(
        r"to=<tofile@test\.example>, relay=local, .*status=sent \(delivered to file: %s\)"
        % re.escape(fpath), 5) is not None, inst.log_text())

    err = send(inst, "sender@example.com", ["tomaildir@test.example"],
               "Subject: to maildir\n\nFrom y\n")
    newdir = os.path.join(area, "Maildir", "new")
    got = wait_for(lambda: os.path.isdir(newdir) and os.listdir(newdir), timeout=20)
    names = os.listdir(newdir) if got else []
    m = read_text(os.path.join(newdir, names[0])) if names else ""
    check("alias to a maildir: one file in new/, tmp/ empty, cur/ made",
          len(names) == 1 and os.listdir(os.path.join(area, "Maildir", "tmp")) == []
          and os.path.isdir(os.path.join(area, "Maildir", "cur")), "%s %s" % (names, inst.log_text()))
    check("maildir: unique name time.MusecPpidQcount.host",
          names and re.match(r"^\d+\.M\d+P\d+Q\d+\.test\.example$", names[0]) is not None, names)
    check("maildir: Return-Path first, no From_ line, no quoting",
          m.startswith("Return-Path: <sender@example.com>\n") and "\nFrom y\n" in m
          and "Delivered-To: tomaildir@test.example" in m, m)
    check("maildir: log", inst.log_wait(
        r"to=<tomaildir@test\.example>, relay=local, .*status=sent \(delivered to maildir\)",
        5) is not None, inst.log_text())

    err = send(inst, "sender@example.com", ["tocmd@test.example"], "Subject: to cmd\n\nrun\n")
    cpath = os.path.join(area, "cmd.out")
    got = wait_for(lambda: "run\n" in read_text(cpath), timeout=20)
    m = read_text(cpath)
    check("alias to a command: message on stdin with From_ line and Delivered-To",
          got and m.startswith("From sender@example.com  ") and "Delivered-To: tocmd@test.example" in m,
          m or inst.log_text())
    if pt:
        check("alias to a command: runs as the alias table's owner",
              os.path.exists(cpath) and os.stat(cpath).st_uid == pwd.getpwnam(pt).pw_uid)
    check("command: log", inst.log_wait(
        r"to=<tocmd@test\.example>, relay=local, .*status=sent \(delivered to command: cat > ",
        5) is not None, inst.log_text())

    before = len(mbox_messages(box))
    mark = inst.log_mark()
    err = send(inst, "sender@example.com", ["list@test.example"], "Subject: to list\n\nlist\n")
    got = wait_messages(box, before + 1)
    check("include: member delivered", err is None and got, log_since(inst, mark))
    check("include: command in an :include: file is restricted (5.7.1)",
          inst.log_wait(r"to=<list@test\.example>, relay=local, .*dsn=5\.7\.1, "
                        r"status=bounced \(mail to command is restricted\)", 10,
                        since=mark) is not None
          and not os.path.exists(os.path.join(area, "from-include")), log_since(inst, mark))

    before = len(mbox_messages(box))
    mark = inst.log_mark()
    err = send(inst, "sender@example.com", ["self@test.example"], "Subject: self\n\nself\n")
    check("self-referencing alias: mailbox of the alias name is tried",
          inst.log_wait(r"to=<self@test\.example>, relay=local, .*dsn=5\.1\.1, "
                        r"status=bounced \(unknown user: \"self\"\)", 20, since=mark) is not None,
          log_since(inst, mark))
    check("self-referencing alias: other member delivered", wait_messages(box, before + 1),
          log_since(inst, mark))

    mark = inst.log_mark()
    err = send(inst, "sender@example.com", ["away@test.example"], "Subject: away\n\naway\n")
    m = inst.log_wait(r"to=<someone@remote\.example>, orig_to=<away@test\.example>, relay=local, "
                      r".*status=sent \(forwarded as (\w+)\)", 20, since=mark)
    check("alias to another machine: forwarded as a new message", m is not None,
          log_since(inst, mark))
    if m:
        check("forwarded message goes its own way",
              inst.log_wait(r"%s: to=<someone@remote\.example>, (orig_to=<[^>]*>, )?relay=none, "
                            r".*status=sent" % m.group(1), 20, since=mark) is not None,
              log_since(inst, mark))


def test_bounce(inst, spool):
    box = os.path.join(spool, ME)
    before = len(mbox_messages(box))
    mark = inst.log_mark()
    err = send(inst, "%s@test.example" % ME, ["nosuch@test.example"],
               "Message-ID: <orig-1@example>\nSubject: lost\n\nlost body\n")
    m = inst.log_wait(r"(\w+): to=<nosuch@test\.example>, relay=local, .*dsn=5\.1\.1, "
                      r"status=bounced \(unknown user: \"nosuch\"\)", 20, since=mark)
    check("unknown user: 5.1.1 bounced", err is None and m is not None, log_since(inst, mark))
    n = inst.log_wait(r"(\w+): sender non-delivery notification: (\w+)", 20, since=mark)
    check("unknown user: notification queued", n is not None, log_since(inst, mark))
    got = wait_messages(box, before + 1)
    msgs = mbox_messages(box)
    dsn = msgs[-1] if got else ""
    check("notification arrives in the sender's mailbox", got, log_since(inst, mark))
    check("notification: null sender, Postfix's headers",
          dsn.startswith("From MAILER-DAEMON  ") and "Return-Path: <>" in dsn
          and "From: MAILER-DAEMON@test.example (Mail Delivery System)" in dsn
          and "Subject: Undelivered Mail Returned to Sender" in dsn
          and "Content-Type: multipart/report; report-type=delivery-status;" in dsn, dsn[:1500])
    check("notification: human-readable part",
          "This is the mail system at host test.example." in dsn
          and "I'm sorry to have to inform you that your message could not" in dsn
          and '<nosuch@test.example>: unknown user: "nosuch"' in dsn, dsn)
    check("notification: delivery-status part",
          "Reporting-MTA: dns; test.example" in dsn
          and (m is None or "X-Postern-Queue-ID: %s" % m.group(1) in dsn)
          and "Final-Recipient: rfc822; nosuch@test.example" in dsn
          and "Action: failed" in dsn and "Status: 5.1.1" in dsn
          and 'Diagnostic-Code: X-Postern; unknown user: "nosuch"' in dsn, dsn)
    check("notification: the original message returned",
          "Content-Type: message/rfc822" in dsn and "Message-ID: <orig-1@example>" in dsn
          and "lost body" in dsn, dsn)
    if m:
        check("bounce logfile removed after the flush",
              wait_for(lambda: m.group(1) not in inst.queue_files("bounce"), timeout=10),
              inst.queue_files("bounce"))

    mark = inst.log_mark()
    err = send(inst, "", ["nosuch2@test.example"], "Subject: bounce of bounce\n\nx\n")
    check("bounce of a bounce: logged and dropped",
          err is None and inst.log_wait(
              r"non-delivery notification for mail from the null sender discarded",
              20, since=mark) is not None
          and "sender non-delivery notification" not in log_since(inst, mark),
          log_since(inst, mark))


def test_loops_and_limits(inst, spool):
    box = os.path.join(spool, ME)
    mark = inst.log_mark()
    send(inst, "sender@example.com", ["%s@test.example" % ME],
         "Delivered-To: %s@test.example\nSubject: loop\n\nloop\n" % ME)
    check("Delivered-To: loop bounces with 5.4.6", inst.log_wait(
        r"to=<%s@test\.example>, relay=local, .*dsn=5\.4\.6, status=bounced "
        r"\(mail forwarding loop for %s@test\.example\)" % (ME, ME), 20, since=mark) is not None,
        log_since(inst, mark))

    # A busy lock: fresh USER.lock, one attempt -> deferred.
    lock = box + ".lock"
    with open(lock, "w"):
        pass
    mark = inst.log_mark()
    send(inst, "sender@example.com", ["%s@test.example" % ME], "Subject: locked\n\nlocked\n")
    check("busy dot lock: deferred", inst.log_wait(
        r"to=<%s@test\.example>, relay=local, .*dsn=4\.2\.0, status=deferred "
        r"\(cannot update mailbox %s for user %s\. unable to create lock file" %
        (ME, re.escape(box), ME), 30, since=mark) is not None, log_since(inst, mark))
    check("busy dot lock: lock file left alone", os.path.exists(lock))
    old = time.time() - 3600
    os.utime(lock, (old, old))
    before = len(mbox_messages(box))
    mark = inst.log_mark()
    inst.postern("flush")
    got = wait_messages(box, before + 1, timeout=30)
    sent = inst.log_wait(r"to=<%s@test\.example>, relay=local, .*status=sent" % ME, 10, since=mark)
    check("stale dot lock removed, deferred mail delivered on flush",
          got and sent and inst.log_wait(r"removed stale lock file %s" % re.escape(lock), 5,
                                         since=mark) is not None and not os.path.exists(lock),
          log_since(inst, mark))

    inst.set_main_cf({"mailbox_size_limit": "1000"})
    inst.postern("reload")
    time.sleep(1)
    size = os.path.getsize(box)
    mark = inst.log_mark()
    send(inst, "sender@example.com", ["%s@test.example" % ME],
         "Subject: big\n\n" + ("x" * 70 + "\n") * 40)
    check("mailbox_size_limit: 5.2.2 bounced, mailbox unchanged", inst.log_wait(
        r"to=<%s@test\.example>, relay=local, .*dsn=5\.2\.2, status=bounced "
        r"\(cannot update mailbox .*File too large" % ME, 20, since=mark) is not None
        and os.path.getsize(box) <= size + 3000, log_since(inst, mark))
    inst.set_main_cf({"mailbox_size_limit": None})
    inst.postern("reload")
    time.sleep(1)


def test_transports(inst):
    mark = inst.log_mark()
    send(inst, "sender@example.com", ["u@err.example"], "Subject: err\n\nerr\n")
    check("error transport: bounced with the next-hop text and its code", inst.log_wait(
        r"to=<u@err\.example>, relay=none, .*dsn=5\.1\.1, status=bounced \(no such user here\)",
        20, since=mark) is not None, log_since(inst, mark))
    mark = inst.log_mark()
    send(inst, "sender@example.com", ["u@retry.example"], "Subject: retry\n\nretry\n")
    m = inst.log_wait(r"(\w+): to=<u@retry\.example>, relay=none, .*dsn=4\.7\.1, "
                      r"status=deferred \(try again later\)", 20, since=mark)
    check("retry transport: deferred", m is not None, log_since(inst, mark))
    if m:
        check("retry transport: message in the deferred queue",
              wait_for(lambda: m.group(1) in inst.queue_files("deferred"), timeout=10),
              inst.queue_files("deferred"))
    mark = inst.log_mark()
    send(inst, "sender@example.com", ["u@discard.example"], "Subject: discard\n\nd\n")
    m = inst.log_wait(r"(\w+): to=<u@discard\.example>, relay=none, .*dsn=2\.0\.0, "
                      r"status=sent \(silently\)", 20, since=mark)
    check("discard transport: sent, logged with the next-hop text", m is not None,
          log_since(inst, mark))
    if m:
        check("discard transport: message removed",
              inst.log_wait(r"%s: removed" % m.group(1), 10, since=mark) is not None)


# ------------------------------------------------------------ direct protocol

def attr_list(items):
    out = b""
    for name, value in items:
        if isinstance(value, int):
            t, v = b"N", str(value).encode()
        else:
            t, v = b"S", value.encode()
        out += t + bytes([len(name)]) + name.encode() + struct.pack(">I", len(v)) + v
    return out + b"\0"


def direct_request(inst, service, nexthop, rcpts):
    path = os.path.join(inst.queue_dir, "private", service)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    f = s.makefile("rb")

    def read_list():
        out = {}
        while True:
            t = f.read(1)
            if not t:
                return None
            if t == b"\0":
                return out
            n = f.read(1)[0]
            name = f.read(n).decode()
            (length,) = struct.unpack(">I", f.read(4))
            out[name] = f.read(length).decode(errors="replace")

    hello = read_list()
    now = int(time.time())
    req = [("flags", 0), ("queue_name", "active"), ("queue_id", "1xVQiR3p2ojzaU"),
           ("data_offset", 100), ("data_size", 10), ("nexthop", nexthop),
           ("transport", service), ("sender", "s@example.com"),
           ("arrival_time", now), ("rcpt_count", len(rcpts))]
    s.sendall(attr_list(req))
    for i, r in enumerate(rcpts):
        s.sendall(attr_list([("offset", 1000 + i), ("address", r)]))
    replies = [read_list() for _ in rcpts]
    final = read_list()
    s.close()
    return hello, replies, final


def test_direct(inst):
    try:
        hello, replies, final = direct_request(inst, "error", "5.2.1 mailbox disabled",
                                               ["a@x.example", "b@x.example"])
    except (OSError, TypeError, IndexError, struct.error) as e:
        check("error agent over the delivery protocol", False, str(e))
        return
    check("error agent: hello, one reply per recipient, final status",
          hello == {"proto": "deliver"} and all(r and r.get("status") == "5" for r in replies)
          and sorted(r["offset"] for r in replies) == ["1000", "1001"]
          and final and final.get("status") == "0", "%s %s %s" % (hello, replies, final))
    check("error agent: status code and reason from the next-hop text",
          replies[0].get("dsn_status") == "5.2.1" and replies[0].get("reason") == "mailbox disabled"
          and replies[0].get("relay") == "none", replies)
    hello, replies, final = direct_request(inst, "retry", "", ["c@x.example"])
    check("retry agent: deferred 4.0.0",
          replies[0] and replies[0].get("status") == "4" and replies[0].get("dsn_status") == "4.0.0",
          replies)
    hello, replies, final = direct_request(inst, "discard", "", ["d@x.example"])
    check("discard agent: sent 2.0.0 \"discarded\"",
          replies[0] and replies[0].get("status") == "0" and replies[0].get("reason") == "discarded",
          replies)


def test_delay_and_expire():
    """delay_warning_time and maximal_queue_lifetime through qmgr and bounce."""
    inst = Instance(name="local-delay", main_cf={"local_recipient_maps": "", "alias_maps": "",
                                                 "delay_warning_time": "1s"})
    spool = os.path.join(inst.root, "spool")
    os.makedirs(spool)
    transport = os.path.join(inst.config_dir, "transport")
    with open(transport, "w") as f:
        f.write("retry.example retry:4.7.1 try again later\n")
    inst.set_main_cf({"mail_spool_directory": spool, "transport_maps": "texthash:" + transport})
    r = inst.start()
    if r.returncode != 0:
        check("delay instance starts", False, r.stdout + r.stderr)
        return
    box = os.path.join(spool, ME)
    send(inst, "%s@test.example" % ME, ["u@retry.example"], "Subject: slow\n\nslow body\n")
    inst.log_wait(r"to=<u@retry\.example>, .*status=deferred", 20)
    time.sleep(2)
    inst.postern("flush")
    got = wait_messages(box, 1)
    m = mbox_messages(box)[0] if got else ""
    check("delay warning: logged and delivered to the sender",
          inst.log_wait(r"sender delay notification: \w+", 5) is not None and got, inst.log_text())
    check("delay warning: text, Action: delayed, Will-Retry-Until, headers only",
          "Subject: Delayed Mail (still being retried)" in m
          and "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #" in m
          and "<u@retry.example>: try again later" in m and "Action: delayed" in m
          and "Status: 4.7.1" in m and "Will-Retry-Until: " in m
          and "Content-Type: text/rfc822-headers" in m and "slow body" not in m, m)
    inst.set_main_cf({"maximal_queue_lifetime": "1s"})
    inst.postern("reload")
    time.sleep(2)
    inst.postern("flush")
    got = wait_messages(box, 2)
    m = mbox_messages(box)[1] if got else ""
    check("expired: returned to sender with the last deferral reason",
          inst.log_wait(r"status=expired, returned to sender", 5) is not None
          and "Subject: Undelivered Mail Returned to Sender" in m
          and "<u@retry.example>: try again later" in m and "Action: failed" in m
          and "Content-Type: message/rfc822" in m and "slow body" in m, m or inst.log_text())
    inst.stop()


def test_unprivileged(pt):
    inst = Instance(name="local-unpriv", run_as=pt, main_cf={"local_recipient_maps": "",
                                                             "alias_maps": ""})
    spool = os.path.join(inst.root, "spool")
    os.makedirs(spool)
    pw = pwd.getpwnam(pt)
    os.chown(spool, pw.pw_uid, pw.pw_gid)
    inst.set_main_cf({"mail_spool_directory": spool})
    r = inst.start()
    if r.returncode != 0:
        check("unprivileged instance starts", False, r.stdout + r.stderr)
        return
    send(inst, "sender@example.com", ["%s@test.example" % pt, "root@test.example"],
         "Subject: unpriv\n\nhello\n")
    ok = wait_for(lambda: len(mbox_messages(os.path.join(spool, pt))) == 1
                  and len(mbox_messages(os.path.join(spool, "root"))) == 1, timeout=20)
    check("unprivileged instance: delivers as its own user",
          ok and os.stat(os.path.join(spool, "root")).st_uid == pw.pw_uid, inst.log_text())
    inst.stop()


def main():
    inst, spool, area, pt, r = setup()
    check("postalias builds the aliases", r.returncode == 0, r.stdout + r.stderr)
    r = inst.start()
    if r.returncode != 0:
        check("instance starts", False, r.stdout + r.stderr)
        done()
    test_mbox(inst, spool)
    test_aliases(inst, spool, area, pt)
    test_bounce(inst, spool)
    test_transports(inst)
    test_direct(inst)
    test_loops_and_limits(inst, spool)
    inst.stop()
    test_delay_and_expire()
    if pt:
        test_unprivileged(pt)
    else:
        skip("unprivileged instance", "needs root to create the test user")
    done()


if __name__ == "__main__":
    main()
