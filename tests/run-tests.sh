#!/bin/sh
# run-tests.sh - run every unit and integration test of the given variants.
#
# Usage: sh tests/run-tests.sh VARIANT... (normal, asan)
#
# Unit tests are the cmocka binaries under build/VARIANT/tests/unit; their
# "[  PASSED  ] N" and "[  FAILED  ] N" lines are counted. Integration tests
# are tests/integration/test_*.py and test_*.sh, run with the variant's
# programs (POSTERN_BINDIR, POSTERN_LIBEXECDIR); each prints "ok - NAME" or
# "not ok - NAME" per case. Under ASan, sanitizer reports written by any
# process fail the run. POSTERN_ONLY=unit|integration limits the run;
# POSTERN_TESTS=pattern selects integration scripts by name. Integration
# scripts run POSTERN_TEST_JOBS (default 2) at a time through
# tests/run-integration.py; their outputs are shown whole, in name order.
# The last line is the tally "N passed, N failed"; the exit status is 1 when
# anything failed.

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
failures=""
logdir=$top/build/test-logs
mkdir -p "$logdir"

count() {	# count FILE PATTERN: the number after PATTERN, summed
	sed -n "s/^.*$2 *\([0-9][0-9]*\) test.*$/\1/p" "$1" | awk '{s+=$1} END {print s+0}'
}

run_unit() {	# run_unit VARIANT
	for t in $(find "build/$1/tests/unit" -type f -name 'test_*' ! -name '*.[od]' 2>/dev/null | sort); do
		out=$logdir/$(echo "$t" | tr / _).log
		timeout 300 "$t" >"$out" 2>&1
		rc=$?
		cat "$out"
		p=$(count "$out" 'PASSED  \]')
		f=$(count "$out" 'FAILED  \]')
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -gt 0 ] && failures="$failures $1:$t"
	done
}

run_integration() {	# run_integration VARIANT
	if [ "$1" = normal ]; then
		POSTERN_BINDIR=$top/bin POSTERN_LIBEXECDIR=$top/libexec
	else
		POSTERN_BINDIR=$top/build/$1/bin POSTERN_LIBEXECDIR=$top/build/$1/libexec
	fi
	export POSTERN_BINDIR POSTERN_LIBEXECDIR POSTERN_VARIANT=$1
	asandir=$logdir/asan-$1
	rm -rf "$asandir"
	mkdir -p "$asandir"
	export ASAN_OPTIONS="detect_leaks=0:log_path=$asandir/report:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:log_path=$asandir/report"
	scripts=""
	for t in $(ls tests/integration/test_*.py tests/integration/test_*.sh 2>/dev/null | sort); do
		case "$t" in *${POSTERN_TESTS:-}*) scripts="$scripts $t" ;; esac
	done
	rm -f "$logdir/$1"-test_*
	# shellcheck disable=SC2086
	python3 tests/run-integration.py "$logdir" "$1" $scripts
	for t in $scripts; do
		base=$logdir/$1-$(basename "$t")
		out=$base.log
		echo "== $1 $t"
		cat "$out"
		rc=$(cat "$base.rc" 2>/dev/null || echo 1)
		echo "== $1 $t took $(cat "$base.time" 2>/dev/null || echo '?') s"
		p=$(grep -c '^ok - ' "$out")
		f=$(grep -c '^not ok - ' "$out")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok - $t exited with status $rc"
			f=1
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -gt 0 ] && failures="$failures $1:$t"
	done
	if ls "$asandir"/report* >/dev/null 2>&1; then
		echo "not ok - sanitizer reports from $1 integration run:"
		cat "$asandir"/report*
		failed=$((failed + 1))
		failures="$failures $1:sanitizer-reports"
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS
}

for variant in "$@"; do
	[ "${POSTERN_ONLY:-all}" != integration ] && run_unit "$variant"
	[ "${POSTERN_ONLY:-all}" != unit ] && run_integration "$variant"
done
[ -n "$failures" ] && echo "failed suites:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
