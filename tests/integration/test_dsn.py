#!/usr/bin/env python3
"""test_dsn - success notifications (RFC 3461 NOTIFY=SUCCESS, RFC 3464).

Runs a real instance (smtpd -> cleanup -> qmgr -> local/smtp -> trace)
with two SMTP sinks on loopback, one announcing DSN in its EHLO reply and
one not, and checks what reaches the sender's mailbox:

  * local delivery with NOTIFY=SUCCESS and ORCPT: a multipart/report from
    the null sender, "Successful Mail Delivery Report", Action: delivered,
    Status: 2.0.0, Original-Recipient, the original headers only (RET
    unset), the log line "ID: sender delivery status notification: NEW"
    and trace/ID removed afterwards;
  * relay to a next hop without DSN: Action: relayed with the next hop's
    250 reply as Diagnostic-Code, RET=FULL returns the whole message;
  * relay to a next hop with DSN: no notice here, NOTIFY=SUCCESS passed on
    in the RCPT the sink received;
  * NOTIFY=NEVER, no NOTIFY at all and the null sender: no notice;
  * one recipient delivered and one bounced: both notices;
  * an alias expanded to two destinations: Action: expanded, and no second
    notice from the forwarded copy;
  * sendmail -N success.
"""

import os
import pwd
import re
import smtplib
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (IS_ROOT, check, done, mbox_messages,  # noqa: E402
                          unprivileged_user, wait_for)
from soak_lib import Sink, sink_instance  # noqa: E402

ME = pwd.getpwuid(os.geteuid()).pw_name
NO_DSN = "PIPELINING,SIZE,8BITMIME,ENHANCEDSTATUSCODES"
NOTICE = "sender delivery status notification"


def submit(inst, sender, rcpts, subject, mail_opts=(), body="dsn body line\n"):
    """One message over SMTP; rcpts: (address, [options]). Returns the
    queue ID or None."""
    text = ("From: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@src.test>\r\n\r\n%s"
            % (sender or "nobody@test.example", subject, subject,
               body.replace("\n", "\r\n")))
    try:
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        s.ehlo("client.test")
        code, _ = s.mail(sender, list(mail_opts))
        for addr, opts in rcpts:
            s.rcpt(addr, list(opts))
        code, resp = s.data(text.encode())
        s.quit()
    except (OSError, smtplib.SMTPException):
        return None
    m = re.search(rb"queued as (\w+)", resp)
    return m.group(1).decode() if code == 250 and m else None


def notices_about(box, subject, kind="Successful Mail Delivery Report"):
    """Notices in the mailbox that quote the original's subject."""
    return [m for m in mbox_messages(box)
            if "Subject: %s" % kind in m and "Subject: %s\n" % subject in m]


def finished(inst, qid, timeout=30):
    """Wait until the original is removed from the queue."""
    return qid is not None and inst.log_wait(r"%s: removed" % qid, timeout) is not None


def no_notice(inst, qid):
    return qid is not None and "%s: %s" % (qid, NOTICE) not in inst.log_text()


# ------------------------------------------------------------ the instance

def setup(plain, dsn):
    pt = unprivileged_user() if IS_ROOT else None
    inst = sink_instance("dsn", {"plain.test": plain.port, "dsn.test": dsn.port}, {
        "local_recipient_maps": "",
        "recipient_delimiter": "+",
    })
    spool = os.path.join(inst.root, "spool")
    os.makedirs(spool)
    os.chmod(spool, 0o755)
    area = os.path.join(inst.root, "area")
    os.makedirs(area)
    os.chmod(area, 0o777)
    aliases = os.path.join(inst.config_dir, "aliases")
    with open(aliases, "w") as f:
        f.write("postmaster: %s\n" % ME)
        f.write("pair: %s, copy@plain.test\n" % ME)
    inst.set_main_cf({
        "mail_spool_directory": spool,
        "alias_maps": "hash:" + aliases,
        "alias_database": "hash:" + aliases,
    })
    r = inst.cmd("postalias", aliases)
    if pt and os.path.exists(aliases + ".db"):
        pw = pwd.getpwnam(pt)
        os.chown(aliases + ".db", pw.pw_uid, pw.pw_gid)
    return inst, os.path.join(spool, ME), r


# ------------------------------------------------------------ the cases

def test_delivered(inst, box):
    me = "%s@test.example" % ME
    qid = submit(inst, me, [("%s+d1@test.example" % ME,
                             ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;orig-d1@test.example"])],
                 "dsn-delivered")
    m = inst.log_wait(r"%s: %s: (\w+)" % (qid, NOTICE), 30) if qid else None
    check("delivered: notice queued and logged Postfix-style", m is not None, inst.log_text())
    got = wait_for(lambda: notices_about(box, "dsn-delivered"), 20)
    n = got[0] if got else ""
    check("delivered: notice in the sender's mailbox from the null sender",
          n.startswith("From MAILER-DAEMON  ") and "Return-Path: <>" in n, n[:600])
    check("delivered: multipart/report with Postfix's text",
          "Content-Type: multipart/report; report-type=delivery-status;" in n
          and "Your message was successfully delivered to the destination(s)" in n
          and "<%s+d1@test.example>" % ME in n, n)
    check("delivered: per-recipient status",
          "Final-Recipient: rfc822; %s+d1@test.example" % ME in n
          and "Original-Recipient: rfc822;orig-d1@test.example" in n
          and "Action: delivered" in n and "Status: 2.0.0" in n
          and (qid is None or "X-Postern-Queue-ID: %s" % qid in n), n)
    check("delivered: original headers only (RET unset)",
          "Content-Type: text/rfc822-headers" in n and "Message-ID: <dsn-delivered@src.test>" in n
          and "dsn body line" not in n, n)
    check("delivered: trace logfile removed",
          qid is not None and wait_for(lambda: qid not in inst.queue_files("trace"), 10),
          inst.queue_files("trace"))


def test_relayed(inst, box, plain):
    me = "%s@test.example" % ME
    qid = submit(inst, me, [("r1@plain.test", ["NOTIFY=SUCCESS"])], "dsn-relayed",
                 mail_opts=["RET=FULL"])
    got = wait_for(lambda: notices_about(box, "dsn-relayed"), 30)
    n = got[0] if got else ""
    check("relayed (next hop without DSN): notice arrives", bool(n), inst.log_text())
    check("relayed: Action relayed, the next hop's reply",
          "Action: relayed" in n and "Status: 2.0.0" in n
          and re.search(r"Diagnostic-Code: smtp; 250 2\.0\.0 Ok: queued as", n)
          and "Remote-MTA: dns; 127.0.0.1" in n, n)
    check("relayed: RET=FULL returns the whole message",
          "Content-Type: message/rfc822" in n and "dsn body line" in n, n)
    heads = [h for h, _ in plain.messages() if "r1@plain.test" in h.get("rcpt", [])]
    check("relayed: no NOTIFY sent to a server without DSN",
          heads and heads[0].get("rcpt_params") == [""], heads)
    check("relayed: trace logfile removed", finished(inst, qid)
          and qid not in inst.queue_files("trace"), inst.queue_files("trace"))


def test_dsn_next_hop(inst, dsn):
    me = "%s@test.example" % ME
    qid = submit(inst, me, [("r2@dsn.test", ["NOTIFY=SUCCESS"])], "dsn-passed-on")
    check("next hop with DSN: message delivered", finished(inst, qid), inst.log_text())
    heads = [h for h, _ in dsn.messages() if "r2@dsn.test" in h.get("rcpt", [])]
    check("next hop with DSN: NOTIFY=SUCCESS passed on in RCPT",
          heads and "NOTIFY=SUCCESS" in heads[0].get("rcpt_params", [""])[0], heads)
    check("next hop with DSN: no notice here", no_notice(inst, qid), inst.log_text())


def test_no_notice(inst):
    me = "%s@test.example" % ME
    cases = (("NOTIFY=NEVER", me, ["NOTIFY=NEVER"]),
             ("no NOTIFY", me, []),
             ("NOTIFY=FAILURE only", me, ["NOTIFY=FAILURE,DELAY"]),
             ("null sender", "", ["NOTIFY=SUCCESS"]))
    for i, (name, sender, opts) in enumerate(cases):
        qid = submit(inst, sender, [("%s+n%d@test.example" % (ME, i), opts)], "dsn-none-%d" % i)
        check("%s: delivered, no notice" % name, finished(inst, qid) and no_notice(inst, qid),
              inst.log_text())


def test_mixed(inst, box):
    me = "%s@test.example" % ME
    qid = submit(inst, me, [("%s+m1@test.example" % ME, ["NOTIFY=SUCCESS,FAILURE"]),
                            ("nosuch@test.example", ["NOTIFY=SUCCESS,FAILURE"])], "dsn-mixed")
    ok = wait_for(lambda: notices_about(box, "dsn-mixed")
                  and notices_about(box, "dsn-mixed", "Undelivered Mail Returned to Sender"), 30)
    check("delivered and bounced: both notices", ok, inst.log_text())
    s = notices_about(box, "dsn-mixed")
    f = notices_about(box, "dsn-mixed", "Undelivered Mail Returned to Sender")
    check("delivered and bounced: each lists its own recipient",
          s and f and "Final-Recipient: rfc822; %s+m1@test.example" % ME in s[0]
          and "nosuch@test.example" not in s[0].split("text/rfc822-headers")[0]
          and "Action: failed" in f[0] and "%s+m1" % ME not in f[0].split("message/rfc822")[0],
          "%s\n----\n%s" % (s[0] if s else "", f[0] if f else ""))
    check("delivered and bounced: logged", qid is not None
          and "%s: sender non-delivery notification" % qid in inst.log_text()
          and "%s: %s" % (qid, NOTICE) in inst.log_text(), inst.log_text())


def test_expanded(inst, box, plain):
    me = "%s@test.example" % ME
    qid = submit(inst, me, [("pair@test.example", ["NOTIFY=SUCCESS"])], "dsn-expanded")
    got = wait_for(lambda: notices_about(box, "dsn-expanded"), 30)
    n = got[0] if got else ""
    check("alias to two destinations: Action expanded",
          "Final-Recipient: rfc822; pair@test.example" in n
          and "<pair@test.example>: alias expanded" in n
          and "Action: expanded" in n and "Status: 2.0.0" in n, n or inst.log_text())
    wait_for(lambda: [h for h, _ in plain.messages() if "copy@plain.test" in h.get("rcpt", [])], 20)
    heads = [h for h, _ in plain.messages() if "copy@plain.test" in h.get("rcpt", [])]
    check("alias: forwarded copy relayed", bool(heads), inst.log_text())
    wait_for(lambda: False, 2)
    check("alias: the copy asks for no second notice",
          len(notices_about(box, "dsn-expanded")) == 1 and qid is not None,
          "%d notices" % len(notices_about(box, "dsn-expanded")))


def test_sendmail(inst, box):
    me = "%s@test.example" % ME
    body = "Subject: dsn-sendmail\nMessage-ID: <dsn-sendmail@src.test>\n\nvia sendmail\n"
    r = inst.cmd("sendmail", "-N", "success", "-f", me, "-i", "--", "%s+s1@test.example" % ME,
                 input=body, timeout=30, config_flag="-C")
    check("sendmail -N success: accepted", r.returncode == 0, r.stdout + r.stderr)
    got = wait_for(lambda: notices_about(box, "dsn-sendmail"), 30)
    n = got[0] if got else ""
    check("sendmail -N success: notice with Action delivered",
          "Action: delivered" in n and "Status: 2.0.0" in n
          and "Final-Recipient: rfc822; %s+s1@test.example" % ME in n, n or inst.log_text())


def main():
    plain = Sink(extra=["--extensions", NO_DSN])
    dsn = Sink()
    try:
        inst, box, r = setup(plain, dsn)
        check("postalias builds the aliases", r.returncode == 0, r.stdout + r.stderr)
        r = inst.start()
        if r.returncode != 0:
            check("instance starts", False, r.stdout + r.stderr)
            done()
        test_delivered(inst, box)
        test_relayed(inst, box, plain)
        test_dsn_next_hop(inst, dsn)
        test_no_notice(inst)
        test_mixed(inst, box)
        test_expanded(inst, box, plain)
        test_sendmail(inst, box)
        inst.stop()
    finally:
        plain.close()
        dsn.close()
    done()


if __name__ == "__main__":
    main()
