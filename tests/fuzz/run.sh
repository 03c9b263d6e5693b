#!/bin/sh
# run.sh - build and run Postern's libFuzzer targets for a bounded time.
#
# Usage: sh tests/fuzz/run.sh [--check] [TARGET...]
#
# Builds every target (tests/fuzz/fuzz_*.c, see fuzz.mk) with clang and
# -fsanitize=fuzzer,address,undefined into build/fuzz/bin, then runs each
# for FUZZ_SECONDS seconds (default 60) on a working copy of its seed
# corpus (build/fuzz/corpus-work/TARGET, so tests/fuzz/corpus is never
# modified), with its dictionary tests/fuzz/TARGET.dict when there is one.
# Prints "ok - fuzz TARGET (N runs)" or "not ok - fuzz TARGET: ..." with
# the reproducer's path, the command that replays it and the end of the
# log (build/fuzz/logs/TARGET.log). Exits 1 when any target crashed,
# leaked, hung, ran out of memory or failed to build, else 0.
#
# Without a working clang (or its libFuzzer runtime) it prints one skip
# line and exits 0; --check only tests for that and exits 1 when fuzzing
# is impossible here.
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (names, like the
# arguments), FUZZ_JOBS (targets run at once, default 1), FUZZ_CC (clang).

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
out=build/fuzz

# fuzz_available - can FUZZ_CC build a libFuzzer binary here? Sets why.
fuzz_available() {
	if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
		why="$FUZZ_CC not installed"
		return 1
	fi
	mkdir -p "$out/probe" || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
		'{ (void) d; (void) n; return 0; }' >"$out/probe/probe.c"
	if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$out/probe/probe" \
		"$out/probe/probe.c" >"$out/probe/log" 2>&1; then
		why="$FUZZ_CC cannot link -fsanitize=fuzzer (libFuzzer runtime missing: Debian package libclang-rt-14-dev)"
		return 1
	fi
	return 0
}

# max_len - the input size limit of a target
max_len() {
	case "$1" in
	fuzz_address|fuzz_dsn) echo 1024 ;;
	fuzz_dns) echo 600 ;;
	fuzz_cidr) echo 2048 ;;
	fuzz_record|fuzz_smtp_reply) echo 8192 ;;
	fuzz_cleanup) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

# start_target - run one target in the background; its status lands in .rc
start_target() {
	t=$1
	# Absolute paths: a target may change directory while it runs.
	work=$top/$out/corpus-work/$t
	art=$top/$out/artifacts/$t
	mkdir -p "$work" "$art"
	rm -f "$out/logs/$t.rc"
	[ -d "tests/fuzz/corpus/$t" ] && cp -R "tests/fuzz/corpus/$t/." "$work/"
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict=-dict=$top/tests/fuzz/$t.dict
	# $dict is empty or one word: unquoted on purpose.
	# shellcheck disable=SC2086
	(
		"$out/bin/$t" -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$t")" \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$art/" $dict "$work" >"$out/logs/$t.log" 2>&1
		echo $? >"$out/logs/$t.rc"
	) &
}

# report_target - print the verdict of one finished target; 1 when it failed
report_target() {
	t=$1
	log=$out/logs/$t.log
	rc=$(cat "$out/logs/$t.rc" 2>/dev/null || echo 255)
	if [ "$rc" = 0 ]; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
		echo "ok - fuzz $t (${runs:-?} runs in ${FUZZ_SECONDS}s)"
		return 0
	fi
	repro=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | tail -1)
	kind=$(grep -o 'ERROR: [A-Za-z]*: [a-z -]*\|invariant broken: .*\|library code called .*' \
		"$log" | head -1)
	echo "not ok - fuzz $t: ${kind:-exit status $rc}"
	if [ -n "$repro" ]; then
		echo "#   reproducer: $repro"
		echo "#   replay:     $out/bin/$t $repro"
	fi
	echo "#   log: $log (last lines follow)"
	tail -n 40 "$log" | sed 's/^/#   /'
	return 1
}

why=
if ! fuzz_available; then
	[ "${1:-}" = --check ] && { echo "fuzz: $why"; exit 1; }
	echo "fuzz: skipped: $why"
	exit 0
fi
[ "${1:-}" = --check ] && exit 0

[ $# -gt 0 ] && FUZZ_TARGETS="$*"
export FUZZ_CC
[ -n "${FUZZ_TARGETS:-}" ] && export FUZZ_TARGETS
mkdir -p "$out/logs" "$out/tmp"
if ! make -s -f tests/fuzz/fuzz.mk -j2 all >"$out/logs/build.log" 2>&1; then
	echo "not ok - fuzz build (see $out/logs/build.log)"
	tail -n 30 "$out/logs/build.log" | sed 's/^/#   /'
	exit 1
fi
targets=$(make -s -f tests/fuzz/fuzz.mk list)
[ -z "$targets" ] && { echo "not ok - fuzz: no targets"; exit 1; }

# The fuzzers report to their own log, not to the test suite's
# sanitizer log directory; leaks count as findings.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TMPDIR=$top/$out/tmp
export ASAN_OPTIONS UBSAN_OPTIONS TMPDIR
command -v llvm-symbolizer >/dev/null 2>&1 &&
	ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer) && export ASAN_SYMBOLIZER_PATH

failed=0
# shellcheck disable=SC2086
set -- $targets
while [ $# -gt 0 ]; do
	batch=
	n=0
	while [ $# -gt 0 ] && [ "$n" -lt "$FUZZ_JOBS" ]; do
		start_target "$1"
		batch="$batch $1"
		n=$((n + 1))
		shift
	done
	wait
	for t in $batch; do
		report_target "$t" || failed=1
	done
done
exit $failed
