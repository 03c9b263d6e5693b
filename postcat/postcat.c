/*
 * NAME
 *	postcat - show the content of queue files
 * SYNOPSIS
 *	postcat [-bdehov] [-c config_dir] [-q] [file ...]
 * DESCRIPTION
 *	As Postfix's postcat(1): shows the records of the named queue
 *	files (standard input when none is named) in readable form; see
 *	postcat.h for the layout.
 *	.IP -q
 *	The arguments are queue IDs: each is looked up in the maildrop,
 *	incoming, active, deferred, hold, saved and corrupt queues.
 *	.IP -e
 *	Show the envelope (and extracted) records.
 *	.IP -h
 *	Show the message headers.
 *	.IP -b
 *	Show the message body.
 *	.IP -o
 *	Show the offset of each record.
 *	.IP -d
 *	Show each record's type as a decimal number.
 *	.IP "-c config_dir"
 *	The main.cf directory.
 *	.IP -v
 *	Show partial lines with their own line end.
 * .PP
 *	Without -e, -h or -b, all three are shown.
 * DIAGNOSTICS
 *	A malformed queue ID ("postcat: fatal: bad mail queue ID: x") or a
 *	file that cannot be opened is fatal. A damaged file is shown as far
 *	as it can be read, then "postcat: warning: PATH: offset N: reason".
 *	Exit status 0 when every file was complete and well formed, else 1.
 * SECURITY
 *	Needs read access to the queue: the superuser or mail_owner.
 * PARAMETERS
 *	queue_directory, hash_queue_depth, hash_queue_names.
 * SEE ALSO
 *	postqueue(1), postsuper(1), record(3), docs/man/postcat.1.md
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/cmd_init.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>

#include "postcat.h"

#define PC_USAGE	"usage: postcat [-b (body text)] [-c config_dir] " \
	"[-d (decimal record type)] [-e (envelope records)] [-h (header text)] " \
	"[-o (record offsets)] [-q (access queue)] [-v] [file(s)...]"

static const char *const pc_queues[] = {
	MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
	MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD, MAIL_QUEUE_SAVED,
	MAIL_QUEUE_CORRUPT, NULL,
};

/* pc_options - parse the command line; returns the flags */

static int
pc_options(int argc, char **argv, const char **config_dir, int *is_queue)
{
	int	ch, flags = 0;

	while ((ch = getopt(argc, argv, "bc:dehoqv")) != -1) {
		switch (ch) {
		case 'b': flags |= PC_FLAG_PRINT_BODY; break;
		case 'c': *config_dir = optarg; break;
		case 'd': flags |= PC_FLAG_PRINT_RTYPE_DEC; break;
		case 'e': flags |= PC_FLAG_PRINT_ENV; break;
		case 'h': flags |= PC_FLAG_PRINT_HEADER; break;
		case 'o': flags |= PC_FLAG_PRINT_OFFSET; break;
		case 'q': *is_queue = 1; break;
		case 'v': msg_verbose++; break;
		default: msg_fatal("%s", PC_USAGE);
		}
	}
	if ((flags & PC_MASK_PRINT_ALL) == 0)
		flags |= PC_MASK_PRINT_ALL;
	return (flags);
}

/* pc_show_fd - one open file; 0 or -1 */

static int
pc_show_fd(int fd, const char *path, int flags)
{
	struct buf *why = buf_new(100);
	int	status;

	if ((status = postcat_dump(fd, path, flags, stdout, why)) < 0) {
		fflush(stdout);
		msg_warn("%s: %s", path, buf_str(why));
	}
	if (fflush(stdout) != 0)
		msg_fatal("write to standard output: %m");
	buf_free(why);
	return (status);
}

/* pc_open_queue - find a queue ID in the queues; path in path */

static int
pc_open_queue(const char *id, struct buf *path)
{
	const char *const *qp;
	int	fd, tries;

	if (!queue_id_valid(id))
		msg_fatal("bad mail queue ID: %s", id);
	for (tries = 0; tries < 2; tries++) {
		for (qp = pc_queues; *qp; qp++) {
			if (queue_path(path, *qp, id) == NULL)
				continue;
			if ((fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
				return (fd);
			if (errno != ENOENT)
				msg_fatal("open queue file %s: %m", buf_str(path));
		}
	}
	errno = ENOENT;
	msg_fatal("open queue file %s: %m", id);
}

int
main(int argc, char **argv)
{
	const char *config_dir = NULL;
	struct buf *path = buf_new(64);
	int	flags, is_queue = 0, fd, status = 0;

	msg_init(argv[0]);
	flags = pc_options(argc, argv, &config_dir, &is_queue);
	cmd_init(argv[0], config_dir);
	if (optind == argc) {
		status |= pc_show_fd(0, "stdin", flags);
	} else if (is_queue) {
		if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
			msg_fatal("bad hash_queue_depth or hash_queue_names");
		if (chdir(var_queue_directory) < 0)
			msg_fatal("chdir %s: %m", var_queue_directory);
		for (; optind < argc; optind++) {
			fd = pc_open_queue(argv[optind], path);
			status |= pc_show_fd(fd, buf_str(path), flags);
			(void) close(fd);
		}
	} else {
		for (; optind < argc; optind++) {
			if ((fd = open(argv[optind], O_RDONLY | O_CLOEXEC)) < 0)
				msg_fatal("open %s: %m", argv[optind]);
			status |= pc_show_fd(fd, argv[optind], flags);
			(void) close(fd);
		}
	}
	buf_free(path);
	return (status ? 1 : 0);
}
