#!/usr/bin/env python3
"""test_postmap - postmap and postalias from the command line.

Builds a 10,000-key hash table and queries it (single keys, "-q -"
batches, a missing key), edits it with -d and -i, lists it with -s,
checks the diagnostics for bad input lines ("FILE, line N: ...", exit
status as Postfix: warnings do not fail the build), case folding, the
permissions of a new table, the postalias syntax (continuation lines,
quoted names, :include:), and that a rebuild is atomic: while postmap is
still reading its input, readers keep getting the old table, and the new
one appears in one rename.
"""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import BINDIR, check, done, run, wait_for  # noqa: E402

POSTMAP = os.path.join(BINDIR, "postmap")
POSTALIAS = os.path.join(BINDIR, "postalias")
WORK = tempfile.mkdtemp(prefix="test_postmap.")
CONF = os.path.join(WORK, "conf")
os.makedirs(CONF)
with open(os.path.join(CONF, "main.cf"), "w") as f:
    f.write("# empty: all defaults\n")


def path(name):
    return os.path.join(WORK, name)


def write(name, text, mode=None):
    with open(path(name), "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path(name), mode)
    return path(name)


def postmap(*args, input=None, timeout=120):
    return run([POSTMAP, "-c", CONF] + list(args), input=input, timeout=timeout)


def postalias(*args, input=None, timeout=60):
    return run([POSTALIAS, "-c", CONF] + list(args), input=input, timeout=timeout)


def show(r):
    return "exit %s\nstdout: %r\nstderr: %r" % (r.returncode, r.stdout[:2000], r.stderr[:2000])


def temp_files(prefix):
    return [n for n in os.listdir(WORK) if n.startswith(prefix + ".db.")]


# ------------------------------------------------------------ big table

N = 10000
big = write("big", "".join("key%05d value-%d\n" % (i, i * 7) for i in range(N)))
r = postmap("hash:" + big)
check("build 10000 keys", r.returncode == 0 and r.stderr == ""
      and os.path.exists(big + ".db"), show(r))

bad = []
for i in range(0, N, 1000):
    q = postmap("-q", "key%05d" % i, "hash:" + big)
    if q.returncode != 0 or q.stdout != "value-%d\n" % (i * 7):
        bad.append(show(q))
check("query every 1000th key", not bad, "\n".join(bad))

q = postmap("-q", "KEY00042", big)
check("query folds case, default type hash", q.returncode == 0
      and q.stdout == "value-294\n", show(q))

q = postmap("-q", "nosuchkey", "hash:" + big)
check("missing key exits 1 with no output", q.returncode == 1 and q.stdout == ""
      and q.stderr == "", show(q))

keys = "key00001\nnope\nKEY09999\n\nkey05000\n"
q = postmap("-q", "-", "hash:" + big, input=keys)
check("-q - prints key TAB value for keys found", q.returncode == 0
      and q.stdout == "key00001\tvalue-7\nKEY09999\tvalue-69993\nkey05000\tvalue-35000\n",
      show(q))
q = postmap("-q", "-", "hash:" + big, input="nope\nnone\n")
check("-q - exits 1 when nothing is found", q.returncode == 1 and q.stdout == "", show(q))

first = write("first", "key00001 override\nonly-first 1\n")
postmap("hash:" + first)
q = postmap("-q", "key00001", "hash:" + first, "hash:" + big)
q2 = postmap("-q", "key00002", "hash:" + first, "hash:" + big)
check("-q searches several tables in order", q.stdout == "override\n"
      and q2.stdout == "value-14\n", show(q) + show(q2))

# ------------------------------------------------------------ -d -i -s

d = postmap("-d", "key00003", "hash:" + big)
q = postmap("-q", "key00003", "hash:" + big)
d2 = postmap("-d", "key00003", "hash:" + big)
check("-d removes a key (exit 0), again exits 1", d.returncode == 0
      and q.returncode == 1 and d2.returncode == 1, show(d) + show(q) + show(d2))

d = postmap("-d", "-", "hash:" + big, input="key00004\nkey00005\nabsent\n")
q = postmap("-q", "-", "hash:" + big, input="key00004\nkey00005\nkey00006\n")
check("-d - removes keys read from stdin", d.returncode == 0
      and q.stdout == "key00006\tvalue-42\n", show(d) + show(q))

i = postmap("-i", "hash:" + big, input="newkey new value\nkey00010 clash\nnovalue\n")
q = postmap("-q", "newkey", "hash:" + big)
q2 = postmap("-q", "key00010", "hash:" + big)
check("-i adds entries from stdin", i.returncode == 0 and q.stdout == "new value\n",
      show(i) + show(q))
check("-i keeps existing entries and warns", q2.stdout == "value-70\n"
      and 'stdin, line 2: duplicate entry: "key00010"' in i.stderr
      and "stdin, line 3: expected format: key whitespace value" in i.stderr, show(i))
i = postmap("-i", "-r", "hash:" + big, input="key00010 replaced\n")
q2 = postmap("-q", "key00010", "hash:" + big)
check("-i -r replaces existing entries", i.returncode == 0
      and q2.stdout == "replaced\n" and i.stderr == "", show(i) + show(q2))

s = postmap("-s", "hash:" + big)
lines = s.stdout.splitlines()
entries = dict(line.split("\t", 1) for line in lines)
check("-s lists every entry", s.returncode == 0 and len(lines) == N - 3 + 1
      and entries.get("newkey") == "new value" and "key00003" not in entries
      and entries.get("key09999") == "value-69993", "%d lines\n%s" % (len(lines), show(s)))

# ------------------------------------------------------------ syntax

src = write("syntax",
            "# comment\n"
            "Alpha one\n"
            "  continued\n"
            "\n"
            "badline\n"
            "beta\t two  words  \n"
            "alpha second\n"
            "   \n"
            "gamma 3\n")
r = postmap("hash:" + src)
check("bad line: warning with file and line, build succeeds (exit 0)",
      r.returncode == 0 and
      "postmap: warning: %s, line 5: expected format: key whitespace value" % src in r.stderr,
      show(r))
check("duplicate key: warning with file and line, first kept",
      'postmap: warning: %s, line 7: duplicate entry: "alpha"' % src in r.stderr
      and postmap("-q", "alpha", "hash:" + src).stdout == "one  continued\n", show(r))
q = postmap("-q", "-", "hash:" + src, input="beta\ngamma\n")
check("values: inner blanks kept, ends trimmed",
      q.stdout == "beta\ttwo  words\ngamma\t3\n", show(q))

w = postmap("-w", "hash:" + src)
check("-w silences duplicate warnings", w.returncode == 0
      and "duplicate" not in w.stderr and "expected format" in w.stderr, show(w))

lead = write("lead", "  leading 1\nok 2\n")
r = postmap("hash:" + lead)
check("leading white space: warning, line skipped", r.returncode == 0
      and "%s, line 1: logical line must not start with whitespace" % lead in r.stderr
      and postmap("-q", "leading", "hash:" + lead).returncode == 1, show(r))

case = write("case", "MixedCase 1\n")
postmap("-f", "hash:" + case)
q1 = postmap("-f", "-q", "MixedCase", "hash:" + case)
q2 = postmap("-q", "MixedCase", "hash:" + case)
check("-f keeps the case of keys", q1.stdout == "1\n" and q2.returncode == 1,
      show(q1) + show(q2))

r = postmap("hash:" + path("does-not-exist"))
check("missing source: fatal naming the file, exit 1", r.returncode == 1
      and "postmap: fatal: open %s: No such file or directory" % path("does-not-exist")
      in r.stderr, show(r))
r = postmap("-q", "x", "hash:" + path("does-not-exist"))
check("missing table: fatal naming the .db file, exit 1", r.returncode == 1
      and "%s.db: No such file or directory" % path("does-not-exist") in r.stderr, show(r))
write("corrupt.db", "not a database at all\n" * 10)
r = postmap("-q", "x", "hash:" + path("corrupt"))
check("corrupt table: fatal naming the .db file, exit 1", r.returncode == 1
      and "open database %s.db" % path("corrupt") in r.stderr, show(r))
r = postmap("-q", "x", "nosuch:" + src)
check("unknown table type: clear error, exit 1", r.returncode == 1
      and "unsupported dictionary type: nosuch" in r.stderr, show(r))
r = postmap("cidr:" + src)
check("building a cidr table is refused", r.returncode == 1
      and "unsupported map type for this operation: cidr" in r.stderr, show(r))
r = postmap("-s", "-q", "x", "hash:" + src)
check("-s with -q is a usage error", r.returncode == 1
      and "specify only one of -s -q or -d" in r.stderr, show(r))
r = run([POSTMAP, "-c", CONF])
check("no table argument: usage, exit 1", r.returncode == 1 and "usage:" in r.stderr, show(r))

# ------------------------------------------------------------ other types

cidr = write("net.cidr", "10.0.0.0/8 ten\n2001:db8::/32 six\n10.1.2.3/8 bad\n0.0.0.0/0 any\n")
q = postmap("-q", "-", "cidr:" + cidr, input="10.2.3.4\n2001:db8::1\n192.0.2.1\nhost.example\n")
check("cidr: IPv4 and IPv6 rules, first match wins",
      q.stdout == "10.2.3.4\tten\n2001:db8::1\tsix\n192.0.2.1\tany\n"
      and "%s, line 3: non-null host address bits" % cidr in q.stderr, show(q))
q = postmap("-q", "b", "inline:{ a=1, { b = two words } }")
q2 = postmap("-q", "anything", "static:{ some value }")
q3 = postmap("-q", "gamma", "texthash:" + src)
check("inline, static and texthash queries", q.stdout == "two words\n"
      and q2.stdout == "some value\n" and q3.stdout == "3\n", show(q) + show(q2) + show(q3))

# ------------------------------------------------------------ permissions

perm = write("perm", "a 1\n", mode=0o640)
postmap("hash:" + perm)
mode = stat.S_IMODE(os.stat(perm + ".db").st_mode)
check("new table takes the source's group/other read bits", mode == 0o640, oct(mode))
os.chmod(perm + ".db", 0o600)
postmap("hash:" + perm)
mode = stat.S_IMODE(os.stat(perm + ".db").st_mode)
check("rebuilt table keeps its own permissions", mode == 0o600, oct(mode))

# ------------------------------------------------------------ postalias

aliases = write("aliases",
                "# system aliases\n"
                "Postmaster: root\n"
                "root: admin,\n"
                "  other ,\n"
                "\tthird\n"
                "\"First Last\": fl\n"
                "list: :include:/etc/postern/list.txt\n"
                "prog: \"|/usr/bin/filter  -x\"\n"
                "bad line\n"
                "remote@example.com: x\n"
                "root: duplicate\n")
r = postalias(aliases)
check("postalias builds the table", r.returncode == 0 and os.path.exists(aliases + ".db"),
      show(r))
check("postalias warns with file and line",
      "postalias: warning: %s, line 9: need name:value pair" % aliases in r.stderr
      and "%s, line 10: name must be local" % aliases in r.stderr
      and '%s, line 11: duplicate entry: "root"' % aliases in r.stderr, show(r))
q = postalias("-q", "-", aliases,
              input="postmaster\nROOT\nfirst last\nlist\nprog\nnobody\n")
check("postalias round trip: continuation, quoted name, :include:",
      q.returncode == 0 and q.stdout ==
      "postmaster:\troot\nROOT:\tadmin, other, third\nfirst last:\tfl\n"
      "list:\t:include:/etc/postern/list.txt\nprog:\t\"|/usr/bin/filter  -x\"\n",
      show(q))
q = postalias("-q", "nobody", aliases)
q2 = postalias("-q", "@", aliases)
check("postalias -q: missing exits 1; the @ marker is there",
      q.returncode == 1 and q2.stdout == "@\n", show(q) + show(q2))
s = postalias("-s", aliases)
check("postalias -s prints name:TAB value", s.returncode == 0
      and "root:\tadmin, other, third\n" in s.stdout and len(s.stdout.splitlines()) == 6,
      show(s))
more = write("more_aliases", "extra: someone\n")
r = postalias(aliases, "hash:" + more)
q = postalias("-q", "extra", more)
check("postalias accepts several tables", r.returncode == 0 and q.stdout == "someone\n",
      show(r) + show(q))
d = postalias("-d", "extra", more)
check("postalias -d", d.returncode == 0 and postalias("-q", "extra", more).returncode == 1,
      show(d))
r = run([POSTALIAS, "-c", CONF])
check("postalias without a table: usage, exit 1", r.returncode == 1
      and "usage: postalias" in r.stderr, show(r))

# ------------------------------------------------------------ atomic rebuild

atom = write("atom", "k old\n" + "".join("fill%d x\n" % i for i in range(100)))
postmap("hash:" + atom)
old_ino = os.stat(atom + ".db").st_ino
os.unlink(atom)
os.mkfifo(atom)
proc = subprocess.Popen([POSTMAP, "-c", CONF, "hash:" + atom],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
writer = None
try:
    writer = open(atom, "w")          # blocks until postmap opens the FIFO
    writer.write("k new\n")
    writer.write("".join("fill%d y\n" % i for i in range(5000)))
    writer.flush()
    building = wait_for(lambda: temp_files("atom"), timeout=15)
    q = postmap("-q", "k", "hash:" + atom)
    check("during a rebuild the old table is still readable",
          building and q.returncode == 0 and q.stdout == "old\n"
          and os.stat(atom + ".db").st_ino == old_ino,
          "temp files %s\n%s" % (temp_files("atom"), show(q)))
    writer.close()
    writer = None
    rc = proc.wait(timeout=60)
    q = postmap("-q", "k", "hash:" + atom)
    check("after the rebuild the new table is in place, no temp file left",
          rc == 0 and q.stdout == "new\n" and os.stat(atom + ".db").st_ino != old_ino
          and not temp_files("atom"),
          "rc %s, stderr %r\n%s" % (rc, proc.stderr.read(), show(q)))
finally:
    if writer is not None:
        writer.close()
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()



def interrupted_build(sig):
    """Start a rebuild from the FIFO, kill it with sig half-way."""
    proc = subprocess.Popen([POSTMAP, "-c", CONF, "hash:" + atom],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    writer = open(atom, "w")
    try:
        writer.write("k newer\n")
        writer.flush()
        started = wait_for(lambda: temp_files("atom"), timeout=15)
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        try:
            writer.close()
        except BrokenPipeError:
            pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    return started


started = interrupted_build(signal.SIGTERM)
q = postmap("-q", "k", "hash:" + atom)
check("a rebuild stopped by SIGTERM leaves the old table and no temp file",
      started and q.returncode == 0 and q.stdout == "new\n" and not temp_files("atom"),
      "temp files %s\n%s" % (temp_files("atom"), show(q)))
started = interrupted_build(signal.SIGKILL)
q = postmap("-q", "k", "hash:" + atom)
left = temp_files("atom")
check("a killed rebuild leaves the previous table readable",
      started and q.returncode == 0 and q.stdout == "new\n" and len(left) == 1, show(q))
os.unlink(atom)
write("atom", "k final\n")
r = postmap("hash:" + atom)
check("the next build removes the temp file a killed one left",
      r.returncode == 0 and not temp_files("atom") and "removed stale temporary file" in r.stderr
      and postmap("-q", "k", "hash:" + atom).stdout == "final\n", show(r))

subprocess.run(["rm", "-rf", WORK])
done()
