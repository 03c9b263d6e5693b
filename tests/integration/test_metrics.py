"""test_metrics - "postern metrics" and the metrics HTTP service.

A running instance without qmgr and pickup (so nothing moves mail on)
gets mail through SMTP (incoming) and sendmail (maildrop), plus queue
files written directly into maildrop, active, deferred and hold with
known arrival times. Then:

- postern metrics prints the right postern_queue_messages counts and
  plausible oldest ages, postern_qmgr_up 0 and the configured
  postern_active_limit;
- the metrics inet service answers GET /metrics over loopback with the
  same counts, and HEAD, 404, 405, 400, 414, 505 and 408 (slow client)
  as its manual page says;
- a fresh qmgr snapshot file turns on postern_qmgr_up and the qmgr
  families; a stale one turns them off; a corrupt one is refused with a
  warning (and exit status 1 from postern metrics);
- with qmgr running (mail routed to the discard transport), its own
  snapshot shows up: postern_qmgr_up 1, delivery counters and delays;
- every output passes a Python validator of the text exposition format
  and, when promtool is installed (or can be: root and
  apt-get install prometheus within a time limit), promtool check metrics.
"""

import os
import re
import shutil
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import (Instance, IS_ROOT, check, done, free_port, run,  # noqa: E402
                          skip, wait_for)
from postern_queue import maildrop_file, queue_file, queue_id, store  # noqa: E402

QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")
NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


# ---------------------------------------------------------------- exposition format

def parse_value(text):
    """A sample value as Prometheus reads it, or None."""
    if text in ("+Inf", "Inf"):
        return float("inf")
    if text == "-Inf":
        return float("-inf")
    if text == "NaN":
        return float("nan")
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        return None
    return float(text)


def parse_labels(text, pos, problems, lineno):
    """Labels after '{' at pos: (dict, position after '}') or (None, pos)."""
    labels = {}
    while True:
        if text.startswith("}", pos):
            return labels, pos + 1
        m = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"").match(text, pos)
        if not m:
            problems.append("line %d: bad label at column %d" % (lineno, pos + 1))
            return None, pos
        name, pos = m.group(1), m.end()
        value = []
        while pos < len(text) and text[pos] != '"':
            if text[pos] == "\\":
                esc = text[pos + 1:pos + 2]
                if esc not in ("\\", '"', "n"):
                    problems.append("line %d: bad escape \\%s" % (lineno, esc))
                    return None, pos
                value.append("\n" if esc == "n" else esc)
                pos += 2
            else:
                value.append(text[pos])
                pos += 1
        if pos >= len(text):
            problems.append("line %d: unterminated label value" % lineno)
            return None, pos
        if name in labels:
            problems.append("line %d: duplicate label %s" % (lineno, name))
        labels[name] = "".join(value)
        pos += 1
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("}", pos):
            problems.append("line %d: expected , or } after label" % lineno)
            return None, pos


def family_of(name, types):
    """The family a sample name belongs to (histogram suffixes)."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def parse_exposition(text):
    """Check text exposition 0.0.4; returns (samples, types, problems).
    samples: list of (name, labels dict, value)."""
    problems, samples, types, helps = [], [], {}, {}
    finished, current, seen = set(), None, set()
    if text and not text.endswith("\n"):
        problems.append("text does not end with a newline")
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3 or not NAME_RE.match(parts[2]):
                    problems.append("line %d: bad %s line" % (lineno, parts[1]))
                    continue
                name = parts[2]
                table = helps if parts[1] == "HELP" else types
                if name in table:
                    problems.append("line %d: second %s for %s" % (lineno, parts[1], name))
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        problems.append("line %d: bad type" % lineno)
                    if name in finished or name == current:
                        problems.append("line %d: TYPE after samples of %s" % (lineno, name))
                    table[name] = parts[3] if len(parts) == 4 else ""
                else:
                    table[name] = parts[3] if len(parts) == 4 else ""
            continue
        if not line.strip():
            problems.append("line %d: empty line" % lineno)
            continue
        m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(line)
        if not m:
            problems.append("line %d: bad metric name" % lineno)
            continue
        name, pos, labels = m.group(0), m.end(), {}
        if line.startswith("{", pos):
            labels, pos = parse_labels(line, pos + 1, problems, lineno)
            if labels is None:
                continue
        rest = line[pos:].split(" ")
        if not rest or rest[0] != "" or len(rest) not in (2, 3):
            problems.append("line %d: expected one space, value [timestamp]" % lineno)
            continue
        value = parse_value(rest[1])
        if value is None:
            problems.append("line %d: bad value %r" % (lineno, rest[1]))
            continue
        fam = family_of(name, types)
        if fam != current:
            if fam in finished:
                problems.append("line %d: samples of %s are not together" % (lineno, fam))
            if current is not None:
                finished.add(current)
            current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            problems.append("line %d: duplicate series %s" % (lineno, name))
        seen.add(key)
        samples.append((name, labels, value))
    for name, kind in types.items():
        if kind == "counter" and not name.endswith("_total"):
            problems.append("counter %s does not end in _total" % name)
        if name not in helps:
            problems.append("no HELP for %s" % name)
    problems.extend(check_histograms(samples, types))
    return samples, types, problems


def check_histograms(samples, types):
    """Buckets ascending in le, cumulative, +Inf equal to _count."""
    problems = []
    for fam in (n for n, t in types.items() if t == "histogram"):
        groups = {}
        for name, labels, value in samples:
            if family_of(name, types) != fam:
                continue
            rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            g = groups.setdefault(rest, {"buckets": [], "count": None, "sum": None})
            if name == fam + "_bucket":
                if "le" not in labels or parse_value(labels["le"]) is None:
                    problems.append("%s: bucket without a valid le" % fam)
                    continue
                g["buckets"].append((parse_value(labels["le"]), value))
            elif name == fam + "_count":
                g["count"] = value
            elif name == fam + "_sum":
                g["sum"] = value
            else:
                problems.append("%s: stray sample %s" % (fam, name))
        for rest, g in groups.items():
            les = [b[0] for b in g["buckets"]]
            counts = [b[1] for b in g["buckets"]]
            if les != sorted(les) or not les or les[-1] != float("inf"):
                problems.append("%s%s: le not ascending to +Inf" % (fam, rest))
            if counts != sorted(counts):
                problems.append("%s%s: buckets not cumulative" % (fam, rest))
            if g["count"] is None or g["sum"] is None:
                problems.append("%s%s: no _count or _sum" % (fam, rest))
            elif counts and counts[-1] != g["count"]:
                problems.append("%s%s: +Inf bucket %s != count %s"
                                % (fam, rest, counts[-1], g["count"]))
    return problems


def sample_map(samples):
    """{(name, frozenset(labels)): value}."""
    return {(n, frozenset(l.items())): v for n, l, v in samples}


def get(smap, name, **labels):
    return smap.get((name, frozenset(labels.items())))


def validator_self_test():
    """The validator must catch what it claims to catch."""
    bad = {
        "no newline": "# TYPE a gauge\na 1",
        "bad value": "# HELP a x\n# TYPE a gauge\na one\n",
        "bad escape": '# HELP a x\n# TYPE a gauge\na{l="\\t"} 1\n',
        "split family": "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\n"
                        "b 1\na{x=\"1\"} 2\n",
        "duplicate": "# HELP a x\n# TYPE a gauge\na 1\na 2\n",
        "counter name": "# HELP a x\n# TYPE a counter\na 1\n",
        "not cumulative": "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                          "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "inf != count": "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\n"
                        "h_sum 1\nh_count 2\n",
        "no help": "# TYPE a gauge\na 1\n",
    }
    missed = [k for k, text in bad.items() if not parse_exposition(text)[2]]
    good = "# HELP a x\n# TYPE a gauge\na{l=\"q\\\"\\\\\\n\"} 1\n# HELP h x\n" \
           "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n" \
           "h_sum 3.5\nh_count 2\n"
    good_problems = parse_exposition(good)[2]
    check("validator rejects malformed expositions and accepts a valid one",
          not missed and not good_problems,
          "missed: %s; valid text rejected: %s" % (missed, good_problems))


# ---------------------------------------------------------------- promtool

def find_promtool():
    """promtool's path; installs the prometheus package when root (bounded)."""
    path = shutil.which("promtool")
    if path or not IS_ROOT or not shutil.which("apt-get"):
        return path
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    deadline = time.monotonic() + 300
    for step in (["apt-get", "install", "-y", "--no-install-recommends", "prometheus"],
                 ["apt-get", "update"],
                 ["apt-get", "install", "-y", "--no-install-recommends", "prometheus"]):
        left = int(deadline - time.monotonic())
        if left <= 0:
            break
        r = run(step, timeout=left, env=env)
        if step[1] == "install" and r.returncode == 0:
            break
    return shutil.which("promtool")


def promtool_check(promtool, name, text):
    if promtool is None:
        return
    r = run([promtool, "check", "metrics"], input=text, timeout=60)
    check("promtool check metrics: %s" % name, r.returncode == 0,
          r.stdout + r.stderr)


# ---------------------------------------------------------------- HTTP

def http(port, request, timeout=15):
    """Send raw request bytes (none: close the sending side at once);
    (status, headers dict, body bytes, seconds). status None when the
    server closed without an answer."""
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        if request:
            s.sendall(request)
        else:
            s.shutdown(socket.SHUT_WR)
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    elapsed = time.monotonic() - start
    head, sep, body = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.1 (\d{3}) [^\r\n]*", head)
    if not sep or not m:
        return None, {}, data, elapsed
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(m.group(1)), headers, body, elapsed


def get_metrics(port):
    return http(port, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n")


# ---------------------------------------------------------------- instance

def submit_smtp(port, count):
    ok_count = 0
    for i in range(count):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=15) as s:
                s.sendmail("sender@test.example", ["rcpt%d@remote.example" % i],
                           "Subject: metrics %d\r\n\r\nbody\r\n" % i)
                ok_count += 1
        except (OSError, smtplib.SMTPException) as e:
            print("# smtp submission failed: %s" % e)
    return ok_count


def populate(inst, now):
    """Synthetic files with known arrival times; returns expected ages."""
    q = inst.queue_dir
    mail = ["Subject: synthetic", "", "body"]
    store(q, "maildrop", queue_id(now - 600, 0, 11),
          maildrop_file("a@test.example", ["b@remote.example"], now - 600, lines=mail),
          mtime=now - 600)
    store(q, "active", queue_id(now - 100, 0, 12),
          queue_file("a@test.example", ["b@remote.example"], now - 100, lines=mail))
    for n, usec in ((13, 5), (14, 10)):
        store(q, "deferred", queue_id(now - 3600, usec, n),
              queue_file("a@test.example", ["b@remote.example"], now - 3600, usec,
                         lines=mail), mtime=now + 3600)
    store(q, "hold", queue_id(now - 7200, 0, 15),
          queue_file("a@test.example", ["b@remote.example"], now - 7200, lines=mail))
    return {"maildrop": 600, "active": 100, "deferred": 3600, "hold": 7200}


def write_snapshot(inst, text):
    """Install a qmgr snapshot file as qmgr would (owner of private/)."""
    private = os.path.join(inst.queue_dir, "private")
    path = os.path.join(private, "qmgr.stats")
    tmp = path + ".test"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    if IS_ROOT:
        st = os.stat(private)
        os.chown(tmp, st.st_uid, st.st_gid)
    os.rename(tmp, path)


def snapshot_text(written):
    zeros = " ".join(["0"] * 15)
    buckets = " ".join(["0"] * 3 + ["2"] + ["0"] * 10 + ["1"])
    return ("postern-qmgr-stats 1\npid 4242\nstarted %d\nwritten %d\n"
            "active_limit 1234\ninflow_tokens 17\n"
            "active smtp high 4\nactive smtp bulk 9\n"
            "destination smtp remote.example 3 throttled\n"
            "destination smtp %%5B127.0.0.1%%5D:2526 1 dead\n"
            "delivery smtp sent 2 40\ndelivery smtp bounced 5 1\n"
            "delay smtp high 100000.6 3 %s\n"
            "delay smtp bulk 0 0 %s\nend\n" % (written - 50, written, buckets, zeros))


# ---------------------------------------------------------------- cases

def case_queue_counts(inst, port, ages, promtool):
    want = {q: len(inst.queue_files(q)) for q in QUEUES}
    check("queue setup: 2 maildrop, 2 incoming, 1 active, 2 deferred, 1 hold",
          want == {"maildrop": 2, "incoming": 2, "active": 1, "deferred": 2, "hold": 1},
          "found %s" % want)
    r = inst.postern("metrics")
    samples, types, problems = parse_exposition(r.stdout)
    smap = sample_map(samples)
    check("postern metrics: exit status 0, nothing on stderr",
          r.returncode == 0 and r.stderr == "", "status %d: %s" % (r.returncode, r.stderr))
    check("postern metrics: valid exposition", not problems, "\n".join(problems) + "\n" + r.stdout)
    got = {q: get(smap, "postern_queue_messages", queue=q) for q in QUEUES}
    check("postern metrics: postern_queue_messages per queue", got == want,
          "got %s want %s" % (got, want))
    bad_ages = []
    for q, age in ages.items():
        v = get(smap, "postern_queue_oldest_age_seconds", queue=q)
        if v is None or not age - 1 <= v <= age + 120:
            bad_ages.append("%s: %s (want about %d)" % (q, v, age))
    v = get(smap, "postern_queue_oldest_age_seconds", queue="incoming")
    if v is None or not 0 <= v <= 300:
        bad_ages.append("incoming: %s" % v)
    check("postern metrics: oldest ages from queue IDs and maildrop mtime",
          not bad_ages, "; ".join(bad_ages))
    check("postern metrics: qmgr down, configured active limit",
          get(smap, "postern_qmgr_up") == 0 and get(smap, "postern_active_limit") == 777
          and not any(n.startswith("postern_destination") for n, _, _ in samples),
          r.stdout)
    promtool_check(promtool, "postern metrics, qmgr down", r.stdout)

    status, headers, body, _ = get_metrics(port)
    text = body.decode(errors="replace")
    samples, types, problems = parse_exposition(text)
    hmap = sample_map(samples)
    check("GET /metrics: 200, version 0.0.4, Content-Length, Connection: close",
          status == 200
          and headers.get("content-type", "").startswith("text/plain; version=0.0.4")
          and headers.get("content-length") == str(len(body))
          and headers.get("connection") == "close",
          "status %s headers %s" % (status, headers))
    check("GET /metrics: valid exposition", not problems and samples,
          "\n".join(problems) + "\n" + text)
    got = {q: get(hmap, "postern_queue_messages", queue=q) for q in QUEUES}
    check("GET /metrics: same queue counts as postern metrics", got == want,
          "got %s want %s" % (got, want))
    promtool_check(promtool, "GET /metrics", text)


def case_http_errors(inst, port):
    cases = [
        ("HEAD /metrics", b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        ("other path", b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        ("POST", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 405),
        ("garbage", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400),
        ("HTTP/1.1 without Host", b"GET /metrics HTTP/1.1\r\n\r\n", 400),
        ("HTTP/1.0 without Host", b"GET /metrics HTTP/1.0\r\n\r\n", 200),
        ("HTTP/2.0", b"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("long request line", b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("huge header", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 20000
         + b"\r\n\r\n", 431),
    ]
    for name, request, want in cases:
        status, headers, body, _ = http(port, request)
        extra = True
        if name.startswith("HEAD"):
            extra = body == b"" and int(headers.get("content-length", "0")) > 0
        if want == 405:
            extra = headers.get("allow") == "GET, HEAD"
        check("HTTP %s: %d" % (name, want), status == want and extra
              and headers.get("connection") == "close",
              "status %s headers %s body %r" % (status, headers, body[:200]))
    status, headers, body, elapsed = http(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n",
                                          timeout=20)
    check("HTTP slow client: 408 after about 10 s", status == 408 and 8 <= elapsed <= 15,
          "status %s after %.1f s" % (status, elapsed))
    status, _, data, elapsed = http(port, b"")
    check("HTTP connection closed without a request: no answer", status is None
          and data == b"" and elapsed < 5, "status %s after %.1f s: %r" % (status, elapsed, data))
    status, _, body, _ = get_metrics(port)
    check("HTTP service still answers after bad requests", status == 200 and body)


def case_snapshot(inst, port, promtool):
    now = int(time.time())
    write_snapshot(inst, snapshot_text(now))
    r = inst.postern("metrics")
    samples, _, problems = parse_exposition(r.stdout)
    smap = sample_map(samples)
    want = {
        ("postern_qmgr_up", ()): 1,
        ("postern_qmgr_start_time_seconds", ()): now - 50,
        ("postern_active_limit", ()): 1234,
        ("postern_inflow_tokens", ()): 17,
        ("postern_active_messages", (("transport", "smtp"), ("priority", "high"))): 4,
        ("postern_destination_concurrency",
         (("transport", "smtp"), ("destination", "remote.example"))): 3,
        ("postern_destination_state", (("transport", "smtp"), ("destination", "remote.example"),
                                       ("state", "throttled"))): 1,
        ("postern_destination_state", (("transport", "smtp"), ("destination", "remote.example"),
                                       ("state", "ok"))): 0,
        ("postern_destination_state", (("transport", "smtp"), ("destination", "[127.0.0.1]:2526"),
                                       ("state", "dead"))): 1,
        ("postern_deliveries_total", (("transport", "smtp"), ("status", "sent"),
                                      ("dsn_class", "2"))): 40,
        ("postern_delivery_delay_seconds_bucket", (("transport", "smtp"), ("priority", "high"),
                                                   ("le", "0.5"))): 0,
        ("postern_delivery_delay_seconds_bucket", (("transport", "smtp"), ("priority", "high"),
                                                   ("le", "1"))): 2,
        ("postern_delivery_delay_seconds_bucket", (("transport", "smtp"), ("priority", "high"),
                                                   ("le", "86400"))): 2,
        ("postern_delivery_delay_seconds_bucket", (("transport", "smtp"), ("priority", "high"),
                                                   ("le", "+Inf"))): 3,
        ("postern_delivery_delay_seconds_sum", (("transport", "smtp"), ("priority", "high"))):
            100000.6,
    }
    wrong = ["%s%s = %s, want %s" % (n, dict(l), smap.get((n, frozenset(l))), v)
             for (n, l), v in want.items() if smap.get((n, frozenset(l))) != v]
    check("fresh qmgr snapshot: qmgr families shown", r.returncode == 0 and not wrong
          and not problems, "\n".join(wrong + problems) + "\n" + r.stdout + r.stderr)
    promtool_check(promtool, "postern metrics with qmgr data", r.stdout)
    status, _, body, _ = get_metrics(port)
    text = body.decode(errors="replace")
    check("fresh qmgr snapshot: GET /metrics shows it too",
          status == 200 and "postern_qmgr_up 1\n" in text
          and 'postern_active_messages{transport="smtp",priority="bulk"} 9\n' in text, text)
    promtool_check(promtool, "GET /metrics with qmgr data", text)

    write_snapshot(inst, snapshot_text(now - 60))
    r = inst.postern("metrics")
    smap = sample_map(parse_exposition(r.stdout)[0])
    check("stale qmgr snapshot: postern_qmgr_up 0, qmgr families left out",
          r.returncode == 0 and get(smap, "postern_qmgr_up") == 0
          and "postern_inflow_tokens" not in r.stdout
          and get(smap, "postern_active_limit") == 777
          and get(smap, "postern_queue_messages", queue="hold") == 1, r.stdout)

    mark = inst.log_mark()
    write_snapshot(inst, snapshot_text(now).replace("active smtp high 4", "active smtp high x"))
    r = inst.postern("metrics")
    smap = sample_map(parse_exposition(r.stdout)[0])
    check("corrupt qmgr snapshot: postern metrics warns, exits 1, still prints queues",
          r.returncode == 1 and "private/qmgr.stats: line 7: bad active count" in r.stderr
          and get(smap, "postern_qmgr_up") == 0
          and get(smap, "postern_queue_messages", queue="deferred") == 2,
          "status %d\n%s%s" % (r.returncode, r.stderr, r.stdout))
    status, _, body, _ = get_metrics(port)
    logged = inst.log_wait(r"postern/metrics\[\d+\]: warning: private/qmgr\.stats: line 7",
                           timeout=10, since=mark)
    check("corrupt qmgr snapshot: the service answers with qmgr_up 0 and logs a warning",
          status == 200 and b"postern_qmgr_up 0\n" in body and logged is not None,
          inst.log_text()[mark:])
    os.unlink(os.path.join(inst.queue_dir, "private", "qmgr.stats"))


def case_with_qmgr(promtool):
    port = free_port()
    inst = Instance(name="metrics-qmgr", main_cf={"default_transport": "discard"},
                    master_cf_append=["127.0.0.1:%d inet n - n - - metrics" % port])
    r = inst.start()
    if not check("instance with qmgr starts", r.returncode == 0, r.stdout + r.stderr):
        return
    sent = submit_smtp(inst.smtp_port, 3)
    key = ("postern_deliveries_total",
           frozenset({"transport": "discard", "status": "sent", "dsn_class": "2"}.items()))

    def delivered():
        status, _, body, _ = get_metrics(port)
        if status != 200:
            return None
        text = body.decode(errors="replace")
        smap = sample_map(parse_exposition(text)[0])
        return text if smap.get(key) == 3 else None
    text = wait_for(delivered, timeout=20, interval=0.5)
    if not check("with qmgr: 3 messages counted as sent by discard", sent == 3 and text,
                 "smtp sent %d\n%s" % (sent, get_metrics(port)[2].decode(errors="replace"))):
        inst.stop()
        return
    samples, _, problems = parse_exposition(text)
    smap = sample_map(samples)
    count = get(smap, "postern_delivery_delay_seconds_count",
                transport="discard", priority="normal")
    check("with qmgr: postern_qmgr_up 1, limits, delay histogram, valid text",
          get(smap, "postern_qmgr_up") == 1 and get(smap, "postern_active_limit") == 20000
          and get(smap, "postern_inflow_tokens") is not None and count == 3
          and not problems, "\n".join(problems) + "\n" + text)
    promtool_check(promtool, "live qmgr", text)
    inst.stop()


def main():
    validator_self_test()
    promtool = find_promtool()
    if promtool is None:
        skip("promtool", "not installed")
    port = free_port()
    inst = Instance(name="metrics", main_cf={"qmgr_message_active_limit": "777"},
                    master_cf_replace={"qmgr": None, "pickup": None},
                    master_cf_append=["127.0.0.1:%d inet n - n - - metrics" % port])
    r = inst.start()
    if not check("instance starts with the metrics service", r.returncode == 0,
                 r.stdout + r.stderr):
        done()
    now = int(time.time())
    ages = populate(inst, now)
    sent = submit_smtp(inst.smtp_port, 2)
    r = inst.cmd("sendmail", "-f", "local@test.example", "someone@remote.example",
                 input="Subject: via sendmail\n\nbody\n")
    check("mail submitted: 2 over SMTP, 1 with sendmail",
          sent == 2 and r.returncode == 0, "smtp %d, sendmail %d %s" % (sent, r.returncode, r.stderr))
    wait_for(lambda: len(inst.queue_files("incoming")) >= 2
             and len(inst.queue_files("maildrop")) >= 2, timeout=15)
    case_queue_counts(inst, port, ages, promtool)
    case_http_errors(inst, port)
    case_snapshot(inst, port, promtool)
    r = inst.postern("metrics", "extra")
    check("postern metrics with an extra argument: usage error, exit 1",
          r.returncode == 1 and "usage" in r.stderr, r.stderr)
    inst.stop()
    case_with_qmgr(promtool)
    done()


if __name__ == "__main__":
    main()
