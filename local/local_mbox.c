/*
 * NAME
 *	local_mbox - locked append-only access to an mbox file
 * SYNOPSIS
 *	#include "local.h"
 *
 *	struct local_mbox *local_mbox_open(const char *path, int is_spool,
 *			uid_t chown_uid, gid_t chown_gid,
 *			char dsn[DSN_STATUS_SIZE], struct buf *why);
 *	int	local_mbox_fd(const struct local_mbox *mb);
 *	long	local_mbox_size(const struct local_mbox *mb);
 *	uid_t	local_mbox_owner(const struct local_mbox *mb);
 *	int	local_mbox_close(struct local_mbox *mb, int ok, struct buf *why);
 *	const char *local_mbox_error_dsn(int err, const char *dflt);
 * DESCRIPTION
 *	local_mbox_open() locks and opens path for appending, with the
 *	locks mailbox_delivery_lock names (Postfix's default "fcntl,
 *	dotlock"; "flock" also works):
 * .IP dotlock
 *	path.lock is created exclusively. A lock file older than
 *	stale_lock_time is removed (and logged) as left over by a crash.
 *	For files outside the spool directory (is_spool 0) a lock file
 *	that cannot be created for lack of permission is skipped, as
 *	Postfix does.
 * .IP fcntl, flock
 *	an exclusive kernel lock on the whole open file.
 * .PP
 *	Each lock is tried deliver_lock_attempts times, deliver_lock_delay
 *	apart. The file is opened without following a symbolic link and
 *	must be a regular file with one link; a new file is created mode
 *	0600 and, when chown_uid is not (uid_t) -1, given to that user and
 *	group. The result is NULL with a reason in why and the status
 *	code in dsn: 4.2.0 for lock and open failures (try again), 5.2.0
 *	for a destination that is not a plain file, 5.2.2 for a full disk
 *	quota.
 *
 *	local_mbox_size() is the size of the file when it was opened,
 *	local_mbox_owner() its owner. local_mbox_close() makes the new
 *	content durable (fsync) when ok is non-zero; otherwise, or when
 *	that fails, it truncates the file back to its old size, so a failed
 *	delivery leaves no partial message behind. It then releases the
 *	locks and returns 0, or -1 with a reason in why.
 *
 *	local_mbox_error_dsn() maps a write error to a status code: a full
 *	quota or file size limit is 5.2.2 (mailbox full), a full disk
 *	4.3.0, others dflt.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>

#include "local.h"

#define LOCAL_LOCK_FCNTL	(1 << 0)
#define LOCAL_LOCK_FLOCK	(1 << 1)
#define LOCAL_LOCK_DOTLOCK	(1 << 2)

struct local_mbox {
	char   *path;
	char   *lock_path;		/* dot lock we hold, or NULL */
	int	fd;
	off_t	orig_size;
	uid_t	owner;
};

/* local_mbox_lock_mask - mailbox_delivery_lock as bits */
static int
local_mbox_lock_mask(void)
{
	struct argv *words = argv_split(var_mailbox_delivery_lock, ARGV_LIST_DELIMS);
	int	mask = 0;
	size_t	i;

	for (i = 0; i < words->argc; i++) {
		if (strcasecmp(words->argv[i], "fcntl") == 0)
			mask |= LOCAL_LOCK_FCNTL;
		else if (strcasecmp(words->argv[i], "flock") == 0)
			mask |= LOCAL_LOCK_FLOCK;
		else if (strcasecmp(words->argv[i], "dotlock") == 0)
			mask |= LOCAL_LOCK_DOTLOCK;
		else
			msg_warn("mailbox_delivery_lock: unknown lock type \"%s\"",
				 words->argv[i]);
	}
	argv_free(words);
	return (mask);
}

/* local_mbox_error_dsn - status code for a write error */
const char *
local_mbox_error_dsn(int err, const char *dflt)
{
	if (err == EFBIG || err == EDQUOT)
		return ("5.2.2");
	if (err == ENOSPC)
		return ("4.3.0");
	return (dflt);
}

/* local_mbox_dotlock - create path.lock; 0, 1 (skipped) or -1 */
static int
local_mbox_dotlock(struct local_mbox *mb, int is_spool, struct buf *why)
{
	struct buf *lock = buf_new(64);
	struct stat st;
	int	removed_stale = 0;
	int	attempt;
	int	fd;

	buf_printf(lock, "%s.lock", mb->path);
	for (attempt = 0; attempt <= var_deliver_lock_attempts; attempt++) {
		if ((fd = open(buf_str(lock), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)) >= 0) {
			(void) close(fd);
			mb->lock_path = buf_steal(lock);
			return (0);
		}
		if (errno != EEXIST) {
			if (!is_spool && (errno == EACCES || errno == EPERM || errno == EROFS)) {
				buf_free(lock);
				return (1);
			}
			buf_printf(why, "cannot create lock file %s: %m", buf_str(lock));
			buf_free(lock);
			return (-1);
		}
		if (!removed_stale && stat(buf_str(lock), &st) == 0
		    && time(NULL) > st.st_mtime + var_stale_lock_time
		    && unlink(buf_str(lock)) == 0) {
			msg_info("removed stale lock file %s", buf_str(lock));
			removed_stale = 1;
			attempt--;		/* that was no attempt */
			continue;
		}
		if (attempt < var_deliver_lock_attempts)
			sleep((unsigned) var_deliver_lock_delay);
	}
	buf_printf(why, "unable to create lock file %s: file exists", buf_str(lock));
	buf_free(lock);
	return (-1);
}

/* local_mbox_kernel_lock - fcntl and/or flock with retries */
static int
local_mbox_kernel_lock(int fd, int mask, struct buf *why)
{
	struct flock lk;
	int	attempt;
	int	ok;

	for (attempt = 0; attempt <= var_deliver_lock_attempts; attempt++) {
		ok = 1;
		if (mask & LOCAL_LOCK_FCNTL) {
			memset(&lk, 0, sizeof(lk));
			lk.l_type = F_WRLCK;
			lk.l_whence = SEEK_SET;
			ok = (fcntl(fd, F_SETLK, &lk) == 0);
		}
		if (ok && (mask & LOCAL_LOCK_FLOCK))
			ok = (flock(fd, LOCK_EX | LOCK_NB) == 0);
		if (ok)
			return (0);
		if (errno != EAGAIN && errno != EACCES && errno != EWOULDBLOCK)
			break;
		if (attempt < var_deliver_lock_attempts)
			sleep((unsigned) var_deliver_lock_delay);
	}
	buf_printf(why, "unable to lock for exclusive access: %m");
	return (-1);
}

/* local_mbox_open_file - open or create without following links */
static int
local_mbox_open_file(struct local_mbox *mb, uid_t chown_uid, gid_t chown_gid,
		             char dsn[DSN_STATUS_SIZE], struct buf *why)
{
	struct stat st;
	int	fd;

	fd = open(mb->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(mb->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW
			  | O_NOCTTY | O_CLOEXEC, 0600);
		if (fd >= 0 && chown_uid != (uid_t) -1 && fchown(fd, chown_uid, chown_gid) < 0) {
			buf_printf(why, "cannot change ownership of %s: %m", mb->path);
			(void) close(fd);
			(void) unlink(mb->path);
			return (-1);
		}
	}
	if (fd < 0) {
		if (errno == ELOOP) {
			snprintf(dsn, DSN_STATUS_SIZE, "5.2.0");
			buf_printf(why, "cannot open file: %s is a symbolic link", mb->path);
		} else {
			snprintf(dsn, DSN_STATUS_SIZE, "%s", local_mbox_error_dsn(errno, "4.2.0"));
			buf_printf(why, "cannot open file: %m");
		}
		return (-1);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		snprintf(dsn, DSN_STATUS_SIZE, "5.2.0");
		buf_printf(why, "cannot open file: %s is not a regular file with one link",
			   mb->path);
		(void) close(fd);
		return (-1);
	}
	mb->fd = fd;
	mb->owner = st.st_uid;
	return (0);
}

/* local_mbox_release - drop locks and memory */
static void
local_mbox_release(struct local_mbox *mb)
{
	if (mb->fd >= 0)
		(void) close(mb->fd);
	if (mb->lock_path && unlink(mb->lock_path) < 0 && errno != ENOENT)
		msg_warn("remove lock file %s: %m", mb->lock_path);
	free(mb->lock_path);
	free(mb->path);
	free(mb);
}

/* local_mbox_open - lock and open an mbox for appending */
struct local_mbox *
local_mbox_open(const char *path, int is_spool, uid_t chown_uid, gid_t chown_gid,
		        char dsn[DSN_STATUS_SIZE], struct buf *why)
{
	struct local_mbox *mb = xcalloc(1, sizeof(*mb));
	int	mask = local_mbox_lock_mask();

	mb->path = xstrdup(path);
	mb->fd = -1;
	snprintf(dsn, DSN_STATUS_SIZE, "4.2.0");
	if (((mask & LOCAL_LOCK_DOTLOCK) && local_mbox_dotlock(mb, is_spool, why) < 0)
	    || local_mbox_open_file(mb, chown_uid, chown_gid, dsn, why) < 0
	    || ((mask & (LOCAL_LOCK_FCNTL | LOCAL_LOCK_FLOCK))
		&& local_mbox_kernel_lock(mb->fd, mask, why) < 0)
	    || (mb->orig_size = lseek(mb->fd, 0, SEEK_END)) < 0) {
		if (buf_len(why) == 0)
			buf_printf(why, "cannot open file: %m");
		local_mbox_release(mb);
		return (NULL);
	}
	return (mb);
}

/* local_mbox_fd - the open descriptor */
int
local_mbox_fd(const struct local_mbox *mb)
{
	return (mb->fd);
}

/* local_mbox_size - size when opened */
long
local_mbox_size(const struct local_mbox *mb)
{
	return ((long) mb->orig_size);
}

/* local_mbox_owner - owner of the file */
uid_t
local_mbox_owner(const struct local_mbox *mb)
{
	return (mb->owner);
}

/* local_mbox_close - commit or roll back, then unlock */
int
local_mbox_close(struct local_mbox *mb, int ok, struct buf *why)
{
	int	ret = 0;

	if (ok && fsync(mb->fd) < 0) {
		buf_printf(why, "error writing message: %m");
		ok = 0;
		ret = -1;
	}
	if (!ok && ftruncate(mb->fd, mb->orig_size) < 0)
		msg_warn("truncate %s to %lld bytes: %m", mb->path, (long long) mb->orig_size);
	local_mbox_release(mb);
	return (ret);
}
