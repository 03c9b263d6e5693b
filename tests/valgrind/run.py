#!/usr/bin/env python3
"""run.py - every daemon and the main commands under valgrind memcheck.

SYNOPSIS
    python3 tests/valgrind/run.py [--short] [--chroot]
    make valgrind

DESCRIPTION
    Starts a real instance (tests/integration/postern_test.Instance) whose
    daemon_directory is a directory of wrapper scripts, one per program in
    libexec/, each of which runs the real daemon under valgrind memcheck
    (--leak-check=full --errors-for-leak-kinds=definite) with one log per
    process. master itself runs in the foreground (postern start-fg), so
    it does not fork to detach and every wrapper can use
    --child-silent-after-fork=yes (a fork that only execs another program
    writes no log of its own).

    The scenario reaches every daemon: mail in over SMTP (smtpd, anvil with
    a rate limit that counts loopback, cleanup; STARTTLS, odd commands, an
    over-size message, a session lost in DATA) and through sendmail
    (postdrop, pickup); delivery to an SMTP sink that accepts, refuses and
    defers (qmgr, smtp with STARTTLS), to a closed port, to an mbox,
    aliases to a file, a command and an :include: list, a virtual alias,
    an unknown local user (local, bounce: the DSN goes to the sink),
    transport_maps entries for error, retry (defer) and discard; postqueue
    -p/-j/-f (showq), GET /metrics (metrics), postern metrics
    (postern-metrics), postsuper -h/-H/-r, postern reload. Then postern
    stop, so that every daemon exits through its normal path and valgrind
    writes its leak summary.

    The commands sendmail, postqueue, postcat, qshape, postconf, postsuper
    (also -d ALL after the stop), postmap, postalias and postern (status,
    check) run under valgrind directly.

    Each daemon and command gets one line: "ok - valgrind NAME: no errors,
    no definite leaks (N processes)" or "not ok - valgrind NAME: ..." with
    an excerpt of the log. A daemon that never ran under valgrind, or a
    process that left no leak summary (killed), is "not ok" as well. The
    exit status is 1 when anything is not ok.

    --short (or VALGRIND_SHORT=1): fewer messages, for the integration
    test tests/integration/test_valgrind.sh. --chroot: smtpd, cleanup and
    pickup run chrooted.

    Daemons run as in the shipped master.cf: unprivileged (mail_owner)
    and not chrooted. valgrind opens its log before the daemon drops
    privileges, so the drop needs nothing; the log directory is mode 1777
    all the same. POSTERN_KEEP=1 keeps the instance and the logs.

    Suppressions: tests/valgrind/postern.supp, each with its reason.
"""

import glob
import os
import pwd
import re
import shutil
import smtplib
import socket
import ssl
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from postern_test import (BINDIR, LIBEXECDIR, VARIANT, check, done, not_ok,  # noqa: E402
                          ok, run, set_chroot, skip, wait_for, free_port, connect)
from soak_lib import Sink, body_for, send_smtp, sink_instance  # noqa: E402

ME = pwd.getpwuid(os.geteuid()).pw_name
ERROR_EXIT = 97
SUPP = os.path.join(HERE, "postern.supp")
# Daemons the scenario must reach (libexec/ programs; testsvc is a test helper).
EXPECTED = ("master", "smtpd", "anvil", "cleanup", "pickup", "qmgr", "smtp",
            "local", "bounce", "error", "discard", "showq", "metrics",
            "postern-metrics")
COMMANDS = ("sendmail", "postqueue", "postcat", "qshape", "postconf", "postsuper",
            "postmap", "postalias", "postern")


def valgrind_argv(valgrind, logdir, name):
    argv = [valgrind, "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--error-exitcode=%d" % ERROR_EXIT,
            "--track-fds=no", "--child-silent-after-fork=yes", "--num-callers=30",
            "--log-file=%s/%s.%%p.log" % (logdir, name)]
    if os.path.exists(SUPP):
        argv.append("--suppressions=" + SUPP)
    return argv


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def make_wrappers(valgrind, wrapdir, logdir):
    """One script per libexec/ program: exec valgrind ... /real/NAME "$@"."""
    names = []
    for name in sorted(os.listdir(LIBEXECDIR)):
        real = os.path.join(LIBEXECDIR, name)
        if not (os.path.isfile(real) and os.access(real, os.X_OK)):
            continue
        argv = valgrind_argv(valgrind, logdir, name) + [real]
        with open(os.path.join(wrapdir, name), "w") as f:
            f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(sh_quote(a) for a in argv))
        os.chmod(os.path.join(wrapdir, name), 0o755)
        names.append(name)
    return names


def vg_cmd(inst, valgrind, logdir, prog, *args, input=None, config_flag="-c", timeout=120):
    """bin/PROG under valgrind, logged as cmd-PROG.PID.log."""
    argv = valgrind_argv(valgrind, logdir, "cmd-" + prog) + [os.path.join(BINDIR, prog)]
    if config_flag:
        argv += [config_flag, inst.config_dir]
    env = dict(os.environ)
    env.pop("MAIL_CONFIG", None)
    return run(argv + list(args), input=input, timeout=timeout, env=env)


def http_get(port, path="/metrics", timeout=60):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return "connect: %s" % e
    data = b""
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  % path.encode())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(data) < 1 << 20:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        data += b"\n[error: %s]" % str(e).encode()
    finally:
        s.close()
    return data.decode(errors="replace")


def log_tail(inst, lines=25):
    return "\n".join(inst.log_text().splitlines()[-lines:])


def queue_file_has(inst, qid, needle):
    for d, dirs, files in os.walk(os.path.join(inst.queue_dir, "deferred")):
        if qid in files:
            with open(os.path.join(d, qid), "rb") as f:
                return needle in f.read()
    return False


def mbox_count(path):
    try:
        with open(path, errors="replace") as f:
            return len(re.findall(r"(?m)^From \S+  ", f.read()))
    except OSError:
        return 0


# ------------------------------------------------------------ the scenario

def _probe(port):
    s = connect(port)
    if s is None:
        return False
    s.close()
    return True


def smtpd_abuse(port):
    """One session of odd and wrong commands, one lost in DATA; smtpd's
    error paths. Returns the replies seen."""
    seen = []
    for script in (
            [b"EHLO abuse.example", b"NOOP", b"HELP", b"VRFY root", b"RCPT TO:<a@b>",
             b"MAIL FROM:<bad address", b"MAIL FROM:<snd@sink.test> SIZE=10 BODY=8BITMIME",
             b"MAIL FROM:<snd@sink.test>", b"RCPT TO:<>", b"RCPT TO:<x@relay.example>",
             b"RCPT TO:<rcpt@sink.test> NOTIFY=NEVER ORCPT=rfc822;x@y", b"RSET",
             b"BDAT 10", b"ETRN sink.test", b"XYZZY " + b"x" * 3000, b"AUTH PLAIN",
             b"STARTTLS now", b"HELO again.example", b"QUIT"],
            [b"EHLO lost.example", b"MAIL FROM:<snd@sink.test>", b"RCPT TO:<lost@sink.test>",
             b"DATA", b"Subject: lost\r\n\r\nhalf a message"]):
        s = connect(port, timeout=60)
        if s is None:
            seen.append("connect failed")
            continue
        try:
            s.settimeout(60)
            s.recv(4096)
            for line in script:
                s.sendall(line + b"\r\n")
                if line.startswith(b"Subject: lost"):
                    break
                seen.append(s.recv(65536).decode(errors="replace").strip())
        except OSError as e:
            seen.append("error: %s" % e)
        finally:
            s.close()
    return seen


def send_raw(port, text, rcpts):
    """One message as given (str, may hold non-ASCII); None or the error."""
    try:
        c = smtplib.SMTP("127.0.0.1", port, timeout=120)
        c.sendmail("snd@sink.test", rcpts, text.encode())
        c.quit()
        return None
    except (OSError, smtplib.SMTPException) as e:
        return str(e)


def smtp_tls(port, cert):
    """One message over STARTTLS; None or the error."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        c = smtplib.SMTP("127.0.0.1", port, timeout=120)
        c.starttls(context=ctx)
        c.sendmail("snd@sink.test", ["tls@sink.test"], body_for("vg-tls"))
        c.quit()
        return None
    except (OSError, smtplib.SMTPException) as e:
        return str(e)


def scenario(inst, sink, valgrind, logdir, nmsg):
    """Drive mail through every daemon; returns when the mail has settled."""
    spool = inst.spool
    up = inst.wait_running(timeout=90) and inst.log_wait(r"daemon started", 60)
    listening = up and wait_for(lambda: _probe(inst.smtp_port), timeout=60, interval=0.5)
    check("start: master under valgrind is running and listening", listening,
          inst.fg_output())

    items = [("vg-smtp-%d" % i, ["rcpt%d@sink.test" % i]) for i in range(nmsg)]
    items += [("vg-local", ["%s@test.example" % ME]),
              ("vg-unknown", ["nosuchuser@test.example"]),
              ("vg-error", ["someone@err.example"]),
              ("vg-discard", ["someone@discard.example"]),
              ("vg-retry", ["someone@retry.example"]),
              ("vg-hard", ["hard@sink.test"]),
              ("vg-soft", ["soft@sink.test"]),
              ("vg-alias", ["team@test.example", "tofile@test.example",
                            "tocmd@test.example", "list@test.example"]),
              ("vg-virtual", ["valias@test.example"]),
              ("vg-multi", ["multi@sink.test", "%s@test.example" % ME,
                            "someone@discard.example"]),
              ("vg-dead", ["someone@dead.test"])]
    got = send_smtp(inst.smtp_port, items, timeout=120)
    check("smtp: every message accepted", len(got) == len(items),
          "accepted %s\n%s" % (got, log_tail(inst)))
    big = "Subject: too big\r\n\r\n" + ("x" * 998 + "\r\n") * 120
    r = send_raw(inst.smtp_port, big, ["big@sink.test"])
    check("smtpd: a message over message_size_limit is refused", r is not None
          and "552" in r, r)
    mime = ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n"
            "Subject: =?utf-8?q?caf=C3=A9?=\r\nMessage-ID: <vg-mime@src.test>\r\n\r\n"
            "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\u00e9\r\n--XX--\r\n")
    r = send_raw(inst.smtp_port, mime, ["mime@sink.test"])
    check("smtpd: a MIME message with 8bit text", r is None, r)
    seen = smtpd_abuse(inst.smtp_port)
    check("smtpd: odd commands answered", len(seen) >= 19 and "connect failed" not in seen,
          "\n".join(seen))
    if inst.cert:
        err = smtp_tls(inst.smtp_port, inst.cert)
        check("smtpd: a message over STARTTLS", err is None, "%s\n%s" % (err, log_tail(inst)))

    body = body_for("vg-sendmail").replace("\r\n", "\n")
    r = vg_cmd(inst, valgrind, logdir, "sendmail", "-f", "snd@sink.test", "-i", "--",
               "viasendmail@sink.test", input=body, config_flag="-C")
    check("sendmail: exit status 0", r.returncode == 0, r.stdout + r.stderr)
    body = "To: dash-t@sink.test\nCc: %s@test.example\n" % ME + \
        body_for("vg-sendmail-t").replace("\r\n", "\n")
    r = vg_cmd(inst, valgrind, logdir, "sendmail", "-t", "-f", "snd@sink.test", "-oi",
               input=body, config_flag="-C")
    check("sendmail -t: exit status 0", r.returncode == 0, r.stdout + r.stderr)

    # Sink: nmsg, multi, team's copy, the :include: member, mime, tls, 2 by
    # sendmail, 3 DSNs (nosuchuser, err.example, hard@); soft@ and dead.test
    # stay deferred.
    want = nmsg + 4 + (1 if inst.cert else 0) + 2 + 3
    wait_for(lambda: sink.count() >= want, timeout=240, interval=0.5)
    check("smtp: %d messages at the sink" % want, sink.count() >= want,
          "sink has %d\n%s" % (sink.count(), log_tail(inst)))
    box = os.path.join(spool, ME)
    check("local: delivered to the mbox", wait_for(lambda: mbox_count(box) >= 5, 60),
          "%d in the mbox\n%s" % (mbox_count(box), log_tail(inst)))
    for what, rx in (("local: unknown user bounced", r"nosuchuser@test\.example>.*status=bounced"),
                     ("local: alias to a file", r"tofile@test\.example>.*status=sent"),
                     ("local: alias to a command", r"tocmd@test\.example>.*status=sent"),
                     ("local: virtual alias", r"orig_to=<valias@test\.example>.*status=sent"),
                     ("error: bounced", r"someone@err\.example>.*status=bounced"),
                     ("discard: discarded", r"someone@discard\.example>.*status=sent"),
                     ("retry: deferred", r"someone@retry\.example>.*status=deferred"),
                     ("smtp: 5xx bounced", r"hard@sink\.test>.*status=bounced"),
                     ("smtp: 4xx deferred", r"soft@sink\.test>.*status=deferred"),
                     ("smtp: connection refused, deferred",
                      r"someone@dead\.test>.*status=deferred")):
        check(what, inst.log_wait(rx, timeout=60) is not None, log_tail(inst))
    if inst.cert:
        check("smtp: STARTTLS to the sink", inst.log_wait(r"smtp\[\d+\]: \w+ TLS connection established to",
                                                          timeout=10) is not None, log_tail(inst))

    r = vg_cmd(inst, valgrind, logdir, "postqueue", "-p")
    check("postqueue -p: lists the deferred message",
          r.returncode == 0 and "someone@retry.example" in r.stdout, r.stdout + r.stderr)
    r = vg_cmd(inst, valgrind, logdir, "postqueue", "-j")
    check("postqueue -j: JSON lines", r.returncode == 0 and '"queue_name"' in r.stdout,
          r.stdout + r.stderr)
    text = http_get(inst.metrics_port)
    check("metrics: GET /metrics answers 200",
          text.startswith("HTTP/1.1 200") and "postern_queue_messages" in text, text[:2000])
    http_get(inst.metrics_port, "/nothing-here")
    r = inst.postern("metrics", timeout=120)
    check("postern metrics: exit status 0", r.returncode == 0 and "postern_queue_messages"
          in r.stdout, r.stdout[:2000] + r.stderr)
    qids = [q for q in inst.queue_files("deferred") if queue_file_has(inst, q, b"@retry.example")]
    qid = qids[0] if qids else "NONE"
    r = vg_cmd(inst, valgrind, logdir, "postcat", "-q", qid)
    check("postcat -q: shows the deferred message", r.returncode == 0 and
          "someone@retry.example" in r.stdout, "%s\n%s%s" % (qids, r.stdout, r.stderr))
    for args in (["-h", qid], ["-H", qid], ["-r", qid]):
        r = vg_cmd(inst, valgrind, logdir, "postsuper", *args)
        check("postsuper %s: exit status 0" % args[0], r.returncode == 0, r.stdout + r.stderr)
    mark = inst.log_mark()
    r = vg_cmd(inst, valgrind, logdir, "postqueue", "-f")
    check("postqueue -f: flushes", r.returncode == 0 and inst.log_wait(
        r"someone@retry\.example>.*status=deferred", 60, since=mark) is not None,
        r.stdout + r.stderr + log_tail(inst))
    for args in ([], ["deferred"], ["-s", "deferred"]):
        r = vg_cmd(inst, valgrind, logdir, "qshape", *args)
        check("qshape %s: exit status 0" % " ".join(args), r.returncode == 0
              and "TOTAL" in r.stdout, r.stdout + r.stderr)
    for args in (["status"], ["check"]):
        r = vg_cmd(inst, valgrind, logdir, "postern", *args)
        check("postern %s: exit status 0" % args[0], r.returncode == 0, r.stdout + r.stderr)
    for args in (["-n"], ["-d"], ["-M"], ["mail_owner", "myhostname"]):
        r = vg_cmd(inst, valgrind, logdir, "postconf", *args)
        check("postconf %s: exit status 0" % " ".join(args),
              r.returncode == 0 and r.stdout, r.stdout[:2000] + r.stderr)

    # A reload: master re-reads its configuration, new daemons start.
    mark = inst.log_mark()
    r = inst.postern("reload", timeout=120)
    check("postern reload", r.returncode == 0 and inst.log_wait(r"reload", 60, since=mark),
          r.stdout + r.stderr + log_tail(inst))
    before = sink.count()
    got = send_smtp(inst.smtp_port, [("vg-after-reload", ["after@sink.test"])], timeout=120)
    check("after reload: a message reaches the sink", got and wait_for(
        lambda: sink.count() > before, 120, 0.5), log_tail(inst))


def stop(inst):
    """postern stop and wait, bounded, for the foreground master to exit."""
    r = inst.postern("stop", timeout=120)
    fg = inst._fg
    try:
        fg.wait(timeout=60)
    except Exception:  # noqa: BLE001 - reported below
        pass
    left = wait_for(lambda: not inst.processes(), timeout=30)
    check("stop: postern stop, every process gone",
          r.returncode == 0 and fg.poll() is not None and left,
          "%s%s\nleft: %s" % (r.stdout, r.stderr, inst.describe(inst.processes())))


# ------------------------------------------------------------ the logs

def parse_log(path):
    """(finished, errors, excerpt, signalled) of one valgrind log.

    A process that died of a signal (SIGTERM before its handler was set
    up, at a stop) may be cut off between a malloc and the store of the
    pointer; its leak records are not counted, its memory errors are."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError as e:
        return False, 0, str(e), False
    m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    if not m:
        return False, 0, "\n".join(text.splitlines()[-20:]), False
    errors = int(m.group(1))
    signalled = "Process terminating with default action of signal" in text
    if signalled:
        errors -= len(re.findall(r"are definitely lost in loss record", text))
    excerpt = ""
    if errors:
        lines = [re.sub(r"^==\d+== ?", "", ln) for ln in text.splitlines()]
        blocks, cur = [], []
        for ln in lines:
            if ln.strip() == "":
                if cur:
                    blocks.append(cur)
                cur = []
            else:
                cur.append(ln)
        if cur:
            blocks.append(cur)
        hits = [b for b in blocks if re.match(
            r"(Invalid|Conditional|Use of uninit|Syscall param|Mismatched|"
            r"Source and destination|Argument|.*definitely lost in)", b[0])]
        excerpt = "\n\n".join("\n".join(b[:25]) for b in hits[:4])
    return True, errors, excerpt, signalled


def report(logdir, names):
    """One result line per daemon or command."""
    for name in names:
        logs = sorted(glob.glob(os.path.join(logdir, "%s.*.log" % name)))
        logs = [p for p in logs if re.fullmatch(r"%s\.\d+\.log" % re.escape(name),
                                                os.path.basename(p))]
        label = "valgrind " + (name[4:] if name.startswith("cmd-") else name)
        if not logs:
            not_ok("%s: never ran under valgrind" % label)
            continue
        unfinished, bad, signalled = [], [], 0
        for p in logs:
            finished, errors, excerpt, by_signal = parse_log(p)
            signalled += by_signal
            if not finished:
                unfinished.append((p, excerpt))
            elif errors:
                bad.append((p, errors, excerpt))
        if not bad and not unfinished:
            ok("%s: no errors, no definite leaks (%d process%s%s)" %
               (label, len(logs), "" if len(logs) == 1 else "es",
                ", %d ended by a signal" % signalled if signalled else ""))
            continue
        detail = []
        for p, errors, excerpt in bad[:3]:
            detail.append("%s: %d errors\n%s" % (p, errors, excerpt))
        for p, excerpt in unfinished[:3]:
            detail.append("%s: no leak summary (killed?)\n%s" % (p, excerpt))
        what = []
        if bad:
            what.append("errors or definite leaks in %d of %d processes" % (len(bad), len(logs)))
        if unfinished:
            what.append("%d of %d processes left no summary" % (len(unfinished), len(logs)))
        not_ok("%s: %s" % (label, ", ".join(what)), "\n\n".join(detail))


def main():
    short = "--short" in sys.argv[1:] or os.environ.get("VALGRIND_SHORT") == "1"
    chroot = "--chroot" in sys.argv[1:]
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        skip("valgrind", "valgrind not installed")
        return
    if VARIANT != "normal":
        skip("valgrind", "valgrind needs the plain build, not %s" % VARIANT)
        return
    started = time.monotonic()
    top = tempfile.mkdtemp(prefix="postern-valgrind-")
    os.chmod(top, 0o755)
    wrapdir = os.path.join(top, "libexec")
    logdir = os.path.join(top, "logs")
    os.mkdir(wrapdir)
    os.mkdir(logdir)
    os.chmod(logdir, 0o1777)
    make_wrappers(valgrind, wrapdir, logdir)

    cert = key = None
    if shutil.which("openssl"):
        cert, key = os.path.join(top, "cert.pem"), os.path.join(top, "key.pem")
        r = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                 "-out", cert, "-days", "2", "-subj", "/CN=test.example"], timeout=60)
        if r.returncode != 0:
            cert = key = None
        else:
            os.chmod(key, 0o644)
    if cert is None:
        skip("STARTTLS", "no openssl to make a certificate")
    sink = Sink({"rcpt_patterns": {"^hard@": "550 5.1.1 no such user",
                                   "^soft@": "451 4.3.0 try later"}},
                extra=["--tls-cert", cert, "--tls-key", key] if cert else [])
    metrics_port = free_port()
    settings = {
        "daemon_directory": wrapdir,
        "local_recipient_maps": "",
        # Count loopback clients, so that smtpd talks to anvil.
        "smtpd_client_event_limit_exceptions": "",
        "smtpd_client_connection_rate_limit": "1000",
        "smtpd_client_message_rate_limit": "1000",
        "smtp_connect_timeout": "30s",
        "message_size_limit": "100000",
        "virtual_alias_maps": "inline:{ valias@test.example=%s@test.example }" % ME,
    }
    if cert:
        settings.update({"smtpd_tls_security_level": "may", "smtpd_tls_cert_file": cert,
                         "smtpd_tls_key_file": key, "smtp_tls_security_level": "may"})
    inst = sink_instance("valgrind", {"sink.test": sink.port}, main_cf=settings,
                         master_cf_append=["127.0.0.1:%d inet n - n - - metrics" % metrics_port])
    inst.metrics_port = metrics_port
    inst.cert = cert
    inst.spool = os.path.join(inst.root, "spool")
    area = os.path.join(inst.root, "area")
    for d in (inst.spool, area):
        os.makedirs(d)
        os.chmod(d, 0o755)
    # Deliveries to files and commands of a root-owned alias table run
    # with default_privs.
    os.chmod(area, 0o1777)
    transport = os.path.join(inst.config_dir, "transport")
    with open(transport, "w") as f:
        f.write("sink.test smtp:[127.0.0.1]:%d\n" % sink.port)
        f.write("dead.test smtp:[127.0.0.1]:%d\n" % free_port())
        f.write("err.example error:5.1.1 no such user here\n")
        f.write("retry.example retry:4.7.1 try again later\n")
        f.write("discard.example discard:silently\n")
    aliases = os.path.join(inst.config_dir, "aliases")
    include = os.path.join(inst.config_dir, "list.inc")
    with open(include, "w") as f:
        f.write("# members\n%s\nlisted@sink.test\n" % ME)
    with open(aliases, "w") as f:
        f.write("postmaster: %s\nteam: %s, teamcopy@sink.test\n" % (ME, ME))
        f.write("tofile: %s/file.mbox\n" % area)
        f.write("tocmd: \"|cat > %s/cmd.out\"\n" % area)
        f.write("list: :include:%s\n" % include)
    inst.set_main_cf({"mail_spool_directory": inst.spool,
                      "alias_maps": "hash:" + aliases, "alias_database": "hash:" + aliases,
                      "transport_maps": "hash:" + transport})
    r = vg_cmd(inst, valgrind, logdir, "postalias", aliases)
    check("postalias: builds the alias table", r.returncode == 0, r.stdout + r.stderr)
    r = vg_cmd(inst, valgrind, logdir, "postmap", "hash:" + transport)
    check("postmap: builds the transport table", r.returncode == 0, r.stdout + r.stderr)
    r = vg_cmd(inst, valgrind, logdir, "postmap", "-q", "err.example", "hash:" + transport)
    check("postmap -q: finds a key", r.returncode == 0 and "error:" in r.stdout,
          r.stdout + r.stderr)
    r = vg_cmd(inst, valgrind, logdir, "postmap", "-d", "nosuch.example", "hash:" + transport)
    check("postmap -d: a key that is not there", r.returncode in (0, 1), r.stdout + r.stderr)
    r = vg_cmd(inst, valgrind, logdir, "postalias", "-q", "team", "hash:" + aliases)
    check("postalias -q: finds a key", r.returncode == 0 and ME in r.stdout,
          r.stdout + r.stderr)
    if chroot:
        set_chroot(inst, ("smtpd", "cleanup", "pickup"))
    try:
        inst.start_fg()
        scenario(inst, sink, valgrind, logdir, 3 if short else 50)
    finally:
        if getattr(inst, "_fg", None) is not None and inst._fg.poll() is None:
            stop(inst)
        sink.close()
    r = vg_cmd(inst, valgrind, logdir, "postsuper", "-d", "ALL")
    check("postsuper -d ALL: empties the queue",
          r.returncode == 0 and not inst.queue_files("deferred"), r.stdout + r.stderr)

    report(logdir, EXPECTED)
    report(logdir, ["cmd-" + c for c in COMMANDS])
    print("# valgrind run took %.0f s" % (time.monotonic() - started), flush=True)
    if os.environ.get("POSTERN_KEEP"):
        print("# kept %s" % top)
    else:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
    done()
