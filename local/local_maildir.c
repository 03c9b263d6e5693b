/*
 * NAME
 *	local_maildir - deliver one message into a maildir
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_maildir(struct local_state *state, const char *dir,
 *			const struct local_user *user, int is_file);
 *	void	local_maildir_name(struct buf *out, time_t sec, long usec,
 *			int pid, unsigned count, const char *host);
 * DESCRIPTION
 *	local_maildir() writes the message, with Return-Path:,
 *	X-Original-To: and Delivered-To: headers, into the maildir dir
 *	(a path ending in "/") as user: dir/tmp, dir/new and dir/cur are
 *	created when missing (mode 0700), the message is written to
 *	dir/tmp/NAME and fsync'ed, linked to dir/new/NAME (then the tmp
 *	name is removed) and dir/new is fsync'ed, so the message is on disk
 *	before success is reported. is_file says that the maildir is an
 *	alias or .forward destination rather than home_mailbox (for
 *	prepend_delivered_header, both are class "file").
 *
 *	local_maildir_name() forms a unique file name as the maildir
 *	convention asks: SECONDS.MUSECPPIDQCOUNT.HOST, with "/" and ":" in
 *	the host name written as \057 and \072.
 *
 *	The result is recorded with local_leaf(): "delivered to maildir",
 *	or a deferral 4.2.0 "maildir delivery failed: ..." (5.2.2 for a
 *	full quota or mailbox_size_limit).
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>

#include "local.h"

static unsigned local_maildir_count;	/* uniquifier within a process */

/* local_maildir_name - unique maildir file name */
void
local_maildir_name(struct buf *out, time_t sec, long usec, int pid,
		           unsigned count, const char *host)
{
	const char *cp;

	buf_printf(out, "%lld.M%ldP%dQ%u.", (long long) sec, usec, pid, count);
	for (cp = host; *cp; cp++) {
		if (*cp == '/')
			buf_cat(out, "\\057");
		else if (*cp == ':')
			buf_cat(out, "\\072");
		else
			buf_putc(out, *cp);
	}
}

/* local_maildir_mkdirs - dir, dir/tmp, dir/new, dir/cur */
static int
local_maildir_mkdirs(const char *dir, struct buf *why)
{
	static const char *const subdirs[] = {"", "tmp", "new", "cur"};
	struct buf *path = buf_new(128);
	size_t	i;

	for (i = 0; i < ARRAY_LEN(subdirs); i++) {
		buf_printf(path, "%s%s", dir, subdirs[i]);
		if (mkdir(buf_str(path), 0700) < 0 && errno != EEXIST) {
			buf_printf(why, "create maildir directory %s: %m", buf_str(path));
			buf_free(path);
			return (-1);
		}
	}
	buf_free(path);
	return (0);
}

/* local_maildir_fsync_dir - make a new directory entry durable */
static int
local_maildir_fsync_dir(const char *path)
{
	int	fd;
	int	ret;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (-1);
	ret = fsync(fd);
	(void) close(fd);
	return (ret);
}

/* local_maildir_write - the file in tmp/, then the link in new/ */
static int
local_maildir_write(struct local_state *state, const char *dir, int flags,
		            char dsn[DSN_STATUS_SIZE], struct buf *why)
{
	struct local_copy_attr attr;
	struct buf *name = buf_new(128);
	struct buf *tmp = buf_new(128);
	struct buf *new = buf_new(128);
	struct timeval tv;
	int	fd;
	int	ret = -1;

	gettimeofday(&tv, NULL);
	local_maildir_name(name, tv.tv_sec, (long) tv.tv_usec, (int) getpid(),
			   local_maildir_count++, var_myhostname);
	buf_printf(tmp, "%stmp/%s", dir, buf_str(name));
	buf_printf(new, "%snew/%s", dir, buf_str(name));
	if ((fd = open(buf_str(tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600)) < 0) {
		buf_printf(why, "create maildir file %s: %m", buf_str(tmp));
		goto out;
	}
	local_copy_attr_init(&attr, state, flags);
	switch (local_copy(state->msg->qfd, state->msg->req->data_offset, fd, flags,
			   &attr, why)) {
	case LOCAL_COPY_OK:
		if (fsync(fd) == 0) {
			int	closed = close(fd);

			fd = -1;
			if (closed == 0)
				break;
		}
		/* FALLTHROUGH */
	case LOCAL_COPY_ERR_WRITE:
		snprintf(dsn, DSN_STATUS_SIZE, "%s", local_mbox_error_dsn(errno, "4.2.0"));
		buf_printf(why, "create maildir file %s: %m", buf_str(tmp));
		goto out;
	default:
		/* Queue file trouble: why says what. */
		snprintf(dsn, DSN_STATUS_SIZE, "4.3.0");
		goto out;
	}
	if (link(buf_str(tmp), buf_str(new)) < 0 && rename(buf_str(tmp), buf_str(new)) < 0) {
		buf_printf(why, "create maildir file %s: %m", buf_str(new));
		goto out;
	}
	(void) unlink(buf_str(tmp));
	buf_printf(tmp, "%snew", dir);
	if (local_maildir_fsync_dir(buf_str(tmp)) < 0) {
		buf_printf(why, "sync maildir directory %s: %m", buf_str(tmp));
		(void) unlink(buf_str(new));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		(void) close(fd);
	if (ret < 0)
		(void) unlink(buf_str(tmp));
	buf_free(name);
	buf_free(tmp);
	buf_free(new);
	return (ret);
}

/* local_maildir - deliver into dir as user */
int
local_maildir(struct local_state *state, const char *dir,
	              const struct local_user *user, int is_file)
{
	struct buf *why = buf_new(100);
	char	dsn[DSN_STATUS_SIZE] = "4.2.0";
	int	flags = local_copy_flags(LOCAL_COPY_MAILDIR, "file");
	int	status;

	(void) is_file;
	if (state->msg->is_verify) {
		buf_free(why);
		return (local_leaf(state, DELIVER_STAT_OK, "2.0.0", "delivers to maildir"));
	}
	if (local_priv_enter(user) < 0) {
		buf_free(why);
		return (local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
				   "cannot switch to user %s: %m", user->name));
	}
	if (local_maildir_mkdirs(dir, why) < 0
	    || local_maildir_write(state, dir, flags, dsn, why) < 0) {
		local_priv_leave();
		status = dsn_class(dsn) == 5 ? DELIVER_STAT_BOUNCE : DELIVER_STAT_DEFER;
		status = local_leaf(state, status, dsn, "maildir delivery failed: %s",
				    buf_str(why));
	} else {
		local_priv_leave();
		status = local_leaf(state, DELIVER_STAT_OK, "2.0.0", "delivered to maildir");
	}
	buf_free(why);
	return (status);
}
