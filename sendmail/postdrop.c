/*
 * NAME
 *	postdrop - store a local submission in the maildrop queue
 * SYNOPSIS
 *	postdrop [-c config_dir] [-v] -r
 * DESCRIPTION
 *	postdrop reads a message from sendmail(1) as queue file records on
 *	standard input (-r, the only supported input method, as with
 *	Postfix), checks every record (it never trusts its input: see
 *	maildrop(3) for the grammar), and stores it as maildrop/ID: mode
 *	0644 (owner rw-) while it is written, then fchmod 0744 (owner
 *	rwx: complete), fsync of the file and of the directory (syncfs()
 *	of the file system when the directory cannot be opened: maildrop
 *	is 0730, not readable by the postdrop group). As with
 *	Postfix, readers judge by the owner bits; the read bit for others
 *	lets pickup and showq (mail_owner) read files that users own. It then wakes up pickup(8) ("W" to
 *	public/pickup); when the mail system is not running the message
 *	simply waits. On standard output it reports to sendmail an attr(3)
 *	list {status, queue_id} or {status, reason}.
 *
 *	An incomplete or malformed input, a file larger than
 *	message_size_limit, a write error or a signal (HUP, INT, QUIT,
 *	TERM) removes the file: a maildrop file is either complete or not
 *	there at all (or, after a crash, still owner rw-, which pickup
 *	never reads).
 * SECURITY
 *	Installed set-group-ID setgid_group so that only it can write
 *	maildrop/. It keeps the real user ID (the file's owner tells pickup
 *	who submitted), refuses users not in authorized_submit_users, and
 *	accepts another configuration directory only when the default
 *	main.cf lists it in alternate_config_directories.
 * DIAGNOSTICS
 *	"postdrop: warning: uid=N: File too large" and other problems go
 *	to standard error and the mail log; the exit status is 0 or 75.
 * PARAMETERS
 *	queue_directory, message_size_limit, authorized_submit_users,
 *	alternate_config_directories, hash_queue_depth, hash_queue_names.
 * SEE ALSO
 *	sendmail(1), pickup(8), maildrop(3)
 */
#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/attr.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cleanup_client.h>
#include <global/cmd_init.h>
#include <global/mail_proto.h>
#include <global/mail_trigger.h>
#include <global/maps.h>
#include <global/params.h>
#include <global/queue.h>

#include <pwd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "sendmail.h"

#define POSTDROP_EX_TEMPFAIL	75
#define POSTDROP_MODE_WRITING	0644	/* owner rw-: being written */
#define POSTDROP_MODE_COMPLETE	0744	/* owner rwx: complete */

 /*
  * The file being written, for removal on a signal or fatal error.
  */
static char postdrop_path[256];

/* postdrop_remove - remove the half-written file (signal safe) */

static void
postdrop_remove(void)
{
	if (postdrop_path[0]) {
		(void) unlink(postdrop_path);
		postdrop_path[0] = 0;
	}
}

/* postdrop_signal - remove the file and leave */

static void
postdrop_signal(int sig)
{
	(void) sig;
	postdrop_remove();
	_exit(POSTDROP_EX_TEMPFAIL);
}

/* postdrop_exit - fatal errors exit with EX_TEMPFAIL */

static void
postdrop_exit(int status)
{
	(void) status;
	postdrop_remove();
	exit(POSTDROP_EX_TEMPFAIL);
}

/* postdrop_authorized - authorized_submit_users */

static int
postdrop_authorized(const char *user)
{
	struct argv *list = argv_split(var_authorized_submit_users, ARGV_LIST_DELIMS);
	struct maps *maps;
	size_t	i;
	int	verdict = -1;

	for (i = 0; i < list->argc && verdict < 0; i++) {
		const char *item = list->argv[i];
		int	negate = (*item == '!');

		item += negate;
		if (strcmp(item, "static:anyone") == 0)
			verdict = !negate;
		else if (strchr(item, ':') != 0) {
			maps = maps_create("authorized_submit_users", item, 0);
			if (maps_find(maps, user, 0) != 0)
				verdict = !negate;
			else if (maps_error(maps) != MAPS_ERR_NONE)
				msg_fatal("authorized_submit_users lookup for %s failed", user);
			maps_free(maps);
		} else if (strcmp(item, user) == 0)
			verdict = !negate;
	}
	argv_free(list);
	return (verdict > 0);
}

/* postdrop_reply - tell sendmail how it went */

static void
postdrop_reply(int status, const char *id, const char *reason)
{
	struct stream *out = stream_fdopen(1, STREAM_WRITE);

	if (status == 0)
		(void) attr_print(out, ATTR_FLAG_FLUSH, ATTR_LIST(
				  ATTR_INT(MAIL_ATTR_STATUS, 0),
				  ATTR_STR(MAIL_ATTR_QUEUE_ID, id)));
	else
		(void) attr_print(out, ATTR_FLAG_FLUSH, ATTR_LIST(
				  ATTR_INT(MAIL_ATTR_STATUS, status),
				  ATTR_STR(MAIL_ATTR_WHY, reason)));
	(void) stream_free(out);
}

/* postdrop_commit - mark the file complete and make it durable */

static int
postdrop_commit(int fd)
{
	int	dir_fd, status;

	/*
	 * As Postfix: readers go by the owner bits (rw- being written, rwx
	 * complete); the others' read bit lets pickup and showq, running as
	 * mail_owner, read files that users own. maildrop itself is closed
	 * to others, so nobody else can reach them.
	 */
	if (fchmod(fd, POSTDROP_MODE_COMPLETE) < 0 || fsync(fd) < 0)
		return (-1);

	/*
	 * The new directory entry must be durable too. fsync() of a directory
	 * needs a descriptor opened for reading, and maildrop (mode 0730) is
	 * not readable by the postdrop group that ordinary users submit with;
	 * O_PATH descriptors cannot be fsync()ed either. Then syncfs() on the
	 * file, which flushes the whole queue file system and so the entry.
	 */
	if ((dir_fd = open(MAIL_QUEUE_MAILDROP, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (errno == EACCES ? syncfs(fd) : -1);
	status = fsync(dir_fd);
	(void) close(dir_fd);
	return (status);
}

/* postdrop_store - copy standard input into a new maildrop file */

static int
postdrop_store(struct buf *id, struct buf *why)
{
	struct buf *path = buf_new(64);
	struct rec_io *in, *out;
	int	fd, status;

	if (queue_create(MAIL_QUEUE_MAILDROP, id, &fd) < 0)
		msg_fatal("create file in %s: %m", MAIL_QUEUE_MAILDROP);
	if (fchmod(fd, POSTDROP_MODE_WRITING) < 0)
		msg_fatal("chmod file in %s: %m", MAIL_QUEUE_MAILDROP);
	queue_path(path, MAIL_QUEUE_MAILDROP, buf_str(id));
	snprintf(postdrop_path, sizeof(postdrop_path), "%s", buf_str(path));
	in = rec_open(0, REC_READ);
	out = rec_open(fd, REC_WRITE);
	status = postdrop_copy(in, out, var_message_size_limit, why);
	(void) rec_close(in);
	if (rec_close(out) < 0 && status == 0) {
		buf_printf(why, "write %s: %s", buf_str(path), strerror(errno));
		status = -1;
	}
	if (status == 0 && postdrop_commit(fd) < 0) {
		buf_printf(why, "commit %s: %s", buf_str(path), strerror(errno));
		status = -1;
	}
	if (close(fd) < 0 && status == 0) {
		buf_printf(why, "close %s: %s", buf_str(path), strerror(errno));
		status = -1;
	}
	if (status < 0)
		postdrop_remove();
	postdrop_path[0] = 0;
	buf_free(path);
	return (status);
}

/* postdrop_args - the command line */

static const char *
postdrop_args(int argc, char **argv)
{
	const char *config_dir = 0;
	int	ch, have_r = 0;

	while ((ch = getopt(argc, argv, "c:rv")) > 0) {
		switch (ch) {
		case 'c':
			config_dir = optarg;
			break;
		case 'r':
			have_r = 1;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			msg_fatal("usage: postdrop [-c config_dir] [-v] -r");
		}
	}
	if (!have_r || optind != argc)
		msg_fatal("usage: postdrop [-c config_dir] [-v] -r");
	return (config_dir);
}

int
main(int argc, char **argv)
{
	struct buf *id = buf_new(32);
	struct buf *why = buf_new(64);
	struct passwd *pw;
	long	uid = (long) getuid();
	int	status;

	msg_init("postdrop");
	msg_to_stderr(MSG_STDERR_SHORT);
	msg_set_exit_hook(postdrop_exit);
	cmd_init("postdrop", postdrop_args(argc, argv));
	if ((pw = getpwuid(getuid())) == 0)
		msg_fatal("uid=%ld: no user name", uid);
	if (!postdrop_authorized(pw->pw_name))
		msg_fatal("User %s(%ld) is not allowed to submit mail", pw->pw_name, uid);
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m", var_queue_directory);
	signal(SIGHUP, postdrop_signal);
	signal(SIGINT, postdrop_signal);
	signal(SIGQUIT, postdrop_signal);
	signal(SIGTERM, postdrop_signal);
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	if ((status = postdrop_store(id, why)) == -2) {
		msg_warn("uid=%ld: File too large", uid);
		postdrop_reply(CLEANUP_STAT_SIZE, "", "message file too big");
		exit(POSTDROP_EX_TEMPFAIL);
	}
	if (status < 0) {
		msg_warn("uid=%ld: %s", uid, buf_str(why));
		postdrop_reply(CLEANUP_STAT_BAD, "", buf_str(why));
		exit(POSTDROP_EX_TEMPFAIL);
	}
	if (mail_trigger(MAIL_CLASS_PUBLIC, var_pickup_service_name,
			 (char[]) {TRIGGER_REQ_WAKEUP}, 1) < 0)
		msg_debug(1, "trigger %s: %m", var_pickup_service_name);
	postdrop_reply(0, buf_str(id), "");
	buf_free(id);
	buf_free(why);
	return (0);
}
