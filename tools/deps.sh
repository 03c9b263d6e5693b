#!/bin/sh
# deps.sh - install the Debian packages Postern builds and tests with.
#
# Installs what is missing when run as root (apt-get); otherwise names the
# missing packages and fails, so a fresh Debian 12 machine needs nothing but
# `make test` or `make run`.
PKGS="build-essential pkg-config libssl-dev libunbound-dev libdb-dev
libcmocka-dev python3 openssl swaks unbound unbound-host pflogsumm procps
clang libclang-rt-14-dev cppcheck clang-tidy valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit 1
apt-get install -y -qq $missing >/dev/null || exit 1
