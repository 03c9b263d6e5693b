#!/usr/bin/env python3
"""test_faults_delivery - delivery-side fault injection.

Real instances (smtpd, cleanup, qmgr, smtp, bounce under master) deliver to
tests/tools/smtp_sink.py through transport_maps, or resolve through
tests/tools/dns_server.py with libunbound (smtp_dns_resolver_config).

Cases:
  * a receiver that stalls mid-DATA, resets the connection, answers
    garbage or sends a very long reply: the time-outs fire, the message is
    deferred with a clear reason in the log, the agent is not stuck (mail
    to a healthy sink goes through meanwhile), and after the receiver heals
    a flush delivers each message exactly once;
  * DNS down (closed port), slow (timeouts) or SERVFAIL: deferred with
    4.4.3, nothing bounces;
  * MANY messages deferred by a 451, then the receiver heals: after a flush
    the sink never sees more concurrent mail transactions than
    smtp_destination_concurrency_limit (4), and no burst of sessions;
  * SIGKILL of each daemon (master, qmgr, cleanup, smtpd, smtp, pickup) at
    random moments during a run of KILL_COUNT messages, ROUNDS times: after
    restart and a flush every accepted message arrives at least once, and
    duplicates stay within the bound explained in case_kill();
  * SIGKILL of local while it appends to an mbox: every accepted message
    reaches the mailbox, duplicates only from the deliveries killed.
"""

import os
import pwd
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (IS_ROOT, VARIANT, Instance, check, done, not_ok,  # noqa: E402
                          pid_alive, unprivileged_user, wait_for)
from soak_lib import (DNS_PROG, Sink, kill_child, queue_count, send_sendmail,  # noqa: E402
                      send_smtp, sink_instance)

MANY = 1000 if VARIANT != "asan" else 300      # deferred-then-healed messages
KILL_COUNT = 300 if VARIANT != "asan" else 120  # messages per SIGKILL round
ROUNDS = 2                                      # SIGKILL rounds
CONC = 4                                        # smtp_destination_concurrency_limit
LOCAL_COUNT = 150 if VARIANT != "asan" else 60  # messages while local is killed
LOCAL_KILLS = 3


def log_count(inst, regex, since=0):
    return len(re.findall(regex, inst.log_text()[since:], re.M))


def run_case(name, fn):
    try:
        fn()
    except Exception:
        not_ok(name, traceback.format_exc())


def start(inst, name):
    r = inst.start()
    if r.returncode != 0:
        not_ok(name + ": start", r.stdout + r.stderr)
        return False
    return True


def flush_until(inst, cond, timeout):
    """postqueue -f now and then until cond() (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inst.cmd("postqueue", "-f", timeout=30)
        if wait_for(cond, min(8, max(0.1, deadline - time.monotonic())), interval=0.3):
            return True
    return cond()


# ---------------------------------------------------------------- receiver faults

FAULTS = [
    ("stall mid-DATA", {"replies": {"data-body": "stall 30"}, "data_body_after_bytes": 200},
     r"timed out while sending end of data"),
    ("connection reset at DATA end", {"replies": {"data-end": "reset"}}, r"lost connection .* end of data"),
    ("dropped at MAIL", {"replies": {"mail": "drop"}}, r"lost connection .* MAIL FROM"),
    ("garbage reply", {"replies": {"rcpt": "garbage"}}, r"invalid reply .*malformed reply line"),
    ("very long reply", {"replies": {"rcpt": "long 250 100000"}}, r"invalid reply .*reply line longer than"),
]


def case_receiver():
    bad, good = Sink(), Sink()
    try:
        _receiver(bad, good)
    finally:
        bad.close()
        good.close()


def _receiver(bad, good):
    inst = sink_instance("fdrecv", {"bad.test": bad.port, "good.test": good.port}, main_cf={
        "smtp_data_xfer_timeout": "3s", "smtp_data_done_timeout": "3s",
        "smtp_rcpt_timeout": "3s", "smtp_mail_timeout": "3s", "smtp_helo_timeout": "3s",
        "minimal_backoff_time": "300s", "maximal_backoff_time": "600s",
        "queue_run_delay": "300s", "smtp_connection_cache_on_demand": "no"})
    if not start(inst, "receiver faults"):
        return
    for i, (what, rules, why) in enumerate(FAULTS):
        bad.set_rules(rules)
        mark = inst.log_mark()
        t0 = time.monotonic()
        got = send_smtp(inst.smtp_port, [("bad%d" % i, ["u%d@bad.test" % i])])
        m = inst.log_wait(r"to=<u%d@bad\.test>.*status=deferred \((.*)\)$" % i, 40, since=mark)
        el = time.monotonic() - t0
        check("receiver %s: deferred with a reason" % what, got and m is not None
              and re.search(why, m.group(1), re.I) is not None,
              "%.1fs; %s" % (el, inst.log_text()[mark:][-2000:]))
        n0 = good.count()
        send_smtp(inst.smtp_port, [("good%d" % i, ["g%d@good.test" % i])])
        check("receiver %s: agent not stuck, healthy sink served" % what,
              wait_for(lambda: good.count() > n0, 20), inst.log_text()[mark:][-1500:])
    wait_for(lambda: len(inst.queue_files("deferred")) >= len(FAULTS), 15)
    mq = inst.cmd("mailq", config_flag="-C")
    reasons = re.findall(r"^\s*\((.+)\)\s*\n\s*u\d@bad\.test", mq.stdout, re.M)
    check("receiver: mailq shows each deferred message with its reason",
          mq.returncode == 0 and len(reasons) == len(FAULTS), mq.stdout + mq.stderr)
    bad.set_rules({})
    want = {"bad%d" % i for i in range(len(FAULTS))}
    ok = flush_until(inst, lambda: want <= set(bad.ids()) and queue_count(inst) == 0, 60)
    ids = bad.ids()
    check("receiver: after healing a flush delivers everything exactly once",
          ok and sorted(ids) == sorted(want), "%r\n%s" % (sorted(ids), inst.log_text()[-2000:]))
    inst.stop()


# ---------------------------------------------------------------- DNS faults

class Dns:
    def __init__(self, zone):
        self.dir = tempfile.mkdtemp(prefix="fd-dns-")
        os.chmod(self.dir, 0o755)
        self.zone = os.path.join(self.dir, "zone")
        with open(self.zone, "w") as f:
            f.write(zone)
        pf = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([sys.executable, DNS_PROG, "--listen", "127.0.0.1:0",
                                      "--zone", self.zone, "--port-file", pf,
                                      "--max-seconds", "600"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(pf), 15)
        with open(pf) as f:
            self.port = int(f.read().strip())

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def unbound_conf(directory, port):
    path = os.path.join(directory, "unbound-%d.conf" % port)
    with open(path, "w") as f:
        f.write('server:\n\tdo-not-query-localhost: no\n\tdo-ip6: no\n\tverbosity: 0\n'
                '\tuse-syslog: no\n\tchroot: ""\n\tusername: ""\n'
                '\tlocal-zone: "test." nodefault\n'
                'forward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.1@%d\n' % port)
    os.chmod(path, 0o644)
    return path


def case_dns():
    zone = ("$TTL 0\n$ZONE test\nbroken.test SERVFAIL\nslow.test TIMEOUT\n"
            "mx1.ok.test A 127.0.0.1\n")
    dns = Dns(zone)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    try:
        for what, port, dom in (("DNS server down", closed, "down.test"),
                                ("DNS SERVFAIL", dns.port, "broken.test"),
                                ("DNS not answering", dns.port, "slow.test")):
            _dns_one(what, unbound_conf(dns.dir, port), dom)
    finally:
        dns.close()


def _dns_one(what, conf, dom):
    inst = sink_instance("fddns", {}, main_cf={
        "transport_maps": "", "smtp_dns_resolver_config": conf,
        "minimal_backoff_time": "300s", "queue_run_delay": "300s"})
    if not start(inst, what):
        return
    got = send_smtp(inst.smtp_port, [("dns1", ["a@%s" % dom])])
    m = inst.log_wait(r"to=<a@%s>.*status=deferred \((.*)\)$" % re.escape(dom), 60)
    check("%s: deferred with 4.4.3 and a reason" % what, got and m is not None
          and "4.4.3" in m.group(0), inst.log_text()[-2000:])
    in_deferred = wait_for(lambda: len(inst.queue_files("deferred")) == 1, 15)
    check("%s: nothing bounced, the message waits in deferred" % what,
          log_count(inst, r"status=bounced") == 0 and in_deferred, inst.log_text()[-1500:])
    inst.stop()


# ---------------------------------------------------------------- many deferred

def overlaps(events):
    """For each mail transaction, in start order, how many were open."""
    start, spans = {}, []
    for e in events:
        if e.get("event") == "mail" and str(e.get("reply")).startswith("2"):
            start[e["session"]] = e["t"]
        elif e.get("event") == "data-end" and e["session"] in start:
            spans.append((start.pop(e["session"]), e["t"]))
    spans.sort()
    return [sum(1 for a, b in spans if a <= t0 < b) for t0, _ in spans]


def case_many_deferred():
    sink = Sink({"replies": {"rcpt": "451 4.3.0 try again later"}})
    try:
        _many(sink)
    finally:
        sink.close()


def _many(sink):
    inst = sink_instance("fdmany", {"sink.test": sink.port}, main_cf={
        "smtp_destination_concurrency_limit": str(CONC),
        "minimal_backoff_time": "600s", "maximal_backoff_time": "900s",
        "queue_run_delay": "600s"})
    if not start(inst, "many deferred"):
        return
    items = [("m%d" % i, ["m%d@sink.test" % i]) for i in range(MANY)]
    accepted, lock = [], threading.Lock()

    def client(part):
        got = send_smtp(inst.smtp_port, part)
        with lock:
            accepted.extend(got)
    ts = [threading.Thread(target=client, args=(items[k::4],)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    # The qmgr throttles a destination that answers 4xx (load control),
    # so the messages wait in deferred or in active; none reaches the sink.
    ok = wait_for(lambda: not inst.queue_files("incoming") and not inst.queue_files("maildrop"),
                  120, interval=0.5)
    held = queue_count(inst)
    check("many deferred: %d messages accepted and held back by the 451" % MANY,
          len(accepted) == MANY and ok and held == MANY and not sink.ids()
          and log_count(inst, r"status=deferred \(host .*451 4\.3\.0") >= 1,
          "%d accepted, %d queued, %d at the sink" % (len(accepted), held, len(sink.ids())))
    sink.set_rules({"delays_ms": {"data-end": 20}})
    mark = len(sink.event_list())
    inst.cmd("postqueue", "-f")
    done_ = wait_for(lambda: len(set(sink.ids())) >= MANY, 240, interval=0.5)
    conc = overlaps(sink.event_list()[mark:])
    time.sleep(1.5)
    sessions = sink.stats_now().get("max_concurrent")
    check("many deferred: all delivered after the flush", done_ and len(sink.ids()) == MANY,
          "%d of %d" % (len(sink.ids()), MANY))
    check("many deferred: transactions never above the destination limit",
          conc and max(conc) <= CONC, "max %s" % (max(conc) if conc else None))
    # Sessions are not deliveries: an smtp process keeps its connection
    # open, idle, for smtp_connection_cache_time_limit after a delivery
    # (smtp/smtp_session_cache.c), while qmgr may hand the next delivery to
    # another process, which connects anew. So the sink can see up to
    # CONC busy sessions plus some idle ones; a herd would be hundreds.
    connects = len(sink.event_list("connect"))
    check("many deferred: no thundering herd (sink sessions <= 2 x limit, connections reused)",
          sessions is not None and 1 <= sessions <= 2 * CONC and connects <= MANY // 10,
          "max sessions %s, %d connections" % (sessions, connects))
    inst.stop()


# ---------------------------------------------------------------- SIGKILL

DAEMONS = ["qmgr", "cleanup", "smtpd", "smtp", "pickup", "master"]


def case_kill():
    sink = Sink({"delays_ms": {"data-end": 10}})
    try:
        for rnd in range(ROUNDS):
            _kill_round(sink, rnd)
    finally:
        sink.close()


def _kill_round(sink, rnd):
    """At-least-once bound: a message is delivered twice only when the
    smtp agent had the sink's 250 but the queue manager never recorded it.
    Killing an smtp process loses at most its one delivery in flight;
    killing qmgr (or master, which takes qmgr down with it) loses the
    results of every delivery in flight, at most CONC of them (the
    destination concurrency limit; every recipient here is in one
    destination and each message has one recipient). Killing smtpd,
    cleanup or pickup cannot cause a duplicate: a message is in the
    queue (once) or not at all. So duplicates <= smtp_kills + CONC *
    (qmgr_kills + master_kills)."""
    rng = random.Random(1000 + rnd)
    sink.set_rules({"delays_ms": {"data-end": 10}}, settle=0.2)
    inst = sink_instance("fdkill%d" % rnd, {"sink.test": sink.port}, main_cf={
        "smtp_destination_concurrency_limit": str(CONC),
        "minimal_backoff_time": "2s", "maximal_backoff_time": "4s",
        "queue_run_delay": "2s"})
    name = "kill round %d" % (rnd + 1)
    if not start(inst, name):
        return
    prefix = "k%d_" % rnd
    items = [("%s%d" % (prefix, i), ["%s%d@sink.test" % (prefix, i)]) for i in range(KILL_COUNT)]
    accepted, lock, stop = [], threading.Lock(), threading.Event()
    kills = {}

    def smtp_client(part):
        while part and not stop.is_set():
            got = send_smtp(inst.smtp_port, part[:20])
            with lock:
                accepted.extend(got)
            part = part[20:]

    def sm_client(part):
        for mid, rc in part:
            if send_sendmail(inst, mid, rc):
                with lock:
                    accepted.append(mid)

    n_sm = KILL_COUNT // 10
    ts = [threading.Thread(target=smtp_client, args=(items[n_sm:][k::3],)) for k in range(3)]
    ts.append(threading.Thread(target=sm_client, args=(items[:n_sm],)))
    for t in ts:
        t.start()
    order = DAEMONS[:]
    rng.shuffle(order)
    t_run = time.monotonic() + 60
    for d in order:
        if time.monotonic() > t_run:
            break
        time.sleep(rng.uniform(0.3, 1.5))
        if d == "master":
            mp = inst.master_pid()
            if mp:
                os.kill(mp, signal.SIGKILL)
                kills["master"] = kills.get("master", 0) + 1
                wait_for(lambda: not pid_alive(mp), 5)
                # Children notice the master is gone and leave; what stays is killed.
                wait_for(lambda: not inst.processes(), 10)
                inst.kill_all()
                r = inst.start()
                if r.returncode != 0:
                    not_ok("%s: restart after master SIGKILL" % name, r.stdout + r.stderr)
        else:
            got = wait_for(lambda: kill_child(inst, [d], rng), 3, interval=0.05)
            if got:
                kills[got] = kills.get(got, 0) + 1
    for t in ts:
        t.join(120)
    stop.set()
    acc = set(accepted)
    ok = flush_until(inst, lambda: acc <= set(sink.ids()) and queue_count(inst) == 0, 120)
    ids = [m for m in sink.ids() if m.startswith(prefix)]
    dups = len(ids) - len(set(ids))
    bound = kills.get("smtp", 0) + CONC * (kills.get("qmgr", 0) + kills.get("master", 0))
    check("%s: every accepted message delivered (kills %r)" % (name, sorted(kills.items())),
          ok and acc <= set(ids),
          "%d accepted, %d missing: %r\n%s" % (len(acc), len(acc - set(ids)),
                                              sorted(acc - set(ids))[:20], inst.log_text()[-2000:]))
    check("%s: duplicates within the in-flight bound" % name, dups <= bound,
          "%d duplicates, bound %d" % (dups, bound))
    check("%s: most messages accepted" % name, len(acc) >= KILL_COUNT // 2,
          "%d of %d" % (len(acc), KILL_COUNT))
    inst.stop()


def case_kill_local():
    """SIGKILL of local mid-delivery to an mbox, LOCAL_KILLS times while
    LOCAL_COUNT messages arrive: every accepted message ends up in the
    mailbox, and only a delivery in flight at a kill may be there twice
    (a killed local cannot take back the bytes it appended; the retry
    appends the message again)."""
    user = (unprivileged_user() if IS_ROOT else None) or pwd.getpwuid(os.geteuid()).pw_name
    inst = Instance(name="fdklocal", main_cf={
        "alias_maps": "", "local_recipient_maps": "", "in_flow_delay": "0s",
        "minimal_backoff_time": "2s", "maximal_backoff_time": "4s", "queue_run_delay": "2s"})
    spool = os.path.join(inst.root, "spool")
    os.makedirs(spool)
    os.chmod(spool, 0o1777)
    inst.set_main_cf({"mail_spool_directory": spool})
    if not start(inst, "kill local"):
        return
    rng = random.Random(77)
    items = [("kl%d" % i, ["%s@test.example" % user]) for i in range(LOCAL_COUNT)]
    accepted, kills = [], 0
    sender = threading.Thread(target=lambda: accepted.extend(
        send_smtp(inst.smtp_port, items, sender="snd@test.example")))
    sender.start()
    for _ in range(LOCAL_KILLS):
        time.sleep(rng.uniform(0.2, 0.8))
        if wait_for(lambda: kill_child(inst, ["local"], rng), 5, interval=0.02):
            kills += 1
    sender.join(120)
    mbox = os.path.join(spool, user)

    def ids():
        try:
            with open(mbox, "rb") as f:
                data = f.read()
        except OSError:
            return []
        return [m.decode() for m in re.findall(rb"^Message-ID: <([^@>]+)@", data, re.M)]
    acc = set(accepted)
    ok = flush_until(inst, lambda: acc <= set(ids()) and queue_count(inst) == 0, 90)
    got = ids()
    dups = len(got) - len(set(got))
    print("# kill local: %d deliveries, %d duplicates, %d deferred" % (
        log_count(inst, r"postern/local\[\d+\]: .* status=sent"), dups,
        log_count(inst, r"postern/qmgr\[\d+\]: .* status=deferred")))
    check("kill local: every accepted message is in the mailbox (%d kills)" % kills,
          ok and kills > 0 and len(acc) == LOCAL_COUNT,
          "%d accepted, %d missing, %d queued\n%s" % (
              len(acc), len(acc - set(got)), queue_count(inst), inst.log_text()[-1500:]))
    check("kill local: duplicates only from deliveries in flight at a kill",
          dups <= kills, "%d duplicates, %d kills" % (dups, kills))
    inst.stop()


def main():
    cases = [case_receiver, case_dns, case_many_deferred, case_kill, case_kill_local]
    only = os.environ.get("FAULTS_CASES")
    for fn in cases:
        if only and fn.__name__[5:] not in only.split(","):
            continue
        t0 = time.monotonic()
        run_case(fn.__name__, fn)
        print("# %s: %.0fs" % (fn.__name__, time.monotonic() - t0), flush=True)
    done()


if __name__ == "__main__":
    main()
