#!/bin/sh
# run.sh - run Postern's benchmarks against Postfix and print a summary.
#
# usage: sh bench/run.sh [NAME ...]
#
# NAME is smtp_in (issue 4: SMTP and sendmail acceptance), e2e (issue 5:
# SMTP in -> SMTP out, latency, qmgr memory) or qshape (qshape and mailq on
# big deferred queues; long, so only when named). Default: smtp_in e2e.
# Extra flags for one benchmark: BENCH_SMTP_IN_ARGS, BENCH_E2E_ARGS,
# BENCH_QSHAPE_ARGS (e.g. BENCH_E2E_ARGS="--rounds 1 --active 5000").
# Each benchmark is stopped after BENCH_TIMEOUT seconds (default 900).
# Postfix comes from the Debian package, installed without prompts when
# missing (root). Loopback only; nothing is left running. Not part of
# make test. bench/README.md describes what is measured.
top=$(cd "$(dirname "$0")/.." && pwd)
names=${*:-smtp_in e2e}
limit=${BENCH_TIMEOUT:-900}
out=$(mktemp -d "${TMPDIR:-/tmp}/postern-bench.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT TERM
status=0
results=
for name in $names; do
	case $name in
	smtp_in)
		cmd="python3 $top/bench/smtp_in.py --json $out/smtp_in.json $BENCH_SMTP_IN_ARGS"
		results="$results $out/smtp_in.json" ;;
	e2e)
		cmd="python3 $top/bench/e2e.py --json $out/e2e.json $BENCH_E2E_ARGS"
		results="$results $out/e2e.json" ;;
	qshape) cmd="sh $top/bench/qshape_bench.sh $BENCH_QSHAPE_ARGS" ;;
	*)
		echo "run.sh: unknown benchmark '$name' (smtp_in, e2e, qshape)" >&2
		exit 2 ;;
	esac
	echo "=== $name"
	# shellcheck disable=SC2086 # the flags are meant to split
	timeout -k 30 "$limit" $cmd
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "=== $name: exit status $rc"
		status=1
	fi
	echo
done
if [ -n "$results" ]; then
	echo "=== summary (ratio = Postern / Postfix, measured in this run)"
	# shellcheck disable=SC2086 # one word per file
	python3 "$top/bench/summary.py" $results
fi
exit $status
