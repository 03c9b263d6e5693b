/*
 * NAME
 *	showq_qfile - open a queue file and read its envelope
 * SYNOPSIS
 *	#include "showq.h"
 * DESCRIPTION
 *	See showq.h. Queue files are read with qfile_read_envelope(), which
 *	reads the envelope and extracted segments and skips the content.
 *	Maildrop files (written by postdrop, read by pickup) have their own
 *	grammar (maildrop(3)): TIME first, no SIZE record, recipients only
 *	before MESG; reading stops at MESG.
 * SEE ALSO
 *	record(3), maildrop(3)
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/record.h>

#include "showq.h"

/*
 * The directory of the last file opened, kept open so that opening the
 * next file of a queue walks one path component instead of all of them.
 * One per thread (qshape reads with several).
 */
static _Thread_local struct buf *showq_dir_name;
static _Thread_local int showq_dir_fd = -1;

/* showq_qfile_forget - close the directory, keep the name buffer */

static void
showq_qfile_forget(void)
{
	if (showq_dir_fd >= 0)
		(void) close(showq_dir_fd);
	showq_dir_fd = -1;
	if (showq_dir_name)
		buf_reset(showq_dir_name);
}

/* showq_qfile_reset - forget the directory (after a chdir), free all */

void
showq_qfile_reset(void)
{
	showq_qfile_forget();
	if (showq_dir_name)
		buf_free(showq_dir_name);
	showq_dir_name = NULL;
}

/* showq_qfile_openat - open relative to the directory of path */

static int
showq_qfile_openat(const char *path, int flags)
{
	const char *slash = strrchr(path, '/');
	size_t	len;

	if (slash == NULL || slash == path)
		return (open(path, flags));
	len = (size_t) (slash - path);
	if (showq_dir_name == NULL)
		showq_dir_name = buf_new(64);
	if (showq_dir_fd < 0 || buf_len(showq_dir_name) != len
	    || memcmp(buf_str(showq_dir_name), path, len) != 0) {
		showq_qfile_forget();
		buf_catn(showq_dir_name, path, len);
		showq_dir_fd = open(buf_str(showq_dir_name),
				    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (showq_dir_fd < 0) {
			buf_reset(showq_dir_name);
			return (open(path, flags));
		}
	}
	return (openat(showq_dir_fd, slash + 1, flags));
}

/* showq_qfile_open_only - open a queue file, no symlinks, no checks */

int
showq_qfile_open_only(const char *path)
{
	int	fd;

	/* O_NOATIME: a listing should not dirty a million inodes. */
	fd = showq_qfile_openat(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
				| O_NOATIME);
	if (fd < 0 && errno == EPERM)		/* not the file's owner */
		fd = showq_qfile_openat(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK
					| O_CLOEXEC);
	return (fd);
}

/* showq_qfile_check - status of an open file: regular and complete? */

int
showq_qfile_check(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return (-1);
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		return (-1);
	}
	if ((st->st_mode & S_IXUSR) == 0) {
		errno = EAGAIN;
		return (-1);
	}
	return (0);
}

/* showq_qfile_open - open a complete queue file, no symlinks */

int
showq_qfile_open(const char *path, struct stat *st)
{
	int	fd, saved;

	if ((fd = showq_qfile_open_only(path)) < 0)
		return (-1);
	if (showq_qfile_check(fd, st) < 0) {
		saved = errno;
		(void) close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/* showq_maildrop_time - "seconds microseconds" of a TIME record */

static int
showq_maildrop_time(const char *data, struct qfile_envelope *env)
{
	long long sec;
	long	usec;
	int	n = 0;

	if (sscanf(data, "%lld %ld%n", &sec, &usec, &n) != 2 || data[n] != 0
	    || sec < 0 || usec < 0 || usec > 999999)
		return (-1);
	env->arrival = (time_t) sec;
	env->arrival_usec = usec;
	return (0);
}

/* showq_maildrop_record - keep what one envelope record says */

static int
showq_maildrop_record(struct qfile_envelope *env, int type, struct buf *data,
		      struct buf *orig, int *notify)
{
	const char *str = buf_str(data);
	char   *eq;

	switch (type) {
	case REC_TYPE_TIME:
		return (showq_maildrop_time(str, env));
	case REC_TYPE_FROM:
		if (env->sender != NULL)
			return (-1);
		env->sender = xstrdup(str);
		return (0);
	case REC_TYPE_FULL:
		free(env->full_name);
		env->full_name = xstrdup(str);
		return (0);
	case REC_TYPE_ATTR:
		if ((eq = strchr(str, '=')) == NULL)
			return (-1);
		*eq = 0;
		qfile_envelope_add_attr(env, str, eq + 1);
		return (0);
	case REC_TYPE_ORCP:
		buf_cpy(orig, str);
		return (0);
	case REC_TYPE_NTFY:
		*notify = atoi(str);
		return (0);
	case REC_TYPE_RCPT:
		(void) qfile_envelope_add_rcpt(env, str,
				    buf_len(orig) ? buf_str(orig) : NULL, *notify);
		buf_reset(orig);
		*notify = 0;
		return (0);
	default:
		return (-1);
	}
}

/* showq_maildrop_read - the envelope of a maildrop file */

static int
showq_maildrop_read(int fd, struct qfile_envelope *env, struct buf *why)
{
	struct buf *data = buf_new(256);
	struct buf *orig = buf_new(64);
	struct rec_io *rp = rec_open(fd, REC_READ);
	off_t	offset = 0;
	int	type, notify = 0, status = -1;

	while ((type = rec_get(rp, data, REC_ENVELOPE_LIMIT, &offset)) >= 0) {
		if (type == REC_TYPE_MESG) {
			status = 0;
			break;
		}
		if (showq_maildrop_record(env, type, data, orig, &notify) < 0) {
			buf_printf(why, "offset %lld: unexpected or malformed %s record",
				   (long long) offset, rec_type_name(type));
			break;
		}
	}
	if (type == REC_TYPE_ERROR)
		buf_printf(why, "%s", rec_error(rp));
	else if (type == REC_TYPE_EOF)
		buf_printf(why, "offset %lld: truncated file: no message content record",
			   (long long) rec_tell(rp));
	if (status == 0 && env->sender == NULL) {
		buf_printf(why, "no sender record");
		status = -1;
	}
	(void) rec_close(rp);
	buf_free(data);
	buf_free(orig);
	return (status);
}

/* showq_qfile_read - envelope of a queue or maildrop file */

int
showq_qfile_read(int fd, const char *queue_name, const struct stat *st,
		 struct qfile_envelope *env, struct buf *why)
{
	if (strcmp(queue_name, MAIL_QUEUE_MAILDROP) != 0) {
		if (showq_fast_read(fd, st, env) == 0)
			return (0);
		return (qfile_read_envelope(fd, env, why));
	}
	qfile_envelope_free(env);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		buf_printf(why, "%m");
		return (-1);
	}
	env->arrival = st->st_mtime;
	env->size = st->st_size;
	if (showq_maildrop_read(fd, env, why) < 0) {
		qfile_envelope_free(env);
		return (-1);
	}
	return (0);
}
