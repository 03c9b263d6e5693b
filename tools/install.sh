#!/bin/sh
# install.sh - install a built Postern tree (make install).
#
# Usage: sh tools/install.sh DESTDIR PREFIX "BIN_PROGS BIN_LINKS" "LIBEXEC_PROGS"
#
# Commands go to $DESTDIR$PREFIX/sbin, as Postfix's command_directory
# (sendmail, and the mailq and newaliases links, too); daemons to
# $DESTDIR$PREFIX/libexec/postern, where the installed commands find them
# (daemon_directory defaults to the libexec/postern beside sbin/). The
# shipped conf/main.cf and conf/master.cf go to $DESTDIR/etc/postern unless
# a file of that name is already there. When run by root, postdrop and
# postqueue become set-group-ID postdrop (the setgid_group default), if
# that group exists.
# testsvc, a diagnostic daemon for the test suite, is not installed.
set -u
destdir=${1:-}
prefix=${2:-/usr/local}
bin_items=${3:-}
libexec_progs=${4:-}
top=$(cd "$(dirname "$0")/.." && pwd)
variant=${VARIANT:-normal}
if [ "$variant" = normal ]; then
	srcbin=$top/bin
	srclibexec=$top/libexec
else
	srcbin=$top/build/$variant/bin
	srclibexec=$top/build/$variant/libexec
fi
sbindir=$destdir$prefix/sbin
libexecdir=$destdir$prefix/libexec/postern
confdir=$destdir/etc/postern

fail() {
	echo "install: $*" >&2
	exit 1
}

mkdir -p "$sbindir" "$libexecdir" "$confdir" || fail "cannot create directories"

for item in $bin_items; do
	case "$item" in
	*:*)	# a link NAME:TARGET
		ln -sf "${item#*:}" "$sbindir/${item%%:*}" ||
			fail "cannot link $sbindir/${item%%:*}" ;;
	*)
		install -m 0755 "$srcbin/$item" "$sbindir/$item" ||
			fail "cannot install $item" ;;
	esac
done

for prog in $libexec_progs; do
	[ "$prog" = testsvc ] && continue
	install -m 0755 "$srclibexec/$prog" "$libexecdir/$prog" ||
		fail "cannot install $prog"
done

for f in main.cf master.cf; do
	if [ -e "$confdir/$f" ]; then
		echo "install: keeping existing $confdir/$f" >&2
	else
		install -m 0644 "$top/conf/$f" "$confdir/$f" || fail "cannot install $f"
	fi
done

# postdrop writes into maildrop/, postqueue talks to public/showq and
# public/qmgr: both need the setgid_group, as in Postfix.
for prog in postdrop postqueue; do
	[ -f "$sbindir/$prog" ] && [ "$(id -u)" = 0 ] || continue
	if getent group postdrop >/dev/null 2>&1; then
		chgrp postdrop "$sbindir/$prog" && chmod 2755 "$sbindir/$prog" ||
			fail "cannot make $prog set-group-ID postdrop"
	else
		echo "install: group postdrop does not exist: $prog is not" \
			"set-group-ID (create the group, then run make install again)" >&2
	fi
done
echo "install: commands in $sbindir, daemons in $libexecdir, configuration in $confdir"
