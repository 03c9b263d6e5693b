#!/bin/sh
# static-check.sh - cppcheck and clang-tidy over the Postern sources.
#
# Usage: sh tools/static-check.sh [cppcheck] [clang-tidy]   (default: both)
#
# cppcheck checks every .c file of the tree (tests included, with
# tools/cppcheck-cmocka.cfg telling it what the cmocka assertions do);
# justified false positives are listed in tools/cppcheck.supp, or marked
# inline with "// cppcheck-suppress ID". clang-tidy runs the checks of the
# checked-in .clang-tidy over lib/, the programs and tests/fuzz, using a
# compile_commands.json this script writes to build/static (no build
# needed); its false positives are listed in tools/clang-tidy.supp.
#
# Prints "ok - cppcheck" / "ok - clang-tidy", or "not ok - ..." followed
# by the findings (full output in build/static/*.log); a missing tool is
# reported as "ok - TOOL # SKIP TOOL not installed". Exits 1 when either
# tool has a finding. STATIC_JOBS sets the parallelism (default 2).

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=build/static
jobs=${STATIC_JOBS:-2}
mkdir -p "$out"
status=0

# c_sources - every .c file of the tree
c_sources() {
	find . -name '*.c' -not -path './build/*' -not -path './.git/*' |
		sed 's|^\./||' | sort
}

# tidy_sources - lib/, programs and tests/fuzz (not unit tests)
tidy_sources() {
	find . -name '*.c' -not -path './build/*' -not -path './.git/*' \
		-not -path './tests/*' | sed 's|^\./||'
	find tests/fuzz -name '*.c' 2>/dev/null
}

# run_cppcheck - the whole tree
run_cppcheck() {
	if ! command -v cppcheck >/dev/null 2>&1; then
		echo "ok - cppcheck # SKIP cppcheck not installed"
		return 0
	fi
	# shellcheck disable=SC2046
	if cppcheck --enable=warning,portability --std=c11 --platform=unix64 \
		--library=posix --library=tools/cppcheck-cmocka.cfg \
		--suppressions-list=tools/cppcheck.supp --inline-suppr \
		--error-exitcode=1 -q -j "$jobs" -D_GNU_SOURCE -Ilib -I. \
		$(c_sources) >"$out/cppcheck.log" 2>&1; then
		echo "ok - cppcheck"
		return 0
	fi
	echo "not ok - cppcheck: $(grep -c '^[^ ].*:[0-9]*:[0-9]*: ' "$out/cppcheck.log") findings"
	sed 's/^/#   /' "$out/cppcheck.log"
	return 1
}

# write_compdb - compile_commands.json for the files clang-tidy checks
write_compdb() {
	flags="-std=c11 -D_GNU_SOURCE -Ilib -I. $(pkg-config --cflags openssl libunbound 2>/dev/null)"
	{
		echo "["
		sep=""
		for f in $(tidy_sources | sort); do
			printf '%s{"directory": "%s", "file": "%s", "command": "clang %s -c %s"}\n' \
				"$sep" "$top" "$f" "$flags" "$f"
			sep=","
		done
		echo "]"
	} >"$out/compile_commands.json"
}

# tidy_filter - drop findings listed in tools/clang-tidy.supp
tidy_filter() {
	awk -v top="$top/" '
	FNR == NR {
		sub(/#.*/, "")
		if (NF >= 2)
			supp[$1 " " $2] = 1
		next
	}
	/^[^ ]+:[0-9]+:[0-9]+: (warning|error): / {
		line = $0
		if (index(line, top) == 1)
			line = substr(line, length(top) + 1)
		file = line
		sub(/:.*/, "", file)
		checks = ""
		if (match(line, /\[[^]]*\]$/))
			checks = substr(line, RSTART + 1, RLENGTH - 2)
		n = split(checks, list, ",")
		for (i = 1; i <= n; i++)
			if ((file " " list[i]) in supp)
				next
		if (!seen[line]++)
			print line
	}' tools/clang-tidy.supp -
}

# run_clang_tidy - lib/, the programs and tests/fuzz
run_clang_tidy() {
	if ! command -v clang-tidy >/dev/null 2>&1; then
		echo "ok - clang-tidy # SKIP clang-tidy not installed"
		return 0
	fi
	write_compdb
	tidy_sources | sort | xargs -P "$jobs" -n 8 clang-tidy -p "$out" --quiet \
		>"$out/clang-tidy.log" 2>"$out/clang-tidy.err"
	tidy_filter <"$out/clang-tidy.log" >"$out/clang-tidy.findings"
	if [ ! -s "$out/clang-tidy.findings" ] && ! grep -q 'Error while processing' "$out/clang-tidy.err"; then
		echo "ok - clang-tidy"
		return 0
	fi
	echo "not ok - clang-tidy: $(wc -l <"$out/clang-tidy.findings") findings (details: $out/clang-tidy.log)"
	sed 's/^/#   /' "$out/clang-tidy.findings"
	grep 'Error while processing' "$out/clang-tidy.err" | sed 's/^/#   /'
	return 1
}

[ $# -eq 0 ] && set -- cppcheck clang-tidy
for tool in "$@"; do
	case "$tool" in
	cppcheck) run_cppcheck || status=1 ;;
	clang-tidy) run_clang_tidy || status=1 ;;
	*) echo "usage: $0 [cppcheck] [clang-tidy]" >&2; exit 2 ;;
	esac
done
exit $status
