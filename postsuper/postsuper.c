/*
 * NAME
 *	postsuper - Postern queue maintenance
 * SYNOPSIS
 *	postsuper [-psv] [-c config_dir] [-d queue_id] [-h queue_id]
 *		[-H queue_id] [-r queue_id] [queue ...]
 * DESCRIPTION
 *	As Postfix's postsuper(1). Without options it does -s and -p on
 *	every queue. Options that take a queue ID may be repeated; the ID
 *	"ALL" (upper case) means every message of the queues, "-" reads
 *	queue IDs from standard input, one per line. Queue names after the
 *	options limit every operation to those queues.
 *	.IP "-d queue_id"
 *	Delete the message and its defer, bounce and trace logfiles
 *	(default queues: maildrop, incoming, active, deferred, hold).
 *	.IP "-h queue_id"
 *	Put the message on hold (default queues: incoming, active,
 *	deferred). Mail on hold is not delivered and does not expire.
 *	.IP "-H queue_id"
 *	Release the message from hold into the deferred queue, due for
 *	delivery at once.
 *	.IP "-r queue_id"
 *	Requeue the message (default queues: hold, incoming, active,
 *	deferred): its recipients still to be delivered go through pickup
 *	and cleanup again, with a new queue ID and arrival time, so address
 *	rewriting and routing apply anew. The copy is made (and committed)
 *	in maildrop before the original is removed.
 *	.IP -s
 *	Structure check and repair: stray directories and non-files are
 *	removed, files in the wrong hash directory moved where they belong,
 *	files with names that are not queue IDs renamed, stale temporary
 *	files removed, unreadable or damaged message files moved to
 *	corrupt/ with a warning.
 *	.IP -p
 *	Remove temporary files older than a day (left by a crash).
 *	.IP "-c config_dir"
 *	The main.cf directory.
 *	.IP -v
 *	More verbose logging.
 * .PP
 *	Safe while the mail system runs: a file in the active queue may be
 *	in delivery, so postsuper then leaves it alone and says so
 *	("postsuper: warning: ID: message is being delivered; not
 *	deleted"); files still being written are never touched.
 *
 *	Reports, as Postfix, on standard error and in the log:
 *	"ID: removed", "ID: placed on hold", "ID: released from hold",
 *	"ID: requeued", and at the end "Deleted: N messages", "Placed on
 *	hold: N messages", "Released from hold: N messages", "Requeued: N
 *	messages" ("message" for one; nothing when N is 0). An ID that is
 *	not in the queues is skipped silently.
 * DIAGNOSTICS
 *	A malformed queue ID on the command line ("postsuper: fatal:
 *	invalid queue ID: ../../etc/passwd") or an unknown queue name
 *	("postsuper: fatal: invalid directory name: foo") is fatal before
 *	anything is done; exit status 1. A malformed ID read from standard
 *	input is a warning and makes the exit status 1 at the end.
 * SECURITY
 *	For the superuser and mail_owner only; root works as mail_owner.
 * PARAMETERS
 *	queue_directory, mail_owner, hash_queue_depth, hash_queue_names,
 *	process_id_directory, pickup_service_name.
 * SEE ALSO
 *	postqueue(1), pickup(8), docs/man/postsuper.1.md
 */
#include <util/sys_defs.h>
#include <getopt.h>
#include <grp.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/argv.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cmd_init.h>
#include <global/mail_proto.h>
#include <global/mail_trigger.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/master_proto.h>
#include <server/server_jail.h>

#include "postsuper.h"

#define PS_USAGE	"usage: postsuper [-c config_dir] [-d queue_id (delete)] " \
	"[-h queue_id (hold)] [-H queue_id (un-hold)] [-p (purge temporary " \
	"files)] [-r queue_id (requeue)] [-s (structure fix)] [-v (verbose)] " \
	"[queue...]"
#define PS_ALL		"ALL"
#define PS_STDIN	"-"
#define PS_ID_LINE_MAX	256

static const char *const ps_struct_queues[] = {
	MAIL_QUEUE_DEFER, MAIL_QUEUE_BOUNCE, MAIL_QUEUE_TRACE,
	MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
	MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD, NULL,
};

 /*
  * The by-ID operations, in the order Postfix performs them.
  */
struct ps_op {
	int	action;
	char	opt;
	int	(*one) (struct ps_state *, const char *);
	struct argv *ids;
	int	is_all;
};

static struct ps_op ps_ops[] = {
	{.action = PS_ACTION_DELETE, .opt = 'd', .one = postsuper_delete_one},
	{.action = PS_ACTION_REQUEUE, .opt = 'r', .one = postsuper_requeue_one},
	{.action = PS_ACTION_HOLD, .opt = 'h', .one = postsuper_hold_one},
	{.action = PS_ACTION_RELEASE, .opt = 'H', .one = postsuper_release_one},
};

/* ps_op_find - the operation of an option letter */

static struct ps_op *
ps_op_find(int opt)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(ps_ops); i++)
		if (ps_ops[i].opt == opt)
			return (ps_ops + i);
	return (NULL);
}

/* ps_options - parse the command line; returns the action mask */

static int
ps_options(int argc, char **argv, const char **config_dir)
{
	struct ps_op *op;
	int	ch, actions = 0;

	while ((ch = getopt(argc, argv, "c:d:h:H:pr:sv")) != -1) {
		if ((op = ps_op_find(ch)) != NULL) {
			if (op->ids == NULL)
				op->ids = argv_new(4);
			argv_add(op->ids, optarg);
			actions |= op->action;
			continue;
		}
		switch (ch) {
		case 'c': *config_dir = optarg; break;
		case 'p': actions |= PS_ACTION_PURGE; break;
		case 's': actions |= PS_ACTION_STRUCT; break;
		case 'v': msg_verbose++; break;
		default: msg_fatal("%s", PS_USAGE);
		}
	}
	return (actions ? actions : PS_ACTION_STRUCT | PS_ACTION_PURGE);
}

/* ps_check_ids - every command-line ID is ALL, - or a queue ID */

static void
ps_check_ids(void)
{
	size_t	i, j;
	struct ps_op *op;

	for (i = 0; i < ARRAY_LEN(ps_ops); i++) {
		if ((op = ps_ops + i)->ids == NULL)
			continue;
		for (j = 0; j < op->ids->argc; j++) {
			const char *id = op->ids->argv[j];

			if (strcmp(id, PS_ALL) == 0)
				op->is_all = 1;
			else if (strcmp(id, PS_STDIN) != 0 && !queue_id_valid(id))
				msg_fatal("invalid queue ID: %s", id);
		}
		if (op->is_all && op->ids->argc > 1)
			msg_warn("option \"-%c ALL\" will ignore other command line "
				 "queue IDs", op->opt);
	}
}

/* ps_check_queues - queue arguments must be known queues */

static const char *const *
ps_check_queues(char **names)
{
	char  **cpp;

	if (*names == NULL)
		return (NULL);
	for (cpp = names; *cpp; cpp++)
		if (!queue_name_known(*cpp))
			msg_fatal("invalid directory name: %s", *cpp);
	return ((const char *const *) names);
}

/* ps_privileges - root becomes mail_owner; others must be mail_owner */

static void
ps_privileges(void)
{
	struct buf *why = buf_new(100);
	uid_t	uid;
	gid_t	gid;

	if (server_jail_lookup(var_mail_owner, &uid, &gid, why) < 0) {
		if (getuid() != 0 && getuid() == geteuid())
			msg_fatal("use of this command is reserved for the superuser");
		msg_fatal("%s", buf_str(why));
	}
	if (getuid() == 0) {
		if (setgid(gid) < 0 || initgroups(var_mail_owner, gid) < 0
		    || setuid(uid) < 0)
			msg_fatal("cannot switch to user %s: %m", var_mail_owner);
	} else if (getuid() != uid || geteuid() != uid) {
		msg_fatal("use of this command is reserved for the superuser");
	}
	buf_free(why);
}

/* ps_is_running - does master hold its lock? */

static int
ps_is_running(void)
{
	struct buf *path = buf_new(100);
	int	ret;

	buf_printf(path, "%s/master.pid", var_process_id_directory);
	if ((ret = master_pid_test(buf_str(path), NULL)) < 0)
		msg_fatal("cannot test %s: %m", buf_str(path));
	buf_free(path);
	return (ret > 0);
}

/* ps_stdin - an operation on the IDs of standard input */

static unsigned long
ps_stdin(struct ps_state *ps, struct ps_op *op)
{
	struct stream *in = stream_fdopen(0, STREAM_READ);
	struct buf *line = buf_new(64);
	unsigned long found = 0;
	int	how;

	while ((how = stream_get_line(in, line, PS_ID_LINE_MAX)) != STREAM_LINE_EOF) {
		while (buf_len(line) > 0 && strchr(" \t\r", buf_str(line)[buf_len(line) - 1]))
			buf_truncate(line, buf_len(line) - 1);
		if (how == STREAM_LINE_PARTIAL) {
			msg_warn("invalid queue ID: %.64s...", buf_str(line));
			ps->errors++;
			while (how == STREAM_LINE_PARTIAL)
				how = stream_get_line(in, line, PS_ID_LINE_MAX);
			continue;
		}
		if (buf_len(line) == 0)
			continue;
		if (!queue_id_valid(buf_str(line))) {
			msg_warn("invalid queue ID: %s", buf_str(line));
			ps->errors++;
			continue;
		}
		found += (unsigned long) op->one(ps, buf_str(line));
	}
	(void) stream_free(in);
	buf_free(line);
	return (found);
}

/* ps_by_id - one operation on its named IDs */

static unsigned long
ps_by_id(struct ps_state *ps, struct ps_op *op)
{
	unsigned long found = 0;
	size_t	i;

	for (i = 0; i < op->ids->argc; i++) {
		if (strcmp(op->ids->argv[i], PS_STDIN) == 0)
			found += ps_stdin(ps, op);
		else
			found += (unsigned long) op->one(ps, op->ids->argv[i]);
	}
	return (found);
}

/* ps_run - structure checks, ALL operations, then by-ID operations */

static void
ps_run(struct ps_state *ps, int actions)
{
	const char *const *qp;
	unsigned long *counts[] = {&ps->deleted, &ps->requeued, &ps->held,
	&ps->released};
	size_t	i;

	if (actions & (PS_ACTION_STRUCT | PS_ACTION_PURGE))
		for (qp = ps->queues ? ps->queues : ps_struct_queues; *qp; qp++)
			postsuper_structure(ps, *qp, actions);
	for (i = 0; i < ARRAY_LEN(ps_ops); i++) {
		if (ps_ops[i].ids == NULL)
			continue;
		if (ps_ops[i].is_all)
			postsuper_all(ps, ps_ops[i].action);
		else
			*counts[i] += ps_by_id(ps, ps_ops + i);
	}
	if (ps->requeued > 0)
		(void) mail_trigger(MAIL_CLASS_PUBLIC, var_pickup_service_name,
				    "W", 1);
}

/* ps_report - Postfix's closing counts */

static void
ps_report(const struct ps_state *ps)
{
#define PS_S(n)	((n) == 1 ? "" : "s")
	if (ps->requeued > 0)
		msg_info("Requeued: %lu message%s", ps->requeued, PS_S(ps->requeued));
	if (ps->deleted > 0)
		msg_info("Deleted: %lu message%s", ps->deleted, PS_S(ps->deleted));
	if (ps->held > 0)
		msg_info("Placed on hold: %lu message%s", ps->held, PS_S(ps->held));
	if (ps->released > 0)
		msg_info("Released from hold: %lu message%s", ps->released,
			 PS_S(ps->released));
}

int
main(int argc, char **argv)
{
	struct ps_state ps;
	const char *config_dir = NULL;
	int	actions;

	memset(&ps, 0, sizeof(ps));
	msg_init(argv[0]);
	actions = ps_options(argc, argv, &config_dir);
	cmd_init(argv[0], config_dir);
	ps_check_ids();
	ps.queues = ps_check_queues(argv + optind);
	ps_privileges();
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m", var_queue_directory);
	umask(077);
	ps.is_running = ps_is_running();
	ps.now = time(NULL);
	ps.path = buf_new(64);
	ps.path2 = buf_new(64);
	ps.why = buf_new(100);
	ps_run(&ps, actions);
	ps_report(&ps);
	buf_free(ps.path);
	buf_free(ps.path2);
	buf_free(ps.why);
	return (ps.errors ? 1 : 0);
}
