#!/usr/bin/env python3
"""gen_queue - fill a deferred queue with N messages over D domains, fast.

usage: gen_queue.py {postern|postfix} QUEUE_DIR COUNT [DOMAINS] [SEED]

Writes COUNT complete queue files (mode 0700, owned like QUEUE_DIR/deferred)
straight into QUEUE_DIR/deferred (not hashed: both benchmark instances set
hash_queue_names = defer), in the record format of the named system. Every
message has one sender and one to three recipients in DOMAINS domains
(d00.example ... d49.example by default, skewed so that the first domains
hold more mail) and an arrival time spread over the last three days, from a
fixed random SEED, so both systems get a queue of the same shape.

Record format (both systems): a type byte, the length in base-128 groups
(low group first, high bit on all but the last), the data. Postern's file
is SIZE, TIME, FROM, RCPT..., MESG, content, XTRA, END (lib/global/record.h);
Postfix's is the same sequence with its own SIZE (six fields) and with MESG
and SIZE pointing where its readers expect them.
"""

import os
import random
import sys
import time

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B52 = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
LINES = [b"Received: by bench.example (benchmark)", b"From: sender@src.example",
         b"To: someone@example.net", b"Subject: queue benchmark", b"",
         b"This message only exists to fill a queue.", b"It is never delivered."]


def rec(rtype, data=b""):
    n = len(data)
    out = bytearray(rtype)
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out) + data


def enc(n, alphabet, width=0):
    base = len(alphabet)
    s = ""
    while n:
        s = alphabet[n % base] + s
        n //= base
    s = s or alphabet[0]
    return s.rjust(width, alphabet[0]) if width else s


CONTENT = b"".join(rec(b"N", line) for line in LINES)
CONTENT_SIZE = sum(len(line) + 1 for line in LINES)


def postern_file(sender, rcpts, sec, usec):
    env = rec(b"T", b"%d %d" % (sec, usec)) + rec(b"S", sender)
    env += b"".join(rec(b"R", r) for r in rcpts)
    size_len = len(rec(b"C", b" " * 47))
    mesg_off = size_len + len(env)
    xtra_off = mesg_off + len(rec(b"M", b" " * 15)) + len(CONTENT)
    return (rec(b"C", b"%15d %15d %15d" % (CONTENT_SIZE, mesg_off, len(rcpts)))
            + env + rec(b"M", b"%15d" % xtra_off) + CONTENT + rec(b"X") + rec(b"E"))


def postfix_file(sender, rcpts, sec, usec):
    env = rec(b"T", b"%d %d" % (sec, usec)) + rec(b"S", sender)
    env += b"".join(rec(b"R", r) for r in rcpts)
    size_len = len(rec(b"C", b" " * 95))
    mesg_len = len(rec(b"M", b" " * 15))
    data_off = size_len + len(env) + mesg_len       # first content record
    xtra_off = data_off + len(CONTENT)
    size = b"%15d %15d %15d %15d %15d %15d" % (xtra_off - data_off, data_off,
                                               len(rcpts), 0, CONTENT_SIZE, 0)
    return (rec(b"C", size) + env + rec(b"M", b"%15d" % xtra_off) + CONTENT
            + rec(b"X") + rec(b"E"))


def postern_id(sec, usec, n):
    return enc(sec, B62, 6) + enc(usec, B62, 4) + enc(n, B62)


def postfix_id(sec, usec, n):
    # Postfix long queue ID: base-52 seconds and microseconds, 'z', inode
    # number in base 51 (here a counter: unique, which is all that matters).
    return enc(sec, B52, 6) + enc(usec, B52, 4) + "z" + enc(n, B52[:51])


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    system, qdir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ndom = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    rnd = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    make, name = ((postern_file, postern_id) if system == "postern"
                  else (postfix_file, postfix_id))
    target = os.path.join(qdir, "deferred")
    st = os.stat(target)
    uid, gid = st.st_uid, st.st_gid
    chown = os.geteuid() == 0 and (uid, gid) != (0, 0)
    domains = [b"d%02d.example" % i for i in range(ndom)]
    weights = [1.0 / (i + 1) for i in range(ndom)]
    now = int(time.time())
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for n in range(1, count + 1):
        sec = now - rnd.randrange(3 * 86400)
        usec = rnd.randrange(1000000)
        rcpts = [b"user%d@%s" % (rnd.randrange(1000), d)
                 for d in rnd.choices(domains, weights, k=rnd.randint(1, 3))]
        sender = b"sender%d@src%d.example" % (n % 97, n % 7)
        path = os.path.join(target, name(sec, usec, n))
        fd = os.open(path, flags, 0o700)
        os.write(fd, make(sender, rcpts, sec, usec))
        if chown:
            os.fchown(fd, uid, gid)
        os.close(fd)


if __name__ == "__main__":
    main()
