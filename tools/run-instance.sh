#!/bin/sh
# run-instance.sh - run a demo Postern instance from the build tree (make run).
#
# Usage: sh tools/run-instance.sh
#
# On the first run it creates var/run-instance/ (or $POSTERN_RUN_DIR) from
# conf/: config/main.cf and config/master.cf, the queue in queue/, and local
# delivery into Maildirs below mail/ (mail_spool_directory with a trailing
# slash: one Maildir per user). smtpd listens on 127.0.0.1:2525 (or
# $POSTERN_RUN_PORT). Later runs reuse the directory as it is: edit
# config/main.cf there, or remove the directory to start afresh.
#
# Then it runs master in the foreground with the logs on the terminal;
# Ctrl-C stops everything. Run by an ordinary user, everything runs as that
# user. Run by root, the services run as mail_owner: postern if that user
# exists, else nobody.
#
# Programs come from $POSTERN_BINDIR (default: bin/ of this tree).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${POSTERN_RUN_DIR:-$top/var/run-instance}
port=${POSTERN_RUN_PORT:-2525}
bindir=${POSTERN_BINDIR:-$top/bin}

fail() {
	echo "run-instance: $*" >&2
	exit 1
}

if [ ! -x "$bindir/postern" ]; then
	make -C "$top" all >&2 || fail "build failed"
fi
[ -x "$bindir/postern" ] || fail "$bindir/postern is missing"
[ -f "$top/conf/main.cf" ] && [ -f "$top/conf/master.cf" ] ||
	fail "conf/main.cf or conf/master.cf is missing"

# accounts - mail_owner and setgid_group for this user
accounts() {
	if [ "$(id -u)" != 0 ]; then
		owner=$(id -un)
		group=$(id -gn)
	elif id postern >/dev/null 2>&1; then
		owner=postern
		group=$(getent group postdrop >/dev/null && echo postdrop || id -gn postern)
	else
		owner=nobody
		group=nogroup
		echo "run-instance: no user postern; the services run as nobody" >&2
	fi
}

# create - the instance directory, from conf/
create() {
	accounts
	mkdir -p "$dir/config" "$dir/mail" || fail "cannot create $dir"
	chmod 1777 "$dir/mail"
	{
		cat "$top/conf/main.cf"
		cat <<EOF

# Settings of the demo instance (tools/run-instance.sh).
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = $owner
setgid_group = $group
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mail_spool_directory = $dir/mail/
alias_maps =
alias_database =
EOF
	} >"$dir/config/main.cf.new" || fail "cannot write $dir/config/main.cf"
	# The inet smtpd line moves to 127.0.0.1:$port; every other inet
	# service is left out.
	awk -v port="$port" '
		/^[ \t]/ && skip { next }
		{ skip = 0 }
		$2 == "inet" && $8 == "smtpd" && !done {
			sub(/^[^ \t]+/, "127.0.0.1:" port); done = 1; print; next
		}
		$2 == "inet" { skip = 1; next }
		{ print }
	' "$top/conf/master.cf" >"$dir/config/master.cf" ||
		fail "cannot write $dir/config/master.cf"
	mv "$dir/config/main.cf.new" "$dir/config/main.cf"
	echo "run-instance: created $dir" >&2
}

[ -f "$dir/config/main.cf" ] || create

cat >&2 <<EOF
run-instance: configuration $dir/config, SMTP on 127.0.0.1:$port
run-instance: try: printf 'Subject: hi\n\nhello\n' | $bindir/sendmail -C $dir/config $(id -un)@localhost
run-instance:      swaks --server 127.0.0.1:$port --to $(id -un)@localhost
run-instance:      $bindir/mailq -C $dir/config
run-instance: Ctrl-C stops the instance.
EOF
exec "$bindir/postern" -c "$dir/config" start-fg
