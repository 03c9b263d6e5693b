#!/usr/bin/env python3
"""dns_server - a small authoritative DNS server for Postern's tests.

SYNOPSIS
    dns_server.py --listen 127.0.0.1:PORT --zone FILE [--port-file F]
        [--events F] [--stats F] [--max-seconds N] [--no-additional]

DESCRIPTION
    Answers DNS queries over UDP and TCP on one loopback address and port
    from a zone file in a simple line format (tests/tools/README.md): A,
    AAAA, MX (null MX too), CNAME, TXT, NS, PTR and SOA records, wildcards,
    and per-name behaviours: SERVFAIL, REFUSED, NXDOMAIN, TIMEOUT (no
    answer), DELAY in milliseconds and TRUNCATE (UDP answers have TC set, so
    the resolver retries over TCP). Answers follow RFC 1035: the question is
    echoed as asked, names match case-insensitively, NXDOMAIN and NODATA are
    told apart (empty non-terminals exist), negative answers carry the
    zone's SOA, authoritative answers have AA, names are compressed, EDNS0
    is understood. MX answers carry the targets' A/AAAA records. The zone
    file is re-read when it changes.

    Everything is bounded: the process exits by itself after --max-seconds,
    TCP connections have an idle timeout and a query limit, and the number
    of queries in progress is capped. Only loopback addresses are accepted.

DIAGNOSTICS
    A bad option or zone file at start: "FILE, line N: ..." on stderr, exit
    status 2. A bad zone file on reload: a "zone-error" event, the previous
    zone stays in force. SIGTERM or SIGINT: clean exit with status 0.
"""

import argparse
import asyncio
import errno
import ipaddress
import json
import os
import re
import shlex
import signal
import socket
import struct
import sys
import time

PROG = "dns_server"
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
BEHAVIOURS = ("SERVFAIL", "REFUSED", "NXDOMAIN", "TIMEOUT", "DELAY",
              "TRUNCATE")
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3,
          "NOTIMP": 4, "REFUSED": 5}
OPT, CLASS_IN, EDNS_SIZE = 41, 1, 1232
MAX_CNAME_CHAIN = 8
MAX_INFLIGHT = 1000         # queries being answered at once
TCP_IDLE, TCP_QUERIES = 10.0, 1000
MAX_LINES = 1000000         # zone file size limit


class ZoneError(Exception):
    """A zone file that cannot be used; the text names file and line."""


def fail(text):
    """fail - report a fatal start-up error and exit with status 2"""
    print(f"{PROG}: fatal: {text}", file=sys.stderr)
    sys.exit(2)


def parse_listen(spec):
    """parse_listen - ADDR:PORT or [V6ADDR]:PORT, loopback literals only"""
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)|([^:\[\]]+):(\d+)", spec)
    if not m:
        raise ValueError(f"bad listen address '{spec}' (want ADDR:PORT)")
    host, port = m.group(1, 2) if m.group(1) else m.group(3, 4)
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"'{host}' is not an IP address literal") from None
    if not addr.is_loopback or int(port) > 65535:
        raise ValueError(f"refusing {spec}: loopback only (127.0.0.0/8, ::1)")
    return host, int(port)


def write_atomic(path, data):
    """write_atomic - replace PATH by DATA; readers never see half a file"""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def norm_name(text):
    """norm_name - a zone file name as a lowercase key ('' is the root)"""
    name = text.lower().rstrip(".") if text != "." else ""
    labels = name.split(".") if name else []
    if any(not 0 < len(label) < 64 for label in labels) or len(name) > 253:
        raise ValueError(f"bad domain name '{text}'")
    return name


def parent(name):
    """parent - the name one label up ('' above a top-level name)"""
    return name.partition(".")[2]


def parse_rdata(rtype, args):
    """parse_rdata - record data as parts: bytes, or str for a name"""
    def need(n):
        if len(args) != n:
            raise ValueError(f"{rtype} wants {n} value field(s)")
    if rtype in ("A", "AAAA"):
        need(1)
        cls = ipaddress.IPv4Address if rtype == "A" else ipaddress.IPv6Address
        return [cls(args[0]).packed]
    if rtype in ("CNAME", "NS", "PTR"):
        need(1)
        return [norm_name(args[0])]
    if rtype == "MX":
        need(2)
        if not args[0].isdigit() or int(args[0]) > 65535:
            raise ValueError(f"bad MX preference '{args[0]}'")
        return [struct.pack("!H", int(args[0])), norm_name(args[1])]
    if rtype == "TXT":
        data = b""
        for text in args or [""]:
            raw = text.encode()
            for i in range(0, max(len(raw), 1), 255):
                chunk = raw[i:i + 255]
                data += bytes([len(chunk)]) + chunk
        return [data]
    need(7)     # SOA: mname rname serial refresh retry expire minimum
    if not all(a.isdigit() and int(a) < 2**32 for a in args[2:]):
        raise ValueError("SOA numbers must be integers")
    return [norm_name(args[0]), norm_name(args[1]),
            struct.pack("!5I", *(int(a) for a in args[2:]))]


class Zone:
    """The served data: records, behaviours, zone apexes, existing names."""

    def __init__(self):
        self.records = {}       # name -> [(type, ttl, parts)]
        self.behaviours = {}    # name -> [(what, arg, qtype or None)]
        self.apexes, self.ttl, self.exists = [], 5, set()

    def load(self, path):
        """load - read a zone file; ZoneError names file and line"""
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise ZoneError(f"{path}: {e}") from None
        if len(lines) > MAX_LINES:
            raise ZoneError(f"{path}: more than {MAX_LINES} lines")
        for lineno, line in enumerate(lines, 1):
            try:
                self.parse_line(line)
            except ValueError as e:
                raise ZoneError(f"{path}, line {lineno}: {e}") from None
        self.apexes = sorted(self.apexes or [""], key=len, reverse=True)
        for name in list(self.records) + list(self.behaviours):
            # Every owner name and its ancestors exist (RFC 8020).
            for _ in range(128):
                self.exists.add(name)
                if not name or name == "*":
                    break
                name = parent(name)
        for apex in self.apexes:
            self.synthesize(apex)
        return self

    def parse_line(self, line):
        """parse_line - one zone file line: directive, record or behaviour"""
        fields = shlex.split(line, comments=True)
        if not fields:
            return
        if fields[0] in ("$TTL", "$ZONE"):
            if len(fields) != 2:
                raise ValueError(f"{fields[0]} wants one value")
            if fields[0] == "$ZONE":
                self.apexes.append(norm_name(fields[1]))
            elif not fields[1].isdigit():
                raise ValueError(f"bad TTL '{fields[1]}'")
            else:
                self.ttl = int(fields[1])
            return
        name = fields[0] if fields[0] == "*" else norm_name(fields[0])
        ttl = self.ttl
        if len(fields) > 2 and fields[1].isdigit():
            ttl = int(fields.pop(1))
        if len(fields) < 2:
            raise ValueError("want: NAME [TTL] TYPE VALUE...")
        what, args = fields[1].upper(), fields[2:]
        if what in BEHAVIOURS:
            self.behaviours.setdefault(name, []).append(
                self.parse_behaviour(what, args))
        elif what in TYPES and what != "ANY":
            self.records.setdefault(name, []).append(
                (TYPES[what], ttl, parse_rdata(what, args)))
        else:
            raise ValueError(f"unknown type or behaviour '{fields[1]}'")

    @staticmethod
    def parse_behaviour(what, args):
        """parse_behaviour - WHAT [MS if DELAY] [QTYPE]"""
        arg = 0
        if what == "DELAY":
            if not args or not args[0].isdigit():
                raise ValueError("DELAY wants milliseconds")
            arg = int(args.pop(0))
        if len(args) > 1 or args and args[0].upper() not in TYPES:
            raise ValueError(f"{what}: want at most one query type")
        return what, arg, TYPES[args[0].upper()] if args else None

    def synthesize(self, apex):
        """synthesize - give a zone apex SOA and NS records unless it has"""
        rrs = self.records.setdefault(apex, [])
        host = f"ns.{apex}".rstrip(".")
        if not any(t == TYPES["SOA"] for t, _, _ in rrs):
            rrs.append((TYPES["SOA"], self.ttl, [
                host, f"hostmaster.{apex}".rstrip("."),
                struct.pack("!5I", 1, 3600, 600, 86400, self.ttl)]))
        if not any(t == TYPES["NS"] for t, _, _ in rrs):
            rrs.append((TYPES["NS"], self.ttl, [host]))
        self.exists.add(apex)

    def apex_of(self, name):
        """apex_of - the zone NAME belongs to, None if not ours"""
        for apex in self.apexes:
            if not apex or name == apex or name.endswith("." + apex):
                return apex
        return None

    def node(self, name):
        """node - NAME's records, via a wildcard at the closest encloser"""
        if name in self.exists:
            return self.records.get(name, [])
        encloser = name
        for _ in range(128):
            if encloser in self.exists or not encloser:
                break
            encloser = parent(encloser)
        wild = f"*.{encloser}".rstrip(".")
        return self.records.get(wild) if wild in self.exists else None

    def behaviour(self, name, qtype):
        """behaviour - the behaviours applying to a query, by kind"""
        out = {}
        for owner in (name, "*"):
            for what, arg, only in self.behaviours.get(owner, []):
                if only is None or only == qtype:
                    out.setdefault(what, arg)
        return out


class Encoder:
    """A DNS message being built, with name compression."""

    def __init__(self):
        self.buf, self.offsets = bytearray(), {}

    def name(self, labels):
        """name - append a name (list of raw labels), compressed"""
        for i in range(len(labels)):
            key = b".".join(labels[i:]).lower()
            if key in self.offsets:
                self.buf += struct.pack("!H", 0xC000 | self.offsets[key])
                return
            if len(self.buf) < 0x3FFF:
                self.offsets[key] = len(self.buf)
            self.buf += bytes([len(labels[i])]) + labels[i]
        self.buf.append(0)

    def record(self, owner, rtype, ttl, parts):
        """record - append one resource record of class IN"""
        self.name(owner)
        self.buf += struct.pack("!HHIH", rtype, CLASS_IN, ttl, 0)
        start = len(self.buf)
        for part in parts:
            if isinstance(part, str):
                self.name(labels_of(part))
            else:
                self.buf += part
        struct.pack_into("!H", self.buf, start - 2, len(self.buf) - start)


def labels_of(name):
    """labels_of - a key name as raw labels"""
    return [label.encode() for label in name.split(".")] if name else []


def parse_query(data):
    """parse_query - (id, flags, labels, qtype, qclass, edns) or a ValueError.

    edns is None without an OPT record, else (payload size, version)."""
    if len(data) < 12:
        raise ValueError("short message")
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    if flags & 0x8000 or qd != 1 or an or ns:
        raise ValueError("not a single-question query")
    labels, pos = [], 12
    for _ in range(128):    # queries carry no compression pointers
        n = data[pos] if pos < len(data) else 0xFF
        if n == 0:
            break
        if n > 63 or pos + 1 + n > len(data):
            raise ValueError("bad question name")
        labels.append(data[pos + 1:pos + 1 + n])
        pos += 1 + n
    else:
        raise ValueError("question name too long")
    if pos + 5 > len(data):
        raise ValueError("truncated question")
    qtype, qclass = struct.unpack("!HH", data[pos + 1:pos + 5])
    edns, pos = None, pos + 5
    if ar == 1 and data[pos:pos + 3] == b"\x00\x00\x29" and \
            len(data) >= pos + 11:
        size, ttl = struct.unpack("!HI", data[pos + 3:pos + 9])
        edns = (size, (ttl >> 16) & 0xFF)
    return qid, flags, labels, qtype, qclass, edns


class Server:
    """Query answering, logs and counters."""

    def __init__(self, opts):
        self.opts, self.zone, self.zone_id = opts, Zone(), None
        self.events = open(opts.events, "a", encoding="utf-8") \
            if opts.events else None
        self.inflight = 0
        self.stats = {"queries": 0, "udp": 0, "tcp": 0, "dropped": 0,
                      "rcodes": {}, "qtypes": {}, "started": time.time(),
                      "pid": os.getpid()}
        self.deadline = time.monotonic() + opts.max_seconds

    def reload(self, initial=False):
        """reload - re-read the zone file when it was replaced or changed"""
        try:
            st = os.stat(self.opts.zone)
        except OSError as e:
            if initial:
                fail(f"{self.opts.zone}: {e.strerror}")
            return
        ident = (st.st_mtime_ns, st.st_size, st.st_ino)
        if ident == self.zone_id:
            return
        self.zone_id = ident
        try:
            self.zone = Zone().load(self.opts.zone)
        except ZoneError as e:
            if initial:
                fail(str(e))
            self.event("zone-error", error=str(e))
        else:
            self.event("zone", file=self.opts.zone)

    def event(self, kind, **fields):
        """event - append one JSON line to the events log"""
        if self.events:
            fields = {"t": round(time.time(), 6), "event": kind, **fields}
            self.events.write(json.dumps(fields) + "\n")
            self.events.flush()

    def remaining(self):
        """remaining - seconds left of the process lifetime"""
        return max(0.0, self.deadline - time.monotonic())

    def write_stats(self):
        """write_stats - rewrite the counters file atomically"""
        if self.opts.stats:
            self.stats["updated"] = time.time()
            write_atomic(self.opts.stats,
                         json.dumps(self.stats, indent=1).encode() + b"\n")

    async def answer(self, data, proto):
        """answer - the reply to one query message, None for no reply"""
        self.stats["queries"] += 1
        self.stats[proto] += 1
        try:
            qid, flags, labels, qtype, qclass, edns = parse_query(data)
        except ValueError as e:
            self.event("query", proto=proto, error=str(e))
            if len(data) < 12 or data[2] & 0x80:
                return None     # never answer a response or a fragment
            return struct.pack("!6H", struct.unpack("!H", data[:2])[0],
                               0x8000 | (data[2] & 0x79) << 8 | 1, 0, 0, 0, 0)
        name = ".".join(label.lower().decode("latin-1").replace(".", "\\.")
                        for label in labels)
        how = self.zone.behaviour(name, qtype)
        if "DELAY" in how:
            await asyncio.sleep(min(how["DELAY"] / 1000.0, self.remaining()))
        if "TIMEOUT" in how:
            self.log(proto, name, qtype, "TIMEOUT", 0, how)
            return None
        rcode, aa, sections = self.resolve(name, qtype, qclass, how,
                                           (flags >> 11) & 0xF)
        if edns and edns[1] > 0:
            rcode, sections = 16, ([], [], [])      # BADVERS
        limit = 65535 if proto == "tcp" else \
            max(512, min(edns[0], EDNS_SIZE)) if edns else 512
        head = (qid, flags, labels, qtype, qclass, rcode, aa)
        msg = self.build(*head, False, sections, edns)
        tc = proto == "udp" and ("TRUNCATE" in how or len(msg) > limit)
        if tc:      # no partial answers: the resolver must ask over TCP
            msg = self.build(*head, True, ([], [], []), edns)
        self.log(proto, name, qtype, rcode, len(sections[0]), how, tc)
        return msg

    def log(self, proto, name, qtype, rcode, answers, how, tc=False):
        """log - count a query and log it as an event"""
        rcode = next((k for k, v in RCODES.items() if v == rcode),
                     str(rcode))
        qname = TYPE_NAMES.get(qtype, str(qtype))
        for key, table in ((rcode, "rcodes"), (qname, "qtypes")):
            self.stats[table][key] = self.stats[table].get(key, 0) + 1
        self.event("query", proto=proto, qname=name, qtype=qname,
                   rcode=rcode, answers=answers, tc=tc,
                   behaviours=sorted(how))

    def resolve(self, name, qtype, qclass, how, opcode):
        """resolve - (rcode, AA, (answer, authority, additional))"""
        empty = ([], [], [])
        if opcode != 0:
            return RCODES["NOTIMP"], False, empty
        for what in ("SERVFAIL", "REFUSED"):
            if what in how:
                return RCODES[what], False, empty
        zone = self.zone
        apex = zone.apex_of(name)
        if qclass not in (CLASS_IN, 255) or apex is None:
            return RCODES["REFUSED"], False, empty
        answer, additional, owner = [], [], name
        rcode = RCODES["NXDOMAIN"] if "NXDOMAIN" in how else 0
        for _ in range(MAX_CNAME_CHAIN if not rcode else 0):
            rrs = zone.node(owner)
            if rrs is None:     # RFC 6604: the rcode of the chain's end
                rcode = RCODES["NXDOMAIN"]
                break
            hits = [r for r in rrs if qtype in (r[0], 255)]
            cname = [r for r in rrs if r[0] == TYPES["CNAME"]]
            if not hits and cname and qtype != TYPES["CNAME"]:
                answer.append((owner, *cname[0]))
                owner = cname[0][2][0]
                if zone.apex_of(owner) is None:
                    break
                continue
            answer += [(owner, *r) for r in hits]
            break
        for _, rtype, _, parts in answer:
            if rtype == TYPES["MX"] and parts[1] and \
                    not self.opts.no_additional:
                for r in zone.node(parts[1]) or []:
                    if r[0] in (TYPES["A"], TYPES["AAAA"]):
                        additional.append((parts[1], *r))
        authority = []
        if not answer or rcode:     # NXDOMAIN or NODATA: the zone's SOA
            authority = [(apex, *r) for r in zone.records[apex]
                         if r[0] == TYPES["SOA"]]
        return rcode, True, (answer, authority, additional)

    @staticmethod
    def build(qid, flags, labels, qtype, qclass, rcode, aa, tc, sections,
              edns):
        """build - a response message (question echoed exactly as asked).

        Owner names equal to the question compress to a pointer to it, so
        answers carry the question's spelling (0x20 case randomisation)."""
        out = Encoder()
        flags = 0x8000 | (flags & 0x7900) | (0x0400 if aa else 0) | \
            (0x0200 if tc else 0) | (rcode & 0xF)
        counts = [len(s) for s in sections]
        counts[2] += edns is not None
        out.buf += struct.pack("!6H", qid, flags, 1, *counts)
        out.name(labels)
        out.buf += struct.pack("!HH", qtype, qclass)
        for section in sections:
            for owner, rtype, ttl, parts in section:
                out.record(labels_of(owner), rtype, ttl, parts)
        if edns is not None:    # OPT: our payload size, extended rcode
            out.buf += b"\x00" + struct.pack("!HHIH", OPT, EDNS_SIZE,
                                             (rcode >> 4) << 24, 0)
        return bytes(out.buf)


class UdpProtocol(asyncio.DatagramProtocol):
    """Queries over UDP, each answered in its own task."""

    def __init__(self, server):
        self.server, self.transport, self.tasks = server, None, set()

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if self.server.inflight >= MAX_INFLIGHT:
            self.server.stats["dropped"] += 1
            return
        self.server.inflight += 1
        task = asyncio.ensure_future(self.reply(data, addr))
        self.tasks.add(task)        # a strong reference until it is done
        task.add_done_callback(self.tasks.discard)

    async def reply(self, data, addr):
        """reply - answer one datagram"""
        try:
            msg = await self.server.answer(data, "udp")
            if msg is not None:
                self.transport.sendto(msg, addr)
        finally:
            self.server.inflight -= 1


async def tcp_client(server, reader, writer):
    """tcp_client - length-prefixed queries on one TCP connection"""
    try:
        for _ in range(TCP_QUERIES):
            timeout = min(TCP_IDLE, server.remaining())
            size = await asyncio.wait_for(reader.readexactly(2), timeout)
            data = await asyncio.wait_for(
                reader.readexactly(struct.unpack("!H", size)[0]), timeout)
            msg = await server.answer(data, "tcp")
            if msg is not None:
                writer.write(struct.pack("!H", len(msg)) + msg)
                await asyncio.wait_for(writer.drain(), timeout)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError,
            ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


def bind_pair(host, port):
    """bind_pair - UDP and TCP sockets on the same port (0: any free one)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            udp.bind((host, port))
            tcp.bind((host, udp.getsockname()[1]))
            tcp.listen(128)
            return udp, tcp
        except OSError as e:
            udp.close()
            tcp.close()
            if port or e.errno != errno.EADDRINUSE:
                fail(f"cannot listen on {host}:{port}: {e.strerror}")
    fail(f"no free port pair on {host}")


async def serve(server, host, port):
    """serve - answer until a signal or the lifetime ends"""
    udp, tcp = bind_pair(host, port)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: UdpProtocol(server), sock=udp)
    listener = await asyncio.start_server(
        lambda r, w: tcp_client(server, r, w), sock=tcp)
    port = udp.getsockname()[1]
    server.stats["port"] = port
    if server.opts.port_file:
        write_atomic(server.opts.port_file, f"{port}\n".encode())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server.event("start", port=port, pid=os.getpid())
    tick = 0    # reload the zone every 100 ms, write stats every second
    while not stop.is_set() and server.remaining() > 0:
        server.reload()
        if tick % 10 == 0:
            server.write_stats()
        tick += 1
        try:
            await asyncio.wait_for(stop.wait(), min(0.1, server.remaining()))
        except asyncio.TimeoutError:
            pass
    transport.close()
    listener.close()
    server.event("stop", reason="signal" if stop.is_set() else "max-seconds")
    server.write_stats()


def main(argv):
    """main - options, zone, serve"""
    p = argparse.ArgumentParser(prog="dns_server.py",
                                description="Authoritative DNS test server.")
    p.add_argument("--listen", required=True, help="ADDR:PORT, loopback only")
    p.add_argument("--zone", required=True, help="zone file, re-read "
                   "when it changes")
    p.add_argument("--port-file", help="write the bound port here")
    p.add_argument("--events", help="JSON-lines query log")
    p.add_argument("--stats", help="JSON counters, rewritten every second")
    p.add_argument("--max-seconds", type=float, default=3600,
                   help="lifetime in seconds (default 3600)")
    p.add_argument("--no-additional", action="store_true",
                   help="no A/AAAA of MX targets in the additional section")
    opts = p.parse_args(argv)
    if opts.max_seconds <= 0:
        fail("--max-seconds must be positive")
    try:
        host, port = parse_listen(opts.listen)
        server = Server(opts)
    except (ValueError, OSError) as e:
        fail(str(e))
    server.reload(initial=True)
    asyncio.run(serve(server, host, port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
