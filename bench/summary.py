#!/usr/bin/env python3
"""summary - one table from the JSON files the benchmarks wrote.

usage: summary.py FILE.json ...

Prints the date, the machine and the Postfix version once, then every row
of every file: benchmark, metric, Postern's and Postfix's figure, the ratio
Postern / Postfix, the unit and which way is better, and a verdict column
("postern" or "postfix": which system did better, "even" within 5%).
Missing files (a benchmark that was skipped) are left out quietly.
"""

import json
import sys



def fmt(value, digits=1):
    return "-" if value is None else "%.*f" % (digits, value)


def verdict(row):
    pe, pf = row.get("postern"), row.get("postfix")
    if not pe or not pf:
        return ""
    r = pe / pf
    if 0.95 <= r <= 1.05:
        return "even"
    better_pe = r > 1 if row.get("better", "higher") == "higher" else r < 1
    return "postern" if better_pe else "postfix"


def main(paths):
    docs = []
    for p in paths:
        try:
            with open(p) as f:
                docs.append(json.load(f))
        except (OSError, ValueError):
            continue
    if not docs:
        print("(no results: every benchmark was skipped or failed)")
        return 0
    d = docs[0]
    print("date: %s\nmachine: %s\nPostfix: %s" % (d["date"], d["machine"],
                                                  d["postfix_version"]))
    rows = [(doc["bench"], r) for doc in docs for r in doc["rows"]]
    w = max(len(r["metric"]) for _, r in rows)
    print("%-8s %-*s %10s %10s %7s  %-22s %s" % (
        "bench", w, "metric", "postern", "postfix", "pe/pf", "unit (better)",
        "better"))
    for bench, r in rows:
        pe, pf = r.get("postern"), r.get("postfix")
        print("%-8s %-*s %10s %10s %7s  %-22s %s" % (
            bench, w, r["metric"], fmt(pe), fmt(pf),
            fmt(pe / pf, 2) if pe and pf else "-",
            "%s (%s)" % (r.get("unit", ""), r.get("better", "higher")),
            verdict(r)))
    for doc in docs:
        for n in doc.get("notes", []):
            print("# %s: %s" % (doc["bench"], n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
