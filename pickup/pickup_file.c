/*
 * NAME
 *	pickup_file - one maildrop file into cleanup
 * SYNOPSIS
 *	#include "pickup.h"
 * DESCRIPTION
 *	See pickup.h. Every maildrop file is read twice: once to check it
 *	completely, so that a malformed file is set aside before cleanup
 *	sees any of it, and once to copy it. The copy still goes record by
 *	record through cleanup, which checks everything again.
 * SEE ALSO
 *	pickup(8)
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <global/queue.h>
#include <global/record.h>
#include <server/server.h>

#include <fcntl.h>
#include <unistd.h>

#include "pickup.h"

/* pickup_check - read and check a whole maildrop file */

int
pickup_check(int fd, struct maildrop_check *mc, struct buf *sender,
	     struct buf *why)
{
	struct buf *data = buf_new(1024);
	struct rec_io *rp;
	off_t	offset = 0;
	int	type, status = 0;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		buf_printf(why, "seek: %s", strerror(errno));
		buf_free(data);
		return (-1);
	}
	maildrop_check_init(mc, 1);
	rp = rec_open(fd, REC_READ);
	while ((type = rec_get(rp, data, MAILDROP_LINE_LIMIT, &offset)) >= 0) {
		if (maildrop_check_record(mc, type, buf_str(data), buf_len(data), data) < 0) {
			buf_printf(why, "offset %lld: %s", (long long) offset,
				   buf_str(data));
			status = -1;
			break;
		}
		if (type == REC_TYPE_FROM)
			buf_cpy(sender, buf_str(data));
	}
	if (status == 0 && type == REC_TYPE_ERROR) {
		buf_cpy(why, rec_error(rp));
		status = -1;
	}
	if (status == 0 && maildrop_check_eof(mc, why) < 0)
		status = -1;
	(void) rec_close(rp);
	buf_free(data);
	return (status);
}

/* pickup_copy - stream the records of a checked file */

static void
pickup_copy(struct cleanup_client *cl, struct rec_io *rp, const struct stat *st)
{
	struct buf *data = buf_new(1024);
	struct buf *uid = buf_new(16);
	int	type;

	buf_printf(uid, "%ld", (long) st->st_uid);
	(void) cleanup_attr(cl, CLEANUP_ATTR_UID, buf_str(uid));
	while ((type = rec_get(rp, data, MAILDROP_LINE_LIMIT, NULL)) >= 0
	       && type != REC_TYPE_XTRA) {
		if (type == REC_TYPE_ATTR
		    && strncmp(buf_str(data), MAIL_ATTR_FLAGS "=",
			       sizeof(MAIL_ATTR_FLAGS)) == 0)
			continue;		/* passed to cleanup_open() */
		if (type == REC_TYPE_FROM)
			msg_info("%s: uid=%ld from=<%s>", cleanup_queue_id(cl),
				 (long) st->st_uid, buf_str(data));
		if (cleanup_record(cl, type, buf_str(data), buf_len(data)) < 0)
			break;
	}
	buf_free(uid);
	buf_free(data);
}

/* pickup_send - copy a checked file to cleanup */

int
pickup_send(int fd, const struct stat *st, int flags, struct buf *id,
	    struct buf *why)
{
	struct cleanup_client *cl;
	struct rec_io *rp;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		buf_printf(why, "seek: %s", strerror(errno));
		return (-1);
	}
	if ((cl = cleanup_open(flags, why)) == 0)
		return (-1);
	buf_cpy(id, cleanup_queue_id(cl));
	rp = rec_open(fd, REC_READ);
	pickup_copy(cl, rp, st);
	(void) rec_close(rp);
	return (cleanup_finish(cl, why));
}

/* pickup_corrupt - set a malformed file aside */

static void
pickup_corrupt(const char *id, const struct stat *st, const char *why)
{
	if (queue_move(id, MAIL_QUEUE_MAILDROP, MAIL_QUEUE_CORRUPT) < 0) {
		msg_warn("%s/%s: uid=%ld: corrupt queue file (%s); cannot move"
			 " it to %s: %m", MAIL_QUEUE_MAILDROP, id,
			 (long) st->st_uid, why, MAIL_QUEUE_CORRUPT);
		return;
	}
	msg_warn("%s/%s: uid=%ld: corrupt queue file (%s): moved to %s/%s",
		 MAIL_QUEUE_MAILDROP, id, (long) st->st_uid, why,
		 MAIL_QUEUE_CORRUPT, id);
}

/* pickup_file_worker - one open maildrop file */

static int
pickup_file_worker(const char *id, int fd, struct buf *why)
{
	struct maildrop_check mc;
	struct buf *sender = buf_new(64);
	struct buf *new_id = buf_new(32);
	struct stat st;
	int	status, result = PICKUP_FILE_DONE;

	if (fstat(fd, &st) < 0)
		msg_fatal("fstat %s/%s: %m", MAIL_QUEUE_MAILDROP, id);
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		msg_warn("%s/%s: not a regular file with one link: skipped",
			 MAIL_QUEUE_MAILDROP, id);
		result = PICKUP_FILE_SKIP;
	} else if ((st.st_mode & S_IRWXU) != S_IRWXU) {
		result = PICKUP_FILE_SKIP;	/* still being written */
	} else if (pickup_check(fd, &mc, sender, why) < 0) {
		pickup_corrupt(id, &st, buf_str(why));
	} else if ((status = pickup_send(fd, &st, CLEANUP_FLAG_MASK_PICKUP
			      | (mc.flags & CLEANUP_FLAG_EXTRACT), new_id, why)) < 0) {
		msg_warn("%s/%s: %s", MAIL_QUEUE_MAILDROP, id, buf_str(why));
		result = PICKUP_FILE_RETRY;
	} else if (status & CLEANUP_STAT_MASK_CANT_BOUNCE
		   & ~CLEANUP_STAT_BAD) {
		msg_warn("%s/%s: %s: will try again later", MAIL_QUEUE_MAILDROP,
			 id, buf_str(why));
		result = PICKUP_FILE_RETRY;
	} else if (status != CLEANUP_STAT_OK) {
		/* cleanup refuses what we checked: it can never succeed. */
		pickup_corrupt(id, &st, buf_str(why));
	} else if (queue_remove(MAIL_QUEUE_MAILDROP, id) < 0) {
		msg_warn("%s/%s: remove after queueing as %s: %m",
			 MAIL_QUEUE_MAILDROP, id, buf_str(new_id));
	}
	buf_free(sender);
	buf_free(new_id);
	return (result);
}

/* pickup_file - process maildrop/ID */

int
pickup_file(const char *id)
{
	struct buf *why = buf_new(64);
	int	fd, result;

	if ((fd = queue_open(MAIL_QUEUE_MAILDROP, id,
			     O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) < 0) {
		if (errno != ENOENT)
			msg_warn("open %s/%s: %m", MAIL_QUEUE_MAILDROP, id);
		buf_free(why);
		return (PICKUP_FILE_SKIP);
	}
	result = pickup_file_worker(id, fd, why);
	(void) close(fd);
	buf_free(why);
	return (result);
}

/* pickup_scan - every file in maildrop */

void
pickup_scan(void)
{
	struct queue_scan *scan;
	struct buf *id = buf_new(32);

	if ((scan = queue_scan_open(MAIL_QUEUE_MAILDROP)) == 0) {
		msg_warn("open %s: %m", MAIL_QUEUE_MAILDROP);
		buf_free(id);
		return;
	}
	while (queue_scan_next(scan, id) != 0 && !server_is_stopping())
		if (pickup_file(buf_str(id)) == PICKUP_FILE_RETRY)
			break;
	queue_scan_close(scan);
	buf_free(id);
}
