#!/bin/sh
# soak.sh - long soak of the whole mail path under faults.
#
# usage: sh bench/soak.sh [--seconds N] [--clients N] [--chaos-every S] [--seed N]
#
# Runs the same code as tests/integration/test_soak.py
# (tests/integration/soak_lib.py) for N seconds (default 3600): several
# SMTP clients and sendmail submit mail to tests/tools/smtp_sink.py, which
# answers 4xx/5xx/421 and stalls at random, while random daemons (never
# the master) are SIGKILLed every few seconds. Then the sink heals, the
# queue is flushed and every accepted message must be delivered, bounced
# or still queued; the master's RSS and fd count must be flat and the
# qmgr's RSS bounded. Prints "ok - ..."/"not ok - ..." lines and a summary;
# exit status 1 when a check failed. Programs come from
# $POSTERN_BINDIR/$POSTERN_LIBEXECDIR (default: bin/ and libexec/ of this
# tree). Loopback only; everything is stopped and removed at the end.
top=$(cd "$(dirname "$0")/.." && pwd)
exec python3 "$top/tests/integration/soak_lib.py" "$@"
