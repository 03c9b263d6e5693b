/*
 * NAME
 *	cleanup_out - write and commit the queue file
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	int	cleanup_out_space_ok(struct buf *why);
 *	int	cleanup_out_open(struct cleanup_state *state);
 *	void	cleanup_out_envelope(struct cleanup_state *state);
 *	void	cleanup_out_text(struct cleanup_state *state, int type,
 *			const char *text, size_t len);
 *	void	cleanup_out_header(struct cleanup_state *state,
 *			const char *text, size_t len);
 *	int	cleanup_out_finish(struct cleanup_state *state);
 *	void	cleanup_out_remove(struct cleanup_state *state);
 * DESCRIPTION
 *	cleanup_out_space_ok() checks queue_minfree: it returns -1 with a
 *	reason when the file system of the queue has less free space.
 *
 *	cleanup_out_open() creates incoming/ID (mode 0600, "being
 *	written") and stores the new queue ID in the state; -1 on failure.
 *
 *	cleanup_out_envelope() writes the envelope segment (SIZE through
 *	MESG, with the priority class of cleanup_priority_envelope()) once
 *	the recipients are final. cleanup_out_text() writes one
 *	content record, splitting text longer than line_length_limit into
 *	CONT pieces, and enforces message_size_limit. cleanup_out_header()
 *	writes a logical header whose physical lines are separated by
 *	newlines. Nothing is written once the message has failed.
 *
 *	cleanup_out_finish() ends a message that has not failed: the
 *	extracted segment, END, the SIZE and MESG records updated in
 *	place, the final priority class (cleanup_priority_finish()); then
 *	queue_commit(): fchmod 0700, fsync of the file and of
 *	its directory. Only then is the file visible as complete to qmgr,
 *	which it wakes up. It returns 0, or -1 with the state's error set;
 *	the caller then removes the file with cleanup_out_remove() (after
 *	cleanup_bounce() has read its headers, where that applies).
 * DIAGNOSTICS
 *	Write and file system errors are logged as warnings with the queue
 *	ID and answered as CLEANUP_STAT_WRITE (a temporary error).
 * SEE ALSO
 *	queue(3), record(3)
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <global/mail_trigger.h>
#include <global/params.h>
#include <global/queue.h>

#include <sys/statvfs.h>
#include <fcntl.h>
#include <unistd.h>

#include "cleanup.h"

/* cleanup_out_space_ok - queue_minfree check */

int
cleanup_out_space_ok(struct buf *why)
{
	struct statvfs fs;
	unsigned long long avail;

	if (var_queue_minfree <= 0)
		return (0);
	if (statvfs(MAIL_QUEUE_INCOMING, &fs) < 0) {
		buf_printf(why, "statvfs %s: %s", MAIL_QUEUE_INCOMING, strerror(errno));
		return (-1);
	}
	avail = (unsigned long long) fs.f_bavail * fs.f_frsize;
	if (avail < (unsigned long long) var_queue_minfree) {
		buf_printf(why, "insufficient system storage: %llu bytes free,"
			   " queue_minfree is %ld", avail, var_queue_minfree);
		return (-1);
	}
	return (0);
}

/* cleanup_out_write_error - a write failed */

static void
cleanup_out_write_error(struct cleanup_state *state, const char *what)
{
	msg_warn("%s: %s: %s", buf_str(state->queue_id), what,
		 state->out ? rec_error(state->out) : strerror(errno));
	cleanup_state_error(state, CLEANUP_STAT_WRITE, "queue file write error");
}

/* cleanup_out_open - create incoming/ID */

int
cleanup_out_open(struct cleanup_state *state)
{
	if (queue_create(MAIL_QUEUE_INCOMING, state->queue_id, &state->fd) < 0) {
		msg_warn("create file in %s queue: %m", MAIL_QUEUE_INCOMING);
		cleanup_state_error(state, CLEANUP_STAT_WRITE,
				    "queue file write error");
		state->fd = -1;
		return (-1);
	}
	state->out = rec_open(state->fd, REC_WRITE);
	return (0);
}

/* cleanup_out_envelope - write SIZE .. MESG */

void
cleanup_out_envelope(struct cleanup_state *state)
{
	if (state->errs || state->out == 0)
		return;
	if (cleanup_priority_envelope(state) < 0)
		return;
	if (qfile_write_envelope(state->out, &state->env) < 0)
		cleanup_out_write_error(state, "write envelope");
}

/* cleanup_out_size - account for content, enforce message_size_limit */

static int
cleanup_out_size(struct cleanup_state *state, int type, size_t len)
{
	state->content_size += (off_t) len + (type == REC_TYPE_NORM);
	if (var_message_size_limit > 0
	    && state->content_size > var_message_size_limit) {
		msg_info("%s: reject: message file too big (limit %ld bytes)",
			 buf_str(state->queue_id), var_message_size_limit);
		cleanup_state_error(state, CLEANUP_STAT_SIZE,
				    "message file too big");
		return (-1);
	}
	return (0);
}

/* cleanup_out_text - one content record, split at line_length_limit */

void
cleanup_out_text(struct cleanup_state *state, int type, const char *text,
		 size_t len)
{
	size_t	limit = (size_t) var_line_length_limit;

	if (state->errs || state->out == 0)
		return;
	if (cleanup_out_size(state, type, len) < 0)
		return;
	while (len > limit) {
		if (rec_put(state->out, REC_TYPE_CONT, text, limit) < 0) {
			cleanup_out_write_error(state, "write content");
			return;
		}
		text += limit;
		len -= limit;
	}
	if (rec_put(state->out, type, text, len) < 0)
		cleanup_out_write_error(state, "write content");
}

/* cleanup_out_header - a logical header, one record per physical line */

void
cleanup_out_header(struct cleanup_state *state, const char *text, size_t len)
{
	const char *end = text + len;
	const char *nl;

	while (text <= end) {
		if ((nl = memchr(text, '\n', (size_t) (end - text))) == 0)
			nl = end;
		cleanup_out_text(state, REC_TYPE_NORM, text, (size_t) (nl - text));
		text = nl + 1;
	}
}

/* cleanup_out_extracted - the extracted segment */

static int
cleanup_out_extracted(struct cleanup_state *state)
{
	size_t	i;

	if (qfile_write_xtra(state->out, &state->env) < 0)
		return (-1);
	for (i = 0; i < state->xtra.rcpt_count; i++)
		if (qfile_write_rcpt(state->out, &state->env,
				     state->xtra.rcpts + i) < 0)
			return (-1);
	if (state->precedence
	    && rec_fprintf(state->out, REC_TYPE_ATTR, "%s=%s",
			   CLEANUP_ATTR_PRECEDENCE, state->precedence) < 0)
		return (-1);
	return (0);
}

/* cleanup_out_commit - END, fix SIZE and MESG, make it durable */

static int
cleanup_out_commit(struct cleanup_state *state)
{
	const char *id = buf_str(state->queue_id);

	state->env.size = state->content_size;
	if (qfile_write_end(state->out, state->fd, &state->env) < 0) {
		cleanup_out_write_error(state, "write end of file");
		return (-1);
	}
	if (rec_close(state->out) < 0) {
		state->out = 0;
		cleanup_out_write_error(state, "flush queue file");
		return (-1);
	}
	state->out = 0;
	if (cleanup_priority_finish(state) < 0)
		return (-1);
	if (queue_commit(state->fd, MAIL_QUEUE_INCOMING, id) < 0) {
		cleanup_out_write_error(state, "commit queue file");
		return (-1);
	}
	if (close(state->fd) < 0) {
		/* Keep fd >= 0 so cleanup_out_remove() still removes the name. */
		state->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		cleanup_out_write_error(state, "close queue file");
		return (-1);
	}
	state->fd = -1;
	return (0);
}

/* cleanup_out_finish - finish and commit, or fail and remove */

int
cleanup_out_finish(struct cleanup_state *state)
{
	const char *id = buf_str(state->queue_id);

	if (state->errs == 0 && state->out != 0
	    && cleanup_out_extracted(state) < 0)
		cleanup_out_write_error(state, "write extracted segment");
	if (state->errs == 0 && state->env.rcpt_total == 0)
		cleanup_state_error(state, CLEANUP_STAT_RCPT,
				    "no recipients specified");
	if (state->errs == 0)
		(void) cleanup_out_commit(state);
	if (state->errs)
		return (-1);
	if ((state->flags & CLEANUP_FLAG_HOLD)
	    && queue_move(id, MAIL_QUEUE_INCOMING, MAIL_QUEUE_HOLD) < 0)
		msg_warn("%s: move to %s queue: %m", id, MAIL_QUEUE_HOLD);
	if (mail_trigger(MAIL_CLASS_PUBLIC, var_queue_service_name,
			 (char[]) {QMGR_REQ_SCAN_INCOMING}, 1) < 0)
		msg_debug(1, "%s: trigger %s: %m", id, var_queue_service_name);
	return (0);
}

/* cleanup_out_remove - discard the queue file */

void
cleanup_out_remove(struct cleanup_state *state)
{
	if (state->out) {
		(void) rec_close(state->out);
		state->out = 0;
	}
	if (state->fd >= 0) {
		(void) close(state->fd);
		state->fd = -1;
		if (queue_remove(MAIL_QUEUE_INCOMING, buf_str(state->queue_id)) < 0
		    && errno != ENOENT)
			msg_warn("%s: remove %s file: %m",
				 buf_str(state->queue_id), MAIL_QUEUE_INCOMING);
	}
}
