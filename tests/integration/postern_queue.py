"""postern_queue - write Postern queue files from Python, for tests and benchmarks.

SYNOPSIS
    from postern_queue import queue_id, queue_file, maildrop_file, \
        store, defer_log, queue_rel_path

    qid = queue_id(arrival, usec, unique)
    data = queue_file(sender, ["a@example.com"], arrival, usec,
                      lines=["Subject: x", "", "body"], done={1},
                      priority="bulk", attrs={"encoding": "7BIT"})
    path = store(queue_dir, "deferred", qid, data)      # 0700, complete
    defer_log(queue_dir, qid, [("a@example.com", "connect to x: refused")])

DESCRIPTION
    The record format is the one lib/global/record.h documents: a type
    byte, the data length in base-128 groups of 7 bits (least significant
    first, high bit on all but the last byte), the data. A queue file is
    SIZE (fixed width "%15d %15d %15d": content size, offset of MESG,
    number of recipient records), TIME "sec usec", FROM, optional PRIO and
    ATTR records, recipient groups ([ORCP] RCPT or DONE), MESG (fixed
    width offset of XTRA), content records (NORM), XTRA, extracted
    recipient groups, END.

    A queue ID is the arrival time in 6 base-62 digits, the microseconds
    in 4, then the uniquifier without leading zeros (alphabet 0-9A-Za-z).
    Hashed queues (deferred and defer, hash depth 1 by default) keep a
    file in the subdirectory named by the hexadecimal digit of the low 4
    bits of the microseconds.

    A maildrop file (maildrop_file()) is TIME, FROM, recipients, MESG
    (no data), content, XTRA, END, as postdrop writes it.
"""

import os

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HASHED = ("deferred", "defer")


def _b62(n, width=0):
    digits = ""
    while n:
        digits = B62[n % 62] + digits
        n //= 62
    if width:
        if len(digits) > width:
            raise ValueError("number too large for %d base-62 digits" % width)
        return digits.rjust(width, "0")
    return digits or "0"


def queue_id(arrival, usec=0, unique=1):
    """The queue ID for an arrival time, microseconds and uniquifier."""
    return _b62(int(arrival), 6) + _b62(int(usec), 4) + _b62(int(unique))


def queue_usec(qid):
    """The microseconds encoded in a queue ID."""
    n = 0
    for ch in qid[6:10]:
        n = n * 62 + B62.index(ch)
    return n


def queue_rel_path(queue, qid, depth=1, hashed=HASHED):
    """Path of a queue file relative to queue_directory."""
    parts = [queue]
    if queue in hashed:
        usec = queue_usec(qid)
        for level in range(depth):
            parts.append("%X" % ((usec >> (4 * level)) & 0xF))
    parts.append(qid)
    return "/".join(parts)


def _enc(data):
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return bytes(data)


def record(rtype, data=b""):
    """One record: type byte, base-128 length, data."""
    data = _enc(data)
    n = len(data)
    length = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            length.append(b | 0x80)
        else:
            length.append(b)
            break
    return rtype.encode() + bytes(length) + data


def _rcpt_group(addr, done=False, orig=None, notify=None):
    out = b""
    if orig is not None:
        out += record("O", orig)
    if notify is not None:
        out += record("Y", str(notify))
    return out + record("D" if done else "R", addr)


def queue_file(sender, rcpts, arrival, usec=0, lines=None, done=(),
               priority=None, attrs=None, xtra_rcpts=(), full_name=None,
               origs=None):
    """A complete queue file as bytes.

    rcpts: envelope recipients; done: indexes of rcpts already done;
    xtra_rcpts: recipients of the extracted segment; origs: dict index ->
    original recipient."""
    if lines is None:
        lines = ["Subject: test", "", "test message"]
    origs = origs or {}
    env = record("T", "%d %d" % (arrival, usec)) + record("S", sender)
    if full_name is not None:
        env += record("F", full_name)
    if priority is not None:
        env += record("P", priority)
    for name, value in (attrs or {}).items():
        env += record("A", "%s=%s" % (name, value))
    for i, addr in enumerate(rcpts):
        env += _rcpt_group(addr, i in done, origs.get(i))
    content = b"".join(record("N", line) for line in lines)
    content_size = sum(len(_enc(line)) + 1 for line in lines)
    nrcpt = len(rcpts) + len(xtra_rcpts)
    size_len = len(record("C", " " * 47))
    mesg_offset = size_len + len(env)
    mesg_len = len(record("M", " " * 15))
    xtra_offset = mesg_offset + mesg_len + len(content)
    size = record("C", "%15d %15d %15d" % (content_size, mesg_offset, nrcpt))
    mesg = record("M", "%15d" % xtra_offset)
    xtra = record("X") + b"".join(_rcpt_group(a) for a in xtra_rcpts)
    return size + env + mesg + content + xtra + record("E")


def maildrop_file(sender, rcpts, arrival, usec=0, lines=None):
    """A maildrop file (postdrop's format) as bytes."""
    if lines is None:
        lines = ["Subject: test", "", "test message"]
    out = record("T", "%d %d" % (arrival, usec)) + record("S", sender)
    for addr in rcpts:
        out += record("R", addr)
    out += record("M")
    out += b"".join(record("N", line) for line in lines)
    return out + record("X") + record("E")


def _owner(queue_dir, queue):
    """uid and gid of the queue directory (created by postern check)."""
    try:
        st = os.stat(os.path.join(queue_dir, queue))
    except OSError:
        st = os.stat(queue_dir)
    return st.st_uid, st.st_gid


def _makedirs(top, path, owner):
    """Create the directories of path below top, owned like the queue."""
    rel = os.path.relpath(path, top)
    cur = top
    for part in rel.split(os.sep):
        cur = os.path.join(cur, part)
        if not os.path.isdir(cur):
            os.mkdir(cur, 0o700)
            if os.geteuid() == 0:
                os.chown(cur, *owner)


def store(queue_dir, queue, qid, data, mode=0o700, depth=1, mtime=None):
    """Write a queue file where Postern looks for it, owned like its
    queue directory; returns its path."""
    path = os.path.join(queue_dir, queue_rel_path(queue, qid, depth))
    owner = _owner(queue_dir, queue)
    _makedirs(queue_dir, os.path.dirname(path), owner)
    tmp = os.path.join(os.path.dirname(path), "tmp.gen.%d" % os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    if os.geteuid() == 0:
        os.chown(tmp, *owner)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    os.rename(tmp, path)
    return path


def defer_log(queue_dir, qid, entries, depth=1):
    """Append defer/ID entries: (recipient, reason) pairs."""
    path = os.path.join(queue_dir, queue_rel_path("defer", qid, depth))
    owner = _owner(queue_dir, "defer")
    _makedirs(queue_dir, os.path.dirname(path), owner)
    with open(path, "ab") as f:
        for rcpt, reason in entries:
            f.write(_enc("recipient=%s\norig_recipient=%s\noffset=0\n"
                         "dsn_notify=0\nstatus=4.4.1\naction=delayed\n"
                         "reason=%s\nrelay=none\ntime=0\n\n" % (rcpt, rcpt, reason)))
    os.chmod(path, 0o600)
    if os.geteuid() == 0:
        os.chown(path, *owner)
    return path
