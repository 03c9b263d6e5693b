#!/bin/sh
# qshape_bench.sh - qshape deferred and mailq on queues of 100,000 and
# 1,000,000 messages over 50 domains, Postern side by side with Postfix
# (installed from the Debian package when missing; its default instance is
# never started or stopped). Wall time and peak memory, and the ratios.
#
# usage: sh bench/qshape_bench.sh [SIZE ...]
# environment: BENCH_RUNS (timed runs per command, default 3), BENCH_TMP
# (where the queues go, default /tmp: about 4 KB of disk per message),
# BENCH_KEEP (keep the temporary directory). Not part of make test.
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$top/bin/qshape" ] && [ -x "$top/bin/postqueue" ] || {
	echo "qshape_bench: build first (make)" >&2
	exit 1
}
exec python3 "$top/bench/qshape_bench.py" "$@"
