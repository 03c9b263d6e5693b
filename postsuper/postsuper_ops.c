/*
 * NAME
 *	postsuper_ops - delete, hold, release and requeue messages
 * SYNOPSIS
 *	#include "postsuper.h"
 * DESCRIPTION
 *	See postsuper.h and postsuper(1). By-ID operations look for the
 *	file where the current hash settings put it (postsuper -s moves
 *	misplaced files there first); ALL operations walk the queues and
 *	take files where they are.
 * SEE ALSO
 *	postsuper(1), queue(3)
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/queue.h>

#include "postsuper.h"

static const char *const ps_delete_queues[] = {
	MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
	MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD, NULL,
};
static const char *const ps_hold_queues[] = {
	MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED, NULL,
};
static const char *const ps_release_queues[] = {
	MAIL_QUEUE_HOLD, NULL,
};
static const char *const ps_requeue_queues[] = {
	MAIL_QUEUE_HOLD, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
	MAIL_QUEUE_DEFERRED, NULL,
};
static const char *const ps_log_queues[] = {
	MAIL_QUEUE_DEFER, MAIL_QUEUE_BOUNCE, MAIL_QUEUE_TRACE, NULL,
};

#define PS_IS(q, name)	(strcmp((q), (name)) == 0)

/* postsuper_is_message_queue - a queue of message files */

int
postsuper_is_message_queue(const char *queue)
{
	return (PS_IS(queue, MAIL_QUEUE_MAILDROP) || PS_IS(queue, MAIL_QUEUE_INCOMING)
		|| PS_IS(queue, MAIL_QUEUE_ACTIVE) || PS_IS(queue, MAIL_QUEUE_DEFERRED)
		|| PS_IS(queue, MAIL_QUEUE_HOLD) || PS_IS(queue, MAIL_QUEUE_CORRUPT)
		|| PS_IS(queue, MAIL_QUEUE_SAVED));
}

/* ps_applies - does an action apply to a queue? */

static int
ps_applies(int action, const char *queue)
{
	switch (action) {
	case PS_ACTION_DELETE:
		return (postsuper_is_message_queue(queue));
	case PS_ACTION_HOLD:
		return (PS_IS(queue, MAIL_QUEUE_INCOMING) || PS_IS(queue, MAIL_QUEUE_ACTIVE)
			|| PS_IS(queue, MAIL_QUEUE_DEFERRED));
	case PS_ACTION_RELEASE:
		return (PS_IS(queue, MAIL_QUEUE_HOLD));
	case PS_ACTION_REQUEUE:
		return (PS_IS(queue, MAIL_QUEUE_INCOMING) || PS_IS(queue, MAIL_QUEUE_ACTIVE)
			|| PS_IS(queue, MAIL_QUEUE_DEFERRED) || PS_IS(queue, MAIL_QUEUE_HOLD));
	default:
		msg_panic("ps_applies: action %d", action);
	}
}

/* ps_queues - explicit queues, or the action's defaults */

static const char *const *
ps_queues(const struct ps_state *ps, int action)
{
	if (ps->queues)
		return (ps->queues);
	switch (action) {
	case PS_ACTION_DELETE: return (ps_delete_queues);
	case PS_ACTION_HOLD: return (ps_hold_queues);
	case PS_ACTION_RELEASE: return (ps_release_queues);
	case PS_ACTION_REQUEUE: return (ps_requeue_queues);
	default: msg_panic("ps_queues: action %d", action);
	}
}

/* ps_is_busy - a file qmgr may be delivering */

static int
ps_is_busy(const struct ps_state *ps, const char *queue)
{
	return (ps->is_running && PS_IS(queue, MAIL_QUEUE_ACTIVE));
}

/* ps_complete - a regular file that its writer has finished */

static int
ps_complete(const char *queue, const struct stat *st)
{
	return (S_ISREG(st->st_mode)
		&& (PS_IS(queue, MAIL_QUEUE_CORRUPT)
		    || (st->st_mode & S_IRWXU) == S_IRWXU));
}

/* ps_find - ps->path names a complete message file of id in queue */

static int
ps_find(struct ps_state *ps, const char *queue, const char *id)
{
	struct stat st;

	if (queue_path(ps->path, queue, id) == NULL)
		return (0);
	return (lstat(buf_str(ps->path), &st) == 0 && ps_complete(queue, &st));
}

/* ps_mkdirs - create the directory of a queue file, level by level */

static void
ps_mkdirs(const char *queue, const char *id)
{
	struct buf *dir = buf_new(64);
	char   *cp;

	if (queue_dir(dir, queue, id) != NULL) {
		for (cp = strchr(buf_str(dir), '/'); cp; cp = strchr(cp + 1, '/')) {
			*cp = 0;
			(void) mkdir(buf_str(dir), 0700);
			*cp = '/';
		}
		(void) mkdir(buf_str(dir), 0700);
	}
	buf_free(dir);
}

/* postsuper_move - rename into another queue, never replacing a file */

int
postsuper_move(struct ps_state *ps, const char *from_path, const char *to_queue,
	       const char *id)
{
	struct stat st;

	if (queue_path(ps->path2, to_queue, id) == NULL)
		return (-1);
	if (lstat(buf_str(ps->path2), &st) == 0) {
		errno = EEXIST;
		return (-1);
	}
	if (rename(from_path, buf_str(ps->path2)) == 0)
		return (0);
	if (errno != ENOENT || lstat(from_path, &st) < 0)
		return (-1);
	ps_mkdirs(to_queue, id);
	return (rename(from_path, buf_str(ps->path2)));
}

/* ps_remove_log - remove one logfile of a message */

static void
ps_remove_log(const char *queue, const char *id)
{
	struct buf *path = buf_new(64);

	if (queue_path(path, queue, id) != NULL && unlink(buf_str(path)) < 0
	    && errno != ENOENT)
		msg_warn("remove %s: %m", buf_str(path));
	buf_free(path);
}

/* postsuper_remove_logs - defer, bounce and trace logfiles */

void
postsuper_remove_logs(struct ps_state *ps, const char *id)
{
	const char *const *qp;

	(void) ps;
	for (qp = ps_log_queues; *qp; qp++)
		ps_remove_log(*qp, id);
}

/* ps_busy_warning - say why an active file was left alone */

static void
ps_busy_warning(const char *id, const char *what)
{
	msg_warn("%s: message is being delivered; not %s (try again later, "
		 "or stop the mail system first)", id, what);
}

/* postsuper_delete_one - delete a message and its logfiles */

int
postsuper_delete_one(struct ps_state *ps, const char *id)
{
	const char *const *qp;
	int	tries;

	for (tries = 0; tries < 2; tries++) {
		for (qp = ps_queues(ps, PS_ACTION_DELETE); *qp; qp++) {
			if (!ps_applies(PS_ACTION_DELETE, *qp) || !ps_find(ps, *qp, id))
				continue;
			if (ps_is_busy(ps, *qp)) {
				ps_busy_warning(id, "deleted");
				return (0);
			}
			postsuper_remove_logs(ps, id);
			if (unlink(buf_str(ps->path)) == 0) {
				msg_info("%s: removed", id);
				return (1);
			}
			if (errno != ENOENT) {
				msg_warn("remove %s: %m", buf_str(ps->path));
				return (0);
			}
		}
	}
	return (0);
}

/* ps_move_one - hold or release by ID */

static int
ps_move_one(struct ps_state *ps, const char *id, int action, const char *to,
	    const char *done, const char *what)
{
	const char *const *qp;
	int	tries;

	for (tries = 0; tries < 2; tries++) {
		for (qp = ps_queues(ps, action); *qp; qp++) {
			if (!ps_applies(action, *qp) || !ps_find(ps, *qp, id))
				continue;
			if (ps_is_busy(ps, *qp)) {
				ps_busy_warning(id, what);
				return (0);
			}
			if (postsuper_move(ps, buf_str(ps->path), to, id) == 0) {
				if (PS_IS(to, MAIL_QUEUE_DEFERRED)
				    && queue_touch(to, id, ps->now) < 0)
					msg_warn("%s: reset time stamps: %m", id);
				msg_info("%s: %s", id, done);
				return (1);
			}
			if (errno != ENOENT) {
				msg_warn("%s: move %s to %s: %m", id, buf_str(ps->path), to);
				return (0);
			}
		}
	}
	return (0);
}

/* postsuper_hold_one - put a message on hold */

int
postsuper_hold_one(struct ps_state *ps, const char *id)
{
	return (ps_move_one(ps, id, PS_ACTION_HOLD, MAIL_QUEUE_HOLD,
			    "placed on hold", "placed on hold"));
}

/* postsuper_release_one - release a message from hold */

int
postsuper_release_one(struct ps_state *ps, const char *id)
{
	return (ps_move_one(ps, id, PS_ACTION_RELEASE, MAIL_QUEUE_DEFERRED,
			    "released from hold", "released"));
}

/* ps_requeue_path - requeue one file; 1 when done, -1 when it is gone */

static int
ps_requeue_path(struct ps_state *ps, const char *queue, const char *path,
		const char *id, int is_verbose)
{
	struct buf *new_id = buf_new(32), *held = buf_new(64);
	int	ok = 0;

	/*
	 * Take the file out of qmgr's reach first: a rename is atomic, a copy
	 * is not, and a message must never be queued twice. hold/ is a queue
	 * that qmgr never scans; a crash from here on leaves the message on
	 * hold, neither lost nor duplicated.
	 */
	if (strcmp(queue, MAIL_QUEUE_HOLD) != 0) {
		if (postsuper_move(ps, path, MAIL_QUEUE_HOLD, id) < 0) {
			if (errno != ENOENT)
				msg_warn("%s: cannot requeue: move %s to %s: %m", id, path,
					 MAIL_QUEUE_HOLD);
			buf_free(new_id);
			buf_free(held);
			return (errno == ENOENT ? -1 : 0);
		}
	}
	(void) queue_path(held, MAIL_QUEUE_HOLD, id);
	if (strcmp(queue, MAIL_QUEUE_HOLD) == 0)
		buf_cpy(held, path);
	if (postsuper_requeue_file(buf_str(held), new_id, ps->why) < 0) {
		msg_warn("%s: cannot requeue: %s", id, buf_str(ps->why));
		if (strcmp(queue, MAIL_QUEUE_HOLD) != 0
		    && postsuper_move(ps, buf_str(held), queue, id) < 0)
			msg_warn("%s: left in the %s queue: %m", id, MAIL_QUEUE_HOLD);
	} else {
		ok = 1;
		if (unlink(buf_str(held)) < 0)
			msg_warn("%s: remove %s after requeueing it as %s/%s: %m",
				 id, buf_str(held), MAIL_QUEUE_MAILDROP, buf_str(new_id));
		ps_remove_log(MAIL_QUEUE_DEFER, id);
		ps_remove_log(MAIL_QUEUE_TRACE, id);
		if (is_verbose)
			msg_info("%s: requeued", id);
	}
	buf_free(new_id);
	buf_free(held);
	return (ok);
}

/* postsuper_requeue_one - requeue a message through pickup */

int
postsuper_requeue_one(struct ps_state *ps, const char *id)
{
	const char *const *qp;
	int	tries, status;

	for (tries = 0; tries < 2; tries++) {
		for (qp = ps_queues(ps, PS_ACTION_REQUEUE); *qp; qp++) {
			if (!ps_applies(PS_ACTION_REQUEUE, *qp) || !ps_find(ps, *qp, id))
				continue;
			if (ps_is_busy(ps, *qp)) {
				ps_busy_warning(id, "requeued");
				return (0);
			}
			if ((status = ps_requeue_path(ps, *qp, buf_str(ps->path), id, 1)) >= 0)
				return (status);
		}
	}
	return (0);
}

/* ps_all_file - one file of an ALL operation */

static void
ps_all_file(struct ps_state *ps, int action, const char *queue,
	    const char *path, const char *id)
{
	struct stat st;
	int	is_msg = postsuper_is_message_queue(queue);

	if (lstat(path, &st) < 0 || (is_msg && !ps_complete(queue, &st)))
		return;
	if (ps_is_busy(ps, queue)) {
		ps->busy++;
		return;
	}
	switch (action) {
	case PS_ACTION_DELETE:
		if (is_msg)
			postsuper_remove_logs(ps, id);
		if (unlink(path) < 0)
			msg_warn("remove %s: %m", path);
		else if (is_msg)
			ps->deleted++;
		break;
	case PS_ACTION_HOLD:
		if (postsuper_move(ps, path, MAIL_QUEUE_HOLD, id) == 0)
			ps->held++;
		break;
	case PS_ACTION_RELEASE:
		if (postsuper_move(ps, path, MAIL_QUEUE_DEFERRED, id) == 0) {
			if (queue_touch(MAIL_QUEUE_DEFERRED, id, ps->now) < 0)
				msg_warn("%s: reset time stamps: %m", id);
			ps->released++;
		}
		break;
	case PS_ACTION_REQUEUE:
		if (ps_requeue_path(ps, queue, path, id, 0) > 0)
			ps->requeued++;
		break;
	}
}

/* postsuper_all - one ALL operation over its queues */

void
postsuper_all(struct ps_state *ps, int action)
{
	const char *const *qp;
	struct queue_scan *scan;
	struct buf *id = buf_new(32), *path = buf_new(64);

	ps->busy = 0;
	for (qp = ps_queues(ps, action); *qp; qp++) {
		if (!ps_applies(action, *qp)
		    && !(action == PS_ACTION_DELETE && ps->queues != NULL))
			continue;
		if ((scan = queue_scan_open(*qp)) == NULL) {
			if (errno != ENOENT)
				msg_warn("open queue %s: %m", *qp);
			continue;
		}
		while (queue_scan_next(scan, id) != NULL) {
			buf_cpy(path, queue_scan_path(scan));
			ps_all_file(ps, action, *qp, buf_str(path), buf_str(id));
		}
		queue_scan_close(scan);
	}
	if (ps->busy > 0)
		msg_warn("%lu message%s in the active queue %s being delivered; "
			 "left alone (try again later, or stop the mail system first)",
			 ps->busy, ps->busy == 1 ? "" : "s",
			 ps->busy == 1 ? "is" : "are");
	buf_free(id);
	buf_free(path);
}
