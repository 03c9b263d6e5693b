#!/bin/sh
# test_valgrind.sh - a short run of tests/valgrind/run.py.
#
# Every daemon and the main commands under valgrind memcheck, with a few
# messages (VALGRIND_SHORT=1); passes on its "ok - ..." / "not ok - ..."
# lines. valgrind cannot run the AddressSanitizer build, so this runs only
# in the normal pass; in the asan pass, and without valgrind, it reports
# one skip.

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${POSTERN_VARIANT:-normal}" = asan ]; then
	echo "ok - valgrind runs in the normal pass # SKIP"
	exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "ok - valgrind skipped: valgrind not installed # SKIP"
	exit 0
fi
VALGRIND_SHORT=1 exec python3 "$top/tests/valgrind/run.py"
