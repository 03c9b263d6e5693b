#!/bin/sh
# test_fuzz_short.sh - a short run of every libFuzzer target.
#
# Runs tests/fuzz/run.sh with FUZZ_SECONDS=15 per target, two targets at
# a time (override with FUZZ_SECONDS, FUZZ_JOBS) and passes on its
# "ok - fuzz NAME" / "not ok - fuzz NAME" lines. The fuzzers carry their own AddressSanitizer and UBSan, so this
# runs only in the normal pass; in the asan pass it reports one skip.
# Without clang or its libFuzzer runtime it reports a skip as well.

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${POSTERN_VARIANT:-normal}" = asan ]; then
	echo "ok - fuzz runs in the normal pass # SKIP"
	exit 0
fi
if ! reason=$(sh "$top/tests/fuzz/run.sh" --check); then
	case "$reason" in
	*"not installed"*) echo "ok - fuzz skipped: clang not installed # SKIP" ;;
	*) echo "ok - fuzz skipped: ${reason#fuzz: } # SKIP" ;;
	esac
	exit 0
fi
targets=$(make -s -C "$top" -f tests/fuzz/fuzz.mk list)
FUZZ_SECONDS=${FUZZ_SECONDS:-15} FUZZ_JOBS=${FUZZ_JOBS:-2} sh "$top/tests/fuzz/run.sh" $targets
